/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the native stream's writer, readers and JSON form share: the wire
 * constants of docs/stream-format.md, QidlStreamInfo's layout, and
 * little-endian helpers.  Private to libqidl.
 */
#ifndef QIDL_STREAM_PRIVATE_H
#define QIDL_STREAM_PRIVATE_H

#include <string.h>

#include <qidl/stream.h>

#include "crc32c.h"

#define STREAM_MAGIC_LEN 8
/* "\x89QIDL\r\n\x1a": high bit, name, and the line-ending and EOF bytes
 * that text-mode transfers mangle, as PNG does. */
extern const guint8 qidl_stream__magic[STREAM_MAGIC_LEN];
/* "\x89QIDZ\r\n\x1a": a zstd frame holding a plain stream follows. */
extern const guint8 qidl_stream__zmagic[STREAM_MAGIC_LEN];

/* Record framing: kind (1) + body length (4) before, CRC-32C (4) after. */
#define STREAM_RECORD_HEAD 5
#define STREAM_RECORD_TAIL 4
/* The list element kind byte that means "each element has its own tag". */
#define STREAM_LIST_TAGGED 0
/* zstd level: the library's default, a good speed/ratio balance. */
#define STREAM_ZSTD_LEVEL 3

typedef struct {
    guint8 kind;
    char *after;          /* nullable */
    GBytes *data;
} QidlStreamExtra;

struct QidlStreamInfo {
    guint16 major;
    guint16 minor;
    guint32 flags;
    char *producer;
    char *producer_version;
    gboolean compressed;
    GTree *metadata;      /* char * -> char *, both owned; strcmp order */
    GPtrArray *extras;    /* QidlStreamExtra *, owned */
};

QidlStreamInfo *qidl_stream_info__copy(const QidlStreamInfo *info);

/*
 * @info (NULL: a new one) as qidl_stream_info_new() makes it, for the
 * producer and version of @plen and @vlen bytes (not NUL-terminated): a
 * reader reset reads the next stream's header into the last one's.
 */
QidlStreamInfo *qidl_stream_info__renew(QidlStreamInfo *info,
                                        const char *producer, gsize plen,
                                        const char *version, gsize vlen);

/* TRUE if @s (@len bytes) is UTF-8 without NUL and at most @max bytes. */
gboolean qidl_stream__text_ok(const char *s, gsize len, gsize max);

/*
 * qidl_stream__text_ok() for the @len bytes at @s, with plain ASCII (type
 * names, instance paths) decided without g_utf8_validate(): eight bytes at
 * a time, the last eight (overlapping) for the rest, none past @len read.
 */
static inline gboolean qidl_stream__text_ok_fast(const void *s, gsize len,
                                                 gsize max)
{
    const guint8 *b = s;
    const guint64 ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    guint64 any = 0, zero = 0, x;

    if (len >= 8) {
        for (gsize i = 0; i + 8 < len; i += 8) {
            memcpy(&x, b + i, 8);
            any |= x;
            zero |= (x - ones) & ~x & highs;
        }
        memcpy(&x, b + len - 8, 8);
        any |= x;
        zero |= (x - ones) & ~x & highs;
    } else {
        for (gsize i = 0; i < len; i++) {
            any |= b[i];
            zero |= b[i] == 0;
        }
    }
    /* @zero is non-zero if and only if a byte is NUL: a byte of 0x80 or
     * more is never taken for one. */
    if (len <= max && !zero && !(any & highs)) {
        return TRUE;
    }
    return qidl_stream__text_ok(s, len, max);
}

/*
 * What a stream writer or reader learned from the tables of
 * qidl_visit_scalar_fields() (stream-fields.c): for each table met in
 * the stream, by address, the index of each of its names in the stream's
 * name table.  A table visited again (a second device of a type, the
 * elements of a list of structs) then needs no name looked up or
 * compared.  A name keeps its index until the stream ends, so an entry
 * stays true as long as the name table does: whatever starts the name
 * table over must clear this too.  A table must not change while a
 * visitor that met it lives (visitor.h); a table of the same address and
 * another length is kept apart.
 */
typedef struct {
    const QidlScalarField *fields;  /* NULL: an empty slot */
    guint n_fields;
    guint32 first;                  /* of its name indices in @idx */
} QidlStreamFieldsSlot;

/* What a set that keeps the layout (@layout) knows of a slot's table. */
typedef struct {
    guint32 len;                    /* bytes of the run in the stream: a
                                       name index, a tag, a value each */
    guint32 max_idx;                /* the largest of its name indices */
} QidlStreamFieldsLayout;

typedef struct {
    QidlStreamFieldsSlot *slots;
    guint32 mask;                   /* slots - 1; slots are a power of two
                                       > 2 n, or none */
    guint32 n;
    guint16 *idx;                   /* the tables' name indices */
    guint32 idx_len;
    guint32 idx_cap;
    gboolean layout;                /* keep @layouts, by slot */
    QidlStreamFieldsLayout *layouts; /* in the block of @slots, after them */
} QidlStreamFields;

static inline guint32 qidl_stream__fields_hash(const QidlScalarField *fields)
{
    guint64 h = (guint64)(guintptr)fields * 0xff51afd7ed558ccdu;

    return (guint32)(h >> 32);
}

/* The slot of table @fields of @n entries, or NULL if not met. */
static inline const QidlStreamFieldsSlot *qidl_stream__fields_find_slot(
    const QidlStreamFields *c, const QidlScalarField *fields, guint n)
{
    if (!c->slots) {
        return NULL;
    }
    for (guint32 i = qidl_stream__fields_hash(fields) & c->mask;;
         i = (i + 1) & c->mask) {
        const QidlStreamFieldsSlot *s = &c->slots[i];

        if (s->fields == fields && s->n_fields == n) {
            return s;
        }
        if (!s->fields) {
            return NULL;
        }
    }
}

/* The name indices of table @fields of @n entries, or NULL if not met. */
static inline const guint16 *qidl_stream__fields_find(
    const QidlStreamFields *c, const QidlScalarField *fields, guint n)
{
    const QidlStreamFieldsSlot *s =
        qidl_stream__fields_find_slot(c, fields, n);

    return s ? c->idx + s->first : NULL;
}

/*
 * Room for the @n (> 0) name indices of a table not met yet, which
 * qidl_stream__fields_add() then keeps; valid until either is called
 * again.
 */
guint16 *qidl_stream__fields_room(QidlStreamFields *c, guint n);

/* Keeps the indices written to the room for table @fields (@n > 0). */
void qidl_stream__fields_add(QidlStreamFields *c,
                             const QidlScalarField *fields, guint n);

/* Forgets every table and frees what @c holds. */
void qidl_stream__fields_clear(QidlStreamFields *c);

/* Forgets every table, keeping the memory for the next stream. */
void qidl_stream__fields_empty(QidlStreamFields *c);

/* TRUE for record kinds with a meaning in this format version. */
static inline gboolean stream_kind_known(guint8 kind)
{
    return kind == QIDL_STREAM_RECORD_DEVICE ||
           kind == QIDL_STREAM_RECORD_END ||
           kind == QIDL_STREAM_RECORD_METADATA;
}

/* A kind a writer may preserve: optional, not reserved, not known. */
static inline gboolean stream_kind_preservable(guint8 kind)
{
    return (kind & QIDL_STREAM_RECORD_OPTIONAL) &&
           kind != QIDL_STREAM_RECORD_OPTIONAL && !stream_kind_known(kind);
}

static inline void put_u8(GByteArray *b, guint8 v)
{
    g_byte_array_append(b, &v, 1);
}

static inline void put_u16(GByteArray *b, guint16 v)
{
    guint8 p[2] = { v & 0xff, v >> 8 };

    g_byte_array_append(b, p, 2);
}

static inline void put_u32(GByteArray *b, guint32 v)
{
    guint8 p[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

    g_byte_array_append(b, p, 4);
}

static inline void put_u64(GByteArray *b, guint64 v)
{
    put_u32(b, (guint32)v);
    put_u32(b, (guint32)(v >> 32));
}

static inline void set_u32(guint8 *p, guint32 v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}

static inline guint16 get_u16(const guint8 *p)
{
    return (guint16)(p[0] | (p[1] << 8));
}

static inline guint32 get_u32(const guint8 *p)
{
    return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) |
           ((guint32)p[3] << 24);
}

static inline guint64 get_u64(const guint8 *p)
{
    return (guint64)get_u32(p) | ((guint64)get_u32(p + 4) << 32);
}

#endif /* QIDL_STREAM_PRIVATE_H */
