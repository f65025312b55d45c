/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU 7.2 migration streams, against the real thing.
 *
 * The group setup starts Debian's qemu-system-x86_64 (no guest: -S, or a
 * second of firmware under TCG) for pc, q35 and pc-i440fx-2.3, with and
 * without a few devices (serial port, virtio-blk on a small qcow2, e1000),
 * and a q35 with many (USB, five NICs, user networking, AHCI, HDA sound,
 * VGA, virtio SCSI, serial, balloon and RNG, a watchdog), and migrates each to
 * "exec:cat > FILE".  The tests then check that
 *
 * 1. every stream decodes, and every field matches QEMU's own description
 *    (names, kinds against sizes, counts, bytes per section);
 * 2. decode -> encode is byte-identical, per stream and per device;
 * 3. a stream edited by a filter (the master i8259's interrupt mask) is
 *    loaded by QEMU (-incoming "exec:cat FILE"), and `info pic` shows it,
 *    with the library and with the qidl tool;
 * 4. truncated and corrupted streams fail with the section and the byte
 *    offset, never a crash, and any corruption that still decodes is
 *    re-encoded byte for byte.
 *
 * Without qemu-system-x86_64 the program fails (TAP "Bail out!") naming
 * the Debian package to install.  Stream files live in a temporary
 * directory removed at the end (QIDL_KEEP_TMP=1 keeps it).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <qidl/filter.h>
#include <qidl/qemu-stream.h>

#include "qemu-runner.h"

#define assert_error(e, domain_, code_)                                     \
    do {                                                                    \
        if (!(e) || (e)->domain != (domain_) || (e)->code != (code_)) {     \
            fail_msg("expected error %d, got %s", (code_),                  \
                     (e) ? (e)->message : "none");                          \
        }                                                                   \
    } while (0)

#define assert_no_error(e)                                                  \
    do {                                                                    \
        if (e) {                                                            \
            fail_msg("unexpected error: %s", (e)->message);                 \
        }                                                                   \
    } while (0)

typedef enum {
    DEVICES_NONE,
    DEVICES_FEW,              /* serial, virtio-blk, e1000 */
    DEVICES_WIDE,             /* USB, more NICs, AHCI, sound, VGA, virtio */
} Devices;

typedef struct {
    const char *name;
    const char *machine;
    Devices devices;
    gboolean running;         /* a second of firmware, migrated live */
    char *file;
    GBytes *bytes;
} Source;

static Source sources[] = {
    { "pc", "pc", DEVICES_NONE, FALSE },
    { "q35", "q35", DEVICES_NONE, FALSE },
    { "old", "pc-i440fx-2.3", DEVICES_NONE, FALSE },
    { "pc-devices", "pc", DEVICES_FEW, FALSE },
    { "q35-running", "q35", DEVICES_FEW, TRUE },
    { "q35-wide", "q35", DEVICES_WIDE, TRUE },
};

static char *tmpdir;
static char *disk;

static Source *source(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        if (strcmp(sources[i].name, name) == 0) {
            return &sources[i];
        }
    }
    g_assert_not_reached();
}

static const guint8 *source_data(const Source *s, gsize *len)
{
    return g_bytes_get_data(s->bytes, len);
}

/* ---- making the streams ---- */

static char **device_args(Devices devices)
{
    g_autofree char *blockdev = g_strdup_printf(
        "driver=qcow2,file.driver=file,file.filename=%s,node-name=disk0",
        disk);
    const char *few[] = {
        "-chardev", "null,id=ser0", "-device", "isa-serial,chardev=ser0",
        "-blockdev", blockdev, "-device", "virtio-blk-pci,drive=disk0",
        "-device", "e1000", NULL,
    };
    /* Devices whose sections have shapes the others lack: USB's nested
     * ports and slots, the NICs' ring and register arrays, user
     * networking's (slirp) state saved by a legacy handler without a
     * description, AHCI's ports, HDA's streams and codec, VGA's registers,
     * virtio devices' queues, a watchdog's timer. */
    const char *wide[] = {
        "-device", "qemu-xhci,id=xhci", "-device", "usb-tablet,bus=xhci.0",
        "-device", "usb-kbd,bus=xhci.0", "-device", "virtio-net-pci",
        "-netdev", "user,id=net0", "-device", "rtl8139,netdev=net0",
        "-device", "e1000e",
        "-device", "ich9-ahci,id=ahci", "-blockdev", blockdev,
        "-device", "ide-hd,drive=disk0,bus=ahci.0",
        "-audiodev", "none,id=snd0", "-device", "intel-hda",
        "-device", "hda-duplex,audiodev=snd0", "-device", "VGA",
        "-device", "virtio-scsi-pci", "-device", "virtio-serial-pci",
        "-device", "virtio-balloon", "-device", "virtio-rng-pci",
        "-device", "i6300esb", "-device", "pcnet", "-device", "vmxnet3",
        NULL,
    };

    switch (devices) {
    case DEVICES_FEW:
        return g_strdupv((char **)few);
    case DEVICES_WIDE:
        return g_strdupv((char **)wide);
    default:
        return NULL;
    }
}

static gboolean make_stream(Source *s, GError **error)
{
    g_auto(GStrv) extra = device_args(s->devices);
    g_autoptr(QemuVm) vm = NULL;
    char *data;
    gsize len;

    s->file = g_strdup_printf("%s/%s.bin", tmpdir, s->name);
    vm = qemu_vm_start(tmpdir, s->machine, (const char *const *)extra, NULL,
                       error);
    if (!vm) {
        return FALSE;
    }
    if (s->running) {
        g_autoptr(JsonNode) ret = qemu_vm_qmp(vm, "cont", NULL, error);

        if (!ret) {
            return FALSE;
        }
        g_usleep(G_USEC_PER_SEC);
    }
    if (!qemu_vm_migrate_to_file(vm, s->file, error) ||
        !g_file_get_contents(s->file, &data, &len, error)) {
        return FALSE;
    }
    s->bytes = g_bytes_new_take(data, len);
    return TRUE;
}

static int group_setup(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status;

    tmpdir = g_dir_make_tmp("qidl-qemu-XXXXXX", &error);
    g_assert_no_error(error);
    disk = g_strdup_printf("%s/disk.qcow2", tmpdir);
    if (!qemu_img) {
        fprintf(stderr, "# qemu-img is not installed: install the Debian "
                "package qemu-utils\n");
        return -1;
    }
    if (!g_spawn_sync(NULL, (char *[]) { qemu_img, "create", "-q", "-f",
                                         "qcow2", disk, "1M", NULL },
                      NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                      &error) ||
        !g_spawn_check_wait_status(status, &error)) {
        fprintf(stderr, "# qemu-img create failed: %s %s\n",
                error->message, err ? err : "");
        return -1;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        if (!make_stream(&sources[i], &error)) {
            fprintf(stderr, "# cannot make the %s stream: %s\n",
                    sources[i].name, error->message);
            return -1;
        }
    }
    return 0;
}

static int group_teardown(void **state)
{
    const char *keep = g_getenv("QIDL_KEEP_TMP");

    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        g_clear_pointer(&sources[i].bytes, g_bytes_unref);
        g_clear_pointer(&sources[i].file, g_free);
    }
    if (tmpdir && !(keep && *keep)) {
        g_autoptr(GDir) dir = g_dir_open(tmpdir, 0, NULL);
        const char *name;

        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree char *path = g_build_filename(tmpdir, name, NULL);

            g_unlink(path);
        }
        g_rmdir(tmpdir);
    }
    g_clear_pointer(&tmpdir, g_free);
    g_clear_pointer(&disk, g_free);
    return 0;
}

/* ---- QEMU's description, walked independently of the library ---- */

static char *tree_name(const char *qemu_name)
{
    GString *s = g_string_new(NULL);

    for (const char *p = qemu_name; *p; p++) {
        g_string_append_c(s, *p == '.' ? '_' : *p == '[' ? '<'
                             : *p == ']' ? '>' : *p);
    }
    return g_string_free(s, FALSE);
}

static QidlKind expected_kind(const char *type)
{
    static const struct {
        const char *type;
        QidlKind kind;
    } map[] = {
        { "bool", QIDL_KIND_BOOL }, { "int8", QIDL_KIND_INT8 },
        { "int16", QIDL_KIND_INT16 }, { "int32", QIDL_KIND_INT32 },
        { "int64", QIDL_KIND_INT64 }, { "uint8", QIDL_KIND_UINT8 },
        { "uint16", QIDL_KIND_UINT16 }, { "uint32", QIDL_KIND_UINT32 },
        { "uint64", QIDL_KIND_UINT64 }, { "int32 equal", QIDL_KIND_INT32 },
        { "int32 le", QIDL_KIND_INT32 }, { "uint8 equal", QIDL_KIND_UINT8 },
        { "uint16 equal", QIDL_KIND_UINT16 },
        { "uint32 equal", QIDL_KIND_UINT32 }, { "timer", QIDL_KIND_INT64 },
        { "float64", QIDL_KIND_DOUBLE },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (strcmp(map[i].type, type) == 0) {
            return map[i].kind;
        }
    }
    return QIDL_KIND_BYTES;
}

typedef struct {
    guint fields;             /* described fields checked */
    gsize first_bool;         /* stream offset of the first bool, or 0 */
    gsize pos;                /* stream offset of the next field */
} Walk;

static void check_vmsd(Walk *w, JsonObject *vmsd, const QidlNode *node,
                       gsize *bytes);

static void check_field(Walk *w, JsonObject *f, const QidlNode *node,
                        gsize *bytes)
{
    const char *type = json_object_get_string_member(f, "type");
    gsize size = (gsize)json_object_get_int_member(f, "size");
    JsonObject *nested = NULL;

    w->fields++;
    if (strcmp(type, "struct") == 0) {
        nested = json_object_get_object_member(f, "struct");
    } else if (strcmp(type, "tmp") == 0 || strcmp(type, "vstruct") == 0) {
        nested = f;
    }
    if (nested) {
        gsize inner = 0;

        assert_int_equal(qidl_node_get_kind(node), QIDL_KIND_STRUCT);
        check_vmsd(w, nested, node, &inner);
        assert_int_equal(inner, size);
    } else {
        QidlKind kind = expected_kind(type);

        assert_int_equal(qidl_node_get_kind(node), kind);
        if (kind == QIDL_KIND_BYTES) {
            gsize len;

            qidl_node_get_bytes(node, &len);
            assert_int_equal(len, size);
        } else {
            assert_int_equal(qidl_kind_size(kind), size);
        }
        if (kind == QIDL_KIND_BOOL && !w->first_bool) {
            w->first_bool = w->pos;
        }
        w->pos += size;
    }
    *bytes += size;
}

/* A VMSD object against a struct node: fields, then subsections. */
static void check_vmsd(Walk *w, JsonObject *vmsd, const QidlNode *node,
                       gsize *bytes)
{
    JsonArray *fields = json_object_get_array_member(vmsd, "fields");
    const QidlNode *child = qidl_node_get_first_child(node);
    guint n = json_array_get_length(fields);

    for (guint i = 0; i < n;) {
        JsonObject *f = json_array_get_object_element(fields, i);
        g_autofree char *name =
            tree_name(json_object_get_string_member(f, "name"));

        assert_non_null(child);
        assert_string_equal(qidl_node_get_name(child), name);
        if (json_object_has_member(f, "array_len")) {
            guint count = (guint)json_object_get_int_member(f, "array_len");

            assert_int_equal(qidl_node_get_kind(child), QIDL_KIND_LIST);
            assert_int_equal(qidl_node_get_n_children(child), count);
            for (const QidlNode *e = qidl_node_get_first_child(child); e;
                 e = qidl_node_get_next(e)) {
                check_field(w, f, e, bytes);
            }
            i++;
        } else if (json_object_has_member(f, "index")) {
            const QidlNode *e = qidl_node_get_first_child(child);
            guint count = 0;

            assert_int_equal(qidl_node_get_kind(child), QIDL_KIND_LIST);
            for (; i < n; i++, count++) {
                JsonObject *g = json_array_get_object_element(fields, i);

                if (!json_object_has_member(g, "index") ||
                    json_object_get_int_member(g, "index") != count ||
                    strcmp(json_object_get_string_member(g, "name"),
                           json_object_get_string_member(f, "name")) != 0) {
                    break;
                }
                assert_non_null(e);
                check_field(w, g, e, bytes);
                e = qidl_node_get_next(e);
            }
            assert_null(e);
            assert_int_equal(qidl_node_get_n_children(child), count);
        } else {
            check_field(w, f, child, bytes);
            i++;
        }
        child = qidl_node_get_next(child);
    }
    if (json_object_has_member(vmsd, "subsections")) {
        JsonArray *subs = json_object_get_array_member(vmsd, "subsections");

        for (guint i = 0; i < json_array_get_length(subs); i++) {
            JsonObject *s = json_array_get_object_element(subs, i);
            const char *vmsd_name = json_object_get_string_member(s,
                                                                  "vmsd_name");

            assert_non_null(child);
            assert_string_equal(qidl_node_get_name(child), vmsd_name);
            assert_int_equal(qidl_node_get_kind(child), QIDL_KIND_STRUCT);
            /* QEMU's subsection header: marker, counted name, version. */
            *bytes += 1 + 1 + strlen(vmsd_name) + 4;
            w->pos += 1 + 1 + strlen(vmsd_name) + 4;
            check_vmsd(w, s, child, bytes);
            child = qidl_node_get_next(child);
        }
    }
    assert_null(child);
}

/*
 * Checks a decoded stream against its vmdesc: device k is entry k, with
 * the same idstr, instance and version, every field named, typed, sized
 * and counted as QEMU described it, and the section's bytes accounted for.
 * Returns the number of fields checked.
 */
static guint check_against_vmdesc(QidlTree *tree, QidlQemuStreamInfo *info,
                                  Walk *w)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    gsize len;
    const char *text = qidl_qemu_stream_info_get_vmdesc(info, &len);
    JsonArray *devices;
    const QidlNode *dev = qidl_node_get_first_child(qidl_tree_get_root(tree));

    assert_non_null(text);
    assert_true(json_parser_load_from_data(parser, text, (gssize)len, NULL));
    devices = json_object_get_array_member(
        json_node_get_object(json_parser_get_root(parser)), "devices");
    assert_true(json_array_get_length(devices) > 20);
    for (guint k = 0; k < json_array_get_length(devices); k++) {
        JsonObject *d = json_array_get_object_element(devices, k);
        const char *name = json_object_get_string_member(d, "name");
        const QidlQemuRecord *rec;
        gsize bytes = 0;

        assert_non_null(dev);
        assert_true(qidl_node_is_device(dev));
        assert_string_equal(qidl_node_get_type_name(dev), name);
        rec = qidl_qemu_stream_info_find_device(
            info, qidl_node_get_instance_path(dev));
        assert_non_null(rec);
        assert_int_equal(rec->type, QIDL_QEMU_RECORD_FULL);
        assert_string_equal(rec->idstr, name);
        assert_int_equal(rec->instance_id,
                         json_object_get_int_member(d, "instance_id"));
        if (json_object_has_member(d, "version")) {
            assert_int_equal(qidl_node_get_version(dev),
                             json_object_get_int_member(d, "version"));
        }
        w->pos = rec->payload_offset;
        check_vmsd(w, d, dev, &bytes);
        assert_int_equal(bytes, rec->payload_length);
        assert_int_equal(w->pos, rec->payload_offset + rec->payload_length);
        dev = qidl_node_get_next(dev);
    }
    assert_null(dev);
    return w->fields;
}

/* ---- 1. decoding ---- */

static void test_qemu_stream__decode_matches_vmdesc(void **state)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        const Source *s = &sources[i];
        g_autoptr(QidlQemuStreamInfo) info = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(QidlTree) tree =
            qidl_qemu_stream_read_tree_full(s->bytes, NULL, -1, &info,
                                            &error);
        Walk w = { 0 };
        QidlQemuRamStats ram;

        if (!tree) {
            fail_msg("%s: %s", s->name, error->message);
        }
        assert_true(check_against_vmdesc(tree, info, &w) > 300);
        qidl_qemu_stream_info_get_ram_stats(info, &ram);
        assert_true(ram.n_blocks >= 5);
        assert_int_equal(ram.total_bytes >= 32u << 20, TRUE);
        assert_int_equal(ram.page_size, 4096);
        assert_true(ram.zero_pages + ram.normal_pages >= (32u << 20) / 4096);
    }
}

static void test_qemu_stream__records(void **state)
{
    const Source *pc = source("pc"), *old = source("old");
    const Source *running = source("q35-running");
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlQemuStreamInfo) old_info = NULL;
    g_autoptr(QidlQemuStreamInfo) run_info = NULL;
    g_autoptr(QidlTree) tree =
        qidl_qemu_stream_read_tree_full(pc->bytes, NULL, -1, &info, NULL);
    g_autoptr(QidlTree) old_tree =
        qidl_qemu_stream_read_tree_full(old->bytes, NULL, -1, &old_info,
                                        NULL);
    g_autoptr(QidlTree) run_tree =
        qidl_qemu_stream_read_tree_full(running->bytes, NULL, -1, &run_info,
                                        NULL);
    const QidlQemuRecord *first, *last, *pic;
    const QidlNode *root;
    guint n, parts = 0;
    gsize len;

    assert_non_null(tree);
    assert_non_null(old_tree);
    assert_non_null(run_tree);

    /* pc-i440fx-7.2: configuration, footers; the records tile the file. */
    assert_string_equal(qidl_qemu_stream_info_get_machine(info),
                        "pc-i440fx-7.2");
    assert_true(qidl_qemu_stream_info_has_footers(info));
    n = qidl_qemu_stream_info_get_n_records(info);
    first = qidl_qemu_stream_info_get_record(info, 0);
    assert_int_equal(first->type, QIDL_QEMU_RECORD_HEADER);
    assert_int_equal(qidl_qemu_stream_info_get_record(info, 1)->type,
                     QIDL_QEMU_RECORD_CONFIGURATION);
    assert_int_equal(qidl_qemu_stream_info_get_record(info, 2)->type,
                     QIDL_QEMU_RECORD_START);
    assert_string_equal(qidl_qemu_stream_info_get_record(info, 2)->idstr,
                        "ram");
    last = qidl_qemu_stream_info_get_record(info, n - 1);
    assert_int_equal(last->type, QIDL_QEMU_RECORD_VMDESC);
    assert_int_equal(qidl_qemu_stream_info_get_record(info, n - 2)->type,
                     QIDL_QEMU_RECORD_EOF);
    qidl_qemu_stream_info_get_data(info, &len);
    assert_int_equal(last->offset + last->length, len);
    for (guint i = 1; i < n; i++) {
        const QidlQemuRecord *a = qidl_qemu_stream_info_get_record(info,
                                                                   i - 1);
        const QidlQemuRecord *b = qidl_qemu_stream_info_get_record(info, i);

        assert_int_equal(a->offset + a->length, b->offset);
    }

    /* Two i8259s with the same idstr: paired by order, named apart. */
    root = qidl_tree_get_root(tree);
    pic = qidl_qemu_stream_info_find_device(info, "/qemu/i8259/0");
    assert_non_null(pic);
    assert_string_equal(pic->device_name, "i8259");
    assert_int_equal(pic->payload_length, 16);
    assert_non_null(qidl_qemu_stream_info_find_device(info, "/qemu/i8259/1"));
    assert_non_null(qidl_node_get_child(root, "i8259#1"));
    assert_int_equal(qidl_node_get_kind(qidl_node_find(root, "i8259.imr")),
                     QIDL_KIND_UINT8);
    /* Arrays, nested structs, subsections, renamed names. */
    assert_int_equal(qidl_node_get_n_children(
                         qidl_node_find(root, "cpu.env_regs")), 16);
    assert_int_equal(qidl_node_get_kind(
                         qidl_node_find(root, "cpu.env_segs[1].base")),
                     QIDL_KIND_UINT64);
    assert_non_null(qidl_node_find(root, "fw_cfg.fw_cfg/dma.dma_addr"));
    assert_non_null(qidl_node_find(root, "fw_cfg.cur_offset<1>"));
    assert_int_equal(qidl_node_get_kind(qidl_node_find(
                         root, "0000:00:01_1/ide.parent_obj.config<0>")),
                     QIDL_KIND_BYTES);
    assert_string_equal(
        qidl_node_get_type_name(qidl_node_get_child(root,
                                                    "0000:00:01_1/ide")),
        "0000:00:01.1/ide");

    /* pc-i440fx-2.3: no configuration, no footers. */
    assert_null(qidl_qemu_stream_info_get_machine(old_info));
    assert_false(qidl_qemu_stream_info_has_footers(old_info));
    assert_int_equal(qidl_qemu_stream_info_get_record(old_info, 1)->type,
                     QIDL_QEMU_RECORD_START);

    /* A live migration: RAM START, PARTs, END, then the devices. */
    for (guint i = 0; i < qidl_qemu_stream_info_get_n_records(run_info);
         i++) {
        const QidlQemuRecord *r = qidl_qemu_stream_info_get_record(run_info,
                                                                   i);

        if (r->type == QIDL_QEMU_RECORD_PART ||
            r->type == QIDL_QEMU_RECORD_END) {
            assert_string_equal(r->idstr, "ram");
            parts++;
        }
    }
    assert_true(parts >= 1);
    assert_non_null(qidl_node_get_child(qidl_tree_get_root(run_tree),
                                        "serial"));
    for (const QidlNode *dev =
             qidl_node_get_first_child(qidl_tree_get_root(run_tree));
         dev; dev = qidl_node_get_next(dev)) {
        if (g_str_has_suffix(qidl_node_get_type_name(dev), "/virtio-blk")) {
            /* The virtio state is QEMU's own format: opaque bytes. */
            assert_int_equal(qidl_node_get_kind(qidl_node_get_child(
                                 dev, "virtio")), QIDL_KIND_BYTES);
            parts = 0;
        }
    }
    assert_int_equal(parts, 0);
}

/* ---- 2. byte-identical round trip ---- */

static void test_qemu_stream__roundtrip_identical(void **state)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        const Source *s = &sources[i];
        g_autoptr(QidlQemuStreamInfo) info = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(QidlTree) tree =
            qidl_qemu_stream_read_tree_full(s->bytes, NULL, -1, &info,
                                            &error);
        g_autoptr(GByteArray) out = g_byte_array_new();
        gsize len;
        const guint8 *data = source_data(s, &len);
        guint devices = 0;

        assert_non_null(tree);
        if (!qidl_qemu_stream_write_tree(tree, info, out, &error)) {
            fail_msg("%s: %s", s->name, error->message);
        }
        assert_int_equal(out->len, len);
        assert_memory_equal(out->data, data, len);

        /* Each device alone gives the bytes of its section. */
        for (const QidlNode *dev =
                 qidl_node_get_first_child(qidl_tree_get_root(tree));
             dev; dev = qidl_node_get_next(dev)) {
            g_autoptr(GByteArray) state_bytes = g_byte_array_new();
            const QidlQemuRecord *rec = qidl_qemu_stream_info_find_device(
                info, qidl_node_get_instance_path(dev));

            assert_true(qidl_qemu_stream_encode_device(info, dev,
                                                       state_bytes, NULL));
            assert_int_equal(state_bytes->len, rec->payload_length);
            assert_memory_equal(state_bytes->data,
                                data + rec->payload_offset,
                                rec->payload_length);
            devices++;
        }
        assert_true(devices > 20);
    }
}

/*
 * The wide source holds a section of each device it was started with (by
 * QEMU's section names), so the two tests above cover their shapes.
 */
static void test_qemu_stream__wide_sections(void **state)
{
    static const char *const wanted[] = {
        "xhci", "usb-ptr", "usb-kbd", "virtio-net", "rtl8139", "e1000e",
        "ich9_ahci", "intel-hda", "hda-audio", "vga", "virtio-scsi",
        "virtio-console", "virtio-balloon", "virtio-rng", "i6300esb_wdt",
        "pcnet", "vmxnet3", "slirp",
    };
    const Source *s = source("q35-wide");
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree =
        qidl_qemu_stream_read_tree_full(s->bytes, NULL, -1, &info, &error);

    assert_no_error(error);
    for (gsize i = 0; i < G_N_ELEMENTS(wanted); i++) {
        g_autofree char *suffix = g_strdup_printf("/%s/0", wanted[i]);
        guint found = 0;

        for (const QidlNode *dev =
                 qidl_node_get_first_child(qidl_tree_get_root(tree));
             dev; dev = qidl_node_get_next(dev)) {
            found += g_str_has_suffix(qidl_node_get_instance_path(dev),
                                      suffix);
        }
        if (found == 0) {
            fail_msg("q35-wide: no section %s", wanted[i]);
        }
    }
}

/* A vmdesc given by the caller decodes a stream that lost its trailer. */
static void test_qemu_stream__supplied_vmdesc(void **state)
{
    const Source *s = source("q35");
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlQemuStreamInfo) info2 = NULL;
    g_autoptr(QidlTree) tree =
        qidl_qemu_stream_read_tree_full(s->bytes, NULL, -1, &info, NULL);
    g_autoptr(QidlTree) tree2 = NULL;
    g_autoptr(GBytes) stripped = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    const QidlQemuRecord *eof, *timer;
    g_autofree char *msg = NULL;
    gsize len, vmdesc_len;
    const guint8 *data = source_data(s, &len);
    const char *vmdesc;

    assert_non_null(tree);
    vmdesc = qidl_qemu_stream_info_get_vmdesc(info, &vmdesc_len);
    eof = qidl_qemu_stream_info_get_record(
        info, qidl_qemu_stream_info_get_n_records(info) - 2);
    assert_int_equal(eof->type, QIDL_QEMU_RECORD_EOF);
    stripped = g_bytes_new(data, eof->offset + 1);
    timer = qidl_qemu_stream_info_find_device(info, "/qemu/timer/0");

    /* Without a vmdesc the devices cannot be delimited. */
    tree2 = qidl_qemu_stream_read_tree_full(stripped, NULL, -1, NULL,
                                            &error);
    assert_null(tree2);
    assert_error(error, QIDL_ERROR, QIDL_ERROR_UNSUPPORTED);
    msg = g_strdup_printf("section %u 'timer' (instance 0): no vmdesc to "
                          "decode it with at byte offset %" G_GSIZE_FORMAT
                          " (the stream has no vmdesc trailer: is it "
                          "truncated?)", timer->section_id, timer->offset);
    assert_string_equal(error->message, msg);
    g_clear_error(&error);

    tree2 = qidl_qemu_stream_read_tree_full(stripped, vmdesc,
                                            (gssize)vmdesc_len, &info2,
                                            &error);
    assert_no_error(error);
    assert_true(qidl_node_equal(qidl_tree_get_root(tree),
                                qidl_tree_get_root(tree2)));
    assert_true(qidl_qemu_stream_write_tree(tree2, info2, out, NULL));
    assert_int_equal(out->len, eof->offset + 1);
    assert_memory_equal(out->data, data, out->len);
}

/* ---- 3. edited streams, loaded by QEMU ---- */

static const char imr_rules[] =
    "{\"comment\": \"mask every IRQ but the cascade on the master i8259\","
    " \"rules\": [{\"type\": \"i8259\", \"path\": \"/qemu/i8259/0\","
    " \"map_values\": {\"field\": \"imr\", \"strict\": true,"
    " \"map\": [{\"from\": {\"u8\": 0}, \"to\": {\"u8\": 251}}]}}]}";

/*
 * Starts a QEMU of @machine that loads from the shell command @command
 * (-incoming "exec:COMMAND") and returns `info pic`.
 */
static char *incoming_info_pic(const char *machine, const char *command)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *incoming = g_strdup_printf("exec:%s", command);
    g_autoptr(QemuVm) vm = qemu_vm_start(tmpdir, machine, NULL, incoming,
                                         &error);
    char *pic = NULL;

    if (!vm || !qemu_vm_wait_migration(vm, &error) ||
        !(pic = qemu_vm_hmp(vm, "info pic", &error))) {
        fail_msg("%s: %s", command, error->message);
    }
    return pic;
}

/* Loads @file into a fresh QEMU of @machine and returns `info pic`. */
static char *load_and_info_pic(const char *machine, const char *file)
{
    g_autofree char *quoted = g_shell_quote(file);
    g_autofree char *command = g_strdup_printf("cat %s", quoted);

    return incoming_info_pic(machine, command);
}

static void assert_master_imr_fb(const char *info_pic)
{
    if (!strstr(info_pic, "pic0: irr=00 imr=fb") ||
        !strstr(info_pic, "pic1: irr=00 imr=00")) {
        fail_msg("info pic shows no edited master mask:\n%s", info_pic);
    }
}

static void test_qemu_stream__edited_pic_loads(void **state)
{
    const char *names[] = { "q35", "old" };

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        const Source *s = source(names[i]);
        g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
        g_autoptr(QidlQemuStreamInfo) info = NULL;
        g_autoptr(QidlTree) tree =
            qidl_qemu_stream_read_tree_full(s->bytes, NULL, -1, &info, NULL);
        g_autoptr(GByteArray) out = g_byte_array_new();
        g_autoptr(GArray) stats = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *file = g_strdup_printf("%s/%s-imr.bin", tmpdir,
                                                s->name);
        g_autofree char *pic = NULL;
        gsize len;
        const guint8 *data = source_data(s, &len);
        guint differing = 0;

        assert_non_null(tree);
        assert_true(qidl_filter_set_load_rules_from_data(
            set, imr_rules, -1, "imr.json", &error));
        assert_true(qidl_filter_set_apply(set, tree, &stats, &error));
        assert_int_equal(g_array_index(stats, QidlFilterStat, 0).changed, 1);
        assert_true(qidl_qemu_stream_write_tree(tree, info, out, &error));
        /* Same length; exactly the one byte of the mask differs. */
        assert_int_equal(out->len, len);
        for (gsize b = 0; b < len; b++) {
            differing += out->data[b] != data[b];
        }
        assert_int_equal(differing, 1);
        assert_true(g_file_set_contents(file, (const char *)out->data,
                                        out->len, NULL));
        pic = load_and_info_pic(s->machine, file);
        assert_master_imr_fb(pic);
    }
}

/* Edits that would change a section's layout are refused. */
static void test_qemu_stream__layout_edit_fail(void **state)
{
    const Source *s = source("pc");
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    QidlTree *tree;
    QidlNode *root, *node;

#define FRESH()                                                             \
    do {                                                                    \
        qidl_tree_free(tree);                                               \
        tree = qidl_qemu_stream_read_tree_full(s->bytes, NULL, -1, NULL,    \
                                               NULL);                       \
        root = qidl_tree_get_root(tree);                                    \
    } while (0)

    tree = qidl_qemu_stream_read_tree_full(s->bytes, NULL, -1, &info, NULL);
    root = qidl_tree_get_root(tree);

    /* A wider mask. */
    node = qidl_node_find(root, "i8259.imr");
    assert_true(qidl_node_insert_after(
        node, qidl_node_new_uint(tree, "imr2", QIDL_KIND_UINT16, 1), NULL));
    qidl_node_remove(node);
    assert_true(qidl_node_rename(qidl_node_find(root, "i8259.imr2"), "imr",
                                 NULL));
    assert_false(qidl_qemu_stream_write_tree(tree, info, out, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_TYPE_MISMATCH);
    assert_string_equal(error->message,
                        "device /qemu/i8259/0 (i8259): imr: expected uint8, "
                        "found uint16: a QEMU section keeps its layout");
    assert_int_equal(out->len, 0);
    g_clear_error(&error);

    /* A field added, a field removed, a subsection removed. */
    FRESH();
    assert_true(qidl_node_append(qidl_node_get_child(root, "i8259#1"),
                                 qidl_node_new_bool(tree, "extra", TRUE),
                                 NULL));
    assert_false(qidl_qemu_stream_write_tree(tree, info, out, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_UNKNOWN_FIELD);
    assert_string_equal(error->message,
                        "device /qemu/i8259/1 (i8259): extra: not in the "
                        "section's layout");
    g_clear_error(&error);
    FRESH();
    qidl_node_remove(qidl_node_find(root, "cpu.env_segs[2].limit"));
    assert_false(qidl_qemu_stream_write_tree(tree, info, out, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_MISSING_FIELD);
    assert_string_equal(error->message,
                        "device /qemu/cpu/0 (cpu): env_segs[2].limit: "
                        "missing: a QEMU section keeps its layout");
    g_clear_error(&error);
    FRESH();
    qidl_node_remove(qidl_node_find(root, "fw_cfg.fw_cfg/dma"));
    assert_false(qidl_qemu_stream_write_tree(tree, info, out, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_MISSING_FIELD);
    g_clear_error(&error);

    /* Bytes of another length, a list of another count. */
    FRESH();
    qidl_node_set_bytes(qidl_node_find(root, "timer.unused"),
                        (const guint8 *)"x", 1);
    assert_false(qidl_qemu_stream_write_tree(tree, info, out, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_LENGTH_MISMATCH);
    assert_string_equal(error->message,
                        "device /qemu/timer/0 (timer): unused: 1 bytes "
                        "where the section has 8");
    g_clear_error(&error);
    FRESH();
    qidl_node_remove(qidl_node_find(root, "cpu.env_regs[15]"));
    assert_false(qidl_qemu_stream_write_tree(tree, info, out, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_LENGTH_MISMATCH);
    g_clear_error(&error);

    /* A device removed, a device added, a device renamed. */
    FRESH();
    qidl_node_remove(qidl_node_get_child(root, "hpet"));
    assert_false(qidl_qemu_stream_write_tree(tree, info, out, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_MISSING_FIELD);
    assert_true(strstr(error->message, "'hpet' (instance 0): device "
                                       "/qemu/hpet/0 is not in the tree"));
    g_clear_error(&error);
    FRESH();
    node = qidl_node_copy(tree, qidl_node_get_child(root, "hpet"));
    assert_true(qidl_node_rename(node, "hpet2", NULL));
    qidl_node_set_instance_path(node, "/qemu/hpet/1");
    assert_true(qidl_node_append(root, node, NULL));
    assert_false(qidl_qemu_stream_write_tree(tree, info, out, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_UNSUPPORTED);
    g_clear_error(&error);
    FRESH();
    qidl_node_set_type_name(qidl_node_get_child(root, "hpet"), "hpet2");
    assert_false(qidl_qemu_stream_write_tree(tree, info, out, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_INVALID);
    g_clear_error(&error);
    assert_int_equal(out->len, 0);
    qidl_tree_free(tree);
#undef FRESH
}

/* ---- the qidl tool on QEMU streams ---- */

static int run_qidl(char **out, const char *arg, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *err = NULL;
    GError *error = NULL;
    const char *root = g_getenv("QIDL_BUILD_ROOT");
    int status;
    va_list ap;

    assert_non_null(root);
    g_ptr_array_add(argv, g_build_filename(root, "tools", "qidl", NULL));
    va_start(ap, arg);
    for (const char *a = arg; a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, g_strdup(a));
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT,
                      NULL, NULL, out, &err, &status, &error)) {
        fail_msg("cannot run qidl: %s", error->message);
    }
    if (!WIFEXITED(status)) {
        fail_msg("qidl crashed: %s", err);
    }
    return WEXITSTATUS(status);
}

static void test_qemu_cli__dump_convert_filter_diff(void **state)
{
    const Source *s = source("pc");
    g_autofree char *rules = g_strdup_printf("%s/imr.json", tmpdir);
    g_autofree char *edited = g_strdup_printf("%s/pc-imr-cli.bin", tmpdir);
    g_autofree char *copy = g_strdup_printf("%s/pc-copy.bin", tmpdir);
    g_autofree char *native = g_strdup_printf("%s/pc.qidl", tmpdir);
    g_autofree char *text = NULL;
    g_autofree char *pic = NULL;
    g_autofree char *copied = NULL;
    gsize copied_len, len;
    const guint8 *data = source_data(s, &len);

    assert_true(g_file_set_contents(rules, imr_rules, -1, NULL));

    assert_int_equal(run_qidl(&text, "dump", s->file, NULL), 0);
    assert_true(g_str_has_prefix(text, "# qemu stream: version 3, machine "
                                       "pc-i440fx-7.2, section footers, "));
    assert_non_null(strstr(text, "\n# ram: 6 blocks, "));
    assert_non_null(strstr(text, "\ni8259.imr = (uint8) 0x0\n"));
    assert_non_null(strstr(text, "\ni8259#1.imr = (uint8) 0x0\n"));
    g_clear_pointer(&text, g_free);

    assert_int_equal(run_qidl(&text, "convert", s->file, copy, "--to",
                              "qemu", NULL), 0);
    assert_true(g_file_get_contents(copy, &copied, &copied_len, NULL));
    assert_int_equal(copied_len, len);
    assert_memory_equal(copied, data, len);
    g_clear_pointer(&text, g_free);

    /* Device state alone converts to the native form, not back. */
    assert_int_equal(run_qidl(&text, "convert", s->file, native, "--to",
                              "native", NULL), 0);
    g_clear_pointer(&text, g_free);
    assert_int_equal(run_qidl(&text, "convert", native, copy, "--to", "qemu",
                              NULL), 2);
    g_clear_pointer(&text, g_free);

    assert_int_equal(run_qidl(&text, "filter", "--rules", rules, s->file,
                              edited, NULL), 0);
    g_clear_pointer(&text, g_free);
    assert_int_equal(run_qidl(&text, "diff", s->file, edited, NULL), 1);
    assert_string_equal(text, "device /qemu/i8259/0 (i8259): 1 difference\n"
                              "  i8259.imr: (uint8) 0x0 -> (uint8) 0xfb\n"
                              "1 device differ, 1 field difference\n");

    pic = load_and_info_pic(s->machine, edited);
    assert_master_imr_fb(pic);
    g_clear_pointer(&pic, g_free);

    /* The filter's output piped straight into QEMU's incoming migration
     * (written piece by piece to standard output). */
    {
        g_autofree char *qidl = g_build_filename(
            g_getenv("QIDL_BUILD_ROOT"), "tools", "qidl", NULL);
        g_autofree char *q_qidl = g_shell_quote(qidl);
        g_autofree char *q_rules = g_shell_quote(rules);
        g_autofree char *q_file = g_shell_quote(s->file);
        g_autofree char *command = g_strdup_printf(
            "%s filter --quiet --rules %s %s -", q_qidl, q_rules, q_file);

        pic = incoming_info_pic(s->machine, command);
        assert_master_imr_fb(pic);
    }
}

/* ---- 4. truncated and corrupted streams ---- */

/* Reads @data (a derivative of @s) and checks how it fails, if it does. */
static GError *read_bad(const guint8 *data, gsize len, const char *vmdesc,
                        gsize vmdesc_len)
{
    g_autoptr(GBytes) bytes = g_bytes_new(data, len);
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    GError *error = NULL;
    g_autoptr(QidlTree) tree =
        qidl_qemu_stream_read_tree_full(bytes, vmdesc, (gssize)vmdesc_len,
                                        &info, &error);

    if (tree) {
        /* Whatever decodes is written back byte for byte. */
        g_autoptr(GByteArray) out = g_byte_array_new();

        assert_true(qidl_qemu_stream_write_tree(tree, info, out, NULL));
        assert_int_equal(out->len, len);
        assert_memory_equal(out->data, data, len);
        return NULL;
    }
    assert_non_null(error);
    assert_int_equal(error->domain, QIDL_ERROR);
    if (!strstr(error->message, "byte offset")) {
        fail_msg("no byte offset in \"%s\"", error->message);
    }
    return error;
}

static void expect_bad(const guint8 *data, gsize len, int code,
                       const char *prefix, const char *infix)
{
    g_autoptr(GError) error = read_bad(data, len, NULL, 0);

    if (!error) {
        fail_msg("decoded, expected \"%s...%s\"", prefix, infix);
    }
    if (error->code != code || !g_str_has_prefix(error->message, prefix) ||
        (infix && !strstr(error->message, infix))) {
        fail_msg("code %d \"%s\", expected code %d \"%s...%s\"",
                 error->code, error->message, code, prefix,
                 infix ? infix : "");
    }
}

static const QidlQemuRecord *find_record(const QidlQemuStreamInfo *info,
                                         QidlQemuRecordType type,
                                         const char *idstr, guint nth)
{
    for (guint i = 0; i < qidl_qemu_stream_info_get_n_records(info); i++) {
        const QidlQemuRecord *r = qidl_qemu_stream_info_get_record(info, i);

        if (r->type == type && (!idstr || g_strcmp0(r->idstr, idstr) == 0) &&
            nth-- == 0) {
            return r;
        }
    }
    g_assert_not_reached();
}

static void test_qemu_stream__truncated_fail(void **state)
{
    const Source *s = source("pc");
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree =
        qidl_qemu_stream_read_tree_full(s->bytes, NULL, -1, &info, NULL);
    gsize len, vmdesc_len;
    const guint8 *data = source_data(s, &len);
    const char *vmdesc = qidl_qemu_stream_info_get_vmdesc(info, &vmdesc_len);
    const QidlQemuRecord *setup = find_record(info, QIDL_QEMU_RECORD_START,
                                              "ram", 0);
    const QidlQemuRecord *timer = find_record(info, QIDL_QEMU_RECORD_FULL,
                                              "timer", 0);
    const QidlQemuRecord *pic = find_record(info, QIDL_QEMU_RECORD_FULL,
                                            "i8259", 1);
    const QidlQemuRecord *eof = find_record(info, QIDL_QEMU_RECORD_EOF,
                                            NULL, 0);
    g_autofree char *prefix = NULL;
    g_autofree char *msg = NULL;
    GError *error;

    assert_non_null(tree);
    expect_bad(data, 6, QIDL_ERROR_TRUNCATED,
               "QEMU stream header truncated at byte offset 6", NULL);
    expect_bad(data, 12, QIDL_ERROR_TRUNCATED,
               "configuration: machine type truncated at byte offset 9",
               NULL);
    expect_bad(data, setup->offset + 3, QIDL_ERROR_TRUNCATED,
               "section header truncated at byte offset", NULL);
    expect_bad(data, setup->payload_offset + 20, QIDL_ERROR_TRUNCATED,
               "section 2 'ram' (instance 0): RAM record at byte offset ",
               ": truncated at byte offset");
    /* In the middle of a page sent whole. */
    expect_bad(data, timer->offset - 3000, QIDL_ERROR_TRUNCATED,
               "section ", "'ram' (instance 0): RAM record at byte offset");
    /* Device sections, without their trailer, cannot be delimited. */
    prefix = g_strdup_printf("section %u 'timer' (instance 0): no vmdesc",
                             timer->section_id);
    expect_bad(data, pic->payload_offset + 2, QIDL_ERROR_UNSUPPORTED, prefix,
               "truncated?");
    expect_bad(data, eof->offset + 1 + 100, QIDL_ERROR_TRUNCATED,
               "vmdesc trailer at byte offset ", "bytes of JSON announced");

    /* With the full stream's vmdesc: the section and the field. */
    error = read_bad(data, pic->payload_offset + 2, vmdesc, vmdesc_len);
    msg = g_strdup_printf("section %u 'i8259' (instance 1): field imr: "
                          "truncated at byte offset %" G_GSIZE_FORMAT
                          " (needs 1 byte, 0 left)", pic->section_id,
                          pic->payload_offset + 2);
    assert_non_null(error);
    assert_int_equal(error->code, QIDL_ERROR_TRUNCATED);
    assert_string_equal(error->message, msg);
    g_error_free(error);

    /* Every cut, sampled, from the first device section to the end. */
    for (gsize cut = timer->offset; cut < len; cut += 37) {
        error = read_bad(data, cut, cut < eof->offset ? vmdesc : NULL,
                         vmdesc_len);
        assert_non_null(error);
        g_error_free(error);
    }
    /* And a few through RAM and the header. */
    for (gsize cut = 0; cut < timer->offset; cut += timer->offset / 50) {
        error = read_bad(data, cut, NULL, 0);
        assert_non_null(error);
        g_error_free(error);
    }
}

static void test_qemu_stream__corrupted_fail(void **state)
{
    const Source *s = source("pc");
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree =
        qidl_qemu_stream_read_tree_full(s->bytes, NULL, -1, &info, NULL);
    gsize len;
    const guint8 *data = source_data(s, &len);
    g_autofree guint8 *bad = g_memdup2(data, len);
    const QidlQemuRecord *setup = find_record(info, QIDL_QEMU_RECORD_START,
                                              "ram", 0);
    const QidlQemuRecord *pic = find_record(info, QIDL_QEMU_RECORD_FULL,
                                            "i8259", 0);
    const QidlQemuRecord *fw = find_record(info, QIDL_QEMU_RECORD_FULL,
                                           "fw_cfg", 0);
    const QidlQemuRecord *trailer = find_record(info,
                                                QIDL_QEMU_RECORD_VMDESC,
                                                NULL, 0);
    g_autofree char *label = g_strdup_printf(
        "section %u 'i8259' (instance 0): ", pic->section_id);
    g_autofree char *fw_label = g_strdup_printf(
        "section %u 'fw_cfg' (instance 0): ", fw->section_id);
    Walk w = { 0 };
    GRand *rand;

#define CORRUPT(off, value, code, prefix, infix)                            \
    do {                                                                    \
        bad[off] = (value);                                                 \
        expect_bad(bad, len, code, prefix, infix);                          \
        bad[off] = data[off];                                               \
    } while (0)

    assert_non_null(tree);
    CORRUPT(0, 'X', QIDL_ERROR_INVALID,
            "not a QEMU migration stream: no \"QEVM\" magic at byte offset 0",
            NULL);
    CORRUPT(7, 2, QIDL_ERROR_VERSION, "QEMU stream version 2 at byte "
            "offset 4: only version 3 is supported", NULL);
    CORRUPT(9, 1, QIDL_ERROR_INVALID,
            "configuration: machine type longer than 255 bytes", NULL);
    /* The RAM block list announced with the obsolete FULL flag. */
    CORRUPT(setup->payload_offset + 7, 0x01, QIDL_ERROR_INVALID,
            "section 2 'ram' (instance 0): RAM record at byte offset ",
            ": invalid flags 0x1");
    CORRUPT(pic->offset, 0x09, QIDL_ERROR_INVALID,
            "unknown record type 0x09 at byte offset ", "(after section ");
    CORRUPT(pic->payload_offset - 13, 'j', QIDL_ERROR_INVALID,
            "section ", "'j8259' (instance 0): at byte offset ");
    CORRUPT(pic->payload_offset + pic->payload_length, 0x7f,
            QIDL_ERROR_INVALID, label, "no section footer at byte offset");
    CORRUPT(pic->payload_offset + pic->payload_length + 4, 0x55,
            QIDL_ERROR_INVALID, label, "no section footer at byte offset");
    /* The first subsection header of fw_cfg: "fw_cfg/dma". */
    CORRUPT(fw->payload_offset + 6 + 2, 'F', QIDL_ERROR_INVALID, fw_label,
            "field fw_cfg/dma: no header of subsection 'fw_cfg/dma'");
    /* The vmdesc: its first byte, its length, its contents. */
    CORRUPT(trailer->payload_offset, '[', QIDL_ERROR_INVALID,
            "vmdesc trailer at byte offset", "not JSON");
    CORRUPT(trailer->offset + 4, data[trailer->offset + 4] + 1,
            QIDL_ERROR_TRUNCATED, "vmdesc trailer at byte offset",
            "bytes of JSON announced");
    CORRUPT(trailer->offset + 4, data[trailer->offset + 4] - 1,
            QIDL_ERROR_UNKNOWN_FIELD, "1 bytes after the vmdesc trailer at "
            "byte offset", NULL);
    CORRUPT(trailer->payload_offset + 1, '!', QIDL_ERROR_INVALID,
            "vmdesc trailer at byte offset", "not JSON");

    /* A bool that is neither 0 nor 1. */
    check_against_vmdesc(tree, info, &w);
    assert_true(w.first_bool > 0);
    CORRUPT(w.first_bool, 2, QIDL_ERROR_INVALID, "section ",
            "is neither 0 nor 1");

    /* Random single-byte corruption: an error with an offset, or a stream
     * that re-encodes to itself; never a crash. */
    rand = g_rand_new_with_seed(20230901);
    for (guint i = 0; i < 400; i++) {
        gsize off = i % 4 == 0 ? (gsize)g_rand_int_range(rand, 0, (gint32)len)
                               : (gsize)g_rand_int_range(
                                     rand, (gint32)pic->offset - 4000,
                                     (gint32)len);
        GError *error;

        bad[off] ^= (guint8)g_rand_int_range(rand, 1, 256);
        error = read_bad(bad, len, NULL, 0);
        if (error) {
            g_error_free(error);
        }
        bad[off] = data[off];
    }
    g_rand_free(rand);
#undef CORRUPT
}

/* ---- hand-made streams: every vmdesc shape, and hostile ones ---- */

/*
 * A stream with one FULL section "dev" (instance 0, version 1) holding
 * @state, no configuration, no footers, and @vmdesc as its trailer.
 */
static GBytes *synthetic(const char *vmdesc, const guint8 *state,
                         gsize state_len)
{
    static const guint8 head[] = {
        'Q', 'E', 'V', 'M', 0, 0, 0, 3,
        0x04, 0, 0, 0, 1, 3, 'd', 'e', 'v', 0, 0, 0, 0, 0, 0, 0, 1,
    };
    GByteArray *b = g_byte_array_new();
    guint32 n = GUINT32_TO_BE((guint32)strlen(vmdesc));

    g_byte_array_append(b, head, sizeof(head));
    g_byte_array_append(b, state, (guint)state_len);
    g_byte_array_append(b, (const guint8 *)"\0\6", 2);
    g_byte_array_append(b, (const guint8 *)&n, 4);
    g_byte_array_append(b, (const guint8 *)vmdesc, (guint)strlen(vmdesc));
    return g_byte_array_free_to_bytes(b);
}

#define DEV_HEAD "{\"page_size\": 4096, \"devices\": [{\"name\": \"dev\", " \
                 "\"instance_id\": 0, \"vmsd_name\": \"dev\", \"version\": 1, "

static void test_qemu_stream__vmdesc_shapes(void **state)
{
    static const char vmdesc[] = DEV_HEAD
        "\"fields\": [{\"name\": \"a\", \"type\": \"bool\", \"size\": 1}, "
        "{\"name\": \"t\", \"type\": \"timer\", \"size\": 8}, "
        "{\"name\": \"d\", \"type\": \"float64\", \"size\": 8}, "
        "{\"name\": \"s\", \"type\": \"int16\", \"size\": 2}, "
        "{\"name\": \"arr\", \"index\": 0, \"type\": \"uint8\", \"size\": 1}, "
        "{\"name\": \"arr\", \"index\": 1, \"type\": \"uint16\", \"size\": 2}, "
        "{\"name\": \"x.y[1]\", \"type\": \"uint32 equal\", \"size\": 4}, "
        "{\"name\": \"w\", \"array_len\": 2, \"type\": \"struct\", "
        "\"struct\": {\"vmsd_name\": \"w\", \"version\": 1, \"fields\": "
        "[{\"name\": \"lo\", \"type\": \"uint8\", \"size\": 1}, "
        "{\"name\": \"hi\", \"type\": \"int8\", \"size\": 1}]}, \"size\": 2}, "
        "{\"name\": \"odd\", \"type\": \"struct\", \"struct\": "
        "{\"vmsd_name\": \"o\", \"version\": 1, \"fields\": [{\"name\": "
        "\"a\", \"type\": \"uint8\", \"size\": 1}]}, \"size\": 2}, "
        "{\"name\": \"wide\", \"type\": \"uint8\", \"size\": 4}], "
        "\"subsections\": [{\"vmsd_name\": \"dev/sub\", \"version\": 2, "
        "\"fields\": [{\"name\": \"q\", \"type\": \"buffer\", "
        "\"size\": 3}]}]}]}";
    static const guint8 bytes[] = {
        0x01,                                           /* a */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* t = -1 */
        0x3f, 0xf8, 0, 0, 0, 0, 0, 0,                   /* d = 1.5 */
        0xff, 0xfe,                                     /* s = -2 */
        0x07, 0x00, 0x09,                               /* arr */
        0x00, 0x00, 0x00, 0x2a,                         /* x.y[1] */
        0x01, 0xff, 0x02, 0xfe,                         /* w[0], w[1] */
        0xaa, 0xbb,                                     /* odd */
        0xde, 0xad, 0xbe, 0xef,                         /* wide */
        0x05, 7, 'd', 'e', 'v', '/', 's', 'u', 'b', 0, 0, 0, 2,
        'a', 'b', 'c',
    };
    g_autoptr(GBytes) stream = synthetic(vmdesc, bytes, sizeof(bytes));
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree =
        qidl_qemu_stream_read_tree_full(stream, NULL, -1, &info, &error);
    g_autoptr(GByteArray) out = g_byte_array_new();
    const QidlNode *dev;
    gsize len;

    assert_no_error(error);
    dev = qidl_node_get_child(qidl_tree_get_root(tree), "dev");
    assert_non_null(dev);
    assert_string_equal(qidl_node_get_instance_path(dev), "/qemu/dev/0");
    assert_false(qidl_qemu_stream_info_has_footers(info));
    assert_true(qidl_node_get_bool(qidl_node_find(dev, "a")));
    assert_int_equal(qidl_node_get_int(qidl_node_find(dev, "t")), -1);
    assert_true(qidl_node_get_double(qidl_node_find(dev, "d")) == 1.5);
    assert_int_equal(qidl_node_get_kind(qidl_node_find(dev, "s")),
                     QIDL_KIND_INT16);
    assert_int_equal(qidl_node_get_int(qidl_node_find(dev, "s")), -2);
    assert_int_equal(qidl_node_get_kind(qidl_node_find(dev, "arr[1]")),
                     QIDL_KIND_UINT16);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(dev, "x_y<1>")), 42);
    assert_int_equal(qidl_node_get_int(qidl_node_find(dev, "w[1].hi")), -2);
    /* A struct that does not add up, a scalar of another width: bytes. */
    qidl_node_get_bytes(qidl_node_find(dev, "odd"), &len);
    assert_int_equal(len, 2);
    qidl_node_get_bytes(qidl_node_find(dev, "wide"), &len);
    assert_int_equal(len, 4);
    assert_memory_equal(qidl_node_get_bytes(qidl_node_find(dev, "dev/sub.q"),
                                            NULL), "abc", 3);
    assert_true(qidl_qemu_stream_write_tree(tree, info, out, NULL));
    assert_int_equal(out->len, g_bytes_get_size(stream));
    assert_memory_equal(out->data, g_bytes_get_data(stream, NULL), out->len);
}

/*
 * The trailer is found from the end of the stream, where its JSON text
 * has no 0x06 byte; its length may have one (1542 bytes: 00 00 06 06),
 * and a trailer of any length is found, and told from a stream cut or
 * extended by a byte.
 */
static void test_qemu_stream__vmdesc_length_bytes(void **state)
{
    static const char text[] = DEV_HEAD
        "\"fields\": [{\"name\": \"a\", \"type\": \"uint8\", "
        "\"size\": 1}]}]}";
    static const guint lengths[] = {
        0x0105, 0x0106, 0x0206, 0x05ff, 0x0600, 0x0606, 0x06a2, 0x1006,
        0x10606, 0x60006, 0x60606,
    };
    static const guint8 one[] = { 0x2a };

    for (gsize i = 0; i < G_N_ELEMENTS(lengths); i++) {
        /* The text, padded with spaces after its '{' to the length. */
        g_autoptr(GString) vmdesc = g_string_new("{");
        g_autoptr(GBytes) stream = NULL;
        g_autoptr(QidlQemuStreamInfo) info = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(QidlTree) tree = NULL;
        g_autoptr(GByteArray) out = g_byte_array_new();
        g_autofree guint8 *bad = NULL;
        const guint8 *data;
        gsize len, vmdesc_len;

        for (gsize n = strlen(text); n < lengths[i]; n++) {
            g_string_append_c(vmdesc, ' ');
        }
        g_string_append(vmdesc, text + 1);
        assert_int_equal(vmdesc->len, lengths[i]);
        stream = synthetic(vmdesc->str, one, sizeof(one));
        tree = qidl_qemu_stream_read_tree_full(stream, NULL, -1, &info,
                                               &error);
        if (!tree) {
            fail_msg("vmdesc of %u bytes: %s", lengths[i], error->message);
        }
        assert_int_equal(qidl_node_get_uint(qidl_node_find(
                             qidl_node_get_child(qidl_tree_get_root(tree),
                                                 "dev"), "a")), 42);
        qidl_qemu_stream_info_get_vmdesc(info, &vmdesc_len);
        assert_int_equal(vmdesc_len, lengths[i]);
        assert_true(qidl_qemu_stream_write_tree(tree, info, out, NULL));
        data = g_bytes_get_data(stream, &len);
        assert_int_equal(out->len, len);
        assert_memory_equal(out->data, data, len);

        /* Cut by a byte, then extended by one. */
        expect_bad(data, len - 1, QIDL_ERROR_TRUNCATED, "vmdesc trailer at "
                   "byte offset", "bytes of JSON announced");
        bad = g_malloc(len + 1);
        memcpy(bad, data, len);
        bad[len] = ' ';
        expect_bad(bad, len + 1, QIDL_ERROR_UNKNOWN_FIELD,
                   "1 bytes after the vmdesc trailer at byte offset", NULL);
    }
}

static void expect_synthetic_fail(const char *vmdesc, const guint8 *state,
                                  gsize state_len, int code,
                                  const char *infix)
{
    g_autoptr(GBytes) stream = synthetic(vmdesc, state, state_len);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree =
        qidl_qemu_stream_read_tree_full(stream, NULL, -1, NULL, &error);

    assert_null(tree);
    assert_non_null(error);
    if (error->domain != QIDL_ERROR || error->code != code ||
        !strstr(error->message, infix)) {
        fail_msg("code %d \"%s\", expected code %d \"...%s...\"",
                 error->code, error->message, code, infix);
    }
}

static void test_qemu_stream__hostile_vmdesc_fail(void **state)
{
    static const guint8 one[] = { 0 };
    g_autoptr(GString) deep = g_string_new("{\"devices\": ");
    g_autoptr(GString) subs = g_string_new(DEV_HEAD "\"fields\": [], ");
    g_autofree char *long_name = g_strnfill(256, 'n');
    g_autofree char *long_sub = NULL;

    /* Nesting past the text bound, then past the depth bound. */
    for (guint i = 0; i < 1000; i++) {
        g_string_append_c(deep, '[');
    }
    expect_synthetic_fail(deep->str, one, 1, QIDL_ERROR_LIMIT,
                          "nesting exceeds 196 levels");
    for (guint i = 0; i < QIDL_LIMIT_DEPTH; i++) {
        g_string_append(subs, "\"subsections\": [{\"vmsd_name\": \"s\", "
                              "\"version\": 1, \"fields\": [], ");
    }
    g_string_append(subs, "\"x\": 0");
    for (guint i = 0; i < QIDL_LIMIT_DEPTH; i++) {
        g_string_append(subs, "}]");
    }
    g_string_append(subs, "}]}");
    expect_synthetic_fail(subs->str, one, 1, QIDL_ERROR_LIMIT,
                          "nesting exceeds 64 levels");

    /* Counts: the bytes run out; the field budget runs out; refused. */
    expect_synthetic_fail(DEV_HEAD "\"fields\": [{\"name\": \"a\", "
                          "\"array_len\": 1000000, \"type\": \"uint8\", "
                          "\"size\": 1}]}]}", one, 1, QIDL_ERROR_TRUNCATED,
                          "field a[1]: truncated at byte offset 26");
    expect_synthetic_fail(DEV_HEAD "\"fields\": [{\"name\": \"a\", "
                          "\"array_len\": 16777216, \"type\": \"uint8\", "
                          "\"size\": 1}]}]}", one, 1, QIDL_ERROR_LIMIT,
                          "more than 16777216 fields");
    expect_synthetic_fail(DEV_HEAD "\"fields\": [{\"name\": \"a\", "
                          "\"array_len\": 16777217, \"type\": \"uint8\", "
                          "\"size\": 1}]}]}", one, 1, QIDL_ERROR_INVALID,
                          "\"array_len\": 16777217 is not in [0, 16777216]");
    expect_synthetic_fail(DEV_HEAD "\"fields\": [{\"name\": \"a\", "
                          "\"type\": \"buffer\", \"size\": 4294967296}]}]}",
                          one, 1, QIDL_ERROR_INVALID, "\"size\": 4294967296");
    /* Device state beyond QIDL_LIMIT_QEMU_STATE_LEN in all, each section
     * within it: refused before a section is read. */
    expect_synthetic_fail(DEV_HEAD "\"fields\": [{\"name\": \"a\", "
                          "\"type\": \"buffer\", \"size\": 1610612736}]}, "
                          "{\"name\": \"dev\", \"instance_id\": 1, "
                          "\"fields\": [{\"name\": \"a\", \"type\": "
                          "\"buffer\", \"size\": 1610612736}]}]}", one, 1,
                          QIDL_ERROR_LIMIT, "devices[1] ('dev'): the devices "
                          "describe more than 2147483648 bytes of state");
    expect_synthetic_fail(DEV_HEAD "\"fields\": [{\"name\": \"a\", "
                          "\"index\": 1, \"type\": \"uint8\", \"size\": 1}]}"
                          "]}", one, 1, QIDL_ERROR_INVALID,
                          "devices[0] ('dev').fields[0]: \"index\": 1");
    expect_synthetic_fail(DEV_HEAD "\"fields\": [{\"name\": \"a\", "
                          "\"size\": 1}]}]}", one, 1, QIDL_ERROR_INVALID,
                          "\"type\": expected a string");
    long_sub = g_strdup_printf(DEV_HEAD "\"fields\": [], \"subsections\": "
                               "[{\"vmsd_name\": \"%s\", \"version\": 1, "
                               "\"fields\": []}]}]}", long_name);
    expect_synthetic_fail(long_sub, one, 1, QIDL_ERROR_INVALID,
                          "subsection name of 256 bytes");

    /* The pairing rule. */
    expect_synthetic_fail("{\"devices\": [{\"name\": \"other\", "
                          "\"instance_id\": 0, \"fields\": []}]}", one, 1,
                          QIDL_ERROR_INVALID,
                          "section 1 'dev' (instance 0): at byte offset 8: "
                          "vmdesc entry 0 describes 'other' (instance 0)");
    expect_synthetic_fail("{\"devices\": [{\"name\": \"dev\", "
                          "\"instance_id\": 0, \"fields\": [{\"name\": "
                          "\"a\", \"type\": \"uint8\", \"size\": 1}]}, "
                          "{\"name\": \"dev\", \"instance_id\": 1, "
                          "\"fields\": []}]}", one, 1, QIDL_ERROR_INVALID,
                          "vmdesc: describes 2 sections, the stream has 1");
    /* Fewer bytes described than the section holds. */
    expect_synthetic_fail("{\"devices\": [{\"name\": \"dev\", "
                          "\"instance_id\": 0, \"fields\": []}]}",
                          (const guint8 *)"B", 1, QIDL_ERROR_INVALID,
                          "unknown record type 0x42 at byte offset 25 (after "
                          "section 1 'dev' (instance 0))");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_stream__decode_matches_vmdesc),
        cmocka_unit_test(test_qemu_stream__records),
        cmocka_unit_test(test_qemu_stream__roundtrip_identical),
        cmocka_unit_test(test_qemu_stream__wide_sections),
        cmocka_unit_test(test_qemu_stream__supplied_vmdesc),
        cmocka_unit_test(test_qemu_stream__edited_pic_loads),
        cmocka_unit_test(test_qemu_stream__layout_edit_fail),
        cmocka_unit_test(test_qemu_cli__dump_convert_filter_diff),
        cmocka_unit_test(test_qemu_stream__truncated_fail),
        cmocka_unit_test(test_qemu_stream__corrupted_fail),
        cmocka_unit_test(test_qemu_stream__vmdesc_shapes),
        cmocka_unit_test(test_qemu_stream__vmdesc_length_bytes),
        cmocka_unit_test(test_qemu_stream__hostile_vmdesc_fail),
    };
    g_autofree char *why = NULL;
    g_autofree char *qemu = qemu_runner_find(&why);

    if (!qemu) {
        /* Not a silent skip: the suite needs real QEMU. */
        printf("Bail out! %s\n", why);
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    return cmocka_run_group_tests_name("qemu-stream", tests, group_setup,
                                       group_teardown);
}
