/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The native stream readers (stream.h, docs/stream-format.md): the record
 * walker with its direct input visitor, and the whole-stream tree reader.
 *
 * The bytes are hostile.  Every length is checked against the bytes left
 * (in the record, not just the stream) before it is used, counts are
 * bounded by the bytes they need before anything is allocated, walks use
 * explicit stacks bounded by QIDL_LIMIT_DEPTH, and every error names the
 * record or device, the field path and the byte offset in the plain
 * stream.  The tree reader also enforces the canonical form, so that every
 * stream it accepts is written back byte for byte.
 */
#include <zstd.h>

#include <qidl/visitor-impl.h>

#include "stream-private.h"

/* ---- the strings a reader keeps ---- */

/*
 * Type names, instance paths and the field names needed as C strings (a
 * device's top-level name, the tree reader's names, messages), kept for
 * the reader's whole life: NUL-terminated, in chunks that never move, so
 * that what QidlStreamDevice and the visitors point to stays valid.  One
 * allocation per chunk, not per string.
 */
typedef struct Chunk {
    struct Chunk *next;
    gsize used;
    gsize cap;
    char data[];
} Chunk;

/* The size of a chunk: a machine's names, types and paths fit in one. */
#define CHUNK_SIZE 8192

/*
 * Not inlined: where the caller bounds @len, gcc would expand the memcpy()
 * into a `rep movsq`, slower than the library's for the few bytes of a name.
 */
static G_GNUC_NO_INLINE const char *chunk_dup(Chunk **chunks,
                                              const guint8 *s, gsize len)
{
    Chunk *c = *chunks;
    char *p;

    if (!c || c->cap - c->used < len + 1) {
        gsize cap = MAX(CHUNK_SIZE, len + 1);

        c = g_malloc(sizeof(Chunk) + cap);
        c->next = *chunks;
        c->used = 0;
        c->cap = cap;
        *chunks = c;
    }
    p = c->data + c->used;
    memcpy(p, s, len);
    p[len] = '\0';
    c->used += len + 1;
    return p;
}

static void chunks_free(Chunk *c)
{
    while (c) {
        Chunk *next = c->next;

        g_free(c);
        c = next;
    }
}

/* Empties the chunks, keeping the newest for the next stream. */
static void chunks_empty(Chunk **chunks)
{
    if (*chunks) {
        chunks_free((*chunks)->next);
        (*chunks)->next = NULL;
        (*chunks)->used = 0;
    }
}

/*
 * A set of strings of the stream, by index in order of addition, with an
 * open-addressing hash table to find duplicates.  Each is @len bytes at
 * @raw, in the stream; @s is a NUL-terminated copy in the chunks, made
 * the first time it is needed (the direct visitor compares @raw and needs
 * none).  @ns keeps apart the kinds of strings that share a set.
 */
typedef struct {
    const guint8 *raw;
    const char *s;
    guint32 len;
    guint32 hash;
    guint8 ns;
    guint32 kept;         /* names: offset of its definition in @kept */
} SetEntry;

typedef struct {
    SetEntry *entries;
    guint32 n;
    guint32 cap;
    guint32 *slots;       /* entry index + 1; 0: empty */
    guint32 mask;         /* slots - 1; slots are a power of two > 2 n */
} StrSet;

/*
 * Entries a set has room for before it grows: a machine's field names, or
 * its devices' paths and names.
 */
#define STRSET_FIRST_CAP 256
#define DEVICES_FIRST_CAP 32

static inline guint64 mix64(guint64 h)
{
    h *= 0xff51afd7ed558ccdu;
    return h ^ (h >> 32);
}

/*
 * The hash of the @len bytes at @s, read eight at a time (the last word
 * too if the buffer goes on for eight bytes, before @end), and whether
 * they are plain ASCII without NUL, which a name is: then it is UTF-8
 * without a closer look.
 */
static inline guint32 hash_bytes_ascii(guint8 ns, const guint8 *s,
                                       gsize len, const guint8 *end,
                                       gboolean *ascii)
{
    const guint64 ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    guint64 h = 0x9e3779b97f4a7c15u ^ ((guint64)ns << 56) ^ len;
    guint64 any = 0, zero = 0;
    gsize i = 0;

    for (; i + 8 <= len; i += 8) {
        guint64 x;

        memcpy(&x, s + i, 8);
        any |= x;
        zero |= (x - ones) & ~x & highs;
        h = mix64(h ^ x);
    }
    if (i < len) {
        guint64 keep = (G_GUINT64_CONSTANT(1) << (8 * (len - i))) - 1;
        guint64 x = 0;

        if (end - (s + i) >= 8) {
            memcpy(&x, s + i, 8);
            x &= keep;
        } else {
            for (gsize j = i; j < len; j++) {
                x |= (guint64)s[j] << (8 * (j - i));
            }
        }
        any |= x;
        /* The bytes past the string count as non-zero. */
        zero |= ((x | ~keep) - ones) & ~(x | ~keep) & highs;
        h = mix64(h ^ x);
    }
    *ascii = !(any & highs) && !zero;
    return (guint32)(h ^ (h >> 29));
}

static guint32 hash_bytes(guint8 ns, const guint8 *s, gsize len)
{
    gboolean ascii;

    return hash_bytes_ascii(ns, s, len, s + len, &ascii);
}

/* Marks "no free slot known" for strset_add(). */
#define NO_SLOT G_MAXUINT32

/*
 * The index of the @len bytes at @s (hash @hash), or -1 and in
 * @free_slot the empty slot where the look-up stopped (or NO_SLOT).
 */
static gint64 strset_find(const StrSet *t, guint8 ns, const guint8 *s,
                          gsize len, guint32 hash, guint32 *free_slot)
{
    *free_slot = NO_SLOT;
    if (!t->slots) {
        return -1;
    }
    for (guint32 i = hash & t->mask;; i = (i + 1) & t->mask) {
        guint32 slot = t->slots[i];
        const SetEntry *e;

        if (slot == 0) {
            *free_slot = i;
            return -1;
        }
        e = &t->entries[slot - 1];
        if (e->hash == hash && e->len == len && e->ns == ns &&
            memcmp(e->raw, s, len) == 0) {
            return slot - 1;
        }
    }
}

static void strset_insert_slot(StrSet *t, guint32 idx)
{
    guint32 i = t->entries[idx].hash & t->mask;

    while (t->slots[i]) {
        i = (i + 1) & t->mask;
    }
    t->slots[i] = idx + 1;
}

/*
 * Adds the @len bytes at @raw (NUL-terminated at @str in the chunks, or
 * NULL for a copy made when needed), which are not in @t.  @free_slot is
 * the empty slot where the look-up that did not find them stopped, with
 * nothing added since, or NO_SLOT: they go there without a second probe
 * unless the table grows.
 */
static G_NO_INLINE void strset_grow(StrSet *t, guint32 first_cap)
{
    if (t->n == t->cap) {
        t->cap = MAX(t->cap * 2, first_cap);
        t->entries = g_renew(SetEntry, t->entries, t->cap);
    }
    if (!t->slots || (t->n + 1) * 2 > t->mask + 1) {
        guint32 n_slots = t->slots ? (t->mask + 1) * 2 : 2 * first_cap;

        g_free(t->slots);
        /* Cleared here rather than by calloc(), which may leave fresh
         * memory out of the cache: every probe would miss. */
        t->slots = g_new(guint32, n_slots);
        memset(t->slots, 0, n_slots * sizeof(guint32));
        t->mask = n_slots - 1;
        for (guint32 i = 0; i < t->n; i++) {
            strset_insert_slot(t, i);
        }
    }
}

static inline void strset_add(StrSet *t, guint32 first_cap, guint8 ns,
                              const guint8 *raw, const char *str, gsize len,
                              guint32 hash, guint32 free_slot)
{
    if (G_UNLIKELY(t->n == t->cap || !t->slots ||
                   (t->n + 1) * 2 > t->mask + 1)) {
        strset_grow(t, first_cap);
        free_slot = NO_SLOT;
    }
    t->entries[t->n] = (SetEntry) { raw, str, (guint32)len, hash, ns };
    if (free_slot != NO_SLOT) {
        t->slots[free_slot] = ++t->n;
    } else {
        strset_insert_slot(t, t->n++);
    }
}

static void strset_clear(StrSet *t)
{
    g_free(t->entries);
    g_free(t->slots);
}

/* Empties @t, keeping its memory. */
static void strset_empty(StrSet *t)
{
    t->n = 0;
    if (t->slots) {
        memset(t->slots, 0, (t->mask + 1) * sizeof(guint32));
    }
}

/* The kinds of string in QidlStreamReader.devices. */
enum {
    NS_PATH = 1,          /* instance paths seen */
    NS_TOP,               /* top-level names seen */
};

/* A device record's head, kept for the next stream (QidlStreamReader). */
typedef struct {
    gsize off;                /* of its type and path in head_bytes */
    gsize len;
    const char *type;         /* NUL-terminated, in head_chunks */
    const char *path;
    gsize path_len;
    const char *top;          /* the top-level name */
    guint32 top_len;
} KeptHead;

struct QidlStreamReader {
    guint8 *owned;            /* the decompressed stream, or NULL */
    const guint8 *data;       /* the plain stream */
    gsize len;
    gsize pos;                /* offset of the next record */
    QidlStreamInfo *info;
    QidlStreamInfo *spare_info; /* the last stream's, for the next */
    Chunk *chunks;            /* every string below */
    StrSet names;             /* the name table */
    StrSet devices;           /* instance paths and top-level names seen */
    guint32 n_records;        /* records before the next one */
    guint32 stream_crc;       /* CRC-32C of the stream before pos */
    const char *last_path;    /* where preserved records are anchored */
    gboolean failed;
    gboolean at_end;

    /* The current device record. */
    gboolean in_device;
    QidlStreamDevice dev;
    const char *dev_type;     /* in @chunks */
    const char *dev_path;
    gsize payload_off;        /* absolute offsets of the state */
    gsize payload_end;
    guint first_new;          /* names the record defines */
    guint n_new;

    QidlStreamFields tables;  /* qidl_visit_scalar_fields()'s tables */
    /*
     * Made by the first reset, which also sets @keeps: the reader keeps
     * what the next stream may take again (@kept, @shifts).  A reader
     * never reset reads one stream and spends nothing on them.
     */
    gboolean keeps;
    QidlCrcShiftCache *shifts; /* for the stream's checksum */

    /*
     * What a reset keeps of the last stream's names, so that a stream
     * defining the same names in the same order (a VMM loading the same
     * devices again) takes each record's definitions with one comparison
     * of their bytes: @kept holds the definitions (length byte, bytes) of
     * every name of @names, back to back; the entries from @names.n to
     * @n_left are the last stream's, not defined yet in this one, their
     * hashes still in the table's slots.  At the first record whose
     * definitions differ they are dropped (names_drop_left()).
     */
    guint8 *kept;
    gsize kept_len;
    gsize kept_cap;
    guint32 n_left;

    /*
     * The same for the device records' heads (type name, instance path,
     * top-level name), which the stream checks for unique paths and
     * names: while this stream's records come as the last stream's did
     * (@heads, in order), a record's head is compared with the kept one
     * and its strings taken from there, without the checks or the look-up
     * (the last stream's were unique); the @n_replayed records taken so go
     * into @devices only when a record differs (heads_part()).  The heads
     * of a stream read afresh from its start (@recording) are kept for the
     * next one, their strings in @head_chunks.
     */
    GArray *heads;            /* KeptHead */
    guint8 *head_bytes;       /* each head's type and path, as in the stream */
    gsize head_bytes_len;
    gsize head_bytes_cap;
    Chunk *head_chunks;
    guint n_replayed;         /* records of this stream taken from @heads */
    gboolean replaying;       /* every record so far was taken so */
    gboolean recording;       /* this stream's heads go to @heads */

    /* A freed device visitor kept for the next device (in_free()): one
     * allocation per stream rather than per device. */
    struct StreamInput *spare;
};

/* Name @idx of the name table, NUL-terminated. */
static const char *reader_name(QidlStreamReader *r, guint idx)
{
    SetEntry *e = &r->names.entries[idx];

    if (!e->s) {
        e->s = chunk_dup(&r->chunks, e->raw, e->len);
    }
    return e->s;
}

/*
 * Whether name @idx of the name table is @name.  strncmp() stops at the
 * first difference, so it never reads past the end of @name (a table's
 * name holds no NUL, which a shorter @name's NUL differs from), and it
 * compares a word or more at a time where a loop over the bytes took
 * about 3k instructions per machine.
 */
static inline gboolean reader_name_is(const QidlStreamReader *r, guint idx,
                                      const char *name)
{
    const SetEntry *e = &r->names.entries[idx];

    return strncmp(name, (const char *)e->raw, e->len) == 0 &&
           name[e->len] == '\0';
}

/* ---- opening: decompression and the header ---- */

/*
 * Decompresses the one zstd frame after the compressed-stream magic,
 * bounded by QIDL_LIMIT_STREAM_LEN whatever the frame header declares.
 */
static gboolean decompress(const guint8 *data, gsize len, guint8 **out,
                           gsize *out_len, GError **error)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    ZSTD_DStream *ds = ZSTD_createDStream();
    ZSTD_inBuffer in = { data, len, 0 };
    gsize chunk = ZSTD_DStreamOutSize();
    size_t ret;

    if (!ds) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO,
                    "zstd: cannot allocate");
        return FALSE;
    }
    for (;;) {
        guint start = buf->len;
        ZSTD_outBuffer o;

        if (start > QIDL_LIMIT_STREAM_LEN) {
            ZSTD_freeDStream(ds);
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                        "decompressed stream exceeds %u bytes",
                        QIDL_LIMIT_STREAM_LEN);
            return FALSE;
        }
        g_byte_array_set_size(buf, (guint)(start + chunk));
        o = (ZSTD_outBuffer) { buf->data + start, chunk, 0 };
        ret = ZSTD_decompressStream(ds, &o, &in);
        g_byte_array_set_size(buf, (guint)(start + o.pos));
        if (ZSTD_isError(ret)) {
            ZSTD_freeDStream(ds);
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "zstd frame at byte offset %u: %s",
                        STREAM_MAGIC_LEN, ZSTD_getErrorName(ret));
            return FALSE;
        }
        if (ret == 0) {
            break;
        }
        /* All input used and the output not full: it needs more input. */
        if (in.pos == in.size && o.pos < o.size) {
            ZSTD_freeDStream(ds);
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                        "compressed stream truncated at byte offset %"
                        G_GSIZE_FORMAT, STREAM_MAGIC_LEN + len);
            return FALSE;
        }
    }
    ZSTD_freeDStream(ds);
    if (buf->len > QIDL_LIMIT_STREAM_LEN) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                    "decompressed stream exceeds %u bytes",
                    QIDL_LIMIT_STREAM_LEN);
        return FALSE;
    }
    if (in.pos != in.size) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNKNOWN_FIELD,
                    "%" G_GSIZE_FORMAT " bytes after the zstd frame at byte "
                    "offset %" G_GSIZE_FORMAT, in.size - in.pos,
                    STREAM_MAGIC_LEN + in.pos);
        return FALSE;
    }
    *out_len = buf->len;
    *out = g_byte_array_free(g_steal_pointer(&buf), FALSE);
    return TRUE;
}

/* A bounded cursor over [pos, end) of the plain stream. */
typedef struct {
    const guint8 *data;
    gsize pos;
    gsize end;
} Cursor;

static gboolean cur_has(const Cursor *c, gsize n)
{
    return c->end - c->pos >= n;
}

/* Reads a str16 into a new string, or returns NULL (truncated). */
static char *cur_str16(Cursor *c, gsize *len)
{
    gsize n;
    char *s;

    if (!cur_has(c, 2)) {
        return NULL;
    }
    n = get_u16(c->data + c->pos);
    if (!cur_has(c, 2 + n)) {
        return NULL;
    }
    s = g_strndup((const char *)c->data + c->pos + 2, n);
    c->pos += 2 + n;
    *len = n;
    return s;
}

/* A string of the header: its @len bytes in the stream, or NULL. */
static const char *cur_text16(Cursor *c, gsize *len)
{
    const char *s;

    if (!cur_has(c, 2) || !cur_has(c, 2 + (*len = get_u16(c->data +
                                                           c->pos)))) {
        return NULL;
    }
    s = (const char *)c->data + c->pos + 2;
    c->pos += 2 + *len;
    return s;
}

static gboolean read_header(QidlStreamReader *r, GError **error)
{
    Cursor c = { r->data, 0, r->len };
    const char *producer, *version = NULL;
    gsize plen = 0, vlen = 0;
    guint16 major, minor;
    guint32 flags, stored, computed;

    if (r->len < STREAM_MAGIC_LEN) {
        if (memcmp(r->data, qidl_stream__magic, r->len) == 0 ||
            memcmp(r->data, qidl_stream__zmagic, r->len) == 0) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                        "header: truncated at byte offset %" G_GSIZE_FORMAT,
                        r->len);
        } else {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "header: bad magic at byte offset 0: not a QIDL "
                        "stream");
        }
        return FALSE;
    }
    if (memcmp(r->data, qidl_stream__magic, STREAM_MAGIC_LEN) != 0) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "header: bad magic at byte offset 0: not a QIDL stream");
        return FALSE;
    }
    c.pos = STREAM_MAGIC_LEN;
    if (!cur_has(&c, 8)) {
        goto truncated;
    }
    major = get_u16(c.data + c.pos);
    minor = get_u16(c.data + c.pos + 2);
    flags = get_u32(c.data + c.pos + 4);
    if (major != QIDL_STREAM_FORMAT_MAJOR) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_VERSION,
                    "header: format %u.%u at byte offset 8 is not "
                    "supported (this reader reads %u.x)", major, minor,
                    QIDL_STREAM_FORMAT_MAJOR);
        return FALSE;
    }
    c.pos += 8;
    producer = cur_text16(&c, &plen);
    version = producer ? cur_text16(&c, &vlen) : NULL;
    if (!version || !cur_has(&c, 4)) {
        goto truncated;
    }
    stored = get_u32(c.data + c.pos);
    computed = qidl_crc32c__update(0, c.data, c.pos);
    /* The end record's checksum of the whole stream is carried along. */
    r->stream_crc = qidl_crc32c__update(computed, c.data + c.pos, 4);
    if (stored != computed) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "header: bad checksum at byte offset %" G_GSIZE_FORMAT
                    " (stored 0x%08x, computed 0x%08x)", c.pos, stored,
                    computed);
        return FALSE;
    }
    if (!qidl_stream__text_ok(producer, plen, G_MAXUINT16) ||
        !qidl_stream__text_ok(version, vlen, G_MAXUINT16)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "header: producer name or version is not UTF-8");
        return FALSE;
    }
    /* The low 16 flags must be understood; none is defined in 1.x. */
    if (flags & 0xffff) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_VERSION,
                    "header: unknown mandatory flags 0x%04x at byte offset "
                    "12", flags & 0xffff);
        return FALSE;
    }
    r->info = qidl_stream_info__renew(g_steal_pointer(&r->spare_info),
                                      producer, plen, version, vlen);
    r->info->major = major;
    r->info->minor = minor;
    r->info->flags = flags;
    r->pos = c.pos + 4;
    return TRUE;

truncated:
    g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                "header: truncated at byte offset %" G_GSIZE_FORMAT, r->len);
    return FALSE;
}

/* Opens the stream @data of a reader in its first state. */
static gboolean reader_open(QidlStreamReader *r, const guint8 *data,
                            gsize len, GError **error)
{
    gboolean compressed = FALSE;

    r->data = data ? data : (const guint8 *)"";
    r->len = len;
    if (len >= STREAM_MAGIC_LEN &&
        memcmp(data, qidl_stream__zmagic, STREAM_MAGIC_LEN) == 0) {
        if (!decompress(data + STREAM_MAGIC_LEN, len - STREAM_MAGIC_LEN,
                        &r->owned, &r->len, error)) {
            return FALSE;
        }
        r->data = r->owned;
        compressed = TRUE;
    }
    if (!read_header(r, error)) {
        return FALSE;
    }
    r->info->compressed = compressed;
    return TRUE;
}

QidlStreamReader *qidl_stream_reader_new(const guint8 *data, gsize len,
                                         GError **error)
{
    g_autoptr(QidlStreamReader) r = NULL;

    g_return_val_if_fail(data != NULL || len == 0, NULL);

    r = g_new0(QidlStreamReader, 1);
    /* Its fast path reads a run's length and largest index. */
    r->tables.layout = TRUE;
    if (!reader_open(r, data, len, error)) {
        return NULL;
    }
    return g_steal_pointer(&r);
}

gboolean qidl_stream_reader_reset(QidlStreamReader *r, const guint8 *data,
                                  gsize len, GError **error)
{
    QidlStreamReader keep;

    g_return_val_if_fail(r != NULL, FALSE);
    g_return_val_if_fail(data != NULL || len == 0, FALSE);

    g_free(r->owned);
    /* The first state, as qidl_stream_reader_new() makes it, but for the
     * memory kept: the string chunks, the sets, the tables' cache, the
     * info and the spare device visitor, emptied. */
    keep = *r;
    memset(r, 0, sizeof(*r));
    r->spare_info = keep.info ? keep.info : keep.spare_info;
    if (keep.info && keep.spare_info) {
        qidl_stream_info_free(keep.spare_info);
    }
    r->chunks = keep.chunks;
    chunks_empty(&r->chunks);
    r->names = keep.names;
    r->devices = keep.devices;
    strset_empty(&r->devices);
    r->tables = keep.tables;
    r->shifts = keep.shifts ? keep.shifts : g_new0(QidlCrcShiftCache, 1);
    r->kept = keep.kept;
    r->kept_cap = keep.kept_cap;
    r->keeps = TRUE;
    if (!keep.keeps || keep.failed || keep.names.n > keep.n_left) {
        /* Nothing kept yet (the first reset), or a failed record may
         * have left names without definitions in @kept: start afresh. */
        strset_empty(&r->names);
        qidl_stream__fields_empty(&r->tables);
    } else {
        /* The last stream's names stay (with those of the stream before
         * it that the last did not reach), to be defined again in their
         * order (names_replay()); so do the run tables learnt. */
        r->n_left = keep.n_left;
        r->kept_len = keep.kept_len;
        r->names.n = 0;
    }
    r->spare = keep.spare;
    r->heads = keep.heads ? keep.heads : g_array_new(FALSE, FALSE,
                                                     sizeof(KeptHead));
    r->head_bytes = keep.head_bytes;
    r->head_bytes_cap = keep.head_bytes_cap;
    r->head_chunks = keep.head_chunks;
    if (keep.keeps && (keep.recording || keep.replaying)) {
        /* The last stream's heads, or those it took: take them again. */
        r->head_bytes_len = keep.head_bytes_len;
        r->replaying = r->heads->len > 0;
    } else {
        /* None kept yet, or the last stream parted from them: keep this
         * stream's. */
        g_array_set_size(r->heads, 0);
        chunks_empty(&r->head_chunks);
        r->recording = TRUE;
    }
    if (!reader_open(r, data, len, error)) {
        r->failed = TRUE;
        return FALSE;
    }
    return TRUE;
}

void qidl_stream_reader_free(QidlStreamReader *r)
{
    if (!r) {
        return;
    }
    g_free(r->spare);
    g_free(r->owned);
    qidl_stream_info_free(r->info);
    qidl_stream_info_free(r->spare_info);
    chunks_free(r->chunks);
    g_free(r->kept);
    g_free(r->shifts);
    if (r->heads) {
        g_array_unref(r->heads);
    }
    g_free(r->head_bytes);
    chunks_free(r->head_chunks);
    strset_clear(&r->names);
    strset_clear(&r->devices);
    qidl_stream__fields_clear(&r->tables);
    g_free(r);
}

const QidlStreamInfo *qidl_stream_reader_get_info(const QidlStreamReader *r)
{
    g_return_val_if_fail(r != NULL, NULL);
    return r->info;
}

/* ---- records ---- */

static gboolean rec_error(QidlStreamReader *r, GError **error, int code,
                          gsize offset, const char *format, ...)
    G_GNUC_PRINTF(5, 6);

/* "record N at byte offset X: message" */
static gboolean rec_error(QidlStreamReader *r, GError **error, int code,
                          gsize offset, const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, QIDL_ERROR, code, "record %" G_GUINT32_FORMAT
                " at byte offset %" G_GSIZE_FORMAT ": %s", r->n_records,
                offset, msg);
    r->failed = TRUE;
    return FALSE;
}

static gboolean read_metadata(QidlStreamReader *r, gsize at, Cursor *c,
                              GError **error)
{
    g_autofree char *prev = NULL;
    guint32 n;

    if (r->n_records != 0 || g_tree_nnodes(r->info->metadata) > 0) {
        return rec_error(r, error, QIDL_ERROR_INVALID, at,
                         "a metadata record must be the first record");
    }
    if (!cur_has(c, 4)) {
        return rec_error(r, error, QIDL_ERROR_TRUNCATED, at,
                         "truncated at byte offset %" G_GSIZE_FORMAT,
                         c->end);
    }
    n = get_u32(c->data + c->pos);
    c->pos += 4;
    if (n == 0) {
        return rec_error(r, error, QIDL_ERROR_INVALID, at,
                         "empty metadata record");
    }
    for (guint32 i = 0; i < n; i++) {
        gsize entry = c->pos, klen = 0, vlen = 0;
        g_autofree char *key = cur_str16(c, &klen);
        g_autofree char *value = key ? cur_str16(c, &vlen) : NULL;

        if (!value) {
            return rec_error(r, error, QIDL_ERROR_TRUNCATED, at,
                             "truncated at byte offset %" G_GSIZE_FORMAT,
                             c->end);
        }
        if (klen == 0 || !qidl_stream__text_ok(key, klen, G_MAXUINT16) ||
            !qidl_stream__text_ok(value, vlen, G_MAXUINT16)) {
            return rec_error(r, error, QIDL_ERROR_INVALID, at,
                             "metadata entry at byte offset %"
                             G_GSIZE_FORMAT " is not non-empty UTF-8",
                             entry);
        }
        if (prev && strcmp(prev, key) >= 0) {
            return rec_error(r, error, QIDL_ERROR_INVALID, at,
                             "metadata key %s at byte offset %"
                             G_GSIZE_FORMAT " is not after %s (keys are "
                             "sorted and unique)", key, entry, prev);
        }
        g_free(prev);
        prev = g_strdup(key);
        g_tree_insert(r->info->metadata, g_steal_pointer(&key),
                      g_steal_pointer(&value));
    }
    if (c->pos != c->end) {
        return rec_error(r, error, QIDL_ERROR_INVALID, at,
                         "%" G_GSIZE_FORMAT " unexpected bytes at byte "
                         "offset %" G_GSIZE_FORMAT, c->end - c->pos,
                         c->pos);
    }
    return TRUE;
}

/*
 * Drops the last stream's names that this one has not defined, and the
 * run tables' cache, which may hold their indices.
 */
static G_NO_INLINE void names_drop_left(QidlStreamReader *r)
{
    StrSet *t = &r->names;

    if (r->n_left > t->n) {
        r->kept_len = t->entries[t->n].kept;
        memset(t->slots, 0, (t->mask + 1) * sizeof(guint32));
        for (guint32 i = 0; i < t->n; i++) {
            strset_insert_slot(t, i);
        }
        qidl_stream__fields_empty(&r->tables);
    }
    r->n_left = t->n;
}

/*
 * Takes the @n_new definitions at @c if they are the next of the last
 * stream's names (qidl_stream_reader_reset()): they are as valid as they
 * were, and distinct from the names before them, which are the last
 * stream's too.
 */
static inline gboolean names_replay(QidlStreamReader *r, Cursor *c,
                                    guint n_new)
{
    StrSet *t = &r->names;
    gsize from, len;

    if (r->n_left - t->n < n_new) {
        return FALSE;
    }
    from = t->entries[t->n].kept;
    len = (t->n + n_new < r->n_left ? t->entries[t->n + n_new].kept
                                    : r->kept_len) - from;
    if (!cur_has(c, len) || memcmp(c->data + c->pos, r->kept + from, len)) {
        return FALSE;
    }
    for (guint i = 0; i < n_new; i++) {
        SetEntry *e = &t->entries[t->n + i];

        e->raw = c->data + c->pos + (e->kept - from) + 1;
        e->s = NULL;
    }
    t->n += n_new;
    c->pos += len;
    return TRUE;
}

/* Keeps the definitions of the names from @first, at @defs, in @kept. */
static void names_keep(QidlStreamReader *r, guint32 first,
                       const guint8 *defs, gsize len)
{
    StrSet *t = &r->names;

    if (r->kept_cap - r->kept_len < len) {
        r->kept_cap = MAX(r->kept_cap * 2, MAX(r->kept_len + len, 4096));
        r->kept = g_realloc(r->kept, r->kept_cap);
    }
    memcpy(r->kept + r->kept_len, defs, len);
    for (guint32 i = first; i < t->n; i++) {
        t->entries[i].kept = (guint32)(r->kept_len +
                                       (t->entries[i].raw - 1 - defs));
    }
    r->kept_len += len;
    r->n_left = t->n;
}

/*
 * The stream parts from the last one's heads: the records taken from them
 * so far join @devices, as the checks of those after need them.
 */
static G_NO_INLINE void heads_part(QidlStreamReader *r)
{
    for (guint i = 0; i < r->n_replayed; i++) {
        const KeptHead *h = &g_array_index(r->heads, KeptHead, i);

        strset_add(&r->devices, DEVICES_FIRST_CAP, NS_TOP,
                   (const guint8 *)h->top, h->top, h->top_len,
                   hash_bytes(NS_TOP, (const guint8 *)h->top, h->top_len),
                   NO_SLOT);
        strset_add(&r->devices, DEVICES_FIRST_CAP, NS_PATH,
                   (const guint8 *)h->path, h->path, h->path_len,
                   hash_bytes(NS_PATH, (const guint8 *)h->path, h->path_len),
                   NO_SLOT);
    }
    r->replaying = FALSE;
}

/* Keeps the head at @head (@len bytes: type and path, as in the stream). */
static void heads_keep(QidlStreamReader *r, const guint8 *head, gsize len,
                       const char *type, const char *path, gsize path_len,
                       const SetEntry *top)
{
    KeptHead h = {
        r->head_bytes_len, len, type, path, path_len,
        chunk_dup(&r->head_chunks, top->raw, top->len), top->len,
    };

    if (r->head_bytes_cap - r->head_bytes_len < len) {
        r->head_bytes_cap = MAX(r->head_bytes_cap * 2,
                                MAX(r->head_bytes_len + len, 1024));
        r->head_bytes = g_realloc(r->head_bytes, r->head_bytes_cap);
    }
    memcpy(r->head_bytes + r->head_bytes_len, head, len);
    r->head_bytes_len += len;
    g_array_append_val(r->heads, h);
}

/* Fails unless no earlier record has the instance path at @pp; its hash. */
static gboolean path_unique(QidlStreamReader *r, gsize at, const guint8 *pp,
                            gsize plen, const char *path, const char *type,
                            guint32 *phash, GError **error)
{
    guint32 free_slot;

    *phash = hash_bytes(NS_PATH, pp, plen);
    if (strset_find(&r->devices, NS_PATH, pp, plen, *phash, &free_slot) >=
        0) {
        return rec_error(r, error, QIDL_ERROR_INVALID, at,
                         "device %s (%s): instance path already used by an "
                         "earlier record", path, type);
    }
    return TRUE;
}

static gboolean read_device_head(QidlStreamReader *r, gsize at, Cursor *c,
                                 GError **error)
{
    const guint8 *tp, *pp;
    const char *type, *path, *top_name;
    const guint8 *defs;
    const KeptHead *kept = NULL;
    gsize tlen, plen;
    guint32 phash = 0, thash, free_slot;
    guint16 n_new, top;

    if (!cur_has(c, 2) || !cur_has(c, 2 + (tlen = get_u16(c->data + c->pos)))) {
        goto truncated;
    }
    tp = c->data + c->pos + 2;
    c->pos += 2 + tlen;
    if (!cur_has(c, 2) || !cur_has(c, 2 + (plen = get_u16(c->data + c->pos))) ||
        !cur_has(c, 2 + plen + 6)) {
        goto truncated;
    }
    pp = c->data + c->pos + 2;
    c->pos += 2 + plen;
    /* The next of the last stream's heads, byte for byte: its strings are
     * valid and its path unique, as they were (its top-level name is
     * compared below). */
    if (r->replaying) {
        kept = r->n_replayed < r->heads->len ?
               &g_array_index(r->heads, KeptHead, r->n_replayed) : NULL;
        if (!kept || kept->len != (gsize)(pp + plen - (tp - 2)) ||
            memcmp(tp - 2, r->head_bytes + kept->off, kept->len) != 0) {
            kept = NULL;
            heads_part(r);
        }
    }
    if (kept) {
        type = kept->type;
        path = kept->path;
    } else {
        Chunk **strings = r->recording ? &r->head_chunks : &r->chunks;

        if (tlen == 0 || plen == 0 ||
            !qidl_stream__text_ok_fast(tp, tlen, G_MAXUINT16) ||
            !qidl_stream__text_ok_fast(pp, plen, G_MAXUINT16)) {
            return rec_error(r, error, QIDL_ERROR_INVALID, at,
                             "type name and instance path must be non-empty "
                             "UTF-8");
        }
        type = chunk_dup(strings, tp, tlen);
        path = chunk_dup(strings, pp, plen);
    }
    r->dev.version = get_u32(c->data + c->pos);
    n_new = get_u16(c->data + c->pos + 4);
    c->pos += 6;
    if (!kept && !path_unique(r, at, pp, plen, path, type, &phash, error)) {
        return FALSE;
    }
    if (r->names.n + n_new > QIDL_LIMIT_STREAM_NAMES) {
        return rec_error(r, error, QIDL_ERROR_LIMIT, at,
                         "device %s (%s): more than %u distinct field "
                         "names in one stream", path, type,
                         QIDL_LIMIT_STREAM_NAMES);
    }
    r->first_new = r->names.n;
    r->n_new = n_new;
    defs = c->data + c->pos;
    if (n_new > 0 && r->n_left > r->names.n) {
        if (names_replay(r, c, n_new)) {
            n_new = 0;
        } else {
            names_drop_left(r);
        }
    }
    for (guint i = 0; i < n_new; i++) {
        gsize name_at = c->pos;
        const guint8 *np;
        gboolean ascii;
        guint32 hash;
        gsize len;

        if (!cur_has(c, 1) || !cur_has(c, 1 + (len = c->data[c->pos]))) {
            return rec_error(r, error, QIDL_ERROR_TRUNCATED, at,
                             "device %s (%s): truncated at byte offset %"
                             G_GSIZE_FORMAT, path, type, c->end);
        }
        np = c->data + c->pos + 1;
        hash = hash_bytes_ascii(0, np, len, r->data + r->len, &ascii);
        if (len == 0 ||
            (!ascii && !qidl_stream__text_ok((const char *)np, len,
                                             QIDL_LIMIT_NAME_LEN))) {
            return rec_error(r, error, QIDL_ERROR_INVALID, at,
                             "device %s (%s): name at byte offset %"
                             G_GSIZE_FORMAT " is not 1 to %u bytes of UTF-8",
                             path, type, name_at, QIDL_LIMIT_NAME_LEN);
        }
        if (np[0] == '$') {
            /* Reserved: the typed JSON form's own members start with '$',
             * so such a stream would have no JSON form. */
            return rec_error(r, error, QIDL_ERROR_INVALID, at,
                             "device %s (%s): name %.*s at byte offset %"
                             G_GSIZE_FORMAT " starts with the reserved '$'",
                             path, type, (int)len, (const char *)np,
                             name_at);
        }
        if (strset_find(&r->names, 0, np, len, hash, &free_slot) >= 0) {
            return rec_error(r, error, QIDL_ERROR_INVALID, at,
                             "device %s (%s): name %.*s at byte offset %"
                             G_GSIZE_FORMAT " is already defined", path,
                             type, (int)len, (const char *)np, name_at);
        }
        strset_add(&r->names, STRSET_FIRST_CAP, 0, np, NULL, len, hash,
                   free_slot);
        c->pos += 1 + len;
    }
    if (n_new > 0 && r->keeps) {
        names_keep(r, r->first_new, defs, (gsize)(c->data + c->pos - defs));
    }
    /* The state: a name index and a struct tag, at least. */
    if (!cur_has(c, 3)) {
        return rec_error(r, error, QIDL_ERROR_TRUNCATED, at,
                         "device %s (%s): truncated at byte offset %"
                         G_GSIZE_FORMAT, path, type, c->end);
    }
    top = get_u16(c->data + c->pos);
    if (top >= r->names.n) {
        return rec_error(r, error, QIDL_ERROR_INVALID, at,
                         "device %s (%s): name index %u at byte offset %"
                         G_GSIZE_FORMAT " is not defined", path, type, top,
                         c->pos);
    }
    if (c->data[c->pos + 2] != QIDL_KIND_STRUCT) {
        return rec_error(r, error, QIDL_ERROR_INVALID, at,
                         "device %s (%s): state at byte offset %"
                         G_GSIZE_FORMAT " is not a struct", path, type,
                         c->pos + 2);
    }
    if (kept) {
        SetEntry *e = &r->names.entries[top];

        if (e->len == kept->top_len &&
            memcmp(e->raw, kept->top, e->len) == 0) {
            /* Taken whole: unique as it was, not in @devices unless the
             * stream parts from the kept heads later. */
            if (!e->s) {
                e->s = kept->top;
            }
            r->n_replayed++;
            top_name = e->s;
            goto head_done;
        }
        heads_part(r);
        if (!path_unique(r, at, pp, plen, path, type, &phash, error)) {
            return FALSE;
        }
    }
    top_name = reader_name(r, top);
    thash = hash_bytes(NS_TOP, (const guint8 *)top_name,
                       r->names.entries[top].len);
    if (strset_find(&r->devices, NS_TOP, (const guint8 *)top_name,
                    r->names.entries[top].len, thash, &free_slot) >= 0) {
        return rec_error(r, error, QIDL_ERROR_INVALID, at,
                         "device %s (%s): name %s already used by an "
                         "earlier device", path, type, top_name);
    }
    strset_add(&r->devices, DEVICES_FIRST_CAP, NS_TOP,
               (const guint8 *)top_name, top_name,
               r->names.entries[top].len, thash, free_slot);
    strset_add(&r->devices, DEVICES_FIRST_CAP, NS_PATH,
               (const guint8 *)path, path, plen, phash, NO_SLOT);
    if (r->recording) {
        heads_keep(r, tp - 2, (gsize)(pp + plen - (tp - 2)), type, path, plen,
                   &r->names.entries[top]);
    }

head_done:
    r->last_path = path;
    r->dev_type = type;
    r->dev_path = path;
    r->dev.type_name = type;
    r->dev.instance_path = path;
    r->dev.name = top_name;
    r->dev.offset = at;
    r->payload_off = c->pos;
    r->payload_end = c->end;
    r->in_device = TRUE;
    return TRUE;

truncated:
    return rec_error(r, error, QIDL_ERROR_TRUNCATED, at,
                     "truncated at byte offset %" G_GSIZE_FORMAT, c->end);
}

static gboolean read_end(QidlStreamReader *r, gsize at, Cursor *c,
                         GError **error)
{
    guint32 count, stored, computed;
    gsize after = c->end + STREAM_RECORD_TAIL;

    if (c->end - c->pos != 8) {
        return rec_error(r, error, QIDL_ERROR_INVALID, at,
                         "end record body of %" G_GSIZE_FORMAT " bytes, "
                         "not 8", c->end - c->pos);
    }
    count = get_u32(c->data + c->pos);
    stored = get_u32(c->data + c->pos + 4);
    if (count != r->n_records) {
        return rec_error(r, error, QIDL_ERROR_INVALID, at,
                         "end record counts %" G_GUINT32_FORMAT " records, "
                         "the stream holds %" G_GUINT32_FORMAT, count,
                         r->n_records);
    }
    /* Every byte before this record, combined record by record as
     * qidl_stream_reader_next() passed them. */
    computed = r->stream_crc;
    if (stored != computed) {
        return rec_error(r, error, QIDL_ERROR_INVALID, at,
                         "bad stream checksum (stored 0x%08x, computed "
                         "0x%08x)", stored, computed);
    }
    if (after != r->len) {
        return rec_error(r, error, QIDL_ERROR_UNKNOWN_FIELD, at,
                         "%" G_GSIZE_FORMAT " bytes after the end record "
                         "at byte offset %" G_GSIZE_FORMAT, r->len - after,
                         after);
    }
    r->at_end = TRUE;
    return TRUE;
}

gboolean qidl_stream_reader_next(QidlStreamReader *r,
                                 const QidlStreamDevice **out,
                                 GError **error)
{
    g_return_val_if_fail(r != NULL, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);
    g_return_val_if_fail(!r->failed, FALSE);

    *out = NULL;
    r->in_device = FALSE;
    while (!r->at_end) {
        gsize at = r->pos;
        gsize left = r->len - at;
        guint32 blen, stored, computed;
        guint8 kind;
        Cursor c;

        if (left == 0) {
            r->failed = TRUE;
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                        "truncated at byte offset %" G_GSIZE_FORMAT
                        ": the stream ends without an end record", at);
            return FALSE;
        }
        if (left < STREAM_RECORD_HEAD) {
            return rec_error(r, error, QIDL_ERROR_TRUNCATED, at,
                             "truncated at byte offset %" G_GSIZE_FORMAT,
                             r->len);
        }
        kind = r->data[at];
        blen = get_u32(r->data + at + 1);
        if (left - STREAM_RECORD_HEAD < STREAM_RECORD_TAIL ||
            blen > left - STREAM_RECORD_HEAD - STREAM_RECORD_TAIL) {
            return rec_error(r, error, QIDL_ERROR_TRUNCATED, at,
                             "truncated at byte offset %" G_GSIZE_FORMAT
                             ": the record needs %" G_GUINT64_FORMAT
                             " bytes", r->len,
                             (guint64)blen + STREAM_RECORD_HEAD +
                             STREAM_RECORD_TAIL);
        }
        c = (Cursor) { r->data, at + STREAM_RECORD_HEAD,
                       at + STREAM_RECORD_HEAD + blen };
        stored = get_u32(r->data + c.end);
        computed = qidl_crc32c__update(0, r->data + at,
                                       STREAM_RECORD_HEAD + blen);
        if (stored != computed) {
            return rec_error(r, error, QIDL_ERROR_INVALID, at,
                             "bad checksum at byte offset %" G_GSIZE_FORMAT
                             " (stored 0x%08x, computed 0x%08x)", c.end,
                             stored, computed);
        }
        r->pos = c.end + STREAM_RECORD_TAIL;
        if (kind != QIDL_STREAM_RECORD_END) {
            /* The record and its checksum, which is right; the length's
             * operator kept if the reader reads again and again. */
            gsize len = STREAM_RECORD_HEAD + blen + STREAM_RECORD_TAIL;

            r->stream_crc = r->shifts ?
                qidl_crc32c__combine_cached(r->shifts, r->stream_crc,
                                            QIDL_CRC32C_RESIDUE,
                                            (guint32)len) :
                qidl_crc32c__combine(r->stream_crc, QIDL_CRC32C_RESIDUE, len);
        }

        switch (kind) {
        case QIDL_STREAM_RECORD_DEVICE:
            if (!read_device_head(r, at, &c, error)) {
                return FALSE;
            }
            r->n_records++;
            *out = &r->dev;
            return TRUE;
        case QIDL_STREAM_RECORD_END:
            return read_end(r, at, &c, error);
        case QIDL_STREAM_RECORD_METADATA:
            if (!read_metadata(r, at, &c, error)) {
                return FALSE;
            }
            break;
        default:
            if (stream_kind_preservable(kind)) {
                qidl_stream_info_add_record(r->info, kind, r->last_path,
                                            r->data + c.pos, blen);
            } else if (kind == 0 || kind == QIDL_STREAM_RECORD_OPTIONAL) {
                return rec_error(r, error, QIDL_ERROR_INVALID, at,
                                 "reserved record kind 0x%02x", kind);
            } else {
                return rec_error(r, error, QIDL_ERROR_VERSION, at,
                                 "unknown mandatory record kind 0x%02x "
                                 "(this reader reads format %u.%u)", kind,
                                 QIDL_STREAM_FORMAT_MAJOR,
                                 QIDL_STREAM_FORMAT_MINOR);
            }
            break;
        }
        r->n_records++;
    }
    return TRUE;
}

/* ---- shared by the direct visitor and the tree reader ---- */

/* TRUE for tags 1..15; the wire tags are the QidlKind values. */
static gboolean tag_valid(guint8 tag)
{
    return tag >= QIDL_KIND_FIRST && tag <= QIDL_KIND_LAST;
}


static inline gboolean kind_is_scalar(guint8 kind)
{
    return kind >= QIDL_KIND_BOOL && kind <= QIDL_KIND_DOUBLE;
}

/* ---- the direct input visitor ---- */

typedef struct {
    QidlKind kind;
    guint32 left;        /* fields or elements not yet read */
    QidlKind packed;     /* lists: the element kind if packed, else 0 */
} InFrame;

typedef struct StreamInput {
    QidlVisitor parent;
    QidlStreamReader *r;   /* borrowed */
    const char *type;      /* the reader's, which the visitor must not */
    const char *path;      /* outlive (stream.h) */
    const guint8 *data;
    gsize pos;
    gsize end;
    guint n_names;         /* names this record may use */
    QidlTreeInputFlags flags;
    gboolean top_read;
    guint n_frames;
    /* Large and written before it is read: not cleared. */
    InFrame frames[QIDL_LIMIT_DEPTH];
} StreamInput;

static StreamInput *to_si(QidlVisitor *v)
{
    return (StreamInput *)v;
}

static gboolean in_error(QidlVisitor *v, GError **error, int code,
                         const char *format, ...) G_GNUC_PRINTF(4, 5);

/* "device P (T): path: message" */
static void in_verror(QidlVisitor *v, const char *path, GError **error,
                      int code, const char *format, va_list ap)
    G_GNUC_PRINTF(5, 0);

static void in_verror(QidlVisitor *v, const char *path, GError **error,
                      int code, const char *format, va_list ap)
{
    StreamInput *si = to_si(v);
    g_autofree char *msg = g_strdup_vprintf(format, ap);

    g_set_error(error, QIDL_ERROR, code, "device %s (%s): %s%s%s", si->path,
                si->type, path, *path ? ": " : "", msg);
}

static gboolean in_error(QidlVisitor *v, GError **error, int code,
                         const char *format, ...)
{
    g_autofree char *path = qidl_visitor_get_path(v);
    va_list ap;

    va_start(ap, format);
    in_verror(v, path, error, code, format, ap);
    va_end(ap);
    return FALSE;
}

static gboolean in_need(QidlVisitor *v, gsize n, GError **error)
{
    StreamInput *si = to_si(v);

    if (si->end - si->pos < n) {
        return in_error(v, error, QIDL_ERROR_TRUNCATED,
                        "truncated at byte offset %" G_GSIZE_FORMAT
                        " (need %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT
                        " left in the record)", si->pos, n,
                        si->end - si->pos);
    }
    return TRUE;
}

static const char *in_name(QidlVisitor *v, guint16 idx, GError **error)
{
    StreamInput *si = to_si(v);

    if (idx >= si->n_names) {
        in_error(v, error, QIDL_ERROR_INVALID,
                 "name index %u at byte offset %" G_GSIZE_FORMAT " is not "
                 "defined", idx, si->pos);
        return NULL;
    }
    return reader_name(si->r, idx);
}

/*
 * Skips one value (its tag first) without recursion: @stack holds how many
 * fields or elements each open container still has.
 */
static gboolean in_skip_value(QidlVisitor *v, GError **error)
{
    StreamInput *si = to_si(v);
    struct {
        gboolean is_struct;
        guint32 left;
    } stack[QIDL_LIMIT_DEPTH];
    guint depth = 0;
    guint max_depth = QIDL_LIMIT_DEPTH - MIN(si->n_frames, QIDL_LIMIT_DEPTH);

    for (;;) {
        guint8 tag;
        guint32 n;

        if (!in_need(v, 1, error)) {
            return FALSE;
        }
        tag = si->data[si->pos];
        if (!tag_valid(tag)) {
            return in_error(v, error, QIDL_ERROR_INVALID,
                            "invalid tag 0x%02x at byte offset %"
                            G_GSIZE_FORMAT, tag, si->pos);
        }
        si->pos++;
        if (kind_is_scalar(tag)) {
            if (!in_need(v, qidl_kind__scalar_size(tag), error)) {
                return FALSE;
            }
            si->pos += qidl_kind__scalar_size(tag);
        } else if (tag == QIDL_KIND_STRING || tag == QIDL_KIND_BYTES) {
            if (!in_need(v, 4, error)) {
                return FALSE;
            }
            n = get_u32(si->data + si->pos);
            si->pos += 4;
            if (!in_need(v, n, error)) {
                return FALSE;
            }
            si->pos += n;
        } else {
            guint8 ek = 0;

            if (depth >= max_depth) {
                return in_error(v, error, QIDL_ERROR_LIMIT,
                                "nesting deeper than %u levels at byte "
                                "offset %" G_GSIZE_FORMAT, QIDL_LIMIT_DEPTH,
                                si->pos);
            }
            if (tag == QIDL_KIND_LIST) {
                if (!in_need(v, 1, error)) {
                    return FALSE;
                }
                ek = si->data[si->pos++];
            }
            if (!in_need(v, 4, error)) {
                return FALSE;
            }
            n = get_u32(si->data + si->pos);
            si->pos += 4;
            if (ek) {
                if (!kind_is_scalar(ek)) {
                    return in_error(v, error, QIDL_ERROR_INVALID,
                                    "invalid element kind 0x%02x at byte "
                                    "offset %" G_GSIZE_FORMAT, ek,
                                    si->pos - 5);
                }
                if (n > (si->end - si->pos) / qidl_kind__scalar_size(ek)) {
                    return in_need(v, (gsize)n * qidl_kind__scalar_size(ek),
                                   error);
                }
                si->pos += (gsize)n * qidl_kind__scalar_size(ek);
            } else {
                stack[depth].is_struct = tag == QIDL_KIND_STRUCT;
                stack[depth].left = n;
                depth++;
            }
        }
        /* Close finished containers; position at the next value. */
        for (;;) {
            if (depth == 0) {
                return TRUE;
            }
            if (stack[depth - 1].left == 0) {
                depth--;
                continue;
            }
            stack[depth - 1].left--;
            if (stack[depth - 1].is_struct) {
                if (!in_need(v, 2, error)) {
                    return FALSE;
                }
                si->pos += 2;
            }
            break;
        }
    }
}

/*
 * Positions at the value of field @name of the current struct: the next
 * field must be it (unknown ones are skipped if allowed).  With @peek, a
 * missing field is not an error and a found one is not consumed.
 */
static gboolean in_find_field(QidlVisitor *v, const char *name, gboolean peek,
                              gboolean *found, GError **error)
{
    StreamInput *si = to_si(v);
    InFrame *f = &si->frames[si->n_frames - 1];

    *found = FALSE;
    while (f->left > 0) {
        const char *fname;
        guint16 idx;

        if (!in_need(v, 2, error) ||
            !(fname = in_name(v, idx = get_u16(si->data + si->pos),
                              error))) {
            return FALSE;
        }
        if (reader_name_is(si->r, idx, name)) {
            *found = TRUE;
            if (!peek) {
                si->pos += 2;
                f->left--;
            }
            return TRUE;
        }
        if (!(si->flags & QIDL_TREE_INPUT_ALLOW_UNKNOWN)) {
            if (peek) {
                return TRUE;
            }
            return in_error(v, error, QIDL_ERROR_MISSING_FIELD,
                            "not next in the stream: found field %s at "
                            "byte offset %" G_GSIZE_FORMAT " (the direct "
                            "reader takes fields in visit order)", fname,
                            si->pos);
        }
        si->pos += 2;
        f->left--;
        if (!in_skip_value(v, error)) {
            return FALSE;
        }
    }
    if (peek) {
        return TRUE;
    }
    return in_error(v, error, QIDL_ERROR_MISSING_FIELD,
                    "missing at byte offset %" G_GSIZE_FORMAT
                    " (no more fields in the struct)", si->pos);
}

/*
 * Positions at the body of the next value, which the visit asks for as
 * @want, after checking its kind.
 */
static gboolean in_locate(QidlVisitor *v, const char *name, QidlKind want,
                          GError **error)
{
    StreamInput *si = to_si(v);
    QidlKind found;
    gsize at;

    if (si->n_frames == 0) {
        if (si->top_read) {
            return in_error(v, error, QIDL_ERROR_UNSUPPORTED,
                            "a device record holds one top-level value");
        }
        si->top_read = TRUE;
        /* The top-level name was checked by qidl_stream_reader_next(). */
        si->pos += 2;
    } else {
        InFrame *f = &si->frames[si->n_frames - 1];

        if (f->kind == QIDL_KIND_STRUCT) {
            gboolean present;

            if (!in_find_field(v, name, FALSE, &present, error)) {
                return FALSE;
            }
        } else {
            f->left--;
            if (f->packed) {
                found = f->packed;
                at = si->pos;
                goto check;
            }
        }
    }
    if (!in_need(v, 1, error)) {
        return FALSE;
    }
    at = si->pos;
    found = si->data[si->pos];
    if (!tag_valid(found)) {
        return in_error(v, error, QIDL_ERROR_INVALID,
                        "invalid tag 0x%02x at byte offset %" G_GSIZE_FORMAT,
                        found, at);
    }
    si->pos++;
check:
    if (found != want) {
        return in_error(v, error, QIDL_ERROR_TYPE_MISMATCH,
                        "expected %s, found %s at byte offset %"
                        G_GSIZE_FORMAT, qidl_kind_name(want),
                        qidl_kind_name(found), at);
    }
    return TRUE;
}

/*
 * The common case of in_locate(), inlined into the callbacks: the next
 * value is a field of the current struct called @name, with tag @want
 * (the visit asks for fields in the order the same visit wrote them).
 * Changes nothing unless it returns TRUE; then in_locate(), which also
 * makes every error, is not needed.
 */
static inline gboolean in_locate_fast(StreamInput *si, const char *name,
                                      QidlKind want)
{
    InFrame *f;
    const guint8 *p;
    guint idx;

    if (G_UNLIKELY(si->n_frames == 0)) {
        return FALSE;
    }
    f = &si->frames[si->n_frames - 1];
    if (f->kind != QIDL_KIND_STRUCT || f->left == 0 ||
        si->end - si->pos < 3) {
        return FALSE;
    }
    p = si->data + si->pos;
    idx = get_u16(p);
    if (idx >= si->n_names || p[2] != want ||
        !reader_name_is(si->r, idx, name)) {
        return FALSE;
    }
    f->left--;
    si->pos += 3;
    return TRUE;
}

static gboolean in_start_struct(QidlVisitor *v, const char *name,
                                GError **error)
{
    StreamInput *si = to_si(v);
    guint32 n;

    if ((!in_locate_fast(si, name, QIDL_KIND_STRUCT) &&
         !in_locate(v, name, QIDL_KIND_STRUCT, error)) ||
        !in_need(v, 4, error)) {
        return FALSE;
    }
    n = get_u32(si->data + si->pos);
    /* Each field takes at least a name index and a tag. */
    if (n > (si->end - si->pos - 4) / 3) {
        return in_error(v, error, QIDL_ERROR_TRUNCATED,
                        "truncated: %" G_GUINT32_FORMAT " fields at byte "
                        "offset %" G_GSIZE_FORMAT " do not fit in the %"
                        G_GSIZE_FORMAT " bytes left in the record", n,
                        si->pos, si->end - si->pos - 4);
    }
    si->pos += 4;
    g_return_val_if_fail(si->n_frames < QIDL_LIMIT_DEPTH, FALSE);
    si->frames[si->n_frames++] = (InFrame) { QIDL_KIND_STRUCT, n, 0 };
    return TRUE;
}

static gboolean in_end_struct(QidlVisitor *v, GError **error)
{
    StreamInput *si = to_si(v);
    InFrame *f = &si->frames[si->n_frames - 1];

    while (f->left > 0) {
        const char *fname;

        if (!in_need(v, 2, error) ||
            !(fname = in_name(v, get_u16(si->data + si->pos), error))) {
            return FALSE;
        }
        if (!(si->flags & QIDL_TREE_INPUT_ALLOW_UNKNOWN)) {
            return in_error(v, error, QIDL_ERROR_UNKNOWN_FIELD,
                            "unknown field %s at byte offset %"
                            G_GSIZE_FORMAT, fname, si->pos);
        }
        si->pos += 2;
        f->left--;
        if (!in_skip_value(v, error)) {
            return FALSE;
        }
    }
    si->n_frames--;
    return TRUE;
}

/*
 * Reads a list's head: its element kind (0: tagged) into *@ek and its
 * count, checked against the bytes left and, unless counted, against
 * *@count; positions at the first element.
 */
static gboolean in_list_head(QidlVisitor *v, const char *name,
                             QidlListKind kind, guint32 *count, guint8 *ek,
                             GError **error)
{
    StreamInput *si = to_si(v);
    guint32 n;
    gsize at, left;

    if ((!in_locate_fast(si, name, QIDL_KIND_LIST) &&
         !in_locate(v, name, QIDL_KIND_LIST, error)) ||
        !in_need(v, 5, error)) {
        return FALSE;
    }
    at = si->pos;
    *ek = si->data[at];
    n = get_u32(si->data + at + 1);
    left = si->end - at - 5;
    if (*ek != STREAM_LIST_TAGGED && !kind_is_scalar(*ek)) {
        return in_error(v, error, QIDL_ERROR_INVALID,
                        "invalid element kind 0x%02x at byte offset %"
                        G_GSIZE_FORMAT, *ek, at);
    }
    if (n > QIDL_LIMIT_LIST_LEN) {
        return in_error(v, error, QIDL_ERROR_LIMIT,
                        "%" G_GUINT32_FORMAT " elements at byte offset %"
                        G_GSIZE_FORMAT " exceed the limit of %u", n, at,
                        QIDL_LIMIT_LIST_LEN);
    }
    if (n > left / (*ek ? qidl_kind__scalar_size(*ek) : 1)) {
        return in_error(v, error, QIDL_ERROR_TRUNCATED,
                        "truncated: %" G_GUINT32_FORMAT " elements at byte "
                        "offset %" G_GSIZE_FORMAT " do not fit in the %"
                        G_GSIZE_FORMAT " bytes left in the record", n, at,
                        left);
    }
    if (kind != QIDL_LIST_COUNTED && n != *count) {
        return in_error(v, error, QIDL_ERROR_LENGTH_MISMATCH,
                        "expected %" G_GUINT32_FORMAT " elements, found %"
                        G_GUINT32_FORMAT " at byte offset %" G_GSIZE_FORMAT,
                        *count, n, at);
    }
    si->pos += 5;
    *count = n;
    return TRUE;
}

static gboolean in_start_list(QidlVisitor *v, const char *name,
                              QidlListKind kind, guint32 *count,
                              gsize elem_size, GError **error)
{
    StreamInput *si = to_si(v);
    guint8 ek;

    if (!in_list_head(v, name, kind, count, &ek, error)) {
        return FALSE;
    }
    g_return_val_if_fail(si->n_frames < QIDL_LIMIT_DEPTH, FALSE);
    si->frames[si->n_frames++] = (InFrame) { QIDL_KIND_LIST, *count, ek };
    return TRUE;
}

static gboolean in_end_list(QidlVisitor *v, GError **error)
{
    to_si(v)->n_frames--;
    return TRUE;
}

static gboolean in_value_error(QidlVisitor *v, gint64 element,
                               GError **error, int code,
                               const char *format, ...) G_GNUC_PRINTF(5, 6);

/*
 * An error about the value being read: the scalar the core pushed
 * (@element < 0), or element @element of the array scalar_array reads.
 */
static gboolean in_value_error(QidlVisitor *v, gint64 element,
                               GError **error, int code,
                               const char *format, ...)
{
    g_autofree char *path = element < 0 ? qidl_visitor_get_path(v) :
        qidl_visitor__element_path(v, (guint32)element);
    va_list ap;

    va_start(ap, format);
    in_verror(v, path, error, code, format, ap);
    va_end(ap);
    return FALSE;
}

/* Stores the little-endian value of @size bytes at @p, of @kind, at @obj. */
static inline G_ALWAYS_INLINE void put_value(guint8 *obj, const guint8 *p,
                                             gsize size, QidlKind kind)
{
    switch (size) {
    case 1:
        if (kind == QIDL_KIND_BOOL) {
            *(bool *)obj = p[0];
        } else {
            obj[0] = p[0];
        }
        break;
    case 2: {
        guint16 x = get_u16(p);

        memcpy(obj, &x, 2);
        break;
    }
    case 4: {
        guint32 x = get_u32(p);

        memcpy(obj, &x, 4);
        break;
    }
    default: {
        guint64 x = get_u64(p);

        memcpy(obj, &x, 8);
        break;
    }
    }
}

/*
 * Reads the body of a scalar of @kind at the cursor into @obj (the tag, if
 * any, was read and checked).
 */
static gboolean in_scalar_body(QidlVisitor *v, gint64 element, QidlKind kind,
                               void *obj, GError **error)
{
    StreamInput *si = to_si(v);
    gsize size = qidl_kind__scalar_size(kind);
    const guint8 *p;

    if (si->end - si->pos < size) {
        return in_value_error(v, element, error, QIDL_ERROR_TRUNCATED,
                              "truncated at byte offset %" G_GSIZE_FORMAT
                              " (need %" G_GSIZE_FORMAT " bytes, %"
                              G_GSIZE_FORMAT " left in the record)", si->pos,
                              size, si->end - si->pos);
    }
    /* Not a scalar kind: the core lets none through. */
    g_return_val_if_fail(size > 0, FALSE);
    p = si->data + si->pos;
    if (kind == QIDL_KIND_BOOL && p[0] > 1) {
        return in_value_error(v, element, error, QIDL_ERROR_INVALID,
                              "invalid bool value %u at byte offset %"
                              G_GSIZE_FORMAT, p[0], si->pos);
    }
    put_value(obj, p, size, kind);
    si->pos += size;
    return TRUE;
}

static gboolean in_scalar(QidlVisitor *v, const char *name, QidlKind kind,
                          void *obj, GError **error)
{
    return (in_locate_fast(to_si(v), name, kind) ||
            in_locate(v, name, kind, error)) &&
           in_scalar_body(v, -1, kind, obj, error);
}

/*
 * @count little-endian scalars of @size bytes each to host order.
 */
static void get_le_array(void *dst, const guint8 *src, guint32 count,
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
            ((guint8 *)dst)[i + b] = src[i + size - 1 - b];
        }
    }
#endif
}

/*
 * A whole array: a packed list of its kind is copied at once; anything
 * else is read element by element with the checks (and the messages)
 * in_scalar() makes per element.
 */
static gboolean in_scalar_array(QidlVisitor *v, const char *name,
                                QidlKind kind, QidlListKind list_kind,
                                guint32 count, void *array, GError **error)
{
    StreamInput *si = to_si(v);
    gsize size = qidl_kind__scalar_size(kind);
    guint8 ek;

    if (!in_list_head(v, name, list_kind, &count, &ek, error)) {
        return FALSE;
    }
    if (ek == kind && kind != QIDL_KIND_BOOL) {
        /* in_list_head() checked that the elements are in the record. */
        get_le_array(array, si->data + si->pos, count, size);
        si->pos += (gsize)count * size;
        return TRUE;
    }
    for (guint32 i = 0; i < count; i++) {
        gsize at = si->pos;
        guint8 found = ek;

        if (!found) {
            if (si->pos == si->end) {
                return in_value_error(v, i, error, QIDL_ERROR_TRUNCATED,
                                      "truncated at byte offset %"
                                      G_GSIZE_FORMAT " (need 1 bytes, 0 "
                                      "left in the record)", si->pos);
            }
            found = si->data[si->pos];
            if (!tag_valid(found)) {
                return in_value_error(v, i, error, QIDL_ERROR_INVALID,
                                      "invalid tag 0x%02x at byte offset %"
                                      G_GSIZE_FORMAT, found, at);
            }
            si->pos++;
        }
        if (found != kind) {
            return in_value_error(v, i, error, QIDL_ERROR_TYPE_MISMATCH,
                                  "expected %s, found %s at byte offset %"
                                  G_GSIZE_FORMAT, qidl_kind_name(kind),
                                  qidl_kind_name(found), at);
        }
        if (!in_scalar_body(v, i, kind, (guint8 *)array + i * size, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * Whether the @len bytes at @a and @b are equal, read a word at a time
 * and none past them: the last 1 to 7 bytes with overlapping loads, or
 * three single bytes, which between them cover every byte.
 */
static inline gboolean same_bytes(const guint8 *a, const guint8 *b,
                                  guint len)
{
    guint64 x, y;
    guint32 x4, y4;
    guint i;

    if (len >= 8) {
        for (i = 0; i + 8 < len; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) {
                return FALSE;
            }
        }
        memcpy(&x, a + len - 8, 8);
        memcpy(&y, b + len - 8, 8);
        return x == y;
    }
    if (len >= 4) {
        memcpy(&x4, a, 4);
        memcpy(&y4, b, 4);
        if (x4 != y4) {
            return FALSE;
        }
        memcpy(&x4, a + len - 4, 4);
        memcpy(&y4, b + len - 4, 4);
        return x4 == y4;
    }
    return len == 0 || (a[0] == b[0] && a[len / 2] == b[len / 2] &&
                        a[len - 1] == b[len - 1]);
}

/*
 * Whether name @idx of the name table is @name, whose length a table of
 * qidl_visit_scalar_fields() says is @len.
 */
static inline gboolean reader_name_is_len(const QidlStreamReader *r,
                                          guint idx, const char *name,
                                          guint len)
{
    const SetEntry *e = &r->names.entries[idx];

    g_return_val_if_fail(name[len] == '\0', FALSE);
    return e->len == len && same_bytes(e->raw, (const guint8 *)name, len);
}

/*
 * A run of fields of the struct being read.  The common case inline: the
 * next field of the record is the one asked for, with its tag, its value
 * is in the record and, for a bool, 0 or 1; then the value is copied.
 * Whether the name index is the field's is a comparison of names the
 * first time the stream meets a table, and of indices after that
 * (@tables).  Anything else goes to in_scalar() with the field's segment
 * pushed, which skips unknown fields if allowed and makes every error as
 * the field's own visit would.
 */
/* Field @i's check, if it has one (@checked: @checks is not NULL). */
static inline G_ALWAYS_INLINE const QidlFieldCheck *
field_check(const QidlFieldCheck *checks, const gboolean checked, guint i)
{
    return checked && checks[i].check != QIDL_SCALAR_CHECK_NONE ?
           &checks[i] : NULL;
}

/*
 * Stores the value of field @fld, read into @tmp, if it passes @chk;
 * else fails with generated code's message.
 */
static inline G_ALWAYS_INLINE gboolean
store_checked(QidlVisitor *v, const QidlScalarField *fld,
              const QidlFieldCheck *chk, guint64 *tmp, void *base,
              gsize size, GError **error)
{
    if (!qidl_visitor__field_ok(fld, chk, tmp)) {
        return qidl_visitor__check_field(v, fld, chk, tmp, error);
    }
    memcpy((guint8 *)base + fld->offset, tmp, size);
    return TRUE;
}

/*
 * The loop of in_scalar_fields(), made twice: without checks (@checked
 * FALSE, @checks NULL), as lean as it was before checks existed, and
 * with them.
 *
 * A table met before, whose whole run is in the record and whose names
 * this record may use, is read by a shorter loop first: per field, one
 * comparison of the name index and the tag with what they were (and a
 * bool's value with 1), then the value.  At the first field that differs,
 * the usual loop takes over.
 */
static inline G_ALWAYS_INLINE gboolean
in_fields(QidlVisitor *v, const QidlScalarField *fields,
          const QidlFieldCheck *checks, const gboolean checked,
          guint n_fields, void *base, GError **error)
{
    StreamInput *si = to_si(v);
    QidlStreamReader *r = si->r;
    const QidlStreamFieldsSlot *slot;
    const QidlStreamFieldsLayout *layout;
    const guint16 *known = NULL;
    guint16 *learn = NULL;
    InFrame *f;
    guint i = 0;

    /* The core calls this inside a struct, which has a frame. */
    g_return_val_if_fail(si->n_frames > 0, FALSE);
    f = &si->frames[si->n_frames - 1];
    g_return_val_if_fail(f->kind == QIDL_KIND_STRUCT, FALSE);

    slot = qidl_stream__fields_find_slot(&r->tables, fields, n_fields);
    layout = slot ? &r->tables.layouts[slot - r->tables.slots] : NULL;
    if (!slot) {
        /* Checked once, here (scalar_fields_checks_tables). */
        if (!qidl_visitor__fields_valid(fields, checks, n_fields)) {
            return FALSE;
        }
        learn = qidl_stream__fields_room(&r->tables, n_fields);
    } else {
        known = r->tables.idx + slot->first;
    }
    if (layout && f->left >= n_fields && si->end - si->pos >= layout->len &&
        layout->max_idx < si->n_names) {
        const guint8 *start = si->data + si->pos;
        const guint8 *p = start;

        for (; i < n_fields; i++) {
            const QidlScalarField *fld = &fields[i];
            const QidlFieldCheck *chk = field_check(checks, checked, i);
            guint64 tmp = 0;
            gsize size = qidl_kind__scalar_size(fld->kind);
            guint32 head = get_u32(p);

            /* Every field takes 4 bytes at least: all are in the run. */
            if (G_UNLIKELY((head & 0xffffff) !=
                           (known[i] | (guint32)fld->kind << 16) ||
                           (fld->kind == QIDL_KIND_BOOL && p[3] > 1))) {
                break;
            }
            put_value(G_UNLIKELY(chk) ? (guint8 *)&tmp :
                      (guint8 *)base + fld->offset, p + 3, size, fld->kind);
            p += 3 + size;
            if (G_UNLIKELY(chk) &&
                !store_checked(v, fld, chk, &tmp, base, size, error)) {
                si->pos += (gsize)(p - start);
                f->left -= i + 1;
                return FALSE;
            }
        }
        si->pos += (gsize)(p - start);
        f->left -= i;
    }
    for (; i < n_fields; i++) {
        const QidlScalarField *fld = &fields[i];
        const QidlFieldCheck *chk = field_check(checks, checked, i);
        /* A checked field is read here and stored once it passed. */
        guint64 tmp = 0;
        guint8 *obj = G_UNLIKELY(chk) ? (guint8 *)&tmp :
                      (guint8 *)base + fld->offset;
        gsize size = qidl_kind__scalar_size(fld->kind);
        const guint8 *p = si->data + si->pos;
        guint idx;

        if (G_LIKELY(f->left > 0 && si->end - si->pos >= 3 + size &&
                     (idx = get_u16(p)) < si->n_names &&
                     p[2] == fld->kind &&
                     (fld->kind != QIDL_KIND_BOOL || p[3] <= 1) &&
                     (known ? idx == known[i] :
                      reader_name_is_len(r, idx, fld->name,
                                         fld->name_len)))) {
            if (learn) {
                learn[i] = (guint16)idx;
            }
            put_value(obj, p + 3, size, fld->kind);
            f->left--;
            si->pos += 3 + size;
        } else {
            /* A table read otherwise than in order is not learnt. */
            learn = NULL;
            qidl_visitor__push_field(v, fld);
            if (!in_scalar(v, fld->name, fld->kind, obj, error)) {
                return FALSE;
            }
            qidl_visitor__pop_field(v);
        }
        if (G_UNLIKELY(chk) &&
            !store_checked(v, fld, chk, &tmp, base, size, error)) {
            return FALSE;
        }
    }
    if (learn) {
        qidl_stream__fields_add(&r->tables, fields, n_fields);
    }
    return TRUE;
}

static gboolean in_scalar_fields(QidlVisitor *v,
                                 const QidlScalarField *fields,
                                 const QidlFieldCheck *checks,
                                 guint n_fields, void *base, GError **error)
{
    return checks ? in_fields(v, fields, checks, TRUE, n_fields, base, error) :
                    in_fields(v, fields, NULL, FALSE, n_fields, base, error);
}

static gboolean in_string(QidlVisitor *v, const char *name, char **obj,
                          GError **error)
{
    StreamInput *si = to_si(v);
    guint32 n;
    gsize at;

    if (!in_locate(v, name, QIDL_KIND_STRING, error) ||
        !in_need(v, 4, error)) {
        return FALSE;
    }
    at = si->pos;
    n = get_u32(si->data + at);
    if (n > QIDL_LIMIT_STRING_LEN) {
        return in_error(v, error, QIDL_ERROR_LIMIT,
                        "string of %" G_GUINT32_FORMAT " bytes at byte "
                        "offset %" G_GSIZE_FORMAT " exceeds the limit of %u",
                        n, at, QIDL_LIMIT_STRING_LEN);
    }
    si->pos += 4;
    if (!in_need(v, n, error)) {
        return FALSE;
    }
    if (!qidl_stream__text_ok((const char *)si->data + si->pos, n, n)) {
        return in_error(v, error, QIDL_ERROR_INVALID,
                        "string at byte offset %" G_GSIZE_FORMAT " is not "
                        "UTF-8 without NUL", at);
    }
    *obj = g_strndup((const char *)si->data + si->pos, n);
    si->pos += n;
    return TRUE;
}

static gboolean in_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                         gsize len, GError **error)
{
    StreamInput *si = to_si(v);
    guint32 n;

    if ((!in_locate_fast(si, name, QIDL_KIND_BYTES) &&
         !in_locate(v, name, QIDL_KIND_BYTES, error)) ||
        !in_need(v, 4, error)) {
        return FALSE;
    }
    n = get_u32(si->data + si->pos);
    if (n != len) {
        return in_error(v, error, QIDL_ERROR_LENGTH_MISMATCH,
                        "expected %" G_GSIZE_FORMAT " bytes, found %"
                        G_GUINT32_FORMAT " at byte offset %" G_GSIZE_FORMAT,
                        len, n, si->pos);
    }
    si->pos += 4;
    if (!in_need(v, n, error)) {
        return FALSE;
    }
    if (n) {
        memcpy(buf, si->data + si->pos, n);
    }
    si->pos += n;
    return TRUE;
}

/* Present when the struct's next field (after unknown ones, if allowed)
 * is @name. */
static gboolean in_optional(QidlVisitor *v, const char *name,
                            QidlPresence how, bool *present, GError **error)
{
    gboolean found;

    if (!in_find_field(v, name, TRUE, &found, error)) {
        return FALSE;
    }
    *present = found;
    return TRUE;
}

static gboolean in_complete(QidlVisitor *v, GError **error)
{
    StreamInput *si = to_si(v);

    if (!si->top_read) {
        return in_error(v, error, QIDL_ERROR_MISSING_FIELD,
                        "the device's state was not visited");
    }
    if (si->pos != si->end) {
        return in_error(v, error, QIDL_ERROR_UNKNOWN_FIELD,
                        "%" G_GSIZE_FORMAT " bytes of state left at byte "
                        "offset %" G_GSIZE_FORMAT, si->end - si->pos,
                        si->pos);
    }
    return TRUE;
}

/* A visitor does not outlive its reader (stream.h), which keeps one. */
static void in_free(QidlVisitor *v)
{
    StreamInput *si = to_si(v);

    if (!si->r->spare) {
        si->r->spare = si;
    } else {
        g_free(si);
    }
}

QidlVisitor *qidl_stream_reader_device_visitor(QidlStreamReader *r,
                                               QidlTreeInputFlags flags)
{
    StreamInput *si;

    g_return_val_if_fail(r != NULL, NULL);
    g_return_val_if_fail(r->in_device, NULL);

    /* Only what is read before it is written is cleared: not the frames,
     * nor the core's path stack (a few KiB per device). */
    si = r->spare ? r->spare : g_malloc(sizeof(*si));
    r->spare = NULL;
    memset(&si->parent, 0, offsetof(QidlVisitor, segments));
    memset(&si->r, 0, offsetof(StreamInput, frames) -
                      offsetof(StreamInput, r));
    si->parent.start_struct = in_start_struct;
    si->parent.end_struct = in_end_struct;
    si->parent.start_list = in_start_list;
    si->parent.end_list = in_end_list;
    si->parent.scalar = in_scalar;
    si->parent.scalar_array = in_scalar_array;
    si->parent.scalar_fields = in_scalar_fields;
    si->parent.scalar_fields_checks_tables = TRUE;
    si->parent.string = in_string;
    si->parent.bytes = in_bytes;
    si->parent.optional = in_optional;
    si->parent.complete = in_complete;
    si->parent.free = in_free;
    qidl_visitor__init(&si->parent, QIDL_VISITOR_INPUT);
    si->r = r;
    si->type = r->dev_type;
    si->path = r->dev_path;
    si->data = r->data;
    si->pos = r->payload_off;
    si->end = r->payload_end;
    si->n_names = r->first_new + r->n_new;
    si->flags = flags;
    qidl_visitor_set_version(&si->parent, r->dev.version);
    return &si->parent;
}

/* ---- the tree reader ---- */

typedef struct {
    QidlNode *node;
    QidlKind kind;
    guint32 left;         /* fields or elements not yet read */
    guint32 count;        /* lists: the element count */
    guint32 index;        /* lists: index of the next element */
    QidlKind packed;      /* lists: element kind if packed */
    QidlKind first;       /* tagged lists: the first element's tag */
    gboolean uniform;     /* tagged lists: all elements scalars of first */
    guint64 serial;       /* structs: identifies it in @seen */
    const char *label;    /* name in its struct, or NULL in a list */
    guint32 label_index;  /* index in its list */
} TreeFrame;

typedef struct {
    QidlStreamReader *r;
    QidlTree *tree;
    Cursor c;
    guint next_new;       /* the next name of this record to be first used */
    guint64 next_serial;
    guint32 *n_values;    /* across the stream */
    GHashTable *seen;     /* (serial << 16 | name index) + 1 */
    TreeFrame frames[QIDL_LIMIT_DEPTH];
    guint n_frames;
    /* The value being read, for its path. */
    const char *cur_label;
    gint64 cur_index;     /* -1 unless in a list */
} TreeRead;

static gboolean tree_error(TreeRead *t, GError **error, int code,
                           const char *format, ...) G_GNUC_PRINTF(4, 5);

/* "device P (T): path: message", the path built from the stack. */
static gboolean tree_error(TreeRead *t, GError **error, int code,
                           const char *format, ...)
{
    g_autoptr(GString) msg = g_string_new(NULL);
    va_list ap;

    g_string_append_printf(msg, "device %s (%s): ", t->r->dev_path,
                           t->r->dev_type);
    for (guint i = 0; i < t->n_frames; i++) {
        if (!t->frames[i].label) {
            g_string_append_printf(msg, "[%" G_GUINT32_FORMAT "]",
                                   t->frames[i].label_index);
        } else {
            g_string_append_printf(msg, "%s%s", i ? "." : "",
                                   t->frames[i].label);
        }
    }
    if (t->cur_index >= 0) {
        g_string_append_printf(msg, "[%" G_GINT64_FORMAT "]", t->cur_index);
    } else if (t->cur_label) {
        g_string_append_printf(msg, "%s%s", t->n_frames ? "." : "",
                               t->cur_label);
    }
    if (t->n_frames || t->cur_label || t->cur_index >= 0) {
        g_string_append(msg, ": ");
    }
    va_start(ap, format);
    g_string_append_vprintf(msg, format, ap);
    va_end(ap);
    g_set_error_literal(error, QIDL_ERROR, code, msg->str);
    t->r->failed = TRUE;
    return FALSE;
}

static gboolean tree_need(TreeRead *t, gsize n, GError **error)
{
    if (!cur_has(&t->c, n)) {
        return tree_error(t, error, QIDL_ERROR_TRUNCATED,
                          "truncated at byte offset %" G_GSIZE_FORMAT
                          " (need %" G_GSIZE_FORMAT " bytes, %"
                          G_GSIZE_FORMAT " left in the record)", t->c.pos, n,
                          t->c.end - t->c.pos);
    }
    return TRUE;
}

/*
 * Reads a name index and enforces the canonical definition order: a name
 * of this record is first used in the order it was defined.
 */
static const char *tree_name(TreeRead *t, GError **error)
{
    QidlStreamReader *r = t->r;
    gsize at = t->c.pos;
    guint idx;

    if (!tree_need(t, 2, error)) {
        return NULL;
    }
    idx = get_u16(t->c.data + at);
    if (idx >= r->first_new + r->n_new) {
        tree_error(t, error, QIDL_ERROR_INVALID, "name index %u at byte "
                   "offset %" G_GSIZE_FORMAT " is not defined", idx, at);
        return NULL;
    }
    if (idx >= t->next_new) {
        if (idx != t->next_new) {
            tree_error(t, error, QIDL_ERROR_INVALID,
                       "name index %u at byte offset %" G_GSIZE_FORMAT
                       " is used before name index %u (names are defined "
                       "in order of first use)", idx, at, t->next_new);
            return NULL;
        }
        t->next_new++;
    }
    t->c.pos += 2;
    return reader_name(r, idx);
}

/* Creates the node of a scalar whose @size bytes are at the cursor. */
static QidlNode *tree_scalar(TreeRead *t, QidlKind kind, const char *name,
                             GError **error)
{
    const guint8 *p = t->c.data + t->c.pos;
    QidlNode *n = NULL;
    guint32 u32;
    guint64 u64;
    float f;
    double d;

    switch (kind) {
    case QIDL_KIND_BOOL:
        if (p[0] > 1) {
            tree_error(t, error, QIDL_ERROR_INVALID, "invalid bool value "
                       "%u at byte offset %" G_GSIZE_FORMAT, p[0], t->c.pos);
            return NULL;
        }
        n = qidl_node_new_bool(t->tree, name, p[0]);
        break;
    case QIDL_KIND_INT8:
        n = qidl_node_new_int(t->tree, name, kind, (gint8)p[0]);
        break;
    case QIDL_KIND_UINT8:
        n = qidl_node_new_uint(t->tree, name, kind, p[0]);
        break;
    case QIDL_KIND_INT16:
        n = qidl_node_new_int(t->tree, name, kind, (gint16)get_u16(p));
        break;
    case QIDL_KIND_UINT16:
        n = qidl_node_new_uint(t->tree, name, kind, get_u16(p));
        break;
    case QIDL_KIND_INT32:
        n = qidl_node_new_int(t->tree, name, kind, (gint32)get_u32(p));
        break;
    case QIDL_KIND_UINT32:
        n = qidl_node_new_uint(t->tree, name, kind, get_u32(p));
        break;
    case QIDL_KIND_INT64:
        n = qidl_node_new_int(t->tree, name, kind, (gint64)get_u64(p));
        break;
    case QIDL_KIND_UINT64:
        n = qidl_node_new_uint(t->tree, name, kind, get_u64(p));
        break;
    case QIDL_KIND_FLOAT:
        u32 = get_u32(p);
        memcpy(&f, &u32, 4);
        n = qidl_node_new_float(t->tree, name, kind, f);
        break;
    case QIDL_KIND_DOUBLE:
        u64 = get_u64(p);
        memcpy(&d, &u64, 8);
        n = qidl_node_new_float(t->tree, name, kind, d);
        break;
    default:
        g_return_val_if_reached(NULL);
    }
    t->c.pos += qidl_kind__scalar_size(kind);
    return n;
}

static gboolean tree_push(TreeRead *t, QidlNode *node, QidlKind kind,
                          guint32 n, QidlKind packed, GError **error)
{
    TreeFrame *f;

    if (t->n_frames >= QIDL_LIMIT_DEPTH) {
        return tree_error(t, error, QIDL_ERROR_LIMIT,
                          "nesting deeper than %u levels at byte offset %"
                          G_GSIZE_FORMAT, QIDL_LIMIT_DEPTH, t->c.pos);
    }
    f = &t->frames[t->n_frames++];
    *f = (TreeFrame) {
        .node = node,
        .kind = kind,
        .left = n,
        .count = n,
        .packed = packed,
        .label = t->cur_label,
        .label_index = t->cur_index >= 0 ? (guint32)t->cur_index : 0,
    };
    if (kind == QIDL_KIND_STRUCT) {
        f->serial = t->next_serial++;
    }
    return TRUE;
}

/* Reads the body of a value of kind @tag into a new node of @parent. */
static gboolean tree_value(TreeRead *t, QidlNode *parent, QidlKind tag,
                           const char *name, GError **error)
{
    gsize at = t->c.pos;
    QidlNode *node = NULL;
    guint32 n;

    if (++*t->n_values > QIDL_LIMIT_STREAM_VALUES) {
        return tree_error(t, error, QIDL_ERROR_LIMIT,
                          "more than %u values in one stream",
                          QIDL_LIMIT_STREAM_VALUES);
    }
    if (kind_is_scalar(tag)) {
        if (!tree_need(t, qidl_kind__scalar_size(tag), error) ||
            !(node = tree_scalar(t, tag, name, error))) {
            return FALSE;
        }
        return qidl_node_append(parent, node, error);
    }
    if (!tree_need(t, tag == QIDL_KIND_LIST ? 5 : 4, error)) {
        return FALSE;
    }
    switch (tag) {
    case QIDL_KIND_STRING:
    case QIDL_KIND_BYTES: {
        gsize max = tag == QIDL_KIND_STRING ? QIDL_LIMIT_STRING_LEN
                                            : QIDL_LIMIT_LIST_LEN;
        const char *p;

        n = get_u32(t->c.data + at);
        if (n > max) {
            return tree_error(t, error, QIDL_ERROR_LIMIT,
                              "%" G_GUINT32_FORMAT " bytes at byte offset %"
                              G_GSIZE_FORMAT " exceed the limit of %"
                              G_GSIZE_FORMAT, n, at, max);
        }
        t->c.pos += 4;
        if (!tree_need(t, n, error)) {
            return FALSE;
        }
        p = (const char *)t->c.data + t->c.pos;
        if (tag == QIDL_KIND_STRING) {
            g_autofree char *s = NULL;

            if (!qidl_stream__text_ok(p, n, n)) {
                return tree_error(t, error, QIDL_ERROR_INVALID,
                                  "string at byte offset %" G_GSIZE_FORMAT
                                  " is not UTF-8 without NUL", at);
            }
            s = g_strndup(p, n);
            node = qidl_node_new_string(t->tree, name, s);
        } else {
            node = qidl_node_new_bytes(t->tree, name, (const guint8 *)p, n);
        }
        t->c.pos += n;
        return qidl_node_append(parent, node, error);
    }
    case QIDL_KIND_STRUCT:
        n = get_u32(t->c.data + at);
        if (n > (t->c.end - at - 4) / 3) {
            return tree_error(t, error, QIDL_ERROR_TRUNCATED,
                              "truncated: %" G_GUINT32_FORMAT " fields at "
                              "byte offset %" G_GSIZE_FORMAT " do not fit "
                              "in the %" G_GSIZE_FORMAT " bytes left in the "
                              "record", n, at, t->c.end - at - 4);
        }
        t->c.pos += 4;
        node = qidl_node_new_struct(t->tree, name);
        if (parent && !qidl_node_append(parent, node, error)) {
            return FALSE;
        }
        return tree_push(t, node, tag, n, 0, error);
    case QIDL_KIND_LIST: {
        guint8 ek = t->c.data[at];

        n = get_u32(t->c.data + at + 1);
        if (ek != STREAM_LIST_TAGGED && !kind_is_scalar(ek)) {
            return tree_error(t, error, QIDL_ERROR_INVALID,
                              "invalid element kind 0x%02x at byte offset %"
                              G_GSIZE_FORMAT, ek, at);
        }
        if (n > QIDL_LIMIT_LIST_LEN) {
            return tree_error(t, error, QIDL_ERROR_LIMIT,
                              "%" G_GUINT32_FORMAT " elements at byte "
                              "offset %" G_GSIZE_FORMAT " exceed the limit "
                              "of %u", n, at, QIDL_LIMIT_LIST_LEN);
        }
        if (n > (t->c.end - at - 5) / (ek ? qidl_kind__scalar_size(ek) : 1)) {
            return tree_error(t, error, QIDL_ERROR_TRUNCATED,
                              "truncated: %" G_GUINT32_FORMAT " elements at "
                              "byte offset %" G_GSIZE_FORMAT " do not fit "
                              "in the %" G_GSIZE_FORMAT " bytes left in the "
                              "record", n, at, t->c.end - at - 5);
        }
        if (ek && n == 0) {
            return tree_error(t, error, QIDL_ERROR_INVALID,
                              "empty list at byte offset %" G_GSIZE_FORMAT
                              " is packed (not canonical)", at);
        }
        t->c.pos += 5;
        node = qidl_node_new_list(t->tree, name);
        if (!qidl_node_append(parent, node, error)) {
            return FALSE;
        }
        return tree_push(t, node, tag, n, ek, error);
    }
    default:
        g_return_val_if_reached(FALSE);
    }
}

/* Reads the current device record's state into a device root of @tree. */
static gboolean tree_read_device(QidlStreamReader *r, QidlTree *tree,
                                 guint32 *n_values, GHashTable *seen,
                                 GError **error)
{
    g_autofree TreeRead *t = g_new0(TreeRead, 1);
    QidlNode *dev;
    const char *top;

    *t = (TreeRead) {
        .r = r,
        .tree = tree,
        .c = { r->data, r->payload_off, r->payload_end },
        .next_new = r->first_new,
        .n_values = n_values,
        .seen = seen,
        .cur_index = -1,
    };
    g_hash_table_remove_all(seen);

    top = tree_name(t, error);
    if (!top) {
        return FALSE;
    }
    t->cur_label = top;
    t->c.pos++;           /* the struct tag, checked by _next() */
    if (!tree_value(t, NULL, QIDL_KIND_STRUCT, top, error)) {
        return FALSE;
    }
    dev = t->frames[0].node;
    qidl_node_set_device(dev, r->dev_type, r->dev_path, r->dev.version);
    if (!qidl_node_append(qidl_tree_get_root(tree), dev, error)) {
        return FALSE;
    }

    while (t->n_frames > 0) {
        TreeFrame *f = &t->frames[t->n_frames - 1];
        const char *name = NULL;
        guint8 tag;

        t->cur_label = NULL;
        t->cur_index = -1;
        if (f->left == 0) {
            if (f->kind == QIDL_KIND_LIST && !f->packed && f->count > 0 &&
                f->uniform) {
                return tree_error(t, error, QIDL_ERROR_INVALID,
                                  "list of %" G_GUINT32_FORMAT " %s values "
                                  "is not packed (not canonical)", f->count,
                                  qidl_kind_name(f->first));
            }
            t->n_frames--;
            continue;
        }
        f->left--;
        if (f->kind == QIDL_KIND_STRUCT) {
            gpointer key;
            gsize at = t->c.pos;

            if (!(name = tree_name(t, error))) {
                return FALSE;
            }
            t->cur_label = name;
            key = GSIZE_TO_POINTER((gsize)((f->serial << 16 |
                                            get_u16(t->c.data + at)) + 1));
            if (g_hash_table_contains(t->seen, key)) {
                return tree_error(t, error, QIDL_ERROR_INVALID,
                                  "duplicate field at byte offset %"
                                  G_GSIZE_FORMAT, at);
            }
            g_hash_table_add(t->seen, key);
        } else {
            t->cur_index = f->index++;
            if (f->packed) {
                if (!tree_need(t, qidl_kind__scalar_size(f->packed), error) ||
                    !tree_value(t, f->node, f->packed, NULL, error)) {
                    return FALSE;
                }
                continue;
            }
        }
        if (!tree_need(t, 1, error)) {
            return FALSE;
        }
        tag = t->c.data[t->c.pos];
        if (!tag_valid(tag)) {
            return tree_error(t, error, QIDL_ERROR_INVALID,
                              "invalid tag 0x%02x at byte offset %"
                              G_GSIZE_FORMAT, tag, t->c.pos);
        }
        t->c.pos++;
        if (f->kind == QIDL_KIND_LIST) {
            if (f->index == 1) {
                f->first = tag;
                f->uniform = kind_is_scalar(tag);
            } else if (tag != f->first) {
                f->uniform = FALSE;
            }
        }
        /* tree_value may push a frame: @f is not used after it. */
        if (!tree_value(t, f->node, tag, name, error)) {
            return FALSE;
        }
    }
    t->cur_label = NULL;
    t->cur_index = -1;
    if (t->c.pos != t->c.end) {
        return tree_error(t, error, QIDL_ERROR_UNKNOWN_FIELD,
                          "%" G_GSIZE_FORMAT " bytes after the state at byte "
                          "offset %" G_GSIZE_FORMAT, t->c.end - t->c.pos,
                          t->c.pos);
    }
    if (t->next_new != r->first_new + r->n_new) {
        return tree_error(t, error, QIDL_ERROR_INVALID,
                          "name %s is defined but not used",
                          reader_name(r, t->next_new));
    }
    return TRUE;
}

QidlTree *qidl_stream_read_tree(const guint8 *data, gsize len,
                                QidlStreamInfo **info, GError **error)
{
    g_autoptr(QidlStreamReader) r = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(GHashTable) seen = NULL;
    guint32 n_values = 0;

    g_return_val_if_fail(data != NULL || len == 0, NULL);

    r = qidl_stream_reader_new(data, len, error);
    if (!r) {
        return NULL;
    }
    tree = qidl_tree_new();
    seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (;;) {
        const QidlStreamDevice *dev;

        if (!qidl_stream_reader_next(r, &dev, error)) {
            return NULL;
        }
        if (!dev) {
            break;
        }
        if (!tree_read_device(r, tree, &n_values, seen, error)) {
            return NULL;
        }
    }
    if (info) {
        *info = qidl_stream_info__copy(r->info);
    }
    return g_steal_pointer(&tree);
}
