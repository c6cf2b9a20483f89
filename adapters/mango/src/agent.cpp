#include "mas/mango/agent.hpp"

#include <atomic>
#include <mutex>
#include <stdexcept>

#include <caf/send.hpp>

#include "mas/log.hpp"
#include "mas/wire/convert.hpp"

namespace mas::mango {

// -- task handles -------------------------------------------------------------

struct task_handle::state {
  std::atomic<bool> cancelled{false};
  std::atomic<bool> done{false};
  std::mutex mtx;
  timer_handle timer;
  /// The agent, told when the task is cancelled (so it can count it done).
  caf::weak_actor_ptr owner;
  std::uint64_t id = 0;
};

void task_handle::cancel() const {
  if (!state_ || state_->done || state_->cancelled.exchange(true))
    return;
  timer_handle timer;
  {
    std::lock_guard guard{state_->mtx};
    timer = state_->timer;
  }
  timer.cancel();
  if (auto owner = caf::actor_cast<caf::actor>(state_->owner))
    caf::anon_send(owner, task_atom_v, state_->id);
}

bool task_handle::cancelled() const noexcept {
  return state_ && state_->cancelled;
}

bool task_handle::done() const noexcept {
  return state_ && state_->done;
}

// -- tasks
// ----------------------------------------------------------------------

struct agent::task {
  enum class kind { instant, timestamp, periodic, conditional, recurrent };
  kind what;
  std::function<void()> f;
  std::function<bool()> condition;
  recurrence next;
  double delay = 0;
  std::shared_ptr<task_handle::state> st;
};

// -- agents -------------------------------------------------------------------

agent::agent(caf::actor_config& cfg, agent_init init)
  : caf::event_based_actor(cfg),
    home_(dynamic_cast<mango::container*>(init.home)),
    aid_(std::move(init.aid)) {
  if (home_ == nullptr)
    throw std::invalid_argument("a mango agent needs a mango container");
}

agent::~agent() = default;

const char* agent::name() const {
  return "Agent";
}

void agent::handle_message(const wire::value& content, const wire::dict&) {
  log(log_level::warning, "mango: agent " + aid_ + " (" + name()
                            + ") does not handle messages; dropped "
                            + wire::to_string(content));
}

void agent::on_register() {
  // nop
}

void agent::on_start() {
  // nop
}

void agent::on_ready() {
  // nop
}

void agent::on_stop() {
  // nop
}

// -- messages -----------------------------------------------------------------

bool agent::send_message(wire::value content, const agent_address& receiver,
                         wire::dict kwargs) {
  return home_->send_message(std::move(content), receiver, aid_,
                             std::move(kwargs));
}

bool agent::send_message(const acl_message& msg, const agent_address& receiver,
                         wire::dict kwargs) {
  return home_->send_message(msg, receiver, aid_, std::move(kwargs));
}

task_handle agent::schedule_instant_message(wire::value content,
                                            agent_address receiver,
                                            wire::dict kwargs) {
  return schedule_instant_task([this, content = std::move(content),
                                receiver = std::move(receiver),
                                kwargs = std::move(kwargs)]() mutable {
    send_message(std::move(content), receiver, std::move(kwargs));
  });
}

// -- tasks
// ----------------------------------------------------------------------

task_handle agent::add_task(std::shared_ptr<task> t) {
  auto id = next_task_++;
  t->st = std::make_shared<task_handle::state>();
  t->st->id = id;
  t->st->owner = ctrl();
  tasks_.emplace(id, t);
  return task_handle{t->st};
}

void agent::arm(const std::shared_ptr<task>& t, double at) {
  auto id = t->st->id;
  if (at > clock().time()) {
    try {
      auto timer = clock().call_at(this, at, [this, id] { run_task(id); });
      std::lock_guard guard{t->st->mtx};
      t->st->timer = timer;
      return;
    } catch (const std::invalid_argument&) {
      // Due by now (a real-time clock moved on): run it at once.
    }
  }
  send(this, task_atom_v, id);
}

void agent::finish(std::uint64_t id) {
  auto i = tasks_.find(id);
  if (i == tasks_.end())
    return;
  i->second->st->done = true;
  tasks_.erase(i);
  if (tasks_.empty() && !complete_waiters_.empty()) {
    auto waiters = std::move(complete_waiters_);
    complete_waiters_.clear();
    for (auto& f : waiters)
      f();
  }
}

void agent::run_task(std::uint64_t id) {
  auto i = tasks_.find(id);
  if (i == tasks_.end())
    return; // done already (a cancel's notice after its last run)
  auto t = i->second;
  if (t->st->cancelled) {
    finish(id);
    return;
  }
  // Counted after the work (see container::note_activity).
  struct noter {
    mas::container* home;
    ~noter() {
      home->note_activity();
    }
  } note{home_};
  try {
    switch (t->what) {
      case task::kind::instant:
      case task::kind::timestamp:
        t->f();
        finish(id);
        return;
      case task::kind::periodic:
        t->f();
        if (!t->st->cancelled && !stopped_)
          arm(t, clock().time() + t->delay);
        else
          finish(id);
        return;
      case task::kind::conditional:
        if (t->condition()) {
          t->f();
          finish(id);
        } else {
          arm(t, clock().time() + t->delay);
        }
        return;
      case task::kind::recurrent: {
        t->f();
        auto next = t->next(clock().time());
        if (next && !t->st->cancelled && !stopped_)
          arm(t, *next);
        else
          finish(id);
        return;
      }
    }
  } catch (const std::exception& e) {
    log(log_level::error,
        "mango: a task of agent " + aid_ + " failed: " + e.what());
    finish(id);
  }
}

task_handle agent::schedule_instant_task(std::function<void()> f) {
  auto t = std::make_shared<task>();
  t->what = task::kind::instant;
  t->f = std::move(f);
  auto hdl = add_task(t);
  send(this, task_atom_v, t->st->id);
  return hdl;
}

task_handle agent::schedule_timestamp_task(std::function<void()> f,
                                           double timestamp) {
  auto t = std::make_shared<task>();
  t->what = task::kind::timestamp;
  t->f = std::move(f);
  auto hdl = add_task(t);
  arm(t, timestamp);
  return hdl;
}

task_handle agent::schedule_periodic_task(std::function<void()> f,
                                          double delay) {
  if (!(delay > 0))
    throw std::invalid_argument("delay must be > 0 but is "
                                + wire::to_string(wire::value{delay}));
  auto t = std::make_shared<task>();
  t->what = task::kind::periodic;
  t->f = std::move(f);
  t->delay = delay;
  auto hdl = add_task(t);
  send(this, task_atom_v, t->st->id);
  return hdl;
}

task_handle agent::schedule_conditional_task(std::function<void()> f,
                                             std::function<bool()> condition,
                                             double lookup_delay) {
  if (!(lookup_delay > 0))
    throw std::invalid_argument("lookup_delay must be > 0 but is "
                                + wire::to_string(wire::value{lookup_delay}));
  auto t = std::make_shared<task>();
  t->what = task::kind::conditional;
  t->f = std::move(f);
  t->condition = std::move(condition);
  t->delay = lookup_delay;
  auto hdl = add_task(t);
  send(this, task_atom_v, t->st->id);
  return hdl;
}

task_handle agent::schedule_recurrent_task(std::function<void()> f,
                                           recurrence recurrency) {
  auto t = std::make_shared<task>();
  t->what = task::kind::recurrent;
  t->f = std::move(f);
  t->next = std::move(recurrency);
  auto hdl = add_task(t);
  if (auto first = t->next(clock().time()))
    arm(t, *first);
  else
    finish(t->st->id);
  return hdl;
}

void agent::when_tasks_complete(std::function<void()> f) {
  if (tasks_.empty()) {
    f();
    return;
  }
  complete_waiters_.push_back(std::move(f));
}

// -- behavior -----------------------------------------------------------------

caf::message_handler agent::agent_handler() {
  return {
    [this](deliver_atom, wire::value& content, wire::dict& meta) {
      meta.insert_or_assign("priority", 0);
      try {
        handle_message(content, meta);
      } catch (const std::exception& e) {
        // mango's inbox task dies here and the agent goes deaf; libmas
        // logs and goes on with the next message.
        log(log_level::error, "mango: agent " + aid_
                                + " failed to handle a message: " + e.what());
      }
      home_->note_activity();
    },
    [this](lifecycle_atom, int stage) {
      try {
        if (stage == 1)
          on_start();
        else
          on_ready();
      } catch (const std::exception& e) {
        log(log_level::error, "mango: agent " + aid_ + " failed in "
                                + (stage == 1 ? "on_start" : "on_ready") + ": "
                                + e.what());
      }
      home_->note_activity();
    },
    [this](task_atom, std::uint64_t id) { run_task(id); },
    [](idle_atom) { return caf::ok_atom_v; },
  };
}

caf::behavior agent::make_behavior() {
  try {
    on_register();
  } catch (const std::exception& e) {
    log(log_level::error,
        "mango: agent " + aid_ + " failed in on_register: " + e.what());
  }
  return agent_handler();
}

void agent::on_exit() {
  if (stopped_)
    return;
  stopped_ = true;
  try {
    on_stop();
  } catch (const std::exception& e) {
    log(log_level::error,
        "mango: agent " + aid_ + " failed in on_stop: " + e.what());
  }
  for (auto& [id, t] : tasks_) {
    t->st->cancelled = true;
    t->st->done = true;
    std::lock_guard guard{t->st->mtx};
    t->st->timer.cancel();
  }
  tasks_.clear();
  complete_waiters_.clear();
}

} // namespace mas::mango
