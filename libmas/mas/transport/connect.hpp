#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include "mas/net/endpoint.hpp"
#include "mas/transport/layer.hpp"
#include "mas/transport/options.hpp"

namespace mas {

/// aiomas's connect timeout: `0s` = one attempt, a duration = retry for that
/// long, `std::nullopt` = retry forever.
using connect_timeout = std::optional<std::chrono::duration<double>>;

} // namespace mas

namespace mas::transport {

/// Connects to `ep` and runs `upper` on the connection; for TLS, returns once
/// the handshake is done (a failed handshake fails the connect, as Python's
/// `open_connection` does). Blocks the calling thread: call it from `main`
/// or a thread of your own. Actors use a connector (see
/// `channel::connect`), which runs this on a thread of its own.
caf::expected<caf::actor> connect(caf::actor_system& sys,
                                  const net::endpoint& ep, const options& opts,
                                  connect_timeout timeout,
                                  std::unique_ptr<layer> upper);

/// A blocking connect packaged for actors: `fn` runs on a thread of its own
/// once the returned actor receives `(connect_atom)`, and its result (or
/// error) is the response. The actor then terminates.
caf::actor spawn_connector(caf::actor_system& sys,
                           std::function<caf::expected<caf::message>()> fn);

} // namespace mas::transport
