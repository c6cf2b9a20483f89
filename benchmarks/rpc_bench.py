#!/usr/bin/env python3
"""Python anchor for benchmarks/rpc_bench.cpp: RPC round trips and throughput
of aiomas 2.0.1 itself (aiomas.rpc over TCP, JSON codec, add(a, b) on small
ints). Server and client are separate processes, like the C++ side:

    .venv/bin/python benchmarks/rpc_bench.py --serve 127.0.0.1:0
    .venv/bin/python benchmarks/rpc_bench.py --client 127.0.0.1:PORT ...

--inproc instead runs the server in the client's own process and loop.
The client keeps --inflight calls outstanding per connection: one coroutine
per slot calls, awaits the reply and calls again, so each reply is followed
by the next call. --inflight 1 on one connection is the sequential case. All
connections share one asyncio loop (asyncio.run), as an aiomas program would.
Latency: time.perf_counter from just before the call to just after its await.
benchmarks/run_rpc_bench runs it next to the C++ side (docs/benchmarks.md).
"""

import argparse
import asyncio
import ctypes
import signal
import sys
import time

import aiomas


class Bench:
    """The served object: one exposed function, like rpc_bench.cpp's."""
    router = aiomas.rpc.Service()

    @aiomas.expose
    def add(self, a, b):
        return a + b


def parse_addr(text):
    host, sep, port = text.rpartition(':')
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError('expected HOST:PORT')
    return host.strip('[]'), int(port)


async def serve(addr):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    server = await aiomas.rpc.start_server(addr, Bench())
    host, port = server.sockets[0].getsockname()[:2]
    print('listening on %s:%d' % (host, port))
    print('ready', flush=True)
    await stop
    server.close()
    await server.wait_closed()


async def run_phase(conns, inflight, calls, duration, record):
    """Runs `calls` calls in all (at most `duration` s); returns
    (seconds, completed calls, latencies in us)."""
    per_conn = max(1, calls // len(conns))
    latencies = []
    done = [0]
    t0 = time.perf_counter()
    deadline = t0 + duration

    async def worker(remote, quota):
        while quota > 0 and time.perf_counter() < deadline:
            quota -= 1
            s = time.perf_counter()
            res = await remote.add(1, 2)
            e = time.perf_counter()
            if res != 3:
                raise RuntimeError('wrong result %r' % (res,))
            if record:
                latencies.append((e - s) * 1e6)
            done[0] += 1

    tasks = []
    for conn in conns:
        # Split the connection's quota over its slots.
        share, extra = divmod(per_conn, inflight)
        for k in range(inflight):
            quota = share + (1 if k < extra else 0)
            if quota > 0:
                tasks.append(worker(conn.remote, quota))
    await asyncio.gather(*tasks)
    return time.perf_counter() - t0, done[0], latencies


async def client(args):
    server = None
    addr = args.client
    if args.inproc:
        server = await aiomas.rpc.start_server(('127.0.0.1', 0), Bench())
        addr = server.sockets[0].getsockname()[:2]
    conns = [await aiomas.rpc.open_connection(addr, timeout=5)
             for _ in range(args.connections)]
    if args.warmup > 0:
        await run_phase(conns, args.inflight, args.warmup, args.duration, False)
    seconds, calls, lat = await run_phase(conns, args.inflight, args.calls,
                                          args.duration, True)
    for conn in conns:
        await conn.close()
    if server is not None:
        server.close()
        await server.wait_closed()
    lat.sort()

    def pct(p):
        return lat[int(p * (len(lat) - 1))]

    rate = calls / seconds
    label = args.label or '%dx%d' % (args.connections, args.inflight)
    if args.tsv:
        print('%s\t%d\t%d\t%d\t%.3f\t%.0f\t%.1f\t%.1f'
              % (label, args.connections, args.inflight, calls, seconds, rate,
                 pct(0.5), pct(0.99)))
    else:
        print('%d connection(s) x %d in flight: %d calls in %.3f s = %.0f '
              'calls/s; latency p50 %.1f us, p99 %.1f us'
              % (args.connections, args.inflight, calls, seconds, rate,
                 pct(0.5), pct(0.99)))


def main():
    p = argparse.ArgumentParser(
        description='aiomas RPC round trips and throughput over TCP (JSON '
                    'codec, add(a, b) on small ints); the anchor of '
                    'rpc_bench.cpp, with the same options and output.')
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument('--serve', type=parse_addr, metavar='HOST:PORT',
                      help='serve add(a, b) (port 0 picks one); prints '
                           '"listening on HOST:PORT" and "ready"; runs until '
                           'SIGTERM/SIGINT or until its parent exits')
    mode.add_argument('--client', type=parse_addr, metavar='HOST:PORT',
                      help='connect and measure one case')
    mode.add_argument('--inproc', action='store_true',
                      help='like --client, but against a server in the same '
                           'process and asyncio loop on 127.0.0.1:0 (no '
                           'process boundary: aiomas at its fastest)')
    p.add_argument('--connections', type=int, default=1, metavar='C',
                   help='connections (default 1)')
    p.add_argument('--inflight', type=int, default=1, metavar='K',
                   help='calls outstanding per connection (default 1)')
    p.add_argument('--calls', type=int, default=20000, metavar='N',
                   help='timed calls in all (default 20000)')
    p.add_argument('--duration', type=float, default=5.0, metavar='S',
                   help='or stop issuing after S seconds (default 5)')
    p.add_argument('--warmup', type=int, default=2000, metavar='N',
                   help='untimed calls first (default 2000)')
    p.add_argument('--label', default='', help='first column of --tsv')
    p.add_argument('--threads', type=int, default=0,
                   help='ignored (rpc_bench.cpp compatibility)')
    p.add_argument('--tsv', action='store_true',
                   help='machine-readable line: label connections inflight '
                        'calls seconds calls_per_s p50_us p99_us')
    args = p.parse_args()
    if args.connections < 1 or args.inflight < 1 or args.calls < 1:
        p.error('--connections, --inflight and --calls must be positive')
    if args.serve:
        try:  # a server started by a script must not outlive it
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        asyncio.run(serve(args.serve))
    else:
        asyncio.run(client(args))


if __name__ == '__main__':
    sys.exit(main())
