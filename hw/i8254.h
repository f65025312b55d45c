/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * i8254 programmable interval timer (ports 0x40-0x43; channel 0 on IRQ 0)
 *
 * Three 16-bit down counters at 1.193182 MHz, each in one of six modes:
 * 0 interrupt on terminal count, 1 hardware one-shot, 2 rate generator,
 * 3 square wave, 4 software strobe, 5 hardware strobe.  Counts are read
 * LSB, MSB or both (with the counter latch command or the read-back
 * command, which also latches a status byte).  Channel 2's gate is the
 * machine's port 0x61 bit 0; channel 0's output drives IRQ 0.
 *
 * A counter's value is computed from count_load_time and the clock; the
 * only timer is channel 0's next output transition.
 *
 * The state follows QEMU 7.2's vmstate_pit_common ("i8254", version 3,
 * minimum 2) with vmstate_pit_channel; docs/devices.md has the mapping.
 */
#ifndef HW_I8254_H
#define HW_I8254_H

#include <glib.h>
#include <qidl/qidl.h>

#include "hw.h"

#define PIT_FREQ 1193182u
#define PIT_ISA_BASE 0x40

typedef struct QIDL_STRUCT(2, 2) PITChannelState {
    int32_t count QIDL(range, 1, 0x10000);  /* 0 written means 0x10000 */
    uint16_t latched_count;
    uint8_t count_latched QIDL(range, 0, 3);
    uint8_t status_latched;
    uint8_t status;
    uint8_t read_state QIDL(range, 0, 4);
    uint8_t write_state QIDL(range, 0, 4);
    uint8_t write_latch;
    uint8_t rw_mode QIDL(range, 0, 3);
    uint8_t mode QIDL(range, 0, 5);
    uint8_t bcd;
    uint8_t gate;
    int64_t count_load_time;
    /* Next output transition; for channel 0 the IRQ timer's expiry,
     * HW_TIMER_OFF when none. */
    int64_t next_transition_time;
} PITChannelState;

typedef struct QIDL_STRUCT(3, 2)
    QIDL(pre_save, pit_pre_save) QIDL(post_load, pit_post_load)
    PITCommonState {
    /* QEMU: channels[0].irq_disabled (the HPET took IRQ 0 over). */
    uint32_t irq_disabled QIDL(version, 3);
    PITChannelState channels[3] QIDL(version, 2);
    /* QEMU saves channels[0].next_transition_time a second time here
     * (formerly the IRQ timer); pre_save copies it, post_load reads it
     * back, as QEMU's second load wins. */
    int64_t irq_timer;

    /* Channel 0's output level, the level of IRQ 0. */
    bool irq_level QIDL(derived);
    const HwIrq *irq QIDL(immutable);
    uint16_t iobase QIDL(property, "iobase", 0x40);
} PITCommonState;

gboolean pit_pre_save(PITCommonState *s, GError **error);
gboolean pit_post_load(PITCommonState *s, GError **error);

void pit_init(PITCommonState *s, const HwIrq *irq, int64_t now);

/* Ports: @addr 0-2 the counters, 3 the control word. */
uint8_t pit_ioport_read(PITCommonState *s, int64_t now, uint32_t addr);
void pit_ioport_write(PITCommonState *s, int64_t now, uint32_t addr,
                      uint8_t val);

void pit_set_gate(PITCommonState *s, int64_t now, int channel, bool gate);
bool pit_get_gate(const PITCommonState *s, int channel);
bool pit_get_out(const PITCommonState *s, int channel, int64_t now);

int64_t pit_next_deadline(const PITCommonState *s);
void pit_run_timers(PITCommonState *s, int64_t now);

#endif /* HW_I8254_H */
