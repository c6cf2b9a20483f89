// mango agents' tasks and hooks on an external clock (so every step is
// driven by set_time, never by waiting): instant, timestamp (also in the
// past), periodic, conditional, recurrent, cancel, when_tasks_complete;
// on_register/on_start/on_ready/on_stop in order.

#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mas/agent/idle.hpp"
#include "mas/mango/agent.hpp"
#include "mas/mango/external_container.hpp"
#include "test_support.hpp"

namespace mango = mas::mango;
using mas::test::journal;
using mas::wire::dict;
using mas::wire::value;

namespace {

std::string at(const mas::clock& clk) {
  return "@" + mas::wire::to_string(value{clk.time()});
}

/// Schedules one task of each kind in on_ready; messages cancel them.
class tasker : public mango::agent {
public:
  tasker(caf::actor_config& cfg, mas::agent_init init, journal* j)
    : agent(cfg, std::move(init)), j_(j) {
  }

  void on_register() override {
    j_->add("register");
  }

  void on_start() override {
    j_->add("start");
  }

  void on_ready() override {
    j_->add("ready");
    schedule_instant_task([this] { j_->add("instant" + at(clock())); });
    schedule_timestamp_task([this] { j_->add("stamp" + at(clock())); }, 2.0);
    schedule_timestamp_task([this] { j_->add("past" + at(clock())); }, -1.0);
    periodic_ = schedule_periodic_task(
      [this] { j_->add("periodic" + at(clock())); }, 1.5);
    schedule_conditional_task([this] { j_->add("condition" + at(clock())); },
                              [this] { return clock().time() >= 3.0; }, 0.5);
    int n = 0;
    schedule_recurrent_task([this] { j_->add("recurrent" + at(clock())); },
                            [n](double now) mutable -> std::optional<double> {
                              if (++n > 2)
                                return std::nullopt;
                              return now + 2.0;
                            });
  }

  void handle_message(const value& content, const dict&) override {
    if (content == value{"cancel"}) {
      periodic_.cancel();
      j_->add("cancelled, pending " + std::to_string(pending_tasks()));
      when_tasks_complete([this] { j_->add("complete" + at(clock())); });
    }
  }

  void on_stop() override {
    j_->add("stop");
  }

private:
  journal* j_;
  mango::task_handle periodic_;
};

} // namespace

TEST_CASE("tasks on the external clock, hooks in order") {
  journal j;
  auto c = mango::create_ec_container("sim");
  c->register_agent<tasker>("t", &j);
  c->on_ready();
  auto step = [&](double t) {
    auto out = c->step(t, {});
    return out.next_activity;
  };
  REQUIRE(mas::wait_idle(*c, std::chrono::milliseconds{30000}));
  // At time 0: instant, the timestamp in the past, the periodic's first run;
  // the condition is false.
  CHECK(j.take()
        == std::vector<std::string>{"register", "start", "ready", "instant@0.0",
                                    "past@0.0", "periodic@0.0"});
  CHECK(step(1.0) == 1.5); // condition checked at 0.5 and 1.0: false
  CHECK(j.take().empty());
  // The periodic task's 1.5, the stamp and the recurrent task's first time
  // (2) are all due; the condition is next checked at 2.5.
  CHECK(step(2.0) == 2.5);
  CHECK(
    j.take()
    == std::vector<std::string>{"periodic@2.0", "stamp@2.0", "recurrent@2.0"});
  // The condition holds now; the periodic task comes again at 3.5.
  CHECK(step(3.0) == 3.5);
  CHECK(j.take() == std::vector<std::string>{"condition@3.0"});
  // Cancelling the periodic task leaves the recurrent one (next at 4).
  c->send_message("cancel", c->agent_addr("t"), "test");
  REQUIRE(mas::wait_idle(*c, std::chrono::milliseconds{30000}));
  CHECK(j.take() == std::vector<std::string>{"cancelled, pending 2"});
  step(4.0);
  // The recurrent task ran its last time; nothing pending: complete.
  CHECK(j.take() == std::vector<std::string>{"recurrent@4.0", "complete@4.0"});
  CHECK(step(10.0) == std::nullopt);
  CHECK(j.take().empty());
  c->shutdown();
  std::vector<std::string> last;
  for (int i = 0; i < 3000 && last.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
    last = j.take();
  }
  CHECK(last == std::vector<std::string>{"stop"});
}
