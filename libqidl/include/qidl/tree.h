/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state tree
 *
 * A QidlTree holds device state as typed nodes, independent of any device
 * code: it can be read from a stream without consulting devices, rewritten
 * by filters, compared, printed, and handed to an input visitor so a device
 * loads it as if it came from itself.
 *
 * Nodes: every node has a kind (#QidlKind).  Scalars hold a value of exactly
 * that kind and width; strings and bytes hold their data; structs hold named
 * children with unique names, in order; lists hold unnamed children.  A node
 * whose parent is a struct has a name; a list element has none.
 *
 * Devices: the tree's root is an unnamed struct whose children are usually
 * device roots.  A device root is a struct node that also carries its type
 * name ("mc146818rtc"), its instance path (QOM-style, "/machine/rtc") and
 * its state version.
 *
 * Memory: nodes, names and values live in the tree's arena and die with the
 * tree; nothing is freed one node at a time.  A removed node stays valid
 * (detached) until the tree is freed, so it can be inserted elsewhere.
 * Names are interned once per tree.  Nodes of one tree never link to nodes
 * of another: use qidl_node_copy() to move state between trees.
 *
 * Walks over a tree (compare, print, replay, copy) follow parent and sibling
 * links with no recursion, so their stack use does not grow with depth.
 *
 * Lifecycle:
 *
 *     g_autoptr(QidlTree) tree = qidl_tree_new();
 *     g_autoptr(QidlVisitor) out = qidl_tree_output_visitor_new(tree, NULL);
 *     visit_rtc(out, "rtc", &rtc, &error);        // builds tree/rtc
 *     QidlNode *dev = qidl_node_get_child(qidl_tree_get_root(tree), "rtc");
 *     qidl_node_set_device(dev, "mc146818rtc", "/machine/rtc", 3);
 *     ...
 *     g_autoptr(QidlVisitor) in = qidl_tree_input_visitor_new(dev, 0);
 *     visit_rtc(in, "rtc", &rtc2, &error);        // loads it back
 *
 * Threads: a tree is used by one thread at a time.
 */
#ifndef QIDL_TREE_H
#define QIDL_TREE_H

#include <qidl/visitor.h>

G_BEGIN_DECLS

typedef struct QidlTree QidlTree;
typedef struct QidlNode QidlNode;

/**
 * qidl_tree_new:
 *
 * Returns: (transfer full): an empty tree whose root is an unnamed struct.
 */
QidlTree *qidl_tree_new(void);

/**
 * qidl_tree_free:
 * @tree: (nullable): a tree
 *
 * Frees the tree and every node created in it.
 */
void qidl_tree_free(QidlTree *tree);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QidlTree, qidl_tree_free)

/**
 * qidl_tree_get_root:
 *
 * Returns: (transfer none): the root struct node.
 */
QidlNode *qidl_tree_get_root(QidlTree *tree);

/**
 * qidl_node_get_tree:
 *
 * Returns: (transfer none): the tree @node was created in.
 */
QidlTree *qidl_node_get_tree(const QidlNode *node);

/*
 * Creating nodes.  New nodes are detached: attach them with
 * qidl_node_append() or qidl_node_insert_before()/_after().  @name is
 * copied (interned); pass NULL for a node that will be a list element.
 * All return (transfer none) pointers owned by the tree.
 */
QidlNode *qidl_node_new_struct(QidlTree *tree, const char *name);
QidlNode *qidl_node_new_list(QidlTree *tree, const char *name);
QidlNode *qidl_node_new_bool(QidlTree *tree, const char *name,
                             gboolean value);
/* @kind is a signed integer kind and @value must fit in it. */
QidlNode *qidl_node_new_int(QidlTree *tree, const char *name, QidlKind kind,
                            gint64 value);
/* @kind is an unsigned integer kind and @value must fit in it. */
QidlNode *qidl_node_new_uint(QidlTree *tree, const char *name, QidlKind kind,
                             guint64 value);
/* @kind is QIDL_KIND_FLOAT or QIDL_KIND_DOUBLE. */
QidlNode *qidl_node_new_float(QidlTree *tree, const char *name, QidlKind kind,
                              double value);
/* @value is NUL-terminated and copied. */
QidlNode *qidl_node_new_string(QidlTree *tree, const char *name,
                               const char *value);
/* @data (@len bytes; may be NULL when @len is 0) is copied. */
QidlNode *qidl_node_new_bytes(QidlTree *tree, const char *name,
                              const guint8 *data, gsize len);

/**
 * qidl_node_copy:
 * @tree: the tree the copy is created in (may be another tree than
 *   @node's)
 * @node: the node to copy, with everything below it
 *
 * Returns: (transfer none): a detached deep copy, device information
 * included, with the same name.
 */
QidlNode *qidl_node_copy(QidlTree *tree, const QidlNode *node);

/* Reading a node.  Pointers returned are (transfer none), owned by the
 * tree. */
QidlKind qidl_node_get_kind(const QidlNode *node);
/* NULL for list elements and the root. */
const char *qidl_node_get_name(const QidlNode *node);
QidlNode *qidl_node_get_parent(const QidlNode *node);
QidlNode *qidl_node_get_first_child(const QidlNode *node);
QidlNode *qidl_node_get_last_child(const QidlNode *node);
QidlNode *qidl_node_get_next(const QidlNode *node);
QidlNode *qidl_node_get_prev(const QidlNode *node);
guint32 qidl_node_get_n_children(const QidlNode *node);
/* The child of a struct called @name, or NULL. */
QidlNode *qidl_node_get_child(const QidlNode *node, const char *name);
/* The child at position @index of a struct or list, or NULL. */
QidlNode *qidl_node_get_nth_child(const QidlNode *node, guint32 index);

/*
 * Values.  Each getter requires a node of a matching kind
 * (g_return_val_if_fail): get_int for signed integers, get_uint for
 * unsigned ones, get_double for float and double (a float is returned
 * exactly), get_bool for bool.
 */
gboolean qidl_node_get_bool(const QidlNode *node);
gint64 qidl_node_get_int(const QidlNode *node);
guint64 qidl_node_get_uint(const QidlNode *node);
double qidl_node_get_double(const QidlNode *node);
/* NUL-terminated; @len (nullable) receives the length without it. */
const char *qidl_node_get_string(const QidlNode *node, gsize *len);
const guint8 *qidl_node_get_bytes(const QidlNode *node, gsize *len);

/*
 * Setters change the value, never the kind.  The integer setters fail with
 * QIDL_ERROR_CONSTRAINT naming the node's path if @value does not fit the
 * node's width.  String and bytes values are copied into the arena; the
 * previous value's memory is reclaimed only with the tree.
 */
void qidl_node_set_bool(QidlNode *node, gboolean value);
gboolean qidl_node_set_int(QidlNode *node, gint64 value, GError **error);
gboolean qidl_node_set_uint(QidlNode *node, guint64 value, GError **error);
void qidl_node_set_double(QidlNode *node, double value);
void qidl_node_set_string(QidlNode *node, const char *value);
void qidl_node_set_bytes(QidlNode *node, const guint8 *data, gsize len);

/*
 * Device roots.  set_device marks a struct node as a device root; the
 * strings are copied.  The getters return NULL / 0 for other nodes; the
 * three single setters require a device root.
 */
void qidl_node_set_device(QidlNode *node, const char *type_name,
                          const char *instance_path, guint32 version);
gboolean qidl_node_is_device(const QidlNode *node);
const char *qidl_node_get_type_name(const QidlNode *node);
const char *qidl_node_get_instance_path(const QidlNode *node);
guint32 qidl_node_get_version(const QidlNode *node);
void qidl_node_set_type_name(QidlNode *node, const char *type_name);
void qidl_node_set_instance_path(QidlNode *node, const char *instance_path);
void qidl_node_set_version(QidlNode *node, guint32 version);

/**
 * qidl_node_find:
 * @node: where the path starts
 * @path: a relative path: field names separated by dots, list indices in
 *   brackets ("regs[3].lo", "[0].x"); "" is @node itself
 *
 * Returns: (nullable) (transfer none): the node, or NULL if there is none
 * or @path is malformed.
 */
QidlNode *qidl_node_find(const QidlNode *node, const char *path);

/**
 * qidl_node_get_path:
 *
 * Returns: (transfer full): the path from the outermost named ancestor
 * below the tree root, in the form error messages use
 * ("rtc.cmos_data[12]"); "" for the root.
 */
char *qidl_node_get_path(const QidlNode *node);

/*
 * Editing.  Each fails with QIDL_ERROR_INVALID (and changes nothing) if
 * the result would break a rule of the tree: a struct child without a name
 * or with a name its siblings already use, a named list element, a node
 * that is already attached, a node inserted below itself, nodes of two
 * trees, or a parent that is not a struct or list.
 */
gboolean qidl_node_append(QidlNode *parent, QidlNode *child, GError **error);
gboolean qidl_node_insert_before(QidlNode *sibling, QidlNode *child,
                                 GError **error);
gboolean qidl_node_insert_after(QidlNode *sibling, QidlNode *child,
                                GError **error);
/* Detaches @node (and what is below it) from its parent; no-op if
 * detached. */
void qidl_node_remove(QidlNode *node);
/* Renames @node; NULL is allowed only for a detached node or a list
 * element. */
gboolean qidl_node_rename(QidlNode *node, const char *name, GError **error);
/* Detaches @node and appends it to @new_parent. */
gboolean qidl_node_move(QidlNode *node, QidlNode *new_parent, GError **error);

/**
 * qidl_node_equal:
 *
 * Returns: TRUE if @a and @b (possibly of different trees) have the same
 * kind, name, value (floats compared bit for bit), device information and,
 * recursively, children in the same order.
 */
gboolean qidl_node_equal(const QidlNode *a, const QidlNode *b);

/**
 * QidlNodeDiffFunc:
 * @path: the path of the difference, relative to the compared nodes'
 *   parents ("rtc.cmos_data[12]")
 * @a: (nullable): the node on the left, NULL if only @b has it
 * @b: (nullable): the node on the right, NULL if only @a has it
 * @user_data: as passed to qidl_node_compare()
 *
 * Called for each difference: a value, kind or device information that
 * differs (both non-NULL), or a child only one side has.
 */
typedef void (*QidlNodeDiffFunc)(const char *path, const QidlNode *a,
                                 const QidlNode *b, gpointer user_data);

/**
 * qidl_node_compare:
 * @a: a node
 * @b: a node
 * @func: (nullable): called for each difference, in tree order
 * @user_data: for @func
 *
 * Compares two nodes as qidl_node_equal() does but reports every
 * difference.  Struct children are matched by name, list elements by
 * position.  Below a node whose kind differs nothing more is reported.
 * @a and @b themselves having different names is a difference of the
 * top (reported at @a's name).
 *
 * Returns: the number of differences (0 if equal).
 */
guint qidl_node_compare(const QidlNode *a, const QidlNode *b,
                        QidlNodeDiffFunc func, gpointer user_data);

/**
 * qidl_node_format_value:
 *
 * Returns: (transfer full): a scalar, string or bytes node's value as the
 * pretty printer shows it ("(uint8) 0x10", "(string) \"com1\""); for a
 * struct or list, its kind and child count ("(struct, 3 fields)",
 * "(struct, 1 field)", "(list, 8 elements)").
 */
char *qidl_node_format_value(const QidlNode *node);

/**
 * qidl_node_print:
 * @node: a node
 * @out: where the text is appended
 *
 * Prints @node and everything below it, one value per line, in the
 * pretty-print format of pretty.h (`rtc.cmos_data(128)(1).[12] = (uint8)
 * 0x26`); a device root is preceded by a line
 * `# device rtc: type mc146818rtc, path /machine/rtc, version 3`, where
 * `rtc` is the device node's path relative to @node's parent, in the form
 * of qidl_node_get_path() ("machine.cpus[0]").  The output is stable: the
 * same tree always prints the same text.  Printing goes through the pretty
 * visitor, so a tree nested deeper than QIDL_LIMIT_DEPTH prints up to that
 * depth and then a last line `# error: <message>`.
 */
void qidl_node_print(const QidlNode *node, GString *out);

/**
 * qidl_node_replay:
 * @node: a node
 * @out: an output visitor
 * @error: return location for a GError
 *
 * Drives @out with @node's contents, as a visit function would: a struct
 * becomes start_struct, its children, end_struct; a list a counted list
 * (QIDL_LIST_COUNTED) with an element size of 0; and so on.  Replaying a
 * tree into a tree output visitor reproduces it; into a pretty visitor
 * prints it; into a legacy output visitor encodes it.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_node_replay(const QidlNode *node, QidlVisitor *out,
                          GError **error);

/**
 * qidl_tree_output_visitor_new:
 * @tree: the tree to build in
 * @parent: (nullable): where the top-level value is appended (a struct or
 *   list of @tree); NULL for the tree's root
 *
 * An output visitor that builds nodes.  The top-level value becomes the
 * last child of @parent, under the name given to the top-level visit call;
 * building fails with QIDL_ERROR_INVALID if @parent is a struct that
 * already has a child of that name, or if the visit names a struct field
 * twice.  A top-level struct or list is attached to @parent only when it
 * is complete, so a visit that fails leaves @parent as it was.
 *
 * Returns: (transfer full): an output visitor.
 */
QidlVisitor *qidl_tree_output_visitor_new(QidlTree *tree, QidlNode *parent);

/**
 * qidl_tree_output_visitor_get_result:
 *
 * Returns: (nullable) (transfer none): the node the top-level visit
 * created, or NULL before it started.
 */
QidlNode *qidl_tree_output_visitor_get_result(const QidlVisitor *v);

/**
 * QidlTreeInputFlags:
 * @QIDL_TREE_INPUT_ALLOW_UNKNOWN: fields of a struct node that the visit
 *   does not ask for are skipped and counted instead of failing end_struct
 *   with QIDL_ERROR_UNKNOWN_FIELD
 */
typedef enum {
    QIDL_TREE_INPUT_NONE = 0,
    QIDL_TREE_INPUT_ALLOW_UNKNOWN = 1 << 0,
} QidlTreeInputFlags;

/**
 * qidl_tree_input_visitor_new:
 * @node: (transfer none): the node to load from; must outlive the
 *   visitor.  The top-level visit reads @node itself, whatever the name
 *   passed to it.
 * @flags: #QidlTreeInputFlags
 *
 * An input visitor over a node.  Struct fields are found by name, so the
 * order of a struct's children does not matter.  Kinds and widths must
 * match exactly (QIDL_ERROR_TYPE_MISMATCH: "expected uint8, found
 * uint16"); a field that is asked for but absent is
 * QIDL_ERROR_MISSING_FIELD unless it was announced with
 * qidl_visit_optional().
 *
 * Returns: (transfer full): an input visitor.
 */
QidlVisitor *qidl_tree_input_visitor_new(const QidlNode *node,
                                         QidlTreeInputFlags flags);

/**
 * qidl_tree_input_visitor_get_unknown_count:
 *
 * Returns: how many unknown fields were skipped (with
 * QIDL_TREE_INPUT_ALLOW_UNKNOWN).
 */
guint qidl_tree_input_visitor_get_unknown_count(const QidlVisitor *v);

G_END_DECLS

#endif /* QIDL_TREE_H */
