/* Tests: size_is naming a field that does not exist. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint8_t fifo[16] QIDL(size_is, fifo_count);
} Dev;
