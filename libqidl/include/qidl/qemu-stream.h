/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU migration streams
 *
 * Reads the migration stream QEMU 7.2 writes (stream format version 3, as
 * `migrate "exec:cat > FILE"` or a savevm file produces it) into the same
 * state tree as every other QIDL format, and writes a tree back as a QEMU
 * stream that QEMU loads.  This is the "intermediate translation layer"
 * between today's wire format, complete with subsections, and visitors.
 * docs/qemu-stream.md explains the format and every choice below.
 *
 * What a stream holds, in order:
 *
 *     header            "QEVM", version 3
 *     configuration     the machine type and its subsections (machine
 *                       types from 2.9 on; older ones have none)
 *     sections          START/PART/END of iterable handlers (RAM), FULL
 *                       sections of devices, each followed by a footer
 *                       (0x7e + section id) from machine type 2.4 on
 *     commands          QEMU_VM_COMMAND records, if any
 *     EOF               one 0x00 byte
 *     vmdesc            the JSON description of every FULL section
 *
 * No record carries its length: RAM sections are walked by their own flag
 * grammar, and device sections are delimited and decoded with the vmdesc
 * trailer, which names every field with its type and size.  FULL section
 * number k is described by vmdesc entry k: sections and entries are paired
 * by order, because (idstr, instance id) repeats in real streams.
 *
 * The tree: one device root per FULL section, in stream order, under the
 * tree's root.  Its type name is the section's idstr ("i8259"), its version
 * the section's version, its instance path "/qemu/IDSTR/INSTANCE"
 * ("/qemu/i8259/1"; "#2", "#3" ... appended when a pair repeats), its name
 * the idstr made a valid field name ('.' becomes '_', '[' and ']' become
 * '<' and '>'; "#INSTANCE" appended for instances other than 0).  Fields
 * have the exact kinds the vmdesc types give (uint8, int32, bool, int64
 * for "timer", double for "float64", ...), arrays are lists, nested
 * VMState structs are structs, subsections are structs named by their full
 * name ("fw_cfg/dma") after the other fields, and whatever the vmdesc
 * cannot describe (a "buffer", "pci config", "virtio", a legacy
 * save_state section's "data") is a bytes value of the size it has on the
 * wire.
 *
 * Everything else (header, configuration, RAM sections with their pages,
 * commands, EOF, the vmdesc, section headers and footers) is kept in a
 * #QidlQemuStreamInfo beside the tree, as byte ranges of the input: RAM
 * pages never become tree nodes.  Writing copies those ranges and encodes
 * every device section from the tree in the layout its vmdesc entry gives,
 * so decoding then encoding an unmodified stream reproduces it byte for
 * byte, and a filter that changes a value (the i8259's "imr") produces a
 * stream QEMU loads with that value.  An edit that would change a
 * section's layout (a kind, a length, a field or subsection added or
 * removed) fails the write naming the device and field: the vmdesc would
 * no longer describe the stream.
 *
 *     g_autoptr(QidlQemuStreamInfo) info = NULL;
 *     g_autoptr(QidlTree) tree =
 *         qidl_qemu_stream_read_tree(data, len, &info, &error);
 *     QidlNode *pic = qidl_node_get_child(qidl_tree_get_root(tree),
 *                                         "i8259");
 *     qidl_node_set_uint(qidl_node_get_child(pic, "imr"), 0xfb, &error);
 *     g_autoptr(GByteArray) out = g_byte_array_new();
 *     if (!qidl_qemu_stream_write_tree(tree, info, out, &error)) { ... }
 *
 * The bytes are hostile: every read is bounded, the vmdesc's nesting and
 * size are bounded before it is parsed, nesting is bounded by
 * QIDL_LIMIT_DEPTH, and the QEMU limits of limits.h bound everything
 * else.  Errors name the section and the byte offset:
 * "section 12 'i8259' (instance 0): field imr: truncated at byte offset
 * 288321".
 *
 * Not supported (each is an error naming the record): postcopy packaged
 * streams, RDMA hooks, iterable handlers other than RAM (block migration,
 * dirty bitmaps), and device sections without a vmdesc to describe them
 * (see qidl_qemu_stream_read_tree_full() for supplying one).
 *
 * Threads: an info is used by one thread at a time.
 */
#ifndef QIDL_QEMU_STREAM_H
#define QIDL_QEMU_STREAM_H

#include <qidl/tree.h>

G_BEGIN_DECLS

/* "QEVM", the first four bytes of every QEMU migration stream. */
#define QIDL_QEMU_STREAM_MAGIC 0x5145564du
/* The stream format version QEMU has written since 0.13. */
#define QIDL_QEMU_STREAM_VERSION 3u

/**
 * QidlQemuRecordType:
 * @QIDL_QEMU_RECORD_EOF: QEMU_VM_EOF, the byte after the last section
 * @QIDL_QEMU_RECORD_START: QEMU_VM_SECTION_START (an iterable's setup)
 * @QIDL_QEMU_RECORD_PART: QEMU_VM_SECTION_PART (an iteration)
 * @QIDL_QEMU_RECORD_END: QEMU_VM_SECTION_END (an iterable's last part)
 * @QIDL_QEMU_RECORD_FULL: QEMU_VM_SECTION_FULL (a device's whole state)
 * @QIDL_QEMU_RECORD_VMDESC: QEMU_VM_VMDESCRIPTION, the JSON trailer
 * @QIDL_QEMU_RECORD_CONFIGURATION: QEMU_VM_CONFIGURATION
 * @QIDL_QEMU_RECORD_COMMAND: QEMU_VM_COMMAND
 * @QIDL_QEMU_RECORD_HEADER: the magic and the version (not a QEMU type
 *   byte, hence outside the byte range)
 *
 * The kinds of records a stream is cut into.  The values are QEMU's type
 * bytes.
 */
typedef enum {
    QIDL_QEMU_RECORD_EOF = 0x00,
    QIDL_QEMU_RECORD_START = 0x01,
    QIDL_QEMU_RECORD_PART = 0x02,
    QIDL_QEMU_RECORD_END = 0x03,
    QIDL_QEMU_RECORD_FULL = 0x04,
    QIDL_QEMU_RECORD_VMDESC = 0x06,
    QIDL_QEMU_RECORD_CONFIGURATION = 0x07,
    QIDL_QEMU_RECORD_COMMAND = 0x08,
    QIDL_QEMU_RECORD_HEADER = 0x100,
} QidlQemuRecordType;

/**
 * QidlQemuRecord:
 * @type: what the record is
 * @offset: byte offset of its first byte in the stream
 * @length: its length in bytes, section footer included
 * @payload_offset: byte offset of its contents: a section's state after
 *   its header, a configuration after its type byte, a command's data, the
 *   vmdesc's JSON text
 * @payload_length: their length (a section's, without the footer)
 * @section_id: the section id (sections only)
 * @idstr: (nullable): the section's idstr (sections only; PART and END
 *   repeat their START's)
 * @instance_id: the section's instance id (START, PART, END, FULL)
 * @version: the section's version (START, PART, END, FULL)
 * @command: the command number (commands only)
 * @device_name: (nullable): FULL sections: the name of the device root
 *   the section was decoded into
 * @instance_path: (nullable): FULL sections: that device root's instance
 *   path, by which the writer finds it again
 *
 * One record of a stream as the reader cut it.  Owned by the info.
 */
typedef struct {
    QidlQemuRecordType type;
    gsize offset;
    gsize length;
    gsize payload_offset;
    gsize payload_length;
    guint32 section_id;
    const char *idstr;
    guint32 instance_id;
    guint32 version;
    guint16 command;
    const char *device_name;
    const char *instance_path;
} QidlQemuRecord;

/**
 * QidlQemuRamStats:
 * @n_blocks: RAM blocks announced by the setup section
 * @total_bytes: their total length
 * @zero_pages: pages sent as one fill byte (RAM_SAVE_FLAG_ZERO)
 * @normal_pages: pages sent whole (RAM_SAVE_FLAG_PAGE)
 * @xbzrle_pages: pages sent XBZRLE-encoded
 * @compressed_pages: pages sent zlib-compressed
 * @page_size: the target page size the stream was walked with
 *
 * What the RAM sections of a stream hold, counted while walking them.
 */
typedef struct {
    guint n_blocks;
    guint64 total_bytes;
    guint64 zero_pages;
    guint64 normal_pages;
    guint64 xbzrle_pages;
    guint64 compressed_pages;
    guint32 page_size;
} QidlQemuRamStats;

/* ------------------------------------------------------------------------
 * QidlQemuStreamInfo: everything in a stream that is not device state
 *
 * Holds a reference to the stream's bytes, the records the stream was cut
 * into, and the layout of every device section, compiled from its vmdesc
 * entry.  Made only by the readers; read-only afterwards.
 */
typedef struct QidlQemuStreamInfo QidlQemuStreamInfo;

/* Frees @info; NULL is allowed. */
void qidl_qemu_stream_info_free(QidlQemuStreamInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QidlQemuStreamInfo, qidl_qemu_stream_info_free)

/**
 * qidl_qemu_stream_info_get_data:
 * @info: an info
 * @len: (out): the stream's length
 *
 * Returns: (transfer none): the bytes the stream was read from.
 */
const guint8 *qidl_qemu_stream_info_get_data(const QidlQemuStreamInfo *info,
                                             gsize *len);

/**
 * qidl_qemu_stream_info_get_machine:
 *
 * Returns: (nullable) (transfer none): the machine type of the
 * configuration record ("pc-i440fx-7.2"), or NULL if the stream has none.
 */
const char *qidl_qemu_stream_info_get_machine(const QidlQemuStreamInfo *info);

/**
 * qidl_qemu_stream_info_has_footers:
 *
 * Returns: TRUE if every section ends with a footer.
 */
gboolean qidl_qemu_stream_info_has_footers(const QidlQemuStreamInfo *info);

/**
 * qidl_qemu_stream_info_get_vmdesc:
 * @info: an info
 * @len: (out) (optional): the length of the text
 *
 * Returns: (nullable) (transfer none): the JSON text the device sections
 * were decoded with: the stream's trailer, or the one given to
 * qidl_qemu_stream_read_tree_full().  Not NUL-terminated.
 */
const char *qidl_qemu_stream_info_get_vmdesc(const QidlQemuStreamInfo *info,
                                             gsize *len);

/* The RAM sections' statistics; see #QidlQemuRamStats. */
void qidl_qemu_stream_info_get_ram_stats(const QidlQemuStreamInfo *info,
                                         QidlQemuRamStats *out);

/**
 * qidl_qemu_stream_info_get_ram_block:
 * @info: an info
 * @index: below the n_blocks of qidl_qemu_stream_info_get_ram_stats()
 * @length: (out) (optional): the block's length in bytes
 *
 * Returns: (transfer none): the block's idstr ("pc.ram").
 */
const char *qidl_qemu_stream_info_get_ram_block(const QidlQemuStreamInfo *info,
                                                guint index, guint64 *length);

guint qidl_qemu_stream_info_get_n_records(const QidlQemuStreamInfo *info);

/**
 * qidl_qemu_stream_info_get_record:
 * @info: an info
 * @index: below qidl_qemu_stream_info_get_n_records()
 *
 * Returns: (transfer none): the record at @index, in stream order.
 */
const QidlQemuRecord *qidl_qemu_stream_info_get_record(
    const QidlQemuStreamInfo *info, guint index);

/**
 * qidl_qemu_stream_info_find_device:
 * @info: an info
 * @instance_path: a device root's instance path ("/qemu/i8259/0")
 *
 * Returns: (nullable) (transfer none): the FULL section decoded into the
 * device root with that instance path.
 */
const QidlQemuRecord *qidl_qemu_stream_info_find_device(
    const QidlQemuStreamInfo *info, const char *instance_path);

/* ------------------------------------------------------------------------
 * Reading
 */

/**
 * qidl_qemu_stream_detect:
 *
 * Returns: TRUE if @data starts with QEMU's stream magic "QEVM".
 */
gboolean qidl_qemu_stream_detect(const guint8 *data, gsize len);

/**
 * qidl_qemu_stream_read_tree:
 * @data: a QEMU migration stream
 * @len: its length
 * @info: (out) (optional) (transfer full): everything that is not device
 *   state, needed to write the stream back
 * @error: return location for a GError
 *
 * Reads a whole stream (the bytes are copied: for a large stream,
 * qidl_qemu_stream_read_tree_full() on a mapped file copies nothing) and
 * decodes every device
 * section with the stream's vmdesc trailer.  As
 * qidl_qemu_stream_read_tree_full() with no vmdesc of the caller's.
 *
 * Returns: (transfer full) (nullable): the tree.
 */
QidlTree *qidl_qemu_stream_read_tree(const guint8 *data, gsize len,
                                     QidlQemuStreamInfo **info,
                                     GError **error);

/**
 * qidl_qemu_stream_read_tree_full:
 * @bytes: a QEMU migration stream (a reference is kept in the info)
 * @vmdesc: (nullable): a vmdesc JSON text to describe the device sections
 *   with, in place of the stream's own trailer: for streams that have
 *   none (a machine that suppresses it, a stream cut short) when another
 *   stream of the same machine and configuration has one.  The stream's
 *   own trailer, if any, is still walked and kept.
 * @vmdesc_len: its length, or -1 if NUL-terminated
 * @info: (out) (optional) (transfer full): as for
 *   qidl_qemu_stream_read_tree()
 * @error: return location for a GError
 *
 * Walks the stream record by record: the header, the configuration and
 * its subsections, the RAM sections by their flag grammar (every page
 * record checked against the RAM blocks of the setup section), commands,
 * device sections (FULL section k decoded with vmdesc entry k, which must
 * name the same idstr and instance), the footers, EOF and the trailer.
 * Nothing may follow the trailer.  RAM pages are never copied (only their
 * records' headers are read), so @bytes may be a mapped file of any length
 * up to QIDL_LIMIT_QEMU_STREAM_LEN: g_mapped_file_get_bytes().
 *
 * Fails with QIDL_ERROR_INVALID (bad magic, an unknown record type or RAM
 * flag, a footer that does not follow a section, a vmdesc that is not
 * QEMU's or does not match the sections), QIDL_ERROR_TRUNCATED,
 * QIDL_ERROR_VERSION (another stream version), QIDL_ERROR_UNSUPPORTED
 * (see the top of this header), QIDL_ERROR_UNKNOWN_FIELD (bytes after the
 * trailer) or QIDL_ERROR_LIMIT; messages name the section ("section 12
 * 'i8259' (instance 0): ") and the byte offset.  Nothing is returned then.
 *
 * Returns: (transfer full) (nullable): the tree.
 */
QidlTree *qidl_qemu_stream_read_tree_full(GBytes *bytes, const char *vmdesc,
                                          gssize vmdesc_len,
                                          QidlQemuStreamInfo **info,
                                          GError **error);

/* ------------------------------------------------------------------------
 * Writing
 */

/**
 * qidl_qemu_stream_encode_device:
 * @info: the info of the stream @device was read from
 * @device: a device root whose instance path names one of @info's FULL
 *   sections
 * @out: where the section's state is appended
 * @error: return location for a GError
 *
 * Encodes @device in the layout of its section: the bytes between the
 * section's header and its footer, in QEMU's VMState encoding
 * (big-endian, no names, subsection headers included).  For an unmodified
 * device these are the bytes it was read from.
 *
 * Fails (leaving @out as it was) with QIDL_ERROR_MISSING_FIELD,
 * QIDL_ERROR_UNKNOWN_FIELD, QIDL_ERROR_TYPE_MISMATCH or
 * QIDL_ERROR_LENGTH_MISMATCH naming the field of @device that no longer
 * matches the section's layout, or QIDL_ERROR_INVALID if @info has no such
 * device or @device's type name or version differ from the section's.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_qemu_stream_encode_device(const QidlQemuStreamInfo *info,
                                        const QidlNode *device,
                                        GByteArray *out, GError **error);

/**
 * qidl_qemu_stream_write_tree:
 * @tree: a tree read by qidl_qemu_stream_read_tree() (then filtered or
 *   edited)
 * @info: the info read with it
 * @out: where the stream is appended (untouched on failure)
 * @error: return location for a GError
 *
 * Writes the stream back: every record in its original order, the device
 * sections encoded from the tree's device roots (found by instance path,
 * in any order), everything else copied.  Every FULL section needs its
 * device root and every child of the tree's root must be one of them.
 *
 * Fails as qidl_qemu_stream_encode_device() does, or with
 * QIDL_ERROR_MISSING_FIELD for a section whose device root is gone,
 * QIDL_ERROR_UNSUPPORTED for a root child that is not one of the stream's
 * devices, QIDL_ERROR_LIMIT if @out cannot hold the stream (G_MAXUINT
 * bytes in all: a guest with more RAM is written with
 * qidl_qemu_stream_write_tree_to()).
 *
 * Returns: TRUE on success.
 */
gboolean qidl_qemu_stream_write_tree(QidlTree *tree,
                                     const QidlQemuStreamInfo *info,
                                     GByteArray *out, GError **error);

/**
 * QidlQemuWriteFunc:
 * @data: the next bytes of the stream
 * @len: how many (any length, beyond 4 GiB too)
 * @user_data: the caller's
 * @error: return location for a GError
 *
 * Takes the next piece of a stream qidl_qemu_stream_write_tree_to()
 * writes, a file's write() for example.  @data is valid only during the
 * call.
 *
 * Returns: TRUE to go on; FALSE, with @error set, stops the write.
 */
typedef gboolean (*QidlQemuWriteFunc)(const guint8 *data, gsize len,
                                      gpointer user_data, GError **error);

/**
 * qidl_qemu_stream_write_tree_to:
 * @tree: a tree read by qidl_qemu_stream_read_tree() (then filtered or
 *   edited)
 * @info: the info read with it
 * @write: takes the stream, piece by piece, in order
 * @user_data: passed to @write
 * @error: return location for a GError
 *
 * qidl_qemu_stream_write_tree() for a stream of any length: the records
 * copied from the input (guest RAM above all) are passed to @write as
 * ranges of the bytes the info holds, never copied, so memory holds the
 * device state only.  Every device section is encoded before the first
 * call: a tree that fails as qidl_qemu_stream_write_tree() fails calls
 * @write never.  If @write fails, its error is returned, and what it took
 * before is the caller's to discard (a file written under a temporary name
 * and renamed once complete, as `qidl convert` does).
 *
 * Returns: TRUE on success.
 */
gboolean qidl_qemu_stream_write_tree_to(QidlTree *tree,
                                        const QidlQemuStreamInfo *info,
                                        QidlQemuWriteFunc write,
                                        gpointer user_data, GError **error);

G_END_DECLS

#endif /* QIDL_QEMU_STREAM_H */
