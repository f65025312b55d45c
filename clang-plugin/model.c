/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-extract: the model's constructors, constants and diagnostics.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static void func_free(QeFunc *fn)
{
    if (fn) {
        g_free(fn->name);
        g_free(fn->type);
        g_free(fn);
    }
}

void qe_marker_free(gpointer p)
{
    QeMarker *m = p;

    g_free(m->name);
    g_ptr_array_unref(m->args);
    func_free(m->func);
    g_free(m);
}

static void subsection_free(gpointer p)
{
    QeSubsection *ss = p;

    g_free(ss->name);
    g_free(ss->needed);
    g_ptr_array_unref(ss->fields);
    g_free(ss);
}

static void const_clear(QeConst *c)
{
    g_free(c->text);
}

static void field_free(gpointer p)
{
    QeField *f = p;

    g_free(f->name);
    g_free(f->ctype);
    g_free(f->type.ctype);
    g_ptr_array_unref(f->markers);
    g_free(f->size_is);
    const_clear(&f->dflt);
    g_free(f->type_is);
    g_free(f->property);
    const_clear(&f->property_default);
    const_clear(&f->range_lo);
    const_clear(&f->range_hi);
    g_free(f->index_of);
    g_ptr_array_unref(f->checks);
    g_free(f);
}

static void struct_free(gpointer p)
{
    QeStruct *s = p;

    g_free(s->name);
    g_free(s->ctype);
    g_ptr_array_unref(s->fields);
    g_ptr_array_unref(s->checks);
    g_ptr_array_unref(s->markers);
    g_free(s->pre_save);
    g_free(s->post_load);
    g_ptr_array_unref(s->subsections);
    g_free(s);
}

static void enum_value_free(gpointer p)
{
    QeEnumValue *v = p;

    g_free(v->name);
    g_free(v);
}

static void enum_free(gpointer p)
{
    QeEnum *e = p;

    g_free(e->name);
    g_free(e->ctype);
    g_ptr_array_unref(e->values);
    g_free(e);
}

QeModel *qe_model_new(const char *source)
{
    QeModel *m = g_new0(QeModel, 1);

    m->source = g_strdup(source);
    m->structs = g_ptr_array_new();
    m->owned = g_ptr_array_new_with_free_func(struct_free);
    m->enums = g_ptr_array_new_with_free_func(enum_free);
    m->includes = g_ptr_array_new_with_free_func(g_free);
    m->strings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return m;
}

void qe_model_free(QeModel *model)
{
    if (!model) {
        return;
    }
    g_free(model->source);
    g_ptr_array_unref(model->structs);
    g_ptr_array_unref(model->owned);
    g_ptr_array_unref(model->enums);
    g_ptr_array_unref(model->includes);
    g_hash_table_unref(model->strings);
    g_free(model);
}

const char *qe_model_intern(QeModel *model, const char *s)
{
    char *found = g_hash_table_lookup(model->strings, s);

    if (!found) {
        found = g_strdup(s);
        g_hash_table_add(model->strings, found);
    }
    return found;
}

QeStruct *qe_struct_new(void)
{
    QeStruct *s = g_new0(QeStruct, 1);

    s->fields = g_ptr_array_new_with_free_func(field_free);
    s->checks = g_ptr_array_new_with_free_func(g_free);
    s->markers = g_ptr_array_new_with_free_func(qe_marker_free);
    s->subsections = g_ptr_array_new_with_free_func(subsection_free);
    s->version = 1;
    s->min_version = 1;
    return s;
}

QeField *qe_field_new(void)
{
    QeField *f = g_new0(QeField, 1);

    f->markers = g_ptr_array_new_with_free_func(qe_marker_free);
    f->checks = g_ptr_array_new_with_free_func(g_free);
    return f;
}

QeEnum *qe_enum_new(void)
{
    QeEnum *e = g_new0(QeEnum, 1);

    e->values = g_ptr_array_new_with_free_func(enum_value_free);
    return e;
}

QeField *qe_struct_find_field(const QeStruct *s, const char *name)
{
    for (guint i = 0; i < s->fields->len; i++) {
        QeField *f = g_ptr_array_index(s->fields, i);

        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }
    return NULL;
}

gboolean qe_field_is_serialized(const QeField *f)
{
    return (f->flags & QE_F_SKIPPED) == 0;
}

const QeMarker *qe_field_marker(const QeField *f, const char *name)
{
    for (guint i = 0; i < f->markers->len; i++) {
        const QeMarker *m = g_ptr_array_index(f->markers, i);

        if (strcmp(m->name, name) == 0) {
            return m;
        }
    }
    return NULL;
}

/* Strips one level of redundant parentheses: "(4)" -> "4". */
static char *strip_parens(const char *text)
{
    g_autofree char *s = g_strstrip(g_strdup(text));
    gsize len = strlen(s);

    while (len >= 2 && s[0] == '(' && s[len - 1] == ')') {
        char *inner = g_strstrip(g_strndup(s + 1, len - 2));

        g_free(s);
        s = inner;
        len = strlen(s);
    }
    return g_steal_pointer(&s);
}

gboolean qe_const_parse(QeConst *c, const char *text)
{
    g_autofree char *s = strip_parens(text);
    const char *p = s;
    char *end;

    memset(c, 0, sizeof(*c));
    c->text = g_strstrip(g_strdup(text));

    if (strcmp(p, "NULL") == 0 || strcmp(p, "(void *)0") == 0 ||
        strcmp(p, "(void*)0") == 0) {
        c->set = TRUE;
        c->is_null = TRUE;
        return TRUE;
    }
    if (strcmp(p, "true") == 0 || strcmp(p, "false") == 0) {
        c->set = TRUE;
        c->mag = p[0] == 't';
        return TRUE;
    }
    if (*p == '-' || *p == '+') {
        c->negative = *p == '-';
        p++;
        while (*p == ' ') {
            p++;
        }
    }
    if (!g_ascii_isdigit(*p) && *p != '.') {
        return FALSE;
    }

    /* An integer literal, with its suffixes. */
    errno = 0;
    c->mag = g_ascii_strtoull(p, &end, 0);
    if (end != p && errno == 0) {
        const char *q = end;

        while (*q == 'u' || *q == 'U' || *q == 'l' || *q == 'L') {
            q++;
        }
        if (*q == '\0') {
            c->set = TRUE;
            if (c->negative && c->mag == 0) {
                c->negative = FALSE;
            }
            return TRUE;
        }
    }

    /* A floating literal. */
    errno = 0;
    c->d = g_ascii_strtod(p, &end);
    if (end != p && errno == 0) {
        if (*end == 'f' || *end == 'F' || *end == 'l' || *end == 'L') {
            end++;
        }
        if (*end == '\0') {
            c->set = TRUE;
            c->is_float = TRUE;
            if (c->negative) {
                c->d = -c->d;
            }
            return TRUE;
        }
    }
    return FALSE;
}

gboolean qe_const_fits(const QeConst *c, QidlKind kind)
{
    guint64 max_pos;
    guint64 max_neg;

    if (c->is_null) {
        return FALSE;
    }
    if (kind == QIDL_KIND_FLOAT || kind == QIDL_KIND_DOUBLE) {
        return TRUE;
    }
    if (c->is_float) {
        return FALSE;
    }
    switch (kind) {
    case QIDL_KIND_BOOL:
        return !c->negative && c->mag <= 1;
    case QIDL_KIND_INT8:
        max_pos = G_MAXINT8;
        max_neg = (guint64)G_MAXINT8 + 1;
        break;
    case QIDL_KIND_UINT8:
        max_pos = G_MAXUINT8;
        max_neg = 0;
        break;
    case QIDL_KIND_INT16:
        max_pos = G_MAXINT16;
        max_neg = (guint64)G_MAXINT16 + 1;
        break;
    case QIDL_KIND_UINT16:
        max_pos = G_MAXUINT16;
        max_neg = 0;
        break;
    case QIDL_KIND_INT32:
        max_pos = G_MAXINT32;
        max_neg = (guint64)G_MAXINT32 + 1;
        break;
    case QIDL_KIND_UINT32:
        max_pos = G_MAXUINT32;
        max_neg = 0;
        break;
    case QIDL_KIND_INT64:
        max_pos = G_MAXINT64;
        max_neg = (guint64)G_MAXINT64 + 1;
        break;
    case QIDL_KIND_UINT64:
        max_pos = G_MAXUINT64;
        max_neg = 0;
        break;
    default:
        return FALSE;
    }
    return c->negative ? c->mag <= max_neg : c->mag <= max_pos;
}

char *qe_const_to_c(const QeConst *c, QidlKind kind)
{
    if (kind == QIDL_KIND_FLOAT || kind == QIDL_KIND_DOUBLE) {
        double d = c->is_float ? c->d :
                   (c->negative ? -(double)c->mag : (double)c->mag);
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        g_ascii_dtostr(buf, sizeof(buf), d);
        if (!strpbrk(buf, ".eEn")) {
            return g_strdup_printf("%s.0%s", buf,
                                   kind == QIDL_KIND_FLOAT ? "f" : "");
        }
        return g_strdup_printf("%s%s", buf, kind == QIDL_KIND_FLOAT ? "f" : "");
    }
    if (kind == QIDL_KIND_BOOL) {
        return g_strdup(c->mag ? "true" : "false");
    }
    if (c->negative) {
        /* INT64_MIN has no literal: write it as an expression. */
        if (c->mag == (guint64)G_MAXINT64 + 1) {
            return g_strdup("G_MININT64");
        }
        return g_strdup_printf("-%" G_GUINT64_FORMAT "%s", c->mag,
                               kind == QIDL_KIND_INT64 ? "LL" : "");
    }
    switch (kind) {
    case QIDL_KIND_UINT32:
        return g_strdup_printf("%" G_GUINT64_FORMAT "u", c->mag);
    case QIDL_KIND_INT64:
        return g_strdup_printf("%" G_GUINT64_FORMAT "LL", c->mag);
    case QIDL_KIND_UINT64:
        return g_strdup_printf("%" G_GUINT64_FORMAT "ULL", c->mag);
    default:
        return g_strdup_printf("%" G_GUINT64_FORMAT, c->mag);
    }
}

/*
 * The kind names and sizes of visitor.h, repeated here so that the
 * extractor does not load libqidl at run time (an installed qidl-extract
 * must work from any prefix).  test-extract checks them against libqidl.
 */
static const struct {
    const char *name;
    gsize size;
} kinds[] = {
    [QIDL_KIND_BOOL] = { "bool", 1 },
    [QIDL_KIND_INT8] = { "int8", 1 },
    [QIDL_KIND_UINT8] = { "uint8", 1 },
    [QIDL_KIND_INT16] = { "int16", 2 },
    [QIDL_KIND_UINT16] = { "uint16", 2 },
    [QIDL_KIND_INT32] = { "int32", 4 },
    [QIDL_KIND_UINT32] = { "uint32", 4 },
    [QIDL_KIND_INT64] = { "int64", 8 },
    [QIDL_KIND_UINT64] = { "uint64", 8 },
    [QIDL_KIND_FLOAT] = { "float", 4 },
    [QIDL_KIND_DOUBLE] = { "double", 8 },
    [QIDL_KIND_STRING] = { "string", 0 },
    [QIDL_KIND_BYTES] = { "bytes", 0 },
    [QIDL_KIND_STRUCT] = { "struct", 0 },
    [QIDL_KIND_LIST] = { "list", 0 },
};

const char *qe_kind_name(QidlKind kind)
{
    return kind >= QIDL_KIND_FIRST && kind <= QIDL_KIND_LAST ?
           kinds[kind].name : NULL;
}

gsize qe_kind_size(QidlKind kind)
{
    return kind >= QIDL_KIND_FIRST && kind <= QIDL_KIND_LAST ?
           kinds[kind].size : 0;
}

gboolean qe_kind_is_integer(QidlKind kind)
{
    return kind >= QIDL_KIND_INT8 && kind <= QIDL_KIND_UINT64;
}

gboolean qe_kind_is_signed(QidlKind kind)
{
    switch (kind) {
    case QIDL_KIND_INT8:
    case QIDL_KIND_INT16:
    case QIDL_KIND_INT32:
    case QIDL_KIND_INT64:
    case QIDL_KIND_FLOAT:
    case QIDL_KIND_DOUBLE:
        return TRUE;
    default:
        return FALSE;
    }
}

const char *qe_kind_gtype(QidlKind kind)
{
    switch (kind) {
    case QIDL_KIND_BOOL: return "bool";
    case QIDL_KIND_INT8: return "gint8";
    case QIDL_KIND_UINT8: return "guint8";
    case QIDL_KIND_INT16: return "gint16";
    case QIDL_KIND_UINT16: return "guint16";
    case QIDL_KIND_INT32: return "gint32";
    case QIDL_KIND_UINT32: return "guint32";
    case QIDL_KIND_INT64: return "gint64";
    case QIDL_KIND_UINT64: return "guint64";
    case QIDL_KIND_FLOAT: return "float";
    case QIDL_KIND_DOUBLE: return "double";
    default: return NULL;
    }
}

void qe_error(QeDiag *diag, const QeLoc *loc, const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    if (loc && loc->file) {
        fprintf(stderr, "%s:%u:%u: error: %s\n", loc->file, loc->line,
                loc->col, msg);
    } else {
        fprintf(stderr, "qidl-extract: error: %s\n", msg);
    }
    diag->n_errors++;
}
