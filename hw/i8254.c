/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* i8254 PIT: see i8254.h. */
#include <string.h>

#include "i8254.h"

enum { RW_LSB = 1, RW_MSB = 2, RW_WORD0 = 3, RW_WORD1 = 4 };

/*
 * Counter ticks since the count was loaded, 0 before.  A loaded
 * count_load_time may be any distance from @now: at most 2^64 ns, which
 * is 2^54.1 ticks.
 */
static int64_t ticks_since_load(const PITChannelState *c, int64_t now)
{
    return (int64_t)((unsigned __int128)hw_ns_since(c->count_load_time,
                                                     now) *
                     PIT_FREQ / HW_NS_PER_SEC);
}

/*
 * Virtual time of tick @t after the load, rounded up so it has passed;
 * HW_TIMER_OFF when that is past the end of the clock.
 */
static int64_t tick_time(const PITChannelState *c, int64_t t)
{
    return hw_time_add(c->count_load_time,
                       ((unsigned __int128)t * HW_NS_PER_SEC + PIT_FREQ - 1) /
                       PIT_FREQ);
}

static int get_count(const PITChannelState *c, int64_t now)
{
    int64_t d = ticks_since_load(c, now);

    switch (c->mode) {
    case 0:
    case 1:
    case 4:
    case 5:
        return (int)((c->count - d) & 0xffff);
    case 3:
        return (int)(c->count - ((2 * d) % c->count));
    default:
        return (int)(c->count - (d % c->count));
    }
}

static bool get_out(const PITChannelState *c, int64_t now)
{
    int64_t d = ticks_since_load(c, now);

    switch (c->mode) {
    default:
    case 0:
    case 1:
        return d >= c->count;
    case 2:
        return (d % c->count) != 0 || d == 0;
    case 3:
        return (d % c->count) < ((c->count + 1) >> 1);
    case 4:
    case 5:
        return d != c->count;
    }
}

/* The virtual time of the next output change after @now, or -1. */
static int64_t next_transition(const PITChannelState *c, int64_t now)
{
    int64_t d = ticks_since_load(c, now), next, base;

    switch (c->mode) {
    default:
    case 0:
    case 1:
        if (d >= c->count) {
            return HW_TIMER_OFF;
        }
        next = c->count;
        break;
    case 2:
        base = (d / c->count) * c->count;
        if (d - base == 0 && d != 0) {
            next = base + 1;
        } else {
            next = base + c->count;
        }
        break;
    case 3:
        base = (d / c->count) * c->count;
        if (d - base < ((c->count + 1) >> 1)) {
            next = base + ((c->count + 1) >> 1);
        } else {
            next = base + c->count;
        }
        break;
    case 4:
    case 5:
        if (d < c->count) {
            next = c->count;
        } else if (d == c->count) {
            next = c->count + 1;
        } else {
            return HW_TIMER_OFF;
        }
        break;
    }
    return tick_time(c, next);
}

/* Channel 0: drive IRQ 0 with the output and arm the next transition. */
static void pit_irq_update(PITCommonState *s, int64_t now)
{
    PITChannelState *c = &s->channels[0];

    if (s->irq_disabled) {
        c->next_transition_time = HW_TIMER_OFF;
        return;
    }
    bool level = get_out(c, now);
    if (level != s->irq_level) {
        s->irq_level = level;
        hw_irq_set(s->irq, level);
    }
    c->next_transition_time = next_transition(c, now);
}

static void load_count(PITCommonState *s, int ch, int64_t now, int val)
{
    PITChannelState *c = &s->channels[ch];

    c->count_load_time = now;
    c->count = val ? val : 0x10000;
    if (ch == 0) {
        pit_irq_update(s, now);
    }
}

static void latch_count(PITChannelState *c, int64_t now)
{
    if (!c->count_latched) {
        c->latched_count = (uint16_t)get_count(c, now);
        c->count_latched = c->rw_mode;
    }
}

void pit_ioport_write(PITCommonState *s, int64_t now, uint32_t addr,
                      uint8_t val)
{
    addr &= 3;
    if (addr == 3) {
        int ch = val >> 6;

        if (ch == 3) {
            /* read-back */
            for (int i = 0; i < 3; i++) {
                PITChannelState *c = &s->channels[i];

                if (!(val & (2 << i))) {
                    continue;
                }
                if (!(val & 0x20)) {
                    latch_count(c, now);
                }
                if (!(val & 0x10) && !c->status_latched) {
                    c->status = (uint8_t)((get_out(c, now) << 7) |
                                          (c->rw_mode << 4) |
                                          (c->mode << 1) | c->bcd);
                    c->status_latched = 1;
                }
            }
            return;
        }
        PITChannelState *c = &s->channels[ch];
        int access = (val >> 4) & 3;

        if (access == 0) {
            latch_count(c, now);
            return;
        }
        c->rw_mode = (uint8_t)access;
        c->read_state = (uint8_t)access;
        c->write_state = (uint8_t)access;
        c->mode = (val >> 1) & 7;
        if (c->mode > 5) {
            c->mode -= 4;       /* 6 and 7 are 2 and 3 */
        }
        c->bcd = val & 1;
        return;
    }

    PITChannelState *c = &s->channels[addr];
    switch (c->write_state) {
    default:
    case RW_LSB:
        load_count(s, (int)addr, now, val);
        break;
    case RW_MSB:
        load_count(s, (int)addr, now, val << 8);
        break;
    case RW_WORD0:
        c->write_latch = val;
        c->write_state = RW_WORD1;
        break;
    case RW_WORD1:
        load_count(s, (int)addr, now, c->write_latch | (val << 8));
        c->write_state = RW_WORD0;
        break;
    }
}

uint8_t pit_ioport_read(PITCommonState *s, int64_t now, uint32_t addr)
{
    PITChannelState *c;
    int count;

    addr &= 3;
    if (addr == 3) {
        return 0;               /* the control word is write-only */
    }
    c = &s->channels[addr];
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    if (c->count_latched) {
        uint8_t ret;

        switch (c->count_latched) {
        default:
        case RW_LSB:
            ret = c->latched_count & 0xff;
            c->count_latched = 0;
            break;
        case RW_MSB:
            ret = c->latched_count >> 8;
            c->count_latched = 0;
            break;
        case RW_WORD0:
            ret = c->latched_count & 0xff;
            c->count_latched = RW_MSB;
            break;
        }
        return ret;
    }
    count = get_count(c, now);
    switch (c->read_state) {
    default:
    case RW_LSB:
        return count & 0xff;
    case RW_MSB:
        return (count >> 8) & 0xff;
    case RW_WORD0:
        c->read_state = RW_WORD1;
        return count & 0xff;
    case RW_WORD1:
        c->read_state = RW_WORD0;
        return (count >> 8) & 0xff;
    }
}

void pit_set_gate(PITCommonState *s, int64_t now, int channel, bool gate)
{
    PITChannelState *c = &s->channels[channel];

    switch (c->mode) {
    case 1:
    case 2:
    case 3:
    case 5:
        /* A rising edge restarts the count. */
        if (gate && !c->gate) {
            c->count_load_time = now;
            if (channel == 0) {
                pit_irq_update(s, now);
            }
        }
        break;
    default:
        break;
    }
    c->gate = gate;
}

bool pit_get_gate(const PITCommonState *s, int channel)
{
    return s->channels[channel].gate;
}

bool pit_get_out(const PITCommonState *s, int channel, int64_t now)
{
    return get_out(&s->channels[channel], now);
}

int64_t pit_next_deadline(const PITCommonState *s)
{
    return s->irq_disabled ? HW_TIMER_OFF :
           s->channels[0].next_transition_time;
}

void pit_run_timers(PITCommonState *s, int64_t now)
{
    int64_t t;
    int fired = 0;

    while ((t = pit_next_deadline(s)) >= 0 && t <= now) {
        if (fired == 2) {
            /*
             * A third transition due: the deadline was loaded far behind
             * the clock (the machine fires each one when it is due).
             * Rather than every missed period one by one, go to the state
             * they lead to: the output at @now and the first transition
             * after it.  The two fired keep what the interrupt
             * controller saw: in modes 2 and 3 the output alternates, so
             * they gave a rising edge whenever the missed ones did.
             */
            pit_irq_update(s, now);
            break;
        }
        pit_irq_update(s, t);
        fired++;
    }
}

void pit_init(PITCommonState *s, const HwIrq *irq, int64_t now)
{
    memset(s, 0, sizeof(*s));
    s->irq = irq;
    s->iobase = PIT_ISA_BASE;
    for (int i = 0; i < 3; i++) {
        PITChannelState *c = &s->channels[i];

        c->mode = 3;
        c->gate = i != 2;
        c->count = 0x10000;
        c->count_load_time = now;
        c->next_transition_time = HW_TIMER_OFF;
    }
    s->irq_timer = HW_TIMER_OFF;
    pit_irq_update(s, now);
}

gboolean pit_pre_save(PITCommonState *s, GError **error)
{
    (void)error;
    s->irq_timer = s->channels[0].next_transition_time;
    return TRUE;
}

gboolean pit_post_load(PITCommonState *s, GError **error)
{
    PITChannelState *c = &s->channels[0];

    (void)error;
    c->next_transition_time = s->irq_timer;
    /*
     * The level IRQ 0 has: the output just before the next transition
     * is the current one.  With no transition pending the output no
     * longer changes, so it is its value at any later time.
     */
    if (c->next_transition_time >= 0) {
        s->irq_level = get_out(c, c->next_transition_time - 1);
    } else {
        s->irq_level = get_out(c, INT64_MAX / 2);
    }
    return TRUE;
}
