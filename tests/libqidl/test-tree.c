/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the state tree (tree.c) and its two visitors (tree-output.c,
 * tree-input.c): the sample struct saved to a tree and loaded back, the
 * exact nodes it becomes, every error of the input visitor with its code
 * and path, the editing rules, paths, copy, equal/compare, printing, and
 * walks over a tree far deeper than any visitor allows.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/pretty.h>
#include <qidl/tree.h>

#include "fields.h"
#include "sample.h"

/* Deeper than QIDL_LIMIT_DEPTH by far: walks must not recurse. */
#define DEEP 10000

static void assert_error(GError *error, int code, const char *message)
{
    assert_non_null(error);
    if (error->domain != QIDL_ERROR || error->code != code ||
        strcmp(error->message, message) != 0) {
        fail_msg("expected %s \"%s\", got %s %d \"%s\"",
                 qidl_error_code_name(code), message,
                 g_quark_to_string(error->domain), error->code,
                 error->message);
    }
}

/* Saves a sample_init() Sample as root/s; returns the node. */
static QidlNode *save_sample(QidlTree *tree, const Sample *s)
{
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;
    Sample copy = *s;

    assert_true(sample_visit(v, "s", &copy, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    return qidl_tree_output_visitor_get_result(v);
}

static QidlNode *new_sample_tree(QidlTree *tree)
{
    Sample s;
    QidlNode *node;

    sample_init(&s);
    node = save_sample(tree, &s);
    sample_clear(&s);
    return node;
}

/*
 * Loads @node into @out (which the caller zeroed or filled); returns
 * whether it worked, with the error in @error.
 */
static gboolean load_sample(const QidlNode *node, QidlTreeInputFlags flags,
                            Sample *out, guint *n_unknown, GError **error)
{
    g_autoptr(QidlVisitor) v = qidl_tree_input_visitor_new(node, flags);

    if (!sample_visit(v, "s", out, error) ||
        !qidl_visitor_complete(v, error)) {
        return FALSE;
    }
    if (n_unknown) {
        *n_unknown = qidl_tree_input_visitor_get_unknown_count(v);
    }
    return TRUE;
}

/*
 * Replaces the child @name of @parent by @node (named @name too), at the
 * same position: the old one steps aside first so the names never clash.
 */
static void swap_child(QidlNode *parent, const char *name, QidlNode *node)
{
    QidlNode *old = qidl_node_get_child(parent, name);
    g_autoptr(GError) error = NULL;

    assert_non_null(old);
    assert_true(qidl_node_rename(old, "__old", &error));
    assert_true(qidl_node_insert_after(old, node, &error));
    qidl_node_remove(old);
}

/* Round trip. */

static void test_tree__sample_roundtrip(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    Sample in, out = { 0 };
    QidlNode *node;
    guint n_unknown = 99;

    sample_init(&in);
    node = save_sample(tree, &in);
    assert_true(load_sample(node, 0, &out, &n_unknown, &error));
    assert_null(error);
    assert_true(sample_equal(&in, &out));
    assert_int_equal(n_unknown, 0);
    /* Transfer full: a copy, not the tree's string. */
    assert_ptr_not_equal(out.label,
                         qidl_node_get_string(qidl_node_find(node, "label"),
                                              NULL));
    sample_clear(&in);
    sample_clear(&out);
}

static void test_tree__sample_optional_fields(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    Sample in, out;
    QidlNode *node;

    /* extra absent, thr not at its default: the opposite of sample_init. */
    sample_init(&in);
    in.has_extra = false;
    in.extra = 0;
    in.thr = 5;
    node = save_sample(tree, &in);
    assert_null(qidl_node_get_child(node, "extra"));
    assert_int_equal(qidl_node_get_uint(qidl_node_get_child(node, "thr")), 5);

    memset(&out, 0, sizeof(out));
    out.has_extra = true;
    out.thr = 9;
    assert_true(load_sample(node, 0, &out, NULL, &error));
    assert_false(out.has_extra);
    assert_int_equal(out.thr, 5);
    assert_true(sample_equal(&in, &out));
    sample_clear(&in);
    sample_clear(&out);
}

static void test_tree__optional_presence_is_field_existence(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *node = new_sample_tree(tree);
    Sample out = { 0 };

    /* Removing extra makes it absent; thr is absent in the saved tree,
     * so DEFAULT loads 0 without visiting it. */
    assert_null(qidl_node_get_child(node, "thr"));
    qidl_node_remove(qidl_node_get_child(node, "extra"));
    out.thr = 7;
    assert_true(load_sample(node, 0, &out, NULL, &error));
    assert_false(out.has_extra);
    assert_int_equal(out.thr, 0);
    sample_clear(&out);
}

static void test_tree__sample_nodes(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *root = qidl_tree_get_root(tree);
    QidlNode *s = new_sample_tree(tree);
    const guint8 blob[] = { 0x00, 0xff, 0x10, 0x7f };
    const guint8 *bytes;
    gsize len;
    QidlNode *n;

    assert_ptr_equal(qidl_node_get_parent(s), root);
    assert_int_equal(qidl_node_get_n_children(root), 1);
    assert_ptr_equal(qidl_node_get_child(root, "s"), s);
    assert_int_equal(qidl_node_get_kind(s), QIDL_KIND_STRUCT);
    assert_string_equal(qidl_node_get_name(s), "s");
    /* thr is at its default, so omitted; has_extra is no field. */
    assert_int_equal(qidl_node_get_n_children(s), 21);
    assert_string_equal(qidl_node_get_name(qidl_node_get_first_child(s)),
                        "flag");
    assert_string_equal(qidl_node_get_name(qidl_node_get_last_child(s)),
                        "extra");

    n = qidl_node_find(s, "flag");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_BOOL);
    assert_true(qidl_node_get_bool(n));
    n = qidl_node_find(s, "i8");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_INT8);
    assert_int_equal(qidl_node_get_int(n), -2);
    n = qidl_node_find(s, "u8");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_UINT8);
    assert_int_equal(qidl_node_get_uint(n), 0x10);
    n = qidl_node_find(s, "i16");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_INT16);
    assert_int_equal(qidl_node_get_int(n), -300);
    n = qidl_node_find(s, "u16");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_UINT16);
    assert_int_equal(qidl_node_get_uint(n), 0xbeef);
    n = qidl_node_find(s, "i32");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_INT32);
    assert_int_equal(qidl_node_get_int(n), -70000);
    n = qidl_node_find(s, "u32");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_UINT32);
    assert_int_equal(qidl_node_get_uint(n), 0xdeadbeef);
    n = qidl_node_find(s, "i64");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_INT64);
    assert_true(qidl_node_get_int(n) == G_MININT64 + 1);
    n = qidl_node_find(s, "u64");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_UINT64);
    assert_true(qidl_node_get_uint(n) == G_MAXUINT64 - 1);
    n = qidl_node_find(s, "f");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_FLOAT);
    assert_true(qidl_node_get_double(n) == 1.5);
    n = qidl_node_find(s, "d");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_DOUBLE);
    assert_true(qidl_node_get_double(n) == -0.1);
    n = qidl_node_find(s, "label");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_STRING);
    assert_string_equal(qidl_node_get_string(n, &len), "com1");
    assert_int_equal(len, 4);
    /* A char[8] is a string like any other. */
    n = qidl_node_find(s, "name");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_STRING);
    assert_string_equal(qidl_node_get_string(n, NULL), "rtc");
    n = qidl_node_find(s, "blob");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_BYTES);
    bytes = qidl_node_get_bytes(n, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(bytes, blob, 4);

    n = qidl_node_find(s, "inner");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_STRUCT);
    assert_int_equal(qidl_node_get_n_children(n), 2);
    assert_false(qidl_node_is_device(n));
    n = qidl_node_find(s, "inner.enabled");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_BOOL);
    assert_true(qidl_node_get_bool(n));
    n = qidl_node_find(s, "inner.mode");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_UINT8);
    assert_int_equal(qidl_node_get_uint(n), 3);

    n = qidl_node_find(s, "cmos");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_LIST);
    assert_int_equal(qidl_node_get_n_children(n), 8);
    n = qidl_node_find(s, "cmos[0]");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_UINT8);
    assert_null(qidl_node_get_name(n));
    assert_int_equal(qidl_node_get_uint(n), 0x26);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(s, "cmos[3]")), 0x80);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(s, "cmos[7]")), 0x04);
    assert_null(qidl_node_find(s, "cmos[8]"));

    n = qidl_node_find(s, "regs");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_LIST);
    assert_int_equal(qidl_node_get_n_children(n), 2);
    n = qidl_node_find(s, "regs[1]");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_STRUCT);
    assert_null(qidl_node_get_name(n));
    n = qidl_node_find(s, "regs[0].lo");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_UINT16);
    assert_int_equal(qidl_node_get_uint(n), 0x1234);
    n = qidl_node_find(s, "regs[0].hi");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_INT32);
    assert_int_equal(qidl_node_get_int(n), -1);
    n = qidl_node_find(s, "regs[1].hi");
    assert_int_equal(qidl_node_get_int(n), 7);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(s, "regs[1].lo")),
                     0xffff);

    n = qidl_node_find(s, "matrix");
    assert_int_equal(qidl_node_get_n_children(n), 2);
    n = qidl_node_find(s, "matrix[1]");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_LIST);
    assert_int_equal(qidl_node_get_n_children(n), 3);
    n = qidl_node_find(s, "matrix[1][2]");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_UINT16);
    assert_int_equal(qidl_node_get_uint(n), 0x300);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(s, "matrix[0][0]")),
                     1);

    assert_int_equal(qidl_node_get_uint(qidl_node_find(s, "fifo_len")), 2);
    /* fifo_len elements, not the capacity. */
    n = qidl_node_find(s, "fifo");
    assert_int_equal(qidl_node_get_n_children(n), 2);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(s, "fifo[1]")), 0x42);
    n = qidl_node_find(s, "extra");
    assert_int_equal(qidl_node_get_kind(n), QIDL_KIND_UINT32);
    assert_int_equal(qidl_node_get_uint(n), 42);
}

static void test_tree__output_into_list_parent(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *list = qidl_node_new_list(tree, "devs");
    Sample s;

    assert_true(qidl_node_append(qidl_tree_get_root(tree), list, &error));
    sample_init(&s);
    for (int i = 0; i < 2; i++) {
        g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, list);
        QidlNode *result;

        assert_null(qidl_tree_output_visitor_get_result(v));
        assert_true(sample_visit(v, "s", &s, &error));
        result = qidl_tree_output_visitor_get_result(v);
        /* A list element has no name. */
        assert_null(qidl_node_get_name(result));
        assert_ptr_equal(result, qidl_node_get_last_child(list));
    }
    assert_int_equal(qidl_node_get_n_children(list), 2);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(
        qidl_tree_get_root(tree), "devs[1].regs[1].lo")), 0xffff);
    sample_clear(&s);
}

static void test_tree__output_scalar_at_top_level(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;
    guint16 value = 0x1234;

    assert_true(qidl_visit_uint16(v, "x", &value, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_int_equal(qidl_node_get_uint(qidl_node_find(
        qidl_tree_get_root(tree), "x")), 0x1234);
}

static void test_tree__output_duplicate_top_level_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;
    QidlNode *root = qidl_tree_get_root(tree);
    QidlNode *first = new_sample_tree(tree);
    Sample s;

    sample_init(&s);
    assert_false(sample_visit(v, "s", &s, &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "s: the destination already has a field of this name");
    assert_int_equal(qidl_node_get_n_children(root), 1);
    assert_ptr_equal(qidl_node_get_child(root, "s"), first);
    sample_clear(&s);
}

static gboolean visit_twice(QidlVisitor *v, GError **error)
{
    guint8 x = 1;

    return qidl_visit_start_struct(v, "t", error) &&
           qidl_visit_uint8(v, "x", &x, error) &&
           qidl_visit_uint8(v, "x", &x, error) &&
           qidl_visit_end_struct(v, error);
}

static void test_tree__output_field_twice_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;

    assert_false(visit_twice(v, &error));
    assert_error(error, QIDL_ERROR_INVALID, "t.x: field visited twice");
    /* The half-built value never reached the destination. */
    assert_int_equal(qidl_node_get_n_children(qidl_tree_get_root(tree)), 0);
}

static void test_tree__output_unnamed_in_struct_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;
    guint8 x = 1;

    assert_false(qidl_visit_uint8(v, NULL, &x, &error));
    assert_error(error, QIDL_ERROR_INVALID, "a struct field needs a name");
}

/* Input errors. */

static void test_tree__input_width_mismatch_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    swap_child(s, "u8", qidl_node_new_uint(tree, "u8", QIDL_KIND_UINT16,
                                           0x10));
    out.u8 = 0x55;
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_TYPE_MISMATCH,
                 "s.u8: expected uint8, found uint16");
    /* Untouched: the check comes before the write. */
    assert_int_equal(out.u8, 0x55);
    sample_clear(&out);
}

static void test_tree__input_signedness_mismatch_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    swap_child(qidl_node_find(s, "regs[1]"), "lo",
               qidl_node_new_int(tree, "lo", QIDL_KIND_INT16, 1));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_TYPE_MISMATCH,
                 "s.regs[1].lo: expected uint16, found int16");
    sample_clear(&out);
}

static void test_tree__input_struct_read_as_list_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    swap_child(s, "cmos", qidl_node_new_struct(tree, "cmos"));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_TYPE_MISMATCH,
                 "s.cmos: expected list, found struct");
    sample_clear(&out);
}

static void test_tree__input_list_read_as_struct_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    swap_child(s, "inner", qidl_node_new_list(tree, "inner"));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_TYPE_MISMATCH,
                 "s.inner: expected struct, found list");
    sample_clear(&out);
}

static void test_tree__input_top_level_kind_mismatch_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *n = qidl_node_new_string(tree, "x", "text");
    Sample out = { 0 };

    /* The top-level visit reads the node whatever its name. */
    assert_false(load_sample(n, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_TYPE_MISMATCH,
                 "s: expected struct, found string");
}

static void test_tree__input_element_kind_mismatch_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    QidlNode *row = qidl_node_find(s, "matrix[1]");
    Sample out = { 0 };

    qidl_node_remove(qidl_node_get_nth_child(row, 2));
    assert_true(qidl_node_append(row, qidl_node_new_uint(tree, NULL,
                                                         QIDL_KIND_UINT32, 3),
                                 &error));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_TYPE_MISMATCH,
                 "s.matrix[1][2]: expected uint16, found uint32");
    sample_clear(&out);
}

static void test_tree__input_missing_field_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    qidl_node_remove(qidl_node_find(s, "inner.mode"));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_MISSING_FIELD,
                 "s.inner.mode: missing field");
    sample_clear(&out);
}

static void test_tree__input_missing_first_field_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    qidl_node_remove(qidl_node_find(s, "flag"));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_MISSING_FIELD, "s.flag: missing field");
}

static void test_tree__input_leftover_field_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    assert_true(qidl_node_append(s, qidl_node_new_uint(tree, "zzz",
                                                       QIDL_KIND_UINT8, 1),
                                 &error));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_UNKNOWN_FIELD, "s: unknown field 'zzz'");
    sample_clear(&out);
}

static void test_tree__input_leftover_first_field_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    /* Before every known field: the cursor misses from the start. */
    assert_true(qidl_node_insert_before(
        qidl_node_get_first_child(s),
        qidl_node_new_uint(tree, "aaa", QIDL_KIND_UINT8, 1), &error));
    assert_true(qidl_node_append(qidl_node_find(s, "inner"),
                                 qidl_node_new_bool(tree, "bbb", TRUE),
                                 &error));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    /* The inner struct ends first. */
    assert_error(error, QIDL_ERROR_UNKNOWN_FIELD,
                 "s.inner: unknown field 'bbb'");
    g_clear_error(&error);
    qidl_node_remove(qidl_node_find(s, "inner.bbb"));
    sample_clear(&out);
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_UNKNOWN_FIELD, "s: unknown field 'aaa'");
    sample_clear(&out);
}

static void test_tree__input_leftover_allowed(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample in, out = { 0 };
    guint n_unknown = 0;

    assert_true(qidl_node_insert_before(
        qidl_node_get_first_child(s),
        qidl_node_new_uint(tree, "aaa", QIDL_KIND_UINT8, 1), &error));
    assert_true(qidl_node_append(s, qidl_node_new_string(tree, "zzz", "z"),
                                 &error));
    assert_true(qidl_node_append(qidl_node_find(s, "regs[0]"),
                                 qidl_node_new_struct(tree, "more"),
                                 &error));
    assert_true(load_sample(s, QIDL_TREE_INPUT_ALLOW_UNKNOWN, &out,
                            &n_unknown, &error));
    assert_int_equal(n_unknown, 3);
    sample_init(&in);
    assert_true(sample_equal(&in, &out));
    sample_clear(&in);
    sample_clear(&out);
}

static void test_tree__input_any_field_order(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    QidlNode *inner = qidl_node_find(s, "inner");
    Sample in, out = { 0 };
    guint n = qidl_node_get_n_children(s);

    /* Reverse the fields of s and of s.inner. */
    for (guint i = 0; i < n; i++) {
        assert_true(qidl_node_move(qidl_node_get_nth_child(s, n - 1 - i), s,
                                   &error));
    }
    assert_true(qidl_node_move(qidl_node_get_first_child(inner), inner,
                               &error));
    assert_string_equal(qidl_node_get_name(qidl_node_get_first_child(s)),
                        "extra");
    assert_string_equal(qidl_node_get_name(qidl_node_get_first_child(inner)),
                        "mode");
    assert_true(load_sample(s, 0, &out, NULL, &error));
    sample_init(&in);
    assert_true(sample_equal(&in, &out));
    sample_clear(&in);
    sample_clear(&out);
}

static void test_tree__input_fixed_length_mismatch_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    qidl_node_remove(qidl_node_find(s, "cmos[7]"));
    out.cmos[0] = 0x99;
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_LENGTH_MISMATCH,
                 "s.cmos: expected 8 elements, found 7");
    assert_int_equal(out.cmos[0], 0x99);
    sample_clear(&out);
}

static void test_tree__input_sized_length_mismatch_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    /* fifo_len says 2, the list holds 3. */
    assert_true(qidl_node_append(qidl_node_find(s, "fifo"),
                                 qidl_node_new_uint(tree, NULL,
                                                    QIDL_KIND_UINT8, 0x43),
                                 &error));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_LENGTH_MISMATCH,
                 "s.fifo: expected 2 elements, found 3");
    sample_clear(&out);
}

static void test_tree__input_size_is_over_capacity_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    /* The visit function's own check, with the tree visitor's path. */
    assert_true(qidl_node_set_uint(qidl_node_find(s, "fifo_len"), 5, &error));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_CONSTRAINT,
                 "s.fifo_len: 5 exceeds the capacity of fifo (4)");
    sample_clear(&out);
}

static gboolean visit_counted(QidlVisitor *v, guint32 *count, guint8 *elems,
                              guint32 cap, GError **error)
{
    if (!qidl_visit_start_struct(v, "c", error) ||
        !qidl_visit_start_list(v, "items", QIDL_LIST_COUNTED, count, 1,
                               error)) {
        return FALSE;
    }
    if (*count > cap) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT, "too many");
        return FALSE;
    }
    for (guint32 i = 0; i < *count; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_uint8(v, NULL, &elems[i], error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error) && qidl_visit_end_struct(v, error);
}

static void test_tree__input_counted_list(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) out = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(GError) error = NULL;
    guint8 elems[4] = { 7, 8, 9 }, loaded[4] = { 0 };
    guint32 count = 3;

    assert_true(visit_counted(out, &count, elems, 4, &error));
    in = qidl_tree_input_visitor_new(qidl_node_find(qidl_tree_get_root(tree),
                                                    "c"), 0);
    count = 0;
    assert_true(visit_counted(in, &count, loaded, 4, &error));
    assert_true(qidl_visitor_complete(in, &error));
    assert_int_equal(count, 3);
    assert_memory_equal(loaded, elems, 4);
}

static void test_tree__input_bytes_length_mismatch_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    const guint8 three[] = { 1, 2, 3 };
    Sample out = { 0 };

    qidl_node_set_bytes(qidl_node_find(s, "blob"), three, 3);
    memset(out.blob, 0xaa, sizeof(out.blob));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_LENGTH_MISMATCH,
                 "s.blob: expected 4 bytes, found 3");
    assert_int_equal(out.blob[0], 0xaa);
    sample_clear(&out);
}

static void test_tree__input_string_buf_at_capacity(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    /* char[8]: 7 bytes and the terminator fit. */
    qidl_node_set_string(qidl_node_find(s, "name"), "1234567");
    assert_true(load_sample(s, 0, &out, NULL, &error));
    assert_string_equal(out.name, "1234567");
    sample_clear(&out);
}

static void test_tree__input_string_buf_too_long_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample out = { 0 };

    qidl_node_set_string(qidl_node_find(s, "name"), "12345678");
    strcpy(out.name, "keep");
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_LIMIT,
                 "s.name: string of 8 bytes does not fit in char[8]");
    assert_string_equal(out.name, "keep");
    sample_clear(&out);
}

static void test_tree__input_string_kind_mismatch_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    const guint8 data[] = { 'c', 'o', 'm' };
    Sample out = { 0 };

    swap_child(s, "label", qidl_node_new_bytes(tree, "label", data, 3));
    assert_false(load_sample(s, 0, &out, NULL, &error));
    assert_error(error, QIDL_ERROR_TYPE_MISMATCH,
                 "s.label: expected string, found bytes");
    assert_null(out.label);
}

/* Building and reading nodes through the API. */

static void test_tree__values(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    const guint8 data[] = { 1, 2 };
    QidlNode *n;
    gsize len = 99;

    n = qidl_node_new_bool(tree, "b", 42);
    assert_true(qidl_node_get_bool(n) == TRUE);
    qidl_node_set_bool(n, FALSE);
    assert_false(qidl_node_get_bool(n));

    /* A float node keeps a float: the value rounds and reads back
     * exactly. */
    n = qidl_node_new_float(tree, "f", QIDL_KIND_FLOAT, 0.1);
    assert_true(qidl_node_get_double(n) == (double)0.1f);
    qidl_node_set_double(n, 2.5);
    assert_true(qidl_node_get_double(n) == 2.5);
    n = qidl_node_new_float(tree, "d", QIDL_KIND_DOUBLE, 0.1);
    assert_true(qidl_node_get_double(n) == 0.1);

    n = qidl_node_new_string(tree, "s", "a\"b");
    qidl_node_set_string(n, "longer value");
    assert_string_equal(qidl_node_get_string(n, &len), "longer value");
    assert_int_equal(len, 12);

    n = qidl_node_new_bytes(tree, "e", NULL, 0);
    assert_non_null(qidl_node_get_bytes(n, &len));
    assert_int_equal(len, 0);
    qidl_node_set_bytes(n, data, 2);
    assert_memory_equal(qidl_node_get_bytes(n, &len), data, 2);
    assert_int_equal(len, 2);

    /* Larger than an arena chunk: a chunk of its own. */
    {
        g_autofree guint8 *big = g_malloc(200000);

        for (gsize i = 0; i < 200000; i++) {
            big[i] = (guint8)(i * 7);
        }
        n = qidl_node_new_bytes(tree, "big", big, 200000);
        assert_memory_equal(qidl_node_get_bytes(n, &len), big, 200000);
        assert_int_equal(len, 200000);
        assert_true(qidl_node_equal(n, qidl_node_copy(tree, n)));
    }

    n = qidl_node_new_int(tree, "i", QIDL_KIND_INT64, G_MININT64);
    assert_true(qidl_node_get_int(n) == G_MININT64);
    n = qidl_node_new_uint(tree, "u", QIDL_KIND_UINT64, G_MAXUINT64);
    assert_true(qidl_node_get_uint(n) == G_MAXUINT64);
    assert_ptr_equal(qidl_node_get_tree(n), tree);
    assert_null(qidl_node_get_parent(n));
}

typedef struct {
    QidlKind kind;
    gint64 min, max;
} IntRange;

static void test_tree__set_int_range(void **state)
{
    static const IntRange ranges[] = {
        { QIDL_KIND_INT8, G_MININT8, G_MAXINT8 },
        { QIDL_KIND_INT16, G_MININT16, G_MAXINT16 },
        { QIDL_KIND_INT32, G_MININT32, G_MAXINT32 },
    };
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(ranges); i++) {
        QidlNode *n = qidl_node_new_int(tree, "v", ranges[i].kind, 0);

        assert_true(qidl_node_set_int(n, ranges[i].min, &error));
        assert_true(qidl_node_get_int(n) == ranges[i].min);
        assert_true(qidl_node_set_int(n, ranges[i].max, &error));
        assert_true(qidl_node_get_int(n) == ranges[i].max);
        assert_false(qidl_node_set_int(n, ranges[i].min - 1, &error));
        assert_int_equal(error->code, QIDL_ERROR_CONSTRAINT);
        g_clear_error(&error);
        assert_false(qidl_node_set_int(n, ranges[i].max + 1, &error));
        assert_int_equal(error->code, QIDL_ERROR_CONSTRAINT);
        g_clear_error(&error);
        /* Unchanged by the failures. */
        assert_true(qidl_node_get_int(n) == ranges[i].max);
    }
}

static void test_tree__set_int_out_of_range_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    QidlNode *i8 = qidl_node_find(s, "i8");
    QidlNode *hi = qidl_node_find(s, "regs[1].hi");

    assert_false(qidl_node_set_int(i8, 128, &error));
    assert_error(error, QIDL_ERROR_CONSTRAINT, "s.i8: 128 does not fit in "
                 "int8");
    g_clear_error(&error);
    assert_false(qidl_node_set_int(i8, -129, &error));
    assert_error(error, QIDL_ERROR_CONSTRAINT, "s.i8: -129 does not fit in "
                 "int8");
    g_clear_error(&error);
    assert_false(qidl_node_set_int(hi, (gint64)G_MAXINT32 + 1, &error));
    assert_error(error, QIDL_ERROR_CONSTRAINT,
                 "s.regs[1].hi: 2147483648 does not fit in int32");
    assert_int_equal(qidl_node_get_int(i8), -2);
    assert_int_equal(qidl_node_get_int(hi), 7);
}

static void test_tree__set_uint_range(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *u8 = qidl_node_new_uint(tree, "u8", QIDL_KIND_UINT8, 0);
    QidlNode *u16 = qidl_node_new_uint(tree, "u16", QIDL_KIND_UINT16, 0);
    QidlNode *u32 = qidl_node_new_uint(tree, "u32", QIDL_KIND_UINT32, 0);
    QidlNode *u64 = qidl_node_new_uint(tree, "u64", QIDL_KIND_UINT64, 0);

    assert_true(qidl_node_set_uint(u8, 255, &error));
    assert_true(qidl_node_set_uint(u16, G_MAXUINT16, &error));
    assert_true(qidl_node_set_uint(u32, G_MAXUINT32, &error));
    assert_true(qidl_node_set_uint(u64, G_MAXUINT64, &error));
    assert_true(qidl_node_set_uint(u8, 0, &error));
    assert_false(qidl_node_set_uint(u16, G_MAXUINT16 + 1, &error));
    assert_error(error, QIDL_ERROR_CONSTRAINT,
                 "u16: 65536 does not fit in uint16");
    g_clear_error(&error);
    assert_false(qidl_node_set_uint(u32, (guint64)G_MAXUINT32 + 1, &error));
    assert_int_equal(error->code, QIDL_ERROR_CONSTRAINT);
    g_clear_error(&error);
    assert_false(qidl_node_set_uint(u8, 256, &error));
    assert_error(error, QIDL_ERROR_CONSTRAINT,
                 "u8: 256 does not fit in uint8");
    assert_int_equal(qidl_node_get_uint(u8), 0);
    assert_true(qidl_node_get_uint(u32) == G_MAXUINT32);
}

static void test_tree__append_and_insert(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *st = qidl_node_new_struct(tree, "st");
    QidlNode *b = qidl_node_new_bool(tree, "b", TRUE);
    QidlNode *a = qidl_node_new_bool(tree, "a", TRUE);
    QidlNode *c = qidl_node_new_bool(tree, "c", TRUE);
    QidlNode *d = qidl_node_new_bool(tree, "d", TRUE);

    assert_true(qidl_node_append(st, b, &error));
    assert_true(qidl_node_insert_before(b, a, &error));
    assert_true(qidl_node_insert_after(b, d, &error));
    assert_true(qidl_node_insert_after(b, c, &error));
    assert_null(error);
    assert_int_equal(qidl_node_get_n_children(st), 4);
    assert_ptr_equal(qidl_node_get_first_child(st), a);
    assert_ptr_equal(qidl_node_get_last_child(st), d);
    assert_ptr_equal(qidl_node_get_next(a), b);
    assert_ptr_equal(qidl_node_get_next(b), c);
    assert_ptr_equal(qidl_node_get_next(c), d);
    assert_null(qidl_node_get_next(d));
    assert_ptr_equal(qidl_node_get_prev(d), c);
    assert_null(qidl_node_get_prev(a));
    assert_ptr_equal(qidl_node_get_nth_child(st, 0), a);
    assert_ptr_equal(qidl_node_get_nth_child(st, 2), c);
    assert_ptr_equal(qidl_node_get_nth_child(st, 3), d);
    assert_null(qidl_node_get_nth_child(st, 4));
    assert_ptr_equal(qidl_node_get_parent(c), st);
    assert_ptr_equal(qidl_node_get_child(st, "c"), c);
    assert_null(qidl_node_get_child(st, "nope"));

    qidl_node_remove(b);
    assert_null(qidl_node_get_parent(b));
    assert_ptr_equal(qidl_node_get_next(a), c);
    assert_ptr_equal(qidl_node_get_prev(c), a);
    assert_int_equal(qidl_node_get_n_children(st), 3);
    assert_null(qidl_node_get_child(st, "b"));
    /* A removed node stays valid and can go back. */
    qidl_node_remove(b);
    assert_true(qidl_node_append(st, b, &error));
    assert_ptr_equal(qidl_node_get_last_child(st), b);
    qidl_node_remove(a);
    qidl_node_remove(b);
    assert_ptr_equal(qidl_node_get_first_child(st), c);
    assert_ptr_equal(qidl_node_get_last_child(st), d);
}

static void test_tree__attach_rules_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlTree) other = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *root = qidl_tree_get_root(tree);
    QidlNode *st = qidl_node_new_struct(tree, "st");
    QidlNode *list = qidl_node_new_list(tree, "list");
    QidlNode *x = qidl_node_new_uint(tree, "x", QIDL_KIND_UINT8, 1);
    QidlNode *inner = qidl_node_new_struct(tree, "inner");
    QidlNode *n;

    assert_true(qidl_node_append(root, st, &error));
    assert_true(qidl_node_append(st, x, &error));
    assert_true(qidl_node_append(st, list, &error));
    assert_true(qidl_node_append(st, inner, &error));

    /* A struct child without a name. */
    n = qidl_node_new_uint(tree, NULL, QIDL_KIND_UINT8, 1);
    assert_false(qidl_node_append(st, n, &error));
    assert_error(error, QIDL_ERROR_INVALID, "st: a struct field needs a name");
    g_clear_error(&error);
    /* A name the siblings already use. */
    n = qidl_node_new_uint(tree, "x", QIDL_KIND_UINT16, 1);
    assert_false(qidl_node_append(st, n, &error));
    assert_error(error, QIDL_ERROR_INVALID, "st: duplicate field 'x'");
    g_clear_error(&error);
    assert_false(qidl_node_insert_before(list, n, &error));
    assert_error(error, QIDL_ERROR_INVALID, "st: duplicate field 'x'");
    g_clear_error(&error);
    /* A named list element. */
    assert_false(qidl_node_append(list, n, &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "st.list: a list element cannot have a name ('x')");
    g_clear_error(&error);
    /* Already attached. */
    assert_false(qidl_node_append(inner, x, &error));
    assert_error(error, QIDL_ERROR_INVALID, "st.x: node is already attached");
    g_clear_error(&error);
    /* Below itself. */
    qidl_node_remove(inner);
    assert_false(qidl_node_append(inner, inner, &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "inner: node cannot be inserted below itself");
    g_clear_error(&error);
    n = qidl_node_new_struct(tree, "deeper");
    assert_true(qidl_node_append(inner, n, &error));
    assert_false(qidl_node_append(n, inner, &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "inner: node cannot be inserted below itself");
    g_clear_error(&error);
    /* Nodes of two trees. */
    assert_false(qidl_node_append(st, qidl_node_new_bool(other, "o", TRUE),
                                  &error));
    assert_error(error, QIDL_ERROR_INVALID, "o: cannot link nodes of two "
                 "trees");
    g_clear_error(&error);
    /* A parent that is not a container. */
    assert_false(qidl_node_append(x, qidl_node_new_bool(tree, "y", TRUE),
                                  &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "st.x: a uint8 node cannot have children");
    g_clear_error(&error);
    /* Next to a detached node. */
    assert_false(qidl_node_insert_after(inner,
                                        qidl_node_new_bool(tree, "y", TRUE),
                                        &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "inner: cannot insert next to a detached node");
    g_clear_error(&error);
    /* The root. */
    assert_false(qidl_node_append(st, root, &error));
    assert_error(error, QIDL_ERROR_INVALID, "the tree's root cannot be a "
                 "child");

    /* Nothing changed. */
    assert_int_equal(qidl_node_get_n_children(st), 2);
    assert_int_equal(qidl_node_get_n_children(list), 0);
    assert_int_equal(qidl_node_get_n_children(inner), 1);
    assert_int_equal(qidl_node_get_n_children(root), 1);
    assert_ptr_equal(qidl_node_get_parent(x), st);
}

static void test_tree__rename(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    QidlNode *u8 = qidl_node_find(s, "u8");
    QidlNode *detached = qidl_node_new_bool(tree, "d", TRUE);

    assert_true(qidl_node_rename(u8, "irr", &error));
    assert_string_equal(qidl_node_get_name(u8), "irr");
    assert_ptr_equal(qidl_node_get_child(s, "irr"), u8);
    assert_null(qidl_node_get_child(s, "u8"));
    /* The same name again is no conflict with itself. */
    assert_true(qidl_node_rename(u8, "irr", &error));
    /* Detached nodes may lose their name, and list elements keep none. */
    assert_true(qidl_node_rename(detached, NULL, &error));
    assert_null(qidl_node_get_name(detached));
    assert_true(qidl_node_rename(qidl_node_find(s, "cmos[1]"), NULL,
                                 &error));
    assert_true(qidl_node_rename(qidl_tree_get_root(tree), NULL, &error));
    assert_null(error);
}

static void test_tree__rename_rules_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);

    assert_false(qidl_node_rename(qidl_node_find(s, "u8"), "i8", &error));
    assert_error(error, QIDL_ERROR_INVALID, "s: duplicate field 'i8'");
    g_clear_error(&error);
    assert_false(qidl_node_rename(qidl_node_find(s, "u8"), NULL, &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "s.u8: a struct field needs a name");
    g_clear_error(&error);
    assert_false(qidl_node_rename(qidl_node_find(s, "cmos[1]"), "one",
                                  &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "s.cmos[1]: a list element cannot have a name ('one')");
    g_clear_error(&error);
    assert_false(qidl_node_rename(qidl_tree_get_root(tree), "root", &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "the tree's root cannot have a name");
    assert_non_null(qidl_node_find(s, "u8"));
    assert_null(qidl_node_get_name(qidl_node_find(s, "cmos[1]")));
}

static void test_tree__move(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    QidlNode *root = qidl_tree_get_root(tree);
    QidlNode *mode = qidl_node_find(s, "inner.mode");
    QidlNode *elem = qidl_node_find(s, "cmos[0]");

    assert_true(qidl_node_move(mode, root, &error));
    assert_ptr_equal(qidl_node_get_parent(mode), root);
    assert_ptr_equal(qidl_node_find(root, "mode"), mode);
    assert_int_equal(qidl_node_get_n_children(qidl_node_find(s, "inner")), 1);
    /* To the end of its own list. */
    assert_true(qidl_node_move(elem, qidl_node_find(s, "cmos"), &error));
    assert_ptr_equal(qidl_node_find(s, "cmos[7]"), elem);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(s, "cmos[0]")), 0x02);
    /* A detached node moves too. */
    assert_true(qidl_node_move(qidl_node_new_bool(tree, "new", TRUE), s,
                               &error));
    assert_string_equal(qidl_node_get_name(qidl_node_get_last_child(s)),
                        "new");
}

static void test_tree__move_rules_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlTree) other = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    QidlNode *inner = qidl_node_find(s, "inner");

    assert_false(qidl_node_move(s, inner, &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "s: node cannot be inserted below itself");
    g_clear_error(&error);
    assert_false(qidl_node_move(inner, inner, &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "s.inner: node cannot be inserted below itself");
    g_clear_error(&error);
    /* A named node into a list, an unnamed one into a struct. */
    assert_false(qidl_node_move(qidl_node_find(s, "u8"),
                                qidl_node_find(s, "cmos"), &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "s.cmos: a list element cannot have a name ('u8')");
    g_clear_error(&error);
    assert_false(qidl_node_move(qidl_node_find(s, "cmos[0]"), inner, &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "s.inner: a struct field needs a name");
    g_clear_error(&error);
    assert_false(qidl_node_move(qidl_node_find(s, "u8"),
                                qidl_tree_get_root(other), &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "s.u8: cannot link nodes of two trees");
    g_clear_error(&error);
    assert_false(qidl_node_move(qidl_tree_get_root(tree), inner, &error));
    assert_error(error, QIDL_ERROR_INVALID,
                 "the tree's root cannot be a child");
    g_clear_error(&error);
    /* A sibling of the same name. */
    assert_true(qidl_node_append(qidl_tree_get_root(tree),
                                 qidl_node_new_bool(tree, "u8", TRUE),
                                 &error));
    assert_false(qidl_node_move(qidl_node_find(s, "u8"),
                                qidl_tree_get_root(tree), &error));
    assert_error(error, QIDL_ERROR_INVALID, "duplicate field 'u8'");

    /* Nothing moved. */
    assert_int_equal(qidl_node_get_n_children(s), 21);
    assert_int_equal(qidl_node_get_n_children(qidl_node_find(s, "cmos")), 8);
    assert_int_equal(qidl_node_get_n_children(inner), 2);
}

static void test_tree__wide_struct(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *st = qidl_node_new_struct(tree, "wide");

    /* Past the size where lookups go through an index. */
    for (guint i = 0; i < 200; i++) {
        g_autofree char *name = g_strdup_printf("f%u", i);

        assert_true(qidl_node_append(st, qidl_node_new_uint(
            tree, name, QIDL_KIND_UINT32, i), &error));
    }
    for (guint i = 0; i < 200; i++) {
        g_autofree char *name = g_strdup_printf("f%u", i);

        assert_int_equal(qidl_node_get_uint(qidl_node_get_child(st, name)),
                         i);
    }
    assert_false(qidl_node_append(st, qidl_node_new_bool(tree, "f150", TRUE),
                                  &error));
    assert_error(error, QIDL_ERROR_INVALID, "wide: duplicate field 'f150'");
    g_clear_error(&error);
    qidl_node_remove(qidl_node_get_child(st, "f150"));
    assert_null(qidl_node_get_child(st, "f150"));
    assert_true(qidl_node_append(st, qidl_node_new_bool(tree, "f150", TRUE),
                                 &error));
    assert_int_equal(qidl_node_get_kind(qidl_node_get_child(st, "f150")),
                     QIDL_KIND_BOOL);
    assert_true(qidl_node_rename(qidl_node_get_child(st, "f7"), "seven",
                                 &error));
    assert_null(qidl_node_get_child(st, "f7"));
    assert_int_equal(qidl_node_get_uint(qidl_node_get_child(st, "seven")), 7);
    assert_false(qidl_node_rename(qidl_node_get_child(st, "f8"), "seven",
                                  &error));
    assert_error(error, QIDL_ERROR_INVALID, "wide: duplicate field 'seven'");
    assert_ptr_equal(qidl_node_get_nth_child(st, 199),
                     qidl_node_get_child(st, "f150"));
    assert_ptr_equal(qidl_node_get_nth_child(st, 150),
                     qidl_node_get_child(st, "f151"));
    /* Out to another struct and back: the index follows. */
    {
        QidlNode *other = qidl_node_new_struct(tree, "other");
        QidlNode *f3 = qidl_node_get_child(st, "f3");

        assert_true(qidl_node_move(f3, other, &error));
        assert_null(qidl_node_get_child(st, "f3"));
        assert_ptr_equal(qidl_node_get_child(other, "f3"), f3);
        assert_true(qidl_node_move(f3, st, &error));
        assert_ptr_equal(qidl_node_get_child(st, "f3"), f3);
        assert_ptr_equal(qidl_node_get_last_child(st), f3);
        assert_int_equal(qidl_node_get_n_children(other), 0);
    }
}

/* Paths. */

static void test_tree__find(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *root = qidl_tree_get_root(tree);
    QidlNode *s = new_sample_tree(tree);
    QidlNode *regs = qidl_node_find(s, "regs");

    assert_ptr_equal(qidl_node_find(s, ""), s);
    assert_ptr_equal(qidl_node_find(root, "s"), s);
    assert_ptr_equal(qidl_node_find(root, "s.regs[1].hi"),
                     qidl_node_find(s, "regs[1].hi"));
    /* From a list, a path may start with an index. */
    assert_ptr_equal(qidl_node_find(regs, "[1].hi"),
                     qidl_node_find(s, "regs[1].hi"));
    assert_ptr_equal(qidl_node_find(regs, "[0]"),
                     qidl_node_get_first_child(regs));
    /* Well-formed, but nothing there. */
    assert_null(qidl_node_find(s, "nope"));
    assert_null(qidl_node_find(s, "regs[2]"));
    assert_null(qidl_node_find(s, "inner[0]"));    /* not a list */
    assert_null(qidl_node_find(s, "cmos.x"));      /* not a struct */
    assert_null(qidl_node_find(s, "u8.x"));
    assert_null(qidl_node_find(s, "nope.deeper[3]"));
}

static void test_tree__find_malformed_fail(void **state)
{
    static const char *const bad[] = {
        ".", ".u8", "u8.", "inner..mode", "regs[", "regs[]", "regs[1",
        "regs[x]", "regs[-1]", "regs[+1]", "regs]", "regs[1]hi",
        "regs[1]]", "regs[99999999999]", "inner.", "regs[0].", "a b]",
    };
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *s = new_sample_tree(tree);

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (qidl_node_find(s, bad[i])) {
            fail_msg("path \"%s\" found a node", bad[i]);
        }
    }
    /* Malformed after a miss is still malformed, and vice versa. */
    assert_null(qidl_node_find(qidl_node_find(s, "regs"), "[0]lo"));
}

static void test_tree__get_path(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    QidlNode *list = qidl_node_new_list(tree, NULL);
    QidlNode *elem = qidl_node_new_struct(tree, NULL);
    g_autofree char *root_path = NULL, *hi = NULL, *cell = NULL;
    g_autofree char *detached = NULL, *under_list = NULL;
    const char *const paths[] = {
        "u8", "inner.mode", "cmos[7]", "regs[1]", "regs[1].hi",
        "matrix[1][2]", "matrix[0]",
    };

    root_path = qidl_node_get_path(qidl_tree_get_root(tree));
    assert_string_equal(root_path, "");
    hi = qidl_node_get_path(qidl_node_find(s, "regs[1].hi"));
    assert_string_equal(hi, "s.regs[1].hi");
    cell = qidl_node_get_path(qidl_node_find(s, "matrix[1][2]"));
    assert_string_equal(cell, "s.matrix[1][2]");
    /* Paths and find agree. */
    for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
        g_autofree char *path = qidl_node_get_path(qidl_node_find(s,
                                                                  paths[i]));
        g_autofree char *expected = g_strconcat("s.", paths[i], NULL);

        assert_string_equal(path, expected);
    }

    /* A detached subtree: its top is where paths start. */
    qidl_node_remove(s);
    detached = qidl_node_get_path(qidl_node_find(s, "inner.mode"));
    assert_string_equal(detached, "s.inner.mode");
    assert_true(qidl_node_append(list, qidl_node_new_bool(tree, NULL, TRUE),
                                 &error));
    assert_true(qidl_node_append(list, elem, &error));
    assert_true(qidl_node_append(elem, qidl_node_new_bool(tree, "x", TRUE),
                                 &error));
    under_list = qidl_node_get_path(qidl_node_find(list, "[1].x"));
    assert_string_equal(under_list, "[1].x");
}

/* Copy, equal, compare. */

static void test_tree__copy_across_trees(void **state)
{
    g_autoptr(QidlTree) dst = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlTree *src = qidl_tree_new();
    QidlNode *s = new_sample_tree(src);
    QidlNode *copy;
    Sample in, out = { 0 };

    qidl_node_set_device(s, "sample-dev", "/machine/s", 4);
    copy = qidl_node_copy(dst, s);
    assert_ptr_equal(qidl_node_get_tree(copy), dst);
    assert_null(qidl_node_get_parent(copy));
    assert_string_equal(qidl_node_get_name(copy), "s");
    assert_true(qidl_node_equal(s, copy));
    assert_true(qidl_node_equal(copy, s));
    assert_ptr_not_equal(qidl_node_find(copy, "regs[1].hi"),
                         qidl_node_find(s, "regs[1].hi"));
    assert_ptr_equal(qidl_node_get_tree(qidl_node_find(copy, "regs[1].hi")),
                     dst);
    /* Device information came along. */
    assert_string_equal(qidl_node_get_type_name(copy), "sample-dev");
    assert_ptr_not_equal(qidl_node_get_type_name(copy),
                         qidl_node_get_type_name(s));

    /* The copy outlives its source. */
    qidl_tree_free(src);
    assert_true(qidl_node_append(qidl_tree_get_root(dst), copy, &error));
    assert_true(load_sample(copy, 0, &out, NULL, &error));
    sample_init(&in);
    assert_true(sample_equal(&in, &out));
    sample_clear(&in);
    sample_clear(&out);

    /* A copy within one tree is detached too. */
    assert_true(qidl_node_equal(qidl_node_copy(dst, copy), copy));
    assert_null(qidl_node_get_parent(qidl_node_copy(dst, copy)));
}

static void test_tree__copy_leaf(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *n = qidl_node_new_string(tree, "str", "value");
    QidlNode *c = qidl_node_copy(tree, n);

    assert_true(qidl_node_equal(n, c));
    assert_ptr_not_equal(qidl_node_get_string(n, NULL),
                         qidl_node_get_string(c, NULL));
}

static void test_tree__equal(void **state)
{
    g_autoptr(QidlTree) ta = qidl_tree_new();
    g_autoptr(QidlTree) tb = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *a = new_sample_tree(ta);
    QidlNode *b = new_sample_tree(tb);
    QidlNode *tmp;
    float nan1 = NAN;

    assert_true(qidl_node_equal(a, b));
    assert_true(qidl_node_equal(qidl_tree_get_root(ta),
                                qidl_tree_get_root(tb)));
    /* A value. */
    assert_true(qidl_node_set_uint(qidl_node_find(b, "cmos[3]"), 0x81,
                                   &error));
    assert_false(qidl_node_equal(a, b));
    assert_true(qidl_node_set_uint(qidl_node_find(b, "cmos[3]"), 0x80,
                                   &error));
    assert_true(qidl_node_equal(a, b));
    /* A name. */
    assert_true(qidl_node_rename(b, "t", &error));
    assert_false(qidl_node_equal(a, b));
    assert_true(qidl_node_rename(b, "s", &error));
    /* Field order. */
    tmp = qidl_node_find(b, "inner.enabled");
    assert_true(qidl_node_move(tmp, qidl_node_find(b, "inner"), &error));
    assert_false(qidl_node_equal(a, b));
    assert_true(qidl_node_move(qidl_node_find(b, "inner.mode"),
                               qidl_node_find(b, "inner"), &error));
    assert_true(qidl_node_equal(a, b));
    /* Device information. */
    qidl_node_set_device(a, "t", "/p", 1);
    assert_false(qidl_node_equal(a, b));
    qidl_node_set_device(b, "t", "/p", 2);
    assert_false(qidl_node_equal(a, b));
    qidl_node_set_version(b, 1);
    assert_true(qidl_node_equal(a, b));
    /* Floats bit for bit: -0.0 is not 0.0, a NaN equals itself. */
    qidl_node_set_double(qidl_node_find(a, "d"), 0.0);
    qidl_node_set_double(qidl_node_find(b, "d"), -0.0);
    assert_false(qidl_node_equal(a, b));
    qidl_node_set_double(qidl_node_find(a, "f"), nan1);
    qidl_node_set_double(qidl_node_find(b, "f"), nan1);
    qidl_node_set_double(qidl_node_find(b, "d"), 0.0);
    assert_true(qidl_node_equal(a, b));
    /* A missing last element. */
    qidl_node_remove(qidl_node_find(b, "matrix[1][2]"));
    assert_false(qidl_node_equal(a, b));
}

/* Collects compare() reports as "path: <a> | <b>". */
static void collect_diff(const char *path, const QidlNode *a,
                         const QidlNode *b, gpointer user_data)
{
    GPtrArray *diffs = user_data;
    g_autofree char *va = a ? qidl_node_format_value(a) : g_strdup("-");
    g_autofree char *vb = b ? qidl_node_format_value(b) : g_strdup("-");

    g_ptr_array_add(diffs, g_strdup_printf("%s: %s | %s", path, va, vb));
}

static void assert_diffs(GPtrArray *diffs, const char *const *expected,
                         gsize n)
{
    for (gsize i = 0; i < MIN(n, diffs->len); i++) {
        assert_string_equal(diffs->pdata[i], expected[i]);
    }
    assert_int_equal(diffs->len, n);
}

static void test_tree__compare(void **state)
{
    static const char *const expected[] = {
        "s.u8: (uint8) 0x10 | (uint8) 0x11",
        "s.i16: (int16) -0x12c | (uint16) 0x12c",
        "s.label: (string) \"com1\" | -",
        "s.inner.mode: (uint8) 0x3 | (uint8) 0x4",
        "s.cmos[3]: (uint8) 0x80 | (uint8) 0x0",
        "s.regs[1]: (struct, 2 fields) | (struct, 2 fields)",
        "s.matrix[1][2]: (uint16) 0x300 | -",
        "s.fifo[2]: - | (uint8) 0x43",
        "s.zzz: - | (bool) true",
    };
    g_autoptr(QidlTree) ta = qidl_tree_new();
    g_autoptr(QidlTree) tb = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) diffs = g_ptr_array_new_with_free_func(g_free);
    QidlNode *a = new_sample_tree(ta);
    QidlNode *b = new_sample_tree(tb);

    assert_int_equal(qidl_node_compare(a, b, collect_diff, diffs), 0);
    assert_int_equal(diffs->len, 0);

    assert_true(qidl_node_set_uint(qidl_node_find(b, "u8"), 0x11, &error));
    swap_child(b, "i16", qidl_node_new_uint(tb, "i16", QIDL_KIND_UINT16,
                                            300));
    qidl_node_remove(qidl_node_find(b, "label"));
    assert_true(qidl_node_set_uint(qidl_node_find(b, "inner.mode"), 4,
                                   &error));
    assert_true(qidl_node_set_uint(qidl_node_find(b, "cmos[3]"), 0, &error));
    qidl_node_set_device(qidl_node_find(b, "regs[1]"), "reg", "/r", 1);
    qidl_node_remove(qidl_node_find(b, "matrix[1][2]"));
    assert_true(qidl_node_append(qidl_node_find(b, "fifo"),
                                 qidl_node_new_uint(tb, NULL, QIDL_KIND_UINT8,
                                                    0x43), &error));
    assert_true(qidl_node_append(b, qidl_node_new_bool(tb, "zzz", TRUE),
                                 &error));
    /* Field order does not matter to compare. */
    assert_true(qidl_node_move(qidl_node_find(b, "flag"), b, &error));

    assert_int_equal(qidl_node_compare(a, b, collect_diff, diffs),
                     G_N_ELEMENTS(expected));
    assert_diffs(diffs, expected, G_N_ELEMENTS(expected));
    /* Without a callback it still counts. */
    assert_int_equal(qidl_node_compare(a, b, NULL, NULL),
                     G_N_ELEMENTS(expected));
    /* The other way round, the sides swap. */
    g_ptr_array_set_size(diffs, 0);
    assert_int_equal(qidl_node_compare(b, a, collect_diff, diffs),
                     G_N_ELEMENTS(expected));
    assert_string_equal(diffs->pdata[0], "s.u8: (uint8) 0x11 | (uint8) 0x10");
}

static void test_tree__compare_kind_stops_descent(void **state)
{
    static const char *const expected[] = {
        "s.regs: (list, 2 elements) | (struct, 1 field)",
    };
    g_autoptr(QidlTree) ta = qidl_tree_new();
    g_autoptr(QidlTree) tb = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) diffs = g_ptr_array_new_with_free_func(g_free);
    QidlNode *a = new_sample_tree(ta);
    QidlNode *b = new_sample_tree(tb);
    QidlNode *regs = qidl_node_new_struct(tb, "regs");

    assert_true(qidl_node_append(regs, qidl_node_new_bool(tb, "x", TRUE),
                                 &error));
    swap_child(b, "regs", regs);
    assert_int_equal(qidl_node_compare(a, b, collect_diff, diffs), 1);
    assert_diffs(diffs, expected, G_N_ELEMENTS(expected));
}

static void test_tree__compare_top_and_empty(void **state)
{
    static const char *const expected[] = {
        "a: (struct, 0 fields) | (struct, 2 fields)",
        "a.x: - | (bool) true",
        "a.y: - | (bool) false",
    };
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) diffs = g_ptr_array_new_with_free_func(g_free);
    QidlNode *a = qidl_node_new_struct(tree, "a");
    QidlNode *b = qidl_node_new_struct(tree, "b");
    QidlNode *la = qidl_node_new_list(tree, "l");
    QidlNode *lb = qidl_node_new_list(tree, "l");

    /* Different top names count as a difference of the top. */
    assert_true(qidl_node_append(b, qidl_node_new_bool(tree, "x", TRUE),
                                 &error));
    assert_true(qidl_node_append(b, qidl_node_new_bool(tree, "y", FALSE),
                                 &error));
    assert_int_equal(qidl_node_compare(a, b, collect_diff, diffs), 3);
    assert_diffs(diffs, expected, G_N_ELEMENTS(expected));
    assert_int_equal(qidl_node_compare(la, lb, NULL, NULL), 0);
    assert_int_equal(qidl_node_compare(a, a, NULL, NULL), 0);
}

/* Devices. */

static void test_tree__device_info(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *s = new_sample_tree(tree);
    QidlNode *inner = qidl_node_find(s, "inner");

    assert_false(qidl_node_is_device(s));
    assert_null(qidl_node_get_type_name(s));
    assert_null(qidl_node_get_instance_path(s));
    assert_int_equal(qidl_node_get_version(s), 0);
    /* Not a struct: never a device. */
    assert_false(qidl_node_is_device(qidl_node_find(s, "u8")));
    assert_null(qidl_node_get_type_name(qidl_node_find(s, "cmos")));

    qidl_node_set_device(s, "mc146818rtc", "/machine/rtc", 3);
    assert_true(qidl_node_is_device(s));
    assert_string_equal(qidl_node_get_type_name(s), "mc146818rtc");
    assert_string_equal(qidl_node_get_instance_path(s), "/machine/rtc");
    assert_int_equal(qidl_node_get_version(s), 3);
    assert_false(qidl_node_is_device(inner));

    qidl_node_set_type_name(s, "kvm-rtc");
    qidl_node_set_instance_path(s, "/machine/unattached/rtc");
    qidl_node_set_version(s, G_MAXUINT32);
    assert_string_equal(qidl_node_get_type_name(s), "kvm-rtc");
    assert_string_equal(qidl_node_get_instance_path(s),
                        "/machine/unattached/rtc");
    assert_true(qidl_node_get_version(s) == G_MAXUINT32);
}

/* Formatting, printing, replay. */

static void test_tree__format_value(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *s = new_sample_tree(tree);
    static const struct {
        const char *path, *text;
    } cases[] = {
        { "flag", "(bool) true" },
        { "i8", "(int8) -0x2" },
        { "u8", "(uint8) 0x10" },
        { "u16", "(uint16) 0xbeef" },
        { "i64", "(int64) -0x7fffffffffffffff" },
        { "u64", "(uint64) 0xfffffffffffffffe" },
        { "f", "(float) 1.5" },
        { "d", "(double) -0.10000000000000001" },
        { "label", "(string) \"com1\"" },
        { "blob", "(bytes[4]) 00ff107f" },
        { "inner", "(struct, 2 fields)" },
        { "cmos", "(list, 8 elements)" },
        { "fifo", "(list, 2 elements)" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text =
            qidl_node_format_value(qidl_node_find(s, cases[i].path));

        assert_string_equal(text, cases[i].text);
    }
}

/* A small tree with one of each shape, as a device of the root. */
static QidlNode *small_tree(QidlTree *tree)
{
    g_autoptr(GError) error = NULL;
    QidlNode *rtc = qidl_node_new_struct(tree, "rtc");
    QidlNode *regs = qidl_node_new_list(tree, "regs");
    QidlNode *nested = qidl_node_new_list(tree, "nested");
    QidlNode *row = qidl_node_new_list(tree, NULL);
    const guint8 blob[] = { 0x00, 0xff, 0x10 };

    qidl_node_set_device(rtc, "mc146818rtc", "/machine/rtc", 3);
    assert_true(qidl_node_append(qidl_tree_get_root(tree), rtc, &error));
    assert_true(qidl_node_append(rtc, qidl_node_new_uint(
        tree, "irr", QIDL_KIND_UINT8, 0x10), &error));
    assert_true(qidl_node_append(rtc, regs, &error));
    assert_true(qidl_node_append(regs, qidl_node_new_int(
        tree, NULL, QIDL_KIND_INT16, -5), &error));
    assert_true(qidl_node_append(regs, qidl_node_new_int(
        tree, NULL, QIDL_KIND_INT16, 6), &error));
    assert_true(qidl_node_append(rtc, qidl_node_new_string(
        tree, "id", "com\"1\n"), &error));
    assert_true(qidl_node_append(rtc, qidl_node_new_bytes(
        tree, "blob", blob, 3), &error));
    assert_true(qidl_node_append(rtc, qidl_node_new_float(
        tree, "ratio", QIDL_KIND_DOUBLE, 0.5), &error));
    assert_true(qidl_node_append(rtc, qidl_node_new_struct(tree, "none"),
                                 &error));
    assert_true(qidl_node_append(rtc, qidl_node_new_list(tree, "empty"),
                                 &error));
    assert_true(qidl_node_append(rtc, nested, &error));
    assert_true(qidl_node_append(nested, row, &error));
    assert_true(qidl_node_append(row, qidl_node_new_bool(tree, NULL, FALSE),
                                 &error));
    return rtc;
}

static const char small_tree_text[] =
    "# device rtc: type mc146818rtc, path /machine/rtc, version 3\n"
    "rtc.irr = (uint8) 0x10\n"
    "rtc.regs(2)(0).[0] = (int16) -0x5\n"
    "rtc.regs(2)(0).[1] = (int16) 0x6\n"
    "rtc.id = (string) \"com\\\"1\\n\"\n"
    "rtc.blob = (bytes[3]) 00ff10\n"
    "rtc.ratio = (double) 0.5\n"
    "rtc.none = (empty struct)\n"
    "rtc.empty(0)(0) = (empty)\n"
    "rtc.nested(1)(0).[0](1)(0).[0] = (bool) false\n";

static void test_tree__print(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GString) from_root = g_string_new(NULL);
    g_autoptr(GString) from_dev = g_string_new("keep\n");
    QidlNode *rtc = small_tree(tree);

    qidl_node_print(qidl_tree_get_root(tree), from_root);
    assert_string_equal(from_root->str, small_tree_text);
    /* Appended; the same text from the device itself. */
    qidl_node_print(rtc, from_dev);
    assert_true(g_str_has_prefix(from_dev->str, "keep\n"));
    assert_string_equal(from_dev->str + 5, small_tree_text);
}

static void test_tree__print_nested_device(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    QidlNode *machine = qidl_node_new_struct(tree, "machine");
    QidlNode *list = qidl_node_new_list(tree, "cpus");
    QidlNode *cpu = qidl_node_new_struct(tree, NULL);

    assert_true(qidl_node_append(qidl_tree_get_root(tree), machine, &error));
    assert_true(qidl_node_append(machine, list, &error));
    assert_true(qidl_node_append(list, cpu, &error));
    assert_true(qidl_node_append(cpu, qidl_node_new_uint(
        tree, "id", QIDL_KIND_UINT32, 0), &error));
    qidl_node_set_device(cpu, "cpu", "/machine/cpu[0]", 1);
    qidl_node_print(machine, out);
    assert_string_equal(out->str,
                        "# device machine.cpus[0]: type cpu, path "
                        "/machine/cpu[0], version 1\n"
                        "machine.cpus(1)(0).[0].id = (uint32) 0x0\n");
}

static void test_tree__replay_into_tree(void **state)
{
    g_autoptr(QidlTree) ta = qidl_tree_new();
    g_autoptr(QidlTree) tb = qidl_tree_new();
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tb, NULL);
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(ta);
    QidlNode *rtc = small_tree(ta);

    assert_true(qidl_node_replay(s, v, &error));
    assert_true(qidl_node_replay(rtc, v, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_ptr_equal(qidl_tree_output_visitor_get_result(v),
                     qidl_node_find(qidl_tree_get_root(tb), "rtc"));
    /* Device information is not visitor data: set it to compare. */
    qidl_node_set_device(qidl_tree_output_visitor_get_result(v),
                         "mc146818rtc", "/machine/rtc", 3);
    assert_true(qidl_node_equal(qidl_tree_get_root(ta),
                                qidl_tree_get_root(tb)));
}

static void test_tree__replay_loads_sample(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlTree) copy = qidl_tree_new();
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(copy, NULL);
    g_autoptr(GError) error = NULL;
    QidlNode *s = new_sample_tree(tree);
    Sample in, out = { 0 };

    /* Replayed lists are counted; loading them as fixed still works. */
    assert_true(qidl_node_replay(s, v, &error));
    assert_true(load_sample(qidl_tree_output_visitor_get_result(v), 0, &out,
                            NULL, &error));
    sample_init(&in);
    assert_true(sample_equal(&in, &out));
    sample_clear(&in);
    sample_clear(&out);
}

/* Deep trees. */

/* A chain of DEEP structs "a" with a uint8 "x" at the bottom. */
static QidlNode *deep_chain(QidlTree *tree, guint8 leaf)
{
    g_autoptr(GError) error = NULL;
    QidlNode *top = qidl_node_new_struct(tree, "a");
    QidlNode *cur = top;

    for (int i = 1; i < DEEP; i++) {
        QidlNode *n = qidl_node_new_struct(tree, "a");

        assert_true(qidl_node_append(cur, n, &error));
        cur = n;
    }
    assert_true(qidl_node_append(cur, qidl_node_new_uint(
        tree, "x", QIDL_KIND_UINT8, leaf), &error));
    return top;
}

static void test_tree__deep_walks(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlTree) other = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) printed = g_string_new(NULL);
    g_autoptr(GString) path = g_string_new("a");
    g_autoptr(GPtrArray) diffs = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *leaf_path = NULL;
    QidlNode *a = deep_chain(tree, 1);
    QidlNode *b = deep_chain(tree, 2);
    QidlNode *copy, *leaf;

    assert_true(qidl_node_append(qidl_tree_get_root(tree), a, &error));
    for (int i = 1; i < DEEP; i++) {
        g_string_append(path, ".a");
    }
    g_string_append(path, ".x");

    copy = qidl_node_copy(other, a);
    assert_true(qidl_node_equal(a, copy));
    assert_false(qidl_node_equal(a, b));
    assert_int_equal(qidl_node_compare(a, b, collect_diff, diffs), 1);
    assert_true(g_str_has_suffix(diffs->pdata[0],
                                 ".a.x: (uint8) 0x1 | (uint8) 0x2"));
    assert_int_equal(qidl_node_compare(a, copy, NULL, NULL), 0);

    leaf = qidl_node_find(a, path->str + 2);
    assert_non_null(leaf);
    leaf_path = qidl_node_get_path(leaf);
    assert_string_equal(leaf_path, path->str);

    /* Visitors stop at their depth limit; the walk itself does not. */
    qidl_node_print(qidl_tree_get_root(tree), printed);
    assert_true(g_str_has_prefix(printed->str, "# error: a.a."));
    assert_true(g_str_has_suffix(printed->str,
                                 ": nesting deeper than 64 levels\n"));
    {
        g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(other, NULL);

        assert_false(qidl_node_replay(a, v, &error));
        assert_int_equal(error->code, QIDL_ERROR_LIMIT);
    }
    /* Moving a deep chain below its own bottom is refused. */
    g_clear_error(&error);
    assert_false(qidl_node_move(a, qidl_node_get_parent(leaf), &error));
    assert_int_equal(error->code, QIDL_ERROR_INVALID);
}

static void test_tree__deep_lists(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) printed = g_string_new(NULL);
    QidlNode *top = qidl_node_new_list(tree, "l");
    QidlNode *cur = top;
    QidlNode *copy;
    g_autofree char *path = NULL;

    for (int i = 1; i < DEEP; i++) {
        QidlNode *n = qidl_node_new_list(tree, NULL);

        assert_true(qidl_node_append(cur, n, &error));
        cur = n;
    }
    copy = qidl_node_copy(tree, top);
    assert_true(qidl_node_equal(top, copy));
    path = qidl_node_get_path(cur);
    assert_int_equal(strlen(path), 1 + 3 * (DEEP - 1));
    qidl_node_print(top, printed);
    assert_true(g_str_has_prefix(printed->str, "# error: l[0][0]"));
}

/* ---- qidl_visit_scalar_array() ---- */

static const QidlKind array_kinds[] = {
    QIDL_KIND_BOOL, QIDL_KIND_INT8, QIDL_KIND_UINT8, QIDL_KIND_INT16,
    QIDL_KIND_UINT16, QIDL_KIND_INT32, QIDL_KIND_UINT32, QIDL_KIND_INT64,
    QIDL_KIND_UINT64, QIDL_KIND_FLOAT, QIDL_KIND_DOUBLE,
};

/*
 * A struct "dev" holding one array "a" of @n values of @kind, visited
 * element by element or (@bulk) with qidl_visit_scalar_array().
 */
static gboolean visit_array(QidlVisitor *v, QidlKind kind, guint32 n,
                            void *array, gboolean bulk, GError **error)
{
    gsize size = qidl_kind_size(kind);
    guint32 count = n;

    if (!qidl_visit_start_struct(v, "dev", error)) {
        return FALSE;
    }
    if (bulk) {
        if (!qidl_visit_scalar_array(v, "a", kind, QIDL_LIST_SIZED, n,
                                     array, error)) {
            return FALSE;
        }
    } else {
        if (!qidl_visit_start_list(v, "a", QIDL_LIST_SIZED, &count, size,
                                   error)) {
            return FALSE;
        }
        for (guint32 i = 0; i < count; i++) {
            if (!qidl_visit_next_list(v, error) ||
                !qidl_visit_scalar(v, NULL, kind, (guint8 *)array + i * size,
                                   error)) {
                return FALSE;
            }
        }
        if (!qidl_visit_end_list(v, error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_struct(v, error);
}

static QidlNode *save_array(QidlTree *tree, QidlKind kind, guint32 n,
                            void *array, gboolean bulk)
{
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;

    assert_true(visit_array(v, kind, n, array, bulk, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    return qidl_tree_output_visitor_get_result(v);
}

/* Loads @node as @n values of @kind (after filling @array with 0xee). */
static GError *load_array(const QidlNode *node, QidlKind kind, guint32 n,
                          void *array, gboolean bulk)
{
    g_autoptr(QidlVisitor) v = qidl_tree_input_visitor_new(node, 0);
    GError *error = NULL;

    memset(array, 0xee, n * qidl_kind_size(kind));
    if (visit_array(v, kind, n, array, bulk, &error)) {
        qidl_visitor_complete(v, &error);
    }
    return error;
}

/* The same nodes either way, and back, for every kind. */
static void test_tree__scalar_array_same_as_elements(void **state)
{
    static const guint32 counts[] = { 0, 1, 5 };

    for (gsize k = 0; k < G_N_ELEMENTS(array_kinds); k++) {
        for (gsize c = 0; c < G_N_ELEMENTS(counts); c++) {
            g_autoptr(QidlTree) t1 = qidl_tree_new();
            g_autoptr(QidlTree) t2 = qidl_tree_new();
            QidlKind kind = array_kinds[k];
            guint32 n = counts[c];
            gsize len = n * qidl_kind_size(kind);
            g_autofree guint8 *src = g_malloc(len + 1);
            g_autofree guint8 *dst = g_malloc(len + 1);
            QidlNode *loop, *bulk;

            for (gsize i = 0; i < len; i++) {
                src[i] = kind == QIDL_KIND_BOOL ? (guint8)(i % 3 == 1)
                                                : (guint8)(0x91 + 37 * i);
            }
            loop = save_array(t1, kind, n, src, FALSE);
            bulk = save_array(t2, kind, n, src, TRUE);
            assert_true(qidl_node_equal(loop, bulk));
            assert_int_equal(qidl_node_get_n_children(
                                 qidl_node_get_child(bulk, "a")), n);
            for (int b = 0; b < 2; b++) {
                g_autoptr(GError) error = load_array(bulk, kind, n, dst, b);

                assert_null(error);
                assert_memory_equal(src, dst, len);
            }
        }
    }
}

/* An array as the top-level value: attached when it is complete. */
static void test_tree__scalar_array_top_level(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;
    guint8 top[2] = { 1, 2 };
    QidlNode *root = qidl_tree_get_root(tree);

    assert_true(qidl_visit_scalar_array(v, "top", QIDL_KIND_UINT8,
                                        QIDL_LIST_FIXED, 2, top, &error));
    assert_ptr_equal(qidl_tree_output_visitor_get_result(v),
                     qidl_node_get_child(root, "top"));
    assert_int_equal(qidl_node_get_uint(qidl_node_find(root, "top[1]")), 2);
}

/* The same errors, with the same paths, and the same elements loaded. */
static void test_tree__scalar_array_errors_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    guint16 src[3] = { 5, 6, 7 };
    QidlNode *dev = save_array(tree, QIDL_KIND_UINT16, 3, src, TRUE);
    QidlNode *a = qidl_node_get_child(dev, "a");
    static const struct {
        QidlKind kind;
        guint32 n;
        int code;
        const char *message;
    } cases[] = {
        { QIDL_KIND_UINT16, 2, QIDL_ERROR_LENGTH_MISMATCH,
          "dev.a: expected 2 elements, found 3" },
        { QIDL_KIND_INT16, 3, QIDL_ERROR_TYPE_MISMATCH,
          "dev.a[0]: expected int16, found uint16" },
        /* After element 2 below becomes a uint32. */
        { QIDL_KIND_UINT16, 3, QIDL_ERROR_TYPE_MISMATCH,
          "dev.a[2]: expected uint16, found uint32" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint16 loop_dst[3], bulk_dst[3];
        g_autoptr(GError) loop = NULL;
        g_autoptr(GError) bulk = NULL;

        if (i == 2) {
            g_autoptr(GError) error = NULL;

            qidl_node_remove(qidl_node_get_nth_child(a, 2));
            assert_true(qidl_node_append(a, qidl_node_new_uint(
                                                tree, NULL, QIDL_KIND_UINT32,
                                                7), &error));
        }
        loop = load_array(dev, cases[i].kind, cases[i].n, loop_dst, FALSE);
        bulk = load_array(dev, cases[i].kind, cases[i].n, bulk_dst, TRUE);
        assert_error(loop, cases[i].code, cases[i].message);
        assert_error(bulk, cases[i].code, cases[i].message);
        assert_memory_equal(loop_dst, bulk_dst,
                            cases[i].n * sizeof(guint16));
    }
}

/* A struct field of the same name, visited twice: the output's check. */
static void test_tree__scalar_array_twice_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;
    guint8 a[1] = { 0 };

    assert_true(qidl_visit_start_struct(v, "dev", &error));
    assert_true(qidl_visit_scalar_array(v, "a", QIDL_KIND_UINT8,
                                        QIDL_LIST_FIXED, 1, a, &error));
    assert_false(qidl_visit_scalar_array(v, "a", QIDL_KIND_UINT8,
                                         QIDL_LIST_FIXED, 1, a, &error));
    assert_error(error, QIDL_ERROR_INVALID, "dev.a: field visited twice");
}

/* ---- qidl_visit_scalar_fields() ---- */

#define RUN_FIELD(name, kind) \
    { #name, offsetof(FieldsDev, name), kind, sizeof(#name) - 1 }

/* fields_run backwards. */
static const QidlScalarField run_backwards[FIELDS_RUN_LEN] = {
    RUN_FIELD(d, QIDL_KIND_DOUBLE),
    RUN_FIELD(f, QIDL_KIND_FLOAT),
    RUN_FIELD(u64, QIDL_KIND_UINT64),
    RUN_FIELD(i64, QIDL_KIND_INT64),
    RUN_FIELD(u32, QIDL_KIND_UINT32),
    RUN_FIELD(i32, QIDL_KIND_INT32),
    RUN_FIELD(u16, QIDL_KIND_UINT16),
    RUN_FIELD(i16, QIDL_KIND_INT16),
    RUN_FIELD(u8, QIDL_KIND_UINT8),
    RUN_FIELD(i8, QIDL_KIND_INT8),
    RUN_FIELD(flag, QIDL_KIND_BOOL),
};

/* A field of the run twice, and head again. */
static const QidlScalarField run_u8_twice[] = {
    RUN_FIELD(flag, QIDL_KIND_BOOL),
    RUN_FIELD(u8, QIDL_KIND_UINT8),
    RUN_FIELD(u8, QIDL_KIND_UINT8),
};
static const QidlScalarField run_head_again[] = {
    RUN_FIELD(flag, QIDL_KIND_BOOL),
    RUN_FIELD(head, QIDL_KIND_UINT8),
};

static QidlNode *save_fields(QidlTree *tree, FieldsDev *d,
                             const QidlScalarField *run, gboolean bulk)
{
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;

    assert_true(fields_dev_visit(v, "dev", d, run, FIELDS_RUN_LEN, bulk,
                                 &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    return qidl_tree_output_visitor_get_result(v);
}

/* Loads @node into @d, first filled with 0xee; returns the error. */
static GError *load_fields(const QidlNode *node, FieldsDev *d,
                           QidlTreeInputFlags flags, gboolean bulk)
{
    g_autoptr(QidlVisitor) v = qidl_tree_input_visitor_new(node, flags);
    GError *error = NULL;

    memset(d, 0xee, sizeof(*d));
    if (fields_dev_visit(v, "dev", d, fields_run, FIELDS_RUN_LEN, bulk,
                         &error)) {
        qidl_visitor_complete(v, &error);
    }
    return error;
}

static void assert_fields_dev_equal(const FieldsDev *a, const FieldsDev *b)
{
    assert_int_equal(a->head, b->head);
    for (guint i = 0; i < FIELDS_RUN_LEN; i++) {
        const QidlScalarField *f = &fields_run[i];

        assert_memory_equal((const guint8 *)a + f->offset,
                            (const guint8 *)b + f->offset,
                            qidl_kind_size(f->kind));
    }
    assert_int_equal(a->tail, b->tail);
}

/* The same nodes either way, and back either way, in order or not. */
static void test_tree__scalar_fields_same_as_fields(void **state)
{
    g_autoptr(QidlTree) t1 = qidl_tree_new();
    g_autoptr(QidlTree) t2 = qidl_tree_new();
    g_autoptr(QidlTree) t3 = qidl_tree_new();
    QidlNode *loop, *bulk, *backwards;
    FieldsDev src, dst;

    fields_dev_init(&src);
    loop = save_fields(t1, &src, fields_run, FALSE);
    bulk = save_fields(t2, &src, fields_run, TRUE);
    assert_true(qidl_node_equal(loop, bulk));
    assert_int_equal(qidl_node_get_n_children(bulk), 13);
    assert_int_equal(qidl_node_get_int(qidl_node_get_child(bulk, "i16")),
                     -300);
    assert_string_equal(qidl_node_get_name(qidl_node_get_nth_child(bulk, 1)),
                        "flag");
    /* The fields in another order: found by name either way. */
    backwards = save_fields(t3, &src, run_backwards, TRUE);
    assert_string_equal(qidl_node_get_name(qidl_node_get_nth_child(
                            backwards, 1)), "d");
    for (int b = 0; b < 2; b++) {
        g_autoptr(GError) e1 = load_fields(bulk, &dst, 0, b);
        g_autoptr(GError) e2 = NULL;

        assert_null(e1);
        assert_fields_dev_equal(&dst, &src);
        e2 = load_fields(backwards, &dst, 0, b);
        assert_null(e2);
        assert_fields_dev_equal(&dst, &src);
    }
}

/*
 * Missing fields, fields of another kind, fields left over: the same
 * errors with the same paths, and the same fields loaded.
 */
static void test_tree__scalar_fields_errors_fail(void **state)
{
    static const struct {
        const char *edit;       /* the field to replace or remove */
        int how;                /* 0: remove, 1: another kind, 2: add */
        int code;
        const char *message;
    } cases[] = {
        { "u32", 0, QIDL_ERROR_MISSING_FIELD, "dev.u32: missing field" },
        { "flag", 0, QIDL_ERROR_MISSING_FIELD, "dev.flag: missing field" },
        { "i16", 1, QIDL_ERROR_TYPE_MISMATCH,
          "dev.i16: expected int16, found uint32" },
        { "d", 1, QIDL_ERROR_TYPE_MISMATCH,
          "dev.d: expected double, found uint32" },
        { "extra", 2, QIDL_ERROR_UNKNOWN_FIELD,
          "dev: unknown field 'extra'" },
    };
    FieldsDev src;

    fields_dev_init(&src);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (int order = 0; order < 2; order++) {
            g_autoptr(QidlTree) tree = qidl_tree_new();
            g_autoptr(GError) error = NULL;
            g_autoptr(GError) loop = NULL;
            g_autoptr(GError) bulk = NULL;
            QidlNode *dev = save_fields(tree, &src, order ? run_backwards :
                                                  fields_run, TRUE);
            QidlNode *old = qidl_node_get_child(dev, cases[i].edit);
            FieldsDev loop_dst, bulk_dst;

            if (cases[i].how != 2) {
                qidl_node_remove(old);
            }
            if (cases[i].how != 0) {
                assert_true(qidl_node_append(dev, qidl_node_new_uint(
                                                 tree, cases[i].edit,
                                                 QIDL_KIND_UINT32, 7),
                                             &error));
            }
            loop = load_fields(dev, &loop_dst, 0, FALSE);
            bulk = load_fields(dev, &bulk_dst, 0, TRUE);
            assert_error(loop, cases[i].code, cases[i].message);
            assert_error(bulk, cases[i].code, cases[i].message);
            assert_memory_equal(&loop_dst, &bulk_dst, sizeof(loop_dst));
        }
    }
}

/* A field visited twice in the struct: the output's check, either way. */
static void test_tree__scalar_fields_twice_fail(void **state)
{
    static const struct {
        const QidlScalarField *run;
        guint n;
        const char *message;
    } cases[] = {
        { run_u8_twice, G_N_ELEMENTS(run_u8_twice),
          "dev.u8: field visited twice" },
        { run_head_again, G_N_ELEMENTS(run_head_again),
          "dev.head: field visited twice" },
    };
    FieldsDev d;

    fields_dev_init(&d);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (int b = 0; b < 2; b++) {
            g_autoptr(QidlTree) tree = qidl_tree_new();
            g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree,
                                                                    NULL);
            g_autoptr(GError) error = NULL;

            assert_false(fields_dev_visit(v, "dev", &d, cases[i].run,
                                          cases[i].n, b, &error));
            assert_error(error, QIDL_ERROR_INVALID, cases[i].message);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree__sample_roundtrip),
        cmocka_unit_test(test_tree__sample_optional_fields),
        cmocka_unit_test(test_tree__optional_presence_is_field_existence),
        cmocka_unit_test(test_tree__sample_nodes),
        cmocka_unit_test(test_tree__output_into_list_parent),
        cmocka_unit_test(test_tree__output_scalar_at_top_level),
        cmocka_unit_test(test_tree__output_duplicate_top_level_fail),
        cmocka_unit_test(test_tree__output_field_twice_fail),
        cmocka_unit_test(test_tree__output_unnamed_in_struct_fail),
        cmocka_unit_test(test_tree__input_width_mismatch_fail),
        cmocka_unit_test(test_tree__input_signedness_mismatch_fail),
        cmocka_unit_test(test_tree__input_struct_read_as_list_fail),
        cmocka_unit_test(test_tree__input_list_read_as_struct_fail),
        cmocka_unit_test(test_tree__input_top_level_kind_mismatch_fail),
        cmocka_unit_test(test_tree__input_element_kind_mismatch_fail),
        cmocka_unit_test(test_tree__input_missing_field_fail),
        cmocka_unit_test(test_tree__input_missing_first_field_fail),
        cmocka_unit_test(test_tree__input_leftover_field_fail),
        cmocka_unit_test(test_tree__input_leftover_first_field_fail),
        cmocka_unit_test(test_tree__input_leftover_allowed),
        cmocka_unit_test(test_tree__input_any_field_order),
        cmocka_unit_test(test_tree__input_fixed_length_mismatch_fail),
        cmocka_unit_test(test_tree__input_sized_length_mismatch_fail),
        cmocka_unit_test(test_tree__input_size_is_over_capacity_fail),
        cmocka_unit_test(test_tree__input_counted_list),
        cmocka_unit_test(test_tree__input_bytes_length_mismatch_fail),
        cmocka_unit_test(test_tree__input_string_buf_at_capacity),
        cmocka_unit_test(test_tree__input_string_buf_too_long_fail),
        cmocka_unit_test(test_tree__input_string_kind_mismatch_fail),
        cmocka_unit_test(test_tree__values),
        cmocka_unit_test(test_tree__set_int_range),
        cmocka_unit_test(test_tree__set_int_out_of_range_fail),
        cmocka_unit_test(test_tree__set_uint_range),
        cmocka_unit_test(test_tree__append_and_insert),
        cmocka_unit_test(test_tree__attach_rules_fail),
        cmocka_unit_test(test_tree__rename),
        cmocka_unit_test(test_tree__rename_rules_fail),
        cmocka_unit_test(test_tree__move),
        cmocka_unit_test(test_tree__move_rules_fail),
        cmocka_unit_test(test_tree__wide_struct),
        cmocka_unit_test(test_tree__find),
        cmocka_unit_test(test_tree__find_malformed_fail),
        cmocka_unit_test(test_tree__get_path),
        cmocka_unit_test(test_tree__copy_across_trees),
        cmocka_unit_test(test_tree__copy_leaf),
        cmocka_unit_test(test_tree__equal),
        cmocka_unit_test(test_tree__compare),
        cmocka_unit_test(test_tree__compare_kind_stops_descent),
        cmocka_unit_test(test_tree__compare_top_and_empty),
        cmocka_unit_test(test_tree__device_info),
        cmocka_unit_test(test_tree__format_value),
        cmocka_unit_test(test_tree__print),
        cmocka_unit_test(test_tree__print_nested_device),
        cmocka_unit_test(test_tree__replay_into_tree),
        cmocka_unit_test(test_tree__replay_loads_sample),
        cmocka_unit_test(test_tree__deep_walks),
        cmocka_unit_test(test_tree__deep_lists),
        cmocka_unit_test(test_tree__scalar_array_same_as_elements),
        cmocka_unit_test(test_tree__scalar_array_top_level),
        cmocka_unit_test(test_tree__scalar_array_errors_fail),
        cmocka_unit_test(test_tree__scalar_array_twice_fail),
        cmocka_unit_test(test_tree__scalar_fields_same_as_fields),
        cmocka_unit_test(test_tree__scalar_fields_errors_fail),
        cmocka_unit_test(test_tree__scalar_fields_twice_fail),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
