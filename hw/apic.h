/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Local APIC (xAPIC, memory-mapped at 0xfee00000), one per CPU
 *
 * Task priority, in-service / request / trigger-mode registers (256 bits
 * each), the six local vector table entries (timer, thermal, performance,
 * LINT0, LINT1, error), the error status, the interrupt command register
 * (self IPIs), and the timer: one-shot or periodic, counting down from
 * the initial count at 1 GHz divided by the divide configuration.  The
 * CPU takes the highest requested vector whose priority class is above
 * the processor priority; EOI retires the highest in-service vector.
 * LINT0 in ExtINT mode passes the i8259's requests through.
 *
 * "apic" (the userspace model) and "kvm-apic" (the in-kernel one in QEMU)
 * have exactly this state: the machine registers the same struct under
 * either type name, which is what the kvm-apic <-> apic filters rely on.
 *
 * The state follows QEMU 7.2's vmstate_apic_common ("apic", version 3);
 * docs/devices.md has the mapping.
 */
#ifndef HW_APIC_H
#define HW_APIC_H

#include <glib.h>
#include <qidl/qidl.h>

#include "hw.h"

#define APIC_DEFAULT_ADDRESS 0xfee00000u
#define APIC_LVT_NB 6
#define APIC_LVT_TIMER 0
#define APIC_LVT_LINT0 3
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_DM_EXTINT 0x700u
#define APIC_SV_ENABLE 0x100u

typedef struct QIDL_STRUCT(3, 3) QIDL(post_load, apic_post_load) APICCommonState {
    uint32_t apicbase;
    uint8_t id;
    uint8_t arb_id;
    uint8_t tpr;
    uint32_t spurious_vec;
    uint8_t log_dest;
    uint8_t dest_mode;
    uint32_t isr[8];
    uint32_t tmr[8];
    uint32_t irr[8];
    uint32_t lvt[APIC_LVT_NB];
    uint32_t esr;
    uint32_t icr[2];
    uint32_t divide_conf;
    int32_t count_shift QIDL(range, 0, 7);
    uint32_t initial_count;
    int64_t initial_count_load_time;
    int64_t next_time;
    /* Expiry of the timer, HW_TIMER_OFF when disarmed. */
    int64_t timer_expiry;

    /* The highest requested vector, -1 if none: a cache the delivery
     * path reads, recomputed by apic_post_load. */
    int32_t highest_irr QIDL(derived);
} APICCommonState;

gboolean apic_post_load(APICCommonState *s, GError **error);

void apic_init(APICCommonState *s, uint8_t id);

/* MMIO access to the 4 KiB register page: @offset within it. */
uint32_t apic_mem_read(APICCommonState *s, int64_t now, uint32_t offset);
void apic_mem_write(APICCommonState *s, int64_t now, uint32_t offset,
                    uint32_t val);

/* An edge-triggered fixed interrupt (an MSI, a self IPI). */
void apic_deliver(APICCommonState *s, uint8_t vector);

/* The vector the CPU should take next, or -1; does not acknowledge. */
int apic_get_pending(const APICCommonState *s);
/* The CPU takes @vector: moves it from IRR to ISR. */
void apic_ack(APICCommonState *s, int vector);
/* Whether LINT0 passes i8259 interrupts through (ExtINT, unmasked). */
bool apic_accepts_extint(const APICCommonState *s);

int64_t apic_next_deadline(const APICCommonState *s);
void apic_run_timers(APICCommonState *s, int64_t now);

#endif /* HW_APIC_H */
