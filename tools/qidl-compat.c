/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl compat: will this migration work?
 *
 *     qidl compat [OPTIONS] OLD NEW
 *     qidl compat [OPTIONS] --stream FILE SCHEMAS
 *
 * The first form compares the device-state schemas of two releases (or of
 * a source and a destination host): OLD and NEW are schema files or
 * directories of them, from qidl-extract (default) or from QEMU's
 * -dump-vmstate (--format qemu-vmstate).  Every difference is printed
 * with its classification; docs/compat.md explains the rules.
 *
 * The second form is the pre-flight check: whether a destination with the
 * schemas SCHEMAS can load the stream FILE (a native stream, its JSON
 * form, or a QEMU migration stream), device by device, without loading.
 *
 * --filters RULES.json gives filter rules the destination applies
 * (repeatable; docs/filters.md).  --json prints the report as JSON.
 *
 * Exit status: 0 compatible, 1 breaking changes (or devices the
 * destination cannot load), 2 error.
 */
#include <stdio.h>
#include <string.h>

#include <qidl/json.h>
#include <qidl/schema.h>
#include <qidl/stream.h>

#include "qidl-tool.h"

#define EXIT_BREAKING 1
#define EXIT_ERROR 2

static int fail(GError *error)
{
    g_printerr("qidl compat: %s\n", error->message);
    g_error_free(error);
    return EXIT_ERROR;
}

static int usage_error(GOptionContext *ctx, const char *msg)
{
    g_printerr("qidl compat: %s\n", msg);
    g_printerr("Run 'qidl compat --help' for usage.\n");
    g_option_context_free(ctx);
    return EXIT_ERROR;
}

static gboolean add_aliases(QidlSchema *schema, char **maps, GError **error)
{
    for (char **m = maps; m && *m; m++) {
        const char *eq = strchr(*m, '=');

        if (!eq || eq == *m || !eq[1]) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--map takes DEVICE-TYPE=SCHEMA-TYPE, not \"%s\"",
                        *m);
            return FALSE;
        }
        {
            g_autofree char *device = g_strndup(*m, eq - *m);

            qidl_schema_add_alias(schema, device, eq + 1);
        }
    }
    return TRUE;
}

static void print_report(const QidlSchemaReport *report, gboolean json,
                         gboolean preflight)
{
    if (json) {
        g_autoptr(JsonNode) node = qidl_schema_report_to_json(report);
        g_autofree char *text = qidl_json_to_string(node, TRUE);

        fputs(text, stdout);
    } else {
        g_autofree char *text = qidl_schema_report_to_text(report);
        guint n = qidl_schema_report_get_n_breaking(report);
        const char *s = n == 1 ? "" : "s";

        fputs(text, stdout);
        if (preflight && n == 0) {
            printf("the destination can load every device of this "
                   "stream\n");
        } else if (preflight) {
            printf("the destination cannot load this stream: %u "
                   "problem%s\n", n, s);
        } else if (n == 0) {
            printf("compatible: NEW loads every stream OLD can produce\n");
        } else {
            printf("incompatible: %u breaking change%s; NEW cannot load "
                   "every stream OLD can produce\n", n, s);
        }
    }
    fflush(stdout);
}

int qidl_cmd_compat(int argc, char **argv)
{
    g_autofree char *format = NULL;
    g_autofree char *stream = NULL;
    g_auto(GStrv) filters = NULL;
    g_auto(GStrv) maps = NULL;
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
          "qidl (default): schemas from qidl-extract (*.qidl.json); "
          "qemu-vmstate: QEMU -dump-vmstate output (*.json)", "FORMAT" },
        { "filters", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &filters,
          "filter rules the destination applies (repeatable; in order)",
          "RULES.json" },
        { "stream", 's', 0, G_OPTION_ARG_FILENAME, &stream,
          "pre-flight: can a destination with SCHEMAS load this stream "
          "(native, its JSON form, or QEMU)?", "FILE" },
        { "map", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &maps,
          "with --stream: devices of type DEVICE are described by schema "
          "type TYPE (repeatable)", "DEVICE=TYPE" },
        { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
          "print the report as JSON", NULL },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("OLD NEW | --stream FILE "
                                               "SCHEMAS");
    g_autoptr(QidlSchemaRules) rules = qidl_schema_rules_new();
    g_autoptr(QidlSchemaReport) report = NULL;
    g_autoptr(QidlSchema) old_schema = NULL;
    g_autoptr(QidlSchema) new_schema = NULL;
    QidlSchemaFormat fmt = QIDL_SCHEMA_FORMAT_QIDL;
    GError *error = NULL;

    g_set_prgname("qidl compat");
    g_option_context_set_summary(ctx,
        "Check whether device state saved by OLD loads into NEW: compare "
        "two sets of\nschemas (files or directories), or check one stream "
        "against the destination's\nschemas (--stream).  docs/compat.md "
        "explains every rule.");
    g_option_context_set_description(ctx,
        "Exit status: 0 compatible, 1 breaking changes, 2 error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_autofree char *msg = g_strdup(error->message);

        g_error_free(error);
        return usage_error(ctx, msg);
    }
    if (format && strcmp(format, "qemu-vmstate") == 0) {
        fmt = QIDL_SCHEMA_FORMAT_QEMU_VMSTATE;
    } else if (format && strcmp(format, "qidl") != 0) {
        g_autofree char *msg = g_strdup_printf(
            "--format must be qidl or qemu-vmstate, not \"%s\"", format);

        return usage_error(ctx, msg);
    }
    if (stream ? argc != 2 : argc != 3) {
        return usage_error(ctx, stream ? "--stream takes one SCHEMAS "
                                         "argument"
                                       : "compat takes OLD and NEW");
    }
    if (maps && !stream) {
        return usage_error(ctx, "--map needs --stream");
    }
    g_option_context_free(ctx);

    for (char **f = filters; f && *f; f++) {
        if (!qidl_schema_rules_load_file(rules, *f, &error)) {
            return fail(error);
        }
    }
    new_schema = qidl_schema_new(fmt);
    if (stream) {
        g_autoptr(QidlTree) tree = NULL;

        if (!qidl_schema_load_path(new_schema, argv[1], &error) ||
            !add_aliases(new_schema, maps, &error)) {
            return fail(error);
        }
        tree = qidl_tool_read_tree(stream, &error);
        if (!tree ||
            !qidl_filter_set_apply(qidl_schema_rules_get_filter_set(rules),
                                   tree, NULL, &error)) {
            return fail(error);
        }
        report = qidl_schema_check_tree(new_schema, tree, &error);
        if (!report) {
            return fail(error);
        }
        print_report(report, json, TRUE);
    } else {
        old_schema = qidl_schema_new(fmt);
        if (!qidl_schema_load_path(old_schema, argv[1], &error) ||
            !qidl_schema_load_path(new_schema, argv[2], &error)) {
            return fail(error);
        }
        report = qidl_schema_compare(old_schema, new_schema, rules, &error);
        if (!report) {
            return fail(error);
        }
        print_report(report, json, FALSE);
    }
    return qidl_schema_report_is_compatible(report) ? 0 : EXIT_BREAKING;
}
