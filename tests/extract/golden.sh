#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Generator goldens, as a TAP test.  Usage: golden.sh EXTRACT FIXTURES
#
#   FIXTURES/good/<name>.h   must extract, and its outputs must equal
#                            FIXTURES/good/expected/<name>.qidl.{c,h,json};
#                            the depfile must list the header and qidl.h
#   FIXTURES/bad/<name>.h    must fail with status 1 and print exactly
#                            FIXTURES/bad/<name>.err (file:line:col: error:)
#
# The extractor runs inside the fixture's directory so that paths in its
# output are the bare file names.  QIDL_UPDATE_GOLDEN=1 rewrites the
# expected files from the current output instead of comparing (review the
# diff before committing it).
set -u

extract=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fixtures=$2
update=${QIDL_UPDATE_GOLDEN:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
total=$(( $(ls "$fixtures"/good/*.h | wc -l) + $(ls "$fixtures"/bad/*.h | wc -l) ))
echo "1..$total"

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    sed 's/^/# /' "$tmp/why"
}

for h in "$fixtures"/good/*.h; do
    name=$(basename "$h" .h)
    out="$tmp/$name"
    mkdir -p "$out"
    if ! (cd "$fixtures/good" && "$extract" "$name.h" -o "$out" \
            --depfile "$out/$name.d") > "$tmp/why" 2>&1; then
        not_ok "good/$name.h extracts"
        continue
    fi
    : > "$tmp/why"
    for ext in qidl.c qidl.h qidl.json; do
        want="$fixtures/good/expected/$name.$ext"
        if [ -n "$update" ]; then
            mkdir -p "$fixtures/good/expected"
            cp "$out/$name.$ext" "$want"
        elif ! diff -u "$want" "$out/$name.$ext" >> "$tmp/why" 2>&1; then
            :
        fi
    done
    grep -q "$name.h" "$out/$name.d" || echo "depfile lacks $name.h" >> "$tmp/why"
    grep -q "qidl/qidl.h" "$out/$name.d" || echo "depfile lacks qidl.h" >> "$tmp/why"
    if [ -s "$tmp/why" ]; then
        not_ok "good/$name.h matches its goldens"
    else
        ok "good/$name.h matches its goldens"
    fi
done

for h in "$fixtures"/bad/*.h; do
    name=$(basename "$h" .h)
    out="$tmp/bad-$name"
    (cd "$fixtures/bad" && "$extract" "$name.h" -o "$out") \
        > "$tmp/stdout" 2> "$tmp/stderr"
    rc=$?
    : > "$tmp/why"
    if [ -n "$update" ]; then
        cp "$tmp/stderr" "$fixtures/bad/$name.err"
    fi
    [ "$rc" -eq 1 ] || echo "exit status $rc, expected 1" >> "$tmp/why"
    [ -e "$out" ] && echo "wrote outputs despite errors" >> "$tmp/why"
    diff -u "$fixtures/bad/$name.err" "$tmp/stderr" >> "$tmp/why" 2>&1
    if [ -s "$tmp/why" ]; then
        not_ok "bad/$name.h fails with its diagnostic"
    else
        ok "bad/$name.h fails with its diagnostic"
    fi
done

[ "$failed" -eq 0 ]
