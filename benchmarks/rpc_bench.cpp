// rpc_bench: RPC round trips and throughput of libmas over loopback TCP
// (JSON codec, `add(a, b)` on small ints). Server and client are separate
// processes: `rpc_bench --serve 127.0.0.1:0` and `rpc_bench --client ADDR`.
// The aiomas anchor is benchmarks/rpc_bench.py, the raw-socket floor
// benchmarks/raw_pingpong.cpp; benchmarks/run_rpc_bench runs all of them
// and prints the comparison (docs/benchmarks.md).
//
// The client drives each connection with one event-based actor that keeps
// `--inflight` calls outstanding: each reply's `.then` continuation issues
// the next call. `--inflight 1` on one connection is the sequential case.
// Every call's latency is taken from just before `request` to the start of
// its continuation (std::chrono::steady_clock).

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/prctl.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "mas/all.hpp"
#include "mas/atoms.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/service.hpp"
#include "mas/version.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;

constexpr const char* usage_text
  = R"(usage: rpc_bench --serve HOST:PORT [options]
       rpc_bench --client HOST:PORT [options]

RPC round trips and throughput of libmas over TCP with the JSON codec; the
only call is add(a, b) on small ints (path "add", args [1, 2], no kwargs).

server:
  --serve HOST:PORT   serve add(a, b) (port 0 picks a free port). Prints
                      "listening on HOST:PORT" and "ready", then serves until
                      SIGTERM/SIGINT or until its parent process exits.
client:
  --client HOST:PORT  connect and measure one case:
  --connections C     connections, each driven by its own event-based actor
                      (default 1)
  --inflight K        calls kept outstanding per connection; each reply's
                      continuation issues the next call (default 1 =
                      sequential round trips)
  --calls N           stop after N timed calls in all (default 20000)
  --duration S        or after S seconds, whichever comes first; calls in
                      flight then complete and count (default 5)
  --warmup N          untimed calls first, same shape (default 2000)
  --label NAME        first column of the --tsv line (default: C x K)
  --blocking          sequential case only: call from a caf::scoped_actor
                      (request(...).receive(...) in a loop) instead of an
                      event-based actor
both:
  --threads N         CAF scheduler threads (default: CAF 0.17's,
                      max(4, cores))
  --caf KEY=VALUE     a CAF 0.17 option, repeatable, e.g.
                      --caf scheduler.policy=sharing or
                      --caf work-stealing.moderate-sleep-duration=5us
  --tsv               machine-readable result line: label connections
                      inflight calls seconds calls_per_s p50_us p99_us
                      (tab-separated, no header)
  -h, --help          this text
  --version           print "rpc_bench (libmas) VERSION"

Latency: from just before request() to the start of the reply's
continuation. calls/s = timed calls / wall time from spawning the drivers to
the last reply.
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "rpc_bench: " << what << "\n(see --help)\n";
  std::exit(2);
}

struct options {
  std::string serve;
  std::string client;
  std::size_t connections = 1;
  std::size_t inflight = 1;
  std::uint64_t calls = 20000;
  double duration = 5.0;
  std::uint64_t warmup = 2000;
  std::string label;
  int threads = 0;
  std::vector<std::string> caf_args;
  bool blocking = false;
  bool tsv = false;
};

// -- server -------------------------------------------------------------------

std::shared_ptr<mas::rpc::service> make_service() {
  auto root = mas::rpc::service::make("__main__.Bench");
  root->expose("add", [](std::int64_t a, std::int64_t b) { return a + b; },
               {"a", "b"});
  return root;
}

int run_server(caf::actor_system& sys, const mas::net::endpoint& ep,
               const sigset_t& signals) {
  auto srv = mas::rpc::start_server(sys, ep, make_service());
  if (!srv) {
    std::cerr << "rpc_bench: " << mas::error_text(srv.error()) << "\n";
    return 1;
  }
  std::cout << "listening on " << srv->local_endpoint().to_string() << "\n"
            << "ready" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  srv->close();
  return 0;
}

// -- client -------------------------------------------------------------------

/// What one driver measured.
struct driver_result {
  std::vector<double> latencies_us;
  std::uint64_t calls = 0;
  std::uint64_t errors = 0;
  std::string first_error;
};

/// One driver's plan and progress; shared by its continuations.
struct driver_state {
  mas::rpc::connection conn;
  caf::actor report_to;
  std::uint64_t max_calls = 0;
  clock_type::time_point deadline;
  std::uint64_t issued = 0;
  std::uint64_t outstanding = 0;
  driver_result result;
};

using driver_ptr = std::shared_ptr<driver_state>;

void issue_call(caf::event_based_actor* self, const driver_ptr& st);

/// Books one reply and issues the next call or finishes.
void on_reply(caf::event_based_actor* self, const driver_ptr& st,
              clock_type::time_point sent) {
  auto now = clock_type::now();
  --st->outstanding;
  st->result.latencies_us.push_back(
    std::chrono::duration<double, std::micro>(now - sent).count());
  ++st->result.calls;
  if (st->issued < st->max_calls && now < st->deadline) {
    issue_call(self, st);
  } else if (st->outstanding == 0) {
    self->send(st->report_to, caf::ok_atom_v);
    self->quit();
  }
}

void issue_call(caf::event_based_actor* self, const driver_ptr& st) {
  ++st->issued;
  ++st->outstanding;
  auto sent = clock_type::now();
  self
    ->request(st->conn, caf::infinite, mas::call_atom_v, std::string{"add"},
              array{1, 2}, dict{})
    .then(
      [self, st, sent](value& x) {
        if (!x.is_int() || x.as_int64() != 3) {
          if (st->result.errors++ == 0)
            st->result.first_error = "wrong result " + mas::wire::to_string(x);
        }
        on_reply(self, st, sent);
      },
      [self, st, sent](caf::error& err) {
        if (st->result.errors++ == 0)
          st->result.first_error = mas::error_text(err);
        on_reply(self, st, sent);
      });
}

caf::behavior driver(caf::event_based_actor* self, driver_ptr st,
                     std::size_t inflight) {
  auto first = std::min<std::uint64_t>(inflight, st->max_calls);
  for (std::uint64_t i = 0; i < first; ++i)
    issue_call(self, st);
  return {
    [](caf::ok_atom) {
      // nop: the driver lives on its continuations
    },
  };
}

/// Runs one phase: `calls` calls in all over `conns`, at most `duration`.
/// Returns the wall time; fills `results`.
double run_phase(caf::actor_system& sys,
                 const std::vector<mas::rpc::connection>& conns,
                 std::size_t inflight, std::uint64_t calls, double duration,
                 std::vector<driver_ptr>& results) {
  caf::scoped_actor self{sys};
  results.clear();
  auto per_conn = std::max<std::uint64_t>(1, calls / conns.size());
  auto t0 = clock_type::now();
  auto deadline = t0
                  + std::chrono::duration_cast<clock_type::duration>(
                    std::chrono::duration<double>(duration));
  for (auto& conn : conns) {
    auto st = std::make_shared<driver_state>();
    st->conn = conn;
    st->report_to = caf::actor{self};
    st->max_calls = per_conn;
    st->deadline = deadline;
    st->result.latencies_us.reserve(per_conn);
    results.push_back(st);
  }
  for (auto& st : results)
    sys.spawn(driver, st, inflight);
  bool timed_out = false;
  for (std::size_t i = 0; i < results.size() && !timed_out; ++i)
    self->receive([](caf::ok_atom) {}, caf::after(std::chrono::seconds(60)) >>
                                         [&] { timed_out = true; });
  if (timed_out) {
    std::cerr << "rpc_bench: no answer within 60 s; giving up\n";
    std::_Exit(1);
  }
  std::chrono::duration<double> dt = clock_type::now() - t0;
  return dt.count();
}

/// The sequential case from a blocking caf::scoped_actor (one connection,
/// one call at a time); fills `results` like run_phase.
double run_blocking_phase(caf::actor_system& sys,
                          const mas::rpc::connection& conn, std::uint64_t calls,
                          double duration, std::vector<driver_ptr>& results) {
  caf::scoped_actor self{sys};
  results.clear();
  auto st = std::make_shared<driver_state>();
  st->result.latencies_us.reserve(calls);
  results.push_back(st);
  auto& r = st->result;
  auto t0 = clock_type::now();
  auto deadline = t0
                  + std::chrono::duration_cast<clock_type::duration>(
                    std::chrono::duration<double>(duration));
  for (std::uint64_t i = 0; i < calls; ++i) {
    auto sent = clock_type::now();
    if (sent >= deadline)
      break;
    self
      ->request(conn, std::chrono::seconds{60}, mas::call_atom_v,
                std::string{"add"}, array{1, 2}, dict{})
      .receive(
        [&](value& x) {
          if (!x.is_int() || x.as_int64() != 3) {
            if (r.errors++ == 0)
              r.first_error = "wrong result " + mas::wire::to_string(x);
          }
        },
        [&](caf::error& err) {
          if (r.errors++ == 0)
            r.first_error = mas::error_text(err);
        });
    r.latencies_us.push_back(
      std::chrono::duration<double, std::micro>(clock_type::now() - sent)
        .count());
    ++r.calls;
  }
  std::chrono::duration<double> dt = clock_type::now() - t0;
  return dt.count();
}

int run_client(caf::actor_system& sys, const mas::net::endpoint& ep,
               const options& opts) {
  std::vector<mas::rpc::connection> conns;
  for (std::size_t i = 0; i < opts.connections; ++i) {
    auto client
      = mas::rpc::open_connection(sys, ep, {}, std::chrono::seconds{5});
    if (!client) {
      std::cerr << "rpc_bench: " << mas::error_text(client.error()) << "\n";
      return 1;
    }
    conns.push_back(client->channel);
  }
  std::vector<driver_ptr> results;
  auto phase = [&](std::uint64_t calls) {
    if (opts.blocking)
      return run_blocking_phase(sys, conns.front(), calls, opts.duration,
                                results);
    return run_phase(sys, conns, opts.inflight, calls, opts.duration, results);
  };
  if (opts.warmup > 0)
    phase(opts.warmup);
  auto seconds = phase(opts.calls);
  std::vector<double> lat;
  std::uint64_t calls = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  for (auto& st : results) {
    auto& r = st->result;
    lat.insert(lat.end(), r.latencies_us.begin(), r.latencies_us.end());
    calls += r.calls;
    errors += r.errors;
    if (first_error.empty())
      first_error = r.first_error;
  }
  {
    caf::scoped_actor self{sys};
    for (auto& conn : conns)
      self->send(conn, caf::close_atom_v);
  }
  if (errors > 0) {
    std::cerr << "rpc_bench: " << errors << " of " << calls
              << " calls failed; first: " << first_error << "\n";
    return 1;
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    auto i = static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1));
    return lat[i];
  };
  auto rate = static_cast<double>(calls) / seconds;
  auto label = opts.label.empty() ? std::to_string(opts.connections) + "x"
                                      + std::to_string(opts.inflight)
                                  : opts.label;
  if (opts.tsv)
    std::printf("%s\t%zu\t%zu\t%llu\t%.3f\t%.0f\t%.1f\t%.1f\n", label.c_str(),
                opts.connections, opts.inflight,
                static_cast<unsigned long long>(calls), seconds, rate, pct(0.5),
                pct(0.99));
  else
    std::printf("%zu connection(s) x %zu in flight: %llu calls in %.3f s = "
                "%.0f calls/s; latency p50 %.1f us, p99 %.1f us\n",
                opts.connections, opts.inflight,
                static_cast<unsigned long long>(calls), seconds, rate, pct(0.5),
                pct(0.99));
  return 0;
}

std::uint64_t parse_count(const std::string& str, const std::string& what) {
  try {
    auto n = std::stoll(str);
    if (n >= 0)
      return static_cast<std::uint64_t>(n);
  } catch (const std::exception&) {
    // fall through
  }
  usage_error(what + " expects a non-negative number");
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        usage_error("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << usage_text;
      return 0;
    } else if (arg == "--version") {
      std::cout << "rpc_bench (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if (arg == "--serve") {
      opts.serve = next();
    } else if (arg == "--client") {
      opts.client = next();
    } else if (arg == "--connections") {
      opts.connections = parse_count(next(), arg);
    } else if (arg == "--inflight") {
      opts.inflight = parse_count(next(), arg);
    } else if (arg == "--calls") {
      opts.calls = parse_count(next(), arg);
    } else if (arg == "--duration") {
      try {
        opts.duration = std::stod(next());
      } catch (const std::exception&) {
        usage_error("--duration expects seconds");
      }
    } else if (arg == "--warmup") {
      opts.warmup = parse_count(next(), arg);
    } else if (arg == "--label") {
      opts.label = next();
    } else if (arg == "--threads") {
      opts.threads = static_cast<int>(parse_count(next(), arg));
    } else if (arg == "--caf") {
      opts.caf_args.push_back("--" + next());
    } else if (arg == "--blocking") {
      opts.blocking = true;
    } else if (arg == "--tsv") {
      opts.tsv = true;
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  if (opts.serve.empty() == opts.client.empty())
    usage_error("give either --serve or --client");
  if (opts.connections == 0 || opts.inflight == 0 || opts.calls == 0)
    usage_error("--connections, --inflight and --calls must be positive");
  if (opts.blocking && (opts.connections != 1 || opts.inflight != 1))
    usage_error("--blocking needs --connections 1 --inflight 1");
  auto ep
    = mas::net::endpoint::parse(opts.serve.empty() ? opts.client : opts.serve);
  if (!ep || !ep->is_tcp())
    usage_error("expected HOST:PORT");
  sigset_t signals;
  if (!opts.serve.empty()) {
    // A server started by a script must not outlive it.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    // Block the signals in every thread; run_server waits for them.
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  }
  caf::actor_system_config cfg;
  mas::configure(cfg);
  if (opts.threads > 0)
    cfg.set("scheduler.max-threads", opts.threads);
  if (!opts.caf_args.empty()) {
    std::istringstream no_ini;
    if (auto err = cfg.parse(opts.caf_args, no_ini))
      usage_error("bad --caf option: " + cfg.render(err));
  }
  caf::actor_system sys{cfg};
  sys.await_actors_before_shutdown(false);
  if (!opts.serve.empty())
    return run_server(sys, *ep, signals);
  auto rc = run_client(sys, *ep, opts);
  std::fflush(stdout);
  // Bound the actor system's shutdown: report a hang instead of hanging a
  // benchmark run.
  std::thread{[] {
    std::this_thread::sleep_for(std::chrono::seconds{10});
    std::fputs("rpc_bench: the actor system did not shut down within 10 s\n",
               stderr);
    std::_Exit(3);
  }}.detach();
  return rc;
}
