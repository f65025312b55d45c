/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the schema model and the compatibility checker (schema.h):
 * every classification of qidl-extract schemas (named comparison), every
 * check of QEMU's vmstate-static-checker and the four it misses on QEMU
 * dumps (positional comparison), filter rules covering changes, the
 * pre-flight check of a tree, the readers' errors, and the reports.
 *
 * Schemas are written inline with single quotes for readability; the
 * helpers turn them into JSON's double quotes.  One device per test, made
 * of field() strings, so each test shows exactly what changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <qidl/json.h>
#include <qidl/schema.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char *quotes(const char *text)
{
    char *s = g_strdup(text);

    g_strdelimit(s, "'", '"');
    return s;
}

/*
 * A saved field of a scalar @kind (or "list", "string", "struct": then
 * @extra gives the rest); @extra is appended inside the object, starting
 * with a comma: ",'annotations':{'default':'0'}".
 */
static char *field(const char *name, const char *kind, const char *extra)
{
    QidlKind k = qidl_kind_from_name(kind);

    return g_strdup_printf("{'name':'%s','kind':'%s','size':%zu,"
                           "'saved':true,'version':1%s}", name, kind,
                           k ? qidl_kind_size(k) : (gsize)0,
                           extra ? extra : "");
}

/* One struct @name (version, min-version) with the fields given, each
 * (transfer full), NULL-terminated; returns its JSON object text. */
static char *vstruct(const char *name, guint version, guint min,
                     const char *more, va_list ap)
{
    GString *s = g_string_new(NULL);
    char *f;
    gboolean first = TRUE;

    g_string_append_printf(s, "{'name':'%s','ctype':'%s','version':%u,"
                           "'min-version':%u,'size':64%s,'fields':[", name,
                           name, version, min, more ? more : "");
    while ((f = va_arg(ap, char *))) {
        g_string_append_printf(s, "%s%s", first ? "" : ",", f);
        g_free(f);
        first = FALSE;
    }
    g_string_append(s, "]}");
    return g_string_free(s, FALSE);
}

static char *st(const char *name, guint version, guint min, ...)
{
    va_list ap;
    char *s;

    va_start(ap, min);
    s = vstruct(name, version, min, NULL, ap);
    va_end(ap);
    return s;
}

/* A schema file of the structs given (transfer full, NULL-terminated). */
static char *file_of(const char *first, ...)
{
    GString *s = g_string_new("{'qidl-schema':1,'source':'t.h','structs':[");
    va_list ap;
    const char *st_text = first;
    gboolean comma = FALSE;

    va_start(ap, first);
    while (st_text) {
        g_string_append_printf(s, "%s%s", comma ? "," : "", st_text);
        g_free((char *)st_text);
        comma = TRUE;
        st_text = va_arg(ap, const char *);
    }
    va_end(ap);
    g_string_append(s, "],'enums':[]}");
    return g_string_free(s, FALSE);
}

static QidlSchema *schema_of(QidlSchemaFormat format, const char *text)
{
    g_autofree char *json = quotes(text);
    g_autoptr(GError) error = NULL;
    QidlSchema *s = qidl_schema_new(format);

    if (!qidl_schema_load_data(s, json, -1, "t.json", &error)) {
        fail_msg("%s", error->message);
    }
    return s;
}

/* Compares OLD and NEW qidl-extract schema texts (transfer full). */
static QidlSchemaReport *compare_rules(char *old_text, char *new_text,
                                       const char *rules_text,
                                       QidlSchemaFormat format)
{
    g_autoptr(QidlSchema) old_schema = schema_of(format, old_text);
    g_autoptr(QidlSchema) new_schema = schema_of(format, new_text);
    g_autoptr(QidlSchemaRules) rules = qidl_schema_rules_new();
    g_autoptr(GError) error = NULL;
    QidlSchemaReport *r;

    if (rules_text) {
        g_autofree char *json = quotes(rules_text);

        if (!qidl_schema_rules_load_from_data(rules, json, -1, "r.json",
                                              &error)) {
            fail_msg("%s", error->message);
        }
    }
    r = qidl_schema_compare(old_schema, new_schema, rules, &error);
    if (!r) {
        fail_msg("%s", error->message);
    }
    g_free(old_text);
    g_free(new_text);
    return r;
}

static QidlSchemaReport *compare(char *old_text, char *new_text)
{
    return compare_rules(old_text, new_text, NULL, QIDL_SCHEMA_FORMAT_QIDL);
}

static QidlSchemaReport *compare_qemu(char *old_text, char *new_text)
{
    return compare_rules(old_text, new_text, NULL,
                         QIDL_SCHEMA_FORMAT_QEMU_VMSTATE);
}

static void dump_report(const QidlSchemaReport *r)
{
    g_autofree char *text = qidl_schema_report_to_text(r);

    print_message("%s", text);
}

/*
 * Asserts that @r holds a change of @kind at @path with the given
 * classification (and the filter, when @filter is not NULL).
 */
static const QidlSchemaChange *expect(const QidlSchemaReport *r,
                                      const char *path,
                                      QidlSchemaChangeKind kind,
                                      gboolean breaking, const char *filter)
{
    for (guint i = 0; i < qidl_schema_report_get_n_changes(r); i++) {
        const QidlSchemaChange *c = qidl_schema_report_get_change(r, i);

        if (c->kind == kind && strcmp(c->path, path) == 0) {
            assert_int_equal(c->breaking, breaking);
            if (filter) {
                assert_non_null(c->filter);
                assert_string_equal(c->filter, filter);
            }
            return c;
        }
    }
    dump_report(r);
    fail_msg("no %s change at %s", qidl_schema_change_kind_name(kind), path);
    return NULL;
}

static void expect_n(const QidlSchemaReport *r, guint changes, guint breaking)
{
    if (qidl_schema_report_get_n_changes(r) != changes ||
        qidl_schema_report_get_n_breaking(r) != breaking) {
        dump_report(r);
    }
    assert_int_equal(qidl_schema_report_get_n_changes(r), changes);
    assert_int_equal(qidl_schema_report_get_n_breaking(r), breaking);
    assert_int_equal(qidl_schema_report_is_compatible(r), breaking == 0);
}

static char *source_path(const char *rel)
{
    const char *root = g_getenv("QIDL_SOURCE_ROOT");

    return g_build_filename(root ? root : ".", rel, NULL);
}

/* The fields most tests start from. */
#define BASE_FIELDS \
    field("ctrl", "uint32", NULL), field("mode", "uint16", NULL)

/* ------------------------------------------------------------------ */
/* qidl-extract schemas: compatible changes                           */
/* ------------------------------------------------------------------ */

static void test_schema__identical_has_no_changes(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL));
    g_autofree char *text = qidl_schema_report_to_text(r);

    expect_n(r, 0, 0);
    assert_string_equal(text, "no changes\n");
}

static void test_schema__field_added_with_default(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, BASE_FIELDS,
                   field("prio", "uint8",
                         ",'annotations':{'default':'3'}"), NULL), NULL));
    const QidlSchemaChange *c;

    expect_n(r, 1, 0);
    c = expect(r, "Dev.prio", QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, NULL);
    assert_string_equal(c->device, "Dev");
    assert_null(c->filter);
    assert_string_equal(c->message, "added with default 3: loading a stream "
                        "without it presets the default");
}

static void test_schema__field_added_optional(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, BASE_FIELDS,
                   g_strdup("{'name':'has_extra','kind':'bool','size':1,"
                            "'saved':false,'version':1,"
                            "'presence-of':'extra'}"),
                   field("extra", "uint32",
                         ",'annotations':{'optional':true}"), NULL), NULL));

    expect_n(r, 1, 0);
    expect(r, "Dev.extra", QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, NULL);
}

static void test_schema__field_added_in_new_version(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 2, 1, BASE_FIELDS,
                   g_strdup("{'name':'status','kind':'uint32','size':4,"
                            "'saved':true,'version':2,"
                            "'annotations':{'version':'2'}}"), NULL), NULL));

    expect_n(r, 2, 0);
    expect(r, "Dev", QIDL_SCHEMA_CHANGE_VERSION_RAISED, FALSE, NULL);
    expect(r, "Dev.status", QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, NULL);
}

static void test_schema__capacity_raised_under_size_is(void **state)
{
    const char *old_fifo = ",'container':'array','element-kind':'uint8',"
                           "'dims':[8],'annotations':{'size_is':'n'}";
    const char *new_fifo = ",'container':'array','element-kind':'uint8',"
                           "'dims':[16],'annotations':{'size_is':'n'}";
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, field("n", "uint8", NULL),
                   field("fifo", "list", old_fifo), NULL), NULL),
        file_of(st("Dev", 1, 1, field("n", "uint8", NULL),
                   field("fifo", "list", new_fifo), NULL), NULL));
    const QidlSchemaChange *c;

    expect_n(r, 1, 0);
    c = expect(r, "Dev.fifo", QIDL_SCHEMA_CHANGE_CAPACITY_RAISED, FALSE,
               NULL);
    assert_string_equal(c->message, "capacity 8 -> 16 under size_is(n): "
                        "every count OLD can save still fits");
}

static void test_schema__field_kept_with_marker(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, field("ctrl", "uint32", NULL),
                   g_strdup("{'name':'mode','kind':'uint16','size':2,"
                            "'saved':false,'version':1,"
                            "'annotations':{'derived':true}}"), NULL),
                NULL));

    expect_n(r, 1, 0);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_FIELD_UNSAVED, FALSE, NULL);
}

static void test_schema__default_and_optional_added(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1,
                   field("ctrl", "uint32", ",'annotations':{'default':'0'}"),
                   field("mode", "uint16",
                         ",'annotations':{'optional':true}"), NULL), NULL));

    expect_n(r, 2, 0);
    expect(r, "Dev.ctrl", QIDL_SCHEMA_CHANGE_DEFAULT_ADDED, FALSE, NULL);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_OPTIONAL_ADDED, FALSE, NULL);
}

static void test_schema__same_default_spelled_differently(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1,
                   field("a", "uint16", ",'annotations':{'default':'16'}"),
                   field("b", "uint8", ",'annotations':{'default':'0'}"),
                   NULL), NULL),
        file_of(st("Dev", 1, 1,
                   field("a", "uint16", ",'annotations':{'default':'0x10'}"),
                   field("b", "uint8", ",'annotations':{'default':'0u'}"),
                   NULL), NULL));

    expect_n(r, 0, 0);
}

static void test_schema__type_added(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL),
                st("Other", 1, 1, field("x", "uint8", NULL), NULL), NULL));

    expect_n(r, 1, 0);
    expect(r, "Other", QIDL_SCHEMA_CHANGE_TYPE_ADDED, FALSE, NULL);
}

static void test_schema__min_version_raised_within_old(void **state)
{
    /* OLD writes version 3; NEW still loads 3 even with minimum 2. */
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 3, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 3, 2, BASE_FIELDS, NULL), NULL));

    expect_n(r, 0, 0);
}

/* ------------------------------------------------------------------ */
/* qidl-extract schemas: breaking changes                             */
/* ------------------------------------------------------------------ */

static void test_schema__field_added_without_bump_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, BASE_FIELDS,
                   field("status", "uint32", NULL), NULL), NULL));
    const QidlSchemaChange *c;

    expect_n(r, 1, 1);
    c = expect(r, "Dev.status", QIDL_SCHEMA_CHANGE_VERSION_NOT_BUMPED, TRUE,
               NULL);
    assert_string_equal(c->message,
                        "added without a default, not optional, and Dev "
                        "stays at version 1: OLD's version 1 streams do not "
                        "carry it; bump the version and mark the field "
                        "QIDL(version, 2), or give it a default");
}

static void test_schema__field_added_with_stale_version_fail(void **state)
{
    /* Marked version(2), but the previous release was already at 2. */
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 2, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 2, 1, BASE_FIELDS,
                   g_strdup("{'name':'status','kind':'uint32','size':4,"
                            "'saved':true,'version':2}"), NULL), NULL));

    expect_n(r, 1, 1);
    expect(r, "Dev.status", QIDL_SCHEMA_CHANGE_VERSION_NOT_BUMPED, TRUE,
           NULL);
}

static void test_schema__field_added_unmarked_in_bumped_struct_fail(
    void **state)
{
    /* The struct went to version 2, but the field says nothing. */
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 2, 1, BASE_FIELDS,
                   field("status", "uint32", NULL), NULL), NULL));
    const QidlSchemaChange *c;

    expect_n(r, 2, 1);
    c = expect(r, "Dev.status", QIDL_SCHEMA_CHANGE_VERSION_NOT_BUMPED, TRUE,
               NULL);
    assert_string_equal(c->message,
                        "added without a default, not optional, and "
                        "declared from version 1 although Dev went from "
                        "version 1 to 2: OLD's version 1 streams do not "
                        "carry it; mark the field QIDL(version, 2), or give "
                        "it a default");
}

static void test_schema__field_removed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, field("ctrl", "uint32", NULL), NULL), NULL));

    expect_n(r, 1, 1);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_FIELD_REMOVED, TRUE, NULL);
}

static void test_schema__kind_changed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS,
                   field("ratio", "double", NULL), NULL), NULL),
        file_of(st("Dev", 1, 1, field("ctrl", "uint32", NULL),
                   field("mode", "string",
                         ",'container':'array','dims':[8]"),
                   field("ratio", "uint64", NULL), NULL), NULL));

    expect_n(r, 2, 2);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_KIND_CHANGED, TRUE, NULL);
    expect(r, "Dev.ratio", QIDL_SCHEMA_CHANGE_KIND_CHANGED, TRUE, NULL);
}

static void test_schema__width_changed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, field("ctrl", "uint32", NULL),
                   field("mode", "uint8", NULL), NULL), NULL));
    const QidlSchemaChange *c;

    expect_n(r, 1, 1);
    c = expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_WIDTH_CHANGED, TRUE, NULL);
    assert_string_equal(c->message, "uint16 -> uint8: streams carry every "
                        "value with its kind and width, and loading never "
                        "converts");
}

static void test_schema__signedness_changed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, field("ctrl", "int32", NULL),
                   field("mode", "uint16", NULL), NULL), NULL));

    expect_n(r, 1, 1);
    expect(r, "Dev.ctrl", QIDL_SCHEMA_CHANGE_SIGNEDNESS_CHANGED, TRUE, NULL);
}

static void test_schema__fixed_array_length_changed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1,
                   field("regs", "list", ",'container':'array',"
                         "'element-kind':'uint32','dims':[8]"), NULL), NULL),
        file_of(st("Dev", 1, 1,
                   field("regs", "list", ",'container':'array',"
                         "'element-kind':'uint32','dims':[6]"), NULL),
                NULL));

    expect_n(r, 1, 1);
    expect(r, "Dev.regs", QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED, TRUE,
           NULL);
}

static void test_schema__element_kind_changed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1,
                   field("regs", "list", ",'container':'array',"
                         "'element-kind':'uint32','dims':[8]"), NULL), NULL),
        file_of(st("Dev", 1, 1,
                   field("regs", "list", ",'container':'array',"
                         "'element-kind':'int32','dims':[8]"), NULL), NULL));

    expect_n(r, 1, 1);
    expect(r, "Dev.regs[]", QIDL_SCHEMA_CHANGE_SIGNEDNESS_CHANGED, TRUE,
           NULL);
}

static void test_schema__capacity_lowered_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, field("n", "uint8", NULL),
                   field("fifo", "list", ",'container':'array',"
                         "'element-kind':'uint8','dims':[16],"
                         "'annotations':{'size_is':'n'}"), NULL), NULL),
        file_of(st("Dev", 1, 1, field("n", "uint8", NULL),
                   field("fifo", "list", ",'container':'array',"
                         "'element-kind':'uint8','dims':[8],"
                         "'annotations':{'size_is':'n'}"), NULL), NULL));

    expect_n(r, 1, 1);
    expect(r, "Dev.fifo", QIDL_SCHEMA_CHANGE_CAPACITY_LOWERED, TRUE, NULL);
}

static void test_schema__default_changed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1,
                   field("thr", "uint8", ",'annotations':{'default':'0'}"),
                   NULL), NULL),
        file_of(st("Dev", 1, 1,
                   field("thr", "uint8", ",'annotations':{'default':'1'}"),
                   NULL), NULL));
    const QidlSchemaChange *c;

    expect_n(r, 1, 1);
    c = expect(r, "Dev.thr", QIDL_SCHEMA_CHANGE_DEFAULT_CHANGED, TRUE, NULL);
    assert_string_equal(c->message, "default 0 -> 1: OLD's streams omit the "
                        "field when it is 0, and NEW would load 1 instead");
}

static void test_schema__default_and_optional_removed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1,
                   field("ctrl", "uint32", ",'annotations':{'default':'0'}"),
                   field("mode", "uint16",
                         ",'annotations':{'optional':true}"), NULL), NULL),
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL));

    expect_n(r, 2, 2);
    expect(r, "Dev.ctrl", QIDL_SCHEMA_CHANGE_DEFAULT_REMOVED, TRUE, NULL);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_OPTIONAL_REMOVED, TRUE, NULL);
}

static void test_schema__version_lowered_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 3, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 2, 1, BASE_FIELDS, NULL), NULL));

    expect_n(r, 1, 1);
    expect(r, "Dev", QIDL_SCHEMA_CHANGE_VERSION_LOWERED, TRUE, NULL);
}

static void test_schema__min_version_raised_above_old_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 2, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 3, 3, BASE_FIELDS, NULL), NULL));
    const QidlSchemaChange *c;

    expect_n(r, 2, 1);
    expect(r, "Dev", QIDL_SCHEMA_CHANGE_VERSION_RAISED, FALSE, NULL);
    c = expect(r, "Dev", QIDL_SCHEMA_CHANGE_MIN_VERSION_RAISED, TRUE, NULL);
    assert_string_equal(c->message, "minimum version 1 -> 3, above OLD's "
                        "version 2: NEW refuses every stream OLD writes");
}

static void test_schema__field_version_raised_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 2, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 3, 1, field("ctrl", "uint32", NULL),
                   g_strdup("{'name':'mode','kind':'uint16','size':2,"
                            "'saved':true,'version':3}"), NULL), NULL));

    expect_n(r, 2, 1);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_FIELD_VERSION_RAISED, TRUE,
           NULL);
}

static void test_schema__type_renamed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("KvmApic", 3, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Apic", 3, 1, BASE_FIELDS, NULL), NULL));
    const QidlSchemaChange *c;

    expect_n(r, 1, 1);
    c = expect(r, "KvmApic", QIDL_SCHEMA_CHANGE_TYPE_RENAMED, TRUE, NULL);
    assert_true(g_str_has_prefix(c->message, "type renamed to Apic"));
}

static void test_schema__type_removed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL),
                st("Gone", 1, 1, field("x", "uint8", NULL), NULL), NULL),
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL));

    expect_n(r, 1, 1);
    expect(r, "Gone", QIDL_SCHEMA_CHANGE_TYPE_REMOVED, TRUE, NULL);
}

static void test_schema__nested_struct_paths_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Inner", 1, 1, field("mode", "uint8", NULL), NULL),
                st("Dev", 1, 1, field("inner", "struct", ",'struct':'Inner'"),
                   field("regs", "list", ",'container':'array',"
                         "'element-kind':'struct','struct':'Inner',"
                         "'dims':[2]"), NULL), NULL),
        file_of(st("Inner2", 1, 1, field("mode", "uint16", NULL), NULL),
                st("Dev", 1, 1,
                   field("inner", "struct", ",'struct':'Inner2'"),
                   field("regs", "list", ",'container':'array',"
                         "'element-kind':'struct','struct':'Inner2',"
                         "'dims':[2]"), NULL), NULL));
    g_autoptr(QidlSchema) s = schema_of(QIDL_SCHEMA_FORMAT_QIDL,
        "{'qidl-schema':1,'structs':[{'name':'Inner','version':1,"
        "'min-version':1,'fields':[]},{'name':'Dev','version':1,"
        "'min-version':1,'fields':[{'name':'i','kind':'struct',"
        "'struct':'Inner','saved':true}]}]}");

    /* Only Dev is a device: Inner is held by it. */
    assert_int_equal(qidl_schema_get_n_types(s), 1);
    assert_string_equal(qidl_schema_get_type_name(s, 0), "Dev");
    /* The nested pair is compared once, under the first path reaching it. */
    expect_n(r, 3, 1);
    expect(r, "Dev.inner", QIDL_SCHEMA_CHANGE_STRUCT_RENAMED, FALSE, NULL);
    expect(r, "Dev.regs[]", QIDL_SCHEMA_CHANGE_STRUCT_RENAMED, FALSE, NULL);
    expect(r, "Dev.inner.mode", QIDL_SCHEMA_CHANGE_WIDTH_CHANGED, TRUE,
           NULL);
}

static void test_schema__self_referencing_struct(void **state)
{
    /* A struct holding itself through a pointer: compared once. */
    const char *node = "{'name':'next','kind':'struct','container':"
                       "'pointer','struct':'Node','size':8,'saved':true,"
                       "'version':1}";
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Node", 1, 1, field("v", "uint8", NULL), g_strdup(node),
                   NULL), NULL),
        file_of(st("Node", 1, 1, field("v", "uint16", NULL), g_strdup(node),
                   NULL), NULL));

    expect_n(r, 1, 1);
    expect(r, "Node.v", QIDL_SCHEMA_CHANGE_WIDTH_CHANGED, TRUE, NULL);
}

static void test_schema__enum_values(void **state)
{
    const char *f = ",'enum':'Mode'";
    g_autofree char *o = file_of(st("Dev", 1, 1, field("mode", "uint32", f),
                                    NULL), NULL);
    g_autofree char *n = file_of(st("Dev", 1, 1, field("mode", "uint32", f),
                                    NULL), NULL);
    g_autoptr(QidlSchemaReport) r = NULL;

    /* file_of() ends with an empty enum list: fill it. */
    o[strlen(o) - 2] = '\0';
    n[strlen(n) - 2] = '\0';
    r = compare(
        g_strconcat(o, "{'name':'Mode','kind':'uint32','values':["
                    "{'name':'OFF','value':0},{'name':'ON','value':1},"
                    "{'name':'AUTO','value':7}]}]}", NULL),
        g_strconcat(n, "{'name':'Mode','kind':'uint32','values':["
                    "{'name':'OFF','value':0},{'name':'ON','value':2},"
                    "{'name':'SLOW','value':3}]}]}", NULL));
    expect_n(r, 3, 2);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_ENUM_VALUE_CHANGED, TRUE, NULL);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_ENUM_VALUE_REMOVED, TRUE, NULL);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_ENUM_VALUE_ADDED, FALSE, NULL);
}

static void test_schema__subsections(void **state)
{
    const char *sub = ",'subsections':[{'name':'dev/a','version':1,"
                      "'needed':'a_needed','fields':['a']}]";
    const char *sub2 = ",'subsections':[{'name':'dev/b','version':1,"
                       "'needed':'b_needed','fields':['b']}]";
    g_autoptr(QidlSchemaReport) r = NULL;
    char *o, *n;

    o = g_strdup_printf("{'qidl-schema':1,'structs':[{'name':'Dev',"
                        "'version':1,'min-version':1,'fields':["
                        "{'name':'a','kind':'uint8','saved':true,"
                        "'version':1,'subsection':'dev/a'}]%s}]}", sub);
    n = g_strdup_printf("{'qidl-schema':1,'structs':[{'name':'Dev',"
                        "'version':1,'min-version':1,'fields':["
                        "{'name':'b','kind':'uint8','saved':true,"
                        "'version':1,'subsection':'dev/b'}]%s}]}", sub2);
    r = compare(o, n);
    expect_n(r, 4, 2);
    expect(r, "Dev.a", QIDL_SCHEMA_CHANGE_FIELD_REMOVED, TRUE, NULL);
    expect(r, "Dev.b", QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, NULL);
    expect(r, "Dev.dev/a", QIDL_SCHEMA_CHANGE_SUBSECTION_REMOVED, TRUE,
           NULL);
    expect(r, "Dev.dev/b", QIDL_SCHEMA_CHANGE_SUBSECTION_ADDED, FALSE, NULL);
}

static void test_schema__formats_must_match_fail(void **state)
{
    g_autoptr(QidlSchema) a = qidl_schema_new(QIDL_SCHEMA_FORMAT_QIDL);
    g_autoptr(QidlSchema) b = qidl_schema_new(
        QIDL_SCHEMA_FORMAT_QEMU_VMSTATE);
    g_autoptr(GError) error = NULL;

    assert_null(qidl_schema_compare(a, b, NULL, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_INVALID));
}

/* ------------------------------------------------------------------ */
/* Filter rules                                                       */
/* ------------------------------------------------------------------ */

static void test_rules__type_rename_covered(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_rules(
        file_of(st("KvmApic", 3, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Apic", 3, 1, BASE_FIELDS, NULL), NULL),
        "{'rules':[{'name':'to-apic','type':'KvmApic',"
        "'rename_type':'Apic'}]}", QIDL_SCHEMA_FORMAT_QIDL);
    const QidlSchemaChange *c;

    expect_n(r, 1, 0);
    c = expect(r, "KvmApic", QIDL_SCHEMA_CHANGE_TYPE_RENAMED, FALSE,
               "to-apic");
    assert_string_equal(c->device, "KvmApic");
}

static void test_rules__field_removal_covered(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_rules(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, field("ctrl", "uint32", NULL), NULL), NULL),
        "{'rules':[{'type':'Dev','drop_field':{'field':'mode'}}]}",
        QIDL_SCHEMA_FORMAT_QIDL);

    expect_n(r, 1, 0);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_FIELD_REMOVED, FALSE,
           "r.json:rules[0]");
}

static void test_rules__rename_add_and_widen_covered(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_rules(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 2, 1, field("control", "uint32", NULL),
                   field("mode", "uint32", NULL),
                   field("arb", "uint8", NULL), NULL), NULL),
        "{'rules':["
        "{'type':'Dev','rename_field':{'from':'ctrl','to':'control'}},"
        "{'type':'Dev','add_field':{'field':'arb','value':{'u8':0}}},"
        "{'type':'Dev','map_values':{'field':'mode','map':["
        "{'from':{'u16':1},'to':{'u32':1}}]}},"
        "{'type':'Dev','version':1,'set_version':2}]}",
        QIDL_SCHEMA_FORMAT_QIDL);

    expect_n(r, 4, 0);
    expect(r, "Dev.ctrl", QIDL_SCHEMA_CHANGE_FIELD_RENAMED, FALSE,
           "r.json:rules[0]");
    expect(r, "Dev.arb", QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE,
           "r.json:rules[1]");
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_WIDTH_CHANGED, FALSE,
           "r.json:rules[2]");
    expect(r, "Dev", QIDL_SCHEMA_CHANGE_VERSION_RAISED, FALSE,
           "r.json:rules[3]");
}

static void test_rules__version_match_skips(void **state)
{
    /* The rule is for version 2 state; OLD saves version 1. */
    g_autoptr(QidlSchemaReport) r = compare_rules(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, field("ctrl", "uint32", NULL), NULL), NULL),
        "{'rules':[{'type':'Dev','version':2,"
        "'drop_field':{'field':'mode'}}]}", QIDL_SCHEMA_FORMAT_QIDL);

    expect_n(r, 1, 1);
    expect(r, "Dev.mode", QIDL_SCHEMA_CHANGE_FIELD_REMOVED, TRUE, NULL);
}

static void test_rules__split_covered(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_rules(
        file_of(st("BlkPci", 2, 1, field("pci_config", "uint32", NULL),
                   field("status", "uint8", NULL),
                   field("blk_config", "uint64", NULL), NULL), NULL),
        file_of(st("VirtioPci", 1, 1, field("config", "uint32", NULL),
                   field("status", "uint8", NULL), NULL),
                st("VirtioBlk", 1, 1, field("config", "uint64", NULL), NULL),
                NULL),
        "{'rules':[{'name':'split','type':'BlkPci','split':["
        "{'type':'VirtioPci','path':'{path}','version':1,'fields':["
        "{'from':'pci_config','to':'config'},'status']},"
        "{'type':'VirtioBlk','path':'{path}/b','name':'{name}-b',"
        "'version':1,'fields':[{'from':'blk_config','to':'config'}]}]}]}",
        QIDL_SCHEMA_FORMAT_QIDL);
    const QidlSchemaChange *c;

    expect_n(r, 1, 0);
    c = expect(r, "BlkPci", QIDL_SCHEMA_CHANGE_TYPE_RENAMED, FALSE, "split");
    assert_string_equal(c->message, "split into VirtioPci and VirtioBlk by "
                        "the filter");
}

static void test_rules__failing_rule_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_rules(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        "{'rules':[{'type':'Dev','rename_field':{'from':'nope',"
        "'to':'x'}}]}", QIDL_SCHEMA_FORMAT_QIDL);
    const QidlSchemaChange *c;

    expect_n(r, 1, 1);
    c = expect(r, "Dev.nope", QIDL_SCHEMA_CHANGE_FILTER_FAILS, TRUE, NULL);
    assert_string_equal(c->message, "rule r.json:rules[0] fails on OLD's "
                        "state: rename_field: no field nope");
}

static void test_rules__path_only_unchecked(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_rules(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        "{'rules':[{'path':'/machine/*','rename_type':'X'}]}",
        QIDL_SCHEMA_FORMAT_QIDL);

    expect_n(r, 1, 0);
    expect(r, "r.json:rules[0]", QIDL_SCHEMA_CHANGE_FILTER_UNCHECKED, FALSE,
           NULL);
}

static void test_rules__invalid_file_fail(void **state)
{
    g_autoptr(QidlSchemaRules) rules = qidl_schema_rules_new();
    g_autoptr(GError) error = NULL;

    assert_false(qidl_schema_rules_load_from_data(
        rules, "{\"rules\":[{\"type\":\"a\",\"rename_typo\":\"b\"}]}", -1,
        "bad.json", &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_INVALID));
    assert_true(g_str_has_prefix(error->message, "bad.json: rules[0]"));
    assert_int_equal(qidl_filter_set_get_n_filters(
        qidl_schema_rules_get_filter_set(rules)), 0);
}

/* ------------------------------------------------------------------ */
/* QEMU dumps: what vmstate-static-checker checks, and what it misses  */
/* ------------------------------------------------------------------ */

static QidlSchemaReport *compare_data_files(const char *a, const char *b,
                                            QidlSchemaFormat format)
{
    g_autofree char *pa = source_path(a);
    g_autofree char *pb = source_path(b);
    g_autoptr(QidlSchema) sa = qidl_schema_new(format);
    g_autoptr(QidlSchema) sb = qidl_schema_new(format);
    g_autoptr(GError) error = NULL;
    QidlSchemaReport *r;

    if (!qidl_schema_load_path(sa, pa, &error) ||
        !qidl_schema_load_path(sb, pb, &error)) {
        fail_msg("%s", error->message);
    }
    r = qidl_schema_compare(sa, sb, NULL, &error);
    if (!r) {
        fail_msg("%s", error->message);
    }
    return r;
}

/*
 * tests/compat/data/qemu-{old,new}.json: one section per check of
 * scripts/vmstate-static-checker.py, named after what it tests.
 */
static void test_qemu__static_checker_checks(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_data_files(
        "tests/compat/data/qemu-old.json", "tests/compat/data/qemu-new.json",
        QIDL_SCHEMA_FORMAT_QEMU_VMSTATE);
    const QidlSchemaChange *c;

    /* Warning: checking incompatible machine types */
    c = expect(r, "vmschkmachine", QIDL_SCHEMA_CHANGE_MACHINE_CHANGED, FALSE,
               NULL);
    assert_string_equal(c->message, "warning: comparing different machine "
                        "types \"pc-i440fx-7.1\" and \"pc-i440fx-7.2\"");
    /* Section does not exist in dest */
    expect(r, "old-timer", QIDL_SCHEMA_CHANGE_TYPE_REMOVED, TRUE, NULL);
    /* Section version error */
    expect(r, "uart-a", QIDL_SCHEMA_CHANGE_VERSION_LOWERED, TRUE, NULL);
    /* Description: expected field X, got Y (same size, then another) */
    expect(r, "hub.core.sts", QIDL_SCHEMA_CHANGE_FIELD_RENAMED, TRUE, NULL);
    expect(r, "hub2.b", QIDL_SCHEMA_CHANGE_FIELD_MISMATCH, TRUE, NULL);
    /* Entry "Fields" missing */
    expect(r, "bridge", QIDL_SCHEMA_CHANGE_ENTRY_MISSING, TRUE, NULL);
    /* Field: missing description */
    c = expect(r, "sound.pci", QIDL_SCHEMA_CHANGE_KIND_CHANGED, TRUE, NULL);
    assert_non_null(strstr(c->message, "missing description"));
    /* Entry "Description" missing */
    expect(r, "flash", QIDL_SCHEMA_CHANGE_ENTRY_MISSING, TRUE, NULL);
    /* expected field, while dest has no further fields */
    expect(r, "scsi.parent_obj.irq_state", QIDL_SCHEMA_CHANGE_FIELD_REMOVED,
           TRUE, NULL);
    /* Description: minimum version error; Entry "Subsections" missing */
    expect(r, "isa-bridge", QIDL_SCHEMA_CHANGE_MIN_VERSION_RAISED, TRUE,
           NULL);
    c = expect(r, "isa-bridge", QIDL_SCHEMA_CHANGE_ENTRY_MISSING, TRUE, NULL);
    assert_non_null(strstr(c->message, "\"Subsections\""));
    /* Description X missing, got Y instead */
    expect(r, "card", QIDL_SCHEMA_CHANGE_TYPE_RENAMED, TRUE, NULL);
    /* nested Description version error; Subsection not found */
    expect(r, "floppy.drives", QIDL_SCHEMA_CHANGE_VERSION_LOWERED, TRUE,
           NULL);
    expect(r, "floppy.drives.drive/rate",
           QIDL_SCHEMA_CHANGE_SUBSECTION_REMOVED, TRUE, NULL);
    /* Field size mismatch */
    expect(r, "kbd.keycodes", QIDL_SCHEMA_CHANGE_WIDTH_CHANGED, TRUE, NULL);
    /* Compatible: a new section, a field moved into a struct, a field and
     * a subsection added in a new version. */
    expect(r, "watchdog", QIDL_SCHEMA_CHANGE_TYPE_ADDED, FALSE, NULL);
    expect(r, "pci-host.config", QIDL_SCHEMA_CHANGE_FIELD_MOVED, FALSE,
           NULL);
    expect(r, "net-ok.mac2", QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, NULL);
    expect(r, "net-ok.net-ok/offload", QIDL_SCHEMA_CHANGE_SUBSECTION_ADDED,
           FALSE, NULL);
    /* The unchanged section gives nothing; with the four checks the
     * script misses (the next tests) there are 18 breaking changes. */
    expect_n(r, 26, 18);
}

static char *qemu_section(const char *name, guint version, guint min,
                          const char *fields)
{
    return g_strdup_printf("'%s':{'Name':'%s','version_id':%u,"
                           "'minimum_version_id':%u,'Description':{"
                           "'name':'%s','version_id':%u,"
                           "'minimum_version_id':%u,'Fields':[%s]}}", name,
                           name, version, min, name, version, min, fields);
}

static char *qemu_dump(char *section)
{
    char *s = g_strdup_printf("{'vmschkmachine':{'Name':'pc'},%s}", section);

    g_free(section);
    return s;
}

#define QF(name, size, extra) \
    "{'field':'" name "','version_id':0,'field_exists':false," \
    "'size':" #size extra "}"

static void test_qemu__same_size_int_uint_swap_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_qemu(
        qemu_dump(qemu_section("pit", 1, 1,
                               QF("count", 4, ",'type':'uint32'"))),
        qemu_dump(qemu_section("pit", 1, 1,
                               QF("count", 4, ",'type':'int32'"))));
    const QidlSchemaChange *c;

    expect_n(r, 1, 1);
    c = expect(r, "pit.count", QIDL_SCHEMA_CHANGE_SIGNEDNESS_CHANGED, TRUE,
               NULL);
    assert_string_equal(c->message, "uint32 -> int32 with the same size 4: "
                        "the bytes load, but mean another value");
}

static void test_qemu__sign_swap_without_types_is_invisible(void **state)
{
    /* QEMU 7.2's own dumps carry no types: only sizes can be compared. */
    g_autoptr(QidlSchemaReport) r = compare_qemu(
        qemu_dump(qemu_section("pit", 1, 1, QF("count", 4, ""))),
        qemu_dump(qemu_section("pit", 1, 1, QF("count", 4, ""))));

    expect_n(r, 0, 0);
}

static void test_qemu__array_length_changed_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_qemu(
        qemu_dump(qemu_section("dma", 1, 1, QF("regs", 4, ",'num':8"))),
        qemu_dump(qemu_section("dma", 1, 1, QF("regs", 4, ",'num':16"))));

    expect_n(r, 1, 1);
    expect(r, "dma.regs", QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED, TRUE,
           NULL);
}

static void test_qemu__extra_trailing_field_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_qemu(
        qemu_dump(qemu_section("net", 2, 1, QF("mac", 6, ""))),
        qemu_dump(qemu_section("net", 2, 1,
                               QF("mac", 6, "") "," QF("mac2", 6, ""))));
    const QidlSchemaChange *c;

    expect_n(r, 1, 1);
    c = expect(r, "net.mac2", QIDL_SCHEMA_CHANGE_EXTRA_FIELD, TRUE, NULL);
    assert_string_equal(c->message, "NEW reads mac2 (field version 0) after "
                        "OLD's last field: OLD's version 2 streams do not "
                        "carry it; give it version_id 3");
}

static void test_qemu__versioned_trailing_field(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_qemu(
        qemu_dump(qemu_section("net", 2, 1, QF("mac", 6, ""))),
        qemu_dump(qemu_section("net", 3, 1,
                               QF("mac", 6, "") ","
                               "{'field':'mac2','version_id':3,"
                               "'field_exists':false,'size':6}")));

    expect_n(r, 2, 0);
    expect(r, "net", QIDL_SCHEMA_CHANGE_VERSION_RAISED, FALSE, NULL);
    expect(r, "net.mac2", QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, NULL);
}

static void test_qemu__section_min_version_raised_fail(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_qemu(
        qemu_dump(qemu_section("pic", 2, 1, QF("irr", 1, ""))),
        qemu_dump(qemu_section("pic", 3, 3, QF("irr", 1, ""))));

    expect_n(r, 2, 1);
    expect(r, "pic", QIDL_SCHEMA_CHANGE_MIN_VERSION_RAISED, TRUE, NULL);
}

static void test_qemu__rename_covered_by_filter(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_rules(
        qemu_dump(qemu_section("e1000", 1, 1,
                               QF("dev", 4, "") "," QF("mac", 6, ""))),
        qemu_dump(qemu_section("e1000", 1, 1,
                               QF("parent_obj", 4, "") "," QF("mac", 6,
                                                               ""))),
        "{'rules':[{'type':'e1000','rename_field':{'from':'dev',"
        "'to':'parent_obj'}}]}", QIDL_SCHEMA_FORMAT_QEMU_VMSTATE);

    expect_n(r, 1, 0);
    expect(r, "e1000.dev", QIDL_SCHEMA_CHANGE_FIELD_RENAMED, FALSE,
           "r.json:rules[0]");
}

static void test_qemu__section_rename_covered_by_filter(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare_rules(
        qemu_dump(qemu_section("ICH9 LPC", 1, 1, QF("irq", 1, ""))),
        g_strdup("{'vmschkmachine':{'Name':'pc'},'ICH9-LPC':{'Name':"
                 "'ICH9-LPC','version_id':1,'minimum_version_id':1,"
                 "'Description':{'name':'ICH9 LPC','version_id':1,"
                 "'minimum_version_id':1,'Fields':[" QF("irq", 1, "")
                 "]}}}"),
        "{'rules':[{'type':'ICH9 LPC','rename_type':'ICH9-LPC'}]}",
        QIDL_SCHEMA_FORMAT_QEMU_VMSTATE);

    expect_n(r, 1, 0);
    expect(r, "ICH9 LPC", QIDL_SCHEMA_CHANGE_TYPE_RENAMED, FALSE, NULL);
}

/*
 * A section whose version_id differs from its description's.  QEMU writes
 * both from one VMStateDescription, so its own dumps never differ, but
 * hand-edited ones do (QEMU's checker test data; data/qemu-new.json's
 * isa-bridge) and load.  The stream carries the description's version,
 * so that is what gates the fields: compared with itself such a section
 * has no change (finding 12 of docs/security.md, the fuzz-schema
 * reproducer crash-schema-qemu-section-version-mismatch).
 */
#define UART_FIELDS                                                       \
    "{'field':'divider','version_id':1,'field_exists':false,'size':2},"   \
    QF("rbr", 1, "")

static char *uart_dump(guint desc_version, const char *more_fields)
{
    return g_strdup_printf("{'uart':{'Name':'uart','version_id':0,"
                           "'Description':{'name':'uart','version_id':%u,"
                           "'minimum_version_id':1,'Fields':[" UART_FIELDS
                           "%s]}}}", desc_version, more_fields);
}

static void test_qemu__section_version_differs_from_description(
    void **state)
{
    g_autoptr(QidlSchemaReport) same = compare_qemu(uart_dump(3, ""),
                                                    uart_dump(3, ""));
    g_autoptr(QidlSchemaReport) r = compare_qemu(
        uart_dump(3, ""),
        uart_dump(4, ",{'field':'lsr','version_id':4,'field_exists':false,"
                     "'size':1}"));
    const QidlSchemaChange *c;

    expect_n(same, 0, 0);
    /* A field of NEW's version 4 is not read from OLD's version 3
     * streams (the section's version_id 0 plays no part). */
    expect_n(r, 2, 0);
    c = expect(r, "uart", QIDL_SCHEMA_CHANGE_VERSION_RAISED, FALSE, NULL);
    assert_string_equal(c->message, "description uart: version 3 -> 4");
    c = expect(r, "uart.lsr", QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, NULL);
    assert_string_equal(c->message, "added in version 4: not read from "
                        "OLD's version 3 streams");
}

/* The hand-written dumps, isa-bridge's differing versions included, are
 * each compatible with themselves. */
static void test_qemu__data_files_self_compatible(void **state)
{
    g_autoptr(QidlSchemaReport) o = compare_data_files(
        "tests/compat/data/qemu-old.json", "tests/compat/data/qemu-old.json",
        QIDL_SCHEMA_FORMAT_QEMU_VMSTATE);
    g_autoptr(QidlSchemaReport) n = compare_data_files(
        "tests/compat/data/qemu-new.json", "tests/compat/data/qemu-new.json",
        QIDL_SCHEMA_FORMAT_QEMU_VMSTATE);

    expect_n(o, 0, 0);
    expect_n(n, 0, 0);
}

static void test_qemu__real_dump(void **state)
{
    /* A dump of the QEMU installed here, if any, compared with itself. */
    g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");
    g_autofree char *dir = NULL;
    g_autofree char *file = NULL;
    g_autoptr(QidlSchema) s = NULL;
    g_autoptr(QidlSchemaReport) r = NULL;
    g_autoptr(GError) error = NULL;
    int status = 0;

    if (!qemu) {
        skip();
    }
    dir = g_dir_make_tmp("qidl-compat-XXXXXX", &error);
    assert_non_null(dir);
    file = g_build_filename(dir, "dump.json", NULL);
    {
        const char *argv[] = { qemu, "-M", "pc", "-nodefaults", "-display",
                               "none", "-dump-vmstate", file, NULL };

        assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                                 G_SPAWN_STDOUT_TO_DEV_NULL |
                                 G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                                 NULL, NULL, &status, &error));
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_rmdir(dir);
        skip();
    }
    s = qidl_schema_new(QIDL_SCHEMA_FORMAT_QEMU_VMSTATE);
    if (!qidl_schema_load_path(s, file, &error)) {
        fail_msg("%s", error->message);
    }
    assert_true(qidl_schema_get_n_types(s) > 100);
    assert_true(qidl_schema_get_versions(s, "mc146818rtc", NULL, NULL));
    r = qidl_schema_compare(s, s, NULL, &error);
    assert_non_null(r);
    expect_n(r, 0, 0);
    g_unlink(file);
    g_rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* Reading                                                            */
/* ------------------------------------------------------------------ */

static void load_fail(QidlSchemaFormat format, const char *text, int code,
                      const char *message)
{
    g_autofree char *json = quotes(text);
    g_autoptr(QidlSchema) s = qidl_schema_new(format);
    g_autoptr(GError) error = NULL;

    assert_false(qidl_schema_load_data(s, json, -1, "bad.json", &error));
    assert_non_null(error);
    if (!g_error_matches(error, QIDL_ERROR, code) ||
        strcmp(error->message, message) != 0) {
        fail_msg("got %s: %s", qidl_error_code_name(error->code),
                 error->message);
    }
    assert_int_equal(qidl_schema_get_n_types(s), 0);
}

static void test_read__qidl_errors_fail(void **state)
{
    load_fail(QIDL_SCHEMA_FORMAT_QIDL, "{'structs':[]}", QIDL_ERROR_INVALID,
              "bad.json: qidl-schema: missing: not a qidl-extract schema "
              "(QEMU dumps need --format qemu-vmstate)");
    load_fail(QIDL_SCHEMA_FORMAT_QIDL, "{'qidl-schema':2,'structs':[]}",
              QIDL_ERROR_VERSION, "bad.json: qidl-schema: version 2 is not "
              "supported (this checker reads version 1)");
    load_fail(QIDL_SCHEMA_FORMAT_QIDL,
              "{'qidl-schema':1,'structs':[],'extra':1}", QIDL_ERROR_INVALID,
              "bad.json: unknown member \"extra\"");
    load_fail(QIDL_SCHEMA_FORMAT_QIDL,
              "{'qidl-schema':1,'structs':[{'name':'A','version':1,"
              "'min-version':1,'fields':[{'name':'x','kind':'uint8',"
              "'saved':true,'dims':[1,-1]}]}]}", QIDL_ERROR_INVALID,
              "bad.json: structs[0].fields[0].dims[1]: expected an integer "
              "from 0 to 4294967295");
    load_fail(QIDL_SCHEMA_FORMAT_QIDL,
              "{'qidl-schema':1,'structs':[{'name':'A','version':1,"
              "'min-version':1,'fields':[{'name':'x','kind':'uint9',"
              "'saved':true}]}]}", QIDL_ERROR_INVALID,
              "bad.json: structs[0].fields[0].kind: unknown kind \"uint9\"");
    load_fail(QIDL_SCHEMA_FORMAT_QIDL,
              "{'qidl-schema':1,'structs':[{'name':'A','version':4294967296,"
              "'min-version':1,'fields':[]}]}", QIDL_ERROR_INVALID,
              "bad.json: structs[0].version: expected an integer from 0 to "
              "4294967295");
    load_fail(QIDL_SCHEMA_FORMAT_QIDL,
              "{'qidl-schema':1,'structs':[{'name':'A','version':1,"
              "'min-version':2,'fields':[]}]}", QIDL_ERROR_INVALID,
              "bad.json: structs[0].min-version: versions must satisfy 1 <= "
              "min-version (2) <= version (1)");
    load_fail(QIDL_SCHEMA_FORMAT_QIDL,
              "{'qidl-schema':1,'structs':[{'name':'A','version':1,"
              "'min-version':1,'fields':[]},{'name':'A','version':1,"
              "'min-version':1,'fields':[]}]}", QIDL_ERROR_INVALID,
              "bad.json: structs[1].name: struct \"A\" is already defined by "
              "bad.json");
    load_fail(QIDL_SCHEMA_FORMAT_QIDL,
              "{'qidl-schema':1,'structs':[{'name':'A','version':1,"
              "'min-version':1,'fields':[{'name':'x','kind':'uint8',"
              "'saved':true},{'name':'x','kind':'uint8','saved':true}]}]}",
              QIDL_ERROR_INVALID, "bad.json: structs[0].fields[1].name: "
              "field \"x\" is listed twice");
    load_fail(QIDL_SCHEMA_FORMAT_QIDL, "{'qidl-schema':1,'structs':[",
              QIDL_ERROR_INVALID, "bad.json:1:28: Parse error: unexpected end "
              "of file, expected character `]'");
}

static void test_read__qemu_errors_fail(void **state)
{
    g_autoptr(GString) deep = g_string_new("{'s':{'Name':'s','version_id':1,"
                                           "'Description':");

    load_fail(QIDL_SCHEMA_FORMAT_QEMU_VMSTATE,
              "{'qidl-schema':1,'structs':[]}", QIDL_ERROR_INVALID,
              "bad.json: (root): a qidl-extract schema, not a QEMU vmstate "
              "dump");
    load_fail(QIDL_SCHEMA_FORMAT_QEMU_VMSTATE,
              "{'s':{'Name':'s','version_id':1,'Descr':{}}}",
              QIDL_ERROR_INVALID, "bad.json: s: unknown member \"Descr\"");
    load_fail(QIDL_SCHEMA_FORMAT_QEMU_VMSTATE,
              "{'s':{'Name':'s','version_id':-1}}", QIDL_ERROR_INVALID,
              "bad.json: s: version_id: expected an integer from 0 to "
              "2147483647");
    load_fail(QIDL_SCHEMA_FORMAT_QEMU_VMSTATE,
              "{'s':{'Name':'s','version_id':1,'Description':{'name':'s',"
              "'version_id':1,'Fields':[{'field':'a','version_id':0,"
              "'size':'4'}]}}}", QIDL_ERROR_INVALID,
              "bad.json: s.Description.Fields[0]: size: expected an integer "
              "from 0 to 9223372036854775807");

    /* Descriptions nested deeper than the JSON parser's bound fail before
     * anything recurses. */
    for (guint i = 0; i < 30; i++) {
        g_string_append(deep, "{'name':'d','version_id':1,'Fields':["
                        "{'field':'f','version_id':0,'size':1,"
                        "'Description':");
    }
    g_string_append(deep, "{'name':'d','version_id':1}");
    for (guint i = 0; i < 30; i++) {
        g_string_append(deep, "}]}");
    }
    g_string_append(deep, "}}");
    {
        g_autofree char *json = quotes(deep->str);
        g_autoptr(QidlSchema) s = qidl_schema_new(
            QIDL_SCHEMA_FORMAT_QEMU_VMSTATE);
        g_autoptr(GError) error = NULL;

        assert_false(qidl_schema_load_data(s, json, -1, "deep.json",
                                           &error));
        assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_LIMIT));
    }
}

static void test_read__failed_file_changes_nothing(void **state)
{
    g_autoptr(QidlSchema) s = schema_of(QIDL_SCHEMA_FORMAT_QIDL,
        "{'qidl-schema':1,'structs':[{'name':'A','version':1,"
        "'min-version':1,'fields':[]}]}");
    g_autofree char *bad = quotes(
        "{'qidl-schema':1,'structs':[{'name':'B','version':1,"
        "'min-version':1,'fields':[]},{'name':'C','version':1,"
        "'min-version':1,'fields':[{'name':1}]}]}");
    g_autoptr(GError) error = NULL;

    assert_false(qidl_schema_load_data(s, bad, -1, "b.json", &error));
    assert_int_equal(qidl_schema_get_n_types(s), 1);
    assert_false(qidl_schema_get_versions(s, "B", NULL, NULL));
    assert_true(qidl_schema_get_versions(s, "A", NULL, NULL));
}

static void test_read__extractor_goldens(void **state)
{
    /* The schemas qidl-extract writes for its golden fixtures load, and a
     * directory of them compares equal to itself. */
    g_autofree char *dir = source_path("tests/extract/good/expected");
    g_autoptr(QidlSchema) s = qidl_schema_new(QIDL_SCHEMA_FORMAT_QIDL);
    g_autoptr(QidlSchemaReport) r = NULL;
    g_autoptr(GError) error = NULL;
    guint32 version = 0, min = 0;

    if (!qidl_schema_load_path(s, dir, &error)) {
        fail_msg("%s", error->message);
    }
    assert_true(qidl_schema_get_versions(s, "UARTState", &version, &min));
    assert_int_equal(version, 2);
    assert_int_equal(min, 1);
    /* Nested structs are not devices. */
    for (guint i = 0; i < qidl_schema_get_n_types(s); i++) {
        const char *name = qidl_schema_get_type_name(s, i);

        assert_string_not_equal(name, "Inner");
        assert_string_not_equal(name, "Child");
        assert_string_not_equal(name, "Request");
    }
    r = qidl_schema_compare(s, s, NULL, &error);
    assert_non_null(r);
    expect_n(r, 0, 0);
}

static void test_read__every_truncation_fails_cleanly(void **state)
{
    /* A schema cut anywhere is refused with an error, never a crash, and
     * leaves nothing behind (run under ASan by make check-asan). */
    const char *files[] = { "tests/extract/good/expected/uart.qidl.json",
                            "tests/compat/data/qemu-old.json" };
    const QidlSchemaFormat formats[] = { QIDL_SCHEMA_FORMAT_QIDL,
                                         QIDL_SCHEMA_FORMAT_QEMU_VMSTATE };

    for (guint k = 0; k < G_N_ELEMENTS(files); k++) {
        g_autofree char *path = source_path(files[k]);
        g_autofree char *data = NULL;
        gsize len;
        /* Every length for the small file, every 7th for the big one. */
        gsize step = k == 0 ? 1 : 7;

        assert_true(g_file_get_contents(path, &data, &len, NULL));
        for (gsize cut = 0; cut < len; cut += step) {
            g_autoptr(QidlSchema) s = qidl_schema_new(formats[k]);
            g_autoptr(GError) error = NULL;
            gboolean ok = qidl_schema_load_data(s, data, (gssize)cut, "cut",
                                                &error);

            /* Only the whole text, minus trailing blanks, is a schema. */
            if (ok) {
                assert_true(cut >= len - 2);
            } else {
                assert_non_null(error);
                assert_int_equal(qidl_schema_get_n_types(s), 0);
            }
        }
    }
}

static void test_read__directory_limit(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("qidl-compat-XXXXXX", &error);
    g_autoptr(QidlSchema) s = qidl_schema_new(QIDL_SCHEMA_FORMAT_QIDL);
    g_autoptr(QidlSchema) s2 = qidl_schema_new(QIDL_SCHEMA_FORMAT_QIDL);

    assert_non_null(dir);
    for (guint i = 0; i <= QIDL_LIMIT_SCHEMA_FILES; i++) {
        g_autofree char *name = g_strdup_printf("%s/f%04u.qidl.json", dir, i);
        g_autofree char *text = g_strdup_printf(
            "{\"qidl-schema\":1,\"structs\":[{\"name\":\"T%u\","
            "\"version\":1,\"min-version\":1,\"fields\":[]}]}", i);

        if (i == QIDL_LIMIT_SCHEMA_FILES) {
            /* At the limit: every file loads. */
            assert_true(qidl_schema_load_path(s, dir, NULL));
            assert_int_equal(qidl_schema_get_n_types(s),
                             QIDL_LIMIT_SCHEMA_FILES);
        }
        assert_true(g_file_set_contents(name, text, -1, NULL));
    }
    /* One more: refused, and nothing loaded. */
    assert_false(qidl_schema_load_path(s2, dir, &error));
    assert_true(g_error_matches(error, QIDL_ERROR, QIDL_ERROR_LIMIT));
    assert_int_equal(qidl_schema_get_n_types(s2), 0);
    for (guint i = 0; i <= QIDL_LIMIT_SCHEMA_FILES; i++) {
        g_autofree char *name = g_strdup_printf("%s/f%04u.qidl.json", dir, i);

        g_unlink(name);
    }
    g_rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* Reports                                                            */
/* ------------------------------------------------------------------ */

static void test_report__text_and_json(void **state)
{
    g_autoptr(QidlSchemaReport) r = compare(
        file_of(st("Dev", 1, 1, BASE_FIELDS, NULL), NULL),
        file_of(st("Dev", 2, 1, field("ctrl", "uint32", NULL),
                   field("mode", "uint8", NULL), NULL), NULL));
    g_autofree char *text = qidl_schema_report_to_text(r);
    g_autoptr(JsonNode) json = qidl_schema_report_to_json(r);
    g_autofree char *json_text = qidl_json_to_string(json, FALSE);

    assert_string_equal(text,
        "Dev: compatible (version-raised): version 1 -> 2\n"
        "Dev.mode: breaking (width-changed): uint16 -> uint8: streams carry "
        "every value with its kind and width, and loading never converts\n"
        "2 changes: 1 breaking, 1 compatible\n");
    assert_string_equal(json_text,
        "{\"compatible\":false,\"breaking\":1,\"compatible-changes\":1,"
        "\"changes\":[{\"kind\":\"version-raised\",\"breaking\":false,"
        "\"device\":\"Dev\",\"instance\":null,\"path\":\"Dev\","
        "\"message\":\"version 1 -> 2\",\"filter\":null},"
        "{\"kind\":\"width-changed\",\"breaking\":true,\"device\":\"Dev\","
        "\"instance\":null,\"path\":\"Dev.mode\",\"message\":\"uint16 -> "
        "uint8: streams carry every value with its kind and width, and "
        "loading never converts\",\"filter\":null}]}");
}

static void test_report__kind_names(void **state)
{
    assert_string_equal(qidl_schema_change_kind_name(
        QIDL_SCHEMA_CHANGE_TYPE_ADDED), "type-added");
    assert_string_equal(qidl_schema_change_kind_name(
        QIDL_SCHEMA_CHANGE_EXTRA_FIELD), "extra-trailing-field");
    assert_string_equal(qidl_schema_change_kind_name(
        QIDL_SCHEMA_CHANGE_UNKNOWN_FIELD), "unknown-field");
    assert_null(qidl_schema_change_kind_name(0));
    assert_null(qidl_schema_change_kind_name(QIDL_SCHEMA_CHANGE_LAST + 1));
}

/* ------------------------------------------------------------------ */
/* Pre-flight                                                         */
/* ------------------------------------------------------------------ */

static void append(QidlNode *parent, QidlNode *child)
{
    g_autoptr(GError) error = NULL;

    if (!qidl_node_append(parent, child, &error)) {
        fail_msg("%s", error->message);
    }
}

static QidlNode *uint_node(QidlNode *parent, const char *name, QidlKind kind,
                           guint64 v)
{
    QidlNode *n = qidl_node_new_uint(qidl_node_get_tree(parent), name, kind,
                                     v);

    append(parent, n);
    return n;
}

static QidlNode *device(QidlTree *tree, const char *name, const char *type,
                        guint32 version)
{
    QidlNode *dev = qidl_node_new_struct(tree, name);
    g_autofree char *path = g_strdup_printf("/machine/%s", name);

    qidl_node_set_device(dev, type, path, version);
    append(qidl_tree_get_root(tree), dev);
    return dev;
}

/* The destination of the pre-flight tests. */
static QidlSchema *destination(void)
{
    g_autofree char *text = file_of(
        st("Uart", 2, 1, field("ctrl", "uint32", NULL),
           field("mode", "uint16", ",'annotations':{'default':'0'}"),
           field("n", "uint8", NULL),
           field("fifo", "list", ",'container':'array','element-kind':"
                 "'uint8','dims':[4],'annotations':{'size_is':'n'}"),
           field("regs", "list", ",'container':'array','element-kind':"
                 "'uint8','dims':[2]"),
           g_strdup("{'name':'status','kind':'uint8','saved':true,"
                    "'version':2}"),
           g_strdup("{'name':'timer','kind':null,'saved':false,"
                    "'version':1,'annotations':{'derived':true}}"), NULL),
        NULL);

    return schema_of(QIDL_SCHEMA_FORMAT_QIDL, text);
}

/* A Uart device as the destination expects it, at @version. */
static QidlNode *uart(QidlTree *tree, const char *name, guint32 version)
{
    QidlNode *dev = device(tree, name, "Uart", version);
    QidlNode *fifo, *regs;

    uint_node(dev, "ctrl", QIDL_KIND_UINT32, 1);
    uint_node(dev, "n", QIDL_KIND_UINT8, 2);
    fifo = qidl_node_new_list(tree, "fifo");
    append(dev, fifo);
    uint_node(fifo, NULL, QIDL_KIND_UINT8, 0x41);
    uint_node(fifo, NULL, QIDL_KIND_UINT8, 0x42);
    regs = qidl_node_new_list(tree, "regs");
    append(dev, regs);
    uint_node(regs, NULL, QIDL_KIND_UINT8, 1);
    uint_node(regs, NULL, QIDL_KIND_UINT8, 2);
    if (version >= 2) {
        uint_node(dev, "status", QIDL_KIND_UINT8, 0);
    }
    return dev;
}

static QidlSchemaReport *check(const QidlSchema *s, QidlTree *tree)
{
    g_autoptr(GError) error = NULL;
    QidlSchemaReport *r = qidl_schema_check_tree(s, tree, &error);

    assert_non_null(r);
    return r;
}

static void test_preflight__accepts_devices(void **state)
{
    g_autoptr(QidlSchema) s = destination();
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlSchemaReport) r = NULL;
    const QidlSchemaChange *c;

    /* Version 1 state has no status; mode is omitted at its default. */
    uart(tree, "uart0", 1);
    uart(tree, "uart1", 2);
    r = check(s, tree);
    expect_n(r, 2, 0);
    c = expect(r, "uart0", QIDL_SCHEMA_CHANGE_DEVICE_ACCEPTED, FALSE, NULL);
    assert_string_equal(c->instance, "/machine/uart0");
    assert_string_equal(c->device, "Uart");
    assert_string_equal(c->message, "version 1 accepted by Uart (versions 1 "
                        "to 2)");
    expect(r, "uart1", QIDL_SCHEMA_CHANGE_DEVICE_ACCEPTED, FALSE, NULL);
}

static void test_preflight__version_not_accepted_fail(void **state)
{
    g_autoptr(QidlSchema) s = destination();
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlSchemaReport) r = NULL;
    const QidlSchemaChange *c;

    uart(tree, "uart0", 3);
    r = check(s, tree);
    expect_n(r, 1, 1);
    c = expect(r, "uart0", QIDL_SCHEMA_CHANGE_VERSION_NOT_ACCEPTED, TRUE,
               NULL);
    assert_string_equal(c->message, "version 3: Uart loads versions 1 to 2");
}

static void test_preflight__missing_and_unknown_fields_fail(void **state)
{
    g_autoptr(QidlSchema) s = destination();
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlSchemaReport) r = NULL;
    QidlNode *dev = uart(tree, "uart0", 2);

    qidl_node_remove(qidl_node_get_child(dev, "ctrl"));
    uint_node(dev, "timer", QIDL_KIND_UINT64, 5);
    r = check(s, tree);
    expect_n(r, 2, 2);
    expect(r, "uart0.ctrl", QIDL_SCHEMA_CHANGE_MISSING_FIELD, TRUE, NULL);
    expect(r, "uart0.timer", QIDL_SCHEMA_CHANGE_UNKNOWN_FIELD, TRUE, NULL);
}

static void test_preflight__kind_and_length_fail(void **state)
{
    g_autoptr(QidlSchema) s = destination();
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlSchemaReport) r = NULL;
    QidlNode *dev = uart(tree, "uart0", 2);
    QidlNode *fifo = qidl_node_get_child(dev, "fifo");
    QidlNode *regs = qidl_node_get_child(dev, "regs");

    qidl_node_remove(qidl_node_get_child(dev, "ctrl"));
    uint_node(dev, "ctrl", QIDL_KIND_UINT16, 1);
    append(dev, qidl_node_new_int(tree, "mode", QIDL_KIND_INT16, 1));
    for (guint i = 0; i < 3; i++) {
        uint_node(fifo, NULL, QIDL_KIND_UINT8, i);
    }
    uint_node(regs, NULL, QIDL_KIND_UINT8, 3);
    r = check(s, tree);
    expect_n(r, 4, 4);
    expect(r, "uart0.ctrl", QIDL_SCHEMA_CHANGE_WIDTH_CHANGED, TRUE, NULL);
    expect(r, "uart0.mode", QIDL_SCHEMA_CHANGE_SIGNEDNESS_CHANGED, TRUE,
           NULL);
    expect(r, "uart0.fifo", QIDL_SCHEMA_CHANGE_CAPACITY_LOWERED, TRUE, NULL);
    expect(r, "uart0.regs", QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED, TRUE,
           NULL);
}

static void test_preflight__unknown_device_and_alias(void **state)
{
    g_autoptr(QidlSchema) s = destination();
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlSchemaReport) r = NULL;
    g_autoptr(QidlSchemaReport) r2 = NULL;
    QidlNode *dev = uart(tree, "com1", 2);

    qidl_node_set_type_name(dev, "isa-serial");
    r = check(s, tree);
    expect_n(r, 1, 1);
    expect(r, "com1", QIDL_SCHEMA_CHANGE_UNKNOWN_DEVICE, TRUE, NULL);

    qidl_schema_add_alias(s, "isa-serial", "Uart");
    r2 = check(s, tree);
    expect_n(r2, 1, 0);
    expect(r2, "com1", QIDL_SCHEMA_CHANGE_DEVICE_ACCEPTED, FALSE, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema__identical_has_no_changes),
        cmocka_unit_test(test_schema__field_added_with_default),
        cmocka_unit_test(test_schema__field_added_optional),
        cmocka_unit_test(test_schema__field_added_in_new_version),
        cmocka_unit_test(test_schema__capacity_raised_under_size_is),
        cmocka_unit_test(test_schema__field_kept_with_marker),
        cmocka_unit_test(test_schema__default_and_optional_added),
        cmocka_unit_test(test_schema__same_default_spelled_differently),
        cmocka_unit_test(test_schema__type_added),
        cmocka_unit_test(test_schema__min_version_raised_within_old),
        cmocka_unit_test(test_schema__field_added_without_bump_fail),
        cmocka_unit_test(test_schema__field_added_with_stale_version_fail),
        cmocka_unit_test(
            test_schema__field_added_unmarked_in_bumped_struct_fail),
        cmocka_unit_test(test_schema__field_removed_fail),
        cmocka_unit_test(test_schema__kind_changed_fail),
        cmocka_unit_test(test_schema__width_changed_fail),
        cmocka_unit_test(test_schema__signedness_changed_fail),
        cmocka_unit_test(test_schema__fixed_array_length_changed_fail),
        cmocka_unit_test(test_schema__element_kind_changed_fail),
        cmocka_unit_test(test_schema__capacity_lowered_fail),
        cmocka_unit_test(test_schema__default_changed_fail),
        cmocka_unit_test(test_schema__default_and_optional_removed_fail),
        cmocka_unit_test(test_schema__version_lowered_fail),
        cmocka_unit_test(test_schema__min_version_raised_above_old_fail),
        cmocka_unit_test(test_schema__field_version_raised_fail),
        cmocka_unit_test(test_schema__type_renamed_fail),
        cmocka_unit_test(test_schema__type_removed_fail),
        cmocka_unit_test(test_schema__nested_struct_paths_fail),
        cmocka_unit_test(test_schema__self_referencing_struct),
        cmocka_unit_test(test_schema__enum_values),
        cmocka_unit_test(test_schema__subsections),
        cmocka_unit_test(test_schema__formats_must_match_fail),
        cmocka_unit_test(test_rules__type_rename_covered),
        cmocka_unit_test(test_rules__field_removal_covered),
        cmocka_unit_test(test_rules__rename_add_and_widen_covered),
        cmocka_unit_test(test_rules__version_match_skips),
        cmocka_unit_test(test_rules__split_covered),
        cmocka_unit_test(test_rules__failing_rule_fail),
        cmocka_unit_test(test_rules__path_only_unchecked),
        cmocka_unit_test(test_rules__invalid_file_fail),
        cmocka_unit_test(test_qemu__static_checker_checks),
        cmocka_unit_test(test_qemu__same_size_int_uint_swap_fail),
        cmocka_unit_test(test_qemu__sign_swap_without_types_is_invisible),
        cmocka_unit_test(test_qemu__array_length_changed_fail),
        cmocka_unit_test(test_qemu__extra_trailing_field_fail),
        cmocka_unit_test(test_qemu__versioned_trailing_field),
        cmocka_unit_test(test_qemu__section_min_version_raised_fail),
        cmocka_unit_test(test_qemu__rename_covered_by_filter),
        cmocka_unit_test(test_qemu__section_rename_covered_by_filter),
        cmocka_unit_test(test_qemu__section_version_differs_from_description),
        cmocka_unit_test(test_qemu__data_files_self_compatible),
        cmocka_unit_test(test_qemu__real_dump),
        cmocka_unit_test(test_read__qidl_errors_fail),
        cmocka_unit_test(test_read__qemu_errors_fail),
        cmocka_unit_test(test_read__failed_file_changes_nothing),
        cmocka_unit_test(test_read__extractor_goldens),
        cmocka_unit_test(test_read__every_truncation_fails_cleanly),
        cmocka_unit_test(test_read__directory_limit),
        cmocka_unit_test(test_report__text_and_json),
        cmocka_unit_test(test_report__kind_names),
        cmocka_unit_test(test_preflight__accepts_devices),
        cmocka_unit_test(test_preflight__version_not_accepted_fail),
        cmocka_unit_test(test_preflight__missing_and_unknown_fields_fail),
        cmocka_unit_test(test_preflight__kind_and_length_fail),
        cmocka_unit_test(test_preflight__unknown_device_and_alias),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
