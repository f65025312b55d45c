/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-extract: the model
 *
 * The pipeline is parse (libclang -> model), check (rules over the model),
 * then one emitter per output (emit-header.c, emit-source.c,
 * emit-schema.c, emit-depfile.c); main.c drives it.  Only parse.c sees
 * libclang: everything after it works on the plain data below, so the
 * emitters do not depend on which libclang built the model, and the
 * differences between libclang 14 and 16 are absorbed in one place.
 *
 * Ownership: a QeModel owns every struct, enum, field and string in it;
 * qe_model_free() releases them all.  Cross references (a field's struct
 * type, a size_is field) are borrowed pointers into the same model.
 */
#ifndef QE_MODEL_H
#define QE_MODEL_H

#include <glib.h>

#include <qidl/visitor.h>

#define QE_MAX_DIMS 4

/* A position in a source file, for diagnostics and generated comments. */
typedef struct {
    const char *file;   /* interned in the model */
    guint line;
    guint col;
} QeLoc;

typedef enum {
    QE_TYPE_SCALAR = 1,   /* bool, integers, float, double */
    QE_TYPE_ENUM,         /* an enum: scalar of its underlying kind */
    QE_TYPE_STRUCT,       /* a struct by value */
    QE_TYPE_POINTER,      /* a pointer to something else */
    QE_TYPE_GSLIST,       /* GSList * */
    QE_TYPE_GARRAY,       /* GArray * */
    QE_TYPE_FUNCPTR,      /* a function pointer */
    QE_TYPE_UNION,        /* a union (never supported) */
    QE_TYPE_OTHER,        /* anything else (vectors, complex, ...) */
} QeTypeKind;

/*
 * How generated code passes a scalar to qidl_visit_<kind>(): directly
 * (&obj->f has exactly the glib type), or through a temporary of the glib
 * type (plain char, long long, enums, or a constrained value that must be
 * checked before it is stored).
 */
typedef struct QeStruct QeStruct;
typedef struct QeEnum QeEnum;

typedef struct {
    QeTypeKind tkind;
    QidlKind kind;        /* scalars and enums: the wire kind */
    char *ctype;          /* normalised C spelling ("uint8_t", "Timer *") */
    guint64 size;         /* sizeof one element */
    gboolean direct;      /* scalars: &lvalue has the glib pointer type */
    gboolean is_char;     /* plain, signed or unsigned char */
    QeStruct *record;     /* QE_TYPE_STRUCT */
    QeEnum *enumeration;  /* QE_TYPE_ENUM */
} QeType;

typedef struct {
    char *name;
    gint64 value;
} QeEnumValue;

struct QeEnum {
    char *name;           /* typedef or tag name */
    char *ctype;
    QidlKind kind;        /* of the underlying type */
    GPtrArray *values;    /* QeEnumValue *, in declaration order */
    QeLoc loc;
};

/* A constant given in a marker, parsed for the field's kind. */
typedef struct {
    gboolean set;
    char *text;           /* as written (after macro expansion) */
    gboolean is_float;
    gboolean is_null;     /* NULL / ((void *)0) for pointers */
    gboolean negative;
    guint64 mag;          /* integer magnitude */
    double d;
} QeConst;

typedef enum {
    QE_F_IMMUTABLE = 1u << 0,
    QE_F_DERIVED = 1u << 1,
    QE_F_BROKEN = 1u << 2,
    QE_F_ELSEWHERE = 1u << 3,
    QE_F_OPTIONAL = 1u << 4,
    QE_F_STRING = 1u << 5,
    QE_F_PROPERTY = 1u << 6,
    QE_F_PRESENCE = 1u << 7,    /* the has_<x> flag of an optional x */
} QeFieldFlags;

#define QE_F_SKIPPED (QE_F_IMMUTABLE | QE_F_DERIVED | QE_F_BROKEN | \
                      QE_F_ELSEWHERE | QE_F_PROPERTY | QE_F_PRESENCE)

/*
 * A function a marker names (a hook, a needed() predicate), as parse.c
 * found it in the translation unit: the facts check.c needs to decide
 * whether its signature fits, relative to the struct whose marker names
 * it.
 */
typedef enum {
    QE_RESULT_OTHER = 0,
    QE_RESULT_BOOL,       /* bool (_Bool) */
    QE_RESULT_INT,        /* int, which gboolean is */
} QeResultKind;

typedef struct {
    char *name;
    QeLoc loc;            /* its first declaration */
    char *type;           /* spelled: "gboolean (RTCState *, GError **)" */
    QeResultKind result;
    guint n_params;
    gboolean variadic;
    gboolean self;        /* parameter 1 points to the marker's struct */
    gboolean self_const;  /* ... to a const one */
    gboolean gerror;      /* parameter 2 is GError ** */
} QeFunc;

/* One marker as written, for the schema and the diagnostics. */
typedef struct {
    char *name;
    GPtrArray *args;      /* char * */
    QeLoc loc;
    QeFunc *func;         /* the function the marker names, if it names
                           * one that is declared (hooks: argument 1,
                           * subsection: argument 3); owned */
} QeMarker;

typedef enum {
    QE_C_NONE = 0,        /* the element itself, or a fixed array of it */
    QE_C_HEAP,            /* T *: a heap pointer to size_is elements, or
                           * to one T (type_is) */
    QE_C_GSLIST,          /* GSList * of T * (type_is) */
    QE_C_GARRAY,          /* GArray * of T (type_is) */
} QeContainer;

typedef struct QeField {
    char *name;           /* "" for a C11 anonymous struct/union member */
    QeLoc loc;
    QeStruct *parent;
    guint index;          /* position in parent->fields */
    char *ctype;          /* the whole declared type ("uint8_t[16]") */
    QeType type;          /* the element type: arrays, the heap pointer
                           * or the container stripped (type_is) */
    guint n_dims;
    guint64 dims[QE_MAX_DIMS];
    QeContainer container;
    gboolean is_bitfield;
    gboolean flexible;    /* a flexible array member (T x[]) */
    gboolean too_many_dims;
    guint64 offset;       /* bytes */
    guint64 size;         /* sizeof the field */

    guint flags;          /* QeFieldFlags */
    GPtrArray *markers;   /* QeMarker *, in order */

    char *size_is;        /* expression as written, or NULL */
    struct QeField *size_is_field;
    gboolean size_is_const;
    guint64 size_is_value;
    QeLoc size_is_loc;

    QeConst dflt;
    QeLoc dflt_loc;
    guint version;        /* 0 = unset (the struct's first version) */
    char *type_is;
    QeLoc type_is_loc;
    char *property;       /* property name */
    QeConst property_default;
    QeConst range_lo, range_hi;
    QeLoc range_loc;
    char *index_of;
    struct QeField *index_of_field;
    QeLoc index_of_loc;
    GPtrArray *checks;    /* char *: check() expressions */
    struct QeField *has_flag;   /* optional: the has_<name> field */
    struct QeSubsection *subsection;  /* the subsection it is in, or NULL */
} QeField;

/*
 * A subsection: the fields sharing one QIDL(subsection, NAME, VERSION,
 * NEEDED) marker, in declaration order.  Visited after every other field
 * of the struct, only when NEEDED(obj) says so (QEMU's VMState
 * subsections).
 */
typedef struct QeSubsection {
    char *name;           /* unquoted */
    guint version;
    char *needed;         /* the predicate's name */
    gboolean needed_const; /* it takes a pointer to const */
    QeLoc loc;            /* the first field's marker */
    GPtrArray *fields;    /* QeField * (borrowed), in declaration order */
} QeSubsection;

struct QeStruct {
    char *name;           /* visitor name component: typedef or tag, or
                           * Parent__field for an anonymous struct */
    char *ctype;          /* C spelling for prototypes ("Foo", "struct
                           * foo", or __typeof__(...) for anonymous) */
    QeLoc loc;
    gboolean annotated;   /* carries QIDL_STRUCT */
    gboolean anonymous;
    gboolean external;    /* defined outside the source being extracted */
    gboolean emit;        /* generated code is emitted for it */
    gboolean visited;     /* parse.c: fields have been read */
    guint version;
    guint min_version;
    guint64 size;
    GPtrArray *fields;    /* QeField * */
    GPtrArray *checks;    /* char *: every field's check() in order */
    GPtrArray *markers;   /* QeMarker *: the struct-level markers after
                           * QIDL_STRUCT (hooks), in order */
    char *pre_save;       /* hook names, or NULL */
    char *post_load;
    GPtrArray *subsections; /* QeSubsection *, in order of first
                             * appearance */
};

typedef struct {
    char *source;         /* the file being extracted, as given */
    GPtrArray *structs;   /* QeStruct * (borrowed): the emitted ones, in
                           * emission order (nested types before users) */
    GPtrArray *owned;     /* QeStruct *: every struct read, owned */
    GPtrArray *enums;     /* QeEnum * referenced by emitted structs */
    GPtrArray *includes;  /* char *: every file the TU read (depfile) */
    GHashTable *strings;  /* interned file names */
} QeModel;

QeModel *qe_model_new(const char *source);
void qe_model_free(QeModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QeModel, qe_model_free)

const char *qe_model_intern(QeModel *model, const char *s);
QeStruct *qe_struct_new(void);
QeField *qe_field_new(void);
QeEnum *qe_enum_new(void);

/* The field of @s called @name, or NULL. */
QeField *qe_struct_find_field(const QeStruct *s, const char *name);

/* Whether @f is serialized at all (no skip marker). */
gboolean qe_field_is_serialized(const QeField *f);

/* Frees a QeMarker (for GPtrArrays of them). */
void qe_marker_free(gpointer p);

/* The marker called @name on @f, or NULL. */
const QeMarker *qe_field_marker(const QeField *f, const char *name);

/* Parses a literal for a constant; FALSE if it is not one. */
gboolean qe_const_parse(QeConst *c, const char *text);

/* Whether @c fits in @kind (integers by range, float kinds any number). */
gboolean qe_const_fits(const QeConst *c, QidlKind kind);

/* @c as a C expression for @kind (with a suffix where one is needed). */
char *qe_const_to_c(const QeConst *c, QidlKind kind);

/* visitor.h's qidl_kind_name(), _size(), _is_integer(), _is_signed(). */
const char *qe_kind_name(QidlKind kind);
gsize qe_kind_size(QidlKind kind);
gboolean qe_kind_is_integer(QidlKind kind);
gboolean qe_kind_is_signed(QidlKind kind);

/* The glib type visited for @kind ("guint8"). */
const char *qe_kind_gtype(QidlKind kind);

/*
 * Diagnostics: collected, printed in clang's format
 * (`file:line:col: error: message`), counted.  Never exit from inside a
 * libclang callback: record and carry on.
 */
typedef struct {
    guint n_errors;
} QeDiag;

void qe_error(QeDiag *diag, const QeLoc *loc, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* Stages. */
typedef struct {
    const char *source;
    const char *const *clang_args;
    int n_clang_args;
    gboolean skip_bodies;
} QeParseOptions;

/* parse.c: libclang -> model.  Returns NULL only if libclang could not
 * parse at all; clang errors and rule violations go to @diag. */
QeModel *qe_parse(const QeParseOptions *options, QeDiag *diag);

/* check.c: the rules that need the whole model (size_is, index_of,
 * defaults, optional flags, versions). */
void qe_check(QeModel *model, QeDiag *diag);

/* The emitters.  Each returns the file's contents (transfer full). */
typedef struct {
    const char *stem;          /* output file stem ("rtc") */
    const char *include;       /* how the .qidl.h includes the source */
    const char *source_name;   /* for the banner */
} QeEmitOptions;

GString *qe_emit_header(const QeModel *model, const QeEmitOptions *opts);
GString *qe_emit_source(const QeModel *model, const QeEmitOptions *opts);
GString *qe_emit_schema(const QeModel *model, const QeEmitOptions *opts);
GString *qe_emit_depfile(const QeModel *model, const char *target);

#endif /* QE_MODEL_H */
