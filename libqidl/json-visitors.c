/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The JSON visitors: thin wrappers around the tree visitors.
 *
 * Each owns a private tree and an inner tree visitor, and forwards every
 * callback to the inner visitor through the public qidl_visit_*() calls.
 * The inner visitor's core sees the same names in the same order as ours,
 * so it keeps the same path and its errors read exactly like ours; its
 * checks (kinds, widths, counts, missing and leftover fields) are the JSON
 * visitors' checks.  Only the conversion between tree and JSON is JSON's.
 */
#include <qidl/json.h>
#include <qidl/visitor-impl.h>

/* ---- Output ---- */

typedef struct {
    QidlVisitor parent;
    QidlTree *tree;           /* owned; holds what the visit built */
    QidlVisitor *inner;       /* owned; a tree output visitor over tree */
    JsonNode **out;           /* borrowed; written by complete */
} JsonOutput;

static JsonOutput *to_json_out(QidlVisitor *v)
{
    return (JsonOutput *)v;
}

static gboolean json_out_start_struct(QidlVisitor *v, const char *name,
                                      GError **error)
{
    return qidl_visit_start_struct(to_json_out(v)->inner, name, error);
}

static gboolean json_out_end_struct(QidlVisitor *v, GError **error)
{
    return qidl_visit_end_struct(to_json_out(v)->inner, error);
}

static gboolean json_out_start_list(QidlVisitor *v, const char *name,
                                    QidlListKind kind, guint32 *count,
                                    gsize elem_size, GError **error)
{
    return qidl_visit_start_list(to_json_out(v)->inner, name, kind, count,
                                 elem_size, error);
}

static gboolean json_out_next_list(QidlVisitor *v, guint32 index,
                                   GError **error)
{
    return qidl_visit_next_list(to_json_out(v)->inner, error);
}

static gboolean json_out_end_list(QidlVisitor *v, GError **error)
{
    return qidl_visit_end_list(to_json_out(v)->inner, error);
}

static gboolean json_out_scalar(QidlVisitor *v, const char *name,
                                QidlKind kind, void *obj, GError **error)
{
    return qidl_visit_scalar(to_json_out(v)->inner, name, kind, obj, error);
}

static gboolean json_out_string(QidlVisitor *v, const char *name, char **obj,
                                GError **error)
{
    return qidl_visit_string(to_json_out(v)->inner, name, obj, error);
}

static gboolean json_out_string_buf(QidlVisitor *v, const char *name,
                                    char *buf, gsize capacity, GError **error)
{
    return qidl_visit_string_buf(to_json_out(v)->inner, name, buf, capacity,
                                 error);
}

static gboolean json_out_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                               gsize len, GError **error)
{
    return qidl_visit_bytes(to_json_out(v)->inner, name, buf, len, error);
}

static gboolean json_out_optional(QidlVisitor *v, const char *name,
                                  QidlPresence how, bool *present,
                                  GError **error)
{
    return qidl_visit_optional(to_json_out(v)->inner, name, how, present,
                               error);
}

static gboolean json_out_complete(QidlVisitor *v, GError **error)
{
    JsonOutput *jo = to_json_out(v);
    QidlNode *result;

    if (!qidl_visitor_complete(jo->inner, error)) {
        return FALSE;
    }
    result = qidl_tree_output_visitor_get_result(jo->inner);
    if (!result) {
        return qidl_visitor__error(v, error, QIDL_ERROR_INVALID,
                                   "nothing was visited");
    }
    /* The caller owns what *out held before, as with any out parameter. */
    *jo->out = qidl_json_from_node(result);
    return TRUE;
}

static void json_out_free(QidlVisitor *v)
{
    JsonOutput *jo = to_json_out(v);

    /* The inner visitor points into the tree: free it first. */
    qidl_visitor_free(jo->inner);
    qidl_tree_free(jo->tree);
    g_free(jo);
}

QidlVisitor *qidl_json_output_visitor_new(JsonNode **out)
{
    JsonOutput *jo;

    g_return_val_if_fail(out != NULL, NULL);

    jo = g_new0(JsonOutput, 1);
    qidl_visitor__init(&jo->parent, QIDL_VISITOR_OUTPUT);
    jo->parent.start_struct = json_out_start_struct;
    jo->parent.end_struct = json_out_end_struct;
    jo->parent.start_list = json_out_start_list;
    jo->parent.next_list = json_out_next_list;
    jo->parent.end_list = json_out_end_list;
    jo->parent.scalar = json_out_scalar;
    jo->parent.string = json_out_string;
    jo->parent.string_buf = json_out_string_buf;
    jo->parent.bytes = json_out_bytes;
    jo->parent.optional = json_out_optional;
    jo->parent.complete = json_out_complete;
    jo->parent.free = json_out_free;
    jo->tree = qidl_tree_new();
    jo->inner = qidl_tree_output_visitor_new(jo->tree, NULL);
    jo->out = out;
    return &jo->parent;
}

/* ---- Input ---- */

typedef struct {
    QidlVisitor parent;
    QidlTree *tree;           /* owned; holds the converted JSON */
    QidlVisitor *inner;       /* owned; a tree input visitor over tree */
} JsonInput;

static JsonInput *to_json_in(QidlVisitor *v)
{
    return (JsonInput *)v;
}

static gboolean json_in_start_struct(QidlVisitor *v, const char *name,
                                     GError **error)
{
    return qidl_visit_start_struct(to_json_in(v)->inner, name, error);
}

static gboolean json_in_end_struct(QidlVisitor *v, GError **error)
{
    return qidl_visit_end_struct(to_json_in(v)->inner, error);
}

static gboolean json_in_start_list(QidlVisitor *v, const char *name,
                                   QidlListKind kind, guint32 *count,
                                   gsize elem_size, GError **error)
{
    return qidl_visit_start_list(to_json_in(v)->inner, name, kind, count,
                                 elem_size, error);
}

static gboolean json_in_next_list(QidlVisitor *v, guint32 index,
                                  GError **error)
{
    return qidl_visit_next_list(to_json_in(v)->inner, error);
}

static gboolean json_in_end_list(QidlVisitor *v, GError **error)
{
    return qidl_visit_end_list(to_json_in(v)->inner, error);
}

static gboolean json_in_scalar(QidlVisitor *v, const char *name,
                               QidlKind kind, void *obj, GError **error)
{
    return qidl_visit_scalar(to_json_in(v)->inner, name, kind, obj, error);
}

static gboolean json_in_string(QidlVisitor *v, const char *name, char **obj,
                               GError **error)
{
    return qidl_visit_string(to_json_in(v)->inner, name, obj, error);
}

static gboolean json_in_string_buf(QidlVisitor *v, const char *name,
                                   char *buf, gsize capacity, GError **error)
{
    return qidl_visit_string_buf(to_json_in(v)->inner, name, buf, capacity,
                                 error);
}

static gboolean json_in_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                              gsize len, GError **error)
{
    return qidl_visit_bytes(to_json_in(v)->inner, name, buf, len, error);
}

static gboolean json_in_optional(QidlVisitor *v, const char *name,
                                 QidlPresence how, bool *present,
                                 GError **error)
{
    return qidl_visit_optional(to_json_in(v)->inner, name, how, present,
                               error);
}

static gboolean json_in_complete(QidlVisitor *v, GError **error)
{
    return qidl_visitor_complete(to_json_in(v)->inner, error);
}

static void json_in_free(QidlVisitor *v)
{
    JsonInput *ji = to_json_in(v);

    /* The inner visitor reads the tree: free it first. */
    qidl_visitor_free(ji->inner);
    qidl_tree_free(ji->tree);
    g_free(ji);
}

QidlVisitor *qidl_json_input_visitor_new(JsonNode *json,
                                         QidlTreeInputFlags flags,
                                         GError **error)
{
    g_autoptr(QidlTree) tree = NULL;
    JsonInput *ji;
    QidlNode *node;

    g_return_val_if_fail(json != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    tree = qidl_tree_new();
    /*
     * The top-level value's name is known only to the visit, so errors of
     * the conversion name paths below it ("cmos[3]").
     */
    node = qidl_json_to_node(tree, json, NULL, error);
    if (!node) {
        return NULL;
    }

    ji = g_new0(JsonInput, 1);
    qidl_visitor__init(&ji->parent, QIDL_VISITOR_INPUT);
    ji->parent.start_struct = json_in_start_struct;
    ji->parent.end_struct = json_in_end_struct;
    ji->parent.start_list = json_in_start_list;
    ji->parent.next_list = json_in_next_list;
    ji->parent.end_list = json_in_end_list;
    ji->parent.scalar = json_in_scalar;
    ji->parent.string = json_in_string;
    ji->parent.string_buf = json_in_string_buf;
    ji->parent.bytes = json_in_bytes;
    ji->parent.optional = json_in_optional;
    ji->parent.complete = json_in_complete;
    ji->parent.free = json_in_free;
    ji->inner = qidl_tree_input_visitor_new(node, flags);
    ji->tree = g_steal_pointer(&tree);
    /* A "$device" member's version is what visit functions ask for. */
    qidl_visitor_set_version(&ji->parent, qidl_visitor_get_version(ji->inner));
    return &ji->parent;
}
