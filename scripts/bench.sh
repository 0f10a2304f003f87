#!/bin/sh
# Run the benchmark suite: scripts/bench.sh [--quick] [bench.py options...]
# (what `make bench` and `make bench-quick` run, from the build directory).
#
# Full runs first install what the suite needs (install-deps.sh --bench:
# StarPU and Dask, the peers it compares with, and strace); if StarPU
# arrived after the build was configured, the build is reconfigured so
# bench/tb_starpu exists. Quick runs (CI's smoke test) install nothing and
# skip the peers that are missing. Results: bench/results.md and .csv in
# the source tree (quick: in the build tree); see docs/performance.md.
set -eu
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${TOP_BUILDDIR:-$(pwd)}
quick=no
for a in "$@"; do
    [ "$a" = "--quick" ] && quick=yes
done

if [ "$quick" = no ]; then
    sh "$top/scripts/install-deps.sh" --bench ||
        echo "bench: could not install the bench packages; peers that are missing are skipped" >&2
    if [ ! -x "$build/bench/tb_starpu" ] && pkg-config --exists starpu-1.3; then
        echo "bench: StarPU found, reconfiguring $build" >&2
        (cd "$build" && ./config.status --recheck >/dev/null && ./config.status >/dev/null)
    fi
fi
make -C "$build" -j"$(nproc)" >/dev/null
exec "${PYTHON3:-python3}" "$top/bench/bench.py" "$@"
