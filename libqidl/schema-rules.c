/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Filter rules as the compatibility checker reads them.
 *
 * A destination applies its filter rules (docs/filters.md) to a stream's
 * tree before loading it.  The checker applies the same rules to OLD's
 * device types instead, statically: each rule rewrites a copy of the
 * types it matches (renamed, fields renamed, dropped, added, retyped,
 * versions set, split, merged), in the order and with the matching
 * semantics of qidl_filter_set_apply(), and what each rule does is
 * reported as a compatible change naming the rule.  The comparison with
 * NEW then sees OLD as the destination would after filtering.
 *
 * Rule files are validated by the filter module itself (the same
 * QidlFilterSet the pre-flight check applies), so this file only reads
 * rules already known to be well-formed.  What cannot be decided without
 * a stream is reported as "filter-unchecked" and left out: rules that
 * match by instance path only, paths with list indices, merges whose
 * partners are found by path only.
 */
#include <string.h>

#include <qidl/json.h>

#include "schema-private.h"

typedef enum {
    A_RENAME_TYPE,
    A_RENAME_FIELD,
    A_DROP_FIELD,
    A_ADD_FIELD,
    A_MAP_VALUES,
    A_SET_VERSION,
    A_SPLIT,
    A_MERGE,
} SAction;

static const char *const action_keys[] = {
    "rename_type", "rename_field", "drop_field", "add_field", "map_values",
    "set_version", "split", "merge",
};

/* One field a split target or merge source takes, renamed on the way. */
typedef struct {
    char *from;
    char *to;
} SMove;

/* A split target, a merge's result or one of its sources. */
typedef struct {
    char *type;                 /* target/result type; source type glob */
    GPatternSpec *glob;
    guint32 version;
    GArray *moves;              /* SMove */
    gboolean rest;
} SPart;

typedef struct {
    char *name;
    char *type;
    GPatternSpec *type_glob;
    gboolean has_path;
    gboolean has_version;
    guint32 version;
    SAction action;
    char *a;                    /* new type, from, field */
    char *b;                    /* to */
    gboolean optional;
    JsonNode *value;            /* add_field */
    QidlKind from_kind;         /* map_values */
    QidlKind to_kind;
    guint32 set_version;
    GPtrArray *parts;           /* split targets; merge: result, sources */
} SRule;

struct QidlSchemaRules {
    QidlFilterSet *set;
    GPtrArray *rules;           /* SRule */
};

static void move_clear(gpointer data)
{
    SMove *m = data;

    g_free(m->from);
    g_free(m->to);
}

static void part_free(gpointer data)
{
    SPart *p = data;

    g_free(p->type);
    if (p->glob) {
        g_pattern_spec_free(p->glob);
    }
    g_array_unref(p->moves);
    g_free(p);
}

static void srule_free(gpointer data)
{
    SRule *r = data;

    g_free(r->name);
    g_free(r->type);
    if (r->type_glob) {
        g_pattern_spec_free(r->type_glob);
    }
    g_free(r->a);
    g_free(r->b);
    if (r->value) {
        json_node_unref(r->value);
    }
    if (r->parts) {
        g_ptr_array_unref(r->parts);
    }
    g_free(r);
}

QidlSchemaRules *qidl_schema_rules_new(void)
{
    QidlSchemaRules *rules = g_new0(QidlSchemaRules, 1);

    rules->set = qidl_filter_set_new();
    rules->rules = g_ptr_array_new_with_free_func(srule_free);
    return rules;
}

void qidl_schema_rules_free(QidlSchemaRules *rules)
{
    if (!rules) {
        return;
    }
    qidl_filter_set_free(rules->set);
    g_ptr_array_unref(rules->rules);
    g_free(rules);
}

const QidlFilterSet *qidl_schema_rules_get_filter_set(
    const QidlSchemaRules *rules)
{
    g_return_val_if_fail(rules != NULL, NULL);
    return rules->set;
}

/* ------------------------------------------------------------------------
 * Reading validated rules
 */

static const char *str_member(JsonObject *obj, const char *member)
{
    JsonNode *node = obj ? json_object_get_member(obj, member) : NULL;

    return node && JSON_NODE_HOLDS_VALUE(node) &&
           json_node_get_value_type(node) == G_TYPE_STRING ?
           json_node_get_string(node) : NULL;
}

static gboolean bool_member(JsonObject *obj, const char *member)
{
    JsonNode *node = obj ? json_object_get_member(obj, member) : NULL;

    return node && JSON_NODE_HOLDS_VALUE(node) &&
           json_node_get_value_type(node) == G_TYPE_BOOLEAN &&
           json_node_get_boolean(node);
}

static guint32 uint_member(JsonObject *obj, const char *member)
{
    JsonNode *node = obj ? json_object_get_member(obj, member) : NULL;

    return node && JSON_NODE_HOLDS_VALUE(node) &&
           json_node_get_value_type(node) == G_TYPE_INT64 ?
           (guint32)json_node_get_int(node) : 0;
}

static JsonObject *obj_of(JsonNode *node)
{
    return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node)
                                                : NULL;
}

static SPart *read_part(JsonObject *obj)
{
    SPart *p = g_new0(SPart, 1);
    JsonNode *fields = json_object_get_member(obj, "fields");
    const char *type = str_member(obj, "type");

    p->moves = g_array_new(FALSE, TRUE, sizeof(SMove));
    g_array_set_clear_func(p->moves, move_clear);
    p->type = g_strdup(type);
    p->glob = type ? g_pattern_spec_new(type) : NULL;
    p->version = uint_member(obj, "version");
    p->rest = bool_member(obj, "rest");
    if (fields && JSON_NODE_HOLDS_ARRAY(fields)) {
        JsonArray *a = json_node_get_array(fields);

        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonNode *e = json_array_get_element(a, i);
            SMove m = { 0 };

            if (JSON_NODE_HOLDS_OBJECT(e)) {
                m.from = g_strdup(str_member(obj_of(e), "from"));
                m.to = g_strdup(str_member(obj_of(e), "to"));
            } else {
                m.from = g_strdup(json_node_get_string(e));
                m.to = g_strdup(m.from);
            }
            g_array_append_val(p->moves, m);
        }
    }
    return p;
}

/* The kind of a typed JSON value (json.h), or 0. */
static QidlKind value_kind(JsonNode *value)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *node = value ? qidl_json_to_node(tree, value, "v", NULL)
                           : NULL;

    return node ? qidl_node_get_kind(node) : 0;
}

static SRule *read_rule(JsonObject *obj, const char *name)
{
    SRule *r = g_new0(SRule, 1);
    JsonNode *action = NULL;
    JsonObject *aobj;

    r->name = g_strdup(name);
    r->type = g_strdup(str_member(obj, "type"));
    r->type_glob = r->type ? g_pattern_spec_new(r->type) : NULL;
    r->has_path = json_object_has_member(obj, "path");
    r->has_version = json_object_has_member(obj, "version");
    r->version = uint_member(obj, "version");
    for (guint a = 0; a < G_N_ELEMENTS(action_keys); a++) {
        if (json_object_has_member(obj, action_keys[a])) {
            r->action = a;
            action = json_object_get_member(obj, action_keys[a]);
        }
    }
    aobj = obj_of(action);
    switch (r->action) {
    case A_RENAME_TYPE:
        r->a = g_strdup(json_node_get_string(action));
        break;
    case A_RENAME_FIELD:
        r->a = g_strdup(str_member(aobj, "from"));
        r->b = g_strdup(str_member(aobj, "to"));
        r->optional = bool_member(aobj, "optional");
        break;
    case A_DROP_FIELD:
        r->a = g_strdup(str_member(aobj, "field"));
        r->optional = bool_member(aobj, "optional");
        break;
    case A_ADD_FIELD:
        r->a = g_strdup(str_member(aobj, "field"));
        r->value = json_node_copy(json_object_get_member(aobj, "value"));
        break;
    case A_MAP_VALUES: {
        JsonNode *map = json_object_get_member(aobj, "map");

        r->a = g_strdup(str_member(aobj, "field"));
        r->optional = bool_member(aobj, "optional");
        if (map && JSON_NODE_HOLDS_ARRAY(map) &&
            json_array_get_length(json_node_get_array(map)) > 0) {
            JsonObject *e = json_array_get_object_element(
                json_node_get_array(map), 0);

            r->from_kind = value_kind(json_object_get_member(e, "from"));
            r->to_kind = value_kind(json_object_get_member(e, "to"));
        }
        break;
    }
    case A_SET_VERSION:
        r->set_version = uint_member(obj, "set_version");
        break;
    case A_SPLIT: {
        JsonArray *a = json_node_get_array(action);

        r->parts = g_ptr_array_new_with_free_func(part_free);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            g_ptr_array_add(r->parts,
                            read_part(json_array_get_object_element(a, i)));
        }
        break;
    }
    case A_MERGE: {
        JsonNode *sources = json_object_get_member(aobj, "sources");
        JsonArray *a = json_node_get_array(sources);

        r->parts = g_ptr_array_new_with_free_func(part_free);
        g_ptr_array_add(r->parts, read_part(aobj));
        for (guint i = 0; i < json_array_get_length(a); i++) {
            g_ptr_array_add(r->parts,
                            read_part(json_array_get_object_element(a, i)));
        }
        break;
    }
    }
    return r;
}

gboolean qidl_schema_rules_load_from_data(QidlSchemaRules *rules,
                                          const char *data, gssize len,
                                          const char *source,
                                          GError **error)
{
    guint before;
    g_autoptr(JsonNode) root = NULL;
    JsonArray *array;

    g_return_val_if_fail(rules != NULL && data != NULL, FALSE);
    before = qidl_filter_set_get_n_filters(rules->set);
    if (!qidl_filter_set_load_rules_from_data(rules->set, data, len, source,
                                              error)) {
        return FALSE;
    }
    /* Valid: the filter module has checked every member. */
    root = qidl_json_parse(data, len, NULL);
    g_assert(root != NULL);
    array = json_object_get_array_member(json_node_get_object(root),
                                         "rules");
    for (guint i = 0; i < json_array_get_length(array); i++) {
        g_ptr_array_add(rules->rules,
                        read_rule(json_array_get_object_element(array, i),
                                  qidl_filter_set_get_name(rules->set,
                                                           before + i)));
    }
    return TRUE;
}

gboolean qidl_schema_rules_load_file(QidlSchemaRules *rules,
                                     const char *filename, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *data = NULL;
    g_autofree char *base = NULL;
    gsize len;

    g_return_val_if_fail(rules != NULL && filename != NULL, FALSE);
    if (!g_file_get_contents(filename, &data, &len, &local)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    base = g_path_get_basename(filename);
    return qidl_schema_rules_load_from_data(rules, data, (gssize)len, base,
                                            error);
}

/* ------------------------------------------------------------------------
 * Applying rules to OLD's types
 */

typedef struct {
    QidlSchema *scratch;
    GHashTable *owned;          /* types copied into scratch */
    QidlSchemaReport *report;
    const SRule *rule;
    SchemaView *view;
    GPtrArray *dead;            /* views removed during a sweep */
} Apply;

static SchemaType *own(Apply *ap, SchemaType *t)
{
    SchemaType *copy;

    if (g_hash_table_contains(ap->owned, t)) {
        return t;
    }
    copy = schema__copy_type(ap->scratch, t);
    g_hash_table_add(ap->owned, copy);
    return copy;
}

static gint field_index(const SchemaType *t, const char *name)
{
    for (guint i = 0; i < t->fields->len; i++) {
        const SchemaField *f = g_ptr_array_index(t->fields, i);

        if (strcmp(f->name, name) == 0) {
            return (gint)i;
        }
    }
    return -1;
}

#define NOTE(ap, kind, breaking, path, ...) \
    schema__report_add((ap)->report, kind, breaking, (ap)->view->origin, \
                       path, (ap)->rule->name, __VA_ARGS__)

static char *view_path(const Apply *ap, const char *field)
{
    return field ? g_strdup_printf("%s.%s", ap->view->type->name, field)
                 : g_strdup(ap->view->type->name);
}

/* A rule failing on OLD's state fails every migration it applies to. */
static void fails(Apply *ap, const char *field, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static void fails(Apply *ap, const char *field, const char *fmt, ...)
{
    g_autofree char *path = view_path(ap, field);
    g_autofree char *msg = NULL;
    va_list args;

    va_start(args, fmt);
    msg = g_strdup_vprintf(fmt, args);
    va_end(args);
    schema__report_add(ap->report, QIDL_SCHEMA_CHANGE_FILTER_FAILS, TRUE,
                       ap->view->origin, path, NULL,
                       "rule %s fails on OLD's state: %s", ap->rule->name,
                       msg);
}

/*
 * The struct holding the last component of @path, made writable (the
 * view's type and every struct on the way copied); *last gets the last
 * component.  NULL if a component is missing or not a struct, or the path
 * has list indices (then *indexed is set).
 */
static SchemaType *parent_for_edit(Apply *ap, const char *path,
                                   const char **last, gboolean *indexed)
{
    g_auto(GStrv) parts = NULL;
    SchemaType *t;
    guint n;

    *indexed = strchr(path, '[') != NULL;
    if (*indexed) {
        return NULL;
    }
    parts = g_strsplit(path, ".", -1);
    n = g_strv_length(parts);
    t = own(ap, ap->view->type);
    ap->view->type = t;
    for (guint i = 0; i + 1 < n; i++) {
        gint idx = field_index(t, parts[i]);
        SchemaField *f, *copy;

        if (idx < 0) {
            return NULL;
        }
        f = g_ptr_array_index(t->fields, idx);
        if (f->kind != QIDL_KIND_STRUCT || !f->type) {
            return NULL;
        }
        copy = schema__copy_field(ap->scratch, f);
        copy->type = own(ap, f->type);
        g_ptr_array_index(t->fields, idx) = copy;
        t = copy->type;
    }
    *last = schema__str(ap->scratch, parts[n - 1]);
    return t;
}

/* The field at @path, or NULL. */
static const SchemaField *lookup_path(const SchemaType *t, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    const SchemaField *f = NULL;

    for (guint i = 0; parts[i]; i++) {
        gint idx;

        if (!t) {
            return NULL;
        }
        idx = field_index(t, parts[i]);
        if (idx < 0) {
            return NULL;
        }
        f = g_ptr_array_index(t->fields, idx);
        t = f->type;
    }
    return f;
}

static void unchecked_index(Apply *ap, const char *path)
{
    g_autofree char *p = view_path(ap, NULL);

    NOTE(ap, QIDL_SCHEMA_CHANGE_FILTER_UNCHECKED, FALSE, p,
         "%s: paths into list elements (\"%s\") depend on the stream's "
         "values; the checker does not apply this rule",
         action_keys[ap->rule->action], path);
}

static void apply_rename_field(Apply *ap)
{
    const SRule *r = ap->rule;
    const char *from_last, *to_last;
    gboolean indexed, indexed2;
    SchemaType *from_parent, *to_parent;
    SchemaField *f, *copy;
    gint idx;

    if (strchr(r->a, '[') || strchr(r->b, '[')) {
        unchecked_index(ap, strchr(r->a, '[') ? r->a : r->b);
        return;
    }
    if (!lookup_path(ap->view->type, r->a)) {
        if (!r->optional) {
            fails(ap, r->a, "rename_field: no field %s", r->a);
        }
        return;
    }
    /* Both calls return writable structs; a struct already copied is not
     * copied again, so the first result stays valid. */
    from_parent = parent_for_edit(ap, r->a, &from_last, &indexed);
    to_parent = parent_for_edit(ap, r->b, &to_last, &indexed2);
    if (!from_parent || !to_parent) {
        fails(ap, r->b, "rename_field: the struct of %s does not exist",
              r->b);
        return;
    }
    if (field_index(to_parent, to_last) >= 0) {
        fails(ap, r->b, "rename_field: %s already exists", r->b);
        return;
    }
    idx = field_index(from_parent, from_last);
    f = g_ptr_array_index(from_parent->fields, idx);
    copy = schema__copy_field(ap->scratch, f);
    copy->name = to_last;
    if (from_parent == to_parent) {
        g_ptr_array_index(from_parent->fields, idx) = copy;
    } else {
        g_ptr_array_remove_index(from_parent->fields, idx);
        g_ptr_array_add(to_parent->fields, copy);
    }
    {
        g_autofree char *p = view_path(ap, r->a);

        NOTE(ap, QIDL_SCHEMA_CHANGE_FIELD_RENAMED, FALSE, p,
             "renamed to %s by the filter", r->b);
    }
}

static void apply_drop_field(Apply *ap)
{
    const SRule *r = ap->rule;
    const char *last;
    gboolean indexed;
    SchemaType *parent;

    if (strchr(r->a, '[')) {
        unchecked_index(ap, r->a);
        return;
    }
    if (!lookup_path(ap->view->type, r->a)) {
        if (!r->optional) {
            fails(ap, r->a, "drop_field: no field %s", r->a);
        }
        return;
    }
    parent = parent_for_edit(ap, r->a, &last, &indexed);
    g_ptr_array_remove_index(parent->fields, field_index(parent, last));
    {
        g_autofree char *p = view_path(ap, r->a);

        NOTE(ap, QIDL_SCHEMA_CHANGE_FIELD_REMOVED, FALSE, p,
             "dropped by the filter");
    }
}

/* Fields describing a typed value, built without recursion. */
static SchemaField *field_from_node(Apply *ap, const QidlNode *top,
                                    const char *name)
{
    typedef struct {
        const QidlNode *node;
        SchemaField *field;
    } Item;
    g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(Item));
    SchemaField *result = schema__new_field(ap->scratch);
    Item first = { top, result };

    result->name = schema__str(ap->scratch, name);
    g_array_append_val(stack, first);
    while (stack->len > 0) {
        Item it = g_array_index(stack, Item, stack->len - 1);
        const QidlNode *node = it.node;
        SchemaField *f = it.field;
        QidlKind kind = qidl_node_get_kind(node);

        g_array_set_size(stack, stack->len - 1);
        f->saved = TRUE;
        f->version = 1;
        f->kind = kind;
        f->element_kind = kind;
        f->size = qidl_kind_size(kind);
        if (kind == QIDL_KIND_STRING) {
            gsize len;

            qidl_node_get_string(node, &len);
            f->n_dims = 1;
            f->dims[0] = (guint32)MIN(len + 1, G_MAXUINT32);
        } else if (kind == QIDL_KIND_LIST) {
            const QidlNode *elem = qidl_node_get_first_child(node);

            f->container = SCHEMA_CONTAINER_ARRAY;
            f->n_dims = 1;
            f->dims[0] = qidl_node_get_n_children(node);
            f->element_kind = elem ? qidl_node_get_kind(elem) : 0;
            if (elem && f->element_kind == QIDL_KIND_STRUCT) {
                Item sub = { elem, f };

                /* The element struct, described by its first element. */
                f->kind = QIDL_KIND_STRUCT;
                g_array_append_val(stack, sub);
                continue;
            }
        } else if (kind == QIDL_KIND_STRUCT) {
            SchemaType *t = schema__new_type(ap->scratch);

            g_hash_table_add(ap->owned, t);
            t->name = schema__str(ap->scratch, "(added by a filter)");
            t->version = t->min_version = 1;
            if (f->container == SCHEMA_CONTAINER_ARRAY) {
                f->kind = QIDL_KIND_LIST;
                f->element_kind = QIDL_KIND_STRUCT;
            }
            f->type = t;
            f->struct_name = t->name;
            for (const QidlNode *c = qidl_node_get_first_child(node); c;
                 c = qidl_node_get_next(c)) {
                SchemaField *cf = schema__new_field(ap->scratch);
                Item sub = { c, cf };

                cf->name = schema__str(ap->scratch, qidl_node_get_name(c));
                g_ptr_array_add(t->fields, cf);
                g_array_append_val(stack, sub);
            }
        }
    }
    return result;
}

static void apply_add_field(Apply *ap)
{
    const SRule *r = ap->rule;
    g_autoptr(QidlTree) tree = qidl_tree_new();
    const QidlNode *value;
    const char *last;
    gboolean indexed;
    SchemaType *parent;
    SchemaField *f;

    if (strchr(r->a, '[')) {
        unchecked_index(ap, r->a);
        return;
    }
    parent = parent_for_edit(ap, r->a, &last, &indexed);
    if (!parent) {
        fails(ap, r->a, "add_field: the struct of %s does not exist", r->a);
        return;
    }
    if (field_index(parent, last) >= 0) {
        fails(ap, r->a, "add_field: %s already exists", r->a);
        return;
    }
    value = qidl_json_to_node(tree, r->value, last, NULL);
    g_assert(value != NULL);
    f = field_from_node(ap, value, last);
    g_ptr_array_add(parent->fields, f);
    {
        g_autofree char *p = view_path(ap, r->a);

        NOTE(ap, QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, p,
             "added by the filter (%s)", schema__kind_text(f->kind));
    }
}

static void apply_map_values(Apply *ap)
{
    const SRule *r = ap->rule;
    const SchemaField *f;
    const char *last;
    gboolean indexed;
    SchemaType *parent;
    SchemaField *copy;
    gint idx;
    g_autofree char *p = NULL;

    if (strchr(r->a, '[')) {
        unchecked_index(ap, r->a);
        return;
    }
    f = lookup_path(ap->view->type, r->a);
    if (!f) {
        if (!r->optional) {
            fails(ap, r->a, "map_values: no field %s", r->a);
        }
        return;
    }
    if (f->kind != r->from_kind) {
        fails(ap, r->a, "map_values: the field is %s, the map's values %s",
              schema__kind_text(f->kind), schema__kind_text(r->from_kind));
        return;
    }
    p = view_path(ap, r->a);
    if (r->from_kind == r->to_kind) {
        NOTE(ap, QIDL_SCHEMA_CHANGE_ENUM_VALUE_CHANGED, FALSE, p,
             "values mapped by the filter");
        return;
    }
    parent = parent_for_edit(ap, r->a, &last, &indexed);
    idx = field_index(parent, last);
    copy = schema__copy_field(ap->scratch, f);
    copy->kind = r->to_kind;
    copy->element_kind = r->to_kind;
    copy->size = qidl_kind_size(r->to_kind);
    g_ptr_array_index(parent->fields, idx) = copy;
    NOTE(ap, qidl_kind_is_scalar(r->from_kind) &&
             qidl_kind_is_scalar(r->to_kind) ?
         schema__classify_kinds(r->from_kind, r->to_kind) :
         QIDL_SCHEMA_CHANGE_KIND_CHANGED, FALSE, p,
         "%s -> %s by the filter", schema__kind_text(r->from_kind),
         schema__kind_text(r->to_kind));
}

/* A new device type made of fields moved out of others (split, merge). */
static SchemaView *new_view(Apply *ap, const SPart *part, const char *origin)
{
    SchemaView *v = g_new0(SchemaView, 1);
    SchemaType *t = schema__new_type(ap->scratch);

    g_hash_table_add(ap->owned, t);
    t->name = schema__str(ap->scratch, part->type);
    t->version = part->version;
    t->min_version = part->version;
    t->source = ap->view->type->source;
    t->top_level = TRUE;
    v->type = t;
    v->name = t->name;
    v->version = t->version;
    v->origin = origin;
    return v;
}

/*
 * Moves into @dst the saved fields @part lists of @src (renamed), then
 * with rest all others not taken; @taken collects the names moved.
 */
static gboolean take_fields(Apply *ap, const SPart *part,
                            const SchemaType *src, SchemaType *dst,
                            GHashTable *taken, gboolean rest_pass)
{
    if (!rest_pass) {
        for (guint i = 0; i < part->moves->len; i++) {
            const SMove *m = &g_array_index(part->moves, SMove, i);
            gint idx = field_index(src, m->from);
            SchemaField *copy;

            if (idx < 0 ||
                !((SchemaField *)g_ptr_array_index(src->fields,
                                                   idx))->saved) {
                fails(ap, m->from, "%s: no field %s",
                      action_keys[ap->rule->action], m->from);
                return FALSE;
            }
            copy = schema__copy_field(ap->scratch,
                                      g_ptr_array_index(src->fields, idx));
            copy->name = schema__str(ap->scratch, m->to);
            g_ptr_array_add(dst->fields, copy);
            g_hash_table_add(taken, (gpointer)src->fields->pdata[idx]);
        }
        return TRUE;
    }
    for (guint i = 0; part->rest && i < src->fields->len; i++) {
        SchemaField *f = g_ptr_array_index(src->fields, i);

        if (f->saved && !g_hash_table_contains(taken, f)) {
            g_ptr_array_add(dst->fields, f);
            g_hash_table_add(taken, f);
        }
    }
    return TRUE;
}

/* Every saved field of @src must have been taken. */
static gboolean all_taken(Apply *ap, const SchemaType *src, GHashTable *taken)
{
    for (guint i = 0; i < src->fields->len; i++) {
        SchemaField *f = g_ptr_array_index(src->fields, i);

        if (f->saved && !g_hash_table_contains(taken, f)) {
            fails(ap, f->name, "%s: field %s is not listed in any target",
                  action_keys[ap->rule->action], f->name);
            return FALSE;
        }
    }
    return TRUE;
}

/* Replaces views[i] by the split targets; returns how many. */
static guint apply_split(Apply *ap, GPtrArray *views, guint i)
{
    const SRule *r = ap->rule;
    g_autoptr(GHashTable) taken = g_hash_table_new(NULL, NULL);
    g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
    GString *names = g_string_new(NULL);
    SchemaView *v = ap->view;

    for (guint pass = 0; pass < 2; pass++) {
        for (guint t = 0; t < r->parts->len; t++) {
            const SPart *part = g_ptr_array_index(r->parts, t);

            if (pass == 0) {
                g_ptr_array_add(targets, new_view(ap, part, v->origin));
            }
            if (!take_fields(ap, part, v->type,
                             ((SchemaView *)g_ptr_array_index(targets,
                                                              t))->type,
                             taken, pass == 1)) {
                g_string_free(names, TRUE);
                return 1;
            }
        }
    }
    if (!all_taken(ap, v->type, taken)) {
        g_string_free(names, TRUE);
        return 1;
    }
    for (guint t = 0; t < targets->len; t++) {
        g_string_append_printf(names, "%s%s", t ? " and " : "",
                               ((SchemaView *)targets->pdata[t])->name);
    }
    {
        g_autofree char *p = view_path(ap, NULL);

        NOTE(ap, QIDL_SCHEMA_CHANGE_TYPE_RENAMED, FALSE, p,
             "split into %s by the filter", names->str);
    }
    g_string_free(names, TRUE);
    g_ptr_array_add(ap->dead, g_ptr_array_steal_index(views, i));
    for (guint t = 0; t < targets->len; t++) {
        g_ptr_array_insert(views, (gint)(i + t), targets->pdata[t]);
    }
    g_ptr_array_set_free_func(targets, NULL);
    return targets->len;
}

/* Merges views[i] with its partners; returns the new index of the result
 * (partners before it are removed), or @i if skipped. */
static guint apply_merge(Apply *ap, GPtrArray *views, guint i,
                         GHashTable *created)
{
    const SRule *r = ap->rule;
    const SPart *result = g_ptr_array_index(r->parts, 0);
    g_autoptr(GHashTable) taken = g_hash_table_new(NULL, NULL);
    g_autoptr(GPtrArray) sources = g_ptr_array_new();
    SchemaView *merged;
    GString *names;

    g_ptr_array_add(sources, ap->view);
    for (guint s = 2; s < r->parts->len; s++) {
        const SPart *part = g_ptr_array_index(r->parts, s);
        SchemaView *partner = NULL;

        if (!part->glob) {
            g_autofree char *p = view_path(ap, NULL);

            NOTE(ap, QIDL_SCHEMA_CHANGE_FILTER_UNCHECKED, FALSE, p,
                 "merge: sources[%u] is found by instance path only; the "
                 "checker does not apply this rule", s - 1);
            return i;
        }
        for (guint k = 0; k < views->len && !partner; k++) {
            SchemaView *c = g_ptr_array_index(views, k);

            if (c != ap->view && !g_ptr_array_find(sources, c, NULL) &&
                g_pattern_spec_match_string(part->glob, c->type->name)) {
                partner = c;
            }
        }
        if (!partner) {
            return i;               /* skipped, as at run time */
        }
        g_ptr_array_add(sources, partner);
    }
    merged = new_view(ap, result, ap->view->origin);
    for (guint s = 0; s < sources->len; s++) {
        const SPart *part = g_ptr_array_index(r->parts, s + 1);
        const SchemaType *src = ((SchemaView *)sources->pdata[s])->type;

        g_hash_table_remove_all(taken);
        if (!take_fields(ap, part, src, merged->type, taken, FALSE) ||
            !take_fields(ap, part, src, merged->type, taken, TRUE) ||
            !all_taken(ap, src, taken)) {
            g_free(merged);
            return i;
        }
    }
    names = g_string_new(NULL);
    for (guint s = 1; s < sources->len; s++) {
        g_string_append_printf(names, "%s%s", s > 1 ? ", " : "",
                               ((SchemaView *)sources->pdata[s])->type->name);
    }
    {
        g_autofree char *p = view_path(ap, NULL);

        NOTE(ap, QIDL_SCHEMA_CHANGE_TYPE_RENAMED, FALSE, p,
             "merged with %s into %s by the filter", names->str,
             merged->name);
    }
    g_string_free(names, TRUE);
    g_hash_table_add(created, merged);
    g_ptr_array_index(views, i) = merged;
    for (guint s = 0; s < sources->len; s++) {
        guint k;

        if (s > 0 && g_ptr_array_find(views, sources->pdata[s], &k)) {
            g_ptr_array_add(ap->dead, g_ptr_array_steal_index(views, k));
            if (k < i) {
                i--;
            }
        }
    }
    g_ptr_array_add(ap->dead, sources->pdata[0]);
    return i;
}

static gboolean rule_matches(const SRule *r, const SchemaView *v)
{
    if (!r->type_glob ||
        !g_pattern_spec_match_string(r->type_glob, v->type->name)) {
        return FALSE;
    }
    return !r->has_version || r->version == v->type->version;
}

/* One rule's sweep over the views present when it starts. */
static void sweep(Apply *ap, GPtrArray *views)
{
    const SRule *r = ap->rule;
    g_autoptr(GHashTable) created = g_hash_table_new(NULL, NULL);
    g_autoptr(GPtrArray) listed = g_ptr_array_copy(views, NULL, NULL);

    /* The copy would free the views with it. */
    g_ptr_array_set_free_func(listed, NULL);
    if (!r->type_glob) {
        schema__report_add(ap->report, QIDL_SCHEMA_CHANGE_FILTER_UNCHECKED,
                           FALSE, r->name, NULL, r->name,
                           "the rule matches instance paths only, which "
                           "schemas do not have; the checker does not apply "
                           "it");
        return;
    }
    for (guint l = 0; l < listed->len; l++) {
        SchemaView *v = g_ptr_array_index(listed, l);
        guint i;

        /* Removed by a merge of this sweep: not visited. */
        if (!g_ptr_array_find(views, v, &i) || !rule_matches(r, v)) {
            continue;
        }
        ap->view = v;
        switch (r->action) {
        case A_RENAME_TYPE:
            if (strcmp(v->type->name, r->a) != 0) {
                g_autofree char *p = view_path(ap, NULL);

                v->type = own(ap, v->type);
                NOTE(ap, QIDL_SCHEMA_CHANGE_TYPE_RENAMED, FALSE, p,
                     "type renamed to %s by the filter", r->a);
                v->type->name = schema__str(ap->scratch, r->a);
                v->name = v->type->name;
            }
            break;
        case A_SET_VERSION:
            if (v->type->version != r->set_version) {
                g_autofree char *p = view_path(ap, NULL);

                NOTE(ap, r->set_version > v->type->version ?
                         QIDL_SCHEMA_CHANGE_VERSION_RAISED :
                         QIDL_SCHEMA_CHANGE_VERSION_LOWERED, FALSE, p,
                     "version %u set to %u by the filter", v->type->version,
                     r->set_version);
                v->type = own(ap, v->type);
                v->type->version = r->set_version;
                v->version = r->set_version;
            }
            break;
        case A_RENAME_FIELD:
            apply_rename_field(ap);
            break;
        case A_DROP_FIELD:
            apply_drop_field(ap);
            break;
        case A_ADD_FIELD:
            apply_add_field(ap);
            break;
        case A_MAP_VALUES:
            apply_map_values(ap);
            break;
        case A_SPLIT:
            apply_split(ap, views, i);
            break;
        case A_MERGE:
            apply_merge(ap, views, i, created);
            break;
        }
    }
}

GPtrArray *schema__apply_rules(const QidlSchemaRules *rules,
                               const QidlSchema *old, QidlSchema *scratch,
                               QidlSchemaReport *report, GError **error)
{
    GPtrArray *views = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) owned = g_hash_table_new(NULL, NULL);
    g_autoptr(GPtrArray) dead = g_ptr_array_new_with_free_func(g_free);
    Apply ap = { scratch, owned, report, NULL, NULL, dead };

    for (guint i = 0; i < schema__n_devices(old); i++) {
        SchemaView *v = g_new0(SchemaView, 1);

        v->type = schema__device(old, i);
        v->name = v->type->name;
        v->version = v->type->version;
        v->origin = v->type->name;
        g_ptr_array_add(views, v);
    }
    for (guint r = 0; rules && r < rules->rules->len; r++) {
        ap.rule = g_ptr_array_index(rules->rules, r);
        sweep(&ap, views);
    }
    return views;
}
