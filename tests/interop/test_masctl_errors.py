"""Bad input through masctl: exit status and the errc name on stderr.

Malformed payloads are produced with (or checked against) the Python peers
where they can produce them: e.g. json.dumps(2**64) is valid for Python but
beyond 64 bits for us.

usage: test_masctl_errors.py --masctl PATH [unittest args]
"""

import json
import os
import re
import resource
import struct
import subprocess
import tempfile

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
            self.assert_one_line(res)

    def assert_one_line(self, res, *fragments):
        """stderr is one line 'masctl: ...' holding every fragment."""
        lines = res.err.splitlines()
        self.assertEqual(len(lines), 1, res.describe())
        self.assertTrue(lines[0].startswith("masctl: "), res.describe())
        for f in fragments:
            self.assertIn(f, lines[0], res.describe())

    def test_bad_numbers_are_usage_errors(self):
        # "-1" used to wrap to 2**64 - 1 (no limit at all), "10x" to 10.
        for value in ("-1", "+5", "10x", "", " 5", "0x10", "4294967296",
                      "99999999999999999999999"):
            with self.subTest(value=value):
                res = self.masctl.decode("json", ic.frame(GOOD),
                                         "--max-frame-size", value)
                self.assertEqual(res.rc, 2, res.describe())
                self.assert_one_line(res, "--max-frame-size '%s'" % value)
        for value in ("0", "4294967295"):
            res = self.masctl.decode("json", ic.frame(GOOD),
                                     "--max-frame-size", value)
            self.assertEqual(res.rc, 0 if value != "0" else 1, res.describe())
        for value in ("0", "-1", "inf", "nan", "1x", "", "1e10"):
            with self.subTest(timeout=value):
                res = ic.run([ARGS.masctl, "call", "127.0.0.1:1", "f",
                              "--timeout", value])
                self.assertEqual(res.rc, 2, res.describe())
                self.assert_one_line(res, "--timeout '%s'" % value)

    def test_unreadable_input_exits_1(self):
        # A directory used to be read as an empty stream (exit 0).
        with tempfile.TemporaryDirectory() as d:
            res = ic.run([ARGS.masctl, "decode", d])
            self.assertEqual(res.rc, 1, res.describe())
            self.assert_one_line(res, d, "is a directory")
            res = ic.run([ARGS.masctl, "encode", d])
            self.assertEqual(res.rc, 1, res.describe())
            self.assert_one_line(res, "is a directory")
            missing = os.path.join(d, "missing.bin")
            res = ic.run([ARGS.masctl, "decode", missing])
            self.assertEqual(res.rc, 1, res.describe())
            self.assert_one_line(res, missing, "No such file or directory")

    def test_call_names_the_bad_argument(self):
        # Checked before connecting: port 1 is never dialed.
        res = ic.run([ARGS.masctl, "call", "127.0.0.1:1", "add", "3", "four"])
        self.assertEqual(res.rc, 2, res.describe())
        self.assert_one_line(res, 'argument 2 of add ("four")',
                             "invalid JSON", "'\"four\"'")
        res = ic.run([ARGS.masctl, "call", "127.0.0.1:1", "add", "[1,", "2"])
        self.assertEqual(res.rc, 2, res.describe())
        self.assert_one_line(res, 'argument 1 of add ("[1,")', "invalid JSON")
        long_arg = "[" + "1, " * 100
        res = ic.run([ARGS.masctl, "call", "127.0.0.1:1", "add", long_arg])
        self.assertEqual(res.rc, 2, res.describe())
        self.assert_one_line(res, "argument 1 of add", "(%d bytes)"
                             % len(long_arg))
        for kwargs, what in (("{", "invalid JSON"), ("[1]", "JSON object")):
            res = ic.run([ARGS.masctl, "call", "127.0.0.1:1", "add",
                          "--kwargs", kwargs])
            self.assertEqual(res.rc, 2, res.describe())
            self.assert_one_line(res, '--kwargs ("%s")' % kwargs, what)

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
        self.assert_error(res, "line", 1, "frame_too_large")

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
                # lines count from 1: the bad one is the second
                self.assert_error(res, "line", 2, errc)
                # the good lines around it are still written
                self.assertEqual(ic.split_frames(res.out), [GOOD, GOOD])

    def test_encode_bytes_in_json_not_serializable(self):
        # aiomas: SerializationError (json.dumps hands bytes to default=)
        with self.assertRaises(aiomas.codecs.SerializationError):
            aiomas.codecs.JSON().encode(b"x")
        res = self.masctl.encode("json", '{"$bytes": "eA=="}\n')
        self.assert_error(res, "line", 1, "not_serializable")
        res = self.masctl.encode("msgpack", '{"$bytes": "eA=="}\n')
        self.assertEqual(res.rc, 0, res.describe())
        self.assertEqual(ic.split_frames(res.out),
                         [aiomas.codecs.MsgPack().encode(b"x")])

    def test_encode_unstringifiable_json_key(self):
        # json.dumps refuses bytes/tuple keys (TypeError: keys must be ...)
        with self.assertRaises(TypeError):
            aiomas.codecs.JSON().encode({(1, 2): 0})
        res = self.masctl.encode("json", '{"$map": [[[1, 2], 0]]}\n')
        self.assert_error(res, "line", 1, "not_serializable")

    def test_encode_counts_blank_lines(self):
        res = self.masctl.encode("json", GOOD_LINE + "\n\n[1,\n")
        self.assert_error(res, "line", 3, "invalid_json")

    # -- the wrong codec ------------------------------------------------------

    def test_msgpack_capture_read_as_json_hints(self):
        mp = aiomas.codecs.MsgPack()
        msgs = [[0, i, ["agents/0/spam", [i, "x" * i], {}]] for i in range(6)]
        res = self.masctl.decode("json", ic.frames([mp.encode(m)
                                                    for m in msgs]))
        self.assertEqual(res.rc, 1, res.describe())
        lines = res.err.splitlines()
        self.assertEqual(len(lines), 6, res.describe())
        for i, line in enumerate(lines):
            self.assertRegex(line, ERR_RE)
            self.assertTrue(line.startswith("masctl: frame %d: " % i), line)
            self.assertIn("(is this a msgpack capture? try --codec msgpack)",
                          line)
        # and the reverse cases
        res = self.masctl.decode("msgpack", ic.frame(GOOD))
        self.assert_error(res, "frame", 0, "invalid_msgpack")
        self.assertIn("try --codec json", res.err, res.describe())
        blosc_frame = aiomas.codecs.MsgPackBlosc().encode(msgs[1])
        res = self.masctl.decode("msgpack", ic.frame(blosc_frame))
        self.assertIn("try --codec msgpack-blosc", res.err, res.describe())
        res = self.masctl.decode("msgpack-blosc", ic.frame(GOOD_MP))
        self.assertIn("try --codec msgpack", res.err, res.describe())
        # no hint when no other codec reads it as a message
        for codec, bad in (("json", b"{"), ("msgpack", b"\xc1")):
            res = self.masctl.decode(codec, ic.frame(bad))
            self.assertEqual(res.rc, 1, res.describe())
            self.assertNotIn("try --codec", res.err, res.describe())

    # -- decode amplification -------------------------------------------------

    def run_capped(self, argv, data, limit=256 << 20):
        """Runs masctl with its address space capped (like ulimit -v).

        Under AddressSanitizer it runs uncapped: ASan reserves terabytes of
        address space for its shadow memory at startup, so no cap can be
        set. The errors these tests expect come from the decoder's limits,
        which do not depend on the cap; the cap shows that nothing else
        breaks when memory is short (asserted by the normal build)."""
        def cap():
            if "address" not in ic.SANITIZE:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        proc = subprocess.run(argv, input=data, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60,
                              preexec_fn=cap)
        return ic.Run(argv, proc)

    def test_blosc_bomb_under_memory_cap(self):
        # 128 MiB of msgpack nils compress to about 0.5 MB; as values they
        # took 6.1 GB, and under a memory cap masctl aborted (exit 134).
        n = (128 << 20) - 5
        bomb = blosc.compress(b"\xdd" + struct.pack("!L", n) + b"\xc0" * n, 8)
        self.assertLess(len(bomb), 1 << 20)
        data = ic.frame(bomb) + ic.frame(aiomas.codecs.MsgPackBlosc().encode(
            [1, 2]))
        argv = [ARGS.masctl, "decode", "--codec", "msgpack-blosc"]
        res = self.run_capped(argv, data)
        self.assertNotEqual(res.rc, 134, res.describe())
        self.assert_error(res, "frame", 0, "frame_too_large", stdout_lines=1)
        self.assertIn("max_decompressed_size (67108864 bytes)", res.err)
        # Allowed to decompress (a larger --max-frame-size), its values
        # still exceed the decoded-size budget: rejected, no abort.
        res = self.run_capped(argv + ["--max-frame-size", str(256 << 20)],
                              data, limit=512 << 20)
        self.assertNotEqual(res.rc, 134, res.describe())
        self.assert_error(res, "frame", 0, "decoded_too_large",
                          stdout_lines=1)
        self.assertIn("max_decoded_size (268435456 bytes)", res.err)

    def test_nil_frame_is_bounded(self):
        # A 64 MiB msgpack frame of nils needed 3.2 GB as values.
        n = (64 << 20) - 5
        data = ic.frame(b"\xdd" + struct.pack("!L", n) + b"\xc0" * n)
        res = self.run_capped([ARGS.masctl, "decode", "--codec", "msgpack"],
                              data)
        self.assertNotEqual(res.rc, 134, res.describe())
        self.assert_error(res, "frame", 0, "decoded_too_large",
                          stdout_lines=0)

    @ic.sanitizer_skip("address", "needs an allocation to fail: ASan cannot "
                       "run with RLIMIT_AS, and its operator new aborts with "
                       "an out-of-memory report instead of throwing "
                       "std::bad_alloc")
    def test_out_of_memory_is_an_error_line(self):
        # Within every limit, but not within this memory cap: one line and
        # exit 1, never std::terminate.
        n = 5000000
        data = ic.frame(b"\xdd" + struct.pack("!L", n) + b"\xc0" * n)
        res = self.run_capped([ARGS.masctl, "decode", "--codec", "msgpack"],
                              data, limit=128 << 20)
        self.assertNotEqual(res.rc, 134, res.describe())
        self.assert_error(res, "frame", 0, "out_of_memory", stdout_lines=0)

    def test_blosc_sizes_above_2_gib_print_unsigned(self):
        # A header announcing 2 GiB printed as 18446744071562067968.
        hdr = bytes([2, 1, 0x13, 8]) + struct.pack("<LLL", 1 << 31, 1 << 16,
                                                   16)
        res = self.masctl.decode("msgpack-blosc", ic.frame(hdr))
        self.assert_error(res, "frame", 0, "frame_too_large")
        self.assertIn("decompresses to 2147483648 bytes", res.err)


GOOD_MP = aiomas.codecs.MsgPack().encode([0, 0, ["agents/0/spam", [3], {}]])


if __name__ == "__main__":
    ic.main()
