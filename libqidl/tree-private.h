/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tree's node layout and the helpers its two visitors share
 * (tree-output.c, tree-input.c).  Private to libqidl: everything else,
 * the JSON codec included, goes through tree.h.
 */
#ifndef QIDL_TREE_PRIVATE_H
#define QIDL_TREE_PRIVATE_H

#include <qidl/tree.h>

/* What set_device() attaches to a struct node; lives in the arena. */
typedef struct {
    const char *type_name;
    const char *instance_path;
    guint32 version;
} QidlNodeDevice;

/*
 * A node.  Allocated in its tree's arena, never freed on its own: a
 * detached node stays valid until the tree dies.  @name is interned in the
 * tree, so two names of one tree are equal exactly when the pointers are.
 */
struct QidlNode {
    QidlTree *tree;
    QidlNode *parent;
    QidlNode *first;
    QidlNode *last;
    QidlNode *next;
    QidlNode *prev;
    const char *name;       /* interned; NULL for list elements and root */
    QidlKind kind;
    guint32 n_children;
    union {
        gboolean b;         /* bool */
        gint64 i;           /* signed integers */
        guint64 u;          /* unsigned integers */
        float f;            /* float: kept as float so it stays bit-exact */
        double d;           /* double */
        struct {
            char *data;     /* arena, NUL-terminated */
            gsize len;      /* without the terminator */
        } str;
        struct {
            guint8 *data;   /* arena, never NULL (at least 1 byte) */
            gsize len;
        } bytes;
        struct {
            QidlNodeDevice *device;  /* NULL unless a device root */
            /*
             * name -> child, built once a struct has many children so
             * that lookups by name stay O(1); owned by the tree.
             */
            GHashTable *index;
        } s;
    } v;
};

/*
 * Room for any C scalar object, for code that makes one up (replay,
 * formatting).  Objects a visitor hands over are not necessarily aligned
 * like this union: access them through their own type.
 */
typedef union {
    bool b;
    gint8 i8;
    guint8 u8;
    gint16 i16;
    guint16 u16;
    gint32 i32;
    guint32 u32;
    gint64 i64;
    guint64 u64;
    float f;
    double d;
} QidlScalarBuf;

/*
 * Creates a detached node of a scalar @kind from the C object @obj of
 * that kind (what an output visitor was given).
 */
QidlNode *qidl_tree__new_scalar(QidlTree *tree, const char *name,
                                QidlKind kind, const void *obj);

/* Writes a scalar node's value into @obj, a C object of the node's kind. */
void qidl_node__get_scalar(const QidlNode *node, void *obj);

/*
 * Links a detached @child as the last child of @parent without checking
 * the tree's rules: for callers that checked them already.
 */
void qidl_node__link_last(QidlNode *parent, QidlNode *child);

#endif /* QIDL_TREE_PRIVATE_H */
