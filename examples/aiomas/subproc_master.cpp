// subproc_master: a C++ master process in the way of aiomas.subproc. It
// starts two `mas_container` processes (the seed's container.py: an external
// clock with a start date and the MsgPackBlosc codec), spawns agents in them
// through their Manager agents, lets an agent of one call an agent of the
// other, spreads a clock update to both containers and stops them.
//
// Output (ports vary):
//
//   container 1 ready at tcp://127.0.0.1:PORT/0
//   container 2 ready at tcp://127.0.0.1:PORT/0
//   spawned Callee(word='eggs') at tcp://127.0.0.1:PORT/1
//   spawned Caller() at tcp://127.0.0.1:PORT/1
//   Caller.run(callee) -> 'eggseggseggs'
//   spawned Sleeper() at tcp://127.0.0.1:PORT/2
//   set_time(1.0) on both containers
//   Sleeper.sleep(1.0) -> 1.0, utcnow() -> 2010-03-26T23:00:01+00:00
//   stop() -> None, None; exit statuses 0, 0

#include <arpa/inet.h>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "mas/aiomas/container.hpp"
#include "mas/aiomas/subproc.hpp"
#include "mas/errc.hpp"
#include "mas/version.hpp"
#include "mas/wire/date.hpp"

namespace {

using namespace std::chrono_literals;
using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;

constexpr const char* usage = R"(usage: subproc_master [OPTIONS]

Starts two mas_container processes (external clock, start date
2010-03-27T00:00:00+01:00) and drives them through their Manager agents
(aiomas.subproc): spawns a Callee in one and a Caller in the other, lets the
Caller call the Callee, sets the time of both clocks to wake a Sleeper, and
stops both processes.

options:
  --container PATH   the mas_container program (default: next to this one)
  --codec NAME       msgpack-blosc (default, as the docs' container.py),
                     msgpack or json; the master and both containers use it
  -h, --help         show this text
  --version          print "subproc_master (libmas) VERSION"
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "subproc_master: " << what << "\n(see --help)\n";
  std::exit(2);
}

bool report(const caf::error& err) {
  std::cerr << "subproc_master: " << mas::render(err) << "\n";
  return false;
}

/// `mas_container` in the directory of this program.
std::string default_container_path() {
  char buf[4096];
  auto n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return "mas_container";
  std::string self{buf, static_cast<std::size_t>(n)};
  return self.substr(0, self.rfind('/') + 1) + "mas_container";
}

/// A TCP port of 127.0.0.1 that was free a moment ago: mas_container, like
/// container.py, takes its HOST:PORT from the master.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0
      || getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    perror("subproc_master: free port");
    std::exit(1);
  }
  close(fd);
  return ntohs(addr.sin_port);
}

/// Waits for a response (the calls carry a timeout).
template <class Handle>
caf::expected<value> get(Handle hdl) {
  caf::expected<value> result{caf::error{}};
  hdl.receive([&](value& x) { result = std::move(x); },
              [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// One container process and the master's handle on its Manager.
struct child {
  std::unique_ptr<mas::aiomas::subprocess> process;
  mas::aiomas::manager_proxy manager;
  std::string manager_addr;
};

/// Starts `mas_container` on a free port and connects to its Manager
/// (aid 0) once the process printed "ready".
caf::expected<child> start_container(mas::aiomas::container& master,
                                     const std::string& program,
                                     const std::string& codec) {
  auto addr = "127.0.0.1:" + std::to_string(free_port());
  auto process = mas::aiomas::subprocess::start(
    {program, "--codec", codec, "--clock", "external", "--start-date",
     "2010-03-27T00:00:00+01:00", addr});
  if (!process)
    return std::move(process.error());
  if (auto err = (*process)->wait_ready(30s))
    return err;
  // The Manager is agent 0 of the new container.
  auto url = "tcp://" + addr + "/0";
  auto mgr
    = mas::aiomas::connect_manager(master, url, 10s, 30s, process->get());
  if (!mgr)
    return std::move(mgr.error());
  return child{std::move(*process), std::move(*mgr), url};
}

/// `Manager.spawn(qualname, *args, **kwargs)`: the agent and its address.
caf::expected<mas::aiomas::spawned_agent>
spawn(caf::scoped_actor& self, const child& c, std::string qualname,
      array args = {}, dict kwargs = {}) {
  auto res = get(c.manager.spawn(self.ptr(), std::move(qualname),
                                 std::move(args), std::move(kwargs)));
  if (!res)
    return std::move(res.error());
  return c.manager.spawned_of(*res);
}

} // namespace

int main(int argc, char** argv) {
  std::string program = default_container_path();
  std::string codec = "msgpack-blosc";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        usage_error("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    } else if (arg == "--version") {
      std::cout << "subproc_master (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if (arg == "--container") {
      program = next();
    } else if (arg == "--codec") {
      codec = next();
      if (!mas::wire::parse_codec_kind(codec))
        usage_error("unknown codec '" + codec + "'");
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  // The master has a container of its own: it connects to the Managers.
  mas::aiomas::container_options opts;
  opts.codec = *mas::wire::parse_codec_kind(codec);
  auto created = mas::aiomas::container::create("127.0.0.1:0", opts);
  if (!created)
    return report(created.error()), 1;
  auto& master = **created;
  std::vector<child> children;
  for (int i = 1; i <= 2; ++i) {
    auto c = start_container(master, program, codec);
    if (!c)
      return report(c.error()), 1;
    std::cout << "container " << i << " ready at " << c->manager_addr
              << std::endl;
    children.push_back(std::move(*c));
  }
  auto& one = children[0];
  auto& two = children[1];
  caf::scoped_actor self{master.system()};
  auto fail = [](const caf::error& err) { return report(err), 1; };
  // Agents in two processes: the Caller (container 2) connects to the
  // Callee (container 1) itself; the master only passes the address.
  auto callee
    = spawn(self, one, "mas:Callee", {}, dict{{value{"word"}, value{"eggs"}}});
  if (!callee)
    return fail(callee.error());
  std::cout << "spawned Callee(word='eggs') at " << callee->addr << std::endl;
  auto caller = spawn(self, two, "mas:Caller");
  if (!caller)
    return fail(caller.error());
  std::cout << "spawned Caller() at " << caller->addr << std::endl;
  auto res = get(
    caller->agent.with_timeout(30s).call(self.ptr(), "run", callee->addr));
  if (!res)
    return fail(res.error());
  std::cout << "Caller.run(callee) -> " << mas::wire::to_string(*res)
            << std::endl;
  // The external clocks of both containers move only when the master says
  // so (Manager.set_time): a sleep in container 2 waits for it.
  auto sleeper = spawn(self, two, "mas:Sleeper");
  if (!sleeper)
    return fail(sleeper.error());
  std::cout << "spawned Sleeper() at " << sleeper->addr << std::endl;
  auto sleeper_agent = sleeper->agent.with_timeout(30s);
  caf::scoped_actor sleeping{master.system()};
  auto pending = sleeper_agent.call(sleeping.ptr(), "sleep", 1.0);
  // Calls to one agent run in order: once time() answers, the sleeper has
  // started its sleep (a set_time before it would not wake it).
  if (auto now = get(sleeper_agent.call(self.ptr(), "time")); !now)
    return fail(now.error());
  for (auto* c : {&one, &two})
    if (auto ok = get(c->manager.set_time(self.ptr(), 1.0)); !ok)
      return fail(ok.error());
  std::cout << "set_time(1.0) on both containers" << std::endl;
  auto woke = get(std::move(pending));
  if (!woke)
    return fail(woke.error());
  caf::expected<mas::wire::date> date{caf::error{}};
  sleeper_agent.call<mas::wire::date>(self.ptr(), "utcnow")
    .receive([&](mas::wire::date d) { date = d; },
             [&](caf::error& err) { date = std::move(err); });
  if (!date)
    return fail(date.error());
  std::cout << "Sleeper.sleep(1.0) -> " << mas::wire::to_string(*woke)
            << ", utcnow() -> " << mas::wire::format_date(*date) << std::endl;
  // Manager.stop() answers None; then the container process exits.
  std::vector<std::string> answers;
  std::vector<std::string> statuses;
  for (auto* c : {&one, &two}) {
    auto ok = get(c->manager.stop(self.ptr()));
    if (!ok)
      return fail(ok.error());
    answers.push_back(mas::wire::to_string(*ok));
  }
  for (auto* c : {&one, &two}) {
    auto status = c->process->wait(30s);
    statuses.push_back(status ? std::to_string(*status) : "still running");
  }
  std::cout << "stop() -> " << answers[0] << ", " << answers[1]
            << "; exit statuses " << statuses[0] << ", " << statuses[1]
            << std::endl;
  master.shutdown();
  return statuses[0] == "0" && statuses[1] == "0" ? 0 : 1;
}
