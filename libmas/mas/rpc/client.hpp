#pragma once

#include <functional>
#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>

#include "mas/atoms.hpp"
#include "mas/channel/options.hpp"
#include "mas/interfaces.hpp"
#include "mas/net/endpoint.hpp"
#include "mas/rpc/proxy.hpp"
#include "mas/transport/connect.hpp"
#include "mas/transport/server.hpp"

namespace mas::rpc {

class service;

/// An RPC connection (aiomas `RpcClient`): the connection and a proxy of the
/// peer's root service (`remote`).
struct client {
  connection channel;
  proxy remote;
};

/// The extension types of an RPC connection with `opts`: the extras, then
/// aiomas's proxy type (its id is `opts.extra_types.size()`).
std::shared_ptr<const wire::type_registry>
connection_types(const channel::options& opts);

// -- from main (blocking) -----------------------------------------------------

/// Connects to an RPC server (aiomas `rpc.open_connection`). Calls the server
/// makes on this connection are served by `router` (bi-directional RPC;
/// default: an empty service). Blocks the caller: from an actor, use
/// `rpc::connect`.
caf::expected<client>
open_connection(caf::actor_system& sys, const net::endpoint& ep,
                channel::options opts = {},
                connect_timeout timeout = std::chrono::seconds{0},
                std::shared_ptr<service> router = nullptr);

/// Called on the server's accept thread for each accepted RPC connection.
using client_connected = std::function<void(const client&)>;

/// Serves `root` on `ep` (aiomas `rpc.start_server`).
caf::expected<transport::server>
start_server(caf::actor_system& sys, const net::endpoint& ep,
             std::shared_ptr<service> root,
             client_connected on_client = nullptr, channel::options opts = {},
             transport::server_options server_opts = {});

// -- from actors --------------------------------------------------------------

/// `open_connection` for an event-based actor: the response is the `client`,
/// e.g. `rpc::connect(self, ep).then([=](rpc::client c) {...},
/// [=](caf::error& err) {...})`.
template <class Self>
auto connect(Self* self, net::endpoint ep, channel::options opts = {},
             connect_timeout timeout = std::chrono::seconds{0},
             std::shared_ptr<service> router = nullptr) {
  auto& sys = self->home_system();
  return transport::request_connect(self, [&sys, ep = std::move(ep),
                                           opts = std::move(opts), timeout,
                                           router = std::move(router)] {
    return open_connection(sys, ep, opts, timeout, router);
  });
}

} // namespace mas::rpc

// Clients travel between local actors only (never over BASP).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mas::rpc::client)
