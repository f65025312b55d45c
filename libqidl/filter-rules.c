/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Declarative filter rules (docs/filters.md): a JSON rule file is
 * validated completely, compiled into one Rule per entry, and each Rule is
 * registered as an ordinary filter whose callback is rule_apply().
 *
 * Compiled rules are immutable once registered: typed values live in a
 * private tree (Rule.consts) that apply only reads, copying values into the
 * tree being filtered.  So a set of rule filters may be applied from
 * several threads at once.
 *
 * Rules rely on filter.h's atomicity: the pass works on a scratch tree and
 * throws it away when a filter fails, so an action that fails half-way
 * needs no undo.
 */
#include <string.h>

#include <qidl/filter.h>
#include <qidl/json.h>

typedef enum {
    ACTION_RENAME_TYPE,
    ACTION_RENAME_FIELD,
    ACTION_DROP_FIELD,
    ACTION_ADD_FIELD,
    ACTION_MAP_VALUES,
    ACTION_SET_VERSION,
    ACTION_SPLIT,
    ACTION_MERGE,
} Action;

/* The action keys, indexed by Action. */
static const char *const action_keys[] = {
    [ACTION_RENAME_TYPE] = "rename_type",
    [ACTION_RENAME_FIELD] = "rename_field",
    [ACTION_DROP_FIELD] = "drop_field",
    [ACTION_ADD_FIELD] = "add_field",
    [ACTION_MAP_VALUES] = "map_values",
    [ACTION_SET_VERSION] = "set_version",
    [ACTION_SPLIT] = "split",
    [ACTION_MERGE] = "merge",
};

/* One top-level field moved by a split or a merge, renamed on the way. */
typedef struct {
    char *from;
    char *to;
} Move;

/*
 * A split target, a merge source, or a merge's result.  Which members are
 * used depends on the role: targets and results have type, path and name
 * templates and a version; merge sources after the first have a path
 * template and optionally a type glob.
 */
typedef struct {
    char *type;
    GPatternSpec *type_glob;
    char *path;
    char *name;
    guint32 version;
    GArray *moves;             /* of Move */
    gboolean rest;
} Part;

typedef struct {
    Action action;
    gboolean has_version;      /* the rule matches one version only */
    guint32 match_version;
    QidlTree *consts;          /* owns value, map_from, map_to; or NULL */
    char *field;               /* rename_field.from, the others' field */
    char *to;                  /* rename_field.to, rename_type */
    gboolean optional;         /* a missing field leaves the device alone */
    gboolean strict;           /* map_values: an unmapped value fails */
    QidlNode *value;           /* add_field */
    GPtrArray *map_from;       /* map_values: of QidlNode, unnamed */
    GPtrArray *map_to;
    guint32 version;           /* set_version */
    GPtrArray *parts;          /* split: targets; merge: sources */
    Part *result;              /* merge */
    char *match_type;          /* the globs, for qidl_filter_set_add() */
    char *match_path;
} Rule;

static void move_clear(gpointer data)
{
    Move *m = data;

    g_free(m->from);
    g_free(m->to);
}

static Part *part_new(void)
{
    Part *p = g_new0(Part, 1);

    p->moves = g_array_new(FALSE, TRUE, sizeof(Move));
    g_array_set_clear_func(p->moves, move_clear);
    return p;
}

static void part_free(gpointer data)
{
    Part *p = data;

    if (!p) {
        return;
    }
    if (p->type_glob) {
        g_pattern_spec_free(p->type_glob);
    }
    g_free(p->type);
    g_free(p->path);
    g_free(p->name);
    g_array_unref(p->moves);
    g_free(p);
}

static void rule_free(gpointer data)
{
    Rule *r = data;

    if (!r) {
        return;
    }
    qidl_tree_free(r->consts);
    g_free(r->field);
    g_free(r->to);
    if (r->map_from) {
        g_ptr_array_unref(r->map_from);
        g_ptr_array_unref(r->map_to);
    }
    if (r->parts) {
        g_ptr_array_unref(r->parts);
    }
    part_free(r->result);
    g_free(r->match_type);
    g_free(r->match_path);
    g_free(r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Rule, rule_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Part, part_free)

/* ------------------------------------------------------------------ */
/* Applying a rule                                                    */
/* ------------------------------------------------------------------ */

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static QidlFilterResult fail(GError **error, QidlErrorCode code,
                             const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static QidlFilterResult fail(GError **error, QidlErrorCode code,
                             const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_propagate_error(error, g_error_new_valist(QIDL_ERROR, code, fmt, ap));
    va_end(ap);
    return QIDL_FILTER_FAILED;
}

static QidlFilterResult missing(const QidlNode *dev, const char *path,
                                GError **error)
{
    return fail(error, QIDL_ERROR_MISSING_FIELD, "%s.%s: no such field",
                qidl_node_get_name(dev), path);
}

/* Substitutes {path} and {name} (validated by check_template()). */
static char *expand(const char *tmpl, const QidlNode *dev)
{
    GString *s = g_string_new(NULL);

    for (const char *p = tmpl; *p; p++) {
        if (g_str_has_prefix(p, "{path}")) {
            g_string_append(s, or_empty(qidl_node_get_instance_path(dev)));
            p += strlen("{path}") - 1;
        } else if (g_str_has_prefix(p, "{name}")) {
            g_string_append(s, or_empty(qidl_node_get_name(dev)));
            p += strlen("{name}") - 1;
        } else {
            g_string_append_c(s, *p);
        }
    }
    return g_string_free(s, FALSE);
}

/* Scalars, strings and bytes, compared by value (floats bit for bit). */
static gboolean value_equal(const QidlNode *a, const QidlNode *b)
{
    QidlKind kind = qidl_node_get_kind(a);
    gsize alen, blen;

    if (kind != qidl_node_get_kind(b)) {
        return FALSE;
    }
    switch (kind) {
    case QIDL_KIND_BOOL:
        return !qidl_node_get_bool(a) == !qidl_node_get_bool(b);
    case QIDL_KIND_INT8:
    case QIDL_KIND_INT16:
    case QIDL_KIND_INT32:
    case QIDL_KIND_INT64:
        return qidl_node_get_int(a) == qidl_node_get_int(b);
    case QIDL_KIND_UINT8:
    case QIDL_KIND_UINT16:
    case QIDL_KIND_UINT32:
    case QIDL_KIND_UINT64:
        return qidl_node_get_uint(a) == qidl_node_get_uint(b);
    case QIDL_KIND_FLOAT:
    case QIDL_KIND_DOUBLE: {
        double da = qidl_node_get_double(a), db = qidl_node_get_double(b);

        return memcmp(&da, &db, sizeof(da)) == 0;
    }
    case QIDL_KIND_STRING: {
        const char *sa = qidl_node_get_string(a, &alen);
        const char *sb = qidl_node_get_string(b, &blen);

        return alen == blen && memcmp(sa, sb, alen) == 0;
    }
    case QIDL_KIND_BYTES: {
        const guint8 *ba = qidl_node_get_bytes(a, &alen);
        const guint8 *bb = qidl_node_get_bytes(b, &blen);

        return alen == blen && (alen == 0 || memcmp(ba, bb, alen) == 0);
    }
    default:
        g_assert_not_reached();
    }
}

/*
 * Puts detached @node where @old is, in place of @old.  @node must be
 * named like @old (or unnamed, for a list element).
 */
static gboolean replace_node(QidlNode *old, QidlNode *node, GError **error)
{
    QidlNode *parent = qidl_node_get_parent(old);
    QidlNode *next = qidl_node_get_next(old);

    qidl_node_remove(old);
    return next ? qidl_node_insert_before(next, node, error)
                : qidl_node_append(parent, node, error);
}

/* The struct a dotted path's last component lives in: "" is @dev. */
static QidlFilterResult find_parent(QidlNode *dev, const char *path,
                                    QidlNode **out, const char **last,
                                    GError **error)
{
    const char *dot = strrchr(path, '.');
    g_autofree char *prefix = dot ? g_strndup(path, dot - path) : g_strdup("");
    QidlNode *parent = qidl_node_find(dev, prefix);

    *last = dot ? dot + 1 : path;
    if (!parent) {
        return missing(dev, prefix, error);
    }
    if (qidl_node_get_kind(parent) != QIDL_KIND_STRUCT) {
        g_autofree char *where = qidl_node_get_path(parent);

        return fail(error, QIDL_ERROR_TYPE_MISMATCH,
                    "%s: expected struct, found %s", where,
                    qidl_kind_name(qidl_node_get_kind(parent)));
    }
    *out = parent;
    return QIDL_FILTER_CHANGED;
}

static QidlFilterResult exists(const QidlNode *parent, const char *name,
                               GError **error)
{
    g_autofree char *where = qidl_node_get_path(parent);

    return fail(error, QIDL_ERROR_INVALID, "%s.%s: field already exists",
                where, name);
}

static QidlFilterResult apply_rename_field(const Rule *r, QidlNode *dev,
                                           GError **error)
{
    QidlNode *node = qidl_node_find(dev, r->field);
    QidlNode *parent;
    const char *name;

    if (!node) {
        return r->optional ? QIDL_FILTER_UNCHANGED
                           : missing(dev, r->field, error);
    }
    if (!find_parent(dev, r->to, &parent, &name, error)) {
        return QIDL_FILTER_FAILED;
    }
    if (parent == qidl_node_get_parent(node) &&
        g_strcmp0(qidl_node_get_name(node), name) == 0) {
        return QIDL_FILTER_UNCHANGED;
    }
    if (qidl_node_get_child(parent, name)) {
        return exists(parent, name, error);
    }
    if (parent == qidl_node_get_parent(node)) {
        /* Same struct: keep the field's position. */
        return qidl_node_rename(node, name, error) ? QIDL_FILTER_CHANGED
                                                   : QIDL_FILTER_FAILED;
    }
    qidl_node_remove(node);
    if (!qidl_node_rename(node, name, error) ||
        !qidl_node_append(parent, node, error)) {
        return QIDL_FILTER_FAILED;
    }
    return QIDL_FILTER_CHANGED;
}

static QidlFilterResult apply_drop_field(const Rule *r, QidlNode *dev,
                                         GError **error)
{
    QidlNode *node = qidl_node_find(dev, r->field);

    if (!node) {
        return r->optional ? QIDL_FILTER_UNCHANGED
                           : missing(dev, r->field, error);
    }
    qidl_node_remove(node);
    return QIDL_FILTER_CHANGED;
}

static QidlFilterResult apply_add_field(const Rule *r, QidlTree *tree,
                                        QidlNode *dev, GError **error)
{
    QidlNode *parent;
    const char *name;

    if (!find_parent(dev, r->field, &parent, &name, error)) {
        return QIDL_FILTER_FAILED;
    }
    if (qidl_node_get_child(parent, name)) {
        return exists(parent, name, error);
    }
    /* r->value is already named @name. */
    if (!qidl_node_append(parent, qidl_node_copy(tree, r->value), error)) {
        return QIDL_FILTER_FAILED;
    }
    return QIDL_FILTER_CHANGED;
}

static QidlFilterResult apply_map_values(const Rule *r, QidlTree *tree,
                                         QidlNode *dev, GError **error)
{
    QidlNode *node = qidl_node_find(dev, r->field);
    QidlKind from_kind = qidl_node_get_kind(g_ptr_array_index(r->map_from, 0));
    const QidlNode *to = NULL;
    QidlNode *copy;

    if (!node) {
        return r->optional ? QIDL_FILTER_UNCHANGED
                           : missing(dev, r->field, error);
    }
    if (qidl_node_get_kind(node) != from_kind) {
        g_autofree char *where = qidl_node_get_path(node);

        return fail(error, QIDL_ERROR_TYPE_MISMATCH,
                    "%s: expected %s, found %s", where,
                    qidl_kind_name(from_kind),
                    qidl_kind_name(qidl_node_get_kind(node)));
    }
    for (guint i = 0; i < r->map_from->len; i++) {
        if (value_equal(node, g_ptr_array_index(r->map_from, i))) {
            to = g_ptr_array_index(r->map_to, i);
            break;
        }
    }
    if (!to) {
        g_autofree char *where = NULL;
        g_autofree char *value = NULL;

        if (!r->strict) {
            return QIDL_FILTER_UNCHANGED;
        }
        where = qidl_node_get_path(node);
        value = qidl_node_format_value(node);
        return fail(error, QIDL_ERROR_CONSTRAINT,
                    "%s: value %s is not in the map", where, value);
    }
    if (value_equal(node, to)) {
        return QIDL_FILTER_UNCHANGED;
    }
    copy = qidl_node_copy(tree, to);
    if (!qidl_node_rename(copy, qidl_node_get_name(node), error) ||
        !replace_node(node, copy, error)) {
        return QIDL_FILTER_FAILED;
    }
    return QIDL_FILTER_CHANGED;
}

/* Moves the fields @part lists from @src into @dst, renamed, in order. */
static gboolean move_listed(const Part *part, QidlNode *src, QidlNode *dst,
                            GError **error)
{
    for (guint i = 0; i < part->moves->len; i++) {
        const Move *m = &g_array_index(part->moves, Move, i);
        QidlNode *child = qidl_node_get_child(src, m->from);

        if (!child) {
            missing(src, m->from, error);
            return FALSE;
        }
        if (qidl_node_get_child(dst, m->to)) {
            exists(dst, m->to, error);
            return FALSE;
        }
        qidl_node_remove(child);
        if (!qidl_node_rename(child, m->to, error) ||
            !qidl_node_append(dst, child, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

/* Moves every field left in @src to the end of @dst, in order. */
static gboolean move_rest(QidlNode *src, QidlNode *dst, GError **error)
{
    QidlNode *child;

    while ((child = qidl_node_get_first_child(src))) {
        if (qidl_node_get_child(dst, qidl_node_get_name(child))) {
            exists(dst, qidl_node_get_name(child), error);
            return FALSE;
        }
        qidl_node_remove(child);
        if (!qidl_node_append(dst, child, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

/* A new device root named and placed by @part's templates, from @dev. */
static QidlNode *new_device(QidlTree *tree, const Part *part,
                            const QidlNode *dev, GError **error)
{
    g_autofree char *name = expand(part->name, dev);
    g_autofree char *path = expand(part->path, dev);
    QidlNode *node;

    if (!*name || strlen(name) > QIDL_LIMIT_NAME_LEN ||
        name[strcspn(name, ".[]")] != '\0') {
        fail(error, QIDL_ERROR_INVALID,
             "\"%s\" is not a valid device name", name);
        return NULL;
    }
    node = qidl_node_new_struct(tree, name);
    qidl_node_set_device(node, part->type, path, part->version);
    return node;
}

/* Inserts new device roots before @anchor, or at the end of the root. */
static gboolean insert_devices(QidlTree *tree, QidlNode *anchor,
                               QidlNode **devices, guint n, GError **error)
{
    QidlNode *root = qidl_tree_get_root(tree);

    for (guint i = 0; i < n; i++) {
        const char *name = qidl_node_get_name(devices[i]);

        if (qidl_node_get_child(root, name)) {
            fail(error, QIDL_ERROR_INVALID,
                 "a device named \"%s\" already exists", name);
            return FALSE;
        }
        if (anchor ? !qidl_node_insert_before(anchor, devices[i], error)
                   : !qidl_node_append(root, devices[i], error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static QidlFilterResult apply_split(const Rule *r, QidlTree *tree,
                                    QidlNode *dev, GError **error)
{
    guint n = r->parts->len;
    g_autofree QidlNode **targets = g_new0(QidlNode *, n);
    QidlNode *rest = NULL;
    QidlNode *leftover;
    QidlNode *anchor;

    for (guint i = 0; i < n; i++) {
        const Part *part = g_ptr_array_index(r->parts, i);

        targets[i] = new_device(tree, part, dev, error);
        if (!targets[i] || !move_listed(part, dev, targets[i], error)) {
            return QIDL_FILTER_FAILED;
        }
        if (part->rest) {
            rest = targets[i];
        }
    }
    /* The rest target takes what is left once every list is done. */
    if (rest && !move_rest(dev, rest, error)) {
        return QIDL_FILTER_FAILED;
    }
    leftover = qidl_node_get_first_child(dev);
    if (leftover) {
        g_autofree char *where = qidl_node_get_path(leftover);

        return fail(error, QIDL_ERROR_UNKNOWN_FIELD,
                    "%s: field not listed in any split target", where);
    }
    anchor = qidl_node_get_next(dev);
    qidl_node_remove(dev);
    return insert_devices(tree, anchor, targets, n, error)
           ? QIDL_FILTER_CHANGED : QIDL_FILTER_FAILED;
}

static gboolean is_one_of(QidlNode *const *nodes, guint n,
                          const QidlNode *node)
{
    for (guint i = 0; i < n; i++) {
        if (nodes[i] == node) {
            return TRUE;
        }
    }
    return FALSE;
}

static QidlFilterResult apply_merge(const Rule *r, QidlTree *tree,
                                    QidlNode *dev, GError **error)
{
    QidlNode *root = qidl_tree_get_root(tree);
    guint n = r->parts->len;
    g_autofree QidlNode **sources = g_new0(QidlNode *, n);
    QidlNode *result;
    QidlNode *anchor;

    /* Find the partners; without all of them the rule does not apply. */
    sources[0] = dev;
    for (guint i = 1; i < n; i++) {
        const Part *part = g_ptr_array_index(r->parts, i);
        g_autofree char *path = expand(part->path, dev);

        for (QidlNode *c = qidl_node_get_first_child(root); c;
             c = qidl_node_get_next(c)) {
            if (qidl_node_is_device(c) && !is_one_of(sources, i, c) &&
                g_strcmp0(qidl_node_get_instance_path(c), path) == 0 &&
                (!part->type_glob ||
                 g_pattern_spec_match_string(
                     part->type_glob, or_empty(qidl_node_get_type_name(c))))) {
                sources[i] = c;
                break;
            }
        }
        if (!sources[i]) {
            return QIDL_FILTER_SKIPPED;
        }
    }

    result = new_device(tree, r->result, dev, error);
    if (!result) {
        return QIDL_FILTER_FAILED;
    }
    for (guint i = 0; i < n; i++) {
        const Part *part = g_ptr_array_index(r->parts, i);
        QidlNode *leftover;

        if (!move_listed(part, sources[i], result, error) ||
            (part->rest && !move_rest(sources[i], result, error))) {
            return QIDL_FILTER_FAILED;
        }
        leftover = qidl_node_get_first_child(sources[i]);
        if (leftover) {
            g_autofree char *where = qidl_node_get_path(leftover);

            return fail(error, QIDL_ERROR_UNKNOWN_FIELD,
                        "%s: field not listed in merge source %u", where, i);
        }
    }

    /* The result takes the place of the first source. */
    anchor = qidl_node_get_next(dev);
    while (anchor && is_one_of(sources, n, anchor)) {
        anchor = qidl_node_get_next(anchor);
    }
    for (guint i = 0; i < n; i++) {
        qidl_node_remove(sources[i]);
    }
    return insert_devices(tree, anchor, &result, 1, error)
           ? QIDL_FILTER_CHANGED : QIDL_FILTER_FAILED;
}

static QidlFilterResult rule_apply(QidlTree *tree, QidlNode *dev,
                                   gpointer user_data, GError **error)
{
    const Rule *r = user_data;

    if (r->has_version && qidl_node_get_version(dev) != r->match_version) {
        return QIDL_FILTER_SKIPPED;
    }
    switch (r->action) {
    case ACTION_RENAME_TYPE:
        if (g_strcmp0(qidl_node_get_type_name(dev), r->to) == 0) {
            return QIDL_FILTER_UNCHANGED;
        }
        qidl_node_set_type_name(dev, r->to);
        return QIDL_FILTER_CHANGED;
    case ACTION_SET_VERSION:
        if (qidl_node_get_version(dev) == r->version) {
            return QIDL_FILTER_UNCHANGED;
        }
        qidl_node_set_version(dev, r->version);
        return QIDL_FILTER_CHANGED;
    case ACTION_RENAME_FIELD:
        return apply_rename_field(r, dev, error);
    case ACTION_DROP_FIELD:
        return apply_drop_field(r, dev, error);
    case ACTION_ADD_FIELD:
        return apply_add_field(r, tree, dev, error);
    case ACTION_MAP_VALUES:
        return apply_map_values(r, tree, dev, error);
    case ACTION_SPLIT:
        return apply_split(r, tree, dev, error);
    case ACTION_MERGE:
        return apply_merge(r, tree, dev, error);
    }
    g_assert_not_reached();
}

/* ------------------------------------------------------------------ */
/* Validating and compiling a rule file                               */
/* ------------------------------------------------------------------ */

/* Where the text came from, and the error of the whole load. */
typedef struct {
    const char *source;
    GError **error;
} Loader;

static gboolean invalid(const Loader *l, const char *where, const char *fmt,
                        ...) G_GNUC_PRINTF(3, 4);

static gboolean invalid(const Loader *l, const char *where, const char *fmt,
                        ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (where) {
        g_set_error(l->error, QIDL_ERROR, QIDL_ERROR_INVALID, "%s: %s: %s",
                    l->source, where, msg);
    } else {
        g_set_error(l->error, QIDL_ERROR, QIDL_ERROR_INVALID, "%s: %s",
                    l->source, msg);
    }
    return FALSE;
}

static gboolean expected(const Loader *l, const char *where, const char *key,
                         const char *what)
{
    return invalid(l, where, "%s: expected %s", key, what);
}

static gboolean check_keys(const Loader *l, JsonObject *obj,
                           const char *where, const char *const *allowed)
{
    g_autoptr(GList) members = json_object_get_members(obj);

    for (GList *m = members; m; m = m->next) {
        if (!g_strv_contains(allowed, m->data)) {
            return invalid(l, where, "unknown key \"%s\"",
                           (const char *)m->data);
        }
    }
    return TRUE;
}

static gboolean is_string(JsonNode *node)
{
    return JSON_NODE_HOLDS_VALUE(node) &&
           json_node_get_value_type(node) == G_TYPE_STRING;
}

/* @out is left alone when the key is absent and not @required. */
static gboolean get_string(const Loader *l, JsonObject *obj,
                           const char *where, const char *key,
                           gboolean required, const char **out)
{
    JsonNode *node = json_object_get_member(obj, key);

    if (!node) {
        return required ? invalid(l, where, "missing key \"%s\"", key)
                        : TRUE;
    }
    if (!is_string(node)) {
        return expected(l, where, key, "a string");
    }
    *out = json_node_get_string(node);
    return TRUE;
}

static gboolean get_bool(const Loader *l, JsonObject *obj, const char *where,
                         const char *key, gboolean *out)
{
    JsonNode *node = json_object_get_member(obj, key);

    if (!node) {
        return TRUE;
    }
    if (!JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
        return expected(l, where, key, "true or false");
    }
    *out = json_node_get_boolean(node);
    return TRUE;
}

static gboolean get_uint32(const Loader *l, JsonObject *obj,
                           const char *where, const char *key,
                           gboolean required, gboolean *present,
                           guint32 *out)
{
    JsonNode *node = json_object_get_member(obj, key);
    gint64 v;

    if (!node) {
        return required ? invalid(l, where, "missing key \"%s\"", key)
                        : TRUE;
    }
    if (!JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64 ||
        (v = json_node_get_int(node)) < 0 || v > G_MAXUINT32) {
        return expected(l, where, key, "an integer from 0 to 4294967295");
    }
    if (present) {
        *present = TRUE;
    }
    *out = (guint32)v;
    return TRUE;
}

/* A field name: what tree paths accept between dots. */
static gboolean is_name(const char *s, gsize len)
{
    return len > 0 && len <= QIDL_LIMIT_NAME_LEN && s[0] != '$' &&
           strcspn(s, ".[]") >= len;
}

/*
 * A field path inside a device: name ("[" digits "]")* separated by dots,
 * starting with a name; with @last_is_name the last component has no
 * index (it names the field to create).
 */
static gboolean is_field_path(const char *path, gboolean last_is_name)
{
    const char *p = path;

    for (;;) {
        gsize len = strcspn(p, ".[]");

        if (!is_name(p, len)) {
            return FALSE;
        }
        p += len;
        while (*p == '[') {
            if (last_is_name && !strchr(p, '.')) {
                return FALSE;
            }
            p++;
            if (!g_ascii_isdigit(*p)) {
                return FALSE;
            }
            while (g_ascii_isdigit(*p)) {
                p++;
            }
            if (*p++ != ']') {
                return FALSE;
            }
        }
        if (*p == '\0') {
            return TRUE;
        }
        if (*p++ != '.') {
            return FALSE;
        }
    }
}

static gboolean get_field_path(const Loader *l, JsonObject *obj,
                               const char *where, const char *key,
                               gboolean last_is_name, char **out)
{
    const char *s = NULL;

    if (!get_string(l, obj, where, key, TRUE, &s)) {
        return FALSE;
    }
    if (!is_field_path(s, last_is_name)) {
        return invalid(l, where, "%s: \"%s\" is not a field path%s", key, s,
                       last_is_name ? " ending in a name" : "");
    }
    *out = g_strdup(s);
    return TRUE;
}

/* Literal text with the placeholders {path} and {name}; no other braces. */
static gboolean get_template(const Loader *l, JsonObject *obj,
                             const char *where, const char *key,
                             const char *fallback, char **out)
{
    const char *s = fallback;

    if (!get_string(l, obj, where, key, fallback == NULL, &s)) {
        return FALSE;
    }
    for (const char *p = s; *p; p++) {
        if (g_str_has_prefix(p, "{path}") || g_str_has_prefix(p, "{name}")) {
            p += strlen("{path}") - 1;
        } else if (*p == '{' || *p == '}') {
            return invalid(l, where, "%s: \"%s\": only {path} and {name} "
                           "may appear in braces", key, s);
        }
    }
    if (!*s) {
        return invalid(l, where, "%s: empty", key);
    }
    *out = g_strdup(s);
    return TRUE;
}

static JsonObject *get_object(const Loader *l, JsonNode *node,
                              const char *where, const char *key)
{
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        expected(l, where, key, "an object");
        return NULL;
    }
    return json_node_get_object(node);
}

/* An element of an array, which must be an object; @where names it. */
static JsonObject *element_object(const Loader *l, JsonNode *node,
                                  const char *where)
{
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        invalid(l, where, "expected an object");
        return NULL;
    }
    return json_node_get_object(node);
}

static JsonArray *get_array(const Loader *l, JsonNode *node,
                            const char *where, const char *key)
{
    if (!JSON_NODE_HOLDS_ARRAY(node)) {
        expected(l, where, key, "an array");
        return NULL;
    }
    return json_node_get_array(node);
}

/* A typed value (json.h) converted into @r's constants tree. */
static QidlNode *get_value(const Loader *l, Rule *r, JsonNode *json,
                           const char *where, const char *key,
                           const char *name)
{
    g_autoptr(GError) local = NULL;
    QidlNode *node = qidl_json_to_node(r->consts, json, name, &local);

    if (!node) {
        invalid(l, where, "%s: %s", key, local->message);
        return NULL;
    }
    if (qidl_node_is_device(node)) {
        invalid(l, where, "%s: a field cannot be a device root", key);
        return NULL;
    }
    return node;
}

static gboolean compile_rename_field(const Loader *l, Rule *r, JsonNode *json,
                                     const char *where)
{
    static const char *const keys[] = { "from", "to", "optional", NULL };
    g_autofree char *w = g_strdup_printf("%s.rename_field", where);
    JsonObject *obj = get_object(l, json, where, "rename_field");

    return obj && check_keys(l, obj, w, keys) &&
           get_field_path(l, obj, w, "from", FALSE, &r->field) &&
           get_field_path(l, obj, w, "to", TRUE, &r->to) &&
           get_bool(l, obj, w, "optional", &r->optional);
}

static gboolean compile_drop_field(const Loader *l, Rule *r, JsonNode *json,
                                   const char *where)
{
    static const char *const keys[] = { "field", "optional", NULL };
    g_autofree char *w = g_strdup_printf("%s.drop_field", where);
    JsonObject *obj = get_object(l, json, where, "drop_field");

    return obj && check_keys(l, obj, w, keys) &&
           get_field_path(l, obj, w, "field", FALSE, &r->field) &&
           get_bool(l, obj, w, "optional", &r->optional);
}

static gboolean compile_add_field(const Loader *l, Rule *r, JsonNode *json,
                                  const char *where)
{
    static const char *const keys[] = { "field", "value", NULL };
    g_autofree char *w = g_strdup_printf("%s.add_field", where);
    JsonObject *obj = get_object(l, json, where, "add_field");
    JsonNode *value;
    const char *dot;

    if (!obj || !check_keys(l, obj, w, keys) ||
        !get_field_path(l, obj, w, "field", TRUE, &r->field)) {
        return FALSE;
    }
    value = json_object_get_member(obj, "value");
    if (!value) {
        return invalid(l, w, "missing key \"value\"");
    }
    dot = strrchr(r->field, '.');
    r->consts = qidl_tree_new();
    r->value = get_value(l, r, value, w, "value", dot ? dot + 1 : r->field);
    return r->value != NULL;
}

static gboolean compile_map_values(const Loader *l, Rule *r, JsonNode *json,
                                   const char *where)
{
    static const char *const keys[] = {
        "field", "map", "strict", "optional", NULL,
    };
    static const char *const pair_keys[] = { "from", "to", NULL };
    g_autofree char *w = g_strdup_printf("%s.map_values", where);
    JsonObject *obj = get_object(l, json, where, "map_values");
    JsonNode *map_json;
    JsonArray *map;

    if (!obj || !check_keys(l, obj, w, keys) ||
        !get_field_path(l, obj, w, "field", FALSE, &r->field) ||
        !get_bool(l, obj, w, "strict", &r->strict) ||
        !get_bool(l, obj, w, "optional", &r->optional)) {
        return FALSE;
    }
    map_json = json_object_get_member(obj, "map");
    if (!map_json) {
        return invalid(l, w, "missing key \"map\"");
    }
    if (!(map = get_array(l, map_json, w, "map"))) {
        return FALSE;
    }
    if (json_array_get_length(map) == 0) {
        return invalid(l, w, "map: empty");
    }
    r->consts = qidl_tree_new();
    r->map_from = g_ptr_array_new();
    r->map_to = g_ptr_array_new();
    for (guint i = 0; i < json_array_get_length(map); i++) {
        g_autofree char *pw = g_strdup_printf("%s.map[%u]", w, i);
        JsonObject *pair = element_object(l, json_array_get_element(map, i),
                                          pw);
        QidlNode *from, *to;

        if (!pair || !check_keys(l, pair, pw, pair_keys)) {
            return FALSE;
        }
        if (!json_object_has_member(pair, "from") ||
            !json_object_has_member(pair, "to")) {
            return invalid(l, pw, "missing key \"%s\"",
                           json_object_has_member(pair, "from") ? "to"
                                                                 : "from");
        }
        from = get_value(l, r, json_object_get_member(pair, "from"), pw,
                         "from", NULL);
        to = from ? get_value(l, r, json_object_get_member(pair, "to"), pw,
                              "to", NULL) : NULL;
        if (!to) {
            return FALSE;
        }
        for (guint k = 0; k < 2; k++) {
            QidlNode *v = k ? to : from;
            QidlKind kind = qidl_node_get_kind(v);

            if (kind == QIDL_KIND_STRUCT || kind == QIDL_KIND_LIST) {
                return invalid(l, pw, "%s: expected a scalar, string or "
                               "bytes value", k ? "to" : "from");
            }
        }
        if (i > 0) {
            const QidlNode *from0 = g_ptr_array_index(r->map_from, 0);
            const QidlNode *to0 = g_ptr_array_index(r->map_to, 0);

            if (qidl_node_get_kind(from) != qidl_node_get_kind(from0)) {
                return invalid(l, pw, "from: expected %s like map[0]",
                               qidl_kind_name(qidl_node_get_kind(from0)));
            }
            if (qidl_node_get_kind(to) != qidl_node_get_kind(to0)) {
                return invalid(l, pw, "to: expected %s like map[0]",
                               qidl_kind_name(qidl_node_get_kind(to0)));
            }
            for (guint k = 0; k < i; k++) {
                if (value_equal(from, g_ptr_array_index(r->map_from, k))) {
                    return invalid(l, pw, "from: same value as map[%u]", k);
                }
            }
        }
        g_ptr_array_add(r->map_from, from);
        g_ptr_array_add(r->map_to, to);
    }
    return TRUE;
}

/* "fields": ["name", {"from": "name", "to": "name"}, ...]. */
static gboolean compile_moves(const Loader *l, Part *part, JsonObject *obj,
                              const char *where)
{
    static const char *const keys[] = { "from", "to", NULL };
    JsonNode *json = json_object_get_member(obj, "fields");
    JsonArray *fields;

    if (!json) {
        return TRUE;
    }
    if (!(fields = get_array(l, json, where, "fields"))) {
        return FALSE;
    }
    for (guint i = 0; i < json_array_get_length(fields); i++) {
        JsonNode *e = json_array_get_element(fields, i);
        g_autofree char *w = g_strdup_printf("%s.fields[%u]", where, i);
        const char *from = NULL, *to = NULL;
        Move m;

        if (is_string(e)) {
            from = to = json_node_get_string(e);
        } else if (JSON_NODE_HOLDS_OBJECT(e)) {
            JsonObject *o = json_node_get_object(e);

            if (!check_keys(l, o, w, keys) ||
                !get_string(l, o, w, "from", TRUE, &from) ||
                !get_string(l, o, w, "to", TRUE, &to)) {
                return FALSE;
            }
        } else {
            return invalid(l, w, "expected a field name or "
                           "{\"from\": ..., \"to\": ...}");
        }
        if (!is_name(from, strlen(from)) || !is_name(to, strlen(to))) {
            return invalid(l, w, "\"%s\" is not a field name",
                           is_name(from, strlen(from)) ? to : from);
        }
        for (guint k = 0; k < part->moves->len; k++) {
            const Move *o = &g_array_index(part->moves, Move, k);

            if (strcmp(o->from, from) == 0) {
                return invalid(l, w, "field \"%s\" is listed twice", from);
            }
            if (strcmp(o->to, to) == 0) {
                return invalid(l, w, "two fields become \"%s\"", to);
            }
        }
        m.from = g_strdup(from);
        m.to = g_strdup(to);
        g_array_append_val(part->moves, m);
    }
    return TRUE;
}

/* A new device: type, path and name templates, version. */
static gboolean compile_device(const Loader *l, Part *part, JsonObject *obj,
                               const char *where)
{
    const char *type = NULL;

    if (!get_string(l, obj, where, "type", TRUE, &type) ||
        !get_template(l, obj, where, "path", NULL, &part->path) ||
        !get_template(l, obj, where, "name", "{name}", &part->name) ||
        !get_uint32(l, obj, where, "version", TRUE, NULL, &part->version)) {
        return FALSE;
    }
    if (!*type) {
        return invalid(l, where, "type: empty");
    }
    part->type = g_strdup(type);
    return TRUE;
}

static gboolean compile_split(const Loader *l, Rule *r, JsonNode *json,
                              const char *where)
{
    static const char *const keys[] = {
        "type", "path", "name", "version", "fields", "rest", NULL,
    };
    JsonArray *targets = get_array(l, json, where, "split");
    gboolean have_rest = FALSE;

    if (!targets) {
        return FALSE;
    }
    if (json_array_get_length(targets) == 0) {
        return invalid(l, where, "split: empty");
    }
    r->parts = g_ptr_array_new_with_free_func(part_free);
    for (guint i = 0; i < json_array_get_length(targets); i++) {
        g_autofree char *w = g_strdup_printf("%s.split[%u]", where, i);
        JsonObject *obj = element_object(
            l, json_array_get_element(targets, i), w);
        g_autoptr(Part) part = part_new();

        if (!obj || !check_keys(l, obj, w, keys) ||
            !compile_device(l, part, obj, w) ||
            !compile_moves(l, part, obj, w) ||
            !get_bool(l, obj, w, "rest", &part->rest)) {
            return FALSE;
        }
        if (part->rest && have_rest) {
            return invalid(l, w, "rest: only one target may take the rest");
        }
        have_rest |= part->rest;
        for (guint k = 0; k < r->parts->len; k++) {
            const Part *other = g_ptr_array_index(r->parts, k);

            if (strcmp(other->name, part->name) == 0) {
                return invalid(l, w, "name: same as split[%u]", k);
            }
            for (guint a = 0; a < part->moves->len; a++) {
                const Move *m = &g_array_index(part->moves, Move, a);

                for (guint b = 0; b < other->moves->len; b++) {
                    if (strcmp(m->from, g_array_index(other->moves, Move,
                                                      b).from) == 0) {
                        return invalid(l, w, "field \"%s\" is already listed "
                                       "in split[%u]", m->from, k);
                    }
                }
            }
        }
        g_ptr_array_add(r->parts, g_steal_pointer(&part));
    }
    return TRUE;
}

static gboolean compile_merge(const Loader *l, Rule *r, JsonNode *json,
                              const char *where)
{
    static const char *const keys[] = {
        "type", "path", "name", "version", "sources", NULL,
    };
    static const char *const first_keys[] = { "fields", "rest", NULL };
    static const char *const other_keys[] = {
        "type", "path", "fields", "rest", NULL,
    };
    g_autofree char *w = g_strdup_printf("%s.merge", where);
    JsonObject *obj = get_object(l, json, where, "merge");
    JsonNode *sources_json;
    JsonArray *sources;

    if (!obj || !check_keys(l, obj, w, keys)) {
        return FALSE;
    }
    r->result = part_new();
    if (!compile_device(l, r->result, obj, w)) {
        return FALSE;
    }
    sources_json = json_object_get_member(obj, "sources");
    if (!sources_json) {
        return invalid(l, w, "missing key \"sources\"");
    }
    if (!(sources = get_array(l, sources_json, w, "sources"))) {
        return FALSE;
    }
    if (json_array_get_length(sources) < 2) {
        return invalid(l, w, "sources: expected at least two sources");
    }
    r->parts = g_ptr_array_new_with_free_func(part_free);
    for (guint i = 0; i < json_array_get_length(sources); i++) {
        g_autofree char *sw = g_strdup_printf("%s.sources[%u]", w, i);
        JsonObject *so = element_object(
            l, json_array_get_element(sources, i), sw);
        g_autoptr(Part) part = part_new();
        const char *type = NULL;

        if (!so || !check_keys(l, so, sw, i == 0 ? first_keys : other_keys) ||
            !compile_moves(l, part, so, sw) ||
            !get_bool(l, so, sw, "rest", &part->rest)) {
            return FALSE;
        }
        if (i > 0) {
            if (!get_template(l, so, sw, "path", NULL, &part->path) ||
                !get_string(l, so, sw, "type", FALSE, &type)) {
                return FALSE;
            }
            part->type_glob = type ? g_pattern_spec_new(type) : NULL;
        }
        /* Fields of two sources must not land on one name. */
        for (guint k = 0; k < r->parts->len; k++) {
            const Part *other = g_ptr_array_index(r->parts, k);

            for (guint a = 0; a < part->moves->len; a++) {
                const Move *m = &g_array_index(part->moves, Move, a);

                for (guint b = 0; b < other->moves->len; b++) {
                    if (strcmp(m->to, g_array_index(other->moves, Move,
                                                    b).to) == 0) {
                        return invalid(l, sw, "field \"%s\" also comes from "
                                       "sources[%u]", m->to, k);
                    }
                }
            }
        }
        g_ptr_array_add(r->parts, g_steal_pointer(&part));
    }
    return TRUE;
}

static Rule *compile_rule(const Loader *l, JsonNode *json, guint index,
                          char **name)
{
    static const char *const keys[] = {
        "name", "comment", "type", "path", "version",
        "rename_type", "rename_field", "drop_field", "add_field",
        "map_values", "set_version", "split", "merge", NULL,
    };
    g_autofree char *where = g_strdup_printf("rules[%u]", index);
    g_autoptr(Rule) r = g_new0(Rule, 1);
    const char *type = NULL, *path = NULL, *str = NULL, *comment = NULL;
    JsonObject *obj;
    JsonNode *action = NULL;
    const char *action_key = NULL;
    gboolean ok = FALSE;

    obj = element_object(l, json, where);
    if (!obj || !check_keys(l, obj, where, keys) ||
        !get_string(l, obj, where, "name", FALSE, &str) ||
        !get_string(l, obj, where, "comment", FALSE, &comment) ||
        !get_string(l, obj, where, "type", FALSE, &type) ||
        !get_string(l, obj, where, "path", FALSE, &path) ||
        !get_uint32(l, obj, where, "version", FALSE, &r->has_version,
                    &r->match_version)) {
        return NULL;
    }
    if (!json_object_has_member(obj, "type") &&
        !json_object_has_member(obj, "path")) {
        invalid(l, where, "missing key \"type\" or \"path\"");
        return NULL;
    }
    for (guint a = 0; a < G_N_ELEMENTS(action_keys); a++) {
        JsonNode *node = json_object_get_member(obj, action_keys[a]);

        if (!node) {
            continue;
        }
        if (action) {
            invalid(l, where, "two actions: \"%s\" and \"%s\"", action_key,
                    action_keys[a]);
            return NULL;
        }
        action = node;
        action_key = action_keys[a];
        r->action = a;
    }
    if (!action) {
        invalid(l, where, "no action (one of rename_type, rename_field, "
                "drop_field, add_field, map_values, set_version, split, "
                "merge)");
        return NULL;
    }
    switch (r->action) {
    case ACTION_RENAME_TYPE:
        if (!is_string(action) || !*json_node_get_string(action)) {
            expected(l, where, "rename_type", "a type name");
            break;
        }
        r->to = g_strdup(json_node_get_string(action));
        ok = TRUE;
        break;
    case ACTION_SET_VERSION:
        ok = get_uint32(l, obj, where, "set_version", TRUE, NULL,
                        &r->version);
        break;
    case ACTION_RENAME_FIELD:
        ok = compile_rename_field(l, r, action, where);
        break;
    case ACTION_DROP_FIELD:
        ok = compile_drop_field(l, r, action, where);
        break;
    case ACTION_ADD_FIELD:
        ok = compile_add_field(l, r, action, where);
        break;
    case ACTION_MAP_VALUES:
        ok = compile_map_values(l, r, action, where);
        break;
    case ACTION_SPLIT:
        ok = compile_split(l, r, action, where);
        break;
    case ACTION_MERGE:
        ok = compile_merge(l, r, action, where);
        break;
    }
    if (!ok) {
        return NULL;
    }
    *name = str ? g_strdup(str)
                : g_strdup_printf("%s:rules[%u]", l->source, index);
    r->match_type = g_strdup(type);
    r->match_path = g_strdup(path);
    return g_steal_pointer(&r);
}

gboolean qidl_filter_set_load_rules_from_data(QidlFilterSet *set,
                                              const char *data, gssize len,
                                              const char *source,
                                              GError **error)
{
    static const char *const keys[] = { "comment", "rules", NULL };
    Loader l = { source ? source : "<data>", error };
    g_autoptr(GError) local = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GPtrArray) rules = NULL;
    g_autoptr(GPtrArray) names = NULL;
    const char *comment = NULL;
    JsonObject *obj;
    JsonNode *rules_json;
    JsonArray *array;

    g_return_val_if_fail(set != NULL, FALSE);
    g_return_val_if_fail(data != NULL, FALSE);

    root = qidl_json_parse(data, len, &local);
    if (!root) {
        /* "<data>:3:14: ..." becomes "rules.json:3:14: ...". */
        if (g_str_has_prefix(local->message, "<data>:")) {
            g_set_error(error, local->domain, local->code, "%s%s", l.source,
                        local->message + strlen("<data>"));
        } else {
            g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                       "%s: ", l.source);
        }
        return FALSE;
    }
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        return invalid(&l, NULL, "expected an object");
    }
    obj = json_node_get_object(root);
    if (!check_keys(&l, obj, NULL, keys) ||
        !get_string(&l, obj, NULL, "comment", FALSE, &comment)) {
        return FALSE;
    }
    rules_json = json_object_get_member(obj, "rules");
    if (!rules_json) {
        return invalid(&l, NULL, "missing key \"rules\"");
    }
    if (!JSON_NODE_HOLDS_ARRAY(rules_json)) {
        return invalid(&l, NULL, "rules: expected an array");
    }
    array = json_node_get_array(rules_json);

    /* Compile everything first: a bad rule adds no filter at all. */
    rules = g_ptr_array_new_with_free_func(rule_free);
    names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        char *name = NULL;
        Rule *r = compile_rule(&l, json_array_get_element(array, i), i,
                               &name);

        if (!r) {
            return FALSE;
        }
        g_ptr_array_add(rules, r);
        g_ptr_array_add(names, name);
    }
    for (guint i = 0; i < rules->len; i++) {
        Rule *r = g_ptr_array_index(rules, i);

        qidl_filter_set_add(set, g_ptr_array_index(names, i), r->match_type,
                            r->match_path, rule_apply, r, rule_free);
    }
    /* The set owns the rules now. */
    g_ptr_array_set_free_func(rules, NULL);
    return TRUE;
}

gboolean qidl_filter_set_load_rules_file(QidlFilterSet *set,
                                         const char *filename,
                                         GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *data = NULL;
    g_autofree char *base = NULL;
    gsize len;

    g_return_val_if_fail(set != NULL, FALSE);
    g_return_val_if_fail(filename != NULL, FALSE);

    if (!g_file_get_contents(filename, &data, &len, &local)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    if (len > G_MAXSSIZE) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                    "%s: file too large", filename);
        return FALSE;
    }
    base = g_path_get_basename(filename);
    return qidl_filter_set_load_rules_from_data(set, data, (gssize)len, base,
                                                error);
}
