/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vmdesc trailer of a QEMU stream, compiled into section layouts.
 *
 * QEMU describes every FULL section it writes in a JSON document appended
 * to the stream (migration/savevm.c, migration/vmstate.c):
 *
 *     {"page_size": 4096, "devices": [DEVICE, ...]}
 *     DEVICE  = {"name": IDSTR, "instance_id": N, "vmsd_name": NAME,
 *                "version": N, "fields": [FIELD, ...],
 *                "subsections": [VMSD, ...]}         (subsections optional)
 *             | {"name": IDSTR, "instance_id": N, "size": N,
 *                "fields": [{"name": "data", "type": "buffer", "size": N}]}
 *                                                    (legacy save_state)
 *     VMSD    = {"vmsd_name": NAME, "version": N, "fields": [...],
 *                "subsections": [...]}
 *     FIELD   = {"name": NAME, "type": TYPE, "size": N}
 *             | ... + "array_len": N     (N equal elements, described once;
 *                                         "size" is one element's)
 *             | ... + "index": I         (one element of an array whose
 *                                         elements may differ; consecutive)
 *             | ... + "struct": VMSD     (type "struct")
 *             | ... + VMSD's members     (types "vstruct" and "tmp": the
 *                                         nested description is inline)
 *
 * "size" is the bytes a field took on the wire, nested subsections
 * included.  A subsection adds its header (marker, counted name, version)
 * that no size counts.
 *
 * A layout entry is checked against what it describes: a scalar type must
 * have its width, a struct's fields must add up to its size.  What does
 * not check out, and every type without a generic encoding ("buffer",
 * "pci config", "virtio", queues and trees of variable shape), becomes
 * opaque bytes of the field's size, which is always right.
 *
 * The text is hostile: its length and nesting are bounded before json-glib
 * (whose parser recurses) sees it, and the compiler recurses only as deep
 * as QIDL_LIMIT_DEPTH, checked at each level.
 */
#include <string.h>

#include "qemu-stream-private.h"

void qemu_layout_free(QemuLayout *layout)
{
    if (!layout) {
        return;
    }
    if (layout->children) {
        g_ptr_array_unref(layout->children);
    }
    g_free(layout->name);
    g_free(layout->sub_name);
    g_free(layout);
}

static void layout_free_cb(gpointer p)
{
    qemu_layout_free(p);
}

void qemu_vmdesc_entry_free(gpointer p)
{
    QemuVmdescEntry *e = p;

    if (e) {
        g_free(e->name);
        qemu_layout_free(e->layout);
        g_free(e);
    }
}

void qemu_tree_name(GString *out, const char *name)
{
    const char *p = name;

    if (!*p) {
        g_string_append_c(out, '_');
        return;
    }
    if (*p == '$') {
        g_string_append_c(out, '_');
        p++;
    }
    for (; *p; p++) {
        guchar c = (guchar)*p;

        if (c == '.') {
            g_string_append_c(out, '_');
        } else if (c == '[') {
            g_string_append_c(out, '<');
        } else if (c == ']') {
            g_string_append_c(out, '>');
        } else if (c < 0x20 || c >= 0x7f) {
            /* Names are printable ASCII in QEMU; keep trees printable. */
            g_string_append_c(out, '?');
        } else {
            g_string_append_c(out, (char)c);
        }
    }
}

/* ---- bounding the text before json-glib parses it ---- */

static gboolean prescan(const char *text, gsize len, GError **error)
{
    guint depth = 0;
    gboolean in_string = FALSE;

    for (gsize i = 0; i < len; i++) {
        char c = text[i];

        if (c == '\0') {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "NUL byte at byte %" G_GSIZE_FORMAT
                        " of the JSON text", i);
            return FALSE;
        }
        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_string = FALSE;
            }
            continue;
        }
        if (c == '"') {
            in_string = TRUE;
        } else if (c == '{' || c == '[') {
            if (++depth > QIDL_LIMIT_QEMU_VMDESC_DEPTH) {
                g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                            "nesting exceeds %u levels at byte %"
                            G_GSIZE_FORMAT " of the JSON text",
                            QIDL_LIMIT_QEMU_VMDESC_DEPTH, i);
                return FALSE;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return TRUE;
}

/* ---- the compiler ---- */

typedef struct {
    guint32 n_fields;         /* layout entries so far */
    GString *where;           /* the JSON path, for messages */
} Compiler;

static gboolean compile_error(const Compiler *c, GError **error, int code,
                              const char *format, ...) G_GNUC_PRINTF(4, 5);

static gboolean compile_error(const Compiler *c, GError **error, int code,
                              const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, QIDL_ERROR, code, "%s: %s", c->where->str, msg);
    return FALSE;
}

static QemuLayout *layout_new(Compiler *c, LayoutKind kind, GError **error)
{
    QemuLayout *l;

    if (++c->n_fields > QIDL_LIMIT_QEMU_FIELDS) {
        compile_error(c, error, QIDL_ERROR_LIMIT,
                      "more than %u fields", QIDL_LIMIT_QEMU_FIELDS);
        return NULL;
    }
    l = g_new0(QemuLayout, 1);
    l->kind = kind;
    if (kind == LAYOUT_STRUCT || kind == LAYOUT_LIST ||
        kind == LAYOUT_SUBSECTION) {
        l->children = g_ptr_array_new_with_free_func(layout_free_cb);
    }
    return l;
}

/* A member that must be a string, or NULL with @error set. */
static const char *get_string(const Compiler *c, JsonObject *obj,
                              const char *member, GError **error)
{
    JsonNode *n = json_object_get_member(obj, member);

    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_STRING) {
        compile_error(c, error, QIDL_ERROR_INVALID,
                      "\"%s\": expected a string", member);
        return NULL;
    }
    return json_node_get_string(n);
}

/* A member that must be an integer in [0, max]. */
static gboolean get_uint(const Compiler *c, JsonObject *obj,
                         const char *member, guint64 max, guint64 *out,
                         GError **error)
{
    JsonNode *n = json_object_get_member(obj, member);
    gint64 v;

    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_INT64) {
        return compile_error(c, error, QIDL_ERROR_INVALID,
                             "\"%s\": expected an integer", member);
    }
    v = json_node_get_int(n);
    if (v < 0 || (guint64)v > max) {
        return compile_error(c, error, QIDL_ERROR_INVALID,
                             "\"%s\": %" G_GINT64_FORMAT " is not in [0, %"
                             G_GUINT64_FORMAT "]", member, v, max);
    }
    *out = (guint64)v;
    return TRUE;
}

static JsonArray *get_array(const Compiler *c, JsonObject *obj,
                            const char *member, gboolean optional,
                            GError **error)
{
    JsonNode *n = json_object_get_member(obj, member);

    if (!n && optional) {
        return NULL;
    }
    if (!n || !JSON_NODE_HOLDS_ARRAY(n)) {
        compile_error(c, error, QIDL_ERROR_INVALID,
                      "\"%s\": expected an array", member);
        return NULL;
    }
    return json_node_get_array(n);
}

/* Object element @i of @array, or NULL with @error set. */
static JsonObject *get_element(const Compiler *c, JsonArray *array, guint i,
                               GError **error)
{
    JsonNode *n = json_array_get_element(array, i);

    if (!JSON_NODE_HOLDS_OBJECT(n)) {
        compile_error(c, error, QIDL_ERROR_INVALID, "expected an object");
        return NULL;
    }
    return json_node_get_object(n);
}

/*
 * Gives @l a tree name made from @qemu_name, unique among the names in
 * @taken ("~2", "~3", ... appended on a clash).
 */
static void name_child(QemuLayout *l, const char *qemu_name,
                       GHashTable *taken)
{
    g_autoptr(GString) base = g_string_new(NULL);
    GString *name;

    qemu_tree_name(base, qemu_name);
    if (base->len > QIDL_LIMIT_NAME_LEN - 16) {
        g_string_truncate(base, QIDL_LIMIT_NAME_LEN - 16);
    }
    name = g_string_new(base->str);
    for (guint n = 2; g_hash_table_contains(taken, name->str); n++) {
        g_string_printf(name, "%s~%u", base->str, n);
    }
    l->name = g_string_free(name, FALSE);
    g_hash_table_add(taken, l->name);
}

static const struct {
    const char *type;
    QidlKind kind;
} scalar_types[] = {
    { "bool", QIDL_KIND_BOOL },
    { "int8", QIDL_KIND_INT8 },
    { "int16", QIDL_KIND_INT16 },
    { "int32", QIDL_KIND_INT32 },
    { "int64", QIDL_KIND_INT64 },
    { "uint8", QIDL_KIND_UINT8 },
    { "uint16", QIDL_KIND_UINT16 },
    { "uint32", QIDL_KIND_UINT32 },
    { "uint64", QIDL_KIND_UINT64 },
    /* Checked on load, encoded as the plain type. */
    { "int32 equal", QIDL_KIND_INT32 },
    { "int32 le", QIDL_KIND_INT32 },
    { "uint8 equal", QIDL_KIND_UINT8 },
    { "uint16 equal", QIDL_KIND_UINT16 },
    { "uint32 equal", QIDL_KIND_UINT32 },
    { "uint64 equal", QIDL_KIND_UINT64 },
    /* A timer's expiry in ns, -1 when not armed. */
    { "timer", QIDL_KIND_INT64 },
    /* IEEE-754 bits, big-endian (CPU_Double_U as two halves, high first). */
    { "float64", QIDL_KIND_DOUBLE },
    { "CPU_Double_U", QIDL_KIND_DOUBLE },
    /* x86's 16-bit field kept in a uint32. */
    { "uint32_as_uint16", QIDL_KIND_UINT16 },
};

static QidlKind scalar_kind(const char *type)
{
    for (gsize i = 0; i < G_N_ELEMENTS(scalar_types); i++) {
        if (strcmp(scalar_types[i].type, type) == 0) {
            return scalar_types[i].kind;
        }
    }
    return 0;
}

static QemuLayout *compile_vmsd(Compiler *c, JsonObject *obj, guint depth,
                                GError **error);

/* Appends ".member" or "[i]" to the JSON path; returns the old length. */
static gsize where_push(Compiler *c, const char *member, gint64 index)
{
    gsize old = c->where->len;

    if (member) {
        g_string_append_printf(c->where, ".%s", member);
    }
    if (index >= 0) {
        g_string_append_printf(c->where, "[%" G_GINT64_FORMAT "]", index);
    }
    return old;
}

/*
 * One FIELD object, without its array members: a scalar, bytes, or a
 * struct at @depth (the depth its node will have).
 */
static QemuLayout *compile_field(Compiler *c, JsonObject *f, guint depth,
                                 GError **error)
{
    const char *type = get_string(c, f, "type", error);
    QemuLayout *l;
    JsonObject *nested = NULL;
    guint64 size;
    QidlKind kind;

    if (!type ||
        !get_uint(c, f, "size", QIDL_LIMIT_QEMU_STATE_LEN, &size, error)) {
        return NULL;
    }
    if (strcmp(type, "struct") == 0 && json_object_has_member(f, "struct")) {
        JsonNode *n = json_object_get_member(f, "struct");

        if (!JSON_NODE_HOLDS_OBJECT(n)) {
            compile_error(c, error, QIDL_ERROR_INVALID,
                          "\"struct\": expected an object");
            return NULL;
        }
        nested = json_node_get_object(n);
    } else if ((strcmp(type, "vstruct") == 0 || strcmp(type, "tmp") == 0) &&
               json_object_has_member(f, "fields")) {
        nested = f;
    }
    if (nested) {
        gsize old = where_push(c, nested == f ? NULL : "struct", -1);

        l = compile_vmsd(c, nested, depth, error);
        g_string_truncate(c->where, old);
        if (!l) {
            return NULL;
        }
        if (l->size == size) {
            return l;
        }
        /* A description that does not add up: keep the bytes. */
        qemu_layout_free(l);
    }

    kind = scalar_kind(type);
    if (kind && qidl_kind_size(kind) == size) {
        l = layout_new(c, LAYOUT_SCALAR, error);
        if (l) {
            l->scalar = kind;
            l->size = size;
        }
        return l;
    }
    l = layout_new(c, LAYOUT_BYTES, error);
    if (l) {
        l->size = size;
    }
    return l;
}

static gboolean add_size(const Compiler *c, QemuLayout *parent,
                         guint64 size, GError **error)
{
    if (size > QIDL_LIMIT_QEMU_STATE_LEN - parent->size) {
        return compile_error(c, error, QIDL_ERROR_LIMIT,
                             "describes more than %u bytes",
                             QIDL_LIMIT_QEMU_STATE_LEN);
    }
    parent->size += size;
    return TRUE;
}

/* The "fields" of a VMSD or DEVICE object, appended to @s. */
static gboolean compile_fields(Compiler *c, QemuLayout *s, JsonArray *fields,
                               GHashTable *taken, guint depth,
                               GError **error)
{
    guint n = json_array_get_length(fields);
    guint i = 0;

    while (i < n) {
        gsize old = where_push(c, "fields", i);
        JsonObject *f = get_element(c, fields, i, error);
        const char *name;
        QemuLayout *l;

        if (!f || !(name = get_string(c, f, "name", error))) {
            return FALSE;
        }
        if (json_object_has_member(f, "index")) {
            guint64 index;
            guint j;

            if (!get_uint(c, f, "index", 0, &index, error)) {
                return FALSE;
            }
            if (depth + 1 > QIDL_LIMIT_DEPTH) {
                return compile_error(c, error, QIDL_ERROR_LIMIT,
                                     "nesting exceeds %u levels",
                                     QIDL_LIMIT_DEPTH);
            }
            l = layout_new(c, LAYOUT_LIST, error);
            if (!l) {
                return FALSE;
            }
            g_ptr_array_add(s->children, l);
            for (j = i; j < n; j++) {
                JsonObject *e;
                JsonNode *en;
                QemuLayout *el;

                g_string_truncate(c->where, old);
                where_push(c, "fields", j);
                e = get_element(c, fields, j, error);
                if (!e) {
                    return FALSE;
                }
                en = json_object_get_member(e, "index");
                if (j > i &&
                    (!en || !JSON_NODE_HOLDS_VALUE(en) ||
                     json_node_get_value_type(en) != G_TYPE_INT64 ||
                     json_node_get_int(en) != (gint64)(j - i) ||
                     g_strcmp0(json_object_get_string_member_with_default(
                                   e, "name", NULL), name) != 0)) {
                    break;
                }
                if (j - i >= QIDL_LIMIT_LIST_LEN) {
                    return compile_error(c, error, QIDL_ERROR_LIMIT,
                                         "more than %u elements",
                                         QIDL_LIMIT_LIST_LEN);
                }
                el = compile_field(c, e, depth + 2, error);
                if (!el) {
                    return FALSE;
                }
                g_ptr_array_add(l->children, el);
                if (!add_size(c, l, el->size, error)) {
                    return FALSE;
                }
            }
            l->count = j - i;
            i = j;
        } else if (json_object_has_member(f, "array_len")) {
            guint64 count;
            QemuLayout *el;

            if (!get_uint(c, f, "array_len", QIDL_LIMIT_LIST_LEN, &count,
                          error)) {
                return FALSE;
            }
            if (depth + 1 > QIDL_LIMIT_DEPTH) {
                return compile_error(c, error, QIDL_ERROR_LIMIT,
                                     "nesting exceeds %u levels",
                                     QIDL_LIMIT_DEPTH);
            }
            l = layout_new(c, LAYOUT_LIST, error);
            if (!l) {
                return FALSE;
            }
            g_ptr_array_add(s->children, l);
            el = compile_field(c, f, depth + 2, error);
            if (!el) {
                return FALSE;
            }
            g_ptr_array_add(l->children, el);
            l->repeated = TRUE;
            l->count = (guint32)count;
            /* Each element is at least one node. */
            if (count > QIDL_LIMIT_QEMU_FIELDS - c->n_fields) {
                return compile_error(c, error, QIDL_ERROR_LIMIT,
                                     "more than %u fields",
                                     QIDL_LIMIT_QEMU_FIELDS);
            }
            c->n_fields += (guint32)count;
            if (el->size != 0 &&
                count > QIDL_LIMIT_QEMU_STATE_LEN / el->size) {
                return compile_error(c, error, QIDL_ERROR_LIMIT,
                                     "describes more than %u bytes",
                                     QIDL_LIMIT_QEMU_STATE_LEN);
            }
            l->size = count * el->size;
            i++;
        } else {
            l = compile_field(c, f, depth + 1, error);
            if (!l) {
                return FALSE;
            }
            g_ptr_array_add(s->children, l);
            i++;
        }
        g_string_truncate(c->where, old);
        name_child(l, name, taken);
        if (!add_size(c, s, l->size, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * A VMSD (or DEVICE) object: its fields, then its subsections, as a
 * struct whose node will be at @depth.
 */
static QemuLayout *compile_vmsd(Compiler *c, JsonObject *obj, guint depth,
                                GError **error)
{
    g_autoptr(GHashTable) taken = g_hash_table_new(g_str_hash, g_str_equal);
    QemuLayout *s;
    JsonArray *fields, *subs;

    if (depth > QIDL_LIMIT_DEPTH) {
        compile_error(c, error, QIDL_ERROR_LIMIT,
                      "nesting exceeds %u levels", QIDL_LIMIT_DEPTH);
        return NULL;
    }
    fields = get_array(c, obj, "fields", FALSE, error);
    if (!fields) {
        return NULL;
    }
    s = layout_new(c, LAYOUT_STRUCT, error);
    if (!s) {
        return NULL;
    }
    if (!compile_fields(c, s, fields, taken, depth, error)) {
        qemu_layout_free(s);
        return NULL;
    }

    subs = get_array(c, obj, "subsections", TRUE, error);
    if (!subs && json_object_has_member(obj, "subsections")) {
        qemu_layout_free(s);
        return NULL;
    }
    for (guint i = 0; subs && i < json_array_get_length(subs); i++) {
        gsize old = where_push(c, "subsections", i);
        JsonObject *so = get_element(c, subs, i, error);
        const char *vmsd_name;
        guint64 version;
        QemuLayout *sub;

        if (!so || !(vmsd_name = get_string(c, so, "vmsd_name", error)) ||
            !get_uint(c, so, "version", G_MAXUINT32, &version, error)) {
            qemu_layout_free(s);
            return NULL;
        }
        if (strlen(vmsd_name) > G_MAXUINT8 || !*vmsd_name) {
            compile_error(c, error, QIDL_ERROR_INVALID,
                          "subsection name of %" G_GSIZE_FORMAT " bytes: "
                          "QEMU's header holds 1 to 255",
                          strlen(vmsd_name));
            qemu_layout_free(s);
            return NULL;
        }
        sub = compile_vmsd(c, so, depth + 1, error);
        if (!sub) {
            qemu_layout_free(s);
            return NULL;
        }
        g_string_truncate(c->where, old);
        sub->kind = LAYOUT_SUBSECTION;
        sub->sub_name = g_strdup(vmsd_name);
        sub->sub_version = (guint32)version;
        /* Marker, name length, name, version. */
        sub->size += 1 + 1 + strlen(vmsd_name) + 4;
        g_ptr_array_add(s->children, sub);
        name_child(sub, vmsd_name, taken);
        if (!add_size(c, s, sub->size, error)) {
            qemu_layout_free(s);
            return NULL;
        }
    }
    return s;
}

gboolean qemu_vmdesc_compile(const char *text, gsize len,
                             guint32 *page_size, GPtrArray **entries,
                             GError **error)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GPtrArray) out = NULL;
    g_autoptr(GString) where = g_string_new("devices");
    g_autoptr(GError) local = NULL;
    Compiler c = { 0, where };
    JsonNode *root;
    JsonObject *obj;
    JsonArray *devices;

    if (len > QIDL_LIMIT_QEMU_VMDESC_LEN) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                    "%" G_GSIZE_FORMAT " bytes exceed the limit of "
                    "%u", len, QIDL_LIMIT_QEMU_VMDESC_LEN);
        return FALSE;
    }
    if (!prescan(text, len, error)) {
        return FALSE;
    }
    parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(parser, text, (gssize)len, &local)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "not JSON: %s", local->message);
        return FALSE;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "expected a JSON object");
        return FALSE;
    }
    obj = json_node_get_object(root);
    *page_size = 0;
    if (json_object_has_member(obj, "page_size")) {
        guint64 ps;

        g_string_assign(where, "page_size");
        if (!get_uint(&c, obj, "page_size", 1u << 30, &ps, error)) {
            return FALSE;
        }
        *page_size = (guint32)ps;
        g_string_assign(where, "devices");
    }
    g_string_truncate(where, 0);
    devices = get_array(&c, obj, "devices", FALSE, error);
    if (!devices) {
        return FALSE;
    }
    out = g_ptr_array_new_with_free_func(qemu_vmdesc_entry_free);
    for (guint i = 0, total = 0; i < json_array_get_length(devices); i++) {
        QemuVmdescEntry *e;
        JsonObject *d;
        const char *name;
        guint64 instance;

        g_string_printf(where, "devices[%u]", i);
        d = get_element(&c, devices, i, error);
        if (!d || !(name = get_string(&c, d, "name", error)) ||
            !get_uint(&c, d, "instance_id", G_MAXUINT32, &instance, error)) {
            return FALSE;
        }
        e = g_new0(QemuVmdescEntry, 1);
        e->name = g_strdup(name);
        e->instance_id = (guint32)instance;
        g_ptr_array_add(out, e);
        g_string_append_printf(where, " ('%s')", name);
        e->layout = compile_vmsd(&c, d, 1, error);
        if (!e->layout) {
            return FALSE;
        }
        /* Each is within the bound: the sum cannot wrap. */
        if (e->layout->size > QIDL_LIMIT_QEMU_STATE_LEN - total) {
            return compile_error(&c, error, QIDL_ERROR_LIMIT,
                                 "the devices describe more than %u bytes "
                                 "of state", QIDL_LIMIT_QEMU_STATE_LEN);
        }
        total += (guint)e->layout->size;
    }
    *entries = g_steal_pointer(&out);
    return TRUE;
}
