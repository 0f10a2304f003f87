#!/bin/sh
# The main job: install the dependencies, build and install Tessera (into
# ./_install), generate the spike trains of the reference application
# (100 neurons x 500 bins) and run the neurons workflow with the original
# parameters (maxlag 200, 200 surrogates, seed 2398645, delta 1782324) on
# local MPI workers. Prints where the results are, how long it took, the
# run's report (tessera report) and where its Gantt chart is.
# Usage (as root on Debian 12): bash scripts/main.sh [WORKERS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
workers=${1:-2}
prefix="$top/_install"

sh "$top/scripts/install-deps.sh"
sh "$top/scripts/build.sh" "$top/_build-main" --prefix="$prefix"
make -C "$top/_build-main" install >/dev/null

out="$top/neurons-demo"
mkdir -p "$out"
"$prefix/bin/tessera-gen-spikes" "$out/spikes.h5" --neurons 100 --bins 500 --seed 1 >/dev/null
run="$out/run-$(date +%Y%m%d-%H%M%S)"
start=$(date +%s%N)
"$prefix/bin/tessera" run "$prefix/share/tessera/examples/neurons/cc_surrogates.xml" \
    --param spikes="$out/spikes.h5" -n "$workers" --slots 1 --run-dir "$run"
end=$(date +%s%N)
echo "main job: neurons analysis (100 neurons, 500 bins, maxlag 200, 200 surrogates)"
echo "main job: results in $run/results.h5 (datasets /cc_original, /cc_surrs)"
echo "main job: task trace in $run/trace.csv, workers in $run/workers.txt"
ms=$(( (end - start) / 1000000 ))
printf 'main job: took %d.%03d s end to end (tessera run)\n' $((ms / 1000)) $((ms % 1000))
echo
"$prefix/bin/tessera" report "$run" --gantt "$run/gantt.svg" --trace "$run/trace.json"
echo
echo "main job: Gantt chart of the run (open it in a browser): $run/gantt.svg"
echo "main job: the same in Perfetto (ui.perfetto.dev): $run/trace.json; HDF5 trace: $run/trace.h5"
