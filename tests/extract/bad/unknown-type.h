/* Tests: a clang error (an unknown type) fails the extraction instead of
 * letting the type silently become int. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint32_t a;
    QEMUClock clock;
} Dev;
