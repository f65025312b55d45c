/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The example machine's device types (hw/) behind one signature, for the
 * hostile-input tests and harnesses that load one device at a time: the
 * generated visit and atomic load functions, by device type name.
 */
#ifndef QIDL_TESTS_HW_TYPES_H
#define QIDL_TESTS_HW_TYPES_H

#include <qidl/visitor.h>

typedef struct {
    const char *type;           /* as the machine names it */
    gsize size;
    guint32 version;            /* QIDL_STRUCT's version */
    gboolean (*visit)(QidlVisitor *v, const char *name, void *obj,
                      GError **error);
    /* qidl_load_<T>(): atomic, runs the post-load hook. */
    gboolean (*load)(QidlVisitor *v, const char *name, void *obj,
                     GError **error);
    /* qidl_release_<T>() */
    void (*release)(void *obj, const void *keep);
} HwType;

/* The type of a machine device, or NULL for the RAM and the disk (plain
 * bytes, visited by hand). */
const HwType *hw_type_find(const char *type);

#endif /* QIDL_TESTS_HW_TYPES_H */
