/* Tests: a default that does not fit the field's type. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint8_t thr QIDL(default, 256);
} Dev;
