// DistributedClockManager and DistributedClockAgent in C++ on both ends,
// over TCP between two containers (mango's test_distributed_clock.py).

#include <catch2/catch.hpp>

#include "mas/mango/distributed_clock.hpp"
#include "mas/mango/tcp_container.hpp"

namespace mango = mas::mango;
using mas::wire::dict;
using mas::wire::value;

namespace {

/// Plans a task at time 150 once started.
class planner : public mango::agent {
public:
  using agent::agent;

  void on_start() override {
    schedule_timestamp_task([this] { fired_at_ = clock().time(); }, 150.0);
  }

  double fired_at_ = -1;
};

mango::container_options external() {
  mango::container_options opts;
  opts.make_clock = [](caf::actor_system& sys) {
    return mas::clock::external(sys, "1970-01-01T00:00:00+00:00");
  };
  return opts;
}

} // namespace

TEST_CASE("a C++ clock manager drives a C++ clock agent over TCP") {
  auto man = mango::tcp_container::create("127.0.0.1", 0, external());
  auto ag = mango::tcp_container::create("127.0.0.1", 0, external());
  REQUIRE(man);
  REQUIRE(ag);
  (*ag)->register_agent<mango::distributed_clock_agent>("clock_agent");
  (*ag)->register_agent<planner>("planner");
  auto manager = (*man)->register_agent<mango::distributed_clock_manager>(
    "clock_manager",
    std::vector<mango::agent_address>{(*ag)->agent_addr("clock_agent")});
  (*ag)->on_ready();
  (*man)->on_ready();
  auto& sys = (*man)->system();
  // Nothing moved yet: the agent side plans time 150.
  auto next = mango::get_next_event(sys, manager);
  REQUIRE(next);
  CHECK(*next == 150.0);
  (*man)->clock().set_time(100);
  next = mango::distribute_time(sys, manager);
  REQUIRE(next);
  CHECK((*ag)->clock().time() == 100.0);
  CHECK(*next == 150.0);
  next = mango::distribute_time(sys, manager, 150.0);
  REQUIRE(next);
  CHECK(*next == 150.0);
  // The task ran at 150; nobody plans anything: time stands still.
  (*man)->clock().set_time(150);
  next = mango::get_next_event(sys, manager);
  REQUIRE(next);
  CHECK(*next == 150.0);
  CHECK((*ag)->clock().time() == 150.0);
  CHECK(!mango::stop_clocks(sys, manager));
}
