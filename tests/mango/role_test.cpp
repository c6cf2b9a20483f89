// mango's roles (RoleAgent/Role) in C++: subscriptions by condition and
// priority, handle_message of every active role, typed events, shared data,
// models, deactivation, and the lifecycle catch-up of a late role.

#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mas/agent/idle.hpp"
#include "mas/mango/role.hpp"
#include "mas/mango/tcp_container.hpp"
#include "test_support.hpp"

namespace mango = mas::mango;
using mas::test::journal;
using mas::wire::dict;
using mas::wire::value;

namespace {

struct price_changed {
  int price;
};

struct market_model {
  int last = 0;
};

class listener : public mango::role {
public:
  explicit listener(journal* j) : j_(j) {
  }

  void setup() override {
    context().subscribe_message(
      *this,
      [this](const value& c, const dict&) {
        j_->add("listener:" + mas::wire::to_string(c));
        context().emit_event(price_changed{static_cast<int>(c.as_int64())},
                             this);
      },
      [](const value& c, const dict&) { return c.is_int(); }, 5);
    context().subscribe_message(
      *this, [this](const value&, const dict&) { j_->add("first"); }, nullptr,
      -1);
  }

  void on_start() override {
    j_->add("listener:start");
  }

private:
  journal* j_;
};

class trader : public mango::role {
public:
  explicit trader(journal* j) : j_(j) {
  }

  void setup() override {
    context().subscribe_event<price_changed>(
      *this, [this](const price_changed& e, mango::role* src) {
        j_->add("trader:event " + std::to_string(e.price)
                + (src != nullptr ? " from a role" : ""));
        context().data().insert_or_assign("price", e.price);
        context().update(market_model{e.price});
      });
    context().subscribe_model<market_model>(
      *this, [this](const market_model& m) {
        j_->add("trader:model " + std::to_string(m.last));
      });
  }

  void handle_message(const value& c, const dict&) override {
    j_->add("trader:handle " + mas::wire::to_string(c));
  }

  void on_ready() override {
    j_->add("trader:ready");
  }

private:
  journal* j_;
};

class late : public mango::role {
public:
  explicit late(journal* j) : j_(j) {
  }
  void on_start() override {
    j_->add("late:start");
  }
  void on_ready() override {
    j_->add("late:ready");
  }

private:
  journal* j_;
};

/// A role agent that gets its roles in the constructor; `add_late` on
/// message "late", `mute` deactivates the trader.
class market_agent : public mango::role_agent {
public:
  market_agent(caf::actor_config& cfg, mas::agent_init init, journal* j)
    : role_agent(cfg, std::move(init)), j_(j) {
    add_role<listener>(j);
    trader_ = &add_role<trader>(j);
  }

  void handle_message(const value& c, const dict& meta) override {
    if (c == value{"late"}) {
      add_role<late>(j_);
      return;
    }
    if (c == value{"mute"}) {
      context_of_roles().deactivate(*trader_);
      return;
    }
    if (c == value{"data"}) {
      auto p = context_of_roles().data().find("price");
      j_->add("data:" + (p ? mas::wire::to_string(*p) : "none"));
      return;
    }
    role_agent::handle_message(c, meta);
  }

private:
  journal* j_;
  mango::role* trader_;
};

} // namespace

TEST_CASE("roles: subscriptions, events, data, models, lifecycle") {
  auto c = mango::tcp_container::create("127.0.0.1", 0);
  REQUIRE(c);
  journal j;
  (*c)->register_agent<market_agent>("market", &j);
  (*c)->on_ready();
  auto to = (*c)->agent_addr("market");
  auto send = [&](value x) {
    REQUIRE((*c)->send_message(std::move(x), to, "test"));
    REQUIRE(mas::wait_idle(**c, std::chrono::milliseconds{30000}));
  };
  send(value{42});
  send(value{"hi"});
  send(value{"data"});
  send(value{"late"});
  send(value{"mute"});
  send(value{7});
  CHECK(j.get()
        == std::vector<std::string>{
          "listener:start", "trader:ready",
          // 42: the priority -1 subscription, then priority 5, whose event
          // reaches the trader (data, model), then every handle_message
          "first", "listener:42", "trader:event 42 from a role",
          "trader:model 42", "trader:handle 42",
          // "hi": no int, only the catch-all subscription and handle_message
          "first", "trader:handle 'hi'", "data:42",
          // a role added late catches up on start and ready
          "late:start", "late:ready",
          // the muted trader hears nothing
          "first", "listener:7"});
}
