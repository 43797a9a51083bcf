#!/bin/bash
# The main job (README "Quick start"): install the packages, build the
# optimized library, then show `mechanics version` and run the gallery of
# reproductions in quick mode from the build tree (results, figures and
# traces in the folder given as $1, default out/gallery-quick).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

bash tools/install-deps.sh
log=$(mktemp)
configure "$RELEASE_DIR" $RELEASE_OPTS > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
rm -f "$log"
ninja -C "$RELEASE_DIR" >&2
"$RELEASE_DIR/src/mechanics" version
"$RELEASE_DIR/src/mechanics" reproduce all --quick --out "${1:-out/gallery-quick}"
