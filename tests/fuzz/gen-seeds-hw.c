/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the seed corpora of the hw/ harnesses (corpus/hw-legacy,
 * corpus/devices) from the example machine, after the same 40 steps the
 * harnesses run: every device's QEMU wire bytes, for both builds, and
 * each build's native stream without the RAM and the disk (the harness
 * adds those back).  Run at development time, like gen-seeds.
 *
 *     gen-seeds-hw OUT_DIR
 */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <qidl/legacy.h>
#include <qidl/stream.h>

#include "machine.h"

static const char *out_dir;

static void write_seed(const char *decoder, const char *name,
                       const void *data, gsize len)
{
    g_autofree char *dir = g_build_filename(out_dir, decoder, NULL);
    g_autofree char *path = NULL;
    g_autoptr(GError) error = NULL;

    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_error("mkdir %s: %s", dir, g_strerror(errno));
    }
    path = g_build_filename(dir, name, NULL);
    if (!g_file_set_contents(path, data, len, &error)) {
        g_error("%s", error->message);
    }
}

static void seeds_machine(guint8 build, const MachineConfig *config)
{
    g_autoptr(Machine) m = machine_new(config);
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GByteArray) stream = g_byte_array_new();
    g_autoptr(GByteArray) legacy = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    QidlNode *root = qidl_tree_get_root(tree);
    QidlNode *d, *next;
    const char *bname = build ? "dest" : "source";
    g_autofree char *sname = g_strdup_printf("seed-%s-build", bname);
    gsize off = 0;

    machine_run(m, 40);
    /* Every device's wire bytes: machine_save_legacy() writes each as a
     * big-endian uint32 length and the bytes, in device order. */
    if (!machine_save_legacy(m, legacy, &error)) {
        g_error("%s", error->message);
    }
    for (guint i = 0; i < machine_get_n_devices(m); i++) {
        const char *type, *name;
        guint32 len;
        g_autoptr(GByteArray) seed = g_byte_array_new();
        g_autofree char *file = NULL;
        guint8 head[3] = { (guint8)i, 0xff, build };

        machine_get_device(m, i, &type, NULL, &name);
        g_assert(off + 4 <= legacy->len);
        len = (legacy->data[off] << 24) | (legacy->data[off + 1] << 16) |
              (legacy->data[off + 2] << 8) | legacy->data[off + 3];
        off += 4;
        if (g_strcmp0(type, "pc.ram") != 0 &&
            g_strcmp0(type, "block-image") != 0) {
            g_byte_array_append(seed, head, 3);
            g_byte_array_append(seed, legacy->data + off, len);
            file = g_strdup_printf("seed-%s-%s", bname, name);
            write_seed("hw-legacy", file, seed->data, seed->len);
        }
        off += len;
    }
    /* The native stream, without the RAM and the disk. */
    if (!machine_save_tree(m, tree, &error)) {
        g_error("%s", error->message);
    }
    for (d = qidl_node_get_first_child(root); d; d = next) {
        const char *type = qidl_node_get_type_name(d);

        next = qidl_node_get_next(d);
        if (g_strcmp0(type, "pc.ram") == 0 ||
            g_strcmp0(type, "block-image") == 0) {
            qidl_node_remove(d);
        }
    }
    if (!qidl_stream_write_tree(tree, NULL, 0, stream, &error)) {
        g_error("%s", error->message);
    }
    write_seed("devices", sname, stream->data, stream->len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        g_printerr("usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    seeds_machine(0, &machine_source_config);
    seeds_machine(1, &machine_dest_config);
    return 0;
}
