#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "mas/net/tls.hpp"
#include "mas/transport/options.hpp"
#include "mas/wire/frame.hpp"

namespace mas::transport {

/// The protocol state of one framed connection, without a socket (like
/// CAF's `basp::instance`): bytes from the peer go in, complete frames come
/// out; frames to send go in, bytes for the socket come out. TLS (over
/// memory BIOs) sits in between when configured. The broker that owns the
/// socket drives it; unit tests drive it directly.
class frame_stream {
public:
  /// What `received` found besides frames.
  enum class status {
    /// All bytes consumed.
    ok,
    /// A fatal TLS error (see `error()`); send `take_output()`, then close.
    tls_failed,
    /// The peer closed the TLS session (close_notify).
    peer_closed,
  };

  /// @param is_server selects the TLS role.
  /// @throws net::tls_error if the TLS session cannot be created
  frame_stream(const options& opts, bool is_server, const std::string& host);

  /// Consumes bytes from the socket and calls `on_frame(const std::uint8_t*
  /// payload, std::size_t size)` per complete frame.
  /// @throws wire_error `frame_too_large` on a framing violation, or what
  ///         `on_frame` throws
  template <class OnFrame>
  status received(const std::uint8_t* data, std::size_t size,
                  OnFrame&& on_frame) {
    if (!tls_) {
      frames_.feed(data, size, on_frame);
      return status::ok;
    }
    plain_.clear();
    auto ok = tls_->feed(data, size, plain_);
    tls_->drain(wire_out_); // handshake records, alerts
    if (!ok)
      return status::tls_failed;
    if (!plain_.empty())
      frames_.feed(plain_.data(), plain_.size(), on_frame);
    return tls_->closed_by_peer() ? status::peer_closed : status::ok;
  }

  /// Returns a buffer to encode the next frame's payload into, after
  /// `wire::frame_header_size` reserved bytes; pass it to `send_frame`.
  wire::byte_buffer& frame_buffer() {
    out_.assign(wire::frame_header_size, 0);
    return out_;
  }

  /// Completes the frame in `frame_buffer()` and queues it for sending.
  /// @throws wire_error `frame_too_large` above 4 GiB, `invalid_message`
  ///         if TLS refuses the data
  void send_frame();

  /// Queues a complete frame payload (copied).
  void send_frame(const std::uint8_t* payload, std::size_t size);

  /// Moves the bytes to write to the socket into `out` (replacing it).
  void take_output(wire::byte_buffer& out);

  /// Whether there are bytes for the socket.
  bool has_output() const noexcept {
    return !wire_out_.empty();
  }

  /// Whether the connection can carry frames (TLS: handshake done).
  bool ready() const noexcept {
    return !tls_ || tls_->handshake_done();
  }

  bool uses_tls() const noexcept {
    return tls_.has_value();
  }

  /// Starts a TLS shutdown (close_notify) if the handshake was done.
  void shutdown();

  /// Whether an incomplete frame is buffered.
  bool has_partial_frame() const noexcept {
    return !frames_.idle();
  }

  /// Bytes of an incomplete frame held back.
  std::size_t buffered() const noexcept {
    return frames_.buffered();
  }

  /// Releases scratch buffers above `opts.keep_buffer_capacity` once empty.
  void release_memory();

  /// The TLS error text after `status::tls_failed`.
  std::string error() const;

private:
  std::size_t keep_capacity_;
  wire::frame_decoder frames_;
  std::optional<net::tls_session> tls_;
  wire::byte_buffer plain_;
  wire::byte_buffer out_;
  wire::byte_buffer wire_out_;
};

} // namespace mas::transport
