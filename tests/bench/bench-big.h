/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "big" workload of qidl-bench: one device whose state is mostly large
 * scalar arrays and long lists of nested structs (a device with a large
 * register file, lookup tables, a queue of descriptors, each with its own
 * scatter-gather segments).  The hw/ machine's state is small structs and
 * two raw 32 KiB buffers; this one stresses the per-value paths instead.
 * workload.c fills it with deterministic pseudo-random values.
 */
#ifndef QIDL_BENCH_BIG_H
#define QIDL_BENCH_BIG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <qidl/qidl.h>

#define BIG_REGS 4096
#define BIG_COUNTERS 1024
#define BIG_TABLE 2048
#define BIG_LUT 4096
#define BIG_STAMPS 512
#define BIG_SEGS 4
#define BIG_ENTRIES 2000
#define BIG_LOG 4000

typedef struct QIDL_STRUCT(1, 1) BigSeg {
    uint32_t lba;
    uint16_t len;
    uint8_t flags;
} BigSeg;

typedef struct QIDL_STRUCT(1, 1) BigEntry {
    uint64_t addr;
    uint32_t id;
    uint16_t kind;
    uint8_t key[16];
    int64_t stamp;
    BigSeg segs[BIG_SEGS];
} BigEntry;

typedef struct QIDL_STRUCT(1, 1) BigState {
    uint32_t regs[BIG_REGS];
    uint64_t counters[BIG_COUNTERS];
    uint16_t table[BIG_TABLE];
    uint8_t lut[BIG_LUT];
    int64_t stamps[BIG_STAMPS];
    bool enabled;
    GSList *entries QIDL(type_is, BigEntry);
    GSList *log QIDL(type_is, BigSeg);
} BigState;

#endif /* QIDL_BENCH_BIG_H */
