#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mas::net {

/// Where a connection goes or a server listens: a TCP host and port (IPv4,
/// IPv6 or a name), a Unix domain socket path, or the id of an in-process
/// local queue (see `mas/transport/local_queue.hpp`).
///
/// aiomas takes `(host, port)` tuples for TCP, a `str` path for Unix sockets
/// and a `LocalQueue` (from `get_queue(queue_id)`) for local queues; on
/// command lines libmas writes `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH` and
/// `local:ID`.
struct endpoint {
  enum class kind { tcp, unix_socket, local };

  kind type = kind::tcp;
  /// TCP: host name or address literal, without brackets.
  std::string host;
  /// TCP: port; 0 when listening means "let the OS choose".
  std::uint16_t port = 0;
  /// Unix domain socket: file system path.
  std::string path;
  /// Local queue: the queue id (aiomas `LocalQueue.queue_id`).
  std::string queue_id;

  static endpoint tcp(std::string host, std::uint16_t port) {
    return {kind::tcp, std::move(host), port, {}, {}};
  }

  static endpoint unix_socket(std::string path) {
    return {kind::unix_socket, {}, 0, std::move(path), {}};
  }

  /// An in-process local queue. The id is checked where it is used
  /// (`transport::listen`/`connect` fail for a bad one; see
  /// `valid_queue_id`).
  static endpoint local(std::string id) {
    return {kind::local, {}, 0, {}, std::move(id)};
  }

  bool is_tcp() const noexcept {
    return type == kind::tcp;
  }

  bool is_local() const noexcept {
    return type == kind::local;
  }

  /// Whether `id` can name a local queue: not empty and without `/`
  /// (aiomas forbids `/` because agent URLs `local://ID/AID` end the id
  /// there; an empty id would make `local:` and those URLs ambiguous).
  static bool valid_queue_id(std::string_view id) noexcept {
    return !id.empty() && id.find('/') == std::string_view::npos;
  }

  /// Parses `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH` or `local:ID`. The
  /// prefixes win over a host of that name (`local:80` is a queue id).
  static std::optional<endpoint> parse(std::string_view str);

  /// Renders the form @ref parse reads (IPv6 hosts in brackets).
  std::string to_string() const;

  friend bool operator==(const endpoint& x, const endpoint& y) noexcept {
    return x.type == y.type && x.host == y.host && x.port == y.port
           && x.path == y.path && x.queue_id == y.queue_id;
  }
};

} // namespace mas::net
