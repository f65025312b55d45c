/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QidlQemuStreamInfo: what a QEMU stream holds besides device state
 * (qemu-stream.h).  Made by the reader, read by the writer and callers.
 */
#include "qemu-stream-private.h"

static void record_free(gpointer p)
{
    QemuRecord *rec = p;

    g_free(rec->idstr);
    g_free(rec->device_name);
    g_free(rec->instance_path);
    g_free(rec);
}

static void ram_block_clear(gpointer p)
{
    QemuRamBlock *b = p;

    g_free(b->name);
}

QidlQemuStreamInfo *qemu_stream_info_new(GBytes *bytes)
{
    QidlQemuStreamInfo *info = g_new0(QidlQemuStreamInfo, 1);

    info->bytes = g_bytes_ref(bytes);
    info->data = g_bytes_get_data(bytes, &info->len);
    if (!info->data) {
        info->data = (const guint8 *)"";
    }
    info->records = g_ptr_array_new_with_free_func(record_free);
    info->devices = g_hash_table_new(g_str_hash, g_str_equal);
    info->ram_blocks = g_array_new(FALSE, TRUE, sizeof(QemuRamBlock));
    g_array_set_clear_func(info->ram_blocks, ram_block_clear);
    return info;
}

void qidl_qemu_stream_info_free(QidlQemuStreamInfo *info)
{
    if (!info) {
        return;
    }
    g_hash_table_unref(info->devices);
    g_ptr_array_unref(info->records);
    if (info->vmdesc) {
        g_ptr_array_unref(info->vmdesc);
    }
    g_array_unref(info->ram_blocks);
    g_free(info->vmdesc_text);
    g_free(info->machine);
    g_bytes_unref(info->bytes);
    g_free(info);
}

const guint8 *qidl_qemu_stream_info_get_data(const QidlQemuStreamInfo *info,
                                             gsize *len)
{
    g_return_val_if_fail(info != NULL, NULL);
    g_return_val_if_fail(len != NULL, NULL);
    *len = info->len;
    return info->data;
}

const char *qidl_qemu_stream_info_get_machine(const QidlQemuStreamInfo *info)
{
    g_return_val_if_fail(info != NULL, NULL);
    return info->machine;
}

gboolean qidl_qemu_stream_info_has_footers(const QidlQemuStreamInfo *info)
{
    g_return_val_if_fail(info != NULL, FALSE);
    return info->footers;
}

const char *qidl_qemu_stream_info_get_vmdesc(const QidlQemuStreamInfo *info,
                                             gsize *len)
{
    g_return_val_if_fail(info != NULL, NULL);
    if (len) {
        *len = info->vmdesc_len;
    }
    return info->vmdesc_text;
}

void qidl_qemu_stream_info_get_ram_stats(const QidlQemuStreamInfo *info,
                                         QidlQemuRamStats *out)
{
    g_return_if_fail(info != NULL);
    g_return_if_fail(out != NULL);
    *out = info->ram;
}

const char *qidl_qemu_stream_info_get_ram_block(const QidlQemuStreamInfo *info,
                                                guint index, guint64 *length)
{
    const QemuRamBlock *b;

    g_return_val_if_fail(info != NULL, NULL);
    g_return_val_if_fail(index < info->ram_blocks->len, NULL);
    b = &g_array_index(info->ram_blocks, QemuRamBlock, index);
    if (length) {
        *length = b->length;
    }
    return b->name;
}

guint qidl_qemu_stream_info_get_n_records(const QidlQemuStreamInfo *info)
{
    g_return_val_if_fail(info != NULL, 0);
    return info->records->len;
}

const QidlQemuRecord *qidl_qemu_stream_info_get_record(
    const QidlQemuStreamInfo *info, guint index)
{
    const QemuRecord *rec;

    g_return_val_if_fail(info != NULL, NULL);
    g_return_val_if_fail(index < info->records->len, NULL);
    rec = g_ptr_array_index(info->records, index);
    return &rec->pub;
}

const QidlQemuRecord *qidl_qemu_stream_info_find_device(
    const QidlQemuStreamInfo *info, const char *instance_path)
{
    const QemuRecord *rec;

    g_return_val_if_fail(info != NULL, NULL);
    g_return_val_if_fail(instance_path != NULL, NULL);
    rec = g_hash_table_lookup(info->devices, instance_path);
    return rec ? &rec->pub : NULL;
}
