/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Threads, suite 'threads': libqidl keeps no global mutable state
 * (visitor.h, "Threads"), so N threads saving and loading different
 * devices at once must not interfere.  Run under ThreadSanitizer by
 * `make check-tsan`, which builds this program with -fsanitize=thread in
 * its own build directory; in other builds it checks the results only.
 *
 * Each thread owns two machines (machine.h), a source and a destination
 * build, and for a few rounds runs the source, saves it as a native
 * stream (plain or zstd), its typed JSON and QEMU's wire bytes, reads the
 * stream back into a tree, applies the destination's incoming filters
 * from ONE filter set shared by all threads (filter.h: a set may be
 * applied from several threads at once), and loads the destination; it
 * also makes hostile loads fail (errors and their paths are built
 * concurrently), reads and writes back a QEMU stream (one buffer shared
 * read-only by all threads) and loads and compares the committed hw/
 * schemas.  The main thread checks every thread's results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/filter.h>
#include <qidl/json.h>
#include <qidl/legacy.h>
#include <qidl/qemu-stream.h>
#include <qidl/schema.h>
#include <qidl/stream.h>

#include "hw-types.h"
#include "machine.h"

#define N_THREADS 8
#define ROUNDS 6
#define STEPS 15

typedef struct {
    guint index;
    const QidlFilterSet *filters;   /* shared, applied concurrently */
    GBytes *qemu_stream;            /* shared, read concurrently */
    const char *schemas;            /* hw/schemas */
    char *failure;                  /* NULL if everything held */
    guint loads;
    guint refused;
} Worker;

#define FAIL(w, ...)                                                         \
    do {                                                                     \
        if (!(w)->failure) {                                                 \
            (w)->failure = g_strdup_printf(__VA_ARGS__);                     \
        }                                                                    \
        return;                                                              \
    } while (0)

/* One round: source -> stream -> tree -> shared filters -> destination. */
static void round_trip(Worker *w, Machine *src, Machine *dst, guint round)
{
    g_autoptr(GByteArray) stream = g_byte_array_new();
    g_autoptr(GByteArray) legacy = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(GArray) stats = NULL;
    g_autofree char *json = NULL;

    machine_run(src, STEPS);
    if (!machine_save_stream(src, stream, round & 1, &error)) {
        FAIL(w, "save: %s", error->message);
    }
    if (!machine_save_legacy(src, legacy, &error)) {
        FAIL(w, "save legacy: %s", error->message);
    }
    json = machine_query_json(src, "/machine/rtc", round & 1, &error);
    if (!json) {
        FAIL(w, "query json: %s", error->message);
    }
    tree = qidl_stream_read_tree(stream->data, stream->len, NULL, &error);
    if (!tree) {
        FAIL(w, "read: %s", error->message);
    }
    if (!qidl_filter_set_apply(w->filters, tree, &stats, &error)) {
        FAIL(w, "filter: %s", error->message);
    }
    if (!machine_load_tree(dst, tree, &error)) {
        FAIL(w, "load: %s", error->message);
    }
    w->loads++;
    /* The destination now runs what the source ran. */
    {
        g_autofree char *a = machine_final_observation(src);
        g_autofree char *b = machine_final_observation(dst);

        if (strcmp(a, b) != 0) {
            FAIL(w, "round %u: the destination differs from the source",
                 round);
        }
    }
}

/* Hostile loads on the thread's own devices: they fail, unchanged. */
static void hostile(Worker *w, Machine *m)
{
    QidlDeviceSet *set = machine_get_device_set(m);

    for (guint i = 0; i < machine_get_n_devices(m); i++) {
        const char *type, *path, *name;
        const HwType *t;
        void *obj;
        g_autofree void *before = NULL;
        guint8 junk[3] = { 0xff, 0xff, (guint8)w->index };
        g_autoptr(QidlVisitor) v = NULL;
        g_autoptr(GError) error = NULL;

        machine_get_device(m, i, &type, &path, &name);
        t = hw_type_find(type);
        if (!t) {
            continue;
        }
        obj = qidl_device_set_find(set, path);
        before = g_memdup2(obj, t->size);
        v = qidl_legacy_input_visitor_new(junk, sizeof(junk), 0, 0);
        if (t->load(v, name, obj, &error)) {
            FAIL(w, "%s: 3 bytes of junk loaded", path);
        }
        if (!strstr(error->message, name) ||
            memcmp(obj, before, t->size) != 0) {
            FAIL(w, "%s: bad failure: %s", path, error->message);
        }
        w->refused++;
    }
}

/* A QEMU stream read and written back; the committed schemas loaded and
 * compared with themselves. */
static void other_decoders(Worker *w)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(w->qemu_stream, &len);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = qidl_qemu_stream_read_tree(data, len, &info,
                                                          &error);
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(QidlSchema) schema = qidl_schema_new(QIDL_SCHEMA_FORMAT_QIDL);
    g_autoptr(QidlSchemaReport) report = NULL;

    if (!tree || !qidl_qemu_stream_write_tree(tree, info, out, &error)) {
        FAIL(w, "QEMU stream: %s", error->message);
    }
    if (out->len != len || memcmp(out->data, data, len) != 0) {
        FAIL(w, "QEMU stream: written back differently");
    }
    if (!qidl_schema_load_path(schema, w->schemas, &error)) {
        FAIL(w, "schemas: %s", error->message);
    }
    report = qidl_schema_compare(schema, schema, NULL, &error);
    if (!report || qidl_schema_report_get_n_breaking(report) != 0) {
        FAIL(w, "schemas: not compatible with themselves");
    }
}

static gpointer worker_main(gpointer data)
{
    Worker *w = data;
    g_autoptr(Machine) src = machine_new(&machine_source_config);
    g_autoptr(Machine) dst = machine_new(&machine_dest_config);

    for (guint round = 0; round < ROUNDS && !w->failure; round++) {
        round_trip(w, src, dst, round);
        hostile(w, dst);
        other_decoders(w);
    }
    return NULL;
}

static void test_threads__save_load_concurrently(void **unused)
{
    g_autoptr(Machine) probe = machine_new(&machine_dest_config);
    g_autoptr(QidlFilterSet) filters = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;
    Worker workers[N_THREADS] = { { 0 } };
    GThread *threads[N_THREADS];
    guint loads = 0, refused = 0;
    const char *root = g_getenv("QIDL_SOURCE_ROOT");
    g_autofree char *qemu_path = NULL;
    g_autofree char *schemas = NULL;
    g_autofree char *qemu_data = NULL;
    gsize qemu_len;
    g_autoptr(GBytes) qemu_stream = NULL;

    if (!root) {
        skip();
    }
    /* A QEMU 7.2 stream cut down to a few devices (a fuzz seed). */
    qemu_path = g_build_filename(root, "tests", "fuzz", "corpus",
                                 "qemu-stream", "seed-pc-small-devices",
                                 NULL);
    schemas = g_build_filename(root, "hw", "schemas", NULL);
    if (!g_file_get_contents(qemu_path, &qemu_data, &qemu_len, &error)) {
        fail_msg("%s", error->message);
    }
    qemu_stream = g_bytes_new(qemu_data, qemu_len);

    /* One set for all threads: the destination build's incoming filters. */
    if (!machine_add_incoming_filters(probe, filters, &error)) {
        fail_msg("%s", error->message);
    }
    for (guint i = 0; i < N_THREADS; i++) {
        workers[i].index = i;
        workers[i].filters = filters;
        workers[i].qemu_stream = qemu_stream;
        workers[i].schemas = schemas;
        threads[i] = g_thread_new("qidl-worker", worker_main, &workers[i]);
    }
    for (guint i = 0; i < N_THREADS; i++) {
        g_thread_join(threads[i]);
    }
    for (guint i = 0; i < N_THREADS; i++) {
        if (workers[i].failure) {
            fail_msg("thread %u: %s", i, workers[i].failure);
        }
        loads += workers[i].loads;
        refused += workers[i].refused;
    }
    print_message("# %u threads: %u machine loads, %u hostile loads "
                  "refused\n", N_THREADS, loads, refused);
    assert_int_equal(loads, N_THREADS * ROUNDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads__save_load_concurrently),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
