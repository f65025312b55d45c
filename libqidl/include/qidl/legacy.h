/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The legacy codec: QEMU's VMState wire encoding
 *
 * The legacy format is what QEMU's vmstate writes for a sequence of fields:
 * no names, no types, no framing.  Integers are big-endian in their own
 * width, bool is one byte (0 or 1), float and double are their IEEE-754
 * bits as big-endian uint32/uint64, byte buffers and char arrays are raw.
 * Structs and fixed or sized lists add nothing to the wire.  The few things
 * VMState has no generic encoding for follow QEMU's hand-written
 * conventions:
 *
 * - a heap string (qidl_visit_string()) is a length byte then the bytes,
 *   as qemu_put_counted_string() writes an idstr (at most 255 bytes);
 * - a counted list (QIDL_LIST_COUNTED) is a big-endian uint32 count, then
 *   the elements;
 * - an optional field with QIDL_PRESENCE_FLAG is a presence byte (0 or 1)
 *   then the value if present; with QIDL_PRESENCE_DEFAULT the value is
 *   always written and read.
 *
 * A char array (qidl_visit_string_buf()) is all its bytes, as
 * VMSTATE_BUFFER writes it: the output writes the string and zeros after
 * its terminator (never stale bytes), or the whole array as it is if it
 * holds no terminator; the input requires a NUL within the array
 * (QIDL_ERROR_INVALID, since the wire cannot hold a longer string), copies
 * the string and zeroes the rest of the array.
 *
 * Because nothing is self-describing, the input visitor can only detect
 * truncation, invalid bools and presence bytes, unterminated char arrays,
 * NUL bytes inside heap strings, counts over QIDL_LIMIT_LIST_LEN and
 * trailing bytes; a width change on one side goes unnoticed, which is the
 * bug class the self-describing formats exist to close.
 *
 * A sized list's count is an earlier field, not on the wire, and a size_is
 * heap array is allocated from it: the input visitor refuses a count
 * above the bytes left (each element takes at least one) when the list
 * starts, before the caller allocates, unless the whole list is at most
 * QIDL_LIMIT_LEGACY_UNBACKED bytes of memory (elements with nothing to
 * save take no byte).
 *
 * Example: loading a state section that starts at offset 4096 of a file
 * and is followed by other sections
 *
 *     g_autoptr(QidlVisitor) v =
 *         qidl_legacy_input_visitor_new(data, len, 4096,
 *                                       QIDL_LEGACY_INPUT_ALLOW_TRAILING);
 *     if (!visit_pic(v, "pic", &scratch, error) ||
 *         !qidl_visitor_complete(v, error)) { ... }
 *     next = data + qidl_legacy_input_visitor_get_offset(v);
 *
 * A truncated section fails with a message such as
 * `pic.regs[1]: need 2 bytes at byte offset 4099, 1 left`.
 */
#ifndef QIDL_LEGACY_H
#define QIDL_LEGACY_H

#include <qidl/visitor.h>

G_BEGIN_DECLS

/**
 * qidl_legacy_output_visitor_new:
 * @out: (transfer none): where the bytes are appended; must outlive the
 *   visitor
 *
 * Every call appends to @out immediately.  A call fails only for what the
 * format cannot carry: a heap string longer than 255 bytes
 * (QIDL_ERROR_UNSUPPORTED), or output that would grow @out past G_MAXUINT
 * bytes, the most a GByteArray holds (QIDL_ERROR_LIMIT).  What earlier
 * calls appended stays in @out; discard it when the visit fails.
 *
 * Returns: (transfer full): an output visitor; free it with
 * qidl_visitor_free().
 */
QidlVisitor *qidl_legacy_output_visitor_new(GByteArray *out);

/**
 * QidlLegacyInputFlags:
 * @QIDL_LEGACY_INPUT_ALLOW_TRAILING: qidl_visitor_complete() accepts bytes
 *   left after the visit (the data is a prefix of a larger stream)
 */
typedef enum {
    QIDL_LEGACY_INPUT_NONE = 0,
    QIDL_LEGACY_INPUT_ALLOW_TRAILING = 1 << 0,
} QidlLegacyInputFlags;

/**
 * qidl_legacy_input_visitor_new:
 * @data: (transfer none): the bytes; must outlive the visitor
 * @len: their length
 * @base_offset: the offset of @data[0] in the file or stream it comes
 *   from; error messages report offsets relative to that (pass 0 for a
 *   standalone buffer)
 * @flags: #QidlLegacyInputFlags
 *
 * Every read checks the bytes left first: reading past @len fails with
 * QIDL_ERROR_TRUNCATED, naming the path and the byte offset.  A bool or
 * presence byte other than 0 or 1, a char array without a NUL and a heap
 * string holding a NUL fail with QIDL_ERROR_INVALID; a counted list's count
 * over QIDL_LIMIT_LIST_LEN with QIDL_ERROR_LIMIT; a sized list's count
 * that the bytes left cannot back with QIDL_ERROR_TRUNCATED, when the
 * list starts.  qidl_visitor_complete()
 * fails with QIDL_ERROR_UNKNOWN_FIELD if bytes are left, unless @flags has
 * QIDL_LEGACY_INPUT_ALLOW_TRAILING.
 *
 * Returns: (transfer full): an input visitor; free it with
 * qidl_visitor_free().
 */
QidlVisitor *qidl_legacy_input_visitor_new(const guint8 *data, gsize len,
                                           gsize base_offset,
                                           QidlLegacyInputFlags flags);

/**
 * qidl_legacy_input_visitor_get_offset:
 * @v: a visitor made by qidl_legacy_input_visitor_new()
 *
 * Returns: how many bytes of the data have been consumed, not counting
 * the base offset.
 */
gsize qidl_legacy_input_visitor_get_offset(const QidlVisitor *v);

G_END_DECLS

#endif /* QIDL_LEGACY_H */
