"""aiomas extension types (positional type ids) against masctl and a C++ probe.

Python side: aiomas codecs with extra serializers, registered in this order
(ids 0, 1, 2 by aiomas's `typeid = len(self._serializers)`):
  0: Point, an @aiomas.codecs.serializable class
  1: Plain, a plain class with its own (de)serializer functions
  2: arrow.Arrow via aiomas.util.arrow_serializer (a container's id 0)

usage: test_aiomas_ext.py --masctl PATH --probe PATH [unittest args]
"""

import json
import os

import interop_common as ic

ic.require_peers("aiomas")
ic.quiet()
ARGS = ic.parse_args("masctl", "probe")

import unittest  # noqa: E402

import aiomas.codecs  # noqa: E402
import aiomas.util  # noqa: E402
import arrow  # noqa: E402
import msgpack  # noqa: E402
import blosc  # noqa: E402


@aiomas.codecs.serializable
class Point:
    def __init__(self, x, y, label):
        self.x = x
        self.y = y
        self.label = label

    def __eq__(self, other):
        return (type(other) is Point
                and ic.same_value(self.__asdict__(), other.__asdict__()))


class Plain:
    """Not decorated: registered with explicit functions."""

    def __init__(self, name, tags, origin=None):
        self.name, self.tags, self.origin = name, list(tags), origin

    @staticmethod
    def to_wire(obj):
        return [obj.name, obj.tags, obj.origin]

    @staticmethod
    def from_wire(rep):
        name, tags, origin = rep
        return Plain(name, tags, origin)

    def __eq__(self, other):
        return (type(other) is Plain and self.name == other.name
                and list(self.tags) == list(other.tags)
                and self.origin == other.origin)

    def __repr__(self):
        return "Plain(%r, %r, %r)" % (self.name, self.tags, self.origin)


CODECS = {
    "json": aiomas.codecs.JSON,
    "msgpack": aiomas.codecs.MsgPack,
    "msgpack-blosc": aiomas.codecs.MsgPackBlosc,
}


def make_codec(name):
    c = CODECS[name]()
    c.add_serializer(*Point.__serializer__())
    c.add_serializer(Plain, Plain.to_wire, Plain.from_wire)
    c.add_serializer(*aiomas.util.arrow_serializer())
    return c


def raw_decode(name, payload):
    """Decodes without object_hook: envelopes stay dicts."""
    if name == "json":
        return json.loads(payload.decode())
    if name == "msgpack-blosc":
        payload = blosc.decompress(payload)
    return msgpack.unpackb(payload, raw=False, use_list=False)


P1 = Point(1, 2.5, "p\u00e9")
P2 = Point(-2**63, -1e-05, "")
PLAIN = Plain("plain", ["x", "\U0001F600"], Point(3, 0.0, "origin"))
DATE = arrow.get("2016-01-01T00:00:00+00:00")
REQUEST = (0, 3, ("agents/0/move", (P2,),
                  {"to": P1, "plain": Plain("inner", [], None)}))
PYTHON_OBJECTS = [P1, PLAIN, [P1, P2, Point(0, 1e16, "third")], REQUEST, DATE]


def describe(x):
    """What the probe prints for a decoded struct (from Python objects)."""
    if isinstance(x, Point):
        return {"type": "Point", "x": x.x, "y": x.y, "label": x.label}
    if isinstance(x, Plain):
        return {"type": "Plain", "name": x.name, "tags": list(x.tags),
                "origin": describe(x.origin) if x.origin else None}
    if isinstance(x, arrow.Arrow):
        return {"type": "Arrow", "iso": str(x)}
    raise TypeError(x)


def expected_probe_lines():
    t, i, (path, args, kwargs) = REQUEST
    return [describe(P1), describe(PLAIN),
            [describe(p) for p in PYTHON_OBJECTS[2]],
            {"type": t, "id": i, "path": path, "arg": describe(args[0]),
             "to": describe(kwargs["to"]), "plain": describe(kwargs["plain"])},
            describe(DATE)]


def native_objects():
    """The objects the probe builds in C++ (write_native)."""
    p = Point(-7, 0.1, "\U0001F600 native")
    r = Plain("no origin", [], None)
    return [p, Plain("native", ["a", "b\u00e9"], Point(1, -0.0, "")), r,
            [0, 42, ["agents/1/move", [p], {"to": Point(2, 3.5, "to"),
                                            "plain": r}]],
            arrow.get("2016-01-01T00:00:00+00:00")]


def normalize(x):
    """Tuples to lists, recursively (for comparing decoded objects)."""
    if isinstance(x, (list, tuple)):
        return [normalize(y) for y in x]
    if isinstance(x, dict):
        return {k: normalize(v) for k, v in x.items()}
    if isinstance(x, Plain):
        return Plain(x.name, normalize(x.tags), x.origin)
    return x


def payload_equal(name, a, b):
    if name == "msgpack-blosc":
        return blosc.decompress(a) == blosc.decompress(b)
    return a == b


class AiomasExtensionTypes(unittest.TestCase):
    masctl = ic.Masctl(ARGS.masctl)

    def test_python_registers_positional_ids(self):
        for name in CODECS:
            c = make_codec(name)
            ids = {t.__name__: v[0] for t, v in c._serializers.items()}
            self.assertEqual(ids, {"Point": 0, "Plain": 1, "Arrow": 2}, name)

    def check_masctl_decode(self, name):
        codec = make_codec(name)
        payloads = [codec.encode(x) for x in PYTHON_OBJECTS]
        res = self.masctl.decode(name, ic.frames(payloads))
        self.assertEqual(res.rc, 0, res.describe())
        lines = res.out.decode().splitlines()
        self.assertEqual(len(lines), len(payloads))
        for p, line in zip(payloads, lines):
            self.assertEqual(line, ic.readable_line(raw_decode(name, p), True))
        # The envelopes, spelled out.
        self.assertEqual(
            lines[0], '{"__type__": [0, {"x": 1, "y": 2.5, '
                      '"label": "p\\u00e9"}]}')
        self.assertTrue(lines[1].startswith(
            '{"__type__": [1, ["plain", ["x", "\\ud83d\\ude00"], '
            '{"__type__": [0, {"x": 3, "y": 0.0, "label": "origin"}]}]]}'),
            lines[1])
        self.assertEqual(
            lines[4], '{"__type__": [2, "2016-01-01T00:00:00+00:00"]}')
        # And back: masctl encode gives aiomas's bytes.
        res = self.masctl.encode(name, "\n".join(lines) + "\n")
        self.assertEqual(res.rc, 0, res.describe())
        ours = ic.split_frames(res.out)
        self.assertEqual(len(ours), len(payloads))
        for theirs, mine, obj in zip(payloads, ours, PYTHON_OBJECTS):
            self.assertTrue(payload_equal(name, mine, theirs), (mine, theirs))
            self.assertEqual(normalize(codec.decode(mine)), normalize(obj))

    def test_masctl_json(self):
        self.check_masctl_decode("json")

    def test_masctl_msgpack(self):
        self.check_masctl_decode("msgpack")

    def test_masctl_msgpack_blosc(self):
        self.check_masctl_decode("msgpack-blosc")

    def check_probe(self, name):
        codec = make_codec(name)
        payloads = [codec.encode(x) for x in PYTHON_OBJECTS]
        src = ic.tmpfile(ic.frames(payloads))
        re_path, native_path = src + ".re", src + ".native"
        try:
            res = ic.run([ARGS.probe, name, src, re_path, native_path])
            self.assertEqual(res.rc, 0, res.describe())
            # (1) the struct fields the probe decoded
            got = [json.loads(line) for line in res.out.decode().splitlines()]
            self.assertEqual(got, expected_probe_lines())
            # (2) re-encoded from the structs: aiomas's bytes
            with open(re_path, "rb") as f:
                ours = ic.split_frames(f.read())
            self.assertEqual(len(ours), len(payloads))
            for i, (theirs, mine) in enumerate(zip(payloads, ours)):
                self.assertTrue(payload_equal(name, mine, theirs),
                                "frame %d:\n python %r\n ours   %r"
                                % (i, theirs, mine))
            # (3) built in C++: aiomas decodes equal objects, same bytes
            with open(native_path, "rb") as f:
                native = ic.split_frames(f.read())
            objs = native_objects()
            self.assertEqual(len(native), len(objs))
            for i, (mine, obj) in enumerate(zip(native, objs)):
                self.assertEqual(normalize(codec.decode(mine)), normalize(obj),
                                 "native frame %d" % i)
                self.assertTrue(payload_equal(name, mine, codec.encode(obj)),
                                "native frame %d:\n python %r\n ours   %r"
                                % (i, codec.encode(obj), mine))
        finally:
            for p in (src, re_path, native_path):
                if os.path.exists(p):
                    os.unlink(p)

    def test_probe_json(self):
        self.check_probe("json")

    def test_probe_msgpack(self):
        self.check_probe("msgpack")

    def test_probe_msgpack_blosc(self):
        self.check_probe("msgpack-blosc")

    def test_probe_rejects_unknown_id(self):
        # aiomas raises KeyError for an unregistered typeid; the C++ codec
        # (check_type_ids on) must refuse too: unknown_type_id.
        payload = b'{"__type__": [3, "x"]}'
        src = ic.tmpfile(ic.frames([payload] * 5))
        try:
            with self.assertRaises(KeyError):
                make_codec("json").decode(payload)
            res = ic.run([ARGS.probe, "json", src, src + ".re",
                          src + ".native"])
            self.assertEqual(res.rc, 1, res.describe())
            self.assertIn("[unknown_type_id]", res.err)
        finally:
            for p in (src, src + ".re", src + ".native"):
                if os.path.exists(p):
                    os.unlink(p)


if __name__ == "__main__":
    ic.main()
