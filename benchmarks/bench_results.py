#!/usr/bin/env python3
"""Writes one runner's results as JSON (called by benchmarks/run_*).

The runners keep printing their tables; this script reads the raw
per-round TSV files they leave in their temporary directory and writes
RUNNER.json into the results directory (MAS_BENCH_RESULTS, default
build/bench-results/). It applies the same "best round" rules as the
runners' awk, so the JSON and the printed table agree.

Document layout (schema 1):
  runner, command, env (every MAS_* variable), header (the runner's
  "machine:/C++:/Python:/options:" lines), machine {nproc, cpu, date,
  git_commit, git_dirty, kernel, load_avg}, rounds, reference (e.g. the
  raw-socket floor), cases: [
    {id, group, params, unit, better ("higher" | "lower"),
     libmas, anchor, ratio,            # the case's primary metric
     libmas_side, anchor_side, anchor_name,
     metrics: {NAME: {unit, better, libmas, anchor, ratio}},
     sides: {SIDE: {measured values of the best round}},
     rounds: {SIDE: [every round's values]}}]
ratio is oriented so that > 1 means libmas is better: libmas / anchor for
rates, anchor / libmas for times (as in docs/benchmarks.md's tables).

Standard library only: it runs on whatever python3 the runner finds.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

SCHEMA = 1


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def num(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return int(v) if v.is_integer() and "." not in str(s) else v


def ratio(libmas, anchor, better):
    if libmas is None or anchor is None:
        return None
    if better == "higher":
        return libmas / anchor if anchor else None
    return anchor / libmas if libmas else None


def metric(unit, better, sides, lib, anc, key):
    lv = sides.get(lib, {}).get(key)
    av = sides.get(anc, {}).get(key)
    return {"unit": unit, "better": better, "libmas": lv, "anchor": av,
            "ratio": ratio(lv, av, better)}


def make_case(cid, group, params, primary, metrics, sides, rounds, lib,
              anc, anchor_name):
    m = metrics[primary]
    return {"id": cid, "group": group, "params": params, "primary": primary,
            "unit": m["unit"], "better": m["better"], "libmas": m["libmas"],
            "anchor": m["anchor"], "ratio": m["ratio"], "libmas_side": lib,
            "anchor_side": anc, "anchor_name": anchor_name,
            "metrics": metrics, "sides": sides, "rounds": rounds}


def best(rows, key, better):
    """The first row with the highest (lowest) rows[key]; as the runners."""
    out = None
    for r in rows:
        v = r.get(key)
        if v is None:
            continue
        if out is None or (v > out[key] if better == "higher" else v < out[key]):
            out = r
    return out


# -- one function per runner: TMP -> (cases, reference) --------------------------

def codec(tmp, header):  # noqa: ARG001 (same signature for all)
    cols = ("payload", "codec", "op", "bytes", "msgs_per_s", "mb_per_s")
    sides = {"cpp": "libmas", "py": "anchor"}
    per = {}
    order = []
    for f, side in sides.items():
        for row in read_tsv(os.path.join(tmp, f + ".tsv")):
            r = dict(zip(cols, row))
            for k in cols[3:]:
                r[k] = num(r[k])
            key = (r["payload"], r["codec"], r["op"])
            if key not in per:
                per[key] = {}
                order.append(key)
            per[key].setdefault(side, []).append(r)
    cases = []
    for key in order:
        rounds = {s: [{k: r[k] for k in ("msgs_per_s", "mb_per_s")} for r in rs]
                  for s, rs in per[key].items()}
        bsides = {}
        for s, rs in per[key].items():
            b = best(rs, "msgs_per_s", "higher")
            bsides[s] = {"msgs_per_s": b["msgs_per_s"], "mb_per_s": b["mb_per_s"],
                         "bytes": b["bytes"]}
        metrics = {
            "msgs_per_s": metric("msg/s", "higher", bsides, "libmas", "anchor", "msgs_per_s"),
            "mb_per_s": metric("MB/s", "higher", bsides, "libmas", "anchor", "mb_per_s"),
        }
        payload, c, op = key
        anchor = ("mango 2.4 / aiomas codecs (.venv)" if payload == "acl"
                  else "aiomas 2.0.1 codecs (.venv-aiomas)")
        params = {"payload": payload, "codec": c, "op": op,
                  "bytes": bsides.get("libmas", {}).get("bytes")}
        cases.append(make_case("/".join(key), "codec", params, "msgs_per_s",
                               metrics, bsides, rounds, "libmas", "anchor", anchor))
    ref = {}
    wire = os.path.join(tmp, "wire.txt")
    if os.path.exists(wire):
        ref["wire_check"] = open(wire).read().strip()
    return cases, ref


CALL_COLS = ("label", "connections", "inflight", "calls", "seconds",
             "calls_per_s", "p50_us", "p99_us")


def call_rows(path):
    out = []
    for row in read_tsv(path):
        r = dict(zip(CALL_COLS, row))
        for k in CALL_COLS[1:]:
            r[k] = num(r.get(k))
        out.append(r)
    return out


def by_label(rows):
    d = {}
    order = []
    for r in rows:
        if r["label"] not in d:
            order.append(r["label"])
        d.setdefault(r["label"], []).append(r)
    return d, order


def strip(r):
    return {k: v for k, v in r.items() if k != "label"}


def call_cases(group, files, lib, anc, anchor_name, seq_labels, tmp,
               alias=None):
    """Cases of connections x in-flight call benchmarks (rpc, agents)."""
    data = {}
    order = []
    for side, f in files.items():
        d, o = by_label(call_rows(os.path.join(tmp, f)))
        data[side] = d
        for lbl in o:
            if lbl not in order:
                order.append(lbl)
    for side, (src, dst) in (alias or {}).items():
        if src in data.get(side, {}):  # aiomas has no blocking style
            data[side][dst] = data[side][src]
    if alias:
        for side, (src, dst) in alias.items():
            if dst not in order and any(dst in d for d in data.values()):
                order.insert(order.index(src) + 1 if src in order else len(order), dst)
    cases = []
    for lbl in order:
        rule = ("p50_us", "lower") if lbl in seq_labels else ("calls_per_s", "higher")
        bsides, rounds = {}, {}
        for side, d in data.items():
            if lbl not in d:
                continue
            rounds[side] = [strip(r) for r in d[lbl]]
            b = best(d[lbl], *rule)
            if b is not None:
                bsides[side] = strip(b)
        metrics = {
            "calls_per_s": metric("calls/s", "higher", bsides, lib, anc, "calls_per_s"),
            "p50_us": metric("us", "lower", bsides, lib, anc, "p50_us"),
            "p99_us": metric("us", "lower", bsides, lib, anc, "p99_us"),
        }
        any_side = next(iter(bsides.values()), {})
        params = {"case": lbl, "connections": any_side.get("connections"),
                  "inflight": any_side.get("inflight"),
                  "best_round_by": rule[0] + (" lowest" if rule[1] == "lower" else " highest")}
        if lbl.endswith("b"):
            params["caller"] = "blocking scoped_actor"
        cases.append(make_case("%s/%s" % (group, lbl), group, params, rule[0],
                               metrics, bsides, rounds, lib, anc, anchor_name))
    return cases


def raw_floor(tmp):
    rows = call_rows(os.path.join(tmp, "raw.tsv"))
    b = best(rows, "p50_us", "lower")
    if b is None:
        return {}
    return {"raw_floor": dict(strip(b), what="raw_pingpong: blocking 4-byte-framed "
                              "TCP ping-pong, 2 processes, no CAF",
                              rounds=[strip(r) for r in rows])}


def rpc(tmp, header):
    files = {"libmas": "cpp.tsv", "libmas_tuned": "tuned.tsv",
             "aiomas": "py.tsv", "aiomas_inproc": "inproc.tsv"}
    cases = call_cases("rpc", files, "libmas", "aiomas",
                       "aiomas 2.0.1, 2 processes (.venv-aiomas)", ("1x1", "1x1b"), tmp,
                       alias={"aiomas": ("1x1", "1x1b"), "aiomas_inproc": ("1x1", "1x1b")})
    return cases, raw_floor(tmp)


def agents(tmp, header):
    cols = ("case", "side", "inflight", "count", "seconds", "rate", "p50_us", "p99_us")
    rows = []
    for row in read_tsv(os.path.join(tmp, "inproc.tsv")):
        r = dict(zip(cols, row))
        for k in cols[2:]:
            r[k] = num(r.get(k))
        rows.append(r)
    side_name = {"raw": "raw_caf", "agent": "libmas", "rawc": "raw_caf_in_container"}
    cases = []
    order = []
    for r in rows:
        if not r["case"].startswith("expose") and r["case"] not in order:
            order.append(r["case"])
    for c in order:
        bsides, rounds = {}, {}
        for s, name in side_name.items():
            rs = [r for r in rows if r["case"] == c and r["side"] == s]
            if not rs:
                continue
            rounds[name] = [{k: r[k] for k in cols[2:]} for r in rs]
            b = best(rs, "rate", "higher")
            bsides[name] = {k: b[k] for k in cols[2:]}
        metrics = {"rate": metric("msg/s", "higher", bsides, "libmas", "raw_caf", "rate")}
        if c == "pp1":
            metrics["p50_us"] = metric("us", "lower", bsides, "libmas", "raw_caf", "p50_us")
            metrics["p99_us"] = metric("us", "lower", bsides, "libmas", "raw_caf", "p99_us")
        cases.append(make_case("agents/inproc/" + c, "agents_inproc",
                               {"case": c, "best_round_by": "rate highest"}, "rate",
                               metrics, bsides, rounds, "libmas", "raw_caf",
                               "plain CAF actors, same process and run"))
    # expose: C++ lines of inproc.tsv, aiomas --local lines of pylocal.tsv.
    py_rows = call_rows(os.path.join(tmp, "pylocal.tsv"))
    for c in ("expose1", "expose64"):
        cpp = [{"calls_per_s": r["rate"], "p50_us": r["p50_us"], "p99_us": r["p99_us"],
                "inflight": r["inflight"], "calls": r["count"], "seconds": r["seconds"]}
               for r in rows if r["case"] == c]
        py = [strip(r) for r in py_rows if r["label"] == c]
        if not cpp:
            continue
        rule = ("p50_us", "lower") if c == "expose1" else ("calls_per_s", "higher")
        bsides = {"libmas": best(cpp, *rule)}
        if py:
            bsides["aiomas"] = best(py, *rule)
        metrics = {k: metric(u, b, bsides, "libmas", "aiomas", k) for k, u, b in
                   (("calls_per_s", "calls/s", "higher"), ("p50_us", "us", "lower"),
                    ("p99_us", "us", "lower"))}
        cases.append(make_case("agents/" + c, "agents_expose",
                               {"case": c, "best_round_by": rule[0]}, rule[0], metrics,
                               bsides, {"libmas": cpp, "aiomas": py}, "libmas",
                               "aiomas", "aiomas 2.0.1 --local (.venv-aiomas)"))
    files = {"libmas": "cpp.tsv", "libmas_tuned": "tuned.tsv", "aiomas": "py.tsv",
             "libmas_to_aiomas": "cpp2py.tsv", "aiomas_to_libmas": "py2cpp.tsv"}
    cross = call_cases("agents", files, "libmas", "aiomas",
                       "aiomas 2.0.1 agents, 2 processes (.venv-aiomas)", ("1x1",), tmp)
    for c in cross:
        c["group"] = "agents_cross"
    return cases + cross, raw_floor(tmp)


def mango(tmp, header):
    names = {"cpp-cpp": "libmas", "py-py": "mango", "cpp-py": "libmas_to_mango",
             "py-cpp": "mango_to_libmas", "cppt-cppt": "libmas_tuned"}
    one, rtt = {}, {}
    for f, side in names.items():
        rows = read_tsv(os.path.join(tmp, f + ".tsv"))
        o = [{"count": num(r[1]), "size": num(r[2]), "seconds": num(r[3]),
              "msgs_per_s": num(r[4])} for r in rows if r[0] == "oneway"]
        t = [{"round_trips": num(r[1]), "size": num(r[2]), "p50_us": num(r[3]),
              "p99_us": num(r[4]), "mean_us": num(r[5]) if len(r) > 5 else None}
             for r in rows if r[0] == "rtt"]
        if o:
            one[side] = o
        if t:
            rtt[side] = t
    anchor = "Python mango-agents 2.4 (.venv)"
    cases = []
    bs = {s: best(rs, "msgs_per_s", "higher") for s, rs in one.items()}
    if bs:
        size = next(iter(bs.values()))["size"]
        cases.append(make_case("mango/oneway", "mango", {"size": size, "best_round_by": "msgs_per_s highest"},
                               "msgs_per_s",
                               {"msgs_per_s": metric("msg/s", "higher", bs, "libmas", "mango", "msgs_per_s")},
                               bs, one, "libmas", "mango", anchor))
    bs = {s: best(rs, "p50_us", "lower") for s, rs in rtt.items()}
    if bs:
        size = next(iter(bs.values()))["size"]
        metrics = {k: metric("us", "lower", bs, "libmas", "mango", k)
                   for k in ("p50_us", "p99_us", "mean_us")}
        cases.append(make_case("mango/rtt", "mango", {"size": size, "best_round_by": "p50_us lowest"},
                               "p50_us", metrics, bs, rtt, "libmas", "mango", anchor))
    return cases, {}


def scenarios(tmp, header, cores):
    sides = {"cpp": "libmas", "cppt": "libmas_tuned", "cpps": "libmas_steady_clock",
             "py": "mango"}
    cols = ("tag", "scenario", "lang", "wall_s", "run_s", "messages", "msg_busy_s",
            "periodic_runs", "periodic_busy_s", "cpu_s", "workers")
    order = []
    for f in sorted(os.listdir(tmp)):
        if f.endswith(".edges"):
            order.append(f[:-len(".edges")])
    # Keep the runner's scenario order when it told us (MAS_SCENARIOS).
    env_order = os.environ.get("MAS_SCENARIOS", "").split()
    if env_order:
        order = [s for s in env_order if s in order] + [s for s in order if s not in env_order]
    else:
        std = ["low_work_many_messages", "low_work_many_large_messages",
               "high_work_many_messages"]
        order = [s for s in std if s in order] + [s for s in order if s not in std]
    cases = []
    for s in order:
        bsides, rounds = {}, {}
        for short, name in sides.items():
            rs = []
            for row in read_tsv(os.path.join(tmp, "%s-%s.tsv" % (s, short))):
                r = dict(zip(cols, row))
                r = {k: num(r.get(k)) for k in cols[3:]}
                busy = (r["msg_busy_s"] or 0) + (r["periodic_busy_s"] or 0)
                r["busy_s"] = busy
                r["bound_s"] = busy if short == "py" else busy / cores
                r["cpu_over_busy"] = r["cpu_s"] / busy if busy else None
                r["wall_over_bound"] = r["wall_s"] / r["bound_s"] if r["bound_s"] else None
                rs.append(r)
            if rs:
                rounds[name] = rs
                bsides[name] = best(rs, "wall_s", "lower")
        metrics = {"wall_s": metric("s", "lower", bsides, "libmas", "mango", "wall_s"),
                   "wall_over_bound": metric("x", "lower", bsides, "libmas", "mango", "wall_over_bound"),
                   "cpu_over_busy": metric("x", "lower", bsides, "libmas", "mango", "cpu_over_busy")}
        edges = open(os.path.join(tmp, s + ".edges")).read().strip()
        cases.append(make_case("mango_scenarios/" + s, "mango_scenarios",
                               {"scenario": s, "edges": num(edges), "cores": cores,
                                "best_round_by": "wall_s lowest"},
                               "wall_s", metrics, bsides, rounds, "libmas", "mango",
                               "Python mango-agents 2.4, one event loop (.venv)"))
    return cases, {}


def git(root, *args):
    try:
        return subprocess.run(["git", "-C", root] + list(args), check=True,
                              capture_output=True, text=True).stdout.strip()
    except Exception:
        return None


def machine(root):
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = None
    dirty = git(root, "status", "--porcelain", "--untracked-files=no")
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "git_commit": git(root, "rev-parse", "HEAD"),
            "git_dirty": bool(dirty) if dirty is not None else None,
            "kernel": platform.release(), "load_avg_at_end": load}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runner", choices=("codec", "rpc", "agents", "mango", "mango_scenarios"))
    ap.add_argument("--tmp", required=True, help="the runner's temporary directory")
    ap.add_argument("--out", required=True, help="results directory (created)")
    ap.add_argument("--command", required=True, help="the runner's command line")
    ap.add_argument("--header", help="file with the runner's header lines")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    header = {}
    if args.header and os.path.exists(args.header):
        key = None
        for line in open(args.header):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if ":" in line and not line.startswith(" "):
                key, val = line.split(":", 1)
                header[key.strip()] = val.strip()
            elif key:  # continuation line (codec's second Python line)
                header[key] += "; " + line.strip()
    fn = {"codec": codec, "rpc": rpc, "agents": agents, "mango": mango}.get(args.runner)
    if fn:
        cases, ref = fn(args.tmp, header)
    else:
        cases, ref = scenarios(args.tmp, header, args.cores)
    command = args.command
    if command.startswith(root + "/"):  # as run from the repository's root
        command = command[len(root) + 1:]
    doc = {"schema": SCHEMA, "runner": args.runner, "command": command,
           "env": {k: v for k, v in sorted(os.environ.items()) if k.startswith("MAS_")},
           "header": header, "machine": machine(root), "rounds": args.rounds,
           "reference": ref, "cases": cases}
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, args.runner + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("results: %s (%d cases)" % (path, len(cases)), file=sys.stderr)


if __name__ == "__main__":
    main()
