#include "mas/mango/distributed_clock.hpp"

#include <stdexcept>

#include "mas/agent/idle.hpp"
#include "mas/errc.hpp"
#include "mas/log.hpp"

namespace mas::mango {

void set_time_mango(const mas::clock& clk, double t) {
  auto now = clk.time();
  if (t < now)
    throw std::invalid_argument("Time must be > "
                                + wire::to_string(wire::value{now}) + " but is "
                                + wire::to_string(wire::value{t}) + ".");
  if (t > now)
    clk.set_time(t);
}

void distributed_clock_agent::handle_message(const wire::value& content,
                                             const wire::dict& meta) {
  if (content.is_string() && content.as_string() == "stop") {
    stopped_ = true;
    return;
  }
  if (content.is_string() && content.as_string() == "next_event") {
    agent_address manager;
    try {
      manager = sender_addr(meta);
    } catch (const std::invalid_argument& e) {
      log(log_level::warning,
          std::string{"mango: a next_event request without sender: "}
            + e.what());
      return;
    }
    await_idle(this, context())
      .then(
        [this, manager](caf::ok_atom) {
          if (stopped_)
            return;
          auto next = clock().next_activity();
          schedule_instant_message(next ? wire::value{*next} : wire::value{},
                                   manager);
        },
        [this](caf::error& err) {
          log(log_level::warning,
              "mango: clock agent " + aid()
                + " could not wait for its container: " + mas::render(err));
        });
    return;
  }
  if (content.is_int() || content.is_float()) {
    try {
      set_time_mango(clock(), content.as_double());
    } catch (const std::exception& e) {
      log(log_level::warning, "mango: clock agent " + aid() + ": " + e.what());
    }
    return;
  }
  log(log_level::warning, "mango: clock agent " + aid()
                            + " got neither a time nor next_event nor stop: "
                            + wire::to_string(content));
}

} // namespace mas::mango
