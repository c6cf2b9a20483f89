#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <typeindex>
#include <utility>
#include <vector>

#include "mas/mango/agent.hpp"

namespace mas::mango {

class role;
class role_agent;

/// What a role sees of its agent (mango `RoleContext`): the agent's API
/// (messages, tasks, clock, address), subscriptions to messages and events,
/// the data shared by the roles of one agent, and typed models.
///
/// Everything runs in the agent's context; roles never need locks.
class role_context {
public:
  /// `content, meta` of a message.
  using message_handler
    = std::function<void(const wire::value&, const wire::dict&)>;
  using message_condition
    = std::function<bool(const wire::value&, const wire::dict&)>;

  explicit role_context(role_agent& owner) : agent_(&owner) {
    // nop
  }

  // -- the agent ------------------------------------------------------------

  role_agent& agent() const noexcept {
    return *agent_;
  }

  const std::string& aid() const noexcept;

  agent_address addr() const;

  const mas::clock& clock() const noexcept;

  double current_timestamp() const;

  bool send_message(wire::value content, const agent_address& receiver,
                    wire::dict kwargs = {});

  bool send_message(const acl_message& msg, const agent_address& receiver,
                    wire::dict kwargs = {});

  task_handle schedule_instant_message(wire::value content,
                                       agent_address receiver,
                                       wire::dict kwargs = {});

  task_handle schedule_instant_task(std::function<void()> f);
  task_handle schedule_timestamp_task(std::function<void()> f, double t);
  task_handle schedule_periodic_task(std::function<void()> f, double delay);
  task_handle schedule_conditional_task(std::function<void()> f,
                                        std::function<bool()> condition,
                                        double lookup_delay = 0.1);
  task_handle schedule_recurrent_task(std::function<void()> f,
                                      recurrence recurrency);

  // -- roles ----------------------------------------------------------------

  /// mango `context.add_role(role)`.
  role& add_role(std::unique_ptr<role> r);

  /// mango `context.remove_role(role)`: its subscriptions go with it.
  void remove_role(role& r);

  /// mango `context.get_role(cls)`: the first role of type `T`, if any.
  template <class T>
  T* get_role() const;

  /// A deactivated role gets no messages or events until activated again
  /// (mango `deactivate`/`activate`).
  void deactivate(role& r);
  void activate(role& r);
  bool is_active(const role& r) const;

  // -- messages -------------------------------------------------------------

  /// mango `subscribe_message(role, method, message_condition, priority)`:
  /// `handler` gets every message `condition` accepts while `r` is active;
  /// lower priorities run first, equal ones in subscription order. (Every
  /// active role's `handle_message` runs too, after the subscriptions, as in
  /// mango when no subscription is a `handle_message`.)
  void subscribe_message(role& r, message_handler handler,
                         message_condition condition, int priority = 0);

  // -- events ---------------------------------------------------------------

  /// mango `subscribe_event(role, event_type, method)`: `handler(event,
  /// source)` for every event of type `E` an agent's role emits.
  template <class E>
  void subscribe_event(role& r, std::function<void(const E&, role*)> handler);

  /// mango `emit_event(event, event_source)`: runs the subscribers of `E`
  /// now, in subscription order.
  template <class E>
  void emit_event(const E& event, role* source = nullptr);

  // -- shared data and models -------------------------------------------------

  /// mango `context.data`: one dict all roles of the agent share.
  wire::dict& data() noexcept {
    return data_;
  }

  /// mango `get_or_create_model(cls)`: the agent's one `M`.
  template <class M>
  M& get_or_create_model();

  /// mango `update(model)`: stores `m` and calls `on_change` of every role
  /// that subscribed to `M` (`subscribe_model`).
  template <class M>
  void update(M m);

  /// mango `subscribe_model(role, cls)`: `on_change(model)` after every
  /// `update` of `M`.
  template <class M>
  void subscribe_model(role& r, std::function<void(const M&)> on_change);

  // -- used by role_agent ---------------------------------------------------

  void dispatch(const wire::value& content, const wire::dict& meta);

  const std::vector<std::unique_ptr<role>>& roles() const noexcept {
    return roles_;
  }

private:
  struct subscription {
    role* owner;
    message_handler handler;
    message_condition condition;
    int priority;
  };

  struct event_sub {
    role* owner;
    std::function<void(const void*, role*)> handler;
  };

  struct model_sub {
    role* owner;
    std::function<void(const void*)> on_change;
  };

  void emit_erased(std::type_index type, const void* event, role* source);
  void update_erased(std::type_index type, const void* model);

  role_agent* agent_;
  std::vector<std::unique_ptr<role>> roles_;
  std::set<const role*> inactive_;
  std::vector<subscription> subs_;
  std::map<std::type_index, std::vector<event_sub>> events_;
  std::map<std::type_index, std::shared_ptr<void>> models_;
  std::map<std::type_index, std::vector<model_sub>> model_subs_;
  wire::dict data_;
};

/// mango `Role`: one concern of an agent (a protocol, a sensor, a
/// negotiation strategy), composed with others in a `role_agent`. Override
/// the hooks; reach the agent through `context()`.
class role {
public:
  virtual ~role();

  /// After the role was added: subscribe here (mango `setup`).
  virtual void setup();

  virtual void on_start();
  virtual void on_ready();
  virtual void on_stop();

  /// Every message while the role is active (no-op by default).
  virtual void handle_message(const wire::value& content,
                              const wire::dict& meta);

  /// The role was deactivated (mango `on_deactivation`).
  virtual void on_deactivation();

  role_context& context() const {
    return *context_;
  }

private:
  friend class role_context;
  role_context* context_ = nullptr;
};

/// mango `RoleAgent`: an agent made of roles. Messages go to the roles'
/// subscriptions and `handle_message`s; lifecycle hooks reach every role.
class role_agent : public agent {
public:
  role_agent(caf::actor_config& cfg, agent_init init);

  ~role_agent() override;

  const char* name() const override {
    return "RoleAgent";
  }

  /// mango `add_role(role)`: the role's `setup` runs now, and `on_start` /
  /// `on_ready` too if the agent is that far already.
  role& add_role(std::unique_ptr<role> r) {
    return context_.add_role(std::move(r));
  }

  template <class T, class... Ts>
  T& add_role(Ts&&... xs) {
    return static_cast<T&>(
      add_role(std::make_unique<T>(std::forward<Ts>(xs)...)));
  }

  void remove_role(role& r) {
    context_.remove_role(r);
  }

  const std::vector<std::unique_ptr<role>>& roles() const noexcept {
    return context_.roles();
  }

  role_context& context_of_roles() noexcept {
    return context_;
  }

  void handle_message(const wire::value& content,
                      const wire::dict& meta) override;
  void on_start() override;
  void on_ready() override;
  void on_stop() override;

  bool started() const noexcept {
    return started_;
  }

  bool ready() const noexcept {
    return ready_;
  }

private:
  role_context context_;
  bool started_ = false;
  bool ready_ = false;
};

// -- templates
// ------------------------------------------------------------------

template <class T>
T* role_context::get_role() const {
  for (auto& r : roles_)
    if (auto p = dynamic_cast<T*>(r.get()))
      return p;
  return nullptr;
}

template <class E>
void role_context::subscribe_event(
  role& r, std::function<void(const E&, role*)> handler) {
  events_[std::type_index{typeid(E)}].push_back(
    event_sub{&r, [handler = std::move(handler)](const void* e, role* src) {
                handler(*static_cast<const E*>(e), src);
              }});
}

template <class E>
void role_context::emit_event(const E& event, role* source) {
  emit_erased(std::type_index{typeid(E)}, &event, source);
}

template <class M>
M& role_context::get_or_create_model() {
  auto& slot = models_[std::type_index{typeid(M)}];
  if (!slot)
    slot = std::make_shared<M>();
  return *static_cast<M*>(slot.get());
}

template <class M>
void role_context::update(M m) {
  get_or_create_model<M>() = std::move(m);
  update_erased(std::type_index{typeid(M)}, &get_or_create_model<M>());
}

template <class M>
void role_context::subscribe_model(role& r,
                                   std::function<void(const M&)> on_change) {
  model_subs_[std::type_index{typeid(M)}].push_back(
    model_sub{&r, [on_change = std::move(on_change)](const void* m) {
                on_change(*static_cast<const M*>(m));
              }});
}

} // namespace mas::mango
