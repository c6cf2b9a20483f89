"""A real Python mango container for the C++ side to talk to (a process of
its own, so a test can kill and restart it). Agents:
  echo         MangoMessage -> the same content back to its sender; ACL
               message -> an ACL inform reply (same content and
               conversation_id, in_reply_to = reply_with)
  clock_agent  mango's DistributedClockAgent (with --clock external)
  planner      plans a task at clock time 5 (with --clock external)
Prints 'ready' once it listens; runs until SIGTERM/SIGINT.

usage: py_mango_echo.py --addr HOST:PORT [--clock realtime|external]
"""

import argparse
import asyncio
import signal

from mango import (Agent, DistributedClockAgent, ExternalClock,
                   Performatives, activate, create_acl, create_tcp_container,
                   sender_addr)


class Echo(Agent):
    def handle_message(self, content, meta):
        to = sender_addr(meta)
        if "performative" in meta and "reply_with" in meta:
            reply = create_acl(
                content, receiver_addr=to, sender_addr=self.addr,
                acl_metadata={"performative": Performatives.inform,
                              "conversation_id": meta.get("conversation_id"),
                              "in_reply_to": meta.get("reply_with")})
            self.schedule_instant_message(reply, to)
        else:
            self.schedule_instant_message(content, to)


class Planner(Agent):
    def on_start(self):
        async def nothing():
            pass
        self.schedule_timestamp_task(nothing(), 5)


async def main(args):
    host, port = args.addr.rsplit(":", 1)
    clock = ExternalClock(start_time=0) if args.clock == "external" else None
    c = create_tcp_container((host, int(port)), clock=clock)
    c.register(Echo(), "echo")
    if clock is not None:
        c.register(DistributedClockAgent(), "clock_agent")
        c.register(Planner(), "planner")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with activate(c):
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--clock", default="realtime",
                    choices=["realtime", "external"])
    asyncio.run(main(ap.parse_args()))
