/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* i8259A PIC: see i8259.h. */
#include <string.h>

#include "i8259.h"

/* The priority (0 highest) of the highest bit set in @mask, 8 if none. */
static int get_priority(const PICCommonState *s, uint8_t mask)
{
    if (mask == 0) {
        return 8;
    }
    int p = 0;
    while ((mask & (1 << ((p + s->priority_add) & 7))) == 0) {
        p++;
    }
    return p;
}

int pic_get_irq(const PICCommonState *s)
{
    int prio = get_priority(s, s->irr & ~s->imr);

    if (prio == 8) {
        return -1;
    }
    uint8_t mask = s->isr;
    if (s->special_mask) {
        mask &= ~s->imr;
    }
    if (s->special_fully_nested_mode && s->master) {
        mask &= ~(1 << 2);      /* the cascade may nest */
    }
    int cur = get_priority(s, mask);
    if (prio < cur) {
        return (prio + s->priority_add) & 7;
    }
    return -1;
}

static void pic_update(PICCommonState *s)
{
    bool level = pic_get_irq(s) >= 0;

    if (level != s->int_out_level) {
        s->int_out_level = level;
        hw_irq_set(s->int_out, level);
    }
}

void pic_set_irq(PICCommonState *s, int irq, bool level)
{
    uint8_t bit = (uint8_t)(1 << irq);

    if (s->elcr & bit) {
        if (level) {
            s->irr |= bit;
            s->last_irr |= bit;
        } else {
            s->irr &= ~bit;
            s->last_irr &= ~bit;
        }
    } else {
        if (level) {
            if (!(s->last_irr & bit)) {
                s->irr |= bit;
            }
            s->last_irr |= bit;
        } else {
            s->last_irr &= ~bit;
        }
    }
    pic_update(s);
}

static void pic_intack(PICCommonState *s, int irq)
{
    if (s->auto_eoi) {
        if (s->rotate_on_auto_eoi) {
            s->priority_add = (irq + 1) & 7;
        }
    } else {
        s->isr |= 1 << irq;
    }
    /* A level-triggered request stays until the line drops. */
    if (!(s->elcr & (1 << irq))) {
        s->irr &= ~(1 << irq);
    }
    pic_update(s);
}

uint8_t i8259_pair_ack(PICCommonState *master, PICCommonState *slave)
{
    int irq = pic_get_irq(master);
    uint8_t vec;

    if (irq < 0) {
        return master->irq_base + 7;
    }
    if (irq == 2) {
        int irq2 = pic_get_irq(slave);

        if (irq2 >= 0) {
            pic_intack(slave, irq2);
            vec = slave->irq_base + irq2;
        } else {
            vec = slave->irq_base + 7;
        }
    } else {
        vec = master->irq_base + irq;
    }
    pic_intack(master, irq);
    return vec;
}

static void pic_init_reset(PICCommonState *s)
{
    s->last_irr = 0;
    s->irr &= s->elcr;
    s->imr = 0;
    s->isr = 0;
    s->priority_add = 0;
    s->irq_base = 0;
    s->read_reg_select = 0;
    s->poll = 0;
    s->special_mask = 0;
    s->init_state = 0;
    s->auto_eoi = 0;
    s->rotate_on_auto_eoi = 0;
    s->special_fully_nested_mode = 0;
    s->init4 = 0;
    s->single_mode = 0;
    pic_update(s);
}

static void pic_eoi(PICCommonState *s, int irq, bool rotate)
{
    s->isr &= ~(1 << irq);
    if (rotate) {
        s->priority_add = (irq + 1) & 7;
    }
    pic_update(s);
}

void pic_ioport_write(PICCommonState *s, uint32_t addr, uint8_t val)
{
    if ((addr & 1) == 0) {
        if (val & 0x10) {
            /* ICW1 */
            pic_init_reset(s);
            s->init_state = 1;
            s->init4 = val & 1;
            s->single_mode = (val >> 1) & 1;
        } else if (val & 0x08) {
            /* OCW3 */
            if (val & 0x04) {
                s->poll = 1;
            }
            if (val & 0x02) {
                s->read_reg_select = val & 1;
            }
            if (val & 0x40) {
                s->special_mask = (val >> 5) & 1;
            }
            pic_update(s);
        } else {
            /* OCW2 */
            int cmd = val >> 5, prio, irq;

            switch (cmd) {
            case 0:
            case 4:
                s->rotate_on_auto_eoi = cmd >> 2;
                break;
            case 1:             /* non-specific EOI */
            case 5:             /* ... and rotate */
                prio = get_priority(s, s->isr);
                if (prio != 8) {
                    irq = (prio + s->priority_add) & 7;
                    pic_eoi(s, irq, cmd == 5);
                }
                break;
            case 3:             /* specific EOI */
                pic_eoi(s, val & 7, false);
                break;
            case 6:             /* set priority */
                s->priority_add = (val + 1) & 7;
                pic_update(s);
                break;
            case 7:             /* specific EOI and rotate */
                pic_eoi(s, val & 7, true);
                break;
            default:
                break;
            }
        }
        return;
    }
    switch (s->init_state) {
    case 0:                     /* OCW1 */
        s->imr = val;
        pic_update(s);
        break;
    case 1:                     /* ICW2 */
        s->irq_base = val & 0xf8;
        s->init_state = s->single_mode ? (s->init4 ? 3 : 0) : 2;
        break;
    case 2:                     /* ICW3 */
        s->init_state = s->init4 ? 3 : 0;
        break;
    case 3:                     /* ICW4 */
        s->special_fully_nested_mode = (val >> 4) & 1;
        s->auto_eoi = (val >> 1) & 1;
        s->init_state = 0;
        break;
    }
}

uint8_t pic_ioport_read(PICCommonState *s, uint32_t addr)
{
    if (s->poll) {
        int irq = pic_get_irq(s);

        s->poll = 0;
        if (irq >= 0) {
            pic_intack(s, irq);
            return (uint8_t)(0x80 | irq);
        }
        return 0;
    }
    if ((addr & 1) == 0) {
        return s->read_reg_select ? s->isr : s->irr;
    }
    return s->imr;
}

uint8_t pic_elcr_read(const PICCommonState *s)
{
    return s->elcr;
}

void pic_elcr_write(PICCommonState *s, uint8_t val)
{
    s->elcr = val & s->elcr_mask;
}

void pic_init(PICCommonState *s, bool master, const HwIrq *int_out)
{
    memset(s, 0, sizeof(*s));
    s->master = master;
    s->int_out = int_out;
    s->iobase = master ? 0x20 : 0xa0;
    s->elcr_addr = master ? 0x4d0 : 0x4d1;
    /* IRQ 0, 1, 2 (and 8, 13 on the slave) are always edge. */
    s->elcr_mask = master ? 0xf8 : 0xde;
    pic_init_reset(s);
}

gboolean pic_post_load(PICCommonState *s, GError **error)
{
    (void)error;
    s->int_out_level = pic_get_irq(s) >= 0;
    return TRUE;
}
