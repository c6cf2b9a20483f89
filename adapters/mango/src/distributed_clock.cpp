#include "mas/mango/distributed_clock.hpp"

#include <algorithm>
#include <stdexcept>

#include <caf/scoped_actor.hpp>

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

// -- the manager --------------------------------------------------------------

namespace {

/// The key of an address as `sender_addr(meta)` reads it (tuple or list
/// alike).
std::string key_of(const agent_address& a) {
  auto x = a;
  if (x.protocol_addr.is_array())
    x.protocol_addr.set_tuple(true);
  return to_string(x);
}

} // namespace

distributed_clock_manager::distributed_clock_manager(
  caf::actor_config& cfg, agent_init init, std::vector<agent_address> receivers)
  : agent(cfg, std::move(init)), receivers_(std::move(receivers)) {
  // nop
}

void distributed_clock_manager::broadcast(const wire::value& content) {
  for (auto& r : receivers_)
    send_message(content, r);
}

void distributed_clock_manager::collect(std::function<void()> done) {
  waiting_.clear();
  for (auto& r : receivers_)
    waiting_.insert(key_of(r));
  on_all_answered_ = std::move(done);
  broadcast(wire::value{"next_event"});
  if (waiting_.empty()) {
    auto f = std::move(on_all_answered_);
    on_all_answered_ = nullptr;
    f();
  }
}

void distributed_clock_manager::online_round() {
  // mango `wait_all_online`: ask until everybody answered once.
  auto round = ++round_;
  schedules_.clear();
  collect([this] {
    online_ = true;
    run_next();
  });
  // Wall time, as mango's wait_for(..., 1): the clock may stand still.
  delayed_send(this, std::chrono::seconds{1}, resume_atom_v, round);
}

void distributed_clock_manager::on_ready() {
  online_round();
}

void distributed_clock_manager::handle_message(const wire::value& content,
                                               const wire::dict& meta) {
  std::string key;
  try {
    key = key_of(sender_addr(meta));
  } catch (const std::invalid_argument& e) {
    log(log_level::warning,
        std::string{"mango: clock manager: a reply without sender: "}
          + e.what());
    return;
  }
  if (content.is_int() || content.is_float())
    schedules_.push_back(content.as_double());
  if (waiting_.erase(key) > 0 && waiting_.empty() && on_all_answered_) {
    auto f = std::move(on_all_answered_);
    on_all_answered_ = nullptr;
    f();
  }
}

void distributed_clock_manager::get_next_event(
  std::function<void(double)> done) {
  schedules_.clear();
  collect([this, done] {
    // Our own container too.
    await_idle(this, context()).then([this, done](caf::ok_atom) {
      auto now = clock().time();
      if (auto own = clock().next_activity())
        schedules_.push_back(*own);
      double next = now;
      if (!schedules_.empty())
        next = *std::min_element(schedules_.begin(), schedules_.end());
      if (next < now)
        next = now; // an old event: time stands still
      done(next);
    });
  });
}

void distributed_clock_manager::enqueue(job j) {
  jobs_.push_back(std::move(j));
  run_next();
}

void distributed_clock_manager::run_next() {
  if (busy_ || !online_ || jobs_.empty())
    return;
  busy_ = true;
  auto j = std::move(jobs_.front());
  jobs_.pop_front();
  j();
}

caf::behavior distributed_clock_manager::make_behavior() {
  auto finish = [this] {
    busy_ = false;
    run_next();
  };
  return agent_handler().or_else(
    [this](resume_atom, std::uint64_t round) {
      if (!online_ && round == round_)
        online_round();
    },
    [this, finish](distribute_atom) {
      auto rp = make_response_promise<double>();
      enqueue([this, rp, finish]() mutable {
        await_idle(this, context())
          .then([this, rp, finish](caf::ok_atom) mutable {
            broadcast(wire::value{clock().time()});
            get_next_event([rp, finish](double next) mutable {
              rp.deliver(next);
              finish();
            });
          });
      });
      return rp;
    },
    [this, finish](distribute_atom, double t) {
      auto rp = make_response_promise<double>();
      enqueue([this, rp, t, finish]() mutable {
        await_idle(this, context())
          .then([this, rp, t, finish](caf::ok_atom) mutable {
            broadcast(wire::value{t});
            rp.deliver(t);
            finish();
          });
      });
      return rp;
    },
    [this, finish](next_event_atom) {
      auto rp = make_response_promise<double>();
      enqueue([this, rp, finish]() mutable {
        get_next_event([rp, finish](double next) mutable {
          rp.deliver(next);
          finish();
        });
      });
      return rp;
    },
    [this, finish](caf::close_atom) {
      auto rp = make_response_promise<caf::ok_atom>();
      enqueue([this, rp, finish]() mutable {
        broadcast(wire::value{"stop"});
        rp.deliver(caf::ok_atom_v);
        finish();
      });
      return rp;
    });
}

namespace {

template <class... Ts>
caf::expected<double> ask_double(caf::actor_system& sys,
                                 const caf::actor& manager, Ts... xs) {
  caf::scoped_actor self{sys};
  caf::expected<double> result{caf::error{}};
  self->request(manager, caf::infinite, xs...)
    .receive([&](double x) { result = x; },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace

caf::expected<double> distribute_time(caf::actor_system& sys,
                                      const caf::actor& manager,
                                      std::optional<double> t) {
  if (t)
    return ask_double(sys, manager, distribute_atom_v, *t);
  return ask_double(sys, manager, distribute_atom_v);
}

caf::expected<double> get_next_event(caf::actor_system& sys,
                                     const caf::actor& manager) {
  return ask_double(sys, manager, next_event_atom_v);
}

caf::error stop_clocks(caf::actor_system& sys, const caf::actor& manager) {
  caf::scoped_actor self{sys};
  caf::error result;
  self->request(manager, caf::infinite, caf::close_atom_v)
    .receive([](caf::ok_atom) {},
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace mas::mango
