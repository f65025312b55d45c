/* Tests: a subsection whose needed() predicate is not declared. */
#include <stdbool.h>
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    uint32_t ctrl;
    uint16_t extra QIDL(subsection, "dev/extra", 1, dev_extra_needed);
} Dev;
