#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Pre-flight on a real QEMU migration stream, as TAP:
#
#   test-qemu-preflight.sh QIDL
#
# Runs the QEMU installed here (skipped without qemu-system-x86_64): dumps
# its vmstate (-dump-vmstate) and saves a stopped pc machine's migration
# stream, then checks the stream against the dump (every device accepted)
# and against the dump with the RTC's section made version 2 (the stream
# carries version 3: that device is refused by name).
set -u

qidl=$1
qemu=$(command -v qemu-system-x86_64 || true)
echo "1..2"
if [ -z "$qemu" ]; then
    echo "ok 1 # SKIP qemu-system-x86_64 is not installed"
    echo "ok 2 # SKIP qemu-system-x86_64 is not installed"
    exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$qemu" -M pc-i440fx-7.2 -nodefaults -display none \
    -dump-vmstate "$dir/dump.json" >/dev/null 2>&1
{
    printf '{"execute":"qmp_capabilities"}\n'
    printf '{"execute":"migrate","arguments":{"uri":"exec:cat > %s"}}\n' \
        "$dir/vm.mig"
    # Wait for the migration to complete, then quit.
    i=0
    while [ $i -lt 100 ]; do
        sleep 0.1
        printf '{"execute":"query-migrate"}\n'
        grep -q '"status": "completed"' "$dir/qmp.log" 2>/dev/null && break
        i=$((i + 1))
    done
    printf '{"execute":"quit"}\n'
} | timeout 60 "$qemu" -M pc-i440fx-7.2 -m 32 -nodefaults -display none \
    -S -qmp stdio >"$dir/qmp.log" 2>&1
if [ ! -s "$dir/vm.mig" ] || [ ! -s "$dir/dump.json" ]; then
    echo "ok 1 # SKIP QEMU did not produce a stream here"
    echo "ok 2 # SKIP QEMU did not produce a stream here"
    exit 0
fi

if "$qidl" compat --format qemu-vmstate --stream "$dir/vm.mig" \
        "$dir/dump.json" >"$dir/out" 2>&1 &&
   grep -q '^/qemu/mc146818rtc/0 (mc146818rtc): mc146818rtc: compatible (device-accepted)' "$dir/out" &&
   grep -q '^the destination can load every device of this stream$' "$dir/out"; then
    echo "ok 1 - a QEMU stream loads into the QEMU that wrote it"
else
    echo "not ok 1 - a QEMU stream loads into the QEMU that wrote it"
    sed 's/^/# /' "$dir/out"
fi

sed '/^  "mc146818rtc": {/,/"Description"/ s/"version_id": 3/"version_id": 2/' \
    "$dir/dump.json" >"$dir/old.json"
"$qidl" compat --format qemu-vmstate --stream "$dir/vm.mig" \
    "$dir/old.json" >"$dir/out" 2>&1
status=$?
if [ $status -eq 1 ] &&
   grep -q '^/qemu/mc146818rtc/0 (mc146818rtc): mc146818rtc: breaking (version-not-accepted): version 3: mc146818rtc loads versions 1 to 2$' "$dir/out"; then
    echo "ok 2 - a device the destination cannot load is named"
else
    echo "not ok 2 - a device the destination cannot load is named (status $status)"
    sed 's/^/# /' "$dir/out"
fi
