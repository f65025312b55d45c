/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QIDL's own codecs, through the public API exactly as an integrator calls
 * it, and the memcpy floor.
 *
 *   memcpy        copying the legacy bytes: the least any save can cost
 *   legacy        QEMU's VMState bytes (legacy.h), one big-endian uint32
 *                 length per device then its bytes, as machine.c does
 *   native        the native stream, direct: the writer's output visitor
 *                 per device, the reader's input visitor per device; one
 *                 writer and one reader, reset for each stream, as a VMM
 *                 that saves or loads again and again keeps them
 *                 (checkpoints): they define the last stream's names again
 *                 by counting them (stream.h, qidl_stream_writer_reset())
 *   native-once   the same with a new writer and reader per stream, as a
 *                 single migration makes them
 *   native-tree   the same stream through the tree: devices -> tree ->
 *                 stream, stream -> tree -> devices (atomic load)
 *   tree+filters  the receive path of a migration between builds: stream
 *                 -> tree, the seed filters of hw/filters (kvm-apic ->
 *                 apic, virtio-blk-pci split), load into the destination
 *                 build
 *   json          the typed JSON form of the whole stream (stream.h)
 */
#include <string.h>

#include <qidl/json.h>
#include <qidl/legacy.h>
#include <qidl/stream.h>

#include "bench.h"

/* ---- memcpy ---------------------------------------------------------------- */

static gboolean legacy_encode(BenchWorkload *w, GByteArray *out,
                              GError **error);

static GBytes *legacy_of(BenchWorkload *w, GError **error)
{
    if (!w->legacy) {
        g_autoptr(GByteArray) out = g_byte_array_new();

        if (!legacy_encode(w, out, error)) {
            return NULL;
        }
        w->legacy = g_byte_array_free_to_bytes(g_steal_pointer(&out));
    }
    return w->legacy;
}

static gboolean memcpy_prepare(BenchWorkload *w, GError **error)
{
    return legacy_of(w, error) != NULL;
}

static gboolean memcpy_encode(BenchWorkload *w, GByteArray *out,
                              GError **error)
{
    gsize len;
    const guint8 *src = g_bytes_get_data(legacy_of(w, error), &len);

    g_byte_array_set_size(out, (guint)len);
    memcpy(out->data, src, len);
    return TRUE;
}

const BenchCodec bench_codec_memcpy = {
    "memcpy", "memcpy() of the legacy bytes: the floor",
    BENCH_QIDL | BENCH_FLOOR, memcpy_encode, NULL, memcpy_prepare,
};

/* ---- legacy ---------------------------------------------------------------- */

static gboolean legacy_encode(BenchWorkload *w, GByteArray *out,
                              GError **error)
{
    for (guint i = 0; i < w->n_devices; i++) {
        const BenchDevice *d = &w->devices[i];
        guint start = out->len;
        guint32 n;
        QidlVisitor *v;
        gboolean ok;

        g_byte_array_set_size(out, start + 4);
        v = qidl_legacy_output_visitor_new(out);
        ok = d->type->cls.visit(v, d->name, d->src, error) &&
             qidl_visitor_complete(v, error);
        qidl_visitor_free(v);
        if (!ok) {
            return FALSE;
        }
        n = GUINT32_TO_BE(out->len - start - 4);
        memcpy(out->data + start, &n, 4);
    }
    return TRUE;
}

static gboolean legacy_decode(BenchWorkload *w, const guint8 *data, gsize len,
                              GError **error)
{
    gsize off = 0;

    for (guint i = 0; i < w->n_devices; i++) {
        const BenchDevice *d = &w->devices[i];
        guint32 n;
        QidlVisitor *v;
        gboolean ok;

        if (len - off < 4) {
            return bench_fail(error, "legacy: truncated");
        }
        memcpy(&n, data + off, 4);
        n = GUINT32_FROM_BE(n);
        off += 4;
        if (n > len - off) {
            return bench_fail(error, "legacy: truncated");
        }
        v = qidl_legacy_input_visitor_new(data + off, n, off, 0);
        qidl_visitor_set_version(v, d->type->cls.version);
        ok = d->type->cls.visit(v, d->name, d->dst, error) &&
             qidl_visitor_complete(v, error);
        qidl_visitor_free(v);
        if (!ok) {
            return FALSE;
        }
        off += n;
    }
    return off == len || bench_fail(error, "legacy: trailing bytes");
}

const BenchCodec bench_codec_legacy = {
    "legacy", "QEMU VMState bytes (legacy.h): no names, no types",
    BENCH_QIDL, legacy_encode, legacy_decode, NULL,
};

/* ---- native, direct ---------------------------------------------------------- */

static QidlStreamWriter *native_writer_new(GByteArray *out)
{
    return qidl_stream_writer_new(out, "qidl-bench", "1",
                                  QIDL_STREAM_WRITE_BORROW);
}

static gboolean native_save(BenchWorkload *w, QidlStreamWriter *sw,
                            GError **error)
{
    return qidl_device_set_save_stream(w->src_set, sw, error) &&
           qidl_stream_writer_finish(sw, error);
}

/* One writer for every encode, reset: a VMM that saves again and again. */
static gboolean native_encode(BenchWorkload *w, GByteArray *out,
                              GError **error)
{
    if (w->writer) {
        qidl_stream_writer_reset(w->writer, out);
    } else {
        w->writer = native_writer_new(out);
    }
    return native_save(w, w->writer, error);
}

/* A new writer per encode: a save of its own, as one migration makes. */
static gboolean native_once_encode(BenchWorkload *w, GByteArray *out,
                                   GError **error)
{
    g_autoptr(QidlStreamWriter) sw = native_writer_new(out);

    return native_save(w, sw, error);
}

static gboolean native_load(BenchWorkload *w, QidlStreamReader *r,
                            GError **error)
{
    const QidlStreamDevice *dev;
    guint loaded = 0;

    for (;;) {
        const BenchDevice *d;
        QidlVisitor *v;
        gboolean ok;

        if (!qidl_stream_reader_next(r, &dev, error)) {
            return FALSE;
        }
        if (!dev) {
            break;
        }
        d = bench_workload_find(w, loaded, dev->instance_path);
        if (!d || strcmp(dev->type_name, d->type->cls.type_name) != 0 ||
            dev->version < d->type->cls.min_version ||
            dev->version > d->type->cls.version) {
            return bench_fail(error, "device %s (%s): not here",
                              dev->instance_path, dev->type_name);
        }
        v = qidl_stream_reader_device_visitor(r, QIDL_TREE_INPUT_NONE);
        ok = d->type->cls.visit(v, d->name, d->dst, error) &&
             qidl_visitor_complete(v, error);
        qidl_visitor_free(v);
        if (!ok) {
            return FALSE;
        }
        loaded++;
    }
    return loaded == w->n_devices ||
           bench_fail(error, "%u devices of %u in the stream", loaded,
                      w->n_devices);
}

/* One reader for every decode, reset: a VMM that loads again and again. */
static gboolean native_decode(BenchWorkload *w, const guint8 *data, gsize len,
                              GError **error)
{
    if (w->reader) {
        return qidl_stream_reader_reset(w->reader, data, len, error) &&
               native_load(w, w->reader, error);
    }
    w->reader = qidl_stream_reader_new(data, len, error);
    return w->reader && native_load(w, w->reader, error);
}

/* A new reader per decode: a load of its own, as one migration makes. */
static gboolean native_once_decode(BenchWorkload *w, const guint8 *data,
                                   gsize len, GError **error)
{
    g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(data, len, error);

    return r && native_load(w, r, error);
}

const BenchCodec bench_codec_native = {
    "native", "QIDL native stream, direct; one writer and reader, reset",
    BENCH_QIDL | BENCH_SELF_DESCRIBING, native_encode, native_decode, NULL,
};

const BenchCodec bench_codec_native_once = {
    "native-once", "the same, a new writer and reader per operation",
    BENCH_QIDL | BENCH_SELF_DESCRIBING, native_once_encode,
    native_once_decode, NULL,
};

/* ---- native, through the tree ------------------------------------------------ */

static gboolean native_tree_encode(BenchWorkload *w, GByteArray *out,
                                   GError **error)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();

    return qidl_device_set_save_tree(w->src_set, tree, error) &&
           qidl_stream_write_tree(tree, NULL, QIDL_STREAM_WRITE_NONE, out,
                                  error);
}

static gboolean native_tree_decode(BenchWorkload *w, const guint8 *data,
                                   gsize len, GError **error)
{
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(data, len, NULL, error);

    return tree && qidl_device_set_load_tree(w->dst_set, tree, QIDL_LOAD_NONE,
                                             NULL, error);
}

const BenchCodec bench_codec_native_tree = {
    "native-tree", "QIDL native stream through the state tree (atomic load)",
    BENCH_QIDL | BENCH_SELF_DESCRIBING, native_tree_encode,
    native_tree_decode, NULL,
};

/* ---- the tree with the seed filters ------------------------------------------ */

static gboolean tree_filters_decode(BenchWorkload *w, const guint8 *data,
                                    gsize len, GError **error)
{
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(data, len, NULL, error);

    return tree && qidl_filter_set_apply(w->filters, tree, NULL, error) &&
           qidl_device_set_load_tree(w->destb_set, tree, QIDL_LOAD_NONE,
                                     NULL, error);
}

const BenchCodec bench_codec_tree_filters = {
    "tree+filters", "native stream -> tree -> hw/filters -> destination build",
    BENCH_QIDL | BENCH_SELF_DESCRIBING | BENCH_NEEDS_MACHINE |
        BENCH_DST_DESTB,
    native_tree_encode, tree_filters_decode, NULL,
};

/* ---- typed JSON ------------------------------------------------------------------ */

static gboolean json_encode(BenchWorkload *w, GByteArray *out, GError **error)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(JsonNode) json = NULL;
    g_autofree char *text = NULL;

    if (!qidl_device_set_save_tree(w->src_set, tree, error)) {
        return FALSE;
    }
    json = qidl_stream_json_from_tree(tree, NULL);
    text = qidl_json_to_string(json, FALSE);
    g_byte_array_append(out, (const guint8 *)text, (guint)strlen(text));
    return TRUE;
}

static gboolean json_decode(BenchWorkload *w, const guint8 *data, gsize len,
                            GError **error)
{
    g_autoptr(JsonNode) json = qidl_json_parse((const char *)data,
                                               (gssize)len, error);
    g_autoptr(QidlTree) tree = NULL;

    if (!json) {
        return FALSE;
    }
    tree = qidl_stream_json_to_tree(json, NULL, error);
    return tree && qidl_device_set_load_tree(w->dst_set, tree, QIDL_LOAD_NONE,
                                             NULL, error);
}

const BenchCodec bench_codec_json = {
    "json", "QIDL typed JSON of the stream (via the tree)",
    BENCH_QIDL | BENCH_SELF_DESCRIBING, json_encode, json_decode, NULL,
};
