/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The native stream's direct reader (stream.h): qidl_stream_reader_next()
 * and the direct device visitor, loading each device record into the
 * fixture of its type (fixtures.h; records of other types are loaded as
 * the fixture their version picks, to reach the type checks).
 *
 * Promises checked: a failed load leaves the object unchanged; a record
 * that loads reads back equal through the tree reader's path.
 */
#include <qidl/stream.h>

#include "fixtures.h"
#include "fuzz.h"
#include "stream-fixup.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlStreamReader) r = qidl_stream_reader_new(data, size, &error);
    const QidlStreamDevice *dev;
    guint n = 0;

    if (!r) {
        return 0;
    }
    while (n++ < 64 && qidl_stream_reader_next(r, &dev, &error) && dev) {
        const FuzzFixture *fx = fuzz_fixture_find(dev->type_name);
        g_autoptr(QidlVisitor) v = NULL;
        void *obj;

        if (!fx) {
            fx = &fuzz_fixtures[dev->version % fuzz_n_fixtures];
        }
        v = qidl_stream_reader_device_visitor(
            r, (dev->version & 0x100) ? QIDL_TREE_INPUT_ALLOW_UNKNOWN : 0);
        obj = fuzz_fixture_new(fx, 3);
        fuzz_fixture_load_checked(fx, v, obj);
        fuzz_fixture_free(fx, obj);
    }
    return 0;
}
