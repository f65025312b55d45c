/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CRC-32C (Castagnoli), the checksum of the native stream's header and
 * records (docs/stream-format.md).
 *
 * Why our own: GLib has no CRC-32C, and zlib's crc32() uses the IEEE 802.3
 * polynomial (0x04C11DB7), a different checksum.  The stream specifies the
 * Castagnoli polynomial (0x1EDC6F41, reflected 0x82F63B78) because it
 * detects more error patterns at the record sizes we write and is the one
 * iSCSI, ext4, Btrfs and SSE4.2's crc32 instruction use, so decoders in
 * other languages find it in their standard toolbox.  On x86-64 it runs on
 * the CPU's carry-less multiply and crc32 instructions (device state is
 * saved during a migration's downtime: docs/performance.md), elsewhere a
 * byte-at-a-time table; crc32c.c explains.  Nothing is mutable, so there
 * is no state to share.
 */
#ifndef QIDL_CRC32C_H
#define QIDL_CRC32C_H

#include <glib.h>

/*
 * Continues a CRC-32C over @len bytes of @data.  Start with crc = 0; the
 * pre- and post-inversion are applied inside, so chained calls over the
 * pieces of a buffer give the CRC of the whole buffer:
 *
 *     crc = qidl_crc32c__update(0, "1234", 4);
 *     crc = qidl_crc32c__update(crc, "56789", 5);   // 0xe3069283
 */
guint32 qidl_crc32c__update(guint32 crc, const void *data, gsize len);

/*
 * Copies @len bytes from @src to @dst (which must not overlap) and returns
 * qidl_crc32c__update(@crc, @src, @len): in one pass over the bytes where
 * the CPU allows (AVX-512 VPCLMULQDQ), a copy and then a pass otherwise.
 */
guint32 qidl_crc32c__copy(guint32 crc, void *dst, const void *src, gsize len);

/*
 * The CRC-32C of A followed by B, from @crc1 (of A), @crc2 (of B) and B's
 * length @len2 (less than 2^32), without reading either: so a writer that
 * checksums each record can have the checksum of the whole stream too.
 */
guint32 qidl_crc32c__combine(guint32 crc1, guint32 crc2, guint64 len2);

/*
 * qidl_crc32c__combine() in two steps: the operator that moves a CRC past
 * @len2 bytes (a product per set bit of @len2), and its application (one
 * product): combine(crc1, crc2, len2) == shift(crc1, shift_op(len2)) ^
 * crc2.  A writer or reader that meets the same record lengths stream
 * after stream keeps the operators (QidlCrcShiftCache).
 */
guint32 qidl_crc32c__shift_op(guint64 len2);
guint32 qidl_crc32c__shift(guint32 crc1, guint32 op);

/*
 * The CRC-32C of any message followed by its own CRC-32C (4 bytes, little
 * endian): so a record whose checksum is right adds it to the stream's
 * checksum without reading either.
 */
#define QIDL_CRC32C_RESIDUE 0x48674bc7u

/*
 * The shift operators of the last lengths met, by length: a writer's or
 * reader's own (zeroed), not shared.
 */
#define QIDL_CRC_SHIFT_CACHE 64

typedef struct {
    guint32 len[QIDL_CRC_SHIFT_CACHE];   /* 0: no entry */
    guint32 op[QIDL_CRC_SHIFT_CACHE];
} QidlCrcShiftCache;

/* qidl_crc32c__combine() for @len2 below 2^32, with @cache. */
static inline guint32 qidl_crc32c__combine_cached(QidlCrcShiftCache *cache,
                                                  guint32 crc1,
                                                  guint32 crc2,
                                                  guint32 len2)
{
    guint slot = (len2 * 0x9e3779b1u) >> 26;

    if (G_UNLIKELY(len2 == 0)) {
        return crc1 ^ crc2;
    }
    if (G_UNLIKELY(cache->len[slot] != len2)) {
        cache->len[slot] = len2;
        cache->op[slot] = qidl_crc32c__shift_op(len2);
    }
    return qidl_crc32c__shift(crc1, cache->op[slot]) ^ crc2;
}

#endif /* QIDL_CRC32C_H */
