#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "mas/mango/container.hpp"

namespace mas::mango {

/// A mango TCP container (mango `create_tcp_container`): a server on
/// `host:port` that takes frames (4-byte big-endian length + mango JSON),
/// and a pool of outgoing connections per target container.
///
/// Where mango loses messages, this one does not:
/// - A frame that is no mango message (invalid JSON, an unknown type id, a
///   MangoMessage without meta) is dropped with a log line and counted; the
///   connection stays open (mango closes it, and its sender then loses
///   every later message on it). Only a framing violation closes it.
/// - Connections from peers are never closed for being idle (mango reuses
///   its pooled connections and would not notice).
/// - The pool notices when a peer closes a pooled connection (mango does
///   not, and its later messages vanish) and sends on a new one; a message
///   the closed connection refused is sent again once.
/// - Each peer is answered with the type ids of its mango and Python
///   version, learned from what it sent (or configured).
class tcp_container : public container {
public:
  /// Binds `host:port` (port 0: the OS chooses; `addr()` has the real port)
  /// and returns the container; agents can be registered at once. `host` is
  /// kept as given: it is the `sender_addr` peers reply to, and mango
  /// compares it as a string ("localhost" is not "127.0.0.1").
  static caf::expected<std::unique_ptr<tcp_container>>
  create(const std::string& host, std::uint16_t port,
         container_options opts = {});

  /// `create` for `"host:port"` (mango accepts that form too).
  static caf::expected<std::unique_ptr<tcp_container>>
  create(const std::string& addr, container_options opts = {});

  ~tcp_container() override;

  const std::string& host() const noexcept {
    return host_;
  }

  std::uint16_t port() const noexcept {
    return port_;
  }

  /// Connections peers opened to this container that are still open.
  std::size_t incoming_connections() const;

  /// Outgoing connections the pool holds (all targets).
  std::size_t outgoing_connections() const;

  /// Stops the agents (their `on_stop` may still send), then closes the
  /// server, the pool and every connection. Idempotent.
  void shutdown() override;

protected:
  bool send_external(const wire::value& protocol_addr,
                     wire::value message) override;

  bool is_self(const wire::value& protocol_addr) const override;

private:
  tcp_container(std::string host, container_options opts);

  caf::error listen_on(std::uint16_t port);

  struct state;

  std::string host_;
  std::uint16_t port_ = 0;
  std::shared_ptr<state> state_;
  caf::actor pool_;
};

/// mango's factory name: `tcp_container::create(addr, opts)`.
inline caf::expected<std::unique_ptr<tcp_container>>
create_tcp_container(const std::string& addr, container_options opts = {}) {
  return tcp_container::create(addr, std::move(opts));
}

} // namespace mas::mango
