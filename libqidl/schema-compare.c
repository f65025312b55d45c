/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Comparing schemas: qidl_schema_compare(), and the comparison of
 * qidl-extract schemas for the native stream, where fields are matched by
 * name.  The positional comparison of QEMU dumps is in schema-qemu.c.
 *
 * Nested structs are compared as pairs (OLD struct, NEW struct) on a work
 * list, each pair once, so the walk neither recurses nor loops on types
 * that refer to themselves through pointers; a pair's changes carry the
 * path by which it was first reached ("Shapes.inner.mode").
 *
 * docs/compat.md states every rule applied here and why it holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "schema-private.h"

typedef struct {
    const SchemaType *o;
    const SchemaType *n;
    char *path;
} Pair;

typedef struct {
    SchemaCompare *c;
    const char *device;
    GQueue pending;             /* Pair * */
    GHashTable *seen;           /* "o/n" pointer pairs, structs and enums */
} Named;

static void pair_free(gpointer data)
{
    Pair *p = data;

    g_free(p->path);
    g_free(p);
}

/* TRUE the first time the pair (@a, @b) is seen. */
static gboolean first_time(Named *nm, const void *a, const void *b)
{
    char *key = g_strdup_printf("%p/%p", a, b);

    if (g_hash_table_contains(nm->seen, key)) {
        g_free(key);
        return FALSE;
    }
    g_hash_table_add(nm->seen, key);
    return TRUE;
}

static void push_pair(Named *nm, const SchemaType *o, const SchemaType *n,
                      const char *path)
{
    Pair *p;

    if (!first_time(nm, o, n)) {
        return;
    }
    p = g_new0(Pair, 1);
    p->o = o;
    p->n = n;
    p->path = g_strdup(path);
    g_queue_push_tail(&nm->pending, p);
}

static SchemaField *find_field(const SchemaType *t, const char *name)
{
    for (guint i = 0; i < t->fields->len; i++) {
        SchemaField *f = g_ptr_array_index(t->fields, i);

        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }
    return NULL;
}

static SchemaSubsection *find_subsection(const SchemaType *t,
                                         const char *name)
{
    for (guint i = 0; t->subsections && i < t->subsections->len; i++) {
        SchemaSubsection *ss = g_ptr_array_index(t->subsections, i);

        if (strcmp(ss->name, name) == 0) {
            return ss;
        }
    }
    return NULL;
}

#define ADD(nm, kind, breaking, path, ...) \
    schema__report_add((nm)->c->report, kind, breaking, (nm)->device, path, \
                       NULL, __VA_ARGS__)

/* ------------------------------------------------------------------------
 * Values as written in annotations
 */

/* Parses a C constant as written ("0x3f8", "-5", "1.5", "8u", "true"). */
static gboolean parse_constant(const char *text, gboolean *is_int,
                               gint64 *i, double *d)
{
    g_autofree char *s = g_strstrip(g_strdup(text));
    gsize len = strlen(s);
    char *end;

    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
        *is_int = TRUE;
        *i = s[0] == 't';
        return TRUE;
    }
    while (len > 0 && strchr("uUlL", s[len - 1])) {
        s[--len] = '\0';
    }
    if (len == 0) {
        return FALSE;
    }
    errno = 0;
    if (s[0] == '-') {
        *i = g_ascii_strtoll(s, &end, 0);
    } else {
        *i = (gint64)g_ascii_strtoull(s, &end, 0);
    }
    if (*end == '\0' && errno == 0) {
        *is_int = TRUE;
        return TRUE;
    }
    *d = g_ascii_strtod(s, &end);
    if (*end == '\0') {
        *is_int = FALSE;
        return TRUE;
    }
    return FALSE;
}

static gboolean same_constant(const char *a, const char *b)
{
    gboolean ai, bi;
    gint64 ia, ib;
    double da, db;

    if (strcmp(a, b) == 0) {
        return TRUE;
    }
    if (!parse_constant(a, &ai, &ia, &da) ||
        !parse_constant(b, &bi, &ib, &db)) {
        return FALSE;
    }
    if (ai && bi) {
        return ia == ib;
    }
    return (ai ? (double)ia : da) == (bi ? (double)ib : db);
}

/* ------------------------------------------------------------------------
 * Fields
 */

/* A list's capacity: its fixed or sized bound; G_MAXUINT64 if none. */
static guint64 capacity(const SchemaField *f)
{
    if (f->container == SCHEMA_CONTAINER_ARRAY && f->n_dims > 0) {
        return f->dims[0];
    }
    return G_MAXUINT64;
}

/* Whether a list's element count varies (size_is, heap, containers). */
static gboolean is_sized(const SchemaField *f)
{
    return f->size_is || f->container != SCHEMA_CONTAINER_ARRAY;
}

static char *bound_text(guint64 cap)
{
    return cap == G_MAXUINT64 ? g_strdup("unbounded")
                              : g_strdup_printf("%" G_GUINT64_FORMAT, cap);
}

static void compare_list_shape(Named *nm, const char *path,
                               const SchemaField *of, const SchemaField *nf)
{
    guint64 oc = capacity(of), nc = capacity(nf);
    g_autofree char *ot = bound_text(oc);
    g_autofree char *nt = bound_text(nc);

    /* Inner dimensions are always fixed. */
    if (of->n_dims > 1 || nf->n_dims > 1) {
        gboolean same = of->n_dims == nf->n_dims;

        for (guint d = 1; same && d < of->n_dims; d++) {
            same = of->dims[d] == nf->dims[d];
        }
        if (!same) {
            GString *a = g_string_new(NULL), *b = g_string_new(NULL);

            for (guint d = 0; d < of->n_dims; d++) {
                g_string_append_printf(a, "[%u]", of->dims[d]);
            }
            for (guint d = 0; d < nf->n_dims; d++) {
                g_string_append_printf(b, "[%u]", nf->dims[d]);
            }
            ADD(nm, QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED, TRUE, path,
                "dimensions %s -> %s: inner dimensions are fixed lengths",
                a->str, b->str);
            g_string_free(a, TRUE);
            g_string_free(b, TRUE);
            return;
        }
    }
    if (!is_sized(of) && !is_sized(nf)) {
        if (oc != nc) {
            ADD(nm, QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED, TRUE, path,
                "fixed length %s -> %s: streams carry exactly %s elements, "
                "and a fixed array loads exactly its length", ot, nt, ot);
        }
        return;
    }
    if (is_sized(of) && !is_sized(nf)) {
        ADD(nm, QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED, TRUE, path,
            "now a fixed array of %s: OLD's streams carry a variable count "
            "(%s%s%s) that NEW would have to load as exactly %s", nt,
            of->size_is ? "size_is(" : "up to ",
            of->size_is ? of->size_is : ot, of->size_is ? ")" : "", nt);
        return;
    }
    if (nc > oc) {
        ADD(nm, QIDL_SCHEMA_CHANGE_CAPACITY_RAISED, FALSE, path,
            "capacity %s -> %s%s%s%s: every count OLD can save still fits",
            ot, nt, nf->size_is ? " under size_is(" : "",
            nf->size_is ? nf->size_is : "", nf->size_is ? ")" : "");
    } else if (nc < oc) {
        ADD(nm, QIDL_SCHEMA_CHANGE_CAPACITY_LOWERED, TRUE, path,
            "capacity %s -> %s: OLD's streams may carry up to %s elements",
            ot, nt, ot);
    }
}

static void compare_enums(Named *nm, const char *path, const SchemaField *of,
                          const SchemaField *nf)
{
    const SchemaEnum *oe = schema__lookup_enum(nm->c->old_schema,
                                               of->enum_name);
    const SchemaEnum *ne = schema__lookup_enum(nm->c->new_schema,
                                               nf->enum_name);

    if (!oe || !ne || !first_time(nm, oe, ne)) {
        return;
    }
    for (guint i = 0; i < oe->values->len; i++) {
        const SchemaEnumValue *ov = &g_array_index(oe->values,
                                                   SchemaEnumValue, i);
        const SchemaEnumValue *nv = NULL;

        for (guint j = 0; j < ne->values->len && !nv; j++) {
            const SchemaEnumValue *v = &g_array_index(ne->values,
                                                      SchemaEnumValue, j);

            if (strcmp(v->name, ov->name) == 0) {
                nv = v;
            }
        }
        if (!nv) {
            ADD(nm, QIDL_SCHEMA_CHANGE_ENUM_VALUE_REMOVED, TRUE, path,
                "enum %s: value %s (%" G_GINT64_FORMAT ") removed: OLD's "
                "streams may carry %" G_GINT64_FORMAT, oe->name, ov->name,
                ov->value, ov->value);
        } else if (nv->value != ov->value) {
            ADD(nm, QIDL_SCHEMA_CHANGE_ENUM_VALUE_CHANGED, TRUE, path,
                "enum %s: %s %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
                ": the number on the wire changes meaning", oe->name,
                ov->name, ov->value, nv->value);
        }
    }
    for (guint j = 0; j < ne->values->len; j++) {
        const SchemaEnumValue *nv = &g_array_index(ne->values,
                                                   SchemaEnumValue, j);
        gboolean found = FALSE;

        for (guint i = 0; i < oe->values->len && !found; i++) {
            found = strcmp(g_array_index(oe->values, SchemaEnumValue,
                                         i).name, nv->name) == 0;
        }
        if (!found) {
            ADD(nm, QIDL_SCHEMA_CHANGE_ENUM_VALUE_ADDED, FALSE, path,
                "enum %s: value %s (%" G_GINT64_FORMAT ") added", ne->name,
                nv->name, nv->value);
        }
    }
}

/* The element struct of a struct field or a list of structs. */
static void compare_struct_ref(Named *nm, const char *path,
                               const SchemaField *of, const SchemaField *nf)
{
    if (of->type && nf->type) {
        if (g_strcmp0(of->struct_name, nf->struct_name) != 0) {
            ADD(nm, QIDL_SCHEMA_CHANGE_STRUCT_RENAMED, FALSE, path,
                "struct %s -> %s: the names of nested structs are not on "
                "the wire; their fields are compared", of->struct_name,
                nf->struct_name);
        }
        push_pair(nm, of->type, nf->type, path);
    } else if (g_strcmp0(of->struct_name, nf->struct_name) != 0) {
        ADD(nm, QIDL_SCHEMA_CHANGE_STRUCT_RENAMED, TRUE, path,
            "struct %s -> %s, and %s is not in the schemas, so its fields "
            "cannot be compared", of->struct_name ? of->struct_name : "?",
            nf->struct_name ? nf->struct_name : "?",
            of->type ? nf->struct_name : of->struct_name);
    }
}

static void compare_field(Named *nm, const char *base, guint32 old_version,
                          const SchemaField *of, const SchemaField *nf)
{
    g_autofree char *path = g_strdup_printf("%s.%s", base, of->name);
    g_autofree char *elems = g_strdup_printf("%s[]", path);

    if (g_strcmp0(of->subsection, nf->subsection) != 0) {
        ADD(nm, QIDL_SCHEMA_CHANGE_SUBSECTION_CHANGED, TRUE, path,
            "moved from %s%s%s to %s%s%s: streams carry a subsection's "
            "fields under its name",
            of->subsection ? "subsection " : "the struct",
            of->subsection ? of->subsection : "",
            "", nf->subsection ? "subsection " : "the struct",
            nf->subsection ? nf->subsection : "", "");
        return;
    }
    if (nf->version > old_version) {
        ADD(nm, QIDL_SCHEMA_CHANGE_FIELD_VERSION_RAISED, TRUE, path,
            "NEW declares it from version %u, above OLD's version %u: NEW "
            "would not load it from OLD's streams, which carry it",
            nf->version, old_version);
    }
    if (of->kind != nf->kind) {
        QidlSchemaChangeKind k = QIDL_SCHEMA_CHANGE_KIND_CHANGED;

        if (qidl_kind_is_scalar(of->kind) && qidl_kind_is_scalar(nf->kind)) {
            k = schema__classify_kinds(of->kind, nf->kind);
        }
        ADD(nm, k, TRUE, path, "%s -> %s: streams carry every value with "
            "its kind and width, and loading never converts",
            schema__kind_text(of->kind), schema__kind_text(nf->kind));
        return;
    }
    if (of->kind == QIDL_KIND_LIST) {
        if (of->element_kind != nf->element_kind) {
            QidlSchemaChangeKind k = QIDL_SCHEMA_CHANGE_KIND_CHANGED;

            if (qidl_kind_is_scalar(of->element_kind) &&
                qidl_kind_is_scalar(nf->element_kind)) {
                k = schema__classify_kinds(of->element_kind,
                                           nf->element_kind);
            }
            ADD(nm, k, TRUE, elems, "elements %s -> %s: loading never "
                "converts", schema__kind_text(of->element_kind),
                schema__kind_text(nf->element_kind));
            return;
        }
        compare_list_shape(nm, path, of, nf);
        if (of->element_kind == QIDL_KIND_STRUCT) {
            compare_struct_ref(nm, elems, of, nf);
        }
    } else if (of->kind == QIDL_KIND_STRING) {
        /* char[N]: N bytes, terminator included. */
        guint64 oc = of->n_dims ? of->dims[0] : G_MAXUINT64;
        guint64 nc = nf->n_dims ? nf->dims[0] : G_MAXUINT64;
        g_autofree char *ot = bound_text(oc);
        g_autofree char *nt = bound_text(nc);

        if (nc < oc) {
            ADD(nm, QIDL_SCHEMA_CHANGE_CAPACITY_LOWERED, TRUE, path,
                "string capacity %s -> %s bytes: OLD's strings may be "
                "longer", ot, nt);
        } else if (nc > oc) {
            ADD(nm, QIDL_SCHEMA_CHANGE_CAPACITY_RAISED, FALSE, path,
                "string capacity %s -> %s bytes", ot, nt);
        }
    } else if (of->kind == QIDL_KIND_STRUCT) {
        compare_struct_ref(nm, path, of, nf);
    }
    if (of->enum_name && nf->enum_name) {
        compare_enums(nm, path, of, nf);
    }

    if (of->default_value && nf->default_value) {
        if (!same_constant(of->default_value, nf->default_value)) {
            ADD(nm, QIDL_SCHEMA_CHANGE_DEFAULT_CHANGED, TRUE, path,
                "default %s -> %s: OLD's streams omit the field when it is "
                "%s, and NEW would load %s instead", of->default_value,
                nf->default_value, of->default_value, nf->default_value);
        }
    } else if (of->default_value) {
        ADD(nm, QIDL_SCHEMA_CHANGE_DEFAULT_REMOVED, TRUE, path,
            "default %s removed: OLD's streams omit the field when it is "
            "%s, and NEW would find it missing", of->default_value,
            of->default_value);
    } else if (nf->default_value) {
        ADD(nm, QIDL_SCHEMA_CHANGE_DEFAULT_ADDED, FALSE, path,
            "default %s added: OLD's streams always carry the field",
            nf->default_value);
    }
    if (of->optional && !nf->optional) {
        ADD(nm, QIDL_SCHEMA_CHANGE_OPTIONAL_REMOVED, TRUE, path,
            "no longer optional: OLD's streams omit it when its flag is "
            "false, and NEW would find it missing");
    } else if (!of->optional && nf->optional) {
        ADD(nm, QIDL_SCHEMA_CHANGE_OPTIONAL_ADDED, FALSE, path,
            "now optional: OLD's streams always carry it");
    }
}

/* A field NEW saves and OLD did not: when can OLD's streams lack it? */
static void classify_added(Named *nm, const char *base, const SchemaType *o,
                           const SchemaType *n, const SchemaField *nf)
{
    g_autofree char *path = g_strdup_printf("%s.%s", base, nf->name);
    const SchemaSubsection *osub = nf->subsection ?
        find_subsection(o, nf->subsection) : NULL;
    const SchemaSubsection *nsub = nf->subsection ?
        find_subsection(n, nf->subsection) : NULL;

    if (nf->default_value) {
        ADD(nm, QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, path,
            "added with default %s: loading a stream without it presets "
            "the default", nf->default_value);
    } else if (nf->optional) {
        ADD(nm, QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, path,
            "added as optional: a stream without it loads with its flag "
            "false");
    } else if (nf->version > o->version) {
        ADD(nm, QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, path,
            "added in version %u (OLD is version %u): a version %u stream "
            "is loaded without it", nf->version, o->version, o->version);
    } else if (nf->subsection && !osub) {
        ADD(nm, QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, path,
            "added in the new subsection %s, which OLD never writes",
            nf->subsection);
    } else if (osub && nsub && nsub->version > osub->version) {
        ADD(nm, QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, path,
            "added in version %u of subsection %s (OLD's is %u)",
            nsub->version, nf->subsection, osub->version);
    } else if (n->version > o->version) {
        ADD(nm, QIDL_SCHEMA_CHANGE_VERSION_NOT_BUMPED, TRUE, path,
            "added without a default, not optional, and declared from "
            "version %u although %s went from version %u to %u: OLD's "
            "version %u streams do not carry it; mark the field "
            "QIDL(version, %u), or give it a default", nf->version,
            n->name, o->version, n->version, o->version, o->version + 1);
    } else {
        ADD(nm, QIDL_SCHEMA_CHANGE_VERSION_NOT_BUMPED, TRUE, path,
            "added without a default, not optional, and %s stays at "
            "version %u: OLD's version %u streams do not carry it; bump "
            "the version and mark the field QIDL(version, %u), or give it "
            "a default", n->name, n->version, o->version, o->version + 1);
    }
}

static void compare_versions(Named *nm, const char *path, const SchemaType *o,
                             const SchemaType *n)
{
    if (n->version < o->version) {
        ADD(nm, QIDL_SCHEMA_CHANGE_VERSION_LOWERED, TRUE, path,
            "version %u -> %u: NEW cannot load version %u state", o->version,
            n->version, o->version);
    } else if (n->version > o->version) {
        ADD(nm, QIDL_SCHEMA_CHANGE_VERSION_RAISED, FALSE, path,
            "version %u -> %u", o->version, n->version);
    }
    if (n->min_version > o->version) {
        ADD(nm, QIDL_SCHEMA_CHANGE_MIN_VERSION_RAISED, TRUE, path,
            "minimum version %u -> %u, above OLD's version %u: NEW refuses "
            "every stream OLD writes", o->min_version, n->min_version,
            o->version);
    }
}

static void compare_subsections(Named *nm, const char *path,
                                const SchemaType *o, const SchemaType *n)
{
    for (guint i = 0; o->subsections && i < o->subsections->len; i++) {
        const SchemaSubsection *os = g_ptr_array_index(o->subsections, i);
        const SchemaSubsection *ns = find_subsection(n, os->name);
        g_autofree char *spath = g_strdup_printf("%s.%s", path, os->name);

        if (!ns) {
            ADD(nm, QIDL_SCHEMA_CHANGE_SUBSECTION_REMOVED, TRUE, spath,
                "subsection %s removed: OLD writes it whenever it is needed",
                os->name);
        } else if (ns->version < os->version) {
            ADD(nm, QIDL_SCHEMA_CHANGE_VERSION_LOWERED, TRUE, spath,
                "subsection %s version %u -> %u", os->name, os->version,
                ns->version);
        }
    }
    for (guint i = 0; n->subsections && i < n->subsections->len; i++) {
        const SchemaSubsection *ns = g_ptr_array_index(n->subsections, i);
        g_autofree char *spath = g_strdup_printf("%s.%s", path, ns->name);

        if (!find_subsection(o, ns->name)) {
            ADD(nm, QIDL_SCHEMA_CHANGE_SUBSECTION_ADDED, FALSE, spath,
                "subsection %s added: OLD never writes it", ns->name);
        }
    }
}

static gboolean compare_pair(Named *nm, const Pair *p, GError **error)
{
    const SchemaType *o = p->o, *n = p->n;

    if (!schema__count_work(nm->c, 1 + o->fields->len + n->fields->len,
                            error)) {
        return FALSE;
    }
    compare_versions(nm, p->path, o, n);
    for (guint i = 0; i < o->fields->len; i++) {
        const SchemaField *of = g_ptr_array_index(o->fields, i);
        const SchemaField *nf = find_field(n, of->name);
        g_autofree char *path = g_strdup_printf("%s.%s", p->path, of->name);

        if (!of->saved) {
            continue;
        }
        if (!nf) {
            ADD(nm, QIDL_SCHEMA_CHANGE_FIELD_REMOVED, TRUE, path,
                "removed: OLD's streams carry it and NEW has nothing to "
                "load it into; keep the field with a marker (derived, "
                "broken, ...) or drop it with a filter rule");
        } else if (!nf->saved) {
            ADD(nm, QIDL_SCHEMA_CHANGE_FIELD_UNSAVED, FALSE, path,
                "no longer saved (%s): OLD's streams still carry it, and "
                "NEW knows the field and drops the value", nf->marker);
        } else {
            compare_field(nm, p->path, o->version, of, nf);
        }
    }
    for (guint i = 0; i < n->fields->len; i++) {
        const SchemaField *nf = g_ptr_array_index(n->fields, i);
        const SchemaField *of = find_field(o, nf->name);

        if (nf->saved && (!of || !of->saved)) {
            classify_added(nm, p->path, o, n, nf);
        }
    }
    compare_subsections(nm, p->path, o, n);
    return TRUE;
}

gboolean schema__compare_named(SchemaCompare *c, const SchemaType *o,
                               const SchemaType *n, const char *device,
                               GError **error)
{
    Named nm = { c, device, G_QUEUE_INIT,
                 g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       NULL) };
    gboolean ok = TRUE;
    Pair *p;

    push_pair(&nm, o, n, n->name);
    while (ok && (p = g_queue_pop_head(&nm.pending))) {
        ok = compare_pair(&nm, p, error);
        pair_free(p);
    }
    g_queue_clear_full(&nm.pending, pair_free);
    g_hash_table_unref(nm.seen);
    return ok;
}

/* ------------------------------------------------------------------------
 * qidl_schema_compare()
 */

/* Same saved fields with the same kinds, in any order (QIDL), or the
 * same names and sizes in order (QEMU): a candidate for a rename. */
static gboolean same_shape(const SchemaType *a, const SchemaType *b,
                           gboolean positional)
{
    guint na = 0, nb = 0;

    for (guint i = 0; i < a->fields->len; i++) {
        const SchemaField *fa = g_ptr_array_index(a->fields, i);
        const SchemaField *fb;

        if (!fa->saved) {
            continue;
        }
        na++;
        if (positional) {
            if (i >= b->fields->len) {
                return FALSE;
            }
            fb = g_ptr_array_index(b->fields, i);
        } else {
            fb = find_field(b, fa->name);
        }
        if (!fb || !fb->saved || strcmp(fa->name, fb->name) != 0 ||
            fa->kind != fb->kind || fa->size != fb->size) {
            return FALSE;
        }
    }
    for (guint i = 0; i < b->fields->len; i++) {
        nb += ((const SchemaField *)g_ptr_array_index(b->fields, i))->saved;
    }
    return na == nb && na > 0;
}

QidlSchemaReport *qidl_schema_compare(const QidlSchema *old_schema,
                                      const QidlSchema *new_schema,
                                      const QidlSchemaRules *rules,
                                      GError **error)
{
    g_autoptr(QidlSchemaReport) report = NULL;
    g_autoptr(QidlSchema) scratch = NULL;
    g_autoptr(GPtrArray) views = NULL;
    g_autoptr(GHashTable) matched = NULL;
    gboolean positional;
    SchemaCompare c = { 0 };

    g_return_val_if_fail(old_schema != NULL && new_schema != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (old_schema->format != new_schema->format) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "cannot compare a qidl-extract schema with a QEMU "
                    "vmstate dump");
        return NULL;
    }
    positional = old_schema->format == QIDL_SCHEMA_FORMAT_QEMU_VMSTATE;
    report = schema__report_new();
    c.report = report;
    c.old_schema = old_schema;
    c.new_schema = new_schema;

    if (old_schema->machine && new_schema->machine &&
        strcmp(old_schema->machine, new_schema->machine) != 0) {
        schema__report_add(report, QIDL_SCHEMA_CHANGE_MACHINE_CHANGED, FALSE,
                           "vmschkmachine", NULL, NULL,
                           "warning: comparing different machine types "
                           "\"%s\" and \"%s\"", old_schema->machine,
                           new_schema->machine);
    }

    scratch = qidl_schema_new(old_schema->format);
    views = schema__apply_rules(rules, old_schema, scratch, report, error);
    if (!views) {
        return NULL;
    }
    matched = g_hash_table_new(NULL, NULL);
    for (guint i = 0; i < views->len; i++) {
        const SchemaView *v = g_ptr_array_index(views, i);
        SchemaType *n = schema__lookup(new_schema, v->type->name);

        if (!n) {
            SchemaType *renamed = NULL;
            guint candidates = 0;

            for (guint j = 0; j < schema__n_devices(new_schema); j++) {
                SchemaType *t = schema__device(new_schema, j);

                if (!schema__lookup(old_schema, t->name) &&
                    !g_hash_table_contains(matched, t) &&
                    same_shape(v->type, t, positional)) {
                    renamed = t;
                    candidates++;
                }
            }
            if (candidates == 1) {
                g_hash_table_add(matched, renamed);
                schema__report_add(report, QIDL_SCHEMA_CHANGE_TYPE_RENAMED,
                                   TRUE, v->origin, v->type->name, NULL,
                                   "type renamed to %s (same fields): "
                                   "streams name a device's type, and NEW "
                                   "has no type %s; add a rename_type "
                                   "filter rule if this is intended",
                                   renamed->name, v->type->name);
            } else {
                schema__report_add(report, QIDL_SCHEMA_CHANGE_TYPE_REMOVED,
                                   TRUE, v->origin, v->type->name, NULL,
                                   "type %s removed: NEW cannot load its "
                                   "state", v->type->name);
            }
            continue;
        }
        g_hash_table_add(matched, n);
        if (positional) {
            if (!schema__compare_positional(&c, v->type, n, error)) {
                return NULL;
            }
        } else if (!schema__compare_named(&c, v->type, n, v->origin,
                                          error)) {
            return NULL;
        }
    }
    for (guint j = 0; j < schema__n_devices(new_schema); j++) {
        SchemaType *t = schema__device(new_schema, j);

        if (!g_hash_table_contains(matched, t)) {
            schema__report_add(report, QIDL_SCHEMA_CHANGE_TYPE_ADDED, FALSE,
                               t->name, NULL, NULL,
                               "type %s added: OLD never writes it",
                               t->name);
        }
    }
    return g_steal_pointer(&report);
}
