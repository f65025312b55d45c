/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Atomic loads and integrity, suite 'security'.
 *
 * For every hw/ device of both builds of the example machine (machine.h)
 * and every codec that carries one device, a valid input is truncated at
 * every byte offset and has its bits flipped one at a time; each damaged
 * input is loaded into the live device with its generated atomic loader
 * qidl_load_<T>() (or a device set).  Every load must either succeed or
 * fail with a GError of the QIDL_ERROR domain, never crash, and after a
 * failure the device must be byte for byte as it was (its struct, and
 * through its legacy encoding what it owns).  Leaks are LeakSanitizer's
 * to find (make check-asan).
 *
 * The codecs:
 *
 *   legacy         QEMU's wire bytes, every bit flipped
 *   stream         a native stream, tree reader, every bit flipped
 *   stream-direct  the same stream, direct device visitor, every bit
 *   stream-zstd    the stream compressed, tree reader, every bit
 *   json           the typed JSON text, one bit of every byte (bit i % 8
 *                  of byte i): the text is long, and a flip per byte
 *                  reaches every token
 *   device-set     the stream read into a tree and loaded by a device set
 *                  holding the one device, every bit
 *
 * QEMU 7.2 migration streams (qemu-stream.h) have no device of this
 * machine, so they are damaged on their own: two streams cut down from
 * real QEMU output (fuzz seeds), one with every bit flipped, one with one
 * bit of every byte; every truncation and damaged input must fail
 * cleanly or read back into a stream that writes back byte for byte.
 *
 * The native stream's checksums catch every single-bit flip and every
 * truncation of a plain stream: for stream, stream-direct and device-set
 * every damaged input must fail.  Truncations must fail in every codec
 * but legacy, where a state cut just before a subsection is a valid state
 * without it (QEMU's wire format: subsections are optional).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <qidl/devices.h>
#include <qidl/json.h>
#include <qidl/legacy.h>
#include <qidl/qemu-stream.h>
#include <qidl/stream.h>

#include "hw-types.h"
#include "machine.h"

typedef enum {
    CODEC_LEGACY,
    CODEC_STREAM,
    CODEC_STREAM_DIRECT,
    CODEC_STREAM_ZSTD,
    CODEC_JSON,
    CODEC_DEVICE_SET,
    N_CODECS
} Codec;

static const char *const codec_names[N_CODECS] = {
    "legacy", "stream", "stream-direct", "stream-zstd", "json", "device-set",
};

/* The device under test, in its machine. */
typedef struct {
    Machine *machine;
    const HwType *t;
    const char *type;
    const char *path;
    const char *name;
    void *obj;
    GByteArray *legacy;         /* its valid encodings */
    GByteArray *stream;
    GByteArray *zstd;
    char *json;
    guint loads, failures;
} Target;

static GByteArray *save_legacy(const Target *d)
{
    GByteArray *bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(GError) error = NULL;

    if (!d->t->visit(v, d->name, d->obj, &error) ||
        !qidl_visitor_complete(v, &error)) {
        fail_msg("%s: %s", d->path, error->message);
    }
    return bytes;
}

static GByteArray *save_stream(const Target *d, QidlStreamWriteFlags flags)
{
    GByteArray *bytes = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w =
        qidl_stream_writer_new(bytes, "qidl-test", "1", flags);
    QidlVisitor *v = qidl_stream_writer_begin_device(w, d->type, d->path,
                                                     d->t->version);
    g_autoptr(GError) error = NULL;

    d->t->visit(v, d->name, d->obj, NULL);
    if (!qidl_stream_writer_end_device(w, &error) ||
        !qidl_stream_writer_finish(w, &error)) {
        fail_msg("%s: %s", d->path, error->message);
    }
    return bytes;
}

static char *save_json(const Target *d)
{
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(d->stream->data,
                                                     d->stream->len, NULL,
                                                     NULL);
    g_autoptr(JsonNode) json = NULL;

    assert_non_null(tree);
    json = qidl_json_from_node(
        qidl_node_get_first_child(qidl_tree_get_root(tree)));
    return qidl_json_to_string(json, FALSE);
}

/* Loads @data through @codec into the live device. */
static gboolean load(Target *d, Codec codec, const guint8 *data, gsize len,
                     GError **error)
{
    switch (codec) {
    case CODEC_LEGACY: {
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(data, len, 0, 0);

        qidl_visitor_set_version(v, d->t->version);
        return d->t->load(v, d->name, d->obj, error) &&
               qidl_visitor_complete(v, error);
    }
    case CODEC_STREAM:
    case CODEC_STREAM_ZSTD: {
        g_autoptr(QidlTree) tree = qidl_stream_read_tree(data, len, NULL,
                                                         error);
        QidlNode *dev;
        g_autoptr(QidlVisitor) v = NULL;

        if (!tree) {
            return FALSE;
        }
        dev = qidl_node_get_first_child(qidl_tree_get_root(tree));
        if (!dev) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_MISSING_FIELD,
                        "no device");
            return FALSE;
        }
        v = qidl_tree_input_visitor_new(dev, 0);
        return d->t->load(v, d->name, d->obj, error) &&
               qidl_visitor_complete(v, error);
    }
    case CODEC_STREAM_DIRECT: {
        g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(data, len,
                                                               error);
        const QidlStreamDevice *dev = NULL;
        g_autoptr(QidlVisitor) v = NULL;
        gboolean ok;

        if (!r || !qidl_stream_reader_next(r, &dev, error)) {
            return FALSE;
        }
        if (!dev) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_MISSING_FIELD,
                        "no device");
            return FALSE;
        }
        v = qidl_stream_reader_device_visitor(r, 0);
        ok = d->t->load(v, d->name, d->obj, error) &&
             qidl_visitor_complete(v, error);
        /* The rest of the stream must be valid too: its end record. */
        return ok && qidl_stream_reader_next(r, &dev, error) && !dev;
    }
    case CODEC_JSON: {
        g_autoptr(JsonNode) json = qidl_json_parse((const char *)data, len,
                                                   error);
        g_autoptr(QidlVisitor) v = NULL;

        if (!json) {
            return FALSE;
        }
        v = qidl_json_input_visitor_new(json, 0, error);
        return v && d->t->load(v, d->name, d->obj, error) &&
               qidl_visitor_complete(v, error);
    }
    case CODEC_DEVICE_SET: {
        g_autoptr(QidlTree) tree = qidl_stream_read_tree(data, len, NULL,
                                                         error);
        g_autoptr(QidlDeviceSet) set = qidl_device_set_new();
        QidlDeviceClass cls = {
            d->type, d->t->version, 1, d->t->size, d->t->visit,
            d->t->release,
        };

        if (!tree) {
            return FALSE;
        }
        assert_true(qidl_device_set_add(set, &cls, d->path, d->name, d->obj,
                                        NULL));
        return qidl_device_set_load_tree(set, tree, 0, NULL, error);
    }
    default:
        g_assert_not_reached();
    }
}

/* Puts the device back as it was after a damaged input loaded. */
static void restore(Target *d)
{
    g_autoptr(GError) error = NULL;

    if (!load(d, CODEC_LEGACY, d->legacy->data, d->legacy->len, &error)) {
        fail_msg("%s: restoring: %s", d->path, error->message);
    }
}

/*
 * Loads one damaged input and checks the outcome; @must_fail for inputs
 * the codec must refuse.
 */
static void try_load(Target *d, Codec codec, const guint8 *data, gsize len,
                     gboolean must_fail, const char *damage)
{
    g_autoptr(GByteArray) enc_before = save_legacy(d);
    g_autofree void *before = g_memdup2(d->obj, d->t->size);
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) enc_after = NULL;
    guint8 *copy = g_malloc(len ? len : 1);
    gboolean ok;

    /* An exact-size copy: reads past the end are ASan's to see. */
    memcpy(copy, data, len);
    ok = load(d, codec, copy, len, &error);
    g_free(copy);
    d->loads++;
    if (ok) {
        if (must_fail) {
            fail_msg("%s via %s: %s loaded", d->path, codec_names[codec],
                     damage);
        }
        restore(d);
        return;
    }
    d->failures++;
    if (!error || error->domain != QIDL_ERROR) {
        fail_msg("%s via %s: %s failed without a QIDL error", d->path,
                 codec_names[codec], damage);
    }
    if (memcmp(d->obj, before, d->t->size) != 0) {
        fail_msg("%s via %s: %s changed the device on a failed load (%s)",
                 d->path, codec_names[codec], damage, error->message);
    }
    enc_after = save_legacy(d);
    if (enc_after->len != enc_before->len ||
        memcmp(enc_after->data, enc_before->data, enc_after->len) != 0) {
        fail_msg("%s via %s: %s changed what the device owns (%s)", d->path,
                 codec_names[codec], damage, error->message);
    }
}

static void damage_codec(Target *d, Codec codec, const guint8 *valid,
                         gsize len)
{
    gboolean checksummed = codec == CODEC_STREAM ||
                           codec == CODEC_STREAM_DIRECT ||
                           codec == CODEC_DEVICE_SET;
    guint8 *buf = g_memdup2(valid, len);
    g_autoptr(GError) error = NULL;

    /* The valid input loads. */
    if (!load(d, codec, valid, len, &error)) {
        fail_msg("%s via %s: the valid input fails: %s", d->path,
                 codec_names[codec], error->message);
    }
    for (gsize cut = 0; cut < len; cut++) {
        g_autofree char *what = g_strdup_printf("truncation at %zu", cut);

        try_load(d, codec, valid, cut, codec != CODEC_LEGACY, what);
    }
    for (gsize i = 0; i < len; i++) {
        for (guint bit = 0; bit < 8; bit++) {
            g_autofree char *what = NULL;

            if (codec == CODEC_JSON && bit != i % 8) {
                continue;
            }
            what = g_strdup_printf("bit %u of byte %zu flipped", bit, i);
            buf[i] ^= 1u << bit;
            try_load(d, codec, buf, len, checksummed, what);
            buf[i] ^= 1u << bit;
        }
    }
    g_free(buf);
}

static void check_machine(const MachineConfig *config, Codec codec)
{
    g_autoptr(Machine) m = machine_new(config);
    QidlDeviceSet *set;
    guint devices = 0, loads = 0, failures = 0;

    machine_run(m, 40);
    set = machine_get_device_set(m);
    for (guint i = 0; i < machine_get_n_devices(m); i++) {
        Target d = { m };

        machine_get_device(m, i, &d.type, &d.path, &d.name);
        d.t = hw_type_find(d.type);
        if (!d.t) {
            continue;           /* RAM and disk: bytes, visited by hand */
        }
        d.obj = qidl_device_set_find(set, d.path);
        d.legacy = save_legacy(&d);
        d.stream = save_stream(&d, 0);
        d.zstd = save_stream(&d, QIDL_STREAM_WRITE_ZSTD);
        d.json = save_json(&d);
        switch (codec) {
        case CODEC_LEGACY:
            damage_codec(&d, codec, d.legacy->data, d.legacy->len);
            break;
        case CODEC_STREAM:
        case CODEC_STREAM_DIRECT:
        case CODEC_DEVICE_SET:
            damage_codec(&d, codec, d.stream->data, d.stream->len);
            break;
        case CODEC_STREAM_ZSTD:
            damage_codec(&d, codec, d.zstd->data, d.zstd->len);
            break;
        case CODEC_JSON:
            damage_codec(&d, codec, (const guint8 *)d.json, strlen(d.json));
            break;
        default:
            g_assert_not_reached();
        }
        devices++;
        loads += d.loads;
        failures += d.failures;
        g_byte_array_unref(d.legacy);
        g_byte_array_unref(d.stream);
        g_byte_array_unref(d.zstd);
        g_free(d.json);
    }
    print_message("# %s, %s: %u devices, %u damaged inputs, %u refused\n",
                  machine_describe(m), codec_names[codec], devices, loads,
                  failures);
}

#define CODEC_TEST(c, codec)                                                 \
    static void test_integrity__##c##_fail(void **unused)                    \
    {                                                                        \
        check_machine(&machine_source_config, codec);                        \
        check_machine(&machine_dest_config, codec);                          \
    }

CODEC_TEST(legacy, CODEC_LEGACY)
CODEC_TEST(stream, CODEC_STREAM)
CODEC_TEST(stream_direct, CODEC_STREAM_DIRECT)
CODEC_TEST(stream_zstd, CODEC_STREAM_ZSTD)
CODEC_TEST(json, CODEC_JSON)
CODEC_TEST(device_set, CODEC_DEVICE_SET)

/* A damaged QEMU stream: refused with a QIDL error, or read and written
 * back exactly. */
static gboolean try_qemu(const guint8 *data, gsize len, const char *damage)
{
    guint8 *copy = g_malloc(len ? len : 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlQemuStreamInfo) info = NULL;
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();

    memcpy(copy, data, len);
    tree = qidl_qemu_stream_read_tree(copy, len, &info, &error);
    g_free(copy);
    if (!tree) {
        if (!error || error->domain != QIDL_ERROR) {
            fail_msg("qemu: %s failed without a QIDL error", damage);
        }
        return FALSE;
    }
    if (!qidl_qemu_stream_write_tree(tree, info, out, &error)) {
        fail_msg("qemu: %s read but does not write: %s", damage,
                 error->message);
    }
    if (out->len != len || memcmp(out->data, data, len) != 0) {
        fail_msg("qemu: %s read but writes back differently", damage);
    }
    return TRUE;
}

static void damage_qemu(const char *seed, gboolean every_bit)
{
    const char *root = g_getenv("QIDL_SOURCE_ROOT");
    g_autofree char *path = NULL;
    g_autofree guint8 *data = NULL;
    gsize len;
    guint loads = 0, refused = 0;

    if (!root) {
        skip();
    }
    path = g_build_filename(root, "tests", "fuzz", "corpus", "qemu-stream",
                            seed, NULL);
    if (!g_file_get_contents(path, (char **)&data, &len, NULL)) {
        fail_msg("cannot read %s", path);
    }
    assert_true(try_qemu(data, len, "the valid stream"));
    for (gsize cut = 0; cut < len; cut++) {
        g_autofree char *what = g_strdup_printf("truncation at %zu", cut);

        loads++;
        if (try_qemu(data, cut, what)) {
            fail_msg("qemu %s: %s loaded", seed, what);
        }
        refused++;
    }
    for (gsize i = 0; i < len; i++) {
        for (guint bit = 0; bit < 8; bit++) {
            g_autofree char *what = NULL;

            if (!every_bit && bit != i % 8) {
                continue;
            }
            what = g_strdup_printf("bit %u of byte %zu flipped", bit, i);
            data[i] ^= 1u << bit;
            loads++;
            refused += !try_qemu(data, len, what);
            data[i] ^= 1u << bit;
        }
    }
    print_message("# qemu %s: %u damaged inputs, %u refused\n", seed, loads,
                  refused);
}

static void test_integrity__qemu_stream_fail(void **unused)
{
    damage_qemu("seed-pc-i8259-0", TRUE);
    damage_qemu("seed-pc-small-devices", FALSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integrity__legacy_fail),
        cmocka_unit_test(test_integrity__stream_fail),
        cmocka_unit_test(test_integrity__stream_direct_fail),
        cmocka_unit_test(test_integrity__stream_zstd_fail),
        cmocka_unit_test(test_integrity__json_fail),
        cmocka_unit_test(test_integrity__device_set_fail),
        cmocka_unit_test(test_integrity__qemu_stream_fail),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
