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

/* Puts @slot (and its @layout, if the set keeps them) in the table. */
static void insert_slot(QidlStreamFields *c, QidlStreamFieldsSlot slot,
                        QidlStreamFieldsLayout layout)
{
    guint32 i = qidl_stream__fields_hash(slot.fields) & c->mask;

    while (c->slots[i].fields) {
        i = (i + 1) & c->mask;
    }
    c->slots[i] = slot;
    if (c->layout) {
        c->layouts[i] = layout;
    }
}

void qidl_stream__fields_add(QidlStreamFields *c,
                             const QidlScalarField *fields, guint n)
{
    QidlStreamFieldsLayout layout = { 0, 0 };

    g_return_if_fail(fields != NULL && n > 0);
    g_return_if_fail(c->idx_cap - c->idx_len >= n);

    if (!c->slots || (c->n + 1) * 2 > c->mask + 1) {
        QidlStreamFieldsSlot *old = c->slots;
        /* In @old's block, freed with it below. */
        QidlStreamFieldsLayout *old_layouts = c->layouts;
        guint32 n_old = old ? c->mask + 1 : 0;
        guint32 n_slots = old ? n_old * 2 : FIELDS_FIRST_SLOTS;

        /* Cleared here rather than by calloc(), which may hand out
         * fresh memory that is not in the cache.  The layouts, if kept,
         * follow the slots in the same block. */
        c->slots = g_malloc(n_slots * (sizeof(QidlStreamFieldsSlot) +
                                       (c->layout ?
                                        sizeof(QidlStreamFieldsLayout) : 0)));
        memset(c->slots, 0, n_slots * sizeof(QidlStreamFieldsSlot));
        if (c->layout) {
            c->layouts = (QidlStreamFieldsLayout *)(c->slots + n_slots);
        }
        c->mask = n_slots - 1;
        for (guint32 i = 0; i < n_old; i++) {
            if (old[i].fields) {
                insert_slot(c, old[i], c->layout ? old_layouts[i] : layout);
            }
        }
        g_free(old);
    }
    for (guint i = 0; c->layout && i < n; i++) {
        layout.len += 3 + qidl_kind__scalar_size(fields[i].kind);
        layout.max_idx = MAX(layout.max_idx, c->idx[c->idx_len + i]);
    }
    insert_slot(c, (QidlStreamFieldsSlot) { fields, n, c->idx_len }, layout);
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
    gboolean layout = c->layout;

    g_free(c->slots);
    g_free(c->idx);
    *c = (QidlStreamFields) { .layout = layout };
}
