/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The example machine: a PC-like board and a scripted guest
 *
 * Devices (instance path, type):
 *
 *   /machine                   qidl-machine     the virtual clock, the step
 *   /machine/cpu0              qidl-guest-cpu   the guest script's registers
 *   /machine/ram               pc.ram           32 KiB of guest RAM
 *   /machine/pic0, pic1        isa-i8259        master and slave PIC
 *   /machine/pit               isa-pit          i8254, IRQ 0, gate 2 on 0x61
 *   /machine/rtc               mc146818rtc      IRQ 8
 *   /machine/serial0           isa-serial       16550A, IRQ 4
 *   /machine/apic              kvm-apic | apic  the local APIC
 *   /machine/vblk0             virtio-blk-pci   | virtio-pci, plus
 *   /machine/vblk0/virtio-backend               virtio-blk
 *   /machine/disk0             block-image      the 32 KiB disk behind it
 *
 * Two builds of the machine exist (MachineConfig): the source build has
 * the in-kernel APIC and the one-device virtio-blk-pci; the destination
 * build the userspace APIC and the split virtio pair.  Each loads the
 * other's state through hw/filters/.
 *
 * machine_step() advances the virtual clock by one quantum (5 ms), firing
 * device timers in time order on the way, then lets the guest take its
 * interrupts and run the script's step.  Everything the guest observes
 * (interrupt vectors, bytes received and sent on the UART, register reads,
 * request completions) goes to the machine's log, one line per event,
 * prefixed with the step and the virtual time: two runs behaved the same
 * exactly when their logs are equal.  The log is output, not state: it is
 * never migrated.
 *
 * Threads: a machine is used by one thread at a time; machines share
 * nothing.
 */
#ifndef HW_MACHINE_H
#define HW_MACHINE_H

#include <glib.h>
#include <qidl/devices.h>
#include <qidl/filter.h>
#include <qidl/tree.h>

G_BEGIN_DECLS

#define MACHINE_STEP_NS (5 * 1000 * 1000)
#define MACHINE_RAM_SIZE (32 * 1024)
#define MACHINE_DISK_SIZE (32 * 1024)
/* The RTC's time at power-on: 2024-02-29 23:59:58 UTC. */
#define MACHINE_RTC_EPOCH 1709251198u
/* Steps of the scripted workload; it keeps going (quietly) after. */
#define MACHINE_SCRIPT_STEPS 320

typedef struct {
    gboolean kvm_apic;          /* "kvm-apic" rather than "apic" */
    gboolean split_virtio;      /* virtio-pci + virtio-blk rather than
                                 * virtio-blk-pci */
} MachineConfig;

extern const MachineConfig machine_source_config;
extern const MachineConfig machine_dest_config;

typedef struct Machine Machine;

/* Powers a machine on at virtual time 0, before its first step. */
Machine *machine_new(const MachineConfig *config);
void machine_free(Machine *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Machine, machine_free)

const MachineConfig *machine_get_config(const Machine *m);
/* "source (kvm-apic, virtio-blk-pci)" or "destination (apic, ...)". */
const char *machine_describe(const Machine *m);

void machine_step(Machine *m);
void machine_run(Machine *m, guint32 steps);
guint32 machine_get_step(const Machine *m);
gint64 machine_get_clock(const Machine *m);

/* The log so far (transfer none). */
const char *machine_get_log(const Machine *m);
/*
 * What the guest could still observe that the log does not show yet:
 * the disk's contents and every device register's value, as log lines
 * (transfer full).
 */
char *machine_final_observation(Machine *m);

/* The devices, in the order they are saved. */
guint machine_get_n_devices(const Machine *m);
void machine_get_device(const Machine *m, guint index, const char **type,
                        const char **path, const char **name);
/* The device set used for saving and loading (transfer none). */
QidlDeviceSet *machine_get_device_set(Machine *m);

/* Native stream (optionally zstd) straight from the devices. */
gboolean machine_save_stream(Machine *m, GByteArray *out, gboolean zstd,
                             GError **error);
/* A tree, one device root per device. */
gboolean machine_save_tree(Machine *m, QidlTree *tree, GError **error);

/*
 * Appends the filters this build needs to load the other build's state
 * (kvm-apic <-> apic, split or merge), from hw/filters/.
 */
gboolean machine_add_incoming_filters(const Machine *m, QidlFilterSet *set,
                                      GError **error);

/*
 * Loads every device from @tree (already filtered), atomically: on
 * failure the machine is exactly as it was.  Runs the devices' pre-load
 * preparation (QEMU's pre_load) first.
 */
gboolean machine_load_tree(Machine *m, const QidlTree *tree, GError **error);

/* The whole receive path: read a stream, filter, load. */
gboolean machine_load_stream(Machine *m, const guint8 *data, gsize len,
                             GArray **filter_stats, GError **error);

/*
 * Legacy encoding (QEMU's wire bytes per device, no names): for each
 * device a big-endian uint32 length and the bytes.  Only between two
 * machines of the same build.  Load is atomic.
 */
gboolean machine_save_legacy(Machine *m, GByteArray *out, GError **error);
gboolean machine_load_legacy(Machine *m, const guint8 *data, gsize len,
                             GError **error);

/*
 * The live state of the device at @path in the typed JSON form (pretty
 * when asked), or the list of devices for @path NULL.
 */
char *machine_query_json(Machine *m, const char *path, gboolean pretty,
                         GError **error);

/*
 * Compares two logs; returns NULL when equal, else a description of the
 * first difference: "line 12: expected '...', got '...'" (transfer full).
 */
char *machine_log_diff(const char *expected, const char *got);

G_END_DECLS

#endif /* HW_MACHINE_H */
