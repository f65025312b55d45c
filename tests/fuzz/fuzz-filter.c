/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The filter engine (filter.h): random rules on random trees.  The input
 * is a rule file, a NUL byte, and a stream in its JSON form (stream.h);
 * the rules are loaded, the stream converted to a tree, and the rules
 * applied to it.
 *
 * Promises checked: a failed pass leaves the tree exactly as it was; a
 * pass that succeeds leaves a tree whose device roots still write as a
 * stream that reads back equal, unless a rule made a tree the stream
 * cannot carry (a writer error, never a crash).
 */
#include <string.h>

#include <qidl/filter.h>
#include <qidl/json.h>
#include <qidl/stream.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0, size);
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) json = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(QidlTree) orig = NULL;
    g_autoptr(GByteArray) out = NULL;

    if (!sep) {
        return 0;
    }
    if (!qidl_filter_set_load_rules_from_data(set, (const char *)data,
                                              sep - data, "fuzz.json",
                                              &error)) {
        return 0;
    }
    json = qidl_json_parse((const char *)sep + 1, size - (sep + 1 - data),
                           &error);
    if (!json) {
        return 0;
    }
    tree = qidl_stream_json_to_tree(json, NULL, &error);
    if (!tree) {
        return 0;
    }
    orig = qidl_stream_json_to_tree(json, NULL, &error);
    FUZZ_CHECK(orig, "converts once, not twice");
    if (!qidl_filter_set_apply(set, tree, NULL, &error)) {
        FUZZ_CHECK(error->domain == QIDL_ERROR, "no QIDL error");
        FUZZ_CHECK(qidl_node_equal(qidl_tree_get_root(tree),
                                   qidl_tree_get_root(orig)),
                   "a failed pass changed the tree: %s", error->message);
        return 0;
    }
    out = g_byte_array_new();
    if (qidl_stream_write_tree(tree, NULL, 0, out, &error)) {
        g_autoptr(QidlTree) back = qidl_stream_read_tree(out->data, out->len,
                                                         NULL, &error);

        FUZZ_CHECK(back, "a filtered tree's stream does not read: %s",
                   error->message);
        FUZZ_CHECK(qidl_node_equal(qidl_tree_get_root(back),
                                   qidl_tree_get_root(tree)),
                   "a filtered tree's stream reads back differently");
    }
    return 0;
}
