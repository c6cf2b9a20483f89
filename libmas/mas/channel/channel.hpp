#pragma once

#include <functional>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>

#include "mas/atoms.hpp"
#include "mas/channel/options.hpp"
#include "mas/channel/request_handler.hpp"
#include "mas/interfaces.hpp"
#include "mas/net/endpoint.hpp"
#include "mas/transport/connect.hpp"
#include "mas/transport/server.hpp"

namespace mas::channel {

// -- from main (blocking) -----------------------------------------------------

/// Connects to `ep` (aiomas `channel.open_connection`). Requests the server
/// sends on this connection are served by `handler` (default: none, they
/// fail). Blocks the caller while connecting: from an actor, use `connect`.
caf::expected<connection>
open_connection(caf::actor_system& sys, const net::endpoint& ep,
                options opts = {},
                connect_timeout timeout = std::chrono::seconds{0},
                std::shared_ptr<request_handler> handler = nullptr);

/// Called on the server's accept thread for each accepted connection.
using client_connected = std::function<void(const connection&)>;

/// Listens on `ep` (aiomas `channel.start_server`); requests on each
/// accepted connection are served by `handler` (see `serve_by_actor`), and
/// each connection is reported to `on_client`.
caf::expected<transport::server>
start_server(caf::actor_system& sys, const net::endpoint& ep,
             std::shared_ptr<request_handler> handler, options opts = {},
             client_connected on_client = nullptr,
             transport::server_options server_opts = {});

/// Closes `conn` and blocks until it is gone (aiomas: `await
/// channel.close()`): pending requests have failed with `connection_reset`
/// and the socket is closed. From an actor, request `(close_atom)` and
/// continue when `ok` arrives (or monitor the connection).
void close_and_wait(const transport::connection_actor& conn);

// -- from actors --------------------------------------------------------------

/// `open_connection` for an event-based actor: the connect runs on a thread
/// of its own and the response is the `connection`, e.g.
/// `channel::connect(self, ep).then([=](channel::connection c) {...},
/// [=](caf::error& err) {...})`.
template <class Self>
auto connect(Self* self, net::endpoint ep, options opts = {},
             connect_timeout timeout = std::chrono::seconds{0},
             std::shared_ptr<request_handler> handler = nullptr) {
  auto& sys = self->home_system();
  return transport::request_connect(self, [&sys, ep = std::move(ep),
                                           opts = std::move(opts), timeout,
                                           handler = std::move(handler)] {
    return open_connection(sys, ep, opts, timeout, handler);
  });
}

} // namespace mas::channel
