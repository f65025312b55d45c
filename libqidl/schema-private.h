/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The schema model shared by the schema readers (schema.c for
 * qidl-extract schemas, schema-qemu.c for QEMU dumps), the comparisons
 * (schema-compare.c, schema-qemu.c), the filter-rule interpreter
 * (schema-rules.c) and the pre-flight check (schema-tree.c).
 *
 * Memory: a QidlSchema owns its types (SchemaType), their fields
 * (SchemaField) and enums; every string of the model lives in the
 * schema's string chunk and is never freed alone, so copies of a field
 * or a type (the filter interpreter makes them) may share strings with
 * the original as long as the original schema outlives them.
 */
#ifndef QIDL_SCHEMA_PRIVATE_H
#define QIDL_SCHEMA_PRIVATE_H

#include <qidl/error.h>
#include <qidl/schema.h>
#include <qidl/vmstate.h>

typedef struct SchemaType SchemaType;

typedef enum {
    SCHEMA_CONTAINER_NONE,
    SCHEMA_CONTAINER_ARRAY,      /* T x[N]: capacity in dims */
    SCHEMA_CONTAINER_HEAP_ARRAY, /* T *x QIDL(size_is, n): no capacity */
    SCHEMA_CONTAINER_POINTER,    /* T *x (type_is, char * string) */
    SCHEMA_CONTAINER_GSLIST,
    SCHEMA_CONTAINER_GARRAY,
} SchemaContainer;

typedef struct {
    const char *name;
    const char *ctype;          /* NULL for QEMU dumps */
    QidlKind kind;              /* wire kind; 0: unknown or not saveable */
    QidlKind element_kind;      /* for lists; 0 if none */
    const char *struct_name;    /* element struct's name, or NULL */
    const char *enum_name;      /* or NULL */
    SchemaType *type;           /* the element struct, if known */
    SchemaContainer container;
    guint64 size;
    guint64 element_size;
    guint n_dims;
    guint32 dims[QIDL_VMS_MAX_DIMS];
    gboolean saved;
    guint32 version;            /* appeared in; 0 in QEMU dumps: always */
    const char *subsection;     /* QIDL(subsection, ...) name, or NULL */
    /* annotations */
    const char *default_value;  /* as written, or NULL */
    gboolean optional;
    const char *size_is;        /* or NULL */
    const char *marker;         /* why it is not saved, or NULL */
    /* QEMU dumps */
    const char *qemu_type;      /* "type" extension member, or NULL */
    gint64 num;                 /* "num" (QEMU >= 8.1), or -1 */
    gboolean field_exists;
} SchemaField;

typedef struct {
    const char *name;
    guint32 version;
    guint32 min_version;
    gboolean has_min_version;
    SchemaType *type;           /* QEMU: the subsection's description */
    GPtrArray *field_names;     /* qidl-extract: const char * */
} SchemaSubsection;

struct SchemaType {
    const char *name;           /* struct name / section name */
    const char *ctype;
    const char *source;         /* the file it came from */
    guint32 version;
    guint32 min_version;
    guint64 size;
    gboolean anonymous;
    gboolean top_level;         /* a device type */
    GPtrArray *fields;          /* SchemaField *, owned by the schema */
    GPtrArray *subsections;     /* SchemaSubsection *, or NULL */
    /* QEMU dumps: a section's description, and its own entries */
    const char *desc_name;      /* vmsd name, or NULL */
    guint32 desc_version;
    guint32 desc_min_version;
    gboolean has_description;   /* a section with a "Description" */
    gboolean has_fields;        /* a description with "Fields" */
    gboolean has_subsections;   /* a description with "Subsections" */
};

typedef struct {
    const char *name;
    gint64 value;
} SchemaEnumValue;

typedef struct {
    const char *name;
    QidlKind kind;
    GArray *values;             /* SchemaEnumValue */
} SchemaEnum;

struct QidlSchema {
    QidlSchemaFormat format;
    GStringChunk *strings;
    GPtrArray *all_types;       /* owns SchemaType (nested QEMU ones too) */
    GPtrArray *all_fields;      /* owns SchemaField */
    GPtrArray *all_subsections; /* owns SchemaSubsection */
    GPtrArray *types;           /* named types in load order (borrowed) */
    GHashTable *by_name;        /* name -> SchemaType (borrowed) */
    GPtrArray *enums;           /* owns SchemaEnum */
    GHashTable *enums_by_name;
    GHashTable *aliases;        /* device type -> type name (chunk) */
    const char *machine;        /* QEMU "vmschkmachine" Name, or NULL */
};

/* Allocation inside a schema. */
const char *schema__str(QidlSchema *s, const char *text);
SchemaType *schema__new_type(QidlSchema *s);
SchemaField *schema__new_field(QidlSchema *s);
SchemaSubsection *schema__new_subsection(QidlSchema *s);
SchemaField *schema__copy_field(QidlSchema *s, const SchemaField *f);
SchemaType *schema__copy_type(QidlSchema *s, const SchemaType *t);

/* Top-level (device) types in load order. */
guint schema__n_devices(const QidlSchema *s);
SchemaType *schema__device(const QidlSchema *s, guint index);
SchemaType *schema__lookup(const QidlSchema *s, const char *name);
const SchemaEnum *schema__lookup_enum(const QidlSchema *s, const char *name);

/* Readers: parse @root (from qidl_json_parse) into @s, or fail. */
gboolean schema__read_qemu(QidlSchema *s, JsonNode *root, const char *source,
                           GError **error);

/* ------------------------------------------------------------------------
 * Reports
 */
QidlSchemaReport *schema__report_new(void);

/*
 * Appends a change; @path and @fmt's result are copied.  The change is
 * breaking when @breaking says so and @filter is NULL.
 */
void schema__report_add(QidlSchemaReport *r, QidlSchemaChangeKind kind,
                        gboolean breaking, const char *device,
                        const char *path, const char *filter,
                        const char *fmt, ...) G_GNUC_PRINTF(7, 8);
/* Sets the instance path of the last change added. */
void schema__report_set_instance(QidlSchemaReport *r, const char *instance);

/* ------------------------------------------------------------------------
 * Comparison state shared by the named and the positional comparison
 */
typedef struct {
    QidlSchemaReport *report;
    const QidlSchema *old_schema;
    const QidlSchema *new_schema;
    guint work;                 /* bounded by QIDL_LIMIT_SCHEMA_WORK */
} SchemaCompare;

gboolean schema__count_work(SchemaCompare *c, guint n, GError **error);

/* Compares one OLD device type (possibly rewritten by rules) with NEW's. */
gboolean schema__compare_named(SchemaCompare *c, const SchemaType *o,
                               const SchemaType *n, const char *device,
                               GError **error);
gboolean schema__compare_positional(SchemaCompare *c, const SchemaType *o,
                                    const SchemaType *n, GError **error);

/* Kind helpers for messages and classification. */
const char *schema__kind_text(QidlKind kind);
/*
 * Classifies a change of scalar kind (both non-zero, different):
 * signedness, width or kind.
 */
QidlSchemaChangeKind schema__classify_kinds(QidlKind o, QidlKind n);

/* ------------------------------------------------------------------------
 * Rules
 */

/*
 * One device as the rules see it: OLD's type (copied when a rule changes
 * it) under its current name and version.
 */
typedef struct {
    SchemaType *type;           /* fields may be copies owned by scratch */
    const char *name;           /* current type name */
    guint32 version;
    const char *origin;         /* OLD's type name, for messages */
} SchemaView;

/*
 * Applies @rules to every device type of @old (in @old's order), in rule
 * order, as qidl_filter_set_apply() applies them to devices: returns the
 * resulting views (SchemaView *, freed with g_free), with copies made in
 * @scratch, and reports what each rule did to @report.
 */
GPtrArray *schema__apply_rules(const QidlSchemaRules *rules,
                               const QidlSchema *old, QidlSchema *scratch,
                               QidlSchemaReport *report, GError **error);

#endif /* QIDL_SCHEMA_PRIVATE_H */
