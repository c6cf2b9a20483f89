#!/usr/bin/env python3
"""Python anchor of benchmarks/mango_bench.cpp: the same two roles, command
line and output, written with real Python mango (mango-agents 2.4).

    .venv/bin/python benchmarks/mango_bench_peer.py receiver --addr 127.0.0.1:0
    .venv/bin/python benchmarks/mango_bench_peer.py sender \\
        --target 127.0.0.1:PORT --count 20000 --size 100

receiver: a TCP container at --addr (port 0: the OS picks one) with the
agents "sink" (counts messages; answers the content "report" with the count
so far, to sender_addr(meta), and does not count it) and "echo" (sends each
message's content back to its sender). Prints "listening on HOST:PORT" and
"ready"; exits 0 on SIGTERM or SIGINT (or when its parent exits). One
sender per receiver: the count is not per sender.

sender: a TCP container at 127.0.0.1:0 with one agent that sends --warmup
one-way messages (content: a string of --size characters) to sink, asks
for the count ("report", again every millisecond) until sink counted them,
sends --count more (timed from the first send to the reply that reports
them all), then makes --rtt-warmup and --round-trips sequential round trips
through echo (each from just before `await send_message` to just after the
reply's future resolved). Prints messages/s and p50/p99 latency in us.

benchmarks/run_mango_bench runs it next to the C++ side (docs/benchmarks.md).
"""

import argparse
import asyncio
import ctypes
import signal
import sys
import time

from mango import Agent, activate, addr, create_tcp_container, sender_addr


def host_port(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT, not %r" % text)
    return host, int(port)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="mango_bench_peer.py",
        usage="%(prog)s receiver --addr HOST:PORT\n"
              "       %(prog)s sender --target HOST:PORT [options]",
        description="One-way messages and round trips between Python mango "
                    "TCP containers (the anchor of build/bin/mango_bench).")
    p.add_argument("mode", choices=["receiver", "sender"])
    p.add_argument("--addr", type=host_port, help="receiver: where to listen")
    p.add_argument("--target", type=host_port, help="sender: the receiver")
    p.add_argument("--count", type=int, default=20000,
                   help="timed one-way messages (default 20000)")
    p.add_argument("--size", type=int, default=100,
                   help="characters of each content string (default 100)")
    p.add_argument("--warmup", type=int, default=1000,
                   help="untimed one-way messages first (default 1000)")
    p.add_argument("--round-trips", type=int, default=2000,
                   help="timed round trips (default 2000; 0: none)")
    p.add_argument("--rtt-warmup", type=int, default=200,
                   help="untimed round trips first (default 200)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="give up after this many seconds in all (exit 1)")
    p.add_argument("--tsv", action="store_true",
                   help="tab-separated lines: oneway COUNT SIZE SECONDS "
                        "MSGS_PER_S; rtt ROUND_TRIPS SIZE P50_US P99_US "
                        "MEAN_US")
    args = p.parse_args(argv)
    if args.mode == "receiver" and args.addr is None:
        p.error("receiver needs --addr HOST:PORT")
    if args.mode == "sender" and args.target is None:
        p.error("sender needs --target HOST:PORT")
    if args.count <= 0 or min(args.size, args.warmup, args.round_trips,
                              args.rtt_warmup) < 0:
        p.error("--count must be positive, the other counts non-negative")
    return args


# -- receiver -----------------------------------------------------------------

class Sink(Agent):
    def __init__(self):
        super().__init__()
        self.count = 0

    def handle_message(self, content, meta):
        if content == "report":
            self.schedule_instant_message(self.count, sender_addr(meta))
        else:
            self.count += 1


class Echo(Agent):
    def handle_message(self, content, meta):
        self.schedule_instant_message(content, sender_addr(meta))


async def receiver(args):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    c = create_tcp_container(args.addr)
    c.register(Sink(), "sink")
    c.register(Echo(), "echo")
    async with activate(c):
        print("listening on %s:%d" % tuple(c.addr))
        print("ready", flush=True)
        await stop.wait()
    return 0


# -- sender -------------------------------------------------------------------

class Sender(Agent):
    def __init__(self):
        super().__init__()
        self.waiter = None

    def handle_message(self, content, meta):
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((meta.get("sender_id"), content))

    async def ask(self, content, to, deadline):
        """Sends `content` to `to`; returns the next reply's content."""
        self.waiter = asyncio.get_running_loop().create_future()
        if not await self.send_message(content, to):
            raise RuntimeError("cannot send to %s" % (to,))
        left = deadline - time.perf_counter()
        _, reply = await asyncio.wait_for(self.waiter, max(left, 0.001))
        return reply

    async def wait_for_count(self, sink, n, deadline):
        while True:
            got = await self.ask("report", sink, deadline)
            if not isinstance(got, int):
                raise RuntimeError("sink answered %r" % (got,))
            if got >= n:
                return
            if time.perf_counter() > deadline:
                raise asyncio.TimeoutError()
            await asyncio.sleep(0.001)


async def sender(args):
    deadline = time.perf_counter() + args.timeout
    c = create_tcp_container(("127.0.0.1", 0))
    me = c.register(Sender(), "sender")
    sink = addr(args.target, "sink")
    echo = addr(args.target, "echo")
    payload = "x" * args.size
    async with activate(c):
        for _ in range(args.warmup):
            if not await me.send_message(payload, sink):
                raise RuntimeError("cannot send to the sink")
        await me.wait_for_count(sink, args.warmup, deadline)
        t0 = time.perf_counter()
        for _ in range(args.count):
            if not await me.send_message(payload, sink):
                raise RuntimeError("cannot send to the sink")
        await me.wait_for_count(sink, args.warmup + args.count, deadline)
        seconds = time.perf_counter() - t0
        lat = []
        rtt_warmup = args.rtt_warmup if args.round_trips > 0 else 0
        for i in range(rtt_warmup + args.round_trips):
            t = time.perf_counter()
            await me.ask(payload, echo, deadline)
            if i >= rtt_warmup:
                lat.append((time.perf_counter() - t) * 1e6)
    rate = args.count / seconds if seconds > 0 else 0
    if args.tsv:
        print("oneway\t%d\t%d\t%.6f\t%.0f" % (args.count, args.size, seconds,
                                              rate))
    else:
        print("oneway: %d messages of %d bytes in %.4f s: %.0f msg/s"
              % (args.count, args.size, seconds, rate))
    if lat:
        lat.sort()
        p50 = lat[int(0.5 * (len(lat) - 1))]
        p99 = lat[int(0.99 * (len(lat) - 1))]
        mean = sum(lat) / len(lat)
        if args.tsv:
            print("rtt\t%d\t%d\t%.1f\t%.1f\t%.1f" % (len(lat), args.size, p50,
                                                     p99, mean))
        else:
            print("rtt: %d round trips of %d bytes: p50 %.1f us, p99 %.1f us, "
                  "mean %.1f us" % (len(lat), args.size, p50, p99, mean))
    sys.stdout.flush()
    return 0


def main(argv):
    args = parse_args(argv)
    if args.mode == "receiver":
        if sys.platform.startswith("linux"):
            # A receiver started by a script must not outlive it.
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        return asyncio.run(receiver(args))
    try:
        return asyncio.run(sender(args))
    except (asyncio.TimeoutError, RuntimeError) as e:
        print("mango_bench_peer.py: %s" % (e or "timed out (sink or echo "
                                           "silent?)"), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
