/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-bench: QIDL's codecs side by side with the serializers a user would
 * pick instead, on the same device state, in one run on one machine.
 *
 * Pieces:
 *
 *   workload.c        builds a workload: the hw/ machine's devices after its
 *                     scripted workload (1x, and 10x / 100x machines in one
 *                     device set), or one device with large arrays and long
 *                     nested lists (bench-big.h).  Each device has a source
 *                     object (what is saved) and a destination object (what
 *                     a decode fills, in a freshly powered-on machine).
 *   schema.c          the peers' schema, written by hand for the same state:
 *                     each device struct's serialized fields with names,
 *                     kinds and offsets (a user of msgpack, CBOR, GVariant or
 *                     json-glib writes the same table or the same code).
 *   bench-qidl.c      QIDL's codecs: legacy, native stream (direct and
 *                     through the tree), the tree with the seed filters,
 *                     typed JSON, and the memcpy floor.
 *   bench-<peer>.c    one file per peer serializer; each encodes every
 *                     device of the workload and decodes it back into the
 *                     destination objects.
 *   qidl-bench.c      timing (CLOCK_MONOTONIC, warm-up, median of runs),
 *                     the table and --json, the round-trip checks of
 *                     --quick, and the extractor against clang.
 *
 * Every decode starts by releasing what the destination objects own (the
 * lists a previous decode built), as loading into a live device would.
 */
#ifndef QIDL_BENCH_H
#define QIDL_BENCH_H

#include <glib.h>
#include <qidl/devices.h>
#include <qidl/filter.h>
#include <qidl/stream.h>

G_BEGIN_DECLS

/* ---- the peers' schema ---------------------------------------------------- */

typedef enum {
    BK_BOOL = 1,
    BK_U8,
    BK_U16,
    BK_U32,
    BK_U64,
    BK_I32,
    BK_I64,
    BK_BYTES,       /* raw bytes (RAM, disk): count is the length */
    BK_STRUCT,      /* a nested struct, or count of them */
    BK_SLIST,       /* a GSList of g_malloc'd structs */
} BenchKind;

typedef struct BenchStruct BenchStruct;

typedef struct {
    const char *name;
    BenchKind kind;
    gsize offset;
    guint32 count;              /* 0: one value; N: a fixed array of N */
    const BenchStruct *sub;     /* BK_STRUCT, BK_SLIST */
    gboolean subsection;        /* QIDL saves it only when needed */
} BenchField;

struct BenchStruct {
    const char *name;           /* also the protobuf message name */
    gsize size;
    const BenchField *fields;
    guint n_fields;
};

/* The size in bytes of one scalar of @kind in the C struct. */
gsize bench_kind_size(BenchKind kind);

/* ---- device types and workloads ------------------------------------------- */

typedef gboolean (*BenchHookFunc)(void *obj, GError **error);

/*
 * A device type: its QIDL class, the peers' schema of its state, and the
 * device's own hooks, which the peers call as the generated code does
 * (pre-save before encoding, post-load after decoding; NULL: none).
 */
typedef struct {
    QidlDeviceClass cls;
    const BenchStruct *schema;
    BenchHookFunc pre_save;
    BenchHookFunc post_load;
} BenchType;

/* Runs @type's hook, if it has one. */
gboolean bench_pre_save(const BenchType *type, void *obj, GError **error);
gboolean bench_post_load(const BenchType *type, void *obj, GError **error);

/* The type registered under @type_name ("mc146818rtc"), or NULL. */
const BenchType *bench_type_find(const char *type_name);

typedef struct {
    const BenchType *type;
    char *path;
    char *name;
    void *src;                  /* saved from; borrowed */
    void *dst;                  /* decoded into; borrowed */
} BenchDevice;

typedef struct {
    const char *name;           /* "machine", "machine-10x", ... */
    guint scale;                /* machines in it (0: not a machine) */
    BenchDevice *devices;
    guint n_devices;
    GHashTable *by_path;        /* instance path -> BenchDevice * */
    QidlDeviceSet *src_set;
    QidlDeviceSet *dst_set;
    /* The destination build (apic, virtio-pci + virtio-blk), for the tree
     * with the seed filters; NULL if the workload has no machine. */
    QidlDeviceSet *destb_set;
    QidlFilterSet *filters;     /* source -> destination build */
    QidlFilterSet *back_filters;/* destination -> source build */
    GBytes *legacy;             /* the legacy bytes, for the memcpy floor */
    /* The native codec's writer and reader, reset for each stream as a
     * program that saves or loads again and again would; NULL until the
     * first. */
    QidlStreamWriter *writer;
    QidlStreamReader *reader;
    gpointer priv;
} BenchWorkload;

/* Builds a workload: "machine", "machine-10x", "machine-100x" or "big". */
BenchWorkload *bench_workload_new(const char *name, GError **error);
void bench_workload_free(BenchWorkload *w);

/*
 * The device at @path, for a decoder that meets it as the @i-th device
 * of its bytes: the @i-th device of the workload if that is its path (the
 * order every encoder writes), else found by path; NULL if none.  Every
 * self-describing codec's decoder finds its devices this way.
 */
const BenchDevice *bench_workload_find(const BenchWorkload *w, guint i,
                                       const char *path);

/* Frees what the destination objects own (lists), leaving them empty. */
void bench_workload_release_dst(BenchWorkload *w);

/*
 * Checks that every destination object holds its source's state: their
 * legacy encodings (every saved field, QEMU's bytes) are equal.
 */
gboolean bench_workload_check_dst(BenchWorkload *w, GError **error);

/*
 * The same for the destination build: its devices saved to a tree, the
 * back filters applied, must equal the source devices' tree.
 */
gboolean bench_workload_check_destb(BenchWorkload *w, GError **error);

/*
 * Overwrites every saved field of the destination objects (but those of
 * subsections, which QIDL carries only when needed) with a pattern, so
 * that a check after a decode proves the decode wrote each of them.
 */
void bench_workload_scramble_dst(BenchWorkload *w);

/* ---- codecs --------------------------------------------------------------- */

typedef gboolean (*BenchEncodeFunc)(BenchWorkload *w, GByteArray *out,
                                    GError **error);
typedef gboolean (*BenchDecodeFunc)(BenchWorkload *w, const guint8 *data,
                                    gsize len, GError **error);

typedef enum {
    BENCH_QIDL = 1 << 0,            /* one of QIDL's own */
    BENCH_SELF_DESCRIBING = 1 << 1, /* names and types travel with values */
    BENCH_NEEDS_MACHINE = 1 << 2,   /* only for machine workloads */
    BENCH_FLOOR = 1 << 3,           /* the memcpy floor */
    BENCH_DST_DESTB = 1 << 4,       /* decodes into the destination build */
} BenchCodecFlags;

typedef struct {
    const char *name;
    const char *what;               /* one line for the table's legend */
    BenchCodecFlags flags;
    BenchEncodeFunc encode;
    BenchDecodeFunc decode;
    /* Optional: per-workload setup (schema lookups), run once. */
    gboolean (*prepare)(BenchWorkload *w, GError **error);
} BenchCodec;

/* QIDL's codecs and the floor (bench-qidl.c). */
extern const BenchCodec bench_codec_memcpy;
extern const BenchCodec bench_codec_legacy;
extern const BenchCodec bench_codec_native;
extern const BenchCodec bench_codec_native_once;
extern const BenchCodec bench_codec_native_tree;
extern const BenchCodec bench_codec_tree_filters;
extern const BenchCodec bench_codec_json;

/* The peers; each file exists only when its library was found. */
extern const BenchCodec bench_codec_protobuf;
extern const BenchCodec bench_codec_msgpack;
extern const BenchCodec bench_codec_cbor;
extern const BenchCodec bench_codec_gvariant;
extern const BenchCodec bench_codec_jsonglib;

/* Helpers shared by the peers. */
gboolean bench_fail(GError **error, const char *format, ...)
    G_GNUC_PRINTF(2, 3);

/* The field of @s called @name (@len bytes), trying index @hint first. */
const BenchField *bench_field_lookup(const BenchStruct *s, const char *name,
                                     gsize len, guint hint);

/*
 * Reads a scalar of @kind at @src as a 64-bit integer: returns its value
 * (two's complement for negative signed values) and whether it is
 * negative.
 */
guint64 bench_load_scalar(BenchKind kind, const void *src,
                          gboolean *negative);

/*
 * Stores @v (negative: @v is a two's complement gint64) as a scalar of
 * @kind at @dst; FALSE (nothing stored) if it does not fit.
 */
gboolean bench_store_scalar(BenchKind kind, void *dst, guint64 v,
                            gboolean negative);

/* Appends a g_malloc'd, zeroed element of @s to a GSList being built in
 * reverse; returns the element. */
gpointer bench_slist_prepend(GSList **list, const BenchStruct *s);

G_END_DECLS

#endif /* QIDL_BENCH_H */
