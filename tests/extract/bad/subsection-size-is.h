/* Tests: an array's size_is count must be loaded whenever the array is:
 * not in another subsection than the array. */
#include <stdbool.h>
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct Dev Dev;

bool dev_needed(const Dev *s);

struct QIDL_STRUCT(1, 1) Dev {
    uint8_t len QIDL(subsection, "dev/len", 1, dev_needed);
    uint8_t fifo[8] QIDL(size_is, len);
};
