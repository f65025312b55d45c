/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QIDL field tables: device state as data
 *
 * For every annotated struct qidl-extract generates, next to the visit
 * function, the same description as constant data:
 *
 *     const QidlVmsField qidl_SerialState_fields[];   // one per field
 *     const QidlVmsStruct qidl_SerialState_vms;       // the struct
 *     const QidlProperty qidl_SerialState_properties[]; // if any property
 *
 * The vmstate engine (versions, minimum versions, hooks, subsections)
 * walks these tables instead of calling the visit function, and tools use
 * them to describe a device without compiling against it.  The tables and
 * the visit function come from the same extraction, so they cannot drift.
 *
 * A field that is not serialized (immutable, derived, broken, elsewhere,
 * property) is still listed, with the flag saying why: the table is the
 * complete picture of the struct, as the schema is.
 *
 * Lifetime: the tables are const data with static storage duration; every
 * pointer in them points to other static data (names, nested tables).
 * Nothing is allocated and nothing needs freeing.
 *
 * Threads: read-only, shared freely.
 */
#ifndef QIDL_VMSTATE_H
#define QIDL_VMSTATE_H

#include <stddef.h>
#include <qidl/visitor.h>

G_BEGIN_DECLS

/*
 * Most array dimensions one field may have.  Device state uses at most
 * two (QEMU's deepest are VMSTATE_*_2DARRAY); 4 leaves room.
 */
#define QIDL_VMS_MAX_DIMS 4

/**
 * QidlVmsFlags:
 * @QIDL_VMS_IMMUTABLE: not serialized: set only at construction
 * @QIDL_VMS_DERIVED: not serialized: recomputed by the post-load hook
 * @QIDL_VMS_BROKEN: not serialized yet although it is state
 * @QIDL_VMS_ELSEWHERE: not serialized: another object carries it
 * @QIDL_VMS_OPTIONAL: serialized only while the bool field at
 *   QidlVmsField.presence is true (QIDL_PRESENCE_FLAG)
 * @QIDL_VMS_DEFAULT: omitted when equal to QidlVmsField.default_value,
 *   preset to it on load (QIDL_PRESENCE_DEFAULT)
 * @QIDL_VMS_STRING: a string: char[N] (capacity in dims[0]) or char *
 * @QIDL_VMS_POINTER: the field is a heap pointer to its elements (size_is
 *   or type_is); loads allocate with g_new0(), the object owns the memory
 * @QIDL_VMS_SIZED: the count of the outermost dimension is the value of
 *   the field at QidlVmsField.size_is (or size_is_const); never more than
 *   dims[0] for an in-struct array
 * @QIDL_VMS_RANGE: loaded values must lie in [range_min, range_max]
 * @QIDL_VMS_INDEX_OF: loaded values must be < the capacity of the field
 *   at QidlVmsField.index_of
 * @QIDL_VMS_PROPERTY: configuration: see the struct's property table
 * @QIDL_VMS_GSLIST: a GSList whose elements are QidlVmsField.type (T *)
 * @QIDL_VMS_GARRAY: a GArray whose elements are of kind elem_kind (or
 *   QidlVmsField.type)
 * @QIDL_VMS_ENUM: an enum, carried as the integer kind of its underlying
 *   type
 */
typedef enum {
    QIDL_VMS_IMMUTABLE = 1u << 0,
    QIDL_VMS_DERIVED = 1u << 1,
    QIDL_VMS_BROKEN = 1u << 2,
    QIDL_VMS_ELSEWHERE = 1u << 3,
    QIDL_VMS_OPTIONAL = 1u << 4,
    QIDL_VMS_DEFAULT = 1u << 5,
    QIDL_VMS_STRING = 1u << 6,
    QIDL_VMS_POINTER = 1u << 7,
    QIDL_VMS_SIZED = 1u << 8,
    QIDL_VMS_RANGE = 1u << 9,
    QIDL_VMS_INDEX_OF = 1u << 10,
    QIDL_VMS_PROPERTY = 1u << 11,
    QIDL_VMS_GSLIST = 1u << 12,
    QIDL_VMS_GARRAY = 1u << 13,
    QIDL_VMS_ENUM = 1u << 14,
} QidlVmsFlags;

/* The flags that mean "not serialized". */
#define QIDL_VMS_SKIPPED (QIDL_VMS_IMMUTABLE | QIDL_VMS_DERIVED | \
                          QIDL_VMS_BROKEN | QIDL_VMS_ELSEWHERE | \
                          QIDL_VMS_PROPERTY)

/**
 * QidlVmsValue:
 *
 * A constant of a field's kind: @i for signed integers, @u for unsigned
 * integers and bool, @d for float and double.
 */
typedef union {
    gint64 i;
    guint64 u;
    double d;
} QidlVmsValue;

typedef struct QidlVmsStruct QidlVmsStruct;

/**
 * QidlVmsNeededFunc:
 * @obj: the object being saved
 *
 * A subsection's needed() predicate (QIDL(subsection, NAME, VERSION,
 * NEEDED)): whether the subsection is written.  A pure function of the
 * state.
 *
 * Returns: TRUE to write the subsection.
 */
typedef bool (*QidlVmsNeededFunc)(const void *obj);

/**
 * QidlVmsHookFunc:
 * @obj: the object: the one being saved (pre_save), or the scratch copy
 *   just loaded (post_load)
 * @error: return location for a GError
 *
 * A struct's pre_save or post_load hook (QIDL(pre_save, fn),
 * QIDL(post_load, fn)).
 *
 * Returns: FALSE, with @error set, to fail the save or the load.
 */
typedef gboolean (*QidlVmsHookFunc)(void *obj, GError **error);

/**
 * QidlVmsField:
 * @name: the C field name (the name on the wire)
 * @ctype: the C type as declared, normalised ("uint8_t[16]", "Timer *")
 * @kind: how the whole field is visited: a scalar kind, QIDL_KIND_STRING,
 *   QIDL_KIND_STRUCT or QIDL_KIND_LIST (arrays and containers)
 * @elem_kind: for lists, the kind of the innermost element; else @kind
 * @offset: offsetof() the field in its struct
 * @size: sizeof the field in the struct (a pointer's size for pointers)
 * @elem_size: sizeof one innermost element
 * @n_dims: how many array dimensions (0 for a scalar or struct)
 * @dims: the capacity of each dimension, outermost first (0 for a heap
 *   pointer's unknown capacity)
 * @size_is: index in the same table of the count field, or -1
 * @size_is_const: the constant count when size_is names a constant, else 0
 * @presence: index of the has_<field> flag (QIDL_VMS_OPTIONAL), or -1
 * @index_of: index of the array this value indexes (QIDL_VMS_INDEX_OF), or
 *   -1
 * @version: the struct version the field appeared in (1 for the first)
 * @flags: #QidlVmsFlags
 * @default_value: with QIDL_VMS_DEFAULT
 * @range_min: with QIDL_VMS_RANGE
 * @range_max: with QIDL_VMS_RANGE
 * @type: for structs (and lists of them), the element struct's table;
 *   NULL otherwise
 * @type_is: the type_is argument as written, or NULL
 * @subsection: the name of the subsection the field is in
 *   (QIDL(subsection, ...)), or NULL.  The fields of one subsection have
 *   the same name, version and @needed; subsections are visited after
 *   every field outside them, in order of first appearance.
 * @subsection_version: with @subsection, the subsection's version
 * @needed: with @subsection, the needed() predicate deciding on save
 *   whether the subsection is written
 */
typedef struct {
    const char *name;
    const char *ctype;
    QidlKind kind;
    QidlKind elem_kind;
    size_t offset;
    size_t size;
    size_t elem_size;
    guint32 n_dims;
    guint32 dims[QIDL_VMS_MAX_DIMS];
    gint32 size_is;
    guint32 size_is_const;
    gint32 presence;
    gint32 index_of;
    guint32 version;
    guint32 flags;
    QidlVmsValue default_value;
    QidlVmsValue range_min;
    QidlVmsValue range_max;
    const QidlVmsStruct *type;
    const char *type_is;
    const char *subsection;
    guint32 subsection_version;
    QidlVmsNeededFunc needed;
} QidlVmsField;

/**
 * QidlVmsCheckFunc:
 * @obj: the (scratch) object just loaded
 * @path: the path of the object for the message (`rtc`)
 * @error: return location for a GError
 *
 * Evaluates the struct's check() invariants.  Fails with
 * QIDL_ERROR_CONSTRAINT naming the first invariant that does not hold.
 *
 * Returns: TRUE if all hold.
 */
typedef gboolean (*QidlVmsCheckFunc)(const void *obj, const char *path,
                                     GError **error);

/**
 * QidlVmsStruct:
 * @name: the type name (`SerialState`; `Parent__field` for an anonymous
 *   struct)
 * @version: the current state version
 * @min_version: the oldest version a load accepts
 * @size: sizeof the struct
 * @fields: the field table, in declaration order
 * @n_fields: its length
 * @check: (nullable): the check() invariants, or NULL if there are none
 * @checks: (nullable): the invariants' text, NULL-terminated, for messages
 *   and schemas
 * @pre_save: (nullable): the hook run before the struct is saved
 * @post_load: (nullable): the hook run after the struct was loaded, on
 *   the scratch copy, before it is committed
 */
struct QidlVmsStruct {
    const char *name;
    guint32 version;
    guint32 min_version;
    size_t size;
    const QidlVmsField *fields;
    guint32 n_fields;
    QidlVmsCheckFunc check;
    const char *const *checks;
    QidlVmsHookFunc pre_save;
    QidlVmsHookFunc post_load;
};

/**
 * QidlProperty:
 * @name: the property name (`iobase`)
 * @field: the C field it sets
 * @kind: the field's scalar kind (or QIDL_KIND_STRING)
 * @offset: offsetof() the field
 * @size: sizeof the field
 * @has_default: whether @default_value applies
 * @default_value: the value a device gets when the property is not set
 * @default_string: for string properties, the default text (or NULL)
 *
 * One entry of a generated property table: the configuration a device is
 * created with (seeds/003, QCFG).  Properties are immutable state: never
 * saved, set before the device is realized.  Tables end with an entry
 * whose @name is NULL.
 */
typedef struct {
    const char *name;
    const char *field;
    QidlKind kind;
    size_t offset;
    size_t size;
    gboolean has_default;
    QidlVmsValue default_value;
    const char *default_string;
} QidlProperty;

G_END_DECLS

#endif /* QIDL_VMSTATE_H */
