#include "mas/mango/role.hpp"

#include <algorithm>

namespace mas::mango {

// -- role_context: the agent
// ----------------------------------------------------

const std::string& role_context::aid() const noexcept {
  return agent_->aid();
}

agent_address role_context::addr() const {
  return agent_->addr();
}

const mas::clock& role_context::clock() const noexcept {
  return agent_->clock();
}

double role_context::current_timestamp() const {
  return agent_->current_timestamp();
}

bool role_context::send_message(wire::value content,
                                const agent_address& receiver,
                                wire::dict kwargs) {
  return agent_->send_message(std::move(content), receiver, std::move(kwargs));
}

bool role_context::send_message(const acl_message& msg,
                                const agent_address& receiver,
                                wire::dict kwargs) {
  return agent_->send_message(msg, receiver, std::move(kwargs));
}

task_handle role_context::schedule_instant_message(wire::value content,
                                                   agent_address receiver,
                                                   wire::dict kwargs) {
  return agent_->schedule_instant_message(
    std::move(content), std::move(receiver), std::move(kwargs));
}

task_handle role_context::schedule_instant_task(std::function<void()> f) {
  return agent_->schedule_instant_task(std::move(f));
}

task_handle role_context::schedule_timestamp_task(std::function<void()> f,
                                                  double t) {
  return agent_->schedule_timestamp_task(std::move(f), t);
}

task_handle role_context::schedule_periodic_task(std::function<void()> f,
                                                 double delay) {
  return agent_->schedule_periodic_task(std::move(f), delay);
}

task_handle
role_context::schedule_conditional_task(std::function<void()> f,
                                        std::function<bool()> condition,
                                        double lookup_delay) {
  return agent_->schedule_conditional_task(std::move(f), std::move(condition),
                                           lookup_delay);
}

task_handle role_context::schedule_recurrent_task(std::function<void()> f,
                                                  recurrence recurrency) {
  return agent_->schedule_recurrent_task(std::move(f), std::move(recurrency));
}

// -- role_context: roles
// --------------------------------------------------------

role& role_context::add_role(std::unique_ptr<role> r) {
  auto& ref = *r;
  ref.context_ = this;
  roles_.push_back(std::move(r));
  ref.setup();
  // mango `catch_up_lifecycle`.
  if (agent_->started())
    ref.on_start();
  if (agent_->ready())
    ref.on_ready();
  return ref;
}

void role_context::remove_role(role& r) {
  auto owned = [&](auto& x) { return x.owner == &r; };
  subs_.erase(std::remove_if(subs_.begin(), subs_.end(), owned), subs_.end());
  for (auto& [type, xs] : events_)
    xs.erase(std::remove_if(xs.begin(), xs.end(), owned), xs.end());
  for (auto& [type, xs] : model_subs_)
    xs.erase(std::remove_if(xs.begin(), xs.end(), owned), xs.end());
  inactive_.erase(&r);
  roles_.erase(std::remove_if(roles_.begin(), roles_.end(),
                              [&](auto& p) { return p.get() == &r; }),
               roles_.end());
}

void role_context::deactivate(role& r) {
  if (inactive_.insert(&r).second)
    r.on_deactivation();
}

void role_context::activate(role& r) {
  inactive_.erase(&r);
}

bool role_context::is_active(const role& r) const {
  return inactive_.count(&r) == 0;
}

// -- role_context: messages, events, models
// -------------------------------------

void role_context::subscribe_message(role& r, message_handler handler,
                                     message_condition condition,
                                     int priority) {
  // After every subscription of the same or a lower priority.
  auto pos = std::find_if(subs_.begin(), subs_.end(),
                          [&](auto& s) { return priority < s.priority; });
  subs_.insert(
    pos, subscription{&r, std::move(handler), std::move(condition), priority});
}

void role_context::dispatch(const wire::value& content,
                            const wire::dict& meta) {
  // Copies: a handler may subscribe or remove roles meanwhile.
  auto subs = subs_;
  for (auto& s : subs)
    if (is_active(*s.owner) && (!s.condition || s.condition(content, meta)))
      s.handler(content, meta);
  std::vector<role*> current;
  for (auto& r : roles_)
    current.push_back(r.get());
  for (auto* r : current)
    if (is_active(*r))
      r->handle_message(content, meta);
}

void role_context::emit_erased(std::type_index type, const void* event,
                               role* source) {
  auto i = events_.find(type);
  if (i == events_.end())
    return; // mango: no subscriber, nothing happens
  auto subs = i->second;
  for (auto& s : subs)
    if (is_active(*s.owner))
      s.handler(event, source);
}

void role_context::update_erased(std::type_index type, const void* model) {
  auto i = model_subs_.find(type);
  if (i == model_subs_.end())
    return;
  auto subs = i->second;
  for (auto& s : subs)
    s.on_change(model);
}

// -- role
// -------------------------------------------------------------------------

role::~role() = default;

void role::setup() {
  // nop
}

void role::on_start() {
  // nop
}

void role::on_ready() {
  // nop
}

void role::on_stop() {
  // nop
}

void role::handle_message(const wire::value&, const wire::dict&) {
  // nop
}

void role::on_deactivation() {
  // nop
}

// -- role_agent
// -----------------------------------------------------------------

role_agent::role_agent(caf::actor_config& cfg, agent_init init)
  : agent(cfg, std::move(init)), context_(*this) {
  // nop
}

role_agent::~role_agent() = default;

void role_agent::handle_message(const wire::value& content,
                                const wire::dict& meta) {
  context_.dispatch(content, meta);
}

void role_agent::on_start() {
  started_ = true;
  for (auto& r : context_.roles())
    r->on_start();
}

void role_agent::on_ready() {
  ready_ = true;
  for (auto& r : context_.roles())
    r->on_ready();
}

void role_agent::on_stop() {
  for (auto& r : context_.roles())
    r->on_stop();
}

} // namespace mas::mango
