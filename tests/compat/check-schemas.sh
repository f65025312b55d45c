#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The build-time compatibility check:
#
#   check-schemas.sh QIDL COMMITTED GENERATED [QIDL-COMPAT-OPTIONS...]
#
# compares the schemas committed for the previous release (COMMITTED, a
# file or a directory such as hw/schemas/) with the ones this build
# generated (GENERATED) and fails, naming each device and field, when a
# device's state changed in a way the previous release's streams cannot
# load.  If COMMITTED is a directory holding filters.json, those filter
# rules are applied as a destination would.
#
# Exit status: 0 compatible, 1 incompatible, 2 the check itself failed.
set -u

qidl=$1
committed=$2
generated=$3
shift 3

if [ -d "$committed" ] && [ -f "$committed/filters.json" ]; then
    set -- --filters "$committed/filters.json" "$@"
fi

"$qidl" compat "$@" "$committed" "$generated"
status=$?
case $status in
0)
    exit 0
    ;;
1)
    cat >&2 <<MSG

error: device state changed incompatibly with the previous release
       (the breaking lines above name each device and field).
       Streams saved by the previous release would not load.  Either
         - bump the struct's version in QIDL_STRUCT(version, min) and mark
           new fields QIDL(version, N), or give them a QIDL(default, V);
         - keep removed fields with a marker (derived, broken, ...);
         - add a rule to $committed/filters.json (docs/filters.md);
       or, if breaking migration from the previous release is intended,
       run 'make update-schemas' and commit the new schemas.
       docs/compat.md explains every rule.
MSG
    exit 1
    ;;
*)
    echo "error: the compatibility check could not run (status $status)" >&2
    exit 2
    ;;
esac
