# Shared by test-all.sh, run-main.sh and update-abi.sh (sourced, not run).
# Defines how the optimized build is configured, in one place.

# The Debian toolchain and interpreter that install-deps.sh installed come
# first, ahead of any other python3 (pyenv, venvs) on PATH.
export PATH="/usr/bin:/bin:$PATH"

RELEASE_DIR=build-release
# Optimized (-O3, NDEBUG) with debug info kept: abidw/abidiff read the ABI
# from DWARF, so the ABI test runs on the same library the tests exercise.
RELEASE_OPTS="-Doptimization=3 -Ddebug=true -Db_ndebug=true -Dwerror=true"

# configure DIR OPTIONS...: sets up DIR, or reconfigures it in place (which
# re-reads the header and test lists) when it already exists.
configure() {
    dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@"
    else
        rm -rf "$dir"
        meson setup "$dir" "$@"
    fi
}

# Prints "name: N s" for a phase that started at $1 (a $SECONDS value).
timing() {
    echo "== $2 took $((SECONDS - $1)) s" >&2
}
