#!/usr/bin/env python3
"""bench.py - Tessera's benchmark suite (make bench, make bench-quick).

Runs every measurement of issue 13 next to its baseline in one invocation,
interleaving the runtimes compared, and writes RESULTS.md (one table per
item: each figure with its baseline and the ratio, median and min-max over
the repetitions) and RESULTS.csv (every single measurement). The method is
in docs/performance.md; scripts/bench.sh installs what this needs first.

usage: bench.py [--quick] [--items LIST] [--out-dir DIR] [--reps N]
Environment: TOP_SRCDIR, TOP_BUILDDIR (set by make), PYTHON3.
"""
import argparse
import csv
import ctypes
import datetime
import os
import platform
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ITEMS = ["metg", "overhead", "dag", "data", "neurons", "startup"]
PATTERNS = ["stencil_1d", "trivial", "fft", "tree", "nearest"]
CORES = 2  # the width of the graphs and the cores of efficiency


# ---------------------------------------------------------------- helpers

def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def median(v):
    return statistics.median(v) if v else float("nan")


def pct(v, q):
    """The q-th percentile (nearest rank) of v."""
    if not v:
        return float("nan")
    s = sorted(v)
    k = max(0, min(len(s) - 1, int(round(q / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def fmt(x, digits=3):
    """A number with `digits` significant digits, '-' if missing."""
    if x is None or x != x:
        return "-"
    if x == 0:
        return "0"
    if abs(x) >= 10 ** digits:
        return "{:,.0f}".format(x)
    return "{:.{}g}".format(x, digits)


def mmm(v, scale=1.0, digits=3):
    """'median [min-max]' of v scaled."""
    v = [x * scale for x in v if x is not None and x == x]
    if not v:
        return "-"
    if len(v) == 1:
        return fmt(v[0], digits)
    return "{} [{}-{}]".format(fmt(median(v), digits), fmt(min(v), digits),
                               fmt(max(v), digits))


def ratio(a, b):
    if a is None or b is None or a != a or b != b or b == 0:
        return "-"
    return fmt(a / b, 3) + "x"


class Ctx:
    """What every item needs: paths, mode, the CSV rows."""

    def __init__(self, args):
        self.quick = args.quick
        self.src = os.path.abspath(os.environ.get("TOP_SRCDIR", os.path.join(
            os.path.dirname(__file__), "..")))
        self.build = os.path.abspath(os.environ.get("TOP_BUILDDIR", "."))
        self.bench = os.path.join(self.build, "bench")
        self.scratch = tempfile.mkdtemp(prefix="tess-bench.",
                                        dir=os.environ.get("TMPDIR", "/tmp"))
        self.logs = os.path.join(self.scratch, "logs")
        os.makedirs(self.logs)
        self.rows = []
        self.tables = []  # (item, markdown)
        self.notes = []
        self.reps = args.reps
        # the time budget: METG gets the first 45%, repetitions beyond the
        # first of the slower items stop when it runs out
        self.t0 = time.time()
        self.deadline = self.t0 + args.budget
        self.metg_deadline = self.t0 + 0.45 * args.budget
        env = os.environ
        env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1",
                    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                    # shared memory without CMA (ptrace is often restricted)
                    "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
                    "OMPI_MCA_rmaps_base_oversubscribe": "1",
                    "TESS_SCHEMA_DIR": os.path.join(self.src, "schemas")})
        paths = [os.path.join(self.build, d, ".libs") for d in
                 ("examples/neurons", "examples/pipeline", "bench")]
        env["TESS_KERNEL_PATH"] = ":".join(paths)

    def rec(self, item, runtime, metric, value, unit, pattern="", param="",
            rep=""):
        self.rows.append({"item": item, "runtime": runtime, "pattern": pattern,
                          "param": param, "rep": rep, "metric": metric,
                          "value": value, "unit": unit})

    def prog(self, name):
        return os.path.join(self.bench, name)

    def mpirun(self, np_or_spec, argv=None):
        """mpirun command: np_or_spec an int (SPMD argv) or a list of MPMD
        (np, env dict, argv) parts."""
        cmd = ["mpirun", "--oversubscribe", "--bind-to", "none", "-q"]
        if isinstance(np_or_spec, int):
            return cmd + ["-np", str(np_or_spec)] + argv
        for i, (n, env, a) in enumerate(np_or_spec):
            if i:
                cmd.append(":")
            cmd += ["-np", str(n)]
            for k, v in env.items():
                cmd += ["-x", "{}={}".format(k, v)]
            cmd += a
        return cmd


class ServerError(Exception):
    pass


class Server:
    """A benchmark program in server mode (tb_tessera, tb_mpi serve,
    tb_starpu): commands on its standard input, `tb ok ...` answers."""

    def __init__(self, ctx, name, cmd, env=None, timeout=120):
        self.name = name
        self.timeout = timeout
        self.err = open(os.path.join(ctx.logs, name + ".err"), "a")
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.err,
                                  env=e, cwd=ctx.scratch, text=True, bufsize=1)
        self.q = queue.Queue()
        threading.Thread(target=self._reader, daemon=True).start()
        self._answer("ready")

    def _reader(self):
        for line in self.p.stdout:
            if line.startswith("tb "):
                self.q.put(line.split()[1:])
        self.q.put(None)

    def _answer(self, want="ok"):
        try:
            a = self.q.get(timeout=self.timeout)
        except queue.Empty:
            raise ServerError("{}: no answer in {} s".format(self.name,
                                                             self.timeout))
        if a is None:
            raise ServerError("{}: exited ({})".format(self.name,
                                                       self.p.poll()))
        if a[0] != want:
            raise ServerError("{}: {}".format(self.name, " ".join(a)))
        return a[1:]

    def cmd(self, line, timeout=None):
        if timeout:
            self.timeout = timeout
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self._answer()

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
            self.p.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.p.kill()  # mpirun passes it on to its ranks
            self.p.wait()
        self.err.close()


def run_once(ctx, name, cmd, env=None, timeout=600, cwd=None):
    """Run a command to completion; returns (seconds, stdout)."""
    e = dict(os.environ)
    e.update(env or {})
    with open(os.path.join(ctx.logs, name + ".err"), "a") as err:
        t0 = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, env=e,
                           cwd=cwd or ctx.scratch, text=True, timeout=timeout)
        dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise ServerError("{} exited {} (see {}/{}.err)".format(
            name, r.returncode, ctx.logs, name))
    return dt, r.stdout


def tb_ok(out):
    for line in out.splitlines():
        if line.startswith("tb ok"):
            return line.split()[2:]
    raise ServerError("no answer in: " + out[-200:])


def rotate(seq, k):
    k %= len(seq)
    return seq[k:] + seq[:k]


def tessera_mpi_spec(ctx, workers, extra=(), archs=False, wrap=None):
    """MPMD spec of a Tessera MPI job: the engine and `workers` workers of
    one slot (TESS_ARCH a, b for the first two if archs); wrap(rank) gives
    a prefix command (strace) per rank."""
    prog = [ctx.prog("tb_tessera")] + list(extra)
    spec = []
    for r in range(workers + 1):
        env = {}
        if archs and 1 <= r <= 2:
            env["TESS_ARCH"] = "ab"[r - 1]
        spec.append((1, env, (wrap(r) if wrap else []) + prog))
    return spec


# ----------------------------------------------------------- 1. METG

def calibrate(ctx):
    """Nanoseconds per kernel iteration on this machine (best of 10)."""
    lib = ctypes.CDLL(os.path.join(ctx.bench, ".libs", "libtbcore.so"))
    lib.tb_compute.argtypes = [ctypes.c_int64]
    lib.tb_compute.restype = ctypes.c_double
    n = 1 << 20
    best = min(_timed(lambda: lib.tb_compute(n)) for _ in range(10))
    return best * 1e9 / n


def _timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


class Runtime:
    def __init__(self, name, label, run, steps, start_level):
        self.name, self.label, self.run = name, label, run
        self.steps, self.start_level = steps, start_level


def item_metg(ctx):
    q = ctx.quick
    ns_iter = calibrate(ctx)
    ctx.rec("metg", "-", "ns_per_iteration", ns_iter, "ns")
    steps = 50 if q else 1000
    dask_steps = 10 if q else 50
    top_us = 1000.0  # kernel time of the C runtimes' first level
    factor = 8 if q else 2  # kernel time ratio between levels
    # Dask starts 2^5 = 32x higher: its METG is ~10 ms, and its sweep must
    # begin above it (with fewer steps: 1000 steps at 30 ms take minutes)
    dask_up = 0 if q else 5
    c_start = dask_up
    levels = []
    us = top_us * factor ** dask_up
    while us >= 0.05 and int(round(us * 1000.0 / ns_iter)) >= 1:
        levels.append(int(round(us * 1000.0 / ns_iter)))
        us /= factor
    patterns = PATTERNS
    reps = ctx.reps or (1 if q else 3)

    servers = []
    rts = []
    try:
        s = Server(ctx, "metg-mpi", ctx.mpirun(CORES, [ctx.prog("tb_mpi"),
                                                         "serve"]))
        servers.append(s)
        rts.append(Runtime("mpi", "plain MPI (2 ranks)", s, steps, c_start))
        s = Server(ctx, "metg-threads", [ctx.prog("tb_tessera"), "--threads",
                                         str(CORES)])
        servers.append(s)
        rts.append(Runtime("tessera-threads", "Tessera threads (2)", s, steps,
                           c_start))
        s = Server(ctx, "metg-tessmpi", ctx.mpirun(tessera_mpi_spec(
            ctx, CORES, ["--run-dir", os.path.join(ctx.scratch, "rd-metg")])))
        servers.append(s)
        rts.append(Runtime("tessera-mpi", "Tessera MPI (engine + 2x1)", s,
                           steps, c_start))
        if os.path.exists(ctx.prog("tb_starpu")):
            s = Server(ctx, "metg-starpu", [ctx.prog("tb_starpu")],
                       env={"STARPU_NCPU": str(CORES), "STARPU_NCUDA": "0",
                            "STARPU_NOPENCL": "0", "STARPU_SILENT": "1",
                            "STARPU_HOME": ctx.scratch})
            servers.append(s)
            rts.append(Runtime("starpu", "StarPU 1.3 (2 CPU workers)", s,
                               steps, c_start))
        else:
            ctx.notes.append("StarPU: bench/tb_starpu not built (no "
                             "libstarpu-dev at configure time): not measured.")
        dask = None
        try:
            sys.dont_write_bytecode = True  # nothing written in the sources
            sys.path.insert(0, os.path.join(ctx.src, "bench"))
            import tb_dask
            dask = tb_dask.DaskRunner(os.path.join(ctx.bench, ".libs",
                                                   "libtbcore.so"), CORES)
            rts.append(Runtime("dask", "Dask distributed (2x1)", dask,
                               dask_steps, 0))
        except ImportError as e:
            ctx.notes.append("Dask: not measured ({}).".format(e))

        runs = []  # dicts: pattern rep rt level iters wall tasks
        done_reps = {}  # pattern: the repetitions run
        peak = [0.0]

        def one(rt, pattern, it):
            if isinstance(rt.run, Server):
                a = rt.run.cmd("graph {} {} {} {}".format(pattern, CORES,
                                                         rt.steps, it))
                wall, tasks = float(a[0]), int(a[1])
            else:
                wall, tasks = rt.run.graph(pattern, CORES, rt.steps, it)
            rate = tasks * it / wall
            # 1.5: the calibration may have run in a slow moment; a runtime
            # that skips tasks is off by far more
            if rate > 1.5 * CORES * 1e9 / ns_iter:
                raise ServerError("{} ran {} faster than {} cores can: did it "
                                  "skip tasks?".format(rt.name, pattern, CORES))
            peak[0] = max(peak[0], rate)
            return wall, tasks, rate

        # repetition-major: every pattern once, then the second round...;
        # stencil_1d (the headline) always gets every repetition, the others
        # only while the item's share of the time budget lasts
        t_start = time.time()
        took = {}
        for rep in range(reps):
            for pattern in patterns:
                if rep and pattern != "stencil_1d" and \
                        time.time() + took[pattern] > ctx.metg_deadline:
                    continue
                t = time.time()
                active = {rt.name: True for rt in rts}
                below = {rt.name: 0 for rt in rts}
                for lv, it in enumerate(levels):
                    order = rotate(rts, lv + rep)
                    for rt in order:
                        if lv < rt.start_level or not active[rt.name]:
                            continue
                        wall, tasks, rate = one(rt, pattern, it)
                        runs.append({"pattern": pattern, "rep": rep,
                                     "rt": rt.name, "level": lv, "iters": it,
                                     "wall": wall, "tasks": tasks,
                                     "rate": rate,
                                     "load": float(loadavg().split()[0])})
                        eff = rate / peak[0]
                        below[rt.name] = below[rt.name] + 1 if eff < 0.5 else 0
                        if below[rt.name] >= 2:
                            active[rt.name] = False
                    if not any(active.values()):
                        break
                took[pattern] = time.time() - t
                done_reps.setdefault(pattern, []).append(rep)
                log("metg: {} repetition {} done ({:.0f} s so far)".format(
                    pattern, rep + 1, time.time() - t_start))
    finally:
        for s in servers:
            s.close()
        if dask is not None:
            dask.close()

    peak = max(r["rate"] for r in runs)
    for r in runs:
        r["eff"] = r["rate"] / peak
        r["gran_us"] = r["wall"] * CORES / r["tasks"] * 1e6
        r["kernel_us"] = r["iters"] * ns_iter / 1000.0
        for m, v, u in (("efficiency", r["eff"], "fraction"),
                        ("granularity", r["gran_us"], "us"),
                        ("wall", r["wall"], "s"),
                        ("load_average_1min", r["load"], "")):
            ctx.rec("metg", r["rt"], m, v, u, r["pattern"],
                    "iters={} steps={}".format(r["iters"],
                                               r["tasks"] // CORES), r["rep"])
    ctx.rec("metg", "-", "peak_iterations_per_s", peak, "1/s")

    def metg_of(pattern, rt, rep):
        pts = [r for r in runs if r["pattern"] == pattern and r["rt"] == rt
               and r["rep"] == rep]
        ok = [r["gran_us"] for r in pts if r["eff"] >= 0.5]
        return min(ok) if ok else None

    def eff_at(pattern, rt, kernel_us):
        """Efficiencies at the level whose kernel is closest to kernel_us."""
        pts = [r for r in runs if r["pattern"] == pattern and r["rt"] == rt]
        if not pts:
            return []
        best = min(pts, key=lambda r: abs(r["kernel_us"] - kernel_us))
        return [r["eff"] for r in pts if r["level"] == best["level"]]

    def best_metg(pattern, rt):
        """METG of the best-of-repetitions curve: at each level the fastest
        run (noise on a shared machine only ever slows a run down)."""
        best = {}
        for r in runs:
            if r["pattern"] == pattern and r["rt"] == rt and \
                    (r["level"] not in best or
                     r["eff"] > best[r["level"]]["eff"]):
                best[r["level"]] = r
        ok = [r["gran_us"] for r in best.values() if r["eff"] >= 0.5]
        return min(ok) if ok else None

    def best_eff(pattern, rt, kernel_us):
        v = eff_at(pattern, rt, kernel_us)
        return "{}% ({}%)".format(fmt(100 * max(v)), fmt(100 * median(v))) \
            if v else "-"

    lines = ["| pattern | reps | runtime | METG(50%) µs, best of reps | vs "
             "plain MPI | METG per repetition, median [min-max] | efficiency "
             "at 1 ms tasks, best (median) | at ~100 µs |",
             "|---|---|---|---|---|---|---|---|"]
    for pattern in patterns:
        prs = done_reps.get(pattern, [])
        mpi_best = best_metg(pattern, "mpi")
        for rt in rts:
            m = [metg_of(pattern, rt.name, r) for r in prs]
            for r, x in zip(prs, m):
                ctx.rec("metg", rt.name, "metg50", x if x is not None else "",
                        "us", pattern, "", r)
            b = best_metg(pattern, rt.name)
            ctx.rec("metg", rt.name, "metg50_best", b if b is not None else "",
                    "us", pattern)
            got = [x for x in m if x is not None]
            text = mmm(got) if got else "never >= 50%"
            if got and len(got) < len(m):
                text += " ({} of {} reps)".format(len(got), len(m))
            lines.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
                pattern, len(prs), rt.label,
                fmt(b) if b is not None else "never >= 50%",
                ratio(b, mpi_best), text,
                best_eff(pattern, rt.name, 1000.0),
                best_eff(pattern, rt.name, 100.0)))
    head = ("Width {} (= cores), {} steps ({} for Dask), 16 bytes per "
            "dependence, compute-bound kernel at {:.2f} ns per iteration; "
            "kernel time swept from {:.0f} µs down by {}x per level; up to {} "
            "repetitions (stencil_1d always; the others as the time budget "
            "allows), runtimes interleaved; peak {:.3g} iterations/s "
            "(best run of any runtime). METG: smallest granularity "
            "(wall x cores / tasks) with efficiency >= 50%; the headline is "
            "the best-of-repetitions curve (at each kernel size the fastest "
            "of the interleaved runs: on a shared machine noise only slows "
            "runs down), next to the METG of each repetition.").format(
                CORES, steps, dask_steps, ns_iter,
                levels[c_start] * ns_iter / 1000.0, factor, reps, peak)
    ctx.tables.append(("1. METG(50%), Task Bench patterns",
                       head + "\n\n" + "\n".join(lines)))
    ctx.metg_curve = (runs, rts, patterns, reps)


# ----------------------------------------------- 2. overhead and latency

def item_overhead(ctx):
    q = ctx.quick
    n = 5000 if q else 100000
    reps = ctx.reps or (1 if q else 3)
    lines = ["| workers | Tessera MPI tasks/s | Tessera threads tasks/s | "
             "plain-MPI task farm tasks/s | Tessera MPI / farm | "
             "threads / farm |", "|---|---|---|---|---|---|"]
    for w in (1, 2, 4):
        res = {"tessera-mpi": [], "tessera-threads": [], "mpi-farm": []}
        tm = Server(ctx, "noop-tessmpi-%d" % w, ctx.mpirun(tessera_mpi_spec(
            ctx, w, ["--run-dir", os.path.join(ctx.scratch, "rd-noop%d" % w)])))
        th = Server(ctx, "noop-threads-%d" % w, [ctx.prog("tb_tessera"),
                                                  "--threads", str(w)])
        try:
            for rep in range(reps):
                for which in rotate(list(res), rep + w):
                    if which == "tessera-mpi":
                        v = float(tm.cmd("noop %d" % n)[1])
                    elif which == "tessera-threads":
                        v = float(th.cmd("noop %d" % n)[1])
                    else:
                        _, out = run_once(ctx, "farm", ctx.mpirun(
                            w + 1, [ctx.prog("tb_mpi"), "farm", str(n)]))
                        v = float(tb_ok(out)[1])
                    res[which].append(v)
                    ctx.rec("overhead", which, "noop_tasks_per_s", v, "1/s",
                            "noop", "workers=%d tasks=%d" % (w, n), rep)
        finally:
            tm.close()
            th.close()
        f = median(res["mpi-farm"])
        lines.append("| {} | {} | {} | {} | {} | {} |".format(
            w, mmm(res["tessera-mpi"]), mmm(res["tessera-threads"]),
            mmm(res["mpi-farm"]), ratio(median(res["tessera-mpi"]), f),
            ratio(median(res["tessera-threads"]), f)))
    ctx.tables.append(("2a. Per-task overhead: no-op tasks per second",
                       "{} independent no-op tasks (each reads one shared "
                       "8-byte value); Tessera MPI: engine + W workers of 1 "
                       "slot; threads: W executor threads; baseline: a "
                       "plain-MPI master handing tasks to W ranks, one "
                       "message each way per task, one task outstanding per "
                       "worker. {} repetitions, interleaved.\n\n".format(
                           n, reps) + "\n".join(lines)))

    # dependence latency: chains of tasks, each reading its predecessor's
    # output; Tessera MPI alternates the workers (architectures a, b)
    short_n = 100 if q else 1000
    long_n, long_us = (3, 200000) if q else (5, 1000000)
    rounds = 1 if q else 3
    gaps = {}
    tm = Server(ctx, "lat-tessmpi", ctx.mpirun(tessera_mpi_spec(
        ctx, 2, ["--run-dir", os.path.join(ctx.scratch, "rd-lat")],
        archs=True)), timeout=600)
    th = Server(ctx, "lat-threads", [ctx.prog("tb_tessera"), "--threads", "2"],
                timeout=600)
    kinds = [("short", "spin", 100, short_n), ("long", "sleep", long_us, long_n)]
    try:
        for rnd in range(rounds):
            for kind, how, us, cnt in kinds:
                if kind == "short" and rnd > 0:
                    continue  # one long chain of short tasks is enough
                for which in rotate(["tessera-mpi", "tessera-threads", "mpi"],
                                    rnd):
                    if which == "tessera-mpi":
                        a = tm.cmd("chain {} {} {} 1".format(cnt, how, us))
                    elif which == "tessera-threads":
                        a = th.cmd("chain {} {} {} 0".format(cnt, how, us))
                    else:
                        _, out = run_once(ctx, "ping", ctx.mpirun(
                            3, [ctx.prog("tb_mpi"), "ping", str(cnt), how,
                                str(us)]))
                        a = tb_ok(out)
                    g = gaps.setdefault((which, kind), [])
                    for x in a[1:]:
                        ns, cross = x.split(":")
                        g.append((int(ns) / 1000.0, cross == "1"))
    finally:
        tm.close()
        th.close()
    lines = ["| after | runtime | samples | cross-worker | median µs | "
             "p99 µs | max µs | median vs MPI |",
             "|---|---|---|---|---|---|---|---|"]
    labels = {"tessera-mpi": "Tessera MPI (alternating workers)",
              "tessera-threads": "Tessera threads (2)",
              "mpi": "plain MPI (A -> engine rank -> B)"}
    for kind, how, us, cnt in kinds:
        base = median([g for g, c in gaps.get(("mpi", kind), [])])
        for which in ("tessera-mpi", "tessera-threads", "mpi"):
            v = gaps.get((which, kind), [])
            us_list = [g for g, c in v]
            for g, c in v:
                ctx.rec("overhead", which, "dependence_latency", g, "us", kind,
                        "cross=%d" % c)
            lines.append("| {} {} | {} | {} | {} | {} | {} | {} | {} |".format(
                kind, "({} µs {})".format(us, how) if us < 10000 else
                "({:g} s {})".format(us / 1e6, how), labels[which],
                len(v), "{}/{}".format(sum(1 for g, c in v if c), len(v)),
                fmt(median(us_list)), fmt(pct(us_list, 99)),
                fmt(max(us_list) if us_list else None),
                ratio(median(us_list), base)))
    ctx.tables.append(("2b. Dependence latency",
                       "Time from a task's end to its successor's start "
                       "(both taken inside the kernels with CLOCK_REALTIME), "
                       "in a chain where each task reads its predecessor's "
                       "16-byte output. Tessera MPI: engine + 2 workers, "
                       "tasks pinned alternately to each (TESS_ARCH a/b "
                       "and task constraints), so every dependence crosses "
                       "workers; threads: 2 threads, whichever runs it; "
                       "baseline: plain MPI, rank A sends its end to the "
                       "engine rank, which forwards it to rank B (blocking "
                       "receives: the ranks poll). p99 of few samples is "
                       "close to the max.\n\n" + "\n".join(lines)))


# ------------------------------------------------ 3. dependence analysis

def kv(line):
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", line)}


def item_dag(ctx):
    q = ctx.quick
    w, s = (100, 100) if q else (1000, 1000)
    reps = ctx.reps or (1 if q else 3)
    res = {}
    for rep in range(reps):
        for pat in rotate(["stencil", "neurons", "threads"], rep):
            if pat == "threads":
                argv = ["threads", str(w), str(s), "2"]
            else:
                argv = ["analysis", str(w), str(s), pat]
            _, out = run_once(ctx, "bench_dag", [ctx.prog("bench_dag")] + argv)
            d = kv(out)
            res.setdefault(pat, []).append(d)
            for k, v in d.items():
                try:
                    ctx.rec("dag", "tessera", k, float(v), "", pat,
                            "w=%d steps=%d" % (w, s), rep)
                except ValueError:
                    pass

    def col(pat, key):
        return [float(d[key]) for d in res.get(pat, []) if key in d]

    lines = ["| pattern | tasks | tasks/s | ns/task | bytes per task in "
             "flight (peak) | bytes held after all done, per task | "
             "peak RSS MiB |", "|---|---|---|---|---|---|---|"]
    for pat in ("stencil", "neurons"):
        lines.append("| {} (analysis only) | {} | {} | {} | {} | {} | {} |"
                     .format(pat, fmt(median(col(pat, "tasks"))),
                             mmm(col(pat, "tasks_per_s")),
                             mmm(col(pat, "ns_per_task")),
                             mmm(col(pat, "bytes_per_live_task")),
                             mmm(col(pat, "retained_bytes_per_task")),
                             mmm(col(pat, "peak_rss_kib"), 1 / 1024.0)))
    lines.append("| stencil, whole engine, 2 threads, empty kernel | {} | {} "
                 "| {} | - | - | {} |".format(
                     fmt(median(col("threads", "tasks"))),
                     mmm(col("threads", "tasks_per_s")),
                     mmm(col("threads", "us_per_task"), 1000.0),
                     mmm(col("threads", "peak_rss_kib"), 1 / 1024.0)))
    ctx.tables.append((
        "3. Dependence analysis",
        "bench/bench_dag: W = {} blocks, {} steps (stencil_1d, 3 edges per "
        "task) and the neurons pattern (per fragment a task reading the "
        "input and writing two new arrays, then a gather writing one row of "
        "each result array), {} tasks in a window of 65536 in flight, "
        "retired as they become ready; targets: >= 10^6 tasks/s, <= 512 B "
        "per task. 'Held after' divides the engine's pool bytes once every "
        "task is done by the tasks submitted (pools keep freed records: an "
        "upper bound; the neurons result arrays keep one version per "
        "row).\n\n".format(w, s, w * s) + "\n".join(lines)))


# ------------------------------------------------------- 4. data plane

def raw_roundtrip(path, buf):
    """write+fsync+rename, then read back: what a fragment does, by hand."""
    t0 = time.perf_counter()
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    view = memoryview(buf)
    off = 0
    while off < len(buf):
        off += os.write(fd, view[off:])
    os.fsync(fd)
    os.close(fd)
    os.rename(tmp, path)
    t_w = time.perf_counter()
    dst = bytearray(len(buf))
    fd = os.open(path, os.O_RDONLY)
    dv = memoryview(dst)
    off = 0
    while off < len(dst):
        got = os.readv(fd, [dv[off:]])
        if got <= 0:
            break
        off += got
    os.close(fd)
    t1 = time.perf_counter()
    os.unlink(path)
    if dst[:64] != buf[:64]:
        raise ServerError("raw read back differs")
    return t1 - t0, t_w - t0


FILE_CALLS = ("openat", "open", "creat", "rename", "renameat", "renameat2",
              "unlink", "unlinkat", "mkdir", "mkdirat", "rmdir", "fsync",
              "fdatasync", "newfstatat", "statx", "stat", "lstat", "access",
              "faccessat", "faccessat2")
_STRACE = re.compile(r"^\s*\d+\s+(\d+\.\d+)\s+(\w+)\((.*)")


def count_ops(files, t0, t1):
    """Per kind, the calls in the strace -ttt logs `files` between UNIX
    times t0 and t1 (opens split into creating and plain ones), and
    "made": the distinct files and directories created."""
    c = {}
    made = set()
    for fn in files:
        with open(fn, errors="replace") as f:
            for line in f:
                m = _STRACE.match(line)
                if not m or "resumed>" in line:
                    continue
                t, name, rest = float(m.group(1)), m.group(2), m.group(3)
                if not t0 <= t <= t1 or name not in FILE_CALLS:
                    continue
                path = re.search(r'"([^"]*)"', rest)
                if name in ("openat", "open", "creat"):
                    name = "create" if name == "creat" or "O_CREAT" in rest \
                        else "open"
                    if name == "create" and path:
                        made.add(path.group(1))
                if name in ("mkdir", "mkdirat") and path and \
                        re.search(r"\) = 0$", rest.strip()):
                    made.add(path.group(1) + "/")
                name = {"renameat": "rename", "renameat2": "rename",
                        "unlinkat": "unlink", "mkdirat": "mkdir",
                        "fdatasync": "fsync", "newfstatat": "stat",
                        "statx": "stat", "lstat": "stat", "faccessat": "stat",
                        "faccessat2": "stat", "access": "stat"}.get(name, name)
                c[name] = c.get(name, 0) + 1
    c["made"] = len(made)
    return c


def item_data(ctx):
    q = ctx.quick
    big = (8 << 20) if q else (64 << 20)
    reps = ctx.reps or (1 if q else 5)
    tm = Server(ctx, "data-tessmpi", ctx.mpirun(tessera_mpi_spec(
        ctx, 2, ["--run-dir", os.path.join(ctx.scratch, "rd-data")],
        archs=True)), timeout=600)
    buf = bytes(range(256)) * (big // 256)
    res = {"tessera": [], "tessera-wall": [], "raw": [], "raw-write": []}
    try:
        for rep in range(reps):
            for which in rotate(["tessera", "raw"], rep):
                if which == "tessera":
                    a = tm.cmd("frag {} 1".format(big))
                    res["tessera"].append(float(a[1]))
                    res["tessera-wall"].append(float(a[0]))
                else:
                    t, tw = raw_roundtrip(os.path.join(ctx.scratch, "raw.bin"),
                                          buf)
                    res["raw"].append(t)
                    res["raw-write"].append(tw)
        for k, v in res.items():
            for r, x in enumerate(v):
                ctx.rec("data", k, "transfer_s", x, "s", "fragment",
                        "bytes=%d" % big, r)
        mib = big / float(1 << 20)
        bw = lambda v: [mib / x for x in v]
        lines = ["| {} MiB fragment | seconds | MiB/s | vs raw |".format(
            int(mib)), "|---|---|---|---|",
            "| Tessera: producer end -> consumer start, other worker | {} | "
            "{} | {} |".format(mmm(res["tessera"]), mmm(bw(res["tessera"])),
                               ratio(median(bw(res["tessera"])),
                                     median(bw(res["raw"])))),
            "| raw: write + fsync + rename + read (same file system) | {} | "
            "{} | 1x |".format(mmm(res["raw"]), mmm(bw(res["raw"]))),
            "| (raw write + fsync + rename alone) | {} | {} | |".format(
                mmm(res["raw-write"]), mmm(bw(res["raw-write"])))]
        ctx.tables.append(("4a. Data plane: a large fragment between workers",
                           "A task on worker a writes {} MiB, a task on "
                           "worker b reads it (Tessera MPI, engine + 2 "
                           "workers, fragment written as an HDF5 file, "
                           "fsynced, read by the other worker); baseline: "
                           "the same bytes written with write(), fsync(), "
                           "rename(), then read() back, in the driver, in "
                           "the same directory. {} repetitions, "
                           "interleaved.\n\n".format(int(mib), reps)
                           + "\n".join(lines)))

        # small fragments: inline (default) vs files (inline_max 1)
        steps = 100 if q else 500
        size = 1024
        tf = Server(ctx, "data-files", ctx.mpirun(tessera_mpi_spec(
            ctx, 2, ["--inline-max", "1", "--run-dir",
                     os.path.join(ctx.scratch, "rd-files")])), timeout=600)
        sm = {"inline": [], "files": []}
        try:
            for rep in range(reps if not q else 1):
                for which in rotate(["inline", "files"], rep):
                    srv = tm if which == "inline" else tf
                    a = srv.cmd("xfer {} {}".format(steps, size))
                    sm[which].append(int(a[1]) / float(a[0]))
                    ctx.rec("data", "tessera-" + which, "tasks_per_s",
                            sm[which][-1], "1/s", "xfer",
                            "bytes=%d steps=%d" % (size, steps), rep)
        finally:
            tf.close()
        lines = ["| {} B outputs | tasks/s | vs inline |".format(size),
                 "|---|---|---|",
                 "| inline (in the messages, default up to 64 KiB) | {} | 1x "
                 "|".format(mmm(sm["inline"])),
                 "| fragment files (inline_max = 1) | {} | {} |".format(
                     mmm(sm["files"]), ratio(median(sm["files"]),
                                             median(sm["inline"])))]
        ctx.tables.append(("4b. Small fragments: files vs inline",
                           "stencil_1d of width 2, {} steps, every task "
                           "writing {} bytes and reading both tasks' outputs "
                           "of the previous step (half of them from the "
                           "other worker).\n\n".format(steps, size)
                           + "\n".join(lines)))
    finally:
        tm.close()

    # files and metadata operations per 10^5 tasks, counted with strace
    if not shutil.which("strace"):
        ctx.notes.append("strace not found: file operations not counted.")
    else:
        steps = 50 if q else 500
        lines = ["| outputs | tasks | files+dirs created | creating opens | "
                 "renames | unlinks | mkdirs | fsyncs | other opens | stats | "
                 "files+dirs created per 10^5 tasks | metadata ops per 100 "
                 "tasks |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for label, extra, size in (("16 B, inline", [], 16),
                                   ("1 KiB, files (inline_max 1)",
                                    ["--inline-max", "1"], 1024),
                                   ("128 KiB, files (above inline_max)", [],
                                    131072)):
            tag = "strace-%d-%d" % (size, len(extra))
            d = os.path.join(ctx.scratch, tag)
            os.makedirs(d)

            def wrap(r, d=d):
                return ["strace", "-f", "-ttt", "-o",
                        os.path.join(d, "rank%d" % r), "-e",
                        "trace=%file,fsync,fdatasync"]
            srv = Server(ctx, tag, ctx.mpirun(tessera_mpi_spec(
                ctx, 2, extra + ["--run-dir", os.path.join(d, "run")],
                wrap=wrap)), timeout=900)
            try:
                a = srv.cmd("xfer {} {}".format(steps, size))
            finally:
                srv.close()
            tasks, t0, t1 = int(a[1]), int(a[2]) / 1e9, int(a[3]) / 1e9
            c = count_ops([os.path.join(d, f) for f in os.listdir(d)
                           if f.startswith("rank")], t0, t1)
            made = c["made"]
            meta = sum(c.get(k, 0) for k in ("create", "rename", "unlink",
                                             "mkdir", "rmdir"))
            for k, v in c.items():
                ctx.rec("data", "tessera", "file_ops_" + k, v, "calls",
                        "xfer", "bytes=%d tasks=%d %s" % (size, tasks,
                                                         " ".join(extra)))
            lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} "
                         "| {} | {} |".format(
                             label, tasks, made, c.get("create", 0),
                             c.get("rename", 0), c.get("unlink", 0),
                             c.get("mkdir", 0), c.get("fsync", 0),
                             c.get("open", 0), c.get("stat", 0),
                             fmt(made * 1e5 / tasks),
                             fmt(meta * 100.0 / tasks)))
            shutil.rmtree(d, ignore_errors=True)
        ctx.tables.append((
            "4c. Files and metadata operations",
            "System calls of all three ranks (strace -f, path-taking calls "
            "and fsync) while a stencil_1d of width 2 runs, every task "
            "writing one output; counted between the command's first "
            "submission and its end (start-up excluded), scaled per 10^5 "
            "tasks. Metadata operations: opens that create, renames, "
            "unlinks, mkdirs, rmdirs (each a metadata-server request on a "
            "parallel file system; stats and plain opens are too, shown "
            "apart). Target: <= 1 file or directory operation per 100 "
            "fragments.\n\n"
            + "\n".join(lines)))

    # the fragment format itself (io/h5frag) vs raw files: bench_h5frag
    sizes = ["1"] if q else ["64", "1", "64k"]
    _, out = run_once(ctx, "bench_h5frag", [ctx.prog("bench_h5frag"), "-d",
                                             ctx.scratch, "-r",
                                             "1" if q else "3"] + sizes,
                      timeout=900)
    ctx.tables.append(("4d. Fragment files (io/h5frag) vs raw files, library "
                       "level", "bench/bench_h5frag (median MiB/s; raw = "
                       "write/fsync/rename and read of the same bytes; cold "
                       "= page cache dropped):\n\n```\n" + out.strip()
                       + "\n```"))
    ctx.rec("data", "bench_h5frag", "output", out.strip().replace("\n", " | "),
            "text")


# ------------------------------------------------------------ 5. neurons

def item_neurons(ctx):
    q = ctx.quick
    b = ctx.build
    gen = os.path.join(b, "examples/neurons/tessera-gen-spikes")
    seq = os.path.join(b, "examples/neurons/tessera-cc-seq")
    tessera = os.path.join(b, "launcher/tessera")
    xml = os.path.join(ctx.src, "examples/neurons/cc_surrogates.xml")
    sizes = [("original (100 neurons)", 100)] if not q else \
        [("quick (30 neurons)", 30)]
    if not q:
        sizes.append(("4x: 200 neurons (4x the pairs)", 200))
    reps = ctx.reps or (1 if q else 3)
    lines = ["| size | reps | sequential s | 1 worker s | 2 workers s | "
             "speedup 1 | speedup 2 | efficiency 2 |",
             "|---|---|---|---|---|---|---|---|"]
    for label, n in sizes:
        spikes = os.path.join(ctx.scratch, "spikes%d.h5" % n)
        run_once(ctx, "gen", [gen, spikes, "--neurons", str(n), "--bins",
                              "500"])
        t = {"seq": [], "w1": [], "w2": []}
        for rep in range(reps):
            t_rep = time.time()
            for which in rotate(list(t), rep):
                if which == "seq":
                    out = os.path.join(ctx.scratch, "seq%d.h5" % n)
                    dt, _ = run_once(ctx, "cc-seq", [seq, spikes, out])
                    os.unlink(out)
                else:
                    w = which[1]
                    rd = os.path.join(ctx.scratch, "nrun-%d-%s-%d" % (
                        n, w, rep))
                    dt, _ = run_once(ctx, "neurons-run", [
                        tessera, "run", xml, "-n", w, "--slots", "1",
                        "--param", "spikes=" + spikes, "--run-dir", rd])
                    shutil.rmtree(rd, ignore_errors=True)
                t[which].append(dt)
                ctx.rec("neurons", which, "wall", dt, "s", "neurons",
                        "neurons=%d bins=500 maxlag=200 surrogates=200" % n,
                        rep)
            # keep time for the start-up item
            if time.time() + 2 * (time.time() - t_rep) > ctx.deadline - 20:
                break
        s = median(t["seq"])
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
            label, len(t["seq"]), mmm(t["seq"]), mmm(t["w1"]), mmm(t["w2"]),
            ratio(s, median(t["w1"])), ratio(s, median(t["w2"])),
            fmt(100 * s / median(t["w2"]) / 2) + "%"))
    ctx.tables.append((
        "5. Neurons (cross-correlation with surrogates)",
        "examples/neurons: 500 bins, maxlag 200, 200 surrogates, 10 "
        "fragments; tessera-cc-seq (the sequential reference, no engine) vs "
        "`tessera run cc_surrogates.xml -n W --slots 1` (engine + W workers "
        "of one slot), wall time of the whole command (start-up, input and "
        "results.h5 included); the larger size doubles the neurons (4x the "
        "pairs, 4x the work and output). Speedup = sequential / run; "
        "efficiency = speedup / workers. Up to {} repetitions (as the time "
        "budget allows), interleaved.\n\n".format(reps) + "\n".join(lines)))


# ------------------------------------------------------------ 6. start-up

def item_startup(ctx):
    q = ctx.quick
    reps = 3 if q else 10
    tessera = os.path.join(ctx.build, "launcher/tessera")
    xml = os.path.join(ctx.src, "bench/one_task.xml")
    t = {"tessera": [], "mpirun": []}
    for rep in range(reps):
        for which in rotate(list(t), rep):
            if which == "tessera":
                rd = os.path.join(ctx.scratch, "one-%d" % rep)
                dt, _ = run_once(ctx, "one-task", [tessera, "run", xml, "-n",
                                                   "2", "--run-dir", rd])
                shutil.rmtree(rd, ignore_errors=True)
            else:
                dt, _ = run_once(ctx, "mpirun-true", ctx.mpirun(
                    3, ["/bin/true"]))
            t[which].append(dt)
            ctx.rec("startup", which, "wall", dt, "s", "one_task", "", rep)
    lines = ["| command | seconds | vs mpirun |", "|---|---|---|",
             "| `tessera run one_task.xml -n 2` | {} | {} |".format(
                 mmm(t["tessera"]), ratio(median(t["tessera"]),
                                          median(t["mpirun"]))),
             "| `mpirun -np 3 /bin/true` | {} | 1x |".format(
                 mmm(t["mpirun"]))]
    ctx.tables.append((
        "6. Start-up",
        "Wall time of `tessera run` of a one-task workflow (bench/"
        "one_task.xml: validation, run directory, mpirun of the engine and "
        "2 workers, the task, results.h5, shutdown) vs an empty MPI job of "
        "3 ranks; {} repetitions, interleaved. Target: <= 0.3 s.\n\n"
        .format(reps) + "\n".join(lines)))


# --------------------------------------------------------------- output

def loadavg():
    """The 1, 5 and 15-minute load averages (other jobs on the machine)."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def machine(ctx):
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", ctx.src, "describe", "--always",
                                 "--dirty", "--abbrev=12"],
                                stdout=subprocess.PIPE, text=True,
                                stderr=subprocess.DEVNULL).stdout.strip()
    except OSError:
        commit = "?"
    return {"cores": os.cpu_count(), "model": model,
            "kernel": platform.release(), "commit": commit or "?",
            "date": datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC"), "load": loadavg()}


def write(ctx, out_dir, m, seconds):
    os.makedirs(out_dir, exist_ok=True)
    md = os.path.join(out_dir, "results.md")
    cs = os.path.join(out_dir, "results.csv")
    with open(md + ".tmp", "w") as f:
        f.write("# Tessera benchmark results{}\n\n".format(
            " (quick: smoke run, not for comparison)" if ctx.quick else ""))
        f.write("Machine: {cores} cores, {model}, Linux {kernel}; load "
                "average at the start {load}, at the end {end}. Date: {date}. "
                "Commit: {commit}.\n".format(end=loadavg(), **m))
        f.write("Written by `make bench{}` in {:.0f} s; every measurement is "
                "in results.csv. Method: docs/performance.md. Times are "
                "medians [min-max] over repetitions; ratios compare medians "
                "measured in this same invocation.\n".format(
                    "-quick" if ctx.quick else "", seconds))
        for title, body in ctx.tables:
            f.write("\n## {}\n\n{}\n".format(title, body))
        if ctx.notes:
            f.write("\n## Notes\n\n" + "\n".join("- " + n for n in ctx.notes)
                    + "\n")
    os.replace(md + ".tmp", md)
    with open(cs + ".tmp", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["item", "runtime", "pattern",
                                          "param", "rep", "metric", "value",
                                          "unit"])
        w.writeheader()
        for k, v in m.items():
            w.writerow({"item": "machine", "metric": k, "value": v})
        w.writerows(ctx.rows)
    os.replace(cs + ".tmp", cs)
    return md, cs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: small sizes, one repetition")
    ap.add_argument("--items", default=",".join(ITEMS),
                    help="comma-separated subset of " + ",".join(ITEMS))
    ap.add_argument("--out-dir", default=None,
                    help="where results.md/csv go (default: SRCDIR/bench, "
                         "or BUILDDIR/bench with --quick)")
    ap.add_argument("--reps", type=int, default=0,
                    help="repetitions (default: 3, 1 with --quick)")
    ap.add_argument("--budget", type=float, default=0,
                    help="seconds the whole suite should take (default: 780, "
                         "90 with --quick); extra repetitions are dropped "
                         "to fit")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch directory (logs)")
    args = ap.parse_args()
    if not args.budget:
        args.budget = 90 if args.quick else 780
    ctx = Ctx(args)
    items = [i for i in args.items.split(",") if i]
    for i in items:
        if i not in ITEMS:
            ap.error("unknown item " + i)
    out_dir = args.out_dir or os.path.join(
        ctx.build if ctx.quick else ctx.src, "bench")
    m = machine(ctx)
    t0 = time.time()
    fns = {"metg": item_metg, "overhead": item_overhead, "dag": item_dag,
           "data": item_data, "neurons": item_neurons,
           "startup": item_startup}
    failed = []
    for i in ITEMS:
        if i not in items:
            continue
        log("{} ...".format(i))
        t = time.time()
        try:
            fns[i](ctx)
        except (ServerError, subprocess.SubprocessError, OSError) as e:
            failed.append(i)
            ctx.notes.append("{} failed: {}".format(i, e))
            log("{} FAILED: {}".format(i, e))
        log("{} done in {:.0f} s".format(i, time.time() - t))
    md, cs = write(ctx, out_dir, m, time.time() - t0)
    log("wrote {} and {} in {:.0f} s".format(md, cs, time.time() - t0))
    if args.keep or failed:
        log("logs kept in " + ctx.logs)
    else:
        shutil.rmtree(ctx.scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
