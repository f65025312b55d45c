/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hand-made native streams; see craft.h. */
#include <string.h>

#include "craft.h"
#include "stream-seal.h"

void craft_u8(GByteArray *b, guint8 v)
{
    g_byte_array_append(b, &v, 1);
}

void craft_u16(GByteArray *b, guint16 v)
{
    guint8 x[2] = { v & 0xff, v >> 8 };

    g_byte_array_append(b, x, sizeof(x));
}

void craft_u32(GByteArray *b, guint32 v)
{
    guint8 x[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

    g_byte_array_append(b, x, sizeof(x));
}

void craft_u64(GByteArray *b, guint64 v)
{
    craft_u32(b, (guint32)v);
    craft_u32(b, (guint32)(v >> 32));
}

void craft_str16(GByteArray *b, const char *s)
{
    gsize n = strlen(s);

    craft_u16(b, (guint16)n);
    g_byte_array_append(b, (const guint8 *)s, n);
}

void craft_name8(GByteArray *b, const char *s)
{
    gsize n = strlen(s);

    craft_u8(b, (guint8)n);
    g_byte_array_append(b, (const guint8 *)s, n);
}

static const guint8 plain_magic[8] = { 0x89, 'Q', 'I', 'D', 'L', '\r', '\n',
                                       0x1a };

GByteArray *craft_header(guint32 flags)
{
    GByteArray *s = g_byte_array_new();

    g_byte_array_append(s, plain_magic, sizeof(plain_magic));
    craft_u16(s, 1);
    craft_u16(s, 0);
    craft_u32(s, flags);
    craft_str16(s, "t");
    craft_str16(s, "1");
    craft_u32(s, test_ref_crc32c(s->data, s->len));
    return s;
}

/* Records appended since the header; counted from the frames. */
static guint32 count_records(const GByteArray *s)
{
    gsize pos = 16;
    guint32 n = 0;

    pos += 2 + (s->data[pos] | (s->data[pos + 1] << 8));
    pos += 2 + (s->data[pos] | (s->data[pos + 1] << 8));
    pos += 4;
    while (pos + 5 <= s->len) {
        const guint8 *p = s->data + pos + 1;
        guint32 len = p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32)p[3] << 24);

        pos += 9 + (gsize)len;
        n++;
    }
    return n;
}

void craft_record(GByteArray *s, guint8 kind, const guint8 *body, gsize len)
{
    gsize start = s->len;

    craft_u8(s, kind);
    craft_u32(s, (guint32)len);
    g_byte_array_append(s, body, len);
    craft_u32(s, test_ref_crc32c(s->data + start, s->len - start));
}

void craft_end(GByteArray *s)
{
    g_autoptr(GByteArray) body = g_byte_array_new();

    craft_u32(body, count_records(s));
    craft_u32(body, test_ref_crc32c(s->data, s->len));
    craft_record(s, 0x02, body->data, body->len);
}

GByteArray *craft_device_stream(guint32 version, const char *const *names,
                                const guint8 *state, gsize state_len)
{
    GByteArray *s = craft_header(0);
    g_autoptr(GByteArray) body = g_byte_array_new();
    guint k = names ? g_strv_length((char **)names) : 0;

    craft_str16(body, "t");
    craft_str16(body, "/t");
    craft_u32(body, version);
    craft_u16(body, k);
    for (guint i = 0; i < k; i++) {
        craft_name8(body, names[i]);
    }
    g_byte_array_append(body, state, state_len);
    craft_record(s, 0x01, body->data, body->len);
    craft_end(s);
    return s;
}

GByteArray *craft_nested_state(guint depth)
{
    GByteArray *b = g_byte_array_new();

    g_assert(depth >= 1);
    /* name #0 "d", struct, 1 field (0 if it is the only level) */
    craft_u16(b, 0);
    craft_u8(b, 0x0e);
    craft_u32(b, depth > 1 ? 1 : 0);
    for (guint i = 1; i < depth; i++) {
        craft_u16(b, 1);
        craft_u8(b, 0x0e);
        craft_u32(b, i + 1 < depth ? 1 : 0);
    }
    return b;
}
