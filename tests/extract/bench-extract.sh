#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Prints qidl-extract's time against `clang -fsyntax-only` on the same
# files (goal: at most 1.3x).  A benchmark, not a timed test: run it with
# `meson test --benchmark` or directly: bench-extract.sh EXTRACT DIR [N]
set -eu
extract=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$2
rounds=${3:-20}
clang=$(command -v clang || command -v clang-14 || command -v clang-16)
qidl_inc=$(cd "$(dirname "$0")/../../libqidl/include" && pwd)
glib=$(pkg-config --cflags-only-I glib-2.0)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s%N; }

cd "$dir"
t0=$(now)
for i in $(seq "$rounds"); do
    for h in *.h; do
        "$clang" -fsyntax-only -x c "$h" -I"$qidl_inc" $glib
    done
done
t1=$(now)
for i in $(seq "$rounds"); do
    for h in *.h; do
        "$extract" "$h" -o "$tmp"
    done
done
t2=$(now)
syn=$(( (t1 - t0) / 1000000 ))
ext=$(( (t2 - t1) / 1000000 ))
echo "clang -fsyntax-only: ${syn} ms for $rounds rounds of $(ls *.h | wc -l) files"
echo "qidl-extract:        ${ext} ms"
awk -v a="$ext" -v b="$syn" 'BEGIN { printf "ratio: %.2fx (goal <= 1.30x)\n", a / b }'
