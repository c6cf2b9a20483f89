// mas_container: an aiomas agent container in its own process, driven by a
// master through its Manager agent (aid 0) — the seed's `container.py`
// (aiomas.subproc) in C++.
//
//   mas_container [--codec json|msgpack|msgpack-blosc]
//                 [--clock realtime|external] [--start-date ISO-8601]
//                 [--tls CAFILE CERTFILE KEYFILE] [--log-level LEVEL]
//                 HOST:PORT

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <pthread.h>
#include <string>
#include <thread>
#include <vector>

#include "../../examples/aiomas/demo_agents.hpp"
#include "mas/aiomas/container.hpp"
#include "mas/aiomas/manager.hpp"
#include "mas/errc.hpp"
#include "mas/log.hpp"
#include "mas/version.hpp"
#include "mas/wire/date.hpp"

namespace {

constexpr const char* usage = R"(usage: mas_container [OPTIONS] HOST:PORT

Start an aiomas agent container at HOST:PORT ([IPV6]:PORT and unix:PATH work
too) with a Manager agent (aid 0), like aiomas.subproc's container.py. A
master connects to tcp://HOST:PORT/0 and calls spawn(qualname, *args,
**kwargs), set_time(t) and stop(). Once it accepts connections it prints
"listening on tcp://HOST:PORT/" (the agents' base address; port 0 picks a
free port) and then "ready" on a line of its own; exits 0 after
Manager.stop() or SIGTERM/SIGINT.

agent types (qualname, or module:qualname):
  Callee(word="spam")  spam(times) -> word * times
  Caller()             run(callee_addr) -> connects, returns callee.spam(3)
  Relay()              call_back(agent, x) -> agent.ping(x)
  Sleeper()            sleep(dt), sleep_until(t or date) -> clock.time();
                       utcnow() -> date; time() -> clock.time()

options:
  --codec NAME            json (default), msgpack or msgpack-blosc
  --clock KIND            realtime (default) or external (set by set_time)
  --start-date DATE       external clock: utcnow() at its initial time
                          (ISO-8601, default 2016-01-01T00:00:00+00:00)
  --init-time T           external clock: the initial time() (default 0;
                          the seed's container.py uses -1)
  --tls CA CERT KEY       TLS with client certificates (aiomas SSLCerts)
  --log-level LEVEL       debug, info, warning (default), error, critical
  -h, --help              show this text
  --version               print the version
)";

int fail(const std::string& msg) {
  std::cerr << "mas_container: " << msg << "\n(see mas_container --help)\n";
  return 2;
}

int level_rank(mas::log_level x) {
  switch (x) {
    case mas::log_level::error:
      return 3;
    case mas::log_level::warning:
      return 2;
    case mas::log_level::info:
      return 1;
    default:
      return 0;
  }
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string codec = "json";
  std::string clock_kind = "realtime";
  std::string start_date = "2016-01-01T00:00:00+00:00";
  double init_time = 0;
  std::optional<mas::net::ssl_certs> tls;
  int min_rank = 2;
  std::optional<std::string> addr;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto& arg = args[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= args.size())
        return std::nullopt;
      (void)name;
      return args[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    } else if (arg == "--version") {
      std::cout << "mas_container (libmas) " << MAS_VERSION_STRING << "\n";
      return 0;
    } else if (arg == "--codec") {
      auto v = value("--codec");
      if (!v || (*v != "json" && *v != "msgpack" && *v != "msgpack-blosc"))
        return fail("--codec needs json, msgpack or msgpack-blosc");
      codec = *v;
    } else if (arg == "--clock") {
      auto v = value("--clock");
      if (!v || (*v != "realtime" && *v != "external"))
        return fail("--clock needs realtime or external");
      clock_kind = *v;
    } else if (arg == "--start-date") {
      auto v = value("--start-date");
      if (!v || !mas::wire::parse_date(*v))
        return fail("--start-date needs an ISO-8601 date, e.g. "
                    "2010-03-27T00:00:00+01:00");
      start_date = *v;
    } else if (arg == "--init-time") {
      auto v = value("--init-time");
      char* end = nullptr;
      if (v)
        init_time = std::strtod(v->c_str(), &end);
      if (!v || v->empty() || end != v->c_str() + v->size())
        return fail("--init-time needs a number, e.g. -1");
    } else if (arg == "--tls") {
      if (i + 3 >= args.size())
        return fail("--tls needs CAFILE CERTFILE KEYFILE");
      tls = mas::net::ssl_certs{args[i + 1], args[i + 2], args[i + 3]};
      i += 3;
    } else if (arg == "--log-level" || arg == "-l") {
      auto v = value("--log-level");
      if (!v)
        return fail("--log-level needs a level");
      if (*v == "debug")
        min_rank = 0;
      else if (*v == "info")
        min_rank = 1;
      else if (*v == "warning")
        min_rank = 2;
      else if (*v == "error" || *v == "critical")
        min_rank = 3;
      else
        return fail("--log-level needs debug, info, warning, error or "
                    "critical");
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option " + arg);
    } else if (addr) {
      return fail("only one HOST:PORT, got " + *addr + " and " + arg);
    } else {
      addr = arg;
    }
  }
  if (!addr)
    return fail("missing HOST:PORT");
  mas::set_log_sink([min_rank](mas::log_level level, std::string_view text) {
    if (level_rank(level) >= min_rank)
      std::cerr << "mas_container: " << mas::to_string(level) << ": " << text
                << std::endl;
  });
  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  mas::aiomas::container_options opts;
  opts.codec = *mas::wire::parse_codec_kind(codec);
  opts.ssl = tls;
  if (clock_kind == "external")
    opts.make_clock = [start_date, init_time](caf::actor_system& sys) {
      return mas::clock::external(sys, *mas::wire::parse_date(start_date),
                                  init_time);
    };
  auto c = mas::aiomas::container::create(*addr, opts);
  if (!c) {
    std::cerr << "mas_container: cannot start at " << *addr << ": "
              << mas::render(c.error()) << "\n";
    return 1;
  }
  auto& home = **c;
  home.spawn<mas::aiomas::manager>(mas::demo::demo_factories());
  std::thread waiter{[&home, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    home.request_stop();
  }};
  // The agents' base address first (with the port the OS chose for port 0),
  // then the line masters wait for.
  std::cout << "listening on " << home.base_url() << "\n"
            << "ready" << std::endl;
  home.wait_for_stop();
  // Wake the waiter if it still waits (the signal stays blocked).
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  home.shutdown();
  c->reset();
  return 0;
}
