#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/message_handler.hpp>

#include "mas/wire/type_registry.hpp"
#include "mas/wire/value.hpp"

namespace mas::transport {
class broker;
} // namespace mas::transport

namespace mas::channel {

class layer;

/// What a handler decided about one request.
struct answer {
  enum class kind {
    /// `value` is the result.
    result,
    /// Fails with `type: message` (aiomas `Request.fail`).
    failure,
    /// Answered later: a `(reply_atom, id, value)` or `(reply_atom, id,
    /// string type, string message)` to the connection (see
    /// `rpc::responder`).
    deferred,
  };
  kind what = kind::deferred;
  wire::value value;
  std::string type;
  std::string message;

  static answer result(wire::value x) {
    return {kind::result, std::move(x), {}, {}};
  }
  static answer failure(std::string type, std::string message) {
    return {kind::failure, {}, std::move(type), std::move(message)};
  }
  static answer deferred() {
    return {};
  }
};

/// One request as the channel hands it to its handler.
struct incoming {
  /// The connection (runs on CAF's I/O thread: keep work short).
  transport::broker* self;
  /// The channel, to answer a deferred request from the connection's own
  /// context (`channel->reply(id, ...)`).
  layer* channel;
  std::uint64_t id;
  /// The connection's extension types.
  const std::shared_ptr<const wire::type_registry>& types;
};

/// Serves the requests a channel receives: the RPC layer's dispatcher, or a
/// CAF actor (`channel::start_server(sys, ep, actor)`).
class request_handler {
public:
  virtual ~request_handler();

  /// Serves one request.
  virtual answer serve(const incoming& req, wire::value content) = 0;

  /// Messages the layer above adds to the connection (RPC: `call_atom`).
  virtual caf::message_handler make_handler(layer& channel);
};

/// Serves requests by asking `dest` with `(request_atom, value)`; its
/// response (or error, as `Exception: <text>`) is the reply. Without an
/// actor every request fails (this side serves nothing).
std::shared_ptr<request_handler> serve_by_actor(caf::actor dest);

} // namespace mas::channel
