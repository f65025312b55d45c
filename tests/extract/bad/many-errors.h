/* Tests: every error is reported, in order, before the tool exits. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint8_t *buf;
    uint32_t flags : 4;
    uint8_t fifo[4] QIDL(size_is, nope);
    uint8_t thr QIDL(default, 300);
} Dev;
