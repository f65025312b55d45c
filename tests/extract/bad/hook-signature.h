/* Tests: hooks whose signature is not gboolean fn(T *s, GError **error):
 * a missing GError **, and a pointer to const (a pre_save may update the
 * state it saves, so it gets it writable, as in QEMU). */
#include <stdint.h>
#include <glib.h>
#include <qidl/qidl.h>

typedef struct Dev Dev;

void dev_post_load(Dev *s);
gboolean dev_pre_save(const Dev *s, GError **error);

struct QIDL_STRUCT(1, 1) QIDL(post_load, dev_post_load)
    QIDL(pre_save, dev_pre_save) Dev {
    uint32_t ctrl;
};
