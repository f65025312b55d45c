/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the visitor core (visitor.c): paths in error messages, the depth
 * and list limits, list bookkeeping, the string_buf fallback, kind names.
 * They drive a small probe visitor defined here whose callbacks record the
 * path the core reports and can be told to fail or to return values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/visitor-impl.h>

#include "fields.h"
#include "sample.h"

typedef struct {
    QidlVisitor parent;
    GPtrArray *paths;        /* the path at each scalar callback */
    int fail_at;             /* callback number that fails; -1 for none */
    int calls;
    const char *input_string;  /* what string() loads on input */
    guint32 counted;         /* what start_list() loads for counted lists */
} Probe;

static Probe *to_probe(QidlVisitor *v)
{
    return (Probe *)v;
}

static gboolean probe_step(QidlVisitor *v, GError **error)
{
    Probe *p = to_probe(v);

    if (p->calls++ == p->fail_at) {
        return qidl_visitor__error(v, error, QIDL_ERROR_INVALID, "probe");
    }
    return TRUE;
}

static gboolean probe_start_struct(QidlVisitor *v, const char *name,
                                   GError **error)
{
    return probe_step(v, error);
}

static gboolean probe_end(QidlVisitor *v, GError **error)
{
    return probe_step(v, error);
}

static gboolean probe_start_list(QidlVisitor *v, const char *name,
                                 QidlListKind kind, guint32 *count,
                                 gsize elem_size, GError **error)
{
    if (v->type == QIDL_VISITOR_INPUT && kind == QIDL_LIST_COUNTED) {
        *count = to_probe(v)->counted;
    }
    return probe_step(v, error);
}

static gboolean probe_scalar(QidlVisitor *v, const char *name, QidlKind kind,
                             void *obj, GError **error)
{
    g_ptr_array_add(to_probe(v)->paths, qidl_visitor_get_path(v));
    return probe_step(v, error);
}

static gboolean probe_string(QidlVisitor *v, const char *name, char **obj,
                             GError **error)
{
    Probe *p = to_probe(v);

    if (v->type == QIDL_VISITOR_OUTPUT) {
        g_ptr_array_add(p->paths, g_strdup(*obj));
    } else {
        *obj = g_strdup(p->input_string);
    }
    return probe_step(v, error);
}

static gboolean probe_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                            gsize len, GError **error)
{
    return probe_step(v, error);
}

static gboolean probe_optional(QidlVisitor *v, const char *name,
                               QidlPresence how, bool *present,
                               GError **error)
{
    return probe_step(v, error);
}

static void probe_free(QidlVisitor *v)
{
    g_ptr_array_unref(to_probe(v)->paths);
    g_free(v);
}

static QidlVisitor *probe_new(QidlVisitorType type, int fail_at)
{
    Probe *p = g_new0(Probe, 1);

    p->parent.start_struct = probe_start_struct;
    p->parent.end_struct = probe_end;
    p->parent.start_list = probe_start_list;
    p->parent.end_list = probe_end;
    p->parent.scalar = probe_scalar;
    p->parent.string = probe_string;
    p->parent.bytes = probe_bytes;
    p->parent.optional = probe_optional;
    p->parent.free = probe_free;
    qidl_visitor__init(&p->parent, type);
    p->paths = g_ptr_array_new_with_free_func(g_free);
    p->fail_at = fail_at;
    return &p->parent;
}

static void test_visitor__paths_of_every_scalar(void **state)
{
    g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_OUTPUT, -1);
    g_autoptr(GError) error = NULL;
    Sample s;
    GPtrArray *paths;

    sample_init(&s);
    assert_true(sample_visit(v, "s", &s, &error));
    assert_null(error);
    assert_true(qidl_visitor_complete(v, &error));
    sample_clear(&s);

    /* The probe records the path of each scalar and the value of each
     * string; spot-check one of every shape. */
    paths = to_probe(v)->paths;
    assert_string_equal(g_ptr_array_index(paths, 0), "s.flag");
    assert_string_equal(g_ptr_array_index(paths, 10), "s.d");
    assert_string_equal(g_ptr_array_index(paths, 11), "com1");
    assert_string_equal(g_ptr_array_index(paths, 12), "rtc");
    assert_string_equal(g_ptr_array_index(paths, 13), "s.inner.enabled");
    assert_string_equal(g_ptr_array_index(paths, 15), "s.cmos[0]");
    assert_string_equal(g_ptr_array_index(paths, 22), "s.cmos[7]");
    assert_string_equal(g_ptr_array_index(paths, 23), "s.regs[0].lo");
    assert_string_equal(g_ptr_array_index(paths, 26), "s.regs[1].hi");
    assert_string_equal(g_ptr_array_index(paths, 27), "s.matrix[0][0]");
    assert_string_equal(g_ptr_array_index(paths, 32), "s.matrix[1][2]");
    assert_string_equal(g_ptr_array_index(paths, 33), "s.fifo_len");
    assert_string_equal(g_ptr_array_index(paths, 35), "s.fifo[1]");
    assert_string_equal(g_ptr_array_index(paths, 36), "s.extra");
    assert_int_equal(paths->len, 37);
    assert_int_equal(qidl_visitor_get_depth(v), 0);
}

/* A failing callback's error names the value being visited. */
static void test_visitor__error_carries_path_fail(void **state)
{
    static const struct {
        int fail_at;
        const char *message;
    } cases[] = {
        { 0, "s: probe" },                   /* start_struct s */
        { 1, "s.flag: probe" },
        { 14, "s.blob: probe" },
        { 15, "s.inner: probe" },            /* start_struct inner */
        { 18, "s.inner: probe" },            /* end_struct inner */
        { 19, "s.cmos: probe" },             /* start_list cmos */
        { 23, "s.cmos[3]: probe" },
        { 34, "s.regs[1]: probe" },          /* start_struct regs[1] */
        { 36, "s.regs[1].hi: probe" },
        { 42, "s.matrix[0][1]: probe" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_OUTPUT,
                                             cases[i].fail_at);
        g_autoptr(GError) error = NULL;
        Sample s;

        sample_init(&s);
        assert_false(sample_visit(v, "s", &s, &error));
        sample_clear(&s);
        assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_INVALID));
        assert_string_equal(error->message, cases[i].message);
    }
}

static gboolean nest(QidlVisitor *v, guint levels, GError **error)
{
    guint8 leaf = 7;

    for (guint i = 0; i < levels; i++) {
        if (!qidl_visit_start_struct(v, i == 0 ? "top" : "n", error)) {
            return FALSE;
        }
    }
    if (!qidl_visit_uint8(v, "leaf", &leaf, error)) {
        return FALSE;
    }
    for (guint i = 0; i < levels; i++) {
        if (!qidl_visit_end_struct(v, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static void test_visitor__depth_at_limit(void **state)
{
    g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_OUTPUT, -1);
    g_autoptr(GError) error = NULL;

    assert_true(nest(v, QIDL_LIMIT_DEPTH, &error));
    assert_null(error);
    assert_int_equal(qidl_visitor_get_depth(v), 0);
}

static void test_visitor__depth_over_limit_fail(void **state)
{
    g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_OUTPUT, -1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) expected = g_string_new("top");

    assert_false(nest(v, QIDL_LIMIT_DEPTH + 1, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_LIMIT));
    for (guint i = 1; i <= QIDL_LIMIT_DEPTH; i++) {
        g_string_append(expected, ".n");
    }
    g_string_append(expected, ": nesting deeper than 64 levels");
    assert_string_equal(error->message, expected->str);
}

static void test_visitor__list_count_limit_fail(void **state)
{
    g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_OUTPUT, -1);
    g_autoptr(GError) error = NULL;
    guint32 n = QIDL_LIMIT_LIST_LEN + 1;

    assert_true(qidl_visit_start_struct(v, "s", &error));
    assert_false(qidl_visit_start_list(v, "big", QIDL_LIST_FIXED, &n, 1,
                                       &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_LIMIT));
    assert_string_equal(error->message,
                        "s.big: 16777217 elements exceed the limit of "
                        "16777216");
}

/* A counted list whose count comes from the input is bounded too. */
static void test_visitor__counted_list_from_input_fail(void **state)
{
    g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_INPUT, -1);
    g_autoptr(QidlVisitor) w = probe_new(QIDL_VISITOR_INPUT, -1);
    g_autoptr(GError) error = NULL;
    guint32 n = 0;

    to_probe(v)->counted = QIDL_LIMIT_LIST_LEN;
    assert_true(qidl_visit_start_struct(v, "s", &error));
    assert_true(qidl_visit_start_list(v, "ok", QIDL_LIST_COUNTED, &n, 1,
                                      &error));
    assert_int_equal(n, QIDL_LIMIT_LIST_LEN);

    to_probe(w)->counted = G_MAXUINT32;
    n = 0;
    assert_true(qidl_visit_start_struct(w, "s", &error));
    assert_false(qidl_visit_start_list(w, "bad", QIDL_LIST_COUNTED, &n, 1,
                                       &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_LIMIT));
    assert_string_equal(error->message,
                        "s.bad: 4294967295 elements exceed the limit of "
                        "16777216");
}

static void test_visitor__string_buf_fallback(void **state)
{
    g_autoptr(QidlVisitor) out = probe_new(QIDL_VISITOR_OUTPUT, -1);
    g_autoptr(QidlVisitor) in = probe_new(QIDL_VISITOR_INPUT, -1);
    g_autoptr(GError) error = NULL;
    char unterminated[4] = { 'a', 'b', 'c', 'd' };
    char buf[8];

    /* Output: an unterminated buffer is saved up to its capacity. */
    assert_true(qidl_visit_start_struct(out, "s", &error));
    assert_true(qidl_visit_string_buf(out, "name", unterminated,
                                      sizeof(unterminated), &error));
    assert_string_equal(g_ptr_array_index(to_probe(out)->paths, 0), "abcd");

    /* Input: the string is copied and the rest of the buffer zeroed. */
    memset(buf, 'x', sizeof(buf));
    to_probe(in)->input_string = "com1";
    assert_true(qidl_visit_start_struct(in, "s", &error));
    assert_true(qidl_visit_string_buf(in, "name", buf, sizeof(buf), &error));
    assert_memory_equal(buf, "com1\0\0\0\0", sizeof(buf));
}

static void test_visitor__string_buf_too_long_fail(void **state)
{
    g_autoptr(QidlVisitor) in = probe_new(QIDL_VISITOR_INPUT, -1);
    g_autoptr(GError) error = NULL;
    char buf[4] = "xyz";

    to_probe(in)->input_string = "abcd";
    assert_true(qidl_visit_start_struct(in, "s", &error));
    assert_false(qidl_visit_string_buf(in, "name", buf, sizeof(buf), &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_LIMIT));
    assert_string_equal(error->message,
                        "s.name: string of 4 bytes does not fit in char[4]");
    assert_string_equal(buf, "xyz");
}

static void test_visitor__null_string_is_empty(void **state)
{
    g_autoptr(QidlVisitor) out = probe_new(QIDL_VISITOR_OUTPUT, -1);
    g_autoptr(GError) error = NULL;
    char *s = NULL;

    assert_true(qidl_visit_start_struct(out, "s", &error));
    assert_true(qidl_visit_string(out, "label", &s, &error));
    assert_string_equal(g_ptr_array_index(to_probe(out)->paths, 0), "");
}

static void test_visitor__optional_error_names_field_fail(void **state)
{
    g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_OUTPUT, 1);
    g_autoptr(GError) error = NULL;
    bool present = true;

    assert_true(qidl_visit_start_struct(v, "s", &error));
    assert_false(qidl_visit_optional(v, "extra", QIDL_PRESENCE_FLAG,
                                     &present, &error));
    assert_string_equal(error->message, "s.extra: probe");
}

static void test_visitor__kind_names(void **state)
{
    static const char *const names[] = {
        "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32",
        "int64", "uint64", "float", "double", "string", "bytes", "struct",
        "list",
    };

    for (QidlKind k = QIDL_KIND_FIRST; k <= QIDL_KIND_LAST; k++) {
        assert_string_equal(qidl_kind_name(k), names[k - QIDL_KIND_FIRST]);
        assert_int_equal(qidl_kind_from_name(names[k - QIDL_KIND_FIRST]), k);
    }
    assert_null(qidl_kind_name(0));
    assert_null(qidl_kind_name(QIDL_KIND_LAST + 1));
    assert_int_equal(qidl_kind_from_name("uint128"), 0);
    assert_int_equal(qidl_kind_size(QIDL_KIND_UINT16), 2);
    assert_int_equal(qidl_kind_size(QIDL_KIND_DOUBLE), 8);
    assert_int_equal(qidl_kind_size(QIDL_KIND_STRUCT), 0);
    assert_true(qidl_kind_is_scalar(QIDL_KIND_BOOL));
    assert_false(qidl_kind_is_scalar(QIDL_KIND_STRING));
    assert_true(qidl_kind_is_integer(QIDL_KIND_UINT64));
    assert_false(qidl_kind_is_integer(QIDL_KIND_FLOAT));
    assert_true(qidl_kind_is_signed(QIDL_KIND_INT8));
    assert_false(qidl_kind_is_signed(QIDL_KIND_UINT8));
}

static void test_visitor__error_code_names(void **state)
{
    assert_string_equal(qidl_error_code_name(QIDL_ERROR_INVALID), "invalid");
    assert_string_equal(qidl_error_code_name(QIDL_ERROR_TYPE_MISMATCH),
                        "type-mismatch");
    assert_string_equal(qidl_error_code_name(QIDL_ERROR_IO), "io");
    assert_string_equal(qidl_error_code_name(-1), "unknown");
    assert_string_equal(qidl_error_code_name(QIDL_ERROR_IO + 1), "unknown");
}

/* ---- qidl_visit_scalar_array() ---- */

/*
 * A probe whose scalar_array callback records its arguments and the path
 * the core reports, and fails at element @fail_elem if it is >= 0.
 */
typedef struct {
    Probe probe;
    int calls;
    char *path;
    const char *name;
    QidlKind kind;
    QidlListKind list_kind;
    guint32 count;
    void *array;
    gint64 fail_elem;
} BulkProbe;

static gboolean bulk_scalar_array(QidlVisitor *v, const char *name,
                                  QidlKind kind, QidlListKind list_kind,
                                  guint32 count, void *array, GError **error)
{
    BulkProbe *b = (BulkProbe *)v;

    b->calls++;
    g_free(b->path);
    b->path = qidl_visitor_get_path(v);
    b->name = name;
    b->kind = kind;
    b->list_kind = list_kind;
    b->count = count;
    b->array = array;
    if (b->fail_elem >= 0) {
        return qidl_visitor__element_error(v, (guint32)b->fail_elem, error,
                                           QIDL_ERROR_INVALID, "bulk %d",
                                           42);
    }
    return TRUE;
}

static void bulk_free(QidlVisitor *v)
{
    BulkProbe *b = (BulkProbe *)v;

    g_free(b->path);
    g_ptr_array_unref(b->probe.paths);
    g_free(b);
}

static QidlVisitor *bulk_probe_new(gint64 fail_elem)
{
    BulkProbe *b = g_new0(BulkProbe, 1);
    QidlVisitor *v = &b->probe.parent;

    v->start_struct = probe_start_struct;
    v->end_struct = probe_end;
    v->start_list = probe_start_list;
    v->end_list = probe_end;
    v->scalar = probe_scalar;
    v->scalar_array = bulk_scalar_array;
    v->string = probe_string;
    v->bytes = probe_bytes;
    v->optional = probe_optional;
    v->free = bulk_free;
    qidl_visitor__init(v, QIDL_VISITOR_OUTPUT);
    b->probe.paths = g_ptr_array_new_with_free_func(g_free);
    b->probe.fail_at = -1;
    b->fail_elem = fail_elem;
    return v;
}

/* Without the callback, the core makes the element-by-element calls. */
static void test_visitor__scalar_array_fallback(void **state)
{
    g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_OUTPUT, -1);
    g_autoptr(GError) error = NULL;
    guint16 regs[3] = { 1, 2, 3 };
    guint8 after = 0;
    GPtrArray *paths = to_probe(v)->paths;

    assert_true(qidl_visit_start_struct(v, "s", &error));
    assert_true(qidl_visit_scalar_array(v, "regs", QIDL_KIND_UINT16,
                                        QIDL_LIST_FIXED, 3, regs, &error));
    assert_true(qidl_visit_uint8(v, "after", &after, &error));
    assert_true(qidl_visit_end_struct(v, &error));
    assert_null(error);
    assert_int_equal(paths->len, 4);
    assert_string_equal(g_ptr_array_index(paths, 0), "s.regs[0]");
    assert_string_equal(g_ptr_array_index(paths, 2), "s.regs[2]");
    assert_string_equal(g_ptr_array_index(paths, 3), "s.after");
    /* start_struct, start_list, 3 scalars, end_list, 1 scalar, end. */
    assert_int_equal(to_probe(v)->calls, 8);
    assert_int_equal(qidl_visitor_get_depth(v), 0);
}

/* An element's failure names the element, as the loop would. */
static void test_visitor__scalar_array_fallback_path_fail(void **state)
{
    static const struct {
        int fail_at;
        const char *message;
    } cases[] = {
        { 1, "s.regs: probe" },            /* start_list */
        { 4, "s.regs[2]: probe" },         /* scalar of element 2 */
        { 5, "s.regs: probe" },            /* end_list */
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_OUTPUT,
                                             cases[i].fail_at);
        g_autoptr(GError) error = NULL;
        guint16 regs[3] = { 0 };

        assert_true(qidl_visit_start_struct(v, "s", &error));
        assert_false(qidl_visit_scalar_array(v, "regs", QIDL_KIND_UINT16,
                                             QIDL_LIST_FIXED, 3, regs,
                                             &error));
        assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_INVALID));
        assert_string_equal(error->message, cases[i].message);
    }
}

/* With the callback, one call with the list's segment pushed; popped after. */
static void test_visitor__scalar_array_callback(void **state)
{
    g_autoptr(QidlVisitor) v = bulk_probe_new(-1);
    BulkProbe *b = (BulkProbe *)v;
    g_autoptr(GError) error = NULL;
    double d[2] = { 0.5, -1.0 };
    guint8 after = 0;
    const QidlPathSegment *seg;

    assert_true(qidl_visit_start_struct(v, "s", &error));
    assert_true(qidl_visit_scalar_array(v, "d", QIDL_KIND_DOUBLE,
                                        QIDL_LIST_SIZED, 2, d, &error));
    assert_int_equal(b->calls, 1);
    assert_string_equal(b->path, "s.d");
    assert_string_equal(b->name, "d");
    assert_int_equal(b->kind, QIDL_KIND_DOUBLE);
    assert_int_equal(b->list_kind, QIDL_LIST_SIZED);
    assert_int_equal(b->count, 2);
    assert_ptr_equal(b->array, d);
    assert_int_equal(qidl_visitor_get_depth(v), 1);
    seg = qidl_visitor__segment(v, 0);
    assert_int_equal(seg->kind, QIDL_KIND_STRUCT);

    /* The next value's path: the list's segment is gone. */
    assert_true(qidl_visit_uint8(v, "after", &after, &error));
    assert_string_equal(g_ptr_array_index(b->probe.paths, 0), "s.after");
    assert_true(qidl_visit_end_struct(v, &error));
    assert_int_equal(qidl_visitor_get_depth(v), 0);

    /* An empty array, and one that is the row of another list. */
    assert_true(qidl_visit_start_struct(v, "t", &error));
    assert_true(qidl_visit_scalar_array(v, "none", QIDL_KIND_UINT8,
                                        QIDL_LIST_FIXED, 0, NULL, &error));
    assert_int_equal(b->count, 0);
    {
        guint32 n = 2;
        guint16 m[2][3] = { { 0 } };

        assert_true(qidl_visit_start_list(v, "m", QIDL_LIST_FIXED, &n,
                                          sizeof(m[0]), &error));
        for (guint32 i = 0; i < n; i++) {
            assert_true(qidl_visit_next_list(v, &error));
            assert_true(qidl_visit_scalar_array(v, NULL, QIDL_KIND_UINT16,
                                                QIDL_LIST_FIXED, 3, m[i],
                                                &error));
        }
        assert_string_equal(b->path, "t.m[1]");
        assert_true(qidl_visit_end_list(v, &error));
    }
    assert_true(qidl_visit_end_struct(v, &error));
    assert_null(error);
}

/* qidl_visitor__element_error() names the element. */
static void test_visitor__scalar_array_element_error_fail(void **state)
{
    g_autoptr(QidlVisitor) v = bulk_probe_new(7);
    g_autoptr(GError) error = NULL;
    guint32 regs[8] = { 0 };

    assert_true(qidl_visit_start_struct(v, "dev", &error));
    assert_false(qidl_visit_scalar_array(v, "regs", QIDL_KIND_UINT32,
                                         QIDL_LIST_FIXED, 8, regs, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_INVALID));
    assert_string_equal(error->message, "dev.regs[7]: bulk 42");
}

static void test_visitor__scalar_array_element_path(void **state)
{
    g_autoptr(QidlVisitor) v = bulk_probe_new(-1);
    g_autofree char *path = NULL;

    assert_true(qidl_visit_start_struct(v, "dev", NULL));
    path = qidl_visitor__element_path(v, 3);
    assert_string_equal(path, "dev[3]");
}

/* The list limit, N and N + 1, with and without the callback. */
static void test_visitor__scalar_array_limit_fail(void **state)
{
    for (int with_callback = 0; with_callback < 2; with_callback++) {
        g_autoptr(QidlVisitor) v = with_callback ? bulk_probe_new(-1) :
                                   probe_new(QIDL_VISITOR_OUTPUT, -1);
        g_autoptr(GError) error = NULL;
        guint8 *big = g_malloc0(QIDL_LIMIT_LIST_LEN + 1);

        assert_true(qidl_visit_start_struct(v, "s", &error));
        assert_true(qidl_visit_scalar_array(v, "ok", QIDL_KIND_UINT8,
                                            QIDL_LIST_FIXED,
                                            QIDL_LIMIT_LIST_LEN, big,
                                            &error));
        assert_false(qidl_visit_scalar_array(v, "big", QIDL_KIND_UINT8,
                                             QIDL_LIST_FIXED,
                                             QIDL_LIMIT_LIST_LEN + 1, big,
                                             &error));
        assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_LIMIT));
        assert_string_equal(error->message,
                            "s.big: 16777217 elements exceed the limit of "
                            "16777216");
        if (with_callback) {
            assert_int_equal(((BulkProbe *)v)->calls, 1);
        }
        g_free(big);
    }
}

/* ---- qidl_visit_scalar_fields() ---- */

/*
 * A probe whose scalar_fields callback records its arguments and the path
 * the core reports, and fails at field @fail_field if it is >= 0, naming
 * it with qidl_visitor__push_field().
 */
typedef struct {
    Probe probe;
    int calls;
    char *path;
    const QidlScalarField *fields;
    guint n_fields;
    void *base;
    gint fail_field;
} FieldsProbe;

static gboolean fields_probe_scalar_fields(QidlVisitor *v,
                                           const QidlScalarField *fields,
                                           const QidlFieldCheck *checks,
                                           guint n_fields, void *base,
                                           GError **error)
{
    FieldsProbe *b = (FieldsProbe *)v;

    b->calls++;
    g_free(b->path);
    b->path = qidl_visitor_get_path(v);
    b->fields = fields;
    b->n_fields = n_fields;
    b->base = base;
    if (b->fail_field >= 0) {
        qidl_visitor__push_field(v, &fields[b->fail_field]);
        return qidl_visitor__error(v, error, QIDL_ERROR_INVALID, "bulk %d",
                                   42);
    }
    return TRUE;
}

static void fields_probe_free(QidlVisitor *v)
{
    FieldsProbe *b = (FieldsProbe *)v;

    g_free(b->path);
    g_ptr_array_unref(b->probe.paths);
    g_free(b);
}

static QidlVisitor *fields_probe_new(gint fail_field)
{
    FieldsProbe *b = g_new0(FieldsProbe, 1);
    QidlVisitor *v = &b->probe.parent;

    v->start_struct = probe_start_struct;
    v->end_struct = probe_end;
    v->start_list = probe_start_list;
    v->end_list = probe_end;
    v->scalar = probe_scalar;
    v->scalar_fields = fields_probe_scalar_fields;
    v->string = probe_string;
    v->bytes = probe_bytes;
    v->optional = probe_optional;
    v->free = fields_probe_free;
    qidl_visitor__init(v, QIDL_VISITOR_OUTPUT);
    b->probe.paths = g_ptr_array_new_with_free_func(g_free);
    b->probe.fail_at = -1;
    b->fail_field = fail_field;
    return v;
}

/* Without the callback, the core makes one scalar call per field. */
static void test_visitor__scalar_fields_fallback(void **state)
{
    static const char *const want[] = {
        "s.head", "s.flag", "s.i8", "s.u8", "s.i16", "s.u16", "s.i32",
        "s.u32", "s.i64", "s.u64", "s.f", "s.d", "s.tail",
    };
    g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_OUTPUT, -1);
    g_autoptr(GError) error = NULL;
    GPtrArray *paths = to_probe(v)->paths;
    FieldsDev d;

    fields_dev_init(&d);
    assert_true(fields_dev_visit(v, "s", &d, fields_run, FIELDS_RUN_LEN,
                                 TRUE, &error));
    assert_null(error);
    assert_int_equal(paths->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < paths->len; i++) {
        assert_string_equal(g_ptr_array_index(paths, i), want[i]);
    }
    /* start_struct, 13 scalars, end_struct. */
    assert_int_equal(to_probe(v)->calls, 15);
    assert_int_equal(qidl_visitor_get_depth(v), 0);
}

/* A field's failure names the field, as its own call would. */
static void test_visitor__scalar_fields_fallback_path_fail(void **state)
{
    /* Callback 0 is start_struct, 1 head, 2 flag, ... */
    for (int fail_at = 2; fail_at < 2 + FIELDS_RUN_LEN; fail_at++) {
        g_autofree char *want = g_strdup_printf(
            "s.%s: probe", fields_run[fail_at - 2].name);

        for (int bulk = 0; bulk < 2; bulk++) {
            g_autoptr(QidlVisitor) v = probe_new(QIDL_VISITOR_OUTPUT,
                                                 fail_at);
            g_autoptr(GError) error = NULL;
            FieldsDev d;

            fields_dev_init(&d);
            assert_false(fields_dev_visit(v, "s", &d, fields_run,
                                          FIELDS_RUN_LEN, bulk, &error));
            assert_true(g_error_matches(error, QIDL_ERROR,
                                        QIDL_ERROR_INVALID));
            assert_string_equal(error->message, want);
            assert_int_equal(to_probe(v)->calls, fail_at + 1);
        }
    }
}

/* With the callback: one call, no segment pushed for the fields. */
static void test_visitor__scalar_fields_callback(void **state)
{
    g_autoptr(QidlVisitor) v = fields_probe_new(-1);
    FieldsProbe *b = (FieldsProbe *)v;
    g_autoptr(GError) error = NULL;
    GPtrArray *paths = b->probe.paths;
    FieldsDev d;

    fields_dev_init(&d);
    assert_true(fields_dev_visit(v, "s", &d, fields_run, FIELDS_RUN_LEN,
                                 TRUE, &error));
    assert_null(error);
    assert_int_equal(b->calls, 1);
    assert_string_equal(b->path, "s");
    assert_ptr_equal(b->fields, fields_run);
    assert_int_equal(b->n_fields, FIELDS_RUN_LEN);
    assert_ptr_equal(b->base, &d);
    /* head and tail went through scalar(), with their paths. */
    assert_int_equal(paths->len, 2);
    assert_string_equal(g_ptr_array_index(paths, 0), "s.head");
    assert_string_equal(g_ptr_array_index(paths, 1), "s.tail");
    assert_int_equal(qidl_visitor_get_depth(v), 0);
}

/* No fields: nothing is visited and the callback is not called. */
static void test_visitor__scalar_fields_empty(void **state)
{
    g_autoptr(QidlVisitor) v = fields_probe_new(0);
    FieldsProbe *b = (FieldsProbe *)v;
    g_autoptr(GError) error = NULL;

    assert_true(qidl_visit_start_struct(v, "s", &error));
    assert_true(qidl_visit_scalar_fields(v, fields_run, 0, NULL, &error));
    assert_true(qidl_visit_end_struct(v, &error));
    assert_null(error);
    assert_int_equal(b->calls, 0);
    assert_int_equal(b->probe.paths->len, 0);
}

/* Outside a struct (at the top) the core makes the per-field calls. */
static void test_visitor__scalar_fields_top_level(void **state)
{
    g_autoptr(QidlVisitor) v = fields_probe_new(-1);
    FieldsProbe *b = (FieldsProbe *)v;
    g_autoptr(GError) error = NULL;
    GPtrArray *paths = b->probe.paths;
    FieldsDev d;

    fields_dev_init(&d);
    assert_true(qidl_visit_scalar_fields(v, fields_run, 2, &d, &error));
    assert_null(error);
    assert_int_equal(b->calls, 0);
    assert_int_equal(paths->len, 2);
    assert_string_equal(g_ptr_array_index(paths, 0), "flag");
    assert_string_equal(g_ptr_array_index(paths, 1), "i8");
    assert_int_equal(qidl_visitor_get_depth(v), 0);
}

/* qidl_visitor__push_field() names the field in the callback's error. */
static void test_visitor__scalar_fields_push_field_fail(void **state)
{
    for (gint i = 0; i < FIELDS_RUN_LEN; i++) {
        g_autoptr(QidlVisitor) v = fields_probe_new(i);
        g_autoptr(GError) error = NULL;
        g_autofree char *field = g_strdup_printf("dev.%s",
                                                 fields_run[i].name);
        g_autofree char *want = g_strdup_printf("%s: bulk 42", field);
        g_autofree char *path = NULL;
        FieldsDev d;

        fields_dev_init(&d);
        assert_false(fields_dev_visit(v, "dev", &d, fields_run,
                                      FIELDS_RUN_LEN, TRUE, &error));
        assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_INVALID));
        assert_string_equal(error->message, want);
        /* Where a failed scalar call leaves the path. */
        path = qidl_visitor_get_path(v);
        assert_string_equal(path, field);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_visitor__paths_of_every_scalar),
        cmocka_unit_test(test_visitor__error_carries_path_fail),
        cmocka_unit_test(test_visitor__depth_at_limit),
        cmocka_unit_test(test_visitor__depth_over_limit_fail),
        cmocka_unit_test(test_visitor__list_count_limit_fail),
        cmocka_unit_test(test_visitor__counted_list_from_input_fail),
        cmocka_unit_test(test_visitor__string_buf_fallback),
        cmocka_unit_test(test_visitor__string_buf_too_long_fail),
        cmocka_unit_test(test_visitor__null_string_is_empty),
        cmocka_unit_test(test_visitor__optional_error_names_field_fail),
        cmocka_unit_test(test_visitor__kind_names),
        cmocka_unit_test(test_visitor__error_code_names),
        cmocka_unit_test(test_visitor__scalar_array_fallback),
        cmocka_unit_test(test_visitor__scalar_array_fallback_path_fail),
        cmocka_unit_test(test_visitor__scalar_array_callback),
        cmocka_unit_test(test_visitor__scalar_array_element_error_fail),
        cmocka_unit_test(test_visitor__scalar_array_element_path),
        cmocka_unit_test(test_visitor__scalar_array_limit_fail),
        cmocka_unit_test(test_visitor__scalar_fields_fallback),
        cmocka_unit_test(test_visitor__scalar_fields_fallback_path_fail),
        cmocka_unit_test(test_visitor__scalar_fields_callback),
        cmocka_unit_test(test_visitor__scalar_fields_empty),
        cmocka_unit_test(test_visitor__scalar_fields_top_level),
        cmocka_unit_test(test_visitor__scalar_fields_push_field_fail),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
