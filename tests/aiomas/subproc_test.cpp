// The master's half of aiomas.subproc: a C++ container starts
// `mas_container` as a child process (mas::aiomas::subprocess), drives its
// Manager (mas::aiomas::manager_proxy) and sees the child end: stop(),
// SIGTERM, and a child killed while a call is pending. Real processes and
// sockets on loopback.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <dirent.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "mas/aiomas/container.hpp"
#include "mas/aiomas/subproc.hpp"
#include "mas/errc.hpp"
#include "test_agents.hpp"

#ifndef MAS_CONTAINER_PATH
#error "MAS_CONTAINER_PATH (the mas_container binary) must be defined"
#endif

using namespace std::chrono_literals;
using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;
namespace aiomas = mas::aiomas;

namespace {

/// A TCP port on 127.0.0.1 that was free a moment ago (mas_container takes
/// HOST:PORT and prints no port, so the master picks one, as aiomas users
/// do for their subproc containers).
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

/// The number of open descriptors of this process.
std::size_t open_fds() {
  std::size_t n = 0;
  if (auto dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr)
      ++n;
    closedir(dir);
  }
  return n;
}

std::string last_line(const caf::error& err) {
  auto text = mas::error_text(err);
  auto pos = text.rfind('\n');
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

std::string str(const caf::expected<value>& x) {
  return x ? mas::wire::to_string(*x) : "error: " + mas::render(x.error());
}

/// Waits for a response handle of a scoped actor (30 s bound).
template <class Handle>
caf::expected<value> get(Handle hdl) {
  caf::expected<value> result{caf::error{}};
  hdl.receive([&](value& v) { result = std::move(v); },
              [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// One mas_container child and a master container connected to its Manager.
struct fixture {
  std::unique_ptr<aiomas::container> master;
  std::unique_ptr<aiomas::subprocess> child;
  aiomas::manager_proxy mgr;
  std::string base;

  explicit fixture(std::vector<std::string> extra = {}) {
    auto c = aiomas::container::create("127.0.0.1:0");
    REQUIRE(c);
    master = std::move(*c);
    auto port = std::to_string(free_port());
    std::vector<std::string> argv{MAS_CONTAINER_PATH};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("127.0.0.1:" + port);
    auto p = aiomas::subprocess::start(argv);
    REQUIRE(p);
    child = std::move(*p);
    auto ready = child->wait_ready(30s);
    INFO(mas::render(ready));
    REQUIRE(!ready);
    base = "tcp://127.0.0.1:" + port + "/";
    auto proxy = master->connect(base + "0", std::chrono::seconds{10});
    INFO((proxy ? "" : mas::render(proxy.error())));
    REQUIRE(proxy);
    mgr.mgr = proxy->with_timeout(30s);
  }

  caf::expected<value> spawn(std::string qualname, array args = {},
                             dict kwargs = {}) {
    caf::scoped_actor self{master->system()};
    return get(mgr.spawn(self.ptr(), std::move(qualname), std::move(args),
                         std::move(kwargs)));
  }

  aiomas::spawned_agent spawned(std::string qualname, array args = {},
                                dict kwargs = {}) {
    auto res = spawn(std::move(qualname), std::move(args), std::move(kwargs));
    INFO(str(res));
    REQUIRE(res);
    auto agent = mgr.spawned_of(*res);
    REQUIRE(agent);
    return *agent;
  }

  caf::expected<value> set_time(double t) {
    caf::scoped_actor self{master->system()};
    return get(mgr.set_time(self.ptr(), t));
  }

  template <class... Ts>
  caf::expected<value> call(const mas::rpc::proxy& p, const std::string& m,
                            Ts&&... xs) {
    caf::scoped_actor self{master->system()};
    return get(
      p.with_timeout(30s).call(self.ptr(), m, std::forward<Ts>(xs)...));
  }
};

} // namespace

TEST_CASE("subprocess: bad programs, no ready line, exit status") {
  SECTION("no program") {
    auto p = aiomas::subprocess::start({});
    REQUIRE(!p);
    CHECK(mas::is(p.error(), mas::errc::invalid_argument));
  }
  SECTION("a program that does not exist") {
    auto p = aiomas::subprocess::start({"/nonexistent/mas-program", "x"});
    REQUIRE(!p);
    CHECK(mas::is(p.error(), mas::errc::invalid_argument));
    CHECK(mas::error_text(p.error())
          == "cannot start /nonexistent/mas-program: No such file or "
             "directory");
  }
  SECTION("a child that ends before it is ready") {
    auto p = aiomas::subprocess::start({MAS_CONTAINER_PATH, "--bogus"});
    REQUIRE(p);
    auto err = (*p)->wait_ready(30s);
    CHECK(mas::is(err, mas::errc::connect_failed));
    CHECK((*p)->wait(30s) == 2);
    CHECK(!(*p)->running());
    CHECK(!(*p)->terminate());
  }
  SECTION("a child that never prints ready is killed by the destructor") {
    auto p = aiomas::subprocess::start({"sleep", "60"});
    REQUIRE(p);
    CHECK(mas::is((*p)->wait_ready(100ms), mas::errc::timeout));
    CHECK((*p)->running());
    CHECK((*p)->wait(10ms) == std::nullopt);
    auto pid = (*p)->pid();
    p->reset();
    // Reaped: the pid is no child of ours any more.
    CHECK(waitpid(pid, nullptr, WNOHANG) == -1);
  }
  SECTION("output lines and a signal's status; no descriptor left") {
    auto before = open_fds();
    auto p = aiomas::subprocess::start(
      {"sh", "-c", "echo one; echo ready; exec sleep 60"});
    REQUIRE(p);
    REQUIRE(!(*p)->wait_ready(30s));
    CHECK((*p)->output() == std::vector<std::string>{"one", "ready"});
    CHECK((*p)->kill());
    CHECK((*p)->wait(30s) == -SIGKILL);
    CHECK((*p)->wait(0ms) == -SIGKILL);
    p->reset();
    CHECK(open_fds() == before);
    // A program that cannot start leaves none either.
    CHECK(!aiomas::subprocess::start({"/nonexistent/x"}));
    CHECK(open_fds() == before);
  }
}

TEST_CASE("connect_manager waits for a Manager that appears late") {
  // Python's aiomas.subproc.start listens before it creates its Manager;
  // a container whose agent 0 comes a moment after its server stands in.
  auto master = aiomas::container::create("127.0.0.1:0");
  auto late = aiomas::container::create("127.0.0.1:0");
  REQUIRE(master);
  REQUIRE(late);
  auto url = (*late)->address_of("0");
  SECTION("the Manager appears: connected") {
    std::thread spawner{[&] {
      std::this_thread::sleep_for(300ms);
      (*late)->spawn<mas::test::holder>();
    }};
    auto mgr = aiomas::connect_manager(**master, url, 30s, 5s);
    spawner.join();
    INFO((mgr ? "" : mas::render(mgr.error())));
    REQUIRE(mgr);
    CHECK(mgr->mgr.path() == "agents/0");
  }
  SECTION("no Manager within the timeout: no_such_agent") {
    auto mgr = aiomas::connect_manager(**master, url, 200ms, 5s);
    REQUIRE(!mgr);
    CHECK(mas::is(mgr.error(), mas::errc::no_such_agent));
  }
  SECTION("the child ended: gives up before the timeout") {
    auto child = aiomas::subprocess::start({"true"});
    REQUIRE(child);
    REQUIRE((*child)->wait(30s) == 0);
    // A 10-minute timeout: only the ended child can end this wait.
    auto mgr = aiomas::connect_manager(**master, url, 600s, 5s, child->get());
    REQUIRE(!mgr);
    CHECK(mas::is(mgr.error(), mas::errc::no_such_agent));
  }
  SECTION("other errors return at once") {
    auto mgr = aiomas::connect_manager(**master, "tcp://127.0.0.1/0", 600s, 5s);
    REQUIRE(!mgr);
    CHECK(mas::is(mgr.error(), mas::errc::invalid_argument));
  }
}

TEST_CASE("a C++ master drives mas_container on an external clock") {
  fixture f{{"--clock", "external"}};
  auto callee
    = f.spawned("mas:Callee", {}, dict{{value{"word"}, value{"eggs"}}});
  CHECK(callee.addr == f.base + "1");
  CHECK(callee.agent.path() == "agents/1");
  CHECK(str(f.call(callee.agent, "spam", 2)) == str(value{"eggseggs"}));
  auto sleeper = f.spawned("Sleeper");
  CHECK(sleeper.addr == f.base + "2");
  // A sleep answers once set_time reaches its deadline.
  caf::scoped_actor sleeping{f.master->system()};
  auto pending
    = sleeper.agent.with_timeout(30s).call(sleeping.ptr(), "sleep", 2.0);
  // The sleeper has the call once a later call to it came back.
  CHECK(str(f.call(sleeper.agent, "time")) == str(value{0.0}));
  CHECK(str(f.set_time(2.0)) == str(value{}));
  CHECK(str(get(std::move(pending))) == str(value{2.0}));
  // Backwards: aiomas's ValueError text (Python float repr).
  auto res = f.set_time(1.0);
  REQUIRE(!res);
  CHECK(mas::is(res.error(), mas::errc::remote_exception));
  CHECK(last_line(res.error()) == "ValueError: Time must be > 2.0 but is 1.0");
  // An unknown agent type, bad arguments, an unknown method.
  res = f.spawn("nope:Nope");
  REQUIRE(!res);
  CHECK(last_line(res.error())
          .rfind("AttributeError: no agent type \"nope:Nope\"", 0)
        == 0);
  res = f.spawn("Callee", {value{"a"}, value{"b"}});
  REQUIRE(!res);
  CHECK(last_line(res.error())
        == "TypeError: Callee() takes 3 positional arguments but 4 were given");
  res = f.call(callee.agent, "nope");
  REQUIRE(!res);
  CHECK(last_line(res.error())
        == R"(LookupError: Name "nope" not found in "agents/1")");
  // An unknown aid fails the connect.
  auto missing = f.master->connect(f.base + "9");
  REQUIRE(!missing);
  CHECK(mas::is(missing.error(), mas::errc::no_such_agent));
  CHECK(mas::error_text(missing.error())
          .rfind("Agent \"9\" does not exist in "
                 "Container(('127.0.0.1', ",
                 0)
        == 0);
  // stop() answers None, then the process exits 0.
  caf::scoped_actor self{f.master->system()};
  CHECK(str(get(f.mgr.stop(self.ptr()))) == str(value{}));
  CHECK(f.child->wait(30s) == 0);
}

TEST_CASE("mas_container on a real-time clock: set_time fails, SIGTERM") {
  fixture f;
  auto res = f.set_time(1.0);
  REQUIRE(!res);
  CHECK(last_line(res.error())
        == "AttributeError: 'AsyncioClock' object has no attribute "
           "'set_time'");
  CHECK(f.child->terminate());
  CHECK(f.child->wait(30s) == 0);
}

TEST_CASE("a child that vanishes mid-call fails the pending call") {
  fixture f{{"--clock", "external"}};
  auto sleeper = f.spawned("Sleeper");
  caf::scoped_actor sleeping{f.master->system()};
  // No timeout on the call: only the closed connection can end it.
  auto pending = sleeper.agent.call(sleeping.ptr(), "sleep", 100.0);
  // Make sure the call arrived (a later call on the same connection came
  // back) before the child dies.
  CHECK(str(f.call(sleeper.agent, "time")) == str(value{0.0}));
  CHECK(f.child->kill());
  CHECK(f.child->wait(30s) == -SIGKILL);
  auto res = get(std::move(pending));
  REQUIRE(!res);
  CHECK(mas::is(res.error(), mas::errc::connection_reset));
  // The master forgot the dead connection, so the next connect opens a new
  // one. (Connecting to the dead port proves nothing: with tests running in
  // parallel, another container may have been given that port already; CI
  // saw that once.)
  for (int i = 0; i < 3000 && f.master->outgoing_connections() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(f.master->outgoing_connections() == 0);
}

TEST_CASE("mas_container like container.py: --init-time, --start-date, "
          "port 0 reported") {
  fixture f{{"--clock", "external", "--init-time", "-1", "--start-date",
             "2010-03-27T00:00:00+01:00"}};
  // The first line names the base address (the fixture chose the port).
  auto lines = f.child->output();
  REQUIRE(!lines.empty());
  CHECK(lines.front() == "listening on " + f.base);
  auto sleeper = f.spawned("Sleeper");
  CHECK(str(f.call(sleeper.agent, "time")) == str(value{-1.0}));
  CHECK(str(f.call(sleeper.agent, "utcnow"))
        == "{'__type__': (0, '2010-03-26T22:59:59+00:00')}");
  CHECK(str(f.set_time(0.0)) == str(value{}));
  CHECK(str(f.call(sleeper.agent, "utcnow"))
        == "{'__type__': (0, '2010-03-26T23:00:00+00:00')}");
  // Port 0: the container picks one and says which.
  auto p = aiomas::subprocess::start({MAS_CONTAINER_PATH, "127.0.0.1:0"});
  REQUIRE(p);
  REQUIRE(!(*p)->wait_ready(30s));
  auto out = (*p)->output();
  REQUIRE(!out.empty());
  CHECK(out.front().rfind("listening on tcp://127.0.0.1:", 0) == 0);
  CHECK(out.front().find(":0/") == std::string::npos);
  (*p)->terminate();
  CHECK((*p)->wait(30s) == std::optional<int>{0});
}
