/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * i8259A programmable interrupt controller; a PC has two, cascaded
 *
 * Master at ports 0x20/0x21, slave at 0xa0/0xa1 on the master's input 2;
 * edge/level trigger per input in the ELCR (0x4d0/0x4d1).  Initialization
 * words ICW1-4, operation words OCW1 (mask), OCW2 (EOI: non-specific,
 * specific, with rotation; set priority; rotate in automatic-EOI mode) and
 * OCW3 (read IRR or ISR, poll, special mask).  Interrupt acknowledge
 * (i8259_pair_ack) goes through the master, and through the slave for
 * input 2.
 *
 * The state follows QEMU 7.2's vmstate_pic_common ("i8259", version 1);
 * docs/devices.md has the mapping.
 */
#ifndef HW_I8259_H
#define HW_I8259_H

#include <glib.h>
#include <qidl/qidl.h>

#include "hw.h"

typedef struct QIDL_STRUCT(1, 1) QIDL(post_load, pic_post_load) PICCommonState {
    uint8_t last_irr;           /* input line levels, for edge detection */
    uint8_t irr;                /* interrupt request register */
    uint8_t imr;                /* interrupt mask register */
    uint8_t isr;                /* in-service register */
    uint8_t priority_add;       /* the highest-priority input */
    uint8_t irq_base;
    uint8_t read_reg_select;
    uint8_t poll;
    uint8_t special_mask;
    uint8_t init_state QIDL(range, 0, 3);
    uint8_t auto_eoi;
    uint8_t rotate_on_auto_eoi;
    uint8_t special_fully_nested_mode;
    uint8_t init4;              /* ICW4 expected */
    uint8_t single_mode;
    uint8_t elcr;               /* 1 = level triggered */

    /* The INT output: an unmasked request above the in-service level. */
    bool int_out_level QIDL(derived);

    const HwIrq *int_out QIDL(immutable);
    bool master QIDL(immutable);
    uint8_t elcr_mask QIDL(immutable);
    uint16_t iobase QIDL(property, "iobase", 0x20);
    uint16_t elcr_addr QIDL(property, "elcr_addr", 0x4d0);
} PICCommonState;

gboolean pic_post_load(PICCommonState *s, GError **error);

/* Resets one controller; @int_out (its INT pin) outlives it. */
void pic_init(PICCommonState *s, bool master, const HwIrq *int_out);

/* Sets the level of input @irq (0-7). */
void pic_set_irq(PICCommonState *s, int irq, bool level);

/* Port access: @addr is 0 or 1 (the command and data ports). */
uint8_t pic_ioport_read(PICCommonState *s, uint32_t addr);
void pic_ioport_write(PICCommonState *s, uint32_t addr, uint8_t val);
uint8_t pic_elcr_read(const PICCommonState *s);
void pic_elcr_write(PICCommonState *s, uint8_t val);

/* The input that would be delivered now, or -1. */
int pic_get_irq(const PICCommonState *s);

/*
 * Interrupt acknowledge on the pair: the vector of the highest-priority
 * request (the slave's for input 2), updating ISR and IRR; a spurious
 * request gives the controller's vector for input 7.
 */
uint8_t i8259_pair_ack(PICCommonState *master, PICCommonState *slave);

#endif /* HW_I8259_H */
