/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hand-edited native streams: see stream-seal.h. */
#include <qidl/stream.h>

#include "stream-seal.h"

guint32 test_ref_crc32c(const guint8 *p, gsize len)
{
    guint32 c = 0xffffffff;

    for (gsize i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78 : c >> 1;
        }
    }
    return ~c;
}

void test_put32(guint8 *p, guint32 v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}

guint32 test_get32(const guint8 *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32)p[3] << 24);
}

/* The header: magic, versions and flags (16 bytes), two str16, the CRC. */
static gsize header_body_len(const GByteArray *s)
{
    gsize pos = 16;

    pos += 2 + (s->data[pos] | (s->data[pos + 1] << 8));
    pos += 2 + (s->data[pos] | (s->data[pos + 1] << 8));
    return pos;
}

gsize test_stream_header_len(const GByteArray *s)
{
    return header_body_len(s) + 4;
}

void test_stream_fix_checksums(GByteArray *s)
{
    gsize pos = header_body_len(s);
    guint32 n = 0;

    test_put32(s->data + pos, test_ref_crc32c(s->data, pos));
    pos += 4;
    while (pos < s->len) {
        guint8 kind = s->data[pos];
        guint32 len = test_get32(s->data + pos + 1);

        if (kind == QIDL_STREAM_RECORD_END) {
            test_put32(s->data + pos + 5, n);
            test_put32(s->data + pos + 9, test_ref_crc32c(s->data, pos));
        }
        test_put32(s->data + pos + 5 + len,
                   test_ref_crc32c(s->data + pos, 5 + len));
        pos += 9 + len;
        n++;
    }
}
