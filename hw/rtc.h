/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mc146818 real-time clock (ISA ports 0x70/0x71, IRQ 8)
 *
 * CMOS registers 0-9 hold the time (BCD or binary, 12 or 24 hour), A-D
 * control and status, 0x32 the century; the rest is battery-backed NVRAM.
 * The clock runs from the virtual clock: the RTC's time is
 * base_rtc seconds at virtual time last_update, plus offset nanoseconds.
 * Three interrupt sources, each a flag in register C and an enable in B:
 * the periodic interrupt (rate in A), update-ended (every second) and the
 * alarm (registers 1, 3 and 5, 0xc0-0xff meaning "any").
 *
 * The state follows QEMU 7.2's vmstate_rtc ("mc146818rtc", version 3,
 * minimum 1) field for field, with the same widths; docs/devices.md has
 * the mapping.
 */
#ifndef HW_RTC_H
#define HW_RTC_H

#include <glib.h>
#include <qidl/qidl.h>

#include "hw.h"

#define RTC_ISA_BASE 0x70
#define RTC_ISA_IRQ 8

/* Register numbers and bits. */
#define RTC_SECONDS 0
#define RTC_SECONDS_ALARM 1
#define RTC_MINUTES 2
#define RTC_MINUTES_ALARM 3
#define RTC_HOURS 4
#define RTC_HOURS_ALARM 5
#define RTC_DAY_OF_WEEK 6
#define RTC_DAY_OF_MONTH 7
#define RTC_MONTH 8
#define RTC_YEAR 9
#define RTC_REG_A 10
#define RTC_REG_B 11
#define RTC_REG_C 12
#define RTC_REG_D 13
#define RTC_CENTURY 0x32

#define RTC_A_UIP 0x80
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_DM 0x04            /* binary, not BCD */
#define RTC_B_24H 0x02
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
#define RTC_D_VRT 0x80

typedef struct QIDL_STRUCT(3, 1) QIDL(post_load, rtc_post_load) RTCState {
    uint8_t cmos_data[128];
    uint8_t cmos_index QIDL(index_of, cmos_data);
    /* QEMU 7.2: VMSTATE_UNUSED(7 * 4), once the broken-down time. */
    uint8_t unused_tm[28];
    /* Expiry of the periodic timer, HW_TIMER_OFF when disarmed. */
    int64_t periodic_timer;
    int64_t next_periodic_time;
    /* QEMU 7.2: VMSTATE_UNUSED(3 * 8), once the second timers. */
    uint8_t unused_timers[24];
    /* Periodic interrupts not yet delivered; this model drops lost
     * ticks (QEMU's lost_tick_policy=discard), so it stays 0. */
    uint32_t irq_coalesced QIDL(version, 2);
    /* Periodic interrupt period in 32768 Hz ticks; 0 when off. */
    uint32_t period QIDL(version, 2);
    /* The RTC's time is base_rtc seconds at virtual time last_update,
     * plus offset ns. */
    uint64_t base_rtc QIDL(version, 3);
    uint64_t last_update QIDL(version, 3);
    int64_t offset QIDL(version, 3);
    /* Expiry of the update-cycle timer, HW_TIMER_OFF when disarmed. */
    int64_t update_timer QIDL(version, 3);
    /* Virtual time of the next update cycle that sets AF. */
    uint64_t next_alarm_time QIDL(version, 3);
    uint16_t irq_reinject_on_ack_count
        QIDL(subsection, "mc146818rtc/irq_reinject_on_ack_count", 1,
             rtc_reinject_needed);

    /* The level of the IRQ line: register C's IRQF. */
    bool irq_level QIDL(derived);
    const HwIrq *irq QIDL(immutable);
    uint16_t iobase QIDL(property, "iobase", 0x70);
} RTCState;

/* Hooks named by the markers above. */
gboolean rtc_post_load(RTCState *s, GError **error);
bool rtc_reinject_needed(const RTCState *s);

/*
 * Powers the RTC on at virtual time @now with its clock set to @epoch_sec
 * (seconds since 1970-01-01 UTC), BCD, 24-hour, divider running, every
 * interrupt disabled.  @irq must outlive the device.
 */
void rtc_init(RTCState *s, const HwIrq *irq, uint64_t epoch_sec, int64_t now);

/* I/O port access: @addr is 0 (index) or 1 (data). */
uint8_t rtc_ioport_read(RTCState *s, int64_t now, uint32_t addr);
void rtc_ioport_write(RTCState *s, int64_t now, uint32_t addr, uint8_t val);

/* The earliest pending timer expiry, or HW_TIMER_OFF. */
int64_t rtc_next_deadline(const RTCState *s);
/* Fires every timer that expired at or before @now. */
void rtc_run_timers(RTCState *s, int64_t now);

/* QEMU's pre_load: absent subsections mean their field's reset value. */
void rtc_pre_load(RTCState *s);

#endif /* HW_RTC_H */
