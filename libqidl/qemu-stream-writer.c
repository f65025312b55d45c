/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The QEMU stream writer (qemu-stream.h): a tree and its info back into a
 * QEMU stream.  Every record is copied from the stream it was read from,
 * except the state of device sections, which is encoded from the tree in
 * the layout the section's vmdesc entry gave.  A tree that no longer fits
 * that layout fails the write, naming the device and field, instead of
 * producing a stream the vmdesc would misdescribe.
 *
 * The encoder recurses along layouts, whose depth the vmdesc compiler
 * bounded by QIDL_LIMIT_DEPTH.
 */
#include <string.h>

#include "qemu-stream-private.h"

typedef struct {
    GByteArray *out;
    const QemuRecord *rec;
    GString *path;            /* the field path, for messages */
} Encoder;

static gboolean encode_error(const Encoder *e, GError **error, int code,
                             const char *format, ...) G_GNUC_PRINTF(4, 5);

static gboolean encode_error(const Encoder *e, GError **error, int code,
                             const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, QIDL_ERROR, code, "device %s (%s): %s%s%s",
                e->rec->instance_path, e->rec->idstr, e->path->str,
                e->path->len ? ": " : "", msg);
    return FALSE;
}

static gboolean check_kind(const Encoder *e, const QidlNode *node,
                           QidlKind want, GError **error)
{
    QidlKind have = qidl_node_get_kind(node);

    if (have != want) {
        return encode_error(e, error, QIDL_ERROR_TYPE_MISMATCH,
                            "expected %s, found %s: a QEMU section keeps "
                            "its layout", qidl_kind_name(want),
                            qidl_kind_name(have));
    }
    return TRUE;
}

static void put_be(GByteArray *out, guint64 v, gsize size)
{
    guint8 b[8];

    for (gsize i = 0; i < size; i++) {
        b[i] = (guint8)(v >> (8 * (size - 1 - i)));
    }
    g_byte_array_append(out, b, (guint)size);
}

static gboolean encode_scalar(Encoder *e, const QemuLayout *l,
                              const QidlNode *node, GError **error)
{
    guint64 v;

    if (!check_kind(e, node, l->scalar, error)) {
        return FALSE;
    }
    switch (l->scalar) {
    case QIDL_KIND_BOOL:
        v = qidl_node_get_bool(node) ? 1 : 0;
        break;
    case QIDL_KIND_INT8:
    case QIDL_KIND_INT16:
    case QIDL_KIND_INT32:
    case QIDL_KIND_INT64:
        v = (guint64)qidl_node_get_int(node);
        break;
    case QIDL_KIND_DOUBLE: {
        double d = qidl_node_get_double(node);

        memcpy(&v, &d, sizeof(v));
        break;
    }
    default:
        v = qidl_node_get_uint(node);
        break;
    }
    put_be(e->out, v, l->size);
    return TRUE;
}

static gboolean encode_children(Encoder *e, const QemuLayout *l,
                                const QidlNode *node, GError **error);

static gboolean encode(Encoder *e, const QemuLayout *l, const QidlNode *node,
                       GError **error)
{
    switch (l->kind) {
    case LAYOUT_SCALAR:
        return encode_scalar(e, l, node, error);
    case LAYOUT_BYTES: {
        const guint8 *data;
        gsize len;

        if (!check_kind(e, node, QIDL_KIND_BYTES, error)) {
            return FALSE;
        }
        data = qidl_node_get_bytes(node, &len);
        if (len != l->size) {
            return encode_error(e, error, QIDL_ERROR_LENGTH_MISMATCH,
                                "%" G_GSIZE_FORMAT " bytes where the "
                                "section has %" G_GUINT64_FORMAT, len,
                                l->size);
        }
        g_byte_array_append(e->out, data, (guint)len);
        return TRUE;
    }
    case LAYOUT_SUBSECTION: {
        guint8 n = (guint8)strlen(l->sub_name);

        if (!check_kind(e, node, QIDL_KIND_STRUCT, error)) {
            return FALSE;
        }
        put_be(e->out, QEMU_SUBSECTION_MARKER, 1);
        put_be(e->out, n, 1);
        g_byte_array_append(e->out, (const guint8 *)l->sub_name, n);
        put_be(e->out, l->sub_version, 4);
        return encode_children(e, l, node, error);
    }
    case LAYOUT_STRUCT:
        return check_kind(e, node, QIDL_KIND_STRUCT, error) &&
               encode_children(e, l, node, error);
    case LAYOUT_LIST:
        if (!check_kind(e, node, QIDL_KIND_LIST, error)) {
            return FALSE;
        }
        if (qidl_node_get_n_children(node) != l->count) {
            return encode_error(e, error, QIDL_ERROR_LENGTH_MISMATCH,
                                "%" G_GUINT32_FORMAT " elements where the "
                                "section has %" G_GUINT32_FORMAT,
                                qidl_node_get_n_children(node), l->count);
        }
        return encode_children(e, l, node, error);
    }
    g_assert_not_reached();
}

/* The layout's children from @node's: by name for structs, in order. */
static gboolean encode_children(Encoder *e, const QemuLayout *l,
                                const QidlNode *node, GError **error)
{
    guint n = l->kind == LAYOUT_LIST ? l->count : l->children->len;
    const QidlNode *cursor = qidl_node_get_first_child(node);

    for (guint i = 0; i < n; i++) {
        const QemuLayout *cl = g_ptr_array_index(l->children,
                                                 l->repeated ? 0 : i);
        gsize old = e->path->len;
        const QidlNode *child;

        if (l->kind == LAYOUT_LIST) {
            g_string_append_printf(e->path, "[%u]", i);
            child = cursor;
        } else {
            g_string_append_printf(e->path, "%s%s", old ? "." : "",
                                   cl->name);
            /* Usually the next child; a filter may have moved it. */
            child = cursor && g_strcmp0(qidl_node_get_name(cursor),
                                        cl->name) == 0
                        ? cursor : qidl_node_get_child(node, cl->name);
            if (!child) {
                return encode_error(e, error, QIDL_ERROR_MISSING_FIELD,
                                    "missing: a QEMU section keeps its "
                                    "layout");
            }
        }
        if (!encode(e, cl, child, error)) {
            return FALSE;
        }
        g_string_truncate(e->path, old);
        cursor = qidl_node_get_next(child);
    }
    if (l->kind != LAYOUT_LIST && qidl_node_get_n_children(node) != n) {
        /* Every layout child was found: one of @node's is extra. */
        for (const QidlNode *c = qidl_node_get_first_child(node); c;
             c = qidl_node_get_next(c)) {
            gboolean known = FALSE;

            for (guint i = 0; i < n && !known; i++) {
                const QemuLayout *cl = g_ptr_array_index(l->children, i);

                known = strcmp(cl->name, qidl_node_get_name(c)) == 0;
            }
            if (!known) {
                gsize old = e->path->len;

                g_string_append_printf(e->path, "%s%s", old ? "." : "",
                                       qidl_node_get_name(c));
                return encode_error(e, error, QIDL_ERROR_UNKNOWN_FIELD,
                                    "not in the section's layout");
            }
        }
    }
    return TRUE;
}

static gboolean encode_record(const QemuRecord *rec, const QidlNode *device,
                              GByteArray *out, GError **error)
{
    g_autoptr(GString) path = g_string_new(NULL);
    Encoder e = { out, rec, path };
    guint start = out->len;

    if (g_strcmp0(qidl_node_get_type_name(device), rec->idstr) != 0) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "device %s: type %s is not the section's idstr '%s'",
                    rec->instance_path, qidl_node_get_type_name(device),
                    rec->idstr);
        return FALSE;
    }
    if (qidl_node_get_version(device) != rec->pub.version) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "device %s (%s): version %" G_GUINT32_FORMAT " is not "
                    "the section's version %" G_GUINT32_FORMAT,
                    rec->instance_path, rec->idstr,
                    qidl_node_get_version(device), rec->pub.version);
        return FALSE;
    }
    if (!encode_children(&e, rec->layout, device, error)) {
        g_byte_array_set_size(out, start);
        return FALSE;
    }
    /* The layout fixes every size, so this holds by construction. */
    g_assert(out->len - start == rec->pub.payload_length);
    return TRUE;
}

gboolean qidl_qemu_stream_encode_device(const QidlQemuStreamInfo *info,
                                        const QidlNode *device,
                                        GByteArray *out, GError **error)
{
    const char *path;
    const QemuRecord *rec;

    g_return_val_if_fail(info != NULL, FALSE);
    g_return_val_if_fail(device != NULL, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);

    path = qidl_node_get_instance_path(device);
    rec = path ? g_hash_table_lookup(info->devices, path) : NULL;
    if (!rec) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "%s%s is not a device section of this QEMU stream",
                    path ? "device " : "a node that is not a device",
                    path ? path : "");
        return FALSE;
    }
    return encode_record(rec, device, out, error);
}

/*
 * Pairs every FULL section of @info with its device root in @tree, into
 * @devices (record -> node); fails if a root is not one of the stream's
 * devices, appears twice, or a section has none.
 */
static gboolean pair_devices(QidlTree *tree, const QidlQemuStreamInfo *info,
                             GHashTable *devices, GError **error)
{
    for (const QidlNode *dev =
             qidl_node_get_first_child(qidl_tree_get_root(tree));
         dev; dev = qidl_node_get_next(dev)) {
        const char *path = qidl_node_get_instance_path(dev);
        const QemuRecord *rec =
            path ? g_hash_table_lookup(info->devices, path) : NULL;

        if (!qidl_node_is_device(dev)) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNSUPPORTED,
                        "%s is not a device: a QEMU stream holds only "
                        "device sections", qidl_node_get_name(dev));
            return FALSE;
        }
        if (!rec) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNSUPPORTED,
                        "device %s (%s) is not a section of this QEMU "
                        "stream: its vmdesc cannot describe a new one", path,
                        qidl_node_get_type_name(dev));
            return FALSE;
        }
        if (g_hash_table_contains(devices, rec)) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "device %s appears twice", path);
            return FALSE;
        }
        g_hash_table_insert(devices, (gpointer)rec, (gpointer)dev);
    }
    for (guint i = 0; i < info->records->len; i++) {
        const QemuRecord *rec = g_ptr_array_index(info->records, i);

        if (rec->pub.type == QIDL_QEMU_RECORD_FULL &&
            !g_hash_table_contains(devices, rec)) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_MISSING_FIELD,
                        "section %" G_GUINT32_FORMAT " '%s' (instance %"
                        G_GUINT32_FORMAT "): device %s is not in the tree",
                        rec->pub.section_id, rec->idstr,
                        rec->pub.instance_id, rec->instance_path);
            return FALSE;
        }
    }
    return TRUE;
}

/* A range of the input not passed on yet, passed on in one call. */
typedef struct {
    QidlQemuWriteFunc write;
    gpointer user_data;
    const guint8 *from;
    gsize len;
} Pending;

static gboolean pending_flush(Pending *p, GError **error)
{
    gsize len = p->len;

    p->len = 0;
    return len == 0 || p->write(p->from, len, p->user_data, error);
}

/* Adds @len bytes at @from, passing the range before on if not next. */
static gboolean pending_add(Pending *p, const guint8 *from, gsize len,
                            GError **error)
{
    if (p->len > 0 && p->from + p->len == from) {
        p->len += len;
        return TRUE;
    }
    if (!pending_flush(p, error)) {
        return FALSE;
    }
    p->from = from;
    p->len = len;
    return TRUE;
}

gboolean qidl_qemu_stream_write_tree_to(QidlTree *tree,
                                        const QidlQemuStreamInfo *info,
                                        QidlQemuWriteFunc write,
                                        gpointer user_data, GError **error)
{
    g_autoptr(GHashTable) devices = NULL;
    g_autoptr(GByteArray) states = NULL;
    Pending p = { write, user_data, NULL, 0 };
    gsize state = 0;

    g_return_val_if_fail(tree != NULL, FALSE);
    g_return_val_if_fail(info != NULL, FALSE);
    g_return_val_if_fail(write != NULL, FALSE);

    /* Every child of the root is one of the stream's devices, once. */
    devices = g_hash_table_new(NULL, NULL);
    if (!pair_devices(tree, info, devices, error)) {
        return FALSE;
    }
    /* Every device section encoded before a byte is passed on: a tree
     * that no longer fits fails with nothing written. */
    states = g_byte_array_new();
    for (guint i = 0; i < info->records->len; i++) {
        const QemuRecord *rec = g_ptr_array_index(info->records, i);

        if (rec->pub.type == QIDL_QEMU_RECORD_FULL &&
            !encode_record(rec, g_hash_table_lookup(devices, rec), states,
                           error)) {
            return FALSE;
        }
    }
    /* The records in order: header and footer of a device section from
     * the input, its state from @states; every other record copied. */
    for (guint i = 0; i < info->records->len; i++) {
        const QemuRecord *rec = g_ptr_array_index(info->records, i);
        const guint8 *at = info->data + rec->pub.offset;
        gsize end;

        if (rec->pub.type != QIDL_QEMU_RECORD_FULL) {
            if (!pending_add(&p, at, rec->pub.length, error)) {
                return FALSE;
            }
            continue;
        }
        end = rec->pub.payload_offset + rec->pub.payload_length;
        if (!pending_add(&p, at, rec->pub.payload_offset - rec->pub.offset,
                         error) ||
            !pending_flush(&p, error) ||
            !write(states->data + state, rec->pub.payload_length, user_data,
                   error) ||
            !pending_add(&p, info->data + end,
                         rec->pub.offset + rec->pub.length - end, error)) {
            return FALSE;
        }
        state += rec->pub.payload_length;
    }
    return pending_flush(&p, error);
}

static gboolean append_to_array(const guint8 *data, gsize len,
                                gpointer user_data, GError **error)
{
    g_byte_array_append(user_data, data, (guint)len);
    return TRUE;
}

gboolean qidl_qemu_stream_write_tree(QidlTree *tree,
                                     const QidlQemuStreamInfo *info,
                                     GByteArray *out, GError **error)
{
    g_return_val_if_fail(tree != NULL, FALSE);
    g_return_val_if_fail(info != NULL, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);

    /* The written stream is as long as the one read (the layouts fix
     * every section's length). */
    if (info->len > G_MAXUINT - out->len) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                    "QEMU stream of %" G_GSIZE_FORMAT " bytes: more than "
                    "a GByteArray holds (%u bytes); "
                    "qidl_qemu_stream_write_tree_to() writes any length",
                    info->len, G_MAXUINT);
        return FALSE;
    }
    /* Nothing is passed on unless every section encoded, and appending
     * does not fail: @out is untouched on failure. */
    return qidl_qemu_stream_write_tree_to(tree, info, append_to_array, out,
                                          error);
}
