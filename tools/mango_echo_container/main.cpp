// mango_echo_container: one mango TCP container with three agents a Python
// mango system can talk to (and the interop tests do):
//   echo         answers a MangoMessage with the same content to its sender;
//                an ACL message with an ACL reply (inform, the same content
//                and conversation_id, in_reply_to = the request's
//                reply_with)
//   ticker       on {"subscribe": dt}, sends {"tick": <clock time>} to the
//                sender at clock time + dt
//   clock_agent  a DistributedClockAgent on the container's clock

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <pthread.h>
#include <string>
#include <thread>

#include "mas/errc.hpp"
#include "mas/log.hpp"
#include "mas/mango/distributed_clock.hpp"
#include "mas/mango/tcp_container.hpp"
#include "mas/version.hpp"
#include "mas/wire/date.hpp"

namespace mango = mas::mango;
using mas::wire::dict;
using mas::wire::value;

namespace {

constexpr const char* usage
  = R"(usage: mango_echo_container [OPTIONS] --addr HOST:PORT

Runs one mango TCP container (mango's JSON codec, type ids of mango >= 2.1.4
on Python 3.11 by default, each peer answered with the ids it uses) with the
agents echo, ticker and clock_agent. Prints "listening on HOST:PORT" (with
the port the OS chose for port 0) and then "ready" on a line of its own once
it accepts connections; exits 0 on SIGTERM or SIGINT.

options:
  --addr HOST:PORT        where to listen (required)
  --clock realtime|external
                          the container's clock (default: realtime);
                          external starts at time 0, and the clock_agent
                          (or nobody) moves it
  --python-minor N        the default id table: mango >= 2.1.4 on Python
                          3.N (10 to 13; default 11)
  --connection-ttl SECONDS
                          outgoing connections idle for longer close
                          (mango's tcp_connection_ttl; default 30)
  --log-level LEVEL       error, warning (default), info or debug
  -h, --help              show this text
  --version               print the version
)";

int fail(const std::string& msg) {
  std::cerr << "mango_echo_container: " << msg
            << "\n(see mango_echo_container --help)\n";
  return 2;
}

/// Whether `meta` is an ACL message's (it carries every ACL header key).
bool is_acl(const dict& meta) {
  return meta.find("performative") != nullptr
         && meta.find("in_reply_to") != nullptr
         && meta.find("reply_with") != nullptr;
}

class echo : public mango::agent {
public:
  using agent::agent;

  const char* name() const override {
    return "Echo";
  }

  void handle_message(const value& content, const dict& meta) override {
    if (is_acl(meta))
      send_message(
        mango::reply_acl(meta, content, mango::performative::inform, addr()),
        mango::sender_addr(meta));
    else
      send_message(content, mango::sender_addr(meta));
  }
};

class ticker : public mango::agent {
public:
  using agent::agent;

  const char* name() const override {
    return "Ticker";
  }

  void handle_message(const value& content, const dict& meta) override {
    const value* dt
      = content.is_dict() ? content.as_dict().find("subscribe") : nullptr;
    if (dt == nullptr || !(dt->is_int() || dt->is_float())) {
      mas::log(mas::log_level::warning,
               "ticker: expected {\"subscribe\": dt}, got "
                 + mas::wire::to_string(content));
      return;
    }
    auto to = mango::sender_addr(meta);
    schedule_timestamp_task(
      [this, to] {
        dict tick;
        tick.append("tick", clock().time());
        send_message(value{std::move(tick)}, to);
      },
      clock().time() + dt->as_double());
  }
};

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
  std::optional<std::string> addr;
  std::string clock_kind = "realtime";
  int python_minor = 11;
  int min_rank = 2;
  std::chrono::milliseconds ttl{30000};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc)
        return std::nullopt;
      return std::string{argv[++i]};
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    } else if (arg == "--version") {
      std::cout << "mango_echo_container (libmas) " << MAS_VERSION_STRING
                << "\n";
      return 0;
    } else if (arg == "--addr") {
      addr = next();
      if (!addr)
        return fail("--addr needs HOST:PORT");
    } else if (arg == "--clock") {
      auto x = next();
      if (!x || (*x != "realtime" && *x != "external"))
        return fail("--clock takes realtime or external");
      clock_kind = *x;
    } else if (arg == "--python-minor") {
      auto x = next();
      if (!x || (*x != "10" && *x != "11" && *x != "12" && *x != "13"))
        return fail("--python-minor takes 10, 11, 12 or 13");
      python_minor = std::stoi(*x);
    } else if (arg == "--connection-ttl") {
      auto x = next();
      char* end = nullptr;
      double secs = x ? std::strtod(x->c_str(), &end) : -1;
      if (!x || end == x->c_str() || *end != '\0' || !(secs >= 0))
        return fail("--connection-ttl takes a number of seconds >= 0");
      ttl = std::chrono::milliseconds{static_cast<long>(secs * 1000)};
    } else if (arg == "--log-level") {
      auto x = next();
      if (!x)
        return fail("--log-level needs a level");
      if (*x == "error")
        min_rank = 3;
      else if (*x == "warning")
        min_rank = 2;
      else if (*x == "info")
        min_rank = 1;
      else if (*x == "debug")
        min_rank = 0;
      else
        return fail("unknown log level " + *x);
    } else {
      return fail("unknown argument " + arg);
    }
  }
  if (!addr)
    return fail("missing --addr HOST:PORT");
  mas::set_log_sink([min_rank](mas::log_level level, std::string_view text) {
    if (level_rank(level) >= min_rank)
      std::cerr << "mango_echo_container: " << mas::to_string(level) << ": "
                << text << std::endl;
  });
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  mango::container_options opts;
  opts.connection_ttl = ttl;
  opts.type_ids = mas::wire::mango_type_ids_for(
    mas::wire::mango_wire_version::v2_1_4, python_minor);
  if (clock_kind == "external")
    opts.make_clock = [](caf::actor_system& sys) {
      return mas::clock::external(sys, "1970-01-01T00:00:00+00:00");
    };
  auto c = mango::tcp_container::create(*addr, opts);
  if (!c) {
    std::cerr << "mango_echo_container: cannot start at " << *addr << ": "
              << mas::render(c.error()) << "\n";
    return 1;
  }
  auto& home = **c;
  home.register_agent<echo>("echo");
  home.register_agent<ticker>("ticker");
  home.register_agent<mango::distributed_clock_agent>("clock_agent");
  home.on_ready();
  std::thread waiter{[&home, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    home.request_stop();
  }};
  std::cout << "listening on " << home.host() << ":" << home.port() << "\n"
            << "ready" << std::endl;
  home.wait_for_stop();
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  home.shutdown();
  c->reset();
  return 0;
}
