#pragma once

#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>

#include "mas/agent/container.hpp"
#include "mas/atoms.hpp"
#include "mas/channel/request_handler.hpp"
#include "mas/rpc/call_context.hpp"
#include "mas/rpc/exception.hpp"
#include "mas/rpc/service.hpp"

namespace mas {

/// One exposed call, converted on its connection, to run in the agent's
/// own context. Its answer is the response to the connection (one message
/// back per call); `deferred` when the method answers through a responder.
struct agent_call {
  std::function<channel::answer()> run;
};

} // namespace mas

// Calls and answers travel between local actors only.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mas::agent_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mas::channel::answer)

namespace mas {

/// An agent: a CAF event-based actor that lives in a container, knows its
/// aid, address and the container's clock, and exposes methods by name
/// (aiomas `Agent` with `@expose`).
///
/// Exposed methods run in the agent's own context, one at a time, like an
/// aiomas agent's methods on its event loop; their arguments convert on the
/// connection first. A method answers now by returning its result, or later
/// by taking an `rpc::responder` as its first parameter and delivering
/// through it (e.g. after sleeping on the clock).
///
/// Subclasses add messages of their own by overriding `make_behavior` and
/// combining with `agent_handler()`:
/// `return agent_handler().or_else([](my_atom) {...});`.
class agent : public caf::event_based_actor {
public:
  agent(caf::actor_config& cfg, agent_init init);

  ~agent() override;

  /// The class name (aiomas: `agent.__class__.__name__`, what
  /// `validate_aid` answers). Override it in each agent class.
  const char* name() const override;

  /// The id in the container.
  const std::string& aid() const noexcept {
    return aid_;
  }

  /// The agent's address, e.g. `tcp://127.0.0.1:5555/0`.
  const std::string& addr() const noexcept {
    return addr_;
  }

  /// The container's clock.
  const mas::clock& clock() const noexcept {
    return home_->clock();
  }

  /// aiomas's `str(agent)`: `Callee('tcp://127.0.0.1:5555/0')`.
  std::string to_string() const;

  /// The agent's exposed methods; passed as a call argument it travels as
  /// the agent (aiomas: path `agents/<aid>`), so the peer can call back.
  const std::shared_ptr<rpc::service>& router() const noexcept {
    return router_;
  }

  caf::behavior make_behavior() override;

protected:
  /// Exposes `fun` as `name` (call it in the constructor: once the agent
  /// runs, its router serves connections and no longer changes; later
  /// calls throw std::logic_error). Parameters convert from the call's args and
  /// kwargs (`param_names` names them); `rpc::proxy` parameters receive
  /// agents or services the caller passed. A first parameter of type
  /// `rpc::responder` makes the answer deferred: `fun` must deliver through
  /// it (its return value is ignored). Exceptions fail the call like
  /// Python's (see rpc::make_dispatcher).
  template <class F>
  void expose(std::string name, F fun,
              std::vector<std::string> param_names = {});

  /// Exposes `fun(responder, args, kwargs)` as `name` with no conversion,
  /// e.g. for `*args, **kwargs` methods.
  void expose_raw(
    std::string name,
    std::function<void(rpc::responder, wire::array&, wire::dict&)> fun);

  /// The handler of exposed calls; part of `make_behavior`.
  caf::message_handler agent_handler();

  container& home() const noexcept {
    return *home_;
  }

private:
  /// Forwards a converted call to this agent (a request, so a call to an
  /// agent that is gone fails instead of waiting).
  static void
  dispatch(rpc::call_context& ctx, const caf::weak_actor_ptr& me,
           std::function<channel::answer(const rpc::responder&)> job);

  /// Throws once the agent runs (its router is read concurrently then).
  void check_not_serving(const std::string& name) const;

  container* home_;
  bool serving_ = false;
  std::string aid_;
  std::string addr_;
  std::shared_ptr<rpc::service> router_;
};

/// The aid of an agent spawned with `container::spawn` (a `mas::agent`).
std::string aid_of(const caf::actor& agent_handle);

// -- implementation of the templates ------------------------------------------

namespace detail {

template <class Args>
struct takes_responder : std::false_type {};

template <class T, class... Ts>
struct takes_responder<std::tuple<T, Ts...>>
  : std::is_same<std::decay_t<T>, rpc::responder> {};

template <class Args>
struct drop_first {
  using type = Args;
};

template <class T, class... Ts>
struct drop_first<std::tuple<T, Ts...>> {
  using type = std::tuple<Ts...>;
};

} // namespace detail

template <class F>
void agent::expose(std::string name, F fun,
                   std::vector<std::string> param_names) {
  using traits = rpc::detail::callable_traits<std::decay_t<F>>;
  using all_args = typename traits::arg_types;
  using result = typename traits::result_type;
  constexpr bool deferred = detail::takes_responder<all_args>::value;
  using args
    = std::conditional_t<deferred, typename detail::drop_first<all_args>::type,
                         all_args>;
  constexpr auto arity = std::tuple_size_v<args>;
  rpc::detail::check_param_names(name, arity, param_names);
  check_not_serving(name);
  auto shared = std::make_shared<F>(std::move(fun));
  auto me
    = ctrl() != nullptr ? caf::weak_actor_ptr{ctrl()} : caf::weak_actor_ptr{};
  auto fun_name = name;
  router_->expose_raw(
    std::move(name),
    [shared, me, fun_name, names = std::move(param_names)](
      rpc::call_context& ctx, wire::array& xs, wire::dict& kwargs) {
      constexpr auto n = std::tuple_size_v<args>;
      auto bound = rpc::detail::bind_arguments(fun_name, n, names, xs, kwargs);
      auto converted = rpc::detail::convert_all<args>(
        ctx, bound, std::make_index_sequence<n>{});
      dispatch(
        ctx, me,
        [shared, converted = std::move(converted)](
          const rpc::responder& later) mutable -> channel::answer {
          if constexpr (deferred) {
            std::apply([&](auto&... ys) { (*shared)(later, std::move(ys)...); },
                       converted);
            return channel::answer::deferred();
          } else if constexpr (std::is_void_v<result>) {
            std::apply(*shared, std::move(converted));
            return channel::answer::result(wire::value{});
          } else {
            auto res = std::apply(*shared, std::move(converted));
            try {
              return channel::answer::result(
                rpc::detail::convert_result(later.types(), res));
            } catch (const std::exception& e) {
              return channel::answer::failure("SerializationError", e.what());
            }
          }
        });
    });
}

} // namespace mas
