#!/bin/sh
# slurm-cluster.sh - a real Slurm cluster of 4 emulated nodes on this machine:
# one slurmctld and four slurmd (n1..n3, and n4 with feature "mic"), all with a
# private slurm.conf and every file under one scratch directory.  For tests of
# the Slurm launcher and by hand; see docs/slurm-emulated.md.
#
# Usage (as root): slurm-cluster.sh start|stop|status|env [SCRATCH_DIR]
#   start   start munged if needed, then the cluster; wait until all 4 nodes
#           are idle; print `export SLURM_CONF=...` on stdout.  Does nothing if
#           the cluster of SCRATCH_DIR already runs.
#   stop    cancel the jobs, stop the daemons, wait until they are gone.
#   status  print which daemons run, and sinfo; exit 0 if all run, else 1.
#   env     print `export SLURM_CONF=...` (eval "$(slurm-cluster.sh env)").
# SCRATCH_DIR defaults to /tmp/tessera-slurm.  Progress and errors go to stderr.
# Exit status: 0 success, 1 failure, 2 usage or a missing program.
set -eu

prog=slurm-cluster
top=$(cd "$(dirname "$0")/.." && pwd)
template=$top/config/slurm/slurm.conf.in
nodes="n1 n2 n3 n4"
start_timeout=30 # seconds until all nodes are idle
stop_timeout=15  # seconds a daemon gets to exit after SIGTERM

usage() {
    echo "usage: $0 start|stop|status|env [SCRATCH_DIR]" >&2
    exit 2
}
say() { echo "$prog: $*" >&2; }
die() {
    say "$*"
    exit 1
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
cmd=$1
dir=${2:-/tmp/tessera-slurm}
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac
# The path goes into slurm.conf and into Unix socket names (at most 107
# bytes; slurmd's longest is SCRATCH_DIR/spool/nX/stepd.slurm.pmix.JOB.STEP).
case $dir in *[!A-Za-z0-9._/+-]*) die "SCRATCH_DIR '$dir': use only letters, digits and ._/+-" ;; esac
[ ${#dir} -le 64 ] || die "SCRATCH_DIR '$dir' is longer than 64 characters (Unix socket paths)"
conf=$dir/slurm.conf
# The daemons and our client commands read this configuration, whatever the
# caller's environment says; format variables would change what we parse.
SLURM_CONF=$conf
export SLURM_CONF
unset SINFO_FORMAT SQUEUE_FORMAT SQUEUE_SORT SLURM_CLUSTERS 2>/dev/null || true

need() {
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 ||
            { say "'$p' not found; install the Debian packages slurmctld slurmd slurm-client munge (scripts/install-deps.sh does)"; exit 2; }
    done
}

# now: seconds since the epoch (for bounded waits).
now() { date +%s; }

# alive PID: the process exists and is not a zombie (a daemon killed with
# SIGKILL stays a zombie until PID 1 reaps it, which some containers never do).
alive() {
    case $(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) in
    '' | Z | X) return 1 ;;
    esac
}

# ours PID: the process was started with our slurm.conf in its environment
# (our daemons, and the slurmstepd they start, inherit it).
ours() {
    { tr '\0' '\n' <"/proc/$1/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$conf"
}

# pid_of NAME: print the pid of our daemon NAME (slurmctld, slurmd-n1...) if it
# runs: its pid file names a live process of that program started with our
# slurm.conf (a recycled pid, or a daemon of another scratch directory, is
# not ours).
pid_of() {
    f=$dir/run/$1.pid
    [ -s "$f" ] || return 1
    p=$(cat "$f" 2>/dev/null) || return 1
    case $p in '' | *[!0-9]*) return 1 ;; esac
    case $(cat "/proc/$p/comm" 2>/dev/null) in
    slurmctld | slurmd) ;;
    *) return 1 ;;
    esac
    alive "$p" && ours "$p" || return 1
    echo "$p"
}

# died NAME: daemon NAME, started at $t_start, is gone: its pid file names no
# live daemon, or it has written none after 5 s (a daemon writes it once it
# has detached, a moment after its start command returned).
died() {
    pid_of "$1" >/dev/null && return 1
    [ -s "$dir/run/$1.pid" ] || [ $(($(now) - t_start)) -ge 5 ]
}

daemons() { echo slurmctld; for n in $nodes; do echo "slurmd-$n"; done; }

# running_count: how many of our 5 daemons run.
running_count() {
    c=0
    for d in $(daemons); do
        if pid_of "$d" >/dev/null; then c=$((c + 1)); fi
    done
    echo $c
}

print_env() { echo "export SLURM_CONF=$conf"; }

# log_tail FILE...: show the end of logs after a failure.
log_tail() {
    for f in "$@"; do
        [ -s "$f" ] || continue
        echo "---- tail of $f" >&2
        tail -n 25 "$f" >&2
    done
}

# port_used PORT: a TCP socket (any state, IPv4 or IPv6) has this local port.
port_used() {
    hex=$(printf '%04X' "$1")
    awk '{ print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ":$hex\$"
}

# pick_ports: set CTLD_PORT N1_PORT..N4_PORT to free ports below the ephemeral
# range (32768-), starting at an offset derived from the scratch directory, so
# that clusters of two scratch directories started at once rarely collide.
pick_ports() {
    sum=$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
    p=$((20000 + ((sum + ${attempt:-1} * 389) % 1000) * 10))
    picked=""
    count=0
    tries=0
    while [ $count -lt 5 ]; do
        tries=$((tries + 1))
        [ $tries -le 2000 ] || die "no 5 free TCP ports found in 20000-32767"
        [ $p -lt 32768 ] || p=20000
        if ! port_used $p; then
            picked="$picked $p"
            count=$((count + 1))
        fi
        p=$((p + 1))
    done
    # shellcheck disable=SC2086 # split the list into the positional parameters
    set -- $picked
    CTLD_PORT=$1 N1_PORT=$2 N2_PORT=$3 N3_PORT=$4 N4_PORT=$5
}

write_conf() {
    [ -r "$template" ] || die "$template not found"
    pick_ports
    sed -e "s|@DIR@|$dir|g" -e "s|@CTLD_PORT@|$CTLD_PORT|g" \
        -e "s|@N1_PORT@|$N1_PORT|g" -e "s|@N2_PORT@|$N2_PORT|g" \
        -e "s|@N3_PORT@|$N3_PORT|g" -e "s|@N4_PORT@|$N4_PORT|g" \
        "$template" >"$conf.tmp"
    mv "$conf.tmp" "$conf"
}

start_munge() {
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        return 0
    fi
    [ -r /etc/munge/munge.key ] ||
        die "/etc/munge/munge.key missing (the munge package creates it; or run mungekey as the munge user)"
    say "starting munged"
    mkdir -p /run/munge
    chown munge:munge /run/munge
    # --force: a socket left by a munged that died does not stop it.
    runuser -u munge -- munged --force ||
        die "munged did not start (see /var/log/munge/munged.log)"
    t0=$(now)
    until munge -n 2>/dev/null | unmunge >/dev/null 2>&1; do
        [ $(($(now) - t0)) -lt 10 ] || die "munge does not work: 'munge -n | unmunge' fails"
        sleep 0.2
    done
}

# wait_gone PID...: wait until the processes exit; SIGKILL them after
# $stop_timeout seconds.
wait_gone() {
    t0=$(now)
    for p in "$@"; do
        while alive "$p"; do
            if [ $(($(now) - t0)) -ge $stop_timeout ]; then
                say "pid $p did not exit after SIGTERM: SIGKILL"
                kill -KILL "$p" 2>/dev/null || true
            fi
            sleep 0.1
        done
    done
}

# stepd_pids: the slurmstepd processes of our cluster (one per job step; they
# outlive a slurmd that is stopped).
stepd_pids() {
    for s in /proc/[0-9]*; do
        [ "$(cat "$s/comm" 2>/dev/null)" = slurmstepd ] || continue
        p=${s#/proc/}
        if alive "$p" && ours "$p"; then echo "$p"; fi
    done
}

# descendants PID...: the processes below the given ones (job tasks).
descendants() {
    cat /proc/[0-9]*/status 2>/dev/null |
        awk -v roots="$*" '
            /^Pid:/ { pid = $2 }
            /^PPid:/ { ppid[pid] = $2 }
            END {
                n = split(roots, r, " ")
                for (i = 1; i <= n; i++) keep[r[i]] = 1
                do {
                    more = 0
                    for (p in ppid)
                        if (!(p in keep) && (ppid[p] in keep)) { keep[p] = 1; print p; more = 1 }
                } while (more)
            }'
}

do_stop() {
    ctld=$(pid_of slurmctld || true)
    if [ -n "$ctld" ] && command -v squeue >/dev/null && command -v scancel >/dev/null; then
        # Cancel what still runs, so that slurmstepd ends its tasks and exits.
        jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ' || true)
        if [ -n "$jobs" ]; then
            say "cancelling jobs: $jobs"
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null || true
            t0=$(now)
            while [ -n "$(squeue -h -o %A 2>/dev/null)" ] &&
                [ $(($(now) - t0)) -lt $stop_timeout ]; do
                sleep 0.2
            done
        fi
    fi
    pids=""
    for n in $nodes; do
        p=$(pid_of "slurmd-$n" || true)
        [ -z "$p" ] && continue
        kill -TERM "$p" 2>/dev/null || true
        pids="$pids $p"
    done
    # shellcheck disable=SC2086
    [ -n "$pids" ] && wait_gone $pids
    if [ -n "$ctld" ]; then
        kill -TERM "$ctld" 2>/dev/null || true
        wait_gone "$ctld"
    fi
    # Steps whose job could not be cancelled (slurmctld already gone): kill
    # them and their tasks.
    steps=$(stepd_pids | tr '\n' ' ')
    if [ -n "$steps" ]; then
        # shellcheck disable=SC2086
        tasks=$(descendants $steps | tr '\n' ' ')
        say "killing leftover job steps and their tasks: $steps$tasks"
        # shellcheck disable=SC2086
        kill -KILL $steps $tasks 2>/dev/null || true
        # shellcheck disable=SC2086
        wait_gone $steps $tasks
    fi
    rm -f "$dir"/run/*.pid
}

# idle_count: how many nodes sinfo shows idle.
idle_count() {
    sinfo -h -N -o '%N %t' 2>/dev/null | awk '$2 == "idle" { n++ } END { print n + 0 }'
}

# port_taken: a daemon of ours died because its port was in use.
port_taken() {
    grep -qs "Address already in use" "$dir"/log/slurmctld.log "$dir"/log/slurmd-*.log
}

# start_daemons: slurmctld and the 4 slurmd, until the nodes are idle;
# 1 (all stopped) if a port was taken meanwhile, die on any other failure.
start_daemons() {
    t_start=$(now)
    # A fresh cluster each time: no jobs, steps or node states of a previous
    # run (slurmctld -c also discards the saved job state).
    rm -rf "$dir/state" "$dir/spool" "$dir/tmp" "$dir/log" "$dir/run"
    mkdir -p "$dir/state" "$dir/log" "$dir/run"
    for n in $nodes; do mkdir -p "$dir/spool/$n" "$dir/tmp/$n"; done
    write_conf

    say "starting slurmctld (port $CTLD_PORT)"
    # Without -D it daemonizes: all descriptors closed, so a caller reading
    # our output (make check, $(...)) is not held open.
    if ! slurmctld -c >"$dir/log/slurmctld.out" 2>&1 </dev/null; then
        log_tail "$dir/log/slurmctld.out" "$dir/log/slurmctld.log"
        die "slurmctld failed to start"
    fi
    until scontrol ping 2>/dev/null | grep -q 'is UP'; do
        if [ $(($(now) - t_start)) -ge $start_timeout ] || died slurmctld; then
            if port_taken; then do_stop; return 1; fi
            log_tail "$dir/log/slurmctld.out" "$dir/log/slurmctld.log"
            do_stop
            die "slurmctld does not answer (scontrol ping)"
        fi
        sleep 0.2
    done

    say "starting slurmd for $nodes (ports $N1_PORT $N2_PORT $N3_PORT $N4_PORT)"
    for n in $nodes; do
        if ! slurmd -N "$n" >"$dir/log/slurmd-$n.out" 2>&1 </dev/null; then
            log_tail "$dir/log/slurmd-$n.out" "$dir/log/slurmd-$n.log"
            do_stop
            die "slurmd -N $n failed to start"
        fi
    done

    until [ "$(idle_count)" -eq 4 ]; do
        dead=""
        for n in $nodes; do
            if died "slurmd-$n"; then dead="$dead $n"; fi
        done
        if [ -n "$dead" ] || [ $(($(now) - t_start)) -ge $start_timeout ]; then
            if [ -n "$dead" ] && port_taken; then do_stop; return 1; fi
            sinfo -N -o '%N %t %E' >&2 || true
            log_tail "$dir/log/slurmctld.log"
            for n in $nodes; do log_tail "$dir/log/slurmd-$n.log"; done
            do_stop
            [ -n "$dead" ] && die "slurmd died:$dead"
            die "the 4 nodes are not idle after ${start_timeout}s"
        fi
        sleep 0.2
    done
}

do_start() {
    if [ -f "$conf" ] && [ "$(running_count)" -eq 5 ]; then
        say "already running ($dir)"
        print_env
        return 0
    fi
    # Whatever is left of an earlier cluster here (daemons, job steps of a
    # cluster whose daemons were killed) goes first.
    do_stop
    start_munge
    t_start=$(now)
    # A port found free can be taken before our daemon binds it (another
    # cluster starting at the same time): then again, with other ports.
    attempt=1
    until start_daemons; do
        [ $attempt -lt 3 ] || die "ports taken by others in 3 attempts"
        attempt=$((attempt + 1))
        say "a port was taken meanwhile; again with other ports"
    done
    say "4 nodes idle after $(($(now) - t_start))s ($dir)"
    print_env
}

do_status() {
    rc=0
    for d in $(daemons); do
        if p=$(pid_of "$d"); then
            echo "$d running (pid $p)"
        else
            echo "$d not running"
            rc=1
        fi
    done
    if pid_of slurmctld >/dev/null; then
        sinfo -N -o '%N %P %t %c %f' || rc=1
    fi
    return $rc
}

case $cmd in
start)
    [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd starts jobs as their user)"
    need slurmctld slurmd sinfo squeue scancel scontrol munged munge unmunge runuser
    mkdir -p "$dir"
    do_start
    ;;
stop)
    do_stop
    say "stopped ($dir)"
    ;;
status)
    need sinfo
    do_status
    ;;
env)
    print_env
    ;;
*) usage ;;
esac
