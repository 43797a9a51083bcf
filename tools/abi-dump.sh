#!/bin/sh
# abi-dump.sh LIB HEADERS_DIR: writes the ABI description of LIB (public types
# and functions only, without paths or line numbers) to stdout.
# LIB must carry debug info (-g).
set -eu
exec abidw --headers-dir "$2" --drop-private-types --no-corpus-path \
    --no-comp-dir-path --no-show-locs --no-elf-needed "$1"
