# tests/slurm-lib.sh - shared by the tests on the emulated Slurm cluster
# (sourced after lib.sh).

# slurm_test NAME: skip (exit 77) unless root with libslurm; then a scratch
# directory ($SCRATCH) and a cluster of its own ($sdir), started with a
# clean Slurm environment (SLURM_CONF exported) and stopped at exit.
slurm_test() {
    [ "$(id -u)" -eq 0 ] || { echo "$1: skipped (needs root)"; exit 77; }
    grep -q HAVE_SLURM "$TOP_BUILDDIR/config.h" || { echo "$1: skipped (no libslurm)"; exit 77; }
    scratch
    cluster="$TOP_SRCDIR/scripts/slurm-cluster.sh"
    sdir="$SCRATCH/slurm"
    trap 'sh "$cluster" stop "$sdir" >/dev/null 2>&1 || true; rm -rf "$SCRATCH"' EXIT INT TERM
    for v in $(env | sed -n 's/^\(SLURM_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
    eval "$(sh "$cluster" start "$sdir")"
    export SLURM_CONF
}

# wait_job ID: until Slurm no longer lists the job (bounded: 120 s)
wait_job() {
    i=0
    while squeue -h -j "$1" 2>/dev/null | grep -q .; do
        i=$((i + 1))
        [ $i -le 240 ] || fail "job $1 still in the queue after 120 s"
        sleep 0.5
    done
}
