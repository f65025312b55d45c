/* Tests: range, index_of and check, which loaders enforce before the
 * object is touched, and property, which generates a property table. */
#ifndef CONSTRAINTS_H
#define CONSTRAINTS_H

#include <stdint.h>

#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Constrained {
    uint8_t irq QIDL(range, 0, 15);
    int16_t temp QIDL(range, -40, 125);
    double ratio QIDL(range, 0.0, 1.0);
    uint8_t regs[8] QIDL(range, 1, 200);
    uint32_t sel QIDL(index_of, regs);
    uint32_t setup_len;
    uint32_t setup_index QIDL(check, setup_index <= setup_len);
    uint32_t iobase QIDL(property, "iobase", 0x3f8);
    int32_t level QIDL(property, "level");
    char *chardev QIDL(string) QIDL(property, "chardev", "serial0");
} Constrained;

#endif
