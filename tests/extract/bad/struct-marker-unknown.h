/* Tests: a struct-level marker outside post_load and pre_save, and a
 * hook given twice. */
#include <stdint.h>
#include <glib.h>
#include <qidl/qidl.h>

typedef struct Dev Dev;

gboolean dev_post_load(Dev *s, GError **error);

struct QIDL_STRUCT(1, 1) QIDL(pre_load, dev_post_load)
    QIDL(post_load, dev_post_load) QIDL(post_load, dev_post_load) Dev {
    uint32_t ctrl;
};
