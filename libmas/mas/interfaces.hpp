#pragma once

#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "mas/atoms.hpp"
#include "mas/wire/value.hpp"

// The typed handles of libmas's actors, in one place (CAF style). Each layer
// extends the one below it.

namespace mas::transport {

/// A framed connection (any transport: TCP, Unix socket, TLS):
/// - `(ready_atom)` → `ok_atom` once it can carry frames (after the TLS
///   handshake), or its error;
/// - `(close_atom)`: closes it (a request gets an empty response once it
///   has closed: `self->request(conn, infinite, close_atom_v).then([] {})`);
/// - `(closed_atom)` → `ok_atom` once it has ended (for whatever reason).
using connection_actor
  = caf::typed_actor<caf::replies_to<ready_atom>::with<caf::ok_atom>,
                     caf::reacts_to<caf::close_atom>,
                     caf::replies_to<closed_atom>::with<caf::ok_atom>>;

} // namespace mas::transport

namespace mas::channel {

/// An aiomas channel: a transport plus `(request_atom, value content)` →
/// `value`, which sends a request and answers with the peer's reply.
using connection = transport::connection_actor::extend<
  caf::replies_to<request_atom, wire::value>::with<wire::value>>;

} // namespace mas::channel

namespace mas::rpc {

/// An aiomas RPC connection: a channel plus `(call_atom, string path, array
/// args, dict kwargs)` → `value` (content `[path, args, kwargs]`).
using connection = channel::connection::extend<caf::replies_to<
  call_atom, std::string, wire::array, wire::dict>::with<wire::value>>;

} // namespace mas::rpc
