#!/bin/sh
# Stops the run records (docs/reliability.md): SIGTERM to the launcher (as
# scancel or ^C) and the wall-time limit (TESS_DEADLINE) at instants drawn
# from the seed, on the workflow of t5110. The run ends with exit 1, state
# cancelled or stopped-wall-time and a message saying "continue with:
# tessera resume RUN_DIR"; the resume equals an uninterrupted run bit for
# bit, every journaled task replayed, none run twice (tests/faults.py).
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
"${PYTHON3:-/usr/bin/python3}" "$TOP_SRCDIR/tests/faults.py" "$SCRATCH/s" \
    --seed "${TESS_FAULT_SEED:-5130}" --workers 2 \
    --kill term:5 --kill deadline:5 ||
    fail "resume after a stop lost or changed something (above)"
echo "t5130: ok"
