"""An aiomas 2.0.1 RPC server for the interop tests (the C++ client side).

usage: aiomas_rpc_server.py (--addr HOST:PORT | --unix PATH)
                            [--codec json|msgpack|msgpack-blosc]
                            [--tls CA CERT KEY] [--garbage]

Prints "listening on <endpoint>" and "ready" once it listens, and
"slow-start <x>" whenever slow(x) begins. Exits on SIGTERM/SIGINT.

Service tree (aiomas Service classes and ServiceDicts):

    echo(x)                     x
    fail()                      raises ValueError('"spam" is not a number')
    kw(a, b=2, *, c=3)          [a, b, c]
    slow(x, delay=0.0)          x, after asyncio.sleep(delay)
    make_big(n)                 pattern(n) ('a'..'z' repeated)
    close_connection()          closes every client connection (the docs'
                                "How to handle connection losses")
    server_method(client)       the docs' bi-directional example
    callback_check(client, m)   calls the client back (root and sub-service)
    callback_many(client, n)    n concurrent client.math.mul(i, i) calls
    calc/add(a, b), calc/sub(a, b), calc/hidden (not exposed)
    tools/upper(s)              (ServiceDict)
    tools/deep/neg(x)           (nested ServiceDict)

With --garbage the server is no aiomas server at all: on odd connections
(1st, 3rd, ...) it answers the first request with garbage (a bad payload, a
header announcing 4 GiB, a reply to an unknown id, a bad message type, a
message that is no triple; in turn), on even ones with a proper echo reply.
"""

import argparse
import asyncio
import os
import signal
import struct
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

warnings.simplefilter("ignore", DeprecationWarning)
warnings.simplefilter("ignore", PendingDeprecationWarning)

import aiomas  # noqa: E402
import aiomas.codecs  # noqa: E402
import aiomas.util  # noqa: E402

CODECS = {"json": aiomas.codecs.JSON, "msgpack": aiomas.codecs.MsgPack,
          "msgpack-blosc": aiomas.codecs.MsgPackBlosc}


def pattern(n):
    base = "abcdefghijklmnopqrstuvwxyz"
    return (base * (n // 26 + 1))[:n]


# -- the service tree -------------------------------------------------------------


class Calc:
    router = aiomas.rpc.Service()

    @aiomas.expose
    def add(self, a, b):
        return a + b

    @aiomas.expose
    def sub(self, a, b):
        return a - b

    def hidden(self):
        return "never"


@aiomas.expose
def upper(s):
    return s.upper()


@aiomas.expose
def neg(x):
    return -x


class Root:
    router = aiomas.rpc.Service(["calc", "tools"])

    def __init__(self):
        self.calc = Calc()
        self.tools = aiomas.rpc.ServiceDict({
            "upper": upper,
            "deep": aiomas.rpc.ServiceDict({"neg": neg}),
        })
        self.clients = []

    def client_connected(self, client):
        """*client_connected_cb* of start_server."""
        self.clients.append(client)

    @aiomas.expose
    async def close_connection(self):
        while self.clients:
            await self.clients.pop().close()

    @aiomas.expose
    def echo(self, x):
        return x

    @aiomas.expose
    def fail(self):
        raise ValueError('"spam" is not a number')

    @aiomas.expose
    def kw(self, a, b=2, *, c=3):
        return [a, b, c]

    @aiomas.expose
    async def slow(self, x, delay=0.0):
        print("slow-start %s" % (x,), flush=True)
        await asyncio.sleep(delay)
        return x

    @aiomas.expose
    def make_big(self, n):
        return pattern(n)

    @aiomas.expose
    async def server_method(self, client_proxy):
        client_name = await client_proxy.get_client_name()
        return 'Client name is "%s"' % client_name

    @aiomas.expose
    async def callback_check(self, client, math):
        out = {"name": await client.get_client_name(),
               "mul": await math.mul(6, 7),
               "mul_kw": await client.math.mul(a=3, b=-5),
               "later": await client.later(41)}
        for key, call in (("fail", client.fail),
                          ("lookup", client.nope),
                          ("sub_lookup", math.nope),
                          ("type_error", lambda: math.mul(1))):
            try:
                await call()
                out[key] = None
            except aiomas.RemoteException as e:
                out[key] = {"origin": str(e.origin),
                            "text": e.remote_traceback}
        return out

    @aiomas.expose
    async def callback_many(self, client, n):
        return await asyncio.gather(
            *[client.math.mul(i, i) for i in range(n)])


# -- a garbage server -------------------------------------------------------------


GARBAGE_MODES = ("payload", "oversize", "unknown_id", "bad_type",
                 "not_triple")


class GarbageProtocol(asyncio.Protocol):
    """Odd connections (1st, 3rd, ...) get garbage for their first request,
    cycling through GARBAGE_MODES; even ones get a proper echo reply."""
    connections = 0

    def __init__(self, codec):
        self.codec = codec
        self.buf = b""

    def connection_made(self, transport):
        GarbageProtocol.connections += 1
        self.index = GarbageProtocol.connections
        self.transport = transport

    def frame(self, content):
        payload = self.codec.encode(content)
        return struct.pack("!L", len(payload)) + payload

    def data_received(self, data):
        self.buf += data
        while len(self.buf) >= 4:
            (n,) = struct.unpack("!L", self.buf[:4])
            if len(self.buf) < 4 + n:
                return
            payload, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
            _, msg_id, (path, args, kwargs) = self.codec.decode(payload)
            if self.index % 2 == 0:
                self.transport.write(self.frame((1, msg_id, args[0])))
                continue
            mode = GARBAGE_MODES[(self.index // 2) % len(GARBAGE_MODES)]
            print("garbage %s" % mode, flush=True)
            if mode == "payload":
                bad = b"\xc1hello"  # no codec accepts it
                self.transport.write(struct.pack("!L", len(bad)) + bad)
            elif mode == "oversize":
                self.transport.write(b"\xff\xff\xff\xff" + b"\x00" * 64)
            elif mode == "unknown_id":
                self.transport.write(self.frame((1, msg_id + 1000, None)))
            elif mode == "bad_type":
                self.transport.write(self.frame((7, msg_id, None)))
            else:
                self.transport.write(self.frame((1, msg_id)))


# -- main -------------------------------------------------------------------------


def endpoint_text(sock):
    name = sock.getsockname()
    if isinstance(name, str):
        return "unix:" + name
    host, port = name[:2]
    return ("[%s]:%d" % (host, port)) if ":" in host else "%s:%d" % (host,
                                                                    port)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr")
    ap.add_argument("--unix")
    ap.add_argument("--codec", default="json", choices=sorted(CODECS))
    ap.add_argument("--tls", nargs=3, metavar=("CA", "CERT", "KEY"))
    ap.add_argument("--garbage", action="store_true")
    args = ap.parse_args()
    if args.unix:
        addr = args.unix
    else:
        text = args.addr or "127.0.0.1:0"
        host, port = text.rsplit(":", 1)
        addr = (host.strip("[]"), int(port))
    kwds = {}
    if args.tls:
        kwds["ssl"] = aiomas.util.make_ssl_server_context(*args.tls)
    codec = CODECS[args.codec]
    loop = asyncio.get_running_loop()
    if args.garbage:
        def factory():
            return GarbageProtocol(codec())
        if isinstance(addr, str):
            server = await loop.create_unix_server(factory, addr, **kwds)
        else:
            server = await loop.create_server(factory, *addr, **kwds)
    else:
        root = Root()
        server = await aiomas.rpc.start_server(addr, root,
                                               root.client_connected,
                                               codec=codec, **kwds)
    print("listening on " + endpoint_text(server.sockets[0]), flush=True)
    print("ready", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
    # Open connections' tasks may still run; leave without waiting for them.
    sys.stdout.flush()
    os._exit(0)
