"""A real Python aiomas 2.0.1 master drives mas_container exactly as it
drives an aiomas.subproc container, for one codec (TCP, or TLS with
--tls): it connects to the Manager (tcp://127.0.0.1:PORT/0), spawns C++
agents by qualname (with kwargs), lets them call Python agents of the
master's container by address and through passed proxies, sets the
external clock, and checks aiomas's failure texts: set_time backwards or
on a real-time clock, unknown aid, unknown method, unknown agent type,
malformed agent URLs, dates in the past; stop() and SIGTERM end the
process with status 0, a container killed mid-call fails the call.

usage: test_agents_py_master.py --codec NAME --container PATH [--tls]
                                [unittest args]
"""

import asyncio
import signal

import interop_common as ic

ic.require_peers("aiomas")
ic.quiet()

import agents_interop as ai  # noqa: E402
import rpc_interop as ri  # noqa: E402

TLS = ai.parse_tls_flag()
CODEC = ri.parse_codec_arg()
ARGS = ic.parse_args("container")

import unittest  # noqa: E402

import aiomas  # noqa: E402
import arrow  # noqa: E402

import py_agents  # noqa: E402

CODEC_CLASS = ri.codec_class(CODEC)


class PyMaster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = ri.TempDir()
        cls.certs = ri.Certs(cls.tmp.path) if TLS else None

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def start(self, *extra):
        proc = ai.MasContainer(ARGS.container, CODEC, extra, self.certs)
        self.addCleanup(proc.__exit__, None, None, None)
        return proc

    def run_master(self, proc, body, timeout=60, peer_gone=False):
        """Runs ``body(master, mgr)`` in a fresh aiomas container connected
        to proc's Manager; the master is always shut down.

        With ``peer_gone``, the container process ended while connected:
        aiomas 2.0.1's ``Container.shutdown`` then awaits the reset
        connection's service task a second time (``RpcClient.close``) and
        raises ``RuntimeError('cannot reuse already awaited coroutine')``,
        a bug of the Python master, not of the peer; it is tolerated
        there."""
        async def main():
            port = ai.free_port()
            master = await aiomas.Container.create(
                ("127.0.0.1", port), codec=CODEC_CLASS,
                ssl=ai.ssl_certs(self.certs), as_coro=True)
            try:
                mgr = await master.connect(proc.base + "0", timeout=10)
                self.assertEqual(str(mgr),
                                 "ManagerProxy(%r)" % (proc.base + "0"))
                return await body(master, mgr)
            finally:
                try:
                    await master.shutdown(as_coro=True)
                except RuntimeError as e:
                    if not (peer_gone and "already awaited" in str(e)):
                        raise
        try:
            return ri.run_async(main(), timeout)
        except AssertionError:
            raise
        except BaseException as e:
            raise AssertionError("%r\ncontainer: %s" % (e, proc.describe()))

    async def remote_failure(self, aw):
        with self.assertRaises(aiomas.RemoteException) as cm:
            await aw
        return ai.last_line(cm.exception)

    # -- spawning and calling ---------------------------------------------------

    def test_callee_spawned_with_kwargs(self):
        proc = self.start()

        async def body(master, mgr):
            callee, addr = await mgr.spawn("mas:Callee", word="eggs")
            self.assertEqual(addr, proc.base + "1")
            self.assertEqual(await callee.spam(3), "eggseggseggs")
            self.assertEqual(await callee.spam(times=1), "eggs")
            # The default word, positional args.
            callee2, addr2 = await mgr.spawn("Callee")
            self.assertEqual(addr2, proc.base + "2")
            self.assertEqual(await callee2.spam(2), "spamspam")
            callee3, _ = await mgr.spawn("Callee", "ham")
            self.assertEqual(await callee3.spam(1), "ham")
            # A proxy by address (validate_aid answers the class name).
            by_addr = await master.connect(addr)
            self.assertEqual(str(by_addr), "CalleeProxy(%r)" % addr)
            self.assertEqual(await by_addr.spam(1), "eggs")
            # Unknown method, bad arguments.
            self.assertEqual(
                await self.remote_failure(callee.nope()),
                'LookupError: Name "nope" not found in "agents/1"')
            self.assertEqual(
                await self.remote_failure(callee.spam()),
                "TypeError: spam() missing 1 required positional argument: "
                "'times'")
            self.assertEqual(
                await self.remote_failure(mgr.spawn("Callee", "a", "b")),
                "TypeError: Callee() takes 3 positional arguments but 4 were "
                "given")
            self.assertEqual(
                await self.remote_failure(mgr.spawn("Callee", wort="x")),
                "TypeError: Callee() got an unexpected keyword argument "
                "'wort'")
            # An agent type the container does not know (aiomas would fail
            # importing the module: ModuleNotFoundError).
            text = await self.remote_failure(mgr.spawn("nope:Nope"))
            self.assertTrue(text.startswith(
                'AttributeError: no agent type "nope:Nope"'), text)
            # An unknown aid: aiomas's own connect fails.
            with self.assertRaises(ConnectionError) as cm:
                await master.connect(proc.base + "9")
            self.assertEqual(
                str(cm.exception),
                "Agent \"9\" does not exist in Container(('127.0.0.1', %d))"
                % proc.port)
            self.assertIsNone(await mgr.stop())
        self.run_master(proc, body)
        self.assertEqual(proc.wait(), 0, proc.describe())

    def test_cpp_caller_calls_python_callee_by_address(self):
        proc = self.start()

        async def body(master, mgr):
            py_callee = py_agents.Callee(master, word="ham")
            caller, _ = await mgr.spawn("mas:Caller")
            self.assertEqual(await caller.run(py_callee.addr), "hamhamham")
            # Twice: the C++ container reuses its connection.
            self.assertEqual(await caller.run(py_callee.addr), "hamhamham")
            # An aid the master's container does not have.
            missing = master._base_url + "9"
            text = await self.remote_failure(caller.run(missing))
            self.assertEqual(
                text, "ConnectionError: Agent \"9\" does not exist in "
                "Container(('127.0.0.1', %d))" % int(
                    master._base_url.rsplit(":", 1)[1].rstrip("/")))
            # Malformed agent URLs fail with aiomas's parse texts.
            for url, why in [
                    ("tcp://127.0.0.1/0",
                     "not enough values to unpack (expected 2, got 1)"),
                    ("tcp://127.0.0.1:5555/", "No agent ID specified."),
                    ("udp://h:1/0", "'udp' not in {'tcp', 'ipc', 'local'}"),
                    ("tcp://127.0.0.1:x/0",
                     "invalid literal for int() with base 10: 'x'")]:
                text = await self.remote_failure(caller.run(url))
                self.assertEqual(
                    text, 'ValueError: Cannot parse agent URL "%s": %s'
                    % (url, why))
            # Nobody listens there.
            text = await self.remote_failure(
                caller.run("tcp://127.0.0.1:%d/0" % ai.free_port()))
            self.assertTrue(text.startswith("ConnectionRefusedError")
                            or text.startswith("ConnectionError")
                            or text.startswith("OSError"), text)
            await mgr.stop()
        self.run_master(proc, body)
        self.assertEqual(proc.wait(), 0, proc.describe())

    def test_agents_passed_as_arguments(self):
        proc = self.start()

        async def body(master, mgr):
            py_pinger = py_agents.Pinger(master)
            relay, relay_addr = await mgr.spawn("Relay")
            # The master passes a Python agent; the C++ relay calls it.
            for x in [1, "x", [1, "two", None], {"a": 2.5}]:
                got = await relay.call_back(py_pinger, x)
                self.assertTrue(ic.same_value(got, ["pong", x]),
                                "sent %r got %r" % (x, got))
            # A Python agent passes itself to the C++ relay it connected to.
            got = await py_pinger.ask_relay(relay_addr, 42)
            self.assertTrue(ic.same_value(got, ["pong", 42]), got)
            # aiomas cannot pass a proxy back: it serializes services only.
            callee, _ = await mgr.spawn("Callee", word="x")
            with self.assertRaises(aiomas.exceptions.SerializationError):
                await relay.call_back(callee, 1)
            await mgr.stop()
        self.run_master(proc, body)
        self.assertEqual(proc.wait(), 0, proc.describe())

    # -- the external clock ---------------------------------------------------

    def test_sleeper_on_external_clock(self):
        proc = self.start("--clock", "external", "--start-date", ai.START)
        start = arrow.get(ai.START)

        async def pending(sleeper, call):
            """Starts call; returns once the sleeper has it (a later call to
            the same agent came back)."""
            fut = asyncio.ensure_future(call)
            await sleeper.time()
            self.assertFalse(fut.done())
            return fut

        async def body(master, mgr):
            sleeper, _ = await mgr.spawn("mas:Sleeper")
            self.assertEqual(await sleeper.time(), 0)
            self.assertEqual(await sleeper.utcnow(), start)
            fut = await pending(sleeper, sleeper.sleep(1.5))
            self.assertIsNone(await mgr.set_time(1.5))
            self.assertEqual(await fut, 1.5)
            fut = await pending(sleeper, sleeper.sleep_until(3))
            await mgr.set_time(3.0)
            self.assertEqual(await fut, 3)
            date = start.shift(seconds=4)
            fut = await pending(sleeper, sleeper.sleep_until(date))
            await mgr.set_time(4.25)
            self.assertEqual(await fut, 4.25)
            now = await sleeper.utcnow()
            self.assertIsInstance(now, arrow.Arrow)
            self.assertEqual(now, start.shift(seconds=4.25))
            # aiomas's ExternalClock keeps its start date in UTC.
            self.assertEqual(str(now),
                             str(start.to("UTC").shift(seconds=4.25)))
            # Failures with aiomas's texts.
            self.assertEqual(
                await self.remote_failure(sleeper.sleep_until(start)),
                'ValueError: Date "%s" is in the past' % start)
            self.assertEqual(
                await self.remote_failure(mgr.set_time(1.0)),
                "ValueError: Time must be > 4.25 but is 1.0")
            self.assertEqual(
                await self.remote_failure(mgr.set_time(4.25)),
                "ValueError: Time must be > 4.25 but is 4.25")
            self.assertEqual(
                await self.remote_failure(sleeper.sleep(-1.5)),
                "ValueError: dt must be > 0 but is -1.5")
            self.assertIsNone(await mgr.stop())
        self.run_master(proc, body)
        self.assertEqual(proc.wait(), 0, proc.describe())

    def test_set_time_on_realtime_clock(self):
        proc = self.start()

        async def body(master, mgr):
            self.assertEqual(
                await self.remote_failure(mgr.set_time(1.0)),
                "AttributeError: 'AsyncioClock' object has no attribute "
                "'set_time'")
        self.run_master(proc, body)
        proc.p.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(), 0, proc.describe())

    # -- the container process ends -------------------------------------------

    def test_sigterm_with_a_master_connected(self):
        proc = self.start("--clock", "external")

        async def body(master, mgr):
            callee, _ = await mgr.spawn("Callee")
            self.assertEqual(await callee.spam(1), "spam")
            proc.p.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(), 0, proc.describe())
            with self.assertRaises(ConnectionError):
                await callee.spam(1)
        self.run_master(proc, body, peer_gone=True)

    def test_container_killed_mid_call(self):
        proc = self.start("--clock", "external")

        async def body(master, mgr):
            sleeper, _ = await mgr.spawn("Sleeper")
            fut = asyncio.ensure_future(sleeper.sleep(100))
            await sleeper.time()
            proc.kill()
            with self.assertRaises(ConnectionResetError):
                await asyncio.wait_for(fut, 30)
        self.run_master(proc, body, peer_gone=True)
        self.assertEqual(proc.p.returncode, -signal.SIGKILL)


if __name__ == "__main__":
    ic.main()
