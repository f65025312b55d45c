/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "fields.h"

#define FIELD(name, kind) \
    { #name, offsetof(FieldsDev, name), kind, sizeof(#name) - 1 }

const QidlScalarField fields_run[FIELDS_RUN_LEN] = {
    FIELD(flag, QIDL_KIND_BOOL),
    FIELD(i8, QIDL_KIND_INT8),
    FIELD(u8, QIDL_KIND_UINT8),
    FIELD(i16, QIDL_KIND_INT16),
    FIELD(u16, QIDL_KIND_UINT16),
    FIELD(i32, QIDL_KIND_INT32),
    FIELD(u32, QIDL_KIND_UINT32),
    FIELD(i64, QIDL_KIND_INT64),
    FIELD(u64, QIDL_KIND_UINT64),
    FIELD(f, QIDL_KIND_FLOAT),
    FIELD(d, QIDL_KIND_DOUBLE),
};

void fields_dev_init(FieldsDev *d)
{
    *d = (FieldsDev) {
        .head = 0xa5,
        .flag = true,
        .i8 = -2,
        .u8 = 0x10,
        .i16 = -300,
        .u16 = 0xbeef,
        .i32 = -70000,
        .u32 = 0xdeadbeef,
        .i64 = G_MININT64 + 1,
        .u64 = G_MAXUINT64 - 1,
        .f = 1.5f,
        .d = -0.1,
        .tail = 0x5a,
    };
}

gboolean fields_dev_visit(QidlVisitor *v, const char *name, FieldsDev *obj,
                          const QidlScalarField *run, guint n,
                          gboolean bulk, GError **error)
{
    if (!qidl_visit_start_struct(v, name, error) ||
        !qidl_visit_uint8(v, "head", &obj->head, error)) {
        return FALSE;
    }
    if (bulk) {
        if (!qidl_visit_scalar_fields(v, run, n, obj, error)) {
            return FALSE;
        }
    } else {
        for (guint i = 0; i < n; i++) {
            if (!qidl_visit_scalar(v, run[i].name, run[i].kind,
                                   (guint8 *)obj + run[i].offset, error)) {
                return FALSE;
            }
        }
    }
    return qidl_visit_uint8(v, "tail", &obj->tail, error) &&
           qidl_visit_end_struct(v, error);
}
