/* Tests: nested structs by value, typedef'd and tagged structs, anonymous
 * nested structs, fixed arrays (multi-dimensional, of structs), size_is
 * arrays (in-struct capacity, constant, heap pointer + count), strings
 * (char[N] and char *), optional fields, and the pointer markers
 * (derived, immutable, elsewhere, type_is). */
#ifndef SHAPES_H
#define SHAPES_H

#include <stdbool.h>
#include <stdint.h>

#include <qidl/qidl.h>

#define SHAPES_FIFO_CAP 16

typedef struct Timer Timer;     /* opaque: only ever derived */
struct Bus;

struct reg {
    uint16_t lo;
    int32_t hi;
};

typedef struct {
    bool enabled;
    uint8_t mode;
} Inner;

typedef struct QIDL_STRUCT(1, 1) Child {
    uint32_t id;
    char *tag QIDL(string);
} Child;

typedef struct QIDL_STRUCT(3, 2) Shapes {
    Inner inner;
    struct reg regs[2];
    uint16_t matrix[2][3];
    struct {
        uint8_t a;
        int16_t b[2];
    } anon;
    uint8_t fifo_len;
    uint8_t fifo[SHAPES_FIFO_CAP] QIDL(size_is, fifo_len);
    uint32_t first[8] QIDL(size_is, 4);
    uint32_t nwords;
    uint32_t *words QIDL(size_is, nwords);
    uint16_t nchildren;
    Child *children QIDL(size_is, nchildren);
    char name[8] QIDL(string);
    char *label QIDL(string);
    bool has_extra;
    uint32_t extra QIDL(optional) QIDL(version, 3);
    Child *owned QIDL(type_is, Child);
    Timer *timer QIDL(derived);
    struct Bus *bus QIDL(elsewhere);
    void *opaque QIDL(immutable);
    void (*notify)(void *opaque) QIDL(immutable);
    uint32_t pending QIDL(broken);
} Shapes;

#endif
