#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mas/net/socket.hpp"
#include "mas/net/tls.hpp"

extern char** environ;

using namespace std::chrono_literals;
using mas::net::endpoint;
using mas::net::ssl_certs;
using mas::net::ssl_context;
using mas::net::tls_error;
using mas::net::tls_session;
using mas::net::unique_fd;

namespace {

// -- locating tools -----------------------------------------------------------

using bytes = std::vector<std::uint8_t>;
using steady = std::chrono::steady_clock;

/// The repository root, computed from this file's path
/// (`<root>/tests/net/tls_test.cpp`).
std::string repo_root() {
  std::string path = __FILE__;
  for (int i = 0; i < 3; ++i) {
    auto pos = path.rfind('/');
    if (pos == std::string::npos)
      return ".";
    path.erase(pos);
  }
  return path.empty() ? "/" : path;
}

std::string env_or(const char* name, const std::string& fallback) {
  auto value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string{value} : fallback;
}

std::string python_path() {
  return env_or("MAS_PYTHON", repo_root() + "/.venv/bin/python");
}

std::string make_certs_path() {
  return env_or("MAS_MAKE_CERTS", repo_root() + "/tests/tls/make_certs.sh");
}

bytes to_bytes(const std::string& str) {
  return bytes(str.begin(), str.end());
}

std::string to_string(const bytes& buf) {
  return std::string(buf.begin(), buf.end());
}

// -- subprocesses -------------------------------------------------------------

/// A child process with stdout and stderr going to one pipe. The destructor
/// kills (SIGKILL) and reaps it if it still runs.
class child_process {
public:
  explicit child_process(const std::vector<std::string>& args) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    out_ = unique_fd{fds[0]};
    unique_fd write_end{fds[1]};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    auto res
      = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (res != 0) {
      pid_ = -1;
      FAIL("cannot start " << args[0] << ": " << std::strerror(res));
    }
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  ~child_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  /// Everything the child printed so far.
  const std::string& output() const {
    return output_;
  }

  /// Waits until the child printed a line starting with `prefix` and
  /// returns the rest of it (std::nullopt on EOF or timeout).
  std::optional<std::string> line_with(const std::string& prefix,
                                       std::chrono::milliseconds timeout) {
    auto deadline = steady::now() + timeout;
    for (;;) {
      auto found = find_line(prefix);
      if (found)
        return found;
      if (!read_some(deadline))
        return find_line(prefix);
    }
  }

  /// Waits for the exit (at most `timeout`, then SIGKILL) and returns the
  /// exit code, or -1 if killed or signalled.
  int wait(std::chrono::milliseconds timeout) {
    auto deadline = steady::now() + timeout;
    // Read the rest of the output meanwhile, so the child never blocks on a
    // full pipe.
    while (read_some(deadline))
      ; // nop
    int status = 0;
    for (;;) {
      auto res = ::waitpid(pid_, &status, WNOHANG);
      if (res == pid_)
        break;
      if (res < 0 && errno != EINTR)
        return -1;
      if (steady::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return -1;
      }
      ::usleep(10000);
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

private:
  std::optional<std::string> find_line(const std::string& prefix) const {
    std::size_t pos = 0;
    while (pos < output_.size()) {
      auto end = output_.find('\n', pos);
      if (end == std::string::npos)
        return std::nullopt; // incomplete line
      if (output_.compare(pos, prefix.size(), prefix) == 0)
        return output_.substr(pos + prefix.size(), end - pos - prefix.size());
      pos = end + 1;
    }
    return std::nullopt;
  }

  /// Reads one chunk; false on EOF or timeout.
  bool read_some(steady::time_point deadline) {
    if (!out_)
      return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - steady::now());
    if (left.count() <= 0)
      return false;
    pollfd pfd{out_.get(), POLLIN, 0};
    auto res = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (res < 0 && errno == EINTR)
      return true;
    if (res <= 0)
      return false;
    char buf[4096];
    auto n = ::read(out_.get(), buf, sizeof(buf));
    if (n <= 0) {
      out_ = unique_fd{};
      return false;
    }
    output_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  unique_fd out_;
  std::string output_;
};

// -- certificates -------------------------------------------------------------

/// Generates the test PKI once per process into a temporary directory.
class cert_dir {
public:
  static const cert_dir& get() {
    static cert_dir instance;
    return instance;
  }

  std::string file(const std::string& name) const {
    return path_ + "/" + name;
  }

  ssl_certs certs(const std::string& ca, const std::string& leaf) const {
    return {file(ca + ".pem"), file(leaf + ".pem"), file(leaf + ".key")};
  }

  ~cert_dir() {
    if (!path_.empty()) {
      std::string cmd = "rm -rf '" + path_ + "'";
      if (std::system(cmd.c_str()) != 0)
        std::fprintf(stderr, "cannot remove %s\n", path_.c_str());
    }
  }

private:
  cert_dir() {
    auto script = make_certs_path();
    if (::access(script.c_str(), R_OK) != 0)
      FAIL("MAS_MAKE_CERTS is unset and " << script << " is missing");
    std::string tmpl = "/tmp/mas-tls-test.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      FAIL("mkdtemp failed: " << std::strerror(errno));
    path_ = tmpl;
    child_process proc{{"/bin/sh", script, path_}};
    auto rc = proc.wait(60s);
    if (rc != 0)
      FAIL(script << " failed (" << rc << "):\n" << proc.output());
  }

  std::string path_;
};

ssl_context server_ctx(const std::string& ca = "ca",
                       const std::string& leaf = "server") {
  return ssl_context::server(cert_dir::get().certs(ca, leaf));
}

ssl_context client_ctx(const std::string& ca = "ca",
                       const std::string& leaf = "client") {
  return ssl_context::client(cert_dir::get().certs(ca, leaf));
}

// -- in-memory pumping --------------------------------------------------------

struct peer {
  tls_session session;
  bytes plain;
  bool ok = true;

  peer(const ssl_context& ctx, const std::string& host) : session(ctx, host) {
    // nop
  }

  void send(const std::string& str) {
    auto buf = to_bytes(str);
    REQUIRE(session.write(buf.data(), buf.size()));
  }
};

/// Moves ciphertext both ways until nothing moves (bounded).
void pump(peer& a, peer& b) {
  for (int round = 0; round < 10000; ++round) {
    auto moved = false;
    bytes buf;
    a.session.drain(buf);
    if (!buf.empty()) {
      moved = true;
      if (b.ok)
        b.ok = b.session.feed(buf.data(), buf.size(), b.plain);
    }
    buf.clear();
    b.session.drain(buf);
    if (!buf.empty()) {
      moved = true;
      if (a.ok)
        a.ok = a.session.feed(buf.data(), buf.size(), a.plain);
    }
    if (!moved)
      return;
  }
  FAIL("pump did not settle");
}

struct pair {
  peer client;
  peer server;

  pair(const ssl_context& client_ctx, const ssl_context& server_ctx,
       const std::string& host = "localhost")
    : client(client_ctx, host), server(server_ctx, "") {
    // nop
  }

  void run() {
    pump(client, server);
  }
};

// -- socket pumping -----------------------------------------------------------

void send_all(int fd, const bytes& buf) {
  std::size_t pos = 0;
  while (pos < buf.size()) {
    auto n = ::send(fd, buf.data() + pos, buf.size() - pos, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    REQUIRE(n > 0);
    pos += static_cast<std::size_t>(n);
  }
}

/// Flushes the session's ciphertext to `fd`.
void flush(int fd, tls_session& session) {
  bytes buf;
  session.drain(buf);
  send_all(fd, buf);
}

/// Drives `session` over `fd` until `plain` holds `want` bytes, the peer
/// closes, a TLS error occurs or the timeout passes. Returns false on a TLS
/// error.
bool pump_socket(int fd, tls_session& session, bytes& plain, std::size_t want,
                 std::chrono::milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  for (;;) {
    flush(fd, session);
    if (plain.size() >= want)
      return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - steady::now());
    if (left.count() <= 0)
      return true;
    pollfd pfd{fd, POLLIN, 0};
    auto res = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (res < 0 && errno == EINTR)
      continue;
    if (res <= 0)
      return true;
    std::uint8_t buf[65536];
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return true;
    if (!session.feed(buf, static_cast<std::size_t>(n), plain)) {
      flush(fd, session);
      return false;
    }
  }
}

unique_fd accept_one(int listener, std::chrono::milliseconds timeout) {
  pollfd pfd{listener, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1)
    return unique_fd{};
  return unique_fd{::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)};
}

std::string require_python() {
  auto python = python_path();
  if (::access(python.c_str(), X_OK) != 0)
    FAIL("no Python at " << python << " (set MAS_PYTHON)");
  return python;
}

// A Python client with aiomas's client context: sends b"ping", expects
// b"pong", prints the protocol and cipher.
constexpr const char* python_client = R"(
import socket, ssl, sys, warnings
warnings.simplefilter('ignore')
import aiomas.util
ca, cert, key, port = sys.argv[1:5]
ctx = aiomas.util.make_ssl_client_context(ca, cert, key)
raw = socket.create_connection(('127.0.0.1', int(port)), timeout=15)
try:
    s = ctx.wrap_socket(raw, server_hostname='127.0.0.1')
    s.sendall(b'ping')
    data = b''
    while len(data) < 4:
        chunk = s.recv(4 - len(data))
        if not chunk:
            break
        data += chunk
    print('RESULT', s.version(), s.cipher()[0], data.decode(), flush=True)
    s.close()
except ssl.SSLError as e:
    print('SSLERROR', e, flush=True)
    sys.exit(3)
)";

// A Python server with aiomas's server context: expects b"ping", answers
// b"pong", prints the protocol, cipher and client subject, then waits for
// the client to close.
constexpr const char* python_server = R"(
import socket, ssl, sys, warnings
warnings.simplefilter('ignore')
import aiomas.util
ca, cert, key = sys.argv[1:4]
ctx = aiomas.util.make_ssl_server_context(ca, cert, key)
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(1)
srv.settimeout(15)
print('PORT', srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
conn.settimeout(15)
s = ctx.wrap_socket(conn, server_side=True)
data = b''
while len(data) < 4:
    chunk = s.recv(4 - len(data))
    if not chunk:
        break
    data += chunk
s.sendall(b'pong' if data == b'ping' else b'bad!')
subject = dict(x[0] for x in s.getpeercert()['subject'])
print('RESULT', s.version(), s.cipher()[0], data.decode(),
      subject.get('commonName'), flush=True)
print('CLOSED', repr(s.recv(1)), flush=True)
s.close()
)";

} // namespace

// -- contexts -----------------------------------------------------------------

TEST_CASE("ssl_context loads the aiomas certificate files", "[net][tls]") {
  auto server = server_ctx();
  CHECK(server);
  CHECK(server.is_server());
  CHECK(server.native() != nullptr);
  auto client = client_ctx();
  CHECK(client);
  CHECK_FALSE(client.is_server());
  auto& dir = cert_dir::get();
  auto aliased = mas::net::make_ssl_client_context(
    dir.file("ca.pem"), dir.file("client.pem"), dir.file("client.key"));
  CHECK(aliased);
  CHECK_FALSE(ssl_context{});
}

TEST_CASE("ssl_context reports bad files", "[net][tls]") {
  auto& dir = cert_dir::get();
  // Key does not match the certificate.
  CHECK_THROWS_AS(
    ssl_context::server(
      {dir.file("ca.pem"), dir.file("server.pem"), dir.file("client.key")}),
    tls_error);
  CHECK_THROWS_AS(
    ssl_context::client(
      {dir.file("ca.pem"), dir.file("missing.pem"), dir.file("client.key")}),
    tls_error);
  CHECK_THROWS_AS(
    ssl_context::server({dir.file("missing-ca.pem"), dir.file("server.pem"),
                         dir.file("server.key")}),
    tls_error);
  try {
    ssl_context::server(
      {dir.file("ca.pem"), dir.file("server.pem"), dir.file("client.key")});
  } catch (const tls_error& ex) {
    CHECK_THAT(ex.what(), Catch::Contains("key values mismatch"));
  }
}

TEST_CASE("tls_session needs a context and, for clients, a host name",
          "[net][tls]") {
  CHECK_THROWS_AS(tls_session(ssl_context{}, "localhost"), tls_error);
  CHECK_THROWS_AS(tls_session(client_ctx(), ""), tls_error);
  CHECK_NOTHROW(tls_session(server_ctx(), ""));
}

// -- in-memory sessions -------------------------------------------------------

TEST_CASE("TLS handshake and data in memory", "[net][tls]") {
  pair p{client_ctx(), server_ctx()};
  CHECK_FALSE(p.client.session.handshake_done());
  CHECK(p.client.session.protocol().empty());
  // Written before the handshake: held back, then sent.
  p.client.send("hello");
  p.run();
  REQUIRE(p.client.ok);
  REQUIRE(p.server.ok);
  CHECK(p.client.session.handshake_done());
  CHECK(p.server.session.handshake_done());
  CHECK(to_string(p.server.plain) == "hello");
  auto proto = p.client.session.protocol();
  CHECK((proto == "TLSv1.3" || proto == "TLSv1.2"));
  CHECK(p.server.session.protocol() == proto);
  CHECK(p.server.session.peer_subject() == "CN=client");
  CHECK(p.client.session.peer_subject() == "CN=localhost");
  CHECK(p.client.session.error().empty());
  p.server.send("world");
  p.run();
  CHECK(to_string(p.client.plain) == "world");
  SECTION("one megabyte each way") {
    bytes big(1 << 20);
    for (std::size_t i = 0; i < big.size(); ++i)
      big[i] = static_cast<std::uint8_t>((i * 31 + (i >> 11)) & 0xff);
    p.client.plain.clear();
    p.server.plain.clear();
    REQUIRE(p.client.session.write(big.data(), big.size()));
    REQUIRE(p.server.session.write(big.data(), big.size()));
    p.run();
    REQUIRE(p.client.ok);
    REQUIRE(p.server.ok);
    CHECK(p.server.plain == big);
    CHECK(p.client.plain == big);
  }
  SECTION("close_notify") {
    CHECK_FALSE(p.server.session.closed_by_peer());
    p.client.session.shutdown();
    p.run();
    CHECK(p.server.ok);
    CHECK(p.server.session.closed_by_peer());
    CHECK_FALSE(p.client.session.closed_by_peer());
    p.server.session.shutdown();
    p.run();
    CHECK(p.client.ok);
    CHECK(p.client.session.closed_by_peer());
  }
  SECTION("moving a session keeps it working") {
    tls_session moved{std::move(p.server.session)};
    p.server.session = std::move(moved);
    p.server.send("again");
    p.run();
    CHECK(to_string(p.client.plain) == "worldagain");
  }
}

TEST_CASE("a client trusting another CA rejects the server", "[net][tls]") {
  pair p{client_ctx("other-ca", "client"), server_ctx()};
  p.run();
  CHECK_FALSE(p.client.ok);
  CHECK_FALSE(p.client.session.handshake_done());
  auto& err = p.client.session.error();
  CHECK_THAT(err, Catch::Contains("certificate verify failed"));
  // The server sends its CA along (OpenSSL builds the chain from its verify
  // store, as Python's server does), so the client sees a foreign root.
  CHECK_THAT(err, Catch::Contains("unable to get local issuer certificate")
                    || Catch::Contains("self-signed certificate in certificate "
                                       "chain"));
  // The server got the alert.
  CHECK_FALSE(p.server.ok);
  CHECK_FALSE(p.server.session.error().empty());
}

TEST_CASE("the server rejects a client certificate from another CA",
          "[net][tls]") {
  pair p{client_ctx("ca", "other-client"), server_ctx()};
  p.client.send("should never arrive");
  p.run();
  CHECK_FALSE(p.server.ok);
  CHECK_FALSE(p.server.session.handshake_done());
  CHECK_THAT(p.server.session.error(),
             Catch::Contains("certificate verify failed"));
  CHECK(p.server.plain.empty());
  // With TLS 1.3 the client finished its part already; the alert fails it.
  CHECK_FALSE(p.client.ok);
  CHECK_FALSE(p.client.session.error().empty());
}

TEST_CASE("the server rejects a client without a certificate", "[net][tls]") {
  auto& dir = cert_dir::get();
  pair p{ssl_context::client({dir.file("ca.pem"), "", ""}), server_ctx()};
  p.run();
  CHECK_FALSE(p.server.ok);
  CHECK_FALSE(p.server.session.handshake_done());
  CHECK_THAT(p.server.session.error(),
             Catch::Contains("peer did not return a certificate"));
  CHECK_FALSE(p.client.ok);
}

TEST_CASE("host name verification", "[net][tls]") {
  SECTION("a mismatching name fails") {
    pair p{client_ctx(), server_ctx(), "example.com"};
    p.run();
    CHECK_FALSE(p.client.ok);
    CHECK_THAT(p.client.session.error(),
               Catch::Contains("certificate verify failed"));
    CHECK_THAT(p.client.session.error(), Catch::Contains("hostname mismatch"));
  }
  SECTION("a mismatching IP literal fails") {
    pair p{client_ctx(), server_ctx(), "10.0.0.1"};
    p.run();
    CHECK_FALSE(p.client.ok);
    CHECK_THAT(p.client.session.error(),
               Catch::Contains("IP address mismatch"));
  }
  for (auto host : {"localhost", "127.0.0.1", "::1"}) {
    DYNAMIC_SECTION("the SAN " << host << " verifies") {
      pair p{client_ctx(), server_ctx(), host};
      p.run();
      INFO(p.client.session.error());
      CHECK(p.client.ok);
      CHECK(p.server.ok);
      CHECK(p.client.session.handshake_done());
    }
  }
  SECTION("the server certificate of another CA fails") {
    pair p{client_ctx(), server_ctx("ca", "other-server")};
    p.run();
    CHECK_FALSE(p.client.ok);
    // The server cannot chain its certificate up to its own CA store, so
    // only the leaf goes out.
    CHECK_THAT(p.client.session.error(),
               Catch::Contains("certificate verify failed: unable to get "
                               "local issuer certificate"));
  }
}

TEST_CASE("garbage ciphertext fails cleanly", "[net][tls]") {
  SECTION("instead of a ClientHello") {
    tls_session server{server_ctx(), ""};
    auto junk = to_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    bytes plain;
    CHECK_FALSE(server.feed(junk.data(), junk.size(), plain));
    CHECK_FALSE(server.error().empty());
    CHECK(plain.empty());
    // Stays failed; draining the alert is fine.
    CHECK_FALSE(server.feed(junk.data(), junk.size(), plain));
    CHECK_FALSE(server.write(junk.data(), junk.size()));
    bytes out;
    server.drain(out);
    server.shutdown();
  }
  SECTION("a record header announcing a huge length") {
    tls_session server{server_ctx(), ""};
    bytes junk{0x16, 0x03, 0x03, 0xff, 0xff, 0x01, 0x00};
    bytes plain;
    CHECK_FALSE(server.feed(junk.data(), junk.size(), plain));
    CHECK_FALSE(server.error().empty());
  }
  SECTION("a forged application data record after the handshake") {
    pair p{client_ctx(), server_ctx()};
    p.run();
    REQUIRE(p.client.session.handshake_done());
    bytes junk{0x17, 0x03, 0x03, 0x00, 0x20};
    for (int i = 0; i < 32; ++i)
      junk.push_back(static_cast<std::uint8_t>(i * 7));
    CHECK_FALSE(
      p.server.session.feed(junk.data(), junk.size(), p.server.plain));
    CHECK_FALSE(p.server.session.error().empty());
    CHECK(p.server.plain.empty());
  }
  SECTION("random bytes to a client") {
    tls_session client{client_ctx(), "localhost"};
    bytes junk(4096);
    for (std::size_t i = 0; i < junk.size(); ++i)
      junk[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
    bytes plain;
    CHECK_FALSE(client.feed(junk.data(), junk.size(), plain));
    CHECK_FALSE(client.error().empty());
  }
}

TEST_CASE("byte-by-byte delivery works", "[net][tls]") {
  pair p{client_ctx(), server_ctx()};
  p.client.send("slow");
  for (int round = 0; round < 100 && !p.server.session.handshake_done();
       ++round) {
    bytes buf;
    p.client.session.drain(buf);
    for (auto b : buf)
      REQUIRE(p.server.session.feed(&b, 1, p.server.plain));
    buf.clear();
    p.server.session.drain(buf);
    for (auto b : buf)
      REQUIRE(p.client.session.feed(&b, 1, p.client.plain));
  }
  p.run();
  REQUIRE(p.server.ok);
  CHECK(to_string(p.server.plain) == "slow");
}

// -- real Python peers --------------------------------------------------------

TEST_CASE("a Python aiomas TLS client talks to our server", "[net][tls]") {
  auto python = require_python();
  auto& dir = cert_dir::get();
  auto listener = mas::net::listen_on(endpoint::tcp("127.0.0.1", 0));
  auto port = mas::net::local_endpoint(listener.get()).port;
  child_process proc{{python, "-c", python_client, dir.file("ca.pem"),
                      dir.file("client.pem"), dir.file("client.key"),
                      std::to_string(port)}};
  auto conn = accept_one(listener.get(), 30s);
  INFO("python output:\n" << proc.output());
  REQUIRE(conn);
  tls_session server{server_ctx(), ""};
  bytes plain;
  auto ok = pump_socket(conn.get(), server, plain, 4, 20s);
  INFO("tls error: " << server.error());
  REQUIRE(ok);
  CHECK(to_string(plain) == "ping");
  CHECK(server.protocol() == "TLSv1.2");
  CHECK(server.peer_subject() == "CN=client");
  auto pong = to_bytes("pong");
  REQUIRE(server.write(pong.data(), pong.size()));
  flush(conn.get(), server);
  auto result = proc.line_with("RESULT ", 20s);
  INFO("python output:\n" << proc.output());
  REQUIRE(result);
  CHECK(*result == "TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384 pong");
  CHECK(proc.wait(20s) == 0);
}

TEST_CASE("our server rejects a Python client with a foreign certificate",
          "[net][tls]") {
  auto python = require_python();
  auto& dir = cert_dir::get();
  auto listener = mas::net::listen_on(endpoint::tcp("127.0.0.1", 0));
  auto port = mas::net::local_endpoint(listener.get()).port;
  child_process proc{{python, "-c", python_client, dir.file("ca.pem"),
                      dir.file("other-client.pem"),
                      dir.file("other-client.key"), std::to_string(port)}};
  auto conn = accept_one(listener.get(), 30s);
  INFO("python output:\n" << proc.output());
  REQUIRE(conn);
  tls_session server{server_ctx(), ""};
  bytes plain;
  CHECK_FALSE(pump_socket(conn.get(), server, plain, 4, 20s));
  CHECK_THAT(server.error(), Catch::Contains("certificate verify failed"));
  CHECK(plain.empty());
  conn = unique_fd{};
  auto error = proc.line_with("SSLERROR ", 20s);
  INFO("python output:\n" << proc.output());
  CHECK(error);
  CHECK(proc.wait(20s) == 3);
}

TEST_CASE("our client talks to a Python aiomas TLS server", "[net][tls]") {
  auto python = require_python();
  auto& dir = cert_dir::get();
  child_process proc{{python, "-c", python_server, dir.file("ca.pem"),
                      dir.file("server.pem"), dir.file("server.key")}};
  auto port_line = proc.line_with("PORT ", 30s);
  INFO("python output:\n" << proc.output());
  REQUIRE(port_line);
  auto port = static_cast<std::uint16_t>(std::stoi(*port_line));
  auto conn = mas::net::connect_once(endpoint::tcp("127.0.0.1", port));
  tls_session client{client_ctx(), "127.0.0.1"};
  auto ping = to_bytes("ping");
  REQUIRE(client.write(ping.data(), ping.size()));
  bytes plain;
  auto ok = pump_socket(conn.get(), client, plain, 4, 20s);
  INFO("tls error: " << client.error());
  REQUIRE(ok);
  CHECK(to_string(plain) == "pong");
  CHECK(client.protocol() == "TLSv1.2");
  CHECK(client.peer_subject() == "CN=localhost");
  auto result = proc.line_with("RESULT ", 20s);
  INFO("python output:\n" << proc.output());
  REQUIRE(result);
  CHECK(*result == "TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384 ping client");
  // A clean close_notify: Python's recv() returns b''.
  client.shutdown();
  flush(conn.get(), client);
  auto closed = proc.line_with("CLOSED ", 20s);
  INFO("python output:\n" << proc.output());
  REQUIRE(closed);
  CHECK(*closed == "b''");
  CHECK(proc.wait(20s) == 0);
}
