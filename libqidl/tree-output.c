/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tree output visitor: each visited value becomes a node.
 *
 * The top-level value is built detached and attached to the destination
 * only once it is complete, so a visit that fails leaves the destination
 * as it was (the half-built nodes stay in the arena, unreachable, until
 * the tree dies).
 */
#include <qidl/tree.h>
#include <qidl/visitor-impl.h>

#include "tree-private.h"

typedef struct {
    QidlVisitor parent;
    QidlTree *tree;
    QidlNode *dest;     /* where the top-level value goes */
    QidlNode *cur;      /* the open struct or list; NULL at top level */
    QidlNode *result;   /* the top-level value, once started */
} TreeOutput;

static TreeOutput *to_tree_out(QidlVisitor *v)
{
    return (TreeOutput *)v;
}

/* The parent the next value goes below. */
static QidlNode *tree_out_parent(TreeOutput *to)
{
    return to->cur ? to->cur : to->dest;
}

/* The name the next value's node gets: none in a list. */
static const char *tree_out_name(TreeOutput *to, const char *name)
{
    return tree_out_parent(to)->kind == QIDL_KIND_LIST ? NULL : name;
}

/* Checks that a value called @name may be added where the visit is. */
static gboolean tree_out_check(TreeOutput *to, const char *name,
                               GError **error)
{
    QidlNode *parent = tree_out_parent(to);

    if (parent->kind != QIDL_KIND_STRUCT) {
        return TRUE;
    }
    if (!name) {
        return qidl_visitor__error(&to->parent, error, QIDL_ERROR_INVALID,
                                   "a struct field needs a name");
    }
    if (qidl_node_get_child(parent, name)) {
        return qidl_visitor__error(&to->parent, error, QIDL_ERROR_INVALID,
                                   to->cur ? "field visited twice" :
                                   "the destination already has a field "
                                   "of this name");
    }
    return TRUE;
}

/*
 * Adds the checked @node where the visit is.  A top-level container is
 * attached when it is closed (tree_out_close()).
 */
static void tree_out_add(TreeOutput *to, QidlNode *node)
{
    if (to->cur) {
        qidl_node__link_last(to->cur, node);
        return;
    }
    to->result = node;
    if (node->kind != QIDL_KIND_STRUCT && node->kind != QIDL_KIND_LIST) {
        qidl_node__link_last(to->dest, node);
    }
}

static void tree_out_open(TreeOutput *to, QidlNode *node)
{
    tree_out_add(to, node);
    to->cur = node;
}

static void tree_out_close(TreeOutput *to)
{
    QidlNode *node = to->cur;

    if (node == to->result) {
        to->cur = NULL;
        qidl_node__link_last(to->dest, node);
    } else {
        to->cur = node->parent;
    }
}

static gboolean tree_out_start_struct(QidlVisitor *v, const char *name,
                                      GError **error)
{
    TreeOutput *to = to_tree_out(v);

    name = tree_out_name(to, name);
    if (!tree_out_check(to, name, error)) {
        return FALSE;
    }
    tree_out_open(to, qidl_node_new_struct(to->tree, name));
    return TRUE;
}

static gboolean tree_out_end_struct(QidlVisitor *v, GError **error)
{
    tree_out_close(to_tree_out(v));
    return TRUE;
}

static gboolean tree_out_start_list(QidlVisitor *v, const char *name,
                                    QidlListKind kind, guint32 *count,
                                    gsize elem_size, GError **error)
{
    TreeOutput *to = to_tree_out(v);

    /* The tree keeps the elements, not the kind of count: a loader's
     * visit function says again how it counts them. */
    name = tree_out_name(to, name);
    if (!tree_out_check(to, name, error)) {
        return FALSE;
    }
    tree_out_open(to, qidl_node_new_list(to->tree, name));
    return TRUE;
}

static gboolean tree_out_end_list(QidlVisitor *v, GError **error)
{
    tree_out_close(to_tree_out(v));
    return TRUE;
}

static gboolean tree_out_scalar(QidlVisitor *v, const char *name,
                                QidlKind kind, void *obj, GError **error)
{
    TreeOutput *to = to_tree_out(v);

    name = tree_out_name(to, name);
    if (!tree_out_check(to, name, error)) {
        return FALSE;
    }
    tree_out_add(to, qidl_tree__new_scalar(to->tree, name, kind, obj));
    return TRUE;
}

/* A list node with a scalar node per element, as the element calls make. */
static gboolean tree_out_scalar_array(QidlVisitor *v, const char *name,
                                      QidlKind kind, QidlListKind list_kind,
                                      guint32 count, void *array,
                                      GError **error)
{
    TreeOutput *to = to_tree_out(v);
    gsize size = qidl_kind_size(kind);
    QidlNode *list;

    name = tree_out_name(to, name);
    if (!tree_out_check(to, name, error)) {
        return FALSE;
    }
    list = qidl_node_new_list(to->tree, name);
    tree_out_open(to, list);
    for (guint32 i = 0; i < count; i++) {
        qidl_node__link_last(list, qidl_tree__new_scalar(
                                 to->tree, NULL, kind,
                                 (const guint8 *)array + i * size));
    }
    tree_out_close(to);
    return TRUE;
}

/*
 * A run of fields: a scalar node per field, checked and added as
 * tree_out_scalar() does, with the field's segment pushed so that a
 * field visited twice names itself.
 */
static gboolean tree_out_scalar_fields(QidlVisitor *v,
                                       const QidlScalarField *fields,
                                       const QidlFieldCheck *checks,
                                       guint n_fields, void *base,
                                       GError **error)
{
    TreeOutput *to = to_tree_out(v);

    for (guint i = 0; i < n_fields; i++) {
        const QidlScalarField *f = &fields[i];

        qidl_visitor__push_field(v, f);
        /* In a struct: every field keeps its name. */
        if (!tree_out_check(to, f->name, error)) {
            return FALSE;
        }
        tree_out_add(to, qidl_tree__new_scalar(to->tree, f->name, f->kind,
                                               (guint8 *)base + f->offset));
        qidl_visitor__pop_field(v);
    }
    return TRUE;
}

static gboolean tree_out_string(QidlVisitor *v, const char *name, char **obj,
                                GError **error)
{
    TreeOutput *to = to_tree_out(v);

    name = tree_out_name(to, name);
    if (!tree_out_check(to, name, error)) {
        return FALSE;
    }
    tree_out_add(to, qidl_node_new_string(to->tree, name, *obj));
    return TRUE;
}

static gboolean tree_out_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                               gsize len, GError **error)
{
    TreeOutput *to = to_tree_out(v);

    name = tree_out_name(to, name);
    if (!tree_out_check(to, name, error)) {
        return FALSE;
    }
    tree_out_add(to, qidl_node_new_bytes(to->tree, name, buf, len));
    return TRUE;
}

static gboolean tree_out_optional(QidlVisitor *v, const char *name,
                                  QidlPresence how, bool *present,
                                  GError **error)
{
    /* An absent field is no node; a present one is visited next.  The
     * caller's answer stands. */
    return TRUE;
}

static void tree_out_free(QidlVisitor *v)
{
    g_free(to_tree_out(v));
}

QidlVisitor *qidl_tree_output_visitor_new(QidlTree *tree, QidlNode *parent)
{
    TreeOutput *to;

    g_return_val_if_fail(tree != NULL, NULL);
    if (!parent) {
        parent = qidl_tree_get_root(tree);
    }
    g_return_val_if_fail(parent->tree == tree, NULL);
    g_return_val_if_fail(parent->kind == QIDL_KIND_STRUCT ||
                         parent->kind == QIDL_KIND_LIST, NULL);

    to = g_new0(TreeOutput, 1);
    qidl_visitor__init(&to->parent, QIDL_VISITOR_OUTPUT);
    to->parent.start_struct = tree_out_start_struct;
    to->parent.end_struct = tree_out_end_struct;
    to->parent.start_list = tree_out_start_list;
    to->parent.end_list = tree_out_end_list;
    to->parent.scalar = tree_out_scalar;
    to->parent.scalar_array = tree_out_scalar_array;
    to->parent.scalar_fields = tree_out_scalar_fields;
    to->parent.string = tree_out_string;
    to->parent.bytes = tree_out_bytes;
    to->parent.optional = tree_out_optional;
    to->parent.free = tree_out_free;
    to->tree = tree;
    to->dest = parent;
    return &to->parent;
}

QidlNode *qidl_tree_output_visitor_get_result(const QidlVisitor *v)
{
    g_return_val_if_fail(v != NULL, NULL);
    g_return_val_if_fail(v->free == tree_out_free, NULL);

    return ((const TreeOutput *)v)->result;
}
