#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "mas/mango/agent.hpp"

/// `(distribute_atom)` / `(distribute_atom, double)`: see
/// distributed_clock_manager.
CAF_ADD_ATOM(libmas, mas::mango, distribute_atom, "mdistrib")

/// `(next_event_atom)`: see distributed_clock_manager.
CAF_ADD_ATOM(libmas, mas::mango, next_event_atom, "mnextev")

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

/// mango `DistributedClockManager(receiver_clock_addresses)`: drives the
/// clocks of other containers (their `DistributedClockAgent`s, Python or
/// C++) from this container's external clock. Ask it with CAF requests
/// (from `main`, the blocking helpers below):
/// - `(distribute_atom)` → `double`: mango `distribute_time()`: waits until
///   this container is idle, sends the clock's time to every receiver,
///   then asks each for its next event (`get_next_event`) and answers the
///   earliest (this container's own next activity included; the current
///   time if nobody plans anything);
/// - `(distribute_atom, double t)` → `double`: sends `t` and answers it;
/// - `(next_event_atom)` → `double`: mango `get_next_event()`;
/// - `(caf::close_atom)` → `ok`: mango `shutdown()`'s broadcast of `"stop"`.
///
/// Requests run one after the other. Like mango's, the manager first waits
/// for every receiver to answer a `"next_event"` (asking again every
/// second) before it serves the first request. Replies are matched by
/// `sender_addr(meta)`: a receiver's address must be given as it sends it.
class distributed_clock_manager : public agent {
public:
  distributed_clock_manager(caf::actor_config& cfg, agent_init init,
                            std::vector<agent_address> receivers);

  const char* name() const override {
    return "DistributedClockManager";
  }

  void on_ready() override;

  void handle_message(const wire::value& content,
                      const wire::dict& meta) override;

  caf::behavior make_behavior() override;

private:
  using job = std::function<void()>;

  /// Asks every receiver for its next event, then runs `done`.
  void collect(std::function<void()> done);
  void online_round();
  void get_next_event(std::function<void(double)> done);
  void broadcast(const wire::value& content);
  void run_next();
  void enqueue(job j);

  std::vector<agent_address> receivers_;
  std::set<std::string> waiting_;
  std::function<void()> on_all_answered_;
  std::vector<double> schedules_;
  std::deque<job> jobs_;
  bool online_ = false;
  bool busy_ = false;
  std::uint64_t round_ = 0;
};

/// `manager`'s `distribute_time(t)` from a thread outside the container.
/// @returns the next event, or an error (e.g. the manager is gone).
caf::expected<double> distribute_time(caf::actor_system& sys,
                                      const caf::actor& manager,
                                      std::optional<double> t = std::nullopt);

/// `manager`'s `get_next_event()` from a thread outside the container.
caf::expected<double> get_next_event(caf::actor_system& sys,
                                     const caf::actor& manager);

/// Sends `"stop"` to every receiver of `manager` (mango `shutdown()`).
caf::error stop_clocks(caf::actor_system& sys, const caf::actor& manager);

/// Moves an external `clk` to `t` with mango's rule (`ExternalClock.set_time`:
/// only an earlier time is an error).
/// @throws std::invalid_argument `Time must be > {time} but is {t}.`
void set_time_mango(const mas::clock& clk, double t);

} // namespace mas::mango
