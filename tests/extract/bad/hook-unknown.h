/* Tests: a post_load hook naming a function that is not declared. */
#include <stdint.h>
#include <glib.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) QIDL(post_load, dev_post_lod) Dev {
    uint32_t ctrl;
} Dev;

gboolean dev_post_load(Dev *s, GError **error);
