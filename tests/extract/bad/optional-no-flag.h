/* Tests: an optional field needs its has_<field> flag. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint32_t extra QIDL(optional);
} Dev;
