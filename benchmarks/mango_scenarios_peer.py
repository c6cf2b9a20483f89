#!/usr/bin/env python3
"""Python anchor of benchmarks/mango_scenarios.cpp: the scenarios of
OFFIS-DAI/mango_benchmark with real Python mango (mango-agents 2.4), every
container in this one process on one asyncio event loop, the same command
line and output.

    .venv/bin/python benchmarks/mango_scenarios_peer.py \\
        --scenario low_work_many_messages [--tsv]

One run: number_of_agents agents "0", "1", ... in number_of_containers TCP
containers on 127.0.0.1 (port 0; agent i in container i // ceil(agents /
containers)), neighbours by mango_benchmark's small-world rule (every pair
at ring distance <= small_world_k, then each other pair, in the order
(0, 1), (0, 2), ..., with probability small_world_p from
random.Random(rng_seed).random()). Each agent starts n_periodic_tasks
periodic tasks (busy work_periodic_in_seconds every
delay_periodic_in_seconds) and, with every neighbour at the same time,
message_amount ping-pong rounds: a ping (an ACL message from create_acl,
content a json_serializable Ping holding a string of message_size_bytes
characters in message_nesting_depths - 1 nested dicts {"data": ...}), the
next one once the pong is back. Every incoming message schedules
work_on_message_in_seconds of busy work (schedule_instant_task) before the
answer or the next ping goes (instant tasks too). The busy work blocks the
event loop: that is Python's reality. The run ends when every agent got its
last pong; the wall time runs from the agents' start to the end of the
containers' shutdown (leaving `activate`).

benchmarks/run_mango_scenarios runs it next to the C++ side
(docs/benchmarks.md, "mango_benchmark scenarios").
"""

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, fields, replace
import random

from mango import (JSON, Agent, activate, addr, create_acl,
                   create_tcp_container, json_serializable, sender_addr)

PING_TYPE_ID = 1001
PONG_TYPE_ID = 1002


@dataclass
class Scenario:
    simulation_name: str = ""
    number_of_agents: int = 10
    number_of_containers: int = 5
    rng_seed: int = 4711
    small_world_k: int = 3
    small_world_p: float = 1.0
    work_on_message_in_seconds: float = 0.001
    work_periodic_in_seconds: float = 0.0001
    n_periodic_tasks: int = 5
    delay_periodic_in_seconds: float = 0.5
    message_amount: int = 10
    message_size_bytes: int = 100
    message_nesting_depths: int = 3


COUNT_KEYS = {"number_of_agents", "number_of_containers", "rng_seed",
              "small_world_k", "n_periodic_tasks", "message_amount",
              "message_size_bytes", "message_nesting_depths"}
PARAM_KEYS = {f.name for f in fields(Scenario)} - {"simulation_name"}


def builtin_scenarios():
    """mango_benchmark's three scenarios (its parameters.json)."""
    return [
        Scenario("low_work_many_messages"),
        Scenario("low_work_many_large_messages", message_size_bytes=100000),
        Scenario("high_work_many_messages", work_on_message_in_seconds=0.01,
                 work_periodic_in_seconds=0.001, message_size_bytes=10000),
    ]


def with_parameter(sc, key, x):
    if key not in PARAM_KEYS:
        raise KeyError(key)
    if key in COUNT_KEYS:
        if x < 0 or x != int(x):
            raise ValueError("%s must be a non-negative integer" % key)
        x = int(x)
    elif not x >= 0:
        raise ValueError("%s must be >= 0" % key)
    return replace(sc, **{key: x})


def read_params(path):
    with open(path) as f:
        root = json.load(f)
    if isinstance(root, dict) and isinstance(root.get("simulation_configs"),
                                             list):
        configs = root["simulation_configs"]
    elif isinstance(root, list):
        configs = root
    else:
        configs = [root]
    result = []
    for cfg in configs:
        sc = Scenario(str(cfg.get("simulation_name", "")))
        for key, x in cfg.items():
            if key == "simulation_name" or isinstance(x, bool) \
                    or not isinstance(x, (int, float)):
                continue
            if key not in PARAM_KEYS:
                print("mango_scenarios_peer.py: %s: ignoring unknown "
                      "parameter %s" % (path, key), file=sys.stderr)
                continue
            sc = with_parameter(sc, key, x)
        result.append(sc)
    return result


def make_topology(sc):
    """mango_benchmark's small-world rule: ring neighbours up to distance k,
    then every pair not connected yet with probability p (one random() per
    such pair, row by row). Returns the edges (i, j), i < j, in order."""
    n = sc.number_of_agents
    edges = set()
    for i in range(n):
        for j in range(i + 1, n):
            if min(j - i, n - (j - i)) <= sc.small_world_k:
                edges.add((i, j))
    rng = random.Random(sc.rng_seed)
    for i in range(n):
        for j in range(i + 1, n):
            if (i, j) not in edges and rng.random() < sc.small_world_p:
                edges.add((i, j))
    return sorted(edges)


# -- agents -------------------------------------------------------------------

@json_serializable
@dataclass
class Ping:
    payload: dict


@json_serializable
@dataclass
class Pong:
    payload: dict


def make_codec():
    codec = JSON()
    codec.add_serializer(*Ping.__serializer__(), type_id=PING_TYPE_ID)
    codec.add_serializer(*Pong.__serializer__(), type_id=PONG_TYPE_ID)
    return codec


def make_content(sc, cls, fill):
    payload = fill * sc.message_size_bytes
    for _ in range(max(sc.message_nesting_depths, 2) - 1):
        payload = {"data": payload}
    return cls(payload)


def spinner(clock):
    """Blocking busy work on `clock`: the thread's CPU time or the steady
    (monotonic) clock."""
    now = time.thread_time if clock == "cpu" else time.monotonic

    def spin(seconds):
        if seconds > 0:
            until = now() + seconds
            while now() < until:
                pass
    return spin


class RunState:
    def __init__(self):
        self.messages = 0
        self.periodic_runs = 0
        self.error = None

    def fail(self, what):
        if self.error is None:
            self.error = what


class SimAgent(Agent):
    def __init__(self, sc, spin, state):
        super().__init__()
        self.sc = sc
        self.spin = spin
        self.state = state
        self.neighbours = []
        self.pong_of = {}

    def handle_message(self, content, meta):
        self.state.messages += 1
        self.schedule_instant_task(self.work())
        if isinstance(content, Ping):
            to = sender_addr(meta)
            self.schedule_instant_task(
                self.send(make_content(self.sc, Pong, "b"), to))
        elif isinstance(content, Pong):
            waiter = self.pong_of.get(meta.get("sender_id"))
            if waiter is None or waiter.done():
                self.state.fail("agent %s got an unexpected pong" % self.aid)
            else:
                waiter.set_result(None)
        else:
            self.state.fail("agent %s got %r" % (self.aid, content))

    async def work(self):
        self.spin(self.sc.work_on_message_in_seconds)

    async def periodic_work(self):
        self.spin(self.sc.work_periodic_in_seconds)
        self.state.periodic_runs += 1

    async def send(self, content, to):
        """mango's schedule_instant_message, with the result checked: the
        content as an ACL message (sender and receiver in its header)."""
        msg = create_acl(content, receiver_addr=to, sender_addr=self.addr)
        if not await self.send_message(msg, to):
            self.state.fail("agent %s cannot send to %s" % (self.aid, to))

    async def run(self):
        for _ in range(self.sc.n_periodic_tasks):
            self.schedule_periodic_task(self.periodic_work,
                                        self.sc.delay_periodic_in_seconds)
        await asyncio.gather(*(self.rounds_with(n) for n in self.neighbours))

    async def rounds_with(self, neighbour):
        loop = asyncio.get_running_loop()
        for _ in range(self.sc.message_amount):
            waiter = loop.create_future()
            self.pong_of[neighbour.aid] = waiter
            self.schedule_instant_task(
                self.send(make_content(self.sc, Ping, "a"), neighbour))
            await waiter


# -- running ------------------------------------------------------------------

async def run(sc, args):
    edges = make_topology(sc)
    n = sc.number_of_agents
    neighbours = [[] for _ in range(n)]
    for i, j in edges:
        neighbours[i].append(j)
        neighbours[j].append(i)
    per_container = -(-n // sc.number_of_containers)
    containers = [create_tcp_container(("127.0.0.1", 0), codec=make_codec())
                  for _ in range(sc.number_of_containers)]
    state = RunState()
    spin = spinner(args.busy_clock)
    agents = []
    for i in range(n):
        a = SimAgent(sc, spin, state)
        containers[i // per_container].register(a, str(i))
        agents.append(a)
    async with activate(containers):
        # The ports are known once the containers run.
        for i, a in enumerate(agents):
            a.neighbours = sorted(
                (addr(containers[j // per_container].addr, str(j))
                 for j in neighbours[i]), key=lambda x: int(x.aid))
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(a.run() for a in agents)), args.timeout)
        except asyncio.TimeoutError:
            print("mango_scenarios_peer.py: no result within %g s"
                  % args.timeout, file=sys.stderr)
            return 1
        t_done = time.perf_counter()
    t_end = time.perf_counter()
    cpu = time.process_time() - cpu0
    if state.error is not None:
        print("mango_scenarios_peer.py: %s" % state.error, file=sys.stderr)
        return 1
    wall = t_end - t0
    run_s = t_done - t0
    msg_busy = state.messages * sc.work_on_message_in_seconds
    periodic_busy = state.periodic_runs * sc.work_periodic_in_seconds
    if args.tsv:
        print("scenario\t%s\tpy\t%.6f\t%.6f\t%d\t%.6f\t%d\t%.6f\t%.6f\t%d"
              % (sc.simulation_name, wall, run_s, state.messages, msg_busy,
                 state.periodic_runs, periodic_busy, cpu, 1))
    else:
        print("%s (Python mango, busy clock %s): %d agents in %d containers, "
              "%d edges, %d messages of %d bytes"
              % (sc.simulation_name, args.busy_clock, n,
                 sc.number_of_containers, len(edges), state.messages,
                 sc.message_size_bytes))
        print("wall %.3f s (run %.3f s + shutdown %.3f s); busy work %.3f s "
              "on messages + %.3f s in %d periodic runs; CPU %.3f s; one "
              "asyncio event loop" % (wall, run_s, wall - run_s, msg_busy,
                                      periodic_busy, state.periodic_runs,
                                      cpu))
    sys.stdout.flush()
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="mango_scenarios_peer.py",
        usage="%(prog)s --scenario NAME [options]\n"
              "       %(prog)s --list | --print-edges --scenario NAME",
        description="OFFIS-DAI/mango_benchmark's scenarios in Python mango "
                    "(the anchor of build/bin/mango_scenarios).")
    p.add_argument("--scenario", help="low_work_many_messages, "
                   "low_work_many_large_messages, high_work_many_messages, "
                   "or a simulation_name of --params")
    p.add_argument("--params", help="scenarios in the form of "
                   "mango_benchmark's scenario_setup/parameters.json")
    p.add_argument("--set", action="append", default=[],
                   metavar="KEY=VALUE", help="override one parameter "
                   "(repeatable)")
    p.add_argument("--busy-clock", choices=["cpu", "steady"], default="cpu",
                   help="what a busy-work spin counts: the thread's CPU time "
                        "(default) or the monotonic clock")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="give up after this many seconds (exit 1)")
    p.add_argument("--tsv", action="store_true",
                   help="one tab-separated line: scenario NAME py WALL_S "
                        "RUN_S MESSAGES MSG_BUSY_S PERIODIC_RUNS "
                        "PERIODIC_BUSY_S CPU_S 1")
    p.add_argument("--print-edges", action="store_true",
                   help="print the topology (\"I J\" per edge) and exit")
    p.add_argument("--list", action="store_true",
                   help="print the scenarios and exit")
    args = p.parse_args(argv)
    if not args.timeout > 0:
        p.error("--timeout expects seconds > 0")
    return p, args


def main(argv):
    p, args = parse_args(argv)
    try:
        scenarios = read_params(args.params) if args.params \
            else builtin_scenarios()
    except (OSError, ValueError) as e:
        p.error("cannot read %s: %s" % (args.params, e))
    if args.list:
        for sc in scenarios:
            print(sc)
        return 0
    if not args.scenario:
        p.error("give --scenario NAME (--list shows them)")
    found = [sc for sc in scenarios if sc.simulation_name == args.scenario]
    if not found:
        p.error("no scenario %s (--list shows them)" % args.scenario)
    sc = found[0]
    for kv in args.set:
        key, sep, text = kv.partition("=")
        try:
            if not sep:
                raise ValueError("expects KEY=VALUE")
            sc = with_parameter(sc, key, float(text))
        except KeyError:
            p.error("--set: unknown parameter %s" % key)
        except ValueError as e:
            p.error("--set %s: %s" % (kv, e))
    if sc.number_of_agents <= 0 or sc.number_of_containers <= 0:
        p.error("number_of_agents and number_of_containers must be positive")
    if sc.small_world_p > 1:
        p.error("small_world_p must be in [0, 1]")
    if sc.n_periodic_tasks > 0 and not sc.delay_periodic_in_seconds > 0:
        p.error("delay_periodic_in_seconds must be > 0")
    if args.print_edges:
        for i, j in make_topology(sc):
            print(i, j)
        return 0
    return asyncio.run(run(sc, args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
