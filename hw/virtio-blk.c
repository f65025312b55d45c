/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtio-blk over PCI, one device or a pair: see virtio-blk.h. */
#include <string.h>

#include "virtio-blk.h"

#define SECTOR 512u
#define BAR0_SIZE 0x1000u
#define MSIX_TABLE 0x800u
#define MSIX_PBA 0xc00u
#define BLK_CONFIG 0x100u
/* Latency of the simulated disk. */
#define DISK_LATENCY_BASE (3 * 1000 * 1000)
#define DISK_LATENCY_SECTOR (1000 * 1000)

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_F_VERSION_1 32

/* ---- little-endian access to guest RAM, bounds-checked ------------------ */

static bool ram_ok(const HwRam *ram, uint64_t addr, uint64_t len)
{
    return addr <= ram->size && len <= ram->size - addr;
}

static uint16_t ram_lduw(const HwRam *ram, uint64_t addr)
{
    if (!ram_ok(ram, addr, 2)) {
        return 0;
    }
    return (uint16_t)(ram->data[addr] | (ram->data[addr + 1] << 8));
}

static uint32_t ram_ldl(const HwRam *ram, uint64_t addr)
{
    if (!ram_ok(ram, addr, 4)) {
        return 0;
    }
    return (uint32_t)ram->data[addr] | ((uint32_t)ram->data[addr + 1] << 8) |
           ((uint32_t)ram->data[addr + 2] << 16) |
           ((uint32_t)ram->data[addr + 3] << 24);
}

static uint64_t ram_ldq(const HwRam *ram, uint64_t addr)
{
    return ram_ldl(ram, addr) | ((uint64_t)ram_ldl(ram, addr + 4) << 32);
}

static void ram_stw(HwRam *ram, uint64_t addr, uint16_t v)
{
    if (ram_ok(ram, addr, 2)) {
        ram->data[addr] = v & 0xff;
        ram->data[addr + 1] = v >> 8;
    }
}

static void ram_stl(HwRam *ram, uint64_t addr, uint32_t v)
{
    ram_stw(ram, addr, v & 0xffff);
    ram_stw(ram, addr + 2, v >> 16);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void set_le32(uint8_t *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}

/* ---- PCI configuration space -------------------------------------------- */

static void pci_config_init(uint8_t *c)
{
    memset(c, 0, 256);
    c[0x00] = 0xf4;             /* vendor 0x1af4 (Red Hat / virtio) */
    c[0x01] = 0x1a;
    c[0x02] = 0x42;             /* device 0x1042: virtio 1.0 block */
    c[0x03] = 0x10;
    c[0x06] = 0x10;             /* status: capability list */
    c[0x08] = 0x01;             /* revision */
    c[0x0b] = 0x01;             /* class: mass storage (SCSI) */
    c[0x2c] = 0xf4;             /* subsystem vendor */
    c[0x2d] = 0x1a;
    c[0x2e] = 0x02;             /* subsystem: block */
    c[0x34] = VIRTIO_PCI_MSIX_CAP;
    c[0x3d] = 0x01;             /* INTA# */
    c[VIRTIO_PCI_MSIX_CAP] = 0x11;              /* MSI-X */
    c[VIRTIO_PCI_MSIX_CAP + 2] = VIRTIO_MSIX_VECTORS - 1;
    set_le32(&c[VIRTIO_PCI_MSIX_CAP + 4], MSIX_TABLE);   /* BAR0 */
    set_le32(&c[VIRTIO_PCI_MSIX_CAP + 8], MSIX_PBA);
}

/* Writable bits of each configuration byte. */
static uint8_t config_wmask(uint32_t off)
{
    switch (off) {
    case 0x04:
        return PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    case 0x05:
        return PCI_COMMAND_INTX_DISABLE >> 8;
    case 0x11:
        return 0xf0;
    case 0x12:
    case 0x13:
    case 0x3c:
        return 0xff;
    case VIRTIO_PCI_MSIX_CAP + 3:
        return VIRTIO_PCI_MSIX_ENABLE | VIRTIO_PCI_MSIX_MASKALL;
    default:
        return 0;
    }
}

uint32_t virtio_pci_bar0(const uint8_t *config)
{
    if (!(config[0x04] & PCI_COMMAND_MEMORY)) {
        return 0;
    }
    return le32(&config[0x10]) & ~(BAR0_SIZE - 1);
}

static bool msix_enabled(const VirtIOPCIState *t)
{
    return t->config[VIRTIO_PCI_MSIX_CAP + 3] & VIRTIO_PCI_MSIX_ENABLE;
}

/* ---- interrupts --------------------------------------------------------- */

static bool intx_level(const VirtIOPCIState *t)
{
    return t->isr != 0 && !msix_enabled(t) &&
           !(t->config[0x05] & (PCI_COMMAND_INTX_DISABLE >> 8));
}

static void update_intx(VirtIOPCIState *t)
{
    bool level = intx_level(t);

    if (level != t->irq_level) {
        t->irq_level = level;
        hw_irq_set(t->irq, level);
    }
}

static bool msix_masked(const VirtIOPCIState *t, unsigned vector)
{
    return (t->config[VIRTIO_PCI_MSIX_CAP + 3] & VIRTIO_PCI_MSIX_MASKALL) ||
           (t->msix_table[vector * 16 + 12] & 1);
}

static void msix_send(VirtIOPCIState *t, unsigned vector)
{
    const uint8_t *e = &t->msix_table[vector * 16];
    uint64_t addr = le32(e) | ((uint64_t)le32(e + 4) << 32);

    if (t->msi && t->msi->send) {
        t->msi->send(t->msi->opaque, addr, le32(e + 8));
    }
}

static void msix_notify(VirtIOPCIState *t, unsigned vector)
{
    if (vector >= VIRTIO_MSIX_VECTORS) {
        return;
    }
    if (msix_masked(t, vector)) {
        t->msix_pba[vector / 8] |= 1 << (vector % 8);
        return;
    }
    msix_send(t, vector);
}

/* Sends what was pending on vectors that are unmasked now. */
static void msix_unmasked(VirtIOPCIState *t)
{
    if (!msix_enabled(t)) {
        return;
    }
    for (unsigned v = 0; v < VIRTIO_MSIX_VECTORS; v++) {
        if ((t->msix_pba[v / 8] & (1 << (v % 8))) && !msix_masked(t, v)) {
            t->msix_pba[v / 8] &= ~(1 << (v % 8));
            msix_send(t, v);
        }
    }
}

static void virtio_notify(VirtIOPCIState *t, uint8_t isr_bit,
                          uint16_t vector)
{
    t->isr |= isr_bit;
    if (msix_enabled(t)) {
        if (vector != VIRTIO_NO_VECTOR) {
            msix_notify(t, vector);
        }
    } else {
        update_intx(t);
    }
}

/* ---- the block backend -------------------------------------------------- */

static void virtio_reset(VirtIOPCIState *t, VirtIOBlkState *b)
{
    t->status = 0;
    t->isr = 0;
    t->queue_sel = 0;
    t->config_vector = VIRTIO_NO_VECTOR;
    t->guest_features = 0;
    for (int i = 0; i < VIRTIO_QUEUES; i++) {
        VirtQueueState *q = &t->queues[i];

        q->num = VIRTIO_QUEUE_MAX;
        q->desc = q->avail = q->used = 0;
        q->last_avail_idx = 0;
        q->vector = VIRTIO_NO_VECTOR;
    }
    /* Requests in flight are dropped: the guest reset the device. */
    virtio_blk_cleanup(b);
    update_intx(t);
}

static void set_needs_reset(VirtIOPCIState *t)
{
    t->status |= VIRTIO_STATUS_NEEDS_RESET;
    virtio_notify(t, 2, t->config_vector);
}

/* Reads descriptor @i of @q. */
static void read_desc(const VirtIOPCIState *t, const VirtQueueState *q,
                      unsigned i, uint64_t *addr, uint32_t *len,
                      uint16_t *flags, uint16_t *next)
{
    uint64_t d = q->desc + 16ull * i;

    *addr = ram_ldq(t->ram, d);
    *len = ram_ldl(t->ram, d + 8);
    *flags = ram_lduw(t->ram, d + 12);
    *next = ram_lduw(t->ram, d + 14);
}

/*
 * Parses the chain at @head into @req: a header the device reads (type,
 * reserved, sector), at most one data buffer, and a status byte the
 * device writes.  Returns FALSE for a chain that breaks the rules.
 */
static bool parse_request(const VirtIOPCIState *t, const VirtQueueState *q,
                          uint16_t head, VirtIOBlkReq *req)
{
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
    unsigned i = head, n = 0;

    if (head >= q->num) {
        return false;
    }
    read_desc(t, q, i, &addr, &len, &flags, &next);
    if (len < 16 || (flags & VRING_DESC_F_WRITE) ||
        !(flags & VRING_DESC_F_NEXT) || !ram_ok(t->ram, addr, 16)) {
        return false;
    }
    req->type = ram_ldl(t->ram, addr);
    req->sector = ram_ldq(t->ram, addr + 8);
    req->head = head;
    req->data_addr = 0;
    req->nb_sectors = 0;
    for (;;) {
        if (next >= q->num || ++n > 2) {
            return false;
        }
        i = next;
        read_desc(t, q, i, &addr, &len, &flags, &next);
        if (!(flags & VRING_DESC_F_NEXT)) {
            break;              /* the status byte */
        }
        if (req->data_addr || len == 0 || len % SECTOR || len > 128 * SECTOR ||
            !ram_ok(t->ram, addr, len) ||
            !!(flags & VRING_DESC_F_WRITE) != (req->type == VIRTIO_BLK_T_IN)) {
            return false;
        }
        req->data_addr = addr;
        req->nb_sectors = len / SECTOR;
    }
    if (len < 1 || !(flags & VRING_DESC_F_WRITE) || !ram_ok(t->ram, addr, 1)) {
        return false;
    }
    req->status_addr = addr;
    return true;
}

static void process_queue(VirtIOPCIState *t, VirtIOBlkState *b, int64_t now,
                          int qi)
{
    VirtQueueState *q = &t->queues[qi];

    if (!(t->status & VIRTIO_STATUS_DRIVER_OK) ||
        (t->status & VIRTIO_STATUS_NEEDS_RESET) ||
        !(t->config[0x04] & PCI_COMMAND_MASTER) || q->desc == 0 ||
        q->num == 0) {
        return;
    }
    uint16_t avail_idx = ram_lduw(t->ram, q->avail + 2);
    while (q->last_avail_idx != avail_idx &&
           g_slist_length(b->requests) < VIRTIO_BLK_MAX_INFLIGHT) {
        uint16_t head = ram_lduw(t->ram, q->avail + 4 +
                                 2u * (q->last_avail_idx % q->num));
        VirtIOBlkReq req;

        if (!parse_request(t, q, head, &req)) {
            set_needs_reset(t);
            return;
        }
        req.complete_time = hw_time_add(now, DISK_LATENCY_BASE +
                                        (uint64_t)req.nb_sectors *
                                        DISK_LATENCY_SECTOR);
        b->requests = g_slist_append(b->requests,
                                     g_memdup2(&req, sizeof(req)));
        q->last_avail_idx++;
    }
}

/* Does the request's I/O; returns the status byte. */
static uint8_t do_request(VirtIOPCIState *t, VirtIOBlkState *b,
                          const VirtIOBlkReq *req, uint32_t *written)
{
    uint64_t bytes = (uint64_t)req->nb_sectors * SECTOR;

    *written = 1;
    switch (req->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        if (req->sector > b->disk->sectors ||
            req->nb_sectors > b->disk->sectors - req->sector ||
            !ram_ok(t->ram, req->data_addr, bytes)) {
            return VIRTIO_BLK_S_IOERR;
        }
        if (req->type == VIRTIO_BLK_T_IN) {
            memcpy(t->ram->data + req->data_addr,
                   b->disk->data + req->sector * SECTOR, bytes);
            *written += (uint32_t)bytes;
        } else {
            memcpy(b->disk->data + req->sector * SECTOR,
                   t->ram->data + req->data_addr, bytes);
        }
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_FLUSH:
        return VIRTIO_BLK_S_OK;
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

static void complete_request(VirtIOPCIState *t, VirtIOBlkState *b,
                             const VirtIOBlkReq *req)
{
    VirtQueueState *q = &t->queues[0];
    uint32_t written;
    uint8_t status = do_request(t, b, req, &written);

    if (ram_ok(t->ram, req->status_addr, 1)) {
        t->ram->data[req->status_addr] = status;
    }
    if (q->num) {
        uint16_t used_idx = ram_lduw(t->ram, q->used + 2);
        uint64_t elem = q->used + 4 + 8ull * (used_idx % q->num);

        ram_stl(t->ram, elem, req->head);
        ram_stl(t->ram, elem + 4, written);
        ram_stw(t->ram, q->used + 2, (uint16_t)(used_idx + 1));
    }
    virtio_notify(t, 1, q->vector);
}

int64_t virtio_pair_next_deadline(const VirtIOPCIState *t,
                                  const VirtIOBlkState *b)
{
    int64_t next = HW_TIMER_OFF;

    (void)t;
    for (const GSList *l = b->requests; l; l = l->next) {
        next = hw_timer_min(next, ((const VirtIOBlkReq *)l->data)->complete_time);
    }
    return next;
}

void virtio_pair_run_timers(VirtIOPCIState *t, VirtIOBlkState *b, int64_t now)
{
    int64_t when;

    /* Earliest first; equal times in submission order. */
    while ((when = virtio_pair_next_deadline(t, b)) >= 0 && when <= now) {
        for (GSList *l = b->requests; l; l = l->next) {
            VirtIOBlkReq *req = l->data;

            if (req->complete_time == when) {
                b->requests = g_slist_delete_link(b->requests, l);
                complete_request(t, b, req);
                g_free(req);
                break;
            }
        }
    }
}

/* ---- registers ---------------------------------------------------------- */

uint32_t virtio_pair_config_read(VirtIOPCIState *t, uint32_t offset,
                                 unsigned len)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < len && offset + i < 256; i++) {
        v |= (uint32_t)t->config[offset + i] << (8 * i);
    }
    return v;
}

void virtio_pair_config_write(VirtIOPCIState *t, uint32_t offset,
                              uint32_t val, unsigned len)
{
    for (unsigned i = 0; i < len && offset + i < 256; i++) {
        uint8_t m = config_wmask(offset + i);
        uint8_t b = (val >> (8 * i)) & 0xff;

        t->config[offset + i] = (t->config[offset + i] & ~m) | (b & m);
    }
    update_intx(t);
    msix_unmasked(t);
}

static uint32_t blk_config_read(const VirtIOBlkState *b, uint32_t off)
{
    switch (off) {
    case 0x00:
        return (uint32_t)b->config.capacity;
    case 0x04:
        return (uint32_t)(b->config.capacity >> 32);
    case 0x08:
        return b->config.size_max;
    case 0x0c:
        return b->config.seg_max;
    case 0x10:
        return b->config.blk_size;
    case 0x14:
        return b->config.num_queues;
    default:
        return 0;
    }
}

uint32_t virtio_pair_mmio_read(VirtIOPCIState *t, VirtIOBlkState *b,
                               int64_t now, uint32_t offset)
{
    VirtQueueState *q = &t->queues[t->queue_sel];
    uint32_t v;

    (void)now;
    if (offset >= MSIX_TABLE && offset < MSIX_TABLE + sizeof(t->msix_table)) {
        return le32(&t->msix_table[(offset - MSIX_TABLE) & ~3u]);
    }
    if (offset >= MSIX_PBA && offset < MSIX_PBA + sizeof(t->msix_pba)) {
        return le32(&t->msix_pba[(offset - MSIX_PBA) & ~3u]);
    }
    if (offset >= BLK_CONFIG && offset < BLK_CONFIG + 0x100) {
        return blk_config_read(b, offset - BLK_CONFIG);
    }
    switch (offset) {
    case 0x00:
        return (uint32_t)t->host_features;
    case 0x04:
        return (uint32_t)(t->host_features >> 32);
    case 0x08:
        return (uint32_t)t->guest_features;
    case 0x0c:
        return (uint32_t)(t->guest_features >> 32);
    case 0x10:
        return t->config_vector;
    case 0x14:
        return VIRTIO_QUEUES;
    case 0x18:
        return t->status;
    case 0x1c:
        return t->queue_sel;
    case 0x20:
        return q->num;
    case 0x24:
        return q->vector;
    case 0x28:
        return q->desc != 0;
    case 0x2c:
        return (uint32_t)q->desc;
    case 0x30:
        return (uint32_t)(q->desc >> 32);
    case 0x34:
        return (uint32_t)q->avail;
    case 0x38:
        return (uint32_t)(q->avail >> 32);
    case 0x3c:
        return (uint32_t)q->used;
    case 0x40:
        return (uint32_t)(q->used >> 32);
    case 0x48:
        v = t->isr;
        t->isr = 0;
        update_intx(t);
        return v;
    default:
        return 0;
    }
}

static void set_lo(uint64_t *p, uint32_t v)
{
    *p = (*p & ~0xffffffffull) | v;
}

static void set_hi(uint64_t *p, uint32_t v)
{
    *p = (*p & 0xffffffffull) | ((uint64_t)v << 32);
}

void virtio_pair_mmio_write(VirtIOPCIState *t, VirtIOBlkState *b,
                            int64_t now, uint32_t offset, uint32_t val)
{
    VirtQueueState *q = &t->queues[t->queue_sel];

    if (offset >= MSIX_TABLE && offset < MSIX_TABLE + sizeof(t->msix_table)) {
        set_le32(&t->msix_table[(offset - MSIX_TABLE) & ~3u], val);
        msix_unmasked(t);
        return;
    }
    switch (offset) {
    case 0x08:
        set_lo(&t->guest_features, val & (uint32_t)t->host_features);
        break;
    case 0x0c:
        set_hi(&t->guest_features,
               val & (uint32_t)(t->host_features >> 32));
        break;
    case 0x10:
        t->config_vector = (uint16_t)val;
        break;
    case 0x18:
        if ((val & 0xff) == 0) {
            virtio_reset(t, b);
        } else {
            t->status = val & 0xff;
            if (t->status & VIRTIO_STATUS_DRIVER_OK) {
                process_queue(t, b, now, 0);
            }
        }
        break;
    case 0x1c:
        if (val < VIRTIO_QUEUES) {
            t->queue_sel = (uint16_t)val;
        }
        break;
    case 0x20:
        /* A power of two up to the maximum, or the write is ignored. */
        if (val && val <= VIRTIO_QUEUE_MAX && !(val & (val - 1))) {
            q->num = (uint16_t)val;
        }
        break;
    case 0x24:
        q->vector = (uint16_t)val;
        break;
    case 0x2c:
        set_lo(&q->desc, val);
        break;
    case 0x30:
        set_hi(&q->desc, val);
        break;
    case 0x34:
        set_lo(&q->avail, val);
        break;
    case 0x38:
        set_hi(&q->avail, val);
        break;
    case 0x3c:
        set_lo(&q->used, val);
        break;
    case 0x40:
        set_hi(&q->used, val);
        break;
    case 0x44:
        if (val < VIRTIO_QUEUES) {
            process_queue(t, b, now, (int)val);
        }
        break;
    default:
        break;
    }
}

/* ---- life cycle of the pair --------------------------------------------- */

void virtio_pci_init(VirtIOPCIState *t, const HwIrq *irq, const HwMsi *msi,
                     HwRam *ram)
{
    memset(t, 0, sizeof(*t));
    t->irq = irq;
    t->msi = msi;
    t->ram = ram;
    pci_config_init(t->config);
    for (unsigned v = 0; v < VIRTIO_MSIX_VECTORS; v++) {
        t->msix_table[v * 16 + 12] = 1;         /* masked */
    }
    t->host_features = (1ull << VIRTIO_BLK_F_SIZE_MAX) |
                       (1ull << VIRTIO_BLK_F_SEG_MAX) |
                       (1ull << VIRTIO_BLK_F_BLK_SIZE) |
                       (1ull << VIRTIO_BLK_F_FLUSH) |
                       (1ull << VIRTIO_F_VERSION_1);
    t->config_vector = VIRTIO_NO_VECTOR;
    for (int i = 0; i < VIRTIO_QUEUES; i++) {
        t->queues[i].num = VIRTIO_QUEUE_MAX;
        t->queues[i].vector = VIRTIO_NO_VECTOR;
    }
}

void virtio_blk_init(VirtIOBlkState *b, HwDisk *disk)
{
    memset(b, 0, sizeof(*b));
    b->disk = disk;
    b->config.capacity = disk->sectors;
    b->config.size_max = 128 * SECTOR;
    b->config.seg_max = 1;
    b->config.blk_size = SECTOR;
    b->config.num_queues = VIRTIO_QUEUES;
}

void virtio_blk_cleanup(VirtIOBlkState *b)
{
    g_slist_free_full(b->requests, g_free);
    b->requests = NULL;
}

gboolean virtio_pci_post_load(VirtIOPCIState *t, GError **error)
{
    (void)error;
    t->irq_level = intx_level(t);
    return TRUE;
}

/* ---- the one-device build ----------------------------------------------- */

static void to_pair(const VirtIOBlkPCIState *s, VirtIOPCIState *t,
                    VirtIOBlkState *b)
{
    memcpy(t->config, s->pci_config, sizeof(t->config));
    memcpy(t->msix_table, s->msix_table, sizeof(t->msix_table));
    memcpy(t->msix_pba, s->msix_pba, sizeof(t->msix_pba));
    t->status = s->status;
    t->isr = s->isr;
    t->queue_sel = s->queue_sel;
    t->config_vector = s->config_vector;
    t->host_features = s->host_features;
    t->guest_features = s->guest_features;
    memcpy(t->queues, s->queues, sizeof(t->queues));
    t->irq_level = s->irq_level;
    t->irq = s->irq;
    t->msi = s->msi;
    t->ram = s->ram;
    b->config = s->blk_config;
    b->requests = s->requests;
    b->disk = s->disk;
}

static void from_pair(VirtIOBlkPCIState *s, const VirtIOPCIState *t,
                      const VirtIOBlkState *b)
{
    memcpy(s->pci_config, t->config, sizeof(s->pci_config));
    memcpy(s->msix_table, t->msix_table, sizeof(s->msix_table));
    memcpy(s->msix_pba, t->msix_pba, sizeof(s->msix_pba));
    s->status = t->status;
    s->isr = t->isr;
    s->queue_sel = t->queue_sel;
    s->config_vector = t->config_vector;
    s->host_features = t->host_features;
    s->guest_features = t->guest_features;
    memcpy(s->queues, t->queues, sizeof(s->queues));
    s->irq_level = t->irq_level;
    s->blk_config = b->config;
    s->requests = b->requests;
}

void virtio_blk_pci_init(VirtIOBlkPCIState *s, const HwIrq *irq,
                         const HwMsi *msi, HwRam *ram, HwDisk *disk)
{
    VirtIOPCIState t;
    VirtIOBlkState b;

    virtio_pci_init(&t, irq, msi, ram);
    virtio_blk_init(&b, disk);
    memset(s, 0, sizeof(*s));
    s->irq = irq;
    s->msi = msi;
    s->ram = ram;
    s->disk = disk;
    from_pair(s, &t, &b);
}

void virtio_blk_pci_cleanup(VirtIOBlkPCIState *s)
{
    g_slist_free_full(s->requests, g_free);
    s->requests = NULL;
}

uint32_t virtio_blk_pci_config_read(VirtIOBlkPCIState *s, uint32_t offset,
                                    unsigned len)
{
    VirtIOPCIState t;
    VirtIOBlkState b;

    to_pair(s, &t, &b);
    return virtio_pair_config_read(&t, offset, len);
}

void virtio_blk_pci_config_write(VirtIOBlkPCIState *s, uint32_t offset,
                                 uint32_t val, unsigned len)
{
    VirtIOPCIState t;
    VirtIOBlkState b;

    to_pair(s, &t, &b);
    virtio_pair_config_write(&t, offset, val, len);
    from_pair(s, &t, &b);
}

uint32_t virtio_blk_pci_mmio_read(VirtIOBlkPCIState *s, int64_t now,
                                  uint32_t offset)
{
    VirtIOPCIState t;
    VirtIOBlkState b;
    uint32_t v;

    to_pair(s, &t, &b);
    v = virtio_pair_mmio_read(&t, &b, now, offset);
    from_pair(s, &t, &b);
    return v;
}

void virtio_blk_pci_mmio_write(VirtIOBlkPCIState *s, int64_t now,
                               uint32_t offset, uint32_t val)
{
    VirtIOPCIState t;
    VirtIOBlkState b;

    to_pair(s, &t, &b);
    virtio_pair_mmio_write(&t, &b, now, offset, val);
    from_pair(s, &t, &b);
}

int64_t virtio_blk_pci_next_deadline(const VirtIOBlkPCIState *s)
{
    VirtIOPCIState t;
    VirtIOBlkState b;

    to_pair(s, &t, &b);
    return virtio_pair_next_deadline(&t, &b);
}

void virtio_blk_pci_run_timers(VirtIOBlkPCIState *s, int64_t now)
{
    VirtIOPCIState t;
    VirtIOBlkState b;

    to_pair(s, &t, &b);
    virtio_pair_run_timers(&t, &b, now);
    from_pair(s, &t, &b);
}

gboolean virtio_blk_pci_post_load(VirtIOBlkPCIState *s, GError **error)
{
    VirtIOPCIState t;
    VirtIOBlkState b;

    to_pair(s, &t, &b);
    if (!virtio_pci_post_load(&t, error)) {
        return FALSE;
    }
    from_pair(s, &t, &b);
    return TRUE;
}
