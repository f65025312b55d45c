/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tiny device for tests that need several devices: a tick counter with
 * two registers, its hand-written visit function and device classes.
 */
#ifndef QIDL_TESTS_COUNTER_H
#define QIDL_TESTS_COUNTER_H

#include <qidl/devices.h>

typedef struct {
    guint32 ticks;
    guint8 regs[2];
} Counter;

gboolean counter_visit(QidlVisitor *v, const char *name, void *obj,
                       GError **error);

/* "counter", versions 1..2. */
extern const QidlDeviceClass counter_class;

#endif /* QIDL_TESTS_COUNTER_H */
