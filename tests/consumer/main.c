/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Saves a Widget to legacy bytes and loads it back with the generated
 * code; exits 0 when the round trip is exact. */
#include <stdio.h>
#include <string.h>

#include <qidl/legacy.h>

#include "widget.qidl.h"

int main(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(QidlVisitor) out = qidl_legacy_output_visitor_new(bytes);
    g_autoptr(QidlVisitor) in = NULL;
    Widget w = { .count = 2, .fifo = { 7, 9 }, .sel = 1,
                 .window = { 1, 2 }, .tick = 5 };
    Widget back;

    memset(&back, 0, sizeof(back));
    if (!qidl_visit_Widget(out, "widget", &w, &error) ||
        !qidl_visitor_complete(out, &error)) {
        fprintf(stderr, "save: %s\n", error->message);
        return 1;
    }
    in = qidl_legacy_input_visitor_new(bytes->data, bytes->len, 0, 0);
    if (!qidl_load_Widget(in, "widget", &back, &error) ||
        !qidl_visitor_complete(in, &error)) {
        fprintf(stderr, "load: %s\n", error->message);
        return 1;
    }
    if (memcmp(&w, &back, sizeof(w)) != 0 ||
        strcmp(qidl_Widget_properties[0].name, "iobase") != 0) {
        fprintf(stderr, "round trip differs\n");
        return 1;
    }
    printf("widget: %u bytes, round trip exact\n", bytes->len);
    return 0;
}
