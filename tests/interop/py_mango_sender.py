"""Sends --count MangoMessages from a real Python mango agent to the agent
'echo' at --target and prints 'echoed N' with the number of echoes that came
back (within 60 s). Used to put peers of several Python versions on one
C++ container at once.

usage: py_mango_sender.py --target HOST:PORT --count N
"""

import argparse
import asyncio
import socket
import sys

from mango import Agent, activate, addr, create_tcp_container


class Counter(Agent):
    def __init__(self, n):
        super().__init__()
        self.got = []
        self.n = n
        self.done = asyncio.get_running_loop().create_future()

    def handle_message(self, content, meta):
        self.got.append(content)
        if len(self.got) >= self.n and not self.done.done():
            self.done.set_result(None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def main(args):
    host, port = args.target.rsplit(":", 1)
    target = addr((host, int(port)), "echo")
    c = create_tcp_container(("127.0.0.1", free_port()))
    me = c.register(Counter(args.count), "sender")
    async with activate(c):
        for i in range(args.count):
            await me.send_message({"i": i, "py": sys.version_info[1]}, target)
        try:
            await asyncio.wait_for(me.done, 60)
        except asyncio.TimeoutError:
            pass
    ok = sorted(m["i"] for m in me.got) == list(range(args.count))
    print("echoed %d%s" % (len(me.got), "" if ok else " (not all)"),
          flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--count", type=int, required=True)
    asyncio.run(main(ap.parse_args()))
