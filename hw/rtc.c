/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mc146818 RTC: see rtc.h. */
#include <string.h>

#include "rtc.h"

#define RTC_FREQ 32768u
#define SEC_PER_DAY 86400
/* UIP reads as 1 for this long before each update cycle (244 us). */
#define RTC_UIP_HOLD (HW_NS_PER_SEC * 8 / RTC_FREQ)

/* ---- calendar ----------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* ---- register formats --------------------------------------------------- */

static uint8_t to_reg(const RTCState *s, unsigned v)
{
    if (s->cmos_data[RTC_REG_B] & RTC_B_DM) {
        return (uint8_t)v;
    }
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* A register's value, or -1 for a "don't care" alarm value (0xc0-0xff). */
static int from_reg(const RTCState *s, uint8_t v)
{
    if ((v & 0xc0) == 0xc0) {
        return -1;
    }
    if (s->cmos_data[RTC_REG_B] & RTC_B_DM) {
        return v;
    }
    return ((v >> 4) & 0x0f) * 10 + (v & 0x0f);
}

static uint8_t hour_to_reg(const RTCState *s, unsigned hour)
{
    if (s->cmos_data[RTC_REG_B] & RTC_B_24H) {
        return to_reg(s, hour);
    }
    unsigned h12 = hour % 12 ? hour % 12 : 12;
    return (uint8_t)(to_reg(s, h12) | (hour >= 12 ? 0x80 : 0));
}

static int hour_from_reg(const RTCState *s, uint8_t v)
{
    if ((v & 0xc0) == 0xc0) {
        return -1;
    }
    if (s->cmos_data[RTC_REG_B] & RTC_B_24H) {
        return from_reg(s, v);
    }
    int h = from_reg(s, v & 0x7f) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* ---- time keeping ------------------------------------------------------- */

static bool rtc_running(const RTCState *s)
{
    return !(s->cmos_data[RTC_REG_B] & RTC_B_SET) &&
           (s->cmos_data[RTC_REG_A] & 0x70) <= 0x20;
}

static bool divider_running(const RTCState *s)
{
    return (s->cmos_data[RTC_REG_A] & 0x60) != 0x60;
}

/*
 * The RTC's time in ns since the epoch at virtual time @now: 64 unsigned
 * bits that wrap, as in QEMU (get_guest_rtc_ns()), so that any loaded
 * base_rtc, last_update and offset give a time, never an overflow or a
 * time before 1970.  They wrap after 584 years, year 2554.
 */
static uint64_t guest_rtc_ns(const RTCState *s, int64_t now)
{
    return s->base_rtc * (uint64_t)HW_NS_PER_SEC + (uint64_t)now -
           s->last_update + (uint64_t)s->offset;
}

/* Writes the RTC's current time into the CMOS time registers. */
static void rtc_update_time(RTCState *s, int64_t now)
{
    uint64_t secs = guest_rtc_ns(s, now) / HW_NS_PER_SEC;
    int64_t days = (int64_t)(secs / SEC_PER_DAY);
    unsigned tod = (unsigned)(secs % SEC_PER_DAY);
    int64_t year;
    unsigned month, mday;

    /* secs < 2^64 / 10^9: days and the year (1970..2554) are positive. */
    civil_from_days(days, &year, &month, &mday);
    s->cmos_data[RTC_SECONDS] = to_reg(s, tod % 60);
    s->cmos_data[RTC_MINUTES] = to_reg(s, tod / 60 % 60);
    s->cmos_data[RTC_HOURS] = hour_to_reg(s, tod / 3600);
    s->cmos_data[RTC_DAY_OF_WEEK] = to_reg(s, (unsigned)((days + 4) % 7) + 1);
    s->cmos_data[RTC_DAY_OF_MONTH] = to_reg(s, mday);
    s->cmos_data[RTC_MONTH] = to_reg(s, month);
    s->cmos_data[RTC_YEAR] = to_reg(s, (unsigned)(year % 100));
    s->cmos_data[RTC_CENTURY] = to_reg(s, (unsigned)(year / 100));
}

/* Takes the time from the CMOS registers, keeping the divider's phase. */
static void rtc_set_time(RTCState *s, int64_t now)
{
    int sec = from_reg(s, s->cmos_data[RTC_SECONDS]);
    int min = from_reg(s, s->cmos_data[RTC_MINUTES]);
    int hour = hour_from_reg(s, s->cmos_data[RTC_HOURS]);
    int mday = from_reg(s, s->cmos_data[RTC_DAY_OF_MONTH]);
    int mon = from_reg(s, s->cmos_data[RTC_MONTH]);
    int year = from_reg(s, s->cmos_data[RTC_YEAR]);
    int century = from_reg(s, s->cmos_data[RTC_CENTURY]);
    int64_t phase = (int64_t)(guest_rtc_ns(s, now) % HW_NS_PER_SEC);

    /* Out-of-range registers read as the lowest value, as a guest that
     * writes garbage gets some time rather than none. */
    sec = CLAMP(sec, 0, 59);
    min = CLAMP(min, 0, 59);
    hour = CLAMP(hour, 0, 23);
    mday = CLAMP(mday, 1, 31);
    mon = CLAMP(mon, 1, 12);
    year = CLAMP(year, 0, 99);
    century = CLAMP(century, 19, 99);

    int64_t days = days_from_civil(century * 100 + year, (unsigned)mon,
                                   (unsigned)mday);
    s->base_rtc = (uint64_t)(days * SEC_PER_DAY + hour * 3600 + min * 60 + sec);
    s->last_update = (uint64_t)now;
    s->offset = phase;
}

/* Whether the time of day @tod matches the alarm registers. */
static bool alarm_matches(const RTCState *s, unsigned tod)
{
    int as = from_reg(s, s->cmos_data[RTC_SECONDS_ALARM]);
    int am = from_reg(s, s->cmos_data[RTC_MINUTES_ALARM]);
    int ah = hour_from_reg(s, s->cmos_data[RTC_HOURS_ALARM]);

    return (as < 0 || (unsigned)as == tod % 60) &&
           (am < 0 || (unsigned)am == tod / 60 % 60) &&
           (ah < 0 || (unsigned)ah == tod / 3600);
}

/*
 * Computes next_alarm_time: the virtual time of the first update cycle
 * after @now whose new time matches the alarm.  Alarms repeat within a
 * day, so one day of candidates is enough.  Virtual times are compared
 * as unsigned there (rtc_update_fire()), so they are computed so, which
 * cannot overflow.
 */
static void rtc_compute_alarm(RTCState *s, int64_t now)
{
    uint64_t g = guest_rtc_ns(s, now);
    uint64_t next_update = (uint64_t)now + (uint64_t)HW_NS_PER_SEC -
                           g % HW_NS_PER_SEC;
    uint64_t sec = g / HW_NS_PER_SEC;

    for (unsigned d = 1; d <= SEC_PER_DAY; d++) {
        if (alarm_matches(s, (unsigned)((sec + d) % SEC_PER_DAY))) {
            s->next_alarm_time = next_update +
                                 (uint64_t)(d - 1) * HW_NS_PER_SEC;
            return;
        }
    }
    s->next_alarm_time = UINT64_MAX;
}

/* ---- interrupts and timers ---------------------------------------------- */

static void rtc_update_irq(RTCState *s)
{
    bool level = (s->cmos_data[RTC_REG_C] & RTC_C_IRQF) != 0;

    if (level != s->irq_level) {
        s->irq_level = level;
        hw_irq_set(s->irq, level);
    }
}

/* Sets flags in register C and raises IRQF if one of them is enabled. */
static void rtc_raise_flags(RTCState *s, uint8_t flags)
{
    uint8_t fresh = flags & ~s->cmos_data[RTC_REG_C];

    s->cmos_data[RTC_REG_C] |= flags;
    if (fresh & s->cmos_data[RTC_REG_B] & (RTC_C_PF | RTC_C_AF | RTC_C_UF)) {
        s->cmos_data[RTC_REG_C] |= RTC_C_IRQF;
    }
    rtc_update_irq(s);
}

static uint32_t periodic_ticks(const RTCState *s)
{
    int code = s->cmos_data[RTC_REG_A] & 0x0f;

    if (!(s->cmos_data[RTC_REG_B] & RTC_B_PIE) || code == 0) {
        return 0;
    }
    if (code <= 2) {
        code += 7;
    }
    return 1u << (code - 1);
}

/*
 * 32768 Hz tick @t as virtual time, rounded up so the tick has passed;
 * HW_TIMER_OFF past the end of the clock.
 */
static int64_t tick_to_ns(int64_t t)
{
    return hw_time_add(0, ((unsigned __int128)t * HW_NS_PER_SEC +
                           RTC_FREQ - 1) / RTC_FREQ);
}

/*
 * Re-arms the periodic timer for the divider chain's next multiple of the
 * period after @now.
 */
static void rtc_periodic_update(RTCState *s, int64_t now)
{
    s->period = periodic_ticks(s);
    if (!s->period || !divider_running(s)) {
        s->periodic_timer = HW_TIMER_OFF;
        return;
    }
    int64_t cur = hw_muldiv64(now, RTC_FREQ, (uint32_t)HW_NS_PER_SEC);
    int64_t next = (cur / s->period + 1) * s->period;

    s->next_periodic_time = tick_to_ns(next);
    s->periodic_timer = s->next_periodic_time;
}

/* Arms the update-cycle timer for the next second of RTC time. */
static void rtc_update_timer_arm(RTCState *s, int64_t now)
{
    if (!divider_running(s)) {
        s->update_timer = HW_TIMER_OFF;
        return;
    }
    s->update_timer = hw_time_add(now, (uint64_t)HW_NS_PER_SEC -
                                       guest_rtc_ns(s, now) % HW_NS_PER_SEC);
}

static void rtc_periodic_fire(RTCState *s, int64_t now)
{
    rtc_periodic_update(s, now);
    rtc_raise_flags(s, RTC_C_PF);
}

static void rtc_update_fire(RTCState *s, int64_t now)
{
    uint8_t flags = RTC_C_UF;

    if (rtc_running(s)) {
        rtc_update_time(s, now);
    }
    if ((uint64_t)now >= s->next_alarm_time) {
        flags |= RTC_C_AF;
        rtc_compute_alarm(s, now);
    }
    if (s->cmos_data[RTC_REG_B] & RTC_B_SET) {
        /* No update cycles while the guest sets the time. */
        flags = 0;
    }
    rtc_raise_flags(s, flags);
    rtc_update_timer_arm(s, now);
}

int64_t rtc_next_deadline(const RTCState *s)
{
    return hw_timer_min(s->periodic_timer, s->update_timer);
}

/*
 * Whether @timer is still due at @now after it fired: a timer loaded far
 * behind the clock (the machine fires each one when it is due).
 */
static bool still_due(int64_t timer, int64_t now)
{
    return timer >= 0 && timer <= now;
}

void rtc_run_timers(RTCState *s, int64_t now)
{
    /*
     * Each loop fires the earliest, so two due at once keep their order.
     * A timer still due after it fired has missed periods; rather than
     * one by one, they are caught up with one more firing at @now: the
     * flags they set are set already (register C only accumulates until
     * the guest reads it), the update cycle at @now writes the time the
     * last missed one would have, and each timer is then armed after
     * @now, so this loop ends after a few firings.
     */
    for (;;) {
        int64_t p = s->periodic_timer, u = s->update_timer;

        if (p >= 0 && p <= now && (u < 0 || p <= u)) {
            rtc_periodic_fire(s, p);
            if (still_due(s->periodic_timer, now)) {
                rtc_periodic_fire(s, now);
            }
        } else if (u >= 0 && u <= now) {
            rtc_update_fire(s, u);
            if (still_due(s->update_timer, now)) {
                rtc_update_fire(s, now);
            }
        } else {
            return;
        }
    }
}

/* ---- registers ---------------------------------------------------------- */

static void write_reg_a(RTCState *s, int64_t now, uint8_t val)
{
    bool was_reset = !divider_running(s);

    if (rtc_running(s)) {
        rtc_update_time(s, now);
    }
    s->cmos_data[RTC_REG_A] = (val & ~RTC_A_UIP) |
                              (s->cmos_data[RTC_REG_A] & RTC_A_UIP);
    if (!divider_running(s)) {
        s->cmos_data[RTC_REG_A] &= ~RTC_A_UIP;
    } else if (was_reset) {
        /* Released from reset: the first update comes half a second
         * later. */
        s->base_rtc = guest_rtc_ns(s, now) / HW_NS_PER_SEC;
        s->last_update = (uint64_t)now;
        s->offset = HW_NS_PER_SEC / 2;
        rtc_compute_alarm(s, now);
    }
    rtc_periodic_update(s, now);
    rtc_update_timer_arm(s, now);
}

static void write_reg_b(RTCState *s, int64_t now, uint8_t val)
{
    uint8_t old = s->cmos_data[RTC_REG_B];

    if ((val & RTC_B_SET) && !(old & RTC_B_SET)) {
        /* Freeze the registers at the current time. */
        if (rtc_running(s)) {
            rtc_update_time(s, now);
        }
        val &= ~RTC_B_UIE;      /* SET clears UIE (datasheet) */
    }
    s->cmos_data[RTC_REG_B] = val;
    if (!(val & RTC_B_SET) && (old & RTC_B_SET)) {
        rtc_set_time(s, now);
    }
    if ((old ^ val) & (RTC_B_DM | RTC_B_24H)) {
        /* Re-encode the time registers in the new format. */
        if (rtc_running(s)) {
            rtc_update_time(s, now);
        }
    }
    /* Enabling an interrupt whose flag is already set raises IRQF. */
    if (s->cmos_data[RTC_REG_C] & val & (RTC_C_PF | RTC_C_AF | RTC_C_UF)) {
        s->cmos_data[RTC_REG_C] |= RTC_C_IRQF;
    } else {
        s->cmos_data[RTC_REG_C] &= ~RTC_C_IRQF;
    }
    rtc_update_irq(s);
    rtc_periodic_update(s, now);
    rtc_compute_alarm(s, now);
}

void rtc_ioport_write(RTCState *s, int64_t now, uint32_t addr, uint8_t val)
{
    if ((addr & 1) == 0) {
        s->cmos_index = val & 0x7f;
        return;
    }
    switch (s->cmos_index) {
    case RTC_SECONDS_ALARM:
    case RTC_MINUTES_ALARM:
    case RTC_HOURS_ALARM:
        s->cmos_data[s->cmos_index] = val;
        rtc_compute_alarm(s, now);
        break;
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case RTC_CENTURY:
        s->cmos_data[s->cmos_index] = val;
        if (rtc_running(s)) {
            rtc_set_time(s, now);
            rtc_compute_alarm(s, now);
        }
        break;
    case RTC_REG_A:
        write_reg_a(s, now, val);
        break;
    case RTC_REG_B:
        write_reg_b(s, now, val);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        break;                  /* read-only */
    default:
        s->cmos_data[s->cmos_index] = val;
        break;
    }
}

uint8_t rtc_ioport_read(RTCState *s, int64_t now, uint32_t addr)
{
    uint8_t ret;

    if ((addr & 1) == 0) {
        return 0xff;
    }
    switch (s->cmos_index) {
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case RTC_CENTURY:
        if (rtc_running(s)) {
            rtc_update_time(s, now);
        }
        return s->cmos_data[s->cmos_index];
    case RTC_REG_A:
        ret = s->cmos_data[RTC_REG_A] & ~RTC_A_UIP;
        if (rtc_running(s) &&
            guest_rtc_ns(s, now) % HW_NS_PER_SEC >=
                (uint64_t)(HW_NS_PER_SEC - RTC_UIP_HOLD)) {
            ret |= RTC_A_UIP;
        }
        return ret;
    case RTC_REG_C:
        ret = s->cmos_data[RTC_REG_C];
        s->cmos_data[RTC_REG_C] = 0;
        rtc_update_irq(s);
        return ret;
    default:
        return s->cmos_data[s->cmos_index];
    }
}

/* ---- life cycle --------------------------------------------------------- */

void rtc_init(RTCState *s, const HwIrq *irq, uint64_t epoch_sec, int64_t now)
{
    memset(s, 0, sizeof(*s));
    s->irq = irq;
    s->iobase = RTC_ISA_BASE;
    s->periodic_timer = HW_TIMER_OFF;
    s->update_timer = HW_TIMER_OFF;
    s->cmos_data[RTC_REG_A] = 0x26;     /* 32768 Hz divider, 1024 Hz rate */
    s->cmos_data[RTC_REG_B] = RTC_B_24H;
    s->cmos_data[RTC_REG_D] = RTC_D_VRT;
    /* Alarm "any hour, minute 0, second 0" until the guest sets one. */
    s->cmos_data[RTC_HOURS_ALARM] = 0xc0;
    /* NVRAM as a BIOS leaves it: base memory 640 KiB, a checksum. */
    s->cmos_data[0x15] = 0x80;
    s->cmos_data[0x16] = 0x02;
    s->cmos_data[0x2e] = 0x00;
    s->cmos_data[0x2f] = 0x82;
    s->base_rtc = epoch_sec;
    s->last_update = (uint64_t)now;
    s->offset = 0;
    rtc_update_time(s, now);
    rtc_compute_alarm(s, now);
    rtc_update_timer_arm(s, now);
}

void rtc_pre_load(RTCState *s)
{
    s->irq_reinject_on_ack_count = 0;
}

gboolean rtc_post_load(RTCState *s, GError **error)
{
    (void)error;
    s->irq_level = (s->cmos_data[RTC_REG_C] & RTC_C_IRQF) != 0;
    return TRUE;
}

bool rtc_reinject_needed(const RTCState *s)
{
    return s->irq_reinject_on_ack_count != 0;
}
