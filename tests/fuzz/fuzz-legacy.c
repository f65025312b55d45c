/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The legacy input visitor (legacy.h) under every fixture's loader: QEMU's
 * wire bytes, which carry no names, types or lengths, so this is where
 * generated bounds checks are all that stands between the bytes and the
 * object.
 *
 * Input: byte 0 picks the fixture (fixtures.h, modulo their number), byte
 * 1 the state version the section header would give (0xff: none), the
 * rest is the state.
 *
 * Promises checked: a failed load leaves the object byte for byte as it
 * was (fuzz_fixture_load_checked); a loaded object saves again; the
 * offset never passes the input's end.
 */
#include <qidl/legacy.h>

#include "fixtures.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const FuzzFixture *fx;
    g_autoptr(QidlVisitor) v = NULL;
    void *obj;

    if (size < 2) {
        return 0;
    }
    fx = &fuzz_fixtures[data[0] % fuzz_n_fixtures];
    v = qidl_legacy_input_visitor_new(data + 2, size - 2, 2,
                                      QIDL_LEGACY_INPUT_NONE);
    if (data[1] != 0xff) {
        qidl_visitor_set_version(v, data[1]);
    }
    obj = fuzz_fixture_new(fx, 5);
    fuzz_fixture_load_checked(fx, v, obj);
    FUZZ_CHECK(qidl_legacy_input_visitor_get_offset(v) <= size - 2,
               "offset past the end");
    fuzz_fixture_free(fx, obj);
    return 0;
}
