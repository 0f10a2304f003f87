#!/usr/bin/python3
"""bench_resume.py - what the journal costs and how fast a resume restarts
(docs/reliability.md, "Resume: what survives what").

    bench_resume.py BUILD_DIR SCRATCH [--rounds R] [--noop N] [--tasks T]

1. No-op tasks per second with and without the journal (TESS_JOURNAL=0),
   tests/prog/synth noop N with a run directory, on threads (one process,
   2 threads) and on MPI (mpirun -np 3: the engine and 2 workers of 2
   threads); the two interleaved, R rounds, medians and their ratio (the
   machines these run on vary by 20% from one run to the next).
2. A run of tests/wfrun/wide.xml (T small tasks, then one task of 3 s) on
   2 MPI workers is killed with SIGKILL (the launcher and all its
   descendants) during the last task, when its journal holds the T tasks;
   `tessera resume` then replays them and runs the last one. Reported: the
   time from the resume's start to the start of the first task it runs
   (trace.csv, CLOCK_REALTIME), the replay time (first replayed task
   submitted to last one replayed) and the resume's whole wall time.
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

LAST_MS = 3000  # the last task's nap: the kill lands in it


def noop_rate(synth, run_dir, n, journal, mpi):
    shutil.rmtree(run_dir, ignore_errors=True)
    env = dict(os.environ)
    if journal:
        env.pop("TESS_JOURNAL", None)
    else:
        env["TESS_JOURNAL"] = "0"
    cmd = [synth, "--run-dir", run_dir, "noop", str(n)]
    if mpi:
        cmd = ["mpirun", "--oversubscribe", "--bind-to", "none", "-q",
               "-np", "3"] + cmd
    out = subprocess.run(cmd, env=env, capture_output=True, text=True,
                         check=True).stdout
    # "synth noop: N tasks in S s: R tasks/s"
    return float(out.split(":")[-1].split()[0])


def descendants(root):
    t = {}
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                s = open("/proc/%s/stat" % e).read()
                t[int(e)] = int(s[s.rindex(")") + 2:].split()[1])
            except OSError:
                pass
    out, grew = set(), True
    while grew:
        grew = False
        for pid, ppid in t.items():
            if pid not in out and (ppid == root or ppid in out):
                out.add(pid)
                grew = True
    return out


def status(run_dir, key):
    try:
        for line in open(os.path.join(run_dir, "status.txt")):
            if line.startswith(key + ": "):
                return line.split(": ", 1)[1].strip()
    except OSError:
        pass
    return None


def resume_bench(build, src, scratch, tasks):
    tessera = os.path.join(build, "launcher", "tessera")
    wf = os.path.join(src, "tests", "wfrun", "wide.xml")
    d = os.path.join(scratch, "wide")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    run_dir = os.path.join(d, "r")
    p = subprocess.Popen([tessera, "run", wf, "-n", "2", "--run-dir", run_dir,
                          "--param", "n=%d" % tasks,
                          "--param", "last_ms=%d" % LAST_MS],
                         cwd=d, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    while int(status(run_dir, "tasks_done") or 0) < tasks:
        if p.poll() is not None:
            sys.exit("bench_resume: the run ended before the kill")
        time.sleep(0.2)
    time.sleep(1.5)  # the journal's last records written and committed
    for _ in range(50):
        pids = descendants(p.pid) | {p.pid}
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        p.poll()
        if not descendants(p.pid):
            break
        time.sleep(0.05)
    p.wait()
    journal = subprocess.run([os.path.join(build, "tests", "prog",
                                           "journal_stats"), run_dir],
                             capture_output=True, text=True).stdout
    # the resume: it replays the tasks, then runs the long one again
    t0 = time.time()
    r = subprocess.run([tessera, "resume", run_dir], cwd=d,
                       capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode != 0:
        sys.exit("bench_resume: the resume failed: " + r.stderr)
    rows = [l.rstrip("\n").split(",") for l in
            open(os.path.join(run_dir, "trace.csv"))][1:]
    rep = [x for x in rows if x[-2] == "replayed"]
    first = min(int(x[9]) for x in rows[rows.index(rep[0]):]
                if x[-2] == "ok") / 1e9
    sub = min(int(x[7]) for x in rep) / 1e9
    last = max(int(x[8]) for x in rep) / 1e9
    print("journal at the kill: %s" % " ".join(journal.split()))
    print("resume of %d completed tasks: %d replayed in %.2f s (first "
          "submitted to last replayed); the first new task started %.2f s "
          "after `tessera resume` did; the resume took %.2f s (%.1f s of "
          "them the new task's nap)" % (tasks, len(rep), last - sub,
                                        first - t0, wall, LAST_MS / 1000))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("scratch")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--noop", type=int, default=100000)
    ap.add_argument("--tasks", type=int, default=100000)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    src = os.environ.get("TOP_SRCDIR",
                         os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__))))
    os.makedirs(a.scratch, exist_ok=True)
    synth = os.path.join(build, "tests", "prog", "synth")
    for mpi in (False, True):
        rates = {True: [], False: []}
        for _ in range(a.rounds):
            for journal in (True, False):
                rates[journal].append(noop_rate(
                    synth, os.path.join(a.scratch, "noop"), a.noop, journal,
                    mpi))
        w, wo = statistics.median(rates[True]), statistics.median(rates[False])
        print("%s: %d no-op tasks, median of %d: %.0f tasks/s with the "
              "journal, %.0f without (TESS_JOURNAL=0): %.2fx; all: with %s, "
              "without %s" % ("MPI, 2 workers" if mpi else "threads", a.noop,
                              a.rounds, w, wo, w / wo,
                              [round(x) for x in rates[True]],
                              [round(x) for x in rates[False]]), flush=True)
    resume_bench(build, src, a.scratch, a.tasks)


if __name__ == "__main__":
    main()
