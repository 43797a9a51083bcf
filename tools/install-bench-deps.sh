#!/bin/sh
# Extra packages for the benchmarks in bench/ (not needed to build or test).
set -eu
/bin/sh "$(dirname "$0")/install-deps.sh"
exec /bin/sh "$(dirname "$0")/apt-install.sh" python3-torch
