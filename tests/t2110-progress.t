#!/bin/sh
# The progress of a run as `tessera run` shows it (launcher/progress.c),
# driven by launcher/test/progress_demo (a fake engine rewriting
# status.txt, a fake job printing lines): in a pipe, a plain line every
# --progress-interval (or TESS_PROGRESS_INTERVAL) seconds and no escape
# sequence; nothing at --quiet; on a terminal (script's pseudo-terminal)
# the last row kept for one line redrawn in place and the whole screen
# given back at the end; with TERM=dumb a "\r" redraw; in tmux the job's
# output scrolls above the line and the screen is whole again after the
# end and after Ctrl-C. Then real runs: progress lines in a pipe, none
# with -q.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
demo="$TOP_BUILDDIR/launcher/test/progress_demo"
esc=$(printf '\033')

# a pipe: log lines
mkdir p1
"$demo" p1 2 --progress-interval 0.5 2>err1 | cat >out1
[ "$(grep -c '^tessera: progress: [0-9]*/50 done, 2 running, 1 ready, [0-9]* waiting, 0 failed | 5.0 tasks/s | .* elapsed, about .* left$' err1)" -ge 2 ] ||
    fail "no progress lines in a pipe: $(cat err1)"
! grep -q "$esc" err1 || fail "escape sequences in a log"
grep -q "^job output line 3$" out1 || fail "job output: $(cat out1)"
mkdir p2
TESS_PROGRESS_INTERVAL=0.4 "$demo" p2 1.5 2>err2 >/dev/null
[ "$(grep -c '^tessera: progress:' err2)" -ge 2 ] || fail "TESS_PROGRESS_INTERVAL: $(cat err2)"
mkdir p3
"$demo" p3 1.5 -q --progress-interval 0.3 2>err3 >/dev/null
[ ! -s err3 ] || fail "--quiet still shows progress: $(cat err3)"
mkdir p4
"$demo" p4 1 --progress-interval 0 2>err4 >/dev/null
[ ! -s err4 ] || fail "--progress-interval 0 still logs: $(cat err4)"

# a terminal: a scroll region keeps the last row for the line
mkdir t1
TERM=xterm script -qfec "stty rows 20 cols 90; $demo t1 1.5" /dev/null \
    </dev/null >pty1
grep -q "${esc}\[1;19r" pty1 || fail "no scroll region on a terminal: $(od -c pty1 | head)"
grep -q "${esc}\[20;1H${esc}\[2Ktessera: [0-9]*/50 done" pty1 || fail "no status line on the last row"
grep -q "${esc}\[r" pty1 || fail "the screen was not given back"
grep -q "demo: finished" pty1 || fail "demo output lost"
mkdir t2
TERM=dumb script -qfec "stty rows 20 cols 90; $demo t2 1.2" /dev/null \
    </dev/null >pty2
grep -q "$(printf '\r')tessera: [0-9]*/50 done" pty2 || fail "no in-place redraw with TERM=dumb"
! grep -q "${esc}\[" pty2 || fail "escape sequences with TERM=dumb"

# tmux: what a person sees
if command -v tmux >/dev/null 2>&1; then
    sock="tess-t2110-$$"
    tm() { tmux -L "$sock" "$@"; }
    trap 'tm kill-server 2>/dev/null || true; rm -rf "$SCRATCH"' EXIT
    mkdir x1 x2
    # wait_screen PATTERN: until the screen shows it (10 s at most)
    wait_screen() {
        for i in $(seq 1 100); do
            tm capture-pane -p >screen
            grep -q "$1" screen && return 0
            sleep 0.1
        done
        fail "tmux: never saw '$1' on: $(cat screen)"
    }
    tm new-session -d -x 100 -y 12 "env TERM=xterm PS1='$ ' sh"
    tm send-keys "cd $SCRATCH && clear && $demo x1 4" Enter
    wait_screen "^job output line 2"
    wait_screen "^tessera: [0-9]*/50 done"
    sed -n 12p screen | grep -q "^tessera: [0-9]*/50 done" ||
        fail "tmux: the status line is not on the last row: $(cat screen)"
    wait_screen "demo: finished"
    tm send-keys "seq 101 130" Enter
    wait_screen "^130$"
    sed -n 11p screen | grep -q "^130$" || fail "tmux: screen not whole after the end: $(cat screen)"
    # Ctrl-C in the middle gives the screen back too
    tm send-keys "clear && $demo x2 30" Enter
    wait_screen "^tessera: [0-9]*/50 done"
    tm send-keys C-c
    sleep 0.3
    tm send-keys "seq 201 230" Enter
    wait_screen "^230$"
    sed -n 11p screen | grep -q "^230$" || fail "tmux: screen not whole after Ctrl-C: $(cat screen)"
    tm kill-server
fi

# real runs: log lines in a pipe, none with --quiet (nor summaries)
wf="$TOP_SRCDIR/tests/wfrun/naps.xml"
"$TESSERA" run "$wf" --param n=6 --param ms=300 -n 1 --slots 1 --run-dir r1 \
    --progress-interval 0.4 2>rerr1 | cat >rout1
grep -q "^tessera: progress: " rerr1 || fail "tessera run: no progress lines: $(cat rerr1)"
grep -q "workflow 'naps': 6 tasks" rout1 || fail "tessera run: $(cat rout1)"
"$TESSERA" run "$wf" --param n=6 --param ms=300 -n 1 --slots 1 --run-dir r2 \
    --progress-interval 0.4 --quiet 2>rerr2 | cat >rout2
[ ! -s rerr2 ] && [ ! -s rout2 ] || fail "tessera run -q: $(cat rerr2 rout2)"
echo "t2110: ok"
