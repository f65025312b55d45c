/* Tests: runs of saved scalar fields, each one qidl_visit_scalar_fields()
 * or, with a range or an index_of, qidl_visit_checked_fields() call: what
 * joins a run (every scalar kind, enums, char and long long, check(),
 * range, index_of, unsaved fields between, gated fields of one version,
 * a subsection's fields) and what ends one (default, optional, an array,
 * a string, a struct, another version, a field alone). */
#ifndef RUNS_H
#define RUNS_H

#include <stdbool.h>
#include <stdint.h>

#include <qidl/qidl.h>

typedef enum {
    COLOR_RED,
    COLOR_GREEN,
    COLOR_BLUE,
} Color;

typedef struct {
    uint16_t lo;
    uint16_t hi;
} Pair;

typedef struct Runs Runs;

/* Defined below, so that every user of the generated code has it. */
static inline bool runs_extra_needed(const Runs *r);

struct QIDL_STRUCT(3, 1) Runs {
    bool flag;
    char c;
    int8_t i8;
    uint8_t u8;
    int16_t i16;
    uint16_t u16;
    int32_t i32;
    uint32_t u32 QIDL(check, u32 != 1);
    int32_t cache QIDL(derived);
    int64_t i64;
    long long ll;
    uint64_t u64;
    float f;
    double d;
    Color color;
    uint8_t level QIDL(range, 0, 3);
    uint8_t a;
    uint8_t b;
    uint8_t count;
    uint8_t regs[4] QIDL(size_is, count);
    uint8_t cursor QIDL(index_of, regs);
    uint16_t x;
    uint16_t y;
    uint8_t dflt QIDL(default, 5);
    uint16_t z;
    bool has_opt;
    uint32_t opt QIDL(optional);
    uint32_t w1;
    uint32_t w2;
    char name[8] QIDL(string);
    Pair pair;
    uint32_t p1;
    uint32_t p2;
    uint32_t v2a QIDL(version, 2);
    uint32_t v2b QIDL(version, 2);
    uint32_t v3a QIDL(version, 3);
    uint32_t v3b QIDL(version, 3);
    uint32_t v3c QIDL(version, 3) QIDL(default, 9);
    uint16_t s1 QIDL(subsection, "runs/extra", 1, runs_extra_needed);
    uint16_t s2 QIDL(subsection, "runs/extra", 1, runs_extra_needed);
    uint8_t s3 QIDL(subsection, "runs/extra", 1, runs_extra_needed);
    uint8_t last;
};

static inline bool runs_extra_needed(const Runs *r)
{
    return r->s3 != 0;
}

#endif
