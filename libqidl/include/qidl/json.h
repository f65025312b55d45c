/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The typed JSON form
 *
 * Device state as JSON that loses nothing: a uint8 read back is a uint8, a
 * list keeps its order, a struct its field order, a double its every bit.
 * It is for people (read and edit state with jq) and for tests.
 * docs/json-format.md specifies it; in short:
 *
 *     struct   -> object, members in field order
 *     list     -> array
 *     bool     -> true / false
 *     string   -> "text"
 *     int8..uint32, float, double -> {"u8": 16}, {"i32": -1}, {"f64": 1.5}
 *     int64, uint64 -> {"i64": "-5"}, {"u64": "18446744073709551615"}
 *                 (decimal strings: jq and JavaScript round numbers above
 *                 2^53)
 *     non-finite float/double -> {"f64": "nan"}, "-nan", "inf", "-inf";
 *                 any other NaN keeps its bits: "nan:0x7ff8000000000001"
 *     bytes    -> {"bytes": "00ff10"} (lower-case hex)
 *     string that is not UTF-8 -> {"str": "61ff"} (its bytes in hex)
 *
 * The type keys are i8 u8 i16 u16 i32 u32 i64 u64 f32 f64 bytes str.  An
 * object whose only member has a type key for a name and a number or a
 * string for a value is a scalar; every other object is a struct.  So that
 * this rule never misreads a struct, a struct whose only field is a string
 * named like a type key writes that string in the hex form:
 * {"bytes": {"str": "616263"}}.
 *
 * Numbers: float and double are written with 17 significant digits
 * (json-glib's "%.17g"), which reads back to the same double, and a float
 * is written as its exact double.  On input a number for a float is
 * rounded to the nearest float, but one that would round to infinity is
 * refused.  Integers must be JSON integers (no fraction, no exponent)
 * within the kind's range.
 *
 * A device root carries its information in a "$device" member placed
 * first: {"$device": {"type": "mc146818rtc", "path": "/machine/rtc",
 * "version": 3}, ...fields}.  Field names never start with '$', are not
 * empty and are at most QIDL_LIMIT_NAME_LEN bytes.
 *
 * Strictness: the reader refuses, with QIDL_ERROR_INVALID and the path of
 * the offending value, anything that is not exactly this form.  Parsing
 * text refuses what json-glib alone would accept but JSON does not
 * (comments, single quotes, "01", "0x10", ".5", NaN), what it would
 * silently change (duplicate members, integers beyond gint64, "\u0000"),
 * and invalid UTF-8.  The number -0 (jq's way of writing -0.0) reads as
 * the double -0.0, which json-glib alone would read as the integer 0.
 *
 * Depth: a visit nests at most QIDL_LIMIT_DEPTH structs and lists; the
 * JSON of a whole tree adds the tree's root, so the typed form may nest
 * QIDL_LIMIT_DEPTH + 1 structs and lists, and its text, where scalars and
 * "$device" add a level of braces, QIDL_LIMIT_DEPTH + 2.  The walks of
 * this module use an explicit stack; json-glib's parser and generator
 * recurse, which is why qidl_json_parse() bounds nesting before parsing.
 *
 * The JSON visitors go through the tree: the output visitor builds a tree
 * and converts it when the visit completes; the input visitor converts the
 * JSON to a tree first and then reads it like a tree input visitor, with
 * the same checks and the same error paths (the conversion's own errors,
 * found before the visit starts, name paths below the top-level value).
 *
 *     g_autoptr(JsonNode) json = qidl_json_parse(text, -1, &error);
 *     g_autoptr(QidlVisitor) in = json ?
 *         qidl_json_input_visitor_new(json, 0, &error) : NULL;
 *     if (!in || !visit_rtc(in, "rtc", &rtc, &error) ||
 *         !qidl_visitor_complete(in, &error)) { ... }
 */
#ifndef QIDL_JSON_H
#define QIDL_JSON_H

#include <json-glib/json-glib.h>
#include <qidl/tree.h>

G_BEGIN_DECLS

/**
 * qidl_json_from_node:
 * @node: a tree node
 *
 * Converts @node and everything below it to the typed JSON form, without
 * recursion.  Print the result with
 * qidl_json_to_string(), which repairs what json-glib's generator alone
 * gets wrong with some doubles and strings.  A tree whose field names the
 * reader refuses (empty, starting with '$') converts, but does not read
 * back.
 *
 * Returns: (transfer full): the typed JSON form of @node and everything
 * below it; a device root's name is not part of it (it is the member name
 * in the parent).
 */
JsonNode *qidl_json_from_node(const QidlNode *node);

/**
 * qidl_json_to_node:
 * @tree: the tree to build in
 * @json: typed JSON, as qidl_json_from_node() makes it
 * @name: (nullable): the name of the resulting node, and the first
 *   component of the paths in error messages
 * @error: return location for a GError
 *
 * Converts typed JSON back into a detached node, without recursion.  Fails
 * with QIDL_ERROR_INVALID naming the path of the value (`rtc.cmos_data[3]:
 * value 300 does not fit uint8`) for anything that is not the typed form,
 * and with QIDL_ERROR_LIMIT when structs and lists nest deeper than
 * QIDL_LIMIT_DEPTH + 1, a list has more than QIDL_LIMIT_LIST_LEN elements,
 * bytes more than QIDL_LIMIT_LIST_LEN bytes, a string more than
 * QIDL_LIMIT_STRING_LEN bytes or a name more than QIDL_LIMIT_NAME_LEN.  On
 * failure nothing is attached anywhere; nodes already made stay, detached,
 * in @tree's arena until it is freed.
 *
 * Returns: (transfer none) (nullable): the node, owned by @tree.
 */
QidlNode *qidl_json_to_node(QidlTree *tree, JsonNode *json, const char *name,
                            GError **error);

/**
 * qidl_json_parse:
 * @text: JSON text
 * @len: its length, or -1 if NUL-terminated
 * @error: return location for a GError
 *
 * Parses JSON text, bounded and strict.  More than QIDL_LIMIT_JSON_LEN
 * bytes or brackets and braces nested deeper than QIDL_LIMIT_DEPTH + 2 (see
 * Depth above) fail with QIDL_ERROR_LIMIT before json-glib's parser, which
 * recurses, runs: one pass over the text counts nesting outside strings.
 * The same pass refuses, with QIDL_ERROR_INVALID, what JSON does not allow
 * and json-glib would (see Strictness above).  A syntax error is
 * QIDL_ERROR_INVALID with the line and column ("<data>:3:14: ..."); those
 * json-glib finds carry its own message and position.  A text with no
 * value is QIDL_ERROR_INVALID.
 *
 * Returns: (transfer full) (nullable): the root, free with json_node_unref().
 */
JsonNode *qidl_json_parse(const char *text, gssize len, GError **error);

/**
 * qidl_json_to_string:
 * @json: a JSON node
 * @pretty: indent with two spaces and end with a newline; otherwise one
 *   line without spaces and without a newline
 *
 * Prints with json-glib's generator (`"name" : value` when pretty), then
 * repairs in one pass what json-glib 1.6 gets wrong: it writes 0x1f raw in
 * strings, appends ".0" to doubles such as 1e+17 (making "1e+17.0", which
 * no parser reads) and writes an empty object as "{  }".  The generator
 * recurses, so @json should be bounded (as qidl_json_parse() and trees of
 * visits guarantee).
 *
 * Returns: (transfer full): the JSON text.
 */
char *qidl_json_to_string(JsonNode *json, gboolean pretty);

/**
 * qidl_json_output_visitor_new:
 * @out: (out) (transfer full): where qidl_visitor_complete() stores the
 *   typed JSON of the top-level value; must outlive the visitor.  Unchanged
 *   if the visit does not complete.
 *
 * Errors are the tree output visitor's; completing without having visited
 * anything is QIDL_ERROR_INVALID.
 *
 * Returns: (transfer full): an output visitor.
 */
QidlVisitor *qidl_json_output_visitor_new(JsonNode **out);

/**
 * qidl_json_input_visitor_new:
 * @json: (transfer none): typed JSON of the value to load
 * @flags: #QidlTreeInputFlags
 * @error: return location for a GError
 *
 * Converts @json to a tree with qidl_json_to_node(), then reads it as
 * qidl_tree_input_visitor_new() does: the visit's errors (kind and width
 * mismatches, missing and leftover fields, counts) carry the visit's
 * paths.  The top-level name is known only to the visit, so the
 * conversion's errors name paths below it ("cmos[3]: value 300 does not
 * fit uint8").  @json is not referenced after this returns.
 *
 * Returns: (transfer full) (nullable): an input visitor, or NULL with
 * @error set if @json is not the typed form.
 */
QidlVisitor *qidl_json_input_visitor_new(JsonNode *json,
                                         QidlTreeInputFlags flags,
                                         GError **error);

G_END_DECLS

#endif /* QIDL_JSON_H */
