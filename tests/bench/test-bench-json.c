/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-bench's interface, run as a real process: the --json lines that
 * scripts read (one object per measurement, the keys docs/performance.md
 * names, the workload's exact byte counts) and the exit status and
 * message of an unknown workload, codec or operation.  No time is
 * asserted.  Only QIDL's own codecs are asked for, which every build has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* Runs qidl-bench with @args (NULL-terminated); returns the exit status. */
static int run(char **out, char **err, ...)
{
    g_autofree char *bench = g_build_filename(g_getenv("QIDL_BUILD_ROOT"),
                                              "tests", "bench", "qidl-bench",
                                              NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    int status;
    va_list ap;
    const char *arg;

    g_ptr_array_add(argv, bench);
    va_start(ap, err);
    while ((arg = va_arg(ap, const char *))) {
        g_ptr_array_add(argv, (char *)arg);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, 0, NULL, NULL,
                             out, err, &status, &error));
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* The number member @name of @o, which must be there and be a number. */
static double number(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    assert_non_null(n);
    assert_true(JSON_NODE_HOLDS_VALUE(n));
    assert_true(json_node_get_value_type(n) == G_TYPE_INT64 ||
                json_node_get_value_type(n) == G_TYPE_DOUBLE);
    return json_node_get_double(n);
}

static const char *string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    assert_non_null(n);
    assert_true(JSON_NODE_HOLDS_VALUE(n));
    assert_int_equal(json_node_get_value_type(n), G_TYPE_STRING);
    return json_node_get_string(n);
}

/*
 * Each line one object with exactly the documented keys; the six
 * measurements asked for, each once; the machine's bytes as the
 * performance page gives them (legacy 66780, native 69245, the same
 * bytes with a new writer per stream).
 */
static void test_bench__json_lines(void **state)
{
    static const char *const keys[] = {
        "workload", "codec", "op", "ns_per_op", "bytes", "runs",
        "instructions_per_op",
    };
    static const struct {
        const char *codec, *op;
        double bytes;
    } want[] = {
        { "legacy", "encode", 66780 }, { "legacy", "decode", 66780 },
        { "native", "encode", 69245 }, { "native", "decode", 69245 },
        { "native-once", "encode", 69245 }, { "native-once", "decode", 69245 },
    };
    g_autofree char *out = NULL, *err = NULL;
    g_auto(GStrv) lines = NULL;
    guint seen[G_N_ELEMENTS(want)] = { 0 };
    guint n = 0;

    (void)state;
    assert_int_equal(run(&out, &err, "--quick", "--json", "--no-extract",
                         "--workload", "machine", "--codec", "legacy",
                         "--codec", "native", "--codec", "native-once",
                         NULL), 0);
    lines = g_strsplit(out, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        g_autoptr(GList) members = NULL;
        JsonObject *o;
        guint k;

        if (!*lines[i]) {
            continue;
        }
        assert_true(json_parser_load_from_data(parser, lines[i], -1, &error));
        assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
        o = json_node_get_object(json_parser_get_root(parser));
        members = json_object_get_members(o);
        for (GList *m = members; m; m = m->next) {
            gboolean known = FALSE;

            for (k = 0; k < G_N_ELEMENTS(keys); k++) {
                known |= strcmp(m->data, keys[k]) == 0;
            }
            assert_true(known);
        }
        assert_string_equal(string(o, "workload"), "machine");
        for (k = 0; k < G_N_ELEMENTS(want); k++) {
            if (strcmp(string(o, "codec"), want[k].codec) == 0 &&
                strcmp(string(o, "op"), want[k].op) == 0) {
                break;
            }
        }
        assert_true(k < G_N_ELEMENTS(want));
        seen[k]++;
        assert_true(number(o, "ns_per_op") > 0);
        assert_true(number(o, "bytes") == want[k].bytes);
        assert_true(number(o, "runs") == 1);
        /* Only where the system lets the program count them. */
        if (json_object_has_member(o, "instructions_per_op")) {
            assert_true(number(o, "instructions_per_op") > 0);
        }
        n++;
    }
    assert_int_equal(n, G_N_ELEMENTS(want));
    for (guint k = 0; k < G_N_ELEMENTS(want); k++) {
        assert_int_equal(seen[k], 1);
    }
}

/* An unknown name: exit status 2, the names there are, nothing run. */
static void test_bench__unknown_names_fail(void **state)
{
    static const struct {
        const char *option, *value, *message;
    } cases[] = {
        { "--workload", "machine-1000x",
          "qidl-bench: --workload machine-1000x: unknown; one of machine, "
          "machine-10x, machine-100x, big, hw-headers\n" },
        { "--codec", "nativ",
          "qidl-bench: --codec nativ: unknown; one of memcpy, legacy, "
          "native, native-once, native-tree, tree+filters, json, " },
        { "--op", "save",
          "qidl-bench: --op save: unknown; one of encode, decode, copy\n" },
    };

    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = NULL, *err = NULL;

        assert_int_equal(run(&out, &err, "--quick", cases[i].option,
                             cases[i].value, NULL), 2);
        assert_string_equal(out, "");
        assert_true(g_str_has_prefix(err, cases[i].message));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bench__json_lines),
        cmocka_unit_test(test_bench__unknown_names_fail),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
