#!/bin/bash
# The full test run (README "Quick start"; CI runs it through .ci/run):
#   1. install the Debian packages          4. valgrind on the fast suite
#   2. optimized build, every suite          5. install + build an example
#   3. ASan+UBSan build, fast suite             with pkg-config only
# Ends with one line "N passed, N failed, N skipped" summing every pass and
# exits non-zero if anything failed. Test lists come from meson, so modules
# and headers added later are picked up without editing this file.
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

PASSED=0 FAILED=0 SKIPPED=0
START=$SECONDS

# count P F S: adds to the totals.
count() { PASSED=$((PASSED + $1)) FAILED=$((FAILED + $2)) SKIPPED=$((SKIPPED + $3)); }

# run_suites LABEL BUILD_DIR LOG [meson test args...]: runs meson test and
# adds its per-case results (from the JSON test log) to the totals.
run_suites() {
    label=$1 dir=$2 log=$3
    shift 3
    rm -f "$dir/meson-logs/$log"
    meson test -C "$dir" --print-errorlogs "$@"
    if [ -f "$dir/meson-logs/$log" ]; then
        read -r p f s < <(python3 tools/tally.py "$dir/meson-logs/$log")
        echo "== $label: $p passed, $f failed, $s skipped" >&2
        count "$p" "$f" "$s"
    else
        echo "== $label: meson test left no log" >&2
        count 0 1 0
    fi
}

finish() {
    echo "== total time $((SECONDS - START)) s" >&2
    echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
    # A run that passed nothing proves nothing.
    [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
    exit $?
}

t=$SECONDS
if ! bash tools/install-deps.sh; then
    count 0 1 0
    finish
fi
timing $t "install-deps"

# 2. Optimized build: every suite (fast, slow, abi, hygiene, python...).
t=$SECONDS
if ! configure "$RELEASE_DIR" $RELEASE_OPTS || ! ninja -C "$RELEASE_DIR"; then
    echo "== optimized build failed" >&2
    count 0 1 0
    finish
fi
timing $t "optimized build"
t=$SECONDS
run_suites "optimized" "$RELEASE_DIR" testlog.json
timing $t "optimized tests"

# 3. AddressSanitizer + UndefinedBehaviorSanitizer, fast suite; any report
# is fatal.
t=$SECONDS
if configure build-asan -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all && ninja -C build-asan; then
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        run_suites "sanitizers" build-asan testlog.json --suite fast
else
    echo "== sanitizer build failed" >&2
    count 0 1 0
fi
timing $t "sanitizers"

# 4. Valgrind (memcheck) on the optimized build's fast suite.
t=$SECONDS
run_suites "valgrind" "$RELEASE_DIR" testlog-valgrind.json --setup=valgrind --suite fast
timing $t "valgrind"

# 5. Install into a scratch root and build against it with pkg-config only.
t=$SECONDS
read -r p f < <(bash tools/install-test.sh "$RELEASE_DIR" | tail -n 1)
count "${p:-0}" "${f:-1}" 0
timing $t "install test"

finish
