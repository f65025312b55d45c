/* Tests: a subsection's name must be a string literal, its version a
 * number from 1, and an unsaved field cannot be in one. */
#include <stdbool.h>
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct Dev Dev;

bool dev_needed(const Dev *s);

struct QIDL_STRUCT(1, 1) Dev {
    uint32_t ctrl;
    uint16_t a QIDL(subsection, dev_extra, 1, dev_needed);
    uint16_t b QIDL(subsection, "dev/b", 0, dev_needed);
    uint16_t c QIDL(derived) QIDL(subsection, "dev/c", 1, dev_needed);
    uint16_t d QIDL(subsection, "dev/d", 1);
};
