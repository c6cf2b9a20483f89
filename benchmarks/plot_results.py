#!/usr/bin/env python3
"""Draws the benchmark results (the runners' JSON files) as PNG plots, or
prints the headline table of docs/benchmarks.md.

Reads RUNNER.json (codec, rpc, agents, mango, mango_scenarios) as written by
benchmarks/run_* (see benchmarks/bench_results.py) from RESULTS_DIR and
draws, for each file present, docs/benchmarks/RUNNER.png (and
rpc_scaling.png when the RPC cases vary the calls in flight). Every plot
says when, on which commit and with how many rounds its numbers were
taken. Needs matplotlib (benchmarks/requirements.txt, installed into .venv
by scripts/setup):

  .venv/bin/python benchmarks/plot_results.py
  .venv/bin/python benchmarks/plot_results.py --table   # markdown, stdout
"""
import argparse
import json
import os
import shlex
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNERS = ("codec", "rpc", "agents", "mango", "mango_scenarios")
COLORS = {"libmas": "#1f77b4", "libmas_tuned": "#6baed6", "anchor": "#ff7f0e",
          "aiomas": "#ff7f0e", "mango": "#ff7f0e", "aiomas_inproc": "#fdbe85",
          "raw_caf": "#7f7f7f", "raw_caf_in_container": "#c7c7c7",
          "libmas_steady_clock": "#9ecae1", "libmas_to_aiomas": "#2ca02c",
          "aiomas_to_libmas": "#98df8a", "libmas_to_mango": "#2ca02c",
          "mango_to_libmas": "#98df8a"}
LABELS = {"libmas": "libmas (CAF defaults)", "libmas_tuned": "libmas tuned (sharing scheduler)",
          "aiomas": "aiomas (2 processes)", "aiomas_inproc": "aiomas (1 process)",
          "mango": "Python mango 2.4", "anchor": "Python anchor",
          "raw_caf": "raw CAF actors", "raw_caf_in_container": "raw actors in container",
          "libmas_steady_clock": "libmas, steady-clock busy work",
          "libmas_to_aiomas": "libmas -> aiomas", "aiomas_to_libmas": "aiomas -> libmas",
          "libmas_to_mango": "libmas -> mango", "mango_to_libmas": "mango -> libmas"}

# The headline table: (runner, case id, metric, libmas side or None, figure).
HEADLINES = [
    ("codec", "rpc/json/encode", "msgs_per_s", None, "codec: RPC request, JSON encode (msg/s)"),
    ("codec", "rpc/json/decode", "msgs_per_s", None, "codec: RPC request, JSON decode (msg/s)"),
    ("codec", "rpc/msgpack/decode", "msgs_per_s", None, "codec: RPC request, MsgPack decode (msg/s)"),
    ("codec", "dict100k/json/decode", "mb_per_s", None, "codec: 100 kB dict, JSON decode (MB/s)"),
    ("rpc", "rpc/1x1", "p50_us", None, "RPC sequential round trip, p50 (µs)"),
    ("rpc", "rpc/1x1", "p50_us", "libmas_tuned", "RPC sequential round trip, p50, sharing scheduler (µs)"),
    ("rpc", "rpc/1x64", "calls_per_s", None, "RPC 1 connection × 64 in flight (calls/s)"),
    ("rpc", "rpc/16x64", "calls_per_s", None, "RPC 16 connections × 64 in flight (calls/s)"),
    ("agents", "agents/inproc/pp1", "rate", None, "agents in one process, ping-pong vs raw CAF (round trips/s)"),
    ("agents", "agents/1x1", "p50_us", None, "agent calls across processes, sequential p50 (µs)"),
    ("agents", "agents/1x64", "calls_per_s", None, "agent calls across processes, 64 in flight (calls/s)"),
    ("mango", "mango/oneway", "msgs_per_s", None, "mango one-way messages, 100 B (msg/s)"),
    ("mango", "mango/rtt", "p50_us", None, "mango sequential round trip, p50 (µs)"),
    ("mango_scenarios", "mango_scenarios/low_work_many_messages", "wall_s", None,
     "mango_benchmark low_work_many_messages, wall (s)"),
    ("mango_scenarios", "mango_scenarios/low_work_many_large_messages", "wall_s", None,
     "mango_benchmark low_work_many_large_messages, wall (s)"),
    ("mango_scenarios", "mango_scenarios/high_work_many_messages", "wall_s", None,
     "mango_benchmark high_work_many_messages, wall (s)"),
]


def load(results):
    docs = {}
    for r in RUNNERS:
        p = os.path.join(results, r + ".json")
        if os.path.exists(p):
            with open(p) as f:
                docs[r] = json.load(f)
    return docs


def fmt(v, unit):
    if v is None:
        return "–"
    if unit in ("msg/s", "calls/s"):
        return "{:,}".format(int(round(v))).replace(",", "\u202f")
    if unit == "s":
        return "%.3f" % v
    if unit == "x":
        return "%.2f" % v
    return "%.1f" % v


def source(doc):
    m = doc.get("machine", {})
    return "%s, commit %s, %s round%s, %s cores" % (
        (m.get("date") or "?")[:10], (m.get("git_commit") or "?")[:7],
        doc.get("rounds"), "" if doc.get("rounds") == 1 else "s", m.get("nproc"))


def command(doc):
    """The runner's command with the environment that changed its settings."""
    env = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in sorted(doc.get("env", {}).items())
                   if k != "MAS_BENCH_RESULTS")
    return (env + " " if env else "") + doc.get("command", "?")


def table(docs):
    rows = ["| figure | libmas | anchor | ratio |", "|---|---:|---:|---:|"]
    for runner, cid, key, side, figure in HEADLINES:
        doc = docs.get(runner)
        case = next((c for c in doc["cases"] if c["id"] == cid), None) if doc else None
        if case is None or key not in case["metrics"]:
            continue
        m = case["metrics"][key]
        lv = case["sides"].get(side or case["libmas_side"], {}).get(key)
        av = m["anchor"]
        if lv is None:
            continue
        r = (lv / av if m["better"] == "higher" else av / lv) if av and lv else None
        rows.append("| %s | %s | %s | %s |" % (figure, fmt(lv, m["unit"]), fmt(av, m["unit"]),
                                             "%.2f×" % r if r is not None else "–"))
    rows.append("")
    rows.append("Sources: " + "; ".join("`%s.json` (%s: `%s`)" % (r, source(d), command(d))
                                        for r, d in docs.items()))
    return "\n".join(rows)


# -- plotting ----------------------------------------------------------------------

def plt_module():
    try:
        import matplotlib
    except ImportError:
        sys.exit("plot_results.py: no matplotlib here; run scripts/setup, then "
                 ".venv/bin/python benchmarks/plot_results.py")
    matplotlib.use("Agg")  # no display; files only
    import matplotlib.pyplot as plt
    return plt


def bars(ax, groups, series, log=False, ratios=None, unit=""):
    """Grouped bars: series = [(side, [value per group])]; ratios: text per group."""
    n = len(series)
    width = 0.8 / max(n, 1)
    tops = [0.0] * len(groups)
    for i, (side, vals) in enumerate(series):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        ys = [v if v is not None else 0 for v in vals]
        ax.bar(xs, ys, width, label=LABELS.get(side, side), color=COLORS.get(side))
        tops = [max(t, y) for t, y in zip(tops, ys)]
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, fontsize=8)
    if log:
        ax.set_yscale("log")
        plain_log(ax)
    else:
        from matplotlib.ticker import FuncFormatter
        ax.yaxis.set_major_formatter(FuncFormatter(short_number))
    ax.set_ylabel(unit)
    ax.grid(axis="y", alpha=0.3)
    if ratios:
        for g, (t, text) in enumerate(zip(tops, ratios)):
            if text:
                ax.annotate(text, (g, t), xytext=(0, 3), textcoords="offset points",
                            ha="center", fontsize=8, fontweight="bold")
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi * (3 if log else 1.12))


def short_number(v, _=None):
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return "%g%s" % (v / div, suffix)
    return "%g" % v


def plain_log(ax):
    """Log axis with plain numbers (100, 1000, 1e+06), no 4x10^2 minor labels."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    ax.yaxis.set_major_formatter(FuncFormatter(short_number))
    ax.yaxis.set_minor_formatter(NullFormatter())


def rtext(r, pct=False):
    if r is None:
        return ""
    if pct:
        return "%.0f %%" % (100 * r)
    return ("%.2f×" if r < 2 else "%.1f×") % r


def side_vals(cases, side, key):
    return [c["sides"].get(side, {}).get(key) for c in cases]


def present(cases, side):
    return any(side in c["sides"] for c in cases)


def save(fig, plt, doc, title, out, name):
    fig.suptitle("%s\n%s: %s" % (title, source(doc), command(doc)), fontsize=9)
    fig.tight_layout()
    path = os.path.join(out, name)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print("wrote %s (%d kB)" % (os.path.relpath(path, ROOT), os.path.getsize(path) // 1024))


def plot_codec(plt, doc, out):
    fig, axes = plt.subplots(2, 1, figsize=(10, 7))
    for ax, op in zip(axes, ("encode", "decode")):
        cs = [c for c in doc["cases"] if c["params"]["op"] == op]
        groups = ["%s\n%s" % (c["params"]["payload"], c["params"]["codec"]) for c in cs]
        bars(ax, groups, [("libmas", [c["libmas"] for c in cs]),
                          ("anchor", [c["anchor"] for c in cs])],
             log=True, ratios=[rtext(c["ratio"]) for c in cs], unit="msg/s (log)")
        ax.set_title(op + " (ratio = libmas ÷ Python msg/s)", fontsize=9)
        ax.legend(["libmas", "Python: aiomas 2.0.1 codecs (acl: mango 2.4, pure-Python msgpack)"], fontsize=8, loc="upper right")
    save(fig, plt, doc, "Codec throughput: libmas vs Python codecs", out, "codec.png")


def floor_line(ax, doc):
    f = doc.get("reference", {}).get("raw_floor")
    if f and f.get("p50_us"):
        lo, hi = ax.get_ylim()
        if f["p50_us"] < lo * 1.2:
            ax.set_ylim(f["p50_us"] * 0.7, hi)
        ax.axhline(f["p50_us"], color="black", ls="--", lw=1)
        ax.annotate("raw socket floor p50 %.1f µs" % f["p50_us"], (0, f["p50_us"]),
                    xytext=(2, 3), textcoords="offset points", fontsize=7,
                    xycoords=("axes fraction", "data"))


def latency(ax, doc, cases, sides, title):
    groups = [c["params"]["case"] for c in cases]
    series = [(s, side_vals(cases, s, "p50_us")) for s in sides if present(cases, s)]
    bars(ax, groups, series, log=True, unit="µs (log): bar p50, dot p99",
         ratios=[rtext(c["metrics"]["p50_us"]["ratio"]) for c in cases])
    n = len(series)
    width = 0.8 / max(n, 1)
    for i, (s, _) in enumerate(series):
        p99 = side_vals(cases, s, "p99_us")
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        ax.plot([x for x, v in zip(xs, p99) if v], [v for v in p99 if v], "k.", ms=5)
    tops = [v for s, _ in series for v in side_vals(cases, s, "p99_us") if v]
    lo, hi = ax.get_ylim()
    if tops:  # room for the legend above the highest p99
        ax.set_ylim(lo, max(hi, max(tops) * 10))
    floor_line(ax, doc)
    ax.set_title(title + " (ratio = anchor p50 ÷ libmas p50)", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")


def throughput(ax, cases, sides, title):
    groups = [c["params"]["case"] for c in cases]
    series = [(s, side_vals(cases, s, "calls_per_s")) for s in sides if present(cases, s)]
    bars(ax, groups, series, log=True, unit="calls/s (log)",
         ratios=[rtext(c["metrics"]["calls_per_s"]["ratio"]) for c in cases])
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left")


def plot_rpc(plt, doc, out):
    cases = doc["cases"]
    seq = [c for c in cases if c["params"]["case"] in ("1x1", "1x1b")]
    conc = [c for c in cases if c not in seq]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [2, 3]})
    latency(axes[0], doc, seq, ("libmas", "libmas_tuned", "aiomas", "aiomas_inproc"),
            "sequential latency (1x1b: blocking caller)")
    throughput(axes[1], conc, ("libmas", "libmas_tuned", "aiomas", "aiomas_inproc"),
               "throughput, connections x in flight (ratio = libmas ÷ aiomas)")
    save(fig, plt, doc, "RPC add(1, 2) over TCP 127.0.0.1, JSON: libmas vs aiomas", out, "rpc.png")
    # Scaling: calls/s against the calls in flight in all (connections x K).
    pts = [c for c in cases if c["params"].get("connections") and c["params"]["case"] != "1x1b"]
    if len({c["params"]["connections"] * c["params"]["inflight"] for c in pts}) >= 3:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        pts.sort(key=lambda c: (c["params"]["connections"] * c["params"]["inflight"],
                                c["params"]["connections"]))
        # One line per side and connection count: solid 1 connection, dashed more.
        conns = sorted({c["params"]["connections"] for c in pts})
        styles = dict(zip(conns, ("-", "--", ":", "-.")))
        for s in ("libmas", "libmas_tuned", "aiomas", "aiomas_inproc"):
            for i, n in enumerate(conns):
                xy = [(c["params"]["connections"] * c["params"]["inflight"],
                       c["sides"][s]["calls_per_s"], c["params"]["case"])
                      for c in pts if s in c["sides"] and c["params"]["connections"] == n]
                if not xy:
                    continue
                ax.plot([p[0] for p in xy], [p[1] for p in xy], "o", ls=styles.get(n, "-"),
                        label=LABELS[s] if i == 0 else None, color=COLORS[s])
                if s == "libmas":
                    for x, y, lbl in xy:
                        ax.annotate(lbl, (x, y), xytext=(4, -10), textcoords="offset points",
                                    fontsize=7)
        for n in conns:
            ax.plot([], [], "k", ls=styles.get(n, "-"), label="%d connection%s" % (n, "" if n == 1 else "s"))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("calls in flight in all (connections × per connection), log")
        ax.set_ylabel("calls/s (log)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        save(fig, plt, doc, "RPC scaling with calls in flight", out, "rpc_scaling.png")


def plot_agents(plt, doc, out):
    cases = doc["cases"]
    inproc = [c for c in cases if c["group"] == "agents_inproc"]
    expose = [c for c in cases if c["group"] == "agents_expose"]
    cross = [c for c in cases if c["group"] == "agents_cross"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.5))
    if inproc:
        sides = ("raw_caf", "libmas", "raw_caf_in_container")
        bars(axes[0], [c["params"]["case"] for c in inproc],
             [(s, side_vals(inproc, s, "rate")) for s in sides if present(inproc, s)],
             unit="msg/s", ratios=[rtext(c["ratio"], pct=True) for c in inproc])
        axes[0].set_title("one process: agents vs raw CAF actors (agents/raw)", fontsize=9)
        axes[0].legend(fontsize=7, loc="upper left")
    both = expose + [c for c in cross if c["params"]["case"] != "1x1"] + \
        [c for c in cross if c["params"]["case"] == "1x1"]
    thr = [c for c in both if c["params"]["case"] in ("expose64", "1x64")]
    if thr:
        for c in thr:
            c["params"]["case"] = c["params"]["case"].replace("1x64", "cross 1x64")
        throughput(axes[1], thr, ("libmas", "libmas_tuned", "aiomas"),
                   "64 calls in flight (ratio = libmas ÷ aiomas)")
    lat = [c for c in both if c["params"]["case"] in ("expose1", "1x1")]
    if lat:
        for c in lat:
            c["params"]["case"] = c["params"]["case"].replace("1x1", "cross 1x1")
        latency(axes[2], doc, lat, ("libmas", "libmas_tuned", "aiomas"),
                "sequential agent calls")
    save(fig, plt, doc, "Agents: libmas vs raw CAF (one process) and vs aiomas (expose: own "
         "container over TCP; cross: two processes)", out, "agents.png")


def plot_mango(plt, doc, out):
    cases = {c["id"]: c for c in doc["cases"]}
    order = ("libmas", "libmas_tuned", "mango", "libmas_to_mango", "mango_to_libmas")
    short = {"libmas": "libmas\n(CAF defaults)", "libmas_tuned": "libmas tuned\n(sharing)",
             "mango": "Python\nmango 2.4", "libmas_to_mango": "libmas ->\nPython",
             "mango_to_libmas": "Python ->\nlibmas"}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    one = cases.get("mango/oneway")
    if one:
        ss = [s for s in order if s in one["sides"]]
        vals = [one["sides"][s]["msgs_per_s"] for s in ss]
        axes[0].bar(range(len(ss)), vals, color=[COLORS[s] for s in ss])
        axes[0].set_xticks(range(len(ss)))
        axes[0].set_xticklabels([short[s] for s in ss], fontsize=7)
        axes[0].set_ylabel("msg/s")
        axes[0].grid(axis="y", alpha=0.3)
        anc = one["sides"].get("mango", {}).get("msgs_per_s")
        for i, v in enumerate(vals):
            if anc:
                axes[0].annotate("%.1f×" % (v / anc), (i, v), xytext=(0, 3),
                                 textcoords="offset points", ha="center", fontsize=8)
        axes[0].set_title("one-way, %s B messages (× Python mango)" % one["params"]["size"], fontsize=9)
    rtt = cases.get("mango/rtt")
    if rtt:
        ss = [s for s in order if s in rtt["sides"]]
        x = range(len(ss))
        axes[1].bar([i - 0.2 for i in x], [rtt["sides"][s]["p50_us"] for s in ss], 0.4,
                    color=[COLORS[s] for s in ss], label="p50")
        axes[1].bar([i + 0.2 for i in x], [rtt["sides"][s]["p99_us"] for s in ss], 0.4,
                    color=[COLORS[s] for s in ss], alpha=0.45, label="p99")
        axes[1].set_xticks(list(x))
        axes[1].set_xticklabels([short[s] for s in ss], fontsize=7)
        axes[1].set_ylabel("µs")
        axes[1].grid(axis="y", alpha=0.3)
        from matplotlib.patches import Patch
        axes[1].legend([Patch(color="#555555"), Patch(color="#555555", alpha=0.45)],
                       ["p50", "p99"], fontsize=7)
        anc = rtt["sides"].get("mango", {}).get("p50_us")
        for i, s in enumerate(ss):
            v = rtt["sides"][s]["p50_us"]
            if anc and v:
                axes[1].annotate("%.2f×" % (anc / v), (i - 0.2, v), xytext=(0, 3),
                                 textcoords="offset points", ha="center", fontsize=8)
        axes[1].set_title("sequential round trips (solid p50, light p99; × = Python p50 ÷ p50)", fontsize=9)
    save(fig, plt, doc, "mango messages between two processes: libmas vs Python mango 2.4",
         out, "mango.png")


def plot_scenarios(plt, doc, out):
    cases = doc["cases"]
    sides = [s for s in ("libmas", "libmas_tuned", "libmas_steady_clock", "mango")
             if present(cases, s)]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    groups = [c["params"]["scenario"].replace("_many", "\nmany") for c in cases]
    bars(ax, groups, [(s, side_vals(cases, s, "wall_s")) for s in sides], unit="wall s")
    n = len(sides)
    width = 0.8 / n
    for i, s in enumerate(sides):
        for g, c in enumerate(cases):
            r = c["sides"].get(s)
            if not r:
                continue
            x = g + (i - (n - 1) / 2) * width
            if s != "libmas_steady_clock":  # its bound is none (see run_mango_scenarios)
                ax.plot([x - width / 2, x + width / 2], [r["bound_s"]] * 2, "k-", lw=1.5)
                ax.annotate("%.2f" % r["wall_over_bound"], (x, r["wall_s"]), xytext=(0, 2),
                            textcoords="offset points", ha="center", fontsize=7)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("black line: busy-work bound (busy ÷ cores for libmas, busy for Python); "
                 "number: wall/bound", fontsize=9)
    save(fig, plt, doc, "mango_benchmark scenarios, all containers in one process", out,
         "mango_scenarios.png")


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="JSON files: %s (.json), written by benchmarks/run_*." % ", ".join(RUNNERS))
    ap.add_argument("--results", default=os.environ.get(
        "MAS_BENCH_RESULTS", os.path.join(ROOT, "build", "bench-results")),
        help="directory with the runners' JSON files (default: $MAS_BENCH_RESULTS or "
             "build/bench-results)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks"),
                    help="directory for the PNG files (default: docs/benchmarks)")
    ap.add_argument("--table", action="store_true",
                    help="print the markdown headline table (docs/benchmarks.md, "
                         "'What to expect') instead of plotting")
    ap.add_argument("--only", metavar="RUNNER", action="append", choices=RUNNERS,
                    help="plot only this runner's file (repeatable)")
    args = ap.parse_args()
    docs = load(args.results)
    if args.only:
        docs = {k: v for k, v in docs.items() if k in args.only}
    if not docs:
        sys.exit("plot_results.py: no results in %s (run benchmarks/run_* first)" % args.results)
    if args.table:
        print(table(docs))
        return
    plt = plt_module()
    os.makedirs(args.out, exist_ok=True)
    draw = {"codec": plot_codec, "rpc": plot_rpc, "agents": plot_agents,
            "mango": plot_mango, "mango_scenarios": plot_scenarios}
    for runner, doc in docs.items():
        draw[runner](plt, doc, args.out)


if __name__ == "__main__":
    main()
