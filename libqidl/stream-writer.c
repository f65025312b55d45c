/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The native stream writer (stream.h, docs/stream-format.md): an output
 * visitor per device that encodes straight into the stream, and the
 * tree-to-stream path built on it.
 *
 * The encoding is canonical, so every choice here is a rule of the format,
 * not a heuristic: names are defined in the record that first uses them,
 * in order of first use; a non-empty list whose elements are all scalars
 * of one kind is packed.  A list is first written with a tag per element
 * and packed in place when it ends, because only then is it known whether
 * its elements were uniform.
 *
 * Errors are sticky: the first one is kept in @sticky, later calls do
 * nothing, and end_device()/finish() report it.  The whole stream is built
 * in @stream and reaches the caller's array only when finish() succeeds.
 */
#include <zstd.h>

#include <qidl/visitor-impl.h>

#include "stream-private.h"

/* An open struct or list of the device being written. */
typedef struct {
    QidlKind kind;
    gsize start;         /* struct: offset of its field count; list: of
                            its element-kind byte (both in @payload) */
    guint32 n;           /* fields or elements written so far */
    guint64 serial;      /* struct: identifies it in @used */
    guint undo_start;    /* struct: its first entry in @undo */
    QidlKind elem_kind;  /* list: the first element's tag */
    gboolean uniform;    /* list: every element a scalar of elem_kind */
} WriteFrame;

typedef struct {
    QidlVisitor parent;
    QidlStreamWriter *w;
} WriterVisitor;

typedef struct {
    guint32 idx;
    guint64 old;
} UsedUndo;

/*
 * A growable buffer with inline appends: the state of a device is written
 * value by value, and GByteArray's out-of-line append is most of the cost
 * of a one-byte value.
 */
typedef struct {
    guint8 *data;
    gsize len;
    gsize cap;
} Buf;

static void buf_grow(Buf *b, gsize n)
{
    gsize cap = MAX(b->cap * 2, MAX(b->len + n, 256));

    b->data = g_realloc(b->data, cap);
    b->cap = cap;
}

static inline guint8 *buf_room(Buf *b, gsize n)
{
    if (G_UNLIKELY(b->cap - b->len < n)) {
        buf_grow(b, n);
    }
    return b->data + b->len;
}

static inline void buf_u8(Buf *b, guint8 v)
{
    *buf_room(b, 1) = v;
    b->len++;
}

static inline void buf_u16(Buf *b, guint16 v)
{
    guint8 *p = buf_room(b, 2);

    p[0] = v & 0xff;
    p[1] = v >> 8;
    b->len += 2;
}

static inline void buf_u32(Buf *b, guint32 v)
{
    set_u32(buf_room(b, 4), v);
    b->len += 4;
}

static inline void buf_u64(Buf *b, guint64 v)
{
    guint8 *p = buf_room(b, 8);

    set_u32(p, (guint32)v);
    set_u32(p + 4, (guint32)(v >> 32));
    b->len += 8;
}

static inline void buf_append(Buf *b, const void *data, gsize n)
{
    if (n) {
        memcpy(buf_room(b, n), data, n);
        b->len += n;
    }
}

struct QidlStreamWriter {
    GByteArray *out;           /* borrowed */
    QidlStreamWriteFlags flags;
    QidlStreamInfo *info;      /* owned copy */
    GByteArray *stream;        /* the plain stream so far */
    GHashTable *names;         /* name -> index + 1; keys in @name_list */
    GPtrArray *name_list;      /* owned strings, by index */
    GHashTable *paths;         /* instance paths written (owned keys) */
    GHashTable *top_names;     /* top-level names written (owned keys) */
    gboolean *extra_done;      /* per preserved record of @info */
    guint32 n_records;
    guint32 stream_crc;        /* CRC-32C of @stream, kept as it grows */
    GError *sticky;
    gboolean finished;

    /* The device record being written. */
    WriterVisitor *v;
    gboolean in_device;
    char *dev_type;
    char *dev_path;
    guint32 dev_version;
    Buf payload;               /* the state being written */
    guint first_new;           /* index of the first name this record defines */
    gboolean top_started;
    gboolean top_done;
    /*
     * A field visited twice in one struct is an error.  @used holds, per
     * name index, the serial + 1 of the innermost open struct that has a
     * field of that name (0: none); @undo the values a struct overwrote,
     * put back at its end_struct.  One array access per field, no hashing.
     */
    GArray *used;              /* guint64, by name index */
    GArray *undo;              /* UsedUndo */
    guint64 next_serial;
    WriteFrame frames[QIDL_LIMIT_DEPTH];
    guint n_frames;
};

static WriterVisitor *to_wv(QidlVisitor *v)
{
    return (WriterVisitor *)v;
}

/* Keeps the first error of the writer and hands the caller a copy. */
static gboolean set_sticky(QidlStreamWriter *w, GError **error, int code,
                           const char *msg)
{
    if (!w->sticky) {
        w->sticky = g_error_new_literal(QIDL_ERROR, code, msg);
    }
    if (error) {
        g_propagate_error(error, g_error_copy(w->sticky));
    }
    return FALSE;
}

/* Reports the sticky error again (it is set). */
static gboolean report_sticky(QidlStreamWriter *w, GError **error)
{
    if (error) {
        g_propagate_error(error, g_error_copy(w->sticky));
    }
    return FALSE;
}

static gboolean fail(QidlStreamWriter *w, GError **error, int code,
                     const char *format, ...) G_GNUC_PRINTF(4, 5);

static gboolean fail(QidlStreamWriter *w, GError **error, int code,
                     const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    return set_sticky(w, error, code, msg);
}

/* An error inside a device's visit: "device P (T): path: message". */
static gboolean vfail(QidlVisitor *v, GError **error, int code,
                      const char *format, ...) G_GNUC_PRINTF(4, 5);

static gboolean vfail(QidlVisitor *v, GError **error, int code,
                      const char *format, ...)
{
    QidlStreamWriter *w = to_wv(v)->w;
    g_autofree char *path = qidl_visitor_get_path(v);
    g_autofree char *msg = NULL;
    g_autofree char *full = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    full = g_strdup_printf("device %s (%s): %s%s%s", w->dev_path,
                           w->dev_type, path, *path ? ": " : "", msg);
    return set_sticky(w, error, code, full);
}

static void put_str16(GByteArray *b, const char *s)
{
    gsize len = strlen(s);

    put_u16(b, (guint16)len);
    g_byte_array_append(b, (const guint8 *)s, (guint)len);
}

/*
 * Starts a framed record of a @len-byte body: checks the limit, writes the
 * kind and the length.  The caller appends the body, then end_record().
 */
static gboolean begin_record(QidlStreamWriter *w, guint8 kind, gsize len,
                             GError **error)
{
    /* Room for this record and the end record, within the limit. */
    gsize need = STREAM_RECORD_HEAD + STREAM_RECORD_TAIL;
    gsize start = w->stream->len;

    if (len > QIDL_LIMIT_STREAM_LEN ||
        start + len + 3 * need + 8 > QIDL_LIMIT_STREAM_LEN) {
        return fail(w, error, QIDL_ERROR_LIMIT,
                    "record %" G_GUINT32_FORMAT " of %" G_GSIZE_FORMAT
                    " bytes would make the stream exceed %u bytes",
                    w->n_records, len, QIDL_LIMIT_STREAM_LEN);
    }
    put_u8(w->stream, kind);
    put_u32(w->stream, (guint32)len);
    return TRUE;
}

/* Appends the CRC-32C of the record that starts at @start. */
static void end_record(QidlStreamWriter *w, gsize start)
{
    guint32 crc = qidl_crc32c__update(0, w->stream->data + start,
                                      w->stream->len - start);

    put_u32(w->stream, crc);
    /* The stream's checksum without a second pass over the record. */
    w->stream_crc = qidl_crc32c__update(
        qidl_crc32c__combine(w->stream_crc, crc, w->stream->len - start -
                                                 STREAM_RECORD_TAIL),
        w->stream->data + w->stream->len - STREAM_RECORD_TAIL,
        STREAM_RECORD_TAIL);
    w->n_records++;
}

/*
 * Appends one framed record to the stream: kind, body length, body, and
 * the CRC-32C of all three.
 */
static gboolean append_record(QidlStreamWriter *w, guint8 kind,
                              const guint8 *body, gsize len, GError **error)
{
    gsize start = w->stream->len;

    if (!begin_record(w, kind, len, error)) {
        return FALSE;
    }
    g_byte_array_append(w->stream, body, (guint)len);
    end_record(w, start);
    return TRUE;
}

/* Preserved records placed after the device at @after (NULL: first). */
static gboolean append_extras(QidlStreamWriter *w, const char *after,
                              gboolean all, GError **error)
{
    for (guint i = 0; i < w->info->extras->len; i++) {
        const QidlStreamExtra *e = g_ptr_array_index(w->info->extras, i);
        gsize len;
        const guint8 *data;

        if (w->extra_done[i] ||
            (!all && g_strcmp0(e->after, after) != 0)) {
            continue;
        }
        w->extra_done[i] = TRUE;
        data = g_bytes_get_data(e->data, &len);
        if (!append_record(w, e->kind, data ? data : (const guint8 *)"", len,
                           error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean header_text_ok(QidlStreamWriter *w, const char *what,
                               const char *s)
{
    if (!qidl_stream__text_ok(s, strlen(s), G_MAXUINT16)) {
        return fail(w, NULL, QIDL_ERROR_INVALID,
                    "%s is not UTF-8 of at most %u bytes", what,
                    G_MAXUINT16);
    }
    return TRUE;
}

typedef struct {
    QidlStreamWriter *w;
    GByteArray *body;
    gboolean ok;
} MetaWrite;

static gboolean write_entry(gpointer key, gpointer value, gpointer data)
{
    MetaWrite *m = data;

    if (!header_text_ok(m->w, "metadata key", key) ||
        !header_text_ok(m->w, "metadata value", value)) {
        m->ok = FALSE;
        return TRUE;
    }
    put_str16(m->body, key);
    put_str16(m->body, value);
    return FALSE;
}

/* The header, the metadata record and the records placed first. */
static void write_start(QidlStreamWriter *w)
{
    const QidlStreamInfo *info = w->info;
    g_autoptr(GByteArray) body = g_byte_array_new();
    MetaWrite m = { w, body, TRUE };

    if (!header_text_ok(w, "producer", info->producer) ||
        !header_text_ok(w, "producer version", info->producer_version)) {
        return;
    }
    if (info->major != QIDL_STREAM_FORMAT_MAJOR) {
        fail(w, NULL, QIDL_ERROR_VERSION, "cannot write format %u.%u",
             info->major, info->minor);
        return;
    }
    g_byte_array_append(w->stream, qidl_stream__magic, STREAM_MAGIC_LEN);
    put_u16(w->stream, info->major);
    put_u16(w->stream, info->minor);
    put_u32(w->stream, info->flags);
    put_str16(w->stream, info->producer);
    put_str16(w->stream, info->producer_version);
    put_u32(w->stream, qidl_crc32c__update(0, w->stream->data,
                                           w->stream->len));
    w->stream_crc = qidl_crc32c__update(0, w->stream->data, w->stream->len);

    if (g_tree_nnodes(info->metadata) > 0) {
        put_u32(body, (guint32)g_tree_nnodes(info->metadata));
        g_tree_foreach(info->metadata, write_entry, &m);
        if (!m.ok ||
            !append_record(w, QIDL_STREAM_RECORD_METADATA, body->data,
                           body->len, NULL)) {
            return;
        }
    }
    append_extras(w, NULL, FALSE, NULL);
}

QidlStreamWriter *qidl_stream_writer_new_full(GByteArray *out,
                                              const QidlStreamInfo *info,
                                              QidlStreamWriteFlags flags)
{
    QidlStreamWriter *w;

    g_return_val_if_fail(out != NULL, NULL);
    g_return_val_if_fail(info != NULL, NULL);

    w = g_new0(QidlStreamWriter, 1);
    w->out = out;
    w->flags = flags;
    w->info = qidl_stream_info__copy(info);
    w->stream = g_byte_array_new();
    w->names = g_hash_table_new(g_str_hash, g_str_equal);
    w->name_list = g_ptr_array_new_with_free_func(g_free);
    w->paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w->top_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         NULL);
    w->extra_done = g_new0(gboolean, w->info->extras->len + 1);
    w->used = g_array_new(FALSE, TRUE, sizeof(guint64));
    w->undo = g_array_new(FALSE, FALSE, sizeof(UsedUndo));
    write_start(w);
    return w;
}

QidlStreamWriter *qidl_stream_writer_new(GByteArray *out,
                                         const char *producer,
                                         const char *producer_version,
                                         QidlStreamWriteFlags flags)
{
    g_autoptr(QidlStreamInfo) info = NULL;

    g_return_val_if_fail(producer != NULL, NULL);
    g_return_val_if_fail(producer_version != NULL, NULL);

    info = qidl_stream_info_new(producer, producer_version);
    return qidl_stream_writer_new_full(out, info, flags);
}

void qidl_stream_writer_free(QidlStreamWriter *w)
{
    if (!w) {
        return;
    }
    qidl_stream_info_free(w->info);
    g_byte_array_unref(w->stream);
    g_hash_table_unref(w->names);
    g_ptr_array_unref(w->name_list);
    g_hash_table_unref(w->paths);
    g_hash_table_unref(w->top_names);
    g_free(w->extra_done);
    g_free(w->payload.data);
    g_array_unref(w->used);
    g_array_unref(w->undo);
    g_free(w->dev_type);
    g_free(w->dev_path);
    if (w->v) {
        qidl_visitor_free(&w->v->parent);
    }
    if (w->sticky) {
        g_error_free(w->sticky);
    }
    g_free(w);
}

/* ---- the output visitor ---- */

/* The stream-wide index of @name, defining it if this is its first use. */
static gboolean name_ref(QidlVisitor *v, const char *name, guint16 *out,
                         GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    gpointer p = g_hash_table_lookup(w->names, name);
    gsize len;
    char *copy;

    if (p) {
        *out = (guint16)(GPOINTER_TO_UINT(p) - 1);
        return TRUE;
    }
    len = strlen(name);
    if (len == 0 || !qidl_stream__text_ok(name, len, QIDL_LIMIT_NAME_LEN)) {
        return vfail(v, error, QIDL_ERROR_INVALID,
                     "a field name must be 1 to %u bytes of UTF-8",
                     QIDL_LIMIT_NAME_LEN);
    }
    if (w->name_list->len >= QIDL_LIMIT_STREAM_NAMES) {
        return vfail(v, error, QIDL_ERROR_LIMIT,
                     "more than %u distinct field names in one stream",
                     QIDL_LIMIT_STREAM_NAMES);
    }
    copy = g_strdup(name);
    g_ptr_array_add(w->name_list, copy);
    g_hash_table_insert(w->names, copy, GUINT_TO_POINTER(w->name_list->len));
    *out = (guint16)(w->name_list->len - 1);
    return TRUE;
}

/*
 * Writes what precedes a value's body: its name index (in a struct and at
 * the top) and its tag.  Elements of a list get a tag too until end_list
 * knows whether the list is packed.
 */
static gboolean begin_value(QidlVisitor *v, const char *name, QidlKind tag,
                            GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    guint16 idx;

    if (w->n_frames == 0) {
        if (w->top_started) {
            return vfail(v, error, QIDL_ERROR_UNSUPPORTED,
                         "a device record holds one top-level value");
        }
        if (tag != QIDL_KIND_STRUCT) {
            return vfail(v, error, QIDL_ERROR_UNSUPPORTED,
                         "the top-level value of a device must be a "
                         "struct, not %s", qidl_kind_name(tag));
        }
        if (!name) {
            return vfail(v, error, QIDL_ERROR_UNSUPPORTED,
                         "the top-level value of a device needs a name");
        }
        if (g_hash_table_contains(w->top_names, name)) {
            return vfail(v, error, QIDL_ERROR_INVALID,
                         "another device of the stream is named %s", name);
        }
        if (!name_ref(v, name, &idx, error)) {
            return FALSE;
        }
        g_hash_table_add(w->top_names, g_strdup(name));
        w->top_started = TRUE;
        buf_u16(&w->payload, idx);
    } else {
        WriteFrame *f = &w->frames[w->n_frames - 1];

        if (f->kind == QIDL_KIND_STRUCT) {
            guint64 *slot;
            UsedUndo undo;

            if (!name_ref(v, name, &idx, error)) {
                return FALSE;
            }
            if (idx >= w->used->len) {
                g_array_set_size(w->used, w->name_list->len);
            }
            slot = &g_array_index(w->used, guint64, idx);
            if (*slot == f->serial + 1) {
                return vfail(v, error, QIDL_ERROR_INVALID,
                             "field visited twice in one struct");
            }
            undo = (UsedUndo) { idx, *slot };
            g_array_append_val(w->undo, undo);
            *slot = f->serial + 1;
            buf_u16(&w->payload, idx);
        } else if (f->n == 0) {
            f->elem_kind = tag;
            f->uniform = qidl_kind_is_scalar(tag);
        } else if (tag != f->elem_kind) {
            f->uniform = FALSE;
        }
        f->n++;
    }
    buf_u8(&w->payload, (guint8)tag);
    return TRUE;
}

/* Puts back what the structs whose undo entries start at @start
 * overwrote in @used. */
static void undo_used(QidlStreamWriter *w, guint start)
{
    for (guint i = w->undo->len; i > start; i--) {
        const UsedUndo *u = &g_array_index(w->undo, UsedUndo, i - 1);

        g_array_index(w->used, guint64, u->idx) = u->old;
    }
    g_array_set_size(w->undo, start);
}

static gboolean push_frame(QidlVisitor *v, QidlKind kind, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    WriteFrame *f;

    /* The core bounds the depth by the same limit. */
    g_return_val_if_fail(w->n_frames < QIDL_LIMIT_DEPTH, FALSE);
    f = &w->frames[w->n_frames++];
    *f = (WriteFrame) { .kind = kind, .start = w->payload.len };
    if (kind == QIDL_KIND_STRUCT) {
        f->serial = w->next_serial++;
        f->undo_start = w->undo->len;
    }
    return TRUE;
}

static gboolean writer_start_struct(QidlVisitor *v, const char *name,
                                    GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;

    if (w->sticky) {
        return TRUE;
    }
    if (!begin_value(v, name, QIDL_KIND_STRUCT, error) ||
        !push_frame(v, QIDL_KIND_STRUCT, error)) {
        return FALSE;
    }
    buf_u32(&w->payload, 0);   /* the field count, set at end_struct */
    return TRUE;
}

static gboolean writer_end_struct(QidlVisitor *v, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    WriteFrame *f;

    if (w->sticky) {
        return TRUE;
    }
    f = &w->frames[--w->n_frames];
    set_u32(w->payload.data + f->start, f->n);
    undo_used(w, f->undo_start);
    if (w->n_frames == 0) {
        w->top_done = TRUE;
    }
    return TRUE;
}

static gboolean writer_start_list(QidlVisitor *v, const char *name,
                                  QidlListKind kind, guint32 *count,
                                  gsize elem_size, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;

    if (w->sticky) {
        return TRUE;
    }
    if (!begin_value(v, name, QIDL_KIND_LIST, error) ||
        !push_frame(v, QIDL_KIND_LIST, error)) {
        return FALSE;
    }
    buf_u8(&w->payload, STREAM_LIST_TAGGED);
    buf_u32(&w->payload, *count);
    return TRUE;
}

/*
 * Packs a uniform list in place: each element is its tag and its value;
 * drop the tags and record the kind once.  Moving left in order never
 * overwrites an element not yet moved.
 */
static gboolean writer_end_list(QidlVisitor *v, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    WriteFrame *f;

    if (w->sticky) {
        return TRUE;
    }
    f = &w->frames[--w->n_frames];
    if (f->n > 0 && f->uniform) {
        gsize size = qidl_kind_size(f->elem_kind);
        guint8 *elems = w->payload.data + f->start + 5;

        w->payload.data[f->start] = (guint8)f->elem_kind;
        /* Constant sizes, so that each move is a load and a store. */
        switch (size) {
        case 1:
            for (guint32 i = 0; i < f->n; i++) {
                elems[i] = elems[2 * i + 1];
            }
            break;
        case 2:
            for (guint32 i = 0; i < f->n; i++) {
                memmove(elems + i * 2, elems + i * 3 + 1, 2);
            }
            break;
        case 4:
            for (guint32 i = 0; i < f->n; i++) {
                memmove(elems + i * 4, elems + i * 5 + 1, 4);
            }
            break;
        default:
            for (guint32 i = 0; i < f->n; i++) {
                memmove(elems + i * size, elems + i * (size + 1) + 1, size);
            }
            break;
        }
        w->payload.len = f->start + 5 + f->n * size;
    }
    return TRUE;
}

static gboolean writer_scalar(QidlVisitor *v, const char *name,
                              QidlKind kind, void *obj, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    Buf *p = &w->payload;

    if (w->sticky) {
        return TRUE;
    }
    if (!begin_value(v, name, kind, error)) {
        return FALSE;
    }
    switch (kind) {
    case QIDL_KIND_BOOL:
        buf_u8(p, *(bool *)obj ? 1 : 0);
        break;
    case QIDL_KIND_INT8:
    case QIDL_KIND_UINT8:
        buf_u8(p, *(guint8 *)obj);
        break;
    case QIDL_KIND_INT16:
    case QIDL_KIND_UINT16: {
        guint16 x;

        memcpy(&x, obj, sizeof(x));
        buf_u16(p, x);
        break;
    }
    case QIDL_KIND_INT32:
    case QIDL_KIND_UINT32:
    case QIDL_KIND_FLOAT: {
        guint32 x;

        memcpy(&x, obj, sizeof(x));
        buf_u32(p, x);
        break;
    }
    case QIDL_KIND_INT64:
    case QIDL_KIND_UINT64:
    case QIDL_KIND_DOUBLE: {
        guint64 x;

        memcpy(&x, obj, sizeof(x));
        buf_u64(p, x);
        break;
    }
    default:
        g_return_val_if_reached(FALSE);
    }
    return TRUE;
}

static gboolean writer_string(QidlVisitor *v, const char *name, char **obj,
                              GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    gsize len;

    if (w->sticky) {
        return TRUE;
    }
    len = strlen(*obj);
    if (len > QIDL_LIMIT_STRING_LEN) {
        return vfail(v, error, QIDL_ERROR_LIMIT,
                     "string longer than %u bytes", QIDL_LIMIT_STRING_LEN);
    }
    if (!g_utf8_validate(*obj, (gssize)len, NULL)) {
        return vfail(v, error, QIDL_ERROR_INVALID,
                     "string is not valid UTF-8 (use bytes for binary "
                     "data)");
    }
    if (!begin_value(v, name, QIDL_KIND_STRING, error)) {
        return FALSE;
    }
    buf_u32(&w->payload, (guint32)len);
    buf_append(&w->payload, *obj, len);
    return TRUE;
}

static gboolean writer_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                             gsize len, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;

    if (w->sticky) {
        return TRUE;
    }
    if (len > QIDL_LIMIT_LIST_LEN) {
        return vfail(v, error, QIDL_ERROR_LIMIT,
                     "%" G_GSIZE_FORMAT " bytes exceed the limit of %u",
                     len, QIDL_LIMIT_LIST_LEN);
    }
    if (!begin_value(v, name, QIDL_KIND_BYTES, error)) {
        return FALSE;
    }
    buf_u32(&w->payload, (guint32)len);
    buf_append(&w->payload, buf, len);
    return TRUE;
}

/* Presence is the field being there; nothing to write. */
static gboolean writer_optional(QidlVisitor *v, const char *name,
                                QidlPresence how, bool *present,
                                GError **error)
{
    return TRUE;
}

static void writer_free_visitor(QidlVisitor *v)
{
    g_free(to_wv(v));
}

QidlVisitor *qidl_stream_writer_begin_device(QidlStreamWriter *w,
                                             const char *type_name,
                                             const char *instance_path,
                                             guint32 version)
{
    g_return_val_if_fail(w != NULL, NULL);
    g_return_val_if_fail(type_name != NULL, NULL);
    g_return_val_if_fail(instance_path != NULL, NULL);
    g_return_val_if_fail(!w->in_device && !w->finished, NULL);

    if (!w->v) {
        w->v = g_new0(WriterVisitor, 1);
        w->v->w = w;
        w->v->parent.start_struct = writer_start_struct;
        w->v->parent.end_struct = writer_end_struct;
        w->v->parent.start_list = writer_start_list;
        w->v->parent.end_list = writer_end_list;
        w->v->parent.scalar = writer_scalar;
        w->v->parent.string = writer_string;
        w->v->parent.bytes = writer_bytes;
        w->v->parent.optional = writer_optional;
        w->v->parent.free = writer_free_visitor;
    }
    qidl_visitor__init(&w->v->parent, QIDL_VISITOR_OUTPUT);

    w->in_device = TRUE;
    g_free(w->dev_type);
    g_free(w->dev_path);
    w->dev_type = g_strdup(type_name);
    w->dev_path = g_strdup(instance_path);
    w->dev_version = version;
    w->payload.len = 0;
    undo_used(w, 0);
    w->first_new = w->name_list->len;
    w->top_started = FALSE;
    w->top_done = FALSE;
    w->n_frames = 0;

    if (!w->sticky) {
        if (!type_name[0] || !instance_path[0] ||
            !qidl_stream__text_ok(type_name, strlen(type_name),
                                  G_MAXUINT16) ||
            !qidl_stream__text_ok(instance_path, strlen(instance_path),
                                  G_MAXUINT16)) {
            fail(w, NULL, QIDL_ERROR_INVALID,
                 "device %s (%s): type name and instance path must be 1 to "
                 "%u bytes of UTF-8", instance_path, type_name, G_MAXUINT16);
        } else if (g_hash_table_contains(w->paths, instance_path)) {
            fail(w, NULL, QIDL_ERROR_INVALID,
                 "device %s (%s): instance path already written",
                 instance_path, type_name);
        }
    }
    return &w->v->parent;
}

gboolean qidl_stream_writer_end_device(QidlStreamWriter *w, GError **error)
{
    gsize tlen, plen, len, start;

    g_return_val_if_fail(w != NULL, FALSE);
    g_return_val_if_fail(w->in_device, FALSE);

    w->in_device = FALSE;
    if (w->sticky) {
        return report_sticky(w, error);
    }
    if (!w->top_done || qidl_visitor_get_depth(&w->v->parent) != 0) {
        return fail(w, error, QIDL_ERROR_INVALID,
                    "device %s (%s): the visit of its state did not "
                    "complete", w->dev_path, w->dev_type);
    }

    /* The record is written in place: its body's length first. */
    tlen = strlen(w->dev_type);
    plen = strlen(w->dev_path);
    len = 2 + tlen + 2 + plen + 4 + 2 + w->payload.len;
    for (guint i = w->first_new; i < w->name_list->len; i++) {
        len += 1 + strlen(g_ptr_array_index(w->name_list, i));
    }
    start = w->stream->len;
    if (!begin_record(w, QIDL_STREAM_RECORD_DEVICE, len, error)) {
        return FALSE;
    }
    put_str16(w->stream, w->dev_type);
    put_str16(w->stream, w->dev_path);
    put_u32(w->stream, w->dev_version);
    put_u16(w->stream, (guint16)(w->name_list->len - w->first_new));
    for (guint i = w->first_new; i < w->name_list->len; i++) {
        const char *name = g_ptr_array_index(w->name_list, i);
        gsize n = strlen(name);

        put_u8(w->stream, (guint8)n);
        g_byte_array_append(w->stream, (const guint8 *)name, (guint)n);
    }
    g_byte_array_append(w->stream, w->payload.data, (guint)w->payload.len);
    end_record(w, start);
    g_hash_table_add(w->paths, g_strdup(w->dev_path));
    return append_extras(w, w->dev_path, FALSE, error);
}

static gboolean compress_into(QidlStreamWriter *w, GError **error)
{
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    gsize bound = ZSTD_compressBound(w->stream->len);
    guint start = w->out->len;
    size_t n;

    if (!cctx) {
        return fail(w, error, QIDL_ERROR_IO, "zstd: cannot allocate");
    }
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, STREAM_ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    g_byte_array_set_size(w->out, (guint)(start + STREAM_MAGIC_LEN + bound));
    memcpy(w->out->data + start, qidl_stream__zmagic, STREAM_MAGIC_LEN);
    n = ZSTD_compress2(cctx, w->out->data + start + STREAM_MAGIC_LEN, bound,
                       w->stream->data, w->stream->len);
    ZSTD_freeCCtx(cctx);
    if (ZSTD_isError(n)) {
        g_byte_array_set_size(w->out, start);
        return fail(w, error, QIDL_ERROR_IO, "zstd: %s",
                    ZSTD_getErrorName(n));
    }
    g_byte_array_set_size(w->out, (guint)(start + STREAM_MAGIC_LEN + n));
    return TRUE;
}

gboolean qidl_stream_writer_finish(QidlStreamWriter *w, GError **error)
{
    guint8 end[8];

    g_return_val_if_fail(w != NULL, FALSE);
    g_return_val_if_fail(!w->in_device && !w->finished, FALSE);

    w->finished = TRUE;
    if (w->sticky) {
        return report_sticky(w, error);
    }
    if (!append_extras(w, NULL, TRUE, error)) {
        return FALSE;
    }
    set_u32(end, w->n_records);
    set_u32(end + 4, w->stream_crc);
    if (!append_record(w, QIDL_STREAM_RECORD_END, end, sizeof(end), error)) {
        return FALSE;
    }
    if (w->flags & QIDL_STREAM_WRITE_ZSTD) {
        return compress_into(w, error);
    }
    g_byte_array_append(w->out, w->stream->data, w->stream->len);
    return TRUE;
}

gboolean qidl_stream_write_tree(QidlTree *tree, const QidlStreamInfo *info,
                                QidlStreamWriteFlags flags, GByteArray *out,
                                GError **error)
{
    g_autoptr(QidlStreamInfo) plain = NULL;
    g_autoptr(QidlStreamWriter) w = NULL;
    QidlNode *root;

    g_return_val_if_fail(tree != NULL, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);

    root = qidl_tree_get_root(tree);
    for (QidlNode *n = qidl_node_get_first_child(root); n;
         n = qidl_node_get_next(n)) {
        if (!qidl_node_is_device(n)) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNSUPPORTED,
                        "%s: not a device root; a stream holds only "
                        "devices", qidl_node_get_name(n));
            return FALSE;
        }
    }
    if (!info) {
        plain = qidl_stream_info_new("libqidl", "0");
        info = plain;
    }
    w = qidl_stream_writer_new_full(out, info, flags);
    for (QidlNode *n = qidl_node_get_first_child(root); n;
         n = qidl_node_get_next(n)) {
        QidlVisitor *v = qidl_stream_writer_begin_device(
            w, qidl_node_get_type_name(n), qidl_node_get_instance_path(n),
            qidl_node_get_version(n));
        g_autoptr(GError) local = NULL;

        if (!qidl_node_replay(n, v, &local) && !w->sticky) {
            /* A replay error the writer did not cause: keep it. */
            set_sticky(w, NULL, local->code, local->message);
        }
        if (!qidl_stream_writer_end_device(w, error)) {
            return FALSE;
        }
    }
    return qidl_stream_writer_finish(w, error);
}
