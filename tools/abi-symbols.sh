#!/bin/sh
# abi-symbols.sh LIB: prints the dynamic symbols LIB defines, one per line,
# sorted, as nm names them (mech_foo@@MECH_0, plus the version node MECH_0).
set -eu
nm -D --defined-only "$1" | awk '{ print $NF }' | LC_ALL=C sort
