"""An aiomas 2.0.1 master with Python agents, driving a C++ container.

usage: agents_master.py PORT CONTAINER_PORT

Creates a Python aiomas container on 127.0.0.1:PORT with two Python agents,
connects to the C++ `mas_container` at 127.0.0.1:CONTAINER_PORT (its Manager
is agent 0) and lets agents of both languages call each other: a C++ agent
calls a Python agent by address, a C++ agent calls back a Python agent passed
as an argument, and a Python agent calls a C++ agent.
"""
import asyncio
import sys

import aiomas


class PyCallee(aiomas.Agent):
    @aiomas.expose
    def spam(self, times):
        return 'py-spam' * times


class PyPinger(aiomas.Agent):
    @aiomas.expose
    def ping(self, x):
        return 'pong from Python: %s' % x

    async def call(self, addr):
        cpp = await self.container.connect(addr)
        return await cpp.spam(2)


async def main(port, container_port):
    c = await aiomas.Container.create(('127.0.0.1', port), as_coro=True)
    callee, pinger = PyCallee(c), PyPinger(c)
    manager = await c.connect('tcp://127.0.0.1:%d/0' % container_port)
    print('connected to', manager)

    caller, caller_addr = await manager.spawn('Caller')
    print('C++ Caller at', caller_addr, 'calls Python', callee, '->',
          await caller.run(callee.addr))

    relay, relay_addr = await manager.spawn('Relay')
    print('C++ Relay at', relay_addr, 'calls back', pinger, '->',
          await relay.call_back(pinger, 42))

    _, cpp_callee_addr = await manager.spawn('Callee', word='c++-spam')
    print('Python', pinger, 'calls C++ Callee at', cpp_callee_addr, '->',
          await pinger.call(cpp_callee_addr))

    await manager.stop()
    print('stopped the C++ container')
    # (aiomas 2.0.1's Container.shutdown is broken on Python >= 3.10; on the
    # 3.9 venv it works, but the process ends here anyway.)


if __name__ == '__main__':
    asyncio.get_event_loop().run_until_complete(
        main(int(sys.argv[1]), int(sys.argv[2])))
