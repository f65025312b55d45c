/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The typed JSON form (docs/json-format.md): tree nodes to JSON and back,
 * and JSON text in and out.
 *
 * JSON text is untrusted, so nothing here recurses on it: the conversions
 * walk with an explicit stack bounded by the depth limit, and
 * qidl_json_parse() lexes the text once (nesting, numbers, strings) before
 * json-glib's parser, which does recurse, and which is lenient in ways the
 * typed form is not (comments, single quotes, "01", "0x10", "\u0000",
 * integers that wrap around), ever sees it.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include <qidl/json.h>

/*
 * How deep the typed form nests.  A visit nests at most QIDL_LIMIT_DEPTH
 * structs and lists; the JSON of a whole tree adds the tree's root around
 * its device roots.  In the text, scalars and "$device" add one more level
 * of braces below the deepest container ({"u8": 1}).
 */
#define JSON_MAX_CONTAINERS (QIDL_LIMIT_DEPTH + 1)
#define JSON_MAX_NESTING (JSON_MAX_CONTAINERS + 1)

G_STATIC_ASSERT(JSON_MAX_NESTING <= G_MAXUINT8);

/* The member that carries a device root's information. */
#define DEVICE_MEMBER "$device"

/* Canonical quiet NaNs: written as "nan" and "-nan". */
#define F32_NAN 0x7fc00000u
#define F64_NAN G_GUINT64_CONSTANT(0x7ff8000000000000)
#define F32_SIGN 0x80000000u
#define F64_SIGN G_GUINT64_CONSTANT(0x8000000000000000)

/*
 * The smallest magnitude that rounds to infinity as a float: FLT_MAX plus
 * half its ulp (a tie, which rounds to the even infinity).
 */
#define FLOAT_OVERFLOW ((double)FLT_MAX + 0x1p103)

/* Longest excerpt of a bad string value quoted in an error message. */
#define EXCERPT_LEN 40

static const struct {
    const char *key;
    QidlKind kind;
} type_keys[] = {
    { "i8", QIDL_KIND_INT8 },
    { "u8", QIDL_KIND_UINT8 },
    { "i16", QIDL_KIND_INT16 },
    { "u16", QIDL_KIND_UINT16 },
    { "i32", QIDL_KIND_INT32 },
    { "u32", QIDL_KIND_UINT32 },
    { "i64", QIDL_KIND_INT64 },
    { "u64", QIDL_KIND_UINT64 },
    { "f32", QIDL_KIND_FLOAT },
    { "f64", QIDL_KIND_DOUBLE },
    { "bytes", QIDL_KIND_BYTES },
    { "str", QIDL_KIND_STRING },
};

static const char *kind_key(QidlKind kind)
{
    for (gsize i = 0; i < G_N_ELEMENTS(type_keys); i++) {
        if (type_keys[i].kind == kind) {
            return type_keys[i].key;
        }
    }
    return NULL;
}

/* Returns 0 if @key is not a type key. */
static QidlKind key_kind(const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(type_keys); i++) {
        if (strcmp(type_keys[i].key, key) == 0) {
            return type_keys[i].kind;
        }
    }
    return 0;
}

static gboolean is_container(QidlKind kind)
{
    return kind == QIDL_KIND_STRUCT || kind == QIDL_KIND_LIST;
}

/* ---- Tree to JSON ---- */

static JsonNode *new_object_node(JsonObject *obj)
{
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);

    json_node_take_object(node, obj);
    return node;
}

/* {"@key": @value}; takes @value. */
static JsonNode *wrap(const char *key, JsonNode *value)
{
    JsonObject *obj = json_object_new();

    json_object_set_member(obj, key, value);
    return new_object_node(obj);
}

static char *hex_encode(const guint8 *data, gsize len)
{
    static const char digits[] = "0123456789abcdef";
    char *hex = g_malloc(len * 2 + 1);

    for (gsize i = 0; i < len; i++) {
        hex[2 * i] = digits[data[i] >> 4];
        hex[2 * i + 1] = digits[data[i] & 0xf];
    }
    hex[len * 2] = '\0';
    return hex;
}

/*
 * Non-finite values are strings.  NaNs other than the two canonical quiet
 * ones keep their bits ("nan:0x7ff8000000000001") so that nothing is lost.
 */
static JsonNode *non_finite_value(QidlKind kind, double d)
{
    g_autofree char *text = NULL;

    if (isinf(d)) {
        return json_node_init_string(json_node_alloc(), d < 0 ? "-inf" : "inf");
    }
    if (kind == QIDL_KIND_FLOAT) {
        float f = (float)d;
        guint32 bits;

        memcpy(&bits, &f, sizeof(bits));
        if ((bits & ~F32_SIGN) == F32_NAN) {
            return json_node_init_string(json_node_alloc(),
                                         bits & F32_SIGN ? "-nan" : "nan");
        }
        text = g_strdup_printf("nan:0x%08" G_GINT32_MODIFIER "x", bits);
    } else {
        guint64 bits;

        memcpy(&bits, &d, sizeof(bits));
        if ((bits & ~F64_SIGN) == F64_NAN) {
            return json_node_init_string(json_node_alloc(),
                                         bits & F64_SIGN ? "-nan" : "nan");
        }
        text = g_strdup_printf("nan:0x%016" G_GINT64_MODIFIER "x", bits);
    }
    return json_node_init_string(json_node_alloc(), text);
}

/*
 * A struct whose only member is a string named like a type key
 * ({"bytes": "00ff"}) would read back as a typed scalar, so such a string
 * is written in its hex form: {"bytes": {"str": "3030"}}.
 */
static gboolean string_needs_hex(const QidlNode *node)
{
    const QidlNode *parent = qidl_node_get_parent(node);
    const char *name = qidl_node_get_name(node);

    return parent && qidl_node_get_kind(parent) == QIDL_KIND_STRUCT &&
           !qidl_node_is_device(parent) &&
           qidl_node_get_n_children(parent) == 1 && name &&
           key_kind(name) != 0;
}

/* The JSON of one node; an empty object or array for a container. */
static JsonNode *node_to_json(const QidlNode *node)
{
    QidlKind kind = qidl_node_get_kind(node);
    const char *key = kind_key(kind);

    switch (kind) {
    case QIDL_KIND_STRUCT: {
        JsonObject *obj = json_object_new();

        if (qidl_node_is_device(node)) {
            JsonObject *dev = json_object_new();

            json_object_set_string_member(dev, "type",
                                          qidl_node_get_type_name(node));
            json_object_set_string_member(dev, "path",
                                          qidl_node_get_instance_path(node));
            json_object_set_int_member(dev, "version",
                                       qidl_node_get_version(node));
            json_object_set_object_member(obj, DEVICE_MEMBER, dev);
        }
        return new_object_node(obj);
    }
    case QIDL_KIND_LIST: {
        JsonNode *json = json_node_new(JSON_NODE_ARRAY);

        json_node_take_array(json, json_array_new());
        return json;
    }
    case QIDL_KIND_BOOL:
        return json_node_init_boolean(json_node_alloc(),
                                      qidl_node_get_bool(node));
    case QIDL_KIND_INT8:
    case QIDL_KIND_INT16:
    case QIDL_KIND_INT32:
        return wrap(key, json_node_init_int(json_node_alloc(),
                                            qidl_node_get_int(node)));
    case QIDL_KIND_UINT8:
    case QIDL_KIND_UINT16:
    case QIDL_KIND_UINT32:
        return wrap(key, json_node_init_int(json_node_alloc(),
                                            (gint64)qidl_node_get_uint(node)));
    case QIDL_KIND_INT64: {
        g_autofree char *text =
            g_strdup_printf("%" G_GINT64_FORMAT, qidl_node_get_int(node));

        return wrap(key, json_node_init_string(json_node_alloc(), text));
    }
    case QIDL_KIND_UINT64: {
        g_autofree char *text =
            g_strdup_printf("%" G_GUINT64_FORMAT, qidl_node_get_uint(node));

        return wrap(key, json_node_init_string(json_node_alloc(), text));
    }
    case QIDL_KIND_FLOAT:
    case QIDL_KIND_DOUBLE: {
        /* A float arrives widened, exactly; see qidl_json_to_string(). */
        double d = qidl_node_get_double(node);

        if (!isfinite(d)) {
            return wrap(key, non_finite_value(kind, d));
        }
        return wrap(key, json_node_init_double(json_node_alloc(), d));
    }
    case QIDL_KIND_STRING: {
        gsize len;
        const char *s = qidl_node_get_string(node, &len);
        g_autofree char *hex = NULL;

        if (g_utf8_validate(s, len, NULL) && !string_needs_hex(node)) {
            return json_node_init_string(json_node_alloc(), s);
        }
        hex = hex_encode((const guint8 *)s, len);
        return wrap(key, json_node_init_string(json_node_alloc(), hex));
    }
    case QIDL_KIND_BYTES: {
        gsize len;
        const guint8 *data = qidl_node_get_bytes(node, &len);
        g_autofree char *hex = hex_encode(data, len);

        return wrap(key, json_node_init_string(json_node_alloc(), hex));
    }
    }
    g_return_val_if_reached(NULL);
}

/* One struct or list whose children are being converted. */
typedef struct {
    JsonNode *json;           /* its object or array; owned by the result */
    const QidlNode *child;    /* the next child to convert, or NULL */
} OutFrame;

JsonNode *qidl_json_from_node(const QidlNode *node)
{
    g_autoptr(GArray) stack = NULL;
    JsonNode *root;

    g_return_val_if_fail(node != NULL, NULL);

    root = node_to_json(node);
    if (!is_container(qidl_node_get_kind(node))) {
        return root;
    }

    stack = g_array_new(FALSE, FALSE, sizeof(OutFrame));
    g_array_append_val(stack, ((OutFrame) {
        .json = root,
        .child = qidl_node_get_first_child(node),
    }));
    while (stack->len > 0) {
        OutFrame *top = &g_array_index(stack, OutFrame, stack->len - 1);
        const QidlNode *child = top->child;
        JsonNode *value;

        if (!child) {
            g_array_set_size(stack, stack->len - 1);
            continue;
        }
        top->child = qidl_node_get_next(child);

        value = node_to_json(child);
        if (JSON_NODE_HOLDS_OBJECT(top->json)) {
            json_object_set_member(json_node_get_object(top->json),
                                   qidl_node_get_name(child), value);
        } else {
            json_array_add_element(json_node_get_array(top->json), value);
        }
        if (is_container(qidl_node_get_kind(child))) {
            /* Appending moves the array: top is stale from here on. */
            g_array_append_val(stack, ((OutFrame) {
                .json = value,
                .child = qidl_node_get_first_child(child),
            }));
        }
    }
    return root;
}

/* ---- JSON to tree ---- */

/* One object or array whose members are being converted. */
typedef struct {
    QidlNode *node;           /* the struct or list built for it */
    /* Where it sits, for paths: its member name, or its index. */
    const char *name;
    gboolean in_list;
    guint32 index;
    /* Structs: */
    JsonObjectIter iter;
    gboolean first;           /* no member read yet ("$device" goes first) */
    /* Lists: */
    JsonArray *array;
    guint32 next;
    guint32 count;
} InFrame;

typedef struct {
    QidlTree *tree;
    guint depth;
    InFrame frames[JSON_MAX_CONTAINERS];
} Reader;

/*
 * Where a value sits: below the innermost open frame (or at the top if
 * none is open), as a member @name or as element @index.
 */
typedef struct {
    const char *name;
    gboolean in_list;
    guint32 index;
} Place;

static void append_segment(GString *path, const char *name, gboolean in_list,
                           guint32 index)
{
    if (in_list) {
        g_string_append_printf(path, "[%" G_GUINT32_FORMAT "]", index);
    } else if (name) {
        if (path->len > 0) {
            g_string_append_c(path, '.');
        }
        g_string_append(path, name);
    }
}

/* Fails with "<path of @place>: <message>", as visitor errors do. */
static gboolean reader_error(const Reader *r, const Place *place,
                             GError **error, int code, const char *format,
                             ...) G_GNUC_PRINTF(5, 6);

static gboolean reader_error(const Reader *r, const Place *place,
                             GError **error, int code, const char *format,
                             ...)
{
    g_autoptr(GString) msg = g_string_new(NULL);
    va_list ap;

    for (guint i = 0; i < r->depth; i++) {
        const InFrame *f = &r->frames[i];

        append_segment(msg, f->name, f->in_list, f->index);
    }
    if (place) {
        append_segment(msg, place->name, place->in_list, place->index);
    }
    if (msg->len > 0) {
        g_string_append(msg, ": ");
    }
    va_start(ap, format);
    g_string_append_vprintf(msg, format, ap);
    va_end(ap);
    g_set_error_literal(error, QIDL_ERROR, code, msg->str);
    return FALSE;
}

/* A bad string value, quoted and cut short, for error messages. */
static char *excerpt(const char *s)
{
    gsize len = strlen(s);
    g_autofree char *head = g_strndup(s, MIN(len, EXCERPT_LEN));
    g_autofree char *escaped = g_strescape(head, NULL);

    return g_strdup_printf("\"%s%s\"", escaped,
                           len > EXCERPT_LEN ? "..." : "");
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Decodes lower-case hex of even length; NULL if @hex is not that. */
static guint8 *hex_decode(const char *hex, gsize len)
{
    g_autofree guint8 *data = NULL;

    if (len % 2 != 0) {
        return NULL;
    }
    /* One spare byte, so that an empty buffer is not a NULL one. */
    data = g_malloc(len / 2 + 1);
    for (gsize i = 0; i < len / 2; i++) {
        int hi = hex_digit(hex[2 * i]);
        int lo = hex_digit(hex[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return NULL;
        }
        data[i] = (guint8)(hi << 4 | lo);
    }
    return g_steal_pointer(&data);
}

typedef enum {
    DECIMAL_OK,
    DECIMAL_SYNTAX,
    DECIMAL_RANGE,
} DecimalResult;

/*
 * Parses a JSON-style integer -?(0|[1-9][0-9]*) into sign and magnitude;
 * DECIMAL_RANGE if the magnitude does not fit 64 bits.
 */
static DecimalResult parse_decimal(const char *s, gboolean *negative,
                                   guint64 *magnitude)
{
    const char *p = s;
    guint64 v = 0;
    gboolean overflow = FALSE;

    *negative = *p == '-';
    if (*negative) {
        p++;
    }
    if (*p < '0' || *p > '9' || (*p == '0' && p[1] != '\0')) {
        return DECIMAL_SYNTAX;
    }
    for (; *p; p++) {
        guint digit;

        if (*p < '0' || *p > '9') {
            return DECIMAL_SYNTAX;
        }
        digit = (guint)(*p - '0');
        if (v > (G_MAXUINT64 - digit) / 10) {
            overflow = TRUE;
        }
        v = v * 10 + digit;
    }
    *magnitude = v;
    return overflow ? DECIMAL_RANGE : DECIMAL_OK;
}

static gboolean int_fits(QidlKind kind, gint64 v)
{
    switch (kind) {
    case QIDL_KIND_INT8:
        return v >= G_MININT8 && v <= G_MAXINT8;
    case QIDL_KIND_INT16:
        return v >= G_MININT16 && v <= G_MAXINT16;
    case QIDL_KIND_INT32:
        return v >= G_MININT32 && v <= G_MAXINT32;
    case QIDL_KIND_UINT8:
        return v >= 0 && v <= G_MAXUINT8;
    case QIDL_KIND_UINT16:
        return v >= 0 && v <= G_MAXUINT16;
    case QIDL_KIND_UINT32:
        return v >= 0 && v <= G_MAXUINT32;
    default:
        g_return_val_if_reached(FALSE);
    }
}

static gboolean is_number(JsonNode *json)
{
    GType type;

    if (!JSON_NODE_HOLDS_VALUE(json)) {
        return FALSE;
    }
    type = json_node_get_value_type(json);
    return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
}

static gboolean is_string(JsonNode *json)
{
    return JSON_NODE_HOLDS_VALUE(json) &&
           json_node_get_value_type(json) == G_TYPE_STRING;
}

static gboolean is_integer(JsonNode *json)
{
    return JSON_NODE_HOLDS_VALUE(json) &&
           json_node_get_value_type(json) == G_TYPE_INT64;
}

/* int8 .. uint32: a JSON integer in range. */
static QidlNode *read_small_int(const Reader *r, const Place *place,
                                QidlKind kind, JsonNode *value,
                                GError **error)
{
    const char *kname = qidl_kind_name(kind);
    gint64 v;

    if (!is_number(value)) {
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "%s value must be a number", kname);
        return NULL;
    }
    if (!is_integer(value)) {
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "%s value must be an integer without fraction or "
                     "exponent", kname);
        return NULL;
    }
    v = json_node_get_int(value);
    if (!int_fits(kind, v)) {
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "value %" G_GINT64_FORMAT " does not fit %s", v, kname);
        return NULL;
    }
    if (qidl_kind_is_signed(kind)) {
        return qidl_node_new_int(r->tree, place->name, kind, v);
    }
    return qidl_node_new_uint(r->tree, place->name, kind, (guint64)v);
}

/* int64, uint64: a decimal string in range. */
static QidlNode *read_big_int(const Reader *r, const Place *place,
                              QidlKind kind, JsonNode *value, GError **error)
{
    const char *kname = qidl_kind_name(kind);
    g_autofree char *quoted = NULL;
    const char *s;
    gboolean negative;
    guint64 mag;
    DecimalResult res;

    if (!is_string(value)) {
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "%s value must be a decimal string", kname);
        return NULL;
    }
    s = json_node_get_string(value);
    quoted = excerpt(s);
    res = parse_decimal(s, &negative, &mag);
    if (res == DECIMAL_SYNTAX) {
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "value %s is not a decimal integer", quoted);
        return NULL;
    }
    if (kind == QIDL_KIND_UINT64) {
        if (res == DECIMAL_RANGE || (negative && mag != 0)) {
            goto range;
        }
        return qidl_node_new_uint(r->tree, place->name, kind, mag);
    }
    if (res == DECIMAL_RANGE ||
        mag > (negative ? (guint64)G_MAXINT64 + 1 : (guint64)G_MAXINT64)) {
        goto range;
    }
    /* -2^63 has no positive counterpart: negate in unsigned arithmetic. */
    return qidl_node_new_int(r->tree, place->name, kind,
                             negative ? (gint64)(0 - mag) : (gint64)mag);

range:
    reader_error(r, place, error, QIDL_ERROR_INVALID,
                 "value %s does not fit %s", quoted, kname);
    return NULL;
}

/*
 * "nan", "-nan", "inf", "-inf", or "nan:0x" and the NaN's bits in
 * lower-case hex (8 digits for float, 16 for double).
 */
static gboolean parse_non_finite(const char *s, QidlKind kind, double *out)
{
    static const char prefix[] = "nan:0x";
    gsize ndigits = kind == QIDL_KIND_FLOAT ? 8 : 16;
    guint64 bits = 0;

    if (strcmp(s, "inf") == 0 || strcmp(s, "-inf") == 0) {
        *out = s[0] == '-' ? -INFINITY : INFINITY;
        return TRUE;
    }
    if (strcmp(s, "nan") == 0 || strcmp(s, "-nan") == 0) {
        bits = kind == QIDL_KIND_FLOAT ? F32_NAN : F64_NAN;
        if (s[0] == '-') {
            bits |= kind == QIDL_KIND_FLOAT ? F32_SIGN : F64_SIGN;
        }
    } else {
        if (strncmp(s, prefix, strlen(prefix)) != 0 ||
            strlen(s) != strlen(prefix) + ndigits) {
            return FALSE;
        }
        for (gsize i = 0; i < ndigits; i++) {
            int d = hex_digit(s[strlen(prefix) + i]);

            if (d < 0) {
                return FALSE;
            }
            bits = bits << 4 | (guint)d;
        }
    }
    if (kind == QIDL_KIND_FLOAT) {
        guint32 bits32 = (guint32)bits;
        float f;

        /*
         * A float reaches the tree as a double, and widening quiets a
         * signalling NaN: refuse one rather than change it.
         */
        if ((bits32 & F32_NAN) != F32_NAN) {
            return FALSE;
        }
        memcpy(&f, &bits32, sizeof(f));
        *out = f;
    } else {
        memcpy(out, &bits, sizeof(*out));
    }
    return isnan(*out);
}

/*
 * float, double: a JSON number (rounded to the nearest float for float,
 * but never to infinity) or a non-finite string.
 */
static QidlNode *read_float(const Reader *r, const Place *place,
                            QidlKind kind, JsonNode *value, GError **error)
{
    const char *kname = qidl_kind_name(kind);
    double d;

    if (is_string(value)) {
        const char *s = json_node_get_string(value);

        if (!parse_non_finite(s, kind, &d)) {
            g_autofree char *quoted = excerpt(s);

            reader_error(r, place, error, QIDL_ERROR_INVALID,
                         "value %s is not a number, \"nan\", \"-nan\", "
                         "\"inf\", \"-inf\" or the bits of a quiet NaN",
                         quoted);
            return NULL;
        }
        return qidl_node_new_float(r->tree, place->name, kind, d);
    }
    if (!is_number(value)) {
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "%s value must be a number or a string", kname);
        return NULL;
    }
    if (is_integer(value)) {
        gint64 i = json_node_get_int(value);

        /* Convert once, so that the value is rounded only once. */
        d = kind == QIDL_KIND_FLOAT ? (double)(float)i : (double)i;
    } else {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        d = json_node_get_double(value);
        /* The parser turns numbers beyond the range of double into inf. */
        if (!isfinite(d)) {
            reader_error(r, place, error, QIDL_ERROR_INVALID,
                         "value out of the range of double");
            return NULL;
        }
        /* Nearest float, but never rounded to infinity. */
        if (kind == QIDL_KIND_FLOAT) {
            if (fabs(d) >= FLOAT_OVERFLOW) {
                reader_error(r, place, error, QIDL_ERROR_INVALID,
                             "value %s does not fit float",
                             g_ascii_dtostr(buf, sizeof(buf), d));
                return NULL;
            }
            d = (float)d;
        }
    }
    return qidl_node_new_float(r->tree, place->name, kind, d);
}

/* bytes, and strings in the hex form: lower-case hex of even length. */
static QidlNode *read_hex(const Reader *r, const Place *place, QidlKind kind,
                          JsonNode *value, GError **error)
{
    const char *kname = qidl_kind_name(kind);
    g_autofree guint8 *data = NULL;
    const char *hex;
    gsize len;

    if (!is_string(value)) {
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "%s value must be a string of hex digits", kname);
        return NULL;
    }
    hex = json_node_get_string(value);
    len = strlen(hex);
    if (len / 2 > (kind == QIDL_KIND_BYTES ? QIDL_LIMIT_LIST_LEN :
                                             QIDL_LIMIT_STRING_LEN)) {
        reader_error(r, place, error, QIDL_ERROR_LIMIT,
                     "%" G_GSIZE_FORMAT " bytes exceed the limit of %u",
                     len / 2, kind == QIDL_KIND_BYTES ? QIDL_LIMIT_LIST_LEN :
                                                        QIDL_LIMIT_STRING_LEN);
        return NULL;
    }
    data = hex_decode(hex, len);
    if (!data) {
        g_autofree char *quoted = excerpt(hex);

        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "value %s is not lower-case hex of even length",
                     quoted);
        return NULL;
    }
    if (kind == QIDL_KIND_BYTES) {
        return qidl_node_new_bytes(r->tree, place->name, data, len / 2);
    }
    if (memchr(data, 0, len / 2)) {
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "string contains a NUL byte");
        return NULL;
    }
    data[len / 2] = '\0';
    return qidl_node_new_string(r->tree, place->name, (const char *)data);
}

static QidlNode *read_typed(const Reader *r, const Place *place,
                            QidlKind kind, JsonNode *value, GError **error)
{
    switch (kind) {
    case QIDL_KIND_INT8:
    case QIDL_KIND_UINT8:
    case QIDL_KIND_INT16:
    case QIDL_KIND_UINT16:
    case QIDL_KIND_INT32:
    case QIDL_KIND_UINT32:
        return read_small_int(r, place, kind, value, error);
    case QIDL_KIND_INT64:
    case QIDL_KIND_UINT64:
        return read_big_int(r, place, kind, value, error);
    case QIDL_KIND_FLOAT:
    case QIDL_KIND_DOUBLE:
        return read_float(r, place, kind, value, error);
    case QIDL_KIND_BYTES:
    case QIDL_KIND_STRING:
        return read_hex(r, place, kind, value, error);
    default:
        g_return_val_if_reached(NULL);
    }
}

/*
 * Converts one JSON value: a scalar completely, a struct or list into an
 * empty node whose members the caller converts next.
 */
static QidlNode *read_value(const Reader *r, const Place *place,
                            JsonNode *json, GError **error)
{
    switch (json_node_get_node_type(json)) {
    case JSON_NODE_OBJECT: {
        JsonObject *obj = json_node_get_object(json);

        if (json_object_get_size(obj) == 1) {
            JsonObjectIter iter;
            const char *key;
            JsonNode *value;
            QidlKind kind;

            json_object_iter_init_ordered(&iter, obj);
            json_object_iter_next_ordered(&iter, &key, &value);
            kind = key_kind(key);
            /* The one rule that tells scalars from structs. */
            if (kind && (is_number(value) || is_string(value))) {
                return read_typed(r, place, kind, value, error);
            }
            if (!kind && key[0] != '$' && is_number(value)) {
                g_autofree char *quoted = excerpt(key);

                reader_error(r, place, error, QIDL_ERROR_INVALID,
                             "unknown type key %s", quoted);
                return NULL;
            }
        }
        return qidl_node_new_struct(r->tree, place->name);
    }
    case JSON_NODE_ARRAY: {
        guint n = json_array_get_length(json_node_get_array(json));

        if (n > QIDL_LIMIT_LIST_LEN) {
            reader_error(r, place, error, QIDL_ERROR_LIMIT,
                         "%u elements exceed the limit of %u", n,
                         QIDL_LIMIT_LIST_LEN);
            return NULL;
        }
        return qidl_node_new_list(r->tree, place->name);
    }
    case JSON_NODE_NULL:
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "null is not a value of the typed form");
        return NULL;
    case JSON_NODE_VALUE:
        break;
    }

    switch (json_node_get_value_type(json)) {
    case G_TYPE_BOOLEAN:
        return qidl_node_new_bool(r->tree, place->name,
                                  json_node_get_boolean(json));
    case G_TYPE_STRING: {
        const char *s = json_node_get_string(json);

        if (strlen(s) > QIDL_LIMIT_STRING_LEN) {
            reader_error(r, place, error, QIDL_ERROR_LIMIT,
                         "string longer than %u bytes",
                         QIDL_LIMIT_STRING_LEN);
            return NULL;
        }
        return qidl_node_new_string(r->tree, place->name, s);
    }
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "number without a type key");
        return NULL;
    default:
        reader_error(r, place, error, QIDL_ERROR_INVALID,
                     "value of type %s is not a value of the typed form",
                     g_type_name(json_node_get_value_type(json)));
        return NULL;
    }
}

/* "$device": {"type": string, "path": string, "version": uint32}. */
static gboolean read_device(const Reader *r, QidlNode *node, JsonNode *json,
                            GError **error)
{
    static const char *const members[] = { "type", "path", "version" };
    JsonObject *obj;
    JsonNode *version;
    gint64 v;

    if (!JSON_NODE_HOLDS_OBJECT(json) ||
        json_object_get_size(json_node_get_object(json)) !=
            G_N_ELEMENTS(members)) {
        return reader_error(r, NULL, error, QIDL_ERROR_INVALID,
                            "\"$device\" must be an object of exactly "
                            "\"type\", \"path\" and \"version\"");
    }
    obj = json_node_get_object(json);
    for (gsize i = 0; i < G_N_ELEMENTS(members); i++) {
        if (!json_object_has_member(obj, members[i])) {
            return reader_error(r, NULL, error, QIDL_ERROR_INVALID,
                                "\"$device\" lacks \"%s\"", members[i]);
        }
    }
    for (gsize i = 0; i < 2; i++) {
        JsonNode *s = json_object_get_member(obj, members[i]);

        if (!is_string(s)) {
            return reader_error(r, NULL, error, QIDL_ERROR_INVALID,
                                "\"$device\" member \"%s\" must be a string",
                                members[i]);
        }
        if (strlen(json_node_get_string(s)) > QIDL_LIMIT_STRING_LEN) {
            return reader_error(r, NULL, error, QIDL_ERROR_LIMIT,
                                "\"$device\" member \"%s\" longer than %u "
                                "bytes", members[i], QIDL_LIMIT_STRING_LEN);
        }
    }
    version = json_object_get_member(obj, "version");
    if (!is_integer(version) || (v = json_node_get_int(version)) < 0 ||
        v > G_MAXUINT32) {
        return reader_error(r, NULL, error, QIDL_ERROR_INVALID,
                            "\"$device\" version must be an integer from 0 "
                            "to %u", G_MAXUINT32);
    }
    qidl_node_set_device(node, json_object_get_string_member(obj, "type"),
                         json_object_get_string_member(obj, "path"),
                         (guint32)v);
    return TRUE;
}

static gboolean check_member_name(const Reader *r, const char *name,
                                  GError **error)
{
    gsize len = strlen(name);

    if (len == 0) {
        return reader_error(r, NULL, error, QIDL_ERROR_INVALID,
                            "empty member name");
    }
    if (len > QIDL_LIMIT_NAME_LEN) {
        return reader_error(r, NULL, error, QIDL_ERROR_LIMIT,
                            "member name longer than %u bytes",
                            QIDL_LIMIT_NAME_LEN);
    }
    if (name[0] == '$') {
        g_autofree char *quoted = excerpt(name);

        if (strcmp(name, DEVICE_MEMBER) == 0) {
            return reader_error(r, NULL, error, QIDL_ERROR_INVALID,
                                "\"$device\" is not the first member");
        }
        return reader_error(r, NULL, error, QIDL_ERROR_INVALID,
                            "member name %s is reserved", quoted);
    }
    return TRUE;
}

static gboolean push_frame(Reader *r, const Place *place, JsonNode *json,
                           QidlNode *node, GError **error)
{
    InFrame *f;

    if (r->depth >= JSON_MAX_CONTAINERS) {
        return reader_error(r, place, error, QIDL_ERROR_LIMIT,
                            "nesting deeper than %u levels",
                            JSON_MAX_CONTAINERS);
    }
    f = &r->frames[r->depth++];
    *f = (InFrame) {
        .node = node,
        .name = place->name,
        .in_list = place->in_list,
        .index = place->index,
        .first = TRUE,
    };
    if (JSON_NODE_HOLDS_OBJECT(json)) {
        json_object_iter_init_ordered(&f->iter, json_node_get_object(json));
    } else {
        f->array = json_node_get_array(json);
        f->count = json_array_get_length(f->array);
    }
    return TRUE;
}

/*
 * Reads the next member of the innermost frame into @place and @json.
 * Returns FALSE when the frame has none left.
 */
static gboolean next_member(InFrame *f, Place *place, JsonNode **json)
{
    if (f->array) {
        if (f->next == f->count) {
            return FALSE;
        }
        *place = (Place) { .in_list = TRUE, .index = f->next };
        *json = json_array_get_element(f->array, f->next++);
        return TRUE;
    }
    *place = (Place) { 0 };
    return json_object_iter_next_ordered(&f->iter, &place->name, json);
}

QidlNode *qidl_json_to_node(QidlTree *tree, JsonNode *json, const char *name,
                            GError **error)
{
    g_autofree Reader *r = NULL;
    Place place = { .name = name };
    QidlNode *result;

    g_return_val_if_fail(tree != NULL, NULL);
    g_return_val_if_fail(json != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    r = g_new0(Reader, 1);
    r->tree = tree;

    result = read_value(r, &place, json, error);
    if (!result) {
        return NULL;
    }
    if (is_container(qidl_node_get_kind(result)) &&
        !push_frame(r, &place, json, result, error)) {
        return NULL;
    }

    while (r->depth > 0) {
        InFrame *top = &r->frames[r->depth - 1];
        gboolean first = top->first;
        JsonNode *child_json;
        QidlNode *child;

        if (!next_member(top, &place, &child_json)) {
            r->depth--;
            continue;
        }
        top->first = FALSE;
        if (!place.in_list) {
            if (first && strcmp(place.name, DEVICE_MEMBER) == 0) {
                if (!read_device(r, top->node, child_json, error)) {
                    return NULL;
                }
                continue;
            }
            if (!check_member_name(r, place.name, error)) {
                return NULL;
            }
        }
        child = read_value(r, &place, child_json, error);
        if (!child) {
            return NULL;
        }
        /* Names are unique (JSON objects) and valid: this cannot fail. */
        if (!qidl_node_append(top->node, child, error)) {
            return NULL;
        }
        if (is_container(qidl_node_get_kind(child)) &&
            !push_frame(r, &place, child_json, child, error)) {
            return NULL;
        }
    }
    return result;
}

/* ---- JSON text ---- */

/* Fails with "<data>:LINE:COL: <message>" for the byte at @pos. */
static gboolean text_error(const char *text, gsize pos, GError **error,
                           int code, const char *format, ...)
    G_GNUC_PRINTF(5, 6);

static gboolean text_error(const char *text, gsize pos, GError **error,
                           int code, const char *format, ...)
{
    g_autofree char *msg = NULL;
    guint line = 1;
    gsize line_start = 0;
    va_list ap;

    for (gsize i = 0; i < pos; i++) {
        if (text[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    va_start(ap, format);
    msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, QIDL_ERROR, code, "<data>:%u:%" G_GSIZE_FORMAT ": %s",
                line, pos - line_start + 1, msg);
    return FALSE;
}

static gboolean unexpected_byte(const char *text, gsize pos, GError **error)
{
    guchar c = (guchar)text[pos];

    if (g_ascii_isprint(c)) {
        return text_error(text, pos, error, QIDL_ERROR_INVALID,
                          "unexpected character '%c'", c);
    }
    return text_error(text, pos, error, QIDL_ERROR_INVALID,
                      "unexpected byte 0x%02x", c);
}

/* A string from its opening quote at *pos; leaves *pos after it. */
static gboolean scan_string(const char *text, gsize len, gsize *pos,
                            GError **error)
{
    gsize i = *pos + 1;

    while (i < len) {
        guchar c = (guchar)text[i];

        if (c == '"') {
            *pos = i + 1;
            return TRUE;
        }
        if (c == '\\') {
            char e = i + 1 < len ? text[i + 1] : '\0';

            if (e && strchr("\"\\/bfnrt", e)) {
                i += 2;
                continue;
            }
            if (e != 'u' || i + 6 > len || !g_ascii_isxdigit(text[i + 2]) ||
                !g_ascii_isxdigit(text[i + 3]) ||
                !g_ascii_isxdigit(text[i + 4]) ||
                !g_ascii_isxdigit(text[i + 5])) {
                return text_error(text, i, error, QIDL_ERROR_INVALID,
                                  "invalid escape in string");
            }
            if (memcmp(text + i + 2, "0000", 4) == 0) {
                return text_error(text, i, error, QIDL_ERROR_INVALID,
                                  "string contains a NUL character");
            }
            i += 6;
        } else if (c < 0x20) {
            return text_error(text, i, error, QIDL_ERROR_INVALID,
                              "control character 0x%02x in string", c);
        } else if (c >= 0x80) {
            gunichar u = g_utf8_get_char_validated(text + i,
                                                   (gssize)(len - i));

            if (u == (gunichar)-1 || u == (gunichar)-2) {
                return text_error(text, i, error, QIDL_ERROR_INVALID,
                                  "invalid UTF-8 in string");
            }
            i += g_utf8_skip[c];
        } else {
            i++;
        }
    }
    return text_error(text, *pos, error, QIDL_ERROR_INVALID,
                      "unterminated string");
}

static gsize skip_digits(const char *text, gsize len, gsize i)
{
    while (i < len && g_ascii_isdigit(text[i])) {
        i++;
    }
    return i;
}

/*
 * A number from *pos; leaves *pos after it.  Only JSON's grammar, and
 * integers within gint64: json-glib would wrap larger ones around.  The
 * end of each integer -0 is appended to @neg_zeros.
 */
static gboolean scan_number(const char *text, gsize len, gsize *pos,
                            GArray *neg_zeros, GError **error)
{
    gsize start = *pos;
    gsize i = start;
    gsize digits;
    gboolean negative = FALSE;
    gboolean integer = TRUE;

    if (text[i] == '-') {
        negative = TRUE;
        i++;
    }
    digits = i;
    if (i < len && text[i] == '0') {
        i++;
    } else if (i < len && text[i] >= '1' && text[i] <= '9') {
        i = skip_digits(text, len, i);
    } else {
        goto invalid;
    }
    digits = i - digits;
    if (i < len && text[i] == '.') {
        gsize frac = i + 1;

        integer = FALSE;
        i = skip_digits(text, len, frac);
        if (i == frac) {
            goto invalid;
        }
    }
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        gsize exp;

        integer = FALSE;
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-')) {
            i++;
        }
        exp = i;
        i = skip_digits(text, len, exp);
        if (i == exp) {
            goto invalid;
        }
    }
    if (i < len && (g_ascii_isalnum(text[i]) || text[i] == '.' ||
                    text[i] == '+' || text[i] == '-')) {
        goto invalid;
    }
    if (integer && negative && digits == 1 && text[start + 1] == '0') {
        g_array_append_val(neg_zeros, i);
    }
    if (integer) {
        const char *max = negative ? "9223372036854775808" :
                                     "9223372036854775807";
        const char *first = text + start + (negative ? 1 : 0);

        if (digits > strlen(max) ||
            (digits == strlen(max) && memcmp(first, max, digits) > 0)) {
            return text_error(text, start, error, QIDL_ERROR_INVALID,
                              "integer out of the range of int64");
        }
    }
    *pos = i;
    return TRUE;

invalid:
    return text_error(text, start, error, QIDL_ERROR_INVALID,
                      "invalid number");
}

/* true, false, null; leaves *pos after it. */
static gboolean scan_word(const char *text, gsize len, gsize *pos,
                          GError **error)
{
    static const char *const words[] = { "true", "false", "null" };
    gsize start = *pos;
    gsize i = start;

    while (i < len && g_ascii_isalnum(text[i])) {
        i++;
    }
    for (gsize w = 0; w < G_N_ELEMENTS(words); w++) {
        if (i - start == strlen(words[w]) &&
            memcmp(text + start, words[w], i - start) == 0) {
            *pos = i;
            return TRUE;
        }
    }
    return text_error(text, start, error, QIDL_ERROR_INVALID,
                      "unexpected word \"%.*s\"", (int)MIN(i - start, 20),
                      text + start);
}

/*
 * One pass over the text before json-glib parses it: bounds its nesting
 * (json-glib's parser recurses) and rejects what json-glib would accept
 * but JSON does not, or would accept and change.  The grammar (brackets
 * matching, commas, colons) is left to json-glib.  Collects where each
 * integer -0 ends (see qidl_json_parse()).
 */
static gboolean prescan(const char *text, gsize len, GArray *neg_zeros,
                        GError **error)
{
    guint depth = 0;
    gsize i = 0;
    /* A whole top-level value has been scanned: only blanks may follow
     * (json-glib would parse a second value and drop the first). */
    gboolean done = FALSE;

    while (i < len) {
        if (done && depth == 0 &&
            (g_ascii_isalnum(text[i]) ||
             (text[i] != '\0' && strchr("[]{},:\"-", text[i])))) {
            return text_error(text, i, error, QIDL_ERROR_INVALID,
                              "trailing data after the JSON value");
        }
        switch (text[i]) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
        case ',':
        case ':':
            i++;
            break;
        case '[':
        case '{':
            if (++depth > JSON_MAX_NESTING) {
                return text_error(text, i, error, QIDL_ERROR_LIMIT,
                                  "nesting deeper than %u levels",
                                  JSON_MAX_NESTING);
            }
            i++;
            break;
        case ']':
        case '}':
            /* Unbalanced brackets are json-glib's to report. */
            if (depth > 0) {
                depth--;
            }
            done = depth == 0;
            i++;
            break;
        case '"':
            if (!scan_string(text, len, &i, error)) {
                return FALSE;
            }
            done = depth == 0;
            break;
        case '-':
        case '0' ... '9':
            if (!scan_number(text, len, &i, neg_zeros, error)) {
                return FALSE;
            }
            done = depth == 0;
            break;
        case 'a' ... 'z':
        case 'A' ... 'Z':
            if (!scan_word(text, len, &i, error)) {
                return FALSE;
            }
            done = depth == 0;
            break;
        default:
            return unexpected_byte(text, i, error);
        }
    }
    return TRUE;
}

/*
 * json-glib silently keeps the last of duplicate members; the parser's
 * signals let us count the members it saw against those it kept.
 */
typedef struct {
    GArray *seen;             /* members seen, one count per open object */
    char *duplicate;          /* the first duplicate name, or NULL */
    guint line;
    guint pos;
} DuplicateCheck;

static void on_object_start(JsonParser *parser, gpointer data)
{
    DuplicateCheck *dc = data;
    guint zero = 0;

    g_array_append_val(dc->seen, zero);
}

static void on_object_member(JsonParser *parser, JsonObject *object,
                             const char *name, gpointer data)
{
    DuplicateCheck *dc = data;
    guint *seen;

    if (dc->seen->len == 0) {
        return;
    }
    seen = &g_array_index(dc->seen, guint, dc->seen->len - 1);
    (*seen)++;
    if (*seen != json_object_get_size(object) && !dc->duplicate) {
        dc->duplicate = g_strdup(name);
        dc->line = json_parser_get_current_line(parser);
        dc->pos = json_parser_get_current_pos(parser);
    }
}

static void on_object_end(JsonParser *parser, JsonObject *object,
                          gpointer data)
{
    DuplicateCheck *dc = data;

    if (dc->seen->len > 0) {
        g_array_set_size(dc->seen, dc->seen->len - 1);
    }
}

JsonNode *qidl_json_parse(const char *text, gssize len, GError **error)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) parse_error = NULL;
    g_autoptr(GArray) seen = NULL;
    g_autoptr(GArray) neg_zeros = NULL;
    g_autoptr(GString) patched = NULL;
    g_autofree char *duplicate = NULL;
    DuplicateCheck dc;
    JsonNode *root;
    gsize n;

    g_return_val_if_fail(text != NULL || len == 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    /* Never look past the limit, even for an unterminated text. */
    n = len < 0 ? strnlen(text, (gsize)QIDL_LIMIT_JSON_LEN + 1) : (gsize)len;
    if (n > QIDL_LIMIT_JSON_LEN) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_LIMIT,
                    "JSON text longer than %u bytes", QIDL_LIMIT_JSON_LEN);
        return NULL;
    }
    neg_zeros = g_array_new(FALSE, FALSE, sizeof(gsize));
    if (!prescan(text, n, neg_zeros, error)) {
        return NULL;
    }
    /*
     * json-glib reads -0 as the integer 0, and jq writes the double -0.0
     * as -0: make it -0.0 so that the sign survives.  (Columns json-glib
     * reports later on such a line are off by two per -0 before them.)
     */
    if (neg_zeros->len > 0) {
        gsize from = 0;

        patched = g_string_sized_new(n + 2 * neg_zeros->len);
        for (guint k = 0; k < neg_zeros->len; k++) {
            gsize at = g_array_index(neg_zeros, gsize, k);

            g_string_append_len(patched, text + from, (gssize)(at - from));
            g_string_append(patched, ".0");
            from = at;
        }
        g_string_append_len(patched, text + from, (gssize)(n - from));
        text = patched->str;
        n = patched->len;
    }

    seen = g_array_new(FALSE, FALSE, sizeof(guint));
    dc = (DuplicateCheck) { .seen = seen };
    parser = json_parser_new();
    g_signal_connect(parser, "object-start", G_CALLBACK(on_object_start),
                     &dc);
    g_signal_connect(parser, "object-member", G_CALLBACK(on_object_member),
                     &dc);
    g_signal_connect(parser, "object-end", G_CALLBACK(on_object_end), &dc);
    /* prescan() proved that the text has no NUL, so n is its length. */
    if (!json_parser_load_from_data(parser, n > 0 ? text : "", (gssize)n,
                                    &parse_error)) {
        g_free(dc.duplicate);
        g_set_error_literal(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                            parse_error->message);
        return NULL;
    }
    duplicate = dc.duplicate;
    if (duplicate) {
        g_set_error(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                    "<data>:%u:%u: duplicate member \"%s\"", dc.line, dc.pos,
                    duplicate);
        return NULL;
    }
    root = json_parser_steal_root(parser);
    if (!root) {
        g_set_error_literal(error, QIDL_ERROR, QIDL_ERROR_INVALID,
                            "<data>: no JSON value");
        return NULL;
    }
    return root;
}

/*
 * Repairs what json-glib 1.6's generator gets wrong, in one pass over its
 * output: it writes the control character 0x1f raw inside strings, a
 * double such as 1e17 as "1e+17.0" (it appends ".0" to every double
 * without a '.'), and an empty object as "{  }" when pretty-printing.
 * Text without these defects passes through unchanged.
 */
static char *repair_generated(const char *text)
{
    GString *out = g_string_sized_new(strlen(text) + 2);
    const char *p = text;

    while (*p) {
        if (*p == '"') {
            g_string_append_c(out, *p++);
            while (*p && *p != '"') {
                if (*p == '\\' && p[1]) {
                    g_string_append_len(out, p, 2);
                    p += 2;
                } else if ((guchar)*p < 0x20) {
                    g_string_append_printf(out, "\\u%04x", (guchar)*p++);
                } else {
                    g_string_append_c(out, *p++);
                }
            }
            if (*p) {
                g_string_append_c(out, *p++);
            }
        } else if (*p == '-' || g_ascii_isdigit(*p)) {
            const char *start = p;
            gboolean exponent = FALSE;
            gsize n;

            while (*p && strchr("0123456789+-.eE", *p)) {
                exponent = exponent || *p == 'e' || *p == 'E';
                p++;
            }
            n = (gsize)(p - start);
            if (exponent && n > 2 && start[n - 2] == '.' &&
                start[n - 1] == '0' && !memchr(start, '.', n - 2)) {
                n -= 2;
            }
            g_string_append_len(out, start, (gssize)n);
        } else if (*p == '{') {
            const char *q = p + 1;

            while (*q == ' ' || *q == '\n') {
                q++;
            }
            if (*q == '}') {
                g_string_append(out, "{}");
                p = q + 1;
            } else {
                g_string_append_c(out, *p++);
            }
        } else {
            g_string_append_c(out, *p++);
        }
    }
    return g_string_free(out, FALSE);
}

char *qidl_json_to_string(JsonNode *json, gboolean pretty)
{
    g_autoptr(JsonGenerator) gen = NULL;
    g_autofree char *text = NULL;
    char *repaired;

    g_return_val_if_fail(json != NULL, NULL);

    gen = json_generator_new();
    json_generator_set_root(gen, json);
    json_generator_set_pretty(gen, pretty);
    json_generator_set_indent(gen, 2);
    json_generator_set_indent_char(gen, ' ');
    text = json_generator_to_data(gen, NULL);
    repaired = repair_generated(text);
    if (pretty) {
        char *with_newline = g_strconcat(repaired, "\n", NULL);

        g_free(repaired);
        return with_newline;
    }
    return repaired;
}
