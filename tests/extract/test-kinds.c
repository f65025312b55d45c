/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qidl-extract keeps its own copy of the kind names and sizes (so it does
 * not load libqidl at run time); this test keeps the copy honest, and
 * checks the constant parser behind default() and range() at the limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "model.h"

static void test_kinds__match_libqidl(void **state)
{
    for (QidlKind k = QIDL_KIND_FIRST; k <= QIDL_KIND_LAST; k++) {
        assert_string_equal(qe_kind_name(k), qidl_kind_name(k));
        assert_int_equal(qe_kind_size(k), qidl_kind_size(k));
        assert_int_equal(qe_kind_is_integer(k), qidl_kind_is_integer(k));
        assert_int_equal(qe_kind_is_signed(k), qidl_kind_is_signed(k));
    }
    assert_null(qe_kind_name(0));
}

static gboolean fits(const char *text, QidlKind kind)
{
    QeConst c;
    gboolean ok = qe_const_parse(&c, text) && qe_const_fits(&c, kind);

    g_free(c.text);
    return ok;
}

static void test_kinds__const_limits(void **state)
{
    assert_true(fits("255", QIDL_KIND_UINT8));
    assert_false(fits("256", QIDL_KIND_UINT8));
    assert_true(fits("0", QIDL_KIND_UINT8));
    assert_false(fits("-1", QIDL_KIND_UINT8));
    assert_true(fits("-128", QIDL_KIND_INT8));
    assert_false(fits("-129", QIDL_KIND_INT8));
    assert_true(fits("127", QIDL_KIND_INT8));
    assert_false(fits("128", QIDL_KIND_INT8));
    assert_true(fits("0xffffffff", QIDL_KIND_UINT32));
    assert_false(fits("0x100000000", QIDL_KIND_UINT32));
    assert_true(fits("-9223372036854775808", QIDL_KIND_INT64));
    assert_false(fits("-9223372036854775809", QIDL_KIND_INT64));
    assert_true(fits("18446744073709551615u", QIDL_KIND_UINT64));
    assert_false(fits("18446744073709551616", QIDL_KIND_UINT64));
    assert_true(fits("1", QIDL_KIND_BOOL));
    assert_false(fits("2", QIDL_KIND_BOOL));
    assert_true(fits("(1)", QIDL_KIND_BOOL));
    assert_true(fits("-1.5", QIDL_KIND_DOUBLE));
    assert_false(fits("1.5", QIDL_KIND_INT32));
    assert_false(fits("x + 1", QIDL_KIND_INT32));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds__match_libqidl),
        cmocka_unit_test(test_kinds__const_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
