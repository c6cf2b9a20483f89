// agent_examples: the examples of the aiomas docs' agent chapter ("The agent
// layer") and clocks chapter ("Container clocks"), one subcommand each. Every
// example starts its containers in this process (TCP on 127.0.0.1, or
// LocalQueue) and prints what the docs print (`agent_examples --help` lists
// them). TLS containers are in tls_containers.cpp, subprocess containers in
// subproc_master.cpp.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/after.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "mas/aiomas/address.hpp"
#include "mas/aiomas/agent.hpp"
#include "mas/aiomas/container.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/service.hpp"
#include "mas/version.hpp"

namespace {

using namespace std::chrono_literals;
using mas::wire::value;

/// Starts an agent's task (aiomas: `await agent.run(...)`). Agents answer
/// it once the task is done.
using run_atom = caf::atom_constant<caf::atom("run")>;

/// How long main waits for a task before it gives up.
constexpr auto wait_timeout = 30s;

// -- helpers ------------------------------------------------------------------

bool report(const caf::error& err) {
  std::cerr << "agent_examples: " << mas::render(err) << "\n";
  return false;
}

/// What every example gets: the connection options (the codec) and which
/// clock `clocks` uses.
struct setup {
  mas::aiomas::container_options opts;
  bool external_clock = false;
};

/// aiomas `Container.create(addr)`; null (after printing why) if it fails.
std::unique_ptr<mas::aiomas::container>
make_container(const std::string& addr,
               mas::aiomas::container_options opts = {}) {
  auto c = mas::aiomas::container::create(addr, std::move(opts));
  if (!c) {
    report(c.error());
    return nullptr;
  }
  return std::move(*c);
}

/// aiomas `aiomas.run(until=agent.run(xs...))`: sends `run` to the agent and
/// waits for its answer.
template <class... Ts>
bool run_until_done(mas::container& home, const caf::actor& agent, Ts&&... xs) {
  caf::scoped_actor self{home.system()};
  bool ok = true;
  self->request(agent, wait_timeout, run_atom::value, std::forward<Ts>(xs)...)
    .receive([](caf::ok_atom) {}, [&](caf::error& err) { ok = report(err); });
  return ok;
}

// -- hello-world --------------------------------------------------------------

/// A single, proactive agent: its task prints "Hello, World!" three times,
/// sleeping 0.1 s on the container's clock before each.
class hello_world : public mas::aiomas::agent {
public:
  hello_world(caf::actor_config& cfg, mas::agent_init init,
              std::string agent_name)
    : agent(cfg, std::move(init)), agent_name_(std::move(agent_name)) {
    // nop
  }

  const char* name() const override {
    return "HelloWorld";
  }

  caf::behavior make_behavior() override {
    // The agent's own messages next to the calls it exposes (none here).
    return agent_handler().or_else([this](run_atom) {
      std::cout << agent_name_ << " says:" << std::endl;
      auto done = make_response_promise();
      greet(done, 3);
      return done;
    });
  }

private:
  /// Sleeps, prints, and goes on until `times` greetings are done.
  void greet(caf::response_promise done, int times) {
    if (times == 0) {
      done.deliver(caf::ok_atom_v);
      return;
    }
    clock().sleep(this, 0.1).then([this, done, times](double) mutable {
      std::cout << "Hello, World!" << std::endl;
      greet(std::move(done), times - 1);
    });
  }

  std::string agent_name_;
};

bool hello_world_example(const setup& env) {
  // Containers start with a factory function:
  auto container = make_container("127.0.0.1:0", env.opts);
  if (!container)
    return false;
  // Now we can spawn an agent and start its task:
  auto agent = container->spawn<hello_world>("Monty");
  auto ok = run_until_done(*container, agent);
  container->shutdown(); // closes all connections and the server
  return ok;
}

// -- caller-callee ------------------------------------------------------------

/// A reactive agent: other agents may call its exposed `spam(times)`.
class callee : public mas::aiomas::agent {
public:
  callee(caf::actor_config& cfg, mas::agent_init init,
         std::string word = "spam")
    : agent(cfg, std::move(init)), word_(std::move(word)) {
    // Exposed methods can be called by other agents:
    expose("spam",
           [this](std::int64_t times) {
             std::string result;
             for (std::int64_t i = 0; i < times; ++i)
               result += word_;
             return result;
           },
           {"times"});
  }

  const char* name() const override {
    return "Callee";
  }

private:
  std::string word_;
};

/// Calls `f(type)` with the class name aiomas shows in a proxy's repr,
/// `CalleeProxy('tcp://...')`: what the agent's container answers to
/// `validate_aid`. (`container::connect` asks it too, but an `rpc::proxy`
/// carries only its connection and path, so we ask once more.)
template <class Self, class F>
void agent_type_of(Self* self, const mas::rpc::proxy& agent,
                   const std::string& url, F f) {
  auto aid = mas::aiomas::parse_agent_url(url)->aid;
  mas::rpc::proxy root{agent.channel(), "", agent.proxy_type_id()};
  root.call<std::string>(self, "validate_aid", aid)
    .then(std::move(f), [](caf::error& err) { report(err); });
}

/// A proactive agent: its task connects to a callee and calls `spam(3)`.
class caller : public mas::aiomas::agent {
public:
  using agent::agent;

  const char* name() const override {
    return "Caller";
  }

  caf::behavior make_behavior() override {
    return agent_handler().or_else([this](run_atom, std::string callee_addr) {
      auto done = make_response_promise();
      std::cout << to_string() << " connecting to " << callee_addr << std::endl;
      // Ask the container to connect to the other agent:
      connect(callee_addr)
        .then(
          [this, done, callee_addr](mas::rpc::proxy callee) mutable {
            agent_type_of(this, callee, callee_addr, [=](std::string type) {
              std::cout << to_string() << " connected to " << type << "Proxy('"
                        << callee_addr << "')" << std::endl;
              // "callee" is a proxy of the other agent: it calls the
              // methods the agent exposes.
              callee.call<std::string>(this, "spam", 3)
                .then(
                  [this, done](std::string result) mutable {
                    std::cout << to_string() << " got " << result << std::endl;
                    done.deliver(caf::ok_atom_v);
                  },
                  [done](caf::error& err) mutable { done.deliver(err); });
            });
          },
          [done](caf::error& err) mutable { done.deliver(err); });
      return done;
    });
  }
};

bool caller_callee(const setup& env) {
  auto container = make_container("127.0.0.1:0", env.opts);
  if (!container)
    return false;
  auto callee_agent = container->spawn<callee>();
  auto caller_agent = container->spawn<caller>();
  auto ok = run_until_done(*container, caller_agent,
                           container->address_of(mas::aid_of(callee_agent)));
  container->shutdown();
  return ok;
}

// -- multi-container / local-queue --------------------------------------------

/// Calls `spam(2)` on each of a list of agents, one after the other.
class spam_collector : public mas::aiomas::agent {
public:
  using agent::agent;

  const char* name() const override {
    return "Caller";
  }

  caf::behavior make_behavior() override {
    return agent_handler().or_else(
      [this](run_atom, std::vector<std::string> addrs) {
        auto done = make_response_promise();
        visit(std::move(addrs), 0, done);
        return done;
      });
  }

private:
  void visit(std::vector<std::string> addrs, std::size_t i,
             caf::response_promise done) {
    if (i == addrs.size()) {
      done.deliver(caf::ok_atom_v);
      return;
    }
    auto fail = [done](caf::error& err) mutable { done.deliver(err); };
    auto addr = addrs[i];
    connect(addr).then(
      [=](mas::rpc::proxy other) {
        other.call<std::string>(this, "spam", 2)
          .then(
            [=](std::string result) {
              std::cout << to_string() << " got " << result << " from " << addr
                        << std::endl;
              visit(addrs, i + 1, done);
            },
            fail);
      },
      fail);
  }
};

/// Agents A and B in one container, C in another, and a caller in a third:
/// the caller's container opens one connection per container it talks to,
/// so A and B share one.
bool distributed(const setup& env, const std::vector<std::string>& addrs) {
  auto c1 = make_container(addrs[0], env.opts);
  auto c2 = make_container(addrs[1], env.opts);
  auto c3 = make_container(addrs[2], env.opts);
  if (!c1 || !c2 || !c3)
    return false;
  auto a = c1->spawn<callee>("spam");
  auto b = c1->spawn<callee>("eggs");
  auto c = c2->spawn<callee>("ham");
  auto caller_agent = c3->spawn<spam_collector>();
  std::vector<std::string> callees{c1->address_of(mas::aid_of(a)),
                                   c2->address_of(mas::aid_of(c)),
                                   c1->address_of(mas::aid_of(b))};
  if (!run_until_done(*c3, caller_agent, callees))
    return false;
  std::cout << "3 agents in 2 containers: " << c3->outgoing_connections()
            << " connections" << std::endl;
  for (auto* x : {c3.get(), c2.get(), c1.get()})
    x->shutdown();
  return true;
}

bool multi_container(const setup& env) {
  return distributed(env, {"127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"});
}

bool local_queue(const setup& env) {
  // aiomas.local_queue: containers in one process, no sockets, and a
  // deterministic order of messages per connection.
  return distributed(env, {"local:a", "local:b", "local:c"});
}

// -- clocks -------------------------------------------------------------------

/// Schedules calls on the container's clock (aiomas `call_in`/`call_at`)
/// and cancels one of them before it is due.
class scheduler : public mas::aiomas::agent {
public:
  using agent::agent;

  const char* name() const override {
    return "Scheduler";
  }

  caf::behavior make_behavior() override {
    return agent_handler().or_else([this](run_atom) {
      auto done = make_response_promise();
      auto& clk = clock();
      // Scheduled in the order they are due: each deadline also holds when
      // an external clock moves on between two of these lines.
      clk.call_at(this, clk.time() + 0.1, [this] {
        std::cout << "call_at(time() + 0.1): cancelling the call_in(0.3)"
                  << std::endl;
        doomed_.cancel();
      });
      clk.call_in(this, 0.2, [] { std::cout << "call_in(0.2)" << std::endl; });
      doomed_ = clk.call_in(this, 0.3, [] {
        std::cout << "call_in(0.3): cancelled, never printed" << std::endl;
      });
      clk.call_at(this, clk.utcnow().plus(0.4), [done]() mutable {
        std::cout << "call_at(utcnow() + 0.4 s)" << std::endl;
        done.deliver(caf::ok_atom_v);
      });
      return done;
    });
  }

private:
  mas::timer_handle doomed_;
};

bool clocks(const setup& env) {
  auto opts = env.opts;
  if (env.external_clock)
    opts.make_clock = [](caf::actor_system& sys) {
      return mas::clock::external(sys, "2016-01-01T00:00:00");
    };
  auto container = make_container("127.0.0.1:0", opts);
  if (!container)
    return false;
  auto agent = container->spawn<scheduler>();
  if (!env.external_clock) {
    auto ok = run_until_done(*container, agent);
    container->shutdown();
    return ok;
  }
  // The same agent on an external clock: main plays the simulator and
  // steps the clock to the next pending call until the task is done.
  auto clk = container->clock();
  caf::scoped_actor self{container->system()};
  self->send(agent, run_atom::value); // answered once the task is done
  bool ok = false;
  auto give_up = std::chrono::steady_clock::now() + wait_timeout;
  for (bool running = true; running;)
    self->receive(
      [&](caf::ok_atom) {
        ok = true;
        running = false;
      },
      [&](caf::error& err) { running = report(err); },
      caf::after(10ms) >>
        [&] {
          if (auto t = clk.next_activity())
            clk.set_time(*t);
          else if (std::chrono::steady_clock::now() > give_up)
            running = report(make_error(caf::sec::request_timeout));
        });
  container->shutdown();
  return ok;
}

// -- external-clock -----------------------------------------------------------

/// The docs' Sleeper: sleeps 1 s on the container's clock.
class sleeper : public mas::aiomas::agent {
public:
  using agent::agent;

  const char* name() const override {
    return "Sleeper";
  }

  caf::behavior make_behavior() override {
    return agent_handler().or_else([this](run_atom) {
      std::cout << "Gonna sleep for 1s ..." << std::endl;
      auto done = make_response_promise();
      clock().sleep(this, 1).then(
        [done](double) mutable { done.deliver(caf::ok_atom_v); });
      return done;
    });
  }
};

/// Lets the time pass twice as fast as real time: one second of clock time
/// every 0.5 s (the docs' `clock_setter(factor=0.5)`).
caf::behavior clock_setter(caf::event_based_actor* self, mas::clock clk) {
  self->delayed_send(self, 500ms, caf::tick_atom_v);
  return {
    [=](caf::tick_atom) {
      clk.set_time(clk.time() + 1);
      self->delayed_send(self, 500ms, caf::tick_atom_v);
    },
  };
}

bool external_clock(const setup& env) {
  auto opts = env.opts;
  opts.make_clock = [](caf::actor_system& sys) {
    return mas::clock::external(sys, "2016-01-01T00:00:00");
  };
  auto container = make_container("127.0.0.1:0", opts);
  if (!container)
    return false;
  // Start the process that sets the clock:
  auto setter = container->system().spawn(clock_setter, container->clock());
  // Start the agent and measure how long it runs in real time:
  auto agent = container->spawn<sleeper>();
  auto start = std::chrono::steady_clock::now();
  auto ok = run_until_done(*container, agent);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  if (ok)
    std::printf("Agent process finished after %.1fs\n", took.count());
  caf::anon_send_exit(setter, caf::exit_reason::user_shutdown);
  container->shutdown();
  return ok;
}

// -- typed-agent --------------------------------------------------------------

/// An agent written as a CAF typed actor: its interface is checked at
/// compile time; `expose_typed` makes two of its handlers callable by name.
using calculator_actor
  = caf::typed_actor<caf::replies_to<caf::add_atom, std::int64_t,
                                     std::int64_t>::with<std::int64_t>,
                     caf::replies_to<caf::get_atom>::with<std::int64_t>>;

struct calculator_state {
  std::int64_t calls = 0;
};

calculator_actor::behavior_type
calculator(calculator_actor::stateful_pointer<calculator_state> self) {
  return {
    [self](caf::add_atom, std::int64_t a, std::int64_t b) {
      ++self->state.calls;
      return a + b;
    },
    [self](caf::get_atom) { return self->state.calls; },
  };
}

bool typed_agent(const setup& env) {
  auto home = make_container("127.0.0.1:0", env.opts);
  auto other = make_container("127.0.0.1:0", env.opts);
  if (!home || !other)
    return false;
  // Spawn the typed actor, name its handlers, register it as an agent:
  auto calc = home->system().spawn(calculator);
  auto router = mas::rpc::service::make("Calculator");
  router->expose_typed(calc,
                       mas::rpc::method("add", {"a", "b"}, caf::add_atom_v),
                       mas::rpc::method("calls", {}, caf::get_atom_v));
  auto aid
    = home->add_agent("Calculator", caf::actor_cast<caf::actor>(calc), router);
  std::cout << "Calculator('" << home->address_of(aid) << "')" << std::endl;
  // Any agent, C++ or Python, calls it by address like any other agent:
  auto proxy = other->connect(home->address_of(aid));
  if (!proxy)
    return report(proxy.error());
  caf::scoped_actor self{other->system()};
  bool ok = true;
  auto fail = [&](caf::error& err) { ok = report(err); };
  for (auto [a, b] : {std::pair{3, 4}, std::pair{5, 6}})
    proxy->call<std::int64_t>(self.ptr(), "add", a, b)
      .receive(
        [&, a = a, b = b](std::int64_t sum) {
          std::cout << "add(" << a << ", " << b << ") = " << sum << std::endl;
        },
        fail);
  proxy->call<std::int64_t>(self.ptr(), "calls")
    .receive([](std::int64_t n) { std::cout << "calls() = " << n << "\n"; },
             fail);
  other->shutdown();
  home->shutdown(); // stops the registered agents, the typed actor too
  return ok;
}

// -- main ---------------------------------------------------------------------

struct example {
  const char* name;
  const char* summary;
  bool (*run)(const setup&);
};

const example examples[] = {
  {"hello-world", "one proactive agent greets 3 times, sleeping 0.1 s",
   hello_world_example},
  {"caller-callee", "Caller connects to Callee by address, calls spam(3)",
   caller_callee},
  {"multi-container", "a caller and 3 agents in 3 containers over TCP",
   multi_container},
  {"local-queue", "the same over LocalQueue (no sockets)", local_queue},
  {"clocks", "call_in, call_at (number and date), cancel", clocks},
  {"external-clock", "a clock setter drives an external clock", external_clock},
  {"typed-agent", "a caf::typed_actor as an agent, exposed by name",
   typed_agent},
};

void print_usage() {
  std::cout << "usage: agent_examples [OPTIONS] EXAMPLE...\n\n"
               "Runs examples of the aiomas docs' agent and clock chapters; "
               "each starts its\ncontainers in this process (TCP on "
               "127.0.0.1 or LocalQueue).\n\nexamples:\n";
  for (auto& x : examples) {
    std::string name = x.name;
    name.resize(20, ' ');
    std::cout << "  " << name << x.summary << "\n";
  }
  std::cout << "  all                 every example in this order\n\n"
               "options:\n"
               "  --codec NAME        json (default), msgpack or "
               "msgpack-blosc\n"
               "  --clock KIND        for 'clocks': realtime (default) or "
               "external (main steps\n"
               "                      it to each next activity; same "
               "output)\n"
               "  -h, --help          show this text\n"
               "  --version           print \"agent_examples (libmas) "
               "VERSION\"\n";
}

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "agent_examples: " << what << "\n(see --help)\n";
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  setup env;
  std::vector<const example*> selected;
  auto select = [&](const std::string& name) {
    if (name == "all") {
      for (auto& x : examples)
        selected.push_back(&x);
      return;
    }
    auto i = std::find_if(std::begin(examples), std::end(examples),
                          [&](const example& x) { return name == x.name; });
    if (i == std::end(examples))
      usage_error("unknown example '" + name + "'");
    selected.push_back(&*i);
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        usage_error("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      print_usage();
      return 0;
    } else if (arg == "--version") {
      std::cout << "agent_examples (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if (arg == "--codec") {
      auto name = next();
      auto kind = mas::wire::parse_codec_kind(name);
      if (!kind)
        usage_error("unknown codec '" + name + "'");
      env.opts.codec = *kind;
    } else if (arg == "--clock") {
      auto kind = next();
      if (kind != "realtime" && kind != "external")
        usage_error("--clock expects realtime or external");
      env.external_clock = kind == "external";
    } else if (!arg.empty() && arg[0] == '-') {
      usage_error("unknown option " + arg);
    } else {
      select(arg);
    }
  }
  if (selected.empty())
    usage_error("no example given");
  for (auto x : selected) {
    if (selected.size() > 1)
      std::cout << "-- " << x->name << std::endl;
    if (!x->run(env))
      return 1;
  }
  return 0;
}
