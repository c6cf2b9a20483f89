#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "mas/atoms.hpp"
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
/// `channel::connect`), which runs this on a thread of its own (on the
/// `local_loop`: in the loop's order).
caf::expected<caf::actor> connect(caf::actor_system& sys,
                                  const net::endpoint& ep, const options& opts,
                                  connect_timeout timeout,
                                  std::unique_ptr<layer> upper);

/// A blocking connect packaged for actors: `fn` runs on a thread of its own
/// once the returned actor receives `(connect_atom)`, and its result (or
/// error) is the response. The actor then terminates. In a system on the
/// `local_loop`, `fn` runs on the loop at that point of its order instead,
/// so connects and accepts are deterministic too (a local connect never
/// waits; a TCP connect from the loop blocks it while connecting).
caf::actor spawn_connector(caf::actor_system& sys,
                           std::function<caf::expected<caf::message>()> fn);

/// Runs the blocking connect `fn` (returning `caf::expected<T>`) on a
/// connector and returns `self`'s request for its result: the response is
/// the `T` or the error.
template <class Self, class Fn>
auto request_connect(Self* self, Fn fn) {
  auto connector = spawn_connector(
    self->home_system(),
    [fn = std::move(fn)]() mutable -> caf::expected<caf::message> {
      auto res = fn();
      if (!res)
        return std::move(res.error());
      return caf::make_message(std::move(*res));
    });
  return self->request(connector, caf::infinite, connect_atom_v);
}

} // namespace mas::transport
