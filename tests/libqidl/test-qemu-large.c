/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU streams larger than memory (qemu-stream.h, docs/qemu-stream.md):
 * a stream of 5 GiB of guest RAM is read from a mapped file and written
 * back piece by piece, its RAM never copied.
 *
 * The stream is made by hand, sparse on disk (tests/common/qemu-synth.h):
 * its vmdesc sets 1 GiB pages, so five page records of zeros are 5 GiB of
 * holes between a few bytes of headers, and the test takes a few KiB of
 * disk and memory.  The
 * writer's pieces are checked without reading the holes: a piece the
 * writer copies from the input must point into the mapping at the offset
 * written so far, anything else must equal the input's bytes there.  No
 * QEMU needed (tests/qemu tests real streams).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <qidl/limits.h>
#include <qidl/qemu-stream.h>

#include "qemu-synth.h"

/* A cmocka failure with the error's message. */
static void assert_no_error(const GError *error)
{
    if (error) {
        fail_msg("unexpected error: %s", error->message);
    }
}

#define GIB (G_GUINT64_CONSTANT(1) << 30)
#define N_PAGES 5

typedef struct {
    char *dir;
    char *path;
    gsize len;
    GMappedFile *map;
    GBytes *bytes;
    gsize state_at;           /* the device section's one byte of state */
} Large;

/* The stream of qemu-synth.h with five 1 GiB pages, mapped. */
static int group_setup(void **state)
{
    Large *l = g_new0(Large, 1);
    g_autoptr(GError) error = NULL;

    l->dir = g_dir_make_tmp("qidl-large-XXXXXX", &error);
    assert_no_error(error);
    l->path = g_build_filename(l->dir, "large.bin", NULL);
    l->len = qemu_synth_write(l->path, GIB, N_PAGES, &l->state_at);
    l->map = g_mapped_file_new(l->path, FALSE, &error);
    assert_no_error(error);
    l->bytes = g_mapped_file_get_bytes(l->map);
    *state = l;
    return 0;
}

static int group_teardown(void **state)
{
    Large *l = *state;

    g_bytes_unref(l->bytes);
    g_mapped_file_unref(l->map);
    g_unlink(l->path);
    g_rmdir(l->dir);
    g_free(l->path);
    g_free(l->dir);
    g_free(l);
    return 0;
}

/* What a write passed on, checked against the input as it comes. */
typedef struct {
    const guint8 *input;
    gsize input_len;
    gsize written;
    gsize longest;
    guint calls;
    guint fail_at;            /* 0: never fail */
    gsize state_at;           /* where the device's state is written */
    guint8 state;             /* what it must be */
} Check;

static gboolean check_piece(const guint8 *data, gsize len,
                            gpointer user_data, GError **error)
{
    Check *c = user_data;

    c->calls++;
    if (c->calls == c->fail_at) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
                    "no space left (test)");
        return FALSE;
    }
    assert_true(len > 0);
    assert_true(c->written + len <= c->input_len);
    if (c->state_at >= c->written && c->state_at < c->written + len) {
        /* The state, encoded from the tree: compared byte for byte. */
        for (gsize i = 0; i < len; i++) {
            guint8 want = c->written + i == c->state_at
                              ? c->state : c->input[c->written + i];

            assert_int_equal(data[i], want);
        }
    } else {
        /* Copied from the input: the input itself, at this offset. */
        assert_ptr_equal(data, c->input + c->written);
    }
    c->written += len;
    c->longest = MAX(c->longest, len);
    return TRUE;
}

static QidlTree *read_large(const Large *l, QidlQemuStreamInfo **info)
{
    g_autoptr(GError) error = NULL;
    QidlTree *tree = qidl_qemu_stream_read_tree_full(l->bytes, NULL, -1,
                                                     info, &error);

    assert_no_error(error);
    return tree;
}

/* It reads: the RAM counted, the device decoded, the records' lengths. */
static void test_qemu_large__read(void **state)
{
    const Large *l = *state;
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = read_large(l, &info);
    const QidlQemuRecord *part;
    QidlQemuRamStats ram;
    gsize len;

    assert_true(l->len > N_PAGES * GIB);
    assert_ptr_equal(qidl_qemu_stream_info_get_data(info, &len),
                     g_bytes_get_data(l->bytes, NULL));
    assert_int_equal(len, l->len);
    qidl_qemu_stream_info_get_ram_stats(info, &ram);
    assert_int_equal(ram.page_size, GIB);
    assert_int_equal(ram.n_blocks, 1);
    assert_int_equal(ram.total_bytes, N_PAGES * GIB);
    assert_int_equal(ram.normal_pages, N_PAGES);
    assert_int_equal(ram.zero_pages, 0);
    assert_int_equal(qidl_qemu_stream_info_get_n_records(info), 7);
    part = qidl_qemu_stream_info_get_record(info, 2);
    assert_int_equal(part->type, QIDL_QEMU_RECORD_PART);
    assert_true(part->length > N_PAGES * GIB);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(
                         qidl_node_get_child(qidl_tree_get_root(tree), "dev"),
                         "a")),
                     42);
}

/* It writes back: every byte, RAM as ranges of the mapping, in pieces
 * longer than 4 GiB; an edit shows in the state's byte. */
static void test_qemu_large__write_to(void **state)
{
    const Large *l = *state;
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = read_large(l, &info);
    g_autoptr(GError) error = NULL;
    Check c = { g_bytes_get_data(l->bytes, NULL), l->len, 0, 0, 0, 0,
                l->state_at, 42 };

    assert_true(qidl_qemu_stream_write_tree_to(tree, info, check_piece, &c,
                                               &error));
    assert_no_error(error);
    assert_int_equal(c.written, l->len);
    assert_true(c.longest > G_MAXUINT32);
    assert_true(c.calls <= 3);

    assert_true(qidl_node_set_uint(qidl_node_find(qidl_node_get_child(
                                       qidl_tree_get_root(tree), "dev"),
                                   "a"), 7, &error));
    c = (Check) { g_bytes_get_data(l->bytes, NULL), l->len, 0, 0, 0, 0,
                  l->state_at, 7 };
    assert_true(qidl_qemu_stream_write_tree_to(tree, info, check_piece, &c,
                                               &error));
    assert_int_equal(c.written, l->len);
}

/*
 * Failures: a GByteArray cannot hold it (QIDL_ERROR_LIMIT, the array
 * untouched); a write that fails stops the writer with its error; a tree
 * that no longer fits the stream fails before anything is written.
 */
static void test_qemu_large__write_fail(void **state)
{
    const Large *l = *state;
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = read_large(l, &info);
    g_autoptr(GByteArray) out = g_byte_array_new();
    GError *error = NULL;
    Check c = { g_bytes_get_data(l->bytes, NULL), l->len, 0, 0, 0, 2,
                l->state_at, 42 };
    QidlNode *dev;

    assert_false(qidl_qemu_stream_write_tree(tree, info, out, &error));
    assert_non_null(error);
    assert_int_equal(error->code, QIDL_ERROR_LIMIT);
    assert_non_null(strstr(error->message, "qidl_qemu_stream_write_tree_to"));
    assert_int_equal(out->len, 0);
    g_clear_error(&error);

    assert_false(qidl_qemu_stream_write_tree_to(tree, info, check_piece, &c,
                                                &error));
    assert_non_null(error);
    assert_true(error->domain == G_FILE_ERROR &&
                error->code == G_FILE_ERROR_NOSPC);
    assert_int_equal(c.calls, 2);
    g_clear_error(&error);

    /* The device's field removed: the layout no longer fits. */
    dev = qidl_node_get_child(qidl_tree_get_root(tree), "dev");
    qidl_node_remove(qidl_node_find(dev, "a"));
    c = (Check) { g_bytes_get_data(l->bytes, NULL), l->len, 0, 0, 0, 0,
                  l->state_at, 42 };
    assert_false(qidl_qemu_stream_write_tree_to(tree, info, check_piece, &c,
                                                &error));
    assert_non_null(error);
    assert_int_equal(error->code, QIDL_ERROR_MISSING_FIELD);
    assert_int_equal(c.calls, 0);
    g_clear_error(&error);
}

/*
 * A stream beyond QIDL_LIMIT_QEMU_STREAM_LEN is refused before a byte of
 * it is read (the bytes here are 8, their length a lie the reader must
 * not act on).
 */
static void test_qemu_large__beyond_limit_fail(void **state)
{
    static const guint8 head[] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 3 };
    g_autoptr(GBytes) bytes = g_bytes_new_static(
        head, (gsize)QIDL_LIMIT_QEMU_STREAM_LEN + 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree =
        qidl_qemu_stream_read_tree_full(bytes, NULL, -1, &info, &error);

    (void)state;
    assert_null(tree);
    assert_null(info);
    assert_non_null(error);
    assert_int_equal(error->code, QIDL_ERROR_LIMIT);
    assert_string_equal(error->message,
                        "QEMU stream of 1099511627777 bytes exceeds the "
                        "limit of 1099511627776");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_large__read),
        cmocka_unit_test(test_qemu_large__write_to),
        cmocka_unit_test(test_qemu_large__write_fail),
        cmocka_unit_test(test_qemu_large__beyond_limit_fail),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
