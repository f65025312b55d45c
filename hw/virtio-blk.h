/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio block device on PCI, as one device or as a transport + backend
 *
 * Two builds of the same device:
 *
 *   virtio-blk-pci (VirtIOBlkPCIState, version 2): one device holding the
 *     PCI transport state and the block state together;
 *   virtio-pci (VirtIOPCIState, version 1) + virtio-blk (VirtIOBlkState,
 *     version 1, at the transport's path + "/virtio-backend"): the same
 *     state split in two, as QEMU splits a virtio proxy from its device.
 *
 * The field names and order are those hw/filters/virtio-blk-pci-split.json
 * and virtio-blk-merge.json move between the two shapes, so a stream saved
 * by one build loads into the other.  The behaviour is written once, over
 * the pair (VirtIOPCIState + VirtIOBlkState); the one-device build copies
 * its fields into a pair around each access, so both builds behave the
 * same by construction.
 *
 * The transport: a PCI function (256-byte configuration space with an
 * MSI-X capability, BAR0 = 4 KiB of registers), the virtio status and
 * feature negotiation, one split virtqueue (descriptor table, available
 * and used rings in guest RAM), an ISR status register with a
 * level-triggered INTx line, and a two-vector MSI-X table (config,
 * queue 0) with its pending-bit array.  The block backend: the
 * configuration (capacity, limits, block size) and the list of requests
 * in flight; a request completes after the disk's latency (3 ms + 1 ms a
 * sector), when its data moves between RAM and the disk image, its status
 * byte and the used ring are written and the queue's vector fires.
 *
 * Registers of BAR0 (32-bit accesses):
 *   0x00/0x04 host features lo/hi     0x08/0x0c guest features lo/hi
 *   0x10 config MSI-X vector          0x14 number of queues
 *   0x18 device status                0x1c queue select
 *   0x20 queue size                   0x24 queue MSI-X vector
 *   0x28 queue enabled (ro)           0x2c/0x30 descriptor table lo/hi
 *   0x34/0x38 available ring lo/hi    0x3c/0x40 used ring lo/hi
 *   0x44 queue notify (wo)            0x48 ISR status (read clears)
 *   0x100 block configuration (ro)    0x800 MSI-X table, 0xc00 PBA
 */
#ifndef HW_VIRTIO_BLK_H
#define HW_VIRTIO_BLK_H

#include <glib.h>
#include <qidl/qidl.h>

#include "hw.h"

#define VIRTIO_QUEUES 1
#define VIRTIO_QUEUE_MAX 256
#define VIRTIO_MSIX_VECTORS 2
#define VIRTIO_NO_VECTOR 0xffff
#define VIRTIO_BLK_MAX_INFLIGHT 32

#define VIRTIO_STATUS_ACK 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2

#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define VIRTIO_PCI_MSIX_CAP 0x40
#define VIRTIO_PCI_MSIX_ENABLE 0x80      /* in config byte 0x43 */
#define VIRTIO_PCI_MSIX_MASKALL 0x40

/* One virtqueue's transport state. */
typedef struct QIDL_STRUCT(1, 1) VirtQueueState {
    uint16_t num QIDL(range, 0, VIRTIO_QUEUE_MAX);
    uint64_t desc;
    uint64_t avail;
    uint64_t used;
    uint16_t last_avail_idx;
    uint16_t vector;
} VirtQueueState;

/* The block device's configuration space. */
typedef struct QIDL_STRUCT(1, 1) VirtIOBlkConfig {
    uint64_t capacity;          /* in 512-byte sectors */
    uint32_t size_max;
    uint32_t seg_max;
    uint32_t blk_size;
    uint16_t num_queues;
} VirtIOBlkConfig;

/* A request taken from the available ring and not completed yet. */
typedef struct QIDL_STRUCT(1, 1) VirtIOBlkReq {
    uint64_t sector;
    uint32_t nb_sectors QIDL(range, 0, 128);
    uint32_t type;
    uint16_t head;              /* descriptor chain head, for the used ring */
    uint64_t data_addr;         /* guest address of the data buffer */
    uint64_t status_addr;       /* guest address of the status byte */
    int64_t complete_time;      /* virtual time it completes */
} VirtIOBlkReq;

/* virtio-pci: the transport alone (the split build). */
typedef struct QIDL_STRUCT(1, 1) QIDL(post_load, virtio_pci_post_load)
    VirtIOPCIState {
    uint8_t config[256];        /* PCI configuration space */
    uint8_t msix_table[VIRTIO_MSIX_VECTORS * 16];
    uint8_t msix_pba[8];
    uint8_t status;
    uint8_t isr;
    uint16_t queue_sel QIDL(index_of, queues);
    uint16_t config_vector;
    uint64_t host_features;
    uint64_t guest_features;
    VirtQueueState queues[VIRTIO_QUEUES];

    bool irq_level QIDL(derived);   /* INTx: ISR set, MSI-X off */
    const HwIrq *irq QIDL(immutable);
    const HwMsi *msi QIDL(immutable);
    HwRam *ram QIDL(elsewhere);
} VirtIOPCIState;

/* virtio-blk: the block backend alone (the split build). */
typedef struct QIDL_STRUCT(1, 1) VirtIOBlkState {
    VirtIOBlkConfig config;
    GSList *requests QIDL(type_is, VirtIOBlkReq);

    HwDisk *disk QIDL(elsewhere);
} VirtIOBlkState;

/* virtio-blk-pci: both in one device (the unsplit build). */
typedef struct QIDL_STRUCT(2, 2) QIDL(post_load, virtio_blk_pci_post_load)
    VirtIOBlkPCIState {
    uint8_t pci_config[256];
    uint8_t msix_table[VIRTIO_MSIX_VECTORS * 16];
    uint8_t msix_pba[8];
    uint8_t status;
    uint8_t isr;
    uint16_t queue_sel QIDL(index_of, queues);
    uint16_t config_vector;
    uint64_t host_features;
    uint64_t guest_features;
    VirtQueueState queues[VIRTIO_QUEUES];
    VirtIOBlkConfig blk_config;
    GSList *requests QIDL(type_is, VirtIOBlkReq);

    bool irq_level QIDL(derived);
    const HwIrq *irq QIDL(immutable);
    const HwMsi *msi QIDL(immutable);
    HwRam *ram QIDL(elsewhere);
    HwDisk *disk QIDL(elsewhere);
} VirtIOBlkPCIState;

gboolean virtio_pci_post_load(VirtIOPCIState *s, GError **error);
gboolean virtio_blk_pci_post_load(VirtIOBlkPCIState *s, GError **error);

/* The split build. */
void virtio_pci_init(VirtIOPCIState *t, const HwIrq *irq, const HwMsi *msi,
                     HwRam *ram);
void virtio_blk_init(VirtIOBlkState *b, HwDisk *disk);
/* Frees the request list; the state stays usable (no requests). */
void virtio_blk_cleanup(VirtIOBlkState *b);
uint32_t virtio_pair_config_read(VirtIOPCIState *t, uint32_t offset,
                                 unsigned len);
void virtio_pair_config_write(VirtIOPCIState *t, uint32_t offset,
                              uint32_t val, unsigned len);
uint32_t virtio_pair_mmio_read(VirtIOPCIState *t, VirtIOBlkState *b,
                               int64_t now, uint32_t offset);
void virtio_pair_mmio_write(VirtIOPCIState *t, VirtIOBlkState *b,
                            int64_t now, uint32_t offset, uint32_t val);
int64_t virtio_pair_next_deadline(const VirtIOPCIState *t,
                                  const VirtIOBlkState *b);
void virtio_pair_run_timers(VirtIOPCIState *t, VirtIOBlkState *b,
                            int64_t now);

/* The unsplit build: the same behaviour, through a pair. */
void virtio_blk_pci_init(VirtIOBlkPCIState *s, const HwIrq *irq,
                         const HwMsi *msi, HwRam *ram, HwDisk *disk);
void virtio_blk_pci_cleanup(VirtIOBlkPCIState *s);
uint32_t virtio_blk_pci_config_read(VirtIOBlkPCIState *s, uint32_t offset,
                                    unsigned len);
void virtio_blk_pci_config_write(VirtIOBlkPCIState *s, uint32_t offset,
                                 uint32_t val, unsigned len);
uint32_t virtio_blk_pci_mmio_read(VirtIOBlkPCIState *s, int64_t now,
                                  uint32_t offset);
void virtio_blk_pci_mmio_write(VirtIOBlkPCIState *s, int64_t now,
                               uint32_t offset, uint32_t val);
int64_t virtio_blk_pci_next_deadline(const VirtIOBlkPCIState *s);
void virtio_blk_pci_run_timers(VirtIOBlkPCIState *s, int64_t now);

/* BAR0's guest-physical base, or 0 when memory decoding is off. */
uint32_t virtio_pci_bar0(const uint8_t *config);

#endif /* HW_VIRTIO_BLK_H */
