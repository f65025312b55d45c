/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The visitor core: argument checks, the path stack and the limits shared by
 * every visitor, between the public qidl_visit_*() calls and each
 * implementation's callbacks (see visitor-impl.h).
 */
#include <string.h>

#include <qidl/visitor-impl.h>

static const struct {
    const char *name;
    gsize size;
} kind_info[] = {
    [QIDL_KIND_BOOL] = { "bool", sizeof(bool) },
    [QIDL_KIND_INT8] = { "int8", 1 },
    [QIDL_KIND_UINT8] = { "uint8", 1 },
    [QIDL_KIND_INT16] = { "int16", 2 },
    [QIDL_KIND_UINT16] = { "uint16", 2 },
    [QIDL_KIND_INT32] = { "int32", 4 },
    [QIDL_KIND_UINT32] = { "uint32", 4 },
    [QIDL_KIND_INT64] = { "int64", 8 },
    [QIDL_KIND_UINT64] = { "uint64", 8 },
    [QIDL_KIND_FLOAT] = { "float", sizeof(float) },
    [QIDL_KIND_DOUBLE] = { "double", sizeof(double) },
    [QIDL_KIND_STRING] = { "string", 0 },
    [QIDL_KIND_BYTES] = { "bytes", 0 },
    [QIDL_KIND_STRUCT] = { "struct", 0 },
    [QIDL_KIND_LIST] = { "list", 0 },
};

G_STATIC_ASSERT(sizeof(bool) == 1);
G_STATIC_ASSERT(sizeof(float) == 4 && sizeof(double) == 8);

static gboolean kind_valid(QidlKind kind)
{
    return kind >= QIDL_KIND_FIRST && kind <= QIDL_KIND_LAST;
}

const char *qidl_kind_name(QidlKind kind)
{
    return kind_valid(kind) ? kind_info[kind].name : NULL;
}

QidlKind qidl_kind_from_name(const char *name)
{
    g_return_val_if_fail(name != NULL, 0);

    for (QidlKind k = QIDL_KIND_FIRST; k <= QIDL_KIND_LAST; k++) {
        if (strcmp(kind_info[k].name, name) == 0) {
            return k;
        }
    }
    return 0;
}

/*
 * For the calls below: an exported function called from inside the
 * library goes through the PLT, a few cycles per value visited.
 */
static inline gboolean kind_is_scalar(QidlKind kind)
{
    return kind >= QIDL_KIND_BOOL && kind <= QIDL_KIND_DOUBLE;
}

gboolean qidl_kind_is_scalar(QidlKind kind)
{
    return kind_is_scalar(kind);
}

gboolean qidl_kind_is_integer(QidlKind kind)
{
    return kind >= QIDL_KIND_INT8 && kind <= QIDL_KIND_UINT64;
}

gboolean qidl_kind_is_signed(QidlKind kind)
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

static inline gsize kind_size(QidlKind kind)
{
    return kind_valid(kind) ? kind_info[kind].size : 0;
}

gsize qidl_kind_size(QidlKind kind)
{
    return kind_size(kind);
}

void qidl_visitor__init(QidlVisitor *v, QidlVisitorType type)
{
    g_return_if_fail(v != NULL);
    g_return_if_fail(type == QIDL_VISITOR_OUTPUT ||
                     type == QIDL_VISITOR_INPUT);

    v->type = type;
    v->version = QIDL_VERSION_CURRENT;
    v->depth = 0;
    v->n_segments = 0;
    v->subsections = 0;
}

guint32 qidl_visitor_get_version(const QidlVisitor *v)
{
    g_return_val_if_fail(v != NULL, QIDL_VERSION_CURRENT);
    return v->version;
}

void qidl_visitor_set_version(QidlVisitor *v, guint32 version)
{
    g_return_if_fail(v != NULL);
    v->version = version;
}

QidlVisitorType qidl_visitor_get_type(const QidlVisitor *v)
{
    g_return_val_if_fail(v != NULL, 0);
    return v->type;
}

gboolean qidl_visitor_is_input(const QidlVisitor *v)
{
    g_return_val_if_fail(v != NULL, FALSE);
    return v->type == QIDL_VISITOR_INPUT;
}

guint qidl_visitor_get_depth(const QidlVisitor *v)
{
    g_return_val_if_fail(v != NULL, 0);
    return v->depth;
}

const QidlPathSegment *qidl_visitor__segment(const QidlVisitor *v, guint up)
{
    g_return_val_if_fail(v != NULL, NULL);

    if (up >= v->n_segments) {
        return NULL;
    }
    return &v->segments[v->n_segments - 1 - up];
}

static void append_path(const QidlVisitor *v, GString *out)
{
    for (guint i = 0; i < v->n_segments; i++) {
        const QidlPathSegment *seg = &v->segments[i];

        if (seg->in_list) {
            g_string_append_printf(out, "[%" G_GUINT32_FORMAT "]",
                                   v->segments[i - 1].index);
        } else if (seg->name) {
            if (out->len > 0) {
                g_string_append_c(out, '.');
            }
            g_string_append(out, seg->name);
        }
    }
}

char *qidl_visitor_get_path(const QidlVisitor *v)
{
    GString *out;

    g_return_val_if_fail(v != NULL, NULL);

    out = g_string_new(NULL);
    append_path(v, out);
    return g_string_free(out, FALSE);
}

/*
 * Sets "<path><where>: <message>", where <where> is ".<field>", "[<i>]" for
 * the current element of the list being visited (@field is
 * QIDL_FAIL_ELEMENT) or for element @element (>= 0) of the array a
 * scalar_array callback is visiting, or nothing.
 */
static void set_error_va(const QidlVisitor *v, const char *field,
                         gint64 element, GError **error, int code,
                         const char *format, va_list ap) G_GNUC_PRINTF(6, 0);

static void set_error_va(const QidlVisitor *v, const char *field,
                         gint64 element, GError **error, int code,
                         const char *format, va_list ap)
{
    g_autoptr(GString) msg = g_string_new(NULL);

    append_path(v, msg);
    if (element >= 0) {
        g_string_append_printf(msg, "[%" G_GINT64_FORMAT "]", element);
    } else if (field && strcmp(field, QIDL_FAIL_ELEMENT) == 0) {
        const QidlPathSegment *seg = qidl_visitor__segment(v, 0);

        /* The current element of the list being visited. */
        g_return_if_fail(seg && seg->kind == QIDL_KIND_LIST &&
                         seg->started > 0);
        g_string_append_printf(msg, "[%" G_GUINT32_FORMAT "]", seg->index);
    } else if (field) {
        if (msg->len > 0) {
            g_string_append_c(msg, '.');
        }
        g_string_append(msg, field);
    }
    if (msg->len > 0) {
        g_string_append(msg, ": ");
    }
    g_string_append_vprintf(msg, format, ap);
    g_set_error_literal(error, QIDL_ERROR, code, msg->str);
}

gboolean qidl_visitor__error(const QidlVisitor *v, GError **error, int code,
                             const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    set_error_va(v, NULL, -1, error, code, format, ap);
    va_end(ap);
    return FALSE;
}

gboolean qidl_visitor__element_error(const QidlVisitor *v, guint32 index,
                                     GError **error, int code,
                                     const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    set_error_va(v, NULL, index, error, code, format, ap);
    va_end(ap);
    return FALSE;
}

gboolean qidl_visitor__check_field(const QidlVisitor *v,
                                   const QidlScalarField *field,
                                   const QidlFieldCheck *check,
                                   const void *value, GError **error)
{
    const char *name = field->name;
    gboolean is_signed = qidl_kind_is_signed(field->kind);
    gint64 s = 0;
    guint64 u = 0;

    /* Not an integer kind: qidl_visit_checked_fields() refused it. */
    g_return_val_if_fail(field->kind != QIDL_KIND_FLOAT &&
                         field->kind != QIDL_KIND_DOUBLE, FALSE);
    if (qidl_visitor__field_ok(field, check, value)) {
        return TRUE;
    }
    /* Both readings; the kind says which one the message shows. */
    switch (kind_size(field->kind)) {
    case 1:
        s = *(const gint8 *)value;
        u = *(const guint8 *)value;
        break;
    case 2:
        s = *(const gint16 *)value;
        u = *(const guint16 *)value;
        break;
    case 4:
        s = *(const gint32 *)value;
        u = *(const guint32 *)value;
        break;
    default:
        s = *(const gint64 *)value;
        u = *(const guint64 *)value;
        break;
    }
    /* The messages are generated code's (emit-source.c). */
    if (check->check == QIDL_SCALAR_CHECK_RANGE) {
        return is_signed ?
            qidl_visitor_fail(v, name, error, QIDL_ERROR_CONSTRAINT,
                              "%" G_GINT64_FORMAT " is not in range %s", s,
                              check->bounds) :
            qidl_visitor_fail(v, name, error, QIDL_ERROR_CONSTRAINT,
                              "%" G_GUINT64_FORMAT " is not in range %s", u,
                              check->bounds);
    }
    return is_signed ?
        qidl_visitor_fail(v, name, error, QIDL_ERROR_CONSTRAINT,
                          "%" G_GINT64_FORMAT " is not an index of %s "
                          "(%zu elements)", s, check->bounds,
                          (size_t)check->hi) :
        qidl_visitor_fail(v, name, error, QIDL_ERROR_CONSTRAINT,
                          "%" G_GUINT64_FORMAT " is not an index of %s "
                          "(%zu elements)", u, check->bounds,
                          (size_t)check->hi);
}

char *qidl_visitor__element_path(const QidlVisitor *v, guint32 index)
{
    GString *out;

    g_return_val_if_fail(v != NULL, NULL);

    out = g_string_new(NULL);
    append_path(v, out);
    g_string_append_printf(out, "[%" G_GUINT32_FORMAT "]", index);
    return g_string_free(out, FALSE);
}

gboolean qidl_visitor_fail(const QidlVisitor *v, const char *field,
                           GError **error, int code, const char *format, ...)
{
    va_list ap;

    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(format != NULL, FALSE);

    va_start(ap, format);
    set_error_va(v, field, -1, error, code, format, ap);
    va_end(ap);
    return FALSE;
}

/*
 * Pushes the segment of a value about to be visited.  Fails (with the path
 * of the value) only for depth: the caller passes whether it opens a
 * container.
 */
static gboolean push(QidlVisitor *v, const char *name, QidlKind kind,
                     GError **error)
{
    QidlPathSegment *seg;
    gboolean in_list = FALSE;
    gboolean container = kind == QIDL_KIND_STRUCT || kind == QIDL_KIND_LIST;

    if (v->n_segments > 0) {
        QidlPathSegment *parent = &v->segments[v->n_segments - 1];

        g_return_val_if_fail(parent->kind == QIDL_KIND_STRUCT ||
                             parent->kind == QIDL_KIND_LIST, FALSE);
        if (parent->kind == QIDL_KIND_LIST) {
            /* next_list() must announce each element. */
            g_return_val_if_fail(parent->started > 0, FALSE);
            in_list = TRUE;
        }
    }
    g_return_val_if_fail(v->n_segments <= QIDL_LIMIT_DEPTH, FALSE);

    seg = &v->segments[v->n_segments++];
    *seg = (QidlPathSegment) {
        .name = in_list ? NULL : name,
        .kind = kind,
        .in_list = in_list,
    };
    if (container) {
        if (v->depth >= QIDL_LIMIT_DEPTH) {
            return qidl_visitor__error(v, error, QIDL_ERROR_LIMIT,
                                       "nesting deeper than %u levels",
                                       QIDL_LIMIT_DEPTH);
        }
        v->depth++;
    }
    return TRUE;
}

static void pop(QidlVisitor *v)
{
    QidlPathSegment *seg = &v->segments[--v->n_segments];

    if (seg->kind == QIDL_KIND_STRUCT || seg->kind == QIDL_KIND_LIST) {
        v->depth--;
    }
}

/*
 * push() for a scalar, a string or bytes, the values visited most: no
 * depth to count.  Inlined, with its own pop_leaf(), so that the path
 * stack costs a few stores per value.
 */
static inline gboolean push_leaf(QidlVisitor *v, const char *name,
                                 QidlKind kind)
{
    gboolean in_list = FALSE;

    if (G_LIKELY(v->n_segments > 0)) {
        const QidlPathSegment *parent = &v->segments[v->n_segments - 1];

        if (parent->kind == QIDL_KIND_LIST) {
            /* next_list() must announce each element. */
            g_return_val_if_fail(parent->started > 0, FALSE);
            in_list = TRUE;
        } else {
            g_return_val_if_fail(parent->kind == QIDL_KIND_STRUCT, FALSE);
        }
    }
    g_return_val_if_fail(v->n_segments <= QIDL_LIMIT_DEPTH, FALSE);
    v->segments[v->n_segments++] = (QidlPathSegment) {
        .name = in_list ? NULL : name,
        .kind = kind,
        .in_list = in_list,
    };
    return TRUE;
}

static inline void pop_leaf(QidlVisitor *v)
{
    v->n_segments--;
}

/* One bit per open struct in QidlVisitor.subsections. */
G_STATIC_ASSERT(QIDL_LIMIT_DEPTH <= 64);

/* The bit of the innermost open struct; depth must be at least 1. */
static guint64 subsection_bit(const QidlVisitor *v)
{
    return G_GUINT64_CONSTANT(1) << (v->depth - 1);
}

static QidlPathSegment *top(QidlVisitor *v)
{
    return v->n_segments > 0 ? &v->segments[v->n_segments - 1] : NULL;
}

gboolean qidl_visit_start_struct(QidlVisitor *v, const char *name,
                                 GError **error)
{
    g_return_val_if_fail(v != NULL, FALSE);

    return push(v, name, QIDL_KIND_STRUCT, error) &&
           v->start_struct(v, name, error);
}

gboolean qidl_visit_end_struct(QidlVisitor *v, GError **error)
{
    QidlPathSegment *seg;

    g_return_val_if_fail(v != NULL, FALSE);
    seg = top(v);
    g_return_val_if_fail(seg && seg->kind == QIDL_KIND_STRUCT, FALSE);
    /* A subsection the visitor encodes itself ends with end_subsection. */
    g_return_val_if_fail(!(v->subsections & subsection_bit(v)), FALSE);

    if (!v->end_struct(v, error)) {
        return FALSE;
    }
    pop(v);
    return TRUE;
}

gboolean qidl_visit_start_list(QidlVisitor *v, const char *name,
                               QidlListKind kind, guint32 *count,
                               gsize elem_size, GError **error)
{
    QidlPathSegment *seg;
    guint32 n;

    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(count != NULL, FALSE);
    g_return_val_if_fail(kind == QIDL_LIST_FIXED || kind == QIDL_LIST_SIZED ||
                         kind == QIDL_LIST_COUNTED, FALSE);

    if (!push(v, name, QIDL_KIND_LIST, error)) {
        return FALSE;
    }
    seg = top(v);
    seg->list_kind = kind;
    seg->elem_size = elem_size;
    if ((v->type == QIDL_VISITOR_OUTPUT || kind != QIDL_LIST_COUNTED) &&
        *count > QIDL_LIMIT_LIST_LEN) {
        return qidl_visitor__error(v, error, QIDL_ERROR_LIMIT,
                                   "%" G_GUINT32_FORMAT " elements exceed "
                                   "the limit of %u", *count,
                                   QIDL_LIMIT_LIST_LEN);
    }
    /* The caller's count changes only when the whole call succeeds. */
    n = *count;
    if (!v->start_list(v, name, kind, &n, elem_size, error)) {
        return FALSE;
    }
    if (n > QIDL_LIMIT_LIST_LEN) {
        return qidl_visitor__error(v, error, QIDL_ERROR_LIMIT,
                                   "%" G_GUINT32_FORMAT " elements exceed "
                                   "the limit of %u", n,
                                   QIDL_LIMIT_LIST_LEN);
    }
    seg->count = n;
    *count = n;
    return TRUE;
}

gboolean qidl_visit_next_list(QidlVisitor *v, GError **error)
{
    QidlPathSegment *seg;

    g_return_val_if_fail(v != NULL, FALSE);
    seg = top(v);
    g_return_val_if_fail(seg && seg->kind == QIDL_KIND_LIST, FALSE);
    /* Visiting more elements than the count is a bug of the visit
     * function: input visitors checked the count against the source. */
    g_return_val_if_fail(seg->started < seg->count, FALSE);

    seg->index = seg->started++;
    return !v->next_list || v->next_list(v, seg->index, error);
}

gboolean qidl_visit_end_list(QidlVisitor *v, GError **error)
{
    QidlPathSegment *seg;

    g_return_val_if_fail(v != NULL, FALSE);
    seg = top(v);
    g_return_val_if_fail(seg && seg->kind == QIDL_KIND_LIST, FALSE);
    g_return_val_if_fail(seg->started == seg->count, FALSE);

    if (!v->end_list(v, error)) {
        return FALSE;
    }
    pop(v);
    return TRUE;
}

static inline gboolean visit_scalar(QidlVisitor *v, const char *name,
                                    QidlKind kind, void *obj, GError **error)
{
    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(kind_is_scalar(kind), FALSE);
    g_return_val_if_fail(obj != NULL, FALSE);

    if (!push_leaf(v, name, kind) ||
        !v->scalar(v, name, kind, obj, error)) {
        return FALSE;
    }
    pop_leaf(v);
    return TRUE;
}

gboolean qidl_visit_scalar(QidlVisitor *v, const char *name, QidlKind kind,
                           void *obj, GError **error)
{
    return visit_scalar(v, name, kind, obj, error);
}

/* qidl_visit_scalar_array() for visitors without the callback. */
static gboolean scalar_array_by_element(QidlVisitor *v, const char *name,
                                        QidlKind kind, QidlListKind list_kind,
                                        guint32 count, guint8 *array,
                                        GError **error)
{
    gsize size = kind_size(kind);
    guint32 n = count;

    if (!qidl_visit_start_list(v, name, list_kind, &n, size, error)) {
        return FALSE;
    }
    /* Input visitors check a fixed or sized count against the source. */
    g_return_val_if_fail(n == count, FALSE);
    for (guint32 i = 0; i < n; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !visit_scalar(v, NULL, kind, array + i * size, error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error);
}

gboolean qidl_visit_scalar_array(QidlVisitor *v, const char *name,
                                 QidlKind kind, QidlListKind list_kind,
                                 guint32 count, void *array, GError **error)
{
    QidlPathSegment *seg;

    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(kind_is_scalar(kind), FALSE);
    g_return_val_if_fail(list_kind == QIDL_LIST_FIXED ||
                         list_kind == QIDL_LIST_SIZED, FALSE);
    g_return_val_if_fail(array != NULL || count == 0, FALSE);

    if (!v->scalar_array) {
        return scalar_array_by_element(v, name, kind, list_kind, count,
                                       array, error);
    }
    /* What qidl_visit_start_list() checks, with the same messages. */
    if (!push(v, name, QIDL_KIND_LIST, error)) {
        return FALSE;
    }
    seg = top(v);
    seg->list_kind = list_kind;
    seg->elem_size = kind_size(kind);
    if (count > QIDL_LIMIT_LIST_LEN) {
        return qidl_visitor__error(v, error, QIDL_ERROR_LIMIT,
                                   "%" G_GUINT32_FORMAT " elements exceed "
                                   "the limit of %u", count,
                                   QIDL_LIMIT_LIST_LEN);
    }
    seg->count = count;
    if (!v->scalar_array(v, name, kind, list_kind, count, array, error)) {
        return FALSE;
    }
    pop(v);
    return TRUE;
}

/* Both entry points, without a call through the PLT from one to the
 * other. */
/* qidl_visitor__fields_valid(), without the PLT. */
static inline gboolean fields_valid(const QidlScalarField *fields,
                                    const QidlFieldCheck *checks,
                                    guint n_fields)
{
    /*
     * A few instructions per field.  The names themselves are not read
     * here (a visitor that knows the table does not read them at all);
     * those that read a name check its name_len.
     */
    for (guint i = 0; i < n_fields; i++) {
        g_return_val_if_fail(fields[i].name != NULL, FALSE);
        g_return_val_if_fail(kind_is_scalar(fields[i].kind), FALSE);
        /* A check: a known one, an integer kind, something to name. */
        g_return_val_if_fail(
            !checks || checks[i].check == QIDL_SCALAR_CHECK_NONE ||
            ((checks[i].check == QIDL_SCALAR_CHECK_RANGE ||
              checks[i].check == QIDL_SCALAR_CHECK_INDEX) &&
             fields[i].kind != QIDL_KIND_FLOAT &&
             fields[i].kind != QIDL_KIND_DOUBLE && checks[i].bounds),
            FALSE);
    }
    return TRUE;
}

static inline gboolean visit_fields(QidlVisitor *v,
                                    const QidlScalarField *fields,
                                    const QidlFieldCheck *checks,
                                    guint n_fields, void *base,
                                    GError **error)
{
    const QidlPathSegment *parent;

    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(fields != NULL || n_fields == 0, FALSE);
    g_return_val_if_fail(base != NULL || n_fields == 0, FALSE);

    if (n_fields == 0) {
        return TRUE;
    }
    parent = v->n_segments > 0 ? &v->segments[v->n_segments - 1] : NULL;
    if (v->scalar_fields && parent && parent->kind == QIDL_KIND_STRUCT) {
        /* What implementations rely on (visitor-impl.h), unless they
         * check each table once themselves. */
        if (!v->scalar_fields_checks_tables &&
            !fields_valid(fields, checks, n_fields)) {
            return FALSE;
        }
        return v->scalar_fields(v, fields, checks, n_fields, base, error);
    }
    if (!fields_valid(fields, checks, n_fields)) {
        return FALSE;
    }
    /* Without the callback, or at the top or in a list: field by field,
     * a checked one on input stored only once it passed. */
    for (guint i = 0; i < n_fields; i++) {
        const QidlScalarField *f = &fields[i];
        guint8 *obj = (guint8 *)base + f->offset;
        guint64 tmp = 0;

        if (checks && checks[i].check != QIDL_SCALAR_CHECK_NONE &&
            v->type == QIDL_VISITOR_INPUT) {
            if (!visit_scalar(v, f->name, f->kind, &tmp, error) ||
                !qidl_visitor__check_field(v, f, &checks[i], &tmp, error)) {
                return FALSE;
            }
            memcpy(obj, &tmp, kind_size(f->kind));
        } else if (!visit_scalar(v, f->name, f->kind, obj, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

gboolean qidl_visitor__fields_valid(const QidlScalarField *fields,
                                    const QidlFieldCheck *checks,
                                    guint n_fields)
{
    return fields_valid(fields, checks, n_fields);
}

gboolean qidl_visit_checked_fields(QidlVisitor *v,
                                   const QidlScalarField *fields,
                                   const QidlFieldCheck *checks,
                                   guint n_fields, void *base,
                                   GError **error)
{
    return visit_fields(v, fields, checks, n_fields, base, error);
}

gboolean qidl_visit_scalar_fields(QidlVisitor *v,
                                  const QidlScalarField *fields,
                                  guint n_fields, void *base,
                                  GError **error)
{
    return visit_fields(v, fields, NULL, n_fields, base, error);
}

/* Each inlines visit_scalar(): one call per value, not two. */
#define DEFINE_SCALAR(fn, ctype, kind)                                      \
    gboolean qidl_visit_##fn(QidlVisitor *v, const char *name, ctype *obj,  \
                             GError **error)                                \
    {                                                                       \
        return visit_scalar(v, name, kind, obj, error);                     \
    }

DEFINE_SCALAR(bool, bool, QIDL_KIND_BOOL)
DEFINE_SCALAR(int8, gint8, QIDL_KIND_INT8)
DEFINE_SCALAR(uint8, guint8, QIDL_KIND_UINT8)
DEFINE_SCALAR(int16, gint16, QIDL_KIND_INT16)
DEFINE_SCALAR(uint16, guint16, QIDL_KIND_UINT16)
DEFINE_SCALAR(int32, gint32, QIDL_KIND_INT32)
DEFINE_SCALAR(uint32, guint32, QIDL_KIND_UINT32)
DEFINE_SCALAR(int64, gint64, QIDL_KIND_INT64)
DEFINE_SCALAR(uint64, guint64, QIDL_KIND_UINT64)
DEFINE_SCALAR(float, float, QIDL_KIND_FLOAT)
DEFINE_SCALAR(double, double, QIDL_KIND_DOUBLE)

gboolean qidl_visit_string(QidlVisitor *v, const char *name, char **obj,
                           GError **error)
{
    char *value;

    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(obj != NULL, FALSE);

    if (!push(v, name, QIDL_KIND_STRING, error)) {
        return FALSE;
    }
    if (v->type == QIDL_VISITOR_OUTPUT) {
        char empty[] = "";

        value = *obj ? *obj : empty;
        if (!v->string(v, name, &value, error)) {
            return FALSE;
        }
    } else {
        value = NULL;
        if (!v->string(v, name, &value, error)) {
            return FALSE;
        }
        g_return_val_if_fail(value != NULL, FALSE);
        if (strlen(value) > QIDL_LIMIT_STRING_LEN) {
            g_free(value);
            return qidl_visitor__error(v, error, QIDL_ERROR_LIMIT,
                                       "string longer than %u bytes",
                                       QIDL_LIMIT_STRING_LEN);
        }
        *obj = value;
    }
    pop(v);
    return TRUE;
}

/* string_buf for formats that encode it like a heap string. */
static gboolean string_buf_via_string(QidlVisitor *v, const char *name,
                                      char *buf, gsize capacity,
                                      GError **error)
{
    g_autofree char *value = NULL;
    gsize len;

    if (v->type == QIDL_VISITOR_OUTPUT) {
        /* An unterminated buffer is saved up to its capacity. */
        value = g_strndup(buf, capacity);
        return v->string(v, name, &value, error);
    }
    if (!v->string(v, name, &value, error)) {
        return FALSE;
    }
    len = strlen(value);
    if (len >= capacity) {
        return qidl_visitor__error(v, error, QIDL_ERROR_LIMIT,
                                   "string of %" G_GSIZE_FORMAT " bytes does "
                                   "not fit in char[%" G_GSIZE_FORMAT "]",
                                   len, capacity);
    }
    memcpy(buf, value, len);
    memset(buf + len, 0, capacity - len);
    return TRUE;
}

gboolean qidl_visit_string_buf(QidlVisitor *v, const char *name, char *buf,
                               gsize capacity, GError **error)
{
    gboolean ok;

    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(buf != NULL, FALSE);
    g_return_val_if_fail(capacity > 0, FALSE);

    if (!push(v, name, QIDL_KIND_STRING, error)) {
        return FALSE;
    }
    if (v->string_buf) {
        ok = v->string_buf(v, name, buf, capacity, error);
    } else {
        ok = string_buf_via_string(v, name, buf, capacity, error);
    }
    if (!ok) {
        return FALSE;
    }
    pop(v);
    return TRUE;
}

gboolean qidl_visit_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                          gsize len, GError **error)
{
    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(buf != NULL || len == 0, FALSE);

    if (!push_leaf(v, name, QIDL_KIND_BYTES) ||
        !v->bytes(v, name, buf, len, error)) {
        return FALSE;
    }
    pop_leaf(v);
    return TRUE;
}

gboolean qidl_visit_optional(QidlVisitor *v, const char *name,
                             QidlPresence how, bool *present, GError **error)
{
    QidlPathSegment *parent;

    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(name != NULL, FALSE);
    g_return_val_if_fail(present != NULL, FALSE);
    g_return_val_if_fail(how == QIDL_PRESENCE_FLAG ||
                         how == QIDL_PRESENCE_DEFAULT, FALSE);
    parent = top(v);
    g_return_val_if_fail(parent && parent->kind == QIDL_KIND_STRUCT, FALSE);

    /*
     * The field's own segment is pushed (as a struct member of no kind yet)
     * only so that errors name it; it is popped before the field itself
     * is visited.
     */
    v->segments[v->n_segments++] = (QidlPathSegment) { .name = name };
    if (!v->optional(v, name, how, present, error)) {
        return FALSE;
    }
    v->n_segments--;
    return TRUE;
}


gboolean qidl_visit_start_subsection(QidlVisitor *v, const char *name,
                                     guint32 version, bool *present,
                                     GError **error)
{
    QidlPathSegment *parent;

    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(name != NULL, FALSE);
    g_return_val_if_fail(present != NULL, FALSE);
    parent = top(v);
    g_return_val_if_fail(parent && parent->kind == QIDL_KIND_STRUCT, FALSE);
    g_return_val_if_fail(!v->start_subsection == !v->end_subsection, FALSE);

    if (!v->start_subsection) {
        return qidl_visit_optional(v, name, QIDL_PRESENCE_FLAG, present,
                                   error) &&
               (!*present || qidl_visit_start_struct(v, name, error));
    }
    if (!push(v, name, QIDL_KIND_STRUCT, error)) {
        return FALSE;
    }
    if (!v->start_subsection(v, name, version, present, error)) {
        return FALSE;
    }
    if (*present) {
        v->subsections |= subsection_bit(v);
    } else {
        pop(v);
    }
    return TRUE;
}

gboolean qidl_visit_end_subsection(QidlVisitor *v, GError **error)
{
    QidlPathSegment *seg;

    g_return_val_if_fail(v != NULL, FALSE);
    seg = top(v);
    g_return_val_if_fail(seg && seg->kind == QIDL_KIND_STRUCT, FALSE);

    if (!v->end_subsection) {
        return qidl_visit_end_struct(v, error);
    }
    g_return_val_if_fail(v->subsections & subsection_bit(v), FALSE);
    if (!v->end_subsection(v, error)) {
        return FALSE;
    }
    v->subsections &= ~subsection_bit(v);
    pop(v);
    return TRUE;
}

gboolean qidl_visitor_complete(QidlVisitor *v, GError **error)
{
    g_return_val_if_fail(v != NULL, FALSE);
    g_return_val_if_fail(v->n_segments == 0, FALSE);

    return !v->complete || v->complete(v, error);
}

void qidl_visitor_free(QidlVisitor *v)
{
    if (v) {
        v->free(v);
    }
}
