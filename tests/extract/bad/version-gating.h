/* Tests: version(n) must be within the struct's versions, and a size_is
 * count must not appear in a later version than its array (an older
 * state would load the array with a count it does not hold). */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(3, 1) Dev {
    uint8_t a QIDL(version, 4);
    uint8_t b QIDL(version, 0);
    uint8_t len QIDL(version, 2);
    uint8_t fifo[8] QIDL(size_is, len);
} Dev;
