"""A Python aiomas 2.0.1 server for the docs' bi-directional RPC example:
server_method(client) calls the client back on the same connection.

usage: callback_server.py PORT   (prints "ready" once it listens; runs until
                                  killed)
"""

import asyncio
import sys

import aiomas


class Server:
    router = aiomas.rpc.Service()

    @aiomas.expose
    async def server_method(self, client_proxy):
        name = await client_proxy.get_client_name()
        print("[python] the C++ client says its name is", repr(name),
              flush=True)
        return 'Client name is "%s"' % name


async def main(port):
    server = await aiomas.rpc.start_server(("127.0.0.1", port), Server())
    print("ready", flush=True)
    await asyncio.Event().wait()  # until killed
    server.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
