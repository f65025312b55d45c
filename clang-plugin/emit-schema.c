/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-extract: <stem>.qidl.json, the schema
 *
 * What the compatibility checker compares between releases, so it holds
 * what the wire depends on and nothing that moves with unrelated edits: no
 * line numbers, no offsets.  Per struct: name, C type, version, minimum
 * version, size, the check() invariants, the hooks, the fields in
 * declaration order and the subsections; per field: name, declared C type, wire kind, element kind/type
 * and size, array capacities, whether it is saved, the version it appeared
 * in and its annotations as written.  Enums list their value names.
 * docs/generator.md describes every member.
 */
#include <json-glib/json-glib.h>

#include "model.h"

#define SCHEMA_VERSION 1

static void add_str(JsonBuilder *b, const char *member, const char *value)
{
    json_builder_set_member_name(b, member);
    json_builder_add_string_value(b, value);
}

static void add_int(JsonBuilder *b, const char *member, gint64 value)
{
    json_builder_set_member_name(b, member);
    json_builder_add_int_value(b, value);
}

static const char *field_kind(const QeField *f, const char **elem)
{
    const char *k = NULL;

    if (f->flags & QE_F_STRING) {
        k = "string";
    } else if (f->type.tkind == QE_TYPE_STRUCT && f->type.record) {
        k = "struct";
    } else if (f->type.tkind == QE_TYPE_SCALAR ||
               f->type.tkind == QE_TYPE_ENUM) {
        k = qe_kind_name(f->type.kind);
    }
    *elem = k;
    if (!k) {
        return NULL;
    }
    if ((f->n_dims > 0 && !(f->flags & QE_F_STRING)) ||
        (f->container == QE_C_HEAP && f->size_is) ||
        f->container == QE_C_GSLIST || f->container == QE_C_GARRAY) {
        return "list";
    }
    return k;
}

static const char *container_name(const QeField *f)
{
    switch (f->container) {
    case QE_C_HEAP: return f->size_is ? "heap-array" : "pointer";
    case QE_C_GSLIST: return "GSList";
    case QE_C_GARRAY: return "GArray";
    default: return f->n_dims > 0 ? "array" : NULL;
    }
}

static void add_field(JsonBuilder *b, const QeField *f)
{
    const char *elem = NULL;
    const char *kind = field_kind(f, &elem);
    const char *container = container_name(f);

    json_builder_begin_object(b);
    add_str(b, "name", f->name);
    add_str(b, "ctype", f->ctype);
    json_builder_set_member_name(b, "kind");
    if (kind) {
        json_builder_add_string_value(b, kind);
    } else {
        json_builder_add_null_value(b);
    }
    if (container) {
        add_str(b, "container", container);
    }
    if (kind && g_strcmp0(kind, elem) != 0) {
        add_str(b, "element-kind", elem);
    }
    if (f->type.ctype && (f->n_dims > 0 || f->container != QE_C_NONE)) {
        add_str(b, "element-ctype", f->type.ctype);
    }
    if (f->type.tkind == QE_TYPE_STRUCT && f->type.record) {
        add_str(b, "struct", f->type.record->name);
    }
    if (f->type.tkind == QE_TYPE_ENUM) {
        add_str(b, "enum", f->type.enumeration->name);
    }
    add_int(b, "size", (gint64)f->size);
    if (f->type.size && (f->n_dims > 0 || f->container != QE_C_NONE)) {
        add_int(b, "element-size", (gint64)f->type.size);
    }
    if (f->n_dims > 0) {
        json_builder_set_member_name(b, "dims");
        json_builder_begin_array(b);
        for (guint d = 0; d < f->n_dims; d++) {
            json_builder_add_int_value(b, (gint64)f->dims[d]);
        }
        json_builder_end_array(b);
    }
    json_builder_set_member_name(b, "saved");
    json_builder_add_boolean_value(b, qe_field_is_serialized(f));
    add_int(b, "version", f->version ? f->version : 1);
    if (f->subsection) {
        add_str(b, "subsection", f->subsection->name);
    }
    if (f->flags & QE_F_PRESENCE) {
        add_str(b, "presence-of", g_str_has_prefix(f->name, "has_") ?
                                  f->name + 4 : f->name);
    }
    if (f->markers->len == 0) {
        json_builder_end_object(b);
        return;
    }
    json_builder_set_member_name(b, "annotations");
    json_builder_begin_object(b);
    for (guint i = 0; i < f->markers->len; i++) {
        const QeMarker *m = g_ptr_array_index(f->markers, i);

        json_builder_set_member_name(b, m->name);
        if (m->args->len == 0) {
            json_builder_add_boolean_value(b, TRUE);
        } else if (m->args->len == 1 && g_strcmp0(m->name, "range") != 0 &&
                   g_strcmp0(m->name, "property") != 0) {
            json_builder_add_string_value(b, g_ptr_array_index(m->args, 0));
        } else {
            json_builder_begin_array(b);
            for (guint j = 0; j < m->args->len; j++) {
                json_builder_add_string_value(b,
                                              g_ptr_array_index(m->args, j));
            }
            json_builder_end_array(b);
        }
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
}

static void add_struct(JsonBuilder *b, const QeStruct *s)
{
    json_builder_begin_object(b);
    add_str(b, "name", s->name);
    add_str(b, "ctype", s->anonymous ? "struct <anonymous>" : s->ctype);
    if (s->anonymous) {
        json_builder_set_member_name(b, "anonymous");
        json_builder_add_boolean_value(b, TRUE);
    }
    add_int(b, "version", s->version);
    add_int(b, "min-version", s->min_version);
    add_int(b, "size", (gint64)s->size);
    if (s->checks->len > 0) {
        json_builder_set_member_name(b, "checks");
        json_builder_begin_array(b);
        for (guint i = 0; i < s->checks->len; i++) {
            json_builder_add_string_value(b, g_ptr_array_index(s->checks, i));
        }
        json_builder_end_array(b);
    }
    if (s->pre_save) {
        add_str(b, "pre-save", s->pre_save);
    }
    if (s->post_load) {
        add_str(b, "post-load", s->post_load);
    }
    json_builder_set_member_name(b, "fields");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->fields->len; i++) {
        add_field(b, g_ptr_array_index(s->fields, i));
    }
    json_builder_end_array(b);
    if (s->subsections->len > 0) {
        json_builder_set_member_name(b, "subsections");
        json_builder_begin_array(b);
        for (guint i = 0; i < s->subsections->len; i++) {
            const QeSubsection *ss = g_ptr_array_index(s->subsections, i);

            json_builder_begin_object(b);
            add_str(b, "name", ss->name);
            add_int(b, "version", ss->version);
            add_str(b, "needed", ss->needed);
            json_builder_set_member_name(b, "fields");
            json_builder_begin_array(b);
            for (guint j = 0; j < ss->fields->len; j++) {
                const QeField *f = g_ptr_array_index(ss->fields, j);

                json_builder_add_string_value(b, f->name);
            }
            json_builder_end_array(b);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
}

static void add_enum(JsonBuilder *b, const QeEnum *e)
{
    json_builder_begin_object(b);
    add_str(b, "name", e->name);
    add_str(b, "ctype", e->ctype);
    add_str(b, "kind", qe_kind_name(e->kind) ? qe_kind_name(e->kind) : "");
    json_builder_set_member_name(b, "values");
    json_builder_begin_array(b);
    for (guint i = 0; i < e->values->len; i++) {
        const QeEnumValue *v = g_ptr_array_index(e->values, i);

        json_builder_begin_object(b);
        add_str(b, "name", v->name);
        add_int(b, "value", v->value);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

GString *qe_emit_schema(const QeModel *model, const QeEmitOptions *opts)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = NULL;
    GString *out;

    json_builder_begin_object(b);
    add_int(b, "qidl-schema", SCHEMA_VERSION);
    add_str(b, "source", opts->source_name);
    json_builder_set_member_name(b, "structs");
    json_builder_begin_array(b);
    for (guint i = 0; i < model->structs->len; i++) {
        add_struct(b, g_ptr_array_index(model->structs, i));
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "enums");
    json_builder_begin_array(b);
    for (guint i = 0; i < model->enums->len; i++) {
        add_enum(b, g_ptr_array_index(model->enums, i));
    }
    json_builder_end_array(b);
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    text = json_generator_to_data(gen, NULL);
    out = g_string_new(text);
    g_string_append_c(out, '\n');
    return out;
}
