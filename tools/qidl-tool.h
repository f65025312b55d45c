/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the qidl tool's commands share across its source files.
 */
#ifndef QIDL_TOOL_H
#define QIDL_TOOL_H

#include <qidl/tree.h>

/*
 * The devices of the stream at @path ("-": standard input), of any form
 * the tool reads (native, zstd, typed JSON, QEMU; large files mapped);
 * errors are prefixed with @path.
 */
QidlTree *qidl_tool_read_tree(const char *path, GError **error);

/* qidl compat (qidl-compat.c). */
int qidl_cmd_compat(int argc, char **argv);

#endif /* QIDL_TOOL_H */
