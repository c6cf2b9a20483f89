"""mango's JSON codec (the installed mango-agents) against the C++ wire layer.

- measures the type ids from the installed mango (JSON()._serializers) and
  the Python minor, and checks the C++ table mango_type_ids_for(v2_1_4, minor)
  equals them (also for the other Python 3.10-3.13 found in pyenv);
- mango encodes real MangoMessage / ACLMessage (create_acl) / AgentAddress /
  Performatives -> the C++ probe decodes them into its structs (fields checked
  against expectations computed from the Python objects) and re-encodes them
  byte-identically; masctl shows the same frames;
- messages built in C++ decode with mango's codec into equal objects, and
  mango encodes those objects into the probe's bytes.

usage: test_mango_codec.py --masctl PATH --probe PATH [unittest args]
"""

import glob
import json
import os
import subprocess
import sys

import interop_common as ic

ic.require_peers("mango")
ic.quiet()
ARGS = ic.parse_args("masctl", "probe")

import unittest  # noqa: E402

import mango  # noqa: E402
import mango.messages.codecs  # noqa: E402
from mango import AgentAddress, Performatives, create_acl  # noqa: E402
from mango.messages.message import ACLMessage, MangoMessage  # noqa: E402

MINOR = sys.version_info.minor
HERE = os.path.dirname(os.path.abspath(__file__))
MANGO_MESSAGES_DIR = os.path.dirname(mango.messages.codecs.__file__)
TYPE_NAMES = ("ACLMessage", "MangoMessage", "AgentAddress", "Performatives")


def measure_ids():
    """The ids the installed mango's JSON codec really uses."""
    codec = mango.messages.codecs.JSON()
    sers = codec._serializers
    if not isinstance(sers, dict):
        raise AssertionError("JSON()._serializers is a %s, not a dict: the "
                             "installed mango changed its codec internals"
                             % type(sers).__name__)
    ids = {}
    for cls, entry in sers.items():
        if not (isinstance(entry, tuple) and isinstance(entry[0], int)):
            raise AssertionError("unexpected _serializers entry for %r: %r"
                                 % (cls, entry))
        ids[cls.__name__] = entry[0]
    # what encode writes must agree with the table (no hidden indirection)
    wire = json.loads(codec.encode(Performatives.inform))
    assert wire["__type__"][0] == ids["Performatives"], (wire, ids)
    return ids


IDS = measure_ids()


def mango_version():
    try:
        from importlib.metadata import version
        return version("mango-agents")
    except Exception:  # pragma: no cover
        return "?"


# -- the messages mango encodes -----------------------------------------------

A0 = AgentAddress(("127.0.0.1", 5555), "agent0")
A1 = AgentAddress(("127.0.0.1", 5556), "agent1")


def python_objects():
    # 0: what agent.send_message("hi-1", ..., foo=1) puts on the wire
    #    (mango-wire.md §2.2)
    m0 = MangoMessage("hi-1", {"foo": 1, "sender_id": "echo",
                               "sender_addr": ("127.0.0.1", 5701),
                               "receiver_id": "peer"})
    # 1: the create_acl sample of mango-wire.md §2.2
    acl1 = create_acl({"x": 1, "addr": A0}, receiver_addr=A1, sender_addr=A0,
                      acl_metadata={"performative": Performatives.inform,
                                    "conversation_id": "c1"})
    # 4: extension values nested in content and meta, unicode, MQTT-style
    m4 = MangoMessage(
        {"addr": A1, "perf": Performatives.request, "list": [A0, A1],
         "text": "gr\u00fc\u00df \U0001F600", "n": [1, 2.5, None, True]},
        {"sender_id": "a", "sender_addr": "inbox/a", "receiver_id": "b",
         "performative": Performatives.cfp, "qos": 1,
         "tracking_id": "6f1c8c3e-1b0e-4c55-9d0e-6c0a2f1d8b11"})
    # 5: an ACL with every field set
    acl5 = create_acl([1, 2.5, None, "x"],
                      receiver_addr=AgentAddress("inbox/agent1", "agent1"),
                      sender_addr=AgentAddress("inbox/agent0", "agent0"),
                      acl_metadata={
                          "performative": Performatives.propagate,
                          "conversation_id": "conv-\u00e9",
                          "reply_to": "inbox/agent0", "reply_by": 1.5,
                          "in_reply_to": "m-1", "protocol": "fipa-request",
                          "language": "json", "encoding": "utf-8",
                          "ontology": "grid", "reply_with": "m-2"})
    # 6: anonymous ACL without performative
    acl6 = create_acl("anon", receiver_addr=A1, sender_addr=A0,
                      is_anonymous_acl=True)
    # 7: an ACL with an attribute that is no ACL field (kept by mango)
    acl7 = create_acl(None, receiver_addr=A1, sender_addr=A0,
                      acl_metadata={"performative": Performatives.agree})
    acl7.custom_field = {"k": [1]}
    # 8: MangoMessage without meta (decodes with meta None)
    m8 = MangoMessage([], None)
    return [m0, acl1, A0, Performatives.inform, m4, acl5, acl6, acl7, m8,
            Performatives.accept_proposal, Performatives.propagate,
            AgentAddress("eid_1", "x")]


# -- expectations computed from the Python objects ----------------------------


def expect_value(x):
    """Readable form of a value inside a message, envelopes spelled out with
    the measured ids."""
    if isinstance(x, AgentAddress):
        return {"__type__": [IDS["AgentAddress"],
                             {"protocol_addr": expect_value(x.protocol_addr),
                              "aid": x.aid}]}
    if isinstance(x, Performatives):
        return {"__type__": [IDS["Performatives"], x.value]}
    if isinstance(x, (list, tuple)):
        return [expect_value(y) for y in x]
    if isinstance(x, dict):
        return {k: expect_value(v) for k, v in x.items()}
    return x


ACL_FIELDS = ("sender_id", "sender_addr", "receiver_id", "receiver_addr",
              "reply_to", "content", "performative", "conversation_id",
              "reply_by", "in_reply_to", "protocol", "language", "encoding",
              "ontology", "reply_with")


def expect_probe_line(obj):
    if isinstance(obj, ACLMessage):
        attrs = vars(obj)
        fields = {}
        for f in ACL_FIELDS:
            v = attrs[f]
            fields[f] = (v.name if isinstance(v, Performatives) else None
                         ) if f == "performative" else expect_value(v)
        fields["extra"] = {k: expect_value(v) for k, v in attrs.items()
                           if k not in ACL_FIELDS}
        return {"kind": "ACLMessage", "fields": fields}
    if isinstance(obj, MangoMessage):
        return {"kind": "MangoMessage",
                "fields": {"content": expect_value(obj.content),
                           "meta": expect_value(obj.meta)}}
    if isinstance(obj, AgentAddress):
        return {"kind": "AgentAddress",
                "fields": {"protocol_addr": expect_value(obj.protocol_addr),
                           "aid": obj.aid}}
    if isinstance(obj, Performatives):
        return {"kind": "Performatives",
                "fields": {"name": obj.name, "value": obj.value}}
    raise TypeError(obj)


def native_objects():
    """What the probe's write_native builds, as mango objects."""
    n0 = MangoMessage("hello from C++ \U0001F600",
                      {"foo": [1, 2.5], "sender_id": "cpp",
                       "sender_addr": ["127.0.0.1", 5800],
                       "receiver_id": "agent0"})
    n1 = create_acl({"x": 1, "addr": AgentAddress(["127.0.0.1", 5800], "cpp")},
                    receiver_addr=AgentAddress(["127.0.0.1", 5556], "agent1"),
                    sender_addr=AgentAddress(["127.0.0.1", 5800], "cpp"),
                    acl_metadata={"performative": Performatives.inform,
                                  "conversation_id": "c1"})
    n2 = AgentAddress(["127.0.0.1", 5555], "agent0")
    n3 = Performatives.request_whenever
    n4 = ACLMessage()
    n5 = MangoMessage({"p": Performatives.agree,
                       "to": AgentAddress("inbox/topic", "a")},
                      {"sender_id": "cpp", "sender_addr": "eid_1",
                       "receiver_id": "a",
                       "tracking_id": "00000000-0000-4000-8000-000000000000"})
    return [n0, n1, n2, n3, n4, n5]


def same_object(a, b):
    """Field-wise equality of decoded mango objects."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ACLMessage):
        return vars(a).keys() == vars(b).keys() and all(
            same_object(vars(a)[k], vars(b)[k]) for k in vars(a))
    if isinstance(a, MangoMessage):
        return (same_object(a.content, b.content)
                and same_object(a.meta, b.meta))
    if isinstance(a, AgentAddress):
        return same_object(a.protocol_addr, b.protocol_addr) and a.aid == b.aid
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(same_object, a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_object(a[k], b[k]) for k in a)
    return a == b


class MangoCodec(unittest.TestCase):
    masctl = ic.Masctl(ARGS.masctl)

    @classmethod
    def setUpClass(cls):
        print("\n  installed mango-agents %s on Python 3.%d, measured ids: %s"
              % (mango_version(), MINOR, json.dumps(IDS)), file=sys.stderr)

    def test_measured_ids_have_all_types(self):
        self.assertEqual(sorted(IDS), sorted(TYPE_NAMES))
        codec = mango.messages.codecs.JSON()
        self.assertEqual(sorted(codec._deserializers), sorted(IDS.values()))

    def test_cpp_table_matches_installed_mango(self):
        res = ic.run([ARGS.probe, "table", str(MINOR)])
        self.assertEqual(res.rc, 0, res.describe())
        self.assertEqual(json.loads(res.out), IDS,
                         "C++ mango_type_ids_for(v2_1_4, %d) differs from the "
                         "ids of the installed mango %s" % (MINOR,
                                                            mango_version()))

    def test_cpp_tables_match_other_pythons(self):
        # The same mango source hashed by the other Python minors available
        # (pyenv); mango_ids_stub.py loads it with stub protobuf modules.
        stub = os.path.join(HERE, "mango_ids_stub.py")
        own = subprocess.run([sys.executable, "-B", stub, MANGO_MESSAGES_DIR],
                             capture_output=True, text=True, check=True)
        self.assertEqual(json.loads(own.stdout)["ids"], IDS,
                         "the stub loader disagrees with the real import")
        pythons = {}
        for exe in sorted(glob.glob(os.path.expanduser(
                "~/.pyenv/versions/3.1[0-9]*/bin/python3"))):
            pythons.setdefault(os.path.basename(os.path.dirname(
                os.path.dirname(exe))).rsplit(".", 1)[0], exe)
        checked = []
        for ver, exe in sorted(pythons.items()):
            minor = int(ver.split(".")[1])
            if not 10 <= minor <= 13:
                continue
            with self.subTest(python=ver):
                out = subprocess.run([exe, "-B", stub, MANGO_MESSAGES_DIR],
                                     capture_output=True, text=True)
                self.assertEqual(out.returncode, 0, out.stderr)
                measured = json.loads(out.stdout)
                self.assertEqual(measured["python_minor"], minor)
                res = ic.run([ARGS.probe, "table", str(minor)])
                self.assertEqual(res.rc, 0, res.describe())
                self.assertEqual(json.loads(res.out), measured["ids"],
                                 "Python %s" % ver)
                checked.append("%s %s" % (ver, json.dumps(measured["ids"])))
        print("\n  other Pythons checked:\n    " + "\n    ".join(checked),
              file=sys.stderr)

    def test_fact_sheet_samples_byte_exact(self):
        # mango-wire.md §2.2 (verified on mango 2.2.1, Python 3.11): the
        # installed mango must still produce these bytes on 3.11.
        if MINOR != 11:
            return  # the samples are for 3.11 ids; other checks still run
        objs = python_objects()
        codec = mango.JSON()
        self.assertEqual(
            codec.encode(objs[0]),
            b'{"__type__": [-1465703651, {"content": "hi-1", "meta": {"foo": 1,'
            b' "sender_id": "echo", "sender_addr": ["127.0.0.1", 5701], '
            b'"receiver_id": "peer"}}]}')
        self.assertEqual(
            codec.encode(objs[1]),
            b'{"__type__": [-632231636, {"sender_id": "agent0", "sender_addr":'
            b' ["127.0.0.1", 5555], "receiver_id": "agent1", "receiver_addr": '
            b'["127.0.0.1", 5556], "reply_to": null, "content": {"x": 1, '
            b'"addr": {"__type__": [-1987868611, {"protocol_addr": '
            b'["127.0.0.1", 5555], "aid": "agent0"}]}}, "performative": '
            b'{"__type__": [1970419479, 9]}, "conversation_id": "c1", '
            b'"reply_by": null, "in_reply_to": null, "protocol": null, '
            b'"language": null, "encoding": null, "ontology": null, '
            b'"reply_with": null}]}')

    def test_probe_roundtrip(self):
        codec = mango.JSON()
        objs = python_objects()
        payloads = [codec.encode(o) for o in objs]
        src = ic.tmpfile(ic.frames(payloads))
        re_path, native_path = src + ".re", src + ".native"
        try:
            res = ic.run([ARGS.probe, "check", str(MINOR),
                          str(IDS["ACLMessage"]), str(IDS["MangoMessage"]),
                          str(IDS["AgentAddress"]), str(IDS["Performatives"]),
                          src, re_path, native_path])
            if res.rc == 3:
                self.fail("C++ id table differs from the installed mango:\n"
                          + res.err)
            self.assertEqual(res.rc, 0, res.describe())
            # (ii) fields of the decoded structs
            got = [json.loads(l) for l in res.out.decode().splitlines()]
            self.assertEqual(len(got), len(objs))
            for i, (obj, line) in enumerate(zip(objs, got)):
                self.assertEqual(line, expect_probe_line(obj),
                                 "frame %d (%r)" % (i, obj))
            # (iii) re-encoded from the structs: mango's bytes
            with open(re_path, "rb") as f:
                ours = ic.split_frames(f.read())
            self.assertEqual(len(ours), len(payloads))
            for i, (theirs, mine) in enumerate(zip(payloads, ours)):
                self.assertEqual(mine, theirs, "frame %d" % i)
            # C++-built messages: mango decodes equal objects, same bytes
            with open(native_path, "rb") as f:
                native = ic.split_frames(f.read())
            expected = native_objects()
            self.assertEqual(len(native), len(expected))
            for i, (mine, obj) in enumerate(zip(native, expected)):
                back = codec.decode(mine)
                self.assertTrue(same_object(back, obj),
                                "native frame %d: mango decoded %r, expected "
                                "%r" % (i, vars(back) if hasattr(back, "__dict__")
                                        else back, obj))
                self.assertEqual(mine, codec.encode(obj), "native frame %d" % i)
        finally:
            for p in (src, re_path, native_path):
                if os.path.exists(p):
                    os.unlink(p)

    def test_masctl_shows_and_rebuilds_mango_frames(self):
        codec = mango.JSON()
        payloads = [codec.encode(o) for o in python_objects()]
        res = self.masctl.decode("json", ic.frames(payloads))
        self.assertEqual(res.rc, 0, res.describe())
        lines = res.out.decode().splitlines()
        self.assertEqual(len(lines), len(payloads))
        for p, line in zip(payloads, lines):
            self.assertEqual(line, ic.readable_line(json.loads(p), True))
        self.assertTrue(lines[3] == '{"__type__": [%d, 9]}'
                        % IDS["Performatives"], lines[3])
        res = self.masctl.encode("json", "\n".join(lines) + "\n")
        self.assertEqual(res.rc, 0, res.describe())
        self.assertEqual(ic.split_frames(res.out), payloads)

    def test_probe_rejects_other_python_ids(self):
        # A frame with another Python minor's Performatives id is an unknown
        # id for a peer configured for this minor (mango: KeyError).
        other = {10: 494347893, 11: 1970419479, 12: 599685864}
        wrong = [v for k, v in other.items() if v != IDS["Performatives"]][0]
        payload = b'{"__type__": [%d, 9]}' % wrong
        with self.assertRaises(KeyError):
            mango.JSON().decode(payload)
        src = ic.tmpfile(ic.frames([payload]))
        try:
            res = ic.run([ARGS.probe, "check", str(MINOR),
                          str(IDS["ACLMessage"]), str(IDS["MangoMessage"]),
                          str(IDS["AgentAddress"]), str(IDS["Performatives"]),
                          src, src + ".re", src + ".native"])
            self.assertEqual(res.rc, 1, res.describe())
            self.assertIn("[unknown_type_id]", res.err)
        finally:
            for p in (src, src + ".re", src + ".native"):
                if os.path.exists(p):
                    os.unlink(p)


if __name__ == "__main__":
    ic.main()
