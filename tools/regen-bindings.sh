#!/bin/sh
# Regenerates bindings/abi.json (from the public headers) and the ctypes
# module bindings/python/mechanics/_abi.py (from abi.json).
#   tools/regen-bindings.sh          rewrite both committed files
#   tools/regen-bindings.sh --check  generate into a temp dir and fail (exit 1)
#                                    if either committed file would change
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
abi=$root/bindings/abi.json
mod=$root/bindings/python/mechanics/_abi.py

case "${1:-}" in
"")
    "$py" "$root/bindings/gen/abi_gen.py" --root "$root" --out "$abi"
    "$py" "$root/bindings/gen/py_gen.py" --abi "$abi" --out "$mod"
    ;;
--check)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    "$py" "$root/bindings/gen/abi_gen.py" --root "$root" --out "$tmp/abi.json"
    "$py" "$root/bindings/gen/py_gen.py" --abi "$tmp/abi.json" --out "$tmp/_abi.py"
    status=0
    diff -u "$abi" "$tmp/abi.json" || status=1
    diff -u "$mod" "$tmp/_abi.py" || status=1
    if [ $status -ne 0 ]; then
        echo "generated bindings are stale: run tools/regen-bindings.sh and commit" >&2
        echo "0 passed, 1 failed"
    else
        echo "1 passed, 0 failed"
    fi
    exit $status
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac
