/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-extract: <stem>.qidl.c
 *
 * Per struct, in the order nested types first:
 *
 *   qidl_visit_<T>()    the visit function, one statement per field (or
 *                       per run of plain scalar fields, see emit_fields()),
 *                       with a comment naming each field's source line;
 *                       on input every bound (size_is against the
 *                       capacity, range, index_of) is checked before the
 *                       value is stored, and the check() invariants
 *                       before end_struct
 *   qidl_load_<T>()     the atomic loader: visits a scratch copy, commits
 *                       it only if everything loaded and checked
 *   qidl_release_<T>()  frees the heap memory QIDL allocated on load
 *   qidl_<T>_fields[], qidl_<T>_vms, qidl_<T>_properties[]   the tables
 *
 * The code is written to read like the hand-written visitor in
 * tests/common/sample.c and to compile cleanly with gcc and clang at
 * -Wall -Wextra: comparisons that could never be true for the field's
 * type are not emitted at all (rather than cast away), so -Wtype-limits
 * stays quiet.
 */
#include <string.h>

#include "model.h"

typedef struct {
    GString *out;
    const QeModel *model;
    gboolean first_stmt;        /* no blank line before the first one */
    GHashTable *externals;      /* QeStruct * used from other headers */
} Emitter;

static void line(Emitter *e, int ind, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static void blank(Emitter *e)
{
    g_string_append_c(e->out, '\n');
}

static void line(Emitter *e, int ind, const char *format, ...)
{
    va_list ap;

    if (*format) {
        for (int i = 0; i < ind; i++) {
            g_string_append(e->out, "    ");
        }
        va_start(ap, format);
        g_string_append_vprintf(e->out, format, ap);
        va_end(ap);
    }
    g_string_append_c(e->out, '\n');
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/* Whether the generated symbols of @s are file-local. */
static const char *linkage(const QeStruct *s)
{
    return s->anonymous ? "static " : "";
}

/* The declaration as written: "uint8_t fifo[16]", "Timer *timer". */
char *qe_field_decl(const QeField *f);
char *qe_field_decl(const QeField *f)
{
    GString *s = g_string_new(NULL);
    const char *ctype = f->ctype;
    const char *bracket = strchr(ctype, '[');

    if (strstr(ctype, "(*")) {
        /* A function pointer: the name goes inside the parentheses. */
        const char *star = strstr(ctype, "(*") + 2;

        g_string_append_len(s, ctype, star - ctype);
        g_string_append_printf(s, "%s%s", f->name, star);
    } else if (f->n_dims > 0 && bracket) {
        g_string_append_len(s, ctype, bracket - ctype);
        g_string_append_printf(s, " %s%s", f->name, bracket);
    } else if (g_str_has_suffix(ctype, "*")) {
        g_string_append_printf(s, "%s%s", ctype, f->name);
    } else {
        g_string_append_printf(s, "%s %s", ctype, f->name);
    }
    for (guint i = 0; i < f->markers->len; i++) {
        const QeMarker *m = g_ptr_array_index(f->markers, i);

        g_string_append_printf(s, " QIDL(%s", m->name);
        for (guint j = 0; j < m->args->len; j++) {
            g_string_append_printf(s, ", %s",
                                   (char *)g_ptr_array_index(m->args, j));
        }
        g_string_append_c(s, ')');
    }
    return g_string_free(s, FALSE);
}

/* Does releasing a @s need to free anything? */
static gboolean struct_owns_memory(const QeStruct *s);

static gboolean field_owns_memory(const QeField *f)
{
    if (!qe_field_is_serialized(f)) {
        return FALSE;
    }
    if (f->container != QE_C_NONE || (f->flags & QE_F_STRING &&
                                      f->n_dims == 0)) {
        return TRUE;
    }
    return f->type.tkind == QE_TYPE_STRUCT && f->type.record &&
           struct_owns_memory(f->type.record);
}

static gboolean struct_owns_memory(const QeStruct *s)
{
    if (s->external) {
        return TRUE;    /* unknown here: its own release decides */
    }
    for (guint i = 0; i < s->fields->len; i++) {
        if (field_owns_memory(g_ptr_array_index(s->fields, i))) {
            return TRUE;
        }
    }
    return FALSE;
}

static guint64 kind_max(QidlKind kind)
{
    switch (kind) {
    case QIDL_KIND_BOOL: return 1;
    case QIDL_KIND_INT8: return G_MAXINT8;
    case QIDL_KIND_UINT8: return G_MAXUINT8;
    case QIDL_KIND_INT16: return G_MAXINT16;
    case QIDL_KIND_UINT16: return G_MAXUINT16;
    case QIDL_KIND_INT32: return G_MAXINT32;
    case QIDL_KIND_UINT32: return G_MAXUINT32;
    case QIDL_KIND_INT64: return G_MAXINT64;
    default: return G_MAXUINT64;
    }
}

static const char *visit_fn(QidlKind kind)
{
    switch (kind) {
    case QIDL_KIND_BOOL: return "qidl_visit_bool";
    case QIDL_KIND_INT8: return "qidl_visit_int8";
    case QIDL_KIND_UINT8: return "qidl_visit_uint8";
    case QIDL_KIND_INT16: return "qidl_visit_int16";
    case QIDL_KIND_UINT16: return "qidl_visit_uint16";
    case QIDL_KIND_INT32: return "qidl_visit_int32";
    case QIDL_KIND_UINT32: return "qidl_visit_uint32";
    case QIDL_KIND_INT64: return "qidl_visit_int64";
    case QIDL_KIND_UINT64: return "qidl_visit_uint64";
    case QIDL_KIND_FLOAT: return "qidl_visit_float";
    case QIDL_KIND_DOUBLE: return "qidl_visit_double";
    default: return NULL;
    }
}

static const char *kind_enum(QidlKind kind)
{
    switch (kind) {
    case QIDL_KIND_BOOL: return "QIDL_KIND_BOOL";
    case QIDL_KIND_INT8: return "QIDL_KIND_INT8";
    case QIDL_KIND_UINT8: return "QIDL_KIND_UINT8";
    case QIDL_KIND_INT16: return "QIDL_KIND_INT16";
    case QIDL_KIND_UINT16: return "QIDL_KIND_UINT16";
    case QIDL_KIND_INT32: return "QIDL_KIND_INT32";
    case QIDL_KIND_UINT32: return "QIDL_KIND_UINT32";
    case QIDL_KIND_INT64: return "QIDL_KIND_INT64";
    case QIDL_KIND_UINT64: return "QIDL_KIND_UINT64";
    case QIDL_KIND_FLOAT: return "QIDL_KIND_FLOAT";
    case QIDL_KIND_DOUBLE: return "QIDL_KIND_DOUBLE";
    case QIDL_KIND_STRING: return "QIDL_KIND_STRING";
    case QIDL_KIND_BYTES: return "QIDL_KIND_BYTES";
    case QIDL_KIND_STRUCT: return "QIDL_KIND_STRUCT";
    case QIDL_KIND_LIST: return "QIDL_KIND_LIST";
    default: return "0";
    }
}

static gboolean is_float_kind(QidlKind kind)
{
    return kind == QIDL_KIND_FLOAT || kind == QIDL_KIND_DOUBLE;
}


/* printf conversion and cast for a value of @kind in an error message. */
static void value_format(QidlKind kind, const char **fmt, const char **cast)
{
    if (is_float_kind(kind)) {
        *fmt = "%g";
        *cast = "(double)";
    } else if (qe_kind_is_signed(kind)) {
        *fmt = "%\" G_GINT64_FORMAT \"";
        *cast = "(gint64)";
    } else {
        *fmt = "%\" G_GUINT64_FORMAT \"";
        *cast = "(guint64)";
    }
}

/*
 * Where a failing value is, relative to the visitor's path at the time of
 * the check: a field of the struct being visited (`field`, named by
 * qidl_visitor_fail() as "<path>.<field>"), or the element of the list
 * being visited that was visited last (QIDL_FAIL_ELEMENT: "<path>[N]").
 */
typedef struct {
    const char *field;    /* a field name, or NULL for a list element */
} Where;

/* Emits qidl_visitor_fail(), then @fail. */
static void emit_fail(Emitter *e, int ind, const char *code,
                      const Where *w, const char *msg_fmt,
                      const char *msg_args, const char *fail)
{
    g_autofree char *field = w->field ? g_strdup_printf("\"%s\"", w->field) :
                             g_strdup("QIDL_FAIL_ELEMENT");

    line(e, ind, "qidl_visitor_fail(v, %s, error, %s,", field, code);
    if (*msg_args) {
        line(e, ind, "                  \"%s\",", msg_fmt);
        line(e, ind, "                  %s);", msg_args);
    } else {
        line(e, ind, "                  \"%s\");", msg_fmt);
    }
    line(e, ind, "%s", fail);
}

/* Emits the range and index_of checks of a loaded scalar @tmp. */
static void emit_scalar_checks(Emitter *e, int ind, const QeField *f,
                               QidlKind kind, const char *tmp,
                               const Where *w, const char *fail)
{
    const char *fmt, *cast;

    value_format(kind, &fmt, &cast);
    if (f->range_lo.set) {
        g_autofree char *lo = qe_const_to_c(&f->range_lo, kind);
        g_autofree char *hi = qe_const_to_c(&f->range_hi, kind);
        g_autofree char *cond = NULL;

        if (is_float_kind(kind)) {
            /* The negated form also rejects NaN. */
            cond = g_strdup_printf("!(%s >= %s && %s <= %s)", tmp, lo, tmp,
                                   hi);
        } else {
            /* A bound equal to the type's limit cannot be crossed, and
             * comparing against it would trip -Wtype-limits. */
            gboolean need_lo = qe_kind_is_signed(kind) ?
                !(f->range_lo.negative &&
                  f->range_lo.mag == kind_max(kind) + 1) :
                f->range_lo.mag > 0;
            gboolean need_hi = f->range_hi.negative ||
                               f->range_hi.mag < kind_max(kind);

            if (need_lo && need_hi) {
                cond = g_strdup_printf("%s < %s || %s > %s", tmp, lo, tmp,
                                       hi);
            } else if (need_lo) {
                cond = g_strdup_printf("%s < %s", tmp, lo);
            } else if (need_hi) {
                cond = g_strdup_printf("%s > %s", tmp, hi);
            }
        }
        if (cond) {
            g_autofree char *mf = g_strdup_printf("%s is not in range %s..%s",
                                                  fmt, f->range_lo.text,
                                                  f->range_hi.text);
            g_autofree char *ma = g_strdup_printf("%s%s", cast, tmp);

            line(e, ind, "if (%s) {", cond);
            emit_fail(e, ind + 1, "QIDL_ERROR_CONSTRAINT", w, mf, ma, fail);
            line(e, ind, "}");
        }
    }
    if (f->index_of_field) {
        const char *arr = f->index_of_field->name;
        g_autofree char *mf = g_strdup_printf(
            "%s is not an index of %s (%%zu elements)", fmt, arr);
        g_autofree char *ma = g_strdup_printf("%s%s, G_N_ELEMENTS(obj->%s)",
                                              cast, tmp, arr);

        if (qe_kind_is_signed(kind)) {
            line(e, ind, "if (%s < 0 || (guint64)%s >= G_N_ELEMENTS(obj->%s)) {",
                 tmp, tmp, arr);
        } else {
            line(e, ind, "if ((guint64)%s >= G_N_ELEMENTS(obj->%s)) {", tmp,
                 arr);
        }
        emit_fail(e, ind + 1, "QIDL_ERROR_CONSTRAINT", w, mf, ma, fail);
        line(e, ind, "}");
    }
}

static gboolean has_scalar_checks(const QeField *f)
{
    return f->range_lo.set || f->index_of_field;
}

static void use_struct(Emitter *e, const QeStruct *s)
{
    if (s->external) {
        g_hash_table_add(e->externals, (gpointer)s);
    }
}

/*
 * Emits the visit of one element of @f's element type at lvalue @lv, with
 * name @name (a C string literal or NULL).  On failure it runs @fail.
 */
static void emit_element(Emitter *e, int ind, const QeField *f,
                         const char *lv, const char *name, const Where *w,
                         const char *fail)
{
    const QeType *t = &f->type;

    if ((f->flags & QE_F_STRING) && f->n_dims == 1) {
        line(e, ind, "if (!qidl_visit_string_buf(v, %s, %s, sizeof(%s), "
             "error)) {", name, lv, lv);
        line(e, ind + 1, "%s", fail);
        line(e, ind, "}");
    } else if (f->flags & QE_F_STRING) {
        line(e, ind, "if (!qidl_visit_string(v, %s, &%s, error)) {", name,
             lv);
        line(e, ind + 1, "%s", fail);
        line(e, ind, "}");
    } else if (t->tkind == QE_TYPE_STRUCT) {
        use_struct(e, t->record);
        line(e, ind, "if (!qidl_visit_%s(v, %s, &%s, error)) {",
             t->record->name, name, lv);
        line(e, ind + 1, "%s", fail);
        line(e, ind, "}");
    } else if (t->direct && !has_scalar_checks(f)) {
        line(e, ind, "if (!%s(v, %s, &%s, error)) {", visit_fn(t->kind), name,
             lv);
        line(e, ind + 1, "%s", fail);
        line(e, ind, "}");
    } else {
        /* Through a temporary of the visited type, checked before it is
         * stored: the object never holds an unchecked value. */
        line(e, ind, "{");
        line(e, ind + 1, "%s tmp = %s;", qe_kind_gtype(t->kind), lv);
        blank(e);
        line(e, ind + 1, "if (!%s(v, %s, &tmp, error)) {", visit_fn(t->kind),
             name);
        line(e, ind + 2, "%s", fail);
        line(e, ind + 1, "}");
        line(e, ind + 1, "if (qidl_visitor_is_input(v)) {");
        emit_scalar_checks(e, ind + 2, f, t->kind, "tmp", w, fail);
        line(e, ind + 2, "%s = tmp;", lv);
        line(e, ind + 1, "}");
        line(e, ind, "}");
    }
}

/* The C expression of @f's count ("obj->fifo_len" or "4"). */
static char *count_expr(const QeField *f)
{
    if (f->size_is_const) {
        return g_strdup_printf("%" G_GUINT64_FORMAT, f->size_is_value);
    }
    return g_strdup_printf("obj->%s", f->size_is_field->name);
}

/*
 * Whether the elements of @f's last dimension are visited as one
 * qidl_visit_scalar_array(): scalars or enums whose C object is exactly
 * the wire kind's (so the array is an array of that kind), with no
 * per-element check (range, index_of) between loading and storing.
 */
static gboolean elements_in_bulk(const QeField *f)
{
    const QeType *t = &f->type;

    return (t->tkind == QE_TYPE_SCALAR || t->tkind == QE_TYPE_ENUM) &&
           !(f->flags & QE_F_STRING) && !has_scalar_checks(f) &&
           t->size == qe_kind_size(t->kind);
}

/* Emits nested loops over dimensions @dim.. of an in-struct array. */
static void emit_dims(Emitter *e, int ind, const QeField *f, guint dim,
                      const char *lv, const char *name)
{
    g_autofree char *n = g_strdup_printf("n%u", dim);
    g_autofree char *i = g_strdup_printf("i%u", dim);
    g_autofree char *elem = g_strdup_printf("%s[%s]", lv, i);
    gboolean sized = dim == 0 && f->size_is;

    if (dim + 1 == f->n_dims && elements_in_bulk(f)) {
        const char *cont = "                             ";
        g_autofree char *count = sized ? count_expr(f) :
            g_strdup_printf("G_N_ELEMENTS(%s)", lv);
        g_autofree char *args = g_strdup_printf(
            "%s, %s,", sized ? "QIDL_LIST_SIZED" : "QIDL_LIST_FIXED", count);

        line(e, ind, "if (!qidl_visit_scalar_array(v, %s, %s,", name,
             kind_enum(f->type.kind));
        /* The list kind and the count on one line if it fits in 80. */
        if (ind * 4 + strlen(cont) + strlen(args) <= 80) {
            line(e, ind, "%s%s", cont, args);
        } else {
            line(e, ind, "%s%s", cont,
                 sized ? "QIDL_LIST_SIZED," : "QIDL_LIST_FIXED,");
            line(e, ind, "%s%s,", cont, count);
        }
        line(e, ind, "%s%s, error)) {", cont, lv);
        line(e, ind + 1, "return FALSE;");
        line(e, ind, "}");
        return;
    }
    line(e, ind, "{");
    if (sized) {
        g_autofree char *count = count_expr(f);

        line(e, ind + 1, "guint32 %s = %s;", n, count);
    } else {
        line(e, ind + 1, "guint32 %s = G_N_ELEMENTS(%s);", n, lv);
    }
    blank(e);
    line(e, ind + 1, "if (!qidl_visit_start_list(v, %s, %s, &%s,", name,
         sized ? "QIDL_LIST_SIZED" : "QIDL_LIST_FIXED", n);
    line(e, ind + 1, "                           sizeof(%s[0]), error)) {", lv);
    line(e, ind + 2, "return FALSE;");
    line(e, ind + 1, "}");
    line(e, ind + 1, "for (guint32 %s = 0; %s < %s; %s++) {", i, i, n, i);
    line(e, ind + 2, "if (!qidl_visit_next_list(v, error)) {");
    line(e, ind + 3, "return FALSE;");
    line(e, ind + 2, "}");
    if (dim + 1 < f->n_dims) {
        emit_dims(e, ind + 2, f, dim + 1, elem, "NULL");
    } else {
        Where w = { NULL };

        emit_element(e, ind + 2, f, elem, "NULL", &w, "return FALSE;");
    }
    line(e, ind + 1, "}");
    line(e, ind + 1, "if (!qidl_visit_end_list(v, error)) {");
    line(e, ind + 2, "return FALSE;");
    line(e, ind + 1, "}");
    line(e, ind, "}");
}

/* Whether the element type of @f owns heap memory that needs releasing. */
static gboolean elem_owns_memory(const QeField *f)
{
    return f->type.tkind == QE_TYPE_STRUCT && f->type.record &&
           struct_owns_memory(f->type.record);
}

/* Emits the release of the element at @lv (a struct owning memory). */
static void emit_release_elem(Emitter *e, int ind, const QeField *f,
                              const char *lv)
{
    if (elem_owns_memory(f)) {
        use_struct(e, f->type.record);
        line(e, ind, "qidl_release_%s(&%s, NULL);", f->type.record->name, lv);
    }
}

/* A heap array with size_is: bounded, allocated on load, committed only
 * when every element loaded. */
static void emit_heap_array(Emitter *e, int ind, const QeField *f,
                            const char *name)
{
    g_autofree char *count = count_expr(f);
    g_autofree char *fail = g_strdup_printf("goto fail_%s;", f->name);
    Where w = { NULL };

    line(e, ind, "{");
    line(e, ind + 1, "%s *buf = obj->%s;", f->type.ctype, f->name);
    line(e, ind + 1, "guint32 n;");
    blank(e);
    if (!f->size_is_const &&
        kind_max(f->size_is_field->type.kind) > QIDL_LIMIT_LIST_LEN) {
        Where cw = { f->size_is_field->name };
        g_autofree char *mf = g_strdup_printf(
            "%%\" G_GUINT64_FORMAT \" elements of %s exceed the limit of %%u",
            f->name);
        g_autofree char *ma = g_strdup_printf("(guint64)%s, QIDL_LIMIT_LIST_LEN",
                                              count);

        line(e, ind + 1, "if (%s > QIDL_LIMIT_LIST_LEN) {", count);
        emit_fail(e, ind + 2, "QIDL_ERROR_LIMIT", &cw, mf, ma, "return FALSE;");
        line(e, ind + 1, "}");
    }
    line(e, ind + 1, "n = %s;", count);
    line(e, ind + 1, "if (n > 0 && !buf && !qidl_visitor_is_input(v)) {");
    {
        Where nw = { f->name };

        emit_fail(e, ind + 2, "QIDL_ERROR_INVALID", &nw,
                  "NULL with %u elements", "n", "return FALSE;");
    }
    line(e, ind + 1, "}");
    line(e, ind + 1, "if (!qidl_visit_start_list(v, %s, QIDL_LIST_SIZED, &n,",
         name);
    line(e, ind + 1, "                           sizeof(buf[0]), error)) {");
    line(e, ind + 2, "return FALSE;");
    line(e, ind + 1, "}");
    line(e, ind + 1, "if (qidl_visitor_is_input(v)) {");
    line(e, ind + 2, "buf = n > 0 ? g_new0(%s, n) : NULL;", f->type.ctype);
    line(e, ind + 1, "}");
    line(e, ind + 1, "for (guint32 i0 = 0; i0 < n; i0++) {");
    line(e, ind + 2, "if (!qidl_visit_next_list(v, error)) {");
    line(e, ind + 3, "%s", fail);
    line(e, ind + 2, "}");
    emit_element(e, ind + 2, f, "buf[i0]", "NULL", &w, fail);
    line(e, ind + 1, "}");
    line(e, ind + 1, "if (!qidl_visit_end_list(v, error)) {");
    line(e, ind + 2, "%s", fail);
    line(e, ind + 1, "}");
    line(e, ind + 1, "if (qidl_visitor_is_input(v)) {");
    line(e, ind + 2, "obj->%s = buf;", f->name);
    line(e, ind + 1, "}");
    line(e, ind + 1, "goto done_%s;", f->name);
    line(e, 0, "fail_%s:", f->name);
    line(e, ind + 1, "if (qidl_visitor_is_input(v)) {");
    if (elem_owns_memory(f)) {
        line(e, ind + 2, "for (guint32 i0 = 0; buf && i0 < n; i0++) {");
        emit_release_elem(e, ind + 3, f, "buf[i0]");
        line(e, ind + 2, "}");
    }
    line(e, ind + 2, "g_free(buf);");
    line(e, ind + 1, "}");
    line(e, ind + 1, "return FALSE;");
    line(e, 0, "done_%s:", f->name);
    line(e, ind + 1, ";");
    line(e, ind, "}");
}

/* A pointer to one object it owns (type_is): present when non-NULL. */
static void emit_heap_one(Emitter *e, int ind, const QeField *f,
                          const char *name)
{
    g_autofree char *fail = g_strdup_printf("goto fail_%s;", f->name);
    Where w = { f->name };

    line(e, ind, "present = obj->%s != NULL;", f->name);
    line(e, ind, "if (!qidl_visit_optional(v, %s, QIDL_PRESENCE_FLAG, "
         "&present, error)) {", name);
    line(e, ind + 1, "return FALSE;");
    line(e, ind, "}");
    line(e, ind, "if (!present && qidl_visitor_is_input(v)) {");
    line(e, ind + 1, "obj->%s = NULL;", f->name);
    line(e, ind, "}");
    line(e, ind, "if (present) {");
    line(e, ind + 1, "%s *one = qidl_visitor_is_input(v) ? g_new0(%s, 1) "
         ": obj->%s;", f->type.ctype, f->type.ctype, f->name);
    blank(e);
    emit_element(e, ind + 1, f, "one[0]", name, &w, fail);
    line(e, ind + 1, "if (qidl_visitor_is_input(v)) {");
    line(e, ind + 2, "obj->%s = one;", f->name);
    line(e, ind + 1, "}");
    line(e, ind + 1, "goto done_%s;", f->name);
    line(e, 0, "fail_%s:", f->name);
    line(e, ind + 1, "if (qidl_visitor_is_input(v)) {");
    emit_release_elem(e, ind + 2, f, "one[0]");
    line(e, ind + 2, "g_free(one);");
    line(e, ind + 1, "}");
    line(e, ind + 1, "return FALSE;");
    line(e, 0, "done_%s:", f->name);
    line(e, ind + 1, ";");
    line(e, ind, "}");
}

/* GSList of T * or GArray of T (type_is): a counted list. */
static void emit_container(Emitter *e, int ind, const QeField *f,
                           const char *name)
{
    gboolean slist = f->container == QE_C_GSLIST;
    const char *et = f->type.ctype;
    g_autofree char *fail = g_strdup_printf("goto fail_%s;", f->name);
    g_autofree char *out_lv = slist ?
        g_strdup_printf("(*(%s *)l->data)", et) :
        g_strdup_printf("g_array_index(obj->%s, %s, i0)", f->name, et);
    g_autofree char *in_lv = slist ? g_strdup("elem[0]") :
        g_strdup_printf("g_array_index(arr, %s, i0)", et);
    Where w = { NULL };

    line(e, ind, "if (!qidl_visitor_is_input(v)) {");
    if (slist) {
        line(e, ind + 1, "guint32 n = g_slist_length(obj->%s);", f->name);
    } else {
        line(e, ind + 1, "guint32 n = obj->%s ? obj->%s->len : 0;", f->name,
             f->name);
    }
    line(e, ind + 1, "guint32 i0 = 0;");
    blank(e);
    line(e, ind + 1, "if (!qidl_visit_start_list(v, %s, QIDL_LIST_COUNTED, "
         "&n,", name);
    line(e, ind + 1, "                           sizeof(%s), error)) {", et);
    line(e, ind + 2, "return FALSE;");
    line(e, ind + 1, "}");
    if (slist) {
        line(e, ind + 1, "for (GSList *l = obj->%s; l; l = l->next, i0++) {",
             f->name);
    } else {
        line(e, ind + 1, "for (; i0 < n; i0++) {");
    }
    line(e, ind + 2, "if (!qidl_visit_next_list(v, error)) {");
    line(e, ind + 3, "return FALSE;");
    line(e, ind + 2, "}");
    emit_element(e, ind + 2, f, out_lv, "NULL", &w, "return FALSE;");
    line(e, ind + 1, "}");
    line(e, ind + 1, "if (!qidl_visit_end_list(v, error)) {");
    line(e, ind + 2, "return FALSE;");
    line(e, ind + 1, "}");
    line(e, ind, "} else {");
    line(e, ind + 1, "guint32 n = 0;");
    if (slist) {
        line(e, ind + 1, "GSList *list = NULL;");
    } else {
        line(e, ind + 1, "GArray *arr = g_array_new(FALSE, TRUE, sizeof(%s));",
             et);
    }
    blank(e);
    line(e, ind + 1, "if (!qidl_visit_start_list(v, %s, QIDL_LIST_COUNTED, "
         "&n,", name);
    line(e, ind + 1, "                           sizeof(%s), error)) {", et);
    line(e, ind + 2, "%s", fail);
    line(e, ind + 1, "}");
    line(e, ind + 1, "for (guint32 i0 = 0; i0 < n; i0++) {");
    if (slist) {
        line(e, ind + 2, "%s *elem;", et);
        blank(e);
    }
    line(e, ind + 2, "if (!qidl_visit_next_list(v, error)) {");
    line(e, ind + 3, "%s", fail);
    line(e, ind + 2, "}");
    if (slist) {
        line(e, ind + 2, "elem = g_new0(%s, 1);", et);
        line(e, ind + 2, "list = g_slist_prepend(list, elem);");
    } else {
        line(e, ind + 2, "g_array_set_size(arr, i0 + 1);");
    }
    emit_element(e, ind + 2, f, in_lv, "NULL", &w, fail);
    line(e, ind + 1, "}");
    line(e, ind + 1, "if (!qidl_visit_end_list(v, error)) {");
    line(e, ind + 2, "%s", fail);
    line(e, ind + 1, "}");
    if (slist) {
        line(e, ind + 1, "obj->%s = g_slist_reverse(list);", f->name);
    } else {
        line(e, ind + 1, "obj->%s = arr;", f->name);
    }
    line(e, ind + 1, "goto done_%s;", f->name);
    line(e, 0, "fail_%s:", f->name);
    if (slist) {
        line(e, ind + 1, "for (GSList *l = list; l; l = l->next) {");
        emit_release_elem(e, ind + 2, f, out_lv);
        line(e, ind + 2, "g_free(l->data);");
        line(e, ind + 1, "}");
        line(e, ind + 1, "g_slist_free(list);");
    } else {
        if (elem_owns_memory(f)) {
            line(e, ind + 1, "for (guint i = 0; i < arr->len; i++) {");
            line(e, ind + 2, "qidl_release_%s(&g_array_index(arr, %s, i), "
                 "NULL);", f->type.record->name, et);
            line(e, ind + 1, "}");
        }
        line(e, ind + 1, "g_array_unref(arr);");
    }
    line(e, ind + 1, "return FALSE;");
    line(e, 0, "done_%s:", f->name);
    line(e, ind + 1, ";");
    line(e, ind, "}");
}

/*
 * Whether loading @f depends on the source's version: it appeared after
 * the oldest version its struct still loads.  Fields of a subsection are
 * never gated (the subsection is present or not as a whole), nor are
 * those of an anonymous struct (always nested, so always at the current
 * version).
 */
static gboolean is_gated(const QeField *f)
{
    return !f->subsection && !f->parent->anonymous &&
           f->version > f->parent->min_version;
}

static gboolean struct_has_gated(const QeStruct *s)
{
    for (guint i = 0; i < s->fields->len; i++) {
        const QeField *f = g_ptr_array_index(s->fields, i);

        if (qe_field_is_serialized(f) && is_gated(f)) {
            return TRUE;
        }
    }
    return FALSE;
}

/* Why the unsaved field @f is not saved, for its comment. */
static const char *unsaved_reason(const QeField *f)
{
    return f->flags & QE_F_PRESENCE ? "carried as the presence of the "
                                      "field it flags" :
           f->flags & QE_F_PROPERTY ? "a property, not state" :
           f->flags & QE_F_IMMUTABLE ? "immutable, not saved" :
           f->flags & QE_F_DERIVED ? "derived, not saved: the post-load "
                                     "hook recomputes it" :
           f->flags & QE_F_BROKEN ? "broken: not saved yet" :
           "saved elsewhere";
}

/* Emits the visit of field @f of the struct at `obj`. */
static void emit_field(Emitter *e, int ind, const QeField *f)
{
    g_autofree char *decl = qe_field_decl(f);
    g_autofree char *name = g_strdup_printf("\"%s\"", f->name);
    g_autofree char *lv = g_strdup_printf("obj->%s", f->name);
    Where w = { f->name };
    gboolean gated;

    if (!e->first_stmt) {
        blank(e);
    }
    e->first_stmt = FALSE;
    if (!qe_field_is_serialized(f)) {
        line(e, ind, "/* %s:%u %s: %s */", base_name(f->loc.file),
             f->loc.line, decl, unsaved_reason(f));
        return;
    }
    line(e, ind, "/* %s:%u %s */", base_name(f->loc.file), f->loc.line, decl);

    gated = is_gated(f);
    if (gated && f->dflt.set) {
        g_autofree char *dv = qe_const_to_c(&f->dflt, f->type.kind);

        /* An older source does not hold it: it loads as its default. */
        line(e, ind, "if (version < %u) {", f->version);
        line(e, ind + 1, "%s = %s;", lv, dv);
        line(e, ind, "} else {");
        ind++;
    } else if (gated) {
        line(e, ind, "if (version >= %u) {", f->version);
        ind++;
    }

    if (f->flags & QE_F_OPTIONAL) {
        line(e, ind, "present = obj->%s;", f->has_flag->name);
        line(e, ind, "if (!qidl_visit_optional(v, %s, QIDL_PRESENCE_FLAG, "
             "&present, error)) {", name);
        line(e, ind + 1, "return FALSE;");
        line(e, ind, "}");
        line(e, ind, "if (qidl_visitor_is_input(v)) {");
        line(e, ind + 1, "obj->%s = present;", f->has_flag->name);
        line(e, ind, "}");
        line(e, ind, "if (present) {");
        ind++;
    } else if (f->dflt.set) {
        g_autofree char *dv = qe_const_to_c(&f->dflt, f->type.kind);

        line(e, ind, "present = %s != %s;", lv, dv);
        line(e, ind, "if (!qidl_visit_optional(v, %s, QIDL_PRESENCE_DEFAULT, "
             "&present, error)) {", name);
        line(e, ind + 1, "return FALSE;");
        line(e, ind, "}");
        line(e, ind, "if (!present && qidl_visitor_is_input(v)) {");
        line(e, ind + 1, "%s = %s;", lv, dv);
        line(e, ind, "}");
        line(e, ind, "if (present) {");
        ind++;
    }

    if (f->container == QE_C_HEAP && f->size_is) {
        emit_heap_array(e, ind, f, name);
    } else if (f->container == QE_C_HEAP && !(f->flags & QE_F_STRING)) {
        emit_heap_one(e, ind, f, name);
    } else if (f->container == QE_C_GSLIST || f->container == QE_C_GARRAY) {
        emit_container(e, ind, f, name);
    } else if (f->n_dims > 0 && !((f->flags & QE_F_STRING) &&
                                  f->n_dims == 1)) {
        if (f->size_is && !f->size_is_const &&
            kind_max(f->size_is_field->type.kind) >= f->dims[0]) {
            Where w2 = { f->size_is_field->name };
            g_autofree char *mf = g_strdup_printf(
                "%%\" G_GUINT64_FORMAT \" exceeds the capacity of %s (%%zu)",
                f->name);
            g_autofree char *ma = g_strdup_printf(
                "(guint64)obj->%s, G_N_ELEMENTS(obj->%s)",
                f->size_is_field->name, f->name);

            /* size_is: bound the loaded count before touching the array. */
            line(e, ind, "if (obj->%s > G_N_ELEMENTS(obj->%s)) {",
                 f->size_is_field->name, f->name);
            emit_fail(e, ind + 1, "QIDL_ERROR_CONSTRAINT", &w2, mf, ma,
                      "return FALSE;");
            line(e, ind, "}");
        }
        emit_dims(e, ind, f, 0, lv, name);
    } else {
        emit_element(e, ind, f, lv, name, &w, "return FALSE;");
    }

    if ((f->flags & QE_F_OPTIONAL) || f->dflt.set) {
        ind--;
        line(e, ind, "}");
    }
    if (gated) {
        ind--;
        line(e, ind, "}");
    }
}

/*
 * Whether a QidlFieldCheck can carry @f's range or index_of check: one of
 * the two, on an integer kind.
 */
static gboolean checks_in_table(const QeField *f)
{
    return !(f->range_lo.set && f->index_of_field) &&
           !is_float_kind(f->type.kind);
}

/*
 * Whether @f can be an entry of a qidl_visit_scalar_fields() table: a
 * saved scalar or enum, not an array, whose C object is exactly the wire
 * kind's (as elements_in_bulk() asks of elements), with nothing of its
 * own around its visit: no presence (optional, default), and a range or
 * index_of only if a QidlFieldCheck can carry it (checks_in_table()), for
 * the input visitor to check before it stores the value.  check()
 * invariants run after the last field, so they do not matter here.
 */
static gboolean field_in_run(const QeField *f)
{
    const QeType *t = &f->type;

    return qe_field_is_serialized(f) && f->n_dims == 0 &&
           f->container == QE_C_NONE && !f->is_bitfield &&
           (t->tkind == QE_TYPE_SCALAR || t->tkind == QE_TYPE_ENUM) &&
           !(f->flags & (QE_F_STRING | QE_F_OPTIONAL)) && !f->dflt.set &&
           (!has_scalar_checks(f) || checks_in_table(f)) &&
           t->size == qe_kind_size(t->kind) &&
           f->name[0] && strlen(f->name) <= QIDL_LIMIT_NAME_LEN;
}

/*
 * Appends @word to the entry being written in @line, or, if the line
 * would pass 80 columns at indentation @ind, writes the line and starts
 * the next two columns further in.
 */
static void wrap_word(Emitter *e, int ind, GString *out, const char *word)
{
    if (out->len > 0 && ind * 4 + out->len + 1 + strlen(word) > 80) {
        line(e, ind, "%s", out->str);
        g_string_assign(out, "  ");
    } else if (out->len > 0 && out->str[out->len - 1] != ' ') {
        g_string_append_c(out, ' ');
    }
    g_string_append(out, word);
}

/* The entry of @f in a run's checks[]. */
static void emit_check_entry(Emitter *e, int ind, const QeField *f,
                             const char *ctype)
{
    QidlKind kind = f->type.kind;
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *w_bounds = NULL, *w_lo = NULL, *w_hi = NULL;
    const char *w_check;

    line(e, ind, "/* %s */", f->name);
    if (!has_scalar_checks(f)) {
        line(e, ind, "{ 0 },");
        return;
    }
    if (f->range_lo.set) {
        g_autofree char *lo = qe_const_to_c(&f->range_lo, kind);
        g_autofree char *hi = qe_const_to_c(&f->range_hi, kind);

        w_check = "{ QIDL_SCALAR_CHECK_RANGE,";
        w_bounds = g_strdup_printf("\"%s..%s\",", f->range_lo.text,
                                   f->range_hi.text);
        w_lo = g_strdup_printf("(guint64)(%s),", lo);
        w_hi = g_strdup_printf("(guint64)(%s) },", hi);
    } else {
        w_check = "{ QIDL_SCALAR_CHECK_INDEX,";
        w_bounds = g_strdup_printf("\"%s\",", f->index_of_field->name);
        w_lo = g_strdup("0,");
        w_hi = g_strdup_printf("G_N_ELEMENTS(((%s *)NULL)->%s) },", ctype,
                               f->index_of_field->name);
    }
    wrap_word(e, ind, out, w_check);
    wrap_word(e, ind, out, w_bounds);
    wrap_word(e, ind, out, w_lo);
    wrap_word(e, ind, out, w_hi);
    line(e, ind, "%s", out->str);
}

/* The version a field of a run is loaded from, 0 if always. */
static guint run_gate(const QeField *f)
{
    return is_gated(f) ? f->version : 0;
}

/*
 * Emits fields @first..@last of @fields (those saved: the fields of a
 * run, see emit_fields()) as one qidl_visit_scalar_fields() call with a
 * static table; the unsaved ones between them are comments in the table,
 * where their visit would have been.  If a field has a range or an
 * index_of, the checks go into a second table, checks[], for
 * qidl_visit_checked_fields().
 */
static void emit_run(Emitter *e, int ind, const GPtrArray *fields,
                     guint first, guint last)
{
    const QeField *f0 = g_ptr_array_index(fields, first);
    const char *ctype = f0->parent->ctype;
    guint gate = run_gate(f0);
    gboolean checked = FALSE;

    if (!e->first_stmt) {
        blank(e);
    }
    e->first_stmt = FALSE;
    if (gate) {
        line(e, ind, "if (version >= %u) {", gate);
    } else {
        line(e, ind, "{");
    }
    line(e, ind + 1, "static const QidlScalarField fields[] = {");
    for (guint i = first; i <= last; i++) {
        const QeField *f = g_ptr_array_index(fields, i);
        g_autofree char *decl = qe_field_decl(f);
        g_autofree char *entry = NULL;

        if (!qe_field_is_serialized(f)) {
            line(e, ind + 2, "/* %s:%u %s: %s */", base_name(f->loc.file),
                 f->loc.line, decl, unsaved_reason(f));
            continue;
        }
        line(e, ind + 2, "/* %s:%u %s */", base_name(f->loc.file),
             f->loc.line, decl);
        checked |= has_scalar_checks(f);
        entry = g_strdup_printf("{ \"%s\", offsetof(%s, %s), %s, %zu },",
                                f->name, ctype, f->name,
                                kind_enum(f->type.kind), strlen(f->name));
        if ((ind + 2) * 4 + strlen(entry) <= 80) {
            line(e, ind + 2, "%s", entry);
        } else {
            /* Broken after the offset, if it does not fit in 80. */
            line(e, ind + 2, "{ \"%s\", offsetof(%s, %s),", f->name, ctype,
                 f->name);
            line(e, ind + 2, "  %s, %zu },", kind_enum(f->type.kind),
                 strlen(f->name));
        }
    }
    line(e, ind + 1, "};");
    if (checked) {
        /* What the input visitor checks before it stores a value; the
         * output ignores it. */
        line(e, ind + 1, "static const QidlFieldCheck checks[] = {");
        for (guint i = first; i <= last; i++) {
            const QeField *f = g_ptr_array_index(fields, i);

            if (qe_field_is_serialized(f)) {
                emit_check_entry(e, ind + 2, f, ctype);
            }
        }
        line(e, ind + 1, "};");
        blank(e);
        line(e, ind + 1, "if (!qidl_visit_checked_fields(v, fields, checks,");
        line(e, ind + 1, "                               G_N_ELEMENTS(fields), "
             "obj, error)) {");
    } else {
        blank(e);
        line(e, ind + 1, "if (!qidl_visit_scalar_fields(v, fields, "
             "G_N_ELEMENTS(fields), obj,");
        line(e, ind + 1, "                              error)) {");
    }
    line(e, ind + 2, "return FALSE;");
    line(e, ind + 1, "}");
    line(e, ind, "}");
}

/*
 * Emits the visits of @fields in order.  A run of at least two saved
 * fields that field_in_run() accepts and that are loaded from the same
 * version, with nothing but unsaved fields between them, is one
 * qidl_visit_scalar_fields() call (qidl_visit_checked_fields() if one has
 * a range or an index_of): the same bytes, trees and errors as their
 * visits one by one, in one call through the visitor.
 */
static void emit_fields(Emitter *e, int ind, const GPtrArray *fields)
{
    guint i = 0;

    while (i < fields->len) {
        const QeField *f = g_ptr_array_index(fields, i);
        guint last = i;
        guint n = 1;

        if (field_in_run(f)) {
            for (guint j = i + 1; j < fields->len; j++) {
                const QeField *g = g_ptr_array_index(fields, j);

                if (!qe_field_is_serialized(g)) {
                    continue;
                }
                if (!field_in_run(g) || run_gate(g) != run_gate(f)) {
                    break;
                }
                last = j;
                n++;
            }
        }
        if (n >= 2) {
            emit_run(e, ind, fields, i, last);
            i = last + 1;
        } else {
            emit_field(e, ind, f);
            i++;
        }
    }
}

/* Does the visit function of @s need the `present` variable? */
static gboolean needs_present(const QeStruct *s)
{
    if (s->subsections->len > 0) {
        return TRUE;
    }
    for (guint i = 0; i < s->fields->len; i++) {
        const QeField *f = g_ptr_array_index(s->fields, i);

        if (!qe_field_is_serialized(f)) {
            continue;
        }
        if ((f->flags & QE_F_OPTIONAL) || f->dflt.set ||
            (f->container == QE_C_HEAP && !f->size_is &&
             !(f->flags & QE_F_STRING))) {
            return TRUE;
        }
    }
    return FALSE;
}

/* Rewrites a check() expression over field names into C over `obj`. */
static char *check_to_c(const QeStruct *s, const char *expr)
{
    GString *out = g_string_new(NULL);
    const char *p = expr;

    while (*p) {
        if (*p == '"' || *p == '\'') {
            char q = *p;

            g_string_append_c(out, *p++);
            while (*p && *p != q) {
                if (*p == '\\' && p[1]) {
                    g_string_append_c(out, *p++);
                }
                g_string_append_c(out, *p++);
            }
            if (*p) {
                g_string_append_c(out, *p++);
            }
        } else if (g_ascii_isalpha(*p) || *p == '_') {
            const char *start = p;
            g_autofree char *id = NULL;
            gboolean member = FALSE;
            const char *b = start;

            while (g_ascii_isalnum(*p) || *p == '_') {
                p++;
            }
            id = g_strndup(start, p - start);
            while (b > expr && b[-1] == ' ') {
                b--;
            }
            member = (b > expr && b[-1] == '.') ||
                     (b - expr >= 2 && b[-1] == '>' && b[-2] == '-');
            if (!member && qe_struct_find_field(s, id)) {
                g_string_append(out, "obj->");
            }
            g_string_append(out, id);
        } else if (g_ascii_isdigit(*p)) {
            while (g_ascii_isalnum(*p) || *p == '.') {
                g_string_append_c(out, *p++);
            }
        } else {
            g_string_append_c(out, *p++);
        }
    }
    return g_string_free(out, FALSE);
}

static void emit_check_fn(Emitter *e, const QeStruct *s)
{
    blank(e);
    line(e, 0, "/* %s:%u the check() invariants of %s */",
         base_name(s->loc.file), s->loc.line, s->name);
    line(e, 0, "static gboolean qidl_check_%s(const void *opaque, "
         "const char *path,", s->name);
    line(e, 0, "                %*s GError **error)", (int)strlen(s->name),
         "");
    line(e, 0, "{");
    line(e, 1, "const %s *obj = opaque;", s->ctype);
    for (guint i = 0; i < s->checks->len; i++) {
        const char *expr = g_ptr_array_index(s->checks, i);
        g_autofree char *c = check_to_c(s, expr);
        g_autofree char *esc = g_strescape(expr, NULL);

        blank(e);
        line(e, 1, "if (!(%s)) {", c);
        line(e, 2, "g_set_error(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT,");
        line(e, 2, "            \"%%s: check failed: %%s\", path,");
        line(e, 2, "            \"%s\");", esc);
        line(e, 2, "return FALSE;");
        line(e, 1, "}");
    }
    line(e, 1, "return TRUE;");
    line(e, 0, "}");
}

/* Emits the visit of subsection @ss: QEMU's needed() decides on output. */
static void emit_subsection(Emitter *e, const QeSubsection *ss)
{
    gboolean any_default = FALSE;

    blank(e);
    line(e, 1, "/* Subsection \"%s\", version %u, saved when %s() */",
         ss->name, ss->version, ss->needed);
    line(e, 1, "present = !qidl_visitor_is_input(v) && %s(obj);", ss->needed);
    line(e, 1, "if (!qidl_visit_start_subsection(v, \"%s\", %uu, &present,",
         ss->name, ss->version);
    line(e, 1, "                                 error)) {");
    line(e, 2, "return FALSE;");
    line(e, 1, "}");
    line(e, 1, "if (present) {");
    e->first_stmt = TRUE;
    emit_fields(e, 2, ss->fields);
    for (guint i = 0; i < ss->fields->len; i++) {
        const QeField *f = g_ptr_array_index(ss->fields, i);

        any_default |= f->dflt.set;
    }
    blank(e);
    line(e, 2, "if (!qidl_visit_end_subsection(v, error)) {");
    line(e, 3, "return FALSE;");
    line(e, 2, "}");
    if (any_default) {
        /* Absent from the source: the fields with a default load it. */
        line(e, 1, "} else if (qidl_visitor_is_input(v)) {");
        for (guint i = 0; i < ss->fields->len; i++) {
            const QeField *f = g_ptr_array_index(ss->fields, i);
            g_autofree char *dv = NULL;

            if (!f->dflt.set) {
                continue;
            }
            dv = qe_const_to_c(&f->dflt, f->type.kind);
            line(e, 2, "obj->%s = %s;", f->name, dv);
        }
    }
    line(e, 1, "}");
}

static void emit_visit_fn(Emitter *e, const QeStruct *s)
{
    gboolean gated = struct_has_gated(s);
    /* The fields visited before the subsections, in order. */
    g_autoptr(GPtrArray) outside = g_ptr_array_new();

    blank(e);
    line(e, 0, "/* %s:%u %s */", base_name(s->loc.file), s->loc.line,
         s->ctype);
    line(e, 0, "%sgboolean qidl_visit_%s(QidlVisitor *v, const char *name, "
         "%s *obj,", linkage(s), s->name, s->ctype);
    line(e, 0, "%*s GError **error)",
         (int)(strlen(linkage(s)) + strlen("gboolean qidl_visit_") +
               strlen(s->name)), "");
    line(e, 0, "{");
    if (gated) {
        line(e, 1, "guint32 version = %u;", s->version);
    }
    if (needs_present(s)) {
        line(e, 1, "bool present;");
    }
    if (gated || needs_present(s)) {
        blank(e);
    }
    if (!s->anonymous) {
        /* QEMU's rule: a loaded state is at the source's version, which
         * must be one we still load; a nested struct is at its own. */
        g_autofree char *range = s->min_version == s->version ?
            g_strdup_printf("%u", s->version) :
            g_strdup_printf("%u..%u", s->min_version, s->version);

        line(e, 1, "/* A top-level load is at the source's version, which "
             "must be %s%s;", s->min_version == s->version ? "" : "in ",
             range);
        line(e, 1, " * a nested struct is at its current one (QEMU's "
             "rule). */");
        line(e, 1, "if (qidl_visitor_is_input(v) && "
             "qidl_visitor_get_depth(v) == 0 &&");
        line(e, 1, "    qidl_visitor_get_version(v) != QIDL_VERSION_CURRENT) {");
        if (gated) {
            line(e, 2, "version = qidl_visitor_get_version(v);");
        } else {
            line(e, 2, "guint32 version = qidl_visitor_get_version(v);");
            blank(e);
        }
        if (s->min_version == s->version) {
            line(e, 2, "if (version != %u) {", s->version);
        } else {
            line(e, 2, "if (version < %u || version > %u) {", s->min_version,
                 s->version);
        }
        line(e, 3, "return qidl_visitor_fail(v, NULL, error, "
             "QIDL_ERROR_VERSION,");
        line(e, 3, "                         \"%%s: state version %%\" "
             "G_GUINT32_FORMAT");
        line(e, 3, "                         \" is not %s%s\",",
             s->min_version == s->version ? "" : "in ", range);
        line(e, 3, "                         name ? name : \"%s\", version);",
             s->name);
        line(e, 2, "}");
        line(e, 1, "}");
    }
    if (s->pre_save) {
        line(e, 1, "if (!qidl_visitor_is_input(v) && !%s(obj, error)) {",
             s->pre_save);
        line(e, 2, "return FALSE;");
        line(e, 1, "}");
    }
    line(e, 1, "if (!qidl_visit_start_struct(v, name, error)) {");
    line(e, 2, "return FALSE;");
    line(e, 1, "}");
    e->first_stmt = FALSE;
    for (guint i = 0; i < s->fields->len; i++) {
        const QeField *f = g_ptr_array_index(s->fields, i);

        if (!f->subsection) {
            g_ptr_array_add(outside, (gpointer)f);
        }
    }
    emit_fields(e, 1, outside);
    for (guint i = 0; i < s->subsections->len; i++) {
        emit_subsection(e, g_ptr_array_index(s->subsections, i));
    }
    if (s->checks->len > 0) {
        blank(e);
        line(e, 1, "/* The check() invariants, over the loaded fields. */");
        line(e, 1, "if (qidl_visitor_is_input(v)) {");
        line(e, 2, "g_autofree char *path = qidl_visitor_get_path(v);");
        blank(e);
        line(e, 2, "if (!qidl_check_%s(obj, path, error)) {", s->name);
        line(e, 3, "return FALSE;");
        line(e, 2, "}");
        line(e, 1, "}");
    }
    if (s->post_load) {
        line(e, 1, "if (!qidl_visit_end_struct(v, error)) {");
        line(e, 2, "return FALSE;");
        line(e, 1, "}");
        line(e, 1, "/* On the object just loaded: in qidl_load_%s(), the "
             "scratch copy. */", s->name);
        line(e, 1, "return !qidl_visitor_is_input(v) || %s(obj, error);",
             s->post_load);
    } else {
        line(e, 1, "return qidl_visit_end_struct(v, error);");
    }
    line(e, 0, "}");
}

/* Emits, for each element of the in-struct array @f, @stmt_fmt with the
 * element's lvalue (and the kept one's). */
static void emit_release_field(Emitter *e, const QeField *f)
{
    const char *n = f->name;

    if (!field_owns_memory(f)) {
        return;
    }
    blank(e);
    if (f->container == QE_C_NONE && (f->flags & QE_F_STRING)) {
        line(e, 1, "if (!keep || obj->%s != keep->%s) {", n, n);
        line(e, 2, "g_free(obj->%s);", n);
    } else if (f->container == QE_C_HEAP && f->flags & QE_F_STRING) {
        line(e, 1, "if (!keep || obj->%s != keep->%s) {", n, n);
        line(e, 2, "g_free(obj->%s);", n);
    } else if (f->container == QE_C_HEAP && f->size_is) {
        g_autofree char *count = count_expr(f);

        line(e, 1, "if (!keep || obj->%s != keep->%s) {", n, n);
        if (elem_owns_memory(f)) {
            g_autofree char *lv = g_strdup_printf("obj->%s[i]", n);

            line(e, 2, "for (guint64 i = 0; obj->%s && i < %s; i++) {", n,
                 count);
            emit_release_elem(e, 3, f, lv);
            line(e, 2, "}");
        }
        line(e, 2, "g_free(obj->%s);", n);
    } else if (f->container == QE_C_HEAP) {
        line(e, 1, "if (!keep || obj->%s != keep->%s) {", n, n);
        if (elem_owns_memory(f)) {
            g_autofree char *lv = g_strdup_printf("obj->%s[0]", n);

            line(e, 2, "if (obj->%s) {", n);
            emit_release_elem(e, 3, f, lv);
            line(e, 2, "}");
        }
        line(e, 2, "g_free(obj->%s);", n);
    } else if (f->container == QE_C_GSLIST) {
        g_autofree char *lv = g_strdup_printf("(*(%s *)l->data)",
                                              f->type.ctype);

        line(e, 1, "if (!keep || obj->%s != keep->%s) {", n, n);
        line(e, 2, "for (GSList *l = obj->%s; l; l = l->next) {", n);
        emit_release_elem(e, 3, f, lv);
        line(e, 3, "g_free(l->data);");
        line(e, 2, "}");
        line(e, 2, "g_slist_free(obj->%s);", n);
    } else if (f->container == QE_C_GARRAY) {
        line(e, 1, "if (obj->%s && (!keep || obj->%s != keep->%s)) {", n, n,
             n);
        if (elem_owns_memory(f)) {
            g_autofree char *lv = g_strdup_printf(
                "g_array_index(obj->%s, %s, i)", n, f->type.ctype);

            line(e, 2, "for (guint i = 0; i < obj->%s->len; i++) {", n);
            emit_release_elem(e, 3, f, lv);
            line(e, 2, "}");
        }
        line(e, 2, "g_array_unref(obj->%s);", n);
    } else {
        /* Structs by value, and in-struct arrays of them. */
        GString *idx = g_string_new(NULL);
        int ind = 1;

        use_struct(e, f->type.record);
        for (guint d = 0; d < f->n_dims; d++) {
            line(e, ind, "for (gsize i%u = 0; i%u < G_N_ELEMENTS(obj->%s%s); "
                 "i%u++) {", d, d, n, idx->str, d);
            g_string_append_printf(idx, "[i%u]", d);
            ind++;
        }
        line(e, ind, "qidl_release_%s(&obj->%s%s, keep ? &keep->%s%s : NULL);",
             f->type.record->name, n, idx->str, n, idx->str);
        for (guint d = 0; d < f->n_dims; d++) {
            ind--;
            line(e, ind, "}");
        }
        g_string_free(idx, TRUE);
        return;
    }
    line(e, 2, "obj->%s = NULL;", n);
    line(e, 1, "}");
}

static void emit_release_fn(Emitter *e, const QeStruct *s)
{
    blank(e);
    line(e, 0, "/* Frees what loading %s allocated, unless @keep shares it. */",
         s->name);
    line(e, 0, "%svoid qidl_release_%s(%s *obj, const %s *keep)", linkage(s),
         s->name, s->ctype, s->ctype);
    line(e, 0, "{");
    if (!struct_owns_memory(s)) {
        line(e, 1, "/* Nothing in %s is allocated by a load. */", s->name);
        line(e, 1, "(void)obj;");
        line(e, 1, "(void)keep;");
    }
    e->first_stmt = TRUE;
    for (guint i = 0; i < s->fields->len; i++) {
        emit_release_field(e, g_ptr_array_index(s->fields, i));
    }
    line(e, 0, "}");
}

static void emit_load_fn(Emitter *e, const QeStruct *s)
{
    blank(e);
    line(e, 0, "/* Loads %s atomically: a scratch copy is visited and committed "
         "only if", s->name);
    line(e, 0, " * everything loaded and every bound and check held. */");
    line(e, 0, "gboolean qidl_load_%s(QidlVisitor *v, const char *name, "
         "%s *obj,", s->name, s->ctype);
    line(e, 0, "%*s GError **error)",
         (int)(strlen("gboolean qidl_load_") + strlen(s->name)), "");
    line(e, 0, "{");
    line(e, 1, "g_autofree %s *scratch = NULL;", s->ctype);
    blank(e);
    line(e, 1, "g_return_val_if_fail(qidl_visitor_is_input(v), FALSE);");
    line(e, 1, "scratch = g_memdup2(obj, sizeof(*obj));");
    line(e, 1, "if (!qidl_visit_%s(v, name, scratch, error)) {", s->name);
    line(e, 2, "qidl_release_%s(scratch, obj);", s->name);
    line(e, 2, "return FALSE;");
    line(e, 1, "}");
    line(e, 1, "qidl_release_%s(obj, scratch);", s->name);
    line(e, 1, "*obj = *scratch;");
    line(e, 1, "return TRUE;");
    line(e, 0, "}");
}

static const char *vms_flags(const QeField *f, GString *buf)
{
    static const struct {
        guint flag;
        const char *name;
    } map[] = {
        { QE_F_IMMUTABLE, "QIDL_VMS_IMMUTABLE" },
        { QE_F_DERIVED, "QIDL_VMS_DERIVED" },
        { QE_F_BROKEN, "QIDL_VMS_BROKEN" },
        { QE_F_ELSEWHERE, "QIDL_VMS_ELSEWHERE" },
        { QE_F_PRESENCE, "QIDL_VMS_ELSEWHERE" },
        { QE_F_OPTIONAL, "QIDL_VMS_OPTIONAL" },
        { QE_F_STRING, "QIDL_VMS_STRING" },
        { QE_F_PROPERTY, "QIDL_VMS_PROPERTY" },
    };

    g_string_truncate(buf, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (f->flags & map[i].flag) {
            g_string_append_printf(buf, "%s%s", buf->len ? " | " : "",
                                   map[i].name);
        }
    }
#define ADD(cond, name) \
    if (cond) { \
        g_string_append_printf(buf, "%s%s", buf->len ? " | " : "", name); \
    }
    ADD(f->dflt.set, "QIDL_VMS_DEFAULT");
    ADD(f->container == QE_C_HEAP, "QIDL_VMS_POINTER");
    ADD(f->size_is != NULL, "QIDL_VMS_SIZED");
    ADD(f->range_lo.set, "QIDL_VMS_RANGE");
    ADD(f->index_of_field != NULL, "QIDL_VMS_INDEX_OF");
    ADD(f->container == QE_C_GSLIST, "QIDL_VMS_GSLIST");
    ADD(f->container == QE_C_GARRAY, "QIDL_VMS_GARRAY");
    ADD(f->type.tkind == QE_TYPE_ENUM, "QIDL_VMS_ENUM");
#undef ADD
    if (buf->len == 0) {
        g_string_append(buf, "0");
    }
    return buf->str;
}

/* The kind a field is visited as, and the kind of its elements. */
static void field_kinds(const QeField *f, QidlKind *kind, QidlKind *elem)
{
    QidlKind k = 0;

    if (f->flags & QE_F_STRING) {
        k = QIDL_KIND_STRING;
    } else if (f->type.tkind == QE_TYPE_STRUCT && f->type.record) {
        k = QIDL_KIND_STRUCT;
    } else if (f->type.tkind == QE_TYPE_SCALAR ||
               f->type.tkind == QE_TYPE_ENUM) {
        k = f->type.kind;
    }
    *elem = k;
    if ((f->n_dims > 0 && k != QIDL_KIND_STRING) ||
        (f->container == QE_C_HEAP && f->size_is) ||
        f->container == QE_C_GSLIST || f->container == QE_C_GARRAY) {
        *kind = k ? QIDL_KIND_LIST : 0;
    } else {
        *kind = k;
    }
}

static void emit_value(Emitter *e, int ind, const char *member,
                       const QeConst *c, QidlKind kind)
{
    g_autofree char *v = qe_const_to_c(c, kind);
    const char *u = is_float_kind(kind) ? "d" :
                    qe_kind_is_signed(kind) ? "i" : "u";

    line(e, ind, ".%s = { .%s = %s },", member, u, v);
}

/* Which struct symbols are referenced as data (nested struct tables). */
static const char *tables_name(const QeStruct *s)
{
    return s->name;
}

/*
 * The hooks and needed() predicates as the tables' generic types: a call
 * through a pointer of another type than the function's is undefined, so
 * each gets a wrapper with the exact type.
 */
static void emit_table_wrappers(Emitter *e, const QeStruct *s)
{
    const char *hooks[] = { s->pre_save, s->post_load };
    const char *kinds[] = { "pre_save", "post_load" };

    gboolean first = TRUE;

    if (s->pre_save || s->post_load || s->subsections->len > 0) {
        blank(e);
        line(e, 0, "/* The hooks and needed() predicates of %s, typed for "
             "its tables. */", s->name);
    }

    for (gsize i = 0; i < G_N_ELEMENTS(hooks); i++) {
        if (!hooks[i]) {
            continue;
        }
        if (!first) {
            blank(e);
        }
        first = FALSE;
        line(e, 0, "static gboolean qidl_%s_%s(void *obj, GError **error)",
             kinds[i], s->name);
        line(e, 0, "{");
        line(e, 1, "return %s(obj, error);", hooks[i]);
        line(e, 0, "}");
    }
    for (guint i = 0; i < s->subsections->len; i++) {
        const QeSubsection *ss = g_ptr_array_index(s->subsections, i);
        gboolean seen = FALSE;

        /* One wrapper per predicate, however many subsections use it. */
        for (guint j = 0; j < i; j++) {
            const QeSubsection *o = g_ptr_array_index(s->subsections, j);

            seen |= strcmp(o->needed, ss->needed) == 0;
        }
        if (seen) {
            continue;
        }
        if (!first) {
            blank(e);
        }
        first = FALSE;
        line(e, 0, "static bool qidl_needed_%s_%s(const void *obj)", s->name,
             ss->needed);
        line(e, 0, "{");
        line(e, 1, "return %s((%s%s *)obj);", ss->needed,
             ss->needed_const ? "const " : "", s->ctype);
        line(e, 0, "}");
    }
}

static void emit_tables(Emitter *e, const QeStruct *s)
{
    g_autoptr(GString) flags = g_string_new(NULL);
    const char *tn = tables_name(s);

    emit_table_wrappers(e, s);

    blank(e);
    line(e, 0, "/* %s:%u %s: the field table */", base_name(s->loc.file),
         s->loc.line, s->ctype);
    line(e, 0, "%sconst QidlVmsField qidl_%s_fields[] = {", linkage(s), tn);
    for (guint i = 0; i < s->fields->len; i++) {
        const QeField *f = g_ptr_array_index(s->fields, i);
        QidlKind kind, elem;
        GString *dims = g_string_new(NULL);
        g_autofree char *ctype_esc = g_strescape(f->ctype, NULL);

        field_kinds(f, &kind, &elem);
        for (guint d = 0; d < f->n_dims; d++) {
            g_string_append_printf(dims, "%s%" G_GUINT64_FORMAT,
                                   d ? ", " : "", f->dims[d]);
        }
        line(e, 1, "{");
        line(e, 2, ".name = \"%s\",", f->name);
        line(e, 2, ".ctype = \"%s\",", ctype_esc);
        line(e, 2, ".kind = %s,", kind_enum(kind));
        line(e, 2, ".elem_kind = %s,", kind_enum(elem));
        line(e, 2, ".offset = offsetof(%s, %s),", s->ctype, f->name);
        line(e, 2, ".size = sizeof(((%s *)0)->%s),", s->ctype, f->name);
        if (f->type.size > 0 && (elem || f->container != QE_C_NONE)) {
            line(e, 2, ".elem_size = %" G_GUINT64_FORMAT ",", f->type.size);
        }
        line(e, 2, ".n_dims = %u,", f->n_dims);
        if (f->n_dims > 0) {
            line(e, 2, ".dims = { %s },", dims->str);
        }
        line(e, 2, ".size_is = %d,",
             f->size_is_field ? (int)f->size_is_field->index : -1);
        if (f->size_is_const) {
            line(e, 2, ".size_is_const = %" G_GUINT64_FORMAT ",",
                 f->size_is_value);
        }
        line(e, 2, ".presence = %d,",
             f->has_flag ? (int)f->has_flag->index : -1);
        line(e, 2, ".index_of = %d,",
             f->index_of_field ? (int)f->index_of_field->index : -1);
        line(e, 2, ".version = %u,", f->version ? f->version : 1);
        line(e, 2, ".flags = %s,", vms_flags(f, flags));
        if (f->dflt.set) {
            emit_value(e, 2, "default_value", &f->dflt, f->type.kind);
        }
        if (f->range_lo.set) {
            emit_value(e, 2, "range_min", &f->range_lo, f->type.kind);
            emit_value(e, 2, "range_max", &f->range_hi, f->type.kind);
        }
        if (f->type.tkind == QE_TYPE_STRUCT && f->type.record &&
            qe_field_is_serialized(f)) {
            use_struct(e, f->type.record);
            line(e, 2, ".type = &qidl_%s_vms,", tables_name(f->type.record));
        }
        if (f->type_is) {
            g_autofree char *esc = g_strescape(f->type_is, NULL);

            line(e, 2, ".type_is = \"%s\",", esc);
        }
        if (f->subsection) {
            line(e, 2, ".subsection = \"%s\",", f->subsection->name);
            line(e, 2, ".subsection_version = %u,", f->subsection->version);
            line(e, 2, ".needed = qidl_needed_%s_%s,", s->name,
                 f->subsection->needed);
        }
        line(e, 1, "},");
        g_string_free(dims, TRUE);
    }
    line(e, 0, "};");

    if (s->checks->len > 0) {
        blank(e);
        line(e, 0, "static const char *const qidl_%s_checks[] = {", tn);
        for (guint i = 0; i < s->checks->len; i++) {
            g_autofree char *esc = g_strescape(
                g_ptr_array_index(s->checks, i), NULL);

            line(e, 1, "\"%s\",", esc);
        }
        line(e, 1, "NULL,");
        line(e, 0, "};");
    }

    blank(e);
    line(e, 0, "%sconst QidlVmsStruct qidl_%s_vms = {", linkage(s), tn);
    line(e, 1, ".name = \"%s\",", s->name);
    line(e, 1, ".version = %u,", s->version);
    line(e, 1, ".min_version = %u,", s->min_version);
    line(e, 1, ".size = sizeof(%s),", s->ctype);
    line(e, 1, ".fields = qidl_%s_fields,", tn);
    line(e, 1, ".n_fields = G_N_ELEMENTS(qidl_%s_fields),", tn);
    if (s->checks->len > 0) {
        line(e, 1, ".check = qidl_check_%s,", s->name);
        line(e, 1, ".checks = qidl_%s_checks,", tn);
    }
    if (s->pre_save) {
        line(e, 1, ".pre_save = qidl_pre_save_%s,", s->name);
    }
    if (s->post_load) {
        line(e, 1, ".post_load = qidl_post_load_%s,", s->name);
    }
    line(e, 0, "};");
}

gboolean qe_struct_has_properties(const QeStruct *s);
gboolean qe_struct_has_properties(const QeStruct *s)
{
    for (guint i = 0; i < s->fields->len; i++) {
        const QeField *f = g_ptr_array_index(s->fields, i);

        if (f->flags & QE_F_PROPERTY) {
            return TRUE;
        }
    }
    return FALSE;
}

static void emit_properties(Emitter *e, const QeStruct *s)
{
    if (!qe_struct_has_properties(s)) {
        return;
    }
    blank(e);
    line(e, 0, "/* %s:%u %s: the property table (configuration) */",
         base_name(s->loc.file), s->loc.line, s->ctype);
    line(e, 0, "%sconst QidlProperty qidl_%s_properties[] = {", linkage(s),
         s->name);
    for (guint i = 0; i < s->fields->len; i++) {
        const QeField *f = g_ptr_array_index(s->fields, i);
        gboolean str = (f->flags & QE_F_STRING) != 0;
        QidlKind kind = str ? QIDL_KIND_STRING : f->type.kind;

        if (!(f->flags & QE_F_PROPERTY)) {
            continue;
        }
        line(e, 1, "{");
        line(e, 2, ".name = \"%s\",", f->property);
        line(e, 2, ".field = \"%s\",", f->name);
        line(e, 2, ".kind = %s,", kind_enum(kind));
        line(e, 2, ".offset = offsetof(%s, %s),", s->ctype, f->name);
        line(e, 2, ".size = sizeof(((%s *)0)->%s),", s->ctype, f->name);
        if (f->property_default.set) {
            line(e, 2, ".has_default = TRUE,");
            if (str) {
                line(e, 2, ".default_string = %s,", f->property_default.text);
            } else {
                emit_value(e, 2, "default_value", &f->property_default, kind);
            }
        }
        line(e, 1, "},");
    }
    line(e, 1, "{ .name = NULL },");
    line(e, 0, "};");
}

static void emit_struct(Emitter *e, const QeStruct *s)
{
    if (s->checks->len > 0) {
        emit_check_fn(e, s);
    }
    emit_visit_fn(e, s);
    if (!s->anonymous || struct_owns_memory(s)) {
        emit_release_fn(e, s);
    }
    if (!s->anonymous) {
        emit_load_fn(e, s);
    }
    emit_tables(e, s);
    emit_properties(e, s);
}

static gint compare_struct_names(gconstpointer a, gconstpointer b)
{
    const QeStruct *const *x = a;
    const QeStruct *const *y = b;

    return strcmp((*x)->name, (*y)->name);
}

GString *qe_emit_source(const QeModel *model, const QeEmitOptions *opts)
{
    GString *body = g_string_new(NULL);
    GString *out = g_string_new(NULL);
    Emitter e = {
        .out = body,
        .model = model,
        .externals = g_hash_table_new(NULL, NULL),
    };
    g_autoptr(GPtrArray) ext = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;

    for (guint i = 0; i < model->structs->len; i++) {
        emit_struct(&e, g_ptr_array_index(model->structs, i));
    }

    g_string_append_printf(out, "/* Generated by qidl-extract from %s. "
                           "Do not edit. */\n", opts->source_name);
    g_string_append(out, "#include <stddef.h>\n");
    g_string_append(out, "\n");
    g_string_append_printf(out, "#include \"%s.qidl.h\"\n", opts->stem);

    /* Annotated structs from other headers: their generated code is
     * compiled from their own extraction. */
    g_hash_table_iter_init(&it, e.externals);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        g_ptr_array_add(ext, key);
    }
    g_ptr_array_sort(ext, compare_struct_names);
    for (guint i = 0; i < ext->len; i++) {
        const QeStruct *s = g_ptr_array_index(ext, i);

        g_string_append_printf(out, "\n/* %s is generated from %s. */\n",
                               s->name, base_name(s->loc.file));
        g_string_append_printf(out, "gboolean qidl_visit_%s(QidlVisitor *v, "
                               "const char *name, %s *obj,\n"
                               "%*s GError **error);\n", s->name, s->ctype,
                               (int)(strlen("gboolean qidl_visit_") +
                                     strlen(s->name)), "");
        g_string_append_printf(out, "void qidl_release_%s(%s *obj, "
                               "const %s *keep);\n", s->name, s->ctype,
                               s->ctype);
        g_string_append_printf(out, "extern const QidlVmsStruct "
                               "qidl_%s_vms;\n", s->name);
    }

    /* Layout the tables were computed for: a build with other flags
     * (packing, another target) fails here instead of at run time. */
    g_string_append(out, "\n");
    for (guint i = 0; i < model->structs->len; i++) {
        const QeStruct *s = g_ptr_array_index(model->structs, i);

        if (!s->anonymous) {
            g_string_append_printf(out, "G_STATIC_ASSERT(sizeof(%s) == %"
                                   G_GUINT64_FORMAT ");\n", s->ctype,
                                   s->size);
        }
    }

    g_string_append(out, body->str);
    g_string_free(body, TRUE);
    g_hash_table_unref(e.externals);
    return out;
}
