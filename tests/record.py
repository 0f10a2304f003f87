#!/usr/bin/python3
"""Check and summarise the record of a run (tests only).

    record.py RUN_DIR
        Parse RUN_DIR/status.txt and RUN_DIR/trace.csv (and edges.csv if
        present) strictly, as docs/reliability.md describes them, and print
        shell assignments: ST_<key> for every status key (message
        unescaped), ST_workers (worker lines), TR_rows, TR_<state> per
        trace state (not-run as TR_not_run), TR_tasks (distinct ids).
        Exit 1 with the reason on a malformed record.
    record.py RUN_DIR FIELD [NAME=VALUE...]
        Print FIELD of every trace row whose fields match, one per line
        (backslash, newline, carriage return and tab escaped as \\ \n \r \t).

A status file must hold one "key: value" per line, keys [a-z_]+, each key
once (except worker), state and exit_status consistent; a trace row has
exactly the header's 17 fields, numbers where numbers are due and, for a
task that ran, submit <= ready <= start <= end.
"""
import csv
import re
import shlex
import sys

TRACE_HEADER = ("task,name,kernel,worker,node,slot,arch,submit_ns,ready_ns,"
                "start_ns,end_ns,bytes_in,bytes_out,cache_hits,attempt,state,"
                "message").split(",")
STATES = {"ok", "failed", "timeout", "crashed", "cancelled", "not-run",
          "ignored", "replayed"}
RUN_STATES = {"running", "completed", "failed", "cancelled",
              "stopped-wall-time"}
NUMERIC = ("task", "worker", "slot", "submit_ns", "ready_ns", "start_ns",
           "end_ns", "bytes_in", "bytes_out", "cache_hits", "attempt")


def bad(msg):
    sys.stderr.write("record.py: %s\n" % msg)
    sys.exit(1)


def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "x" and i + 3 < len(s):
                out.append(chr(int(s[i + 2:i + 4], 16)))
                i += 4
                continue
            out.append({"n": "\n", "r": "\r", "t": "\t"}.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def status(run_dir):
    path = run_dir + "/status.txt"
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        bad("%s: %s" % (path, e))
    if not text.endswith("\n"):
        bad("%s: the last line is not complete" % path)
    keys, workers = {}, 0
    for n, line in enumerate(text[:-1].split("\n"), 1):
        m = re.fullmatch(r"([a-z_]+): (.*)", line)
        if not m:
            bad("%s:%d: not 'key: value': %r" % (path, n, line))
        k, v = m.groups()
        if k == "worker":
            if len(v.split()) < 6:
                bad("%s:%d: worker line with fewer than 6 fields" % (path, n))
            workers += 1
            continue
        if k in keys:
            bad("%s:%d: key %s twice" % (path, n, k))
        keys[k] = unescape(v) if k == "message" else v
    for k in ("format", "state", "exit_status", "message", "tasks_done"):
        if k not in keys:
            bad("%s: no %s" % (path, k))
    if keys["state"] not in RUN_STATES:
        bad("%s: unknown state %r" % (path, keys["state"]))
    if (keys["state"] == "running") != (keys["exit_status"] == "-"):
        bad("%s: state %s with exit_status %s" % (path, keys["state"],
                                                   keys["exit_status"]))
    keys["workers_lines"] = str(workers)
    return keys


def trace(run_dir):
    path = run_dir + "/trace.csv"
    try:
        f = open(path, newline="", encoding="utf-8")
    except OSError as e:
        bad("%s: %s" % (path, e))
    rows = list(csv.reader(f))
    if not rows or rows[0] != TRACE_HEADER:
        bad("%s: header %r" % (path, rows[0] if rows else None))
    out = []
    for n, r in enumerate(rows[1:], 2):
        if len(r) != len(TRACE_HEADER):
            bad("%s: row %d has %d fields: %r" % (path, n, len(r), r))
        d = dict(zip(TRACE_HEADER, r))
        for k in NUMERIC:
            if not re.fullmatch(r"-?[0-9]+", d[k]):
                bad("%s: row %d: %s is %r" % (path, n, k, d[k]))
        if d["state"] not in STATES:
            bad("%s: row %d: state %r" % (path, n, d["state"]))
        t = [int(d[k]) for k in ("submit_ns", "ready_ns", "start_ns",
                                  "end_ns")]
        if t[2] > 0 and not (t[0] <= t[1] <= t[2] <= t[3]):
            bad("%s: row %d: times out of order %r" % (path, n, t))
        out.append(d)
    return out


def edges(run_dir):
    path = run_dir + "/edges.csv"
    try:
        f = open(path, newline="", encoding="utf-8")
    except OSError:
        return
    rows = list(csv.reader(f))
    if not rows or rows[0] != ["from", "to", "data", "version"]:
        bad("%s: header %r" % (path, rows[0] if rows else None))
    for n, r in enumerate(rows[1:], 2):
        if len(r) != 4:
            bad("%s: row %d has %d fields" % (path, n, len(r)))


def main():
    if len(sys.argv) < 2:
        bad("usage: record.py RUN_DIR [FIELD [NAME=VALUE...]]")
    run_dir = sys.argv[1]
    if len(sys.argv) > 2:
        field = sys.argv[2]
        want = dict(a.split("=", 1) for a in sys.argv[3:])
        for d in trace(run_dir):
            if all(d.get(k) == v for k, v in want.items()):
                print(d[field].replace("\\", "\\\\").replace("\n", "\\n")
                      .replace("\r", "\\r").replace("\t", "\\t"))
        return
    st = status(run_dir)
    rows = trace(run_dir)
    edges(run_dir)
    for k, v in st.items():
        print("ST_%s=%s" % (k, shlex.quote(v)))
    counts = {s: 0 for s in STATES}
    for d in rows:
        counts[d["state"]] += 1
    for s, c in counts.items():
        print("TR_%s=%d" % (s.replace("-", "_"), c))
    print("TR_rows=%d" % len(rows))
    print("TR_tasks=%d" % len({d["task"] for d in rows}))


main()
