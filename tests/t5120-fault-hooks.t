#!/bin/sh
# Kills inside the operations that make a run's record (TESS_FAULT,
# docs/design.md "Fault injection"): the engine dies halfway through a
# journal write (a torn tail), a worker inside a fragment write (a
# half-written HDF5 temporary), the engine inside results.h5 (a half-written
# temporary), the engine while it publishes the run's files (some on their
# paths, one beside its path, the rest not yet), at operations drawn from
# the seed; then the same on threads
# (-n 0, the tessera process is the engine and writes the fragments).
# Every run resumes to the uninterrupted run's results and files, bit for
# bit, no completed task runs twice, every .h5 left opens or is removed
# (tests/faults.py). TESS_FAULT_SEED picks other operations.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
seed=${TESS_FAULT_SEED:-5120}
"${PYTHON3:-/usr/bin/python3}" "$TOP_SRCDIR/tests/faults.py" "$SCRATCH/mpi" \
    --seed "$seed" --workers 2 \
    --hook journal:4 --hook fragment:4 --hook results:4 --hook publish:3 ||
    fail "MPI workers: resume after a fault lost or changed something (above)"
"${PYTHON3:-/usr/bin/python3}" "$TOP_SRCDIR/tests/faults.py" "$SCRATCH/threads" \
    --seed "$seed" --workers 0 \
    --kill engine:3 --hook journal:1 --hook fragment:2 ||
    fail "threads: resume after a fault lost or changed something (above)"
echo "t5120: ok"
