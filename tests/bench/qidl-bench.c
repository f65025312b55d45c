/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-bench: QIDL's codecs against the peers a user would pick instead,
 * and qidl-extract against `clang -fsyntax-only`, in one run (bench.h).
 *
 *   qidl-bench                 every workload, codec and operation; a table
 *   qidl-bench --json          one JSON object per measurement instead
 *   qidl-bench --quick         few iterations, no 100x workload, and every
 *                              codec's round trip checked exactly; exits
 *                              non-zero if one fails (the 'bench' test)
 *
 * Timing: CLOCK_MONOTONIC around a batch of operations (enough of them for
 * --min-ms), after a warm-up; the figure is the median of --runs batches.
 * Within a workload the batches of every codec and operation are taken
 * round by round, interleaved (each round one batch of each, after one
 * untimed operation of its own), so that a ratio such as native / legacy
 * compares batches from the same minutes.
 * Operations: encode (device objects -> bytes), decode (bytes -> device
 * objects; starts by releasing the lists the previous decode built),
 * copy (the memcpy floor).
 *
 * Instructions: where Linux lets the program count them (perf_event_open(),
 * the instructions retired in user space), each batch is also counted, and
 * the median per operation goes with the time ("instructions_per_op" in
 * --json, the scaling table's "instr" ratios).  Unlike the time, the count
 * does not depend on the caches or on what else the host runs, so it tells
 * whether the work itself scales.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/perf_event.h>
#include <sys/syscall.h>
#endif

#include <glib/gstdio.h>

#include "bench.h"

#ifndef QIDL_EXTRACT_PATH
#error "QIDL_EXTRACT_PATH must name qidl-extract"
#endif

typedef struct {
    gboolean quick;
    gboolean json;
    gint runs;
    gint min_ms;
    gint max_ms;
    char **workloads;
    char **codecs;
    char **ops;
    gboolean no_extract;
    gboolean no_scaling;
    gint extract_rounds;
} Options;

typedef struct {
    const char *workload;
    const char *codec;
    const char *op;
    double ns;
    double instr;               /* instructions per operation; < 0: none */
    gsize bytes;
    guint runs;
} Result;

static Options opts = {
    .runs = 11, .min_ms = 5, .max_ms = 3000, .extract_rounds = 5,
};
static GArray *results;         /* Result */
static guint failures;
/* The counter of instructions (instr_open()), or -1 with the reason. */
static int instr_fd = -1;
static const char *instr_why = "not opened";

static const BenchCodec *const codecs[] = {
    &bench_codec_memcpy,
    &bench_codec_legacy,
    &bench_codec_native,
    &bench_codec_native_once,
    &bench_codec_native_tree,
    &bench_codec_tree_filters,
    &bench_codec_json,
#ifdef HAVE_PROTOBUF
    &bench_codec_protobuf,
#endif
#ifdef HAVE_MSGPACK
    &bench_codec_msgpack,
#endif
#ifdef HAVE_CBOR
    &bench_codec_cbor,
#endif
    &bench_codec_gvariant,
    &bench_codec_jsonglib,
};

static const char *const missing_peers[] = {
#ifndef HAVE_PROTOBUF
    "protobuf (libprotobuf-c-dev, protobuf-c-compiler)",
#endif
#ifndef HAVE_MSGPACK
    "msgpack (libmsgpack-dev)",
#endif
#ifndef HAVE_CBOR
    "cbor (libcbor-dev)",
#endif
    NULL,
};

static gint64 now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Opens the counter of the instructions this process retires in user
 * space, if the system lets it (perf_event_paranoid, a PMU in the VM).
 */
static void instr_open(void)
{
#ifdef __linux__
    struct perf_event_attr a;

    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = PERF_TYPE_HARDWARE;
    a.config = PERF_COUNT_HW_INSTRUCTIONS;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
                    PERF_FORMAT_TOTAL_TIME_RUNNING;
    instr_fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1,
                            PERF_FLAG_FD_CLOEXEC);
    if (instr_fd < 0) {
        instr_why = g_strerror(errno);
    }
#else
    instr_why = "needs Linux's perf_event_open()";
#endif
}

/*
 * The counter's value and the ns it was enabled and running (they differ
 * when the kernel shared the hardware counter with other events); FALSE
 * if there is no counter.
 */
static gboolean instr_read(guint64 v[3])
{
    return instr_fd >= 0 &&
           read(instr_fd, v, 3 * sizeof(guint64)) ==
           (ssize_t)(3 * sizeof(guint64));
}

static gboolean selected(char **list, const char *name)
{
    return !list || g_strv_contains((const char *const *)list, name);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* ---- timing ---------------------------------------------------------------- */

typedef struct {
    BenchWorkload *w;
    const BenchCodec *codec;
    GByteArray *out;            /* encode's output */
    const guint8 *data;         /* decode's input */
    gsize len;
    GError *error;
} OpCtx;

typedef gboolean (*OpFunc)(OpCtx *c);

static gboolean op_encode(OpCtx *c)
{
    g_byte_array_set_size(c->out, 0);
    return c->codec->encode(c->w, c->out, &c->error);
}

static gboolean op_decode(OpCtx *c)
{
    bench_workload_release_dst(c->w);
    return c->codec->decode(c->w, c->data, c->len, &c->error);
}

/*
 * Runs @fn @n times; returns the ns it took, or -1 on failure.  If
 * @instr is not NULL, sets it to the instructions the batch retired, or
 * to -1 if they were not counted, or not all the time.
 */
static gint64 batch(OpFunc fn, OpCtx *c, guint n, gint64 *instr)
{
    guint64 c0[3], c1[3];
    gboolean counted = instr && instr_read(c0);
    gint64 t0 = now_ns(), t;

    for (guint i = 0; i < n; i++) {
        if (!fn(c)) {
            return -1;
        }
    }
    t = now_ns() - t0;
    if (instr) {
        *instr = counted && instr_read(c1) &&
                 c1[1] - c0[1] == c1[2] - c0[2] ? (gint64)(c1[0] - c0[0])
                                                : -1;
    }
    return t;
}

static void record(const char *workload, const char *codec, const char *op,
                   double ns, double instr, gsize bytes, guint runs)
{
    Result r = { workload, codec, op, ns, instr, bytes, runs };

    g_array_append_val(results, r);
    if (opts.json) {
        printf("{\"workload\": \"%s\", \"codec\": \"%s\", \"op\": \"%s\", "
               "\"ns_per_op\": %.0f, \"bytes\": %" G_GSIZE_FORMAT
               ", \"runs\": %u", workload, codec, op, ns, bytes, runs);
        if (instr >= 0) {
            printf(", \"instructions_per_op\": %.0f", instr);
        }
        printf("}\n");
        fflush(stdout);
    }
}

/*
 * One measurement: an operation of one codec on the workload, timed one
 * batch of @n operations per round, the rounds of all measurements of the
 * workload interleaved (run_workload()).
 */
typedef struct {
    OpCtx *c;                   /* the codec's, shared by its operations */
    const char *op;             /* "encode", "decode" or "copy" */
    OpFunc fn;
    gsize bytes;
    guint n;                    /* operations per batch */
    double *samples;            /* ns per operation, one per batch */
    double *instr;              /* instructions per operation, likewise */
    guint runs;                 /* samples taken */
    gboolean uncounted;         /* a batch's instructions were not counted */
    gint64 spent;               /* ns in timed batches */
    gboolean active;            /* still takes part in the rounds */
    gboolean failed;
} Measurement;

/* Reports that @m failed; it takes no further part and records nothing. */
static void drop(Measurement *m)
{
    OpCtx *c = m->c;

    g_printerr("qidl-bench: %s %s %s: %s\n", c->w->name, c->codec->name,
               m->op, c->error ? c->error->message : "failed");
    g_clear_error(&c->error);
    failures++;
    m->active = FALSE;
    m->failed = TRUE;
}

/* Warm-up, which also tells how many operations make a batch. */
static gboolean warm_up(Measurement *m)
{
    gint64 t;

    m->n = 1;
    if ((t = batch(m->fn, m->c, 1, NULL)) < 0) {
        return FALSE;
    }
    if (!opts.quick) {
        gint64 warm = now_ns();

        while (now_ns() - warm < 20 * 1000000 && t < 20 * 1000000) {
            if (batch(m->fn, m->c, 1, NULL) < 0) {
                return FALSE;
            }
        }
        if ((t = batch(m->fn, m->c, 1, NULL)) < 0) {
            return FALSE;
        }
        m->n = (guint)MAX(1, (gint64)opts.min_ms * 1000000 / MAX(t, 1));
    }
    return TRUE;
}

/*
 * Times one batch of @m, its sample of this round; @m stops taking part
 * once it has --runs samples, or 3 and more than --max-ms spent.
 *
 * One operation of @m's own runs first, untimed (not in --quick, which
 * has no warm-up either): the measurement before @m in the round leaves
 * behind state that @m's first operation would otherwise pay for, and
 * that a run of @m's own never met.  malloc's: the small blocks it freed
 * wait in glibc's fastbins until a large allocation consolidates them,
 * so after a json batch on "big" a protobuf encode, whose arena blocks
 * are large, took 5 ms instead of 0.8.  The destination objects:
 * tree+filters decodes into the destination build, yet its op_decode()
 * releases the destination objects, which the decode before it filled.
 * The caches, in part: machine-100x's state fits in L3 but takes more
 * than one operation to settle there, so its batches still run some
 * 5-20 % slower than in a run of their own.
 */
static gboolean sample(Measurement *m)
{
    gint64 t, instr;

    if (!opts.quick && batch(m->fn, m->c, 1, NULL) < 0) {
        return FALSE;
    }
    if ((t = batch(m->fn, m->c, m->n, &instr)) < 0) {
        return FALSE;
    }
    m->uncounted |= instr < 0;
    m->instr[m->runs] = (double)instr / m->n;
    m->samples[m->runs++] = (double)t / m->n;
    m->spent += t;
    if (m->runs >= (guint)opts.runs ||
        (m->runs >= 3 && m->spent > (gint64)opts.max_ms * 1000000)) {
        m->active = FALSE;
    }
    return TRUE;
}

/* The median of the @n values at @v, which it sorts. */
static double median(double *v, guint n)
{
    qsort(v, n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Records the medians of @m's samples, as workload @label. */
static void record_median(Measurement *m, const char *label)
{
    record(label, m->c->codec->name, m->op, median(m->samples, m->runs),
           m->uncounted ? -1 : median(m->instr, m->runs), m->bytes,
           m->runs);
}

/* ---- one workload ---------------------------------------------------------- */

/*
 * Encodes again, which must give the first encode's bytes (a codec that
 * keeps state between operations, as the native one's reset writer does,
 * must not let it show); decodes into scrambled destinations and checks
 * them, twice (the second time through what the first left, as the
 * timed decodes run).
 */
static gboolean round_trip(OpCtx *c)
{
    const BenchCodec *codec = c->codec;
    BenchWorkload *w = c->w;
    g_autoptr(GByteArray) again = g_byte_array_new();

    if (!codec->encode(w, again, &c->error)) {
        return FALSE;
    }
    if (again->len != c->len || memcmp(again->data, c->data, c->len) != 0) {
        return bench_fail(&c->error, "a second encode gave other bytes");
    }
    for (guint i = 0; i < 2; i++) {
        bench_workload_scramble_dst(w);
        bench_workload_release_dst(w);
        if (!codec->decode(w, c->data, c->len, &c->error)) {
            return FALSE;
        }
        if (codec->flags & BENCH_DST_DESTB ?
            !bench_workload_check_destb(w, &c->error) :
            !bench_workload_check_dst(w, &c->error)) {
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * A codec's part of a workload, kept for the whole workload: its context
 * (the output array that its encode reuses, the copy of the first
 * encode's bytes that its decode reads) and its measurements.
 */
typedef struct {
    OpCtx c;
    GByteArray *copy;
    Measurement m[2];           /* encode or copy, then decode */
    guint n_m;
    gboolean ok;                /* set up (and in --quick, round trip exact) */
} CodecPart;

/* Adds the measurement of @op, if selected, and warms it up. */
static void add_measurement(CodecPart *p, const char *op, OpFunc fn)
{
    Measurement *m;

    if (!selected(opts.ops, op)) {
        return;
    }
    m = &p->m[p->n_m++];
    *m = (Measurement) {
        .c = &p->c, .op = op, .fn = fn, .bytes = p->c.len,
        .samples = g_new0(double, opts.runs),
        .instr = g_new0(double, opts.runs), .active = TRUE,
    };
    if (!warm_up(m)) {
        drop(m);
    }
}

/*
 * The set-up phase of @codec: prepare, the first encode, the copy decode
 * reads, the round trip of --quick, and each measurement's warm-up.
 */
static void set_up_codec(CodecPart *p, BenchWorkload *w,
                         const BenchCodec *codec)
{
    OpCtx *c = &p->c;

    *c = (OpCtx) { w, codec, g_byte_array_new(), NULL, 0, NULL };
    if (codec->prepare && !codec->prepare(w, &c->error)) {
        goto fail;
    }
    if (!codec->encode(w, c->out, &c->error)) {
        goto fail;
    }
    /* Decode from a copy, so that nothing can depend on the encoder's
     * buffer. */
    p->copy = g_byte_array_sized_new(c->out->len);
    g_byte_array_append(p->copy, c->out->data, c->out->len);
    c->data = p->copy->data;
    c->len = p->copy->len;

    if (codec->decode && opts.quick && !round_trip(c)) {
        goto fail;
    }
    p->ok = TRUE;
    if (codec->flags & BENCH_FLOOR) {
        add_measurement(p, "copy", op_encode);
        return;
    }
    /* The tree with filters encodes as native-tree does. */
    if (!(codec->flags & BENCH_DST_DESTB)) {
        add_measurement(p, "encode", op_encode);
    }
    if (codec->decode) {
        add_measurement(p, "decode", op_decode);
    }
    return;

fail:
    g_printerr("qidl-bench: %s: %s: %s\n", w->name, codec->name,
               c->error ? c->error->message : "failed");
    g_clear_error(&c->error);
    failures++;
}

/*
 * A workload and its codecs' parts, set up for the rounds; the results are
 * recorded as workload @label.
 */
typedef struct {
    BenchWorkload *w;
    const char *label;
    CodecPart *parts;           /* one per entry of codecs[] */
} WorkloadRun;

/*
 * Makes workload @name and sets up every selected codec of it, or those of
 * @only if not NULL; FALSE if the workload cannot be made.
 */
static gboolean set_up_workload(WorkloadRun *run, const char *name,
                                const char *label, const char *const *only)
{
    g_autoptr(GError) error = NULL;

    run->label = label;
    run->w = bench_workload_new(name, &error);
    if (!run->w) {
        g_printerr("qidl-bench: %s: %s\n", name, error->message);
        failures++;
        return FALSE;
    }
    run->parts = g_new0(CodecPart, G_N_ELEMENTS(codecs));
    for (guint i = 0; i < G_N_ELEMENTS(codecs); i++) {
        const BenchCodec *codec = codecs[i];

        if (!selected(opts.codecs, codec->name) ||
            (only && !g_strv_contains(only, codec->name)) ||
            ((codec->flags & BENCH_NEEDS_MACHINE) && run->w->scale == 0)) {
            continue;
        }
        set_up_codec(&run->parts[i], run->w, codec);
    }
    return TRUE;
}

/*
 * The rounds of the @n workloads set up in @runs: in each, every
 * measurement still taking part times one batch, workload by workload, in
 * the table's order, so that each ratio compares batches from the same
 * minutes.
 *
 * No operation depends on what another codec's operations change, so
 * they can take turns: prepare only fills what stays unchanged afterwards
 * (the legacy bytes of the memcpy floor, protobuf's field maps); every
 * encode writes into its own codec's output array and only reads the
 * source objects (the pre-save hooks set derived fields of the source
 * from its other fields, the same way for every codec); every decode
 * reads its own copy of its bytes and releases the destination objects
 * before it fills them (tree+filters' fills the destination build, which
 * only it touches).  What one measurement leaves behind that another's
 * timing would feel (malloc's free lists, those destination objects,
 * the caches) is taken care of in sample().  On a terminal, a progress
 * line on stderr names them @what.
 */
static void run_rounds(WorkloadRun *runs, guint n, const char *what)
{
    /* Progress on a terminal: a full run takes a minute or more. */
    gboolean progress = isatty(STDERR_FILENO) && !opts.quick;

    for (guint round = 0; round < (guint)opts.runs; round++) {
        gboolean any = FALSE;

        if (progress) {
            g_printerr("\rqidl-bench: %s: round %u of %d ", what, round + 1,
                       opts.runs);
        }
        for (guint r = 0; r < n; r++) {
            for (guint i = 0; i < G_N_ELEMENTS(codecs); i++) {
                CodecPart *p = &runs[r].parts[i];

                for (guint k = 0; k < p->n_m; k++) {
                    Measurement *m = &p->m[k];

                    if (!m->active) {
                        continue;
                    }
                    any = TRUE;
                    if (!sample(m)) {
                        drop(m);
                    }
                }
            }
        }
        if (!any) {
            break;
        }
    }
    if (progress) {
        /* Erases the line. */
        g_printerr("\r%*s\r", 60, "");
    }
}

/* Records the medians of @run's measurements and frees it. */
static void finish_workload(WorkloadRun *run)
{
    for (guint i = 0; i < G_N_ELEMENTS(codecs); i++) {
        CodecPart *p = &run->parts[i];

        for (guint k = 0; k < p->n_m; k++) {
            if (!p->m[k].failed) {
                record_median(&p->m[k], run->label);
            }
            g_free(p->m[k].samples);
            g_free(p->m[k].instr);
        }
        if (p->ok && p->c.codec->decode && opts.quick) {
            g_printerr("qidl-bench: %s: %s round trip exact\n",
                       run->w->name, p->c.codec->name);
        }
        if (p->c.out) {
            g_byte_array_unref(p->c.out);
        }
        if (p->copy) {
            g_byte_array_unref(p->copy);
        }
    }
    g_free(run->parts);
    bench_workload_release_dst(run->w);
    bench_workload_free(run->w);
}

/* Every selected codec on workload @name, its batches interleaved. */
static void run_workload(const char *name)
{
    WorkloadRun run;

    if (!set_up_workload(&run, name, name, NULL)) {
        return;
    }
    run_rounds(&run, 1, name);
    finish_workload(&run);
}

/*
 * The scaling target's measurement: the native codecs, legacy and the
 * floor on "machine" and "machine-100x" with the batches of both
 * workloads interleaved round by round, so that the ratio of the two
 * compares batches from the same minutes, as the workloads' own tables
 * do not (each workload's rounds run after the last's, and a shared host
 * moves timings by 10-20 % within the hour).  Recorded as workloads
 * "scaling-1x" and "scaling-100x".
 */
static void run_scaling(void)
{
    static const char *const only[] = {
        "memcpy", "legacy", "native", "native-once", NULL,
    };
    WorkloadRun runs[2];
    gboolean any = FALSE;

    for (guint i = 0; only[i]; i++) {
        any |= selected(opts.codecs, only[i]);
    }
    if (!any) {
        return;
    }
    if (!set_up_workload(&runs[0], "machine", "scaling-1x", only)) {
        return;
    }
    if (!set_up_workload(&runs[1], "machine-100x", "scaling-100x", only)) {
        finish_workload(&runs[0]);
        return;
    }
    run_rounds(runs, 2, "scaling");
    finish_workload(&runs[0]);
    finish_workload(&runs[1]);
}

/* ---- the extractor ---------------------------------------------------------- */

static const char *const hw_headers[] = {
    "rtc.h", "serial.h", "i8259.h", "i8254.h", "apic.h", "virtio-blk.h",
    "guest.h",
};

static gboolean spawn(char **argv, GError **error)
{
    gint status;

    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                      NULL, NULL, NULL, &status, error)) {
        return FALSE;
    }
    return g_spawn_check_wait_status(status, error);
}

/* One round: every hw/ header through @tool; ns, or -1. */
static gint64 extract_round(gboolean clang, const char *outdir,
                            GError **error)
{
    gint64 t0 = now_ns();

    for (guint i = 0; i < G_N_ELEMENTS(hw_headers); i++) {
        g_autofree char *header =
            g_build_filename(HW_SOURCE_DIR, hw_headers[i], NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

        if (clang) {
            g_auto(GStrv) glib = g_strsplit(GLIB_INCLUDES, " ", -1);

            g_ptr_array_add(argv, g_strdup(CLANG_PATH));
            g_ptr_array_add(argv, g_strdup("-fsyntax-only"));
            g_ptr_array_add(argv, g_strdup("-x"));
            g_ptr_array_add(argv, g_strdup("c"));
            g_ptr_array_add(argv, g_strdup(header));
            g_ptr_array_add(argv, g_strdup("-I" QIDL_INCLUDE_DIR));
            for (guint k = 0; glib[k]; k++) {
                if (*glib[k]) {
                    g_ptr_array_add(argv, g_strdup(glib[k]));
                }
            }
        } else {
            g_ptr_array_add(argv, g_strdup(QIDL_EXTRACT_PATH));
            g_ptr_array_add(argv, g_strdup(header));
            g_ptr_array_add(argv, g_strdup("-o"));
            g_ptr_array_add(argv, g_strdup(outdir));
        }
        g_ptr_array_add(argv, NULL);
        if (!spawn((char **)argv->pdata, error)) {
            return -1;
        }
    }
    return now_ns() - t0;
}

static void run_extract(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *outdir = g_dir_make_tmp("qidl-bench-XXXXXX", &error);
    guint rounds = opts.quick ? 1 : (guint)MAX(opts.extract_rounds, 1);
    g_autofree double *ext = g_new0(double, rounds);
    g_autofree double *syn = g_new0(double, rounds);
    gsize bytes = 0;

    if (!outdir) {
        goto fail;
    }
    for (guint i = 0; i < G_N_ELEMENTS(hw_headers); i++) {
        g_autofree char *header =
            g_build_filename(HW_SOURCE_DIR, hw_headers[i], NULL);
        GStatBuf st;

        if (g_stat(header, &st) == 0) {
            bytes += st.st_size;
        }
    }
    /* Warm the page cache and the dynamic loader. */
    if (!opts.quick && (extract_round(TRUE, outdir, &error) < 0 ||
                        extract_round(FALSE, outdir, &error) < 0)) {
        goto fail;
    }
    /* Interleaved, so that a slow phase of the machine hits both. */
    for (guint r = 0; r < rounds; r++) {
        gint64 s = extract_round(TRUE, outdir, &error);
        gint64 e = s < 0 ? -1 : extract_round(FALSE, outdir, &error);

        if (e < 0) {
            goto fail;
        }
        syn[r] = (double)s;
        ext[r] = (double)e;
    }
    /* The counter counts this process, not its children. */
    record("hw-headers", "clang", "syntax-only", median(syn, rounds), -1,
           bytes, rounds);
    record("hw-headers", "qidl-extract", "extract", median(ext, rounds), -1,
           bytes, rounds);
    goto out;

fail:
    g_printerr("qidl-bench: extractor: %s\n",
               error ? error->message : "failed");
    failures++;
out:
    if (outdir) {
        for (guint i = 0; i < G_N_ELEMENTS(hw_headers); i++) {
            g_autofree char *stem = g_strndup(hw_headers[i],
                                              strlen(hw_headers[i]) - 2);

            for (guint k = 0; k < 3; k++) {
                static const char *const ext_names[] = { "c", "h", "json" };
                g_autofree char *p = g_strdup_printf("%s/%s.qidl.%s", outdir,
                                                     stem, ext_names[k]);

                g_unlink(p);
            }
        }
        g_rmdir(outdir);
    }
}

/* ---- the report -------------------------------------------------------------- */

static const Result *find(const char *workload, const char *codec,
                          const char *op)
{
    for (guint i = 0; i < results->len; i++) {
        const Result *r = &g_array_index(results, Result, i);

        if (strcmp(r->workload, workload) == 0 &&
            strcmp(r->codec, codec) == 0 && strcmp(r->op, op) == 0) {
            return r;
        }
    }
    return NULL;
}

static void fmt_us(char *buf, gsize size, const Result *r)
{
    if (!r) {
        g_snprintf(buf, size, "-");
    } else {
        g_snprintf(buf, size, "%.1f", r->ns / 1000.0);
    }
}

static void print_table(const char *workload)
{
    const Result *legacy_enc = find(workload, "legacy", "encode");
    const Result *legacy_dec = find(workload, "legacy", "decode");
    gboolean any = FALSE;

    for (guint i = 0; i < G_N_ELEMENTS(codecs); i++) {
        const char *name = codecs[i]->name;
        const Result *enc = find(workload, name, "encode");
        const Result *dec = find(workload, name, "decode");
        const Result *copy = find(workload, name, "copy");
        const Result *any_r = enc ? enc : dec ? dec : copy;
        char e[32], d[32], size_ratio[32] = "", er[32] = "", dr[32] = "";

        if (!any_r) {
            continue;
        }
        if (!any) {
            printf("\nworkload %s (times in us per operation, median)\n",
                   workload);
            printf("  %-13s %12s %12s %10s %8s %8s %8s\n", "codec",
                   "encode", "decode", "bytes", "size/leg", "enc/leg",
                   "dec/leg");
            any = TRUE;
        }
        fmt_us(e, sizeof(e), copy ? copy : enc);
        fmt_us(d, sizeof(d), dec);
        if (legacy_enc && legacy_enc->bytes) {
            g_snprintf(size_ratio, sizeof(size_ratio), "%.2f",
                       (double)any_r->bytes / legacy_enc->bytes);
        }
        if (legacy_enc && (copy || enc)) {
            g_snprintf(er, sizeof(er), "%.2f",
                       (copy ? copy : enc)->ns / legacy_enc->ns);
        }
        if (legacy_dec && dec) {
            g_snprintf(dr, sizeof(dr), "%.2f", dec->ns / legacy_dec->ns);
        }
        printf("  %-13s %12s %12s %10" G_GSIZE_FORMAT " %8s %8s %8s\n",
               copy ? "memcpy" : name, e, d, any_r->bytes, size_ratio, er,
               dr);
    }
}

/* The ratio of @b's instructions per operation to @a's, or "-". */
static void fmt_instr_ratio(char *buf, gsize size, const Result *a,
                            const Result *b)
{
    if (a && b && a->instr > 0 && b->instr >= 0) {
        g_snprintf(buf, size, "%.1f", b->instr / a->instr);
    } else {
        g_snprintf(buf, size, "-");
    }
}

/* The interleaved measurement of run_scaling(), if it ran. */
static void print_scaling(void)
{
    gboolean any = FALSE;

    for (guint i = 0; i < G_N_ELEMENTS(codecs); i++) {
        const char *name = codecs[i]->name;
        const char *first = codecs[i]->flags & BENCH_FLOOR ? "copy"
                                                           : "encode";
        const Result *e1 = find("scaling-1x", name, first);
        const Result *e100 = find("scaling-100x", name, first);
        const Result *d1 = find("scaling-1x", name, "decode");
        const Result *d100 = find("scaling-100x", name, "decode");
        char er[32] = "-", dr[32] = "-", e1s[32], e100s[32], d1s[32],
             d100s[32], ei[32], di[32];

        if (!e1 && !d1) {
            continue;
        }
        if (!any) {
            printf("\nscaling: machine and machine-100x, batches interleaved"
                   " (times in us per operation, median; instr: the ratio"
                   " of instructions)\n");
            printf("  %-13s %10s %10s %7s %6s %10s %10s %7s %6s\n",
                   "codec", "encode 1x", "100x", "ratio", "instr",
                   "decode 1x", "100x", "ratio", "instr");
            any = TRUE;
        }
        if (e1 && e100) {
            g_snprintf(er, sizeof(er), "%.1f", e100->ns / e1->ns);
        }
        if (d1 && d100) {
            g_snprintf(dr, sizeof(dr), "%.1f", d100->ns / d1->ns);
        }
        fmt_us(e1s, sizeof(e1s), e1);
        fmt_us(e100s, sizeof(e100s), e100);
        fmt_us(d1s, sizeof(d1s), d1);
        fmt_us(d100s, sizeof(d100s), d100);
        /* Not the floor's: glibc copies a few KiB with one instruction
         * (rep movsb) and megabytes with a loop of vector moves. */
        fmt_instr_ratio(ei, sizeof(ei), codecs[i]->flags & BENCH_FLOOR ?
                                        NULL : e1, e100);
        fmt_instr_ratio(di, sizeof(di), d1, d100);
        printf("  %-13s %10s %10s %7s %6s %10s %10s %7s %6s\n",
               codecs[i]->flags & BENCH_FLOOR ? "memcpy" : name, e1s, e100s,
               er, ei, d1s, d100s, dr, di);
    }
    if (any && instr_fd < 0) {
        printf("  (instructions not counted: %s)\n", instr_why);
    }
}

/* The fastest self-describing peer (not QIDL's own) for @op. */
static const Result *best_peer(const char *workload, const char *op)
{
    const Result *best = NULL;

    for (guint i = 0; i < G_N_ELEMENTS(codecs); i++) {
        const BenchCodec *c = codecs[i];
        const Result *r;

        if ((c->flags & BENCH_QIDL) || !(c->flags & BENCH_SELF_DESCRIBING)) {
            continue;
        }
        r = find(workload, c->name, op);
        if (r && (!best || r->ns < best->ns)) {
            best = r;
        }
    }
    return best;
}

static void verdict(gboolean ok, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void verdict(gboolean ok, const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    printf("  %-4s %s\n", ok ? "MET" : "MISS", msg);
}

static void print_targets(void)
{
    static const char *const ops[] = { "encode", "decode" };
    /* Saving again and again (a writer and reader reset), and once. */
    static const char *const natives[] = { "native", "native-once" };

    /* --quick times one cold operation each: its verdicts mean nothing. */
    printf("\ntargets%s\n",
           opts.quick ? " (--quick times a single operation of each: these "
                        "verdicts say nothing)" : "");
    for (guint k = 0; k < G_N_ELEMENTS(natives); k++) {
        for (guint i = 0; i < 2; i++) {
            const Result *n = find("machine", natives[k], ops[i]);
            const Result *p = best_peer("machine", ops[i]);

            if (n && p) {
                verdict(p->ns / n->ns >= 1.5,
                        "%s %s: the fastest self-describing peer (%s, %.1f "
                        "us) takes %.2fx %s's %.1f us (goal >= 1.5x)",
                        natives[k], ops[i], p->codec, p->ns / 1000,
                        p->ns / n->ns, natives[k], n->ns / 1000);
            }
        }
    }
    for (guint k = 0; k < G_N_ELEMENTS(natives); k++) {
        for (guint i = 0; i < 2; i++) {
            const Result *n = find("machine", natives[k], ops[i]);
            const Result *l = find("machine", "legacy", ops[i]);

            if (n && l) {
                verdict(n->ns / l->ns <= 2.0,
                        "%s %s %.2fx the legacy codec (goal <= 2x)",
                        natives[k], ops[i], n->ns / l->ns);
            }
        }
    }
    {
        const Result *n = find("machine", "native", "encode");
        const Result *l = find("machine", "legacy", "encode");

        if (n && l) {
            verdict((double)n->bytes / l->bytes <= 1.25,
                    "native stream %" G_GSIZE_FORMAT " bytes, %.3fx the "
                    "legacy %" G_GSIZE_FORMAT " (goal <= 1.25x)", n->bytes,
                    (double)n->bytes / l->bytes, l->bytes);
        }
    }
    for (guint k = 0; k < G_N_ELEMENTS(natives); k++) {
        for (guint i = 0; i < 2; i++) {
            /* From the interleaved measurement if it ran. */
            gboolean inter = find("scaling-1x", natives[k], ops[i]) &&
                             find("scaling-100x", natives[k], ops[i]);
            const Result *a = find(inter ? "scaling-1x" : "machine",
                                   natives[k], ops[i]);
            const Result *b = find(inter ? "scaling-100x" : "machine-100x",
                                   natives[k], ops[i]);

            if (a && b) {
                char ir[32], what[64] = "instructions not counted";

                fmt_instr_ratio(ir, sizeof(ir), a, b);
                if (strcmp(ir, "-") != 0) {
                    g_snprintf(what, sizeof(what), "instructions %sx", ir);
                }
                verdict(b->ns / a->ns <= 110,
                        "%s %s 100x workload costs %.1fx the 1x (goal <= "
                        "110x; %s; %s)", natives[k], ops[i], b->ns / a->ns,
                        inter ? "interleaved" : "the workloads' tables",
                        what);
            }
        }
    }
    {
        const Result *e = find("hw-headers", "qidl-extract", "extract");
        const Result *s = find("hw-headers", "clang", "syntax-only");

        if (e && s) {
            verdict(e->ns / s->ns <= 1.3,
                    "qidl-extract %.2fx clang -fsyntax-only on the hw/ "
                    "headers (%.0f ms vs %.0f ms; goal <= 1.3x)",
                    e->ns / s->ns, e->ns / 1e6, s->ns / 1e6);
        }
    }
}

static void print_report(void)
{
    static const char *const workloads[] = {
        "machine", "machine-10x", "machine-100x", "big",
    };
    const Result *e = find("hw-headers", "qidl-extract", "extract");
    const Result *s = find("hw-headers", "clang", "syntax-only");

    for (guint i = 0; i < G_N_ELEMENTS(workloads); i++) {
        print_table(workloads[i]);
    }
    print_scaling();
    if (e && s) {
        printf("\nextractor on the %u hw/ headers (ms per round, median of "
               "%u)\n  clang -fsyntax-only %.1f   qidl-extract %.1f   ratio "
               "%.2f\n", (guint)G_N_ELEMENTS(hw_headers), e->runs,
               s->ns / 1e6, e->ns / 1e6, e->ns / s->ns);
    }
    printf("\ncodecs\n");
    for (guint i = 0; i < G_N_ELEMENTS(codecs); i++) {
        printf("  %-13s %s%s\n", codecs[i]->name, codecs[i]->what,
               (codecs[i]->flags & BENCH_SELF_DESCRIBING) &&
               !(codecs[i]->flags & BENCH_QIDL) ? " [self-describing peer]"
                                                : "");
    }
    print_targets();
}

/*
 * What the numbers were taken on, for the table's head: the CPU (Linux's
 * /proc/cpuinfo), how many the process may run on, the kernel, and how
 * qidl-bench was built.
 */
static void print_environment(void)
{
    g_autofree char *cpuinfo = NULL;
    g_autofree char *model = NULL;
    struct utsname un;

    if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
        const char *m = strstr(cpuinfo, "model name");
        const char *colon = m ? strchr(m, ':') : NULL;

        if (colon) {
            model = g_strndup(colon + 1, strcspn(colon + 1, "\n"));
            g_strstrip(model);
        }
    }
    printf("machine: %s, %u CPUs for this process", model ? model : "?",
           g_get_num_processors());
    if (uname(&un) == 0) {
        printf("; %s %s %s", un.sysname, un.release, un.machine);
    }
#ifdef __VERSION__
    printf("; compiler %s", __VERSION__);
#endif
    printf("; build %s%s\n", QIDL_BUILDTYPE,
           instr_fd >= 0 ? "; instructions counted" : "");
}

/*
 * Whether every name in @list (NULL: none given) is one of @known, the
 * names a --@option may take; if not, says so with the known ones.
 * @missing: the peers this build lacks, which are named as such.
 */
static gboolean names_ok(const char *option, char **list,
                         const char *const *known, guint n_known,
                         const char *const *missing)
{
    for (guint i = 0; list && list[i]; i++) {
        g_autoptr(GString) all = g_string_new(NULL);
        gboolean found = FALSE;

        for (guint k = 0; k < n_known; k++) {
            found |= strcmp(list[i], known[k]) == 0;
            g_string_append_printf(all, "%s%s", k ? ", " : "", known[k]);
        }
        if (found) {
            continue;
        }
        for (guint k = 0; missing && missing[k]; k++) {
            gsize len = strlen(list[i]);

            /* "cbor (libcbor-dev)" for "cbor". */
            if (strncmp(missing[k], list[i], len) == 0 &&
                missing[k][len] == ' ') {
                g_printerr("qidl-bench: --%s %s: not built into this "
                           "qidl-bench; install %s and build again\n",
                           option, list[i], missing[k] + len + 1);
                return FALSE;
            }
        }
        g_printerr("qidl-bench: --%s %s: unknown; one of %s\n", option,
                   list[i], all->str);
        return FALSE;
    }
    return TRUE;
}

int main(int argc, char **argv)
{
    static const char *const all_workloads[] = {
        "machine", "machine-10x", "machine-100x", "big",
    };
    /* --workload's names: the extractor's too. */
    static const char *const workload_names[] = {
        "machine", "machine-10x", "machine-100x", "big", "hw-headers",
    };
    static const char *const op_names[] = { "encode", "decode", "copy" };
    const char *codec_names[G_N_ELEMENTS(codecs)];
    GOptionEntry entries[] = {
        { "quick", 0, 0, G_OPTION_ARG_NONE, &opts.quick,
          "Few iterations, no 100x workload, check every round trip", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opts.json,
          "Print one JSON object per measurement instead of the table",
          NULL },
        { "runs", 0, 0, G_OPTION_ARG_INT, &opts.runs,
          "Rounds, each timing one batch of every measurement of a "
          "workload in turn (median; default 11)", "N" },
        { "min-ms", 0, 0, G_OPTION_ARG_INT, &opts.min_ms,
          "Least time of one batch (default 5)", "MS" },
        { "max-ms", 0, 0, G_OPTION_ARG_INT, &opts.max_ms,
          "Stop a measurement after this long, once it has 3 runs "
          "(default 3000)", "MS" },
        { "workload", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts.workloads,
          "Only this workload (machine, machine-10x, machine-100x, big, "
          "hw-headers: the extractor; repeatable)", "NAME" },
        { "codec", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts.codecs,
          "Only this codec (repeatable)", "NAME" },
        { "op", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts.ops,
          "Only this operation (encode, decode, copy; repeatable)", "OP" },
        { "no-extract", 0, 0, G_OPTION_ARG_NONE, &opts.no_extract,
          "Skip the extractor against clang", NULL },
        { "no-scaling", 0, 0, G_OPTION_ARG_NONE, &opts.no_scaling,
          "Skip the interleaved machine / machine-100x measurement of the "
          "scaling target", NULL },
        { "extract-rounds", 0, 0, G_OPTION_ARG_INT, &opts.extract_rounds,
          "Rounds of the extractor timing (default 5)", "N" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "- QIDL's codecs against peer serializers and the memcpy floor");
    g_autoptr(GError) error = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("qidl-bench: %s\n", error->message);
        return 2;
    }
    for (guint i = 0; i < G_N_ELEMENTS(codecs); i++) {
        codec_names[i] = codecs[i]->name;
    }
    if (!names_ok("workload", opts.workloads, workload_names,
                  G_N_ELEMENTS(workload_names), NULL) ||
        !names_ok("codec", opts.codecs, codec_names,
                  G_N_ELEMENTS(codec_names), missing_peers) ||
        !names_ok("op", opts.ops, op_names, G_N_ELEMENTS(op_names), NULL)) {
        return 2;
    }
    if (opts.quick) {
        opts.runs = 1;
    }
    if (opts.runs < 1) {
        opts.runs = 1;
    }
    results = g_array_new(FALSE, TRUE, sizeof(Result));
    instr_open();

    if (!opts.json) {
        printf("qidl-bench%s: %u codecs", opts.quick ? " --quick" : "",
               (guint)G_N_ELEMENTS(codecs));
        if (missing_peers[0]) {
            printf("; peers not built (library not found):");
            for (guint i = 0; missing_peers[i]; i++) {
                printf(" %s%s", missing_peers[i], missing_peers[i + 1] ? ","
                                                                      : "");
            }
        }
        printf("\n");
        print_environment();
        fflush(stdout);
    }
    for (guint i = 0; i < G_N_ELEMENTS(all_workloads); i++) {
        if (!selected(opts.workloads, all_workloads[i]) ||
            (opts.quick && !opts.workloads &&
             strcmp(all_workloads[i], "machine-100x") == 0)) {
            continue;
        }
        run_workload(all_workloads[i]);
    }
    /* Not in --quick, which has no 100x workload. */
    if (!opts.quick && !opts.no_scaling &&
        selected(opts.workloads, "machine") &&
        selected(opts.workloads, "machine-100x")) {
        run_scaling();
    }
    if (!opts.no_extract && selected(opts.workloads, "hw-headers")) {
        run_extract();
    }
    if (!opts.json) {
        print_report();
    }
    if (failures) {
        g_printerr("qidl-bench: %u failures\n", failures);
        return 1;
    }
    return 0;
}
