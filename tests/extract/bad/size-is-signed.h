/* Tests: size_is naming a signed field (a negative count). */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    int8_t fifo_len;
    uint8_t fifo[16] QIDL(size_is, fifo_len);
} Dev;
