/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the native stream (stream.h, docs/stream-format.md): the
 * writer, the direct reader, the tree reader and the JSON form, round trips
 * through all of them, the exact bytes of a small stream, compression, and
 * hostile input (every single-bit flip, every truncation, crafted records
 * with valid checksums).
 *
 * Crafted streams are checksummed with a bit-at-a-time CRC-32C
 * (tests/common/stream-seal.c), independent of the library's.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/json.h>
#include <qidl/stream.h>

#include "fields.h"
#include "sample.h"
#include "stream-seal.h"

/* ---- helpers ---- */

static void insert_bytes(GByteArray *s, gsize at, const guint8 *data,
                         gsize len)
{
    gsize old = s->len;

    g_byte_array_set_size(s, (guint)(old + len));
    memmove(s->data + at + len, s->data + at, old - at);
    memcpy(s->data + at, data, len);
}

/* Offset of the end record of a plain stream. */
static gsize end_offset(const GByteArray *s)
{
    return s->len - 17;
}

/* Inserts a record (kind, body) at @at and fixes the checksums. */
static void insert_record(GByteArray *s, gsize at, guint8 kind,
                          const guint8 *body, guint32 len)
{
    g_autoptr(GByteArray) rec = g_byte_array_new();
    guint8 head[5] = { kind };

    test_put32(head + 1, len);
    g_byte_array_append(rec, head, 5);
    g_byte_array_append(rec, body, len);
    g_byte_array_append(rec, (const guint8 *)"\0\0\0\0", 4);
    insert_bytes(s, at, rec->data, rec->len);
    test_stream_fix_checksums(s);
}

#define assert_error(err, code_)                                           \
    do {                                                                   \
        assert_non_null(err);                                              \
        if ((err)->domain != QIDL_ERROR || (err)->code != (code_)) {       \
            fail_msg("expected code %d, got %d: %s", (code_), (err)->code, \
                     (err)->message);                                      \
        }                                                                  \
    } while (0)

#define assert_message(err, text)                                          \
    do {                                                                   \
        if (strcmp((err)->message, (text)) != 0) {                         \
            fail_msg("message \"%s\", expected \"%s\"", (err)->message,    \
                     (text));                                              \
        }                                                                  \
    } while (0)

static void assert_bytes_equal(const GByteArray *a, const GByteArray *b)
{
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->data, b->data, a->len);
}

/* The small device of the spec's example (docs/stream-format.md). */
typedef struct {
    guint8 irr;
    guint16 regs[2];
} Pic;

static gboolean visit_pic(QidlVisitor *v, const char *name, Pic *obj,
                          GError **error)
{
    guint32 n = 2;

    if (!qidl_visit_start_struct(v, name, error) ||
        !qidl_visit_uint8(v, "irr", &obj->irr, error) ||
        !qidl_visit_start_list(v, "regs", QIDL_LIST_FIXED, &n,
                               sizeof(obj->regs[0]), error)) {
        return FALSE;
    }
    for (guint32 i = 0; i < n; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_uint16(v, NULL, &obj->regs[i], error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error) &&
           qidl_visit_end_struct(v, error);
}

/* The same state visited as a wider irr: the direct reader's mismatch. */
static gboolean visit_pic_wide(QidlVisitor *v, const char *name, Pic *obj,
                               GError **error)
{
    guint16 irr = 0;

    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_uint16(v, "irr", &irr, error) &&
           qidl_visit_end_struct(v, error);
}

static const guint8 golden[] = {
    /* header */
    0x89, 0x51, 0x49, 0x44, 0x4c, 0x0d, 0x0a, 0x1a,  /* magic */
    0x01, 0x00, 0x00, 0x00,                          /* format 1.0 */
    0x00, 0x00, 0x00, 0x00,                          /* flags */
    0x01, 0x00, 0x74,                                /* producer "t" */
    0x01, 0x00, 0x31,                                /* version "1" */
    0x81, 0x6b, 0x79, 0x5a,                          /* header CRC */
    /* device record at 26 */
    0x01, 0x3f, 0x00, 0x00, 0x00,                    /* kind, length 63 */
    0x05, 0x00, 0x69, 0x38, 0x32, 0x35, 0x39,        /* "i8259" */
    0x0c, 0x00, 0x2f, 0x6d, 0x61, 0x63, 0x68, 0x69, 0x6e, 0x65,
    0x2f, 0x70, 0x69, 0x63,                          /* "/machine/pic" */
    0x01, 0x00, 0x00, 0x00,                          /* version 1 */
    0x03, 0x00,                                      /* 3 new names */
    0x03, 0x70, 0x69, 0x63,                          /* 0 "pic" */
    0x03, 0x69, 0x72, 0x72,                          /* 1 "irr" */
    0x04, 0x72, 0x65, 0x67, 0x73,                    /* 2 "regs" */
    0x00, 0x00, 0x0e, 0x02, 0x00, 0x00, 0x00,        /* pic: struct, 2 */
    0x01, 0x00, 0x03, 0x10,                          /* irr: uint8 0x10 */
    0x02, 0x00, 0x0f, 0x05, 0x02, 0x00, 0x00, 0x00,  /* regs: uint16[2] */
    0x01, 0x00, 0x02, 0x00,                          /* 1, 2 */
    0x0f, 0x9a, 0x60, 0x45,                          /* record CRC */
    /* end record at 98 */
    0x02, 0x08, 0x00, 0x00, 0x00,                    /* kind, length 8 */
    0x01, 0x00, 0x00, 0x00,                          /* 1 record */
    0x69, 0x90, 0xb3, 0x9b,                          /* CRC of 0..97 */
    0x4c, 0xe0, 0xed, 0x32,                          /* record CRC */
};

static GByteArray *write_pic(QidlStreamWriteFlags flags)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1",
                                                           flags);
    g_autoptr(GError) error = NULL;
    Pic pic = { 0x10, { 1, 2 } };
    QidlVisitor *v;

    v = qidl_stream_writer_begin_device(w, "i8259", "/machine/pic", 1);
    assert_true(visit_pic(v, "pic", &pic, &error));
    assert_true(qidl_stream_writer_end_device(w, &error));
    assert_true(qidl_stream_writer_finish(w, &error));
    assert_null(error);
    return out;
}

static GByteArray *golden_copy(void)
{
    GByteArray *s = g_byte_array_new();

    g_byte_array_append(s, golden, sizeof(golden));
    return s;
}

/* A stream with two sample devices, metadata and optional flags set. */
static GByteArray *write_samples(QidlStreamWriteFlags flags)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlStreamInfo) info = qidl_stream_info_new("qidl-test",
                                                          "0.1.0");
    g_autoptr(QidlStreamWriter) w = NULL;
    g_autoptr(GError) error = NULL;
    Sample s;

    qidl_stream_info_set_metadata(info, "machine", "pc-q35-7.2");
    qidl_stream_info_set_metadata(info, "host", "a.example");
    w = qidl_stream_writer_new_full(out, info, flags);
    sample_init(&s);
    assert_true(sample_visit(qidl_stream_writer_begin_device(
                                 w, "sample", "/machine/sample0", 2),
                             "sample0", &s, &error));
    assert_true(qidl_stream_writer_end_device(w, &error));
    s.has_extra = false;
    s.thr = 9;
    s.fifo_len = 0;
    assert_true(sample_visit(qidl_stream_writer_begin_device(
                                 w, "sample", "/machine/sample1", 2),
                             "sample1", &s, &error));
    assert_true(qidl_stream_writer_end_device(w, &error));
    assert_true(qidl_stream_writer_finish(w, &error));
    assert_null(error);
    sample_clear(&s);
    return out;
}

/* stream -> JSON text -> JSON -> stream, which must be @s again. */
static void assert_json_identical(const GByteArray *s)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) json = qidl_stream_to_json(s->data, s->len, &error);
    g_autoptr(JsonNode) parsed = NULL;
    g_autoptr(GByteArray) back = g_byte_array_new();
    g_autofree char *text = NULL;

    assert_null(error);
    assert_non_null(json);
    text = qidl_json_to_string(json, TRUE);
    parsed = qidl_json_parse(text, -1, &error);
    assert_null(error);
    assert_true(qidl_stream_from_json(parsed, back, &error));
    assert_null(error);
    assert_bytes_equal(s, back);
}

/* stream -> tree -> stream, which must be @s again. */
static void assert_tree_identical(const GByteArray *s)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(s->data, s->len, &info,
                                                     &error);
    g_autoptr(GByteArray) back = g_byte_array_new();

    assert_null(error);
    assert_non_null(tree);
    assert_true(qidl_stream_write_tree(
        tree, info,
        qidl_stream_info_get_compressed(info) ? QIDL_STREAM_WRITE_ZSTD : 0,
        back, &error));
    assert_null(error);
    assert_bytes_equal(s, back);
}

/* ---- checksum ---- */

static void test_stream__crc32c_check_value(void **state)
{
    /* The library's CRC is only reachable through streams: the golden
     * stream's CRCs were computed with the reference above. */
    assert_int_equal(test_ref_crc32c((const guint8 *)"123456789", 9),
                     0xe3069283);
    assert_int_equal(test_ref_crc32c(golden, 22), test_get32(golden + 22));
}

/* ---- exact bytes ---- */

static void test_stream__golden_hex(void **state)
{
    g_autoptr(GByteArray) s = write_pic(0);
    g_autoptr(GByteArray) g = golden_copy();

    assert_bytes_equal(s, g);
}

static void test_stream__golden_reads_back(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(golden, sizeof(golden),
                                                     &info, &error);
    QidlNode *pic;

    assert_null(error);
    assert_string_equal(qidl_stream_info_get_producer(info), "t");
    assert_string_equal(qidl_stream_info_get_producer_version(info), "1");
    assert_int_equal(qidl_stream_info_get_format_major(info), 1);
    assert_int_equal(qidl_stream_info_get_format_minor(info), 0);
    assert_false(qidl_stream_info_get_compressed(info));
    pic = qidl_node_get_child(qidl_tree_get_root(tree), "pic");
    assert_non_null(pic);
    assert_true(qidl_node_is_device(pic));
    assert_string_equal(qidl_node_get_type_name(pic), "i8259");
    assert_string_equal(qidl_node_get_instance_path(pic), "/machine/pic");
    assert_int_equal(qidl_node_get_version(pic), 1);
    assert_int_equal(qidl_node_get_kind(qidl_node_find(pic, "irr")),
                     QIDL_KIND_UINT8);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(pic, "regs[1]")), 2);
    assert_int_equal(qidl_node_get_kind(qidl_node_find(pic, "regs[1]")),
                     QIDL_KIND_UINT16);
}

/* ---- round trips ---- */

static QidlNode *add(QidlNode *parent, QidlNode *child)
{
    assert_true(qidl_node_append(parent, child, NULL));
    return child;
}

/*
 * A tree with every scalar kind at its extremes, strings, bytes, and every
 * list shape: packed per kind, tagged (mixed kinds), empty, nested,
 * of structs, of strings.
 */
static QidlTree *every_shape_tree(void)
{
    QidlTree *t = qidl_tree_new();
    QidlNode *dev = qidl_node_new_struct(t, "all");
    QidlNode *l, *s, *inner;
    static const QidlKind uk[] = { QIDL_KIND_UINT8, QIDL_KIND_UINT16,
                                   QIDL_KIND_UINT32, QIDL_KIND_UINT64 };
    static const guint64 umax[] = { G_MAXUINT8, G_MAXUINT16, G_MAXUINT32,
                                    G_MAXUINT64 };
    static const QidlKind ik[] = { QIDL_KIND_INT8, QIDL_KIND_INT16,
                                   QIDL_KIND_INT32, QIDL_KIND_INT64 };
    static const gint64 imin[] = { G_MININT8, G_MININT16, G_MININT32,
                                   G_MININT64 };
    static const gint64 imax[] = { G_MAXINT8, G_MAXINT16, G_MAXINT32,
                                   G_MAXINT64 };
    static const guint8 blob[] = { 0, 0xff, 0x10 };

    qidl_node_set_device(dev, "every-shape", "/machine/all", 7);
    add(qidl_tree_get_root(t), dev);
    add(dev, qidl_node_new_bool(t, "t", TRUE));
    add(dev, qidl_node_new_bool(t, "f", FALSE));
    for (guint i = 0; i < 4; i++) {
        g_autofree char *a = g_strdup_printf("%s_min",
                                             qidl_kind_name(uk[i]));
        g_autofree char *b = g_strdup_printf("%s_max",
                                             qidl_kind_name(uk[i]));
        g_autofree char *c = g_strdup_printf("%s_min",
                                             qidl_kind_name(ik[i]));
        g_autofree char *d = g_strdup_printf("%s_max",
                                             qidl_kind_name(ik[i]));
        g_autofree char *e = g_strdup_printf("%s_packed",
                                             qidl_kind_name(uk[i]));
        g_autofree char *f = g_strdup_printf("%s_packed",
                                             qidl_kind_name(ik[i]));

        add(dev, qidl_node_new_uint(t, a, uk[i], 0));
        add(dev, qidl_node_new_uint(t, b, uk[i], umax[i]));
        add(dev, qidl_node_new_int(t, c, ik[i], imin[i]));
        add(dev, qidl_node_new_int(t, d, ik[i], imax[i]));
        l = add(dev, qidl_node_new_list(t, e));
        add(l, qidl_node_new_uint(t, NULL, uk[i], umax[i]));
        add(l, qidl_node_new_uint(t, NULL, uk[i], 1));
        l = add(dev, qidl_node_new_list(t, f));
        add(l, qidl_node_new_int(t, NULL, ik[i], imin[i]));
        add(l, qidl_node_new_int(t, NULL, ik[i], -1));
    }
    add(dev, qidl_node_new_float(t, "float", QIDL_KIND_FLOAT, -1.5));
    add(dev, qidl_node_new_float(t, "double", QIDL_KIND_DOUBLE, 1e300));
    add(dev, qidl_node_new_float(t, "neg_zero", QIDL_KIND_DOUBLE, -0.0));
    add(dev, qidl_node_new_float(t, "inf", QIDL_KIND_DOUBLE, INFINITY));
    l = add(dev, qidl_node_new_list(t, "floats"));
    add(l, qidl_node_new_float(t, NULL, QIDL_KIND_FLOAT, 0.25));
    l = add(dev, qidl_node_new_list(t, "doubles"));
    add(l, qidl_node_new_float(t, NULL, QIDL_KIND_DOUBLE, -2.5));
    add(l, qidl_node_new_float(t, NULL, QIDL_KIND_DOUBLE, 3.0));
    l = add(dev, qidl_node_new_list(t, "bools"));
    add(l, qidl_node_new_bool(t, NULL, TRUE));
    add(l, qidl_node_new_bool(t, NULL, FALSE));
    add(dev, qidl_node_new_string(t, "empty", ""));
    add(dev, qidl_node_new_string(t, "utf8", "h\xc3\xa9llo \xe2\x82\xac"));
    add(dev, qidl_node_new_bytes(t, "no_bytes", NULL, 0));
    add(dev, qidl_node_new_bytes(t, "blob", blob, sizeof(blob)));
    add(dev, qidl_node_new_list(t, "empty_list"));
    l = add(dev, qidl_node_new_list(t, "mixed"));
    add(l, qidl_node_new_uint(t, NULL, QIDL_KIND_UINT8, 1));
    add(l, qidl_node_new_uint(t, NULL, QIDL_KIND_UINT16, 2));
    l = add(dev, qidl_node_new_list(t, "strings"));
    add(l, qidl_node_new_string(t, NULL, "a"));
    add(l, qidl_node_new_string(t, NULL, "b"));
    l = add(dev, qidl_node_new_list(t, "matrix"));
    for (guint i = 0; i < 2; i++) {
        QidlNode *row = add(l, qidl_node_new_list(t, NULL));

        add(row, qidl_node_new_uint(t, NULL, QIDL_KIND_UINT16, i));
        add(row, qidl_node_new_uint(t, NULL, QIDL_KIND_UINT16, i + 1));
    }
    l = add(dev, qidl_node_new_list(t, "regs"));
    for (guint i = 0; i < 2; i++) {
        s = add(l, qidl_node_new_struct(t, NULL));
        add(s, qidl_node_new_uint(t, "lo", QIDL_KIND_UINT16, i));
        inner = add(s, qidl_node_new_struct(t, "inner"));
        add(inner, qidl_node_new_list(t, "nothing"));
    }
    add(dev, qidl_node_new_struct(t, "empty_struct"));

    /* A second device, to share names across records. */
    s = qidl_node_new_struct(t, "second");
    qidl_node_set_device(s, "every-shape", "/machine/second", 1);
    add(qidl_tree_get_root(t), s);
    add(s, qidl_node_new_uint(t, "u8_max", QIDL_KIND_UINT8, 1));
    add(s, qidl_node_new_uint(t, "new_name", QIDL_KIND_UINT8, 2));
    return t;
}

static void test_stream__every_shape_roundtrip(void **state)
{
    g_autoptr(QidlTree) tree = every_shape_tree();
    g_autoptr(QidlTree) back = NULL;
    g_autoptr(QidlTree) from_json = NULL;
    g_autoptr(GByteArray) s = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) json = NULL;

    assert_true(qidl_stream_write_tree(tree, NULL, 0, s, &error));
    assert_null(error);
    back = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_null(error);
    assert_true(qidl_node_equal(qidl_tree_get_root(tree),
                                qidl_tree_get_root(back)));

    json = qidl_stream_to_json(s->data, s->len, &error);
    assert_null(error);
    from_json = qidl_stream_json_to_tree(json, NULL, &error);
    assert_null(error);
    assert_true(qidl_node_equal(qidl_tree_get_root(tree),
                                qidl_tree_get_root(from_json)));

    assert_tree_identical(s);
    assert_json_identical(s);
}

/* Every scalar kind at min and max through the writer and direct reader. */
typedef struct {
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
} Scalars;

static gboolean visit_scalars(QidlVisitor *v, const char *name, Scalars *o,
                              GError **error)
{
    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_bool(v, "b", &o->b, error) &&
           qidl_visit_int8(v, "i8", &o->i8, error) &&
           qidl_visit_uint8(v, "u8", &o->u8, error) &&
           qidl_visit_int16(v, "i16", &o->i16, error) &&
           qidl_visit_uint16(v, "u16", &o->u16, error) &&
           qidl_visit_int32(v, "i32", &o->i32, error) &&
           qidl_visit_uint32(v, "u32", &o->u32, error) &&
           qidl_visit_int64(v, "i64", &o->i64, error) &&
           qidl_visit_uint64(v, "u64", &o->u64, error) &&
           qidl_visit_float(v, "f", &o->f, error) &&
           qidl_visit_double(v, "d", &o->d, error) &&
           qidl_visit_end_struct(v, error);
}

static void test_stream__scalars_min_max_direct(void **state)
{
    const Scalars cases[] = {
        { false, G_MININT8, 0, G_MININT16, 0, G_MININT32, 0, G_MININT64, 0,
          -G_MAXFLOAT, -G_MAXDOUBLE },
        { true, G_MAXINT8, G_MAXUINT8, G_MAXINT16, G_MAXUINT16, G_MAXINT32,
          G_MAXUINT32, G_MAXINT64, G_MAXUINT64, G_MAXFLOAT, G_MAXDOUBLE },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) out = g_byte_array_new();
        g_autoptr(QidlStreamWriter) w =
            qidl_stream_writer_new(out, "t", "1", 0);
        g_autoptr(QidlStreamReader) r = NULL;
        g_autoptr(QidlVisitor) in = NULL;
        g_autoptr(GError) error = NULL;
        const QidlStreamDevice *dev;
        Scalars copy = cases[i], loaded = { 0 };

        assert_true(visit_scalars(qidl_stream_writer_begin_device(
                                      w, "s", "/s", 0), "s", &copy, &error));
        assert_true(qidl_stream_writer_end_device(w, &error));
        assert_true(qidl_stream_writer_finish(w, &error));

        r = qidl_stream_reader_new(out->data, out->len, &error);
        assert_non_null(r);
        assert_true(qidl_stream_reader_next(r, &dev, &error));
        assert_non_null(dev);
        in = qidl_stream_reader_device_visitor(r, 0);
        assert_true(visit_scalars(in, "s", &loaded, &error));
        assert_true(qidl_visitor_complete(in, &error));
        assert_null(error);
        assert_true(loaded.b == cases[i].b && loaded.i8 == cases[i].i8 &&
                    loaded.u8 == cases[i].u8 && loaded.i16 == cases[i].i16 &&
                    loaded.u16 == cases[i].u16 &&
                    loaded.i32 == cases[i].i32 &&
                    loaded.u32 == cases[i].u32 &&
                    loaded.i64 == cases[i].i64 &&
                    loaded.u64 == cases[i].u64);
        assert_memory_equal(&loaded.f, &cases[i].f, sizeof(float));
        assert_memory_equal(&loaded.d, &cases[i].d, sizeof(double));
        assert_true(qidl_stream_reader_next(r, &dev, &error));
        assert_null(dev);

        assert_tree_identical(out);
        assert_json_identical(out);
    }
}

static void test_stream__sample_direct(void **state)
{
    g_autoptr(GByteArray) s = write_samples(0);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(s->data, s->len,
                                                           &error);
    const QidlStreamDevice *dev;
    Sample expect, got;

    assert_non_null(r);
    /* Records, metadata included, are read by _next(). */
    assert_null(qidl_stream_info_get_metadata(qidl_stream_reader_get_info(r),
                                              "host"));
    sample_init(&expect);
    for (guint i = 0; i < 2; i++) {
        g_autoptr(QidlVisitor) in = NULL;

        assert_true(qidl_stream_reader_next(r, &dev, &error));
        assert_non_null(dev);
        assert_string_equal(dev->type_name, "sample");
        assert_int_equal(dev->version, 2);
        assert_string_equal(dev->name, i ? "sample1" : "sample0");
        assert_string_equal(dev->instance_path,
                            i ? "/machine/sample1" : "/machine/sample0");
        memset(&got, 0, sizeof(got));
        in = qidl_stream_reader_device_visitor(r, 0);
        assert_true(sample_visit(in, "whatever", &got, &error));
        assert_true(qidl_visitor_complete(in, &error));
        assert_null(error);
        if (i == 1) {
            expect.has_extra = false;
            expect.thr = 9;
            expect.fifo_len = 0;
        }
        assert_true(sample_equal(&expect, &got));
        sample_clear(&got);
    }
    /* Metadata came first, so the reader has it by now. */
    assert_string_equal(qidl_stream_info_get_metadata(
                            qidl_stream_reader_get_info(r), "host"),
                        "a.example");
    assert_true(qidl_stream_reader_next(r, &dev, &error));
    assert_null(dev);
    sample_clear(&expect);
}

static void test_stream__sample_tree(void **state)
{
    g_autoptr(GByteArray) s = write_samples(0);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(s->data, s->len, &info,
                                                     &error);
    g_autoptr(QidlVisitor) in = NULL;
    g_autofree const char **keys = NULL;
    QidlNode *dev;
    Sample expect, got = { 0 };

    assert_null(error);
    keys = qidl_stream_info_get_metadata_keys(info);
    assert_string_equal(keys[0], "host");
    assert_string_equal(keys[1], "machine");
    assert_null(keys[2]);
    assert_string_equal(qidl_stream_info_get_producer(info), "qidl-test");
    dev = qidl_node_get_child(qidl_tree_get_root(tree), "sample0");
    assert_non_null(dev);
    assert_string_equal(qidl_node_get_instance_path(dev), "/machine/sample0");
    in = qidl_tree_input_visitor_new(dev, 0);
    assert_true(sample_visit(in, "sample0", &got, &error));
    assert_true(qidl_visitor_complete(in, &error));
    assert_null(error);
    sample_init(&expect);
    assert_true(sample_equal(&expect, &got));
    sample_clear(&expect);
    sample_clear(&got);

    assert_tree_identical(s);
}

static void test_stream__compressed_roundtrip(void **state)
{
    g_autoptr(GByteArray) plain = write_samples(0);
    g_autoptr(GByteArray) z = write_samples(QIDL_STREAM_WRITE_ZSTD);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) a = qidl_stream_read_tree(plain->data, plain->len,
                                                  NULL, &error);
    g_autoptr(QidlTree) b = qidl_stream_read_tree(z->data, z->len, &info,
                                                  &error);
    g_autoptr(QidlStreamReader) r = NULL;
    const QidlStreamDevice *dev;

    assert_null(error);
    assert_memory_equal(z->data, "\x89QIDZ\r\n\x1a", 8);
    assert_true(qidl_stream_info_get_compressed(info));
    assert_true(qidl_node_equal(qidl_tree_get_root(a),
                                qidl_tree_get_root(b)));
    /* The direct reader detects it too; offsets are of the plain bytes. */
    r = qidl_stream_reader_new(z->data, z->len, &error);
    assert_non_null(r);
    assert_true(qidl_stream_reader_next(r, &dev, &error));
    assert_non_null(dev);
    assert_true(qidl_stream_reader_next(r, &dev, &error));
    assert_true(qidl_stream_reader_next(r, &dev, &error));
    assert_null(dev);

    assert_tree_identical(z);
    assert_json_identical(z);
}

static void test_stream__json_byte_identical(void **state)
{
    g_autoptr(GByteArray) s = write_samples(0);
    g_autoptr(GByteArray) p = write_pic(0);

    assert_json_identical(s);
    assert_json_identical(p);
}

static void test_stream__json_form(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) json = qidl_stream_to_json(golden, sizeof(golden),
                                                   &error);
    g_autofree char *text = qidl_json_to_string(json, FALSE);

    assert_null(error);
    assert_non_null(strstr(text, "\"format\":\"1.0\""));
    assert_non_null(strstr(text, "\"compression\":\"none\""));
    assert_non_null(strstr(text, "\"kind\":\"device\",\"name\":\"pic\""));
    assert_non_null(strstr(text, "\"path\":\"/machine/pic\""));
}

/*
 * A stream JSON whose device "d" holds @value as its field s.l[1] (s a
 * struct, l a list of strings whose element 0 is "ok").
 */
static JsonNode *json_with_string(const char *value)
{
    g_autofree char *text = g_strdup_printf(
        "{\"format\": \"1.0\", \"producer\": \"t\", "
        "\"producer_version\": \"1\", \"flags\": 0, "
        "\"compression\": \"none\", \"records\": [{\"kind\": "
        "\"device\", \"name\": \"d\", \"state\": {\"$device\": "
        "{\"type\": \"t\", \"path\": \"/t\", \"version\": 1}, "
        "\"s\": {\"l\": [\"ok\", %s]}}}]}", value);
    g_autoptr(GError) error = NULL;
    JsonNode *json = qidl_json_parse(text, -1, &error);

    assert_null(error);
    return json;
}

/*
 * The typed JSON writes a string that is not UTF-8 as {"str": HEX}; a
 * stream cannot carry it, so converting a stream's JSON refuses it with
 * the path and the phrase of the writer's error (finding 13 of
 * docs/security.md; fuzz-stream-json).
 */
static void test_stream__json_string_not_utf8_fail(void **state)
{
    g_autoptr(JsonNode) json = json_with_string("{\"str\": \"61ff\"}");
    g_autoptr(JsonNode) good = json_with_string("{\"str\": \"61c3a9\"}");
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(QidlTree) direct = qidl_tree_new();
    QidlNode *node;

    tree = qidl_stream_json_to_tree(json, NULL, &error);
    assert_null(tree);
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "records[0]: d.s.l[1]: string is not valid UTF-8 "
                          "(use bytes for binary data)");
    g_clear_error(&error);

    assert_false(qidl_stream_from_json(json, out, &error));
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "records[0]: d.s.l[1]: string is not valid UTF-8 "
                          "(use bytes for binary data)");
    assert_int_equal(out->len, 0);
    g_clear_error(&error);

    /* The writer, given the same state as a tree, says the same. */
    node = qidl_json_to_node(direct,
                             json_object_get_member(
                                 json_array_get_object_element(
                                     json_object_get_array_member(
                                         json_node_get_object(json),
                                         "records"), 0), "state"),
                             "d", &error);
    assert_non_null(node);
    assert_true(qidl_node_append(qidl_tree_get_root(direct), node, &error));
    assert_false(qidl_stream_write_tree(direct, NULL, 0, out, &error));
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "device /t (t): d.s.l[1]: string is not valid "
                          "UTF-8 (use bytes for binary data)");
    assert_int_equal(out->len, 0);
    g_clear_error(&error);

    /* The hex form of valid UTF-8 ("a\u00e9") converts and writes. */
    assert_true(qidl_stream_from_json(good, out, &error));
    assert_null(error);
    tree = qidl_stream_read_tree(out->data, out->len, NULL, &error);
    assert_non_null(tree);
    node = qidl_node_get_child(qidl_node_get_child(
        qidl_node_get_child(qidl_tree_get_root(tree), "d"), "s"), "l");
    assert_string_equal(qidl_node_get_string(
                            qidl_node_get_nth_child(node, 1), NULL),
                        "a\xc3\xa9");
}

/* A stream JSON of one record per name in @names, all at @path. */
static JsonNode *json_with_devices(const char *const *names,
                                   const char *type, const char *path)
{
    g_autoptr(GString) text = g_string_new(
        "{\"format\": \"1.0\", \"producer\": \"t\", "
        "\"producer_version\": \"1\", \"flags\": 0, "
        "\"compression\": \"none\", \"records\": [");
    g_autoptr(GError) error = NULL;
    JsonNode *json;

    for (guint i = 0; names[i]; i++) {
        g_string_append_printf(text, "%s{\"kind\": \"device\", \"name\": "
                               "\"%s\", \"state\": {\"$device\": "
                               "{\"type\": \"%s\", \"path\": \"%s\", "
                               "\"version\": 1}, \"x\": {\"u8\": 1}}}",
                               i ? ", " : "", names[i], type, path);
    }
    g_string_append(text, "]}");
    json = qidl_json_parse(text->str, -1, &error);
    assert_null(error);
    return json;
}

/* Converts @json and writes the stream, or checks both fail with @message. */
static void assert_stream_json(JsonNode *json, const char *message)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = qidl_stream_json_to_tree(json, NULL, &error);

    if (!message) {
        assert_non_null(tree);
        assert_true(qidl_stream_from_json(json, out, &error));
        assert_null(error);
        return;
    }
    assert_null(tree);
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, message);
    g_clear_error(&error);
    assert_false(qidl_stream_from_json(json, out, &error));
    assert_message(error, message);
    assert_int_equal(out->len, 0);
}

/*
 * What else the writer refuses and the JSON form could say, refused when
 * converting it (fuzz-stream-json, after finding 13): a device name
 * longer than QIDL_LIMIT_NAME_LEN, a type name or an instance path longer
 * than 65535 bytes, two records at one instance path.  Each at its limit
 * and one above.
 */
static void test_stream__json_beyond_writer_limits_fail(void **state)
{
    g_autofree char *name255 = g_strnfill(QIDL_LIMIT_NAME_LEN, 'n');
    g_autofree char *name256 = g_strnfill(QIDL_LIMIT_NAME_LEN + 1, 'n');
    g_autofree char *long_type = g_strnfill(G_MAXUINT16 + 1, 't');
    g_autofree char *long_path = g_strnfill(G_MAXUINT16 + 1, 'p');
    const char *at_limit[] = { name255, NULL };
    const char *above[] = { name256, NULL };
    const char *one[] = { "d", NULL };
    const char *two[] = { "a", "b", NULL };
    g_autoptr(JsonNode) ok_name = json_with_devices(at_limit, "t", "/p");
    g_autoptr(JsonNode) bad_name = json_with_devices(above, "t", "/p");
    g_autoptr(JsonNode) ok_type = json_with_devices(one, long_type + 1, "/p");
    g_autoptr(JsonNode) bad_type = json_with_devices(one, long_type, "/p");
    g_autoptr(JsonNode) ok_path = json_with_devices(one, "t", long_path + 1);
    g_autoptr(JsonNode) bad_path = json_with_devices(one, "t", long_path);
    g_autoptr(JsonNode) ok_paths = json_with_devices(one, "t", "/p");
    g_autoptr(JsonNode) bad_paths = json_with_devices(two, "t", "/p");

    G_STATIC_ASSERT(QIDL_LIMIT_NAME_LEN == 255);
    assert_stream_json(ok_name, NULL);
    assert_stream_json(bad_name, "records[0]: name of 256 bytes: a field "
                                 "name must be 1 to 255 bytes of UTF-8");
    assert_stream_json(ok_type, NULL);
    assert_stream_json(bad_type, "records[0]: the $device type and path "
                                 "must be 1 to 65535 bytes of UTF-8");
    assert_stream_json(ok_path, NULL);
    assert_stream_json(bad_path, "records[0]: the $device type and path "
                                 "must be 1 to 65535 bytes of UTF-8");
    assert_stream_json(ok_paths, NULL);
    assert_stream_json(bad_paths, "records[1]: instance path /p already "
                                  "in records[0]");
}

/* ---- corruption ---- */

static void test_stream__every_bit_flip_fail(void **state)
{
    g_autoptr(GByteArray) a = golden_copy();
    g_autoptr(GByteArray) b = write_samples(0);
    GByteArray *streams[] = { a, b };

    for (guint k = 0; k < G_N_ELEMENTS(streams); k++) {
        GByteArray *s = streams[k];

        for (gsize i = 0; i < s->len; i++) {
            for (int bit = 0; bit < 8; bit++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(QidlTree) tree = NULL;

                s->data[i] ^= 1u << bit;
                tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
                s->data[i] ^= 1u << bit;
                if (tree) {
                    fail_msg("flip of bit %d at byte %" G_GSIZE_FORMAT
                             " of stream %u not detected", bit, i, k);
                }
                assert_non_null(error);
                assert_true(error->domain == QIDL_ERROR);
            }
        }
    }
}

static void test_stream__truncated_everywhere_fail(void **state)
{
    g_autoptr(GByteArray) s = write_samples(0);
    g_autoptr(GByteArray) z = write_samples(QIDL_STREAM_WRITE_ZSTD);

    for (gsize len = 0; len < s->len; len++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(QidlTree) tree = qidl_stream_read_tree(s->data, len, NULL,
                                                         &error);

        assert_null(tree);
        assert_error(error, QIDL_ERROR_TRUNCATED);
    }
    for (gsize len = 0; len < z->len; len++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(QidlTree) tree = qidl_stream_read_tree(z->data, len, NULL,
                                                         &error);

        assert_null(tree);
        assert_error(error, QIDL_ERROR_TRUNCATED);
    }
}

static void test_stream__truncated_message_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;

    tree = qidl_stream_read_tree(golden, 50, NULL, &error);
    assert_error(error, QIDL_ERROR_TRUNCATED);
    assert_message(error, "record 0 at byte offset 26: truncated at byte "
                          "offset 50: the record needs 72 bytes");
    g_clear_error(&error);
    tree = qidl_stream_read_tree(golden, 98, NULL, &error);
    assert_error(error, QIDL_ERROR_TRUNCATED);
    assert_message(error, "truncated at byte offset 98: the stream ends "
                          "without an end record");
}

/* A device record whose state ends early, with every checksum valid. */
static void test_stream__truncated_state_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    const QidlStreamDevice *dev;
    Pic pic = { 0 };

    /* Drop the last byte of regs[1] (offset 93) and shrink the record. */
    g_byte_array_remove_index(s, 93);
    test_put32(s->data + 27, 62);
    test_stream_fix_checksums(s);

    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_TRUNCATED);
    assert_message(error, "device /machine/pic (i8259): pic.regs: "
                          "truncated: 2 elements at byte offset 85 do not "
                          "fit in the 3 bytes left in the record");
    g_clear_error(&error);

    r = qidl_stream_reader_new(s->data, s->len, &error);
    assert_true(qidl_stream_reader_next(r, &dev, &error));
    in = qidl_stream_reader_device_visitor(r, 0);
    assert_false(visit_pic(in, "pic", &pic, &error));
    assert_error(error, QIDL_ERROR_TRUNCATED);
    assert_message(error, "device /machine/pic (i8259): pic.regs: "
                          "truncated: 2 elements at byte offset 85 do not "
                          "fit in the 3 bytes left in the record");
}

static void test_stream__bad_checksum_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;

    s->data[81] ^= 0x01;   /* irr's value */
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_INVALID);
    assert_true(g_str_has_prefix(error->message, "record 0 at byte offset "
                                 "26: bad checksum at byte offset 94"));
}

static void test_stream__bad_magic_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    static const guint8 not_qidl[] = "QEVM\0\0\0\3 qemu";

    tree = qidl_stream_read_tree(not_qidl, sizeof(not_qidl), NULL, &error);
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "header: bad magic at byte offset 0: not a QIDL "
                          "stream");
}

static void test_stream__bad_version_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;

    s->data[8] = 2;
    test_stream_fix_checksums(s);
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_VERSION);
    assert_message(error, "header: format 2.0 at byte offset 8 is not "
                          "supported (this reader reads 1.x)");

    /* A newer minor is read; its optional flags are kept. */
    g_clear_error(&error);
    g_clear_pointer(&tree, qidl_tree_free);
    s->data[8] = 1;
    s->data[10] = 7;
    s->data[14] = 0x01;   /* flag bit 16: optional */
    test_stream_fix_checksums(s);
    assert_tree_identical(s);
    assert_json_identical(s);

    /* An unknown mandatory flag is not. */
    s->data[12] = 0x01;
    test_stream_fix_checksums(s);
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_VERSION);
}

static void test_stream__trailing_bytes_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;

    g_byte_array_append(s, (const guint8 *)"x", 1);
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_UNKNOWN_FIELD);
    assert_message(error, "record 1 at byte offset 98: 1 bytes after the "
                          "end record at byte offset 115");
}

static void test_stream__unknown_mandatory_record_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(QidlStreamReader) r = NULL;
    const QidlStreamDevice *dev;

    insert_record(s, end_offset(s), 0x05, (const guint8 *)"abc", 3);
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_VERSION);
    assert_message(error, "record 1 at byte offset 98: unknown mandatory "
                          "record kind 0x05 (this reader reads format 1.0)");
    g_clear_error(&error);

    r = qidl_stream_reader_new(s->data, s->len, &error);
    assert_true(qidl_stream_reader_next(r, &dev, &error));
    assert_false(qidl_stream_reader_next(r, &dev, &error));
    assert_error(error, QIDL_ERROR_VERSION);
}

static void test_stream__unknown_optional_record_preserved(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(QidlStreamReader) r = NULL;
    const QidlStreamDevice *dev;
    const guint8 *body;
    const char *after;
    guint8 kind;
    gsize len;

    /* One before the device, two after it. */
    insert_record(s, end_offset(s), 0x85, (const guint8 *)"late", 4);
    insert_record(s, end_offset(s), 0xfe, NULL, 0);
    insert_record(s, 26, 0x90, (const guint8 *)"\x00\x01", 2);

    tree = qidl_stream_read_tree(s->data, s->len, &info, &error);
    assert_null(error);
    assert_non_null(qidl_node_get_child(qidl_tree_get_root(tree), "pic"));
    assert_int_equal(qidl_stream_info_get_n_records(info), 3);
    body = qidl_stream_info_get_record(info, 0, &kind, &after, &len);
    assert_int_equal(kind, 0x90);
    assert_null(after);
    assert_int_equal(len, 2);
    assert_memory_equal(body, "\x00\x01", 2);
    body = qidl_stream_info_get_record(info, 1, &kind, &after, &len);
    assert_int_equal(kind, 0x85);
    assert_string_equal(after, "/machine/pic");
    assert_memory_equal(body, "late", 4);
    qidl_stream_info_get_record(info, 2, &kind, &after, &len);
    assert_int_equal(kind, 0xfe);
    assert_int_equal(len, 0);

    /* Skipped by the direct reader. */
    r = qidl_stream_reader_new(s->data, s->len, &error);
    assert_true(qidl_stream_reader_next(r, &dev, &error));
    assert_non_null(dev);
    assert_true(qidl_stream_reader_next(r, &dev, &error));
    assert_null(dev);
    assert_null(error);

    /* Preserved, in place, by every rewrite. */
    assert_tree_identical(s);
    assert_json_identical(s);
}

/* An edit a filter might make: the anchor device is gone. */
static void test_stream__preserved_record_outlives_device(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(QidlTree) back = NULL;
    g_autoptr(QidlStreamInfo) info2 = NULL;

    insert_record(s, end_offset(s), 0x85, (const guint8 *)"x", 1);
    tree = qidl_stream_read_tree(s->data, s->len, &info, &error);
    qidl_node_set_instance_path(qidl_node_get_child(
                                    qidl_tree_get_root(tree), "pic"),
                                "/machine/pic2");
    assert_true(qidl_stream_write_tree(tree, info, 0, out, &error));
    back = qidl_stream_read_tree(out->data, out->len, &info2, &error);
    assert_null(error);
    assert_int_equal(qidl_stream_info_get_n_records(info2), 1);
}

static void test_stream__reserved_record_kind_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;

    insert_record(s, end_offset(s), 0x80, NULL, 0);
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_INVALID);
}

static void test_stream__end_record_count_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;

    /* Drop the device record, leave the end record as it was. */
    g_byte_array_remove_range(s, 26, 72);
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "record 0 at byte offset 26: end record counts 1 "
                          "records, the stream holds 0");
}

/* ---- canonical form ---- */

static void test_stream__unpacked_uniform_list_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    static const guint8 tagged[] = { 0x00, 0x02, 0x00, 0x00, 0x00,
                                     0x05, 0x01, 0x00, 0x05, 0x02, 0x00 };

    /* regs as tagged elements: the same values, not canonical. */
    g_byte_array_remove_range(s, 85, 9);
    insert_bytes(s, 85, tagged, sizeof(tagged));
    test_put32(s->data + 27, 63 + 2);
    test_stream_fix_checksums(s);
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "device /machine/pic (i8259): pic.regs: list of 2 "
                          "uint16 values is not packed (not canonical)");
}

static void test_stream__names_out_of_order_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;

    /* Define "irr" after "regs": swap the two definitions, fix indices. */
    memcpy(s->data + 62, "\x04regs\x03irr", 9);
    s->data[78] = 0x02;   /* irr -> index 2 */
    s->data[82] = 0x01;   /* regs -> index 1 */
    test_stream_fix_checksums(s);
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "device /machine/pic (i8259): pic: name index 2 "
                          "at byte offset 78 is used before name index 1 "
                          "(names are defined in order of first use)");
}

static void test_stream__duplicate_device_fail(void **state)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    g_autoptr(GError) error = NULL;
    Pic pic = { 0 };

    visit_pic(qidl_stream_writer_begin_device(w, "i8259", "/p", 1), "a",
              &pic, NULL);
    assert_true(qidl_stream_writer_end_device(w, &error));
    visit_pic(qidl_stream_writer_begin_device(w, "i8259", "/p", 1), "b",
              &pic, NULL);
    assert_false(qidl_stream_writer_end_device(w, &error));
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "device /p (i8259): instance path already "
                          "written");
    g_clear_error(&error);
    assert_false(qidl_stream_writer_finish(w, &error));
    assert_error(error, QIDL_ERROR_INVALID);
    assert_int_equal(out->len, 0);
}

/*
 * A stream of one device at @path (type @type): a struct "d" of one
 * uint8.  FALSE, with @error set, if the writer refuses it.
 */
static gboolean write_at_path(const char *type, const char *path,
                              GByteArray *out, GError **error)
{
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    QidlVisitor *v = qidl_stream_writer_begin_device(w, type, path, 1);
    guint8 x = 7;

    if (qidl_visit_start_struct(v, "d", NULL) &&
        qidl_visit_uint8(v, "x", &x, NULL)) {
        qidl_visit_end_struct(v, NULL);
    }
    return qidl_stream_writer_end_device(w, error) &&
           qidl_stream_writer_finish(w, error);
}

/*
 * The first device of @s: its instance path and, in @type, its type name;
 * or NULL with @error set.
 */
static char *read_path(const GByteArray *s, char **type, GError **error)
{
    g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(s->data, s->len,
                                                           error);
    const QidlStreamDevice *dev;

    if (!r || !qidl_stream_reader_next(r, &dev, error)) {
        return NULL;
    }
    assert_non_null(dev);
    *type = g_strdup(dev->type_name);
    return g_strdup(dev->instance_path);
}

/*
 * Type names and instance paths of 1 to 24 bytes, which the writer and
 * the reader check eight bytes at a time with an overlapping last word,
 * with each byte in turn made an invalid 0xff, a NUL (patched into the
 * stream, resealed) or the first byte of a two-byte UTF-8 character:
 * the invalid ones are refused wherever they are, the valid ones read
 * back exactly.
 */
static void test_stream__device_text_every_byte(void **state)
{
    for (gsize len = 1; len <= 24; len++) {
        for (gsize at = 0; at < len; at++) {
            for (guint which = 0; which < 2; which++) {
                g_autofree char *text = g_strnfill(len, 'a');
                const char *type = which ? text : "t";
                const char *path = which ? "/p" : text;
                g_autoptr(GByteArray) out = g_byte_array_new();
                g_autoptr(GError) error = NULL;
                g_autofree char *got = NULL;
                g_autofree char *got_type = NULL;
                gsize i;

                /* 0xff: the writer refuses it. */
                text[at] = '\xff';
                assert_false(write_at_path(type, path, out, &error));
                assert_error(error, QIDL_ERROR_INVALID);
                assert_non_null(strstr(error->message, "type name and "
                                       "instance path must be 1 to 65535 "
                                       "bytes of UTF-8"));
                assert_int_equal(out->len, 0);
                g_clear_error(&error);

                /* NUL, patched into a stream of 'b' there. */
                text[at] = 'b';
                assert_true(write_at_path(type, path, out, &error));
                for (i = 0; i + len <= out->len; i++) {
                    if (memcmp(out->data + i, text, len) == 0) {
                        break;
                    }
                }
                assert_true(i + len <= out->len);
                out->data[i + at] = 0;
                test_stream_fix_checksums(out);
                assert_null(read_path(out, &got_type, &error));
                assert_error(error, QIDL_ERROR_INVALID);
                assert_message(error, "record 0 at byte offset 26: type "
                                      "name and instance path must be "
                                      "non-empty UTF-8");
                g_clear_error(&error);
                /* 0xff, patched in likewise. */
                out->data[i + at] = 0xff;
                test_stream_fix_checksums(out);
                assert_null(read_path(out, &got_type, &error));
                assert_error(error, QIDL_ERROR_INVALID);
                g_clear_error(&error);

                /* "é" (two bytes) from @at on: valid, read back. */
                if (at + 2 <= len) {
                    memcpy(text + at, "\xc3\xa9", 2);
                    g_byte_array_set_size(out, 0);
                    assert_true(write_at_path(type, path, out, &error));
                    got = read_path(out, &got_type, &error);
                    assert_null(error);
                    assert_string_equal(got, path);
                    assert_string_equal(got_type, type);
                }
            }
        }
    }
}

/*
 * Instance paths of 1 to 24 bytes: one repeated is refused, one that
 * differs from the last in any single byte is not (the writer finds them
 * by hash and compares them a word at a time).
 */
static void test_stream__duplicate_device_every_length(void **state)
{
    for (gsize len = 1; len <= 24; len++) {
        for (gsize at = 0; at <= len; at++) {
            g_autoptr(GByteArray) out = g_byte_array_new();
            g_autoptr(QidlStreamWriter) w =
                qidl_stream_writer_new(out, "t", "1", 0);
            g_autofree char *a = g_strnfill(len, 'p');
            g_autofree char *b = g_strnfill(len, 'p');
            g_autoptr(GError) error = NULL;
            Pic pic = { 0 };

            /* @at == @len: the same path twice. */
            if (at < len) {
                b[at] = 'q';
            }
            visit_pic(qidl_stream_writer_begin_device(w, "i8259", a, 1),
                      "a", &pic, NULL);
            assert_true(qidl_stream_writer_end_device(w, &error));
            visit_pic(qidl_stream_writer_begin_device(w, "i8259", b, 1),
                      "b", &pic, NULL);
            if (at < len) {
                assert_true(qidl_stream_writer_end_device(w, &error));
                assert_true(qidl_stream_writer_finish(w, &error));
                assert_int_not_equal(out->len, 0);
            } else {
                assert_false(qidl_stream_writer_end_device(w, &error));
                assert_error(error, QIDL_ERROR_INVALID);
                assert_non_null(strstr(error->message, "instance path "
                                                       "already written"));
            }
        }
    }
}

/* ---- the direct path ---- */

static void open_golden(QidlStreamReader **r, QidlVisitor **in,
                        QidlTreeInputFlags flags, const GByteArray *s)
{
    const QidlStreamDevice *dev;

    *r = qidl_stream_reader_new(s->data, s->len, NULL);
    assert_non_null(*r);
    assert_true(qidl_stream_reader_next(*r, &dev, NULL));
    assert_non_null(dev);
    *in = qidl_stream_reader_device_visitor(*r, flags);
}

static void test_stream__direct_width_mismatch_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(GError) error = NULL;
    Pic pic = { 0 };

    open_golden(&r, &in, 0, s);
    assert_false(visit_pic_wide(in, "pic", &pic, &error));
    assert_error(error, QIDL_ERROR_TYPE_MISMATCH);
    assert_message(error, "device /machine/pic (i8259): pic.irr: expected "
                          "uint16, found uint8 at byte offset 80");
}

static gboolean visit_regs_as(QidlVisitor *v, QidlKind kind, GError **error)
{
    guint8 irr;
    guint32 n = 2;
    guint64 x = 0;

    return qidl_visit_start_struct(v, "pic", error) &&
           qidl_visit_uint8(v, "irr", &irr, error) &&
           qidl_visit_start_list(v, "regs", QIDL_LIST_FIXED, &n, 2, error) &&
           qidl_visit_next_list(v, error) &&
           (kind == QIDL_KIND_STRUCT
                ? qidl_visit_start_struct(v, NULL, error)
                : qidl_visit_scalar(v, NULL, kind, &x, error));
}

static void test_stream__direct_kind_mismatch_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(QidlStreamReader) r2 = NULL;
    g_autoptr(QidlVisitor) in2 = NULL;
    g_autoptr(GError) error = NULL;

    open_golden(&r, &in, 0, s);
    assert_false(visit_regs_as(in, QIDL_KIND_INT16, &error));
    assert_error(error, QIDL_ERROR_TYPE_MISMATCH);
    assert_message(error, "device /machine/pic (i8259): pic.regs[0]: "
                          "expected int16, found uint16 at byte offset 90");
    g_clear_error(&error);

    open_golden(&r2, &in2, 0, s);
    assert_false(visit_regs_as(in2, QIDL_KIND_STRUCT, &error));
    assert_error(error, QIDL_ERROR_TYPE_MISMATCH);
    assert_message(error, "device /machine/pic (i8259): pic.regs[0]: "
                          "expected struct, found uint16 at byte offset 90");
}

static void test_stream__direct_length_mismatch_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(GError) error = NULL;
    guint8 irr;
    guint32 n = 3;

    open_golden(&r, &in, 0, s);
    assert_true(qidl_visit_start_struct(in, "pic", &error));
    assert_true(qidl_visit_uint8(in, "irr", &irr, &error));
    assert_false(qidl_visit_start_list(in, "regs", QIDL_LIST_FIXED, &n, 2,
                                       &error));
    assert_error(error, QIDL_ERROR_LENGTH_MISMATCH);
    assert_message(error, "device /machine/pic (i8259): pic.regs: expected 3 "
                          "elements, found 2 at byte offset 85");
}

/* Fields in another order than written: the tree path copes. */
static gboolean visit_pic_reversed(QidlVisitor *v, const char *name,
                                   Pic *obj, GError **error)
{
    guint32 n = 2;

    if (!qidl_visit_start_struct(v, name, error) ||
        !qidl_visit_start_list(v, "regs", QIDL_LIST_FIXED, &n, 2, error)) {
        return FALSE;
    }
    for (guint32 i = 0; i < n; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_uint16(v, NULL, &obj->regs[i], error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error) &&
           qidl_visit_uint8(v, "irr", &obj->irr, error) &&
           qidl_visit_end_struct(v, error);
}

static void test_stream__direct_field_order_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(QidlVisitor) tin = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    Pic pic = { 0 };

    open_golden(&r, &in, 0, s);
    assert_false(visit_pic_reversed(in, "pic", &pic, &error));
    assert_error(error, QIDL_ERROR_MISSING_FIELD);
    assert_message(error, "device /machine/pic (i8259): pic.regs: not next "
                          "in the stream: found field irr at byte offset 78 "
                          "(the direct reader takes fields in visit order)");
    g_clear_error(&error);

    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    tin = qidl_tree_input_visitor_new(
        qidl_node_get_child(qidl_tree_get_root(tree), "pic"), 0);
    assert_true(visit_pic_reversed(tin, "pic", &pic, &error));
    assert_null(error);
    assert_int_equal(pic.irr, 0x10);
    assert_int_equal(pic.regs[1], 2);
}

static gboolean visit_regs_only(QidlVisitor *v, const char *name, Pic *obj,
                                GError **error)
{
    guint32 n = 2;

    if (!qidl_visit_start_struct(v, name, error) ||
        !qidl_visit_start_list(v, "regs", QIDL_LIST_FIXED, &n, 2, error)) {
        return FALSE;
    }
    for (guint32 i = 0; i < n; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_uint16(v, NULL, &obj->regs[i], error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error) && qidl_visit_end_struct(v, error);
}

static gboolean visit_irr_only(QidlVisitor *v, const char *name, Pic *obj,
                               GError **error)
{
    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_uint8(v, "irr", &obj->irr, error) &&
           qidl_visit_end_struct(v, error);
}

static void test_stream__direct_unknown_field_fail(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(QidlStreamReader) r2 = NULL;
    g_autoptr(QidlVisitor) in2 = NULL;
    g_autoptr(GError) error = NULL;
    Pic pic = { 0 };

    open_golden(&r, &in, 0, s);
    assert_false(visit_irr_only(in, "pic", &pic, &error));
    assert_error(error, QIDL_ERROR_UNKNOWN_FIELD);
    assert_message(error, "device /machine/pic (i8259): pic: unknown field "
                          "regs at byte offset 82");
    g_clear_error(&error);

    /* Allowed: the unknown field is skipped, before or after. */
    open_golden(&r2, &in2, QIDL_TREE_INPUT_ALLOW_UNKNOWN, s);
    assert_true(visit_regs_only(in2, "pic", &pic, &error));
    assert_true(qidl_visitor_complete(in2, &error));
    assert_null(error);
    assert_int_equal(pic.regs[0], 1);
}

static void test_stream__direct_optional(void **state)
{
    g_autoptr(GByteArray) s = write_samples(0);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(s->data, s->len,
                                                           &error);
    const QidlStreamDevice *dev;
    Sample got = { 0 };

    assert_true(qidl_stream_reader_next(r, &dev, &error));
    assert_true(qidl_stream_reader_next(r, &dev, &error));
    {
        g_autoptr(QidlVisitor) in = qidl_stream_reader_device_visitor(r, 0);

        got.thr = 1;
        got.has_extra = true;
        assert_true(sample_visit(in, "sample1", &got, &error));
        assert_null(error);
        assert_false(got.has_extra);
        assert_int_equal(got.thr, 9);
    }
    sample_clear(&got);
}

/* ---- the writer ---- */

static gboolean visit_bad_string(QidlVisitor *v, const char *name,
                                 GError **error)
{
    char *bad = (char *)"\xff\xfe";

    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_string(v, "label", &bad, error) &&
           qidl_visit_end_struct(v, error);
}

static void test_stream__writer_sticky_fail(void **state)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    g_autoptr(GError) error = NULL;
    Pic pic = { 0 };

    assert_false(visit_bad_string(qidl_stream_writer_begin_device(
                                      w, "uart", "/machine/uart", 1),
                                  "uart", &error));
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "device /machine/uart (uart): uart.label: string "
                          "is not valid UTF-8 (use bytes for binary data)");
    g_clear_error(&error);
    assert_false(qidl_stream_writer_end_device(w, NULL));
    /* Later devices are no-ops; the first error is reported at the end. */
    assert_true(visit_pic(qidl_stream_writer_begin_device(w, "i8259", "/p",
                                                          1),
                          "pic", &pic, &error));
    assert_false(qidl_stream_writer_end_device(w, NULL));
    assert_false(qidl_stream_writer_finish(w, &error));
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "device /machine/uart (uart): uart.label: string "
                          "is not valid UTF-8 (use bytes for binary data)");
    assert_int_equal(out->len, 0);
}

static void test_stream__writer_incomplete_visit_fail(void **state)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    g_autoptr(GError) error = NULL;
    QidlVisitor *v = qidl_stream_writer_begin_device(w, "i8259", "/p", 1);

    assert_true(qidl_visit_start_struct(v, "pic", &error));
    assert_false(qidl_stream_writer_end_device(w, &error));
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "device /p (i8259): the visit of its state did "
                          "not complete");
}

static void test_stream__writer_top_level_scalar_fail(void **state)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    g_autoptr(GError) error = NULL;
    guint8 x = 1;

    assert_false(qidl_visit_uint8(qidl_stream_writer_begin_device(
                                      w, "i8259", "/p", 1), "x", &x, &error));
    assert_error(error, QIDL_ERROR_UNSUPPORTED);
}

static void test_stream__write_tree_non_device_fail(void **state)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GError) error = NULL;

    qidl_node_append(qidl_tree_get_root(tree),
                     qidl_node_new_struct(tree, "loose"), NULL);
    assert_false(qidl_stream_write_tree(tree, NULL, 0, out, &error));
    assert_error(error, QIDL_ERROR_UNSUPPORTED);
    assert_int_equal(out->len, 0);
}

/* ---- limits ---- */

/* A stream with one device whose state nests @depth structs. */
static GByteArray *nested_stream(guint depth)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *node = qidl_node_new_struct(tree, "d");
    GByteArray *out = g_byte_array_new();

    qidl_node_set_device(node, "deep", "/deep", 1);
    qidl_node_append(qidl_tree_get_root(tree), node, NULL);
    for (guint i = 1; i < depth; i++) {
        QidlNode *child = qidl_node_new_struct(tree, "n");

        qidl_node_append(node, child, NULL);
        node = child;
    }
    assert_true(qidl_stream_write_tree(tree, NULL, 0, out, NULL));
    return out;
}

static void test_stream__depth_at_limit(void **state)
{
    g_autoptr(GByteArray) s = nested_stream(QIDL_LIMIT_DEPTH);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(s->data, s->len, NULL,
                                                     &error);

    assert_null(error);
    assert_non_null(tree);
}

static void test_stream__depth_over_limit_fail(void **state)
{
    g_autoptr(GByteArray) s = nested_stream(QIDL_LIMIT_DEPTH);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    /* One more level: the innermost empty struct gets a child struct. */
    static const guint8 more[] = { 0x01, 0x00, 0x0e, 0x00, 0x00, 0x00,
                                   0x00 };
    gsize end = end_offset(s);
    gsize rec = end - 4 - 4;   /* the innermost field count */

    assert_int_equal(test_get32(s->data + rec), 0);
    test_put32(s->data + rec, 1);
    insert_bytes(s, rec + 4, more, sizeof(more));
    /* The device record's length, right after the header. */
    test_put32(s->data + test_stream_header_len(s) + 1,
          test_get32(s->data + test_stream_header_len(s) + 1) + sizeof(more));
    test_stream_fix_checksums(s);
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_error(error, QIDL_ERROR_LIMIT);
}

/* A device with @n fields of distinct names. */
static gboolean write_many_names(guint n, GByteArray *out, GError **error)
{
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    QidlVisitor *v = qidl_stream_writer_begin_device(w, "many", "/many", 1);
    guint8 x = 0;

    /* The device's own name is one of the @n. */
    if (!qidl_visit_start_struct(v, "f0", error)) {
        return FALSE;
    }
    for (guint i = 1; i < n; i++) {
        char name[16];

        g_snprintf(name, sizeof(name), "f%u", i);
        if (!qidl_visit_uint8(v, name, &x, error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_struct(v, error) &&
           qidl_stream_writer_end_device(w, error) &&
           qidl_stream_writer_finish(w, error);
}

static void test_stream__names_at_limit(void **state)
{
    g_autoptr(GByteArray) s = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;

    assert_true(write_many_names(QIDL_LIMIT_STREAM_NAMES, s, &error));
    assert_null(error);
    tree = qidl_stream_read_tree(s->data, s->len, NULL, &error);
    assert_null(error);
    assert_int_equal(qidl_node_get_n_children(qidl_node_get_child(
                         qidl_tree_get_root(tree), "f0")),
                     QIDL_LIMIT_STREAM_NAMES - 1);
}

static void test_stream__names_over_limit_fail(void **state)
{
    g_autoptr(GByteArray) s = g_byte_array_new();
    g_autoptr(GError) error = NULL;

    assert_false(write_many_names(QIDL_LIMIT_STREAM_NAMES + 1, s, &error));
    assert_error(error, QIDL_ERROR_LIMIT);
    assert_message(error, "device /many (many): f0.f65535: more than 65535 "
                          "distinct field names in one stream");
    assert_int_equal(s->len, 0);
}

/* ---- qidl_visit_scalar_array() ---- */

/* Every scalar kind, for the array tests below. */
static const QidlKind array_kinds[] = {
    QIDL_KIND_BOOL, QIDL_KIND_INT8, QIDL_KIND_UINT8, QIDL_KIND_INT16,
    QIDL_KIND_UINT16, QIDL_KIND_INT32, QIDL_KIND_UINT32, QIDL_KIND_INT64,
    QIDL_KIND_UINT64, QIDL_KIND_FLOAT, QIDL_KIND_DOUBLE,
};

/*
 * A device "dev" whose state is one array "a" of @n values of @kind,
 * visited element by element or (@bulk) with qidl_visit_scalar_array().
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

/* Distinct values of every width; bools 0 and 1. */
static void fill_array(QidlKind kind, guint32 n, void *array)
{
    gsize size = qidl_kind_size(kind);
    guint8 *p = array;

    for (gsize i = 0; i < n * size; i++) {
        p[i] = kind == QIDL_KIND_BOOL ? (guint8)(i % 3 == 1)
                                      : (guint8)(0x91 + 37 * i);
    }
}

static GByteArray *write_array(QidlKind kind, guint32 n, void *array,
                               gboolean bulk)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    g_autoptr(GError) error = NULL;
    QidlVisitor *v = qidl_stream_writer_begin_device(w, "arr", "/a", 1);

    assert_true(visit_array(v, kind, n, array, bulk, &error));
    assert_true(qidl_stream_writer_end_device(w, &error));
    assert_true(qidl_stream_writer_finish(w, &error));
    assert_null(error);
    return out;
}

/*
 * Reads @s's device as an array of @n values of @kind into @array, which
 * is first filled with 0xee; returns the error, if any.
 */
static GError *read_array(const GByteArray *s, QidlKind kind, guint32 n,
                          void *array, gboolean bulk)
{
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    GError *error = NULL;

    memset(array, 0xee, n * qidl_kind_size(kind));
    open_golden(&r, &in, 0, s);
    if (visit_array(in, kind, n, array, bulk, &error)) {
        qidl_visitor_complete(in, &error);
    }
    return error;
}

/* The same bytes either way, for every kind, empty, one and many. */
static void test_stream__scalar_array_same_bytes(void **state)
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

            fill_array(kind, n, src);
            loop = write_array(kind, n, src, FALSE);
            bulk = write_array(kind, n, src, TRUE);
            assert_bytes_equal(loop, bulk);
            /* Read back both ways. */
            for (int b = 0; b < 2; b++) {
                g_autoptr(GError) error = read_array(bulk, kind, n, dst, b);

                assert_null(error);
                assert_memory_equal(src, dst, len);
            }
        }
    }
}

static gboolean visit_pic_bulk(QidlVisitor *v, const char *name, Pic *obj,
                               GError **error)
{
    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_uint8(v, "irr", &obj->irr, error) &&
           qidl_visit_scalar_array(v, "regs", QIDL_KIND_UINT16,
                                   QIDL_LIST_FIXED, 2, obj->regs, error) &&
           qidl_visit_end_struct(v, error);
}

/* The spec's example, written and read with the bulk call. */
static void test_stream__scalar_array_golden(void **state)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(GError) error = NULL;
    Pic pic = { 0x10, { 1, 2 } };
    Pic back = { 0 };

    assert_true(visit_pic_bulk(qidl_stream_writer_begin_device(
                                   w, "i8259", "/machine/pic", 1),
                               "pic", &pic, &error));
    assert_true(qidl_stream_writer_end_device(w, &error));
    assert_true(qidl_stream_writer_finish(w, &error));
    assert_bytes_equal(out, s);

    open_golden(&r, &in, 0, s);
    assert_true(visit_pic_bulk(in, "pic", &back, &error));
    assert_true(qidl_visitor_complete(in, &error));
    assert_null(error);
    assert_int_equal(back.regs[0], 1);
    assert_int_equal(back.regs[1], 2);
}

/*
 * Reads @s both ways and checks that they fail alike: same code, same
 * message, same elements loaded before the failing one.
 */
static void assert_same_failure(const GByteArray *s, QidlKind kind,
                                guint32 n, int code, const char *message)
{
    gsize len = n * qidl_kind_size(kind);
    g_autofree guint8 *loop_dst = g_malloc(len + 1);
    g_autofree guint8 *bulk_dst = g_malloc(len + 1);
    g_autoptr(GError) loop = read_array(s, kind, n, loop_dst, FALSE);
    g_autoptr(GError) bulk = read_array(s, kind, n, bulk_dst, TRUE);

    assert_error(loop, code);
    assert_message(loop, message);
    assert_error(bulk, code);
    assert_message(bulk, message);
    assert_memory_equal(loop_dst, bulk_dst, len);
}

static void test_stream__scalar_array_mismatch_fail(void **state)
{
    guint16 regs[3] = { 7, 8, 9 };
    g_autoptr(GByteArray) s = write_array(QIDL_KIND_UINT16, 3, regs, TRUE);

    /*
     * The header is 26 bytes; the record's head and names 26 more; the
     * state's struct 9; the list's name and tag 3, its head (kind, count) at
     * 62, its elements at 67.  Another kind: element 0 names it.
     */
    assert_same_failure(s, QIDL_KIND_INT16, 3, QIDL_ERROR_TYPE_MISMATCH,
                        "device /a (arr): dev.a[0]: expected int16, found "
                        "uint16 at byte offset 67");
    /* Another count: the list names it. */
    assert_same_failure(s, QIDL_KIND_UINT16, 2, QIDL_ERROR_LENGTH_MISMATCH,
                        "device /a (arr): dev.a: expected 2 elements, "
                        "found 3 at byte offset 62");
    assert_same_failure(s, QIDL_KIND_UINT16, 4, QIDL_ERROR_LENGTH_MISMATCH,
                        "device /a (arr): dev.a: expected 4 elements, "
                        "found 3 at byte offset 62");
}

/* A list that is not packed: elements tagged, the second of another kind. */
static void test_stream__scalar_array_tagged_fail(void **state)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    g_autoptr(GError) error = NULL;
    QidlVisitor *v = qidl_stream_writer_begin_device(w, "arr", "/a", 1);
    guint16 first = 0x1234;
    guint8 second = 5;
    guint32 n = 2;

    assert_true(qidl_visit_start_struct(v, "dev", &error));
    assert_true(qidl_visit_start_list(v, "a", QIDL_LIST_FIXED, &n, 2,
                                      &error));
    assert_true(qidl_visit_next_list(v, &error));
    assert_true(qidl_visit_uint16(v, NULL, &first, &error));
    assert_true(qidl_visit_next_list(v, &error));
    assert_true(qidl_visit_uint8(v, NULL, &second, &error));
    assert_true(qidl_visit_end_list(v, &error));
    assert_true(qidl_visit_end_struct(v, &error));
    assert_true(qidl_stream_writer_end_device(w, &error));
    assert_true(qidl_stream_writer_finish(w, &error));

    /* Element 0 is loaded, element 1 fails. */
    assert_same_failure(out, QIDL_KIND_UINT16, 2, QIDL_ERROR_TYPE_MISMATCH,
                        "device /a (arr): dev.a[1]: expected uint16, found "
                        "uint8 at byte offset 70");
}

/* A bool that is neither 0 nor 1, in a packed list. */
static void test_stream__scalar_array_bad_bool_fail(void **state)
{
    bool flags[4] = { true, false, true, false };
    g_autoptr(GByteArray) s = write_array(QIDL_KIND_BOOL, 4, flags, TRUE);

    /* The elements start at 67; make the third one 2. */
    assert_int_equal(s->data[69], 1);
    s->data[69] = 2;
    test_stream_fix_checksums(s);
    assert_same_failure(s, QIDL_KIND_BOOL, 4, QIDL_ERROR_INVALID,
                        "device /a (arr): dev.a[2]: invalid bool value 2 at "
                        "byte offset 69");
}

/* ---- QIDL_STREAM_WRITE_BORROW ---- */

/* Big values of every kind the writer may borrow, and small ones. */
typedef struct {
    guint8 ram[8192];
    guint32 words[2048];
    bool flags[5000];
    char *text;
    guint8 small[QIDL_STREAM_BORROW_MIN - 1];
    guint8 last;
} Big;

static gboolean visit_big(QidlVisitor *v, const char *name, Big *obj,
                          GError **error)
{
    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_bytes(v, "ram", obj->ram, sizeof(obj->ram), error) &&
           qidl_visit_scalar_array(v, "words", QIDL_KIND_UINT32,
                                   QIDL_LIST_FIXED, G_N_ELEMENTS(obj->words),
                                   obj->words, error) &&
           qidl_visit_scalar_array(v, "flags", QIDL_KIND_BOOL,
                                   QIDL_LIST_FIXED, G_N_ELEMENTS(obj->flags),
                                   obj->flags, error) &&
           qidl_visit_string(v, "text", &obj->text, error) &&
           qidl_visit_bytes(v, "small", obj->small, sizeof(obj->small),
                            error) &&
           qidl_visit_uint8(v, "last", &obj->last, error) &&
           qidl_visit_end_struct(v, error);
}

static void big_init(Big *big)
{
    for (gsize i = 0; i < sizeof(big->ram); i++) {
        big->ram[i] = (guint8)(i * 7);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(big->words); i++) {
        big->words[i] = 0x01020304u * (guint32)i;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(big->flags); i++) {
        big->flags[i] = i % 3 == 0;
    }
    big->text = g_strnfill(5000, 'q');
    memset(big->small, 0x5a, sizeof(big->small));
    big->last = 9;
}

/*
 * Writes two devices holding @big; between the visits and finish(), the
 * first bytes of each big value are changed to 0xee (which a borrowing
 * writer then reads).
 */
static GByteArray *write_big(Big *big, QidlStreamWriteFlags flags)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1",
                                                           flags);
    g_autoptr(GError) error = NULL;
    g_autofree char *saved_text = g_strdup(big->text);
    Big saved = *big;

    assert_true(visit_big(qidl_stream_writer_begin_device(w, "big", "/a", 1),
                          "a", big, &error));
    assert_true(qidl_stream_writer_end_device(w, &error));
    assert_true(visit_big(qidl_stream_writer_begin_device(w, "big", "/b", 1),
                          "b", big, &error));
    assert_true(qidl_stream_writer_end_device(w, &error));
    big->ram[0] = 0xee;
    big->words[0] = 0xeeeeeeee;
    big->flags[1] = true;
    big->text[0] = 'e';
    big->small[0] = 0xee;
    assert_true(qidl_stream_writer_finish(w, &error));
    assert_null(error);
    memcpy(big->ram, saved.ram, sizeof(big->ram));
    memcpy(big->words, saved.words, sizeof(big->words));
    memcpy(big->flags, saved.flags, sizeof(big->flags));
    memcpy(big->small, saved.small, sizeof(big->small));
    strcpy(big->text, saved_text);
    return out;
}

/* Reads device @index of @s back into @back. */
static void read_big(const GByteArray *s, guint index, Big *back)
{
    g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(s->data, s->len,
                                                           NULL);
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(GError) error = NULL;
    const QidlStreamDevice *dev = NULL;

    assert_non_null(r);
    for (guint i = 0; i <= index; i++) {
        assert_true(qidl_stream_reader_next(r, &dev, &error));
        assert_non_null(dev);
    }
    in = qidl_stream_reader_device_visitor(r, 0);
    assert_true(visit_big(in, index ? "b" : "a", back, &error));
    assert_true(qidl_visitor_complete(in, &error));
    assert_null(error);
}

static void test_stream__borrow_same_bytes(void **state)
{
    static const QidlStreamWriteFlags compress[] = {
        QIDL_STREAM_WRITE_NONE, QIDL_STREAM_WRITE_ZSTD,
    };
    g_autofree Big *big = g_new0(Big, 1);
    g_autofree Big *back = g_new0(Big, 1);

    big_init(big);
    for (guint i = 0; i < G_N_ELEMENTS(compress); i++) {
        g_autoptr(GByteArray) copied = NULL;
        g_autoptr(GByteArray) borrowed = NULL;

        /* Unchanged objects: the same stream either way. */
        copied = g_byte_array_new();
        borrowed = g_byte_array_new();
        for (guint j = 0; j < 2; j++) {
            g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(
                j ? borrowed : copied, "t", "1",
                compress[i] | (j ? QIDL_STREAM_WRITE_BORROW : 0));
            g_autoptr(GError) error = NULL;

            assert_true(visit_big(qidl_stream_writer_begin_device(
                                      w, "big", "/a", 1),
                                  "a", big, &error));
            assert_true(qidl_stream_writer_end_device(w, &error));
            assert_true(qidl_stream_writer_finish(w, &error));
        }
        assert_bytes_equal(copied, borrowed);
        /* The reader decompresses by itself. */
        read_big(borrowed, 0, back);
        assert_memory_equal(back->ram, big->ram, sizeof(big->ram));
        assert_memory_equal(back->words, big->words, sizeof(big->words));
        assert_memory_equal(back->flags, big->flags, sizeof(big->flags));
        assert_string_equal(back->text, big->text);
        assert_memory_equal(back->small, big->small, sizeof(big->small));
        assert_int_equal(back->last, 9);
        g_free(back->text);
        back->text = NULL;
    }
    g_free(big->text);
}

/*
 * What borrowing means: a big value is read when finish() runs, a small
 * one (below QIDL_STREAM_BORROW_MIN) and a bool array (whose C bools are
 * not the format's bytes everywhere) when visited; without the flag,
 * everything is read when visited.
 */
static void test_stream__borrow_reads_at_finish(void **state)
{
    g_autofree Big *big = g_new0(Big, 1);
    g_autofree Big *back = g_new0(Big, 1);

    big_init(big);
    for (guint copy = 0; copy < 2; copy++) {
        g_autoptr(GByteArray) s = write_big(
            big, copy ? QIDL_STREAM_WRITE_NONE : QIDL_STREAM_WRITE_BORROW);

        for (guint dev = 0; dev < 2; dev++) {
            read_big(s, dev, back);
            assert_int_equal(back->ram[0], copy ? 0 : 0xee);
            assert_int_equal(back->ram[1], 7);
            assert_int_equal(back->words[0], copy ? 0 : 0xeeeeeeee);
            assert_int_equal(back->words[1], 0x01020304);
            assert_int_equal(back->text[0], copy ? 'q' : 'e');
            assert_int_equal(strlen(back->text), 5000);
            assert_false(back->flags[1]);
            assert_int_equal(back->small[0], 0x5a);
            assert_int_equal(back->last, 9);
            g_free(back->text);
            back->text = NULL;
        }
    }
    g_free(big->text);
}

/*
 * The reader reuses a freed device visitor for the next device: nothing of
 * a failed visit is left in it, and two visitors alive at once are
 * independent.
 */
static void test_stream__device_visitor_reused(void **state)
{
    g_autofree Big *big = g_new0(Big, 1);
    g_autofree Big *back = g_new0(Big, 1);
    g_autoptr(GByteArray) s = NULL;

    big_init(big);
    s = write_big(big, QIDL_STREAM_WRITE_NONE);
    for (guint keep = 0; keep < 2; keep++) {
        g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(s->data,
                                                               s->len, NULL);
        g_autoptr(QidlVisitor) first = NULL;
        g_autoptr(QidlVisitor) second = NULL;
        g_autoptr(GError) error = NULL;
        const QidlStreamDevice *dev = NULL;
        guint8 ram[8192];
        gint64 wrong = 0;

        assert_true(qidl_stream_reader_next(r, &dev, &error));
        first = qidl_stream_reader_device_visitor(r, 0);
        /* Fails at the second field: its tag is at 26 (header) + 54
         * (record head and names) + 7 (the struct) + 8199 (ram) + 2. */
        assert_true(qidl_visit_start_struct(first, "a", &error));
        assert_true(qidl_visit_bytes(first, "ram", ram, sizeof(ram), &error));
        assert_false(qidl_visit_int64(first, "words", &wrong, &error));
        assert_error(error, QIDL_ERROR_TYPE_MISMATCH);
        assert_message(error, "device /a (big): a.words: expected int64, "
                              "found list at byte offset 8288");
        g_clear_error(&error);
        if (!keep) {
            g_clear_pointer(&first, qidl_visitor_free);
        }
        assert_true(qidl_stream_reader_next(r, &dev, &error));
        assert_string_equal(dev->instance_path, "/b");
        second = qidl_stream_reader_device_visitor(r, 0);
        assert_true(second != first);
        assert_true(visit_big(second, "b", back, &error));
        assert_true(qidl_visitor_complete(second, &error));
        assert_null(error);
        assert_memory_equal(back->words, big->words, sizeof(big->words));
        assert_string_equal(back->text, big->text);
        g_clear_pointer(&back->text, g_free);
        assert_true(qidl_stream_reader_next(r, &dev, &error));
        assert_null(dev);
    }
    g_free(big->text);
}

/*
 * The writer remembers names by the address of the caller's string: one
 * buffer holding different names in turn (longer, shorter, another
 * letter) still gives each its own entry.
 */
static void test_stream__names_from_one_buffer(void **state)
{
    static const char *const names[] = { "ab", "ac", "abc", "a" };
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    QidlVisitor *v = qidl_stream_writer_begin_device(w, "n", "/n", 1);
    QidlNode *dev;
    char buf[8];

    assert_true(qidl_visit_start_struct(v, "dev", &error));
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        guint8 value = (guint8)(10 + i);

        strcpy(buf, names[i]);
        assert_true(qidl_visit_start_struct(v, buf, &error));
        strcpy(buf, names[(i + 1) % G_N_ELEMENTS(names)]);
        assert_true(qidl_visit_uint8(v, buf, &value, &error));
        assert_true(qidl_visit_end_struct(v, &error));
    }
    assert_true(qidl_visit_end_struct(v, &error));
    assert_true(qidl_stream_writer_end_device(w, &error));
    assert_true(qidl_stream_writer_finish(w, &error));
    tree = qidl_stream_read_tree(out->data, out->len, NULL, &error);
    assert_non_null(tree);
    dev = qidl_node_get_first_child(qidl_tree_get_root(tree));
    assert_int_equal(qidl_node_get_n_children(dev), 4);
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        QidlNode *sub = qidl_node_get_child(dev, names[i]);
        QidlNode *field;

        assert_non_null(sub);
        assert_int_equal(qidl_node_get_n_children(sub), 1);
        field = qidl_node_get_child(
            sub, names[(i + 1) % G_N_ELEMENTS(names)]);
        assert_non_null(field);
        assert_int_equal(qidl_node_get_uint(field), 10 + i);
    }

    /* The same name twice in one struct is still refused. */
    g_clear_pointer(&w, qidl_stream_writer_free);
    g_byte_array_set_size(out, 0);
    w = qidl_stream_writer_new(out, "t", "1", 0);
    v = qidl_stream_writer_begin_device(w, "n", "/n", 1);
    assert_true(qidl_visit_start_struct(v, "dev", &error));
    for (guint i = 0; i < 3; i++) {
        guint8 value = 0;

        strcpy(buf, names[i]);
        assert_true(qidl_visit_uint8(v, buf, &value, &error));
    }
    strcpy(buf, "ac");
    assert_false(qidl_visit_uint8(v, buf, &(guint8) { 0 }, &error));
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "device /n (n): dev.ac: field visited twice in "
                          "one struct");
}

/* ---- qidl_visit_scalar_fields() ---- */

#define RUN_FIELD(name, field, kind) \
    { name, offsetof(FieldsDev, field), kind, sizeof(name) - 1 }

/* fields_run with u16 written as an int16. */
static const QidlScalarField run_int16[] = {
    RUN_FIELD("flag", flag, QIDL_KIND_BOOL),
    RUN_FIELD("i8", i8, QIDL_KIND_INT8),
    RUN_FIELD("u8", u8, QIDL_KIND_UINT8),
    RUN_FIELD("i16", i16, QIDL_KIND_INT16),
    RUN_FIELD("u16", u16, QIDL_KIND_INT16),
    RUN_FIELD("i32", i32, QIDL_KIND_INT32),
    RUN_FIELD("u32", u32, QIDL_KIND_UINT32),
    RUN_FIELD("i64", i64, QIDL_KIND_INT64),
    RUN_FIELD("u64", u64, QIDL_KIND_UINT64),
    RUN_FIELD("f", f, QIDL_KIND_FLOAT),
    RUN_FIELD("d", d, QIDL_KIND_DOUBLE),
};

/* fields_run with u32 called v32. */
static const QidlScalarField run_v32[] = {
    RUN_FIELD("flag", flag, QIDL_KIND_BOOL),
    RUN_FIELD("i8", i8, QIDL_KIND_INT8),
    RUN_FIELD("u8", u8, QIDL_KIND_UINT8),
    RUN_FIELD("i16", i16, QIDL_KIND_INT16),
    RUN_FIELD("u16", u16, QIDL_KIND_UINT16),
    RUN_FIELD("i32", i32, QIDL_KIND_INT32),
    RUN_FIELD("v32", u32, QIDL_KIND_UINT32),
    RUN_FIELD("i64", i64, QIDL_KIND_INT64),
    RUN_FIELD("u64", u64, QIDL_KIND_UINT64),
    RUN_FIELD("f", f, QIDL_KIND_FLOAT),
    RUN_FIELD("d", d, QIDL_KIND_DOUBLE),
};

/* fields_run with a field "extra" (tail's value) after u8. */
static const QidlScalarField run_extra[] = {
    RUN_FIELD("flag", flag, QIDL_KIND_BOOL),
    RUN_FIELD("i8", i8, QIDL_KIND_INT8),
    RUN_FIELD("u8", u8, QIDL_KIND_UINT8),
    RUN_FIELD("extra", tail, QIDL_KIND_UINT8),
    RUN_FIELD("i16", i16, QIDL_KIND_INT16),
    RUN_FIELD("u16", u16, QIDL_KIND_UINT16),
    RUN_FIELD("i32", i32, QIDL_KIND_INT32),
    RUN_FIELD("u32", u32, QIDL_KIND_UINT32),
    RUN_FIELD("i64", i64, QIDL_KIND_INT64),
    RUN_FIELD("u64", u64, QIDL_KIND_UINT64),
    RUN_FIELD("f", f, QIDL_KIND_FLOAT),
    RUN_FIELD("d", d, QIDL_KIND_DOUBLE),
};

/* Names the writer refuses, and a field of the run visited twice. */
static const QidlScalarField run_twice[] = {
    RUN_FIELD("flag", flag, QIDL_KIND_BOOL),
    RUN_FIELD("u8", u8, QIDL_KIND_UINT8),
    RUN_FIELD("u8", i8, QIDL_KIND_INT8),
};
static const QidlScalarField run_head[] = {
    RUN_FIELD("flag", flag, QIDL_KIND_BOOL),
    RUN_FIELD("head", u8, QIDL_KIND_UINT8),
};
static const QidlScalarField run_dollar[] = {
    RUN_FIELD("flag", flag, QIDL_KIND_BOOL),
    RUN_FIELD("$u8", u8, QIDL_KIND_UINT8),
};
static const QidlScalarField run_not_utf8[] = {
    RUN_FIELD("flag", flag, QIDL_KIND_BOOL),
    RUN_FIELD("u\xff", u8, QIDL_KIND_UINT8),
};
static const QidlScalarField run_empty_name[] = {
    RUN_FIELD("flag", flag, QIDL_KIND_BOOL),
    RUN_FIELD("", u8, QIDL_KIND_UINT8),
};

/* The bytes of FieldsDev's state as fields_dev_init() fills it. */
#define FIELDS_STATE_LEN 91

/* The top-level name of device @i: "dev", "dev1", "dev2"... */
static char *dev_name(guint i)
{
    return i ? g_strdup_printf("dev%u", i) : g_strdup("dev");
}

/*
 * Writes @n_dev "fields" devices (/f0, /f1, ...) holding @src, each
 * visited with @run (@n fields) in one call if @bulk; returns the stream,
 * or NULL and the writer's error in *@error.
 */
static GByteArray *write_fields_full(const FieldsDev *src, guint n_dev,
                                     const QidlScalarField *run, guint n,
                                     gboolean bulk, GError **error)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);

    for (guint i = 0; i < n_dev; i++) {
        g_autofree char *path = g_strdup_printf("/f%u", i);
        g_autofree char *name = dev_name(i);
        QidlVisitor *v = qidl_stream_writer_begin_device(w, "fields", path,
                                                         1);
        FieldsDev copy = *src;

        fields_dev_visit(v, name, &copy, run, n, bulk, NULL);
        if (!qidl_stream_writer_end_device(w, error)) {
            return NULL;
        }
    }
    if (!qidl_stream_writer_finish(w, error)) {
        return NULL;
    }
    return g_steal_pointer(&out);
}

static GByteArray *write_fields(const FieldsDev *src, guint n_dev,
                                const QidlScalarField *run, guint n,
                                gboolean bulk)
{
    g_autoptr(GError) error = NULL;
    GByteArray *s = write_fields_full(src, n_dev, run, n, bulk, &error);

    assert_null(error);
    assert_non_null(s);
    return s;
}

/*
 * Reads the @n_dev devices of @s into @dst[], each first filled with
 * 0xee, visiting fields_run in one call if @bulk; returns the first
 * error.
 */
static GError *read_fields(const GByteArray *s, guint n_dev, FieldsDev *dst,
                           gboolean bulk, QidlTreeInputFlags flags)
{
    g_autoptr(QidlStreamReader) r = NULL;
    GError *error = NULL;

    memset(dst, 0xee, n_dev * sizeof(*dst));
    r = qidl_stream_reader_new(s->data, s->len, &error);
    if (!r) {
        return error;
    }
    for (guint i = 0; i < n_dev; i++) {
        g_autoptr(QidlVisitor) in = NULL;
        g_autofree char *name = dev_name(i);
        const QidlStreamDevice *dev;

        if (!qidl_stream_reader_next(r, &dev, &error)) {
            return error;
        }
        assert_non_null(dev);
        in = qidl_stream_reader_device_visitor(r, flags);
        if (!fields_dev_visit(in, name, &dst[i], fields_run,
                              FIELDS_RUN_LEN, bulk, &error) ||
            !qidl_visitor_complete(in, &error)) {
            return error;
        }
    }
    return NULL;
}

/* Every field of @a and @b, bit for bit. */
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

/*
 * The bulk writer's bytes, by hand: each field its name index, its tag
 * and its little-endian value, as docs/stream-format.md has them.
 */
static void test_stream__scalar_fields_bytes(void **state)
{
    static const guint8 want[FIELDS_STATE_LEN] = {
        0x00, 0x00, 0x0e, 0x0d, 0x00, 0x00, 0x00,  /* dev: struct, 13 */
        0x01, 0x00, 0x03, 0xa5,                    /* head: uint8 */
        0x02, 0x00, 0x01, 0x01,                    /* flag: bool true */
        0x03, 0x00, 0x02, 0xfe,                    /* i8: int8 -2 */
        0x04, 0x00, 0x03, 0x10,                    /* u8: uint8 0x10 */
        0x05, 0x00, 0x04, 0xd4, 0xfe,              /* i16: -300 */
        0x06, 0x00, 0x05, 0xef, 0xbe,              /* u16: 0xbeef */
        0x07, 0x00, 0x06, 0x90, 0xee, 0xfe, 0xff,  /* i32: -70000 */
        0x08, 0x00, 0x07, 0xef, 0xbe, 0xad, 0xde,  /* u32: 0xdeadbeef */
        0x09, 0x00, 0x08,                          /* i64: MIN + 1 */
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
        0x0a, 0x00, 0x09,                          /* u64: MAX - 1 */
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x0b, 0x00, 0x0a, 0x00, 0x00, 0xc0, 0x3f,  /* f: 1.5 */
        0x0c, 0x00, 0x0b,                          /* d: -0.1 */
        0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0xbf,
        0x0d, 0x00, 0x03, 0x5a,                    /* tail: uint8 */
    };
    g_autoptr(GByteArray) s = NULL;
    FieldsDev src;
    gsize end;

    fields_dev_init(&src);
    s = write_fields(&src, 1, fields_run, FIELDS_RUN_LEN, TRUE);
    /* The state is the end of the device record, before its CRC. */
    end = end_offset(s) - 4;
    assert_memory_equal(s->data + end - FIELDS_STATE_LEN, want,
                        FIELDS_STATE_LEN);
}

/*
 * The same bytes either way: one device, then several (the writer and
 * the reader know the table after the first), and prefixes of the run;
 * read back either way.
 */
static void test_stream__scalar_fields_same_bytes(void **state)
{
    static const guint n_devs[] = { 1, 3 };
    FieldsDev src;

    fields_dev_init(&src);
    for (gsize k = 0; k < G_N_ELEMENTS(n_devs); k++) {
        guint n_dev = n_devs[k];
        g_autoptr(GByteArray) loop = write_fields(&src, n_dev, fields_run,
                                                  FIELDS_RUN_LEN, FALSE);
        g_autoptr(GByteArray) bulk = write_fields(&src, n_dev, fields_run,
                                                  FIELDS_RUN_LEN, TRUE);
        g_autofree FieldsDev *dst = g_new(FieldsDev, n_dev);

        assert_bytes_equal(loop, bulk);
        for (int b = 0; b < 2; b++) {
            g_autoptr(GError) error = read_fields(bulk, n_dev, dst, b, 0);

            assert_null(error);
            for (guint i = 0; i < n_dev; i++) {
                assert_fields_dev_equal(&dst[i], &src);
            }
        }
    }
    /* Every prefix of the table, at one address: each length apart. */
    for (guint n = 1; n <= FIELDS_RUN_LEN; n++) {
        g_autoptr(GByteArray) loop = write_fields(&src, 2, fields_run, n,
                                                  FALSE);
        g_autoptr(GByteArray) bulk = write_fields(&src, 2, fields_run, n,
                                                  TRUE);

        assert_bytes_equal(loop, bulk);
    }
}

/*
 * Reads @s both ways and checks that they fail alike: same code and
 * message, same fields loaded before the failing one.
 */
static void assert_fields_same_failure(const GByteArray *s, guint n_dev,
                                       QidlTreeInputFlags flags, int code,
                                       const char *message)
{
    g_autofree FieldsDev *loop_dst = g_new(FieldsDev, n_dev);
    g_autofree FieldsDev *bulk_dst = g_new(FieldsDev, n_dev);
    g_autoptr(GError) loop = read_fields(s, n_dev, loop_dst, FALSE, flags);
    g_autoptr(GError) bulk = read_fields(s, n_dev, bulk_dst, TRUE, flags);

    assert_error(loop, code);
    assert_error(bulk, code);
    assert_string_equal(bulk->message, loop->message);
    if (message) {
        assert_message(bulk, message);
    }
    assert_memory_equal(loop_dst, bulk_dst, n_dev * sizeof(FieldsDev));
}

/* A field of another kind, of another name: the same errors. */
static void test_stream__scalar_fields_mismatch_fail(void **state)
{
    FieldsDev src;
    g_autoptr(GByteArray) wide = NULL;
    g_autoptr(GByteArray) renamed = NULL;

    fields_dev_init(&src);
    /*
     * The header is 26 bytes, the record's head 24 and its 14 names 53
     * more: the state starts at 103, u16's tag is at 103 + 30.
     */
    wide = write_fields(&src, 1, run_int16, FIELDS_RUN_LEN, TRUE);
    assert_fields_same_failure(wide, 1, 0, QIDL_ERROR_TYPE_MISMATCH,
                               "device /f0 (fields): dev.u16: expected "
                               "uint16, found int16 at byte offset 133");
    /* The second device: the reader knows the table by then. */
    g_clear_pointer(&wide, g_byte_array_unref);
    wide = write_fields(&src, 2, fields_run, FIELDS_RUN_LEN, TRUE);
    {
        g_autoptr(GByteArray) w2 = NULL;
        g_autoptr(QidlStreamWriter) w = NULL;
        QidlVisitor *v;
        FieldsDev copy = src;

        w2 = g_byte_array_new();
        w = qidl_stream_writer_new(w2, "t", "1", 0);
        v = qidl_stream_writer_begin_device(w, "fields", "/f0", 1);
        assert_true(fields_dev_visit(v, "dev", &copy, fields_run,
                                     FIELDS_RUN_LEN, TRUE, NULL));
        assert_true(qidl_stream_writer_end_device(w, NULL));
        v = qidl_stream_writer_begin_device(w, "fields", "/f1", 1);
        assert_true(fields_dev_visit(v, "dev1", &copy, run_int16,
                                     FIELDS_RUN_LEN, TRUE, NULL));
        assert_true(qidl_stream_writer_end_device(w, NULL));
        assert_true(qidl_stream_writer_finish(w, NULL));
        assert_fields_same_failure(w2, 2, 0, QIDL_ERROR_TYPE_MISMATCH,
                                   NULL);
    }

    /* u32's name index at 103 + 40 (v32 is as long as u32). */
    renamed = write_fields(&src, 1, run_v32, FIELDS_RUN_LEN, TRUE);
    assert_fields_same_failure(renamed, 1, 0, QIDL_ERROR_MISSING_FIELD,
                               "device /f0 (fields): dev.u32: not next in "
                               "the stream: found field v32 at byte offset "
                               "143 (the direct reader takes fields in "
                               "visit order)");
}

/*
 * A field the visit does not know between two of the run: skipped when
 * allowed, the same error either way when not.
 */
static void test_stream__scalar_fields_unknown_field(void **state)
{
    g_autoptr(GByteArray) s = NULL;
    FieldsDev src, dst[2];

    fields_dev_init(&src);
    /* The state starts at 109 (one name more): extra's at 109 + 23. */
    s = write_fields(&src, 1, run_extra, G_N_ELEMENTS(run_extra), TRUE);
    for (int b = 0; b < 2; b++) {
        g_autoptr(GError) error = read_fields(s, 1, dst, b,
                                              QIDL_TREE_INPUT_ALLOW_UNKNOWN);

        assert_null(error);
        assert_fields_dev_equal(&dst[0], &src);
    }
    assert_fields_same_failure(s, 1, 0, QIDL_ERROR_MISSING_FIELD,
                               "device /f0 (fields): dev.i16: not next in "
                               "the stream: found field extra at byte "
                               "offset 132 (the direct reader takes "
                               "fields in visit order)");
    /* Known from a first device, the table is read alike after it. */
    {
        g_autoptr(GByteArray) two = g_byte_array_new();
        g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(two, "t",
                                                               "1", 0);
        FieldsDev copy = src;
        QidlVisitor *v;

        v = qidl_stream_writer_begin_device(w, "fields", "/f0", 1);
        assert_true(fields_dev_visit(v, "dev", &copy, fields_run,
                                     FIELDS_RUN_LEN, TRUE, NULL));
        assert_true(qidl_stream_writer_end_device(w, NULL));
        v = qidl_stream_writer_begin_device(w, "fields", "/f1", 1);
        assert_true(fields_dev_visit(v, "dev1", &copy, run_extra,
                                     G_N_ELEMENTS(run_extra), TRUE, NULL));
        assert_true(qidl_stream_writer_end_device(w, NULL));
        assert_true(qidl_stream_writer_finish(w, NULL));
        for (int b = 0; b < 2; b++) {
            g_autoptr(GError) error = read_fields(
                two, 2, dst, b, QIDL_TREE_INPUT_ALLOW_UNKNOWN);

            assert_null(error);
            assert_fields_dev_equal(&dst[0], &src);
            assert_fields_dev_equal(&dst[1], &src);
        }
        assert_fields_same_failure(two, 2, 0, QIDL_ERROR_MISSING_FIELD,
                                   NULL);
    }
}

/*
 * A device record whose state ends at every byte of the state: the same
 * error (path, offset, bytes left) and the same fields loaded either
 * way.
 */
static void test_stream__scalar_fields_truncated_fail(void **state)
{
    FieldsDev src;
    g_autoptr(GByteArray) whole = NULL;
    gsize rec, end, start;

    fields_dev_init(&src);
    whole = write_fields(&src, 1, fields_run, FIELDS_RUN_LEN, TRUE);
    rec = test_stream_header_len(whole);
    end = end_offset(whole) - 4;
    start = end - FIELDS_STATE_LEN;
    for (gsize at = start; at < end; at++) {
        g_autoptr(GByteArray) s = g_byte_array_new();

        g_byte_array_append(s, whole->data, whole->len);
        g_byte_array_remove_range(s, (guint)at, (guint)(end - at));
        test_put32(s->data + rec + 1, test_get32(s->data + rec + 1) -
                                 (guint32)(end - at));
        test_stream_fix_checksums(s);
        assert_fields_same_failure(s, 1, 0, QIDL_ERROR_TRUNCATED, NULL);
    }
    /* One of them in full: the last byte of d missing (d at 103 + 79). */
    {
        g_autoptr(GByteArray) s = g_byte_array_new();

        g_byte_array_append(s, whole->data, whole->len);
        g_byte_array_remove_range(s, (guint)(end - 5), 5);
        test_put32(s->data + rec + 1, test_get32(s->data + rec + 1) - 5);
        test_stream_fix_checksums(s);
        assert_fields_same_failure(s, 1, 0, QIDL_ERROR_TRUNCATED,
                                   "device /f0 (fields): dev.d: truncated "
                                   "at byte offset 182 (need 8 bytes, 7 "
                                   "left in the record)");
    }
}

/* A bool that is neither 0 nor 1: refused either way. */
static void test_stream__scalar_fields_bad_bool_fail(void **state)
{
    FieldsDev src;
    g_autoptr(GByteArray) s = NULL;
    gsize flag;

    fields_dev_init(&src);
    s = write_fields(&src, 2, fields_run, FIELDS_RUN_LEN, TRUE);
    /* flag's value: the 15th byte of the state of /f0, then of /f1. */
    flag = test_stream_header_len(s) + 5 + test_get32(s->data + test_stream_header_len(s) + 1) -
           FIELDS_STATE_LEN + 14;
    for (guint value = 2; value <= 255; value += 253) {
        g_autofree char *want = g_strdup_printf(
            "device /f0 (fields): dev.flag: invalid bool value %u at byte "
            "offset %" G_GSIZE_FORMAT, value, flag);

        assert_int_equal(s->data[flag], 1);
        s->data[flag] = (guint8)value;
        test_stream_fix_checksums(s);
        assert_fields_same_failure(s, 2, 0, QIDL_ERROR_INVALID, want);
        s->data[flag] = 1;
    }
    /* In the second device, whose table the reader knows. */
    flag = end_offset(s) - 4 - FIELDS_STATE_LEN + 14;
    assert_int_equal(s->data[flag], 1);
    s->data[flag] = 7;
    test_stream_fix_checksums(s);
    assert_fields_same_failure(s, 2, 0, QIDL_ERROR_INVALID, NULL);
}

/* The writer's errors: the same sticky error, naming the field. */
static void test_stream__scalar_fields_writer_fail(void **state)
{
    static const struct {
        const QidlScalarField *run;
        guint n;
        int code;
        const char *message;
    } cases[] = {
        { run_twice, G_N_ELEMENTS(run_twice), QIDL_ERROR_INVALID,
          "device /f0 (fields): dev.u8: field visited twice in one "
          "struct" },
        { run_head, G_N_ELEMENTS(run_head), QIDL_ERROR_INVALID,
          "device /f0 (fields): dev.head: field visited twice in one "
          "struct" },
        { run_dollar, G_N_ELEMENTS(run_dollar), QIDL_ERROR_INVALID,
          "device /f0 (fields): dev.$u8: a field name must not start "
          "with '$'" },
        { run_not_utf8, G_N_ELEMENTS(run_not_utf8), QIDL_ERROR_INVALID,
          "device /f0 (fields): dev.u\xff: a field name must be 1 to 255 "
          "bytes of UTF-8" },
        { run_empty_name, G_N_ELEMENTS(run_empty_name), QIDL_ERROR_INVALID,
          "device /f0 (fields): dev.: a field name must be 1 to 255 bytes "
          "of UTF-8" },
    };
    FieldsDev src;

    fields_dev_init(&src);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (int b = 0; b < 2; b++) {
            g_autoptr(GError) error = NULL;
            g_autoptr(GByteArray) s = write_fields_full(
                &src, 2, cases[i].run, cases[i].n, b, &error);

            assert_null(s);
            assert_error(error, cases[i].code);
            assert_message(error, cases[i].message);
        }
    }
}

/* The device of test_stream__scalar_fields_many_names. */
#define MANY_FIELDS 600
typedef struct {
    guint8 shared;
    guint8 x;                   /* in a struct "inner" */
    guint8 v[MANY_FIELDS];
} ManyDev;

/* The fields of a ManyDev before its table. */
static void visit_many_head(QidlVisitor *v, ManyDev *d)
{
    assert_true(qidl_visit_uint8(v, "shared", &d->shared, NULL));
    assert_true(qidl_visit_start_struct(v, "inner", NULL));
    assert_true(qidl_visit_uint8(v, "x", &d->x, NULL));
    assert_true(qidl_visit_end_struct(v, NULL));
}

/*
 * Writes two devices of @src, each a struct whose fields "shared" and
 * "inner" come before the table @run, visited in one call if @bulk.
 */
static GByteArray *write_many(ManyDev *src, const QidlScalarField *run,
                              gboolean bulk)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);

    for (guint d = 0; d < 2; d++) {
        g_autofree char *path = g_strdup_printf("/m%u", d);
        g_autofree char *name = g_strdup_printf("m%u", d);
        QidlVisitor *v = qidl_stream_writer_begin_device(w, "many", path, 1);

        assert_true(qidl_visit_start_struct(v, name, NULL));
        visit_many_head(v, src);
        if (bulk) {
            assert_true(qidl_visit_scalar_fields(v, run, MANY_FIELDS, src,
                                                 NULL));
        } else {
            for (guint i = 0; i < MANY_FIELDS; i++) {
                assert_true(qidl_visit_scalar(v, run[i].name, run[i].kind,
                                              (guint8 *)src + run[i].offset,
                                              NULL));
            }
        }
        assert_true(qidl_visit_end_struct(v, NULL));
        assert_true(qidl_stream_writer_end_device(w, NULL));
    }
    assert_true(qidl_stream_writer_finish(w, NULL));
    return g_steal_pointer(&out);
}

/*
 * A table that brings more new names than the writer's name table has
 * room for, among them a UTF-8 name that is not ASCII and one the stream
 * defined already (a field of an inner struct): the writer defines a new table's names in one pass,
 * growing its table first, and the stream is the one the fields' own
 * visits write; it reads back.
 */
static void test_stream__scalar_fields_many_names(void **state)
{
    g_autofree QidlScalarField *run = g_new0(QidlScalarField, MANY_FIELDS);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GByteArray) loop = NULL;
    g_autoptr(GByteArray) bulk = NULL;
    g_autoptr(QidlStreamReader) r = NULL;
    const QidlStreamDevice *dev;
    ManyDev src, dst;

    src.shared = 0x5a;
    src.x = 0xa5;
    for (guint i = 0; i < MANY_FIELDS; i++) {
        char *name = i == 300 ? g_strdup("z\xc3\xa4hler") :
                     g_strdup_printf("field_%u", i);

        g_ptr_array_add(names, name);
        src.v[i] = (guint8)(i * 7);
        run[i] = (QidlScalarField) {
            name, offsetof(ManyDev, v) + i, QIDL_KIND_UINT8,
            (guint8)strlen(name),
        };
    }
    /* Not "shared" (twice in one struct), but the inner struct's "x",
     * which the stream defined before the table. */
    run[7].name = "x";
    run[7].name_len = 1;
    loop = write_many(&src, run, FALSE);
    bulk = write_many(&src, run, TRUE);
    assert_bytes_equal(loop, bulk);

    r = qidl_stream_reader_new(bulk->data, bulk->len, NULL);
    assert_non_null(r);
    for (guint d = 0; d < 2; d++) {
        g_autofree char *name = g_strdup_printf("m%u", d);
        g_autoptr(QidlVisitor) in = NULL;

        memset(&dst, 0xee, sizeof(dst));
        assert_true(qidl_stream_reader_next(r, &dev, NULL));
        assert_non_null(dev);
        in = qidl_stream_reader_device_visitor(r, 0);
        assert_true(qidl_visit_start_struct(in, name, NULL));
        visit_many_head(in, &dst);
        assert_true(qidl_visit_scalar_fields(in, run, MANY_FIELDS, &dst,
                                             NULL));
        assert_true(qidl_visit_end_struct(in, NULL));
        assert_memory_equal(&dst, &src, sizeof(dst));
    }
}

/*
 * A table the writer knows, one of whose fields the struct visited
 * already: refused as the field's own call would refuse it.
 */
static void test_stream__scalar_fields_known_twice_fail(void **state)
{
    for (int b = 0; b < 2; b++) {
        g_autoptr(GByteArray) out = g_byte_array_new();
        g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1",
                                                               0);
        g_autoptr(GError) error = NULL;
        QidlVisitor *v;
        FieldsDev d;

        fields_dev_init(&d);
        v = qidl_stream_writer_begin_device(w, "fields", "/f0", 1);
        assert_true(fields_dev_visit(v, "dev", &d, fields_run,
                                     FIELDS_RUN_LEN, b, NULL));
        assert_true(qidl_stream_writer_end_device(w, NULL));
        v = qidl_stream_writer_begin_device(w, "fields", "/f1", 1);
        assert_true(qidl_visit_start_struct(v, "dev1", NULL));
        assert_true(qidl_visit_uint8(v, "u8", &d.u8, NULL));
        if (b) {
            assert_false(qidl_visit_scalar_fields(v, fields_run,
                                                  FIELDS_RUN_LEN, &d,
                                                  &error));
        } else {
            for (guint i = 0; i < FIELDS_RUN_LEN && !error; i++) {
                qidl_visit_scalar(v, fields_run[i].name, fields_run[i].kind,
                                  (guint8 *)&d + fields_run[i].offset,
                                  &error);
            }
        }
        assert_error(error, QIDL_ERROR_INVALID);
        assert_message(error, "device /f1 (fields): dev1.u8: field visited "
                              "twice in one struct");
    }
}

/* The name limit crossed inside a run: the field that crosses it fails. */
static void test_stream__scalar_fields_names_over_limit_fail(void **state)
{
    for (int b = 0; b < 2; b++) {
        g_autoptr(GByteArray) out = g_byte_array_new();
        g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1",
                                                               0);
        QidlVisitor *v = qidl_stream_writer_begin_device(w, "many", "/many",
                                                         1);
        g_autoptr(GError) error = NULL;
        FieldsDev d;
        guint8 x = 0;

        fields_dev_init(&d);
        /* "dev", "head" and 65531 more: room for two of the run. */
        assert_true(qidl_visit_start_struct(v, "dev", NULL));
        assert_true(qidl_visit_uint8(v, "head", &x, NULL));
        for (guint i = 0; i < QIDL_LIMIT_STREAM_NAMES - 4; i++) {
            char name[16];

            g_snprintf(name, sizeof(name), "n%u", i);
            assert_true(qidl_visit_uint8(v, name, &x, NULL));
        }
        assert_false(fields_dev_visit(v, "inner", &d, fields_run, 3, b,
                                      NULL));
        assert_false(qidl_stream_writer_end_device(w, &error));
        assert_error(error, QIDL_ERROR_LIMIT);
        assert_message(error, "device /many (many): dev.inner.i8: more than "
                              "65535 distinct field names in one stream");
    }
}

static void count_critical(const gchar *domain, GLogLevelFlags level,
                           const gchar *message, gpointer data)
{
    (*(guint *)data)++;
}

/* A run whose second field's kind is not a scalar's. */
static const QidlScalarField run_bad_kind[] = {
    RUN_FIELD("flag", flag, QIDL_KIND_BOOL),
    RUN_FIELD("u8", u8, QIDL_KIND_STRUCT),
};

/*
 * The stream writer and reader check a table of qidl_visit_scalar_fields()
 * themselves, once per table they keep (scalar_fields_checks_tables): a
 * table with a kind that is not a scalar's is refused as a programming
 * error, each time, and nothing is written or read.
 */
static void test_stream__scalar_fields_bad_table_fail(void **state)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);
    g_autoptr(GByteArray) s = NULL;
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    const QidlStreamDevice *dev;
    GLogLevelFlags fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
    guint criticals = 0;
    guint handler = g_log_set_handler(NULL, G_LOG_LEVEL_CRITICAL,
                                      count_critical, &criticals);
    FieldsDev f;
    QidlVisitor *v;

    fields_dev_init(&f);
    v = qidl_stream_writer_begin_device(w, "fields", "/f0", 1);
    assert_true(qidl_visit_start_struct(v, "dev", NULL));
    for (guint i = 0; i < 2; i++) {
        assert_false(qidl_visit_scalar_fields(v, run_bad_kind, 2, &f, NULL));
        assert_int_equal(criticals, i + 1);
    }

    s = write_fields(&f, 1, fields_run, FIELDS_RUN_LEN, TRUE);
    r = qidl_stream_reader_new(s->data, s->len, NULL);
    assert_true(qidl_stream_reader_next(r, &dev, NULL));
    in = qidl_stream_reader_device_visitor(r, 0);
    assert_true(qidl_visit_start_struct(in, "dev", NULL));
    assert_true(qidl_visit_uint8(in, "head", &f.head, NULL));
    for (guint i = 0; i < 2; i++) {
        assert_false(qidl_visit_scalar_fields(in, run_bad_kind, 2, &f,
                                              NULL));
        assert_int_equal(criticals, 3 + i);
    }
    g_log_remove_handler(NULL, handler);
    g_log_set_always_fatal(fatal);
}

/* ---- qidl_stream_writer_reset() ---- */

typedef struct {
    Pic pic;
    FieldsDev f;
    Big *big;
} ResetState;

static void reset_device(QidlStreamWriter *w, guint which, const char *path,
                         ResetState *st)
{
    g_autoptr(GError) error = NULL;
    QidlVisitor *v = NULL;

    switch (which) {
    case 0:
        v = qidl_stream_writer_begin_device(w, "i8259", path, 1);
        assert_true(visit_pic(v, "pic", &st->pic, &error));
        break;
    case 1:
        v = qidl_stream_writer_begin_device(w, "fields", path, 1);
        assert_true(fields_dev_visit(v, "dev", &st->f, fields_run,
                                     FIELDS_RUN_LEN, TRUE, &error));
        break;
    default:
        v = qidl_stream_writer_begin_device(w, "big", path, 1);
        assert_true(visit_big(v, "big", st->big, &error));
        break;
    }
    assert_true(qidl_stream_writer_end_device(w, &error));
    assert_null(error);
}

/*
 * Stream @which: 0: the PIC, a run of fields, big values; 1: the same in
 * another order, so that names and tables get other indices; 2: the PIC.
 */
static void reset_write(QidlStreamWriter *w, guint which, ResetState *st)
{
    g_autoptr(GError) error = NULL;

    if (which == 0) {
        reset_device(w, 0, "/machine/pic", st);
        reset_device(w, 1, "/f", st);
        reset_device(w, 2, "/big", st);
    } else if (which == 1) {
        reset_device(w, 1, "/f", st);
        reset_device(w, 2, "/big2", st);
        reset_device(w, 0, "/machine/pic", st);
    } else {
        reset_device(w, 0, "/machine/pic", st);
    }
    assert_true(qidl_stream_writer_finish(w, &error));
    assert_null(error);
}

/* Stream @which from a new writer. */
static GByteArray *reset_fresh(const QidlStreamInfo *info,
                               QidlStreamWriteFlags flags, guint which,
                               ResetState *st)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new_full(out, info,
                                                                flags);

    reset_write(w, which, st);
    return out;
}

/*
 * A writer reset between streams writes what new writers write: after a
 * finished stream, after a device abandoned half-way, after a failure;
 * with metadata and preserved records placed first, after a device and at
 * the end; plain, compressed and borrowing.
 */
static void test_stream__writer_reset_same_bytes(void **state)
{
    static const QidlStreamWriteFlags flags[] = {
        QIDL_STREAM_WRITE_NONE, QIDL_STREAM_WRITE_ZSTD,
        QIDL_STREAM_WRITE_BORROW,
    };
    static const guint order[] = { 0, 1, 0, 2, 1 };
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(GError) error = NULL;
    ResetState st = { { 0x10, { 1, 2 } } };

    insert_record(s, end_offset(s), 0x85, (const guint8 *)"late", 4);
    insert_record(s, 26, 0x90, (const guint8 *)"\x00\x01", 2);
    tree = qidl_stream_read_tree(s->data, s->len, &info, &error);
    assert_null(error);
    assert_int_equal(qidl_stream_info_get_n_records(info), 2);
    qidl_stream_info_set_metadata(info, "machine", "pc-q35-7.2");
    fields_dev_init(&st.f);
    st.big = g_new0(Big, 1);
    big_init(st.big);

    for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
        g_autoptr(GByteArray) first = g_byte_array_new();
        g_autoptr(QidlStreamWriter) w =
            qidl_stream_writer_new_full(first, info, flags[i]);
        g_autoptr(GByteArray) expect = NULL;
        QidlVisitor *v;

        reset_write(w, order[0], &st);
        expect = reset_fresh(info, flags[i], order[0], &st);
        assert_bytes_equal(first, expect);

        for (guint k = 1; k < G_N_ELEMENTS(order); k++) {
            g_autoptr(GByteArray) out = g_byte_array_new();
            g_autoptr(GByteArray) fresh = reset_fresh(info, flags[i],
                                                      order[k], &st);

            qidl_stream_writer_reset(w, out);
            reset_write(w, order[k], &st);
            assert_bytes_equal(out, fresh);
        }

        /* A device left half-way, then a reset. */
        {
            g_autoptr(GByteArray) out = g_byte_array_new();
            g_autoptr(GByteArray) fresh = reset_fresh(info, flags[i], 1,
                                                      &st);
            g_autoptr(GByteArray) dropped = g_byte_array_new();

            qidl_stream_writer_reset(w, dropped);
            reset_device(w, 0, "/machine/pic", &st);
            v = qidl_stream_writer_begin_device(w, "fields", "/f", 1);
            assert_true(qidl_visit_start_struct(v, "dev", &error));
            assert_true(qidl_visit_uint8(v, "extra", &st.pic.irr, &error));
            qidl_stream_writer_reset(w, out);
            reset_write(w, 1, &st);
            assert_bytes_equal(out, fresh);
            assert_int_equal(dropped->len, 0);
        }

        /* A failed stream, then a reset. */
        {
            g_autoptr(GByteArray) failed = g_byte_array_new();
            g_autoptr(GByteArray) out = g_byte_array_new();
            g_autoptr(GByteArray) fresh = reset_fresh(info, flags[i], 0,
                                                      &st);

            qidl_stream_writer_reset(w, failed);
            assert_false(visit_bad_string(qidl_stream_writer_begin_device(
                                              w, "uart", "/machine/uart", 1),
                                          "uart", NULL));
            assert_false(qidl_stream_writer_end_device(w, NULL));
            assert_false(qidl_stream_writer_finish(w, &error));
            assert_error(error, QIDL_ERROR_INVALID);
            g_clear_error(&error);
            assert_int_equal(failed->len, 0);
            qidl_stream_writer_reset(w, out);
            reset_write(w, 0, &st);
            assert_bytes_equal(out, fresh);
        }

        /* Into the array of the last stream: appended, as finish() does. */
        {
            g_autoptr(GByteArray) both = reset_fresh(info, flags[i], 0, &st);
            g_autoptr(GByteArray) pic = reset_fresh(info, flags[i], 2, &st);

            qidl_stream_writer_reset(w, first);
            reset_write(w, 2, &st);
            g_byte_array_append(both, pic->data, pic->len);
            assert_bytes_equal(first, both);
        }
    }
    g_free(st.big->text);
    g_free(st.big);
}

/* A writer that failed when it was made fails each stream after a reset. */
static void test_stream__writer_reset_bad_producer_fail(void **state)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t\xff", "1",
                                                           0);
    g_autoptr(GError) error = NULL;
    Pic pic = { 0x10, { 1, 2 } };

    assert_false(qidl_stream_writer_finish(w, &error));
    assert_error(error, QIDL_ERROR_INVALID);
    assert_message(error, "producer is not UTF-8 of at most 65535 bytes");
    g_clear_error(&error);

    for (guint i = 0; i < 3; i++) {
        qidl_stream_writer_reset(w, again);
        assert_true(visit_pic(qidl_stream_writer_begin_device(
                                  w, "i8259", "/machine/pic", 1),
                              "pic", &pic, &error));
        assert_false(qidl_stream_writer_end_device(w, NULL));
        assert_false(qidl_stream_writer_finish(w, &error));
        assert_error(error, QIDL_ERROR_INVALID);
        assert_message(error, "producer is not UTF-8 of at most 65535 bytes");
        g_clear_error(&error);
    }
    assert_int_equal(out->len, 0);
    assert_int_equal(again->len, 0);
}

/*
 * Device @kind of the random streams of
 * test_stream__writer_reset_random_same_bytes: the PIC, runs of fields
 * (three tables sharing most names, in one call or field by field), big
 * values, and names from one reused buffer, @seed choosing which.
 */
static gboolean random_visit(QidlVisitor *v, guint kind, guint seed,
                             const char *top, ResetState *st, GError **error)
{
    static const QidlScalarField *const runs[] = {
        fields_run, run_v32, run_extra,
    };
    static const guint n_runs[] = {
        FIELDS_RUN_LEN, G_N_ELEMENTS(run_v32), G_N_ELEMENTS(run_extra),
    };
    char name[16];
    gboolean ok = TRUE;

    switch (kind) {
    case 0:
        ok = visit_pic(v, top, &st->pic, error);
        break;
    case 1:
        ok = fields_dev_visit(v, top, &st->f, runs[seed % 3],
                              n_runs[seed % 3], seed & 4, error);
        break;
    case 2:
        ok = visit_big(v, top, st->big, error);
        break;
    default:
        ok = qidl_visit_start_struct(v, top, error);
        /* Up to 5 of 7 names, in turn from one of them. */
        for (guint i = 0; ok && i < 1 + seed % 5; i++) {
            g_snprintf(name, sizeof(name), "n%u", (seed / 5 + i) % 7);
            ok = qidl_visit_start_struct(v, name, error) &&
                 qidl_visit_uint8(v, "irr", &st->pic.irr, error) &&
                 qidl_visit_end_struct(v, error);
        }
        ok = ok && qidl_visit_end_struct(v, error);
        break;
    }
    return ok;
}

static gboolean random_device(QidlStreamWriter *w, guint kind, guint seed,
                              const char *path, ResetState *st,
                              GError **error)
{
    QidlVisitor *v = qidl_stream_writer_begin_device(w, "t", path, 1);
    /* The path without its '/': unique in the stream. */
    gboolean ok = random_visit(v, kind, seed, path + 1, st, error);

    return qidl_stream_writer_end_device(w, error) && ok;
}

/*
 * One writer reset between 300 random streams, some abandoned or failed
 * half-way, writes each as a new writer does.  The first three are one
 * run each, of fields_run, then twice of run_extra, which parts from the
 * first's names in the middle of the run the first time it is met.
 */
static void test_stream__writer_reset_random_same_bytes(void **state)
{
    g_autoptr(QidlStreamWriter) w = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    ResetState st = { { 0x10, { 1, 2 } } };
    guint32 rnd = 12345;

    fields_dev_init(&st.f);
    st.big = g_new0(Big, 1);
    big_init(st.big);
    w = qidl_stream_writer_new(out, "t", "1", QIDL_STREAM_WRITE_BORROW);
    for (guint k = 0; k < 300; k++) {
        g_autoptr(GByteArray) fresh_out = g_byte_array_new();
        g_autoptr(QidlStreamWriter) fresh =
            qidl_stream_writer_new(fresh_out, "t", "1",
                                   QIDL_STREAM_WRITE_BORROW);
        guint n_dev, stop;

        rnd = rnd * 1103515245u + 12345u;
        n_dev = k < 3 ? 1 : (rnd >> 8) % 6;
        /* One stream in eight stops before its end. */
        stop = k >= 3 && (rnd >> 16) % 8 == 0 ? (rnd >> 20) % (n_dev + 1)
                                                : G_MAXUINT;
        g_byte_array_set_size(out, 0);
        qidl_stream_writer_reset(w, out);
        for (guint i = 0; i < n_dev; i++) {
            g_autofree char *path = g_strdup_printf("/d%u", i);
            guint kind, seed;

            rnd = rnd * 1103515245u + 12345u;
            kind = k < 3 ? 1 : (rnd >> 8) % 4;
            /* 12: fields_run, 14: run_extra, in one call. */
            seed = k < 3 ? (k ? 14 : 12) : rnd >> 12;
            if (i == stop) {
                /* Half a device, or one that fails. */
                QidlVisitor *v = qidl_stream_writer_begin_device(
                    w, "t", path, 1);

                if (seed & 1) {
                    qidl_visit_start_struct(v, "dev", NULL);
                    qidl_visit_uint8(v, "n9", &st.pic.irr, NULL);
                } else {
                    visit_bad_string(v, "uart", NULL);
                    qidl_stream_writer_end_device(w, NULL);
                }
                break;
            }
            assert_true(random_device(w, kind, seed, path, &st, NULL));
            assert_true(random_device(fresh, kind, seed, path, &st, NULL));
        }
        if (stop < n_dev) {
            continue;
        }
        assert_true(qidl_stream_writer_finish(w, NULL));
        assert_true(qidl_stream_writer_finish(fresh, NULL));
        assert_bytes_equal(out, fresh_out);
    }
    g_free(st.big->text);
    g_free(st.big);
}

/*
 * Two PICs written with @w at @p0 and @p1, top-level names @t0 and @t1;
 * the writer's first error, or NULL.
 */
static GError *write_two_pics(QidlStreamWriter *w, const char *p0,
                              const char *t0, const char *p1,
                              const char *t1)
{
    GError *error = NULL;
    Pic pic = { 0x10, { 1, 2 } };

    visit_pic(qidl_stream_writer_begin_device(w, "i8259", p0, 1), t0, &pic,
              NULL);
    qidl_stream_writer_end_device(w, NULL);
    visit_pic(qidl_stream_writer_begin_device(w, "i8259", p1, 1), t1, &pic,
              NULL);
    qidl_stream_writer_end_device(w, NULL);
    qidl_stream_writer_finish(w, &error);
    return error;
}

/*
 * A reset writer takes instance paths and top-level names from the last
 * stream's while they come alike, and still refuses a path or a name
 * used twice in a stream, as a new writer does.
 */
static void test_stream__writer_reset_devices(void **state)
{
    static const char *const cases[][4] = {
        { "/p0", "t0", "/p1", "t1" },
        { "/p0", "t0", "/p0", "t1" },       /* the path twice */
        { "/p0", "t0", "/p1", "t1" },
        { "/p0", "t0", "/p1", "t0" },       /* the name twice */
        { "/p0", "t0", "/p1", "t1" },
        { "/p1", "t1", "/p0", "t0" },
        { "/p1", "t1", "/p1", "t0" },
        { "/p0", "t0", "/p1", "t1" },
        /* the next name of the last stream's starts with this one */
        { "/p0", "t", "/p1", "t1" },
        { "/p0", "t0", "/p1", "t" },
    };
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "t", "1", 0);

    for (guint k = 0; k < G_N_ELEMENTS(cases); k++) {
        g_autoptr(GByteArray) fresh_out = g_byte_array_new();
        g_autoptr(QidlStreamWriter) fresh =
            qidl_stream_writer_new(fresh_out, "t", "1", 0);
        g_autoptr(GError) want = write_two_pics(fresh, cases[k][0],
                                                cases[k][1], cases[k][2],
                                                cases[k][3]);
        g_autoptr(GError) got = NULL;

        g_byte_array_set_size(out, 0);
        if (k > 0) {
            qidl_stream_writer_reset(w, out);
        }
        got = write_two_pics(w, cases[k][0], cases[k][1], cases[k][2],
                             cases[k][3]);
        if (want) {
            assert_non_null(got);
            assert_int_equal(got->code, want->code);
            assert_string_equal(got->message, want->message);
        } else {
            assert_null(got);
            assert_bytes_equal(out, fresh_out);
        }
        assert_int_equal(want != NULL, k == 1 || k == 3 || k == 6);
    }
}

/*
 * Device "n" with struct dev { a, b, sub { a, b }, a }: the last field
 * again, after a nested struct that had the same names.  @runs: the pairs
 * in one qidl_visit_scalar_fields() each, else field by field.  @twice:
 * with the last field, which the writer must refuse.
 */
typedef struct {
    guint8 a;
    guint8 b;
} TwoBytes;

static const QidlScalarField run_ab[] = {
    { "a", offsetof(TwoBytes, a), QIDL_KIND_UINT8, 1 },
    { "b", offsetof(TwoBytes, b), QIDL_KIND_UINT8, 1 },
};

static gboolean visit_ab(QidlVisitor *v, gboolean runs, TwoBytes *x,
                         GError **error)
{
    return runs ? qidl_visit_scalar_fields(v, run_ab, 2, x, error) :
           qidl_visit_uint8(v, "a", &x->a, error) &&
           qidl_visit_uint8(v, "b", &x->b, error);
}

static GError *write_nested_twice(QidlStreamWriter *w, gboolean runs,
                                  gboolean twice)
{
    QidlVisitor *v = qidl_stream_writer_begin_device(w, "n", "/n", 1);
    TwoBytes x = { 1, 2 };
    GError *error = NULL;

    if (!qidl_visit_start_struct(v, "dev", &error) ||
        !visit_ab(v, runs, &x, &error) ||
        !qidl_visit_start_struct(v, "sub", &error) ||
        !visit_ab(v, runs, &x, &error) ||
        !qidl_visit_end_struct(v, &error) ||
        (twice && !qidl_visit_uint8(v, "a", &x.a, &error)) ||
        !qidl_visit_end_struct(v, &error) ||
        !qidl_stream_writer_end_device(w, &error)) {
        return error;
    }
    qidl_stream_writer_finish(w, &error);
    return error;
}

/*
 * The check that no struct has a field twice, in a reset writer whose
 * last stream had the same names: a nested struct's fields must not hide
 * the enclosing struct's, as in a new writer.
 */
static void test_stream__writer_reset_nested_twice_fail(void **state)
{
    for (guint runs = 0; runs < 2; runs++) {
        g_autoptr(GByteArray) out = g_byte_array_new();
        g_autoptr(QidlStreamWriter) w =
            qidl_stream_writer_new(out, "t", "1", 0);

        for (guint k = 0; k < 4; k++) {
            g_autoptr(GError) error = NULL;

            if (k > 0) {
                g_byte_array_set_size(out, 0);
                qidl_stream_writer_reset(w, out);
            }
            /* Good, bad, bad again after a failed stream, good. */
            error = write_nested_twice(w, runs, k == 1 || k == 2);
            if (k == 1 || k == 2) {
                assert_error(error, QIDL_ERROR_INVALID);
                assert_message(error, "device /n (n): dev.a: field visited "
                                      "twice in one struct");
            } else {
                assert_null(error);
                assert_true(out->len > 0);
            }
        }
    }
}

/* ---- qidl_stream_reader_reset() ---- */

/*
 * Reads the @n devices of @s, of kinds @kinds[] and seeds @seeds[] as
 * random_device() wrote them, into @dst, with @r (reset to @s) or a new
 * reader if @r is NULL; logs what it reads and the error in @log.
 */
static void random_read(QidlStreamReader *r, const GByteArray *s,
                        const guint *kinds, const guint *seeds, guint n,
                        ResetState *dst, GString *log)
{
    g_autoptr(QidlStreamReader) own = NULL;
    g_autoptr(GError) error = NULL;
    const QidlStreamDevice *dev;
    guint i = 0;

    if (!r) {
        r = own = qidl_stream_reader_new(s->data, s->len, &error);
    } else if (!qidl_stream_reader_reset(r, s->data, s->len, &error)) {
        r = NULL;
    }
    while (r && qidl_stream_reader_next(r, &dev, &error) && dev) {
        g_autoptr(QidlVisitor) in = qidl_stream_reader_device_visitor(r, 0);

        g_string_append_printf(log, "%s %s %s %" G_GSIZE_FORMAT ";",
                               dev->type_name, dev->instance_path,
                               dev->name, dev->offset);
        assert_true(i < n);
        /* A string is loaded anew. */
        g_clear_pointer(&dst->big->text, g_free);
        if (!random_visit(in, kinds[i], seeds[i], dev->name, dst, &error) ||
            !qidl_visitor_complete(in, &error)) {
            break;
        }
        i++;
    }
    g_string_append_printf(log, "%u: %s", i, error ? error->message : "ok");
}

/* The PIC, then a device "d" of fields @a and @b; "$" for @b's first
 * byte if @dollar (the writer refuses it: patched in, resealed). */
static GByteArray *pic_and_two(const char *a, const char *b,
                               gboolean dollar)
{
    GByteArray *s = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(s, "t", "1", 0);
    Pic pic = { 0x10, { 1, 2 } };
    guint8 x = 1;
    QidlVisitor *v;

    v = qidl_stream_writer_begin_device(w, "i8259", "/pic", 1);
    assert_true(visit_pic(v, "pic", &pic, NULL));
    assert_true(qidl_stream_writer_end_device(w, NULL));
    v = qidl_stream_writer_begin_device(w, "d", "/d", 1);
    assert_true(qidl_visit_start_struct(v, "d", NULL) &&
                qidl_visit_uint8(v, a, &x, NULL) &&
                qidl_visit_uint8(v, b, &x, NULL) &&
                qidl_visit_end_struct(v, NULL));
    assert_true(qidl_stream_writer_end_device(w, NULL));
    assert_true(qidl_stream_writer_finish(w, NULL));
    if (dollar) {
        gsize i = 0;

        while (i + 2 <= s->len && memcmp(s->data + i, b, 2) != 0) {
            i++;
        }
        assert_true(i + 2 <= s->len);
        s->data[i] = '$';
        test_stream_fix_checksums(s);
    }
    return s;
}

/* Reads every device of @s with @r, visiting nothing; the error. */
static GError *skim(QidlStreamReader *r, const GByteArray *s)
{
    GError *error = NULL;
    const QidlStreamDevice *dev;

    if (!qidl_stream_reader_reset(r, s->data, s->len, &error)) {
        return error;
    }
    while (qidl_stream_reader_next(r, &dev, &error) && dev) {
    }
    return error;
}

/*
 * A record that fails half-way through its names leaves the ones before
 * the failure in the table: a reset forgets them, so that the next
 * stream, taking the same names by replay, can define them itself.
 */
static void test_stream__reader_reset_after_failed_names(void **state)
{
    g_autoptr(GByteArray) a = pic_and_two("n1", "n2", FALSE);
    g_autoptr(GByteArray) bad = pic_and_two("xx", "yy", TRUE);
    g_autoptr(GByteArray) c = pic_and_two("xx", "zz", FALSE);
    g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(a->data, a->len,
                                                           NULL);
    g_autoptr(GError) error = NULL;

    assert_null(skim(r, a));
    error = skim(r, bad);
    assert_error(error, QIDL_ERROR_INVALID);
    assert_non_null(strstr(error->message, "starts with the reserved '$'"));
    g_clear_error(&error);
    assert_null(skim(r, c));
    assert_null(skim(r, a));
}

/*
 * A new reader on @learn, reset to @learn (a reader keeps what a next
 * stream may take again from its first reset on), then to @s, each read
 * as one "fields" device visited with fields_run: @learn must load, @s
 * must fail as a new reader fails on it (@fresh_error).
 */
static void assert_reset_fields_fail(const GByteArray *learn,
                                     const GByteArray *s,
                                     const GError *fresh_error)
{
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(GError) error = NULL;
    const QidlStreamDevice *dev;
    FieldsDev dst;

    assert_non_null(fresh_error);
    r = qidl_stream_reader_new(learn->data, learn->len, &error);
    for (guint k = 0; k < 2; k++) {
        const GByteArray *cur = k ? s : learn;
        g_autoptr(QidlVisitor) in = NULL;
        gboolean ok;

        assert_true(qidl_stream_reader_reset(r, cur->data, cur->len,
                                             &error));
        assert_true(qidl_stream_reader_next(r, &dev, &error));
        in = qidl_stream_reader_device_visitor(r, 0);
        ok = fields_dev_visit(in, "dev", &dst, fields_run, FIELDS_RUN_LEN,
                              TRUE, &error) &&
             qidl_visitor_complete(in, &error);
        assert_int_equal(ok, !k);
    }
    assert_non_null(error);
    assert_int_equal(error->code, fresh_error->code);
    assert_string_equal(error->message, fresh_error->message);
}

/*
 * Keeps the first @keep of the names the first record of @s defines,
 * removing the others' definitions (the state still uses them), and
 * reseals the stream.
 */
static void cut_names(GByteArray *s, guint keep)
{
    gsize rec = test_stream_header_len(s);
    gsize pos = rec + 5, from;
    guint n;

    pos += 2 + (s->data[pos] | s->data[pos + 1] << 8);      /* type */
    pos += 2 + (s->data[pos] | s->data[pos + 1] << 8);      /* path */
    pos += 4;                                               /* version */
    n = s->data[pos] | s->data[pos + 1] << 8;
    assert_true(keep < n);
    s->data[pos] = (guint8)keep;
    s->data[pos + 1] = (guint8)(keep >> 8);
    pos += 2;
    for (guint i = 0; i < keep; i++) {
        pos += 1 + s->data[pos];
    }
    from = pos;
    for (guint i = keep; i < n; i++) {
        pos += 1 + s->data[pos];
    }
    g_byte_array_remove_range(s, (guint)from, (guint)(pos - from));
    test_put32(s->data + rec + 1,
               test_get32(s->data + rec + 1) - (guint32)(pos - from));
    test_stream_fix_checksums(s);
}

/*
 * A run's table learnt in the last stream, met in a record that uses its
 * names' indices without having them defined: refused as by a new
 * reader.
 */
static void test_stream__reader_reset_undefined_index_fail(void **state)
{
    FieldsDev src, dst;
    g_autoptr(GByteArray) good = NULL;
    g_autoptr(GByteArray) cut = NULL;
    g_autoptr(GError) fresh_error = NULL;

    fields_dev_init(&src);
    good = write_fields(&src, 1, fields_run, FIELDS_RUN_LEN, TRUE);
    cut = write_fields(&src, 1, fields_run, FIELDS_RUN_LEN, TRUE);
    /* "dev" and "head": the run's names are not defined. */
    cut_names(cut, 2);
    fresh_error = read_fields(cut, 1, &dst, TRUE, 0);
    assert_reset_fields_fail(good, cut, fresh_error);
}

/* Two PICs at @p0 and @p1 with top-level names @t0 and @t1. */
static GByteArray *two_pics(const char *p0, const char *t0, const char *p1,
                            const char *t1)
{
    GByteArray *s = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(s, "t", "1", 0);
    Pic pic = { 0x10, { 1, 2 } };

    assert_true(visit_pic(qidl_stream_writer_begin_device(w, "i8259", p0, 1),
                          t0, &pic, NULL));
    assert_true(qidl_stream_writer_end_device(w, NULL));
    assert_true(visit_pic(qidl_stream_writer_begin_device(w, "i8259", p1, 1),
                          t1, &pic, NULL));
    assert_true(qidl_stream_writer_end_device(w, NULL));
    assert_true(qidl_stream_writer_finish(w, NULL));
    return s;
}

/* What a reader shows of @s: each device's head, then the error. */
static char *heads_of(QidlStreamReader *r, const GByteArray *s)
{
    GString *log = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamReader) own = NULL;
    const QidlStreamDevice *dev;

    if (!r) {
        r = own = qidl_stream_reader_new(s->data, s->len, &error);
    } else if (!qidl_stream_reader_reset(r, s->data, s->len, &error)) {
        r = NULL;
    }
    while (r && qidl_stream_reader_next(r, &dev, &error) && dev) {
        g_string_append_printf(log, "%s %s %s;", dev->type_name,
                               dev->instance_path, dev->name);
    }
    g_string_append(log, error ? error->message : "end");
    return g_string_free(log, FALSE);
}

/*
 * A reader takes the heads of device records (type, path, top-level
 * name) from the last stream's while they come alike: a record whose
 * path is the last stream's but whose top-level name is not, and a record
 * that repeats the path of one taken so (resealed), read as by a new
 * reader.
 */
static void test_stream__reader_reset_heads(void **state)
{
    g_autoptr(GByteArray) a = two_pics("/p0", "t0", "/p1", "t1");
    g_autoptr(GByteArray) renamed = two_pics("/p0", "t0", "/p1", "u1");
    g_autoptr(GByteArray) twice = two_pics("/p0", "t0", "/p1", "t1");
    g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(a->data, a->len,
                                                           NULL);
    const GByteArray *order[] = { a, a, renamed, a, a, twice, a, a };
    gsize i = 0;

    /* "/p1" -> "/p0": the second record repeats the first's path. */
    while (i + 3 <= twice->len && memcmp(twice->data + i, "/p1", 3) != 0) {
        i++;
    }
    assert_true(i + 3 <= twice->len);
    twice->data[i + 2] = '0';
    test_stream_fix_checksums(twice);

    for (guint k = 0; k < G_N_ELEMENTS(order); k++) {
        g_autofree char *want = heads_of(NULL, order[k]);
        g_autofree char *got = heads_of(r, order[k]);

        assert_string_equal(got, want);
    }
    {
        g_autofree char *got = heads_of(NULL, twice);

        assert_non_null(strstr(got, "instance path already used"));
    }
}

/*
 * One reader reset between 300 random streams reads what new readers
 * read, loading the same values, failing the same way on streams
 * damaged at a random byte (their checksums made right again, so that
 * the reader reaches them) and on others cut short.
 */
static void test_stream__reader_reset_random_reads_alike(void **state)
{
    g_autoptr(QidlStreamReader) r = NULL;
    ResetState src = { { 0x10, { 1, 2 } } };
    ResetState a = { { 0 } }, b = { { 0 } };
    guint32 rnd = 777;

    fields_dev_init(&src.f);
    src.big = g_new0(Big, 1);
    big_init(src.big);
    a.big = g_new0(Big, 1);
    b.big = g_new0(Big, 1);
    for (guint k = 0; k < 300; k++) {
        g_autoptr(GByteArray) s = g_byte_array_new();
        g_autoptr(QidlStreamWriter) w =
            qidl_stream_writer_new(s, "t", "1", 0);
        g_autoptr(GString) got = g_string_new(NULL);
        g_autoptr(GString) want = g_string_new(NULL);
        guint kinds[6], seeds[6], n_dev;

        rnd = rnd * 1103515245u + 12345u;
        n_dev = (rnd >> 8) % 6;
        for (guint i = 0; i < n_dev; i++) {
            g_autofree char *path = g_strdup_printf("/d%u", i);

            rnd = rnd * 1103515245u + 12345u;
            kinds[i] = (rnd >> 8) % 4;
            seeds[i] = rnd >> 12;
            assert_true(random_device(w, kinds[i], seeds[i], path, &src,
                                      NULL));
        }
        assert_true(qidl_stream_writer_finish(w, NULL));
        rnd = rnd * 1103515245u + 12345u;
        if ((rnd >> 8) % 6 == 0 && n_dev > 0) {
            /* A bit of the body of device record rnd % n_dev. */
            gsize pos = test_stream_header_len(s);

            for (guint i = 0; i <= (rnd >> 12) % n_dev; i++) {
                if (s->data[pos] != QIDL_STREAM_RECORD_DEVICE) {
                    i--;
                }
                if (i == (rnd >> 12) % n_dev &&
                    s->data[pos] == QIDL_STREAM_RECORD_DEVICE) {
                    break;
                }
                pos += 9 + test_get32(s->data + pos + 1);
            }
            s->data[pos + 5 + (rnd >> 16) % test_get32(s->data + pos + 1)] ^=
                (guint8)(1 << ((rnd >> 4) % 8));
            test_stream_fix_checksums(s);
        } else if ((rnd >> 8) % 6 == 1) {
            g_byte_array_set_size(s, (rnd >> 12) % s->len);
        }
        if (!r) {
            r = qidl_stream_reader_new(s->data, s->len, NULL);
            if (!r) {
                continue;
            }
        }
        random_read(NULL, s, kinds, seeds, n_dev, &a, want);
        random_read(r, s, kinds, seeds, n_dev, &b, got);
        assert_string_equal(got->str, want->str);
        assert_memory_equal(&a.pic, &b.pic, sizeof(a.pic));
        assert_memory_equal(&a.f, &b.f, sizeof(a.f));
        assert_memory_equal(a.big->words, b.big->words,
                            sizeof(a.big->words));
    }
    for (guint i = 0; i < 3; i++) {
        ResetState *x = i == 0 ? &src : i == 1 ? &a : &b;

        g_free(x->big->text);
        g_free(x->big);
    }
}

/*
 * Reads every device of @r's stream into @dst by type, logging what the
 * reader says of the stream (devices, then the info at the end) in @log.
 */
static void reset_read(QidlStreamReader *r, GString *log, ResetState *dst)
{
    g_autoptr(GError) error = NULL;
    const QidlStreamInfo *info = qidl_stream_reader_get_info(r);
    const QidlStreamDevice *dev;
    g_autofree const char **keys = NULL;

    while (qidl_stream_reader_next(r, &dev, &error) && dev) {
        g_autoptr(QidlVisitor) in = qidl_stream_reader_device_visitor(r, 0);
        gboolean ok;

        g_string_append_printf(log, "%s %s %u %s %" G_GSIZE_FORMAT "\n",
                               dev->type_name, dev->instance_path,
                               dev->version, dev->name, dev->offset);
        if (strcmp(dev->type_name, "i8259") == 0) {
            ok = visit_pic(in, "pic", &dst->pic, &error);
        } else if (strcmp(dev->type_name, "fields") == 0) {
            ok = fields_dev_visit(in, "dev", &dst->f, fields_run,
                                  FIELDS_RUN_LEN, TRUE, &error);
        } else {
            g_free(dst->big->text);
            dst->big->text = NULL;
            ok = visit_big(in, "big", dst->big, &error);
        }
        assert_true(ok && qidl_visitor_complete(in, &error));
    }
    assert_null(error);
    g_string_append_printf(log, "%s %s %u %s %u\n",
                           qidl_stream_info_get_producer(info),
                           qidl_stream_info_get_producer_version(info),
                           qidl_stream_info_get_flags(info),
                           qidl_stream_info_get_compressed(info) ? "z" : "-",
                           qidl_stream_info_get_n_records(info));
    keys = qidl_stream_info_get_metadata_keys(info);
    for (guint i = 0; keys[i]; i++) {
        g_string_append_printf(log, "%s=%s\n", keys[i],
                               qidl_stream_info_get_metadata(info, keys[i]));
    }
}

/* The devices of the types @log names hold the same state in @a and @b. */
static void reset_assert_loaded(const char *log, const ResetState *a,
                                const ResetState *b)
{
    if (strstr(log, "i8259 ")) {
        assert_memory_equal(&a->pic, &b->pic, sizeof(a->pic));
    }
    if (strstr(log, "fields ")) {
        assert_fields_dev_equal(&a->f, &b->f);
    }
    if (!strstr(log, "big ")) {
        return;
    }
    assert_memory_equal(a->big->ram, b->big->ram, sizeof(a->big->ram));
    assert_memory_equal(a->big->words, b->big->words, sizeof(a->big->words));
    assert_memory_equal(a->big->flags, b->big->flags, sizeof(a->big->flags));
    assert_string_equal(a->big->text, b->big->text);
    assert_memory_equal(a->big->small, b->big->small, sizeof(a->big->small));
    assert_int_equal(a->big->last, b->big->last);
}

/*
 * A reader reset between streams reads what new readers read: plain and
 * compressed streams whose names have other indices, metadata and
 * preserved records; after a failed stream and after a refused header.
 */
static void test_stream__reader_reset_reads_alike(void **state)
{
    g_autoptr(GByteArray) s = golden_copy();
    g_autoptr(QidlStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamReader) r = NULL;
    GByteArray *streams[5];
    ResetState src = { { 0x10, { 1, 2 } } };
    ResetState dst = { { 0 } };
    static const guint8 garbage[] = "not a stream at all, not at all";

    insert_record(s, end_offset(s), 0x85, (const guint8 *)"late", 4);
    insert_record(s, 26, 0x90, (const guint8 *)"\x00\x01", 2);
    tree = qidl_stream_read_tree(s->data, s->len, &info, &error);
    assert_null(error);
    qidl_stream_info_set_metadata(info, "machine", "pc-q35-7.2");
    fields_dev_init(&src.f);
    src.big = g_new0(Big, 1);
    big_init(src.big);
    dst.big = g_new0(Big, 1);
    streams[0] = reset_fresh(info, 0, 0, &src);
    streams[1] = reset_fresh(info, 0, 1, &src);
    streams[2] = reset_fresh(info, QIDL_STREAM_WRITE_ZSTD, 1, &src);
    streams[3] = reset_fresh(info, 0, 2, &src);
    streams[4] = golden_copy();

    for (guint k = 0; k < 2 * G_N_ELEMENTS(streams); k++) {
        GByteArray *cur = streams[(k * 3) % G_N_ELEMENTS(streams)];
        g_autoptr(GString) got = g_string_new(NULL);
        g_autoptr(GString) want = g_string_new(NULL);
        g_autoptr(QidlStreamReader) fresh =
            qidl_stream_reader_new(cur->data, cur->len, &error);

        assert_non_null(fresh);
        reset_read(fresh, want, &dst);
        if (!r) {
            r = qidl_stream_reader_new(cur->data, cur->len, &error);
        } else {
            assert_true(qidl_stream_reader_reset(r, cur->data, cur->len,
                                                 &error));
        }
        assert_null(error);
        memset(&dst.pic, 0, sizeof(dst.pic));
        memset(&dst.f, 0, sizeof(dst.f));
        g_free(dst.big->text);
        memset(dst.big, 0, sizeof(*dst.big));
        reset_read(r, got, &dst);
        assert_string_equal(got->str, want->str);
        if (cur != streams[4]) {
            reset_assert_loaded(got->str, &dst, &src);
        }
    }

    /* A stream that fails half-way, then a good one. */
    {
        g_autoptr(GByteArray) bad = reset_fresh(info, 0, 0, &src);
        g_autoptr(GString) got = g_string_new(NULL);
        g_autoptr(GString) want = g_string_new(NULL);
        g_autoptr(QidlStreamReader) fresh =
            qidl_stream_reader_new(streams[1]->data, streams[1]->len, NULL);
        const QidlStreamDevice *dev;

        bad->data[bad->len - 30] ^= 0x40;
        assert_true(qidl_stream_reader_reset(r, bad->data, bad->len,
                                             &error));
        while (qidl_stream_reader_next(r, &dev, &error) && dev) {
        }
        assert_error(error, QIDL_ERROR_INVALID);
        g_clear_error(&error);
        reset_read(fresh, want, &dst);
        assert_true(qidl_stream_reader_reset(r, streams[1]->data,
                                             streams[1]->len, &error));
        reset_read(r, got, &dst);
        assert_string_equal(got->str, want->str);
    }

    /* A header refused as by a new reader, then a good stream. */
    {
        g_autoptr(GError) fresh_error = NULL;
        g_autoptr(GString) got = g_string_new(NULL);
        g_autoptr(GString) want = g_string_new(NULL);
        g_autoptr(QidlStreamReader) fresh = NULL;

        assert_null(qidl_stream_reader_new(garbage, sizeof(garbage),
                                           &fresh_error));
        assert_false(qidl_stream_reader_reset(r, garbage, sizeof(garbage),
                                              &error));
        assert_non_null(error);
        assert_int_equal(error->code, fresh_error->code);
        assert_string_equal(error->message, fresh_error->message);
        g_clear_error(&error);
        fresh = qidl_stream_reader_new(streams[2]->data, streams[2]->len,
                                       NULL);
        reset_read(fresh, want, &dst);
        assert_true(qidl_stream_reader_reset(r, streams[2]->data,
                                             streams[2]->len, &error));
        reset_read(r, got, &dst);
        assert_string_equal(got->str, want->str);
        reset_assert_loaded(got->str, &dst, &src);
    }

    /*
     * A run's table met in the last stream, where its names had the
     * indices that other names have in this one ("v32" where "u32" was):
     * refused as by a new reader, not taken for the table's names.
     */
    {
        g_autoptr(GByteArray) x = write_fields(&src.f, 1, fields_run,
                                               FIELDS_RUN_LEN, TRUE);
        g_autoptr(GByteArray) y = write_fields(&src.f, 1, run_v32,
                                               FIELDS_RUN_LEN, TRUE);
        g_autoptr(GError) fresh_error = read_fields(y, 1, &dst.f, TRUE, 0);

        assert_reset_fields_fail(x, y, fresh_error);
    }

    for (guint i = 0; i < G_N_ELEMENTS(streams); i++) {
        g_byte_array_unref(streams[i]);
    }
    g_free(src.big->text);
    g_free(src.big);
    g_free(dst.big->text);
    g_free(dst.big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream__crc32c_check_value),
        cmocka_unit_test(test_stream__golden_hex),
        cmocka_unit_test(test_stream__borrow_same_bytes),
        cmocka_unit_test(test_stream__borrow_reads_at_finish),
        cmocka_unit_test(test_stream__device_visitor_reused),
        cmocka_unit_test(test_stream__names_from_one_buffer),
        cmocka_unit_test(test_stream__golden_reads_back),
        cmocka_unit_test(test_stream__every_shape_roundtrip),
        cmocka_unit_test(test_stream__scalars_min_max_direct),
        cmocka_unit_test(test_stream__sample_direct),
        cmocka_unit_test(test_stream__sample_tree),
        cmocka_unit_test(test_stream__compressed_roundtrip),
        cmocka_unit_test(test_stream__json_byte_identical),
        cmocka_unit_test(test_stream__json_form),
        cmocka_unit_test(test_stream__json_string_not_utf8_fail),
        cmocka_unit_test(test_stream__json_beyond_writer_limits_fail),
        cmocka_unit_test(test_stream__every_bit_flip_fail),
        cmocka_unit_test(test_stream__truncated_everywhere_fail),
        cmocka_unit_test(test_stream__truncated_message_fail),
        cmocka_unit_test(test_stream__truncated_state_fail),
        cmocka_unit_test(test_stream__bad_checksum_fail),
        cmocka_unit_test(test_stream__bad_magic_fail),
        cmocka_unit_test(test_stream__bad_version_fail),
        cmocka_unit_test(test_stream__trailing_bytes_fail),
        cmocka_unit_test(test_stream__unknown_mandatory_record_fail),
        cmocka_unit_test(test_stream__unknown_optional_record_preserved),
        cmocka_unit_test(test_stream__preserved_record_outlives_device),
        cmocka_unit_test(test_stream__reserved_record_kind_fail),
        cmocka_unit_test(test_stream__end_record_count_fail),
        cmocka_unit_test(test_stream__unpacked_uniform_list_fail),
        cmocka_unit_test(test_stream__names_out_of_order_fail),
        cmocka_unit_test(test_stream__duplicate_device_fail),
        cmocka_unit_test(test_stream__device_text_every_byte),
        cmocka_unit_test(test_stream__duplicate_device_every_length),
        cmocka_unit_test(test_stream__direct_width_mismatch_fail),
        cmocka_unit_test(test_stream__direct_kind_mismatch_fail),
        cmocka_unit_test(test_stream__direct_length_mismatch_fail),
        cmocka_unit_test(test_stream__direct_field_order_fail),
        cmocka_unit_test(test_stream__direct_unknown_field_fail),
        cmocka_unit_test(test_stream__direct_optional),
        cmocka_unit_test(test_stream__writer_sticky_fail),
        cmocka_unit_test(test_stream__writer_incomplete_visit_fail),
        cmocka_unit_test(test_stream__writer_top_level_scalar_fail),
        cmocka_unit_test(test_stream__write_tree_non_device_fail),
        cmocka_unit_test(test_stream__depth_at_limit),
        cmocka_unit_test(test_stream__depth_over_limit_fail),
        cmocka_unit_test(test_stream__names_at_limit),
        cmocka_unit_test(test_stream__names_over_limit_fail),
        cmocka_unit_test(test_stream__scalar_array_same_bytes),
        cmocka_unit_test(test_stream__scalar_array_golden),
        cmocka_unit_test(test_stream__scalar_array_mismatch_fail),
        cmocka_unit_test(test_stream__scalar_array_tagged_fail),
        cmocka_unit_test(test_stream__scalar_array_bad_bool_fail),
        cmocka_unit_test(test_stream__scalar_fields_bytes),
        cmocka_unit_test(test_stream__scalar_fields_same_bytes),
        cmocka_unit_test(test_stream__scalar_fields_mismatch_fail),
        cmocka_unit_test(test_stream__scalar_fields_unknown_field),
        cmocka_unit_test(test_stream__scalar_fields_truncated_fail),
        cmocka_unit_test(test_stream__scalar_fields_bad_bool_fail),
        cmocka_unit_test(test_stream__scalar_fields_writer_fail),
        cmocka_unit_test(test_stream__scalar_fields_many_names),
        cmocka_unit_test(test_stream__scalar_fields_known_twice_fail),
        cmocka_unit_test(test_stream__scalar_fields_names_over_limit_fail),
        cmocka_unit_test(test_stream__scalar_fields_bad_table_fail),
        cmocka_unit_test(test_stream__writer_reset_same_bytes),
        cmocka_unit_test(test_stream__writer_reset_bad_producer_fail),
        cmocka_unit_test(test_stream__writer_reset_random_same_bytes),
        cmocka_unit_test(test_stream__writer_reset_devices),
        cmocka_unit_test(test_stream__writer_reset_nested_twice_fail),
        cmocka_unit_test(test_stream__reader_reset_reads_alike),
        cmocka_unit_test(test_stream__reader_reset_random_reads_alike),
        cmocka_unit_test(test_stream__reader_reset_after_failed_names),
        cmocka_unit_test(test_stream__reader_reset_undefined_index_fail),
        cmocka_unit_test(test_stream__reader_reset_heads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
