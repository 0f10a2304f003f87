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
