/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The example machine and its scripted guest: see machine.h. */
#include <string.h>

#include <qidl/legacy.h>
#include <qidl/json.h>
#include <qidl/stream.h>

#include "machine.h"
#include "apic.qidl.h"
#include "guest.qidl.h"
#include "i8254.qidl.h"
#include "i8259.qidl.h"
#include "rtc.qidl.h"
#include "serial.qidl.h"
#include "virtio-blk.qidl.h"

#ifndef HW_FILTER_DIR
#error "HW_FILTER_DIR must name hw/filters"
#endif

const MachineConfig machine_source_config = { TRUE, FALSE };
const MachineConfig machine_dest_config = { FALSE, TRUE };

/* RAM and disk as objects whose state is inline, so a scratch copy of
 * them is a real copy and loads stay atomic. */
typedef struct {
    uint8_t bytes[MACHINE_RAM_SIZE];
} MachineRam;

typedef struct {
    uint8_t bytes[MACHINE_DISK_SIZE];
} MachineDisk;

/* Guest-physical layout used by the script. */
#define VBLK_BAR0 0xfebf0000u
#define VQ_SIZE 32u
#define VQ_DESC 0x1000u
#define VQ_AVAIL 0x1200u
#define VQ_USED 0x1300u
#define VQ_HDR 0x1800u
#define VQ_STATUS 0x1900u
#define VQ_DATA 0x2000u
#define VQ_DATA_SLOT 0x800u
/* Vectors. */
#define VEC_PIC_MASTER 0x20
#define VEC_PIC_SLAVE 0x28
#define VEC_APIC_TIMER 0x40
#define VEC_IPI 0x50
#define VEC_VBLK_QUEUE 0x60
#define VEC_VBLK_CONFIG 0x61
#define VEC_APIC_SPURIOUS 0xff
#define IRQ_PIT 0
#define IRQ_SERIAL 4
#define IRQ_RTC 8
#define IRQ_VBLK 11

#define MAX_DEVICES 16

typedef struct {
    QidlDeviceClass cls;
    const char *path;
    const char *name;
    void *obj;
    void (*pre_load)(void *obj);
} MachineDevice;

struct Machine {
    MachineConfig config;
    MachineClockState clock;
    GuestState cpu;
    MachineRam ram_state;
    MachineDisk disk_state;
    PICCommonState pic[2];
    PITCommonState pit;
    RTCState rtc;
    SerialState serial;
    APICCommonState apic;
    VirtIOBlkPCIState vblk;         /* the source build */
    VirtIOPCIState vpci;            /* the destination build */
    VirtIOBlkState vblk_backend;

    /* Wiring: immutable, the same in every build and after a load. */
    HwIrq isa_irq[16];
    HwIrq slave_int;
    HwMsi msi;
    SerialBackend console;
    HwRam ram;
    HwDisk disk;

    MachineDevice devices[MAX_DEVICES];
    guint n_devices;
    QidlDeviceSet *set;

    GString *log;
    gboolean log_full;          /* past MACHINE_LOG_MAX: lines dropped */
};

/* ---- the generated code, behind the device-set's function types -------- */

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

#define CLASS(type, T, ver, min)                                            \
    { type, ver, min, sizeof(T), visit_##T, release_##T }

/* RAM and disk: raw bytes, visited by hand (QEMU's RAM is not a VMState
 * device either). */
static gboolean visit_ram(QidlVisitor *v, const char *name, void *obj,
                          GError **error)
{
    MachineRam *ram = obj;

    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_bytes(v, "data", ram->bytes, sizeof(ram->bytes), error) &&
           qidl_visit_end_struct(v, error);
}

static gboolean visit_disk(QidlVisitor *v, const char *name, void *obj,
                           GError **error)
{
    MachineDisk *disk = obj;

    return qidl_visit_start_struct(v, name, error) &&
           qidl_visit_bytes(v, "data", disk->bytes, sizeof(disk->bytes),
                            error) &&
           qidl_visit_end_struct(v, error);
}

static void pre_load_rtc(void *obj)
{
    rtc_pre_load(obj);
}

static void pre_load_serial(void *obj)
{
    serial_pre_load(obj);
}

/* ---- wiring --------------------------------------------------------------- */

static void set_isa_irq(void *opaque, int n, bool level)
{
    Machine *m = opaque;

    if (n < 8) {
        pic_set_irq(&m->pic[0], n, level);
    } else {
        pic_set_irq(&m->pic[1], n - 8, level);
    }
}

static void set_slave_int(void *opaque, int n, bool level)
{
    Machine *m = opaque;

    (void)n;
    pic_set_irq(&m->pic[0], 2, level);
}

static void send_msi(void *opaque, uint64_t addr, uint32_t data)
{
    Machine *m = opaque;

    if ((addr & 0xfff00000u) == APIC_DEFAULT_ADDRESS) {
        apic_deliver(&m->apic, data & 0xff);
    }
}

/*
 * The log's size limit: far above what a run of the script writes (the
 * demo's whole log is a few KiB), low enough that a loaded state that
 * makes the guest log in a loop cannot exhaust memory.  Past it, one line
 * says so and later lines are dropped.
 */
#define MACHINE_LOG_MAX (4 * 1024 * 1024)

static void G_GNUC_PRINTF(2, 3) mlog(Machine *m, const char *fmt, ...)
{
    va_list ap;

    if (G_UNLIKELY(m->log->len >= MACHINE_LOG_MAX)) {
        if (!m->log_full) {
            m->log_full = TRUE;
            g_string_append(m->log, "log full: later lines dropped\n");
        }
        return;
    }
    g_string_append_printf(m->log, "%04u %4" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT
                           "ms ", m->clock.step,
                           m->clock.clock_ns / 1000000,
                           m->clock.clock_ns % 1000000);
    va_start(ap, fmt);
    g_string_append_vprintf(m->log, fmt, ap);
    va_end(ap);
    g_string_append_c(m->log, '\n');
}

static void console_write(void *opaque, int64_t now, uint8_t byte)
{
    Machine *m = opaque;

    (void)now;
    mlog(m, "uart tx %02x '%c'", byte, g_ascii_isprint(byte) ? byte : '.');
}

/* ---- the bus -------------------------------------------------------------- */

static void outb(Machine *m, uint16_t port, uint8_t val)
{
    int64_t now = m->clock.clock_ns;

    switch (port) {
    case 0x20:
    case 0x21:
        pic_ioport_write(&m->pic[0], port & 1, val);
        break;
    case 0xa0:
    case 0xa1:
        pic_ioport_write(&m->pic[1], port & 1, val);
        break;
    case 0x4d0:
    case 0x4d1:
        pic_elcr_write(&m->pic[port & 1], val);
        break;
    case 0x40 ... 0x43:
        pit_ioport_write(&m->pit, now, port & 3, val);
        break;
    case 0x61:
        pit_set_gate(&m->pit, now, 2, val & 1);
        break;
    case 0x70:
    case 0x71:
        rtc_ioport_write(&m->rtc, now, port & 1, val);
        break;
    case 0x3f8 ... 0x3ff:
        serial_ioport_write(&m->serial, now, port & 7, val);
        break;
    default:
        break;
    }
}

static uint8_t inb(Machine *m, uint16_t port)
{
    int64_t now = m->clock.clock_ns;

    switch (port) {
    case 0x20:
    case 0x21:
        return pic_ioport_read(&m->pic[0], port & 1);
    case 0xa0:
    case 0xa1:
        return pic_ioport_read(&m->pic[1], port & 1);
    case 0x4d0:
    case 0x4d1:
        return pic_elcr_read(&m->pic[port & 1]);
    case 0x40 ... 0x43:
        return pit_ioport_read(&m->pit, now, port & 3);
    case 0x61:
        return (uint8_t)(pit_get_gate(&m->pit, 2) |
                         (pit_get_out(&m->pit, 2, now) << 5));
    case 0x70:
    case 0x71:
        return rtc_ioport_read(&m->rtc, now, port & 1);
    case 0x3f8 ... 0x3ff:
        return serial_ioport_read(&m->serial, now, port & 7);
    default:
        return 0xff;
    }
}

static uint32_t vblk_bar0(Machine *m)
{
    return virtio_pci_bar0(m->config.split_virtio ? m->vpci.config
                                                  : m->vblk.pci_config);
}

static uint32_t mmio_read(Machine *m, uint32_t addr)
{
    int64_t now = m->clock.clock_ns;
    uint32_t bar = vblk_bar0(m);

    if (addr >= APIC_DEFAULT_ADDRESS && addr < APIC_DEFAULT_ADDRESS + 0x1000) {
        return apic_mem_read(&m->apic, now, addr - APIC_DEFAULT_ADDRESS);
    }
    if (bar && addr >= bar && addr < bar + 0x1000) {
        if (m->config.split_virtio) {
            return virtio_pair_mmio_read(&m->vpci, &m->vblk_backend, now,
                                         addr - bar);
        }
        return virtio_blk_pci_mmio_read(&m->vblk, now, addr - bar);
    }
    return 0xffffffffu;
}

static void mmio_write(Machine *m, uint32_t addr, uint32_t val)
{
    int64_t now = m->clock.clock_ns;
    uint32_t bar = vblk_bar0(m);

    if (addr >= APIC_DEFAULT_ADDRESS && addr < APIC_DEFAULT_ADDRESS + 0x1000) {
        apic_mem_write(&m->apic, now, addr - APIC_DEFAULT_ADDRESS, val);
    } else if (bar && addr >= bar && addr < bar + 0x1000) {
        if (m->config.split_virtio) {
            virtio_pair_mmio_write(&m->vpci, &m->vblk_backend, now,
                                   addr - bar, val);
        } else {
            virtio_blk_pci_mmio_write(&m->vblk, now, addr - bar, val);
        }
    }
}

static uint32_t pci_read(Machine *m, uint32_t off, unsigned len)
{
    if (m->config.split_virtio) {
        return virtio_pair_config_read(&m->vpci, off, len);
    }
    return virtio_blk_pci_config_read(&m->vblk, off, len);
}

static void pci_write(Machine *m, uint32_t off, uint32_t val, unsigned len)
{
    if (m->config.split_virtio) {
        virtio_pair_config_write(&m->vpci, off, val, len);
    } else {
        virtio_blk_pci_config_write(&m->vblk, off, val, len);
    }
}

/* ---- the guest: drivers ---------------------------------------------------- */

static uint8_t cmos_read(Machine *m, uint8_t reg)
{
    outb(m, 0x70, reg);
    return inb(m, 0x71);
}

static void cmos_write(Machine *m, uint8_t reg, uint8_t val)
{
    outb(m, 0x70, reg);
    outb(m, 0x71, val);
}

static void pic_eoi(Machine *m, int irq)
{
    GuestState *g = &m->cpu;
    uint8_t cmd[3] = { 0x20, 0xa0, 0x60 };     /* plain, rotate, specific */

    if (irq >= 8) {
        outb(m, 0xa0, (uint8_t)(cmd[g->eoi_mode] | (g->eoi_mode == 2 ? irq - 8 : 0)));
        irq = 2;
    }
    outb(m, 0x20, (uint8_t)(cmd[g->eoi_mode] | (g->eoi_mode == 2 ? irq : 0)));
}

static void apic_eoi(Machine *m)
{
    mmio_write(m, APIC_DEFAULT_ADDRESS + 0xb0, 0);
}

static void pic_init_pair(Machine *m, bool aeoi)
{
    outb(m, 0x20, 0x11);
    outb(m, 0x21, VEC_PIC_MASTER);
    outb(m, 0x21, 0x04);
    outb(m, 0x21, aeoi ? 0x03 : 0x01);
    outb(m, 0xa0, 0x11);
    outb(m, 0xa1, VEC_PIC_SLAVE);
    outb(m, 0xa1, 0x02);
    outb(m, 0xa1, 0x01);
    /* Unmask the PIT, the cascade, the UART; the RTC and virtio-blk. */
    outb(m, 0x21, (uint8_t)~((1 << IRQ_PIT) | (1 << 2) | (1 << IRQ_SERIAL)));
    outb(m, 0xa1, (uint8_t)~((1 << (IRQ_RTC - 8)) | (1 << (IRQ_VBLK - 8))));
}

static void pit_program(Machine *m, int ch, int mode, uint16_t count)
{
    outb(m, 0x43, (uint8_t)((ch << 6) | 0x30 | (mode << 1)));
    outb(m, (uint16_t)(0x40 + ch), count & 0xff);
    outb(m, (uint16_t)(0x40 + ch), count >> 8);
}

static void vblk_mmio_write(Machine *m, uint32_t off, uint32_t val)
{
    mmio_write(m, VBLK_BAR0 + off, val);
}

static uint32_t vblk_mmio_read(Machine *m, uint32_t off)
{
    return mmio_read(m, VBLK_BAR0 + off);
}

static void ram_w16(Machine *m, uint32_t a, uint16_t v)
{
    m->ram_state.bytes[a] = v & 0xff;
    m->ram_state.bytes[a + 1] = v >> 8;
}

static void ram_w32(Machine *m, uint32_t a, uint32_t v)
{
    ram_w16(m, a, v & 0xffff);
    ram_w16(m, a + 2, v >> 16);
}

static void ram_w64(Machine *m, uint32_t a, uint64_t v)
{
    ram_w32(m, a, (uint32_t)v);
    ram_w32(m, a + 4, (uint32_t)(v >> 32));
}

static uint32_t ram_r32(Machine *m, uint32_t a)
{
    const uint8_t *p = &m->ram_state.bytes[a];

    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint16_t ram_r16(Machine *m, uint32_t a)
{
    return (uint16_t)(m->ram_state.bytes[a] | (m->ram_state.bytes[a + 1] << 8));
}

static void vblk_driver_init(Machine *m)
{
    pci_write(m, 0x10, VBLK_BAR0, 4);
    pci_write(m, 0x04, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    vblk_mmio_write(m, 0x18, 0);                        /* reset */
    vblk_mmio_write(m, 0x18, VIRTIO_STATUS_ACK);
    vblk_mmio_write(m, 0x18, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    uint32_t lo = vblk_mmio_read(m, 0x00), hi = vblk_mmio_read(m, 0x04);
    vblk_mmio_write(m, 0x08, lo);
    vblk_mmio_write(m, 0x0c, hi);
    vblk_mmio_write(m, 0x18, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
                             VIRTIO_STATUS_FEATURES_OK);
    vblk_mmio_write(m, 0x1c, 0);
    vblk_mmio_write(m, 0x20, VQ_SIZE);
    vblk_mmio_write(m, 0x2c, VQ_DESC);
    vblk_mmio_write(m, 0x34, VQ_AVAIL);
    vblk_mmio_write(m, 0x3c, VQ_USED);
    vblk_mmio_write(m, 0x24, 1);                        /* queue: vector 1 */
    vblk_mmio_write(m, 0x10, 0);                        /* config: vector 0 */
    /* MSI-X entries: vector 0 config, vector 1 the queue. */
    vblk_mmio_write(m, 0x800, APIC_DEFAULT_ADDRESS);
    vblk_mmio_write(m, 0x808, VEC_VBLK_CONFIG);
    vblk_mmio_write(m, 0x80c, 0);
    vblk_mmio_write(m, 0x810, APIC_DEFAULT_ADDRESS);
    vblk_mmio_write(m, 0x818, VEC_VBLK_QUEUE);
    vblk_mmio_write(m, 0x81c, 0);
    vblk_mmio_write(m, 0x18, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
                             VIRTIO_STATUS_FEATURES_OK |
                             VIRTIO_STATUS_DRIVER_OK);
    mlog(m, "vblk features %08x%08x capacity %u sectors", hi, lo,
         vblk_mmio_read(m, 0x100));
}

/* Queues a request in a free slot: header, optional data, status. */
static void vblk_submit(Machine *m, uint32_t type, uint64_t sector,
                        uint32_t nb)
{
    GuestState *g = &m->cpu;
    int slot = -1;

    for (int i = 0; i < GUEST_VQ_SLOTS; i++) {
        if (!(g->slot_busy & (1 << i))) {
            slot = i;
            break;
        }
    }
    if (slot < 0) {
        mlog(m, "vblk queue full");
        return;
    }
    uint32_t head = 3 * (uint32_t)slot, data = VQ_DATA + VQ_DATA_SLOT * slot;
    uint32_t hdr = VQ_HDR + 16 * slot, st = VQ_STATUS + slot;

    ram_w32(m, hdr, type);
    ram_w32(m, hdr + 4, 0);
    ram_w64(m, hdr + 8, sector);
    m->ram_state.bytes[st] = 0xff;
    ram_w64(m, VQ_DESC + 16 * head, hdr);
    ram_w32(m, VQ_DESC + 16 * head + 8, 16);
    ram_w16(m, VQ_DESC + 16 * head + 12, VRING_DESC_F_NEXT);
    if (nb) {
        if (type == VIRTIO_BLK_T_OUT) {
            for (uint32_t i = 0; i < nb * 512; i++) {
                m->ram_state.bytes[data + i] =
                    (uint8_t)(m->clock.step * 31 + i * 7 + sector);
            }
        }
        ram_w16(m, VQ_DESC + 16 * head + 14, (uint16_t)(head + 1));
        ram_w64(m, VQ_DESC + 16 * (head + 1), data);
        ram_w32(m, VQ_DESC + 16 * (head + 1) + 8, nb * 512);
        ram_w16(m, VQ_DESC + 16 * (head + 1) + 12,
                VRING_DESC_F_NEXT |
                (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0));
        ram_w16(m, VQ_DESC + 16 * (head + 1) + 14, (uint16_t)(head + 2));
    } else {
        ram_w16(m, VQ_DESC + 16 * head + 14, (uint16_t)(head + 2));
    }
    ram_w64(m, VQ_DESC + 16 * (head + 2), st);
    ram_w32(m, VQ_DESC + 16 * (head + 2) + 8, 1);
    ram_w16(m, VQ_DESC + 16 * (head + 2) + 12, VRING_DESC_F_WRITE);
    ram_w16(m, VQ_AVAIL + 4 + 2 * (g->avail_idx % VQ_SIZE), (uint16_t)head);
    g->avail_idx++;
    ram_w16(m, VQ_AVAIL + 2, g->avail_idx);
    g->slot_busy |= 1 << slot;
    g->reqs_submitted++;
    mlog(m, "vblk submit slot %d %s sector %" G_GUINT64_FORMAT " x%u", slot,
         type == VIRTIO_BLK_T_IN ? "read" : type == VIRTIO_BLK_T_OUT ? "write" :
         "flush", sector, nb);
    vblk_mmio_write(m, 0x44, 0);                        /* notify */
}

static void vblk_reap(Machine *m)
{
    GuestState *g = &m->cpu;
    uint16_t used = ram_r16(m, VQ_USED + 2);

    while (g->used_seen != used) {
        uint32_t e = VQ_USED + 4 + 8 * (g->used_seen % VQ_SIZE);
        uint32_t head = ram_r32(m, e), len = ram_r32(m, e + 4);
        uint32_t slot = head / 3 % GUEST_VQ_SLOTS;
        uint32_t sum = 0;

        if (len > 1) {
            for (uint32_t i = 0; i < len - 1 && i < VQ_DATA_SLOT; i++) {
                sum = sum * 33 + m->ram_state.bytes[VQ_DATA + VQ_DATA_SLOT * slot + i];
            }
        }
        mlog(m, "vblk done slot %u status %u len %u sum %08x", slot,
             m->ram_state.bytes[VQ_STATUS + slot], len, sum);
        g->slot_busy &= ~(1 << slot);
        g->used_seen++;
        g->reqs_completed++;
    }
}

/* Bytes the guest's UART handler reads per pass at most. */
#define GUEST_RX_BUDGET 256

static void serial_service(Machine *m)
{
    for (int n = 0; n < 32; n++) {
        uint8_t iir = inb(m, 0x3fa), lsr;

        if (iir & UART_IIR_NO_INT) {
            return;
        }
        switch (iir & 0x0f) {
        case UART_IIR_RLSI:
            mlog(m, "uart lsr %02x", inb(m, 0x3fd));
            break;
        case UART_IIR_RDI:
        case UART_IIR_CTI:
            /* A budget per pass, as Linux's 8250 driver has (256): with
             * LCR.DLAB set, reading offset 0 returns the divisor latch
             * and data-ready never clears. */
            for (int budget = GUEST_RX_BUDGET;
                 budget > 0 && ((lsr = inb(m, 0x3fd)) & UART_LSR_DR);
                 budget--) {
                uint8_t c = inb(m, 0x3f8);

                mlog(m, "uart rx %02x '%c' (%s)", c,
                     g_ascii_isprint(c) ? c : '.',
                     (iir & 0x0f) == UART_IIR_CTI ? "timeout" : "trigger");
            }
            break;
        case UART_IIR_THRI:
            break;
        default:
            mlog(m, "uart msr %02x", inb(m, 0x3fe));
            break;
        }
    }
}

/* The interrupt handler: one entry point per vector. */
static void guest_interrupt(Machine *m, int vec)
{
    GuestState *g = &m->cpu;

    mlog(m, "irq %02x", vec);
    switch (vec) {
    case VEC_PIC_MASTER + IRQ_PIT:
        g->pit_ticks++;
        pic_eoi(m, IRQ_PIT);
        break;
    case VEC_PIC_MASTER + IRQ_SERIAL:
        g->uart_irqs++;
        serial_service(m);
        pic_eoi(m, IRQ_SERIAL);
        break;
    case VEC_PIC_SLAVE + IRQ_RTC - 8:
        g->rtc_irqs++;
        mlog(m, "rtc c=%02x", cmos_read(m, RTC_REG_C));
        pic_eoi(m, IRQ_RTC);
        break;
    case VEC_PIC_SLAVE + IRQ_VBLK - 8:
        g->vblk_irqs++;
        mlog(m, "vblk isr %x", vblk_mmio_read(m, 0x48));
        vblk_reap(m);
        pic_eoi(m, IRQ_VBLK);
        break;
    case VEC_PIC_MASTER + 7:
    case VEC_PIC_SLAVE + 7:
        g->spurious++;
        if (vec == VEC_PIC_SLAVE + 7) {
            pic_eoi(m, 2);
        }
        break;
    case VEC_APIC_TIMER:
        g->apic_ticks++;
        apic_eoi(m);
        break;
    case VEC_IPI:
        g->ipis++;
        apic_eoi(m);
        break;
    case VEC_VBLK_QUEUE:
        g->vblk_irqs++;
        vblk_reap(m);
        apic_eoi(m);
        break;
    case VEC_VBLK_CONFIG:
        mlog(m, "vblk status %02x", vblk_mmio_read(m, 0x18));
        apic_eoi(m);
        break;
    default:
        g->spurious++;
        break;
    }
}

static const char message[] = "Hello from the QIDL machine! ";

static void uart_send(Machine *m)
{
    GuestState *g = &m->cpu;

    if (inb(m, 0x3fd) & UART_LSR_THRE) {
        outb(m, 0x3f8, (uint8_t)message[g->tx_pos % (sizeof(message) - 1)]);
        g->tx_pos++;
    }
}

static void guest_boot(Machine *m)
{
    pic_init_pair(m, false);
    outb(m, 0x4d1, 1 << (IRQ_VBLK - 8));               /* level */

    /* Local APIC: enabled, ExtINT through LINT0, a periodic timer. */
    mmio_write(m, APIC_DEFAULT_ADDRESS + 0xf0, APIC_SV_ENABLE | VEC_APIC_SPURIOUS);
    mmio_write(m, APIC_DEFAULT_ADDRESS + 0x350, APIC_DM_EXTINT);
    mmio_write(m, APIC_DEFAULT_ADDRESS + 0x3e0, 0x3);           /* /16 */
    mmio_write(m, APIC_DEFAULT_ADDRESS + 0x320,
               APIC_LVT_TIMER_PERIODIC | VEC_APIC_TIMER);
    mmio_write(m, APIC_DEFAULT_ADDRESS + 0x380, 437500);        /* 7 ms */

    /* PIT channel 0: rate generator, 20 ms. */
    pit_program(m, 0, 2, 23864);

    /* RTC: set 23:59:59 on 2024-02-29, then periodic 8 Hz, update and
     * alarm interrupts, alarm at 00:00:00. */
    cmos_write(m, RTC_REG_B, RTC_B_SET | RTC_B_24H);
    cmos_write(m, RTC_SECONDS, 0x59);
    cmos_write(m, RTC_MINUTES, 0x59);
    cmos_write(m, RTC_HOURS, 0x23);
    cmos_write(m, RTC_SECONDS_ALARM, 0x00);
    cmos_write(m, RTC_MINUTES_ALARM, 0x00);
    cmos_write(m, RTC_HOURS_ALARM, 0x00);
    cmos_write(m, RTC_REG_A, 0x2d);
    cmos_write(m, RTC_REG_B, RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_24H);

    /* UART: 115200 8N1, FIFO with trigger 4, loopback. */
    outb(m, 0x3fb, UART_LCR_DLAB);
    outb(m, 0x3f8, 1);
    outb(m, 0x3f9, 0);
    outb(m, 0x3fb, 0x03);
    outb(m, 0x3fa, 0x47);
    outb(m, 0x3f9, UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI | UART_IER_MSI);
    outb(m, 0x3fc, UART_MCR_LOOP | UART_MCR_OUT2 | 0x03);

    vblk_driver_init(m);
    m->cpu.if_flag = true;
    mlog(m, "boot done");
}

/* One step of the script: the guest as an OS would drive the devices. */
static void guest_step(Machine *m)
{
    GuestState *g = &m->cpu;
    uint32_t s = m->clock.step;

    if (s == 0) {
        guest_boot(m);
        return;
    }
    if (s >= MACHINE_SCRIPT_STEPS) {
        return;                 /* idle: interrupts only */
    }

    /* UART: a byte every other step, a burst of five every ten. */
    if (s % 2 == 1) {
        uart_send(m);
    }
    if (s % 10 == 3) {
        for (int i = 0; i < 5; i++) {
            uart_send(m);
        }
    }
    /* PIT: latch and read channel 0; read back channel 2. */
    if (s % 5 == 2) {
        outb(m, 0x43, 0x00);
        uint8_t lo = inb(m, 0x40), hi = inb(m, 0x40);
        mlog(m, "pit0 count %u", lo | (hi << 8));
    }
    if (s % 7 == 4) {
        outb(m, 0x43, 0xc8);
        uint8_t st = inb(m, 0x42), lo = inb(m, 0x42), hi = inb(m, 0x42);
        mlog(m, "pit2 status %02x count %u port61 %02x", st, lo | (hi << 8),
             inb(m, 0x61));
    }
    switch (s) {
    case 10:
        outb(m, 0x61, 1);
        pit_program(m, 2, 3, 1193);
        break;
    case 60:
        pit_program(m, 2, 1, 5000);
        outb(m, 0x61, 0);
        outb(m, 0x61, 1);
        break;
    case 90:
        pit_program(m, 2, 4, 3000);
        break;
    case 100:
        pit_program(m, 0, 3, 11932);
        break;
    case 120:
        pit_program(m, 2, 5, 4000);
        outb(m, 0x61, 0);
        outb(m, 0x61, 1);
        break;
    case 150:
        pit_program(m, 2, 0, 20000);
        break;
    case 180:
        pit_program(m, 2, 2, 777);
        break;
    case 200:
        pit_program(m, 0, 0, 50000);
        break;
    case 220:
        pit_program(m, 0, 2, 23864);
        break;
    default:
        break;
    }

    /* RTC: read the clock; change the periodic rate; stop it. */
    if (s % 9 == 5) {
        uint8_t sec = cmos_read(m, RTC_SECONDS), min = cmos_read(m, RTC_MINUTES);
        uint8_t hour = cmos_read(m, RTC_HOURS), a = cmos_read(m, RTC_REG_A);
        uint8_t day = cmos_read(m, RTC_DAY_OF_MONTH), mon = cmos_read(m, RTC_MONTH);
        mlog(m, "rtc %02x-%02x %02x:%02x:%02x a=%02x", mon, day, hour, min,
             sec, a);
    }
    if (s == 40) {
        cmos_write(m, RTC_REG_A, 0x2c);
    }
    if (s == 250) {
        cmos_write(m, RTC_REG_B, RTC_B_AIE | RTC_B_UIE | RTC_B_24H);
    }

    /* PIC: mask and unmask the UART; read IRR/ISR; poll; priorities and
     * EOI modes; automatic EOI for a while. */
    if (s % 12 == 1) {
        outb(m, 0x21, inb(m, 0x21) | (1 << IRQ_SERIAL));
    } else if (s % 12 == 7) {
        outb(m, 0x21, inb(m, 0x21) & ~(1 << IRQ_SERIAL));
    }
    if (s % 3 == 0) {
        outb(m, 0x20, 0x0a);
        uint8_t irr = inb(m, 0x20);
        outb(m, 0x20, 0x0b);
        uint8_t isr = inb(m, 0x20);
        outb(m, 0xa0, 0x0a);
        uint8_t irr2 = inb(m, 0xa0);
        mlog(m, "pic irr %02x isr %02x irr2 %02x imr %02x/%02x", irr, isr,
             irr2, inb(m, 0x21), inb(m, 0xa1));
    }
    if (s % 25 == 13) {
        outb(m, 0x20, 0x0c);
        uint8_t p = inb(m, 0x20);
        mlog(m, "pic poll %02x", p);
        if ((p & 0x80) && (p & 7) != 2) {
            /* Polled in service: run its handler, which EOIs. */
            guest_interrupt(m, VEC_PIC_MASTER + (p & 7));
        } else if (p & 0x80) {
            pic_eoi(m, 2);
        }
    }
    switch (s) {
    case 70:
        outb(m, 0x20, 0xc0 | 3);          /* IRQ 3 lowest: 4 highest */
        break;
    case 130:
        g->eoi_mode = 1;
        break;
    case 170:
        g->eoi_mode = 2;
        break;
    case 210:
        g->eoi_mode = 0;
        outb(m, 0x20, 0xc7);              /* back to IRQ 0 highest */
        break;
    case 230:
        pic_init_pair(m, true);
        outb(m, 0x20, 0x80);              /* rotate in automatic EOI */
        outb(m, 0x4d1, 1 << (IRQ_VBLK - 8));
        break;
    case 260:
        pic_init_pair(m, false);
        outb(m, 0x4d1, 1 << (IRQ_VBLK - 8));
        break;
    default:
        break;
    }

    /* APIC: task priority, self IPIs, timer modes, register reads. */
    if (s == 30) {
        mmio_write(m, APIC_DEFAULT_ADDRESS + 0x80, 0x50);
    } else if (s == 45) {
        mmio_write(m, APIC_DEFAULT_ADDRESS + 0x80, 0);
    }
    if (s % 25 == 0) {
        mmio_write(m, APIC_DEFAULT_ADDRESS + 0x300, (1u << 18) | VEC_IPI);
    }
    if (s == 80) {
        mmio_write(m, APIC_DEFAULT_ADDRESS + 0x320, VEC_APIC_TIMER);
        mmio_write(m, APIC_DEFAULT_ADDRESS + 0x380, 1000000);
    } else if (s == 110) {
        mmio_write(m, APIC_DEFAULT_ADDRESS + 0x3e0, 0x1);     /* /4 */
        mmio_write(m, APIC_DEFAULT_ADDRESS + 0x320,
                   APIC_LVT_TIMER_PERIODIC | VEC_APIC_TIMER);
        mmio_write(m, APIC_DEFAULT_ADDRESS + 0x380, 2750000); /* 11 ms */
    }
    if (s % 11 == 6) {
        mlog(m, "apic ccr %u ppr %02x irr2 %08x isr2 %08x",
             mmio_read(m, APIC_DEFAULT_ADDRESS + 0x390),
             mmio_read(m, APIC_DEFAULT_ADDRESS + 0xa0),
             mmio_read(m, APIC_DEFAULT_ADDRESS + 0x220),
             mmio_read(m, APIC_DEFAULT_ADDRESS + 0x120));
    }

    /* virtio-blk: writes, reads of what was written, flushes; MSI-X on,
     * a masked vector, unmasked again. */
    if (s % 4 == 2) {
        uint32_t n = s / 4;

        if (n % 3 == 2) {
            vblk_submit(m, VIRTIO_BLK_T_IN, (n - 1) * 5 % 60, 1 + (n - 1) % 4);
        } else {
            vblk_submit(m, VIRTIO_BLK_T_OUT, n * 5 % 60, 1 + n % 4);
        }
    }
    if (s % 20 == 18) {
        vblk_submit(m, VIRTIO_BLK_T_FLUSH, 0, 0);
    }
    if (s == 140) {
        pci_write(m, VIRTIO_PCI_MSIX_CAP + 3, VIRTIO_PCI_MSIX_ENABLE, 1);
        mlog(m, "vblk msix on, ctl %04x",
             pci_read(m, VIRTIO_PCI_MSIX_CAP + 2, 2));
    } else if (s == 190) {
        vblk_mmio_write(m, 0x81c, 1);
    } else if (s == 205) {
        mlog(m, "vblk pba %08x", vblk_mmio_read(m, 0xc00));
        vblk_mmio_write(m, 0x81c, 0);
    }

    /* UART: loopback off (bytes to the console), then FIFOs off. */
    if (s == 240) {
        outb(m, 0x3fc, UART_MCR_OUT2 | 0x03);
    } else if (s == 300) {
        outb(m, 0x3fa, 0);
    }
}

/* The next interrupt the CPU takes, or -1. */
static int cpu_next_interrupt(Machine *m)
{
    int vec;

    if (!m->cpu.if_flag) {
        return -1;
    }
    vec = apic_get_pending(&m->apic);
    if (vec >= 0) {
        apic_ack(&m->apic, vec);
        return vec;
    }
    if (apic_accepts_extint(&m->apic) && pic_get_irq(&m->pic[0]) >= 0) {
        return i8259_pair_ack(&m->pic[0], &m->pic[1]);
    }
    return -1;
}

/* ---- time ---------------------------------------------------------------- */

enum { T_PIT, T_RTC, T_SERIAL, T_APIC, T_VBLK, T_COUNT };

static int64_t deadline(const Machine *m, int which)
{
    switch (which) {
    case T_PIT:
        return pit_next_deadline(&m->pit);
    case T_RTC:
        return rtc_next_deadline(&m->rtc);
    case T_SERIAL:
        return serial_next_deadline(&m->serial);
    case T_APIC:
        return apic_next_deadline(&m->apic);
    default:
        if (m->config.split_virtio) {
            return virtio_pair_next_deadline(&m->vpci, &m->vblk_backend);
        }
        return virtio_blk_pci_next_deadline(&m->vblk);
    }
}

static void fire(Machine *m, int which, int64_t t)
{
    switch (which) {
    case T_PIT:
        pit_run_timers(&m->pit, t);
        break;
    case T_RTC:
        rtc_run_timers(&m->rtc, t);
        break;
    case T_SERIAL:
        serial_run_timers(&m->serial, t);
        break;
    case T_APIC:
        apic_run_timers(&m->apic, t);
        break;
    default:
        if (m->config.split_virtio) {
            virtio_pair_run_timers(&m->vpci, &m->vblk_backend, t);
        } else {
            virtio_blk_pci_run_timers(&m->vblk, t);
        }
        break;
    }
}

void machine_step(Machine *m)
{
    /* A loaded clock may be anywhere: it stops at its end, INT64_MAX,
     * after which the devices' timers are off (hw_time_add()). */
    int64_t target = m->clock.clock_ns > INT64_MAX - MACHINE_STEP_NS ?
                     INT64_MAX : m->clock.clock_ns + MACHINE_STEP_NS;

    /* Device timers in time order; ties in device order. */
    for (;;) {
        int64_t best = -1;
        int which = -1;

        for (int i = 0; i < T_COUNT; i++) {
            int64_t d = deadline(m, i);

            if (d >= 0 && d <= target && (best < 0 || d < best)) {
                best = d;
                which = i;
            }
        }
        if (which < 0) {
            break;
        }
        if (best > m->clock.clock_ns) {
            m->clock.clock_ns = best;
        }
        fire(m, which, m->clock.clock_ns);
    }
    m->clock.clock_ns = target;

    for (int n = 0; n < 16; n++) {
        int vec = cpu_next_interrupt(m);

        if (vec < 0) {
            break;
        }
        guest_interrupt(m, vec);
    }
    guest_step(m);
    m->clock.step++;
}

void machine_run(Machine *m, guint32 steps)
{
    for (guint32 i = 0; i < steps; i++) {
        machine_step(m);
    }
}

guint32 machine_get_step(const Machine *m)
{
    return m->clock.step;
}

gint64 machine_get_clock(const Machine *m)
{
    return m->clock.clock_ns;
}

const char *machine_get_log(const Machine *m)
{
    return m->log->str;
}

const MachineConfig *machine_get_config(const Machine *m)
{
    return &m->config;
}

const char *machine_describe(const Machine *m)
{
    if (m->config.kvm_apic && !m->config.split_virtio) {
        return "source build (kvm-apic, virtio-blk-pci)";
    }
    if (!m->config.kvm_apic && m->config.split_virtio) {
        return "destination build (apic, virtio-pci + virtio-blk)";
    }
    return m->config.kvm_apic ? "build (kvm-apic, virtio-pci + virtio-blk)"
                              : "build (apic, virtio-blk-pci)";
}

char *machine_final_observation(Machine *m)
{
    GString *out = g_string_new(NULL);
    g_autofree char *disk = g_compute_checksum_for_data(
        G_CHECKSUM_SHA256, m->disk_state.bytes, sizeof(m->disk_state.bytes));
    g_autofree char *ram = g_compute_checksum_for_data(
        G_CHECKSUM_SHA256, m->ram_state.bytes, sizeof(m->ram_state.bytes));
    int64_t now = m->clock.clock_ns;

    g_string_append_printf(out, "final disk sha256 %s\n", disk);
    g_string_append_printf(out, "final ram sha256 %s\n", ram);
    g_string_append_printf(out, "final pic %02x %02x %02x / %02x %02x %02x\n",
                           m->pic[0].irr, m->pic[0].isr, m->pic[0].imr,
                           m->pic[1].irr, m->pic[1].isr, m->pic[1].imr);
    for (int i = 0; i < 3; i++) {
        g_string_append_printf(out, "final pit%d out %d gate %d\n", i,
                               pit_get_out(&m->pit, i, now),
                               pit_get_gate(&m->pit, i));
    }
    g_string_append_printf(out, "final apic ccr %u ppr %u\n",
                           apic_mem_read(&m->apic, now, 0x390),
                           apic_mem_read(&m->apic, now, 0xa0));
    g_string_append_printf(out, "final serial lsr %02x iir %02x msr %02x\n",
                           m->serial.lsr, m->serial.iir, m->serial.msr);
    g_string_append_printf(out, "final guest pit %u apic %u rtc %u uart %u "
                           "vblk %u ipi %u spurious %u reqs %u/%u\n",
                           m->cpu.pit_ticks, m->cpu.apic_ticks,
                           m->cpu.rtc_irqs, m->cpu.uart_irqs,
                           m->cpu.vblk_irqs, m->cpu.ipis, m->cpu.spurious,
                           m->cpu.reqs_completed, m->cpu.reqs_submitted);
    return g_string_free(out, FALSE);
}

/* ---- construction ---------------------------------------------------------- */

static void add_device(Machine *m, QidlDeviceClass cls, const char *path,
                       const char *name, void *obj, void (*pre_load)(void *))
{
    MachineDevice *d = &m->devices[m->n_devices++];
    g_autoptr(GError) error = NULL;

    g_assert(m->n_devices <= MAX_DEVICES);
    d->cls = cls;
    d->path = path;
    d->name = name;
    d->obj = obj;
    d->pre_load = pre_load;
    if (!qidl_device_set_add(m->set, &d->cls, path, name, obj, &error)) {
        g_error("machine: %s", error->message);
    }
}

Machine *machine_new(const MachineConfig *config)
{
    Machine *m = g_new0(Machine, 1);

    m->config = *config;
    m->log = g_string_new(NULL);
    for (int i = 0; i < 16; i++) {
        m->isa_irq[i] = (HwIrq){ set_isa_irq, m, i };
    }
    m->slave_int = (HwIrq){ set_slave_int, m, 2 };
    m->msi = (HwMsi){ send_msi, m };
    m->console = (SerialBackend){ console_write, m };
    m->ram = (HwRam){ m->ram_state.bytes, MACHINE_RAM_SIZE };
    m->disk = (HwDisk){ m->disk_state.bytes, MACHINE_DISK_SIZE / 512 };
    for (guint i = 0; i < sizeof(m->disk_state.bytes); i++) {
        m->disk_state.bytes[i] = (uint8_t)(i / 512);    /* sector numbers */
    }

    pic_init(&m->pic[0], true, NULL);
    pic_init(&m->pic[1], false, &m->slave_int);
    pit_init(&m->pit, &m->isa_irq[IRQ_PIT], 0);
    rtc_init(&m->rtc, &m->isa_irq[IRQ_RTC], MACHINE_RTC_EPOCH, 0);
    serial_init(&m->serial, &m->isa_irq[IRQ_SERIAL], &m->console);
    apic_init(&m->apic, 0);
    if (config->split_virtio) {
        virtio_pci_init(&m->vpci, &m->isa_irq[IRQ_VBLK], &m->msi, &m->ram);
        virtio_blk_init(&m->vblk_backend, &m->disk);
    } else {
        virtio_blk_pci_init(&m->vblk, &m->isa_irq[IRQ_VBLK], &m->msi, &m->ram,
                            &m->disk);
    }

    m->set = qidl_device_set_new();
    add_device(m, (QidlDeviceClass)CLASS("qidl-machine", MachineClockState, 1, 1),
               "/machine", "machine", &m->clock, NULL);
    add_device(m, (QidlDeviceClass)CLASS("qidl-guest-cpu", GuestState, 1, 1),
               "/machine/cpu0", "cpu0", &m->cpu, NULL);
    add_device(m, (QidlDeviceClass){ "pc.ram", 1, 1, sizeof(MachineRam),
                                     visit_ram, NULL },
               "/machine/ram", "ram", &m->ram_state, NULL);
    add_device(m, (QidlDeviceClass)CLASS("isa-i8259", PICCommonState, 1, 1),
               "/machine/pic0", "pic0", &m->pic[0], NULL);
    add_device(m, (QidlDeviceClass)CLASS("isa-i8259", PICCommonState, 1, 1),
               "/machine/pic1", "pic1", &m->pic[1], NULL);
    add_device(m, (QidlDeviceClass)CLASS("isa-pit", PITCommonState, 3, 2),
               "/machine/pit", "pit", &m->pit, NULL);
    add_device(m, (QidlDeviceClass)CLASS("mc146818rtc", RTCState, 3, 1),
               "/machine/rtc", "rtc", &m->rtc, pre_load_rtc);
    add_device(m, (QidlDeviceClass)CLASS("isa-serial", SerialState, 3, 2),
               "/machine/serial0", "serial0", &m->serial, pre_load_serial);
    add_device(m, config->kvm_apic
                      ? (QidlDeviceClass)CLASS("kvm-apic", APICCommonState, 3, 3)
                      : (QidlDeviceClass)CLASS("apic", APICCommonState, 3, 3),
               "/machine/apic", "apic", &m->apic, NULL);
    if (config->split_virtio) {
        add_device(m, (QidlDeviceClass)CLASS("virtio-pci", VirtIOPCIState, 1, 1),
                   "/machine/vblk0", "vblk0", &m->vpci, NULL);
        add_device(m, (QidlDeviceClass)CLASS("virtio-blk", VirtIOBlkState, 1, 1),
                   "/machine/vblk0/virtio-backend", "vblk0-backend",
                   &m->vblk_backend, NULL);
    } else {
        add_device(m, (QidlDeviceClass)CLASS("virtio-blk-pci",
                                             VirtIOBlkPCIState, 2, 2),
                   "/machine/vblk0", "vblk0", &m->vblk, NULL);
    }
    add_device(m, (QidlDeviceClass){ "block-image", 1, 1, sizeof(MachineDisk),
                                     visit_disk, NULL },
               "/machine/disk0", "disk0", &m->disk_state, NULL);
    return m;
}

void machine_free(Machine *m)
{
    if (!m) {
        return;
    }
    qidl_device_set_free(m->set);
    virtio_blk_pci_cleanup(&m->vblk);
    virtio_blk_cleanup(&m->vblk_backend);
    g_string_free(m->log, TRUE);
    g_free(m);
}

guint machine_get_n_devices(const Machine *m)
{
    return m->n_devices;
}

void machine_get_device(const Machine *m, guint index, const char **type,
                        const char **path, const char **name)
{
    g_return_if_fail(index < m->n_devices);
    if (type) {
        *type = m->devices[index].cls.type_name;
    }
    if (path) {
        *path = m->devices[index].path;
    }
    if (name) {
        *name = m->devices[index].name;
    }
}

QidlDeviceSet *machine_get_device_set(Machine *m)
{
    return m->set;
}

/* ---- saving and loading ----------------------------------------------------- */

gboolean machine_save_stream(Machine *m, GByteArray *out, gboolean zstd,
                             GError **error)
{
    g_autoptr(QidlStreamWriter) w = qidl_stream_writer_new(
        out, "qidl-machine", "0.1.0",
        QIDL_STREAM_WRITE_BORROW |
            (zstd ? QIDL_STREAM_WRITE_ZSTD : QIDL_STREAM_WRITE_NONE));

    return qidl_device_set_save_stream(m->set, w, error) &&
           qidl_stream_writer_finish(w, error);
}

gboolean machine_save_tree(Machine *m, QidlTree *tree, GError **error)
{
    return qidl_device_set_save_tree(m->set, tree, error);
}

gboolean machine_add_incoming_filters(const Machine *m, QidlFilterSet *set,
                                      GError **error)
{
    const char *files[2] = {
        m->config.kvm_apic ? "apic-to-kvm-apic.json" : "kvm-apic-to-apic.json",
        m->config.split_virtio ? "virtio-blk-pci-split.json"
                               : "virtio-blk-merge.json",
    };

    for (int i = 0; i < 2; i++) {
        g_autofree char *path = g_build_filename(HW_FILTER_DIR, files[i], NULL);

        if (!qidl_filter_set_load_rules_file(set, path, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

/* Runs QEMU's pre_load on the devices that have one, keeping a copy of
 * each so that a failed load can put them back. */
static gpointer *pre_load_all(Machine *m)
{
    gpointer *saved = g_new0(gpointer, m->n_devices);

    for (guint i = 0; i < m->n_devices; i++) {
        MachineDevice *d = &m->devices[i];

        if (d->pre_load) {
            saved[i] = g_memdup2(d->obj, d->cls.size);
            d->pre_load(d->obj);
        }
    }
    return saved;
}

static void pre_load_finish(Machine *m, gpointer *saved, gboolean ok)
{
    for (guint i = 0; i < m->n_devices; i++) {
        if (saved[i] && !ok) {
            memcpy(m->devices[i].obj, saved[i], m->devices[i].cls.size);
        }
        g_free(saved[i]);
    }
    g_free(saved);
}

gboolean machine_load_tree(Machine *m, const QidlTree *tree, GError **error)
{
    gpointer *saved = pre_load_all(m);
    gboolean ok = qidl_device_set_load_tree(m->set, tree, QIDL_LOAD_NONE,
                                            NULL, error);

    pre_load_finish(m, saved, ok);
    return ok;
}

gboolean machine_load_stream(Machine *m, const guint8 *data, gsize len,
                             GArray **filter_stats, GError **error)
{
    g_autoptr(QidlTree) tree = qidl_stream_read_tree(data, len, NULL, error);
    g_autoptr(QidlFilterSet) filters = qidl_filter_set_new();

    return tree && machine_add_incoming_filters(m, filters, error) &&
           qidl_filter_set_apply(filters, tree, filter_stats, error) &&
           machine_load_tree(m, tree, error);
}

gboolean machine_save_legacy(Machine *m, GByteArray *out, GError **error)
{
    for (guint i = 0; i < m->n_devices; i++) {
        MachineDevice *d = &m->devices[i];
        g_autoptr(GByteArray) bytes = g_byte_array_new();
        g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(bytes);
        guint8 len[4];

        if (!d->cls.visit(v, d->name, d->obj, error) ||
            !qidl_visitor_complete(v, error)) {
            return FALSE;
        }
        len[0] = bytes->len >> 24;
        len[1] = (bytes->len >> 16) & 0xff;
        len[2] = (bytes->len >> 8) & 0xff;
        len[3] = bytes->len & 0xff;
        g_byte_array_append(out, len, 4);
        g_byte_array_append(out, bytes->data, bytes->len);
    }
    return TRUE;
}

gboolean machine_load_legacy(Machine *m, const guint8 *data, gsize len,
                             GError **error)
{
    gpointer *scratch = g_new0(gpointer, m->n_devices);
    gpointer *saved = pre_load_all(m);
    gsize off = 0;
    gboolean ok = TRUE;

    for (guint i = 0; i < m->n_devices && ok; i++) {
        MachineDevice *d = &m->devices[i];
        guint32 n;

        if (len - off < 4) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                        "device %s (%s): no length at byte offset %zu",
                        d->path, d->cls.type_name, off);
            ok = FALSE;
            break;
        }
        n = ((guint32)data[off] << 24) | ((guint32)data[off + 1] << 16) |
            ((guint32)data[off + 2] << 8) | data[off + 3];
        off += 4;
        if (n > len - off) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                        "device %s (%s): %u bytes at byte offset %zu, %zu left",
                        d->path, d->cls.type_name, n, off, len - off);
            ok = FALSE;
            break;
        }
        g_autoptr(QidlVisitor) v =
            qidl_legacy_input_visitor_new(data + off, n, off, 0);
        qidl_visitor_set_version(v, d->cls.version);
        scratch[i] = g_memdup2(d->obj, d->cls.size);
        if (!d->cls.visit(v, d->name, scratch[i], error) ||
            !qidl_visitor_complete(v, error)) {
            g_prefix_error(error, "device %s (%s): ", d->path,
                           d->cls.type_name);
            ok = FALSE;
        }
        off += n;
    }
    if (ok && off != len) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNKNOWN_FIELD,
                    "%zu bytes after the last device", len - off);
        ok = FALSE;
    }
    for (guint i = 0; i < m->n_devices; i++) {
        MachineDevice *d = &m->devices[i];

        if (!scratch[i]) {
            continue;
        }
        if (ok) {
            if (d->cls.release) {
                d->cls.release(d->obj, scratch[i]);
            }
            memcpy(d->obj, scratch[i], d->cls.size);
        } else if (d->cls.release) {
            d->cls.release(scratch[i], d->obj);
        }
        g_free(scratch[i]);
    }
    g_free(scratch);
    pre_load_finish(m, saved, ok);
    return ok;
}

char *machine_query_json(Machine *m, const char *path, gboolean pretty,
                         GError **error)
{
    if (!path) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_array(b);
        for (guint i = 0; i < m->n_devices; i++) {
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "path");
            json_builder_add_string_value(b, m->devices[i].path);
            json_builder_set_member_name(b, "type");
            json_builder_add_string_value(b, m->devices[i].cls.type_name);
            json_builder_set_member_name(b, "name");
            json_builder_add_string_value(b, m->devices[i].name);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        return qidl_json_to_string(root, pretty);
    }
    for (guint i = 0; i < m->n_devices; i++) {
        MachineDevice *d = &m->devices[i];

        if (strcmp(d->path, path) != 0) {
            continue;
        }
        g_autoptr(QidlTree) tree = qidl_tree_new();
        g_autoptr(QidlVisitor) v = qidl_tree_output_visitor_new(tree, NULL);
        if (!d->cls.visit(v, d->name, d->obj, error) ||
            !qidl_visitor_complete(v, error)) {
            return NULL;
        }
        g_autoptr(JsonNode) json =
            qidl_json_from_node(qidl_tree_output_visitor_get_result(v));
        return qidl_json_to_string(json, pretty);
    }
    g_set_error(error, QIDL_ERROR, QIDL_ERROR_MISSING_FIELD,
                "no device at %s", path);
    return NULL;
}

char *machine_log_diff(const char *expected, const char *got)
{
    g_auto(GStrv) a = g_strsplit(expected, "\n", -1);
    g_auto(GStrv) b = g_strsplit(got, "\n", -1);
    guint i;

    for (i = 0; a[i] && b[i]; i++) {
        if (strcmp(a[i], b[i]) != 0) {
            return g_strdup_printf("line %u: expected '%s', got '%s'", i + 1,
                                   a[i], b[i]);
        }
    }
    if (a[i] || b[i]) {
        return g_strdup_printf("line %u: expected '%s', got '%s'", i + 1,
                               a[i] ? a[i] : "(end)", b[i] ? b[i] : "(end)");
    }
    return NULL;
}
