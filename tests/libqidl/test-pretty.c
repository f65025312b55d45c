/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the pretty-print visitor and the trace visitor (pretty.c,
 * trace.c): the exact text for the sample fixture, every scalar kind at its
 * limits, strings, bytes, empty containers and absent optionals, and the
 * trace of an output visit and of a legacy load that fails.
 *
 * Expected output is written out literally, line by line, so a change of
 * format shows up here as a readable diff.
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <qidl/legacy.h>
#include <qidl/pretty.h>

#include "fields.h"
#include "sample.h"

/*
 * Asserts that @text is exactly the @n lines of @expected, each ended by a
 * newline, naming the first line that differs.
 */
static void assert_lines(const char *text, const char *const *expected,
                         gsize n)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    gsize got = g_strv_length(lines);

    /* Every line ends with '\n', so the split ends with one "". */
    assert_true(got >= 1);
    assert_string_equal(lines[got - 1], "");
    got--;
    for (gsize i = 0; i < n && i < got; i++) {
        if (strcmp(lines[i], expected[i]) != 0) {
            fail_msg("line %zu:\n  expected: %s\n  got:      %s", i + 1,
                     expected[i], lines[i]);
        }
    }
    if (got != n) {
        fail_msg("%zu lines, expected %zu; first extra or missing: %s", got,
                 n, got > n ? lines[n] : expected[got]);
    }
}

/* Pretty-prints @s as "sample". */
static char *pretty_sample(Sample *s)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
    g_autoptr(GError) error = NULL;

    assert_true(sample_visit(v, "sample", s, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    return g_strdup(out->str);
}

static const char *const sample_pretty[] = {
    "sample.flag = (bool) true",
    "sample.i8 = (int8) -0x2",
    "sample.u8 = (uint8) 0x10",
    "sample.i16 = (int16) -0x12c",
    "sample.u16 = (uint16) 0xbeef",
    "sample.i32 = (int32) -0x11170",
    "sample.u32 = (uint32) 0xdeadbeef",
    "sample.i64 = (int64) -0x7fffffffffffffff",
    "sample.u64 = (uint64) 0xfffffffffffffffe",
    "sample.f = (float) 1.5",
    "sample.d = (double) -0.10000000000000001",
    "sample.label = (string) \"com1\"",
    "sample.name = (string) \"rtc\"",
    "sample.blob = (bytes[4]) 00ff107f",
    "sample.inner.enabled = (bool) true",
    "sample.inner.mode = (uint8) 0x3",
    "sample.cmos(8)(1).[0] = (uint8) 0x26",
    "sample.cmos(8)(1).[1] = (uint8) 0x2",
    "sample.cmos(8)(1).[2] = (uint8) 0x0",
    "sample.cmos(8)(1).[3] = (uint8) 0x80",
    "sample.cmos(8)(1).[4] = (uint8) 0x1",
    "sample.cmos(8)(1).[5] = (uint8) 0x2",
    "sample.cmos(8)(1).[6] = (uint8) 0x3",
    "sample.cmos(8)(1).[7] = (uint8) 0x4",
    "sample.regs(2)(8).[0].lo = (uint16) 0x1234",
    "sample.regs(2)(8).[0].hi = (int32) -0x1",
    "sample.regs(2)(8).[1].lo = (uint16) 0xffff",
    "sample.regs(2)(8).[1].hi = (int32) 0x7",
    "sample.matrix(2)(6).[0](3)(2).[0] = (uint16) 0x1",
    "sample.matrix(2)(6).[0](3)(2).[1] = (uint16) 0x2",
    "sample.matrix(2)(6).[0](3)(2).[2] = (uint16) 0x3",
    "sample.matrix(2)(6).[1](3)(2).[0] = (uint16) 0x100",
    "sample.matrix(2)(6).[1](3)(2).[1] = (uint16) 0x200",
    "sample.matrix(2)(6).[1](3)(2).[2] = (uint16) 0x300",
    "sample.fifo_len = (uint8) 0x2",
    "sample.fifo(2)(1).[0] = (uint8) 0x41",
    "sample.fifo(2)(1).[1] = (uint8) 0x42",
    "sample.extra = (uint32) 0x2a",
};

static void test_pretty__sample(void **state)
{
    g_autofree char *text = NULL;
    Sample s;

    sample_init(&s);
    text = pretty_sample(&s);
    sample_clear(&s);
    assert_lines(text, sample_pretty, G_N_ELEMENTS(sample_pretty));
}

/* An absent optional prints nothing; a default field that differs from
 * its default is present and prints. */
static void test_pretty__absent_optional_prints_nothing(void **state)
{
    static const char *const tail[] = {
        "sample.fifo_len = (uint8) 0x1",
        "sample.fifo(1)(1).[0] = (uint8) 0x41",
        "sample.thr = (uint8) 0x7",
    };
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    gsize n;
    Sample s;

    sample_init(&s);
    s.has_extra = false;
    s.thr = 7;
    s.fifo_len = 1;
    text = pretty_sample(&s);
    sample_clear(&s);

    assert_null(strstr(text, "extra"));
    lines = g_strsplit(text, "\n", -1);
    n = g_strv_length(lines);
    /* 34 lines before fifo_len, as in the full sample, then the tail. */
    assert_int_equal(n, 34 + G_N_ELEMENTS(tail) + 1);
    for (gsize i = 0; i < G_N_ELEMENTS(tail); i++) {
        assert_string_equal(lines[34 + i], tail[i]);
    }
}

typedef struct {
    bool b[2];
    gint8 i8[2];
    guint8 u8[2];
    gint16 i16[2];
    guint16 u16[2];
    gint32 i32[2];
    guint32 u32[2];
    gint64 i64[2];
    guint64 u64[2];
} Limits;

/* Visits each field of @l as two scalars named <field>_min, <field>_max. */
static gboolean visit_limits(QidlVisitor *v, Limits *l, GError **error)
{
    static const struct {
        const char *min;
        const char *max;
        QidlKind kind;
        gsize offset;
        gsize size;
    } fields[] = {
#define FIELD(f, k)                                                         \
    { #f "_min", #f "_max", k, offsetof(Limits, f),                         \
      sizeof(((Limits *)0)->f[0]) }
        FIELD(b, QIDL_KIND_BOOL),
        FIELD(i8, QIDL_KIND_INT8),
        FIELD(u8, QIDL_KIND_UINT8),
        FIELD(i16, QIDL_KIND_INT16),
        FIELD(u16, QIDL_KIND_UINT16),
        FIELD(i32, QIDL_KIND_INT32),
        FIELD(u32, QIDL_KIND_UINT32),
        FIELD(i64, QIDL_KIND_INT64),
        FIELD(u64, QIDL_KIND_UINT64),
#undef FIELD
    };

    if (!qidl_visit_start_struct(v, "v", error)) {
        return FALSE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        guint8 *base = (guint8 *)l + fields[i].offset;

        if (!qidl_visit_scalar(v, fields[i].min, fields[i].kind, base,
                               error) ||
            !qidl_visit_scalar(v, fields[i].max, fields[i].kind,
                               base + fields[i].size, error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_struct(v, error);
}

static void test_pretty__integers_at_limits(void **state)
{
    static const char *const expected[] = {
        "v.b_min = (bool) false",
        "v.b_max = (bool) true",
        "v.i8_min = (int8) -0x80",
        "v.i8_max = (int8) 0x7f",
        "v.u8_min = (uint8) 0x0",
        "v.u8_max = (uint8) 0xff",
        "v.i16_min = (int16) -0x8000",
        "v.i16_max = (int16) 0x7fff",
        "v.u16_min = (uint16) 0x0",
        "v.u16_max = (uint16) 0xffff",
        "v.i32_min = (int32) -0x80000000",
        "v.i32_max = (int32) 0x7fffffff",
        "v.u32_min = (uint32) 0x0",
        "v.u32_max = (uint32) 0xffffffff",
        "v.i64_min = (int64) -0x8000000000000000",
        "v.i64_max = (int64) 0x7fffffffffffffff",
        "v.u64_min = (uint64) 0x0",
        "v.u64_max = (uint64) 0xffffffffffffffff",
    };
    Limits l = {
        .b = { false, true },
        .i8 = { G_MININT8, G_MAXINT8 },
        .u8 = { 0, G_MAXUINT8 },
        .i16 = { G_MININT16, G_MAXINT16 },
        .u16 = { 0, G_MAXUINT16 },
        .i32 = { G_MININT32, G_MAXINT32 },
        .u32 = { 0, G_MAXUINT32 },
        .i64 = { G_MININT64, G_MAXINT64 },
        .u64 = { 0, G_MAXUINT64 },
    };
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
    g_autoptr(GError) error = NULL;

    assert_true(visit_limits(v, &l, &error));
    assert_null(error);
    assert_lines(out->str, expected, G_N_ELEMENTS(expected));
}

/* Small negative values and the values next to the limits. */
static void test_pretty__integers_near_limits(void **state)
{
    static const char *const expected[] = {
        "v.a = (int8) -0x7f",
        "v.b = (int16) -0x1",
        "v.c = (int32) -0x7fffffff",
        "v.d = (int64) -0x7fffffffffffffff",
        "v.e = (uint64) 0xfffffffffffffffe",
        "v.f = (int64) 0x0",
    };
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
    g_autoptr(GError) error = NULL;
    gint8 a = G_MININT8 + 1;
    gint16 b = -1;
    gint32 c = G_MININT32 + 1;
    gint64 d = G_MININT64 + 1;
    guint64 e = G_MAXUINT64 - 1;
    gint64 f = 0;

    assert_true(qidl_visit_start_struct(v, "v", &error));
    assert_true(qidl_visit_int8(v, "a", &a, &error));
    assert_true(qidl_visit_int16(v, "b", &b, &error));
    assert_true(qidl_visit_int32(v, "c", &c, &error));
    assert_true(qidl_visit_int64(v, "d", &d, &error));
    assert_true(qidl_visit_uint64(v, "e", &e, &error));
    assert_true(qidl_visit_int64(v, "f", &f, &error));
    assert_true(qidl_visit_end_struct(v, &error));
    assert_lines(out->str, expected, G_N_ELEMENTS(expected));
}

/* A bool object holding another byte is shown, not read as true. */
static void test_pretty__invalid_bool_byte(void **state)
{
    static const char *const expected[] = {
        "v.bad = (bool) 0x2 (invalid)",
    };
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
    g_autoptr(GError) error = NULL;
    guint8 raw = 2;

    assert_true(qidl_visit_start_struct(v, "v", &error));
    assert_true(qidl_visit_scalar(v, "bad", QIDL_KIND_BOOL, &raw, &error));
    assert_true(qidl_visit_end_struct(v, &error));
    assert_lines(out->str, expected, G_N_ELEMENTS(expected));
}

static gboolean visit_floats(QidlVisitor *v, GError **error)
{
    float f[] = {
        FLT_MIN, FLT_MAX, -FLT_MAX, FLT_TRUE_MIN, 0.0f, -0.0f, 0.1f,
        INFINITY, -INFINITY, NAN,
    };
    double d[] = {
        DBL_MIN, DBL_MAX, -DBL_MAX, DBL_TRUE_MIN, 0.0, -0.1, 1e100,
        INFINITY, -INFINITY, NAN,
    };
    guint32 nf = G_N_ELEMENTS(f);
    guint32 nd = G_N_ELEMENTS(d);

    if (!qidl_visit_start_struct(v, "v", error) ||
        !qidl_visit_start_list(v, "f", QIDL_LIST_FIXED, &nf, sizeof(f[0]),
                               error)) {
        return FALSE;
    }
    for (guint32 i = 0; i < nf; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_float(v, NULL, &f[i], error)) {
            return FALSE;
        }
    }
    if (!qidl_visit_end_list(v, error) ||
        !qidl_visit_start_list(v, "d", QIDL_LIST_FIXED, &nd, sizeof(d[0]),
                               error)) {
        return FALSE;
    }
    for (guint32 i = 0; i < nd; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_double(v, NULL, &d[i], error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error) && qidl_visit_end_struct(v, error);
}

static const char *const floats_pretty[] = {
    "v.f(10)(4).[0] = (float) 1.1754943508222875e-38",
    "v.f(10)(4).[1] = (float) 3.4028234663852886e+38",
    "v.f(10)(4).[2] = (float) -3.4028234663852886e+38",
    "v.f(10)(4).[3] = (float) 1.4012984643248171e-45",
    "v.f(10)(4).[4] = (float) 0",
    "v.f(10)(4).[5] = (float) -0",
    "v.f(10)(4).[6] = (float) 0.10000000149011612",
    "v.f(10)(4).[7] = (float) inf",
    "v.f(10)(4).[8] = (float) -inf",
    "v.f(10)(4).[9] = (float) nan",
    "v.d(10)(8).[0] = (double) 2.2250738585072014e-308",
    "v.d(10)(8).[1] = (double) 1.7976931348623157e+308",
    "v.d(10)(8).[2] = (double) -1.7976931348623157e+308",
    "v.d(10)(8).[3] = (double) 4.9406564584124654e-324",
    "v.d(10)(8).[4] = (double) 0",
    "v.d(10)(8).[5] = (double) -0.10000000000000001",
    "v.d(10)(8).[6] = (double) 1e+100",
    "v.d(10)(8).[7] = (double) inf",
    "v.d(10)(8).[8] = (double) -inf",
    "v.d(10)(8).[9] = (double) nan",
};

static void test_pretty__floats_at_limits(void **state)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
    g_autoptr(GError) error = NULL;

    assert_true(visit_floats(v, &error));
    assert_null(error);
    assert_lines(out->str, floats_pretty, G_N_ELEMENTS(floats_pretty));
}

/* Removes @dir and the files and folders below it (localedef output). */
static void remove_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *entry;

    while (d && (entry = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, entry, NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            remove_tree(path);
        } else {
            g_remove(path);
        }
    }
    g_rmdir(dir);
}

/*
 * Switches LC_NUMERIC to a locale whose decimal separator is a comma.
 * Debian's base image has only C and C.UTF-8, so when the system has
 * none, one is compiled with localedef into a temporary @dir_out found
 * through LOCPATH.  Returns FALSE if neither works.
 */
static gboolean use_comma_locale(char **dir_out)
{
    g_autofree char *target = NULL;
    g_autoptr(GError) error = NULL;
    int status = -1;

    *dir_out = NULL;
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
        return TRUE;
    }
    *dir_out = g_dir_make_tmp("qidl-locale-XXXXXX", NULL);
    if (!*dir_out) {
        return FALSE;
    }
    target = g_build_filename(*dir_out, "de_DE.UTF-8", NULL);
    if (!g_spawn_sync(NULL,
                      (char *[]){ (char *)"localedef", (char *)"-i",
                                  (char *)"de_DE", (char *)"-f",
                                  (char *)"UTF-8", target, NULL },
                      NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                      G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, NULL, NULL, &status, &error) ||
        !g_spawn_check_wait_status(status, NULL)) {
        return FALSE;
    }
    g_setenv("LOCPATH", *dir_out, TRUE);
    return setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
}

/* Under a locale whose decimal separator is a comma the text is the same. */
static void test_pretty__floats_ignore_locale(void **state)
{
    g_autofree char *saved = g_strdup(setlocale(LC_NUMERIC, NULL));
    g_autofree char *dir = NULL;
    g_autofree char *probe = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
    g_autoptr(GError) error = NULL;
    gboolean switched;
    gboolean ok;

    switched = use_comma_locale(&dir);
    probe = g_strdup_printf("%.1f", 1.5);
    ok = visit_floats(v, &error);
    setlocale(LC_NUMERIC, saved);
    g_unsetenv("LOCPATH");
    if (dir) {
        remove_tree(dir);
    }
    if (!switched) {
        /* Nothing to compare against; say so rather than pass silently. */
        print_message("# no comma-decimal locale available, "
                      "locale independence not checked\n");
        return;
    }
    /* The locale really was in effect for the visit. */
    assert_string_equal(probe, "1,5");
    assert_true(ok);
    assert_lines(out->str, floats_pretty, G_N_ELEMENTS(floats_pretty));
}

static void test_pretty__strings_and_bytes(void **state)
{
    static const char *const expected[] = {
        "v.label = (string) \"a\\\"b\\\\c\\n\\t\\001\\177\\303\\251\"",
        "v.none = (string) \"\"",
        "v.unterminated = (string) \"abcd\"",
        "v.buf = (string) \"rtc\"",
        "v.blob = (bytes[3]) 00ff10",
        "v.empty_blob = (bytes[0])",
    };
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
    g_autoptr(GError) error = NULL;
    char *label = (char *)"a\"b\\c\n\t\001\177\303\251";
    char *none = NULL;
    char unterminated[4] = { 'a', 'b', 'c', 'd' };
    char buf[8] = "rtc";
    guint8 blob[3] = { 0x00, 0xff, 0x10 };

    assert_true(qidl_visit_start_struct(v, "v", &error));
    assert_true(qidl_visit_string(v, "label", &label, &error));
    assert_true(qidl_visit_string(v, "none", &none, &error));
    assert_true(qidl_visit_string_buf(v, "unterminated", unterminated,
                                      sizeof(unterminated), &error));
    assert_true(qidl_visit_string_buf(v, "buf", buf, sizeof(buf), &error));
    assert_true(qidl_visit_bytes(v, "blob", blob, sizeof(blob), &error));
    assert_true(qidl_visit_bytes(v, "empty_blob", NULL, 0, &error));
    assert_true(qidl_visit_end_struct(v, &error));
    assert_null(error);
    assert_lines(out->str, expected, G_N_ELEMENTS(expected));
}

/* Empty lists and structs print a line so that they are visible. */
static void test_pretty__empty_containers(void **state)
{
    static const char *const expected[] = {
        "v.none(0)(4) = (empty)",
        "v.hollow = (empty struct)",
        "v.only_absent = (empty struct)",
        "v.rows(2)(0).[0] = (empty struct)",
        "v.rows(2)(0).[1] = (empty struct)",
        "v.grid(1)(0).[0](0)(2) = (empty)",
        "v.outer.inner = (empty struct)",
        "v.x = (uint8) 0x1",
    };
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
    g_autoptr(GError) error = NULL;
    guint32 zero = 0;
    guint32 two = 2;
    guint32 one = 1;
    bool absent = false;
    guint8 x = 1;

    assert_true(qidl_visit_start_struct(v, "v", &error));

    assert_true(qidl_visit_start_list(v, "none", QIDL_LIST_FIXED, &zero, 4,
                                      &error));
    assert_true(qidl_visit_end_list(v, &error));

    assert_true(qidl_visit_start_struct(v, "hollow", &error));
    assert_true(qidl_visit_end_struct(v, &error));

    assert_true(qidl_visit_start_struct(v, "only_absent", &error));
    assert_true(qidl_visit_optional(v, "x", QIDL_PRESENCE_FLAG, &absent,
                                    &error));
    assert_false(absent);
    assert_true(qidl_visit_end_struct(v, &error));

    assert_true(qidl_visit_start_list(v, "rows", QIDL_LIST_COUNTED, &two, 0,
                                      &error));
    for (guint i = 0; i < 2; i++) {
        assert_true(qidl_visit_next_list(v, &error));
        assert_true(qidl_visit_start_struct(v, NULL, &error));
        assert_true(qidl_visit_end_struct(v, &error));
    }
    assert_true(qidl_visit_end_list(v, &error));

    assert_true(qidl_visit_start_list(v, "grid", QIDL_LIST_FIXED, &one, 0,
                                      &error));
    assert_true(qidl_visit_next_list(v, &error));
    zero = 0;
    assert_true(qidl_visit_start_list(v, NULL, QIDL_LIST_FIXED, &zero, 2,
                                      &error));
    assert_true(qidl_visit_end_list(v, &error));
    assert_true(qidl_visit_end_list(v, &error));

    /* outer holds an empty struct, so only that one is marked. */
    assert_true(qidl_visit_start_struct(v, "outer", &error));
    assert_true(qidl_visit_start_struct(v, "inner", &error));
    assert_true(qidl_visit_end_struct(v, &error));
    assert_true(qidl_visit_end_struct(v, &error));

    assert_true(qidl_visit_uint8(v, "x", &x, &error));
    assert_true(qidl_visit_end_struct(v, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    assert_lines(out->str, expected, G_N_ELEMENTS(expected));
}

/* The top-level value may itself be empty or a list. */
static void test_pretty__top_level_shapes(void **state)
{
    static const char *const expected[] = {
        "dev = (empty struct)",
        "regs(2)(1).[0] = (uint8) 0xa",
        "regs(2)(1).[1] = (uint8) 0xb",
    };
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    QidlVisitor *v;
    guint8 regs[2] = { 0xa, 0xb };
    guint32 n = 2;

    v = qidl_pretty_visitor_new(out);
    assert_true(qidl_visit_start_struct(v, "dev", &error));
    assert_true(qidl_visit_end_struct(v, &error));
    assert_true(qidl_visitor_complete(v, &error));
    qidl_visitor_free(v);

    v = qidl_pretty_visitor_new(out);
    assert_true(qidl_visit_start_list(v, "regs", QIDL_LIST_FIXED, &n, 1,
                                      &error));
    for (guint i = 0; i < n; i++) {
        assert_true(qidl_visit_next_list(v, &error));
        assert_true(qidl_visit_uint8(v, NULL, &regs[i], &error));
    }
    assert_true(qidl_visit_end_list(v, &error));
    assert_true(qidl_visitor_complete(v, &error));
    qidl_visitor_free(v);

    assert_null(error);
    assert_lines(out->str, expected, G_N_ELEMENTS(expected));
}

static const char *const sample_trace[] = {
    "start_struct sample",
    "bool sample.flag = true",
    "int8 sample.i8 = -0x2",
    "uint8 sample.u8 = 0x10",
    "int16 sample.i16 = -0x12c",
    "uint16 sample.u16 = 0xbeef",
    "int32 sample.i32 = -0x11170",
    "uint32 sample.u32 = 0xdeadbeef",
    "int64 sample.i64 = -0x7fffffffffffffff",
    "uint64 sample.u64 = 0xfffffffffffffffe",
    "float sample.f = 1.5",
    "double sample.d = -0.10000000000000001",
    "string sample.label = \"com1\"",
    "string_buf sample.name capacity=8 = \"rtc\"",
    "bytes sample.blob len=4 = 00ff107f",
    "start_struct sample.inner",
    "bool sample.inner.enabled = true",
    "uint8 sample.inner.mode = 0x3",
    "end_struct sample.inner",
    "start_list sample.cmos fixed count=8 elem_size=1",
    "next_list sample.cmos[0]",
    "uint8 sample.cmos[0] = 0x26",
    "next_list sample.cmos[1]",
    "uint8 sample.cmos[1] = 0x2",
    "next_list sample.cmos[2]",
    "uint8 sample.cmos[2] = 0x0",
    "next_list sample.cmos[3]",
    "uint8 sample.cmos[3] = 0x80",
    "next_list sample.cmos[4]",
    "uint8 sample.cmos[4] = 0x1",
    "next_list sample.cmos[5]",
    "uint8 sample.cmos[5] = 0x2",
    "next_list sample.cmos[6]",
    "uint8 sample.cmos[6] = 0x3",
    "next_list sample.cmos[7]",
    "uint8 sample.cmos[7] = 0x4",
    "end_list sample.cmos",
    "start_list sample.regs fixed count=2 elem_size=8",
    "next_list sample.regs[0]",
    "start_struct sample.regs[0]",
    "uint16 sample.regs[0].lo = 0x1234",
    "int32 sample.regs[0].hi = -0x1",
    "end_struct sample.regs[0]",
    "next_list sample.regs[1]",
    "start_struct sample.regs[1]",
    "uint16 sample.regs[1].lo = 0xffff",
    "int32 sample.regs[1].hi = 0x7",
    "end_struct sample.regs[1]",
    "end_list sample.regs",
    "start_list sample.matrix fixed count=2 elem_size=6",
    "next_list sample.matrix[0]",
    "start_list sample.matrix[0] fixed count=3 elem_size=2",
    "next_list sample.matrix[0][0]",
    "uint16 sample.matrix[0][0] = 0x1",
    "next_list sample.matrix[0][1]",
    "uint16 sample.matrix[0][1] = 0x2",
    "next_list sample.matrix[0][2]",
    "uint16 sample.matrix[0][2] = 0x3",
    "end_list sample.matrix[0]",
    "next_list sample.matrix[1]",
    "start_list sample.matrix[1] fixed count=3 elem_size=2",
    "next_list sample.matrix[1][0]",
    "uint16 sample.matrix[1][0] = 0x100",
    "next_list sample.matrix[1][1]",
    "uint16 sample.matrix[1][1] = 0x200",
    "next_list sample.matrix[1][2]",
    "uint16 sample.matrix[1][2] = 0x300",
    "end_list sample.matrix[1]",
    "end_list sample.matrix",
    "uint8 sample.fifo_len = 0x2",
    "start_list sample.fifo sized count=2 elem_size=1",
    "next_list sample.fifo[0]",
    "uint8 sample.fifo[0] = 0x41",
    "next_list sample.fifo[1]",
    "uint8 sample.fifo[1] = 0x42",
    "end_list sample.fifo",
    "optional sample.extra flag present",
    "uint32 sample.extra = 0x2a",
    "optional sample.thr default absent",
    "end_struct sample",
    "complete",
};

/* A trace without an inner visitor logs an output visit call by call. */
static void test_pretty__trace_sample(void **state)
{
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_trace_visitor_new(NULL, log);
    g_autoptr(GError) error = NULL;
    Sample s;

    assert_false(qidl_visitor_is_input(v));
    sample_init(&s);
    assert_true(sample_visit(v, "sample", &s, &error));
    assert_true(qidl_visitor_complete(v, &error));
    sample_clear(&s);
    assert_null(error);
    assert_lines(log->str, sample_trace, G_N_ELEMENTS(sample_trace));
}

/* Wrapping changes nothing in what the inner visitor produces. */
static void test_pretty__trace_forwards_to_output(void **state)
{
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) pretty = qidl_pretty_visitor_new(out);
    g_autoptr(QidlVisitor) v = qidl_trace_visitor_new(pretty, log);
    g_autoptr(GByteArray) traced = g_byte_array_new();
    g_autoptr(GByteArray) direct = g_byte_array_new();
    g_autoptr(QidlVisitor) legacy_traced =
        qidl_legacy_output_visitor_new(traced);
    g_autoptr(QidlVisitor) legacy_direct =
        qidl_legacy_output_visitor_new(direct);
    g_autoptr(QidlVisitor) legacy_v = NULL;
    g_autoptr(GString) legacy_log = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    Sample s;

    sample_init(&s);
    assert_true(sample_visit(v, "sample", &s, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_lines(out->str, sample_pretty, G_N_ELEMENTS(sample_pretty));
    assert_lines(log->str, sample_trace, G_N_ELEMENTS(sample_trace));

    /* Legacy encodes fixed char buffers raw: the trace must forward
     * string_buf as such, not as a string. */
    legacy_v = qidl_trace_visitor_new(legacy_traced, legacy_log);
    assert_true(sample_visit(legacy_v, "sample", &s, &error));
    assert_true(qidl_visitor_complete(legacy_v, &error));
    assert_true(sample_visit(legacy_direct, "sample", &s, &error));
    assert_true(qidl_visitor_complete(legacy_direct, &error));
    sample_clear(&s);
    assert_null(error);
    assert_int_equal(traced->len, direct->len);
    assert_memory_equal(traced->data, direct->data, direct->len);
}

/* Saves the sample with the legacy output visitor. */
static GByteArray *legacy_sample_bytes(void)
{
    GByteArray *bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(GError) error = NULL;
    Sample s;

    sample_init(&s);
    assert_true(sample_visit(v, "sample", &s, &error));
    assert_true(qidl_visitor_complete(v, &error));
    sample_clear(&s);
    return bytes;
}

/* Tracing a legacy load logs the loaded values and ends in complete. */
static void test_pretty__trace_legacy_input(void **state)
{
    g_autoptr(GByteArray) bytes = legacy_sample_bytes();
    g_autoptr(QidlVisitor) in =
        qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0,
                                      QIDL_LEGACY_INPUT_NONE);
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_trace_visitor_new(in, log);
    g_autoptr(GError) error = NULL;
    Sample expected;
    Sample loaded = { 0 };

    assert_true(qidl_visitor_is_input(v));
    assert_true(sample_visit(v, "sample", &loaded, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    sample_init(&expected);
    assert_true(sample_equal(&loaded, &expected));
    sample_clear(&expected);
    sample_clear(&loaded);

    /* Legacy always carries a default field: thr is present on input. */
    assert_non_null(strstr(log->str,
                           "optional sample.thr default present\n"
                           "uint8 sample.thr = 0x0\n"
                           "end_struct sample\n"
                           "complete\n"));
    assert_non_null(strstr(log->str, "\nuint8 sample.cmos[3] = 0x80\n"));
}

/* A failing input call logs its call without a value, then the error,
 * which reaches the caller unchanged. */
static void test_pretty__trace_legacy_input_truncated_fail(void **state)
{
    static const char *const expected[] = {
        "start_struct sample",
        "bool sample.flag = true",
        "int8 sample.i8 = -0x2",
        "uint8 sample.u8 = 0x10",
        "int16 sample.i16",
        "! sample.i16: need 2 bytes at byte offset 3, 1 left",
    };
    g_autoptr(GByteArray) bytes = legacy_sample_bytes();
    g_autoptr(QidlVisitor) in =
        qidl_legacy_input_visitor_new(bytes->data, 4, 0,
                                      QIDL_LEGACY_INPUT_NONE);
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_trace_visitor_new(in, log);
    g_autoptr(GError) error = NULL;
    Sample loaded = { 0 };

    loaded.i16 = 77;
    assert_false(sample_visit(v, "sample", &loaded, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED));
    assert_string_equal(error->message,
                        "sample.i16: need 2 bytes at byte offset 3, 1 left");
    assert_lines(log->str, expected, G_N_ELEMENTS(expected));
    /* The failed value is untouched. */
    assert_int_equal(loaded.i16, 77);
    sample_clear(&loaded);
}

/* Truncated inside a list: the element path is in both log and error. */
static void test_pretty__trace_legacy_input_truncated_in_list_fail(
    void **state)
{
    static const char *const tail =
        "start_list sample.cmos fixed count=8 elem_size=1\n"
        "next_list sample.cmos[0]\n"
        "uint8 sample.cmos[0] = 0x26\n"
        "next_list sample.cmos[1]\n"
        "uint8 sample.cmos[1] = 0x2\n"
        "next_list sample.cmos[2]\n"
        "uint8 sample.cmos[2] = 0x0\n"
        "next_list sample.cmos[3]\n"
        "uint8 sample.cmos[3]\n"
        "! sample.cmos[3]: need 1 byte at byte offset 65, 0 left\n";
    g_autoptr(GByteArray) bytes = legacy_sample_bytes();
    /* flag..d take 43 bytes, label 5, name 8, blob 4, inner 2: cmos
     * starts at 62, so 65 bytes end after cmos[2]. */
    g_autoptr(QidlVisitor) in =
        qidl_legacy_input_visitor_new(bytes->data, 65, 0,
                                      QIDL_LEGACY_INPUT_NONE);
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_trace_visitor_new(in, log);
    g_autoptr(GError) error = NULL;
    Sample loaded = { 0 };

    assert_false(sample_visit(v, "sample", &loaded, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED));
    assert_string_equal(error->message,
                        "sample.cmos[3]: need 1 byte at byte offset 65, "
                        "0 left");
    assert_true(g_str_has_suffix(log->str, tail));
    sample_clear(&loaded);
}

/* A failure of complete (trailing bytes) is logged and propagated. */
static void test_pretty__trace_complete_fail(void **state)
{
    g_autoptr(GByteArray) bytes = legacy_sample_bytes();
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *message = NULL;
    g_autofree char *expected_tail = NULL;
    guint8 extra = 0xee;
    Sample loaded = { 0 };

    g_byte_array_append(bytes, &extra, 1);
    in = qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0,
                                       QIDL_LEGACY_INPUT_NONE);
    v = qidl_trace_visitor_new(in, log);
    assert_true(sample_visit(v, "sample", &loaded, &error));
    assert_false(qidl_visitor_complete(v, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_UNKNOWN_FIELD));
    message = g_strdup_printf("1 trailing byte at byte offset %u",
                              bytes->len - 1);
    assert_string_equal(error->message, message);
    expected_tail = g_strdup_printf("end_struct sample\ncomplete\n! %s\n",
                                    message);
    assert_true(g_str_has_suffix(log->str, expected_tail));
    sample_clear(&loaded);
}

/* ---- qidl_visit_scalar_fields() ---- */

static const char *const fields_pretty[] = {
    "dev.head = (uint8) 0xa5",
    "dev.flag = (bool) true",
    "dev.i8 = (int8) -0x2",
    "dev.u8 = (uint8) 0x10",
    "dev.i16 = (int16) -0x12c",
    "dev.u16 = (uint16) 0xbeef",
    "dev.i32 = (int32) -0x11170",
    "dev.u32 = (uint32) 0xdeadbeef",
    "dev.i64 = (int64) -0x7fffffffffffffff",
    "dev.u64 = (uint64) 0xfffffffffffffffe",
    "dev.f = (float) 1.5",
    "dev.d = (double) -0.10000000000000001",
    "dev.tail = (uint8) 0x5a",
};

/*
 * The pretty printer and the trace have no scalar_fields: the core's
 * calls per field print exactly what the fields' own calls print.
 */
static void test_pretty__scalar_fields_same_text(void **state)
{
    FieldsDev d;

    fields_dev_init(&d);
    for (int b = 0; b < 2; b++) {
        g_autoptr(GString) out = g_string_new(NULL);
        g_autoptr(GString) log = g_string_new(NULL);
        g_autoptr(QidlVisitor) pretty = qidl_pretty_visitor_new(out);
        g_autoptr(QidlVisitor) trace = qidl_trace_visitor_new(NULL, log);
        g_autoptr(GError) error = NULL;
        g_autoptr(GString) want_log = g_string_new("start_struct dev\n");

        assert_true(fields_dev_visit(pretty, "dev", &d, fields_run,
                                     FIELDS_RUN_LEN, b, &error));
        assert_true(qidl_visitor_complete(pretty, &error));
        assert_lines(out->str, fields_pretty, G_N_ELEMENTS(fields_pretty));

        assert_true(fields_dev_visit(trace, "dev", &d, fields_run,
                                     FIELDS_RUN_LEN, b, &error));
        assert_true(qidl_visitor_complete(trace, &error));
        assert_null(error);
        /* The trace's line per value: its kind, then the pretty line's
         * path and value. */
        for (gsize i = 0; i < G_N_ELEMENTS(fields_pretty); i++) {
            const char *line = fields_pretty[i];
            const char *kind = strchr(line, '(') + 1;
            const char *value = strchr(kind, ')') + 2;

            g_string_append_printf(want_log, "%.*s %.*s= %s\n",
                                   (int)(strchr(kind, ')') - kind), kind,
                                   (int)(strchr(line, '=') - line), line,
                                   value);
        }
        g_string_append(want_log, "end_struct dev\ncomplete\n");
        assert_string_equal(log->str, want_log->str);
    }
}

/*
 * A trace around a legacy load that fails inside the run: the same log,
 * the same error and the same fields loaded either way.
 */
static void test_pretty__scalar_fields_trace_truncated_fail(void **state)
{
    static const char *const expected[] = {
        "start_struct dev",
        "uint8 dev.head = 0xa5",
        "bool dev.flag = true",
        "int8 dev.i8 = -0x2",
        "uint8 dev.u8 = 0x10",
        "int16 dev.i16",
        "! dev.i16: need 2 bytes at byte offset 4, 1 left",
    };
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) out = qidl_legacy_output_visitor_new(bytes);
    FieldsDev d;

    fields_dev_init(&d);
    assert_true(fields_dev_visit(out, "dev", &d, fields_run, FIELDS_RUN_LEN,
                                 TRUE, NULL));
    for (int b = 0; b < 2; b++) {
        g_autoptr(QidlVisitor) in =
            qidl_legacy_input_visitor_new(bytes->data, 5, 0,
                                          QIDL_LEGACY_INPUT_NONE);
        g_autoptr(GString) log = g_string_new(NULL);
        g_autoptr(QidlVisitor) v = qidl_trace_visitor_new(in, log);
        g_autoptr(GError) error = NULL;
        FieldsDev loaded;

        memset(&loaded, 0xee, sizeof(loaded));
        assert_false(fields_dev_visit(v, "dev", &loaded, fields_run,
                                      FIELDS_RUN_LEN, b, &error));
        assert_true(g_error_matches(error, QIDL_ERROR,
                                    QIDL_ERROR_TRUNCATED));
        assert_string_equal(error->message,
                            "dev.i16: need 2 bytes at byte offset 4, 1 left");
        assert_lines(log->str, expected, G_N_ELEMENTS(expected));
        assert_int_equal(loaded.u8, 0x10);
        assert_int_equal(loaded.i16, (gint16)0xeeee);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pretty__sample),
        cmocka_unit_test(test_pretty__absent_optional_prints_nothing),
        cmocka_unit_test(test_pretty__integers_at_limits),
        cmocka_unit_test(test_pretty__integers_near_limits),
        cmocka_unit_test(test_pretty__invalid_bool_byte),
        cmocka_unit_test(test_pretty__floats_at_limits),
        cmocka_unit_test(test_pretty__floats_ignore_locale),
        cmocka_unit_test(test_pretty__strings_and_bytes),
        cmocka_unit_test(test_pretty__empty_containers),
        cmocka_unit_test(test_pretty__top_level_shapes),
        cmocka_unit_test(test_pretty__trace_sample),
        cmocka_unit_test(test_pretty__trace_forwards_to_output),
        cmocka_unit_test(test_pretty__trace_legacy_input),
        cmocka_unit_test(test_pretty__trace_legacy_input_truncated_fail),
        cmocka_unit_test(
            test_pretty__trace_legacy_input_truncated_in_list_fail),
        cmocka_unit_test(test_pretty__trace_complete_fail),
        cmocka_unit_test(test_pretty__scalar_fields_same_text),
        cmocka_unit_test(test_pretty__scalar_fields_trace_truncated_fail),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
