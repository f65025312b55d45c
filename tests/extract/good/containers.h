/* Tests: GSList and GArray containers with type_is, counted lists that
 * are allocated on load. */
#ifndef CONTAINERS_H
#define CONTAINERS_H

#include <stdint.h>

#include <glib.h>
#include <qidl/qidl.h>

typedef struct QIDL_STRUCT(1, 1) Request {
    uint64_t sector;
    uint32_t len;
} Request;

typedef struct QIDL_STRUCT(1, 1) Queue {
    GSList *pending QIDL(type_is, Request);
    GArray *history QIDL(type_is, uint32_t);
    GArray *done QIDL(type_is, Request);
} Queue;

#endif
