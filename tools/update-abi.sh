#!/bin/bash
# Regenerates the committed ABI records from a fresh optimized build:
#   abi/symbols.txt      exported dynamic symbols (tools/check-symbols.sh)
#   abi/libmechanics.abi abidw baseline of the public ABI (tools/check-abi.sh)
# Run it on purpose after an intended API change (e.g. after merging a
# module), review `git diff abi/`, and note the change in CHANGELOG.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

configure "$RELEASE_DIR" $RELEASE_OPTS > /dev/null
ninja -C "$RELEASE_DIR" > /dev/null
lib="$RELEASE_DIR/lib/libmechanics.so"
sh tools/abi-symbols.sh "$lib" > abi/symbols.txt
stray=$(grep -v -E '^(MECH_0|mech_[A-Za-z0-9_]+@@MECH_0)$' abi/symbols.txt || true)
if [ -n "$stray" ]; then
    echo "update-abi: refusing: symbols outside mech_*@@MECH_0 are exported:" >&2
    echo "$stray" >&2
    git checkout -- abi/symbols.txt 2>/dev/null || true
    exit 1
fi
sh tools/abi-dump.sh "$lib" include > abi/libmechanics.abi
echo "update-abi: $(grep -c '^mech_' abi/symbols.txt) symbols; review with: git diff --stat abi/" >&2
git diff --stat -- abi/ >&2 || true
