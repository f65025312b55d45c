/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The replay main: feeds every file named on the command line, and every
 * file below every directory named (in name order), to the harness it is
 * linked with, once each.  `meson test --suite fuzz` runs it over the
 * committed corpora, so every input that ever crashed a decoder stays a
 * test in every build, with gcc too and under ASan.  Each file runs in a
 * child process, one TAP line each, so that an input that crashes or
 * breaks a promise (abort()) fails its own line and the others still run.
 */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

/* Harnesses that need no initialisation do not define it. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

static int compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect(const char *path, GPtrArray *files)
{
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GPtrArray) names = NULL;
    const char *name;

    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_ptr_array_add(files, g_strdup(path));
        return;
    }
    dir = g_dir_open(path, 0, NULL);
    if (!dir) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        exit(2);
    }
    names = g_ptr_array_new_with_free_func(g_free);
    while ((name = g_dir_read_name(dir))) {
        if (name[0] != '.') {
            g_ptr_array_add(names, g_build_filename(path, name, NULL));
        }
    }
    if (names->len > 0) {
        qsort(names->pdata, names->len, sizeof(gpointer), compare);
    }
    for (guint i = 0; i < names->len; i++) {
        collect(names->pdata[i], files);
    }
}

int main(int argc, char **argv)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    gsize bytes = 0;
    guint failed = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        collect(argv[i], files);
    }
    printf("1..%u\n", files->len);
    fflush(stdout);
    for (guint i = 0; i < files->len; i++) {
        const char *file = files->pdata[i];
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        g_autofree char *data = NULL;
        gsize len;
        g_autoptr(GError) error = NULL;
        pid_t pid;
        int status;

        if (!g_file_get_contents(file, &data, &len, &error)) {
            printf("not ok %u - %s: %s\n", i + 1, file, error->message);
            failed++;
            continue;
        }
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            /* An exact-size copy, so ASan sees reads past the end. */
            guint8 *copy = g_malloc(len ? len : 1);

            fprintf(stderr, "# %s\n", file);
            memcpy(copy, data, len);
            LLVMFuzzerTestOneInput(copy, len);
            g_free(copy);
            fflush(stderr);
            _exit(0);
        }
        if (waitpid(pid, &status, 0) != pid) {
            perror("waitpid");
            return 2;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            printf("ok %u - %s\n", i + 1, base);
        } else {
            printf("not ok %u - %s (%s %d)\n", i + 1, base,
                   WIFSIGNALED(status) ? "signal" : "exit status",
                   WIFSIGNALED(status) ? WTERMSIG(status)
                                       : WEXITSTATUS(status));
            failed++;
        }
        bytes += len;
        fflush(stdout);
    }
    printf("# %u inputs, %zu bytes, %u failed\n", files->len, bytes, failed);
    return failed ? 1 : 0;
}
