#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mas/net/socket.hpp"

using namespace std::chrono_literals;
using mas::net::endpoint;
using mas::net::socket_error;
using mas::net::unique_fd;

namespace {

// -- helpers ------------------------------------------------------------------

using steady = std::chrono::steady_clock;

/// A temporary directory, removed (with its plain entries) on destruction.
class temp_dir {
public:
  temp_dir() {
    std::string tmpl = "/tmp/mas-net-test.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      FAIL("mkdtemp failed: " << std::strerror(errno));
    path_ = tmpl;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    if (std::system(cmd.c_str()) != 0)
      std::fprintf(stderr, "cannot remove %s\n", path_.c_str());
  }

  std::string file(const std::string& name) const {
    return path_ + "/" + name;
  }

private:
  std::string path_;
};

/// Accepts one connection, waiting at most 5 s.
unique_fd accept_one(int listener) {
  pollfd pfd{listener, POLLIN, 0};
  auto res = ::poll(&pfd, 1, 5000);
  REQUIRE(res == 1);
  unique_fd fd{::accept(listener, nullptr, nullptr)};
  REQUIRE(fd);
  return fd;
}

bool has_cloexec(int fd) {
  auto flags = ::fcntl(fd, F_GETFD);
  return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}

int int_option(int fd, int level, int name) {
  int value = -1;
  socklen_t len = sizeof(value);
  REQUIRE(::getsockopt(fd, level, name, &value, &len) == 0);
  return value;
}

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

/// A TCP socket bound to 127.0.0.1 with an OS-chosen port but not listening:
/// connecting to it is refused until `listen` is called, and nobody else can
/// take the port in the meantime.
unique_fd bound_not_listening() {
  unique_fd fd{::socket(AF_INET, SOCK_STREAM, 0)};
  REQUIRE(fd);
  sockaddr_in addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr))
          == 0);
  return fd;
}

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

/// Checks a connected pair: peer names in Python's format on both sides.
void check_tcp_pair(int client, int server, const endpoint& listen_ep,
                    bool v6) {
  auto client_ep = mas::net::local_endpoint(client);
  auto tail = v6 ? std::string{", 0, 0)"} : std::string{")"};
  CHECK(mas::net::peer_name(client)
        == "('" + listen_ep.host + "', " + std::to_string(listen_ep.port)
             + tail);
  CHECK(mas::net::peer_name(server)
        == "('" + client_ep.host + "', " + std::to_string(client_ep.port)
             + tail);
  CHECK(has_cloexec(client));
  CHECK(int_option(client, IPPROTO_TCP, TCP_NODELAY) != 0);
  // Data flows.
  char c = 'x';
  REQUIRE(::send(client, &c, 1, MSG_NOSIGNAL) == 1);
  char d = 0;
  REQUIRE(::recv(server, &d, 1, 0) == 1);
  CHECK(d == 'x');
}

} // namespace

// -- unique_fd ----------------------------------------------------------------

TEST_CASE("unique_fd closes on destruction and move assignment",
          "[net][socket]") {
  int a = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int b = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(a >= 0);
  REQUIRE(b >= 0);
  {
    unique_fd x{a};
    unique_fd y{b};
    x = std::move(y);
    CHECK_FALSE(is_open(a));
    CHECK(x.get() == b);
    CHECK(y.get() == -1);
    CHECK_FALSE(static_cast<bool>(y));
    unique_fd z{std::move(x)};
    CHECK(z.get() == b);
    CHECK(x.get() == -1);
  }
  CHECK_FALSE(is_open(b));
  int c = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(c >= 0);
  unique_fd w{c};
  CHECK(w.release() == c);
  CHECK(is_open(c));
  ::close(c);
}

// -- TCP ----------------------------------------------------------------------

TEST_CASE("listen and connect on IPv4 loopback", "[net][socket]") {
  auto listener = mas::net::listen_on(endpoint::tcp("127.0.0.1", 0));
  REQUIRE(listener);
  CHECK(has_cloexec(listener.get()));
  CHECK(int_option(listener.get(), SOL_SOCKET, SO_REUSEADDR) != 0);
  auto ep = mas::net::local_endpoint(listener.get());
  CHECK(ep.is_tcp());
  CHECK(ep.host == "127.0.0.1");
  CHECK(ep.port != 0);
  auto client = mas::net::connect_once(ep);
  auto server = accept_one(listener.get());
  check_tcp_pair(client.get(), server.get(), ep, false);
}

TEST_CASE("listen and connect on IPv6 loopback", "[net][socket]") {
  unique_fd listener;
  try {
    listener = mas::net::listen_on(endpoint::tcp("::1", 0));
  } catch (const socket_error& ex) {
    // Only a kernel without IPv6 excuses this; a machine with IPv6 but no
    // working ::1 is a failure.
    unique_fd probe{::socket(AF_INET6, SOCK_STREAM, 0)};
    auto no_ipv6 = !probe && errno == EAFNOSUPPORT;
    if (no_ipv6) {
      WARN("the kernel has no IPv6 support (socket(AF_INET6) gives "
           "EAFNOSUPPORT); IPv6 loopback not tested: "
           << ex.what());
      return;
    }
    FAIL(
      "cannot listen on [::1]:0 although the kernel has IPv6: " << ex.what());
  }
  auto ep = mas::net::local_endpoint(listener.get());
  CHECK(ep.host == "::1");
  CHECK(ep.port != 0);
  CHECK(ep.to_string() == "[::1]:" + std::to_string(ep.port));
  auto client = mas::net::connect_once(ep);
  auto server = accept_one(listener.get());
  check_tcp_pair(client.get(), server.get(), ep, true);
}

TEST_CASE("the IPv6 wildcard is dual-stack", "[net][socket]") {
  unique_fd probe{::socket(AF_INET6, SOCK_STREAM, 0)};
  if (!probe && errno == EAFNOSUPPORT) {
    WARN("the kernel has no IPv6 support; dual-stack not tested");
    return;
  }
  auto listener = mas::net::listen_on(endpoint::tcp("::", 0));
  CHECK(int_option(listener.get(), IPPROTO_IPV6, IPV6_V6ONLY) == 0);
  auto ep = mas::net::local_endpoint(listener.get());
  CHECK(ep.host == "::");
  auto client = mas::net::connect_once(endpoint::tcp("127.0.0.1", ep.port));
  auto server = accept_one(listener.get());
  auto client_ep = mas::net::local_endpoint(client.get());
  // An IPv4 peer on a dual-stack socket, as Python shows it.
  CHECK(mas::net::peer_name(server.get())
        == "('::ffff:127.0.0.1', " + std::to_string(client_ep.port)
             + ", 0, 0)");
}

TEST_CASE("connect_once resolves host names", "[net][socket]") {
  auto listener = mas::net::listen_on(endpoint::tcp("127.0.0.1", 0));
  auto port = mas::net::local_endpoint(listener.get()).port;
  // "localhost" may resolve to ::1 first, which is refused; the next address
  // must be tried.
  auto client = mas::net::connect_once(endpoint::tcp("localhost", port));
  auto server = accept_one(listener.get());
  CHECK(mas::net::peer_name(client.get())
        == "('127.0.0.1', " + std::to_string(port) + ")");
}

TEST_CASE("connect_once to a closed port is refused", "[net][socket]") {
  auto closed = bound_not_listening();
  auto ep = mas::net::local_endpoint(closed.get());
  try {
    mas::net::connect_once(ep);
    FAIL("connect_once succeeded");
  } catch (const socket_error& ex) {
    CHECK(ex.code() == ECONNREFUSED);
    CHECK_THAT(ex.what(), Catch::Contains("127.0.0.1"));
  }
}

TEST_CASE("connect_once to an unknown host fails", "[net][socket]") {
  CHECK_THROWS_AS(
    mas::net::connect_once(endpoint::tcp("no-such-host.invalid", 80)),
    socket_error);
}

TEST_CASE("connect_with_retry with timeout 0 makes one attempt",
          "[net][socket]") {
  auto closed = bound_not_listening();
  auto ep = mas::net::local_endpoint(closed.get());
  auto start = steady::now();
  try {
    mas::net::connect_with_retry(ep, 0s);
    FAIL("connect_with_retry succeeded");
  } catch (const socket_error& ex) {
    CHECK(ex.code() == ECONNREFUSED);
  }
  // A second attempt would come only after a 0.5 s wait.
  CHECK(seconds_since(start) < 0.5);
}

TEST_CASE("connect_with_retry waits for a late TCP listener", "[net][socket]") {
  auto late = bound_not_listening();
  auto ep = mas::net::local_endpoint(late.get());
  std::thread starter{[&] {
    std::this_thread::sleep_for(700ms);
    ::listen(late.get(), 16);
  }};
  unique_fd client;
  std::string error;
  try {
    // Attempts at about 0 s, 0.5 s and, cut short by the deadline, 1.2 s.
    client = mas::net::connect_with_retry(ep, 1.2s);
  } catch (const socket_error& ex) {
    error = ex.what();
  }
  starter.join();
  INFO(error);
  REQUIRE(client);
  auto server = accept_one(late.get());
  CHECK(server);
}

TEST_CASE("connect_with_retry gives up after the timeout", "[net][socket]") {
  auto closed = bound_not_listening();
  auto ep = mas::net::local_endpoint(closed.get());
  auto start = steady::now();
  try {
    mas::net::connect_with_retry(ep, 1s);
    FAIL("connect_with_retry succeeded");
  } catch (const socket_error& ex) {
    CHECK(ex.code() == ECONNREFUSED);
  }
  CHECK(seconds_since(start) < 10.0);
}

// -- Unix domain sockets ------------------------------------------------------

TEST_CASE("listen and connect on a Unix socket", "[net][socket]") {
  temp_dir dir;
  auto path = dir.file("s.sock");
  auto listener = mas::net::listen_on(endpoint::unix_socket(path));
  CHECK(has_cloexec(listener.get()));
  auto ep = mas::net::local_endpoint(listener.get());
  CHECK(ep == endpoint::unix_socket(path));
  auto client = mas::net::connect_once(ep);
  CHECK(has_cloexec(client.get()));
  auto server = accept_one(listener.get());
  // Python: '' on the accepting side (unnamed peer), the path on the
  // connecting side.
  CHECK(mas::net::peer_name(server.get()).empty());
  CHECK(mas::net::peer_name(client.get()) == path);
  char c = 'u';
  REQUIRE(::send(client.get(), &c, 1, MSG_NOSIGNAL) == 1);
  char d = 0;
  REQUIRE(::recv(server.get(), &d, 1, 0) == 1);
  CHECK(d == 'u');
}

TEST_CASE("listen_on replaces a stale socket file but nothing else",
          "[net][socket]") {
  temp_dir dir;
  auto path = dir.file("s.sock");
  { auto first = mas::net::listen_on(endpoint::unix_socket(path)); }
  // The socket file of the closed listener is still there.
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  REQUIRE(S_ISSOCK(st.st_mode));
  auto second = mas::net::listen_on(endpoint::unix_socket(path));
  auto client = mas::net::connect_once(endpoint::unix_socket(path));
  CHECK(client);
  // A regular file is never removed.
  auto file = dir.file("regular");
  std::ofstream{file} << "keep";
  try {
    mas::net::listen_on(endpoint::unix_socket(file));
    FAIL("listen_on succeeded on a regular file");
  } catch (const socket_error& ex) {
    CHECK(ex.code() == EADDRINUSE);
  }
  std::ifstream in{file};
  std::string content;
  in >> content;
  CHECK(content == "keep");
}

TEST_CASE("connect to a missing Unix socket fails with ENOENT",
          "[net][socket]") {
  temp_dir dir;
  try {
    mas::net::connect_once(endpoint::unix_socket(dir.file("none")));
    FAIL("connect_once succeeded");
  } catch (const socket_error& ex) {
    CHECK(ex.code() == ENOENT);
  }
}

TEST_CASE("connect_with_retry waits for a late Unix socket", "[net][socket]") {
  temp_dir dir;
  auto ep = endpoint::unix_socket(dir.file("late.sock"));
  unique_fd listener;
  std::thread starter{[&] {
    std::this_thread::sleep_for(700ms);
    listener = mas::net::listen_on(ep);
  }};
  unique_fd client;
  std::string error;
  try {
    client = mas::net::connect_with_retry(ep, 5s);
  } catch (const socket_error& ex) {
    error = ex.what();
  }
  starter.join();
  INFO(error);
  REQUIRE(client);
  auto server = accept_one(listener.get());
  CHECK(server);
}

TEST_CASE("connect_with_retry does not retry other Unix socket errors",
          "[net][socket]") {
  temp_dir dir;
  auto file = dir.file("file");
  std::ofstream{file} << "x";
  auto start = steady::now();
  try {
    // A path below a regular file: ENOTDIR, which is not retried.
    mas::net::connect_with_retry(endpoint::unix_socket(file + "/s.sock"), 30s);
    FAIL("connect_with_retry succeeded");
  } catch (const socket_error& ex) {
    CHECK(ex.code() == ENOTDIR);
  }
  CHECK(seconds_since(start) < 10.0);
}

TEST_CASE("Unix socket paths that are too long are rejected", "[net][socket]") {
  std::string path = "/tmp/" + std::string(200, 'x');
  CHECK_THROWS_AS(mas::net::listen_on(endpoint::unix_socket(path)),
                  socket_error);
  CHECK_THROWS_AS(mas::net::connect_once(endpoint::unix_socket(path)),
                  socket_error);
}
