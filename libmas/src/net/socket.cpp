#include "mas/net/socket.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace mas::net {

namespace {

// -- helpers ------------------------------------------------------------------

using clock_type = std::chrono::steady_clock;

std::string errno_text(int code) {
  return std::strerror(code);
}

[[noreturn]] void throw_errno(const std::string& what, int code) {
  throw socket_error(what + ": " + errno_text(code) + " (errno "
                       + std::to_string(code) + ")",
                     code);
}

/// Local queues live in the transport layer (`transport::connect`/`listen`).
[[noreturn]] void throw_no_socket(const endpoint& ep) {
  throw socket_error(ep.to_string()
                       + " is a local queue, not a socket: connect and "
                         "listen with mas::transport",
                     EAFNOSUPPORT);
}

/// Sets FD_CLOEXEC; a no-op where the socket was created with SOCK_CLOEXEC.
void set_cloexec(int fd) {
  auto flags = fcntl(fd, F_GETFD);
  if (flags >= 0 && (flags & FD_CLOEXEC) == 0)
    fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/// Creates a socket with FD_CLOEXEC set.
unique_fd make_socket(int family, int type, int protocol) {
#ifdef SOCK_CLOEXEC
  unique_fd fd{::socket(family, type | SOCK_CLOEXEC, protocol)};
#else
  unique_fd fd{::socket(family, type, protocol)};
#endif
  if (!fd)
    throw_errno("socket", errno);
  set_cloexec(fd.get());
  return fd;
}

void set_int_option(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0)
    throw_errno(std::string{"setsockopt("} + what + ")", errno);
}

/// Blocking connect that survives EINTR (the connection then completes in
/// the background; wait for it and read SO_ERROR). Returns 0 or an errno.
int connect_fd(int fd, const sockaddr* addr, socklen_t len) {
  if (::connect(fd, addr, len) == 0)
    return 0;
  auto err = errno;
  if (err != EINTR && err != EINPROGRESS)
    return err;
  for (;;) {
    pollfd pfd{fd, POLLOUT, 0};
    auto res = ::poll(&pfd, 1, -1);
    if (res < 0 && errno == EINTR)
      continue;
    if (res < 0)
      return errno;
    int so_error = 0;
    socklen_t so_len = sizeof(so_error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) != 0)
      return errno;
    return so_error;
  }
}

/// Renders a numeric address (with `%scope` for scoped IPv6 addresses).
std::string numeric_host(const sockaddr* addr, socklen_t len) {
  char buf[NI_MAXHOST];
  if (getnameinfo(addr, len, buf, sizeof(buf), nullptr, 0, NI_NUMERICHOST) != 0)
    return {};
  return buf;
}

/// Describes a resolved address for error messages: `127.0.0.1:80`,
/// `[::1]:80`.
std::string describe(const sockaddr* addr, socklen_t len) {
  auto host = numeric_host(addr, len);
  std::uint16_t port = 0;
  if (addr->sa_family == AF_INET)
    port = ntohs(reinterpret_cast<const sockaddr_in*>(addr)->sin_port);
  else if (addr->sa_family == AF_INET6)
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_port);
  return endpoint::tcp(std::move(host), port).to_string();
}

/// RAII for getaddrinfo results.
struct addrinfo_list {
  addrinfo* head = nullptr;
  addrinfo_list() = default;
  addrinfo_list(const addrinfo_list&) = delete;
  addrinfo_list& operator=(const addrinfo_list&) = delete;
  ~addrinfo_list() {
    if (head != nullptr)
      freeaddrinfo(head);
  }
};

/// Resolves a TCP endpoint (AF_UNSPEC, SOCK_STREAM, like asyncio).
void resolve(const endpoint& ep, int flags, addrinfo_list& result) {
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = flags;
  auto port = std::to_string(ep.port);
  const char* host = ep.host.empty() ? nullptr : ep.host.c_str();
  auto res = getaddrinfo(host, port.c_str(), &hints, &result.head);
  if (res == 0 && result.head != nullptr)
    return;
  if (res == EAI_SYSTEM) {
    auto code = errno;
    throw_errno("getaddrinfo " + ep.to_string(), code);
  }
  throw socket_error("getaddrinfo " + ep.to_string() + ": "
                       + (res != 0 ? gai_strerror(res) : "no addresses"),
                     0);
}

/// Fills a sockaddr_un for `path`.
socklen_t make_unix_addr(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.empty())
    throw socket_error("empty Unix socket path", EINVAL);
  if (path.size() >= sizeof(addr.sun_path))
    throw_errno("Unix socket path " + path, ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.data(), path.size());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size()
                                + 1);
}

unique_fd connect_unix(const endpoint& ep) {
  sockaddr_un addr;
  auto len = make_unix_addr(ep.path, addr);
  auto fd = make_socket(AF_UNIX, SOCK_STREAM, 0);
  if (auto err = connect_fd(fd.get(), reinterpret_cast<sockaddr*>(&addr), len))
    throw_errno("connect " + ep.to_string(), err);
  return fd;
}

unique_fd connect_tcp(const endpoint& ep) {
  addrinfo_list addrs;
  resolve(ep, 0, addrs);
  // Try each address in order, like asyncio's create_connection: all failing
  // with the same errno gives that errno, otherwise a combined message with
  // the last errno.
  std::vector<std::pair<std::string, int>> errors;
  for (auto ai = addrs.head; ai != nullptr; ai = ai->ai_next) {
    auto where = describe(ai->ai_addr, ai->ai_addrlen);
    int err = 0;
    try {
      auto fd = make_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
      err = connect_fd(fd.get(), ai->ai_addr, ai->ai_addrlen);
      if (err == 0) {
        set_int_option(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
        return fd;
      }
    } catch (const socket_error& ex) {
      errors.emplace_back(ex.what(), ex.code());
      continue;
    }
    errors.emplace_back("connect " + where + ": " + errno_text(err) + " (errno "
                          + std::to_string(err) + ")",
                        err);
  }
  if (errors.size() == 1)
    throw socket_error(errors.front().first, errors.front().second);
  auto same = std::all_of(errors.begin(), errors.end(), [&](const auto& e) {
    return e.second == errors.front().second;
  });
  std::string what = "connect " + ep.to_string() + ": ";
  if (same) {
    auto code = errors.front().second;
    what += errno_text(code) + " (errno " + std::to_string(code) + ")";
  } else {
    what += "Multiple exceptions: ";
    for (size_t i = 0; i < errors.size(); ++i) {
      if (i > 0)
        what += ", ";
      what += errors[i].first;
    }
  }
  throw socket_error(what, errors.back().second);
}

bool retriable(const endpoint& ep, int code) {
  if (ep.is_tcp())
    return true;
  return code == ENOENT || code == ECONNREFUSED;
}

unique_fd listen_unix(const endpoint& ep, int backlog) {
  sockaddr_un addr;
  auto len = make_unix_addr(ep.path, addr);
  // Like asyncio's create_unix_server: remove a stale socket file, but never
  // anything else.
  struct stat st;
  if (::stat(ep.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
    ::unlink(ep.path.c_str());
  auto fd = make_socket(AF_UNIX, SOCK_STREAM, 0);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    throw_errno("bind " + ep.to_string(), errno);
  if (::listen(fd.get(), backlog) != 0)
    throw_errno("listen " + ep.to_string(), errno);
  return fd;
}

bool is_ipv6_wildcard(const sockaddr* addr) {
  if (addr->sa_family != AF_INET6)
    return false;
  auto& a6 = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
  return IN6_IS_ADDR_UNSPECIFIED(&a6);
}

unique_fd listen_tcp(const endpoint& ep, int backlog) {
  addrinfo_list addrs;
  resolve(ep, AI_PASSIVE, addrs);
  std::vector<const addrinfo*> candidates;
  for (auto ai = addrs.head; ai != nullptr; ai = ai->ai_next)
    candidates.push_back(ai);
  // An empty host means every interface: prefer the dual-stack `::` over
  // `0.0.0.0` (getaddrinfo usually lists IPv4 first).
  if (ep.host.empty())
    std::stable_partition(
      candidates.begin(), candidates.end(),
      [](const addrinfo* ai) { return ai->ai_family == AF_INET6; });
  std::string last_what;
  int last_code = 0;
  for (auto ai : candidates) {
    auto where = describe(ai->ai_addr, ai->ai_addrlen);
    try {
      auto fd = make_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
      set_int_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
      if (is_ipv6_wildcard(ai->ai_addr))
        set_int_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
      if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0)
        throw_errno("bind " + where, errno);
      if (::listen(fd.get(), backlog) != 0)
        throw_errno("listen " + where, errno);
      return fd;
    } catch (const socket_error& ex) {
      last_what = ex.what();
      last_code = ex.code();
    }
  }
  throw socket_error(last_what, last_code);
}

} // namespace

// -- unique_fd ----------------------------------------------------------------

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
  if (this != &other) {
    auto fd = other.release();
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }
  return *this;
}

unique_fd::~unique_fd() {
  if (fd_ >= 0)
    ::close(fd_);
}

// -- connecting ---------------------------------------------------------------

unique_fd connect_once(const endpoint& ep) {
  if (ep.is_local())
    throw_no_socket(ep);
  return ep.is_tcp() ? connect_tcp(ep) : connect_unix(ep);
}

unique_fd
connect_with_retry(const endpoint& ep,
                   std::optional<std::chrono::duration<double>> timeout) {
  using std::chrono::duration;
  using std::chrono::duration_cast;
  auto start = clock_type::now();
  // Without a deadline we retry forever; a huge timeout would overflow the
  // time_point arithmetic, so keep the deadline optional.
  std::optional<clock_type::time_point> deadline;
  if (timeout) {
    auto secs = std::max(timeout->count(), 0.0);
    // Cap at ~100 years to keep the conversion in range.
    secs = std::min(secs, 100.0 * 365 * 24 * 3600);
    deadline
      = start + duration_cast<clock_type::duration>(duration<double>{secs});
  }
  duration<double> interval{0.5};
  for (;;) {
    try {
      return connect_once(ep);
    } catch (const socket_error& ex) {
      if (!retriable(ep, ex.code()))
        throw;
      auto now = clock_type::now();
      if (deadline && now >= *deadline)
        throw;
      auto wait = duration_cast<clock_type::duration>(interval);
      if (deadline)
        wait = std::min(wait, *deadline - now);
      std::this_thread::sleep_for(wait);
      interval = std::min(interval * 1.5, duration<double>{30.0});
    }
  }
}

// -- listening ----------------------------------------------------------------

unique_fd listen_on(const endpoint& ep, int backlog) {
  if (ep.is_local())
    throw_no_socket(ep);
  return ep.is_tcp() ? listen_tcp(ep, backlog) : listen_unix(ep, backlog);
}

// -- addresses ----------------------------------------------------------------

endpoint local_endpoint(int fd) {
  sockaddr_storage ss;
  std::memset(&ss, 0, sizeof(ss));
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    throw_errno("getsockname", errno);
  auto addr = reinterpret_cast<const sockaddr*>(&ss);
  switch (ss.ss_family) {
    case AF_INET:
      return endpoint::tcp(
        numeric_host(addr, len),
        ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port));
    case AF_INET6:
      return endpoint::tcp(
        numeric_host(addr, len),
        ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port));
    case AF_UNIX: {
      auto un = reinterpret_cast<const sockaddr_un*>(&ss);
      auto off = offsetof(sockaddr_un, sun_path);
      auto n = len > off ? static_cast<size_t>(len) - off : size_t{0};
      n = std::min(n, sizeof(un->sun_path));
      // Regular paths are NUL-terminated; stop there.
      auto end = static_cast<const char*>(std::memchr(un->sun_path, '\0', n));
      if (end != nullptr && end != un->sun_path)
        n = static_cast<size_t>(end - un->sun_path);
      return endpoint::unix_socket(std::string{un->sun_path, n});
    }
    default:
      throw socket_error("getsockname: unsupported address family "
                           + std::to_string(ss.ss_family),
                         EAFNOSUPPORT);
  }
}

std::string peer_name(int fd) {
  sockaddr_storage ss;
  std::memset(&ss, 0, sizeof(ss));
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    throw_errno("getpeername", errno);
  auto addr = reinterpret_cast<const sockaddr*>(&ss);
  switch (ss.ss_family) {
    case AF_INET: {
      auto in = reinterpret_cast<const sockaddr_in*>(&ss);
      return "('" + numeric_host(addr, len) + "', "
             + std::to_string(ntohs(in->sin_port)) + ")";
    }
    case AF_INET6: {
      auto in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      return "('" + numeric_host(addr, len) + "', "
             + std::to_string(ntohs(in6->sin6_port)) + ", "
             + std::to_string(ntohl(in6->sin6_flowinfo)) + ", "
             + std::to_string(in6->sin6_scope_id) + ")";
    }
    case AF_UNIX: {
      // Python gives the peer's path as a str, which `'{}'.format()` renders
      // without quotes: empty for the accepting side (the client socket is
      // unnamed), the server's path for the connecting side.
      auto un = reinterpret_cast<const sockaddr_un*>(&ss);
      auto off = offsetof(sockaddr_un, sun_path);
      auto n = len > off ? static_cast<size_t>(len) - off : size_t{0};
      n = std::min(n, sizeof(un->sun_path));
      if (n == 0 || un->sun_path[0] == '\0')
        return {};
      auto end = static_cast<const char*>(std::memchr(un->sun_path, '\0', n));
      if (end != nullptr)
        n = static_cast<size_t>(end - un->sun_path);
      return std::string{un->sun_path, n};
    }
    default:
      return {};
  }
}

} // namespace mas::net
