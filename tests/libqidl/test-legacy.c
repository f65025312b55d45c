/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the legacy codec (legacy-output.c, legacy-input.c): the exact
 * wire bytes of the sample struct and of every scalar kind, round trips,
 * and every way the input rejects bytes: truncation at each offset,
 * invalid bool and presence bytes, unterminated char arrays, counts over
 * the limit, trailing bytes.  Expected bytes are written out by hand from
 * the format in legacy.h, never produced by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/legacy.h>

#include "fields.h"
#include "sample.h"

/*
 * sample_init()'s Sample up to the optional fields, in sample_visit()'s
 * order: 97 bytes, the same whatever has_extra and thr hold.
 */
static const guint8 sample_head[] = {
    /* 0: flag = true */
    0x01,
    /* 1: i8 = -2 */
    0xfe,
    /* 2: u8 = 0x10 */
    0x10,
    /* 3: i16 = -300 */
    0xfe, 0xd4,
    /* 5: u16 = 0xbeef */
    0xbe, 0xef,
    /* 7: i32 = -70000 */
    0xff, 0xfe, 0xee, 0x90,
    /* 11: u32 = 0xdeadbeef */
    0xde, 0xad, 0xbe, 0xef,
    /* 15: i64 = G_MININT64 + 1 */
    0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    /* 23: u64 = G_MAXUINT64 - 1 */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    /* 31: f = 1.5f, IEEE-754 single */
    0x3f, 0xc0, 0x00, 0x00,
    /* 35: d = -0.1, IEEE-754 double */
    0xbf, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a,
    /* 43: label = "com1": length byte, then the bytes */
    0x04, 'c', 'o', 'm', '1',
    /* 48: name = "rtc" in char[8]: all 8 bytes, zero padded */
    'r', 't', 'c', 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 56: blob, raw */
    0x00, 0xff, 0x10, 0x7f,
    /* 60: inner.enabled = true, inner.mode = 3 */
    0x01, 0x03,
    /* 62: cmos[0..7], a fixed list: no count */
    0x26, 0x02, 0x00, 0x80, 0x01, 0x02, 0x03, 0x04,
    /* 70: regs[0].lo = 0x1234, regs[0].hi = -1 */
    0x12, 0x34, 0xff, 0xff, 0xff, 0xff,
    /* 76: regs[1].lo = 0xffff, regs[1].hi = 7 */
    0xff, 0xff, 0x00, 0x00, 0x00, 0x07,
    /* 82: matrix[0][0..2] = 1, 2, 3 */
    0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
    /* 88: matrix[1][0..2] = 0x100, 0x200, 0x300 */
    0x01, 0x00, 0x02, 0x00, 0x03, 0x00,
    /* 94: fifo_len = 2 */
    0x02,
    /* 95: fifo[0..1], a sized list: no count */
    0x41, 0x42,
};

/* The rest with sample_init()'s has_extra = true, extra = 42, thr = 0. */
static const guint8 sample_tail[] = {
    /* 97: extra's presence byte, then extra = 42 */
    0x01, 0x00, 0x00, 0x00, 0x2a,
    /* 102: thr = 0: a default, so always written, never flagged */
    0x00,
};

/* The rest with has_extra = false and thr = 5. */
static const guint8 sample_tail_no_extra[] = {
    /* 97: extra's presence byte: absent, no value follows */
    0x00,
    /* 98: thr = 5 */
    0x05,
};

/*
 * Each read of the input visitor on sample_init()'s bytes, in order: its
 * path and how many bytes it needs.  Truncated at any offset inside a
 * read, the load must fail at that read.
 */
static const struct {
    const char *path;
    gsize size;
} sample_reads[] = {
    { "s.flag", 1 }, { "s.i8", 1 }, { "s.u8", 1 }, { "s.i16", 2 },
    { "s.u16", 2 }, { "s.i32", 4 }, { "s.u32", 4 }, { "s.i64", 8 },
    { "s.u64", 8 }, { "s.f", 4 }, { "s.d", 8 },
    { "s.label", 1 }, { "s.label", 4 },   /* length byte, then bytes */
    { "s.name", 8 }, { "s.blob", 4 },
    { "s.inner.enabled", 1 }, { "s.inner.mode", 1 },
    { "s.cmos[0]", 1 }, { "s.cmos[1]", 1 }, { "s.cmos[2]", 1 },
    { "s.cmos[3]", 1 }, { "s.cmos[4]", 1 }, { "s.cmos[5]", 1 },
    { "s.cmos[6]", 1 }, { "s.cmos[7]", 1 },
    { "s.regs[0].lo", 2 }, { "s.regs[0].hi", 4 },
    { "s.regs[1].lo", 2 }, { "s.regs[1].hi", 4 },
    { "s.matrix[0][0]", 2 }, { "s.matrix[0][1]", 2 },
    { "s.matrix[0][2]", 2 }, { "s.matrix[1][0]", 2 },
    { "s.matrix[1][1]", 2 }, { "s.matrix[1][2]", 2 },
    { "s.fifo_len", 1 }, { "s.fifo[0]", 1 }, { "s.fifo[1]", 1 },
    { "s.extra", 1 }, { "s.extra", 4 },   /* presence byte, then value */
    { "s.thr", 1 },
};

static GByteArray *concat(const guint8 *a, gsize a_len, const guint8 *b,
                          gsize b_len)
{
    GByteArray *out = g_byte_array_new();

    g_byte_array_append(out, a, a_len);
    g_byte_array_append(out, b, b_len);
    return out;
}

static GByteArray *expected_sample(void)
{
    return concat(sample_head, sizeof(sample_head), sample_tail,
                  sizeof(sample_tail));
}

static void assert_qidl_error(const GError *error, int code,
                              const char *message)
{
    assert_non_null(error);
    assert_string_equal(g_quark_to_string(error->domain),
                        g_quark_to_string(QIDL_ERROR));
    assert_int_equal(error->code, code);
    assert_string_equal(error->message, message);
}

static void assert_bytes(const GByteArray *got, const guint8 *want,
                         gsize len)
{
    assert_int_equal(got->len, len);
    assert_memory_equal(got->data, want, len);
}

static GByteArray *save_sample(Sample *s)
{
    g_autoptr(GError) error = NULL;
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);

    assert_true(sample_visit(v, "s", s, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    return out;
}

/* Loads @len bytes into @s (zeroed by the caller) and completes. */
static gboolean load_sample(const guint8 *data, gsize len, gsize base_offset,
                            QidlLegacyInputFlags flags, Sample *s,
                            GError **error)
{
    g_autoptr(QidlVisitor) v =
        qidl_legacy_input_visitor_new(data, len, base_offset, flags);

    return sample_visit(v, "s", s, error) &&
           qidl_visitor_complete(v, error);
}

static void test_legacy__sample_bytes(void **state)
{
    Sample s;
    g_autoptr(GByteArray) want = expected_sample();
    g_autoptr(GByteArray) got = NULL;

    sample_init(&s);
    got = save_sample(&s);
    assert_int_equal(want->len, 103);
    assert_bytes(got, want->data, want->len);
    sample_clear(&s);
}

static void test_legacy__sample_round_trip(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = expected_sample();
    Sample want;
    Sample got = { 0 };

    sample_init(&want);
    assert_true(load_sample(bytes->data, bytes->len, 0,
                            QIDL_LEGACY_INPUT_NONE, &got, &error));
    assert_null(error);
    assert_true(sample_equal(&got, &want));
    assert_string_equal(got.label, "com1");
    sample_clear(&want);
    sample_clear(&got);
}

static void test_legacy__sample_without_extra(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) want_bytes =
        concat(sample_head, sizeof(sample_head), sample_tail_no_extra,
               sizeof(sample_tail_no_extra));
    g_autoptr(GByteArray) got_bytes = NULL;
    Sample s;
    Sample got = { 0 };

    sample_init(&s);
    s.has_extra = false;
    s.extra = 0x55555555;   /* absent: must not reach the wire */
    s.thr = 5;
    got_bytes = save_sample(&s);
    assert_bytes(got_bytes, want_bytes->data, want_bytes->len);

    got.has_extra = true;
    got.extra = 7;
    assert_true(load_sample(want_bytes->data, want_bytes->len, 0,
                            QIDL_LEGACY_INPUT_NONE, &got, &error));
    assert_null(error);
    assert_true(sample_equal(&got, &s));
    assert_false(got.has_extra);
    assert_int_equal(got.extra, 7);   /* absent: left alone */
    assert_int_equal(got.thr, 5);
    sample_clear(&s);
    sample_clear(&got);
}

typedef union {
    bool b;
    gint8 i8;
    guint8 u8;
    gint16 i16;
    guint16 u16;
    gint32 i32;
    guint32 u32;
    gint64 i64;
    guint64 u64;
    float f;
    double d;
} ScalarValue;

typedef struct {
    QidlKind kind;
    ScalarValue value;
    guint8 wire[8];
} ScalarCase;

/* Each scalar kind at its extremes, and the IEEE values that matter. */
static const ScalarCase scalar_cases[] = {
    { QIDL_KIND_BOOL, { .b = false }, { 0x00 } },
    { QIDL_KIND_BOOL, { .b = true }, { 0x01 } },
    { QIDL_KIND_INT8, { .i8 = G_MININT8 }, { 0x80 } },
    { QIDL_KIND_INT8, { .i8 = G_MAXINT8 }, { 0x7f } },
    { QIDL_KIND_UINT8, { .u8 = 0 }, { 0x00 } },
    { QIDL_KIND_UINT8, { .u8 = G_MAXUINT8 }, { 0xff } },
    { QIDL_KIND_INT16, { .i16 = G_MININT16 }, { 0x80, 0x00 } },
    { QIDL_KIND_INT16, { .i16 = G_MAXINT16 }, { 0x7f, 0xff } },
    { QIDL_KIND_UINT16, { .u16 = 0 }, { 0x00, 0x00 } },
    { QIDL_KIND_UINT16, { .u16 = G_MAXUINT16 }, { 0xff, 0xff } },
    { QIDL_KIND_INT32, { .i32 = G_MININT32 }, { 0x80, 0x00, 0x00, 0x00 } },
    { QIDL_KIND_INT32, { .i32 = G_MAXINT32 }, { 0x7f, 0xff, 0xff, 0xff } },
    { QIDL_KIND_UINT32, { .u32 = 0 }, { 0x00, 0x00, 0x00, 0x00 } },
    { QIDL_KIND_UINT32, { .u32 = G_MAXUINT32 },
      { 0xff, 0xff, 0xff, 0xff } },
    { QIDL_KIND_INT64, { .i64 = G_MININT64 },
      { 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
    { QIDL_KIND_INT64, { .i64 = G_MAXINT64 },
      { 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
    { QIDL_KIND_UINT64, { .u64 = 0 },
      { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
    { QIDL_KIND_UINT64, { .u64 = G_MAXUINT64 },
      { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
    { QIDL_KIND_FLOAT, { .f = -FLT_MAX }, { 0xff, 0x7f, 0xff, 0xff } },
    { QIDL_KIND_FLOAT, { .f = FLT_MAX }, { 0x7f, 0x7f, 0xff, 0xff } },
    { QIDL_KIND_FLOAT, { .f = -0.0f }, { 0x80, 0x00, 0x00, 0x00 } },
    { QIDL_KIND_FLOAT, { .f = FLT_TRUE_MIN }, { 0x00, 0x00, 0x00, 0x01 } },
    { QIDL_KIND_FLOAT, { .f = -INFINITY }, { 0xff, 0x80, 0x00, 0x00 } },
    { QIDL_KIND_DOUBLE, { .d = -DBL_MAX },
      { 0xff, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
    { QIDL_KIND_DOUBLE, { .d = DBL_MAX },
      { 0x7f, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
    { QIDL_KIND_DOUBLE, { .d = -0.0 },
      { 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
    { QIDL_KIND_DOUBLE, { .d = DBL_TRUE_MIN },
      { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 } },
    { QIDL_KIND_DOUBLE, { .d = INFINITY },
      { 0x7f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
};

static void check_scalar(QidlKind kind, const void *value,
                         const guint8 *wire)
{
    g_autoptr(GError) error = NULL;
    gsize size = qidl_kind_size(kind);
    g_autoptr(GByteArray) out = g_byte_array_new();
    ScalarValue in;
    ScalarValue got;

    /* Output: exactly the wire bytes. */
    memcpy(&in, value, size);
    {
        g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);

        assert_true(qidl_visit_scalar(v, "x", kind, &in, &error));
        assert_true(qidl_visitor_complete(v, &error));
    }
    assert_bytes(out, wire, size);

    /* Input: the same bits back, having consumed exactly them. */
    memset(&got, 0xa5, sizeof(got));
    {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(wire, size, 0,
                                          QIDL_LEGACY_INPUT_NONE);

        assert_true(qidl_visit_scalar(v, "x", kind, &got, &error));
        assert_int_equal(qidl_legacy_input_visitor_get_offset(v), size);
        assert_true(qidl_visitor_complete(v, &error));
    }
    assert_null(error);
    assert_memory_equal(&got, value, size);
}

static void test_legacy__scalar_bytes(void **state)
{
    for (gsize i = 0; i < G_N_ELEMENTS(scalar_cases); i++) {
        const ScalarCase *c = &scalar_cases[i];

        check_scalar(c->kind, &c->value, c->wire);
    }
}

/* NaNs travel as bits: the payload and the signalling bit survive. */
static void test_legacy__nan_bits(void **state)
{
    static const guint8 quiet_wire[] = { 0x7f, 0xc0, 0x00, 0x01 };
    static const guint8 signalling_wire[] = {
        0x7f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    };
    guint32 quiet = 0x7fc00001;
    guint64 signalling = G_GUINT64_CONSTANT(0x7ff0000000000001);

    check_scalar(QIDL_KIND_FLOAT, &quiet, quiet_wire);
    check_scalar(QIDL_KIND_DOUBLE, &signalling, signalling_wire);
}

/* Each scalar kind one byte short: nothing read, nothing written. */
static void test_legacy__scalar_truncated_fail(void **state)
{
    static const guint8 zeros[8] = { 0 };

    for (QidlKind kind = QIDL_KIND_BOOL; kind <= QIDL_KIND_DOUBLE; kind++) {
        g_autoptr(GError) error = NULL;
        gsize size = qidl_kind_size(kind);
        g_autofree char *want = NULL;
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(zeros, size - 1, 0,
                                          QIDL_LEGACY_INPUT_NONE);
        ScalarValue got;
        ScalarValue before;

        memset(&got, 0xa5, sizeof(got));
        before = got;
        assert_false(qidl_visit_scalar(v, "x", kind, &got, &error));
        want = g_strdup_printf("x: need %" G_GSIZE_FORMAT " byte%s at byte "
                               "offset 0, %" G_GSIZE_FORMAT " left", size,
                               size == 1 ? "" : "s", size - 1);
        assert_qidl_error(error, QIDL_ERROR_TRUNCATED, want);
        assert_memory_equal(&got, &before, sizeof(got));
    }
}

/*
 * The sample's bytes cut at every offset: the load fails at the read that
 * crosses the cut, naming its path, where it starts and what is left.
 */
static void check_truncated_everywhere(gsize base_offset)
{
    g_autoptr(GByteArray) bytes = expected_sample();
    gsize start = 0;
    gsize r = 0;

    for (gsize len = 0; len < bytes->len; len++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *want = NULL;
        Sample got = { 0 };
        gsize size;

        while (len >= start + sample_reads[r].size) {
            start += sample_reads[r].size;
            r++;
        }
        size = sample_reads[r].size;
        want = g_strdup_printf("%s: need %" G_GSIZE_FORMAT " byte%s at byte "
                               "offset %" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT
                               " left", sample_reads[r].path, size,
                               size == 1 ? "" : "s", base_offset + start,
                               len - start);
        assert_false(load_sample(bytes->data, len, base_offset,
                                 QIDL_LEGACY_INPUT_NONE, &got, &error));
        assert_qidl_error(error, QIDL_ERROR_TRUNCATED, want);
        sample_clear(&got);
    }
    /* The table of reads covers the encoding exactly. */
    assert_int_equal(start + sample_reads[r].size, bytes->len);
    assert_int_equal(r + 1, G_N_ELEMENTS(sample_reads));
}

static void test_legacy__truncated_every_offset_fail(void **state)
{
    check_truncated_everywhere(0);
}

static void test_legacy__truncated_base_offset_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = expected_sample();
    Sample got = { 0 };

    assert_false(load_sample(bytes->data, 77, 1000, QIDL_LEGACY_INPUT_NONE,
                             &got, &error));
    assert_qidl_error(error, QIDL_ERROR_TRUNCATED,
                      "s.regs[1].lo: need 2 bytes at byte offset 1076, "
                      "1 left");
    sample_clear(&got);

    check_truncated_everywhere(1000);
}

/* A few offsets spelled out, independently of the table above. */
static void test_legacy__truncated_messages_fail(void **state)
{
    static const struct {
        gsize len;
        const char *message;
    } cases[] = {
        { 0, "s.flag: need 1 byte at byte offset 0, 0 left" },
        { 17, "s.i64: need 8 bytes at byte offset 15, 2 left" },
        { 43, "s.label: need 1 byte at byte offset 43, 0 left" },
        { 45, "s.label: need 4 bytes at byte offset 44, 1 left" },
        { 54, "s.name: need 8 bytes at byte offset 48, 6 left" },
        { 77, "s.regs[1].lo: need 2 bytes at byte offset 76, 1 left" },
        { 93, "s.matrix[1][2]: need 2 bytes at byte offset 92, 1 left" },
        { 96, "s.fifo[1]: need 1 byte at byte offset 96, 0 left" },
        { 97, "s.extra: need 1 byte at byte offset 97, 0 left" },
        { 100, "s.extra: need 4 bytes at byte offset 98, 2 left" },
        { 102, "s.thr: need 1 byte at byte offset 102, 0 left" },
    };
    g_autoptr(GByteArray) bytes = expected_sample();

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        Sample got = { 0 };

        /* The field being read when the bytes ran out keeps its value. */
        got.regs[1].lo = 0x5555;
        got.matrix[1][2] = 0x6666;
        assert_false(load_sample(bytes->data, cases[i].len, 0,
                                 QIDL_LEGACY_INPUT_NONE, &got, &error));
        assert_qidl_error(error, QIDL_ERROR_TRUNCATED, cases[i].message);
        if (cases[i].len == 77) {
            assert_int_equal(got.regs[1].lo, 0x5555);
            assert_int_equal(got.regs[0].lo, 0x1234);
        }
        if (cases[i].len == 93) {
            assert_int_equal(got.matrix[1][2], 0x6666);
            assert_int_equal(got.matrix[1][1], 0x200);
        }
        if (cases[i].len == 45) {
            assert_null(got.label);
        }
        sample_clear(&got);
    }
}

/* Bool bytes other than 0 and 1, at the top level and nested. */
static void test_legacy__bool_invalid_fail(void **state)
{
    static const struct {
        gsize offset;
        guint8 byte;
        const char *message;
    } cases[] = {
        { 0, 0x02, "s.flag: invalid bool value 2 at byte offset 0" },
        { 60, 0xff, "s.inner.enabled: invalid bool value 255 at byte "
                    "offset 60" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GByteArray) bytes = expected_sample();
        Sample got = { 0 };

        bytes->data[cases[i].offset] = cases[i].byte;
        got.flag = true;
        got.inner.enabled = true;
        assert_false(load_sample(bytes->data, bytes->len, 0,
                                 QIDL_LEGACY_INPUT_NONE, &got, &error));
        assert_qidl_error(error, QIDL_ERROR_INVALID, cases[i].message);
        assert_true(got.flag);
        assert_true(got.inner.enabled);
        sample_clear(&got);
    }
}

static void test_legacy__presence_invalid_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = expected_sample();
    Sample got = { 0 };

    bytes->data[97] = 0x02;
    got.has_extra = true;
    got.extra = 7;
    assert_false(load_sample(bytes->data, bytes->len, 0,
                             QIDL_LEGACY_INPUT_NONE, &got, &error));
    assert_qidl_error(error, QIDL_ERROR_INVALID,
                      "s.extra: invalid presence byte 2 at byte offset 97");
    assert_true(got.has_extra);
    assert_int_equal(got.extra, 7);
    sample_clear(&got);
}

/* A default field: present both ways, nothing on the wire for it. */
static void test_legacy__presence_default(void **state)
{
    static const guint8 wire[] = { 0x09 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    bool present = false;
    guint8 thr = 9;

    {
        g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);

        assert_true(qidl_visit_start_struct(v, "d", &error));
        assert_true(qidl_visit_optional(v, "thr", QIDL_PRESENCE_DEFAULT,
                                        &present, &error));
        assert_true(present);
        assert_int_equal(out->len, 0);
        assert_true(qidl_visit_uint8(v, "thr", &thr, &error));
        assert_true(qidl_visit_end_struct(v, &error));
    }
    assert_bytes(out, wire, sizeof(wire));

    present = false;
    thr = 0;
    {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(wire, sizeof(wire), 0,
                                          QIDL_LEGACY_INPUT_NONE);

        assert_true(qidl_visit_start_struct(v, "d", &error));
        assert_true(qidl_visit_optional(v, "thr", QIDL_PRESENCE_DEFAULT,
                                        &present, &error));
        assert_true(present);
        assert_int_equal(qidl_legacy_input_visitor_get_offset(v), 0);
        assert_true(qidl_visit_uint8(v, "thr", &thr, &error));
        assert_true(qidl_visit_end_struct(v, &error));
        assert_true(qidl_visitor_complete(v, &error));
    }
    assert_null(error);
    assert_int_equal(thr, 9);
}

static void test_legacy__string_buf_unterminated_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = expected_sample();
    Sample got = { 0 };

    memcpy(bytes->data + 48, "rtcrtcrt", 8);
    strcpy(got.name, "keep");
    assert_false(load_sample(bytes->data, bytes->len, 0,
                             QIDL_LEGACY_INPUT_NONE, &got, &error));
    assert_qidl_error(error, QIDL_ERROR_INVALID,
                      "s.name: char[8] at byte offset 48 holds no "
                      "terminating NUL");
    assert_memory_equal(got.name, "keep\0\0\0\0", 8);
    sample_clear(&got);
}

/*
 * Output zeroes what follows the terminator; input ignores it and zeroes
 * the rest of the buffer.  The longest string that fits (capacity - 1) is
 * accepted.
 */
static void test_legacy__string_buf_padding(void **state)
{
    static const guint8 want[] = { 'a', 'b', 0, 0, 0, 0, 0, 0 };
    static const guint8 stale[] = { 'a', 'b', 0, 'x', 'y', 'z', 'w', 'v' };
    static const guint8 full[] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    char buf[8];

    memcpy(buf, stale, sizeof(buf));
    {
        g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);

        assert_true(qidl_visit_string_buf(v, "name", buf, sizeof(buf),
                                          &error));
    }
    assert_bytes(out, want, sizeof(want));

    memset(buf, 'q', sizeof(buf));
    {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(stale, sizeof(stale), 0,
                                          QIDL_LEGACY_INPUT_NONE);

        assert_true(qidl_visit_string_buf(v, "name", buf, sizeof(buf),
                                          &error));
        assert_true(qidl_visitor_complete(v, &error));
    }
    assert_memory_equal(buf, want, sizeof(want));

    {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(full, sizeof(full), 0,
                                          QIDL_LEGACY_INPUT_NONE);

        assert_true(qidl_visit_string_buf(v, "name", buf, sizeof(buf),
                                          &error));
    }
    assert_null(error);
    assert_string_equal(buf, "abcdefg");
}

/* An unterminated buffer is saved as it is (VMSTATE_BUFFER writes it). */
static void test_legacy__string_buf_unterminated_output(void **state)
{
    static const guint8 want[] = { 'r', 't', 'c', 'r' };
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);
    char buf[4] = { 'r', 't', 'c', 'r' };

    assert_true(qidl_visit_string_buf(v, "name", buf, sizeof(buf), &error));
    assert_bytes(out, want, sizeof(want));
}

static void test_legacy__trailing_bytes_fail(void **state)
{
    static const guint8 extra[] = { 0xaa, 0xbb };
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = expected_sample();
    Sample got = { 0 };

    g_byte_array_append(bytes, extra, sizeof(extra));
    assert_false(load_sample(bytes->data, bytes->len, 0,
                             QIDL_LEGACY_INPUT_NONE, &got, &error));
    assert_qidl_error(error, QIDL_ERROR_UNKNOWN_FIELD,
                      "2 trailing bytes at byte offset 103");
    sample_clear(&got);
    g_clear_error(&error);

    assert_false(load_sample(bytes->data, bytes->len - 1, 4096,
                             QIDL_LEGACY_INPUT_NONE, &got, &error));
    assert_qidl_error(error, QIDL_ERROR_UNKNOWN_FIELD,
                      "1 trailing byte at byte offset 4199");
    sample_clear(&got);
}

static void test_legacy__trailing_bytes_allowed(void **state)
{
    static const guint8 extra[] = { 0xaa, 0xbb };
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = expected_sample();
    g_autoptr(QidlVisitor) v = NULL;
    Sample want;
    Sample got = { 0 };

    g_byte_array_append(bytes, extra, sizeof(extra));
    v = qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0,
                                      QIDL_LEGACY_INPUT_ALLOW_TRAILING);
    assert_true(sample_visit(v, "s", &got, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    /* The caller finds the next section where this one ended. */
    assert_int_equal(qidl_legacy_input_visitor_get_offset(v), 103);
    sample_init(&want);
    assert_true(sample_equal(&got, &want));
    sample_clear(&want);
    sample_clear(&got);
}

/* A struct with a counted list, as a GArray-backed field would be. */
typedef struct {
    guint8 head;
    guint32 n_ents;
    guint16 *ents;
} Queue;

static gboolean visit_queue(QidlVisitor *v, const char *name, Queue *obj,
                            GError **error)
{
    guint32 n = obj->n_ents;

    if (!qidl_visit_start_struct(v, name, error) ||
        !qidl_visit_uint8(v, "head", &obj->head, error) ||
        !qidl_visit_start_list(v, "ents", QIDL_LIST_COUNTED, &n,
                               sizeof(obj->ents[0]), error)) {
        return FALSE;
    }
    if (qidl_visitor_is_input(v)) {
        g_free(obj->ents);
        obj->ents = g_new0(guint16, n);
        obj->n_ents = n;
    }
    for (guint32 i = 0; i < n; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_uint16(v, NULL, &obj->ents[i], error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error) &&
           qidl_visit_end_struct(v, error);
}

static void test_legacy__counted_list_round_trip(void **state)
{
    static const guint8 wire[] = {
        /* head */
        0x07,
        /* ents: count 3, then the elements */
        0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0xbe, 0xef, 0xff, 0xff,
    };
    static const guint8 empty_wire[] = { 0x07, 0x00, 0x00, 0x00, 0x00 };
    guint16 ents[] = { 0x0001, 0xbeef, 0xffff };
    Queue q = { .head = 7, .n_ents = 3, .ents = ents };
    Queue empty = { .head = 7 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GByteArray) empty_out = g_byte_array_new();
    Queue got = { 0 };

    {
        g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);

        assert_true(visit_queue(v, "q", &q, &error));
    }
    assert_bytes(out, wire, sizeof(wire));
    {
        g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(empty_out);

        assert_true(visit_queue(v, "q", &empty, &error));
    }
    assert_bytes(empty_out, empty_wire, sizeof(empty_wire));

    {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(wire, sizeof(wire), 0,
                                          QIDL_LEGACY_INPUT_NONE);

        assert_true(visit_queue(v, "q", &got, &error));
        assert_true(qidl_visitor_complete(v, &error));
    }
    assert_null(error);
    assert_int_equal(got.head, 7);
    assert_int_equal(got.n_ents, 3);
    assert_memory_equal(got.ents, ents, sizeof(ents));

    {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(empty_wire, sizeof(empty_wire), 0,
                                          QIDL_LEGACY_INPUT_NONE);

        assert_true(visit_queue(v, "q", &got, &error));
        assert_true(qidl_visitor_complete(v, &error));
    }
    assert_null(error);
    assert_int_equal(got.n_ents, 0);
    g_free(got.ents);
}

/*
 * A counted list of empty structs: elements take no bytes, so the count
 * is bounded by the limit alone.  @wire is a count and nothing else.
 */
static gboolean visit_empty_structs(const guint8 *wire, guint32 *count,
                                    GError **error)
{
    g_autoptr(QidlVisitor) v =
        qidl_legacy_input_visitor_new(wire, 4, 0, QIDL_LEGACY_INPUT_NONE);
    guint32 n = 0;

    if (!qidl_visit_start_struct(v, "q", error) ||
        !qidl_visit_start_list(v, "ents", QIDL_LIST_COUNTED, &n, 0, error)) {
        *count = n;
        return FALSE;
    }
    for (guint32 i = 0; i < n; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_start_struct(v, NULL, error) ||
            !qidl_visit_end_struct(v, error)) {
            return FALSE;
        }
    }
    *count = n;
    return qidl_visit_end_list(v, error) &&
           qidl_visit_end_struct(v, error) &&
           qidl_visitor_complete(v, error);
}

static void test_legacy__counted_list_at_limit(void **state)
{
    static const guint8 five[] = { 0x00, 0x00, 0x00, 0x05 };
    static const guint8 limit[] = { 0x01, 0x00, 0x00, 0x00 };
    g_autoptr(GError) error = NULL;
    guint32 count = 0;

    G_STATIC_ASSERT(QIDL_LIMIT_LIST_LEN == 0x01000000);
    assert_true(visit_empty_structs(five, &count, &error));
    assert_int_equal(count, 5);
    assert_true(visit_empty_structs(limit, &count, &error));
    assert_null(error);
    assert_int_equal(count, QIDL_LIMIT_LIST_LEN);
}

static void test_legacy__counted_list_over_limit_fail(void **state)
{
    static const struct {
        guint8 wire[4];
        const char *message;
    } cases[] = {
        { { 0x01, 0x00, 0x00, 0x01 },
          "q.ents: count 16777217 at byte offset 0 exceeds the limit of "
          "16777216" },
        { { 0xff, 0xff, 0xff, 0xff },
          "q.ents: count 4294967295 at byte offset 0 exceeds the limit of "
          "16777216" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        guint32 count = 12345;

        assert_false(visit_empty_structs(cases[i].wire, &count, &error));
        assert_qidl_error(error, QIDL_ERROR_LIMIT, cases[i].message);
        /* The caller's count is left as it was. */
        assert_int_equal(count, 0);
    }
}

static void test_legacy__counted_list_truncated_fail(void **state)
{
    static const guint8 wire[] = { 0x07, 0x00, 0x00, 0x00, 0x02, 0x00 };
    g_autoptr(GError) error = NULL;
    Queue got = { 0 };

    {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(wire, 3, 0, QIDL_LEGACY_INPUT_NONE);

        assert_false(visit_queue(v, "q", &got, &error));
    }
    assert_qidl_error(error, QIDL_ERROR_TRUNCATED,
                      "q.ents: need 4 bytes at byte offset 1, 2 left");
    g_clear_error(&error);

    {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(wire, sizeof(wire), 0,
                                          QIDL_LEGACY_INPUT_NONE);

        assert_false(visit_queue(v, "q", &got, &error));
    }
    assert_qidl_error(error, QIDL_ERROR_TRUNCATED,
                      "q.ents[0]: need 2 bytes at byte offset 5, 1 left");
    g_free(got.ents);
}

/*
 * Enters a sized list of @count elements of @elem_size bytes in memory,
 * with @left bytes of input left at stream offset 10.
 */
static gboolean start_sized(gsize left, guint32 count, gsize elem_size,
                            GError **error)
{
    static const guint8 wire[4] = { 1, 2, 3, 4 };
    g_autoptr(QidlVisitor) v =
        qidl_legacy_input_visitor_new(wire, left, 10,
                                      QIDL_LEGACY_INPUT_NONE);

    g_assert(left <= sizeof(wire));
    return qidl_visit_start_struct(v, "q", error) &&
           qidl_visit_start_list(v, "ents", QIDL_LIST_SIZED, &count,
                                 elem_size, error);
}

/*
 * A sized list's count is not on the wire, and a size_is heap array is
 * allocated from it: a count above the bytes left is refused before the
 * caller allocates, since an element takes at least a byte (finding 2 of
 * docs/security.md).  Lists of at most QIDL_LIMIT_LEGACY_UNBACKED bytes
 * of memory are admitted whatever is left: their elements may be empty
 * structs, which take no byte.
 */
static void test_legacy__sized_list_bounded_by_bytes_left_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    guint32 max_empty = QIDL_LIMIT_LEGACY_UNBACKED / 4;

    G_STATIC_ASSERT(QIDL_LIMIT_LEGACY_UNBACKED == 65536);
    assert_true(start_sized(3, 3, 1, &error));
    assert_true(start_sized(4, 4, 1 << 20, &error));
    assert_true(start_sized(0, max_empty, 4, &error));
    assert_true(start_sized(3, 65536, 1, &error));
    assert_null(error);

    assert_false(start_sized(3, 65537, 1, &error));
    assert_qidl_error(error, QIDL_ERROR_TRUNCATED,
                      "q.ents: 65537 elements at byte offset 10 need at "
                      "least as many bytes, 3 left");
    g_clear_error(&error);
    assert_false(start_sized(3, 4, 1 << 20, &error));
    assert_qidl_error(error, QIDL_ERROR_TRUNCATED,
                      "q.ents: 4 elements at byte offset 10 need at least "
                      "as many bytes, 3 left");
    g_clear_error(&error);
    assert_false(start_sized(0, max_empty + 1, 4, &error));
    assert_qidl_error(error, QIDL_ERROR_TRUNCATED,
                      "q.ents: 16385 elements at byte offset 10 need at "
                      "least as many bytes, 0 left");
    g_clear_error(&error);
    assert_false(start_sized(4, QIDL_LIMIT_LIST_LEN, 8, &error));
    assert_qidl_error(error, QIDL_ERROR_TRUNCATED,
                      "q.ents: 16777216 elements at byte offset 10 need "
                      "at least as many bytes, 4 left");
}

/* 255 bytes is the longest heap string a length byte can carry. */
static void test_legacy__string_longest(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *s = g_strnfill(255, 'a');
    g_autofree char *got = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();

    {
        g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);

        assert_true(qidl_visit_string(v, "label", &s, &error));
    }
    assert_int_equal(out->len, 256);
    assert_int_equal(out->data[0], 0xff);
    assert_memory_equal(out->data + 1, s, 255);
    {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(out->data, out->len, 0,
                                          QIDL_LEGACY_INPUT_NONE);

        assert_true(qidl_visit_string(v, "label", &got, &error));
        assert_true(qidl_visitor_complete(v, &error));
    }
    assert_null(error);
    assert_string_equal(got, s);
}

static void test_legacy__string_too_long_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);
    Sample s;

    sample_init(&s);
    g_free(s.label);
    s.label = g_strnfill(256, 'a');
    assert_false(sample_visit(v, "s", &s, &error));
    assert_qidl_error(error, QIDL_ERROR_UNSUPPORTED,
                      "s.label: string of 256 bytes does not fit the legacy "
                      "length byte (at most 255)");
    /* Nothing of the string was written. */
    assert_int_equal(out->len, 43);
    sample_clear(&s);
}

/* NULL is saved as the empty string: a zero length byte. */
static void test_legacy__string_null(void **state)
{
    static const guint8 want[] = { 0x00 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autofree char *got = NULL;
    char *s = NULL;

    {
        g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);

        assert_true(qidl_visit_string(v, "label", &s, &error));
    }
    assert_bytes(out, want, sizeof(want));
    {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(want, sizeof(want), 0,
                                          QIDL_LEGACY_INPUT_NONE);

        assert_true(qidl_visit_string(v, "label", &got, &error));
    }
    assert_null(error);
    assert_string_equal(got, "");
}

static void test_legacy__string_nul_fail(void **state)
{
    static const guint8 wire[] = { 0x03, 'a', 0x00, 'b' };
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) v =
        qidl_legacy_input_visitor_new(wire, sizeof(wire), 100,
                                      QIDL_LEGACY_INPUT_NONE);
    char *got = NULL;

    assert_false(qidl_visit_string(v, "label", &got, &error));
    assert_qidl_error(error, QIDL_ERROR_INVALID,
                      "label: string at byte offset 101 holds a NUL byte");
    assert_null(got);
}

static void test_legacy__get_offset(void **state)
{
    static const guint8 wire[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) v =
        qidl_legacy_input_visitor_new(wire, sizeof(wire), 500,
                                      QIDL_LEGACY_INPUT_NONE);
    guint8 u8;
    guint16 u16;
    guint32 u32;

    assert_int_equal(qidl_visitor_get_type(v), QIDL_VISITOR_INPUT);
    assert_int_equal(qidl_legacy_input_visitor_get_offset(v), 0);
    assert_true(qidl_visit_start_struct(v, "g", &error));
    assert_true(qidl_visit_uint8(v, "a", &u8, &error));
    assert_int_equal(qidl_legacy_input_visitor_get_offset(v), 1);
    assert_true(qidl_visit_uint16(v, "b", &u16, &error));
    assert_int_equal(qidl_legacy_input_visitor_get_offset(v), 3);
    assert_true(qidl_visit_uint32(v, "c", &u32, &error));
    assert_int_equal(qidl_legacy_input_visitor_get_offset(v), 7);
    assert_true(qidl_visit_end_struct(v, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    assert_int_equal(u8, 0x01);
    assert_int_equal(u16, 0x0203);
    assert_int_equal(u32, 0x04050607);
}

static void test_legacy__output_type(void **state)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);

    assert_int_equal(qidl_visitor_get_type(v), QIDL_VISITOR_OUTPUT);
    assert_false(qidl_visitor_is_input(v));
}

/*
 * A GByteArray holds at most G_MAXUINT bytes: one more is refused before
 * anything is read from the buffer (which is why a tiny one will do).
 */
static void test_legacy__output_too_large_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);
    guint8 tiny[1] = { 0 };
    gsize len;

    if (sizeof(gsize) <= sizeof(guint)) {
        skip();
    }
    len = (gsize)G_MAXUINT + 1;
    assert_false(qidl_visit_bytes(v, "blob", tiny, len, &error));
    assert_qidl_error(error, QIDL_ERROR_LIMIT,
                      "blob: 4294967296 more bytes would make the output "
                      "longer than 4294967295 bytes");
    assert_int_equal(out->len, 0);
}

static void test_legacy__bytes_truncated_fail(void **state)
{
    static const guint8 wire[] = { 0x01, 0x02, 0x03 };
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) v =
        qidl_legacy_input_visitor_new(wire, sizeof(wire), 0,
                                      QIDL_LEGACY_INPUT_NONE);
    guint8 buf[4] = { 9, 9, 9, 9 };

    assert_false(qidl_visit_bytes(v, "blob", buf, sizeof(buf), &error));
    assert_qidl_error(error, QIDL_ERROR_TRUNCATED,
                      "blob: need 4 bytes at byte offset 0, 3 left");
    assert_memory_equal(buf, "\x09\x09\x09\x09", 4);
}

static void test_legacy__free_null(void **state)
{
    qidl_visitor_free(NULL);
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
        if (!qidl_visit_scalar_array(v, "a", kind, QIDL_LIST_FIXED, n,
                                     array, error)) {
            return FALSE;
        }
    } else {
        if (!qidl_visit_start_list(v, "a", QIDL_LIST_FIXED, &count, size,
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

static GByteArray *save_array(QidlKind kind, guint32 n, void *array,
                              gboolean bulk)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);
    g_autoptr(GError) error = NULL;

    assert_true(visit_array(v, kind, n, array, bulk, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    return out;
}

/* Loads @n values of @kind (after filling @array with 0xee). */
static GError *load_array(const guint8 *data, gsize len, QidlKind kind,
                          guint32 n, void *array, gboolean bulk)
{
    g_autoptr(QidlVisitor) v =
        qidl_legacy_input_visitor_new(data, len, 100, QIDL_LEGACY_INPUT_NONE);
    GError *error = NULL;

    memset(array, 0xee, n * qidl_kind_size(kind));
    if (visit_array(v, kind, n, array, bulk, &error)) {
        qidl_visitor_complete(v, &error);
    }
    return error;
}

/* The bytes, by hand: big-endian values back to back. */
static void test_legacy__scalar_array_bytes(void **state)
{
    guint16 u16[2] = { 0x0102, 0xa0b0 };
    gint32 i32[2] = { -2, 0x01020304 };
    double d[1] = { 1.0 };
    bool b[3] = { true, false, true };
    static const guint8 want_u16[] = { 0x01, 0x02, 0xa0, 0xb0 };
    static const guint8 want_i32[] = { 0xff, 0xff, 0xff, 0xfe,
                                       0x01, 0x02, 0x03, 0x04 };
    static const guint8 want_d[] = { 0x3f, 0xf0, 0, 0, 0, 0, 0, 0 };
    static const guint8 want_b[] = { 1, 0, 1 };
    g_autoptr(GByteArray) o1 = save_array(QIDL_KIND_UINT16, 2, u16, TRUE);
    g_autoptr(GByteArray) o2 = save_array(QIDL_KIND_INT32, 2, i32, TRUE);
    g_autoptr(GByteArray) o3 = save_array(QIDL_KIND_DOUBLE, 1, d, TRUE);
    g_autoptr(GByteArray) o4 = save_array(QIDL_KIND_BOOL, 3, b, TRUE);
    g_autoptr(GByteArray) o5 = save_array(QIDL_KIND_UINT8, 0, NULL, TRUE);

    assert_bytes(o1, want_u16, sizeof(want_u16));
    assert_bytes(o2, want_i32, sizeof(want_i32));
    assert_bytes(o3, want_d, sizeof(want_d));
    assert_bytes(o4, want_b, sizeof(want_b));
    assert_int_equal(o5->len, 0);
}

/* The same bytes either way, and back, for every kind. */
static void test_legacy__scalar_array_same_as_elements(void **state)
{
    static const guint32 counts[] = { 0, 1, 5, 300 };

    for (gsize k = 0; k < G_N_ELEMENTS(array_kinds); k++) {
        for (gsize c = 0; c < G_N_ELEMENTS(counts); c++) {
            QidlKind kind = array_kinds[k];
            guint32 n = counts[c];
            gsize len = n * qidl_kind_size(kind);
            g_autofree guint8 *src = g_malloc(len + 1);
            g_autofree guint8 *dst = g_malloc(len + 1);
            g_autoptr(GByteArray) loop = NULL;
            g_autoptr(GByteArray) bulk = NULL;

            for (gsize i = 0; i < len; i++) {
                src[i] = kind == QIDL_KIND_BOOL ? (guint8)(i % 3 == 1)
                                                : (guint8)(0x91 + 37 * i);
            }
            loop = save_array(kind, n, src, FALSE);
            bulk = save_array(kind, n, src, TRUE);
            assert_bytes(bulk, loop->data, loop->len);
            for (int b = 0; b < 2; b++) {
                g_autoptr(GError) error =
                    load_array(bulk->data, bulk->len, kind, n, dst, b);

                assert_null(error);
                assert_memory_equal(src, dst, len);
            }
        }
    }
}

/*
 * Truncated at every offset: the same error (the element, its offset,
 * what is left) and the same elements loaded, element by element or not.
 */
static void test_legacy__scalar_array_truncated_fail(void **state)
{
    guint32 src[4] = { 1, 2, 3, 4 };
    g_autoptr(GByteArray) wire = save_array(QIDL_KIND_UINT32, 4, src, TRUE);

    for (gsize len = 0; len < wire->len; len++) {
        guint32 loop_dst[4], bulk_dst[4];
        g_autoptr(GError) loop = load_array(wire->data, len,
                                            QIDL_KIND_UINT32, 4, loop_dst,
                                            FALSE);
        g_autoptr(GError) bulk = load_array(wire->data, len,
                                            QIDL_KIND_UINT32, 4, bulk_dst,
                                            TRUE);
        g_autofree char *want = g_strdup_printf(
            "dev.a[%" G_GSIZE_FORMAT "]: need 4 bytes at byte offset %"
            G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT " left", len / 4,
            100 + len / 4 * 4, len % 4);

        assert_qidl_error(loop, QIDL_ERROR_TRUNCATED, want);
        assert_qidl_error(bulk, QIDL_ERROR_TRUNCATED, want);
        assert_memory_equal(loop_dst, bulk_dst, sizeof(loop_dst));
    }
}

static void test_legacy__scalar_array_bool_invalid_fail(void **state)
{
    static const guint8 wire[] = { 1, 0, 2, 1 };

    for (int b = 0; b < 2; b++) {
        bool dst[4];
        g_autoptr(GError) error = load_array(wire, sizeof(wire),
                                             QIDL_KIND_BOOL, 4, dst, b);

        assert_qidl_error(error, QIDL_ERROR_INVALID,
                          "dev.a[2]: invalid bool value 2 at byte offset 102");
        assert_true(dst[0]);
        assert_false(dst[1]);
    }
}

/* ---- qidl_visit_scalar_fields() ---- */

/* fields_dev_init()'s FieldsDev: its values back to back, big-endian. */
static const guint8 fields_wire[] = {
    0xa5,                                            /* head */
    0x01,                                            /* flag */
    0xfe,                                            /* i8 = -2 */
    0x10,                                            /* u8 */
    0xfe, 0xd4,                                      /* i16 = -300 */
    0xbe, 0xef,                                      /* u16 */
    0xff, 0xfe, 0xee, 0x90,                          /* i32 = -70000 */
    0xde, 0xad, 0xbe, 0xef,                          /* u32 */
    0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  /* i64 */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,  /* u64 */
    0x3f, 0xc0, 0x00, 0x00,                          /* f = 1.5 */
    0xbf, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a,  /* d = -0.1 */
    0x5a,                                            /* tail */
};

/* Saves @d after @prefix bytes already in the output. */
static GByteArray *save_fields(FieldsDev *d, gsize prefix, gboolean bulk)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);
    g_autoptr(GError) error = NULL;

    for (gsize i = 0; i < prefix; i++) {
        g_byte_array_append(out, (const guint8 *)"\x77", 1);
    }
    assert_true(fields_dev_visit(v, "dev", d, fields_run, FIELDS_RUN_LEN,
                                 bulk, &error));
    assert_true(qidl_visitor_complete(v, &error));
    assert_null(error);
    return out;
}

/* Loads @len bytes into @d, first filled with 0xee; returns the error. */
static GError *load_fields(const guint8 *data, gsize len, FieldsDev *d,
                           gboolean bulk)
{
    g_autoptr(QidlVisitor) v =
        qidl_legacy_input_visitor_new(data, len, 100, QIDL_LEGACY_INPUT_NONE);
    GError *error = NULL;

    memset(d, 0xee, sizeof(*d));
    if (fields_dev_visit(v, "dev", d, fields_run, FIELDS_RUN_LEN, bulk,
                         &error)) {
        qidl_visitor_complete(v, &error);
    }
    return error;
}

/* The bytes by hand, either way, after other bytes or not; and back. */
static void test_legacy__scalar_fields_bytes(void **state)
{
    FieldsDev src;

    fields_dev_init(&src);
    for (int b = 0; b < 2; b++) {
        g_autoptr(GByteArray) out = save_fields(&src, 0, b);
        g_autoptr(GByteArray) after = save_fields(&src, 3, b);

        assert_bytes(out, fields_wire, sizeof(fields_wire));
        assert_int_equal(after->len, 3 + sizeof(fields_wire));
        assert_memory_equal(after->data, "\x77\x77\x77", 3);
        assert_memory_equal(after->data + 3, fields_wire,
                            sizeof(fields_wire));
        for (int lb = 0; lb < 2; lb++) {
            FieldsDev dst;
            g_autoptr(GError) error = load_fields(out->data, out->len, &dst,
                                                  lb);

            assert_null(error);
            assert_int_equal(dst.head, src.head);
            for (guint i = 0; i < FIELDS_RUN_LEN; i++) {
                assert_memory_equal((guint8 *)&dst + fields_run[i].offset,
                                    (guint8 *)&src + fields_run[i].offset,
                                    qidl_kind_size(fields_run[i].kind));
            }
            assert_int_equal(dst.tail, src.tail);
        }
    }
}

/*
 * Cut at every offset: the same error (the field, its offset, what is
 * left) and the same fields loaded, field by field or not.
 */
static void test_legacy__scalar_fields_truncated_fail(void **state)
{
    for (gsize len = 0; len < sizeof(fields_wire); len++) {
        FieldsDev loop_dst, bulk_dst;
        g_autoptr(GError) loop = load_fields(fields_wire, len, &loop_dst,
                                             FALSE);
        g_autoptr(GError) bulk = load_fields(fields_wire, len, &bulk_dst,
                                             TRUE);

        assert_non_null(loop);
        assert_qidl_error(bulk, QIDL_ERROR_TRUNCATED, loop->message);
        assert_int_equal(loop->code, QIDL_ERROR_TRUNCATED);
        assert_memory_equal(&loop_dst, &bulk_dst, sizeof(loop_dst));
    }
    /* Two of them in full. */
    {
        FieldsDev dst;
        g_autoptr(GError) e1 = load_fields(fields_wire, 3, &dst, TRUE);
        g_autoptr(GError) e2 = load_fields(fields_wire, 43, &dst, TRUE);

        assert_qidl_error(e1, QIDL_ERROR_TRUNCATED,
                          "dev.u8: need 1 byte at byte offset 103, 0 left");
        assert_qidl_error(e2, QIDL_ERROR_TRUNCATED,
                          "dev.d: need 8 bytes at byte offset 136, 7 left");
        /* Loaded up to f, d untouched. */
        assert_true(dst.f == 1.5f);
        assert_memory_equal(&dst.d, "\xee\xee\xee\xee\xee\xee\xee\xee",
                            8);
    }
}

/* A bool byte other than 0 or 1: refused either way, as by the field. */
static void test_legacy__scalar_fields_bool_invalid_fail(void **state)
{
    static const guint8 bad[] = { 2, 0x80, 0xff };

    for (gsize k = 0; k < G_N_ELEMENTS(bad); k++) {
        guint8 wire[sizeof(fields_wire)];
        g_autofree char *want = g_strdup_printf(
            "dev.flag: invalid bool value %u at byte offset 101", bad[k]);

        memcpy(wire, fields_wire, sizeof(wire));
        wire[1] = bad[k];
        for (int b = 0; b < 2; b++) {
            FieldsDev dst;
            g_autoptr(GError) error = load_fields(wire, sizeof(wire), &dst,
                                                  b);

            assert_qidl_error(error, QIDL_ERROR_INVALID, want);
            assert_int_equal(dst.head, 0xa5);
            assert_int_equal(dst.i8, (gint8)0xee);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy__sample_bytes),
        cmocka_unit_test(test_legacy__sample_round_trip),
        cmocka_unit_test(test_legacy__sample_without_extra),
        cmocka_unit_test(test_legacy__scalar_bytes),
        cmocka_unit_test(test_legacy__nan_bits),
        cmocka_unit_test(test_legacy__scalar_truncated_fail),
        cmocka_unit_test(test_legacy__truncated_every_offset_fail),
        cmocka_unit_test(test_legacy__truncated_base_offset_fail),
        cmocka_unit_test(test_legacy__truncated_messages_fail),
        cmocka_unit_test(test_legacy__bool_invalid_fail),
        cmocka_unit_test(test_legacy__presence_invalid_fail),
        cmocka_unit_test(test_legacy__presence_default),
        cmocka_unit_test(test_legacy__string_buf_unterminated_fail),
        cmocka_unit_test(test_legacy__string_buf_padding),
        cmocka_unit_test(test_legacy__string_buf_unterminated_output),
        cmocka_unit_test(test_legacy__trailing_bytes_fail),
        cmocka_unit_test(test_legacy__trailing_bytes_allowed),
        cmocka_unit_test(test_legacy__counted_list_round_trip),
        cmocka_unit_test(test_legacy__counted_list_at_limit),
        cmocka_unit_test(test_legacy__counted_list_over_limit_fail),
        cmocka_unit_test(test_legacy__counted_list_truncated_fail),
        cmocka_unit_test(test_legacy__sized_list_bounded_by_bytes_left_fail),
        cmocka_unit_test(test_legacy__string_longest),
        cmocka_unit_test(test_legacy__string_too_long_fail),
        cmocka_unit_test(test_legacy__string_null),
        cmocka_unit_test(test_legacy__string_nul_fail),
        cmocka_unit_test(test_legacy__get_offset),
        cmocka_unit_test(test_legacy__output_type),
        cmocka_unit_test(test_legacy__output_too_large_fail),
        cmocka_unit_test(test_legacy__bytes_truncated_fail),
        cmocka_unit_test(test_legacy__free_null),
        cmocka_unit_test(test_legacy__scalar_array_bytes),
        cmocka_unit_test(test_legacy__scalar_array_same_as_elements),
        cmocka_unit_test(test_legacy__scalar_array_truncated_fail),
        cmocka_unit_test(test_legacy__scalar_array_bool_invalid_fail),
        cmocka_unit_test(test_legacy__scalar_fields_bytes),
        cmocka_unit_test(test_legacy__scalar_fields_truncated_fail),
        cmocka_unit_test(test_legacy__scalar_fields_bool_invalid_fail),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
