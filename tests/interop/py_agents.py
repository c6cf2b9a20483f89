"""Python aiomas 2.0.1 agents for the agent-layer interop tests: what a
master spawns by qualname (``py_agents:Callee``) in a Python
aiomas.subproc container (aiomas_subproc_container.py), and what a Python
master hosts for C++ agents to call (test_agents_py_master.py). They mirror
the C++ demo agents (examples/aiomas/demo_agents.hpp).
"""

import aiomas


class Callee(aiomas.Agent):
    """``spam(times)`` returns ``word * times``."""

    def __init__(self, container, word="spam"):
        super().__init__(container)
        self.word = word

    @aiomas.expose
    def spam(self, times):
        return self.word * times


class Pinger(aiomas.Agent):
    """``ping(x)`` returns ``["pong", x]``; ``ask_relay(relay_addr, x)``
    connects to a relay by address and passes *itself*: the relay calls
    ``ping`` back through the proxy it received."""

    @aiomas.expose
    def ping(self, x):
        return ["pong", x]

    @aiomas.expose
    async def ask_relay(self, relay_addr, x):
        relay = await self.container.connect(relay_addr)
        return await relay.call_back(self, x)


class Caller(aiomas.Agent):
    """``run(callee_addr)`` connects by address and returns ``spam(3)``."""

    @aiomas.expose
    async def run(self, callee_addr):
        callee = await self.container.connect(callee_addr)
        return await callee.spam(3)


class Relay(aiomas.Agent):
    """``call_back(agent, x)`` calls ``ping(x)`` on the agent passed in."""

    @aiomas.expose
    async def call_back(self, agent, x):
        return await agent.ping(x)


class Sleeper(aiomas.Agent):
    """Sleeps on the container clock and answers ``clock.time()``."""

    @aiomas.expose
    async def sleep(self, dt):
        await self.container.clock.sleep(dt)
        return self.container.clock.time()

    @aiomas.expose
    async def sleep_until(self, t):
        await self.container.clock.sleep_until(t)
        return self.container.clock.time()

    @aiomas.expose
    def utcnow(self):
        return self.container.clock.utcnow()

    @aiomas.expose
    def time(self):
        return self.container.clock.time()
