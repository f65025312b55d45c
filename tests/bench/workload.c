/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Workloads: the state every codec saves and loads.
 *
 * machine, machine-10x, machine-100x: N hw/ machines (source build) run
 * their scripted guest to the middle of the script (step 160, as the demo
 * migrates: UART bytes in the FIFOs, disk requests in flight, timers
 * armed), and all their devices go into one device set, instance paths
 * and names prefixed per machine ("/node3/machine/rtc", "n3_rtc") when N
 * > 1.  The destination objects are the devices of N freshly powered-on
 * machines of the same build, and for the seed filters of N machines of
 * the destination build.
 *
 * big: one BigState (bench-big.h) filled with deterministic pseudo-random
 * values.
 */
#include <string.h>

#include <qidl/legacy.h>

#include "bench.h"
#include "bench-big.h"
#include "bench-big.qidl.h"
#include "machine.h"

typedef struct {
    GPtrArray *machines;        /* Machine *, owned: sources, dsts, destbs */
    BigState *big_src;
    BigState *big_dst;
    GPtrArray *strings;         /* paths and names, owned */
} WorkloadPriv;

static void add_machine_devices(BenchWorkload *w, GArray *devs,
                                QidlDeviceSet *set, Machine *m, guint node,
                                gboolean prefix, Machine *dst, GError **error)
{
    WorkloadPriv *p = w->priv;

    for (guint k = 0; k < machine_get_n_devices(m); k++) {
        const char *type, *path, *name;
        BenchDevice d = { 0 };

        machine_get_device(m, k, &type, &path, &name);
        d.type = bench_type_find(type);
        g_assert(d.type != NULL);
        d.path = prefix ? g_strdup_printf("/node%u%s", node, path)
                        : g_strdup(path);
        d.name = prefix ? g_strdup_printf("n%u_%s", node, name)
                        : g_strdup(name);
        g_ptr_array_add(p->strings, d.path);
        g_ptr_array_add(p->strings, d.name);
        d.src = qidl_device_set_find(machine_get_device_set(m), path);
        if (dst) {
            d.dst = qidl_device_set_find(machine_get_device_set(dst), path);
        }
        if (!qidl_device_set_add(set, &d.type->cls, d.path, d.name, d.src,
                                 error)) {
            g_error("bench: %s", (*error)->message);
        }
        if (devs) {
            g_array_append_val(devs, d);
        }
    }
}

static void fill_random(GRand *rand, void *p, gsize len)
{
    guint8 *b = p;

    for (gsize i = 0; i < len; i++) {
        b[i] = (guint8)g_rand_int(rand);
    }
}

static void fill_big(BigState *s)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(20240229);

    fill_random(rand, s->regs, sizeof(s->regs));
    fill_random(rand, s->counters, sizeof(s->counters));
    fill_random(rand, s->table, sizeof(s->table));
    fill_random(rand, s->lut, sizeof(s->lut));
    fill_random(rand, s->stamps, sizeof(s->stamps));
    s->enabled = true;
    for (guint i = 0; i < BIG_ENTRIES; i++) {
        BigEntry *e = g_new0(BigEntry, 1);

        e->addr = ((guint64)g_rand_int(rand) << 32) | g_rand_int(rand);
        e->id = i;
        e->kind = (guint16)g_rand_int_range(rand, 0, 16);
        fill_random(rand, e->key, sizeof(e->key));
        e->stamp = (gint64)i * 1000 - 500000;
        for (guint j = 0; j < BIG_SEGS; j++) {
            e->segs[j].lba = g_rand_int(rand);
            e->segs[j].len = (guint16)g_rand_int_range(rand, 1, 4096);
            e->segs[j].flags = (guint8)g_rand_int(rand);
        }
        s->entries = g_slist_prepend(s->entries, e);
    }
    for (guint i = 0; i < BIG_LOG; i++) {
        BigSeg *seg = g_new0(BigSeg, 1);

        seg->lba = i * 8;
        seg->len = (guint16)g_rand_int_range(rand, 1, 256);
        seg->flags = (guint8)(i & 3);
        s->log = g_slist_prepend(s->log, seg);
    }
}

BenchWorkload *bench_workload_new(const char *name, GError **error)
{
    BenchWorkload *w = g_new0(BenchWorkload, 1);
    WorkloadPriv *p = g_new0(WorkloadPriv, 1);
    g_autoptr(GArray) devs = g_array_new(FALSE, TRUE, sizeof(BenchDevice));
    guint scale;

    w->priv = p;
    p->machines = g_ptr_array_new_with_free_func((GDestroyNotify)machine_free);
    p->strings = g_ptr_array_new_with_free_func(g_free);
    w->src_set = qidl_device_set_new();
    w->dst_set = qidl_device_set_new();
    w->by_path = g_hash_table_new(g_str_hash, g_str_equal);

    if (strcmp(name, "machine") == 0) {
        scale = 1;
    } else if (strcmp(name, "machine-10x") == 0) {
        scale = 10;
    } else if (strcmp(name, "machine-100x") == 0) {
        scale = 100;
    } else if (strcmp(name, "big") == 0) {
        scale = 0;
    } else {
        bench_fail(error, "unknown workload %s", name);
        bench_workload_free(w);
        return NULL;
    }
    w->name = name;
    w->scale = scale;

    if (scale == 0) {
        BenchDevice d = { 0 };

        p->big_src = g_new0(BigState, 1);
        p->big_dst = g_new0(BigState, 1);
        fill_big(p->big_src);
        d.type = bench_type_find("bench-big");
        d.path = "/machine/big";
        d.name = "big";
        d.src = p->big_src;
        d.dst = p->big_dst;
        g_array_append_val(devs, d);
        qidl_device_set_add(w->src_set, &d.type->cls, d.path, d.name, d.src,
                            error);
    } else {
        w->destb_set = qidl_device_set_new();
        w->filters = qidl_filter_set_new();
        w->back_filters = qidl_filter_set_new();
        for (guint i = 0; i < scale; i++) {
            Machine *src = machine_new(&machine_source_config);
            Machine *dst = machine_new(&machine_source_config);
            Machine *destb = machine_new(&machine_dest_config);

            g_ptr_array_add(p->machines, src);
            g_ptr_array_add(p->machines, dst);
            g_ptr_array_add(p->machines, destb);
            /* Mid-script, where the demo migrates. */
            machine_run(src, MACHINE_SCRIPT_STEPS / 2);
            add_machine_devices(w, devs, w->src_set, src, i, scale > 1, dst,
                                error);
            add_machine_devices(w, NULL, w->destb_set, destb, i, scale > 1,
                                NULL, error);
            if (i == 0 &&
                (!machine_add_incoming_filters(destb, w->filters, error) ||
                 !machine_add_incoming_filters(src, w->back_filters,
                                               error))) {
                bench_workload_free(w);
                return NULL;
            }
        }
    }

    w->n_devices = devs->len;
    w->devices = (BenchDevice *)(void *)g_array_free(g_steal_pointer(&devs),
                                                     FALSE);
    for (guint i = 0; i < w->n_devices; i++) {
        BenchDevice *d = &w->devices[i];

        g_hash_table_insert(w->by_path, d->path, d);
        if (!qidl_device_set_add(w->dst_set, &d->type->cls, d->path, d->name,
                                 d->dst, error)) {
            bench_workload_free(w);
            return NULL;
        }
    }
    return w;
}

const BenchDevice *bench_workload_find(const BenchWorkload *w, guint i,
                                       const char *path)
{
    if (i < w->n_devices && strcmp(w->devices[i].path, path) == 0) {
        return &w->devices[i];
    }
    return g_hash_table_lookup(w->by_path, path);
}

void bench_workload_free(BenchWorkload *w)
{
    WorkloadPriv *p;

    if (!w) {
        return;
    }
    p = w->priv;
    qidl_device_set_free(w->src_set);
    qidl_device_set_free(w->dst_set);
    qidl_device_set_free(w->destb_set);
    if (w->filters) {
        qidl_filter_set_free(w->filters);
    }
    if (w->back_filters) {
        qidl_filter_set_free(w->back_filters);
    }
    g_hash_table_unref(w->by_path);
    if (w->legacy) {
        g_bytes_unref(w->legacy);
    }
    qidl_stream_writer_free(w->writer);
    qidl_stream_reader_free(w->reader);
    if (p->big_src) {
        qidl_release_BigState(p->big_src, NULL);
        qidl_release_BigState(p->big_dst, NULL);
        g_free(p->big_src);
        g_free(p->big_dst);
    }
    g_ptr_array_unref(p->machines);
    g_ptr_array_unref(p->strings);
    g_free(p);
    g_free(w->devices);
    g_free(w);
}

void bench_workload_release_dst(BenchWorkload *w)
{
    for (guint i = 0; i < w->n_devices; i++) {
        BenchDevice *d = &w->devices[i];

        if (d->type->cls.release) {
            d->type->cls.release(d->dst, NULL);
        }
    }
}

static gboolean save_legacy(const BenchDevice *d, void *obj, GByteArray *out,
                            GError **error)
{
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(out);

    return d->type->cls.visit(v, d->name, obj, error) &&
           qidl_visitor_complete(v, error);
}

gboolean bench_workload_check_dst(BenchWorkload *w, GError **error)
{
    for (guint i = 0; i < w->n_devices; i++) {
        BenchDevice *d = &w->devices[i];
        g_autoptr(GByteArray) a = g_byte_array_new();
        g_autoptr(GByteArray) b = g_byte_array_new();
        guint at;

        if (!save_legacy(d, d->src, a, error) ||
            !save_legacy(d, d->dst, b, error)) {
            g_prefix_error(error, "device %s: ", d->path);
            return FALSE;
        }
        for (at = 0; at < a->len && at < b->len; at++) {
            if (a->data[at] != b->data[at]) {
                break;
            }
        }
        if (at < a->len || at < b->len) {
            return bench_fail(error, "device %s (%s): decoded state differs "
                              "from the source at legacy byte %u of %u",
                              d->path, d->type->cls.type_name, at, a->len);
        }
    }
    return TRUE;
}

gboolean bench_workload_check_destb(BenchWorkload *w, GError **error)
{
    g_autoptr(QidlTree) a = qidl_tree_new();
    g_autoptr(QidlTree) b = qidl_tree_new();
    QidlNode *ra, *rb;

    if (!qidl_device_set_save_tree(w->src_set, a, error) ||
        !qidl_device_set_save_tree(w->destb_set, b, error) ||
        !qidl_filter_set_apply(w->back_filters, b, NULL, error)) {
        return FALSE;
    }
    ra = qidl_tree_get_root(a);
    rb = qidl_tree_get_root(b);
    if (qidl_node_get_n_children(ra) != qidl_node_get_n_children(rb)) {
        return bench_fail(error, "%u devices saved, %u after the round trip",
                          qidl_node_get_n_children(ra),
                          qidl_node_get_n_children(rb));
    }
    for (QidlNode *n = qidl_node_get_first_child(ra); n;
         n = qidl_node_get_next(n)) {
        const char *path = qidl_node_get_instance_path(n);
        QidlNode *m;

        for (m = qidl_node_get_first_child(rb); m; m = qidl_node_get_next(m)) {
            if (strcmp(qidl_node_get_instance_path(m), path) == 0) {
                break;
            }
        }
        if (!m || !qidl_node_equal(n, m) ||
            strcmp(qidl_node_get_type_name(n),
                   qidl_node_get_type_name(m)) != 0) {
            return bench_fail(error, "device %s: differs after the round "
                              "trip through the destination build", path);
        }
    }
    return TRUE;
}

static void scramble(const BenchStruct *s, const guint8 *src, guint8 *dst)
{
    for (guint i = 0; i < s->n_fields; i++) {
        const BenchField *f = &s->fields[i];
        guint32 n = f->count ? f->count : 1;
        gsize size = bench_kind_size(f->kind);

        if (f->subsection || f->kind == BK_SLIST) {
            continue;
        }
        if (f->kind == BK_STRUCT) {
            for (guint32 j = 0; j < n; j++) {
                gsize at = f->offset + j * f->sub->size;

                scramble(f->sub, src + at, dst + at);
            }
        } else if (f->kind == BK_BOOL) {
            for (guint32 j = 0; j < n; j++) {
                dst[f->offset + j] = !src[f->offset + j];
            }
        } else {
            for (gsize j = 0; j < n * size; j++) {
                dst[f->offset + j] = (guint8)~src[f->offset + j];
            }
        }
    }
}

void bench_workload_scramble_dst(BenchWorkload *w)
{
    for (guint i = 0; i < w->n_devices; i++) {
        BenchDevice *d = &w->devices[i];

        scramble(d->type->schema, d->src, d->dst);
    }
}
