#pragma once

#include <cstddef>
#include <cstdint>

#include <caf/error.hpp>
#include <caf/message_handler.hpp>

namespace mas::transport {

class broker;

/// What runs on top of a transport (the aiomas channel, mango's one-way
/// messages): it gets the frames the peer sent and sends frames through the
/// broker. All calls run in the broker's context (CAF's I/O thread).
class layer {
public:
  virtual ~layer();

  /// The messages this layer understands besides the transport's own
  /// (ready, close, closed). Called once, when the broker starts.
  virtual caf::message_handler make_handler(broker& self) = 0;

  /// The connection can carry frames (after the TLS handshake).
  virtual void on_ready(broker& self);

  /// One complete frame from the peer; the view is valid during the call.
  /// Throwing `wire::wire_error` is a protocol violation: the connection
  /// closes with `errc::protocol_error` and a log line.
  virtual void on_frame(broker& self, const std::uint8_t* payload,
                        std::size_t size)
    = 0;

  /// The write buffer drained below half of its limit after it was full.
  virtual void on_writable(broker& self);

  /// The connection ends with `reason` (never called twice). `shutdown` is
  /// true when the actor system shuts down.
  virtual void on_closed(broker& self, const caf::error& reason, bool shutdown)
    = 0;
};

} // namespace mas::transport
