/* Tests: index_of must name an array. */
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint32_t count;
    uint32_t sel QIDL(index_of, count);
} Dev;
