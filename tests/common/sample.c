/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "sample.h"

void sample_init(Sample *s)
{
    *s = (Sample) {
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
        .label = g_strdup("com1"),
        .name = "rtc",
        .blob = { 0x00, 0xff, 0x10, 0x7f },
        .inner = { .enabled = true, .mode = 3 },
        .cmos = { 0x26, 0x02, 0x00, 0x80, 0x01, 0x02, 0x03, 0x04 },
        .regs = { { .lo = 0x1234, .hi = -1 }, { .lo = 0xffff, .hi = 7 } },
        .matrix = { { 1, 2, 3 }, { 0x100, 0x200, 0x300 } },
        .fifo_len = 2,
        .fifo = { 0x41, 0x42 },
        .has_extra = true,
        .extra = 42,
        .thr = 0,
    };
}

void sample_clear(Sample *s)
{
    g_free(s->label);
    memset(s, 0, sizeof(*s));
}

gboolean sample_equal(const Sample *a, const Sample *b)
{
    return a->flag == b->flag && a->i8 == b->i8 && a->u8 == b->u8 &&
           a->i16 == b->i16 && a->u16 == b->u16 && a->i32 == b->i32 &&
           a->u32 == b->u32 && a->i64 == b->i64 && a->u64 == b->u64 &&
           memcmp(&a->f, &b->f, sizeof(a->f)) == 0 &&
           memcmp(&a->d, &b->d, sizeof(a->d)) == 0 &&
           g_strcmp0(a->label ? a->label : "", b->label ? b->label : "") == 0 &&
           strcmp(a->name, b->name) == 0 &&
           memcmp(a->blob, b->blob, sizeof(a->blob)) == 0 &&
           a->inner.enabled == b->inner.enabled &&
           a->inner.mode == b->inner.mode &&
           memcmp(a->cmos, b->cmos, sizeof(a->cmos)) == 0 &&
           a->regs[0].lo == b->regs[0].lo && a->regs[0].hi == b->regs[0].hi &&
           a->regs[1].lo == b->regs[1].lo && a->regs[1].hi == b->regs[1].hi &&
           memcmp(a->matrix, b->matrix, sizeof(a->matrix)) == 0 &&
           a->fifo_len == b->fifo_len &&
           memcmp(a->fifo, b->fifo, a->fifo_len) == 0 &&
           a->has_extra == b->has_extra &&
           (!a->has_extra || a->extra == b->extra) &&
           a->thr == b->thr;
}

static gboolean visit_inner(QidlVisitor *v, const char *name,
                            SampleInner *obj, GError **error)
{
    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_bool(v, "enabled", &obj->enabled, error) &&
           qidl_visit_uint8(v, "mode", &obj->mode, error) &&
           qidl_visit_end_struct(v, error);
}

static gboolean visit_reg(QidlVisitor *v, const char *name, SampleReg *obj,
                          GError **error)
{
    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_uint16(v, "lo", &obj->lo, error) &&
           qidl_visit_int32(v, "hi", &obj->hi, error) &&
           qidl_visit_end_struct(v, error);
}

static gboolean visit_uint8_array(QidlVisitor *v, const char *name,
                                  QidlListKind kind, guint8 *arr,
                                  guint32 n, GError **error)
{
    if (!qidl_visit_start_list(v, name, kind, &n, sizeof(arr[0]), error)) {
        return FALSE;
    }
    for (guint32 i = 0; i < n; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_uint8(v, NULL, &arr[i], error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error);
}

static gboolean visit_regs(QidlVisitor *v, Sample *obj, GError **error)
{
    guint32 n = G_N_ELEMENTS(obj->regs);

    if (!qidl_visit_start_list(v, "regs", QIDL_LIST_FIXED, &n,
                               sizeof(obj->regs[0]), error)) {
        return FALSE;
    }
    for (guint32 i = 0; i < n; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !visit_reg(v, NULL, &obj->regs[i], error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error);
}

static gboolean visit_matrix(QidlVisitor *v, Sample *obj, GError **error)
{
    guint32 rows = G_N_ELEMENTS(obj->matrix);

    if (!qidl_visit_start_list(v, "matrix", QIDL_LIST_FIXED, &rows,
                               sizeof(obj->matrix[0]), error)) {
        return FALSE;
    }
    for (guint32 i = 0; i < rows; i++) {
        guint32 cols = G_N_ELEMENTS(obj->matrix[0]);

        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_start_list(v, NULL, QIDL_LIST_FIXED, &cols,
                                   sizeof(obj->matrix[0][0]), error)) {
            return FALSE;
        }
        for (guint32 j = 0; j < cols; j++) {
            if (!qidl_visit_next_list(v, error) ||
                !qidl_visit_uint16(v, NULL, &obj->matrix[i][j], error)) {
                return FALSE;
            }
        }
        if (!qidl_visit_end_list(v, error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error);
}

gboolean sample_visit(QidlVisitor *v, const char *name, Sample *obj,
                      GError **error)
{
    bool present;

    if (!qidl_visit_start_struct(v, name, error) ||
        !qidl_visit_bool(v, "flag", &obj->flag, error) ||
        !qidl_visit_int8(v, "i8", &obj->i8, error) ||
        !qidl_visit_uint8(v, "u8", &obj->u8, error) ||
        !qidl_visit_int16(v, "i16", &obj->i16, error) ||
        !qidl_visit_uint16(v, "u16", &obj->u16, error) ||
        !qidl_visit_int32(v, "i32", &obj->i32, error) ||
        !qidl_visit_uint32(v, "u32", &obj->u32, error) ||
        !qidl_visit_int64(v, "i64", &obj->i64, error) ||
        !qidl_visit_uint64(v, "u64", &obj->u64, error) ||
        !qidl_visit_float(v, "f", &obj->f, error) ||
        !qidl_visit_double(v, "d", &obj->d, error) ||
        !qidl_visit_string(v, "label", &obj->label, error) ||
        !qidl_visit_string_buf(v, "name", obj->name, sizeof(obj->name),
                               error) ||
        !qidl_visit_bytes(v, "blob", obj->blob, sizeof(obj->blob), error) ||
        !visit_inner(v, "inner", &obj->inner, error) ||
        !visit_uint8_array(v, "cmos", QIDL_LIST_FIXED, obj->cmos,
                           G_N_ELEMENTS(obj->cmos), error) ||
        !visit_regs(v, obj, error) ||
        !visit_matrix(v, obj, error) ||
        !qidl_visit_uint8(v, "fifo_len", &obj->fifo_len, error)) {
        return FALSE;
    }
    /* size_is(fifo_len): bound the loaded count before touching fifo. */
    if (obj->fifo_len > SAMPLE_FIFO_CAP) {
        return qidl_visitor_fail(v, "fifo_len", error, QIDL_ERROR_CONSTRAINT,
                                 "%u exceeds the capacity of fifo (%u)",
                                 obj->fifo_len, SAMPLE_FIFO_CAP);
    }
    if (!visit_uint8_array(v, "fifo", QIDL_LIST_SIZED, obj->fifo,
                           obj->fifo_len, error)) {
        return FALSE;
    }

    present = obj->has_extra;
    if (!qidl_visit_optional(v, "extra", QIDL_PRESENCE_FLAG, &present,
                             error)) {
        return FALSE;
    }
    obj->has_extra = present;
    if (present && !qidl_visit_uint32(v, "extra", &obj->extra, error)) {
        return FALSE;
    }

    present = obj->thr != 0;
    if (!qidl_visit_optional(v, "thr", QIDL_PRESENCE_DEFAULT, &present,
                             error)) {
        return FALSE;
    }
    if (!present && qidl_visitor_is_input(v)) {
        obj->thr = 0;
    }
    if (present && !qidl_visit_uint8(v, "thr", &obj->thr, error)) {
        return FALSE;
    }
    return qidl_visit_end_struct(v, error);
}
