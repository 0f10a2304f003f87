#!/bin/sh
# The scheduler's locality for blocks of persistent objects: a task that
# reads a block written on worker W runs on W when W has a free slot, and
# reads it from W's memory (trace.csv: worker, cache_hits). Eight blocks
# of 128 KiB (fragment files of their writers, hard-linked into the store)
# are written by eight tasks on two workers of eight slots each; after a
# barrier, one task per block sums it.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
mkdir st
expect_exit 0 timeout -s KILL 300 "$TESSERA" run "$TOP_SRCDIR/tests/wfrun/store-blocks.xml" \
    -p n=8 -p read=1 --store "$SCRATCH/st" -n 2 --slots 8 --run-dir run
# task b+1 wrote block b, task b+9 read it
awk -F, 'NR > 1 && $16 == "ok" { w[$1] = $4; hits[$1] = $14 }
    END {
        used[1] = used[2] = 0
        for (b = 0; b < 8; b++) {
            wr = b + 1; rd = b + 9
            if (!(wr in w) || !(rd in w)) { print "missing task " wr " or " rd; bad = 1; continue }
            used[w[wr]]++
            if (w[rd] != w[wr]) { print "block " b ": written on " w[wr] ", read on " w[rd]; bad = 1 }
            if (hits[rd] < 1) { print "block " b ": read from its file, not from memory"; bad = 1 }
        }
        if (!used[1] || !used[2]) { print "one worker wrote every block"; bad = 1 }
        exit bad
    }' run/trace.csv || fail "locality: $(cut -d, -f1,2,4,14 run/trace.csv)"
# the sums are those of the blocks' values (r * 1e6 + c)
"${PYTHON3:-/usr/bin/python3}" - <<'PY' || fail "wrong sums"
import h5py, numpy as np
s = h5py.File("run/results.h5", "r")["sums"][()][:, 0]
for b in range(8):
    rows = np.arange(4 * b, 4 * b + 4)[:, None]
    assert s[b] == np.sum(rows * 1e6 + np.arange(4096)[None, :]), b
PY
echo "t4100: ok"
