/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for tests that edit native streams by hand: a bit-at-a-time
 * CRC-32C, independent of libqidl's, little-endian u32 access, and the
 * re-sealing of every checksum after an edit.
 */
#ifndef QIDL_TEST_STREAM_SEAL_H
#define QIDL_TEST_STREAM_SEAL_H

#include <glib.h>

/* CRC-32C of @len bytes (docs/stream-format.md), bit by bit. */
guint32 test_ref_crc32c(const guint8 *p, gsize len);

void test_put32(guint8 *p, guint32 v);
guint32 test_get32(const guint8 *p);

/* Length of a plain stream's header, its checksum included: the offset
 * of its first record. */
gsize test_stream_header_len(const GByteArray *s);

/*
 * Recomputes every checksum of a plain stream after a test edited it, and
 * the end record's count: the header's CRC, each record's CRC, the end
 * record's stream CRC.  Record lengths must still frame the stream.
 */
void test_stream_fix_checksums(GByteArray *s);

#endif
