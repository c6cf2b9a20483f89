"""A Python aiomas 2.0.1 client calling the C++ rpc_math_server.

usage: math_client.py HOST PORT
"""

import asyncio
import sys

import aiomas


async def main(host, port):
    rpc_con = await aiomas.rpc.open_connection((host, port))
    remote = rpc_con.remote
    print("[python] What's 3 + 4?", await remote.addition.add(3, 4))
    print("[python] What's 4 - 3?", await remote.subtraction.sub(a=4, b=3))
    print("[python] echo:", await remote.echo({"unicode": "\u00e4\U0001f600",
                                                "list": [1, 2.5, None]}))
    try:
        await remote.fail_badly()
    except aiomas.RemoteException as exc:
        print("[python] Origin:", exc.origin)
        print("[python] Traceback:", exc.remote_traceback.strip())
    results = await asyncio.gather(*[remote.addition.add(i, i)
                                     for i in range(100)])
    print("[python] 100 concurrent calls, sum of results:", sum(results))
    await rpc_con.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
