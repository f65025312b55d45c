/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state tree: arena, nodes, editing, and the walks over it (copy,
 * equal, compare, replay, print).
 *
 * Every walk follows parent and sibling links (or, for compare, an explicit
 * stack), never the C stack: a tree built through the API or read from a
 * stream may be deeper than any visitor allows, and walking it must not
 * crash.
 */
#include <stddef.h>
#include <string.h>

#include <qidl/pretty.h>
#include <qidl/tree.h>

#include "pretty-private.h"
#include "tree-private.h"

/*
 * The arena: chunks handed out front to back, plus one chunk of its own
 * for anything larger than a quarter of ARENA_CHUNK_SIZE (big byte
 * buffers) so that it wastes no tail.  Nodes are small and all the same
 * size, and a tree's memory dies at once: a bump allocator is all it
 * takes.  Chunks start small, since many trees hold one device or one
 * value, and double up to ARENA_CHUNK_SIZE.
 */
#define ARENA_FIRST_CHUNK_SIZE (2 * 1024)
#define ARENA_CHUNK_SIZE (64 * 1024)
#define ARENA_ALIGN _Alignof(max_align_t)

/*
 * Structs with this many children get a name index: below it a scan of
 * interned pointers is faster than hashing, above it a wide struct read
 * from untrusted input must not make every lookup linear.
 */
#define STRUCT_INDEX_MIN 16

typedef union ArenaChunk ArenaChunk;
union ArenaChunk {
    ArenaChunk *next;
    max_align_t align;  /* so that the data after the header is aligned */
};

struct QidlTree {
    ArenaChunk *chunks;     /* every chunk, newest first */
    guint8 *pos;            /* free space of the current chunk */
    guint8 *end;
    gsize chunk_size;       /* of the next regular chunk */
    GHashTable *names;      /* interned names: arena string -> itself */
    GPtrArray *indexes;     /* the struct name indexes, freed with the tree */
    QidlNode *root;
};

G_STATIC_ASSERT(sizeof(ArenaChunk) % ARENA_ALIGN == 0);
G_STATIC_ASSERT(ARENA_FIRST_CHUNK_SIZE <= ARENA_CHUNK_SIZE);

static gsize round_up(gsize size)
{
    gsize rounded;

    if (!g_size_checked_add(&rounded, size, ARENA_ALIGN - 1)) {
        g_error("qidl tree: allocation of %" G_GSIZE_FORMAT " bytes "
                "overflows", size);
    }
    return rounded & ~(gsize)(ARENA_ALIGN - 1);
}

static ArenaChunk *chunk_new(QidlTree *tree, gsize size)
{
    ArenaChunk *chunk;
    gsize total;

    if (!g_size_checked_add(&total, sizeof(ArenaChunk), size)) {
        g_error("qidl tree: allocation of %" G_GSIZE_FORMAT " bytes "
                "overflows", size);
    }
    chunk = g_malloc(total);
    chunk->next = tree->chunks;
    tree->chunks = chunk;
    return chunk;
}

/* Returns uninitialised memory for @size bytes, aligned for any type. */
static void *arena_alloc(QidlTree *tree, gsize size)
{
    ArenaChunk *chunk;
    void *p;

    size = round_up(size ? size : 1);
    if (size <= (gsize)(tree->end - tree->pos)) {
        p = tree->pos;
        tree->pos += size;
        return p;
    }
    if (size > ARENA_CHUNK_SIZE / 4) {
        /* Its own chunk; the current chunk keeps its free space. */
        chunk = chunk_new(tree, size);
        return chunk + 1;
    }
    while (tree->chunk_size < size) {
        tree->chunk_size *= 2;
    }
    chunk = chunk_new(tree, tree->chunk_size);
    tree->pos = (guint8 *)(chunk + 1) + size;
    tree->end = (guint8 *)(chunk + 1) + tree->chunk_size;
    tree->chunk_size = MIN(tree->chunk_size * 2, ARENA_CHUNK_SIZE);
    return chunk + 1;
}

static void *arena_memdup(QidlTree *tree, const void *data, gsize len)
{
    void *p = arena_alloc(tree, len);

    if (len > 0) {
        memcpy(p, data, len);
    }
    return p;
}

static char *arena_strndup(QidlTree *tree, const char *s, gsize len)
{
    gsize size;
    char *p;

    if (!g_size_checked_add(&size, len, 1)) {
        g_error("qidl tree: string of %" G_GSIZE_FORMAT " bytes overflows",
                len);
    }
    p = arena_alloc(tree, size);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static char *arena_strdup(QidlTree *tree, const char *s)
{
    return arena_strndup(tree, s, strlen(s));
}

/* The tree's copy of @name, made on first use. */
static const char *intern(QidlTree *tree, const char *name)
{
    char *copy;

    if (!name) {
        return NULL;
    }
    copy = g_hash_table_lookup(tree->names, name);
    if (!copy) {
        copy = arena_strdup(tree, name);
        g_hash_table_add(tree->names, copy);
    }
    return copy;
}

/* The tree's copy of @name, or NULL if no node of the tree ever had it. */
static const char *lookup_interned(const QidlTree *tree, const char *name)
{
    return g_hash_table_lookup(tree->names, name);
}

static QidlNode *node_new(QidlTree *tree, const char *name, QidlKind kind)
{
    QidlNode *node = arena_alloc(tree, sizeof(*node));

    memset(node, 0, sizeof(*node));
    node->tree = tree;
    node->name = intern(tree, name);
    node->kind = kind;
    return node;
}

QidlTree *qidl_tree_new(void)
{
    QidlTree *tree = g_new0(QidlTree, 1);

    tree->chunk_size = ARENA_FIRST_CHUNK_SIZE;
    tree->names = g_hash_table_new(g_str_hash, g_str_equal);
    tree->indexes = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_hash_table_unref);
    tree->root = node_new(tree, NULL, QIDL_KIND_STRUCT);
    return tree;
}

void qidl_tree_free(QidlTree *tree)
{
    ArenaChunk *chunk, *next;

    if (!tree) {
        return;
    }
    g_ptr_array_unref(tree->indexes);
    g_hash_table_unref(tree->names);
    for (chunk = tree->chunks; chunk; chunk = next) {
        next = chunk->next;
        g_free(chunk);
    }
    g_free(tree);
}

QidlNode *qidl_tree_get_root(QidlTree *tree)
{
    g_return_val_if_fail(tree != NULL, NULL);
    return tree->root;
}

QidlTree *qidl_node_get_tree(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return node->tree;
}

/* Name index of wide structs. */

static void index_add(QidlNode *parent, QidlNode *child)
{
    if (parent->v.s.index) {
        g_hash_table_insert(parent->v.s.index, (gpointer)child->name, child);
    } else if (parent->n_children >= STRUCT_INDEX_MIN) {
        GHashTable *index = g_hash_table_new(g_direct_hash, g_direct_equal);

        for (QidlNode *c = parent->first; c; c = c->next) {
            g_hash_table_insert(index, (gpointer)c->name, c);
        }
        g_ptr_array_add(parent->tree->indexes, index);
        parent->v.s.index = index;
    }
}

static void index_remove(QidlNode *parent, QidlNode *child)
{
    if (parent->v.s.index) {
        g_hash_table_remove(parent->v.s.index, child->name);
    }
}

/* The child of struct @node whose interned name is @name. */
static QidlNode *child_by_interned(const QidlNode *node, const char *name)
{
    if (!name) {
        return NULL;
    }
    if (node->v.s.index) {
        return g_hash_table_lookup(node->v.s.index, name);
    }
    for (QidlNode *c = node->first; c; c = c->next) {
        if (c->name == name) {
            return c;
        }
    }
    return NULL;
}

/* Linking, without the rule checks (see check_attach()). */

static void link_between(QidlNode *parent, QidlNode *child, QidlNode *prev,
                         QidlNode *next)
{
    child->parent = parent;
    child->prev = prev;
    child->next = next;
    if (prev) {
        prev->next = child;
    } else {
        parent->first = child;
    }
    if (next) {
        next->prev = child;
    } else {
        parent->last = child;
    }
    parent->n_children++;
    if (parent->kind == QIDL_KIND_STRUCT) {
        index_add(parent, child);
    }
}

void qidl_node__link_last(QidlNode *parent, QidlNode *child)
{
    link_between(parent, child, parent->last, NULL);
}

static void unlink_node(QidlNode *node)
{
    QidlNode *parent = node->parent;

    if (!parent) {
        return;
    }
    if (parent->kind == QIDL_KIND_STRUCT) {
        index_remove(parent, node);
    }
    if (node->prev) {
        node->prev->next = node->next;
    } else {
        parent->first = node->next;
    }
    if (node->next) {
        node->next->prev = node->prev;
    } else {
        parent->last = node->prev;
    }
    parent->n_children--;
    node->parent = node->prev = node->next = NULL;
}

/* Creating nodes. */

QidlNode *qidl_node_new_struct(QidlTree *tree, const char *name)
{
    g_return_val_if_fail(tree != NULL, NULL);
    return node_new(tree, name, QIDL_KIND_STRUCT);
}

QidlNode *qidl_node_new_list(QidlTree *tree, const char *name)
{
    g_return_val_if_fail(tree != NULL, NULL);
    return node_new(tree, name, QIDL_KIND_LIST);
}

QidlNode *qidl_node_new_bool(QidlTree *tree, const char *name,
                             gboolean value)
{
    QidlNode *node;

    g_return_val_if_fail(tree != NULL, NULL);
    node = node_new(tree, name, QIDL_KIND_BOOL);
    node->v.b = value != FALSE;
    return node;
}

/* Whether @value fits the signed integer @kind. */
static gboolean int_fits(QidlKind kind, gint64 value)
{
    switch (kind) {
    case QIDL_KIND_INT8:
        return value >= G_MININT8 && value <= G_MAXINT8;
    case QIDL_KIND_INT16:
        return value >= G_MININT16 && value <= G_MAXINT16;
    case QIDL_KIND_INT32:
        return value >= G_MININT32 && value <= G_MAXINT32;
    case QIDL_KIND_INT64:
        return TRUE;
    default:
        return FALSE;
    }
}

/* Whether @value fits the unsigned integer @kind. */
static gboolean uint_fits(QidlKind kind, guint64 value)
{
    switch (kind) {
    case QIDL_KIND_UINT8:
        return value <= G_MAXUINT8;
    case QIDL_KIND_UINT16:
        return value <= G_MAXUINT16;
    case QIDL_KIND_UINT32:
        return value <= G_MAXUINT32;
    case QIDL_KIND_UINT64:
        return TRUE;
    default:
        return FALSE;
    }
}

static gboolean is_signed_int(QidlKind kind)
{
    return qidl_kind_is_integer(kind) && qidl_kind_is_signed(kind);
}

static gboolean is_unsigned_int(QidlKind kind)
{
    return qidl_kind_is_integer(kind) && !qidl_kind_is_signed(kind);
}

static gboolean is_floating(QidlKind kind)
{
    return kind == QIDL_KIND_FLOAT || kind == QIDL_KIND_DOUBLE;
}

static gboolean is_container(QidlKind kind)
{
    return kind == QIDL_KIND_STRUCT || kind == QIDL_KIND_LIST;
}

QidlNode *qidl_node_new_int(QidlTree *tree, const char *name, QidlKind kind,
                            gint64 value)
{
    QidlNode *node;

    g_return_val_if_fail(tree != NULL, NULL);
    g_return_val_if_fail(is_signed_int(kind), NULL);
    g_return_val_if_fail(int_fits(kind, value), NULL);

    node = node_new(tree, name, kind);
    node->v.i = value;
    return node;
}

QidlNode *qidl_node_new_uint(QidlTree *tree, const char *name, QidlKind kind,
                             guint64 value)
{
    QidlNode *node;

    g_return_val_if_fail(tree != NULL, NULL);
    g_return_val_if_fail(is_unsigned_int(kind), NULL);
    g_return_val_if_fail(uint_fits(kind, value), NULL);

    node = node_new(tree, name, kind);
    node->v.u = value;
    return node;
}

static void set_floating(QidlNode *node, double value)
{
    if (node->kind == QIDL_KIND_FLOAT) {
        node->v.f = (float)value;
    } else {
        node->v.d = value;
    }
}

QidlNode *qidl_node_new_float(QidlTree *tree, const char *name, QidlKind kind,
                              double value)
{
    QidlNode *node;

    g_return_val_if_fail(tree != NULL, NULL);
    g_return_val_if_fail(is_floating(kind), NULL);

    node = node_new(tree, name, kind);
    set_floating(node, value);
    return node;
}

static void store_string(QidlNode *node, const char *value, gsize len)
{
    node->v.str.data = arena_strndup(node->tree, value, len);
    node->v.str.len = len;
}

static void store_bytes(QidlNode *node, const guint8 *data, gsize len)
{
    node->v.bytes.data = arena_memdup(node->tree, data, len);
    node->v.bytes.len = len;
}

QidlNode *qidl_node_new_string(QidlTree *tree, const char *name,
                               const char *value)
{
    QidlNode *node;

    g_return_val_if_fail(tree != NULL, NULL);
    g_return_val_if_fail(value != NULL, NULL);

    node = node_new(tree, name, QIDL_KIND_STRING);
    store_string(node, value, strlen(value));
    return node;
}

QidlNode *qidl_node_new_bytes(QidlTree *tree, const char *name,
                              const guint8 *data, gsize len)
{
    QidlNode *node;

    g_return_val_if_fail(tree != NULL, NULL);
    g_return_val_if_fail(data != NULL || len == 0, NULL);

    node = node_new(tree, name, QIDL_KIND_BYTES);
    store_bytes(node, data, len);
    return node;
}

/*
 * The C objects are accessed through pointers of their own type: a bool
 * or a guint8 field may sit at any address, so going through the union
 * QidlScalarBuf (aligned for 8 bytes) would be undefined behaviour.
 */
QidlNode *qidl_tree__new_scalar(QidlTree *tree, const char *name,
                                QidlKind kind, const void *obj)
{
    QidlNode *node;

    g_return_val_if_fail(qidl_kind_is_scalar(kind), NULL);

    node = node_new(tree, name, kind);
    switch (kind) {
    case QIDL_KIND_BOOL:
        /* Read the byte: a corrupt bool object saves as true. */
        node->v.b = *(const guint8 *)obj != 0;
        break;
    case QIDL_KIND_INT8:
        node->v.i = *(const gint8 *)obj;
        break;
    case QIDL_KIND_UINT8:
        node->v.u = *(const guint8 *)obj;
        break;
    case QIDL_KIND_INT16:
        node->v.i = *(const gint16 *)obj;
        break;
    case QIDL_KIND_UINT16:
        node->v.u = *(const guint16 *)obj;
        break;
    case QIDL_KIND_INT32:
        node->v.i = *(const gint32 *)obj;
        break;
    case QIDL_KIND_UINT32:
        node->v.u = *(const guint32 *)obj;
        break;
    case QIDL_KIND_INT64:
        node->v.i = *(const gint64 *)obj;
        break;
    case QIDL_KIND_UINT64:
        node->v.u = *(const guint64 *)obj;
        break;
    case QIDL_KIND_FLOAT:
        node->v.f = *(const float *)obj;
        break;
    case QIDL_KIND_DOUBLE:
        node->v.d = *(const double *)obj;
        break;
    default:
        g_assert_not_reached();
    }
    return node;
}

void qidl_node__get_scalar(const QidlNode *node, void *obj)
{
    /* Values were range-checked when stored: the casts cannot truncate. */
    switch (node->kind) {
    case QIDL_KIND_BOOL:
        *(bool *)obj = node->v.b;
        break;
    case QIDL_KIND_INT8:
        *(gint8 *)obj = (gint8)node->v.i;
        break;
    case QIDL_KIND_UINT8:
        *(guint8 *)obj = (guint8)node->v.u;
        break;
    case QIDL_KIND_INT16:
        *(gint16 *)obj = (gint16)node->v.i;
        break;
    case QIDL_KIND_UINT16:
        *(guint16 *)obj = (guint16)node->v.u;
        break;
    case QIDL_KIND_INT32:
        *(gint32 *)obj = (gint32)node->v.i;
        break;
    case QIDL_KIND_UINT32:
        *(guint32 *)obj = (guint32)node->v.u;
        break;
    case QIDL_KIND_INT64:
        *(gint64 *)obj = node->v.i;
        break;
    case QIDL_KIND_UINT64:
        *(guint64 *)obj = node->v.u;
        break;
    case QIDL_KIND_FLOAT:
        *(float *)obj = node->v.f;
        break;
    case QIDL_KIND_DOUBLE:
        *(double *)obj = node->v.d;
        break;
    default:
        g_return_if_reached();
    }
}

/* Copies what set_device() attached, into @tree. */
static QidlNodeDevice *device_copy(QidlTree *tree, const QidlNodeDevice *src)
{
    QidlNodeDevice *dev;

    if (!src) {
        return NULL;
    }
    dev = arena_alloc(tree, sizeof(*dev));
    dev->type_name = arena_strdup(tree, src->type_name);
    dev->instance_path = arena_strdup(tree, src->instance_path);
    dev->version = src->version;
    return dev;
}

/* A detached copy of @src alone, without its children. */
static QidlNode *copy_one(QidlTree *tree, const QidlNode *src)
{
    QidlNode *node = node_new(tree, src->name, src->kind);

    switch (src->kind) {
    case QIDL_KIND_STRING:
        store_string(node, src->v.str.data, src->v.str.len);
        break;
    case QIDL_KIND_BYTES:
        store_bytes(node, src->v.bytes.data, src->v.bytes.len);
        break;
    case QIDL_KIND_STRUCT:
        node->v.s.device = device_copy(tree, src->v.s.device);
        break;
    case QIDL_KIND_LIST:
        break;
    default:
        node->v = src->v;
        break;
    }
    return node;
}

QidlNode *qidl_node_copy(QidlTree *tree, const QidlNode *node)
{
    const QidlNode *src;
    QidlNode *top, *dst_parent;

    g_return_val_if_fail(tree != NULL, NULL);
    g_return_val_if_fail(node != NULL, NULL);

    top = copy_one(tree, node);
    src = node->first;
    dst_parent = top;
    /* Pre-order over @node's descendants; dst_parent is the copy of
     * src's parent. */
    while (src) {
        QidlNode *copy = copy_one(tree, src);

        qidl_node__link_last(dst_parent, copy);
        if (src->first) {
            dst_parent = copy;
            src = src->first;
            continue;
        }
        while (!src->next) {
            src = src->parent;
            if (src == node) {
                return top;
            }
            dst_parent = dst_parent->parent;
        }
        src = src->next;
    }
    return top;
}

/* Reading a node. */

QidlKind qidl_node_get_kind(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, 0);
    return node->kind;
}

const char *qidl_node_get_name(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return node->name;
}

QidlNode *qidl_node_get_parent(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return node->parent;
}

QidlNode *qidl_node_get_first_child(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return node->first;
}

QidlNode *qidl_node_get_last_child(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return node->last;
}

QidlNode *qidl_node_get_next(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return node->next;
}

QidlNode *qidl_node_get_prev(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return node->prev;
}

guint32 qidl_node_get_n_children(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, 0);
    return node->n_children;
}

QidlNode *qidl_node_get_child(const QidlNode *node, const char *name)
{
    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(name != NULL, NULL);

    if (node->kind != QIDL_KIND_STRUCT) {
        return NULL;
    }
    return child_by_interned(node, lookup_interned(node->tree, name));
}

QidlNode *qidl_node_get_nth_child(const QidlNode *node, guint32 index)
{
    QidlNode *c;

    g_return_val_if_fail(node != NULL, NULL);

    if (index >= node->n_children) {
        return NULL;
    }
    /* From whichever end is nearer. */
    if (index < node->n_children / 2) {
        for (c = node->first; index > 0; index--) {
            c = c->next;
        }
    } else {
        for (c = node->last; index < node->n_children - 1; index++) {
            c = c->prev;
        }
    }
    return c;
}

/* Values. */

gboolean qidl_node_get_bool(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, FALSE);
    g_return_val_if_fail(node->kind == QIDL_KIND_BOOL, FALSE);
    return node->v.b;
}

gint64 qidl_node_get_int(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, 0);
    g_return_val_if_fail(is_signed_int(node->kind), 0);
    return node->v.i;
}

guint64 qidl_node_get_uint(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, 0);
    g_return_val_if_fail(is_unsigned_int(node->kind), 0);
    return node->v.u;
}

double qidl_node_get_double(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, 0.0);
    g_return_val_if_fail(is_floating(node->kind), 0.0);
    return node->kind == QIDL_KIND_FLOAT ? node->v.f : node->v.d;
}

const char *qidl_node_get_string(const QidlNode *node, gsize *len)
{
    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(node->kind == QIDL_KIND_STRING, NULL);

    if (len) {
        *len = node->v.str.len;
    }
    return node->v.str.data;
}

const guint8 *qidl_node_get_bytes(const QidlNode *node, gsize *len)
{
    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(node->kind == QIDL_KIND_BYTES, NULL);

    if (len) {
        *len = node->v.bytes.len;
    }
    return node->v.bytes.data;
}

void qidl_node_set_bool(QidlNode *node, gboolean value)
{
    g_return_if_fail(node != NULL);
    g_return_if_fail(node->kind == QIDL_KIND_BOOL);
    node->v.b = value != FALSE;
}

/* Sets @error with "<path of node>: <message>" ("<message>" if the path
 * is empty).  Returns FALSE. */
static gboolean node_error(const QidlNode *node, GError **error, int code,
                           const char *format, ...) G_GNUC_PRINTF(4, 5);

static gboolean node_error(const QidlNode *node, GError **error, int code,
                           const char *format, ...)
{
    g_autofree char *path = qidl_node_get_path(node);
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    if (*path) {
        g_set_error(error, QIDL_ERROR, code, "%s: %s", path, msg);
    } else {
        g_set_error_literal(error, QIDL_ERROR, code, msg);
    }
    return FALSE;
}

gboolean qidl_node_set_int(QidlNode *node, gint64 value, GError **error)
{
    g_return_val_if_fail(node != NULL, FALSE);
    g_return_val_if_fail(is_signed_int(node->kind), FALSE);

    if (!int_fits(node->kind, value)) {
        return node_error(node, error, QIDL_ERROR_CONSTRAINT,
                          "%" G_GINT64_FORMAT " does not fit in %s", value,
                          qidl_kind_name(node->kind));
    }
    node->v.i = value;
    return TRUE;
}

gboolean qidl_node_set_uint(QidlNode *node, guint64 value, GError **error)
{
    g_return_val_if_fail(node != NULL, FALSE);
    g_return_val_if_fail(is_unsigned_int(node->kind), FALSE);

    if (!uint_fits(node->kind, value)) {
        return node_error(node, error, QIDL_ERROR_CONSTRAINT,
                          "%" G_GUINT64_FORMAT " does not fit in %s", value,
                          qidl_kind_name(node->kind));
    }
    node->v.u = value;
    return TRUE;
}

void qidl_node_set_double(QidlNode *node, double value)
{
    g_return_if_fail(node != NULL);
    g_return_if_fail(is_floating(node->kind));
    set_floating(node, value);
}

/*
 * The string and bytes setters copy into the arena; the old value stays
 * there until the tree dies (an arena frees nothing early).  Filters set a
 * value once per node, so this costs little.
 */
void qidl_node_set_string(QidlNode *node, const char *value)
{
    g_return_if_fail(node != NULL);
    g_return_if_fail(node->kind == QIDL_KIND_STRING);
    g_return_if_fail(value != NULL);
    store_string(node, value, strlen(value));
}

void qidl_node_set_bytes(QidlNode *node, const guint8 *data, gsize len)
{
    g_return_if_fail(node != NULL);
    g_return_if_fail(node->kind == QIDL_KIND_BYTES);
    g_return_if_fail(data != NULL || len == 0);
    store_bytes(node, data, len);
}

/* Device roots. */

void qidl_node_set_device(QidlNode *node, const char *type_name,
                          const char *instance_path, guint32 version)
{
    QidlNodeDevice *dev;

    g_return_if_fail(node != NULL);
    g_return_if_fail(node->kind == QIDL_KIND_STRUCT);
    g_return_if_fail(type_name != NULL);
    g_return_if_fail(instance_path != NULL);

    dev = arena_alloc(node->tree, sizeof(*dev));
    dev->type_name = arena_strdup(node->tree, type_name);
    dev->instance_path = arena_strdup(node->tree, instance_path);
    dev->version = version;
    node->v.s.device = dev;
}

static const QidlNodeDevice *get_device(const QidlNode *node)
{
    return node->kind == QIDL_KIND_STRUCT ? node->v.s.device : NULL;
}

gboolean qidl_node_is_device(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, FALSE);
    return get_device(node) != NULL;
}

const char *qidl_node_get_type_name(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return get_device(node) ? get_device(node)->type_name : NULL;
}

const char *qidl_node_get_instance_path(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return get_device(node) ? get_device(node)->instance_path : NULL;
}

guint32 qidl_node_get_version(const QidlNode *node)
{
    g_return_val_if_fail(node != NULL, 0);
    return get_device(node) ? get_device(node)->version : 0;
}

void qidl_node_set_type_name(QidlNode *node, const char *type_name)
{
    g_return_if_fail(node != NULL);
    g_return_if_fail(qidl_node_is_device(node));
    g_return_if_fail(type_name != NULL);
    node->v.s.device->type_name = arena_strdup(node->tree, type_name);
}

void qidl_node_set_instance_path(QidlNode *node, const char *instance_path)
{
    g_return_if_fail(node != NULL);
    g_return_if_fail(qidl_node_is_device(node));
    g_return_if_fail(instance_path != NULL);
    node->v.s.device->instance_path = arena_strdup(node->tree,
                                                   instance_path);
}

void qidl_node_set_version(QidlNode *node, guint32 version)
{
    g_return_if_fail(node != NULL);
    g_return_if_fail(qidl_node_is_device(node));
    node->v.s.device->version = version;
}

/* Paths. */

/* Parses a decimal list index at *p up to ']'; advances past the ']'. */
static gboolean parse_index(const char **p, guint32 *out)
{
    const char *s = *p;
    guint64 value = 0;

    if (*s < '0' || *s > '9') {
        return FALSE;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        value = value * 10 + (guint64)(*s - '0');
        if (value > G_MAXUINT32) {
            return FALSE;
        }
    }
    if (*s != ']') {
        return FALSE;
    }
    *p = s + 1;
    *out = (guint32)value;
    return TRUE;
}

QidlNode *qidl_node_find(const QidlNode *node, const char *path)
{
    const QidlNode *cur;
    const char *p = path;

    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(path != NULL, NULL);

    /*
     * Grammar: path := "" | first rest*; first := name | index;
     * rest := "." name | index; index := "[" digits "]"; a name is one or
     * more characters other than ".[]".  Every step is checked for syntax
     * even once no node matches, so a malformed path is NULL whatever the
     * tree holds.
     */
    cur = node;
    while (*p) {
        if (*p == '[') {
            guint32 index;

            p++;
            if (!parse_index(&p, &index)) {
                return NULL;
            }
            cur = cur && cur->kind == QIDL_KIND_LIST ?
                  qidl_node_get_nth_child(cur, index) : NULL;
        } else {
            gsize len;
            g_autofree char *name = NULL;

            if (*p == '.') {
                if (p == path) {
                    return NULL;
                }
                p++;
            } else if (p != path) {
                return NULL;    /* "[0]x": a name must follow a dot */
            }
            len = strcspn(p, ".[]");
            if (len == 0) {
                return NULL;
            }
            name = g_strndup(p, len);
            p += len;
            cur = cur ? qidl_node_get_child(cur, name) : NULL;
        }
    }
    return (QidlNode *)cur;
}

static guint32 position_of(const QidlNode *node)
{
    guint32 index = 0;

    for (const QidlNode *c = node->prev; c; c = c->prev) {
        index++;
    }
    return index;
}

/*
 * Appends the path of @node relative to @stop, an ancestor of it (NULL:
 * relative to the outermost ancestor's parent): the topmost node below
 * @stop contributes its name only, each node below that its name or, in a
 * list, its index.
 */
static void append_path(GString *out, const QidlNode *node,
                        const QidlNode *stop)
{
    g_autoptr(GPtrArray) chain = g_ptr_array_new();

    for (const QidlNode *n = node; n != stop; n = n->parent) {
        g_ptr_array_add(chain, (gpointer)n);
        if (!n->parent) {
            break;
        }
    }
    for (guint i = chain->len; i-- > 0;) {
        const QidlNode *n = chain->pdata[i];
        gboolean top = i == chain->len - 1;

        if (!top && n->parent->kind == QIDL_KIND_LIST) {
            g_string_append_printf(out, "[%" G_GUINT32_FORMAT "]",
                                   position_of(n));
        } else if (n->name) {
            if (out->len > 0) {
                g_string_append_c(out, '.');
            }
            g_string_append(out, n->name);
        }
    }
}

char *qidl_node_get_path(const QidlNode *node)
{
    GString *out;

    g_return_val_if_fail(node != NULL, NULL);

    out = g_string_new(NULL);
    append_path(out, node, NULL);
    return g_string_free(out, FALSE);
}

/* Editing. */

/*
 * Checks the rules of tree.h for making @child a child of @parent.  With
 * @moving, @child may be attached (it is about to be detached) and its
 * own name does not count as a sibling's.
 */
static gboolean check_attach(const QidlNode *parent, const QidlNode *child,
                             gboolean moving, GError **error)
{
    QidlTree *tree = parent->tree;

    if (child->tree != tree) {
        return node_error(child, error, QIDL_ERROR_INVALID,
                          "cannot link nodes of two trees");
    }
    if (child == tree->root) {
        return node_error(child, error, QIDL_ERROR_INVALID,
                          "the tree's root cannot be a child");
    }
    if (!is_container(parent->kind)) {
        return node_error(parent, error, QIDL_ERROR_INVALID,
                          "a %s node cannot have children",
                          qidl_kind_name(parent->kind));
    }
    if (!moving && child->parent) {
        return node_error(child, error, QIDL_ERROR_INVALID,
                          "node is already attached");
    }
    for (const QidlNode *p = parent; p; p = p->parent) {
        if (p == child) {
            return node_error(child, error, QIDL_ERROR_INVALID,
                              "node cannot be inserted below itself");
        }
    }
    if (parent->kind == QIDL_KIND_STRUCT) {
        const QidlNode *other;

        if (!child->name) {
            return node_error(parent, error, QIDL_ERROR_INVALID,
                              "a struct field needs a name");
        }
        other = child_by_interned(parent, child->name);
        if (other && other != child) {
            return node_error(parent, error, QIDL_ERROR_INVALID,
                              "duplicate field '%s'", child->name);
        }
    } else if (child->name) {
        return node_error(parent, error, QIDL_ERROR_INVALID,
                          "a list element cannot have a name ('%s')",
                          child->name);
    }
    return TRUE;
}

gboolean qidl_node_append(QidlNode *parent, QidlNode *child, GError **error)
{
    g_return_val_if_fail(parent != NULL, FALSE);
    g_return_val_if_fail(child != NULL, FALSE);

    if (!check_attach(parent, child, FALSE, error)) {
        return FALSE;
    }
    qidl_node__link_last(parent, child);
    return TRUE;
}

static gboolean insert_next_to(QidlNode *sibling, QidlNode *child,
                               gboolean after, GError **error)
{
    QidlNode *parent = sibling->parent;

    if (!parent) {
        return node_error(sibling, error, QIDL_ERROR_INVALID,
                          "cannot insert next to a detached node");
    }
    if (!check_attach(parent, child, FALSE, error)) {
        return FALSE;
    }
    if (after) {
        link_between(parent, child, sibling, sibling->next);
    } else {
        link_between(parent, child, sibling->prev, sibling);
    }
    return TRUE;
}

gboolean qidl_node_insert_before(QidlNode *sibling, QidlNode *child,
                                 GError **error)
{
    g_return_val_if_fail(sibling != NULL, FALSE);
    g_return_val_if_fail(child != NULL, FALSE);
    return insert_next_to(sibling, child, FALSE, error);
}

gboolean qidl_node_insert_after(QidlNode *sibling, QidlNode *child,
                                GError **error)
{
    g_return_val_if_fail(sibling != NULL, FALSE);
    g_return_val_if_fail(child != NULL, FALSE);
    return insert_next_to(sibling, child, TRUE, error);
}

void qidl_node_remove(QidlNode *node)
{
    g_return_if_fail(node != NULL);
    unlink_node(node);
}

gboolean qidl_node_rename(QidlNode *node, const char *name, GError **error)
{
    QidlNode *parent;
    const char *interned;

    g_return_val_if_fail(node != NULL, FALSE);

    parent = node->parent;
    if (node == node->tree->root && name) {
        return node_error(node, error, QIDL_ERROR_INVALID,
                          "the tree's root cannot have a name");
    }
    if (parent && parent->kind == QIDL_KIND_LIST && name) {
        return node_error(node, error, QIDL_ERROR_INVALID,
                          "a list element cannot have a name ('%s')", name);
    }
    if (parent && parent->kind == QIDL_KIND_STRUCT) {
        QidlNode *other;

        if (!name) {
            return node_error(node, error, QIDL_ERROR_INVALID,
                              "a struct field needs a name");
        }
        other = qidl_node_get_child(parent, name);
        if (other && other != node) {
            return node_error(parent, error, QIDL_ERROR_INVALID,
                              "duplicate field '%s'", name);
        }
    }

    interned = intern(node->tree, name);
    if (parent && parent->kind == QIDL_KIND_STRUCT) {
        index_remove(parent, node);
        node->name = interned;
        if (parent->v.s.index) {
            g_hash_table_insert(parent->v.s.index, (gpointer)interned, node);
        }
    } else {
        node->name = interned;
    }
    return TRUE;
}

gboolean qidl_node_move(QidlNode *node, QidlNode *new_parent,
                        GError **error)
{
    g_return_val_if_fail(node != NULL, FALSE);
    g_return_val_if_fail(new_parent != NULL, FALSE);

    if (!check_attach(new_parent, node, TRUE, error)) {
        return FALSE;
    }
    unlink_node(node);
    qidl_node__link_last(new_parent, node);
    return TRUE;
}

/* Comparing. */

static gboolean same_device(const QidlNode *a, const QidlNode *b)
{
    const QidlNodeDevice *da = get_device(a);
    const QidlNodeDevice *db = get_device(b);

    if (!da || !db) {
        return da == db;
    }
    return strcmp(da->type_name, db->type_name) == 0 &&
           strcmp(da->instance_path, db->instance_path) == 0 &&
           da->version == db->version;
}

/* Whether two nodes of the same kind hold the same value (and device
 * information); children are not looked at. */
static gboolean same_value(const QidlNode *a, const QidlNode *b)
{
    switch (a->kind) {
    case QIDL_KIND_BOOL:
        return a->v.b == b->v.b;
    case QIDL_KIND_INT8:
    case QIDL_KIND_INT16:
    case QIDL_KIND_INT32:
    case QIDL_KIND_INT64:
        return a->v.i == b->v.i;
    case QIDL_KIND_UINT8:
    case QIDL_KIND_UINT16:
    case QIDL_KIND_UINT32:
    case QIDL_KIND_UINT64:
        return a->v.u == b->v.u;
    case QIDL_KIND_FLOAT:
        return memcmp(&a->v.f, &b->v.f, sizeof(a->v.f)) == 0;
    case QIDL_KIND_DOUBLE:
        return memcmp(&a->v.d, &b->v.d, sizeof(a->v.d)) == 0;
    case QIDL_KIND_STRING:
        return a->v.str.len == b->v.str.len &&
               memcmp(a->v.str.data, b->v.str.data, a->v.str.len) == 0;
    case QIDL_KIND_BYTES:
        return a->v.bytes.len == b->v.bytes.len &&
               memcmp(a->v.bytes.data, b->v.bytes.data,
                      a->v.bytes.len) == 0;
    case QIDL_KIND_STRUCT:
        return same_device(a, b);
    case QIDL_KIND_LIST:
        return TRUE;
    default:
        g_return_val_if_reached(FALSE);
    }
}

gboolean qidl_node_equal(const QidlNode *a, const QidlNode *b)
{
    const QidlNode *x = a, *y = b;

    g_return_val_if_fail(a != NULL, FALSE);
    g_return_val_if_fail(b != NULL, FALSE);

    /* Both subtrees in lockstep; equal child counts keep them aligned. */
    for (;;) {
        if (x->kind != y->kind || g_strcmp0(x->name, y->name) != 0 ||
            x->n_children != y->n_children || !same_value(x, y)) {
            return FALSE;
        }
        if (x->first) {
            x = x->first;
            y = y->first;
            continue;
        }
        while (x != a && !x->next) {
            x = x->parent;
            y = y->parent;
        }
        if (x == a) {
            return TRUE;
        }
        x = x->next;
        y = y->next;
    }
}

/* One pair of containers of the same kind being compared. */
typedef struct {
    const QidlNode *a;
    const QidlNode *b;
    const QidlNode *next_a;  /* next child of a to match */
    const QidlNode *next_b;  /* lists: next child of b; structs: next
                                child of b to look for in a */
    guint32 index;           /* lists: position of next_a / next_b */
    gboolean leftovers;      /* structs: a's fields are done */
    gsize path_len;          /* length of the containers' path */
} CompareFrame;

typedef struct {
    GArray *stack;           /* of CompareFrame */
    GString *path;
    QidlNodeDiffFunc func;
    gpointer user_data;
    guint count;
} Compare;

static void compare_report(Compare *c, const QidlNode *a, const QidlNode *b)
{
    c->count++;
    if (c->func) {
        c->func(c->path->str, a, b, c->user_data);
    }
}

/* Compares one pair at c->path; containers of one kind are pushed to be
 * compared child by child. */
static void compare_pair(Compare *c, const QidlNode *a, const QidlNode *b,
                         gboolean top)
{
    gboolean differ = a->kind != b->kind || !same_value(a, b);

    /* Below the top, children were matched by name. */
    if (differ || (top && g_strcmp0(a->name, b->name) != 0)) {
        compare_report(c, a, b);
    }
    if (a->kind == b->kind && is_container(a->kind)) {
        CompareFrame f = {
            .a = a,
            .b = b,
            .next_a = a->first,
            .next_b = a->kind == QIDL_KIND_LIST ? b->first : NULL,
            .path_len = c->path->len,
        };

        g_array_append_val(c->stack, f);
    }
}

static void path_append_name(GString *path, const char *name)
{
    if (path->len > 0) {
        g_string_append_c(path, '.');
    }
    g_string_append(path, name);
}

/*
 * One step of the frame on top of the stack: match one child, or pop the
 * frame when its children are done.  The frame is updated before
 * compare_pair() may push another one (which can move the array).
 */
static void compare_step(Compare *c)
{
    CompareFrame *f = &g_array_index(c->stack, CompareFrame,
                                     c->stack->len - 1);
    const QidlNode *ca = f->next_a, *cb;

    g_string_truncate(c->path, f->path_len);
    if (f->a->kind == QIDL_KIND_LIST) {
        cb = f->next_b;
        if (!ca && !cb) {
            g_array_set_size(c->stack, c->stack->len - 1);
            return;
        }
        g_string_append_printf(c->path, "[%" G_GUINT32_FORMAT "]", f->index);
        f->index++;
        f->next_a = ca ? ca->next : NULL;
        f->next_b = cb ? cb->next : NULL;
        if (ca && cb) {
            compare_pair(c, ca, cb, FALSE);
        } else {
            compare_report(c, ca, cb);
        }
        return;
    }

    if (!f->leftovers) {
        if (ca) {
            /* a's fields in a's order, each with its namesake in b. */
            f->next_a = ca->next;
            cb = qidl_node_get_child(f->b, ca->name);
            path_append_name(c->path, ca->name);
            if (cb) {
                compare_pair(c, ca, cb, FALSE);
            } else {
                compare_report(c, ca, NULL);
            }
            return;
        }
        f->leftovers = TRUE;
        f->next_b = f->b->first;
    }
    /* Then b's fields that a does not have, in b's order. */
    cb = f->next_b;
    if (!cb) {
        g_array_set_size(c->stack, c->stack->len - 1);
        return;
    }
    f->next_b = cb->next;
    if (!qidl_node_get_child(f->a, cb->name)) {
        path_append_name(c->path, cb->name);
        compare_report(c, NULL, cb);
    }
}

guint qidl_node_compare(const QidlNode *a, const QidlNode *b,
                        QidlNodeDiffFunc func, gpointer user_data)
{
    g_autoptr(GString) path = g_string_new(NULL);
    g_autoptr(GArray) stack = g_array_new(FALSE, FALSE,
                                          sizeof(CompareFrame));
    Compare c = {
        .stack = stack,
        .path = path,
        .func = func,
        .user_data = user_data,
    };

    g_return_val_if_fail(a != NULL, 0);
    g_return_val_if_fail(b != NULL, 0);

    if (a->name) {
        g_string_append(path, a->name);
    }
    compare_pair(&c, a, b, TRUE);
    while (stack->len > 0) {
        compare_step(&c);
    }
    return c.count;
}

/* Formatting, replaying, printing. */

char *qidl_node_format_value(const QidlNode *node)
{
    GString *out;

    g_return_val_if_fail(node != NULL, NULL);

    out = g_string_new(NULL);
    switch (node->kind) {
    case QIDL_KIND_STRING:
        qidl_pretty__format_string(out, node->v.str.data);
        break;
    case QIDL_KIND_BYTES:
        qidl_pretty__format_bytes(out, node->v.bytes.data,
                                  node->v.bytes.len);
        break;
    case QIDL_KIND_STRUCT:
        g_string_append_printf(out, "(struct, %" G_GUINT32_FORMAT " %s)",
                               node->n_children,
                               node->n_children == 1 ? "field" : "fields");
        break;
    case QIDL_KIND_LIST:
        g_string_append_printf(out, "(list, %" G_GUINT32_FORMAT " %s)",
                               node->n_children,
                               node->n_children == 1 ? "element" :
                               "elements");
        break;
    default: {
        QidlScalarBuf buf;

        qidl_node__get_scalar(node, &buf);
        qidl_pretty__format_scalar(out, node->kind, &buf);
        break;
    }
    }
    return g_string_free(out, FALSE);
}

/* Called by replay() before each node is visited. */
typedef void (*ReplayHook)(const QidlNode *node, gpointer user_data);

/* Visits @node alone: a scalar, string or bytes whole, a container's start. */
static gboolean replay_open(QidlVisitor *v, const QidlNode *node,
                            GError **error)
{
    switch (node->kind) {
    case QIDL_KIND_STRUCT:
        return qidl_visit_start_struct(v, node->name, error);
    case QIDL_KIND_LIST: {
        guint32 count = node->n_children;

        return qidl_visit_start_list(v, node->name, QIDL_LIST_COUNTED,
                                     &count, 0, error);
    }
    case QIDL_KIND_STRING: {
        /* Output visitors only read it. */
        char *value = node->v.str.data;

        return qidl_visit_string(v, node->name, &value, error);
    }
    case QIDL_KIND_BYTES:
        return qidl_visit_bytes(v, node->name, node->v.bytes.data,
                                node->v.bytes.len, error);
    default: {
        QidlScalarBuf buf;

        qidl_node__get_scalar(node, &buf);
        return qidl_visit_scalar(v, node->name, node->kind, &buf, error);
    }
    }
}

static gboolean replay_close(QidlVisitor *v, const QidlNode *node,
                             GError **error)
{
    if (node->kind == QIDL_KIND_STRUCT) {
        return qidl_visit_end_struct(v, error);
    }
    if (node->kind == QIDL_KIND_LIST) {
        return qidl_visit_end_list(v, error);
    }
    return TRUE;
}

static gboolean replay(const QidlNode *top, QidlVisitor *v, ReplayHook hook,
                       gpointer user_data, GError **error)
{
    const QidlNode *n = top;

    for (;;) {
        /* Enter n. */
        if (n != top && n->parent->kind == QIDL_KIND_LIST &&
            !qidl_visit_next_list(v, error)) {
            return FALSE;
        }
        if (hook) {
            hook(n, user_data);
        }
        if (!replay_open(v, n, error)) {
            return FALSE;
        }
        if (n->first) {
            n = n->first;
            continue;
        }
        /* Leave n, and each ancestor it was the last child of. */
        if (!replay_close(v, n, error)) {
            return FALSE;
        }
        while (n != top && !n->next) {
            n = n->parent;
            if (!replay_close(v, n, error)) {
                return FALSE;
            }
        }
        if (n == top) {
            return TRUE;
        }
        n = n->next;
    }
}

gboolean qidl_node_replay(const QidlNode *node, QidlVisitor *out,
                          GError **error)
{
    g_return_val_if_fail(node != NULL, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);

    return replay(node, out, NULL, NULL, error);
}

typedef struct {
    GString *out;
    const QidlNode *top;
} PrintData;

static void print_device_header(const QidlNode *node, gpointer user_data)
{
    PrintData *data = user_data;
    const QidlNodeDevice *dev = get_device(node);
    g_autoptr(GString) path = NULL;

    if (!dev) {
        return;
    }
    /* In the form of error messages ("machine.cpus[0]"), from the
     * printed node down, like the value lines. */
    path = g_string_new(NULL);
    append_path(path, node, data->top->parent);
    g_string_append_printf(data->out, "# device %s: type %s, path %s, "
                           "version %" G_GUINT32_FORMAT "\n", path->str,
                           dev->type_name, dev->instance_path, dev->version);
}

void qidl_node_print(const QidlNode *node, GString *out)
{
    g_autoptr(QidlVisitor) v = NULL;
    g_autoptr(GError) error = NULL;
    PrintData data = { .out = out, .top = node };

    g_return_if_fail(node != NULL);
    g_return_if_fail(out != NULL);

    /*
     * The pretty visitor appends each value's line as it is visited, so a
     * device header appended just before the device's start_struct lands
     * above the device's lines.  A replay can fail only on a visitor
     * limit (a tree deeper than QIDL_LIMIT_DEPTH): the text printed so far
     * stays, followed by the reason.
     */
    v = qidl_pretty_visitor_new(out);
    if (!replay(node, v, print_device_header, &data, &error) ||
        !qidl_visitor_complete(v, &error)) {
        g_string_append_printf(out, "# error: %s\n", error->message);
    }
}
