/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A struct with a field of every scalar kind, whose fields are visited as
 * one run: with qidl_visit_scalar_fields(), or field by field with
 * qidl_visit_scalar() as its contract defines it.  The fixture of each
 * visitor's tests that the two are the same.
 */
#ifndef QIDL_TESTS_FIELDS_H
#define QIDL_TESTS_FIELDS_H

#include <qidl/visitor.h>

typedef struct {
    guint8 head;        /* visited on its own, before the run */
    bool flag;          /* the run: fields_run[] */
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
    guint8 tail;        /* visited on its own, after the run */
} FieldsDev;

#define FIELDS_RUN_LEN 11

/* The run: flag .. d, in declaration order. */
extern const QidlScalarField fields_run[FIELDS_RUN_LEN];

/* Fills @d with distinctive values, flag true. */
void fields_dev_init(FieldsDev *d);

/*
 * Visits @obj as a struct called @name: head, the fields of @run (@n of
 * them, fields_run or another table of FieldsDev fields) in one call if
 * @bulk, else one qidl_visit_scalar() per field, then tail.
 */
gboolean fields_dev_visit(QidlVisitor *v, const char *name, FieldsDev *obj,
                          const QidlScalarField *run, guint n,
                          gboolean bulk, GError **error);

#endif /* QIDL_TESTS_FIELDS_H */
