/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the qidl tool's commands share across its source files.
 */
#ifndef QIDL_TOOL_H
#define QIDL_TOOL_H

#include <qidl/tree.h>

/* ---- qidl-io.c: files ---- */

/*
 * The bytes of the input @path ("-": standard input): a file read whole,
 * or mapped from 64 MiB on; standard input spooled to a temporary file
 * past that; gzip and zstd decompressed (xz and bzip2 refused naming the
 * command to decompress them).
 */
gboolean qidl_tool_read_input(const char *path, GBytes **out, GError **error);

/* A file descriptor a QEMU stream is written to, and its name. */
typedef struct {
    int fd;
    const char *name;
} QidlToolSink;

/* Writes @len bytes to the QidlToolSink @sink (a QidlQemuWriteFunc). */
gboolean qidl_tool_sink_write(const guint8 *data, gsize len, gpointer sink,
                              GError **error);

/* Fails with "@what @name: " and errno's message, errno as the code. */
gboolean qidl_tool_errno_error(GError **error, const char *what,
                               const char *name);

/* ---- qidl.c, qidl-compat.c: commands ---- */

/*
 * The devices of the stream at @path ("-": standard input), of any form
 * the tool reads (native, zstd, typed JSON, QEMU; large files mapped);
 * errors are prefixed with @path.
 */
QidlTree *qidl_tool_read_tree(const char *path, GError **error);

/* qidl compat (qidl-compat.c). */
int qidl_cmd_compat(int argc, char **argv);

#endif /* QIDL_TOOL_H */
