/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CBOR (libcbor), self-describing, the same shape as msgpack: each struct
 * a map from field name to value, uint8 arrays and raw buffers as byte
 * strings, other arrays as arrays, integers in CBOR's smallest encoding.
 *
 * Encoding uses libcbor's streaming encoders (cbor_encode_*) straight into
 * the output, the fast path; decoding uses cbor_load(), libcbor's decoder
 * to an item tree, and walks it into the destination structs.
 */
#include <string.h>

#include <cbor.h>

#include "bench.h"

/* The output, grown by doubling; @len bytes are used. */
typedef struct {
    GByteArray *b;
    gsize start;
    gsize len;
} Out;

static guint8 *room(Out *o, gsize n)
{
    if (o->b->len - o->start - o->len < n) {
        gsize want = MAX(2 * (o->b->len - o->start), o->len + n + 4096);

        g_byte_array_set_size(o->b, (guint)(o->start + want));
    }
    return o->b->data + o->start + o->len;
}

static void put_uint(Out *o, guint64 v)
{
    guint8 *p = room(o, 9);

    o->len += cbor_encode_uint(v, p, 9);
}

static void put_int(Out *o, gint64 v)
{
    guint8 *p = room(o, 9);

    if (v >= 0) {
        o->len += cbor_encode_uint((guint64)v, p, 9);
    } else {
        o->len += cbor_encode_negint((guint64)(-1 - v), p, 9);
    }
}

static void put_text(Out *o, const char *s, gsize n)
{
    guint8 *p = room(o, 9 + n);

    o->len += cbor_encode_string_start(n, p, 9);
    memcpy(o->b->data + o->start + o->len, s, n);
    o->len += n;
}

static void put_bytes(Out *o, const guint8 *s, gsize n)
{
    guint8 *p = room(o, 9 + n);

    o->len += cbor_encode_bytestring_start(n, p, 9);
    memcpy(o->b->data + o->start + o->len, s, n);
    o->len += n;
}

static void put_cstr(Out *o, const char *s)
{
    put_text(o, s, strlen(s));
}

static void put_array(Out *o, gsize n)
{
    guint8 *p = room(o, 9);

    o->len += cbor_encode_array_start(n, p, 9);
}

static void put_map(Out *o, gsize n)
{
    guint8 *p = room(o, 9);

    o->len += cbor_encode_map_start(n, p, 9);
}

static void put_struct(Out *o, const BenchStruct *s, const guint8 *obj);

static void put_scalar(Out *o, BenchKind kind, const void *p)
{
    gboolean neg;
    guint64 v = bench_load_scalar(kind, p, &neg);

    if (kind == BK_BOOL) {
        o->len += cbor_encode_bool(v != 0, room(o, 1), 1);
    } else if (neg) {
        put_int(o, (gint64)v);
    } else {
        put_uint(o, v);
    }
}

static void put_field(Out *o, const BenchField *f, const guint8 *obj)
{
    const guint8 *p = obj + f->offset;

    switch (f->kind) {
    case BK_STRUCT:
        if (f->count == 0) {
            put_struct(o, f->sub, p);
        } else {
            put_array(o, f->count);
            for (guint32 i = 0; i < f->count; i++) {
                put_struct(o, f->sub, p + i * f->sub->size);
            }
        }
        return;
    case BK_SLIST: {
        GSList *list = *(GSList *const *)p;

        put_array(o, g_slist_length(list));
        for (GSList *l = list; l; l = l->next) {
            put_struct(o, f->sub, l->data);
        }
        return;
    }
    case BK_BYTES:
        put_bytes(o, p, f->count);
        return;
    default:
        break;
    }
    if (f->count == 0) {
        put_scalar(o, f->kind, p);
    } else if (f->kind == BK_U8) {
        put_bytes(o, p, f->count);
    } else {
        gsize size = bench_kind_size(f->kind);

        put_array(o, f->count);
        for (guint32 i = 0; i < f->count; i++) {
            put_scalar(o, f->kind, p + i * size);
        }
    }
}

static void put_struct(Out *o, const BenchStruct *s, const guint8 *obj)
{
    put_map(o, s->n_fields);
    for (guint i = 0; i < s->n_fields; i++) {
        put_cstr(o, s->fields[i].name);
        put_field(o, &s->fields[i], obj);
    }
}

static gboolean cbor_bench_encode(BenchWorkload *w, GByteArray *out,
                                  GError **error)
{
    Out o = { out, out->len, 0 };

    put_array(&o, w->n_devices);
    for (guint i = 0; i < w->n_devices; i++) {
        const BenchDevice *d = &w->devices[i];

        if (!bench_pre_save(d->type, d->src, error)) {
            return FALSE;
        }
        put_map(&o, 5);
        put_cstr(&o, "type");
        put_cstr(&o, d->type->cls.type_name);
        put_cstr(&o, "path");
        put_cstr(&o, d->path);
        put_cstr(&o, "name");
        put_cstr(&o, d->name);
        put_cstr(&o, "version");
        put_uint(&o, d->type->cls.version);
        put_cstr(&o, "state");
        put_struct(&o, d->type->schema, d->src);
    }
    g_byte_array_set_size(out, (guint)(o.start + o.len));
    return TRUE;
}

/* ---- decoding ----------------------------------------------------------------- */

static gboolean get_struct(cbor_item_t *item, const BenchStruct *s,
                           guint8 *obj, GError **error);

static gboolean get_scalar(cbor_item_t *item, BenchKind kind, void *p,
                           const char *name, GError **error)
{
    gboolean ok;

    if (kind == BK_BOOL) {
        ok = cbor_is_bool(item);
        if (ok) {
            *(bool *)p = cbor_get_bool(item);
        }
    } else if (cbor_isa_uint(item)) {
        ok = bench_store_scalar(kind, p, cbor_get_int(item), FALSE);
    } else if (cbor_isa_negint(item)) {
        guint64 n = cbor_get_int(item);

        ok = n <= G_MAXINT64 &&
             bench_store_scalar(kind, p, (guint64)(-1 - (gint64)n), TRUE);
    } else {
        ok = FALSE;
    }
    return ok || bench_fail(error, "cbor: %s: bad value", name);
}

static gboolean get_field(cbor_item_t *item, const BenchField *f,
                          guint8 *obj, GError **error)
{
    guint8 *p = obj + f->offset;

    if (f->kind == BK_STRUCT && f->count == 0) {
        return get_struct(item, f->sub, p, error);
    }
    if (f->kind == BK_SLIST) {
        GSList *list = NULL;
        cbor_item_t **elems;
        gsize n;

        if (!cbor_isa_array(item) || !cbor_array_is_definite(item)) {
            return bench_fail(error, "cbor: %s: not an array", f->name);
        }
        n = cbor_array_size(item);
        elems = cbor_array_handle(item);
        for (gsize i = 0; i < n; i++) {
            gpointer elem = bench_slist_prepend(&list, f->sub);

            if (!get_struct(elems[i], f->sub, elem, error)) {
                g_slist_free_full(list, g_free);
                return FALSE;
            }
        }
        *(GSList **)p = g_slist_reverse(list);
        return TRUE;
    }
    if (f->kind == BK_BYTES || (f->kind == BK_U8 && f->count > 0)) {
        if (!cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item) ||
            cbor_bytestring_length(item) != f->count) {
            return bench_fail(error, "cbor: %s: not bytes[%u]", f->name,
                              f->count);
        }
        memcpy(p, cbor_bytestring_handle(item), f->count);
        return TRUE;
    }
    if (f->count == 0) {
        return get_scalar(item, f->kind, p, f->name, error);
    }
    if (!cbor_isa_array(item) || !cbor_array_is_definite(item) ||
        cbor_array_size(item) != f->count) {
        return bench_fail(error, "cbor: %s: not an array of %u", f->name,
                          f->count);
    }
    for (guint32 i = 0; i < f->count; i++) {
        cbor_item_t *e = cbor_array_handle(item)[i];

        if (f->kind == BK_STRUCT) {
            if (!get_struct(e, f->sub, p + i * f->sub->size, error)) {
                return FALSE;
            }
        } else if (!get_scalar(e, f->kind, p + i * bench_kind_size(f->kind),
                               f->name, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean key_is_text(cbor_item_t *key)
{
    return cbor_isa_string(key) && cbor_string_is_definite(key);
}

static gboolean get_struct(cbor_item_t *item, const BenchStruct *s,
                           guint8 *obj, GError **error)
{
    struct cbor_pair *pairs;

    if (!cbor_isa_map(item) || !cbor_map_is_definite(item) ||
        cbor_map_size(item) != s->n_fields) {
        return bench_fail(error, "cbor: %s: not a map of %u fields", s->name,
                          s->n_fields);
    }
    pairs = cbor_map_handle(item);
    for (gsize i = 0; i < s->n_fields; i++) {
        const BenchField *f;

        if (!key_is_text(pairs[i].key) ||
            !(f = bench_field_lookup(
                  s, (const char *)cbor_string_handle(pairs[i].key),
                  cbor_string_length(pairs[i].key), (guint)i))) {
            return bench_fail(error, "cbor: %s: unknown field", s->name);
        }
        if (!get_field(pairs[i].value, f, obj, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static cbor_item_t *map_get(cbor_item_t *map, const char *key)
{
    struct cbor_pair *pairs = cbor_map_handle(map);
    gsize len = strlen(key);

    for (gsize i = 0; i < cbor_map_size(map); i++) {
        if (key_is_text(pairs[i].key) &&
            cbor_string_length(pairs[i].key) == len &&
            memcmp(cbor_string_handle(pairs[i].key), key, len) == 0) {
            return pairs[i].value;
        }
    }
    return NULL;
}

static char *text_dup(cbor_item_t *item)
{
    if (!item || !cbor_isa_string(item) || !cbor_string_is_definite(item)) {
        return NULL;
    }
    return g_strndup((const char *)cbor_string_handle(item),
                     cbor_string_length(item));
}

static gboolean get_devices(BenchWorkload *w, cbor_item_t *root,
                            GError **error)
{
    if (!cbor_isa_array(root) || !cbor_array_is_definite(root) ||
        cbor_array_size(root) != w->n_devices) {
        return bench_fail(error, "cbor: not an array of %u devices",
                          w->n_devices);
    }
    for (gsize i = 0; i < w->n_devices; i++) {
        cbor_item_t *dev = cbor_array_handle(root)[i];
        g_autofree char *path = NULL;
        g_autofree char *type = NULL;
        cbor_item_t *version, *state;
        const BenchDevice *d;

        if (!cbor_isa_map(dev) || !cbor_map_is_definite(dev)) {
            return bench_fail(error, "cbor: device %zu: not a map", i);
        }
        path = text_dup(map_get(dev, "path"));
        type = text_dup(map_get(dev, "type"));
        version = map_get(dev, "version");
        state = map_get(dev, "state");
        d = path ? bench_workload_find(w, (guint)i, path) : NULL;
        if (!d || !type || strcmp(type, d->type->cls.type_name) != 0 ||
            !version || !cbor_isa_uint(version) ||
            cbor_get_int(version) < d->type->cls.min_version ||
            cbor_get_int(version) > d->type->cls.version || !state) {
            return bench_fail(error, "cbor: device %s: not here",
                              path ? path : "?");
        }
        if (!get_struct(state, d->type->schema, d->dst, error) ||
            !bench_post_load(d->type, d->dst, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean cbor_bench_decode(BenchWorkload *w, const guint8 *data,
                                  gsize len, GError **error)
{
    struct cbor_load_result result;
    cbor_item_t *root = cbor_load(data, len, &result);
    gboolean ok;

    if (!root || result.error.code != CBOR_ERR_NONE || result.read != len) {
        if (root) {
            cbor_decref(&root);
        }
        return bench_fail(error, "cbor: malformed");
    }
    ok = get_devices(w, root, error);
    cbor_decref(&root);
    return ok;
}

const BenchCodec bench_codec_cbor = {
    "cbor", "libcbor: maps with field names, byte strings for bytes",
    BENCH_SELF_DESCRIBING, cbor_bench_encode, cbor_bench_decode, NULL,
};
