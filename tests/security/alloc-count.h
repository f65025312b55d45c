/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A counting allocator for tests of hostile input: how much a decoder
 * allocates for an input of a given size.
 *
 * GLib 2.74 has no g_mem_set_vtable(), so the counter interposes malloc,
 * calloc, realloc, free and the aligned allocators of the C library in the
 * test program itself (alloc-count.c); GLib, json-glib, zstd and libqidl
 * all allocate through them.  Under AddressSanitizer (or any sanitizer
 * that owns malloc) the interposer is not built and alloc_count_available()
 * is FALSE: tests then skip the counting assertions, not the test, and say
 * so in their output.
 *
 * Counting is off until alloc_count_start() and only counts the calling
 * thread's allocations in between; free() of a counted block counts
 * whatever thread frees it, which the single-threaded tests do not mind.
 */
#ifndef QIDL_TESTS_ALLOC_COUNT_H
#define QIDL_TESTS_ALLOC_COUNT_H

#include <glib.h>

typedef struct {
    gsize largest;      /* the largest single request */
    gsize peak;         /* the most bytes live at once, above the start */
    gsize total;        /* every byte requested */
    guint64 calls;      /* allocation calls */
} AllocCount;

/* TRUE when the interposer is built (no sanitizer owns malloc). */
gboolean alloc_count_available(void);

/* Starts counting the calling thread's allocations from zero. */
void alloc_count_start(void);

/* Stops counting and returns what was counted. */
AllocCount alloc_count_stop(void);

#endif /* QIDL_TESTS_ALLOC_COUNT_H */
