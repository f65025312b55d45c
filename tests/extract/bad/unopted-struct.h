/* Tests: field markers on a struct that did not opt in with QIDL_STRUCT
 * are an error rather than silently ignored. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct Dev {
    uint8_t fifo[4] QIDL(size_is, 2);
} Dev;
