/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The legacy output visitor: appends QEMU's VMState wire encoding of each
 * visited value to a caller's GByteArray (see legacy.h for the format).
 */
#include <string.h>

#include <qidl/legacy.h>
#include <qidl/visitor-impl.h>

#include "legacy-private.h"

/*
 * Owned by the caller of qidl_legacy_output_visitor_new() until
 * qidl_visitor_free(); @out is borrowed and outlives it.
 */
typedef struct {
    QidlVisitor parent;
    GByteArray *out;
} LegacyOutput;

static LegacyOutput *to_lo(QidlVisitor *v)
{
    return (LegacyOutput *)v;
}

/*
 * GByteArray counts in guint and aborts rather than fail when that would
 * overflow, so refuse first.
 */
static gboolean check_room(QidlVisitor *v, gsize len, GError **error)
{
    if (len > G_MAXUINT - to_lo(v)->out->len) {
        return qidl_visitor__error(v, error, QIDL_ERROR_LIMIT,
                                   "%" G_GSIZE_FORMAT " more bytes would "
                                   "make the output longer than %u bytes",
                                   len, G_MAXUINT);
    }
    return TRUE;
}

static gboolean put(QidlVisitor *v, const void *data, gsize len,
                    GError **error)
{
    if (!check_room(v, len, error)) {
        return FALSE;
    }
    if (len > 0) {
        /* @data may be NULL for an empty byte buffer. */
        g_byte_array_append(to_lo(v)->out, data, (guint)len);
    }
    return TRUE;
}

static gboolean put_zeros(QidlVisitor *v, gsize len, GError **error)
{
    GByteArray *out = to_lo(v)->out;
    guint old_len = out->len;

    if (!check_room(v, len, error)) {
        return FALSE;
    }
    g_byte_array_set_size(out, old_len + (guint)len);
    memset(out->data + old_len, 0, len);
    return TRUE;
}

static gboolean put_u8(QidlVisitor *v, guint8 value, GError **error)
{
    return put(v, &value, 1, error);
}

static gboolean put_be16(QidlVisitor *v, guint16 value, GError **error)
{
    guint16 be = GUINT16_TO_BE(value);

    return put(v, &be, sizeof(be), error);
}

static gboolean put_be32(QidlVisitor *v, guint32 value, GError **error)
{
    guint32 be = GUINT32_TO_BE(value);

    return put(v, &be, sizeof(be), error);
}

static gboolean put_be64(QidlVisitor *v, guint64 value, GError **error)
{
    guint64 be = GUINT64_TO_BE(value);

    return put(v, &be, sizeof(be), error);
}

/* Structs add nothing to the wire. */
static gboolean legacy_out_start_struct(QidlVisitor *v, const char *name,
                                        GError **error)
{
    return TRUE;
}

static gboolean legacy_out_end_struct(QidlVisitor *v, GError **error)
{
    return TRUE;
}

/* Only a counted list carries its count; the core bounded it already. */
static gboolean legacy_out_start_list(QidlVisitor *v, const char *name,
                                      QidlListKind kind, guint32 *count,
                                      gsize elem_size, GError **error)
{
    if (kind != QIDL_LIST_COUNTED) {
        return TRUE;
    }
    return put_be32(v, *count, error);
}

static gboolean legacy_out_end_list(QidlVisitor *v, GError **error)
{
    return TRUE;
}

static gboolean legacy_out_scalar(QidlVisitor *v, const char *name,
                                  QidlKind kind, void *obj, GError **error)
{
    guint8 u8;
    guint16 u16;
    guint32 u32;
    guint64 u64;

    switch (kind) {
    case QIDL_KIND_BOOL:
        return put_u8(v, *(bool *)obj ? 1 : 0, error);
    case QIDL_KIND_INT8:
    case QIDL_KIND_UINT8:
        memcpy(&u8, obj, sizeof(u8));
        return put_u8(v, u8, error);
    case QIDL_KIND_INT16:
    case QIDL_KIND_UINT16:
        memcpy(&u16, obj, sizeof(u16));
        return put_be16(v, u16, error);
    case QIDL_KIND_INT32:
    case QIDL_KIND_UINT32:
    case QIDL_KIND_FLOAT:
        /* A float travels as its IEEE-754 bits (qemu_put_be32). */
        memcpy(&u32, obj, sizeof(u32));
        return put_be32(v, u32, error);
    case QIDL_KIND_INT64:
    case QIDL_KIND_UINT64:
    case QIDL_KIND_DOUBLE:
        memcpy(&u64, obj, sizeof(u64));
        return put_be64(v, u64, error);
    default:
        g_return_val_if_reached(FALSE);
    }
}

/*
 * A fixed or sized array is its elements back to back, each as
 * legacy_out_scalar() writes it: big-endian, bools as 0 or 1.
 */
static gboolean legacy_out_scalar_array(QidlVisitor *v, const char *name,
                                        QidlKind kind, QidlListKind list_kind,
                                        guint32 count, void *array,
                                        GError **error)
{
    GByteArray *out = to_lo(v)->out;
    gsize size = qidl_kind_size(kind);
    gsize len = (gsize)count * size;
    gsize room = G_MAXUINT - out->len;
    guint8 *dst;

    if (len > room) {
        /* The elements that fit, then the error of the first that does
         * not, as element by element. */
        guint32 fit = (guint32)(room / size);

        legacy_out_scalar_array(v, name, kind, list_kind, fit, array, error);
        return qidl_visitor__element_error(v, fit, error, QIDL_ERROR_LIMIT,
                                           "%" G_GSIZE_FORMAT " more bytes "
                                           "would make the output longer "
                                           "than %u bytes", size, G_MAXUINT);
    }
    if (len == 0) {
        return TRUE;
    }
    g_byte_array_set_size(out, out->len + (guint)len);
    dst = out->data + out->len - len;
    switch (kind) {
    case QIDL_KIND_BOOL:
        for (guint32 i = 0; i < count; i++) {
            dst[i] = ((const bool *)array)[i] ? 1 : 0;
        }
        break;
    case QIDL_KIND_INT8:
    case QIDL_KIND_UINT8:
        memcpy(dst, array, len);
        break;
    case QIDL_KIND_INT16:
    case QIDL_KIND_UINT16:
        for (guint32 i = 0; i < count; i++) {
            guint16 x;

            memcpy(&x, (const guint8 *)array + i * size, sizeof(x));
            x = GUINT16_TO_BE(x);
            memcpy(dst + i * size, &x, sizeof(x));
        }
        break;
    case QIDL_KIND_INT32:
    case QIDL_KIND_UINT32:
    case QIDL_KIND_FLOAT:
        for (guint32 i = 0; i < count; i++) {
            guint32 x;

            memcpy(&x, (const guint8 *)array + i * size, sizeof(x));
            x = GUINT32_TO_BE(x);
            memcpy(dst + i * size, &x, sizeof(x));
        }
        break;
    case QIDL_KIND_INT64:
    case QIDL_KIND_UINT64:
    case QIDL_KIND_DOUBLE:
        for (guint32 i = 0; i < count; i++) {
            guint64 x;

            memcpy(&x, (const guint8 *)array + i * size, sizeof(x));
            x = GUINT64_TO_BE(x);
            memcpy(dst + i * size, &x, sizeof(x));
        }
        break;
    default:
        g_return_val_if_reached(FALSE);
    }
    return TRUE;
}

/*
 * A run of fields is their values back to back, each as
 * legacy_out_scalar() writes it.  If the run does not fit in the output,
 * field by field, so that the first that does not fit names itself.
 */
static gboolean legacy_out_scalar_fields(QidlVisitor *v,
                                         const QidlScalarField *fields,
                                         const QidlFieldCheck *checks,
                                         guint n_fields, void *base,
                                         GError **error)
{
    GByteArray *out = to_lo(v)->out;
    guint start = out->len;
    gsize len = 0;
    guint8 *dst;

    /* The core checked the kinds. */
    for (guint i = 0; i < n_fields; i++) {
        len += qidl_kind__scalar_size(fields[i].kind);
    }
    if (len > G_MAXUINT - start) {
        for (guint i = 0; i < n_fields; i++) {
            qidl_visitor__push_field(v, &fields[i]);
            if (!legacy_out_scalar(v, fields[i].name, fields[i].kind,
                                   (guint8 *)base + fields[i].offset,
                                   error)) {
                return FALSE;
            }
            qidl_visitor__pop_field(v);
        }
        return TRUE;
    }
    g_byte_array_set_size(out, start + (guint)len);
    dst = out->data + start;
    for (guint i = 0; i < n_fields; i++) {
        const guint8 *obj = (const guint8 *)base + fields[i].offset;

        switch (fields[i].kind) {
        case QIDL_KIND_BOOL:
            *dst++ = *(const bool *)obj ? 1 : 0;
            break;
        case QIDL_KIND_INT8:
        case QIDL_KIND_UINT8:
            *dst++ = obj[0];
            break;
        case QIDL_KIND_INT16:
        case QIDL_KIND_UINT16: {
            guint16 x;

            memcpy(&x, obj, sizeof(x));
            x = GUINT16_TO_BE(x);
            memcpy(dst, &x, sizeof(x));
            dst += sizeof(x);
            break;
        }
        case QIDL_KIND_INT32:
        case QIDL_KIND_UINT32:
        case QIDL_KIND_FLOAT: {
            guint32 x;

            memcpy(&x, obj, sizeof(x));
            x = GUINT32_TO_BE(x);
            memcpy(dst, &x, sizeof(x));
            dst += sizeof(x);
            break;
        }
        default: {
            /* int64, uint64, double: the core checked the kinds. */
            guint64 x;

            memcpy(&x, obj, sizeof(x));
            x = GUINT64_TO_BE(x);
            memcpy(dst, &x, sizeof(x));
            dst += sizeof(x);
            break;
        }
        }
    }
    return TRUE;
}

static gboolean legacy_out_string(QidlVisitor *v, const char *name,
                                  char **obj, GError **error)
{
    gsize len = strlen(*obj);

    if (len > LEGACY_STRING_MAX) {
        return qidl_visitor__error(v, error, QIDL_ERROR_UNSUPPORTED,
                                   "string of %" G_GSIZE_FORMAT " bytes "
                                   "does not fit the legacy length byte "
                                   "(at most %u)", len, LEGACY_STRING_MAX);
    }
    /* Check the room for both parts, so a failed call appends nothing. */
    return check_room(v, 1 + len, error) &&
           put_u8(v, (guint8)len, error) && put(v, *obj, len, error);
}

/*
 * VMSTATE_BUFFER: all @capacity bytes.  What follows the terminator is
 * written as zeros, so stale bytes of an older, longer string never leak
 * into the stream; an unterminated buffer is written as it is.
 */
static gboolean legacy_out_string_buf(QidlVisitor *v, const char *name,
                                      char *buf, gsize capacity,
                                      GError **error)
{
    gsize len = strnlen(buf, capacity);

    return check_room(v, capacity, error) &&
           put(v, buf, len, error) && put_zeros(v, capacity - len, error);
}

static gboolean legacy_out_bytes(QidlVisitor *v, const char *name,
                                 guint8 *buf, gsize len, GError **error)
{
    return put(v, buf, len, error);
}

static gboolean legacy_out_optional(QidlVisitor *v, const char *name,
                                    QidlPresence how, bool *present,
                                    GError **error)
{
    if (how == QIDL_PRESENCE_DEFAULT) {
        /* Without names a reader could not tell a value was omitted. */
        *present = true;
        return TRUE;
    }
    return put_u8(v, *present ? 1 : 0, error);
}

/* QEMU's subsection header: QEMU_VM_SUBSECTION, counted name, version. */
static gboolean legacy_out_start_subsection(QidlVisitor *v, const char *name,
                                            guint32 version, bool *present,
                                            GError **error)
{
    gsize len = strlen(name);

    if (!*present) {
        return TRUE;
    }
    if (len > LEGACY_STRING_MAX) {
        return qidl_visitor__error(v, error, QIDL_ERROR_UNSUPPORTED,
                                   "subsection name of %" G_GSIZE_FORMAT
                                   " bytes does not fit the legacy length "
                                   "byte (at most %u)", len,
                                   LEGACY_STRING_MAX);
    }
    return check_room(v, 2 + len + 4, error) &&
           put_u8(v, LEGACY_SUBSECTION_MARKER, error) &&
           put_u8(v, (guint8)len, error) && put(v, name, len, error) &&
           put_be32(v, version, error);
}

static gboolean legacy_out_end_subsection(QidlVisitor *v, GError **error)
{
    return TRUE;
}

static void legacy_out_free(QidlVisitor *v)
{
    g_free(to_lo(v));
}

QidlVisitor *qidl_legacy_output_visitor_new(GByteArray *out)
{
    LegacyOutput *lo;

    g_return_val_if_fail(out != NULL, NULL);

    lo = g_new0(LegacyOutput, 1);
    lo->out = out;
    lo->parent.start_struct = legacy_out_start_struct;
    lo->parent.end_struct = legacy_out_end_struct;
    lo->parent.start_list = legacy_out_start_list;
    lo->parent.end_list = legacy_out_end_list;
    lo->parent.scalar = legacy_out_scalar;
    lo->parent.scalar_array = legacy_out_scalar_array;
    lo->parent.scalar_fields = legacy_out_scalar_fields;
    lo->parent.string = legacy_out_string;
    lo->parent.string_buf = legacy_out_string_buf;
    lo->parent.bytes = legacy_out_bytes;
    lo->parent.optional = legacy_out_optional;
    lo->parent.start_subsection = legacy_out_start_subsection;
    lo->parent.end_subsection = legacy_out_end_subsection;
    lo->parent.free = legacy_out_free;
    qidl_visitor__init(&lo->parent, QIDL_VISITOR_OUTPUT);
    return &lo->parent;
}
