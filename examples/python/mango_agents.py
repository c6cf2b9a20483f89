"""Python mango agents (mango-agents from PyPI) in a mixed system with C++:
the agent 'py' sends a MangoMessage and an ACL request to the C++ agent
'echo' of build/bin/mango_echo_container and prints the answers; then the
Python agent 'echo' answers whoever writes to it (the demo's C++
`mango_examples join`) until SIGTERM. Prints 'ready' once the first part is
done.

usage: mango_agents.py PY_PORT CPP_PORT
"""

import asyncio
import signal
import sys

from mango import (Agent, Performatives, activate, addr, create_acl,
                   create_tcp_container, sender_addr)


class Echo(Agent):
    def handle_message(self, content, meta):
        print("echo got %r from %s" % (content, meta["sender_id"]), flush=True)
        self.schedule_instant_message(content, sender_addr(meta))


class Py(Agent):
    def __init__(self):
        super().__init__()
        self.inbox_ = asyncio.Queue()

    def handle_message(self, content, meta):
        self.inbox_.put_nowait((content, meta))


async def main(py_port, cpp_port):
    c = create_tcp_container(("127.0.0.1", py_port))
    c.register(Echo(), "echo")
    py = c.register(Py(), "py")
    cpp_echo = addr(("127.0.0.1", cpp_port), "echo")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with activate(c):
        await py.send_message({"greeting": "hello from Python"}, cpp_echo)
        content, meta = await asyncio.wait_for(py.inbox_.get(), 30)
        print("py got %r from %s" % (content, meta["sender_id"]), flush=True)
        acl = create_acl("shall we?", receiver_addr=cpp_echo,
                         sender_addr=py.addr,
                         acl_metadata={"performative": Performatives.request,
                                       "conversation_id": "demo",
                                       "reply_with": "q1"})
        await py.send_message(acl, cpp_echo)
        content, meta = await asyncio.wait_for(py.inbox_.get(), 30)
        print("py got ACL %s %r (conversation %s, in reply to %s)"
              % (meta["performative"].name, content,
                 meta["conversation_id"], meta["in_reply_to"]), flush=True)
        print("ready", flush=True)
        await asyncio.wait_for(stop.wait(), 60)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
