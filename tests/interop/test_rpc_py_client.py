"""Python aiomas 2.0.1 clients against the C++ RPC servers (examples
rpc_math_server and rpc_callback_server), for one codec over TCP 127.0.0.1,
TCP ::1 (when the machine has it), a Unix socket and TLS:

- calls: nested paths, kwargs, rich values, the docs' failure (text and
  origin), unknown paths, payloads of a few MB, 150 concurrent calls;
- bi-directional RPC: a Python client passes its service (and
  sub-services) and rpc_callback_server calls it back;
- garbage from one client closes that connection only;
- TLS: certificates from an unrelated CA are refused in both directions.

usage: test_rpc_py_client.py --codec NAME --math_server PATH
                             --callback_server PATH [unittest args]
"""

import asyncio
import ssl
import sys

import interop_common as ic

ic.require_peers("aiomas")
ic.quiet()

import rpc_interop as ri  # noqa: E402

CODEC = ri.parse_codec_arg()
ARGS = ic.parse_args("math_server", "callback_server")

import unittest  # noqa: E402

import aiomas  # noqa: E402

CODEC_CLASS = ri.codec_class(CODEC)
IS_JSON = CODEC == "json"
# Pure-Python msgpack 0.6.2 is slow: smaller payloads there.
BIG = 3 * 1024 * 1024 if IS_JSON else 1024 * 1024

RICH = ri.rich_values(CODEC)


def connect(addr, ctx=None, **kw):
    extra = {"ssl": ctx} if ctx is not None else {}
    return aiomas.rpc.open_connection(addr, codec=CODEC_CLASS, **extra, **kw)


class Base(unittest.TestCase):
    server_path = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = ri.TempDir()
        cls.certs = ri.Certs(cls.tmp.path)
        cls.servers = {}
        try:
            for t in ri.transports(cls.tmp.path):
                cls.servers[t.name] = (t, ri.cpp_server(
                    getattr(ARGS, cls.server_path), t, CODEC, cls.certs))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for _, srv in cls.servers.values():
            srv.stop()
            srv.__exit__(None, None, None)
        cls.tmp.close()

    def ctx(self, t):
        return self.certs.client_context() if t.tls else None

    def each_transport(self, coro_fn, timeout=60):
        for name, (t, srv) in self.servers.items():
            with self.subTest(transport=name):
                try:
                    ri.run_async(coro_fn(t, srv), timeout)
                except AssertionError:
                    raise
                except BaseException as e:
                    raise AssertionError("%s: %r\nserver: %s"
                                         % (name, e, srv.describe())) from e
                self.assertIsNone(srv.p.poll(), srv.describe())


# -- rpc_math_server ----------------------------------------------------------


class MathServer(Base):
    server_path = "math_server"

    def test_nested_paths_and_kwargs(self):
        async def run(t, srv):
            con = await connect(srv.addr, self.ctx(t))
            try:
                r = con.remote
                self.assertEqual(await r.addition.add(3, 4), 7)
                self.assertEqual(await r.subtraction.sub(10, 4), 6)
                self.assertEqual(await r.addition.add(a=1.5, b=2), 3.5)
                self.assertEqual(await r.subtraction.sub(5, b=7), -2)
                self.assertEqual(await r.addition.add(b=-1, a=2 ** 62), 2 ** 62 - 1)
                self.assertEqual(await r.echo(x="kw"), "kw")
                # Python's own TypeErrors for bad argument lists.
                with self.assertRaises(aiomas.RemoteException) as cm:
                    await r.addition.add(1)
                self.assertIn("missing 1 required positional argument: 'b'",
                              cm.exception.remote_traceback)
                with self.assertRaises(aiomas.RemoteException) as cm:
                    await r.addition.add(1, 2, c=3)
                self.assertIn("unexpected keyword argument 'c'",
                              cm.exception.remote_traceback)
            finally:
                await con.close()
        self.each_transport(run)

    def test_echo_rich_values(self):
        async def run(t, srv):
            con = await connect(srv.addr, self.ctx(t))
            try:
                for value in RICH:
                    got = await con.remote.echo(value)
                    self.assertTrue(ic.same_value(value, got),
                                    "sent %r got %r" % (value, got))
            finally:
                await con.close()
        self.each_transport(run)

    def test_failure_text_and_origin(self):
        async def run(t, srv):
            con = await connect(srv.addr, self.ctx(t))
            try:
                with self.assertRaises(aiomas.RemoteException) as cm:
                    await con.remote.fail_badly()
                exc = cm.exception
                self.assertTrue(exc.remote_traceback.rstrip("\n").endswith(
                    'ValueError: "spam" is not a number'),
                    exc.remote_traceback)
                self.assertEqual(exc.origin,
                                 ri.origin_seen_by_python(srv.addr))
                self.assertTrue(str(exc).startswith(
                    "Origin: %s\n" % (exc.origin,)), str(exc))
                for path, text in (
                        (con.remote.nope,
                         'LookupError: Name "nope" not found in ""'),
                        (con.remote.addition.nope,
                         'LookupError: Name "nope" not found in "addition"'),
                        (con.remote.nope.deeper,
                         'LookupError: Name "nope" not found in ""')):
                    with self.assertRaises(aiomas.RemoteException) as cm:
                        await path()
                    self.assertEqual(cm.exception.remote_traceback.rstrip(
                        "\n").splitlines()[-1], text)
                # The connection survives failures.
                self.assertEqual(await con.remote.addition.add(1, 1), 2)
            finally:
                await con.close()
        self.each_transport(run)

    def test_big_payloads(self):
        async def run(t, srv):
            con = await connect(srv.addr, self.ctx(t))
            try:
                big = ri.pattern(BIG)
                self.assertEqual(await con.remote.echo(big), big)
                # Several big replies queued at once (write buffering).
                part = ri.pattern(BIG // 4)
                res = await asyncio.gather(
                    *[con.remote.echo(part) for _ in range(8)])
                self.assertEqual(res, [part] * 8)
                many = list(range(20000))
                self.assertTrue(ic.same_value(await con.remote.echo(many),
                                              many))
                if not IS_JSON:
                    blob = bytes(range(256)) * (BIG // 256)
                    self.assertEqual(await con.remote.echo(blob), blob)
            finally:
                await con.close()
        self.each_transport(run, timeout=90)

    def test_150_concurrent_calls(self):
        async def run(t, srv):
            con = await connect(srv.addr, self.ctx(t))
            try:
                r = con.remote
                res = await asyncio.gather(
                    *[r.addition.add(i, i) for i in range(150)])
                self.assertEqual(res, [2 * i for i in range(150)])
                # Mixed: results, failures and lookups interleaved.
                calls = []
                for i in range(150):
                    if i % 3 == 0:
                        calls.append(r.subtraction.sub(i, 1))
                    elif i % 3 == 1:
                        calls.append(r.echo("s%d" % i))
                    else:
                        calls.append(r.fail_badly())
                res = await asyncio.gather(*calls, return_exceptions=True)
                for i, x in enumerate(res):
                    if i % 3 == 0:
                        self.assertEqual(x, i - 1)
                    elif i % 3 == 1:
                        self.assertEqual(x, "s%d" % i)
                    else:
                        self.assertIsInstance(x, aiomas.RemoteException)
                        self.assertIn('"spam" is not a number',
                                      x.remote_traceback)
            finally:
                await con.close()
        self.each_transport(run)

    def test_garbage_closes_only_that_connection(self):
        codec = CODEC_CLASS()
        garbage = [
            ("bad payload", b"\x00\x00\x00\x05hello"),
            ("bad payload 2", ic.frame(b"\xc1\xc1\xc1")),
            ("oversize header", b"\xff\xff\xff\xff" + b"\x00" * 16),
            ("bad message type", ic.frame(codec.encode((7, 0, None)))),
            ("reply to unknown id", ic.frame(codec.encode((1, 99, None)))),
            ("not a triple", ic.frame(codec.encode((0, 0)))),
        ]

        async def raw_connection(t, addr):
            ctx = self.ctx(t)
            if isinstance(addr, str):
                return await asyncio.open_unix_connection(addr)
            return await asyncio.open_connection(
                addr[0], addr[1], ssl=ctx,
                server_hostname=addr[0] if ctx else None)

        async def run(t, srv):
            good = await connect(srv.addr, self.ctx(t))
            try:
                self.assertEqual(await good.remote.addition.add(1, 2), 3)
                for what, data in garbage:
                    reader, writer = await raw_connection(t, srv.addr)
                    writer.write(data)
                    await writer.drain()
                    try:
                        rest = await asyncio.wait_for(reader.read(), 10)
                    except (ConnectionError, ssl.SSLError):
                        rest = b""
                    except asyncio.TimeoutError:
                        self.fail("%s: the server kept the connection open"
                                  % what)
                    self.assertEqual(rest, b"", what)
                    writer.close()
                    self.assertEqual(await good.remote.addition.add(2, 3), 5,
                                     what)
                if t.tls:
                    # Plain bytes to the TLS server: that connection only.
                    addr = srv.addr
                    reader, writer = await asyncio.open_connection(*addr)
                    writer.write(b"\x00\x00\x00\x05hello" * 4)
                    try:
                        await asyncio.wait_for(reader.read(), 10)
                    except ConnectionError:
                        pass
                    writer.close()
                    self.assertEqual(await good.remote.addition.add(2, 2), 4)
            finally:
                await good.close()
        self.each_transport(run)

    def test_tls_other_ca_is_refused(self):
        t, srv = self.servers["tls"]

        async def attempt(ctx):
            try:
                con = await connect(srv.addr, ctx)
            except ri.ssl_errors() as e:
                return "connect", e
            try:
                # TLS 1.2: the handshake fails before open_connection returns
                # in practice; a first call must fail at the latest.
                await asyncio.wait_for(con.remote.addition.add(1, 2), 10)
            except (ConnectionError, ssl.SSLError, OSError) as e:
                return "call", e
            finally:
                await con.close()
            return None, None

        async def run():
            # Our client certificate comes from the other CA: the C++ server
            # must refuse it.
            where, err = await attempt(self.certs.client_context(
                ca="ca.pem", cert="other-client.pem", key="other-client.key"))
            self.assertIsNotNone(where, "C++ server accepted other-client")
            sys.stderr.write("python client with other-client cert: "
                             "refused at %s: %r\n" % (where, err))
            # We trust only the other CA: the C++ server's cert is refused by
            # Python.
            where, err = await attempt(self.certs.client_context(
                ca="other-ca.pem"))
            self.assertEqual(where, "connect")
            self.assertIsInstance(err, ssl.SSLCertVerificationError)
            # The server still serves good clients.
            con = await connect(srv.addr, self.certs.client_context())
            try:
                self.assertEqual(await con.remote.addition.add(20, 22), 42)
            finally:
                await con.close()
        ri.run_async(run(), 30)
        self.assertIsNone(srv.p.poll(), srv.describe())


# -- rpc_callback_server ------------------------------------------------------


class Client:
    """The docs' client, with sub-services that answer differently."""
    router = aiomas.rpc.Service(["sub", "many", "failing", "hanging"])

    def __init__(self, name):
        self.name = name
        self.sub = Named("sub of " + name)
        self.many = aiomas.rpc.ServiceDict(
            {"c%d" % i: Named("client %d" % i, delay=(20 - i) * 0.005)
             for i in range(20)})
        self.failing = Failing()
        self.hanging = Hanging()

    @aiomas.expose
    def get_client_name(self):
        return self.name


class Named:
    router = aiomas.rpc.Service()

    def __init__(self, name, delay=0.0):
        self.name = name
        self.delay = delay

    @aiomas.expose
    async def get_client_name(self):
        await asyncio.sleep(self.delay)
        return self.name


class Failing:
    router = aiomas.rpc.Service()

    @aiomas.expose
    def get_client_name(self):
        raise ValueError("no name for you")


class Hanging:
    router = aiomas.rpc.Service()

    @aiomas.expose
    async def get_client_name(self):
        await asyncio.sleep(3600)


class CallbackServer(Base):
    server_path = "callback_server"

    def test_help(self):
        for path in (ARGS.callback_server, ARGS.math_server):
            res = ic.run([path, "--help"], timeout=10)
            self.assertEqual(res.rc, 0, res.describe())
            self.assertIn(b"--addr", res.out)
            self.assertIn(b"--tls", res.out)

    def test_docs_example(self):
        async def run(t, srv):
            client = Client("Monty")
            con = await connect(srv.addr, self.ctx(t), rpc_service=client)
            try:
                self.assertEqual(await con.remote.server_method(client),
                                 'Client name is "Monty"')
                self.assertEqual(await con.remote.server_method(client.sub),
                                 'Client name is "sub of Monty"')
            finally:
                await con.close()
        self.each_transport(run)

    def test_unicode_name(self):
        async def run(t, srv):
            client = Client('Zo\u00eb "\u2713" \U0001d11e')
            con = await connect(srv.addr, self.ctx(t), rpc_service=client)
            try:
                self.assertEqual(await con.remote.server_method(client),
                                 'Client name is "Zo\u00eb "\u2713" '
                                 '\U0001d11e"')
            finally:
                await con.close()
        self.each_transport(run)

    def test_concurrent_callbacks(self):
        async def run(t, srv):
            client = Client("root")
            con = await connect(srv.addr, self.ctx(t), rpc_service=client)
            try:
                services = [client.many.dict["c%d" % i] for i in range(20)]
                res = await asyncio.gather(
                    *[con.remote.server_method(s) for s in services])
                self.assertEqual(res, ['Client name is "client %d"' % i
                                       for i in range(20)])
            finally:
                await con.close()
        self.each_transport(run)

    def test_failing_callback(self):
        async def run(t, srv):
            client = Client("root")
            con = await connect(srv.addr, self.ctx(t), rpc_service=client)
            try:
                with self.assertRaises(aiomas.RemoteException) as cm:
                    await con.remote.server_method(client.failing)
                text = cm.exception.remote_traceback
                self.assertIn("ValueError: no name for you", text)
                self.assertIn("RemoteException", text)
                # The server reports our address as Python's peername, like
                # str(RemoteException) does: "Origin: <peername>".
                me = con.channel.get_extra_info("sockname")
                self.assertIn("Origin: %s\n" % (me,), text)
                # Not a service reference at all.
                with self.assertRaises(aiomas.RemoteException) as cm:
                    await con.remote.server_method(42)
                self.assertIn("TypeError", cm.exception.remote_traceback)
                self.assertEqual(await con.remote.server_method(client),
                                 'Client name is "root"')
            finally:
                await con.close()
        self.each_transport(run)

    def test_client_leaves_during_callback(self):
        async def run(t, srv):
            client = Client("root")
            con = await connect(srv.addr, self.ctx(t), rpc_service=client)
            pending = asyncio.ensure_future(
                con.remote.server_method(client.hanging))
            await asyncio.sleep(0.2)  # the server calls us back meanwhile
            self.assertFalse(pending.done())
            await con.close()
            try:
                await asyncio.wait_for(pending, 10)
                self.fail("server_method answered")
            except (ConnectionError, asyncio.CancelledError):
                pass
            # The server goes on serving.
            con = await connect(srv.addr, self.ctx(t), rpc_service=client)
            try:
                self.assertEqual(await con.remote.server_method(client),
                                 'Client name is "root"')
            finally:
                await con.close()
        self.each_transport(run)

    def test_more_pending_callbacks_than_max_incoming_requests(self):
        # Each server_method is answered only after our reply to its
        # callback arrives on the same connection. With more such calls in
        # flight than channel::options::max_incoming_requests (1024), a
        # server that stops reading to bound its incoming requests can no
        # longer read the replies that would complete them: a deadlock.
        # aiomas itself has no such bound.
        t, srv = self.servers["tcp4"]
        n = 1500

        async def run():
            client = Client("many")
            con = await connect(srv.addr, rpc_service=client)
            try:
                res = await asyncio.wait_for(asyncio.gather(
                    *[con.remote.server_method(client) for _ in range(n)]),
                    15)
                self.assertEqual(res, ['Client name is "many"'] * n)
            except asyncio.TimeoutError:
                self.fail("%d concurrent server_method calls did not finish "
                          "within 15 s (deadlock?)" % n)
            finally:
                await con.close()
        ri.run_async(run(), 30)
        self.assertIsNone(srv.p.poll(), srv.describe())


if __name__ == "__main__":
    ic.main()
