/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-extract, stage 1: libclang -> model
 *
 * Parses the source with the real compile flags, turns every clang error
 * into a diagnostic (an unknown type must never silently become int), then
 * reads the annotated structs of the main file and everything they hold by
 * value into the model.  This is the only file that talks to libclang; it
 * records facts (a field is a bitfield, a pointer, a union) and leaves the
 * rules to check.c.
 *
 * Types are spelled by this file rather than by clang_getTypeSpelling(),
 * whose output differs between libclang 14 and 16 (elaborated types,
 * "anonymous" vs "unnamed"): the schema and the generated code are the
 * same whichever libclang built the tool.
 */
#include <stdio.h>
#include <string.h>

#include <clang-c/Index.h>

#include "model.h"

typedef struct {
    QeModel *model;
    QeDiag *diag;
    CXTranslationUnit tu;
    GHashTable *typedef_of;     /* record USR -> typedef name */
    GHashTable *types;          /* type name -> CXCursor * (type_is) */
    GHashTable *structs;        /* record USR -> QeStruct * (borrowed) */
    GHashTable *enums;          /* enum USR -> QeEnum * (borrowed) */
    GHashTable *functions;      /* function name -> CXCursor * (its first
                                 * declaration): hooks, predicates */
    GPtrArray *all_structs;     /* QeStruct * owned until moved */
} Ctx;

static char *str_take(CXString s)
{
    char *r = g_strdup(clang_getCString(s));

    clang_disposeString(s);
    return r;
}

static QeLoc loc_of_location(Ctx *ctx, CXSourceLocation where)
{
    CXFile file;
    unsigned line, col;
    QeLoc loc = { 0 };

    clang_getExpansionLocation(where, &file, &line, &col, NULL);
    if (file) {
        g_autofree char *name = str_take(clang_getFileName(file));

        loc.file = qe_model_intern(ctx->model, name);
    }
    loc.line = line;
    loc.col = col;
    return loc;
}

static QeLoc loc_of(Ctx *ctx, CXCursor c)
{
    return loc_of_location(ctx, clang_getCursorLocation(c));
}

static char *usr_of(CXCursor c)
{
    return str_take(clang_getCursorUSR(clang_getCanonicalCursor(c)));
}

/* Strips sugar that carries no name: elaborated (`struct foo` written
 * out, which libclang 16 reports for every tagged or typedef'd use) and
 * attributed types. */
static CXType unwrap(CXType t)
{
    for (;;) {
        if (t.kind == CXType_Elaborated) {
            t = clang_Type_getNamedType(t);
        } else if (t.kind == CXType_Attributed) {
            t = clang_Type_getModifiedType(t);
        } else {
            return t;
        }
    }
}

static gboolean is_unnamed_record(CXCursor decl)
{
    g_autofree char *name = str_take(clang_getCursorSpelling(decl));

    return name[0] == '\0' || strchr(name, '(') != NULL ||
           strchr(name, ' ') != NULL;
}

static const char *builtin_name(enum CXTypeKind kind)
{
    switch (kind) {
    case CXType_Bool: return "bool";
    case CXType_Char_S:
    case CXType_Char_U: return "char";
    case CXType_SChar: return "signed char";
    case CXType_UChar: return "unsigned char";
    case CXType_Short: return "short";
    case CXType_UShort: return "unsigned short";
    case CXType_Int: return "int";
    case CXType_UInt: return "unsigned int";
    case CXType_Long: return "long";
    case CXType_ULong: return "unsigned long";
    case CXType_LongLong: return "long long";
    case CXType_ULongLong: return "unsigned long long";
    case CXType_Float: return "float";
    case CXType_Double: return "double";
    case CXType_LongDouble: return "long double";
    case CXType_Void: return "void";
    default: return NULL;
    }
}

/* The C spelling of @t, the same with every libclang. */
static char *spell(CXType t)
{
    const char *qual = clang_isConstQualifiedType(t) ? "const " : "";
    CXType u = unwrap(t);
    const char *b = builtin_name(u.kind);

    if (b) {
        return g_strdup_printf("%s%s", qual, b);
    }
    switch (u.kind) {
    case CXType_Typedef: {
        g_autofree char *name = str_take(clang_getCursorSpelling(
            clang_getTypeDeclaration(u)));

        return g_strdup_printf("%s%s", qual, name);
    }
    case CXType_Record:
    case CXType_Enum: {
        CXCursor decl = clang_getTypeDeclaration(u);
        const char *tag = u.kind == CXType_Enum ? "enum" :
            clang_getCursorKind(decl) == CXCursor_UnionDecl ? "union" :
            "struct";
        g_autofree char *name = NULL;

        if (is_unnamed_record(decl)) {
            return g_strdup_printf("%s%s <anonymous>", qual, tag);
        }
        name = str_take(clang_getCursorSpelling(decl));
        return g_strdup_printf("%s%s %s", qual, tag, name);
    }
    case CXType_Pointer: {
        CXType pointee = clang_getPointeeType(u);
        CXType pc = clang_getCanonicalType(pointee);
        g_autofree char *inner = NULL;
        gsize len;
        const char *q = clang_isConstQualifiedType(t) ? " const" : "";

        if (pc.kind == CXType_FunctionProto ||
            pc.kind == CXType_FunctionNoProto) {
            /* Spelled from the canonical prototype: "void (*)(void *)". */
            GString *fs = g_string_new(NULL);
            g_autofree char *ret = spell(clang_getResultType(pc));
            int n = clang_getNumArgTypes(pc);

            g_string_append_printf(fs, "%s (*%s)(", ret, q);
            for (int i = 0; i < n; i++) {
                g_autofree char *a = spell(clang_getArgType(pc, i));

                g_string_append_printf(fs, "%s%s", i ? ", " : "", a);
            }
            if (n <= 0 && pc.kind == CXType_FunctionProto) {
                g_string_append(fs, "void");
            }
            g_string_append_c(fs, ')');
            return g_string_free(fs, FALSE);
        }
        inner = spell(pointee);
        len = strlen(inner);
        return g_strdup_printf("%s%s*%s", inner,
                               len && inner[len - 1] == '*' ? "" : " ", q);
    }
    case CXType_ConstantArray: {
        /* The outer dimension goes first: int[2][3] is an array of 2
         * int[3]. */
        g_autofree char *inner = spell(clang_getArrayElementType(u));
        const char *bracket = strchr(inner, '[');

        if (bracket) {
            return g_strdup_printf("%.*s[%lld]%s", (int)(bracket - inner),
                                   inner, clang_getArraySize(u), bracket);
        }
        return g_strdup_printf("%s[%lld]", inner, clang_getArraySize(u));
    }
    case CXType_IncompleteArray: {
        g_autofree char *inner = spell(clang_getArrayElementType(u));

        return g_strdup_printf("%s[]", inner);
    }
    case CXType_FunctionProto:
    case CXType_FunctionNoProto:
        return g_strdup("function");
    default:
        return str_take(clang_getTypeSpelling(u));
    }
}

/* The spelling without a top-level const (clang_getUnqualifiedType() is
 * not in libclang 14). */
static char *spell_unqualified(CXType t)
{
    char *s = spell(t);

    if (g_str_has_prefix(s, "const ")) {
        /* A copy rather than memmove(), which gcc's -Warray-bounds
         * misjudges once this is inlined under the sanitizers. */
        char *u = g_strdup(s + 6);

        g_free(s);
        return u;
    }
    return s;
}

/*
 * The wire kind of a builtin scalar type, and whether a pointer to it is
 * exactly the glib pointer type qidl_visit_<kind>() takes.  glib's
 * integer types are signed/unsigned char, short and int, and long for
 * 64 bits on LP64 targets; anything else goes through a temporary.
 */
static QidlKind scalar_kind(CXType canon, gboolean *direct, gboolean *is_char)
{
    long long size = clang_Type_getSizeOf(canon);
    gboolean is_signed;

    *direct = FALSE;
    *is_char = FALSE;
    switch (canon.kind) {
    case CXType_Bool:
        *direct = TRUE;
        return QIDL_KIND_BOOL;
    case CXType_Float:
        *direct = TRUE;
        return QIDL_KIND_FLOAT;
    case CXType_Double:
        *direct = TRUE;
        return QIDL_KIND_DOUBLE;
    case CXType_Char_S:
        *is_char = TRUE;
        is_signed = TRUE;
        break;
    case CXType_Char_U:
        *is_char = TRUE;
        is_signed = FALSE;
        break;
    case CXType_SChar:
        *is_char = TRUE;
        *direct = TRUE;
        is_signed = TRUE;
        break;
    case CXType_UChar:
        *is_char = TRUE;
        *direct = TRUE;
        is_signed = FALSE;
        break;
    case CXType_Short:
    case CXType_Int:
        *direct = TRUE;
        is_signed = TRUE;
        break;
    case CXType_UShort:
    case CXType_UInt:
        *direct = TRUE;
        is_signed = FALSE;
        break;
    case CXType_Long:
        *direct = size == 8;
        is_signed = TRUE;
        break;
    case CXType_ULong:
        *direct = size == 8;
        is_signed = FALSE;
        break;
    case CXType_LongLong:
        is_signed = TRUE;
        break;
    case CXType_ULongLong:
        is_signed = FALSE;
        break;
    default:
        return 0;
    }
    switch (size) {
    case 1: return is_signed ? QIDL_KIND_INT8 : QIDL_KIND_UINT8;
    case 2: return is_signed ? QIDL_KIND_INT16 : QIDL_KIND_UINT16;
    case 4: return is_signed ? QIDL_KIND_INT32 : QIDL_KIND_UINT32;
    case 8: return is_signed ? QIDL_KIND_INT64 : QIDL_KIND_UINT64;
    default:
        *direct = FALSE;
        return 0;
    }
}

static QeStruct *get_struct(Ctx *ctx, CXCursor decl, const char *anon_name,
                            const char *anon_ctype);

static enum CXChildVisitResult visit_enum_value(CXCursor c, CXCursor parent,
                                                CXClientData data)
{
    QeEnum *e = data;
    QeEnumValue *v;

    if (clang_getCursorKind(c) != CXCursor_EnumConstantDecl) {
        return CXChildVisit_Continue;
    }
    v = g_new0(QeEnumValue, 1);
    v->name = str_take(clang_getCursorSpelling(c));
    v->value = clang_getEnumConstantDeclValue(c);
    g_ptr_array_add(e->values, v);
    return CXChildVisit_Continue;
}

static QeEnum *get_enum(Ctx *ctx, CXCursor decl, CXType t)
{
    g_autofree char *usr = usr_of(decl);
    QeEnum *e = g_hash_table_lookup(ctx->enums, usr);
    CXType under;
    gboolean direct, is_char;

    if (e) {
        return e;
    }
    e = qe_enum_new();
    e->ctype = spell(t);
    if (is_unnamed_record(decl)) {
        e->name = g_strdup(e->ctype);
    } else {
        e->name = str_take(clang_getCursorSpelling(decl));
    }
    e->loc = loc_of(ctx, decl);
    under = clang_getCanonicalType(clang_getEnumDeclIntegerType(decl));
    e->kind = scalar_kind(under, &direct, &is_char);
    clang_visitChildren(decl, visit_enum_value, e);
    g_hash_table_insert(ctx->enums, g_steal_pointer(&usr), e);
    g_ptr_array_add(ctx->model->enums, e);
    return e;
}

/*
 * Reads the element type @t (arrays already stripped).  @anon_expr is an
 * expression of that type, used to name an anonymous struct in generated
 * code (`__typeof__(EXPR)`).
 */
static void analyze_type(Ctx *ctx, QeType *type, CXType t,
                         const char *anon_name, const char *anon_expr)
{
    CXType u = unwrap(t);
    CXType canon = clang_getCanonicalType(u);
    long long size = clang_Type_getSizeOf(canon);

    type->ctype = spell(t);
    type->size = size > 0 ? (guint64)size : 0;

    switch (canon.kind) {
    case CXType_Record: {
        CXCursor decl = clang_getTypeDeclaration(canon);
        CXCursor def = clang_getCursorDefinition(decl);

        if (clang_getCursorKind(decl) == CXCursor_UnionDecl) {
            type->tkind = QE_TYPE_UNION;
            return;
        }
        type->tkind = QE_TYPE_STRUCT;
        if (clang_Cursor_isNull(def)) {
            return;     /* incomplete: check.c reports it */
        }
        {
            g_autofree char *ctype = g_strdup_printf("__typeof__(%s)",
                                                     anon_expr);

            type->record = get_struct(ctx, def, anon_name, ctype);
        }
        return;
    }
    case CXType_Enum: {
        CXCursor decl = clang_getTypeDeclaration(canon);

        type->tkind = QE_TYPE_ENUM;
        type->enumeration = get_enum(ctx, decl, u);
        type->kind = type->enumeration->kind;
        type->direct = FALSE;
        return;
    }
    case CXType_Pointer: {
        CXType pointee = clang_getCanonicalType(clang_getPointeeType(canon));

        type->tkind = pointee.kind == CXType_FunctionProto ||
                      pointee.kind == CXType_FunctionNoProto ?
                      QE_TYPE_FUNCPTR : QE_TYPE_POINTER;
        return;
    }
    default:
        type->kind = scalar_kind(canon, &type->direct, &type->is_char);
        type->tkind = type->kind ? QE_TYPE_SCALAR : QE_TYPE_OTHER;
        return;
    }
}

/* Builtin type names allowed in type_is, for targets with 8-bit chars,
 * 16-bit shorts, 32-bit ints and LP64 longs (the ones glib supports). */
static gboolean builtin_type_is(const char *name, QeType *type)
{
    static const struct {
        const char *name;
        QidlKind kind;
        gboolean direct;
    } table[] = {
        { "bool", QIDL_KIND_BOOL, TRUE },
        { "_Bool", QIDL_KIND_BOOL, TRUE },
        { "signed char", QIDL_KIND_INT8, TRUE },
        { "unsigned char", QIDL_KIND_UINT8, TRUE },
        { "short", QIDL_KIND_INT16, TRUE },
        { "unsigned short", QIDL_KIND_UINT16, TRUE },
        { "int", QIDL_KIND_INT32, TRUE },
        { "unsigned int", QIDL_KIND_UINT32, TRUE },
        { "unsigned", QIDL_KIND_UINT32, TRUE },
        { "float", QIDL_KIND_FLOAT, TRUE },
        { "double", QIDL_KIND_DOUBLE, TRUE },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {
        if (strcmp(name, table[i].name) == 0) {
            type->tkind = QE_TYPE_SCALAR;
            type->kind = table[i].kind;
            type->direct = table[i].direct;
            type->ctype = g_strdup(name);
            type->size = qe_kind_size(table[i].kind);
            return TRUE;
        }
    }
    return FALSE;
}

/* Resolves a type_is argument to the element type, or leaves @type with
 * tkind 0 if the name is unknown (check.c reports it). */
static void resolve_type_is(Ctx *ctx, QeField *f, const char *name,
                            const char *anon_expr)
{
    CXCursor *decl;

    if (builtin_type_is(name, &f->type)) {
        return;
    }
    decl = g_hash_table_lookup(ctx->types, name);
    if (!decl) {
        f->type.tkind = 0;
        f->type.ctype = g_strdup(name);
        return;
    }
    analyze_type(ctx, &f->type, clang_getCursorType(*decl), NULL, anon_expr);
}

static gboolean is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Splits "name, a, f(b, c)" at top-level commas, outside quotes. */
static GPtrArray *split_marker(const char *text)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    int depth = 0;
    gboolean quoted = FALSE;
    const char *start = text;

    for (const char *p = text;; p++) {
        if (*p == '\0' || (*p == ',' && depth == 0 && !quoted)) {
            g_autofree char *tok = g_strndup(start, p - start);

            g_ptr_array_add(out, g_strdup(g_strstrip(tok)));
            if (*p == '\0') {
                break;
            }
            start = p + 1;
        } else if (*p == '"' && (p == text || p[-1] != '\\')) {
            quoted = !quoted;
        } else if (!quoted && (*p == '(' || *p == '[' || *p == '{')) {
            depth++;
        } else if (!quoted && (*p == ')' || *p == ']' || *p == '}')) {
            depth--;
        }
    }
    (void)is_space;
    return out;
}

static QeMarker *marker_new(Ctx *ctx, CXCursor attr, const char *text)
{
    QeMarker *m = g_new0(QeMarker, 1);
    g_autoptr(GPtrArray) toks = split_marker(text);

    m->name = g_strdup(g_ptr_array_index(toks, 0));
    m->args = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 1; i < toks->len; i++) {
        g_ptr_array_add(m->args, g_strdup(g_ptr_array_index(toks, i)));
    }
    m->loc = loc_of(ctx, attr);
    return m;
}

/* Whether @t (canonical) points to a pointer to GError. */
static gboolean is_gerror_pp(CXType t)
{
    CXType p, r;
    g_autofree char *name = NULL;

    if (t.kind != CXType_Pointer) {
        return FALSE;
    }
    p = clang_getCanonicalType(clang_getPointeeType(t));
    if (p.kind != CXType_Pointer) {
        return FALSE;
    }
    r = clang_getCanonicalType(clang_getPointeeType(p));
    if (r.kind != CXType_Record) {
        return FALSE;
    }
    name = str_take(clang_getCursorSpelling(clang_getTypeDeclaration(r)));
    return strcmp(name, "_GError") == 0;
}

/*
 * The function called @name declared in the translation unit, with the
 * facts check.c needs about its signature relative to the struct @sdecl;
 * NULL if there is no such function (check.c reports it).
 */
static QeFunc *resolve_func(Ctx *ctx, CXCursor sdecl, const char *name)
{
    CXCursor *decl = name ? g_hash_table_lookup(ctx->functions, name) : NULL;
    CXType ft, canon, res;
    QeFunc *fn;
    GString *type;
    int n;

    if (!decl) {
        return NULL;
    }
    fn = g_new0(QeFunc, 1);
    fn->name = g_strdup(name);
    fn->loc = loc_of(ctx, *decl);
    ft = clang_getCursorType(*decl);
    canon = clang_getCanonicalType(ft);
    res = clang_getCanonicalType(clang_getResultType(canon));
    fn->result = res.kind == CXType_Bool ? QE_RESULT_BOOL :
                 res.kind == CXType_Int ? QE_RESULT_INT : QE_RESULT_OTHER;
    n = clang_getNumArgTypes(ft);
    fn->n_params = n > 0 ? (guint)n : 0;
    fn->variadic = canon.kind == CXType_FunctionProto &&
                   clang_isFunctionTypeVariadic(canon);
    type = g_string_new(NULL);
    {
        g_autofree char *r = spell(clang_getResultType(ft));

        g_string_append_printf(type, "%s (", r);
    }
    for (int i = 0; i < n; i++) {
        CXType at = clang_getArgType(ft, i);
        CXType ac = clang_getCanonicalType(at);
        g_autofree char *a = spell(at);

        g_string_append_printf(type, "%s%s", i ? ", " : "", a);
        if (i == 0 && ac.kind == CXType_Pointer) {
            CXType pointee = clang_getPointeeType(ac);
            CXType pc = clang_getCanonicalType(pointee);

            if (pc.kind == CXType_Record &&
                clang_equalCursors(
                    clang_getCanonicalCursor(clang_getTypeDeclaration(pc)),
                    clang_getCanonicalCursor(sdecl))) {
                fn->self = TRUE;
                fn->self_const = clang_isConstQualifiedType(pc);
            }
        } else if (i == 1) {
            fn->gerror = is_gerror_pp(ac);
        }
    }
    if (fn->variadic) {
        g_string_append(type, n > 0 ? ", ..." : "...");
    } else if (n <= 0 && canon.kind == CXType_FunctionProto) {
        g_string_append(type, "void");
    }
    g_string_append_c(type, ')');
    fn->type = g_string_free(type, FALSE);
    return fn;
}

/* The argument @i of @m if it is an identifier, else NULL. */
static const char *marker_ident(const QeMarker *m, guint i)
{
    const char *a = i < m->args->len ? g_ptr_array_index(m->args, i) : NULL;

    if (!a || (!g_ascii_isalpha(*a) && *a != '_')) {
        return NULL;
    }
    for (const char *p = a; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '_') {
            return NULL;
        }
    }
    return a;
}

/* Records the function a hook or subsection marker names. */
static void resolve_marker_func(Ctx *ctx, CXCursor sdecl, QeMarker *m)
{
    if (strcmp(m->name, "post_load") == 0 ||
        strcmp(m->name, "pre_save") == 0) {
        m->func = resolve_func(ctx, sdecl, marker_ident(m, 0));
    } else if (strcmp(m->name, "subsection") == 0) {
        m->func = resolve_func(ctx, sdecl, marker_ident(m, 2));
    }
}

typedef struct {
    Ctx *ctx;
    GArray *cursors;        /* CXCursor: fields and anonymous members */
    GPtrArray *markers;     /* QeMarker *: the struct's own markers */
} Children;

static enum CXChildVisitResult visit_struct_child(CXCursor c,
                                                  CXCursor parent,
                                                  CXClientData data)
{
    Children *ch = data;

    switch (clang_getCursorKind(c)) {
    case CXCursor_FieldDecl:
        g_array_append_val(ch->cursors, c);
        break;
    case CXCursor_StructDecl:
    case CXCursor_UnionDecl:
        /* A C11 anonymous member has no field declaration of its own. */
        if (clang_Cursor_isAnonymousRecordDecl(c)) {
            g_array_append_val(ch->cursors, c);
        }
        break;
    case CXCursor_AnnotateAttr:
        if (ch->markers) {
            g_autofree char *text = str_take(clang_getCursorSpelling(c));

            if (g_str_has_prefix(text, "qidl:")) {
                g_ptr_array_add(ch->markers,
                                marker_new(ch->ctx, c, text + 5));
            }
        }
        break;
    default:
        break;
    }
    return CXChildVisit_Continue;
}

static enum CXChildVisitResult visit_field_child(CXCursor c, CXCursor parent,
                                                 CXClientData data)
{
    Children *ch = data;

    if (clang_getCursorKind(c) == CXCursor_AnnotateAttr) {
        g_autofree char *text = str_take(clang_getCursorSpelling(c));

        if (g_str_has_prefix(text, "qidl:")) {
            g_ptr_array_add(ch->markers, marker_new(ch->ctx, c, text + 5));
        }
    }
    return CXChildVisit_Continue;
}

static const char *marker_arg(const QeField *f, const char *name)
{
    const QeMarker *m = qe_field_marker(f, name);

    return m && m->args->len > 0 ? g_ptr_array_index(m->args, 0) : NULL;
}

static void read_field(Ctx *ctx, QeStruct *s, CXCursor c)
{
    QeField *f = qe_field_new();
    CXType t = clang_getCursorType(c);
    long long size = clang_Type_getSizeOf(t);
    long long offset;
    Children ch = { .ctx = ctx, .markers = f->markers };
    g_autofree char *expr = NULL;
    const char *type_is;

    f->parent = s;
    f->index = s->fields->len;
    g_ptr_array_add(s->fields, f);
    f->loc = loc_of(ctx, c);
    f->size = size > 0 ? (guint64)size : 0;

    if (clang_getCursorKind(c) != CXCursor_FieldDecl) {
        /* A C11 anonymous struct or union member. */
        f->name = g_strdup("");
        f->ctype = spell(t);
        f->type.tkind = clang_getCursorKind(c) == CXCursor_UnionDecl ?
                        QE_TYPE_UNION : QE_TYPE_STRUCT;
        f->type.ctype = g_strdup(f->ctype);
        return;
    }

    f->name = str_take(clang_getCursorSpelling(c));
    f->ctype = spell(t);
    f->is_bitfield = clang_Cursor_isBitField(c);
    offset = clang_Cursor_getOffsetOfField(c);
    f->offset = offset > 0 ? (guint64)offset / 8 : 0;
    clang_visitChildren(c, visit_field_child, &ch);
    for (guint i = 0; i < f->markers->len; i++) {
        resolve_marker_func(ctx, clang_getCursorSemanticParent(c),
                            g_ptr_array_index(f->markers, i));
    }

    expr = g_strdup_printf("((%s *)0)->%s", s->ctype, f->name);

    /* Strip array dimensions, keeping the element's typedef name. */
    for (;;) {
        CXType u = unwrap(t);
        CXType canon = clang_getCanonicalType(u);
        CXType arr = u.kind == CXType_ConstantArray ? u : canon;

        if (canon.kind == CXType_IncompleteArray) {
            f->flexible = TRUE;
            f->type.tkind = QE_TYPE_OTHER;
            f->type.ctype = spell(t);
            return;
        }
        if (canon.kind != CXType_ConstantArray) {
            break;
        }
        if (f->n_dims == QE_MAX_DIMS) {
            f->too_many_dims = TRUE;
            f->type.tkind = QE_TYPE_OTHER;
            f->type.ctype = spell(t);
            return;
        }
        f->dims[f->n_dims++] = (guint64)clang_getArraySize(arr);
        t = clang_getArrayElementType(arr);
        {
            char *e = g_strdup_printf("%s[0]", expr);

            g_free(expr);
            expr = e;
        }
    }

    type_is = marker_arg(f, "type_is");
    {
        CXType u = unwrap(t);
        CXType canon = clang_getCanonicalType(u);

        if (canon.kind == CXType_Pointer && f->n_dims == 0) {
            CXType pu = u.kind == CXType_Pointer ? u : canon;
            CXType pointee = clang_getPointeeType(pu);
            CXType pcanon = clang_getCanonicalType(pointee);
            g_autofree char *pname = NULL;
            g_autofree char *star = g_strdup_printf("*%s", expr);

            if (pcanon.kind == CXType_FunctionProto ||
                pcanon.kind == CXType_FunctionNoProto) {
                analyze_type(ctx, &f->type, t, NULL, expr);
                return;
            }
            pname = spell_unqualified(pointee);
            if (strcmp(pname, "GSList") == 0 || strcmp(pname, "GArray") == 0) {
                f->container = pname[1] == 'S' ? QE_C_GSLIST : QE_C_GARRAY;
                if (type_is) {
                    g_autofree char *el = g_strdup_printf(
                        "*(%s *)0", type_is);

                    resolve_type_is(ctx, f, type_is, el);
                } else {
                    f->type.ctype = g_strdup(pname);
                    f->type.tkind = QE_TYPE_POINTER;
                }
                return;
            }
            f->container = QE_C_HEAP;
            if (type_is && pcanon.kind == CXType_Void) {
                resolve_type_is(ctx, f, type_is, star);
            } else {
                g_autofree char *aname = g_strdup_printf("%s__%s", s->name,
                                                         f->name);

                analyze_type(ctx, &f->type, pointee, aname, star);
            }
            return;
        }
    }
    {
        g_autofree char *aname = g_strdup_printf("%s__%s", s->name, f->name);

        analyze_type(ctx, &f->type, t, aname, expr);
    }
}

static QeStruct *get_struct(Ctx *ctx, CXCursor decl, const char *anon_name,
                            const char *anon_ctype)
{
    g_autofree char *usr = usr_of(decl);
    QeStruct *s = g_hash_table_lookup(ctx->structs, usr);
    const char *tdef;
    Children ch = { .ctx = ctx };

    if (s) {
        return s;
    }
    s = qe_struct_new();
    g_ptr_array_add(ctx->model->owned, s);
    g_hash_table_insert(ctx->structs, g_strdup(usr), s);

    s->loc = loc_of(ctx, decl);
    s->external = !clang_Location_isFromMainFile(clang_getCursorLocation(decl));
    s->size = (guint64)MAX(clang_Type_getSizeOf(clang_getCursorType(decl)), 0);
    tdef = g_hash_table_lookup(ctx->typedef_of, usr);
    if (tdef) {
        s->name = g_strdup(tdef);
        s->ctype = g_strdup(tdef);
    } else if (is_unnamed_record(decl)) {
        s->anonymous = TRUE;
        s->name = g_strdup(anon_name ? anon_name : "anonymous");
        s->ctype = g_strdup(anon_ctype ? anon_ctype : "struct <anonymous>");
    } else {
        g_autofree char *tag = str_take(clang_getCursorSpelling(decl));

        s->name = g_strdup(tag);
        s->ctype = g_strdup_printf("struct %s", tag);
    }

    ch.cursors = g_array_new(FALSE, FALSE, sizeof(CXCursor));
    ch.markers = g_ptr_array_new();
    clang_visitChildren(decl, visit_struct_child, &ch);
    for (guint i = 0; i < ch.markers->len; i++) {
        QeMarker *m = g_ptr_array_index(ch.markers, i);

        if (strcmp(m->name, "struct") == 0) {
            QeConst ver = { 0 }, min = { 0 };

            s->annotated = TRUE;
            if (m->args->len != 2 ||
                !qe_const_parse(&ver, g_ptr_array_index(m->args, 0)) ||
                !qe_const_parse(&min, g_ptr_array_index(m->args, 1)) ||
                ver.is_float || min.is_float || ver.negative ||
                min.negative || ver.mag < 1 || min.mag < 1 ||
                ver.mag > G_MAXUINT32 || min.mag > ver.mag) {
                qe_error(ctx->diag, &m->loc,
                         "QIDL_STRUCT of '%s' needs a version and a minimum "
                         "version with 1 <= min_version <= version",
                         s->name);
            } else {
                s->version = (guint)ver.mag;
                s->min_version = (guint)min.mag;
            }
            g_free(ver.text);
            g_free(min.text);
            qe_marker_free(m);
        } else {
            /* Hooks and anything else: check.c interprets them. */
            resolve_marker_func(ctx, decl, m);
            g_ptr_array_add(s->markers, m);
        }
    }
    g_ptr_array_unref(ch.markers);

    /* Types defined elsewhere get their code from their own header. */
    if (!s->external) {
        for (guint i = 0; i < ch.cursors->len; i++) {
            read_field(ctx, s, g_array_index(ch.cursors, CXCursor, i));
        }
    }
    g_array_unref(ch.cursors);
    return s;
}

/* Nested structs first, then @s: the order the code is emitted in. */
static void order_struct(Ctx *ctx, QeStruct *s)
{
    if (s->emit || s->external) {
        return;
    }
    s->emit = TRUE;
    for (guint i = 0; i < s->fields->len; i++) {
        QeField *f = g_ptr_array_index(s->fields, i);

        if (f->type.tkind == QE_TYPE_STRUCT && f->type.record) {
            order_struct(ctx, f->type.record);
        }
    }
    g_ptr_array_add(ctx->model->structs, s);
}

typedef struct {
    Ctx *ctx;
    GArray *roots;          /* CXCursor: annotated struct definitions */
    GArray *unopted;        /* CXCursor: structs with field markers only */
} TopLevel;

static gboolean has_qidl_annotation(CXCursor c);

static enum CXChildVisitResult find_annotation(CXCursor c, CXCursor parent,
                                               CXClientData data)
{
    gboolean *found = data;

    if (clang_getCursorKind(c) == CXCursor_AnnotateAttr) {
        g_autofree char *text = str_take(clang_getCursorSpelling(c));

        if (g_str_has_prefix(text, "qidl:")) {
            *found = TRUE;
            return CXChildVisit_Break;
        }
    } else if (clang_getCursorKind(c) == CXCursor_FieldDecl &&
               has_qidl_annotation(c)) {
        *found = TRUE;
        return CXChildVisit_Break;
    }
    return CXChildVisit_Continue;
}

/* Whether @c or (for a struct) one of its fields carries a qidl marker. */
static gboolean has_qidl_annotation(CXCursor c)
{
    gboolean found = FALSE;

    clang_visitChildren(c, find_annotation, &found);
    return found;
}

static enum CXChildVisitResult find_struct_marker(CXCursor c, CXCursor parent,
                                                  CXClientData data)
{
    gboolean *found = data;

    if (clang_getCursorKind(c) == CXCursor_AnnotateAttr) {
        g_autofree char *text = str_take(clang_getCursorSpelling(c));

        if (g_str_has_prefix(text, "qidl:struct")) {
            *found = TRUE;
            return CXChildVisit_Break;
        }
    }
    return CXChildVisit_Continue;
}

static void add_type_name(Ctx *ctx, char *name, CXCursor c)
{
    CXCursor *copy;

    if (name[0] == '\0' || g_hash_table_contains(ctx->types, name)) {
        g_free(name);
        return;
    }
    copy = g_new(CXCursor, 1);
    *copy = c;
    g_hash_table_insert(ctx->types, name, copy);
}

static enum CXChildVisitResult visit_top(CXCursor c, CXCursor parent,
                                         CXClientData data)
{
    TopLevel *top = data;
    Ctx *ctx = top->ctx;
    enum CXCursorKind kind = clang_getCursorKind(c);

    switch (kind) {
    case CXCursor_FunctionDecl: {
        char *name = str_take(clang_getCursorSpelling(c));

        if (g_hash_table_contains(ctx->functions, name)) {
            g_free(name);
        } else {
            CXCursor *copy = g_new(CXCursor, 1);

            *copy = c;
            g_hash_table_insert(ctx->functions, name, copy);
        }
        break;
    }
    case CXCursor_TypedefDecl: {
        CXType under = clang_getCanonicalType(
            clang_getTypedefDeclUnderlyingType(c));
        char *name = str_take(clang_getCursorSpelling(c));

        if (under.kind == CXType_Record) {
            g_autofree char *usr = usr_of(clang_getTypeDeclaration(under));

            if (!g_hash_table_contains(ctx->typedef_of, usr)) {
                g_hash_table_insert(ctx->typedef_of, g_steal_pointer(&usr),
                                    g_strdup(name));
            }
        }
        add_type_name(ctx, name, c);
        break;
    }
    case CXCursor_StructDecl:
    case CXCursor_UnionDecl:
    case CXCursor_EnumDecl: {
        g_autofree char *tag = str_take(clang_getCursorSpelling(c));
        gboolean opted = FALSE;

        if (!is_unnamed_record(c)) {
            add_type_name(ctx, g_strdup_printf("%s %s",
                                               kind == CXCursor_StructDecl ?
                                               "struct" :
                                               kind == CXCursor_UnionDecl ?
                                               "union" : "enum", tag), c);
        }
        if (kind == CXCursor_EnumDecl || !clang_isCursorDefinition(c) ||
            !clang_Location_isFromMainFile(clang_getCursorLocation(c))) {
            break;
        }
        clang_visitChildren(c, find_struct_marker, &opted);
        if (opted && kind == CXCursor_UnionDecl) {
            QeLoc loc = loc_of(ctx, c);

            qe_error(ctx->diag, &loc,
                     "union '%s' cannot be device state: QIDL cannot tell "
                     "which member is live; use a struct with a "
                     "discriminator", tag);
        } else if (opted) {
            g_array_append_val(top->roots, c);
        } else if (has_qidl_annotation(c)) {
            g_array_append_val(top->unopted, c);
        }
        break;
    }
    default:
        break;
    }
    return CXChildVisit_Continue;
}

typedef struct {
    Ctx *ctx;
    GHashTable *seen;
} Inclusions;

static void visit_inclusion(CXFile file, CXSourceLocation *stack,
                            unsigned depth, CXClientData data)
{
    Inclusions *inc = data;
    char *name = str_take(clang_getFileName(file));

    if (g_hash_table_contains(inc->seen, name)) {
        g_free(name);
        return;
    }
    g_hash_table_add(inc->seen, name);
    g_ptr_array_add(inc->ctx->model->includes, g_strdup(name));
}

/* Prints clang's errors in clang's own format; returns how many. */
static guint report_clang_errors(CXTranslationUnit tu)
{
    guint n = clang_getNumDiagnostics(tu);
    guint errors = 0;

    for (guint i = 0; i < n; i++) {
        CXDiagnostic d = clang_getDiagnostic(tu, i);

        if (clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error) {
            g_autofree char *text = str_take(clang_formatDiagnostic(
                d, CXDiagnostic_DisplaySourceLocation |
                   CXDiagnostic_DisplayColumn));

            fprintf(stderr, "%s\n", text);
            errors++;
        }
        clang_disposeDiagnostic(d);
    }
    return errors;
}

static void free_cursor(gpointer p)
{
    g_free(p);
}

QeModel *qe_parse(const QeParseOptions *options, QeDiag *diag)
{
    g_autoptr(QeModel) model = qe_model_new(options->source);
    CXIndex index = clang_createIndex(0, 0);
    CXTranslationUnit tu = NULL;
    enum CXErrorCode rc;
    unsigned flags = CXTranslationUnit_KeepGoing;
    Ctx ctx = {
        .model = model,
        .diag = diag,
        .typedef_of = g_hash_table_new_full(g_str_hash, g_str_equal,
                                            g_free, g_free),
        .types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       free_cursor),
        .structs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         NULL),
        .enums = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       NULL),
        .functions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           free_cursor),
    };
    TopLevel top = {
        .ctx = &ctx,
        .roots = g_array_new(FALSE, FALSE, sizeof(CXCursor)),
        .unopted = g_array_new(FALSE, FALSE, sizeof(CXCursor)),
    };
    Inclusions inc = {
        .ctx = &ctx,
        .seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
    };
    QeModel *result = NULL;

    if (options->skip_bodies) {
        flags |= CXTranslationUnit_SkipFunctionBodies;
    }
    rc = clang_parseTranslationUnit2(index, options->source,
                                     options->clang_args,
                                     options->n_clang_args, NULL, 0, flags,
                                     &tu);
    if (rc != CXError_Success || !tu) {
        qe_error(diag, NULL, "libclang could not parse %s (error %d)",
                 options->source, (int)rc);
        goto out;
    }
    ctx.tu = tu;
    clang_getInclusions(tu, visit_inclusion, &inc);

    /* Any clang error ends here: an unknown type would otherwise have
     * become int and the generated code would be silently wrong. */
    if (report_clang_errors(tu) > 0) {
        diag->n_errors++;
        goto out;
    }

    clang_visitChildren(clang_getTranslationUnitCursor(tu), visit_top, &top);
    for (guint i = 0; i < top.roots->len; i++) {
        QeStruct *s = get_struct(&ctx, g_array_index(top.roots, CXCursor, i),
                                 NULL, NULL);

        order_struct(&ctx, s);
    }
    for (guint i = 0; i < top.unopted->len; i++) {
        CXCursor c = g_array_index(top.unopted, CXCursor, i);
        g_autofree char *usr = usr_of(c);
        QeStruct *s = g_hash_table_lookup(ctx.structs, usr);

        if (!s) {
            g_autofree char *name = str_take(clang_getCursorSpelling(c));
            const char *tdef = g_hash_table_lookup(ctx.typedef_of, usr);
            QeLoc loc = loc_of(&ctx, c);

            qe_error(diag, &loc,
                     "struct '%s' has QIDL markers on its fields but no "
                     "QIDL_STRUCT(version, min_version) marker",
                     tdef ? tdef : name);
        }
    }
    result = g_steal_pointer(&model);

out:
    g_array_unref(top.roots);
    g_array_unref(top.unopted);
    g_hash_table_unref(inc.seen);
    g_hash_table_unref(ctx.typedef_of);
    g_hash_table_unref(ctx.types);
    g_hash_table_unref(ctx.structs);
    g_hash_table_unref(ctx.enums);
    g_hash_table_unref(ctx.functions);
    if (tu) {
        clang_disposeTranslationUnit(tu);
    }
    clang_disposeIndex(index);
    if (!result && diag->n_errors > 0 && model) {
        /* Keep the includes for a depfile even when parsing failed. */
        result = g_steal_pointer(&model);
    }
    return result;
}
