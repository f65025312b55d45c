/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Subsections and state versions through every visitor: QEMU's subsection
 * header in the legacy format, a nested struct in the tree and JSON, the
 * source's version as visit functions see it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/json.h>
#include <qidl/legacy.h>
#include <qidl/pretty.h>
#include <qidl/tree.h>

typedef struct {
    guint8 a;
    bool needed;      /* the needed() predicate's answer */
    guint16 extra;    /* in subsection "dev/extra" */
    guint8 late;      /* version(2) */
} Dev;

static gboolean visit_dev(QidlVisitor *v, const char *name, Dev *obj,
                          GError **error)
{
    bool present = obj->needed;

    if (!qidl_visit_start_struct(v, name, error) ||
        !qidl_visit_uint8(v, "a", &obj->a, error)) {
        return FALSE;
    }
    if (qidl_visitor_get_version(v) >= 2 &&
        !qidl_visit_uint8(v, "late", &obj->late, error)) {
        return FALSE;
    }
    if (!qidl_visit_start_subsection(v, "dev/extra", 1, &present, error)) {
        return FALSE;
    }
    obj->needed = present;
    if (present && (!qidl_visit_uint16(v, "extra", &obj->extra, error) ||
                    !qidl_visit_end_subsection(v, error))) {
        return FALSE;
    }
    return qidl_visit_end_struct(v, error);
}

static GByteArray *save_legacy(Dev *d)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);

    assert_true(visit_dev(v, "dev", d, NULL));
    assert_true(qidl_visitor_complete(v, NULL));
    return out;
}

static void test_subsection__legacy_bytes(void **state)
{
    Dev d = { .a = 7, .needed = true, .extra = 0x1234, .late = 9 };
    static const guint8 expected[] = {
        0x07,                                     /* a */
        0x09,                                     /* late (version 2+) */
        0x05, 0x09, 'd', 'e', 'v', '/', 'e', 'x', 't', 'r', 'a',
        0x00, 0x00, 0x00, 0x01,                   /* subsection version */
        0x12, 0x34,                               /* extra */
    };
    g_autoptr(GByteArray) out = save_legacy(&d);

    assert_int_equal(out->len, sizeof(expected));
    assert_memory_equal(out->data, expected, sizeof(expected));

    d.needed = false;
    g_byte_array_unref(out);
    out = save_legacy(&d);
    assert_int_equal(out->len, 2);
}

static void test_subsection__legacy_load(void **state)
{
    Dev d = { .a = 7, .needed = true, .extra = 0x1234, .late = 9 };
    g_autoptr(GByteArray) out = save_legacy(&d);
    g_autoptr(QidlVisitor) in = qidl_legacy_input_visitor_new(out->data,
                                                              out->len, 0, 0);
    Dev got = { 0 };
    g_autoptr(GError) error = NULL;

    assert_true(visit_dev(in, "dev", &got, &error));
    assert_true(qidl_visitor_complete(in, &error));
    assert_true(got.needed);
    assert_int_equal(got.extra, 0x1234);
    assert_int_equal(got.late, 9);
}

/* A version 1 section has no "late" and no subsection: both stay. */
static void test_subsection__legacy_old_version(void **state)
{
    static const guint8 v1[] = { 0x07 };
    g_autoptr(QidlVisitor) in = qidl_legacy_input_visitor_new(v1, sizeof(v1),
                                                              0, 0);
    Dev got = { .late = 0x55, .extra = 0x66 };
    g_autoptr(GError) error = NULL;

    qidl_visitor_set_version(in, 1);
    assert_int_equal(qidl_visitor_get_version(in), 1);
    assert_true(visit_dev(in, "dev", &got, &error));
    assert_true(qidl_visitor_complete(in, &error));
    assert_int_equal(got.a, 7);
    assert_false(got.needed);
    assert_int_equal(got.late, 0x55);
    assert_int_equal(got.extra, 0x66);
}

static void test_subsection__legacy_newer_version_fail(void **state)
{
    static const guint8 bytes[] = {
        0x07, 0x09, 0x05, 0x09, 'd', 'e', 'v', '/', 'e', 'x', 't', 'r', 'a',
        0x00, 0x00, 0x00, 0x02, 0x12, 0x34,
    };
    g_autoptr(QidlVisitor) in = qidl_legacy_input_visitor_new(bytes,
                                                              sizeof(bytes),
                                                              0, 0);
    Dev got = { 0 };
    g_autoptr(GError) error = NULL;

    assert_false(visit_dev(in, "dev", &got, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_VERSION));
    assert_string_equal(error->message,
                        "dev.dev/extra: subsection version 2 at byte "
                        "offset 13 is newer than 1");
}

/* Another subsection's header is not ours: it is left for later. */
static void test_subsection__legacy_other_name_left(void **state)
{
    static const guint8 bytes[] = {
        0x07, 0x09, 0x05, 0x03, 'd', 'e', 'v', 0x00, 0x00, 0x00, 0x01,
    };
    g_autoptr(QidlVisitor) in = qidl_legacy_input_visitor_new(bytes,
                                                              sizeof(bytes),
                                                              0, 0);
    Dev got = { 0 };
    g_autoptr(GError) error = NULL;

    assert_true(visit_dev(in, "dev", &got, &error));
    assert_false(got.needed);
    assert_int_equal(qidl_legacy_input_visitor_get_offset(in), 2);
    assert_false(qidl_visitor_complete(in, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_UNKNOWN_FIELD));
}

static void test_subsection__tree_and_json(void **state)
{
    Dev d = { .a = 7, .needed = true, .extra = 0x1234, .late = 9 };
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) out = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(QidlVisitor) jin = NULL;
    g_autoptr(JsonNode) json = NULL;
    g_autoptr(GError) error = NULL;
    QidlNode *dev;
    Dev got = { 0 };
    Dev got_json = { 0 };

    assert_true(visit_dev(out, "dev", &d, &error));
    dev = qidl_tree_output_visitor_get_result(out);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(dev,
                                                       "dev/extra.extra")),
                     0x1234);
    qidl_node_set_device(dev, "dev", "/machine/dev", 2);

    in = qidl_tree_input_visitor_new(dev, 0);
    assert_int_equal(qidl_visitor_get_version(in), 2);
    assert_true(visit_dev(in, "dev", &got, &error));
    assert_true(got.needed);
    assert_int_equal(got.extra, 0x1234);
    assert_int_equal(got.late, 9);

    json = qidl_json_from_node(dev);
    jin = qidl_json_input_visitor_new(json, 0, &error);
    assert_non_null(jin);
    assert_int_equal(qidl_visitor_get_version(jin), 2);
    assert_true(visit_dev(jin, "dev", &got_json, &error));
    assert_int_equal(got_json.extra, 0x1234);

    /* Without the subsection node, it is absent. */
    qidl_node_remove(qidl_node_get_child(dev, "dev/extra"));
    g_clear_pointer(&in, qidl_visitor_free);
    in = qidl_tree_input_visitor_new(dev, 0);
    got = (Dev) { .extra = 0x66 };
    assert_true(visit_dev(in, "dev", &got, &error));
    assert_false(got.needed);
    assert_int_equal(got.extra, 0x66);
}

static void test_subsection__trace_and_pretty(void **state)
{
    Dev d = { .a = 7, .needed = true, .extra = 0x1234, .late = 9 };
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) legacy = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(QidlVisitor) trace = qidl_trace_visitor_new(legacy, log);
    g_autoptr(QidlVisitor) pretty = qidl_pretty_visitor_new(text);
    g_autoptr(GByteArray) direct = save_legacy(&d);

    assert_true(visit_dev(trace, "dev", &d, NULL));
    assert_int_equal(bytes->len, direct->len);
    assert_memory_equal(bytes->data, direct->data, direct->len);
    assert_non_null(strstr(log->str,
                           "start_subsection dev.dev/extra version=1 "
                           "present\n"));
    assert_non_null(strstr(log->str, "end_subsection dev.dev/extra\n"));

    assert_true(visit_dev(pretty, "dev", &d, NULL));
    assert_string_equal(text->str,
                        "dev.a = (uint8) 0x7\n"
                        "dev.late = (uint8) 0x9\n"
                        "dev.dev/extra.extra = (uint16) 0x1234\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subsection__legacy_bytes),
        cmocka_unit_test(test_subsection__legacy_load),
        cmocka_unit_test(test_subsection__legacy_old_version),
        cmocka_unit_test(test_subsection__legacy_newer_version_fail),
        cmocka_unit_test(test_subsection__legacy_other_name_left),
        cmocka_unit_test(test_subsection__tree_and_json),
        cmocka_unit_test(test_subsection__trace_and_pretty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
