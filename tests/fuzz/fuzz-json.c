/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The typed JSON readers of device state (json.h): qidl_json_parse(),
 * qidl_json_to_node() and the JSON input visitor.
 *
 * Promises checked: typed JSON that converts to a node converts back to
 * JSON that parses and converts to an equal node (lossless); loading it
 * into a fixture (the one its "$device" type names, else one picked by
 * the input's length) fails atomically.
 */
#include <string.h>

#include <qidl/json.h>

#include "fixtures.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) json = qidl_json_parse((const char *)data, size,
                                               &error);
    g_autoptr(QidlTree) tree = NULL;
    g_autoptr(JsonNode) back = NULL;
    g_autofree char *text = NULL;
    g_autoptr(JsonNode) json2 = NULL;
    g_autoptr(QidlVisitor) v = NULL;
    const FuzzFixture *fx;
    QidlNode *node, *node2;
    void *obj;

    if (!json) {
        FUZZ_CHECK(error->domain == QIDL_ERROR, "no QIDL error");
        return 0;
    }
    tree = qidl_tree_new();
    node = qidl_json_to_node(tree, json, "top", &error);
    if (!node) {
        return 0;
    }
    back = qidl_json_from_node(node);
    text = qidl_json_to_string(back, size & 1);
    json2 = qidl_json_parse(text, -1, &error);
    FUZZ_CHECK(json2, "our own JSON does not parse: %s\n%s", error->message,
               text);
    node2 = qidl_json_to_node(tree, json2, "top", &error);
    FUZZ_CHECK(node2, "our own JSON does not convert: %s\n%s",
               error->message, text);
    FUZZ_CHECK(qidl_node_equal(node, node2), "JSON round trip differs:\n%s",
               text);

    fx = qidl_node_is_device(node) ?
        fuzz_fixture_find(qidl_node_get_type_name(node)) : NULL;
    if (!fx) {
        fx = &fuzz_fixtures[size % fuzz_n_fixtures];
    }
    v = qidl_json_input_visitor_new(json, 0, &error);
    FUZZ_CHECK(v, "converted once, not twice: %s", error->message);
    obj = fuzz_fixture_new(fx, 4);
    fuzz_fixture_load_checked(fx, v, obj);
    fuzz_fixture_free(fx, obj);
    return 0;
}
