/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 16550A UART: see serial.h. */
#include <string.h>

#include <qidl/error.h>

#include "serial.h"

#define UART_LSR_INT_ANY 0x1e   /* OE, PE, FE, BI */
#define UART_MSR_DCD 0x80
#define UART_MSR_RI 0x40
#define UART_MSR_DSR 0x20
#define UART_MSR_CTS 0x10
#define UART_MSR_DDCD 0x08
#define UART_MSR_TERI 0x04
#define UART_MSR_DDSR 0x02
#define UART_MSR_DCTS 0x01
#define UART_MSR_ANY_DELTA 0x0f
#define UART_MCR_OUT1 0x04
#define UART_MCR_RTS 0x02
#define UART_MCR_DTR 0x01

/* ---- FIFO --------------------------------------------------------------- */

static void fifo_reset(Fifo8 *f)
{
    f->head = 0;
    f->num = 0;
}

static bool fifo_full(const Fifo8 *f)
{
    return f->num == SERIAL_FIFO_LEN;
}

static void fifo_push(Fifo8 *f, uint8_t b)
{
    f->data[(f->head + f->num) % SERIAL_FIFO_LEN] = b;
    f->num++;
}

static uint8_t fifo_pop(Fifo8 *f)
{
    uint8_t b = f->data[f->head];

    f->head = (f->head + 1) % SERIAL_FIFO_LEN;
    f->num--;
    return b;
}

/* ---- derived state ------------------------------------------------------ */

/* The sticky FCR bits and what they imply (no side effects on FIFOs). */
static void serial_apply_fcr(SerialState *s, uint8_t val)
{
    static const uint8_t itl[4] = { 1, 4, 8, 14 };

    s->fcr = val & 0xc9;
    s->recv_fifo_itl = itl[(val >> 6) & 3];
    if (val & UART_FCR_FE) {
        s->iir |= UART_IIR_FE;
    } else {
        s->iir &= ~UART_IIR_FE;
    }
}

/* Character time from the divisor and the frame format. */
static void serial_update_parameters(SerialState *s)
{
    int frame = 1 + (s->lcr & 3) + 5 + ((s->lcr & 0x08) ? 1 : 0) +
                ((s->lcr & 0x04) ? 2 : 1);

    if (s->divider == 0 || s->divider > s->baudbase) {
        /* A divisor the chip cannot use: one character a second, so
         * the value stays a function of the registers alone. */
        s->char_transmit_time = HW_NS_PER_SEC;
        return;
    }
    /* ns per bit = divider / baudbase seconds */
    s->char_transmit_time =
        hw_muldiv64(HW_NS_PER_SEC, s->divider, s->baudbase) * frame;
}

static void serial_update_irq(SerialState *s)
{
    uint8_t id = UART_IIR_NO_INT;

    if ((s->ier & UART_IER_RLSI) && (s->lsr & UART_LSR_INT_ANY)) {
        id = UART_IIR_RLSI;
    } else if ((s->ier & UART_IER_RDI) && s->timeout_ipending) {
        id = UART_IIR_CTI;
    } else if ((s->ier & UART_IER_RDI) && (s->lsr & UART_LSR_DR) &&
               (!(s->fcr & UART_FCR_FE) ||
                s->recv_fifo.num >= s->recv_fifo_itl)) {
        id = UART_IIR_RDI;
    } else if ((s->ier & UART_IER_THRI) && s->thr_ipending) {
        id = UART_IIR_THRI;
    } else if ((s->ier & UART_IER_MSI) && (s->msr & UART_MSR_ANY_DELTA)) {
        id = UART_IIR_MSI;
    }
    s->iir = id | (s->iir & 0xf0);
    bool level = id != UART_IIR_NO_INT;
    if (level != s->irq_level) {
        s->irq_level = level;
        hw_irq_set(s->irq, level);
    }
}

/* In loopback the modem inputs are the modem outputs. */
static void serial_update_msl(SerialState *s)
{
    uint8_t old = s->msr, msr;

    if (s->mcr & UART_MCR_LOOP) {
        msr = ((s->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
              ((s->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
              ((s->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
              ((s->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
    } else {
        msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
    }
    uint8_t delta = (uint8_t)(old ^ msr);
    msr |= old & UART_MSR_ANY_DELTA;
    if (delta & UART_MSR_CTS) {
        msr |= UART_MSR_DCTS;
    }
    if (delta & UART_MSR_DSR) {
        msr |= UART_MSR_DDSR;
    }
    if (delta & UART_MSR_DCD) {
        msr |= UART_MSR_DDCD;
    }
    if ((old & UART_MSR_RI) && !(msr & UART_MSR_RI)) {
        msr |= UART_MSR_TERI;
    }
    s->msr = msr;
    serial_update_irq(s);
}

/* ---- data path ---------------------------------------------------------- */

static void serial_receive(SerialState *s, int64_t now, uint8_t b)
{
    if (s->fcr & UART_FCR_FE) {
        if (fifo_full(&s->recv_fifo)) {
            s->lsr |= UART_LSR_OE;
        } else {
            fifo_push(&s->recv_fifo, b);
        }
        s->lsr |= UART_LSR_DR;
        /* Report bytes below the trigger level after four characters. */
        s->fifo_timeout_timer =
            hw_time_add(now, (uint64_t)s->char_transmit_time * 4);
    } else {
        if (s->lsr & UART_LSR_DR) {
            s->lsr |= UART_LSR_OE;
        }
        s->rbr = b;
        s->lsr |= UART_LSR_DR;
    }
    serial_update_irq(s);
}

/* Sends everything the transmitter holds. */
static void serial_xmit(SerialState *s, int64_t now)
{
    for (;;) {
        if (s->fcr & UART_FCR_FE) {
            if (s->xmit_fifo.num == 0) {
                break;
            }
            s->tsr = fifo_pop(&s->xmit_fifo);
        } else {
            if (s->lsr & UART_LSR_THRE) {
                break;
            }
            s->tsr = s->thr;
            s->thr = 0;
        }
        s->lsr |= UART_LSR_THRE;
        if (s->mcr & UART_MCR_LOOP) {
            serial_receive(s, now, s->tsr);
        } else if (s->chr && s->chr->write) {
            s->chr->write(s->chr->opaque, now, s->tsr);
        }
    }
    s->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
    if (!s->thr_ipending) {
        s->thr_ipending = 1;
        serial_update_irq(s);
    }
}

static void serial_write_fcr(SerialState *s, uint8_t val)
{
    if ((val ^ s->fcr) & UART_FCR_FE) {
        val |= UART_FCR_RFR | UART_FCR_XFR;
    }
    if (val & UART_FCR_RFR) {
        s->lsr &= ~(UART_LSR_DR | UART_LSR_BI);
        s->fifo_timeout_timer = HW_TIMER_OFF;
        s->timeout_ipending = 0;
        fifo_reset(&s->recv_fifo);
    }
    if (val & UART_FCR_XFR) {
        s->lsr |= UART_LSR_THRE;
        s->thr_ipending = 1;
        fifo_reset(&s->xmit_fifo);
    }
    serial_apply_fcr(s, val);
    serial_update_irq(s);
}

void serial_ioport_write(SerialState *s, int64_t now, uint32_t addr,
                         uint8_t val)
{
    switch (addr & 7) {
    case 0:
        if (s->lcr & UART_LCR_DLAB) {
            s->divider = (s->divider & 0xff00) | val;
            serial_update_parameters(s);
            break;
        }
        s->thr = val;
        if (s->fcr & UART_FCR_FE) {
            if (fifo_full(&s->xmit_fifo)) {
                fifo_pop(&s->xmit_fifo);
            }
            fifo_push(&s->xmit_fifo, val);
        }
        s->thr_ipending = 0;
        s->lsr &= ~(UART_LSR_THRE | UART_LSR_TEMT);
        serial_update_irq(s);
        serial_xmit(s, now);
        break;
    case 1:
        if (s->lcr & UART_LCR_DLAB) {
            s->divider = (uint16_t)((s->divider & 0x00ff) | (val << 8));
            serial_update_parameters(s);
            break;
        }
        {
            uint8_t changed = (s->ier ^ val) & 0x0f;

            s->ier = val & 0x0f;
            if (changed & UART_IER_THRI) {
                /* Enabling THRI with an empty holding register
                 * interrupts at once. */
                s->thr_ipending = (s->ier & UART_IER_THRI) &&
                                  (s->lsr & UART_LSR_THRE);
            }
            serial_update_irq(s);
        }
        break;
    case 2:
        serial_write_fcr(s, val);
        break;
    case 3:
        s->lcr = val;
        s->last_break_enable = (val >> 6) & 1;
        serial_update_parameters(s);
        break;
    case 4:
        s->mcr = val & 0x1f;
        serial_update_msl(s);
        break;
    case 5:
    case 6:
        break;                  /* read-only */
    case 7:
        s->scr = val;
        break;
    }
}

uint8_t serial_ioport_read(SerialState *s, int64_t now, uint32_t addr)
{
    uint8_t ret = 0;

    switch (addr & 7) {
    case 0:
        if (s->lcr & UART_LCR_DLAB) {
            return s->divider & 0xff;
        }
        if (s->fcr & UART_FCR_FE) {
            ret = s->recv_fifo.num ? fifo_pop(&s->recv_fifo) : 0;
            if (s->recv_fifo.num == 0) {
                s->lsr &= ~(UART_LSR_DR | UART_LSR_BI);
                s->fifo_timeout_timer = HW_TIMER_OFF;
            } else {
                s->fifo_timeout_timer =
            hw_time_add(now, (uint64_t)s->char_transmit_time * 4);
            }
            s->timeout_ipending = 0;
        } else {
            ret = s->rbr;
            s->lsr &= ~(UART_LSR_DR | UART_LSR_BI);
        }
        serial_update_irq(s);
        return ret;
    case 1:
        if (s->lcr & UART_LCR_DLAB) {
            return s->divider >> 8;
        }
        return s->ier;
    case 2:
        ret = s->iir;
        if ((ret & UART_IIR_ID) == UART_IIR_THRI && !(ret & 0x08)) {
            s->thr_ipending = 0;
            serial_update_irq(s);
        }
        return ret;
    case 3:
        return s->lcr;
    case 4:
        return s->mcr;
    case 5:
        ret = s->lsr;
        if (s->lsr & (UART_LSR_BI | UART_LSR_OE)) {
            s->lsr &= ~(UART_LSR_BI | UART_LSR_OE);
            serial_update_irq(s);
        }
        return ret;
    case 6:
        ret = s->msr;
        s->msr &= ~UART_MSR_ANY_DELTA;
        serial_update_irq(s);
        return ret;
    default:
        return s->scr;
    }
}

int64_t serial_next_deadline(const SerialState *s)
{
    return s->fifo_timeout_timer;
}

void serial_run_timers(SerialState *s, int64_t now)
{
    if (s->fifo_timeout_timer >= 0 && s->fifo_timeout_timer <= now) {
        s->fifo_timeout_timer = HW_TIMER_OFF;
        if (s->recv_fifo.num) {
            s->timeout_ipending = 1;
            serial_update_irq(s);
        }
    }
}

/* ---- life cycle --------------------------------------------------------- */

void serial_init(SerialState *s, const HwIrq *irq, const SerialBackend *chr)
{
    memset(s, 0, sizeof(*s));
    s->irq = irq;
    s->chr = chr;
    s->baudbase = 115200;
    s->iobase = SERIAL_ISA_BASE;
    s->iir = UART_IIR_NO_INT;
    s->lsr = UART_LSR_TEMT | UART_LSR_THRE;
    s->msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
    s->divider = 0x0c;                  /* 9600 baud */
    s->mcr = UART_MCR_OUT2;
    s->fifo_timeout_timer = HW_TIMER_OFF;
    s->poll_msl = -1;
    s->modem_status_poll = HW_TIMER_OFF;
    serial_apply_fcr(s, 0);
    serial_update_parameters(s);
}

void serial_pre_load(SerialState *s)
{
    s->thr_ipending = -1;
    s->tsr_retry = 0;
    s->thr = 0;
    s->tsr = 0;
    fifo_reset(&s->recv_fifo);
    fifo_reset(&s->xmit_fifo);
    s->fifo_timeout_timer = HW_TIMER_OFF;
    s->timeout_ipending = 0;
    s->poll_msl = -1;
    s->modem_status_poll = HW_TIMER_OFF;
}

gboolean serial_pre_save(SerialState *s, GError **error)
{
    (void)error;
    s->fcr_vmstate = s->fcr;
    return TRUE;
}

gboolean serial_post_load(SerialState *s, GError **error)
{
    if (s->thr_ipending == -1) {
        s->thr_ipending = (s->iir & UART_IIR_ID) == UART_IIR_THRI;
    }
    if (s->tsr_retry > 0 && (s->lsr & UART_LSR_TEMT)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT,
                    "tsr_retry: %u while the transmitter is empty",
                    s->tsr_retry);
        return FALSE;
    }
    if (s->tsr_retry == 0 && !(s->lsr & UART_LSR_TEMT)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT,
                    "lsr: transmitter busy with no retry pending");
        return FALSE;
    }
    s->last_break_enable = (s->lcr >> 6) & 1;
    serial_apply_fcr(s, s->fcr_vmstate);
    serial_update_parameters(s);
    s->irq_level = !(s->iir & UART_IIR_NO_INT);
    return TRUE;
}

bool serial_thr_ipending_needed(const SerialState *s)
{
    if (s->ier & UART_IER_THRI) {
        bool expected = (s->iir & UART_IIR_ID) == UART_IIR_THRI;
        return s->thr_ipending != (int32_t)expected;
    }
    return false;
}

bool serial_tsr_needed(const SerialState *s)
{
    return s->tsr_retry != 0;
}

bool serial_recv_fifo_needed(const SerialState *s)
{
    return s->recv_fifo.num != 0;
}

bool serial_xmit_fifo_needed(const SerialState *s)
{
    return s->xmit_fifo.num != 0;
}

bool serial_fifo_timeout_timer_needed(const SerialState *s)
{
    return s->fifo_timeout_timer >= 0;
}

bool serial_timeout_ipending_needed(const SerialState *s)
{
    return s->timeout_ipending != 0;
}

bool serial_poll_needed(const SerialState *s)
{
    return s->poll_msl >= 0;
}
