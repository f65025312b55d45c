/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The example machine's device types; see hw-types.h. */
#include <string.h>

#include "apic.qidl.h"
#include "guest.qidl.h"
#include "hw-types.h"
#include "i8254.qidl.h"
#include "i8259.qidl.h"
#include "rtc.qidl.h"
#include "serial.qidl.h"
#include "virtio-blk.qidl.h"

#define HW(T)                                                                \
    static gboolean visit_##T(QidlVisitor *v, const char *name, void *obj,  \
                              GError **error)                               \
    {                                                                        \
        return qidl_visit_##T(v, name, obj, error);                          \
    }                                                                        \
    static gboolean load_##T(QidlVisitor *v, const char *name, void *obj,   \
                             GError **error)                                \
    {                                                                        \
        return qidl_load_##T(v, name, obj, error);                           \
    }                                                                        \
    static void release_##T(void *obj, const void *keep)                     \
    {                                                                        \
        qidl_release_##T(obj, keep);                                         \
    }

HW(MachineClockState)
HW(GuestState)
HW(PICCommonState)
HW(PITCommonState)
HW(RTCState)
HW(SerialState)
HW(APICCommonState)
HW(VirtIOBlkPCIState)
HW(VirtIOPCIState)
HW(VirtIOBlkState)

#define ENTRY(T, type, ver)                                                  \
    { type, sizeof(T), ver, visit_##T, load_##T, release_##T }

static const HwType hw_types[] = {
    ENTRY(MachineClockState, "qidl-machine", 1),
    ENTRY(GuestState, "qidl-guest-cpu", 1),
    ENTRY(PICCommonState, "isa-i8259", 1),
    ENTRY(PITCommonState, "isa-pit", 3),
    ENTRY(RTCState, "mc146818rtc", 3),
    ENTRY(SerialState, "isa-serial", 3),
    ENTRY(APICCommonState, "apic", 3),
    ENTRY(APICCommonState, "kvm-apic", 3),
    ENTRY(VirtIOBlkPCIState, "virtio-blk-pci", 2),
    ENTRY(VirtIOPCIState, "virtio-pci", 1),
    ENTRY(VirtIOBlkState, "virtio-blk", 1),
};

const HwType *hw_type_find(const char *type)
{
    for (guint i = 0; i < G_N_ELEMENTS(hw_types); i++) {
        if (strcmp(hw_types[i].type, type) == 0) {
            return &hw_types[i];
        }
    }
    return NULL;
}
