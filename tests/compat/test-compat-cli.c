/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `qidl compat` run as a real process on real files: its output, its JSON
 * report and its exit status (0 compatible, 1 breaking, 2 error), for
 * schema comparisons (qidl-extract schemas and QEMU dumps, with and
 * without filter rules) and for the pre-flight check of native streams.
 * Files are written to a temporary directory; QEMU dump fixtures are in
 * tests/compat/data/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <qidl/json.h>
#include <qidl/stream.h>

typedef struct {
    char *dir;
    char *qidl;
} Fixture;

static char *quotes(const char *text)
{
    char *s = g_strdup(text);

    g_strdelimit(s, "'", '"');
    return s;
}

/* Writes @text (single quotes for double) to DIR/@name; returns the path. */
static char *write_file(Fixture *f, const char *name, const char *text)
{
    g_autofree char *json = quotes(text);
    char *path = g_build_filename(f->dir, name, NULL);
    g_autofree char *parent = g_path_get_dirname(path);

    g_mkdir_with_parents(parent, 0700);
    assert_true(g_file_set_contents(path, json, -1, NULL));
    return path;
}

/* Runs qidl with @args (NULL-terminated); returns the exit status. */
static int run(Fixture *f, char **out, char **err, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    int status;
    va_list ap;
    const char *arg;

    g_ptr_array_add(argv, f->qidl);
    va_start(ap, err);
    while ((arg = va_arg(ap, const char *))) {
        g_ptr_array_add(argv, (char *)arg);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    assert_true(g_spawn_sync(f->dir, (char **)argv->pdata, NULL, 0, NULL,
                             NULL, out, err, &status, &error));
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static char *source_path(const char *rel)
{
    const char *root = g_getenv("QIDL_SOURCE_ROOT");

    return g_build_filename(root ? root : ".", rel, NULL);
}

/* A one-struct schema: "Uart" with ctrl (uint32) and @mode_kind mode. */
static const char *const uart_v1 =
    "{'qidl-schema':1,'source':'uart.h','structs':[{'name':'Uart',"
    "'ctype':'Uart','version':1,'min-version':1,'size':8,'fields':["
    "{'name':'ctrl','ctype':'uint32_t','kind':'uint32','size':4,"
    "'saved':true,'version':1},"
    "{'name':'mode','ctype':'uint16_t','kind':'uint16','size':2,"
    "'saved':true,'version':1}]}],'enums':[]}";

static const char *const uart_v2 =
    "{'qidl-schema':1,'source':'uart.h','structs':[{'name':'Uart',"
    "'ctype':'Uart','version':2,'min-version':1,'size':12,'fields':["
    "{'name':'ctrl','ctype':'uint32_t','kind':'uint32','size':4,"
    "'saved':true,'version':1},"
    "{'name':'mode','ctype':'uint16_t','kind':'uint16','size':2,"
    "'saved':true,'version':1},"
    "{'name':'status','ctype':'uint32_t','kind':'uint32','size':4,"
    "'saved':true,'version':2,'annotations':{'version':'2'}}]}],"
    "'enums':[]}";

/* uart_v1 with mode narrowed to uint8 and a field added without bump. */
static const char *const uart_broken =
    "{'qidl-schema':1,'source':'uart.h','structs':[{'name':'Uart',"
    "'ctype':'Uart','version':1,'min-version':1,'size':8,'fields':["
    "{'name':'ctrl','ctype':'uint32_t','kind':'uint32','size':4,"
    "'saved':true,'version':1},"
    "{'name':'mode','ctype':'uint8_t','kind':'uint8','size':1,"
    "'saved':true,'version':1},"
    "{'name':'status','ctype':'uint32_t','kind':'uint32','size':4,"
    "'saved':true,'version':1}]}],'enums':[]}";

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    const char *build = g_getenv("QIDL_BUILD_ROOT");

    f->dir = g_dir_make_tmp("qidl-compat-cli-XXXXXX", NULL);
    f->qidl = g_build_filename(build ? build : ".", "tools", "qidl", NULL);
    assert_non_null(f->dir);
    *state = f;
    return 0;
}

static void remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            remove_tree(path);
        } else {
            g_unlink(path);
        }
    }
    if (d) {
        g_dir_close(d);
    }
    g_rmdir(dir);
}

static int teardown(void **state)
{
    Fixture *f = *state;

    remove_tree(f->dir);
    g_free(f->dir);
    g_free(f->qidl);
    g_free(f);
    return 0;
}

/* ------------------------------------------------------------------ */

static void test_compat_cli__compatible(void **state)
{
    Fixture *f = *state;
    g_autofree char *out = NULL, *err = NULL;

    g_free(write_file(f, "old/uart.qidl.json", uart_v1));
    g_free(write_file(f, "new/uart.qidl.json", uart_v2));
    assert_int_equal(run(f, &out, &err, "compat", "old", "new", NULL), 0);
    assert_string_equal(out,
        "Uart: compatible (version-raised): version 1 -> 2\n"
        "Uart.status: compatible (field-added): added in version 2 (OLD is "
        "version 1): a version 1 stream is loaded without it\n"
        "2 changes: 0 breaking, 2 compatible\n"
        "compatible: NEW loads every stream OLD can produce\n");
    assert_string_equal(err, "");
}

static void test_compat_cli__breaking(void **state)
{
    Fixture *f = *state;
    g_autofree char *old_path = write_file(f, "old.qidl.json", uart_v1);
    g_autofree char *new_path = write_file(f, "new.qidl.json", uart_broken);
    g_autofree char *out = NULL, *err = NULL;

    assert_int_equal(run(f, &out, &err, "compat", old_path, new_path, NULL),
                     1);
    assert_string_equal(out,
        "Uart.mode: breaking (width-changed): uint16 -> uint8: streams carry "
        "every value with its kind and width, and loading never converts\n"
        "Uart.status: breaking (version-not-bumped): added without a "
        "default, not optional, and Uart stays at version 1: OLD's version "
        "1 streams do not carry it; bump the version and mark the field "
        "QIDL(version, 2), or give it a default\n"
        "2 changes: 2 breaking, 0 compatible\n"
        "incompatible: 2 breaking changes; NEW cannot load every stream OLD "
        "can produce\n");
}

static void test_compat_cli__json(void **state)
{
    Fixture *f = *state;
    g_autofree char *old_path = write_file(f, "old.qidl.json", uart_v1);
    g_autofree char *new_path = write_file(f, "new.qidl.json", uart_broken);
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(JsonNode) json = NULL;
    JsonObject *obj;
    JsonArray *changes;

    assert_int_equal(run(f, &out, &err, "compat", "--json", old_path,
                         new_path, NULL), 1);
    json = qidl_json_parse(out, -1, NULL);
    assert_non_null(json);
    obj = json_node_get_object(json);
    assert_false(json_object_get_boolean_member(obj, "compatible"));
    assert_int_equal(json_object_get_int_member(obj, "breaking"), 2);
    changes = json_object_get_array_member(obj, "changes");
    assert_int_equal(json_array_get_length(changes), 2);
    obj = json_array_get_object_element(changes, 0);
    assert_string_equal(json_object_get_string_member(obj, "kind"),
                        "width-changed");
    assert_string_equal(json_object_get_string_member(obj, "device"),
                        "Uart");
    assert_string_equal(json_object_get_string_member(obj, "path"),
                        "Uart.mode");
    assert_true(json_object_get_boolean_member(obj, "breaking"));
}

static void test_compat_cli__filters(void **state)
{
    Fixture *f = *state;
    g_autofree char *old_path = write_file(f, "old.qidl.json", uart_v1);
    g_autofree char *new_path = write_file(f, "new.qidl.json",
        "{'qidl-schema':1,'structs':[{'name':'Uart','version':1,"
        "'min-version':1,'fields':[{'name':'ctrl','kind':'uint32',"
        "'saved':true,'version':1}]}]}");
    g_autofree char *rules = write_file(f, "drop-mode.json",
        "{'rules':[{'name':'drop-mode','type':'Uart',"
        "'drop_field':{'field':'mode'}}]}");
    g_autofree char *out = NULL, *err = NULL;

    assert_int_equal(run(f, &out, &err, "compat", old_path, new_path, NULL),
                     1);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    assert_int_equal(run(f, &out, &err, "compat", "--filters", rules,
                         old_path, new_path, NULL), 0);
    assert_string_equal(out,
        "Uart.mode: compatible (field-removed, filter drop-mode): dropped "
        "by the filter\n"
        "1 change: 0 breaking, 1 compatible\n"
        "compatible: NEW loads every stream OLD can produce\n");
}

static void test_compat_cli__qemu_dumps(void **state)
{
    Fixture *f = *state;
    g_autofree char *old_path = source_path("tests/compat/data/qemu-old.json");
    g_autofree char *new_path = source_path("tests/compat/data/qemu-new.json");
    g_autofree char *expected_path =
        source_path("tests/compat/data/qemu-old-new.expected");
    g_autofree char *expected = NULL;
    g_autofree char *out = NULL, *err = NULL;

    assert_true(g_file_get_contents(expected_path, &expected, NULL, NULL));
    assert_int_equal(run(f, &out, &err, "compat", "--format", "qemu-vmstate",
                         old_path, new_path, NULL), 1);
    assert_string_equal(out, expected);
    /* A dump against itself. */
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    assert_int_equal(run(f, &out, &err, "compat", "-f", "qemu-vmstate",
                         old_path, old_path, NULL), 0);
    assert_string_equal(out, "no changes\ncompatible: NEW loads every "
                        "stream OLD can produce\n");
}

static void test_compat_cli__usage_fail(void **state)
{
    Fixture *f = *state;
    g_autofree char *out = NULL, *err = NULL;

    assert_int_equal(run(f, &out, &err, "compat", "a", NULL), 2);
    assert_string_equal(err, "qidl compat: compat takes OLD and NEW\n"
                        "Run 'qidl compat --help' for usage.\n");
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    assert_int_equal(run(f, &out, &err, "compat", "--format", "xml", "a",
                         "b", NULL), 2);
    assert_true(g_str_has_prefix(err, "qidl compat: --format must be qidl "
                                 "or qemu-vmstate, not \"xml\"\n"));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    assert_int_equal(run(f, &out, &err, "compat", "--map", "a=b", "a", "b",
                         NULL), 2);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    assert_int_equal(run(f, &out, &err, "compat", "--help", NULL), 0);
    assert_non_null(strstr(out, "--stream=FILE"));
}

static void test_compat_cli__bad_input_fail(void **state)
{
    Fixture *f = *state;
    g_autofree char *good = write_file(f, "good.qidl.json", uart_v1);
    g_autofree char *bad = write_file(f, "bad.qidl.json",
        "{'qidl-schema':1,'structs':[{'name':'A','version':'1',"
        "'min-version':1,'fields':[]}]}");
    g_autofree char *out = NULL, *err = NULL;

    assert_int_equal(run(f, &out, &err, "compat", good, bad, NULL), 2);
    assert_string_equal(out, "");
    assert_string_equal(err, "qidl compat: bad.qidl.json: structs[0].version:"
                        " expected an integer from 0 to 4294967295\n");
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    assert_int_equal(run(f, &out, &err, "compat", good, "missing.qidl.json",
                         NULL), 2);
    assert_true(g_str_has_prefix(err, "qidl compat: "));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    /* A QEMU dump read as a qidl-extract schema. */
    {
        g_autofree char *dump = source_path("tests/compat/data/qemu-old.json");

        assert_int_equal(run(f, &out, &err, "compat", dump, dump, NULL), 2);
        assert_non_null(strstr(err, "--format qemu-vmstate"));
    }
}

/* A native stream of one Uart device at @version, typed @type. */
static char *write_stream(Fixture *f, const char *name, const char *type,
                          guint32 version, gboolean with_status)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    QidlNode *dev = qidl_node_new_struct(tree, "uart0");
    char *path = g_build_filename(f->dir, name, NULL);

    qidl_node_set_device(dev, type, "/machine/uart0", version);
    assert_true(qidl_node_append(qidl_tree_get_root(tree), dev, NULL));
    assert_true(qidl_node_append(dev, qidl_node_new_uint(tree, "ctrl",
                                 QIDL_KIND_UINT32, 1), NULL));
    assert_true(qidl_node_append(dev, qidl_node_new_uint(tree, "mode",
                                 QIDL_KIND_UINT16, 2), NULL));
    if (with_status) {
        assert_true(qidl_node_append(dev, qidl_node_new_uint(tree, "status",
                                     QIDL_KIND_UINT32, 3), NULL));
    }
    assert_true(qidl_stream_write_tree(tree, NULL, 0, bytes, NULL));
    assert_true(g_file_set_contents(path, (const char *)bytes->data,
                                    bytes->len, NULL));
    return path;
}

static void test_compat_cli__stream_accepted(void **state)
{
    Fixture *f = *state;
    g_autofree char *v1 = write_stream(f, "v1.qidl", "Uart", 1, FALSE);
    g_autofree char *out = NULL, *err = NULL;

    g_free(write_file(f, "dst/uart.qidl.json", uart_v2));
    assert_int_equal(run(f, &out, &err, "compat", "--stream", v1, "dst",
                         NULL), 0);
    assert_string_equal(out,
        "/machine/uart0 (Uart): uart0: compatible (device-accepted): "
        "version 1 accepted by Uart (versions 1 to 2)\n"
        "1 change: 0 breaking, 1 compatible\n"
        "the destination can load every device of this stream\n");
}

static void test_compat_cli__stream_rejected(void **state)
{
    Fixture *f = *state;
    g_autofree char *v2 = write_stream(f, "v2.qidl", "Uart", 2, TRUE);
    g_autofree char *v1 = write_stream(f, "v1x.qidl", "Uart", 1, TRUE);
    g_autofree char *out = NULL, *err = NULL;

    g_free(write_file(f, "dst/uart.qidl.json", uart_v1));
    assert_int_equal(run(f, &out, &err, "compat", "--stream", v2, "dst",
                         NULL), 1);
    assert_string_equal(out,
        "/machine/uart0 (Uart): uart0: breaking (version-not-accepted): "
        "version 2: Uart loads versions 1 to 1\n"
        "1 change: 1 breaking, 0 compatible\n"
        "the destination cannot load this stream: 1 problem\n");
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    assert_int_equal(run(f, &out, &err, "compat", "--stream", v1, "dst",
                         NULL), 1);
    assert_non_null(strstr(out, "uart0.status: breaking (unknown-field)"));
}

static void test_compat_cli__stream_map_and_filters(void **state)
{
    Fixture *f = *state;
    g_autofree char *rules = write_file(f, "rename.json",
        "{'rules':[{'type':'kvm-uart','rename_type':'isa-serial'}]}");
    g_autofree char *s = write_stream(f, "kvm.qidl", "kvm-uart", 2, TRUE);
    g_autofree char *out = NULL, *err = NULL;

    g_free(write_file(f, "dst/uart.qidl.json", uart_v2));
    assert_int_equal(run(f, &out, &err, "compat", "--stream", s, "dst",
                         NULL), 1);
    assert_non_null(strstr(out, "breaking (unknown-device): the destination "
                           "has no device type kvm-uart"));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    assert_int_equal(run(f, &out, &err, "compat", "--stream", s, "--filters",
                         rules, "--map", "isa-serial=Uart", "dst", NULL), 0);
    assert_non_null(strstr(out, "/machine/uart0 (isa-serial): uart0: "
                           "compatible (device-accepted)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compat_cli__compatible, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compat_cli__breaking, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compat_cli__json, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compat_cli__filters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compat_cli__qemu_dumps, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compat_cli__usage_fail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compat_cli__bad_input_fail,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_compat_cli__stream_accepted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_compat_cli__stream_rejected,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_compat_cli__stream_map_and_filters, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
