#!/bin/sh
# apt-install.sh PACKAGE...: installs the packages that are missing, without
# prompts or recommended extras. Shared by install-deps.sh and
# install-bench-deps.sh.
set -eu
export DEBIAN_FRONTEND=noninteractive

missing=""
for p in "$@"; do
    status=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing="$missing $p"
done

if [ -z "$missing" ] && [ "${MECH_FORCE_APT:-0}" != 1 ]; then
    echo "install-deps: all $# packages present" >&2
    exit 0
fi

if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
else
    echo "install-deps: missing packages:$missing; run as root to install them" >&2
    exit 1
fi

echo "install-deps: installing$missing" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
