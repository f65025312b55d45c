/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QIDL visitors: the API for writing one
 *
 * This header is for visitor implementations (the codecs in libqidl and
 * anyone adding a format); it is less stable than visitor.h, which is all a
 * user of visitors needs.
 *
 * An implementation embeds QidlVisitor as its first member, fills in the
 * callbacks, and calls qidl_visitor__init() in its constructor:
 *
 *     typedef struct {
 *         QidlVisitor parent;
 *         GByteArray *out;
 *     } LegacyOutput;
 *
 *     static LegacyOutput *to_lo(QidlVisitor *v)
 *     {
 *         return (LegacyOutput *)v;
 *     }
 *
 * The core (visitor.c) sits between the public qidl_visit_*() calls and the
 * callbacks.  Before it calls a callback it has already:
 *
 * - checked the arguments (g_return_val_if_fail for programming errors),
 * - pushed the value's name onto the path, so qidl_visitor__error() reports
 *   the right path, and popped it again afterwards,
 * - enforced QIDL_LIMIT_DEPTH for start_struct and start_list,
 * - checked next_list against the list's count, and end_list for elements
 *   missing from it (counts the caller passed or the input callback set),
 * - for string_buf without a callback: mapped it onto the string callback,
 * - for scalar_array without a callback: turned it into start_list, then
 *   next_list and scalar per element, then end_list,
 * - for scalar_fields without a callback (or outside a struct): turned it
 *   into scalar per field.
 *
 * Callbacks therefore deal only with their format.  Each returns TRUE on
 * success or FALSE with @error set (use qidl_visitor__error() so the message
 * carries the path).
 */
#ifndef QIDL_VISITOR_IMPL_H
#define QIDL_VISITOR_IMPL_H

#include <qidl/visitor.h>

G_BEGIN_DECLS

/*
 * One open struct or list, or the scalar being visited.  Only visitor.c
 * and qidl_visitor__push_field() write these; implementations may read
 * them (the pretty printer prints counts and element sizes from them).
 */
typedef struct {
    const char *name;     /* borrowed; NULL for a list element */
    QidlKind kind;        /* QIDL_KIND_STRUCT, QIDL_KIND_LIST or the scalar */
    gboolean in_list;     /* this value is an element of the enclosing list */
    QidlListKind list_kind;  /* lists only */
    guint32 count;        /* lists only: the element count */
    guint32 index;        /* lists only: index of the current element */
    guint32 started;      /* lists only: elements announced by next_list */
    gsize elem_size;      /* lists only: as passed to start_list */
} QidlPathSegment;

struct QidlVisitor {
    QidlVisitorType type;

    /* Must be set. */
    gboolean (*start_struct)(QidlVisitor *v, const char *name, GError **error);
    /* Must be set. */
    gboolean (*end_struct)(QidlVisitor *v, GError **error);
    /*
     * Must be set.  For input visitors with a counted list, set *count
     * from the source; the core then bounds it by QIDL_LIMIT_LIST_LEN.
     */
    gboolean (*start_list)(QidlVisitor *v, const char *name,
                           QidlListKind kind, guint32 *count,
                           gsize elem_size, GError **error);
    /* Optional; if NULL, the core's bookkeeping is all that happens. */
    gboolean (*next_list)(QidlVisitor *v, guint32 index, GError **error);
    /* Must be set. */
    gboolean (*end_list)(QidlVisitor *v, GError **error);
    /* Must be set.  @obj points to a C object of @kind (a scalar kind). */
    gboolean (*scalar)(QidlVisitor *v, const char *name, QidlKind kind,
                       void *obj, GError **error);
    /*
     * Optional; if NULL, the core turns qidl_visit_scalar_array() into
     * start_list(), then next_list() and scalar() per element, then
     * end_list(), and the implementation never sees the difference.  Set
     * it when the format can move a whole array faster; it must then
     * behave exactly like those calls (visitor.h).  The core has pushed
     * the list's segment, checked @count against QIDL_LIMIT_LIST_LEN and
     * pops the segment on success; @list_kind is FIXED or SIZED, @array
     * holds @count objects of @kind.  Errors about the list itself use
     * qidl_visitor__error() (`pic.regs`), errors about element i
     * qidl_visitor__element_error() (`pic.regs[7]`).
     */
    gboolean (*scalar_array)(QidlVisitor *v, const char *name, QidlKind kind,
                             QidlListKind list_kind, guint32 count,
                             void *array, GError **error);
    /*
     * Optional; if NULL, the core turns qidl_visit_scalar_fields() into
     * scalar() per field, and the implementation never sees the
     * difference.  Set it when the format can move a run of fields
     * faster; it must then behave exactly like those calls (visitor.h).
     * The core calls it only inside a struct (the innermost segment is a
     * struct; elsewhere it makes the per-field calls), with the table
     * checked: names not NULL, scalar kinds.  An implementation that
     * reads a name by its name_len checks that the name ends there
     * (g_return_val_if_fail), as the core does not read the names.  No
     * segment is pushed for the fields: before an error
     * about field i, and around a call of the implementation's own
     * scalar() for it, push its segment with qidl_visitor__push_field(),
     * so that paths name it (`dev.field`) as the per-field call's would.
     * On success the path is as it was.  @checks is NULL or has an entry
     * per field (qidl_visit_checked_fields()): an input implementation
     * reads a field whose check is not QIDL_SCALAR_CHECK_NONE into a
     * temporary, passes it to qidl_visitor__check_field() with the
     * field's segment popped, and stores it only if that passed; an
     * output one ignores @checks.
     */
    gboolean (*scalar_fields)(QidlVisitor *v, const QidlScalarField *fields,
                              const QidlFieldCheck *checks, guint n_fields,
                              void *base, GError **error);
    /*
     * FALSE, as a zeroed struct has it: the core checks the table of every
     * scalar_fields call (above) before making it.  TRUE: scalar_fields
     * checks a table itself, with qidl_visitor__fields_valid(), when it
     * first meets it, and keeps what it learnt of it by address (a table
     * and its checks must not change while a visitor that met them
     * lives: visitor.h), so the core does not check it per call.
     */
    gboolean scalar_fields_checks_tables;
    /*
     * Must be set.  Output: *obj is the string (never NULL: the core maps
     * NULL to "").  Input: store a new g_malloc'd string in *obj only on
     * success.
     */
    gboolean (*string)(QidlVisitor *v, const char *name, char **obj,
                       GError **error);
    /*
     * Optional; if NULL, the core calls string() and copies the result
     * into the buffer (input) or passes the buffer's string (output).
     * Set it when the format encodes fixed buffers differently (legacy).
     */
    gboolean (*string_buf)(QidlVisitor *v, const char *name, char *buf,
                           gsize capacity, GError **error);
    /* Must be set. */
    gboolean (*bytes)(QidlVisitor *v, const char *name, guint8 *buf,
                      gsize len, GError **error);
    /* Must be set. */
    gboolean (*optional)(QidlVisitor *v, const char *name, QidlPresence how,
                         bool *present, GError **error);
    /*
     * Optional, set together with end_subsection; if NULL, the core maps a
     * subsection onto optional() (QIDL_PRESENCE_FLAG) and, when present,
     * start_struct()/end_struct() with the subsection's name.  Set them when
     * the format encodes subsections itself (legacy) or forwards them
     * (trace).  The core pushes the subsection's path segment itself.
     */
    gboolean (*start_subsection)(QidlVisitor *v, const char *name,
                                 guint32 version, bool *present,
                                 GError **error);
    gboolean (*end_subsection)(QidlVisitor *v, GError **error);
    /* Optional; if NULL, completing always succeeds. */
    gboolean (*complete)(QidlVisitor *v, GError **error);
    /* Must be set: frees the implementation's struct itself too. */
    void (*free)(QidlVisitor *v);

    /* Private to visitor.c: the state version and the path stack. */
    guint32 version;
    guint depth;          /* open structs and lists */
    guint n_segments;     /* depth, plus one while a scalar is visited */
    QidlPathSegment segments[QIDL_LIMIT_DEPTH + 1];
    /* Bit d set: the struct open at depth d is a subsection. */
    guint64 subsections;
};

/**
 * qidl_visitor__init:
 * @v: the embedded parent of a new implementation struct
 * @type: output or input
 *
 * Resets the core's bookkeeping.  The callbacks are set by the caller,
 * before or after.
 */
void qidl_visitor__init(QidlVisitor *v, QidlVisitorType type);

/**
 * qidl_visitor__fields_valid:
 * @fields: a table of qidl_visit_scalar_fields()
 * @checks: (nullable): its checks (qidl_visit_checked_fields())
 * @n_fields: its length
 *
 * What the core checks of a table before calling scalar_fields: names not
 * NULL, scalar kinds, each check a known one, on an integer, with
 * something to name.  A programming error: g_return_val_if_fail() style.
 *
 * Returns: TRUE if the table is valid.
 */
gboolean qidl_visitor__fields_valid(const QidlScalarField *fields,
                                    const QidlFieldCheck *checks,
                                    guint n_fields);

/**
 * qidl_visitor__error:
 * @v: the visitor
 * @error: return location for a GError
 * @code: a #QidlErrorCode
 * @format: printf-style message without the path
 *
 * Sets @error in the QIDL_ERROR domain with the message
 * "<path>: <message>" (just "<message>" outside any visit).
 *
 * Returns: FALSE, so callbacks can `return qidl_visitor__error(...)`.
 */
gboolean qidl_visitor__error(const QidlVisitor *v, GError **error, int code,
                             const char *format, ...) G_GNUC_PRINTF(4, 5);

/**
 * qidl_kind__scalar_size:
 * @kind: a #QidlKind
 *
 * qidl_kind_size() of a scalar kind, 0 for any other, inline: for the
 * loops of visitor implementations, which would otherwise make a call
 * through the PLT per value.
 *
 * Returns: the size in bytes.
 */
static inline gsize qidl_kind__scalar_size(QidlKind kind)
{
    static const guint8 sizes[QIDL_KIND_LAST + 1] = {
        [QIDL_KIND_BOOL] = 1, [QIDL_KIND_INT8] = 1, [QIDL_KIND_UINT8] = 1,
        [QIDL_KIND_INT16] = 2, [QIDL_KIND_UINT16] = 2,
        [QIDL_KIND_INT32] = 4, [QIDL_KIND_UINT32] = 4,
        [QIDL_KIND_INT64] = 8, [QIDL_KIND_UINT64] = 8,
        [QIDL_KIND_FLOAT] = 4, [QIDL_KIND_DOUBLE] = 8,
    };

    return (guint)kind <= QIDL_KIND_LAST ? sizes[kind] : 0;
}

/**
 * qidl_visitor__field_ok:
 * @field: a table entry of an integer kind
 * @check: its check, not QIDL_SCALAR_CHECK_NONE
 * @value: the value read for it, of its kind's C type
 *
 * Whether @value passes @check, inline for the loops of scalar_fields
 * callbacks; qidl_visitor__check_field() sets the error when it does not.
 *
 * Returns: TRUE if it passes.
 */
static inline gboolean qidl_visitor__field_ok(const QidlScalarField *field,
                                              const QidlFieldCheck *check,
                                              const void *value)
{
    gint64 s = 0;
    guint64 u = 0;
    gboolean is_signed = TRUE;

    switch (field->kind) {
    case QIDL_KIND_INT8:
        s = *(const gint8 *)value;
        break;
    case QIDL_KIND_INT16:
        s = *(const gint16 *)value;
        break;
    case QIDL_KIND_INT32:
        s = *(const gint32 *)value;
        break;
    case QIDL_KIND_INT64:
        s = *(const gint64 *)value;
        break;
    case QIDL_KIND_BOOL:
        is_signed = FALSE;
        u = *(const bool *)value;
        break;
    case QIDL_KIND_UINT8:
        is_signed = FALSE;
        u = *(const guint8 *)value;
        break;
    case QIDL_KIND_UINT16:
        is_signed = FALSE;
        u = *(const guint16 *)value;
        break;
    case QIDL_KIND_UINT32:
        is_signed = FALSE;
        u = *(const guint32 *)value;
        break;
    case QIDL_KIND_UINT64:
        is_signed = FALSE;
        u = *(const guint64 *)value;
        break;
    default:
        return FALSE;
    }
    if (check->check == QIDL_SCALAR_CHECK_RANGE) {
        return is_signed ? s >= (gint64)check->lo && s <= (gint64)check->hi :
                           u >= check->lo && u <= check->hi;
    }
    return is_signed ? s >= 0 && (guint64)s < check->hi : u < check->hi;
}

/**
 * qidl_visitor__check_field:
 * @v: an input visitor, inside its scalar_fields callback, with no
 *   segment of @field pushed
 * @field: a table entry
 * @check: its check, not QIDL_SCALAR_CHECK_NONE
 * @value: the value read for it, of its kind's C type
 * @error: return location for a GError
 *
 * TRUE if @value passes @check; otherwise sets QIDL_ERROR_CONSTRAINT at
 * `<path>.<field>` with the message generated code gives, and returns
 * FALSE.  An implementation reads a checked field into a temporary, calls
 * this, and stores the value only if it passes (visitor.h).
 */
gboolean qidl_visitor__check_field(const QidlVisitor *v,
                                   const QidlScalarField *field,
                                   const QidlFieldCheck *check,
                                   const void *value, GError **error);

/**
 * qidl_visitor__element_error:
 * @v: the visitor, inside its scalar_array callback
 * @index: the element the error is about
 * @error: return location for a GError
 * @code: a #QidlErrorCode
 * @format: printf-style message without the path
 *
 * Like qidl_visitor__error(), for element @index of the array being
 * visited: "<path>[<index>]: <message>", the message the element-by-element
 * visit would have given.
 *
 * Returns: FALSE.
 */
gboolean qidl_visitor__element_error(const QidlVisitor *v, guint32 index,
                                     GError **error, int code,
                                     const char *format, ...)
    G_GNUC_PRINTF(5, 6);

/**
 * qidl_visitor__element_path:
 * @v: the visitor, inside its scalar_array callback
 * @index: an element of the array being visited
 *
 * For implementations that format their own errors (the native stream's
 * "device P (T): " prefix): the path qidl_visitor__element_error() uses.
 *
 * Returns: (transfer full): "<path>[<index>]".
 */
char *qidl_visitor__element_path(const QidlVisitor *v, guint32 index);

/**
 * qidl_visitor__segment:
 * @v: the visitor
 * @up: 0 for the innermost segment, 1 for its parent, ...
 *
 * Returns: (nullable) (transfer none): the segment, or NULL above the
 * outermost one.
 */
const QidlPathSegment *qidl_visitor__segment(const QidlVisitor *v, guint up);

/**
 * qidl_visitor__push_field:
 * @v: the visitor, inside its scalar_fields callback
 * @field: the entry of the table being visited that the callback is on
 *
 * Pushes @field's path segment, as qidl_visit_scalar() pushes a field's:
 * until qidl_visitor__pop_field(), qidl_visitor__error() and
 * qidl_visitor_get_path() name it (`dev.field`).  Push it before
 * reporting an error about the field (a visitor that failed is not used
 * again, so the segment may stay), or around a call of the
 * implementation's own scalar callback for the field.  Inline, and
 * without checks (the core only calls scalar_fields inside a struct, so
 * there is room): a few stores, for the callbacks' fast paths.
 */
static inline void qidl_visitor__push_field(QidlVisitor *v,
                                            const QidlScalarField *field)
{
    v->segments[v->n_segments++] = (QidlPathSegment) {
        .name = field->name,
        .kind = (QidlKind)field->kind,
    };
}

/**
 * qidl_visitor__pop_field:
 * @v: the visitor, after qidl_visitor__push_field()
 *
 * Pops the field's segment again.
 */
static inline void qidl_visitor__pop_field(QidlVisitor *v)
{
    v->n_segments--;
}

G_END_DECLS

#endif /* QIDL_VISITOR_IMPL_H */
