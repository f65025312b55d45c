/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running real QEMU from the tests: qemu-system-x86_64 with no guest (-S,
 * or a moment of firmware under TCG), driven over QMP on a unix socket.
 *
 *     g_autoptr(QemuVm) vm = qemu_vm_start(dir, "pc", NULL, NULL, &error);
 *     qemu_vm_migrate_to_file(vm, "/tmp/x/pc.bin", &error);
 *
 * Every wait is bounded (QEMU_RUNNER_TIMEOUT_S); QEMU's own output goes to
 * a log file whose tail error messages quote.  No network is used.
 */
#ifndef QEMU_RUNNER_H
#define QEMU_RUNNER_H

#include <json-glib/json-glib.h>

#define QEMU_RUNNER_BINARY "qemu-system-x86_64"
#define QEMU_RUNNER_PACKAGE "qemu-system-x86"
#define QEMU_RUNNER_TIMEOUT_S 60

typedef struct QemuVm QemuVm;

/*
 * Returns the path of qemu-system-x86_64, or NULL (then @why says which
 * Debian package to install).
 */
char *qemu_runner_find(char **why);

/*
 * Starts QEMU in @dir (socket and log live there): -nodefaults -S
 * -display none -machine @machine -accel tcg -m 32, QMP on a unix socket,
 * then @extra (NULL-terminated, nullable), then "-incoming @incoming" if
 * non-NULL.  Connects and negotiates QMP.
 */
QemuVm *qemu_vm_start(const char *dir, const char *machine,
                      const char *const *extra, const char *incoming,
                      GError **error);

/*
 * Runs a QMP command (@args: a JSON object text, nullable).  Returns its
 * "return" member (transfer full), or NULL with the QMP error.
 */
JsonNode *qemu_vm_qmp(QemuVm *vm, const char *command, const char *args,
                      GError **error);

/* A human monitor command's output (transfer full). */
char *qemu_vm_hmp(QemuVm *vm, const char *command_line, GError **error);

/*
 * Polls query-migrate until it reports "completed" (TRUE) or "failed"
 * (FALSE, with the log's tail in the message).  For both directions.
 */
gboolean qemu_vm_wait_migration(QemuVm *vm, GError **error);

/* Migrates to "exec:cat > @file" and waits for completion. */
gboolean qemu_vm_migrate_to_file(QemuVm *vm, const char *file,
                                 GError **error);

/* Sends quit, reaps QEMU (killing it if it does not exit), cleans up. */
void qemu_vm_free(QemuVm *vm);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuVm, qemu_vm_free)

#endif /* QEMU_RUNNER_H */
