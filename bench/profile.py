#!/usr/bin/env python3
"""profile.py - where the time of a dependence goes in Tessera (stencil_1d).

Runs Task Bench's stencil_1d (width 2) on Tessera with MPI workers (engine
+ 2 workers of one slot) and on threads (2), and reports per step (two
tasks, one dependence wave) what each process did:

- CPU time, context switches, and the system calls through which the
  runtime waits and wakes (sched_yield, futex, nanosleep), counted with
  perf stat on kernel tracepoints;
- MPI calls (Isend/Recv/Iprobe/Test, with the probes that found a message),
  counted by bench/pmpi_count.so preloaded into every rank;
- from the run's trace.csv, the gap on the critical path: the first start
  of step s+1 minus the last end of step s (both taken by the workers).

Every count is the difference between a run of the graph and a run that
only starts and stops (start-up and shutdown cancel out), divided by the
steps. --record adds a perf profile of the engine rank (top symbols).

usage: profile.py [--kernel-us US] [--steps N] [--record]
Environment: TOP_SRCDIR, TOP_BUILDDIR (default: the build is ../_build).
See docs/performance.md, "Profile".
"""
import argparse
import csv
import ctypes
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

EVENTS = ["task-clock", "context-switches", "syscalls:sys_enter_sched_yield",
          "syscalls:sys_enter_futex", "syscalls:sys_enter_nanosleep",
          "syscalls:sys_enter_clock_nanosleep"]


def ns_per_iter(lib):
    lib.tb_compute.argtypes = [ctypes.c_int64]
    lib.tb_compute.restype = ctypes.c_double
    best = 1e9
    for _ in range(5):
        t = time.perf_counter()
        lib.tb_compute(1 << 20)
        best = min(best, time.perf_counter() - t)
    return best * 1e9 / (1 << 20)


def perf_stat(path):
    """perf stat -x, output: {event: value}."""
    d = {}
    with open(path) as f:
        for line in f:
            p = line.strip().split(",")
            if len(p) > 3 and not line.startswith("#"):
                try:
                    d[p[2].replace("syscalls:sys_enter_", "")] = float(p[0])
                except ValueError:
                    pass
    return d


def pmpi(path):
    """bench/pmpi_count.so lines: {rank: {call: count}}."""
    d = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) > 3 and w[0] == "pmpi":
                    d[int(w[2])] = {w[i]: int(w[i + 1])
                                    for i in range(3, len(w) - 1, 2)}
    return d


def mpi_run(b, tmp, tag, cmds, record=False):
    """Tessera MPI job of 3 ranks, each under perf stat (rank 0 under perf
    record with record=True); returns (stats per rank, pmpi, run dir)."""
    rd = os.path.join(tmp, "rd-" + tag)
    prog = [os.path.join(b, "bench", "tb_tessera")]
    cmd = ["mpirun", "--oversubscribe", "--bind-to", "none", "-q"]
    for r in range(3):
        if r:
            cmd.append(":")
        cmd += ["-np", "1", "-x", "LD_PRELOAD=" + os.path.join(
            b, "bench", ".libs", "pmpi_count.so"), "-x",
                "PMPI_COUNT_OUT=" + os.path.join(tmp, tag + ".pmpi")]
        if record and r == 0:
            cmd += ["perf", "record", "-q", "-F", "2000", "-g", "-o",
                    os.path.join(tmp, "perf.data")]
        else:
            cmd += ["perf", "stat", "-x,", "-e", ",".join(EVENTS), "-o",
                    os.path.join(tmp, "%s.%d" % (tag, r))]
        cmd += prog + (["--run-dir", rd] if r == 0 else [])
    out = subprocess.run(cmd, input=cmds, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, cwd=tmp,
                         check=True).stdout
    stats = {r: perf_stat(os.path.join(tmp, "%s.%d" % (tag, r)))
             for r in range(3) if not (record and r == 0)}
    return stats, pmpi(os.path.join(tmp, tag + ".pmpi")), rd, out


def threads_run(b, tmp, tag, cmds):
    path = os.path.join(tmp, tag + ".t")
    out = subprocess.run(["perf", "stat", "-x,", "-e", ",".join(EVENTS), "-o",
                          path, os.path.join(b, "bench", "tb_tessera"),
                          "--threads", "2"], input=cmds, text=True,
                         stdout=subprocess.PIPE, check=True).stdout
    return perf_stat(path), out


def wall_of(out):
    for line in out.splitlines():
        if line.startswith("tb ok"):
            return float(line.split()[2])
    raise SystemExit("no answer: " + out)


def trace_gaps(rd, steps):
    """Critical-path gaps per step from RUN_DIR/trace.csv (µs), and the
    median task duration."""
    with open(os.path.join(rd, "trace.csv")) as f:
        rows = list(csv.DictReader(f))
    first, last, end, dur = {}, {}, {}, []
    for r in rows:
        s = (int(r["task"]) - 1) // 2
        t0, t1 = int(r["start_ns"]), int(r["end_ns"])
        first[s] = min(first.get(s, t0), t0)
        last[s] = max(last.get(s, t0), t0)
        end[s] = max(end.get(s, t1), t1)
        dur.append((t1 - t0) / 1000.0)
    ok = [s for s in range(steps - 1) if s in end and s + 1 in first]
    return ([(first[s + 1] - end[s]) / 1000.0 for s in ok],
            [(last[s + 1] - end[s]) / 1000.0 for s in ok],
            statistics.median(dur))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel-us", type=float, default=20.0)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--record", action="store_true")
    a = ap.parse_args()
    src = os.environ.get("TOP_SRCDIR",
                         os.path.join(os.path.dirname(__file__), ".."))
    b = os.path.abspath(os.environ.get("TOP_BUILDDIR",
                                       os.path.join(src, "_build")))
    os.environ.update({"OMPI_ALLOW_RUN_AS_ROOT": "1",
                       "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                       "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
                       "OMPI_MCA_rmaps_base_oversubscribe": "1"})
    lib = ctypes.CDLL(os.path.join(b, "bench", ".libs", "libtbcore.so"))
    nsi = ns_per_iter(lib)
    iters = max(1, int(round(a.kernel_us * 1000 / nsi)))
    steps = a.steps
    graph = "graph stencil_1d 2 %d %d\nquit\n" % (steps, iters)
    tmp = tempfile.mkdtemp(prefix="tess-profile.")
    try:
        base, pbase, _, _ = mpi_run(b, tmp, "base", "quit\n")
        run, prun, rd, out = mpi_run(b, tmp, "run", graph)
        wall = wall_of(out)
        gaps, gaps_last, dur = trace_gaps(rd, steps)
        print("# stencil_1d width 2, %d steps, kernel %d iterations (%.1f µs "
              "at %.2f ns each)\n" % (steps, iters, iters * nsi / 1000, nsi))
        print("Tessera MPI (engine + 2 workers of 1 slot): %.1f µs per step "
              "(%.0f%% efficiency against the kernel alone); median task "
              "%.1f µs; from the last end of step s to the first start of "
              "step s+1: median %.1f µs (p90 %.1f), to the last start "
              "(both tasks running): median %.1f µs (p90 %.1f)\n" % (
                  wall / steps * 1e6, 100 * iters * nsi / 1e9 / (wall / steps),
                  dur, statistics.median(gaps),
                  sorted(gaps)[int(0.9 * len(gaps))],
                  statistics.median(gaps_last),
                  sorted(gaps_last)[int(0.9 * len(gaps_last))]))
        print("| per step | " + " | ".join(
            ["engine (rank 0)", "worker 1", "worker 2"]) + " |")
        print("|---|---|---|---|")
        for ev in [e.replace("syscalls:sys_enter_", "") for e in EVENTS]:
            unit = " (µs CPU)" if ev == "task-clock" else ""
            scale = 1000.0 if ev == "task-clock" else 1.0
            print("| {}{} | {} |".format(ev, unit, " | ".join(
                "%.2f" % ((run[r].get(ev, 0) - base[r].get(ev, 0)) * scale
                          / steps) for r in range(3))))
        for call in ("isend", "recv", "iprobe", "iprobe_hits", "test"):
            print("| MPI %s | %s |" % (call, " | ".join(
                "%.2f" % ((prun.get(r, {}).get(call, 0) -
                           pbase.get(r, {}).get(call, 0)) / steps)
                for r in range(3))))
        tb, _ = threads_run(b, tmp, "tbase", "quit\n")
        tr, tout = threads_run(b, tmp, "trun", graph)
        twall = wall_of(tout)
        print("\nTessera threads (2 executor threads + the submitting "
              "thread): %.1f µs per step (%.0f%% efficiency)\n" % (
                  twall / steps * 1e6, 100 * iters * nsi / 1e9 /
                  (twall / steps)))
        print("| per step | process |\n|---|---|")
        for ev in [e.replace("syscalls:sys_enter_", "") for e in EVENTS]:
            scale = 1000.0 if ev == "task-clock" else 1.0
            print("| {} | {:.2f} |".format(
                ev + (" (µs CPU)" if ev == "task-clock" else ""),
                (tr.get(ev, 0) - tb.get(ev, 0)) * scale / steps))
        if a.record:
            mpi_run(b, tmp, "rec", graph, record=True)
            rep = subprocess.run(["perf", "report", "-i",
                                  os.path.join(tmp, "perf.data"),
                                  "--no-children", "--sort", "dso,sym",
                                  "--stdio", "-g", "none"],
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True).stdout
            top = [l for l in rep.splitlines()
                   if "%" in l and not l.startswith("#")][:25]
            print("\nEngine rank, perf record (cpu-clock samples, top "
                  "symbols):\n\n```\n" + "\n".join(top) + "\n```")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
