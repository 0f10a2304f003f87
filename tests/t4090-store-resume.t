#!/bin/sh
# A run that produces a persistent object, killed (kill -9 of tessera, so
# of the whole MPI job) after some of its blocks were committed, then
# resumed: the object, incomplete meanwhile, ends complete with every block
# exactly once. The blocks committed before the kill are the very same
# files afterwards (never written again, whether the journal had recorded
# their task or not: a task run again finds its block in the store), every
# block holds the right values, and the resumed run says which tasks it
# replayed. No process is left behind.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
wf="$TOP_SRCDIR/tests/wfrun/store-blocks.xml"
mkdir st
n=12

# descendants PID: the processes a tessera run started (mpirun, ranks)
descendants() {
    ps -e -o pid= -o ppid= | awk -v root="$1" '
        { parent[$1] = $2 }
        END { keep[root] = 1
              for (changed = 1; changed; ) { changed = 0
                  for (p in parent) if (!(p in keep) && (parent[p] in keep)) {
                      keep[p] = 1; changed = 1 } }
              for (p in keep) if (p != root) print p }'
}
committed() { ls st/.objects/*/blocks/ 2>/dev/null | grep -c '^b[0-9]*\.h5$' || true; }

# not under timeout(1): the kill below must reach tessera itself (the
# test's own time limit bounds it)
"$TESSERA" run "$wf" -p n=$n -p ms=400 --store "$SCRATCH/st" \
    -n 1 --slots 1 --run-dir run >run.log 2>&1 &
t=$!
i=0
until [ "$(committed)" -ge 3 ]; do
    i=$((i + 1))
    [ $i -lt 3000 ] || fail "no 3 blocks after 30 s: $(cat run.log)"
    kill -0 $t 2>/dev/null || fail "the run ended early: $(cat run.log)"
    sleep 0.01
done
kids=$(descendants $t)
kill -9 $t
wait $t 2>/dev/null || true
for k in $kids; do  # they die with their parent (PR_SET_PDEATHSIG)
    j=0
    while kill -0 "$k" 2>/dev/null; do
        j=$((j + 1)); [ $j -lt 500 ] || break; sleep 0.02
    done
done
no_process $t $kids
before=$(committed)
[ "$before" -lt $n ] || fail "all $n blocks were committed before the kill: too fast"
expect_exit 0 "$TESSERA" store ls --store st
expect_text "incomplete"
# the blocks committed so far, by inode
ls -i st/.objects/*/blocks/ | grep 'b[0-9]*\.h5$' | sort -k2 >inodes.before

expect_exit 0 timeout -s KILL 300 "$TESSERA" resume run
expect_exit 0 "$TESSERA" store show --store st Blocks
expect_text "state: complete"
expect_text "blocks: $n"
[ "$(committed)" -eq $n ] || fail "$(committed) block files, expected $n"
ls -i st/.objects/*/blocks/ | grep 'b[0-9]*\.h5$' | sort -k2 >inodes.after
join -1 2 -2 2 inodes.before inodes.after | awk '$2 != $3 { print; bad = 1 } END { exit bad }' ||
    fail "a block committed before the kill was written again"
# the values of every block, read with h5py from the store's files
"${PYTHON3:-/usr/bin/python3}" - "$SCRATCH/st" $n <<'PY' || fail "wrong block contents"
import os, sys, h5py, numpy as np
store, n = sys.argv[1], int(sys.argv[2])
blocks = os.path.join(store, os.readlink(os.path.join(store, "Blocks")), "blocks")
for b in range(n):
    with h5py.File(os.path.join(blocks, "b%d.h5" % b), "r") as f:
        x, s = f["frag"][()], f["frag"].attrs["start"]
    rows = np.arange(s[0], s[0] + x.shape[0])[:, None]
    cols = np.arange(s[1], s[1] + x.shape[1])[None, :]
    assert s[0] == 4 * b and s[1] == 0, (b, s)
    assert np.array_equal(x, rows * 1e6 + cols), b
PY
replayed=$(awk -F, 'NR > 1 && $16 == "replayed"' run/trace.csv | wc -l)
ran=$(awk -F, 'NR > 1 && $16 == "ok"' run/trace.csv | wc -l)
echo "t4090: $before blocks before the kill; resumed: $replayed tasks replayed, $ran run"
[ "$replayed" -ge 1 ] || fail "no task was replayed"
[ $((replayed + ran)) -ge $n ] || fail "$replayed replayed + $ran run < $n"
grep -q '^open\|^block' run/store.log 2>/dev/null && fail "store.log records blocks of an object created"
echo "t4090: ok"
