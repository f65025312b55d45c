/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every fuzz harness shares.
 *
 * A harness (fuzz-<decoder>.c) defines LLVMFuzzerTestOneInput(): it hands
 * one input to one decoder of libqidl and checks what the decoder promises
 * besides not crashing (a failed load leaves the object unchanged, what
 * was read writes back the same).  A broken promise is abort(), which
 * both libFuzzer and the replay main (replay.c) report with the input.
 *
 * Built two ways (tests/fuzz/meson.build): with clang and
 * -Dfuzzing=true as a libFuzzer binary (fuzz-<decoder>); always as
 * fuzz-<decoder>-replay, the harness with replay.c's main, which
 * `meson test --suite fuzz` runs over corpus/<decoder>/ with any compiler.
 */
#ifndef QIDL_TESTS_FUZZ_H
#define QIDL_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with a message: a decoder broke a promise. */
#define FUZZ_CHECK(cond, ...)                                                \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);               \
            fprintf(stderr, __VA_ARGS__);                                    \
            fprintf(stderr, "\n");                                           \
            abort();                                                         \
        }                                                                    \
    } while (0)

/*
 * Whether a broken promise is a known, reported bug (docs/security.md,
 * "Findings") that should not stop this run: TRUE only when @is_known and
 * the environment has QIDL_FUZZ_KNOWN_BUGS=1, which long fuzz runs set so
 * that one known bug does not hide the others.  The bug's committed
 * reproducer (corpus/<decoder>/crash-<why>) keeps failing the replay,
 * which never sets it, until the bug is fixed.
 */
static inline gboolean fuzz_known_bug(gboolean is_known)
{
    return is_known && g_strcmp0(g_getenv("QIDL_FUZZ_KNOWN_BUGS"), "1") == 0;
}

/*
 * Criticals (g_return_val_if_fail) are programming errors: no input may
 * cause one, so they abort.  Called by every harness's initializer.
 */
static inline void fuzz_init(void)
{
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                           G_LOG_LEVEL_ERROR);
}

#endif /* QIDL_TESTS_FUZZ_H */
