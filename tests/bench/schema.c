/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The peers' schema, written by hand: for every device struct, the fields
 * QIDL saves, in the same order, with their names, kinds and offsets.  This
 * is what a user of msgpack, CBOR, GVariant or json-glib writes (as a table
 * or as code) to save the same state; protobuf's schema is state.proto,
 * whose messages have these names and fields.  Nothing here is generated
 * from QIDL: the round-trip checks of --quick (legacy bytes of every
 * decoded device equal to its source's) prove the two agree.
 *
 * Subsection fields (the UART's FIFOs, timers) are always carried by the
 * peers; QIDL's codecs carry them only when the device needs them, as QEMU
 * does.  On the benchmarked state that is a handful of small fields.
 */
#include <stddef.h>
#include <string.h>

#include "bench.h"
#include "bench-big.h"
#include "apic.h"
#include "guest.h"
#include "i8254.h"
#include "i8259.h"
#include "machine.h"
#include "rtc.h"
#include "serial.h"
#include "virtio-blk.h"

#include "apic.qidl.h"
#include "bench-big.qidl.h"
#include "guest.qidl.h"
#include "i8254.qidl.h"
#include "i8259.qidl.h"
#include "rtc.qidl.h"
#include "serial.qidl.h"
#include "virtio-blk.qidl.h"

#define MEMBER_COUNT(T, m) ((guint32)G_N_ELEMENTS(((T *)0)->m))
#define F(T, m, k) { #m, k, offsetof(T, m), 0, NULL, FALSE }
/* A field QIDL saves in a subsection, only when needed. */
#define FS(T, m, k) { #m, k, offsetof(T, m), 0, NULL, TRUE }
#define A(T, m, k) { #m, k, offsetof(T, m), MEMBER_COUNT(T, m), NULL }
#define S(T, m, sub) { #m, BK_STRUCT, offsetof(T, m), 0, &sub, FALSE }
#define SS(T, m, sub) { #m, BK_STRUCT, offsetof(T, m), 0, &sub, TRUE }
#define SA(T, m, sub) { #m, BK_STRUCT, offsetof(T, m), MEMBER_COUNT(T, m), &sub }
#define L(T, m, sub) { #m, BK_SLIST, offsetof(T, m), 0, &sub }
#define STRUCT(T, table) \
    { #T, sizeof(T), table, G_N_ELEMENTS(table) }

gsize bench_kind_size(BenchKind kind)
{
    switch (kind) {
    case BK_BOOL:
    case BK_U8:
    case BK_BYTES:
        return 1;
    case BK_U16:
        return 2;
    case BK_U32:
    case BK_I32:
        return 4;
    case BK_U64:
    case BK_I64:
        return 8;
    default:
        return 0;
    }
}

/* RAM and disk: raw buffers, as in machine.c. */
typedef struct {
    uint8_t bytes[MACHINE_RAM_SIZE];
} BenchRam;

typedef struct {
    uint8_t bytes[MACHINE_DISK_SIZE];
} BenchDisk;

static const BenchField ram_fields[] = {
    { "data", BK_BYTES, 0, MACHINE_RAM_SIZE, NULL },
};
static const BenchStruct ram_schema = STRUCT(BenchRam, ram_fields);

static const BenchField disk_fields[] = {
    { "data", BK_BYTES, 0, MACHINE_DISK_SIZE, NULL },
};
static const BenchStruct disk_schema = STRUCT(BenchDisk, disk_fields);

static const BenchField clock_fields[] = {
    F(MachineClockState, clock_ns, BK_I64),
    F(MachineClockState, step, BK_U32),
};
static const BenchStruct clock_schema =
    STRUCT(MachineClockState, clock_fields);

static const BenchField guest_fields[] = {
    F(GuestState, if_flag, BK_BOOL),
    F(GuestState, eoi_mode, BK_U8),
    F(GuestState, tx_pos, BK_U32),
    F(GuestState, pit_ticks, BK_U32),
    F(GuestState, apic_ticks, BK_U32),
    F(GuestState, rtc_irqs, BK_U32),
    F(GuestState, uart_irqs, BK_U32),
    F(GuestState, vblk_irqs, BK_U32),
    F(GuestState, ipis, BK_U32),
    F(GuestState, spurious, BK_U32),
    F(GuestState, avail_idx, BK_U16),
    F(GuestState, used_seen, BK_U16),
    F(GuestState, slot_busy, BK_U8),
    F(GuestState, slot_write, BK_U8),
    F(GuestState, reqs_submitted, BK_U32),
    F(GuestState, reqs_completed, BK_U32),
};
static const BenchStruct guest_schema = STRUCT(GuestState, guest_fields);

static const BenchField pic_fields[] = {
    F(PICCommonState, last_irr, BK_U8),
    F(PICCommonState, irr, BK_U8),
    F(PICCommonState, imr, BK_U8),
    F(PICCommonState, isr, BK_U8),
    F(PICCommonState, priority_add, BK_U8),
    F(PICCommonState, irq_base, BK_U8),
    F(PICCommonState, read_reg_select, BK_U8),
    F(PICCommonState, poll, BK_U8),
    F(PICCommonState, special_mask, BK_U8),
    F(PICCommonState, init_state, BK_U8),
    F(PICCommonState, auto_eoi, BK_U8),
    F(PICCommonState, rotate_on_auto_eoi, BK_U8),
    F(PICCommonState, special_fully_nested_mode, BK_U8),
    F(PICCommonState, init4, BK_U8),
    F(PICCommonState, single_mode, BK_U8),
    F(PICCommonState, elcr, BK_U8),
};
static const BenchStruct pic_schema = STRUCT(PICCommonState, pic_fields);

static const BenchField pit_channel_fields[] = {
    F(PITChannelState, count, BK_I32),
    F(PITChannelState, latched_count, BK_U16),
    F(PITChannelState, count_latched, BK_U8),
    F(PITChannelState, status_latched, BK_U8),
    F(PITChannelState, status, BK_U8),
    F(PITChannelState, read_state, BK_U8),
    F(PITChannelState, write_state, BK_U8),
    F(PITChannelState, write_latch, BK_U8),
    F(PITChannelState, rw_mode, BK_U8),
    F(PITChannelState, mode, BK_U8),
    F(PITChannelState, bcd, BK_U8),
    F(PITChannelState, gate, BK_U8),
    F(PITChannelState, count_load_time, BK_I64),
    F(PITChannelState, next_transition_time, BK_I64),
};
static const BenchStruct pit_channel_schema =
    STRUCT(PITChannelState, pit_channel_fields);

static const BenchField pit_fields[] = {
    F(PITCommonState, irq_disabled, BK_U32),
    SA(PITCommonState, channels, pit_channel_schema),
    F(PITCommonState, irq_timer, BK_I64),
};
static const BenchStruct pit_schema = STRUCT(PITCommonState, pit_fields);

static const BenchField rtc_fields[] = {
    A(RTCState, cmos_data, BK_U8),
    F(RTCState, cmos_index, BK_U8),
    A(RTCState, unused_tm, BK_U8),
    F(RTCState, periodic_timer, BK_I64),
    F(RTCState, next_periodic_time, BK_I64),
    A(RTCState, unused_timers, BK_U8),
    F(RTCState, irq_coalesced, BK_U32),
    F(RTCState, period, BK_U32),
    F(RTCState, base_rtc, BK_U64),
    F(RTCState, last_update, BK_U64),
    F(RTCState, offset, BK_I64),
    F(RTCState, update_timer, BK_I64),
    F(RTCState, next_alarm_time, BK_U64),
    FS(RTCState, irq_reinject_on_ack_count, BK_U16),
};
static const BenchStruct rtc_schema = STRUCT(RTCState, rtc_fields);

static const BenchField fifo_fields[] = {
    A(Fifo8, data, BK_U8),
    F(Fifo8, head, BK_U32),
    F(Fifo8, num, BK_U32),
};
static const BenchStruct fifo_schema = STRUCT(Fifo8, fifo_fields);

static const BenchField serial_fields[] = {
    F(SerialState, divider, BK_U16),
    F(SerialState, rbr, BK_U8),
    F(SerialState, ier, BK_U8),
    F(SerialState, iir, BK_U8),
    F(SerialState, lcr, BK_U8),
    F(SerialState, mcr, BK_U8),
    F(SerialState, lsr, BK_U8),
    F(SerialState, msr, BK_U8),
    F(SerialState, scr, BK_U8),
    F(SerialState, fcr_vmstate, BK_U8),
    FS(SerialState, thr_ipending, BK_I32),
    FS(SerialState, tsr_retry, BK_U32),
    FS(SerialState, thr, BK_U8),
    FS(SerialState, tsr, BK_U8),
    SS(SerialState, recv_fifo, fifo_schema),
    SS(SerialState, xmit_fifo, fifo_schema),
    FS(SerialState, fifo_timeout_timer, BK_I64),
    FS(SerialState, timeout_ipending, BK_I32),
    FS(SerialState, poll_msl, BK_I32),
    FS(SerialState, modem_status_poll, BK_I64),
};
static const BenchStruct serial_schema = STRUCT(SerialState, serial_fields);

static const BenchField apic_fields[] = {
    F(APICCommonState, apicbase, BK_U32),
    F(APICCommonState, id, BK_U8),
    F(APICCommonState, arb_id, BK_U8),
    F(APICCommonState, tpr, BK_U8),
    F(APICCommonState, spurious_vec, BK_U32),
    F(APICCommonState, log_dest, BK_U8),
    F(APICCommonState, dest_mode, BK_U8),
    A(APICCommonState, isr, BK_U32),
    A(APICCommonState, tmr, BK_U32),
    A(APICCommonState, irr, BK_U32),
    A(APICCommonState, lvt, BK_U32),
    F(APICCommonState, esr, BK_U32),
    A(APICCommonState, icr, BK_U32),
    F(APICCommonState, divide_conf, BK_U32),
    F(APICCommonState, count_shift, BK_I32),
    F(APICCommonState, initial_count, BK_U32),
    F(APICCommonState, initial_count_load_time, BK_I64),
    F(APICCommonState, next_time, BK_I64),
    F(APICCommonState, timer_expiry, BK_I64),
};
static const BenchStruct apic_schema = STRUCT(APICCommonState, apic_fields);

static const BenchField vq_fields[] = {
    F(VirtQueueState, num, BK_U16),
    F(VirtQueueState, desc, BK_U64),
    F(VirtQueueState, avail, BK_U64),
    F(VirtQueueState, used, BK_U64),
    F(VirtQueueState, last_avail_idx, BK_U16),
    F(VirtQueueState, vector, BK_U16),
};
static const BenchStruct vq_schema = STRUCT(VirtQueueState, vq_fields);

static const BenchField blkcfg_fields[] = {
    F(VirtIOBlkConfig, capacity, BK_U64),
    F(VirtIOBlkConfig, size_max, BK_U32),
    F(VirtIOBlkConfig, seg_max, BK_U32),
    F(VirtIOBlkConfig, blk_size, BK_U32),
    F(VirtIOBlkConfig, num_queues, BK_U16),
};
static const BenchStruct blkcfg_schema =
    STRUCT(VirtIOBlkConfig, blkcfg_fields);

static const BenchField req_fields[] = {
    F(VirtIOBlkReq, sector, BK_U64),
    F(VirtIOBlkReq, nb_sectors, BK_U32),
    F(VirtIOBlkReq, type, BK_U32),
    F(VirtIOBlkReq, head, BK_U16),
    F(VirtIOBlkReq, data_addr, BK_U64),
    F(VirtIOBlkReq, status_addr, BK_U64),
    F(VirtIOBlkReq, complete_time, BK_I64),
};
static const BenchStruct req_schema = STRUCT(VirtIOBlkReq, req_fields);

static const BenchField vblk_pci_fields[] = {
    A(VirtIOBlkPCIState, pci_config, BK_U8),
    A(VirtIOBlkPCIState, msix_table, BK_U8),
    A(VirtIOBlkPCIState, msix_pba, BK_U8),
    F(VirtIOBlkPCIState, status, BK_U8),
    F(VirtIOBlkPCIState, isr, BK_U8),
    F(VirtIOBlkPCIState, queue_sel, BK_U16),
    F(VirtIOBlkPCIState, config_vector, BK_U16),
    F(VirtIOBlkPCIState, host_features, BK_U64),
    F(VirtIOBlkPCIState, guest_features, BK_U64),
    SA(VirtIOBlkPCIState, queues, vq_schema),
    S(VirtIOBlkPCIState, blk_config, blkcfg_schema),
    L(VirtIOBlkPCIState, requests, req_schema),
};
static const BenchStruct vblk_pci_schema =
    STRUCT(VirtIOBlkPCIState, vblk_pci_fields);

static const BenchField vpci_fields[] = {
    A(VirtIOPCIState, config, BK_U8),
    A(VirtIOPCIState, msix_table, BK_U8),
    A(VirtIOPCIState, msix_pba, BK_U8),
    F(VirtIOPCIState, status, BK_U8),
    F(VirtIOPCIState, isr, BK_U8),
    F(VirtIOPCIState, queue_sel, BK_U16),
    F(VirtIOPCIState, config_vector, BK_U16),
    F(VirtIOPCIState, host_features, BK_U64),
    F(VirtIOPCIState, guest_features, BK_U64),
    SA(VirtIOPCIState, queues, vq_schema),
};
static const BenchStruct vpci_schema = STRUCT(VirtIOPCIState, vpci_fields);

static const BenchField vblk_fields[] = {
    S(VirtIOBlkState, config, blkcfg_schema),
    L(VirtIOBlkState, requests, req_schema),
};
static const BenchStruct vblk_schema = STRUCT(VirtIOBlkState, vblk_fields);

static const BenchField big_seg_fields[] = {
    F(BigSeg, lba, BK_U32),
    F(BigSeg, len, BK_U16),
    F(BigSeg, flags, BK_U8),
};
static const BenchStruct big_seg_schema = STRUCT(BigSeg, big_seg_fields);

static const BenchField big_entry_fields[] = {
    F(BigEntry, addr, BK_U64),
    F(BigEntry, id, BK_U32),
    F(BigEntry, kind, BK_U16),
    A(BigEntry, key, BK_U8),
    F(BigEntry, stamp, BK_I64),
    SA(BigEntry, segs, big_seg_schema),
};
static const BenchStruct big_entry_schema =
    STRUCT(BigEntry, big_entry_fields);

static const BenchField big_fields[] = {
    A(BigState, regs, BK_U32),
    A(BigState, counters, BK_U64),
    A(BigState, table, BK_U16),
    A(BigState, lut, BK_U8),
    A(BigState, stamps, BK_I64),
    F(BigState, enabled, BK_BOOL),
    L(BigState, entries, big_entry_schema),
    L(BigState, log, big_seg_schema),
};
static const BenchStruct big_schema = STRUCT(BigState, big_fields);

/* ---- device classes: the generated code behind QidlDeviceClass ---------- */

#define WRAP(T)                                                             \
    static gboolean visit_##T(QidlVisitor *v, const char *name, void *obj, \
                              GError **error)                               \
    {                                                                       \
        return qidl_visit_##T(v, name, obj, error);                         \
    }                                                                       \
    static void release_##T(void *obj, const void *keep)                    \
    {                                                                       \
        qidl_release_##T(obj, keep);                                        \
    }

WRAP(MachineClockState)
WRAP(GuestState)
WRAP(PICCommonState)
WRAP(PITCommonState)
WRAP(RTCState)
WRAP(SerialState)
WRAP(APICCommonState)
WRAP(VirtIOBlkPCIState)
WRAP(VirtIOPCIState)
WRAP(VirtIOBlkState)
WRAP(BigState)

/* RAM and disk are visited by hand, as machine.c does. */
static gboolean visit_ram(QidlVisitor *v, const char *name, void *obj,
                          GError **error)
{
    BenchRam *ram = obj;

    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_bytes(v, "data", ram->bytes, sizeof(ram->bytes),
                            error) &&
           qidl_visit_end_struct(v, error);
}

static gboolean visit_disk(QidlVisitor *v, const char *name, void *obj,
                           GError **error)
{
    BenchDisk *disk = obj;

    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_bytes(v, "data", disk->bytes, sizeof(disk->bytes),
                            error) &&
           qidl_visit_end_struct(v, error);
}

#define HOOK(fn, T)                                                   \
    static gboolean hook_##fn(void *obj, GError **error)              \
    {                                                                 \
        return fn((T *)obj, error);                                   \
    }

HOOK(apic_post_load, APICCommonState)
HOOK(pit_pre_save, PITCommonState)
HOOK(pit_post_load, PITCommonState)
HOOK(pic_post_load, PICCommonState)
HOOK(rtc_post_load, RTCState)
HOOK(serial_pre_save, SerialState)
HOOK(serial_post_load, SerialState)
HOOK(virtio_pci_post_load, VirtIOPCIState)
HOOK(virtio_blk_pci_post_load, VirtIOBlkPCIState)

#define TYPE(name, T, ver, min, schema, pre, post)                          \
    { { name, ver, min, sizeof(T), visit_##T, release_##T }, &schema, pre, \
      post }

static const BenchType types[] = {
    TYPE("qidl-machine", MachineClockState, 1, 1, clock_schema, NULL, NULL),
    TYPE("qidl-guest-cpu", GuestState, 1, 1, guest_schema, NULL, NULL),
    { { "pc.ram", 1, 1, sizeof(BenchRam), visit_ram, NULL }, &ram_schema,
      NULL, NULL },
    TYPE("isa-i8259", PICCommonState, 1, 1, pic_schema, NULL,
         hook_pic_post_load),
    TYPE("isa-pit", PITCommonState, 3, 2, pit_schema, hook_pit_pre_save,
         hook_pit_post_load),
    TYPE("mc146818rtc", RTCState, 3, 1, rtc_schema, NULL,
         hook_rtc_post_load),
    TYPE("isa-serial", SerialState, 3, 2, serial_schema,
         hook_serial_pre_save, hook_serial_post_load),
    TYPE("kvm-apic", APICCommonState, 3, 3, apic_schema, NULL,
         hook_apic_post_load),
    TYPE("apic", APICCommonState, 3, 3, apic_schema, NULL,
         hook_apic_post_load),
    TYPE("virtio-blk-pci", VirtIOBlkPCIState, 2, 2, vblk_pci_schema, NULL,
         hook_virtio_blk_pci_post_load),
    TYPE("virtio-pci", VirtIOPCIState, 1, 1, vpci_schema, NULL,
         hook_virtio_pci_post_load),
    TYPE("virtio-blk", VirtIOBlkState, 1, 1, vblk_schema, NULL, NULL),
    { { "block-image", 1, 1, sizeof(BenchDisk), visit_disk, NULL },
      &disk_schema, NULL, NULL },
    TYPE("bench-big", BigState, 1, 1, big_schema, NULL, NULL),
};

const BenchType *bench_type_find(const char *type_name)
{
    for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
        if (strcmp(types[i].cls.type_name, type_name) == 0) {
            return &types[i];
        }
    }
    return NULL;
}

/* ---- helpers shared by the peers ------------------------------------------ */

gboolean bench_pre_save(const BenchType *type, void *obj, GError **error)
{
    return !type->pre_save || type->pre_save(obj, error);
}

gboolean bench_post_load(const BenchType *type, void *obj, GError **error)
{
    return !type->post_load || type->post_load(obj, error);
}

gboolean bench_fail(GError **error, const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error_literal(error, QIDL_ERROR, QIDL_ERROR_INVALID, msg);
    return FALSE;
}

const BenchField *bench_field_lookup(const BenchStruct *s, const char *name,
                                     gsize len, guint hint)
{
    if (hint < s->n_fields && strncmp(s->fields[hint].name, name, len) == 0 &&
        s->fields[hint].name[len] == '\0') {
        return &s->fields[hint];
    }
    for (guint i = 0; i < s->n_fields; i++) {
        if (strncmp(s->fields[i].name, name, len) == 0 &&
            s->fields[i].name[len] == '\0') {
            return &s->fields[i];
        }
    }
    return NULL;
}

gpointer bench_slist_prepend(GSList **list, const BenchStruct *s)
{
    gpointer elem = g_malloc0(s->size);

    *list = g_slist_prepend(*list, elem);
    return elem;
}

guint64 bench_load_scalar(BenchKind kind, const void *src, gboolean *negative)
{
    *negative = FALSE;
    switch (kind) {
    case BK_BOOL:
        return *(const bool *)src;
    case BK_U8:
        return *(const guint8 *)src;
    case BK_U16:
        return *(const guint16 *)src;
    case BK_U32:
        return *(const guint32 *)src;
    case BK_U64:
        return *(const guint64 *)src;
    case BK_I32:
        *negative = *(const gint32 *)src < 0;
        return (guint64)(gint64)*(const gint32 *)src;
    case BK_I64:
        *negative = *(const gint64 *)src < 0;
        return (guint64)*(const gint64 *)src;
    default:
        g_assert_not_reached();
    }
}

gboolean bench_store_scalar(BenchKind kind, void *dst, guint64 v,
                            gboolean negative)
{
    gint64 i = (gint64)v;

    switch (kind) {
    case BK_BOOL:
        if (negative || v > 1) {
            return FALSE;
        }
        *(bool *)dst = v;
        return TRUE;
    case BK_U8:
        if (negative || v > G_MAXUINT8) {
            return FALSE;
        }
        *(guint8 *)dst = (guint8)v;
        return TRUE;
    case BK_U16:
        if (negative || v > G_MAXUINT16) {
            return FALSE;
        }
        *(guint16 *)dst = (guint16)v;
        return TRUE;
    case BK_U32:
        if (negative || v > G_MAXUINT32) {
            return FALSE;
        }
        *(guint32 *)dst = (guint32)v;
        return TRUE;
    case BK_U64:
        if (negative) {
            return FALSE;
        }
        *(guint64 *)dst = v;
        return TRUE;
    case BK_I32:
        if (negative ? i < G_MININT32 : v > G_MAXINT32) {
            return FALSE;
        }
        *(gint32 *)dst = (gint32)i;
        return TRUE;
    case BK_I64:
        if (!negative && v > G_MAXINT64) {
            return FALSE;
        }
        *(gint64 *)dst = i;
        return TRUE;
    default:
        return FALSE;
    }
}
