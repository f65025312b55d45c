/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * msgpack (msgpack-c), self-describing: each struct is a map from field
 * name to value, uint8 arrays and raw buffers are bin, other arrays are
 * arrays, integers take msgpack's smallest encoding.  The whole state is
 * an array of device maps {type, path, name, version, state}.
 *
 * Encoding packs straight into the output (msgpack's packer with a write
 * callback); decoding unpacks into msgpack's object tree (one zone
 * allocation, strings and bins pointing into the input) and walks it into
 * the destination structs, checking every type, range and count.
 */
#include <string.h>

#include <msgpack.h>

#include "bench.h"

static int write_cb(void *data, const char *buf, size_t len)
{
    g_byte_array_append(data, (const guint8 *)buf, (guint)len);
    return 0;
}

static void pack_cstr(msgpack_packer *pk, const char *s)
{
    size_t len = strlen(s);

    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

static void pack_struct(msgpack_packer *pk, const BenchStruct *s,
                        const guint8 *obj);

static void pack_scalar(msgpack_packer *pk, BenchKind kind, const void *p)
{
    switch (kind) {
    case BK_BOOL:
        if (*(const bool *)p) {
            msgpack_pack_true(pk);
        } else {
            msgpack_pack_false(pk);
        }
        break;
    case BK_U8:
        msgpack_pack_uint8(pk, *(const guint8 *)p);
        break;
    case BK_U16:
        msgpack_pack_uint16(pk, *(const guint16 *)p);
        break;
    case BK_U32:
        msgpack_pack_uint32(pk, *(const guint32 *)p);
        break;
    case BK_U64:
        msgpack_pack_uint64(pk, *(const guint64 *)p);
        break;
    case BK_I32:
        msgpack_pack_int32(pk, *(const gint32 *)p);
        break;
    case BK_I64:
        msgpack_pack_int64(pk, *(const gint64 *)p);
        break;
    default:
        g_assert_not_reached();
    }
}

static void pack_field(msgpack_packer *pk, const BenchField *f,
                       const guint8 *obj)
{
    const guint8 *p = obj + f->offset;

    switch (f->kind) {
    case BK_STRUCT:
        if (f->count == 0) {
            pack_struct(pk, f->sub, p);
        } else {
            msgpack_pack_array(pk, f->count);
            for (guint32 i = 0; i < f->count; i++) {
                pack_struct(pk, f->sub, p + i * f->sub->size);
            }
        }
        return;
    case BK_SLIST: {
        GSList *list = *(GSList *const *)p;

        msgpack_pack_array(pk, g_slist_length(list));
        for (GSList *l = list; l; l = l->next) {
            pack_struct(pk, f->sub, l->data);
        }
        return;
    }
    case BK_BYTES:
        msgpack_pack_bin_with_body(pk, p, f->count);
        return;
    default:
        break;
    }
    if (f->count == 0) {
        pack_scalar(pk, f->kind, p);
    } else if (f->kind == BK_U8) {
        msgpack_pack_bin_with_body(pk, p, f->count);
    } else {
        gsize size = bench_kind_size(f->kind);

        msgpack_pack_array(pk, f->count);
        for (guint32 i = 0; i < f->count; i++) {
            pack_scalar(pk, f->kind, p + i * size);
        }
    }
}

static void pack_struct(msgpack_packer *pk, const BenchStruct *s,
                        const guint8 *obj)
{
    msgpack_pack_map(pk, s->n_fields);
    for (guint i = 0; i < s->n_fields; i++) {
        pack_cstr(pk, s->fields[i].name);
        pack_field(pk, &s->fields[i], obj);
    }
}

static gboolean msgpack_encode(BenchWorkload *w, GByteArray *out,
                               GError **error)
{
    msgpack_packer pk;

    msgpack_packer_init(&pk, out, write_cb);
    msgpack_pack_array(&pk, w->n_devices);
    for (guint i = 0; i < w->n_devices; i++) {
        const BenchDevice *d = &w->devices[i];

        if (!bench_pre_save(d->type, d->src, error)) {
            return FALSE;
        }
        msgpack_pack_map(&pk, 5);
        pack_cstr(&pk, "type");
        pack_cstr(&pk, d->type->cls.type_name);
        pack_cstr(&pk, "path");
        pack_cstr(&pk, d->path);
        pack_cstr(&pk, "name");
        pack_cstr(&pk, d->name);
        pack_cstr(&pk, "version");
        msgpack_pack_uint32(&pk, d->type->cls.version);
        pack_cstr(&pk, "state");
        pack_struct(&pk, d->type->schema, d->src);
    }
    return TRUE;
}

/* ---- decoding ----------------------------------------------------------------- */

static gboolean unpack_struct(const msgpack_object *o, const BenchStruct *s,
                              guint8 *obj, GError **error);

static gboolean unpack_scalar(const msgpack_object *o, BenchKind kind,
                              void *p, const char *name, GError **error)
{
    gboolean ok;

    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        ok = kind != BK_BOOL && bench_store_scalar(kind, p, o->via.u64, FALSE);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        ok = bench_store_scalar(kind, p, (guint64)o->via.i64, TRUE);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        ok = kind == BK_BOOL;
        if (ok) {
            *(bool *)p = o->via.boolean;
        }
        break;
    default:
        ok = FALSE;
    }
    return ok || bench_fail(error, "msgpack: %s: bad value", name);
}

static gboolean unpack_field(const msgpack_object *o, const BenchField *f,
                             guint8 *obj, GError **error)
{
    guint8 *p = obj + f->offset;

    if (f->kind == BK_STRUCT && f->count == 0) {
        return unpack_struct(o, f->sub, p, error);
    }
    if (f->kind == BK_SLIST) {
        GSList *list = NULL;

        if (o->type != MSGPACK_OBJECT_ARRAY) {
            return bench_fail(error, "msgpack: %s: not an array", f->name);
        }
        for (guint32 i = 0; i < o->via.array.size; i++) {
            gpointer elem = bench_slist_prepend(&list, f->sub);

            if (!unpack_struct(&o->via.array.ptr[i], f->sub, elem, error)) {
                g_slist_free_full(list, g_free);
                return FALSE;
            }
        }
        *(GSList **)p = g_slist_reverse(list);
        return TRUE;
    }
    if (f->kind == BK_BYTES || (f->kind == BK_U8 && f->count > 0)) {
        if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != f->count) {
            return bench_fail(error, "msgpack: %s: not bin[%u]", f->name,
                              f->count);
        }
        memcpy(p, o->via.bin.ptr, f->count);
        return TRUE;
    }
    if (f->count == 0) {
        return unpack_scalar(o, f->kind, p, f->name, error);
    }
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != f->count) {
        return bench_fail(error, "msgpack: %s: not an array of %u", f->name,
                          f->count);
    }
    for (guint32 i = 0; i < f->count; i++) {
        if (f->kind == BK_STRUCT) {
            if (!unpack_struct(&o->via.array.ptr[i], f->sub,
                               p + i * f->sub->size, error)) {
                return FALSE;
            }
        } else if (!unpack_scalar(&o->via.array.ptr[i], f->kind,
                                  p + i * bench_kind_size(f->kind), f->name,
                                  error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean unpack_struct(const msgpack_object *o, const BenchStruct *s,
                              guint8 *obj, GError **error)
{
    if (o->type != MSGPACK_OBJECT_MAP || o->via.map.size != s->n_fields) {
        return bench_fail(error, "msgpack: %s: not a map of %u fields",
                          s->name, s->n_fields);
    }
    for (guint32 i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        const BenchField *f;

        if (kv->key.type != MSGPACK_OBJECT_STR ||
            !(f = bench_field_lookup(s, kv->key.via.str.ptr,
                                     kv->key.via.str.size, i))) {
            return bench_fail(error, "msgpack: %s: unknown field", s->name);
        }
        if (!unpack_field(&kv->val, f, obj, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static const msgpack_object *map_get(const msgpack_object *map,
                                     const char *key)
{
    gsize len = strlen(key);

    for (guint32 i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;

        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == len &&
            memcmp(k->via.str.ptr, key, len) == 0) {
            return &map->via.map.ptr[i].val;
        }
    }
    return NULL;
}

static gboolean str_is(const msgpack_object *o, const char *s)
{
    return o && o->type == MSGPACK_OBJECT_STR &&
           o->via.str.size == strlen(s) &&
           memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static gboolean unpack_devices(BenchWorkload *w, const msgpack_object *root,
                               GError **error)
{
    if (root->type != MSGPACK_OBJECT_ARRAY ||
        root->via.array.size != w->n_devices) {
        return bench_fail(error, "msgpack: not an array of %u devices",
                          w->n_devices);
    }
    for (guint32 i = 0; i < root->via.array.size; i++) {
        const msgpack_object *dev = &root->via.array.ptr[i];
        const msgpack_object *path, *version, *state;
        g_autofree char *key = NULL;
        const BenchDevice *d;

        if (dev->type != MSGPACK_OBJECT_MAP ||
            !(path = map_get(dev, "path")) ||
            path->type != MSGPACK_OBJECT_STR) {
            return bench_fail(error, "msgpack: device %u: no path", i);
        }
        key = g_strndup(path->via.str.ptr, path->via.str.size);
        d = bench_workload_find(w, i, key);
        version = map_get(dev, "version");
        state = map_get(dev, "state");
        if (!d || !str_is(map_get(dev, "type"), d->type->cls.type_name) ||
            !version || version->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            version->via.u64 < d->type->cls.min_version ||
            version->via.u64 > d->type->cls.version || !state) {
            return bench_fail(error, "msgpack: device %s: not here", key);
        }
        if (!unpack_struct(state, d->type->schema, d->dst, error) ||
            !bench_post_load(d->type, d->dst, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean msgpack_decode(BenchWorkload *w, const guint8 *data,
                               gsize len, GError **error)
{
    msgpack_unpacked result;
    size_t off = 0;
    gboolean ok;

    msgpack_unpacked_init(&result);
    if (msgpack_unpack_next(&result, (const char *)data, len, &off) !=
            MSGPACK_UNPACK_SUCCESS || off != len) {
        msgpack_unpacked_destroy(&result);
        return bench_fail(error, "msgpack: malformed");
    }
    ok = unpack_devices(w, &result.data, error);
    msgpack_unpacked_destroy(&result);
    return ok;
}

const BenchCodec bench_codec_msgpack = {
    "msgpack", "msgpack-c: maps with field names, bin for bytes",
    BENCH_SELF_DESCRIBING, msgpack_encode, msgpack_decode, NULL,
};
