/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * protobuf (protobuf-c), schema'd: state.proto has one message per device
 * struct.  Field numbers and types travel, names do not: a reader needs
 * the .proto to make sense of the bytes, so protobuf is reported but not
 * counted among the self-describing peers.
 *
 * The copy between the C structs and protobuf-c's generated message
 * structs goes through protobuf-c's descriptors (field by name, matched
 * once per workload) instead of one hand-written function per message;
 * arrays of uint32/uint64/int64 and byte buffers are not copied but
 * pointed at, as a careful hand-written copy would.  Encoding allocates the
 * messages from a bump arena, then protobuf_c_message_pack(); decoding is
 * protobuf_c_message_unpack() and a checked copy into the destination
 * structs.
 */
#include <string.h>

#include "state.pb-c.h"

#include "bench.h"

/* A BenchStruct matched with its message. */
typedef struct Map Map;
struct Map {
    const BenchStruct *schema;
    const ProtobufCMessageDescriptor *md;
    const ProtobufCFieldDescriptor **pf;   /* per schema field */
    Map **sub;                             /* per schema field, or NULL */
    const ProtobufCFieldDescriptor *in_device; /* its field in Device */
};

static GHashTable *maps;       /* BenchStruct * -> Map *; bench only */

static const ProtobufCMessageDescriptor *find_md(
    const ProtobufCMessageDescriptor *md, const char *name, guint depth)
{
    if (strcmp(md->short_name, name) == 0) {
        return md;
    }
    for (guint i = 0; depth < 8 && i < md->n_fields; i++) {
        const ProtobufCMessageDescriptor *sub;

        if (md->fields[i].type == PROTOBUF_C_TYPE_MESSAGE &&
            (sub = find_md(md->fields[i].descriptor, name, depth + 1))) {
            return sub;
        }
    }
    return NULL;
}

static Map *map_for(const BenchStruct *s, GError **error)
{
    Map *m;

    if (!maps) {
        maps = g_hash_table_new(NULL, NULL);
    }
    if ((m = g_hash_table_lookup(maps, s))) {
        return m;
    }
    m = g_new0(Map, 1);
    m->schema = s;
    m->md = find_md(&qidlbench__state__descriptor, s->name, 0);
    if (!m->md) {
        g_free(m);
        bench_fail(error, "protobuf: no message %s", s->name);
        return NULL;
    }
    m->pf = g_new0(const ProtobufCFieldDescriptor *, s->n_fields);
    m->sub = g_new0(Map *, s->n_fields);
    for (guint i = 0; i < s->n_fields; i++) {
        const BenchField *f = &s->fields[i];

        m->pf[i] = protobuf_c_message_descriptor_get_field_by_name(m->md,
                                                                   f->name);
        if (!m->pf[i]) {
            bench_fail(error, "protobuf: %s has no field %s", s->name,
                       f->name);
            return NULL;
        }
        if (f->sub && !(m->sub[i] = map_for(f->sub, error))) {
            return NULL;
        }
    }
    for (guint i = 0; i < qidlbench__device__descriptor.n_fields; i++) {
        const ProtobufCFieldDescriptor *pf =
            &qidlbench__device__descriptor.fields[i];

        if (pf->type == PROTOBUF_C_TYPE_MESSAGE && pf->descriptor == m->md) {
            m->in_device = pf;
        }
    }
    g_hash_table_insert(maps, (gpointer)s, m);
    return m;
}

static gboolean protobuf_prepare(BenchWorkload *w, GError **error)
{
    for (guint i = 0; i < w->n_devices; i++) {
        Map *m = map_for(w->devices[i].type->schema, error);

        if (!m) {
            return FALSE;
        }
        if (!m->in_device) {
            return bench_fail(error, "protobuf: Device has no %s",
                              m->schema->name);
        }
    }
    return TRUE;
}

/* ---- a bump arena for the messages of one encode ------------------------------ */

typedef struct {
    GPtrArray *blocks;
    guint8 *cur;
    gsize left;
} Arena;

static gpointer arena_alloc(Arena *a, gsize n)
{
    gpointer p;

    n = (n + 15) & ~(gsize)15;
    if (n > a->left) {
        gsize size = MAX(n, 256 * 1024);

        a->cur = g_malloc(size);
        a->left = size;
        g_ptr_array_add(a->blocks, a->cur);
    }
    p = a->cur;
    a->cur += n;
    a->left -= n;
    return p;
}

/* ---- encoding ----------------------------------------------------------------- */

static ProtobufCMessage *to_msg(Arena *a, const Map *m, const guint8 *obj);

static void set_scalar(guint8 *msg, const ProtobufCFieldDescriptor *pf,
                       BenchKind kind, const void *p)
{
    gboolean neg;
    guint64 v = bench_load_scalar(kind, p, &neg);

    switch (pf->type) {
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)(msg + pf->offset) = v != 0;
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_SINT32:
        *(guint32 *)(msg + pf->offset) = (guint32)v;
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_SINT64:
        *(guint64 *)(msg + pf->offset) = v;
        break;
    default:
        g_assert_not_reached();
    }
}

static void set_field(Arena *a, guint8 *msg, const Map *m, guint i,
                      const guint8 *obj)
{
    const BenchField *f = &m->schema->fields[i];
    const ProtobufCFieldDescriptor *pf = m->pf[i];
    const guint8 *p = obj + f->offset;
    size_t *n = (size_t *)(msg + pf->quantifier_offset);
    void **items = (void **)(msg + pf->offset);

    if (f->kind == BK_BYTES || (f->kind == BK_U8 && f->count > 0)) {
        ProtobufCBinaryData *bd = (ProtobufCBinaryData *)(msg + pf->offset);

        bd->len = f->count;
        bd->data = (guint8 *)p;
        return;
    }
    if (f->kind == BK_STRUCT && f->count == 0) {
        *items = to_msg(a, m->sub[i], p);
        return;
    }
    if (f->kind == BK_STRUCT || f->kind == BK_SLIST) {
        GSList *list = f->kind == BK_SLIST ? *(GSList *const *)p : NULL;
        guint32 count = f->kind == BK_SLIST ? g_slist_length(list) : f->count;
        ProtobufCMessage **msgs =
            arena_alloc(a, MAX(count, 1) * sizeof(*msgs));

        for (guint32 k = 0; k < count; k++) {
            const guint8 *e = list ? list->data : p + k * f->sub->size;

            msgs[k] = to_msg(a, m->sub[i], e);
            list = list ? list->next : NULL;
        }
        *n = count;
        *items = msgs;
        return;
    }
    if (f->count == 0) {
        set_scalar(msg, pf, f->kind, p);
        return;
    }
    *n = f->count;
    if (f->kind == BK_U16) {
        guint32 *wide = arena_alloc(a, f->count * sizeof(guint32));

        for (guint32 k = 0; k < f->count; k++) {
            wide[k] = ((const guint16 *)p)[k];
        }
        *items = wide;
    } else {
        /* uint32, int32, uint64 and int64 arrays have protobuf-c's layout
         * already. */
        *items = (void *)p;
    }
}

static ProtobufCMessage *to_msg(Arena *a, const Map *m, const guint8 *obj)
{
    ProtobufCMessage *msg = arena_alloc(a, m->md->sizeof_message);

    m->md->message_init(msg);
    for (guint i = 0; i < m->schema->n_fields; i++) {
        set_field(a, (guint8 *)msg, m, i, obj);
    }
    return msg;
}

static gboolean protobuf_encode(BenchWorkload *w, GByteArray *out,
                                GError **error)
{
    Qidlbench__State state = QIDLBENCH__STATE__INIT;
    Arena a = { g_ptr_array_new_with_free_func(g_free), NULL, 0 };
    guint start = out->len;
    gsize size;

    state.n_devices = w->n_devices;
    state.devices = arena_alloc(&a, w->n_devices * sizeof(*state.devices));
    for (guint i = 0; i < w->n_devices; i++) {
        const BenchDevice *d = &w->devices[i];
        const Map *m = map_for(d->type->schema, NULL);
        Qidlbench__Device *dev = arena_alloc(&a, sizeof(*dev));

        if (!bench_pre_save(d->type, d->src, error)) {
            g_ptr_array_unref(a.blocks);
            return FALSE;
        }
        qidlbench__device__init(dev);
        dev->type = (char *)d->type->cls.type_name;
        dev->path = d->path;
        dev->name = d->name;
        dev->version = d->type->cls.version;
        *(ProtobufCMessage **)((guint8 *)dev + m->in_device->offset) =
            to_msg(&a, m, d->src);
        state.devices[i] = dev;
    }
    size = protobuf_c_message_get_packed_size(&state.base);
    g_byte_array_set_size(out, (guint)(start + size));
    protobuf_c_message_pack(&state.base, out->data + start);
    g_ptr_array_unref(a.blocks);
    return TRUE;
}

/* ---- decoding ----------------------------------------------------------------- */

static gboolean from_msg(const Map *m, const ProtobufCMessage *msg,
                         guint8 *obj, GError **error);

static gboolean get_scalar(const guint8 *msg,
                           const ProtobufCFieldDescriptor *pf, BenchKind kind,
                           void *p)
{
    switch (pf->type) {
    case PROTOBUF_C_TYPE_BOOL:
        return bench_store_scalar(kind, p,
                                  *(const protobuf_c_boolean *)(msg +
                                                                pf->offset),
                                  FALSE);
    case PROTOBUF_C_TYPE_UINT32:
        return bench_store_scalar(kind, p, *(const guint32 *)(msg + pf->offset),
                                  FALSE);
    case PROTOBUF_C_TYPE_SINT32: {
        gint32 v = *(const gint32 *)(msg + pf->offset);

        return bench_store_scalar(kind, p, (guint64)(gint64)v, v < 0);
    }
    case PROTOBUF_C_TYPE_UINT64:
        return bench_store_scalar(kind, p, *(const guint64 *)(msg + pf->offset),
                                  FALSE);
    case PROTOBUF_C_TYPE_SINT64: {
        gint64 v = *(const gint64 *)(msg + pf->offset);

        return bench_store_scalar(kind, p, (guint64)v, v < 0);
    }
    default:
        return FALSE;
    }
}

static gboolean get_field(const Map *m, guint i, const guint8 *msg,
                          guint8 *obj, GError **error)
{
    const BenchField *f = &m->schema->fields[i];
    const ProtobufCFieldDescriptor *pf = m->pf[i];
    guint8 *p = obj + f->offset;
    size_t n = *(const size_t *)(msg + pf->quantifier_offset);
    void *const *items = (void *const *)(msg + pf->offset);

    if (f->kind == BK_BYTES || (f->kind == BK_U8 && f->count > 0)) {
        const ProtobufCBinaryData *bd =
            (const ProtobufCBinaryData *)(msg + pf->offset);

        if (bd->len != f->count) {
            return bench_fail(error, "protobuf: %s: %zu bytes, not %u",
                              f->name, bd->len, f->count);
        }
        memcpy(p, bd->data, f->count);
        return TRUE;
    }
    if (f->kind == BK_STRUCT && f->count == 0) {
        if (!*items) {
            return bench_fail(error, "protobuf: %s: missing", f->name);
        }
        return from_msg(m->sub[i], *items, p, error);
    }
    if (f->kind == BK_SLIST) {
        GSList *list = NULL;

        for (size_t k = 0; k < n; k++) {
            gpointer elem = bench_slist_prepend(&list, f->sub);

            if (!from_msg(m->sub[i], ((ProtobufCMessage **)*items)[k], elem,
                          error)) {
                g_slist_free_full(list, g_free);
                return FALSE;
            }
        }
        *(GSList **)p = g_slist_reverse(list);
        return TRUE;
    }
    if (f->count == 0) {
        return get_scalar(msg, pf, f->kind, p) ||
               bench_fail(error, "protobuf: %s: bad value", f->name);
    }
    if (n != f->count) {
        return bench_fail(error, "protobuf: %s: %zu elements, not %u",
                          f->name, n, f->count);
    }
    for (size_t k = 0; k < n; k++) {
        if (f->kind == BK_STRUCT) {
            if (!from_msg(m->sub[i], ((ProtobufCMessage **)*items)[k],
                          p + k * f->sub->size, error)) {
                return FALSE;
            }
            continue;
        }
        switch (pf->type) {
        case PROTOBUF_C_TYPE_UINT32:
            if (!bench_store_scalar(f->kind, p + k * bench_kind_size(f->kind),
                                    ((const guint32 *)*items)[k], FALSE)) {
                return bench_fail(error, "protobuf: %s: bad value", f->name);
            }
            break;
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SINT32:
            memcpy(p + k * bench_kind_size(f->kind),
                   (const guint8 *)*items + k * bench_kind_size(f->kind),
                   bench_kind_size(f->kind));
            break;
        default:
            return bench_fail(error, "protobuf: %s: bad type", f->name);
        }
    }
    return TRUE;
}

static gboolean from_msg(const Map *m, const ProtobufCMessage *msg,
                         guint8 *obj, GError **error)
{
    if (msg->descriptor != m->md) {
        return bench_fail(error, "protobuf: not a %s", m->schema->name);
    }
    for (guint i = 0; i < m->schema->n_fields; i++) {
        if (!get_field(m, i, (const guint8 *)msg, obj, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean protobuf_decode(BenchWorkload *w, const guint8 *data,
                                gsize len, GError **error)
{
    Qidlbench__State *state = qidlbench__state__unpack(NULL, len, data);
    gboolean ok = TRUE;

    if (!state) {
        return bench_fail(error, "protobuf: malformed");
    }
    if (state->n_devices != w->n_devices) {
        ok = bench_fail(error, "protobuf: %zu devices, not %u",
                        state->n_devices, w->n_devices);
    }
    for (size_t i = 0; ok && i < state->n_devices; i++) {
        const Qidlbench__Device *dev = state->devices[i];
        const BenchDevice *d = bench_workload_find(w, (guint)i, dev->path);
        const Map *m = d ? map_for(d->type->schema, NULL) : NULL;
        const ProtobufCMessage *msg = m ?
            *(ProtobufCMessage *const *)((const guint8 *)dev +
                                         m->in_device->offset) : NULL;

        if (!msg || strcmp(dev->type, d->type->cls.type_name) != 0 ||
            dev->version < d->type->cls.min_version ||
            dev->version > d->type->cls.version) {
            ok = bench_fail(error, "protobuf: device %s: not here",
                            dev->path);
            break;
        }
        ok = from_msg(m, msg, d->dst, error) &&
             bench_post_load(d->type, d->dst, error);
    }
    qidlbench__state__free_unpacked(state, NULL);
    return ok;
}

const BenchCodec bench_codec_protobuf = {
    "protobuf", "protobuf-c, state.proto: field numbers, no names (schema'd)",
    0, protobuf_encode, protobuf_decode, protobuf_prepare,
};
