/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CRC-32C, reflected; see crc32c.h for why it is here.
 *
 * Three implementations of one function, chosen per call from what the CPU
 * has (no state: GCC's __builtin_cpu_supports() reads what libgcc found at
 * start-up):
 *
 * - x86-64 with AVX-512 VPCLMULQDQ: blocks of 256 bytes are folded with
 *   carry-less multiplications (four 512-bit accumulators, the method of
 *   Intel's "Fast CRC Computation for Generic Polynomials Using
 *   PCLMULQDQ"), the remainder and short inputs go through SSE4.2's crc32
 *   instruction, whose polynomial is this one; from a few KiB on, five
 *   crc32 chains take 2/5 of the bytes alongside the folding and the
 *   pieces are joined by multiplication (fold_hybrid()), except when the
 *   bytes are also copied (see there);
 * - x86-64 with PCLMULQDQ and SSE4.2: the same with four 128-bit
 *   accumulators, blocks of 64 bytes;
 * - anywhere else: a byte at a time through a 256-entry table.
 *
 * All three compute the same function; tests/bench/test-crc32c.c checks the
 * fast ones against a bitwise reference at every length and alignment that
 * reaches each of their paths.
 *
 * Notation for the constants: a 32-bit value v stands for the polynomial
 * sum of v_i x^(31-i) (bit 0 is the highest power: the reflected order the
 * wire uses), and R(e) is x^e mod P in that form.
 */
#include <string.h>

#include "crc32c.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC_X86 1
#include <immintrin.h>
#endif

/* The reflected Castagnoli polynomial, without its x^32 term. */
#define CRC_POLY 0x82f63b78u

static const guint32 table[256] = {
    0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
    0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
    0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
    0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
    0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
    0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
    0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
    0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
    0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
    0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
    0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
    0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
    0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
    0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
    0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
    0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
    0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
    0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
    0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
    0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
    0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
    0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
    0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
    0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
    0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
    0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
    0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
    0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
    0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
    0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
    0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
    0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
    0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
    0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
    0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
    0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
    0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
    0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
    0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
    0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
    0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
    0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
    0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

/* The CRC register (pre-inverted) after @len bytes, a byte at a time. */
static guint32 update_table(guint32 crc, const guint8 *p, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return crc;
}

/* ---- combining ------------------------------------------------------------ */

/*
 * R(8 * 2^k - 32) for k = 0..31: multiplying by these (below) shifts a
 * CRC by 2^k bytes.  R(-32) is the unit of that multiplication.
 */
static const guint32 shift_table[32] = {
    0xdd36fbfc, 0xbef0965e, 0x80000000, 0x82f63b78,
    0xa66805eb, 0x5d27e147, 0x4f256efc, 0x069db049,
    0x5cf015c3, 0x6ebf1d86, 0x0b803b7d, 0xd07b8be2,
    0xc38a7543, 0x2a543193, 0x0ee201e6, 0xaf85baad,
    0x62809d1b, 0xd4e35816, 0xcf5531ac, 0xb6b0b548,
    0x7b578a73, 0x5b7ff1c3, 0xd97d9a55, 0x23c58698,
    0xa8900a0a, 0x3d908177, 0xc7baed8f, 0xd15d7d3f,
    0x6b086b3f, 0xb7720ee7, 0xee51a57d, 0xdd36fbfc,
};
#define SHIFT_UNIT 0xd610d67eu

/* a * b mod P, bit by bit. */
static guint32 mul_soft(guint32 a, guint32 b)
{
    guint32 m = 1u << 31, p = 0;

    for (;;) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0) {
                break;
            }
        }
        m >>= 1;
        b = b & 1 ? (b >> 1) ^ CRC_POLY : b >> 1;
    }
    return p;
}

#ifdef CRC_X86
static gboolean have_vpclmul(void)
{
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("vpclmulqdq") &&
           __builtin_cpu_supports("pclmul") &&
           __builtin_cpu_supports("sse4.2");
}

static gboolean have_pclmul(void)
{
    return __builtin_cpu_supports("pclmul") &&
           __builtin_cpu_supports("sse4.2");
}

/* a * b * x^32 mod P: one carry-less product, reduced by crc32. */
__attribute__((target("sse4.2,pclmul")))
static guint32 mul32_hw(guint32 a, guint32 b)
{
    __m128i t = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)a),
                                     _mm_cvtsi32_si128((int)b), 0x00);

    return (guint32)_mm_crc32_u64(0, (guint64)_mm_cvtsi128_si64(t) << 1);
}
#endif

/* a * b * x^32 mod P: on operands R(e - 32) and R(f - 32) it gives
 * R(e + f - 32), so the table's form is closed under it. */
static guint32 mul32(guint32 a, guint32 b)
{
#ifdef CRC_X86
    if (have_pclmul()) {
        return mul32_hw(a, b);
    }
#endif
    return mul_soft(mul_soft(a, b), CRC_POLY);
}

#ifdef CRC_X86

/*
 * Folding constants.  A 128-bit lane X holding 16 message bytes is the
 * polynomial X = H x^64 + L (H: its first 8 bytes, the low quadword).
 * Moving it D bits further along the message multiplies it by x^D; a
 * carry-less product of a 64-bit and a 32-bit reflected operand comes out
 * multiplied by x^-33 relative to the lane's bit order, so the constants
 * are R(D + 64 - 33) for H and R(D - 33) for L, in the lane's low and high
 * quadword.
 */
#define FOLD_128_H 0xf20c0dfeu
#define FOLD_128_L 0x493c7d27u
#define FOLD_256_H 0x3da6d0cbu
#define FOLD_256_L 0xba4fc28eu
#define FOLD_384_H 0x1c291d04u
#define FOLD_384_L 0xddc0152bu
#define FOLD_512_H 0x740eef02u
#define FOLD_512_L 0x9e4addf8u
#define FOLD_1024_H 0x6992cea2u
#define FOLD_1024_L 0x0d3b6092u
#define FOLD_1536_H 0xa87ab8a8u
#define FOLD_1536_L 0xab7aff2au
#define FOLD_2048_H 0xdcb17aa4u
#define FOLD_2048_L 0xb9e02b86u

__attribute__((target("sse4.2")))
static guint32 update_crc32(guint32 crc, const guint8 *p, gsize len)
{
    guint64 c = crc;

    for (; len >= 8; p += 8, len -= 8) {
        guint64 v;

        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
    }
    crc = (guint32)c;
    for (; len > 0; p++, len--) {
        crc = _mm_crc32_u8(crc, *p);
    }
    return crc;
}

__attribute__((target("sse4.2,pclmul")))
static __m128i fold128(__m128i x, guint32 kh, guint32 kl)
{
    __m128i k = _mm_set_epi64x(kl, kh);

    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),
                         _mm_clmulepi64_si128(x, k, 0x11));
}

/* The register after 16 folded bytes: their CRC from 0. */
__attribute__((target("sse4.2,pclmul")))
static guint32 finish128(__m128i x)
{
    guint64 c = _mm_crc32_u64(0, (guint64)_mm_cvtsi128_si64(x));

    return (guint32)_mm_crc32_u64(c, (guint64)_mm_extract_epi64(x, 1));
}

/* 128-bit accumulators; @len >= 64.  Returns the register. */
__attribute__((target("sse4.2,pclmul")))
static guint32 update_pclmul(guint32 crc, const guint8 *p, gsize len)
{
    __m128i x0 = _mm_loadu_si128((const __m128i *)p);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    __m128i x;

    x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)crc));
    p += 64;
    len -= 64;
    for (; len >= 64; p += 64, len -= 64) {
        x0 = _mm_xor_si128(fold128(x0, FOLD_512_H, FOLD_512_L),
                           _mm_loadu_si128((const __m128i *)p));
        x1 = _mm_xor_si128(fold128(x1, FOLD_512_H, FOLD_512_L),
                           _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = _mm_xor_si128(fold128(x2, FOLD_512_H, FOLD_512_L),
                           _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = _mm_xor_si128(fold128(x3, FOLD_512_H, FOLD_512_L),
                           _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    x = _mm_xor_si128(fold128(x0, FOLD_384_H, FOLD_384_L),
                      fold128(x1, FOLD_256_H, FOLD_256_L));
    x = _mm_xor_si128(x, fold128(x2, FOLD_128_H, FOLD_128_L));
    x = _mm_xor_si128(x, x3);
    return update_crc32(finish128(x), p, len);
}

__attribute__((target("avx512f,vpclmulqdq,sse4.2,pclmul")))
static __m512i fold512(__m512i x, __m512i k, __m512i data)
{
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
                                     _mm512_clmulepi64_epi128(x, k, 0x11),
                                     data, 0x96);
}

/* The register after the 256 bytes in four 512-bit accumulators, the
 * first byte in @x0: their CRC from 0. */
__attribute__((target("avx512f,vpclmulqdq,sse4.2,pclmul")))
static guint32 reduce512(__m512i x0, __m512i x1, __m512i x2, __m512i x3)
{
    const __m512i zero = _mm512_setzero_si512();
    __m512i y;
    __m128i x;

    y = fold512(x0, _mm512_set_epi64(FOLD_1536_L, FOLD_1536_H, FOLD_1536_L,
                                     FOLD_1536_H, FOLD_1536_L, FOLD_1536_H,
                                     FOLD_1536_L, FOLD_1536_H), x3);
    y = _mm512_xor_si512(y, fold512(x1, _mm512_set_epi64(
                                        FOLD_1024_L, FOLD_1024_H, FOLD_1024_L,
                                        FOLD_1024_H, FOLD_1024_L, FOLD_1024_H,
                                        FOLD_1024_L, FOLD_1024_H), zero));
    y = _mm512_xor_si512(y, fold512(x2, _mm512_set_epi64(
                                        FOLD_512_L, FOLD_512_H, FOLD_512_L,
                                        FOLD_512_H, FOLD_512_L, FOLD_512_H,
                                        FOLD_512_L, FOLD_512_H), zero));
    x = _mm_xor_si128(fold128(_mm512_extracti32x4_epi32(y, 0), FOLD_384_H,
                              FOLD_384_L),
                      fold128(_mm512_extracti32x4_epi32(y, 1), FOLD_256_H,
                              FOLD_256_L));
    x = _mm_xor_si128(x, fold128(_mm512_extracti32x4_epi32(y, 2), FOLD_128_H,
                                 FOLD_128_L));
    x = _mm_xor_si128(x, _mm512_extracti32x4_epi32(y, 3));
    return finish128(x);
}

/* Where a byte loaded from @src is stored: @src + off, with off = dst - p
 * (one register for all the destination addresses). */
#define DST(src) ((guint8 *)((guintptr)(src) + off))

/*
 * Folds the 256 bytes at @p into the four accumulators; with @copy, also
 * stores them at @p + @off as they are loaded.
 */
__attribute__((target("avx512f,vpclmulqdq,sse4.2,pclmul")))
static inline G_ALWAYS_INLINE void fold256(__m512i *x0, __m512i *x1,
                                           __m512i *x2, __m512i *x3,
                                           __m512i k, const guint8 *p,
                                           guintptr off, const gboolean copy)
{
    __m512i d0 = _mm512_loadu_si512(p);
    __m512i d1 = _mm512_loadu_si512(p + 64);
    __m512i d2 = _mm512_loadu_si512(p + 128);
    __m512i d3 = _mm512_loadu_si512(p + 192);

    if (copy) {
        _mm512_storeu_si512(DST(p), d0);
        _mm512_storeu_si512(DST(p + 64), d1);
        _mm512_storeu_si512(DST(p + 128), d2);
        _mm512_storeu_si512(DST(p + 192), d3);
    }
    *x0 = fold512(*x0, k, d0);
    *x1 = fold512(*x1, k, d1);
    *x2 = fold512(*x2, k, d2);
    *x3 = fold512(*x3, k, d3);
}

/*
 * 512-bit accumulators; @len >= 256.  Returns the register.  If @dst is
 * not NULL, the bytes are also stored there as they are loaded: a copy
 * and its CRC in one pass.
 */
__attribute__((target("avx512f,vpclmulqdq,sse4.2,pclmul")))
static inline guint32 fold_vpclmul(guint32 crc, const guint8 *p, gsize len,
                                   guint8 *dst)
{
    const __m512i k2048 = _mm512_set_epi64(FOLD_2048_L, FOLD_2048_H,
                                           FOLD_2048_L, FOLD_2048_H,
                                           FOLD_2048_L, FOLD_2048_H,
                                           FOLD_2048_L, FOLD_2048_H);
    const guintptr off = (guintptr)dst - (guintptr)p;
    __m512i x0 = _mm512_loadu_si512(p);
    __m512i x1 = _mm512_loadu_si512(p + 64);
    __m512i x2 = _mm512_loadu_si512(p + 128);
    __m512i x3 = _mm512_loadu_si512(p + 192);

    if (dst) {
        _mm512_storeu_si512(dst, x0);
        _mm512_storeu_si512(dst + 64, x1);
        _mm512_storeu_si512(dst + 128, x2);
        _mm512_storeu_si512(dst + 192, x3);
    }
    x0 = _mm512_xor_si512(x0, _mm512_zextsi128_si512(
                                  _mm_cvtsi32_si128((int)crc)));
    p += 256;
    len -= 256;
    for (; len >= 256; p += 256, len -= 256) {
        fold256(&x0, &x1, &x2, &x3, k2048, p, off, dst != NULL);
    }
    if (dst) {
        memcpy(DST(p), p, len);
    }
    return update_crc32(reduce512(x0, x1, x2, x3), p, len);
}

/*
 * The hybrid: carry-less folding is limited by the multiplier (two
 * products per 16 bytes), and the crc32 instruction runs on another unit,
 * so they share the work.  A buffer is laid out as
 *
 *     head | fold: 256 (n + 1) or 256 (n + 2) bytes | stream 0 | ... | 4
 *
 * each stream HYB_SPAN n bytes (head < 256 bytes).  Each turn of the loop
 * folds 256 bytes and moves each of the five crc32 chains (five hide the
 * instruction's latency) on by HYB_SPAN bytes, a ratio chosen by
 * measurement (the crc32 units take about 2/5 of the bytes).  The head goes
 * through crc32 first (the fold starts from its register); at the end the
 * fold's register and the streams', each from 0, are moved to the end of
 * the buffer by multiplication and added.
 *
 * Only for the CRC alone.  A copying variant gained 15 % on bytes in L2
 * (crc-speed), but lost 20-50 % to the plain fold once the bytes came
 * from L3 or memory (twelve read and write streams at once), and nothing
 * in the encoder's machine workload: qidl_crc32c__copy() folds.  The loops
 * over the streams are unrolled by pragma: at -O2 (meson's
 * debugoptimized) GCC kept the chains' registers in memory, and the
 * hybrid ran slower than the plain fold.
 */
#define HYB_STREAMS 5
#define HYB_SPAN 32
#define HYB_BLOCK (256 + HYB_STREAMS * HYB_SPAN)
/* Below this, the fixed cost (multiplications, the head) outweighs what
 * the streams save (measured). */
#define HYB_MIN 3072
/* Inputs of twice this or more go in pieces of this, which keeps n within
 * shift_table's bits (and costs nothing measurable). */
#define HYB_MAX (1u << 20)

/*
 * R(8 D n - 32), for mul32() to shift a CRC by D n bytes, from @t[b] =
 * R(8 D 2^b - 32) (a suffix of shift_table: D is a power of 2); n > 0.
 */
__attribute__((target("sse4.2,pclmul")))
static guint32 shift_op_hw(const guint32 *t, gsize n)
{
    guint b = (guint)__builtin_ctzll(n);
    guint32 op = t[b];

    for (n >>= b + 1, b++; n; n >>= 1, b++) {
        if (n & 1) {
            op = mul32_hw(op, t[b]);
        }
    }
    return op;
}


/* HYB_MIN <= @len < 2 HYB_MAX.  Returns the register. */
__attribute__((target("avx512f,vpclmulqdq,sse4.2,pclmul")))
static guint32 fold_hybrid(guint32 crc, const guint8 *p, gsize len)
{
    const __m512i k2048 = _mm512_set_epi64(FOLD_2048_L, FOLD_2048_H,
                                           FOLD_2048_L, FOLD_2048_H,
                                           FOLD_2048_L, FOLD_2048_H,
                                           FOLD_2048_L, FOLD_2048_H);
    gsize n = (len - 256) / HYB_BLOCK;
    gsize head = (len - 256) % HYB_BLOCK % 256;
    const guint8 *end = p + len - HYB_STREAMS * HYB_SPAN * n;
    const guint8 *s[HYB_STREAMS];
    guint64 c[HYB_STREAMS];
    guint32 pw[HYB_STREAMS + 1], r;
    __m512i x0, x1, x2, x3;

    /* pw[k]: shifts a CRC by the length of k streams */
    pw[0] = SHIFT_UNIT;
    pw[1] = shift_op_hw(shift_table + 5, n);
    pw[2] = shift_op_hw(shift_table + 6, n);
    pw[4] = shift_op_hw(shift_table + 7, n);
    pw[3] = mul32_hw(pw[1], pw[2]);
    pw[5] = mul32_hw(pw[1], pw[4]);
    for (int i = 0; i <= HYB_STREAMS; i++) {
        /* Keeps GCC from sinking the multiplications past the loop: here
         * they overlap it. */
        __asm__("" : "+x"(pw[i]));
        if (i < HYB_STREAMS) {
            s[i] = end + i * HYB_SPAN * n;
            c[i] = 0;
        }
    }

    crc = update_crc32(crc, p, head);
    p += head;
    x0 = _mm512_loadu_si512(p);
    x1 = _mm512_loadu_si512(p + 64);
    x2 = _mm512_loadu_si512(p + 128);
    x3 = _mm512_loadu_si512(p + 192);
    x0 = _mm512_xor_si512(x0, _mm512_zextsi128_si512(
                                  _mm_cvtsi32_si128((int)crc)));
    for (p += 256; n > 0; p += 256, n--) {
        fold256(&x0, &x1, &x2, &x3, k2048, p, 0, FALSE);
#pragma GCC unroll 8
        for (int i = 0; i < HYB_STREAMS; i++) {
#pragma GCC unroll 8
            for (int j = 0; j < HYB_SPAN; j += 8) {
                guint64 v;

                memcpy(&v, s[i] + j, 8);
                c[i] = _mm_crc32_u64(c[i], v);
            }
            s[i] += HYB_SPAN;
        }
    }
    if (p < end) {
        fold256(&x0, &x1, &x2, &x3, k2048, p, 0, FALSE);
    }
    r = mul32_hw(reduce512(x0, x1, x2, x3), pw[HYB_STREAMS]);
    for (int i = 0; i < HYB_STREAMS; i++) {
        r ^= mul32_hw((guint32)c[i], pw[HYB_STREAMS - 1 - i]);
    }
    return r;
}

__attribute__((target("avx512f,vpclmulqdq,sse4.2,pclmul")))
static guint32 update_hybrid(guint32 crc, const guint8 *p, gsize len)
{
    for (; len >= 2 * HYB_MAX; p += HYB_MAX, len -= HYB_MAX) {
        crc = fold_hybrid(crc, p, HYB_MAX);
    }
    return fold_hybrid(crc, p, len);
}

__attribute__((target("avx512f,vpclmulqdq,sse4.2,pclmul")))
static guint32 update_vpclmul(guint32 crc, const guint8 *p, gsize len)
{
    return fold_vpclmul(crc, p, len, NULL);
}

__attribute__((target("avx512f,vpclmulqdq,sse4.2,pclmul")))
static guint32 copy_vpclmul(guint32 crc, guint8 *dst, const guint8 *p,
                            gsize len)
{
    return fold_vpclmul(crc, p, len, dst);
}

#endif /* CRC_X86 */

guint32 qidl_crc32c__update(guint32 crc, const void *data, gsize len)
{
    const guint8 *p = data;

    g_return_val_if_fail(data != NULL || len == 0, crc);

    crc = ~crc;
#ifdef CRC_X86
    if (len >= 256 && have_vpclmul()) {
        return ~(len >= HYB_MIN ? update_hybrid(crc, p, len)
                                : update_vpclmul(crc, p, len));
    }
    if (len >= 64 && have_pclmul()) {
        return ~update_pclmul(crc, p, len);
    }
    if (__builtin_cpu_supports("sse4.2")) {
        return ~update_crc32(crc, p, len);
    }
#endif
    return ~update_table(crc, p, len);
}

guint32 qidl_crc32c__copy(guint32 crc, void *dst, const void *src, gsize len)
{
    g_return_val_if_fail((dst != NULL && src != NULL) || len == 0, crc);

#ifdef CRC_X86
    if (len >= 256 && have_vpclmul()) {
        return ~copy_vpclmul(~crc, dst, src, len);
    }
#endif
    if (len > 0) {
        memcpy(dst, src, len);
    }
    return qidl_crc32c__update(crc, dst, len);
}

#ifdef CRC_X86
/*
 * @first times the shift operator of @len2 bytes, with the carry-less
 * multiply.  The set bits of @len2 go alternately to two chains of
 * products, so that the two chains' multiplications overlap: the product
 * is the same (the multiplication is associative and commutative), in
 * about half the latency of one chain.
 */
__attribute__((target("sse4.2,pclmul")))
static inline guint32 chains_hw(guint32 first, guint64 len2)
{
    guint32 chain[2] = { first, SHIFT_UNIT };
    guint which = 0;

    for (guint k = 0; len2 && k < 32; k++, len2 >>= 1) {
        if (len2 & 1) {
            chain[which] = mul32_hw(chain[which], shift_table[k]);
            which ^= 1;
        }
    }
    g_return_val_if_fail(len2 == 0, first);
    return mul32_hw(chain[0], chain[1]);
}

/* qidl_crc32c__combine() with the carry-less multiply: @crc1 starts the
 * first chain, so no product waits for the operator to be complete. */
__attribute__((target("sse4.2,pclmul")))
static guint32 combine_hw(guint32 crc1, guint32 crc2, guint64 len2)
{
    return chains_hw(crc1, len2) ^ crc2;
}

/* qidl_crc32c__shift_op() with the carry-less multiply. */
__attribute__((target("sse4.2,pclmul")))
static guint32 len_op_hw(guint64 len2)
{
    return chains_hw(SHIFT_UNIT, len2);
}
#endif

guint32 qidl_crc32c__shift_op(guint64 len2)
{
    guint32 op = SHIFT_UNIT;

#ifdef CRC_X86
    if (have_pclmul()) {
        return len_op_hw(len2);
    }
#endif
    for (guint k = 0; len2 && k < 32; k++, len2 >>= 1) {
        if (len2 & 1) {
            op = mul32(op, shift_table[k]);
        }
    }
    g_return_val_if_fail(len2 == 0, SHIFT_UNIT);
    return op;
}

guint32 qidl_crc32c__shift(guint32 crc1, guint32 op)
{
    return mul32(crc1, op);
}

guint32 qidl_crc32c__combine(guint32 crc1, guint32 crc2, guint64 len2)
{
    guint32 op = SHIFT_UNIT;

#ifdef CRC_X86
    if (have_pclmul()) {
        return combine_hw(crc1, crc2, len2);
    }
#endif

    for (guint k = 0; len2 && k < 32; k++, len2 >>= 1) {
        if (len2 & 1) {
            op = mul32(op, shift_table[k]);
        }
    }
    g_return_val_if_fail(len2 == 0, crc2);
    /* crc1 * x^(8 len2): with the pre- and post-inversions of both CRCs,
     * the CRC of the concatenation is this XOR the second CRC. */
    return mul32(crc1, op) ^ crc2;
}
