#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "mas/net/endpoint.hpp"
#include "mas/net/tls.hpp"
#include "mas/rpc/proxy.hpp"
#include "mas/wire/codec.hpp"
#include "mas/wire/frame.hpp"

namespace mas {

namespace rpc {
class service;
} // namespace rpc

/// One aiomas channel: a CAF actor (a broker on CAF's I/O thread) that owns
/// the socket, its codec and its request ids. It understands:
///
/// - `(request_atom, wire::value content)` → `wire::value`: sends a request
///   and answers with the peer's reply (channel layer);
/// - `(call_atom, std::string path, wire::array args, wire::dict kwargs)` →
///   `wire::value`: an RPC (content `[path, args, kwargs]`);
/// - `(ready_atom)` → `ok_atom`: once the connection can carry messages
///   (after a TLS handshake), or an error;
/// - `(caf::close_atom)`: closes it.
///
/// Failures arrive as `caf::error`s of category "mas" (see `errc.hpp`): a
/// peer's failure reply is `remote_exception` (with origin and the remote
/// text), a lost connection fails every pending request with
/// `connection_reset`. The actor terminates when the connection ends, with
/// that error as exit reason: monitor it to learn about resets. A request
/// sent after that fails at once with `caf::sec::request_receiver_down`.
using connection = caf::actor;

/// How a connection encodes, bounds and serves messages.
struct connection_options {
  /// The codec (aiomas: `codec=`).
  wire::codec_kind codec = wire::codec_kind::json;

  /// Extension type names in registration order (aiomas:
  /// `extra_serializers`); their positional ids are 0, 1, ...
  std::vector<std::string> extra_types;

  /// Codec limits.
  wire::codec_options codec_options;

  /// Largest frame accepted from the peer.
  std::size_t max_frame_size = wire::default_max_frame_size;

  /// Bytes that may wait unsent in the write buffer. Above it, new outgoing
  /// requests fail with `overloaded` and the connection stops reading until
  /// the buffer has drained to half (backpressure towards the peer).
  std::size_t max_write_buffer = 64u * 1024u * 1024u;

  /// Incoming requests served at the same time (deferred answers and
  /// requests to actors); further requests wait in a queue.
  std::size_t max_incoming_requests = 1024;

  /// Requests that may wait in that queue; beyond it a request fails at
  /// once (`RuntimeError: too many requests in flight on this connection`).
  std::size_t max_queued_requests = 65536;

  /// Outgoing requests waiting for replies; above it new ones fail with
  /// `overloaded`.
  std::size_t max_outgoing_requests = 65536;

  /// TLS: an `ssl_context` from `net::ssl_context::client/server` (empty:
  /// plain TCP or Unix socket).
  net::ssl_context tls;

  /// TLS clients: the host name the server certificate must match (default:
  /// the endpoint's host).
  std::string tls_host;

  /// Channel layer: the actor that serves incoming requests; it receives
  /// `(request_atom, wire::value)` and its response (or error) is the reply.
  /// Without it (and without `service`) incoming requests fail.
  caf::actor handler;

  /// RPC layer: the service tree serving incoming calls. A client that sets
  /// it serves calls from the server on the same connection.
  std::shared_ptr<rpc::service> service;

  /// Called (on CAF's I/O thread) when the connection ends for any reason
  /// other than the actor system shutting down, with the error that failed
  /// the pending requests (aiomas `RpcClient.on_connection_reset`).
  /// Monitoring the connection actor gives the same information.
  std::function<void(const caf::error&)> on_connection_reset;

  /// RPC layer: whether the connection speaks RPC (registers the service
  /// reference type after `extra_types`, as aiomas's `RpcClient` does).
  bool rpc = false;

  /// The type id of service references on an RPC connection.
  std::int64_t proxy_type_id() const noexcept {
    return static_cast<std::int64_t>(extra_types.size());
  }
};

/// aiomas's connect timeout: `0s` = one attempt, a duration = retry for that
/// long, `std::nullopt` = retry forever.
using connect_timeout = std::optional<std::chrono::duration<double>>;

/// A listening server; stops accepting when closed or destroyed.
class server {
public:
  server() = default;
  server(caf::actor acceptor, net::endpoint local)
    : acceptor_(std::move(acceptor)), local_(std::move(local)) {
    // nop
  }
  server(server&&) noexcept = default;
  server& operator=(server&&) noexcept;
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();

  /// Where the server listens (with the port the OS chose for port 0).
  const net::endpoint& local_endpoint() const noexcept {
    return local_;
  }

  /// Stops accepting (aiomas: `server.close()`); does not wait. Open
  /// connections stay open.
  void close();

  /// Closes the server and blocks until its acceptor is gone (aiomas:
  /// `server.close(); await server.wait_closed()`): afterwards no new client
  /// is accepted and the port is free. Never call it from an actor on CAF's
  /// scheduler.
  void wait_closed();

  const caf::actor& acceptor() const noexcept {
    return acceptor_;
  }

private:
  caf::actor acceptor_;
  bool closed_ = false;
  net::endpoint local_;
};

/// Closes `conn` and blocks until its actor is gone (aiomas: `await
/// channel.close()`): pending requests have failed with `connection_reset`
/// and the socket is closed. Never call it from an actor on CAF's scheduler;
/// an actor sends `caf::close_atom` and monitors the connection instead.
void close_and_wait(const connection& conn);

// -- channel layer ------------------------------------------------------------

namespace channel {

/// Connects to `ep` (aiomas `channel.open_connection`). Blocks the caller
/// while connecting: call it from `main` or a detached actor, never from an
/// actor on CAF's scheduler.
caf::expected<connection>
open_connection(caf::actor_system& sys, const net::endpoint& ep,
                connection_options opts = {},
                connect_timeout timeout = std::chrono::seconds{0});

/// Called on CAF's I/O thread for each accepted connection.
using client_connected = std::function<void(const connection&)>;

/// Listens on `ep` (aiomas `channel.start_server`); each accepted
/// connection is served with `opts` and reported to `on_client`.
caf::expected<server> start_server(caf::actor_system& sys,
                                   const net::endpoint& ep,
                                   client_connected on_client,
                                   connection_options opts = {});

} // namespace channel

// -- RPC layer ----------------------------------------------------------------

namespace rpc {

/// An RPC connection (aiomas `RpcClient`): the channel and a proxy of the
/// peer's root service.
struct client {
  connection channel;
  proxy remote;
};

/// Connects to an RPC server (aiomas `rpc.open_connection`). Pass
/// `opts.service` to serve calls from the server (bi-directional RPC).
caf::expected<client>
open_connection(caf::actor_system& sys, const net::endpoint& ep,
                connection_options opts = {},
                connect_timeout timeout = std::chrono::seconds{0});

/// Called on CAF's I/O thread for each accepted RPC connection.
using client_connected = std::function<void(const client&)>;

/// Serves `root` on `ep` (aiomas `rpc.start_server`).
caf::expected<server> start_server(caf::actor_system& sys,
                                   const net::endpoint& ep,
                                   std::shared_ptr<service> root,
                                   client_connected on_client = nullptr,
                                   connection_options opts = {});

} // namespace rpc

} // namespace mas
