/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-extract: the depfile
 *
 * Make syntax, as gcc -MD writes it: the first output, a colon, every file
 * the translation unit read.  Ninja reads it (meson's custom_target
 * depfile:) so the outputs are regenerated exactly when the source or a
 * header it includes changes.
 */
#include <string.h>

#include "model.h"

static void append_escaped(GString *out, const char *path)
{
    for (const char *p = path; *p; p++) {
        if (*p == ' ' || *p == '#' || *p == '\\') {
            g_string_append_c(out, '\\');
        } else if (*p == '$') {
            g_string_append_c(out, '$');
        }
        g_string_append_c(out, *p);
    }
}

GString *qe_emit_depfile(const QeModel *model, const char *target)
{
    GString *out = g_string_new(NULL);

    append_escaped(out, target);
    g_string_append_c(out, ':');
    for (guint i = 0; i < model->includes->len; i++) {
        g_string_append(out, " \\\n ");
        append_escaped(out, g_ptr_array_index(model->includes, i));
    }
    g_string_append_c(out, '\n');
    return out;
}
