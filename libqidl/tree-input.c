/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tree input visitor: loads an object from a node.
 *
 * Struct fields are looked up by name.  Generated visit functions ask for
 * fields in the order the tree output visitor wrote them, so each open
 * struct keeps a cursor on the child expected next: the common case costs
 * one pointer comparison.  A field asked for out of order is found through
 * the struct's name lookup, and from then on the struct's visited fields
 * are tracked in a set, so that end_struct can still name the first field
 * nobody asked for.
 *
 * The tree is never modified; every check happens before the object is
 * written.
 */
#include <string.h>

#include <qidl/tree.h>
#include <qidl/visitor-impl.h>

#include "tree-private.h"

/* One open struct or list. */
typedef struct {
    const QidlNode *node;
    /* Structs: the child expected next.  Lists: the next element. */
    const QidlNode *cursor;
    const QidlNode *current;    /* lists: the element being visited */
    /*
     * Structs: while @seen is NULL, every field was asked for in order and
     * the visited ones are exactly those before @cursor (@n_in_order of
     * them).  Once a field is asked for out of order, @seen holds every
     * visited child.
     */
    guint32 n_in_order;
    GHashTable *seen;
} TreeInFrame;

typedef struct {
    QidlVisitor parent;
    const QidlNode *top;
    QidlTreeInputFlags flags;
    guint n_unknown;
    guint depth;
    /* The core bounds the depth of open containers by QIDL_LIMIT_DEPTH. */
    TreeInFrame stack[QIDL_LIMIT_DEPTH];
} TreeInput;

static TreeInput *to_tree_in(QidlVisitor *v)
{
    return (TreeInput *)v;
}

static TreeInFrame *tree_in_top(TreeInput *ti)
{
    return ti->depth > 0 ? &ti->stack[ti->depth - 1] : NULL;
}

/* Records that struct frame @f's child @child was visited. */
static void tree_in_mark(TreeInFrame *f, const QidlNode *child)
{
    if (!f->seen && child == f->cursor) {
        f->n_in_order++;
        f->cursor = child->next;
        return;
    }
    if (!f->seen) {
        /* First visit out of order: remember the in-order prefix. */
        f->seen = g_hash_table_new(g_direct_hash, g_direct_equal);
        for (const QidlNode *c = f->node->first; c != f->cursor;
             c = c->next) {
            g_hash_table_add(f->seen, (gpointer)c);
        }
    }
    g_hash_table_add(f->seen, (gpointer)child);
    f->cursor = child->next;
}

/* The child of struct frame @f called @name, or NULL. */
static const QidlNode *tree_in_field(TreeInFrame *f, const char *name)
{
    const QidlNode *cursor = f->cursor;

    if (cursor && cursor->name && strcmp(cursor->name, name) == 0) {
        return cursor;
    }
    return qidl_node_get_child(f->node, name);
}

/*
 * Finds the node of the value the visit asks for next and checks its kind,
 * marking it visited.  Fails (MISSING_FIELD, TYPE_MISMATCH) without
 * marking anything.
 */
static const QidlNode *tree_in_get(TreeInput *ti, const char *name,
                                   QidlKind kind, GError **error)
{
    TreeInFrame *f = tree_in_top(ti);
    const QidlNode *node;

    if (!f) {
        node = ti->top;
    } else if (f->node->kind == QIDL_KIND_LIST) {
        node = f->current;
    } else {
        node = tree_in_field(f, name);
        if (!node) {
            qidl_visitor__error(&ti->parent, error,
                                QIDL_ERROR_MISSING_FIELD, "missing field");
            return NULL;
        }
    }
    if (node->kind != kind) {
        qidl_visitor__error(&ti->parent, error, QIDL_ERROR_TYPE_MISMATCH,
                            "expected %s, found %s", qidl_kind_name(kind),
                            qidl_kind_name(node->kind));
        return NULL;
    }
    if (f && f->node->kind == QIDL_KIND_STRUCT) {
        tree_in_mark(f, node);
    }
    return node;
}

static void tree_in_push(TreeInput *ti, const QidlNode *node)
{
    g_assert(ti->depth < QIDL_LIMIT_DEPTH);
    ti->stack[ti->depth++] = (TreeInFrame) {
        .node = node,
        .cursor = node->first,
    };
}

static void tree_in_pop(TreeInput *ti)
{
    TreeInFrame *f = &ti->stack[--ti->depth];

    g_clear_pointer(&f->seen, g_hash_table_unref);
}

static gboolean tree_in_start_struct(QidlVisitor *v, const char *name,
                                     GError **error)
{
    TreeInput *ti = to_tree_in(v);
    const QidlNode *node = tree_in_get(ti, name, QIDL_KIND_STRUCT, error);

    if (!node) {
        return FALSE;
    }
    tree_in_push(ti, node);
    return TRUE;
}

/* The first child of struct frame @f that was not visited. */
static const QidlNode *tree_in_first_unvisited(const TreeInFrame *f)
{
    if (!f->seen) {
        return f->cursor;
    }
    for (const QidlNode *c = f->node->first; c; c = c->next) {
        if (!g_hash_table_contains(f->seen, c)) {
            return c;
        }
    }
    return NULL;
}

static gboolean tree_in_end_struct(QidlVisitor *v, GError **error)
{
    TreeInput *ti = to_tree_in(v);
    TreeInFrame *f = tree_in_top(ti);
    guint32 visited = f->seen ? g_hash_table_size(f->seen) : f->n_in_order;

    if (visited < f->node->n_children) {
        if (!(ti->flags & QIDL_TREE_INPUT_ALLOW_UNKNOWN)) {
            return qidl_visitor__error(v, error, QIDL_ERROR_UNKNOWN_FIELD,
                                       "unknown field '%s'",
                                       tree_in_first_unvisited(f)->name);
        }
        ti->n_unknown += f->node->n_children - visited;
    }
    tree_in_pop(ti);
    return TRUE;
}

static gboolean tree_in_start_list(QidlVisitor *v, const char *name,
                                   QidlListKind kind, guint32 *count,
                                   gsize elem_size, GError **error)
{
    TreeInput *ti = to_tree_in(v);
    const QidlNode *node = tree_in_get(ti, name, QIDL_KIND_LIST, error);

    if (!node) {
        return FALSE;
    }
    if (kind == QIDL_LIST_COUNTED) {
        *count = node->n_children;
    } else if (*count != node->n_children) {
        return qidl_visitor__error(v, error, QIDL_ERROR_LENGTH_MISMATCH,
                                   "expected %" G_GUINT32_FORMAT " elements, "
                                   "found %" G_GUINT32_FORMAT, *count,
                                   node->n_children);
    }
    tree_in_push(ti, node);
    return TRUE;
}

static gboolean tree_in_next_list(QidlVisitor *v, guint32 index,
                                  GError **error)
{
    TreeInFrame *f = tree_in_top(to_tree_in(v));

    /* The core stops at the count, which is the node's child count. */
    f->current = f->cursor;
    f->cursor = f->cursor->next;
    return TRUE;
}

static gboolean tree_in_end_list(QidlVisitor *v, GError **error)
{
    tree_in_pop(to_tree_in(v));
    return TRUE;
}

static gboolean tree_in_scalar(QidlVisitor *v, const char *name,
                               QidlKind kind, void *obj, GError **error)
{
    const QidlNode *node = tree_in_get(to_tree_in(v), name, kind, error);

    if (!node) {
        return FALSE;
    }
    qidl_node__get_scalar(node, obj);
    return TRUE;
}

/*
 * The list's count is checked as start_list checks it, then each element
 * as tree_in_scalar() checks it; elements before a mismatch are loaded.
 */
static gboolean tree_in_scalar_array(QidlVisitor *v, const char *name,
                                     QidlKind kind, QidlListKind list_kind,
                                     guint32 count, void *array,
                                     GError **error)
{
    TreeInput *ti = to_tree_in(v);
    const QidlNode *node = tree_in_get(ti, name, QIDL_KIND_LIST, error);
    gsize size = qidl_kind_size(kind);
    guint32 i = 0;

    if (!node) {
        return FALSE;
    }
    if (count != node->n_children) {
        return qidl_visitor__error(v, error, QIDL_ERROR_LENGTH_MISMATCH,
                                   "expected %" G_GUINT32_FORMAT " elements, "
                                   "found %" G_GUINT32_FORMAT, count,
                                   node->n_children);
    }
    for (const QidlNode *c = node->first; c; c = c->next, i++) {
        if (c->kind != kind) {
            return qidl_visitor__element_error(
                v, i, error, QIDL_ERROR_TYPE_MISMATCH, "expected %s, found %s",
                qidl_kind_name(kind), qidl_kind_name(c->kind));
        }
        qidl_node__get_scalar(c, (guint8 *)array + i * size);
    }
    return TRUE;
}

/*
 * A run of fields.  The common case inline: the struct's next child in
 * order is the field, of its kind; anything else (a field out of order,
 * missing or of another kind) goes to tree_in_scalar() with the field's
 * segment pushed, which finds it by name or fails as the field's own
 * visit would.
 */
static gboolean tree_in_scalar_fields(QidlVisitor *v,
                                      const QidlScalarField *fields,
                                      const QidlFieldCheck *checks,
                                      guint n_fields, void *base,
                                      GError **error)
{
    TreeInFrame *f = tree_in_top(to_tree_in(v));

    for (guint i = 0; i < n_fields; i++) {
        const QidlScalarField *fld = &fields[i];
        const QidlFieldCheck *chk =
            checks && checks[i].check != QIDL_SCALAR_CHECK_NONE ?
            &checks[i] : NULL;
        const QidlNode *c = f->cursor;
        /* A checked field is read here and stored once it passed. */
        guint64 tmp = 0;
        void *obj = chk ? (void *)&tmp : (guint8 *)base + fld->offset;

        if (!f->seen && c && c->kind == fld->kind && c->name &&
            strcmp(c->name, fld->name) == 0) {
            qidl_node__get_scalar(c, obj);
            f->n_in_order++;
            f->cursor = c->next;
        } else {
            qidl_visitor__push_field(v, fld);
            if (!tree_in_scalar(v, fld->name, fld->kind, obj, error)) {
                return FALSE;
            }
            qidl_visitor__pop_field(v);
        }
        if (chk) {
            if (!qidl_visitor__field_ok(fld, chk, &tmp)) {
                return qidl_visitor__check_field(v, fld, chk, &tmp, error);
            }
            memcpy((guint8 *)base + fld->offset, &tmp,
                   qidl_kind__scalar_size(fld->kind));
        }
    }
    return TRUE;
}

static gboolean tree_in_string(QidlVisitor *v, const char *name, char **obj,
                               GError **error)
{
    const QidlNode *node = tree_in_get(to_tree_in(v), name,
                                       QIDL_KIND_STRING, error);

    if (!node) {
        return FALSE;
    }
    *obj = g_strdup(node->v.str.data);
    return TRUE;
}

static gboolean tree_in_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                              gsize len, GError **error)
{
    const QidlNode *node = tree_in_get(to_tree_in(v), name,
                                       QIDL_KIND_BYTES, error);

    if (!node) {
        return FALSE;
    }
    if (node->v.bytes.len != len) {
        return qidl_visitor__error(v, error, QIDL_ERROR_LENGTH_MISMATCH,
                                   "expected %" G_GSIZE_FORMAT " bytes, "
                                   "found %" G_GSIZE_FORMAT, len,
                                   node->v.bytes.len);
    }
    if (len > 0) {
        memcpy(buf, node->v.bytes.data, len);
    }
    return TRUE;
}

static gboolean tree_in_optional(QidlVisitor *v, const char *name,
                                 QidlPresence how, bool *present,
                                 GError **error)
{
    TreeInFrame *f = tree_in_top(to_tree_in(v));

    /* The core allows optional fields in structs only. */
    *present = tree_in_field(f, name) != NULL;
    return TRUE;
}

static void tree_in_free(QidlVisitor *v)
{
    TreeInput *ti = to_tree_in(v);

    /* A failed visit leaves frames open. */
    while (ti->depth > 0) {
        tree_in_pop(ti);
    }
    g_free(ti);
}

QidlVisitor *qidl_tree_input_visitor_new(const QidlNode *node,
                                         QidlTreeInputFlags flags)
{
    TreeInput *ti;

    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail((flags & ~QIDL_TREE_INPUT_ALLOW_UNKNOWN) == 0,
                         NULL);

    /* The frame stack makes this struct ~3 KiB: on the heap, once. */
    ti = g_new0(TreeInput, 1);
    qidl_visitor__init(&ti->parent, QIDL_VISITOR_INPUT);
    ti->parent.start_struct = tree_in_start_struct;
    ti->parent.end_struct = tree_in_end_struct;
    ti->parent.start_list = tree_in_start_list;
    ti->parent.next_list = tree_in_next_list;
    ti->parent.end_list = tree_in_end_list;
    ti->parent.scalar = tree_in_scalar;
    ti->parent.scalar_array = tree_in_scalar_array;
    ti->parent.scalar_fields = tree_in_scalar_fields;
    ti->parent.string = tree_in_string;
    ti->parent.bytes = tree_in_bytes;
    ti->parent.optional = tree_in_optional;
    ti->parent.free = tree_in_free;
    ti->top = node;
    ti->flags = flags;
    /* Version-gated fields are read as the device root's version. */
    if (qidl_node_is_device(node)) {
        qidl_visitor_set_version(&ti->parent, qidl_node_get_version(node));
    }
    return &ti->parent;
}

guint qidl_tree_input_visitor_get_unknown_count(const QidlVisitor *v)
{
    g_return_val_if_fail(v != NULL, 0);
    g_return_val_if_fail(v->free == tree_in_free, 0);

    return ((const TreeInput *)v)->n_unknown;
}
