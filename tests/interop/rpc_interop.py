"""Helpers for the RPC interop tests (test_rpc_*.py): processes, transports,
TLS material and codecs.

Every child process is started through :class:`Proc`, which reads its output
in threads and is always terminated, killed if need be, and waited for.
"""

import argparse
import os
import queue
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import interop_common as ic

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PY_SERVER = os.path.join(HERE, "aiomas_rpc_server.py")
MAKE_CERTS = os.path.join(ROOT, "tests", "tls", "make_certs.sh")

CODECS = ("json", "msgpack", "msgpack-blosc")


def pattern(n):
    """The big-payload pattern the probe uses: 'a'..'z' repeated."""
    base = "abcdefghijklmnopqrstuvwxyz"
    return (base * (n // 26 + 1))[:n]


def rich_values(codec):
    """Values every RPC interop test echoes across languages: unicode (incl.
    non-BMP and control characters), nesting, float edge cases, int
    boundaries, empty containers; for the MsgPack codecs also bytes, non-string
    keys and str8/bin16-sized strings."""
    values = [
        "h\u00e9llo w\u00f6rld \u2713 \U0001d11e \x00\x7f\n\t\"\\/",
        {"a": [1, 2.5, {"b": None, "c": True, "d": False}], "\u00fc": "x",
         "": [], "nested": {"x": {"y": {"z": [1, {"k": "v"}]}}}},
        [0.1, 1e300, -0.0, 1e-05, 1e16, 3.141592653589793, 5e-324,
         float("inf"), float("-inf"), float("nan")],
        [2 ** 63 - 1, -2 ** 63, 2 ** 64 - 1, 0, -1, 1.0],
        [[[[["deep"]]]]],
        "", None, True, False, 0, [], {},
    ]
    if codec != "json":
        values += [
            b"\x00\xff\x80binary" * 10,
            {1: "int key", b"k": "bytes key", 2.5: [b"", b"\x01"]},
            [b"x" * 300, "y" * 70000],
        ]
    return values


def codec_class(name):
    import aiomas.codecs
    return {"json": aiomas.codecs.JSON, "msgpack": aiomas.codecs.MsgPack,
            "msgpack-blosc": aiomas.codecs.MsgPackBlosc}[name]


def parse_codec_arg():
    """Takes ``--codec NAME`` off the command line (required)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--codec", required=True, choices=CODECS)
    args, rest = ap.parse_known_args()
    sys.argv[1:] = rest
    return args.codec


# -- transports -----------------------------------------------------------------


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Transport:
    """One way to reach a server: ``name`` is tcp4, tcp6, unix or tls."""

    def __init__(self, name, tmpdir):
        self.name = name
        self.tls = name in ("tls", "tls6")
        self.tmpdir = tmpdir

    def server_args(self):
        """--addr/--unix for the C++ example servers and the Python server
        (a fresh socket path each time)."""
        if self.name in ("tcp4", "tls"):
            return ["--addr", "127.0.0.1:0"]
        if self.name in ("tcp6", "tls6"):
            return ["--addr", "[::1]:0"]
        return ["--unix", os.path.join(self.tmpdir,
                                       "s%d.sock" % next_serial())]


_serial = [0]


def next_serial():
    _serial[0] += 1
    return _serial[0]


def transports(tmpdir):
    """tcp4, tcp6, unix, tls (over 127.0.0.1) and tls6 (over ::1); the ::1
    ones only if the machine has ::1."""
    ipv6 = have_ipv6_loopback()
    if not ipv6:
        sys.stderr.write("interop: no ::1 on this machine; tcp6 and tls6 "
                         "not run\n")
    names = ["tcp4", "tcp6", "unix", "tls", "tls6"]
    if not ipv6:
        names = [n for n in names if n not in ("tcp6", "tls6")]
    return [Transport(n, tmpdir) for n in names]


def parse_endpoint(text):
    """'127.0.0.1:5' / '[::1]:5' / 'unix:/p' -> aiomas address."""
    if text.startswith("unix:"):
        return text[5:]
    if text.startswith("["):
        host, port = text[1:].split("]:")
        return (host, int(port))
    host, port = text.rsplit(":", 1)
    return (host, int(port))


def endpoint_text(addr):
    if isinstance(addr, str):
        return "unix:" + addr
    host, port = addr[:2]
    return ("[%s]:%d" % (host, port)) if ":" in host else "%s:%d" % (host,
                                                                    port)


def origin_seen_by_python(addr):
    """What aiomas reports as RemoteException.origin for a server at addr
    (transport.get_extra_info('peername'))."""
    if isinstance(addr, str):
        return addr
    host, port = addr
    return (host, port, 0, 0) if ":" in host else (host, port)


# -- TLS ------------------------------------------------------------------------


class Certs:
    def __init__(self, tmpdir):
        self.dir = os.path.join(tmpdir, "certs")
        res = subprocess.run(["sh", MAKE_CERTS, self.dir],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=60)
        if res.returncode != 0:
            raise RuntimeError("make_certs.sh failed: %s" % res.stderr)

    def path(self, name):
        return os.path.join(self.dir, name)

    def triple(self, ca="ca.pem", cert="client.pem", key="client.key"):
        return [self.path(ca), self.path(cert), self.path(key)]

    def server_triple(self):
        return self.triple("ca.pem", "server.pem", "server.key")

    def client_context(self, ca="ca.pem", cert="client.pem",
                       key="client.key"):
        import aiomas.util
        return aiomas.util.make_ssl_client_context(*self.triple(ca, cert, key))

    def server_context(self):
        import aiomas.util
        return aiomas.util.make_ssl_server_context(*self.server_triple())


# -- processes ------------------------------------------------------------------


class Proc:
    """A child process whose stdout lines and stderr are collected by
    threads. Use as a context manager: it is always stopped and waited for."""

    def __init__(self, argv, stdin=None):
        self.argv = [str(a) for a in argv]
        self.lines = queue.Queue()
        self.out = []
        self.err = []
        self.p = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE if stdin is not None else
            subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self._threads = [
            threading.Thread(target=self._read_out, daemon=True),
            threading.Thread(target=self._read_err, daemon=True)]
        for t in self._threads:
            t.start()
        if stdin is not None:
            self._writer = threading.Thread(target=self._write,
                                            args=(stdin,), daemon=True)
            self._writer.start()

    def _write(self, data):
        try:
            self.p.stdin.write(data)
            self.p.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def _read_out(self):
        for raw in self.p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.out.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def _read_err(self):
        for raw in self.p.stderr:
            self.err.append(raw.decode("utf-8", "replace"))

    def expect(self, pred, timeout=15.0, what="a line"):
        """Returns the next stdout line satisfying pred (skipping others)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timeout waiting for %s\n%s"
                                     % (what, self.describe()))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.lines.put(None)
                raise AssertionError("EOF while waiting for %s\n%s"
                                     % (what, self.describe()))
            if pred(line):
                return line

    def wait(self, timeout=30.0):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("timeout waiting for exit\n" + self.describe())

    def join_output(self, timeout=5.0):
        for t in self._threads:
            t.join(timeout)

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        if self.p.poll() is None:
            try:
                self.p.send_signal(sig)
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.join_output()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=10)
        self.join_output()

    def describe(self):
        return "%s (exit %s)\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(self.argv), self.p.poll(), "\n".join(self.out[-40:]),
            "".join(self.err)[-4000:])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        return False


class Server(Proc):
    """A server that prints 'listening on <ep>' and then 'ready'."""

    def __init__(self, argv, timeout=15.0):
        super().__init__(argv)
        try:
            line = self.expect(lambda s: s.startswith("listening on "),
                               timeout, "'listening on'")
            self.endpoint = line[len("listening on "):]
            self.addr = parse_endpoint(self.endpoint)
            self.expect(lambda s: s == "ready", timeout, "'ready'")
        except BaseException:
            self.kill()
            raise


def py_server(transport, codec, certs=None, extra=()):
    argv = [sys.executable, "-B", PY_SERVER, *transport.server_args(),
            "--codec", codec, *extra]
    if transport.tls:
        argv += ["--tls", *certs.server_triple()]
    return Server(argv)


def cpp_server(path, transport, codec, certs=None):
    argv = [path, *transport.server_args(), "--codec", codec]
    if transport.tls:
        argv += ["--tls", *certs.server_triple()]
    return Server(argv)


class TempDir:
    """A temp dir (short path: Unix socket paths are limited to 107 bytes)."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="mas-rpc-", dir="/tmp")

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


def run_async(coro, timeout=60.0):
    """asyncio.run with an overall bound."""
    import asyncio

    async def bounded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


def ssl_errors():
    return (ssl.SSLError, ConnectionError, OSError)
