/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pretty-print and trace visitors
 *
 * The pretty printer writes one line per value, the full path on the
 * left, in the format of the original migration-visitor discussion:
 *
 *     i8259.irr = (uint8) 0x10
 *     PIIX3.PCIDevice.config(256)(1).[255] = (uint8) 0x0
 *     slirp.bootp.bootp_clients(16)(8).[0].allocated = (uint16) 0x1
 *
 * Paths: names are joined with dots, starting with the top-level name.  A
 * list shows its element count and element size (as passed to
 * qidl_visit_start_list()) in parentheses after its name, an element its
 * index in brackets after a dot; a row of a 2-D array is both:
 * `sample.matrix(2)(6).[1](3)(2).[2]`.
 *
 * Values: `(<kind>) <value>`, the kind as qidl_kind_name() spells it.
 * Integers print in lower-case hex, negative values as -0x5 (never as
 * two's complement); bool as true/false (a bool object holding another
 * byte than 0 or 1 as `0x2 (invalid)`); float and double with %.17g
 * whatever the locale (`1.5`, `-0.10000000000000001`, `inf`, `nan`).
 * Strings, heap or fixed buffer alike, print quoted with C escapes
 * (g_strescape(): non-ASCII bytes as octal): `(string) "com1"`.  Bytes
 * print as lower-case hex with their length: `(bytes[3]) 00ff10`, and an
 * empty buffer as `(bytes[0])`.
 *
 * An absent optional field prints nothing; a present one prints as usual.
 * An empty list prints `name(0)(4) = (empty)` and a struct that printed no
 * line (no fields, or only absent ones) `name = (empty struct)`, so that
 * they are visible.  The same tree of values always prints the same text.
 *
 * Each line is appended as soon as its value is visited, so a visit that
 * fails half-way leaves every line up to the failure.  The pretty visitor
 * adds no failure of its own to the core's limits (visitor.h), and
 * qidl_visitor_complete() has nothing to flush.
 *
 * The trace visitor logs every visitor call, with its arguments and the
 * value, in order; it can wrap another visitor (output or input) and
 * forwards each call to it, so a legacy load can be traced value by value.
 * Its lines, paths in the form of error messages (visitor.h):
 *
 *     start_struct sample
 *     uint8 sample.u8 = 0x10
 *     double sample.d = -0.10000000000000001
 *     string sample.label = "com1"
 *     string_buf sample.name capacity=8 = "rtc"
 *     bytes sample.blob len=4 = 00ff107f
 *     start_list sample.cmos fixed count=8 elem_size=1
 *     next_list sample.cmos[0]
 *     uint8 sample.cmos[0] = 0x26
 *     end_list sample.cmos
 *     optional sample.extra flag present
 *     optional sample.thr default absent
 *     end_struct sample
 *     complete
 *
 * A scalar line starts with its kind; values are formatted as by the
 * pretty printer, without the kind.  List kinds are fixed, sized or
 * counted; presence is flag or default.  An empty byte buffer logs no
 * `= ...`.
 */
#ifndef QIDL_PRETTY_H
#define QIDL_PRETTY_H

#include <qidl/visitor.h>

G_BEGIN_DECLS

/**
 * qidl_pretty_visitor_new:
 * @out: (transfer none): where lines are appended; must outlive the visitor
 *
 * Returns: (transfer full): an output visitor.
 */
QidlVisitor *qidl_pretty_visitor_new(GString *out);

/**
 * qidl_trace_visitor_new:
 * @inner: (nullable) (transfer none): a visitor each call is forwarded
 *   to, through the public qidl_visit_*() calls (a fixed char buffer as
 *   qidl_visit_string_buf(), so the inner format keeps its encoding); the
 *   trace visitor has its type.  NULL makes a plain output visitor that
 *   only logs.  Must outlive the trace visitor, which never frees it.
 * @log: (transfer none): where one line per call is appended (see above);
 *   must outlive the visitor.
 *
 * The line of a call is written once the inner call returned: for an
 * input visitor the value logged is the one loaded (the count, for a
 * counted list).  A call that fails logs its line without the value an
 * input visitor did not load, then `! <message>` with the inner
 * visitor's error message, and fails with that error unchanged:
 *
 *     int16 sample.i16
 *     ! sample.i16: need 2 bytes at byte offset 3, 1 left
 *
 * Failures the trace visitor's own core detects before any callback runs
 * (nesting deeper than QIDL_LIMIT_DEPTH, a list longer than
 * QIDL_LIMIT_LIST_LEN) are returned without a log line; the inner
 * visitor would have failed the same way.
 *
 * Returns: (transfer full): a visitor.
 */
QidlVisitor *qidl_trace_visitor_new(QidlVisitor *inner, GString *log);

G_END_DECLS

#endif /* QIDL_PRETTY_H */
