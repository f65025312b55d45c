/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The legacy input visitor: reads QEMU's VMState wire encoding (see
 * legacy.h) from a caller's buffer into the visited object.
 *
 * The bytes are untrusted.  Every read checks the bytes left first, and
 * each callback writes to the object only once its value has been read
 * and checked, so a failed call leaves the value untouched.
 */
#include <string.h>

#include <qidl/legacy.h>
#include <qidl/visitor-impl.h>

#include "legacy-private.h"

/*
 * Owned by the caller of qidl_legacy_input_visitor_new() until
 * qidl_visitor_free(); @data is borrowed and outlives it.
 */
typedef struct {
    QidlVisitor parent;
    const guint8 *data;
    gsize len;
    gsize pos;            /* bytes consumed */
    gsize base_offset;    /* offset of data[0] in the caller's stream */
    QidlLegacyInputFlags flags;
} LegacyInput;

/* Takes const so that the const getter can use it too. */
static LegacyInput *to_li(const QidlVisitor *v)
{
    return (LegacyInput *)v;
}

/* The offset error messages report for data[pos]. */
static gsize stream_offset(const LegacyInput *li, gsize pos)
{
    return li->base_offset + pos;
}

/*
 * Consumes @n bytes and returns where they start, or NULL with
 * QIDL_ERROR_TRUNCATED if fewer are left.
 */
static const guint8 *take(QidlVisitor *v, gsize n, GError **error)
{
    LegacyInput *li = to_li(v);
    gsize left = li->len - li->pos;
    const guint8 *p;

    if (n > left) {
        qidl_visitor__error(v, error, QIDL_ERROR_TRUNCATED,
                            "need %" G_GSIZE_FORMAT " byte%s at byte offset "
                            "%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT " left",
                            n, n == 1 ? "" : "s",
                            stream_offset(li, li->pos), left);
        return NULL;
    }
    p = li->data + li->pos;
    li->pos += n;
    return p;
}

/* The stream offset of @p, a pointer returned by take(). */
static gsize offset_of(QidlVisitor *v, const guint8 *p)
{
    LegacyInput *li = to_li(v);

    return stream_offset(li, (gsize)(p - li->data));
}

/* Structs add nothing to the wire. */
static gboolean legacy_in_start_struct(QidlVisitor *v, const char *name,
                                       GError **error)
{
    return TRUE;
}

static gboolean legacy_in_end_struct(QidlVisitor *v, GError **error)
{
    return TRUE;
}

/*
 * A sized list's count is an earlier field: the wire holds only its
 * elements, and a size_is heap array is allocated from the count as soon
 * as this returns.  Each element takes at least one byte, unless it has
 * nothing to save (an empty struct), so a count above the bytes left
 * cannot be backed by the input: refused here, before the allocation,
 * unless the list is small enough that no input needs to back it
 * (QIDL_LIMIT_LEGACY_UNBACKED, which lists of empty elements stay within).
 */
static gboolean check_sized_list(QidlVisitor *v, guint32 count,
                                 gsize elem_size, GError **error)
{
    LegacyInput *li = to_li(v);
    gsize left = li->len - li->pos;

    if (count <= left ||
        (guint64)count * elem_size <= QIDL_LIMIT_LEGACY_UNBACKED) {
        return TRUE;
    }
    return qidl_visitor__error(v, error, QIDL_ERROR_TRUNCATED,
                               "%" G_GUINT32_FORMAT " elements at byte "
                               "offset %" G_GSIZE_FORMAT " need at least as "
                               "many bytes, %" G_GSIZE_FORMAT " left", count,
                               stream_offset(li, li->pos), left);
}

/*
 * Only a counted list carries its count.  It is bounded here, before
 * *count is written, and by the element limit alone: an element may take
 * no bytes (an empty struct), so the bytes left bound nothing.
 */
static gboolean legacy_in_start_list(QidlVisitor *v, const char *name,
                                     QidlListKind kind, guint32 *count,
                                     gsize elem_size, GError **error)
{
    const guint8 *p;
    guint32 n;

    if (kind == QIDL_LIST_SIZED) {
        return check_sized_list(v, *count, elem_size, error);
    }
    if (kind != QIDL_LIST_COUNTED) {
        return TRUE;
    }
    p = take(v, sizeof(n), error);
    if (!p) {
        return FALSE;
    }
    memcpy(&n, p, sizeof(n));
    n = GUINT32_FROM_BE(n);
    if (n > QIDL_LIMIT_LIST_LEN) {
        return qidl_visitor__error(v, error, QIDL_ERROR_LIMIT,
                                   "count %" G_GUINT32_FORMAT " at byte "
                                   "offset %" G_GSIZE_FORMAT " exceeds the "
                                   "limit of %u", n, offset_of(v, p),
                                   QIDL_LIMIT_LIST_LEN);
    }
    *count = n;
    return TRUE;
}

static gboolean legacy_in_end_list(QidlVisitor *v, GError **error)
{
    return TRUE;
}

static gboolean legacy_in_scalar(QidlVisitor *v, const char *name,
                                 QidlKind kind, void *obj, GError **error)
{
    gsize size = qidl_kind_size(kind);
    const guint8 *p;
    guint16 u16;
    guint32 u32;
    guint64 u64;

    p = take(v, size, error);
    if (!p) {
        return FALSE;
    }
    switch (kind) {
    case QIDL_KIND_BOOL:
        /* Any other byte would be a bool the compiler assumes impossible. */
        if (p[0] > 1) {
            return qidl_visitor__error(v, error, QIDL_ERROR_INVALID,
                                       "invalid bool value %u at byte "
                                       "offset %" G_GSIZE_FORMAT,
                                       p[0], offset_of(v, p));
        }
        *(bool *)obj = p[0] == 1;
        return TRUE;
    case QIDL_KIND_INT8:
    case QIDL_KIND_UINT8:
        memcpy(obj, p, 1);
        return TRUE;
    case QIDL_KIND_INT16:
    case QIDL_KIND_UINT16:
        memcpy(&u16, p, sizeof(u16));
        u16 = GUINT16_FROM_BE(u16);
        memcpy(obj, &u16, sizeof(u16));
        return TRUE;
    case QIDL_KIND_INT32:
    case QIDL_KIND_UINT32:
    case QIDL_KIND_FLOAT:
        memcpy(&u32, p, sizeof(u32));
        u32 = GUINT32_FROM_BE(u32);
        memcpy(obj, &u32, sizeof(u32));
        return TRUE;
    case QIDL_KIND_INT64:
    case QIDL_KIND_UINT64:
    case QIDL_KIND_DOUBLE:
        memcpy(&u64, p, sizeof(u64));
        u64 = GUINT64_FROM_BE(u64);
        memcpy(obj, &u64, sizeof(u64));
        return TRUE;
    default:
        g_return_val_if_reached(FALSE);
    }
}

/*
 * A fixed or sized array: its elements back to back, read as
 * legacy_in_scalar() reads each, with the same errors.  On truncation the
 * elements that are there are loaded, then the first missing one fails.
 */
static gboolean legacy_in_scalar_array(QidlVisitor *v, const char *name,
                                       QidlKind kind, QidlListKind list_kind,
                                       guint32 count, void *array,
                                       GError **error)
{
    LegacyInput *li = to_li(v);
    gsize size = qidl_kind_size(kind);
    gsize left = li->len - li->pos;
    guint32 n = (gsize)count * size > left ? (guint32)(left / size) : count;
    const guint8 *p = li->data + li->pos;
    guint8 *dst = array;

    switch (kind) {
    case QIDL_KIND_BOOL:
        for (guint32 i = 0; i < n; i++) {
            /* As legacy_in_scalar(): no bool the compiler cannot hold. */
            if (p[i] > 1) {
                return qidl_visitor__element_error(
                    v, i, error, QIDL_ERROR_INVALID, "invalid bool value %u "
                    "at byte offset %" G_GSIZE_FORMAT, p[i],
                    offset_of(v, p + i));
            }
            ((bool *)array)[i] = p[i] == 1;
        }
        break;
    case QIDL_KIND_INT8:
    case QIDL_KIND_UINT8:
        if (n > 0) {
            memcpy(dst, p, n);
        }
        break;
    case QIDL_KIND_INT16:
    case QIDL_KIND_UINT16:
        for (guint32 i = 0; i < n; i++) {
            guint16 x;

            memcpy(&x, p + i * size, sizeof(x));
            x = GUINT16_FROM_BE(x);
            memcpy(dst + i * size, &x, sizeof(x));
        }
        break;
    case QIDL_KIND_INT32:
    case QIDL_KIND_UINT32:
    case QIDL_KIND_FLOAT:
        for (guint32 i = 0; i < n; i++) {
            guint32 x;

            memcpy(&x, p + i * size, sizeof(x));
            x = GUINT32_FROM_BE(x);
            memcpy(dst + i * size, &x, sizeof(x));
        }
        break;
    case QIDL_KIND_INT64:
    case QIDL_KIND_UINT64:
    case QIDL_KIND_DOUBLE:
        for (guint32 i = 0; i < n; i++) {
            guint64 x;

            memcpy(&x, p + i * size, sizeof(x));
            x = GUINT64_FROM_BE(x);
            memcpy(dst + i * size, &x, sizeof(x));
        }
        break;
    default:
        g_return_val_if_reached(FALSE);
    }
    li->pos += (gsize)n * size;
    if (n < count) {
        left = li->len - li->pos;
        return qidl_visitor__element_error(
            v, n, error, QIDL_ERROR_TRUNCATED, "need %" G_GSIZE_FORMAT
            " byte%s at byte offset %" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT
            " left", size, size == 1 ? "" : "s",
            stream_offset(li, li->pos), left);
    }
    return TRUE;
}


/*
 * A run of fields: their values back to back, each read as
 * legacy_in_scalar() reads it.  A field whose value is not all there, or
 * a bool other than 0 or 1, goes to legacy_in_scalar() with its segment
 * pushed, which fails as the field's own visit would; the fields before
 * it are loaded.
 */
static inline G_ALWAYS_INLINE gboolean
legacy_in_fields(QidlVisitor *v, const QidlScalarField *fields,
                 const QidlFieldCheck *checks, const gboolean checked,
                 guint n_fields, void *base, GError **error)
{
    LegacyInput *li = to_li(v);

    for (guint i = 0; i < n_fields; i++) {
        const QidlScalarField *f = &fields[i];
        const QidlFieldCheck *chk =
            checked && checks[i].check != QIDL_SCALAR_CHECK_NONE ?
            &checks[i] : NULL;
        /* A checked field is read here and stored once it passed. */
        guint64 tmp = 0;
        guint8 *obj = G_UNLIKELY(chk) ? (guint8 *)&tmp :
                      (guint8 *)base + f->offset;
        const guint8 *p = li->data + li->pos;
        gsize left = li->len - li->pos;

        switch (f->kind) {
        case QIDL_KIND_BOOL:
            if (left < 1 || p[0] > 1) {
                goto slow;
            }
            *(bool *)obj = p[0] == 1;
            li->pos += 1;
            goto stored;
        case QIDL_KIND_INT8:
        case QIDL_KIND_UINT8:
            if (left < 1) {
                goto slow;
            }
            obj[0] = p[0];
            li->pos += 1;
            goto stored;
        case QIDL_KIND_INT16:
        case QIDL_KIND_UINT16: {
            guint16 x;

            if (left < sizeof(x)) {
                goto slow;
            }
            memcpy(&x, p, sizeof(x));
            x = GUINT16_FROM_BE(x);
            memcpy(obj, &x, sizeof(x));
            li->pos += sizeof(x);
            goto stored;
        }
        case QIDL_KIND_INT32:
        case QIDL_KIND_UINT32:
        case QIDL_KIND_FLOAT: {
            guint32 x;

            if (left < sizeof(x)) {
                goto slow;
            }
            memcpy(&x, p, sizeof(x));
            x = GUINT32_FROM_BE(x);
            memcpy(obj, &x, sizeof(x));
            li->pos += sizeof(x);
            goto stored;
        }
        default: {
            /* int64, uint64, double: the core checked the kinds. */
            guint64 x;

            if (left < sizeof(x)) {
                goto slow;
            }
            memcpy(&x, p, sizeof(x));
            x = GUINT64_FROM_BE(x);
            memcpy(obj, &x, sizeof(x));
            li->pos += sizeof(x);
            goto stored;
        }
        }
slow:
        qidl_visitor__push_field(v, f);
        if (!legacy_in_scalar(v, f->name, f->kind, obj, error)) {
            return FALSE;
        }
        qidl_visitor__pop_field(v);
stored:
        if (G_UNLIKELY(chk)) {
            if (!qidl_visitor__field_ok(f, chk, &tmp)) {
                return qidl_visitor__check_field(v, f, chk, &tmp, error);
            }
            memcpy((guint8 *)base + f->offset, &tmp,
                   qidl_kind__scalar_size(f->kind));
        }
    }
    return TRUE;
}

/* Made twice, as the stream reader's: without checks, and with them. */
static gboolean legacy_in_scalar_fields(QidlVisitor *v,
                                        const QidlScalarField *fields,
                                        const QidlFieldCheck *checks,
                                        guint n_fields, void *base,
                                        GError **error)
{
    return checks ?
        legacy_in_fields(v, fields, checks, TRUE, n_fields, base, error) :
        legacy_in_fields(v, fields, NULL, FALSE, n_fields, base, error);
}

/* A length byte, then the bytes (qemu_get_counted_string). */
static gboolean legacy_in_string(QidlVisitor *v, const char *name,
                                 char **obj, GError **error)
{
    const guint8 *len_p;
    const guint8 *p;
    char *value;

    len_p = take(v, 1, error);
    if (!len_p) {
        return FALSE;
    }
    p = take(v, len_p[0], error);
    if (!p) {
        return FALSE;
    }
    /* A NUL would silently cut the string short of what was saved. */
    if (memchr(p, 0, len_p[0])) {
        return qidl_visitor__error(v, error, QIDL_ERROR_INVALID,
                                   "string at byte offset %" G_GSIZE_FORMAT
                                   " holds a NUL byte", offset_of(v, p));
    }
    value = g_malloc(len_p[0] + 1u);
    memcpy(value, p, len_p[0]);
    value[len_p[0]] = '\0';
    *obj = value;
    return TRUE;
}

/*
 * VMSTATE_BUFFER: all @capacity bytes, of which a NUL must end the string.
 * The source cannot hold a longer string than fits, so a missing NUL is
 * malformed input rather than a limit; bytes after the NUL are ignored.
 */
static gboolean legacy_in_string_buf(QidlVisitor *v, const char *name,
                                     char *buf, gsize capacity,
                                     GError **error)
{
    const guint8 *p;
    const guint8 *nul;
    gsize len;

    p = take(v, capacity, error);
    if (!p) {
        return FALSE;
    }
    nul = memchr(p, 0, capacity);
    if (!nul) {
        return qidl_visitor__error(v, error, QIDL_ERROR_INVALID,
                                   "char[%" G_GSIZE_FORMAT "] at byte offset "
                                   "%" G_GSIZE_FORMAT " holds no "
                                   "terminating NUL", capacity,
                                   offset_of(v, p));
    }
    len = (gsize)(nul - p);
    memcpy(buf, p, len);
    memset(buf + len, 0, capacity - len);
    return TRUE;
}

static gboolean legacy_in_bytes(QidlVisitor *v, const char *name,
                                guint8 *buf, gsize len, GError **error)
{
    const guint8 *p = take(v, len, error);

    if (!p) {
        return FALSE;
    }
    if (len > 0) {
        /* @buf may be NULL for an empty buffer. */
        memcpy(buf, p, len);
    }
    return TRUE;
}

static gboolean legacy_in_optional(QidlVisitor *v, const char *name,
                                   QidlPresence how, bool *present,
                                   GError **error)
{
    const guint8 *p;

    if (how == QIDL_PRESENCE_DEFAULT) {
        /* The output always writes the value. */
        *present = true;
        return TRUE;
    }
    p = take(v, 1, error);
    if (!p) {
        return FALSE;
    }
    if (p[0] > 1) {
        return qidl_visitor__error(v, error, QIDL_ERROR_INVALID,
                                   "invalid presence byte %u at byte "
                                   "offset %" G_GSIZE_FORMAT,
                                   p[0], offset_of(v, p));
    }
    *present = p[0] == 1;
    return TRUE;
}

/*
 * A subsection is present when the next bytes are QEMU's subsection header
 * with this name; otherwise nothing is consumed (QEMU writes a subsection
 * only when it is needed, and a later subsection may come next).
 */
static gboolean legacy_in_start_subsection(QidlVisitor *v, const char *name,
                                           guint32 version, bool *present,
                                           GError **error)
{
    LegacyInput *li = to_li(v);
    gsize len = strlen(name);
    gsize left = li->len - li->pos;
    const guint8 *p = li->data + li->pos;
    const guint8 *vp;
    guint32 found;

    if (left < 2 + len || p[0] != LEGACY_SUBSECTION_MARKER || p[1] != len ||
        memcmp(p + 2, name, len) != 0) {
        *present = false;
        return TRUE;
    }
    li->pos += 2 + len;
    vp = take(v, 4, error);
    if (!vp) {
        return FALSE;
    }
    found = (guint32)vp[0] << 24 | (guint32)vp[1] << 16 |
            (guint32)vp[2] << 8 | vp[3];
    if (found > version) {
        return qidl_visitor__error(v, error, QIDL_ERROR_VERSION,
                                   "subsection version %" G_GUINT32_FORMAT
                                   " at byte offset %" G_GSIZE_FORMAT
                                   " is newer than %" G_GUINT32_FORMAT,
                                   found, offset_of(v, vp), version);
    }
    *present = true;
    return TRUE;
}

static gboolean legacy_in_end_subsection(QidlVisitor *v, GError **error)
{
    return TRUE;
}

static gboolean legacy_in_complete(QidlVisitor *v, GError **error)
{
    LegacyInput *li = to_li(v);
    gsize left = li->len - li->pos;

    if (left > 0 && !(li->flags & QIDL_LEGACY_INPUT_ALLOW_TRAILING)) {
        return qidl_visitor__error(v, error, QIDL_ERROR_UNKNOWN_FIELD,
                                   "%" G_GSIZE_FORMAT " trailing byte%s at "
                                   "byte offset %" G_GSIZE_FORMAT,
                                   left, left == 1 ? "" : "s",
                                   stream_offset(li, li->pos));
    }
    return TRUE;
}

static void legacy_in_free(QidlVisitor *v)
{
    g_free(to_li(v));
}

QidlVisitor *qidl_legacy_input_visitor_new(const guint8 *data, gsize len,
                                           gsize base_offset,
                                           QidlLegacyInputFlags flags)
{
    LegacyInput *li;

    g_return_val_if_fail(data != NULL || len == 0, NULL);
    /* Every offset reported must be representable. */
    g_return_val_if_fail(len <= G_MAXSIZE - base_offset, NULL);
    g_return_val_if_fail((flags & ~QIDL_LEGACY_INPUT_ALLOW_TRAILING) == 0,
                         NULL);

    li = g_new0(LegacyInput, 1);
    /* No arithmetic on a NULL pointer, not even + 0: empty input reads
     * from a byte that is never read. */
    li->data = data ? data : (const guint8 *)"";
    li->len = len;
    li->base_offset = base_offset;
    li->flags = flags;
    li->parent.start_struct = legacy_in_start_struct;
    li->parent.end_struct = legacy_in_end_struct;
    li->parent.start_list = legacy_in_start_list;
    li->parent.end_list = legacy_in_end_list;
    li->parent.scalar = legacy_in_scalar;
    li->parent.scalar_array = legacy_in_scalar_array;
    li->parent.scalar_fields = legacy_in_scalar_fields;
    li->parent.string = legacy_in_string;
    li->parent.string_buf = legacy_in_string_buf;
    li->parent.bytes = legacy_in_bytes;
    li->parent.optional = legacy_in_optional;
    li->parent.start_subsection = legacy_in_start_subsection;
    li->parent.end_subsection = legacy_in_end_subsection;
    li->parent.complete = legacy_in_complete;
    li->parent.free = legacy_in_free;
    qidl_visitor__init(&li->parent, QIDL_VISITOR_INPUT);
    return &li->parent;
}

gsize qidl_legacy_input_visitor_get_offset(const QidlVisitor *v)
{
    g_return_val_if_fail(v != NULL, 0);
    /* The free callback identifies the implementation. */
    g_return_val_if_fail(v->free == legacy_in_free, 0);

    return to_li(v)->pos;
}
