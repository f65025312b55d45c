/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The trace visitor: logs every call, forwarding it to an optional inner
 * visitor.
 *
 * Each callback forwards through the public qidl_visit_*() API, so the
 * inner visitor's core runs its own checks and path tracking exactly as
 * if it were visited directly; its error messages therefore carry the same
 * paths as without the trace.  The line for a call is written after the
 * inner call returns, because an input visitor only knows the value once
 * it has loaded it.
 */
#include <qidl/pretty.h>
#include <qidl/visitor-impl.h>

#include "pretty-private.h"

typedef struct {
    QidlVisitor parent;
    QidlVisitor *inner;        /* borrowed; NULL: log only */
    GString *log;              /* borrowed: the caller's */
} TraceVisitor;

static TraceVisitor *to_trace(QidlVisitor *v)
{
    return (TraceVisitor *)v;
}

/* Starts a line: the call's name, then the path if there is one. */
static GString *begin_line(QidlVisitor *v, const char *call)
{
    g_autofree char *path = qidl_visitor_get_path(v);
    GString *line = g_string_new(call);

    if (*path) {
        g_string_append_c(line, ' ');
        g_string_append(line, path);
    }
    return line;
}

/*
 * Whether the value of a call that returned @ok can be logged: an output
 * visitor's value was there before the call, an input visitor's only once
 * it loaded one.
 */
static gboolean value_known(QidlVisitor *v, gboolean ok)
{
    return ok || v->type == QIDL_VISITOR_OUTPUT;
}

/*
 * Writes @line (consumed) to the log, and the failure of the call if it
 * failed; hands @local on to @error.  Returns @ok.
 */
static gboolean end_line(QidlVisitor *v, GString *line, gboolean ok,
                         GError *local, GError **error)
{
    TraceVisitor *tv = to_trace(v);

    g_string_append_c(line, '\n');
    g_string_append_len(tv->log, line->str, line->len);
    g_string_free(line, TRUE);
    if (!ok) {
        g_string_append_printf(tv->log, "! %s\n", local->message);
        g_propagate_error(error, local);
    }
    return ok;
}

static gboolean trace_start_struct(QidlVisitor *v, const char *name,
                                   GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "start_struct");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_start_struct(tv->inner, name, &local);
    return end_line(v, line, ok, local, error);
}

static gboolean trace_end_struct(QidlVisitor *v, GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "end_struct");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_end_struct(tv->inner, &local);
    return end_line(v, line, ok, local, error);
}

static const char *list_kind_name(QidlListKind kind)
{
    switch (kind) {
    case QIDL_LIST_FIXED:
        return "fixed";
    case QIDL_LIST_SIZED:
        return "sized";
    case QIDL_LIST_COUNTED:
        return "counted";
    default:
        g_assert_not_reached();
    }
}

static gboolean trace_start_list(QidlVisitor *v, const char *name,
                                 QidlListKind kind, guint32 *count,
                                 gsize elem_size, GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "start_list");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_start_list(tv->inner, name, kind, count,
                                             elem_size, &local);
    g_string_append_printf(line, " %s", list_kind_name(kind));
    /* Only a counted list's input leaves the count unknown on failure. */
    if (ok || v->type == QIDL_VISITOR_OUTPUT || kind != QIDL_LIST_COUNTED) {
        g_string_append_printf(line, " count=%" G_GUINT32_FORMAT, *count);
    }
    g_string_append_printf(line, " elem_size=%" G_GSIZE_FORMAT, elem_size);
    return end_line(v, line, ok, local, error);
}

static gboolean trace_next_list(QidlVisitor *v, guint32 index,
                                GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "next_list");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_next_list(tv->inner, &local);
    g_string_append_printf(line, "[%" G_GUINT32_FORMAT "]", index);
    return end_line(v, line, ok, local, error);
}

static gboolean trace_end_list(QidlVisitor *v, GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "end_list");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_end_list(tv->inner, &local);
    return end_line(v, line, ok, local, error);
}

static gboolean trace_scalar(QidlVisitor *v, const char *name, QidlKind kind,
                             void *obj, GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, qidl_kind_name(kind));
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_scalar(tv->inner, name, kind, obj, &local);
    if (value_known(v, ok)) {
        g_string_append(line, " = ");
        qidl_pretty__format_scalar_value(line, kind, obj);
    }
    return end_line(v, line, ok, local, error);
}

/* Appends " = \"<escaped>\"". */
static void append_string_value(GString *line, const char *value)
{
    g_autofree char *escaped = g_strescape(value, NULL);

    g_string_append_printf(line, " = \"%s\"", escaped);
}

static gboolean trace_string(QidlVisitor *v, const char *name, char **obj,
                             GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "string");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_string(tv->inner, name, obj, &local);
    if (value_known(v, ok)) {
        append_string_value(line, *obj);
    }
    return end_line(v, line, ok, local, error);
}

static gboolean trace_string_buf(QidlVisitor *v, const char *name, char *buf,
                                 gsize capacity, GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "string_buf");
    GError *local = NULL;
    gboolean ok;

    /* Forwarded as a buffer, so the inner format keeps its own encoding
     * of fixed buffers (legacy writes all @capacity bytes). */
    ok = !tv->inner || qidl_visit_string_buf(tv->inner, name, buf, capacity,
                                             &local);
    g_string_append_printf(line, " capacity=%" G_GSIZE_FORMAT, capacity);
    if (value_known(v, ok)) {
        /* The buffer may lack a terminator. */
        g_autofree char *value = g_strndup(buf, capacity);

        append_string_value(line, value);
    }
    return end_line(v, line, ok, local, error);
}

static gboolean trace_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                            gsize len, GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "bytes");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_bytes(tv->inner, name, buf, len, &local);
    g_string_append_printf(line, " len=%" G_GSIZE_FORMAT, len);
    if (value_known(v, ok) && len > 0) {
        g_string_append(line, " = ");
        qidl_pretty__format_hex(line, buf, len);
    }
    return end_line(v, line, ok, local, error);
}

static gboolean trace_optional(QidlVisitor *v, const char *name,
                               QidlPresence how, bool *present,
                               GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "optional");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_optional(tv->inner, name, how, present,
                                           &local);
    g_string_append(line, how == QIDL_PRESENCE_FLAG ? " flag" : " default");
    if (value_known(v, ok)) {
        g_string_append(line, *present ? " present" : " absent");
    }
    return end_line(v, line, ok, local, error);
}

static gboolean trace_start_subsection(QidlVisitor *v, const char *name,
                                       guint32 version, bool *present,
                                       GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "start_subsection");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_start_subsection(tv->inner, name, version,
                                                   present, &local);
    g_string_append_printf(line, " version=%" G_GUINT32_FORMAT, version);
    if (value_known(v, ok)) {
        g_string_append(line, *present ? " present" : " absent");
    }
    return end_line(v, line, ok, local, error);
}

static gboolean trace_end_subsection(QidlVisitor *v, GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "end_subsection");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visit_end_subsection(tv->inner, &local);
    return end_line(v, line, ok, local, error);
}

static gboolean trace_complete(QidlVisitor *v, GError **error)
{
    TraceVisitor *tv = to_trace(v);
    GString *line = begin_line(v, "complete");
    GError *local = NULL;
    gboolean ok;

    ok = !tv->inner || qidl_visitor_complete(tv->inner, &local);
    return end_line(v, line, ok, local, error);
}

static void trace_free(QidlVisitor *v)
{
    /* The inner visitor and the log belong to the caller. */
    g_free(to_trace(v));
}

QidlVisitor *qidl_trace_visitor_new(QidlVisitor *inner, GString *log)
{
    TraceVisitor *tv;

    g_return_val_if_fail(log != NULL, NULL);

    tv = g_new0(TraceVisitor, 1);
    qidl_visitor__init(&tv->parent, inner ? qidl_visitor_get_type(inner)
                                          : QIDL_VISITOR_OUTPUT);
    tv->parent.start_struct = trace_start_struct;
    tv->parent.end_struct = trace_end_struct;
    tv->parent.start_list = trace_start_list;
    tv->parent.next_list = trace_next_list;
    tv->parent.end_list = trace_end_list;
    tv->parent.scalar = trace_scalar;
    tv->parent.string = trace_string;
    tv->parent.string_buf = trace_string_buf;
    tv->parent.bytes = trace_bytes;
    tv->parent.optional = trace_optional;
    tv->parent.start_subsection = trace_start_subsection;
    tv->parent.end_subsection = trace_end_subsection;
    tv->parent.complete = trace_complete;
    tv->parent.free = trace_free;
    tv->inner = inner;
    tv->log = log;
    /* Visit functions ask the visitor they are given for the version. */
    if (inner) {
        qidl_visitor_set_version(&tv->parent, qidl_visitor_get_version(inner));
    }
    return &tv->parent;
}
