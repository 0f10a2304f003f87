#!/usr/bin/env python3
"""report_check.py - independent checks of what `tessera report` writes,
for tests/t14xx: the SVG Gantt chart (XML, a bar per attempt with its
title), the dot graph (rendered by Graphviz), the Chrome trace (JSON, an
event per attempt with the trace's fields), trace.h5 (h5py, the rows of
trace.csv) and the numbers of the text summary, against RUN_DIR/trace.csv
read with Python's csv module (and expected.json when mkrun.py wrote one).

usage: report_check.py RUN_DIR [--svg F] [--dot F [--dot-tasks]] [--json F]
                       [--h5] [--summary F]
exit 0 if every check passed, 1 with a message naming the first failure.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

p = argparse.ArgumentParser()
p.add_argument("run_dir")
p.add_argument("--svg")
p.add_argument("--dot")
p.add_argument("--dot-tasks", action="store_true", help="one node per task expected")
p.add_argument("--json")
p.add_argument("--h5", action="store_true")
p.add_argument("--summary")
a = p.parse_args()


def fail(msg):
    print("report_check: " + msg, file=sys.stderr)
    sys.exit(1)


def fmt_duration(s):  # the rules of report/fmt.c
    if s < 1e-3:
        return "%.0f us" % (s * 1e6)
    if s < 0.1:
        return "%.1f ms" % (s * 1e3)
    if s < 1:
        return "%.0f ms" % (s * 1e3)
    if s < 60:
        return "%.2f s" % s
    return "%dm%02ds" % (int(s / 60), int(s) % 60)


text = open(os.path.join(a.run_dir, "trace.csv"), newline="").read()
complete = text if text.endswith("\n") else text[: text.rfind("\n") + 1]
rows = list(csv.DictReader(complete.splitlines(keepends=True)))
ran = [r for r in rows if int(r["start_ns"] or 0) > 0]
old = "slot" not in (rows[0] if rows else {"slot": 1})
exp = None
if os.path.exists(os.path.join(a.run_dir, "expected.json")):
    exp = json.load(open(os.path.join(a.run_dir, "expected.json")))
    if exp["rows"] != len(rows):
        fail("csv module reads %d rows, mkrun wrote %d" % (len(rows), exp["rows"]))

if a.svg:
    root = ET.parse(a.svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    bars = [e for e in root.iter(ns + "rect") if e.get("class") == "task"]
    if len(bars) != len(ran):
        fail("%s: %d task bars, %d attempts ran" % (a.svg, len(bars), len(ran)))
    titles = [b.find(ns + "title").text for b in bars]
    want = {"task %s: %s" % (r["task"], r["name"] if not old else r["kernel"].split(":")[-1]) for r in ran}
    got = {t.split("\n")[0] for t in titles}
    if got != want:
        fail("%s: bar titles differ from the trace: %s" % (a.svg, sorted(want ^ got)[:5]))
    for r in ran:
        if r.get("message"):
            if not any(r["message"] in t for t in titles if t.startswith("task %s:" % r["task"])):
                fail("%s: message of task %s not in its title" % (a.svg, r["task"]))
    for b in bars:
        if float(b.get("width")) <= 0 or float(b.get("x")) < 0:
            fail("%s: a bar of no width or left of the chart" % a.svg)

if a.dot:
    out = subprocess.run(["dot", "-Tsvg", a.dot], capture_output=True, text=True)
    if out.returncode != 0 or "Error" in out.stderr:
        fail("dot -Tsvg %s: %s" % (a.dot, out.stderr.strip()))
    root = ET.fromstring(out.stdout)
    nodes = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    ids = {int(r["task"]) for r in rows}
    if os.path.exists(os.path.join(a.run_dir, "edges.csv")):
        with open(os.path.join(a.run_dir, "edges.csv"), newline="") as f:
            for e in csv.DictReader(f):
                ids |= {int(e["from"]), int(e["to"])}
    if a.dot_tasks and len(nodes) != len(ids) + 1:  # + the legend
        fail("%s: %d nodes drawn for %d tasks" % (a.dot, len(nodes) - 1, len(ids)))
    if not a.dot_tasks and "summarised" not in open(a.dot).read():
        fail("%s: not summarised" % a.dot)

if a.json:
    d = json.load(open(a.json))
    ev = [e for e in d["traceEvents"] if e["ph"] == "X"]
    if len(ev) != len(ran):
        fail("%s: %d task events, %d attempts ran" % (a.json, len(ev), len(ran)))
    by = {(str(e["args"]["task"]), str(e["args"]["attempt"])): e for e in ev}
    firsts = [int(r.get("submit_ns") or 0) or int(r["start_ns"] or 0) for r in rows]
    t0 = min(min(f for f in firsts if f), min(int(r["start_ns"]) for r in ran))
    for r in ran:
        e = by.get((r["task"], r.get("attempt", "1")))
        if e is None:
            fail("%s: no event for task %s" % (a.json, r["task"]))
        worker = int(r["worker"] if "worker" in r else r["rank"])
        if e["pid"] != worker:
            fail("%s: task %s pid %s, worker %s" % (a.json, r["task"], e["pid"], worker))
        if not old and e["tid"] != int(r["slot"]):
            fail("%s: task %s tid %s, slot %s" % (a.json, r["task"], e["tid"], r["slot"]))
        if abs(e["ts"] - (int(r["start_ns"]) - t0) / 1e3) > 0.002 or \
           abs(e["dur"] - (int(r["end_ns"]) - int(r["start_ns"])) / 1e3) > 0.002:
            fail("%s: task %s times differ" % (a.json, r["task"]))
        if e["args"]["message"] != r.get("message", ""):
            fail("%s: task %s message %r, trace %r" % (a.json, r["task"], e["args"]["message"], r.get("message")))
    names = {e["args"]["name"] for e in d["traceEvents"] if e["ph"] == "M" and e["name"] == "process_name"}
    workers = {int(r["worker"] if "worker" in r else r["rank"]) for r in ran}
    if len(names) != len(workers) or not all(n.startswith("worker ") for n in names):
        fail("%s: process names %s for workers %s" % (a.json, names, workers))

if a.h5:
    import h5py
    f = h5py.File(os.path.join(a.run_dir, "trace.h5"), "r")
    t = f["trace"][:]
    if len(t) != len(rows):
        fail("trace.h5: %d rows, trace.csv %d" % (len(t), len(rows)))
    for i, r in enumerate(rows):
        if int(t["task"][i]) != int(r["task"]) or int(t["end_ns"][i]) != int(r["end_ns"] or 0):
            fail("trace.h5 row %d differs: %s" % (i, t[i]))
        if not old and t["message"][i].decode() != r["message"]:
            fail("trace.h5 row %d message %r, csv %r" % (i, t["message"][i], r["message"]))
    if f.attrs["torn_rows"] != (0 if text.endswith("\n") else 1):
        fail("trace.h5: torn_rows %s" % f.attrs["torn_rows"])
    if f.attrs["tess_format_version"] != 1 or f.attrs["source"] != "trace.csv":
        fail("trace.h5: attributes %s" % dict(f.attrs))

if a.summary:
    s = open(a.summary).read()
    if exp:
        t0, t1 = exp["t0"], exp["t1"]
        want = ["makespan      %s (first submission" % fmt_duration((t1 - t0) / 1e9),
                "critical path %s over" % fmt_duration(exp["critical_path_ns"] / 1e9),
                "%d attempts traced" % exp["rows"]]
        for key, busy in exp["busy_ns"].items():
            w, slot = key.split("/")
            want.append(" %5s %10s" % (slot, fmt_duration(busy / 1e9)))
        for k in exp["kernels"]:
            want.append("  " + k)
        for wnt in want:
            if wnt not in s:
                fail("summary lacks %r:\n%s" % (wnt, s))
print("report_check: %s ok (%d rows, %d ran)" % (a.run_dir, len(rows), len(ran)))
