#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# docs/generator.md shows the real generated code of one device: the block
# between "<!-- BEGIN uart.qidl.c -->" and "<!-- END uart.qidl.c -->" (a
# ```c fence inside) must equal the freshly generated uart.qidl.c's visit
# function.  Usage: check-docs.sh DOC GENERATED_C
set -eu
doc=$1
gen=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -n '/<!-- BEGIN uart.qidl.c -->/,/<!-- END uart.qidl.c -->/p' "$doc" |
    sed '1,2d;$d' | sed '$d' > "$tmp/doc"
sed -n '/^\/\* uart.h:[0-9]* UARTState \*\/$/,/^}$/p' "$gen" |
    sed -n '1,/^}$/p' > "$tmp/gen"
if [ ! -s "$tmp/gen" ]; then
    echo "no qidl_visit_UARTState in $gen" >&2
    exit 1
fi
if ! diff -u "$tmp/doc" "$tmp/gen"; then
    echo "docs/generator.md is out of date: paste the diff above into it" >&2
    exit 1
fi
