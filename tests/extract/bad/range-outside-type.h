/* Tests: a range whose bounds do not fit the field's type. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint8_t irq QIDL(range, 0, 300);
} Dev;
