/* Tests: a negative default for an unsigned field. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint16_t div QIDL(default, -1);
} Dev;
