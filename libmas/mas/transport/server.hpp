#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "mas/net/endpoint.hpp"
#include "mas/net/socket.hpp"
#include "mas/transport/options.hpp"

namespace mas::transport {

/// Serves one accepted socket: spawns its broker and returns it. Runs on the
/// server's accept thread (a local queue's: the connecting thread). `peer` is
/// Python's `peername` rendering.
using accept_handler
  = std::function<caf::actor(net::unique_fd fd, const std::string& peer)>;

/// A listening server (aiomas: the `asyncio.Server` of `start_server`).
///
/// A TCP or Unix socket server accepts on a thread of its own (a local queue
/// server in the thread that connects, see `local_queue`), so CAF's I/O thread
/// never spins on a listening socket it cannot serve: at `max_connections` open
/// connections, or when the process runs out of file descriptors, the
/// server logs once, leaves new clients in the listen backlog and retries
/// after `accept_backoff`, while open connections are served as usual.
/// Stops accepting when closed, destroyed, or when the actor system shuts
/// down.
class server {
public:
  server() = default;
  server(server&&) noexcept = default;
  server& operator=(server&&) noexcept;
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();

  /// Where the server listens (with the port the OS chose for port 0).
  const net::endpoint& local_endpoint() const noexcept;

  /// Stops accepting (aiomas: `server.close()`): returns once the listening
  /// socket is closed. Open connections stay open. Safe from any thread and
  /// from actors (it waits only for the accept thread, never for CAF).
  void close();

  /// aiomas's `server.close(); await server.wait_closed()`: the same as
  /// `close()` — afterwards no new client is accepted and the port is free.
  void wait_closed() {
    close();
  }

  /// Connections accepted by this server that are still open.
  std::size_t open_connections() const noexcept;

  explicit operator bool() const noexcept {
    return static_cast<bool>(impl_);
  }

  struct impl;

  explicit server(std::shared_ptr<impl> ptr) : impl_(std::move(ptr)) {
    // nop
  }

private:
  std::shared_ptr<impl> impl_;
};

/// Listens on `ep` and hands each accepted socket to `on_accept`.
caf::expected<server> listen(caf::actor_system& sys, const net::endpoint& ep,
                             const server_options& opts,
                             accept_handler on_accept);

} // namespace mas::transport
