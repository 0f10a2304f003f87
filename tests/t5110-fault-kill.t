#!/bin/sh
# Nothing lost (docs/reliability.md, "Resume: what survives what"): a
# workflow of 301 tasks (tests/wfrun/faults.xml: region writes large enough
# to be fragment files, small inline values, files OUT/IN/INOUT) on 2 MPI
# workers, SIGKILLed at 24 instants drawn from the seed: the engine (rank
# 0), one worker, or the whole job (the launcher's group and every
# descendant), at times and at counts of completed tasks; some resumes are
# killed again, some resumed from another directory. Each is resumed and
# must equal an uninterrupted run bit for bit, with no completed task run
# twice, every .h5 left readable or removed, no process left
# (tests/faults.py says what is checked and how completed is counted).
# TESS_FAULT_SEED picks other instants.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
"${PYTHON3:-/usr/bin/python3}" "$TOP_SRCDIR/tests/faults.py" "$SCRATCH/s" \
    --seed "${TESS_FAULT_SEED:-5110}" --workers 2 \
    --kill engine:6 --kill worker:6 --kill job:12 ||
    fail "resume after a kill lost or changed something (above)"
echo "t5110: ok"
