/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON with json-glib, the way a GLib program writes it by hand: an array
 * of device objects {type, path, name, version, state}, each struct an
 * object from field name to value, integers as JSON numbers (uint64 values
 * above INT64_MAX travel as their two's complement, as json-glib only has
 * gint64), arrays as arrays, raw buffers as base64 strings.
 *
 * Encoding: JsonBuilder, then JsonGenerator.  Decoding: JsonParser, then
 * the fields looked up by name in each object (json-glib's hash tables).
 */
#include <string.h>

#include <json-glib/json-glib.h>

#include "bench.h"

static void build_struct(JsonBuilder *b, const BenchStruct *s,
                         const guint8 *obj);

static void build_scalar(JsonBuilder *b, BenchKind kind, const void *p)
{
    gboolean neg;
    guint64 v = bench_load_scalar(kind, p, &neg);

    if (kind == BK_BOOL) {
        json_builder_add_boolean_value(b, v != 0);
    } else {
        json_builder_add_int_value(b, (gint64)v);
    }
}

static void build_field(JsonBuilder *b, const BenchField *f,
                        const guint8 *obj)
{
    const guint8 *p = obj + f->offset;

    switch (f->kind) {
    case BK_STRUCT:
        if (f->count == 0) {
            build_struct(b, f->sub, p);
            return;
        }
        json_builder_begin_array(b);
        for (guint32 i = 0; i < f->count; i++) {
            build_struct(b, f->sub, p + i * f->sub->size);
        }
        json_builder_end_array(b);
        return;
    case BK_SLIST:
        json_builder_begin_array(b);
        for (GSList *l = *(GSList *const *)p; l; l = l->next) {
            build_struct(b, f->sub, l->data);
        }
        json_builder_end_array(b);
        return;
    case BK_BYTES: {
        g_autofree char *b64 = g_base64_encode(p, f->count);

        json_builder_add_string_value(b, b64);
        return;
    }
    default:
        break;
    }
    if (f->count == 0) {
        build_scalar(b, f->kind, p);
        return;
    }
    json_builder_begin_array(b);
    for (guint32 i = 0; i < f->count; i++) {
        build_scalar(b, f->kind, p + i * bench_kind_size(f->kind));
    }
    json_builder_end_array(b);
}

static void build_struct(JsonBuilder *b, const BenchStruct *s,
                         const guint8 *obj)
{
    json_builder_begin_object(b);
    for (guint i = 0; i < s->n_fields; i++) {
        json_builder_set_member_name(b, s->fields[i].name);
        build_field(b, &s->fields[i], obj);
    }
    json_builder_end_object(b);
}

static gboolean jsonglib_encode(BenchWorkload *w, GByteArray *out,
                                GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = NULL;
    gsize len;

    json_builder_begin_array(b);
    for (guint i = 0; i < w->n_devices; i++) {
        const BenchDevice *d = &w->devices[i];

        if (!bench_pre_save(d->type, d->src, error)) {
            return FALSE;
        }
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, d->type->cls.type_name);
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, d->path);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, d->name);
        json_builder_set_member_name(b, "version");
        json_builder_add_int_value(b, d->type->cls.version);
        json_builder_set_member_name(b, "state");
        build_struct(b, d->type->schema, d->src);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, &len);
    g_byte_array_append(out, (const guint8 *)text, (guint)len);
    return TRUE;
}

/* ---- decoding ----------------------------------------------------------------- */

static gboolean get_struct(JsonNode *node, const BenchStruct *s, guint8 *obj,
                           GError **error);

static gboolean get_scalar(JsonNode *node, BenchKind kind, void *p)
{
    gint64 v;

    if (!JSON_NODE_HOLDS_VALUE(node)) {
        return FALSE;
    }
    if (kind == BK_BOOL) {
        if (json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
            return FALSE;
        }
        *(bool *)p = json_node_get_boolean(node);
        return TRUE;
    }
    if (json_node_get_value_type(node) != G_TYPE_INT64) {
        return FALSE;
    }
    v = json_node_get_int(node);
    if (kind == BK_U64) {
        *(guint64 *)p = (guint64)v;
        return TRUE;
    }
    return bench_store_scalar(kind, p, (guint64)v, v < 0);
}

static gboolean get_field(JsonNode *node, const BenchField *f, guint8 *obj,
                          GError **error)
{
    guint8 *p = obj + f->offset;
    JsonArray *a;
    guint n;

    if (!node) {
        return bench_fail(error, "json-glib: %s: missing", f->name);
    }
    if (f->kind == BK_STRUCT && f->count == 0) {
        return get_struct(node, f->sub, p, error);
    }
    if (f->kind == BK_BYTES) {
        const char *b64;
        g_autofree guint8 *raw = NULL;
        gsize len;

        if (!JSON_NODE_HOLDS_VALUE(node) ||
            json_node_get_value_type(node) != G_TYPE_STRING) {
            return bench_fail(error, "json-glib: %s: not base64", f->name);
        }
        b64 = json_node_get_string(node);
        raw = g_base64_decode(b64, &len);
        if (len != f->count) {
            return bench_fail(error, "json-glib: %s: %zu bytes, not %u",
                              f->name, len, f->count);
        }
        memcpy(p, raw, len);
        return TRUE;
    }
    if (f->count == 0 && f->kind != BK_SLIST) {
        return get_scalar(node, f->kind, p) ||
               bench_fail(error, "json-glib: %s: bad value", f->name);
    }
    if (!JSON_NODE_HOLDS_ARRAY(node)) {
        return bench_fail(error, "json-glib: %s: not an array", f->name);
    }
    a = json_node_get_array(node);
    n = json_array_get_length(a);
    if (f->kind == BK_SLIST) {
        GSList *list = NULL;

        for (guint i = 0; i < n; i++) {
            gpointer elem = bench_slist_prepend(&list, f->sub);

            if (!get_struct(json_array_get_element(a, i), f->sub, elem,
                            error)) {
                g_slist_free_full(list, g_free);
                return FALSE;
            }
        }
        *(GSList **)p = g_slist_reverse(list);
        return TRUE;
    }
    if (n != f->count) {
        return bench_fail(error, "json-glib: %s: %u elements, not %u",
                          f->name, n, f->count);
    }
    for (guint i = 0; i < n; i++) {
        JsonNode *e = json_array_get_element(a, i);

        if (f->kind == BK_STRUCT) {
            if (!get_struct(e, f->sub, p + i * f->sub->size, error)) {
                return FALSE;
            }
        } else if (!get_scalar(e, f->kind,
                               p + i * bench_kind_size(f->kind))) {
            return bench_fail(error, "json-glib: %s[%u]: bad value", f->name,
                              i);
        }
    }
    return TRUE;
}

static gboolean get_struct(JsonNode *node, const BenchStruct *s, guint8 *obj,
                           GError **error)
{
    JsonObject *o;

    if (!JSON_NODE_HOLDS_OBJECT(node) ||
        json_object_get_size(o = json_node_get_object(node)) !=
            s->n_fields) {
        return bench_fail(error, "json-glib: %s: not an object of %u fields",
                          s->name, s->n_fields);
    }
    for (guint i = 0; i < s->n_fields; i++) {
        const BenchField *f = &s->fields[i];

        if (!get_field(json_object_get_member(o, f->name), f, obj, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean jsonglib_decode(BenchWorkload *w, const guint8 *data,
                                gsize len, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    JsonArray *devs;

    if (!json_parser_load_from_data(parser, (const char *)data, (gssize)len,
                                    error)) {
        return FALSE;
    }
    if (!JSON_NODE_HOLDS_ARRAY(json_parser_get_root(parser)) ||
        json_array_get_length(devs = json_node_get_array(
                                  json_parser_get_root(parser))) !=
            w->n_devices) {
        return bench_fail(error, "json-glib: not an array of %u devices",
                          w->n_devices);
    }
    for (guint i = 0; i < w->n_devices; i++) {
        JsonNode *dn = json_array_get_element(devs, i);
        JsonObject *dev;
        const char *path, *type;
        gint64 version;
        const BenchDevice *d;

        if (!JSON_NODE_HOLDS_OBJECT(dn)) {
            return bench_fail(error, "json-glib: device %u: not an object",
                              i);
        }
        dev = json_node_get_object(dn);
        path = json_object_get_string_member_with_default(dev, "path", "");
        type = json_object_get_string_member_with_default(dev, "type", "");
        version = json_object_get_int_member_with_default(dev, "version", 0);
        d = bench_workload_find(w, i, path);
        if (!d || strcmp(type, d->type->cls.type_name) != 0 ||
            version < d->type->cls.min_version ||
            version > d->type->cls.version ||
            !json_object_has_member(dev, "state")) {
            return bench_fail(error, "json-glib: device %s: not here", path);
        }
        if (!get_struct(json_object_get_member(dev, "state"),
                        d->type->schema, d->dst, error) ||
            !bench_post_load(d->type, d->dst, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

const BenchCodec bench_codec_jsonglib = {
    "json-glib", "json-glib JsonBuilder/JsonGenerator, JsonParser",
    BENCH_SELF_DESCRIBING, jsonglib_encode, jsonglib_decode, NULL,
};
