/* Tests: CVE-2013-4532's pointer into a buffer, as QEMU's struct held it:
 * a raw pointer with no marker is refused, naming the fixes. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) EnetState {
    uint8_t rx_buf[32];
    uint8_t *rx_fifo;
} EnetState;
