/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A custom mutator for the native stream harnesses: libFuzzer's mutation,
 * then every checksum of the result recomputed (header CRC, each record's
 * CRC, the END record's count and stream CRC), so that mutated inputs get
 * past the CRC checks to the decoding behind them.  Only in libFuzzer
 * builds (QIDL_LIBFUZZER); inputs are saved with their fixed checksums, so
 * the replay main needs no fixing.  Compressed streams are mutated as
 * they are: zstd's own checksum guards their content.
 */
#ifndef QIDL_TESTS_FUZZ_STREAM_FIXUP_H
#define QIDL_TESTS_FUZZ_STREAM_FIXUP_H

#ifdef QIDL_LIBFUZZER

#include <string.h>

#include "fuzz.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed);

static guint32 fixup_crc_table[256];

static guint32 fixup_crc32c(const uint8_t *p, size_t len)
{
    guint32 c = 0xffffffff;

    if (!fixup_crc_table[1]) {
        for (guint32 i = 0; i < 256; i++) {
            guint32 x = i;

            for (int k = 0; k < 8; k++) {
                x = (x & 1) ? (x >> 1) ^ 0x82f63b78 : x >> 1;
            }
            fixup_crc_table[i] = x;
        }
    }
    for (size_t i = 0; i < len; i++) {
        c = fixup_crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    }
    return ~c;
}

static guint32 fixup_get32(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32)p[3] << 24);
}

static void fixup_put32(uint8_t *p, guint32 v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}

/* Recomputes what it can of a plain stream; stops where the frames do. */
static void fuzz_stream_fix_checksums(uint8_t *s, size_t len)
{
    size_t pos = 16;
    guint32 n = 0;

    if (len < 16 || s[4] != 'L') {
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (pos + 2 > len) {
            return;
        }
        pos += 2 + (s[pos] | (s[pos + 1] << 8));
    }
    if (pos + 4 > len) {
        return;
    }
    fixup_put32(s + pos, fixup_crc32c(s, pos));
    pos += 4;
    while (pos + 9 <= len) {
        guint32 body = fixup_get32(s + pos + 1);

        if (body > len - pos - 9) {
            return;
        }
        if (s[pos] == 0x02 && body == 8) {
            fixup_put32(s + pos + 5, n);
            fixup_put32(s + pos + 9, fixup_crc32c(s, pos));
        }
        fixup_put32(s + pos + 5 + body, fixup_crc32c(s + pos, 5 + body));
        pos += 9 + (size_t)body;
        n++;
    }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed)
{
    size = LLVMFuzzerMutate(data, size, max_size);
    /* Leave one input in 16 unfixed, so the checks themselves stay
     * exercised. */
    if (seed % 16 != 0) {
        fuzz_stream_fix_checksums(data, size);
    }
    return size;
}

#endif /* QIDL_LIBFUZZER */

#endif /* QIDL_TESTS_FUZZ_STREAM_FIXUP_H */
