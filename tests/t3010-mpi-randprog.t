#!/bin/sh
# Sequential semantics on real MPI worker ranks: random programs over
# random regions give bitwise the sequential replay with 2, 3 and 4 ranks,
# with values inline in messages and with every value in HDF5 fragments.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
prog="$TOP_BUILDDIR/tests/prog/randprog_mpi"

for np in 2 3 4; do
    expect_exit 0 tess_mpirun -np $np "$prog" $((np * 100)) 15 150
    expect_text "15 programs, 0 failed"
done
# inline_max 1 byte: every value goes through fragment files and caches
expect_exit 0 tess_mpirun -np 3 "$prog" 1000 15 150 1
expect_text "15 programs, 0 failed"
ls tessera-run.*/trace.csv >/dev/null || fail "no trace.csv written"
echo "t3010: ok"
