/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the typed JSON form (json.c, json-visitors.c): the exact text
 * of the sample, lossless round trips of every scalar kind at its limits,
 * trees through JSON and back, and every way the strict reader refuses
 * input, with the exact error code and message (path included).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/json.h>

#include "fields.h"
#include "sample.h"

/*
 * The sample of sample_init() in the typed form, one field per line.  The
 * optional `thr` is absent: it equals its default.
 */
static const char sample_json[] =
    "{\"flag\":true,"
    "\"i8\":{\"i8\":-2},"
    "\"u8\":{\"u8\":16},"
    "\"i16\":{\"i16\":-300},"
    "\"u16\":{\"u16\":48879},"
    "\"i32\":{\"i32\":-70000},"
    "\"u32\":{\"u32\":3735928559},"
    "\"i64\":{\"i64\":\"-9223372036854775807\"},"
    "\"u64\":{\"u64\":\"18446744073709551614\"},"
    "\"f\":{\"f32\":1.5},"
    "\"d\":{\"f64\":-0.10000000000000001},"
    "\"label\":\"com1\","
    "\"name\":\"rtc\","
    "\"blob\":{\"bytes\":\"00ff107f\"},"
    "\"inner\":{\"enabled\":true,\"mode\":{\"u8\":3}},"
    "\"cmos\":[{\"u8\":38},{\"u8\":2},{\"u8\":0},{\"u8\":128},"
    "{\"u8\":1},{\"u8\":2},{\"u8\":3},{\"u8\":4}],"
    "\"regs\":[{\"lo\":{\"u16\":4660},\"hi\":{\"i32\":-1}},"
    "{\"lo\":{\"u16\":65535},\"hi\":{\"i32\":7}}],"
    "\"matrix\":[[{\"u16\":1},{\"u16\":2},{\"u16\":3}],"
    "[{\"u16\":256},{\"u16\":512},{\"u16\":768}]],"
    "\"fifo_len\":{\"u8\":2},"
    "\"fifo\":[{\"u8\":65},{\"u8\":66}],"
    "\"extra\":{\"u32\":42}}";

/* ---- Helpers ---- */

static void check_error(const GError *error, int code, const char *message)
{
    assert_non_null(error);
    assert_string_equal(error->message, message);
    assert_true(error->domain == QIDL_ERROR);
    assert_int_equal(error->code, code);
}

static JsonNode *parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    JsonNode *json = qidl_json_parse(text, -1, &error);

    if (error) {
        fail_msg("%s", error->message);
    }
    assert_non_null(json);
    return json;
}

static void parse_fail(const char *text, gssize len, int code,
                       const char *message)
{
    g_autoptr(GError) error = NULL;

    assert_null(qidl_json_parse(text, len, &error));
    check_error(error, code, message);
}

/* Parses @text, converts it to a node named "x"; expects that to fail. */
static void to_node_fail(const char *text, int code, const char *message)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(JsonNode) json = parse_ok(text);
    g_autoptr(GError) error = NULL;

    assert_null(qidl_json_to_node(tree, json, "x", &error));
    check_error(error, code, message);
}

static QidlNode *to_node_ok(QidlTree *tree, const char *text,
                            const char *name)
{
    g_autoptr(JsonNode) json = parse_ok(text);
    g_autoptr(GError) error = NULL;
    QidlNode *node = qidl_json_to_node(tree, json, name, &error);

    if (error) {
        fail_msg("%s", error->message);
    }
    assert_non_null(node);
    return node;
}

static char *node_to_text(const QidlNode *node, gboolean pretty)
{
    g_autoptr(JsonNode) json = qidl_json_from_node(node);

    return qidl_json_to_string(json, pretty);
}

/*
 * @node to compact text (which must be @expected unless NULL), the text
 * back to a node, which must equal @node.
 */
static void check_roundtrip(const QidlNode *node, const char *expected)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autofree char *text = node_to_text(node, FALSE);
    g_autofree char *pretty = node_to_text(node, TRUE);
    QidlNode *back;

    if (expected) {
        assert_string_equal(text, expected);
    }
    back = to_node_ok(tree, text, qidl_node_get_name(node));
    assert_true(qidl_node_equal(node, back));
    back = to_node_ok(tree, pretty, qidl_node_get_name(node));
    assert_true(qidl_node_equal(node, back));
}

/* A copy of @text with @old, which occurs exactly once, replaced. */
static char *replace_once(const char *text, const char *old, const char *new)
{
    const char *at = strstr(text, old);

    assert_non_null(at);
    assert_null(strstr(at + 1, old));
    return g_strdup_printf("%.*s%s%s", (int)(at - text), text, new,
                           at + strlen(old));
}

static float f32_bits(guint32 bits)
{
    float f;

    memcpy(&f, &bits, sizeof(f));
    return f;
}

static double f64_bits(guint64 bits)
{
    double d;

    memcpy(&d, &bits, sizeof(d));
    return d;
}

/* Saves @s to JSON text through the output visitor. */
static char *sample_to_text(Sample *s, gboolean pretty)
{
    g_autoptr(JsonNode) json = NULL;
    g_autoptr(QidlVisitor) v = qidl_json_output_visitor_new(&json);
    g_autoptr(GError) error = NULL;

    assert_true(sample_visit(v, "sample", s, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    assert_non_null(json);
    return qidl_json_to_string(json, pretty);
}

/* Loads @text into @s (zeroed first) through the input visitor. */
static gboolean sample_from_text(const char *text, QidlTreeInputFlags flags,
                                 Sample *s, GError **error)
{
    g_autoptr(JsonNode) json = parse_ok(text);
    g_autoptr(QidlVisitor) v = NULL;

    memset(s, 0, sizeof(*s));
    v = qidl_json_input_visitor_new(json, flags, error);
    assert_non_null(v);
    return sample_visit(v, "sample", s, error) &&
           qidl_visitor_complete(v, error);
}

/* ---- The sample ---- */

static void test_json__sample_to_text(void **state)
{
    g_autofree char *text = NULL;
    Sample s;

    sample_init(&s);
    text = sample_to_text(&s, FALSE);
    sample_clear(&s);
    assert_string_equal(text, sample_json);
}

static void test_json__sample_from_text(void **state)
{
    g_autoptr(GError) error = NULL;
    Sample expected;
    Sample s;

    sample_init(&expected);
    assert_true(sample_from_text(sample_json, 0, &s, &error));
    assert_null(error);
    assert_true(sample_equal(&s, &expected));
    sample_clear(&s);
    sample_clear(&expected);
}

/* The pretty text reads back to the same state. */
static void test_json__sample_pretty_roundtrip(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    Sample expected;
    Sample s;

    sample_init(&expected);
    text = sample_to_text(&expected, TRUE);
    assert_true(g_str_has_prefix(text, "{\n  \"flag\" : true,\n"
                                       "  \"i8\" : {\n    \"i8\" : -2\n"
                                       "  },\n"));
    assert_true(g_str_has_suffix(text, "  \"extra\" : {\n"
                                       "    \"u32\" : 42\n  }\n}\n"));
    assert_true(sample_from_text(text, 0, &s, &error));
    assert_true(sample_equal(&s, &expected));
    sample_clear(&s);
    sample_clear(&expected);
}

/* Floats at their edges survive the whole way: C, JSON text, C. */
static void test_json__sample_float_edges_roundtrip(void **state)
{
    static const struct {
        float f;
        double d;
    } cases[] = {
        { 0.1f, 0.1 },
        { -0.0f, -0.0 },
        { FLT_MAX, DBL_MAX },
        { FLT_MIN, DBL_MIN },
        { 1e-45f, 5e-324 },               /* the smallest denormals */
        { -FLT_MAX, 1e300 },
        { 16777216.0f, 1e17 },
        { INFINITY, -INFINITY },
        { NAN, NAN },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;
        Sample expected;
        Sample s;

        sample_init(&expected);
        expected.f = cases[i].f;
        expected.d = cases[i].d;
        text = sample_to_text(&expected, FALSE);
        assert_true(sample_from_text(text, 0, &s, &error));
        assert_true(sample_equal(&s, &expected));
        sample_clear(&s);
        sample_clear(&expected);
    }
}

/* ---- Scalars ---- */

static void test_json__integer_limits_roundtrip(void **state)
{
    static const struct {
        QidlKind kind;
        gint64 value;
        const char *text;
    } ints[] = {
        { QIDL_KIND_INT8, G_MININT8, "{\"i8\":-128}" },
        { QIDL_KIND_INT8, G_MAXINT8, "{\"i8\":127}" },
        { QIDL_KIND_INT16, G_MININT16, "{\"i16\":-32768}" },
        { QIDL_KIND_INT16, G_MAXINT16, "{\"i16\":32767}" },
        { QIDL_KIND_INT32, G_MININT32, "{\"i32\":-2147483648}" },
        { QIDL_KIND_INT32, G_MAXINT32, "{\"i32\":2147483647}" },
        { QIDL_KIND_INT64, G_MININT64, "{\"i64\":\"-9223372036854775808\"}" },
        { QIDL_KIND_INT64, G_MAXINT64, "{\"i64\":\"9223372036854775807\"}" },
        { QIDL_KIND_INT64, 0, "{\"i64\":\"0\"}" },
    };
    static const struct {
        QidlKind kind;
        guint64 value;
        const char *text;
    } uints[] = {
        { QIDL_KIND_UINT8, 0, "{\"u8\":0}" },
        { QIDL_KIND_UINT8, G_MAXUINT8, "{\"u8\":255}" },
        { QIDL_KIND_UINT16, G_MAXUINT16, "{\"u16\":65535}" },
        { QIDL_KIND_UINT32, G_MAXUINT32, "{\"u32\":4294967295}" },
        { QIDL_KIND_UINT64, 0, "{\"u64\":\"0\"}" },
        { QIDL_KIND_UINT64, G_MAXUINT64, "{\"u64\":\"18446744073709551615\"}" },
    };
    g_autoptr(QidlTree) tree = qidl_tree_new();

    for (gsize i = 0; i < G_N_ELEMENTS(ints); i++) {
        check_roundtrip(qidl_node_new_int(tree, NULL, ints[i].kind,
                                          ints[i].value), ints[i].text);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(uints); i++) {
        check_roundtrip(qidl_node_new_uint(tree, NULL, uints[i].kind,
                                           uints[i].value), uints[i].text);
    }
    check_roundtrip(qidl_node_new_bool(tree, NULL, TRUE), "true");
    check_roundtrip(qidl_node_new_bool(tree, NULL, FALSE), "false");
}

static void test_json__float_edges_roundtrip(void **state)
{
    /* A value, or if bits is not 0, the value with those bits. */
    static const struct {
        float value;
        guint32 bits;
        const char *text;
    } floats[] = {
        { 1.5f, 0, "{\"f32\":1.5}" },
        { 0.1f, 0, "{\"f32\":0.10000000149011612}" },
        { 0.0f, 0, "{\"f32\":0.0}" },
        { -0.0f, 0, "{\"f32\":-0.0}" },
        { 16777216.0f, 0, "{\"f32\":16777216.0}" },
        { FLT_MAX, 0, "{\"f32\":3.4028234663852886e+38}" },
        { -FLT_MAX, 0, "{\"f32\":-3.4028234663852886e+38}" },
        { FLT_MIN, 0, "{\"f32\":1.1754943508222875e-38}" },
        { 1e-45f, 0, "{\"f32\":1.4012984643248171e-45}" },
        { INFINITY, 0, "{\"f32\":\"inf\"}" },
        { -INFINITY, 0, "{\"f32\":\"-inf\"}" },
        { NAN, 0, "{\"f32\":\"nan\"}" },
        { -NAN, 0, "{\"f32\":\"-nan\"}" },
        { 0, 0x7fc00001, "{\"f32\":\"nan:0x7fc00001\"}" },
        { 0, 0xffc12345, "{\"f32\":\"nan:0xffc12345\"}" },
    };
    static const struct {
        double value;
        guint64 bits;
        const char *text;
    } doubles[] = {
        { 0.1, 0, "{\"f64\":0.10000000000000001}" },
        { -0.0, 0, "{\"f64\":-0.0}" },
        { 1.0, 0, "{\"f64\":1.0}" },
        { 1e300, 0, "{\"f64\":1.0000000000000001e+300}" },
        /* json-glib alone writes these as 1e+17.0 and -1e+22.0. */
        { 1e17, 0, "{\"f64\":1e+17}" },
        { -1e22, 0, "{\"f64\":-1e+22}" },
        { DBL_MAX, 0, "{\"f64\":1.7976931348623157e+308}" },
        { DBL_MIN, 0, "{\"f64\":2.2250738585072014e-308}" },
        { 5e-324, 0, "{\"f64\":4.9406564584124654e-324}" },
        { 2.2250738585072009e-308, 0,
          "{\"f64\":2.2250738585072009e-308}" },
        { INFINITY, 0, "{\"f64\":\"inf\"}" },
        { -INFINITY, 0, "{\"f64\":\"-inf\"}" },
        { NAN, 0, "{\"f64\":\"nan\"}" },
        { -NAN, 0, "{\"f64\":\"-nan\"}" },
        /* A signalling NaN survives as a double. */
        { 0, G_GUINT64_CONSTANT(0x7ff0000000000001),
          "{\"f64\":\"nan:0x7ff0000000000001\"}" },
    };
    g_autoptr(QidlTree) tree = qidl_tree_new();

    for (gsize i = 0; i < G_N_ELEMENTS(floats); i++) {
        float f = floats[i].bits ? f32_bits(floats[i].bits) : floats[i].value;

        check_roundtrip(qidl_node_new_float(tree, NULL, QIDL_KIND_FLOAT, f),
                        floats[i].text);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(doubles); i++) {
        double d = doubles[i].bits ? f64_bits(doubles[i].bits) :
                                     doubles[i].value;

        check_roundtrip(qidl_node_new_float(tree, NULL, QIDL_KIND_DOUBLE, d),
                        doubles[i].text);
    }
}

/* Numbers that are not exactly a float round to the nearest one. */
static void test_json__float_rounds_to_nearest(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_autofree char *below_overflow = NULL;

    assert_true(qidl_node_get_double(to_node_ok(tree, "{\"f32\":0.1}", NULL))
                == (double)0.1f);
    assert_true(qidl_node_get_double(to_node_ok(tree, "{\"f32\":16777217}",
                                                NULL)) == 16777216.0);
    assert_true(qidl_node_get_double(to_node_ok(tree, "{\"f64\":3}", NULL))
                == 3.0);
    /* Just below FLT_MAX + half an ulp: still FLT_MAX, not infinity. */
    below_overflow = g_strdup_printf(
        "{\"f32\":%s}", g_ascii_dtostr(buf, sizeof(buf),
                                       (double)FLT_MAX + 0x1p102));
    assert_true(qidl_node_get_double(to_node_ok(tree, below_overflow, NULL))
                == (double)FLT_MAX);
}

static void test_json__strings_and_bytes_roundtrip(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    char controls[0x21];
    static const guint8 blob[] = { 0x00, 0xab, 0xff };

    for (int c = 1; c <= 0x20; c++) {
        controls[c - 1] = (char)c;
    }
    controls[0x20] = '\0';
    check_roundtrip(qidl_node_new_string(tree, NULL, ""), "\"\"");
    check_roundtrip(qidl_node_new_string(tree, NULL, "a\"b\\c/d"),
                    "\"a\\\"b\\\\c/d\"");
    check_roundtrip(qidl_node_new_string(tree, NULL, "\xc3\xa9\xe2\x82\xac"),
                    "\"\xc3\xa9\xe2\x82\xac\"");
    /* json-glib writes 0x1f raw; the repair escapes it. */
    check_roundtrip(qidl_node_new_string(tree, NULL, controls),
                    "\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
                    "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011"
                    "\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018"
                    "\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f "
                    "\"");
    /* Not UTF-8: the hex form keeps the bytes. */
    check_roundtrip(qidl_node_new_string(tree, NULL, "a\xff\xfe"),
                    "{\"str\":\"61fffe\"}");
    check_roundtrip(qidl_node_new_bytes(tree, NULL, blob, sizeof(blob)),
                    "{\"bytes\":\"00abff\"}");
    check_roundtrip(qidl_node_new_bytes(tree, NULL, NULL, 0),
                    "{\"bytes\":\"\"}");
}

/*
 * A struct whose only field is a string named like a type key would read
 * back as a scalar: the string is written in the hex form.  Other kinds of
 * such fields are unambiguous.
 */
static void test_json__type_key_field_names_roundtrip(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = qidl_node_new_struct(tree, "s");
    QidlNode *t = qidl_node_new_struct(tree, "t");
    QidlNode *u = qidl_node_new_struct(tree, "u");

    assert_true(qidl_node_append(s, qidl_node_new_string(tree, "bytes", "abc"),
                                 &error));
    check_roundtrip(s, "{\"bytes\":{\"str\":\"616263\"}}");
    assert_true(qidl_node_append(t, qidl_node_new_bool(tree, "u8", TRUE),
                                 &error));
    check_roundtrip(t, "{\"u8\":true}");
    assert_true(qidl_node_append(u, qidl_node_new_uint(tree, "u8",
                                                       QIDL_KIND_UINT8, 1),
                                 &error));
    check_roundtrip(u, "{\"u8\":{\"u8\":1}}");
    /* With a second field, a string stays a string. */
    assert_true(qidl_node_append(s, qidl_node_new_bool(tree, "b", FALSE),
                                 &error));
    check_roundtrip(s, "{\"bytes\":\"abc\",\"b\":false}");
}

/* ---- Trees ---- */

static QidlNode *sample_tree(QidlTree *tree, QidlNode *parent,
                             const char *name)
{
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, parent);
    g_autoptr(GError) error = NULL;
    QidlNode *node;
    Sample s;

    sample_init(&s);
    assert_true(sample_visit(v, name, &s, &error));
    assert_true(qidl_visitor_complete(v, &error));
    sample_clear(&s);
    node = qidl_tree_output_visitor_get_result(v);
    assert_non_null(node);
    return node;
}

static void test_json__tree_roundtrip(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *root = qidl_tree_get_root(tree);
    QidlNode *a = sample_tree(tree, NULL, "a");
    QidlNode *b = sample_tree(tree, NULL, "b");

    qidl_node_set_device(a, "sample-dev", "/machine/a", 3);
    qidl_node_set_device(b, "sample-dev", "/machine/peripheral/b", 0);
    check_roundtrip(a, NULL);
    check_roundtrip(b, NULL);
    /* The whole tree: its root holds the two device roots. */
    check_roundtrip(root, NULL);
}

static void test_json__device_text(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *rtc = qidl_node_new_struct(tree, "rtc");
    g_autofree char *pretty = NULL;

    qidl_node_set_device(rtc, "mc146818rtc", "/machine/rtc", G_MAXUINT32);
    assert_true(qidl_node_append(rtc, qidl_node_new_uint(tree, "irr",
                                                         QIDL_KIND_UINT8,
                                                         0x10), &error));
    check_roundtrip(rtc, "{\"$device\":{\"type\":\"mc146818rtc\","
                         "\"path\":\"/machine/rtc\",\"version\":4294967295},"
                         "\"irr\":{\"u8\":16}}");
    pretty = node_to_text(rtc, TRUE);
    assert_string_equal(pretty,
                        "{\n"
                        "  \"$device\" : {\n"
                        "    \"type\" : \"mc146818rtc\",\n"
                        "    \"path\" : \"/machine/rtc\",\n"
                        "    \"version\" : 4294967295\n"
                        "  },\n"
                        "  \"irr\" : {\n"
                        "    \"u8\" : 16\n"
                        "  }\n"
                        "}\n");
}

static void test_json__empty_containers(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *s = qidl_node_new_struct(tree, "s");
    g_autofree char *pretty = NULL;

    assert_true(qidl_node_append(s, qidl_node_new_list(tree, "l"), &error));
    assert_true(qidl_node_append(s, qidl_node_new_struct(tree, "e"), &error));
    assert_true(qidl_node_append(s, qidl_node_new_bytes(tree, "b", NULL, 0),
                                 &error));
    assert_true(qidl_node_append(s, qidl_node_new_string(tree, "t", ""),
                                 &error));
    check_roundtrip(s, "{\"l\":[],\"e\":{},\"b\":{\"bytes\":\"\"},\"t\":\"\"}");
    pretty = node_to_text(s, TRUE);
    /* json-glib alone writes the empty object as "{  }". */
    assert_string_equal(pretty,
                        "{\n"
                        "  \"l\" : [],\n"
                        "  \"e\" : {},\n"
                        "  \"b\" : {\n"
                        "    \"bytes\" : \"\"\n"
                        "  },\n"
                        "  \"t\" : \"\"\n"
                        "}\n");
    check_roundtrip(qidl_node_new_list(tree, NULL), "[]");
    check_roundtrip(qidl_node_new_struct(tree, NULL), "{}");
}

static gboolean nest(QidlVisitor *v, guint levels, guint8 *leaf,
                     GError **error)
{
    for (guint i = 0; i < levels; i++) {
        if (!qidl_visit_start_struct(v, i == 0 ? "top" : "n", error)) {
            return FALSE;
        }
    }
    if (!qidl_visit_uint8(v, "leaf", leaf, error)) {
        return FALSE;
    }
    for (guint i = 0; i < levels; i++) {
        if (!qidl_visit_end_struct(v, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * The deepest visit allowed, with a scalar at the bottom, goes through
 * JSON text and back: the text nests one level deeper than the visit.
 */
static void test_json__deepest_visit_roundtrip(void **state)
{
    g_autoptr(JsonNode) out = NULL;
    g_autoptr(JsonNode) in = NULL;
    g_autoptr(QidlVisitor) v = qidl_json_output_visitor_new(&out);
    g_autoptr(QidlVisitor) w = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    guint8 leaf = 7;

    assert_true(nest(v, QIDL_LIMIT_DEPTH, &leaf, &error));
    assert_true(qidl_visitor_complete(v, &error));
    text = qidl_json_to_string(out, TRUE);
    in = parse_ok(text);
    w = qidl_json_input_visitor_new(in, 0, &error);
    assert_non_null(w);
    leaf = 0;
    assert_true(nest(w, QIDL_LIMIT_DEPTH, &leaf, &error));
    assert_true(qidl_visitor_complete(w, &error));
    assert_null(error);
    assert_int_equal(leaf, 7);
}

/* ---- Limits ---- */

/* @levels nested arrays around @inner. */
static char *nested_arrays(guint levels, const char *inner)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < levels; i++) {
        g_string_append_c(s, '[');
    }
    g_string_append(s, inner);
    for (guint i = 0; i < levels; i++) {
        g_string_append_c(s, ']');
    }
    return g_string_free(s, FALSE);
}

/*
 * The text may nest QIDL_LIMIT_DEPTH + 2 levels: a whole tree's root, the
 * deepest visit, and a scalar's braces.  The typed form may nest
 * QIDL_LIMIT_DEPTH + 1 structs and lists.
 */
static void test_json__nesting_at_limit(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autofree char *text = nested_arrays(QIDL_LIMIT_DEPTH + 1,
                                          "{\"u8\":1}");

    assert_non_null(to_node_ok(tree, text, "x"));
}

static void test_json__nesting_over_limit_fail(void **state)
{
    g_autofree char *text = nested_arrays(QIDL_LIMIT_DEPTH + 2,
                                          "{\"u8\":1}");
    g_autofree char *containers = nested_arrays(QIDL_LIMIT_DEPTH + 2, "");
    g_autoptr(GString) message = g_string_new("x");

    parse_fail(text, -1, QIDL_ERROR_LIMIT,
               "<data>:1:67: nesting deeper than 66 levels");
    /* 66 levels of text, but 66 lists: the typed form's own limit. */
    for (guint i = 0; i < QIDL_LIMIT_DEPTH + 1; i++) {
        g_string_append(message, "[0]");
    }
    g_string_append(message, ": nesting deeper than 65 levels");
    to_node_fail(containers, QIDL_ERROR_LIMIT, message->str);
}

/* Hostile nesting stops the scan at once, without recursing. */
static void test_json__deep_nesting_fail(void **state)
{
    gsize n = 100000;
    g_autofree char *brackets = g_malloc(n + 1);
    g_autofree char *braces = NULL;
    g_autofree char *in_string = NULL;
    g_autoptr(JsonNode) json = NULL;

    memset(brackets, '[', n);
    brackets[n] = '\0';
    parse_fail(brackets, -1, QIDL_ERROR_LIMIT,
               "<data>:1:67: nesting deeper than 66 levels");
    braces = g_strnfill(n, '{');
    parse_fail(braces, (gssize)n, QIDL_ERROR_LIMIT,
               "<data>:1:67: nesting deeper than 66 levels");
    /* Brackets inside strings do not nest. */
    in_string = g_strdup_printf("[\"%s\"]", brackets);
    json = parse_ok(in_string);
    assert_non_null(json);
}

/* A JsonNode built in code, deeper than any text could be. */
static void test_json__deep_json_node_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
    JsonArray *array = json_array_new();

    json_node_take_array(root, array);
    for (guint i = 1; i < 1000; i++) {
        JsonArray *inner = json_array_new();

        json_array_add_array_element(array, inner);
        array = inner;
    }
    assert_null(qidl_json_to_node(tree, root, NULL, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_LIMIT));
    assert_true(g_str_has_suffix(error->message,
                                 "[0]: nesting deeper than 65 levels"));
}

static void test_json__length_limit_fail(void **state)
{
    /*
     * The length is checked before a byte is read, so a short buffer with
     * a long claimed length is enough.
     */
    static const char text[] = "[]";

    parse_fail(text, (gssize)QIDL_LIMIT_JSON_LEN + 1, QIDL_ERROR_LIMIT,
               "JSON text longer than 268435456 bytes");
}

static void test_json__member_name_limit(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autofree char *name = g_strnfill(QIDL_LIMIT_NAME_LEN, 'n');
    g_autofree char *long_name = g_strnfill(QIDL_LIMIT_NAME_LEN + 1, 'n');
    g_autofree char *ok = g_strdup_printf("{\"%s\":true}", name);
    g_autofree char *bad = g_strdup_printf("{\"%s\":true}", long_name);

    assert_non_null(to_node_ok(tree, ok, "x"));
    to_node_fail(bad, QIDL_ERROR_LIMIT, "x: member name longer than 255 "
                                        "bytes");
}

/* Runs qidl_json_to_node() on {@key: @value}, built in code. */
static QidlNode *wrapped_string_to_node(QidlTree *tree, const char *key,
                                        const char *value, GError **error)
{
    g_autoptr(JsonNode) json = json_node_new(JSON_NODE_OBJECT);
    JsonObject *obj = json_object_new();

    json_object_set_string_member(obj, key, value);
    json_node_take_object(json, obj);
    return qidl_json_to_node(tree, json, "x", error);
}

/* Bytes and strings at their limits and one past. */
static void test_json__size_limits(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *hex = g_strnfill(2 * (gsize)QIDL_LIMIT_LIST_LEN + 2, 'a');
    g_autofree char *text = g_strnfill(QIDL_LIMIT_STRING_LEN + 1, 's');
    QidlNode *node;
    gsize len;

    /* Bytes: QIDL_LIMIT_LIST_LEN, then one more. */
    hex[2 * (gsize)QIDL_LIMIT_LIST_LEN] = '\0';
    node = wrapped_string_to_node(tree, "bytes", hex, &error);
    assert_non_null(node);
    qidl_node_get_bytes(node, &len);
    assert_int_equal(len, QIDL_LIMIT_LIST_LEN);
    hex[2 * (gsize)QIDL_LIMIT_LIST_LEN] = 'a';
    assert_null(wrapped_string_to_node(tree, "bytes", hex, &error));
    check_error(error, QIDL_ERROR_LIMIT,
                "x: 16777217 bytes exceed the limit of 16777216");
    g_clear_error(&error);

    /* A plain string (in a struct field s): QIDL_LIMIT_STRING_LEN, then
     * one more. */
    text[QIDL_LIMIT_STRING_LEN] = '\0';
    node = wrapped_string_to_node(tree, "s", text, &error);
    assert_non_null(node);
    text[QIDL_LIMIT_STRING_LEN] = 's';
    assert_null(wrapped_string_to_node(tree, "s", text, &error));
    check_error(error, QIDL_ERROR_LIMIT,
                "x.s: string longer than 1048576 bytes");
}

/* ---- Refused input ---- */

static void test_json__syntax_error_fail(void **state)
{
    static const struct {
        const char *text;
        const char *prefix;
    } cases[] = {
        /* json-glib's own messages, which start with line and column. */
        { "{\n  \"a\" : [1,\n  ]\n}", "<data>:2:11: " },
        { "[1,,2]", "<data>:1:4: " },
        { "{\"a\" 1}", "<data>:1:4: " },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;

        assert_null(qidl_json_parse(cases[i].text, -1, &error));
        assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_INVALID));
        if (!g_str_has_prefix(error->message, cases[i].prefix)) {
            fail_msg("\"%s\" does not start with \"%s\"", error->message,
                     cases[i].prefix);
        }
    }
    parse_fail("[true] x", -1, QIDL_ERROR_INVALID,
               "<data>:1:8: trailing data after the JSON value");
    /* json-glib would parse the second value and drop the first. */
    parse_fail("{} {}", -1, QIDL_ERROR_INVALID,
               "<data>:1:4: trailing data after the JSON value");
    parse_fail("1 2", -1, QIDL_ERROR_INVALID,
               "<data>:1:3: trailing data after the JSON value");
    parse_fail("{\"a\": [1]}\n[]", -1, QIDL_ERROR_INVALID,
               "<data>:2:1: trailing data after the JSON value");
    parse_fail("[x]", -1, QIDL_ERROR_INVALID,
               "<data>:1:2: unexpected word \"x\"");
    parse_fail("[\"abc", -1, QIDL_ERROR_INVALID,
               "<data>:1:2: unterminated string");
    parse_fail("", -1, QIDL_ERROR_INVALID, "<data>: no JSON value");
    parse_fail(" \n ", -1, QIDL_ERROR_INVALID, "<data>: no JSON value");
    parse_fail(NULL, 0, QIDL_ERROR_INVALID, "<data>: no JSON value");
}

/* What json-glib accepts but JSON does not. */
static void test_json__lenient_syntax_fail(void **state)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        { "[01]", "<data>:1:2: invalid number" },
        { "[0x10]", "<data>:1:2: invalid number" },
        { "[1.]", "<data>:1:2: invalid number" },
        { "[1e]", "<data>:1:2: invalid number" },
        { "[-]", "<data>:1:2: invalid number" },
        { "[1.5.2]", "<data>:1:2: invalid number" },
        { "[.5]", "<data>:1:2: unexpected character '.'" },
        { "[+1]", "<data>:1:2: unexpected character '+'" },
        { "[1 /* c */]", "<data>:1:4: unexpected character '/'" },
        { "['a']", "<data>:1:2: unexpected character '''" },
        { "[NaN]", "<data>:1:2: unexpected word \"NaN\"" },
        { "[True]", "<data>:1:2: unexpected word \"True\"" },
        { "[\"\\x41\"]", "<data>:1:3: invalid escape in string" },
        { "[\"\\u00g0\"]", "<data>:1:3: invalid escape in string" },
        { "[\"a\nb\"]", "<data>:1:4: control character 0x0a in string" },
        { "[\"\xff\"]", "<data>:1:3: invalid UTF-8 in string" },
        { "[\"\xc3\"]", "<data>:1:3: invalid UTF-8 in string" },
        { "\xef\xbb\xbf[]", "<data>:1:1: unexpected byte 0xef" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        parse_fail(cases[i].text, -1, QIDL_ERROR_INVALID, cases[i].message);
    }
    /* A NUL byte inside the given length. */
    parse_fail("[1]\0", 4, QIDL_ERROR_INVALID,
               "<data>:1:4: unexpected byte 0x00");
    parse_fail("[\"a\0\"]", 6, QIDL_ERROR_INVALID,
               "<data>:1:4: control character 0x00 in string");
}

/* jq writes -0.0 as -0, which json-glib alone would read as 0. */
static void test_json__negative_zero_from_jq(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *node = to_node_ok(tree, "[{\"f64\":-0},{\"f32\":-0},"
                                      "{\"f64\": -0 },{\"f64\":0}]", "x");
    double d;
    float f;

    d = qidl_node_get_double(qidl_node_get_nth_child(node, 0));
    assert_true(d == 0 && signbit(d));
    f = (float)qidl_node_get_double(qidl_node_get_nth_child(node, 1));
    assert_true(f == 0 && signbit(f));
    d = qidl_node_get_double(qidl_node_get_nth_child(node, 2));
    assert_true(d == 0 && signbit(d));
    d = qidl_node_get_double(qidl_node_get_nth_child(node, 3));
    assert_true(d == 0 && !signbit(d));
    /* Not an integer any more, but a double. */
    to_node_fail("{\"u8\":-0}", QIDL_ERROR_INVALID,
                 "x: uint8 value must be an integer without fraction or "
                 "exponent");
}

/* json-glib would wrap integers beyond gint64 around. */
static void test_json__integer_literal_range(void **state)
{
    g_autoptr(JsonNode) max = parse_ok("[9223372036854775807]");
    g_autoptr(JsonNode) min = parse_ok("[-9223372036854775808]");

    assert_true(json_array_get_int_element(json_node_get_array(max), 0) ==
                G_MAXINT64);
    assert_true(json_array_get_int_element(json_node_get_array(min), 0) ==
                G_MININT64);
    parse_fail("[9223372036854775808]", -1, QIDL_ERROR_INVALID,
               "<data>:1:2: integer out of the range of int64");
    parse_fail("[-9223372036854775809]", -1, QIDL_ERROR_INVALID,
               "<data>:1:2: integer out of the range of int64");
    parse_fail("{\"u8\":18446744073709551617}", -1, QIDL_ERROR_INVALID,
               "<data>:1:7: integer out of the range of int64");
}

static void test_json__nul_in_string_fail(void **state)
{
    parse_fail("[\"a\\u0000b\"]", -1, QIDL_ERROR_INVALID,
               "<data>:1:4: string contains a NUL character");
    to_node_fail("{\"str\":\"610062\"}", QIDL_ERROR_INVALID,
                 "x: string contains a NUL byte");
}

static void test_json__duplicate_member_fail(void **state)
{
    /* json-glib would keep the last silently.  Its position is json-glib's. */
    parse_fail("{\"a\":{\"b\":true,\"b\":false}}", -1, QIDL_ERROR_INVALID,
               "<data>:1:24: duplicate member \"b\"");
    parse_fail("{\"a\":true,\n\"a\":true}", -1, QIDL_ERROR_INVALID,
               "<data>:2:8: duplicate member \"a\"");
}

static void test_json__integer_range_fail(void **state)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        { "{\"i8\":-129}", "x: value -129 does not fit int8" },
        { "{\"i8\":128}", "x: value 128 does not fit int8" },
        { "{\"u8\":-1}", "x: value -1 does not fit uint8" },
        { "{\"u8\":256}", "x: value 256 does not fit uint8" },
        { "{\"i16\":-32769}", "x: value -32769 does not fit int16" },
        { "{\"i16\":32768}", "x: value 32768 does not fit int16" },
        { "{\"u16\":-1}", "x: value -1 does not fit uint16" },
        { "{\"u16\":65536}", "x: value 65536 does not fit uint16" },
        { "{\"i32\":-2147483649}",
          "x: value -2147483649 does not fit int32" },
        { "{\"i32\":2147483648}", "x: value 2147483648 does not fit int32" },
        { "{\"u32\":-1}", "x: value -1 does not fit uint32" },
        { "{\"u32\":4294967296}", "x: value 4294967296 does not fit uint32" },
        { "{\"i64\":\"-9223372036854775809\"}",
          "x: value \"-9223372036854775809\" does not fit int64" },
        { "{\"i64\":\"9223372036854775808\"}",
          "x: value \"9223372036854775808\" does not fit int64" },
        { "{\"u64\":\"-1\"}", "x: value \"-1\" does not fit uint64" },
        { "{\"u64\":\"18446744073709551616\"}",
          "x: value \"18446744073709551616\" does not fit uint64" },
        { "{\"u64\":\"99999999999999999999999\"}",
          "x: value \"99999999999999999999999\" does not fit uint64" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        to_node_fail(cases[i].text, QIDL_ERROR_INVALID, cases[i].message);
    }
}

/* The example of json.h: the path names the element. */
static void test_json__value_path_fail(void **state)
{
    g_autofree char *text = replace_once(sample_json, "{\"u8\":128}",
                                         "{\"u8\":300}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(JsonNode) json = parse_ok(text);
    g_autoptr(GError) error = NULL;

    assert_null(qidl_json_to_node(tree, json, "sample", &error));
    check_error(error, QIDL_ERROR_INVALID,
                "sample.cmos[3]: value 300 does not fit uint8");
    g_clear_error(&error);
    /* The input visitor does not know the top-level name yet. */
    assert_null(qidl_json_input_visitor_new(json, 0, &error));
    check_error(error, QIDL_ERROR_INVALID,
                "cmos[3]: value 300 does not fit uint8");
}

static void test_json__value_form_fail(void **state)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        { "{\"u9\":5}", "x: unknown type key \"u9\"" },
        { "{\"U8\":5}", "x: unknown type key \"U8\"" },
        { "{\"a\":{\"f128\":1.5}}", "x.a: unknown type key \"f128\"" },
        { "{\"a\":5,\"b\":true}", "x.a: number without a type key" },
        { "[1]", "x[0]: number without a type key" },
        { "{\"a\":null}", "x.a: null is not a value of the typed form" },
        { "null", "x: null is not a value of the typed form" },
        { "{\"u8\":1.5}",
          "x: uint8 value must be an integer without fraction or exponent" },
        { "{\"u8\":1.0}",
          "x: uint8 value must be an integer without fraction or exponent" },
        { "{\"i32\":1e2}",
          "x: int32 value must be an integer without fraction or exponent" },
        { "{\"u8\":\"5\"}", "x: uint8 value must be a number" },
        { "{\"u64\":5}", "x: uint64 value must be a decimal string" },
        { "{\"i64\":-5}", "x: int64 value must be a decimal string" },
        { "{\"i64\":\"+5\"}", "x: value \"+5\" is not a decimal integer" },
        { "{\"i64\":\"05\"}", "x: value \"05\" is not a decimal integer" },
        { "{\"i64\":\" 5\"}", "x: value \" 5\" is not a decimal integer" },
        { "{\"i64\":\"5 \"}", "x: value \"5 \" is not a decimal integer" },
        { "{\"i64\":\"\"}", "x: value \"\" is not a decimal integer" },
        { "{\"i64\":\"-\"}", "x: value \"-\" is not a decimal integer" },
        { "{\"u64\":\"0x10\"}", "x: value \"0x10\" is not a decimal integer" },
        { "{\"u64\":\"1e3\"}", "x: value \"1e3\" is not a decimal integer" },
        { "{\"f64\":\"NaN\"}", "x: value \"NaN\" is not a number, \"nan\", "
          "\"-nan\", \"inf\", \"-inf\" or the bits of a quiet NaN" },
        { "{\"f64\":\"1.5\"}", "x: value \"1.5\" is not a number, \"nan\", "
          "\"-nan\", \"inf\", \"-inf\" or the bits of a quiet NaN" },
        /* The bits of infinity, and a signalling float NaN. */
        { "{\"f64\":\"nan:0x7ff0000000000000\"}", "x: value "
          "\"nan:0x7ff0000000000000\" is not a number, \"nan\", \"-nan\", "
          "\"inf\", \"-inf\" or the bits of a quiet NaN" },
        { "{\"f32\":\"nan:0x7f800001\"}", "x: value \"nan:0x7f800001\" is "
          "not a number, \"nan\", \"-nan\", \"inf\", \"-inf\" or the bits "
          "of a quiet NaN" },
        { "{\"f32\":\"nan:0x7FC00001\"}", "x: value \"nan:0x7FC00001\" is "
          "not a number, \"nan\", \"-nan\", \"inf\", \"-inf\" or the bits "
          "of a quiet NaN" },
        { "{\"f64\":1e400}", "x: value out of the range of double" },
        { "{\"f32\":1e300}",
          "x: value 1.0000000000000001e+300 does not fit float" },
        { "{\"bytes\":\"abc\"}",
          "x: value \"abc\" is not lower-case hex of even length" },
        { "{\"bytes\":\"0F\"}",
          "x: value \"0F\" is not lower-case hex of even length" },
        { "{\"bytes\":\"zz\"}",
          "x: value \"zz\" is not lower-case hex of even length" },
        { "{\"bytes\":5}", "x: bytes value must be a string of hex digits" },
        { "{\"str\":\"6\"}",
          "x: value \"6\" is not lower-case hex of even length" },
        { "{\"\":true}", "x: empty member name" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        to_node_fail(cases[i].text, QIDL_ERROR_INVALID, cases[i].message);
    }
}

/* FLT_MAX + half an ulp would round to infinity. */
static void test_json__float_overflow_fail(void **state)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    const char *number = g_ascii_dtostr(buf, sizeof(buf),
                                        (double)FLT_MAX + 0x1p103);
    g_autofree char *text = g_strdup_printf("{\"f32\":%s}", number);
    g_autofree char *message = g_strdup_printf("x: value %s does not fit "
                                               "float", number);

    to_node_fail(text, QIDL_ERROR_INVALID, message);
}

static void test_json__reserved_member_fail(void **state)
{
    static const char dev[] =
        "\"$device\":{\"type\":\"t\",\"path\":\"/p\",\"version\":1}";
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        { "{\"$foo\":true}", "x: member name \"$foo\" is reserved" },
        { "{\"a\":{\"b\":true,\"$x\":1}}",
          "x.a: member name \"$x\" is reserved" },
        { "{\"$device\":5}", "x: \"$device\" must be an object of exactly "
          "\"type\", \"path\" and \"version\"" },
        { "{\"$device\":{\"type\":\"t\",\"path\":\"/p\"}}",
          "x: \"$device\" must be an object of exactly \"type\", \"path\" "
          "and \"version\"" },
        { "{\"$device\":{\"type\":\"t\",\"path\":\"/p\",\"vers\":1}}",
          "x: \"$device\" lacks \"version\"" },
        { "{\"$device\":{\"type\":1,\"path\":\"/p\",\"version\":1}}",
          "x: \"$device\" member \"type\" must be a string" },
        { "{\"$device\":{\"type\":\"t\",\"path\":\"/p\",\"version\":-1}}",
          "x: \"$device\" version must be an integer from 0 to 4294967295" },
        { "{\"$device\":{\"type\":\"t\",\"path\":\"/p\","
          "\"version\":4294967296}}",
          "x: \"$device\" version must be an integer from 0 to 4294967295" },
        { "[{\"a\":true,\"$device\":{}}]",
          "x[0]: \"$device\" is not the first member" },
    };
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autofree char *first = g_strdup_printf("{%s,\"a\":true}", dev);
    g_autofree char *second = g_strdup_printf("{\"a\":true,%s}", dev);
    QidlNode *node;

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        to_node_fail(cases[i].text, QIDL_ERROR_INVALID, cases[i].message);
    }
    node = to_node_ok(tree, first, "x");
    assert_string_equal(qidl_node_get_type_name(node), "t");
    assert_string_equal(qidl_node_get_instance_path(node), "/p");
    assert_int_equal(qidl_node_get_version(node), 1);
    to_node_fail(second, QIDL_ERROR_INVALID,
                 "x: \"$device\" is not the first member");
}

/* ---- The input visitor ---- */

static void test_json__missing_field_fail(void **state)
{
    g_autofree char *text = replace_once(sample_json, ",\"mode\":{\"u8\":3}",
                                         "");
    g_autoptr(GError) error = NULL;
    Sample s;

    assert_false(sample_from_text(text, 0, &s, &error));
    sample_clear(&s);
    check_error(error, QIDL_ERROR_MISSING_FIELD,
                "sample.inner.mode: missing field");
}

static void test_json__leftover_field_fail(void **state)
{
    g_autofree char *text = replace_once(sample_json, "\"mode\":{\"u8\":3}",
                                         "\"mode\":{\"u8\":3},"
                                         "\"bogus\":true");
    g_autoptr(GError) error = NULL;
    Sample expected;
    Sample s;

    assert_false(sample_from_text(text, 0, &s, &error));
    sample_clear(&s);
    check_error(error, QIDL_ERROR_UNKNOWN_FIELD,
                "sample.inner: unknown field 'bogus'");
    /* Unless the flag allows it. */
    g_clear_error(&error);
    sample_init(&expected);
    assert_true(sample_from_text(text, QIDL_TREE_INPUT_ALLOW_UNKNOWN, &s,
                                 &error));
    assert_true(sample_equal(&s, &expected));
    sample_clear(&s);
    sample_clear(&expected);
}

static void test_json__type_mismatch_fail(void **state)
{
    static const struct {
        const char *old;
        const char *new;
        const char *message;
    } cases[] = {
        { "\"u8\":{\"u8\":16}", "\"u8\":{\"u16\":16}",
          "sample.u8: expected uint8, found uint16" },
        { "\"i64\":{\"i64\":\"-9223372036854775807\"}",
          "\"i64\":{\"u64\":\"1\"}",
          "sample.i64: expected int64, found uint64" },
        { "\"f\":{\"f32\":1.5}", "\"f\":{\"f64\":1.5}",
          "sample.f: expected float, found double" },
        { "\"label\":\"com1\"", "\"label\":{\"bytes\":\"00\"}",
          "sample.label: expected string, found bytes" },
        { "{\"u8\":0},{\"u8\":128}", "{\"u8\":0},{\"i8\":1}",
          "sample.cmos[3]: expected uint8, found int8" },
        { "\"inner\":{", "\"inner\":[{\"u8\":1}],\"x\":{",
          "sample.inner: expected struct, found list" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = replace_once(sample_json, cases[i].old,
                                             cases[i].new);
        g_autoptr(GError) error = NULL;
        Sample s;

        assert_false(sample_from_text(text, 0, &s, &error));
        sample_clear(&s);
        check_error(error, QIDL_ERROR_TYPE_MISMATCH, cases[i].message);
    }
}

static void test_json__length_mismatch_fail(void **state)
{
    g_autofree char *text = replace_once(sample_json, ",{\"u8\":4}]", "]");
    g_autoptr(GError) error = NULL;
    Sample s;

    assert_false(sample_from_text(text, 0, &s, &error));
    sample_clear(&s);
    assert_true(g_error_matches(error, QIDL_ERROR,
                                QIDL_ERROR_LENGTH_MISMATCH));
    assert_true(g_str_has_prefix(error->message, "sample.cmos: "));
}

/* A name that would not fit the fixed buffer char name[8]. */
static void test_json__string_buf_too_long_fail(void **state)
{
    g_autofree char *text = replace_once(sample_json, "\"name\":\"rtc\"",
                                         "\"name\":\"12345678\"");
    g_autoptr(GError) error = NULL;
    Sample s;

    assert_false(sample_from_text(text, 0, &s, &error));
    sample_clear(&s);
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_LIMIT));
    assert_true(g_str_has_prefix(error->message, "sample.name: "));
}

static void test_json__input_visitor_invalid_fail(void **state)
{
    g_autoptr(JsonNode) json = parse_ok("{\"a\":{\"u8\":\"1\"}}");
    g_autoptr(GError) error = NULL;

    assert_null(qidl_json_input_visitor_new(json, 0, &error));
    check_error(error, QIDL_ERROR_INVALID, "a: uint8 value must be a number");
}

/* ---- The output visitor ---- */

static void test_json__complete_without_visit_fail(void **state)
{
    JsonNode *out = NULL;
    g_autoptr(QidlVisitor) v = qidl_json_output_visitor_new(&out);
    g_autoptr(GError) error = NULL;

    assert_false(qidl_visitor_complete(v, &error));
    check_error(error, QIDL_ERROR_INVALID, "nothing was visited");
    assert_null(out);
}

/* A scalar at the top level is a scalar's JSON. */
static void test_json__output_top_level_scalar(void **state)
{
    g_autoptr(JsonNode) out = NULL;
    g_autoptr(QidlVisitor) v = qidl_json_output_visitor_new(&out);
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    guint64 value = G_MAXUINT64;

    assert_true(qidl_visit_uint64(v, "counter", &value, &error));
    assert_true(qidl_visitor_complete(v, &error));
    text = qidl_json_to_string(out, FALSE);
    assert_string_equal(text, "{\"u64\":\"18446744073709551615\"}");
}

/* ---- qidl_visit_scalar_fields() ---- */

/*
 * The JSON visitors have no scalar_fields: the core's calls per field
 * write and read exactly what the fields' own calls do.
 */
static void test_json__scalar_fields_same_text(void **state)
{
    static const char want[] =
        "{\"head\":{\"u8\":165},\"flag\":true,\"i8\":{\"i8\":-2},"
        "\"u8\":{\"u8\":16},\"i16\":{\"i16\":-300},"
        "\"u16\":{\"u16\":48879},\"i32\":{\"i32\":-70000},"
        "\"u32\":{\"u32\":3735928559},"
        "\"i64\":{\"i64\":\"-9223372036854775807\"},"
        "\"u64\":{\"u64\":\"18446744073709551614\"},"
        "\"f\":{\"f32\":1.5},\"d\":{\"f64\":-0.10000000000000001},"
        "\"tail\":{\"u8\":90}}";
    FieldsDev src;

    fields_dev_init(&src);
    for (int b = 0; b < 2; b++) {
        g_autoptr(JsonNode) json = NULL;
        g_autoptr(QidlVisitor) out = qidl_json_output_visitor_new(&json);
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;

        assert_true(fields_dev_visit(out, "dev", &src, fields_run,
                                     FIELDS_RUN_LEN, b, &error));
        assert_true(qidl_visitor_complete(out, &error));
        text = qidl_json_to_string(json, FALSE);
        assert_string_equal(text, want);
        for (int lb = 0; lb < 2; lb++) {
            g_autoptr(QidlVisitor) in = qidl_json_input_visitor_new(json, 0,
                                                                    &error);
            FieldsDev dst;

            memset(&dst, 0xee, sizeof(dst));
            assert_true(fields_dev_visit(in, "dev", &dst, fields_run,
                                         FIELDS_RUN_LEN, lb, &error));
            assert_true(qidl_visitor_complete(in, &error));
            assert_null(error);
            assert_int_equal(dst.head, src.head);
            assert_true(dst.flag);
            assert_int_equal(dst.i8, src.i8);
            assert_int_equal(dst.u8, src.u8);
            assert_int_equal(dst.i16, src.i16);
            assert_int_equal(dst.u16, src.u16);
            assert_int_equal(dst.i32, src.i32);
            assert_int_equal(dst.u32, src.u32);
            assert_true(dst.i64 == src.i64);
            assert_true(dst.u64 == src.u64);
            assert_true(dst.f == src.f);
            assert_true(dst.d == src.d);
            assert_int_equal(dst.tail, src.tail);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json__sample_to_text),
        cmocka_unit_test(test_json__sample_from_text),
        cmocka_unit_test(test_json__sample_pretty_roundtrip),
        cmocka_unit_test(test_json__sample_float_edges_roundtrip),
        cmocka_unit_test(test_json__integer_limits_roundtrip),
        cmocka_unit_test(test_json__float_edges_roundtrip),
        cmocka_unit_test(test_json__float_rounds_to_nearest),
        cmocka_unit_test(test_json__strings_and_bytes_roundtrip),
        cmocka_unit_test(test_json__type_key_field_names_roundtrip),
        cmocka_unit_test(test_json__tree_roundtrip),
        cmocka_unit_test(test_json__device_text),
        cmocka_unit_test(test_json__empty_containers),
        cmocka_unit_test(test_json__deepest_visit_roundtrip),
        cmocka_unit_test(test_json__nesting_at_limit),
        cmocka_unit_test(test_json__nesting_over_limit_fail),
        cmocka_unit_test(test_json__deep_nesting_fail),
        cmocka_unit_test(test_json__deep_json_node_fail),
        cmocka_unit_test(test_json__length_limit_fail),
        cmocka_unit_test(test_json__member_name_limit),
        cmocka_unit_test(test_json__size_limits),
        cmocka_unit_test(test_json__syntax_error_fail),
        cmocka_unit_test(test_json__lenient_syntax_fail),
        cmocka_unit_test(test_json__negative_zero_from_jq),
        cmocka_unit_test(test_json__integer_literal_range),
        cmocka_unit_test(test_json__nul_in_string_fail),
        cmocka_unit_test(test_json__duplicate_member_fail),
        cmocka_unit_test(test_json__integer_range_fail),
        cmocka_unit_test(test_json__value_path_fail),
        cmocka_unit_test(test_json__value_form_fail),
        cmocka_unit_test(test_json__float_overflow_fail),
        cmocka_unit_test(test_json__reserved_member_fail),
        cmocka_unit_test(test_json__missing_field_fail),
        cmocka_unit_test(test_json__leftover_field_fail),
        cmocka_unit_test(test_json__type_mismatch_fail),
        cmocka_unit_test(test_json__length_mismatch_fail),
        cmocka_unit_test(test_json__string_buf_too_long_fail),
        cmocka_unit_test(test_json__input_visitor_invalid_fail),
        cmocka_unit_test(test_json__complete_without_visit_fail),
        cmocka_unit_test(test_json__output_top_level_scalar),
        cmocka_unit_test(test_json__scalar_fields_same_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
