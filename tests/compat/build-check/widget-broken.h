/* Tests: the build-time compatibility check must fail on this header.  It
 * is widget.h with `mode` narrowed from uint16_t to uint8_t and `status`
 * added without a version bump: streams of the previous release carry a
 * uint16 mode and no status. */
#ifndef WIDGET_BROKEN_H
#define WIDGET_BROKEN_H

#include <stdint.h>

#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) WidgetState {
    uint32_t ctrl;
    uint8_t mode;
    uint8_t fifo_len;
    uint8_t fifo[16] QIDL(size_is, fifo_len);
    uint8_t irq_level QIDL(default, 0);
    uint32_t status;
} WidgetState;

#endif
