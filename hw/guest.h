/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's own state and its scripted guest
 *
 * MachineClockState is the virtual clock and the step counter (QEMU keeps
 * the clock in its "timer" section).  GuestState is the CPU running the
 * guest: a deterministic script (machine.c, guest_step()) that programs
 * the devices like an OS would and an interrupt handler per vector.  Its
 * registers are what the script remembers between steps: counters, the
 * virtio driver's ring indices and request slots, the EOI mode.
 */
#ifndef HW_GUEST_H
#define HW_GUEST_H

#include <glib.h>
#include <qidl/qidl.h>

#include "hw.h"

#define GUEST_VQ_SLOTS 8

typedef struct QIDL_STRUCT(1, 1) MachineClockState {
    int64_t clock_ns;           /* the virtual clock */
    uint32_t step;              /* steps run so far */
} MachineClockState;

typedef struct QIDL_STRUCT(1, 1) GuestState {
    bool if_flag;               /* interrupts enabled */
    uint8_t eoi_mode QIDL(range, 0, 2); /* 0 plain, 1 rotate, 2 specific */
    uint32_t tx_pos;            /* next byte of the UART message */
    uint32_t pit_ticks;
    uint32_t apic_ticks;
    uint32_t rtc_irqs;
    uint32_t uart_irqs;
    uint32_t vblk_irqs;
    uint32_t ipis;
    uint32_t spurious;
    uint16_t avail_idx;         /* the driver's copy of avail->idx */
    uint16_t used_seen;         /* used entries processed */
    uint8_t slot_busy;          /* request slots in flight, a bitmap */
    uint8_t slot_write;         /* slots holding a write, a bitmap */
    uint32_t reqs_submitted;
    uint32_t reqs_completed;
} GuestState;

#endif /* HW_GUEST_H */
