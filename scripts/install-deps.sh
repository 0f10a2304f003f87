#!/bin/sh
# Install Tessera's build, test and run dependencies from Debian 12 packages.
# Idempotent: installs only what is missing (fast the second time).
# --bench: also what the benchmark suite needs (`make bench`, through
# scripts/bench.sh): the peers StarPU and Dask, and strace.
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
libhdf5-dev hdf5-tools openmpi-bin libopenmpi-dev libxml2-dev libxml2-utils
libcunit1-dev slurmctld slurmd slurm-client munge libslurm-dev
python3-numpy python3-h5py graphviz clang libclang-rt-14-dev valgrind"
BENCH_PKGS="libstarpu-dev python3-distributed strace"
if [ "${1:-}" = "--bench" ]; then
    PKGS="$PKGS $BENCH_PKGS"
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
    exit 2
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
