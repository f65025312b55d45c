/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pretty-print output visitor and the value formatting shared with the
 * trace visitor and the tree printer (pretty-private.h).
 *
 * Each line is written as soon as its value is visited, so the output of a
 * visit that fails half-way shows everything up to the failure.  The path
 * on the left is rebuilt from the core's path stack for every line: the
 * core already knows names, counts, element sizes and indices, and keeping
 * a second copy here could only drift from it.
 */
#include <inttypes.h>

#include <qidl/pretty.h>
#include <qidl/visitor-impl.h>

#include "pretty-private.h"

/* ---- value formatting (pretty-private.h) ---- */

static void format_signed(GString *out, gint64 value)
{
    if (value < 0) {
        /* -(value + 1) + 1 is the magnitude, even for G_MININT64. */
        guint64 magnitude = (guint64)(-(value + 1)) + 1;

        g_string_append_printf(out, "-0x%" PRIx64, magnitude);
    } else {
        g_string_append_printf(out, "0x%" PRIx64, (guint64)value);
    }
}

static void format_double(GString *out, double value)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.17g", value));
}

void qidl_pretty__format_scalar_value(GString *out, QidlKind kind,
                                      const void *obj)
{
    g_return_if_fail(out != NULL);
    g_return_if_fail(qidl_kind_is_scalar(kind));
    g_return_if_fail(obj != NULL);

    switch (kind) {
    case QIDL_KIND_BOOL: {
        /* Read the byte, not the bool: a corrupt bool is what a debugging
         * printer must show, and loading it as bool is undefined. */
        guint8 byte = *(const guint8 *)obj;

        if (byte <= 1) {
            g_string_append(out, byte ? "true" : "false");
        } else {
            g_string_append_printf(out, "0x%x (invalid)", byte);
        }
        break;
    }
    case QIDL_KIND_INT8:
        format_signed(out, *(const gint8 *)obj);
        break;
    case QIDL_KIND_UINT8:
        g_string_append_printf(out, "0x%x", *(const guint8 *)obj);
        break;
    case QIDL_KIND_INT16:
        format_signed(out, *(const gint16 *)obj);
        break;
    case QIDL_KIND_UINT16:
        g_string_append_printf(out, "0x%x", *(const guint16 *)obj);
        break;
    case QIDL_KIND_INT32:
        format_signed(out, *(const gint32 *)obj);
        break;
    case QIDL_KIND_UINT32:
        g_string_append_printf(out, "0x%" PRIx32, *(const guint32 *)obj);
        break;
    case QIDL_KIND_INT64:
        format_signed(out, *(const gint64 *)obj);
        break;
    case QIDL_KIND_UINT64:
        g_string_append_printf(out, "0x%" PRIx64, *(const guint64 *)obj);
        break;
    case QIDL_KIND_FLOAT:
        /* Widening is exact, so %.17g shows the float's own value. */
        format_double(out, *(const float *)obj);
        break;
    case QIDL_KIND_DOUBLE:
        format_double(out, *(const double *)obj);
        break;
    default:
        g_assert_not_reached();
    }
}

void qidl_pretty__format_scalar(GString *out, QidlKind kind, const void *obj)
{
    g_return_if_fail(out != NULL);
    g_return_if_fail(qidl_kind_is_scalar(kind));

    g_string_append_printf(out, "(%s) ", qidl_kind_name(kind));
    qidl_pretty__format_scalar_value(out, kind, obj);
}

void qidl_pretty__format_string(GString *out, const char *value)
{
    g_autofree char *escaped = NULL;

    g_return_if_fail(out != NULL);

    escaped = g_strescape(value ? value : "", NULL);
    g_string_append_printf(out, "(string) \"%s\"", escaped);
}

void qidl_pretty__format_hex(GString *out, const guint8 *data, gsize len)
{
    static const char digits[] = "0123456789abcdef";

    g_return_if_fail(out != NULL);
    g_return_if_fail(data != NULL || len == 0);

    for (gsize i = 0; i < len; i++) {
        g_string_append_c(out, digits[data[i] >> 4]);
        g_string_append_c(out, digits[data[i] & 0xf]);
    }
}

void qidl_pretty__format_bytes(GString *out, const guint8 *data, gsize len)
{
    g_return_if_fail(out != NULL);
    g_return_if_fail(data != NULL || len == 0);

    g_string_append_printf(out, "(bytes[%" G_GSIZE_FORMAT "])", len);
    if (len > 0) {
        g_string_append_c(out, ' ');
        qidl_pretty__format_hex(out, data, len);
    }
}

/* ---- the pretty-print visitor ---- */

typedef struct {
    QidlVisitor parent;
    GString *out;              /* borrowed: the caller's */
    guint64 lines;             /* lines written so far */
    /*
     * lines when each open struct started, indexed by depth: a struct
     * that wrote nothing by its end prints "(empty struct)".
     */
    guint64 struct_start[QIDL_LIMIT_DEPTH + 1];
} PrettyVisitor;

static PrettyVisitor *to_pretty(QidlVisitor *v)
{
    return (PrettyVisitor *)v;
}

/*
 * Appends the path of the innermost segment in the pretty form:
 * `sample.matrix(2)(6).[1](3)(2).[2]`.  A list shows its count and
 * element size after its name, an element its index after a dot.
 */
static void append_path(const QidlVisitor *v, GString *out)
{
    gsize start = out->len;
    guint n = 0;

    while (qidl_visitor__segment(v, n)) {
        n++;
    }
    for (guint up = n; up-- > 0;) {
        const QidlPathSegment *seg = qidl_visitor__segment(v, up);

        if (seg->in_list) {
            const QidlPathSegment *list = qidl_visitor__segment(v, up + 1);

            g_string_append_printf(out, ".[%" G_GUINT32_FORMAT "]",
                                   list->index);
        } else if (seg->name) {
            if (out->len > start) {
                g_string_append_c(out, '.');
            }
            g_string_append(out, seg->name);
        }
        if (seg->kind == QIDL_KIND_LIST) {
            g_string_append_printf(out, "(%" G_GUINT32_FORMAT ")(%"
                                   G_GSIZE_FORMAT ")", seg->count,
                                   seg->elem_size);
        }
    }
}

/* Starts a line: the path and " = "; the caller appends the value. */
static void begin_line(PrettyVisitor *pv)
{
    append_path(&pv->parent, pv->out);
    g_string_append(pv->out, " = ");
}

static void end_line(PrettyVisitor *pv)
{
    g_string_append_c(pv->out, '\n');
    pv->lines++;
}

static gboolean pretty_start_struct(QidlVisitor *v, const char *name,
                                    GError **error)
{
    PrettyVisitor *pv = to_pretty(v);

    /* The core has counted this struct in the depth already. */
    pv->struct_start[qidl_visitor_get_depth(v)] = pv->lines;
    return TRUE;
}

static gboolean pretty_end_struct(QidlVisitor *v, GError **error)
{
    PrettyVisitor *pv = to_pretty(v);

    if (pv->lines == pv->struct_start[qidl_visitor_get_depth(v)]) {
        begin_line(pv);
        g_string_append(pv->out, "(empty struct)");
        end_line(pv);
    }
    return TRUE;
}

static gboolean pretty_start_list(QidlVisitor *v, const char *name,
                                  QidlListKind kind, guint32 *count,
                                  gsize elem_size, GError **error)
{
    return TRUE;
}

static gboolean pretty_end_list(QidlVisitor *v, GError **error)
{
    PrettyVisitor *pv = to_pretty(v);

    /* The core has set the count by now; at start_list it has not. */
    if (qidl_visitor__segment(v, 0)->count == 0) {
        begin_line(pv);
        g_string_append(pv->out, "(empty)");
        end_line(pv);
    }
    return TRUE;
}

static gboolean pretty_scalar(QidlVisitor *v, const char *name,
                              QidlKind kind, void *obj, GError **error)
{
    PrettyVisitor *pv = to_pretty(v);

    begin_line(pv);
    qidl_pretty__format_scalar(pv->out, kind, obj);
    end_line(pv);
    return TRUE;
}

static gboolean pretty_string(QidlVisitor *v, const char *name, char **obj,
                              GError **error)
{
    PrettyVisitor *pv = to_pretty(v);

    begin_line(pv);
    qidl_pretty__format_string(pv->out, *obj);
    end_line(pv);
    return TRUE;
}

static gboolean pretty_bytes(QidlVisitor *v, const char *name, guint8 *buf,
                             gsize len, GError **error)
{
    PrettyVisitor *pv = to_pretty(v);

    begin_line(pv);
    qidl_pretty__format_bytes(pv->out, buf, len);
    end_line(pv);
    return TRUE;
}

static gboolean pretty_optional(QidlVisitor *v, const char *name,
                                QidlPresence how, bool *present,
                                GError **error)
{
    /* The caller decided; an absent field simply prints no line. */
    return TRUE;
}

static void pretty_free(QidlVisitor *v)
{
    g_free(to_pretty(v));
}

QidlVisitor *qidl_pretty_visitor_new(GString *out)
{
    PrettyVisitor *pv;

    g_return_val_if_fail(out != NULL, NULL);

    pv = g_new0(PrettyVisitor, 1);
    qidl_visitor__init(&pv->parent, QIDL_VISITOR_OUTPUT);
    pv->parent.start_struct = pretty_start_struct;
    pv->parent.end_struct = pretty_end_struct;
    pv->parent.start_list = pretty_start_list;
    pv->parent.end_list = pretty_end_list;
    pv->parent.scalar = pretty_scalar;
    pv->parent.string = pretty_string;
    pv->parent.bytes = pretty_bytes;
    pv->parent.optional = pretty_optional;
    pv->parent.free = pretty_free;
    pv->out = out;
    return &pv->parent;
}
