#!/bin/sh
# check-header.sh HEADER INCDIR COMPILER [FLAGS...]: fails unless the public
# header compiles alone (included twice, to test its guard) with the given
# compiler and flags, and includes nothing but <stddef.h>, <stdint.h>,
# <stdbool.h> and other mechanics headers.
set -eu
header=$1 incdir=$2
shift 2

bad=$(grep -E '^[[:space:]]*#[[:space:]]*include' "$incdir/$header" |
      grep -v -E '<(stddef|stdint|stdbool)\.h>|["<]mechanics/[a-z0-9_]+\.h[">]' || true)
if [ -n "$bad" ]; then
    echo "$header includes more than <stddef.h>, <stdint.h>, <stdbool.h> and mechanics headers:"
    echo "$bad"
    exit 1
fi

printf '#include <%s>\n#include <%s>\nint main(void) { return 0; }\n' \
    "$header" "$header" | "$@" -I"$incdir" -fsyntax-only -
