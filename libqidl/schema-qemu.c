/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU's -dump-vmstate JSON: reading it into the schema model, and the
 * positional comparison that QEMU's wire format needs.
 *
 * The dump (QEMU's migration/savevm.c, dump_vmstate_json_to_file()):
 *
 *     {"vmschkmachine": {"Name": "pc-i440fx-7.2"},
 *      "mc146818rtc": {"Name": "mc146818rtc", "version_id": 3,
 *                      "minimum_version_id": 1,
 *                      "Description": DESCRIPTION}, ...}
 *     DESCRIPTION = {"name": "mc146818rtc", "version_id": 3,
 *                    "minimum_version_id": 1,
 *                    "Fields": [FIELD, ...],            (optional)
 *                    "Subsections": [DESCRIPTION, ...]}  (optional)
 *     FIELD = {"field": "cmos_data", "version_id": 0,
 *              "field_exists": false, "num": 16,       (QEMU >= 8.1)
 *              "size": 128, "Description": DESCRIPTION} (VMSTATE_STRUCT)
 *
 * A field may also carry "type", the name of its VMStateInfo as QEMU's
 * migration stream trailer (vmdesc) spells it ("uint32", "int32",
 * "buffer"): QEMU 7.2's dump does not write it, but dumps annotated with
 * it let the checker see signedness.
 *
 * QEMU's wire format has no names: a section is its fields' bytes in
 * order, nested structs inline, then its subsections by name.  So the
 * comparison flattens each description into a sequence of fields (with
 * markers where nested structs begin and end), aligns OLD's sequence with
 * the one NEW would read for OLD's version, and reports each position
 * where they differ.  It does what QEMU's scripts/vmstate-static-checker.py
 * does (docs/compat.md lists the checks) and also catches what that
 * script misses.
 *
 * Nested descriptions are read with an explicit stack and compared as
 * jobs on a queue: no recursion follows the input's nesting.
 */
#include <string.h>

#include <qidl/limits.h>

#include "schema-private.h"

/* ------------------------------------------------------------------------
 * Reading
 */

typedef struct {
    const char *source;
} QemuReader;

static gboolean bad(const QemuReader *r, GError **error, const char *where,
                    const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static gboolean bad(const QemuReader *r, GError **error, const char *where,
                    const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID, "%s: %s: %s",
                r->source, where, msg);
    return FALSE;
}

static gboolean only_members(const QemuReader *r, JsonObject *obj,
                             const char *where, const char *const *allowed,
                             GError **error)
{
    g_autoptr(GList) members = json_object_get_members(obj);

    for (GList *m = members; m; m = m->next) {
        gboolean known = FALSE;

        for (guint i = 0; allowed[i]; i++) {
            known = known || strcmp(m->data, allowed[i]) == 0;
        }
        if (!known) {
            return bad(r, error, where, "unknown member \"%s\"",
                       (const char *)m->data);
        }
    }
    return TRUE;
}

static gboolean member_string(const QemuReader *r, QidlSchema *s,
                              JsonObject *obj, const char *where,
                              const char *member, gboolean required,
                              const char **out, GError **error)
{
    JsonNode *node = json_object_get_member(obj, member);

    *out = NULL;
    if (!node) {
        return required ? bad(r, error, where, "%s: missing", member) : TRUE;
    }
    if (!JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING ||
        !*json_node_get_string(node) ||
        strlen(json_node_get_string(node)) > QIDL_LIMIT_NAME_LEN) {
        return bad(r, error, where, "%s: expected a name of 1 to %u bytes",
                   member, QIDL_LIMIT_NAME_LEN);
    }
    *out = schema__str(s, json_node_get_string(node));
    return TRUE;
}

static gboolean member_int(const QemuReader *r, JsonObject *obj,
                           const char *where, const char *member,
                           gboolean required, gint64 min, gint64 max,
                           gint64 *out, GError **error)
{
    JsonNode *node = json_object_get_member(obj, member);

    if (!node) {
        return required ? bad(r, error, where, "%s: missing", member) : TRUE;
    }
    if (!JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64 ||
        json_node_get_int(node) < min || json_node_get_int(node) > max) {
        return bad(r, error, where, "%s: expected an integer from %"
                   G_GINT64_FORMAT " to %" G_GINT64_FORMAT, member, min, max);
    }
    *out = json_node_get_int(node);
    return TRUE;
}

static gboolean member_version(const QemuReader *r, JsonObject *obj,
                               const char *where, const char *member,
                               gboolean required, guint32 *out,
                               GError **error)
{
    /* QEMU declares versions as int; negative ones do not occur. */
    gint64 v = 0;

    if (!member_int(r, obj, where, member, required, 0, G_MAXINT32, &v,
                    error)) {
        return FALSE;
    }
    *out = (guint32)v;
    return TRUE;
}

static JsonObject *member_object(const QemuReader *r, JsonNode *node,
                                 const char *where, GError **error)
{
    if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
        bad(r, error, where, "expected an object");
        return NULL;
    }
    return json_node_get_object(node);
}

static const struct {
    const char *name;
    QidlKind kind;
} qemu_types[] = {
    { "bool", QIDL_KIND_BOOL },
    { "int8", QIDL_KIND_INT8 }, { "uint8", QIDL_KIND_UINT8 },
    { "int16", QIDL_KIND_INT16 }, { "uint16", QIDL_KIND_UINT16 },
    { "int32", QIDL_KIND_INT32 }, { "uint32", QIDL_KIND_UINT32 },
    { "int64", QIDL_KIND_INT64 }, { "uint64", QIDL_KIND_UINT64 },
    { "float64", QIDL_KIND_DOUBLE },
};

/* A description waiting to be read into @type. */
typedef struct {
    JsonObject *obj;
    SchemaType *type;
    char *where;
    guint depth;
} Pending;

static void pending_free(gpointer data)
{
    Pending *p = data;

    g_free(p->where);
    g_free(p);
}

static void want(GPtrArray *stack, JsonObject *obj, SchemaType *type,
                 char *where, guint depth)
{
    Pending *p = g_new0(Pending, 1);

    p->obj = obj;
    p->type = type;
    p->where = where;
    p->depth = depth;
    g_ptr_array_add(stack, p);
}

static gboolean read_qemu_field(const QemuReader *r, QidlSchema *s,
                                GPtrArray *stack, const Pending *p,
                                JsonNode *node, guint index, GError **error)
{
    static const char *const allowed[] = {
        "field", "version_id", "field_exists", "num", "size", "Description",
        "type", NULL,
    };
    g_autofree char *where = g_strdup_printf("%s.Fields[%u]", p->where,
                                             index);
    JsonObject *obj = member_object(r, node, where, error);
    SchemaField *f = schema__new_field(s);
    JsonNode *exists, *desc;
    gint64 size = 0;

    if (!obj || !only_members(r, obj, where, allowed, error) ||
        !member_string(r, s, obj, where, "field", TRUE, &f->name, error) ||
        !member_version(r, obj, where, "version_id", TRUE, &f->version,
                        error) ||
        !member_int(r, obj, where, "size", TRUE, 0, G_MAXINT64, &size,
                    error) ||
        !member_int(r, obj, where, "num", FALSE, 0, G_MAXINT32, &f->num,
                    error) ||
        !member_string(r, s, obj, where, "type", FALSE, &f->qemu_type,
                       error)) {
        return FALSE;
    }
    f->size = (guint64)size;
    f->saved = TRUE;
    exists = json_object_get_member(obj, "field_exists");
    if (exists) {
        if (!JSON_NODE_HOLDS_VALUE(exists) ||
            json_node_get_value_type(exists) != G_TYPE_BOOLEAN) {
            return bad(r, error, where, "field_exists: expected true or "
                       "false");
        }
        f->field_exists = json_node_get_boolean(exists);
    }
    for (guint i = 0; f->qemu_type && i < G_N_ELEMENTS(qemu_types); i++) {
        if (strcmp(f->qemu_type, qemu_types[i].name) == 0) {
            f->kind = qemu_types[i].kind;
        }
    }
    desc = json_object_get_member(obj, "Description");
    if (desc) {
        JsonObject *dobj = member_object(r, desc, where, error);
        SchemaType *nested = schema__new_type(s);

        if (!dobj) {
            return FALSE;
        }
        if (p->depth + 1 >= QIDL_LIMIT_DEPTH) {
            g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                        "%s: %s: descriptions nest deeper than %d",
                        r->source, where, QIDL_LIMIT_DEPTH);
            return FALSE;
        }
        nested->source = r->source;
        f->kind = QIDL_KIND_STRUCT;
        f->type = nested;
        want(stack, dobj, nested,
             g_strdup_printf("%s.Description", where), p->depth + 1);
    }
    g_ptr_array_add(p->type->fields, f);
    return TRUE;
}

/* Reads a description's own members into @p->type; queues nested ones. */
static gboolean read_description(const QemuReader *r, QidlSchema *s,
                                 GPtrArray *stack, const Pending *p,
                                 GError **error)
{
    static const char *const allowed[] = {
        "name", "version_id", "minimum_version_id", "Fields", "Subsections",
        NULL,
    };
    SchemaType *t = p->type;
    JsonNode *fields, *subs;

    if (!only_members(r, p->obj, p->where, allowed, error) ||
        !member_string(r, s, p->obj, p->where, "name", TRUE, &t->desc_name,
                       error) ||
        !member_version(r, p->obj, p->where, "version_id", TRUE,
                        &t->desc_version, error) ||
        !member_version(r, p->obj, p->where, "minimum_version_id", FALSE,
                        &t->desc_min_version, error)) {
        return FALSE;
    }
    if (t->desc_min_version > t->desc_version) {
        return bad(r, error, p->where, "minimum_version_id %u is above "
                   "version_id %u", t->desc_min_version, t->desc_version);
    }
    if (!t->name) {
        /* A nested or subsection description: its own versions. */
        t->name = t->desc_name;
        t->version = t->desc_version;
        t->min_version = t->desc_min_version;
    }
    fields = json_object_get_member(p->obj, "Fields");
    if (fields) {
        JsonArray *a;

        if (!JSON_NODE_HOLDS_ARRAY(fields)) {
            return bad(r, error, p->where, "Fields: expected an array");
        }
        t->has_fields = TRUE;
        a = json_node_get_array(fields);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            guint before = t->fields->len;

            if (!read_qemu_field(r, s, stack, p, json_array_get_element(a, i),
                                 i, error)) {
                return FALSE;
            }
            /* QEMU never loads a field newer than its description. */
            for (guint j = before; j < t->fields->len; j++) {
                const SchemaField *f = g_ptr_array_index(t->fields, j);

                if (f->version > t->desc_version) {
                    return bad(r, error, p->where, "Fields[%u]: version_id "
                               "%u is above the description's %u", i,
                               f->version, t->desc_version);
                }
            }
        }
    }
    subs = json_object_get_member(p->obj, "Subsections");
    if (subs) {
        JsonArray *a;

        if (!JSON_NODE_HOLDS_ARRAY(subs)) {
            return bad(r, error, p->where, "Subsections: expected an array");
        }
        t->has_subsections = TRUE;
        t->subsections = g_ptr_array_new();
        a = json_node_get_array(subs);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            g_autofree char *where = g_strdup_printf("%s.Subsections[%u]",
                                                     p->where, i);
            JsonObject *sobj = member_object(r, json_array_get_element(a, i),
                                             where, error);
            SchemaSubsection *ss = schema__new_subsection(s);
            SchemaType *st = schema__new_type(s);
            const char *name;

            if (!sobj || !member_string(r, s, sobj, where, "name", TRUE,
                                        &name, error)) {
                return FALSE;
            }
            if (p->depth + 1 >= QIDL_LIMIT_DEPTH) {
                g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                            "%s: %s: descriptions nest deeper than %d",
                            r->source, where, QIDL_LIMIT_DEPTH);
                return FALSE;
            }
            st->source = r->source;
            ss->name = name;
            ss->type = st;
            g_ptr_array_add(t->subsections, ss);
            want(stack, sobj, st, g_steal_pointer(&where), p->depth + 1);
        }
    }
    return TRUE;
}

static gboolean read_section(const QemuReader *r, QidlSchema *s,
                             const char *key, JsonNode *node, GError **error)
{
    static const char *const allowed[] = {
        "Name", "version_id", "minimum_version_id", "Description", NULL,
    };
    g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func(
        pending_free);
    JsonObject *obj = member_object(r, node, key, error);
    SchemaType *t = schema__new_type(s);
    const char *name;
    JsonNode *desc;

    if (!obj || !only_members(r, obj, key, allowed, error) ||
        !member_string(r, s, obj, key, "Name", FALSE, &name, error) ||
        !member_version(r, obj, key, "version_id", TRUE, &t->version,
                        error) ||
        !member_version(r, obj, key, "minimum_version_id", FALSE,
                        &t->min_version, error)) {
        return FALSE;
    }
    if (strlen(key) == 0 || strlen(key) > QIDL_LIMIT_NAME_LEN) {
        return bad(r, error, "(root)", "section name of %zu bytes",
                   strlen(key));
    }
    if (t->min_version > t->version) {
        /* Such a section refuses every stream, its own included. */
        return bad(r, error, key, "minimum_version_id %u is above "
                   "version_id %u", t->min_version, t->version);
    }
    t->name = schema__str(s, key);
    t->source = r->source;
    t->top_level = TRUE;
    if (g_hash_table_contains(s->by_name, t->name)) {
        SchemaType *other = g_hash_table_lookup(s->by_name, t->name);

        return bad(r, error, key, "section is already defined by %s",
                   other->source);
    }
    desc = json_object_get_member(obj, "Description");
    if (desc) {
        JsonObject *dobj = member_object(r, desc, key, error);

        if (!dobj) {
            return FALSE;
        }
        t->has_description = TRUE;
        want(stack, dobj, t, g_strdup_printf("%s.Description", key), 1);
    }
    while (stack->len > 0) {
        Pending *p = g_ptr_array_steal_index(stack, stack->len - 1);
        gboolean ok = read_description(r, s, stack, p, error);

        pending_free(p);
        if (!ok) {
            return FALSE;
        }
    }
    g_ptr_array_add(s->types, t);
    g_hash_table_insert(s->by_name, (gpointer)t->name, t);
    return TRUE;
}

gboolean schema__read_qemu(QidlSchema *s, JsonNode *root, const char *source,
                           GError **error)
{
    QemuReader r = { source };
    JsonObject *obj = member_object(&r, root, "(root)", error);
    g_autoptr(GList) members = NULL;

    if (!obj) {
        return FALSE;
    }
    if (json_object_has_member(obj, "qidl-schema")) {
        return bad(&r, error, "(root)", "a qidl-extract schema, not a QEMU "
                   "vmstate dump");
    }
    members = json_object_get_members(obj);
    for (GList *m = members; m; m = m->next) {
        const char *key = m->data;
        JsonNode *node = json_object_get_member(obj, key);

        if (strcmp(key, "vmschkmachine") == 0) {
            static const char *const allowed[] = { "Name", NULL };
            JsonObject *mobj = member_object(&r, node, key, error);

            if (!mobj || !only_members(&r, mobj, key, allowed, error) ||
                !member_string(&r, s, mobj, key, "Name", TRUE, &s->machine,
                               error)) {
                return FALSE;
            }
            continue;
        }
        if (!read_section(&r, s, key, node, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

/* ------------------------------------------------------------------------
 * The positional comparison
 */

typedef enum {
    E_LEAF,
    E_BEGIN,
    E_END,
} EntryKind;

typedef struct {
    EntryKind kind;
    const SchemaField *field;   /* the leaf, or the struct field */
    const SchemaType *type;     /* BEGIN/END: the nested description */
    char *path;
} Entry;

typedef struct {
    const SchemaType *o;
    const SchemaType *n;
    char *path;
    guint32 read_version;       /* what NEW reads at the job's level */
} Job;

typedef struct {
    SchemaCompare *c;
    const char *device;
    GQueue jobs;
} Positional;

static void entry_clear(gpointer data)
{
    g_free(((Entry *)data)->path);
}

static void job_free(gpointer data)
{
    Job *j = data;

    g_free(j->path);
    g_free(j);
}

#define PADD(pz, kind, breaking, path, ...) \
    schema__report_add((pz)->c->report, kind, breaking, (pz)->device, path, \
                       NULL, __VA_ARGS__)

typedef struct {
    const SchemaType *type;
    guint index;
    char *prefix;
} Frame;

/*
 * The fields of @top in wire order, nested structs inline between BEGIN
 * and END markers.  At the top level only fields of version <=
 * @read_version are read; nested structs are read whole (QEMU loads a
 * VMSTATE_STRUCT at its own version).  Fields NEW skips are reported
 * through @skipped when non-NULL.
 */
static GArray *flatten(Positional *pz, const SchemaType *top,
                       const char *path, guint32 read_version,
                       gboolean report_skipped, GError **error)
{
    GArray *out = g_array_new(FALSE, TRUE, sizeof(Entry));
    GArray *stack = g_array_new(FALSE, TRUE, sizeof(Frame));
    Frame first = { top, 0, g_strdup(path) };

    g_array_set_clear_func(out, entry_clear);
    g_array_append_val(stack, first);
    while (stack->len > 0) {
        Frame *fr = &g_array_index(stack, Frame, stack->len - 1);
        const SchemaField *f;
        Entry e = { 0 };

        if (fr->index == fr->type->fields->len) {
            if (stack->len > 1) {
                Frame *parent = &g_array_index(stack, Frame, stack->len - 2);

                e.kind = E_END;
                e.field = g_ptr_array_index(parent->type->fields,
                                            parent->index - 1);
                e.type = fr->type;
                e.path = g_strdup(fr->prefix);
                g_array_append_val(out, e);
            }
            g_free(fr->prefix);
            g_array_set_size(stack, stack->len - 1);
            continue;
        }
        f = g_ptr_array_index(fr->type->fields, fr->index++);
        if (!schema__count_work(pz->c, 1, error)) {
            goto fail;
        }
        if (stack->len == 1 && f->version > read_version) {
            if (report_skipped) {
                g_autofree char *p = g_strdup_printf("%s.%s", fr->prefix,
                                                     f->name);

                PADD(pz, QIDL_SCHEMA_CHANGE_FIELD_ADDED, FALSE, p,
                     "added in version %u: not read from OLD's version %u "
                     "streams", f->version, read_version);
            }
            continue;
        }
        e.field = f;
        e.path = g_strdup_printf("%s.%s", fr->prefix, f->name);
        if (f->type) {
            Frame nested = { f->type, 0, g_strdup(e.path) };

            e.kind = E_BEGIN;
            e.type = f->type;
            g_array_append_val(out, e);
            g_array_append_val(stack, nested);
        } else {
            e.kind = E_LEAF;
            g_array_append_val(out, e);
        }
    }
    g_array_unref(stack);
    return out;

fail:
    for (guint i = 0; i < stack->len; i++) {
        g_free(g_array_index(stack, Frame, i).prefix);
    }
    g_array_unref(stack);
    g_array_unref(out);
    return NULL;
}

/* The first leaf of the struct whose BEGIN is at @i, or NULL. */
static const SchemaField *first_leaf(GArray *seq, guint i)
{
    for (i++; i < seq->len; i++) {
        const Entry *e = &g_array_index(seq, Entry, i);

        if (e->kind == E_LEAF) {
            return e->field;
        }
        if (e->kind == E_END) {
            return NULL;
        }
    }
    return NULL;
}

/* The index after the entry at @i, skipping a whole struct at a BEGIN. */
static guint skip_entry(GArray *seq, guint i)
{
    guint depth = 0;

    do {
        const Entry *e = &g_array_index(seq, Entry, i);

        depth += e->kind == E_BEGIN;
        depth -= e->kind == E_END;
        i++;
    } while (depth > 0 && i < seq->len);
    return i;
}

static void push_job(Positional *pz, const SchemaType *o, const SchemaType *n,
                     const char *path, guint32 read_version)
{
    Job *j = g_new0(Job, 1);

    j->o = o;
    j->n = n;
    j->path = g_strdup(path);
    j->read_version = read_version;
    g_queue_push_tail(&pz->jobs, j);
}

/*
 * Versions of a section or a subsection: NEW must accept OLD's version
 * (QEMU's loader refuses a version above its own or below its minimum).
 */
static void check_versions(Positional *pz, const char *path, const char *what,
                           guint32 ov, guint32 nv, guint32 nmin, guint32 omin)
{
    if (ov > nv) {
        PADD(pz, QIDL_SCHEMA_CHANGE_VERSION_LOWERED, TRUE, path,
             "%sversion %u -> %u: NEW refuses version %u streams", what, ov,
             nv, ov);
    } else if (nv > ov) {
        PADD(pz, QIDL_SCHEMA_CHANGE_VERSION_RAISED, FALSE, path,
             "%sversion %u -> %u", what, ov, nv);
    }
    if (ov < nmin) {
        PADD(pz, QIDL_SCHEMA_CHANGE_MIN_VERSION_RAISED, TRUE, path,
             "%sminimum version %u -> %u, above OLD's version %u: NEW "
             "refuses every stream OLD writes", what, omin, nmin, ov);
    }
}

/* Subsections of a description pair: by name, each a job of its own. */
static void compare_subsections(Positional *pz, const char *path,
                                const SchemaType *o, const SchemaType *n)
{
    if (o->has_subsections && !n->has_subsections) {
        PADD(pz, QIDL_SCHEMA_CHANGE_ENTRY_MISSING, TRUE, path,
             "description %s: entry \"Subsections\" missing in NEW: OLD "
             "sends its %u subsection%s whenever they are needed",
             o->desc_name, o->subsections->len,
             o->subsections->len == 1 ? "" : "s");
        return;
    }
    for (guint i = 0; o->subsections && i < o->subsections->len; i++) {
        const SchemaSubsection *os = g_ptr_array_index(o->subsections, i);
        const SchemaSubsection *ns = NULL;
        g_autofree char *spath = g_strdup_printf("%s.%s", path, os->name);

        for (guint j = 0; n->subsections && j < n->subsections->len && !ns;
             j++) {
            const SchemaSubsection *c = g_ptr_array_index(n->subsections, j);

            if (strcmp(c->name, os->name) == 0) {
                ns = c;
            }
        }
        if (!ns) {
            PADD(pz, QIDL_SCHEMA_CHANGE_SUBSECTION_REMOVED, TRUE, spath,
                 "subsection %s not found in NEW: OLD sends it whenever it "
                 "is needed", os->name);
            continue;
        }
        check_versions(pz, spath, "", os->type->version, ns->type->version,
                       ns->type->min_version, os->type->min_version);
        /* QEMU loads a subsection at the version its header carries. */
        push_job(pz, os->type, ns->type, spath, os->type->version);
    }
    for (guint j = 0; n->subsections && j < n->subsections->len; j++) {
        const SchemaSubsection *ns = g_ptr_array_index(n->subsections, j);
        gboolean found = FALSE;
        g_autofree char *spath = g_strdup_printf("%s.%s", path, ns->name);

        for (guint i = 0; o->subsections && i < o->subsections->len; i++) {
            found = found || strcmp(((SchemaSubsection *)g_ptr_array_index(
                o->subsections, i))->name, ns->name) == 0;
        }
        if (!found) {
            PADD(pz, QIDL_SCHEMA_CHANGE_SUBSECTION_ADDED, FALSE, spath,
                 "subsection %s added: OLD never sends it", ns->name);
        }
    }
}

/* Two fields at the same position; FALSE: the rest cannot be aligned. */
static gboolean compare_leaf(Positional *pz, const Entry *e, const Entry *f)
{
    const SchemaField *of = e->field, *nf = f->field;
    gboolean types_differ = of->qemu_type && nf->qemu_type &&
                            strcmp(of->qemu_type, nf->qemu_type) != 0;

    if (strcmp(of->name, nf->name) != 0) {
        if (of->size != nf->size || types_differ) {
            PADD(pz, QIDL_SCHEMA_CHANGE_FIELD_MISMATCH, TRUE, e->path,
                 "expected field %s (size %" G_GUINT64_FORMAT "), NEW reads "
                 "%s (size %" G_GUINT64_FORMAT ") here; the rest of %s is "
                 "not compared", of->name, of->size, nf->name, nf->size,
                 pz->device);
            return FALSE;
        }
        PADD(pz, QIDL_SCHEMA_CHANGE_FIELD_RENAMED, TRUE, e->path,
             "NEW reads %s here (same size %" G_GUINT64_FORMAT "): the "
             "positional format cannot tell a rename from two fields "
             "swapped; add a rename_field filter rule if it is a rename",
             nf->name, nf->size);
    }
    if (of->version > nf->version) {
        PADD(pz, QIDL_SCHEMA_CHANGE_VERSION_LOWERED, TRUE, e->path,
             "field version %u -> %u", of->version, nf->version);
    }
    if (of->size != nf->size) {
        PADD(pz, QIDL_SCHEMA_CHANGE_WIDTH_CHANGED, TRUE, e->path,
             "size %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
             ": every later byte of the section moves", of->size, nf->size);
    } else if (types_differ) {
        QidlSchemaChangeKind k = QIDL_SCHEMA_CHANGE_KIND_CHANGED;

        if (of->kind && nf->kind) {
            k = schema__classify_kinds(of->kind, nf->kind);
        }
        PADD(pz, k, TRUE, e->path, "%s -> %s with the same size %"
             G_GUINT64_FORMAT ": the bytes load, but mean another value",
             of->qemu_type, nf->qemu_type, of->size);
    }
    if (of->num >= 0 && nf->num >= 0 && of->num != nf->num) {
        PADD(pz, QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED, TRUE, e->path,
             "array length %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
             ": the section carries %" G_GINT64_FORMAT " elements",
             of->num, nf->num, of->num);
    }
    return TRUE;
}

/* Two nested structs at the same position. */
static void compare_begin(Positional *pz, const Entry *e, const Entry *f)
{
    const SchemaField *of = e->field, *nf = f->field;
    const SchemaType *ot = e->type, *nt = f->type;

    if (strcmp(of->name, nf->name) != 0) {
        PADD(pz, QIDL_SCHEMA_CHANGE_FIELD_RENAMED, TRUE, e->path,
             "NEW reads struct %s here: the positional format cannot tell "
             "a rename from two fields swapped; add a rename_field filter "
             "rule if it is a rename", nf->name);
    }
    if (g_strcmp0(ot->desc_name, nt->desc_name) != 0) {
        PADD(pz, QIDL_SCHEMA_CHANGE_TYPE_RENAMED, TRUE, e->path,
             "description %s missing, got %s", ot->desc_name, nt->desc_name);
    }
    if (ot->version > nt->version) {
        PADD(pz, QIDL_SCHEMA_CHANGE_VERSION_LOWERED, TRUE, e->path,
             "description %s version %u -> %u", ot->desc_name, ot->version,
             nt->version);
    }
    if (ot->version < nt->min_version) {
        PADD(pz, QIDL_SCHEMA_CHANGE_MIN_VERSION_RAISED, TRUE, e->path,
             "description %s minimum version %u -> %u, above OLD's version "
             "%u", ot->desc_name, ot->min_version, nt->min_version,
             ot->version);
    }
    if (of->num >= 0 && nf->num >= 0 && of->num != nf->num) {
        PADD(pz, QIDL_SCHEMA_CHANGE_ARRAY_LENGTH_CHANGED, TRUE, e->path,
             "array length %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT,
             of->num, nf->num);
    }
    compare_subsections(pz, e->path, ot, nt);
}

static void report_rest(Positional *pz, GArray *seq, guint i, gboolean old,
                        guint32 version)
{
    while (i < seq->len) {
        const Entry *e = &g_array_index(seq, Entry, i);

        if (e->kind == E_END) {
            i++;
            continue;
        }
        if (old) {
            PADD(pz, QIDL_SCHEMA_CHANGE_FIELD_REMOVED, TRUE, e->path,
                 "expected field %s, while NEW has no further fields "
                 "here", e->field->name);
        } else {
            PADD(pz, QIDL_SCHEMA_CHANGE_EXTRA_FIELD, TRUE, e->path,
                 "NEW reads %s (field version %u) after OLD's last field: "
                 "OLD's version %u streams do not carry it; give it "
                 "version_id %u", e->field->name, e->field->version, version,
                 version + 1);
        }
        i = skip_entry(seq, i);
    }
}

static gboolean top_ignored(GArray *ign)
{
    return ign->len > 0 && g_array_index(ign, gboolean, ign->len - 1);
}

/*
 * Aligns OLD's sequence with NEW's.  Ignored markers: a BEGIN that only
 * one side has, where the struct's first field is the other side's field
 * at that position (fields moved into a struct, wire unchanged), is
 * skipped together with its END.
 */
static void align(Positional *pz, GArray *os, GArray *ns, guint32 version)
{
    g_autoptr(GArray) o_ign = g_array_new(FALSE, FALSE, sizeof(gboolean));
    g_autoptr(GArray) n_ign = g_array_new(FALSE, FALSE, sizeof(gboolean));
    guint i = 0, j = 0;
    gboolean no = FALSE, yes = TRUE;

    while (i < os->len && j < ns->len) {
        const Entry *e = &g_array_index(os, Entry, i);
        const Entry *f = &g_array_index(ns, Entry, j);

        if (e->kind == E_END && top_ignored(o_ign)) {
            g_array_set_size(o_ign, o_ign->len - 1);
            i++;
        } else if (f->kind == E_END && top_ignored(n_ign)) {
            g_array_set_size(n_ign, n_ign->len - 1);
            j++;
        } else if (e->kind == E_END && f->kind == E_END) {
            g_array_set_size(o_ign, o_ign->len ? o_ign->len - 1 : 0);
            g_array_set_size(n_ign, n_ign->len ? n_ign->len - 1 : 0);
            i++, j++;
        } else if (e->kind == E_END) {
            /* NEW has more fields in this struct than OLD. */
            PADD(pz, QIDL_SCHEMA_CHANGE_EXTRA_FIELD, TRUE, f->path,
                 "NEW reads %s after OLD's last field of %s: OLD's streams "
                 "do not carry it", f->field->name, e->field->name);
            j = skip_entry(ns, j);
        } else if (f->kind == E_END) {
            PADD(pz, QIDL_SCHEMA_CHANGE_FIELD_REMOVED, TRUE, e->path,
                 "expected field %s, while NEW's %s has no further fields",
                 e->field->name, f->field->name);
            i = skip_entry(os, i);
        } else if (e->kind == E_LEAF && f->kind == E_LEAF) {
            if (!compare_leaf(pz, e, f)) {
                return;
            }
            i++, j++;
        } else if (e->kind == E_BEGIN && f->kind == E_BEGIN) {
            compare_begin(pz, e, f);
            g_array_append_val(o_ign, no);
            g_array_append_val(n_ign, no);
            i++, j++;
        } else if (e->kind == E_LEAF) {
            const SchemaField *first = first_leaf(ns, j);

            if (first && strcmp(first->name, e->field->name) == 0) {
                PADD(pz, QIDL_SCHEMA_CHANGE_FIELD_MOVED, FALSE, e->path,
                     "NEW holds it in struct %s (%s): the bytes on the wire "
                     "are the same", f->field->name, f->type->desc_name);
                g_array_append_val(n_ign, yes);
                j++;
            } else {
                PADD(pz, QIDL_SCHEMA_CHANGE_KIND_CHANGED, TRUE, e->path,
                     "NEW reads struct %s (%s) where OLD has field %s "
                     "(size %" G_GUINT64_FORMAT "); the rest of %s is not "
                     "compared", f->field->name, f->type->desc_name,
                     e->field->name, e->field->size, pz->device);
                return;
            }
        } else {
            const SchemaField *first = first_leaf(os, i);

            if (first && strcmp(first->name, f->field->name) == 0) {
                PADD(pz, QIDL_SCHEMA_CHANGE_FIELD_MOVED, FALSE, e->path,
                     "NEW holds the fields of struct %s (%s) directly: the "
                     "bytes on the wire are the same", e->field->name,
                     e->type->desc_name);
                g_array_append_val(o_ign, yes);
                i++;
            } else {
                PADD(pz, QIDL_SCHEMA_CHANGE_KIND_CHANGED, TRUE, e->path,
                     "field %s: missing description: OLD has struct %s "
                     "here, NEW field %s (size %" G_GUINT64_FORMAT "); the "
                     "rest of %s is not compared", e->field->name,
                     e->type->desc_name, f->field->name, f->field->size,
                     pz->device);
                return;
            }
        }
    }
    report_rest(pz, os, i, TRUE, version);
    report_rest(pz, ns, j, FALSE, version);
}

static gboolean run_job(Positional *pz, const Job *job, GError **error)
{
    g_autoptr(GArray) os = flatten(pz, job->o, job->path, G_MAXUINT32, FALSE,
                                   error);
    g_autoptr(GArray) ns = NULL;

    if (!os) {
        return FALSE;
    }
    ns = flatten(pz, job->n, job->path, job->read_version, TRUE, error);
    if (!ns) {
        return FALSE;
    }
    if (job->o->has_fields && !job->n->has_fields) {
        PADD(pz, QIDL_SCHEMA_CHANGE_ENTRY_MISSING, TRUE, job->path,
             "description %s: entry \"Fields\" missing in NEW: OLD sends "
             "%u field%s", job->o->desc_name, job->o->fields->len,
             job->o->fields->len == 1 ? "" : "s");
    } else {
        align(pz, os, ns, job->read_version);
    }
    compare_subsections(pz, job->path, job->o, job->n);
    return TRUE;
}

gboolean schema__compare_positional(SchemaCompare *c, const SchemaType *o,
                                    const SchemaType *n, GError **error)
{
    Positional pz = { c, o->name, G_QUEUE_INIT };
    const char *path = n->name;
    gboolean ok = TRUE;
    Job *job;

    /* The section header: QEMU checks these before anything else. */
    check_versions(&pz, path, "", o->version, n->version, n->min_version,
                   o->min_version);
    if (o->has_description && !n->has_description) {
        PADD(&pz, QIDL_SCHEMA_CHANGE_ENTRY_MISSING, TRUE, path,
             "entry \"Description\" missing in NEW");
        return TRUE;
    }
    if (!o->has_description) {
        return TRUE;
    }
    if (g_strcmp0(o->desc_name, n->desc_name) != 0) {
        PADD(&pz, QIDL_SCHEMA_CHANGE_TYPE_RENAMED, TRUE, path,
             "description %s missing, got %s", o->desc_name, n->desc_name);
        return TRUE;
    }
    /* The description's own versions, when they differ from the
     * section's (they are the same in every dump QEMU writes). */
    if (o->desc_version != o->version || n->desc_version != n->version ||
        o->desc_min_version != o->min_version ||
        n->desc_min_version != n->min_version) {
        g_autofree char *what = g_strdup_printf("description %s: ",
                                                o->desc_name);

        check_versions(&pz, path, what, o->desc_version, n->desc_version,
                       n->desc_min_version, o->desc_min_version);
    }
    /*
     * QEMU reads a section's fields for the version its header carries,
     * which is the version of the description OLD saved them with
     * (savevm.c registers a section at its vmsd->version_id), and OLD
     * writes every field of that description.  The dump repeats that
     * version at the section level; where a hand-edited dump disagrees
     * (QEMU's own vmstate-static-checker test data does), the
     * description's is the one its fields were written for: gating them
     * by the section's would make a section incompatible with itself.
     */
    push_job(&pz, o, n, path, o->desc_version);
    while (ok && (job = g_queue_pop_head(&pz.jobs))) {
        ok = run_job(&pz, job, error);
        job_free(job);
    }
    g_queue_clear_full(&pz.jobs, job_free);
    return ok;
}
