/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pre-flight check: can a destination with these schemas load this
 * stream's devices?  Answers without loading anything, from the tree a
 * stream reader built (qidl_stream_read_tree() for native streams, the
 * QEMU stream reader for QEMU's), after the destination's filters ran.
 *
 * For each device root the rules are those the generated loaders and the
 * tree input visitor apply (docs/compat.md, "Pre-flight"): the version in
 * the type's range, every saved field present (unless it has a default,
 * is optional, or is newer than the stream's version) with exactly its
 * kind and width, fixed arrays of their length, sized ones within their
 * capacity, and nothing the type does not save.
 *
 * The tree is walked with an explicit work list, never recursion.
 */
#include <string.h>

#include <qidl/limits.h>

#include "schema-private.h"

typedef enum {
    ITEM_STRUCT,                /* node is a struct described by type */
    ITEM_LIST,                  /* node is a list level of field */
} ItemKind;

typedef struct {
    ItemKind kind;
    const SchemaType *type;
    const SchemaField *field;
    guint dim;                  /* ITEM_LIST: which dimension */
    const QidlNode *node;
    char *path;
    gboolean top;               /* the device's own struct */
} Item;

typedef struct {
    QidlSchemaReport *report;
    const QidlSchema *schema;
    const char *device;
    const char *instance;
    guint32 version;
    guint problems;
    GQueue items;
} Check;

static void item_free(gpointer data)
{
    Item *it = data;

    g_free(it->path);
    g_free(it);
}

static void problem(Check *ck, QidlSchemaChangeKind kind, const char *path,
                    const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static void problem(Check *ck, QidlSchemaChangeKind kind, const char *path,
                    const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    schema__report_add(ck->report, kind, TRUE, ck->device, path, NULL, "%s",
                       msg);
    schema__report_set_instance(ck->report, ck->instance);
    ck->problems++;
}

static void push(Check *ck, ItemKind kind, const SchemaType *type,
                 const SchemaField *field, guint dim, const QidlNode *node,
                 char *path)
{
    Item *it = g_new0(Item, 1);

    it->kind = kind;
    it->type = type;
    it->field = field;
    it->dim = dim;
    it->node = node;
    it->path = path;
    g_queue_push_tail(&ck->items, it);
}

/*
 * The kind of a list field's values at nesting level @level: 0 is the
 * field itself, 1 its elements, 2 the elements of those (T x[2][3]).
 */
static QidlKind kind_at(const SchemaField *f, guint level)
{
    if (level == 0 || f->kind != QIDL_KIND_LIST) {
        return f->kind;
    }
    return level < MAX(f->n_dims, 1) ? QIDL_KIND_LIST : f->element_kind;
}

static gboolean is_sized_field(const SchemaField *f)
{
    return f->size_is || f->container != SCHEMA_CONTAINER_ARRAY;
}

/* Checks one value against what @f expects at nesting level @dim. */
static void check_value(Check *ck, const SchemaField *f, guint dim,
                        const QidlNode *node, const char *path)
{
    QidlKind want = kind_at(f, dim);
    QidlKind have = qidl_node_get_kind(node);

    if (ck->schema->format == QIDL_SCHEMA_FORMAT_QEMU_VMSTATE &&
        have == QIDL_KIND_LIST && want != QIDL_KIND_LIST) {
        /* An array: the dump describes one element. */
        for (const QidlNode *c = qidl_node_get_first_child(node); c;
             c = qidl_node_get_next(c)) {
            if (f->type && qidl_node_get_kind(c) == QIDL_KIND_STRUCT) {
                push(ck, ITEM_STRUCT, f->type, f, 0, c, g_strdup(path));
            }
        }
        return;
    }
    if (ck->schema->format == QIDL_SCHEMA_FORMAT_QEMU_VMSTATE && !want) {
        /* No type in the dump: only the width can be checked. */
        if (qidl_kind_is_scalar(have) && f->num < 0 &&
            qidl_kind_size(have) != f->size) {
            problem(ck, QIDL_SCHEMA_CHANGE_WIDTH_CHANGED, path,
                    "%s has %zu bytes, the destination's field %"
                    G_GUINT64_FORMAT, qidl_kind_name(have),
                    qidl_kind_size(have), f->size);
        } else if (have == QIDL_KIND_BYTES) {
            gsize len;

            qidl_node_get_bytes(node, &len);
            if (f->num < 0 && len != f->size) {
                problem(ck, QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED, path,
                        "%zu bytes, the destination's field has %"
                        G_GUINT64_FORMAT, len, f->size);
            }
        }
        return;
    }
    if (have != want) {
        QidlSchemaChangeKind k = QIDL_SCHEMA_CHANGE_KIND_CHANGED;

        if (qidl_kind_is_scalar(have) && qidl_kind_is_scalar(want)) {
            k = schema__classify_kinds(have, want);
        }
        problem(ck, k, path, "the stream holds %s, the destination loads %s",
                schema__kind_text(have), schema__kind_text(want));
        return;
    }
    if (have == QIDL_KIND_STRUCT && f->type) {
        push(ck, ITEM_STRUCT, f->type, f, 0, node, g_strdup(path));
    } else if (have == QIDL_KIND_LIST) {
        push(ck, ITEM_LIST, NULL, f, dim, node, g_strdup(path));
    } else if (have == QIDL_KIND_STRING && f->n_dims > 0) {
        gsize len;

        qidl_node_get_string(node, &len);
        if (len >= f->dims[0]) {
            problem(ck, QIDL_SCHEMA_CHANGE_CAPACITY_LOWERED, path,
                    "a string of %zu bytes does not fit char[%u]", len,
                    f->dims[0]);
        }
    }
}

static void check_list(Check *ck, const Item *it)
{
    const SchemaField *f = it->field;
    guint32 n = qidl_node_get_n_children(it->node);
    guint32 i = 0;

    if (f->n_dims > it->dim) {
        guint32 len = f->dims[it->dim];

        if (it->dim == 0 && is_sized_field(f)) {
            if (n > len) {
                problem(ck, QIDL_SCHEMA_CHANGE_CAPACITY_LOWERED, it->path,
                        "%u elements exceed the capacity %u", n, len);
                return;
            }
        } else if (n != len) {
            problem(ck, QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED, it->path,
                    "%u elements, the destination's array has %u", n, len);
            return;
        }
    }
    for (const QidlNode *c = qidl_node_get_first_child(it->node); c;
         c = qidl_node_get_next(c), i++) {
        g_autofree char *path = g_strdup_printf("%s[%u]", it->path, i);
        guint before = ck->problems;

        if (kind_at(f, it->dim + 1) == QIDL_KIND_STRUCT &&
            qidl_node_get_kind(c) == QIDL_KIND_STRUCT) {
            if (f->type) {
                push(ck, ITEM_STRUCT, f->type, f, 0, c, g_strdup(path));
            }
            continue;
        }
        check_value(ck, f, it->dim + 1, c, path);
        if (ck->problems > before) {
            return;             /* one problem per list is enough */
        }
    }
}

/*
 * The base of the name a QEMU stream reader gives a field or subsection in
 * the tree (qemu-stream.h): '.' becomes '_', '[' and ']' become '<' and
 * '>', a leading '$' becomes '_', an empty name "_".
 */
static char *qemu_tree_name(const char *name)
{
    GString *out = g_string_new(NULL);

    if (!*name) {
        g_string_append_c(out, '_');
    }
    for (const char *p = name; *p; p++) {
        guchar c = (guchar)*p;

        if (c == '.' || (c == '$' && p == name)) {
            g_string_append_c(out, '_');
        } else if (c == '[') {
            g_string_append_c(out, '<');
        } else if (c == ']') {
            g_string_append_c(out, '>');
        } else if (c < 0x20 || c >= 0x7f) {
            g_string_append_c(out, '?');
        } else {
            g_string_append_c(out, (char)c);
        }
    }
    if (out->len > QIDL_LIMIT_NAME_LEN - 16) {
        g_string_truncate(out, QIDL_LIMIT_NAME_LEN - 16);
    }
    return g_string_free(out, FALSE);
}

/* The @nth (from 1) saved field of @t in @subsection whose tree name is
 * @name; with @nth 0 the first, if it is the only one. */
static const SchemaField *qemu_field_named(const SchemaType *t,
                                           const char *name,
                                           const char *subsection, guint nth)
{
    const SchemaField *found = NULL;
    guint seen = 0;

    for (guint i = 0; i < t->fields->len; i++) {
        const SchemaField *f = g_ptr_array_index(t->fields, i);
        g_autofree char *fname = NULL;

        if (!f->saved || g_strcmp0(f->subsection, subsection) != 0) {
            continue;
        }
        fname = qemu_tree_name(f->name);
        if (strcmp(fname, name) != 0) {
            continue;
        }
        seen++;
        if (nth > 0 && seen == nth) {
            return f;
        }
        found = found ? found : f;
    }
    return nth == 0 && seen == 1 ? found : (nth > 0 ? NULL : found);
}

/* Splits "NAME<DIGITS>" or "NAME~DIGITS"; FALSE if @name is neither. */
static gboolean split_suffix(const char *name, char open, char close,
                             char **base, guint *number)
{
    gsize len = strlen(name);
    const char *mark;
    gsize digits;

    if (close && (len < 3 || name[len - 1] != close)) {
        return FALSE;
    }
    mark = strrchr(name, open);
    if (!mark || mark == name) {
        return FALSE;
    }
    digits = len - (gsize)(mark - name) - 1 - (close ? 1 : 0);
    if (digits == 0 || digits > 9 || strspn(mark + 1, "0123456789") !=
                                     digits) {
        return FALSE;
    }
    *base = g_strndup(name, mark - name);
    *number = (guint)g_ascii_strtoull(mark + 1, NULL, 10);
    return TRUE;
}

/*
 * The saved field of @t (in @subsection) a tree child @name holds.
 * QEMU streams: the reader names a field by its QEMU name made a tree
 * name; QEMU itself appends "[I]" to the Ith (from 0) of several fields
 * of one name in its vmdesc ("unused[1]", the tree's "unused<1>"), and
 * the reader "~N" to names that still clash.
 */
static const SchemaField *field_for_child(const Check *ck, const SchemaType *t,
                                          const char *name,
                                          const char *subsection)
{
    const SchemaField *f;
    g_autofree char *base = NULL;
    guint n;

    if (ck->schema->format != QIDL_SCHEMA_FORMAT_QEMU_VMSTATE) {
        for (guint i = 0; i < t->fields->len; i++) {
            f = g_ptr_array_index(t->fields, i);
            if (f->saved && strcmp(f->name, name) == 0 &&
                g_strcmp0(f->subsection, subsection) == 0) {
                return f;
            }
        }
        return NULL;
    }
    f = qemu_field_named(t, name, subsection, 0);
    if (f) {
        return f;
    }
    if (split_suffix(name, '<', '>', &base, &n)) {
        f = qemu_field_named(t, base, subsection, n + 1);
        return f ? f : qemu_field_named(t, base, subsection, 0);
    }
    if (split_suffix(name, '~', '\0', &base, &n)) {
        return qemu_field_named(t, base, subsection, n);
    }
    return NULL;
}

/* Whether some child of @node holds @f (see field_for_child()). */
static const QidlNode *child_for_field(const Check *ck, const SchemaType *t,
                                       const QidlNode *node,
                                       const SchemaField *f,
                                       const char *subsection)
{
    if (ck->schema->format != QIDL_SCHEMA_FORMAT_QEMU_VMSTATE) {
        return qidl_node_get_child(node, f->name);
    }
    for (const QidlNode *c = qidl_node_get_first_child(node); c;
         c = qidl_node_get_next(c)) {
        const SchemaField *cf = field_for_child(ck, t, qidl_node_get_name(c),
                                                subsection);

        if (cf && strcmp(cf->name, f->name) == 0) {
            return c;
        }
    }
    return NULL;
}

/* The subsection of @t a tree child @name is, or NULL. */
static const SchemaSubsection *subsection_for_child(const Check *ck,
                                                   const SchemaType *t,
                                                   const char *name)
{
    gboolean qemu = ck->schema->format == QIDL_SCHEMA_FORMAT_QEMU_VMSTATE;

    for (guint i = 0; t->subsections && i < t->subsections->len; i++) {
        const SchemaSubsection *ss = g_ptr_array_index(t->subsections, i);
        g_autofree char *tname = qemu ? qemu_tree_name(ss->name)
                                      : g_strdup(ss->name);

        if (strcmp(tname, name) == 0) {
            return ss;
        }
    }
    return NULL;
}

/*
 * A struct: every saved field, then every child.  @subsection: the node
 * is the subsection of that name of @t (qidl-extract schemas hold a
 * subsection's fields in the struct, marked; streams hold them in a
 * struct named after the subsection).
 */
static void check_struct(Check *ck, const SchemaType *t, const QidlNode *node,
                         const char *base, gboolean top,
                         const char *subsection)
{
    gboolean qemu = ck->schema->format == QIDL_SCHEMA_FORMAT_QEMU_VMSTATE;

    for (guint i = 0; i < t->fields->len; i++) {
        const SchemaField *f = g_ptr_array_index(t->fields, i);
        g_autofree char *path = NULL;

        if (!f->saved || g_strcmp0(f->subsection, subsection) != 0) {
            continue;
        }
        path = g_strdup_printf("%s.%s", base, f->name);
        /* QEMU fields with a test function may be left out, and arrays
         * of structs with no element leave no trace in the vmdesc. */
        if (!child_for_field(ck, t, node, f, subsection) &&
            !f->default_value && !f->optional && !f->field_exists &&
            !(qemu && f->type) && !(top && f->version > ck->version)) {
            problem(ck, QIDL_SCHEMA_CHANGE_MISSING_FIELD, path,
                    "missing: the destination loads it from version %u "
                    "state and it has no default", ck->version);
        }
    }
    for (const QidlNode *c = qidl_node_get_first_child(node); c;
         c = qidl_node_get_next(c)) {
        const char *name = qidl_node_get_name(c);
        g_autofree char *path = g_strdup_printf("%s.%s", base, name);
        const SchemaField *f = field_for_child(ck, t, name, subsection);
        const SchemaSubsection *ss;

        if (f) {
            check_value(ck, f, 0, c, path);
            continue;
        }
        ss = subsection ? NULL : subsection_for_child(ck, t, name);
        if (ss && qidl_node_get_kind(c) == QIDL_KIND_STRUCT) {
            if (ss->type) {
                /* QEMU dumps: the subsection's own description. */
                push(ck, ITEM_STRUCT, ss->type, NULL, 0, c,
                     g_steal_pointer(&path));
            } else {
                check_struct(ck, t, c, path, FALSE, ss->name);
            }
            continue;
        }
        problem(ck, QIDL_SCHEMA_CHANGE_UNKNOWN_FIELD, path,
                "the destination's %s%s%s has no field %s to load it into",
                qemu && t->desc_name ? t->desc_name : t->name,
                subsection ? " subsection " : "",
                subsection ? subsection : "", name);
    }
}

static const SchemaType *find_type(const QidlSchema *s, const char *type)
{
    const char *alias = g_hash_table_lookup(s->aliases, type);
    SchemaType *t = schema__lookup(s, alias ? alias : type);

    if (t || alias) {
        return t;
    }
    /* QEMU streams name a section by its description (vmsd) name,
     * after the device's bus path for some ("0000:00:01.1/ide"). */
    if (s->format == QIDL_SCHEMA_FORMAT_QEMU_VMSTATE) {
        const char *slash = strrchr(type, '/');
        const char *vmsd = slash && strchr(type, ':') ? slash + 1 : type;

        for (guint i = 0; i < schema__n_devices(s); i++) {
            SchemaType *d = schema__device(s, i);

            if (g_strcmp0(d->desc_name, vmsd) == 0) {
                return d;
            }
        }
    }
    return NULL;
}

static void check_device(QidlSchemaReport *report, const QidlSchema *schema,
                         const QidlNode *dev)
{
    Check ck = { report, schema, qidl_node_get_type_name(dev),
                 qidl_node_get_instance_path(dev),
                 qidl_node_get_version(dev), 0, G_QUEUE_INIT };
    const char *name = qidl_node_get_name(dev);
    const SchemaType *t = find_type(schema, ck.device);
    Item *it;

    if (!t && schema->format == QIDL_SCHEMA_FORMAT_QEMU_VMSTATE) {
        /* -dump-vmstate lists device classes only: the sections of
         * other objects (timers, the global state, RAM) are not in it. */
        schema__report_add(report, QIDL_SCHEMA_CHANGE_UNKNOWN_DEVICE, FALSE,
                           ck.device, name, NULL,
                           "not in the dump (QEMU's -dump-vmstate lists "
                           "device classes only): not checked");
        schema__report_set_instance(report, ck.instance);
        return;
    }
    if (!t) {
        problem(&ck, QIDL_SCHEMA_CHANGE_UNKNOWN_DEVICE, name,
                "the destination has no device type %s", ck.device);
        return;
    }
    if (ck.version > t->version || ck.version < t->min_version) {
        problem(&ck, QIDL_SCHEMA_CHANGE_VERSION_NOT_ACCEPTED, name,
                "version %u: %s loads versions %u to %u", ck.version,
                t->name, t->min_version, t->version);
        return;
    }
    check_struct(&ck, t, dev, name, TRUE, NULL);
    while ((it = g_queue_pop_head(&ck.items))) {
        if (it->kind == ITEM_STRUCT) {
            check_struct(&ck, it->type, it->node, it->path, FALSE, NULL);
        } else {
            check_list(&ck, it);
        }
        item_free(it);
    }
    if (ck.problems == 0) {
        schema__report_add(report, QIDL_SCHEMA_CHANGE_DEVICE_ACCEPTED, FALSE,
                           ck.device, name, NULL,
                           "version %u accepted by %s (versions %u to %u)",
                           ck.version, t->name, t->min_version, t->version);
        schema__report_set_instance(report, ck.instance);
    }
}

QidlSchemaReport *qidl_schema_check_tree(const QidlSchema *schema,
                                         QidlTree *tree, GError **error)
{
    QidlSchemaReport *report;

    g_return_val_if_fail(schema != NULL && tree != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    report = schema__report_new();
    for (const QidlNode *dev = qidl_node_get_first_child(
             qidl_tree_get_root(tree)); dev; dev = qidl_node_get_next(dev)) {
        if (qidl_node_is_device(dev)) {
            check_device(report, schema, dev);
        }
    }
    return report;
}
