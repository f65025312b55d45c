/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device sets: a machine of two device types saved to trees and streams and
 * loaded back; pairing by instance path; whole-set atomicity on failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/devices.h>

#include "counter.h"
#include "sample.h"

static gboolean visit_sample(QidlVisitor *v, const char *name, void *obj,
                             GError **error)
{
    return sample_visit(v, name, obj, error);
}

/* Frees the label @obj owns unless @keep shares it. */
static void release_sample(void *obj, const void *keep)
{
    Sample *s = obj;
    const Sample *k = keep;

    if (s->label != k->label) {
        g_free(s->label);
    }
}

static const QidlDeviceClass sample_class = {
    .type_name = "sample",
    .version = 1,
    .min_version = 1,
    .size = sizeof(Sample),
    .visit = visit_sample,
    .release = release_sample,
};

typedef struct {
    Counter c0, c1;
    Sample s;
    QidlDeviceSet *set;
} Machine;

static void machine_init(Machine *m, gboolean fill)
{
    memset(m, 0, sizeof(*m));
    if (fill) {
        m->c0 = (Counter) { 100, { 1, 2 } };
        m->c1 = (Counter) { 200, { 5, 6 } };
        sample_init(&m->s);
    } else {
        m->s.label = g_strdup("old");
    }
    m->set = qidl_device_set_new();
    assert_true(qidl_device_set_add(m->set, &counter_class, "/machine/c0",
                                    "c0", &m->c0, NULL));
    assert_true(qidl_device_set_add(m->set, &sample_class, "/machine/s", "s",
                                    &m->s, NULL));
    assert_true(qidl_device_set_add(m->set, &counter_class, "/machine/c1",
                                    "c1", &m->c1, NULL));
}

static void machine_clear(Machine *m)
{
    qidl_device_set_free(m->set);
    sample_clear(&m->s);
}

static QidlTree *save(Machine *m)
{
    QidlTree *tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;

    assert_true(qidl_device_set_save_tree(m->set, tree, &error));
    assert_null(error);
    return tree;
}

static void test_devices__save_and_load_tree(void **state)
{
    Machine src, dst;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(GError) error = NULL;
    QidlLoadReport report;
    QidlNode *c1;

    machine_init(&src, TRUE);
    machine_init(&dst, FALSE);
    tree = save(&src);

    assert_int_equal(qidl_node_get_n_children(qidl_tree_get_root(tree)), 3);
    c1 = qidl_node_get_child(qidl_tree_get_root(tree), "c1");
    assert_string_equal(qidl_node_get_type_name(c1), "counter");
    assert_string_equal(qidl_node_get_instance_path(c1), "/machine/c1");
    assert_int_equal(qidl_node_get_version(c1), 2);

    assert_true(qidl_device_set_load_tree(dst.set, tree, 0, &report,
                                          &error));
    assert_null(error);
    assert_int_equal(report.loaded, 3);
    assert_int_equal(report.unknown_fields, 0);
    assert_int_equal(dst.c0.ticks, 100);
    assert_int_equal(dst.c1.regs[1], 6);
    assert_true(sample_equal(&src.s, &dst.s));
    assert_ptr_equal(qidl_device_set_find(dst.set, "/machine/c1"), &dst.c1);
    assert_null(qidl_device_set_find(dst.set, "/machine/none"));
    assert_int_equal(qidl_device_set_get_n_devices(dst.set), 3);
    assert_string_equal(qidl_device_set_get_path(dst.set, 1), "/machine/s");

    machine_clear(&src);
    machine_clear(&dst);
}

static void test_devices__save_stream_and_load(void **state)
{
    Machine src, dst;
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(bytes, "test",
                                                            "1", 0);
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(GError) error = NULL;

    machine_init(&src, TRUE);
    machine_init(&dst, FALSE);
    assert_true(qidl_device_set_save_stream(src.set, w, &error));
    assert_true(qidl_stream_writer_finish(w, &error));
    tree = qidl_stream_read_tree(bytes->data, bytes->len, NULL, &error);
    assert_non_null(tree);
    assert_true(qidl_device_set_load_tree(dst.set, tree, 0, NULL, &error));
    assert_int_equal(dst.c1.ticks, 200);
    assert_true(sample_equal(&src.s, &dst.s));
    machine_clear(&src);
    machine_clear(&dst);
}

/*
 * Loads @tree into a fresh destination and expects @code with @message;
 * every object must be left as it was.
 */
static void expect_load_fail(QidlTree *tree, QidlLoadFlags flags, int code,
                             const char *message)
{
    Machine dst;
    Counter c0, c1;
    g_autoptr(GError) error = NULL;

    machine_init(&dst, FALSE);
    dst.c0.ticks = 11;
    dst.c1.ticks = 22;
    c0 = dst.c0;
    c1 = dst.c1;
    assert_false(qidl_device_set_load_tree(dst.set, tree, flags, NULL,
                                           &error));
    assert_true(g_error_matches(error, QIDL_ERROR, code));
    assert_string_equal(error->message, message);
    assert_memory_equal(&dst.c0, &c0, sizeof(c0));
    assert_memory_equal(&dst.c1, &c1, sizeof(c1));
    assert_string_equal(dst.s.label, "old");
    machine_clear(&dst);
}

/* The last device fails: the first two, already loaded into scratch
 * copies, are not committed. */
static void test_devices__atomic_on_field_error_fail(void **state)
{
    Machine src;
    g_autoptr(QidlTree) tree = NULL;
    QidlNode *regs;

    machine_init(&src, TRUE);
    tree = save(&src);
    regs = qidl_node_find(qidl_tree_get_root(tree), "c1.regs");
    qidl_node_remove(qidl_node_get_last_child(regs));
    expect_load_fail(tree, 0, QIDL_ERROR_LENGTH_MISMATCH,
                     "device /machine/c1 (counter): c1.regs: expected 2 "
                     "elements, found 1");
    machine_clear(&src);
}

static void test_devices__type_mismatch_fail(void **state)
{
    Machine src;
    g_autoptr(QidlTree) tree = NULL;

    machine_init(&src, TRUE);
    tree = save(&src);
    qidl_node_set_type_name(qidl_node_find(qidl_tree_get_root(tree), "c0"),
                            "kvm-counter");
    expect_load_fail(tree, 0, QIDL_ERROR_INVALID,
                     "device /machine/c0 (kvm-counter): the device here is "
                     "a counter");
    machine_clear(&src);
}

static void test_devices__version_out_of_range_fail(void **state)
{
    Machine src;
    g_autoptr(QidlTree) tree = NULL;
    QidlNode *c0;

    machine_init(&src, TRUE);
    tree = save(&src);
    c0 = qidl_node_find(qidl_tree_get_root(tree), "c0");
    qidl_node_set_version(c0, 3);
    expect_load_fail(tree, 0, QIDL_ERROR_VERSION,
                     "device /machine/c0 (counter): state version 3 is not "
                     "in 1..2");
    qidl_node_set_version(c0, 0);
    expect_load_fail(tree, 0, QIDL_ERROR_VERSION,
                     "device /machine/c0 (counter): state version 0 is not "
                     "in 1..2");
    machine_clear(&src);
}

static void test_devices__unknown_device_fail(void **state)
{
    Machine src, dst;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(GError) error = NULL;
    QidlLoadReport report;

    machine_init(&src, TRUE);
    tree = save(&src);
    qidl_node_set_instance_path(qidl_node_find(qidl_tree_get_root(tree),
                                               "c1"), "/machine/c9");
    expect_load_fail(tree, 0, QIDL_ERROR_UNKNOWN_FIELD,
                     "device /machine/c9 (counter): no such device here");
    expect_load_fail(tree, QIDL_LOAD_ALLOW_UNKNOWN_DEVICES,
                     QIDL_ERROR_MISSING_FIELD,
                     "device /machine/c1 (counter): not in the state");

    machine_init(&dst, FALSE);
    assert_true(qidl_device_set_load_tree(dst.set, tree,
                                          QIDL_LOAD_ALLOW_UNKNOWN_DEVICES |
                                          QIDL_LOAD_ALLOW_MISSING_DEVICES,
                                          &report, &error));
    assert_int_equal(report.loaded, 2);
    assert_int_equal(report.unknown_devices, 1);
    assert_int_equal(report.missing_devices, 1);
    assert_int_equal(dst.c0.ticks, 100);
    assert_int_equal(dst.c1.ticks, 0);
    machine_clear(&src);
    machine_clear(&dst);
}

static void test_devices__unknown_fields(void **state)
{
    Machine src, dst;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(GError) error = NULL;
    QidlLoadReport report;
    QidlTree *t;

    machine_init(&src, TRUE);
    tree = save(&src);
    t = tree;
    assert_true(qidl_node_append(qidl_node_find(qidl_tree_get_root(t), "c0"),
                                 qidl_node_new_uint(t, "extra",
                                                    QIDL_KIND_UINT8, 1),
                                 NULL));
    assert_true(qidl_node_append(qidl_node_find(qidl_tree_get_root(t), "s"),
                                 qidl_node_new_bool(t, "newer", TRUE), NULL));
    expect_load_fail(tree, 0, QIDL_ERROR_UNKNOWN_FIELD,
                     "device /machine/c0 (counter): c0: unknown field "
                     "'extra'");

    machine_init(&dst, FALSE);
    assert_true(qidl_device_set_load_tree(dst.set, tree,
                                          QIDL_LOAD_ALLOW_UNKNOWN_FIELDS,
                                          &report, &error));
    assert_int_equal(report.unknown_fields, 2);
    assert_int_equal(dst.c0.ticks, 100);
    machine_clear(&src);
    machine_clear(&dst);
}

static void test_devices__duplicate_add_fail(void **state)
{
    g_autoptr(QidlDeviceSet) set = qidl_device_set_new();
    g_autoptr(GError) error = NULL;
    Counter a, b;

    assert_true(qidl_device_set_add(set, &counter_class, "/m/a", "a", &a,
                                    &error));
    assert_false(qidl_device_set_add(set, &counter_class, "/m/a", "b", &b,
                                     &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_INVALID));
    assert_string_equal(error->message,
                        "device /m/a: instance path already in the set");
    g_clear_error(&error);
    assert_false(qidl_device_set_add(set, &counter_class, "/m/b", "a", &b,
                                     &error));
    assert_string_equal(error->message,
                        "device /m/b: name 'a' already in the set");
}

static void test_devices__non_device_root_fail(void **state)
{
    Machine src;
    g_autoptr(QidlTree) tree = NULL;

    machine_init(&src, TRUE);
    tree = save(&src);
    assert_true(qidl_node_append(qidl_tree_get_root(tree),
                                 qidl_node_new_struct(tree, "loose"), NULL));
    expect_load_fail(tree, 0, QIDL_ERROR_INVALID,
                     "'loose' under the tree's root is not a device");
    machine_clear(&src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_devices__save_and_load_tree),
        cmocka_unit_test(test_devices__save_stream_and_load),
        cmocka_unit_test(test_devices__atomic_on_field_error_fail),
        cmocka_unit_test(test_devices__type_mismatch_fail),
        cmocka_unit_test(test_devices__version_out_of_range_fail),
        cmocka_unit_test(test_devices__unknown_device_fail),
        cmocka_unit_test(test_devices__unknown_fields),
        cmocka_unit_test(test_devices__duplicate_add_fail),
        cmocka_unit_test(test_devices__non_device_root_fail),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
