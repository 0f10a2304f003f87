# tests/lib.sh - shared helpers of the integration tests (sourced).
# Environment (set by `make check`, defaults for running by hand from the
# build directory): TOP_SRCDIR, TOP_BUILDDIR.
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TOP_BUILDDIR:=$(pwd)}"
# canonical paths: tools print them resolved (realpath)
TOP_SRCDIR=$(cd "$TOP_SRCDIR" && pwd -P)
TOP_BUILDDIR=$(cd "$TOP_BUILDDIR" && pwd -P)
export TOP_SRCDIR TOP_BUILDDIR

# mpirun as root and beyond the cores, quiet, shared memory without CMA
# (ptrace is often restricted in containers).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1
tess_mpirun() {
    mpirun --oversubscribe --bind-to none -q "$@"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# A scratch directory removed at exit.
scratch() {
    SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/tess-test.XXXXXX")
    trap 'rm -rf "$SCRATCH"' EXIT
}

# expect_exit CODE CMD...: run CMD, capture its stderr+stdout in $OUT and
# fail unless it exits with CODE.
expect_exit() {
    want=$1; shift
    set +e
    OUT=$("$@" 2>&1)
    got=$?
    set -e
    [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want: $OUT"
}

# expect_text TEXT: fail unless $OUT contains TEXT.
expect_text() {
    case "$OUT" in
    *"$1"*) ;;
    *) fail "expected '$1' in: $OUT" ;;
    esac
}

# The neurons example: its programs, and numpy's implementation, the
# independent oracle (cc_numpy ARGS...: cc_numpy.py, e.g. --compare A B).
NEURONS_BIN="$TOP_BUILDDIR/examples/neurons"
cc_numpy() {
    "${PYTHON3:-/usr/bin/python3}" "$TOP_SRCDIR/examples/neurons/cc_numpy.py" "$@"
}

# Uninstalled tree: the workflow schema and the kernel modules of the
# examples are found here.
export TESS_SCHEMA_DIR="$TOP_SRCDIR/schemas"
export TESS_KERNEL_PATH="$TOP_BUILDDIR/examples/neurons/.libs:$TOP_BUILDDIR/examples/pipeline/.libs:$TOP_BUILDDIR/examples/archs/.libs:$TOP_BUILDDIR/tests/prog/.libs"
TESSERA="$TOP_BUILDDIR/launcher/tessera"

# no_process PID...: fail if one of these processes still exists (call it
# after `wait`ing for the shell's own children: zombies count as alive).
no_process() {
    for p in "$@"; do
        if kill -0 "$p" 2>/dev/null; then
            fail "process $p left behind: $(ps -o pid=,stat=,args= -p "$p")"
        fi
    done
}

# wait_line FILE TEXT: wait (up to a minute) until FILE holds TEXT, e.g. a
# background process reporting how far it got.
wait_line() {
    n=0
    until grep -q "$2" "$1" 2>/dev/null; do
        n=$((n + 1))
        [ $n -lt 6000 ] || fail "no '$2' in $1: $(cat "$1")"
        sleep 0.01
    done
}

# record RUN_DIR: check RUN_DIR's status.txt and trace.csv (fail if either
# is malformed) and set ST_<key> (status.txt, message unescaped) and
# TR_<state>, TR_rows, TR_tasks (trace.csv); see tests/record.py.
record() {
    _rec=$(${PYTHON3:-/usr/bin/python3} "$TOP_SRCDIR/tests/record.py" "$1") ||
        fail "record of $1 is malformed"
    eval "$_rec"
}

# trace_field RUN_DIR FIELD NAME=VALUE...: FIELD of the matching trace rows
trace_field() {
    ${PYTHON3:-/usr/bin/python3} "$TOP_SRCDIR/tests/record.py" "$@"
}

# expect_eq WHAT GOT WANT
expect_eq() {
    [ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"
}

# --- processes, by PID (never by name) -------------------------------------

# descendants PID: PID and every process below it, one "pid:starttime" per
# line (the start time tells a live process from a reused PID).
descendants() {
    # the comm field (2) may hold spaces: count fields from the ')'
    _st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20)
    [ -n "$_st" ] && echo "$1:$_st"
    for _c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        descendants "$_c"
    done
}

# survivors "pid:start ...": those still running (zombies count as gone)
survivors() {
    for _ps in $1; do
        _p=${_ps%%:*}
        _now=$(sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null) || continue
        set -- $_now
        [ "$1" = Z ] && continue
        _start=$(echo "$_now" | cut -d' ' -f20)
        [ "$_p:$_start" = "$_ps" ] && echo "$_p ($({ tr '\0' ' ' < "/proc/$_p/cmdline"; } 2>/dev/null | cut -c1-80))"
    done
    return 0
}

# wait_exit PID SECONDS: wait for a background child to end (fail if it
# has not after SECONDS); its exit status in $RC, the time it took in $WAITED
wait_exit() {
    _i=0
    while kill -0 "$1" 2>/dev/null; do
        _i=$((_i + 1))
        [ $_i -le $(($2 * 10)) ] || { kill -KILL "$1"; fail "pid $1 still running after $2 s"; }
        sleep 0.1
        # a zombie child: done
        [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ] && break
    done
    set +e
    wait "$1"
    RC=$?
    set -e
    WAITED=$((_i / 10))
}

# wait_for SECONDS CMD...: until CMD succeeds (fail after SECONDS)
wait_for() {
    _n=$(($1 * 10)); shift
    until "$@"; do
        _n=$((_n - 1))
        [ $_n -gt 0 ] || fail "timed out waiting for: $*"
        sleep 0.1
    done
}

# status_at_least RUN_DIR KEY N: status.txt's KEY >= N (0/1)
status_at_least() {
    _v=$(sed -n "s/^$2: //p" "$1/status.txt" 2>/dev/null)
    [ -n "$_v" ] && [ "$_v" != - ] && [ "$_v" -ge "$3" ]
}
