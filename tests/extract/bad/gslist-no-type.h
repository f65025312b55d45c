/* Tests: a GSList needs type_is to say what its elements are. */
#include <glib.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Dev {
    GSList *reqs;
} Dev;
