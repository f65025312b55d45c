/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the QEMU stream modules share (qemu-stream.h): the wire constants,
 * the layout of a device section compiled from its vmdesc entry, and
 * QidlQemuStreamInfo's contents.  Private to libqidl.
 *
 *     qemu-stream-vmdesc.c   vmdesc JSON -> layouts
 *     qemu-stream-reader.c   bytes -> records, RAM walk, device decoding
 *     qemu-stream-writer.c   tree + info -> bytes
 *     qemu-stream-info.c     the info's getters and lifetime
 */
#ifndef QIDL_QEMU_STREAM_PRIVATE_H
#define QIDL_QEMU_STREAM_PRIVATE_H

#include <json-glib/json-glib.h>

#include <qidl/qemu-stream.h>

/* QEMU_VM_SUBSECTION and QEMU_VM_SECTION_FOOTER (migration/savevm.c). */
#define QEMU_SUBSECTION_MARKER 0x05
#define QEMU_FOOTER_MARKER 0x7e

/* What a layout entry is on the wire. */
typedef enum {
    LAYOUT_SCALAR,        /* a big-endian integer, bool or IEEE double */
    LAYOUT_BYTES,         /* opaque bytes of a known size */
    LAYOUT_STRUCT,        /* children: fields, then subsections */
    LAYOUT_LIST,          /* children: the elements, or one repeated */
    LAYOUT_SUBSECTION,    /* a header, then a struct's children */
} LayoutKind;

/*
 * One entry of a device section's layout.  Layouts are trees owned by the
 * info (freed with qemu_layout_free()); children are in wire order.  A
 * subsection is a struct with a header before its children.  Sizes are
 * what the entry takes on the wire, its children and headers included.
 */
typedef struct QemuLayout QemuLayout;
struct QemuLayout {
    LayoutKind kind;
    QidlKind scalar;          /* LAYOUT_SCALAR: the node kind */
    char *name;               /* tree name; NULL for list elements */
    guint64 size;             /* bytes on the wire */
    guint32 count;            /* LAYOUT_LIST: elements */
    gboolean repeated;        /* LAYOUT_LIST: children[0] count times */
    char *sub_name;           /* LAYOUT_SUBSECTION: QEMU's vmsd name */
    guint32 sub_version;      /* LAYOUT_SUBSECTION: its version */
    GPtrArray *children;      /* QemuLayout *, owned; NULL for leaves */
};

void qemu_layout_free(QemuLayout *layout);

/*
 * A vmdesc entry compiled: what it says about its section, and the layout
 * of the section's state (a LAYOUT_STRUCT without a name).
 */
typedef struct {
    char *name;               /* the idstr it describes */
    guint32 instance_id;
    QemuLayout *layout;
} QemuVmdescEntry;

/*
 * Parses and compiles a vmdesc text: its page size (0 if it gives none)
 * and one entry per device, in order.  @n_fields counts layout entries
 * against QIDL_LIMIT_QEMU_FIELDS.  Errors are QIDL_ERROR_INVALID or
 * QIDL_ERROR_LIMIT, naming the JSON member ("devices[3] ('i8259')
 * .fields[2]: ..."); the caller says which vmdesc.
 */
gboolean qemu_vmdesc_compile(const char *text, gsize len,
                             guint32 *page_size, GPtrArray **entries,
                             GError **error);

void qemu_vmdesc_entry_free(gpointer p);

/*
 * Writes @name into @out as a tree name: '.' -> '_', '[' -> '<',
 * ']' -> '>', a leading '$' -> '_', the empty name -> "_".
 */
void qemu_tree_name(GString *out, const char *name);

/* One record, with the strings QidlQemuRecord points at owned here. */
typedef struct {
    QidlQemuRecord pub;
    char *idstr;
    char *device_name;
    char *instance_path;
    QemuLayout *layout;       /* FULL sections: borrowed from vmdesc */
    gsize footer_offset;      /* sections with a footer: where it starts */
} QemuRecord;

typedef struct {
    char *name;
    guint64 length;
} QemuRamBlock;

struct QidlQemuStreamInfo {
    GBytes *bytes;            /* the stream */
    const guint8 *data;
    gsize len;
    char *machine;            /* nullable */
    gboolean footers;
    char *vmdesc_text;        /* the text devices were decoded with */
    gsize vmdesc_len;
    GPtrArray *vmdesc;        /* QemuVmdescEntry *, owned */
    GPtrArray *records;       /* QemuRecord *, owned, in stream order */
    GHashTable *devices;      /* instance path -> QemuRecord *, borrowed */
    GArray *ram_blocks;       /* QemuRamBlock, names owned */
    QidlQemuRamStats ram;
};

QidlQemuStreamInfo *qemu_stream_info_new(GBytes *bytes);

static inline guint16 qemu_get_be16(const guint8 *p)
{
    return (guint16)((guint16)p[0] << 8 | p[1]);
}

static inline guint32 qemu_get_be32(const guint8 *p)
{
    return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 |
           p[3];
}

static inline guint64 qemu_get_be64(const guint8 *p)
{
    return (guint64)qemu_get_be32(p) << 32 | qemu_get_be32(p + 4);
}

#endif /* QIDL_QEMU_STREAM_PRIVATE_H */
