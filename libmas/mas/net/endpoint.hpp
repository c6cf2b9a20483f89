#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mas::net {

/// Where a connection goes or a server listens: a TCP host and port (IPv4,
/// IPv6 or a name) or a Unix domain socket path.
///
/// aiomas takes `(host, port)` tuples for TCP and a `str` path for Unix
/// sockets; on command lines libmas writes `HOST:PORT`, `[IPV6]:PORT` and
/// `unix:PATH`.
struct endpoint {
  enum class kind { tcp, unix_socket };

  kind type = kind::tcp;
  /// TCP: host name or address literal, without brackets.
  std::string host;
  /// TCP: port; 0 when listening means "let the OS choose".
  std::uint16_t port = 0;
  /// Unix domain socket: file system path.
  std::string path;

  static endpoint tcp(std::string host, std::uint16_t port) {
    return {kind::tcp, std::move(host), port, {}};
  }

  static endpoint unix_socket(std::string path) {
    return {kind::unix_socket, {}, 0, std::move(path)};
  }

  bool is_tcp() const noexcept {
    return type == kind::tcp;
  }

  /// Parses `HOST:PORT`, `[IPV6]:PORT` or `unix:PATH`.
  static std::optional<endpoint> parse(std::string_view str);

  /// Renders the form @ref parse reads (IPv6 hosts in brackets).
  std::string to_string() const;

  friend bool operator==(const endpoint& x, const endpoint& y) noexcept {
    return x.type == y.type && x.host == y.host && x.port == y.port
           && x.path == y.path;
  }
};

} // namespace mas::net
