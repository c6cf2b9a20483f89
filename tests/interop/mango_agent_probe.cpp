// The C++ side of test_mango_cpp_agents.py: a C++ mango TCP container whose
// agents talk to a real Python mango container. Prints `name: result`
// lines; exits 0 when every scenario printed its line (the Python side
// judges them), 1 on setup errors, 2 on usage errors.
//
// usage: interop_mango_agent_probe --peer HOST:PORT --scenario NAME
//                                  [--python-minor N]
//   roundtrip  rich content to the peer's "echo", compared with its echo
//   acl        an ACL request to "echo", its inform reply's fields
//   burst      3000 messages to "echo", how many came back
//   reconnect  one message to "echo"; then waits for a line on stdin (the
//              peer restarts on the same port) and sends another: the pool
//              must have noticed the closed connection
//   clock      a C++ DistributedClockManager drives the peer's
//              "clock_agent" (whose container plans an event at 5)
//   ec         no peer (--peer is ignored): an external-scheduling
//              container "eid_cpp" whose agent "a" answers "reply:<content>"
//              to remote at other_sim_eid and plans a task at 5; reads one
//              hex-encoded frame per stdin line (as mango's codec wrote
//              it), steps at 1.0 with them, then at 5.0, and prints each
//              output as `out: TIME RECEIVER HEX` and `next: X`

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mas/errc.hpp"
#include "mas/log.hpp"
#include "mas/mango/distributed_clock.hpp"
#include "mas/mango/external_container.hpp"
#include "mas/mango/tcp_container.hpp"
#include "mas/version.hpp"
#include "mas/wire/convert.hpp"

namespace mango = mas::mango;
using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;
using namespace std::chrono_literals;

namespace {

constexpr const char* usage
  = "usage: interop_mango_agent_probe --peer HOST:PORT --scenario NAME "
    "[--python-minor N]\n"
    "scenarios: roundtrip acl burst reconnect clock\n";

void print(const std::string& name, const std::string& result) {
  std::cout << name << ": " << result << std::endl;
}

struct inbox {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::pair<value, dict>> got;

  void put(const value& c, const dict& m) {
    {
      std::lock_guard guard{mtx};
      got.emplace_back(c, m);
    }
    cv.notify_all();
  }

  bool wait_for(std::size_t n, std::chrono::seconds dt = 30s) {
    std::unique_lock guard{mtx};
    return cv.wait_for(guard, dt, [&] { return got.size() >= n; });
  }
};

class collector : public mango::agent {
public:
  collector(caf::actor_config& cfg, mas::agent_init init, inbox* box)
    : agent(cfg, std::move(init)), box_(box) {
  }

  const char* name() const override {
    return "Collector";
  }

  void handle_message(const value& content, const dict& meta) override {
    box_->put(content, meta);
  }

private:
  inbox* box_;
};

/// The agent of the `ec` scenario.
class sim_agent : public mango::agent {
public:
  using agent::agent;

  void on_ready() override {
    schedule_timestamp_task(
      [this] {
        send_message("at 5", mango::addr(value{"other_sim_eid"}, "remote"));
      },
      5);
  }

  void handle_message(const value& content, const dict&) override {
    send_message("reply:" + mas::wire::to_string(content),
                 mango::addr(value{"other_sim_eid"}, "remote"));
  }
};

std::string hex(const mas::wire::byte_buffer& xs) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  for (auto x : xs) {
    result += digits[x >> 4];
    result += digits[x & 15];
  }
  return result;
}

mas::wire::byte_buffer unhex(const std::string& str) {
  mas::wire::byte_buffer result;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < str.size(); i += 2)
    result.push_back(
      static_cast<std::uint8_t>(nibble(str[i]) * 16 + nibble(str[i + 1])));
  return result;
}

int run_ec(int python_minor) {
  mango::container_options opts;
  opts.type_ids = mas::wire::mango_type_ids_for(
    mas::wire::mango_wire_version::v2_1_4, python_minor);
  auto c = mango::create_ec_container("eid_cpp", opts);
  c->register_agent<sim_agent>("a");
  c->on_ready();
  std::vector<mas::wire::byte_buffer> inputs;
  for (std::string line; std::getline(std::cin, line);)
    if (!line.empty())
      inputs.push_back(unhex(line));
  for (double t : {1.0, 5.0}) {
    auto out = c->step(t, t == 1.0 ? inputs : decltype(inputs){});
    for (auto& m : out.messages)
      std::cout << "out: " << m.time << " " << mas::wire::to_string(m.receiver)
                << " " << hex(m.message) << "\n";
    std::cout << "next: "
              << (out.next_activity
                    ? mas::wire::to_string(value{*out.next_activity})
                    : std::string{"None"})
              << std::endl;
  }
  std::cout << "malformed: " << c->stats().malformed << std::endl;
  return 0;
}

value rich_content(const mango::tcp_container& home) {
  dict d;
  d.append("unicode",
           "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80 \"q\" \\ \n\t");
  d.append("ints",
           value{array{value{0}, value{-1},
                       value{std::numeric_limits<std::int64_t>::min()},
                       value{std::numeric_limits<std::int64_t>::max()}}});
  d.append("floats", value{array{value{0.1}, value{-2.5e-308}, value{1e300}}});
  dict inner;
  inner.append("b", value{});
  inner.append("c", true);
  d.append("nested",
           value{array{value{1}, value{array{value{2}, value{inner}}}}});
  d.append("big", std::string(100000, 'x'));
  // As a list: JSON has no tuples, so a tuple would come back as a list.
  d.append("addr",
           mas::wire::to_value(mango::tcp_addr(home.host(), home.port(), "me"),
                               home.types()));
  return value{std::move(d)};
}

} // namespace

int main(int argc, char** argv) {
  std::optional<std::string> peer;
  std::string scenario;
  int python_minor = 11;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "interop_mango_agent_probe (libmas) " << MAS_VERSION_STRING
                << "\n";
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << usage;
      return 2;
    }
    std::string x = argv[++i];
    if (arg == "--peer")
      peer = x;
    else if (arg == "--scenario")
      scenario = x;
    else if (arg == "--python-minor")
      python_minor = std::stoi(x);
    else {
      std::cerr << usage;
      return 2;
    }
  }
  if (scenario == "ec")
    return run_ec(python_minor);
  if (!peer || scenario.empty()) {
    std::cerr << usage;
    return 2;
  }
  mas::set_log_sink([](mas::log_level level, std::string_view text) {
    std::cerr << "probe: " << mas::to_string(level) << ": " << text << "\n";
  });
  auto target = mango::tcp_target(value{*peer});
  if (!target) {
    std::cerr << "bad --peer " << *peer << "\n";
    return 2;
  }
  mango::container_options opts;
  // C++ speaks first here, so the default table must be the peer's (a
  // peer that speaks first is learned; see test_mango_agents.py's
  // TwoPythonVersionsAtOnce).
  opts.type_ids = mas::wire::mango_type_ids_for(
    mas::wire::mango_wire_version::v2_1_4, python_minor);
  if (scenario == "clock")
    opts.make_clock = [](caf::actor_system& sys) {
      return mas::clock::external(sys, "1970-01-01T00:00:00+00:00");
    };
  auto c = mango::tcp_container::create("127.0.0.1", 0, opts);
  if (!c) {
    std::cerr << mas::render(c.error()) << "\n";
    return 1;
  }
  auto& home = **c;
  inbox box;
  home.register_agent<collector>("me", &box);
  auto echo = mango::tcp_addr(target->first, target->second, "echo");
  print("addr", home.host() + ":" + std::to_string(home.port()));
  if (scenario == "roundtrip") {
    auto content = rich_content(home);
    home.send_message(content, echo, "me");
    if (!box.wait_for(1)) {
      print("roundtrip", "timeout");
    } else {
      auto& [got, meta] = box.got[0];
      std::string diff;
      if (got.is_dict())
        for (auto& [k, v] : content.as_dict()) {
          auto other = got.as_dict().find(k);
          if (other == nullptr || !(*other == v))
            diff += " " + mas::wire::to_string(k) + "="
                    + (other ? mas::wire::to_string(*other).substr(0, 200)
                             : "missing");
        }
      print("roundtrip",
            diff.empty() && got == content ? "equal" : "differs:" + diff);
      print("sender", mas::wire::to_string(*meta.find("sender_id")));
      print("learned", home.learned_type_ids(*peer) ? "yes" : "no");
    }
  } else if (scenario == "acl") {
    dict md;
    md.append("performative", "request");
    md.append("conversation_id", "c-9");
    md.append("reply_with", "rw-1");
    home.send_message(
      mango::create_acl("question", echo, home.agent_addr("me"), md), echo);
    if (!box.wait_for(1)) {
      print("acl", "timeout");
    } else {
      auto& [got, meta] = box.got[0];
      auto perf = mango::performative_of(meta);
      print("acl", mas::wire::to_string(got));
      print("performative", perf ? mas::wire::to_string(*perf) : "none");
      print("conversation_id",
            mas::wire::to_string(*meta.find("conversation_id")));
      print("in_reply_to", mas::wire::to_string(*meta.find("in_reply_to")));
    }
  } else if (scenario == "burst") {
    constexpr int n = 3000;
    for (int i = 0; i < n; ++i)
      home.send_message(i, echo, "me");
    box.wait_for(n, 60s);
    std::lock_guard guard{box.mtx};
    print("burst", std::to_string(box.got.size()));
  } else if (scenario == "reconnect") {
    home.send_message("one", echo, "me");
    print("first", box.wait_for(1) ? "echoed" : "timeout");
    std::string line;
    std::getline(std::cin, line); // the peer restarts meanwhile
    // Wait until the pool saw the old connection close.
    for (int i = 0; i < 3000 && home.outgoing_connections() > 0; ++i)
      std::this_thread::sleep_for(10ms);
    home.send_message("two", echo, "me");
    print("second", box.wait_for(2) ? "echoed" : "timeout");
    print("resent", std::to_string(home.stats().resent));
  } else if (scenario == "clock") {
    auto manager = home.register_agent<mango::distributed_clock_manager>(
      "clock_manager", std::vector<mango::agent_address>{mango::tcp_addr(
                         target->first, target->second, "clock_agent")});
    home.on_ready();
    auto& sys = home.system();
    auto first = mango::get_next_event(sys, manager);
    print("next_event", first ? mas::wire::to_string(value{*first})
                              : mas::render(first.error()));
    home.clock().set_time(5);
    auto second = mango::distribute_time(sys, manager);
    print("after_5", second ? mas::wire::to_string(value{*second})
                            : mas::render(second.error()));
    print("stop", mas::render(mango::stop_clocks(sys, manager)));
  } else {
    std::cerr << usage;
    return 2;
  }
  home.shutdown();
  return 0;
}
