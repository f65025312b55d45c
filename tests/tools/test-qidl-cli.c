/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qidl command-line tool, run as a real process on real files: output
 * and exit status of dump, convert, filter and diff, and of their errors.
 * The test builds its streams with the library (a small machine of two
 * counters and a kvm-apic-like device), and a QEMU stream by hand
 * (qemu-synth.h), in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <zlib.h>
#include <zstd.h>
#include <qidl/devices.h>
#include <qidl/json.h>

#include "counter.h"
#include "qemu-synth.h"

static const QidlDeviceClass kvm_apic_class = {
    .type_name = "kvm-apic", .version = 3, .min_version = 1,
    .size = sizeof(Counter), .visit = counter_visit,
};

typedef struct {
    char *dir;
    char *qidl;
} Fixture;

/* Writes a native stream of the three devices, c0.ticks = @ticks. */
static char *write_stream(Fixture *f, const char *file, guint32 ticks,
                          gboolean with_apic)
{
    Counter c0 = { ticks, { 1, 2 } }, c1 = { 200, { 3, 4 } };
    Counter apic = { 7, { 0xfe, 0xee } };
    g_autoptr(QidlDeviceSet) set = qidl_device_set_new();
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(bytes, "test",
                                                            "1", 0);
    char *path = g_build_filename(f->dir, file, NULL);

    assert_true(qidl_device_set_add(set, &counter_class, "/machine/c0", "c0",
                                    &c0, NULL));
    assert_true(qidl_device_set_add(set, &counter_class, "/machine/c1", "c1",
                                    &c1, NULL));
    if (with_apic) {
        assert_true(qidl_device_set_add(set, &kvm_apic_class,
                                        "/machine/apic0", "apic0", &apic,
                                        NULL));
    }
    assert_true(qidl_device_set_save_stream(set, w, NULL));
    assert_true(qidl_stream_writer_finish(w, NULL));
    assert_true(g_file_set_contents(path, (const char *)bytes->data,
                                    bytes->len, NULL));
    return path;
}

/* Runs qidl with @args (NULL-terminated); returns the exit status. */
static int run(Fixture *f, char **out, char **err, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    int status;
    va_list ap;
    const char *arg;

    g_ptr_array_add(argv, f->qidl);
    va_start(ap, err);
    while ((arg = va_arg(ap, const char *))) {
        g_ptr_array_add(argv, (char *)arg);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    assert_true(g_spawn_sync(f->dir, (char **)argv->pdata, NULL, 0, NULL,
                             NULL, out, err, &status, &error));
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/*
 * Runs the shell command @pipeline (with "QIDL" standing for the tool,
 * quoted) in the fixture's directory; returns the exit status and the
 * standard error in *@err.
 */
static int run_sh(Fixture *f, char **err, const char *pipeline)
{
    g_autofree char *quoted = g_shell_quote(f->qidl);
    g_auto(GStrv) parts = g_strsplit(pipeline, "QIDL", -1);
    g_autofree char *cmd = g_strjoinv(quoted, parts);
    char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    g_autofree char *out = NULL;
    int status;

    assert_true(g_spawn_sync(f->dir, argv, NULL, 0, NULL, NULL, &out, err,
                             &status, NULL));
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    const char *build = g_getenv("QIDL_BUILD_ROOT");

    assert_non_null(build);
    f->qidl = g_build_filename(build, "tools", "qidl", NULL);
    f->dir = g_dir_make_tmp("qidl-cli-XXXXXX", NULL);
    assert_non_null(f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(f->dir, name, NULL);

        g_unlink(path);
    }
    g_rmdir(f->dir);
    g_free(f->dir);
    g_free(f->qidl);
    g_free(f);
    return 0;
}

static void test_cli__help(void **state)
{
    Fixture *f = *state;
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL;

    assert_int_equal(run(f, &out, &err, "--help", NULL), 0);
    assert_non_null(strstr(out, "Usage: qidl COMMAND"));
    assert_non_null(strstr(out, "  dump "));
    assert_non_null(strstr(out, "  diff "));
    assert_int_equal(run(f, &out2, &err2, "dump", "--help", NULL), 0);
    assert_non_null(strstr(out2, "--format"));
    assert_non_null(strstr(out2, "--device"));
    assert_int_equal(run(f, &out3, &err3, "--version", NULL), 0);
    assert_true(g_str_has_prefix(out3, "qidl "));
}

static void test_cli__usage_fail(void **state)
{
    Fixture *f = *state;
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL;
    g_autofree char *out4 = NULL, *err4 = NULL;

    assert_int_equal(run(f, &out, &err, NULL), 2);
    assert_non_null(strstr(err, "Usage: qidl COMMAND"));
    assert_int_equal(run(f, &out2, &err2, "frobnicate", NULL), 2);
    assert_non_null(strstr(err2, "qidl: unknown command 'frobnicate'"));
    assert_int_equal(run(f, &out3, &err3, "dump", NULL), 2);
    assert_non_null(strstr(err3, "qidl: dump takes one STREAM"));
    assert_int_equal(run(f, &out4, &err4, "dump", "--format", "xml", "x",
                         NULL), 2);
    assert_non_null(strstr(err4, "--format must be pretty, json or tree, "
                                 "not \"xml\""));
}

static void test_cli__dump_pretty(void **state)
{
    Fixture *f = *state;
    g_autofree char *path = write_stream(f, "m.qidl", 100, TRUE);
    g_autofree char *out = NULL, *err = NULL;

    assert_int_equal(run(f, &out, &err, "dump", path, NULL), 0);
    assert_string_equal(out,
        "# stream: format 1.0, producer test 1, 3 devices\n"
        "# device c0: type counter, path /machine/c0, version 2\n"
        "c0.ticks = (uint32) 0x64\n"
        "c0.regs(2)(0).[0] = (uint8) 0x1\n"
        "c0.regs(2)(0).[1] = (uint8) 0x2\n"
        "# device c1: type counter, path /machine/c1, version 2\n"
        "c1.ticks = (uint32) 0xc8\n"
        "c1.regs(2)(0).[0] = (uint8) 0x3\n"
        "c1.regs(2)(0).[1] = (uint8) 0x4\n"
        "# device apic0: type kvm-apic, path /machine/apic0, version 3\n"
        "apic0.ticks = (uint32) 0x7\n"
        "apic0.regs(2)(0).[0] = (uint8) 0xfe\n"
        "apic0.regs(2)(0).[1] = (uint8) 0xee\n");
}

static void test_cli__dump_tree_and_device(void **state)
{
    Fixture *f = *state;
    g_autofree char *path = write_stream(f, "m.qidl", 100, TRUE);
    g_autofree char *out = NULL, *err = NULL;

    assert_int_equal(run(f, &out, &err, "dump", "--format", "tree",
                         "--device", "*apic*", path, NULL), 0);
    assert_string_equal(out,
        "# stream: format 1.0, producer test 1, 1 device\n"
        "# device apic0: type kvm-apic, path /machine/apic0, version 3\n"
        "apic0 (struct, 2 fields)\n"
        "  ticks (uint32) 0x7\n"
        "  regs (list, 2 elements)\n"
        "    [0] (uint8) 0xfe\n"
        "    [1] (uint8) 0xee\n");
}

static void test_cli__dump_json(void **state)
{
    Fixture *f = *state;
    g_autofree char *path = write_stream(f, "m.qidl", 100, FALSE);
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *data = NULL;
    g_autofree char *expected = NULL;
    g_autoptr(JsonNode) json = NULL;
    gsize len;

    assert_int_equal(run(f, &out, &err, "dump", "-f", "json", path, NULL),
                     0);
    assert_true(g_file_get_contents(path, &data, &len, NULL));
    json = qidl_stream_to_json((const guint8 *)data, len, NULL);
    expected = qidl_json_to_string(json, TRUE);
    assert_string_equal(out, expected);
}

static void test_cli__convert_round_trip(void **state)
{
    Fixture *f = *state;
    g_autofree char *path = write_stream(f, "m.qidl", 100, TRUE);
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL;
    g_autofree char *out4 = NULL, *err4 = NULL;
    g_autofree char *a = NULL, *b = NULL, *z = NULL, *text = NULL;
    g_autofree char *json_path = g_build_filename(f->dir, "m.json", NULL);
    g_autofree char *back_path = g_build_filename(f->dir, "back.qidl", NULL);
    g_autofree char *z_path = g_build_filename(f->dir, "m.qidz", NULL);
    gsize alen, blen, zlen;

    assert_int_equal(run(f, &out, &err, "convert", "--to", "json", path,
                         "m.json", NULL), 0);
    assert_true(g_file_get_contents(json_path, &text, NULL, NULL));
    assert_non_null(strstr(text, "\"type\" : \"kvm-apic\""));
    assert_int_equal(run(f, &out2, &err2, "convert", "--to", "native",
                         "m.json", "back.qidl", NULL), 0);
    assert_true(g_file_get_contents(path, &a, &alen, NULL));
    assert_true(g_file_get_contents(back_path, &b, &blen, NULL));
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);

    /* Compressed: another magic, same content once read. */
    assert_int_equal(run(f, &out3, &err3, "convert", "--to", "native",
                         "--compress", path, "m.qidz", NULL), 0);
    assert_true(g_file_get_contents(z_path, &z, &zlen, NULL));
    assert_memory_equal(z, "\x89QIDZ\r\n\x1a", 8);
    assert_int_equal(run(f, &out4, &err4, "diff", path, "m.qidz", NULL), 0);
    assert_string_equal(out4, "streams are equal\n");
}

static void test_cli__filter(void **state)
{
    Fixture *f = *state;
    g_autofree char *path = write_stream(f, "m.qidl", 100, TRUE);
    g_autofree char *rules = g_build_filename(g_getenv("QIDL_SOURCE_ROOT"),
                                              "hw", "filters",
                                              "kvm-apic-to-apic.json", NULL);
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *out2 = NULL, *err2 = NULL;

    assert_int_equal(run(f, &out, &err, "filter", "--rules", rules, path,
                         "f.qidl", NULL), 0);
    assert_string_equal(err, "qidl filter: kvm-apic-to-apic: matched 1, "
                             "changed 1\n");
    assert_int_equal(run(f, &out2, &err2, "dump", "--device", "/machine/apic0",
                         "f.qidl", NULL), 0);
    assert_non_null(strstr(out2, "# device apic0: type apic, path "
                                 "/machine/apic0, version 3\n"));
}

static void test_cli__diff(void **state)
{
    Fixture *f = *state;
    g_autofree char *a = write_stream(f, "a.qidl", 100, TRUE);
    g_autofree char *b = write_stream(f, "b.qidl", 101, FALSE);
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *expected = g_strdup_printf(
        "device /machine/c0 (counter): 1 difference\n"
        "  c0.ticks: (uint32) 0x64 -> (uint32) 0x65\n"
        "device /machine/apic0 (kvm-apic): only in %s\n"
        "2 devices differ, 1 field difference\n", a);

    assert_int_equal(run(f, &out, &err, "diff", a, b, NULL), 1);
    assert_string_equal(out, expected);
}

static void test_cli__bad_input_fail(void **state)
{
    Fixture *f = *state;
    g_autofree char *path = write_stream(f, "m.qidl", 100, FALSE);
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL;
    g_autofree char *data = NULL;
    g_autofree char *bad = g_build_filename(f->dir, "bad.qidl", NULL);
    gsize len;

    assert_int_equal(run(f, &out, &err, "dump", "missing.qidl", NULL), 2);
    assert_non_null(strstr(err, "qidl: Failed to open file "));

    /* One flipped bit in the last device's state. */
    assert_true(g_file_get_contents(path, &data, &len, NULL));
    data[len - 30] ^= 0x04;
    assert_true(g_file_set_contents(bad, data, len, NULL));
    assert_int_equal(run(f, &out2, &err2, "dump", bad, NULL), 2);
    assert_true(g_str_has_prefix(err2, "qidl: "));
    assert_non_null(strstr(err2, "bad.qidl: "));
    assert_non_null(strstr(err2, "checksum"));
    assert_string_equal(out2, "");

    assert_true(g_file_set_contents(bad, "{\"format\": ", -1, NULL));
    assert_int_equal(run(f, &out3, &err3, "convert", "--to", "native", bad,
                         "x.qidl", NULL), 2);
    assert_non_null(strstr(err3, "bad.qidl: <data>:1:"));
}

/*
 * A QEMU stream of 80 MiB of RAM (16 MiB pages, sparse on disk): past the
 * size from which the tool maps its input (a file, or standard input
 * spooled to one), and written back piece by piece to a file (under a
 * temporary name, renamed) and to standard output.
 */
static void test_cli__qemu_large(void **state)
{
    Fixture *f = *state;
    g_autofree char *path = g_build_filename(f->dir, "large.bin", NULL);
    g_autofree char *copy = g_build_filename(f->dir, "copy.bin", NULL);
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL;
    g_autofree char *out4 = NULL, *err4 = NULL;
    g_autofree char *a = NULL, *b = NULL;
    g_autoptr(GDir) dir = NULL;
    gsize state_at, alen, blen;
    gsize len = qemu_synth_write(path, 16u << 20, 5, &state_at);
    guint files = 0;

    assert_true(len > 80u << 20);
    assert_int_equal(run(f, &out, &err, "dump", "large.bin", NULL), 0);
    assert_non_null(strstr(out, "pages sent: 0 zero, 5 whole"));
    assert_non_null(strstr(out, "\ndev.a = (uint8) 0x2a\n"));

    assert_int_equal(run(f, &out2, &err2, "convert", "--to", "qemu",
                         "large.bin", "copy.bin", NULL), 0);
    assert_string_equal(err2, "");
    assert_true(g_file_get_contents(path, &a, &alen, NULL));
    assert_true(g_file_get_contents(copy, &b, &blen, NULL));
    assert_int_equal(alen, len);
    assert_int_equal(blen, len);
    assert_memory_equal(a, b, len);
    /* No temporary file left beside it. */
    dir = g_dir_open(f->dir, 0, NULL);
    while (g_dir_read_name(dir)) {
        files++;
    }
    assert_int_equal(files, 2);

    assert_int_equal(run(f, &out3, &err3, "convert", "--to", "qemu",
                         "large.bin", "-", NULL), 0);
    assert_memory_equal(out3, a, len);

    assert_int_equal(run(f, &out4, &err4, "convert", "--to", "qemu",
                         "large.bin", "no-such-dir/copy.bin", NULL), 2);
    assert_non_null(strstr(err4, "cannot create a file beside "
                                 "no-such-dir/copy.bin: "));

    /* Through standard input, spooled to a temporary file past 64 MiB. */
    {
        g_autofree char *err5 = NULL, *c = NULL;
        g_autofree char *piped = g_build_filename(f->dir, "piped.bin", NULL);
        gsize clen;

        assert_int_equal(run_sh(f, &err5, "cat large.bin | QIDL convert "
                                          "--to qemu - piped.bin"), 0);
        assert_true(g_file_get_contents(piped, &c, &clen, NULL));
        assert_int_equal(clen, len);
        assert_memory_equal(c, a, len);
    }

    /* A write that fails: standard output is a full device. */
    {
        g_autofree char *err6 = NULL;

        assert_int_equal(run_sh(f, &err6, "exec QIDL convert --to qemu "
                                          "large.bin - >/dev/full"), 2);
        /* Then strerror(ENOSPC), in the locale's words. */
        assert_true(g_str_has_prefix(err6, "qidl: cannot write standard "
                                           "output: "));
    }
}

/* @len bytes at @data, compressed as gzip (zlib) or zstd, into @path. */
static void write_packed(const char *path, const void *data, gsize len,
                         gboolean gzip)
{
    g_autofree guint8 *out = NULL;
    gsize out_len;

    if (gzip) {
        z_stream z = { 0 };

        /* 16 + MAX_WBITS: the gzip wrapper. */
        assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                      Z_DEFAULT_STRATEGY), Z_OK);
        out = g_malloc(deflateBound(&z, len));
        z.next_in = (Bytef *)data;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)deflateBound(&z, len);
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        out_len = z.total_out;
        deflateEnd(&z);
    } else {
        out = g_malloc(ZSTD_compressBound(len));
        out_len = ZSTD_compress(out, ZSTD_compressBound(len), data, len, 1);
        assert_false(ZSTD_isError(out_len));
    }
    assert_true(g_file_set_contents(path, (const char *)out,
                                    (gssize)out_len, NULL));
}

/*
 * Compressed inputs, as QEMU's documentation saves a VM (migrate
 * "exec:gzip -c > STATEFILE.gz"): gzip and zstd decompressed, from a file
 * and from standard input, past 64 MiB too (spooled to a temporary file);
 * a truncated one fails with its byte offset; xz is refused with the
 * command that decompresses it.
 */
static void test_cli__compressed_input(void **state)
{
    Fixture *f = *state;
    g_autofree char *plain = g_build_filename(f->dir, "s.bin", NULL);
    g_autofree char *large = g_build_filename(f->dir, "large.bin", NULL);
    g_autofree char *gz = g_build_filename(f->dir, "s.bin.gz", NULL);
    g_autofree char *zst = g_build_filename(f->dir, "s.bin.zst", NULL);
    g_autofree char *large_gz = g_build_filename(f->dir, "large.bin.gz",
                                                 NULL);
    g_autofree char *cut = g_build_filename(f->dir, "cut.gz", NULL);
    g_autofree char *xz = g_build_filename(f->dir, "s.bin.xz", NULL);
    g_autofree char *copy = g_build_filename(f->dir, "copy.bin", NULL);
    g_autofree char *data = NULL, *big = NULL, *packed = NULL;
    g_autofree char *copied = NULL;
    g_autofree char *want = NULL, *err0 = NULL;
    gsize state_at, len, big_len, packed_len, copied_len;
    const char *inputs[] = { "s.bin.gz", "s.bin.zst" };

    qemu_synth_write(plain, 4096, 3, &state_at);
    assert_true(g_file_get_contents(plain, &data, &len, NULL));
    write_packed(gz, data, len, TRUE);
    write_packed(zst, data, len, FALSE);
    assert_int_equal(run(f, &want, &err0, "dump", "s.bin", NULL), 0);
    assert_non_null(strstr(want, "dev.a = (uint8) 0x2a"));

    for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
        g_autofree char *out = NULL, *err = NULL;
        g_autofree char *out2 = NULL, *err2 = NULL;
        g_autofree char *out3 = NULL, *err3 = NULL;

        assert_int_equal(run(f, &out, &err, "dump", inputs[i], NULL), 0);
        assert_string_equal(out, want);
        assert_int_equal(run(f, &out2, &err2, "convert", "--to", "qemu",
                             inputs[i], "copy.bin", NULL), 0);
        assert_true(g_file_get_contents(copy, &copied, &copied_len, NULL));
        assert_int_equal(copied_len, len);
        assert_memory_equal(copied, data, len);
        g_clear_pointer(&copied, g_free);
        /* A QEMU stream's devices compared, and said to be only them. */
        assert_int_equal(run(f, &out3, &err3, "diff", "s.bin", inputs[i],
                             NULL), 0);
        assert_string_equal(out3, "device state is equal (a QEMU stream's "
                                  "RAM is not compared)\n");
    }

    /* 80 MiB of RAM in a small gzip file, read from standard input. */
    qemu_synth_write(large, 16u << 20, 5, &state_at);
    assert_true(g_file_get_contents(large, &big, &big_len, NULL));
    write_packed(large_gz, big, big_len, TRUE);
    {
        g_autofree char *err = NULL;

        assert_int_equal(run_sh(f, &err, "cat large.bin.gz | QIDL convert "
                                         "--to qemu - copy.bin"), 0);
        assert_true(g_file_get_contents(copy, &copied, &copied_len, NULL));
        assert_int_equal(copied_len, big_len);
        assert_memory_equal(copied, big, big_len);
    }

    /* Cut short; xz. */
    assert_true(g_file_get_contents(gz, &packed, &packed_len, NULL));
    assert_true(g_file_set_contents(cut, packed, (gssize)packed_len - 9,
                                    NULL));
    assert_true(g_file_set_contents(xz, "\xfd" "7zXZ\0\0\4", 8, NULL));
    {
        g_autofree char *out = NULL, *err = NULL;
        g_autofree char *out2 = NULL, *err2 = NULL;
        g_autofree char *expected = g_strdup_printf(
            "qidl: cut.gz: gzip: truncated at byte offset %" G_GSIZE_FORMAT
            "\n", packed_len - 9);

        assert_int_equal(run(f, &out, &err, "dump", "cut.gz", NULL), 2);
        assert_string_equal(err, expected);
        assert_int_equal(run(f, &out2, &err2, "dump", "s.bin.xz", NULL), 2);
        assert_string_equal(err2, "qidl: s.bin.xz: xz-compressed: "
                                  "decompress it first (xzcat FILE | qidl "
                                  "COMMAND -)\n");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cli__help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli__usage_fail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cli__dump_pretty, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cli__dump_tree_and_device, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cli__dump_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli__convert_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cli__filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli__diff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli__qemu_large, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cli__compressed_input, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cli__bad_input_fail, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
