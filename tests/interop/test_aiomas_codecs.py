"""Conformance of masctl's codecs with aiomas 2.0.1's own codec objects.

(a) aiomas encodes a corpus -> frames -> `masctl decode` -> each line equals
    the readable form of what aiomas DECODES from the same payload.
(b) readable lines -> `masctl encode` -> payloads byte-identical to aiomas's
    encode (JSON, MsgPack; MsgPackBlosc after blosc.decompress), and aiomas
    decodes our payloads back to the same value.

usage: test_aiomas_codecs.py --masctl PATH [unittest args]
"""

import sys

import interop_common as ic

ic.require_peers("aiomas")
ic.quiet()
ARGS = ic.parse_args("masctl")

import unittest  # noqa: E402

import aiomas.codecs  # noqa: E402
import blosc  # noqa: E402

INF = float("inf")
NAN = float("nan")


def nested(depth):
    """`depth` lists nested in each other: nested(1) == []."""
    x = []
    for _ in range(depth - 1):
        x = [x]
    return x


def msgpack_nested_payload(depth):
    """msgpack of nested(depth), built by hand (fixarray 1 ... fixarray 0)."""
    return b"\x91" * (depth - 1) + b"\x90"


# -- the corpus ---------------------------------------------------------------
# (name, value, codecs) with codecs a subset of "jmb" (JSON, MsgPack, Blosc).

ALL = "jmb"
MP = "mb"

INTS = [0, 1, -1, 127, 128, 255, 256, 65535, 65536, 2**31 - 1, -2**31,
        2**32, 2**63 - 1, -2**63, 2**64 - 1,
        # more msgpack family boundaries
        -32, -33, -128, -129, -32768, -32769, 2**16 - 1, 2**31, -2**31 - 1,
        2**32 - 1]
FLOATS = [0.0, -0.0, 1.0, 0.1, 1e-05, 1e16, 1.5e300, 5e-324,
          1.7976931348623157e308, NAN, INF, -INF,
          # repr switches to exponent form at 1e16 / below 1e-4
          1e15, 123456789012345.6, 0.0001, 2.2250738585072014e-308, -1.5,
          1 / 3]
STRINGS = [
    "", "a", "ascii with / slash", "quote \" backslash \\",
    "caf\u00e9", "\u65e5\u672c\u8a9e", "\U0001F600", "grin \U0001F600 end",
    "e\u0301 combining", "\u0000\u0001\u001f", "\n\t\r\b\f", "\x7f",
    "\u0080\u00ff", "\u2028\u2029", "\ufeff BOM", "\uffff", "\U0010FFFF",
    "<script>&amp;</script>",
]
LONG = [("x" * n) for n in (31, 32, 255, 256, 65535, 65536)] + [
    "\U0001F600" * 5000, "\u00e9" * 40000]
BYTES = [b"", b"\x00\xff", bytes(range(256)), b"x" * 255, b"x" * 256,
         b"y" * 65535, b"y" * 65536]


def corpus():
    items = [("None", None, ALL), ("True", True, ALL), ("False", False, ALL)]
    items += [("int %d" % i, i, ALL) for i in INTS]
    items += [("float %r" % f, f, ALL) for f in FLOATS]
    items += [("str %r" % s, s, ALL) for s in STRINGS]
    items += [("long str %d" % len(s), s, ALL) for s in LONG]
    items += [("bytes len %d" % len(b), b, MP) for b in BYTES]
    items += [
        ("empty list", [], ALL),
        ("empty tuple", (), ALL),
        ("empty dict", {}, ALL),
        ("list of empties", [[], {}, "", 0], ALL),
        ("list 15", list(range(15)), ALL),
        ("list 16", list(range(16)), ALL),
        ("list 65536", list(range(65536)), ALL),
        ("dict 15", {"k%d" % i: i for i in range(15)}, ALL),
        ("dict 16", {"k%d" % i: i for i in range(16)}, ALL),
        ("dict 70000", {"k%d" % i: i for i in range(70000)}, ALL),
        ("key order", {"b": 1, "a": 2, "c": {"z": 0, "y": 1}}, ALL),
        ("mixed", {"list": [1, 2.5, "x", None, True, -0.0],
                   "nested": {"deep": [{"a": []}, ({},)]}}, ALL),
        ("floats in list", FLOATS, ALL),
        ("ints in list", INTS, ALL),
        ("nest 200", nested(200), ALL),
        ("nest 512", nested(512), ALL),   # deepest msgpack-python can pack
        ("nest 900", nested(900), "j"),  # msgpack: hand-built, below
        ("nested dicts 250", _nested_dicts(250), ALL),
        # readable-form escapes: a dict whose only key is reserved
        ("only $bytes key", {"$bytes": "AAEC"}, ALL),
        ("only $map key", {"$map": [[1, 2]]}, ALL),
        ("$bytes plus key", {"$bytes": "x", "b": 1}, ALL),
        ("$map and $bytes", {"$map": 1, "$bytes": 2}, ALL),
        ("bytes in dict", {"data": b"\x01\x02", "k": [b""]}, MP),
        # non-string keys: JSON stringifies int/float/bool/None keys
        ("int keys", {1: "a", -1: "b", 0: "c", 2**64 - 1: "d", -2**63: "e"},
         ALL),
        ("float keys", {1.5: "a", -0.0: "b", 1e16: "c", 5e-324: "d",
                        INF: "e", -INF: "f", NAN: "g"}, ALL),
        ("bool/None keys", {True: 1, False: 0, None: "n"}, ALL),
        ("mixed keys", {"s": 1, 2: "i", None: [], 0.5: {}}, ALL),
        ("bytes keys", {b"k": 1, b"": 2, b"\xff": 3}, MP),
        ("tuple keys", {(1, 2): "t", ("a", (3, None)): "nested", (): 0}, MP),
        ("nested non-str keys", {"outer": {1: {2: [3]}}}, ALL),
        # aiomas channel/RPC triples
        ("request", (0, 0, ("agents/0/spam", (3,), {})), ALL),
        ("request list", [0, 0, ["agents/0/spam", [3], {}]], ALL),
        ("validate_aid", [0, 0, ["validate_aid", ["0"], {}]], ALL),
        ("result", [1, 0, "Callee"], ALL),
        ("result null", [1, 7, None], ALL),
        ("exception", [2, 5, "ValueError: 42\n"], ALL),
        ("request kwargs", [0, 2**40, ["agents/12/set", [1.5, "x"],
                                      {"when": 3.25, "why": None}]], ALL),
    ]
    return items


def _nested_dicts(depth):
    x = {}
    for i in range(depth - 1):
        x = {"k": x, "i": i}
    return x


CODECS = {
    "j": ("json", aiomas.codecs.JSON),
    "m": ("msgpack", aiomas.codecs.MsgPack),
    "b": ("msgpack-blosc", aiomas.codecs.MsgPackBlosc),
}


class CodecConformance(unittest.TestCase):
    masctl = ic.Masctl(ARGS.masctl)
    CORPUS = corpus()

    _cache = {}

    def cases(self, letter):
        """(name, original value, python payload) for one codec (cached:
        msgpack is the slow pure-Python fallback here)."""
        if letter not in self._cache:
            self._cache[letter] = self._make_cases(letter)
        return self._cache[letter]

    def _make_cases(self, letter):
        codec = CODECS[letter][1]()
        out = []
        for name, val, which in self.CORPUS:
            if letter in which:
                out.append((name, val, codec.encode(val)))
        if letter in "mb":
            # Python's msgpack cannot pack this deep (ValueError: recursion
            # limit exceeded at 512), but it does unpack it.
            raw = msgpack_nested_payload(900)
            payload = raw if letter == "m" else blosc.compress(raw, 8)
            out.append(("nest 900 (hand-built)", nested(900), payload))
        return codec, out

    # -- (a) Python encodes, masctl decodes ---------------------------------

    def check_decode(self, letter):
        name, _ = CODECS[letter]
        codec, cases = self.cases(letter)
        res = self.masctl.decode(name, ic.frames(p for _, _, p in cases))
        self.assertEqual(res.rc, 0, res.describe())
        lines = res.out.decode("utf-8").split("\n")
        self.assertEqual(lines[-1], "", "output must end with a newline")
        lines = lines[:-1]
        self.assertEqual(len(lines), len(cases), res.describe())
        bad = []
        for (cname, _, payload), line in zip(cases, lines):
            expected = ic.readable_line(codec.decode(payload))
            if line != expected:
                bad.append("%s:\n  expected %.300s\n  actual   %.300s"
                           % (cname, expected, line))
        self.assertFalse(bad, "masctl decode --codec %s differs from aiomas "
                         "for %d case(s):\n%s" % (name, len(bad),
                                                  "\n".join(bad)))

    def test_decode_json(self):
        self.check_decode("j")

    def test_decode_msgpack(self):
        self.check_decode("m")

    def test_decode_msgpack_blosc(self):
        self.check_decode("b")

    # -- (b) masctl encodes, compared with Python's bytes -------------------

    def check_encode(self, letter):
        name, _ = CODECS[letter]
        codec, cases = self.cases(letter)
        text = "".join(ic.readable_line(v) + "\n" for _, v, _ in cases)
        res = self.masctl.encode(name, text)
        self.assertEqual(res.rc, 0, res.describe())
        ours = ic.split_frames(res.out)
        self.assertEqual(len(ours), len(cases), res.describe())
        bad = []
        identical_blosc = 0
        for (cname, val, theirs), mine in zip(cases, ours):
            if letter == "b":
                a, b = blosc.decompress(mine), blosc.decompress(theirs)
                if a != b:
                    bad.append("%s: msgpack inside blosc differs:\n  python %r"
                               "\n  ours   %r" % (cname, b[:80], a[:80]))
                    continue
                # header: typesize 8 (aiomas on 64-bit), same nbytes
                if mine[3] != 8 or mine[4:8] != theirs[4:8]:
                    bad.append("%s: blosc header %s vs python %s" % (
                        cname, mine[:16].hex(), theirs[:16].hex()))
                identical_blosc += mine == theirs
            elif mine != theirs:
                bad.append("%s:\n  python %.300r\n  ours   %.300r"
                           % (cname, theirs, mine))
                continue
            # aiomas reads our bytes back as the value it sent.
            try:
                back = codec.decode(mine)
            except Exception as e:  # pragma: no cover - reported below
                bad.append("%s: aiomas cannot decode ours: %r" % (cname, e))
                continue
            if not ic.same_value(back, codec.decode(theirs)):
                bad.append("%s: aiomas decodes ours differently" % cname)
            if letter != "j" and not ic.same_value(back, val):
                bad.append("%s: round trip changed the value" % cname)
        if letter == "b":
            print("\n  note: %d of %d blosc buffers byte-identical to "
                  "python-blosc %s" % (identical_blosc, len(cases),
                                       blosc.__version__), file=sys.stderr)
        self.assertFalse(bad, "masctl encode --codec %s differs from aiomas "
                         "for %d case(s):\n%s" % (name, len(bad),
                                                  "\n".join(bad)))

    def test_encode_json(self):
        self.check_encode("j")

    def test_encode_msgpack(self):
        self.check_encode("m")

    def test_encode_msgpack_blosc(self):
        self.check_encode("b")

    # -- spot checks of exact bytes (fact sheet samples) --------------------

    def test_validate_aid_frame_bytes(self):
        # aiomas-wire.md §4: 00 00 00 23 + [0, 0, ["validate_aid", ["0"], {}]]
        payload = aiomas.codecs.JSON().encode(
            (0, 0, ("validate_aid", ["0"], {})))
        expected = b"\x00\x00\x00\x23" + payload
        res = self.masctl.encode(
            "json", '[0, 0, ["validate_aid", ["0"], {}]]\n')
        self.assertEqual(res.rc, 0, res.describe())
        self.assertEqual(res.out, expected)

    def test_compact_and_whitespace_json_decodes(self):
        # Python peers parse any valid JSON; so must we (same readable line).
        variants = [b'[0,0,["a",[3],{}]]', b' [ 0 , 0 , [ "a" , [ 3 ] , { } ] ]\n',
                    b'[0, 0, ["\\u0061", [3], {}]]']
        res = self.masctl.decode("json", ic.frames(variants))
        self.assertEqual(res.rc, 0, res.describe())
        for v, line in zip(variants, res.out.decode().splitlines()):
            self.assertEqual(
                line, ic.readable_line(aiomas.codecs.JSON().decode(v)))

    def test_nan_keys_stay_distinct(self):
        # A Python dict can hold several NaN keys (NaN != NaN, distinct
        # objects); msgpack carries them all and aiomas decodes them all.
        val = {float("nan"): "a", float("nan"): "b", 1: "c"}
        for name in ("msgpack", "msgpack-blosc"):
            with self.subTest(codec=name):
                codec = aiomas.codecs.MsgPack() if name == "msgpack" \
                    else aiomas.codecs.MsgPackBlosc()
                payload = codec.encode(val)
                expected = ic.readable_line(codec.decode(payload))
                self.assertEqual(expected.count("NaN"), 2)
                res = self.masctl.decode(name, ic.frame(payload))
                self.assertEqual(res.rc, 0, res.describe())
                self.assertEqual(res.out.decode(), expected + "\n")
                res = self.masctl.encode(name, expected + "\n")
                self.assertEqual(res.rc, 0, res.describe())
                ours = ic.split_frames(res.out)
                self.assertEqual(len(ours), 1)
                if name == "msgpack":
                    self.assertEqual(ours[0], payload)
                else:
                    self.assertEqual(blosc.decompress(ours[0]),
                                     blosc.decompress(payload))

    def test_msgpack_non_minimal_forms_decode(self):
        # Other msgpack writers may use wider forms than needed; aiomas reads
        # them, so must we: uint64 1, str16 "a", array16 [1], map32 {},
        # float32 1.5.
        variants = [b"\xcf" + (1).to_bytes(8, "big"), b"\xda\x00\x01a",
                    b"\xdc\x00\x01\x01", b"\xdf\x00\x00\x00\x00",
                    b"\xca\x3f\xc0\x00\x00"]
        codec = aiomas.codecs.MsgPack()
        res = self.masctl.decode("msgpack", ic.frames(variants))
        self.assertEqual(res.rc, 0, res.describe())
        lines = res.out.decode().splitlines()
        self.assertEqual(len(lines), len(variants))
        for v, line in zip(variants, lines):
            self.assertEqual(line, ic.readable_line(codec.decode(v)))


if __name__ == "__main__":
    ic.main()
