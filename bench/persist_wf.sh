#!/bin/sh
# bench/persist_wf.sh BUILD_DIR [NBLOCKS] [WORKERS]: the cost of iterating
# NBLOCKS (default 10^5) blocks of a complete object in an XML workflow
# run by `tessera run -n WORKERS` (default 1): the loop alone, the loop
# with one task per block, and the baseline, as many tasks on the rows of
# an ordinary array read from an HDF5 file; each minus the time of the same run over 1 block (the
# start-up). Prints seconds and microseconds per block. docs/store.md,
# "Figures".
set -eu
build=$(cd "${1:?usage: persist_wf.sh BUILD_DIR [NBLOCKS] [WORKERS]}" && pwd)
n=${2:-100000}
w=${3:-1}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/persist_wf.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export TESS_SCHEMA_DIR="$src/schemas"
export TESS_KERNEL_PATH="$build/examples/neurons/.libs"
tessera="$build/launcher/tessera"
"$build/tests/prog/store_prog" produce "$tmp/st" Many "$n" 1 1 --no-sync >/dev/null
"$build/tests/prog/store_prog" produce "$tmp/st" One 1 1 1 --no-sync >/dev/null
"$build/workflow/test/wf_mkh5" "$tmp/plain.h5" /data f64 "$n" 1
secs() { # the wall time of a command, in seconds
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    echo "$(date +%s.%N) - $t0" | bc -l
}
run() { secs "$tessera" run "$@" --store "$tmp/st" -n "$w" --run-dir "$tmp/r.$$.$(date +%N)"; }
one=$(run "$src/bench/persist-iterate.xml" -p object=One -p tasks=1)
meet=$(run "$src/bench/persist-iterate.xml" -p tasks=0)
tasks=$(run "$src/bench/persist-iterate.xml" -p tasks=1)
plain=$(run "$src/bench/persist-iterate-plain.xml" -p file="$tmp/plain.h5")
per() { echo "($1 - $one) * 1000000 / $n" | bc -l; }
printf 'iterate %d blocks in a workflow (-n %d, start-up %.2f s): loop alone %.2f s (%.1f us/block); one task per block %.2f s (%.1f us/block); ordinary array %.2f s (%.1f us/task)\n' \
    "$n" "$w" "$one" "$meet" "$(per "$meet")" "$tasks" "$(per "$tasks")" "$plain" "$(per "$plain")"
