/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The typed JSON form
 *
 * Device state as JSON that loses nothing: a uint8 read back is a uint8, a
 * list keeps its order, a struct its field order.  It is for people (read
 * and edit state with jq) and for tests.  docs/json-format.md specifies it;
 * in short:
 *
 *     struct   -> object, members in field order
 *     list     -> array
 *     bool     -> true / false
 *     string   -> "text"
 *     int8..uint32, float, double -> {"u8": 16}, {"i32": -1}, {"f64": 1.5}
 *     int64, uint64 -> {"i64": "-5"}, {"u64": "18446744073709551615"}
 *                 (decimal strings: jq and JavaScript round numbers above
 *                 2^53)
 *     non-finite float/double -> {"f64": "nan"}, "inf", "-inf"
 *     bytes    -> {"bytes": "00ff10"} (lower-case hex)
 *
 * A device root carries its information in a "$device" member placed
 * first: {"$device": {"type": "mc146818rtc", "path": "/machine/rtc",
 * "version": 3}, ...fields}.  Field names never start with '$'.
 *
 * The JSON visitors go through the tree: the output visitor builds a tree
 * and converts it when the visit completes; the input visitor converts the
 * JSON to a tree first and then reads it like a tree input visitor, with
 * the same checks and the same error paths.
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
 * Returns: (transfer full): the typed JSON form of @node and everything
 * below it.
 */
JsonNode *qidl_json_from_node(const QidlNode *node);

/**
 * qidl_json_to_node:
 * @tree: the tree to build in
 * @json: typed JSON, as qidl_json_from_node() makes it
 * @name: (nullable): the name of the resulting node
 * @error: return location for a GError
 *
 * Converts typed JSON back into a detached node.  Fails with
 * QIDL_ERROR_INVALID naming the JSON path (`rtc.cmos_data[3]: value 300
 * does not fit uint8`) for anything that is not the typed form, and with
 * QIDL_ERROR_LIMIT when it nests deeper than QIDL_LIMIT_DEPTH.
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
 * Parses JSON text, bounded: more than QIDL_LIMIT_JSON_LEN bytes or
 * nesting deeper than QIDL_LIMIT_DEPTH fails with QIDL_ERROR_LIMIT before
 * the parser runs; a syntax error is QIDL_ERROR_INVALID with the line and
 * column ("<data>:3:14: ...").
 *
 * Returns: (transfer full) (nullable): the root, free with json_node_unref().
 */
JsonNode *qidl_json_parse(const char *text, gssize len, GError **error);

/**
 * qidl_json_to_string:
 * @json: a JSON node
 * @pretty: indent with two spaces and end with a newline
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
 * Returns: (transfer full): an output visitor.
 */
QidlVisitor *qidl_json_output_visitor_new(JsonNode **out);

/**
 * qidl_json_input_visitor_new:
 * @json: (transfer none): typed JSON of the value to load
 * @flags: #QidlTreeInputFlags
 * @error: return location for a GError
 *
 * Converts @json to a tree, then reads it as qidl_tree_input_visitor_new()
 * does.
 *
 * Returns: (transfer full) (nullable): an input visitor, or NULL with
 * @error set if @json is not the typed form.
 */
QidlVisitor *qidl_json_input_visitor_new(JsonNode *json,
                                         QidlTreeInputFlags flags,
                                         GError **error);

G_END_DECLS

#endif /* QIDL_JSON_H */
