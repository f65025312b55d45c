/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The native stream writer (stream.h, docs/stream-format.md): an output
 * visitor per device that encodes straight into the stream, and the
 * tree-to-stream path built on it.
 *
 * The encoding is canonical, so every choice here is a rule of the format,
 * not a heuristic: names are defined in the record that first uses them,
 * in order of first use; a non-empty list whose elements are all scalars
 * of one kind is packed.  A list visited element by element is first
 * written with a tag per element and packed in place when it ends, because
 * only then is it known whether its elements were uniform; an array
 * visited with qidl_visit_scalar_array() is written packed at once.
 *
 * Where the bytes go: everything the stream holds except the record CRCs
 * and the end record is written once, into @buf, as it becomes known, and
 * @spans lists the pieces of @buf (and of preserved records' bodies) in
 * stream order.  A device record's pieces are its head (kind, length, type
 * name, instance path, version, count of names), then the names it
 * defines, then its state: the state is written first, value by value, and
 * the names it defined are only known at its end.  A big value (guest RAM,
 * a long array) goes to @big instead, whose chunks never move: @buf would
 * copy it again each time it doubles.  finish() copies the pieces
 * to the caller's array in one pass, computing each record's CRC-32C on
 * the bytes it has just copied (so they are in cache) and the stream's by
 * combining them.
 *
 * Errors are sticky: the first one is kept in @sticky, later calls do
 * nothing, and end_device()/finish() report it.  Nothing reaches the
 * caller's array unless finish() succeeds.
 */
#include <zstd.h>

#include <qidl/visitor-impl.h>

#include "stream-private.h"

/*
 * A growable buffer with inline appends: the state of a device is written
 * value by value, and GByteArray's out-of-line append is most of the cost
 * of a one-byte value.
 */
typedef struct {
    guint8 *data;
    gsize len;
    gsize cap;
} Buf;

static void buf_grow(Buf *b, gsize n)
{
    gsize cap = MAX(b->cap * 2, MAX(b->len + n, 4096));

    b->data = g_realloc(b->data, cap);
    b->cap = cap;
}

/* qidl_kind_is_scalar() without a call through the PLT per value
 * written (sizes: qidl_kind__scalar_size()). */
static inline gboolean kind_is_scalar(QidlKind kind)
{
    return kind >= QIDL_KIND_BOOL && kind <= QIDL_KIND_DOUBLE;
}

static inline guint8 *buf_room(Buf *b, gsize n)
{
    if (G_UNLIKELY(b->cap - b->len < n)) {
        buf_grow(b, n);
    }
    return b->data + b->len;
}

static inline void buf_u8(Buf *b, guint8 v)
{
    *buf_room(b, 1) = v;
    b->len++;
}

static inline void buf_u16(Buf *b, guint16 v)
{
    guint8 *p = buf_room(b, 2);

    p[0] = v & 0xff;
    p[1] = v >> 8;
    b->len += 2;
}

static inline void buf_u32(Buf *b, guint32 v)
{
    set_u32(buf_room(b, 4), v);
    b->len += 4;
}

static inline void buf_u64(Buf *b, guint64 v)
{
    guint8 *p = buf_room(b, 8);

    set_u32(p, (guint32)v);
    set_u32(p + 4, (guint32)(v >> 32));
    b->len += 8;
}

static inline void buf_append(Buf *b, const void *data, gsize n)
{
    if (n) {
        memcpy(buf_room(b, n), data, n);
        b->len += n;
    }
}

static void buf_str16(Buf *b, const char *s, gsize len)
{
    buf_u16(b, (guint16)len);
    buf_append(b, s, len);
}

/*
 * Stores @count host-order scalars of @size bytes each as the format's
 * little-endian values.
 */
static void put_le_array(guint8 *dst, const void *src, guint32 count,
                         gsize size)
{
    if (count == 0) {
        return;
    }
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    memcpy(dst, src, (gsize)count * size);
#else
    for (gsize i = 0; i < (gsize)count * size; i += size) {
        for (gsize b = 0; b < size; b++) {
            dst[i + b] = ((const guint8 *)src)[i + size - 1 - b];
        }
    }
#endif
}

/* ---- string sets: the name table, instance paths, top-level names ---- */

static inline guint64 mix64(guint64 h)
{
    h *= 0xff51afd7ed558ccdu;
    return h ^ (h >> 32);
}

static inline guint32 hash_final(guint64 h, gsize len)
{
    h = mix64(h ^ len);
    return (guint32)(h ^ (h >> 29));
}

static inline guint64 load64(const void *p)
{
    guint64 x;

    memcpy(&x, p, 8);
    return x;
}

/*
 * The word of the bytes [@i, @i + 8) of the @len bytes at @p, read
 * without going past them: the last 1 to 7 bytes with two overlapping
 * loads or three single bytes, which between them cover each byte, so
 * two strings of one length give the same words only if they are equal.
 * If @copy is not NULL, the same bytes are stored there, at @i.
 */
static inline guint64 name_word(const void *p, gsize len, gsize i,
                                guint8 *copy)
{
    const guint8 *b = (const guint8 *)p + i;
    gsize n = len - i;
    guint64 x;
    guint32 lo, hi;

    if (n >= 8) {
        x = load64(b);
        if (copy) {
            memcpy(copy + i, &x, 8);
        }
        return x;
    }
    if (n >= 4) {
        memcpy(&lo, b, 4);
        memcpy(&hi, b + n - 4, 4);
        if (copy) {
            memcpy(copy + i, &lo, 4);
            memcpy(copy + i + n - 4, &hi, 4);
        }
        return lo | (guint64)hi << 32;
    }
    if (copy) {
        copy[i] = b[0];
        copy[i + n / 2] = b[n / 2];
        copy[i + n - 1] = b[n - 1];
    }
    return b[0] | (guint64)b[n / 2] << 8 | (guint64)b[n - 1] << 16;
}

/* Whether the @len bytes at @a and at @b are the same, by name_word(). */
static inline gboolean same_words(const void *a, const void *b, gsize len)
{
    for (gsize i = 0; i < len; i += 8) {
        if (name_word(a, len, i, NULL) != name_word(b, len, i, NULL)) {
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * A set of strings, each with an index in order of addition: their bytes
 * back to back in @bytes, an open-addressing hash table over them.  Per
 * stream it is built afresh, so adding must be cheap: no allocation per
 * string.  The name table keeps names as the stream defines them (name8:
 * a length byte, then the bytes), so that a record's names are one run of
 * @bytes; the other set keeps NUL-terminated strings.  @ns keeps apart
 * the kinds of strings that share a set.
 */
typedef struct {
    guint32 off;          /* of the bytes in @bytes */
    guint32 len;
    guint32 hash;
    guint8 ns;
} StrEntry;

typedef struct {
    gboolean name8;
    Buf bytes;
    StrEntry *entries;
    guint32 n;
    guint32 cap;          /* of @entries */
    guint32 *slots;       /* entry index + 1; 0: empty */
    guint32 mask;         /* slots - 1; slots are a power of two > 2 n */
} StrSet;

/*
 * Entries a set has room for before it grows: a machine's field names, or
 * its devices' paths and names.
 */
#define STRSET_FIRST_CAP 256
#define DEVICES_FIRST_CAP 32

static const char *strset_str(const StrSet *t, guint32 idx)
{
    return (const char *)t->bytes.data + t->entries[idx].off;
}

/* Marks "no free slot known" for strset_commit(). */
#define NO_SLOT G_MAXUINT32

/*
 * The index of the @len bytes at @s (hash @hash), or -1 and in
 * @free_slot the empty slot where the look-up stopped (or NO_SLOT).
 */
static inline gint64 strset_find(const StrSet *t, guint8 ns, const void *s,
                                 gsize len, guint32 hash, guint32 *free_slot)
{
    *free_slot = NO_SLOT;
    if (G_UNLIKELY(!t->slots)) {
        return -1;
    }
    for (guint32 i = hash & t->mask;; i = (i + 1) & t->mask) {
        guint32 slot = t->slots[i];
        const StrEntry *e;

        if (slot == 0) {
            *free_slot = i;
            return -1;
        }
        e = &t->entries[slot - 1];
        if (e->hash == hash && e->len == len && e->ns == ns &&
            same_words(t->bytes.data + e->off, s, len)) {
            return slot - 1;
        }
    }
}

/* The first empty slot for a string of hash @hash. */
static inline guint32 strset_free_slot(const StrSet *t, guint32 hash)
{
    guint32 i = hash & t->mask;

    while (t->slots[i]) {
        i = (i + 1) & t->mask;
    }
    return i;
}

static void strset_insert_slot(StrSet *t, guint32 idx)
{
    t->slots[strset_free_slot(t, t->entries[idx].hash)] = idx + 1;
}

/*
 * Makes room in @t's table and entries for @need strings in all; FALSE if
 * the table was made anew (so a free slot found before is no longer one).
 */
static G_NO_INLINE gboolean strset_grow(StrSet *t, guint32 need)
{
    guint32 first = t->name8 ? STRSET_FIRST_CAP : DEVICES_FIRST_CAP;

    if (need > t->cap) {
        t->cap = MAX(t->cap * 2, first);
        while (t->cap < need) {
            t->cap *= 2;
        }
        t->entries = g_renew(StrEntry, t->entries, t->cap);
    }
    if (!t->slots || need * 2 > t->mask + 1) {
        guint32 n_slots = t->slots ? (t->mask + 1) * 2 : 2 * first;

        while (need * 2 > n_slots) {
            n_slots *= 2;
        }

        g_free(t->slots);
        /* Cleared here rather than by calloc(), which may leave fresh
         * memory out of the cache: every probe would miss. */
        t->slots = g_new(guint32, n_slots);
        memset(t->slots, 0, n_slots * sizeof(guint32));
        t->mask = n_slots - 1;
        for (guint32 i = 0; i < t->n; i++) {
            strset_insert_slot(t, i);
        }
        return FALSE;
    }
    return TRUE;
}

/* Room for @more strings; FALSE if the table was made anew. */
static inline gboolean strset_reserve_n(StrSet *t, guint32 more)
{
    guint32 need = t->n + more;

    if (G_LIKELY(need <= t->cap && t->slots && need * 2 <= t->mask + 1)) {
        return TRUE;
    }
    return strset_grow(t, need);
}

static inline gboolean strset_reserve(StrSet *t)
{
    return strset_reserve_n(t, 1);
}

/*
 * strset_commit() of a string into room made before, at the empty slot
 * @slot.
 */
static inline guint32 strset_put(StrSet *t, guint8 ns, gsize off, gsize len,
                                 guint32 hash, guint32 slot)
{
    t->entries[t->n] = (StrEntry) { (guint32)off, (guint32)len, hash, ns };
    t->bytes.len = off + len + !t->name8;
    t->slots[slot] = t->n + 1;
    return t->n++;
}

/*
 * Records the string whose @len bytes the caller has just written at
 * @off in @bytes (after the length byte, for a name table), which is not
 * in @t; returns its index.  @free_slot is the empty slot where the
 * look-up that did not find it stopped, or NO_SLOT: the string goes there
 * without a second probe unless the table grows.
 */
static inline guint32 strset_commit(StrSet *t, guint8 ns, gsize off,
                                    gsize len, guint32 hash,
                                    guint32 free_slot)
{
    if (!strset_reserve(t) || free_slot == NO_SLOT) {
        /* No free slot known, or not one any more. */
        free_slot = strset_free_slot(t, hash);
    }
    return strset_put(t, ns, off, len, hash, free_slot);
}

/*
 * The hash of the @len bytes at @s (@ns 0: a name table's entry), none
 * past them read, which it copies to @copy in passing if @copy is not
 * NULL; ORs the bytes' words into @any (a name with none of their high
 * bits set is ASCII).
 */
static inline G_ALWAYS_INLINE guint32 hash_words(guint8 ns, const char *s,
                                                 gsize len, guint8 *copy,
                                                 guint64 *any)
{
    guint64 h = 0x9e3779b97f4a7c15u ^ ns;

    for (gsize i = 0; i < len; i += 8) {
        guint64 x = name_word(s, len, i, copy);

        *any |= x;
        h = mix64(h ^ x);
    }
    return hash_final(h, len);
}

/* hash_words() without the copy. */
static guint32 hash_bytes(guint8 ns, const char *s, gsize len)
{
    guint64 any = 0;

    return hash_words(ns, s, len, NULL, &any);
}

/* hash_bytes() of a name table's entry. */
static guint32 name_hash(const char *name, gsize len)
{
    guint64 any = 0;

    return hash_words(0, name, len, NULL, &any);
}

/*
 * Looks up the NUL-terminated @s (@len bytes) in the set of NUL-terminated
 * strings @t and adds it if it is not there; returns its index and whether
 * it was there already.
 */
static guint32 strset_add_str(StrSet *t, guint8 ns, const char *s, gsize len,
                              gboolean *present)
{
    guint32 hash = hash_bytes(ns, s, len), free_slot;
    gint64 idx = strset_find(t, ns, s, len, hash, &free_slot);
    gsize off = t->bytes.len;

    *present = idx >= 0;
    if (idx >= 0) {
        return (guint32)idx;
    }
    memcpy(buf_room(&t->bytes, len + 1) , s, len + 1);
    return strset_commit(t, ns, off, len, hash, free_slot);
}

static void strset_clear(StrSet *t)
{
    g_free(t->bytes.data);
    g_free(t->entries);
    g_free(t->slots);
}

/* Drops the strings from index @n on. */
static G_NO_INLINE void strset_truncate(StrSet *t, guint32 n)
{
    if (n >= t->n) {
        return;
    }
    t->bytes.len = t->entries[n].off - (t->name8 ? 1 : 0);
    t->n = n;
    memset(t->slots, 0, (t->mask + 1) * sizeof(guint32));
    for (guint32 i = 0; i < n; i++) {
        strset_insert_slot(t, i);
    }
}

/* The kinds of string in QidlStreamWriter.devices. */
enum {
    NS_PATH = 1,          /* instance paths written */
    NS_TOP,               /* top-level names written */
};

/*
 * Values at least this long are copied into @big rather than into @buf
 * (see Span): growing @buf by doubling would copy them again and again.
 */
#define BIG_VALUE QIDL_STREAM_BORROW_MIN

/*
 * Where big values go: chunks that never move, each at least twice the
 * size of the one before, so that a stream of many megabytes takes a few
 * allocations (which the allocator keeps for the next stream rather than
 * handing back to the system and faulting in again page by page).
 */
typedef struct BigChunk {
    struct BigChunk *next;
    gsize used;
    gsize cap;
    guint8 data[];
} BigChunk;

#define BIG_FIRST_CHUNK (64 * 1024)

static guint8 *big_alloc(BigChunk **chunks, gsize n)
{
    BigChunk *c = *chunks;
    guint8 *p;

    if (!c || c->cap - c->used < n) {
        gsize cap = MAX(n, c ? 2 * c->cap : BIG_FIRST_CHUNK);

        c = g_malloc(sizeof(BigChunk) + cap);
        c->next = *chunks;
        c->used = 0;
        c->cap = cap;
        *chunks = c;
    }
    p = c->data + c->used;
    c->used += n;
    return p;
}

static void big_free(BigChunk *c)
{
    while (c) {
        BigChunk *next = c->next;

        g_free(c);
        c = next;
    }
}

/* Empties the chunks, keeping the last and largest for the next stream. */
static void big_empty(BigChunk **chunks)
{
    if (*chunks) {
        big_free((*chunks)->next);
        (*chunks)->next = NULL;
        (*chunks)->used = 0;
    }
}

/* ---- the writer ---- */

/* An open struct or list of the device being written. */
typedef struct {
    QidlKind kind;
    gsize start;         /* struct: offset of its field count; list: of
                            its element-kind byte (both in @buf) */
    guint32 n;           /* fields or elements written so far */
    guint64 serial;      /* struct: identifies it in @used */
    guint undo_start;    /* struct: its first entry in @undo */
    QidlKind elem_kind;  /* list: the first element's tag */
    gboolean uniform;    /* list: every element a scalar of elem_kind */
} WriteFrame;

typedef struct {
    guint32 idx;
    guint64 old;
} UsedUndo;

/* Where a Span's bytes are. */
typedef enum {
    SPAN_BUF = 1,         /* in @buf, at @off */
    SPAN_NAMES,           /* in the name table's bytes, at @off */
    SPAN_BIG,             /* at @ext, in @big: a big value */
    SPAN_EXTERNAL,        /* at @ext: a preserved record's body, or a
                             big value borrowed from the visited object
                             (QIDL_STREAM_WRITE_BORROW) */
} SpanSource;

/*
 * A piece of the plain stream.  A record's first piece starts with its
 * kind and body length; its CRC follows its last.  A piece outside any
 * record is the header.
 */
typedef struct {
    SpanSource source;
    gsize off;
    guint8 *ext;
    gsize len;
    gboolean record_start;
    gboolean record_end;
} Span;

typedef struct QidlStreamWriter QidlStreamWriter;

/* Entries of QidlStreamWriter.name_cache. */
#define NAME_CACHE_BITS 8
#define NAME_CACHE_SIZE (1u << NAME_CACHE_BITS)

typedef struct {
    QidlVisitor parent;
    QidlStreamWriter *w;
} WriterVisitor;

struct QidlStreamWriter {
    GByteArray *out;           /* borrowed */
    QidlStreamWriteFlags flags;
    GPtrArray *extras;         /* QidlStreamExtra *, owned; NULL: none */
    gboolean *extra_done;      /* per entry of @extras */
    Buf buf;                   /* the stream's bytes but the CRCs, the
                                  names and the big values */
    BigChunk *big;             /* the big values */
    Span *spans;
    guint n_spans;
    guint spans_cap;
    gsize stream_len;          /* of the plain stream so far, CRCs included */
    guint32 header_crc;        /* CRC-32C of the header */
    /*
     * What write_start() left, for qidl_stream_writer_reset(): the header,
     * the metadata record and the records placed first are the first
     * @start_spans spans, @start_buf bytes of @buf (the bodies of preserved
     * records stay in @extras), @start_len bytes of the stream, and
     * @start_records records.  @start_failed: it failed, and so will every
     * stream.
     */
    gsize start_buf;
    guint start_spans;
    gsize start_len;
    guint32 start_records;
    gboolean start_failed;
    /*
     * The name table.  Its first @n_defined names are this stream's.  A
     * writer reset keeps the last stream's table: while this stream
     * defines the same names in the same order, the next of them is
     * "defined" by counting it, its bytes, index and hash already in
     * place, and the run tables' and names' caches stay right.  At the
     * first name that differs, the names past @n_defined are dropped
     * (names_truncate()), and with them the caches' entries.
     */
    StrSet names;
    guint32 n_defined;
    guint32 n_truncated;       /* names_truncate() calls, ever */
    StrSet devices;            /* instance paths and top-level names */
    guint32 dev_defined;       /* of @devices, this stream's */
    guint32 n_records;
    /* Not next to @in_device: a check of both would be one 8-byte load
     * of two 4-byte fields just stored, which waits for the stores to
     * reach the cache (store-to-load forwarding fails). */
    gboolean finished;
    GError *sticky;

    /* The device record being written. */
    gboolean in_device;
    gsize dev_head;            /* offset of its head in @buf */
    gsize dev_type;            /* offsets of its type name and instance */
    gsize dev_path;            /* path (str16) in @buf */
    guint32 dev_path_idx;      /* its instance path in @devices */
    guint names_span;          /* its names' span, set by end_device */
    gsize run_start;           /* offset in @buf of its state not yet in
                                  a span */
    guint32 first_new;         /* index of the first name it defines */
    gboolean top_started;
    gboolean top_done;
    /*
     * A field visited twice in one struct is an error.  @used holds, per
     * name index, the serial + 1 of the struct that last had a field of
     * that name (0: none yet); serials are never reused, so a struct that
     * ended can be left there.  @undo keeps the values a struct overwrote
     * that were not 0, one of which may be an enclosing open struct's:
     * they are put back at its end_struct.  One array access per field,
     * no hashing, and no undo entry for a name the stream has not used
     * before, which most of one machine's are: after a reset, the marks
     * of the last streams, up to @old_marks, count as none.
     */
    guint64 *used;             /* by name index, @used_cap of them */
    guint64 old_marks;
    guint32 used_cap;
    UsedUndo *undo;
    guint n_undo;
    guint undo_cap;
    guint64 next_serial;
    guint n_frames;
    QidlStreamFields tables;   /* qidl_visit_scalar_fields()'s tables */
    /* Made by the first reset, for the streams after; a writer never
     * reset spends nothing on it. */
    QidlCrcShiftCache *shifts;

    /*
     * The index of the names last looked up, by the address of the
     * caller's string (usually a literal of generated code), so that a
     * name met again, in another instance of a device type, is found
     * without hashing.  The entry is checked against the name's bytes, so
     * a string reused for another name is never taken for the first.
     */
    struct {
        const char *name;
        guint32 idx;
    } name_cache[NAME_CACHE_SIZE];

    /* Large and written before they are read: writer_new() does not
     * clear them. */
    WriteFrame frames[QIDL_LIMIT_DEPTH];
    WriterVisitor v;
};

static WriterVisitor *to_wv(QidlVisitor *v)
{
    return (WriterVisitor *)v;
}

/* Keeps the first error of the writer and hands the caller a copy. */
static gboolean set_sticky(QidlStreamWriter *w, GError **error, int code,
                           const char *msg)
{
    if (!w->sticky) {
        w->sticky = g_error_new_literal(QIDL_ERROR, code, msg);
    }
    if (error) {
        g_propagate_error(error, g_error_copy(w->sticky));
    }
    return FALSE;
}

/* Reports the sticky error again (it is set). */
static gboolean report_sticky(QidlStreamWriter *w, GError **error)
{
    if (error) {
        g_propagate_error(error, g_error_copy(w->sticky));
    }
    return FALSE;
}

static gboolean fail(QidlStreamWriter *w, GError **error, int code,
                     const char *format, ...) G_GNUC_PRINTF(4, 5);

static gboolean fail(QidlStreamWriter *w, GError **error, int code,
                     const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    return set_sticky(w, error, code, msg);
}

/* The str16 at @off in @buf (the device's type name or path), as text. */
static char *dev_str(QidlStreamWriter *w, gsize off)
{
    return g_strndup((const char *)w->buf.data + off + 2,
                     get_u16(w->buf.data + off));
}

/* An error inside a device's visit: "device P (T): path: message". */
static gboolean vfail(QidlVisitor *v, GError **error, int code,
                      const char *format, ...) G_GNUC_PRINTF(4, 5);

static gboolean vfail(QidlVisitor *v, GError **error, int code,
                      const char *format, ...)
{
    QidlStreamWriter *w = to_wv(v)->w;
    g_autofree char *path = qidl_visitor_get_path(v);
    g_autofree char *type = dev_str(w, w->dev_type);
    g_autofree char *ipath = dev_str(w, w->dev_path);
    g_autofree char *msg = NULL;
    g_autofree char *full = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    full = g_strdup_printf("device %s (%s): %s%s%s", ipath, type, path,
                           *path ? ": " : "", msg);
    return set_sticky(w, error, code, full);
}

static void add_span(QidlStreamWriter *w, Span span)
{
    if (w->n_spans == w->spans_cap) {
        w->spans_cap = MAX(w->spans_cap * 2, 32);
        w->spans = g_renew(Span, w->spans, w->spans_cap);
    }
    w->spans[w->n_spans++] = span;
}

/*
 * Accounts for a framed record of a @len-byte body: checks the limit and
 * counts it.  The caller writes its pieces.
 */
static gboolean begin_record(QidlStreamWriter *w, gsize len, GError **error)
{
    /* Room for this record and the end record, within the limit. */
    gsize need = STREAM_RECORD_HEAD + STREAM_RECORD_TAIL;
    gsize start = w->stream_len;

    if (len > QIDL_LIMIT_STREAM_LEN ||
        start + len + 3 * need + 8 > QIDL_LIMIT_STREAM_LEN) {
        return fail(w, error, QIDL_ERROR_LIMIT,
                    "record %" G_GUINT32_FORMAT " of %" G_GSIZE_FORMAT
                    " bytes would make the stream exceed %u bytes",
                    w->n_records, len, QIDL_LIMIT_STREAM_LEN);
    }
    w->stream_len += need + len;
    w->n_records++;
    return TRUE;
}

/*
 * Appends a preserved record: its frame's head in @buf, its body where
 * @extras keeps it.
 */
static gboolean append_record(QidlStreamWriter *w, guint8 kind,
                              const guint8 *body, gsize len, GError **error)
{
    gsize head = w->buf.len;

    if (!begin_record(w, len, error)) {
        return FALSE;
    }
    buf_u8(&w->buf, kind);
    buf_u32(&w->buf, (guint32)len);
    add_span(w, (Span) { SPAN_BUF, head, NULL, STREAM_RECORD_HEAD, TRUE,
                         FALSE });
    add_span(w, (Span) { SPAN_EXTERNAL, 0, (guint8 *)body, len, FALSE,
                         TRUE });
    return TRUE;
}

/* Preserved records placed after the device at @after (NULL: first). */
static gboolean append_extras(QidlStreamWriter *w, const char *after,
                              gboolean all, GError **error)
{
    for (guint i = 0; w->extras && i < w->extras->len; i++) {
        const QidlStreamExtra *e = g_ptr_array_index(w->extras, i);
        gsize len;
        const guint8 *data;

        if (w->extra_done[i] ||
            (!all && g_strcmp0(e->after, after) != 0)) {
            continue;
        }
        w->extra_done[i] = TRUE;
        data = g_bytes_get_data(e->data, &len);
        if (!append_record(w, e->kind, data ? data : (const guint8 *)"", len,
                           error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean header_text_ok(QidlStreamWriter *w, const char *what,
                               const char *s)
{
    if (!qidl_stream__text_ok(s, strlen(s), G_MAXUINT16)) {
        return fail(w, NULL, QIDL_ERROR_INVALID,
                    "%s is not UTF-8 of at most %u bytes", what,
                    G_MAXUINT16);
    }
    return TRUE;
}

typedef struct {
    QidlStreamWriter *w;
    gboolean ok;
} MetaWrite;

static gboolean write_entry(gpointer key, gpointer value, gpointer data)
{
    MetaWrite *m = data;

    if (!header_text_ok(m->w, "metadata key", key) ||
        !header_text_ok(m->w, "metadata value", value)) {
        m->ok = FALSE;
        return TRUE;
    }
    buf_str16(&m->w->buf, key, strlen(key));
    buf_str16(&m->w->buf, value, strlen(value));
    return FALSE;
}

/* The header, the metadata record and the records placed first. */
static void write_start(QidlStreamWriter *w, guint16 major, guint16 minor,
                        guint32 flags, const char *producer,
                        const char *producer_version, GTree *metadata)
{
    if (!header_text_ok(w, "producer", producer) ||
        !header_text_ok(w, "producer version", producer_version)) {
        return;
    }
    if (major != QIDL_STREAM_FORMAT_MAJOR) {
        fail(w, NULL, QIDL_ERROR_VERSION, "cannot write format %u.%u",
             major, minor);
        return;
    }
    buf_append(&w->buf, qidl_stream__magic, STREAM_MAGIC_LEN);
    buf_u16(&w->buf, major);
    buf_u16(&w->buf, minor);
    buf_u32(&w->buf, flags);
    buf_str16(&w->buf, producer, strlen(producer));
    buf_str16(&w->buf, producer_version, strlen(producer_version));
    buf_u32(&w->buf, qidl_crc32c__update(0, w->buf.data, w->buf.len));
    w->header_crc = qidl_crc32c__update(0, w->buf.data, w->buf.len);
    w->stream_len = w->buf.len;
    add_span(w, (Span) { SPAN_BUF, 0, NULL, w->buf.len, FALSE, FALSE });

    if (metadata && g_tree_nnodes(metadata) > 0) {
        MetaWrite m = { w, TRUE };
        gsize head = w->buf.len;
        gsize len;

        buf_u8(&w->buf, QIDL_STREAM_RECORD_METADATA);
        buf_u32(&w->buf, 0);
        buf_u32(&w->buf, (guint32)g_tree_nnodes(metadata));
        g_tree_foreach(metadata, write_entry, &m);
        len = w->buf.len - head - STREAM_RECORD_HEAD;
        if (!m.ok || !begin_record(w, len, NULL)) {
            return;
        }
        set_u32(w->buf.data + head + 1, (guint32)len);
        add_span(w, (Span) { SPAN_BUF, head, NULL, w->buf.len - head, TRUE,
                             TRUE });
    }
    append_extras(w, NULL, FALSE, NULL);
}

static gboolean writer_start_struct(QidlVisitor *v, const char *name,
                                    GError **error);
static gboolean writer_end_struct(QidlVisitor *v, GError **error);
static gboolean writer_start_list(QidlVisitor *v, const char *name,
                                  QidlListKind kind, guint32 *count,
                                  gsize elem_size, GError **error);
static gboolean writer_end_list(QidlVisitor *v, GError **error);
static gboolean writer_scalar(QidlVisitor *v, const char *name,
                              QidlKind kind, void *obj, GError **error);
static gboolean writer_scalar_array(QidlVisitor *v, const char *name,
                                    QidlKind kind, QidlListKind list_kind,
                                    guint32 count, void *array,
                                    GError **error);
static gboolean writer_scalar_fields(QidlVisitor *v,
                                     const QidlScalarField *fields,
                                     const QidlFieldCheck *checks,
                                     guint n_fields, void *base,
                                     GError **error);
static gboolean writer_string(QidlVisitor *v, const char *name, char **obj,
                              GError **error);
static gboolean writer_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                             gsize len, GError **error);
static gboolean writer_optional(QidlVisitor *v, const char *name,
                                QidlPresence how, bool *present,
                                GError **error);
static void writer_free_visitor(QidlVisitor *v);

static void extra_free(gpointer p)
{
    QidlStreamExtra *e = p;

    g_free(e->after);
    g_bytes_unref(e->data);
    g_free(e);
}

/* Takes @extras (nullable). */
static QidlStreamWriter *writer_new(GByteArray *out, guint16 major,
                                    guint16 minor, guint32 header_flags,
                                    const char *producer,
                                    const char *producer_version,
                                    GTree *metadata, GPtrArray *extras,
                                    QidlStreamWriteFlags flags)
{
    QidlStreamWriter *w = g_malloc(sizeof(*w));
    QidlVisitor *v = &w->v.parent;

    /* The frames and the core's path stack are written before they are
     * read: clear the rest (a few KiB less to clear per stream). */
    memset(w, 0, offsetof(QidlStreamWriter, frames));
    memset(&w->v, 0, offsetof(QidlVisitor, segments));
    w->out = out;
    w->flags = flags;
    w->names.name8 = TRUE;
    if (extras && extras->len > 0) {
        w->extras = extras;
        w->extra_done = g_new0(gboolean, extras->len);
    } else if (extras) {
        g_ptr_array_unref(extras);
    }
    w->v.w = w;
    v->start_struct = writer_start_struct;
    v->end_struct = writer_end_struct;
    v->start_list = writer_start_list;
    v->end_list = writer_end_list;
    v->scalar = writer_scalar;
    v->scalar_array = writer_scalar_array;
    v->scalar_fields = writer_scalar_fields;
    v->scalar_fields_checks_tables = TRUE;
    v->string = writer_string;
    v->bytes = writer_bytes;
    v->optional = writer_optional;
    v->free = writer_free_visitor;
    qidl_visitor__init(v, QIDL_VISITOR_OUTPUT);
    write_start(w, major, minor, header_flags, producer, producer_version,
                metadata);
    w->start_buf = w->buf.len;
    w->start_spans = w->n_spans;
    w->start_len = w->stream_len;
    w->start_records = w->n_records;
    w->start_failed = w->sticky != NULL;
    return w;
}

QidlStreamWriter *qidl_stream_writer_new_full(GByteArray *out,
                                              const QidlStreamInfo *info,
                                              QidlStreamWriteFlags flags)
{
    GPtrArray *extras;

    g_return_val_if_fail(out != NULL, NULL);
    g_return_val_if_fail(info != NULL, NULL);

    /* What the writer keeps of @info: the records to preserve. */
    extras = g_ptr_array_new_with_free_func(extra_free);
    for (guint i = 0; i < info->extras->len; i++) {
        const QidlStreamExtra *e = g_ptr_array_index(info->extras, i);
        QidlStreamExtra *c = g_new0(QidlStreamExtra, 1);

        c->kind = e->kind;
        c->after = g_strdup(e->after);
        c->data = g_bytes_ref(e->data);
        g_ptr_array_add(extras, c);
    }
    return writer_new(out, info->major, info->minor, info->flags,
                      info->producer, info->producer_version, info->metadata,
                      extras, flags);
}

QidlStreamWriter *qidl_stream_writer_new(GByteArray *out,
                                         const char *producer,
                                         const char *producer_version,
                                         QidlStreamWriteFlags flags)
{
    g_return_val_if_fail(out != NULL, NULL);
    g_return_val_if_fail(producer != NULL, NULL);
    g_return_val_if_fail(producer_version != NULL, NULL);

    return writer_new(out, QIDL_STREAM_FORMAT_MAJOR, QIDL_STREAM_FORMAT_MINOR,
                      0, producer, producer_version, NULL, NULL, flags);
}

void qidl_stream_writer_reset(QidlStreamWriter *w, GByteArray *out)
{
    g_return_if_fail(w != NULL);
    g_return_if_fail(out != NULL);

    w->out = out;
    w->finished = FALSE;
    w->in_device = FALSE;
    if (!w->shifts) {
        w->shifts = g_new0(QidlCrcShiftCache, 1);
    }
    if (!w->start_failed) {
        g_clear_error(&w->sticky);
    }
    w->buf.len = w->start_buf;
    w->n_spans = w->start_spans;
    w->stream_len = w->start_len;
    w->n_records = w->start_records;
    for (guint i = 0; w->extras && i < w->extras->len; i++) {
        const QidlStreamExtra *e = g_ptr_array_index(w->extras, i);

        /* write_start() placed those without an "after". */
        w->extra_done[i] = e->after == NULL;
    }
    big_empty(&w->big);
    /* The last stream's names stay, to be defined again in their order
     * (@n_defined); so do the caches of their indices. */
    w->n_defined = 0;
    w->dev_defined = 0;
    /* @used may keep its marks: serials are never reused, and those of
     * the last streams are no struct's of this one. */
    w->old_marks = w->next_serial;
    w->n_undo = 0;
    w->n_frames = 0;
}

void qidl_stream_writer_free(QidlStreamWriter *w)
{
    if (!w) {
        return;
    }
    if (w->extras) {
        g_ptr_array_unref(w->extras);
    }
    g_free(w->extra_done);
    g_free(w->buf.data);
    big_free(w->big);
    g_free(w->spans);
    strset_clear(&w->names);
    strset_clear(&w->devices);
    g_free(w->used);
    g_free(w->undo);
    qidl_stream__fields_clear(&w->tables);
    g_free(w->shifts);
    if (w->sticky) {
        g_error_free(w->sticky);
    }
    g_free(w);
}

/* ---- the output visitor ---- */

/*
 * Drops the names past this stream's (left by the last stream), and the
 * run tables' cache, which may hold their indices.  The names' cache by
 * address checks an entry's index against the table's size and bytes.
 */
static G_NO_INLINE void names_truncate(QidlStreamWriter *w)
{
    if (w->n_defined >= w->names.n) {
        return;
    }
    strset_truncate(&w->names, w->n_defined);
    qidl_stream__fields_empty(&w->tables);
    w->n_truncated++;
}

/*
 * strset_add_str() of an instance path or a top-level name (@ns) into
 * @devices, where a reset writer keeps the last stream's (@dev_defined,
 * as @n_defined for names): the next of them, if it is @s, is taken by
 * counting it; else they are dropped and @s goes the usual way.
 */
static guint32 devices_add(QidlStreamWriter *w, guint8 ns, const char *s,
                           gsize len, gboolean *present)
{
    StrSet *t = &w->devices;
    guint32 idx;

    if (w->dev_defined < t->n) {
        const StrEntry *e = &t->entries[w->dev_defined];

        if (e->ns == ns && e->len == len &&
            memcmp(t->bytes.data + e->off, s, len) == 0) {
            /* Not one of this stream's before it: they are the last
             * stream's, which had it once. */
            *present = FALSE;
            return w->dev_defined++;
        }
        strset_truncate(t, w->dev_defined);
    }
    idx = strset_add_str(t, ns, s, len, present);
    w->dev_defined = t->n;
    return idx;
}

/*
 * Whether name @idx of the table may be used now, defining it if it is
 * the next of the last stream's names: TRUE if this stream defined it
 * already, or now.
 */
static inline gboolean name_defined(QidlStreamWriter *w, guint32 idx)
{
    if (G_LIKELY(idx < w->n_defined)) {
        return TRUE;
    }
    if (idx == w->n_defined && idx < w->names.n) {
        w->n_defined++;
        return TRUE;
    }
    return FALSE;
}

static gboolean name_ref_len(QidlVisitor *v, const char *name, gsize len,
                             guint16 *out, GError **error);

/*
 * name_ref_len() while the last stream's names are left past this
 * stream's: @name is found there and defined (name_defined()), or the
 * streams part.
 */
static G_NO_INLINE gboolean name_ref_replay(QidlVisitor *v, const char *name,
                                            gsize len, guint16 *out,
                                            GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    const StrEntry *next = &w->names.entries[w->n_defined];

    /* Most often the next of the last stream's names (a device's
     * top-level name, new in every record of a big stream): one
     * comparison.  The table's names are distinct, so it is not one of
     * those defined before. */
    if (next->len == len &&
        memcmp(w->names.bytes.data + next->off, name, len) == 0) {
        *out = (guint16)w->n_defined++;
        return TRUE;
    }
    if (len > 0 && len <= QIDL_LIMIT_NAME_LEN) {
        guint32 free_slot;
        gint64 idx = strset_find(&w->names, 0, name, len,
                                 name_hash(name, len), &free_slot);

        if (idx >= 0 && name_defined(w, (guint32)idx)) {
            *out = (guint16)idx;
            return TRUE;
        }
    }
    names_truncate(w);
    return name_ref_len(v, name, len, out, error);
}

/* Room in @used for every name of the table. */
static inline void used_fit(QidlStreamWriter *w)
{
    if (G_UNLIKELY(w->names.n > w->used_cap)) {
        guint32 cap = MAX(w->used_cap * 2, STRSET_FIRST_CAP);

        cap = MAX(cap, w->names.n);
        w->used = g_renew(guint64, w->used, cap);
        memset(w->used + w->used_cap, 0,
               (cap - w->used_cap) * sizeof(guint64));
        w->used_cap = cap;
    }
}

/*
 * Looks up the @len bytes at @name (hash @hash) in the name table, which
 * has slots: the slot that holds it, or the empty one where the look-up
 * stopped.  The comparisons read @name, not its copy in the table's spare
 * room (a wide load of narrower recent stores waits for them).
 */
static inline G_ALWAYS_INLINE guint32 names_probe(const StrSet *t,
                                                  const char *name,
                                                  gsize len, guint32 hash)
{
    guint32 i;

    for (i = hash & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
        const StrEntry *e = &t->entries[t->slots[i] - 1];

        if (e->hash == hash && e->len == len &&
            same_words(t->bytes.data + e->off, name, len)) {
            break;
        }
    }
    return i;
}

/*
 * The stream-wide index of @name, defining it if this is its first use.
 * Most names of a stream are used once, so this is mostly a definition.
 * @name is read a word at a time for the hash, and copied in passing to
 * the name table's spare room, where a new name stays; names_probe()
 * compares with @name.
 */
static gboolean name_ref_len(QidlVisitor *v, const char *name, gsize len,
                             guint16 *out, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    StrSet *t = &w->names;
    guint64 any = 0;
    guint32 hash, free_slot = NO_SLOT;
    gsize off;
    guint8 *dst;

    if (G_UNLIKELY(w->n_defined != t->n)) {
        return name_ref_replay(v, name, len, out, error);
    }
    if (len == 0 || len > QIDL_LIMIT_NAME_LEN) {
        goto invalid;
    }
    if (name[0] == '$') {
        /* Reserved for the typed JSON form's own members. */
        return vfail(v, error, QIDL_ERROR_INVALID,
                     "a field name must not start with '$'");
    }
    /* The length byte, then the name. */
    dst = buf_room(&t->bytes, len + 1);
    off = t->bytes.len + 1;
    hash = hash_words(0, name, len, dst + 1, &any);
    if (t->slots) {
        free_slot = names_probe(t, name, len, hash);
        if (t->slots[free_slot]) {
            *out = (guint16)(t->slots[free_slot] - 1);
            return TRUE;
        }
    }
    if ((any & 0x8080808080808080u) &&
        !qidl_stream__text_ok(name, len, QIDL_LIMIT_NAME_LEN)) {
        goto invalid;
    }
    if (t->n >= QIDL_LIMIT_STREAM_NAMES) {
        return vfail(v, error, QIDL_ERROR_LIMIT,
                     "more than %u distinct field names in one stream",
                     QIDL_LIMIT_STREAM_NAMES);
    }
    dst[0] = (guint8)len;
    *out = (guint16)strset_commit(t, 0, off, len, hash, free_slot);
    w->n_defined = t->n;
    used_fit(w);
    return TRUE;

invalid:
    return vfail(v, error, QIDL_ERROR_INVALID,
                 "a field name must be 1 to %u bytes of UTF-8",
                 QIDL_LIMIT_NAME_LEN);
}

/*
 * The slot of the name at @name: every bit of the address counts, since
 * the compiler packs short string literals a few bytes apart ("isr", "tmr"
 * and "irr" in one 8-byte word).
 */
static inline guint name_cache_slot(const char *name)
{
    guint64 p = (guint64)(guintptr)name * 0x9e3779b97f4a7c15u;

    return (guint)(p >> (64 - NAME_CACHE_BITS));
}

/* name_ref_len() of a NUL-terminated name, remembered by its address. */
static gboolean name_ref(QidlVisitor *v, const char *name, guint16 *out,
                         GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    const StrSet *t = &w->names;
    guint slot = name_cache_slot(name);
    guint32 idx = w->name_cache[slot].idx;

    /* The table may have lost the entry (names_truncate()). */
    if (w->name_cache[slot].name == name && idx < t->n) {
        const StrEntry *e = &t->entries[idx];
        const char *known = (const char *)t->bytes.data + e->off;

        /* Stops at the first difference: never reads past @name (a
         * table's name holds no NUL). */
        if (strncmp(name, known, e->len) == 0 && name[e->len] == '\0' &&
            name_defined(w, idx)) {
            *out = (guint16)idx;
            return TRUE;
        }
    }
    if (!name_ref_len(v, name, strlen(name), out, error)) {
        return FALSE;
    }
    w->name_cache[slot].name = name;
    w->name_cache[slot].idx = *out;
    return TRUE;
}

/*
 * The names of the table @fields, met for the first time in this stream,
 * into @out: each found, or defined as name_ref_len() would, in the
 * table's order, as the fields' visits would define them.  In one pass,
 * with the room for all of them made first: most names of a stream are
 * defined here, once each.  FALSE, with the names before it defined, at
 * the first name that is not simple (invalid, past a limit), or if the
 * last stream's names are being replayed: the fields' own visits then
 * take it from there and report what is wrong.
 */
static gboolean names_learn(QidlStreamWriter *w, const QidlScalarField *fields,
                            guint n_fields, guint16 *out)
{
    StrSet *t = &w->names;
    gsize total = 0;
    guint8 *dst;

    if (w->n_defined != t->n ||
        t->n + n_fields > QIDL_LIMIT_STREAM_NAMES) {
        return FALSE;
    }
    for (guint i = 0; i < n_fields; i++) {
        total += fields[i].name_len + 1;
    }
    strset_reserve_n(t, n_fields);
    dst = buf_room(&t->bytes, total);
    for (guint i = 0; i < n_fields; i++) {
        const char *name = fields[i].name;
        gsize len = fields[i].name_len;
        guint64 any = 0;
        guint32 hash, slot;

        if (len == 0 || len > QIDL_LIMIT_NAME_LEN || name[0] == '$' ||
            name[len] != '\0') {
            goto out;
        }
        hash = hash_words(0, name, len, dst + 1, &any);
        slot = names_probe(t, name, len, hash);
        if (t->slots[slot]) {
            /* Defined by an earlier table of the stream. */
            out[i] = (guint16)(t->slots[slot] - 1);
            continue;
        }
        if ((any & 0x8080808080808080u) &&
            !qidl_stream__text_ok(name, len, QIDL_LIMIT_NAME_LEN)) {
            goto out;
        }
        dst[0] = (guint8)len;
        /* The room was made above: @slot stays free. */
        out[i] = (guint16)strset_put(t, 0, (gsize)(dst + 1 - t->bytes.data),
                                     len, hash, slot);
        dst += len + 1;
    }
    w->n_defined = t->n;
    used_fit(w);
    return TRUE;

out:
    w->n_defined = t->n;
    used_fit(w);
    return FALSE;
}

/*
 * Writes what precedes a value's body: its name index (in a struct and at
 * the top) and its tag.  Elements of a list get a tag too until end_list
 * knows whether the list is packed.
 */
static gboolean begin_value(QidlVisitor *v, const char *name, QidlKind tag,
                            GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    guint16 idx;

    if (G_UNLIKELY(w->n_frames == 0)) {
        if (w->top_started) {
            return vfail(v, error, QIDL_ERROR_UNSUPPORTED,
                         "a device record holds one top-level value");
        }
        if (tag != QIDL_KIND_STRUCT) {
            return vfail(v, error, QIDL_ERROR_UNSUPPORTED,
                         "the top-level value of a device must be a "
                         "struct, not %s", qidl_kind_name(tag));
        }
        if (!name) {
            return vfail(v, error, QIDL_ERROR_UNSUPPORTED,
                         "the top-level value of a device needs a name");
        }
        gboolean present;

        devices_add(w, NS_TOP, name, strlen(name), &present);
        if (present) {
            return vfail(v, error, QIDL_ERROR_INVALID,
                         "another device of the stream is named %s", name);
        }
        /* Not through the cache by address: a device's name is used
         * once per stream, and a stream of many devices would push the
         * fields' names out of it. */
        if (!name_ref_len(v, name, strlen(name), &idx, error)) {
            return FALSE;
        }
        w->top_started = TRUE;
        buf_u16(&w->buf, idx);
    } else {
        WriteFrame *f = &w->frames[w->n_frames - 1];

        if (f->kind == QIDL_KIND_STRUCT) {
            guint64 *slot;

            if (G_UNLIKELY(!name)) {
                return vfail(v, error, QIDL_ERROR_INVALID,
                             "a struct field needs a name");
            }
            if (!name_ref(v, name, &idx, error)) {
                return FALSE;
            }
            slot = &w->used[idx];
            if (*slot == f->serial + 1) {
                return vfail(v, error, QIDL_ERROR_INVALID,
                             "field visited twice in one struct");
            }
            if (*slot > w->old_marks) {
                if (w->n_undo == w->undo_cap) {
                    w->undo_cap = MAX(w->undo_cap * 2, 64);
                    w->undo = g_renew(UsedUndo, w->undo, w->undo_cap);
                }
                w->undo[w->n_undo++] = (UsedUndo) { idx, *slot };
            }
            *slot = f->serial + 1;
            buf_u16(&w->buf, idx);
        } else if (f->n == 0) {
            f->elem_kind = tag;
            f->uniform = kind_is_scalar(tag);
        } else if (tag != f->elem_kind) {
            f->uniform = FALSE;
        }
        f->n++;
    }
    buf_u8(&w->buf, (guint8)tag);
    return TRUE;
}

/* Puts back what the structs whose undo entries start at @start
 * overwrote in @used. */
static void undo_used(QidlStreamWriter *w, guint start)
{
    for (guint i = w->n_undo; i > start; i--) {
        const UsedUndo *u = &w->undo[i - 1];

        w->used[u->idx] = u->old;
    }
    w->n_undo = start;
}

static gboolean push_frame(QidlVisitor *v, QidlKind kind, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    WriteFrame *f;

    /* The core bounds the depth by the same limit. */
    g_return_val_if_fail(w->n_frames < QIDL_LIMIT_DEPTH, FALSE);
    f = &w->frames[w->n_frames++];
    *f = (WriteFrame) { .kind = kind, .start = w->buf.len };
    if (kind == QIDL_KIND_STRUCT) {
        f->serial = w->next_serial++;
        f->undo_start = w->n_undo;
    }
    return TRUE;
}

static gboolean writer_start_struct(QidlVisitor *v, const char *name,
                                    GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;

    if (w->sticky) {
        return TRUE;
    }
    if (!begin_value(v, name, QIDL_KIND_STRUCT, error) ||
        !push_frame(v, QIDL_KIND_STRUCT, error)) {
        return FALSE;
    }
    buf_u32(&w->buf, 0);   /* the field count, set at end_struct */
    return TRUE;
}

static gboolean writer_end_struct(QidlVisitor *v, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    WriteFrame *f;

    if (w->sticky) {
        return TRUE;
    }
    f = &w->frames[--w->n_frames];
    set_u32(w->buf.data + f->start, f->n);
    undo_used(w, f->undo_start);
    if (w->n_frames == 0) {
        w->top_done = TRUE;
    }
    return TRUE;
}

static gboolean writer_start_list(QidlVisitor *v, const char *name,
                                  QidlListKind kind, guint32 *count,
                                  gsize elem_size, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;

    if (w->sticky) {
        return TRUE;
    }
    if (!begin_value(v, name, QIDL_KIND_LIST, error) ||
        !push_frame(v, QIDL_KIND_LIST, error)) {
        return FALSE;
    }
    buf_u8(&w->buf, STREAM_LIST_TAGGED);
    buf_u32(&w->buf, *count);
    return TRUE;
}

/*
 * Packs a uniform list in place: each element is its tag and its value;
 * drop the tags and record the kind once.  Moving left in order never
 * overwrites an element not yet moved.
 */
static gboolean writer_end_list(QidlVisitor *v, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    WriteFrame *f;

    if (w->sticky) {
        return TRUE;
    }
    f = &w->frames[--w->n_frames];
    if (f->n > 0 && f->uniform) {
        gsize size = qidl_kind__scalar_size(f->elem_kind);
        guint8 *elems = w->buf.data + f->start + 5;

        w->buf.data[f->start] = (guint8)f->elem_kind;
        /* Constant sizes, so that each move is a load and a store. */
        switch (size) {
        case 1:
            for (guint32 i = 0; i < f->n; i++) {
                elems[i] = elems[2 * i + 1];
            }
            break;
        case 2:
            for (guint32 i = 0; i < f->n; i++) {
                memmove(elems + i * 2, elems + i * 3 + 1, 2);
            }
            break;
        case 4:
            for (guint32 i = 0; i < f->n; i++) {
                memmove(elems + i * 4, elems + i * 5 + 1, 4);
            }
            break;
        default:
            for (guint32 i = 0; i < f->n; i++) {
                memmove(elems + i * size, elems + i * (size + 1) + 1, size);
            }
            break;
        }
        w->buf.len = f->start + 5 + f->n * size;
    }
    return TRUE;
}

static gboolean writer_scalar(QidlVisitor *v, const char *name,
                              QidlKind kind, void *obj, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    Buf *p = &w->buf;

    if (w->sticky) {
        return TRUE;
    }
    if (!begin_value(v, name, kind, error)) {
        return FALSE;
    }
    switch (kind) {
    case QIDL_KIND_BOOL:
        buf_u8(p, *(bool *)obj ? 1 : 0);
        break;
    case QIDL_KIND_INT8:
    case QIDL_KIND_UINT8:
        buf_u8(p, *(guint8 *)obj);
        break;
    case QIDL_KIND_INT16:
    case QIDL_KIND_UINT16: {
        guint16 x;

        memcpy(&x, obj, sizeof(x));
        buf_u16(p, x);
        break;
    }
    case QIDL_KIND_INT32:
    case QIDL_KIND_UINT32:
    case QIDL_KIND_FLOAT: {
        guint32 x;

        memcpy(&x, obj, sizeof(x));
        buf_u32(p, x);
        break;
    }
    case QIDL_KIND_INT64:
    case QIDL_KIND_UINT64:
    case QIDL_KIND_DOUBLE: {
        guint64 x;

        memcpy(&x, obj, sizeof(x));
        buf_u64(p, x);
        break;
    }
    default:
        g_return_val_if_reached(FALSE);
    }
    return TRUE;
}

/*
 * Room for the @n-byte body of the value being written, at the end of the
 * device's state: in @buf, or for a big value in @big,
 * between the run of @buf before it and the one after it.
 */
static guint8 *value_room(QidlStreamWriter *w, gsize n)
{
    guint8 *p;

    if (n < BIG_VALUE) {
        p = buf_room(&w->buf, n);
        w->buf.len += n;
        return p;
    }
    if (w->buf.len > w->run_start) {
        add_span(w, (Span) { SPAN_BUF, w->run_start, NULL,
                             w->buf.len - w->run_start, FALSE, FALSE });
    }
    p = big_alloc(&w->big, n);
    add_span(w, (Span) { SPAN_BIG, 0, p, n, FALSE, FALSE });
    w->run_start = w->buf.len;
    return p;
}

/*
 * The @n-byte body of the value being written, exactly the bytes at
 * @src: borrowed if the writer may (QIDL_STREAM_WRITE_BORROW) and the
 * value is big, copied otherwise.
 */
static void value_put(QidlStreamWriter *w, const void *src, gsize n)
{
    if (n >= BIG_VALUE && (w->flags & QIDL_STREAM_WRITE_BORROW)) {
        if (w->buf.len > w->run_start) {
            add_span(w, (Span) { SPAN_BUF, w->run_start, NULL,
                                 w->buf.len - w->run_start, FALSE, FALSE });
        }
        add_span(w, (Span) { SPAN_EXTERNAL, 0, (guint8 *)src, n, FALSE,
                             FALSE });
        w->run_start = w->buf.len;
    } else if (n > 0) {
        memcpy(value_room(w, n), src, n);
    }
}

/*
 * A whole array at once, in the form end_list would have packed it into:
 * the element kind, the count and the values back to back (an empty list
 * is tagged, as the format's canonical form wants).
 */
static gboolean writer_scalar_array(QidlVisitor *v, const char *name,
                                    QidlKind kind, QidlListKind list_kind,
                                    guint32 count, void *array,
                                    GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    Buf *p = &w->buf;
    gsize size = qidl_kind__scalar_size(kind);
    guint8 *dst;

    if (w->sticky) {
        return TRUE;
    }
    if (!begin_value(v, name, QIDL_KIND_LIST, error)) {
        return FALSE;
    }
    buf_u8(p, count > 0 ? (guint8)kind : STREAM_LIST_TAGGED);
    buf_u32(p, count);
    if (G_BYTE_ORDER == G_LITTLE_ENDIAN && kind != QIDL_KIND_BOOL) {
        /* The C objects are the format's values. */
        value_put(w, array, (gsize)count * size);
        return TRUE;
    }
    dst = value_room(w, (gsize)count * size);
    if (kind == QIDL_KIND_BOOL) {
        const bool *src = array;

        for (guint32 i = 0; i < count; i++) {
            dst[i] = src[i] ? 1 : 0;
        }
    } else {
        put_le_array(dst, array, count, size);
    }
    return TRUE;
}

/*
 * Writes field @f of the object at @base as begin_value() and
 * writer_scalar() would, its name index @idx first, at @p; returns the
 * end.
 */
static inline guint8 *put_field(guint8 *p, guint16 idx,
                                const QidlScalarField *f, const void *base)
{
    const guint8 *obj = (const guint8 *)base + f->offset;

    p[0] = idx & 0xff;
    p[1] = idx >> 8;
    p[2] = f->kind;
    switch (f->kind) {
    case QIDL_KIND_BOOL:
        p[3] = *(const bool *)obj ? 1 : 0;
        return p + 4;
    case QIDL_KIND_INT8:
    case QIDL_KIND_UINT8:
        p[3] = obj[0];
        return p + 4;
    case QIDL_KIND_INT16:
    case QIDL_KIND_UINT16: {
        guint16 x;

        memcpy(&x, obj, 2);
        x = GUINT16_TO_LE(x);
        memcpy(p + 3, &x, 2);
        return p + 5;
    }
    case QIDL_KIND_INT32:
    case QIDL_KIND_UINT32:
    case QIDL_KIND_FLOAT: {
        guint32 x;

        memcpy(&x, obj, 4);
        x = GUINT32_TO_LE(x);
        memcpy(p + 3, &x, 4);
        return p + 7;
    }
    default: {
        /* int64, uint64, double: the core checked the kinds. */
        guint64 x;

        memcpy(&x, obj, 8);
        x = GUINT64_TO_LE(x);
        memcpy(p + 3, &x, 8);
        return p + 11;
    }
    }
}

/*
 * A run of fields of the struct being written, each as begin_value() and
 * writer_scalar() write it: name index, tag, value.  The indices of a
 * table seen before in this stream come from @tables; the first
 * time, each name goes through name_ref() (defining it if new) with the
 * field's segment pushed, so that its errors name the field.  A field
 * visited twice in the struct fails as begin_value() fails.
 */
static gboolean writer_scalar_fields(QidlVisitor *v,
                                     const QidlScalarField *fields,
                                     const QidlFieldCheck *checks,
                                     guint n_fields, void *base,
                                     GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    const guint16 *known;
    guint16 *learn = NULL;
    guint32 truncated;
    WriteFrame *f;
    guint64 mark;
    guint8 *p;

    if (w->sticky) {
        return TRUE;
    }
    /* The core calls this inside a struct, which has a frame. */
    g_return_val_if_fail(w->n_frames > 0, FALSE);
    f = &w->frames[w->n_frames - 1];
    g_return_val_if_fail(f->kind == QIDL_KIND_STRUCT, FALSE);

    known = qidl_stream__fields_find(&w->tables, fields, n_fields);
    if (!known) {
        /* Checked once, here (scalar_fields_checks_tables). */
        if (!qidl_visitor__fields_valid(fields, checks, n_fields)) {
            return FALSE;
        }
        learn = qidl_stream__fields_room(&w->tables, n_fields);
        if (names_learn(w, fields, n_fields, learn)) {
            known = learn;
        }
    }
    truncated = w->n_truncated;
    if (G_UNLIKELY(w->undo_cap - w->n_undo < n_fields)) {
        w->undo_cap = MAX(w->undo_cap * 2, MAX(w->n_undo + n_fields, 64));
        w->undo = g_renew(UsedUndo, w->undo, w->undo_cap);
    }
    /* At most a name index, a tag and 8 bytes per field. */
    p = buf_room(&w->buf, (gsize)n_fields * 11);
    mark = f->serial + 1;
    for (guint i = 0; i < n_fields; i++) {
        const QidlScalarField *fld = &fields[i];
        guint64 *slot;
        guint16 idx;

        /* A known table's names were defined in this stream, or are
         * the next of the last stream's; if not, the rest of it goes
         * the long way. */
        if (known && G_LIKELY(name_defined(w, known[i]))) {
            idx = known[i];
        } else {
            known = NULL;
            g_return_val_if_fail(fld->name[fld->name_len] == '\0', FALSE);
            qidl_visitor__push_field(v, fld);
            if (!name_ref_len(v, fld->name, fld->name_len, &idx, error)) {
                return FALSE;
            }
            qidl_visitor__pop_field(v);
            if (learn) {
                learn[i] = idx;
            }
        }
        /* name_ref_len() may have grown @used. */
        slot = &w->used[idx];
        if (G_UNLIKELY(*slot == mark)) {
            qidl_visitor__push_field(v, fld);
            return vfail(v, error, QIDL_ERROR_INVALID,
                         "field visited twice in one struct");
        }
        if (*slot > w->old_marks) {
            w->undo[w->n_undo++] = (UsedUndo) { idx, *slot };
        }
        *slot = mark;
        p = put_field(p, idx, fld, base);
    }
    w->buf.len = (gsize)(p - w->buf.data);
    f->n += n_fields;
    /* Not if names_truncate() emptied the cache the room was in. */
    if (learn && truncated == w->n_truncated) {
        qidl_stream__fields_add(&w->tables, fields, n_fields);
    }
    return TRUE;
}

static gboolean writer_string(QidlVisitor *v, const char *name, char **obj,
                              GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;
    gsize len;

    if (w->sticky) {
        return TRUE;
    }
    len = strlen(*obj);
    if (len > QIDL_LIMIT_STRING_LEN) {
        return vfail(v, error, QIDL_ERROR_LIMIT,
                     "string longer than %u bytes", QIDL_LIMIT_STRING_LEN);
    }
    if (!g_utf8_validate(*obj, (gssize)len, NULL)) {
        return vfail(v, error, QIDL_ERROR_INVALID,
                     "string is not valid UTF-8 (use bytes for binary "
                     "data)");
    }
    if (!begin_value(v, name, QIDL_KIND_STRING, error)) {
        return FALSE;
    }
    buf_u32(&w->buf, (guint32)len);
    value_put(w, *obj, len);
    return TRUE;
}

static gboolean writer_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                             gsize len, GError **error)
{
    QidlStreamWriter *w = to_wv(v)->w;

    if (w->sticky) {
        return TRUE;
    }
    if (len > QIDL_LIMIT_LIST_LEN) {
        return vfail(v, error, QIDL_ERROR_LIMIT,
                     "%" G_GSIZE_FORMAT " bytes exceed the limit of %u",
                     len, QIDL_LIMIT_LIST_LEN);
    }
    if (!begin_value(v, name, QIDL_KIND_BYTES, error)) {
        return FALSE;
    }
    buf_u32(&w->buf, (guint32)len);
    value_put(w, buf, len);
    return TRUE;
}

/* Presence is the field being there; nothing to write. */
static gboolean writer_optional(QidlVisitor *v, const char *name,
                                QidlPresence how, bool *present,
                                GError **error)
{
    return TRUE;
}

/* The visitor lives in the writer; qidl_visitor_free() must not be called
 * on it (stream.h). */
static void writer_free_visitor(QidlVisitor *v)
{
    g_return_if_reached();
}

QidlVisitor *qidl_stream_writer_begin_device(QidlStreamWriter *w,
                                             const char *type_name,
                                             const char *instance_path,
                                             guint32 version)
{
    gsize tlen, plen;
    gboolean present;

    g_return_val_if_fail(w != NULL, NULL);
    g_return_val_if_fail(type_name != NULL, NULL);
    g_return_val_if_fail(instance_path != NULL, NULL);
    g_return_val_if_fail(!w->in_device && !w->finished, NULL);

    qidl_visitor__init(&w->v.parent, QIDL_VISITOR_OUTPUT);
    w->in_device = TRUE;
    undo_used(w, 0);
    w->first_new = w->n_defined;
    w->top_started = FALSE;
    w->top_done = FALSE;
    w->n_frames = 0;

    /*
     * The record's head: kind, body length, type name, instance path,
     * version and the count of the names it defines, the length and the
     * count set by end_device().  Messages take the device's names from
     * here.  The names follow in a span of their own, then the state.
     */
    tlen = strlen(type_name);
    plen = strlen(instance_path);
    w->dev_head = w->buf.len;
    buf_u8(&w->buf, QIDL_STREAM_RECORD_DEVICE);
    buf_u32(&w->buf, 0);
    w->dev_type = w->buf.len;
    buf_str16(&w->buf, type_name, MIN(tlen, G_MAXUINT16));
    w->dev_path = w->buf.len;
    buf_str16(&w->buf, instance_path, MIN(plen, G_MAXUINT16));
    buf_u32(&w->buf, version);
    buf_u16(&w->buf, 0);
    w->run_start = w->buf.len;

    if (w->sticky) {
        return &w->v.parent;
    }
    if (!type_name[0] || !instance_path[0] ||
        !qidl_stream__text_ok_fast(type_name, tlen, G_MAXUINT16) ||
        !qidl_stream__text_ok_fast(instance_path, plen, G_MAXUINT16)) {
        fail(w, NULL, QIDL_ERROR_INVALID,
             "device %s (%s): type name and instance path must be 1 to %u "
             "bytes of UTF-8", instance_path, type_name, G_MAXUINT16);
        return &w->v.parent;
    }
    /* Recorded now: a writer that fails is done anyway. */
    w->dev_path_idx = devices_add(w, NS_PATH, instance_path, plen,
                                  &present);
    if (present) {
        fail(w, NULL, QIDL_ERROR_INVALID,
             "device %s (%s): instance path already written", instance_path,
             type_name);
        return &w->v.parent;
    }
    add_span(w, (Span) { SPAN_BUF, w->dev_head, NULL,
                         w->run_start - w->dev_head, TRUE, FALSE });
    w->names_span = w->n_spans;
    add_span(w, (Span) { SPAN_NAMES, 0, NULL, 0, FALSE, FALSE });
    return &w->v.parent;
}

gboolean qidl_stream_writer_end_device(QidlStreamWriter *w, GError **error)
{
    gsize len = 0;
    Span *names;
    guint8 *count;

    g_return_val_if_fail(w != NULL, FALSE);
    g_return_val_if_fail(w->in_device, FALSE);

    w->in_device = FALSE;
    if (w->sticky) {
        return report_sticky(w, error);
    }
    if (!w->top_done || qidl_visitor_get_depth(&w->v.parent) != 0) {
        g_autofree char *type = dev_str(w, w->dev_type);
        g_autofree char *ipath = dev_str(w, w->dev_path);

        return fail(w, error, QIDL_ERROR_INVALID,
                    "device %s (%s): the visit of its state did not "
                    "complete", ipath, type);
    }

    /* The names it defined: the end of the name table's bytes. */
    names = &w->spans[w->names_span];
    if (w->first_new < w->n_defined) {
        const StrEntry *last = &w->names.entries[w->n_defined - 1];

        names->off = w->names.entries[w->first_new].off - 1;
        names->len = last->off + last->len - names->off;
    }
    if (w->buf.len > w->run_start) {
        add_span(w, (Span) { SPAN_BUF, w->run_start, NULL,
                             w->buf.len - w->run_start, FALSE, FALSE });
    }
    /* The state is not empty: its last span is after the names'. */
    w->spans[w->n_spans - 1].record_end = TRUE;
    for (guint i = w->names_span - 1; i < w->n_spans; i++) {
        len += w->spans[i].len;
    }
    len -= STREAM_RECORD_HEAD;
    if (!begin_record(w, len, error)) {
        return FALSE;
    }
    set_u32(w->buf.data + w->dev_head + 1, (guint32)len);
    /* The head's last field, before the names. */
    count = w->buf.data + w->dev_head + w->spans[w->names_span - 1].len - 2;
    count[0] = (guint8)(w->n_defined - w->first_new);
    count[1] = (guint8)((w->n_defined - w->first_new) >> 8);
    return append_extras(w, strset_str(&w->devices, w->dev_path_idx), FALSE,
                         error);
}

/*
 * Pieces at least this long are copied and checksummed in one pass;
 * shorter ones are copied, and their CRC-32C computed on the copy, in one
 * call for each run of them: a call per small piece would cost more than
 * reading the run again from the cache.
 */
#define SUM_WHILE_COPYING 1024

/*
 * Copies the plain stream, @len bytes, to @dst: the pieces in order, each
 * record followed by its CRC-32C, then the end record.  Big pieces are
 * checksummed as they are copied (in the same pass where the CPU allows
 * it), runs of small ones just after; the stream's CRC is combined from
 * the records'.
 */
static void assemble(QidlStreamWriter *w, guint8 *dst, gsize len)
{
    guint8 *end = dst + len;
    guint32 stream_crc = w->header_crc;
    guint32 crc = 0;
    gsize rec_len = 0;
    guint8 *unsummed = NULL;   /* first byte copied without its CRC */

    for (guint i = 0; i < w->n_spans; i++) {
        const Span *s = &w->spans[i];
        const guint8 *src = s->source == SPAN_BUF ? w->buf.data + s->off :
                            s->source == SPAN_NAMES ?
                            w->names.bytes.data + s->off : s->ext;

        if (s->record_start) {
            unsummed = dst;
            crc = 0;
            rec_len = 0;
        }
        if (!unsummed) {
            /* The header, which holds its own CRC. */
            memcpy(dst, src, s->len);
            dst += s->len;
            continue;
        }
        if (s->len >= SUM_WHILE_COPYING) {
            /* A big value: the CRC of the small pieces before it, which
             * are in the cache, then its copy and CRC in one pass. */
            crc = qidl_crc32c__update(crc, unsummed, (gsize)(dst - unsummed));
            crc = qidl_crc32c__copy(crc, dst, src, s->len);
            dst += s->len;
            unsummed = dst;
        } else {
            memcpy(dst, src, s->len);
            dst += s->len;
        }
        rec_len += s->len;
        if (s->record_end) {
            /* The small pieces in one call, which can take the wide
             * path, rather than one call each. */
            crc = qidl_crc32c__update(crc, unsummed, (gsize)(dst - unsummed));
            set_u32(dst, crc);
            /* The stream's checksum without a second pass: the record
             * followed by its checksum. */
            stream_crc = w->shifts ?
                qidl_crc32c__combine_cached(
                    w->shifts, stream_crc, QIDL_CRC32C_RESIDUE,
                    (guint32)(rec_len + STREAM_RECORD_TAIL)) :
                qidl_crc32c__combine(stream_crc, QIDL_CRC32C_RESIDUE,
                                     rec_len + STREAM_RECORD_TAIL);
            dst += STREAM_RECORD_TAIL;
            unsummed = NULL;
        }
    }
    /* The end record: the record count and the stream's checksum. */
    dst[0] = QIDL_STREAM_RECORD_END;
    set_u32(dst + 1, 8);
    set_u32(dst + 5, w->n_records);
    set_u32(dst + 9, stream_crc);
    set_u32(dst + 13, qidl_crc32c__update(0, dst, 13));
    g_assert(dst + 17 == end);
}

static gboolean compress_into(QidlStreamWriter *w, const guint8 *plain,
                              gsize len, GError **error)
{
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    gsize bound = ZSTD_compressBound(len);
    guint start = w->out->len;
    size_t n;

    if (!cctx) {
        return fail(w, error, QIDL_ERROR_IO, "zstd: cannot allocate");
    }
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, STREAM_ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    g_byte_array_set_size(w->out, (guint)(start + STREAM_MAGIC_LEN + bound));
    memcpy(w->out->data + start, qidl_stream__zmagic, STREAM_MAGIC_LEN);
    n = ZSTD_compress2(cctx, w->out->data + start + STREAM_MAGIC_LEN, bound,
                       plain, len);
    ZSTD_freeCCtx(cctx);
    if (ZSTD_isError(n)) {
        g_byte_array_set_size(w->out, start);
        return fail(w, error, QIDL_ERROR_IO, "zstd: %s",
                    ZSTD_getErrorName(n));
    }
    g_byte_array_set_size(w->out, (guint)(start + STREAM_MAGIC_LEN + n));
    return TRUE;
}

gboolean qidl_stream_writer_finish(QidlStreamWriter *w, GError **error)
{
    gsize len;

    g_return_val_if_fail(w != NULL, FALSE);
    g_return_val_if_fail(!w->in_device && !w->finished, FALSE);

    w->finished = TRUE;
    if (w->sticky) {
        return report_sticky(w, error);
    }
    if (!append_extras(w, NULL, TRUE, error)) {
        return FALSE;
    }
    /* Every record left room for the end record (begin_record()). */
    len = w->stream_len + STREAM_RECORD_HEAD + 8 + STREAM_RECORD_TAIL;
    if (w->flags & QIDL_STREAM_WRITE_ZSTD) {
        g_autofree guint8 *plain = g_malloc(len);

        assemble(w, plain, len);
        return compress_into(w, plain, len, error);
    }
    g_byte_array_set_size(w->out, (guint)(w->out->len + len));
    assemble(w, w->out->data + w->out->len - len, len);
    return TRUE;
}

gboolean qidl_stream_write_tree(QidlTree *tree, const QidlStreamInfo *info,
                                QidlStreamWriteFlags flags, GByteArray *out,
                                GError **error)
{
    g_autoptr(QidlStreamWriter) w = NULL;
    QidlNode *root;

    g_return_val_if_fail(tree != NULL, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);

    root = qidl_tree_get_root(tree);
    for (QidlNode *n = qidl_node_get_first_child(root); n;
         n = qidl_node_get_next(n)) {
        if (!qidl_node_is_device(n)) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNSUPPORTED,
                        "%s: not a device root; a stream holds only "
                        "devices", qidl_node_get_name(n));
            return FALSE;
        }
    }
    w = info ? qidl_stream_writer_new_full(out, info, flags) :
               qidl_stream_writer_new(out, "libqidl", "0", flags);
    for (QidlNode *n = qidl_node_get_first_child(root); n;
         n = qidl_node_get_next(n)) {
        QidlVisitor *v = qidl_stream_writer_begin_device(
            w, qidl_node_get_type_name(n), qidl_node_get_instance_path(n),
            qidl_node_get_version(n));
        g_autoptr(GError) local = NULL;

        if (!qidl_node_replay(n, v, &local) && !w->sticky) {
            /* A replay error the writer did not cause: keep it. */
            set_sticky(w, NULL, local->code, local->message);
        }
        if (!qidl_stream_writer_end_device(w, error)) {
            return FALSE;
        }
    }
    return qidl_stream_writer_finish(w, error);
}
