#!/bin/sh
# Install dependencies, build, and run every test of Tessera:
#   1. the normal build with warnings as errors: `make check` (unit and
#      integration tests: CUnit programs, real HDF5 files, real mpirun ranks,
#      a real Slurm cluster of 4 emulated nodes that the tests start and stop);
#   2. `make bench-quick`: the benchmark suite's smoke test (no timings);
#   3. an AddressSanitizer+UBSan build: `make check` of the unit tests.
# Usage (as root on Debian 12): bash scripts/test.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

sh "$top/scripts/install-deps.sh"

echo "== build (-Werror, with a 'mic' architecture build for the Slurm tests)"
sh "$top/scripts/build.sh" "$top/_build" --enable-werror \
    --enable-arch-builds=mic:-DTESS_MIC_BUILD=1
echo "== make check"
make -C "$top/_build" -j"$jobs" check || {
    cat "$top/_build/test-suite.log" >&2; exit 1; }

echo "== make bench-quick (the benchmark suite's smoke test: every program runs"
echo "   and computes the right graphs; no timing is asserted)"
make -C "$top/_build" bench-quick || exit 1

echo "== build (AddressSanitizer + UBSan)"
san="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
sh "$top/scripts/build.sh" "$top/_build-asan" --enable-werror \
    CFLAGS="$san" LDFLAGS="-fsanitize=address,undefined"
echo "== make check (sanitizers, unit tests)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
make -C "$top/_build-asan" -j"$jobs" check TESTS="$(make -s -C "$top/_build-asan" print-unit-tests)" || {
    cat "$top/_build-asan/test-suite.log" >&2; exit 1; }

echo "== all tests passed"
