#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The build-time check on a fixture device, as TAP:
#
#   test-build-check.sh CHECK-SCHEMAS QIDL COMMITTED GOOD BROKEN
#
# GOOD is the schema this build generated from widget.h (changed
# compatibly since the committed one): the check must pass.  BROKEN is
# the one generated from widget-broken.h: the check must fail, and its
# message must name the device and the fields.
set -u

check=$1
qidl=$2
committed=$3
good=$4
broken=$5
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "1..2"

if "$check" "$qidl" "$committed" "$good" >"$out" 2>&1; then
    echo "ok 1 - a compatible change passes the check"
else
    echo "not ok 1 - a compatible change passes the check"
    sed 's/^/# /' "$out"
fi

"$check" "$qidl" "$committed" "$broken" >"$out" 2>&1
status=$?
if [ $status -eq 1 ] &&
   grep -q '^WidgetState.mode: breaking (width-changed): uint16 -> uint8' "$out" &&
   grep -q '^WidgetState.status: breaking (version-not-bumped)' "$out" &&
   grep -q "error: device state changed incompatibly" "$out" &&
   grep -q "make update-schemas" "$out"; then
    echo "ok 2 - an incompatible change fails the check naming device and field"
else
    echo "not ok 2 - an incompatible change fails the check naming device and field (status $status)"
    sed 's/^/# /' "$out"
fi
