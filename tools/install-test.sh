#!/bin/bash
# install-test.sh BUILD_DIR: installs the build into a scratch root, then
# builds examples/hello.c and examples/train_teacher.c with nothing but
# `pkg-config --cflags --libs mechanics` and runs them, runs the installed
# mechanics command, and checks that every public header was installed.
# Last line: "PASSED FAILED".
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
passed=0 failed=0

check() {
    if "$@" >&2; then
        echo "install-test: ok: $*" >&2
        passed=$((passed + 1))
    else
        echo "install-test: FAILED: $*" >&2
        failed=$((failed + 1))
    fi
}

if meson install -C "$build" --destdir "$root" > "$root.log" 2>&1; then
    pc=$(find "$root" -name mechanics.pc | head -n 1)
    lib=$(find "$root" -name 'libmechanics.so.0' | head -n 1)
    bin=$(find "$root" -type f -name mechanics -perm -u+x | head -n 1)
    # The sysroot makes pkg-config's /usr/local paths point into the root.
    export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$root
    export LD_LIBRARY_PATH=$(dirname "$lib")
    hello() {
        cc -std=c11 -Wall -Werror examples/hello.c \
            $(pkg-config --cflags --libs mechanics) -o "$root/hello" &&
            "$root/hello"
    }
    train_teacher() {
        cc -std=c11 -Wall -Werror examples/train_teacher.c \
            $(pkg-config --cflags --libs mechanics) -lm -o "$root/train_teacher" &&
            (cd "$root" && ./train_teacher "$root/train_teacher.csv") &&
            grep -q '^# library_version=' "$root/train_teacher.csv"
    }
    headers_installed() {
        inc=$(pkg-config --variable=includedir mechanics)
        diff <(cd include && find . -name '*.h' | sort) \
             <(cd "$inc" && find . -name '*.h' | sort)
    }
    check hello
    check train_teacher
    check "$bin" version
    check headers_installed
else
    cat "$root.log" >&2
    failed=4
fi
rm -f "$root.log"
echo "$passed $failed"
