#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/io/broker.hpp>
#include <caf/response_promise.hpp>

#include "mas/transport/frame_stream.hpp"
#include "mas/transport/layer.hpp"
#include "mas/transport/options.hpp"

namespace mas::transport {

/// Everything a transport broker starts with.
struct setup {
  options opts;
  bool is_server = false;
  /// The peer as Python's `peername` renders it.
  std::string peer;
  /// TLS clients: the name to verify.
  std::string tls_host;
  /// The layer on top (moved into the broker).
  std::unique_ptr<layer> upper;
  /// Reads nothing until the broker gets `(open_atom)`: a server runs its
  /// client-connected callback first, so (as in aiomas) the callback has
  /// run before the first request is handled.
  bool hold_reads = false;
};

/// The CAF actor (a broker on CAF's I/O thread) that owns one socket and its
/// `frame_stream`, and hands frames to its layer. It enforces the transport's
/// bounds: the write buffer is checked whenever a frame is queued, stalled
/// work times out, and large buffers are released when idle.
///
/// It understands `(ready_atom)` → `ok_atom`, `(close_atom)` → `ok_atom`
/// (closes) and `(closed_atom)` → `ok_atom` (once it has ended), plus what
/// its layer adds. After it ended, requests to it fail with
/// `caf::sec::request_receiver_down`.
class broker : public caf::io::broker {
public:
  explicit broker(caf::actor_config& cfg);

  ~broker() override;

  const char* name() const override {
    return "mas.transport";
  }

  // -- for layers -------------------------------------------------------------

  /// A buffer for the next frame's payload (after the reserved header).
  wire::byte_buffer& frame_buffer() {
    return stream_->frame_buffer();
  }

  /// Sends the frame in `frame_buffer()`: frames sent while a read is
  /// handled are written at the end of that read, others once the
  /// broker's queued messages are handled (one write per batch; `unsent()`
  /// counts the latter meanwhile).
  /// @throws wire_error if it cannot be framed
  void send_frame();

  /// Whether the unsent bytes exceed `max_write_buffer`.
  bool overloaded() const noexcept {
    return unsent_ > opts_.max_write_buffer;
  }

  /// Bytes queued but not yet written to the socket.
  std::size_t unsent() const noexcept {
    return unsent_;
  }

  /// Closes the connection: the layer's `on_closed` runs, a TLS session
  /// says goodbye, the socket closes and the actor terminates with `reason`.
  /// Reasons other than a plain close are logged with the peer. Bytes still
  /// unsent are delivered first if the peer takes them (waiting at most
  /// `stall_timeout` without progress); after a timeout, or while the peer
  /// does not read at all (reading halted), the connection is reset and
  /// they are dropped, so a closed connection never holds memory or a file
  /// descriptor for a peer that does not read.
  void close(caf::error reason, bool shutdown = false);

  bool closing() const noexcept {
    return closing_;
  }

  const std::string& peer() const noexcept {
    return peer_;
  }

  const options& transport_options() const noexcept {
    return opts_;
  }

  layer& upper() noexcept {
    return *layer_;
  }

  // -- used by the spawn function ---------------------------------------------

  /// Takes over `fd` and returns the broker's behavior.
  caf::behavior start(int fd, setup su);

protected:
  bool cleanup(caf::error&& reason, caf::execution_unit* host) override;

private:
  void flush_output(bool direct = false);
  void feed_socket(bool direct = false);
  void write_directly();
  void adapt_read_size(std::size_t got);
  void update_reading();
  void on_bytes(const std::uint8_t* data, std::size_t size);
  void check_ready();
  void arm_stall_timer();
  void on_tick();
  bool in_progress() const noexcept;
  void finish_close(bool abort);

  options opts_;
  int fd_ = -1;
  caf::io::connection_handle hdl_;
  std::optional<frame_stream> stream_;
  std::unique_ptr<layer> layer_;
  std::string peer_;
  caf::actor_addr supervisor_;
  std::vector<caf::response_promise> ready_waiters_;
  std::vector<caf::response_promise> closed_waiters_;
  wire::byte_buffer scratch_;
  /// Bytes for the socket not yet handed to CAF (from `outbox_pos_` on):
  /// CAF gets at most `write_chunk` at a time, because its write buffers
  /// keep their capacity for the life of the connection.
  wire::byte_buffer outbox_;
  std::size_t outbox_pos_ = 0;
  /// Bytes CAF holds that the socket has not taken yet.
  std::size_t in_caf_ = 0;
  /// `in_caf_` plus the rest of `outbox_`.
  std::size_t unsent_ = 0;
  /// Bytes asked of CAF per read (`receive_policy::at_most`).
  std::size_t read_size_ = 0;
  /// The reason of a close that waits for the unsent bytes to drain.
  caf::error close_reason_;
  /// Reads and write completions so far (the stall check's clock).
  std::uint64_t progress_ = 0;
  std::uint64_t progress_at_tick_ = 0;
  /// When the last tick saw progress (or the work started).
  std::chrono::steady_clock::time_point quiet_since_;
  /// TLS: when the handshake must be done.
  std::chrono::steady_clock::time_point handshake_deadline_;
  /// The timer's period: short, because a pending delayed message keeps
  /// the actor alive, and a closed connection should not linger for a whole
  /// timeout.
  std::chrono::milliseconds tick_{0};
  bool stall_timer_armed_ = false;
  /// Inside `on_bytes`: frames sent wait for the end of the read.
  bool in_input_ = false;
  /// A `flush_atom` to self is queued: the outbox waits for it.
  bool flush_pending_ = false;
  bool ready_ = false;
  bool reading_halted_ = false;
  /// Reads wait for `(open_atom)` (setup::hold_reads).
  bool reads_held_ = false;
  bool closing_ = false;
  bool draining_ = false;
  /// CAF reported the socket closed by the peer (EOF or reset).
  bool peer_gone_ = false;
};

/// Spawns a transport broker (hidden: it never keeps an actor system that
/// awaits its actors from shutting down; it closes with the middleman).
caf::actor spawn_broker(caf::actor_system& sys, int fd, setup su);

/// The actor whose termination closes every libmas connection of `sys`
/// (CAF 0.17's middleman joins its I/O thread only once all brokers are
/// gone, and terminates its named brokers first).
caf::actor supervisor_of(caf::actor_system& sys);

/// Closes every libmas connection of `sys`, in and out, as if the system
/// shut down (pending requests fail with `errc::connection_reset`);
/// connections opened afterwards close at once. For a container's
/// shutdown, which stops its system's networking but not the system.
void close_all(caf::actor_system& sys);

} // namespace mas::transport
