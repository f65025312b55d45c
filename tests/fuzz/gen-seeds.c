/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the seed corpora of tests/fuzz/corpus/: small valid inputs of
 * every decoder, made with libqidl's own writers from the fuzz fixtures,
 * plus a few hand-made edge cases (nesting at the limit).  Run at
 * development time; the files are committed, so a change here shows as a
 * change of the corpus.
 *
 *     gen-seeds SOURCE_ROOT OUT_DIR    (OUT_DIR/<decoder>/seed-...)
 *
 * Files that once crashed a decoder are not written here: they are
 * committed by hand, named crash-<why>.
 */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <qidl/json.h>
#include <qidl/legacy.h>
#include <qidl/qemu-stream.h>
#include <qidl/stream.h>

#include "craft.h"
#include "fixtures.h"

static const char *out_dir;

static void write_seed(const char *decoder, const char *name,
                       const void *data, gsize len)
{
    g_autofree char *dir = g_build_filename(out_dir, decoder, NULL);
    g_autofree char *path = NULL;
    g_autoptr(GError) error = NULL;

    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_error("mkdir %s: %s", dir, g_strerror(errno));
    }
    path = g_build_filename(dir, name, NULL);
    if (!g_file_set_contents(path, data, len, &error)) {
        g_error("%s", error->message);
    }
}

static void write_text(const char *decoder, const char *name,
                       const char *text)
{
    write_seed(decoder, name, text, strlen(text));
}

/* A tree with one device root per fixture object made from @seed. */
static void save_fixture(QidlTree *tree, const FuzzFixture *fx, guint seed)
{
    void *obj = fuzz_fixture_new(fx, seed);
    g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_strdup_printf("/fuzz/%s", fx->name);
    QidlNode *node;

    if (!fx->visit(v, fx->name, obj, &error) ||
        !qidl_visitor_complete(v, &error)) {
        g_error("%s: %s", fx->type, error->message);
    }
    node = qidl_tree_output_visitor_get_result(v);
    qidl_node_set_device(node, fx->type, path, fx->version);
    fuzz_fixture_free(fx, obj);
}

static GByteArray *stream_of(QidlTree *tree, const QidlStreamInfo *info,
                             QidlStreamWriteFlags flags)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(GError) error = NULL;

    if (!qidl_stream_write_tree(tree, info, flags, out, &error)) {
        g_error("%s", error->message);
    }
    return out;
}

static void seeds_streams(void)
{
    /* One device per stream, two seeds per fixture. */
    for (guint i = 0; i < fuzz_n_fixtures; i++) {
        const FuzzFixture *fx = &fuzz_fixtures[i];

        for (guint seed = 1; seed <= 2; seed++) {
            g_autoptr(QidlTree) tree = qidl_tree_new();
            g_autoptr(GByteArray) s = NULL;
            g_autoptr(JsonNode) json = NULL;
            g_autofree char *text = NULL;
            g_autofree char *name = g_strdup_printf("seed-%s-%u", fx->type,
                                                    seed);
            g_autofree char *jname = g_strdup_printf("seed-%s-%u.json",
                                                     fx->type, seed);

            save_fixture(tree, fx, seed);
            s = stream_of(tree, NULL, 0);
            write_seed("stream", name, s->data, s->len);
            write_seed("stream-direct", name, s->data, s->len);
            json = qidl_stream_json_from_tree(tree, NULL);
            text = qidl_json_to_string(json, seed == 2);
            write_text("stream-json", jname, text);
            {
                /* The device root alone, for the state reader. */
                QidlNode *dev = qidl_node_get_first_child(
                    qidl_tree_get_root(tree));
                g_autoptr(JsonNode) dj = qidl_json_from_node(dev);
                g_autofree char *dtext = qidl_json_to_string(dj, FALSE);

                write_text("json", jname, dtext);
            }
        }
    }
    /* Several devices, metadata, a preserved record, and zstd. */
    {
        g_autoptr(QidlTree) tree = qidl_tree_new();
        g_autoptr(QidlStreamInfo) info = qidl_stream_info_new("qidl", "0.1.0");
        static const guint8 late[] = { 'l', 'a', 't', 'e' };
        g_autoptr(GByteArray) s = NULL;
        g_autoptr(GByteArray) z = NULL;
        g_autoptr(JsonNode) json = NULL;
        g_autofree char *text = NULL;

        save_fixture(tree, fuzz_fixture_find("counter"), 1);
        save_fixture(tree, fuzz_fixture_find("ps2-kbd"), 1);
        save_fixture(tree, fuzz_fixture_find("uart"), 3);
        qidl_stream_info_set_metadata(info, "machine", "pc-q35-7.2");
        qidl_stream_info_set_metadata(info, "host", "a.example");
        qidl_stream_info_add_record(info, 0x85, "/fuzz/kbd", late,
                                    sizeof(late));
        s = stream_of(tree, info, 0);
        write_seed("stream", "seed-three-devices-metadata", s->data, s->len);
        write_seed("stream-direct", "seed-three-devices-metadata", s->data,
                   s->len);
        z = stream_of(tree, info, QIDL_STREAM_WRITE_ZSTD);
        write_seed("stream", "seed-three-devices-zstd", z->data, z->len);
        write_seed("stream-direct", "seed-three-devices-zstd", z->data,
                   z->len);
        json = qidl_stream_json_from_tree(tree, info);
        text = qidl_json_to_string(json, TRUE);
        write_text("stream-json", "seed-three-devices.json", text);
    }
    /* Nesting at the limit, and one above. */
    {
        static const char *const names[] = { "d", "s", NULL };
        g_autoptr(GByteArray) at = craft_nested_state(QIDL_LIMIT_DEPTH);
        g_autoptr(GByteArray) above = craft_nested_state(QIDL_LIMIT_DEPTH + 1);
        g_autoptr(GByteArray) s1 = craft_device_stream(1, names, at->data,
                                                       at->len);
        g_autoptr(GByteArray) s2 = craft_device_stream(1, names, above->data,
                                                       above->len);

        write_seed("stream", "seed-depth-64", s1->data, s1->len);
        write_seed("stream", "seed-depth-65", s2->data, s2->len);
    }
}

static void seeds_legacy(void)
{
    for (guint i = 0; i < fuzz_n_fixtures; i++) {
        const FuzzFixture *fx = &fuzz_fixtures[i];

        for (guint seed = 1; seed <= 2; seed++) {
            void *obj = fuzz_fixture_new(fx, seed);
            g_autoptr(GByteArray) bytes = g_byte_array_new();
            g_autoptr(GByteArray) enc = fuzz_fixture_snapshot(fx, obj);
            g_autofree char *name = g_strdup_printf("seed-%s-%u", fx->type,
                                                    seed);
            guint8 head[2] = { (guint8)i, seed == 1 ? 0xff : fx->version };

            g_byte_array_append(bytes, head, 2);
            g_byte_array_append(bytes, enc->data, enc->len);
            write_seed("legacy", name, bytes->data, bytes->len);
            fuzz_fixture_free(fx, obj);
        }
    }
}

static char *read_source(const char *root, const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autoptr(GError) error = NULL;
    char *text;

    if (!g_file_get_contents(path, &text, NULL, &error)) {
        g_error("%s", error->message);
    }
    return text;
}

/* The rule files of hw/filters, and a device tree they apply to. */
static void seeds_rules(const char *root)
{
    static const char *const files[] = {
        "apic-to-kvm-apic.json", "kvm-apic-to-apic.json",
        "virtio-blk-merge.json", "virtio-blk-pci-split.json",
    };
    static const char *const extra[] = {
        "{\"rules\": [{\"type\": \"kvm-apic\", \"rename_type\": \"apic\"}]}",
        "{\"rules\": []}",
    };
    static const char tree_json[] =
        "{\"format\": \"1.0\", \"producer\": \"qidl\", \"producer_version\": "
        "\"0.1.0\", \"flags\": 0, \"compression\": \"none\", \"records\": ["
        "{\"kind\": \"device\", \"name\": \"apic0\", \"state\": {\"$device\": "
        "{\"type\": \"kvm-apic\", \"path\": \"/machine/apic0\", \"version\": 3},"
        " \"apicbase\": {\"u32\": 4276095232}, \"id\": {\"u8\": 0}}},"
        "{\"kind\": \"device\", \"name\": \"vblk0\", \"state\": {\"$device\": "
        "{\"type\": \"virtio-blk-pci\", \"path\": \"/machine/vblk0\", "
        "\"version\": 2}, \"status\": {\"u8\": 15}, \"isr\": {\"u8\": 0}, "
        "\"queue_sel\": {\"u16\": 0}, \"wce\": true}}]}";

    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *rel = g_build_filename("hw", "filters", files[i],
                                                NULL);
        g_autofree char *text = read_source(root, rel);
        g_autofree char *name = g_strdup_printf("seed-%s", files[i]);
        g_autoptr(GByteArray) both = g_byte_array_new();

        write_text("rules", name, text);
        g_byte_array_append(both, (const guint8 *)text, strlen(text) + 1);
        g_byte_array_append(both, (const guint8 *)tree_json,
                            strlen(tree_json));
        write_seed("filter", name, both->data, both->len);
    }
    for (guint i = 0; i < G_N_ELEMENTS(extra); i++) {
        g_autofree char *name = g_strdup_printf("seed-inline-%u.json", i);
        g_autoptr(GByteArray) both = g_byte_array_new();

        write_text("rules", name, extra[i]);
        g_byte_array_append(both, (const guint8 *)extra[i],
                            strlen(extra[i]) + 1);
        g_byte_array_append(both, (const guint8 *)tree_json,
                            strlen(tree_json));
        write_seed("filter", name, both->data, both->len);
    }
}

/* qidl-extract's schemas of the good fixtures, and QEMU dumps. */
static void seeds_schema(const char *root)
{
    static const char *const qidl[] = {
        "uart", "shapes", "constraints", "containers", "scalars",
    };
    static const char *const qemu[] = { "qemu-old.json" };

    for (guint i = 0; i < G_N_ELEMENTS(qidl); i++) {
        g_autofree char *rel = g_strdup_printf(
            "tests/extract/good/expected/%s.qidl.json", qidl[i]);
        g_autofree char *text = read_source(root, rel);
        g_autofree char *name = g_strdup_printf("seed-%s.qidl.json", qidl[i]);
        g_autofree char *data = g_strconcat("p", text, NULL);

        write_text("schema", name, data);
    }
    for (guint i = 0; i < G_N_ELEMENTS(qemu); i++) {
        g_autofree char *rel = g_build_filename("tests", "compat", "data",
                                                qemu[i], NULL);
        g_autofree char *text = read_source(root, rel);
        g_autofree char *name = g_strdup_printf("seed-%s", qemu[i]);
        g_autofree char *data = g_strconcat("Q", text, NULL);

        write_text("schema", name, data);
    }
}

/*
 * QEMU streams cut down from a real one (tests/qemu makes them; pass
 * their paths): the header, the configuration, the RAM setup, a RAM
 * iteration of two zero pages, the RAM end, a few small device sections
 * and the vmdesc entries of just those, so that seeds stay a few KiB
 * while every record type is there.  One seed per device section of up
 * to 32 KiB, and one of all sections of up to 300 bytes; the committed
 * corpus keeps one seed per device type (from the pc, q35 and q35-wide
 * streams), since a second of the same type adds no shape.
 */
static void put_be32(GByteArray *b, guint32 v)
{
    guint32 be = GUINT32_TO_BE(v);

    g_byte_array_append(b, (const guint8 *)&be, 4);
}

static void put_be64(GByteArray *b, guint64 v)
{
    guint64 be = GUINT64_TO_BE(v);

    g_byte_array_append(b, (const guint8 *)&be, 8);
}

static void qemu_seed(const char *base, const char *what, const guint8 *data,
                      const QidlQemuStreamInfo *info, JsonArray *devices,
                      const guint *keep, guint n_keep)
{
    g_autoptr(GByteArray) s = g_byte_array_new();
    g_autoptr(JsonBuilder) jb = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = NULL;
    g_autofree char *name = NULL;
    gsize text_len;
    guint full = 0;
    guint32 ram_id = 0;

    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "page_size");
    json_builder_add_int_value(jb, 4096);
    json_builder_set_member_name(jb, "devices");
    json_builder_begin_array(jb);
    for (guint i = 0; i < qidl_qemu_stream_info_get_n_records(info); i++) {
        const QidlQemuRecord *r = qidl_qemu_stream_info_get_record(info, i);

        switch (r->type) {
        case QIDL_QEMU_RECORD_HEADER:
        case QIDL_QEMU_RECORD_CONFIGURATION:
        case QIDL_QEMU_RECORD_START:
        case QIDL_QEMU_RECORD_END:
            g_byte_array_append(s, data + r->offset, r->length);
            if (r->type == QIDL_QEMU_RECORD_START) {
                /* One iteration: two zero pages of the first block, the
                 * second continuing it, then the end of the section. */
                const char *block =
                    qidl_qemu_stream_info_get_ram_block(info, 0, NULL);
                guint8 len = (guint8)strlen(block);
                guint8 fill = 0;

                ram_id = r->section_id;
                g_byte_array_append(s, (const guint8 *)"\x02", 1);
                put_be32(s, ram_id);
                put_be64(s, 0x0 | 0x02);
                g_byte_array_append(s, &len, 1);
                g_byte_array_append(s, (const guint8 *)block, len);
                g_byte_array_append(s, &fill, 1);
                put_be64(s, 0x1000 | 0x02 | 0x20);
                g_byte_array_append(s, &fill, 1);
                put_be64(s, 0x10);
                if (qidl_qemu_stream_info_has_footers(info)) {
                    g_byte_array_append(s, (const guint8 *)"\x7e", 1);
                    put_be32(s, ram_id);
                }
            }
            break;
        case QIDL_QEMU_RECORD_FULL:
            for (guint k = 0; k < n_keep; k++) {
                if (keep[k] == full) {
                    g_byte_array_append(s, data + r->offset, r->length);
                    json_builder_add_value(jb, json_node_copy(
                        json_array_get_element(devices, full)));
                }
            }
            full++;
            break;
        case QIDL_QEMU_RECORD_EOF:
            g_byte_array_append(s, data + r->offset, r->length);
            break;
        default:
            break;
        }
    }
    json_builder_end_array(jb);
    json_builder_end_object(jb);
    root = json_builder_get_root(jb);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, &text_len);
    g_byte_array_append(s, (const guint8 *)"\x06", 1);
    put_be32(s, (guint32)text_len);
    g_byte_array_append(s, (const guint8 *)text, text_len);
    name = g_strdup_printf("seed-%s-%s", base, what);
    g_strdelimit(name, "/:. ", '_');
    write_seed("qemu-stream", name, s->data, s->len);
}

static void seeds_qemu(const char *path)
{
    g_autofree char *data = NULL;
    gsize len;
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *base = g_path_get_basename(path);
    JsonArray *devices;
    const char *vmdesc;
    gsize vmdesc_len;
    guint full = 0;
    GArray *small = g_array_new(FALSE, FALSE, sizeof(guint));

    if (!g_file_get_contents(path, &data, &len, &error)) {
        g_error("%s", error->message);
    }
    tree = qidl_qemu_stream_read_tree((const guint8 *)data, len, &info,
                                      &error);
    if (!tree) {
        g_error("%s: %s", path, error->message);
    }
    *strrchr(base, '.') = '\0';
    vmdesc = qidl_qemu_stream_info_get_vmdesc(info, &vmdesc_len);
    if (!json_parser_load_from_data(parser, vmdesc, vmdesc_len, &error)) {
        g_error("%s", error->message);
    }
    devices = json_object_get_array_member(
        json_node_get_object(json_parser_get_root(parser)), "devices");
    for (guint i = 0; i < qidl_qemu_stream_info_get_n_records(info); i++) {
        const QidlQemuRecord *r = qidl_qemu_stream_info_get_record(info, i);

        if (r->type != QIDL_QEMU_RECORD_FULL) {
            continue;
        }
        if (r->length <= 32768) {
            g_autofree char *what = g_strdup_printf("%s-%u", r->idstr,
                                                    r->instance_id);

            qemu_seed(base, what, (const guint8 *)data, info, devices, &full,
                      1);
            if (r->length <= 300) {
                g_array_append_val(small, full);
            }
        }
        full++;
    }
    qemu_seed(base, "small-devices", (const guint8 *)data, info, devices,
              (const guint *)small->data, small->len);
    g_array_unref(small);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        g_printerr("usage: %s SOURCE_ROOT OUT_DIR [QEMU_STREAM...]\n",
                   argv[0]);
        return 2;
    }
    out_dir = argv[2];
    seeds_streams();
    seeds_legacy();
    seeds_rules(argv[1]);
    seeds_schema(argv[1]);
    for (int i = 3; i < argc; i++) {
        seeds_qemu(argv[i]);
    }
    return 0;
}
