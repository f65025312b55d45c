/* The register file of the widget, in a header of its own so that the
 * consumer test can check that changing it regenerates widget.qidl.*. */
#ifndef WIDGET_REGS_H
#define WIDGET_REGS_H

#include <stdint.h>

#include <qidl/qidl.h>

#define WIDGET_NREGS 4

typedef struct QIDL_STRUCT(1, 1) WidgetRegs {
    uint32_t r[WIDGET_NREGS];
} WidgetRegs;

#endif
