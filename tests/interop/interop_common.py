"""Shared helpers for the interop tests (run by ctest with the venv Python).

Every test script calls :func:`require_peers` first: a missing venv or Python
package is a test FAILURE (exit status 2 with a clear message), never a skip.
"""

import argparse
import base64
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import warnings

HEADER = struct.Struct("!L")  # aiomas/mango framing: 4-byte BE payload length

# to_readable/same_value recurse a few frames per nesting level; the corpus
# nests ~900 deep.
sys.setrecursionlimit(20000)


def _die(msg):
    sys.stderr.write("interop: FATAL: %s\n" % msg)
    sys.stderr.write("interop: interpreter: %s (%s)\n"
                     % (sys.executable, sys.version.split()[0]))
    sys.stderr.write("interop: run scripts/setup to create the project venvs "
                     "(tests/interop/requirements*.txt)\n")
    sys.exit(2)


def require_peers(*peers):
    """Imports the real Python peers the script uses ("aiomas", "mango") and
    their libraries, or exits non-zero (never skips)."""
    names = []
    if "mango" in peers:
        if sys.version_info < (3, 10):
            _die("Python >= 3.10 required (mango-agents), got %s"
                 % sys.version)
        names.append("mango")
    if "aiomas" in peers:
        names += ["aiomas", "msgpack", "blosc", "arrow"]
    missing = []
    for name in names:
        try:
            __import__(name)
        except Exception as e:  # ImportError and broken installs alike
            missing.append("%s (%s: %s)" % (name, type(e).__name__, e))
    if missing:
        _die("missing Python packages: " + ", ".join(missing))
    if "aiomas" not in peers:
        return
    import aiomas.codecs
    import msgpack
    # aiomas swallows ImportErrors of its optional deps and sets them to None.
    if aiomas.codecs.msgpack is None or aiomas.codecs.blosc is None:
        _die("aiomas.codecs could not import msgpack/blosc")
    if msgpack.version >= (1, 0, 0):
        _die("msgpack %s installed; aiomas 2.0.1 needs < 1.0 "
             "(unpackb(encoding=...))" % (msgpack.version,))
    # Make sure aiomas' MsgPack decode really works in this environment.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert aiomas.codecs.MsgPack().decode(b"\x91\xa1a") == ("a",)
    except Exception as e:
        _die("aiomas.codecs.MsgPack().decode is broken: %r" % (e,))


def quiet():
    """msgpack 0.6.2 warns on every unpackb(encoding=...) call."""
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", PendingDeprecationWarning)


# -- frames -------------------------------------------------------------------


def frame(payload):
    return HEADER.pack(len(payload)) + payload


def frames(payloads):
    return b"".join(frame(p) for p in payloads)


def split_frames(data):
    """Splits a frame stream; asserts it ends on a frame boundary."""
    out = []
    pos = 0
    while pos < len(data):
        assert len(data) - pos >= 4, "trailing partial header"
        (n,) = HEADER.unpack_from(data, pos)
        pos += 4
        assert len(data) - pos >= n, "trailing partial frame"
        out.append(data[pos:pos + n])
        pos += n
    return out


# -- readable form (the expected side, computed in Python) --------------------

_RESERVED_SOLE_KEYS = ("$bytes", "$map", "__type__")


def is_envelope(d):
    """A raw-decoded aiomas/mango extension envelope."""
    return (isinstance(d, dict) and "__type__" in d
            and isinstance(d["__type__"], (list, tuple))
            and len(d["__type__"]) == 2)


def to_readable(x, envelopes=False):
    """Maps a Python value to masctl's readable form (a JSON-only structure).

    With ``envelopes=True`` a dict holding ``"__type__": [id, repr]`` (what a
    raw decode without object_hook yields) is an extension value and stays
    ``{"__type__": [id, readable(repr)]}``.
    """
    r = lambda y: to_readable(y, envelopes)  # noqa: E731
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(x)).decode("ascii")}
    if isinstance(x, (list, tuple)):
        return [r(y) for y in x]
    if isinstance(x, dict):
        if envelopes and is_envelope(x):
            tid, rep = x["__type__"]
            return {"__type__": [tid, r(rep)]}
        keys = list(x.keys())
        if all(isinstance(k, str) for k in keys) and not (
                len(keys) == 1 and keys[0] in _RESERVED_SOLE_KEYS):
            return {k: r(v) for k, v in x.items()}
        return {"$map": [[r(k), r(v)] for k, v in x.items()]}
    raise TypeError("no readable form for %r" % (type(x),))


def readable_line(x, envelopes=False):
    """One line as masctl prints it: json.dumps with Python's defaults."""
    return json.dumps(to_readable(x, envelopes))


def same_value(a, b):
    """Equality modulo tuple/list, NaN == NaN, but -0.0 != 0.0, 1 != 1.0 and
    True != 1 (compared through the readable form)."""
    return readable_line(a, True) == readable_line(b, True)


# -- running the C++ side -----------------------------------------------------


class Run:
    def __init__(self, argv, proc):
        self.argv = argv
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr.decode("utf-8", "replace")

    def describe(self):
        return "%s -> exit %s\nstdout (first 500 bytes): %r\nstderr:\n%s" % (
            " ".join(self.argv), self.rc, self.out[:500], self.err)


def run(argv, stdin=b"", timeout=60):
    proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)
    return Run(argv, proc)


class Masctl:
    def __init__(self, path):
        self.path = path

    def decode(self, codec, data, *extra):
        return run([self.path, "decode", "--codec", codec, *extra], data)

    def encode(self, codec, text, *extra):
        if isinstance(text, str):
            text = text.encode("utf-8")
        return run([self.path, "encode", "--codec", codec, *extra], text)


def parse_args(*names):
    """Parses ``--masctl PATH`` etc.; leaves unittest's own args alone."""
    ap = argparse.ArgumentParser()
    for n in names:
        ap.add_argument("--" + n, required=True)
    args, rest = ap.parse_known_args()
    for n in names:
        p = getattr(args, n)
        if not (os.path.isfile(p) and os.access(p, os.X_OK)):
            _die("--%s %s is not an executable (build it first: "
                 "cmake --build build)" % (n, p))
    sys.argv[1:] = rest
    return args


# The sanitizers the C++ side was built with (CMake's MAS_SANITIZE, passed
# by ctest; empty in the normal build).
SANITIZE = [s for s in os.environ.get("MAS_SANITIZE", "").split(",") if s]
_SANITIZER_SKIP = "cannot run under "


def sanitizer_skip(sanitizer, reason):
    """Decorator: the test is skipped, with REASON, when the C++ side runs
    under SANITIZER ("address", "undefined"), and runs otherwise. These are
    the only skips main() accepts."""
    if sanitizer in SANITIZE:
        return unittest.skip("%s%s: %s" % (_SANITIZER_SKIP, sanitizer,
                                           reason))
    return lambda f: f


def main():
    """unittest.main that never reports 'OK (skipped=...)' as success, except
    for tests skipped by sanitizer_skip in a sanitizer build."""
    prog = unittest.main(exit=False, verbosity=2, warnings="ignore")
    res = prog.result
    others = [t for t, why in res.skipped
              if not (SANITIZE and why.startswith(_SANITIZER_SKIP))]
    for t, why in res.skipped:
        if t not in others:
            sys.stderr.write("interop: excluded: %s (%s)\n" % (t.id(), why))
    if others:
        sys.stderr.write("interop: skipped tests count as failures\n")
        sys.exit(1)
    sys.exit(0 if res.wasSuccessful() else 1)


def tmpfile(data, suffix=".bin"):
    fd, path = tempfile.mkstemp(prefix="mas-interop-", suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def isnan(x):
    return isinstance(x, float) and math.isnan(x)
