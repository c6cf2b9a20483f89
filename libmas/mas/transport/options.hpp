#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "mas/net/tls.hpp"
#include "mas/wire/frame.hpp"

namespace mas::transport {

/// How a transport moves frames (4-byte length + payload) over a socket and
/// what it may hold. Independent of what the frames carry: the aiomas channel
/// and mango's one-way messages use the same transport.
struct options {
  /// Largest frame payload accepted from the peer; a larger header is a
  /// framing violation that closes the connection before any allocation.
  std::size_t max_frame_size = wire::default_max_frame_size;

  /// Bytes that may wait unsent. Checked whenever a frame is queued: above
  /// it the transport stops reading (the peer's requests stay in its socket)
  /// until the buffer has drained to half, and the layers above refuse new
  /// outgoing requests with `overloaded`.
  std::size_t max_write_buffer = 64u * 1024u * 1024u;

  /// A connection that has started something it does not finish — a partial
  /// frame, bytes the peer does not read, a TLS handshake — for this long is
  /// closed (logged, `errc::timeout`). A connection with nothing in progress
  /// may idle forever: aiomas and mango keep connections open between
  /// messages. Zero disables the check.
  std::chrono::milliseconds stall_timeout = std::chrono::seconds{60};

  /// A TLS handshake not done after this long fails with `tls_failure`.
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds{30};

  /// Buffers whose capacity exceeds this are released once they are empty
  /// again, so one big frame does not pin its memory for the connection's
  /// life.
  std::size_t keep_buffer_capacity = 256u * 1024u;

  /// TLS: an `ssl_context` from `net::ssl_context::client/server` (empty:
  /// plain TCP or Unix socket).
  net::ssl_context tls;

  /// TLS clients: the host name the server certificate must match (default:
  /// the endpoint's host).
  std::string tls_host;
};

/// How a server accepts connections.
struct server_options {
  /// Connections open at the same time; further clients wait in the
  /// listen backlog until one closes (logged once per episode).
  std::size_t max_connections = 4096;

  /// When accepting fails because the process or system ran out of file
  /// descriptors, the server logs once and retries after this pause,
  /// serving its open connections meanwhile.
  std::chrono::milliseconds accept_backoff = std::chrono::milliseconds{200};
};

} // namespace mas::transport
