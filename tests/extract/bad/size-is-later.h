/* Tests: size_is naming a field declared after the array: the count
 * would be loaded after the elements it bounds. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint8_t fifo[16] QIDL(size_is, fifo_len);
    uint8_t fifo_len;
} Dev;
