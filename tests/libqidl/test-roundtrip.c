/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Round trips of the sample fixture through every output -> input pair:
 * legacy bytes, the state tree, typed JSON (as a JsonNode and as text), a
 * chain through all of them, and tree replay.  Each must give back exactly
 * the state that was saved (sample_equal compares floats bit for bit),
 * for the sample as sample_init() makes it and for variants that change
 * the optional fields and push values to their limits.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/json.h>
#include <qidl/legacy.h>
#include <qidl/pretty.h>
#include <qidl/tree.h>

#include "sample.h"

/* The sample as sample_init() makes it. */
static void variant_default(Sample *s)
{
    sample_init(s);
}

/* The optional field absent, the default field away from its default. */
static void variant_extra_absent(Sample *s)
{
    sample_init(s);
    s->has_extra = false;
    s->extra = 0;
    s->thr = 7;
}

/* Values at their limits, an empty sized list, escapes in strings. */
static void variant_edges(Sample *s)
{
    sample_init(s);
    s->flag = false;
    s->i8 = G_MININT8;
    s->u8 = G_MAXUINT8;
    s->i16 = G_MININT16;
    s->u16 = G_MAXUINT16;
    s->i32 = G_MININT32;
    s->u32 = G_MAXUINT32;
    s->i64 = G_MININT64;
    s->u64 = G_MAXUINT64;
    s->f = -FLT_TRUE_MIN;
    s->d = -0.0;
    g_free(s->label);
    s->label = g_strdup("tab\tquote\" \303\251");
    memcpy(s->name, "1234567", sizeof(s->name));   /* capacity - 1 */
    s->blob[0] = 0xff;
    s->fifo_len = 0;
    s->has_extra = true;
    s->extra = G_MAXUINT32;
    s->thr = G_MAXUINT8;
}

/* Floats the JSON form spells as strings. */
static void variant_non_finite(Sample *s)
{
    sample_init(s);
    s->f = -INFINITY;
    s->d = NAN;
}

static const struct {
    const char *name;
    void (*init)(Sample *s);
} variants[] = {
    { "default", variant_default },
    { "extra_absent", variant_extra_absent },
    { "edges", variant_edges },
    { "non_finite", variant_non_finite },
};

/* Pretty-prints @s, to compare states in failure messages and replay. */
static char *pretty(Sample *s)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
    g_autoptr(GError) error = NULL;

    assert_true(sample_visit(v, "sample", s, &error));
    assert_true(qidl_visitor_complete(v, &error));
    return g_strdup(out->str);
}

/* Asserts that @loaded holds exactly @saved, showing both if not. */
static void assert_sample_equal(Sample *saved, Sample *loaded,
                                const char *what)
{
    if (!sample_equal(saved, loaded)) {
        g_autofree char *a = pretty(saved);
        g_autofree char *b = pretty(loaded);

        fail_msg("%s: loaded state differs\n--- saved\n%s--- loaded\n%s",
                 what, a, b);
    }
}

/* Loads @in into a zeroed @out and completes; asserts success. */
static void load(QidlVisitor *in, Sample *out, const char *what)
{
    g_autoptr(GError) error = NULL;

    memset(out, 0, sizeof(*out));
    if (!sample_visit(in, "sample", out, &error) ||
        !qidl_visitor_complete(in, &error)) {
        fail_msg("%s: load failed: %s", what, error->message);
    }
}

/* Saves @s through @out and completes; asserts success. */
static void save(QidlVisitor *out, Sample *s, const char *what)
{
    g_autoptr(GError) error = NULL;

    if (!sample_visit(out, "sample", s, &error) ||
        !qidl_visitor_complete(out, &error)) {
        fail_msg("%s: save failed: %s", what, error->message);
    }
}

/* ---- one codec each ---- */

static void legacy_roundtrip(Sample *saved, Sample *loaded, const char *what)
{
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) out = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(QidlVisitor) in = NULL;

    save(out, saved, what);
    in = qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0,
                                       QIDL_LEGACY_INPUT_NONE);
    load(in, loaded, what);
    assert_int_equal(qidl_legacy_input_visitor_get_offset(in), bytes->len);
}

/* Saves @s into @tree; returns the sample's node. */
static QidlNode *save_tree(QidlTree *tree, Sample *s, const char *what)
{
    g_autoptr(QidlVisitor) out = qidl_tree_output_visitor_new(tree, NULL);
    QidlNode *node;

    save(out, s, what);
    node = qidl_tree_output_visitor_get_result(out);
    assert_non_null(node);
    assert_ptr_equal(node, qidl_node_get_child(qidl_tree_get_root(tree),
                                               "sample"));
    return node;
}

static void tree_roundtrip(Sample *saved, Sample *loaded, const char *what)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *node = save_tree(tree, saved, what);
    g_autoptr(QidlVisitor) in =
        qidl_tree_input_visitor_new(node, QIDL_TREE_INPUT_NONE);

    load(in, loaded, what);
    assert_int_equal(qidl_tree_input_visitor_get_unknown_count(in), 0);
}

static JsonNode *save_json(Sample *s, const char *what)
{
    JsonNode *json = NULL;
    g_autoptr(QidlVisitor) out = qidl_json_output_visitor_new(&json);

    save(out, s, what);
    assert_non_null(json);
    return json;
}

static void load_json(JsonNode *json, Sample *loaded, const char *what)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) in =
        qidl_json_input_visitor_new(json, QIDL_TREE_INPUT_NONE, &error);

    if (!in) {
        fail_msg("%s: JSON not accepted: %s", what, error->message);
    }
    load(in, loaded, what);
}

static void json_roundtrip(Sample *saved, Sample *loaded, const char *what)
{
    g_autoptr(JsonNode) json = save_json(saved, what);

    load_json(json, loaded, what);
}

static void load_json_text(const char *text, Sample *loaded,
                           const char *what)
{
    g_autoptr(JsonNode) parsed = NULL;
    g_autoptr(GError) error = NULL;

    parsed = qidl_json_parse(text, -1, &error);
    if (!parsed) {
        fail_msg("%s: JSON text not parsed: %s\n%s", what, error->message,
                 text);
    }
    load_json(parsed, loaded, what);
}

/* Through JSON text, as a file would hold it: compact and indented. */
static void json_text_roundtrip(Sample *saved, Sample *loaded,
                                const char *what)
{
    g_autoptr(JsonNode) json = save_json(saved, what);
    g_autofree char *compact = qidl_json_to_string(json, FALSE);
    g_autofree char *indented = qidl_json_to_string(json, TRUE);
    Sample from_compact;

    load_json_text(compact, &from_compact, what);
    assert_sample_equal(saved, &from_compact, what);
    sample_clear(&from_compact);
    load_json_text(indented, loaded, what);
}

/* Legacy -> Sample -> tree -> Sample -> JSON text -> Sample. */
static void chain_roundtrip(Sample *saved, Sample *loaded, const char *what)
{
    Sample a;
    Sample b;

    legacy_roundtrip(saved, &a, what);
    tree_roundtrip(&a, &b, what);
    json_text_roundtrip(&b, loaded, what);
    sample_clear(&a);
    sample_clear(&b);
}

static void run_variants(void (*roundtrip)(Sample *saved, Sample *loaded,
                                           const char *what),
                         const char *codec)
{
    for (gsize i = 0; i < G_N_ELEMENTS(variants); i++) {
        g_autofree char *what = g_strdup_printf("%s, %s sample", codec,
                                                variants[i].name);
        Sample saved;
        Sample loaded;

        variants[i].init(&saved);
        roundtrip(&saved, &loaded, what);
        assert_sample_equal(&saved, &loaded, what);
        sample_clear(&saved);
        sample_clear(&loaded);
    }
}

static void test_roundtrip__legacy(void **state)
{
    run_variants(legacy_roundtrip, "legacy");
}

static void test_roundtrip__tree(void **state)
{
    run_variants(tree_roundtrip, "tree");
}

static void test_roundtrip__json(void **state)
{
    run_variants(json_roundtrip, "json");
}

static void test_roundtrip__json_text(void **state)
{
    run_variants(json_text_roundtrip, "json text");
}

static void test_roundtrip__chain_through_every_codec(void **state)
{
    run_variants(chain_roundtrip, "legacy -> tree -> json");
}

/* ---- tree replay ---- */

/* Replaying a tree into a tree output visitor reproduces it exactly. */
static void test_roundtrip__tree_replay_into_tree(void **state)
{
    for (gsize i = 0; i < G_N_ELEMENTS(variants); i++) {
        g_autoptr(QidlTree) tree = qidl_tree_new();
        g_autoptr(QidlTree) copy = qidl_tree_new();
        g_autoptr(QidlVisitor) out = qidl_tree_output_visitor_new(copy,
                                                                  NULL);
        g_autoptr(GError) error = NULL;
        QidlNode *node;
        QidlNode *replayed;
        Sample s;

        variants[i].init(&s);
        node = save_tree(tree, &s, variants[i].name);
        sample_clear(&s);

        assert_true(qidl_node_replay(node, out, &error));
        assert_true(qidl_visitor_complete(out, &error));
        assert_null(error);
        replayed = qidl_tree_output_visitor_get_result(out);
        assert_non_null(replayed);
        if (!qidl_node_equal(node, replayed)) {
            g_autoptr(GString) a = g_string_new(NULL);
            g_autoptr(GString) b = g_string_new(NULL);

            qidl_node_print(node, a);
            qidl_node_print(replayed, b);
            fail_msg("%s: replayed tree differs\n--- saved\n%s--- "
                     "replayed\n%s", variants[i].name, a->str, b->str);
        }
    }
}

/*
 * Replay drives lists as counted lists of element size 0, so only the
 * element sizes in "(count)(elem_size)" may differ from the direct
 * printout.  Returns @text with every element size replaced by "*".
 */
static char *mask_elem_sizes(const char *text)
{
    g_autoptr(GRegex) re = g_regex_new("\\((\\d+)\\)\\(\\d+\\)", 0, 0,
                                       NULL);

    return g_regex_replace(re, text, -1, 0, "(\\1)(*)", 0, NULL);
}

/* Replaying into the pretty printer shows the state that was saved. */
static void test_roundtrip__tree_replay_into_pretty(void **state)
{
    for (gsize i = 0; i < G_N_ELEMENTS(variants); i++) {
        g_autoptr(QidlTree) tree = qidl_tree_new();
        g_autoptr(GString) out = g_string_new(NULL);
        g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
        g_autoptr(GError) error = NULL;
        g_autofree char *direct = NULL;
        g_autofree char *direct_masked = NULL;
        g_autofree char *replayed_masked = NULL;
        QidlNode *node;
        Sample s;

        variants[i].init(&s);
        node = save_tree(tree, &s, variants[i].name);
        direct = pretty(&s);
        sample_clear(&s);

        assert_true(qidl_node_replay(node, v, &error));
        assert_true(qidl_visitor_complete(v, &error));
        assert_null(error);
        direct_masked = mask_elem_sizes(direct);
        replayed_masked = mask_elem_sizes(out->str);
        if (strcmp(direct_masked, replayed_masked) != 0) {
            fail_msg("%s: replay prints differently\n--- direct\n%s--- "
                     "replayed\n%s", variants[i].name, direct, out->str);
        }
    }
}

/*
 * Returns the value column (what follows " = ") of each line of @text that
 * shows a value, skipping comment lines ("# device ...").
 */
static GPtrArray *value_column(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GPtrArray *values = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; lines[i]; i++) {
        const char *eq = strstr(lines[i], " = ");

        if (lines[i][0] != '#' && eq) {
            g_ptr_array_add(values, g_strdup(eq + 3));
        }
    }
    return values;
}

/*
 * The tree's own printer uses the pretty-print format too (the shared
 * helpers of pretty-private.h): its values match the pretty visitor's
 * line for line.  Paths are not compared: a tree does not know element
 * sizes.
 */
static void test_roundtrip__tree_print_matches_pretty_values(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GString) printed = g_string_new(NULL);
    g_autofree char *direct = NULL;
    g_autoptr(GPtrArray) a = NULL;
    g_autoptr(GPtrArray) b = NULL;
    QidlNode *node;
    Sample s;

    sample_init(&s);
    node = save_tree(tree, &s, "default");
    direct = pretty(&s);
    sample_clear(&s);
    qidl_node_print(node, printed);

    a = value_column(direct);
    b = value_column(printed->str);
    for (guint i = 0; i < a->len && i < b->len; i++) {
        if (strcmp(g_ptr_array_index(a, i), g_ptr_array_index(b, i)) != 0) {
            fail_msg("value %u: pretty \"%s\", tree print \"%s\"\n%s",
                     i + 1, (char *)g_ptr_array_index(a, i),
                     (char *)g_ptr_array_index(b, i), printed->str);
        }
    }
    assert_int_equal(a->len, b->len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip__legacy),
        cmocka_unit_test(test_roundtrip__tree),
        cmocka_unit_test(test_roundtrip__json),
        cmocka_unit_test(test_roundtrip__json_text),
        cmocka_unit_test(test_roundtrip__chain_through_every_codec),
        cmocka_unit_test(test_roundtrip__tree_replay_into_tree),
        cmocka_unit_test(test_roundtrip__tree_replay_into_pretty),
        cmocka_unit_test(test_roundtrip__tree_print_matches_pretty_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
