"""A Python aiomas 2.0.1 container process as aiomas.subproc's docs start
one (their container.py, without click): a Manager agent (aid 0) that a
master drives remotely. Prints nothing (like the real one); the master
connects with a connect timeout.

usage: aiomas_subproc_container.py [--codec json|msgpack|msgpack-blosc]
         [--clock external|realtime] [--start-date ISO]
         [--tls CA CERT KEY] [--no-shim] HOST:PORT

Agents are spawned by qualname, e.g. ``py_agents:Callee`` (this directory
is on sys.path).
"""

import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# msgpack 0.6.2 warns on every unpackb(encoding=...); asyncio.gather(loop=)
# in aiomas's shutdown warns on 3.8/3.9.
warnings.simplefilter("ignore", DeprecationWarning)
warnings.simplefilter("ignore", PendingDeprecationWarning)

import aiomas  # noqa: E402
import aiomas.subproc  # noqa: E402


def shim_arrow():
    """Harness shim (arrow >= 1.0 only): aiomas 2.0.1's
    ExternalClock.utcnow() is ``utc_start.replace(seconds=t)``, arrow 0.x's
    old spelling of ``shift``; arrow 1.x rejects it ("ValueError: Unknown
    attribute: 'seconds'."), which breaks utcnow() and sleep_until(date).
    With arrow 1.x installed, utcnow() shifts as arrow 0.x's replace did."""
    import arrow
    try:
        arrow.get("2016-01-01T00:00:00+00:00").replace(seconds=1)
        return
    except (ValueError, TypeError, AttributeError):
        pass
    aiomas.ExternalClock.utcnow = (
        lambda self: self._utc_start.shift(seconds=self._time))


CODECS = {"json": aiomas.codecs.JSON, "msgpack": aiomas.codecs.MsgPack,
          "msgpack-blosc": aiomas.codecs.MsgPackBlosc}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--codec", default="json", choices=sorted(CODECS))
    ap.add_argument("--clock", default="external",
                    choices=["external", "realtime"])
    ap.add_argument("--start-date", default="2016-01-01T00:00:00+00:00")
    ap.add_argument("--tls", nargs=3, metavar=("CA", "CERT", "KEY"))
    ap.add_argument("addr", metavar="HOST:PORT")
    ap.add_argument("--no-shim", action="store_true",
                    help="run aiomas's ExternalClock as installed")
    args = ap.parse_args()
    if not args.no_shim:
        shim_arrow()
    host, port = args.addr.rsplit(":", 1)
    kwargs = {"codec": CODECS[args.codec]}
    if args.clock == "external":
        kwargs["clock"] = aiomas.ExternalClock(args.start_date)
    if args.tls:
        kwargs["ssl"] = aiomas.SSLCerts(*args.tls)
    task = aiomas.subproc.start((host, int(port)), **kwargs)
    aiomas.run(until=task)
    return 0


if __name__ == "__main__":
    sys.exit(main())
