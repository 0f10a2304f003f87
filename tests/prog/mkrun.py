#!/usr/bin/env python3
"""mkrun.py - write a realistic run directory for the tests of `tessera
report` and `tessera status`, in the formats of docs/observability.md:
status.txt, trace.csv (RFC 4180, appended in end order) and edges.csv.

A random DAG (each task reads up to two earlier tasks' outputs) is list-
scheduled on WORKERS x SLOTS slots with per-kernel durations; some attempts
fail and are retried, some tasks fail for good (their successors are then
cancelled and never start), messages hold quotes, commas, line breaks and
non-ASCII text. The numbers a reader should find are written to
RUN_DIR/expected.json, computed here independently of Tessera's reader.

usage: mkrun.py RUN_DIR [--tasks N] [--workers W] [--slots S] [--seed N]
                [--state completed|failed|running] [--fail-rate P]
                [--fatal N] [--torn] [--old-format] [--kernels K]
"""
import argparse
import csv
import json
import os
import random

p = argparse.ArgumentParser()
p.add_argument("run_dir")
p.add_argument("--tasks", type=int, default=60)
p.add_argument("--workers", type=int, default=2)
p.add_argument("--slots", type=int, default=2)
p.add_argument("--kernels", type=int, default=3)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--state", default="completed")
p.add_argument("--fail-rate", type=float, default=0.05)
p.add_argument("--fatal", type=int, default=0, help="tasks that fail for good")
p.add_argument("--torn", action="store_true", help="cut the last row")
p.add_argument("--old-format", action="store_true",
               help="the first trace format: task,kernel,rank,node,arch,start_ns,end_ns,ok")
a = p.parse_args()
rnd = random.Random(a.seed)
os.makedirs(a.run_dir, exist_ok=True)

T0 = 1_790_000_000 * 10**9
kernels = [("k%d" % k, "lib%d:kern_%d" % (k % 2, k)) for k in range(a.kernels)]
mean = [0.02 + 0.05 * k for k in range(a.kernels)]  # seconds

tasks = []
for i in range(1, a.tasks + 1):
    k = rnd.randrange(a.kernels)
    deps = sorted({rnd.randrange(max(1, i - 8), i) for _ in range(rnd.randrange(3))}) if i > 1 else []
    tasks.append({"id": i, "kernel": k, "deps": deps,
                  "submit": T0 + i * 100_000,  # 0.1 ms apart
                  "dur": int(mean[k] * (0.5 + rnd.random()) * 1e9)})
fatal = set(rnd.sample(range(1, a.tasks + 1), a.fatal)) if a.fatal else set()

slots = [(w, s) for w in range(1, a.workers + 1) for s in range(a.slots)]
free_at = {ls: T0 for ls in slots}
end_of, failed, rows = {}, set(), []
msg_odd = ['kernel said "no", then stopped', "bad value, expected > 0",
           "first line\nsecond line", "caf\u00e9 \u2013 \u00fcber, \"quoted\"",
           "tab\there"]
for t in tasks:
    name, kern = kernels[t["kernel"]]
    ready = max([t["submit"]] + [end_of.get(d, 0) for d in t["deps"]])
    if any(d in failed for d in t["deps"]):
        failed.add(t["id"])
        bad = next(d for d in t["deps"] if d in failed)
        rows.append({"task": t["id"], "name": name, "kernel": kern, "worker": -1,
                     "node": "", "slot": -1, "arch": "", "submit_ns": t["submit"],
                     "ready_ns": 0, "start_ns": 0, "end_ns": 0, "bytes_in": 0,
                     "bytes_out": 0, "cache_hits": 0, "attempt": 1,
                     "state": "cancelled",
                     "message": "input d%d v1 from task %d failed" % (bad, bad),
                     "_end": t["submit"]})
        continue
    attempt = 1
    while True:
        ls = min(slots, key=lambda x: (max(free_at[x], ready), x))
        start = max(free_at[ls], ready) + 20_000
        end = start + t["dur"]
        free_at[ls] = end
        fails = t["id"] in fatal or (attempt == 1 and rnd.random() < a.fail_rate)
        state = "ok"
        msg = ""
        if fails:
            state = rnd.choice(["failed", "crashed", "timeout"]) if attempt == 1 else "failed"
            msg = rnd.choice(msg_odd)
        w, s = ls
        rows.append({"task": t["id"], "name": name, "kernel": kern, "worker": w,
                     "node": "node%d" % ((w - 1) // 2 + 1), "slot": s,
                     "arch": "default", "submit_ns": t["submit"], "ready_ns": ready,
                     "start_ns": start, "end_ns": end,
                     "bytes_in": 800 * len(t["deps"]) + 100, "bytes_out": 4096,
                     "cache_hits": len(t["deps"]) // 2, "attempt": attempt,
                     "state": state, "message": msg, "_end": end})
        if fails and t["id"] not in fatal and attempt < 2:
            attempt += 1
            ready = end
            continue
        if fails:
            failed.add(t["id"])
        else:
            end_of[t["id"]] = end
        break

rows.sort(key=lambda r: r["_end"])
now = None
if a.state == "running":  # the run is half way: later rows are not there yet
    now = rows[len(rows) // 2]["_end"]
    rows = [r for r in rows if r["_end"] <= now]

cols = ("task,name,kernel,worker,node,slot,arch,submit_ns,ready_ns,start_ns,"
        "end_ns,bytes_in,bytes_out,cache_hits,attempt,state,message").split(",")
with open(os.path.join(a.run_dir, "trace.csv"), "w", newline="") as f:
    if a.old_format:
        f.write("task,kernel,rank,node,arch,start_ns,end_ns,ok\n")
        for r in rows:
            if r["worker"] >= 0:
                f.write("%d,%s,%d,%s,%s,%d,%d,%d\n" % (
                    r["task"], r["kernel"], r["worker"], r["node"], r["arch"],
                    r["start_ns"], r["end_ns"], r["state"] == "ok"))
    else:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([r[c] for c in cols])
    if a.torn:
        f.write('%d,k0,lib0:kern_0,1,node1,0,default,1,2,3,4,0,0,0,1,failed,"cut' % (a.tasks + 1))

with open(os.path.join(a.run_dir, "edges.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["from", "to", "data", "version"])
    for t in tasks:
        for d in t["deps"]:
            w.writerow([d, t["id"], "d%d, \"out\"" % d if d % 7 == 0 else "d%d" % d, 1])

# the oracle: what a reader must find
ran = [r for r in rows if r["start_ns"]]
t0 = min([r["submit_ns"] for r in rows] + [r["start_ns"] for r in ran]) if rows else 0
t1 = max([r["end_ns"] for r in rows]) if rows else 0
weight = {}
for r in ran:
    weight[r["task"]] = weight.get(r["task"], 0) + r["end_ns"] - r["start_ns"]
dist = {}
for t in tasks:  # ids are in a topological order
    dist[t["id"]] = weight.get(t["id"], 0) + max([dist[d] for d in t["deps"]] + [0])
busy = {}
for r in ran:
    key = "%d/%d" % (r["worker"], r["slot"])
    busy[key] = busy.get(key, 0) + r["end_ns"] - r["start_ns"]
exp = {
    "rows": len(rows), "ran": len(ran), "t0": t0, "t1": t1,
    "makespan_ns": t1 - t0, "critical_path_ns": max(dist.values()) if dist else 0,
    "busy_ns": busy, "failed_attempts": sum(r["state"] in ("failed", "crashed", "timeout") for r in rows),
    "cancelled": sum(r["state"] == "cancelled" for r in rows),
    "kernels": sorted({r["kernel"] for r in rows}),
    "tasks": a.tasks, "edges": sum(len(t["deps"]) for t in tasks),
    "bytes_in": sum(r["bytes_in"] for r in rows),
    "bytes_out": sum(r["bytes_out"] for r in rows),
}
with open(os.path.join(a.run_dir, "expected.json"), "w") as f:
    json.dump(exp, f, indent=1)

done = len({r["task"] for r in rows if r["state"] == "ok"})
nfailed = len({r["task"] for r in rows if r["state"] in ("failed", "crashed", "timeout")} - {r["task"] for r in rows if r["state"] == "ok"})
state = a.state
elapsed = (t1 - T0) / 1e9 + 0.4
iso = lambda ns: __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ", __import__("time").gmtime(ns // 10**9))
lines = [
    "format: 1", "workflow: synthetic", "run_dir: " + os.path.abspath(a.run_dir),
    "state: " + state, "host: testhost", "pid: 4242", "job: -",
    "started: " + iso(T0), "updated: " + iso(t1 if now is None else now),
    "ended: " + ("-" if state == "running" else iso(t1)),
    "elapsed_s: %.1f" % elapsed,
    "tasks_submitted: %d" % a.tasks,
    "tasks_total: %d" % a.tasks,
    "tasks_done: %d" % done,
    "tasks_running: %d" % (min(a.workers * a.slots, a.tasks - done) if state == "running" else 0),
    "tasks_ready: %d" % (3 if state == "running" else 0),
    "tasks_waiting: %d" % (max(0, a.tasks - done - 3 - a.workers * a.slots) if state == "running" else 0),
    "tasks_failed: %d" % nfailed,
    "tasks_cancelled: %d" % exp["cancelled"],
    "tasks_not_run: 0",
    "tasks_per_s: %.1f" % (done / elapsed),
    "a_future_key: ignored by readers",
    "workers: %d" % a.workers,
]
for w in range(1, a.workers + 1):
    lines.append("worker: %d node%d default %d %d %d" % (
        w, (w - 1) // 2 + 1, a.slots, a.slots if state == "running" else 0,
        sum(1 for r in rows if r["worker"] == w and r["state"] == "ok")))
lines.append("exit_status: " + ("-" if state == "running" else "0" if state == "completed" else "1"))
msg = "" if state == "completed" else "task 3 (lib1:kern_1) failed: \"bad\", see\\nline two \\\\ done"
lines.append("message: " + msg)
with open(os.path.join(a.run_dir, "status.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
