/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The whole machine, migrated at every step.
 *
 * The reference is one machine running N steps.  For every k in 0..N and
 * every codec, a machine of one build runs k steps, is saved, and a fresh
 * machine (of the other build where the codec can filter) loads the state
 * and runs the remaining N - k steps.  The source's log up to k followed by
 * the destination's log must be the reference log, line for line, and the
 * final observation (disk, RAM, registers) the reference's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include <qidl/json.h>
#include <qidl/stream.h>

#include "hw.h"
#include "machine.h"

#define N_STEPS MACHINE_SCRIPT_STEPS
/* PIT channel 0 reloaded one count short after step 150: its interrupt
 * at 760 ms is no longer where the reference has it. */
#define CORRUPT_PIT_DIFF                                                   \
    "line 633: expected '0151  760.000000ms irq 20', "                    \
    "got '0151  760.000000ms pit2 status 30 count 14035 port61 01'"
#define assert_error(e, d, c)                                              \
    do {                                                                   \
        assert_non_null(e);                                                \
        assert_int_equal((e)->domain, (d));                                \
        assert_int_equal((e)->code, (c));                                  \
    } while (0)

typedef enum {
    CODEC_LEGACY,       /* same build on both sides */
    CODEC_NATIVE,       /* source build -> destination build, filtered */
    CODEC_JSON,         /* the stream's JSON form, filtered */
    CODEC_TREE,         /* destination build -> source build, filtered */
} Codec;

static const char *codec_name[] = { "legacy", "native", "json", "tree" };

typedef struct {
    char *log;
    char *final;
} Run;

static void run_clear(Run *r)
{
    g_free(r->log);
    g_free(r->final);
}

static Run reference(const MachineConfig *config)
{
    g_autoptr(Machine) m = machine_new(config);
    Run r;

    machine_run(m, N_STEPS);
    r.log = g_strdup(machine_get_log(m));
    r.final = machine_final_observation(m);
    return r;
}

/* Moves @src's state into @dst through @codec. */
static void migrate(Machine *src, Machine *dst, Codec codec,
                    void (*corrupt)(QidlTree *tree))
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(QidlFilterSet) filters = qidl_filter_set_new();

    switch (codec) {
    case CODEC_LEGACY:
        assert_true(machine_save_legacy(src, bytes, &error));
        if (!machine_load_legacy(dst, bytes->data, bytes->len, &error)) {
            fail_msg("legacy load: %s", error->message);
        }
        return;
    case CODEC_NATIVE:
        assert_true(machine_save_stream(src, bytes, TRUE, &error));
        tree = qidl_stream_read_tree(bytes->data, bytes->len, NULL, &error);
        break;
    case CODEC_JSON: {
        assert_true(machine_save_stream(src, bytes, FALSE, &error));
        g_autoptr(JsonNode) json =
            qidl_stream_to_json(bytes->data, bytes->len, &error);
        assert_non_null(json);
        g_autofree char *text = qidl_json_to_string(json, FALSE);
        g_autoptr(JsonNode) back = qidl_json_parse(text, -1, &error);
        assert_non_null(back);
        tree = qidl_stream_json_to_tree(back, NULL, &error);
        break;
    }
    case CODEC_TREE:
        tree = qidl_tree_new();
        assert_true(machine_save_tree(src, tree, &error));
        break;
    }
    if (!tree) {
        fail_msg("%s: %s", codec_name[codec], error->message);
    }
    assert_true(machine_add_incoming_filters(dst, filters, &error));
    if (!qidl_filter_set_apply(filters, tree, NULL, &error)) {
        fail_msg("filters: %s", error->message);
    }
    if (corrupt) {
        corrupt(tree);
    }
    if (!machine_load_tree(dst, tree, &error)) {
        fail_msg("%s load: %s", codec_name[codec], error->message);
    }
}

/* Runs k steps on @from, migrates to @to, runs the rest. */
static Run migrated_run(const MachineConfig *from, const MachineConfig *to,
                        guint32 k, Codec codec,
                        void (*corrupt)(QidlTree *tree))
{
    g_autoptr(Machine) src = machine_new(from);
    g_autoptr(Machine) dst = machine_new(to);
    Run r;

    machine_run(src, k);
    migrate(src, dst, codec, corrupt);
    assert_int_equal(machine_get_step(dst), k);
    machine_run(dst, N_STEPS - k);
    r.log = g_strconcat(machine_get_log(src), machine_get_log(dst), NULL);
    r.final = machine_final_observation(dst);
    return r;
}

static void check_every_step(Codec codec, const MachineConfig *from,
                             const MachineConfig *to)
{
    Run ref = reference(from);

    for (guint32 k = 0; k <= N_STEPS; k++) {
        Run r = migrated_run(from, to, k, codec, NULL);
        g_autofree char *diff = machine_log_diff(ref.log, r.log);
        g_autofree char *fdiff = machine_log_diff(ref.final, r.final);

        if (diff || fdiff) {
            fail_msg("%s, migrated at step %u: %s", codec_name[codec], k,
                     diff ? diff : fdiff);
        }
        run_clear(&r);
    }
    run_clear(&ref);
}

static void test_machine__builds_behave_the_same(void **state)
{
    Run a = reference(&machine_source_config);
    Run b = reference(&machine_dest_config);

    (void)state;
    assert_null(machine_log_diff(a.log, b.log));
    assert_null(machine_log_diff(a.final, b.final));
    /* The workload does what it says: every source of events shows. */
    assert_non_null(strstr(a.log, "irq 20"));           /* PIT */
    assert_non_null(strstr(a.log, "irq 24"));           /* UART */
    assert_non_null(strstr(a.log, "irq 28"));           /* RTC */
    assert_non_null(strstr(a.log, "irq 2b"));           /* virtio INTx */
    assert_non_null(strstr(a.log, "irq 40"));           /* APIC timer */
    assert_non_null(strstr(a.log, "irq 50"));           /* self IPI */
    assert_non_null(strstr(a.log, "irq 60"));           /* virtio MSI-X */
    assert_non_null(strstr(a.log, "(timeout)"));
    assert_non_null(strstr(a.log, "(trigger)"));
    assert_non_null(strstr(a.log, "uart tx"));
    assert_non_null(strstr(a.log, "rtc c=f0"));         /* update + alarm */
    assert_non_null(strstr(a.log, "vblk done"));
    run_clear(&a);
    run_clear(&b);
}

static void test_machine__reference_is_deterministic(void **state)
{
    Run a = reference(&machine_source_config);
    Run b = reference(&machine_source_config);

    (void)state;
    assert_string_equal(a.log, b.log);
    assert_string_equal(a.final, b.final);
    run_clear(&a);
    run_clear(&b);
}

static void test_machine__migrate_every_step_legacy(void **state)
{
    (void)state;
    check_every_step(CODEC_LEGACY, &machine_source_config,
                     &machine_source_config);
}

static void test_machine__migrate_every_step_native(void **state)
{
    (void)state;
    check_every_step(CODEC_NATIVE, &machine_source_config,
                     &machine_dest_config);
}

static void test_machine__migrate_every_step_json(void **state)
{
    (void)state;
    check_every_step(CODEC_JSON, &machine_source_config, &machine_dest_config);
}

static void test_machine__migrate_every_step_tree_filters(void **state)
{
    (void)state;
    check_every_step(CODEC_TREE, &machine_dest_config, &machine_source_config);
}

/* The channel 0 count one less than the guest programmed. */
static void corrupt_pit_count(QidlTree *tree)
{
    QidlNode *n = qidl_node_find(qidl_tree_get_root(tree),
                                 "pit.channels[0].count");
    g_autoptr(GError) error = NULL;

    assert_non_null(n);
    assert_true(qidl_node_set_int(n, qidl_node_get_int(n) - 1, &error));
}

static void test_machine__corrupted_field_is_reported(void **state)
{
    Run ref = reference(&machine_source_config);
    Run r = migrated_run(&machine_source_config, &machine_dest_config, 150,
                         CODEC_NATIVE, corrupt_pit_count);
    g_autofree char *diff = machine_log_diff(ref.log, r.log);

    (void)state;
    assert_non_null(diff);
    assert_string_equal(diff, CORRUPT_PIT_DIFF);
    run_clear(&ref);
    run_clear(&r);
}

static void test_machine__bad_state_fails_atomically(void **state)
{
    g_autoptr(Machine) src = machine_new(&machine_source_config);
    g_autoptr(Machine) dst = machine_new(&machine_source_config);
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlTree) before = qidl_tree_new();
    g_autoptr(QidlTree) after = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *ier;

    (void)state;
    machine_run(src, 100);
    machine_run(dst, 7);
    assert_true(machine_save_tree(src, tree, NULL));
    ier = qidl_node_find(qidl_tree_get_root(tree), "serial0.ier");
    assert_non_null(ier);
    assert_true(qidl_node_set_uint(ier, 0x10, NULL));
    assert_true(machine_save_tree(dst, before, NULL));
    assert_false(machine_load_tree(dst, tree, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT);
    assert_non_null(strstr(error->message, "serial0.ier"));
    assert_true(machine_save_tree(dst, after, NULL));
    assert_true(qidl_node_equal(qidl_tree_get_root(before),
                                qidl_tree_get_root(after)));
}

static void test_machine__query_device_state(void **state)
{
    g_autoptr(Machine) m = machine_new(&machine_source_config);
    g_autoptr(GError) error = NULL;
    g_autofree char *list = NULL, *rtc = NULL;

    (void)state;
    machine_run(m, 20);
    list = machine_query_json(m, NULL, FALSE, &error);
    assert_non_null(list);
    assert_non_null(strstr(list, "{\"path\":\"/machine/rtc\","
                                 "\"type\":\"mc146818rtc\",\"name\":\"rtc\"}"));
    rtc = machine_query_json(m, "/machine/rtc", FALSE, &error);
    assert_non_null(rtc);
    assert_non_null(strstr(rtc, "\"cmos_index\":{\"u8\":"));
    assert_null(machine_query_json(m, "/machine/nope", FALSE, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_MISSING_FIELD);
}

/*
 * The machine at step 40 with its clock set to @clock_ns (a valid int64
 * that puts every device deadline far behind it), loaded, then @steps
 * steps run.  Returns the log of those steps (transfer full).
 */
static char *step_with_clock(Machine *m, gint64 clock_ns, guint steps)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GError) error = NULL;
    QidlNode *clock;
    gsize before;

    machine_run(m, 40);
    assert_true(machine_save_tree(m, tree, &error));
    clock = qidl_node_find(qidl_tree_get_root(tree), "machine.clock_ns");
    assert_non_null(clock);
    assert_true(qidl_node_set_int(clock, clock_ns, &error));
    if (!machine_load_tree(m, tree, &error)) {
        fail_msg("load: %s", error->message);
    }
    before = strlen(machine_get_log(m));
    machine_run(m, steps);
    return g_strdup(machine_get_log(m) + before);
}

/* The saved integer field at @path, read back through a tree. */
static gint64 saved_int(Machine *m, const char *path)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *n;

    assert_true(machine_save_tree(m, tree, NULL));
    n = qidl_node_find(qidl_tree_get_root(tree), path);
    assert_non_null(n);
    return qidl_node_get_int(n);
}

/*
 * The clock loaded 2^62 ns (146 years) ahead of every device deadline
 * (finding 10 of docs/security.md: the PIT, then the RTC, fired each
 * missed period one by one).  One step catches up: the PIT interrupt
 * (vector 0x20) and the RTC's (0x28, register C with IRQF, PF, AF and
 * UF) are taken once each, and channel 0 (mode 2, count 23864, loaded at
 * 5 ms) is armed for its next transition after the clock, tick
 * 5502580746851344 after the load.
 */
static void test_machine__step_after_clock_far_ahead(void **state)
{
    g_autoptr(Machine) m = machine_new(&machine_source_config);
    const gint64 clock = G_GINT64_CONSTANT(1) << 62;
    g_autofree char *log = step_with_clock(m, clock, 1);

    (void)state;
    assert_string_equal(log, "0040 4611686018432.387904ms irq 20\n"
                             "0040 4611686018432.387904ms irq 28\n"
                             "0040 4611686018432.387904ms rtc c=f0\n");
    assert_int_equal(machine_get_clock(m), clock + 5000000);
    assert_int_equal(saved_int(m, "pit.channels[0].next_transition_time"),
                     G_GINT64_CONSTANT(4611686018442542639));
}

/*
 * The clock loaded one ns before its end: it stops at INT64_MAX, and the
 * timers that would expire after it are off (finding 14: the step's end,
 * the devices' next expiries overflowed).
 */
static void test_machine__clock_stops_at_its_end(void **state)
{
    g_autoptr(Machine) m = machine_new(&machine_source_config);
    g_autofree char *log = step_with_clock(m, G_MAXINT64 - 1, 3);

    (void)state;
    assert_non_null(strstr(log, "0042 9223372036854.775807ms "
                                "vblk submit slot 0 write sector 50 x3\n"));
    assert_int_equal(machine_get_clock(m), G_MAXINT64);
    assert_int_equal(machine_get_step(m), 43);
    assert_int_equal(saved_int(m, "pit.channels[0].next_transition_time"),
                     HW_TIMER_OFF);
    assert_int_equal(saved_int(m, "rtc.update_timer"), HW_TIMER_OFF);
}

/* The real virtio-blk-pci state, requests in flight: split then merge
 * gives back exactly the tree it started from. */
static void test_machine__virtio_split_merge_exact(void **state)
{
    g_autoptr(Machine) m = machine_new(&machine_source_config);
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlTree) orig = qidl_tree_new();
    g_autoptr(QidlFilterSet) split = qidl_filter_set_new();
    g_autoptr(QidlFilterSet) merge = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;
    QidlNode *reqs;

    (void)state;
    machine_run(m, 151);
    assert_true(machine_save_tree(m, tree, &error));
    assert_true(machine_save_tree(m, orig, &error));
    reqs = qidl_node_find(qidl_tree_get_root(tree), "vblk0.requests");
    assert_non_null(reqs);
    assert_true(qidl_node_get_n_children(reqs) > 0);
    assert_true(qidl_filter_set_load_rules_file(
        split, HW_FILTER_DIR "/virtio-blk-pci-split.json", &error));
    assert_true(qidl_filter_set_load_rules_file(
        merge, HW_FILTER_DIR "/virtio-blk-merge.json", &error));
    assert_true(qidl_filter_set_apply(split, tree, NULL, &error));
    assert_string_equal(qidl_node_get_type_name(qidl_node_get_child(
                            qidl_tree_get_root(tree), "vblk0-backend")),
                        "virtio-blk");
    assert_false(qidl_node_equal(qidl_tree_get_root(tree),
                                 qidl_tree_get_root(orig)));
    assert_true(qidl_filter_set_apply(merge, tree, NULL, &error));
    assert_true(qidl_node_equal(qidl_tree_get_root(tree),
                                qidl_tree_get_root(orig)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_machine__reference_is_deterministic),
        cmocka_unit_test(test_machine__builds_behave_the_same),
        cmocka_unit_test(test_machine__migrate_every_step_legacy),
        cmocka_unit_test(test_machine__migrate_every_step_native),
        cmocka_unit_test(test_machine__migrate_every_step_json),
        cmocka_unit_test(test_machine__migrate_every_step_tree_filters),
        cmocka_unit_test(test_machine__corrupted_field_is_reported),
        cmocka_unit_test(test_machine__bad_state_fails_atomically),
        cmocka_unit_test(test_machine__query_device_state),
        cmocka_unit_test(test_machine__virtio_split_merge_exact),
        cmocka_unit_test(test_machine__step_after_clock_far_ahead),
        cmocka_unit_test(test_machine__clock_stops_at_its_end),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
