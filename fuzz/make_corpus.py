#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ with the real Python
codecs (aiomas 2.0.1, mango 2.4, msgpack, python-blosc).

Run with the project venv:  .venv/bin/python fuzz/make_corpus.py
The output is deterministic; the seeds are committed, so this only needs to
run again when the set of seeds changes.
"""

import math
import os
import struct
import sys
import warnings

import aiomas.codecs
from mango import AgentAddress
from mango.messages.codecs import JSON as MangoJSON
from mango.messages.message import Performatives, create_acl

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = struct.Struct("!L")


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frame(payload):
    return HEADER.pack(len(payload)) + payload


def main():
    warnings.simplefilter("ignore")
    jc = aiomas.codecs.JSON()
    mc = aiomas.codecs.MsgPack()
    bc = aiomas.codecs.MsgPackBlosc()

    rpc = [0, 42, ["agents/0/add", [3, 4], {"scale": 1.5}]]
    result = [1, 42, 7]
    exc = [2, 43, "Traceback (most recent call last):\n  ValueError: x\n"]
    mixed = {"s": "h\u00e9llo \u2603 \U0001f600", "i": -(2**63), "u": 2**64 - 1,
             "f": [0.1, -0.0, 1e300, 5e-324], "n": None, "b": [True, False],
             "nest": [[[{"k": []}]]], "e": {}}

    acl = create_acl({"power": 1.5, "unit": "kW"},
                     receiver_addr=AgentAddress(("127.0.0.1", 5556), "agent1"),
                     sender_addr=AgentAddress(("127.0.0.1", 5555), "agent0"),
                     acl_metadata={"performative": Performatives.inform,
                                   "conversation_id": "c-1"})
    acl_json = MangoJSON().encode(acl)

    # -- JSON ------------------------------------------------------------------
    write("fuzz_json", "rpc_request", jc.encode(rpc))
    write("fuzz_json", "rpc_result", jc.encode(result))
    write("fuzz_json", "rpc_exception", jc.encode(exc))
    write("fuzz_json", "mixed", jc.encode(mixed))
    write("fuzz_json", "nonfinite", jc.encode([math.nan, math.inf, -math.inf]))
    write("fuzz_json", "mango_acl", acl_json)
    write("fuzz_json", "envelope", jc.encode({"__type__": [0, {"x": 1}]}))
    write("fuzz_json", "escapes", b'["\\u0000\\ud83d\\ude00\\n\\"\\\\\\/", 1E5, -0]')

    # -- MsgPack -----------------------------------------------------------------
    # Python dicts with non-string keys and bytes (the part JSON cannot do).
    odd = {1: b"\x00\xffbin", -1: "neg", 2.5: None, None: True, False: 0,
           (1, "t"): [b"", 2**32], "k": {b"bk": 1.0}}
    big = {"arr16": list(range(20)), "str8": "x" * 40, "bin16": b"y" * 300}
    write("fuzz_msgpack", "rpc_request", mc.encode(rpc))
    write("fuzz_msgpack", "rpc_result", mc.encode(result))
    write("fuzz_msgpack", "rpc_exception", mc.encode(exc))
    write("fuzz_msgpack", "mixed", mc.encode(mixed))
    write("fuzz_msgpack", "odd_keys", mc.encode(odd))
    write("fuzz_msgpack", "big_forms", mc.encode(big))
    write("fuzz_msgpack", "envelope", mc.encode({"__type__": (0, {"x": 1})}))
    write("fuzz_msgpack", "float32", b"\xca\x3f\xc0\x00\x00")

    # -- MsgPack + Blosc ---------------------------------------------------------
    write("fuzz_msgpack_blosc", "rpc_request", bc.encode(rpc))
    write("fuzz_msgpack_blosc", "mixed", bc.encode(mixed))
    write("fuzz_msgpack_blosc", "odd_keys", bc.encode(odd))
    write("fuzz_msgpack_blosc", "big_forms", bc.encode(big))

    # -- frames: 2 bytes chunking seed, then the stream (fuzz_frame.cpp uses a
    # maximum frame size of 1024) -----------------------------------------------
    stream = (frame(jc.encode(rpc)) + frame(jc.encode(result)) + frame(b"")
              + frame(acl_json))
    write("fuzz_frame", "json_stream", b"\x00\x01" + stream)
    write("fuzz_frame", "json_stream_split", b"\x03\x07" + stream)
    write("fuzz_frame", "msgpack_stream",
          b"\x01\x02" + frame(mc.encode(rpc)) + frame(bc.encode(mixed)))
    write("fuzz_frame", "truncated", b"\x02\x05" + frame(b"abcdef")[:7])
    write("fuzz_frame", "oversize", b"\x00\x00" + frame(b"ok")
          + HEADER.pack(1025) + b"zz")
    write("fuzz_frame", "max_frame", b"\x05\x09" + frame(b"m" * 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
