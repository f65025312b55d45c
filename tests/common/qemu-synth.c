/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sparse QEMU stream made by hand (qemu-synth.h), from the record
 * grammar of docs/qemu-stream.md.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "qemu-synth.h"

static void put_be(GByteArray *b, guint64 v, guint size)
{
    for (guint i = 0; i < size; i++) {
        guint8 c = (guint8)(v >> (8 * (size - 1 - i)));

        g_byte_array_append(b, &c, 1);
    }
}

static void put_counted(GByteArray *b, const char *s)
{
    put_be(b, strlen(s), 1);
    g_byte_array_append(b, (const guint8 *)s, (guint)strlen(s));
}

gsize qemu_synth_write(const char *path, guint64 page_size, guint n_pages,
                       gsize *state_at)
{
    g_autofree char *vmdesc = g_strdup_printf(
        "{\"page_size\": %" G_GUINT64_FORMAT ", \"devices\": [{\"name\": "
        "\"dev\", \"instance_id\": 0, \"vmsd_name\": \"dev\", \"version\": "
        "1, \"fields\": [{\"name\": \"a\", \"type\": \"uint8\", \"size\": "
        "1}]}]}", page_size);
    guint64 ram = page_size * n_pages;
    gsize at = 0;
    int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    g_assert(fd >= 0);
    /* The bytes before each page, then those after the last. */
    for (guint i = 0; i <= n_pages; i++) {
        g_autoptr(GByteArray) b = g_byte_array_new();

        if (i == 0) {
            g_byte_array_append(b, (const guint8 *)"QEVM\0\0\0\3", 8);
            put_be(b, 0x01, 1);                       /* START */
            put_be(b, 1, 4);
            put_counted(b, "ram");
            put_be(b, 0, 4);
            put_be(b, 4, 4);
            put_be(b, ram | 0x04, 8);                 /* MEM_SIZE */
            put_counted(b, "pc.ram");
            put_be(b, ram, 8);
            put_be(b, 0x10, 8);                       /* EOS */
            put_be(b, 0x02, 1);                       /* PART */
            put_be(b, 1, 4);
        }
        if (i < n_pages) {
            /* PAGE; the first names its block, the others continue it. */
            put_be(b, i * page_size | 0x08 | (i ? 0x20 : 0), 8);
            if (i == 0) {
                put_counted(b, "pc.ram");
            }
        } else {
            put_be(b, 0x10, 8);                       /* EOS */
            put_be(b, 0x03, 1);                       /* END */
            put_be(b, 1, 4);
            put_be(b, 0x10, 8);
            put_be(b, 0x04, 1);                       /* FULL */
            put_be(b, 2, 4);
            put_counted(b, "dev");
            put_be(b, 0, 4);
            put_be(b, 1, 4);
            *state_at = at + b->len;
            put_be(b, 42, 1);
            put_be(b, 0x00, 1);                       /* EOF */
            put_be(b, 0x06, 1);                       /* VMDESC */
            put_be(b, strlen(vmdesc), 4);
            g_byte_array_append(b, (const guint8 *)vmdesc,
                                (guint)strlen(vmdesc));
        }
        g_assert(pwrite(fd, b->data, b->len, (off_t)at) == (ssize_t)b->len);
        at += b->len + (i < n_pages ? page_size : 0);
    }
    g_assert(ftruncate(fd, (off_t)at) == 0);
    g_assert(close(fd) == 0);
    return at;
}
