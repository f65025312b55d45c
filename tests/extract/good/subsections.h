/* Tests: QIDL(subsection, NAME, VERSION, NEEDED): fields sharing a name
 * form one subsection in declaration order, even when not adjacent;
 * subsections follow the other fields in order of first appearance; the
 * predicate may take a const or a plain pointer; a subsection field may
 * have a default, a size_is count in the same subsection, a version. */
#include <stdbool.h>
#include <stdint.h>

#include <qidl/qidl.h>

typedef struct Sub Sub;

bool sub_extra_needed(const Sub *s);
bool sub_fifo_needed(Sub *s);

struct QIDL_STRUCT(2, 1) Sub {
    uint8_t ctrl;
    uint16_t extra QIDL(subsection, "sub/extra", 1, sub_extra_needed);
    uint8_t fifo_len QIDL(subsection, "sub/fifo", 2, sub_fifo_needed);
    uint8_t status;
    uint8_t fifo[8] QIDL(size_is, fifo_len)
        QIDL(subsection, "sub/fifo", 2, sub_fifo_needed);
    uint8_t level QIDL(default, 1) QIDL(version, 2)
        QIDL(subsection, "sub/extra", 1, sub_extra_needed);
};
