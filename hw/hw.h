/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the example devices share: interrupt lines and the virtual clock.
 *
 * Time is the machine's virtual clock: integer nanoseconds that only the
 * machine advances.  Devices never read a wall clock; every call that
 * depends on time takes `now` as an argument, and a device's pending timers
 * are plain expiry times in its state (-1 when disarmed, as QEMU's
 * VMSTATE_TIMER_PTR encodes them), which the machine fires in order with
 * <dev>_run_timers().  So a run is a pure function of its inputs and two
 * runs can be compared event by event.
 *
 * An interrupt line is a HwIrq: a callback the owner of the line (the
 * machine, a test harness) installs.  Devices hold a pointer to it as
 * immutable state: it is wiring, set at construction, the same on both
 * sides of a migration.  The level a line has is state of the device that
 * receives it (the PIC's last_irr), so nothing about it needs replaying
 * after a load.
 *
 * Nothing here is global: the machine owns every device, line and buffer.
 */
#ifndef HW_HW_H
#define HW_HW_H

#include <stdbool.h>
#include <stdint.h>

/* Seconds and the expiry of a disarmed timer. */
#define HW_NS_PER_SEC INT64_C(1000000000)
#define HW_TIMER_OFF INT64_C(-1)

/**
 * HwIrq:
 * @set: called with the new level on every change the device makes
 * @opaque: for @set
 * @n: the line's number at the receiver (PIC input, ...)
 */
typedef struct HwIrq {
    void (*set)(void *opaque, int n, bool level);
    void *opaque;
    int n;
} HwIrq;

static inline void hw_irq_set(const HwIrq *irq, bool level)
{
    if (irq && irq->set) {
        irq->set(irq->opaque, irq->n, level);
    }
}

/*
 * Guest RAM and the disk image: buffers the machine owns and migrates as
 * their own records.  Devices reach them through pointers marked
 * QIDL(elsewhere).
 */
typedef struct HwRam {
    uint8_t *data;
    uint32_t size;
} HwRam;

typedef struct HwDisk {
    uint8_t *data;
    uint64_t sectors;           /* of 512 bytes */
} HwDisk;

/* Where a device's MSI writes go (the machine routes them to the APIC). */
typedef struct HwMsi {
    void (*send)(void *opaque, uint64_t addr, uint32_t data);
    void *opaque;
} HwMsi;

/* Where transmitted bytes go outside loopback (a UART's
 * backend); immutable wiring. */
typedef struct SerialBackend {
    void (*write)(void *opaque, int64_t now, uint8_t byte);
    void *opaque;
} SerialBackend;

/*
 * Time arithmetic on loaded state.  Every time a device holds comes from
 * the stream: a deadline far behind the clock, a load time ahead of it, a
 * clock near INT64_MAX all pass the state's constraints, so device code
 * computes the distance between two times and a time plus a delay with
 * these, which cannot overflow, rather than with plain - and +.
 */

/* Nanoseconds from @then to @now, 0 when @now is not after @then; the
 * distance between two int64_t times always fits in 64 unsigned bits. */
static inline uint64_t hw_ns_since(int64_t then, int64_t now)
{
    return now > then ? (uint64_t)now - (uint64_t)then : 0;
}

/*
 * The time @delay ns after @t, or HW_TIMER_OFF when that is after
 * INT64_MAX, the last time the virtual clock shows (machine_step() stops
 * there): a timer due later never expires.  @delay is below 2^126.
 */
static inline int64_t hw_time_add(int64_t t, unsigned __int128 delay)
{
    __int128 when = (__int128)t + (__int128)delay;

    return when > INT64_MAX ? HW_TIMER_OFF : (int64_t)when;
}

/* a * b / c with a 128-bit intermediate; a >= 0, c > 0. */
static inline int64_t hw_muldiv64(int64_t a, uint32_t b, uint32_t c)
{
    return (int64_t)(((unsigned __int128)(uint64_t)a * b) / c);
}

/* The earlier of two expiry times, either of which may be HW_TIMER_OFF. */
static inline int64_t hw_timer_min(int64_t a, int64_t b)
{
    if (a < 0) {
        return b;
    }
    if (b < 0) {
        return a;
    }
    return a < b ? a : b;
}

#endif /* HW_HW_H */
