/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The typed JSON form of a whole native stream (stream.h,
 * docs/stream-format.md): header fields, every record in stream order, and
 * each device's state in the json.h form.
 *
 * Lossless by construction: the JSON holds exactly what the canonical
 * encoder needs (the tree, the record order, the header and metadata, the
 * bodies of preserved records), and records are listed in the order the
 * writer places them, so JSON -> stream reproduces the bytes.
 */
#include <qidl/json.h>

#include "stream-private.h"

static void add_record(JsonArray *records, const QidlStreamExtra *e)
{
    JsonObject *o = json_object_new();
    gsize len;
    const guint8 *data = g_bytes_get_data(e->data, &len);
    g_autoptr(GString) hex = g_string_sized_new(len * 2);

    for (gsize i = 0; i < len; i++) {
        g_string_append_printf(hex, "%02x", data[i]);
    }
    json_object_set_string_member(o, "kind", "preserved");
    json_object_set_int_member(o, "code", e->kind);
    json_object_set_string_member(o, "data", hex->str);
    json_array_add_object_element(records, o);
}

/* Preserved records placed after @after (NULL: first), or all left. */
static void add_extras(JsonArray *records, const QidlStreamInfo *info,
                       gboolean *done, const char *after, gboolean all)
{
    for (guint i = 0; i < info->extras->len; i++) {
        const QidlStreamExtra *e = g_ptr_array_index(info->extras, i);

        if (!done[i] && (all || g_strcmp0(e->after, after) == 0)) {
            done[i] = TRUE;
            add_record(records, e);
        }
    }
}

static gboolean add_entry(gpointer key, gpointer value, gpointer data)
{
    json_object_set_string_member(data, key, value);
    return FALSE;
}

JsonNode *qidl_stream_json_from_tree(QidlTree *tree,
                                     const QidlStreamInfo *info)
{
    g_autoptr(QidlStreamInfo) plain = NULL;
    g_autofree gboolean *done = NULL;
    g_autofree char *format = NULL;
    JsonObject *top;
    JsonArray *records;
    JsonNode *node;

    g_return_val_if_fail(tree != NULL, NULL);

    if (!info) {
        plain = qidl_stream_info_new("libqidl", "0");
        info = plain;
    }
    done = g_new0(gboolean, info->extras->len + 1);
    top = json_object_new();
    records = json_array_new();
    format = g_strdup_printf("%u.%u", info->major, info->minor);
    json_object_set_string_member(top, "format", format);
    json_object_set_string_member(top, "producer", info->producer);
    json_object_set_string_member(top, "producer_version",
                                  info->producer_version);
    json_object_set_int_member(top, "flags", info->flags);
    json_object_set_string_member(top, "compression",
                                  info->compressed ? "zstd" : "none");

    if (g_tree_nnodes(info->metadata) > 0) {
        JsonObject *rec = json_object_new();
        JsonObject *entries = json_object_new();

        g_tree_foreach(info->metadata, add_entry, entries);
        json_object_set_string_member(rec, "kind", "metadata");
        json_object_set_object_member(rec, "entries", entries);
        json_array_add_object_element(records, rec);
    }
    add_extras(records, info, done, NULL, FALSE);
    for (QidlNode *n = qidl_node_get_first_child(qidl_tree_get_root(tree));
         n; n = qidl_node_get_next(n)) {
        JsonObject *rec = json_object_new();

        json_object_set_string_member(rec, "kind", "device");
        json_object_set_string_member(rec, "name", qidl_node_get_name(n));
        json_object_set_member(rec, "state", qidl_json_from_node(n));
        json_array_add_object_element(records, rec);
        if (qidl_node_is_device(n)) {
            add_extras(records, info, done, qidl_node_get_instance_path(n),
                       FALSE);
        }
    }
    add_extras(records, info, done, NULL, TRUE);
    json_object_set_array_member(top, "records", records);

    node = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(node, top);
    return node;
}

static gboolean json_fail(GError **error, const char *where,
                          const char *format, ...) G_GNUC_PRINTF(3, 4);

/* "where: message", QIDL_ERROR_INVALID */
static gboolean json_fail(GError **error, const char *where,
                          const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID, "%s: %s", where, msg);
    return FALSE;
}

/* Fails unless @obj has only members named in @allowed (NULL-ended). */
static gboolean only_members(JsonObject *obj, const char *where,
                             const char *const *allowed, GError **error)
{
    g_autoptr(GList) members = json_object_get_members(obj);

    for (GList *l = members; l; l = l->next) {
        if (!g_strv_contains(allowed, l->data)) {
            return json_fail(error, where, "unknown member %s",
                             (const char *)l->data);
        }
    }
    return TRUE;
}

/* The string member @name of @obj, or NULL with @error set. */
static const char *get_string(JsonObject *obj, const char *where,
                              const char *name, GError **error)
{
    JsonNode *m = json_object_get_member(obj, name);

    if (!m || !JSON_NODE_HOLDS_VALUE(m) ||
        json_node_get_value_type(m) != G_TYPE_STRING) {
        json_fail(error, where, "%s must be a string", name);
        return NULL;
    }
    return json_node_get_string(m);
}

/* The integer member @name of @obj in [0, @max], or FALSE. */
static gboolean get_uint(JsonObject *obj, const char *where,
                         const char *name, gint64 max, gint64 *out,
                         GError **error)
{
    JsonNode *m = json_object_get_member(obj, name);

    if (!m || !JSON_NODE_HOLDS_VALUE(m) ||
        json_node_get_value_type(m) != G_TYPE_INT64 ||
        json_node_get_int(m) < 0 || json_node_get_int(m) > max) {
        return json_fail(error, where, "%s must be an integer from 0 to %"
                         G_GINT64_FORMAT, name, max);
    }
    *out = json_node_get_int(m);
    return TRUE;
}

static gboolean parse_format(const char *s, guint16 *major, guint16 *minor)
{
    g_auto(GStrv) parts = g_strsplit(s, ".", -1);
    guint64 a, b;

    if (g_strv_length(parts) != 2 ||
        !g_ascii_string_to_unsigned(parts[0], 10, 0, G_MAXUINT16, &a, NULL) ||
        !g_ascii_string_to_unsigned(parts[1], 10, 0, G_MAXUINT16, &b,
                                    NULL)) {
        return FALSE;
    }
    *major = (guint16)a;
    *minor = (guint16)b;
    return TRUE;
}

static int hex_value(char c)
{
    return g_ascii_xdigit_value(c);
}

static gboolean read_metadata(JsonObject *rec, const char *where,
                              QidlStreamInfo *info, GError **error)
{
    static const char *const allowed[] = { "kind", "entries", NULL };
    JsonNode *m = json_object_get_member(rec, "entries");
    g_autoptr(GList) members = NULL;

    if (!only_members(rec, where, allowed, error)) {
        return FALSE;
    }
    if (!m || !JSON_NODE_HOLDS_OBJECT(m) ||
        json_object_get_size(json_node_get_object(m)) == 0) {
        return json_fail(error, where, "entries must be a non-empty object");
    }
    members = json_object_get_members(json_node_get_object(m));
    for (GList *l = members; l; l = l->next) {
        JsonNode *v = json_object_get_member(json_node_get_object(m),
                                             l->data);

        if (!JSON_NODE_HOLDS_VALUE(v) ||
            json_node_get_value_type(v) != G_TYPE_STRING ||
            ((const char *)l->data)[0] == '\0') {
            return json_fail(error, where, "entries.%s must be a string "
                             "with a non-empty key", (const char *)l->data);
        }
        qidl_stream_info_set_metadata(info, l->data,
                                      json_node_get_string(v));
    }
    return TRUE;
}

static gboolean read_preserved(JsonObject *rec, const char *where,
                               QidlStreamInfo *info, const char *after,
                               GError **error)
{
    static const char *const allowed[] = { "kind", "code", "data", NULL };
    g_autofree guint8 *data = NULL;
    const char *hex;
    gint64 code = 0;
    gsize len;

    if (!only_members(rec, where, allowed, error) ||
        !get_uint(rec, where, "code", 255, &code, error) ||
        !(hex = get_string(rec, where, "data", error))) {
        return FALSE;
    }
    if (!stream_kind_preservable((guint8)code)) {
        return json_fail(error, where, "code %" G_GINT64_FORMAT " is not "
                         "an optional record kind unknown to this format",
                         code);
    }
    len = strlen(hex);
    if (len % 2) {
        return json_fail(error, where, "data is not hex");
    }
    data = g_malloc(len / 2 + 1);
    for (gsize i = 0; i < len / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

        /* Lower case only: one JSON text per stream. */
        if (hi < 0 || lo < 0 || g_ascii_isupper(hex[2 * i]) ||
            g_ascii_isupper(hex[2 * i + 1])) {
            return json_fail(error, where, "data is not lower-case hex");
        }
        data[i] = (guint8)(hi << 4 | lo);
    }
    qidl_stream_info_add_record(info, (guint8)code, after, data, len / 2);
    return TRUE;
}

/*
 * A device record's state as the writer requires it: a type name and an
 * instance path of 1 to 65535 bytes (JSON strings are UTF-8 already), no
 * device information below the top, and strings in UTF-8 (the typed JSON
 * also carries other strings, in its {"str": HEX} form, but a native
 * stream cannot).  The messages say what the writer's do, with the
 * record's place in front.
 */
static gboolean check_device(const QidlNode *dev, const char *where,
                             GError **error)
{
    const QidlNode *node = qidl_node_get_first_child(dev);
    gsize tlen = strlen(qidl_node_get_type_name(dev));
    gsize plen = strlen(qidl_node_get_instance_path(dev));

    if (tlen == 0 || plen == 0 || tlen > G_MAXUINT16 || plen > G_MAXUINT16) {
        return json_fail(error, where, "the $device type and path must be "
                         "1 to %u bytes of UTF-8", G_MAXUINT16);
    }
    /* Depth-first over the descendants, by parent and sibling links. */
    while (node && node != dev) {
        const QidlNode *child = qidl_node_get_first_child(node);

        if (qidl_node_is_device(node)) {
            g_autofree char *path = qidl_node_get_path(node);

            return json_fail(error, where, "%s: $device is allowed only at "
                             "the top of a record's state", path);
        }
        if (qidl_node_get_kind(node) == QIDL_KIND_STRING) {
            gsize len;
            const char *s = qidl_node_get_string(node, &len);

            if (!g_utf8_validate(s, (gssize)len, NULL)) {
                g_autofree char *path = qidl_node_get_path(node);

                return json_fail(error, where, "%s: string is not valid "
                                 "UTF-8 (use bytes for binary data)", path);
            }
        }
        if (child) {
            node = child;
            continue;
        }
        while (node != dev && !qidl_node_get_next(node)) {
            node = qidl_node_get_parent(node);
        }
        if (node != dev) {
            node = qidl_node_get_next(node);
        }
    }
    return TRUE;
}

QidlTree *qidl_stream_json_to_tree(JsonNode *json, QidlStreamInfo **info,
                                   GError **error)
{
    static const char *const allowed[] = {
        "format", "producer", "producer_version", "flags", "compression",
        "records", NULL,
    };
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(QidlStreamInfo) out = NULL;
    /* Instance path -> index of its record + 1: a stream has each once. */
    g_autoptr(GHashTable) paths = g_hash_table_new(g_str_hash,
                                                   g_str_equal);
    JsonObject *top;
    JsonNode *m;
    JsonArray *records;
    const char *format, *producer, *version, *compression;
    const char *last_path = NULL;
    gint64 flags = 0;
    guint16 major, minor;

    g_return_val_if_fail(json != NULL, NULL);

    if (!JSON_NODE_HOLDS_OBJECT(json)) {
        json_fail(error, "(root)", "a stream is a JSON object");
        return NULL;
    }
    top = json_node_get_object(json);
    if (!only_members(top, "(root)", allowed, error) ||
        !(format = get_string(top, "(root)", "format", error)) ||
        !(producer = get_string(top, "(root)", "producer", error)) ||
        !(version = get_string(top, "(root)", "producer_version", error)) ||
        !(compression = get_string(top, "(root)", "compression", error)) ||
        !get_uint(top, "(root)", "flags", G_MAXUINT32, &flags, error)) {
        return NULL;
    }
    if (!parse_format(format, &major, &minor)) {
        json_fail(error, "format", "\"%s\" is not MAJOR.MINOR", format);
        return NULL;
    }
    /* What the stream reader would refuse, refused here too: the JSON
     * form describes streams this library reads. */
    if (major != QIDL_STREAM_FORMAT_MAJOR) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_VERSION,
                    "format: %s is not format %u.x", format,
                    QIDL_STREAM_FORMAT_MAJOR);
        return NULL;
    }
    if (flags & 0xffff) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_VERSION,
                    "flags: unknown mandatory flags 0x%04x",
                    (guint)(flags & 0xffff));
        return NULL;
    }
    if (strcmp(compression, "none") != 0 && strcmp(compression, "zstd")) {
        json_fail(error, "compression", "\"%s\" is not none or zstd",
                  compression);
        return NULL;
    }
    m = json_object_get_member(top, "records");
    if (!m || !JSON_NODE_HOLDS_ARRAY(m)) {
        json_fail(error, "records", "must be an array");
        return NULL;
    }
    records = json_node_get_array(m);

    out = qidl_stream_info_new(producer, version);
    out->major = major;
    out->minor = minor;
    out->flags = (guint32)flags;
    out->compressed = strcmp(compression, "zstd") == 0;
    tree = qidl_tree_new();

    for (guint i = 0; i < json_array_get_length(records); i++) {
        JsonNode *r = json_array_get_element(records, i);
        g_autofree char *where = g_strdup_printf("records[%u]", i);
        JsonObject *rec;
        const char *kind;

        if (!JSON_NODE_HOLDS_OBJECT(r)) {
            json_fail(error, where, "a record is an object");
            return NULL;
        }
        rec = json_node_get_object(r);
        if (!(kind = get_string(rec, where, "kind", error))) {
            return NULL;
        }
        if (strcmp(kind, "metadata") == 0) {
            if (i != 0) {
                json_fail(error, where, "metadata must be the first record");
                return NULL;
            }
            if (!read_metadata(rec, where, out, error)) {
                return NULL;
            }
        } else if (strcmp(kind, "device") == 0) {
            static const char *const dev_allowed[] = {
                "kind", "name", "state", NULL,
            };
            const char *name;
            QidlNode *node;
            JsonNode *state = json_object_get_member(rec, "state");

            if (!only_members(rec, where, dev_allowed, error) ||
                !(name = get_string(rec, where, "name", error))) {
                return NULL;
            }
            if (!*name || *name == '$') {
                /* What the writer refuses for a device's top-level name. */
                json_fail(error, where, "name \"%s\" is empty or starts "
                          "with '$'", name);
                return NULL;
            }
            if (strlen(name) > QIDL_LIMIT_NAME_LEN) {
                json_fail(error, where, "name of %" G_GSIZE_FORMAT " bytes: "
                          "a field name must be 1 to %u bytes of UTF-8",
                          strlen(name), QIDL_LIMIT_NAME_LEN);
                return NULL;
            }
            if (!state) {
                json_fail(error, where, "state is missing");
                return NULL;
            }
            node = qidl_json_to_node(tree, state, name, error);
            if (!node) {
                g_prefix_error(error, "%s.state: ", where);
                return NULL;
            }
            if (!qidl_node_is_device(node)) {
                json_fail(error, where, "state has no $device member");
                return NULL;
            }
            if (!check_device(node, where, error)) {
                return NULL;
            }
            if (g_hash_table_contains(paths,
                                      qidl_node_get_instance_path(node))) {
                json_fail(error, where, "instance path %s already in "
                          "records[%u]", qidl_node_get_instance_path(node),
                          GPOINTER_TO_UINT(g_hash_table_lookup(
                              paths, qidl_node_get_instance_path(node))) - 1);
                return NULL;
            }
            g_hash_table_insert(paths,
                                (gpointer)qidl_node_get_instance_path(node),
                                GUINT_TO_POINTER(i + 1));
            if (!qidl_node_append(qidl_tree_get_root(tree), node, error)) {
                g_prefix_error(error, "%s: ", where);
                return NULL;
            }
            last_path = qidl_node_get_instance_path(node);
        } else if (strcmp(kind, "preserved") == 0) {
            if (!read_preserved(rec, where, out, last_path, error)) {
                return NULL;
            }
        } else {
            json_fail(error, where, "unknown record kind \"%s\"", kind);
            return NULL;
        }
    }
    if (info) {
        *info = g_steal_pointer(&out);
    }
    return g_steal_pointer(&tree);
}

JsonNode *qidl_stream_to_json(const guint8 *data, gsize len, GError **error)
{
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(data, len, &info, error);

    if (!tree) {
        return NULL;
    }
    return qidl_stream_json_from_tree(tree, info);
}

gboolean qidl_stream_from_json(JsonNode *json, GByteArray *out,
                               GError **error)
{
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = NULL;

    g_return_val_if_fail(json != NULL, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);

    tree = qidl_stream_json_to_tree(json, &info, error);
    if (!tree) {
        return FALSE;
    }
    return qidl_stream_write_tree(tree, info,
                                  info->compressed ? QIDL_STREAM_WRITE_ZSTD
                                                   : QIDL_STREAM_WRITE_NONE,
                                  out, error);
}
