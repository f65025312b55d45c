/* Tests: QIDL(version, n) against QIDL_STRUCT(version, min_version): a
 * field newer than the oldest loadable version is loaded only from a
 * source at least that new, else it keeps its value (or loads its
 * default); a nested struct is always at its own current version. */
#include <stdint.h>

#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(2, 1) Stamp {
    uint32_t secs;
    uint16_t frac QIDL(version, 2);     /* visited whenever nested */
} Stamp;

typedef struct QIDL_STRUCT(4, 2) Versioned {
    uint8_t a;
    uint8_t b QIDL(version, 2);         /* never gated: 2 is the minimum */
    Stamp when;
    uint16_t c QIDL(version, 3);
    uint8_t mode QIDL(version, 3) QIDL(default, 7);
    uint8_t n QIDL(version, 4);
    uint8_t buf[4] QIDL(size_is, n) QIDL(version, 4);
} Versioned;
