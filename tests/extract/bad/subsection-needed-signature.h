/* Tests: a needed() predicate must be bool fn(const T *s): one taking
 * another struct, and one with a second parameter. */
#include <stdbool.h>
#include <stdint.h>
#include <qidl/qidl.h>

typedef struct Other Other;
typedef struct Dev Dev;

bool other_needed(const Other *s);
bool dev_needed(const Dev *s, int which);

struct QIDL_STRUCT(1, 1) Dev {
    uint32_t ctrl;
    uint16_t extra QIDL(subsection, "dev/extra", 1, other_needed);
    uint16_t more QIDL(subsection, "dev/more", 1, dev_needed);
};
