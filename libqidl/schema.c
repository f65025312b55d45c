/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Schemas: the model, reading qidl-extract schemas (<stem>.qidl.json),
 * loading files and directories, and reports.  QEMU dumps are read by
 * schema-qemu.c into the same model; the comparisons are in
 * schema-compare.c and schema-qemu.c, filter rules in schema-rules.c,
 * the pre-flight check in schema-tree.c.
 *
 * Schema files are untrusted: qidl_json_parse() bounds their size and
 * nesting, the walk over a file is flat (structs, their fields, enums),
 * every member is checked for its JSON type and range, unknown members
 * are refused, and errors name the file and the member.  A file that
 * fails leaves the schema as it was: what it added is rolled back.
 */
#include <string.h>

#include <qidl/json.h>
#include <qidl/limits.h>

#include "schema-private.h"

/* ------------------------------------------------------------------------
 * The model
 */

static void free_type(gpointer data)
{
    SchemaType *t = data;

    if (t->fields) {
        g_ptr_array_unref(t->fields);
    }
    if (t->subsections) {
        g_ptr_array_unref(t->subsections);
    }
    g_free(t);
}

static void free_subsection(gpointer data)
{
    SchemaSubsection *ss = data;

    if (ss->field_names) {
        g_ptr_array_unref(ss->field_names);
    }
    g_free(ss);
}

static void free_enum(gpointer data)
{
    SchemaEnum *e = data;

    g_array_unref(e->values);
    g_free(e);
}

QidlSchema *qidl_schema_new(QidlSchemaFormat format)
{
    QidlSchema *s;

    g_return_val_if_fail(format == QIDL_SCHEMA_FORMAT_QIDL ||
                         format == QIDL_SCHEMA_FORMAT_QEMU_VMSTATE, NULL);
    s = g_new0(QidlSchema, 1);
    s->format = format;
    s->strings = g_string_chunk_new(4096);
    s->all_types = g_ptr_array_new_with_free_func(free_type);
    s->all_fields = g_ptr_array_new_with_free_func(g_free);
    s->all_subsections = g_ptr_array_new_with_free_func(free_subsection);
    s->types = g_ptr_array_new();
    s->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    s->enums = g_ptr_array_new_with_free_func(free_enum);
    s->enums_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    s->aliases = g_hash_table_new(g_str_hash, g_str_equal);
    return s;
}

void qidl_schema_free(QidlSchema *s)
{
    if (!s) {
        return;
    }
    g_ptr_array_unref(s->types);
    g_hash_table_unref(s->by_name);
    g_hash_table_unref(s->enums_by_name);
    g_hash_table_unref(s->aliases);
    g_ptr_array_unref(s->all_types);
    g_ptr_array_unref(s->all_fields);
    g_ptr_array_unref(s->all_subsections);
    g_ptr_array_unref(s->enums);
    g_string_chunk_free(s->strings);
    g_free(s);
}

QidlSchemaFormat qidl_schema_get_format(const QidlSchema *s)
{
    g_return_val_if_fail(s != NULL, 0);
    return s->format;
}

const char *schema__str(QidlSchema *s, const char *text)
{
    return text ? g_string_chunk_insert_const(s->strings, text) : NULL;
}

SchemaType *schema__new_type(QidlSchema *s)
{
    SchemaType *t = g_new0(SchemaType, 1);

    /* The arrays are views: their elements are owned by the schema. */
    t->fields = g_ptr_array_new();
    g_ptr_array_add(s->all_types, t);
    return t;
}

SchemaField *schema__new_field(QidlSchema *s)
{
    SchemaField *f = g_new0(SchemaField, 1);

    f->num = -1;
    g_ptr_array_add(s->all_fields, f);
    return f;
}

SchemaSubsection *schema__new_subsection(QidlSchema *s)
{
    SchemaSubsection *ss = g_new0(SchemaSubsection, 1);

    g_ptr_array_add(s->all_subsections, ss);
    return ss;
}

SchemaField *schema__copy_field(QidlSchema *s, const SchemaField *f)
{
    SchemaField *copy = schema__new_field(s);

    *copy = *f;
    return copy;
}

SchemaType *schema__copy_type(QidlSchema *s, const SchemaType *t)
{
    SchemaType *copy = schema__new_type(s);
    GPtrArray *fields = copy->fields;

    *copy = *t;
    copy->fields = fields;
    for (guint i = 0; i < t->fields->len; i++) {
        g_ptr_array_add(fields, g_ptr_array_index(t->fields, i));
    }
    if (t->subsections) {
        copy->subsections = g_ptr_array_copy(t->subsections, NULL, NULL);
    }
    return copy;
}

guint schema__n_devices(const QidlSchema *s)
{
    guint n = 0;

    for (guint i = 0; i < s->types->len; i++) {
        n += ((SchemaType *)g_ptr_array_index(s->types, i))->top_level;
    }
    return n;
}

SchemaType *schema__device(const QidlSchema *s, guint index)
{
    for (guint i = 0; i < s->types->len; i++) {
        SchemaType *t = g_ptr_array_index(s->types, i);

        if (t->top_level && index-- == 0) {
            return t;
        }
    }
    return NULL;
}

SchemaType *schema__lookup(const QidlSchema *s, const char *name)
{
    return name ? g_hash_table_lookup(s->by_name, name) : NULL;
}

const SchemaEnum *schema__lookup_enum(const QidlSchema *s, const char *name)
{
    return name ? g_hash_table_lookup(s->enums_by_name, name) : NULL;
}

guint qidl_schema_get_n_types(const QidlSchema *s)
{
    g_return_val_if_fail(s != NULL, 0);
    return schema__n_devices(s);
}

const char *qidl_schema_get_type_name(const QidlSchema *s, guint index)
{
    SchemaType *t;

    g_return_val_if_fail(s != NULL, NULL);
    t = schema__device(s, index);
    g_return_val_if_fail(t != NULL, NULL);
    return t->name;
}

gboolean qidl_schema_get_versions(const QidlSchema *s, const char *name,
                                  guint32 *version, guint32 *min_version)
{
    SchemaType *t;

    g_return_val_if_fail(s != NULL && name != NULL, FALSE);
    t = schema__lookup(s, name);
    if (!t) {
        return FALSE;
    }
    if (version) {
        *version = t->version;
    }
    if (min_version) {
        *min_version = t->min_version;
    }
    return TRUE;
}

void qidl_schema_add_alias(QidlSchema *s, const char *device_type,
                           const char *type_name)
{
    g_return_if_fail(s != NULL && device_type != NULL && type_name != NULL);
    g_hash_table_insert(s->aliases, (gpointer)schema__str(s, device_type),
                        (gpointer)schema__str(s, type_name));
}

/*
 * Links fields to the structs they hold and decides which types are
 * devices: for qidl-extract schemas the structs no other struct holds.
 * QEMU sections are always devices; their nested descriptions are
 * unnamed and linked by the reader.
 */
static void resolve(QidlSchema *s)
{
    if (s->format != QIDL_SCHEMA_FORMAT_QIDL) {
        return;
    }
    for (guint i = 0; i < s->types->len; i++) {
        ((SchemaType *)g_ptr_array_index(s->types, i))->top_level = TRUE;
    }
    for (guint i = 0; i < s->types->len; i++) {
        SchemaType *t = g_ptr_array_index(s->types, i);

        for (guint j = 0; j < t->fields->len; j++) {
            SchemaField *f = g_ptr_array_index(t->fields, j);

            f->type = schema__lookup(s, f->struct_name);
            if (f->type && f->type != t) {
                f->type->top_level = FALSE;
            }
        }
    }
}

/* ------------------------------------------------------------------------
 * Reading qidl-extract schemas
 */

typedef struct {
    const char *source;
    GString *path;
} Reader;

static gboolean fail_at(Reader *r, GError **error, const char *member,
                        const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static gboolean fail_at(Reader *r, GError **error, const char *member,
                        const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID, "%s: %s%s%s%s%s",
                r->source, r->path->str,
                r->path->len && member ? "." : "", member ? member : "",
                r->path->len || member ? ": " : "", msg);
    return FALSE;
}

static gsize push(Reader *r, const char *member, gint64 index)
{
    gsize len = r->path->len;

    if (member) {
        g_string_append_printf(r->path, "%s%s", len ? "." : "", member);
    }
    if (index >= 0) {
        g_string_append_printf(r->path, "[%" G_GINT64_FORMAT "]", index);
    }
    return len;
}

static void pop(Reader *r, gsize len)
{
    g_string_truncate(r->path, len);
}

static gboolean check_members(Reader *r, JsonObject *obj,
                              const char *const *allowed, GError **error)
{
    g_autoptr(GList) members = json_object_get_members(obj);

    for (GList *m = members; m; m = m->next) {
        gboolean known = FALSE;

        for (guint i = 0; allowed[i]; i++) {
            known = known || strcmp(m->data, allowed[i]) == 0;
        }
        if (!known) {
            return fail_at(r, error, NULL, "unknown member \"%s\"",
                           (const char *)m->data);
        }
    }
    return TRUE;
}

static JsonObject *as_object(Reader *r, JsonNode *node, const char *member,
                             GError **error)
{
    if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
        fail_at(r, error, member, "expected an object");
        return NULL;
    }
    return json_node_get_object(node);
}

static JsonArray *get_array(Reader *r, JsonObject *obj, const char *member,
                            gboolean required, GError **error)
{
    JsonNode *node = json_object_get_member(obj, member);

    if (!node && !required) {
        return NULL;
    }
    if (!node || !JSON_NODE_HOLDS_ARRAY(node)) {
        fail_at(r, error, member, node ? "expected an array" : "missing");
        return NULL;
    }
    return json_node_get_array(node);
}

static gboolean is_string_node(JsonNode *node)
{
    return node && JSON_NODE_HOLDS_VALUE(node) &&
           json_node_get_value_type(node) == G_TYPE_STRING;
}

/* A string member; *out is NULL if absent and not @required. */
static gboolean get_string(Reader *r, QidlSchema *s, JsonObject *obj,
                           const char *member, gboolean required,
                           gboolean nullable, const char **out,
                           GError **error)
{
    JsonNode *node = json_object_get_member(obj, member);

    *out = NULL;
    if (!node) {
        return required ? fail_at(r, error, member, "missing") : TRUE;
    }
    if (nullable && JSON_NODE_HOLDS_NULL(node)) {
        return TRUE;
    }
    if (!is_string_node(node)) {
        return fail_at(r, error, member, "expected a string%s",
                       nullable ? " or null" : "");
    }
    *out = schema__str(s, json_node_get_string(node));
    return TRUE;
}

/* A name: a non-empty string of at most QIDL_LIMIT_NAME_LEN bytes. */
static gboolean get_name(Reader *r, QidlSchema *s, JsonObject *obj,
                         const char *member, gboolean required,
                         const char **out, GError **error)
{
    if (!get_string(r, s, obj, member, required, FALSE, out, error)) {
        return FALSE;
    }
    if (*out && (!**out || strlen(*out) > QIDL_LIMIT_NAME_LEN)) {
        return fail_at(r, error, member, "expected a name of 1 to %u bytes",
                       QIDL_LIMIT_NAME_LEN);
    }
    return TRUE;
}

static gboolean node_to_int(JsonNode *node, gint64 *out)
{
    if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64) {
        return FALSE;
    }
    *out = json_node_get_int(node);
    return TRUE;
}

static gboolean get_int_range(Reader *r, JsonObject *obj, const char *member,
                              gboolean required, gint64 min, gint64 max,
                              gint64 *out, GError **error)
{
    JsonNode *node = json_object_get_member(obj, member);

    if (!node && !required) {
        return TRUE;
    }
    if (!node_to_int(node, out) || *out < min || *out > max) {
        return fail_at(r, error, member,
                       node ? "expected an integer from %" G_GINT64_FORMAT
                              " to %" G_GINT64_FORMAT : "missing",
                       min, max);
    }
    return TRUE;
}

static gboolean get_uint32(Reader *r, JsonObject *obj, const char *member,
                           gboolean required, guint32 *out, GError **error)
{
    gint64 v = *out;

    if (!get_int_range(r, obj, member, required, 0, G_MAXUINT32, &v,
                       error)) {
        return FALSE;
    }
    *out = (guint32)v;
    return TRUE;
}

static gboolean get_size(Reader *r, JsonObject *obj, const char *member,
                         gboolean required, guint64 *out, GError **error)
{
    gint64 v = (gint64)*out;

    if (!get_int_range(r, obj, member, required, 0, G_MAXINT64, &v,
                       error)) {
        return FALSE;
    }
    *out = (guint64)v;
    return TRUE;
}

static gboolean get_bool(Reader *r, JsonObject *obj, const char *member,
                         gboolean required, gboolean *out, GError **error)
{
    JsonNode *node = json_object_get_member(obj, member);

    if (!node && !required) {
        return TRUE;
    }
    if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
        return fail_at(r, error, member, node ? "expected true or false"
                                              : "missing");
    }
    *out = json_node_get_boolean(node);
    return TRUE;
}

static gboolean get_kind(Reader *r, QidlSchema *s, JsonObject *obj,
                         const char *member, gboolean required,
                         QidlKind *out, GError **error)
{
    const char *name;

    if (!get_string(r, s, obj, member, required, TRUE, &name, error)) {
        return FALSE;
    }
    *out = name ? qidl_kind_from_name(name) : 0;
    if (name && !*out) {
        return fail_at(r, error, member, "unknown kind \"%s\"", name);
    }
    return TRUE;
}

static const struct {
    const char *name;
    SchemaContainer container;
} containers[] = {
    { "array", SCHEMA_CONTAINER_ARRAY },
    { "heap-array", SCHEMA_CONTAINER_HEAP_ARRAY },
    { "pointer", SCHEMA_CONTAINER_POINTER },
    { "GSList", SCHEMA_CONTAINER_GSLIST },
    { "GArray", SCHEMA_CONTAINER_GARRAY },
};

/* The markers that say why a field is not saved. */
static const char *const unsaved_markers[] = {
    "immutable", "derived", "broken", "elsewhere", "property", NULL,
};

/*
 * annotations: each marker as written: true for a bare marker, its
 * argument, or the list of its arguments.
 */
static gboolean read_annotations(Reader *r, QidlSchema *s, SchemaField *f,
                                 JsonObject *obj, GError **error)
{
    JsonNode *node = json_object_get_member(obj, "annotations");
    g_autoptr(GList) members = NULL;
    JsonObject *ann;
    gsize mark;

    if (!node) {
        return TRUE;
    }
    ann = as_object(r, node, "annotations", error);
    if (!ann) {
        return FALSE;
    }
    mark = push(r, "annotations", -1);
    members = json_object_get_members(ann);
    for (GList *m = members; m; m = m->next) {
        const char *marker = m->data;
        JsonNode *value = json_object_get_member(ann, marker);
        const char *arg = NULL;

        if (JSON_NODE_HOLDS_ARRAY(value)) {
            JsonArray *args = json_node_get_array(value);

            for (guint i = 0; i < json_array_get_length(args); i++) {
                if (!is_string_node(json_array_get_element(args, i))) {
                    gsize m2 = push(r, marker, i);

                    fail_at(r, error, NULL, "expected a string");
                    pop(r, m2);
                    return FALSE;
                }
            }
            if (json_array_get_length(args) > 0) {
                arg = json_array_get_string_element(args, 0);
            }
        } else if (is_string_node(value)) {
            arg = json_node_get_string(value);
        } else if (!JSON_NODE_HOLDS_VALUE(value) ||
                   json_node_get_value_type(value) != G_TYPE_BOOLEAN ||
                   !json_node_get_boolean(value)) {
            return fail_at(r, error, marker,
                           "expected true, a string or a list of strings");
        }

        if (strcmp(marker, "default") == 0) {
            if (!arg) {
                return fail_at(r, error, marker, "expected the value");
            }
            f->default_value = schema__str(s, arg);
        } else if (strcmp(marker, "optional") == 0) {
            f->optional = TRUE;
        } else if (strcmp(marker, "size_is") == 0) {
            if (!arg) {
                return fail_at(r, error, marker, "expected the count");
            }
            f->size_is = schema__str(s, arg);
        } else {
            for (guint i = 0; unsaved_markers[i]; i++) {
                if (!f->marker && strcmp(marker, unsaved_markers[i]) == 0) {
                    f->marker = unsaved_markers[i];
                }
            }
        }
    }
    pop(r, mark);
    return TRUE;
}

static gboolean read_field(Reader *r, QidlSchema *s, SchemaType *t,
                           GHashTable *names, JsonNode *node, GError **error)
{
    static const char *const allowed[] = {
        "name", "ctype", "kind", "container", "element-kind",
        "element-ctype", "struct", "enum", "size", "element-size", "dims",
        "saved", "version", "subsection", "presence-of", "annotations",
        NULL,
    };
    SchemaField *f = schema__new_field(s);
    JsonObject *obj = as_object(r, node, NULL, error);
    const char *container = NULL;
    const char *unused = NULL;
    JsonArray *dims;

    if (!obj || !check_members(r, obj, allowed, error) ||
        !get_name(r, s, obj, "name", TRUE, &f->name, error) ||
        !get_string(r, s, obj, "ctype", FALSE, FALSE, &f->ctype, error) ||
        !get_kind(r, s, obj, "kind", TRUE, &f->kind, error) ||
        !get_string(r, s, obj, "container", FALSE, FALSE, &container,
                    error) ||
        !get_kind(r, s, obj, "element-kind", FALSE, &f->element_kind,
                  error) ||
        !get_string(r, s, obj, "element-ctype", FALSE, FALSE, &unused,
                    error) ||
        !get_name(r, s, obj, "struct", FALSE, &f->struct_name, error) ||
        !get_name(r, s, obj, "enum", FALSE, &f->enum_name, error) ||
        !get_size(r, obj, "size", FALSE, &f->size, error) ||
        !get_size(r, obj, "element-size", FALSE, &f->element_size, error) ||
        !get_bool(r, obj, "saved", TRUE, &f->saved, error) ||
        !get_name(r, s, obj, "subsection", FALSE, &f->subsection, error) ||
        !get_name(r, s, obj, "presence-of", FALSE, &unused, error)) {
        return FALSE;
    }
    f->version = 1;
    if (!get_uint32(r, obj, "version", FALSE, &f->version, error)) {
        return FALSE;
    }
    if (container) {
        for (guint i = 0; i < G_N_ELEMENTS(containers); i++) {
            if (strcmp(container, containers[i].name) == 0) {
                f->container = containers[i].container;
            }
        }
        if (f->container == SCHEMA_CONTAINER_NONE) {
            return fail_at(r, error, "container", "unknown container \"%s\"",
                           container);
        }
    }
    /* A kind that is not a list has no separate element kind. */
    if (!f->element_kind && f->kind != QIDL_KIND_LIST) {
        f->element_kind = f->kind;
    }
    if (f->kind == QIDL_KIND_LIST && !f->element_kind) {
        return fail_at(r, error, "element-kind", "missing for a list");
    }
    dims = get_array(r, obj, "dims", FALSE, error);
    if (!dims && json_object_has_member(obj, "dims")) {
        return FALSE;
    }
    if (dims) {
        gsize mark = push(r, "dims", -1);

        if (json_array_get_length(dims) > QIDL_VMS_MAX_DIMS) {
            return fail_at(r, error, NULL, "more than %d dimensions",
                           QIDL_VMS_MAX_DIMS);
        }
        f->n_dims = json_array_get_length(dims);
        for (guint i = 0; i < f->n_dims; i++) {
            gint64 v;

            if (!node_to_int(json_array_get_element(dims, i), &v) || v < 0 ||
                v > G_MAXUINT32) {
                gsize m2 = push(r, NULL, i);

                fail_at(r, error, NULL,
                        "expected an integer from 0 to 4294967295");
                pop(r, m2);
                return FALSE;
            }
            f->dims[i] = (guint32)v;
        }
        pop(r, mark);
    }
    if (!read_annotations(r, s, f, obj, error)) {
        return FALSE;
    }
    if (!f->saved && !f->marker) {
        f->marker = json_object_has_member(obj, "presence-of") ?
                    "presence flag" : "not saved";
    }
    if (g_hash_table_contains(names, f->name)) {
        return fail_at(r, error, "name", "field \"%s\" is listed twice",
                       f->name);
    }
    g_hash_table_add(names, (gpointer)f->name);
    g_ptr_array_add(t->fields, f);
    return TRUE;
}

static gboolean read_subsection(Reader *r, QidlSchema *s, SchemaType *t,
                                JsonNode *node, GError **error)
{
    static const char *const allowed[] = {
        "name", "version", "needed", "fields", NULL,
    };
    SchemaSubsection *ss = schema__new_subsection(s);
    JsonObject *obj = as_object(r, node, NULL, error);
    const char *needed;
    JsonArray *fields;

    ss->version = 1;
    if (!obj || !check_members(r, obj, allowed, error) ||
        !get_name(r, s, obj, "name", TRUE, &ss->name, error) ||
        !get_uint32(r, obj, "version", FALSE, &ss->version, error) ||
        !get_string(r, s, obj, "needed", FALSE, FALSE, &needed, error)) {
        return FALSE;
    }
    fields = get_array(r, obj, "fields", FALSE, error);
    if (!fields && json_object_has_member(obj, "fields")) {
        return FALSE;
    }
    ss->field_names = g_ptr_array_new();
    for (guint i = 0; fields && i < json_array_get_length(fields); i++) {
        JsonNode *name = json_array_get_element(fields, i);

        if (!is_string_node(name)) {
            gsize mark = push(r, "fields", i);

            fail_at(r, error, NULL, "expected a string");
            pop(r, mark);
            return FALSE;
        }
        g_ptr_array_add(ss->field_names,
                        (gpointer)schema__str(s, json_node_get_string(name)));
    }
    if (!t->subsections) {
        t->subsections = g_ptr_array_new();
    }
    g_ptr_array_add(t->subsections, ss);
    return TRUE;
}

static gboolean read_struct(Reader *r, QidlSchema *s, JsonNode *node,
                            const char *source, GError **error)
{
    static const char *const allowed[] = {
        "name", "ctype", "anonymous", "version", "min-version", "size",
        "checks", "pre-save", "post-load", "fields", "subsections", NULL,
    };
    SchemaType *t = schema__new_type(s);
    JsonObject *obj = as_object(r, node, NULL, error);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    const char *unused;
    JsonArray *fields, *checks, *subsections;

    t->source = source;
    if (!obj || !check_members(r, obj, allowed, error) ||
        !get_name(r, s, obj, "name", TRUE, &t->name, error) ||
        !get_string(r, s, obj, "ctype", FALSE, FALSE, &t->ctype, error) ||
        !get_bool(r, obj, "anonymous", FALSE, &t->anonymous, error) ||
        !get_uint32(r, obj, "version", TRUE, &t->version, error) ||
        !get_uint32(r, obj, "min-version", TRUE, &t->min_version, error) ||
        !get_size(r, obj, "size", FALSE, &t->size, error) ||
        !get_string(r, s, obj, "pre-save", FALSE, FALSE, &unused, error) ||
        !get_string(r, s, obj, "post-load", FALSE, FALSE, &unused, error)) {
        return FALSE;
    }
    if (t->version < 1 || t->min_version < 1 ||
        t->min_version > t->version) {
        return fail_at(r, error, "min-version",
                       "versions must satisfy 1 <= min-version (%u) <= "
                       "version (%u)", t->min_version, t->version);
    }
    checks = get_array(r, obj, "checks", FALSE, error);
    if (!checks && json_object_has_member(obj, "checks")) {
        return FALSE;
    }
    for (guint i = 0; checks && i < json_array_get_length(checks); i++) {
        if (!is_string_node(json_array_get_element(checks, i))) {
            gsize mark = push(r, "checks", i);

            fail_at(r, error, NULL, "expected a string");
            pop(r, mark);
            return FALSE;
        }
    }
    if (g_hash_table_contains(s->by_name, t->name)) {
        SchemaType *other = g_hash_table_lookup(s->by_name, t->name);

        return fail_at(r, error, "name", "struct \"%s\" is already defined "
                       "by %s", t->name, other->source);
    }
    fields = get_array(r, obj, "fields", TRUE, error);
    if (!fields) {
        return FALSE;
    }
    for (guint i = 0; i < json_array_get_length(fields); i++) {
        gsize mark = push(r, "fields", i);
        const SchemaField *f;

        if (!read_field(r, s, t, names, json_array_get_element(fields, i),
                        error)) {
            return FALSE;
        }
        /* A field cannot be newer than its struct: such a schema would be
         * incompatible with itself. */
        f = g_ptr_array_index(t->fields, t->fields->len - 1);
        if (f->version > t->version) {
            return fail_at(r, error, "version", "field version %u is above "
                           "the struct's version %u", f->version,
                           t->version);
        }
        pop(r, mark);
    }
    subsections = get_array(r, obj, "subsections", FALSE, error);
    if (!subsections && json_object_has_member(obj, "subsections")) {
        return FALSE;
    }
    for (guint i = 0; subsections && i < json_array_get_length(subsections);
         i++) {
        gsize mark = push(r, "subsections", i);

        if (!read_subsection(r, s, t,
                             json_array_get_element(subsections, i),
                             error)) {
            return FALSE;
        }
        pop(r, mark);
    }
    g_ptr_array_add(s->types, t);
    g_hash_table_insert(s->by_name, (gpointer)t->name, t);
    return TRUE;
}

static gboolean read_enum(Reader *r, QidlSchema *s, JsonNode *node,
                          GError **error)
{
    static const char *const allowed[] = {
        "name", "ctype", "kind", "values", NULL,
    };
    static const char *const value_allowed[] = { "name", "value", NULL };
    JsonObject *obj = as_object(r, node, NULL, error);
    SchemaEnum *e;
    const char *unused, *kind;
    JsonArray *values;

    e = g_new0(SchemaEnum, 1);
    e->values = g_array_new(FALSE, FALSE, sizeof(SchemaEnumValue));
    g_ptr_array_add(s->enums, e);
    if (!obj || !check_members(r, obj, allowed, error) ||
        !get_name(r, s, obj, "name", TRUE, &e->name, error) ||
        !get_string(r, s, obj, "ctype", FALSE, FALSE, &unused, error) ||
        !get_string(r, s, obj, "kind", FALSE, FALSE, &kind, error)) {
        return FALSE;
    }
    e->kind = kind ? qidl_kind_from_name(kind) : 0;
    values = get_array(r, obj, "values", TRUE, error);
    if (!values) {
        return FALSE;
    }
    for (guint i = 0; i < json_array_get_length(values); i++) {
        gsize mark = push(r, "values", i);
        JsonObject *vo = as_object(r, json_array_get_element(values, i),
                                   NULL, error);
        SchemaEnumValue v = { 0 };

        if (!vo || !check_members(r, vo, value_allowed, error) ||
            !get_name(r, s, vo, "name", TRUE, &v.name, error) ||
            !get_int_range(r, vo, "value", TRUE, G_MININT64, G_MAXINT64,
                           &v.value, error)) {
            return FALSE;
        }
        g_array_append_val(e->values, v);
        pop(r, mark);
    }
    if (g_hash_table_contains(s->enums_by_name, e->name)) {
        return fail_at(r, error, "name", "enum \"%s\" is already defined",
                       e->name);
    }
    g_hash_table_insert(s->enums_by_name, (gpointer)e->name, e);
    return TRUE;
}

static gboolean read_qidl(QidlSchema *s, JsonNode *root, const char *source,
                          GError **error)
{
    static const char *const allowed[] = {
        "qidl-schema", "source", "structs", "enums", NULL,
    };
    Reader r = { source, g_string_new(NULL) };
    gboolean ok = FALSE;
    JsonObject *obj = as_object(&r, root, NULL, error);
    JsonArray *structs, *enums;
    const char *unused;
    gint64 version;

    if (!obj) {
        goto out;
    }
    if (!node_to_int(json_object_get_member(obj, "qidl-schema"), &version)) {
        fail_at(&r, error, "qidl-schema", "missing: not a qidl-extract "
                "schema (QEMU dumps need --format qemu-vmstate)");
        goto out;
    }
    if (version != 1) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_VERSION,
                    "%s: qidl-schema: version %" G_GINT64_FORMAT
                    " is not supported (this checker reads version 1)",
                    source, version);
        goto out;
    }
    if (!check_members(&r, obj, allowed, error) ||
        !get_string(&r, s, obj, "source", FALSE, FALSE, &unused, error)) {
        goto out;
    }
    structs = get_array(&r, obj, "structs", TRUE, error);
    if (!structs) {
        goto out;
    }
    /* Enums first: fields refer to them. */
    enums = get_array(&r, obj, "enums", FALSE, error);
    if (!enums && json_object_has_member(obj, "enums")) {
        goto out;
    }
    for (guint i = 0; enums && i < json_array_get_length(enums); i++) {
        gsize mark = push(&r, "enums", i);

        if (!read_enum(&r, s, json_array_get_element(enums, i), error)) {
            goto out;
        }
        pop(&r, mark);
    }
    for (guint i = 0; i < json_array_get_length(structs); i++) {
        gsize mark = push(&r, "structs", i);

        if (!read_struct(&r, s, json_array_get_element(structs, i), source,
                         error)) {
            goto out;
        }
        pop(&r, mark);
    }
    ok = TRUE;
out:
    g_string_free(r.path, TRUE);
    return ok;
}

/* ------------------------------------------------------------------------
 * Loading
 */

typedef struct {
    guint types, all_types, all_fields, all_subsections, enums;
    const char *machine;
} Mark;

static Mark mark_of(const QidlSchema *s)
{
    return (Mark){ s->types->len, s->all_types->len, s->all_fields->len,
                   s->all_subsections->len, s->enums->len, s->machine };
}

/* Undoes everything added since @m, so a failed load changes nothing. */
static void rollback(QidlSchema *s, const Mark *m)
{
    for (guint i = m->types; i < s->types->len; i++) {
        SchemaType *t = g_ptr_array_index(s->types, i);

        if (g_hash_table_lookup(s->by_name, t->name) == t) {
            g_hash_table_remove(s->by_name, t->name);
        }
    }
    for (guint i = m->enums; i < s->enums->len; i++) {
        SchemaEnum *e = g_ptr_array_index(s->enums, i);

        if (e->name && g_hash_table_lookup(s->enums_by_name, e->name) == e) {
            g_hash_table_remove(s->enums_by_name, e->name);
        }
    }
    g_ptr_array_set_size(s->types, m->types);
    g_ptr_array_set_size(s->all_types, m->all_types);
    g_ptr_array_set_size(s->all_fields, m->all_fields);
    g_ptr_array_set_size(s->all_subsections, m->all_subsections);
    g_ptr_array_set_size(s->enums, m->enums);
    s->machine = m->machine;
}

gboolean qidl_schema_load_data(QidlSchema *s, const char *data, gssize len,
                               const char *source, GError **error)
{
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GError) local = NULL;
    Mark mark;
    gboolean ok;

    g_return_val_if_fail(s != NULL && data != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    source = schema__str(s, source ? source : "<data>");
    root = qidl_json_parse(data, len, &local);
    if (!root) {
        /* qidl_json_parse() names its text "<data>"; name the file. */
        if (g_str_has_prefix(local->message, "<data>")) {
            g_set_error(error, local->domain, local->code, "%s%s", source,
                        local->message + strlen("<data>"));
        } else {
            g_set_error(error, local->domain, local->code, "%s: %s", source,
                        local->message);
        }
        return FALSE;
    }
    mark = mark_of(s);
    if (s->format == QIDL_SCHEMA_FORMAT_QIDL) {
        ok = read_qidl(s, root, source, error);
    } else {
        ok = schema__read_qemu(s, root, source, error);
    }
    if (!ok) {
        rollback(s, &mark);
    }
    resolve(s);
    return ok;
}

static gboolean load_file(QidlSchema *s, const char *filename, GError **error)
{
    g_autofree char *data = NULL;
    g_autofree char *base = g_path_get_basename(filename);
    g_autoptr(GError) local = NULL;
    gsize len;

    if (!g_file_get_contents(filename, &data, &len, &local)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    return qidl_schema_load_data(s, data, (gssize)len, base, error);
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean qidl_schema_load_path(QidlSchema *s, const char *path,
                               GError **error)
{
    const char *suffix = s->format == QIDL_SCHEMA_FORMAT_QIDL ? ".qidl.json"
                                                              : ".json";
    g_autoptr(GPtrArray) names = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(GDir) dir = NULL;
    const char *name;
    Mark mark;

    g_return_val_if_fail(s != NULL && path != NULL, FALSE);
    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        return load_file(s, path, error);
    }
    dir = g_dir_open(path, 0, &local);
    if (!dir) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    names = g_ptr_array_new_with_free_func(g_free);
    while ((name = g_dir_read_name(dir))) {
        if (!g_str_has_suffix(name, suffix)) {
            continue;
        }
        if (names->len == QIDL_LIMIT_SCHEMA_FILES) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                        "%s: more than %u schema files", path,
                        QIDL_LIMIT_SCHEMA_FILES);
            return FALSE;
        }
        g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, compare_names);
    mark = mark_of(s);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *file = g_build_filename(path,
                                                 g_ptr_array_index(names, i),
                                                 NULL);

        if (!load_file(s, file, error)) {
            rollback(s, &mark);
            resolve(s);
            return FALSE;
        }
    }
    return TRUE;
}

/* ------------------------------------------------------------------------
 * Reports
 */

struct QidlSchemaReport {
    GStringChunk *strings;
    GArray *changes;            /* QidlSchemaChange */
    guint n_breaking;
};

static const char *const change_names[] = {
    [QIDL_SCHEMA_CHANGE_TYPE_ADDED] = "type-added",
    [QIDL_SCHEMA_CHANGE_TYPE_REMOVED] = "type-removed",
    [QIDL_SCHEMA_CHANGE_TYPE_RENAMED] = "type-renamed",
    [QIDL_SCHEMA_CHANGE_STRUCT_RENAMED] = "struct-renamed",
    [QIDL_SCHEMA_CHANGE_VERSION_RAISED] = "version-raised",
    [QIDL_SCHEMA_CHANGE_VERSION_LOWERED] = "version-lowered",
    [QIDL_SCHEMA_CHANGE_MIN_VERSION_RAISED] = "min-version-raised",
    [QIDL_SCHEMA_CHANGE_FIELD_ADDED] = "field-added",
    [QIDL_SCHEMA_CHANGE_VERSION_NOT_BUMPED] = "version-not-bumped",
    [QIDL_SCHEMA_CHANGE_FIELD_REMOVED] = "field-removed",
    [QIDL_SCHEMA_CHANGE_FIELD_UNSAVED] = "field-unsaved",
    [QIDL_SCHEMA_CHANGE_FIELD_RENAMED] = "field-renamed",
    [QIDL_SCHEMA_CHANGE_FIELD_MISMATCH] = "field-mismatch",
    [QIDL_SCHEMA_CHANGE_EXTRA_FIELD] = "extra-trailing-field",
    [QIDL_SCHEMA_CHANGE_FIELD_MOVED] = "field-moved",
    [QIDL_SCHEMA_CHANGE_FIELD_VERSION_RAISED] = "field-version-raised",
    [QIDL_SCHEMA_CHANGE_KIND_CHANGED] = "kind-changed",
    [QIDL_SCHEMA_CHANGE_WIDTH_CHANGED] = "width-changed",
    [QIDL_SCHEMA_CHANGE_SIGNEDNESS_CHANGED] = "signedness-changed",
    [QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED] = "array-length-changed",
    [QIDL_SCHEMA_CHANGE_CAPACITY_RAISED] = "capacity-raised",
    [QIDL_SCHEMA_CHANGE_CAPACITY_LOWERED] = "capacity-lowered",
    [QIDL_SCHEMA_CHANGE_DEFAULT_ADDED] = "default-added",
    [QIDL_SCHEMA_CHANGE_DEFAULT_CHANGED] = "default-changed",
    [QIDL_SCHEMA_CHANGE_DEFAULT_REMOVED] = "default-removed",
    [QIDL_SCHEMA_CHANGE_OPTIONAL_ADDED] = "optional-added",
    [QIDL_SCHEMA_CHANGE_OPTIONAL_REMOVED] = "optional-removed",
    [QIDL_SCHEMA_CHANGE_ENUM_VALUE_ADDED] = "enum-value-added",
    [QIDL_SCHEMA_CHANGE_ENUM_VALUE_REMOVED] = "enum-value-removed",
    [QIDL_SCHEMA_CHANGE_ENUM_VALUE_CHANGED] = "enum-value-changed",
    [QIDL_SCHEMA_CHANGE_SUBSECTION_ADDED] = "subsection-added",
    [QIDL_SCHEMA_CHANGE_SUBSECTION_REMOVED] = "subsection-removed",
    [QIDL_SCHEMA_CHANGE_SUBSECTION_CHANGED] = "subsection-changed",
    [QIDL_SCHEMA_CHANGE_ENTRY_MISSING] = "entry-missing",
    [QIDL_SCHEMA_CHANGE_MACHINE_CHANGED] = "machine-changed",
    [QIDL_SCHEMA_CHANGE_FILTER_FAILS] = "filter-fails",
    [QIDL_SCHEMA_CHANGE_FILTER_UNCHECKED] = "filter-unchecked",
    [QIDL_SCHEMA_CHANGE_DEVICE_ACCEPTED] = "device-accepted",
    [QIDL_SCHEMA_CHANGE_UNKNOWN_DEVICE] = "unknown-device",
    [QIDL_SCHEMA_CHANGE_VERSION_NOT_ACCEPTED] = "version-not-accepted",
    [QIDL_SCHEMA_CHANGE_MISSING_FIELD] = "missing-field",
    [QIDL_SCHEMA_CHANGE_UNKNOWN_FIELD] = "unknown-field",
};

G_STATIC_ASSERT(G_N_ELEMENTS(change_names) == QIDL_SCHEMA_CHANGE_LAST + 1);

const char *qidl_schema_change_kind_name(QidlSchemaChangeKind kind)
{
    if (kind < QIDL_SCHEMA_CHANGE_FIRST || kind > QIDL_SCHEMA_CHANGE_LAST) {
        return NULL;
    }
    return change_names[kind];
}

QidlSchemaReport *schema__report_new(void)
{
    QidlSchemaReport *r = g_new0(QidlSchemaReport, 1);

    r->strings = g_string_chunk_new(1024);
    r->changes = g_array_new(FALSE, TRUE, sizeof(QidlSchemaChange));
    return r;
}

void qidl_schema_report_free(QidlSchemaReport *r)
{
    if (!r) {
        return;
    }
    g_array_unref(r->changes);
    g_string_chunk_free(r->strings);
    g_free(r);
}

static const char *report_str(QidlSchemaReport *r, const char *s)
{
    return s ? g_string_chunk_insert_const(r->strings, s) : NULL;
}

void schema__report_add(QidlSchemaReport *r, QidlSchemaChangeKind kind,
                        gboolean breaking, const char *device,
                        const char *path, const char *filter,
                        const char *fmt, ...)
{
    QidlSchemaChange c = { 0 };
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    c.kind = kind;
    c.breaking = breaking && !filter;
    c.device = report_str(r, device);
    c.path = report_str(r, path ? path : device);
    c.message = g_string_chunk_insert(r->strings, msg);
    c.filter = report_str(r, filter);
    g_array_append_val(r->changes, c);
    r->n_breaking += c.breaking;
}

void schema__report_set_instance(QidlSchemaReport *r, const char *instance)
{
    g_return_if_fail(r->changes->len > 0);
    g_array_index(r->changes, QidlSchemaChange, r->changes->len - 1).instance
        = report_str(r, instance);
}

guint qidl_schema_report_get_n_changes(const QidlSchemaReport *r)
{
    g_return_val_if_fail(r != NULL, 0);
    return r->changes->len;
}

const QidlSchemaChange *qidl_schema_report_get_change(
    const QidlSchemaReport *r, guint index)
{
    g_return_val_if_fail(r != NULL && index < r->changes->len, NULL);
    return &g_array_index(r->changes, QidlSchemaChange, index);
}

guint qidl_schema_report_get_n_breaking(const QidlSchemaReport *r)
{
    g_return_val_if_fail(r != NULL, 0);
    return r->n_breaking;
}

gboolean qidl_schema_report_is_compatible(const QidlSchemaReport *r)
{
    g_return_val_if_fail(r != NULL, FALSE);
    return r->n_breaking == 0;
}

char *qidl_schema_report_to_text(const QidlSchemaReport *r)
{
    GString *out = g_string_new(NULL);
    guint n = r->changes->len;

    for (guint i = 0; i < n; i++) {
        const QidlSchemaChange *c = &g_array_index(r->changes,
                                                   QidlSchemaChange, i);

        if (c->instance) {
            g_string_append_printf(out, "%s (%s): ", c->instance, c->device);
        }
        g_string_append_printf(out, "%s: %s (%s%s%s): %s\n", c->path,
                               c->breaking ? "breaking" : "compatible",
                               change_names[c->kind],
                               c->filter ? ", filter " : "",
                               c->filter ? c->filter : "", c->message);
    }
    if (n == 0) {
        g_string_append(out, "no changes\n");
    } else {
        g_string_append_printf(out, "%u change%s: %u breaking, %u "
                               "compatible\n", n, n == 1 ? "" : "s",
                               r->n_breaking, n - r->n_breaking);
    }
    return g_string_free(out, FALSE);
}

JsonNode *qidl_schema_report_to_json(const QidlSchemaReport *r)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "compatible");
    json_builder_add_boolean_value(b, r->n_breaking == 0);
    json_builder_set_member_name(b, "breaking");
    json_builder_add_int_value(b, r->n_breaking);
    json_builder_set_member_name(b, "compatible-changes");
    json_builder_add_int_value(b, r->changes->len - r->n_breaking);
    json_builder_set_member_name(b, "changes");
    json_builder_begin_array(b);
    for (guint i = 0; i < r->changes->len; i++) {
        const QidlSchemaChange *c = &g_array_index(r->changes,
                                                   QidlSchemaChange, i);
        const char *names[] = { "device", "instance", "path", "message",
                                "filter" };
        const char *values[] = { c->device, c->instance, c->path, c->message,
                                 c->filter };

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, change_names[c->kind]);
        json_builder_set_member_name(b, "breaking");
        json_builder_add_boolean_value(b, c->breaking);
        for (guint j = 0; j < G_N_ELEMENTS(names); j++) {
            json_builder_set_member_name(b, names[j]);
            if (values[j]) {
                json_builder_add_string_value(b, values[j]);
            } else {
                json_builder_add_null_value(b);
            }
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* ------------------------------------------------------------------------
 * Helpers shared by the comparisons
 */

gboolean schema__count_work(SchemaCompare *c, guint n, GError **error)
{
    if (n > QIDL_LIMIT_SCHEMA_WORK - c->work) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                    "comparison needs more than %u steps",
                    QIDL_LIMIT_SCHEMA_WORK);
        return FALSE;
    }
    c->work += n;
    return TRUE;
}

const char *schema__kind_text(QidlKind kind)
{
    const char *name = kind ? qidl_kind_name(kind) : NULL;

    return name ? name : "unsaveable";
}

QidlSchemaChangeKind schema__classify_kinds(QidlKind o, QidlKind n)
{
    gboolean oi = qidl_kind_is_integer(o), ni = qidl_kind_is_integer(n);
    gboolean of = o == QIDL_KIND_FLOAT || o == QIDL_KIND_DOUBLE;
    gboolean nf = n == QIDL_KIND_FLOAT || n == QIDL_KIND_DOUBLE;

    if (oi && ni) {
        if (qidl_kind_size(o) == qidl_kind_size(n)) {
            return QIDL_SCHEMA_CHANGE_SIGNEDNESS_CHANGED;
        }
        return QIDL_SCHEMA_CHANGE_WIDTH_CHANGED;
    }
    if (of && nf) {
        return QIDL_SCHEMA_CHANGE_WIDTH_CHANGED;
    }
    return QIDL_SCHEMA_CHANGE_KIND_CHANGED;
}
