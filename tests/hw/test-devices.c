/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Each device alone, migrated at every step.
 *
 * A harness owns one device (the PIC: the cascaded pair), its interrupt
 * lines and a clock, and runs a scripted driver against it for N steps,
 * logging everything the driver observes: interrupt line changes with
 * their time, every register read.  For every k in 0..N and every codec
 * (legacy, native stream, typed JSON, tree through the filters), a second
 * harness built the same way loads the state saved after k steps and runs
 * the rest; the first log's k steps followed by the second's must be the
 * unmigrated run's log exactly, and so must the final register values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include <qidl/json.h>
#include <qidl/legacy.h>
#include <qidl/stream.h>

#include "apic.qidl.h"
#include "i8254.qidl.h"
#include "i8259.qidl.h"
#include "machine.h"
#include "rtc.qidl.h"
#include "serial.qidl.h"


#define assert_error(e, d, c)                                              \
    do {                                                                   \
        assert_non_null(e);                                                \
        assert_int_equal((e)->domain, (d));                                \
        assert_int_equal((e)->code, (c));                                  \
    } while (0)

typedef struct Harness Harness;

typedef struct {
    const char *type;           /* the source's type name */
    const char *dst_type;       /* after the filters (tree codec) */
    const char *filters;        /* a rule file of hw/filters, or NULL */
    guint n_dev;
    guint32 version, min_version;
    gsize size;
    QidlVisitFunc visit;
    guint32 n_steps;
    int64_t step_ns;
    void (*init)(Harness *h);
    void (*script)(Harness *h);
    int64_t (*deadline)(Harness *h);
    void (*run_timers)(Harness *h, int64_t now);
    void (*pre_load)(void *dev);
    void (*observe)(Harness *h, GString *out);
} DeviceOps;

struct Harness {
    const DeviceOps *ops;
    int64_t now;
    guint32 step;
    GString *log;
    HwIrq irq[2];
    bool level[2];
    SerialBackend chr;
    RTCState rtc;
    SerialState serial;
    PICCommonState pic[2];
    PITCommonState pit;
    APICCommonState apic;
    void *dev[2];
    uint8_t inputs[2];          /* PIC input levels the script drives */
};

static void G_GNUC_PRINTF(2, 3) hlog(Harness *h, const char *fmt, ...)
{
    va_list ap;

    g_string_append_printf(h->log, "%04u %10" G_GINT64_FORMAT " ", h->step,
                           h->now);
    va_start(ap, fmt);
    g_string_append_vprintf(h->log, fmt, ap);
    va_end(ap);
    g_string_append_c(h->log, '\n');
}

static void irq_changed(void *opaque, int n, bool level)
{
    Harness *h = opaque;

    h->level[n] = level;
    hlog(h, "irq%d %d", n, level);
}

static Harness *harness_new(const DeviceOps *ops)
{
    Harness *h = g_new0(Harness, 1);

    h->ops = ops;
    h->log = g_string_new(NULL);
    for (int i = 0; i < 2; i++) {
        h->irq[i] = (HwIrq){ irq_changed, h, i };
    }
    ops->init(h);
    return h;
}

static void harness_free(Harness *h)
{
    g_string_free(h->log, TRUE);
    g_free(h);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Harness, harness_free)

static void harness_step(Harness *h)
{
    int64_t target = h->now + h->ops->step_ns, t;

    while ((t = h->ops->deadline(h)) >= 0 && t <= target) {
        if (t > h->now) {
            h->now = t;
        }
        h->ops->run_timers(h, h->now);
    }
    h->now = target;
    h->ops->script(h);
    h->step++;
}

static void harness_run(Harness *h, guint32 n)
{
    for (guint32 i = 0; i < n; i++) {
        harness_step(h);
    }
}

/* ---- codecs --------------------------------------------------------------- */

typedef enum { CODEC_LEGACY, CODEC_NATIVE, CODEC_JSON, CODEC_TREE } Codec;

static const char *codec_name[] = { "legacy", "native", "json", "tree" };

static char *dev_name(guint i)
{
    return g_strdup_printf("dev%u", i);
}

static void load_node(Harness *dst, guint i, const QidlNode *node)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QidlVisitor) in = qidl_tree_input_visitor_new(node, 0);
    g_autofree char *name = dev_name(i);

    if (!dst->ops->visit(in, name, dst->dev[i], &error) ||
        !qidl_visitor_complete(in, &error)) {
        fail_msg("load: %s", error->message);
    }
}

static void migrate(Harness *src, Harness *dst, Codec codec)
{
    const DeviceOps *ops = src->ops;
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < ops->n_dev; i++) {
        if (ops->pre_load) {
            ops->pre_load(dst->dev[i]);
        }
    }
    dst->now = src->now;
    dst->step = src->step;
    /* What the receiving end of the lines latched (in a machine, the
     * PIC's state) moves with the clock. */
    memcpy(dst->inputs, src->inputs, sizeof(dst->inputs));
    memcpy(dst->level, src->level, sizeof(dst->level));

    if (codec == CODEC_NATIVE) {
        g_autoptr(GByteArray) bytes = g_byte_array_new();
        g_autoptr(QidlStreamWriter) w =
            qidl_stream_writer_new(bytes, "test", "1", QIDL_STREAM_WRITE_ZSTD);

        for (guint i = 0; i < ops->n_dev; i++) {
            g_autofree char *name = dev_name(i);
            g_autofree char *path = g_strdup_printf("/t/%s", name);
            QidlVisitor *v = qidl_stream_writer_begin_device(w, ops->type, path,
                                                             ops->version);
            ops->visit(v, name, src->dev[i], NULL);
            assert_true(qidl_stream_writer_end_device(w, &error));
        }
        assert_true(qidl_stream_writer_finish(w, &error));
        g_autoptr(QidlTree) tree =
            qidl_stream_read_tree(bytes->data, bytes->len, NULL, &error);
        assert_non_null(tree);
        for (guint i = 0; i < ops->n_dev; i++) {
            load_node(dst, i, qidl_node_get_nth_child(
                                  qidl_tree_get_root(tree), i));
        }
        return;
    }
    if (codec == CODEC_TREE) {
        g_autoptr(QidlTree) tree = qidl_tree_new();
        g_autoptr(QidlFilterSet) filters = qidl_filter_set_new();

        for (guint i = 0; i < ops->n_dev; i++) {
            g_autofree char *name = dev_name(i);
            g_autofree char *path = g_strdup_printf("/t/%s", name);
            g_autoptr(QidlVisitor) out = qidl_tree_output_visitor_new(tree, NULL);

            assert_true(ops->visit(out, name, src->dev[i], &error));
            assert_true(qidl_visitor_complete(out, &error));
            qidl_node_set_device(qidl_tree_output_visitor_get_result(out),
                                 ops->type, path, ops->version);
        }
        if (ops->filters) {
            g_autofree char *file = g_build_filename(HW_FILTER_DIR,
                                                     ops->filters, NULL);
            assert_true(qidl_filter_set_load_rules_file(filters, file, &error));
            assert_true(qidl_filter_set_apply(filters, tree, NULL, &error));
        }
        for (guint i = 0; i < ops->n_dev; i++) {
            QidlNode *dev = qidl_node_get_nth_child(qidl_tree_get_root(tree), i);

            assert_string_equal(qidl_node_get_type_name(dev), ops->dst_type);
            load_node(dst, i, dev);
        }
        return;
    }
    for (guint i = 0; i < ops->n_dev; i++) {
        g_autofree char *name = dev_name(i);

        if (codec == CODEC_LEGACY) {
            g_autoptr(GByteArray) bytes = g_byte_array_new();
            g_autoptr(QidlVisitor) out = qidl_legacy_output_visitor_new(bytes);

            assert_true(ops->visit(out, name, src->dev[i], &error));
            assert_true(qidl_visitor_complete(out, &error));
            g_autoptr(QidlVisitor) in =
                qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0, 0);
            qidl_visitor_set_version(in, ops->version);
            if (!ops->visit(in, name, dst->dev[i], &error) ||
                !qidl_visitor_complete(in, &error)) {
                fail_msg("legacy load: %s", error->message);
            }
        } else {
            JsonNode *json = NULL;
            g_autoptr(QidlVisitor) out = qidl_json_output_visitor_new(&json);

            assert_true(ops->visit(out, name, src->dev[i], &error));
            assert_true(qidl_visitor_complete(out, &error));
            g_autofree char *text = qidl_json_to_string(json, FALSE);
            json_node_unref(json);
            g_autoptr(JsonNode) back = qidl_json_parse(text, -1, &error);
            assert_non_null(back);
            g_autoptr(QidlVisitor) in = qidl_json_input_visitor_new(back, 0,
                                                                    &error);
            assert_non_null(in);
            if (!ops->visit(in, name, dst->dev[i], &error) ||
                !qidl_visitor_complete(in, &error)) {
                fail_msg("json load: %s", error->message);
            }
        }
    }
}

static char *observe(Harness *h)
{
    GString *out = g_string_new(h->log->str);

    h->ops->observe(h, out);
    return g_string_free(out, FALSE);
}

static void check_every_step(const DeviceOps *ops)
{
    g_autoptr(Harness) ref = harness_new(ops);
    g_autofree char *expected = NULL;

    harness_run(ref, ops->n_steps);
    expected = observe(ref);
    for (int c = CODEC_LEGACY; c <= CODEC_TREE; c++) {
        for (guint32 k = 0; k <= ops->n_steps; k++) {
            g_autoptr(Harness) src = harness_new(ops);
            g_autoptr(Harness) dst = harness_new(ops);

            harness_run(src, k);
            g_string_truncate(dst->log, 0);
            migrate(src, dst, (Codec)c);
            harness_run(dst, ops->n_steps - k);
            g_autofree char *tail = observe(dst);
            g_autofree char *got = g_strconcat(src->log->str, tail, NULL);
            g_autofree char *diff = machine_log_diff(expected, got);
            if (diff) {
                fail_msg("%s %s, migrated at step %u: %s", ops->type,
                         codec_name[c], k, diff);
            }
        }
    }
}

/* ---- mc146818 RTC ----------------------------------------------------------- */

static void rtc_w(Harness *h, uint8_t reg, uint8_t val)
{
    rtc_ioport_write(&h->rtc, h->now, 0, reg);
    rtc_ioport_write(&h->rtc, h->now, 1, val);
}

static uint8_t rtc_r(Harness *h, uint8_t reg)
{
    rtc_ioport_write(&h->rtc, h->now, 0, reg);
    return rtc_ioport_read(&h->rtc, h->now, 1);
}

static void rtc_h_init(Harness *h)
{
    rtc_init(&h->rtc, &h->irq[0], MACHINE_RTC_EPOCH, 0);
    h->dev[0] = &h->rtc;
}

static void rtc_h_script(Harness *h)
{
    uint32_t s = h->step;

    /* Interrupts wait a step now and then, so the state saved between
     * steps sometimes holds a pending one. */
    if (h->level[0] && s % 3 != 1) {
        hlog(h, "c=%02x", rtc_r(h, RTC_REG_C));
    }
    switch (s) {
    case 0:
        rtc_w(h, RTC_REG_B, RTC_B_SET | RTC_B_24H);
        rtc_w(h, RTC_SECONDS, 0x58);
        rtc_w(h, RTC_MINUTES, 0x59);
        rtc_w(h, RTC_HOURS, 0x23);
        rtc_w(h, RTC_SECONDS_ALARM, 0x00);
        rtc_w(h, RTC_MINUTES_ALARM, 0xc0);        /* any minute */
        rtc_w(h, RTC_HOURS_ALARM, 0x00);
        rtc_w(h, RTC_REG_A, 0x2d);
        rtc_w(h, RTC_REG_B, RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_24H);
        break;
    case 50:
        rtc_w(h, RTC_REG_A, 0x2a);
        break;
    case 90:
        rtc_w(h, RTC_REG_B, RTC_B_PIE | RTC_B_UIE | RTC_B_DM);  /* 12 h */
        break;
    case 110:
        rtc_w(h, RTC_REG_A, 0x76);                  /* divider reset */
        break;
    case 120:
        rtc_w(h, RTC_REG_A, 0x26);                  /* runs again */
        break;
    case 140:
        rtc_w(h, RTC_SECONDS, 30);
        rtc_w(h, 0x40, 0x5a);                       /* NVRAM */
        break;
    default:
        break;
    }
    if (s % 7 == 3) {
        hlog(h, "time %02x:%02x:%02x a=%02x b=%02x nv=%02x",
             rtc_r(h, RTC_HOURS), rtc_r(h, RTC_MINUTES),
             rtc_r(h, RTC_SECONDS), rtc_r(h, RTC_REG_A), rtc_r(h, RTC_REG_B),
             rtc_r(h, 0x40));
    }
}

static int64_t rtc_h_deadline(Harness *h)
{
    return rtc_next_deadline(&h->rtc);
}

static void rtc_h_run(Harness *h, int64_t now)
{
    rtc_run_timers(&h->rtc, now);
}

static void rtc_h_pre_load(void *dev)
{
    rtc_pre_load(dev);
}

static void rtc_h_observe(Harness *h, GString *out)
{
    for (int i = 0; i < 128; i++) {
        if (i != RTC_REG_C) {
            g_string_append_printf(out, "%02x", rtc_r(h, (uint8_t)i));
        }
    }
    g_string_append_printf(out, "\nnext %" G_GINT64_FORMAT "\n",
                           rtc_next_deadline(&h->rtc));
}

static gboolean visit_rtc(QidlVisitor *v, const char *n, void *o, GError **e)
{
    return qidl_visit_RTCState(v, n, o, e);
}

static const DeviceOps rtc_ops = {
    .type = "mc146818rtc", .dst_type = "mc146818rtc", .n_dev = 1,
    .version = 3, .min_version = 1, .size = sizeof(RTCState),
    .visit = visit_rtc, .n_steps = 160, .step_ns = 10 * 1000 * 1000,
    .init = rtc_h_init, .script = rtc_h_script, .deadline = rtc_h_deadline,
    .run_timers = rtc_h_run, .pre_load = rtc_h_pre_load,
    .observe = rtc_h_observe,
};

static void test_rtc__migrate_every_step(void **state)
{
    (void)state;
    check_every_step(&rtc_ops);
}

/* ---- 16550A UART ------------------------------------------------------------ */

static void uart_backend(void *opaque, int64_t now, uint8_t byte)
{
    Harness *h = opaque;

    (void)now;
    hlog(h, "tx %02x", byte);
}

static void uart_w(Harness *h, uint32_t reg, uint8_t val)
{
    serial_ioport_write(&h->serial, h->now, reg, val);
}

static uint8_t uart_r(Harness *h, uint32_t reg)
{
    return serial_ioport_read(&h->serial, h->now, reg);
}

static void uart_h_init(Harness *h)
{
    h->chr = (SerialBackend){ uart_backend, h };
    serial_init(&h->serial, &h->irq[0], &h->chr);
    h->dev[0] = &h->serial;
}

static void uart_service(Harness *h)
{
    for (int n = 0; n < 8 && h->level[0]; n++) {
        uint8_t iir = uart_r(h, 2);

        hlog(h, "iir %02x", iir);
        switch (iir & 0x0f) {
        case UART_IIR_RLSI:
            hlog(h, "lsr %02x", uart_r(h, 5));
            break;
        case UART_IIR_RDI:
        case UART_IIR_CTI:
            while (uart_r(h, 5) & UART_LSR_DR) {
                hlog(h, "rx %02x", uart_r(h, 0));
            }
            break;
        case UART_IIR_MSI:
            hlog(h, "msr %02x", uart_r(h, 6));
            break;
        default:
            break;
        }
    }
}

static void uart_h_script(Harness *h)
{
    uint32_t s = h->step;

    if (s % 4 != 3) {
        uart_service(h);
    }
    switch (s) {
    case 0:
        uart_w(h, 3, UART_LCR_DLAB);
        uart_w(h, 0, 12);                       /* 9600 baud */
        uart_w(h, 1, 0);
        uart_w(h, 3, 0x03);
        uart_w(h, 2, 0x87);                     /* FIFO, trigger 8 */
        uart_w(h, 1, 0x0f);
        uart_w(h, 4, UART_MCR_LOOP | UART_MCR_OUT2 | 0x03);
        break;
    case 40:
        for (int i = 0; i < 20; i++) {
            uart_w(h, 0, (uint8_t)(0x80 + i));  /* overruns the FIFO */
        }
        break;
    case 60:
        uart_w(h, 2, 0x47);                     /* trigger 4 */
        uart_w(h, 3, 0x1f);                     /* 8E2: longer characters */
        break;
    case 80:
        uart_w(h, 2, 0x00);                     /* FIFOs off */
        break;
    case 100:
        uart_w(h, 4, UART_MCR_LOOP | UART_MCR_OUT2 | 0x04);   /* OUT1 */
        break;
    case 105:
        uart_w(h, 4, UART_MCR_LOOP | 0x01);
        break;
    case 110:
        uart_w(h, 2, 0xc7);                     /* FIFO, trigger 14 */
        break;
    case 120:
        uart_w(h, 4, UART_MCR_OUT2);            /* loopback off */
        break;
    case 130:
        uart_w(h, 3, 0x43);                     /* break */
        uart_w(h, 7, 0xa5);
        hlog(h, "scr %02x lcr %02x", uart_r(h, 7), uart_r(h, 3));
        uart_w(h, 3, 0x03);
        break;
    default:
        break;
    }
    if (s % 3 == 1) {
        uart_w(h, 0, (uint8_t)('a' + s % 26));
    }
    if (s % 20 == 5) {
        for (int i = 0; i < 10; i++) {
            uart_w(h, 0, (uint8_t)('A' + i));
        }
    }
    if (s % 9 == 4) {
        hlog(h, "lsr %02x ier %02x mcr %02x", uart_r(h, 5), uart_r(h, 1),
             uart_r(h, 4));
    }
}

static int64_t uart_h_deadline(Harness *h)
{
    return serial_next_deadline(&h->serial);
}

static void uart_h_run(Harness *h, int64_t now)
{
    serial_run_timers(&h->serial, now);
}

static void uart_h_pre_load(void *dev)
{
    serial_pre_load(dev);
}

static void uart_h_observe(Harness *h, GString *out)
{
    g_string_append_printf(out, "ier %02x iir %02x lcr %02x mcr %02x "
                           "lsr %02x msr %02x scr %02x next %" G_GINT64_FORMAT
                           "\n", uart_r(h, 1), h->serial.iir, uart_r(h, 3),
                           uart_r(h, 4), h->serial.lsr, h->serial.msr,
                           uart_r(h, 7), serial_next_deadline(&h->serial));
}

static gboolean visit_serial(QidlVisitor *v, const char *n, void *o,
                             GError **e)
{
    return qidl_visit_SerialState(v, n, o, e);
}

static const DeviceOps uart_ops = {
    .type = "isa-serial", .dst_type = "isa-serial", .n_dev = 1,
    .version = 3, .min_version = 2, .size = sizeof(SerialState),
    .visit = visit_serial, .n_steps = 150, .step_ns = 1000 * 1000,
    .init = uart_h_init, .script = uart_h_script,
    .deadline = uart_h_deadline, .run_timers = uart_h_run,
    .pre_load = uart_h_pre_load, .observe = uart_h_observe,
};

static void test_serial__migrate_every_step(void **state)
{
    (void)state;
    check_every_step(&uart_ops);
}

/* ---- i8259 pair ---------------------------------------------------------------- */

static void pic_slave_int(void *opaque, int n, bool level)
{
    Harness *h = opaque;

    (void)n;
    pic_set_irq(&h->pic[0], 2, level);
}

static void pic_h_init(Harness *h)
{
    h->irq[1] = (HwIrq){ pic_slave_int, h, 2 };
    pic_init(&h->pic[0], true, &h->irq[0]);
    pic_init(&h->pic[1], false, &h->irq[1]);
    h->dev[0] = &h->pic[0];
    h->dev[1] = &h->pic[1];
}

static void pic_line(Harness *h, int irq, bool level)
{
    uint8_t bit = (uint8_t)(1 << (irq & 7));
    int chip = irq >> 3;

    if (level) {
        h->inputs[chip] |= bit;
    } else {
        h->inputs[chip] &= ~bit;
    }
    pic_set_irq(&h->pic[chip], irq & 7, level);
}

static void pic_init_pair(Harness *h, bool aeoi)
{
    pic_ioport_write(&h->pic[0], 0, 0x11);
    pic_ioport_write(&h->pic[0], 1, 0x20);
    pic_ioport_write(&h->pic[0], 1, 0x04);
    pic_ioport_write(&h->pic[0], 1, aeoi ? 0x03 : 0x01);
    pic_ioport_write(&h->pic[1], 0, 0x11);
    pic_ioport_write(&h->pic[1], 1, 0x28);
    pic_ioport_write(&h->pic[1], 1, 0x02);
    pic_ioport_write(&h->pic[1], 1, 0x01);
}

static void pic_h_script(Harness *h)
{
    uint32_t s = h->step;
    int mode = s < 30 ? 0 : s < 50 ? 1 : s < 70 ? 2 : 0;

    switch (s) {
    case 0:
        pic_init_pair(h, false);
        pic_elcr_write(&h->pic[1], 0x08);       /* IRQ 11 level */
        pic_elcr_write(&h->pic[0], 0x20);       /* IRQ 5 level */
        break;
    case 70:
        pic_init_pair(h, true);
        pic_ioport_write(&h->pic[0], 0, 0x80);  /* rotate in AEOI */
        break;
    case 85:
        pic_init_pair(h, false);
        break;
    case 90:
        pic_ioport_write(&h->pic[0], 1, 0x30);  /* mask 4 and 5 */
        pic_ioport_write(&h->pic[0], 0, 0x68);  /* special mask on */
        break;
    case 100:
        pic_ioport_write(&h->pic[0], 0, 0x48);  /* special mask off */
        pic_ioport_write(&h->pic[0], 1, 0x00);
        pic_ioport_write(&h->pic[0], 0, 0xc4);  /* IRQ 5 first */
        break;
    default:
        break;
    }
    /* Devices: edges and levels on a pseudo-random walk of inputs. */
    int irq = (int)((s * 7 + 3) % 16);
    if (irq != 2) {
        pic_line(h, irq, !(h->inputs[irq >> 3] & (1 << (irq & 7))));
    }
    if (s % 6 == 0) {
        pic_line(h, 11, true);
    } else if (s % 6 == 3) {
        pic_line(h, 11, false);
    }
    if (s >= 105 && s % 4 == 1) {
        uint8_t p;

        pic_ioport_write(&h->pic[0], 0, 0x0c);  /* poll */
        p = pic_ioport_read(&h->pic[0], 0);
        hlog(h, "poll %02x", p);
        if (p & 0x80) {
            pic_ioport_write(&h->pic[0], 0, 0x60 | (p & 7));
        }
    }
    /* The CPU: acknowledge while INT is up, EOI by the mode of the day;
     * every fifth interrupt stays in service until the next step. */
    for (int n = 0; n < 4 && pic_get_irq(&h->pic[0]) >= 0; n++) {
        uint8_t vec = i8259_pair_ack(&h->pic[0], &h->pic[1]);
        static const uint8_t eoi[3] = { 0x20, 0xa0, 0x60 };

        hlog(h, "vector %02x", vec);
        if ((s + (uint32_t)n) % 5 == 0) {
            continue;
        }
        if (vec >= 0x28) {
            pic_ioport_write(&h->pic[1], 0, (uint8_t)(eoi[mode] |
                             (mode == 2 ? vec - 0x28 : 0)));
        }
        pic_ioport_write(&h->pic[0], 0, (uint8_t)(eoi[mode] |
                         (mode == 2 ? (vec >= 0x28 ? 2 : vec - 0x20) : 0)));
    }
    if (s % 5 == 2) {
        pic_ioport_write(&h->pic[0], 0, 0x0a);
        uint8_t irr = pic_ioport_read(&h->pic[0], 0);
        pic_ioport_write(&h->pic[0], 0, 0x0b);
        hlog(h, "irr %02x isr %02x imr %02x slave isr %02x", irr,
             pic_ioport_read(&h->pic[0], 0), pic_ioport_read(&h->pic[0], 1),
             h->pic[1].isr);
    }
    if (s % 10 == 9) {
        /* End every interrupt still in service. */
        pic_ioport_write(&h->pic[1], 0, 0x20);
        pic_ioport_write(&h->pic[1], 0, 0x20);
        pic_ioport_write(&h->pic[0], 0, 0x20);
        pic_ioport_write(&h->pic[0], 0, 0x20);
    }
}

static int64_t pic_h_deadline(Harness *h)
{
    (void)h;
    return HW_TIMER_OFF;
}

static void pic_h_run(Harness *h, int64_t now)
{
    (void)h;
    (void)now;
}

static void pic_h_observe(Harness *h, GString *out)
{
    for (int i = 0; i < 2; i++) {
        PICCommonState *p = &h->pic[i];

        g_string_append_printf(out, "pic%d irr %02x isr %02x imr %02x "
                               "prio %d get %d elcr %02x\n", i, p->irr,
                               p->isr, p->imr, p->priority_add,
                               pic_get_irq(p), pic_elcr_read(p));
    }
}

static gboolean visit_pic(QidlVisitor *v, const char *n, void *o, GError **e)
{
    return qidl_visit_PICCommonState(v, n, o, e);
}

static const DeviceOps pic_ops = {
    .type = "isa-i8259", .dst_type = "isa-i8259", .n_dev = 2,
    .version = 1, .min_version = 1, .size = sizeof(PICCommonState),
    .visit = visit_pic, .n_steps = 120, .step_ns = 1000 * 1000,
    .init = pic_h_init, .script = pic_h_script, .deadline = pic_h_deadline,
    .run_timers = pic_h_run, .observe = pic_h_observe,
};

static void test_i8259__migrate_every_step(void **state)
{
    (void)state;
    check_every_step(&pic_ops);
}

/* ---- i8254 PIT ---------------------------------------------------------------- */

static void pit_h_init(Harness *h)
{
    pit_init(&h->pit, &h->irq[0], 0);
    h->dev[0] = &h->pit;
}

static void pit_prog(Harness *h, int ch, int mode, int access, uint16_t count)
{
    pit_ioport_write(&h->pit, h->now, 3,
                     (uint8_t)((ch << 6) | (access << 4) | (mode << 1)));
    if (access & 1) {
        pit_ioport_write(&h->pit, h->now, (uint32_t)ch, count & 0xff);
    }
    if (access & 2) {
        pit_ioport_write(&h->pit, h->now, (uint32_t)ch, count >> 8);
    }
}

static void pit_h_script(Harness *h)
{
    uint32_t s = h->step;

    switch (s) {
    case 0:
        pit_prog(h, 0, 2, 3, 5000);
        break;
    case 10:
        pit_prog(h, 1, 3, 3, 3000);
        break;
    case 20:
        pit_set_gate(&h->pit, h->now, 2, true);
        pit_prog(h, 2, 0, 3, 10000);
        break;
    case 30:
        pit_prog(h, 2, 1, 3, 2000);
        pit_set_gate(&h->pit, h->now, 2, false);
        pit_set_gate(&h->pit, h->now, 2, true);
        break;
    case 45:
        pit_prog(h, 2, 4, 3, 1500);
        break;
    case 60:
        pit_prog(h, 2, 5, 3, 2500);
        pit_set_gate(&h->pit, h->now, 2, false);
        pit_set_gate(&h->pit, h->now, 2, true);
        break;
    case 75:
        pit_prog(h, 0, 0, 3, 20000);
        break;
    case 90:
        pit_prog(h, 0, 3, 3, 7001);
        break;
    case 110:
        pit_prog(h, 0, 4, 3, 3000);
        break;
    case 120:
        pit_prog(h, 0, 1, 3, 4000);
        pit_set_gate(&h->pit, h->now, 0, false);
        pit_set_gate(&h->pit, h->now, 0, true);
        break;
    case 135:
        pit_prog(h, 0, 2, 1, 200);              /* LSB only */
        pit_prog(h, 1, 3, 2, 0x1000);           /* MSB only */
        break;
    default:
        break;
    }
    /* Counter latch then a word read, on a rotating channel. */
    int ch = (int)(s % 3);
    pit_ioport_write(&h->pit, h->now, 3, (uint8_t)(ch << 6));
    uint8_t lo = pit_ioport_read(&h->pit, h->now, (uint32_t)ch);
    if (s % 7 == 3) {
        /* the latch survives reprogramming-free time: read it later */
        hlog(h, "ch%d half %02x", ch, lo);
        return;
    }
    uint8_t hi = pit_ioport_read(&h->pit, h->now, (uint32_t)ch);
    hlog(h, "ch%d latched %u", ch, lo | (hi << 8));
    if (s % 4 == 0) {
        pit_ioport_write(&h->pit, h->now, 3, 0xce);   /* read back all */
        for (int i = 0; i < 3; i++) {
            uint8_t st = pit_ioport_read(&h->pit, h->now, (uint32_t)i);
            uint8_t l = pit_ioport_read(&h->pit, h->now, (uint32_t)i);
            uint8_t u = pit_ioport_read(&h->pit, h->now, (uint32_t)i);
            hlog(h, "ch%d status %02x count %u out %d", i, st, l | (u << 8),
                 pit_get_out(&h->pit, i, h->now));
        }
    }
    if (s % 5 == 1) {
        hlog(h, "ch1 live %02x", pit_ioport_read(&h->pit, h->now, 1));
    }
}

static int64_t pit_h_deadline(Harness *h)
{
    return pit_next_deadline(&h->pit);
}

static void pit_h_run(Harness *h, int64_t now)
{
    pit_run_timers(&h->pit, now);
}

static void pit_h_observe(Harness *h, GString *out)
{
    for (int i = 0; i < 3; i++) {
        g_string_append_printf(out, "ch%d out %d gate %d mode %u\n", i,
                               pit_get_out(&h->pit, i, h->now),
                               pit_get_gate(&h->pit, i),
                               h->pit.channels[i].mode);
    }
}

static gboolean visit_pit(QidlVisitor *v, const char *n, void *o, GError **e)
{
    return qidl_visit_PITCommonState(v, n, o, e);
}

static const DeviceOps pit_ops = {
    .type = "isa-pit", .dst_type = "isa-pit", .n_dev = 1,
    .version = 3, .min_version = 2, .size = sizeof(PITCommonState),
    .visit = visit_pit, .n_steps = 150, .step_ns = 1000 * 1000,
    .init = pit_h_init, .script = pit_h_script, .deadline = pit_h_deadline,
    .run_timers = pit_h_run, .observe = pit_h_observe,
};

static void test_i8254__migrate_every_step(void **state)
{
    (void)state;
    check_every_step(&pit_ops);
}

/* ---- local APIC (kvm-apic, loaded as apic through the filter) ----------------- */

static void apic_h_init(Harness *h)
{
    apic_init(&h->apic, 0);
    h->dev[0] = &h->apic;
}

static void apic_w(Harness *h, uint32_t off, uint32_t val)
{
    apic_mem_write(&h->apic, h->now, off, val);
}

static uint32_t apic_r(Harness *h, uint32_t off)
{
    return apic_mem_read(&h->apic, h->now, off);
}

static void apic_h_script(Harness *h)
{
    uint32_t s = h->step;

    switch (s) {
    case 0:
        apic_w(h, 0xf0, APIC_SV_ENABLE | 0xff);
        apic_w(h, 0x3e0, 0x0);                  /* /2 */
        apic_w(h, 0x320, APIC_LVT_TIMER_PERIODIC | 0x40);
        apic_w(h, 0x380, 1500000);              /* 3 ms */
        break;
    case 20:
        apic_w(h, 0x80, 0x60);
        break;
    case 35:
        apic_w(h, 0x80, 0x00);
        break;
    case 50:
        apic_w(h, 0x320, 0x41);                 /* one-shot */
        apic_w(h, 0x380, 4000000);
        break;
    case 70:
        apic_w(h, 0x3e0, 0x2);                  /* /8 */
        apic_w(h, 0x320, APIC_LVT_TIMER_PERIODIC | 0x42);
        apic_w(h, 0x380, 300000);
        break;
    case 90:
        apic_w(h, 0x320, APIC_LVT_MASKED | APIC_LVT_TIMER_PERIODIC | 0x42);
        break;
    case 100:
        apic_w(h, 0x320, APIC_LVT_TIMER_PERIODIC | 0x42);
        break;
    case 110:
        apic_deliver(&h->apic, 5);              /* illegal vector */
        hlog(h, "esr %08x", apic_r(h, 0x280));
        apic_w(h, 0x280, 0);
        break;
    default:
        break;
    }
    if (s % 10 == 3) {
        apic_w(h, 0x310, 0);
        apic_w(h, 0x300, (1u << 18) | (0x50 + 0x10 * ((s / 10) % 4)));
    }
    for (int n = 0; n < 4; n++) {
        int v = apic_get_pending(&h->apic);

        if (v < 0) {
            break;
        }
        apic_ack(&h->apic, v);
        hlog(h, "vector %02x", v);
        if ((s + (uint32_t)n) % 5 != 0) {
            apic_w(h, 0xb0, 0);
        }
    }
    if (s % 4 == 1) {
        hlog(h, "ccr %u ppr %02x isr %08x %08x irr %08x %08x", apic_r(h, 0x390),
             apic_r(h, 0xa0), apic_r(h, 0x120), apic_r(h, 0x140),
             apic_r(h, 0x220), apic_r(h, 0x240));
    }
    if (s % 10 == 9) {
        while (apic_r(h, 0x120) | apic_r(h, 0x140) | apic_r(h, 0x150) |
               apic_r(h, 0x160) | apic_r(h, 0x170)) {
            apic_w(h, 0xb0, 0);
        }
    }
}

static int64_t apic_h_deadline(Harness *h)
{
    return apic_next_deadline(&h->apic);
}

static void apic_h_run(Harness *h, int64_t now)
{
    apic_run_timers(&h->apic, now);
}

static void apic_h_observe(Harness *h, GString *out)
{
    g_string_append_printf(out, "tpr %02x ppr %02x ccr %u lvt %08x next %"
                           G_GINT64_FORMAT "\n", apic_r(h, 0x80),
                           apic_r(h, 0xa0), apic_r(h, 0x390),
                           apic_r(h, 0x320), apic_next_deadline(&h->apic));
}

static gboolean visit_apic(QidlVisitor *v, const char *n, void *o, GError **e)
{
    return qidl_visit_APICCommonState(v, n, o, e);
}

static const DeviceOps apic_ops = {
    .type = "kvm-apic", .dst_type = "apic", .filters = "kvm-apic-to-apic.json",
    .n_dev = 1, .version = 3, .min_version = 3,
    .size = sizeof(APICCommonState), .visit = visit_apic, .n_steps = 130,
    .step_ns = 1000 * 1000, .init = apic_h_init, .script = apic_h_script,
    .deadline = apic_h_deadline, .run_timers = apic_h_run,
    .observe = apic_h_observe,
};

static void test_apic__migrate_every_step(void **state)
{
    (void)state;
    check_every_step(&apic_ops);
}

/* ---- bounds on loaded values ---------------------------------------------------- */

/* A device saved to a tree, one field changed, loaded atomically. */
static void load_edited(const char *path, guint64 value, gboolean is_signed,
                        void *obj, gsize size, QidlVisitFunc visit,
                        const char *expect)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) out = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree void *before = NULL, *scratch = NULL;
    QidlNode *n;

    /* (Saving runs the pre_save hook, so copies are taken after.) */
    assert_true(visit(out, "dev", obj, &error));
    assert_true(qidl_visitor_complete(out, &error));
    before = g_memdup2(obj, size);
    scratch = g_memdup2(obj, size);
    n = qidl_node_find(qidl_tree_get_root(tree), path);
    assert_non_null(n);
    if (is_signed) {
        assert_true(qidl_node_set_int(n, (gint64)value, &error));
    } else {
        assert_true(qidl_node_set_uint(n, value, &error));
    }
    g_autoptr(QidlVisitor) in =
        qidl_tree_input_visitor_new(qidl_tree_output_visitor_get_result(out),
                                    0);
    assert_false(visit(in, "dev", scratch, &error));
    assert_error(error, QIDL_ERROR, QIDL_ERROR_CONSTRAINT);
    assert_string_equal(error->message, expect);
    /* What a loader commits is the scratch copy only on success. */
    assert_memory_equal(obj, before, size);
}

static void test_devices__loaded_indices_are_bounded_fail(void **state)
{
    RTCState rtc;
    SerialState uart;
    PITCommonState pit;
    APICCommonState apic;

    (void)state;
    rtc_init(&rtc, NULL, MACHINE_RTC_EPOCH, 0);
    load_edited("dev.cmos_index", 128, FALSE, &rtc, sizeof(rtc), visit_rtc,
                "dev.cmos_index: 128 is not an index of cmos_data "
                "(128 elements)");
    serial_init(&uart, NULL, NULL);
    uart.recv_fifo.num = 3;             /* so that the subsection is saved */
    uart.fcr = UART_FCR_FE;
    load_edited("dev.serial/recv_fifo.recv_fifo.head", 16, FALSE, &uart,
                sizeof(uart), visit_serial,
                "dev.serial/recv_fifo.recv_fifo.head: 16 is not an index of "
                "data (16 elements)");
    pit_init(&pit, NULL, 0);
    load_edited("dev.channels[1].mode", 6, FALSE, &pit, sizeof(pit), visit_pit,
                "dev.channels[1].mode: 6 is not in range 0..5");
    load_edited("dev.channels[2].count", 0, TRUE, &pit, sizeof(pit), visit_pit,
                "dev.channels[2].count: 0 is not in range 1..0x10000");
    apic_init(&apic, 0);
    load_edited("dev.count_shift", 9, TRUE, &apic, sizeof(apic), visit_apic,
                "dev.count_shift: 9 is not in range 0..7");
}

static void test_serial__absent_subsections_take_reset_values(void **state)
{
    SerialState a, b;
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) out = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(GError) error = NULL;

    (void)state;
    serial_init(&a, NULL, NULL);
    serial_init(&b, NULL, NULL);
    /* Idle UART: 11 bytes of fields and no subsection at all, as QEMU. */
    assert_true(qidl_visit_SerialState(out, "serial", &a, &error));
    assert_true(qidl_visitor_complete(out, &error));
    assert_int_equal(bytes->len, 11);
    b.thr_ipending = 7;
    serial_pre_load(&b);
    g_autoptr(QidlVisitor) in =
        qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0, 0);
    qidl_visitor_set_version(in, 3);
    assert_true(qidl_visit_SerialState(in, "serial", &b, &error));
    assert_int_equal(b.thr_ipending, 0);
    assert_int_equal(b.poll_msl, -1);
    assert_int_equal(b.fifo_timeout_timer, HW_TIMER_OFF);
}

/* ---- hostile but valid loaded state ------------------------------------------ */

/*
 * States that satisfy every constraint of the device but that no run of
 * it produces: a load time far below zero or ahead of the clock, a
 * deadline far behind the clock, a clock near its end, an RTC base of
 * 2^64 - 1 seconds.  The device must load them and then compute without
 * overflowing and without firing every missed period one by one
 * (docs/security.md, findings 7-10).  Expected values are worked out
 * independently of the device code (8254 and APIC timer arithmetic,
 * calendar dates from Python's datetime).
 */

/* An interrupt line that records its changes: "1" / "0", one per change. */
typedef struct {
    HwIrq line;
    GString *levels;
} IrqLog;

static void irq_log_set(void *opaque, int n, bool level)
{
    IrqLog *l = opaque;

    (void)n;
    g_string_append_c(l->levels, level ? '1' : '0');
}

static void irq_log_init(IrqLog *l)
{
    l->line = (HwIrq){ irq_log_set, l, 0 };
    l->levels = g_string_new(NULL);
}

typedef struct {
    const char *path;
    gint64 value;               /* an unsigned field's bits */
} Edit;

/* Saves @obj to a tree, applies @edits, loads it back into @obj. */
static void load_hostile(void *obj, QidlVisitFunc visit, const Edit *edits,
                         guint n_edits)
{
    g_autoptr(QidlTree) tree = qidl_tree_new();
    g_autoptr(QidlVisitor) out = qidl_tree_output_visitor_new(tree, NULL);
    g_autoptr(QidlVisitor) in = NULL;
    g_autoptr(GError) error = NULL;

    assert_true(visit(out, "dev", obj, &error));
    assert_true(qidl_visitor_complete(out, &error));
    for (guint i = 0; i < n_edits; i++) {
        QidlNode *n = qidl_node_find(qidl_tree_get_root(tree),
                                     edits[i].path);

        assert_non_null(n);
        if (qidl_node_get_kind(n) == QIDL_KIND_UINT64) {
            assert_true(qidl_node_set_uint(n, (guint64)edits[i].value,
                                           &error));
        } else {
            assert_true(qidl_node_set_int(n, edits[i].value, &error));
        }
    }
    in = qidl_tree_input_visitor_new(
        qidl_tree_output_visitor_get_result(out), 0);
    if (!visit(in, "dev", obj, &error) ||
        !qidl_visitor_complete(in, &error)) {
        fail_msg("load: %s", error->message);
    }
}

/* Channel 0 in mode 2 (rate generator), count 1000, loaded at time 0. */
static void pit_rate_1000(PITCommonState *pit, IrqLog *irq)
{
    irq_log_init(irq);
    pit_init(pit, &irq->line, 0);
    pit_ioport_write(pit, 0, 3, 0x34);
    pit_ioport_write(pit, 0, 0, 1000 & 0xff);
    pit_ioport_write(pit, 0, 0, 1000 >> 8);
    g_string_truncate(irq->levels, 0);
}

static uint16_t pit_read_count0(PITCommonState *pit, int64_t now)
{
    uint8_t lo;

    pit_ioport_write(pit, now, 3, 0x00);        /* latch channel 0 */
    lo = pit_ioport_read(pit, now, 0);
    return (uint16_t)(lo | pit_ioport_read(pit, now, 0) << 8);
}

/*
 * Finding 7: count_load_time = INT64_MIN, 2^63 ns before time 0.  The
 * post-load hook and every later read compute the ticks since then
 * (11005161493678455 at time 5) without overflowing.
 */
static void test_i8254__load_time_far_below_zero(void **state)
{
    PITCommonState pit;
    IrqLog irq;
    const Edit edits[] = {
        { "dev.channels[0].count_load_time", INT64_MIN },
        { "dev.irq_timer", 5 },
    };

    (void)state;
    pit_rate_1000(&pit, &irq);
    load_hostile(&pit, visit_pit, edits, G_N_ELEMENTS(edits));
    assert_true(pit.irq_level);
    assert_int_equal(pit_next_deadline(&pit), 5);
    pit_run_timers(&pit, 5);
    assert_string_equal(irq.levels->str, "");
    assert_int_equal(pit_next_deadline(&pit), 456672);
    assert_int_equal(pit_read_count0(&pit, 5), 545);
    g_string_free(irq.levels, TRUE);
}

/*
 * Finding 10: a deadline 2^62 ns (146 years) behind the clock.  The PIT
 * fires the two transitions due first (the output goes low at tick 1000,
 * 838096 ns, and would go high at tick 1001), then goes straight to the
 * state at the clock: output high, next transition at tick
 * 5502580746840000, count 773; not the 1.1 * 10^13 missed transitions
 * one by one.
 */
static void test_i8254__deadline_far_behind_clock(void **state)
{
    PITCommonState pit;
    IrqLog irq;
    const Edit edits[] = { { "dev.irq_timer", 5 } };
    const int64_t now = INT64_C(1) << 62;

    (void)state;
    pit_rate_1000(&pit, &irq);
    load_hostile(&pit, visit_pit, edits, G_N_ELEMENTS(edits));
    pit_run_timers(&pit, now);
    assert_string_equal(irq.levels->str, "01");
    assert_int_equal(pit_next_deadline(&pit), INT64_C(4611686018428035288));
    assert_int_equal(pit_read_count0(&pit, now), 773);

    /* At the end of the clock the next transition would come after
     * INT64_MAX: there is none. */
    g_string_truncate(irq.levels, 0);
    load_hostile(&pit, visit_pit, edits, G_N_ELEMENTS(edits));
    pit_run_timers(&pit, INT64_MAX);
    assert_string_equal(irq.levels->str, "01");
    assert_int_equal(pit_next_deadline(&pit), HW_TIMER_OFF);
    assert_int_equal(pit_read_count0(&pit, INT64_MAX), 545);
    g_string_free(irq.levels, TRUE);
}

/* Periodic timer, vector 0x40, divide by 16, initial count 1000 at 0. */
static void apic_periodic_1000(APICCommonState *apic)
{
    apic_init(apic, 0);
    apic_mem_write(apic, 0, 0xf0, 0x1ff);          /* software enable */
    apic_mem_write(apic, 0, 0x320, APIC_LVT_TIMER_PERIODIC | 0x40);
    apic_mem_write(apic, 0, 0x3e0, 0x3);
    apic_mem_write(apic, 0, 0x380, 1000);
    assert_int_equal(apic_next_deadline(apic), 16000);
}

/*
 * Finding 8: the initial count loaded at 10^9 ns, ahead of the clock
 * (the timer has not started counting), and expired at 10 ns: no ticks
 * yet, so the current count is the initial count and the next expiry a
 * whole period after the load.  Then (finding 10) an expiry 2^62 ns
 * behind the clock: one delivery, the timer re-armed after the clock;
 * and expiries past INT64_MAX: none.
 */
static void test_apic__timer_load_time_ahead_and_behind(void **state)
{
    APICCommonState apic;
    const Edit ahead[] = {
        { "dev.initial_count_load_time", 1000000000 },
        { "dev.timer_expiry", 10 },
    };
    const Edit behind[] = { { "dev.timer_expiry", 16000 } };
    const Edit ends[] = {
        { "dev.initial_count_load_time", INT64_MIN },
        { "dev.timer_expiry", 16000 },
    };
    const int64_t now = INT64_C(1) << 62;

    (void)state;
    apic_periodic_1000(&apic);
    load_hostile(&apic, visit_apic, ahead, G_N_ELEMENTS(ahead));
    apic_run_timers(&apic, 10);
    assert_int_equal(apic_next_deadline(&apic), 1000016000);
    assert_int_equal(apic_mem_read(&apic, 10, 0x390), 1000);
    assert_int_equal(apic_get_pending(&apic), 0x40);

    apic_periodic_1000(&apic);
    load_hostile(&apic, visit_apic, behind, G_N_ELEMENTS(behind));
    apic_run_timers(&apic, now);
    assert_int_equal(apic_next_deadline(&apic),
                     INT64_C(4611686018427392000));
    assert_int_equal(apic_mem_read(&apic, now, 0x390), 256);
    assert_int_equal(apic_get_pending(&apic), 0x40);

    apic_periodic_1000(&apic);
    load_hostile(&apic, visit_apic, ends, G_N_ELEMENTS(ends));
    apic_run_timers(&apic, INT64_MAX);
    assert_int_equal(apic_next_deadline(&apic), HW_TIMER_OFF);
    assert_int_equal(apic_get_pending(&apic), 0x40);
}

static void assert_rtc_time(RTCState *rtc, int64_t now, const char *expect)
{
    static const uint8_t regs[] = {
        RTC_CENTURY, RTC_YEAR, RTC_MONTH, RTC_DAY_OF_MONTH, RTC_HOURS,
        RTC_MINUTES, RTC_SECONDS, RTC_DAY_OF_WEEK,
    };
    g_autoptr(GString) got = g_string_new(NULL);

    for (guint i = 0; i < G_N_ELEMENTS(regs); i++) {
        rtc_ioport_write(rtc, now, 0, regs[i]);
        g_string_append_printf(got, "%02x", rtc_ioport_read(rtc, now, 1));
    }
    assert_string_equal(got->str, expect);
}

/*
 * Finding 9: base_rtc seconds whose nanoseconds do not fit in 64 bits.
 * The RTC's time wraps at 2^64 ns as QEMU's does: base_rtc
 * 28428972662528639 reads 2376-11-30 17:35:21 (a Saturday, day 3 of the
 * week... counted from Sunday as 1: Thursday 1970-01-01 is 5), and
 * 2^64 - 1 reads 2554-07-21 23:34:32, in BCD.
 */
static void test_rtc__base_rtc_beyond_64_bit_ns(void **state)
{
    RTCState rtc;
    const Edit big[] = { { "dev.base_rtc", INT64_C(28428972662528639) } };
    const Edit max[] = { { "dev.base_rtc", -1 } };

    (void)state;
    rtc_init(&rtc, NULL, MACHINE_RTC_EPOCH, 0);
    load_hostile(&rtc, visit_rtc, big, G_N_ELEMENTS(big));
    assert_rtc_time(&rtc, 0, "2376113017352103");
    rtc_init(&rtc, NULL, MACHINE_RTC_EPOCH, 0);
    load_hostile(&rtc, visit_rtc, max, G_N_ELEMENTS(max));
    assert_rtc_time(&rtc, 0, "2554072123343201");
}

/*
 * Finding 10 for the RTC: periodic (1024 Hz) and update-ended timers
 * 2^62 ns behind the clock.  Each fires once where it was due and once at
 * the clock: register C holds IRQF, PF, AF and UF, the line rose once,
 * the time registers hold the time at the clock (2170-04-20 23:53:36),
 * and both timers are armed after it, instead of 4.7 * 10^12 periodic
 * interrupts and 4.6 * 10^9 update cycles one by one.
 */
static void test_rtc__timers_far_behind_clock(void **state)
{
    RTCState rtc;
    IrqLog irq;
    const Edit edits[] = {
        { "dev.periodic_timer", 1000 },
        { "dev.update_timer", 1000 },
    };
    const int64_t now = INT64_C(1) << 62;

    (void)state;
    irq_log_init(&irq);
    rtc_init(&rtc, &irq.line, MACHINE_RTC_EPOCH, 0);
    rtc_ioport_write(&rtc, 0, 0, RTC_REG_B);
    rtc_ioport_write(&rtc, 0, 1, RTC_B_PIE | RTC_B_UIE | RTC_B_24H);
    load_hostile(&rtc, visit_rtc, edits, G_N_ELEMENTS(edits));
    rtc_run_timers(&rtc, now);
    assert_string_equal(irq.levels->str, "1");
    assert_int_equal(rtc.periodic_timer, INT64_C(4611686018427734375));
    assert_int_equal(rtc.update_timer, INT64_C(4611686019000000000));
    assert_int_equal(rtc_next_deadline(&rtc), INT64_C(4611686018427734375));
    assert_rtc_time(&rtc, now, "2170042023533606");
    rtc_ioport_write(&rtc, now, 0, RTC_REG_C);
    assert_int_equal(rtc_ioport_read(&rtc, now, 1),
                     RTC_C_IRQF | RTC_C_PF | RTC_C_AF | RTC_C_UF);
    g_string_free(irq.levels, TRUE);
}

static gsize legacy_size(QidlVisitFunc visit, void *obj)
{
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) out = qidl_legacy_output_visitor_new(bytes);

    assert_true(visit(out, "dev", obj, NULL));
    assert_true(qidl_visitor_complete(out, NULL));
    return bytes->len;
}

/* Section sizes of QEMU 7.2 for a device at reset (no subsection). */
static void test_devices__legacy_sizes_match_qemu(void **state)
{
    RTCState rtc;
    PICCommonState pic;
    PITCommonState pit;
    APICCommonState apic;

    (void)state;
    rtc_init(&rtc, NULL, MACHINE_RTC_EPOCH, 0);
    /* 128 + 1 + 28 + 8 + 8 + 24 + 4 + 4 + 5 * 8 */
    assert_int_equal(legacy_size(visit_rtc, &rtc), 245);
    pic_init(&pic, true, NULL);
    assert_int_equal(legacy_size(visit_pic, &pic), 16);
    pit_init(&pit, NULL, 0);
    /* 4 + 3 * (4 + 2 + 10 + 8 + 8) + 8 */
    assert_int_equal(legacy_size(visit_pit, &pit), 108);
    apic_init(&apic, 0);
    /* 4 + 1 + 1 + 1 + 4 + 1 + 1 + 3 * 32 + 24 + 4 + 8 + 4 + 4 + 4 + 3 * 8 */
    assert_int_equal(legacy_size(visit_apic, &apic), 181);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtc__migrate_every_step),
        cmocka_unit_test(test_serial__migrate_every_step),
        cmocka_unit_test(test_i8259__migrate_every_step),
        cmocka_unit_test(test_i8254__migrate_every_step),
        cmocka_unit_test(test_apic__migrate_every_step),
        cmocka_unit_test(test_devices__loaded_indices_are_bounded_fail),
        cmocka_unit_test(test_serial__absent_subsections_take_reset_values),
        cmocka_unit_test(test_devices__legacy_sizes_match_qemu),
        cmocka_unit_test(test_i8254__load_time_far_below_zero),
        cmocka_unit_test(test_i8254__deadline_far_behind_clock),
        cmocka_unit_test(test_apic__timer_load_time_ahead_and_behind),
        cmocka_unit_test(test_rtc__base_rtc_beyond_64_bit_ns),
        cmocka_unit_test(test_rtc__timers_far_behind_clock),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
