/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libqidl's CRC-32C (libqidl/crc32c.c) against a bitwise reference: every
 * length from 0 to past two folding blocks at every alignment, chained
 * updates, the copying form qidl_crc32c__copy() and
 * qidl_crc32c__combine().  The fast paths are chosen by CPU feature, so on a machine with AVX-512 VPCLMULQDQ this checks that path,
 * elsewhere the PCLMULQDQ or table one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "crc32c.h"

static guint32 ref_crc32c(guint32 crc, const guint8 *p, gsize len)
{
    crc = ~crc;
    for (gsize i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) {
            crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
        }
    }
    return ~crc;
}

static guint8 *random_bytes(gsize len)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(42);
    guint8 *p = g_malloc(len);

    for (gsize i = 0; i < len; i++) {
        p[i] = (guint8)g_rand_int(rand);
    }
    return p;
}

static void test_crc32c__check_value(void **state)
{
    assert_int_equal(qidl_crc32c__update(0, "123456789", 9), 0xe3069283);
}

static void test_crc32c__every_length_and_alignment(void **state)
{
    g_autofree guint8 *buf = random_bytes(4096 + 64);

    for (gsize off = 0; off < 8; off++) {
        for (gsize len = 0; len <= 1100; len++) {
            assert_int_equal(qidl_crc32c__update(0, buf + off, len),
                             ref_crc32c(0, buf + off, len));
        }
    }
    for (gsize len = 1100; len <= 4096; len += 61) {
        assert_int_equal(qidl_crc32c__update(0, buf + 3, len),
                         ref_crc32c(0, buf + 3, len));
    }
}

/* The copying form: same CRC, same bytes, nothing written past them. */
static void test_crc32c__copy(void **state)
{
    g_autofree guint8 *buf = random_bytes(4096 + 64);
    g_autofree guint8 *dst = g_malloc(4096 + 64 + 16);

    for (gsize off = 0; off < 8; off++) {
        for (gsize len = 0; len <= 4096; len += len < 1100 ? 1 : 61) {
            memset(dst, 0xa5, 4096 + 64 + 16);
            assert_int_equal(qidl_crc32c__copy(0x12345678, dst + 8 - off,
                                               buf + off, len),
                             ref_crc32c(0x12345678, buf + off, len));
            assert_memory_equal(dst + 8 - off, buf + off, len);
            for (gsize i = 0; i < 8 - off; i++) {
                assert_int_equal(dst[i], 0xa5);
            }
            assert_int_equal(dst[8 - off + len], 0xa5);
        }
    }
}

static void test_crc32c__chained(void **state)
{
    g_autofree guint8 *buf = random_bytes(3000);
    guint32 whole = ref_crc32c(0, buf, 3000);

    for (gsize cut = 0; cut <= 3000; cut += 37) {
        guint32 crc = qidl_crc32c__update(0, buf, cut);

        assert_int_equal(qidl_crc32c__update(crc, buf + cut, 3000 - cut),
                         whole);
    }
}

static void test_crc32c__combine(void **state)
{
    g_autofree guint8 *buf = random_bytes(70000);

    for (gsize a = 0; a <= 70000; a += 6991) {
        for (gsize b = 0; a + b <= 70000; b += b < 300 ? 1 : 4999) {
            guint32 ca = ref_crc32c(0, buf, a);
            guint32 cb = ref_crc32c(0, buf + a, b);

            assert_int_equal(qidl_crc32c__combine(ca, cb, b),
                             ref_crc32c(0, buf, a + b));
        }
    }
}

/*
 * combine() in two steps and through a cache of operators, whose slots
 * lengths share (64 slots, 300 lengths): the same as the reference; and
 * a message followed by its checksum has the residue's.
 */
static void test_crc32c__combine_cached(void **state)
{
    g_autofree guint8 *buf = random_bytes(5000);
    QidlCrcShiftCache cache = { { 0 } };

    for (guint round = 0; round < 2; round++) {
        for (gsize b = 0; b < 300; b++) {
            gsize len = (b * 131) % 4990;
            guint32 ca = ref_crc32c(0, buf, 7);
            guint32 cb = ref_crc32c(0, buf + 7, len);
            guint32 want = ref_crc32c(0, buf, 7 + len);

            assert_int_equal(qidl_crc32c__combine_cached(&cache, ca, cb,
                                                         (guint32)len),
                             want);
            assert_int_equal(qidl_crc32c__shift(
                                 ca, qidl_crc32c__shift_op(len)) ^ cb,
                             want);
        }
    }
    for (gsize len = 0; len < 600; len += 37) {
        guint8 msg[604];
        guint32 crc = ref_crc32c(0, buf, len);

        memcpy(msg, buf, len);
        for (guint i = 0; i < 4; i++) {
            msg[len + i] = (guint8)(crc >> (8 * i));
        }
        assert_int_equal(ref_crc32c(0, msg, len + 4), QIDL_CRC32C_RESIDUE);
    }
}

/*
 * The hybrid path of crc32c.c (fold_hybrid(): update from 3072 bytes, in
 * pieces of 1 MiB from 2 MiB on; copy does not use it) splits a buffer as
 * head (< 256) | fold (256 (n + 1), or one block more) | five streams of 32 n
 * bytes, with n = (len - 256) / 416.  Every shape of that split, at the
 * thresholds, around the piece size and at several alignments.
 */
static void check_both(const guint8 *buf, guint8 *dst, gsize len,
                       guint32 want)
{
    assert_int_equal(qidl_crc32c__update(0x9abcdef0, buf, len), want);
    dst[len] = 0xa5;
    assert_int_equal(qidl_crc32c__copy(0x9abcdef0, dst, buf, len), want);
    assert_memory_equal(dst, buf, len);
    assert_int_equal(dst[len], 0xa5);
}

static void test_crc32c__hybrid_split(void **state)
{
    static const gsize rests[] = { 0, 1, 7, 8, 9, 159, 160, 255, 256, 257,
                                   300, 415 };
    g_autofree guint8 *buf = random_bytes(16384 + 64);
    g_autofree guint8 *dst = g_malloc(16384 + 64);

    for (gsize n = 5; n <= 36; n++) {
        for (gsize r = 0; r < G_N_ELEMENTS(rests); r++) {
            gsize len = 256 + 416 * n + rests[r];

            for (gsize off = 0; off < 4; off++) {
                check_both(buf + off, dst + 3 - off, len,
                           ref_crc32c(0x9abcdef0, buf + off, len));
            }
        }
    }
    for (gsize len = 3070; len <= 3074; len++) {
        check_both(buf, dst, len, ref_crc32c(0x9abcdef0, buf, len));
    }
}

static void test_crc32c__hybrid_pieces(void **state)
{
    static const gsize lens[] = {
        (2u << 20) - 1, 2u << 20, (2u << 20) + 1, (3u << 20) + 777,
    };
    gsize max = lens[G_N_ELEMENTS(lens) - 1];
    g_autofree guint8 *buf = random_bytes(max + 8);
    g_autofree guint8 *dst = g_malloc(max + 8);
    guint32 want = 0x9abcdef0;
    gsize done = 0;

    for (gsize i = 0; i < G_N_ELEMENTS(lens); i++) {
        /* the reference, chained up to this length */
        want = ref_crc32c(want, buf + 5 + done, lens[i] - done);
        done = lens[i];
        check_both(buf + 5, dst + 1, lens[i], want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c__check_value),
        cmocka_unit_test(test_crc32c__every_length_and_alignment),
        cmocka_unit_test(test_crc32c__copy),
        cmocka_unit_test(test_crc32c__chained),
        cmocka_unit_test(test_crc32c__combine),
        cmocka_unit_test(test_crc32c__combine_cached),
        cmocka_unit_test(test_crc32c__hybrid_split),
        cmocka_unit_test(test_crc32c__hybrid_pieces),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
