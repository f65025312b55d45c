/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Schemas and the compatibility checker
 *
 * A schema describes the state of device types without their code: for
 * each type its version and minimum version, and for each field its name,
 * wire kind and width, array capacities, whether it is saved, the version
 * it appeared in and its annotations (default, optional, size_is, ...).
 * Two sources give schemas:
 *
 * - qidl-extract writes one per annotated header (<stem>.qidl.json,
 *   docs/generator.md).  A directory of them describes a whole machine.
 *   These are compared for the native stream, which carries names and
 *   kinds: fields are matched by name, order does not matter.
 * - QEMU's `-dump-vmstate FILE` (QEMU_VMSTATE format): every device
 *   section of a QEMU build, with field names, sizes and versions but no
 *   types.  These are compared for QEMU's positional wire format: fields
 *   are matched by position, as QEMU's loader reads them.
 *
 * The checker compares an OLD schema (what a stream was saved with: the
 * previous release, the source host) with a NEW one (the destination)
 * and classifies every difference as compatible (NEW loads every stream
 * OLD can produce) or breaking.  docs/compat.md gives each rule, why it
 * holds, and an example.  Migration filter rules (filter.h) given to the
 * checker are applied to OLD's types first, as a destination would apply
 * them to the stream: a change they cover is reported as compatible,
 * naming the rule.
 *
 * The pre-flight check, qidl_schema_check_tree(), asks the same question
 * of one real stream: can a destination with these schemas load this tree
 * (read from a native or QEMU stream, already filtered), device by device?
 *
 * Lifecycle:
 *
 *     g_autoptr(QidlSchema) old = qidl_schema_new(QIDL_SCHEMA_FORMAT_QIDL);
 *     g_autoptr(QidlSchema) new = qidl_schema_new(QIDL_SCHEMA_FORMAT_QIDL);
 *     if (!qidl_schema_load_path(old, "hw/schemas", error) ||
 *         !qidl_schema_load_path(new, "build/hw", error)) { ... }
 *     g_autoptr(QidlSchemaReport) report =
 *         qidl_schema_compare(old, new, NULL, error);
 *     g_autofree char *text = qidl_schema_report_to_text(report);
 *     if (!qidl_schema_report_is_compatible(report)) { ... }
 *
 * Schema files are untrusted input: they are parsed with
 * qidl_json_parse() (bounded size and nesting), walked without recursion,
 * checked member by member, and every error names the file and the
 * member ("uart.qidl.json: structs[0].fields[3].dims[0]: expected an
 * integer from 0 to 4294967295").  Unknown members are errors: a schema
 * member this checker does not understand might matter on the wire.
 *
 * Threads: a schema, a rule set and a report are used by one thread at a
 * time; comparing does not modify its inputs.
 */
#ifndef QIDL_SCHEMA_H
#define QIDL_SCHEMA_H

#include <json-glib/json-glib.h>
#include <qidl/filter.h>
#include <qidl/tree.h>

G_BEGIN_DECLS

/**
 * QidlSchemaFormat:
 * @QIDL_SCHEMA_FORMAT_QIDL: schemas written by qidl-extract
 *   (<stem>.qidl.json); a directory is read for its `*.qidl.json` files
 * @QIDL_SCHEMA_FORMAT_QEMU_VMSTATE: the JSON of QEMU's -dump-vmstate; a
 *   directory is read for its `*.json` files
 */
typedef enum {
    QIDL_SCHEMA_FORMAT_QIDL = 1,
    QIDL_SCHEMA_FORMAT_QEMU_VMSTATE,
} QidlSchemaFormat;

typedef struct QidlSchema QidlSchema;

/**
 * qidl_schema_new:
 * @format: the format every file loaded into the schema must have
 *
 * Returns: (transfer full): an empty schema.
 */
QidlSchema *qidl_schema_new(QidlSchemaFormat format);

/* Frees @schema; NULL is allowed. */
void qidl_schema_free(QidlSchema *schema);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QidlSchema, qidl_schema_free)

QidlSchemaFormat qidl_schema_get_format(const QidlSchema *schema);

/**
 * qidl_schema_load_data:
 * @schema: a schema
 * @data: one schema file's text
 * @len: its length, or -1 if NUL-terminated
 * @source: (nullable): the file's name in messages; NULL for "<data>"
 * @error: return location for a GError
 *
 * Adds the types of one file.  Fails with QIDL_ERROR_INVALID naming the
 * source and the member for anything that is not the format (a member of
 * the wrong JSON type, an unknown member, a version that does not fit
 * 32 bits, a type defined twice), with QIDL_ERROR_VERSION for a
 * qidl-extract schema of another "qidl-schema" version, and as
 * qidl_json_parse() does for text that is not JSON.  On failure @schema
 * is unchanged.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_schema_load_data(QidlSchema *schema, const char *data,
                               gssize len, const char *source,
                               GError **error);

/**
 * qidl_schema_load_path:
 * @schema: a schema
 * @path: a schema file, or a directory of them (not recursive; files
 *   are read in name order)
 * @error: return location for a GError
 *
 * As qidl_schema_load_data() for each file; messages name the file's base
 * name.  Fails with QIDL_ERROR_IO for a path that cannot be read, and
 * with QIDL_ERROR_LIMIT for a directory with more than
 * QIDL_LIMIT_SCHEMA_FILES schema files.  On failure @schema is unchanged.
 *
 * Returns: TRUE on success.
 */
gboolean qidl_schema_load_path(QidlSchema *schema, const char *path,
                               GError **error);

/**
 * qidl_schema_get_n_types:
 *
 * Returns: the number of device types: for qidl-extract schemas the
 * structs no other struct of the schema contains, for QEMU dumps the
 * sections.
 */
guint qidl_schema_get_n_types(const QidlSchema *schema);

/**
 * qidl_schema_get_type_name:
 * @schema: a schema
 * @index: below qidl_schema_get_n_types()
 *
 * Returns: (transfer none): the name of the device type at @index, in
 * load order.
 */
const char *qidl_schema_get_type_name(const QidlSchema *schema, guint index);

/**
 * qidl_schema_get_versions:
 * @schema: a schema
 * @name: a type name
 * @version: (out) (optional): its version
 * @min_version: (out) (optional): its minimum version
 *
 * Returns: FALSE if @schema has no type @name.
 */
gboolean qidl_schema_get_versions(const QidlSchema *schema, const char *name,
                                  guint32 *version, guint32 *min_version);

/**
 * qidl_schema_add_alias:
 * @schema: a schema
 * @device_type: a device type name as streams carry it ("mc146818rtc")
 * @type_name: the schema type that describes its state ("RTCState")
 *
 * Tells qidl_schema_check_tree() which type describes devices of
 * @device_type.  Without an alias, a device's type name must be the
 * type's name (for QEMU dumps: the section's or its description's name).
 */
void qidl_schema_add_alias(QidlSchema *schema, const char *device_type,
                           const char *type_name);

/* ------------------------------------------------------------------------
 * Filter rules as the checker reads them
 */
typedef struct QidlSchemaRules QidlSchemaRules;

/* Returns: (transfer full): an empty rule list. */
QidlSchemaRules *qidl_schema_rules_new(void);

/* Frees @rules; NULL is allowed. */
void qidl_schema_rules_free(QidlSchemaRules *rules);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QidlSchemaRules, qidl_schema_rules_free)

/**
 * qidl_schema_rules_load_from_data:
 * @rules: a rule list
 * @data: a rule file (docs/filters.md)
 * @len: its length, or -1 if NUL-terminated
 * @source: (nullable): its name in messages and rule names
 * @error: return location for a GError
 *
 * Validates the file exactly as qidl_filter_set_load_rules_from_data()
 * does (same errors), then appends its rules, in order, both to the
 * checker's list and to the filter set of
 * qidl_schema_rules_get_filter_set().
 *
 * Returns: TRUE on success; on failure nothing is appended.
 */
gboolean qidl_schema_rules_load_from_data(QidlSchemaRules *rules,
                                          const char *data, gssize len,
                                          const char *source,
                                          GError **error);

/* As above, from a file; QIDL_ERROR_IO if it cannot be read. */
gboolean qidl_schema_rules_load_file(QidlSchemaRules *rules,
                                     const char *filename, GError **error);

/**
 * qidl_schema_rules_get_filter_set:
 *
 * Returns: (transfer none): the same rules as a filter set, to apply to a
 * stream's tree before qidl_schema_check_tree().
 */
const QidlFilterSet *qidl_schema_rules_get_filter_set(
    const QidlSchemaRules *rules);

/* ------------------------------------------------------------------------
 * Changes and reports
 */

/**
 * QidlSchemaChangeKind:
 *
 * What changed.  Each kind has a stable name (qidl_schema_change_kind_name()),
 * used in JSON reports.  Whether a change is breaking is in
 * QidlSchemaChange.breaking: most kinds are always one or the other, but a
 * breaking change covered by a filter rule is reported as compatible with
 * the rule's name, under its own kind.  docs/compat.md explains each.
 */
typedef enum {
    QIDL_SCHEMA_CHANGE_TYPE_ADDED = 1,        /* type-added */
    QIDL_SCHEMA_CHANGE_TYPE_REMOVED,          /* type-removed */
    QIDL_SCHEMA_CHANGE_TYPE_RENAMED,          /* type-renamed */
    QIDL_SCHEMA_CHANGE_STRUCT_RENAMED,        /* struct-renamed */
    QIDL_SCHEMA_CHANGE_VERSION_RAISED,        /* version-raised */
    QIDL_SCHEMA_CHANGE_VERSION_LOWERED,       /* version-lowered */
    QIDL_SCHEMA_CHANGE_MIN_VERSION_RAISED,    /* min-version-raised */
    QIDL_SCHEMA_CHANGE_FIELD_ADDED,           /* field-added */
    QIDL_SCHEMA_CHANGE_VERSION_NOT_BUMPED,    /* version-not-bumped */
    QIDL_SCHEMA_CHANGE_FIELD_REMOVED,         /* field-removed */
    QIDL_SCHEMA_CHANGE_FIELD_UNSAVED,         /* field-unsaved */
    QIDL_SCHEMA_CHANGE_FIELD_RENAMED,         /* field-renamed */
    QIDL_SCHEMA_CHANGE_FIELD_MISMATCH,        /* field-mismatch */
    QIDL_SCHEMA_CHANGE_EXTRA_FIELD,           /* extra-trailing-field */
    QIDL_SCHEMA_CHANGE_FIELD_MOVED,           /* field-moved */
    QIDL_SCHEMA_CHANGE_FIELD_VERSION_RAISED,  /* field-version-raised */
    QIDL_SCHEMA_CHANGE_KIND_CHANGED,          /* kind-changed */
    QIDL_SCHEMA_CHANGE_WIDTH_CHANGED,         /* width-changed */
    QIDL_SCHEMA_CHANGE_SIGNEDNESS_CHANGED,    /* signedness-changed */
    QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED,  /* array-length-changed */
    QIDL_SCHEMA_CHANGE_CAPACITY_RAISED,       /* capacity-raised */
    QIDL_SCHEMA_CHANGE_CAPACITY_LOWERED,      /* capacity-lowered */
    QIDL_SCHEMA_CHANGE_DEFAULT_ADDED,         /* default-added */
    QIDL_SCHEMA_CHANGE_DEFAULT_CHANGED,       /* default-changed */
    QIDL_SCHEMA_CHANGE_DEFAULT_REMOVED,       /* default-removed */
    QIDL_SCHEMA_CHANGE_OPTIONAL_ADDED,        /* optional-added */
    QIDL_SCHEMA_CHANGE_OPTIONAL_REMOVED,      /* optional-removed */
    QIDL_SCHEMA_CHANGE_ENUM_VALUE_ADDED,      /* enum-value-added */
    QIDL_SCHEMA_CHANGE_ENUM_VALUE_REMOVED,    /* enum-value-removed */
    QIDL_SCHEMA_CHANGE_ENUM_VALUE_CHANGED,    /* enum-value-changed */
    QIDL_SCHEMA_CHANGE_SUBSECTION_ADDED,      /* subsection-added */
    QIDL_SCHEMA_CHANGE_SUBSECTION_REMOVED,    /* subsection-removed */
    QIDL_SCHEMA_CHANGE_SUBSECTION_CHANGED,    /* subsection-changed */
    QIDL_SCHEMA_CHANGE_ENTRY_MISSING,         /* entry-missing */
    QIDL_SCHEMA_CHANGE_MACHINE_CHANGED,       /* machine-changed */
    QIDL_SCHEMA_CHANGE_FILTER_FAILS,          /* filter-fails */
    QIDL_SCHEMA_CHANGE_FILTER_UNCHECKED,      /* filter-unchecked */
    QIDL_SCHEMA_CHANGE_DEVICE_ACCEPTED,       /* device-accepted */
    QIDL_SCHEMA_CHANGE_UNKNOWN_DEVICE,        /* unknown-device */
    QIDL_SCHEMA_CHANGE_VERSION_NOT_ACCEPTED,  /* version-not-accepted */
    QIDL_SCHEMA_CHANGE_MISSING_FIELD,         /* missing-field */
    QIDL_SCHEMA_CHANGE_UNKNOWN_FIELD,         /* unknown-field */
} QidlSchemaChangeKind;

#define QIDL_SCHEMA_CHANGE_FIRST QIDL_SCHEMA_CHANGE_TYPE_ADDED
#define QIDL_SCHEMA_CHANGE_LAST QIDL_SCHEMA_CHANGE_UNKNOWN_FIELD

/**
 * qidl_schema_change_kind_name:
 *
 * Returns: the stable name of @kind ("field-removed"), or NULL for a value
 * outside the enum.  Transfer none.
 */
const char *qidl_schema_change_kind_name(QidlSchemaChangeKind kind);

/**
 * QidlSchemaChange:
 * @kind: what changed
 * @breaking: TRUE if NEW cannot load every stream OLD can produce
 *   (pre-flight: the destination cannot load this device)
 * @device: the device type: OLD's name for comparisons, the stream's type
 *   name for the pre-flight check
 * @instance: (nullable): pre-flight only: the device's instance path
 * @path: where: the device type alone ("UARTState") or a field path
 *   below it ("UARTState.fifo", "Shapes.regs[].lo"; "[]" stands for every
 *   element of a list)
 * @message: one phrase saying what changed and why it matters
 * @filter: (nullable): the name of the filter rule that covers or causes
 *   the change
 *
 * One classified difference.  Owned by its report; every string lives
 * as long as the report.
 */
typedef struct {
    QidlSchemaChangeKind kind;
    gboolean breaking;
    const char *device;
    const char *instance;
    const char *path;
    const char *message;
    const char *filter;
} QidlSchemaChange;

typedef struct QidlSchemaReport QidlSchemaReport;

/* Frees @report; NULL is allowed. */
void qidl_schema_report_free(QidlSchemaReport *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QidlSchemaReport, qidl_schema_report_free)

guint qidl_schema_report_get_n_changes(const QidlSchemaReport *report);

/* Returns: (transfer none): the change at @index, in report order. */
const QidlSchemaChange *qidl_schema_report_get_change(
    const QidlSchemaReport *report, guint index);

/* Returns: how many changes are breaking. */
guint qidl_schema_report_get_n_breaking(const QidlSchemaReport *report);

/* Returns: TRUE if no change is breaking. */
gboolean qidl_schema_report_is_compatible(const QidlSchemaReport *report);

/**
 * qidl_schema_report_to_text:
 *
 * One line per change, `PATH: breaking|compatible (KIND[, filter F]):
 * MESSAGE`, then a summary line.  Changes are in report order: device
 * types in OLD's order, then types only NEW has; within a type, in field
 * order.
 *
 * Returns: (transfer full): the text.
 */
char *qidl_schema_report_to_text(const QidlSchemaReport *report);

/**
 * qidl_schema_report_to_json:
 *
 *     {"compatible": false, "breaking": 1, "compatible-changes": 2,
 *      "changes": [{"kind": "width-changed", "breaking": true,
 *                   "device": "UARTState", "path": "UARTState.lsr",
 *                   "message": "...", "filter": null,
 *                   "instance": null}, ...]}
 *
 * Returns: (transfer full): the report as JSON.
 */
JsonNode *qidl_schema_report_to_json(const QidlSchemaReport *report);

/* ------------------------------------------------------------------------
 * Checking
 */

/**
 * qidl_schema_compare:
 * @old_schema: what the stream was saved with (previous release, source)
 * @new_schema: what loads it (this release, destination); same format
 * @rules: (nullable): filter rules the destination applies to the stream
 * @error: return location for a GError
 *
 * Classifies every difference between the device types of @old_schema and
 * @new_schema (docs/compat.md).  Types are matched by name, after @rules
 * renamed, split or merged OLD's types; fields by name (qidl-extract
 * schemas) or by position (QEMU dumps).
 *
 * Fails with QIDL_ERROR_INVALID if the schemas have different formats, and
 * with QIDL_ERROR_LIMIT past QIDL_LIMIT_SCHEMA_WORK.
 *
 * Returns: (transfer full) (nullable): the report; an empty report means
 * no difference.
 */
QidlSchemaReport *qidl_schema_compare(const QidlSchema *old_schema,
                                      const QidlSchema *new_schema,
                                      const QidlSchemaRules *rules,
                                      GError **error);

/**
 * qidl_schema_check_tree:
 * @schema: the destination's schemas
 * @tree: a stream read into a tree (qidl_stream_read_tree(), a QEMU
 *   stream reader), with the destination's filters already applied
 * @error: return location for a GError
 *
 * The pre-flight check: for every device root under the tree's root,
 * whether the destination can load it, without loading anything.  The
 * device's type is looked up (qidl_schema_add_alias()); its version must
 * lie between the type's minimum version and version; every field the
 * type saves must be in the device with the same kind and width (unless
 * it has a default, is optional, or appeared after the device's version);
 * fixed arrays must have their exact length, sized ones at most their
 * capacity; the device may hold no field the type does not save.  Each
 * device gives one QIDL_SCHEMA_CHANGE_DEVICE_ACCEPTED change or one or
 * more breaking ones, in tree order; the device's paths start with its
 * node name ("rtc.cmos_data").
 *
 * Returns: (transfer full) (nullable): the report.
 */
QidlSchemaReport *qidl_schema_check_tree(const QidlSchema *schema,
                                         QidlTree *tree, GError **error);

G_END_DECLS

#endif /* QIDL_SCHEMA_H */
