#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>

#include "mas/agent/container.hpp"
#include "mas/mango/address.hpp"
#include "mas/mango/atoms.hpp"
#include "mas/mango/container.hpp"

namespace mas::mango {

// -- tasks
// ----------------------------------------------------------------------

/// A task an agent scheduled (mango `ScheduledTask`): cancel it, ask
/// whether it is done. Copies share the task.
class task_handle {
public:
  task_handle() = default;

  /// Cancels the task: it does not run again (mango `task.cancel()`).
  /// Thread-safe; cancelling twice or after it finished does nothing.
  void cancel() const;

  bool cancelled() const noexcept;

  /// Whether the task finished (ran for the last time or was cancelled).
  bool done() const noexcept;

  struct state;

  explicit task_handle(std::shared_ptr<state> st) : state_(std::move(st)) {
    // nop
  }

private:
  std::shared_ptr<state> state_;
};

/// `recurrency` of `schedule_recurrent_task`: the next time (clock seconds)
/// after `now`, or none to stop (mango takes a `dateutil.rrule`).
using recurrence = std::function<std::optional<double>(double now)>;

// -- agents
// ---------------------------------------------------------------------

/// A mango agent as a CAF event-based actor (mango `Agent`): it lives in a
/// mango container, receives messages in `handle_message(content, meta)`,
/// sends with `send_message`, and schedules tasks on the container's clock.
/// Everything runs in the agent's own context, one thing at a time, like a
/// mango agent on its event loop: override the hooks, never block.
///
/// Subclasses add messages of their own by overriding `make_behavior` and
/// combining with `agent_handler()`:
/// `return agent_handler().or_else([](my_atom) {...});`.
class agent : public caf::event_based_actor {
public:
  agent(caf::actor_config& cfg, agent_init init);

  ~agent() override;

  /// The class name (for logs). Override it in each agent class.
  const char* name() const override;

  // -- identity
  // -----------------------------------------------------------------

  const std::string& aid() const noexcept {
    return aid_;
  }

  /// mango `agent.addr`: `AgentAddress(container.addr, aid)`.
  agent_address addr() const {
    return context().agent_addr(aid_);
  }

  /// The container (mango `agent.context`).
  mango::container& context() const noexcept {
    return *home_;
  }

  const mas::clock& clock() const noexcept {
    return home_->clock();
  }

  /// mango `current_timestamp`: the clock's time.
  double current_timestamp() const {
    return clock().time();
  }

  // -- hooks
  // --------------------------------------------------------------------

  /// A message arrived (mango `handle_message`): `meta` carries
  /// `sender_id`, `sender_addr`, `receiver_id`, `network_protocol`,
  /// `priority` and what the sender added; for an ACL message its header
  /// fields. The default logs and drops it.
  virtual void handle_message(const wire::value& content,
                              const wire::dict& meta);

  /// Right after the agent was registered (its first step).
  virtual void on_register();

  /// The container started (mango `on_start`).
  virtual void on_start();

  /// Every container is started (mango `on_ready`).
  virtual void on_ready();

  /// The agent stops (container shutdown); it may still send messages.
  virtual void on_stop();

  // -- messages
  // -----------------------------------------------------------------

  /// mango `send_message(content, receiver_addr, **kwargs)` with this
  /// agent as the sender. Returns false when the message cannot go at all
  /// (see `container::send_message`); it never waits for a socket.
  bool send_message(wire::value content, const agent_address& receiver,
                    wire::dict kwargs = {});

  /// `send_message` for an ACL message (see `create_acl`).
  bool send_message(const acl_message& msg, const agent_address& receiver,
                    wire::dict kwargs = {});

  /// mango `schedule_instant_message`: sends from a task of its own, after
  /// what the agent does right now.
  task_handle schedule_instant_message(wire::value content,
                                       agent_address receiver,
                                       wire::dict kwargs = {});

  // -- tasks
  // ----------------------------------------------------------------------

  /// Runs `f` once, after the agent's current step.
  task_handle schedule_instant_task(std::function<void()> f);

  /// Runs `f` once the clock reaches `timestamp` (at once if it has).
  task_handle schedule_timestamp_task(std::function<void()> f,
                                      double timestamp);

  /// Runs `f` now and then every `delay` seconds on the clock, until
  /// cancelled. @throws std::invalid_argument unless `delay > 0`.
  task_handle schedule_periodic_task(std::function<void()> f, double delay);

  /// Runs `f` once `condition()` holds, checking now and then every
  /// `lookup_delay` seconds. @throws std::invalid_argument unless
  /// `lookup_delay > 0`.
  task_handle schedule_conditional_task(std::function<void()> f,
                                        std::function<bool()> condition,
                                        double lookup_delay = 0.1);

  /// Runs `f` at every time `recurrency` names, until it names none or the
  /// task is cancelled.
  task_handle schedule_recurrent_task(std::function<void()> f,
                                      recurrence recurrency);

  /// Tasks scheduled and not done.
  std::size_t pending_tasks() const noexcept {
    return tasks_.size();
  }

  /// mango `tasks_complete`: runs `f` once no task is pending (at once if
  /// none is). Periodic tasks never complete; cancel them first.
  void when_tasks_complete(std::function<void()> f);

  caf::behavior make_behavior() override;

protected:
  /// The agent's handlers; part of `make_behavior`.
  caf::message_handler agent_handler();

  void on_exit() override;

private:
  struct task;

  task_handle add_task(std::shared_ptr<task> t);
  void run_task(std::uint64_t id);
  void arm(const std::shared_ptr<task>& t, double at);
  void finish(std::uint64_t id);

  mango::container* home_;
  std::string aid_;
  std::uint64_t next_task_ = 1;
  std::map<std::uint64_t, std::shared_ptr<task>> tasks_;
  std::vector<std::function<void()>> complete_waiters_;
  bool stopped_ = false;
};

} // namespace mas::mango
