/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The code qidl-extract generates for tests/extract/good/, compiled and
 * run: random values of every supported shape round-trip exactly through
 * the legacy, tree and JSON visitors; loaders reject out-of-bound size_is,
 * range, index_of and check() values with QIDL_ERROR_CONSTRAINT (or
 * QIDL_ERROR_LIMIT) and leave the object untouched; the field and
 * property tables describe the struct.
 *
 * The random seed is printed; set QIDL_TEST_SEED to replay a run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <qidl/json.h>
#include <qidl/legacy.h>
#include <qidl/pretty.h>
#include <qidl/stream.h>
#include <qidl/tree.h>

#include "constraints.qidl.h"
#include "containers.qidl.h"
#include "runs.qidl.h"
#include "scalars.qidl.h"
#include "shapes.qidl.h"
#include "stream-seal.h"
#include "uart.qidl.h"

#define ITERATIONS 50

static GRand *rnd;

static void check_ok(gboolean ok, GError *error, const char *what)
{
    if (!ok) {
        fail_msg("%s: %s", what, error ? error->message : "(no error)");
    }
}

#define CHECK(expr) check_ok((expr), error, #expr)

enum { VIA_LEGACY, VIA_TREE, VIA_JSON, N_VIA };
static const char *const via_name[] = { "legacy", "tree", "json" };

/*
 * Saves @in with qidl_visit_T through one format and loads the result
 * into @out with qidl_load_T.
 */
#define DEFINE_ROUNDTRIP(T)                                                  \
static void roundtrip_##T(T *in, T *out, int via)                           \
{                                                                            \
    g_autoptr(GError) error = NULL;                                          \
                                                                             \
    if (via == VIA_LEGACY) {                                                 \
        g_autoptr(GByteArray) bytes = g_byte_array_new();                   \
        g_autoptr(QidlVisitor) o = qidl_legacy_output_visitor_new(bytes);   \
        g_autoptr(QidlVisitor) i = NULL;                                     \
                                                                             \
        CHECK(qidl_visit_##T(o, "dev", in, &error));                         \
        CHECK(qidl_visitor_complete(o, &error));                             \
        i = qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0, 0);    \
        CHECK(qidl_load_##T(i, "dev", out, &error));                         \
        CHECK(qidl_visitor_complete(i, &error));                             \
    } else if (via == VIA_TREE) {                                            \
        g_autoptr(QidlTree) tree = qidl_tree_new();                          \
        g_autoptr(QidlVisitor) o = qidl_tree_output_visitor_new(tree, NULL); \
        g_autoptr(QidlVisitor) i = NULL;                                     \
                                                                             \
        CHECK(qidl_visit_##T(o, "dev", in, &error));                         \
        CHECK(qidl_visitor_complete(o, &error));                             \
        i = qidl_tree_input_visitor_new(                                     \
            qidl_tree_output_visitor_get_result(o), 0);                      \
        CHECK(qidl_load_##T(i, "dev", out, &error));                         \
        CHECK(qidl_visitor_complete(i, &error));                             \
    } else {                                                                 \
        JsonNode *json = NULL;                                               \
        g_autoptr(JsonNode) parsed = NULL;                                   \
        g_autofree char *text = NULL;                                        \
        g_autoptr(QidlVisitor) o = qidl_json_output_visitor_new(&json);      \
        g_autoptr(QidlVisitor) i = NULL;                                     \
                                                                             \
        CHECK(qidl_visit_##T(o, "dev", in, &error));                         \
        CHECK(qidl_visitor_complete(o, &error));                             \
        text = qidl_json_to_string(json, FALSE);                             \
        json_node_unref(json);                                               \
        parsed = qidl_json_parse(text, -1, &error);                          \
        CHECK(parsed != NULL);                                               \
        i = qidl_json_input_visitor_new(parsed, 0, &error);                  \
        CHECK(i != NULL);                                                    \
        CHECK(qidl_load_##T(i, "dev", out, &error));                         \
        CHECK(qidl_visitor_complete(i, &error));                             \
    }                                                                        \
}

DEFINE_ROUNDTRIP(Scalars)
DEFINE_ROUNDTRIP(Shapes)
DEFINE_ROUNDTRIP(Constrained)
DEFINE_ROUNDTRIP(Queue)
DEFINE_ROUNDTRIP(UARTState)

/* Saves @in to a detached tree node, for tests that then corrupt it. */
#define DEFINE_TO_TREE(T)                                                    \
static QidlNode *to_tree_##T(QidlTree *tree, T *in)                          \
{                                                                            \
    g_autoptr(GError) error = NULL;                                          \
    g_autoptr(QidlVisitor) o = qidl_tree_output_visitor_new(tree, NULL);     \
                                                                             \
    CHECK(qidl_visit_##T(o, "dev", in, &error));                             \
    CHECK(qidl_visitor_complete(o, &error));                                 \
    return qidl_tree_output_visitor_get_result(o);                           \
}

DEFINE_TO_TREE(Scalars)
DEFINE_TO_TREE(Shapes)
DEFINE_TO_TREE(Constrained)
DEFINE_TO_TREE(UARTState)

static guint64 r64(void)
{
    return ((guint64)g_rand_int(rnd) << 32) | g_rand_int(rnd);
}

static guint32 rrange(guint32 lo, guint32 hi)
{
    return (guint32)g_rand_int_range(rnd, (gint32)lo, (gint32)hi + 1);
}

static char *rstring(guint max)
{
    guint len = rrange(0, max);
    char *s = g_malloc(len + 1);

    for (guint i = 0; i < len; i++) {
        s[i] = (char)rrange(' ', '~');
    }
    s[len] = '\0';
    return s;
}

/* ---- scalars ---------------------------------------------------------- */

static void fill_scalars(Scalars *s)
{
    static const Mode modes[] = { MODE_OFF, MODE_ON, MODE_AUTO };

    memset(s, 0, sizeof(*s));
    s->flag = g_rand_boolean(rnd);
    s->c = (char)r64();
    s->sc = (signed char)r64();
    s->uc = (unsigned char)r64();
    s->s = (short)r64();
    s->us = (unsigned short)r64();
    s->i = (int)r64();
    s->ui = (unsigned int)r64();
    s->l = (long)r64();
    s->ul = (unsigned long)r64();
    s->ll = (long long)r64();
    s->ull = r64();
    s->i8 = (int8_t)r64();
    s->u8 = (uint8_t)r64();
    s->i16 = (int16_t)r64();
    s->u16 = (uint16_t)r64();
    s->i32 = (int32_t)r64();
    s->u32 = (uint32_t)r64();
    s->i64 = (int64_t)r64();
    s->u64 = r64();
    s->word = (RegWord)r64();
    s->f = (float)g_rand_double_range(rnd, -1e6, 1e6);
    s->d = g_rand_double_range(rnd, -1e300, 1e300);
    s->mode = modes[rrange(0, 2)];
    s->level = g_rand_boolean(rnd) ? LEVEL_LOW : LEVEL_HIGH;
    s->thr = g_rand_boolean(rnd) ? 0 : (uint8_t)r64();
    s->bias = g_rand_boolean(rnd) ? -5 : (int32_t)r64();
}

static void test_generated__scalars_roundtrip(void **state)
{
    for (int n = 0; n < ITERATIONS; n++) {
        for (int via = 0; via < N_VIA; via++) {
            Scalars in, out;

            fill_scalars(&in);
            memset(&out, 0, sizeof(out));
            roundtrip_Scalars(&in, &out, via);
            if (memcmp(&in, &out, sizeof(in)) != 0) {
                fail_msg("Scalars differ after a %s round trip",
                         via_name[via]);
            }
        }
    }
    /* The limits of every width, exactly. */
    for (int via = 0; via < N_VIA; via++) {
        Scalars in = {
            .c = G_MININT8, .sc = G_MININT8, .uc = G_MAXUINT8,
            .s = G_MININT16, .us = G_MAXUINT16, .i = G_MININT32,
            .ui = G_MAXUINT32, .l = G_MININT64, .ul = G_MAXUINT64,
            .ll = G_MAXINT64, .ull = G_MAXUINT64, .i8 = G_MAXINT8,
            .u8 = G_MAXUINT8, .i16 = G_MAXINT16, .u16 = G_MAXUINT16,
            .i32 = G_MAXINT32, .u32 = G_MAXUINT32, .i64 = G_MININT64,
            .u64 = G_MAXUINT64, .word = G_MAXUINT16, .f = -1.5f,
            .d = G_MAXDOUBLE, .mode = MODE_AUTO, .level = LEVEL_LOW,
            .thr = 0xff, .bias = G_MININT32,
        };
        Scalars out;

        memset(&out, 0, sizeof(out));
        roundtrip_Scalars(&in, &out, via);
        assert_memory_equal(&in, &out, sizeof(in));
    }
}

/* A default-valued field is omitted by self-describing formats and preset
 * on load; a non-default one is carried. */
static void test_generated__default_omitted(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    Scalars in, out;
    QidlNode *node;

    fill_scalars(&in);
    in.thr = 0;
    in.bias = 7;
    node = to_tree_Scalars(tree, &in);
    assert_null(qidl_node_get_child(node, "thr"));
    assert_non_null(qidl_node_get_child(node, "bias"));

    memset(&out, 0xff, sizeof(out));
    out = (Scalars) { .thr = 99 };
    roundtrip_Scalars(&in, &out, VIA_TREE);
    assert_int_equal(out.thr, 0);
    assert_int_equal(out.bias, 7);
}

/* ---- shapes ----------------------------------------------------------- */

static void fill_child(Child *c)
{
    c->id = g_rand_int(rnd);
    c->tag = rstring(6);
}

static void fill_shapes(Shapes *s)
{
    memset(s, 0, sizeof(*s));
    s->inner.enabled = g_rand_boolean(rnd);
    s->inner.mode = (uint8_t)r64();
    for (int i = 0; i < 2; i++) {
        s->regs[i].lo = (uint16_t)r64();
        s->regs[i].hi = (int32_t)r64();
        s->anon.b[i] = (int16_t)r64();
        for (int j = 0; j < 3; j++) {
            s->matrix[i][j] = (uint16_t)r64();
        }
    }
    s->anon.a = (uint8_t)r64();
    s->fifo_len = (uint8_t)rrange(0, SHAPES_FIFO_CAP);
    for (int i = 0; i < s->fifo_len; i++) {
        s->fifo[i] = (uint8_t)r64();
    }
    for (int i = 0; i < 4; i++) {
        s->first[i] = g_rand_int(rnd);
    }
    s->nwords = rrange(0, 5);
    s->words = s->nwords ? g_new(uint32_t, s->nwords) : NULL;
    for (guint i = 0; i < s->nwords; i++) {
        s->words[i] = g_rand_int(rnd);
    }
    s->nchildren = (uint16_t)rrange(0, 3);
    s->children = s->nchildren ? g_new0(Child, s->nchildren) : NULL;
    for (guint i = 0; i < s->nchildren; i++) {
        fill_child(&s->children[i]);
    }
    {
        g_autofree char *name = rstring(7);

        strcpy(s->name, name);
    }
    s->label = rstring(20);
    s->has_extra = g_rand_boolean(rnd);
    s->extra = s->has_extra ? g_rand_int(rnd) : 0;
    if (g_rand_boolean(rnd)) {
        s->owned = g_new0(Child, 1);
        fill_child(s->owned);
    }
}

static gboolean child_equal(const Child *a, const Child *b)
{
    return a->id == b->id && g_strcmp0(a->tag, b->tag) == 0;
}

static gboolean shapes_equal(const Shapes *a, const Shapes *b)
{
    if (memcmp(&a->inner, &b->inner, sizeof(a->inner)) != 0 ||
        memcmp(a->regs, b->regs, sizeof(a->regs)) != 0 ||
        memcmp(a->matrix, b->matrix, sizeof(a->matrix)) != 0 ||
        memcmp(&a->anon, &b->anon, sizeof(a->anon)) != 0 ||
        a->fifo_len != b->fifo_len ||
        memcmp(a->fifo, b->fifo, a->fifo_len) != 0 ||
        memcmp(a->first, b->first, 4 * sizeof(a->first[0])) != 0 ||
        a->nwords != b->nwords ||
        (a->nwords && memcmp(a->words, b->words,
                             a->nwords * sizeof(a->words[0])) != 0) ||
        a->nchildren != b->nchildren ||
        strcmp(a->name, b->name) != 0 ||
        g_strcmp0(a->label, b->label) != 0 ||
        a->has_extra != b->has_extra ||
        (a->has_extra && a->extra != b->extra) ||
        !a->owned != !b->owned ||
        (a->owned && !child_equal(a->owned, b->owned))) {
        return FALSE;
    }
    for (guint i = 0; i < a->nchildren; i++) {
        if (!child_equal(&a->children[i], &b->children[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

static void test_generated__shapes_roundtrip(void **state)
{
    for (int n = 0; n < ITERATIONS; n++) {
        for (int via = 0; via < N_VIA; via++) {
            Shapes in, out;

            fill_shapes(&in);
            memset(&out, 0, sizeof(out));
            roundtrip_Shapes(&in, &out, via);
            if (!shapes_equal(&in, &out)) {
                fail_msg("Shapes differ after a %s round trip",
                         via_name[via]);
            }
            qidl_release_Shapes(&in, NULL);
            qidl_release_Shapes(&out, NULL);
        }
    }
}

/* Loading over an object with heap state replaces and frees the old. */
static void test_generated__shapes_load_replaces(void **state)
{
    Shapes a, b;

    fill_shapes(&a);
    fill_shapes(&b);
    roundtrip_Shapes(&a, &b, VIA_TREE);
    assert_true(shapes_equal(&a, &b));
    qidl_release_Shapes(&a, NULL);
    qidl_release_Shapes(&b, NULL);
}

/* Asserts that loading @node as a Shapes into @obj fails with @code and
 * leaves @obj byte for byte as it was. */
static void load_shapes_fails(QidlNode *node, Shapes *obj, int code)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) in = qidl_tree_input_visitor_new(node, 0);
    Shapes before = *obj;

    assert_false(qidl_load_Shapes(in, "dev", obj, &error));
    assert_non_null(error);
    assert_true(g_error_matches(error, QIDL_ERROR, code));
    assert_memory_equal(&before, obj, sizeof(before));
}

static void test_generated__size_is_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    Shapes in, obj;
    QidlNode *node;

    fill_shapes(&in);
    fill_shapes(&obj);
    node = to_tree_Shapes(tree, &in);
    /* The capacity is 16: 17 is rejected before fifo is touched. */
    CHECK(qidl_node_set_uint(qidl_node_get_child(node, "fifo_len"),
                             SHAPES_FIFO_CAP + 1, &error));
    load_shapes_fails(node, &obj, QIDL_ERROR_CONSTRAINT);
    qidl_release_Shapes(&in, NULL);
    qidl_release_Shapes(&obj, NULL);
}

/* A heap count above QIDL_LIMIT_LIST_LEN is refused before allocating. */
static void test_generated__heap_count_limit_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    Shapes in, obj;
    QidlNode *node;

    fill_shapes(&in);
    fill_shapes(&obj);
    node = to_tree_Shapes(tree, &in);
    CHECK(qidl_node_set_uint(qidl_node_get_child(node, "nwords"),
                             QIDL_LIMIT_LIST_LEN + 1u, &error));
    load_shapes_fails(node, &obj, QIDL_ERROR_LIMIT);
    qidl_release_Shapes(&in, NULL);
    qidl_release_Shapes(&obj, NULL);
}

/* A failure after heap fields were loaded frees them and commits nothing
 * (a truncated legacy stream fails at the last field). */
static void test_generated__shapes_truncated_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) o = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(QidlVisitor) i = NULL;
    Shapes in, obj, before;

    fill_shapes(&in);
    in.nwords = 3;
    g_free(in.words);
    in.words = g_new0(uint32_t, 3);
    g_free(in.owned ? in.owned->tag : NULL);
    g_free(in.owned);
    in.owned = NULL;
    fill_shapes(&obj);
    before = obj;
    CHECK(qidl_visit_Shapes(o, "dev", &in, &error));
    CHECK(qidl_visitor_complete(o, &error));
    i = qidl_legacy_input_visitor_new(bytes->data, bytes->len - 1, 0, 0);
    assert_false(qidl_load_Shapes(i, "dev", &obj, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED));
    assert_memory_equal(&before, &obj, sizeof(obj));
    qidl_release_Shapes(&in, NULL);
    qidl_release_Shapes(&obj, NULL);
}

/* ---- constraints ------------------------------------------------------ */

static void fill_constrained(Constrained *c)
{
    memset(c, 0, sizeof(*c));
    c->irq = (uint8_t)rrange(0, 15);
    c->temp = (int16_t)((int)rrange(0, 165) - 40);
    c->ratio = g_rand_double_range(rnd, 0.0, 1.0);
    for (int i = 0; i < 8; i++) {
        c->regs[i] = (uint8_t)rrange(1, 200);
    }
    c->sel = rrange(0, 7);
    c->setup_len = rrange(0, 1000);
    c->setup_index = rrange(0, c->setup_len);
}

static void test_generated__constraints_roundtrip(void **state)
{
    for (int n = 0; n < ITERATIONS; n++) {
        for (int via = 0; via < N_VIA; via++) {
            Constrained in, out;

            fill_constrained(&in);
            memset(&out, 0, sizeof(out));
            roundtrip_Constrained(&in, &out, via);
            assert_memory_equal(&in, &out, sizeof(in));
        }
    }
}

/*
 * Sets field @name of a saved valid Constrained to @value and loads it:
 * @ok says whether the load must succeed; a failing load must leave the
 * object untouched.
 */
static void try_constrained(const char *name, gint64 value, gboolean ok)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    Constrained src, obj, before;
    QidlNode *node, *field;

    fill_constrained(&src);
    src.setup_len = 10;
    src.setup_index = 5;
    node = to_tree_Constrained(tree, &src);
    field = qidl_node_find(node, name);
    assert_non_null(field);
    if (qidl_node_get_kind(field) == QIDL_KIND_DOUBLE) {
        qidl_node_set_double(field, (double)value);
    } else if (qidl_kind_is_signed(qidl_node_get_kind(field))) {
        CHECK(qidl_node_set_int(field, value, &error));
    } else {
        CHECK(qidl_node_set_uint(field, (guint64)value, &error));
    }
    fill_constrained(&obj);
    before = obj;
    in = qidl_tree_input_visitor_new(node, 0);
    if (ok) {
        CHECK(qidl_load_Constrained(in, "dev", &obj, &error));
    } else {
        if (qidl_load_Constrained(in, "dev", &obj, &error)) {
            fail_msg("%s = %" G_GINT64_FORMAT " was accepted", name, value);
        }
        /* check() is a struct-level invariant: it names the struct. */
        g_autofree char *prefix = strcmp(name, "setup_index") == 0 ?
            g_strdup("dev: check failed: setup_index <= setup_len") :
            g_strdup_printf("dev.%s: ", name);

        assert_true(g_error_matches(error, QIDL_ERROR,
                                    QIDL_ERROR_CONSTRAINT));
        /* The message names the value itself, list elements included. */
        if (!g_str_has_prefix(error->message, prefix)) {
            fail_msg("\"%s\" does not start with \"%s\"", error->message,
                     prefix);
        }
        assert_memory_equal(&before, &obj, sizeof(obj));
    }
}

static void test_generated__range_fail(void **state)
{
    try_constrained("irq", 0, TRUE);
    try_constrained("irq", 15, TRUE);
    try_constrained("irq", 16, FALSE);
    try_constrained("irq", 255, FALSE);
    try_constrained("temp", -40, TRUE);
    try_constrained("temp", -41, FALSE);
    try_constrained("temp", 125, TRUE);
    try_constrained("temp", 126, FALSE);
    try_constrained("ratio", 1, TRUE);
    try_constrained("ratio", 2, FALSE);
    try_constrained("ratio", -1, FALSE);
    try_constrained("regs[3]", 1, TRUE);
    try_constrained("regs[3]", 0, FALSE);
    try_constrained("regs[7]", 200, TRUE);
    try_constrained("regs[7]", 201, FALSE);
}

static void test_generated__index_of_fail(void **state)
{
    try_constrained("sel", 7, TRUE);
    try_constrained("sel", 8, FALSE);
    try_constrained("sel", G_MAXUINT32, FALSE);
}

static void test_generated__check_fail(void **state)
{
    /* setup_len is 10 in the saved tree. */
    try_constrained("setup_index", 10, TRUE);
    try_constrained("setup_index", 11, FALSE);
}

static void test_generated__constraint_message(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    Constrained src, obj;
    QidlNode *node;

    fill_constrained(&src);
    node = to_tree_Constrained(tree, &src);
    CHECK(qidl_node_set_uint(qidl_node_get_child(node, "irq"), 16, &error));
    memset(&obj, 0, sizeof(obj));
    in = qidl_tree_input_visitor_new(node, 0);
    assert_false(qidl_load_Constrained(in, "dev", &obj, &error));
    assert_string_equal(error->message, "dev.irq: 16 is not in range 0..15");
}

static void test_generated__properties(void **state)
{
    const QidlProperty *p = qidl_Constrained_properties;

    assert_string_equal(p[0].name, "iobase");
    assert_string_equal(p[0].field, "iobase");
    assert_int_equal(p[0].kind, QIDL_KIND_UINT32);
    assert_int_equal(p[0].offset, offsetof(Constrained, iobase));
    assert_true(p[0].has_default);
    assert_int_equal(p[0].default_value.u, 0x3f8);
    assert_string_equal(p[1].name, "level");
    assert_false(p[1].has_default);
    assert_string_equal(p[2].name, "chardev");
    assert_int_equal(p[2].kind, QIDL_KIND_STRING);
    assert_string_equal(p[2].default_string, "serial0");
    assert_null(p[3].name);
}

/* ---- containers ------------------------------------------------------- */

static void fill_queue(Queue *q)
{
    guint n;

    memset(q, 0, sizeof(*q));
    n = rrange(0, 4);
    for (guint i = 0; i < n; i++) {
        Request *r = g_new0(Request, 1);

        r->sector = r64();
        r->len = g_rand_int(rnd);
        q->pending = g_slist_append(q->pending, r);
    }
    q->history = g_array_new(FALSE, TRUE, sizeof(uint32_t));
    n = rrange(0, 6);
    for (guint i = 0; i < n; i++) {
        uint32_t v = g_rand_int(rnd);

        g_array_append_val(q->history, v);
    }
    if (g_rand_boolean(rnd)) {
        q->done = g_array_new(FALSE, TRUE, sizeof(Request));
        n = rrange(0, 3);
        for (guint i = 0; i < n; i++) {
            Request r;

            /* Zeroed padding, so arrays compare with memcmp(). */
            memset(&r, 0, sizeof(r));
            r.sector = r64();
            r.len = g_rand_int(rnd);
            g_array_append_val(q->done, r);
        }
    }
}

static gboolean garray_equal(GArray *a, GArray *b, gsize elem)
{
    guint la = a ? a->len : 0;
    guint lb = b ? b->len : 0;

    return la == lb && (la == 0 || memcmp(a->data, b->data, la * elem) == 0);
}

static gboolean queue_equal(const Queue *a, const Queue *b)
{
    GSList *x = a->pending, *y = b->pending;

    for (; x && y; x = x->next, y = y->next) {
        const Request *r = x->data, *s = y->data;

        if (r->sector != s->sector || r->len != s->len) {
            return FALSE;
        }
    }
    return !x && !y &&
           garray_equal(a->history, b->history, sizeof(uint32_t)) &&
           garray_equal(a->done, b->done, sizeof(Request));
}

static void test_generated__containers_roundtrip(void **state)
{
    for (int n = 0; n < ITERATIONS; n++) {
        for (int via = 0; via < N_VIA; via++) {
            Queue in, out;

            fill_queue(&in);
            memset(&out, 0, sizeof(out));
            roundtrip_Queue(&in, &out, via);
            if (!queue_equal(&in, &out)) {
                fail_msg("Queue differs after a %s round trip",
                         via_name[via]);
            }
            qidl_release_Queue(&in, NULL);
            qidl_release_Queue(&out, NULL);
        }
    }
}

/* ---- the device ------------------------------------------------------- */

static void fill_uart(UARTState *u)
{
    memset(u, 0, sizeof(*u));
    u->divider = (uint16_t)r64();
    u->rbr = (uint8_t)r64();
    u->thr = g_rand_boolean(rnd) ? 0 : (uint8_t)r64();
    u->ier = (uint8_t)rrange(0, 0x0f);
    u->iir = (uint8_t)r64();
    u->lcr = (uint8_t)r64();
    u->mcr = (uint8_t)r64();
    u->lsr = (uint8_t)r64();
    u->msr = (uint8_t)r64();
    u->scr = (uint8_t)r64();
    u->fcr = (uint8_t)r64();
    u->recv_count = (uint8_t)rrange(0, UART_FIFO_LEN);
    for (int i = 0; i < u->recv_count; i++) {
        u->recv_fifo[i] = (uint8_t)r64();
    }
    u->recv_head = (uint8_t)rrange(0, UART_FIFO_LEN - 1);
    u->xmit_count = (uint8_t)rrange(0, UART_FIFO_LEN);
    for (int i = 0; i < u->xmit_count; i++) {
        u->xmit_fifo[i] = (uint8_t)r64();
    }
    u->thr_ipending = (uint8_t)rrange(0, 1);
}

static void test_generated__uart_roundtrip(void **state)
{
    for (int n = 0; n < ITERATIONS; n++) {
        for (int via = 0; via < N_VIA; via++) {
            UARTState in, out;

            fill_uart(&in);
            memset(&out, 0, sizeof(out));
            roundtrip_UARTState(&in, &out, via);
            assert_memory_equal(&in, &out, sizeof(in));
        }
    }
}

/* Derived and immutable fields are not saved and survive a load. */
static void test_generated__uart_skipped_kept(void **state)
{
    UARTState in, out;
    int marker;

    fill_uart(&in);
    memset(&out, 0, sizeof(out));
    out.chr = (CharBackend *)&marker;
    out.baudbase = 9600;
    out.irq_level = true;
    roundtrip_UARTState(&in, &out, VIA_JSON);
    assert_ptr_equal(out.chr, &marker);
    assert_int_equal(out.baudbase, 9600);
    assert_true(out.irq_level);
}

static void test_generated__uart_size_is_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    UARTState src, obj, before;
    QidlNode *node;

    fill_uart(&src);
    node = to_tree_UARTState(tree, &src);
    CHECK(qidl_node_set_uint(qidl_node_get_child(node, "xmit_count"),
                             UART_FIFO_LEN + 1, &error));
    fill_uart(&obj);
    before = obj;
    in = qidl_tree_input_visitor_new(node, 0);
    assert_false(qidl_load_UARTState(in, "uart", &obj, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT));
    assert_string_equal(error->message,
                        "uart.xmit_count: 17 exceeds the capacity of "
                        "xmit_fifo (16)");
    assert_memory_equal(&before, &obj, sizeof(obj));
}

/* ---- tables ----------------------------------------------------------- */

static const QidlVmsField *field(const QidlVmsStruct *s, const char *name)
{
    for (guint i = 0; i < s->n_fields; i++) {
        if (strcmp(s->fields[i].name, name) == 0) {
            return &s->fields[i];
        }
    }
    fail_msg("no field %s", name);
    return NULL;
}

static void test_generated__field_tables(void **state)
{
    const QidlVmsStruct *s = &qidl_Shapes_vms;
    const QidlVmsField *f;

    assert_string_equal(s->name, "Shapes");
    assert_int_equal(s->version, 3);
    assert_int_equal(s->min_version, 2);
    assert_int_equal(s->size, sizeof(Shapes));

    f = field(s, "fifo");
    assert_int_equal(f->kind, QIDL_KIND_LIST);
    assert_int_equal(f->elem_kind, QIDL_KIND_UINT8);
    assert_int_equal(f->offset, offsetof(Shapes, fifo));
    assert_int_equal(f->dims[0], SHAPES_FIFO_CAP);
    assert_string_equal(s->fields[f->size_is].name, "fifo_len");
    assert_true(f->flags & QIDL_VMS_SIZED);

    f = field(s, "matrix");
    assert_int_equal(f->n_dims, 2);
    assert_int_equal(f->dims[0], 2);
    assert_int_equal(f->dims[1], 3);
    assert_string_equal(f->ctype, "uint16_t[2][3]");

    f = field(s, "words");
    assert_true(f->flags & QIDL_VMS_POINTER);
    assert_string_equal(s->fields[f->size_is].name, "nwords");

    f = field(s, "regs");
    assert_ptr_equal(f->type, &qidl_reg_vms);
    f = field(s, "extra");
    assert_true(f->flags & QIDL_VMS_OPTIONAL);
    assert_string_equal(s->fields[f->presence].name, "has_extra");
    assert_int_equal(f->version, 3);
    assert_true(field(s, "timer")->flags & QIDL_VMS_DERIVED);
    assert_true(field(s, "pending")->flags & QIDL_VMS_BROKEN);
    assert_true(field(s, "bus")->flags & QIDL_VMS_ELSEWHERE);

    f = field(&qidl_Scalars_vms, "bias");
    assert_true(f->flags & QIDL_VMS_DEFAULT);
    assert_int_equal(f->default_value.i, -5);
    f = field(&qidl_Constrained_vms, "temp");
    assert_true(f->flags & QIDL_VMS_RANGE);
    assert_int_equal(f->range_min.i, -40);
    assert_int_equal(f->range_max.i, 125);
    f = field(&qidl_Constrained_vms, "sel");
    assert_string_equal(qidl_Constrained_vms.fields[f->index_of].name,
                        "regs");
    assert_non_null(qidl_Constrained_vms.check);
    assert_string_equal(qidl_Constrained_vms.checks[0],
                        "setup_index <= setup_len");
}

/* ---- runs of fields (runs.h) ----------------------------------------- */

/* Random values every bound and check accepts; padding zeroed. */
static void fill_runs(Runs *r)
{
    memset(r, 0, sizeof(*r));
    r->flag = rrange(0, 1);
    r->c = (char)rrange(0, 255);
    r->i8 = (int8_t)rrange(0, 255);
    r->u8 = (uint8_t)rrange(0, 255);
    r->i16 = (int16_t)rrange(0, 65535);
    r->u16 = (uint16_t)rrange(0, 65535);
    r->i32 = (int32_t)g_rand_int(rnd);
    r->u32 = rrange(2, 1000);
    r->i64 = (int64_t)r64();
    r->ll = (long long)r64();
    r->u64 = r64();
    r->f = (float)g_rand_double_range(rnd, -1e6, 1e6);
    r->d = g_rand_double_range(rnd, -1e300, 1e300);
    r->color = (Color)rrange(COLOR_RED, COLOR_BLUE);
    r->level = (uint8_t)rrange(0, 3);
    r->a = (uint8_t)rrange(0, 255);
    r->b = (uint8_t)rrange(0, 255);
    r->count = (uint8_t)rrange(0, 4);
    for (int i = 0; i < 4; i++) {
        r->regs[i] = i < r->count ? (uint8_t)rrange(0, 255) : 0;
    }
    r->cursor = (uint8_t)rrange(0, 3);
    r->x = (uint16_t)rrange(0, 65535);
    r->y = (uint16_t)rrange(0, 65535);
    r->dflt = (uint8_t)rrange(4, 6);
    r->z = (uint16_t)rrange(0, 65535);
    r->has_opt = rrange(0, 1);
    r->opt = r->has_opt ? g_rand_int(rnd) : 0;
    r->w1 = g_rand_int(rnd);
    r->w2 = g_rand_int(rnd);
    g_strlcpy(r->name, "runs", sizeof(r->name));
    r->pair.lo = (uint16_t)rrange(0, 65535);
    r->pair.hi = (uint16_t)rrange(0, 65535);
    r->p1 = g_rand_int(rnd);
    r->p2 = g_rand_int(rnd);
    r->v2a = g_rand_int(rnd);
    r->v2b = g_rand_int(rnd);
    r->v3a = g_rand_int(rnd);
    r->v3b = g_rand_int(rnd);
    r->v3c = rrange(8, 10);
    r->s1 = (uint16_t)rrange(0, 65535);
    r->s2 = (uint16_t)rrange(0, 65535);
    r->s3 = (uint8_t)rrange(0, 2);
    r->last = (uint8_t)rrange(0, 255);
}

/*
 * Each visitor is given the generated visit of Runs twice: directly,
 * which makes one qidl_visit_scalar_fields() call per run and reaches
 * the visitor's scalar_fields, and through a trace visitor, which has
 * none, so that the core turns each run into the fields' own calls on
 * the visitor underneath.  Both must write and read exactly alike.
 */
static QidlVisitor *maybe_traced(QidlVisitor *inner, gboolean traced,
                                 GString *log)
{
    return traced ? qidl_trace_visitor_new(inner, log) : NULL;
}

static GByteArray *runs_legacy(Runs *r, gboolean traced)
{
    GByteArray *bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) o = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(QidlVisitor) t = maybe_traced(o, traced, log);
    g_autoptr(GError) error = NULL;

    CHECK(qidl_visit_Runs(t ? t : o, "dev", r, &error));
    CHECK(qidl_visitor_complete(o, &error));
    return bytes;
}

/* Two devices, so that the writer and the reader meet each table again. */
static GByteArray *runs_stream(Runs *r, gboolean traced)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    g_autoptr(GError) error = NULL;

    for (int i = 0; i < 2; i++) {
        QidlVisitor *v = qidl_stream_writer_begin_device(
            w, "runs", i ? "/r1" : "/r0", 3);
        g_autoptr(GString) log = g_string_new(NULL);
        g_autoptr(QidlVisitor) t = maybe_traced(v, traced, log);

        CHECK(qidl_visit_Runs(t ? t : v, i ? "dev1" : "dev0", r, &error));
        CHECK(qidl_stream_writer_end_device(w, &error));
    }
    CHECK(qidl_stream_writer_finish(w, &error));
    return out;
}

/*
 * Fills @n objects with 0xee, to see which fields a load wrote, but for
 * the bools the visit reads before it loads (has_opt decides on output
 * only, yet is read either way; no bool may hold 0xee).
 */
static void poison_runs(Runs *r, int n)
{
    memset(r, 0xee, n * sizeof(*r));
    for (int i = 0; i < n; i++) {
        r[i].flag = false;
        r[i].has_opt = false;
    }
}

/*
 * Loads @len legacy bytes at source version @version into @r, first
 * poisoned; returns the error.
 */
static GError *runs_from_legacy(const guint8 *data, gsize len,
                                guint32 version, Runs *r, gboolean traced)
{
    g_autoptr(QidlVisitor) i = qidl_legacy_input_visitor_new(data, len, 0,
                                                             0);
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(QidlVisitor) t = maybe_traced(i, traced, log);
    GError *error = NULL;

    poison_runs(r, 1);
    qidl_visitor_set_version(i, version);
    if (t) {
        qidl_visitor_set_version(t, version);
    }
    if (qidl_visit_Runs(t ? t : i, "dev", r, &error)) {
        qidl_visitor_complete(i, &error);
    }
    return error;
}

/* Loads both devices of @s into @r[0], @r[1]; returns the error. */
static GError *runs_from_stream(const GByteArray *s, Runs *r,
                                gboolean traced)
{
    g_autoptr(QidlStreamReader) reader = NULL;
    GError *error = NULL;

    poison_runs(r, 2);
    reader = qidl_stream_reader_new(s->data, s->len, &error);
    if (!reader) {
        return error;
    }
    for (int k = 0; k < 2; k++) {
        const QidlStreamDevice *dev;
        g_autoptr(QidlVisitor) i = NULL;
        g_autoptr(GString) log = g_string_new(NULL);
        g_autoptr(QidlVisitor) t = NULL;

        if (!qidl_stream_reader_next(reader, &dev, &error)) {
            return error;
        }
        i = qidl_stream_reader_device_visitor(reader, 0);
        t = maybe_traced(i, traced, log);
        if (t) {
            qidl_visitor_set_version(t, qidl_visitor_get_version(i));
        }
        if (!qidl_visit_Runs(t ? t : i, k ? "dev1" : "dev0", &r[k],
                             &error) ||
            !qidl_visitor_complete(i, &error)) {
            return error;
        }
    }
    return NULL;
}

/* The same bytes, nodes and loaded objects either way, for every shape. */
static void test_generated__runs_same_as_fields(void **state)
{
    for (int n = 0; n < ITERATIONS; n++) {
        g_autoptr(GByteArray) leg_bulk = NULL;
        g_autoptr(GByteArray) leg_loop = NULL;
        g_autoptr(GByteArray) str_bulk = NULL;
        g_autoptr(GByteArray) str_loop = NULL;
        g_autoptr(QidlTree) tree = qidl_tree_new();
        g_autoptr(GError) error = NULL;
        QidlNode *nodes[2];
        Runs in, bulk[2], loop[2];

        fill_runs(&in);
        leg_bulk = runs_legacy(&in, FALSE);
        leg_loop = runs_legacy(&in, TRUE);
        assert_int_equal(leg_bulk->len, leg_loop->len);
        assert_memory_equal(leg_bulk->data, leg_loop->data, leg_bulk->len);
        str_bulk = runs_stream(&in, FALSE);
        str_loop = runs_stream(&in, TRUE);
        assert_int_equal(str_bulk->len, str_loop->len);
        assert_memory_equal(str_bulk->data, str_loop->data, str_bulk->len);
        for (int t = 0; t < 2; t++) {
            g_autoptr(QidlVisitor) o = qidl_tree_output_visitor_new(tree,
                                                                    NULL);
            g_autoptr(GString) log = g_string_new(NULL);
            g_autoptr(QidlVisitor) tr = maybe_traced(o, t, log);

            CHECK(qidl_visit_Runs(tr ? tr : o, t ? "loop" : "bulk", &in,
                                  &error));
            nodes[t] = qidl_tree_output_visitor_get_result(o);
        }
        assert_int_equal(qidl_node_get_n_children(nodes[0]),
                         qidl_node_get_n_children(nodes[1]));
        for (guint c = 0; c < qidl_node_get_n_children(nodes[0]); c++) {
            assert_true(qidl_node_equal(qidl_node_get_nth_child(nodes[0], c),
                                        qidl_node_get_nth_child(nodes[1],
                                                                c)));
        }

        /* Loads: legacy, the stream's direct reader, the tree. */
        for (int t = 0; t < 2; t++) {
            g_autoptr(GError) e = runs_from_legacy(
                leg_bulk->data, leg_bulk->len, QIDL_VERSION_CURRENT,
                t ? &loop[0] : &bulk[0], t);

            assert_null(e);
        }
        assert_memory_equal(&bulk[0], &loop[0], sizeof(Runs));
        assert_memory_equal(&bulk[0].flag, &in.flag,
                            offsetof(Runs, cache) - offsetof(Runs, flag));
        assert_true(bulk[0].d == in.d && bulk[0].last == in.last);
        for (int t = 0; t < 2; t++) {
            g_autoptr(GError) e = runs_from_stream(str_bulk, t ? loop : bulk,
                                                   t);

            assert_null(e);
        }
        assert_memory_equal(bulk, loop, sizeof(bulk));
        assert_true(bulk[1].u64 == in.u64);
        assert_true(!in.s3 || bulk[1].s2 == in.s2);
        for (int t = 0; t < 2; t++) {
            g_autoptr(QidlVisitor) i = qidl_tree_input_visitor_new(nodes[0],
                                                                   0);
            g_autoptr(GString) log = g_string_new(NULL);
            g_autoptr(QidlVisitor) tr = maybe_traced(i, t, log);
            Runs *r = t ? &loop[0] : &bulk[0];

            poison_runs(r, 1);
            CHECK(qidl_visit_Runs(tr ? tr : i, "bulk", r, &error));
            CHECK(qidl_visitor_complete(i, &error));
        }
        assert_memory_equal(&bulk[0], &loop[0], sizeof(Runs));
    }
}

/* Both loads failed alike, or both succeeded; the same fields loaded. */
static void assert_same_outcome(const GError *eb, const GError *el,
                                const void *bulk, const void *loop,
                                gsize size)
{
    assert_true((eb == NULL) == (el == NULL));
    if (eb) {
        assert_int_equal(eb->code, el->code);
        assert_string_equal(eb->message, el->message);
    }
    assert_memory_equal(bulk, loop, size);
}

/*
 * Legacy bytes cut at every offset, at every source version (a cut just
 * before the subsection loads without it); a stream whose second device
 * record is cut at every offset of its body, checksums re-sealed: the
 * same outcome and the same fields loaded either way.
 */
static void test_generated__runs_truncated_fail(void **state)
{
    static const guint32 versions[] = { 1, 2, 3 };
    g_autoptr(GByteArray) bytes = NULL;
    g_autoptr(GByteArray) stream = NULL;
    gsize rec, body, len;
    Runs in;

    fill_runs(&in);
    /* 147 bytes: the FIFO full, the optional field and the subsection. */
    in.count = 4;
    in.has_opt = TRUE;
    in.s3 = 1;
    bytes = runs_legacy(&in, FALSE);
    assert_int_equal(bytes->len, 147);
    for (gsize v = 0; v < G_N_ELEMENTS(versions); v++) {
        for (gsize cut = 0; cut < bytes->len; cut++) {
            Runs bulk, loop;
            g_autoptr(GError) eb = runs_from_legacy(bytes->data, cut,
                                                    versions[v], &bulk,
                                                    FALSE);
            g_autoptr(GError) el = runs_from_legacy(bytes->data, cut,
                                                    versions[v], &loop,
                                                    TRUE);

            assert_same_outcome(eb, el, &bulk, &loop, sizeof(bulk));
            if (versions[v] == 3 && cut == bytes->len - 1) {
                assert_non_null(eb);
                assert_string_equal(eb->message,
                                    "dev.runs/extra.s3: need 1 byte at byte "
                                    "offset 146, 0 left");
            }
        }
    }

    stream = runs_stream(&in, FALSE);
    rec = test_stream_header_len(stream);
    rec += 9 + test_get32(stream->data + rec + 1);
    body = rec + 5;
    len = test_get32(stream->data + rec + 1);
    for (gsize cut = 0; cut < len; cut++) {
        g_autoptr(GByteArray) s = g_byte_array_new();
        g_autoptr(GError) eb = NULL;
        g_autoptr(GError) el = NULL;
        Runs bulk[2], loop[2];

        g_byte_array_append(s, stream->data, stream->len);
        g_byte_array_remove_range(s, (guint)(body + cut),
                                  (guint)(len - cut));
        test_put32(s->data + rec + 1, (guint32)cut);
        test_stream_fix_checksums(s);
        eb = runs_from_stream(s, bulk, FALSE);
        el = runs_from_stream(s, loop, TRUE);
        assert_non_null(eb);
        assert_same_outcome(eb, el, bulk, loop, sizeof(bulk));
    }
}

/* Loads the tree of @s, first poisoned, into @r; returns the error. */
static GError *runs_from_tree(QidlNode *node, Runs *r, gboolean traced)
{
    g_autoptr(QidlVisitor) i = qidl_tree_input_visitor_new(node, 0);
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(QidlVisitor) t = maybe_traced(i, traced, log);
    GError *error = NULL;

    poison_runs(r, 1);
    if (qidl_visit_Runs(t ? t : i, "dev", r, &error)) {
        qidl_visitor_complete(i, &error);
    }
    return error;
}

/*
 * A value a check of a run's table refuses (level: range 0..3, cursor:
 * index_of regs, 4 elements), saved (saving checks nothing) and loaded
 * through every input visitor, with its table (bulk) and through a trace
 * visitor (the core's field-by-field path): QIDL_ERROR_CONSTRAINT with
 * the message generated code gives for a field on its own, the fields
 * before it loaded, it and those after it untouched.
 */
static void test_generated__runs_check_fail(void **state)
{
    static const struct {
        const char *field;
        guint64 value;
        const char *message;
    } cases[] = {
        { "level", 5, "level: 5 is not in range 0..3" },
        { "level", 255, "level: 255 is not in range 0..3" },
        { "cursor", 4, "cursor: 4 is not an index of regs (4 elements)" },
        { "cursor", 200, "cursor: 200 is not an index of regs (4 "
                         "elements)" },
    };

    for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
        gboolean is_level = strcmp(cases[k].field, "level") == 0;
        g_autoptr(GByteArray) bytes = NULL;
        g_autoptr(GByteArray) stream = NULL;
        g_autoptr(QidlTree) tree = qidl_tree_new();
        g_autoptr(QidlVisitor) o = qidl_tree_output_visitor_new(tree, NULL);
        g_autoptr(GError) error = NULL;
        QidlNode *node;
        Runs in;

        fill_runs(&in);
        if (is_level) {
            in.level = (uint8_t)cases[k].value;
        } else {
            in.cursor = (uint8_t)cases[k].value;
        }
        bytes = runs_legacy(&in, FALSE);
        stream = runs_stream(&in, FALSE);
        CHECK(qidl_visit_Runs(o, "dev", &in, &error));
        node = qidl_tree_output_visitor_get_result(o);

        for (int path = 0; path < 3; path++) {
            Runs bulk[2], loop[2];
            g_autoptr(GError) eb = NULL;
            g_autoptr(GError) el = NULL;
            g_autofree char *want = g_strdup_printf(
                "%s.%s", path == 1 ? "dev0" : "dev", cases[k].message);

            if (path == 0) {
                eb = runs_from_legacy(bytes->data, bytes->len,
                                      QIDL_VERSION_CURRENT, bulk, FALSE);
                el = runs_from_legacy(bytes->data, bytes->len,
                                      QIDL_VERSION_CURRENT, loop, TRUE);
            } else if (path == 1) {
                eb = runs_from_stream(stream, bulk, FALSE);
                el = runs_from_stream(stream, loop, TRUE);
            } else {
                eb = runs_from_tree(node, bulk, FALSE);
                el = runs_from_tree(node, loop, TRUE);
            }
            assert_non_null(eb);
            assert_int_equal(eb->domain, QIDL_ERROR);
            assert_int_equal(eb->code, QIDL_ERROR_CONSTRAINT);
            if (!g_str_has_suffix(eb->message, want)) {
                fail_msg("\"%s\" does not end with \"%s\"", eb->message,
                         want);
            }
            assert_same_outcome(eb, el, bulk, loop,
                                path == 1 ? sizeof(bulk) : sizeof(Runs));
            /* Before it: loaded; it and after it: as poisoned. */
            assert_int_equal(bulk[0].color, in.color);
            if (is_level) {
                assert_int_equal(bulk[0].level, 0xee);
                assert_int_equal(bulk[0].a, 0xee);
            } else {
                assert_int_equal(bulk[0].level, in.level);
                assert_memory_equal(bulk[0].regs, in.regs, in.count);
                assert_int_equal(bulk[0].cursor, 0xee);
                assert_int_equal(bulk[0].x, 0xeeee);
            }
        }
    }
}

int main(void)
{
    const char *seed_env = g_getenv("QIDL_TEST_SEED");
    guint32 seed = seed_env ? (guint32)g_ascii_strtoull(seed_env, NULL, 0) :
                   g_random_int();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated__scalars_roundtrip),
        cmocka_unit_test(test_generated__default_omitted),
        cmocka_unit_test(test_generated__shapes_roundtrip),
        cmocka_unit_test(test_generated__shapes_load_replaces),
        cmocka_unit_test(test_generated__size_is_fail),
        cmocka_unit_test(test_generated__heap_count_limit_fail),
        cmocka_unit_test(test_generated__shapes_truncated_fail),
        cmocka_unit_test(test_generated__constraints_roundtrip),
        cmocka_unit_test(test_generated__range_fail),
        cmocka_unit_test(test_generated__index_of_fail),
        cmocka_unit_test(test_generated__check_fail),
        cmocka_unit_test(test_generated__constraint_message),
        cmocka_unit_test(test_generated__properties),
        cmocka_unit_test(test_generated__containers_roundtrip),
        cmocka_unit_test(test_generated__uart_roundtrip),
        cmocka_unit_test(test_generated__uart_skipped_kept),
        cmocka_unit_test(test_generated__uart_size_is_fail),
        cmocka_unit_test(test_generated__field_tables),
        cmocka_unit_test(test_generated__runs_same_as_fields),
        cmocka_unit_test(test_generated__runs_truncated_fail),
        cmocka_unit_test(test_generated__runs_check_fail),
    };
    int rc;

    printf("# QIDL_TEST_SEED=%u\n", seed);
    rnd = g_rand_new_with_seed(seed);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    g_rand_free(rnd);
    return rc;
}
