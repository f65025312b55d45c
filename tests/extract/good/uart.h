/* Tests: a realistic device (a 16550A UART's state) as docs/generator.md
 * shows it: size_is FIFOs, a default, derived and immutable pointers, an
 * index, a range, a check() and properties. */
#ifndef UART_H
#define UART_H

#include <stdbool.h>
#include <stdint.h>

#include <qidl/qidl.h>

#define UART_FIFO_LEN 16

typedef struct Timer Timer;
typedef struct CharBackend CharBackend;

typedef struct QIDL_STRUCT(2, 1) UARTState {
    uint16_t divider;
    uint8_t rbr;                /* receive buffer register */
    uint8_t thr QIDL(default, 0);   /* transmit holding register */
    uint8_t ier QIDL(range, 0, 0x0f);
    uint8_t iir;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr;
    uint8_t msr;
    uint8_t scr;
    uint8_t fcr QIDL(version, 2);
    uint8_t recv_count;
    uint8_t recv_fifo[UART_FIFO_LEN] QIDL(size_is, recv_count);
    uint8_t recv_head QIDL(index_of, recv_fifo);
    uint8_t xmit_count;
    uint8_t xmit_fifo[UART_FIFO_LEN] QIDL(size_is, xmit_count);
    uint8_t thr_ipending QIDL(check, thr_ipending <= 1);
    bool irq_level QIDL(derived);
    Timer *fifo_timeout_timer QIDL(derived);
    CharBackend *chr QIDL(immutable);
    uint32_t baudbase QIDL(property, "baudbase", 115200);
    uint16_t iobase QIDL(property, "iobase", 0x3f8);
} UARTState;

#endif
