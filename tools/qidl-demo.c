/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-demo: the round trip behind `make demo`.
 *
 * Builds the sample device state of the tests (tests/common/sample.c),
 * saves it with each codec (legacy VMState bytes, the state tree, typed
 * JSON), shows what was produced, loads it back into a fresh Sample,
 * shows the loaded state with the pretty printer and checks that it equals
 * the original exactly.  Exits 0 only if every round trip matched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qidl/json.h>
#include <qidl/legacy.h>
#include <qidl/pretty.h>
#include <qidl/tree.h>

#include "sample.h"

/* Exit status for a bad command line, as opposed to a failed round trip. */
#define EXIT_USAGE 2

/*
 * One codec: saves @saved, appends a human-readable view of what it
 * produced to @shown, and loads that back into @loaded (zeroed by the
 * caller).  Returns FALSE with @error set if saving or loading failed.
 */
typedef gboolean (*RoundTripFunc)(Sample *saved, Sample *loaded,
                                  GString *shown, GError **error);

typedef struct {
    const char *name;       /* as given to --codec */
    const char *title;      /* what the section shows */
    RoundTripFunc roundtrip;
} Codec;

/* Appends a hex dump: offset, 16 bytes in two groups of 8, ASCII. */
static void hex_dump(GString *out, const guint8 *data, gsize len)
{
    for (gsize off = 0; off < len; off += 16) {
        gsize n = MIN(16, len - off);

        g_string_append_printf(out, "%04" G_GSIZE_MODIFIER "x ", off);
        for (gsize i = 0; i < 16; i++) {
            if (i == 8) {
                g_string_append_c(out, ' ');
            }
            if (i < n) {
                g_string_append_printf(out, " %02x", data[off + i]);
            } else {
                g_string_append(out, "   ");
            }
        }
        g_string_append(out, "  |");
        for (gsize i = 0; i < n; i++) {
            guint8 c = data[off + i];

            g_string_append_c(out, g_ascii_isprint(c) ? (char)c : '.');
        }
        g_string_append(out, "|\n");
    }
}

static gboolean legacy_roundtrip(Sample *saved, Sample *loaded,
                                 GString *shown, GError **error)
{
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) out = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(QidlVisitor) in = NULL;

    if (!sample_visit(out, "sample", saved, error) ||
        !qidl_visitor_complete(out, error)) {
        return FALSE;
    }
    g_string_append_printf(shown, "%u bytes: no names, no types; only "
                           "the visit function knows the layout\n",
                           bytes->len);
    hex_dump(shown, bytes->data, bytes->len);

    in = qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0,
                                       QIDL_LEGACY_INPUT_NONE);
    return sample_visit(in, "sample", loaded, error) &&
           qidl_visitor_complete(in, error);
}

static gboolean tree_roundtrip(Sample *saved, Sample *loaded,
                               GString *shown, GError **error)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) out = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(QidlVisitor) in = NULL;
    QidlNode *node;

    if (!sample_visit(out, "sample", saved, error) ||
        !qidl_visitor_complete(out, error)) {
        return FALSE;
    }
    node = qidl_tree_output_visitor_get_result(out);
    g_string_append_printf(shown, "%u typed fields, as qidl_node_print() "
                           "shows them (a tree keeps no\nelement sizes: "
                           "lists show (count)(0))\n",
                           qidl_node_get_n_children(node));
    qidl_node_print(node, shown);

    in = qidl_tree_input_visitor_new(node, QIDL_TREE_INPUT_NONE);
    return sample_visit(in, "sample", loaded, error) &&
           qidl_visitor_complete(in, error);
}

static gboolean json_roundtrip(Sample *saved, Sample *loaded,
                               GString *shown, GError **error)
{
    g_autoptr(JsonNode) json = NULL;
    g_autoptr(QidlVisitor) out = qidl_json_output_visitor_new(&json);
    g_autoptr(JsonNode) parsed = NULL;
    g_autoptr(QidlVisitor) in = NULL;
    g_autofree char *text = NULL;

    if (!sample_visit(out, "sample", saved, error) ||
        !qidl_visitor_complete(out, error)) {
        return FALSE;
    }
    text = qidl_json_to_string(json, TRUE);
    g_string_append_printf(shown, "%zu bytes of typed JSON, loaded back "
                           "from this text\n", strlen(text));
    g_string_append(shown, text);

    /* Load from the text, not the JsonNode: the text must be complete. */
    parsed = qidl_json_parse(text, -1, error);
    if (!parsed) {
        return FALSE;
    }
    in = qidl_json_input_visitor_new(parsed, QIDL_TREE_INPUT_NONE, error);
    return in && sample_visit(in, "sample", loaded, error) &&
           qidl_visitor_complete(in, error);
}

static const Codec codecs[] = {
    { "legacy", "legacy: QEMU's VMState wire bytes", legacy_roundtrip },
    { "tree", "tree: the self-describing state tree", tree_roundtrip },
    { "json", "json: typed JSON", json_roundtrip },
};

/* Pretty-prints @s; the pretty visitor cannot fail on a Sample. */
static char *pretty(Sample *s)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(QidlVisitor) v = qidl_pretty_visitor_new(out);
    g_autoptr(GError) error = NULL;

    if (!sample_visit(v, "sample", s, &error) ||
        !qidl_visitor_complete(v, &error)) {
        g_string_append_printf(out, "(cannot print: %s)\n", error->message);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Prints @text with every line indented by two spaces. */
static void print_indented(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        /* The text ends with a newline: no empty last line. */
        if (!lines[i + 1] && !*lines[i]) {
            break;
        }
        printf("  %s\n", lines[i]);
    }
}

/* Prints the lines where two printouts differ, "-" original, "+" loaded. */
static void print_differences(const char *original, const char *loaded)
{
    g_auto(GStrv) a = g_strsplit(original, "\n", -1);
    g_auto(GStrv) b = g_strsplit(loaded, "\n", -1);
    guint na = g_strv_length(a);
    guint nb = g_strv_length(b);

    for (guint i = 0; i < MAX(na, nb); i++) {
        const char *la = i < na ? a[i] : "";
        const char *lb = i < nb ? b[i] : "";

        if (strcmp(la, lb) != 0) {
            if (*la) {
                printf("  - %s\n", la);
            }
            if (*lb) {
                printf("  + %s\n", lb);
            }
        }
    }
}

/*
 * Runs one codec's round trip on @original and reports it unless @quiet.
 * Returns TRUE if the loaded state equals @original exactly.
 */
static gboolean run_codec(const Codec *codec, Sample *original,
                          gboolean quiet)
{
    g_autoptr(GString) shown = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    Sample loaded = { 0 };
    gboolean ok;
    gboolean equal;

    ok = codec->roundtrip(original, &loaded, shown, &error);
    equal = ok && sample_equal(original, &loaded);

    if (!quiet) {
        printf("== %s ==\n", codec->title);
        if (shown->len) {
            printf("Saved:\n");
            print_indented(shown->str);
        }
        if (ok) {
            after = pretty(&loaded);
            printf("Loaded back into a fresh Sample:\n");
            print_indented(after);
        }
        if (!ok) {
            printf("Result: FAILED: %s\n\n", error->message);
        } else if (equal) {
            printf("Result: match, the loaded state equals the "
                   "original\n\n");
        } else {
            before = pretty(original);
            printf("Result: MISMATCH, the loaded state differs "
                   "(- original, + loaded):\n");
            print_differences(before, after);
            printf("\n");
        }
    }
    sample_clear(&loaded);
    return equal;
}

int main(int argc, char **argv)
{
    g_autofree char *codec_arg = NULL;
    gboolean quiet = FALSE;
    const GOptionEntry entries[] = {
        { "codec", 'c', 0, G_OPTION_ARG_STRING, &codec_arg,
          "Which codec to round-trip: legacy, tree, json or all "
          "(default: all)", "CODEC" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
          "Print only the summary line", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) context = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) failed = g_ptr_array_new();
    g_autoptr(GString) names = g_string_new(NULL);
    g_autofree char *failed_list = NULL;
    guint run = 0;
    Sample original;

    context = g_option_context_new("- save device state with every codec "
                                   "and load it back");
    g_option_context_add_main_entries(context, entries, NULL);
    g_option_context_set_description(context,
        "The state is the test fixture Sample (tests/common/sample.c).\n"
        "Exit status: 0 if every round trip gave back exactly the saved\n"
        "state, 1 if one did not, 2 for a bad command line.");
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        fprintf(stderr, "qidl-demo: %s\nTry 'qidl-demo --help'.\n",
                error->message);
        return EXIT_USAGE;
    }
    if (argc > 1) {
        fprintf(stderr, "qidl-demo: unexpected argument '%s'\n"
                "Try 'qidl-demo --help'.\n", argv[1]);
        return EXIT_USAGE;
    }
    if (!codec_arg) {
        codec_arg = g_strdup("all");
    }
    if (strcmp(codec_arg, "all") != 0) {
        gboolean known = FALSE;

        for (gsize i = 0; i < G_N_ELEMENTS(codecs); i++) {
            known |= strcmp(codec_arg, codecs[i].name) == 0;
        }
        if (!known) {
            fprintf(stderr, "qidl-demo: unknown codec '%s' (expected "
                    "legacy, tree, json or all)\n", codec_arg);
            return EXIT_USAGE;
        }
    }

    sample_init(&original);
    if (!quiet) {
        printf("QIDL round-trip demo\n"
               "The sample device state (every scalar kind, strings, "
               "bytes, a nested struct,\n"
               "arrays of scalars and of structs, a 2-D array, a sized "
               "FIFO, optional fields)\n"
               "is saved with each codec, loaded back into a fresh "
               "Sample and compared\n"
               "field by field with the original.\n\n");
    }
    for (gsize i = 0; i < G_N_ELEMENTS(codecs); i++) {
        if (strcmp(codec_arg, "all") != 0 &&
            strcmp(codec_arg, codecs[i].name) != 0) {
            continue;
        }
        run++;
        g_string_append_printf(names, "%s%s", names->len ? ", " : "",
                               codecs[i].name);
        if (!run_codec(&codecs[i], &original, quiet)) {
            g_ptr_array_add(failed, (gpointer)codecs[i].name);
        }
    }
    sample_clear(&original);

    if (failed->len == 0) {
        printf("Summary: %u of %u round trips matched exactly (%s)\n", run,
               run, names->str);
        return EXIT_SUCCESS;
    }
    printf("Summary: %u of %u round trips matched exactly (%s)\n",
           run - failed->len, run, names->str);
    g_ptr_array_add(failed, NULL);
    failed_list = g_strjoinv(", ", (char **)failed->pdata);
    fprintf(stderr, "qidl-demo: round trip FAILED for: %s\n", failed_list);
    return EXIT_FAILURE;
}
