#!/usr/bin/env python3
"""Python anchor for benchmarks/codec_bench.cpp: encode/decode throughput of
aiomas 2.0.1's own codec objects (aiomas.codecs.JSON, MsgPack, MsgPackBlosc)
and mango 2.4's JSON codec, on the same three payloads.

Run with the project venv:  .venv/bin/python benchmarks/codec_bench.py --help
benchmarks/run_codec_bench runs it next to the C++ side (docs/benchmarks.md).

Timing: time.perf_counter. Each case is warmed up, then run in batches for at
least --min-time seconds; the best of --reps repetitions is reported. MB/s
counts wire bytes (the codec's output = one frame payload, compressed for
msgpack-blosc), MB = 10^6 bytes.
"""

import argparse
import json
import os
import sys
import time
import warnings

PAYLOADS = ("rpc", "acl", "dict100k")
CODECS = ("json", "msgpack", "msgpack-blosc")
OPS = ("encode", "decode")
BIG_RECORDS = 720  # keep in sync with codec_bench.cpp


def make_rpc():
    return [0, 42, ["agents/0/add", [3, 4], {"scale": 1.5}]]


def make_acl():
    from mango import AgentAddress
    from mango.messages.message import Performatives, create_acl
    return create_acl({"power": 1.5, "unit": "kW"},
                      receiver_addr=AgentAddress(("127.0.0.1", 5556), "agent1"),
                      sender_addr=AgentAddress(("127.0.0.1", 5555), "agent0"),
                      acl_metadata={"performative": Performatives.inform,
                                    "conversation_id": "c-1"})


def make_big():
    records = []
    for i in range(BIG_RECORDS):
        records.append({
            "id": i,
            "name": "agent-%d" % i,
            "pos": [i * 0.5, -i * 0.25],
            "tags": ["t%d" % (i % 7), "group-%d" % (i % 13), "zone-%d" % (i % 3)],
            "meta": {"ok": i % 3 != 0, "score": i / 7.0},
        })
    return {"records": records}


def measure(op, min_time, reps):
    """Best rate (calls/s) of `op` over `reps` runs of >= min_time seconds."""
    batch = 1
    while True:  # warm-up and calibration: a batch takes >= 10 ms
        t0 = time.perf_counter()
        for _ in range(batch):
            op()
        if time.perf_counter() - t0 >= 0.01:
            break
        batch *= 2
    best = 0.0
    for _ in range(reps):
        calls = 0
        t0 = time.perf_counter()
        while True:
            for _ in range(batch):
                op()
            calls += batch
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        best = max(best, calls / dt)
    return best


def make_cases(payload, codec_name):
    """Returns (encode_fn, decode_fn, wire_bytes) for one case."""
    import aiomas.codecs
    cls = {"json": aiomas.codecs.JSON, "msgpack": aiomas.codecs.MsgPack,
           "msgpack-blosc": aiomas.codecs.MsgPackBlosc}[codec_name]
    if payload == "rpc":
        codec, obj = cls(), make_rpc()
    elif payload == "dict100k":
        codec, obj = cls(), make_big()
    elif codec_name == "json":
        # mango's own JSON codec: encode serializes the ACLMessage object,
        # decode builds one again.
        from mango.messages.codecs import JSON as MangoJSON
        codec, obj = MangoJSON(), make_acl()
    else:
        # mango has no MsgPack codec: the same envelope as a plain dict,
        # through aiomas' codec. Decoding calls object_hook on every dict and
        # looks '__type__' ids up, so the two mango ids map to a pass-through
        # (the C++ side likewise decodes them to generic ext values).
        from mango.messages.codecs import JSON as MangoJSON
        envelope = MangoJSON().encode(make_acl())
        obj = json.loads(envelope.decode())
        codec = cls()
        acl_id, (perf_id, _) = obj["__type__"][0], \
            obj["__type__"][1]["performative"]["__type__"]
        codec._deserializers[acl_id] = lambda d: d
        codec._deserializers[perf_id] = lambda d: d
    wire = codec.encode(obj)
    codec.decode(wire)  # must work
    return (lambda: codec.encode(obj)), (lambda: codec.decode(wire)), wire


def main():
    ap = argparse.ArgumentParser(
        description="Encode/decode throughput of aiomas' (and mango's JSON) "
                    "codecs; the Python anchor of codec_bench.",
        epilog="Payloads: rpc = aiomas [0, 42, [\"agents/0/add\", [3, 4], "
               "{\"scale\": 1.5}]]; acl = mango ACLMessage via create_acl() "
               "and mango's JSON codec (MsgPack codecs: the same envelope as "
               "a plain dict); dict100k = %d records of {id, name, pos, tags, "
               "meta}. MB/s counts wire bytes (10^6 bytes)." % BIG_RECORDS)
    ap.add_argument("--min-time", type=float, default=0.5,
                    help="seconds per repetition (default 0.5)")
    ap.add_argument("--reps", type=int, default=3,
                    help="repetitions, the best is reported (default 3)")
    ap.add_argument("--payload", default=",".join(PAYLOADS),
                    help="comma-separated subset of %s" % ",".join(PAYLOADS))
    ap.add_argument("--codec", default=",".join(CODECS),
                    help="comma-separated subset of %s" % ",".join(CODECS))
    ap.add_argument("--op", default=",".join(OPS),
                    help="comma-separated subset of %s" % ",".join(OPS))
    ap.add_argument("--tsv", action="store_true",
                    help="machine-readable output: payload codec op bytes "
                         "msgs_per_s mb_per_s (tab-separated, no header)")
    ap.add_argument("--dump", metavar="DIR",
                    help="write each encoding to DIR/<payload>.<codec>")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # msgpack 0.6 deprecation warnings

    payloads = args.payload.split(",")
    codecs = args.codec.split(",")
    ops = args.op.split(",")
    for name, allowed in ((payloads, PAYLOADS), (codecs, CODECS), (ops, OPS)):
        for x in name:
            if x not in allowed:
                ap.error("unknown name %r" % x)

    if not args.tsv:
        print("%-9s %-14s %-7s %9s %14s %10s"
              % ("payload", "codec", "op", "bytes", "msg/s", "MB/s"))
    for payload in payloads:
        for codec_name in codecs:
            enc, dec, wire = make_cases(payload, codec_name)
            if args.dump:
                with open(os.path.join(args.dump, "%s.%s" % (payload, codec_name)),
                          "wb") as f:
                    f.write(wire)
            for op in ops:
                rate = measure(enc if op == "encode" else dec,
                               args.min_time, args.reps)
                mbs = rate * len(wire) / 1e6
                if args.tsv:
                    print("%s\t%s\t%s\t%d\t%.1f\t%.2f"
                          % (payload, codec_name, op, len(wire), rate, mbs))
                else:
                    print("%-9s %-14s %-7s %9d %14.0f %10.1f"
                          % (payload, codec_name, op, len(wire), rate, mbs))
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
