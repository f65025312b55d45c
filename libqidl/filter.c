/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Filter sets: registration, matching, and the pass that applies them (the
 * order, recursion and atomicity rules are in filter.h).  The declarative
 * rules are compiled into ordinary filters by filter-rules.c.
 */
#include <qidl/filter.h>

/* Owned by its set; dies with it. */
typedef struct {
    char *name;
    GPatternSpec *type_glob;   /* NULL: any type */
    GPatternSpec *path_glob;   /* NULL: any path */
    QidlFilterFunc func;
    gpointer user_data;
    GDestroyNotify destroy;
} Filter;

struct QidlFilterSet {
    GPtrArray *filters;        /* of Filter, in registration order */
};

static void filter_free(gpointer data)
{
    Filter *f = data;

    if (f->destroy) {
        f->destroy(f->user_data);
    }
    if (f->type_glob) {
        g_pattern_spec_free(f->type_glob);
    }
    if (f->path_glob) {
        g_pattern_spec_free(f->path_glob);
    }
    g_free(f->name);
    g_free(f);
}

QidlFilterSet *qidl_filter_set_new(void)
{
    QidlFilterSet *set = g_new0(QidlFilterSet, 1);

    set->filters = g_ptr_array_new_with_free_func(filter_free);
    return set;
}

void qidl_filter_set_free(QidlFilterSet *set)
{
    if (!set) {
        return;
    }
    g_ptr_array_unref(set->filters);
    g_free(set);
}

void qidl_filter_set_add(QidlFilterSet *set, const char *name,
                         const char *type_glob, const char *path_glob,
                         QidlFilterFunc func, gpointer user_data,
                         GDestroyNotify destroy)
{
    Filter *f;

    g_return_if_fail(set != NULL);
    g_return_if_fail(name != NULL);
    g_return_if_fail(func != NULL);

    f = g_new0(Filter, 1);
    f->name = g_strdup(name);
    f->type_glob = type_glob ? g_pattern_spec_new(type_glob) : NULL;
    f->path_glob = path_glob ? g_pattern_spec_new(path_glob) : NULL;
    f->func = func;
    f->user_data = user_data;
    f->destroy = destroy;
    g_ptr_array_add(set->filters, f);
}

guint qidl_filter_set_get_n_filters(const QidlFilterSet *set)
{
    g_return_val_if_fail(set != NULL, 0);

    return set->filters->len;
}

const char *qidl_filter_set_get_name(const QidlFilterSet *set, guint index)
{
    g_return_val_if_fail(set != NULL, NULL);
    g_return_val_if_fail(index < set->filters->len, NULL);

    return ((const Filter *)g_ptr_array_index(set->filters, index))->name;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static gboolean filter_matches(const Filter *f, const QidlNode *device)
{
    if (f->type_glob &&
        !g_pattern_spec_match_string(
            f->type_glob, or_empty(qidl_node_get_type_name(device)))) {
        return FALSE;
    }
    if (f->path_glob &&
        !g_pattern_spec_match_string(
            f->path_glob, or_empty(qidl_node_get_instance_path(device)))) {
        return FALSE;
    }
    return TRUE;
}

/*
 * One filter's sweep over @work.  The device roots are listed before the
 * first call, which is what keeps the filter's own results (nodes created
 * during the sweep) out of its sight; a listed node that a call detached
 * from the root, or stripped of its device information, is skipped.
 */
static gboolean sweep(const Filter *f, QidlTree *work, QidlFilterStat *stat,
                      GError **error)
{
    QidlNode *root = qidl_tree_get_root(work);
    g_autoptr(GPtrArray) devices = g_ptr_array_new();

    for (QidlNode *n = qidl_node_get_first_child(root); n;
         n = qidl_node_get_next(n)) {
        if (qidl_node_is_device(n)) {
            g_ptr_array_add(devices, n);
        }
    }

    for (guint i = 0; i < devices->len; i++) {
        QidlNode *dev = g_ptr_array_index(devices, i);
        g_autofree char *path = NULL;
        GError *local = NULL;
        QidlFilterResult result;

        if (qidl_node_get_parent(dev) != root || !qidl_node_is_device(dev) ||
            !filter_matches(f, dev)) {
            continue;
        }
        /* The callback may rename or drop the device: keep its path. */
        path = g_strdup(or_empty(qidl_node_get_instance_path(dev)));
        result = f->func(work, dev, f->user_data, &local);
        if (result == QIDL_FILTER_FAILED) {
            if (!local) {
                g_critical("filter %s failed without setting an error",
                           f->name);
                g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                            "%s on %s: failed without an error", f->name,
                            path);
                return FALSE;
            }
            g_propagate_prefixed_error(error, local, "%s on %s: ", f->name,
                                       path);
            return FALSE;
        }
        if (local) {
            g_critical("filter %s set an error but did not fail: %s",
                       f->name, local->message);
            g_clear_error(&local);
        }
        if (result != QIDL_FILTER_SKIPPED) {
            stat->matched++;
        }
        if (result == QIDL_FILTER_CHANGED) {
            stat->changed++;
        }
    }
    return TRUE;
}

/*
 * Copies the root's children of @from into @to's root, in order.  The
 * roots' children have unique names already, so appending cannot fail.
 */
static void copy_children(QidlTree *to, QidlTree *from)
{
    QidlNode *to_root = qidl_tree_get_root(to);

    for (QidlNode *n = qidl_node_get_first_child(qidl_tree_get_root(from)); n;
         n = qidl_node_get_next(n)) {
        g_autoptr(GError) local = NULL;

        if (!qidl_node_append(to_root, qidl_node_copy(to, n), &local)) {
            g_error("copying a tree root's children: %s", local->message);
        }
    }
}

gboolean qidl_filter_set_apply(const QidlFilterSet *set, QidlTree *tree,
                               GArray **out, GError **error)
{
    g_autoptr(QidlTree) work = NULL;
    g_autoptr(GArray) stats = NULL;
    QidlNode *root;

    g_return_val_if_fail(set != NULL, FALSE);
    g_return_val_if_fail(tree != NULL, FALSE);

    stats = g_array_sized_new(FALSE, TRUE, sizeof(QidlFilterStat),
                              set->filters->len);
    if (set->filters->len == 0) {
        goto done;
    }

    work = qidl_tree_new();
    copy_children(work, tree);
    for (guint i = 0; i < set->filters->len; i++) {
        const Filter *f = g_ptr_array_index(set->filters, i);
        QidlFilterStat stat = { .name = f->name };

        if (!sweep(f, work, &stat, error)) {
            return FALSE;
        }
        g_array_append_val(stats, stat);
    }

    /* Commit, unless nothing changed: then even pointers stay valid. */
    root = qidl_tree_get_root(tree);
    if (!qidl_node_equal(root, qidl_tree_get_root(work))) {
        QidlNode *n;

        while ((n = qidl_node_get_first_child(root))) {
            qidl_node_remove(n);
        }
        copy_children(tree, work);
    }

done:
    if (out) {
        *out = g_steal_pointer(&stats);
    }
    return TRUE;
}
