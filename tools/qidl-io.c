/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qidl tool's files: how an input is read, and how a QEMU stream is
 * written out (qidl-tool.h).
 *
 * A large guest's migration stream is gigabytes of RAM, which neither the
 * library's QEMU reader nor its writer copies, so neither does the tool:
 * files of MAP_FROM bytes or more are mapped rather than read; standard
 * input, and what a compressed input decompresses to, is kept in memory up
 * to MAP_FROM bytes and beyond that spooled to an unlinked temporary file
 * (in $TMPDIR) that is then mapped.
 *
 * Compressed inputs are decompressed first, as QEMU's documentation saves
 * a VM's state with migrate "exec:gzip -c > STATEFILE.gz": gzip (zlib) and
 * zstd (libzstd, which the library uses for its own compressed stream)
 * frames, one or more back to back.  Why these two: zlib comes with GLib
 * and libzstd with the library; xz and bzip2 inputs are recognised and
 * refused with the command that decompresses them.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <qidl/limits.h>
#include <qidl/visitor.h>
#include <zlib.h>
#include <zstd.h>

#include "qidl-tool.h"

/*
 * Regular files from this size on are mapped: the pages of a QEMU stream's
 * RAM are then read from the file when touched, and the walk touches only
 * their headers.  (A file truncated by another process while mapped would
 * fault; smaller files are read whole.)
 */
#define MAP_FROM (64u << 20)

gboolean qidl_tool_errno_error(GError **error, const char *what,
                               const char *name)
{
    int saved = errno;

    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                "%s %s: %s", what, name, g_strerror(saved));
    return FALSE;
}

gboolean qidl_tool_sink_write(const guint8 *data, gsize len,
                              gpointer user_data, GError **error)
{
    const QidlToolSink *sink = user_data;

    while (len > 0) {
        ssize_t n = write(sink->fd, data, MIN(len, (gsize)1 << 30));

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return qidl_tool_errno_error(error, "cannot write", sink->name);
        }
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* ---- the spool: memory, then an unlinked temporary file, mapped ---- */

typedef struct {
    GString *buf;             /* the bytes while they are few */
    QidlToolSink file;        /* fd -1 until they are many */
    guint64 len;
} Spool;

/* An empty spool (what every Spool starts as). */
#define SPOOL_INIT { NULL, { -1, "a temporary file" }, 0 }

static void spool_clear(Spool *s)
{
    if (s->buf) {
        g_string_free(s->buf, TRUE);
        s->buf = NULL;
    }
    if (s->file.fd >= 0) {
        close(s->file.fd);
        s->file.fd = -1;
    }
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Spool, spool_clear)

static gboolean spool_add(Spool *s, const void *data, gsize len,
                          GError **error)
{
    s->len += len;
    if (s->file.fd >= 0) {
        return qidl_tool_sink_write(data, len, &s->file, error);
    }
    if (!s->buf) {
        s->buf = g_string_new(NULL);
    }
    g_string_append_len(s->buf, data, (gssize)len);
    if (s->buf->len >= MAP_FROM) {
        g_autofree char *tmp = NULL;

        s->file.fd = g_file_open_tmp("qidl-spool-XXXXXX", &tmp, error);
        if (s->file.fd < 0) {
            return FALSE;
        }
        g_unlink(tmp);
        if (!qidl_tool_sink_write((const guint8 *)s->buf->str, s->buf->len,
                                  &s->file, error)) {
            return FALSE;
        }
        g_string_free(s->buf, TRUE);
        s->buf = NULL;
    }
    return TRUE;
}

/* The bytes spooled: in memory, or the temporary file mapped. */
static GBytes *spool_finish(Spool *s, GError **error)
{
    g_autoptr(GMappedFile) map = NULL;

    if (s->file.fd < 0) {
        GBytes *bytes = s->buf ? g_string_free_to_bytes(s->buf)
                               : g_bytes_new(NULL, 0);

        s->buf = NULL;
        return bytes;
    }
    /* The mapping keeps the file's pages after the descriptor closes. */
    map = g_mapped_file_new_from_fd(s->file.fd, FALSE, error);
    return map ? g_mapped_file_get_bytes(map) : NULL;
}

/* ---- decompression ---- */

/* What an input starts with, if it is compressed. */
typedef enum {
    PACKED_NONE,
    PACKED_GZIP,
    PACKED_ZSTD,
    PACKED_XZ,
    PACKED_BZIP2,
} Packed;

static Packed packed(const guint8 *p, gsize len)
{
    if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
        return PACKED_GZIP;
    }
    if (len >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0) {
        return PACKED_ZSTD;
    }
    if (len >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0) {
        return PACKED_XZ;
    }
    if (len >= 3 && memcmp(p, "BZh", 3) == 0) {
        return PACKED_BZIP2;
    }
    return PACKED_NONE;
}

/* Bounds what a small input may decompress to: the longest stream any
 * reader takes. */
static gboolean spool_bound(const Spool *s, const char *what, GError **error)
{
    if (s->len > QIDL_LIMIT_QEMU_STREAM_LEN) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                    "%s: decompresses to more than %" G_GUINT64_FORMAT
                    " bytes", what, (guint64)QIDL_LIMIT_QEMU_STREAM_LEN);
        return FALSE;
    }
    return TRUE;
}

/* gzip members, one or more back to back, into @s. */
static gboolean gunzip(const guint8 *in, gsize len, Spool *s, GError **error)
{
    z_stream z = { 0 };
    guint8 out[65536];
    gsize off = 0;            /* bytes of @in inflated */
    gboolean ok = FALSE;

    /* 16 + MAX_WBITS: a gzip header and trailer around the deflate data. */
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO, "gzip: cannot start");
        return FALSE;
    }
    for (;;) {
        gsize chunk = MIN(len - off, (gsize)1 << 30);
        int rc;

        z.next_in = (Bytef *)in + off;
        z.avail_in = (uInt)chunk;
        z.next_out = out;
        z.avail_out = sizeof(out);
        rc = inflate(&z, Z_NO_FLUSH);
        off += chunk - z.avail_in;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "gzip: %s at byte offset %" G_GSIZE_FORMAT,
                        z.msg ? z.msg : "corrupt data", off);
            break;
        }
        if (!spool_add(s, out, sizeof(out) - z.avail_out, error) ||
            !spool_bound(s, "gzip", error)) {
            break;
        }
        if (rc == Z_STREAM_END && off == len) {
            ok = TRUE;
            break;
        }
        if (rc == Z_STREAM_END) {
            /* Another member follows. */
            inflateReset(&z);
        } else if (off == len && z.avail_out > 0) {
            /* Every byte taken, and the member wants more. */
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                        "gzip: truncated at byte offset %" G_GSIZE_FORMAT,
                        off);
            break;
        }
    }
    inflateEnd(&z);
    return ok;
}

/* zstd frames, one or more back to back, into @s. */
static gboolean unzstd(const guint8 *in, gsize len, Spool *s, GError **error)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    ZSTD_inBuffer src = { in, len, 0 };
    guint8 out[65536];
    size_t rc = 0;

    if (!d) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO, "zstd: cannot start");
        return FALSE;
    }
    do {
        ZSTD_outBuffer dst = { out, sizeof(out), 0 };

        rc = ZSTD_decompressStream(d, &dst, &src);
        if (ZSTD_isError(rc)) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                        "zstd: %s at byte offset %" G_GSIZE_FORMAT,
                        ZSTD_getErrorName(rc), src.pos);
            ZSTD_freeDCtx(d);
            return FALSE;
        }
        if (!spool_add(s, out, dst.pos, error) ||
            !spool_bound(s, "zstd", error)) {
            ZSTD_freeDCtx(d);
            return FALSE;
        }
        if (src.pos == src.size && rc != 0 && dst.pos < dst.size) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_TRUNCATED,
                        "zstd: truncated at byte offset %" G_GSIZE_FORMAT,
                        src.pos);
            ZSTD_freeDCtx(d);
            return FALSE;
        }
    } while (src.pos < src.size || rc != 0);
    ZSTD_freeDCtx(d);
    return TRUE;
}

/* Replaces *@bytes by what it decompresses to, if it is compressed. */
static gboolean decompress(GBytes **bytes, GError **error)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(*bytes, &len);
    g_auto(Spool) s = SPOOL_INIT;
    GBytes *plain;
    gboolean ok;

    switch (packed(data, len)) {
    case PACKED_NONE:
        return TRUE;
    case PACKED_XZ:
    case PACKED_BZIP2:
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_UNSUPPORTED,
                    "%s-compressed: decompress it first (%s FILE | qidl "
                    "COMMAND -)",
                    packed(data, len) == PACKED_XZ ? "xz" : "bzip2",
                    packed(data, len) == PACKED_XZ ? "xzcat" : "bzcat");
        return FALSE;
    default:
        break;
    }
    ok = packed(data, len) == PACKED_GZIP ? gunzip(data, len, &s, error)
                                          : unzstd(data, len, &s, error);
    if (!ok || !(plain = spool_finish(&s, error))) {
        return FALSE;
    }
    g_bytes_unref(*bytes);
    *bytes = plain;
    return TRUE;
}

/* ---- reading ---- */

static gboolean read_stdin(GBytes **out, GError **error)
{
    g_auto(Spool) s = SPOOL_INIT;
    char chunk[65536];
    size_t n;

    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (!spool_add(&s, chunk, n, error)) {
            return FALSE;
        }
    }
    if (ferror(stdin)) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_IO,
                    "cannot read standard input");
        return FALSE;
    }
    *out = spool_finish(&s, error);
    return *out != NULL;
}

gboolean qidl_tool_read_input(const char *path, GBytes **out, GError **error)
{
    char *data = NULL;
    gsize len = 0;
    GStatBuf st;

    if (strcmp(path, "-") == 0) {
        if (!read_stdin(out, error)) {
            return FALSE;
        }
    } else if (g_stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
               st.st_size >= MAP_FROM) {
        g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, error);

        if (!map) {
            return FALSE;
        }
        *out = g_mapped_file_get_bytes(map);
    } else {
        if (!g_file_get_contents(path, &data, &len, error)) {
            return FALSE;
        }
        *out = g_bytes_new_take(data, len);
    }
    if (!decompress(out, error)) {
        g_prefix_error(error, "%s: ", strcmp(path, "-") == 0 ?
                       "standard input" : path);
        g_clear_pointer(out, g_bytes_unref);
        return FALSE;
    }
    return TRUE;
}
