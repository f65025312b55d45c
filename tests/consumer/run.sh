#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds tests/consumer, a project outside QIDL, twice: with QIDL as a
# subproject, and against an installed QIDL (its pkg-config file and
# qidl-extract on PATH); runs its test each time, and checks that the
# depfile makes ninja regenerate exactly when an included header changes.
# No network: the subproject is a symlink to this source tree.
# Usage: run.sh SOURCE_ROOT BUILD_ROOT
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

copy_consumer() {
    mkdir -p "$1"
    cp -r "$src/tests/consumer/." "$1/"
}

# Regeneration: nothing to do after a build; touching the included
# header reruns the extractor.
check_rebuilds() {
    build=$1
    proj=$2
    out=$(ninja -C "$build")
    case "$out" in
    *"no work to do"*) ;;
    *) echo "second build was not a no-op:"; echo "$out"; exit 1 ;;
    esac
    sleep 1
    touch "$proj/include/widget-regs.h"
    out=$(ninja -C "$build")
    case "$out" in
    *widget.qidl*) ;;
    *) echo "touching widget-regs.h did not regenerate:"; echo "$out"
       exit 1 ;;
    esac
}

echo "== as a subproject"
copy_consumer "$tmp/sub"
mkdir -p "$tmp/sub/subprojects"
ln -s "$src" "$tmp/sub/subprojects/qidl"
meson setup "$tmp/sub/build" "$tmp/sub" --force-fallback-for=qidl \
    -Dqidl:tests=disabled > "$tmp/sub.log" 2>&1 || { cat "$tmp/sub.log"; exit 1; }
ninja -C "$tmp/sub/build" > "$tmp/sub-build.log" 2>&1 || { cat "$tmp/sub-build.log"; exit 1; }
meson test -C "$tmp/sub/build" --print-errorlogs consumer
check_rebuilds "$tmp/sub/build" "$tmp/sub"

echo "== installed"
prefix="$tmp/prefix"
meson setup "$tmp/qidl-build" "$src" --prefix "$prefix" -Dtests=disabled \
    > "$tmp/inst.log" 2>&1 || { cat "$tmp/inst.log"; exit 1; }
ninja -C "$tmp/qidl-build" > "$tmp/inst-build.log" 2>&1 || { cat "$tmp/inst-build.log"; exit 1; }
meson install -C "$tmp/qidl-build" > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }
pc=$(dirname "$(find "$prefix" -name qidl.pc | head -n 1)")
lib=$(dirname "$(find "$prefix" -name 'libqidl.so*' | head -n 1)")
copy_consumer "$tmp/inst"
PATH="$prefix/bin:$PATH" PKG_CONFIG_PATH="$pc" LD_LIBRARY_PATH="$lib" \
    meson setup "$tmp/inst/build" "$tmp/inst" > "$tmp/c.log" 2>&1 || { cat "$tmp/c.log"; exit 1; }
grep -q "$prefix/bin/qidl-extract" "$tmp/c.log" || {
    echo "did not use the installed qidl-extract"; cat "$tmp/c.log"; exit 1; }
PATH="$prefix/bin:$PATH" LD_LIBRARY_PATH="$lib" ninja -C "$tmp/inst/build" > "$tmp/c-build.log" 2>&1 || { cat "$tmp/c-build.log"; exit 1; }
LD_LIBRARY_PATH="$lib" meson test -C "$tmp/inst/build" --print-errorlogs consumer
PATH="$prefix/bin:$PATH" check_rebuilds "$tmp/inst/build" "$tmp/inst"
echo "consumer: both builds pass"
