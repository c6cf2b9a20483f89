#!/usr/bin/env python3
"""Python anchor for benchmarks/agent_bench.cpp --client: agent calls of
aiomas 2.0.1 itself across two processes (TCP, JSON codec).

    .venv-aiomas/bin/python benchmarks/agent_bench.py --serve 127.0.0.1:0
    .venv-aiomas/bin/python benchmarks/agent_bench.py \
        --client tcp://127.0.0.1:PORT/0 --spawn __main__:Callee ...

--serve runs an aiomas container with aiomas.subproc's Manager (aid 0), like
the seed's container.py and build/bin/mas_container; Callee(word='spam')
(spam(times) -> word * times) is spawnable as __main__:Callee.
--client runs a master agent in a container of its own (127.0.0.1:0): it
asks the Manager to spawn a Callee, connects to it (container.connect) and
calls spam(1): --inflight coroutines of the master agent, each awaiting its
call and calling again (--inflight 1 is the sequential case). Latency:
time.perf_counter from just before the call to just after its await.
--local is the anchor of agent_bench --inproc's expose cases: the master
agent and a Callee in one container, the master connecting to the Callee's
address (aiomas connects to its own server over TCP, as libmas does).
benchmarks/run_agent_bench runs it next to the C++ side (docs/benchmarks.md).
"""

import argparse
import asyncio
import ctypes
import signal
import socket
import sys
import time

import aiomas
import aiomas.subproc


class Callee(aiomas.Agent):
    """The seed's Callee, as build/bin/mas_container offers it."""

    def __init__(self, container, word='spam'):
        super().__init__(container)
        self.word = word

    @aiomas.expose
    def spam(self, times):
        return self.word * times


class Master(aiomas.Agent):
    """The caller: spawns a Callee through a Manager and calls it."""

    async def setup(self, manager_url, qualname):
        manager = await self.container.connect(manager_url, timeout=5)
        _, addr = await manager.spawn(qualname)
        self.callee = await self.container.connect(addr, timeout=5)

    async def setup_local(self):
        callee = Callee(self.container)
        self.callee = await self.container.connect(callee.addr, timeout=5)

    async def run_phase(self, inflight, calls, duration, record):
        """Runs `calls` calls in all (at most `duration` s); returns
        (seconds, completed calls, latencies in us)."""
        latencies = []
        done = [0]
        t0 = time.perf_counter()
        deadline = t0 + duration
        callee = self.callee

        async def worker(quota):
            while quota > 0 and time.perf_counter() < deadline:
                quota -= 1
                s = time.perf_counter()
                res = await callee.spam(1)
                e = time.perf_counter()
                if not isinstance(res, str):
                    raise RuntimeError('unexpected result %r' % (res,))
                if record:
                    latencies.append((e - s) * 1e6)
                done[0] += 1

        share, extra = divmod(calls, inflight)
        tasks = [worker(share + (1 if k < extra else 0))
                 for k in range(inflight) if share + (1 if k < extra else 0)]
        await asyncio.gather(*tasks)
        return time.perf_counter() - t0, done[0], latencies


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
    if addr[1] == 0:
        # aiomas takes its agents' addresses from `addr` as given: bind a
        # real port (free now; a race with another program is unlikely).
        with socket.socket() as s:
            s.bind((addr[0], 0))
            addr = (addr[0], s.getsockname()[1])
    container = await aiomas.Container.create(addr, as_coro=True)
    manager = aiomas.subproc.Manager(container)
    print('listening on %s' % manager.addr.rsplit('/', 1)[0][len('tcp://'):])
    print('manager %s' % manager.addr)
    print('ready', flush=True)
    await asyncio.wait([stop, manager.stop_received],
                       return_when=asyncio.FIRST_COMPLETED)
    await container.shutdown(as_coro=True)


def free_addr():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return ('127.0.0.1', s.getsockname()[1])


async def client(args):
    # --local: the callee lives here, so this container needs a real port.
    addr = free_addr() if args.local else ('127.0.0.1', 0)
    container = await aiomas.Container.create(addr, as_coro=True)
    master = Master(container)
    if args.local:
        await master.setup_local()
    else:
        await master.setup(args.client, args.spawn)
    if args.warmup > 0:
        await master.run_phase(args.inflight, args.warmup, args.duration,
                               False)
    seconds, calls, lat = await master.run_phase(args.inflight, args.calls,
                                                 args.duration, True)
    await container.shutdown(as_coro=True)
    lat.sort()

    def pct(p):
        return lat[int(p * (len(lat) - 1))]

    rate = calls / seconds
    label = args.label or '1x%d' % args.inflight
    if args.tsv:
        print('%s\t1\t%d\t%d\t%.3f\t%.0f\t%.1f\t%.1f'
              % (label, args.inflight, calls, seconds, rate, pct(0.5),
                 pct(0.99)))
    else:
        print('%d in flight: %d calls in %.3f s = %.0f calls/s; latency p50 '
              '%.1f us, p99 %.1f us'
              % (args.inflight, calls, seconds, rate, pct(0.5), pct(0.99)))


def main():
    p = argparse.ArgumentParser(
        description='aiomas agent calls across two processes (TCP, JSON '
                    'codec, Callee.spam(1)); the anchor of agent_bench.cpp '
                    '--client, with the same options and output.')
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument('--serve', type=parse_addr, metavar='HOST:PORT',
                      help='run a container with a Manager agent (port 0 '
                           'picks one); prints "listening on HOST:PORT", '
                           '"manager URL" and "ready"; runs until '
                           'SIGTERM/SIGINT, Manager.stop() or until its '
                           'parent exits')
    mode.add_argument('--client', metavar='URL',
                      help='the Manager to spawn a Callee with, e.g. '
                           'tcp://127.0.0.1:5555/0; measure one case')
    mode.add_argument('--local', action='store_true',
                      help='like --client, but the Callee is in the '
                           'master\'s own container (called through its '
                           'address, i.e. the container\'s own TCP server)')
    p.add_argument('--spawn', default='__main__:Callee', metavar='QUALNAME',
                   help='what the Manager spawns (default __main__:Callee; '
                        'mas_container: Callee)')
    p.add_argument('--inflight', type=int, default=1, metavar='K',
                   help='calls outstanding (default 1)')
    p.add_argument('--calls', type=int, default=20000, metavar='N',
                   help='timed calls (default 20000)')
    p.add_argument('--duration', type=float, default=5.0, metavar='S',
                   help='or stop issuing after S seconds (default 5)')
    p.add_argument('--warmup', type=int, default=2000, metavar='N',
                   help='untimed calls first (default 2000)')
    p.add_argument('--label', default='', help='first column of --tsv')
    p.add_argument('--tsv', action='store_true',
                   help='machine-readable line: label connections inflight '
                        'calls seconds calls_per_s p50_us p99_us')
    args = p.parse_args()
    if args.inflight < 1 or args.calls < 1:
        p.error('--inflight and --calls must be positive')
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
