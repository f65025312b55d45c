/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hw/ devices against QEMU 7.2's own sections: the RTC, the PIC pair,
 * the PIT and the UART load their sections from a real QEMU stream through
 * the code qidl-extract generated (the legacy input visitor, the atomic
 * loader with its hooks), and save them back byte for byte.
 *
 * Two streams: a pc machine stopped at reset (-S) and one that ran its
 * firmware for a second (the BIOS programs the PIC masks, the PIT and the
 * RTC), both with an ISA serial port.  Without qemu-system-x86_64 the
 * program fails (TAP "Bail out!") naming the Debian package to install.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <qidl/legacy.h>
#include <qidl/qemu-stream.h>

#include "i8254.qidl.h"
#include "i8259.qidl.h"
#include "qemu-runner.h"
#include "rtc.qidl.h"
#include "serial.qidl.h"

typedef struct {
    const char *name;
    gboolean running;
    GBytes *bytes;
    QidlQemuStreamInfo *info;
    QidlTree *tree;
} Source;

static Source sources[] = {
    { "pc-reset", FALSE },
    { "pc-bios", TRUE },
};

static char *tmpdir;

static int group_setup(void **state)
{
    g_autoptr(GError) error = NULL;

    tmpdir = g_dir_make_tmp("qidl-qemu-dev-XXXXXX", &error);
    g_assert_no_error(error);
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        Source *s = &sources[i];
        const char *extra[] = { "-chardev", "null,id=ser0", "-device",
                                "isa-serial,chardev=ser0", NULL };
        g_autofree char *file = g_strdup_printf("%s/%s.bin", tmpdir,
                                                s->name);
        g_autoptr(QemuVm) vm = qemu_vm_start(tmpdir, "pc", extra, NULL,
                                             &error);
        char *data;
        gsize len;

        if (vm && s->running) {
            g_autoptr(JsonNode) ret = qemu_vm_qmp(vm, "cont", NULL, &error);

            g_usleep(G_USEC_PER_SEC);
            if (ret) {
                g_clear_pointer(&ret, json_node_unref);
                ret = qemu_vm_qmp(vm, "stop", NULL, &error);
            }
            if (!ret) {
                g_clear_pointer(&vm, qemu_vm_free);
            }
        }
        if (!vm || !qemu_vm_migrate_to_file(vm, file, &error) ||
            !g_file_get_contents(file, &data, &len, &error)) {
            fprintf(stderr, "# cannot make the %s stream: %s\n", s->name,
                    error->message);
            return -1;
        }
        g_unlink(file);
        s->bytes = g_bytes_new_take(data, len);
        s->tree = qidl_qemu_stream_read_tree_full(s->bytes, NULL, -1,
                                                  &s->info, &error);
        if (!s->tree) {
            fprintf(stderr, "# %s: %s\n", s->name, error->message);
            return -1;
        }
    }
    return 0;
}

static int group_teardown(void **state)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        g_clear_pointer(&sources[i].tree, qidl_tree_free);
        g_clear_pointer(&sources[i].info, qidl_qemu_stream_info_free);
        g_clear_pointer(&sources[i].bytes, g_bytes_unref);
    }
    if (tmpdir) {
        g_autoptr(GDir) dir = g_dir_open(tmpdir, 0, NULL);
        const char *name;

        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree char *path = g_build_filename(tmpdir, name, NULL);

            g_unlink(path);
        }
        g_rmdir(tmpdir);
    }
    g_clear_pointer(&tmpdir, g_free);
    return 0;
}

/* The section of @s decoded into @path, and its bytes. */
static const QidlQemuRecord *section(const Source *s, const char *path,
                                     const guint8 **payload)
{
    const QidlQemuRecord *rec = qidl_qemu_stream_info_find_device(s->info,
                                                                  path);
    gsize len;

    if (!rec) {
        fail_msg("%s: no section %s", s->name, path);
    }
    *payload = qidl_qemu_stream_info_get_data(s->info, &len) +
               rec->payload_offset;
    return rec;
}

/* Fails naming the first byte where @out differs from the section. */
static void assert_same_bytes(const Source *s, const QidlQemuRecord *rec,
                              const guint8 *payload, const GByteArray *out)
{
    for (gsize i = 0; i < MIN(out->len, rec->payload_length); i++) {
        if (out->data[i] != payload[i]) {
            fail_msg("%s: section '%s' (instance %u): saved 0x%02x where "
                     "QEMU wrote 0x%02x at byte %" G_GSIZE_FORMAT " of %"
                     G_GSIZE_FORMAT, s->name, rec->idstr, rec->instance_id,
                     out->data[i], payload[i], i, rec->payload_length);
        }
    }
    if (out->len != rec->payload_length) {
        fail_msg("%s: section '%s' (instance %u): saved %u bytes, QEMU "
                 "wrote %" G_GSIZE_FORMAT, s->name, rec->idstr,
                 rec->instance_id, out->len, rec->payload_length);
    }
}

/*
 * Loads the section at @path into *@obj with the generated atomic loader
 * (a legacy input visitor over the section's bytes, at their offset in the
 * stream, with the section's version), then saves *@obj with the generated
 * visit function and compares.  A macro: the generated functions are typed.
 */
#define ROUNDTRIP(src, path, Type, top, obj)                                 \
    do {                                                                    \
        const guint8 *payload_;                                             \
        const QidlQemuRecord *rec_ = section((src), (path), &payload_);       \
        g_autoptr(QidlVisitor) in_ = qidl_legacy_input_visitor_new(         \
            payload_, rec_->payload_length, rec_->payload_offset,           \
            QIDL_LEGACY_INPUT_NONE);                                        \
        g_autoptr(GByteArray) out_ = g_byte_array_new();                    \
        g_autoptr(QidlVisitor) ov_ = qidl_legacy_output_visitor_new(out_);  \
        g_autoptr(GError) error_ = NULL;                                    \
                                                                            \
        qidl_visitor_set_version(in_, rec_->version);                       \
        if (!qidl_load_##Type(in_, (top), (obj), &error_) ||               \
            !qidl_visitor_complete(in_, &error_)) {                         \
            fail_msg("%s: loading %s: %s", (src)->name, (path),               \
                     error_->message);                                      \
        }                                                                   \
        if (!qidl_visit_##Type(ov_, (top), (obj), &error_) ||              \
            !qidl_visitor_complete(ov_, &error_)) {                         \
            fail_msg("%s: saving %s: %s", (src)->name, (path),                \
                     error_->message);                                      \
        }                                                                   \
        assert_same_bytes((src), rec_, payload_, out_);                       \
    } while (0)

static void irq_ignore(void *opaque, int n, bool level)
{
}

static const HwIrq irq = { irq_ignore, NULL, 0 };

static void test_qemu_devices__pic_pair(void **state)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        PICCommonState master, slave;

        pic_init(&master, true, &irq);
        pic_init(&slave, false, &irq);
        ROUNDTRIP(&sources[i], "/qemu/i8259/0", PICCommonState, "i8259",
                  &master);
        ROUNDTRIP(&sources[i], "/qemu/i8259/1", PICCommonState, "i8259",
                  &slave);
        /* The values QEMU saved are the device's now. */
        assert_int_equal(master.imr, qidl_node_get_uint(qidl_node_find(
                             qidl_tree_get_root(sources[i].tree),
                             "i8259.imr")));
        assert_int_equal(slave.elcr, qidl_node_get_uint(qidl_node_find(
                             qidl_tree_get_root(sources[i].tree),
                             "i8259#1.elcr")));
    }
}

static void test_qemu_devices__rtc(void **state)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        RTCState rtc;
        const QidlNode *cmos = qidl_node_find(
            qidl_tree_get_root(sources[i].tree), "mc146818rtc.cmos_data");
        gsize n;
        const guint8 *bytes;

        rtc_init(&rtc, &irq, 0, 0);
        rtc_pre_load(&rtc);
        ROUNDTRIP(&sources[i], "/qemu/mc146818rtc/0", RTCState,
                  "mc146818rtc", &rtc);
        assert_non_null(cmos);
        bytes = qidl_node_get_bytes(cmos, &n);
        assert_int_equal(n, sizeof(rtc.cmos_data));
        assert_memory_equal(rtc.cmos_data, bytes, n);
    }
}

static void test_qemu_devices__pit(void **state)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        PITCommonState pit;

        pit_init(&pit, &irq, 0);
        ROUNDTRIP(&sources[i], "/qemu/i8254/0", PITCommonState, "i8254",
                  &pit);
    }
}

static void test_qemu_devices__uart(void **state)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        SerialState ser;

        serial_init(&ser, &irq, NULL);
        serial_pre_load(&ser);
        ROUNDTRIP(&sources[i], "/qemu/serial/0", SerialState, "serial",
                  &ser);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_devices__pic_pair),
        cmocka_unit_test(test_qemu_devices__rtc),
        cmocka_unit_test(test_qemu_devices__pit),
        cmocka_unit_test(test_qemu_devices__uart),
    };
    g_autofree char *why = NULL;
    g_autofree char *qemu = qemu_runner_find(&why);

    if (!qemu) {
        printf("Bail out! %s\n", why);
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    return cmocka_run_group_tests_name("qemu-devices", tests, group_setup,
                                       group_teardown);
}
