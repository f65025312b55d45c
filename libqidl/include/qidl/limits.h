/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QIDL hard limits
 *
 * Every hard limit of libqidl lives here, with the reason for its value.
 * Readers of untrusted input (legacy, tree, JSON, and the stream readers of
 * later modules) check these before they allocate or descend, and fail with
 * QIDL_ERROR_LIMIT naming the path where the limit was hit.
 *
 * The values are defaults chosen to be far above any real device state and
 * far below what could exhaust a process; readers that need other values
 * take them as options, never by editing this file at run time.
 */
#ifndef QIDL_LIMITS_H
#define QIDL_LIMITS_H

#include <glib.h>

/*
 * Nesting depth of structs and lists in one visit (the device's own struct
 * counts as 1).  Real device state nests 4-6 levels (QEMU's deepest
 * VMState, virtio-net with its subsections, is 7).  64 leaves room for
 * generated wrappers while keeping every walker's explicit stack tiny.
 */
#define QIDL_LIMIT_DEPTH 64

/*
 * Length in bytes of one string value, terminator excluded.  Device state
 * strings are identifiers and paths (QEMU's idstr is at most 255 bytes);
 * 1 MiB bounds what a hostile stream can make a reader allocate per value.
 */
#define QIDL_LIMIT_STRING_LEN (1u << 20)

/*
 * Element count of one list, and length of one byte buffer a reader
 * allocates (buffers visited with qidl_visit_bytes() have the caller's
 * length and are not bounded by the core).  The largest real arrays in
 * device state are PCI config space (4096 bytes) and virtio queue tables
 * (1024 entries); 16 Mi elements bounds a hostile count while allowing
 * bulk buffers such as VGA memory windows.
 */
#define QIDL_LIMIT_LIST_LEN (1u << 24)

/*
 * Length of one field name.  C identifiers in device structs are short;
 * 255 matches QEMU's idstr and keeps names in one length byte on the wire.
 */
#define QIDL_LIMIT_NAME_LEN 255u

/*
 * Length of a JSON document a JSON reader accepts.  A whole machine's state
 * in the typed JSON form is a few MiB; 256 MiB bounds a hostile file.
 */
#define QIDL_LIMIT_JSON_LEN (256u << 20)

/*
 * Size of one uncompressed stream.  A whole machine's device state (no
 * guest RAM) is a few MiB; 256 MiB bounds what a hostile (or zstd-bomb)
 * stream makes a reader allocate, and equals QIDL_LIMIT_JSON_LEN so every
 * stream has a JSON form a JSON reader accepts.
 */
#define QIDL_LIMIT_STREAM_LEN (256u << 20)

/*
 * Distinct field names in one stream.  A name is referenced by a 16-bit
 * index; a large machine has a few thousand distinct field names.
 */
#define QIDL_LIMIT_STREAM_NAMES 65535u

/*
 * Values (tree nodes) one stream may turn into when read into a tree.  A
 * packed uint8 costs one byte on the wire but a whole node in a tree; 16 Mi
 * values (about 1 GiB of nodes at worst) is far above real device state,
 * whose bulk buffers are bytes values (one node each).
 */
#define QIDL_LIMIT_STREAM_VALUES (1u << 24)

/*
 * Memory, in bytes, of one sized list the legacy (QEMU wire) reader admits
 * beyond what the input left can back.  The wire carries no list lengths:
 * a sized list's count is an earlier field and a size_is heap array is
 * allocated from it, so the reader refuses a count above the bytes left,
 * each element taking at least one byte.  Only elements with nothing to
 * save (an empty struct) take none: a list of them may still be as large
 * as this, far above any real one, and far below the allocation bound the
 * security suite asserts (256 KiB + 64 x the input).
 */
#define QIDL_LIMIT_LEGACY_UNBACKED (64u << 10)

G_STATIC_ASSERT(QIDL_LIMIT_STREAM_LEN <= G_MAXUINT32);
G_STATIC_ASSERT(QIDL_LIMIT_STREAM_NAMES <= G_MAXUINT16);
G_STATIC_ASSERT(QIDL_LIMIT_STREAM_VALUES <= G_MAXUINT32);

G_STATIC_ASSERT(QIDL_LIMIT_DEPTH > 0 && QIDL_LIMIT_DEPTH <= G_MAXUINT8);
G_STATIC_ASSERT(QIDL_LIMIT_STRING_LEN <= G_MAXUINT32);
G_STATIC_ASSERT(QIDL_LIMIT_LIST_LEN <= G_MAXUINT32);
G_STATIC_ASSERT(QIDL_LIMIT_NAME_LEN <= G_MAXUINT8);
G_STATIC_ASSERT(QIDL_LIMIT_JSON_LEN <= G_MAXUINT32);
G_STATIC_ASSERT(QIDL_LIMIT_LEGACY_UNBACKED <= G_MAXUINT32);

/*
 * QEMU migration streams (qemu-stream.h).
 *
 * Length of one stream.  Guest RAM dominates a stream, and the reader
 * keeps it as ranges of the input (a file the caller may map), never
 * copied, as the writer to a function passes those ranges on: memory
 * holds the device state only, whatever the RAM.  1 TiB admits guests with
 * up to about a terabyte of touched RAM.  A stream written into a
 * GByteArray is bounded by the array (G_MAXUINT bytes).
 */
#define QIDL_LIMIT_QEMU_STREAM_LEN (G_GUINT64_CONSTANT(1) << 40)

/*
 * Bytes of device state in one stream: its device sections together, as
 * the vmdesc describes them (RAM is not device state).  A machine's
 * devices hold kilobytes to megabytes (a VGA's registers, a disk
 * controller's queues); 2 GiB bounds what a hostile description makes the
 * decoder copy into the tree, and the writer encode.
 */
#define QIDL_LIMIT_QEMU_STATE_LEN (2u << 30)

/*
 * Length of the vmdesc JSON trailer.  QEMU's description of a q35 machine
 * with a dozen devices is about 100 KiB; 16 MiB is far above a large
 * machine's and bounds what the JSON parser is handed.
 */
#define QIDL_LIMIT_QEMU_VMDESC_LEN (16u << 20)

/*
 * Nesting of the vmdesc JSON text.  Each nested VMState struct adds three
 * levels (field object, "struct" object, "fields" array) and the document
 * adds four; bounding it by the visit depth keeps json-glib's recursive
 * parser, and the layout compiler, within a small stack.
 */
#define QIDL_LIMIT_QEMU_VMDESC_DEPTH (3 * QIDL_LIMIT_DEPTH + 4)

/*
 * Records (sections, commands) in one stream.  A machine has a few hundred
 * device sections; a live migration adds one RAM section per iteration,
 * thousands for a busy guest.  1 Mi records bounds the record table.
 */
#define QIDL_LIMIT_QEMU_RECORDS (1u << 20)

/*
 * RAM blocks announced by the setup section.  A PC has about ten (RAM,
 * ROMs, option ROMs, VGA memory); every device with memory adds one.
 */
#define QIDL_LIMIT_QEMU_RAM_BLOCKS 4096u

/*
 * Fields (layout entries) the vmdesc may describe in one stream.  The same
 * bound as the native stream's values: each becomes at least one tree
 * node.
 */
#define QIDL_LIMIT_QEMU_FIELDS (1u << 24)

G_STATIC_ASSERT(QIDL_LIMIT_QEMU_STREAM_LEN <= G_MAXSIZE);
G_STATIC_ASSERT(QIDL_LIMIT_QEMU_STATE_LEN <= G_MAXUINT);
G_STATIC_ASSERT(QIDL_LIMIT_QEMU_STATE_LEN < QIDL_LIMIT_QEMU_STREAM_LEN);
G_STATIC_ASSERT(QIDL_LIMIT_QEMU_VMDESC_LEN < QIDL_LIMIT_QEMU_STREAM_LEN);
G_STATIC_ASSERT(QIDL_LIMIT_QEMU_VMDESC_DEPTH <= G_MAXUINT8);
G_STATIC_ASSERT(QIDL_LIMIT_QEMU_RECORDS <= G_MAXUINT32);
G_STATIC_ASSERT(QIDL_LIMIT_QEMU_RAM_BLOCKS <= G_MAXUINT32);
G_STATIC_ASSERT(QIDL_LIMIT_QEMU_FIELDS <= G_MAXUINT32);

/* Schemas (schema.h). */

/*
 * Schema files one directory may hold.  A machine has a few dozen device
 * headers; QEMU's x86 build has about 200 device types in one dump.  4096
 * bounds what a hostile directory makes the checker open.
 */
#define QIDL_LIMIT_SCHEMA_FILES 4096u

/*
 * Steps one comparison may take: a struct pair or a field compared, a
 * field of a QEMU description flattened.  A QEMU x86 dump has about 4000
 * field entries in all; 1 Mi bounds the work a hostile schema can cause.
 */
#define QIDL_LIMIT_SCHEMA_WORK (1u << 20)

G_STATIC_ASSERT(QIDL_LIMIT_SCHEMA_FILES <= G_MAXUINT32);
G_STATIC_ASSERT(QIDL_LIMIT_SCHEMA_WORK <= G_MAXUINT32);

#endif /* QIDL_LIMITS_H */
