// interop_agent_master_probe: a C++ master (mas::aiomas::container) that starts
// a real Python aiomas.subproc container as a child process
// (mas::aiomas::subprocess), drives its Manager (mas::aiomas::manager_proxy)
// and prints what it saw, one `name: result` line per step, for
// test_agents_cpp_master.py to assert on. Results print as Python repr;
// failures as `error: <errc>: <last line of the text>`.
//
//   interop_agent_master_probe --codec NAME --port P --scenario
//   main|realtime|vanish|sigterm
//                      [--tls CA CERT KEY] -- CHILD-ARGV...
//
// The child must serve a Manager at tcp://127.0.0.1:P/0 (the probe
// connects with a 30 s connect timeout, retrying like aiomas) and spawn
// py_agents' agents by qualname.

#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "../../examples/aiomas/demo_agents.hpp"
#include "mas/aiomas/container.hpp"
#include "mas/aiomas/subproc.hpp"
#include "mas/errc.hpp"
#include "mas/version.hpp"
#include "mas/wire/date.hpp"

using namespace std::chrono_literals;
using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;
namespace aiomas = mas::aiomas;

namespace {

constexpr const char* usage
  = "usage: interop_agent_master_probe --codec NAME --port P --scenario "
    "main|realtime|vanish|sigterm [--tls CA CERT KEY] -- CHILD-ARGV...\n";

/// `ping(x)` → `["pong", x]`: a C++ agent that Python agents call back.
class pinger : public aiomas::agent {
public:
  pinger(caf::actor_config& cfg, mas::agent_init init)
    : agent(cfg, std::move(init)) {
    expose("ping",
           [](value x) {
             return array{value{"pong"}, std::move(x)};
           },
           {"x"});
  }
  const char* name() const override {
    return "Pinger";
  }
};

std::string last_line(const caf::error& err) {
  auto text = mas::error_text(err);
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  auto pos = text.rfind('\n');
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

std::string code_of(const caf::error& err) {
  if (err.category() == caf::atom("mas"))
    return mas::to_string(static_cast<mas::errc>(err.code()));
  return mas::render(err);
}

std::string str(const caf::expected<value>& x) {
  // Arrow dates (extension type 0) as `date ISO`.
  if (auto e = x ? x->get_if<mas::wire::ext>() : nullptr;
      e != nullptr && e->type_id() == 0 && e->repr().is_string())
    return "date " + e->repr().as_string();
  if (x)
    return mas::wire::to_string(*x);
  return "error: " + code_of(x.error()) + ": " + last_line(x.error());
}

void print(const std::string& name, const std::string& text) {
  std::cout << name << ": " << text << std::endl;
}

template <class Handle>
caf::expected<value> get(Handle hdl) {
  caf::expected<value> result{caf::error{}};
  hdl.receive([&](value& v) { result = std::move(v); },
              [&](caf::error& err) { result = std::move(err); });
  return result;
}

struct master {
  aiomas::container& home;
  aiomas::manager_proxy mgr;

  template <class... Ts>
  caf::expected<value> call(const mas::rpc::proxy& p, const std::string& m,
                            Ts&&... xs) {
    caf::scoped_actor self{home.system()};
    return get(
      p.with_timeout(30s).call(self.ptr(), m, std::forward<Ts>(xs)...));
  }

  caf::expected<value> spawn(std::string qualname, array args = {},
                             dict kwargs = {}) {
    caf::scoped_actor self{home.system()};
    return get(mgr.spawn(self.ptr(), std::move(qualname), std::move(args),
                         std::move(kwargs)));
  }

  /// Spawns and prints the address; nullopt (printed) on failure.
  std::optional<aiomas::spawned_agent>
  spawned(const std::string& name, std::string qualname, dict kwargs = {}) {
    auto res = spawn(std::move(qualname), {}, std::move(kwargs));
    if (!res) {
      print(name, str(res));
      return std::nullopt;
    }
    auto agent = mgr.spawned_of(*res);
    if (!agent) {
      print(name, "error: " + mas::render(agent.error()));
      return std::nullopt;
    }
    print(name, agent->addr);
    return *agent;
  }

  caf::expected<value> set_time(double t) {
    caf::scoped_actor self{home.system()};
    return get(mgr.set_time(self.ptr(), t));
  }

  caf::expected<value> stop() {
    caf::scoped_actor self{home.system()};
    return get(mgr.stop(self.ptr()));
  }
};

/// The main scenario: every kind of call between the two languages, the
/// external clock and aiomas's failure texts.
void run_main(master& m, aiomas::container& home, const std::string& base) {
  auto cpp_callee = home.spawn<mas::demo::callee>("cpp");
  auto cpp_caller = home.spawn<mas::demo::caller>();
  auto cpp_relay = home.spawn<mas::demo::relay>();
  auto cpp_pinger = home.spawn<pinger>();
  auto addr
    = [&](const caf::actor& a) { return home.address_of(mas::aid_of(a)); };
  // Python agents spawned by qualname, with kwargs.
  auto callee = m.spawned("spawn_callee", "py_agents:Callee",
                          dict{{value{"word"}, value{"eggs"}}});
  if (!callee)
    return;
  print("callee_path", callee->agent.path());
  print("spam", str(m.call(callee->agent, "spam", 2)));
  print("spam_kw", str(m.call(callee->agent.with_timeout(30s), "spam", 1)));
  print("unknown_method", str(m.call(callee->agent, "nope")));
  // A Python agent calls a C++ agent by address.
  auto caller = m.spawned("spawn_caller", "py_agents:Caller");
  if (caller)
    print("py_caller_run", str(m.call(caller->agent, "run", addr(cpp_callee))));
  if (caller)
    print("py_caller_missing",
          str(m.call(caller->agent, "run", home.address_of("9"))));
  // A C++ agent calls a Python agent by address.
  if (auto me
      = home.connect(addr(cpp_caller), std::chrono::duration<double>{10})) {
    print("cpp_caller_run", str(m.call(*me, "run", callee->addr)));
    print("cpp_caller_missing", str(m.call(*me, "run", base + "9")));
    print("cpp_caller_bad_url", str(m.call(*me, "run", "tcp://127.0.0.1/0")));
  } else {
    print("cpp_caller_run", "error: " + mas::render(me.error()));
  }
  // A C++ agent passed to a Python relay, which calls it back.
  auto relay = m.spawned("spawn_relay", "py_agents:Relay");
  std::string type_name;
  auto cpp_pinger_router = mas::router_of(cpp_pinger, &type_name);
  if (relay)
    print("py_relay_call_back",
          str(m.call(relay->agent, "call_back", cpp_pinger_router,
                     array{value{1}, value{"two"}})));
  // A Python agent passes itself to a C++ relay, which calls it back.
  auto py_pinger = m.spawned("spawn_pinger", "py_agents:Pinger");
  if (py_pinger)
    print("py_pinger_ask_relay",
          str(m.call(py_pinger->agent, "ask_relay", addr(cpp_relay), 7)));
  // The Python external clock, set by the C++ master.
  auto sleeper = m.spawned("spawn_sleeper", "py_agents:Sleeper");
  if (sleeper) {
    print("time0", str(m.call(sleeper->agent, "time")));
    print("utcnow0", str(m.call(sleeper->agent, "utcnow")));
    {
      caf::scoped_actor self{home.system()};
      auto hdl
        = sleeper->agent.with_timeout(30s).call(self.ptr(), "sleep", 2.0);
      m.call(sleeper->agent, "time");
      print("set_time_2", str(m.set_time(2.0)));
      print("sleep", str(get(std::move(hdl))));
    }
    {
      auto start = m.call(sleeper->agent, "utcnow");
      caf::scoped_actor self{home.system()};
      auto date = mas::wire::from_value<mas::wire::date>(
        *start, sleeper->agent.types());
      auto hdl = sleeper->agent.with_timeout(30s).call(
        self.ptr(), "sleep_until", date.plus(1.0));
      m.call(sleeper->agent, "time");
      print("set_time_3_5", str(m.set_time(3.5)));
      print("sleep_until_date", str(get(std::move(hdl))));
      print("utcnow", str(m.call(sleeper->agent, "utcnow")));
      print("sleep_until_past",
            str(m.call(sleeper->agent, "sleep_until", date)));
    }
    print("set_time_back", str(m.set_time(1.0)));
  }
  // Bad input.
  auto missing = home.connect(base + "9", std::chrono::duration<double>{10});
  print("unknown_aid", missing ? std::string{"connected?"}
                               : "error: " + code_of(missing.error()) + ": "
                                   + last_line(missing.error()));
  print("spawn_unknown_module", str(m.spawn("nope:Nope")));
  print("spawn_unknown_class", str(m.spawn("py_agents:Nope")));
  print("spawn_bad_kwargs",
        str(m.spawn("py_agents:Callee", {}, dict{{value{"wort"}, value{1}}})));
  print("stop", str(m.stop()));
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string codec = "json";
  std::string scenario = "main";
  int port = 0;
  std::optional<mas::net::ssl_certs> tls;
  std::vector<std::string> child;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    } else if (arg == "--version") {
      std::cout << "interop_agent_master_probe (libmas) " << MAS_VERSION_STRING
                << "\n";
      return 0;
    } else if (arg == "--codec" && i + 1 < args.size()) {
      codec = args[++i];
    } else if (arg == "--port" && i + 1 < args.size()) {
      port = std::stoi(args[++i]);
    } else if (arg == "--scenario" && i + 1 < args.size()) {
      scenario = args[++i];
    } else if (arg == "--tls" && i + 3 < args.size()) {
      tls = mas::net::ssl_certs{args[i + 1], args[i + 2], args[i + 3]};
      i += 3;
    } else if (arg == "--") {
      child.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                   args.end());
      break;
    } else {
      std::cerr << usage;
      return 2;
    }
  }
  auto kind = mas::wire::parse_codec_kind(codec);
  if (!kind || port <= 0 || child.empty()) {
    std::cerr << usage;
    return 2;
  }
  aiomas::container_options opts;
  opts.codec = *kind;
  opts.ssl = tls;
  auto c = aiomas::container::create("127.0.0.1:0", opts);
  if (!c) {
    std::cerr << "cannot create the master container: "
              << mas::render(c.error()) << "\n";
    return 1;
  }
  auto& home = **c;
  auto proc = aiomas::subprocess::start(child);
  if (!proc) {
    std::cerr << mas::render(proc.error()) << "\n";
    return 1;
  }
  print("pid", std::to_string((*proc)->pid()));
  auto base = "tcp://127.0.0.1:" + std::to_string(port) + "/";
  // Python containers print nothing: retry connecting (aiomas's timeout)
  // until the Manager is there.
  auto mgr = aiomas::connect_manager(home, base + "0", 30s, 30s, proc->get());
  if (!mgr) {
    print("connect", "error: " + mas::render(mgr.error()));
    return 1;
  }
  print("connect", "ok");
  master m{home, std::move(*mgr)};
  if (scenario == "main") {
    run_main(m, home, base);
  } else if (scenario == "realtime") {
    print("set_time", str(m.set_time(1.0)));
    print("stop", str(m.stop()));
  } else if (scenario == "sigterm") {
    auto callee = m.spawned("spawn_callee", "py_agents:Callee");
    if (callee)
      print("spam", str(m.call(callee->agent, "spam", 1)));
    print("terminate", (*proc)->terminate() ? "sent" : "not running");
  } else if (scenario == "vanish") {
    auto sleeper = m.spawned("spawn_sleeper", "py_agents:Sleeper");
    if (sleeper) {
      caf::scoped_actor self{home.system()};
      // No timeout: only the closed connection can end this call.
      auto hdl = sleeper->agent.call(self.ptr(), "sleep", 100.0);
      m.call(sleeper->agent, "time");
      (*proc)->kill();
      print("pending_sleep", str(get(std::move(hdl))));
    }
  } else {
    std::cerr << usage;
    return 2;
  }
  auto status = (*proc)->wait(30s);
  print("exit", status ? std::to_string(*status) : std::string{"running"});
  proc->reset();
  home.shutdown();
  return 0;
}
