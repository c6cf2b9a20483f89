"""Bad input through masctl: exit status and the errc name on stderr.

Malformed payloads are produced with (or checked against) the Python peers
where they can produce them: e.g. json.dumps(2**64) is valid for Python but
beyond 64 bits for us.

usage: test_masctl_errors.py --masctl PATH [unittest args]
"""

import json
import re
import struct

import interop_common as ic

ic.require_peers("aiomas")
ic.quiet()
ARGS = ic.parse_args("masctl")

import unittest  # noqa: E402

import aiomas.codecs  # noqa: E402
import blosc  # noqa: E402

GOOD = aiomas.codecs.JSON().encode([0, 0, ["agents/0/spam", [3], {}]])
GOOD_LINE = "[0, 0, [\"agents/0/spam\", [3], {}]]"
ERR_RE = re.compile(r"^masctl: (frame|line) (\d+): .+ \[([a-z0-9_]+)\]$")


class MasctlErrors(unittest.TestCase):
    masctl = ic.Masctl(ARGS.masctl)

    def assert_error(self, res, where, index, errc, stdout_lines=None):
        """exit 1, and a stderr line 'masctl: <where> <index>: ... [errc]'."""
        self.assertEqual(res.rc, 1, res.describe())
        found = [m.groups() for m in map(ERR_RE.match, res.err.splitlines())
                 if m]
        self.assertIn((where, str(index), errc), found, res.describe())
        if stdout_lines is not None:
            self.assertEqual(len(res.out.decode().splitlines()), stdout_lines,
                             res.describe())

    def decode_error(self, codec, data, index, errc, *extra, stdout_lines=None):
        res = self.masctl.decode(codec, data, *extra)
        self.assert_error(res, "frame", index, errc, stdout_lines)
        return res

    # -- usage --------------------------------------------------------------

    def test_help(self):
        for flag in ("--help", "-h"):
            res = ic.run([ARGS.masctl, flag])
            self.assertEqual(res.rc, 0, res.describe())
            text = res.out.decode()
            self.assertIn("decode", text)
            self.assertIn("encode", text)

    def test_usage_errors_exit_2(self):
        for argv in ([], ["frobnicate"], ["decode", "--codec", "xml"],
                     ["decode", "--bogus"]):
            res = ic.run([ARGS.masctl, *argv])
            self.assertEqual(res.rc, 2, res.describe())

    def test_empty_input_is_fine(self):
        res = self.masctl.decode("json", b"")
        self.assertEqual((res.rc, res.out), (0, b""), res.describe())

    # -- framing ------------------------------------------------------------

    def test_truncated_payload(self):
        data = struct.pack("!L", 10) + b"[1, 2"
        self.decode_error("json", data, 0, "truncated_frame", stdout_lines=0)

    def test_truncated_after_good_frame(self):
        data = ic.frame(GOOD) + ic.frame(GOOD)[:-3]
        self.decode_error("json", data, 1, "truncated_frame", stdout_lines=1)

    def test_truncated_header(self):
        self.decode_error("json", ic.frame(GOOD) + b"\x00\x00", 1,
                          "truncated_frame", stdout_lines=1)

    def test_oversized_header(self):
        data = ic.frame(GOOD) + struct.pack("!L", 1 << 20) + b"x" * 16
        self.decode_error("json", data, 1, "frame_too_large",
                          "--max-frame-size", "1000", stdout_lines=1)

    def test_oversized_header_default_limit(self):
        # 4 GiB - 1 announced, nothing follows: rejected from the header
        # alone (no allocation), before any truncation is noticed.
        self.decode_error("json", b"\xff\xff\xff\xff", 0, "frame_too_large")

    def test_encode_respects_max_frame_size(self):
        res = self.masctl.encode("json", '"%s"\n' % ("x" * 100),
                                 "--max-frame-size", "50")
        self.assert_error(res, "line", 0, "frame_too_large")

    # -- payloads -----------------------------------------------------------

    def test_invalid_json(self):
        for bad in (b"{", b"[1, 2", b"nope", b"[1,]", b"{'a': 1}", b"",
                    b"[1] [2]", b"01"):
            with self.subTest(payload=bad):
                with self.assertRaises(ValueError):
                    aiomas.codecs.JSON().decode(bad)
                self.decode_error("json", ic.frames([GOOD, bad, GOOD]), 1,
                                  "invalid_json", stdout_lines=2)

    def test_non_finite_tokens_are_strict(self):
        # Python accepts exactly NaN, Infinity and -Infinity as bare tokens;
        # anything glued to them is a syntax error there and must be here
        # (not, e.g., "1NaN" read as 10).
        for bad in (b"-NaN", b"[-NaN]", b"1NaN", b"[1NaN]", b"NaN1",
                    b"-Infinityx", b"--Infinity", b"Infinity1", b"[NaN NaN]",
                    b"+Infinity", b"nan", b"inf"):
            with self.subTest(payload=bad):
                with self.assertRaises(ValueError):
                    aiomas.codecs.JSON().decode(bad)
                self.decode_error("json", ic.frame(bad), 0, "invalid_json")

    def test_invalid_utf8_json(self):
        for bad in (b'"\xff"', b'["\xc3"]', b'"\xed\xa0\x80"'):
            with self.subTest(payload=bad):
                with self.assertRaises(UnicodeDecodeError):
                    aiomas.codecs.JSON().decode(bad)
                self.decode_error("json", ic.frame(bad), 0, "invalid_utf8")

    def test_lone_surrogate_escape_json(self):
        # Python's json.loads accepts "\ud800" (a str with a lone
        # surrogate); the C++ value model holds UTF-8 only and refuses it.
        bad = b'["\\ud800"]'
        self.assertEqual(aiomas.codecs.JSON().decode(bad), ["\ud800"])
        self.decode_error("json", ic.frame(bad), 0, "invalid_utf8")

    def test_invalid_utf8_msgpack(self):
        bad = b"\xa2\xc3\x28"  # fixstr of 2 bytes, invalid UTF-8
        with self.assertRaises(UnicodeDecodeError):
            aiomas.codecs.MsgPack().decode(bad)
        self.decode_error("msgpack", ic.frame(bad), 0, "invalid_utf8")

    def test_invalid_msgpack(self):
        cases = {
            "reserved 0xc1": b"\xc1",
            "truncated array": b"\x92\x01",
            "truncated str": b"\xa5ab",
            "trailing bytes": b"\x01\x02",
            "empty": b"",
        }
        for name, bad in cases.items():
            with self.subTest(case=name):
                with self.assertRaises(Exception):
                    aiomas.codecs.MsgPack().decode(bad)
                self.decode_error("msgpack", ic.frames([GOOD_MP, bad]), 1,
                                  "invalid_msgpack", stdout_lines=1)

    def test_msgpack_ext_types_rejected(self):
        # aiomas never sends msgpack ext types (fixext 1, type 5)
        self.decode_error("msgpack", ic.frame(b"\xd4\x05\x00"), 0,
                          "invalid_msgpack")

    def test_invalid_blosc(self):
        good = aiomas.codecs.MsgPackBlosc().encode([1, 2, 3])
        cases = {
            "garbage": b"this is not blosc at all",
            "short": b"\x02\x01",
            # a valid header announcing more than the buffer holds
            "cut": good[:-4] if len(good) > 20 else good[:16],
        }
        for name, bad in cases.items():
            with self.subTest(case=name):
                with self.assertRaises(Exception):
                    aiomas.codecs.MsgPackBlosc().decode(bad)
                self.decode_error("msgpack-blosc", ic.frames([good, bad]), 1,
                                  "invalid_blosc", stdout_lines=1)

    def test_blosc_wrapping_bad_msgpack(self):
        bad = blosc.compress(b"\xc1", 8)
        self.decode_error("msgpack-blosc", ic.frame(bad), 0, "invalid_msgpack")

    def test_int_out_of_range(self):
        for n in (2**64, -2**63 - 1, 10**30):
            with self.subTest(n=n):
                payload = json.dumps([1, n]).encode()
                self.assertEqual(aiomas.codecs.JSON().decode(payload), [1, n])
                self.decode_error("json", ic.frame(payload), 0,
                                  "int_out_of_range")
        # the edges still fit
        res = self.masctl.decode(
            "json", ic.frame(json.dumps([2**64 - 1, -2**63]).encode()))
        self.assertEqual(res.rc, 0, res.describe())
        self.assertEqual(res.out, b"[18446744073709551615, "
                                  b"-9223372036854775808]\n")

    def test_nesting_too_deep(self):
        payload = b"[" * 1001 + b"]" * 1001
        self.decode_error("json", ic.frame(payload), 0, "nesting_too_deep")
        self.decode_error("msgpack", ic.frame(b"\x91" * 1000 + b"\x90"), 0,
                          "nesting_too_deep")

    def test_invalid_envelope(self):
        for bad in (b'{"__type__": 5}', b'{"__type__": [1]}',
                    b'{"__type__": ["x", 1]}'):
            with self.subTest(payload=bad):
                with self.assertRaises(Exception):
                    aiomas.codecs.JSON().decode(bad)
                self.decode_error("json", ic.frame(bad), 0,
                                  "invalid_envelope")

    def test_unknown_ids_are_displayed(self):
        # masctl only displays: no id check.
        res = self.masctl.decode("json", ic.frame(b'{"__type__": [12345, 1]}'))
        self.assertEqual(res.rc, 0, res.describe())
        self.assertEqual(res.out, b'{"__type__": [12345, 1]}\n')

    # -- masctl encode --------------------------------------------------------

    def test_encode_malformed_lines(self):
        cases = [
            ("not json", "invalid_json"),
            ("[1, 2", "invalid_json"),
            ('{"$bytes": "!!!"}', "invalid_message"),
            ('{"$bytes": 5}', "invalid_message"),
            ('{"$map": [[1]]}', "invalid_message"),
            ('{"$map": 7}', "invalid_message"),
            ("18446744073709551616", "int_out_of_range"),
        ]
        for line, errc in cases:
            with self.subTest(line=line):
                res = self.masctl.encode(
                    "json", GOOD_LINE + "\n" + line + "\n" + GOOD_LINE + "\n")
                self.assert_error(res, "line", 1, errc)
                # the good lines around it are still written
                self.assertEqual(ic.split_frames(res.out), [GOOD, GOOD])

    def test_encode_bytes_in_json_not_serializable(self):
        # aiomas: SerializationError (json.dumps hands bytes to default=)
        with self.assertRaises(aiomas.codecs.SerializationError):
            aiomas.codecs.JSON().encode(b"x")
        res = self.masctl.encode("json", '{"$bytes": "eA=="}\n')
        self.assert_error(res, "line", 0, "not_serializable")
        res = self.masctl.encode("msgpack", '{"$bytes": "eA=="}\n')
        self.assertEqual(res.rc, 0, res.describe())
        self.assertEqual(ic.split_frames(res.out),
                         [aiomas.codecs.MsgPack().encode(b"x")])

    def test_encode_unstringifiable_json_key(self):
        # json.dumps refuses bytes/tuple keys (TypeError: keys must be ...)
        with self.assertRaises(TypeError):
            aiomas.codecs.JSON().encode({(1, 2): 0})
        res = self.masctl.encode("json", '{"$map": [[[1, 2], 0]]}\n')
        self.assert_error(res, "line", 0, "not_serializable")


GOOD_MP = aiomas.codecs.MsgPack().encode([0, 0, ["agents/0/spam", [3], {}]])


if __name__ == "__main__":
    ic.main()
