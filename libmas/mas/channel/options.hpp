#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "mas/transport/options.hpp"
#include "mas/wire/codec.hpp"

namespace mas::channel {

/// How an aiomas channel encodes and bounds its messages.
struct options {
  /// The transport below: frame size, write buffer, timeouts, TLS.
  transport::options transport;

  /// The codec (aiomas: `codec=`).
  wire::codec_kind codec = wire::codec_kind::json;

  /// Extension type names in registration order (aiomas:
  /// `extra_serializers`); their positional ids are 0, 1, ...
  std::vector<std::string> extra_types;

  /// Codec limits.
  wire::codec_options codec_options;

  /// Incoming requests served at the same time (deferred answers and
  /// requests to actors); further requests wait in a queue.
  std::size_t max_incoming_requests = 1024;

  /// Requests that may wait in that queue; beyond it a request fails at
  /// once (`RuntimeError: too many requests in flight on this connection`).
  std::size_t max_queued_requests = 65536;

  /// Frame bytes that queued requests may hold in total; beyond it a
  /// request fails at once like above.
  std::size_t max_queued_bytes = 16u * 1024u * 1024u;

  /// Outgoing requests waiting for replies; above it new ones fail with
  /// `overloaded`.
  std::size_t max_outgoing_requests = 65536;

  /// Called (on CAF's I/O thread) when the connection ends for any reason
  /// other than the actor system shutting down, with the error that failed
  /// the pending requests (aiomas `RpcClient.on_connection_reset`).
  /// Monitoring the connection actor gives the same information.
  std::function<void(const caf::error&)> on_connection_reset;
};

} // namespace mas::channel
