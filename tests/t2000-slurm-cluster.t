#!/bin/sh
# t2000-slurm-cluster: scripts/slurm-cluster.sh starts a real Slurm cluster of
# 4 emulated nodes on this machine, and it behaves as one: 4 idle nodes, n4
# with feature mic; srun spreads tasks over the nodes; sbatch -C mic runs on
# n4; an OpenMPI program runs across the 4 nodes under srun --mpi=pmix and
# communicates; a job with a time limit has an EndTime; libslurm
# (slurm_load_job, slurm_load_node) answers inside an allocation; start and
# stop are idempotent and stop leaves no process behind.
# Needs root, Slurm, munge, mpicc and libslurm-dev (skipped without them).
# Run by `make check`, or by hand from a build directory:
#   TOP_SRCDIR=/path/to/src sh /path/to/src/tests/t2000-slurm-cluster.t
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "t2000: needs root (slurmd): skipped"
    exit 77
fi
for p in slurmctld slurmd srun sbatch salloc squeue sinfo scontrol scancel munged mpicc gcc; do
    command -v $p >/dev/null 2>&1 || { echo "t2000: $p not found: skipped"; exit 77; }
done
[ -r /usr/include/slurm/slurm.h ] || { echo "t2000: no slurm/slurm.h (libslurm-dev): skipped"; exit 77; }

# Nothing of a surrounding allocation (running make check inside a real
# Slurm job) may leak into the emulated cluster's commands.
for v in $(env | sed -n 's/^\(\(SLURM\|SBATCH\|SALLOC\|SRUN\|SQUEUE\|SINFO\)_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$v"
done

CLUSTER="$TOP_SRCDIR/scripts/slurm-cluster.sh"
scratch
C=$SCRATCH/cluster
# Socket paths limit the cluster directory to 64 characters: a long $TMPDIR
# moves it to /tmp.
[ ${#C} -le 64 ] || C=$(mktemp -d /tmp/t2000.XXXXXX)
cleanup() {
    sh "$CLUSTER" stop "$C" >/dev/null 2>&1 || true
    rm -rf "$SCRATCH" "$C"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$SCRATCH"
t_begin=$(date +%s)
ok() { echo "ok - $* ($(($(date +%s) - t_begin))s)"; }

# run SECONDS CMD...: CMD with a time bound, its output in $OUT; fail if it
# fails.
run() {
    secs=$1; shift
    set +e
    OUT=$(timeout "$secs" "$@" 2>&1)
    rc=$?
    set -e
    [ $rc -eq 0 ] || fail "'$*' exited $rc: $OUT"
}

# wait_job ID: poll squeue until job ID has left the queue (30 s at most).
wait_job() {
    n=0
    while [ -n "$(squeue -h -j "$1" -o %A 2>/dev/null)" ]; do
        n=$((n + 1))
        [ $n -le 150 ] || fail "job $1 still in the queue after 30 s: $(squeue -j "$1" 2>&1)"
        sleep 0.2
    done
}

# leftovers: processes of this cluster still alive (daemons, job steps, job
# tasks: all carry our SLURM_CONF; tasks also SLURM_JOB_ID).
leftovers() {
    for s in /proc/[0-9]*; do
        env=$({ tr '\0' '\n' <"$s/environ"; } 2>/dev/null) || continue
        case $env in *"SLURM_CONF=$C/slurm.conf"*) ;; *) continue ;; esac
        case $(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "$s/status" 2>/dev/null) in
        '' | Z | X) continue ;; # gone, or a zombie PID 1 has not reaped yet
        esac
        comm=$(cat "$s/comm" 2>/dev/null) || continue
        case $comm in
        slurm*) echo "${s#/proc/}:$comm" ;;
        *) case $env in *SLURM_JOB_ID=*) echo "${s#/proc/}:$comm" ;; esac ;;
        esac
    done
}

# --- start, and start again
expect_exit 0 sh "$CLUSTER" start "$C"
expect_text "export SLURM_CONF=$C/slurm.conf"
eval "$(sh "$CLUSTER" env "$C")"
[ "$SLURM_CONF" = "$C/slurm.conf" ] || fail "env printed SLURM_CONF=$SLURM_CONF"
t0=$(date +%s)
expect_exit 0 sh "$CLUSTER" start "$C"
expect_text "already running"
[ $(($(date +%s) - t0)) -le 2 ] || fail "a second start took more than 2 s"
expect_exit 0 sh "$CLUSTER" status "$C"
expect_text "slurmd-n4 running"
ok "cluster started, second start a no-op"

# --- nodes and features
run 10 sinfo -h -N -o '%N %t'
[ "$OUT" = "$(printf 'n1 idle\nn2 idle\nn3 idle\nn4 idle')" ] || fail "nodes not all idle: $OUT"
run 10 sinfo -h -N -o '%N %f'
[ "$OUT" = "$(printf 'n1 (null)\nn2 (null)\nn3 (null)\nn4 mic')" ] || fail "features: $OUT"
run 10 sinfo -h -N -o '%N %c'
[ "$OUT" = "$(printf 'n1 4\nn2 4\nn3 4\nn4 4')" ] || fail "CPUs per node: $OUT"
ok "4 idle nodes of 4 CPUs, n4 has feature mic"

# --- srun: one task per node
# shellcheck disable=SC2016 # $SLURMD_NODENAME is expanded by the task
run 30 srun -N 4 -n 4 sh -c 'echo $SLURMD_NODENAME'
got=$(echo "$OUT" | sort | tr '\n' ' ')
[ "$got" = "n1 n2 n3 n4 " ] || fail "srun -N4 -n4 ran on: $OUT"
ok "srun -N4 -n4: one task on each of n1..n4"

# --- sbatch -C mic runs on n4
# shellcheck disable=SC2016
run 10 sbatch --parsable -C mic -o "$SCRATCH/mic.out" --wrap 'echo $SLURMD_NODENAME'
job=$OUT
case $job in '' | *[!0-9]*) fail "sbatch printed '$job'" ;; esac
wait_job "$job"
[ "$(cat "$SCRATCH/mic.out" 2>/dev/null)" = n4 ] ||
    fail "sbatch -C mic ran on '$(cat "$SCRATCH/mic.out" 2>&1)'"
run 10 scontrol show job "$job"
expect_text "JobState=COMPLETED"
expect_text "ExitCode=0:0"
ok "sbatch -C mic ran on n4 (job $job completed)"

# --- OpenMPI across the nodes
cat >hello.c <<'EOF'
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    int rank, size, one = 1, sum = 0;
    const char *node = getenv("SLURMD_NODENAME");
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("rank %d size %d node %s sum %d\n", rank, size, node ? node : "?", sum);
    MPI_Finalize();
    return 0;
}
EOF
run 60 mpicc -o hello hello.c
# The shared-memory transport gets confused when several "nodes" are one host.
OMPI_MCA_btl=self,tcp run 60 srun --mpi=pmix -N 4 -n 4 ./hello
lines=$(echo "$OUT" | grep -c '^rank ') || true
[ "$lines" -eq 4 ] || fail "expected 4 ranks: $OUT"
for r in 0 1 2 3; do
    echo "$OUT" | grep -q "^rank $r size 4 node n[1-4] sum 4\$" || fail "rank $r missing: $OUT"
done
nodes=$(echo "$OUT" | awk '/^rank / { print $6 }' | sort -u | tr '\n' ' ')
[ "$nodes" = "n1 n2 n3 n4 " ] || fail "ranks not on 4 distinct nodes: $OUT"
ok "MPI: 4 ranks on n1..n4, MPI_Allreduce across them"

# --- a time limit gives an EndTime; libslurm inside an allocation
cat >probe.c <<'EOF'
/* What a launcher reads from libslurm inside an allocation. */
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    const char *id = getenv("SLURM_JOB_ID");
    job_info_msg_t *jobs = NULL;
    node_info_msg_t *nodes = NULL;
    hostlist_t hl;
    char *h;
    int i = 0;

    if (!id)
        return 2;
    slurm_init(NULL); /* 22.05: first; NULL means $SLURM_CONF */
    if (slurm_load_job(&jobs, (uint32_t)strtoul(id, NULL, 10), SHOW_DETAIL) != 0) {
        printf("slurm_load_job: %s\n", slurm_strerror(slurm_get_errno()));
        return 1;
    }
    slurm_job_info_t *j = &jobs->job_array[0];
    printf("job %u nodes %s num_nodes %u time_limit %u run_secs %ld\n", j->job_id,
           j->nodes, j->num_nodes, j->time_limit, (long)(j->end_time - j->start_time));
    hl = slurm_hostlist_create(j->nodes);
    while ((h = slurm_hostlist_shift(hl))) {
        printf("host %s cpus %d\n", h,
               slurm_job_cpus_allocated_on_node_id(j->job_resrcs, i++));
        free(h);
    }
    slurm_hostlist_destroy(hl);
    slurm_free_job_info_msg(jobs);
    if (slurm_load_node(0, &nodes, SHOW_ALL) != 0) {
        printf("slurm_load_node: %s\n", slurm_strerror(slurm_get_errno()));
        return 1;
    }
    for (uint32_t k = 0; k < nodes->record_count; k++)
        if (nodes->node_array[k].name)
            printf("node %s cpus %u features %s\n", nodes->node_array[k].name,
                   nodes->node_array[k].cpus,
                   nodes->node_array[k].features ? nodes->node_array[k].features : "-");
    slurm_free_node_info_msg(nodes);
    slurm_fini();
    return 0;
}
EOF
run 60 gcc -Wall -Wextra -Werror -o probe probe.c -lslurm
# shellcheck disable=SC2016
run 60 salloc -N 2 --time=1 sh -c 'scontrol show job $SLURM_JOB_ID; ./probe'
expect_text "TimeLimit=00:01:00"
echo "$OUT" | grep -q 'EndTime=[0-9]\{4\}-' || fail "no EndTime in: $OUT"
expect_text "nodes n[1-2] num_nodes 2 time_limit 1 run_secs 60"
expect_text "host n1 cpus 1"
expect_text "host n2 cpus 1"
expect_text "node n1 cpus 4 features -"
expect_text "node n4 cpus 4 features mic"
ok "--time=1: EndTime = start + 60 s; slurm_load_job/slurm_load_node answer"

# --- stop with a job running: cancelled, nothing left behind; stop again
run 10 sbatch --parsable -N 2 -o "$SCRATCH/sleep.out" --wrap 'srun sleep 300'
job=$OUT
n=0
until [ "$(squeue -h -j "$job" -o %t)" = R ]; do
    n=$((n + 1))
    [ $n -le 100 ] || fail "job $job not running after 20 s"
    sleep 0.2
done
t0=$(date +%s)
expect_exit 0 sh "$CLUSTER" stop "$C"
left=$(leftovers)
[ -z "$left" ] || fail "processes left after stop: $left"
echo "stop with a running job took $(($(date +%s) - t0))s"
expect_exit 0 sh "$CLUSTER" stop "$C"
expect_exit 1 sh "$CLUSTER" status "$C"
expect_text "slurmctld not running"
ok "stop cancels, leaves no process, is idempotent"
