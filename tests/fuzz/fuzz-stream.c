/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The native stream's tree reader (stream.h): qidl_stream_read_tree() on
 * any bytes, plain or zstd.
 *
 * Promises checked: a stream the reader accepts is canonical, so writing
 * the tree back with its info gives the same (uncompressed) bytes; its
 * JSON form converts back to the same bytes; and the direct reader walks
 * the same device records.  One exception is documented
 * (docs/stream-format.md, section 8): the tree passes floats as doubles,
 * which may quiet a signalling float NaN, so for trees holding a float
 * NaN the check is that the rewrite reads back to the same tree and
 * rewrites to itself.
 */
#include <math.h>
#include <string.h>

#include <qidl/stream.h>

#include "fuzz.h"
#include "stream-fixup.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}

/* The records the direct reader walks, without visiting states. */
static guint walk_direct(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(data, size, &error);
    const QidlStreamDevice *dev;
    guint n = 0;

    if (!r) {
        return G_MAXUINT;
    }
    while (qidl_stream_reader_next(r, &dev, &error) && dev) {
        n++;
    }
    return error ? G_MAXUINT : n;
}

/* Whether the tree holds a float (not double) NaN, without recursion. */
static gboolean has_float_nan(QidlNode *root)
{
    QidlNode *n = root;

    while (n) {
        QidlNode *next;

        if (qidl_node_get_kind(n) == QIDL_KIND_FLOAT &&
            isnan(qidl_node_get_double(n))) {
            return TRUE;
        }
        next = qidl_node_get_first_child(n);
        while (!next && n && n != root) {
            next = qidl_node_get_next(n);
            if (!next) {
                n = qidl_node_get_parent(n);
            }
        }
        n = next;
    }
    return FALSE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(data, size, &info,
                                                     &error);
    g_autoptr(GByteArray) again = NULL;
    g_autoptr(JsonNode) json = NULL;
    g_autoptr(GByteArray) from_json = NULL;
    guint devices;

    if (!tree) {
        FUZZ_CHECK(error && error->domain == QIDL_ERROR, "no QIDL error");
        /* The direct reader may accept less (it does not check states
         * until they are visited), never crash. */
        walk_direct(data, size);
        return 0;
    }
    devices = qidl_node_get_n_children(qidl_tree_get_root(tree));
    FUZZ_CHECK(walk_direct(data, size) == devices,
               "the direct reader disagrees on %u devices", devices);

    /* Write back plain and compare with the plain form of the input. */
    again = g_byte_array_new();
    qidl_stream_info_set_compressed(info, FALSE);
    FUZZ_CHECK(qidl_stream_write_tree(tree, info, 0, again, &error),
               "write back: %s", error->message);
    json = qidl_stream_to_json(data, size, &error);
    FUZZ_CHECK(json, "to JSON: %s", error ? error->message : "");
    from_json = g_byte_array_new();
    FUZZ_CHECK(qidl_stream_from_json(json, from_json, &error),
               "from JSON: %s", error->message);
    if (size >= 8 && data[4] == 'L' &&
        has_float_nan(qidl_tree_get_root(tree))) {
        /* The documented exception: equal trees, a fixed point. */
        g_autoptr(QidlStreamInfo) info2 = NULL;
        g_autoptr(QidlTree) t2 = qidl_stream_read_tree(again->data,
                                                       again->len, &info2,
                                                       &error);
        g_autoptr(GByteArray) third = g_byte_array_new();

        FUZZ_CHECK(t2, "the rewrite does not read: %s", error->message);
        FUZZ_CHECK(qidl_node_equal(qidl_tree_get_root(t2),
                                   qidl_tree_get_root(tree)),
                   "the rewrite reads back differently");
        FUZZ_CHECK(qidl_stream_write_tree(t2, info2, 0, third, &error) &&
                   third->len == again->len &&
                   memcmp(third->data, again->data, again->len) == 0,
                   "the rewrite is not a fixed point");
    } else if (size >= 8 && data[4] == 'L') {
        /* Plain: byte for byte, both ways. */
        FUZZ_CHECK(again->len == size &&
                   memcmp(again->data, data, size) == 0,
                   "tree -> stream differs (%u vs %zu bytes)", again->len,
                   size);
        FUZZ_CHECK(from_json->len == size &&
                   memcmp(from_json->data, data, size) == 0,
                   "JSON -> stream differs (%u vs %zu bytes)",
                   from_json->len, size);
    } else {
        /* Compressed: the JSON says so and the content reads back. */
        g_autoptr(QidlTree) t2 = qidl_stream_read_tree(from_json->data,
                                                       from_json->len, NULL,
                                                       &error);

        FUZZ_CHECK(t2, "JSON -> zstd stream unreadable: %s", error->message);
        FUZZ_CHECK(qidl_node_equal(qidl_tree_get_root(t2),
                                   qidl_tree_get_root(tree)),
                   "JSON -> zstd stream differs");
    }
    return 0;
}
