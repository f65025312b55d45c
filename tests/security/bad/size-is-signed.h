/* Tests: CVE-2013-4531's count, an int32_t that loaded negative: a signed
 * size_is count is refused. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) ARMCPUState {
    int32_t cpreg_array_len;
    uint64_t cpreg_values[16] QIDL(size_is, cpreg_array_len);
} ARMCPUState;
