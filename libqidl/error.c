/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <qidl/error.h>

/*
 * Not G_DEFINE_QUARK: its lazily set static is written without
 * synchronisation, a data race when two threads fail for the first time at
 * once (ThreadSanitizer reports it).
 */
GQuark qidl_error_quark(void)
{
    static gsize quark;

    if (g_once_init_enter(&quark)) {
        g_once_init_leave(&quark,
                          (gsize)g_quark_from_static_string("qidl-error-quark"));
    }
    return (GQuark)quark;
}

const char *qidl_error_code_name(int code)
{
    static const char *const names[] = {
        [QIDL_ERROR_INVALID] = "invalid",
        [QIDL_ERROR_TRUNCATED] = "truncated",
        [QIDL_ERROR_TYPE_MISMATCH] = "type-mismatch",
        [QIDL_ERROR_MISSING_FIELD] = "missing-field",
        [QIDL_ERROR_UNKNOWN_FIELD] = "unknown-field",
        [QIDL_ERROR_LENGTH_MISMATCH] = "length-mismatch",
        [QIDL_ERROR_CONSTRAINT] = "constraint",
        [QIDL_ERROR_LIMIT] = "limit",
        [QIDL_ERROR_VERSION] = "version",
        [QIDL_ERROR_UNSUPPORTED] = "unsupported",
        [QIDL_ERROR_IO] = "io",
    };

    if (code < 0 || (gsize)code >= G_N_ELEMENTS(names) || !names[code]) {
        return "unknown";
    }
    return names[code];
}
