// Hostile peers against the runtime: each case is an attack that once
// exhausted memory, file descriptors or CPU, or kept a connection open
// forever. Raw sockets on 127.0.0.1 are the attacker, real RPC clients the
// good users. Memory, file descriptors and CPU are asserted as bounds
// (mallinfo2, /proc/self/fd, getrusage), never wall-clock timings: waits
// are bounded loops that wait for a behaviour.
//
// A binary of its own: one case lowers RLIMIT_NOFILE and another forks an
// attacker process, and the memory bounds are process-wide.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "mas/all.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/log.hpp"
#include "mas/net/socket.hpp"
#include "mas/rpc/service.hpp"
#include "mas/wire/aiomas_message.hpp"
#include "mas/wire/frame.hpp"
#include "mas/wire/json_codec.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;

namespace {

// -- measuring ----------------------------------------------------------------

/// Heap bytes in use (all arenas plus mmapped blocks), not what the process
/// has mapped: a buffer that is kept shows here, freed memory does not.
long long heap_in_use() {
  auto mi = ::mallinfo2();
  return static_cast<long long>(mi.uordblks + mi.hblkhd);
}

/// Open file descriptors of this process.
int open_fds() {
  int result = 0;
  if (auto dir = ::opendir("/proc/self/fd")) {
    while (auto entry = ::readdir(dir))
      if (entry->d_name[0] != '.')
        ++result;
    ::closedir(dir);
    --result; // the directory itself
  }
  return result;
}

/// User plus system CPU time of this process, in seconds.
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec)
           + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

constexpr long long mib = 1024 * 1024;

// -- log lines ----------------------------------------------------------------

/// Captures libmas's log lines while it lives.
class log_capture {
public:
  log_capture() : state_(std::make_shared<state>()) {
    // The sink may run on the I/O thread after we are gone: it holds the
    // state, not us.
    prev_ = mas::set_log_sink(
      [st = state_](mas::log_level level, std::string_view text) {
        std::lock_guard<std::mutex> guard{st->mtx};
        st->lines.emplace_back(std::string{mas::to_string(level)} + ": "
                               + std::string{text});
      });
  }

  ~log_capture() {
    mas::set_log_sink(std::move(prev_));
  }

  /// The lines containing `needle`.
  std::vector<std::string> matching(const std::string& needle) const {
    std::lock_guard<std::mutex> guard{state_->mtx};
    std::vector<std::string> result;
    for (auto& line : state_->lines)
      if (line.find(needle) != std::string::npos)
        result.push_back(line);
    return result;
  }

  std::size_t count(const std::string& needle) const {
    return matching(needle).size();
  }

  /// Waits (up to `limit`) until `n` lines contain `needle`.
  bool wait_for(const std::string& needle, std::size_t n = 1,
                std::chrono::milliseconds limit = 10s) const {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (count(needle) < n) {
      if (std::chrono::steady_clock::now() >= deadline)
        return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  std::string all() const {
    std::lock_guard<std::mutex> guard{state_->mtx};
    std::string result;
    for (auto& line : state_->lines)
      result += line + "\n";
    return result;
  }

private:
  struct state {
    std::mutex mtx;
    std::vector<std::string> lines;
  };
  std::shared_ptr<state> state_;
  mas::log_sink prev_;
};

// -- raw sockets (the attacker) -----------------------------------------------

/// One frame of JSON text.
std::string frame(const std::string& json) {
  mas::wire::byte_buffer buf;
  mas::wire::write_frame(
    buf, reinterpret_cast<const std::uint8_t*>(json.data()), json.size());
  return std::string{buf.begin(), buf.end()};
}

/// `[0, id, ["echo", [payload], {}]]`
std::string echo_request(std::uint64_t id, const std::string& payload) {
  return frame("[0, " + std::to_string(id) + R"(, ["echo", [")" + payload
               + R"("], {}]])");
}

void send_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
}

/// The peer name the server logs for a raw client: Python's `peername`.
std::string peer_of(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  return "('127.0.0.1', " + std::to_string(ntohs(addr.sin_port)) + ")";
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

/// Reads until the server closes (EOF or reset), discarding data. Returns
/// false if that did not happen within `limit`.
bool wait_closed_by_peer(int fd, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    auto ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready == 0)
      return false;
    if (ready < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    auto n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0)
      return true;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return errno == ECONNRESET;
  }
}

/// Whether anything (data or EOF) arrives on `fd` within `span`.
bool anything_within(int fd, std::chrono::milliseconds span) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(span.count())) > 0;
}

/// Reads and decodes aiomas JSON messages until `count` arrived, the server
/// closed or `limit` passed.
std::vector<mas::wire::aiomas_message>
read_messages(int fd, std::size_t count,
              std::chrono::milliseconds limit = 10s) {
  mas::wire::frame_decoder frames{64u * 1024u * 1024u};
  mas::wire::json_codec codec;
  std::vector<mas::wire::aiomas_message> result;
  auto deadline = std::chrono::steady_clock::now() + limit;
  std::vector<char> buf(256 * 1024);
  while (result.size() < count) {
    pollfd p{fd, POLLIN, 0};
    auto ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready == 0)
      break;
    if (ready < 0 && errno == EINTR)
      continue;
    auto n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      continue;
    if (n <= 0)
      break;
    frames.feed(reinterpret_cast<const std::uint8_t*>(buf.data()),
                static_cast<std::size_t>(n),
                [&](const std::uint8_t* data, std::size_t size) {
                  result.push_back(
                    mas::wire::parse_aiomas_message(codec.decode(data, size)));
                });
  }
  return result;
}

/// Waits (bounded) until `pred` holds.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// -- fixture ------------------------------------------------------------------

using config = mas::test::config;

struct fixture {
  log_capture logs; // outlives the actor system
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  fixture() {
    sys.await_actors_before_shutdown(false);
  }

  /// Calls `path` and returns its result or error.
  caf::expected<value> call(const mas::rpc::connection& conn, std::string path,
                            array args = {}, dict kwargs = {}) {
    caf::expected<value> result{value{}};
    self
      ->request(conn, 20s, mas::call_atom_v, std::move(path), std::move(args),
                std::move(kwargs))
      .receive([&](value& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }
};

std::shared_ptr<mas::rpc::service> make_root() {
  auto root = mas::rpc::service::make("test.Root");
  root->expose("echo", [](const value& x) { return x; }, {"x"});
  return root;
}

mas::transport::server start(fixture& f, mas::channel::options opts = {},
                             mas::transport::server_options server_opts = {},
                             std::shared_ptr<mas::rpc::service> root
                             = nullptr) {
  auto srv
    = mas::rpc::start_server(f.sys, mas::net::endpoint::tcp("127.0.0.1", 0),
                             root ? std::move(root) : make_root(), nullptr,
                             std::move(opts), server_opts);
  REQUIRE(srv);
  return std::move(*srv);
}

} // namespace

// -- 1. a peer that never reads -----------------------------------------------

TEST_CASE_METHOD(fixture,
                 "a peer that never reads is held at max_write_buffer, then "
                 "timed out, while others are served") {
  mas::channel::options opts;
  opts.transport.max_write_buffer = 1 << 20;
  // Long enough for the measurement below; the close is waited for.
  opts.transport.stall_timeout = 3s;
  auto srv = start(*this, opts);
  auto good = mas::rpc::open_connection(sys, srv.local_endpoint());
  REQUIRE(good);
  REQUIRE(call(good->channel, "echo", {"warm up"}) == value{"warm up"});
  std::string payload(1000, 'x');
  std::string chunk;
  for (std::uint64_t id = 0; id < 64; ++id)
    chunk += echo_request(id, payload);
  auto attacker = mas::net::connect_once(srv.local_endpoint());
  auto fd = attacker.get();
  auto peer = peer_of(fd);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  auto base = heap_in_use();
  long long peak = 0;
  constexpr std::size_t flood = 50u * 1024u * 1024u;
  std::size_t sent = 0;
  std::size_t offset = 0;
  bool blocked = false;
  // Send until the socket stays full for a while (the server stopped
  // reading) or 50 MB went out.
  while (sent < flood) {
    auto n
      = ::send(fd, chunk.data() + offset, chunk.size() - offset, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      offset = (offset + static_cast<std::size_t>(n)) % chunk.size();
      peak = std::max(peak, heap_in_use() - base);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 500) == 0) {
        blocked = true;
        break;
      }
      continue;
    }
    break; // closed by the server
  }
  peak = std::max(peak, heap_in_use() - base);
  // Others are served meanwhile.
  CHECK(call(good->channel, "echo", {"still here"}) == value{"still here"});
  peak = std::max(peak, heap_in_use() - base);
  INFO("sent " << sent / mib << " MiB, peak heap growth " << peak / 1024
               << " KiB");
  CHECK(blocked);
  CHECK(sent < flood);
  CHECK(peak < 32 * mib);
  // The stall timeout closes the connection, logged with the peer.
  REQUIRE(logs.wait_for(peer));
  auto lines = logs.matching(peer);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("mas.timeout") != std::string::npos);
  CHECK(lines[0].find("no progress") != std::string::npos);
  CHECK(wait_closed_by_peer(fd));
  CHECK(eventually([&] { return srv.open_connections() == 1; }));
  CHECK(call(good->channel, "echo", {"after"}) == value{"after"});
}

// -- 2. no memory kept per connection -----------------------------------------

TEST_CASE_METHOD(fixture, "connections leave no memory and no fds behind") {
  // A timer tick still pending in CAF's clock keeps a closed connection's
  // actor (and its memory) until the clock delivers it: short timeouts make
  // the ticks short, and the measurements wait until the heap settled.
  mas::channel::options opts;
  opts.transport.stall_timeout = 400ms;
  auto srv = start(*this, opts);
  // The heap once it stopped shrinking for a second (bounded: 20 s).
  auto settled = [] {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    auto low = heap_in_use();
    auto low_since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline
           && std::chrono::steady_clock::now() - low_since < 1s) {
      std::this_thread::sleep_for(50ms);
      auto now = heap_in_use();
      if (now < low - 1024) {
        low = now;
        low_since = std::chrono::steady_clock::now();
      }
    }
    return heap_in_use();
  };
  auto ep = srv.local_endpoint();
  auto request = echo_request(1, "ping");
  // One connection: a call answered, then a clean close, a reset, or a reset
  // before any data.
  auto cycle = [&](int i) {
    auto fd = mas::net::connect_once(ep);
    if (i % 3 != 2) {
      send_all(fd.get(), request);
      REQUIRE(read_messages(fd.get(), 1).size() == 1);
    }
    if (i % 3 != 0) {
      linger lg{1, 0};
      ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
  };
  auto all_closed = [&] { return srv.open_connections() == 0; };
  constexpr int n = 3000;
  auto fds_before = open_fds();
  for (int i = 0; i < n / 2; ++i)
    cycle(i);
  REQUIRE(eventually(all_closed));
  auto half = settled();
  for (int i = n / 2; i < n; ++i)
    cycle(i);
  REQUIRE(eventually(all_closed));
  // The sockets close at the end of the I/O loop's iteration.
  CHECK(eventually([&] { return open_fds() <= fds_before; }));
  auto growth = settled() - half;
  INFO("heap growth over the second " << n / 2 << " connections: " << growth
                                      << " bytes");
  // Before: ~1.9 KB per connection, kept for the server's life.
  CHECK(growth < 200 * (n / 2));
  SECTION("RPC clients that reconnect") {
    constexpr int m = 400;
    auto round = [&] {
      auto client = mas::rpc::open_connection(sys, ep, opts);
      REQUIRE(client);
      // No request timeout here: CAF's clock would hold each one's entry
      // for its whole duration (ctest's timeout bounds the test).
      value echoed;
      self
        ->request(client->channel, caf::infinite, mas::call_atom_v,
                  std::string{"echo"}, array{1}, dict{})
        .receive([&](value& x) { echoed = std::move(x); },
                 [&](caf::error& err) { FAIL(mas::render(err)); });
      REQUIRE(echoed == value{1});
      mas::channel::close_and_wait(client->channel);
    };
    for (int i = 0; i < m / 2; ++i)
      round();
    REQUIRE(eventually(all_closed));
    auto before = settled();
    for (int i = 0; i < m / 2; ++i)
      round();
    REQUIRE(eventually(all_closed));
    auto rpc_growth = settled() - before;
    INFO("heap growth over the second "
         << m / 2 << " RPC clients: " << rpc_growth << " bytes");
    CHECK(rpc_growth < 200 * (m / 2));
    CHECK(eventually([&] { return open_fds() <= fds_before; }));
  }
}

// -- 3. out of file descriptors -----------------------------------------------

namespace {

/// The attacker process: reads a port, opens `count` non-blocking
/// connections to it, reports, waits for a byte (or EOF) and closes them.
/// Forked before any thread exists; uses only system calls.
[[noreturn]] void flood_process(int in, int out) {
  static int fds[4096];
  std::uint16_t port = 0;
  int count = 0;
  if (::read(in, &port, sizeof(port)) != sizeof(port)
      || ::read(in, &count, sizeof(count)) != sizeof(count))
    ::_exit(1);
  count = std::min(count, 4096);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int opened = 0;
  for (; opened < count; ++opened) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
      break;
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fds[opened] = fd;
  }
  char done = 1;
  [[maybe_unused]] auto w = ::write(out, &done, 1);
  [[maybe_unused]] auto r = ::read(in, &done, 1);
  for (int i = 0; i < opened; ++i)
    ::close(fds[i]);
  ::_exit(0);
}

/// Kills and reaps the attacker process if the test ends early.
struct child_guard {
  pid_t pid = -1;
  ~child_guard() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

/// Restores RLIMIT_NOFILE.
struct nofile_guard {
  rlimit saved{};
  nofile_guard() {
    ::getrlimit(RLIMIT_NOFILE, &saved);
  }
  ~nofile_guard() {
    ::setrlimit(RLIMIT_NOFILE, &saved);
  }
};

} // namespace

TEST_CASE("out of file descriptors: the server logs once, backs off and "
          "serves its open connections") {
  // The attacker is a process of its own, forked before the actor system
  // starts any thread.
  int to_child[2];
  int from_child[2];
  REQUIRE(::pipe(to_child) == 0);
  REQUIRE(::pipe(from_child) == 0);
  child_guard child;
  child.pid = ::fork();
  REQUIRE(child.pid >= 0);
  if (child.pid == 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    flood_process(to_child[0], from_child[1]);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  mas::net::unique_fd to_flood{to_child[1]};
  mas::net::unique_fd from_flood{from_child[0]};
  nofile_guard limit;
  {
    fixture f;
    mas::transport::server_options server_opts;
    server_opts.accept_backoff = 200ms;
    auto srv = start(f, {}, server_opts);
    auto good = mas::rpc::open_connection(f.sys, srv.local_endpoint());
    REQUIRE(good);
    REQUIRE(f.call(good->channel, "echo", {1}) == value{1});
    // Room for 32 more connections in this process.
    rlimit low = limit.saved;
    low.rlim_cur = static_cast<rlim_t>(open_fds() + 32);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    std::uint16_t port = srv.local_endpoint().port;
    int count = 400; // beyond the limit and the listen backlog
    REQUIRE(::write(to_flood.get(), &port, sizeof(port)) == sizeof(port));
    REQUIRE(::write(to_flood.get(), &count, sizeof(count)) == sizeof(count));
    char done = 0;
    pollfd p{from_flood.get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 10000) == 1);
    REQUIRE(::read(from_flood.get(), &done, 1) == 1);
    REQUIRE(f.logs.wait_for("cannot accept"));
    // A second of being out of descriptors with clients waiting.
    auto cpu_before = cpu_seconds();
    std::this_thread::sleep_for(1s);
    auto cpu = cpu_seconds() - cpu_before;
    INFO("CPU over 1 s out of fds: " << cpu << " s; log:\n" << f.logs.all());
    // Before: 0.99 s per second (accept spun), nothing logged.
    CHECK(cpu < 0.3);
    CHECK(f.logs.count("cannot accept") == 1);
    CHECK(f.logs.matching("cannot accept")[0].find("Too many open files")
          != std::string::npos);
    // The open connection is served.
    CHECK(f.call(good->channel, "echo", {2}) == value{2});
    // The flood goes away: new clients are accepted again.
    REQUIRE(::write(to_flood.get(), &done, 1) == 1);
    int status = 0;
    REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
    child.pid = -1;
    CHECK(WIFEXITED(status));
    CHECK(eventually([&] { return srv.open_connections() == 1; }));
    auto next = mas::rpc::open_connection(f.sys, srv.local_endpoint(), {},
                                          std::chrono::seconds{10});
    REQUIRE(next);
    CHECK(f.call(next->channel, "echo", {3}) == value{3});
    // Logged once the accept thread finds the backlog empty, which may be
    // after it handed `next` over.
    CHECK(f.logs.wait_for("accepting again"));
    CHECK(f.logs.count("cannot accept") == 1);
  }
}

// -- 4. timeouts and held memory ----------------------------------------------

TEST_CASE_METHOD(fixture, "a half frame is closed after the stall timeout") {
  mas::channel::options opts;
  opts.transport.stall_timeout = 200ms;
  auto srv = start(*this, opts);
  auto fd = mas::net::connect_once(srv.local_endpoint());
  auto peer = peer_of(fd.get());
  std::string half{"\x00\x10\x00\x00", 4}; // announces 1 MiB
  half += "[0, 1, [\"e";                   // 10 bytes of it
  send_all(fd.get(), half);
  CHECK(wait_closed_by_peer(fd.get()));
  REQUIRE(logs.wait_for(peer));
  auto line = logs.matching(peer).at(0);
  CHECK(line.find("mas.timeout") != std::string::npos);
  CHECK(line.find("partial frame: 14 bytes") != std::string::npos);
  CHECK(eventually([&] { return srv.open_connections() == 0; }));
}

TEST_CASE_METHOD(fixture,
                 "a half-done TLS handshake is closed after the handshake "
                 "timeout") {
  auto dir = mas::test::make_certs();
  mas::channel::options opts;
  opts.transport.tls = mas::net::make_ssl_server_context(
    dir + "/ca.pem", dir + "/server.pem", dir + "/server.key");
  opts.transport.handshake_timeout = 300ms;
  auto srv = start(*this, opts);
  // One sends nothing, one the start of a ClientHello record.
  auto silent = mas::net::connect_once(srv.local_endpoint());
  auto partial = mas::net::connect_once(srv.local_endpoint());
  std::string hello{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11};
  hello += std::string(20, '\x42');
  send_all(partial.get(), hello);
  for (auto* fd : {&silent, &partial}) {
    auto peer = peer_of(fd->get());
    CHECK(wait_closed_by_peer(fd->get()));
    REQUIRE(logs.wait_for(peer));
    auto line = logs.matching(peer).at(0);
    CHECK(line.find("mas.tls_failure: TLS handshake timed out")
          != std::string::npos);
  }
  CHECK(eventually([&] { return srv.open_connections() == 0; }));
  // A real TLS client still gets through.
  mas::channel::options client_opts;
  client_opts.transport.tls = mas::net::make_ssl_client_context(
    dir + "/ca.pem", dir + "/client.pem", dir + "/client.key");
  auto client
    = mas::rpc::open_connection(sys, srv.local_endpoint(), client_opts);
  REQUIRE(client);
  CHECK(call(client->channel, "echo", {"tls"}) == value{"tls"});
}

TEST_CASE_METHOD(fixture, "an idle connection stays open") {
  mas::channel::options opts;
  opts.transport.stall_timeout = 200ms;
  auto srv = start(*this, opts);
  auto raw = mas::net::connect_once(srv.local_endpoint());
  auto good = mas::rpc::open_connection(sys, srv.local_endpoint());
  REQUIRE(good);
  send_all(raw.get(), echo_request(1, "one"));
  REQUIRE(read_messages(raw.get(), 1).size() == 1);
  REQUIRE(call(good->channel, "echo", {1}) == value{1});
  // Five stall timeouts of idling: aiomas and mango keep such connections.
  CHECK_FALSE(anything_within(raw.get(), 1s));
  send_all(raw.get(), echo_request(2, "two"));
  auto msgs = read_messages(raw.get(), 1);
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].id == 2);
  CHECK(msgs[0].content == value{"two"});
  CHECK(call(good->channel, "echo", {2}) == value{2});
  CHECK(srv.open_connections() == 2);
  CHECK(logs.count("closed connection") == 0);
}

TEST_CASE_METHOD(fixture, "max_connections leaves further clients waiting") {
  mas::transport::server_options server_opts;
  server_opts.max_connections = 2;
  server_opts.accept_backoff = 50ms;
  auto srv = start(*this, {}, server_opts);
  auto first = mas::rpc::open_connection(sys, srv.local_endpoint());
  auto second = mas::rpc::open_connection(sys, srv.local_endpoint());
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE(call(first->channel, "echo", {1}) == value{1});
  REQUIRE(call(second->channel, "echo", {2}) == value{2});
  // A third client connects (the kernel's backlog) but is not served.
  auto third = mas::net::connect_once(srv.local_endpoint());
  send_all(third.get(), echo_request(3, "three"));
  CHECK_FALSE(anything_within(third.get(), 500ms));
  CHECK(srv.open_connections() == 2);
  REQUIRE(logs.wait_for("max_connections"));
  CHECK(logs.count("max_connections") == 1);
  // One closes: the third is served.
  mas::channel::close_and_wait(first->channel);
  auto msgs = read_messages(third.get(), 1);
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].content == value{"three"});
  CHECK(call(second->channel, "echo", {4}) == value{4});
  // Still one episode; it ends once there is room and nobody waits.
  CHECK(logs.count("max_connections") == 1);
  mas::channel::close_and_wait(second->channel);
  CHECK(logs.wait_for("accepting again"));
}

TEST_CASE_METHOD(fixture, "a big frame's memory is released afterwards") {
  auto srv = start(*this);
  auto client = mas::rpc::open_connection(sys, srv.local_endpoint());
  REQUIRE(client);
  REQUIRE(call(client->channel, "echo", {"warm up"}) == value{"warm up"});
  auto base = heap_in_use();
  {
    std::string big(8 * 1024 * 1024, 'x');
    auto echoed = call(client->channel, "echo", {big});
    REQUIRE(echoed);
    CHECK(echoed->as_string().size() == big.size());
  }
  // Both ends drop their buffers once the write completed; wait for that.
  auto released = eventually([&] { return heap_in_use() - base < mib; }, 5s);
  INFO("heap kept after an 8 MiB echo: " << (heap_in_use() - base) / 1024
                                         << " KiB");
  // Before: the capacity of the frame stayed with each idle connection.
  CHECK(released);
  CHECK(call(client->channel, "echo", {"small"}) == value{"small"});
  CHECK(heap_in_use() - base < mib);
}

TEST_CASE_METHOD(fixture, "queued requests are bounded in bytes") {
  auto root = make_root();
  auto parked = std::make_shared<std::vector<mas::rpc::responder>>();
  auto mtx = std::make_shared<std::mutex>();
  root->expose("park", [parked, mtx](mas::rpc::call_context& ctx) {
    std::lock_guard<std::mutex> guard{*mtx};
    parked->push_back(ctx.defer());
  });
  root->expose("release", [parked, mtx]() {
    std::lock_guard<std::mutex> guard{*mtx};
    for (auto& r : *parked)
      r.deliver("released");
    auto n = parked->size();
    parked->clear();
    return n;
  });
  mas::channel::options opts;
  opts.max_incoming_requests = 1;
  opts.max_queued_bytes = 2 * 1024 * 1024;
  auto srv = start(*this, opts, {}, root);
  auto good = mas::rpc::open_connection(sys, srv.local_endpoint());
  REQUIRE(good);
  auto raw = mas::net::connect_once(srv.local_endpoint());
  auto base = heap_in_use();
  // The one slot is taken by a call that is never answered ...
  send_all(raw.get(), frame(R"([0, 0, ["park", [], {}]])"));
  // ... and 16 requests of 1 MB follow: two fit into 2 MiB.
  std::string payload(1000000, 'y');
  constexpr int n = 16;
  for (int i = 1; i <= n; ++i)
    send_all(raw.get(), echo_request(static_cast<std::uint64_t>(i), payload));
  auto refused = read_messages(raw.get(), n - 2);
  auto growth = heap_in_use() - base;
  INFO("heap growth with " << n << " MB of requests sent: " << growth / 1024
                           << " KiB");
  REQUIRE(refused.size() == n - 2);
  for (auto& msg : refused) {
    CHECK(msg.type == mas::wire::message_type::exception);
    CHECK(msg.id > 2);
    CHECK(msg.content.as_string()
          == "RuntimeError: too many requests in flight on this connection\n");
  }
  // Before: all 16 MB queued (the queue counted requests, not bytes).
  CHECK(growth < 8 * mib);
  // Answering the parked call lets the queued ones through.
  CHECK(call(good->channel, "release") == value{1});
  auto rest = read_messages(raw.get(), 3);
  REQUIRE(rest.size() == 3);
  CHECK(rest[0].id == 0);
  CHECK(rest[0].content == value{"released"});
  CHECK(rest[1].id == 1);
  CHECK(rest[2].id == 2);
  CHECK(rest[2].content.as_string().size() == payload.size());
}

// -- 7. protocol errors are logged --------------------------------------------

TEST_CASE_METHOD(fixture,
                 "every protocol error that closes a connection is logged "
                 "with peer and reason") {
  auto srv = start(*this);
  auto good = mas::rpc::open_connection(sys, srv.local_endpoint());
  REQUIRE(good);
  struct attack {
    std::string bytes;
    std::string reason;
  };
  std::vector<attack> attacks{
    {std::string{"\x00\x00\x00\x05hello", 9}, "JSON"},
    {std::string{"\xff\xff\xff\xff", 4}, "frame"},
    {std::string{"\x00\x00\x00\x09[7, 0, 1]", 13}, "Invalid message type 7"},
    {std::string{"\x00\x00\x00\x06[0, 1]", 10}, "message"},
    {std::string{"\x00\x00\x00\x09[1, 0, 1]", 13},
     "reply for unknown request id 0"},
  };
  for (auto& a : attacks) {
    INFO("expecting a line with " << a.reason);
    auto fd = mas::net::connect_once(srv.local_endpoint());
    auto peer = peer_of(fd.get());
    send_all(fd.get(), a.bytes);
    CHECK(wait_closed_by_peer(fd.get()));
    REQUIRE(logs.wait_for(peer));
    auto lines = logs.matching(peer);
    INFO(logs.all());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("warning: closed connection with " + peer, 0) == 0);
    CHECK(lines[0].find("mas.protocol_error") != std::string::npos);
    CHECK(lines[0].find(a.reason) != std::string::npos);
    CHECK(call(good->channel, "echo", {1}) == value{1});
  }
  // A client that just leaves is no operator's concern.
  {
    auto fd = mas::net::connect_once(srv.local_endpoint());
    send_all(fd.get(), echo_request(1, "bye"));
    REQUIRE(read_messages(fd.get(), 1).size() == 1);
  }
  CHECK(eventually([&] { return srv.open_connections() == 1; }));
  CHECK(logs.count("closed connection") == attacks.size());
}
