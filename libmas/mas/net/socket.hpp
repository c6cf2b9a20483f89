#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "mas/net/endpoint.hpp"

namespace mas::net {

/// A failed socket operation (resolve, connect, bind, listen), with the
/// system's `errno` (0 if not applicable).
class socket_error : public std::runtime_error {
public:
  socket_error(const std::string& what, int code)
    : std::runtime_error(what), code_(code) {
    // nop
  }

  int code() const noexcept {
    return code_;
  }

private:
  int code_;
};

/// Owns a file descriptor; closes it unless released.
class unique_fd {
public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {
    // nop
  }
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {
    // nop
  }
  unique_fd& operator=(unique_fd&& other) noexcept;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd();

  int get() const noexcept {
    return fd_;
  }
  int release() noexcept {
    auto fd = fd_;
    fd_ = -1;
    return fd;
  }
  explicit operator bool() const noexcept {
    return fd_ >= 0;
  }

private:
  int fd_ = -1;
};

/// One blocking connection attempt (all resolved addresses are tried in
/// order, like asyncio's `create_connection`). TCP sockets get TCP_NODELAY.
/// @throws socket_error
unique_fd connect_once(const endpoint& ep);

/// aiomas's retry semantics (`channel.open_connection(addr, timeout=...)`):
/// - `timeout == 0s`: one attempt;
/// - a positive timeout: retry until that much time has passed;
/// - `std::nullopt`: retry forever.
/// Waits start at 0.5 s and grow by 1.5x up to 30 s. TCP retries any error;
/// Unix sockets retry only a missing socket file (ENOENT) and a refused
/// connection (ECONNREFUSED).
/// @throws socket_error with the last attempt's error.
unique_fd
connect_with_retry(const endpoint& ep,
                   std::optional<std::chrono::duration<double>> timeout);

/// Creates a listening socket (SO_REUSEADDR for TCP; for an IPv6 wildcard
/// `::` the socket is dual-stack). A Unix socket path that exists and is a
/// socket is removed first (as asyncio's `create_unix_server` does).
/// @throws socket_error
unique_fd listen_on(const endpoint& ep, int backlog = 128);

/// Returns the local endpoint of a bound socket (reads the port chosen for
/// port 0; the path for Unix sockets).
/// @throws socket_error
endpoint local_endpoint(int fd);

/// Returns the peer's address as aiomas renders `get_extra_info('peername')`
/// in `'Origin: {}'.format(...)`: `('127.0.0.1', 5555)` for IPv4,
/// `('::1', 5555, 0, 0)` for IPv6 (flowinfo, scope id). For Unix sockets
/// Python's peername is a plain `str`, which `format` prints without quotes:
/// empty (`''`) on the accepting side, whose peer is unnamed, and the
/// server's path on the connecting side.
/// @throws socket_error if the socket is not connected
std::string peer_name(int fd);

} // namespace mas::net
