/* An annotated device of a project that uses QIDL from outside. */
#ifndef WIDGET_H
#define WIDGET_H

#include <stdbool.h>
#include <stdint.h>

#include <qidl/qidl.h>

#include "widget-regs.h"

typedef struct QIDL_STRUCT(1, 1) Widget {
    uint8_t count;
    uint8_t fifo[8] QIDL(size_is, count);
    uint8_t sel QIDL(index_of, fifo);
    bool busy QIDL(derived);
    struct {
        uint32_t lo;
        uint32_t hi;
    } window;
    uint32_t tick QIDL(default, 0);
    uint32_t iobase QIDL(property, "iobase", 0x100);
} Widget;

#endif
