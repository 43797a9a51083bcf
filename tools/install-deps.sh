#!/bin/sh
# Installs every Debian 12 package the build and the test suites need.
# Idempotent: when everything is already installed it changes nothing
# (set MECH_FORCE_APT=1 to run apt-get anyway). Run as root (or with sudo).
set -eu

PACKAGES="
build-essential gcc g++ meson ninja-build pkg-config
libblis-dev liblapack-dev check
abigail-tools valgrind binutils
python3 python3-numpy python3-scipy python3-pytest python3-pycparser
python3-matplotlib
git ca-certificates
"

exec /bin/sh "$(dirname "$0")/apt-install.sh" $PACKAGES
