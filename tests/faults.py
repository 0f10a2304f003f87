#!/usr/bin/python3
"""faults.py - kill runs of tests/wfrun/faults.xml at chosen instants,
resume them, and check that nothing was lost (tests/t5110-*, t5120-*,
t5130-*).

    faults.py SCRATCH --seed S [--workers W] [--n N] [--ms MS]
              [--kill TARGET:COUNT]... [--hook KIND:COUNT]...

TARGET is engine (rank 0; with -n 0 the tessera process), worker (one
worker rank), job (the launcher's process group and every descendant),
all SIGKILLed; or term (SIGTERM to the launcher: scancel, ^C) and
deadline (TESS_DEADLINE: the run stops as at a job's time limit), which
the run records as cancelled or stopped-wall-time, saying how to
continue.
Each of the COUNT kills of a target happens at an instant drawn from the
seed: alternately a time after the start (within the uninterrupted run's
duration) and a number of completed tasks (rows of trace.csv); every
fourth job kill also kills the first resume, which is resumed again.
KIND is a TESS_FAULT hook (journal, fragment, results, publish: docs/design.md,
"Fault injection"): the run kills itself at the Nth such operation, N
drawn from the seed.

For every kill point: after the crash, every .h5 file left in the run
directory either opens and reads cleanly (h5py) or is gone after the
resume, and no temporary is left (in the run directory, or beside a
published file); `tessera resume` exits 0; results.h5 equals the uninterrupted
run's dataset by dataset, bit for bit (the root attributes too, except
'created' and 'tasks_replayed', which differ by design); the published
files equal the uninterrupted run's; the journal holds no task twice
(journal_stats: duplicates 0) and trace.csv shows exactly the tasks the
journal held at the crash as replayed (none of them ran again); no
process of the killed run is left. A task counts as completed when its
journal record is in the file, whole, when the run dies: a task that
ended on its worker but whose record was still in the engine's memory is
not completed and runs again, by design.

Prints one line per kill point and a summary; exit 0 if every check
passed, 1 otherwise.

    faults.py compare REF_DIR DIR

compares the results of two runs of faults.xml started in REF_DIR and DIR
(their run directories r*/, their published files): every dataset of
results.h5 bit for bit, every published file byte for byte; exit 0 if
equal, 1 (saying what differs) otherwise. Runs with other parameters that
do not change the values (ms) compare equal.
"""
import argparse
import ctypes
import glob
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

TOP_SRCDIR = os.environ["TOP_SRCDIR"]
TOP_BUILDDIR = os.environ["TOP_BUILDDIR"]
TESSERA = os.path.join(TOP_BUILDDIR, "launcher", "tessera")
JSTATS = os.path.join(TOP_BUILDDIR, "tests", "prog", "journal_stats")
WORKFLOW = os.path.join(TOP_SRCDIR, "tests", "wfrun", "faults.xml")
# attributes of results.h5 that differ between runs by design
VOLATILE_ATTRS = {"created", "tasks_replayed"}


def proc_table():
    """{pid: (ppid, state)} of every process."""
    t = {}
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % e) as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2:].split()
        t[int(e)] = (int(rest[1]), rest[0])
    return t


def descendants(root):
    """Live (not zombie) descendants of root."""
    t = proc_table()
    out, grew = set(), True
    while grew:
        grew = False
        for pid, (ppid, _) in t.items():
            if pid not in out and (ppid == root or ppid in out):
                out.add(pid)
                grew = True
    return {p for p in out if t[p][1] != "Z"}


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return False
    return s[s.rindex(")") + 2] != "Z"


def reap():
    """Reap the zombies reparented to us (we are a subreaper)."""
    me = os.getpid()
    for pid, (ppid, state) in proc_table().items():
        if ppid == me and state == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def dump_tree(root):
    """Print what is left of a run that does not end: each process under
    root with its parent, state, kernel wait channel, rank and command."""
    t = proc_table()
    print("  processes of the run that did not end:", flush=True)
    for pid in sorted(descendants(root) | {root}):
        def read(name):
            try:
                with open("/proc/%d/%s" % (pid, name), "rb") as f:
                    return f.read().decode(errors="replace")
            except OSError:
                return "?"
        cmd = read("cmdline").replace("\0", " ").strip()
        print("    pid %d ppid %d state %s wchan %s rank %s: %s" %
              (pid, t.get(pid, (0, "?"))[0], t.get(pid, (0, "?"))[1],
               read("wchan"), rank_of(pid), cmd[:160]), flush=True)


def rank_of(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            env = f.read().split(b"\0")
    except OSError:
        return None
    for v in env:
        if v.startswith(b"OMPI_COMM_WORLD_RANK="):
            return int(v.split(b"=", 1)[1])
    return None


def find_rank(launcher, rank):
    """The pid of MPI rank `rank` of the job started by launcher (a child
    of mpirun, not one of its executor processes), or None."""
    t = proc_table()
    for pid in descendants(launcher):
        ppid = t.get(pid, (0, ""))[0]
        if rank_of(pid) == rank and rank_of(ppid) is None:
            return pid
    return None


def ok_rows(run_dir):
    try:
        with open(os.path.join(run_dir, "trace.csv")) as f:
            return sum(1 for line in f if line.rstrip().endswith(",ok,"))
    except OSError:
        return 0


def trace_states(run_dir):
    n = {}
    with open(os.path.join(run_dir, "trace.csv")) as f:
        next(f)
        for line in f:
            # state is the second to last field (message is "" for these)
            parts = line.rstrip("\n").split(",")
            if len(parts) >= 2:
                n[parts[-2]] = n.get(parts[-2], 0) + 1
    return n


def rerun_after_ok(run_dir):
    """Tasks with an ok row before the resume (the first replayed row)
    that ran again after it: they ended on their worker but their journal
    record was not written when the run died (not completed, by the
    journal's definition). Rows are CSV; ids and states are plain."""
    before, after, resumed = set(), set(), False
    with open(os.path.join(run_dir, "trace.csv")) as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split(",")
            if parts[-2] == "replayed":
                resumed = True
            elif parts[-2] == "ok":
                (after if resumed else before).add(parts[0])
    return len(before & after)


def state_of(run_dir):
    try:
        with open(os.path.join(run_dir, "status.txt")) as f:
            for line in f:
                if line.startswith("state: "):
                    return line[7:].strip()
    except OSError:
        pass
    return None


def message_of(run_dir):
    try:
        with open(os.path.join(run_dir, "status.txt")) as f:
            for line in f:
                if line.startswith("message: "):
                    return line[9:].rstrip("\n")
    except OSError:
        pass
    return ""


def jstats(run_dir):
    out = subprocess.run([JSTATS, run_dir], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return {k: int(v) for k, v in (l.split() for l in out.stdout.splitlines())}


def h5_files(run_dir):
    """Every file in run_dir that is (or was being written as) HDF5."""
    out = []
    for root, _, files in os.walk(run_dir):
        for f in files:
            if f.endswith(".h5") or ".h5." in f:
                out.append(os.path.join(root, f))
    return sorted(out)


def h5_opens(path):
    """True if path opens with h5py and every dataset reads whole."""
    try:
        with h5py.File(path, "r") as f:
            def visit(name, obj):
                if isinstance(obj, h5py.Dataset):
                    obj[()]
            f.visititems(visit)
            for a in f.attrs:
                f.attrs[a]
        return True
    except Exception:
        return False


def temps(run_dir):
    return [p for p in glob.glob(run_dir + "/**", recursive=True)
            if ".tmp." in os.path.basename(p) or
            ".tess-tmp." in os.path.basename(p)]


def load_results(path):
    with h5py.File(path, "r") as f:
        data = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data[name] = (obj.dtype.str, obj.shape, obj[()].tobytes())
        f.visititems(visit)
        attrs = {k: np.asarray(v).tobytes() for k, v in f.attrs.items()}
    return data, attrs


def published(d):
    out = {}
    for p in sorted(glob.glob(os.path.join(d, "*.txt")) +
                    glob.glob(os.path.join(d, "*.log"))):
        with open(p, "rb") as f:
            out[os.path.basename(p)] = f.read()
    return out


class Suite:
    def __init__(self, a):
        self.a = a
        self.failures = []
        self.points = self.resumes = self.mismatches = self.reexec = 0
        self.missed = 0
        self.seen = set()  # every pid of every run, checked at the end
        self.env = dict(os.environ)
        self.env.pop("TESS_FAULT", None)
        self.params = ["--param", "n=%d" % a.n, "--param", "ms=%d" % a.ms]

    def fail(self, what):
        self.failures.append(what)
        print("  FAIL: " + what, flush=True)

    def start(self, d, fault=None, resume=False, cwd=None, deadline=None):
        env = dict(self.env)
        if fault:
            env["TESS_FAULT"] = fault
        if deadline is not None:
            # the engine stops starting tasks `deadline` s from now (the
            # default margin is 30 s), as before a job's time limit
            env["TESS_DEADLINE"] = "%.3f" % (time.time() + 30 + deadline)
        if resume:
            cmd = [TESSERA, "resume", os.path.join(d, "r")]
        else:
            cmd = [TESSERA, "run", "faults.xml", "-n", str(self.a.workers),
                   "--run-dir", "r"] + self.params
        log = open(os.path.join(d, "resume.out" if resume else "run.out"),
                   "a")
        return subprocess.Popen(cmd, cwd=cwd or d, env=env, stdout=log,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)

    def watch(self, p):
        self.seen |= descendants(os.getpid())

    def reference(self):
        d = os.path.join(self.a.scratch, "ref")
        os.makedirs(d)
        shutil.copy(WORKFLOW, os.path.join(d, "faults.xml"))
        t0 = time.monotonic()
        p = self.start(d)
        while p.poll() is None:
            self.watch(p)
            time.sleep(0.02)
        self.duration = time.monotonic() - t0
        if p.returncode != 0:
            sys.exit("faults.py: the uninterrupted run failed: " +
                     open(os.path.join(d, "run.out")).read())
        self.ref = load_results(os.path.join(d, "r", "results.h5"))
        self.ref_files = published(d)
        self.ntasks = 5 * self.a.n + 1
        print("reference: %d tasks in %.2f s" % (self.ntasks, self.duration),
              flush=True)

    def kill(self, p, target, rng):
        """Kill target of the run of launcher p; what was killed."""
        if target == "job" or (target == "engine" and self.a.workers == 0):
            # the launcher's group and every descendant, until none is left
            for _ in range(100):
                # ours: this run's only (one run at a time); orphans of the
                # launcher are our children (subreaper)
                pids = descendants(os.getpid())
                if not pids:
                    break
                self.seen |= pids
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.01)
            return "job"
        rank = 0 if target == "engine" else rng.randint(1, self.a.workers)
        for _ in range(500):
            pid = find_rank(p.pid, rank)
            if pid:
                os.kill(pid, signal.SIGKILL)
                return "rank %d" % rank
            if p.poll() is not None:
                return None
            time.sleep(0.01)
        return None

    def trigger(self, p, run_dir, how, value):
        """Wait for the kill instant; False if the run ended first."""
        t0 = time.monotonic()
        while p.poll() is None:
            self.watch(p)
            if how == "time" and time.monotonic() - t0 >= value:
                return True
            if how == "tasks" and ok_rows(run_dir) >= value:
                return True
            time.sleep(0.005)
        return False

    def wait_end(self, p, d, what):
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.fail("%s: %s did not end within 120 s" % (d, what))
            dump_tree(p.pid)
            for log in ("run.out", "resume.out"):
                try:
                    with open(os.path.join(d, log)) as f:
                        tail = f.read()[-3000:]
                    print("  %s (end):\n%s" % (log, tail), flush=True)
                except OSError:
                    pass
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        reap()
        return p.returncode

    def check_after_crash(self, run_dir):
        """The .h5 files that do not open now (must be gone after the
        resume)."""
        return [f for f in h5_files(run_dir) if not h5_opens(f)]

    def resume(self, d, cwd=None, kill_at=None, rng=None):
        """Resume the run of d (from cwd); with kill_at, kill that resume
        at that many completed tasks and resume again."""
        p = self.start(d, resume=True, cwd=cwd)
        self.killed_twice = False
        if kill_at is not None:
            if self.trigger(p, os.path.join(d, "r"), "tasks", kill_at):
                self.kill(p, "job", rng)
                self.wait_end(p, d, "the killed resume")
                self.resumes += 1
                self.killed_twice = True
                p = self.start(d, resume=True, cwd=cwd)
        while p.poll() is None:
            self.watch(p)
            time.sleep(0.02)
        rc = self.wait_end(p, d, "the resume")
        self.resumes += 1
        return rc

    def check_resumed(self, d, before, bad_h5, label):
        run_dir = os.path.join(d, "r")
        ok = True
        left = [f for f in bad_h5 if os.path.exists(f)]
        if left:
            self.fail("%s: half-written HDF5 files left after the resume: %s"
                      % (label, left))
            ok = False
        bad = [f for f in h5_files(run_dir) if not h5_opens(f)]
        if bad:
            self.fail("%s: files that do not open after the resume: %s"
                      % (label, bad))
            ok = False
        if temps(run_dir):
            self.fail("%s: temporaries left: %s" % (label, temps(run_dir)))
            ok = False
        litter = glob.glob(os.path.join(d, "*.tess-tmp.*"))
        if litter:
            self.fail("%s: publication temporaries left: %s" % (label, litter))
            ok = False
        try:
            got = load_results(os.path.join(run_dir, "results.h5"))
        except Exception as e:
            got = ({}, {})
            self.fail("%s: results.h5: %s" % (label, e))
        diff = sorted(k for k in set(got[0]) | set(self.ref[0])
                      if got[0].get(k) != self.ref[0].get(k))
        adiff = sorted(k for k in set(got[1]) | set(self.ref[1])
                       if k not in VOLATILE_ATTRS and
                       got[1].get(k) != self.ref[1].get(k))
        fdiff = sorted(k for k in set(self.ref_files) | set(published(d))
                       if published(d).get(k) != self.ref_files.get(k))
        if diff or adiff or fdiff:
            self.mismatches += 1
            self.fail("%s: differs from the uninterrupted run: datasets %s, "
                      "attributes %s, files %s" % (label, diff, adiff,
                                                   fdiff[:5]))
            ok = False
        after = jstats(run_dir)
        states = trace_states(run_dir)
        replayed = states.get("replayed", 0)
        if after is None:
            self.fail("%s: the journal cannot be read" % label)
            return False
        dup = after["duplicates"]
        self.reexec += dup
        if dup:
            self.fail("%s: %d completed tasks ran again (journal)" %
                      (label, dup))
            ok = False
        if before is not None and replayed < before["tasks"]:
            self.reexec += before["tasks"] - replayed
            self.fail("%s: the journal held %d tasks, %d were replayed" %
                      (label, before["tasks"], replayed))
            ok = False
        self.replayed_total += replayed
        if before is not None:
            self.ended_rerun += rerun_after_ok(run_dir)
        return ok

    def miss(self, p, d, label, why):
        """A kill point the run did not reach: drawn again (False)."""
        self.missed += 1
        self.wait_end(p, d, "the run")
        print("%s: missed (%s)" % (label, why), flush=True)
        shutil.rmtree(d)
        return False

    def point(self, label, target=None, how=None, value=None, fault=None,
              rng=None, double=False, elsewhere=False):
        d = os.path.join(self.a.scratch, "p%02d" % (self.points +
                                                    self.missed))
        os.makedirs(d)
        shutil.copy(WORKFLOW, os.path.join(d, "faults.xml"))
        run_dir = os.path.join(d, "r")
        p = self.start(d, fault=fault,
                       deadline=value if target == "deadline" else None)
        what = fault
        if target == "deadline":
            what = "nothing (the time limit stopped it)"
        elif target:
            if not self.trigger(p, run_dir, how, value):
                return self.miss(p, d, label, "the run ended first")
            if target == "term":
                # as scancel or ^C: the launcher is told, the run stops
                os.kill(p.pid, signal.SIGTERM)
                what = "SIGTERM to the launcher"
            else:
                what = self.kill(p, target, rng)
                if what is None:
                    return self.miss(p, d, label, "no such rank")
        rc = self.wait_end(p, d, "the killed run")
        if target in ("deadline", "term"):
            # a stop the run records, saying how to continue
            want = "stopped-wall-time" if target == "deadline" else "cancelled"
            if rc == 0:
                return self.miss(p, d, label, "the run completed")
            msg = message_of(run_dir)
            if state_of(run_dir) != want or rc != 1 or \
                    "continue with: tessera resume " + run_dir not in msg:
                self.fail("%s: exit %d, state %s, message '%s': expected "
                          "exit 1, %s, and how to continue" % (
                              label, rc, state_of(run_dir), msg, want))
        if fault and rc == 0:
            return self.miss(p, d, label, "the hook was not reached")
        self.points += 1
        done = ok_rows(run_dir)
        bad_h5 = self.check_after_crash(run_dir)
        before = jstats(run_dir)
        kill_at = None
        if double and before:
            # halfway through what the resume runs (ok rows are appended)
            kill_at = done + max(1, (self.ntasks - before["tasks"]) // 2)
        completed = state_of(run_dir) == "completed"
        rrc = self.resume(d, cwd=self.a.scratch if elsewhere else None,
                          kill_at=kill_at, rng=rng)
        if rrc != 0:
            self.fail("%s: tessera resume exited %d: %s" % (
                label, rrc, open(os.path.join(d, "resume.out")).read()[-2000:]))
            return True
        # a run killed after its record said "completed" (results and
        # files published) is left as it is, but for temporaries
        ok = self.check_resumed(d, None if self.killed_twice or completed
                                else before, bad_h5, label)
        print("%s: killed %s at %d tasks done (journal %s tasks, %s torn "
              "bytes; %d .h5 unreadable) -> resumed%s%s: %s" % (
                  label, what, done, before and before["tasks"],
                  before and before["torn_bytes"], len(bad_h5),
                  " (killed again, resumed again)" if self.killed_twice
                  else " (it had completed)" if completed else "",
                  " from elsewhere" if elsewhere else "",
                  "ok" if ok else "FAILED"), flush=True)
        if ok:
            shutil.rmtree(d)
        return True

    def run(self):
        self.replayed_total = 0
        self.ended_rerun = 0
        self.reference()
        # Every instant is drawn from the seed; one the run does not reach
        # (it ended first: a loaded machine) is drawn again, earlier.
        k = 0
        for spec in self.a.kill:
            target, count = spec.split(":")
            for i in range(int(count)):
                k += 1
                rng = random.Random(self.a.seed * 7919 + k)
                for tries in range(4):
                    if target == "deadline":
                        how = "stop"
                        value = (rng.uniform(0.2, 0.9) * self.duration *
                                 0.6 ** tries)
                        desc = "stop at %.2f s" % value
                    elif i % 2 == 0:
                        how = "time"
                        value = (rng.uniform(0.15, 0.75) * self.duration *
                                 0.6 ** tries)
                        desc = "%.2f s" % value
                    else:
                        how = "tasks"
                        value = rng.randint(1, (self.ntasks - 30) >> tries)
                        desc = "%d tasks" % value
                    if self.point("%s %s (point %d)" % (target, desc, k),
                                  target=target, how=how, value=value,
                                  rng=rng,
                                  double=target == "job" and i % 4 == 3,
                                  elsewhere=i % 3 == 2):
                        break
        for spec in self.a.hook:
            kind, count = spec.split(":")
            span = {"journal": 60, "fragment": self.a.n // 2,
                    "results": 2 * self.a.n, "publish": self.a.n}[kind]
            k += 1
            rng = random.Random(self.a.seed * 7919 + k)
            used = set()
            for i in range(int(count)):
                for tries in range(4):
                    n = rng.randint(2, span)
                    while n in used and len(used) < span - 1:
                        n = rng.randint(2, span)
                    used.add(n)
                    if self.point("hook %s:%d" % (kind, n),
                                  fault="%s:%d" % (kind, n), rng=rng):
                        break
                    span = max(2, n - 1)
        time.sleep(0.2)
        reap()
        left = [p for p in self.seen | descendants(os.getpid()) if alive(p)]
        if left:
            self.fail("processes left behind: %s" % left)
        print("kill points %d (missed %d), resumes %d, mismatches %d, "
              "completed tasks re-executed %d, tasks replayed %d, tasks "
              "that ended but were not journaled when the run died (run "
              "again) %d" % (
                  self.points, self.missed, self.resumes, self.mismatches,
                  self.reexec, self.replayed_total, self.ended_rerun),
              flush=True)
        return 1 if self.failures else 0


def compare(ref_dir, other_dir):
    """The compare mode (see the module comment)."""
    def one(d):
        found = glob.glob(os.path.join(d, "*", "results.h5"))
        if len(found) != 1:
            sys.exit("faults.py compare: %s: %d run directories with "
                     "results.h5" % (d, len(found)))
        return load_results(found[0])[0], published(d)
    (ra, fa), (rb, fb) = one(ref_dir), one(other_dir)
    diff = sorted(k for k in set(ra) | set(rb) if ra.get(k) != rb.get(k))
    fdiff = sorted(k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k))
    if diff or fdiff or not fa:
        print("faults.py compare: %s and %s differ: datasets %s, files %s "
              "(%d files)" % (ref_dir, other_dir, diff, fdiff[:5], len(fa)))
        return 1
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    ap = argparse.ArgumentParser()
    ap.add_argument("scratch")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--ms", type=int, default=20)
    ap.add_argument("--kill", action="append", default=[])
    ap.add_argument("--hook", action="append", default=[])
    a = ap.parse_args()
    # orphans of a killed run become our children: seen, reaped, checked
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    sys.exit(Suite(a).run())


if __name__ == "__main__":
    main()
