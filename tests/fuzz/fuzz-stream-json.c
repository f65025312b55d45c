/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The JSON form of whole streams (stream.h): qidl_stream_json_to_tree()
 * and qidl_stream_from_json() on parsed text.
 *
 * Promises checked: JSON that converts to a tree also writes as a stream,
 * and that stream reads back to an equal tree.
 */
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
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) json = qidl_json_parse((const char *)data, size,
                                               &error);
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(GByteArray) out = NULL;
    g_autoptr(QidlTree) back = NULL;

    if (!json) {
        return 0;
    }
    tree = qidl_stream_json_to_tree(json, &info, &error);
    out = g_byte_array_new();
    if (!tree) {
        FUZZ_CHECK(error->domain == QIDL_ERROR, "no QIDL error");
        /* The writer must refuse it too (and leave @out alone). */
        g_clear_error(&error);
        FUZZ_CHECK(!qidl_stream_from_json(json, out, &error) && out->len == 0,
                   "from_json accepts what json_to_tree refuses");
        return 0;
    }
    qidl_stream_from_json(json, out, &error);
    FUZZ_CHECK(!error, "json_to_tree accepts what from_json refuses: %s",
               error->message);
    back = qidl_stream_read_tree(out->data, out->len, NULL, &error);
    FUZZ_CHECK(back, "the stream written from JSON does not read: %s",
               error->message);
    FUZZ_CHECK(qidl_node_equal(qidl_tree_get_root(back),
                               qidl_tree_get_root(tree)),
               "the stream written from JSON reads back differently");
    return 0;
}
