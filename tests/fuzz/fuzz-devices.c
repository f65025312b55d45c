/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device sets (devices.h) on the example machine: the whole receive path
 * of a native stream (read into a tree, the build's incoming filters,
 * then machine_load_tree(): every device through its generated visit on
 * a scratch copy, committed only if all succeed).
 *
 * Input: a native stream; an odd length picks the destination build
 * rather than the source (so the stream starts at byte 0, for the
 * checksum-fixing mutator).  The machine's RAM and disk, which the seeds
 * leave out to stay small, are added from the machine's own state when
 * the stream lacks them.
 *
 * Promises checked: a failed load leaves the whole machine as it was (its
 * saved stream is byte for byte the same); a load that succeeds leaves a
 * machine that saves and runs a step.
 */
#include <string.h>

#include <qidl/filter.h>
#include <qidl/stream.h>

#include "fuzz.h"
#include "machine.h"
#include "stream-fixup.h"

static Machine *machines[2];
static QidlTree *own_state[2];      /* for the RAM and the disk */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    machines[0] = machine_new(&machine_source_config);
    machines[1] = machine_new(&machine_dest_config);
    for (int i = 0; i < 2; i++) {
        g_autoptr(GError) error = NULL;

        machine_run(machines[i], 40);
        own_state[i] = qidl_tree_new();
        FUZZ_CHECK(machine_save_tree(machines[i], own_state[i], &error),
                   "%s", error->message);
    }
    return 0;
}

static gboolean has_path(QidlNode *root, const char *path)
{
    for (QidlNode *d = qidl_node_get_first_child(root); d;
         d = qidl_node_get_next(d)) {
        if (g_strcmp0(qidl_node_get_instance_path(d), path) == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

static GByteArray *save(Machine *m)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(GError) error = NULL;

    FUZZ_CHECK(machine_save_stream(m, out, FALSE, &error), "%s",
               error->message);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Machine *m;
    QidlTree *own;
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(QidlFilterSet) filters = qidl_filter_set_new();
    g_autoptr(GByteArray) before = NULL;
    g_autoptr(GByteArray) after = NULL;
    QidlNode *root;

    m = machines[size & 1];
    own = own_state[size & 1];
    tree = qidl_stream_read_tree(data, size, NULL, &error);
    if (!tree) {
        return 0;
    }
    root = qidl_tree_get_root(tree);
    for (QidlNode *d = qidl_node_get_first_child(qidl_tree_get_root(own)); d;
         d = qidl_node_get_next(d)) {
        const char *type = qidl_node_get_type_name(d);

        if ((g_strcmp0(type, "pc.ram") == 0 ||
             g_strcmp0(type, "block-image") == 0) &&
            !has_path(root, qidl_node_get_instance_path(d)) &&
            !qidl_node_get_child(root, qidl_node_get_name(d))) {
            FUZZ_CHECK(qidl_node_append(root, qidl_node_copy(tree, d), NULL),
                       "adding %s", qidl_node_get_name(d));
        }
    }
    before = save(m);
    if (!machine_add_incoming_filters(m, filters, &error) ||
        !qidl_filter_set_apply(filters, tree, NULL, &error) ||
        !machine_load_tree(m, tree, &error)) {
        FUZZ_CHECK(error && error->domain == QIDL_ERROR, "no QIDL error");
        after = save(m);
        FUZZ_CHECK(after->len == before->len &&
                   memcmp(after->data, before->data, after->len) == 0,
                   "a failed load changed the machine: %s", error->message);
        return 0;
    }
    /* The first step after a load runs the devices' timers on the loaded
     * state: deadlines far behind the clock, load times ahead of it. */
    machine_step(m);
    after = save(m);
    return 0;
}
