#include "mas/agent/agent.hpp"

#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "mas/errc.hpp"

namespace mas {

agent::agent(caf::actor_config& cfg, agent_init init)
  : caf::event_based_actor(cfg), home_(init.home), aid_(std::move(init.aid)),
    addr_(std::move(init.addr)), router_(rpc::service::make("Agent")) {
  // nop
}

agent::~agent() = default;

const char* agent::name() const {
  return "Agent";
}

std::string agent::to_string() const {
  return std::string{name()} + "('" + addr_ + "')";
}

void agent::check_not_serving(const std::string& name) const {
  if (serving_)
    throw std::logic_error("cannot expose \"" + name + "\": agent "
                           + to_string()
                           + " runs already (expose in its constructor)");
}

void agent::expose_raw(
  std::string name,
  std::function<void(rpc::responder, wire::array&, wire::dict&)> fun) {
  check_not_serving(name);
  auto shared = std::make_shared<decltype(fun)>(std::move(fun));
  caf::weak_actor_ptr me{ctrl()};
  router_->expose_raw(std::move(name), [shared, me](rpc::call_context& ctx,
                                                    wire::array& xs,
                                                    wire::dict& kwargs) {
    dispatch(ctx, me,
             [shared, xs = std::move(xs),
              kwargs = std::move(kwargs)](const rpc::responder& later) mutable {
               (*shared)(later, xs, kwargs);
               return channel::answer::deferred();
             });
  });
}

void agent::dispatch(
  rpc::call_context& ctx, const caf::weak_actor_ptr& me,
  std::function<channel::answer(const rpc::responder&)> job) {
  auto dest = caf::actor_cast<caf::actor>(me);
  if (!dest)
    throw rpc::exception("RuntimeError", "the agent is gone");
  auto later = ctx.defer();
  agent_call call{[later, job = std::move(job)]() -> channel::answer {
    try {
      return job(later);
    } catch (const std::exception& e) {
      return channel::answer::failure(rpc::exception_type_of(e), e.what());
    }
  }};
  // The agent's answer is the response: one message back to the connection.
  ctx.self()
    ->request(dest, caf::infinite, invoke_atom_v, std::move(call))
    .then(
      [later](channel::answer& ans) {
        using kind = channel::answer::kind;
        switch (ans.what) {
          case kind::result:
            later.deliver(std::move(ans.value));
            break;
          case kind::failure:
            later.fail(ans.type, ans.message);
            break;
          case kind::deferred:
            break; // the method answers through `later`
        }
      },
      [later](caf::error& err) {
        later.fail("ConnectionError",
                   "the agent is gone (" + error_text(err) + ")");
      });
}

caf::message_handler agent::agent_handler() {
  serving_ = true;
  return {
    [](invoke_atom, agent_call& call) -> channel::answer { return call.run(); },
  };
}

caf::behavior agent::make_behavior() {
  return agent_handler();
}

std::string aid_of(const caf::actor& agent_handle) {
  return static_cast<agent*>(
           caf::actor_cast<caf::abstract_actor*>(agent_handle))
    ->aid();
}

std::shared_ptr<rpc::service> router_of(const caf::actor& agent_handle,
                                        std::string* type_name) {
  auto ptr
    = static_cast<agent*>(caf::actor_cast<caf::abstract_actor*>(agent_handle));
  if (type_name != nullptr)
    *type_name = ptr->name();
  return ptr->router();
}

} // namespace mas
