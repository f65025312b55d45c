/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-machine: the example machine (hw/), live-migrated between two
 * builds.  This file is compiled twice:
 *
 *   qidl-machine       the source build: kvm-apic, virtio-blk-pci
 *   qidl-machine-dest  the destination build (-DQIDL_MACHINE_DEST=1):
 *                      apic, virtio-pci + virtio-blk
 *
 * Commands:
 *
 *   demo [--steps N] [--at K] [--full]
 *       `make demo`: a reference run of N steps; a source run of K steps
 *       live-migrated over a unix socket to a qidl-machine-dest process
 *       (native stream, zstd), which filters and loads it, answers monitor
 *       queries, and runs the rest while the source also continues; then a
 *       snapshot to a file restored by the other build.  Exits 1 if the
 *       migrated run's observable behaviour differs in any way from the
 *       reference run.
 *   incoming --fd FD [--monitor PATH] [--full]
 *       the destination side of demo (started by it)
 *   snapshot --steps K --out FILE
 *       runs K steps, writes the native stream to FILE
 *   restore --in FILE [--steps M] [--log FILE]
 *       loads FILE into this build (through the filters), runs M steps,
 *       writes the log and the final observation to FILE (or stdout)
 *   run [--steps N] [--monitor PATH]
 *       runs N steps, serving the monitor socket between steps, then
 *       keeps serving it until a {"query": "cont"} or {"query": "quit"}
 *
 * The monitor answers one JSON object per line: {"query": "list"},
 * {"query": "device", "path": "/machine/rtc"} (the device's live state in
 * the typed JSON form), {"query": "status"}, {"query": "cont"}.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <qidl/json.h>
#include <qidl/stream.h>

#include "machine.h"

#ifdef QIDL_MACHINE_DEST
#define BUILD_CONFIG (&machine_dest_config)
#define PROGRAM "qidl-machine-dest"
#define OTHER_PROGRAM "qidl-machine"
#else
#define BUILD_CONFIG (&machine_source_config)
#define PROGRAM "qidl-machine"
#define OTHER_PROGRAM "qidl-machine-dest"
#endif

#define EXIT_DIFFERS 1
#define EXIT_USAGE 2
#define EXIT_ERROR 3

/* Lines of the pretty-printed stream shown per device unless --full. */
#define TRIM_LINES 4
#define TRIM_WIDTH 96

static const char *dest_prefix = "  dest | ";

/* ---- plumbing --------------------------------------------------------------- */

static gboolean write_all(int fd, const void *buf, gsize len, GError **error)
{
    const guint8 *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO, "write: %s",
                        g_strerror(errno));
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static gboolean read_all(int fd, void *buf, gsize len, GError **error)
{
    guint8 *p = buf;

    while (len) {
        ssize_t n = read(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO, "read: %s",
                        n == 0 ? "connection closed" : g_strerror(errno));
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* A frame: 8-byte big-endian length and the bytes. */
static gboolean send_frame(int fd, const void *data, gsize len, GError **error)
{
    guint64 be = GUINT64_TO_BE(len);

    return write_all(fd, &be, 8, error) && write_all(fd, data, len, error);
}

static GBytes *recv_frame(int fd, GError **error)
{
    guint64 be;
    gsize len;

    if (!read_all(fd, &be, 8, error)) {
        return NULL;
    }
    len = GUINT64_FROM_BE(be);
    if (len > QIDL_LIMIT_STREAM_LEN) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                    "frame of %zu bytes is over the limit", len);
        return NULL;
    }
    guint8 *buf = g_malloc(len ? len : 1);
    if (!read_all(fd, buf, len, error)) {
        g_free(buf);
        return NULL;
    }
    return g_bytes_new_take(buf, len);
}

static double elapsed_ms(gint64 since)
{
    return (double)(g_get_monotonic_time() - since) / 1000.0;
}

static guint count_lines(const char *s)
{
    guint n = 0;

    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

static char *shorten(const char *line, gsize width)
{
    if (strlen(line) <= width) {
        return g_strdup(line);
    }
    return g_strdup_printf("%.*s... (%zu chars)", (int)width, line,
                           strlen(line));
}

/*
 * Prints a tree as the pretty printer does: all of it with @full, else
 * each device's header and first lines, long values shortened.
 */
static void print_tree(QidlTree *tree, gboolean full, const char *prefix)
{
    for (QidlNode *dev = qidl_node_get_first_child(qidl_tree_get_root(tree));
         dev; dev = qidl_node_get_next(dev)) {
        g_autoptr(GString) text = g_string_new(NULL);
        g_auto(GStrv) lines = NULL;
        guint n;

        qidl_node_print(dev, text);
        lines = g_strsplit(text->str, "\n", -1);
        n = g_strv_length(lines);
        if (n && !*lines[n - 1]) {
            n--;
        }
        for (guint i = 0; i < n; i++) {
            if (!full && i > TRIM_LINES) {
                printf("%s    ... %u more lines\n", prefix, n - i);
                break;
            }
            g_autofree char *l = full ? g_strdup(lines[i])
                                      : shorten(lines[i], TRIM_WIDTH);
            printf("%s%s%s\n", prefix, i ? "    " : "", l);
        }
    }
}

/* ---- the monitor ------------------------------------------------------------ */

typedef struct {
    int listen_fd;
    int client_fd;
    GString *in;
    gboolean cont;              /* "cont" or "quit" received */
    gboolean quit;
} Monitor;

static gboolean monitor_open(Monitor *mon, const char *path, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    mon->client_fd = -1;
    mon->in = g_string_new(NULL);
    if (strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "%s: path too long for a unix socket", path);
        return FALSE;
    }
    strcpy(addr.sun_path, path);
    unlink(path);
    mon->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (mon->listen_fd < 0 ||
        bind(mon->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(mon->listen_fd, 4) < 0) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO, "monitor %s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static void monitor_close(Monitor *mon)
{
    if (mon->client_fd >= 0) {
        close(mon->client_fd);
    }
    if (mon->listen_fd >= 0) {
        close(mon->listen_fd);
    }
    if (mon->in) {
        g_string_free(mon->in, TRUE);
    }
}

static char *monitor_answer(Machine *m, Monitor *mon, const char *line)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *req;
    const char *q;

    if (!json_parser_load_from_data(parser, line, -1, &error) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        return g_strdup("{\"error\":\"expected a JSON object\"}");
    }
    req = json_node_get_object(json_parser_get_root(parser));
    q = json_object_has_member(req, "query")
            ? json_object_get_string_member(req, "query") : NULL;
    if (!q) {
        return g_strdup("{\"error\":\"missing \\\"query\\\"\"}");
    }
    if (strcmp(q, "list") == 0) {
        g_autofree char *list = machine_query_json(m, NULL, FALSE, NULL);
        return g_strdup_printf("{\"return\":%s}", list);
    }
    if (strcmp(q, "device") == 0) {
        const char *path = json_object_has_member(req, "path")
            ? json_object_get_string_member(req, "path") : NULL;
        g_autofree char *state = path ? machine_query_json(m, path, FALSE,
                                                           &error) : NULL;

        if (!state) {
            g_autofree char *msg = g_strescape(
                error ? error->message : "missing \"path\"", NULL);
            return g_strdup_printf("{\"error\":\"%s\"}", msg);
        }
        return g_strdup_printf("{\"return\":%s}", state);
    }
    if (strcmp(q, "status") == 0) {
        return g_strdup_printf("{\"return\":{\"build\":\"%s\",\"step\":%u,"
                               "\"clock_ns\":%" G_GINT64_FORMAT "}}",
                               machine_describe(m), machine_get_step(m),
                               machine_get_clock(m));
    }
    if (strcmp(q, "cont") == 0 || strcmp(q, "quit") == 0) {
        mon->cont = TRUE;
        mon->quit = strcmp(q, "quit") == 0;
        return g_strdup("{\"return\":{}}");
    }
    return g_strdup_printf("{\"error\":\"unknown query\"}");
}

/* Serves what is ready; waits up to @timeout_ms for something first. */
static void monitor_poll(Machine *m, Monitor *mon, int timeout_ms)
{
    struct pollfd pfd;

    if (mon->listen_fd < 0) {
        return;
    }
    if (mon->client_fd < 0) {
        pfd = (struct pollfd){ .fd = mon->listen_fd, .events = POLLIN };
        if (poll(&pfd, 1, timeout_ms) <= 0) {
            return;
        }
        mon->client_fd = accept4(mon->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (mon->client_fd < 0) {
            return;
        }
    }
    pfd = (struct pollfd){ .fd = mon->client_fd, .events = POLLIN };
    while (!mon->cont && poll(&pfd, 1, timeout_ms) > 0) {
        char buf[4096];
        ssize_t n = read(mon->client_fd, buf, sizeof(buf));
        char *nl;

        if (n <= 0) {
            close(mon->client_fd);
            mon->client_fd = -1;
            return;
        }
        g_string_append_len(mon->in, buf, n);
        while ((nl = strchr(mon->in->str, '\n'))) {
            g_autofree char *line = g_strndup(mon->in->str, nl - mon->in->str);
            g_autofree char *reply = NULL;

            g_string_erase(mon->in, 0, nl - mon->in->str + 1);
            reply = monitor_answer(m, mon, line);
            if (!write_all(mon->client_fd, reply, strlen(reply), NULL) ||
                !write_all(mon->client_fd, "\n", 1, NULL)) {
                break;
            }
        }
    }
}

/* A client: sends one query, returns the one-line reply. */
static char *monitor_query(int fd, const char *query, GError **error)
{
    GString *reply = g_string_new(NULL);
    char c;

    if (!write_all(fd, query, strlen(query), error) ||
        !write_all(fd, "\n", 1, error)) {
        g_string_free(reply, TRUE);
        return NULL;
    }
    while (read_all(fd, &c, 1, error)) {
        if (c == '\n') {
            return g_string_free(reply, FALSE);
        }
        g_string_append_c(reply, c);
    }
    g_string_free(reply, TRUE);
    return NULL;
}

static int monitor_connect(const char *path, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO, "monitor %s: %s", path,
                    g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

/* ---- loading with the filters --------------------------------------------------- */

/* Reads, filters and loads a stream; prints the filter statistics. */
static gboolean load_stream(Machine *m, const guint8 *data, gsize len,
                            gboolean print, gboolean full, const char *prefix,
                            GError **error)
{
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(data, len, NULL, error);
    g_autoptr(QidlFilterSet) filters = qidl_filter_set_new();
    g_autoptr(GArray) stats = NULL;
    g_autoptr(GString) line = g_string_new(NULL);

    if (!tree) {
        return FALSE;
    }
    if (print) {
        printf("%s--- the stream as received, pretty-printed%s ---\n", prefix,
               full ? "" : " (trimmed; --full shows every value)");
        print_tree(tree, full, prefix);
        printf("%s---\n", prefix);
    }
    if (!machine_add_incoming_filters(m, filters, error) ||
        !qidl_filter_set_apply(filters, tree, &stats, error)) {
        return FALSE;
    }
    for (guint i = 0; i < stats->len; i++) {
        QidlFilterStat *s = &g_array_index(stats, QidlFilterStat, i);

        g_string_append_printf(line, "%s%s (%u changed)", i ? ", " : "",
                               qidl_filter_set_get_name(filters, i),
                               s->changed);
    }
    if (print) {
        printf("%sfilters: %s\n", prefix, line->str);
    }
    return machine_load_tree(m, tree, error);
}

/* ---- incoming (the destination of demo) ----------------------------------------- */

static int cmd_incoming(int fd, const char *monitor_path, gboolean full)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(Machine) m = machine_new(BUILD_CONFIG);
    g_autoptr(GBytes) header = NULL, stream = NULL;
    Monitor mon = { .listen_fd = -1, .client_fd = -1 };
    guint32 total;
    gint64 t0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (monitor_path && !monitor_open(&mon, monitor_path, &error)) {
        goto fail;
    }
    header = recv_frame(fd, &error);
    if (!header || g_bytes_get_size(header) != 4) {
        goto fail;
    }
    total = GUINT32_FROM_BE(*(const guint32 *)g_bytes_get_data(header, NULL));
    stream = recv_frame(fd, &error);
    if (!stream) {
        goto fail;
    }
    t0 = g_get_monotonic_time();
    printf("%s%s: %s, received %zu bytes\n", dest_prefix, PROGRAM,
           machine_describe(m), g_bytes_get_size(stream));
    if (!load_stream(m, g_bytes_get_data(stream, NULL),
                     g_bytes_get_size(stream), TRUE, full, dest_prefix,
                     &error)) {
        goto fail;
    }
    double load_ms = elapsed_ms(t0);
    printf("%sloaded %u devices at step %u (%.0f ms virtual) in %.2f ms\n",
           dest_prefix, machine_get_n_devices(m), machine_get_step(m),
           machine_get_clock(m) / 1e6, load_ms);
    {
        g_autofree char *ack = g_strdup_printf("%.3f %u", load_ms,
                                               machine_get_n_devices(m));
        if (!send_frame(fd, ack, strlen(ack), &error)) {
            goto fail;
        }
    }
    /* Paused until the monitor says "cont" (at most 10 s). */
    for (int i = 0; i < 100 && monitor_path && !mon.cont; i++) {
        monitor_poll(m, &mon, 100);
    }
    while (machine_get_step(m) < total) {
        machine_step(m);
        monitor_poll(m, &mon, 0);
    }
    printf("%sran to step %u\n", dest_prefix, machine_get_step(m));
    {
        g_autofree char *final = machine_final_observation(m);
        const char *log = machine_get_log(m);

        if (!send_frame(fd, log, strlen(log), &error) ||
            !send_frame(fd, final, strlen(final), &error)) {
            goto fail;
        }
    }
    monitor_close(&mon);
    if (monitor_path) {
        unlink(monitor_path);
    }
    return 0;

fail:
    fprintf(stderr, "%s%s: %s\n", dest_prefix, PROGRAM,
            error ? error->message : "bad frame");
    monitor_close(&mon);
    return EXIT_ERROR;
}

/* ---- demo (the source) ------------------------------------------------------------- */

static char *sibling_program(const char *name)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : g_strdup(".");

    return g_build_filename(dir, name, NULL);
}

static pid_t spawn_incoming(int fd, const char *monitor_path, gboolean full)
{
    g_autofree char *prog = sibling_program(OTHER_PROGRAM);
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        if (dup2(fd, 3) < 0) {
            _exit(127);
        }
        execl(prog, prog, "incoming", "--fd", "3", "--monitor", monitor_path,
              full ? "--full" : NULL, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", prog, g_strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Checks @got against @ref and prints the verdict. */
static gboolean check_same(const char *what, const char *ref_log,
                           const char *got_log, const char *ref_final,
                           const char *got_final)
{
    g_autofree char *diff = machine_log_diff(ref_log, got_log);
    g_autofree char *fdiff = machine_log_diff(ref_final, got_final);

    if (diff || fdiff) {
        printf("      %s DIFFERS from the reference: %s\n", what,
               diff ? diff : fdiff);
        return FALSE;
    }
    return TRUE;
}

typedef struct {
    guint irqs, uart_rx, uart_tx, reads, vblk;
} LogStats;

static LogStats log_stats(const char *log)
{
    LogStats st = { 0 };
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        const char *ev = strstr(lines[i], "ms ");

        if (!ev) {
            continue;
        }
        ev += 3;
        if (g_str_has_prefix(ev, "irq ")) {
            st.irqs++;
        } else if (g_str_has_prefix(ev, "uart rx")) {
            st.uart_rx++;
        } else if (g_str_has_prefix(ev, "uart tx")) {
            st.uart_tx++;
        } else if (g_str_has_prefix(ev, "vblk done")) {
            st.vblk++;
        } else {
            st.reads++;
        }
    }
    return st;
}

static int snapshot_restore_check(guint32 steps, guint32 at,
                                  const char *ref_log, const char *ref_final,
                                  const char *dir);

static int cmd_demo(guint32 steps, guint32 at, gboolean full)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("qidl-demo-XXXXXX", &error);
    g_autofree char *monitor_path = NULL;
    g_autofree char *ref_log = NULL, *ref_final = NULL;
    g_autofree char *dst_log_all = NULL, *dst_final = NULL;
    g_autofree char *src_prefix_log = NULL, *src_cont_log = NULL;
    g_autofree char *src_final = NULL;
    g_autoptr(GByteArray) stream = g_byte_array_new();
    g_autoptr(GByteArray) raw = g_byte_array_new();
    gint64 t_demo = g_get_monotonic_time(), t0;
    double save_ms, xfer_ms, load_ms = 0;
    guint dst_devices = 0;
    gboolean ok = TRUE;
    int sv[2];
    pid_t pid;
    int status;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!dir) {
        fprintf(stderr, "demo: %s\n", error->message);
        return EXIT_ERROR;
    }
    monitor_path = g_build_filename(dir, "monitor.sock", NULL);
    printf("QIDL live-migration demo: the hw/ machine, %u steps of %d ms "
           "virtual time, migrated at step %u\n",
           steps, MACHINE_STEP_NS / 1000000, at);

    /* 1. The reference: the same build, never migrated. */
    {
        g_autoptr(Machine) ref = machine_new(BUILD_CONFIG);

        machine_run(ref, steps);
        ref_log = g_strdup(machine_get_log(ref));
        ref_final = machine_final_observation(ref);
        LogStats st = log_stats(ref_log);
        printf("[1/6] reference run (%s): %u events: %u interrupts, "
               "%u UART bytes received, %u sent, %u register reads, "
               "%u disk requests done\n",
               machine_describe(ref), count_lines(ref_log), st.irqs,
               st.uart_rx, st.uart_tx, st.reads, st.vblk);
    }

    /* 2. The source runs to the migration point. */
    g_autoptr(Machine) src = machine_new(BUILD_CONFIG);
    machine_run(src, at);
    src_prefix_log = g_strdup(machine_get_log(src));
    printf("[2/6] source %s (%s): ran %u steps (%.0f ms virtual), "
           "%u events\n", PROGRAM, machine_describe(src), at,
           machine_get_clock(src) / 1e6, count_lines(src_prefix_log));

    /* 3. Save: the native stream, straight from the devices. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        fprintf(stderr, "socketpair: %s\n", g_strerror(errno));
        return EXIT_ERROR;
    }
    pid = spawn_incoming(sv[1], monitor_path, full);
    close(sv[1]);
    t0 = g_get_monotonic_time();
    if (!machine_save_stream(src, stream, TRUE, &error)) {
        fprintf(stderr, "save: %s\n", error->message);
        return EXIT_ERROR;
    }
    save_ms = elapsed_ms(t0);
    machine_save_stream(src, raw, FALSE, NULL);
    printf("[3/6] saved %u devices: native stream %u bytes, %u with zstd, "
           "in %.2f ms; sending to %s (pid %d) over a unix socket\n",
           machine_get_n_devices(src), raw->len, stream->len, save_ms,
           OTHER_PROGRAM, (int)pid);
    {
        guint32 be = GUINT32_TO_BE(steps);
        g_autoptr(GBytes) ack = NULL;

        t0 = g_get_monotonic_time();
        if (!send_frame(sv[0], &be, 4, &error) ||
            !send_frame(sv[0], stream->data, stream->len, &error) ||
            !(ack = recv_frame(sv[0], &error))) {
            fprintf(stderr, "migration: %s\n", error->message);
            kill(pid, SIGTERM);
            waitpid(pid, NULL, 0);
            return EXIT_ERROR;
        }
        xfer_ms = elapsed_ms(t0);
        g_autofree char *ack_text = g_strndup(g_bytes_get_data(ack, NULL),
                                              g_bytes_get_size(ack));
        char *end = NULL;

        load_ms = g_ascii_strtod(ack_text, &end);
        dst_devices = end ? (guint)g_ascii_strtoull(end, NULL, 10) : 0;
    }

    /* 4. The monitor: the destination's live state, then "cont". */
    {
        int fd = monitor_connect(monitor_path, &error);
        const char *queries[] = {
            "{\"query\": \"status\"}",
            "{\"query\": \"list\"}",
            "{\"query\": \"device\", \"path\": \"/machine/rtc\"}",
            "{\"query\": \"device\", \"path\": \"/machine/vblk0/virtio-backend\"}",
            "{\"query\": \"cont\"}",
        };

        printf("[4/6] monitor %s (the destination, paused):\n", monitor_path);
        for (guint i = 0; fd >= 0 && i < G_N_ELEMENTS(queries); i++) {
            g_autofree char *reply = monitor_query(fd, queries[i], &error);
            g_autofree char *shown = NULL;

            if (!reply) {
                break;
            }
            shown = full ? g_strdup(reply) : shorten(reply, TRIM_WIDTH);
            printf("      -> %s\n      <- %s\n", queries[i], shown);
        }
        if (fd < 0 || error) {
            printf("      monitor: %s\n", error ? error->message : "?");
            ok = FALSE;
        }
        if (fd >= 0) {
            close(fd);
        }
    }

    /* 5. Both continue. */
    machine_run(src, steps - at);
    {
        const char *all = machine_get_log(src);
        src_cont_log = g_strdup(all);
        src_final = machine_final_observation(src);
    }
    {
        g_autoptr(GBytes) log = recv_frame(sv[0], &error);
        g_autoptr(GBytes) final = log ? recv_frame(sv[0], &error) : NULL;

        if (!final) {
            fprintf(stderr, "destination: %s\n", error->message);
            kill(pid, SIGTERM);
            waitpid(pid, NULL, 0);
            return EXIT_ERROR;
        }
        g_autofree char *dlog = g_strndup(g_bytes_get_data(log, NULL),
                                          g_bytes_get_size(log));
        dst_log_all = g_strconcat(src_prefix_log, dlog, NULL);
        dst_final = g_strndup(g_bytes_get_data(final, NULL),
                              g_bytes_get_size(final));
        printf("[5/6] both continued to step %u: destination %u events "
               "after the migration, source %u\n", steps, count_lines(dlog),
               count_lines(src_cont_log) - count_lines(src_prefix_log));
    }
    close(sv[0]);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        printf("      destination process failed\n");
        ok = FALSE;
    }

    /* 6. The check. */
    {
        gboolean same = check_same("migrated run", ref_log, dst_log_all,
                                   ref_final, dst_final);
        gboolean same_src = check_same("source's continued run", ref_log,
                                       src_cont_log, ref_final, src_final);
        g_auto(GStrv) fin = g_strsplit(ref_final, "\n", 2);

        printf("[6/6] migrated run vs reference: interrupt timeline, UART "
               "output, register reads (%u events), %s: %s\n",
               count_lines(ref_log), fin[0] + strlen("final "),
               same ? "identical" : "DIFFERENT");
        printf("      source's own continued run vs reference: %s\n",
               same_src ? "identical" : "DIFFERENT");
        ok = ok && same && same_src;
    }

    /* Snapshot to a file, restored by the other build. */
    if (snapshot_restore_check(steps, at / 2, ref_log, ref_final, dir) != 0) {
        ok = FALSE;
    }

    printf("summary: %u devices saved (%s) -> %u loaded (%s); stream %u bytes, %u with zstd; save %.2f ms, "
           "transfer+filter+load %.2f ms (load %.2f ms); whole demo "
           "%.0f ms: %s\n",
           machine_get_n_devices(src), PROGRAM, dst_devices, OTHER_PROGRAM,
           raw->len, stream->len, save_ms,
           xfer_ms, load_ms, elapsed_ms(t_demo), ok ? "PASS" : "FAIL");
    g_remove(monitor_path);
    g_rmdir(dir);
    return ok ? 0 : EXIT_DIFFERS;
}

/* ---- snapshot / restore ------------------------------------------------------------ */

static gboolean write_snapshot(guint32 steps, const char *path,
                               char **log_out, GError **error)
{
    g_autoptr(Machine) m = machine_new(BUILD_CONFIG);
    g_autoptr(GByteArray) bytes = g_byte_array_new();

    machine_run(m, steps);
    if (!machine_save_stream(m, bytes, TRUE, error) ||
        !g_file_set_contents(path, (const char *)bytes->data, bytes->len,
                             error)) {
        return FALSE;
    }
    if (log_out) {
        *log_out = g_strdup(machine_get_log(m));
    }
    return TRUE;
}

static int cmd_snapshot(guint32 steps, const char *out)
{
    g_autoptr(GError) error = NULL;

    if (!write_snapshot(steps, out, NULL, &error)) {
        fprintf(stderr, PROGRAM " snapshot: %s\n", error->message);
        return EXIT_ERROR;
    }
    printf("%s: snapshot at step %u written to %s\n", PROGRAM, steps, out);
    return 0;
}

static int cmd_restore(const char *in, guint32 steps, const char *log_path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(Machine) m = machine_new(BUILD_CONFIG);
    g_autofree char *data = NULL;
    gsize len;

    if (!g_file_get_contents(in, &data, &len, &error) ||
        !load_stream(m, (const guint8 *)data, len, FALSE, FALSE, "", &error)) {
        fprintf(stderr, PROGRAM " restore: %s\n", error->message);
        return EXIT_ERROR;
    }
    guint32 from = machine_get_step(m);
    machine_run(m, steps);
    g_autofree char *final = machine_final_observation(m);
    g_autofree char *text = g_strconcat(machine_get_log(m), final, NULL);
    if (log_path) {
        if (!g_file_set_contents(log_path, text, -1, &error)) {
            fprintf(stderr, PROGRAM " restore: %s\n", error->message);
            return EXIT_ERROR;
        }
        printf("%s: restored %s (step %u) into the %s, ran %u steps\n",
               PROGRAM, in, from, machine_describe(m), steps);
    } else {
        fputs(text, stdout);
    }
    return 0;
}

/* demo's last part: this build snapshots, the other build restores. */
static int snapshot_restore_check(guint32 steps, guint32 at,
                                  const char *ref_log, const char *ref_final,
                                  const char *dir)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *snap = g_build_filename(dir, "snapshot.qidl", NULL);
    g_autofree char *logf = g_build_filename(dir, "restored.log", NULL);
    g_autofree char *prog = sibling_program(OTHER_PROGRAM);
    g_autofree char *prefix = NULL, *restored = NULL, *both = NULL;
    g_autofree char *steps_arg = g_strdup_printf("%u", steps - at);
    g_autofree char *expected = g_strconcat(ref_log, ref_final, NULL);
    const char *argv[] = { prog, "restore", "--in", snap, "--steps",
                           steps_arg, "--log", logf, NULL };
    int status = 0;

    fflush(stdout);
    if (!write_snapshot(at, snap, &prefix, &error) ||
        !g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN,
                      NULL, NULL, NULL, NULL, &status, &error) ||
        !g_spawn_check_wait_status(status, &error) ||
        !g_file_get_contents(logf, &restored, NULL, &error)) {
        printf("snapshot/restore: %s: FAIL\n", error->message);
        return EXIT_ERROR;
    }
    both = g_strconcat(prefix, restored, NULL);
    g_autofree char *diff = machine_log_diff(expected, both);
    printf("snapshot/restore: snapshot at step %u to a file, restored by "
           "%s, run to step %u: %s%s\n", at, OTHER_PROGRAM, steps,
           diff ? "DIFFERENT: " : "identical to the reference",
           diff ? diff : "");
    g_remove(snap);
    g_remove(logf);
    return diff ? EXIT_DIFFERS : 0;
}

/* ---- run ------------------------------------------------------------------------------ */

static int cmd_run(guint32 steps, const char *monitor_path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(Machine) m = machine_new(BUILD_CONFIG);
    Monitor mon = { .listen_fd = -1, .client_fd = -1 };

    if (monitor_path && !monitor_open(&mon, monitor_path, &error)) {
        fprintf(stderr, PROGRAM ": %s\n", error->message);
        return EXIT_ERROR;
    }
    for (guint32 i = 0; i < steps; i++) {
        machine_step(m);
        monitor_poll(m, &mon, 0);
    }
    fputs(machine_get_log(m), stdout);
    fflush(stdout);
    while (monitor_path && !mon.cont) {
        monitor_poll(m, &mon, 1000);
    }
    monitor_close(&mon);
    if (monitor_path) {
        unlink(monitor_path);
    }
    return 0;
}

/* ---- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    gint steps = MACHINE_SCRIPT_STEPS, at = -1, fd = -1;
    gboolean full = FALSE;
    g_autofree char *monitor = NULL, *in = NULL, *out = NULL, *log = NULL;
    GOptionEntry entries[] = {
        { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "Steps to run", "N" },
        { "at", 0, 0, G_OPTION_ARG_INT, &at, "demo: migrate at step K", "K" },
        { "full", 0, 0, G_OPTION_ARG_NONE, &full,
          "demo: print the whole stream and replies", NULL },
        { "fd", 0, 0, G_OPTION_ARG_INT, &fd, "incoming: migration socket", "FD" },
        { "monitor", 0, 0, G_OPTION_ARG_FILENAME, &monitor,
          "Monitor socket path", "PATH" },
        { "in", 0, 0, G_OPTION_ARG_FILENAME, &in, "restore: snapshot", "FILE" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "snapshot: file", "FILE" },
        { "log", 0, 0, G_OPTION_ARG_FILENAME, &log, "restore: log file", "FILE" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("demo|incoming|snapshot|restore|run");
    g_autoptr(GError) error = NULL;
    const char *cmd;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(ctx,
        "The QIDL example machine (" PROGRAM ", the "
#ifdef QIDL_MACHINE_DEST
        "destination"
#else
        "source"
#endif
        " build).");
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, PROGRAM ": %s\n", error->message);
        return EXIT_USAGE;
    }
    cmd = argc > 1 ? argv[1] : "demo";
    if (steps < 0 || steps > 1000000) {
        fprintf(stderr, PROGRAM ": --steps must be 0..1000000\n");
        return EXIT_USAGE;
    }
    if (at < 0) {
        at = steps / 2;
    }
    if (at > steps) {
        fprintf(stderr, PROGRAM ": --at must be at most --steps\n");
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "demo") == 0) {
        return cmd_demo((guint32)steps, (guint32)at, full);
    }
    if (strcmp(cmd, "incoming") == 0 && fd >= 0) {
        return cmd_incoming(fd, monitor, full);
    }
    if (strcmp(cmd, "snapshot") == 0 && out) {
        return cmd_snapshot((guint32)steps, out);
    }
    if (strcmp(cmd, "restore") == 0 && in) {
        return cmd_restore(in, (guint32)steps, log);
    }
    if (strcmp(cmd, "run") == 0) {
        return cmd_run((guint32)steps, monitor);
    }
    fprintf(stderr, PROGRAM ": unknown command or missing option; see --help\n");
    return EXIT_USAGE;
}
