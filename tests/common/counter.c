/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "counter.h"

gboolean counter_visit(QidlVisitor *v, const char *name, void *opaque,
                       GError **error)
{
    Counter *obj = opaque;
    guint32 n = G_N_ELEMENTS(obj->regs);

    if (!qidl_visit_start_struct(v, name, error) ||
        !qidl_visit_uint32(v, "ticks", &obj->ticks, error) ||
        !qidl_visit_start_list(v, "regs", QIDL_LIST_FIXED, &n,
                               sizeof(obj->regs[0]), error)) {
        return FALSE;
    }
    for (guint32 i = 0; i < n; i++) {
        if (!qidl_visit_next_list(v, error) ||
            !qidl_visit_uint8(v, NULL, &obj->regs[i], error)) {
            return FALSE;
        }
    }
    return qidl_visit_end_list(v, error) && qidl_visit_end_struct(v, error);
}

const QidlDeviceClass counter_class = {
    .type_name = "counter",
    .version = 2,
    .min_version = 1,
    .size = sizeof(Counter),
    .visit = counter_visit,
};
