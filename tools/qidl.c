/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl: inspect, convert, filter and compare device-state streams.
 *
 *     qidl dump STREAM [--format pretty|json|tree] [--device PATTERN]
 *     qidl convert IN OUT --to native|json|qemu [--compress]
 *     qidl filter --rules RULES.json [--rules ...] IN OUT [--to ...]
 *     qidl diff A B
 *
 * Inputs are detected from their content: a native stream, a
 * zstd-compressed native stream, the stream's typed JSON form, or a QEMU
 * migration stream (magic "QEVM", docs/qemu-stream.md).  "-" stands for
 * standard input or output.  A QEMU stream is written back (--to qemu)
 * from a QEMU stream only: its RAM, configuration and vmdesc are not in
 * the other forms, which hold device state alone.
 *
 * Large files are mapped, and a QEMU stream is written out piece by
 * piece: a large guest's stream is gigabytes of RAM, which neither the
 * reader nor the writer copies; gzip and zstd inputs are decompressed
 * (qidl-io.c).
 *
 * Exit status: 0 on success (for diff: the streams are equal), 1 when diff
 * found differences, 2 on any error (bad usage, unreadable input, a
 * stream that does not decode, a filter that fails).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <qidl/filter.h>
#include <qidl/json.h>
#include <qidl/qemu-stream.h>
#include <qidl/stream.h>

#include "qidl-tool.h"

#define EXIT_DIFFERENT 1
#define EXIT_ERROR 2

/*
 * A whole stream in memory: its devices as a tree, and everything else:
 * @info for the native and JSON forms, @qemu too for a QEMU stream.
 */
typedef struct {
    QidlTree *tree;
    QidlStreamInfo *info;
    QidlQemuStreamInfo *qemu;
    gboolean was_json;
} Stream;

static void stream_clear(Stream *s)
{
    qidl_tree_free(s->tree);
    qidl_stream_info_free(s->info);
    qidl_qemu_stream_info_free(s->qemu);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Stream, stream_clear)

/*
 * Writes the QEMU stream of @s to @path ("-": standard output) piece by
 * piece.  A file is written under a temporary name beside it and renamed
 * once complete, as g_file_set_contents() does, so a failed write leaves
 * no partial stream.
 */
static gboolean write_qemu(const Stream *s, const char *path, GError **error)
{
    g_autofree char *tmp = NULL;
    g_autofree char *name = NULL;
    QidlToolSink sink;
    gboolean ok;

    if (strcmp(path, "-") == 0) {
        sink = (QidlToolSink) { STDOUT_FILENO, "standard output" };
        if (fflush(stdout) != 0) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO,
                        "cannot write standard output");
            return FALSE;
        }
        return qidl_qemu_stream_write_tree_to(s->tree, s->qemu, qidl_tool_sink_write,
                                              &sink, error);
    }
    tmp = g_strdup_printf("%s.XXXXXX", path);
    name = g_filename_display_name(path);
    sink = (QidlToolSink) { g_mkstemp_full(tmp, O_WRONLY, 0666), name };
    if (sink.fd < 0) {
        return qidl_tool_errno_error(error, "cannot create a file beside", name);
    }
    ok = qidl_qemu_stream_write_tree_to(s->tree, s->qemu, qidl_tool_sink_write, &sink,
                                        error);
    if (ok && fsync(sink.fd) != 0) {
        ok = qidl_tool_errno_error(error, "cannot write", name);
    }
    if (close(sink.fd) != 0 && ok) {
        ok = qidl_tool_errno_error(error, "cannot write", name);
    }
    if (ok && g_rename(tmp, path) != 0) {
        ok = qidl_tool_errno_error(error, "cannot rename the new stream to", name);
    }
    if (!ok) {
        g_unlink(tmp);
    }
    return ok;
}

static gboolean write_output(const char *path, const void *data, gsize len,
                             GError **error)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO,
                        "cannot write standard output");
            return FALSE;
        }
        return TRUE;
    }
    return g_file_set_contents(path, data, (gssize)len, error);
}

/* JSON if the first non-blank byte opens an object. */
static gboolean looks_like_json(const guint8 *data, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isspace(data[i])) {
            return data[i] == '{';
        }
    }
    return FALSE;
}

static gboolean load_stream(const char *path, Stream *s, GError **error)
{
    g_autoptr(GBytes) bytes = NULL;
    const guint8 *data;
    gsize len;

    if (!qidl_tool_read_input(path, &bytes, error)) {
        return FALSE;
    }
    data = g_bytes_get_data(bytes, &len);
    if (qidl_qemu_stream_detect(data, len)) {
        s->tree = qidl_qemu_stream_read_tree_full(bytes, NULL, -1, &s->qemu,
                                                  error);
        if (s->tree) {
            const char *machine = qidl_qemu_stream_info_get_machine(s->qemu);

            /* What converting it to the native or JSON form records. */
            s->info = qidl_stream_info_new("qidl", QIDL_VERSION);
            qidl_stream_info_set_metadata(s->info, "source", "qemu");
            qidl_stream_info_set_metadata(s->info, "qemu.machine", machine);
        }
    } else if (looks_like_json(data, len)) {
        g_autoptr(JsonNode) json = qidl_json_parse((const char *)data,
                                                   (gssize)len, error);

        s->was_json = TRUE;
        s->tree = json ? qidl_stream_json_to_tree(json, &s->info, error)
                       : NULL;
    } else {
        s->tree = qidl_stream_read_tree(data, len, &s->info, error);
    }
    if (!s->tree) {
        g_prefix_error(error, "%s: ", path);
        return FALSE;
    }
    return TRUE;
}

QidlTree *qidl_tool_read_tree(const char *path, GError **error)
{
    g_auto(Stream) s = { 0 };

    if (!load_stream(path, &s, error)) {
        return NULL;
    }
    return g_steal_pointer(&s.tree);
}

typedef enum {
    FORMAT_NATIVE,
    FORMAT_JSON,
    FORMAT_QEMU,
} OutputFormat;

static gboolean parse_format(const char *name, OutputFormat *out,
                             GError **error)
{
    if (g_strcmp0(name, "native") == 0) {
        *out = FORMAT_NATIVE;
    } else if (g_strcmp0(name, "json") == 0) {
        *out = FORMAT_JSON;
    } else if (g_strcmp0(name, "qemu") == 0) {
        *out = FORMAT_QEMU;
    } else {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--to must be native, json or qemu, not \"%s\"", name);
        return FALSE;
    }
    return TRUE;
}

static gboolean save_stream(const Stream *s, const char *path,
                            OutputFormat format, gboolean compress,
                            GError **error)
{
    if (format == FORMAT_QEMU) {
        if (!s->qemu) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNSUPPORTED,
                        "--to qemu needs a QEMU stream as input: the native "
                        "and JSON forms hold no RAM, configuration or "
                        "vmdesc");
            return FALSE;
        }
        return write_qemu(s, path, error);
    } else if (format == FORMAT_JSON) {
        g_autoptr(JsonNode) json = NULL;
        g_autofree char *text = NULL;

        qidl_stream_info_set_compressed(s->info, compress);
        json = qidl_stream_json_from_tree(s->tree, s->info);
        text = qidl_json_to_string(json, TRUE);
        return write_output(path, text, strlen(text), error);
    } else {
        g_autoptr(GByteArray) out = g_byte_array_new();

        if (!qidl_stream_write_tree(s->tree, s->info,
                                    compress ? QIDL_STREAM_WRITE_ZSTD : 0,
                                    out, error)) {
            return FALSE;
        }
        return write_output(path, out->data, out->len, error);
    }
}

/* Does the device root match a --device pattern (glob over its instance
 * path, type name or name)? */
static gboolean device_matches(const QidlNode *dev, GPatternSpec *pattern)
{
    const char *names[] = {
        qidl_node_get_instance_path(dev),
        qidl_node_get_type_name(dev),
        qidl_node_get_name(dev),
    };

    if (!pattern) {
        return TRUE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        if (names[i] && g_pattern_spec_match_string(pattern, names[i])) {
            return TRUE;
        }
    }
    return FALSE;
}

/*
 * The "tree" dump: one node per line, indented by depth, kinds shown.
 * Walks with parent and sibling links, no recursion.
 */
static void print_tree(const QidlNode *top, GString *out)
{
    const QidlNode *node = top;
    guint depth = 0;

    while (node) {
        const QidlNode *child;
        g_autofree char *value = qidl_node_format_value(node);
        const char *name = qidl_node_get_name(node);

        g_string_append_printf(out, "%*s", (int)depth * 2, "");
        if (name) {
            g_string_append_printf(out, "%s ", name);
        } else {
            const QidlNode *p = qidl_node_get_first_child(
                qidl_node_get_parent(node));
            guint32 index = 0;

            for (; p != node; p = qidl_node_get_next(p)) {
                index++;
            }
            g_string_append_printf(out, "[%" G_GUINT32_FORMAT "] ", index);
        }
        g_string_append_printf(out, "%s\n", value);

        child = qidl_node_get_first_child(node);
        if (child) {
            node = child;
            depth++;
            continue;
        }
        while (node != top && !qidl_node_get_next(node)) {
            node = qidl_node_get_parent(node);
            depth--;
        }
        node = node == top ? NULL : qidl_node_get_next(node);
    }
}

static int usage_error(GOptionContext *ctx, GError *error)
{
    g_printerr("qidl: %s\n", error->message);
    g_printerr("Run '%s --help' for usage.\n", g_get_prgname());
    g_error_free(error);
    g_option_context_free(ctx);
    return EXIT_ERROR;
}

static int fail(GError *error)
{
    g_printerr("qidl: %s\n", error->message);
    g_error_free(error);
    return EXIT_ERROR;
}

static GOptionContext *subcommand_context(const char *name,
                                          const char *params,
                                          const char *summary,
                                          const GOptionEntry *entries)
{
    GOptionContext *ctx = g_option_context_new(params);

    g_set_prgname(name);
    g_option_context_set_summary(ctx, summary);
    g_option_context_set_description(ctx,
        "Inputs may be native streams (plain or zstd), their typed JSON "
        "form or\nQEMU migration streams, detected from content, and any "
        "of them gzip- or\nzstd-compressed; '-' is standard "
        "input/output.\n"
        "Exit status: 0 success, 1 differences (diff), 2 error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    return ctx;
}

/* The first lines of a dump of a QEMU stream: what is not device state. */
static void append_qemu_header(const Stream *s, guint shown, GString *out)
{
    const char *machine = qidl_qemu_stream_info_get_machine(s->qemu);
    QidlQemuRamStats ram;
    gsize vmdesc_len = 0;

    qidl_qemu_stream_info_get_ram_stats(s->qemu, &ram);
    qidl_qemu_stream_info_get_vmdesc(s->qemu, &vmdesc_len);
    g_string_append_printf(out,
        "# qemu stream: version %u, machine %s, %s, %u record%s, %u device%s, "
        "vmdesc %" G_GSIZE_FORMAT " bytes\n", QIDL_QEMU_STREAM_VERSION,
        machine ? machine : "(no configuration)",
        qidl_qemu_stream_info_has_footers(s->qemu) ? "section footers"
                                                   : "no section footers",
        qidl_qemu_stream_info_get_n_records(s->qemu),
        qidl_qemu_stream_info_get_n_records(s->qemu) == 1 ? "" : "s",
        shown, shown == 1 ? "" : "s", vmdesc_len);
    g_string_append_printf(out,
        "# ram: %u block%s, %" G_GUINT64_FORMAT " bytes, page size %"
        G_GUINT32_FORMAT "; pages sent: %" G_GUINT64_FORMAT " zero, %"
        G_GUINT64_FORMAT " whole, %" G_GUINT64_FORMAT " xbzrle, %"
        G_GUINT64_FORMAT " compressed\n", ram.n_blocks,
        ram.n_blocks == 1 ? "" : "s", ram.total_bytes, ram.page_size,
        ram.zero_pages, ram.normal_pages, ram.xbzrle_pages,
        ram.compressed_pages);
}

static int cmd_dump(int argc, char **argv)
{
    g_autofree char *format = NULL;
    g_autofree char *device = NULL;
    const GOptionEntry entries[] = {
        { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
          "pretty (default): one value per line; json: the typed JSON "
          "form; tree: indented", "FORMAT" },
        { "device", 'd', 0, G_OPTION_ARG_STRING, &device,
          "only devices whose instance path, type or name match this glob",
          "PATTERN" },
        { NULL },
    };
    GOptionContext *ctx = subcommand_context("qidl dump", "STREAM",
        "Print every device's state, field by field, with names and types.",
        entries);
    g_auto(Stream) s = { 0 };
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GPatternSpec) pattern = NULL;
    GError *error = NULL;
    guint shown = 0;

    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        return usage_error(ctx, error);
    }
    if (argc != 2) {
        g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "dump takes one STREAM");
        return usage_error(ctx, error);
    }
    if (format && strcmp(format, "pretty") != 0 &&
        strcmp(format, "json") != 0 && strcmp(format, "tree") != 0) {
        g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--format must be pretty, json or tree, not \"%s\"",
                    format);
        return usage_error(ctx, error);
    }
    g_option_context_free(ctx);
    if (device) {
        pattern = g_pattern_spec_new(device);
    }
    if (!load_stream(argv[1], &s, &error)) {
        return fail(error);
    }

    /* Drop the devices the pattern excludes, so every format agrees. */
    for (QidlNode *dev = qidl_node_get_first_child(qidl_tree_get_root(s.tree)),
                  *next; dev; dev = next) {
        next = qidl_node_get_next(dev);
        if (!device_matches(dev, pattern)) {
            qidl_node_remove(dev);
        } else {
            shown++;
        }
    }

    if (format && strcmp(format, "json") == 0) {
        g_autoptr(JsonNode) json =
            qidl_stream_json_from_tree(s.tree, s.info);
        g_autofree char *text = qidl_json_to_string(json, TRUE);

        g_string_append(out, text);
    } else {
        const QidlNode *root = qidl_tree_get_root(s.tree);

        if (s.qemu) {
            append_qemu_header(&s, shown, out);
        } else {
            g_string_append_printf(out,
                "# stream: format %u.%u, producer %s %s%s, %u device%s\n",
                qidl_stream_info_get_format_major(s.info),
                qidl_stream_info_get_format_minor(s.info),
                qidl_stream_info_get_producer(s.info),
                qidl_stream_info_get_producer_version(s.info),
                qidl_stream_info_get_compressed(s.info) ? ", zstd" : "",
                shown, shown == 1 ? "" : "s");
        }
        for (const QidlNode *dev = qidl_node_get_first_child(root); dev;
             dev = qidl_node_get_next(dev)) {
            if (format && strcmp(format, "tree") == 0) {
                g_string_append_printf(out, "# device %s: type %s, path %s, "
                                       "version %" G_GUINT32_FORMAT "\n",
                                       qidl_node_get_name(dev),
                                       qidl_node_get_type_name(dev),
                                       qidl_node_get_instance_path(dev),
                                       qidl_node_get_version(dev));
                print_tree(dev, out);
            } else {
                qidl_node_print(dev, out);
            }
        }
    }
    if (!write_output("-", out->str, out->len, &error)) {
        return fail(error);
    }
    return 0;
}

static int cmd_convert(int argc, char **argv)
{
    g_autofree char *to = NULL;
    gboolean compress = FALSE;
    const GOptionEntry entries[] = {
        { "to", 't', 0, G_OPTION_ARG_STRING, &to,
          "output format: native, json or qemu (required)", "FORMAT" },
        { "compress", 'z', 0, G_OPTION_ARG_NONE, &compress,
          "compress a native output with zstd (JSON: record it so "
          "converting back compresses)", NULL },
        { NULL },
    };
    GOptionContext *ctx = subcommand_context("qidl convert", "IN OUT",
        "Convert a stream between the native form, its typed JSON form and "
        "QEMU's\nmigration stream (--to qemu: from a QEMU stream only).",
        entries);
    g_auto(Stream) s = { 0 };
    OutputFormat format;
    GError *error = NULL;

    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        return usage_error(ctx, error);
    }
    if (argc != 3 || !to) {
        g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "convert takes IN OUT and --to");
        return usage_error(ctx, error);
    }
    if (!parse_format(to, &format, &error)) {
        return usage_error(ctx, error);
    }
    g_option_context_free(ctx);
    if (!load_stream(argv[1], &s, &error) ||
        !save_stream(&s, argv[2], format, compress, &error)) {
        return fail(error);
    }
    return 0;
}

static int cmd_filter(int argc, char **argv)
{
    g_auto(GStrv) rules = NULL;
    g_autofree char *to = NULL;
    gboolean compress = FALSE;
    gboolean quiet = FALSE;
    const GOptionEntry entries[] = {
        { "rules", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &rules,
          "a JSON rule file (repeat for several; applied in order)",
          "RULES.json" },
        { "to", 't', 0, G_OPTION_ARG_STRING, &to,
          "output format: native, json or qemu (default: as the input)",
          "FORMAT" },
        { "compress", 'z', 0, G_OPTION_ARG_NONE, &compress,
          "compress a native output with zstd", NULL },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
          "do not report what each filter changed", NULL },
        { NULL },
    };
    GOptionContext *ctx = subcommand_context("qidl filter", "IN OUT",
        "Rewrite a stream's device state with migration filter rules.",
        entries);
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(GArray) stats = NULL;
    g_auto(Stream) s = { 0 };
    OutputFormat format = FORMAT_NATIVE;
    GError *error = NULL;

    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        return usage_error(ctx, error);
    }
    if (argc != 3 || !rules) {
        g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "filter takes --rules RULES.json and IN OUT");
        return usage_error(ctx, error);
    }
    if (to && !parse_format(to, &format, &error)) {
        return usage_error(ctx, error);
    }
    g_option_context_free(ctx);

    for (char **r = rules; *r; r++) {
        if (!qidl_filter_set_load_rules_file(set, *r, &error)) {
            return fail(error);
        }
    }
    if (!load_stream(argv[1], &s, &error)) {
        return fail(error);
    }
    if (!to) {
        format = s.qemu ? FORMAT_QEMU
                        : s.was_json ? FORMAT_JSON : FORMAT_NATIVE;
    }
    if (!qidl_filter_set_apply(set, s.tree, &stats, &error)) {
        return fail(error);
    }
    if (!quiet) {
        for (guint i = 0; i < stats->len; i++) {
            const QidlFilterStat *st = &g_array_index(stats, QidlFilterStat,
                                                      i);

            g_printerr("qidl filter: %s: matched %u, changed %u\n",
                       qidl_filter_set_get_name(set, i), st->matched,
                       st->changed);
        }
    }
    if (!save_stream(&s, argv[2], format,
                     compress || qidl_stream_info_get_compressed(s.info),
                     &error)) {
        return fail(error);
    }
    return 0;
}

typedef struct {
    GString *out;
    const char *device;
} DiffPrinter;

static void print_difference(const char *path, const QidlNode *a,
                             const QidlNode *b, gpointer user_data)
{
    DiffPrinter *p = user_data;
    g_autofree char *va = a ? qidl_node_format_value(a) : NULL;
    g_autofree char *vb = b ? qidl_node_format_value(b) : NULL;

    g_string_append_printf(p->out, "  %s: %s -> %s\n", path,
                           va ? va : "(absent)", vb ? vb : "(absent)");
}

static QidlNode *find_device(QidlTree *tree, const char *instance_path)
{
    for (QidlNode *dev = qidl_node_get_first_child(qidl_tree_get_root(tree));
         dev; dev = qidl_node_get_next(dev)) {
        if (g_strcmp0(qidl_node_get_instance_path(dev), instance_path) == 0) {
            return dev;
        }
    }
    return NULL;
}

static int cmd_diff(int argc, char **argv)
{
    const GOptionEntry entries[] = { { NULL } };
    GOptionContext *ctx = subcommand_context("qidl diff", "A B",
        "Show which devices and fields differ between two streams, with "
        "both values.\nDevices are matched by instance path. Device state "
        "alone is compared: a QEMU\nstream's RAM is not.", entries);
    g_auto(Stream) a = { 0 };
    g_auto(Stream) b = { 0 };
    g_autoptr(GString) out = g_string_new(NULL);
    GError *error = NULL;
    guint devices = 0, fields = 0;

    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        return usage_error(ctx, error);
    }
    if (argc != 3) {
        g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "diff takes two streams A B");
        return usage_error(ctx, error);
    }
    g_option_context_free(ctx);
    if (!load_stream(argv[1], &a, &error) ||
        !load_stream(argv[2], &b, &error)) {
        return fail(error);
    }

    for (QidlNode *da = qidl_node_get_first_child(qidl_tree_get_root(a.tree));
         da; da = qidl_node_get_next(da)) {
        const char *path = qidl_node_get_instance_path(da);
        QidlNode *db = find_device(b.tree, path);
        g_autoptr(GString) lines = g_string_new(NULL);
        DiffPrinter p = { lines, path };
        guint n;

        if (!db) {
            g_string_append_printf(out, "device %s (%s): only in %s\n", path,
                                   qidl_node_get_type_name(da), argv[1]);
            devices++;
            continue;
        }
        n = qidl_node_compare(da, db, print_difference, &p);
        if (n > 0) {
            g_string_append_printf(out, "device %s (%s): %u difference%s\n",
                                   path, qidl_node_get_type_name(da), n,
                                   n == 1 ? "" : "s");
            g_string_append(out, lines->str);
            devices++;
            fields += n;
        }
    }
    for (QidlNode *db = qidl_node_get_first_child(qidl_tree_get_root(b.tree));
         db; db = qidl_node_get_next(db)) {
        const char *path = qidl_node_get_instance_path(db);

        if (!find_device(a.tree, path)) {
            g_string_append_printf(out, "device %s (%s): only in %s\n", path,
                                   qidl_node_get_type_name(db), argv[2]);
            devices++;
        }
    }
    if (devices == 0 && (a.qemu || b.qemu)) {
        g_string_append(out, "device state is equal (a QEMU stream's RAM is "
                             "not compared)\n");
    } else if (devices == 0) {
        g_string_append(out, "streams are equal\n");
    } else {
        g_string_append_printf(out, "%u device%s differ, %u field "
                               "difference%s\n", devices,
                               devices == 1 ? "" : "s", fields,
                               fields == 1 ? "" : "s");
    }
    if (!write_output("-", out->str, out->len, &error)) {
        return fail(error);
    }
    return devices == 0 ? 0 : EXIT_DIFFERENT;
}


static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "dump", cmd_dump, "print every device's state by name and type" },
    { "convert", cmd_convert, "convert between native, JSON and QEMU forms" },
    { "filter", cmd_filter, "rewrite state with migration filter rules" },
    { "diff", cmd_diff, "show the devices and fields two streams differ in" },
    { "compat", qidl_cmd_compat, "check schemas or a stream for migration compatibility" },
};

static void print_usage(FILE *f)
{
    fprintf(f, "Usage: qidl COMMAND [OPTIONS] ...\n\n"
               "Inspect, convert, filter and compare device-state "
               "streams.\n\nCommands:\n");
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(f, "\nRun 'qidl COMMAND --help' for a command's options.\n"
               "Exit status: 0 success, 1 differences (diff) or breaking "
               "changes (compat),\n2 error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("qidl %s\n", QIDL_VERSION);
        return 0;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    g_printerr("qidl: unknown command '%s'\n", argv[1]);
    print_usage(stderr);
    return EXIT_ERROR;
}
