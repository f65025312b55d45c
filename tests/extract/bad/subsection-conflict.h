/* Tests: the fields of one subsection must agree on its version and its
 * needed() predicate. */
#include <stdbool.h>
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct Dev Dev;

bool dev_a_needed(const Dev *s);
bool dev_b_needed(const Dev *s);

struct QIDL_STRUCT(1, 1) Dev {
    uint32_t ctrl;
    uint8_t a QIDL(subsection, "dev/x", 1, dev_a_needed);
    uint8_t b QIDL(subsection, "dev/x", 2, dev_a_needed);
    uint8_t c QIDL(subsection, "dev/x", 1, dev_b_needed);
};
