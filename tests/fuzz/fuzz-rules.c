/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The filter rule loader (filter.h): qidl_filter_set_load_rules_from_data()
 * on any text.
 *
 * Promises checked: a failed load adds no filter; a loaded rule set
 * applies to a small tree without crashing, and leaves it untouched if
 * it fails.
 */
#include <qidl/filter.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}

/* Two device roots of the kinds the seed rules name. */
static QidlTree *small_tree(void)
{
    QidlTree *tree = qidl_tree_new();
    QidlNode *root = qidl_tree_get_root(tree);
    QidlNode *apic = qidl_node_new_struct(tree, "apic0");
    QidlNode *blk = qidl_node_new_struct(tree, "vblk0");
    QidlNode *regs = qidl_node_new_list(tree, "regs");

    qidl_node_set_device(apic, "kvm-apic", "/machine/apic0", 3);
    qidl_node_set_device(blk, "virtio-blk-pci", "/machine/vblk0", 1);
    qidl_node_append(apic, qidl_node_new_uint(tree, "id", QIDL_KIND_UINT8, 0),
                     NULL);
    qidl_node_append(apic, qidl_node_new_uint(tree, "apicbase",
                                              QIDL_KIND_UINT32, 0xfee00900),
                     NULL);
    qidl_node_append(regs, qidl_node_new_uint(tree, NULL, QIDL_KIND_UINT16, 1),
                     NULL);
    qidl_node_append(regs, qidl_node_new_uint(tree, NULL, QIDL_KIND_UINT16, 2),
                     NULL);
    qidl_node_append(blk, regs, NULL);
    qidl_node_append(blk, qidl_node_new_bool(tree, "wce", TRUE), NULL);
    qidl_node_append(blk, qidl_node_new_string(tree, "serial", "d0"), NULL);
    qidl_node_append(root, apic, NULL);
    qidl_node_append(root, blk, NULL);
    return tree;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(QidlTree) orig = NULL;
    g_autoptr(GArray) stats = NULL;

    if (!qidl_filter_set_load_rules_from_data(set, (const char *)data, size,
                                              "fuzz.json", &error)) {
        FUZZ_CHECK(error->domain == QIDL_ERROR, "no QIDL error");
        FUZZ_CHECK(qidl_filter_set_get_n_filters(set) == 0,
                   "a failed load added filters");
        return 0;
    }
    tree = small_tree();
    orig = small_tree();
    if (!qidl_filter_set_apply(set, tree, &stats, &error)) {
        FUZZ_CHECK(error->domain == QIDL_ERROR, "no QIDL error");
        FUZZ_CHECK(qidl_node_equal(qidl_tree_get_root(tree),
                                   qidl_tree_get_root(orig)),
                   "a failed pass changed the tree: %s", error->message);
        return 0;
    }
    FUZZ_CHECK(stats && stats->len == qidl_filter_set_get_n_filters(set),
               "statistics");
    return 0;
}
