/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Value formatting shared by the pretty printer (pretty.c), the trace
 * visitor (trace.c) and the tree printer (tree.c), so that a value looks
 * the same wherever it is shown.  Private to libqidl.
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

/* Appends "(string) \"...\"" with C escapes (g_strescape). */
void qidl_pretty__format_string(GString *out, const char *value);

/* Appends "(bytes[N]) <lower-case hex>". */
void qidl_pretty__format_bytes(GString *out, const guint8 *data, gsize len);

#endif /* QIDL_PRETTY_PRIVATE_H */
