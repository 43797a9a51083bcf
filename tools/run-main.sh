#!/bin/bash
# The main job (README "Quick start"): install the packages, build the
# optimized library, then show `mechanics version` and `mechanics demo`
# from the build tree.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

bash tools/install-deps.sh
log=$(mktemp)
configure "$RELEASE_DIR" $RELEASE_OPTS > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
rm -f "$log"
ninja -C "$RELEASE_DIR" >&2
"$RELEASE_DIR/src/mechanics" version
"$RELEASE_DIR/src/mechanics" demo
