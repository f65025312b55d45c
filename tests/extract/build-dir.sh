#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# qidl-extract -p BUILDDIR, as a TAP test.  Usage: build-dir.sh EXTRACT DIR
#
# DIR (tests/extract/build-dir) holds dev.h, which parses only with the
# flags that a compile_commands.json gives for dev.c in the same
# directory: a relative -Iinclude (resolved against the entry's
# "directory") and -DDEV_FIFO_LEN=12.  Checks that -p finds that entry for
# the header, that flags after -- come on top, that without -p the header
# fails to parse, and that a build directory without the database is an
# error.
set -u

extract=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fixtures=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
echo "1..5"
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    sed 's/^/# /' "$tmp/why"
}
check() {
    if [ -s "$tmp/why" ]; then not_ok "$1"; else ok "$1"; fi
}

# The source tree and a build directory elsewhere, as meson lays them out.
mkdir -p "$tmp/src" "$tmp/build"
cp -r "$fixtures/." "$tmp/src/"
cat > "$tmp/build/compile_commands.json" <<JSON
[
  {
    "directory": "$tmp/src",
    "command": "cc -Iinclude -DDEV_FIFO_LEN=12 -std=gnu11 -fsanitize=address -Wall -o dev.o -c dev.c",
    "file": "dev.c"
  },
  {
    "directory": "$tmp/build",
    "command": "cc -DDEV_FIFO_LEN=99 -o other.o -c $tmp/elsewhere/other.c",
    "file": "$tmp/elsewhere/other.c"
  }
]
JSON

: > "$tmp/why"
if ! (cd "$tmp" && "$extract" src/dev.h -p build -o out) > "$tmp/log" 2>&1; then
    cat "$tmp/log" > "$tmp/why"
elif ! grep -q '"dims" : \[' "$tmp/out/dev.qidl.json" ||
     ! grep -A1 '"dims" : \[' "$tmp/out/dev.qidl.json" | grep -q '12'; then
    echo "fifo is not uint8_t[12]:" > "$tmp/why"
    cat "$tmp/out/dev.qidl.json" >> "$tmp/why"
fi
check "-p takes the flags of dev.c for dev.h, relative -I included"

: > "$tmp/why"
grep -q '"ctype" : "DevReg"' "$tmp/out/dev.qidl.json" 2>/dev/null ||
    echo "ctrl is not a DevReg" > "$tmp/why"
check "the -I of the database finds dev-regs.h"

: > "$tmp/why"
if ! "$extract" "$tmp/src/dev.h" -p "$tmp/build" -o "$tmp/out2" \
        -- -UDEV_FIFO_LEN -DDEV_FIFO_LEN=6 > "$tmp/log" 2>&1; then
    cat "$tmp/log" > "$tmp/why"
elif ! grep -A1 '"dims" : \[' "$tmp/out2/dev.qidl.json" | grep -q '6'; then
    echo "flags after -- did not override the database's" > "$tmp/why"
fi
check "flags after -- come after those of -p"

: > "$tmp/why"
"$extract" "$tmp/src/dev.h" -o "$tmp/out3" > "$tmp/log" 2>&1
rc=$?
[ "$rc" -eq 1 ] || echo "without -p: exit status $rc, expected 1" > "$tmp/why"
grep -q "dev-regs.h" "$tmp/log" ||
    echo "without -p: no error about dev-regs.h" >> "$tmp/why"
check "without -p the header does not parse"

: > "$tmp/why"
mkdir -p "$tmp/empty"
"$extract" "$tmp/src/dev.h" -p "$tmp/empty" -o "$tmp/out4" > "$tmp/log" 2>&1
rc=$?
[ "$rc" -eq 1 ] || echo "exit status $rc, expected 1" > "$tmp/why"
grep -q "error: cannot read .*compile_commands.json" "$tmp/log" ||
    { echo "unexpected message:"; cat "$tmp/log"; } >> "$tmp/why"
[ -e "$tmp/out4" ] && echo "wrote outputs" >> "$tmp/why"
check "-p without compile_commands.json is an error"

[ "$failed" -eq 0 ]
