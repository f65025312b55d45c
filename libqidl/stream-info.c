/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QidlStreamInfo: a stream's header fields, metadata and preserved records
 * (stream.h), and the small helpers the stream modules share.
 */
#include "stream-private.h"

const guint8 qidl_stream__magic[STREAM_MAGIC_LEN] = {
    0x89, 'Q', 'I', 'D', 'L', '\r', '\n', 0x1a,
};
const guint8 qidl_stream__zmagic[STREAM_MAGIC_LEN] = {
    0x89, 'Q', 'I', 'D', 'Z', '\r', '\n', 0x1a,
};

gboolean qidl_stream__text_ok(const char *s, gsize len, gsize max)
{
    return len <= max && memchr(s, '\0', len) == NULL &&
           g_utf8_validate(s, (gssize)len, NULL);
}

static gint key_cmp(gconstpointer a, gconstpointer b, gpointer user_data)
{
    return strcmp(a, b);
}

static void extra_free(gpointer p)
{
    QidlStreamExtra *e = p;

    g_free(e->after);
    g_bytes_unref(e->data);
    g_free(e);
}

QidlStreamInfo *qidl_stream_info_new(const char *producer,
                                     const char *producer_version)
{
    QidlStreamInfo *info;

    g_return_val_if_fail(producer != NULL, NULL);
    g_return_val_if_fail(producer_version != NULL, NULL);

    info = g_new0(QidlStreamInfo, 1);
    info->major = QIDL_STREAM_FORMAT_MAJOR;
    info->minor = QIDL_STREAM_FORMAT_MINOR;
    info->producer = g_strdup(producer);
    info->producer_version = g_strdup(producer_version);
    info->metadata = g_tree_new_full(key_cmp, NULL, g_free, g_free);
    info->extras = g_ptr_array_new_with_free_func(extra_free);
    return info;
}

/* @dst (owned) set to the @len bytes at @s, unless they are what it holds. */
static void set_text(char **dst, const char *s, gsize len)
{
    if (strlen(*dst) != len || memcmp(*dst, s, len) != 0) {
        g_free(*dst);
        *dst = g_strndup(s, len);
    }
}

QidlStreamInfo *qidl_stream_info__renew(QidlStreamInfo *info,
                                        const char *producer, gsize plen,
                                        const char *version, gsize vlen)
{
    if (!info) {
        info = qidl_stream_info_new("", "");
    } else {
        g_tree_remove_all(info->metadata);
        g_ptr_array_set_size(info->extras, 0);
    }
    set_text(&info->producer, producer, plen);
    set_text(&info->producer_version, version, vlen);
    info->major = QIDL_STREAM_FORMAT_MAJOR;
    info->minor = QIDL_STREAM_FORMAT_MINOR;
    info->flags = 0;
    info->compressed = FALSE;
    return info;
}

void qidl_stream_info_free(QidlStreamInfo *info)
{
    if (!info) {
        return;
    }
    g_free(info->producer);
    g_free(info->producer_version);
    g_tree_unref(info->metadata);
    g_ptr_array_unref(info->extras);
    g_free(info);
}

static gboolean copy_entry(gpointer key, gpointer value, gpointer data)
{
    g_tree_insert(data, g_strdup(key), g_strdup(value));
    return FALSE;
}

QidlStreamInfo *qidl_stream_info__copy(const QidlStreamInfo *info)
{
    QidlStreamInfo *copy;

    copy = qidl_stream_info_new(info->producer, info->producer_version);
    copy->major = info->major;
    copy->minor = info->minor;
    copy->flags = info->flags;
    copy->compressed = info->compressed;
    g_tree_foreach(info->metadata, copy_entry, copy->metadata);
    for (guint i = 0; i < info->extras->len; i++) {
        const QidlStreamExtra *e = g_ptr_array_index(info->extras, i);
        QidlStreamExtra *c = g_new0(QidlStreamExtra, 1);

        c->kind = e->kind;
        c->after = g_strdup(e->after);
        c->data = g_bytes_ref(e->data);
        g_ptr_array_add(copy->extras, c);
    }
    return copy;
}

guint16 qidl_stream_info_get_format_major(const QidlStreamInfo *info)
{
    g_return_val_if_fail(info != NULL, 0);
    return info->major;
}

guint16 qidl_stream_info_get_format_minor(const QidlStreamInfo *info)
{
    g_return_val_if_fail(info != NULL, 0);
    return info->minor;
}

const char *qidl_stream_info_get_producer(const QidlStreamInfo *info)
{
    g_return_val_if_fail(info != NULL, NULL);
    return info->producer;
}

const char *qidl_stream_info_get_producer_version(const QidlStreamInfo *info)
{
    g_return_val_if_fail(info != NULL, NULL);
    return info->producer_version;
}

guint32 qidl_stream_info_get_flags(const QidlStreamInfo *info)
{
    g_return_val_if_fail(info != NULL, 0);
    return info->flags;
}

gboolean qidl_stream_info_get_compressed(const QidlStreamInfo *info)
{
    g_return_val_if_fail(info != NULL, FALSE);
    return info->compressed;
}

void qidl_stream_info_set_compressed(QidlStreamInfo *info,
                                     gboolean compressed)
{
    g_return_if_fail(info != NULL);
    info->compressed = compressed;
}

void qidl_stream_info_set_metadata(QidlStreamInfo *info, const char *key,
                                   const char *value)
{
    g_return_if_fail(info != NULL);
    g_return_if_fail(key != NULL && key[0] != '\0');

    if (value) {
        g_tree_replace(info->metadata, g_strdup(key), g_strdup(value));
    } else {
        g_tree_remove(info->metadata, key);
    }
}

const char *qidl_stream_info_get_metadata(const QidlStreamInfo *info,
                                          const char *key)
{
    g_return_val_if_fail(info != NULL, NULL);
    g_return_val_if_fail(key != NULL, NULL);
    return g_tree_lookup(info->metadata, key);
}

static gboolean collect_key(gpointer key, gpointer value, gpointer data)
{
    g_ptr_array_add(data, key);
    return FALSE;
}

const char **qidl_stream_info_get_metadata_keys(const QidlStreamInfo *info)
{
    GPtrArray *keys;

    g_return_val_if_fail(info != NULL, NULL);

    keys = g_ptr_array_new();
    g_tree_foreach(info->metadata, collect_key, keys);
    g_ptr_array_add(keys, NULL);
    return (const char **)g_ptr_array_free(keys, FALSE);
}

void qidl_stream_info_add_record(QidlStreamInfo *info, guint8 kind,
                                 const char *after, const guint8 *data,
                                 gsize len)
{
    QidlStreamExtra *e;

    g_return_if_fail(info != NULL);
    g_return_if_fail(stream_kind_preservable(kind));
    g_return_if_fail(data != NULL || len == 0);

    e = g_new0(QidlStreamExtra, 1);
    e->kind = kind;
    e->after = g_strdup(after);
    e->data = g_bytes_new(data, len);
    g_ptr_array_add(info->extras, e);
}

guint qidl_stream_info_get_n_records(const QidlStreamInfo *info)
{
    g_return_val_if_fail(info != NULL, 0);
    return info->extras->len;
}

const guint8 *qidl_stream_info_get_record(const QidlStreamInfo *info,
                                          guint index, guint8 *kind,
                                          const char **after, gsize *len)
{
    const QidlStreamExtra *e;
    gsize size;
    const guint8 *data;

    g_return_val_if_fail(info != NULL, NULL);
    g_return_val_if_fail(index < info->extras->len, NULL);

    e = g_ptr_array_index(info->extras, index);
    data = g_bytes_get_data(e->data, &size);
    if (kind) {
        *kind = e->kind;
    }
    if (after) {
        *after = e->after;
    }
    if (len) {
        *len = size;
    }
    /* GBytes of length 0 may hold NULL; callers get a valid pointer. */
    return data ? data : (const guint8 *)"";
}
