/* Tests: a bitfield is an error: its address cannot be taken. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint32_t enabled : 1;
} Dev;
