"""A C++ master (agent_master_probe: mas::aiomas::container with
mas::aiomas::subprocess and manager_proxy) starts a real Python aiomas 2.0.1
aiomas.subproc container (aiomas_subproc_container.py) for one codec (TCP,
or TLS with --tls), spawns Python agents by qualname (py_agents), and:
C++ agents call Python agents by address and through passed proxies (and
Python agents call C++ ones), set_time on the Python ExternalClock wakes a
Python sleeper, aiomas's failure texts reach the C++ side (unknown aid,
method, module or class, bad kwargs, set_time backwards or on a real-time
clock, dates in the past, malformed URLs), stop() ends the process with 0, a
process killed mid-call fails the pending call with connection_reset.

usage: test_agents_cpp_master.py --codec NAME --probe PATH [--tls]
                                 [unittest args]
"""

import signal

import interop_common as ic

ic.require_peers("aiomas")
ic.quiet()

import agents_interop as ai  # noqa: E402
import rpc_interop as ri  # noqa: E402

TLS = ai.parse_tls_flag()
CODEC = ri.parse_codec_arg()
ARGS = ic.parse_args("probe")

import unittest  # noqa: E402

import arrow  # noqa: E402


def seq(text):
    """A list's repr as the probe prints it: MsgPack arrays decode as
    tuples (on both sides: aiomas unpacks with use_list=False)."""
    if CODEC == "json":
        return text
    return text.replace("[", "(").replace("]", ")")


class CppMaster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = ri.TempDir()
        cls.certs = ri.Certs(cls.tmp.path) if TLS else None

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def probe(self, scenario, clock="external"):
        """Runs the probe against a fresh Python container; returns its
        `name: result` lines as a dict (and checks the probe's exit 0)."""
        for attempt in range(3):
            port = ai.free_port()
            argv = [ARGS.probe, "--codec", CODEC, "--port", str(port),
                    "--scenario", scenario, *ai.tls_args(self.certs), "--",
                    *ai.py_container_argv(CODEC, port, clock, self.certs)]
            with ri.Proc(argv) as proc:
                try:
                    rc = proc.wait(90)
                finally:
                    # The probe reaps its child; if the probe died first,
                    # make sure the child does not outlive the test.
                    self.kill_child(proc)
                proc.join_output()
            # The port was taken between free_port() and the child's bind
            # (a test running in parallel): again, on another port.
            if rc != 0 and attempt < 2 and \
                    "address already in use" in "".join(proc.err):
                continue
            self.assertEqual(rc, 0, proc.describe())
            break
        out = {}
        for line in proc.out:
            name, _, result = line.partition(": ")
            out[name] = result
        self.assertEqual(out.get("connect"), "ok", proc.describe())
        self.describe = proc.describe()
        return out

    @staticmethod
    def kill_child(proc):
        import os
        for line in proc.out:
            if line.startswith("pid: "):
                try:
                    os.kill(int(line[5:]), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass

    def check(self, out, expected):
        for name, value in expected.items():
            self.assertEqual(out.get(name), value,
                             "%s\n%s" % (name, self.describe))

    def test_agents_calls_clock_and_errors(self):
        out = self.probe("main")
        base = out["spawn_callee"].rsplit("/", 1)[0] + "/"
        port = int(base.rsplit(":", 1)[1].rstrip("/"))
        start = arrow.get(ai.START).to("UTC")
        remote = "error: remote_exception: "
        self.check(out, {
            "spawn_callee": base + "1",
            "callee_path": "agents/1",
            "spam": "'eggseggs'",
            "spam_kw": "'eggs'",
            "unknown_method":
                remote + 'LookupError: Name "nope" not found in "agents/1"',
            # A Python agent calls a C++ agent by address.
            "py_caller_run": "'cppcppcpp'",
            # A C++ agent calls a Python agent by address.
            "cpp_caller_run": "'eggseggseggs'",
            "cpp_caller_missing":
                remote + "ConnectionError: Agent \"9\" does not exist in "
                "Container(('127.0.0.1', %d))" % port,
            "cpp_caller_bad_url":
                remote + 'ValueError: Cannot parse agent URL '
                '"tcp://127.0.0.1/0": not enough values to unpack '
                '(expected 2, got 1)',
            # A C++ agent passed to a Python relay, called back.
            "py_relay_call_back": seq("['pong', [1, 'two']]"),
            # A Python agent passes itself to a C++ relay, called back.
            "py_pinger_ask_relay": seq("['pong', 7]"),
            # The Python ExternalClock, set by the C++ master.
            "time0": "0",
            "utcnow0": "date " + str(start),
            "set_time_2": "None",
            "sleep": "2.0",
            "set_time_3_5": "None",
            "sleep_until_date": "3.5",
            "utcnow": "date " + str(start.shift(seconds=3.5)),
            "sleep_until_past":
                remote + 'ValueError: Date "%s" is in the past'
                % start.shift(seconds=2),
            "set_time_back":
                remote + "ValueError: Time must be > 3.5 but is 1.0",
            # Bad input.
            "unknown_aid": "error: no_such_agent: Agent \"9\" does not exist "
                           "in Container(('127.0.0.1', %d))" % port,
            "spawn_unknown_module":
                remote + "ModuleNotFoundError: No module named 'nope'",
            "spawn_unknown_class":
                remote + "AttributeError: module 'py_agents' has no "
                "attribute 'Nope'",
            "spawn_bad_kwargs":
                remote + "TypeError: __init__() got an unexpected keyword "
                "argument 'wort'",
            "stop": "None",
            "exit": "0",
        })
        # The Python caller asks the C++ master's container for aid 9.
        self.assertTrue(out["py_caller_missing"].startswith(
            remote + "ConnectionError: Agent \"9\" does not exist in "
            "Container(('127.0.0.1', "), out["py_caller_missing"])

    def test_set_time_on_realtime_clock(self):
        out = self.probe("realtime", clock="realtime")
        self.check(out, {
            "set_time": "error: remote_exception: AttributeError: "
                        "'AsyncioClock' object has no attribute 'set_time'",
            "stop": "None",
            "exit": "0",
        })

    def test_container_killed_mid_call(self):
        out = self.probe("vanish")
        self.check(out, {
            "pending_sleep": "error: connection_reset: Connection closed",
            "exit": str(-signal.SIGKILL),
        })

    def test_sigterm(self):
        # aiomas.subproc.start handles KeyboardInterrupt (SIGINT) only: on
        # SIGTERM a Python container dies of the signal (mas_container exits
        # 0 instead).
        out = self.probe("sigterm")
        self.check(out, {
            "spam": "'spam'",
            "terminate": "sent",
            "exit": str(-signal.SIGTERM),
        })


if __name__ == "__main__":
    ic.main()
