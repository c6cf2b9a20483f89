// agent_bench: messaging and calls between libmas agents
// (mas::aiomas::agent), next to raw CAF in the same run.
//
// --inproc: agents in one mas::aiomas container exchanging CAF messages
//   through their own behaviors, next to the same pattern between plain
//   caf::event_based_actors in a plain CAF actor system. An "agent message"
//   is what a C++ user of mas::agent writes: a subclass whose make_behavior
//   is `agent_handler().or_else(own handlers)`, and `request`/`send` to
//   another agent's caf::actor handle (from container::spawn). Cases:
//     pp1     request/response ping-pong, one request in flight
//     pp64    request/response, 64 requests in flight
//     fanin4  4 senders -> 1 sink, one-way sends, no replies
//   plus, for information (agents only), an exposed method call between two
//   agents of one container through the container's own connection
//   (container.connect(own address) -> rpc::proxy, TCP + JSON):
//     expose1, expose64
// --client URL: a caller agent in its own container (127.0.0.1:0) asks the
//   Manager at URL (mas_container or benchmarks/agent_bench.py --serve) to
//   spawn a Callee, connects to it and calls spam(1): sequentially or with
//   --inflight calls in flight. The aiomas anchor is benchmarks/agent_bench.py
//   --client; benchmarks/run_agent_bench runs all of it (docs/benchmarks.md).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <csignal>
#include <pthread.h>
#include <sys/prctl.h>

#include "../examples/aiomas/demo_agents.hpp"
#include "mas/aiomas/agent.hpp"
#include "mas/aiomas/container.hpp"
#include "mas/aiomas/manager.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/version.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using mas::wire::value;

// The benchmark's own message vocabulary, as a user defines atoms.
using bping_atom = caf::atom_constant<caf::atom("bping")>;
using btick_atom = caf::atom_constant<caf::atom("btick")>;
using bgo_atom = caf::atom_constant<caf::atom("bgo")>;
constexpr bping_atom bping_atom_v{};
constexpr btick_atom btick_atom_v{};
constexpr bgo_atom bgo_atom_v{};

constexpr const char* usage_text = R"(usage: agent_bench --inproc [options]
       agent_bench --client URL [options]
       agent_bench --serve HOST:PORT [options]

Messaging and calls between libmas agents (mas::aiomas::agent).

--inproc             agents in one mas::aiomas container next to plain
                     caf::event_based_actors in a plain CAF actor system,
                     same pattern, same run (raw first, then agents, per
                     case). Cases: pp1 (request/response ping-pong, 1 in
                     flight), pp64 (64 in flight), fanin4 (4 senders, one
                     sink, one-way), and for agents only expose1/expose64
                     (an exposed method of another agent of the same
                     container called through the container's own TCP
                     connection, JSON)
  --cases LIST       comma-separated subset (default pp1,pp64,fanin4,
                     expose1,expose64)
  --messages N       per case at most N round trips / messages (default:
                     4000000 for fanin4, 10000 for expose1, 1000000 else)
  --duration S       or S seconds per case (default 2)
  --raw-in-container also run the raw actors in the container's actor
                     system (side "rawc"): separates the cost of the agent
                     class from that of the container's system (middleman,
                     clock)
--client URL         the Manager agent of another container, e.g.
                     tcp://127.0.0.1:5555/0: spawn a Callee there
                     (Manager.spawn(QUALNAME)), connect to it from a caller
                     agent in this process's container and call spam(1):
  --spawn QUALNAME   what to spawn (default Callee; an aiomas container
                     needs module:Class, e.g. __main__:Callee)
  --inflight K       calls outstanding (default 1 = sequential); each reply's
                     continuation in the caller agent issues the next call
  --calls N          timed calls (default 20000)
  --duration S       or S seconds, whichever comes first (default 5)
  --warmup N         untimed calls first (default 2000)
  --label NAME       first column of the --tsv line (default 1xK)
--serve HOST:PORT    what mas_container does (a container with a Manager
                     agent, aid 0, spawning the demo agents, e.g. Callee),
                     but with --threads/--caf for diagnosis. Port 0 picks
                     one. Prints "listening on HOST:PORT", "manager URL"
                     and "ready"; runs until SIGTERM/SIGINT, Manager.stop()
                     or until its parent exits
all:
  --threads N        CAF scheduler threads (default: CAF 0.17's,
                     max(4, cores)); for --inproc in both systems
  --caf KEY=VALUE    a CAF 0.17 option, repeatable (both systems)
  --tsv              machine-readable lines, tab-separated, no header:
                     --client: label conns inflight calls seconds calls_per_s
                     p50_us p99_us (as rpc_bench); --inproc: case side
                     inflight count seconds per_s p50_us p99_us, side =
                     raw, rawc or agent (p50/p99 are 0 where nothing is
                     timed per message: pp64, fanin4)
  -h, --help         this text
  --version          print "agent_bench (libmas) VERSION"

Latency: from just before request() to the start of the reply's
continuation. Rates: count / wall time from the start signal to the last
reply (or the sink's last message).
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "agent_bench: " << what << "\n(see --help)\n";
  std::exit(2);
}

struct options {
  bool inproc = false;
  std::string client;
  std::string serve;
  std::string spawn = "Callee";
  std::vector<std::string> cases{"pp1", "pp64", "fanin4", "expose1",
                                 "expose64"};
  std::uint64_t messages = 0; // per case default
  std::size_t inflight = 1;
  std::uint64_t calls = 20000;
  double duration = -1; // per mode default
  std::uint64_t warmup = 2000;
  std::string label;
  int threads = 0;
  std::vector<std::string> caf_args;
  bool raw_in_container = false;
  bool tsv = false;
};

/// Applies --threads and --caf to a CAF configuration.
void apply(const options& opts, caf::actor_system_config& cfg) {
  if (opts.threads > 0)
    cfg.set("scheduler.max-threads", opts.threads);
  if (!opts.caf_args.empty()) {
    std::istringstream no_ini;
    if (auto err = cfg.parse(opts.caf_args, no_ini))
      usage_error("bad --caf option: " + cfg.render(err));
  }
}

clock_type::duration seconds_of(double s) {
  return std::chrono::duration_cast<clock_type::duration>(
    std::chrono::duration<double>(s));
}

// -- measurements -------------------------------------------------------------

/// One run of one pattern: its plan, progress and result. Shared between
/// `main` and the actors of the run (only the actors write while it runs).
struct run_state {
  // plan
  std::uint64_t max_count = 0;
  std::size_t inflight = 1;
  clock_type::time_point deadline;
  bool record_latency = true;
  // progress
  std::uint64_t issued = 0;
  std::uint64_t outstanding = 0;
  std::uint64_t total = 0; // fan-in: messages the sink expects
  // result
  clock_type::time_point end;
  std::vector<double> latencies_us;
  std::uint64_t count = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  caf::actor report_to;
};

using run_ptr = std::shared_ptr<run_state>;

struct summary {
  std::uint64_t count = 0;
  double seconds = 0;
  double p50 = 0;
  double p99 = 0;
  std::uint64_t errors = 0;
  std::string first_error;
};

summary summarize(run_state& st, clock_type::time_point t0) {
  summary s;
  s.count = st.count;
  s.seconds = std::chrono::duration<double>(st.end - t0).count();
  s.errors = st.errors;
  s.first_error = st.first_error;
  auto& lat = st.latencies_us;
  if (!lat.empty()) {
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) {
      return lat[static_cast<std::size_t>(
        p * static_cast<double>(lat.size() - 1))];
    };
    s.p50 = pct(0.5);
    s.p99 = pct(0.99);
  }
  return s;
}

void note_error(run_state& st, const std::string& what) {
  if (st.errors++ == 0)
    st.first_error = what;
}

// -- the patterns, written once for both kinds of actor -----------------------

/// The ponger's handler: answers a ping with its number.
caf::message_handler pong_handler() {
  return {
    [](bping_atom, std::int64_t x) { return x; },
  };
}

void issue_ping(caf::event_based_actor* self, const caf::actor& peer,
                const run_ptr& st);

/// Books one reply; issues the next ping or reports.
void on_pong(caf::event_based_actor* self, const caf::actor& peer,
             const run_ptr& st, clock_type::time_point sent) {
  auto now = clock_type::now();
  --st->outstanding;
  if (st->record_latency)
    st->latencies_us.push_back(
      std::chrono::duration<double, std::micro>(now - sent).count());
  ++st->count;
  if (st->issued < st->max_count && now < st->deadline) {
    issue_ping(self, peer, st);
  } else if (st->outstanding == 0) {
    st->end = now;
    self->send(st->report_to, caf::ok_atom_v);
  }
}

void issue_ping(caf::event_based_actor* self, const caf::actor& peer,
                const run_ptr& st) {
  auto n = static_cast<std::int64_t>(st->issued++);
  ++st->outstanding;
  auto sent = clock_type::now();
  self->request(peer, caf::infinite, bping_atom_v, n)
    .then(
      [self, peer, st, sent, n](std::int64_t x) {
        if (x != n)
          note_error(*st, "wrong pong " + std::to_string(x));
        on_pong(self, peer, st, sent);
      },
      [self, peer, st, sent](caf::error& err) {
        note_error(*st, mas::error_text(err));
        on_pong(self, peer, st, sent);
      });
}

/// The pinger's handler: `bgo` starts `inflight` chains of pings.
caf::message_handler ping_handler(caf::event_based_actor* self, caf::actor peer,
                                  run_ptr st) {
  return {
    [self, peer, st](bgo_atom) {
      auto first = std::min<std::uint64_t>(st->inflight, st->max_count);
      for (std::uint64_t i = 0; i < first; ++i)
        issue_ping(self, peer, st);
    },
  };
}

/// The sink's handler: counts ticks, reports after the last one.
caf::message_handler sink_handler(caf::event_based_actor* self, run_ptr st) {
  return {
    [self, st](btick_atom, std::int64_t) {
      if (++st->count == st->total) {
        st->end = clock_type::now();
        self->send(st->report_to, caf::ok_atom_v);
      }
    },
  };
}

/// How many ticks a sender sends before it lets others run (it sends
/// itself a `bgo` to continue), so that senders and the sink interleave.
constexpr std::uint64_t tick_batch = 64;

/// The sender's handler: each `bgo` sends the next batch of ticks.
caf::message_handler send_handler(caf::event_based_actor* self, caf::actor sink,
                                  std::uint64_t quota) {
  auto sent = std::make_shared<std::uint64_t>(0);
  return {
    [self, sink, quota, sent](bgo_atom) {
      auto stop = std::min(quota, *sent + tick_batch);
      for (; *sent < stop; ++*sent)
        self->send(sink, btick_atom_v, static_cast<std::int64_t>(*sent));
      if (*sent < quota)
        self->send(self, bgo_atom_v);
    },
  };
}

// -- raw CAF actors -----------------------------------------------------------

class raw_ponger : public caf::event_based_actor {
public:
  using event_based_actor::event_based_actor;

  caf::behavior make_behavior() override {
    return pong_handler();
  }
};

class raw_pinger : public caf::event_based_actor {
public:
  raw_pinger(caf::actor_config& cfg, caf::actor peer, run_ptr st)
    : event_based_actor(cfg), peer_(std::move(peer)), st_(std::move(st)) {
    // nop
  }

  caf::behavior make_behavior() override {
    return ping_handler(this, peer_, st_);
  }

private:
  caf::actor peer_;
  run_ptr st_;
};

class raw_sink : public caf::event_based_actor {
public:
  raw_sink(caf::actor_config& cfg, run_ptr st)
    : event_based_actor(cfg), st_(std::move(st)) {
    // nop
  }

  caf::behavior make_behavior() override {
    return sink_handler(this, st_);
  }

private:
  run_ptr st_;
};

class raw_sender : public caf::event_based_actor {
public:
  raw_sender(caf::actor_config& cfg, caf::actor sink, std::uint64_t quota)
    : event_based_actor(cfg), sink_(std::move(sink)), quota_(quota) {
    // nop
  }

  caf::behavior make_behavior() override {
    return send_handler(this, sink_, quota_);
  }

private:
  caf::actor sink_;
  std::uint64_t quota_;
};

// -- the same as agents -------------------------------------------------------

/// Agents keep their exposed-call handler and add the pattern's messages,
/// as mas::agent's documentation shows.
class ponger_agent : public mas::aiomas::agent {
public:
  ponger_agent(caf::actor_config& cfg, mas::agent_init init)
    : agent(cfg, std::move(init)) {
    expose("echo", [](std::int64_t x) { return x; }, {"x"});
  }

  const char* name() const override {
    return "Ponger";
  }

  caf::behavior make_behavior() override {
    return agent_handler().or_else(pong_handler());
  }
};

class pinger_agent : public mas::aiomas::agent {
public:
  pinger_agent(caf::actor_config& cfg, mas::agent_init init, caf::actor peer,
               run_ptr st)
    : agent(cfg, std::move(init)), peer_(std::move(peer)), st_(std::move(st)) {
    // nop
  }

  const char* name() const override {
    return "Pinger";
  }

  caf::behavior make_behavior() override {
    return agent_handler().or_else(ping_handler(this, peer_, st_));
  }

private:
  caf::actor peer_;
  run_ptr st_;
};

class sink_agent : public mas::aiomas::agent {
public:
  sink_agent(caf::actor_config& cfg, mas::agent_init init, run_ptr st)
    : agent(cfg, std::move(init)), st_(std::move(st)) {
    // nop
  }

  const char* name() const override {
    return "Sink";
  }

  caf::behavior make_behavior() override {
    return agent_handler().or_else(sink_handler(this, st_));
  }

private:
  run_ptr st_;
};

class sender_agent : public mas::aiomas::agent {
public:
  sender_agent(caf::actor_config& cfg, mas::agent_init init, caf::actor sink,
               std::uint64_t quota)
    : agent(cfg, std::move(init)), sink_(std::move(sink)), quota_(quota) {
    // nop
  }

  const char* name() const override {
    return "Sender";
  }

  caf::behavior make_behavior() override {
    return agent_handler().or_else(send_handler(this, sink_, quota_));
  }

private:
  caf::actor sink_;
  std::uint64_t quota_;
};

/// Calls `echo(n)` through an rpc::proxy from the agent's own context
/// (exposed-method calls; --inproc expose cases and --client).
class caller_agent : public mas::aiomas::agent {
public:
  caller_agent(caf::actor_config& cfg, mas::agent_init init,
               mas::rpc::proxy callee, std::string method, run_ptr st)
    : agent(cfg, std::move(init)), callee_(std::move(callee)),
      method_(std::move(method)), st_(std::move(st)) {
    // nop
  }

  const char* name() const override {
    return "Caller";
  }

  caf::behavior make_behavior() override {
    return agent_handler().or_else([this](bgo_atom) {
      auto first = std::min<std::uint64_t>(st_->inflight, st_->max_count);
      for (std::uint64_t i = 0; i < first; ++i)
        issue();
    });
  }

private:
  void issue() {
    ++st_->issued;
    ++st_->outstanding;
    auto sent = clock_type::now();
    callee_.call(this, method_, 1)
      .then(
        [this, sent](value& x) {
          check(x);
          on_reply(sent);
        },
        [this, sent](caf::error& err) {
          note_error(*st_, mas::error_text(err));
          on_reply(sent);
        });
  }

  void check(const value& x) {
    // echo(1) -> 1; Callee.spam(1) -> its word (a string).
    if (!(x.is_int() && x.as_int64() == 1) && !x.is_string())
      note_error(*st_, "unexpected result " + mas::wire::to_string(x));
  }

  void on_reply(clock_type::time_point sent) {
    auto now = clock_type::now();
    --st_->outstanding;
    if (st_->record_latency)
      st_->latencies_us.push_back(
        std::chrono::duration<double, std::micro>(now - sent).count());
    ++st_->count;
    if (st_->issued < st_->max_count && now < st_->deadline) {
      issue();
    } else if (st_->outstanding == 0) {
      st_->end = now;
      send(st_->report_to, caf::ok_atom_v);
    }
  }

  mas::rpc::proxy callee_;
  std::string method_;
  run_ptr st_;
};

// -- running one pattern ------------------------------------------------------

/// Waits for `n` ok_atoms (at most 60 s, then the process gives up).
void await_done(caf::scoped_actor& self, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    bool timed_out = false;
    self->receive([](caf::ok_atom) {}, caf::after(std::chrono::seconds(60)) >>
                                         [&] { timed_out = true; });
    if (timed_out) {
      std::cerr << "agent_bench: no answer within 60 s; giving up\n";
      std::_Exit(1);
    }
  }
}

run_ptr make_run(caf::scoped_actor& self, std::uint64_t max_count,
                 std::size_t inflight, double duration, bool record) {
  auto st = std::make_shared<run_state>();
  st->max_count = max_count;
  st->inflight = inflight;
  st->record_latency = record;
  st->report_to = caf::actor{self};
  st->deadline = clock_type::now() + seconds_of(duration);
  if (record)
    st->latencies_us.reserve(std::min<std::uint64_t>(max_count, 4000000));
  return st;
}

/// Spawns actors in a system or agents in a container, for one pattern.
struct raw_world {
  caf::actor_system& sys;
  std::vector<caf::actor> spawned;

  caf::actor ponger() {
    return keep(sys.spawn<raw_ponger>());
  }
  caf::actor pinger(caf::actor peer, run_ptr st) {
    return keep(sys.spawn<raw_pinger>(std::move(peer), std::move(st)));
  }
  caf::actor sink(run_ptr st) {
    return keep(sys.spawn<raw_sink>(std::move(st)));
  }
  caf::actor sender(caf::actor to, std::uint64_t quota) {
    return keep(sys.spawn<raw_sender>(std::move(to), quota));
  }
  caf::actor keep(caf::actor x) {
    spawned.push_back(x);
    return x;
  }
  void clear() {
    for (auto& x : spawned)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    spawned.clear();
  }
};

struct agent_world {
  mas::aiomas::container& home;
  std::vector<caf::actor> spawned;

  caf::actor ponger() {
    return keep(home.spawn<ponger_agent>());
  }
  caf::actor pinger(caf::actor peer, run_ptr st) {
    return keep(home.spawn<pinger_agent>(std::move(peer), std::move(st)));
  }
  caf::actor sink(run_ptr st) {
    return keep(home.spawn<sink_agent>(std::move(st)));
  }
  caf::actor sender(caf::actor to, std::uint64_t quota) {
    return keep(home.spawn<sender_agent>(std::move(to), quota));
  }
  caf::actor keep(caf::actor x) {
    spawned.push_back(x);
    return x;
  }
  void clear() {
    for (auto& x : spawned) {
      home.remove_agent(mas::aid_of(x));
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    }
    spawned.clear();
  }
};

/// Request/response: `inflight` pings outstanding between two actors.
template <class World>
summary run_pingpong(World& w, caf::scoped_actor& self, std::size_t inflight,
                     std::uint64_t count, double duration) {
  auto ponger = w.ponger();
  auto phase = [&](std::uint64_t n, bool record) {
    auto st = make_run(self, n, inflight, duration, record);
    auto pinger = w.pinger(ponger, st);
    auto t0 = clock_type::now();
    st->deadline = t0 + seconds_of(duration);
    self->send(pinger, bgo_atom_v);
    await_done(self, 1);
    return summarize(*st, t0);
  };
  phase(std::min<std::uint64_t>(count, 2000), false); // warm-up
  auto s = phase(count, inflight == 1);
  w.clear();
  return s;
}

/// One-way fan-in: `senders` actors send `count` ticks in all to one sink.
template <class World>
summary run_fanin(World& w, caf::scoped_actor& self, std::size_t senders,
                  std::uint64_t count) {
  auto phase = [&](std::uint64_t n) {
    auto st = make_run(self, n, 1, 0, false);
    auto quota = std::max<std::uint64_t>(1, n / senders);
    st->total = quota * senders;
    auto sink = w.sink(st);
    std::vector<caf::actor> xs;
    for (std::size_t i = 0; i < senders; ++i)
      xs.push_back(w.sender(sink, quota));
    auto t0 = clock_type::now();
    for (auto& x : xs)
      self->send(x, bgo_atom_v);
    await_done(self, 1);
    w.clear();
    return summarize(*st, t0);
  };
  phase(std::min<std::uint64_t>(count, 20000)); // warm-up
  return phase(count);
}

/// An exposed method of another agent in the same container, through the
/// container's own connection (container.connect(own address of the
/// callee)).
summary run_expose(mas::aiomas::container& home, caf::scoped_actor& self,
                   std::size_t inflight, std::uint64_t count, double duration) {
  auto callee = home.spawn<ponger_agent>();
  auto aid = mas::aid_of(callee);
  auto proxy = home.connect(home.address_of(aid), std::chrono::seconds{5});
  if (!proxy) {
    std::cerr << "agent_bench: connect to own container: "
              << mas::error_text(proxy.error()) << "\n";
    std::exit(1);
  }
  auto phase = [&](std::uint64_t n, bool record) {
    auto st = make_run(self, n, inflight, duration, record);
    auto caller = home.spawn<caller_agent>(*proxy, "echo", st);
    auto t0 = clock_type::now();
    st->deadline = t0 + seconds_of(duration);
    self->send(caller, bgo_atom_v);
    await_done(self, 1);
    home.remove_agent(mas::aid_of(caller));
    caf::anon_send_exit(caller, caf::exit_reason::user_shutdown);
    return summarize(*st, t0);
  };
  phase(std::min<std::uint64_t>(count, 2000), false);
  auto s = phase(count, true);
  home.remove_agent(aid);
  caf::anon_send_exit(callee, caf::exit_reason::user_shutdown);
  return s;
}

void print_inproc(const options& opts, const std::string& name,
                  const char* side, std::size_t inflight, const summary& s) {
  if (s.errors > 0) {
    std::cerr << "agent_bench: " << name << " " << side << ": " << s.errors
              << " errors; first: " << s.first_error << "\n";
    std::exit(1);
  }
  auto rate = s.seconds > 0 ? static_cast<double>(s.count) / s.seconds : 0.0;
  if (opts.tsv)
    std::printf("%s\t%s\t%zu\t%llu\t%.3f\t%.0f\t%.2f\t%.2f\n", name.c_str(),
                side, inflight, static_cast<unsigned long long>(s.count),
                s.seconds, rate, s.p50, s.p99);
  else
    std::printf("%-9s %-6s %llu in %.3f s = %.0f/s%s\n", name.c_str(), side,
                static_cast<unsigned long long>(s.count), s.seconds, rate,
                s.p50 > 0 ? (", p50 " + std::to_string(s.p50) + " us, p99 "
                             + std::to_string(s.p99) + " us")
                              .c_str()
                          : "");
  std::fflush(stdout);
}

/// --messages, or `fallback` if not given.
std::uint64_t count_for(const options& opts, std::uint64_t fallback) {
  return opts.messages > 0 ? opts.messages : fallback;
}

int run_inproc(const options& opts) {
  double duration = opts.duration > 0 ? opts.duration : 2.0;
  mas::aiomas::container_options copts;
  copts.configure
    = [&opts](caf::actor_system_config& cfg) { apply(opts, cfg); };
  auto home = mas::aiomas::container::create("127.0.0.1:0", copts);
  if (!home) {
    std::cerr << "agent_bench: " << mas::error_text(home.error()) << "\n";
    return 1;
  }
  auto& c = **home;
  for (auto& name : opts.cases) {
    if (name == "pp1" || name == "pp64" || name == "fanin4") {
      auto measure = [&](auto& world, caf::scoped_actor& self) {
        if (name == "fanin4")
          return run_fanin(world, self, 4, count_for(opts, 4000000));
        std::size_t k = name == "pp1" ? 1 : 64;
        return run_pingpong(world, self, k, count_for(opts, 1000000), duration);
      };
      std::size_t k = name == "pp64" ? 64 : 1;
      {
        // A plain CAF system, configured like the container's but without
        // libmas (no middleman, no clock), for this case only.
        caf::actor_system_config cfg;
        apply(opts, cfg);
        caf::actor_system sys{cfg};
        caf::scoped_actor self{sys};
        raw_world w{sys, {}};
        print_inproc(opts, name, "raw", k, measure(w, self));
      }
      caf::scoped_actor self{c.system()};
      if (opts.raw_in_container) {
        raw_world w{c.system(), {}};
        print_inproc(opts, name, "rawc", k, measure(w, self));
      }
      agent_world w{c, {}};
      print_inproc(opts, name, "agent", k, measure(w, self));
    } else if (name == "expose1" || name == "expose64") {
      std::size_t k = name == "expose1" ? 1 : 64;
      auto n = count_for(opts, k == 1 ? 10000 : 1000000);
      caf::scoped_actor self{c.system()};
      print_inproc(opts, name, "agent", k, run_expose(c, self, k, n, duration));
    } else {
      usage_error("unknown case " + name);
    }
  }
  c.shutdown();
  return 0;
}

// -- server -------------------------------------------------------------------

int run_server(const options& opts) {
  // A server started by a script must not outlive it.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  mas::aiomas::container_options copts;
  copts.configure
    = [&opts](caf::actor_system_config& cfg) { apply(opts, cfg); };
  auto home = mas::aiomas::container::create(opts.serve, copts);
  if (!home) {
    std::cerr << "agent_bench: " << mas::error_text(home.error()) << "\n";
    return 1;
  }
  auto& c = **home;
  auto mgr = c.spawn<mas::aiomas::manager>(mas::demo::demo_factories());
  std::cout << "listening on " << c.local_endpoint().to_string() << "\n"
            << "manager " << c.address_of(mas::aid_of(mgr)) << "\n"
            << "ready" << std::endl;
  std::thread waiter{[&c, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    c.request_stop();
  }};
  c.wait_for_stop();
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  c.shutdown();
  return 0;
}

// -- client -------------------------------------------------------------------

int run_client(const options& opts) {
  double duration = opts.duration > 0 ? opts.duration : 5.0;
  mas::aiomas::container_options copts;
  copts.configure
    = [&opts](caf::actor_system_config& cfg) { apply(opts, cfg); };
  auto home = mas::aiomas::container::create("127.0.0.1:0", copts);
  if (!home) {
    std::cerr << "agent_bench: " << mas::error_text(home.error()) << "\n";
    return 1;
  }
  auto& c = **home;
  auto mgr = c.connect(opts.client, std::chrono::seconds{5});
  if (!mgr) {
    std::cerr << "agent_bench: connect to " << opts.client << ": "
              << mas::error_text(mgr.error()) << "\n";
    return 1;
  }
  std::string callee_addr;
  {
    caf::scoped_actor self{c.system()};
    std::string failure;
    mgr->with_timeout(std::chrono::seconds{10})
      .call(self.ptr(), "spawn", opts.spawn)
      .receive(
        [&](value& x) {
          if (x.is_array() && x.as_array().size() == 2
              && x.as_array()[1].is_string())
            callee_addr = x.as_array()[1].as_string();
          else
            failure = "unexpected spawn result " + mas::wire::to_string(x);
        },
        [&](caf::error& err) { failure = mas::error_text(err); });
    if (!failure.empty()) {
      std::cerr << "agent_bench: spawn(" << opts.spawn << "): " << failure
                << "\n";
      return 1;
    }
  }
  auto callee = c.connect(callee_addr, std::chrono::seconds{5});
  if (!callee) {
    std::cerr << "agent_bench: connect to " << callee_addr << ": "
              << mas::error_text(callee.error()) << "\n";
    return 1;
  }
  caf::scoped_actor self{c.system()};
  auto phase = [&](std::uint64_t n, bool record) {
    auto st = make_run(self, n, opts.inflight, duration, record);
    auto caller = c.spawn<caller_agent>(*callee, "spam", st);
    auto t0 = clock_type::now();
    st->deadline = t0 + seconds_of(duration);
    self->send(caller, bgo_atom_v);
    await_done(self, 1);
    c.remove_agent(mas::aid_of(caller));
    caf::anon_send_exit(caller, caf::exit_reason::user_shutdown);
    return summarize(*st, t0);
  };
  if (opts.warmup > 0)
    phase(opts.warmup, false);
  auto s = phase(opts.calls, true);
  c.shutdown();
  if (s.errors > 0) {
    std::cerr << "agent_bench: " << s.errors << " of " << s.count
              << " calls failed; first: " << s.first_error << "\n";
    return 1;
  }
  auto rate = static_cast<double>(s.count) / s.seconds;
  auto label
    = opts.label.empty() ? "1x" + std::to_string(opts.inflight) : opts.label;
  if (opts.tsv)
    std::printf("%s\t1\t%zu\t%llu\t%.3f\t%.0f\t%.1f\t%.1f\n", label.c_str(),
                opts.inflight, static_cast<unsigned long long>(s.count),
                s.seconds, rate, s.p50, s.p99);
  else
    std::printf("%zu in flight: %llu calls in %.3f s = %.0f calls/s; latency "
                "p50 %.1f us, p99 %.1f us\n",
                opts.inflight, static_cast<unsigned long long>(s.count),
                s.seconds, rate, s.p50, s.p99);
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

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> result;
  std::string item;
  std::istringstream in{text};
  while (std::getline(in, item, ','))
    if (!item.empty())
      result.push_back(item);
  return result;
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
      std::cout << "agent_bench (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if (arg == "--inproc") {
      opts.inproc = true;
    } else if (arg == "--serve") {
      opts.serve = next();
    } else if (arg == "--client") {
      opts.client = next();
    } else if (arg == "--spawn") {
      opts.spawn = next();
    } else if (arg == "--cases") {
      opts.cases = split(next());
    } else if (arg == "--messages") {
      opts.messages = parse_count(next(), arg);
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
    } else if (arg == "--raw-in-container") {
      opts.raw_in_container = true;
    } else if (arg == "--tsv") {
      opts.tsv = true;
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  if (int{opts.inproc} + int{!opts.client.empty()} + int{!opts.serve.empty()}
      != 1)
    usage_error("give one of --inproc, --client URL and --serve HOST:PORT");
  if (!opts.serve.empty())
    return run_server(opts);
  if (opts.inflight == 0 || opts.calls == 0)
    usage_error("--inflight and --calls must be positive");
  auto rc = opts.inproc ? run_inproc(opts) : run_client(opts);
  std::fflush(stdout);
  // Bound the shutdown: report a hang instead of hanging a benchmark run.
  std::thread{[] {
    std::this_thread::sleep_for(std::chrono::seconds{10});
    std::fputs("agent_bench: the actor system did not shut down within 10 s\n",
               stderr);
    std::_Exit(3);
  }}.detach();
  return rc;
}
