/* Tests: a function pointer with no marker is an error. */
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    void (*irq_handler)(void *opaque, int level);
} Dev;
