/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running real QEMU from the tests (qemu-runner.h).  A minimal QMP client:
 * one command at a time, replies read line by line, events skipped, every
 * read bounded by a poll() timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu-runner.h"

struct QemuVm {
    GPid pid;
    int fd;                   /* the QMP socket */
    char *socket_path;
    char *log_path;
    GString *buf;             /* bytes read, not yet a whole line */
};

static gboolean fail(GError **error, const char *format, ...)
    G_GNUC_PRINTF(2, 3);

static gboolean fail(GError **error, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    if (error) {
        *error = g_error_new_valist(g_quark_from_static_string("qemu-runner"),
                                    1, format, ap);
    }
    va_end(ap);
    return FALSE;
}

char *qemu_runner_find(char **why)
{
    char *path = g_find_program_in_path(QEMU_RUNNER_BINARY);

    if (!path && why) {
        *why = g_strdup_printf(QEMU_RUNNER_BINARY " is not installed: "
                               "install the Debian package "
                               QEMU_RUNNER_PACKAGE " (and qemu-utils), as "
                               "`make check` does: apt-get install -y "
                               QEMU_RUNNER_PACKAGE " qemu-utils");
    }
    return path;
}

/* The last lines of QEMU's log, for messages. */
static char *log_tail(const QemuVm *vm)
{
    g_autofree char *text = NULL;
    gsize len = 0;

    if (!g_file_get_contents(vm->log_path, &text, &len, NULL) || len == 0) {
        return g_strdup("(QEMU printed nothing)");
    }
    return g_strdup(len > 600 ? text + len - 600 : text);
}

/* Reads one line (a QMP message) within the timeout. */
static char *read_line(QemuVm *vm, GError **error)
{
    gint64 deadline = g_get_monotonic_time() +
                      QEMU_RUNNER_TIMEOUT_S * G_USEC_PER_SEC;

    for (;;) {
        char *nl = memchr(vm->buf->str, '\n', vm->buf->len);
        struct pollfd p = { vm->fd, POLLIN, 0 };
        char chunk[4096];
        gint64 left;
        ssize_t n;

        if (nl) {
            char *line = g_strndup(vm->buf->str, (gsize)(nl - vm->buf->str));

            g_string_erase(vm->buf, 0, nl - vm->buf->str + 1);
            return line;
        }
        left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            fail(error, "QMP: no reply within %d s", QEMU_RUNNER_TIMEOUT_S);
            return NULL;
        }
        n = read(vm->fd, chunk, sizeof(chunk));
        if (n <= 0) {
            g_autofree char *tail = log_tail(vm);

            fail(error, "QMP: QEMU closed the connection: %s", tail);
            return NULL;
        }
        g_string_append_len(vm->buf, chunk, n);
    }
}

/* The next message that is not an event, parsed. */
static JsonNode *read_reply(QemuVm *vm, GError **error)
{
    for (;;) {
        g_autofree char *line = read_line(vm, error);
        g_autoptr(JsonParser) parser = NULL;
        JsonObject *obj;

        if (!line) {
            return NULL;
        }
        parser = json_parser_new();
        if (!json_parser_load_from_data(parser, line, -1, error)) {
            return NULL;
        }
        if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
            fail(error, "QMP: not an object: %s", line);
            return NULL;
        }
        obj = json_node_get_object(json_parser_get_root(parser));
        if (json_object_has_member(obj, "event")) {
            continue;
        }
        return json_node_copy(json_parser_get_root(parser));
    }
}

JsonNode *qemu_vm_qmp(QemuVm *vm, const char *command, const char *args,
                      GError **error)
{
    g_autofree char *msg = args
        ? g_strdup_printf("{\"execute\": \"%s\", \"arguments\": %s}\n",
                          command, args)
        : g_strdup_printf("{\"execute\": \"%s\"}\n", command);
    g_autoptr(JsonNode) reply = NULL;
    JsonObject *obj;
    gsize done = 0;

    while (done < strlen(msg)) {
        ssize_t n = write(vm->fd, msg + done, strlen(msg) - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            fail(error, "QMP: cannot send %s", command);
            return NULL;
        }
        done += (gsize)n;
    }
    reply = read_reply(vm, error);
    if (!reply) {
        return NULL;
    }
    obj = json_node_get_object(reply);
    if (json_object_has_member(obj, "error")) {
        g_autofree char *text = json_to_string(reply, FALSE);

        fail(error, "QMP %s: %s", command, text);
        return NULL;
    }
    if (!json_object_has_member(obj, "return")) {
        fail(error, "QMP %s: reply without \"return\"", command);
        return NULL;
    }
    return json_node_copy(json_object_get_member(obj, "return"));
}

char *qemu_vm_hmp(QemuVm *vm, const char *command_line, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) args = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autofree char *text = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "command-line");
    json_builder_add_string_value(b, command_line);
    json_builder_end_object(b);
    args = json_builder_get_root(b);
    text = json_to_string(args, FALSE);
    ret = qemu_vm_qmp(vm, "human-monitor-command", text, error);
    if (!ret) {
        return NULL;
    }
    return g_strdup(json_node_get_string(ret));
}

gboolean qemu_vm_wait_migration(QemuVm *vm, GError **error)
{
    gint64 deadline = g_get_monotonic_time() +
                      QEMU_RUNNER_TIMEOUT_S * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline) {
        g_autoptr(JsonNode) ret = qemu_vm_qmp(vm, "query-migrate", NULL,
                                              error);
        const char *status;

        if (!ret) {
            return FALSE;
        }
        status = json_object_get_string_member_with_default(
            json_node_get_object(ret), "status", "");
        if (strcmp(status, "completed") == 0) {
            return TRUE;
        }
        if (strcmp(status, "failed") == 0) {
            g_autofree char *tail = log_tail(vm);

            return fail(error, "migration failed: %s", tail);
        }
        g_usleep(10 * 1000);
    }
    return fail(error, "migration did not complete within %d s",
                QEMU_RUNNER_TIMEOUT_S);
}

gboolean qemu_vm_migrate_to_file(QemuVm *vm, const char *file,
                                 GError **error)
{
    g_autofree char *args =
        g_strdup_printf("{\"uri\": \"exec:cat > %s\"}", file);
    g_autoptr(JsonNode) ret = qemu_vm_qmp(vm, "migrate", args, error);

    return ret && qemu_vm_wait_migration(vm, error);
}

static gboolean connect_qmp(QemuVm *vm, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    gint64 deadline = g_get_monotonic_time() +
                      QEMU_RUNNER_TIMEOUT_S * G_USEC_PER_SEC;
    g_autoptr(JsonNode) greeting = NULL;
    g_autoptr(JsonNode) ret = NULL;

    if (strlen(vm->socket_path) >= sizeof(addr.sun_path)) {
        return fail(error, "socket path too long: %s", vm->socket_path);
    }
    strcpy(addr.sun_path, vm->socket_path);
    for (;;) {
        int status;

        vm->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (vm->fd >= 0 &&
            connect(vm->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            break;
        }
        if (vm->fd >= 0) {
            close(vm->fd);
            vm->fd = -1;
        }
        if (waitpid(vm->pid, &status, WNOHANG) == vm->pid) {
            g_autofree char *tail = log_tail(vm);

            vm->pid = 0;
            return fail(error, "QEMU exited at start: %s", tail);
        }
        if (g_get_monotonic_time() > deadline) {
            return fail(error, "QEMU's QMP socket did not appear within "
                        "%d s", QEMU_RUNNER_TIMEOUT_S);
        }
        g_usleep(20 * 1000);
    }
    greeting = read_reply(vm, error);
    if (!greeting) {
        return FALSE;
    }
    ret = qemu_vm_qmp(vm, "qmp_capabilities", NULL, error);
    return ret != NULL;
}

QemuVm *qemu_vm_start(const char *dir, const char *machine,
                      const char *const *extra, const char *incoming,
                      GError **error)
{
    static guint serial;
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *binary = qemu_runner_find(NULL);
    g_autofree char *qmp = NULL;
    QemuVm *vm;
    int log_fd, null_fd;
    gboolean ok;

    if (!binary) {
        fail(error, QEMU_RUNNER_BINARY " is not installed (Debian package "
             QEMU_RUNNER_PACKAGE ")");
        return NULL;
    }
    vm = g_new0(QemuVm, 1);
    vm->fd = -1;
    vm->buf = g_string_new(NULL);
    serial++;
    vm->socket_path = g_strdup_printf("%s/qmp-%u.sock", dir, serial);
    vm->log_path = g_strdup_printf("%s/qemu-%u.log", dir, serial);
    qmp = g_strdup_printf("unix:%s,server=on,wait=off", vm->socket_path);

    g_ptr_array_add(argv, g_strdup(binary));
    for (const char *const *a = (const char *const[]) {
             "-nodefaults", "-S", "-display", "none", "-accel", "tcg",
             "-m", "32", NULL }; *a; a++) {
        g_ptr_array_add(argv, g_strdup(*a));
    }
    g_ptr_array_add(argv, g_strdup("-machine"));
    g_ptr_array_add(argv, g_strdup(machine));
    g_ptr_array_add(argv, g_strdup("-qmp"));
    g_ptr_array_add(argv, g_strdup(qmp));
    for (const char *const *a = extra; a && *a; a++) {
        g_ptr_array_add(argv, g_strdup(*a));
    }
    if (incoming) {
        g_ptr_array_add(argv, g_strdup("-incoming"));
        g_ptr_array_add(argv, g_strdup(incoming));
    }
    g_ptr_array_add(argv, NULL);

    log_fd = open(vm->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ok = log_fd >= 0 && null_fd >= 0 &&
         g_spawn_async_with_fds(dir, (char **)argv->pdata, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &vm->pid, null_fd, log_fd, log_fd, error);
    if (log_fd >= 0) {
        close(log_fd);
    }
    if (null_fd >= 0) {
        close(null_fd);
    }
    if (!ok) {
        if (error && !*error) {
            fail(error, "cannot open %s or /dev/null", vm->log_path);
        }
        qemu_vm_free(vm);
        return NULL;
    }
    if (!connect_qmp(vm, error)) {
        qemu_vm_free(vm);
        return NULL;
    }
    return vm;
}

void qemu_vm_free(QemuVm *vm)
{
    if (!vm) {
        return;
    }
    if (vm->pid > 0) {
        gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        gboolean reaped = FALSE;

        if (vm->fd >= 0) {
            JsonNode *ret = qemu_vm_qmp(vm, "quit", NULL, NULL);

            if (ret) {
                json_node_unref(ret);
            }
        }
        while (!reaped && g_get_monotonic_time() < deadline) {
            int status;

            reaped = waitpid(vm->pid, &status, WNOHANG) == vm->pid;
            if (!reaped) {
                g_usleep(10 * 1000);
            }
        }
        if (!reaped) {
            int status;

            kill(vm->pid, SIGKILL);
            waitpid(vm->pid, &status, 0);
        }
        g_spawn_close_pid(vm->pid);
    }
    if (vm->fd >= 0) {
        close(vm->fd);
    }
    unlink(vm->socket_path);
    g_free(vm->socket_path);
    g_free(vm->log_path);
    g_string_free(vm->buf, TRUE);
    g_free(vm);
}
