"""Helpers for the agent-layer interop tests (test_agents_*.py): free ports,
container processes (mas_container and the Python aiomas.subproc
container), aiomas masters. Processes go through rpc_interop.Proc, which is
always stopped and waited for.
"""

import os
import socket
import sys

import interop_common as ic
import rpc_interop as ri

HERE = os.path.dirname(os.path.abspath(__file__))
PY_CONTAINER = os.path.join(HERE, "aiomas_subproc_container.py")

# The external clocks' start date (non-UTC offset on purpose: dates travel
# with the offset they were written with).
START = "2010-03-27T00:00:00+01:00"


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago. Neither
    mas_container nor aiomas.subproc report the port they bound, and an
    aiomas container created on port 0 puts ':0' into its agents'
    addresses, so masters pick ports (as aiomas users do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def last_line(exc):
    """The last line of a RemoteException's traceback (the exception)."""
    return exc.remote_traceback.rstrip("\n").rsplit("\n", 1)[-1]


def tls_args(certs):
    """device.pem serves and connects: an aiomas container has one
    SSLCerts for its server and its outgoing connections."""
    if certs is None:
        return []
    return ["--tls", certs.path("ca.pem"), certs.path("device.pem"),
            certs.path("device.key")]


def ssl_certs(certs):
    import aiomas
    if certs is None:
        return None
    return aiomas.SSLCerts(certs.path("ca.pem"), certs.path("device.pem"),
                           certs.path("device.key"))


class MasContainer(ri.Proc):
    """build/bin/mas_container on a free port; waits for its 'ready'. A
    port taken between free_port() and the bind (another test running in
    parallel) makes mas_container exit 1; then it starts again on another
    port (at most 3 times)."""

    def __init__(self, path, codec, extra=(), certs=None, timeout=30.0):
        for attempt in range(3):
            self.port = free_port()
            self.base = "tcp://127.0.0.1:%d/" % self.port
            super().__init__([path, "--codec", codec, *extra,
                              *tls_args(certs), "127.0.0.1:%d" % self.port])
            try:
                self.expect(lambda s: s == "ready", timeout, "'ready'")
                return
            except AssertionError:
                self.kill()
                if attempt == 2 or "cannot start" not in "".join(self.err):
                    raise
            except BaseException:
                self.kill()
                raise


def py_container_argv(codec, port, clock="external", certs=None):
    """argv of a Python aiomas.subproc container (prints nothing)."""
    return [sys.executable, "-B", PY_CONTAINER, "--codec", codec,
            "--clock", clock, "--start-date", START, *tls_args(certs),
            "127.0.0.1:%d" % port]


def parse_tls_flag():
    """Takes ``--tls`` off the command line."""
    if "--tls" in sys.argv[1:]:
        sys.argv.remove("--tls")
        return True
    return False


__all__ = ["ic", "ri"]
