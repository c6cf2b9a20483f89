#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "mas/net/socket.hpp"
#include "mas/transport/connect.hpp"

namespace mas::transport {

// -- local queues -------------------------------------------------------------

/// The server side of a local queue id (aiomas: a `LocalQueue` with its
/// `LocalQueueServer` set): while it exists, connects to `local:ID` succeed.
///
/// aiomas moves bytes between two `asyncio.Queue`s; libmas gives each
/// connection a `socketpair(AF_UNIX, SOCK_STREAM)` instead, so the broker,
/// its bounds and every layer above run on a local connection exactly as on
/// TCP. A connect creates the pair at once, queues the server's end here
/// and then calls the server's `on_waiting` in the connecting thread, which
/// takes the ends in connect order (FIFO), as from a listen backlog. No
/// thread of its own is involved, so on the `local_loop` a connect and its
/// accept happen at one point of the loop's order.
///
/// The registry of bound ids is process-wide (aiomas: the module's queue
/// cache): a server and its clients may live in different actor systems of
/// one process. `transport::listen` binds one for `endpoint::local(id)`;
/// closing or destroying the server unbinds it.
class local_queue {
public:
  local_queue(const local_queue&) = delete;
  local_queue& operator=(const local_queue&) = delete;

  /// Unbinds.
  ~local_queue();

  /// Binds `id`. Fails with `invalid_argument` for a bad id (see
  /// `check_queue_id`) and with `connect_failed` if a server is bound to it
  /// already (aiomas: `RuntimeError: Server is already set.`).
  static caf::expected<std::unique_ptr<local_queue>> bind(std::string id);

  const std::string& id() const noexcept {
    return id_;
  }

  /// Called (without locks held) in the connecting thread after a connect
  /// queued a new end; a call may race with `unbind` (then `take` finds
  /// nothing). Set it once, before the first connect can happen.
  void on_waiting(std::function<void()> fn);

  /// The server's end of the oldest waiting connection, or an empty fd.
  net::unique_fd take();

  /// Refuses further connects and closes the ends nobody took (their
  /// clients see the connection closed, like clients in the backlog of a
  /// closed TCP socket). Idempotent; a later server may bind the id again.
  void unbind();

  /// Connects to the server bound to `id`: returns the client's end of a
  /// new connection whose server end now waits in that server's queue.
  /// Fails with `invalid_argument` for a bad id and `connect_failed` while
  /// no server is bound (aiomas: `ConnectionRefusedError: No server started
  /// for this local queue instance.`), retried like a refused TCP connect:
  /// `0s` = one attempt, a duration = for that long, `std::nullopt` =
  /// forever, waits from 0.5 s growing by 1.5x up to 30 s (each retry is
  /// logged at level debug, as aiomas does).
  static caf::expected<net::unique_fd> connect(const std::string& id,
                                               connect_timeout timeout);

  /// Whether a server is bound to `id` right now.
  static bool bound(std::string_view id);

private:
  explicit local_queue(std::string id);

  /// Queues the server end of a new pair and returns the client end; the
  /// registry lock is held.
  net::unique_fd open_pair();

  std::string id_;
  std::shared_ptr<std::function<void()>> on_waiting_;
  std::deque<net::unique_fd> waiting_;
  bool bound_ = false;
};

/// `invalid_argument` unless `endpoint::valid_queue_id(id)`, with aiomas's
/// text for a `/` (`"/" not allowed in queue ID ('a/b')`); aiomas accepts
/// an empty id, libmas does not (`queue ID must not be empty`).
caf::error check_queue_id(std::string_view id);

/// What Python's LocalQueue transport reports as `peername` on both ends:
/// `str(lq)`, i.e. `LocalQueue('ID')` with the id as Python's `repr` writes
/// it. It is the origin of a remote exception received over the queue.
std::string local_queue_peer_name(std::string_view id);

} // namespace mas::transport
