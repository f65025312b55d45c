/* Tests: extraction with -p BUILDDIR.  This header parses only with the
 * flags compile_commands.json gives dev.c: -Iinclude (relative to the
 * entry's directory) for dev-regs.h and -DDEV_FIFO_LEN=12. */
#include <stdint.h>

#include <qidl/qidl.h>

#include "dev-regs.h"

typedef struct QIDL_STRUCT(1, 1) Dev {
    DevReg ctrl;
    uint8_t fifo_len;
    uint8_t fifo[DEV_FIFO_LEN] QIDL(size_is, fifo_len);
} Dev;
