/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * 16550A UART (ISA ports 0x3f8-0x3ff, IRQ 4)
 *
 * Registers: RBR/THR and the divisor latch, IER, IIR/FCR, LCR, MCR, LSR,
 * MSR, SCR.  With FIFOs enabled, received bytes queue in a 16-byte FIFO
 * whose trigger level (1, 4, 8, 14) raises the received-data interrupt,
 * and a character timeout (four character times, computed from the
 * divisor and the frame format) reports bytes below the trigger level.
 * Interrupts are prioritised as the datasheet says: line status, received
 * data / timeout, transmitter empty, modem status.  In loopback (MCR bit
 * 4) transmitted bytes come back to the receiver and the modem inputs
 * follow the modem outputs; otherwise they go to the backend.
 *
 * Transmission is immediate, as in QEMU: a byte written to THR leaves at
 * once, so the transmitter is empty between accesses.
 *
 * The state follows QEMU 7.2's vmstate_serial ("serial", version 3,
 * minimum 2, the body of the "isa-serial" section) with its seven
 * subsections; docs/devices.md has the mapping.
 */
#ifndef HW_SERIAL_H
#define HW_SERIAL_H

#include <glib.h>
#include <qidl/qidl.h>

#include "hw.h"

#define SERIAL_ISA_BASE 0x3f8
#define SERIAL_ISA_IRQ 4
#define SERIAL_FIFO_LEN 16

/* Register bits used by the machine's guest and the tests. */
#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IER_RLSI 0x04
#define UART_IER_MSI 0x08
#define UART_IIR_NO_INT 0x01
#define UART_IIR_ID 0x06
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_CTI 0x0c
#define UART_IIR_FE 0xc0
#define UART_FCR_FE 0x01
#define UART_FCR_RFR 0x02
#define UART_FCR_XFR 0x04
#define UART_LCR_DLAB 0x80
#define UART_MCR_LOOP 0x10
#define UART_MCR_OUT2 0x08
#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_BI 0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

/* QEMU's Fifo8 as vmstate_fifo8 encodes it: capacity bytes, head, num. */
typedef struct QIDL_STRUCT(1, 1) Fifo8 {
    uint8_t data[SERIAL_FIFO_LEN];
    uint32_t head QIDL(index_of, data);
    uint32_t num QIDL(range, 0, SERIAL_FIFO_LEN);
} Fifo8;

typedef struct QIDL_STRUCT(3, 2)
    QIDL(pre_save, serial_pre_save) QIDL(post_load, serial_post_load)
    SerialState {
    uint16_t divider QIDL(version, 2);
    uint8_t rbr;
    uint8_t ier QIDL(range, 0, 0x0f);
    uint8_t iir;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr;
    uint8_t msr;
    uint8_t scr;
    /* fcr as saved: pre_save copies it, post_load applies it. */
    uint8_t fcr_vmstate QIDL(version, 3);

    int32_t thr_ipending
        QIDL(subsection, "serial/thr_ipending", 1, serial_thr_ipending_needed);
    uint32_t tsr_retry QIDL(subsection, "serial/tsr", 1, serial_tsr_needed);
    uint8_t thr QIDL(subsection, "serial/tsr", 1, serial_tsr_needed);
    uint8_t tsr QIDL(subsection, "serial/tsr", 1, serial_tsr_needed);
    Fifo8 recv_fifo
        QIDL(subsection, "serial/recv_fifo", 1, serial_recv_fifo_needed);
    Fifo8 xmit_fifo
        QIDL(subsection, "serial/xmit_fifo", 1, serial_xmit_fifo_needed);
    /* Expiry of the character-timeout timer, HW_TIMER_OFF when idle. */
    int64_t fifo_timeout_timer
        QIDL(subsection, "serial/fifo_timeout_timer", 1,
             serial_fifo_timeout_timer_needed);
    int32_t timeout_ipending
        QIDL(subsection, "serial/timeout_ipending", 1,
             serial_timeout_ipending_needed);
    /* Modem-status polling of a host tty; -1: the backend has none. */
    int32_t poll_msl QIDL(subsection, "serial/poll", 1, serial_poll_needed);
    int64_t modem_status_poll
        QIDL(subsection, "serial/poll", 1, serial_poll_needed);

    /* Recomputed by serial_post_load from the fields above. */
    uint8_t fcr QIDL(derived);
    uint8_t recv_fifo_itl QIDL(derived);
    int64_t char_transmit_time QIDL(derived);
    bool last_break_enable QIDL(derived);
    bool irq_level QIDL(derived);

    const HwIrq *irq QIDL(immutable);
    const SerialBackend *chr QIDL(immutable);
    uint32_t baudbase QIDL(property, "baudbase", 115200);
    uint16_t iobase QIDL(property, "iobase", 0x3f8);
} SerialState;

/* Hooks and subsection predicates named by the markers above. */
gboolean serial_pre_save(SerialState *s, GError **error);
gboolean serial_post_load(SerialState *s, GError **error);
bool serial_thr_ipending_needed(const SerialState *s);
bool serial_tsr_needed(const SerialState *s);
bool serial_recv_fifo_needed(const SerialState *s);
bool serial_xmit_fifo_needed(const SerialState *s);
bool serial_fifo_timeout_timer_needed(const SerialState *s);
bool serial_timeout_ipending_needed(const SerialState *s);
bool serial_poll_needed(const SerialState *s);

/* Resets the UART (9600 8N1, FIFOs off); @irq and @chr outlive it. */
void serial_init(SerialState *s, const HwIrq *irq, const SerialBackend *chr);

/* I/O port access: @addr is the register number 0-7. */
uint8_t serial_ioport_read(SerialState *s, int64_t now, uint32_t addr);
void serial_ioport_write(SerialState *s, int64_t now, uint32_t addr,
                         uint8_t val);

int64_t serial_next_deadline(const SerialState *s);
void serial_run_timers(SerialState *s, int64_t now);

/* QEMU's pre_load: fields of absent subsections take these values. */
void serial_pre_load(SerialState *s);

#endif /* HW_SERIAL_H */
