#!/bin/sh
# check-symbols.sh LIB EXPECTED: fails unless the exported symbols of LIB are
# exactly those listed in EXPECTED (abi/symbols.txt) and all of them are
# mech_* functions in the MECH_0 version node. After an intended API change
# regenerate the list with tools/update-abi.sh.
set -eu
lib=$1 expected=$2
here=$(dirname "$0")
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
sh "$here/abi-symbols.sh" "$lib" > "$actual"

status=0
stray=$(grep -v -E '^(MECH_0|mech_[A-Za-z0-9_]+@@MECH_0)$' "$actual" || true)
if [ -n "$stray" ]; then
    echo "symbols outside mech_*@@MECH_0 are exported:"
    echo "$stray"
    status=1
fi
if ! diff -u "$expected" "$actual"; then
    echo "exported symbols differ from $expected ('-' missing, '+' new);"
    echo "if the change is intended run tools/update-abi.sh and record it in CHANGELOG.md"
    status=1
fi
[ $status = 0 ] && echo "$(wc -l < "$actual") exported symbols match $expected"
exit $status
