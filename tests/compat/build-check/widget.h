/* Tests: the build-time compatibility check (tests/compat/meson.build).
 * schemas/widget.qidl.json is this device's schema as the previous release
 * shipped it; since then the device changed compatibly: version 2 with a
 * field added in it, a field added with a default, and a FIFO whose
 * capacity grew under size_is.  widget-broken.h is the same device changed
 * incompatibly, which the check must catch. */
#ifndef WIDGET_H
#define WIDGET_H

#include <stdint.h>

#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(2, 1) WidgetState {
    uint32_t ctrl;
    uint16_t mode;
    uint8_t fifo_len;
    uint8_t fifo[16] QIDL(size_is, fifo_len);
    uint8_t irq_level QIDL(default, 0);
    uint8_t prio QIDL(default, 3);
    uint32_t status QIDL(version, 2);
} WidgetState;

#endif
