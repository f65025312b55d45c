/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The native stream
 *
 * A self-describing byte stream that carries the state of many devices
 * between processes: every value travels with its name and its exact kind
 * and width, so a receiver can read the whole stream into a tree without
 * consulting any device, rewrite it with filters, and load it through the
 * same visit functions that saved it.  docs/stream-format.md specifies the
 * bytes; in short:
 *
 *     header       magic, format version, producer name and version, flags
 *     records      one per device instance (type name, instance path,
 *                  version, state), an optional metadata record, and any
 *                  record kinds of newer producers; each with a length
 *                  prefix, a CRC-32C and a mandatory/optional bit
 *     end record   record count and a CRC-32C of everything before it
 *
 * optionally wrapped as a whole in zstd (QIDL_STREAM_WRITE_ZSTD); every
 * reader here detects the wrapper from its magic.
 *
 * The encoding is canonical: one tree has exactly one encoding, and the
 * readers reject any other (names defined out of first-use order, a list
 * of same-kind scalars not packed, ...).  So a stream read into a tree or
 * into JSON and written back is byte for byte the stream it came from.
 *
 * Four ways in and out:
 *
 * 1. Writing devices directly, no tree: the writer hands out an output
 *    visitor per device that encodes straight into the stream.
 *
 *        g_autoptr(GByteArray) bytes = g_byte_array_new();
 *        g_autoptr(QidlStreamWriter) w =
 *            qidl_stream_writer_new(bytes, "my-vmm", "8.1", 0);
 *        QidlVisitor *v = qidl_stream_writer_begin_device(
 *            w, "mc146818rtc", "/machine/rtc", 3);
 *        visit_rtc(v, "rtc", &rtc, NULL);     // errors are sticky, see below
 *        qidl_stream_writer_end_device(w, NULL);
 *        ...
 *        if (!qidl_stream_writer_finish(w, error)) { ... }
 *
 *    Errors are sticky (as in SQLite's JSON writer): the first failure is
 *    kept, everything after it is a no-op, and end_device() and finish()
 *    report it.  Nothing reaches @out unless finish() succeeds.
 *
 * 2. Reading devices directly, no tree: qidl_stream_reader_next() walks
 *    the records; qidl_stream_reader_device_visitor() gives an input
 *    visitor over the current device's state.  It checks the kind and width
 *    of every value against what the visit function asks for, but needs
 *    the fields in the order the visit function asks for them (which is the
 *    order the same visit function wrote them).  For anything else
 *    (reordered or renamed fields, filters) read through a tree.
 *
 * 3. Whole streams as trees: qidl_stream_read_tree() builds one device
 *    root (qidl_node_set_device()) per device record under the tree's
 *    root, in stream order; qidl_stream_write_tree() writes every device
 *    root under a tree's root.  What is not device state (header fields,
 *    metadata, records of unknown optional kinds) is kept alongside in a
 *    #QidlStreamInfo, so a rewrite keeps it.
 *
 * 4. Whole streams as typed JSON (qidl_stream_to_json(),
 *    qidl_stream_from_json()): the header, every record, and each device's
 *    state in the json.h form.  Lossless: stream -> JSON -> stream is
 *    byte-identical.
 *
 * All readers treat the bytes as hostile: every length is checked before
 * use, walks use explicit stacks, the limits in limits.h bound
 * every allocation, and errors name the device, the field path and the byte
 * offset: "device /machine/rtc (mc146818rtc): rtc.cmos_data[12]: truncated
 * at byte offset 140".  Byte offsets count in the uncompressed stream.
 *
 * Threads: writers, readers and infos are used by one thread at a time;
 * nothing is shared between them.
 */
#ifndef QIDL_STREAM_H
#define QIDL_STREAM_H

#include <json-glib/json-glib.h>
#include <qidl/tree.h>

G_BEGIN_DECLS


/* The format version this library writes; it reads every minor of major 1. */
#define QIDL_STREAM_FORMAT_MAJOR 1
#define QIDL_STREAM_FORMAT_MINOR 0

/**
 * QidlStreamRecordKind:
 * @QIDL_STREAM_RECORD_DEVICE: one device instance's state
 * @QIDL_STREAM_RECORD_END: the last record
 * @QIDL_STREAM_RECORD_METADATA: key/value strings about the stream
 *
 * Record kinds are one byte.  Bit 7 (QIDL_STREAM_RECORD_OPTIONAL) set
 * means a reader that does not know the kind skips it (and this library
 * preserves it); clear means such a reader must fail.  0x00 and 0x80 are
 * reserved.
 */
typedef enum {
    QIDL_STREAM_RECORD_DEVICE = 0x01,
    QIDL_STREAM_RECORD_END = 0x02,
    QIDL_STREAM_RECORD_METADATA = 0x81,
} QidlStreamRecordKind;

#define QIDL_STREAM_RECORD_OPTIONAL 0x80

/**
 * QidlStreamWriteFlags:
 * @QIDL_STREAM_WRITE_ZSTD: compress the whole stream with zstd (level 3,
 *   with zstd's content checksum), behind the compressed-stream magic
 * @QIDL_STREAM_WRITE_BORROW: big values (byte buffers, strings and
 *   arrays of non-bool scalars of at least %QIDL_STREAM_BORROW_MIN bytes,
 *   such as guest RAM) are not copied when they are visited:
 *   qidl_stream_writer_finish() copies them straight from the visited
 *   objects into the output.  The caller promises that those objects
 *   neither change nor go away until finish() returns (or the writer is
 *   freed): a save that visits and finishes in one go, with the devices
 *   stopped, as qidl_device_set_save_stream() followed by finish() is.
 *   Saves one copy of the bulk of the state.  Same bytes either way.
 */
typedef enum {
    QIDL_STREAM_WRITE_NONE = 0,
    QIDL_STREAM_WRITE_ZSTD = 1 << 0,
    QIDL_STREAM_WRITE_BORROW = 1 << 1,
} QidlStreamWriteFlags;

/* The size from which QIDL_STREAM_WRITE_BORROW borrows a value. */
#define QIDL_STREAM_BORROW_MIN 4096

/* ------------------------------------------------------------------------
 * QidlStreamInfo: everything in a stream that is not device state
 *
 * The header's fields, the metadata (string keys to string values, kept
 * sorted by key as the format requires), and the records of unknown
 * optional kinds a reader preserved.  Each preserved record remembers the
 * instance path of the device record it followed (NULL: before the first
 * device), so writing it back puts it in the same place; if that device is
 * gone by then, the record goes just before the end record.
 */
typedef struct QidlStreamInfo QidlStreamInfo;

/**
 * qidl_stream_info_new:
 * @producer: the producing program's name ("qidl"), at most 65535 bytes
 *   of UTF-8
 * @producer_version: its version ("0.1.0"), likewise
 *
 * Returns: (transfer full): an info for the current format version, flags
 * 0, no metadata, no preserved records.
 */
QidlStreamInfo *qidl_stream_info_new(const char *producer,
                                     const char *producer_version);

/* Frees @info; NULL is allowed. */
void qidl_stream_info_free(QidlStreamInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QidlStreamInfo, qidl_stream_info_free)

/* Getters; strings are (transfer none), owned by @info. */
guint16 qidl_stream_info_get_format_major(const QidlStreamInfo *info);
guint16 qidl_stream_info_get_format_minor(const QidlStreamInfo *info);
const char *qidl_stream_info_get_producer(const QidlStreamInfo *info);
const char *qidl_stream_info_get_producer_version(const QidlStreamInfo *info);
/* The header's flags word (no flag is defined in format 1.0). */
guint32 qidl_stream_info_get_flags(const QidlStreamInfo *info);
/* TRUE if the stream was read from, or is to be written as, zstd. */
gboolean qidl_stream_info_get_compressed(const QidlStreamInfo *info);
void qidl_stream_info_set_compressed(QidlStreamInfo *info,
                                     gboolean compressed);

/**
 * qidl_stream_info_set_metadata:
 * @info: an info
 * @key: a non-empty key, at most 65535 bytes of UTF-8
 * @value: (nullable): its value (likewise), or NULL to remove @key
 *
 * Sets or removes one metadata entry.  Metadata is written as one record
 * right after the header, and only when there is at least one entry.
 */
void qidl_stream_info_set_metadata(QidlStreamInfo *info, const char *key,
                                   const char *value);

/* Returns: (nullable) (transfer none): the value of @key. */
const char *qidl_stream_info_get_metadata(const QidlStreamInfo *info,
                                          const char *key);

/*
 * The metadata keys in the order they are written (sorted bytewise).
 * Returns: (transfer container): free with g_free(); the strings are
 * owned by @info.
 */
const char **qidl_stream_info_get_metadata_keys(const QidlStreamInfo *info);

/**
 * qidl_stream_info_add_record:
 * @info: an info
 * @kind: a record kind with QIDL_STREAM_RECORD_OPTIONAL set that this
 *   library does not define (0x82..0xff)
 * @after: (nullable): the instance path of the device record it follows,
 *   or NULL to place it before the first device record
 * @data: the record's body, copied
 * @len: its length
 *
 * Adds a record to preserve; records are written in the order added.
 */
void qidl_stream_info_add_record(QidlStreamInfo *info, guint8 kind,
                                 const char *after, const guint8 *data,
                                 gsize len);

guint qidl_stream_info_get_n_records(const QidlStreamInfo *info);

/**
 * qidl_stream_info_get_record:
 * @info: an info
 * @index: less than qidl_stream_info_get_n_records()
 * @kind: (out) (optional): the record kind
 * @after: (out) (optional) (transfer none): as given to add_record
 * @len: (out) (optional): the body length
 *
 * Returns: (transfer none): the body of a preserved record.
 */
const guint8 *qidl_stream_info_get_record(const QidlStreamInfo *info,
                                          guint index, guint8 *kind,
                                          const char **after, gsize *len);

/* ------------------------------------------------------------------------
 * Writing
 */
typedef struct QidlStreamWriter QidlStreamWriter;

/**
 * qidl_stream_writer_new:
 * @out: (transfer none): where finish() appends the stream; must outlive
 *   the writer
 * @producer: the producer name for the header
 * @producer_version: the producer version for the header
 * @flags: #QidlStreamWriteFlags
 *
 * Returns: (transfer full): a writer; free with qidl_stream_writer_free().
 */
QidlStreamWriter *qidl_stream_writer_new(GByteArray *out,
                                         const char *producer,
                                         const char *producer_version,
                                         QidlStreamWriteFlags flags);

/**
 * qidl_stream_writer_new_full:
 * @out: as for qidl_stream_writer_new()
 * @info: (transfer none): header fields, metadata and records to preserve
 *   (copied); its compressed flag is ignored in favour of @flags
 * @flags: #QidlStreamWriteFlags
 *
 * Returns: (transfer full): a writer.
 */
QidlStreamWriter *qidl_stream_writer_new_full(GByteArray *out,
                                              const QidlStreamInfo *info,
                                              QidlStreamWriteFlags flags);

/**
 * qidl_stream_writer_begin_device:
 * @w: a writer
 * @type_name: the device's type ("mc146818rtc"), non-empty
 * @instance_path: its instance path ("/machine/rtc"), non-empty and unique
 *   in the stream
 * @version: its state version
 *
 * Starts a device record.  Visit the device's state with the returned
 * visitor: exactly one top-level visit of a struct, whose name (unique in
 * the stream) becomes the device root's name when the stream is read into
 * a tree.  Then call qidl_stream_writer_end_device().  Do not call
 * qidl_visitor_complete() or qidl_visitor_free() on it.
 *
 * The visitor's calls fail like any visitor's (a string that is not UTF-8,
 * a limit); the first failure is also kept by the writer (sticky).  Once
 * the writer has failed, the visitors it hands out accept every call and
 * do nothing.
 *
 * Returns: (transfer none): an output visitor owned by @w, valid until
 * end_device().
 */
QidlVisitor *qidl_stream_writer_begin_device(QidlStreamWriter *w,
                                             const char *type_name,
                                             const char *instance_path,
                                             guint32 version);

/**
 * qidl_stream_writer_end_device:
 * @w: a writer
 * @error: return location for a GError
 *
 * Ends the device record begun last: checks that its visit completed,
 * then appends the record (and any preserved records that follow it).
 *
 * Fails if the visit did not complete or failed, or with the writer's
 * sticky error from an earlier device.
 *
 * Returns: TRUE if the writer has not failed.
 */
gboolean qidl_stream_writer_end_device(QidlStreamWriter *w, GError **error);

/**
 * qidl_stream_writer_finish:
 * @w: a writer
 * @error: return location for a GError
 *
 * Writes the remaining preserved records and the end record, compresses if
 * asked, and appends the stream to @out.  Call once, outside any device.
 *
 * Fails with the sticky error, if any; then @out is untouched.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_stream_writer_finish(QidlStreamWriter *w, GError **error);

/**
 * qidl_stream_writer_reset:
 * @w: a writer
 * @out: (transfer none): where the next finish() appends; may be the array
 *   of the last stream
 *
 * Starts a new stream, as a writer made anew with the same arguments
 * would: the same header, metadata and preserved records, and the same
 * bytes for the same visits.  What @w was writing is forgotten, whether it
 * finished, failed or stopped inside a device.  @w keeps the memory it
 * grew (buffers, name table), so that a program that saves again and
 * again (checkpoints, benchmarks) allocates next to nothing per stream,
 * and the last stream's names: while the new stream uses them in the same
 * order, it defines each by counting it rather than by a look-up (the
 * bytes are a new writer's either way).  A writer that failed when it was
 * made (an invalid producer name, say) fails every stream the same way.
 */
void qidl_stream_writer_reset(QidlStreamWriter *w, GByteArray *out);

/* Frees @w (NULL is allowed); never @out. */
void qidl_stream_writer_free(QidlStreamWriter *w);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QidlStreamWriter, qidl_stream_writer_free)

/**
 * qidl_stream_write_tree:
 * @tree: a tree whose root's children are all device roots
 * @info: (nullable): header fields, metadata and records to preserve; NULL
 *   for a plain "libqidl" header
 * @flags: #QidlStreamWriteFlags
 * @out: where the stream is appended
 * @error: return location for a GError
 *
 * Writes every device root under the tree's root, in order, as a device
 * record.  Fails with QIDL_ERROR_UNSUPPORTED for a root child that is not
 * a device, or as the writer does; @out is then untouched.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_stream_write_tree(QidlTree *tree, const QidlStreamInfo *info,
                                QidlStreamWriteFlags flags, GByteArray *out,
                                GError **error);

/* ------------------------------------------------------------------------
 * Reading
 */

/**
 * qidl_stream_read_tree:
 * @data: a stream, plain or zstd-compressed
 * @len: its length
 * @info: (out) (optional) (transfer full): header fields, metadata and
 *   preserved records
 * @error: return location for a GError
 *
 * Reads a whole stream into a new tree: one device root per device record,
 * in stream order, named by the record's top-level name.  Everything is
 * checked: checksums, lengths, limits, kinds, canonical form, unique
 * device names and instance paths, the end record, no trailing bytes.
 *
 * Fails with QIDL_ERROR_INVALID (bad magic, bad checksum, malformed or
 * non-canonical content), QIDL_ERROR_TRUNCATED, QIDL_ERROR_VERSION (other
 * format major, unknown mandatory record kind or header flag),
 * QIDL_ERROR_UNKNOWN_FIELD (bytes after the end record) or
 * QIDL_ERROR_LIMIT; nothing is returned then.
 *
 * Returns: (transfer full) (nullable): the tree.
 */
QidlTree *qidl_stream_read_tree(const guint8 *data, gsize len,
                                QidlStreamInfo **info, GError **error);

typedef struct QidlStreamReader QidlStreamReader;

/**
 * QidlStreamDevice:
 * @type_name: the device's type
 * @instance_path: its instance path
 * @version: its state version
 * @name: the top-level name of its state ("rtc")
 * @offset: byte offset of the record in the (uncompressed) stream
 *
 * A device record as qidl_stream_reader_next() returns it.  Owned by the
 * reader; valid until the next call to qidl_stream_reader_next().
 */
typedef struct {
    const char *type_name;
    const char *instance_path;
    guint32 version;
    const char *name;
    gsize offset;
} QidlStreamDevice;

/**
 * qidl_stream_reader_new:
 * @data: (transfer none): a stream, plain or zstd-compressed; must outlive
 *   the reader
 * @len: its length
 * @error: return location for a GError
 *
 * Reads and checks the header (decompressing first if needed).
 *
 * Returns: (transfer full) (nullable): a reader, or NULL with @error set.
 */
QidlStreamReader *qidl_stream_reader_new(const guint8 *data, gsize len,
                                         GError **error);

/**
 * qidl_stream_reader_get_info:
 *
 * Returns: (transfer none): the header fields; metadata and preserved
 * records are added as qidl_stream_reader_next() passes them.
 */
const QidlStreamInfo *qidl_stream_reader_get_info(const QidlStreamReader *r);

/**
 * qidl_stream_reader_next:
 * @r: a reader
 * @out: (out) (transfer none): the next device record, or NULL when the
 *   end record was reached (and checked)
 * @error: return location for a GError
 *
 * Advances to the next device record, checking its checksum and header
 * and passing metadata and preserved records.  A device's state is only
 * checked when it is visited (qidl_stream_reader_device_visitor()); the
 * tree reader checks everything.
 *
 * Returns: FALSE with @error set on failure; after a failure the reader
 * can only be freed or reset.
 */
gboolean qidl_stream_reader_next(QidlStreamReader *r,
                                 const QidlStreamDevice **out,
                                 GError **error);

/**
 * qidl_stream_reader_device_visitor:
 * @r: a reader positioned on a device record
 * @flags: QIDL_TREE_INPUT_ALLOW_UNKNOWN to skip fields the visit does
 *   not ask for
 *
 * An input visitor over the current device's state, without a tree.  The
 * top-level visit reads the record's struct whatever name it is given.
 * Fields must come in the order the visit asks for them: a field that
 * is not next is QIDL_ERROR_MISSING_FIELD.  Kinds and widths are checked
 * exactly (QIDL_ERROR_TYPE_MISMATCH "expected uint8, found uint16 at
 * byte offset 140"); messages start with "device PATH (TYPE): ".
 * qidl_visitor_complete() checks the whole state was consumed.
 *
 * Returns: (transfer full): an input visitor; it must not outlive @r.
 */
QidlVisitor *qidl_stream_reader_device_visitor(QidlStreamReader *r,
                                               QidlTreeInputFlags flags);

/**
 * qidl_stream_reader_reset:
 * @r: a reader
 * @data: (transfer none): the next stream, plain or zstd-compressed; must
 *   outlive the reader or its next reset
 * @len: its length
 * @error: return location for a GError
 *
 * Starts reading another stream, as qidl_stream_reader_new() would, but
 * keeping the memory @r grew (name table, strings, a device visitor), so
 * that a program that loads again and again allocates next to nothing
 * per stream; from the second reset on, a record that defines the same
 * names as the last stream's at that point is checked by one comparison
 * with them (what it reads is a new reader's either way).  Whatever @r
 * handed out for the last stream (devices, info, names) is gone; free its
 * device visitors first.  Works after a failure.
 *
 * Returns: TRUE, or FALSE with @error set if @data's header is not a
 * stream's (then @r can only be reset again or freed).
 */
gboolean qidl_stream_reader_reset(QidlStreamReader *r, const guint8 *data,
                                  gsize len, GError **error);

/* Frees @r (NULL is allowed); never the data given to it. */
void qidl_stream_reader_free(QidlStreamReader *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QidlStreamReader, qidl_stream_reader_free)

/* ------------------------------------------------------------------------
 * Typed JSON
 *
 *     {
 *       "format": "1.0",
 *       "producer": "qidl", "producer_version": "0.1.0",
 *       "flags": 0,
 *       "compression": "none",            ("zstd")
 *       "records": [
 *         {"kind": "metadata", "entries": {"host": "a"}},
 *         {"kind": "device", "name": "rtc",
 *          "state": {"$device": {...}, ...json.h form...}},
 *         {"kind": "preserved", "code": 133, "data": "00ff"},
 *         ...
 *       ]
 *     }
 *
 * The end record is implied.  docs/stream-format.md has the details.
 */

/**
 * qidl_stream_json_from_tree:
 * @tree: a tree whose root's children are all device roots
 * @info: (nullable): header fields, metadata and preserved records
 *
 * Returns: (transfer full): the typed JSON form of the stream
 * qidl_stream_write_tree() would write.
 */
JsonNode *qidl_stream_json_from_tree(QidlTree *tree,
                                     const QidlStreamInfo *info);

/**
 * qidl_stream_json_to_tree:
 * @json: the typed JSON form of a stream
 * @info: (out) (optional) (transfer full): header fields, metadata and
 *   preserved records
 * @error: return location for a GError
 *
 * Fails with QIDL_ERROR_INVALID naming the JSON member that is not the
 * typed form ("records[2].kind: ...") or describes what a stream cannot
 * carry, as qidl_stream_write_tree() would refuse it: a device name that
 * is empty or longer than QIDL_LIMIT_NAME_LEN, a type name or instance
 * path longer than 65535 bytes, an instance path two records share, a
 * nested "$device", a string that is not UTF-8 ("records[0]: rtc.name:
 * string is not valid UTF-8 ...").  Another format major or a mandatory
 * flag fails with QIDL_ERROR_VERSION.
 *
 * Returns: (transfer full) (nullable): the tree.
 */
QidlTree *qidl_stream_json_to_tree(JsonNode *json, QidlStreamInfo **info,
                                   GError **error);

/**
 * qidl_stream_to_json:
 * @data: a stream
 * @len: its length
 * @error: return location for a GError
 *
 * Reads @data as qidl_stream_read_tree() does and converts it.
 *
 * Returns: (transfer full) (nullable): the typed JSON form.
 */
JsonNode *qidl_stream_to_json(const guint8 *data, gsize len, GError **error);

/**
 * qidl_stream_from_json:
 * @json: the typed JSON form of a stream
 * @out: where the stream is appended (untouched on failure)
 * @error: return location for a GError
 *
 * Writes the stream @json describes, compressed if its "compression" says
 * so.  For JSON made by qidl_stream_to_json() the bytes are those it was
 * made from.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_stream_from_json(JsonNode *json, GByteArray *out,
                               GError **error);

G_END_DECLS

#endif /* QIDL_STREAM_H */
