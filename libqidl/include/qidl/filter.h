/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Migration filters
 *
 * A stream is read into a state tree (tree.h) without consulting any
 * device.  Before the tree is loaded into the destination's devices,
 * filters rewrite it so that the destination can accept state it would not
 * recognise: a "kvm-apic" device root renamed to "apic", a "virtio-blk-pci"
 * device root split into a "virtio-pci" and a "virtio-blk" one, a field
 * renamed, an enum renumbered.
 *
 * Concepts:
 *
 * - A filter is a callback plus a match: a glob over the device's type
 *   name, a glob over its instance path, or both ("apic", "kvm-*",
 *   "/machine/virtio*"; GLib's GPatternSpec: '*' matches any string, '/'
 *   included, '?' any one character).  A filter only ever sees device roots
 *   (children of the tree's root for which qidl_node_is_device() holds);
 *   other children of the root are kept as they are.
 * - A filter set (#QidlFilterSet) is an ordered list of filters.  Filters
 *   come from C (qidl_filter_set_add()) or from declarative rule files
 *   (qidl_filter_set_load_rules_file(): one filter per rule, in file
 *   order).  docs/filters.md gives the rule-file grammar.
 *
 * ORDER: qidl_filter_set_apply() runs the filters in registration order.
 * Each filter makes one sweep: it is called once for every device root
 * that is in the tree when its sweep starts and that matches it when its
 * turn comes, in tree order.  A pass is this one sequence of sweeps: there
 * is no iteration to a fixpoint, so a set of filters always terminates
 * after at most (filters x devices) calls.
 *
 * RECURSION: device roots a filter creates (the results of a split or a
 * merge, or a device it rebuilt under a new node) are seen by the filters
 * registered AFTER it, and never by the filter that created them nor by
 * those before it.  A device root a filter removes (the partners of a
 * merge) is not visited afterwards, not even if it was in the sweep's
 * list.  A device a filter changes in place stays in the sweep, and is
 * matched against its type and path as they are when its turn comes.  So
 * "a -> b" followed by "b -> c" turns an a into a c in one pass, the same
 * two filters in the other order only turn a into b, and a filter "x ->
 * x + y" cannot loop.
 *
 * ATOMICITY: filters work on a scratch copy of the tree, never on the
 * caller's tree.  If every filter succeeds and the result differs from the
 * caller's tree (qidl_node_equal() on the roots), the root's children are
 * replaced by copies of the result; otherwise the caller's tree is not
 * touched at all, not even re-copied.  If a filter fails, the pass stops
 * with that filter's error and the caller's tree is left exactly as it was.
 * Consequently a C filter may edit freely and need not undo anything when
 * it fails.
 *
 * Lifecycle:
 *
 *     g_autoptr(QidlFilterSet) filters = qidl_filter_set_new();
 *     if (!qidl_filter_set_load_rules_file(filters,
 *                                          "hw/filters/kvm-apic-to-apic.json",
 *                                          error)) { ... }
 *     qidl_filter_set_add(filters, "fix-rtc", "mc146818rtc", NULL,
 *                         fix_rtc, NULL, NULL);
 *     g_autoptr(GArray) stats = NULL;
 *     if (!qidl_filter_set_apply(filters, tree, &stats, error)) { ... }
 *     ... load the devices from @tree ...
 *
 * A set is immutable while it is applied: apply() takes it const and keeps
 * no state in it, so one set may be applied to several trees at once from
 * several threads, provided its C callbacks allow that.  Rule filters do.
 *
 * Worked example.  The tree holds, in order,
 *
 *     apic0  (type kvm-apic,       path /machine/apic0)
 *     vblk0  (type virtio-blk-pci, path /machine/vblk0)
 *
 * and the set holds, in order, F1 = kvm-apic-to-apic.json (rename the type
 * kvm-apic to apic), F2 = virtio-blk-pci-split.json (split virtio-blk-pci
 * into virtio-pci at {path} and virtio-blk at {path}/virtio-backend) and
 * F3, a C filter on type "virtio-*".
 *
 *   F1 sees apic0 (renames it to apic; changed 1); vblk0 does not match.
 *   F2 sees vblk0 and replaces it by vblk0 (virtio-pci, /machine/vblk0) and
 *      vblk0-backend (virtio-blk, /machine/vblk0/virtio-backend), in that
 *      place; it does not see its own results (changed 1).
 *   F3 sees vblk0 and vblk0-backend, the split results, in tree order.
 *
 * Had F3 been registered before F2, it would have seen the unsplit vblk0
 * (type virtio-blk-pci) and nothing else.
 */
#ifndef QIDL_FILTER_H
#define QIDL_FILTER_H

#include <qidl/tree.h>

G_BEGIN_DECLS

typedef struct QidlFilterSet QidlFilterSet;

/**
 * QidlFilterResult:
 * @QIDL_FILTER_FAILED: the filter failed and set its error; the pass stops
 *   and the caller's tree is left unchanged.  It is 0 (FALSE), so
 *   `if (!result)` tests for failure.
 * @QIDL_FILTER_UNCHANGED: the filter looked at the device and left the
 *   tree as it was
 * @QIDL_FILTER_CHANGED: the filter changed the tree; counted in the
 *   filter's statistics
 * @QIDL_FILTER_SKIPPED: on a closer look the device does not concern the
 *   filter (a rule for another version, a merge whose partner is absent);
 *   the tree is as it was, and the device is not counted as matched
 */
typedef enum {
    QIDL_FILTER_FAILED = 0,
    QIDL_FILTER_UNCHANGED,
    QIDL_FILTER_CHANGED,
    QIDL_FILTER_SKIPPED,
} QidlFilterResult;

/**
 * QidlFilterFunc:
 * @tree: the scratch tree being filtered (not the caller's tree): create
 *   new nodes in it
 * @device: a device root of @tree, a child of its root, that matches the
 *   filter
 * @user_data: as given to qidl_filter_set_add()
 * @error: return location for a GError
 *
 * A filter callback.  It may edit @device and its fields, change its
 * device information, remove it, and add, remove or replace any child of
 * the root of @tree (qidl_tree_get_root()).  It must not keep pointers to
 * nodes of @tree after it returns: the scratch tree dies with the pass.
 *
 * On failure it returns QIDL_FILTER_FAILED with @error set; it need not
 * undo its edits.  Messages should name the field concerned; the pass
 * prefixes them with the filter's name and the device's instance path.
 *
 * Returns: a #QidlFilterResult.  Results are trusted for the statistics
 * only: the caller's tree is updated whenever the result differs from it.
 */
typedef QidlFilterResult (*QidlFilterFunc)(QidlTree *tree, QidlNode *device,
                                           gpointer user_data,
                                           GError **error);

/**
 * QidlFilterStat:
 * @name: the filter's name (transfer none: owned by the set)
 * @matched: how many device roots the filter was called on and did not
 *   skip (QIDL_FILTER_SKIPPED)
 * @changed: how many of those calls returned QIDL_FILTER_CHANGED
 *
 * What one filter did during one qidl_filter_set_apply().
 */
typedef struct {
    const char *name;
    guint matched;
    guint changed;
} QidlFilterStat;

/**
 * qidl_filter_set_new:
 *
 * Returns: (transfer full): an empty filter set.
 */
QidlFilterSet *qidl_filter_set_new(void);

/**
 * qidl_filter_set_free:
 * @set: (nullable): a filter set
 *
 * Frees the set, calling each filter's destroy notify on its user data.
 */
void qidl_filter_set_free(QidlFilterSet *set);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QidlFilterSet, qidl_filter_set_free)

/**
 * qidl_filter_set_add:
 * @set: a filter set
 * @name: the filter's name, for statistics and error messages (copied)
 * @type_glob: (nullable): glob the device's type name must match; NULL
 *   matches every type
 * @path_glob: (nullable): glob the device's instance path must match;
 *   NULL matches every path
 * @func: the callback
 * @user_data: (nullable): passed to @func
 * @destroy: (nullable): called on @user_data when the set is freed
 *
 * Appends a filter: it runs after every filter added before it.  A device
 * matches when it matches both globs.
 */
void qidl_filter_set_add(QidlFilterSet *set, const char *name,
                         const char *type_glob, const char *path_glob,
                         QidlFilterFunc func, gpointer user_data,
                         GDestroyNotify destroy);

/**
 * qidl_filter_set_get_n_filters:
 *
 * Returns: the number of filters in @set.
 */
guint qidl_filter_set_get_n_filters(const QidlFilterSet *set);

/**
 * qidl_filter_set_get_name:
 * @set: a filter set
 * @index: a filter's position, below qidl_filter_set_get_n_filters()
 *
 * Returns: (transfer none): the name of the filter at @index.
 */
const char *qidl_filter_set_get_name(const QidlFilterSet *set, guint index);

/**
 * qidl_filter_set_load_rules_from_data:
 * @set: a filter set
 * @data: a rule file's text (docs/filters.md)
 * @len: its length, or -1 if NUL-terminated
 * @source: (nullable): what to call the text in filter names and error
 *   messages; NULL for "<data>"
 * @error: return location for a GError
 *
 * Parses and validates a rule file and appends one filter per rule, in
 * file order, named by the rule's "name" member or "SOURCE:rules[I]".
 *
 * Validation is strict: a member the grammar does not define, a value of
 * the wrong JSON type, a typed value that is not in json.h's form, an
 * ill-formed field path or template all fail with QIDL_ERROR_INVALID and a
 * message naming the rule's index and the member
 * ("rules.json: rules[2].rename_field: unknown key \"form\"").  Text that is
 * not JSON fails as qidl_json_parse() does, with @source in place of
 * "<data>" ("rules.json:3:14: duplicate member \"type\"").  On failure no
 * filter is added.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_filter_set_load_rules_from_data(QidlFilterSet *set,
                                              const char *data, gssize len,
                                              const char *source,
                                              GError **error);

/**
 * qidl_filter_set_load_rules_file:
 * @set: a filter set
 * @filename: a rule file
 * @error: return location for a GError
 *
 * As qidl_filter_set_load_rules_from_data(), with the file's base name as
 * the source.  A file that cannot be read fails with QIDL_ERROR_IO.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_filter_set_load_rules_file(QidlFilterSet *set,
                                         const char *filename,
                                         GError **error);

/**
 * qidl_filter_set_apply:
 * @set: a filter set
 * @tree: the tree to filter
 * @out: (out) (optional) (nullable) (transfer full): where to store a
 *   GArray of #QidlFilterStat, one per filter in registration order; NULL
 *   to ignore.  Untouched on failure.
 * @error: return location for a GError
 *
 * Runs every filter of @set over @tree, in the order and with the
 * recursion rule described at the top of this header.
 *
 * On failure @tree is unchanged and @error holds the failing filter's
 * error, prefixed with the filter's name and the device's instance path
 * ("kvm-apic-to-apic.json:rules[0] on /machine/apic0: ...").
 *
 * On success, if the filters changed anything, the root's children are
 * replaced by copies of the filtered devices: nodes below the root that
 * the caller looked up before are detached afterwards, so look devices up
 * again.  The tree's arena keeps the replaced nodes until the tree is
 * freed, so each changing pass costs one copy of the state.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_filter_set_apply(const QidlFilterSet *set, QidlTree *tree,
                               GArray **out, GError **error);

G_END_DECLS

#endif /* QIDL_FILTER_H */
