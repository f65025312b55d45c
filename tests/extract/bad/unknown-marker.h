/* Tests: a marker outside the closed set is an error, not ignored. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint32_t ctrl QIDL(volatile);
} Dev;
