/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sample struct with every shape a visitor must handle, and its visit
 * function written by hand the way qidl-extract generates them: the
 * fixture of the visitor tests and of the round-trip demo.
 */
#ifndef QIDL_TESTS_SAMPLE_H
#define QIDL_TESTS_SAMPLE_H

#include <qidl/visitor.h>

typedef struct {
    guint16 lo;
    gint32 hi;
} SampleReg;

typedef struct {
    bool enabled;
    guint8 mode;
} SampleInner;

#define SAMPLE_FIFO_CAP 4

typedef struct {
    bool flag;
    gint8 i8;
    guint8 u8;
    gint16 i16;
    guint16 u16;
    gint32 i32;
    guint32 u32;
    gint64 i64;
    guint64 u64;
    float f;
    double d;
    char *label;                   /* heap string */
    char name[8];                  /* string in a fixed buffer */
    guint8 blob[4];                /* opaque bytes */
    SampleInner inner;             /* nested struct */
    guint8 cmos[8];                /* fixed array of scalars */
    SampleReg regs[2];             /* array of structs */
    guint16 matrix[2][3];          /* two-dimensional array */
    guint8 fifo_len;               /* size_is for fifo */
    guint8 fifo[SAMPLE_FIFO_CAP];  /* fifo_len elements are state */
    bool has_extra;                /* optional: extra present */
    guint32 extra;
    guint8 thr;                    /* default(0) */
} Sample;

/* Fills @s with fixed, distinctive values (label is heap-allocated). */
void sample_init(Sample *s);

/* Frees what @s owns and zeroes it. */
void sample_clear(Sample *s);

/* TRUE if @a and @b hold the same state (fifo compared up to fifo_len). */
gboolean sample_equal(const Sample *a, const Sample *b);

/*
 * Visits @obj.  On input, fifo_len is checked against the capacity before
 * fifo is touched.  A loaded label is stored without freeing the previous
 * one, so callers load into a zeroed Sample.
 */
gboolean sample_visit(QidlVisitor *v, const char *name, Sample *obj,
                      GError **error);

#endif /* QIDL_TESTS_SAMPLE_H */
