/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tables of qidl_visit_scalar_fields() a stream writer or reader has
 * met, with their names' indices in the stream (stream-private.h): an
 * open-addressing hash table by the table's address, and the indices of
 * every table back to back.
 */
#include <string.h>

#include <qidl/visitor-impl.h>

#include "stream-private.h"

/* Slots a new set starts with: room for a machine's tables (a dozen). */
#define FIELDS_FIRST_SLOTS 32

guint16 *qidl_stream__fields_room(QidlStreamFields *c, guint n)
{
    g_return_val_if_fail(n > 0, NULL);

    if (c->idx_cap - c->idx_len < n) {
        c->idx_cap = MAX(c->idx_cap * 2, MAX(c->idx_len + n, 256));
        c->idx = g_renew(guint16, c->idx, c->idx_cap);
    }
    return c->idx + c->idx_len;
}

static void insert_slot(QidlStreamFields *c, QidlStreamFieldsSlot slot)
{
    guint32 i = qidl_stream__fields_hash(slot.fields) & c->mask;

    while (c->slots[i].fields) {
        i = (i + 1) & c->mask;
    }
    c->slots[i] = slot;
}

void qidl_stream__fields_add(QidlStreamFields *c,
                             const QidlScalarField *fields, guint n)
{
    QidlStreamFieldsSlot slot;

    g_return_if_fail(fields != NULL && n > 0);
    g_return_if_fail(c->idx_cap - c->idx_len >= n);

    if (!c->slots || (c->n + 1) * 2 > c->mask + 1) {
        QidlStreamFieldsSlot *old = c->slots;
        guint32 n_old = old ? c->mask + 1 : 0;
        guint32 n_slots = old ? n_old * 2 : FIELDS_FIRST_SLOTS;

        /* Cleared here rather than by calloc(), which may hand out
         * fresh memory that is not in the cache. */
        c->slots = g_new(QidlStreamFieldsSlot, n_slots);
        memset(c->slots, 0, n_slots * sizeof(QidlStreamFieldsSlot));
        c->mask = n_slots - 1;
        for (guint32 i = 0; i < n_old; i++) {
            if (old[i].fields) {
                insert_slot(c, old[i]);
            }
        }
        g_free(old);
    }
    slot = (QidlStreamFieldsSlot) { fields, n, c->idx_len, 0, 0 };
    for (guint i = 0; i < n; i++) {
        slot.len += 3 + qidl_kind__scalar_size(fields[i].kind);
        slot.max_idx = MAX(slot.max_idx, c->idx[c->idx_len + i]);
    }
    insert_slot(c, slot);
    c->n++;
    c->idx_len += n;
}

void qidl_stream__fields_empty(QidlStreamFields *c)
{
    if (c->slots) {
        memset(c->slots, 0, (c->mask + 1) * sizeof(QidlStreamFieldsSlot));
    }
    c->n = 0;
    c->idx_len = 0;
}

void qidl_stream__fields_clear(QidlStreamFields *c)
{
    g_free(c->slots);
    g_free(c->idx);
    *c = (QidlStreamFields) { 0 };
}
