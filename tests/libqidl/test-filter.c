/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of migration filters (filter.c, filter-rules.c): every rule kind,
 * the order and recursion rules, atomicity, statistics, C callbacks by type
 * and path glob, rule-file validation, and the seed filters of hw/filters/
 * on constructed trees.
 *
 * Rule texts are written with single quotes for readability; rules()
 * turns them into JSON's double quotes before loading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/filter.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char *quotes(const char *text)
{
    char *s = g_strdup(text);

    g_strdelimit(s, "'", '"');
    return s;
}

static gboolean load(QidlFilterSet *set, const char *text, GError **error)
{
    g_autofree char *json = quotes(text);

    return qidl_filter_set_load_rules_from_data(set, json, -1, "t.json",
                                                error);
}

/* A set holding the rules of @text, which must be valid. */
static QidlFilterSet *rules(const char *text)
{
    QidlFilterSet *set = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;

    if (!load(set, text, &error)) {
        fail_msg("%s", error->message);
    }
    return set;
}

static QidlFilterSet *seed(const char *file)
{
    const char *root = g_getenv("QIDL_SOURCE_ROOT");
    g_autofree char *path = g_build_filename(root ? root : ".", "hw",
                                             "filters", file, NULL);
    QidlFilterSet *set = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;

    if (!qidl_filter_set_load_rules_file(set, path, &error)) {
        fail_msg("%s", error->message);
    }
    return set;
}

static void append(QidlNode *parent, QidlNode *child)
{
    g_autoptr(GError) error = NULL;

    if (!qidl_node_append(parent, child, &error)) {
        fail_msg("%s", error->message);
    }
}

static QidlNode *device(QidlTree *tree, const char *name, const char *type,
                        const char *path, guint32 version)
{
    QidlNode *dev = qidl_node_new_struct(tree, name);

    qidl_node_set_device(dev, type, path, version);
    append(qidl_tree_get_root(tree), dev);
    return dev;
}

static QidlNode *u8(QidlNode *parent, const char *name, guint8 v)
{
    QidlNode *n = qidl_node_new_uint(qidl_node_get_tree(parent), name,
                                     QIDL_KIND_UINT8, v);

    append(parent, n);
    return n;
}

static QidlNode *unum(QidlNode *parent, const char *name, QidlKind kind,
                      guint64 v)
{
    QidlNode *n = qidl_node_new_uint(qidl_node_get_tree(parent), name, kind,
                                     v);

    append(parent, n);
    return n;
}

static QidlNode *structure(QidlNode *parent, const char *name)
{
    QidlNode *n = qidl_node_new_struct(qidl_node_get_tree(parent), name);

    append(parent, n);
    return n;
}

static QidlNode *list(QidlNode *parent, const char *name)
{
    QidlNode *n = qidl_node_new_list(qidl_node_get_tree(parent), name);

    append(parent, n);
    return n;
}

static QidlNode *bytes(QidlNode *parent, const char *name, guint8 seed_byte,
                       gsize len)
{
    g_autofree guint8 *data = g_malloc(len);
    QidlNode *n;

    for (gsize i = 0; i < len; i++) {
        data[i] = (guint8)(seed_byte + i * 7);
    }
    n = qidl_node_new_bytes(qidl_node_get_tree(parent), name, data, len);
    append(parent, n);
    return n;
}

/* A kvm-apic or apic device: a few of QEMU's 'apic' v3 fields. */
static QidlNode *apic(QidlTree *tree, const char *name, const char *type,
                      const char *path)
{
    QidlNode *dev = device(tree, name, type, path, 3);
    QidlNode *isr;

    unum(dev, "apicbase", QIDL_KIND_UINT32, 0xfee00900);
    u8(dev, "id", 0);
    u8(dev, "tpr", 0x10);
    isr = list(dev, "isr");
    for (guint i = 0; i < 8; i++) {
        append(isr, qidl_node_new_uint(tree, NULL, QIDL_KIND_UINT32, i << 4));
    }
    append(dev, qidl_node_new_int(tree, "next_time", QIDL_KIND_INT64, -1));
    return dev;
}

/* A virtio-blk-pci v2 device as hw/filters/virtio-blk-pci-split.json says. */
static QidlNode *virtio_blk_pci(QidlTree *tree, const char *name,
                                const char *path)
{
    QidlNode *dev = device(tree, name, "virtio-blk-pci", path, 2);
    QidlNode *queues, *cfg, *reqs;

    bytes(dev, "pci_config", 0x86, 256);
    bytes(dev, "msix_table", 0x01, 32);
    bytes(dev, "msix_pba", 0x00, 8);
    u8(dev, "status", 0x0f);
    u8(dev, "isr", 0);
    unum(dev, "queue_sel", QIDL_KIND_UINT16, 0);
    unum(dev, "config_vector", QIDL_KIND_UINT16, 0);
    unum(dev, "host_features", QIDL_KIND_UINT64, 0x110000064ull);
    unum(dev, "guest_features", QIDL_KIND_UINT64, 0x100000064ull);
    queues = list(dev, "queues");
    for (guint i = 0; i < 2; i++) {
        QidlNode *q = qidl_node_new_struct(tree, NULL);

        append(queues, q);
        unum(q, "num", QIDL_KIND_UINT16, 256);
        unum(q, "desc", QIDL_KIND_UINT64, 0x7f000000ull + i * 0x1000);
        unum(q, "avail", QIDL_KIND_UINT64, 0x7f000800ull + i * 0x1000);
        unum(q, "used", QIDL_KIND_UINT64, 0x7f000c00ull + i * 0x1000);
        unum(q, "last_avail_idx", QIDL_KIND_UINT16, 17 + i);
        unum(q, "vector", QIDL_KIND_UINT16, i + 1);
    }
    cfg = structure(dev, "blk_config");
    unum(cfg, "capacity", QIDL_KIND_UINT64, 2097152);
    unum(cfg, "size_max", QIDL_KIND_UINT32, 0);
    unum(cfg, "seg_max", QIDL_KIND_UINT32, 126);
    unum(cfg, "blk_size", QIDL_KIND_UINT32, 512);
    unum(cfg, "num_queues", QIDL_KIND_UINT16, 1);
    reqs = list(dev, "requests");
    {
        QidlNode *r = qidl_node_new_struct(tree, NULL);

        append(reqs, r);
        unum(r, "sector", QIDL_KIND_UINT64, 2048);
        unum(r, "nb_sectors", QIDL_KIND_UINT32, 8);
        unum(r, "type", QIDL_KIND_UINT32, 1);
    }
    return dev;
}

static QidlNode *dev_of(QidlTree *tree, const char *name)
{
    return qidl_node_get_child(qidl_tree_get_root(tree), name);
}

/* A deep copy of @tree, to compare against after a pass. */
static QidlTree *snapshot(QidlTree *tree)
{
    QidlTree *copy = qidl_tree_new();

    for (QidlNode *n = qidl_node_get_first_child(qidl_tree_get_root(tree));
         n; n = qidl_node_get_next(n)) {
        append(qidl_tree_get_root(copy), qidl_node_copy(copy, n));
    }
    return copy;
}

static void assert_trees_equal(QidlTree *a, QidlTree *b)
{
    if (!qidl_node_equal(qidl_tree_get_root(a), qidl_tree_get_root(b))) {
        g_autoptr(GString) sa = g_string_new(NULL);
        g_autoptr(GString) sb = g_string_new(NULL);

        qidl_node_print(qidl_tree_get_root(a), sa);
        qidl_node_print(qidl_tree_get_root(b), sb);
        fail_msg("trees differ:\n%s\n---\n%s", sa->str, sb->str);
    }
}

/* "name:type,name:type": the device roots of @tree in order. */
static char *layout(QidlTree *tree)
{
    GString *s = g_string_new(NULL);

    for (QidlNode *n = qidl_node_get_first_child(qidl_tree_get_root(tree));
         n; n = qidl_node_get_next(n)) {
        g_string_append_printf(s, "%s%s:%s", s->len ? "," : "",
                               qidl_node_get_name(n),
                               qidl_node_get_type_name(n));
    }
    return g_string_free(s, FALSE);
}

/* "a,b,c": the field names of a struct in order. */
static char *fields(const QidlNode *node)
{
    GString *s = g_string_new(NULL);

    for (QidlNode *n = qidl_node_get_first_child(node); n;
         n = qidl_node_get_next(n)) {
        g_string_append_printf(s, "%s%s", s->len ? "," : "",
                               qidl_node_get_name(n));
    }
    return g_string_free(s, FALSE);
}

static void apply_ok(QidlFilterSet *set, QidlTree *tree)
{
    g_autoptr(GError) error = NULL;

    if (!qidl_filter_set_apply(set, tree, NULL, &error)) {
        fail_msg("%s", error->message);
    }
}

/* Applies @set, expects failure with @code and @message, and checks that
 * @tree did not change. */
static void apply_fail(QidlFilterSet *set, QidlTree *tree, int code,
                       const char *message)
{
    g_autoptr(QidlTree) before = snapshot(tree);
    g_autoptr(GError) error = NULL;
    GArray *stats = NULL;

    assert_false(qidl_filter_set_apply(set, tree, &stats, &error));
    assert_non_null(error);
    assert_int_equal(error->domain, QIDL_ERROR);
    assert_string_equal(error->message, message);
    assert_int_equal(error->code, code);
    assert_null(stats);
    assert_trees_equal(tree, before);
}

static void load_fail(const char *text, const char *message)
{
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;

    assert_false(load(set, text, &error));
    assert_non_null(error);
    assert_int_equal(error->domain, QIDL_ERROR);
    assert_string_equal(error->message, message);
    assert_int_equal(error->code, QIDL_ERROR_INVALID);
    assert_int_equal(qidl_filter_set_get_n_filters(set), 0);
}

/* ------------------------------------------------------------------ */
/* Rule kinds                                                         */
/* ------------------------------------------------------------------ */

static void test_filter__rename_type(void **state)
{
    g_autoptr(QidlFilterSet) set =
        rules("{'rules': [{'type': 'kvm-*', 'rename_type': 'apic'}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    g_autoptr(GError) error = NULL;
    const QidlFilterStat *st;

    apic(tree, "apic0", "kvm-apic", "/machine/apic0");
    apic(tree, "apic1", "apic", "/machine/apic1");
    assert_true(qidl_filter_set_apply(set, tree, &stats, &error));
    assert_string_equal(qidl_node_get_type_name(dev_of(tree, "apic0")),
                        "apic");
    assert_string_equal(qidl_node_get_instance_path(dev_of(tree, "apic0")),
                        "/machine/apic0");
    assert_int_equal(qidl_node_get_version(dev_of(tree, "apic0")), 3);
    assert_int_equal(stats->len, 1);
    st = &g_array_index(stats, QidlFilterStat, 0);
    assert_string_equal(st->name, "t.json:rules[0]");
    assert_int_equal(st->matched, 1);
    assert_int_equal(st->changed, 1);
}

static void test_filter__rename_field(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': ["
        " {'type': 'apic', 'rename_field': {'from': 'tpr', 'to': 'task_pri'}},"
        " {'type': 'apic', 'rename_field': {'from': 'regs.lo', "
        "  'to': 'regs.low'}},"
        " {'type': 'apic', 'rename_field': {'from': 'regs.hi', "
        "  'to': 'high'}},"
        " {'type': 'apic', 'rename_field': {'from': 'isr[1]', "
        "  'to': 'regs.isr1'}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autofree char *top = NULL;
    g_autofree char *regs_fields = NULL;
    QidlNode *dev = apic(tree, "apic0", "apic", "/machine/apic0");
    QidlNode *regs = structure(dev, "regs");

    u8(regs, "lo", 1);
    u8(regs, "hi", 2);
    apply_ok(set, tree);
    dev = dev_of(tree, "apic0");
    top = fields(dev);
    /* Same struct: the position is kept; another struct: appended. */
    assert_string_equal(top, "apicbase,id,task_pri,isr,next_time,regs,high");
    regs_fields = fields(qidl_node_get_child(dev, "regs"));
    assert_string_equal(regs_fields, "low,isr1");
    assert_int_equal(qidl_node_get_uint(qidl_node_find(dev, "regs.isr1")),
                     0x10);
    assert_int_equal(qidl_node_get_n_children(qidl_node_get_child(dev, "isr")),
                     7);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(dev, "high")), 2);
}

static void test_filter__rename_field_missing_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'apic', 'rename_field': "
        "{'from': 'tpr2', 'to': 'x'}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    apic(tree, "apic0", "apic", "/machine/apic0");
    apply_fail(set, tree, QIDL_ERROR_MISSING_FIELD,
               "t.json:rules[0] on /machine/apic0: apic0.tpr2: no such field");
}

static void test_filter__rename_field_optional(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'apic', 'rename_field': "
        "{'from': 'tpr2', 'to': 'x', 'optional': true}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlTree) before = NULL;
    g_autoptr(GArray) stats = NULL;

    apic(tree, "apic0", "apic", "/machine/apic0");
    before = snapshot(tree);
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    assert_trees_equal(tree, before);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).matched, 1);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).changed, 0);
}

static void test_filter__rename_field_exists_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'apic', 'rename_field': "
        "{'from': 'tpr', 'to': 'id'}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    apic(tree, "apic0", "apic", "/machine/apic0");
    apply_fail(set, tree, QIDL_ERROR_INVALID,
               "t.json:rules[0] on /machine/apic0: apic0.id: field already "
               "exists");
}

static void test_filter__rename_field_parent_not_struct_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'apic', 'rename_field': "
        "{'from': 'tpr', 'to': 'isr.tpr'}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    apic(tree, "apic0", "apic", "/machine/apic0");
    apply_fail(set, tree, QIDL_ERROR_TYPE_MISMATCH,
               "t.json:rules[0] on /machine/apic0: apic0.isr: expected "
               "struct, found list");
}

static void test_filter__drop_field(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': ["
        " {'type': 'apic', 'drop_field': {'field': 'next_time'}},"
        " {'type': 'apic', 'drop_field': {'field': 'isr[0]'}},"
        " {'type': 'apic', 'drop_field': {'field': 'nope', "
        "  'optional': true}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    g_autofree char *names = NULL;

    apic(tree, "apic0", "apic", "/machine/apic0");
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    names = fields(dev_of(tree, "apic0"));
    assert_string_equal(names, "apicbase,id,tpr,isr");
    assert_int_equal(
        qidl_node_get_uint(qidl_node_find(dev_of(tree, "apic0"), "isr[0]")),
        0x10);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 2).changed, 0);
}

static void test_filter__drop_field_missing_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'apic', 'drop_field': {'field': 'isr[8]'}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    apic(tree, "apic0", "apic", "/machine/apic0");
    apply_fail(set, tree, QIDL_ERROR_MISSING_FIELD,
               "t.json:rules[0] on /machine/apic0: apic0.isr[8]: no such "
               "field");
}

static void test_filter__add_field(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': ["
        " {'type': 'apic', 'add_field': {'field': 'arb_id', "
        "  'value': {'u8': 0}}},"
        " {'type': 'apic', 'add_field': {'field': 'timer', "
        "  'value': {'expiry': {'i64': '-5'}, 'mode': 'oneshot'}}},"
        " {'type': 'apic', 'add_field': {'field': 'timer.armed', "
        "  'value': true}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autofree char *top = NULL;
    g_autofree char *timer = NULL;
    QidlNode *dev;

    apic(tree, "apic0", "apic", "/machine/apic0");
    apply_ok(set, tree);
    dev = dev_of(tree, "apic0");
    top = fields(dev);
    assert_string_equal(top, "apicbase,id,tpr,isr,next_time,arb_id,timer");
    assert_int_equal(qidl_node_get_kind(qidl_node_get_child(dev, "arb_id")),
                     QIDL_KIND_UINT8);
    assert_int_equal(qidl_node_get_uint(qidl_node_get_child(dev, "arb_id")),
                     0);
    timer = fields(qidl_node_get_child(dev, "timer"));
    assert_string_equal(timer, "expiry,mode,armed");
    assert_int_equal(qidl_node_get_int(qidl_node_find(dev, "timer.expiry")),
                     -5);
    assert_true(qidl_node_get_bool(qidl_node_find(dev, "timer.armed")));
}

static void test_filter__add_field_exists_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'apic', 'add_field': {'field': 'tpr', "
        "'value': {'u8': 0}}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    apic(tree, "apic0", "apic", "/machine/apic0");
    apply_fail(set, tree, QIDL_ERROR_INVALID,
               "t.json:rules[0] on /machine/apic0: apic0.tpr: field already "
               "exists");
}

static void test_filter__add_field_no_parent_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'apic', 'add_field': {'field': 'timer.armed', "
        "'value': false}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    apic(tree, "apic0", "apic", "/machine/apic0");
    apply_fail(set, tree, QIDL_ERROR_MISSING_FIELD,
               "t.json:rules[0] on /machine/apic0: apic0.timer: no such "
               "field");
}

static void test_filter__map_values(void **state)
{
    /* Renumber an enum in place, and widen another one to uint16. */
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': ["
        " {'type': 'apic', 'map_values': {'field': 'tpr', 'map': ["
        "  {'from': {'u8': 16}, 'to': {'u8': 2}},"
        "  {'from': {'u8': 2}, 'to': {'u8': 16}}]}},"
        " {'type': 'apic', 'map_values': {'field': 'id', 'map': ["
        "  {'from': {'u8': 0}, 'to': {'u16': 256}}]}},"
        " {'type': 'apic', 'map_values': {'field': 'isr[2]', 'map': ["
        "  {'from': {'u32': 7}, 'to': {'u32': 8}}]}},"
        " {'type': 'apic', 'map_values': {'field': 'isr[3]', 'map': ["
        "  {'from': {'u32': 48}, 'to': {'u32': 49}}]}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    g_autofree char *top = NULL;
    QidlNode *dev;

    apic(tree, "apic0", "apic", "/machine/apic0");
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    dev = dev_of(tree, "apic0");
    /* 16 -> 2, and not back again: one entry applies per value. */
    assert_int_equal(qidl_node_get_uint(qidl_node_get_child(dev, "tpr")), 2);
    assert_int_equal(qidl_node_get_kind(qidl_node_get_child(dev, "id")),
                     QIDL_KIND_UINT16);
    assert_int_equal(qidl_node_get_uint(qidl_node_get_child(dev, "id")), 256);
    top = fields(dev);
    assert_string_equal(top, "apicbase,id,tpr,isr,next_time");
    /* Values not in a non-strict map are kept. */
    assert_int_equal(qidl_node_get_uint(qidl_node_find(dev, "isr[2]")), 0x20);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 2).matched, 1);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 2).changed, 0);
    /* A list element is mapped in its place. */
    assert_int_equal(qidl_node_get_uint(qidl_node_find(dev, "isr[3]")), 49);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(dev, "isr[4]")), 0x40);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 3).changed, 1);
}

static void test_filter__map_values_strict_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'apic', 'map_values': {'field': 'tpr', "
        "'strict': true, 'map': [{'from': {'u8': 1}, 'to': {'u8': 2}}]}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    apic(tree, "apic0", "apic", "/machine/apic0");
    apply_fail(set, tree, QIDL_ERROR_CONSTRAINT,
               "t.json:rules[0] on /machine/apic0: apic0.tpr: value "
               "(uint8) 0x10 is not in the map");
}

static void test_filter__map_values_kind_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'apic', 'map_values': {'field': 'apicbase', "
        "'map': [{'from': {'u8': 1}, 'to': {'u8': 2}}]}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    apic(tree, "apic0", "apic", "/machine/apic0");
    apply_fail(set, tree, QIDL_ERROR_TYPE_MISMATCH,
               "t.json:rules[0] on /machine/apic0: apic0.apicbase: expected "
               "uint8, found uint32");
}

static void test_filter__set_version_and_version_match(void **state)
{
    /* v1 -> v2 adds a field; v2 -> v3 renames one: a v1 device goes all
     * the way, a v2 device takes the second step only. */
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': ["
        " {'type': 'uart', 'version': 1, 'add_field': {'field': 'scr', "
        "  'value': {'u8': 0}}},"
        " {'type': 'uart', 'version': 1, 'set_version': 2},"
        " {'type': 'uart', 'version': 2, 'rename_field': {'from': 'scr', "
        "  'to': 'scratch'}},"
        " {'type': 'uart', 'version': 2, 'set_version': 3}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    QidlNode *a = device(tree, "com1", "uart", "/machine/com1", 1);
    QidlNode *b = device(tree, "com2", "uart", "/machine/com2", 2);

    u8(a, "lcr", 3);
    u8(b, "lcr", 3);
    u8(b, "scr", 9);
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    a = dev_of(tree, "com1");
    b = dev_of(tree, "com2");
    assert_int_equal(qidl_node_get_version(a), 3);
    assert_int_equal(qidl_node_get_version(b), 3);
    assert_int_equal(qidl_node_get_uint(qidl_node_get_child(a, "scratch")),
                     0);
    assert_int_equal(qidl_node_get_uint(qidl_node_get_child(b, "scratch")),
                     9);
    /* com2 (version 2) is skipped by the version 1 rules. */
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).matched, 1);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).changed, 1);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 2).matched, 2);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 2).changed, 2);
}

static const char split_rest_rules[] =
    "{'rules': [{'type': 'combo', 'split': ["
    " {'type': 'front', 'path': '{path}', 'version': 1,"
    "  'fields': [{'from': 'front_cfg', 'to': 'cfg'}, 'a']},"
    " {'type': 'back', 'path': '{path}/back', 'name': '{name}-back',"
    "  'version': 4, 'fields': [{'from': 'back_cfg', 'to': 'cfg'}],"
    "  'rest': true}]}]}";

static void test_filter__split_rest(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(split_rest_rules);
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autofree char *devs = NULL;
    g_autofree char *front = NULL;
    g_autofree char *back = NULL;
    QidlNode *dev;

    device(tree, "first", "other", "/machine/first", 1);
    dev = device(tree, "c0", "combo", "/machine/c0", 2);
    u8(dev, "z", 1);
    u8(dev, "back_cfg", 2);
    u8(dev, "a", 3);
    u8(dev, "front_cfg", 4);
    u8(dev, "y", 5);
    device(tree, "last", "other", "/machine/last", 1);

    apply_ok(set, tree);
    devs = layout(tree);
    assert_string_equal(devs, "first:other,c0:front,c0-back:back,last:other");
    dev = dev_of(tree, "c0");
    assert_string_equal(qidl_node_get_instance_path(dev), "/machine/c0");
    assert_int_equal(qidl_node_get_version(dev), 1);
    front = fields(dev);
    assert_string_equal(front, "cfg,a");
    assert_int_equal(qidl_node_get_uint(qidl_node_get_child(dev, "cfg")), 4);
    dev = dev_of(tree, "c0-back");
    assert_string_equal(qidl_node_get_instance_path(dev), "/machine/c0/back");
    assert_int_equal(qidl_node_get_version(dev), 4);
    /* Listed fields first, then the rest in their original order. */
    back = fields(dev);
    assert_string_equal(back, "cfg,z,y");
}

static void test_filter__split_unlisted_field_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'combo', 'split': ["
        " {'type': 'front', 'path': '{path}', 'version': 1, 'fields': ['a']},"
        " {'type': 'back', 'path': '{path}/b', 'name': 'b', 'version': 1,"
        "  'fields': ['b']}]}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *dev = device(tree, "c0", "combo", "/machine/c0", 1);

    u8(dev, "a", 1);
    u8(dev, "b", 2);
    u8(dev, "c", 3);
    apply_fail(set, tree, QIDL_ERROR_UNKNOWN_FIELD,
               "t.json:rules[0] on /machine/c0: c0.c: field not listed in "
               "any split target");
}

static void test_filter__split_missing_field_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(split_rest_rules);
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *dev = device(tree, "c0", "combo", "/machine/c0", 1);

    u8(dev, "a", 1);
    u8(dev, "back_cfg", 2);
    apply_fail(set, tree, QIDL_ERROR_MISSING_FIELD,
               "t.json:rules[0] on /machine/c0: c0.front_cfg: no such field");
}

static void test_filter__split_name_taken_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(split_rest_rules);
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *dev = device(tree, "c0", "combo", "/machine/c0", 1);

    u8(dev, "a", 1);
    u8(dev, "back_cfg", 2);
    u8(dev, "front_cfg", 3);
    device(tree, "c0-back", "other", "/machine/x", 1);
    apply_fail(set, tree, QIDL_ERROR_INVALID,
               "t.json:rules[0] on /machine/c0: a device named \"c0-back\" "
               "already exists");
}

static const char merge_rest_rules[] =
    "{'rules': [{'type': 'front', 'merge': {"
    " 'type': 'combo', 'path': '{path}', 'name': '{name}', 'version': 2,"
    " 'sources': ["
    "  {'fields': [{'from': 'cfg', 'to': 'front_cfg'}], 'rest': true},"
    "  {'type': 'back', 'path': '{path}/back',"
    "   'fields': [{'from': 'cfg', 'to': 'back_cfg'}], 'rest': true}]}}]}";

static void test_filter__merge_rest(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(merge_rest_rules);
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    g_autofree char *devs = NULL;
    g_autofree char *names = NULL;
    QidlNode *back, *front, *lone;

    /* The partner comes first; the result takes the front's place. */
    back = device(tree, "c0-back", "back", "/machine/c0/back", 4);
    u8(back, "z", 1);
    u8(back, "cfg", 2);
    device(tree, "mid", "other", "/machine/mid", 1);
    front = device(tree, "c0", "front", "/machine/c0", 1);
    u8(front, "a", 3);
    u8(front, "cfg", 4);
    /* No partner at /machine/c1/back: left alone. */
    lone = device(tree, "c1", "front", "/machine/c1", 1);
    u8(lone, "cfg", 5);

    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    devs = layout(tree);
    assert_string_equal(devs, "mid:other,c0:combo,c1:front");
    names = fields(dev_of(tree, "c0"));
    assert_string_equal(names, "front_cfg,a,back_cfg,z");
    assert_int_equal(qidl_node_get_version(dev_of(tree, "c0")), 2);
    assert_string_equal(qidl_node_get_instance_path(dev_of(tree, "c0")),
                        "/machine/c0");
    /* c1 was skipped (no partner): not counted as matched. */
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).matched, 1);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).changed, 1);
}

static void test_filter__merge_unlisted_field_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'front', 'merge': {"
        " 'type': 'combo', 'path': '{path}', 'version': 2,"
        " 'sources': [{'rest': true},"
        "  {'path': '{path}/back', 'fields': ['b']}]}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *front = device(tree, "c0", "front", "/machine/c0", 1);
    QidlNode *back = device(tree, "c0-back", "back", "/machine/c0/back", 1);

    u8(front, "a", 1);
    u8(back, "b", 2);
    u8(back, "c", 3);
    apply_fail(set, tree, QIDL_ERROR_UNKNOWN_FIELD,
               "t.json:rules[0] on /machine/c0: c0-back.c: field not listed "
               "in merge source 1");
}

static void test_filter__merge_same_field_twice_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'front', 'merge': {"
        " 'type': 'combo', 'path': '{path}', 'version': 2,"
        " 'sources': [{'rest': true}, {'path': '{path}/back', "
        "  'rest': true}]}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    QidlNode *front = device(tree, "c0", "front", "/machine/c0", 1);
    QidlNode *back = device(tree, "c0-back", "back", "/machine/c0/back", 1);

    u8(front, "a", 1);
    u8(back, "a", 2);
    apply_fail(set, tree, QIDL_ERROR_INVALID,
               "t.json:rules[0] on /machine/c0: c0.a: field already exists");
}

/* ------------------------------------------------------------------ */
/* Order and recursion                                                */
/* ------------------------------------------------------------------ */

static void test_filter__order_matters(void **state)
{
    static const char ab[] = "{'type': 'a', 'rename_type': 'b'}";
    static const char bc[] = "{'type': 'b', 'rename_type': 'c'}";
    g_autofree char *forward = g_strdup_printf("{'rules': [%s, %s]}", ab, bc);
    g_autofree char *backward = g_strdup_printf("{'rules': [%s, %s]}", bc,
                                                ab);
    g_autoptr(QidlFilterSet) f = rules(forward);
    g_autoptr(QidlFilterSet) b = rules(backward);
    g_autoptr(QidlTree) t1 = qidl_tree_new();
    g_autoptr(QidlTree) t2 = qidl_tree_new();

    device(t1, "d", "a", "/machine/d", 1);
    device(t2, "d", "a", "/machine/d", 1);
    apply_ok(f, t1);
    apply_ok(b, t2);
    /* a -> b -> c in one pass; the other order stops at b: no fixpoint. */
    assert_string_equal(qidl_node_get_type_name(dev_of(t1, "d")), "c");
    assert_string_equal(qidl_node_get_type_name(dev_of(t2, "d")), "b");
}

typedef struct {
    GString *log;
    gboolean split;   /* x -> x + x-new, both of type "x" */
    int fail_on;      /* call number that fails; -1 for none */
    int calls;
} Recorder;

static QidlFilterResult record(QidlTree *tree, QidlNode *device_node,
                               gpointer user_data, GError **error)
{
    Recorder *r = user_data;
    g_autofree char *name = NULL;
    QidlNode *copy;

    g_string_append_printf(r->log, "%s%s", r->log->len ? "," : "",
                           qidl_node_get_name(device_node));
    if (r->calls++ == r->fail_on) {
        /* Edit first: the failure must still leave the tree as it was. */
        qidl_node_set_type_name(device_node, "ruined");
        u8(device_node, "junk", 1);
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT, "%s: broken",
                    qidl_node_get_name(device_node));
        return QIDL_FILTER_FAILED;
    }
    if (!r->split) {
        return QIDL_FILTER_UNCHANGED;
    }
    /* A filter that matches what it creates: it must not see its results. */
    name = g_strdup_printf("%s-new", qidl_node_get_name(device_node));
    copy = qidl_node_new_struct(tree, name);
    qidl_node_set_device(copy, qidl_node_get_type_name(device_node),
                         "/machine/new", 1);
    append(qidl_tree_get_root(tree), copy);
    return QIDL_FILTER_CHANGED;
}

static void test_filter__created_devices_seen_by_later_filters_only(
    void **state)
{
    Recorder before = { .log = g_string_new(NULL), .fail_on = -1 };
    Recorder splitter = { .log = g_string_new(NULL), .split = TRUE,
                          .fail_on = -1 };
    Recorder after = { .log = g_string_new(NULL), .fail_on = -1 };
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    g_autofree char *devs = NULL;

    qidl_filter_set_add(set, "before", "x", NULL, record, &before, NULL);
    qidl_filter_set_add(set, "splitter", "x", NULL, record, &splitter, NULL);
    qidl_filter_set_add(set, "after", "x", NULL, record, &after, NULL);
    device(tree, "d1", "x", "/machine/d1", 1);
    device(tree, "d2", "y", "/machine/d2", 1);
    device(tree, "d3", "x", "/machine/d3", 1);
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));

    assert_string_equal(before.log->str, "d1,d3");
    assert_string_equal(splitter.log->str, "d1,d3");
    assert_string_equal(after.log->str, "d1,d3,d1-new,d3-new");
    devs = layout(tree);
    assert_string_equal(devs, "d1:x,d2:y,d3:x,d1-new:x,d3-new:x");
    assert_int_equal(stats->len, 3);
    assert_string_equal(g_array_index(stats, QidlFilterStat, 1).name,
                        "splitter");
    assert_int_equal(g_array_index(stats, QidlFilterStat, 1).changed, 2);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 2).matched, 4);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 2).changed, 0);
    g_string_free(before.log, TRUE);
    g_string_free(splitter.log, TRUE);
    g_string_free(after.log, TRUE);
}

static void test_filter__split_result_not_seen_by_splitting_rule(void **state)
{
    /* The targets match the split rule again; it still runs once. */
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'x', 'split': ["
        " {'type': 'x', 'path': '{path}', 'version': 1, 'fields': ['a']},"
        " {'type': 'x', 'path': '{path}/b', 'name': '{name}b', 'version': 1,"
        "  'rest': true}]},"
        " {'type': 'x', 'add_field': {'field': 'seen', 'value': true}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    g_autofree char *devs = NULL;
    g_autofree char *f0 = NULL;
    g_autofree char *f1 = NULL;
    QidlNode *dev = device(tree, "d", "x", "/machine/d", 1);

    u8(dev, "a", 1);
    u8(dev, "b", 2);
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    devs = layout(tree);
    assert_string_equal(devs, "d:x,db:x");
    f0 = fields(dev_of(tree, "d"));
    f1 = fields(dev_of(tree, "db"));
    assert_string_equal(f0, "a,seen");
    assert_string_equal(f1, "b,seen");
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).matched, 1);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 1).matched, 2);
}

static void test_filter__merged_partner_not_visited(void **state)
{
    /* Both devices match the merge rule; the partner, removed by the
     * first call, is not visited afterwards. */
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'path': '/machine/c0*', 'merge': {"
        " 'type': 'combo', 'path': '{path}', 'version': 1,"
        " 'sources': [{'rest': true}, {'path': '{path}/back', "
        "  'rest': true}]}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    g_autofree char *devs = NULL;

    u8(device(tree, "c0", "front", "/machine/c0", 1), "a", 1);
    u8(device(tree, "c0-back", "back", "/machine/c0/back", 1), "b", 2);
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    devs = layout(tree);
    assert_string_equal(devs, "c0:combo");
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).matched, 1);
}

/* ------------------------------------------------------------------ */
/* C callbacks, atomicity, statistics                                 */
/* ------------------------------------------------------------------ */

static void test_filter__callback_by_type_glob(void **state)
{
    Recorder r = { .log = g_string_new(NULL), .fail_on = -1 };
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(QidlTree) tree = qidl_tree_new();

    qidl_filter_set_add(set, "virtio", "virtio-*", NULL, record, &r, NULL);
    device(tree, "a", "virtio-pci", "/machine/a", 1);
    device(tree, "b", "apic", "/machine/virtio-b", 1);
    device(tree, "c", "virtio-blk", "/machine/c", 1);
    device(tree, "d", "xvirtio-blk", "/machine/d", 1);
    apply_ok(set, tree);
    assert_string_equal(r.log->str, "a,c");
    g_string_free(r.log, TRUE);
}

static void test_filter__callback_by_path_glob(void **state)
{
    Recorder r = { .log = g_string_new(NULL), .fail_on = -1 };
    Recorder both = { .log = g_string_new(NULL), .fail_on = -1 };
    Recorder any = { .log = g_string_new(NULL), .fail_on = -1 };
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(QidlTree) tree = qidl_tree_new();

    qidl_filter_set_add(set, "path", NULL, "/machine/virtio*", record, &r,
                        NULL);
    qidl_filter_set_add(set, "both", "apic", "/machine/virtio?", record,
                        &both, NULL);
    qidl_filter_set_add(set, "any", NULL, NULL, record, &any, NULL);
    device(tree, "a", "virtio-pci", "/machine/a", 1);
    device(tree, "b", "apic", "/machine/virtio0", 1);
    device(tree, "c", "apic", "/machine/virtio/blk0", 1);
    /* Not a device root: never seen by any filter, kept as it is. */
    u8(qidl_tree_get_root(tree), "loose", 7);
    apply_ok(set, tree);
    assert_string_equal(r.log->str, "b,c");
    assert_string_equal(both.log->str, "b");
    assert_string_equal(any.log->str, "a,b,c");
    assert_int_equal(qidl_node_get_uint(dev_of(tree, "loose")), 7);
    g_string_free(r.log, TRUE);
    g_string_free(both.log, TRUE);
    g_string_free(any.log, TRUE);
}

static QidlFilterResult skip_all(QidlTree *tree, QidlNode *device_node,
                                 gpointer user_data, GError **error)
{
    (*(int *)user_data)++;
    return QIDL_FILTER_SKIPPED;
}

static void test_filter__skipped_devices_not_counted(void **state)
{
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    int calls = 0;

    qidl_filter_set_add(set, "skipper", NULL, NULL, skip_all, &calls, NULL);
    device(tree, "a", "x", "/machine/a", 1);
    device(tree, "b", "x", "/machine/b", 1);
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    assert_int_equal(calls, 2);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).matched, 0);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).changed, 0);
}

static void test_filter__failing_callback_leaves_tree_unchanged_fail(
    void **state)
{
    Recorder r = { .log = g_string_new(NULL), .fail_on = 1 };
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': '*', 'rename_type': 'renamed'},"
        " {'type': '*', 'drop_field': {'field': 'a'}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    /* Two rule filters change every device, then the third fails on the
     * second device after editing it. */
    qidl_filter_set_add(set, "breaker", NULL, NULL, record, &r, NULL);
    u8(device(tree, "d1", "x", "/machine/d1", 1), "a", 1);
    u8(device(tree, "d2", "y", "/machine/d2", 2), "a", 2);
    apply_fail(set, tree, QIDL_ERROR_CONSTRAINT,
               "breaker on /machine/d2: d2: broken");
    assert_string_equal(r.log->str, "d1,d2");
    g_string_free(r.log, TRUE);
}

static void test_filter__failing_rule_leaves_tree_unchanged_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'rules': [{'type': 'x', 'rename_type': 'y'},"
        " {'name': 'strict-a', 'type': 'y', 'drop_field': {'field': 'a'}}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    u8(device(tree, "d1", "x", "/machine/d1", 1), "a", 1);
    u8(device(tree, "d2", "x", "/machine/d2", 1), "b", 1);
    apply_fail(set, tree, QIDL_ERROR_MISSING_FIELD,
               "strict-a on /machine/d2: d2.a: no such field");
}

static void test_filter__unchanged_tree_keeps_its_nodes(void **state)
{
    g_autoptr(QidlFilterSet) set =
        rules("{'rules': [{'type': 'nothing-here', 'rename_type': 'x'}]}");
    g_autoptr(QidlFilterSet) changing =
        rules("{'rules': [{'type': 'apic', 'rename_type': 'x'}]}");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    QidlNode *dev = apic(tree, "apic0", "apic", "/machine/apic0");

    /* Nothing changed: the caller's nodes are still the tree's nodes. */
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    assert_ptr_equal(dev_of(tree, "apic0"), dev);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).matched, 0);
    /* Something changed: the devices were replaced by the result. */
    apply_ok(changing, tree);
    assert_ptr_not_equal(dev_of(tree, "apic0"), dev);
    assert_null(qidl_node_get_parent(dev));
    assert_string_equal(qidl_node_get_type_name(dev), "apic");
}

static void test_filter__empty_set(void **state)
{
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    QidlNode *dev = apic(tree, "apic0", "apic", "/machine/apic0");

    assert_int_equal(qidl_filter_set_get_n_filters(set), 0);
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    assert_int_equal(stats->len, 0);
    assert_ptr_equal(dev_of(tree, "apic0"), dev);
}

static void test_filter__names(void **state)
{
    g_autoptr(QidlFilterSet) set = rules(
        "{'comment': 'two', 'rules': ["
        " {'type': 'a', 'rename_type': 'b'},"
        " {'name': 'second', 'comment': 'why', 'type': 'b',"
        "  'rename_type': 'c'}]}");

    assert_int_equal(qidl_filter_set_get_n_filters(set), 2);
    assert_string_equal(qidl_filter_set_get_name(set, 0), "t.json:rules[0]");
    assert_string_equal(qidl_filter_set_get_name(set, 1), "second");
}

/* ------------------------------------------------------------------ */
/* Seed filters                                                       */
/* ------------------------------------------------------------------ */

static void test_filter__seed_kvm_apic_round_trip(void **state)
{
    g_autoptr(QidlFilterSet) to_apic = seed("kvm-apic-to-apic.json");
    g_autoptr(QidlFilterSet) to_kvm = seed("apic-to-kvm-apic.json");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlTree) original = NULL;
    g_autoptr(GArray) stats = NULL;
    QidlNode *dev;

    apic(tree, "apic0", "kvm-apic", "/machine/unattached/device[0]/lapic");
    apic(tree, "apic1", "kvm-apic", "/machine/unattached/device[1]/lapic");
    original = snapshot(tree);

    assert_true(qidl_filter_set_apply(to_apic, tree, &stats, NULL));
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).changed, 2);
    dev = dev_of(tree, "apic1");
    assert_string_equal(qidl_node_get_type_name(dev), "apic");
    assert_int_equal(qidl_node_get_version(dev), 3);
    /* Only the type name changed. */
    assert_int_equal(qidl_node_compare(dev, dev_of(original, "apic1"), NULL,
                                       NULL), 1);

    apply_ok(to_kvm, tree);
    assert_trees_equal(tree, original);
}

static void test_filter__seed_virtio_blk_split_then_merge(void **state)
{
    g_autoptr(QidlFilterSet) split = seed("virtio-blk-pci-split.json");
    g_autoptr(QidlFilterSet) merge = seed("virtio-blk-merge.json");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlTree) original = NULL;
    g_autoptr(QidlTree) split_tree = NULL;
    g_autoptr(GArray) stats = NULL;
    g_autofree char *devs = NULL;
    g_autofree char *pci_fields = NULL;
    g_autofree char *blk_fields = NULL;
    QidlNode *pci, *blk;

    apic(tree, "apic0", "apic", "/machine/apic0");
    virtio_blk_pci(tree, "vblk0", "/machine/peripheral/vblk0");
    virtio_blk_pci(tree, "vblk1", "/machine/peripheral/vblk1");
    original = snapshot(tree);

    assert_true(qidl_filter_set_apply(split, tree, &stats, NULL));
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).changed, 2);
    devs = layout(tree);
    assert_string_equal(devs, "apic0:apic,vblk0:virtio-pci,"
                        "vblk0-backend:virtio-blk,vblk1:virtio-pci,"
                        "vblk1-backend:virtio-blk");
    pci = dev_of(tree, "vblk0");
    blk = dev_of(tree, "vblk0-backend");
    assert_string_equal(qidl_node_get_instance_path(pci),
                        "/machine/peripheral/vblk0");
    assert_string_equal(qidl_node_get_instance_path(blk),
                        "/machine/peripheral/vblk0/virtio-backend");
    assert_int_equal(qidl_node_get_version(pci), 1);
    assert_int_equal(qidl_node_get_version(blk), 1);
    pci_fields = fields(pci);
    assert_string_equal(pci_fields, "config,msix_table,msix_pba,status,isr,"
                        "queue_sel,config_vector,host_features,"
                        "guest_features,queues");
    blk_fields = fields(blk);
    assert_string_equal(blk_fields, "config,requests");
    assert_int_equal(qidl_node_get_kind(qidl_node_get_child(pci, "config")),
                     QIDL_KIND_BYTES);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(blk,
                                                       "config.blk_size")),
                     512);
    assert_int_equal(qidl_node_get_uint(qidl_node_find(pci,
                                          "queues[1].last_avail_idx")), 18);
    split_tree = snapshot(tree);

    /* Merge restores the original exactly: names, order, kinds, values,
     * device information. */
    assert_true(qidl_filter_set_apply(merge, tree, &stats, NULL));
    assert_trees_equal(tree, original);

    /* And split again gives the same split state. */
    apply_ok(split, tree);
    assert_trees_equal(tree, split_tree);
}

static void test_filter__seed_virtio_merge_leaves_other_backends(void **state)
{
    g_autoptr(QidlFilterSet) merge = seed("virtio-blk-merge.json");
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlTree) original = NULL;
    g_autoptr(GArray) stats = NULL;

    u8(device(tree, "net0", "virtio-pci", "/machine/net0", 1), "status", 1);
    u8(device(tree, "net0-backend", "virtio-net",
              "/machine/net0/virtio-backend", 1), "mac", 1);
    original = snapshot(tree);
    assert_true(qidl_filter_set_apply(merge, tree, &stats, NULL));
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).matched, 0);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).changed, 0);
    assert_trees_equal(tree, original);
}

static void test_filter__seed_virtio_split_extra_field_fail(void **state)
{
    g_autoptr(QidlFilterSet) split = seed("virtio-blk-pci-split.json");
    g_autoptr(QidlTree) tree = qidl_tree_new();

    u8(virtio_blk_pci(tree, "vblk0", "/machine/vblk0"), "wce", 1);
    apply_fail(split, tree, QIDL_ERROR_UNKNOWN_FIELD,
               "virtio-blk-pci-split on /machine/vblk0: vblk0.wce: field not "
               "listed in any split target");
}

static void test_filter__seed_all_in_one_pass(void **state)
{
    /* The worked example of filter.h: a later filter sees split results. */
    g_autoptr(QidlFilterSet) set = seed("kvm-apic-to-apic.json");
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(GArray) stats = NULL;
    Recorder r = { .log = g_string_new(NULL), .fail_on = -1 };
    const char *root = g_getenv("QIDL_SOURCE_ROOT");
    g_autofree char *path = g_build_filename(root ? root : ".", "hw",
                                             "filters",
                                             "virtio-blk-pci-split.json",
                                             NULL);

    assert_true(qidl_filter_set_load_rules_file(set, path, &error));
    qidl_filter_set_add(set, "F3", "virtio-*", NULL, record, &r, NULL);
    apic(tree, "apic0", "kvm-apic", "/machine/apic0");
    virtio_blk_pci(tree, "vblk0", "/machine/vblk0");
    assert_true(qidl_filter_set_apply(set, tree, &stats, NULL));
    assert_string_equal(r.log->str, "vblk0,vblk0-backend");
    assert_int_equal(stats->len, 3);
    assert_string_equal(g_array_index(stats, QidlFilterStat, 0).name,
                        "kvm-apic-to-apic");
    assert_int_equal(g_array_index(stats, QidlFilterStat, 0).changed, 1);
    assert_int_equal(g_array_index(stats, QidlFilterStat, 1).changed, 1);
    g_string_free(r.log, TRUE);
}

/* ------------------------------------------------------------------ */
/* Rule-file validation                                               */
/* ------------------------------------------------------------------ */

static void test_filter__rules_malformed_fail(void **state)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        { "[]", "t.json: expected an object" },
        { "{}", "t.json: missing key \"rules\"" },
        { "{'rules': {}}", "t.json: rules: expected an array" },
        { "{'rules': [], 'extra': 1}", "t.json: unknown key \"extra\"" },
        { "{'comment': 1, 'rules': []}",
          "t.json: comment: expected a string" },
        { "{'rules': [1]}", "t.json: rules[0]: expected an object" },
        { "{'rules': [{'type': 'a', 'rename_type': 'b', 'colour': 1}]}",
          "t.json: rules[0]: unknown key \"colour\"" },
        { "{'rules': [{'rename_type': 'b'}]}",
          "t.json: rules[0]: missing key \"type\" or \"path\"" },
        { "{'rules': [{'type': 1, 'rename_type': 'b'}]}",
          "t.json: rules[0]: type: expected a string" },
        { "{'rules': [{'path': true, 'rename_type': 'b'}]}",
          "t.json: rules[0]: path: expected a string" },
        { "{'rules': [{'type': 'a', 'name': 2, 'rename_type': 'b'}]}",
          "t.json: rules[0]: name: expected a string" },
        { "{'rules': [{'type': 'a', 'version': -1, 'set_version': 1}]}",
          "t.json: rules[0]: version: expected an integer from 0 to "
          "4294967295" },
        { "{'rules': [{'type': 'a', 'set_version': 4294967296}]}",
          "t.json: rules[0]: set_version: expected an integer from 0 to "
          "4294967295" },
        { "{'rules': [{'type': 'a', 'set_version': 1.5}]}",
          "t.json: rules[0]: set_version: expected an integer from 0 to "
          "4294967295" },
        { "{'rules': [{'type': 'a'}]}",
          "t.json: rules[0]: no action (one of rename_type, rename_field, "
          "drop_field, add_field, map_values, set_version, split, merge)" },
        { "{'rules': [{'type': 'a', 'rename_type': 'b', 'set_version': 1}]}",
          "t.json: rules[0]: two actions: \"rename_type\" and "
          "\"set_version\"" },
        { "{'rules': [{'type': 'a', 'rename_type': ''}]}",
          "t.json: rules[0]: rename_type: expected a type name" },
        { "{'rules': [{'type': 'a', 'rename_type': 'b'}, "
          "{'type': 'a', 'rename_field': {'from': 'x', 'form': 'y'}}]}",
          "t.json: rules[1].rename_field: unknown key \"form\"" },
        { "{'rules': [{'type': 'a', 'rename_field': {'from': 'x'}}]}",
          "t.json: rules[0].rename_field: missing key \"to\"" },
        { "{'rules': [{'type': 'a', 'rename_field': 'x'}]}",
          "t.json: rules[0]: rename_field: expected an object" },
        { "{'rules': [{'type': 'a', 'rename_field': {'from': 'x..y', "
          "'to': 'z'}}]}",
          "t.json: rules[0].rename_field: from: \"x..y\" is not a field "
          "path" },
        { "{'rules': [{'type': 'a', 'rename_field': {'from': 'x', "
          "'to': 'z[1]'}}]}",
          "t.json: rules[0].rename_field: to: \"z[1]\" is not a field path "
          "ending in a name" },
        { "{'rules': [{'type': 'a', 'rename_field': {'from': 'x', "
          "'to': 'y', 'optional': 1}}]}",
          "t.json: rules[0].rename_field: optional: expected true or false" },
        { "{'rules': [{'type': 'a', 'drop_field': {'field': '[0]'}}]}",
          "t.json: rules[0].drop_field: field: \"[0]\" is not a field path" },
        { "{'rules': [{'type': 'a', 'drop_field': {'field': '$device'}}]}",
          "t.json: rules[0].drop_field: field: \"$device\" is not a field "
          "path" },
        { "{'rules': [{'type': 'a', 'add_field': {'field': 'x'}}]}",
          "t.json: rules[0].add_field: missing key \"value\"" },
        { "{'rules': [{'type': 'a', 'add_field': {'field': 'x', "
          "'value': {'$device': {'type': 't', 'path': '/p', "
          "'version': 1}}}}]}",
          "t.json: rules[0].add_field: value: a field cannot be a device "
          "root" },
        { "{'rules': [{'type': 'a', 'map_values': {'field': 'x', "
          "'map': []}}]}",
          "t.json: rules[0].map_values: map: empty" },
        { "{'rules': [{'type': 'a', 'map_values': {'field': 'x', "
          "'map': [{'from': {'u8': 1}}]}}]}",
          "t.json: rules[0].map_values.map[0]: missing key \"to\"" },
        { "{'rules': [{'type': 'a', 'map_values': {'field': 'x', "
          "'map': [{'from': {'u8': 1}, 'to': {'u8': 2}, 'by': 1}]}}]}",
          "t.json: rules[0].map_values.map[0]: unknown key \"by\"" },
        { "{'rules': [{'type': 'a', 'map_values': {'field': 'x', "
          "'map': [{'from': {'u8': 1}, 'to': {'u8': 2}}, "
          "{'from': {'u16': 2}, 'to': {'u8': 3}}]}}]}",
          "t.json: rules[0].map_values.map[1]: from: expected uint8 like "
          "map[0]" },
        { "{'rules': [{'type': 'a', 'map_values': {'field': 'x', "
          "'map': [{'from': {'u8': 1}, 'to': {'u8': 2}}, "
          "{'from': {'u8': 1}, 'to': {'u8': 3}}]}}]}",
          "t.json: rules[0].map_values.map[1]: from: same value as map[0]" },
        { "{'rules': [{'type': 'a', 'map_values': {'field': 'x', "
          "'map': [{'from': {'u8': 1}, 'to': {'y': {'u8': 3}}}]}}]}",
          "t.json: rules[0].map_values.map[0]: to: expected a scalar, string "
          "or bytes value" },
        { "{'rules': [{'type': 'a', 'split': [1]}]}",
          "t.json: rules[0].split[0]: expected an object" },
        { "{'rules': [{'type': 'a', 'split': {}}]}",
          "t.json: rules[0]: split: expected an array" },
        { "{'rules': [{'type': 'a', 'map_values': {'field': 'x', "
          "'map': ['y']}}]}",
          "t.json: rules[0].map_values.map[0]: expected an object" },
        { "{'rules': [{'type': 'a', 'split': []}]}",
          "t.json: rules[0]: split: empty" },
        { "{'rules': [{'type': 'a', 'split': [{'path': '{path}', "
          "'version': 1}]}]}",
          "t.json: rules[0].split[0]: missing key \"type\"" },
        { "{'rules': [{'type': 'a', 'split': [{'type': 'b', "
          "'path': '{path}'}]}]}",
          "t.json: rules[0].split[0]: missing key \"version\"" },
        { "{'rules': [{'type': 'a', 'split': [{'type': 'b', "
          "'path': '{id}', 'version': 1}]}]}",
          "t.json: rules[0].split[0]: path: \"{id}\": only {path} and {name} "
          "may appear in braces" },
        { "{'rules': [{'type': 'a', 'split': [{'type': 'b', "
          "'path': '{path}', 'version': 1, 'rest': true}, {'type': 'c', "
          "'path': '{path}/c', 'name': 'c', 'version': 1, 'rest': true}]}]}",
          "t.json: rules[0].split[1]: rest: only one target may take the "
          "rest" },
        { "{'rules': [{'type': 'a', 'split': [{'type': 'b', "
          "'path': '{path}', 'version': 1}, {'type': 'c', "
          "'path': '{path}/c', 'version': 1}]}]}",
          "t.json: rules[0].split[1]: name: same as split[0]" },
        { "{'rules': [{'type': 'a', 'split': [{'type': 'b', "
          "'path': '{path}', 'version': 1, 'fields': ['x']}, {'type': 'c', "
          "'path': '{path}/c', 'name': 'c', 'version': 1, "
          "'fields': ['x']}]}]}",
          "t.json: rules[0].split[1]: field \"x\" is already listed in "
          "split[0]" },
        { "{'rules': [{'type': 'a', 'split': [{'type': 'b', "
          "'path': '{path}', 'version': 1, 'fields': ['x', 'x']}]}]}",
          "t.json: rules[0].split[0].fields[1]: field \"x\" is listed twice" },
        { "{'rules': [{'type': 'a', 'split': [{'type': 'b', "
          "'path': '{path}', 'version': 1, 'fields': ['x', "
          "{'from': 'y', 'to': 'x'}]}]}]}",
          "t.json: rules[0].split[0].fields[1]: two fields become \"x\"" },
        { "{'rules': [{'type': 'a', 'split': [{'type': 'b', "
          "'path': '{path}', 'version': 1, 'fields': ['x.y']}]}]}",
          "t.json: rules[0].split[0].fields[0]: \"x.y\" is not a field name" },
        { "{'rules': [{'type': 'a', 'split': [{'type': 'b', "
          "'path': '{path}', 'version': 1, 'fields': [3]}]}]}",
          "t.json: rules[0].split[0].fields[0]: expected a field name or "
          "{\"from\": ..., \"to\": ...}" },
        { "{'rules': [{'type': 'a', 'merge': {'type': 'b', "
          "'path': '{path}', 'version': 1}}]}",
          "t.json: rules[0].merge: missing key \"sources\"" },
        { "{'rules': [{'type': 'a', 'merge': {'type': 'b', "
          "'path': '{path}', 'version': 1, 'sources': [{}]}}]}",
          "t.json: rules[0].merge: sources: expected at least two sources" },
        { "{'rules': [{'type': 'a', 'merge': {'type': 'b', "
          "'path': '{path}', 'version': 1, 'sources': [{'path': 'p'}, "
          "{'path': 'q'}]}}]}",
          "t.json: rules[0].merge.sources[0]: unknown key \"path\"" },
        { "{'rules': [{'type': 'a', 'merge': {'type': 'b', "
          "'path': '{path}', 'version': 1, 'sources': [{}, {}]}}]}",
          "t.json: rules[0].merge.sources[1]: missing key \"path\"" },
        { "{'rules': [{'type': 'a', 'merge': {'type': 'b', "
          "'path': '{path}', 'version': 1, 'sources': [{'fields': ['x']}, "
          "{'path': 'q', 'fields': ['x']}]}}]}",
          "t.json: rules[0].merge.sources[1]: field \"x\" also comes from "
          "sources[0]" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        load_fail(cases[i].text, cases[i].message);
    }
}

static void test_filter__rules_bad_value_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;

    assert_false(load(set, "{'rules': [{'type': 'a', 'add_field': "
                      "{'field': 'x', 'value': {'u8': 300}}}]}", &error));
    assert_int_equal(error->domain, QIDL_ERROR);
    assert_int_equal(error->code, QIDL_ERROR_INVALID);
    assert_true(g_str_has_prefix(error->message,
                                 "t.json: rules[0].add_field: value: "));
}

static void test_filter__rules_not_json_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;

    assert_false(qidl_filter_set_load_rules_from_data(set, "{\"rules\": [",
                                                      -1, NULL, &error));
    assert_int_equal(error->domain, QIDL_ERROR);
    assert_int_equal(error->code, QIDL_ERROR_INVALID);
    assert_true(g_str_has_prefix(error->message, "<data>:1:"));
    assert_int_equal(qidl_filter_set_get_n_filters(set), 0);
}

static void test_filter__rules_duplicate_member_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;

    /* The source replaces json.h's "<data>" in the position. */
    assert_false(load(set, "{'rules': [{'type': 'a', 'type': 'b', "
                      "'rename_type': 'c'}]}", &error));
    assert_int_equal(error->domain, QIDL_ERROR);
    assert_int_equal(error->code, QIDL_ERROR_INVALID);
    assert_true(g_str_has_prefix(error->message, "t.json:1:"));
    assert_true(g_str_has_suffix(error->message,
                                 "duplicate member \"type\""));
}

static void test_filter__rules_file_missing_fail(void **state)
{
    g_autoptr(QidlFilterSet) set = qidl_filter_set_new();
    g_autoptr(GError) error = NULL;

    assert_false(qidl_filter_set_load_rules_file(
        set, "/nonexistent/qidl-rules.json", &error));
    assert_int_equal(error->domain, QIDL_ERROR);
    assert_int_equal(error->code, QIDL_ERROR_IO);
    assert_non_null(strstr(error->message, "/nonexistent/qidl-rules.json"));
}

static void test_filter__rules_bad_rule_adds_nothing_fail(void **state)
{
    g_autoptr(QidlFilterSet) set =
        rules("{'rules': [{'type': 'a', 'rename_type': 'b'}]}");
    g_autoptr(GError) error = NULL;

    /* The first rule is fine, the second is not: neither is added. */
    assert_false(load(set, "{'rules': [{'type': 'a', 'rename_type': 'b'}, "
                      "{'type': 'a', 'drop_field': {}}]}", &error));
    assert_int_equal(error->code, QIDL_ERROR_INVALID);
    assert_string_equal(error->message,
                        "t.json: rules[1].drop_field: missing key \"field\"");
    assert_int_equal(qidl_filter_set_get_n_filters(set), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter__rename_type),
        cmocka_unit_test(test_filter__rename_field),
        cmocka_unit_test(test_filter__rename_field_missing_fail),
        cmocka_unit_test(test_filter__rename_field_optional),
        cmocka_unit_test(test_filter__rename_field_exists_fail),
        cmocka_unit_test(test_filter__rename_field_parent_not_struct_fail),
        cmocka_unit_test(test_filter__drop_field),
        cmocka_unit_test(test_filter__drop_field_missing_fail),
        cmocka_unit_test(test_filter__add_field),
        cmocka_unit_test(test_filter__add_field_exists_fail),
        cmocka_unit_test(test_filter__add_field_no_parent_fail),
        cmocka_unit_test(test_filter__map_values),
        cmocka_unit_test(test_filter__map_values_strict_fail),
        cmocka_unit_test(test_filter__map_values_kind_fail),
        cmocka_unit_test(test_filter__set_version_and_version_match),
        cmocka_unit_test(test_filter__split_rest),
        cmocka_unit_test(test_filter__split_unlisted_field_fail),
        cmocka_unit_test(test_filter__split_missing_field_fail),
        cmocka_unit_test(test_filter__split_name_taken_fail),
        cmocka_unit_test(test_filter__merge_rest),
        cmocka_unit_test(test_filter__merge_unlisted_field_fail),
        cmocka_unit_test(test_filter__merge_same_field_twice_fail),
        cmocka_unit_test(test_filter__order_matters),
        cmocka_unit_test(
            test_filter__created_devices_seen_by_later_filters_only),
        cmocka_unit_test(test_filter__split_result_not_seen_by_splitting_rule),
        cmocka_unit_test(test_filter__merged_partner_not_visited),
        cmocka_unit_test(test_filter__callback_by_type_glob),
        cmocka_unit_test(test_filter__callback_by_path_glob),
        cmocka_unit_test(test_filter__skipped_devices_not_counted),
        cmocka_unit_test(
            test_filter__failing_callback_leaves_tree_unchanged_fail),
        cmocka_unit_test(test_filter__failing_rule_leaves_tree_unchanged_fail),
        cmocka_unit_test(test_filter__unchanged_tree_keeps_its_nodes),
        cmocka_unit_test(test_filter__empty_set),
        cmocka_unit_test(test_filter__names),
        cmocka_unit_test(test_filter__seed_kvm_apic_round_trip),
        cmocka_unit_test(test_filter__seed_virtio_blk_split_then_merge),
        cmocka_unit_test(test_filter__seed_virtio_merge_leaves_other_backends),
        cmocka_unit_test(test_filter__seed_virtio_split_extra_field_fail),
        cmocka_unit_test(test_filter__seed_all_in_one_pass),
        cmocka_unit_test(test_filter__rules_malformed_fail),
        cmocka_unit_test(test_filter__rules_bad_value_fail),
        cmocka_unit_test(test_filter__rules_not_json_fail),
        cmocka_unit_test(test_filter__rules_duplicate_member_fail),
        cmocka_unit_test(test_filter__rules_file_missing_fail),
        cmocka_unit_test(test_filter__rules_bad_rule_adds_nothing_fail),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
