/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Local APIC: see apic.h. */
#include <string.h>

#include "apic.h"

static void set_bit(uint32_t *tab, int i)
{
    tab[i >> 5] |= 1u << (i & 31);
}

static void clear_bit(uint32_t *tab, int i)
{
    tab[i >> 5] &= ~(1u << (i & 31));
}

static int highest_bit(const uint32_t *tab)
{
    for (int i = 7; i >= 0; i--) {
        if (tab[i]) {
            return i * 32 + 31 - __builtin_clz(tab[i]);
        }
    }
    return -1;
}

static void update_irr_cache(APICCommonState *s)
{
    s->highest_irr = highest_bit(s->irr);
}

static int ppr(const APICCommonState *s)
{
    int isrv = highest_bit(s->isr);
    int tpr_class = s->tpr >> 4;
    int isr_class = isrv < 0 ? 0 : isrv >> 4;

    return tpr_class >= isr_class ? s->tpr : isr_class << 4;
}

int apic_get_pending(const APICCommonState *s)
{
    if (!(s->spurious_vec & APIC_SV_ENABLE) || s->highest_irr < 0) {
        return -1;
    }
    if ((s->highest_irr & 0xf0) <= (ppr(s) & 0xf0)) {
        return -1;
    }
    return s->highest_irr;
}

void apic_ack(APICCommonState *s, int vector)
{
    clear_bit(s->irr, vector);
    set_bit(s->isr, vector);
    update_irr_cache(s);
}

void apic_deliver(APICCommonState *s, uint8_t vector)
{
    if (vector < 16) {
        s->esr |= 0x40;         /* received illegal vector */
        return;
    }
    set_bit(s->irr, vector);
    clear_bit(s->tmr, vector);
    update_irr_cache(s);
}

bool apic_accepts_extint(const APICCommonState *s)
{
    uint32_t lint0 = s->lvt[APIC_LVT_LINT0];

    return !(lint0 & APIC_LVT_MASKED) && (lint0 & 0x700) == APIC_DM_EXTINT;
}

/* ---- timer -------------------------------------------------------------- */

/*
 * Timer ticks since the initial count was loaded, 0 before: a loaded
 * initial_count_load_time may be ahead of the clock or any distance
 * behind it.
 */
static uint64_t timer_ticks(const APICCommonState *s, int64_t now)
{
    return hw_ns_since(s->initial_count_load_time, now) >> s->count_shift;
}

static uint32_t current_count(const APICCommonState *s, int64_t now)
{
    if (s->initial_count == 0) {
        return 0;
    }
    uint64_t d = timer_ticks(s, now);
    if (s->lvt[APIC_LVT_TIMER] & APIC_LVT_TIMER_PERIODIC) {
        return s->initial_count - (uint32_t)(d % s->initial_count);
    }
    return d >= s->initial_count ? 0 : s->initial_count - (uint32_t)d;
}

/*
 * Arms the timer for the next expiry after @now; off when that is past
 * the end of the clock.  In 128 bits: the expiry is up to 2^64 ticks of
 * up to 2^7 ns after the load.
 */
static void timer_update(APICCommonState *s, int64_t now)
{
    uint64_t d;
    unsigned __int128 next;

    if (s->initial_count == 0) {
        s->timer_expiry = HW_TIMER_OFF;
        return;
    }
    d = timer_ticks(s, now);
    if (s->lvt[APIC_LVT_TIMER] & APIC_LVT_TIMER_PERIODIC) {
        next = ((unsigned __int128)(d / s->initial_count) + 1) *
               s->initial_count;
    } else if (d < s->initial_count) {
        next = s->initial_count;
    } else {
        s->timer_expiry = HW_TIMER_OFF;
        return;
    }
    s->next_time = hw_time_add(s->initial_count_load_time,
                               next << s->count_shift);
    s->timer_expiry = s->next_time;
}

int64_t apic_next_deadline(const APICCommonState *s)
{
    return s->timer_expiry;
}

void apic_run_timers(APICCommonState *s, int64_t now)
{
    if (s->timer_expiry >= 0 && s->timer_expiry <= now) {
        if (!(s->lvt[APIC_LVT_TIMER] & APIC_LVT_MASKED)) {
            apic_deliver(s, s->lvt[APIC_LVT_TIMER] & 0xff);
        }
        timer_update(s, s->timer_expiry);
        /*
         * Due again: a periodic timer loaded with an expiry far behind
         * the clock.  Delivering each missed period would set the same
         * request bit again, so one delivery stands for them all, and
         * the timer is armed for the first period after @now.
         */
        if (s->timer_expiry >= 0 && s->timer_expiry <= now) {
            timer_update(s, now);
        }
    }
}

/* ---- registers ---------------------------------------------------------- */

uint32_t apic_mem_read(APICCommonState *s, int64_t now, uint32_t offset)
{
    int index = (offset >> 4) & 0xff;

    switch (index) {
    case 0x02:
        return (uint32_t)s->id << 24;
    case 0x03:
        return 0x14 | ((APIC_LVT_NB - 1) << 16);
    case 0x08:
        return s->tpr;
    case 0x0a:
        return (uint32_t)ppr(s);
    case 0x0d:
        return (uint32_t)s->log_dest << 24;
    case 0x0e:
        return ((uint32_t)s->dest_mode << 28) | 0x0fffffff;
    case 0x0f:
        return s->spurious_vec;
    case 0x10 ... 0x17:
        return s->isr[index & 7];
    case 0x18 ... 0x1f:
        return s->tmr[index & 7];
    case 0x20 ... 0x27:
        return s->irr[index & 7];
    case 0x28:
        return s->esr;
    case 0x30:
    case 0x31:
        return s->icr[index & 1];
    case 0x32 ... 0x37:
        return s->lvt[index - 0x32];
    case 0x38:
        return s->initial_count;
    case 0x39:
        return current_count(s, now);
    case 0x3e:
        return s->divide_conf;
    default:
        s->esr |= 0x80;         /* illegal register address */
        return 0;
    }
}

void apic_mem_write(APICCommonState *s, int64_t now, uint32_t offset,
                    uint32_t val)
{
    int index = (offset >> 4) & 0xff;
    int v;

    switch (index) {
    case 0x02:
        s->id = val >> 24;
        break;
    case 0x08:
        s->tpr = val & 0xff;
        break;
    case 0x0b:                  /* EOI */
        v = highest_bit(s->isr);
        if (v >= 0) {
            clear_bit(s->isr, v);
        }
        break;
    case 0x0d:
        s->log_dest = val >> 24;
        break;
    case 0x0e:
        s->dest_mode = val >> 28;
        break;
    case 0x0f:
        s->spurious_vec = val & 0x1ff;
        break;
    case 0x28:
        s->esr = 0;
        break;
    case 0x30:
        s->icr[0] = val & ~(1u << 12);      /* delivery status: idle */
        /* Only this CPU exists: self, all-including-self, or our id. */
        if (((val >> 18) & 3) == 1 || ((val >> 18) & 3) == 2 ||
            (((val >> 18) & 3) == 0 && (s->icr[1] >> 24) == s->id)) {
            if (((val >> 8) & 7) == 0) {
                apic_deliver(s, val & 0xff);
            }
        }
        break;
    case 0x31:
        s->icr[1] = val & 0xff000000u;
        break;
    case 0x32 ... 0x37:
        s->lvt[index - 0x32] = val;
        if (!(s->spurious_vec & APIC_SV_ENABLE)) {
            s->lvt[index - 0x32] |= APIC_LVT_MASKED;
        }
        if (index == 0x32) {
            timer_update(s, now);
        }
        break;
    case 0x38:
        s->initial_count = val;
        s->initial_count_load_time = now;
        timer_update(s, now);
        break;
    case 0x3e:
        s->divide_conf = val & 0xb;
        v = (s->divide_conf & 3) | ((s->divide_conf >> 1) & 4);
        s->count_shift = (v + 1) & 7;
        break;
    default:
        s->esr |= 0x80;
        break;
    }
}

void apic_init(APICCommonState *s, uint8_t id)
{
    memset(s, 0, sizeof(*s));
    s->apicbase = APIC_DEFAULT_ADDRESS | (1u << 11) | (1u << 8);
    s->id = id;
    s->arb_id = id;
    s->spurious_vec = 0xff;
    s->dest_mode = 0xf;
    for (int i = 0; i < APIC_LVT_NB; i++) {
        s->lvt[i] = APIC_LVT_MASKED;
    }
    s->timer_expiry = HW_TIMER_OFF;
    s->highest_irr = -1;
}

gboolean apic_post_load(APICCommonState *s, GError **error)
{
    (void)error;
    update_irr_cache(s);
    return TRUE;
}
