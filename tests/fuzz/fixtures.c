/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state harnesses' device types; see fixtures.h. */
#include <string.h>

#include <qidl/legacy.h>

#include "constraints.qidl.h"
#include "containers.qidl.h"
#include "counter.h"
#include "cve.qidl.h"
#include "fixtures.h"
#include "fuzz.h"
#include "sample.h"
#include "scalars.qidl.h"
#include "shapes.qidl.h"
#include "uart.qidl.h"

#define WRAP(T)                                                              \
    static gboolean visit_##T(QidlVisitor *v, const char *name, void *obj,  \
                              GError **error)                               \
    {                                                                        \
        return qidl_visit_##T(v, name, obj, error);                          \
    }                                                                        \
    static gboolean load_##T(QidlVisitor *v, const char *name, void *obj,   \
                             GError **error)                                \
    {                                                                        \
        return qidl_load_##T(v, name, obj, error);                           \
    }                                                                        \
    static void release_##T(void *obj, const void *keep)                     \
    {                                                                        \
        qidl_release_##T(obj, keep);                                         \
    }

#define FX(T, type, name, ver, min)                                          \
    { type, name, ver, min, sizeof(T), visit_##T, load_##T, release_##T,     \
      init_##T }

WRAP(PS2Queue)
WRAP(VirtIONetState)
WRAP(HPETState)
WRAP(ARMCPUState)
WRAP(VirtQueueReq)
WRAP(USBDeviceState)
WRAP(PCIEAERLog)
WRAP(EnetState)
WRAP(VirtIODevState)
WRAP(Scalars)
WRAP(Shapes)
WRAP(Constrained)
WRAP(Queue)
WRAP(UARTState)

static void init_PS2Queue(void *obj, guint seed)
{
    PS2Queue *q = obj;

    for (guint i = 0; i < PS2_QUEUE_SIZE; i++) {
        q->data[i] = (guint8)(seed * 7 + i);
    }
    q->rptr = seed % PS2_QUEUE_SIZE;
    q->wptr = (seed + 3) % PS2_QUEUE_SIZE;
    q->count = seed % (PS2_QUEUE_SIZE + 1);
}

static void init_VirtIONetState(void *obj, guint seed)
{
    VirtIONetState *s = obj;

    s->max_queues = VNET_MAX_QUEUES;
    s->curr_queues = 1 + seed % VNET_MAX_QUEUES;
    s->promisc = seed & 1;
    s->mac_in_use = seed % (VNET_MAC_TABLE_ENTRIES + 1);
    for (guint i = 0; i < VNET_MAC_TABLE_ENTRIES; i++) {
        for (guint j = 0; j < 6; j++) {
            s->macs[i].a[j] = (guint8)(seed + i * 6 + j);
        }
    }
}

static void init_HPETState(void *obj, guint seed)
{
    HPETState *s = obj;

    s->config = seed;
    s->num_timers = seed % (HPET_MAX_TIMERS + 1);
    for (guint i = 0; i < HPET_MAX_TIMERS; i++) {
        s->timer[i].tn = i;
        s->timer[i].config = seed * 1000 + i;
        s->timer[i].cmp = ~(guint64)seed;
    }
}

static void init_ARMCPUState(void *obj, guint seed)
{
    ARMCPUState *s = obj;

    s->cpreg_array_len = seed % 4;
    s->cpreg_indexes = s->cpreg_array_len ?
        g_new(uint64_t, s->cpreg_array_len) : NULL;
    s->cpreg_values = s->cpreg_array_len ?
        g_new(uint64_t, s->cpreg_array_len) : NULL;
    for (guint i = 0; i < s->cpreg_array_len; i++) {
        s->cpreg_indexes[i] = 0x40000000u + i;
        s->cpreg_values[i] = seed * 0x1111u + i;
    }
}

static void init_VirtQueueReq(void *obj, guint seed)
{
    VirtQueueReq *r = obj;

    r->index = seed;
    r->sg = g_array_new(FALSE, TRUE, sizeof(guint64));
    for (guint i = 0; i < seed % 4; i++) {
        guint64 x = 0x1000u * seed + i;

        g_array_append_val(r->sg, x);
    }
}

static void init_USBDeviceState(void *obj, guint seed)
{
    USBDeviceState *s = obj;

    for (guint i = 0; i < sizeof(s->setup_buf); i++) {
        s->setup_buf[i] = (guint8)(seed + i);
    }
    for (guint i = 0; i < USB_DATA_BUF; i++) {
        s->data_buf[i] = (guint8)(seed * 3 + i);
    }
    s->setup_len = seed % (USB_DATA_BUF + 1);
    s->setup_index = s->setup_len / 2;
}

static void init_PCIEAERLog(void *obj, guint seed)
{
    PCIEAERLog *s = obj;

    s->log_max = AER_LOG_MAX;
    s->log_num = seed % (AER_LOG_MAX + 1);
    for (guint i = 0; i < AER_LOG_MAX; i++) {
        s->log[i] = seed * 100 + i;
    }
}

static void init_EnetState(void *obj, guint seed)
{
    EnetState *s = obj;

    for (guint i = 0; i < ENET_RX_BUF; i++) {
        s->rx_buf[i] = (guint8)(seed ^ i);
    }
    s->rx_fifo_offset = seed % ENET_RX_BUF;
    s->rx_fifo_len = (ENET_RX_BUF - s->rx_fifo_offset) / 2;
}

static void init_VirtIODevState(void *obj, guint seed)
{
    VirtIODevState *s = obj;

    s->status = (guint8)seed;
    s->isr = (guint8)(seed >> 1);
    s->queue_sel = (guint16)(seed % 3);
    for (guint i = 0; i < VIRTIO_CONFIG_LEN; i++) {
        s->config[i] = (guint8)(seed + i);
    }
    s->guest_features = 0x10000000u | seed;
}

static void init_Scalars(void *obj, guint seed)
{
    Scalars *s = obj;

    s->flag = seed & 1;
    s->c = (char)seed;
    s->i = -(int)seed;
    s->ul = seed * 1000003ul;
    s->i64 = -(gint64)seed * 1000000007;
    s->u64 = G_MAXUINT64 - seed;
    s->word = (RegWord)seed;
    s->f = seed / 4.0f;
    s->d = -1.0 / (seed + 1);
    s->mode = seed & 1 ? MODE_ON : MODE_AUTO;
    s->level = LEVEL_LOW;
    s->thr = (guint8)seed;
    s->bias = seed ? -5 : 7;
}

static void init_Shapes(void *obj, guint seed)
{
    Shapes *s = obj;

    s->fifo_len = seed % (SHAPES_FIFO_CAP + 1);
    for (guint i = 0; i < SHAPES_FIFO_CAP; i++) {
        s->fifo[i] = (guint8)(seed + i);
    }
    s->nwords = seed % 3;
    s->words = s->nwords ? g_new0(uint32_t, s->nwords) : NULL;
    for (guint i = 0; i < s->nwords; i++) {
        s->words[i] = seed * 0x01010101u + i;
    }
    s->nchildren = seed % 2;
    s->children = s->nchildren ? g_new0(Child, s->nchildren) : NULL;
    for (guint i = 0; i < s->nchildren; i++) {
        s->children[i].id = seed + i;
        s->children[i].tag = g_strdup_printf("child%u", i);
    }
    g_strlcpy(s->name, seed ? "uart" : "", sizeof(s->name));
    s->label = seed ? g_strdup_printf("label-%u", seed) : NULL;
    s->has_extra = seed & 1;
    s->extra = seed * 3;
    if (seed & 2) {
        s->owned = g_new0(Child, 1);
        s->owned->id = seed;
        s->owned->tag = g_strdup("owned");
    }
    s->inner.enabled = seed & 1;
    s->inner.mode = (guint8)seed;
    s->matrix[1][2] = (guint16)seed;
}

static void init_Constrained(void *obj, guint seed)
{
    Constrained *s = obj;

    s->irq = seed % 16;
    s->temp = (gint16)(seed % 100);
    s->ratio = 0.5;
    for (guint i = 0; i < 8; i++) {
        s->regs[i] = 1 + (seed + i) % 200;
    }
    s->sel = seed % 8;
    s->setup_len = seed;
    s->setup_index = seed / 2;
}

static void init_Queue(void *obj, guint seed)
{
    Queue *q = obj;

    q->history = g_array_new(FALSE, TRUE, sizeof(uint32_t));
    q->done = g_array_new(FALSE, TRUE, sizeof(Request));
    for (guint i = 0; i < seed % 3; i++) {
        Request *r = g_new0(Request, 1);
        Request d = { seed + i, i };
        uint32_t h = seed * 10 + i;

        r->sector = seed * 512 + i;
        r->len = 512;
        q->pending = g_slist_append(q->pending, r);
        g_array_append_val(q->history, h);
        g_array_append_val(q->done, d);
    }
}

static void init_UARTState(void *obj, guint seed)
{
    UARTState *s = obj;

    s->divider = (guint16)(seed + 12);
    s->ier = seed % 16;
    s->lcr = 3;
    s->recv_count = seed % (UART_FIFO_LEN + 1);
    for (guint i = 0; i < UART_FIFO_LEN; i++) {
        s->recv_fifo[i] = (guint8)('a' + i);
        s->xmit_fifo[i] = (guint8)('A' + i);
    }
    s->recv_head = seed % UART_FIFO_LEN;
    s->xmit_count = (seed + 1) % (UART_FIFO_LEN + 1);
    s->thr_ipending = seed & 1;
}

/* The sample (every visitor shape) and the counter: hand-written visits,
 * loaded through a scratch copy. */
static gboolean visit_Sample(QidlVisitor *v, const char *name, void *obj,
                             GError **error)
{
    return sample_visit(v, name, obj, error);
}

static void release_Sample(void *obj, const void *keep)
{
    Sample *s = obj;
    const Sample *k = keep;

    if (!k || s->label != k->label) {
        g_free(s->label);
    }
    s->label = NULL;
}

static gboolean load_Sample(QidlVisitor *v, const char *name, void *obj,
                            GError **error)
{
    Sample *scratch = g_memdup2(obj, sizeof(Sample));
    gboolean ok;

    /* sample_visit stores a loaded label without freeing the old one. */
    scratch->label = NULL;
    ok = sample_visit(v, name, scratch, error);
    if (!ok) {
        g_free(scratch->label);
    } else {
        g_free(((Sample *)obj)->label);
        memcpy(obj, scratch, sizeof(Sample));
    }
    g_free(scratch);
    return ok;
}

static void init_Sample(void *obj, guint seed)
{
    if (seed) {
        sample_init(obj);
    }
}

static gboolean load_Counter(QidlVisitor *v, const char *name, void *obj,
                             GError **error)
{
    Counter scratch = *(Counter *)obj;

    if (!counter_visit(v, name, &scratch, error)) {
        return FALSE;
    }
    *(Counter *)obj = scratch;
    return TRUE;
}

static void init_Counter(void *obj, guint seed)
{
    Counter *c = obj;

    c->ticks = seed * 1000;
    c->regs[0] = (guint8)seed;
    c->regs[1] = (guint8)(seed >> 8);
}

const FuzzFixture fuzz_fixtures[] = {
    { "sample", "sample", 1, 1, sizeof(Sample), visit_Sample, load_Sample,
      release_Sample, init_Sample },
    { "counter", "counter", 2, 1, sizeof(Counter), counter_visit,
      load_Counter, NULL, init_Counter },
    FX(PS2Queue, "ps2-kbd", "kbd", 1, 1),
    FX(VirtIONetState, "virtio-net", "vnet", 1, 1),
    FX(HPETState, "hpet", "hpet", 1, 1),
    FX(ARMCPUState, "arm-cpu", "cpu", 1, 1),
    FX(VirtQueueReq, "virtqueue-req", "req", 1, 1),
    FX(USBDeviceState, "usb-device", "usb", 1, 1),
    FX(PCIEAERLog, "pcie-aer", "aer", 1, 1),
    FX(EnetState, "stellaris-enet", "enet", 1, 1),
    FX(VirtIODevState, "virtio-dev", "vdev", 3, 2),
    FX(Scalars, "scalars", "scalars", 1, 1),
    FX(Shapes, "shapes", "shapes", 3, 2),
    FX(Constrained, "constrained", "c", 1, 1),
    FX(Queue, "queue", "q", 1, 1),
    FX(UARTState, "uart", "uart", 2, 1),
};

const guint fuzz_n_fixtures = G_N_ELEMENTS(fuzz_fixtures);

const FuzzFixture *fuzz_fixture_find(const char *type)
{
    for (guint i = 0; i < fuzz_n_fixtures; i++) {
        if (strcmp(fuzz_fixtures[i].type, type) == 0) {
            return &fuzz_fixtures[i];
        }
    }
    return NULL;
}

void *fuzz_fixture_new(const FuzzFixture *fx, guint seed)
{
    void *obj = g_malloc0(fx->size);

    fx->init(obj, seed);
    return obj;
}

void fuzz_fixture_free(const FuzzFixture *fx, void *obj)
{
    if (fx->release) {
        fx->release(obj, NULL);
    }
    g_free(obj);
}

GByteArray *fuzz_fixture_snapshot(const FuzzFixture *fx, void *obj)
{
    GByteArray *bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) v = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(GError) error = NULL;

    FUZZ_CHECK(fx->visit(v, fx->name, obj, &error) &&
               qidl_visitor_complete(v, &error),
               "a loaded %s does not save: %s", fx->type, error->message);
    return bytes;
}

gboolean fuzz_fixture_load_checked(const FuzzFixture *fx, QidlVisitor *v,
                                   void *obj)
{
    /* Saving runs pre_save hooks, which may update the state they save:
     * save first, then copy. */
    g_autoptr(GByteArray) enc_before = fuzz_fixture_snapshot(fx, obj);
    g_autofree void *before = g_memdup2(obj, fx->size);
    g_autoptr(GByteArray) enc_after = NULL;
    g_autoptr(GError) error = NULL;

    if (fx->load(v, fx->name, obj, &error)) {
        /* A loaded object saves again (its constraints hold). */
        g_autoptr(GByteArray) enc = fuzz_fixture_snapshot(fx, obj);

        (void)enc;
        return qidl_visitor_complete(v, NULL);
    }
    FUZZ_CHECK(error && error->domain == QIDL_ERROR, "%s: no QIDL error",
               fx->type);
    FUZZ_CHECK(memcmp(obj, before, fx->size) == 0,
               "%s: a failed load changed the object (%s)", fx->type,
               error->message);
    enc_after = fuzz_fixture_snapshot(fx, obj);
    FUZZ_CHECK(enc_after->len == enc_before->len &&
               memcmp(enc_after->data, enc_before->data,
                      enc_after->len) == 0,
               "%s: a failed load changed what the object owns (%s)",
               fx->type, error->message);
    return FALSE;
}
