/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Value formatting shared by the pretty printer (pretty.c), the trace
 * visitor (trace.c) and the tree printer (tree.c), so that a value looks
 * the same wherever it is shown.  Private to libqidl.
 *
 * The text never depends on the locale (floats go through
 * g_ascii_formatd()), so golden tests and diffs of printed state are
 * stable on every machine.
 */
#ifndef QIDL_PRETTY_PRIVATE_H
#define QIDL_PRETTY_PRIVATE_H

#include <qidl/visitor.h>

/*
 * Appends "(<kind>) <value>" for a scalar: "(uint8) 0x10", "(int8) -0x2",
 * "(bool) true", "(double) -0.10000000000000001".  @obj points to a C
 * object of @kind.
 */
void qidl_pretty__format_scalar(GString *out, QidlKind kind,
                                const void *obj);

/*
 * Appends only the value part of qidl_pretty__format_scalar(): "0x10",
 * "-0x2", "true", "-0.10000000000000001".  Integers print in lower-case
 * hex (negative ones as -0x<magnitude>), float and double with %.17g
 * ("nan", "inf", "-inf" when not finite), bool as true/false; a bool
 * object holding another byte than 0 or 1 prints as "0x<byte> (invalid)"
 * rather than being silently read as true.
 */
void qidl_pretty__format_scalar_value(GString *out, QidlKind kind,
                                      const void *obj);

/* Appends "(string) \"...\"" with C escapes (g_strescape). */
void qidl_pretty__format_string(GString *out, const char *value);

/*
 * Appends "(bytes[N]) <lower-case hex>"; an empty buffer is just
 * "(bytes[0])".
 */
void qidl_pretty__format_bytes(GString *out, const guint8 *data, gsize len);

/* Appends @len bytes as lower-case hex, two digits a byte, no separator. */
void qidl_pretty__format_hex(GString *out, const guint8 *data, gsize len);

#endif /* QIDL_PRETTY_PRIVATE_H */
