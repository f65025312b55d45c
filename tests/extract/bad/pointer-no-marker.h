/* Tests: a raw pointer with no marker is an error naming the fixes. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint32_t a;
    uint8_t *buf;
} Dev;
