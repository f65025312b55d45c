/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device sets: a machine's devices, saved and loaded together
 *
 * A QidlDeviceSet lists the devices of one machine: for each, its class
 * (type name, state version range, the generated visit and release
 * functions) and the instance (instance path, top-level name, the object).
 * It saves them all to a tree or a native stream, and loads them all back
 * from a tree, which is where migration filters have already run:
 *
 *     g_autoptr(QidlDeviceSet) set = qidl_device_set_new();
 *     qidl_device_set_add(set, &rtc_class, "/machine/rtc", "rtc", &rtc, NULL);
 *     qidl_device_set_add(set, &uart_class, "/machine/uart0", "uart0",
 *                         &uart0, NULL);
 *     ...
 *     // source
 *     qidl_device_set_save_stream(set, writer, &error);
 *     // destination
 *     tree = qidl_stream_read_tree(data, len, NULL, &error);
 *     qidl_filter_set_apply(filters, tree, NULL, &error);
 *     qidl_device_set_load_tree(set, tree, 0, &report, &error);
 *
 * Devices are matched by instance path; the type name must match too.
 *
 * Loading is atomic for the whole set: every device is first loaded into
 * a scratch copy of its object (running its post-load hook there), and
 * only when all of them succeeded are the copies committed.  On any error
 * every object is left exactly as it was, and the error names the device,
 * the field path and what was wrong:
 * "device /machine/rtc (mc146818rtc): rtc.cmos_data: expected 128
 * elements, found 64".
 *
 * Threads: a set is used by one thread at a time; sets share nothing.
 */
#ifndef QIDL_DEVICES_H
#define QIDL_DEVICES_H

#include <qidl/stream.h>
#include <qidl/tree.h>

G_BEGIN_DECLS

/* A generated qidl_visit_<Type>(), cast to take the object as void *. */
typedef gboolean (*QidlVisitFunc)(QidlVisitor *v, const char *name,
                                  void *obj, GError **error);

/*
 * A generated qidl_release_<Type>(obj, keep): frees what @obj owns that
 * @keep does not share.
 */
typedef void (*QidlReleaseFunc)(void *obj, const void *keep);

/**
 * QidlDeviceClass:
 * @type_name: the device type as it appears in streams ("mc146818rtc")
 * @version: the state version this build saves
 * @min_version: the oldest state version it loads
 * @size: sizeof the state object
 * @visit: the state's visit function
 * @release: (nullable): its release function; NULL if the state owns no
 *   heap memory
 *
 * Static description of a device type; must outlive the sets using it.
 */
typedef struct {
    const char *type_name;
    guint32 version;
    guint32 min_version;
    gsize size;
    QidlVisitFunc visit;
    QidlReleaseFunc release;
} QidlDeviceClass;

typedef struct QidlDeviceSet QidlDeviceSet;

/**
 * qidl_device_set_new:
 *
 * Returns: (transfer full): an empty set.
 */
QidlDeviceSet *qidl_device_set_new(void);

/* Frees @set (NULL is allowed); never the device objects. */
void qidl_device_set_free(QidlDeviceSet *set);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QidlDeviceSet, qidl_device_set_free)

/**
 * qidl_device_set_add:
 * @set: a set
 * @cls: (transfer none): the device's class
 * @instance_path: its instance path ("/machine/rtc"), unique in @set
 * @name: the top-level name of its state ("rtc"), unique in @set
 * @obj: (transfer none): the state object; must outlive @set
 * @error: return location for a GError
 *
 * Fails with QIDL_ERROR_INVALID if @instance_path or @name is taken.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_device_set_add(QidlDeviceSet *set, const QidlDeviceClass *cls,
                             const char *instance_path, const char *name,
                             void *obj, GError **error);

/* The number of devices, and the instance path of the @index-th added. */
guint qidl_device_set_get_n_devices(const QidlDeviceSet *set);
const char *qidl_device_set_get_path(const QidlDeviceSet *set, guint index);

/**
 * qidl_device_set_find:
 *
 * Returns: (nullable) (transfer none): the object of the device at
 * @instance_path, or NULL.
 */
void *qidl_device_set_find(const QidlDeviceSet *set,
                           const char *instance_path);

/**
 * qidl_device_set_save_tree:
 * @set: a set
 * @tree: where one device root per device is appended under the root, in
 *   the order the devices were added, marked with type name, instance path
 *   and version
 * @error: return location for a GError
 *
 * Returns: TRUE on success; on failure nothing was appended.
 */
gboolean qidl_device_set_save_tree(QidlDeviceSet *set, QidlTree *tree,
                                   GError **error);

/**
 * qidl_device_set_save_stream:
 * @set: a set
 * @w: a stream writer outside any device
 * @error: return location for a GError
 *
 * Writes one device record per device straight from the objects, no
 * tree; call qidl_stream_writer_finish() afterwards.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_device_set_save_stream(QidlDeviceSet *set, QidlStreamWriter *w,
                                     GError **error);

/**
 * QidlLoadFlags:
 * @QIDL_LOAD_ALLOW_UNKNOWN_FIELDS: fields the visit does not ask for are
 *   skipped and counted instead of failing the load
 * @QIDL_LOAD_ALLOW_UNKNOWN_DEVICES: device roots in the tree that match no
 *   device of the set are skipped and counted
 * @QIDL_LOAD_ALLOW_MISSING_DEVICES: devices of the set that the tree does
 *   not hold keep their state and are counted
 */
typedef enum {
    QIDL_LOAD_NONE = 0,
    QIDL_LOAD_ALLOW_UNKNOWN_FIELDS = 1 << 0,
    QIDL_LOAD_ALLOW_UNKNOWN_DEVICES = 1 << 1,
    QIDL_LOAD_ALLOW_MISSING_DEVICES = 1 << 2,
} QidlLoadFlags;

/**
 * QidlLoadReport:
 * @loaded: devices loaded
 * @unknown_fields: fields skipped (QIDL_LOAD_ALLOW_UNKNOWN_FIELDS)
 * @unknown_devices: device roots skipped (QIDL_LOAD_ALLOW_UNKNOWN_DEVICES)
 * @missing_devices: devices not in the tree (QIDL_LOAD_ALLOW_MISSING_DEVICES)
 */
typedef struct {
    guint loaded;
    guint unknown_fields;
    guint unknown_devices;
    guint missing_devices;
} QidlLoadReport;

/**
 * qidl_device_set_load_tree:
 * @set: a set
 * @tree: device roots to load (children of the tree's root that are
 *   devices)
 * @flags: #QidlLoadFlags
 * @report: (out) (optional): what happened; untouched on failure
 * @error: return location for a GError
 *
 * Loads every device of @set from the device root with its instance path,
 * atomically for the whole set (see the top of this header).
 *
 * Fails, leaving every object unchanged, with QIDL_ERROR_INVALID for a
 * device root of another type than the device at its path, with
 * QIDL_ERROR_VERSION for a version outside [min_version, version], with
 * QIDL_ERROR_UNKNOWN_FIELD for an unknown device root,
 * QIDL_ERROR_MISSING_FIELD for a device the tree lacks (each unless
 * allowed by @flags), or with the error of the device's visit.  Messages
 * start with "device PATH (TYPE): ".
 *
 * Returns: TRUE on success.
 */
gboolean qidl_device_set_load_tree(QidlDeviceSet *set, const QidlTree *tree,
                                   QidlLoadFlags flags,
                                   QidlLoadReport *report, GError **error);

G_END_DECLS

#endif /* QIDL_DEVICES_H */
