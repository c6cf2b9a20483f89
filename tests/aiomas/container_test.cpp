// aiomas containers and agents, C++ on both ends: connect by address,
// validate_aid, agents as arguments and callbacks, the Manager, bad input
// and shutdown with calls pending. Real sockets on loopback.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include <caf/scoped_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "../../examples/aiomas/demo_agents.hpp"
#include "mas/aiomas/address.hpp"
#include "mas/aiomas/container.hpp"
#include "mas/aiomas/manager.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/service.hpp"
#include "test_agents.hpp"

using namespace std::chrono_literals;
using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;
namespace aiomas = mas::aiomas;

namespace {

/// Answers `ping(x)` with `["pong", x]`.
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

} // namespace

namespace mas {

/// Certificates made once per test run (tests/tls/make_certs.sh).
std::string test_certs() {
  static std::string dir = [] {
    const char* script = std::getenv("MAS_MAKE_CERTS");
    REQUIRE(script != nullptr);
    std::string tmpl = "/tmp/mas-aiomas-tls-XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    REQUIRE(std::system((std::string{script} + " " + tmpl).c_str()) == 0);
    return tmpl;
  }();
  return dir;
}

} // namespace mas

namespace {

std::unique_ptr<aiomas::container>
make_container(aiomas::container_options opts = {},
               const std::string& addr = "127.0.0.1:0") {
  auto c = aiomas::container::create(addr, std::move(opts));
  REQUIRE(c);
  return std::move(*c);
}

/// Calls `method(xs...)` on `p` from a scoped actor; the result or error.
template <class... Ts>
caf::expected<value> call(caf::actor_system& sys, const mas::rpc::proxy& p,
                          const std::string& method, Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<value> result{caf::error{}};
  p.with_timeout(30s)
    .call(self.ptr(), method, std::forward<Ts>(xs)...)
    .receive([&](value& v) { result = std::move(v); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// The result as text (Python-like), or the error's rendering.
std::string str(const caf::expected<value>& x) {
  return x ? mas::wire::to_string(*x) : "error: " + mas::render(x.error());
}

std::string str(const value& x) {
  return mas::wire::to_string(x);
}

std::string last_line(const caf::error& err) {
  auto text = mas::error_text(err);
  auto pos = text.rfind('\n');
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

} // namespace

TEST_CASE("agent addresses parse and print like aiomas's") {
  auto url = aiomas::parse_agent_url("tcp://127.0.0.1:5555/0");
  REQUIRE(url);
  CHECK(url->addr == mas::net::endpoint::tcp("127.0.0.1", 5555));
  CHECK(url->aid == "0");
  url = aiomas::parse_agent_url("tcp://[::1]:5555/3/sub");
  REQUIRE(url);
  CHECK(url->addr.host == "::1");
  CHECK(url->aid == "3/sub");
  url = aiomas::parse_agent_url("ipc://[/tmp/a.sock]/1");
  REQUIRE(url);
  CHECK(url->addr == mas::net::endpoint::unix_socket("/tmp/a.sock"));
  CHECK(url->aid == "1");
  auto text = [](const char* str) {
    auto res = aiomas::parse_agent_url(str);
    REQUIRE(!res);
    CHECK(mas::is(res.error(), mas::errc::invalid_argument));
    return mas::error_text(res.error());
  };
  CHECK(
    text("tcp://127.0.0.1:5555/")
    == R"(Cannot parse agent URL "tcp://127.0.0.1:5555/": No agent ID specified.)");
  CHECK(
    text("tcp://127.0.0.1/0")
    == R"(Cannot parse agent URL "tcp://127.0.0.1/0": not enough values to unpack (expected 2, got 1))");
  CHECK(
    text("tcp://127.0.0.1:x/0")
    == R"(Cannot parse agent URL "tcp://127.0.0.1:x/0": invalid literal for int() with base 10: 'x')");
  CHECK(
    text("udp://h:1/0")
    == R"(Cannot parse agent URL "udp://h:1/0": 'udp' not in {'tcp', 'ipc', 'local'})");
  CHECK(text("127.0.0.1:5555/0").find("not enough values")
        != std::string::npos);
  CHECK(aiomas::base_url(mas::net::endpoint::tcp("localhost", 5555))
        == "tcp://localhost:5555/");
  CHECK(aiomas::base_url(mas::net::endpoint::tcp("::1", 5555))
        == "tcp://::1:5555/");
  CHECK(aiomas::base_url(mas::net::endpoint::unix_socket("/tmp/a.sock"))
        == "ipc://[/tmp/a.sock]/");
}

TEST_CASE("the seed's caller and callee in one container") {
  auto c = make_container();
  auto callee = c->spawn<mas::demo::callee>();
  auto caller = c->spawn<mas::demo::caller>();
  CHECK(mas::aid_of(callee) == "0");
  CHECK(mas::aid_of(caller) == "1");
  auto port = std::to_string(c->local_endpoint().port);
  CHECK(c->base_url() == "tcp://127.0.0.1:" + port + "/");
  CHECK(c->address_of("0") == "tcp://127.0.0.1:" + port + "/0");
  CHECK(c->validate_aid("0") == std::optional<std::string>{"Callee"});
  CHECK(c->validate_aid("1") == std::optional<std::string>{"Caller"});
  CHECK(c->validate_aid("2") == std::nullopt);
  auto callee_proxy = c->connect(c->address_of("0"));
  REQUIRE(callee_proxy);
  CHECK(callee_proxy->path() == "agents/0");
  CHECK(str(call(c->system(), *callee_proxy, "spam", 3))
        == str(value{"spamspamspam"}));
  auto caller_proxy = c->connect(c->address_of("1"));
  REQUIRE(caller_proxy);
  CHECK(str(call(c->system(), *caller_proxy, "run", c->address_of("0")))
        == str(value{"spamspamspam"}));
  // One connection to the (own) container, reused for both agents.
  CHECK(c->outgoing_connections() == 1);
}

TEST_CASE("agents in two containers: connect, reuse, errors") {
  auto c1 = make_container();
  auto c2 = make_container();
  c1->spawn<mas::demo::callee>("eggs");
  c1->spawn<mas::test::holder>();
  auto caller = c2->spawn<mas::demo::caller>();
  auto caller_proxy = c2->connect(c2->address_of(mas::aid_of(caller)));
  REQUIRE(caller_proxy);
  CHECK(str(call(c2->system(), *caller_proxy, "run", c1->address_of("0")))
        == str(value{"eggseggseggs"}));
  auto holder_proxy = c2->connect(c1->address_of("1"));
  REQUIRE(holder_proxy);
  // c2 → c1 once (the caller's and main's connects share it), c2 → c2 once.
  CHECK(c2->outgoing_connections() == 2);
  SECTION("a missing agent") {
    auto missing = c2->connect(c1->address_of("7"));
    REQUIRE(!missing);
    CHECK(mas::is(missing.error(), mas::errc::no_such_agent));
    CHECK(mas::error_text(missing.error())
          == "Agent \"7\" does not exist in Container(('127.0.0.1', "
               + std::to_string(c1->local_endpoint().port) + "))");
    // The caller agent reports it as aiomas's ConnectionError.
    auto res = call(c2->system(), *caller_proxy, "run", c1->address_of("7"));
    REQUIRE(!res);
    CHECK(last_line(res.error()).rfind("ConnectionError: Agent \"7\"", 0) == 0);
  }
  SECTION("an unknown method and a failing one") {
    auto res = call(c2->system(), *holder_proxy, "nope");
    REQUIRE(!res);
    CHECK(mas::is(res.error(), mas::errc::remote_exception));
    CHECK(last_line(res.error())
          == R"(LookupError: Name "nope" not found in "agents/1")");
    res = call(c2->system(), *holder_proxy, "fail");
    REQUIRE(!res);
    CHECK(last_line(res.error()) == "ValueError: nope");
    res = call(c2->system(), *holder_proxy, "fail", 1);
    REQUIRE(!res);
    CHECK(last_line(res.error())
          == "TypeError: fail() takes 0 positional arguments but 1 was given");
  }
  SECTION("a container that is gone") {
    auto addr = c1->address_of("0");
    auto port = c1->local_endpoint().port;
    c1.reset();
    // The cached connection fails once its end is noticed; then a new
    // connect is refused.
    caf::expected<value> res{caf::error{}};
    for (int i = 0; i < 1000; ++i) {
      auto p = c2->connect(addr);
      if (!p) {
        CHECK(mas::is(p.error(), mas::errc::connect_failed));
        CHECK(mas::error_text(p.error()).find(std::to_string(port))
              != std::string::npos);
        break;
      }
      res = call(c2->system(), *p, "spam", 1);
      REQUIRE(!res);
      CHECK(mas::is(res.error(), mas::errc::connection_reset));
    }
    CHECK(c2->outgoing_connections() == 1); // only c2 → c2 is left
  }
}

TEST_CASE("an agent passed as an argument arrives as a proxy and is called "
          "back") {
  auto c1 = make_container();
  auto c2 = make_container();
  c1->spawn<mas::demo::relay>();
  auto ping = c2->spawn<pinger>();
  auto relay = c2->connect(c1->address_of("0"));
  REQUIRE(relay);
  std::string type_name;
  auto ping_router = mas::router_of(ping, &type_name);
  CHECK(type_name == "Pinger");
  CHECK(ping_router->path() == "agents/0");
  auto res = call(c2->system(), *relay, "call_back", ping_router, 42);
  CHECK(str(res) == str(value{array{value{"pong"}, value{42}}}));
}

TEST_CASE("shutdown fails pending calls with a connection error") {
  auto c1 = make_container();
  auto c2 = make_container();
  c1->spawn<mas::test::holder>();
  auto p = c2->connect(c1->address_of("0"));
  REQUIRE(p);
  caf::scoped_actor self{c2->system()};
  auto hdl = p->call(self.ptr(), "hold");
  // The call is in flight (the holder has it) once a later call returns.
  CHECK(call(c2->system(), *p, "fail") != value{});
  c1->shutdown();
  bool failed = false;
  hdl.receive([&](value&) { FAIL("hold() answered"); },
              [&](caf::error& err) {
                failed = mas::is(err, mas::errc::connection_reset);
              });
  CHECK(failed);
  CHECK(c1->agents().size() == 1); // registered, but stopped
}

TEST_CASE("containers on Unix sockets") {
  auto path = "/tmp/mas-aiomas-" + std::to_string(getpid()) + ".sock";
  ::unlink(path.c_str());
  auto c1 = make_container({}, "unix:" + path);
  auto c2 = make_container();
  c1->spawn<mas::demo::callee>();
  CHECK(c1->address_of("0") == "ipc://[" + path + "]/0");
  auto p = c2->connect(c1->address_of("0"));
  REQUIRE(p);
  CHECK(str(call(c2->system(), *p, "spam", 2)) == str(value{"spamspam"}));
  c1.reset();
  ::unlink(path.c_str());
}

TEST_CASE("containers with every codec") {
  for (auto codec :
       {mas::wire::codec_kind::json, mas::wire::codec_kind::msgpack,
        mas::wire::codec_kind::msgpack_blosc}) {
    aiomas::container_options opts;
    opts.codec = codec;
    auto c1 = make_container(opts);
    auto c2 = make_container(opts);
    c1->spawn<mas::demo::relay>();
    auto ping = c2->spawn<pinger>();
    auto relay = c2->connect(c1->address_of("0"));
    REQUIRE(relay);
    auto res = call(c2->system(), *relay, "call_back",
                    mas::router_of(ping, nullptr), "x");
    // MsgPack decodes arrays as tuples, as aiomas does.
    CHECK(str(res)
          == (codec == mas::wire::codec_kind::json ? "['pong', 'x']"
                                                   : "('pong', 'x')"));
  }
}

TEST_CASE("the Manager spawns agents by name, sets the time and stops") {
  auto c1 = make_container();
  auto c2 = make_container();
  c1->spawn<aiomas::manager>(mas::demo::demo_factories());
  auto mgr = c2->connect(c1->address_of("0"));
  REQUIRE(mgr);
  caf::scoped_actor self{c2->system()};
  value spawned;
  mgr
    ->call_kw(self.ptr(), "spawn", array{value{"Callee"}},
              dict{{value{"word"}, value{"ham"}}})
    .receive([&](value& v) { spawned = std::move(v); },
             [&](caf::error& err) { FAIL(mas::render(err)); });
  REQUIRE(spawned.is_array());
  auto& pair = spawned.as_array();
  REQUIRE(pair.size() == 2);
  CHECK(str(pair[1]) == str(value{c1->address_of("1")}));
  auto callee = mgr->bind(pair[0]);
  CHECK(callee.path() == "agents/1");
  CHECK(str(call(c2->system(), callee, "spam", 2)) == str(value{"hamham"}));
  auto res = call(c2->system(), *mgr, "spawn", "mod:Callee", "x", "y");
  REQUIRE(!res);
  CHECK(last_line(res.error())
        == "TypeError: Callee() takes 3 positional arguments but 4 were "
           "given");
  res = call(c2->system(), *mgr, "spawn", "nope:Nope");
  REQUIRE(!res);
  CHECK(last_line(res.error())
          .rfind("AttributeError: no agent type "
                 "\"nope:Nope\"",
                 0)
        == 0);
  res = call(c2->system(), *mgr, "set_time", 1.0);
  REQUIRE(!res);
  CHECK(last_line(res.error())
        == "AttributeError: 'AsyncioClock' object has no attribute "
           "'set_time'");
  CHECK(!c1->stop_requested());
  CHECK(str(call(c2->system(), *mgr, "stop")) == str(value{}));
  CHECK(c1->wait_for_stop(30s));
}

namespace {

using sum_atom = caf::atom_constant<caf::atom("sum")>;
using adder_actor = caf::typed_actor<
  caf::replies_to<sum_atom, std::int64_t, std::int64_t>::with<std::int64_t>>;

adder_actor::behavior_type adder() {
  return {[](sum_atom, std::int64_t a, std::int64_t b) { return a + b; }};
}

} // namespace

TEST_CASE("a typed actor as an agent, its handlers exposed by name") {
  auto c1 = make_container();
  auto c2 = make_container();
  auto calc = c1->system().spawn(adder);
  auto router = mas::rpc::service::make("Adder");
  router->expose_typed("add", calc, {"a", "b"}, sum_atom::value);
  auto aid = c1->add_agent("Adder", caf::actor_cast<caf::actor>(calc), router);
  CHECK(aid == "0");
  CHECK(c1->validate_aid("0") == std::optional<std::string>{"Adder"});
  auto p = c2->connect(c1->address_of(aid));
  REQUIRE(p);
  CHECK(str(call(c2->system(), *p, "add", 3, 4)) == str(value{7}));
  anon_send_exit(calc, caf::exit_reason::user_shutdown);
}

namespace {

aiomas::container_options external_clock() {
  aiomas::container_options opts;
  opts.make_clock = [](caf::actor_system& sys) {
    return mas::clock::external(sys, "2016-01-01T00:00:00+00:00");
  };
  return opts;
}

} // namespace

TEST_CASE("a Sleeper on an external clock: sleeps, dates and their errors") {
  auto c1 = make_container(external_clock());
  auto c2 = make_container();
  c1->spawn<mas::demo::sleeper>();
  auto p = c2->connect(c1->address_of("0"));
  REQUIRE(p);
  CHECK(str(call(c2->system(), *p, "time")) == "0.0");
  // utcnow() travels as an Arrow date: extension type 0.
  auto now = call(c2->system(), *p, "utcnow");
  REQUIRE(now);
  CHECK(str(*now) == "{'__type__': (0, '2016-01-01T00:00:00+00:00')}");
  caf::scoped_actor self{c2->system()};
  auto first = p->call(self.ptr(), "sleep", 2);
  auto second = p->call(self.ptr(), "sleep_until",
                        *mas::wire::parse_date("2016-01-01T00:00:01+00:00"));
  // Both are registered on the clock once a later call has been answered.
  CHECK(str(call(c2->system(), *p, "time")) == "0.0");
  CHECK(c1->clock().next_activity() == std::optional<double>{1.0});
  c1->clock().set_time(5);
  std::vector<double> woken;
  for (auto* hdl : {&first, &second})
    hdl->receive(
      [&](value& v) { woken.push_back(mas::wire::from_value<double>(v)); },
      [&](caf::error& err) { FAIL(mas::render(err)); });
  CHECK(woken == std::vector<double>{5.0, 5.0});
  CHECK(str(call(c2->system(), *p, "utcnow"))
        == "{'__type__': (0, '2016-01-01T00:00:05+00:00')}");
  auto res = call(c2->system(), *p, "sleep", -1);
  REQUIRE(!res);
  CHECK(last_line(res.error()) == "ValueError: dt must be > 0 but is -1.0");
  res = call(c2->system(), *p, "sleep_until",
             *mas::wire::parse_date("2016-01-01T00:00:01+00:00"));
  REQUIRE(!res);
  CHECK(last_line(res.error())
        == "ValueError: Date \"2016-01-01T00:00:01+00:00\" is in the past");
  res = call(c2->system(), *p, "sleep_until", "tomorrow");
  REQUIRE(!res);
  CHECK(last_line(res.error()).rfind("TypeError: ", 0) == 0);
  CHECK_THROWS_WITH(c1->clock().set_time(4), "Time must be > 5.0 but is 4.0");
}

TEST_CASE("containers on LocalQueues") {
  auto c1 = make_container({}, "local:lq-a");
  auto c2 = make_container({}, "local:lq-b");
  c1->spawn<mas::demo::relay>();
  auto ping = c2->spawn<pinger>();
  CHECK(c1->address_of("0") == "local://lq-a/0");
  auto relay = c2->connect("local://lq-a/0");
  REQUIRE(relay);
  auto res
    = call(c2->system(), *relay, "call_back", mas::router_of(ping, nullptr), 7);
  CHECK(str(res) == "['pong', 7]");
  auto missing = c2->connect("local://lq-none/0");
  REQUIRE(!missing);
  CHECK(mas::is(missing.error(), mas::errc::connect_failed));
  CHECK(aiomas::container::create("local:lq-a").error() != caf::none);
}

TEST_CASE("TLS containers: one certificate serves and connects") {
  auto dir = mas::test_certs();
  aiomas::container_options opts;
  opts.ssl = mas::net::ssl_certs{dir + "/ca.pem", dir + "/device.pem",
                                 dir + "/device.key"};
  auto c1 = make_container(opts);
  auto c2 = make_container(opts);
  c1->spawn<mas::demo::relay>();
  auto ping = c2->spawn<pinger>();
  auto relay = c2->connect(c1->address_of("0"));
  REQUIRE(relay);
  // The callback travels back over the same TLS connection.
  auto res = call(c2->system(), *relay, "call_back",
                  mas::router_of(ping, nullptr), "tls");
  CHECK(str(res) == "['pong', 'tls']");
  SECTION("a plain container cannot talk to a TLS one") {
    auto plain = make_container();
    auto p = plain->connect(c1->address_of("0"));
    CHECK(!p);
  }
  SECTION("a certificate from another CA is refused") {
    aiomas::container_options other;
    other.ssl = mas::net::ssl_certs{dir + "/ca.pem", dir + "/other-server.pem",
                                    dir + "/other-server.key"};
    auto c3 = make_container(other);
    auto p = c3->connect(c1->address_of("0"));
    CHECK(!p);
  }
}

TEST_CASE("many agents and many peer containers: one connection per peer") {
  auto c1 = make_container();
  for (int i = 0; i < 1000; ++i)
    c1->spawn<mas::demo::callee>(std::to_string(i % 10));
  auto c2 = make_container();
  for (int i = 0; i < 1000; i += 37) {
    auto p = c2->connect(c1->address_of(std::to_string(i)));
    REQUIRE(p);
    CHECK(str(call(c2->system(), *p, "spam", 1))
          == "'" + std::to_string(i % 10) + "'");
  }
  CHECK(c2->outgoing_connections() == 1);
  std::vector<std::unique_ptr<aiomas::container>> peers;
  aiomas::container_options small;
  small.configure = [](caf::actor_system_config& cfg) {
    cfg.set("scheduler.max-threads", 1);
  };
  for (int i = 0; i < 16; ++i) {
    peers.push_back(make_container(small));
    for (int j = 0; j < 3; ++j) {
      auto p = peers.back()->connect(c1->address_of(std::to_string(j)));
      REQUIRE(p);
    }
    CHECK(peers.back()->outgoing_connections() == 1);
  }
  CHECK(c1->incoming_connections() == 17);
}

namespace {

/// Tries to expose a method once it runs, which the agent refuses.
class late_exposer : public aiomas::agent {
public:
  late_exposer(caf::actor_config& cfg, mas::agent_init init,
               std::shared_ptr<std::string> error)
    : agent(cfg, std::move(init)), error_(std::move(error)) {
    // nop
  }

  caf::behavior make_behavior() override {
    auto handler = agent_handler();
    try {
      expose("late", [] { return 1; });
    } catch (const std::logic_error& e) {
      *error_ = e.what();
    }
    return handler;
  }

private:
  std::shared_ptr<std::string> error_;
};

} // namespace

TEST_CASE("an agent exposes its methods before it runs, never after") {
  auto c = make_container();
  auto error = std::make_shared<std::string>();
  auto hdl = c->spawn<late_exposer>(error);
  // The agent has run make_behavior once it answers a call.
  auto p = c->connect(c->address_of("0"));
  REQUIRE(p);
  auto res = call(c->system(), *p, "late");
  REQUIRE(!res);
  CHECK(last_line(res.error())
        == R"(LookupError: Name "late" not found in "agents/0")");
  // Once the agent has handled a message, its make_behavior has run.
  caf::scoped_actor self{c->system()};
  bool handled = false;
  self
    ->request(hdl, 30s, mas::invoke_atom_v,
              mas::agent_call{[] { return mas::channel::answer::deferred(); }})
    .receive([&](mas::channel::answer&) { handled = true; },
             [&](caf::error& err) { FAIL(mas::render(err)); });
  CHECK(handled);
  CHECK(*error
        == "cannot expose \"late\": agent Agent('" + c->address_of("0")
             + "') runs already (expose in its constructor)");
}
