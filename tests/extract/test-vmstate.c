/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The generated code of tests/extract/good/{rtc,versions,subsections}.h
 * against QEMU's VMState semantics: the legacy bytes of a device with
 * state versions, hooks and a subsection, exactly as QEMU 7.2 writes them;
 * loads from older versions skipping the fields those did not have (which
 * keep their value, or load their default); versions outside
 * min_version..version refused with QIDL_ERROR_VERSION; pre_save on save
 * only, post_load on load only and on the loader's scratch copy;
 * subsections present or absent through the legacy, tree and JSON
 * visitors.  Every failing load must leave the object byte for byte as it
 * was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <qidl/json.h>
#include <qidl/legacy.h>
#include <qidl/tree.h>

#include "rtc.qidl.h"
#include "subsections.qidl.h"
#include "versions.qidl.h"

static void check_ok(gboolean ok, GError *error, const char *what)
{
    if (!ok) {
        fail_msg("%s: %s", what, error ? error->message : "(no error)");
    }
}

#define CHECK(expr) check_ok((expr), error, #expr)

/* ---- the device's hooks and predicates -------------------------------- */

static guint n_post_load;
static guint n_pre_save;
static gboolean pre_save_fails;

gboolean rtc_post_load(RTCState *s, GError **error)
{
    n_post_load++;
    if (s->fail_post_load) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT,
                    "rtc: post_load refused the state");
        return FALSE;
    }
    s->irq_pending = (s->cmos_data[12] & 0x80) != 0;
    return TRUE;
}

gboolean rtc_pre_save(RTCState *s, GError **error)
{
    n_pre_save++;
    if (pre_save_fails) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT,
                    "rtc: pre_save refused to save");
        return FALSE;
    }
    s->saves++;
    return TRUE;
}

bool rtc_reinject_needed(const RTCState *s)
{
    return s->irq_reinject_on_ack_count != 0;
}

bool sub_extra_needed(const Sub *s)
{
    return s->extra != 0 || s->level != 1;
}

bool sub_fifo_needed(Sub *s)
{
    return s->fifo_len > 0;
}

/* ---- helpers ---------------------------------------------------------- */

static void fill_rtc(RTCState *s)
{
    memset(s, 0, sizeof(*s));
    for (guint i = 0; i < G_N_ELEMENTS(s->cmos_data); i++) {
        s->cmos_data[i] = (uint8_t)(0x10 + i);
    }
    s->cmos_index = 0x0c;
    s->next_periodic_time = 0x0102030405060708;
    s->irq_coalesced = 0x11223344;
    s->period = 0x55667788;
    s->base_rtc = 0x99aabbccddeeff00;
    s->irq_reinject_on_ack_count = 0x0a0b;
    s->lost_tick_policy = 1;
}

static GByteArray *save_rtc(RTCState *s)
{
    g_autoptr(GError) error = NULL;
    GByteArray *bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) o = qidl_legacy_output_visitor_new(bytes);

    CHECK(qidl_visit_RTCState(o, "rtc", s, &error));
    CHECK(qidl_visitor_complete(o, &error));
    return bytes;
}

static void append_be(GByteArray *b, guint64 v, guint n)
{
    for (guint i = 0; i < n; i++) {
        guint8 byte = (guint8)(v >> (8 * (n - 1 - i)));

        g_byte_array_append(b, &byte, 1);
    }
}

/* QEMU 7.2's encoding of the RTC above, version @version, with the
 * subsection if @with_subsection. */
static GByteArray *qemu_rtc_bytes(const RTCState *s, guint version,
                                  gboolean with_subsection)
{
    static const char name[] = "mc146818rtc/irq_reinject_on_ack_count";
    GByteArray *b = g_byte_array_new();

    g_byte_array_append(b, s->cmos_data, sizeof(s->cmos_data));  /* BUFFER */
    append_be(b, s->cmos_index, 1);
    append_be(b, (guint64)s->next_periodic_time, 8);
    if (version >= 2) {
        append_be(b, s->irq_coalesced, 4);                         /* _V(2) */
        append_be(b, s->period, 4);
    }
    if (version >= 3) {
        append_be(b, s->base_rtc, 8);                              /* _V(3) */
    }
    if (with_subsection) {
        append_be(b, 0x05, 1);                     /* QEMU_VM_SUBSECTION */
        append_be(b, strlen(name), 1);
        g_byte_array_append(b, (const guint8 *)name, strlen(name));
        append_be(b, 1, 4);                        /* its version_id */
        append_be(b, s->irq_reinject_on_ack_count, 2);
    }
    return b;
}

/* Loads @bytes as a version-@version RTC into @obj (QIDL_VERSION_CURRENT:
 * none set); returns whether it loaded, with @error set if not. */
static gboolean load_rtc(const GByteArray *bytes, guint32 version,
                         RTCState *obj, GError **error)
{
    g_autoptr(QidlVisitor) in =
        qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0, 0);

    if (version != QIDL_VERSION_CURRENT) {
        qidl_visitor_set_version(in, version);
    }
    return qidl_load_RTCState(in, "rtc", obj, error) &&
           qidl_visitor_complete(in, error);
}

/* ---- the legacy bytes -------------------------------------------------- */

static void test_vmstate__rtc_legacy_bytes(void **state)
{
    RTCState s;
    g_autoptr(GByteArray) got = NULL;
    g_autoptr(GByteArray) want = NULL;

    fill_rtc(&s);
    got = save_rtc(&s);
    want = qemu_rtc_bytes(&s, 3, TRUE);
    assert_int_equal(got->len, want->len);
    assert_int_equal(got->len, 16 + 1 + 8 + 4 + 4 + 8 + 1 + 1 + 37 + 4 + 2);
    assert_memory_equal(got->data, want->data, want->len);
    g_byte_array_unref(got);
    g_byte_array_unref(want);

    /* Not needed: no subsection header at all. */
    s.irq_reinject_on_ack_count = 0;
    got = save_rtc(&s);
    want = qemu_rtc_bytes(&s, 3, FALSE);
    assert_int_equal(got->len, 41);
    assert_memory_equal(got->data, want->data, want->len);

    /* A default does not change the legacy bytes: period is carried. */
    g_byte_array_unref(got);
    g_byte_array_unref(want);
    s.period = 32;
    got = save_rtc(&s);
    want = qemu_rtc_bytes(&s, 3, FALSE);
    assert_int_equal(got->len, want->len);
    assert_memory_equal(got->data, want->data, want->len);
}

static void test_vmstate__rtc_legacy_load(void **state)
{
    g_autoptr(GError) error = NULL;
    RTCState src, obj;
    g_autoptr(GByteArray) bytes = NULL;

    fill_rtc(&src);
    src.cmos_data[12] = 0x80;
    bytes = qemu_rtc_bytes(&src, 3, TRUE);
    memset(&obj, 0, sizeof(obj));
    CHECK(load_rtc(bytes, 3, &obj, &error));
    assert_memory_equal(obj.cmos_data, src.cmos_data, sizeof(obj.cmos_data));
    assert_int_equal(obj.cmos_index, src.cmos_index);
    assert_int_equal(obj.next_periodic_time, src.next_periodic_time);
    assert_int_equal(obj.irq_coalesced, src.irq_coalesced);
    assert_int_equal(obj.period, src.period);
    assert_int_equal(obj.base_rtc, src.base_rtc);
    assert_int_equal(obj.irq_reinject_on_ack_count, 0x0a0b);
    assert_true(obj.irq_pending);       /* post_load ran */

    /* Without the subsection, the count keeps its value (QEMU: the
     * destination's own). */
    g_byte_array_unref(bytes);
    bytes = qemu_rtc_bytes(&src, 3, FALSE);
    obj.irq_reinject_on_ack_count = 77;
    CHECK(load_rtc(bytes, QIDL_VERSION_CURRENT, &obj, &error));
    assert_int_equal(obj.irq_reinject_on_ack_count, 77);
}

/* ---- versions ---------------------------------------------------------- */

/* A version-1 state has no v2/v3 fields: they keep the live object's
 * values, except period, which has a default and loads it. */
static void test_vmstate__version_gating_legacy(void **state)
{
    g_autoptr(GError) error = NULL;
    RTCState src, obj;
    g_autoptr(GByteArray) v1 = NULL;
    g_autoptr(GByteArray) v2 = NULL;

    fill_rtc(&src);
    v1 = qemu_rtc_bytes(&src, 1, FALSE);
    assert_int_equal(v1->len, 25);
    memset(&obj, 0, sizeof(obj));
    obj.irq_coalesced = 111;
    obj.period = 99;
    obj.base_rtc = 222;
    CHECK(load_rtc(v1, 1, &obj, &error));
    assert_int_equal(obj.next_periodic_time, src.next_periodic_time);
    assert_int_equal(obj.irq_coalesced, 111);
    assert_int_equal(obj.period, 32);
    assert_int_equal(obj.base_rtc, 222);

    v2 = qemu_rtc_bytes(&src, 2, TRUE);
    CHECK(load_rtc(v2, 2, &obj, &error));
    assert_int_equal(obj.irq_coalesced, src.irq_coalesced);
    assert_int_equal(obj.period, src.period);
    assert_int_equal(obj.base_rtc, 222);
    assert_int_equal(obj.irq_reinject_on_ack_count, 0x0a0b);
}

/* The same from a tree whose device root says version 1. */
static void test_vmstate__version_gating_tree(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) o = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(JsonNode) json = NULL;
    g_autoptr(QidlVisitor) jin = NULL;
    RTCState src, obj;
    QidlNode *dev;

    fill_rtc(&src);
    CHECK(qidl_visit_RTCState(o, "rtc", &src, &error));
    CHECK(qidl_visitor_complete(o, &error));
    dev = qidl_tree_output_visitor_get_result(o);
    qidl_node_remove(qidl_node_get_child(dev, "irq_coalesced"));
    qidl_node_remove(qidl_node_get_child(dev, "period"));
    qidl_node_remove(qidl_node_get_child(dev, "base_rtc"));
    qidl_node_set_device(dev, "RTCState", "/machine/rtc", 1);

    memset(&obj, 0, sizeof(obj));
    obj.irq_coalesced = 111;
    obj.period = 99;
    obj.base_rtc = 222;
    in = qidl_tree_input_visitor_new(dev, 0);
    CHECK(qidl_load_RTCState(in, "rtc", &obj, &error));
    CHECK(qidl_visitor_complete(in, &error));
    assert_int_equal(obj.next_periodic_time, src.next_periodic_time);
    assert_int_equal(obj.irq_coalesced, 111);
    assert_int_equal(obj.period, 32);
    assert_int_equal(obj.base_rtc, 222);
    assert_int_equal(obj.irq_reinject_on_ack_count, 0x0a0b);

    /* And through JSON, which carries the version too. */
    json = qidl_json_from_node(dev);
    jin = qidl_json_input_visitor_new(json, 0, &error);
    CHECK(jin != NULL);
    obj.base_rtc = 333;
    CHECK(qidl_load_RTCState(jin, "rtc", &obj, &error));
    CHECK(qidl_visitor_complete(jin, &error));
    assert_int_equal(obj.base_rtc, 333);
}

/* Outside min_version..version: QIDL_ERROR_VERSION, nothing loaded. */
static void test_vmstate__version_range_fail(void **state)
{
    static const guint32 bad[] = { 0, 4, 5, G_MAXUINT32 - 1 };
    RTCState src, obj, before;
    g_autoptr(GByteArray) bytes = NULL;

    fill_rtc(&src);
    bytes = qemu_rtc_bytes(&src, 3, TRUE);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *msg = g_strdup_printf(
            "rtc: state version %u is not in 1..3", bad[i]);
        guint loads = n_post_load;

        memset(&obj, 0x5a, sizeof(obj));
        before = obj;
        assert_false(load_rtc(bytes, bad[i], &obj, &error));
        assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_VERSION));
        assert_string_equal(error->message, msg);
        assert_memory_equal(&before, &obj, sizeof(obj));
        assert_int_equal(n_post_load, loads);
    }
}

/* Versioned loads 2..4; at version 2 the nested Stamp is still at its own
 * current version 2 (its frac is on the wire), c keeps its value and mode
 * loads its default. */
static void test_vmstate__version_nested(void **state)
{
    static const guint8 v2[] = {
        0x01,                           /* a */
        0x02,                           /* b (version 2: the minimum) */
        0x00, 0x00, 0x00, 0x03,         /* when.secs */
        0x00, 0x04,                     /* when.frac (Stamp version 2) */
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    Versioned obj = { .c = 0x1234, .mode = 9, .n = 2, .buf = { 5, 6 } };
    Versioned before;

    in = qidl_legacy_input_visitor_new(v2, sizeof(v2), 0, 0);
    qidl_visitor_set_version(in, 2);
    CHECK(qidl_load_Versioned(in, "dev", &obj, &error));
    CHECK(qidl_visitor_complete(in, &error));
    assert_int_equal(obj.a, 1);
    assert_int_equal(obj.b, 2);
    assert_int_equal(obj.when.secs, 3);
    assert_int_equal(obj.when.frac, 4);
    assert_int_equal(obj.c, 0x1234);
    assert_int_equal(obj.mode, 7);
    assert_int_equal(obj.n, 2);
    assert_int_equal(obj.buf[1], 6);

    /* Version 1 is below the minimum 2. */
    g_clear_pointer(&in, qidl_visitor_free);
    in = qidl_legacy_input_visitor_new(v2, sizeof(v2), 0, 0);
    qidl_visitor_set_version(in, 1);
    before = obj;
    assert_false(qidl_load_Versioned(in, "dev", &obj, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_VERSION));
    assert_string_equal(error->message,
                        "dev: state version 1 is not in 2..4");
    assert_memory_equal(&before, &obj, sizeof(obj));
}

/* Output visitors visit every field whatever version the visitor says. */
static void test_vmstate__version_output_all(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) o = qidl_legacy_output_visitor_new(bytes);
    Versioned in = { .a = 1, .n = 3 };

    qidl_visitor_set_version(o, 2);
    CHECK(qidl_visit_Versioned(o, "dev", &in, &error));
    CHECK(qidl_visitor_complete(o, &error));
    /* a b secs(4) frac(2) c(2) mode n buf[3] */
    assert_int_equal(bytes->len, 1 + 1 + 4 + 2 + 2 + 1 + 1 + 3);
}

/* ---- hooks ------------------------------------------------------------- */

static void test_vmstate__hooks_direction(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) o = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(QidlVisitor) in = NULL;
    RTCState s, obj;
    guint saves = n_pre_save, loads = n_post_load;

    fill_rtc(&s);
    s.cmos_data[12] = 0x80;
    CHECK(qidl_visit_RTCState(o, "rtc", &s, &error));
    CHECK(qidl_visitor_complete(o, &error));
    assert_int_equal(n_pre_save, saves + 1);
    assert_int_equal(n_post_load, loads);
    assert_int_equal(s.saves, 1);
    assert_false(s.irq_pending);

    memset(&obj, 0, sizeof(obj));
    in = qidl_tree_input_visitor_new(qidl_tree_output_visitor_get_result(o),
                                     0);
    CHECK(qidl_load_RTCState(in, "rtc", &obj, &error));
    assert_int_equal(n_pre_save, saves + 1);
    assert_int_equal(n_post_load, loads + 1);
    assert_int_equal(obj.saves, 0);     /* derived: pre_save never ran */
    assert_true(obj.irq_pending);
}

/* post_load runs on the scratch copy: when it fails, nothing is
 * committed. */
static void test_vmstate__post_load_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    RTCState src, obj, before;
    g_autoptr(GByteArray) bytes = NULL;
    guint loads = n_post_load;

    fill_rtc(&src);
    bytes = qemu_rtc_bytes(&src, 3, TRUE);
    memset(&obj, 0, sizeof(obj));
    obj.fail_post_load = true;
    before = obj;
    assert_false(load_rtc(bytes, 3, &obj, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT));
    assert_string_equal(error->message, "rtc: post_load refused the state");
    assert_int_equal(n_post_load, loads + 1);
    assert_memory_equal(&before, &obj, sizeof(obj));
}

static void test_vmstate__pre_save_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) o = qidl_legacy_output_visitor_new(bytes);
    RTCState s;

    fill_rtc(&s);
    pre_save_fails = TRUE;
    assert_false(qidl_visit_RTCState(o, "rtc", &s, &error));
    pre_save_fails = FALSE;
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT));
    assert_int_equal(bytes->len, 0);
}

/* ---- subsections ------------------------------------------------------- */

/* A subsection newer than ours is refused; the object stays as it was. */
static void test_vmstate__subsection_newer_fail(void **state)
{
    g_autoptr(GError) error = NULL;
    RTCState src, obj, before;
    g_autoptr(GByteArray) bytes = NULL;
    guint loads = n_post_load;

    fill_rtc(&src);
    bytes = qemu_rtc_bytes(&src, 3, TRUE);
    bytes->data[bytes->len - 3] = 2;    /* the subsection's version: 2 */
    memset(&obj, 0, sizeof(obj));
    before = obj;
    assert_false(load_rtc(bytes, 3, &obj, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_VERSION));
    assert_non_null(strstr(error->message,
                           "rtc.mc146818rtc/irq_reinject_on_ack_count: "
                           "subsection version 2"));
    assert_int_equal(n_post_load, loads);
    assert_memory_equal(&before, &obj, sizeof(obj));
}

static void fill_sub(Sub *s, gboolean extra, gboolean fifo)
{
    memset(s, 0, sizeof(*s));
    s->ctrl = 0xc1;
    s->status = 0x5a;
    s->level = 1;
    if (extra) {
        s->extra = 0xbeef;
        s->level = 3;
    }
    if (fifo) {
        s->fifo_len = 3;
        s->fifo[0] = 0xf0;
        s->fifo[1] = 0xf1;
        s->fifo[2] = 0xf2;
    }
}

/* Subsections come after every other field, in order of first
 * appearance, their fields in declaration order. */
static void test_vmstate__subsection_legacy_bytes(void **state)
{
    static const guint8 both[] = {
        0xc1, 0x5a,                                     /* ctrl, status */
        0x05, 9, 's', 'u', 'b', '/', 'e', 'x', 't', 'r', 'a',
        0x00, 0x00, 0x00, 0x01,
        0xbe, 0xef, 0x03,                               /* extra, level */
        0x05, 8, 's', 'u', 'b', '/', 'f', 'i', 'f', 'o',
        0x00, 0x00, 0x00, 0x02,
        0x03, 0xf0, 0xf1, 0xf2,                         /* fifo_len, fifo */
    };
    static const guint8 fifo_only[] = {
        0xc1, 0x5a,
        0x05, 8, 's', 'u', 'b', '/', 'f', 'i', 'f', 'o',
        0x00, 0x00, 0x00, 0x02,
        0x03, 0xf0, 0xf1, 0xf2,
    };
    g_autoptr(GError) error = NULL;
    Sub s;

    for (int which = 0; which < 3; which++) {
        g_autoptr(GByteArray) bytes = g_byte_array_new();
        g_autoptr(QidlVisitor) o = qidl_legacy_output_visitor_new(bytes);

        fill_sub(&s, which == 0, which < 2);
        CHECK(qidl_visit_Sub(o, "sub", &s, &error));
        CHECK(qidl_visitor_complete(o, &error));
        if (which == 0) {
            assert_int_equal(bytes->len, sizeof(both));
            assert_memory_equal(bytes->data, both, sizeof(both));
        } else if (which == 1) {
            assert_int_equal(bytes->len, sizeof(fifo_only));
            assert_memory_equal(bytes->data, fifo_only, sizeof(fifo_only));
        } else {
            assert_int_equal(bytes->len, 2);
        }
    }
}

enum { VIA_LEGACY, VIA_TREE, VIA_JSON, N_VIA };

static void roundtrip_sub(Sub *in, Sub *out, int via)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) o = NULL;
    g_autoptr(QidlVisitor) i = NULL;
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(JsonNode) parsed = NULL;

    if (via == VIA_LEGACY) {
        o = qidl_legacy_output_visitor_new(bytes);
    } else {
        o = qidl_tree_output_visitor_new(tree, NULL);
    }
    CHECK(qidl_visit_Sub(o, "sub", in, &error));
    CHECK(qidl_visitor_complete(o, &error));
    if (via == VIA_LEGACY) {
        i = qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0, 0);
    } else if (via == VIA_TREE) {
        i = qidl_tree_input_visitor_new(
            qidl_tree_output_visitor_get_result(o), 0);
    } else {
        g_autoptr(JsonNode) json = qidl_json_from_node(
            qidl_tree_output_visitor_get_result(o));
        g_autofree char *text = qidl_json_to_string(json, FALSE);

        parsed = qidl_json_parse(text, -1, &error);
        CHECK(parsed != NULL);
        i = qidl_json_input_visitor_new(parsed, 0, &error);
        CHECK(i != NULL);
    }
    CHECK(qidl_load_Sub(i, "sub", out, &error));
    CHECK(qidl_visitor_complete(i, &error));
}

/* Every combination through every format; an absent subsection leaves
 * its fields as they were, except level, which loads its default. */
static void test_vmstate__subsection_roundtrip(void **state)
{
    for (int via = 0; via < N_VIA; via++) {
        for (int mask = 0; mask < 4; mask++) {
            Sub in, out;

            fill_sub(&in, mask & 1, mask & 2);
            memset(&out, 0, sizeof(out));
            out.extra = 0x7777;
            out.level = 9;
            out.fifo_len = 1;
            out.fifo[0] = 0x66;
            roundtrip_sub(&in, &out, via);
            assert_int_equal(out.ctrl, in.ctrl);
            assert_int_equal(out.status, in.status);
            if (mask & 1) {
                assert_int_equal(out.extra, in.extra);
                assert_int_equal(out.level, in.level);
            } else {
                assert_int_equal(out.extra, 0x7777);
                assert_int_equal(out.level, 1);
            }
            if (mask & 2) {
                assert_int_equal(out.fifo_len, 3);
                assert_memory_equal(out.fifo, in.fifo, 3);
            } else {
                assert_int_equal(out.fifo_len, 1);
                assert_int_equal(out.fifo[0], 0x66);
            }
        }
    }
}

/* The tree holds a subsection as a struct named after it. */
static void test_vmstate__subsection_tree_shape(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) o = qidl_tree_output_visitor_new(tree, NULL);
    RTCState s;
    QidlNode *dev;

    fill_rtc(&s);
    CHECK(qidl_visit_RTCState(o, "rtc", &s, &error));
    dev = qidl_tree_output_visitor_get_result(o);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(
        dev, "mc146818rtc/irq_reinject_on_ack_count."
             "irq_reinject_on_ack_count")), 0x0a0b);
    assert_null(qidl_node_get_child(dev, "irq_reinject_on_ack_count"));
}

/* A subsection's count is bounded like any other: the path names the
 * subsection. */
static void test_vmstate__subsection_size_is_fail(void **state)
{
    static const guint8 bytes[] = {
        0xc1, 0x5a,
        0x05, 8, 's', 'u', 'b', '/', 'f', 'i', 'f', 'o',
        0x00, 0x00, 0x00, 0x02,
        0x09, 0xf0, 0xf1, 0xf2,
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) in =
        qidl_legacy_input_visitor_new(bytes, sizeof(bytes), 0, 0);
    Sub obj, before;

    fill_sub(&obj, TRUE, TRUE);
    before = obj;
    assert_false(qidl_load_Sub(in, "sub", &obj, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT));
    assert_string_equal(error->message,
                        "sub.sub/fifo.fifo_len: 9 exceeds the capacity of "
                        "fifo (8)");
    assert_memory_equal(&before, &obj, sizeof(obj));
}

/* ---- defaults ---------------------------------------------------------- */

/* A field with a default that the source omits is preset to it, through
 * the tree and JSON inputs (PRESENCE_DEFAULT). */
static void test_vmstate__default_preset(void **state)
{
    for (int via = VIA_TREE; via < N_VIA; via++) {
        Sub in, out;

        fill_sub(&in, TRUE, FALSE);
        in.level = 1;                   /* the default: omitted */
        memset(&out, 0, sizeof(out));
        out.level = 42;
        roundtrip_sub(&in, &out, via);
        assert_int_equal(out.extra, 0xbeef);
        assert_int_equal(out.level, 1);
    }
}

/* ---- tables ------------------------------------------------------------ */

static void test_vmstate__tables(void **state)
{
    const QidlVmsStruct *s = &qidl_RTCState_vms;
    const QidlVmsField *f = NULL;
    RTCState rtc;

    for (guint i = 0; i < s->n_fields; i++) {
        if (strcmp(s->fields[i].name, "irq_reinject_on_ack_count") == 0) {
            f = &s->fields[i];
        } else {
            assert_null(s->fields[i].subsection);
        }
    }
    assert_non_null(f);
    assert_string_equal(f->subsection,
                        "mc146818rtc/irq_reinject_on_ack_count");
    assert_int_equal(f->subsection_version, 1);
    assert_non_null(f->needed);
    fill_rtc(&rtc);
    assert_true(f->needed(&rtc));
    rtc.irq_reinject_on_ack_count = 0;
    assert_false(f->needed(&rtc));

    assert_non_null(s->pre_save);
    assert_non_null(s->post_load);
    assert_true(s->pre_save(&rtc, NULL));
    assert_int_equal(rtc.saves, 1);
    assert_null(qidl_Sub_vms.pre_save);
    assert_null(qidl_Sub_vms.post_load);
    assert_int_equal(qidl_Versioned_vms.min_version, 2);
    assert_int_equal(qidl_Versioned_vms.fields[3].version, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vmstate__rtc_legacy_bytes),
        cmocka_unit_test(test_vmstate__rtc_legacy_load),
        cmocka_unit_test(test_vmstate__version_gating_legacy),
        cmocka_unit_test(test_vmstate__version_gating_tree),
        cmocka_unit_test(test_vmstate__version_range_fail),
        cmocka_unit_test(test_vmstate__version_nested),
        cmocka_unit_test(test_vmstate__version_output_all),
        cmocka_unit_test(test_vmstate__hooks_direction),
        cmocka_unit_test(test_vmstate__post_load_fail),
        cmocka_unit_test(test_vmstate__pre_save_fail),
        cmocka_unit_test(test_vmstate__subsection_newer_fail),
        cmocka_unit_test(test_vmstate__subsection_legacy_bytes),
        cmocka_unit_test(test_vmstate__subsection_roundtrip),
        cmocka_unit_test(test_vmstate__subsection_tree_shape),
        cmocka_unit_test(test_vmstate__subsection_size_is_fail),
        cmocka_unit_test(test_vmstate__default_preset),
        cmocka_unit_test(test_vmstate__tables),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
