/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The native stream's direct reader (stream.h): qidl_stream_reader_next()
 * and the direct device visitor, loading each device record into the
 * fixture of its type (fixtures.h; records of other types are loaded as
 * the fixture their version picks, to reach the type checks).
 *
 * Promises checked: a failed load leaves the object unchanged; a record
 * that loads reads back equal through the tree reader's path; a reader
 * reset after reading another stream (qidl_stream_reader_reset(), which
 * keeps that stream's names and run tables to take them again) reads
 * the input exactly as a new reader does: the same devices, the same
 * loads and values, the same errors.
 */
#include <string.h>

#include <qidl/stream.h>

#include "fixtures.h"
#include "fuzz.h"
#include "stream-fixup.h"

/*
 * A valid stream with one device of each fixture, read before the input
 * by the reset reader: made once, read-only after (the harness's, not
 * the library's).
 */
static GByteArray *warm_stream;

static GByteArray *make_warm_stream(void)
{
    GByteArray *out = g_byte_array_new();
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(out, "fuzz", "1",
                                                           0);

    for (guint i = 0; i < fuzz_n_fixtures; i++) {
        const FuzzFixture *fx = &fuzz_fixtures[i];
        g_autofree char *path = g_strdup_printf("/machine/f%u", i);
        void *obj = fuzz_fixture_new(fx, 1);

        fx->visit(qidl_stream_writer_begin_device(w, fx->type, path,
                                                  fx->version),
                  fx->name, obj, NULL);
        qidl_stream_writer_end_device(w, NULL);
        fuzz_fixture_free(fx, obj);
    }
    if (!qidl_stream_writer_finish(w, NULL)) {
        g_byte_array_set_size(out, 0);
    }
    return out;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    warm_stream = make_warm_stream();
    return 0;
}

/*
 * Reads every device of @r's stream (at most 64), loading each into a new
 * fixture object; writes down in @log what a reader shows of the stream:
 * each device, whether its load succeeded and the object it loaded, and
 * the error that ended the read.
 */
static void read_all(QidlStreamReader *r, GString *log)
{
    g_autoptr(GError) error = NULL;
    const QidlStreamDevice *dev;
    guint n = 0;

    while (n++ < 64 && qidl_stream_reader_next(r, &dev, &error) && dev) {
        const FuzzFixture *fx = fuzz_fixture_find(dev->type_name);
        g_autoptr(QidlVisitor) v = NULL;
        void *obj;

        if (!fx) {
            fx = &fuzz_fixtures[dev->version % fuzz_n_fixtures];
        }
        g_string_append_printf(log, "%s %s %u %s %" G_GSIZE_FORMAT ":",
                               dev->type_name, dev->instance_path,
                               dev->version, dev->name, dev->offset);
        v = qidl_stream_reader_device_visitor(
            r, (dev->version & 0x100) ? QIDL_TREE_INPUT_ALLOW_UNKNOWN : 0);
        obj = fuzz_fixture_new(fx, 3);
        if (fuzz_fixture_load_checked(fx, v, obj)) {
            g_autoptr(GByteArray) snap = fuzz_fixture_snapshot(fx, obj);
            guint32 h = 5381;

            for (guint i = 0; i < snap->len; i++) {
                h = h * 33 + snap->data[i];
            }
            g_string_append_printf(log, " loaded %u %08x", snap->len, h);
        }
        g_string_append_c(log, '\n');
        fuzz_fixture_free(fx, obj);
    }
    g_string_append(log, error ? error->message : "end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) reset_error = NULL;
    g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(data, size, &error);
    g_autoptr(QidlStreamReader) again = NULL;
    g_autoptr(GString) fresh_log = g_string_new(NULL);
    g_autoptr(GString) reset_log = g_string_new(NULL);
    g_autoptr(GString) warm_log = g_string_new(NULL);

    /* Read twice: a reader keeps what a next stream may take again from
     * its first reset on. */
    again = qidl_stream_reader_new(warm_stream->data, warm_stream->len, NULL);
    FUZZ_CHECK(again != NULL, "the warm-up stream does not open");
    read_all(again, warm_log);
    FUZZ_CHECK(qidl_stream_reader_reset(again, warm_stream->data,
                                        warm_stream->len, NULL),
               "the warm-up stream does not open again");
    read_all(again, warm_log);
    if (!qidl_stream_reader_reset(again, data, size, &reset_error)) {
        FUZZ_CHECK(!r && strcmp(error->message, reset_error->message) == 0,
                   "reset refused what a new reader %s (%s)",
                   r ? "opened" : "refused otherwise", reset_error->message);
        return 0;
    }
    FUZZ_CHECK(r != NULL, "reset opened what a new reader refused (%s)",
               error->message);
    read_all(r, fresh_log);
    read_all(again, reset_log);
    FUZZ_CHECK(strcmp(fresh_log->str, reset_log->str) == 0,
               "a reset reader read otherwise:\n%s\n--- a new reader:\n%s",
               reset_log->str, fresh_log->str);
    return 0;
}
