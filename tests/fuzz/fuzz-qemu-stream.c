/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The QEMU migration stream reader (qemu-stream.h):
 * qidl_qemu_stream_read_tree() on any bytes.
 *
 * Promises checked: a stream the reader accepts writes back byte for byte
 * from its tree and info (qemu-stream.h: "decoding then encoding an
 * unmodified stream reproduces it byte for byte"), and every device
 * section encodes alone to the bytes it was read from.
 */
#include <string.h>

#include <qidl/qemu-stream.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = qidl_qemu_stream_read_tree(data, size, &info,
                                                          &error);
    g_autoptr(GByteArray) out = NULL;
    QidlNode *root;

    if (!tree) {
        FUZZ_CHECK(error && error->domain == QIDL_ERROR, "no QIDL error");
        return 0;
    }
    root = qidl_tree_get_root(tree);
    for (QidlNode *dev = qidl_node_get_first_child(root); dev;
         dev = qidl_node_get_next(dev)) {
        const QidlQemuRecord *rec = qidl_qemu_stream_info_find_device(
            info, qidl_node_get_instance_path(dev));
        g_autoptr(GByteArray) sec = g_byte_array_new();

        FUZZ_CHECK(rec, "no section for %s",
                   qidl_node_get_instance_path(dev));
        FUZZ_CHECK(qidl_qemu_stream_encode_device(info, dev, sec, &error),
                   "section %s does not encode: %s", rec->idstr,
                   error->message);
        FUZZ_CHECK(sec->len == rec->payload_length &&
                   memcmp(sec->data, data + rec->payload_offset,
                          sec->len) == 0,
                   "section %s encodes differently", rec->idstr);
    }
    out = g_byte_array_new();
    FUZZ_CHECK(qidl_qemu_stream_write_tree(tree, info, out, &error),
               "write back: %s", error->message);
    FUZZ_CHECK(out->len == size && memcmp(out->data, data, size) == 0,
               "write back differs (%u vs %zu bytes)", out->len, size);
    return 0;
}
