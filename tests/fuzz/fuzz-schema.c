/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The schema readers (schema.h): qidl_schema_load_data() for qidl-extract
 * schemas and QEMU -dump-vmstate files.  Byte 0 picks the format (even,
 * as "p": qidl-extract; odd, as "Q": QEMU); the rest is the file.
 *
 * Promises checked: a failed load leaves the schema unchanged (empty); a
 * loaded schema compared with itself has no breaking change.
 */
#include <qidl/schema.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QidlSchemaFormat format;
    g_autoptr(QidlSchema) schema = NULL;
    g_autoptr(QidlSchemaReport) report = NULL;
    g_autoptr(GError) error = NULL;

    if (size < 1) {
        return 0;
    }
    format = (data[0] & 1) ? QIDL_SCHEMA_FORMAT_QEMU_VMSTATE
                           : QIDL_SCHEMA_FORMAT_QIDL;
    schema = qidl_schema_new(format);
    if (!qidl_schema_load_data(schema, (const char *)data + 1, size - 1,
                               "fuzz.json", &error)) {
        FUZZ_CHECK(error->domain == QIDL_ERROR, "no QIDL error");
        FUZZ_CHECK(qidl_schema_get_n_types(schema) == 0,
                   "a failed load added types");
        return 0;
    }
    report = qidl_schema_compare(schema, schema, NULL, &error);
    if (!report) {
        FUZZ_CHECK(error->domain == QIDL_ERROR && error->code == QIDL_ERROR_LIMIT,
                   "comparing a schema with itself: %s", error->message);
        return 0;
    }
    FUZZ_CHECK(qidl_schema_report_get_n_breaking(report) == 0,
               "a schema is incompatible with itself:\n%s",
               qidl_schema_report_to_text(report));
    return 0;
}
