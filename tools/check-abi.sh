#!/bin/sh
# check-abi.sh LIB BASELINE HEADERS_DIR: compares LIB with the committed ABI
# baseline (abi/libmechanics.abi) and fails on any difference: changed,
# removed or added functions, variables or types. Needs a library built with
# debug info; without it the test is skipped (exit 77), never passed.
set -eu
lib=$1 baseline=$2 headers=$3
if ! readelf -S "$lib" | grep -q '\.debug_info'; then
    echo "SKIP: $lib has no debug info (configure with -Ddebug=true)"
    exit 77
fi
set +e
abidiff --headers-dir2 "$headers" --drop-private-types "$baseline" "$lib"
rc=$?
set -e
# abidiff's exit code is a bit set: 1 error, 2 usage, 4 ABI change,
# 8 incompatible change. Any bit fails.
if [ $rc -ne 0 ]; then
    echo "abidiff exit code $rc (1 error, 2 usage, 4 change, 8 incompatible)"
    echo "if the change is intended run tools/update-abi.sh and record it in CHANGELOG.md"
    exit 1
fi
echo "ABI of $lib matches $baseline"
