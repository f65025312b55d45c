/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The legacy input path of every hw/ device: QEMU's wire bytes through
 * the device's generated atomic loader qidl_load_<T>(), with its range,
 * index_of, check and size_is checks and its post-load hook.
 *
 * Input: byte 0 picks the device of the example machine (machine.h, in
 * save order, modulo their number; RAM and disk are plain bytes and are
 * skipped), byte 1 the state version a QEMU section header would give
 * (0xff: none), byte 2 bit 0 the destination build rather than the source
 * (the other APIC and virtio devices); the rest is the state.
 *
 * Promises checked: a failed load leaves the device byte for byte as it
 * was (struct and legacy encoding); a device that loads saves again.
 */
#include <string.h>

#include <qidl/legacy.h>

#include "fuzz.h"
#include "hw-types.h"
#include "machine.h"

/* Two machines, made once: a load that succeeds changes one, which is
 * fine: every input still starts from a valid state. */
static Machine *machines[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    machines[0] = machine_new(&machine_source_config);
    machines[1] = machine_new(&machine_dest_config);
    /* Some state worth loading over: a few steps of the guest script. */
    machine_run(machines[0], 40);
    machine_run(machines[1], 40);
    return 0;
}

static GByteArray *snapshot(const HwType *t, const char *name, void *obj)
{
    GByteArray *bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(GError) error = NULL;

    FUZZ_CHECK(t->visit(v, name, obj, &error) &&
               qidl_visitor_complete(v, &error),
               "%s does not save: %s", t->type, error->message);
    return bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Machine *m;
    const char *type, *path, *name;
    const HwType *t;
    void *obj;
    g_autofree void *before = NULL;
    g_autoptr(GByteArray) enc_before = NULL;
    g_autoptr(QidlVisitor) v = NULL;
    g_autoptr(GError) error = NULL;

    if (size < 3) {
        return 0;
    }
    m = machines[data[2] & 1];
    machine_get_device(m, data[0] % machine_get_n_devices(m), &type, &path,
                       &name);
    t = hw_type_find(type);
    if (!t) {
        return 0;
    }
    obj = qidl_device_set_find(machine_get_device_set(m), path);
    FUZZ_CHECK(obj, "no object at %s", path);
    /* Saving runs the device's pre_save hook, which may update the
     * state it saves: save first, then copy. */
    enc_before = snapshot(t, name, obj);
    before = g_memdup2(obj, t->size);
    v = qidl_legacy_input_visitor_new(data + 3, size - 3, 3,
                                      QIDL_LEGACY_INPUT_NONE);
    if (data[1] != 0xff) {
        qidl_visitor_set_version(v, data[1]);
    }
    if (t->load(v, name, obj, &error)) {
        /* What was loaded saves (snapshot() checks). */
        g_byte_array_unref(snapshot(t, name, obj));

        return 0;
    }
    FUZZ_CHECK(error && error->domain == QIDL_ERROR, "no QIDL error");
    FUZZ_CHECK(memcmp(obj, before, t->size) == 0,
               "%s: a failed load changed the device (%s)", path,
               error->message);
    {
        g_autoptr(GByteArray) enc_after = snapshot(t, name, obj);

        FUZZ_CHECK(enc_after->len == enc_before->len &&
                   memcmp(enc_after->data, enc_before->data,
                          enc_after->len) == 0,
                   "%s: a failed load changed what the device owns (%s)",
                   path, error->message);
    }
    return 0;
}
