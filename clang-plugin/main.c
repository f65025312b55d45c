/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-extract: the command line
 *
 *   qidl-extract SOURCE -o OUTDIR [-p BUILDDIR] [--depfile FILE] -- ARGS...
 *
 * Runs the stages in order (parse, check, emit) and writes
 * OUTDIR/<stem>.qidl.c, .qidl.h and .qidl.json, each only if its content
 * changed, so ninja does not rebuild what depends on an unchanged output.
 * Errors are printed as `file:line:col: error: message`, all of them, then
 * the tool exits with status 1 and writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clang-c/CXCompilationDatabase.h>
#include <clang-c/Index.h>

#include "model.h"

#ifndef QE_QIDL_SOURCE_INCLUDE
#define QE_QIDL_SOURCE_INCLUDE ""
#endif
#ifndef QE_GLIB_INCLUDES
#define QE_GLIB_INCLUDES ""
#endif
#ifndef QE_RESOURCE_DIR
#define QE_RESOURCE_DIR ""
#endif

static const char summary[] =
    "Reads the structs of SOURCE annotated with QIDL_STRUCT()/QIDL() "
    "(libqidl/include/qidl/qidl.h)\n"
    "and writes, in OUTDIR:\n"
    "  <stem>.qidl.c     visit functions, atomic loaders, release functions,\n"
    "                    field tables and property tables\n"
    "  <stem>.qidl.h     their declarations (includes SOURCE)\n"
    "  <stem>.qidl.json  the schema (names, C types, wire kinds, sizes,\n"
    "                    capacities, annotations, versions)\n"
    "<stem> is SOURCE's file name without its extension.  A file is only\n"
    "rewritten when its content changes.\n"
    "\n"
    "Arguments after -- are passed to clang as compile flags (-I, -D, -std,\n"
    "...); with -p they are added after the flags compile_commands.json has\n"
    "for SOURCE (for a header: for the .c file of the same name in the same\n"
    "directory, else for any file in that directory, else the first entry).\n"
    "\n"
    "Errors are reported as FILE:LINE:COL: error: MESSAGE, clang's format,\n"
    "every one of them; any clang error in the translation unit is an error.\n"
    "Exit status: 0 on success, 1 on errors, 2 on bad usage.";

typedef struct {
    char *outdir;       /* all owned, freed by options_clear() */
    char *builddir;
    char *depfile;
    char *depfile_target;
    char *stem;
    char *include;
    gboolean skip_bodies;
} Options;

static void options_clear(Options *o)
{
    g_free(o->outdir);
    g_free(o->builddir);
    g_free(o->depfile);
    g_free(o->depfile_target);
    g_free(o->stem);
    g_free(o->include);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

/* Options that take a value, as clang spells them joined or separate. */
static const char *const path_opts[] = {
    "-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros",
};

static gboolean keep_flag(const char *arg)
{
    static const char *const prefixes[] = {
        "-D", "-U", "-std=", "-f", "-m", "--sysroot", "-target", "--target",
        "-nostdinc",
    };

    if (g_str_has_prefix(arg, "-fsanitize") ||
        g_str_has_prefix(arg, "-fdiagnostics") ||
        g_str_has_prefix(arg, "-fprofile")) {
        return FALSE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        if (g_str_has_prefix(arg, prefixes[i])) {
            return TRUE;
        }
    }
    return FALSE;
}

static char *absolute_in(const char *dir, const char *path)
{
    if (g_path_is_absolute(path)) {
        return g_strdup(path);
    }
    return g_canonicalize_filename(path, dir);
}

/* Appends the flags of @cmd that affect parsing, paths made absolute. */
static void add_command_flags(CXCompileCommand cmd, GPtrArray *args)
{
    CXString dirs = clang_CompileCommand_getDirectory(cmd);
    const char *dir = clang_getCString(dirs);
    unsigned n = clang_CompileCommand_getNumArgs(cmd);

    for (unsigned i = 1; i < n; i++) {
        CXString s = clang_CompileCommand_getArg(cmd, i);
        const char *a = clang_getCString(s);
        gboolean done = FALSE;

        for (gsize k = 0; k < G_N_ELEMENTS(path_opts) && !done; k++) {
            const char *o = path_opts[k];

            if (strcmp(a, o) == 0 && i + 1 < n) {
                CXString v = clang_CompileCommand_getArg(cmd, ++i);

                g_ptr_array_add(args, g_strdup(o));
                g_ptr_array_add(args, absolute_in(dir, clang_getCString(v)));
                clang_disposeString(v);
                done = TRUE;
            } else if (g_str_has_prefix(a, o) && strlen(a) > strlen(o) &&
                       strcmp(o, "-I") == 0) {
                g_autofree char *p = absolute_in(dir, a + 2);

                g_ptr_array_add(args, g_strdup_printf("-I%s", p));
                done = TRUE;
            }
        }
        if (!done && keep_flag(a)) {
            g_ptr_array_add(args, g_strdup(a));
        }
        clang_disposeString(s);
    }
    clang_disposeString(dirs);
}

static char *command_file(CXCompileCommand cmd)
{
    CXString f = clang_CompileCommand_getFilename(cmd);
    CXString d = clang_CompileCommand_getDirectory(cmd);
    char *path = absolute_in(clang_getCString(d), clang_getCString(f));

    clang_disposeString(f);
    clang_disposeString(d);
    return path;
}

static char *stem_of(const char *path)
{
    g_autofree char *base = g_path_get_basename(path);
    char *dot = strrchr(base, '.');

    if (dot && dot != base) {
        *dot = '\0';
    }
    return g_strdup(base);
}

/* Reads the compile flags for @source from BUILDDIR/compile_commands.json. */
static gboolean flags_from_database(const char *builddir, const char *source,
                                    GPtrArray *args)
{
    CXCompilationDatabase_Error err;
    CXCompilationDatabase db =
        clang_CompilationDatabase_fromDirectory(builddir, &err);
    g_autofree char *abs = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *stem = NULL;
    CXCompileCommands all;
    CXCompileCommand best = NULL;
    int best_score = 0;

    if (err != CXCompilationDatabase_NoError || !db) {
        fprintf(stderr, "qidl-extract: error: cannot read %s/"
                "compile_commands.json\n", builddir);
        return FALSE;
    }
    {
        g_autofree char *cwd = g_get_current_dir();

        abs = absolute_in(cwd, source);
    }
    dir = g_path_get_dirname(abs);
    stem = stem_of(abs);
    all = clang_CompilationDatabase_getAllCompileCommands(db);
    for (unsigned i = 0; i < clang_CompileCommands_getSize(all); i++) {
        CXCompileCommand cmd = clang_CompileCommands_getCommand(all, i);
        g_autofree char *file = command_file(cmd);
        g_autofree char *fdir = g_path_get_dirname(file);
        g_autofree char *fstem = stem_of(file);
        int score = 1;

        if (strcmp(file, abs) == 0) {
            score = 4;
        } else if (strcmp(fdir, dir) == 0 && strcmp(fstem, stem) == 0) {
            score = 3;
        } else if (strcmp(fdir, dir) == 0) {
            score = 2;
        }
        if (score > best_score) {
            best = cmd;
            best_score = score;
        }
    }
    if (best) {
        add_command_flags(best, args);
    }
    clang_CompileCommands_dispose(all);
    clang_CompilationDatabase_dispose(db);
    return TRUE;
}

/*
 * Where <qidl/qidl.h> is: $QIDL_INCLUDE_DIR, else next to the executable
 * (an installed tool: <prefix>/bin/../include, which also holds under a
 * DESTDIR), else the source tree this tool was built from.
 */
static char *find_qidl_include(void)
{
    const char *env = g_getenv("QIDL_INCLUDE_DIR");
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *bindir = exe ? g_path_get_dirname(exe) : NULL;
    g_autofree char *rel = bindir ? g_build_filename(bindir, "..", "include",
                                                     NULL) : NULL;
    const char *candidates[] = { env, rel, QE_QIDL_SOURCE_INCLUDE };

    for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
        g_autofree char *h = NULL;

        if (!candidates[i] || !*candidates[i]) {
            continue;
        }
        h = g_build_filename(candidates[i], "qidl", "qidl.h", NULL);
        if (g_file_test(h, G_FILE_TEST_EXISTS)) {
            return g_canonicalize_filename(candidates[i], NULL);
        }
    }
    return NULL;
}

static gboolean write_if_changed(const char *path, const GString *text)
{
    g_autofree char *old = NULL;
    gsize len;
    g_autoptr(GError) error = NULL;

    if (g_file_get_contents(path, &old, &len, NULL) && len == text->len &&
        memcmp(old, text->str, len) == 0) {
        return TRUE;
    }
    if (!g_file_set_contents(path, text->str, text->len, &error)) {
        fprintf(stderr, "qidl-extract: error: %s\n", error->message);
        return FALSE;
    }
    return TRUE;
}

int main(int argc, char **argv)
{
    g_auto(Options) o = { 0 };
    GOptionEntry entries[] = {
        { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.outdir,
          "Write the outputs in OUTDIR (required)", "OUTDIR" },
        { "build-dir", 'p', 0, G_OPTION_ARG_FILENAME, &o.builddir,
          "Read compile flags from BUILDDIR/compile_commands.json",
          "BUILDDIR" },
        { "depfile", 0, 0, G_OPTION_ARG_FILENAME, &o.depfile,
          "Write a Makefile-syntax depfile listing every file read",
          "FILE" },
        { "depfile-target", 0, 0, G_OPTION_ARG_FILENAME, &o.depfile_target,
          "The target named in the depfile (default: OUTDIR/<stem>.qidl.c)",
          "PATH" },
        { "stem", 0, 0, G_OPTION_ARG_STRING, &o.stem,
          "Name the outputs STEM.qidl.* (default: SOURCE's name)", "STEM" },
        { "include", 0, 0, G_OPTION_ARG_STRING, &o.include,
          "How <stem>.qidl.h includes SOURCE: #include \"NAME\" (default: "
          "SOURCE's file name; \"\" for none)", "NAME" },
        { "skip-function-bodies", 0, 0, G_OPTION_ARG_NONE, &o.skip_bodies,
          "Do not parse function bodies (faster; errors inside them go "
          "unreported)", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("SOURCE -o OUTDIR [-- CLANG_ARGS...]");
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) clang_args = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(QeModel) model = NULL;
    g_autofree char *source_name = NULL;
    g_autofree char *include = NULL;
    int own_argc = argc;
    QeDiag diag = { 0 };
    QeParseOptions popts = { 0 };
    QeEmitOptions eopts = { 0 };
    const char *source;
    int status = 0;

    /* Everything after "--" belongs to clang. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            own_argc = i;
            break;
        }
    }
    g_option_context_set_summary(ctx, summary);
    g_option_context_add_main_entries(ctx, entries, NULL);
    {
        int n = own_argc;

        if (!g_option_context_parse(ctx, &n, &argv, &error)) {
            fprintf(stderr, "qidl-extract: %s (try --help)\n", error->message);
            return 2;
        }
        if (n != 2 || !o.outdir) {
            fprintf(stderr, "qidl-extract: need exactly one SOURCE and -o "
                    "OUTDIR (try --help)\n");
            return 2;
        }
        source = argv[1];
        /* g_option_context_parse compacted argv[0..n); the clang
         * arguments still follow the "--" at their original place. */
    }

    if (o.builddir && !flags_from_database(o.builddir, source, clang_args)) {
        return 1;
    }
    for (int i = own_argc + 1; i < argc; i++) {
        g_ptr_array_add(clang_args, g_strdup(argv[i]));
    }
    /* After the caller's flags, so theirs win: qidl.h and glib, which
     * every annotated header needs. */
    {
        g_autofree char *inc = find_qidl_include();
        g_auto(GStrv) glib = g_strsplit(QE_GLIB_INCLUDES, " ", -1);

        if (inc) {
            g_ptr_array_add(clang_args, g_strdup_printf("-I%s", inc));
        }
        for (guint i = 0; glib[i]; i++) {
            if (*glib[i]) {
                g_ptr_array_add(clang_args, g_strdup(glib[i]));
            }
        }
    }
    /* libclang looks for its builtin headers next to itself, where
     * Debian's layout does not put them: name the directory, unless the
     * caller did. */
    if (QE_RESOURCE_DIR[0] != '\0') {
        gboolean given = FALSE;

        for (int i = own_argc + 1; i < argc; i++) {
            given |= strcmp(argv[i], "-resource-dir") == 0;
        }
        if (!given) {
            g_ptr_array_add(clang_args, g_strdup("-resource-dir"));
            g_ptr_array_add(clang_args, g_strdup(QE_RESOURCE_DIR));
        }
    }

    popts.source = source;
    popts.clang_args = (const char *const *)clang_args->pdata;
    popts.n_clang_args = (int)clang_args->len;
    popts.skip_bodies = o.skip_bodies;
    model = qe_parse(&popts, &diag);
    if (model && diag.n_errors == 0) {
        qe_check(model, &diag);
    }
    if (diag.n_errors > 0 || !model) {
        return 1;
    }

    source_name = g_path_get_basename(source);
    include = o.include ? g_strdup(o.include) : g_strdup(source_name);
    eopts.stem = o.stem ? o.stem : NULL;
    {
        g_autofree char *stem = o.stem ? g_strdup(o.stem) : stem_of(source);
        g_autofree char *c_path = g_strdup_printf("%s/%s.qidl.c", o.outdir,
                                                  stem);
        g_autofree char *h_path = g_strdup_printf("%s/%s.qidl.h", o.outdir,
                                                  stem);
        g_autofree char *j_path = g_strdup_printf("%s/%s.qidl.json",
                                                  o.outdir, stem);
        GString *c, *h, *j;

        eopts.stem = stem;
        eopts.include = include;
        eopts.source_name = source_name;
        if (g_mkdir_with_parents(o.outdir, 0777) != 0) {
            fprintf(stderr, "qidl-extract: error: cannot create %s\n",
                    o.outdir);
            return 1;
        }
        h = qe_emit_header(model, &eopts);
        c = qe_emit_source(model, &eopts);
        j = qe_emit_schema(model, &eopts);
        if (!write_if_changed(h_path, h) || !write_if_changed(c_path, c) ||
            !write_if_changed(j_path, j)) {
            status = 1;
        }
        if (status == 0 && o.depfile) {
            GString *d = qe_emit_depfile(model, o.depfile_target ?
                                         o.depfile_target : c_path);

            if (!write_if_changed(o.depfile, d)) {
                status = 1;
            }
            g_string_free(d, TRUE);
        }
        g_string_free(h, TRUE);
        g_string_free(c, TRUE);
        g_string_free(j, TRUE);
    }
    return status;
}
