#pragma once

#include <caf/fwd.hpp>

namespace mas::transport {

/// The one thread that runs every actor system bound to it, in one first-in,
/// first-out order: what makes LocalQueue deterministic (aiomas: all
/// containers of a process on one asyncio loop).
///
/// CAF runs an actor system's actors on worker threads and its brokers on
/// an I/O thread of its own, so between several containers the order of
/// messages depends on which thread gets there first. A system configured
/// with `configure` gets a scheduler that queues every actor activation on
/// the loop instead, and a multiplexer (CAF's I/O loop) that the loop polls
/// between activations (`middleman.manual-multiplexing`). All systems of the
/// loop then share one execution order: the same program delivers the same
/// messages in the same order on every run, across connections and
/// containers. What comes from outside the loop (calls from `main`, timers of
/// the real-time clock, TCP peers) enters that order when it arrives.
///
/// Rules: no actor on the loop may block waiting for another (everything
/// runs on one thread); actors of other systems should not message loop
/// actors directly (CAF would run the receiver on the sender's worker);
/// `detach` before destroying a system. `mas::container` does all of this
/// for LocalQueue containers.
///
/// While idle, the loop sleeps until an actor is scheduled; it looks at the
/// multiplexers at least every few milliseconds (CAF's I/O loop wakes
/// through a pipe the loop cannot wait on), so a message from another thread
/// straight to a connection waits that long at most.
class local_loop {
public:
  /// Makes `cfg` a system of the loop; call before constructing the system.
  static void configure(caf::actor_system_config& cfg);

  /// Starts polling the system's multiplexer; call once the system is
  /// constructed.
  static void attach(caf::actor_system& sys);

  /// Stops polling it, so the system's destructor may run its I/O loop to
  /// the end on the calling thread. Call from outside the loop.
  static void detach(caf::actor_system& sys);

  /// Whether `sys` runs on the loop.
  static bool runs(const caf::actor_system& sys);

  /// Whether the calling thread is the loop.
  static bool on_loop_thread();
};

} // namespace mas::transport
