/* Tests: a device whose legacy encoding must match QEMU 7.2's VMState
 * byte for byte (the MC146818 RTC's layout, trimmed): state versions with
 * QIDL(version, n) fields, one with a default, a post_load and a pre_save
 * hook, and a subsection with its needed() predicate. */
#ifndef RTC_H
#define RTC_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <qidl/qidl.h>

typedef struct RTCState RTCState;

/* Declared before the struct, as a device header usually does. */
gboolean rtc_post_load(RTCState *s, GError **error);

struct QIDL_STRUCT(3, 1) QIDL(post_load, rtc_post_load)
    QIDL(pre_save, rtc_pre_save) RTCState {
    uint8_t cmos_data[16];
    uint8_t cmos_index QIDL(index_of, cmos_data);
    int64_t next_periodic_time;
    uint32_t irq_coalesced QIDL(version, 2);
    uint32_t period QIDL(version, 2) QIDL(default, 32);
    uint64_t base_rtc QIDL(version, 3);
    uint16_t irq_reinject_on_ack_count
        QIDL(subsection, "mc146818rtc/irq_reinject_on_ack_count", 1,
             rtc_reinject_needed);
    uint32_t lost_tick_policy QIDL(property, "lost_tick_policy", 1);
    bool irq_pending QIDL(derived);     /* recomputed by rtc_post_load */
    uint32_t saves QIDL(derived);       /* counts rtc_pre_save calls */
    bool fail_post_load QIDL(immutable); /* tests: make post_load fail */
};

/* Declared after it: the generated code includes this header first. */
gboolean rtc_pre_save(RTCState *s, GError **error);
bool rtc_reinject_needed(const RTCState *s);

#endif
