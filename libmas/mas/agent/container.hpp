#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "mas/agent/clock.hpp"
#include "mas/agent/registry.hpp"

namespace mas {

class agent;
class container;

/// What a container hands to each agent it spawns (the agent's constructor
/// takes it first, after CAF's `actor_config`).
struct agent_init {
  container* home = nullptr;
  std::string aid;
  std::string addr;
};

/// The protocol-independent core of an agent container: one CAF actor system
/// (owned), a registry of agents and the clock they share. The aiomas and
/// mango containers (adapters/) add the network protocol: addresses,
/// routing, connections.
///
/// Agents are CAF actors spawned in `system()`: classes derived from
/// `mas::agent` with `spawn<T>(args...)`, or any actor (typed ones
/// included) with `add_agent`.
class container {
public:
  /// How to build a container's actor system and clock.
  struct setup {
    /// Adjusts CAF's configuration before the system starts (libmas's
    /// message types and the middleman are loaded already).
    std::function<void(caf::actor_system_config&)> configure;
    /// Makes the clock (default: real-time).
    std::function<mas::clock(caf::actor_system&)> make_clock;
    /// Runs the system on `transport::local_loop`, with every other
    /// container of the process that does: one thread, one deterministic
    /// order of messages (aiomas's LocalQueue containers).
    bool local_loop = false;
  };

  explicit container(setup su);

  container(const container&) = delete;
  container& operator=(const container&) = delete;

  /// Stops the agents and the actor system (after `shutdown`).
  virtual ~container();

  caf::actor_system& system() noexcept {
    return *sys_;
  }

  /// The container's clock (aiomas `container.clock`).
  const mas::clock& clock() const noexcept {
    return *clock_;
  }

  const agent_registry& agents() const noexcept {
    return *agents_;
  }

  /// The registry, shared with helpers that may outlive a call (see
  /// `await_idle`).
  std::shared_ptr<const agent_registry> shared_agents() const noexcept {
    return agents_;
  }

  /// Counts work the agents did: agents call `note_activity` when they
  /// have handled a message, run a task or woken up — after the work, so
  /// whatever it sent is in its receivers' mailboxes by then (mango's agents
  /// do) — and `await_idle` can tell a quiet container from a busy one.
  void note_activity() noexcept {
    activity_->fetch_add(1); // seq_cst: ordered with the sends before it
  }

  /// The counter behind `note_activity`.
  const std::shared_ptr<std::atomic<std::uint64_t>>& activity() const noexcept {
    return activity_;
  }

  // -- agents -----------------------------------------------------------------

  /// Spawns an agent of class `T` (derived from `mas::agent`, constructed
  /// with `(caf::actor_config&, agent_init, xs...)`) and registers it under
  /// the next aid (aiomas: `Agent(container, ...)`).
  template <class T, class... Ts>
  caf::actor spawn(Ts&&... xs);

  /// Registers an actor as an agent, e.g. a typed actor whose handlers a
  /// `rpc::service` exposes by name (`expose_typed`). Returns its aid.
  std::string add_agent(std::string type_name, caf::actor handle,
                        std::shared_ptr<rpc::service> router);

  /// Unregisters an agent (the actor keeps running); false if unknown.
  bool remove_agent(const std::string& aid);

  /// The address of agent `aid` (aiomas: `tcp://host:port/<aid>`).
  virtual std::string address_of(const std::string& aid) const = 0;

  // -- stopping ---------------------------------------------------------------

  /// Asks whoever waits in `wait_for_stop` to stop the container (aiomas:
  /// `Manager.stop()` resolving `stop_received`). Safe from any thread.
  void request_stop();

  /// Waits until `request_stop` (or `timeout`); true if it was requested.
  bool wait_for_stop(std::optional<std::chrono::milliseconds> timeout
                     = std::nullopt);

  bool stop_requested() const noexcept {
    return stop_requested_.load();
  }

  /// Stops every agent. Protocol containers close their server and
  /// connections first. Idempotent.
  virtual void shutdown();

protected:
  /// The aid for the next agent (aiomas: its number of agents so far).
  virtual std::string next_aid();

  /// Called after an agent is registered / before it is unregistered.
  virtual void on_added(const agent_entry& entry);
  virtual void on_removed(const agent_entry& entry);

  agent_init reserve(std::string aid);

  /// Adds a spawned agent under the aid `reserve` gave it.
  /// @throws std::invalid_argument if the aid is taken.
  void register_agent(agent_entry entry);

private:
  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::optional<mas::clock> clock_;
  std::shared_ptr<agent_registry> agents_ = std::make_shared<agent_registry>();
  std::shared_ptr<std::atomic<std::uint64_t>> activity_
    = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::atomic<std::uint64_t> aid_counter_{0};
  std::mutex stop_mtx_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> shut_down_{false};
};

/// The router and type name of a spawned agent (defined with `mas::agent`).
std::shared_ptr<rpc::service> router_of(const caf::actor& agent_handle,
                                        std::string* type_name);

template <class T, class... Ts>
caf::actor container::spawn(Ts&&... xs) {
  static_assert(std::is_base_of_v<agent, T>,
                "container::spawn<T>: T must derive from mas::agent; "
                "register other actors with add_agent");
  auto init = reserve(next_aid());
  auto aid = init.aid;
  auto hdl = caf::actor_cast<caf::actor>(
    system().spawn<T>(std::move(init), std::forward<Ts>(xs)...));
  std::string type_name;
  auto router = router_of(hdl, &type_name);
  register_agent(
    agent_entry{std::move(aid), std::move(type_name), hdl, std::move(router)});
  return hdl;
}

} // namespace mas
