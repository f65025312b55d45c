/* Tests: a union field is an error (which member is live?). */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    union {
        uint32_t word;
        uint8_t bytes[4];
    } u;
} Dev;
