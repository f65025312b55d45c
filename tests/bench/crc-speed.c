/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crc-speed: the speed of libqidl's CRC-32C (libqidl/crc32c.c) at the sizes
 * the native stream feeds it, for qidl_crc32c__update() and the copying
 * qidl_crc32c__copy().  Built, never run by `meson test`; run it pinned to
 * one core, or the figures swing with whatever else runs:
 *
 *   taskset -c 0 build/tests/bench/crc-speed [batches]
 *
 * Timing: CLOCK_MONOTONIC around a batch of calls, 8 MB of them (100 to
 * 500 us), after a warm-up; the figure is the median of the batches, in
 * bytes per nanosecond.  The calls are independent (no CRC feeds the next
 * call), so this is throughput, not latency.  Two cases:
 *
 * - "in cache": every call on the same buffer, which stays in L1 or L2;
 * - "from memory": each call on the next piece of a 64 MiB arena (and its
 *   copy to the next piece of another), so the bytes come from memory or
 *   L3, as a large state's do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "crc32c.h"

static const gsize sizes[] = {
    64, 256, 1024, 4096, 16384, 65536, 69 * 1024,
};

#define ARENA (64u << 20)

static guint64 now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (guint64)ts.tv_sec * 1000000000u + (guint64)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* One call on the @i-th piece of @len bytes: at offset 0 in cache,
 * moving through the arenas from memory. */
static guint32 call(const guint8 *src, guint8 *dst, gsize len, gboolean copy,
                    gboolean cold, guint i)
{
    gsize at = cold ? (gsize)i * len % (ARENA - len) : 0;

    return copy ? qidl_crc32c__copy(i, dst + at, src + at, len)
                : qidl_crc32c__update(i, src + at, len);
}

/* Bytes per ns of @copy ? qidl_crc32c__copy : qidl_crc32c__update at @len,
 * @cold or not: the median of @batches batches. */
static double measure(const guint8 *src, guint8 *dst, gsize len,
                      gboolean copy, gboolean cold, guint batches)
{
    g_autofree double *rate = g_new(double, batches);
    guint reps = (guint)MAX(4, 8000000 / len);
    volatile guint32 sink = 0;
    guint32 acc = 0;
    guint n = 0;

    for (guint i = 0; i < reps * 4; i++) {
        acc ^= call(src, dst, len, copy, cold, n++);
    }
    for (guint b = 0; b < batches; b++) {
        guint64 t0 = now_ns(), t1;

        for (guint i = 0; i < reps; i++) {
            acc ^= call(src, dst, len, copy, cold, n++);
        }
        t1 = now_ns();
        rate[b] = (double)len * reps / (double)(t1 - t0);
    }
    sink = acc;
    (void)sink;
    qsort(rate, batches, sizeof(*rate), cmp_double);
    return rate[batches / 2];
}

int main(int argc, char **argv)
{
    guint batches = argc > 1 ? (guint)atoi(argv[1]) : 51;
    g_autofree guint8 *src = g_malloc(ARENA);
    g_autofree guint8 *dst = g_malloc(ARENA);

    if (batches == 0) {
        batches = 1;
    }
    for (gsize i = 0; i < ARENA; i++) {
        src[i] = (guint8)(i * 131 + 7);
    }
    /* Every page of @dst present before it is timed. */
    memset(dst, 0, ARENA);
    printf("%8s %25s %25s\n", "", "in cache, B/ns", "from memory, B/ns");
    printf("%8s %12s %12s %12s %12s\n", "bytes", "update", "copy",
           "update", "copy");
    for (gsize s = 0; s < G_N_ELEMENTS(sizes); s++) {
        double u = measure(src, dst, sizes[s], FALSE, FALSE, batches);
        double c = measure(src, dst, sizes[s], TRUE, FALSE, batches);
        double uc = measure(src, dst, sizes[s], FALSE, TRUE, batches);
        double cc = measure(src, dst, sizes[s], TRUE, TRUE, batches);

        printf("%8zu %12.2f %12.2f %12.2f %12.2f\n", sizes[s], u, c, uc,
               cc);
    }
    return 0;
}
