#pragma once

#include "mas/mango/agent.hpp"

namespace mas::mango {

/// mango `DistributedClockAgent`: lets a `DistributedClockManager` in
/// another container (Python or C++) drive this container's external clock.
/// On the wire (plain MangoMessages): a number sets the clock to that time;
/// `"next_event"` is answered, once every agent of the container is idle or
/// sleeping on the clock (`await_idle`), with the clock's next activity (a
/// number, or None); `"stop"` makes it stop answering (the container keeps
/// running, as in mango).
///
/// As in mango, a time equal to the clock's is accepted (nothing happens);
/// an earlier one is refused with a log line (mango: `ValueError`).
class distributed_clock_agent : public agent {
public:
  using agent::agent;

  const char* name() const override {
    return "DistributedClockAgent";
  }

  void handle_message(const wire::value& content,
                      const wire::dict& meta) override;

  /// Whether `"stop"` arrived.
  bool stopped() const noexcept {
    return stopped_;
  }

private:
  bool stopped_ = false;
};

/// Moves an external `clk` to `t` with mango's rule (`ExternalClock.set_time`:
/// only an earlier time is an error).
/// @throws std::invalid_argument `Time must be > {time} but is {t}.`
void set_time_mango(const mas::clock& clk, double t);

} // namespace mas::mango
