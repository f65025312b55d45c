/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The QEMU stream reader (qemu-stream.h, docs/qemu-stream.md): cuts a
 * stream into records, walks RAM sections by their flag grammar, and
 * decodes device sections into device roots with the vmdesc.
 *
 * The bytes are hostile.  Every read checks the bytes left first; the
 * vmdesc is bounded before it is parsed; the decoder recurses only along
 * layouts, whose depth the vmdesc compiler bounded by QIDL_LIMIT_DEPTH;
 * records, RAM blocks and fields are bounded by limits.h.  Every error
 * names the record ("section 12 'i8259' (instance 0): ") and the byte
 * offset.
 */
#include <string.h>

#include "qemu-stream-private.h"

/* migration/ram.c: the flags in the low bits of a RAM record's address. */
#define RAM_FLAG_FULL 0x01
#define RAM_FLAG_ZERO 0x02
#define RAM_FLAG_MEM_SIZE 0x04
#define RAM_FLAG_PAGE 0x08
#define RAM_FLAG_EOS 0x10
#define RAM_FLAG_CONTINUE 0x20
#define RAM_FLAG_XBZRLE 0x40
#define RAM_FLAG_HOOK 0x80
#define RAM_FLAG_COMPRESS_PAGE 0x100
/* migration/xbzrle.h: the only XBZRLE encoding flag. */
#define XBZRLE_ENCODING 0x01
/* migration/savevm.c: MIG_CMD_PACKAGED wraps a whole stream (postcopy). */
#define MIG_CMD_PACKAGED 7
/* The x86 target page, for streams that do not say. */
#define DEFAULT_PAGE_SIZE 4096u

typedef struct {
    QidlQemuStreamInfo *info;
    const guint8 *data;
    gsize len;
    gsize pos;
    QidlTree *tree;
    GPtrArray *entries;       /* QemuVmdescEntry *, the info's, or NULL */
    const char *no_vmdesc;    /* why there is none, for messages */
    guint n_full;             /* FULL sections decoded */
    gboolean footers_known;
    GHashTable *started;      /* section id -> QemuRecord * of its START */
    GHashTable *names;        /* device names used (owned by records) */
    GHashTable *pairs;        /* "idstr/instance" (owned) -> count */
    guint32 page_size;
    gboolean ignore_shared;   /* x-ignore-shared: blocks carry an address */
    gsize trailer;            /* offset of the vmdesc record, or len */
    GHashTable *blocks;       /* RAM block name (the info's) -> index + 1 */
    const QemuRamBlock *block;        /* RAM: the block pages continue */
    const QemuRecord *last;   /* the last record, for messages */
} Reader;

/* ---- records and messages ---- */

static QemuRecord *add_record(Reader *r, QidlQemuRecordType type,
                              gsize offset, GError **error)
{
    QemuRecord *rec;

    if (r->info->records->len >= QIDL_LIMIT_QEMU_RECORDS) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                    "more than %u records at byte offset %" G_GSIZE_FORMAT,
                    QIDL_LIMIT_QEMU_RECORDS, offset);
        return NULL;
    }
    rec = g_new0(QemuRecord, 1);
    rec->pub.type = type;
    rec->pub.offset = offset;
    g_ptr_array_add(r->info->records, rec);
    return rec;
}

/* "section 12 'i8259' (instance 0)" */
static char *section_label(const QemuRecord *rec)
{
    return g_strdup_printf("section %" G_GUINT32_FORMAT " '%s' (instance %"
                           G_GUINT32_FORMAT ")", rec->pub.section_id,
                           rec->idstr ? rec->idstr : "?",
                           rec->pub.instance_id);
}

static gboolean section_error(const QemuRecord *rec, GError **error,
                              int code, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean section_error(const QemuRecord *rec, GError **error,
                              int code, const char *format, ...)
{
    g_autofree char *label = section_label(rec);
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, QIDL_ERROR, code, "%s: %s", label, msg);
    return FALSE;
}

/* Where the walk is, for errors outside any section. */
static char *context(const Reader *r)
{
    g_autofree char *label = NULL;

    if (!r->last) {
        return g_strdup("");
    }
    switch (r->last->pub.type) {
    case QIDL_QEMU_RECORD_START:
    case QIDL_QEMU_RECORD_PART:
    case QIDL_QEMU_RECORD_END:
    case QIDL_QEMU_RECORD_FULL:
        label = section_label(r->last);
        return g_strdup_printf(" (after %s)", label);
    case QIDL_QEMU_RECORD_CONFIGURATION:
        return g_strdup(" (after the configuration)");
    case QIDL_QEMU_RECORD_COMMAND:
        return g_strdup(" (after a command)");
    default:
        return g_strdup(" (after the header)");
    }
}

/* TRUE if @n bytes are left at the read position. */
static gboolean has(const Reader *r, gsize n)
{
    return r->len - r->pos >= n;
}

/* ---- the configuration record ---- */

static gboolean config_error(const Reader *r, GError **error, int code,
                             const char *what)
{
    g_set_error(error, QIDL_ERROR, code,
                "configuration: %s at byte offset %" G_GSIZE_FORMAT, what,
                r->pos);
    return FALSE;
}

/* A counted string (u8 length, bytes) as QEMU's idstrs and names. */
static gboolean read_counted(Reader *r, const guint8 **s, guint8 *n)
{
    if (!has(r, 1) || !has(r, 1 + (gsize)r->data[r->pos])) {
        return FALSE;
    }
    *n = r->data[r->pos];
    *s = r->data + r->pos + 1;
    r->pos += 1 + (gsize)*n;
    return TRUE;
}

/*
 * QEMU_VM_CONFIGURATION: the machine type (be32 length, bytes), then the
 * subsections of vmstate_configuration that QEMU 7.2 may send.
 */
static gboolean read_configuration(Reader *r, GError **error)
{
    QemuRecord *rec = add_record(r, QIDL_QEMU_RECORD_CONFIGURATION, r->pos,
                                 error);
    guint32 n;

    if (!rec) {
        return FALSE;
    }
    r->pos++;
    rec->pub.payload_offset = r->pos;
    if (!has(r, 4)) {
        return config_error(r, error, QIDL_ERROR_TRUNCATED,
                            "machine type truncated");
    }
    n = qemu_get_be32(r->data + r->pos);
    if (n > G_MAXUINT8) {
        return config_error(r, error, QIDL_ERROR_INVALID,
                            "machine type longer than 255 bytes");
    }
    r->pos += 4;
    if (!has(r, n)) {
        return config_error(r, error, QIDL_ERROR_TRUNCATED,
                            "machine type truncated");
    }
    r->info->machine = g_strndup((const char *)r->data + r->pos, n);
    if (strlen(r->info->machine) != n ||
        !g_str_is_ascii(r->info->machine)) {
        return config_error(r, error, QIDL_ERROR_INVALID,
                            "machine type is not ASCII");
    }
    r->pos += n;

    while (has(r, 1) && r->data[r->pos] == QEMU_SUBSECTION_MARKER) {
        gsize start = r->pos;
        const guint8 *name;
        guint8 name_len;
        g_autofree char *sub = NULL;

        r->pos++;
        if (!read_counted(r, &name, &name_len) || !has(r, 4)) {
            r->pos = start;
            return config_error(r, error, QIDL_ERROR_TRUNCATED,
                                "subsection header truncated");
        }
        sub = g_strndup((const char *)name, name_len);
        r->pos += 4;      /* the subsection's version */
        if (strcmp(sub, "configuration/target-page-bits") == 0) {
            guint32 bits;

            if (!has(r, 4)) {
                return config_error(r, error, QIDL_ERROR_TRUNCATED,
                                    "target-page-bits truncated");
            }
            bits = qemu_get_be32(r->data + r->pos);
            if (bits < 9 || bits > 30) {
                return config_error(r, error, QIDL_ERROR_INVALID,
                                    "target page bits out of [9, 30]");
            }
            r->page_size = 1u << bits;
            r->pos += 4;
        } else if (strcmp(sub, "configuration/capabilities") == 0) {
            guint32 count;

            if (!has(r, 4)) {
                return config_error(r, error, QIDL_ERROR_TRUNCATED,
                                    "capabilities truncated");
            }
            count = qemu_get_be32(r->data + r->pos);
            r->pos += 4;
            for (guint32 i = 0; i < count; i++) {
                const guint8 *cap;
                guint8 cap_len;

                if (!read_counted(r, &cap, &cap_len)) {
                    return config_error(r, error, QIDL_ERROR_TRUNCATED,
                                        "capability truncated");
                }
                if (cap_len == strlen("x-ignore-shared") &&
                    memcmp(cap, "x-ignore-shared", cap_len) == 0) {
                    r->ignore_shared = TRUE;
                }
            }
        } else if (strcmp(sub, "configuration/uuid") == 0) {
            if (!has(r, 16)) {
                return config_error(r, error, QIDL_ERROR_TRUNCATED,
                                    "uuid truncated");
            }
            r->pos += 16;
        } else {
            g_autofree char *what =
                g_strdup_printf("unknown subsection '%s'",
                                g_str_is_ascii(sub) ? sub : "?");

            r->pos = start;
            return config_error(r, error, QIDL_ERROR_UNSUPPORTED, what);
        }
    }
    rec->pub.payload_length = r->pos - rec->pub.payload_offset;
    rec->pub.length = r->pos - rec->pub.offset;
    r->last = rec;
    return TRUE;
}

/* ---- RAM sections ---- */

/* @n bytes of the stream as a string for messages: non-printable -> '?'. */
static char *printable(const guint8 *s, gsize n)
{
    char *out = g_malloc(n + 1);

    for (gsize i = 0; i < n; i++) {
        out[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
    }
    out[n] = '\0';
    return out;
}

/* zlib's compressBound(): the most a compressed page may take. */
static gsize compress_bound(gsize n)
{
    return n + (n >> 12) + (n >> 14) + (n >> 25) + 13;
}

static gboolean ram_error(const QemuRecord *rec, gsize at, GError **error,
                          int code, const char *what)
{
    return section_error(rec, error, code,
                         "RAM record at byte offset %" G_GSIZE_FORMAT ": %s",
                         at, what);
}

static gboolean ram_truncated(const Reader *r, const QemuRecord *rec,
                              gsize at, GError **error)
{
    g_autofree char *what =
        g_strdup_printf("truncated at byte offset %" G_GSIZE_FORMAT, r->len);

    return ram_error(rec, at, error, QIDL_ERROR_TRUNCATED, what);
}

/* RAM_SAVE_FLAG_MEM_SIZE: the RAM block list, @total bytes in all. */
static gboolean ram_blocks(Reader *r, const QemuRecord *rec, gsize at,
                           guint64 total, GError **error)
{
    if (r->info->ram_blocks->len > 0) {
        return ram_error(rec, at, error, QIDL_ERROR_INVALID,
                         "a second RAM block list");
    }
    while (total > 0) {
        QemuRamBlock b;
        const guint8 *name;
        guint8 name_len;

        if (r->info->ram_blocks->len >= QIDL_LIMIT_QEMU_RAM_BLOCKS) {
            return section_error(rec, error, QIDL_ERROR_LIMIT,
                                 "more than %u RAM blocks at byte offset %"
                                 G_GSIZE_FORMAT, QIDL_LIMIT_QEMU_RAM_BLOCKS,
                                 r->pos);
        }
        if (!read_counted(r, &name, &name_len) ||
            !has(r, r->ignore_shared ? 16 : 8)) {
            return ram_truncated(r, rec, at, error);
        }
        b.length = qemu_get_be64(r->data + r->pos);
        r->pos += r->ignore_shared ? 16 : 8;
        if (b.length > total) {
            return ram_error(rec, at, error, QIDL_ERROR_INVALID,
                             "RAM blocks longer than the total announced");
        }
        total -= b.length;
        b.name = g_strndup((const char *)name, name_len);
        g_array_append_val(r->info->ram_blocks, b);
        if (!g_hash_table_contains(r->blocks, b.name)) {
            g_hash_table_insert(r->blocks, b.name,
                                GUINT_TO_POINTER(r->info->ram_blocks->len));
        }
        r->info->ram.n_blocks++;
        r->info->ram.total_bytes += b.length;
    }
    return TRUE;
}

/* The block a page record names; a hash lookup, as there are millions. */
static const QemuRamBlock *find_block(const Reader *r, const guint8 *name,
                                      guint8 len)
{
    char key[G_MAXUINT8 + 1];
    guint index;

    memcpy(key, name, len);
    key[len] = '\0';
    index = GPOINTER_TO_UINT(g_hash_table_lookup(r->blocks, key));
    return index ? &g_array_index(r->info->ram_blocks, QemuRamBlock,
                                  index - 1)
                 : NULL;
}

/*
 * The payload of a RAM section: records (be64 address | flags, then what
 * the flags say) up to RAM_SAVE_FLAG_EOS.
 */
static gboolean walk_ram(Reader *r, const QemuRecord *rec, GError **error)
{
    guint64 mask = r->page_size - 1;

    for (;;) {
        gsize at = r->pos;
        guint64 v, addr;
        guint flags;

        if (!has(r, 8)) {
            return ram_truncated(r, rec, at, error);
        }
        v = qemu_get_be64(r->data + r->pos);
        r->pos += 8;
        flags = (guint)(v & mask);
        addr = v & ~mask;

        if (flags & (RAM_FLAG_ZERO | RAM_FLAG_PAGE | RAM_FLAG_XBZRLE |
                     RAM_FLAG_COMPRESS_PAGE)) {
            if (!(flags & RAM_FLAG_CONTINUE)) {
                const guint8 *name;
                guint8 name_len;

                if (!read_counted(r, &name, &name_len)) {
                    return ram_truncated(r, rec, at, error);
                }
                r->block = find_block(r, name, name_len);
                if (!r->block) {
                    g_autofree char *shown = printable(name, name_len);
                    g_autofree char *what = g_strdup_printf(
                        "page of unknown RAM block '%s'", shown);

                    return ram_error(rec, at, error, QIDL_ERROR_INVALID,
                                     what);
                }
            } else if (!r->block) {
                return ram_error(rec, at, error, QIDL_ERROR_INVALID,
                                 "page continues no RAM block");
            }
            if (addr >= r->block->length) {
                g_autofree char *what = g_strdup_printf(
                    "page offset 0x%" G_GINT64_MODIFIER "x beyond RAM block "
                    "'%s' (0x%" G_GINT64_MODIFIER "x bytes)", addr,
                    r->block->name, r->block->length);

                return ram_error(rec, at, error, QIDL_ERROR_INVALID, what);
            }
        }

        switch (flags & ~RAM_FLAG_CONTINUE) {
        case RAM_FLAG_MEM_SIZE:
            if (!ram_blocks(r, rec, at, addr, error)) {
                return FALSE;
            }
            break;
        case RAM_FLAG_ZERO:
            if (!has(r, 1)) {
                return ram_truncated(r, rec, at, error);
            }
            r->pos += 1;
            r->info->ram.zero_pages++;
            break;
        case RAM_FLAG_PAGE:
            if (!has(r, r->page_size)) {
                return ram_truncated(r, rec, at, error);
            }
            r->pos += r->page_size;
            r->info->ram.normal_pages++;
            break;
        case RAM_FLAG_COMPRESS_PAGE: {
            guint32 n;

            if (!has(r, 4)) {
                return ram_truncated(r, rec, at, error);
            }
            n = qemu_get_be32(r->data + r->pos);
            r->pos += 4;
            if (n > compress_bound(r->page_size)) {
                return ram_error(rec, at, error, QIDL_ERROR_INVALID,
                                 "compressed page longer than zlib's bound");
            }
            if (!has(r, n)) {
                return ram_truncated(r, rec, at, error);
            }
            r->pos += n;
            r->info->ram.compressed_pages++;
            break;
        }
        case RAM_FLAG_XBZRLE: {
            guint16 n;

            if (!has(r, 3)) {
                return ram_truncated(r, rec, at, error);
            }
            if (r->data[r->pos] != XBZRLE_ENCODING) {
                return ram_error(rec, at, error, QIDL_ERROR_INVALID,
                                 "unknown XBZRLE encoding");
            }
            n = qemu_get_be16(r->data + r->pos + 1);
            r->pos += 3;
            if (n > r->page_size) {
                return ram_error(rec, at, error, QIDL_ERROR_INVALID,
                                 "XBZRLE page longer than a page");
            }
            if (!has(r, n)) {
                return ram_truncated(r, rec, at, error);
            }
            r->pos += n;
            r->info->ram.xbzrle_pages++;
            break;
        }
        case RAM_FLAG_EOS:
            return TRUE;
        default: {
            g_autofree char *what = g_strdup_printf(
                "%s flags 0x%x", (flags & RAM_FLAG_HOOK) ?
                "RDMA hook (unsupported):" : "invalid", flags);

            return ram_error(rec, at, error,
                             (flags & RAM_FLAG_HOOK) ?
                             QIDL_ERROR_UNSUPPORTED : QIDL_ERROR_INVALID,
                             what);
        }
        }
    }
}

/* ---- device sections ---- */

typedef struct {
    Reader *r;
    const QemuRecord *rec;
    GString *path;            /* the field path, for messages */
} Decoder;

static gboolean field_error(const Decoder *d, GError **error, int code,
                            const char *format, ...) G_GNUC_PRINTF(4, 5);

static gboolean field_error(const Decoder *d, GError **error, int code,
                            const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    return section_error(d->rec, error, code, "field %s: %s",
                         d->path->len ? d->path->str : "(state)", msg);
}

/* Reads @n bytes of a field, or fails naming it. */
static const guint8 *take(Decoder *d, gsize n, GError **error)
{
    Reader *r = d->r;
    const guint8 *p;

    /* The EOF byte and the trailer are not state: no section runs in. */
    gsize end = r->trailer < r->len ? r->trailer - 1 : r->len;
    gsize left = end > r->pos ? end - r->pos : 0;

    if (n > left) {
        field_error(d, error, QIDL_ERROR_TRUNCATED,
                    "truncated at byte offset %" G_GSIZE_FORMAT
                    " (needs %" G_GSIZE_FORMAT " byte%s, %" G_GSIZE_FORMAT
                    " left)", r->pos, n, n == 1 ? "" : "s", left);
        return NULL;
    }
    p = r->data + r->pos;
    r->pos += n;
    return p;
}

static QidlNode *decode_scalar(Decoder *d, const QemuLayout *l,
                               const char *name, GError **error)
{
    QidlTree *tree = d->r->tree;
    gsize at = d->r->pos;
    const guint8 *p = take(d, l->size, error);
    guint64 v;

    if (!p) {
        return NULL;
    }
    switch (l->size) {
    case 1:
        v = p[0];
        break;
    case 2:
        v = qemu_get_be16(p);
        break;
    case 4:
        v = qemu_get_be32(p);
        break;
    default:
        v = qemu_get_be64(p);
        break;
    }
    switch (l->scalar) {
    case QIDL_KIND_BOOL:
        if (v > 1) {
            field_error(d, error, QIDL_ERROR_INVALID,
                        "bool 0x%02x at byte offset %" G_GSIZE_FORMAT
                        " is neither 0 nor 1", (guint)v, at);
            return NULL;
        }
        return qidl_node_new_bool(tree, name, v != 0);
    case QIDL_KIND_INT8:
        return qidl_node_new_int(tree, name, l->scalar, (gint8)v);
    case QIDL_KIND_INT16:
        return qidl_node_new_int(tree, name, l->scalar, (gint16)v);
    case QIDL_KIND_INT32:
        return qidl_node_new_int(tree, name, l->scalar, (gint32)v);
    case QIDL_KIND_INT64:
        return qidl_node_new_int(tree, name, l->scalar, (gint64)v);
    case QIDL_KIND_DOUBLE: {
        double dv;

        memcpy(&dv, &v, sizeof(dv));
        return qidl_node_new_float(tree, name, l->scalar, dv);
    }
    default:
        return qidl_node_new_uint(tree, name, l->scalar, v);
    }
}

static gboolean decode_children(Decoder *d, const QemuLayout *l,
                                QidlNode *node, GError **error);

/* One layout entry into a new node called @name (NULL: list element). */
static QidlNode *decode(Decoder *d, const QemuLayout *l, const char *name,
                        GError **error)
{
    QidlTree *tree = d->r->tree;
    QidlNode *node;
    const guint8 *p;

    switch (l->kind) {
    case LAYOUT_SCALAR:
        return decode_scalar(d, l, name, error);
    case LAYOUT_BYTES:
        p = take(d, l->size, error);
        return p ? qidl_node_new_bytes(tree, name, p, l->size) : NULL;
    case LAYOUT_SUBSECTION: {
        gsize at = d->r->pos;
        gsize n = strlen(l->sub_name);

        p = take(d, 1 + 1 + n + 4, error);
        if (!p) {
            return NULL;
        }
        if (p[0] != QEMU_SUBSECTION_MARKER || p[1] != n ||
            memcmp(p + 2, l->sub_name, n) != 0 ||
            qemu_get_be32(p + 2 + n) != l->sub_version) {
            field_error(d, error, QIDL_ERROR_INVALID,
                        "no header of subsection '%s' version %"
                        G_GUINT32_FORMAT " at byte offset %" G_GSIZE_FORMAT,
                        l->sub_name, l->sub_version, at);
            return NULL;
        }
    }
        /* fall through */
    case LAYOUT_STRUCT:
        node = qidl_node_new_struct(tree, name);
        return decode_children(d, l, node, error) ? node : NULL;
    case LAYOUT_LIST:
        node = qidl_node_new_list(tree, name);
        return decode_children(d, l, node, error) ? node : NULL;
    }
    g_assert_not_reached();
}

/* The children of a struct, subsection or list layout into @node. */
static gboolean decode_children(Decoder *d, const QemuLayout *l,
                                QidlNode *node, GError **error)
{
    guint n = l->kind == LAYOUT_LIST ? l->count : l->children->len;

    for (guint i = 0; i < n; i++) {
        const QemuLayout *cl = g_ptr_array_index(l->children,
                                                 l->repeated ? 0 : i);
        gsize old = d->path->len;
        QidlNode *child;

        if (l->kind == LAYOUT_LIST) {
            g_string_append_printf(d->path, "[%u]", i);
        } else {
            g_string_append_printf(d->path, "%s%s", old ? "." : "",
                                   cl->name);
        }
        child = decode(d, cl, l->kind == LAYOUT_LIST ? NULL : cl->name,
                       error);
        if (!child || !qidl_node_append(node, child, error)) {
            return FALSE;
        }
        g_string_truncate(d->path, old);
    }
    return TRUE;
}

/* A unique name for the device of @rec: "i8259", "i8259#1", "x~2". */
static char *device_name(Reader *r, const QemuRecord *rec)
{
    g_autoptr(GString) base = g_string_new(NULL);
    GString *name;

    qemu_tree_name(base, rec->idstr);
    if (rec->pub.instance_id != 0) {
        g_string_append_printf(base, "#%" G_GUINT32_FORMAT,
                               rec->pub.instance_id);
    }
    name = g_string_new(base->str);
    for (guint n = 2; g_hash_table_contains(r->names, name->str); n++) {
        g_string_printf(name, "%s~%u", base->str, n);
    }
    return g_string_free(name, FALSE);
}

/* "/qemu/IDSTR/INSTANCE", with "~N" for the N-th repetition of the pair. */
static char *instance_path(Reader *r, const QemuRecord *rec)
{
    char *key = g_strdup_printf("%s/%" G_GUINT32_FORMAT, rec->idstr,
                                rec->pub.instance_id);
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(r->pairs, key)) + 1;
    char *path = n == 1 ? g_strdup_printf("/qemu/%s", key)
                        : g_strdup_printf("/qemu/%s~%u", key, n);

    g_hash_table_replace(r->pairs, key, GUINT_TO_POINTER(n));
    return path;
}

static gboolean decode_device(Reader *r, QemuRecord *rec, GError **error)
{
    g_autoptr(GString) path = g_string_new(NULL);
    Decoder d = { r, rec, path };
    const QemuVmdescEntry *e;
    QidlNode *dev;

    if (!r->entries) {
        return section_error(rec, error, QIDL_ERROR_UNSUPPORTED,
                             "no vmdesc to decode it with at byte offset %"
                             G_GSIZE_FORMAT " (%s)", rec->pub.offset,
                             r->no_vmdesc);
    }
    if (r->n_full >= r->entries->len) {
        return section_error(rec, error, QIDL_ERROR_INVALID,
                             "at byte offset %" G_GSIZE_FORMAT ": the vmdesc "
                             "describes only %u sections", rec->pub.offset,
                             r->entries->len);
    }
    e = g_ptr_array_index(r->entries, r->n_full);
    if (strcmp(e->name, rec->idstr) != 0 ||
        e->instance_id != rec->pub.instance_id) {
        return section_error(rec, error, QIDL_ERROR_INVALID,
                             "at byte offset %" G_GSIZE_FORMAT ": vmdesc "
                             "entry %u describes '%s' (instance %"
                             G_GUINT32_FORMAT ")", rec->pub.offset,
                             r->n_full, e->name, e->instance_id);
    }
    r->n_full++;
    rec->layout = e->layout;
    rec->device_name = device_name(r, rec);
    rec->instance_path = instance_path(r, rec);
    rec->pub.device_name = rec->device_name;
    rec->pub.instance_path = rec->instance_path;

    dev = qidl_node_new_struct(r->tree, rec->device_name);
    if (!decode_children(&d, e->layout, dev, error)) {
        return FALSE;
    }
    qidl_node_set_device(dev, rec->idstr, rec->instance_path,
                         rec->pub.version);
    if (!qidl_node_append(qidl_tree_get_root(r->tree), dev, error)) {
        return FALSE;
    }
    g_hash_table_add(r->names, rec->device_name);
    g_hash_table_insert(r->info->devices, rec->instance_path, rec);
    return TRUE;
}

/* ---- sections ---- */

/* After a section's payload: its footer, if the stream has footers. */
static gboolean read_footer(Reader *r, QemuRecord *rec, GError **error)
{
    rec->pub.payload_length = r->pos - rec->pub.payload_offset;
    if (!r->footers_known) {
        r->footers_known = TRUE;
        r->info->footers = has(r, 1) &&
                           r->data[r->pos] == QEMU_FOOTER_MARKER;
    }
    if (r->info->footers) {
        rec->footer_offset = r->pos;
        if (!has(r, 5)) {
            return section_error(rec, error, QIDL_ERROR_TRUNCATED,
                                 "section footer truncated at byte offset %"
                                 G_GSIZE_FORMAT, r->pos);
        }
        if (r->data[r->pos] != QEMU_FOOTER_MARKER ||
            qemu_get_be32(r->data + r->pos + 1) != rec->pub.section_id) {
            return section_error(rec, error, QIDL_ERROR_INVALID,
                                 "no section footer at byte offset %"
                                 G_GSIZE_FORMAT " (found 0x%02x): the "
                                 "section's state is not what its "
                                 "description says", r->pos,
                                 r->data[r->pos]);
        }
        r->pos += 5;
    }
    rec->pub.length = r->pos - rec->pub.offset;
    r->last = rec;
    return TRUE;
}

static gboolean read_section(Reader *r, guint8 type, GError **error)
{
    QemuRecord *rec = add_record(r, type, r->pos, error);
    g_autofree char *ctx = context(r);
    gsize at = r->pos;

    if (!rec) {
        return FALSE;
    }
    if (!has(r, 5)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                    "section header truncated at byte offset %"
                    G_GSIZE_FORMAT "%s", at, ctx);
        return FALSE;
    }
    rec->pub.section_id = qemu_get_be32(r->data + r->pos + 1);
    r->pos += 5;

    if (type == QIDL_QEMU_RECORD_START || type == QIDL_QEMU_RECORD_FULL) {
        const guint8 *idstr;
        guint8 n;

        if (!read_counted(r, &idstr, &n) || !has(r, 8)) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                        "section header truncated at byte offset %"
                        G_GSIZE_FORMAT "%s", at, ctx);
            return FALSE;
        }
        rec->idstr = g_strndup((const char *)idstr, n);
        rec->pub.idstr = rec->idstr;
        rec->pub.instance_id = qemu_get_be32(r->data + r->pos);
        rec->pub.version = qemu_get_be32(r->data + r->pos + 4);
        r->pos += 8;
        for (guint8 i = 0; i < n; i++) {
            if (idstr[i] < 0x20 || idstr[i] >= 0x7f) {
                g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                            "section header at byte offset %" G_GSIZE_FORMAT
                            ": idstr is not printable ASCII%s", at, ctx);
                return FALSE;
            }
        }
    } else {
        const QemuRecord *start = g_hash_table_lookup(
            r->started, GUINT_TO_POINTER(rec->pub.section_id));

        if (!start) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "section %" G_GUINT32_FORMAT " at byte offset %"
                        G_GSIZE_FORMAT " continues no started section%s",
                        rec->pub.section_id, at, ctx);
            return FALSE;
        }
        rec->idstr = g_strdup(start->idstr);
        rec->pub.idstr = rec->idstr;
        rec->pub.instance_id = start->pub.instance_id;
        rec->pub.version = start->pub.version;
    }
    rec->pub.payload_offset = r->pos;

    if (type == QIDL_QEMU_RECORD_FULL) {
        if (!decode_device(r, rec, error)) {
            return FALSE;
        }
    } else {
        if (strcmp(rec->idstr, "ram") != 0) {
            return section_error(rec, error, QIDL_ERROR_UNSUPPORTED,
                                 "at byte offset %" G_GSIZE_FORMAT ": only "
                                 "RAM's iterable sections can be walked",
                                 at);
        }
        if (type == QIDL_QEMU_RECORD_START) {
            if (g_hash_table_contains(r->started,
                                      GUINT_TO_POINTER(rec->pub.section_id))) {
                return section_error(rec, error, QIDL_ERROR_INVALID,
                                     "started twice at byte offset %"
                                     G_GSIZE_FORMAT, at);
            }
            g_hash_table_insert(r->started,
                                GUINT_TO_POINTER(rec->pub.section_id), rec);
        }
        if (!walk_ram(r, rec, error)) {
            return FALSE;
        }
    }
    return read_footer(r, rec, error);
}

static gboolean read_command(Reader *r, GError **error)
{
    QemuRecord *rec = add_record(r, QIDL_QEMU_RECORD_COMMAND, r->pos, error);
    g_autofree char *ctx = context(r);
    guint16 n;

    if (!rec) {
        return FALSE;
    }
    if (!has(r, 5)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                    "command truncated at byte offset %" G_GSIZE_FORMAT "%s",
                    r->pos, ctx);
        return FALSE;
    }
    rec->pub.command = qemu_get_be16(r->data + r->pos + 1);
    n = qemu_get_be16(r->data + r->pos + 3);
    if (rec->pub.command == MIG_CMD_PACKAGED) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNSUPPORTED,
                    "packaged (postcopy) command at byte offset %"
                    G_GSIZE_FORMAT " is not supported%s", r->pos, ctx);
        return FALSE;
    }
    if (!has(r, 5 + (gsize)n)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                    "command truncated at byte offset %" G_GSIZE_FORMAT "%s",
                    r->pos, ctx);
        return FALSE;
    }
    r->pos += 5;
    rec->pub.payload_offset = r->pos;
    rec->pub.payload_length = n;
    r->pos += n;
    rec->pub.length = r->pos - rec->pub.offset;
    r->last = rec;
    return TRUE;
}

/*
 * Whether the byte at @m could be the vmdesc trailer's marker: 0x06 after
 * a 0x00 (QEMU_VM_EOF), with room for its length.
 */
static gboolean trailer_marker(const guint8 *data, gsize len, gsize m)
{
    return m >= 1 && data[m] == QIDL_QEMU_RECORD_VMDESC &&
           data[m - 1] == QIDL_QEMU_RECORD_EOF && len - m > 5;
}

/*
 * Finds the vmdesc trailer: QEMU_VM_EOF, QEMU_VM_VMDESCRIPTION, be32
 * length, then JSON text up to the end of the stream.  The text is
 * printable ASCII (QEMU escapes everything else), so the last 0x06 byte
 * of the stream, if there is a trailer, is its marker or a byte of its
 * length (a text of 1542 bytes has the length 00 00 06 06): the marker is
 * that byte or one of the four before it, the one whose length reaches
 * the end exactly.  If none does, a marker whose text starts with '{'
 * belongs to a stream that was cut or extended.  Returns the marker's
 * offset in *at (the stream's length if there is no trailer), or FALSE
 * with @error set if it announces more text than the stream holds (a
 * stream cut inside its trailer) or less.
 */
static gboolean find_trailer(const guint8 *data, gsize len, gsize *at,
                             GError **error)
{
    gsize lo = len > QIDL_LIMIT_QEMU_VMDESC_LEN + 6
                   ? len - QIDL_LIMIT_QEMU_VMDESC_LEN - 6 : 0;
    gsize last = len, first;

    *at = len;
    while (last > lo && data[last - 1] != QIDL_QEMU_RECORD_VMDESC) {
        last--;
    }
    if (last == lo) {
        return TRUE;
    }
    last--;
    first = last >= lo + 4 ? last - 4 : lo;
    for (gsize m = first; m <= last; m++) {
        if (trailer_marker(data, len, m) &&
            qemu_get_be32(data + m + 1) == len - m - 5) {
            *at = m;
            return TRUE;
        }
    }
    for (gsize m = first; m <= last; m++) {
        guint32 n;

        if (!trailer_marker(data, len, m) || data[m + 5] != '{') {
            continue;
        }
        n = qemu_get_be32(data + m + 1);
        if (n < len - m - 5) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNKNOWN_FIELD,
                        "%" G_GSIZE_FORMAT " bytes after the vmdesc trailer "
                        "at byte offset %" G_GSIZE_FORMAT " (%"
                        G_GUINT32_FORMAT " bytes of JSON)",
                        len - m - 5 - n, m, n);
            return FALSE;
        }
        if (n <= QIDL_LIMIT_QEMU_VMDESC_LEN) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                        "vmdesc trailer at byte offset %" G_GSIZE_FORMAT
                        " truncated at byte offset %" G_GSIZE_FORMAT
                        ": %" G_GUINT32_FORMAT " bytes of JSON announced, %"
                        G_GSIZE_FORMAT " present", m, len, n, len - m - 5);
            return FALSE;
        }
        break;
    }
    return TRUE;
}

static gboolean read_stream(Reader *r, const char *vmdesc, gsize vmdesc_len,
                            GError **error)
{
    QidlQemuStreamInfo *info = r->info;
    guint32 vmdesc_page = 0;
    QemuRecord *rec;

    if (r->len < 8) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                    "QEMU stream header truncated at byte offset %"
                    G_GSIZE_FORMAT, r->len);
        return FALSE;
    }
    if (qemu_get_be32(r->data) != QIDL_QEMU_STREAM_MAGIC) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "not a QEMU migration stream: no \"QEVM\" magic at byte "
                    "offset 0");
        return FALSE;
    }
    if (qemu_get_be32(r->data + 4) != QIDL_QEMU_STREAM_VERSION) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_VERSION,
                    "QEMU stream version %" G_GUINT32_FORMAT " at byte "
                    "offset 4: only version %u is supported",
                    qemu_get_be32(r->data + 4), QIDL_QEMU_STREAM_VERSION);
        return FALSE;
    }
    rec = add_record(r, QIDL_QEMU_RECORD_HEADER, 0, error);
    if (!rec) {
        return FALSE;
    }
    rec->pub.length = 8;
    rec->pub.payload_offset = 8;
    r->pos = 8;

    /* The description first: it is at the end, but sections need it. */
    if (!find_trailer(r->data, r->len, &r->trailer, error)) {
        return FALSE;
    }
    if (vmdesc) {
        info->vmdesc_text = g_strndup(vmdesc, vmdesc_len);
        info->vmdesc_len = vmdesc_len;
    } else if (r->trailer < r->len) {
        info->vmdesc_len = r->len - r->trailer - 5;
        info->vmdesc_text = g_strndup((const char *)r->data + r->trailer + 5,
                                      info->vmdesc_len);
    }
    if (info->vmdesc_text) {
        if (!qemu_vmdesc_compile(info->vmdesc_text, info->vmdesc_len,
                                 &vmdesc_page, &info->vmdesc, error)) {
            if (vmdesc) {
                g_prefix_error(error, "vmdesc: ");
            } else {
                g_prefix_error(error, "vmdesc trailer at byte offset %"
                               G_GSIZE_FORMAT ": ", r->trailer);
            }
            return FALSE;
        }
        r->entries = info->vmdesc;
    } else {
        r->no_vmdesc = "the stream has no vmdesc trailer: is it truncated?";
    }

    if (has(r, 1) && r->data[r->pos] == QIDL_QEMU_RECORD_CONFIGURATION) {
        if (!read_configuration(r, error)) {
            return FALSE;
        }
    }
    if (r->page_size == 0) {
        r->page_size = vmdesc_page ? vmdesc_page : DEFAULT_PAGE_SIZE;
    }
    if (vmdesc_page && vmdesc_page != r->page_size) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "vmdesc: page size %" G_GUINT32_FORMAT " differs from "
                    "the configuration's %" G_GUINT32_FORMAT, vmdesc_page,
                    r->page_size);
        return FALSE;
    }
    if ((r->page_size & (r->page_size - 1)) != 0 || r->page_size < 512) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "vmdesc: page size %" G_GUINT32_FORMAT " is not a power "
                    "of two of at least 512", r->page_size);
        return FALSE;
    }
    info->ram.page_size = r->page_size;

    for (;;) {
        g_autofree char *ctx = NULL;
        guint8 type;

        if (!has(r, 1)) {
            ctx = context(r);
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                        "stream truncated at byte offset %" G_GSIZE_FORMAT
                        ": no QEMU_VM_EOF%s", r->pos, ctx);
            return FALSE;
        }
        type = r->data[r->pos];
        switch (type) {
        case QIDL_QEMU_RECORD_START:
        case QIDL_QEMU_RECORD_PART:
        case QIDL_QEMU_RECORD_END:
        case QIDL_QEMU_RECORD_FULL:
            if (!read_section(r, type, error)) {
                return FALSE;
            }
            continue;
        case QIDL_QEMU_RECORD_COMMAND:
            if (!read_command(r, error)) {
                return FALSE;
            }
            continue;
        case QIDL_QEMU_RECORD_EOF:
            break;
        default:
            ctx = context(r);
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "unknown record type 0x%02x at byte offset %"
                        G_GSIZE_FORMAT "%s", type, r->pos, ctx);
            return FALSE;
        }
        break;
    }

    rec = add_record(r, QIDL_QEMU_RECORD_EOF, r->pos, error);
    if (!rec) {
        return FALSE;
    }
    rec->pub.length = 1;
    rec->pub.payload_offset = r->pos + 1;
    r->pos++;
    if (r->entries && r->n_full != r->entries->len) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "vmdesc: describes %u sections, the stream has %u",
                    r->entries->len, r->n_full);
        return FALSE;
    }
    if (r->pos == r->len) {
        return TRUE;
    }
    if (r->pos != r->trailer) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNKNOWN_FIELD,
                    "%" G_GSIZE_FORMAT " bytes after QEMU_VM_EOF at byte "
                    "offset %" G_GSIZE_FORMAT " are not a vmdesc trailer",
                    r->len - r->pos, r->pos);
        return FALSE;
    }
    rec = add_record(r, QIDL_QEMU_RECORD_VMDESC, r->pos, error);
    if (!rec) {
        return FALSE;
    }
    rec->pub.length = r->len - r->pos;
    rec->pub.payload_offset = r->pos + 5;
    rec->pub.payload_length = r->len - r->pos - 5;
    r->pos = r->len;
    return TRUE;
}

gboolean qidl_qemu_stream_detect(const guint8 *data, gsize len)
{
    return len >= 4 && qemu_get_be32(data) == QIDL_QEMU_STREAM_MAGIC;
}

QidlTree *qidl_qemu_stream_read_tree_full(GBytes *bytes, const char *vmdesc,
                                          gssize vmdesc_len,
                                          QidlQemuStreamInfo **info,
                                          GError **error)
{
    g_autoptr(QidlQemuStreamInfo) inf = NULL;
    g_autoptr(QidlTree) tree = NULL;
    Reader r = { 0 };
    gboolean ok;

    g_return_val_if_fail(bytes != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    inf = qemu_stream_info_new(bytes);
    if (inf->len > QIDL_LIMIT_QEMU_STREAM_LEN) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                    "QEMU stream of %" G_GSIZE_FORMAT " bytes exceeds the "
                    "limit of %" G_GUINT64_FORMAT, inf->len,
                    (guint64)QIDL_LIMIT_QEMU_STREAM_LEN);
        return NULL;
    }
    if (vmdesc && vmdesc_len < 0) {
        vmdesc_len = (gssize)strlen(vmdesc);
    }
    tree = qidl_tree_new();
    r.info = inf;
    r.data = inf->data;
    r.len = inf->len;
    r.tree = tree;
    r.started = g_hash_table_new(NULL, NULL);
    r.names = g_hash_table_new(g_str_hash, g_str_equal);
    r.pairs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r.blocks = g_hash_table_new(g_str_hash, g_str_equal);
    ok = read_stream(&r, vmdesc, vmdesc ? (gsize)vmdesc_len : 0, error);
    g_hash_table_unref(r.started);
    g_hash_table_unref(r.names);
    g_hash_table_unref(r.pairs);
    g_hash_table_unref(r.blocks);
    if (!ok) {
        return NULL;
    }
    if (info) {
        *info = g_steal_pointer(&inf);
    }
    return g_steal_pointer(&tree);
}

QidlTree *qidl_qemu_stream_read_tree(const guint8 *data, gsize len,
                                     QidlQemuStreamInfo **info,
                                     GError **error)
{
    g_autoptr(GBytes) bytes = NULL;

    g_return_val_if_fail(data != NULL || len == 0, NULL);
    bytes = g_bytes_new(data, len);
    return qidl_qemu_stream_read_tree_full(bytes, NULL, -1, info, error);
}
