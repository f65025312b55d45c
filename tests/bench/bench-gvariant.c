/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GVariant (GLib), self-describing with its type string: the state is
 * "a(sssua{sv})", one (type, path, name, version, state) per device, each
 * struct an a{sv} dictionary from field name to a typed value (y, q, u, t,
 * i, x, b), arrays as fixed arrays (ay, aq, au, at, ax), arrays of structs
 * as aa{sv}.  The bytes written are the type string, NUL-padded to 8
 * bytes, then the serialised value.
 *
 * Encoding builds the value with GVariantBuilder and serialises it with
 * g_variant_store(); decoding loads the bytes untrusted
 * (g_variant_new_from_bytes, so GLib checks them as it reads) and walks
 * them with g_variant_get_child_value().
 */
#include <string.h>

#include "bench.h"

#define TOP_TYPE "a(sssua{sv})"

static GVariant *build_struct(const BenchStruct *s, const guint8 *obj);

static const GVariantType *elem_type(BenchKind kind)
{
    switch (kind) {
    case BK_BOOL:
        return G_VARIANT_TYPE_BOOLEAN;
    case BK_U8:
    case BK_BYTES:
        return G_VARIANT_TYPE_BYTE;
    case BK_U16:
        return G_VARIANT_TYPE_UINT16;
    case BK_U32:
        return G_VARIANT_TYPE_UINT32;
    case BK_U64:
        return G_VARIANT_TYPE_UINT64;
    case BK_I32:
        return G_VARIANT_TYPE_INT32;
    case BK_I64:
        return G_VARIANT_TYPE_INT64;
    default:
        g_assert_not_reached();
    }
}

static GVariant *scalar(BenchKind kind, const void *p)
{
    switch (kind) {
    case BK_BOOL:
        return g_variant_new_boolean(*(const bool *)p);
    case BK_U8:
        return g_variant_new_byte(*(const guint8 *)p);
    case BK_U16:
        return g_variant_new_uint16(*(const guint16 *)p);
    case BK_U32:
        return g_variant_new_uint32(*(const guint32 *)p);
    case BK_U64:
        return g_variant_new_uint64(*(const guint64 *)p);
    case BK_I32:
        return g_variant_new_int32(*(const gint32 *)p);
    case BK_I64:
        return g_variant_new_int64(*(const gint64 *)p);
    default:
        g_assert_not_reached();
    }
}

static GVariant *build_field(const BenchField *f, const guint8 *obj)
{
    const guint8 *p = obj + f->offset;
    GVariantBuilder b;

    switch (f->kind) {
    case BK_STRUCT:
        if (f->count == 0) {
            return build_struct(f->sub, p);
        }
        g_variant_builder_init(&b, G_VARIANT_TYPE("aa{sv}"));
        for (guint32 i = 0; i < f->count; i++) {
            g_variant_builder_add_value(&b, build_struct(f->sub,
                                                         p + i * f->sub->size));
        }
        return g_variant_builder_end(&b);
    case BK_SLIST:
        g_variant_builder_init(&b, G_VARIANT_TYPE("aa{sv}"));
        for (GSList *l = *(GSList *const *)p; l; l = l->next) {
            g_variant_builder_add_value(&b, build_struct(f->sub, l->data));
        }
        return g_variant_builder_end(&b);
    default:
        break;
    }
    if (f->count == 0) {
        return scalar(f->kind, p);
    }
    return g_variant_new_fixed_array(elem_type(f->kind), p, f->count,
                                     bench_kind_size(f->kind));
}

static GVariant *build_struct(const BenchStruct *s, const guint8 *obj)
{
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    for (guint i = 0; i < s->n_fields; i++) {
        g_variant_builder_add(&b, "{sv}", s->fields[i].name,
                              build_field(&s->fields[i], obj));
    }
    return g_variant_builder_end(&b);
}

/* The header: the type string, NUL-padded to a multiple of 8 bytes, so
 * the value that follows is aligned. */
static gsize header_len(void)
{
    return (sizeof(TOP_TYPE) + 7) & ~(gsize)7;
}

static gboolean gvariant_encode(BenchWorkload *w, GByteArray *out,
                                GError **error)
{
    GVariantBuilder b;
    g_autoptr(GVariant) v = NULL;
    gsize start = out->len;
    gsize hlen = header_len();

    g_variant_builder_init(&b, G_VARIANT_TYPE(TOP_TYPE));
    for (guint i = 0; i < w->n_devices; i++) {
        const BenchDevice *d = &w->devices[i];

        if (!bench_pre_save(d->type, d->src, error)) {
            g_variant_builder_clear(&b);
            return FALSE;
        }
        g_variant_builder_add(&b, "(sssu@a{sv})", d->type->cls.type_name,
                              d->path, d->name, d->type->cls.version,
                              build_struct(d->type->schema, d->src));
    }
    v = g_variant_ref_sink(g_variant_builder_end(&b));
    g_byte_array_set_size(out, (guint)(start + hlen + g_variant_get_size(v)));
    memset(out->data + start, 0, hlen);
    memcpy(out->data + start, TOP_TYPE, sizeof(TOP_TYPE));
    g_variant_store(v, out->data + start + hlen);
    return TRUE;
}

/* ---- decoding ----------------------------------------------------------------- */

static gboolean get_struct(GVariant *dict, const BenchStruct *s, guint8 *obj,
                           GError **error);

static gboolean get_scalar(GVariant *v, BenchKind kind, void *p)
{
    if (!g_variant_is_of_type(v, elem_type(kind))) {
        return FALSE;
    }
    switch (kind) {
    case BK_BOOL:
        *(bool *)p = g_variant_get_boolean(v);
        break;
    case BK_U8:
        *(guint8 *)p = g_variant_get_byte(v);
        break;
    case BK_U16:
        *(guint16 *)p = g_variant_get_uint16(v);
        break;
    case BK_U32:
        *(guint32 *)p = g_variant_get_uint32(v);
        break;
    case BK_U64:
        *(guint64 *)p = g_variant_get_uint64(v);
        break;
    case BK_I32:
        *(gint32 *)p = g_variant_get_int32(v);
        break;
    case BK_I64:
        *(gint64 *)p = g_variant_get_int64(v);
        break;
    default:
        return FALSE;
    }
    return TRUE;
}

static gboolean get_struct_list(GVariant *v, const BenchStruct *s,
                                guint8 *array, guint32 count, GSList **list,
                                GError **error)
{
    gsize n;

    if (!g_variant_is_of_type(v, G_VARIANT_TYPE("aa{sv}"))) {
        return bench_fail(error, "gvariant: %s: not aa{sv}", s->name);
    }
    n = g_variant_n_children(v);
    if (array && n != count) {
        return bench_fail(error, "gvariant: %s: %zu elements, not %u",
                          s->name, n, count);
    }
    for (gsize i = 0; i < n; i++) {
        g_autoptr(GVariant) e = g_variant_get_child_value(v, i);
        guint8 *dst = array ? array + i * s->size
                            : bench_slist_prepend(list, s);

        if (!get_struct(e, s, dst, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean get_field(GVariant *v, const BenchField *f, guint8 *obj,
                          GError **error)
{
    guint8 *p = obj + f->offset;
    gconstpointer elems;
    gsize n;

    if (f->kind == BK_STRUCT && f->count == 0) {
        return get_struct(v, f->sub, p, error);
    }
    if (f->kind == BK_STRUCT) {
        return get_struct_list(v, f->sub, p, f->count, NULL, error);
    }
    if (f->kind == BK_SLIST) {
        GSList *list = NULL;

        if (!get_struct_list(v, f->sub, NULL, 0, &list, error)) {
            g_slist_free_full(list, g_free);
            return FALSE;
        }
        *(GSList **)p = g_slist_reverse(list);
        return TRUE;
    }
    if (f->count == 0) {
        return get_scalar(v, f->kind, p) ||
               bench_fail(error, "gvariant: %s: bad value", f->name);
    }
    if (!g_variant_type_is_array(g_variant_get_type(v)) ||
        !g_variant_type_equal(g_variant_type_element(g_variant_get_type(v)),
                              elem_type(f->kind))) {
        return bench_fail(error, "gvariant: %s: bad array", f->name);
    }
    elems = g_variant_get_fixed_array(v, &n, bench_kind_size(f->kind));
    if (n != f->count) {
        return bench_fail(error, "gvariant: %s: %zu elements, not %u",
                          f->name, n, f->count);
    }
    memcpy(p, elems, n * bench_kind_size(f->kind));
    return TRUE;
}

static gboolean get_struct(GVariant *dict, const BenchStruct *s, guint8 *obj,
                           GError **error)
{
    if (!g_variant_is_of_type(dict, G_VARIANT_TYPE_VARDICT) ||
        g_variant_n_children(dict) != s->n_fields) {
        return bench_fail(error, "gvariant: %s: not a{sv} of %u fields",
                          s->name, s->n_fields);
    }
    for (guint i = 0; i < s->n_fields; i++) {
        g_autoptr(GVariant) entry = g_variant_get_child_value(dict, i);
        g_autoptr(GVariant) key = g_variant_get_child_value(entry, 0);
        g_autoptr(GVariant) boxed = g_variant_get_child_value(entry, 1);
        g_autoptr(GVariant) value = g_variant_get_variant(boxed);
        gsize len;
        const char *name = g_variant_get_string(key, &len);
        const BenchField *f = bench_field_lookup(s, name, len, i);

        if (!f) {
            return bench_fail(error, "gvariant: %s: unknown field %s",
                              s->name, name);
        }
        if (!get_field(value, f, obj, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean gvariant_decode(BenchWorkload *w, const guint8 *data,
                                gsize len, GError **error)
{
    gsize hlen = header_len();
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GVariant) root = NULL;

    if (len < hlen || memcmp(data, TOP_TYPE, sizeof(TOP_TYPE)) != 0) {
        return bench_fail(error, "gvariant: not a " TOP_TYPE);
    }
    bytes = g_bytes_new_static(data + hlen, len - hlen);
    root = g_variant_ref_sink(
        g_variant_new_from_bytes(G_VARIANT_TYPE(TOP_TYPE), bytes, FALSE));
    if (g_variant_n_children(root) != w->n_devices) {
        return bench_fail(error, "gvariant: not %u devices", w->n_devices);
    }
    for (guint i = 0; i < w->n_devices; i++) {
        g_autoptr(GVariant) dev = g_variant_get_child_value(root, i);
        const char *type, *path, *name;
        guint32 version;
        g_autoptr(GVariant) state = NULL;
        const BenchDevice *d;

        g_variant_get(dev, "(&s&s&su@a{sv})", &type, &path, &name, &version,
                      &state);
        d = bench_workload_find(w, i, path);
        if (!d || strcmp(type, d->type->cls.type_name) != 0 ||
            version < d->type->cls.min_version ||
            version > d->type->cls.version) {
            return bench_fail(error, "gvariant: device %s: not here", path);
        }
        if (!get_struct(state, d->type->schema, d->dst, error) ||
            !bench_post_load(d->type, d->dst, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

const BenchCodec bench_codec_gvariant = {
    "gvariant", "GVariant a{sv} per struct, typed arrays, with type string",
    BENCH_SELF_DESCRIBING, gvariant_encode, gvariant_decode, NULL,
};
