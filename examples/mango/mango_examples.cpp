// mango_examples: mango's own scenarios with C++ agents, one subcommand each
// (`mango_examples --help` lists them). Every example starts its containers
// in this process on 127.0.0.1 and prints what happens; `join` talks to a
// running Python mango system instead.

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "mas/agent/idle.hpp"
#include "mas/errc.hpp"
#include "mas/mango/distributed_clock.hpp"
#include "mas/mango/external_container.hpp"
#include "mas/mango/role.hpp"
#include "mas/mango/tcp_container.hpp"
#include "mas/version.hpp"

namespace {

namespace mango = mas::mango;
using mas::wire::dict;
using mas::wire::value;
using namespace std::chrono_literals;

constexpr const char* usage = R"(usage: mango_examples EXAMPLE [OPTIONS]

examples:
  roundtrip   mango's initiator/replier ping-pong between two TCP containers
              ("Hello", "Hello2", "Goodbye"), MangoMessages and then ACL
  clock       a DistributedClockManager drives a DistributedClockAgent in
              another container
  ec          an external-scheduling container stepped by a "simulator"
  roles       an agent made of two roles (a subscription and an event)
  typed       a CAF typed actor as a mango agent
  join --peer HOST:PORT [--aid AID] [--python-minor N]
              a C++ agent joins a running Python mango system: it sends
              {"hello": "from C++"} to AID (default echo) and prints the
              answer (e.g. tests/interop/py_mango_echo.py). The peer runs
              on Python 3.N (default 11): mango's type ids depend on it,
              and C++ speaks first, so it must be told

options:
  -h, --help  show this text
  --version   print the version
)";

/// Waits for one line of output from an agent (30 s at most).
struct printout {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::string> lines;

  void put(std::string x) {
    {
      std::lock_guard guard{mtx};
      lines.push_back(std::move(x));
    }
    cv.notify_all();
  }

  bool wait_for(std::size_t n) {
    std::unique_lock guard{mtx};
    return cv.wait_for(guard, 30s, [&] { return lines.size() >= n; });
  }
};

mango::container_options external_clock() {
  mango::container_options opts;
  opts.make_clock = [](caf::actor_system& sys) {
    return mas::clock::external(sys, "1970-01-01T00:00:00+00:00");
  };
  return opts;
}

std::unique_ptr<mango::tcp_container> tcp(mango::container_options opts = {}) {
  auto c = mango::tcp_container::create("127.0.0.1", 0, std::move(opts));
  if (!c) {
    std::cerr << "mango_examples: " << mas::render(c.error()) << "\n";
    std::exit(1);
  }
  return std::move(*c);
}

// -- roundtrip
// ------------------------------------------------------------------

/// mango's test_message_roundtrip: the replier answers "Hello" with
/// "Hello2" and "Goodbye" ends it.
class replier : public mango::agent {
public:
  replier(caf::actor_config& cfg, mas::agent_init init, printout* out)
    : agent(cfg, std::move(init)), out_(out) {
  }

  const char* name() const override {
    return "Replier";
  }

  void handle_message(const value& content, const dict& meta) override {
    out_->put("replier got " + mas::wire::to_string(content));
    if (content == value{"Hello"})
      send_message("Hello2", mango::sender_addr(meta));
    else if (mango::performative_of(meta))
      send_message(
        mango::reply_acl(meta, "Goodbye", mango::performative::inform, addr()),
        mango::sender_addr(meta));
  }

private:
  printout* out_;
};

class initiator : public mango::agent {
public:
  initiator(caf::actor_config& cfg, mas::agent_init init, printout* out,
            mango::agent_address peer)
    : agent(cfg, std::move(init)), out_(out), peer_(std::move(peer)) {
  }

  const char* name() const override {
    return "Initiator";
  }

  void on_ready() override {
    send_message("Hello", peer_);
  }

  void handle_message(const value& content, const dict& meta) override {
    out_->put("initiator got " + mas::wire::to_string(content));
    if (content == value{"Hello2"}) {
      dict md;
      md.append("performative", "request");
      md.append("conversation_id", "conv-1");
      md.append("reply_with", "bye?");
      send_message(mango::create_acl("May I go?", peer_, addr(), md), peer_);
    } else {
      auto perf = mango::performative_of(meta);
      out_->put(std::string{"  performative "}
                + (perf ? mas::wire::to_string(*perf) : "none")
                + ", in_reply_to "
                + mas::wire::to_string(*meta.find("in_reply_to")));
    }
  }

private:
  printout* out_;
  mango::agent_address peer_;
};

int roundtrip() {
  printout out;
  auto c1 = tcp();
  auto c2 = tcp();
  c2->register_agent<replier>("replier", &out);
  c1->register_agent<initiator>("initiator", &out, c2->agent_addr("replier"));
  c2->on_ready();
  c1->on_ready();
  if (!out.wait_for(5))
    return 1;
  for (auto& line : out.lines)
    std::cout << line << "\n";
  return 0;
}

// -- clock
// ----------------------------------------------------------------------

class planner : public mango::agent {
public:
  using agent::agent;

  void on_start() override {
    schedule_timestamp_task(
      [this] { std::cout << "planner: task at " << clock().time() << "\n"; },
      150);
  }
};

int distributed_clock() {
  auto man = tcp(external_clock());
  auto ag = tcp(external_clock());
  ag->register_agent<mango::distributed_clock_agent>("clock_agent");
  ag->register_agent<planner>("planner");
  auto manager = man->register_agent<mango::distributed_clock_manager>(
    "clock_manager",
    std::vector<mango::agent_address>{ag->agent_addr("clock_agent")});
  ag->on_ready();
  man->on_ready();
  auto& sys = man->system();
  auto next = mango::get_next_event(sys, manager);
  if (!next)
    return 1;
  std::cout << "next event: " << *next << "\n";
  man->clock().set_time(*next);
  next = mango::distribute_time(sys, manager);
  if (!next)
    return 1;
  std::cout << "agent clock: " << ag->clock().time()
            << ", next event: " << *next << "\n";
  mango::stop_clocks(sys, manager);
  return 0;
}

// -- ec
// -------------------------------------------------------------------------

class sim_agent : public mango::agent {
public:
  using agent::agent;

  void on_ready() override {
    schedule_timestamp_task(
      [this] {
        send_message("wake-up", mango::addr(value{"other_sim_eid"}, "remote"));
      },
      5);
  }

  void handle_message(const value& content, const dict&) override {
    send_message("reply:" + content.as_string(),
                 mango::addr(value{"other_sim_eid"}, "remote"));
  }
};

void print_step(double t, const mango::step_output& out) {
  std::cout << "step(" << t << "):";
  for (auto& m : out.messages)
    std::cout << " " << std::string(m.message.begin(), m.message.end())
              << " to " << mas::wire::to_string(m.receiver);
  std::cout << "\n  next_activity "
            << (out.next_activity ? std::to_string(*out.next_activity)
                                  : std::string{"None"})
            << "\n";
}

int ec() {
  auto c = mango::create_ec_container("eid_1");
  c->register_agent<sim_agent>("a");
  c->on_ready();
  std::string hello = R"({"__type__": [-1465703651, {"content": "hello", )"
                      R"("meta": {"sender_id": "sim", "sender_addr": )"
                      R"("other_sim_eid", "receiver_id": "a"}}]})";
  print_step(
    1, c->step(1.0, {mas::wire::byte_buffer(hello.begin(), hello.end())}));
  print_step(5, c->step(5.0, {}));
  return 0;
}

// -- roles
// ------------------------------------------------------------------------

struct temperature {
  double celsius;
};

class sensor_role : public mango::role {
public:
  void setup() override {
    context().subscribe_message(
      *this,
      [this](const value& c, const dict&) {
        context().emit_event(
          temperature{c.as_dict().find("celsius")->as_double()}, this);
      },
      [](const value& c, const dict&) {
        return c.is_dict() && c.as_dict().find("celsius") != nullptr;
      });
  }
};

class alarm_role : public mango::role {
public:
  explicit alarm_role(printout* out) : out_(out) {
  }

  void setup() override {
    context().subscribe_event<temperature>(
      *this, [this](const temperature& t, mango::role*) {
        out_->put(t.celsius > 30 ? "alarm: " + std::to_string(t.celsius)
                                 : "ok: " + std::to_string(t.celsius));
      });
  }

private:
  printout* out_;
};

class plant : public mango::role_agent {
public:
  plant(caf::actor_config& cfg, mas::agent_init init, printout* out)
    : role_agent(cfg, std::move(init)) {
    add_role<sensor_role>();
    add_role<alarm_role>(out);
  }
};

int roles() {
  printout out;
  auto c = tcp();
  c->register_agent<plant>("plant", &out);
  c->on_ready();
  for (double t : {21.5, 35.0}) {
    dict d;
    d.append("celsius", t);
    c->send_message(value{std::move(d)}, c->agent_addr("plant"), "sensor");
  }
  if (!out.wait_for(2))
    return 1;
  for (auto& line : out.lines)
    std::cout << line << "\n";
  return 0;
}

// -- typed
// ------------------------------------------------------------------------

/// A mango agent as a CAF typed actor: its one handler is mango's delivery.
using greeter_actor
  = caf::typed_actor<caf::reacts_to<mango::deliver_atom, value, dict>>;

greeter_actor::behavior_type greeter(greeter_actor::pointer self,
                                     mango::container* home, printout* out) {
  return {
    [=](mango::deliver_atom, const value& content, const dict& meta) {
      out->put("greeter got " + mas::wire::to_string(content));
      home->send_message("hello " + content.as_string(),
                         mango::sender_addr(meta), "greeter");
      (void)self;
    },
  };
}

class listener : public mango::agent {
public:
  listener(caf::actor_config& cfg, mas::agent_init init, printout* out)
    : agent(cfg, std::move(init)), out_(out) {
  }

  void handle_message(const value& content, const dict& meta) override {
    out_->put("listener got " + mas::wire::to_string(content) + " from "
              + mas::wire::to_string(*meta.find("sender_id")));
  }

private:
  printout* out_;
};

int typed() {
  printout out;
  auto c = tcp();
  auto g = c->system().spawn(greeter, c.get(), &out);
  auto aid = c->add_actor(caf::actor_cast<caf::actor>(g), "greeter", "Greeter");
  c->register_agent<listener>("listener", &out);
  c->send_message("world", c->agent_addr(aid), "listener");
  if (!out.wait_for(2))
    return 1;
  for (auto& line : out.lines)
    std::cout << line << "\n";
  return 0;
}

// -- join
// ---------------------------------------------------------------------------

int join(const std::string& peer, const std::string& aid, int python_minor) {
  auto target = mango::tcp_target(value{peer});
  if (!target) {
    std::cerr << "mango_examples: --peer expects HOST:PORT\n";
    return 2;
  }
  printout out;
  // The peer's id table, for this address only (what it answers with is
  // learned anyway).
  mango::container_options opts;
  opts.peer_type_ids[target->first + ":" + std::to_string(target->second)]
    = mas::wire::mango_type_ids_for(mas::wire::mango_wire_version::v2_1_4,
                                    python_minor);
  auto c = tcp(opts);
  c->register_agent<listener>("cpp", &out);
  dict hello;
  hello.append("hello", "from C++");
  c->send_message(value{std::move(hello)},
                  mango::tcp_addr(target->first, target->second, aid), "cpp");
  if (!out.wait_for(1)) {
    std::cerr << "mango_examples: no answer from " << aid << " at " << peer
              << "\n";
    return 1;
  }
  std::cout << out.lines[0] << "\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << usage;
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") {
    std::cout << usage;
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "mango_examples (libmas) " MAS_VERSION_STRING "\n";
    return 0;
  }
  if (cmd == "roundtrip")
    return roundtrip();
  if (cmd == "clock")
    return distributed_clock();
  if (cmd == "ec")
    return ec();
  if (cmd == "roles")
    return roles();
  if (cmd == "typed")
    return typed();
  if (cmd == "join") {
    std::string peer;
    std::string aid = "echo";
    int python_minor = 11;
    for (int i = 2; i + 1 < argc; i += 2) {
      std::string arg = argv[i];
      if (arg == "--peer")
        peer = argv[i + 1];
      else if (arg == "--aid")
        aid = argv[i + 1];
      else if (arg == "--python-minor")
        python_minor = std::atoi(argv[i + 1]);
    }
    if (python_minor < 10 || python_minor > 13) {
      std::cerr << "mango_examples: --python-minor takes 10 to 13\n";
      return 2;
    }
    if (peer.empty()) {
      std::cerr << "mango_examples: join needs --peer HOST:PORT\n";
      return 2;
    }
    return join(peer, aid, python_minor);
  }
  std::cerr << "mango_examples: unknown example " << cmd << "\n" << usage;
  return 2;
}
