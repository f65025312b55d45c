/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device sets: save a machine's devices together, and load them back from a
 * tree atomically (all devices or none).
 */
#include <string.h>

#include <qidl/devices.h>

typedef struct {
    const QidlDeviceClass *cls;
    char *path;
    char *name;
    void *obj;
} Device;

struct QidlDeviceSet {
    GPtrArray *devices;     /* Device *, in the order added */
    GHashTable *by_path;    /* instance path -> Device * */
    GHashTable *by_name;    /* top-level name -> Device * */
};

static void device_free(gpointer data)
{
    Device *dev = data;

    g_free(dev->path);
    g_free(dev->name);
    g_free(dev);
}

QidlDeviceSet *qidl_device_set_new(void)
{
    QidlDeviceSet *set = g_new0(QidlDeviceSet, 1);

    set->devices = g_ptr_array_new_with_free_func(device_free);
    set->by_path = g_hash_table_new(g_str_hash, g_str_equal);
    set->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    return set;
}

void qidl_device_set_free(QidlDeviceSet *set)
{
    if (!set) {
        return;
    }
    g_hash_table_unref(set->by_path);
    g_hash_table_unref(set->by_name);
    g_ptr_array_unref(set->devices);
    g_free(set);
}

gboolean qidl_device_set_add(QidlDeviceSet *set, const QidlDeviceClass *cls,
                             const char *instance_path, const char *name,
                             void *obj, GError **error)
{
    Device *dev;

    g_return_val_if_fail(set != NULL, FALSE);
    g_return_val_if_fail(cls != NULL && cls->type_name && cls->visit, FALSE);
    g_return_val_if_fail(cls->size > 0, FALSE);
    g_return_val_if_fail(cls->min_version <= cls->version, FALSE);
    g_return_val_if_fail(instance_path && *instance_path, FALSE);
    g_return_val_if_fail(name && *name, FALSE);
    g_return_val_if_fail(obj != NULL, FALSE);

    if (g_hash_table_contains(set->by_path, instance_path)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "device %s: instance path already in the set",
                    instance_path);
        return FALSE;
    }
    if (g_hash_table_contains(set->by_name, name)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "device %s: name '%s' already in the set",
                    instance_path, name);
        return FALSE;
    }
    dev = g_new0(Device, 1);
    dev->cls = cls;
    dev->path = g_strdup(instance_path);
    dev->name = g_strdup(name);
    dev->obj = obj;
    g_ptr_array_add(set->devices, dev);
    g_hash_table_insert(set->by_path, dev->path, dev);
    g_hash_table_insert(set->by_name, dev->name, dev);
    return TRUE;
}

guint qidl_device_set_get_n_devices(const QidlDeviceSet *set)
{
    g_return_val_if_fail(set != NULL, 0);
    return set->devices->len;
}

const char *qidl_device_set_get_path(const QidlDeviceSet *set, guint index)
{
    g_return_val_if_fail(set != NULL, NULL);
    g_return_val_if_fail(index < set->devices->len, NULL);
    return ((Device *)g_ptr_array_index(set->devices, index))->path;
}

void *qidl_device_set_find(const QidlDeviceSet *set,
                           const char *instance_path)
{
    Device *dev;

    g_return_val_if_fail(set != NULL, NULL);
    g_return_val_if_fail(instance_path != NULL, NULL);

    dev = g_hash_table_lookup(set->by_path, instance_path);
    return dev ? dev->obj : NULL;
}

static void prefix_device(GError **error, const char *path, const char *type)
{
    g_prefix_error(error, "device %s (%s): ", path, type);
}

gboolean qidl_device_set_save_tree(QidlDeviceSet *set, QidlTree *tree,
                                   GError **error)
{
    g_autoptr(GPtrArray) added = g_ptr_array_new();

    g_return_val_if_fail(set != NULL, FALSE);
    g_return_val_if_fail(tree != NULL, FALSE);

    for (guint i = 0; i < set->devices->len; i++) {
        Device *dev = g_ptr_array_index(set->devices, i);
        g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
        QidlNode *node;

        if (!dev->cls->visit(v, dev->name, dev->obj, error) ||
            !qidl_visitor_complete(v, error)) {
            prefix_device(error, dev->path, dev->cls->type_name);
            /* Nothing of a failed save stays in the tree. */
            for (guint j = 0; j < added->len; j++) {
                qidl_node_remove(g_ptr_array_index(added, j));
            }
            return FALSE;
        }
        node = qidl_tree_output_visitor_get_result(v);
        qidl_node_set_device(node, dev->cls->type_name, dev->path,
                             dev->cls->version);
        g_ptr_array_add(added, node);
    }
    return TRUE;
}

gboolean qidl_device_set_save_stream(QidlDeviceSet *set, QidlStreamWriter *w,
                                     GError **error)
{
    g_return_val_if_fail(set != NULL, FALSE);
    g_return_val_if_fail(w != NULL, FALSE);

    for (guint i = 0; i < set->devices->len; i++) {
        Device *dev = g_ptr_array_index(set->devices, i);
        QidlVisitor *v = qidl_stream_writer_begin_device(
            w, dev->cls->type_name, dev->path, dev->cls->version);

        /* The writer keeps the first error (sticky); end_device reports
         * it. */
        dev->cls->visit(v, dev->name, dev->obj, NULL);
        if (!qidl_stream_writer_end_device(w, error)) {
            prefix_device(error, dev->path, dev->cls->type_name);
            return FALSE;
        }
    }
    return TRUE;
}

/* A device of the set paired with its node, and its scratch copy. */
typedef struct {
    Device *dev;
    const QidlNode *node;
    void *scratch;
} Pending;

/* Throws away scratch copies that were not committed. */
static void discard(GArray *pending)
{
    for (guint i = 0; i < pending->len; i++) {
        Pending *p = &g_array_index(pending, Pending, i);

        if (p->scratch) {
            if (p->dev->cls->release) {
                p->dev->cls->release(p->scratch, p->dev->obj);
            }
            g_clear_pointer(&p->scratch, g_free);
        }
    }
}

/* Pairs device roots with devices; checks types, versions, presence. */
static gboolean pair_devices(QidlDeviceSet *set, const QidlTree *tree,
                             QidlLoadFlags flags, GArray *pending,
                             QidlLoadReport *report, GError **error)
{
    QidlNode *root = qidl_tree_get_root((QidlTree *)tree);
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);

    for (QidlNode *node = qidl_node_get_first_child(root); node;
         node = qidl_node_get_next(node)) {
        const char *path = qidl_node_get_instance_path(node);
        const char *type = qidl_node_get_type_name(node);
        guint32 version = qidl_node_get_version(node);
        Device *dev = path ? g_hash_table_lookup(set->by_path, path) : NULL;

        if (!qidl_node_is_device(node)) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "'%s' under the tree's root is not a device",
                        qidl_node_get_name(node));
            return FALSE;
        }
        if (!dev) {
            if (flags & QIDL_LOAD_ALLOW_UNKNOWN_DEVICES) {
                report->unknown_devices++;
                continue;
            }
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNKNOWN_FIELD,
                        "device %s (%s): no such device here", path, type);
            return FALSE;
        }
        if (g_hash_table_contains(seen, dev)) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "device %s (%s): appears twice", path, type);
            return FALSE;
        }
        if (strcmp(type, dev->cls->type_name) != 0) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "device %s (%s): the device here is a %s", path,
                        type, dev->cls->type_name);
            return FALSE;
        }
        if (version < dev->cls->min_version || version > dev->cls->version) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_VERSION,
                        "device %s (%s): state version %" G_GUINT32_FORMAT
                        " is not in %" G_GUINT32_FORMAT "..%"
                        G_GUINT32_FORMAT, path, type, version,
                        dev->cls->min_version, dev->cls->version);
            return FALSE;
        }
        g_hash_table_add(seen, dev);
        g_array_append_val(pending, ((Pending) { dev, node, NULL }));
    }

    for (guint i = 0; i < set->devices->len; i++) {
        Device *dev = g_ptr_array_index(set->devices, i);

        if (g_hash_table_contains(seen, dev)) {
            continue;
        }
        if (!(flags & QIDL_LOAD_ALLOW_MISSING_DEVICES)) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_MISSING_FIELD,
                        "device %s (%s): not in the state", dev->path,
                        dev->cls->type_name);
            return FALSE;
        }
        report->missing_devices++;
    }
    return TRUE;
}

gboolean qidl_device_set_load_tree(QidlDeviceSet *set, const QidlTree *tree,
                                   QidlLoadFlags flags,
                                   QidlLoadReport *report, GError **error)
{
    g_autoptr(GArray) pending = g_array_new(FALSE, TRUE, sizeof(Pending));
    QidlLoadReport r = { 0 };
    QidlTreeInputFlags in_flags =
        (flags & QIDL_LOAD_ALLOW_UNKNOWN_FIELDS) ?
        QIDL_TREE_INPUT_ALLOW_UNKNOWN : QIDL_TREE_INPUT_NONE;

    g_return_val_if_fail(set != NULL, FALSE);
    g_return_val_if_fail(tree != NULL, FALSE);

    if (!pair_devices(set, tree, flags, pending, &r, error)) {
        return FALSE;
    }

    /* Phase 1: every device into a scratch copy; nothing live changes. */
    for (guint i = 0; i < pending->len; i++) {
        Pending *p = &g_array_index(pending, Pending, i);
        const QidlDeviceClass *cls = p->dev->cls;
        g_autoptr(QidlVisitor) v = qidl_tree_input_visitor_new(p->node,
                                                               in_flags);

        p->scratch = g_memdup2(p->dev->obj, cls->size);
        if (!cls->visit(v, p->dev->name, p->scratch, error) ||
            !qidl_visitor_complete(v, error)) {
            prefix_device(error, p->dev->path, cls->type_name);
            discard(pending);
            return FALSE;
        }
        r.unknown_fields += qidl_tree_input_visitor_get_unknown_count(v);
    }

    /* Phase 2: commit them all. */
    for (guint i = 0; i < pending->len; i++) {
        Pending *p = &g_array_index(pending, Pending, i);
        const QidlDeviceClass *cls = p->dev->cls;

        if (cls->release) {
            cls->release(p->dev->obj, p->scratch);
        }
        memcpy(p->dev->obj, p->scratch, cls->size);
        g_clear_pointer(&p->scratch, g_free);
        r.loaded++;
    }
    if (report) {
        *report = r;
    }
    return TRUE;
}
