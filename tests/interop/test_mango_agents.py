"""Real Python mango agents (mango-agents from PyPI, on this venv's Python)
talk to build/bin/mango_echo_container over TCP with mango's JSON codec:
MangoMessage and ACL round trips with rich content, AgentAddress inside
content, a burst with none lost, the ticker on the real-time clock, a
message for an unknown aid and garbage frames that leave the connection
usable, and the distributed clock (a Python DistributedClockManager drives
the C++ DistributedClockAgent).

The C++ container answers each peer with the type ids its Python uses: run
under 3.10, 3.11, 3.12 and 3.13, the same script checks every table.

The other direction: build/bin/interop_mango_agent_probe (C++ agents in a
C++ container) talks to a real Python mango container (py_mango_echo.py, a
process of its own): rich content and ACL round trips, a burst, a peer that
restarts on the same port (the pool must notice the closed connection), and
a C++ DistributedClockManager driving mango's DistributedClockAgent. And
two Python mango peers of different Python versions on one C++ container
at once.

usage: test_mango_agents.py --container PATH --probe PATH [unittest args]
"""

import asyncio
import os
import socket
import struct
import subprocess
import sys

import interop_common as ic

ic.require_peers("mango")

import agents_interop as ai  # noqa: E402
import rpc_interop as ri  # noqa: E402

ARGS = ic.parse_args("container", "probe")

import unittest  # noqa: E402

import mango  # noqa: E402
from mango.messages.message import MangoMessage  # noqa: E402
from mango import (Agent, AgentAddress, DistributedClockManager,  # noqa: E402
                   ExternalClock, Performatives, activate, addr, create_acl,
                   create_tcp_container, sender_addr)

TIMEOUT = 30.0
INT64_MIN = -2 ** 63
INT64_MAX = 2 ** 63 - 1


class EchoContainer(ri.Proc):
    """mango_echo_container on a free port, once it printed 'ready'."""

    def __init__(self, clock="realtime"):
        self.port = ai.free_port()
        super().__init__([ARGS.container, "--addr", "127.0.0.1:%d" % self.port,
                          "--clock", clock, "--python-minor",
                          str(sys.version_info[1]),
                          # Python >= 3.12 mango waits in shutdown() until
                          # its peers closed their connections to it.
                          "--connection-ttl", "0.2"])
        self.expect(lambda s: s == "ready", TIMEOUT, "'ready'")

    def addr(self, aid):
        return addr(("127.0.0.1", self.port), aid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.p.terminate()
        rc = self.wait()
        self.join_output()
        assert rc == 0, "exit %s\n%s" % (rc, self.describe())


class Collector(Agent):
    """Keeps every (content, meta) and wakes whoever waits for a count."""

    def __init__(self):
        super().__init__()
        self.got = []
        self._waiters = []

    def handle_message(self, content, meta):
        self.got.append((content, meta))
        for n, fut in list(self._waiters):
            if len(self.got) >= n and not fut.done():
                fut.set_result(None)

    async def wait_for(self, n, timeout=TIMEOUT):
        if len(self.got) >= n:
            return
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((n, fut))
        await asyncio.wait_for(fut, timeout)


def rich_content(peer_addr):
    return {
        "unicode": "h\u00e9llo \u2603 \U0001f600 \"quoted\" \\ \n\t",
        "ints": [0, -1, INT64_MIN, INT64_MAX, 2 ** 53 + 1],
        "floats": [0.1, -2.5e-308, 1e300, 3.0],
        "nested": {"a": [1, [2, [3, {"b": None, "c": True, "d": False}]]]},
        "big": "x" * 100000,
        "empty": [[], {}, ""],
        "addr": peer_addr,
    }


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


class PythonMangoTalksToCpp(unittest.TestCase):
    def setUp(self):
        self.port = ai.free_port()

    def py_container(self, clock=None):
        return create_tcp_container(("127.0.0.1", self.port), clock=clock)

    def test_mango_message_round_trip_rich_content(self):
        with EchoContainer() as cpp:
            async def main():
                c = self.py_container()
                me = c.register(Collector(), "me")
                async with activate(c):
                    content = rich_content(cpp.addr("echo"))
                    ok = await me.send_message(content, cpp.addr("echo"),
                                               foo="bar")
                    self.assertTrue(ok)
                    await me.wait_for(1)
                got, meta = me.got[0]
                self.assertEqual(got, {**content, "addr": got["addr"]})
                self.assertIsInstance(got["addr"], AgentAddress)
                self.assertEqual(got["addr"].aid, "echo")
                self.assertEqual(tuple(got["addr"].protocol_addr),
                                 ("127.0.0.1", cpp.port))
                self.assertEqual(meta["sender_id"], "echo")
                self.assertEqual(meta["sender_addr"],
                                 ["127.0.0.1", cpp.port])
                self.assertEqual(meta["receiver_id"], "me")
                self.assertEqual(sender_addr(meta), cpp.addr("echo"))
            run(main())

    def test_acl_round_trip(self):
        with EchoContainer() as cpp:
            async def main():
                c = self.py_container()
                me = c.register(Collector(), "me")
                async with activate(c):
                    msg = create_acl(
                        {"ask": [1, 2.5, "drei"]},
                        receiver_addr=cpp.addr("echo"), sender_addr=me.addr,
                        acl_metadata={"performative": Performatives.request,
                                      "conversation_id": "conv-1",
                                      "reply_with": "rw-7",
                                      "ontology": "test"})
                    self.assertTrue(await me.send_message(msg,
                                                          cpp.addr("echo")))
                    await me.wait_for(1)
                content, meta = me.got[0]
                self.assertEqual(content, {"ask": [1, 2.5, "drei"]})
                self.assertEqual(meta["performative"], Performatives.inform)
                self.assertEqual(meta["conversation_id"], "conv-1")
                self.assertEqual(meta["in_reply_to"], "rw-7")
                self.assertEqual(meta["sender_id"], "echo")
                self.assertEqual(meta["receiver_id"], "me")
                self.assertEqual(list(meta["sender_addr"]),
                                 ["127.0.0.1", cpp.port])
            run(main())

    def test_burst_none_lost(self):
        n = 3000
        with EchoContainer() as cpp:
            async def main():
                c = self.py_container()
                me = c.register(Collector(), "me")
                async with activate(c):
                    for i in range(n):
                        self.assertTrue(await me.send_message(
                            {"i": i}, cpp.addr("echo")))
                    await me.wait_for(n, timeout=60)
                self.assertEqual(sorted(m[0]["i"] for m in me.got),
                                 list(range(n)))
            run(main())

    def test_mango_closes_its_pooled_connection(self):
        # mango's TTL (checked on its next send) closes the pooled
        # connection to the C++ container and opens another: both messages
        # must arrive, and the C++ side must not keep the old one.
        with EchoContainer() as cpp:
            async def main():
                c = create_tcp_container(("127.0.0.1", self.port),
                                         tcp_connection_ttl=0.1)
                me = c.register(Collector(), "me")
                async with activate(c):
                    self.assertTrue(await me.send_message("one",
                                                          cpp.addr("echo")))
                    await me.wait_for(1)
                    await asyncio.sleep(0.3)
                    self.assertTrue(await me.send_message("two",
                                                          cpp.addr("echo")))
                    await me.wait_for(2)
                self.assertEqual([m[0] for m in me.got], ["one", "two"])
            run(main())

    def test_ticker_on_the_realtime_clock(self):
        with EchoContainer() as cpp:
            async def main():
                c = self.py_container()
                me = c.register(Collector(), "me")
                async with activate(c):
                    await me.send_message({"subscribe": 0.2},
                                          cpp.addr("ticker"))
                    await me.wait_for(1)
                content, meta = me.got[0]
                self.assertEqual(list(content), ["tick"])
                self.assertIsInstance(content["tick"], float)
                self.assertEqual(meta["sender_id"], "ticker")
            run(main())

    def test_unknown_aid_and_garbage_keep_the_container_usable(self):
        with EchoContainer() as cpp:
            # Garbage on one raw connection, then a good frame on it.
            with socket.create_connection(("127.0.0.1", cpp.port)) as s:
                for payload in [b"{not json", b'{"__type__": [4242, 1]}',
                                b'{"no": "envelope"}']:
                    s.sendall(struct.pack("!L", len(payload)) + payload)

                async def main():
                    c = self.py_container()
                    me = c.register(Collector(), "me")
                    async with activate(c):
                        self.assertTrue(await me.send_message(
                            "lost", cpp.addr("nobody")))
                        codec = mango.JSON()
                        good = codec.encode(MangoMessage(
                            "via raw", {"sender_id": "me",
                                        "sender_addr": ["127.0.0.1",
                                                        self.port],
                                        "receiver_id": "echo"}))
                        s.sendall(struct.pack("!L", len(good)) + good)
                        await me.wait_for(1)
                        self.assertTrue(await me.send_message(
                            "still here", cpp.addr("echo")))
                        await me.wait_for(2)
                    self.assertEqual([m[0] for m in me.got],
                                     ["via raw", "still here"])
                run(main())
            text = "".join(cpp.err)
            self.assertIn("Received a message for an unknown receiver;nobody",
                          text)
            self.assertIn("invalid JSON", text)
            self.assertIn("unknown type id 4242", text)

    def test_distributed_clock_python_manager_drives_cpp(self):
        with EchoContainer(clock="external") as cpp:
            async def main():
                clock = ExternalClock(start_time=0)
                c = self.py_container(clock=clock)
                me = c.register(Collector(), "me")
                manager = c.register(DistributedClockManager(
                    receiver_clock_addresses=[cpp.addr("clock_agent")]),
                    "clock_manager")
                async with activate(c):
                    # A tick due at C++ clock time 5.
                    await me.send_message({"subscribe": 5},
                                          cpp.addr("ticker"))
                    await asyncio.sleep(0.2)
                    next_event = await manager.get_next_event()
                    self.assertEqual(next_event, 5)
                    clock.set_time(5)
                    next_event = await manager.distribute_time()
                    await me.wait_for(1)
                    self.assertEqual(me.got[0][0], {"tick": 5.0})
                    # Nothing scheduled any more: time stands still.
                    self.assertEqual(next_event, 5)
                    await manager.shutdown()
            run(main())


HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class PyEchoContainer(ri.Proc):
    """py_mango_echo.py (real Python mango) on a port, once 'ready'."""

    def __init__(self, port, clock="realtime"):
        self.port = port
        super().__init__([sys.executable, "-B",
                          os.path.join(HERE, "py_mango_echo.py"),
                          "--addr", "127.0.0.1:%d" % port, "--clock", clock])
        self.expect(lambda s: s == "ready", TIMEOUT, "'ready'")

    def stop(self, sig="term"):
        if sig == "kill":
            self.p.kill()
        else:
            self.p.terminate()
        rc = self.wait()
        self.join_output()
        return rc


class CppTalksToPythonMango(unittest.TestCase):
    def probe(self, scenario, peer_port):
        argv = [ARGS.probe, "--peer", "127.0.0.1:%d" % peer_port,
                "--scenario", scenario,
                "--python-minor", str(sys.version_info[1])]
        return ri.Proc(argv)

    def results(self, proc):
        rc = proc.wait(120)
        proc.join_output()
        self.assertEqual(rc, 0, proc.describe())
        return dict(line.split(": ", 1) for line in proc.out if ": " in line)

    def run_scenario(self, scenario, clock="realtime"):
        port = ai.free_port()
        peer = PyEchoContainer(port, clock)
        try:
            return self.results(self.probe(scenario, port))
        finally:
            peer.stop()

    def test_round_trip_rich_content(self):
        out = self.run_scenario("roundtrip")
        self.assertEqual(out["roundtrip"], "equal")
        self.assertEqual(out["sender"], "'echo'")
        self.assertEqual(out["learned"], "yes")

    def test_acl_round_trip(self):
        out = self.run_scenario("acl")
        self.assertEqual(out["acl"], "'question'")
        self.assertEqual(out["performative"], "inform")
        self.assertEqual(out["conversation_id"], "'c-9'")
        self.assertEqual(out["in_reply_to"], "'rw-1'")

    def test_burst_none_lost(self):
        self.assertEqual(self.run_scenario("burst")["burst"], "3000")

    def test_peer_restarts_on_the_same_port(self):
        port = ai.free_port()
        peer = PyEchoContainer(port)
        argv = [ARGS.probe, "--peer", "127.0.0.1:%d" % port,
                "--scenario", "reconnect",
                "--python-minor", str(sys.version_info[1])]
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            lines = []
            for raw in proc.stdout:
                lines.append(raw.decode().strip())
                if lines[-1].startswith("first: "):
                    break
            self.assertIn("first: echoed", lines)
            # The peer dies and comes back on the same port. mango would
            # keep sending into the dead pooled connection; the C++ pool
            # must notice it closed and connect to the new process.
            peer.stop("kill")
            peer = PyEchoContainer(port)
            out, err = proc.communicate(b"go\n", timeout=120)
            lines += out.decode().split("\n")
            self.assertIn("second: echoed", lines, err.decode()[-2000:])
            self.assertEqual(proc.returncode, 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            peer.stop()

    def test_join_example_talks_to_a_running_python_system(self):
        examples = os.path.join(os.path.dirname(ARGS.container),
                                "mango_examples")
        port = ai.free_port()
        peer = PyEchoContainer(port)
        try:
            run = ic.run([examples, "join", "--peer", "127.0.0.1:%d" % port,
                          "--python-minor", str(sys.version_info[1])])
        finally:
            peer.stop()
        self.assertEqual(run.rc, 0, run.describe())
        self.assertEqual(run.out.decode().strip(),
                         "listener got {'hello': 'from C++'} from 'echo'")

    def test_cpp_clock_manager_drives_mango_clock_agent(self):
        out = self.run_scenario("clock", clock="external")
        self.assertEqual(out["next_event"], "5.0")
        self.assertEqual(out["after_5"], "5.0")
        self.assertEqual(out["stop"], "none")


class ExternalSchedulingWithMangoBytes(unittest.TestCase):
    def test_step_takes_and_gives_what_mango_encodes(self):
        codec = mango.JSON()
        frames = [
            codec.encode(MangoMessage({"v": 1.5, "who": "sim"}, {
                "sender_id": "sim_agent", "sender_addr": "other_sim_eid",
                "receiver_id": "a"})),
            codec.encode(create_acl(
                "acl in", receiver_addr=addr("eid_cpp", "a"),
                sender_addr=addr("other_sim_eid", "sim_agent"),
                acl_metadata={"performative": Performatives.inform})),
            b"{garbage",
        ]
        run = ic.run([ARGS.probe, "--scenario", "ec", "--python-minor",
                      str(sys.version_info[1])],
                     stdin=b"".join(f.hex().encode() + b"\n" for f in frames))
        self.assertEqual(run.rc, 0, run.describe())
        lines = run.out.decode().splitlines()
        outs = [l.split(" ", 3)[1:] for l in lines if l.startswith("out: ")]
        self.assertEqual(len(outs), 3, lines)
        decoded = [codec.decode(bytes.fromhex(h)) for _, _, h in outs]
        # Step 1.0: both inputs answered, at times >= 1.0; step 5.0: the task.
        self.assertEqual([m.content for m in decoded],
                         ["reply:{'v': 1.5, 'who': 'sim'}", "reply:'acl in'",
                          "at 5"])
        for (t, receiver, _), m in zip(outs, decoded):
            self.assertEqual(receiver, "'other_sim_eid'")
            self.assertEqual(m.meta["sender_addr"], "eid_cpp")
            self.assertEqual(m.meta["receiver_addr"], "other_sim_eid")
            self.assertEqual(m.meta["receiver_id"], "remote")
        self.assertGreaterEqual(float(outs[0][0]), 1.0)
        self.assertGreaterEqual(float(outs[2][0]), 5.0)
        self.assertIn("next: 5.0", lines)
        self.assertIn("next: None", lines)
        self.assertIn("malformed: 1", lines)


class TwoPythonVersionsAtOnce(unittest.TestCase):
    def test_peers_on_two_pythons_share_one_container(self):
        other = [m for m in (10, 11, 12, 13) if m != sys.version_info[1]][-1]
        other_py = os.path.join(ROOT, ".venv-mango3%d" % other, "bin",
                                "python")
        self.assertTrue(os.path.exists(other_py),
                        "%s missing: run scripts/setup" % other_py)
        with EchoContainer() as cpp:
            argv = ["-B", os.path.join(HERE, "py_mango_sender.py"),
                    "--target", "127.0.0.1:%d" % cpp.port, "--count", "500"]
            procs = [subprocess.Popen([py] + argv, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
                     for py in (sys.executable, other_py)]
            outs = [p.communicate(timeout=120) for p in procs]
        for (out, err), p in zip(outs, procs):
            self.assertEqual(out.decode().strip(), "echoed 500",
                             err.decode()[-2000:])
            self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    ic.main()
