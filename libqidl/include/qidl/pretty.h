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
 * A list shows its element count and element size in parentheses, an
 * element its index in brackets.  Integers print in hex (negative values
 * as -0x5), bool as true/false, float and double with %.17g, strings
 * quoted with C escapes, bytes as lower-case hex with their length:
 * `(bytes[3]) 00ff10`.  An absent optional field prints nothing; a present
 * one prints as usual.  An empty list or struct prints a line
 * `name(0)(4) = (empty)` / `name = (empty struct)` so that it is visible.
 *
 * The trace visitor logs every visitor call, with its arguments and the
 * value, in order; it can wrap another visitor (output or input) and
 * forwards each call to it, so a legacy load can be traced value by value.
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
 *   to; the trace visitor has its type.  NULL makes a plain output visitor
 *   that only logs.  Must outlive the trace visitor.
 * @log: (transfer none): where one line per call is appended, e.g.
 *   `start_struct rtc`, `uint8 rtc.irr = 0x10`, `start_list rtc.regs
 *   fixed count=4 elem_size=2`, `end_struct rtc`; for an input visitor the
 *   value logged is the one loaded, and a failed call logs `! <message>`.
 *
 * Returns: (transfer full): a visitor.
 */
QidlVisitor *qidl_trace_visitor_new(QidlVisitor *inner, GString *log);

G_END_DECLS

#endif /* QIDL_PRETTY_H */
