/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-extract, stage 2: the rules
 *
 * Interprets each field's markers and enforces the rules of
 * docs/annotations.md over the model: every field is either explained by
 * its type (a scalar, an array of them, a struct) or by a marker, and
 * every marker's argument makes sense (size_is names an earlier unsigned
 * sibling, a default fits its type, ...).  Each violation is one
 * diagnostic naming the field and the fix; all of them are reported before
 * the tool exits.
 */
#include <string.h>

#include "model.h"

typedef struct {
    const char *name;
    guint min_args;
    guint max_args;
} MarkerSpec;

static const MarkerSpec markers[] = {
    { "immutable", 0, 0 },
    { "derived", 0, 0 },
    { "broken", 0, 0 },
    { "elsewhere", 0, 0 },
    { "optional", 0, 0 },
    { "string", 0, 0 },
    { "size_is", 1, 1 },
    { "default", 1, 1 },
    { "version", 1, 1 },
    { "type_is", 1, 1 },
    { "property", 1, 2 },
    { "range", 2, 2 },
    { "index_of", 1, 1 },
    { "check", 1, G_MAXUINT },
    { "subsection", 3, 3 },
};

static const MarkerSpec *find_spec(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(markers); i++) {
        if (strcmp(markers[i].name, name) == 0) {
            return &markers[i];
        }
    }
    return NULL;
}

static gboolean is_identifier(const char *s)
{
    if (!g_ascii_isalpha(*s) && *s != '_') {
        return FALSE;
    }
    for (s++; *s; s++) {
        if (!g_ascii_isalnum(*s) && *s != '_') {
            return FALSE;
        }
    }
    return TRUE;
}

static char *unquote(const char *s)
{
    gsize len = strlen(s);

    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
        return g_strndup(s + 1, len - 2);
    }
    return g_strdup(s);
}

/* The kind of one element of @f if it is a scalar or enum, else 0. */
static QidlKind scalar_of(const QeField *f)
{
    if (f->type.tkind == QE_TYPE_SCALAR || f->type.tkind == QE_TYPE_ENUM) {
        return f->type.kind;
    }
    return 0;
}

static gboolean is_plain_scalar(const QeField *f)
{
    return scalar_of(f) != 0 && f->n_dims == 0 &&
           f->container == QE_C_NONE;
}

/* Reads the markers into the field's attributes. */
static void apply_markers(QeStruct *s, QeField *f, QeDiag *diag)
{
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < f->markers->len; i++) {
        QeMarker *m = g_ptr_array_index(f->markers, i);
        const MarkerSpec *spec = find_spec(m->name);
        const char *arg0 = m->args->len > 0 ?
                           g_ptr_array_index(m->args, 0) : NULL;

        if (!spec) {
            qe_error(diag, &m->loc,
                     "unknown QIDL marker '%s' on field '%s'; the markers "
                     "are immutable, derived, broken, elsewhere, optional, "
                     "size_is, string, default, version, type_is, property, "
                     "range, index_of, check and subsection", m->name,
                     f->name);
            continue;
        }
        if (m->args->len < spec->min_args || m->args->len > spec->max_args ||
            (arg0 && arg0[0] == '\0')) {
            qe_error(diag, &m->loc,
                     "marker '%s' on field '%s' takes %s", m->name, f->name,
                     spec->max_args == 0 ? "no arguments" :
                     spec->min_args == 3 ? "three arguments" :
                     spec->min_args == 2 ? "two arguments" :
                     spec->max_args == 2 ? "one or two arguments" :
                     "one argument");
            continue;
        }
        if (strcmp(m->name, "check") != 0 &&
            g_hash_table_contains(seen, m->name)) {
            qe_error(diag, &m->loc, "marker '%s' given twice on field '%s'",
                     m->name, f->name);
            continue;
        }
        g_hash_table_add(seen, m->name);

        if (strcmp(m->name, "immutable") == 0) {
            f->flags |= QE_F_IMMUTABLE;
        } else if (strcmp(m->name, "derived") == 0) {
            f->flags |= QE_F_DERIVED;
        } else if (strcmp(m->name, "broken") == 0) {
            f->flags |= QE_F_BROKEN;
        } else if (strcmp(m->name, "elsewhere") == 0) {
            f->flags |= QE_F_ELSEWHERE;
        } else if (strcmp(m->name, "optional") == 0) {
            f->flags |= QE_F_OPTIONAL;
        } else if (strcmp(m->name, "string") == 0) {
            f->flags |= QE_F_STRING;
        } else if (strcmp(m->name, "size_is") == 0) {
            f->size_is = g_strdup(arg0);
            f->size_is_loc = m->loc;
        } else if (strcmp(m->name, "default") == 0) {
            f->dflt_loc = m->loc;
            if (!qe_const_parse(&f->dflt, arg0)) {
                qe_error(diag, &m->loc,
                         "default of field '%s' must be a literal number, "
                         "true or false, not '%s'", f->name, arg0);
                g_free(f->dflt.text);
                memset(&f->dflt, 0, sizeof(f->dflt));
            }
        } else if (strcmp(m->name, "version") == 0) {
            QeConst c = { 0 };

            if (!qe_const_parse(&c, arg0) || c.is_float || c.negative ||
                c.mag < 1 || c.mag > s->version) {
                qe_error(diag, &m->loc,
                         "version of field '%s' must be between 1 and the "
                         "struct's version %u, not '%s'", f->name,
                         s->version, arg0);
            } else {
                f->version = (guint)c.mag;
            }
            g_free(c.text);
        } else if (strcmp(m->name, "type_is") == 0) {
            f->type_is = g_strdup(arg0);
            f->type_is_loc = m->loc;
        } else if (strcmp(m->name, "property") == 0) {
            f->flags |= QE_F_PROPERTY;
            f->property = unquote(arg0);
            if (!is_identifier(f->property) &&
                strspn(f->property, "abcdefghijklmnopqrstuvwxyz"
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789_-.") !=
                strlen(f->property)) {
                qe_error(diag, &m->loc,
                         "property name '%s' of field '%s' may only hold "
                         "letters, digits, '_', '-' and '.'", f->property,
                         f->name);
            }
            if (m->args->len == 2) {
                const char *dv = g_ptr_array_index(m->args, 1);

                if (dv[0] == '"') {
                    f->property_default.set = TRUE;
                    f->property_default.text = g_strdup(dv);
                } else if (!qe_const_parse(&f->property_default, dv)) {
                    qe_error(diag, &m->loc,
                             "default of property '%s' must be a literal, "
                             "not '%s'", f->property, dv);
                }
            }
        } else if (strcmp(m->name, "range") == 0) {
            const char *hi = g_ptr_array_index(m->args, 1);

            f->range_loc = m->loc;
            if (!qe_const_parse(&f->range_lo, arg0) ||
                !qe_const_parse(&f->range_hi, hi)) {
                qe_error(diag, &m->loc,
                         "range of field '%s' needs two literal bounds, not "
                         "'%s, %s'", f->name, arg0, hi);
                f->range_lo.set = f->range_hi.set = FALSE;
            }
        } else if (strcmp(m->name, "index_of") == 0) {
            f->index_of = g_strdup(arg0);
            f->index_of_loc = m->loc;
        } else if (strcmp(m->name, "check") == 0) {
            g_autofree char *expr = NULL;
            GString *joined = g_string_new(NULL);

            for (guint j = 0; j < m->args->len; j++) {
                if (j) {
                    g_string_append(joined, ", ");
                }
                g_string_append(joined, g_ptr_array_index(m->args, j));
            }
            expr = g_string_free(joined, FALSE);
            g_ptr_array_add(f->checks, g_strdup(expr));
            g_ptr_array_add(s->checks, g_steal_pointer(&expr));
        }
    }
    g_hash_table_unref(seen);
}

static const char *skip_reason(const QeField *f)
{
    return "mark it derived, immutable, elsewhere or broken";
}

/* Rules about what the field's type can be. */
static void check_type(QeStruct *s, QeField *f, QeDiag *diag)
{
    gboolean skipped = !qe_field_is_serialized(f);

    if (f->name[0] == '\0') {
        qe_error(diag, &f->loc,
                 "anonymous %s member in '%s': give it a field name so it "
                 "has a name on the wire",
                 f->type.tkind == QE_TYPE_UNION ? "union" : "struct",
                 s->name);
        return;
    }
    if (f->is_bitfield && !skipped) {
        qe_error(diag, &f->loc,
                 "field '%s' is a bitfield: QIDL cannot address it; use a "
                 "whole integer, or %s", f->name, skip_reason(f));
        return;
    }
    if (f->type_is && f->type.tkind == 0) {
        qe_error(diag, &f->type_is_loc,
                 "type_is of field '%s' names '%s', which is not a type "
                 "known here", f->name, f->type_is);
        return;
    }
    if (f->type_is && f->container == QE_C_NONE) {
        qe_error(diag, &f->type_is_loc,
                 "type_is on field '%s' of type '%s': it applies to "
                 "pointers, GSList and GArray only", f->name, f->ctype);
        return;
    }
    if (skipped) {
        return;
    }

    if ((f->flags & QE_F_STRING) != 0) {
        gboolean ok = f->type.tkind == QE_TYPE_SCALAR && f->type.is_char &&
                      f->type.size == 1 &&
                      ((f->n_dims == 1 && f->container == QE_C_NONE) ||
                       (f->n_dims == 0 && f->container == QE_C_HEAP));

        if (!ok) {
            qe_error(diag, &f->loc,
                     "string field '%s' must be char[N] or char *, not '%s'",
                     f->name, f->ctype);
        } else if (f->size_is) {
            qe_error(diag, &f->size_is_loc,
                     "string field '%s' cannot also have size_is", f->name);
        }
        return;
    }
    if (f->flexible) {
        qe_error(diag, &f->loc,
                 "field '%s' is a flexible array member: use a pointer with "
                 "size_is, or %s", f->name, skip_reason(f));
        return;
    }
    if (f->too_many_dims) {
        qe_error(diag, &f->loc,
                 "field '%s' has more than %d array dimensions", f->name,
                 QE_MAX_DIMS);
        return;
    }
    switch (f->container) {
    case QE_C_GSLIST:
    case QE_C_GARRAY:
        if (!f->type_is) {
            qe_error(diag, &f->loc,
                     "%s field '%s' needs type_is(T) to say what its "
                     "elements are, or %s",
                     f->container == QE_C_GSLIST ? "GSList" : "GArray",
                     f->name, skip_reason(f));
            return;
        }
        if (f->container == QE_C_GSLIST &&
            f->type.tkind != QE_TYPE_STRUCT) {
            qe_error(diag, &f->type_is_loc,
                     "GSList field '%s' holds pointers to structs: type_is "
                     "must name a struct type, not '%s'", f->name,
                     f->type_is);
            return;
        }
        break;
    case QE_C_HEAP:
        if (f->type.tkind == QE_TYPE_FUNCPTR) {
            break;
        }
        if (!f->size_is && !f->type_is) {
            qe_error(diag, &f->loc,
                     "pointer field '%s' needs a marker: size_is(count) for "
                     "an array it owns, type_is(T) for one object it owns, "
                     "string for a char *, or %s", f->name, skip_reason(f));
            return;
        }
        break;
    case QE_C_NONE:
        break;
    }
    if (f->size_is && f->n_dims == 0 && f->container != QE_C_HEAP) {
        qe_error(diag, &f->size_is_loc,
                 "size_is on field '%s', which is not an array or a pointer",
                 f->name);
        return;
    }

    switch (f->type.tkind) {
    case QE_TYPE_SCALAR:
    case QE_TYPE_ENUM:
        if (f->type.kind == 0) {
            qe_error(diag, &f->loc, "field '%s' has unsupported type '%s'",
                     f->name, f->type.ctype);
        }
        break;
    case QE_TYPE_STRUCT:
        if (!f->type.record) {
            qe_error(diag, &f->loc,
                     "field '%s' has incomplete type '%s': its definition "
                     "must be visible, or %s", f->name, f->type.ctype,
                     skip_reason(f));
        } else if (f->type.record->external && !f->type.record->annotated) {
            qe_error(diag, &f->loc,
                     "field '%s' has type '%s', defined in %s without a "
                     "QIDL_STRUCT marker: annotate it and extract that "
                     "header too", f->name, f->type.ctype,
                     f->type.record->loc.file);
        }
        break;
    case QE_TYPE_FUNCPTR:
        qe_error(diag, &f->loc,
                 "function pointer '%s' cannot be state: %s", f->name,
                 skip_reason(f));
        break;
    case QE_TYPE_UNION:
        qe_error(diag, &f->loc,
                 "field '%s' is a union: QIDL cannot tell which member is "
                 "live; use a struct with a discriminator, or %s", f->name,
                 skip_reason(f));
        break;
    case QE_TYPE_POINTER:
        qe_error(diag, &f->loc,
                 "pointer field '%s' needs a marker: size_is(count) for an "
                 "array it owns, type_is(T) for one object it owns, string "
                 "for a char *, or %s", f->name, skip_reason(f));
        break;
    case QE_TYPE_GSLIST:
    case QE_TYPE_GARRAY:
    case QE_TYPE_OTHER:
    default:
        qe_error(diag, &f->loc, "field '%s' has unsupported type '%s'",
                 f->name, f->type.ctype ? f->type.ctype : f->ctype);
        break;
    }
}

static void check_size_is(QeStruct *s, QeField *f, QeDiag *diag)
{
    QeField *count;
    QeConst c = { 0 };

    if (!f->size_is || !qe_field_is_serialized(f)) {
        return;
    }
    if (qe_const_parse(&c, f->size_is)) {
        if (c.is_float || c.negative || c.is_null || c.mag > G_MAXUINT32) {
            qe_error(diag, &f->size_is_loc,
                     "size_is of field '%s' must be a field or a constant "
                     "count, not '%s'", f->name, f->size_is);
        } else if (f->n_dims > 0 && c.mag > f->dims[0]) {
            qe_error(diag, &f->size_is_loc,
                     "size_is of field '%s' is %s, more than its capacity "
                     "%" G_GUINT64_FORMAT, f->name, f->size_is, f->dims[0]);
        } else {
            f->size_is_const = TRUE;
            f->size_is_value = c.mag;
        }
        g_free(c.text);
        return;
    }
    g_free(c.text);
    if (!is_identifier(f->size_is)) {
        qe_error(diag, &f->size_is_loc,
                 "size_is of field '%s' must name a field of '%s' or be a "
                 "constant, not '%s'", f->name, s->name, f->size_is);
        return;
    }
    count = qe_struct_find_field(s, f->size_is);
    if (!count) {
        qe_error(diag, &f->size_is_loc,
                 "size_is of field '%s' names '%s', which is not a field of "
                 "'%s'", f->name, f->size_is, s->name);
        return;
    }
    if (count->index > f->index) {
        qe_error(diag, &f->size_is_loc,
                 "size_is of field '%s' names '%s', which comes after it: "
                 "the count must be loaded before the array", f->name,
                 f->size_is);
        return;
    }
    if (!is_plain_scalar(count) || !qe_kind_is_integer(count->type.kind)) {
        qe_error(diag, &f->size_is_loc,
                 "size_is of field '%s' names '%s', which is not an "
                 "integer", f->name, f->size_is);
        return;
    }
    if (qe_kind_is_signed(count->type.kind)) {
        qe_error(diag, &f->size_is_loc,
                 "size_is of field '%s' names '%s', which is signed: a "
                 "count must be unsigned", f->name, f->size_is);
        return;
    }
    if (!qe_field_is_serialized(count) ||
        (count->flags & QE_F_OPTIONAL) || count->dflt.set) {
        qe_error(diag, &f->size_is_loc,
                 "size_is of field '%s' names '%s', which is not always "
                 "saved: the count must be plain state", f->name,
                 f->size_is);
        return;
    }
    f->size_is_field = count;
}

static void check_scalar_markers(QeStruct *s, QeField *f, QeDiag *diag)
{
    QidlKind kind = scalar_of(f);

    if (f->dflt.set) {
        if (f->flags & QE_F_OPTIONAL) {
            qe_error(diag, &f->dflt_loc,
                     "field '%s' cannot be both optional and have a "
                     "default", f->name);
        } else if (!is_plain_scalar(f)) {
            qe_error(diag, &f->dflt_loc,
                     "default on field '%s': only scalar fields can have a "
                     "default", f->name);
        } else if (!qe_const_fits(&f->dflt, kind)) {
            qe_error(diag, &f->dflt_loc,
                     "default %s of field '%s' does not fit its type '%s'",
                     f->dflt.text, f->name, f->type.ctype);
        }
    }
    if (f->range_lo.set) {
        if (!kind || f->container != QE_C_NONE) {
            qe_error(diag, &f->range_loc,
                     "range on field '%s': only scalars and arrays of them "
                     "can have a range", f->name);
        } else if (!qe_const_fits(&f->range_lo, kind) ||
                   !qe_const_fits(&f->range_hi, kind)) {
            qe_error(diag, &f->range_loc,
                     "range %s..%s of field '%s' does not fit its type '%s'",
                     f->range_lo.text, f->range_hi.text, f->name,
                     f->type.ctype);
        } else {
            gboolean empty;

            if (f->range_lo.is_float || f->range_hi.is_float) {
                double lo = f->range_lo.is_float ? f->range_lo.d :
                    (f->range_lo.negative ? -(double)f->range_lo.mag :
                     (double)f->range_lo.mag);
                double hi = f->range_hi.is_float ? f->range_hi.d :
                    (f->range_hi.negative ? -(double)f->range_hi.mag :
                     (double)f->range_hi.mag);

                empty = lo > hi;
            } else if (f->range_lo.negative != f->range_hi.negative) {
                empty = !f->range_lo.negative;
            } else if (f->range_lo.negative) {
                empty = f->range_lo.mag < f->range_hi.mag;
            } else {
                empty = f->range_lo.mag > f->range_hi.mag;
            }
            if (empty) {
                qe_error(diag, &f->range_loc,
                         "range %s..%s of field '%s' is empty",
                         f->range_lo.text, f->range_hi.text, f->name);
            }
        }
    }
    if (f->index_of) {
        QeField *arr = is_identifier(f->index_of) ?
                       qe_struct_find_field(s, f->index_of) : NULL;

        if (!kind || !qe_kind_is_integer(kind) ||
            f->container != QE_C_NONE) {
            qe_error(diag, &f->index_of_loc,
                     "index_of on field '%s': only integer fields can be "
                     "indices", f->name);
        } else if (!arr) {
            qe_error(diag, &f->index_of_loc,
                     "index_of of field '%s' names '%s', which is not a "
                     "field of '%s'", f->name, f->index_of, s->name);
        } else if (arr->n_dims == 0) {
            qe_error(diag, &f->index_of_loc,
                     "index_of of field '%s' names '%s', which is not a "
                     "fixed-size array", f->name, f->index_of);
        } else {
            f->index_of_field = arr;
        }
    }
    if (f->flags & QE_F_PROPERTY) {
        QidlKind pk = kind;

        if (!(is_plain_scalar(f) ||
              ((f->flags & QE_F_STRING) && f->type.is_char))) {
            qe_error(diag, &f->loc,
                     "property '%s' must be a scalar or a string field",
                     f->property);
        } else if (f->property_default.set && pk &&
                   !(f->flags & QE_F_STRING) &&
                   (f->property_default.text[0] == '"' ||
                    !qe_const_fits(&f->property_default, pk))) {
            qe_error(diag, &f->loc,
                     "default %s of property '%s' does not fit its type "
                     "'%s'", f->property_default.text, f->property,
                     f->type.ctype);
        } else if (f->property_default.set && (f->flags & QE_F_STRING) &&
                   f->property_default.text[0] != '"') {
            qe_error(diag, &f->loc,
                     "default of string property '%s' must be a string "
                     "literal", f->property);
        }
    }
}

static void check_optional(QeStruct *s, QeField *f, QeDiag *diag)
{
    g_autofree char *flag_name = NULL;
    QeField *flag;

    if (!(f->flags & QE_F_OPTIONAL)) {
        return;
    }
    flag_name = g_strdup_printf("has_%s", f->name);
    flag = qe_struct_find_field(s, flag_name);
    if (!flag || flag->type.tkind != QE_TYPE_SCALAR ||
        flag->type.kind != QIDL_KIND_BOOL || flag->n_dims != 0) {
        qe_error(diag, &f->loc,
                 "optional field '%s' needs a bool field '%s' in '%s' that "
                 "says whether it is present", f->name, flag_name, s->name);
        return;
    }
    if (flag->markers->len > 0) {
        qe_error(diag, &flag->loc,
                 "presence flag '%s' is carried with '%s' and takes no "
                 "markers", flag_name, f->name);
        return;
    }
    f->has_flag = flag;
}

/* A has_<x> flag of an optional x is carried by x's presence, not as a
 * field of its own. */
static gboolean is_presence_flag(const QeStruct *s, const QeField *f)
{
    for (guint i = 0; i < s->fields->len; i++) {
        const QeField *o = g_ptr_array_index(s->fields, i);

        if (o->has_flag == f) {
            return TRUE;
        }
    }
    return FALSE;
}

/* "file:line:col" of @loc, for messages that point at a second place. */
static char *loc_text(const QeLoc *loc)
{
    return g_strdup_printf("%s:%u:%u", loc->file ? loc->file : "?",
                           loc->line, loc->col);
}

/*
 * The struct-level markers after QIDL_STRUCT: post_load and pre_save, each
 * naming a function `gboolean fn(T *s, GError **error)` declared in the
 * translation unit (the generated code calls it by name).
 */
static void check_struct_markers(QeStruct *s, QeDiag *diag)
{
    for (guint i = 0; i < s->markers->len; i++) {
        QeMarker *m = g_ptr_array_index(s->markers, i);
        gboolean post = strcmp(m->name, "post_load") == 0;
        const char *arg0 = m->args->len > 0 ?
                           g_ptr_array_index(m->args, 0) : "";
        char **slot = post ? &s->post_load : &s->pre_save;
        const QeFunc *fn = m->func;

        if (!post && strcmp(m->name, "pre_save") != 0) {
            qe_error(diag, &m->loc,
                     "unknown QIDL struct marker '%s' on '%s'; the struct "
                     "markers are post_load and pre_save", m->name, s->name);
            continue;
        }
        if (m->args->len != 1 || !is_identifier(arg0)) {
            qe_error(diag, &m->loc,
                     "%s of '%s' takes one argument, the name of a function "
                     "'gboolean fn(%s *s, GError **error)'", m->name, s->name,
                     s->ctype);
            continue;
        }
        if (*slot) {
            qe_error(diag, &m->loc, "%s given twice on '%s'", m->name,
                     s->name);
            continue;
        }
        if (!fn) {
            qe_error(diag, &m->loc,
                     "%s hook '%s' of '%s' is not a declared function: "
                     "declare 'gboolean %s(%s *s, GError **error)' in the "
                     "header or one it includes", m->name, arg0, s->name,
                     arg0, s->ctype);
            continue;
        }
        if (fn->result != QE_RESULT_INT || fn->n_params != 2 ||
            fn->variadic || !fn->self || fn->self_const || !fn->gerror) {
            g_autofree char *where = loc_text(&fn->loc);

            qe_error(diag, &m->loc,
                     "%s hook '%s' of '%s' is '%s' (declared at %s); it must "
                     "be 'gboolean %s(%s *s, GError **error)'", m->name,
                     arg0, s->name, fn->type, where, arg0, s->ctype);
            continue;
        }
        *slot = g_strdup(arg0);
    }
}

static QeSubsection *find_subsection(const QeStruct *s, const char *name)
{
    for (guint i = 0; i < s->subsections->len; i++) {
        QeSubsection *ss = g_ptr_array_index(s->subsections, i);

        if (strcmp(ss->name, name) == 0) {
            return ss;
        }
    }
    return NULL;
}

/*
 * QIDL(subsection, "NAME", VERSION, NEEDED): groups the fields naming the
 * same subsection, in order of first appearance.  The name is QEMU's
 * subsection name on the wire (a counted string: at most 255 bytes);
 * NEEDED is `bool fn(const T *s)` (or without const).
 */
static void collect_subsection(QeStruct *s, QeField *f, QeDiag *diag)
{
    const QeMarker *m = qe_field_marker(f, "subsection");
    const char *qname, *ver, *needed;
    g_autofree char *name = NULL;
    QeConst c = { 0 };
    QeSubsection *ss;
    const QeFunc *fn;
    guint version;

    if (!m || m->args->len != 3) {
        return;
    }
    qname = g_ptr_array_index(m->args, 0);
    ver = g_ptr_array_index(m->args, 1);
    needed = g_ptr_array_index(m->args, 2);
    fn = m->func;
    name = unquote(qname);
    if (qname[0] != '"' || strcmp(name, qname) == 0 || name[0] == '\0' ||
        strlen(name) > 255 || strpbrk(name, "\"\\") != NULL) {
        qe_error(diag, &m->loc,
                 "subsection name of field '%s' must be a non-empty string "
                 "literal of at most 255 bytes without escapes, not '%s'",
                 f->name, qname);
        return;
    }
    if (!qe_const_parse(&c, ver) || c.is_float || c.negative ||
        c.is_null || c.mag < 1 || c.mag > G_MAXUINT32) {
        qe_error(diag, &m->loc,
                 "version of subsection \"%s\" on field '%s' must be a "
                 "number from 1, not '%s'", name, f->name, ver);
        g_free(c.text);
        return;
    }
    version = (guint)c.mag;
    g_free(c.text);
    if (!is_identifier(needed) || !fn) {
        qe_error(diag, &m->loc,
                 "needed predicate '%s' of subsection \"%s\" is not a "
                 "declared function: declare 'bool %s(const %s *s)' in the "
                 "header or one it includes", needed, name, needed,
                 s->ctype);
        return;
    }
    if ((fn->result != QE_RESULT_BOOL && fn->result != QE_RESULT_INT) ||
        fn->n_params != 1 || fn->variadic || !fn->self) {
        g_autofree char *where = loc_text(&fn->loc);

        qe_error(diag, &m->loc,
                 "needed predicate '%s' of subsection \"%s\" is '%s' "
                 "(declared at %s); it must be 'bool %s(const %s *s)'",
                 needed, name, fn->type, where, needed, s->ctype);
        return;
    }
    if (!qe_field_is_serialized(f)) {
        qe_error(diag, &m->loc,
                 "field '%s' is not saved: it cannot be in subsection "
                 "\"%s\"", f->name, name);
        return;
    }
    ss = find_subsection(s, name);
    if (!ss) {
        ss = g_new0(QeSubsection, 1);
        ss->name = g_steal_pointer(&name);
        ss->version = version;
        ss->needed = g_strdup(needed);
        ss->needed_const = fn->self_const;
        ss->loc = m->loc;
        ss->fields = g_ptr_array_new();
        g_ptr_array_add(s->subsections, ss);
    } else if (ss->version != version || strcmp(ss->needed, needed) != 0) {
        const QeField *first = g_ptr_array_index(ss->fields, 0);

        qe_error(diag, &m->loc,
                 "field '%s' gives subsection \"%s\" version %u and needed "
                 "'%s', but field '%s' gave version %u and needed '%s': "
                 "all fields of a subsection must agree", f->name, name,
                 version, needed, first->name, ss->version, ss->needed);
        return;
    }
    g_ptr_array_add(ss->fields, f);
    f->subsection = ss;
}

/*
 * Rules that depend on the order fields are visited in: subsections after
 * every other field, and fields of a later version skipped when an older
 * state is loaded.  A count must be loaded whenever its array is.
 */
static void check_visit_order(QeStruct *s, QeField *f, QeDiag *diag)
{
    const QeField *count = f->size_is_field;

    if (!count) {
        return;
    }
    if (count->subsection && count->subsection != f->subsection) {
        qe_error(diag, &f->size_is_loc,
                 "size_is of field '%s' names '%s', which is in subsection "
                 "\"%s\": the count must be in the array's subsection or "
                 "in none", f->name, count->name, count->subsection->name);
    } else if (!f->subsection && count->version > MAX(f->version, 1)) {
        qe_error(diag, &f->size_is_loc,
                 "size_is of field '%s' names '%s', which appeared in "
                 "version %u, after the array: the count must be loaded "
                 "whenever the array is", f->name, count->name,
                 count->version);
    }
}

void qe_check(QeModel *model, QeDiag *diag)
{
    for (guint i = 0; i < model->structs->len; i++) {
        QeStruct *s = g_ptr_array_index(model->structs, i);

        check_struct_markers(s, diag);
        for (guint j = 0; j < s->fields->len; j++) {
            apply_markers(s, g_ptr_array_index(s->fields, j), diag);
        }
        for (guint j = 0; j < s->fields->len; j++) {
            QeField *f = g_ptr_array_index(s->fields, j);

            check_type(s, f, diag);
            check_size_is(s, f, diag);
            check_scalar_markers(s, f, diag);
            check_optional(s, f, diag);
            collect_subsection(s, f, diag);
        }
        for (guint j = 0; j < s->fields->len; j++) {
            check_visit_order(s, g_ptr_array_index(s->fields, j), diag);
        }
        for (guint j = 0; j < s->fields->len; j++) {
            QeField *f = g_ptr_array_index(s->fields, j);

            if (is_presence_flag(s, f)) {
                /* Visited through qidl_visit_optional() of its field. */
                f->flags |= QE_F_PRESENCE;
            }
        }
    }
}
