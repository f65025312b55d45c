/* Tests: a union cannot opt in as state. */
#include <stdint.h>
#include <qidl/qidl.h>

union QIDL_STRUCT(1, 1) Regs {
    uint32_t word;
    uint8_t bytes[4];
};
