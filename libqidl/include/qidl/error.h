/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QIDL errors
 *
 * Every recoverable failure in libqidl is reported through a GError in the
 * QIDL_ERROR domain.  The codes below are the few things a caller may want to
 * branch on; everything else is in the message.
 *
 * Messages are one phrase with no trailing period.  They start with the
 * field path the visitor was at (`rtc.cmos_data[12]`) and, for binary input,
 * carry the byte offset (`at byte offset 140`).  The visitor core builds the
 * path, so callers and visitor implementations never assemble it by hand.
 *
 * Programming errors (NULL where a pointer is required, unbalanced
 * start/end calls) are g_return_val_if_fail() checks, never GErrors.
 */
#ifndef QIDL_ERROR_H
#define QIDL_ERROR_H

#include <glib.h>

G_BEGIN_DECLS

#define QIDL_ERROR (qidl_error_quark())

/**
 * QidlErrorCode:
 * @QIDL_ERROR_INVALID: the input is malformed (bad syntax, bad magic,
 *   bad checksum, a value that cannot be represented)
 * @QIDL_ERROR_TRUNCATED: the input ended before the value being read
 * @QIDL_ERROR_TYPE_MISMATCH: the input holds another kind or width than the
 *   reader asked for (uint16 where uint8 was expected, a list where a struct
 *   was expected); never reinterpreted silently
 * @QIDL_ERROR_MISSING_FIELD: a field the reader asked for is not in the input
 * @QIDL_ERROR_UNKNOWN_FIELD: the input holds a field the reader did not ask
 *   for (a leftover), or trailing bytes after the last value
 * @QIDL_ERROR_LENGTH_MISMATCH: a list or buffer in the input has another
 *   element count than the reader expected
 * @QIDL_ERROR_CONSTRAINT: a value violates a declared constraint (range,
 *   index_of, check, size_is against a capacity)
 * @QIDL_ERROR_LIMIT: a resource limit of limits.h was exceeded (depth,
 *   string length, element count, allocation)
 * @QIDL_ERROR_VERSION: unsupported format or state version
 * @QIDL_ERROR_UNSUPPORTED: the visitor cannot represent what was asked
 *   (for example a list of unknown length in the legacy format)
 * @QIDL_ERROR_IO: reading or writing a file or socket failed
 */
typedef enum {
    QIDL_ERROR_INVALID,
    QIDL_ERROR_TRUNCATED,
    QIDL_ERROR_TYPE_MISMATCH,
    QIDL_ERROR_MISSING_FIELD,
    QIDL_ERROR_UNKNOWN_FIELD,
    QIDL_ERROR_LENGTH_MISMATCH,
    QIDL_ERROR_CONSTRAINT,
    QIDL_ERROR_LIMIT,
    QIDL_ERROR_VERSION,
    QIDL_ERROR_UNSUPPORTED,
    QIDL_ERROR_IO,
} QidlErrorCode;

GQuark qidl_error_quark(void);

/**
 * qidl_error_code_name:
 * @code: an error code of the QIDL_ERROR domain
 *
 * Returns: a stable lower-case name for @code ("type-mismatch"), for tools
 * and logs; "unknown" for a value outside the enum.  Transfer none.
 */
const char *qidl_error_code_name(int code);

G_END_DECLS

#endif /* QIDL_ERROR_H */
