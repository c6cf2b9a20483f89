#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>
#include <caf/replies_to.hpp>

#include "mas/inspect.hpp"
#include "mas/rpc/call_context.hpp"
#include "mas/rpc/exception.hpp"
#include "mas/rpc/proxy.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/value.hpp"

namespace mas::rpc {

// -- typed actor methods ------------------------------------------------------

/// One handler of a typed actor to expose, see service::expose_typed: its
/// RPC name, the names of its wire parameters and the leading message
/// elements that select it in the actor's interface (usually one atom).
template <class... Prefix>
struct typed_method {
  std::string name;
  std::vector<std::string> param_names;
  std::tuple<Prefix...> prefix;
};

/// Names a typed actor's handler, e.g. `method("add", {"a", "b"},
/// caf::add_atom_v)` for `replies_to<add_atom, int, int>::with<int>`.
template <class... Prefix>
typed_method<Prefix...> method(std::string name,
                               std::vector<std::string> param_names,
                               Prefix... prefix) {
  return {std::move(name), std::move(param_names), {prefix...}};
}

// -- service ------------------------------------------------------------------

/// A node of an RPC service tree: exposed functions and sub-services, like
/// aiomas's `Service`/`ServiceDict` with its router. Calls address a function
/// by path: `"sub/func"`. Only exposed functions can be called.
///
/// Services are built before serving and then only read, so one tree can
/// serve many connections (and threads) at once.
class service : public std::enable_shared_from_this<service> {
public:
  /// The low-level form of an exposed function. It must call
  /// `ctx.reply`, `ctx.fail` or `ctx.defer` (or throw).
  using raw_handler = std::function<void(call_context& ctx, wire::array& args,
                                         wire::dict& kwargs)>;

  /// @param type_name names the service in "not exposed" errors, like the
  ///        Python class's `module.qualname`.
  explicit service(std::string type_name = "service");

  static std::shared_ptr<service> make(std::string type_name = "service") {
    return std::make_shared<service>(std::move(type_name));
  }

  // -- building the tree ------------------------------------------------------

  /// Exposes a C++ callable as `name`. Its parameters are converted from the
  /// call's positional args and kwargs (`param_names` names them, enabling
  /// kwargs); its result converts back (`void` gives None). A first
  /// parameter of type `call_context&` gets the call's context, e.g. to
  /// `defer()` the answer. Parameters of type `rpc::proxy` receive services
  /// the caller passed (bi-directional RPC).
  template <class F>
  service& expose(std::string name, F fun,
                  std::vector<std::string> param_names = {});

  /// Like `expose`, but each call runs on CAF's scheduler instead of the
  /// connection's I/O thread, so a handler that computes for long holds up
  /// neither this connection nor any other (aiomas: a coroutine that awaits
  /// an executor). The arguments convert on the connection first; `fun` may
  /// run concurrently for several calls and must be thread-safe. It cannot
  /// take `call_context&`. A handler that *blocks* (sleeps, waits on I/O)
  /// still occupies a scheduler thread: wait on an actor's timer instead,
  /// or expose an actor.
  template <class F>
  service& expose_async(std::string name, F fun,
                        std::vector<std::string> param_names = {});

  /// Exposes a low-level handler.
  service& expose_raw(std::string name, raw_handler fun);

  /// Exposes a CAF actor's handler: a call `name(args...)` sends
  /// `(xs..., args...)` as a request to `dest` (e.g. `xs` = an atom) and
  /// answers with its response. `Sig` is the handler's signature `R(Args...)`.
  /// @throws std::invalid_argument if there are more names than parameters.
  template <class Sig, class Handle, class... Prefix>
  service& expose_actor(std::string name, Handle dest,
                        std::vector<std::string> param_names, Prefix... prefix);

  /// Exposes a handler of a `caf::typed_actor` without restating its
  /// signature: the one entry of `dest`'s interface whose inputs start with
  /// the types of `prefix` (e.g. `caf::add_atom_v`). Its remaining inputs
  /// are the wire parameters, named by `param_names`; its outputs are the
  /// result: none (`reacts_to`) gives None, one converts with `to_value`,
  /// several give a tuple. Fails to compile if no entry or several match.
  /// Like expose_actor, the call is a request to `dest`: the connection
  /// serves other calls while the actor works.
  /// @throws std::invalid_argument if there are more names than parameters.
  template <class Handle, class... Prefix>
  service& expose_typed(std::string name, Handle dest,
                        std::vector<std::string> param_names, Prefix... prefix);

  /// Exposes several handlers of one typed actor, each named with
  /// rpc::method: `expose_typed(calc, method("add", {"a", "b"}, add_atom_v),
  /// method("neg", {"x"}, neg_atom_v))`. Handlers not listed stay private.
  template <class Handle, class... Prefix, class... Methods>
  service& expose_typed(Handle dest, typed_method<Prefix...> first,
                        Methods... more);

  /// Adds a sub-service (aiomas: a nested service / `router.add`).
  service& add(std::string name, std::shared_ptr<service> sub);

  /// Declares `name` as an attribute that exists but is not exposed: calls
  /// fail like aiomas's `"module.Class.name" is not exposed`.
  service& declare(std::string name);

  /// Adds a sub-service while the tree serves, like an entry of aiomas's
  /// `ServiceDict` (a container's agents come and go). Thread-safe, unlike
  /// the builders above; calls already resolved keep the service alive.
  /// @throws std::invalid_argument for a bad or taken name, or a `sub` that
  ///         already has a parent.
  void attach(std::string name, std::shared_ptr<service> sub);

  /// Removes a sub-service added with `attach` (no-op if absent).
  void detach(std::string_view name);

  // -- lookup -----------------------------------------------------------------

  /// The path from the root service (aiomas `Router.path`); `""` for a root.
  std::string path() const;

  /// The root of the tree this service belongs to.
  std::shared_ptr<const service> root() const;

  const std::string& type_name() const noexcept {
    return type_name_;
  }

  /// Result of resolving a path.
  struct resolution {
    const raw_handler* handler = nullptr;
    /// Keeps an attached sub-service (and so `handler`) alive while the
    /// call runs.
    std::shared_ptr<const service> owner;
    /// aiomas's failure text if `handler == nullptr`, e.g.
    /// `LookupError: Name "x" not found in "a/b"`.
    std::string error;
  };

  /// Resolves `path` like aiomas's `Router.resolve`.
  resolution resolve(std::string_view path) const;

  /// Resolves a sub-service path ("" = this service).
  std::shared_ptr<const service> find_service(std::string_view path) const;

private:
  struct entry {
    enum kind { function, sub_service, hidden } type;
    raw_handler fun;
    std::shared_ptr<service> sub;
  };

  service& insert(std::string name, entry e);

  std::shared_ptr<const service> find_attached(std::string_view name) const;

  std::string type_name_;
  std::map<std::string, entry, std::less<>> entries_;
  std::weak_ptr<service> parent_;
  std::string name_;
  /// Sub-services added by `attach`, looked up when `entries_` has no match.
  mutable std::shared_mutex attached_mtx_;
  std::map<std::string, std::shared_ptr<service>, std::less<>> attached_;
};

// -- implementation of the templates ------------------------------------------

namespace detail {

template <class F>
struct callable_traits : callable_traits<decltype(&F::operator())> {};

template <class R, class... Ts>
struct callable_traits<R (*)(Ts...)> {
  using result_type = R;
  using arg_types = std::tuple<Ts...>;
};

template <class R, class... Ts>
struct callable_traits<R(Ts...)> {
  using result_type = R;
  using arg_types = std::tuple<Ts...>;
};

template <class C, class R, class... Ts>
struct callable_traits<R (C::*)(Ts...) const> {
  using result_type = R;
  using arg_types = std::tuple<Ts...>;
};

template <class C, class R, class... Ts>
struct callable_traits<R (C::*)(Ts...)> {
  using result_type = R;
  using arg_types = std::tuple<Ts...>;
};

/// Whether a handler's first parameter is `call_context&`.
template <class Args>
struct takes_context : std::false_type {};

template <class... Ts>
struct takes_context<std::tuple<call_context&, Ts...>> : std::true_type {};

/// The number of wire parameters of a handler with parameter types `Args`.
template <class Args>
inline constexpr std::size_t arity_of
  = std::tuple_size_v<Args> - (takes_context<Args>::value ? 1 : 0);

/// Maps positional args and kwargs onto `n` parameters like Python does;
/// throws rpc::exception("TypeError", ...) with Python's texts.
std::vector<const wire::value*>
bind_arguments(std::string_view fun_name, std::size_t n,
               const std::vector<std::string>& names, const wire::array& args,
               const wire::dict& kwargs);

/// Converts one argument; `proxy` parameters bind to the call's connection.
template <class T>
T convert_argument(call_context& ctx, const wire::value& x) {
  if constexpr (std::is_same_v<T, proxy>)
    return ctx.make_proxy(x);
  else
    return wire::from_value<T>(x, ctx.types());
}

template <class T>
wire::value convert_result(const wire::type_registry& types, const T& x) {
  if constexpr (std::is_same_v<T, wire::value>)
    return x;
  else
    return wire::to_value(x, types);
}

template <class T>
wire::value convert_result(call_context& ctx, const T& x) {
  return convert_result(ctx.types(), x);
}

/// Converts all arguments into a tuple of the parameters' value types.
template <class Args, std::size_t... Is>
auto convert_all(call_context& ctx, const std::vector<const wire::value*>& xs,
                 std::index_sequence<Is...>) {
  return std::tuple<std::decay_t<std::tuple_element_t<Is, Args>>...>{
    convert_argument<std::decay_t<std::tuple_element_t<Is, Args>>>(ctx,
                                                                   *xs[Is])...};
}

template <class F, class Args, std::size_t... Is>
decltype(auto) invoke_with(F& fun, call_context& ctx,
                           const std::vector<const wire::value*>& xs,
                           std::index_sequence<Is...>) {
  if constexpr (takes_context<Args>::value) {
    return fun(
      ctx, convert_argument<std::decay_t<std::tuple_element_t<Is + 1, Args>>>(
             ctx, *xs[Is])...);
  } else {
    return fun(convert_argument<std::decay_t<std::tuple_element_t<Is, Args>>>(
      ctx, *xs[Is])...);
  }
}

template <class Args, std::size_t... Is, class... Prefix>
caf::message make_request(call_context& ctx,
                          const std::vector<const wire::value*>& xs,
                          std::index_sequence<Is...>, const Prefix&... prefix) {
  return caf::make_message(
    prefix..., convert_argument<std::decay_t<std::tuple_element_t<Is, Args>>>(
                 ctx, *xs[Is])...);
}

// -- typed actor interfaces ---------------------------------------------------

template <class... Ts>
using type_list = caf::detail::type_list<Ts...>;

/// Whether the input list `In` starts with the types `Prefix`; if so, `rest`
/// is a tuple of the remaining inputs.
template <class Prefix, class In>
struct strip_prefix : std::false_type {};

template <class... Is>
struct strip_prefix<type_list<>, type_list<Is...>> : std::true_type {
  using rest = std::tuple<Is...>;
};

template <class P, class... Ps, class... Is>
struct strip_prefix<type_list<P, Ps...>, type_list<P, Is...>>
  : strip_prefix<type_list<Ps...>, type_list<Is...>> {};

/// Matches one interface entry (`caf::typed_mpi`) against a prefix.
template <class Prefix, class Mpi>
struct match_mpi : std::false_type {};

template <class Prefix, class In, class Out>
struct match_mpi<Prefix, caf::typed_mpi<In, Out>> : strip_prefix<Prefix, In> {
  using outputs = Out;
};

/// The first matching entry (instantiates only the chosen base).
template <class Prefix, class... Mpis>
struct first_match {};

template <class Prefix, class Mpi, class... Mpis>
struct first_match<Prefix, Mpi, Mpis...>
  : std::conditional_t<match_mpi<Prefix, Mpi>::value, match_mpi<Prefix, Mpi>,
                       first_match<Prefix, Mpis...>> {};

template <class Prefix, class Signatures>
struct select_mpi;

template <class Prefix, class... Mpis>
struct select_mpi<Prefix, type_list<Mpis...>> : first_match<Prefix, Mpis...> {
  static constexpr std::size_t matches
    = (std::size_t{match_mpi<Prefix, Mpis>::value} + ... + 0);
};

/// The interface of a `caf::typed_actor` handle, else an empty list
/// (`caf::actor` has `signatures = none_t`).
template <class Signatures>
struct interface_of {
  using type = type_list<>;
  static constexpr bool typed = false;
};

template <class... Mpis>
struct interface_of<type_list<Mpis...>> {
  using type = type_list<Mpis...>;
  static constexpr bool typed = true;
};

template <class T, class = void>
struct handle_interface : interface_of<void> {};

template <class T>
struct handle_interface<T, std::void_t<typename T::signatures>>
  : interface_of<typename T::signatures> {};

/// Answers through `later` with the failure text of `err`.
void fail_with(const responder& later, const caf::error& err);

/// Sends `msg` to `dest` and answers the call with the response, whose
/// types are `Os` (none or `void`: None; several: a tuple).
template <class... Os>
void forward_request(call_context& ctx, const caf::actor& dest,
                     caf::message msg, caf::output_tuple<Os...>) {
  constexpr auto n = sizeof...(Os);
  if constexpr (n == 0 || (n == 1 && (std::is_void_v<Os> && ...))) {
    ctx.forward_to_actor<void>(dest, std::move(msg));
  } else if constexpr (n == 1) {
    ctx.forward_to_actor<Os...>(dest, std::move(msg));
  } else {
    auto later = ctx.defer();
    ctx.self()
      ->request(dest, caf::infinite, std::move(msg))
      .then(
        [later](Os&... xs) {
          try {
            later.deliver(wire::to_value(std::tie(xs...), later.types()));
          } catch (const std::exception& e) {
            later.fail("SerializationError", e.what());
          }
        },
        [later](caf::error& err) { fail_with(later, err); });
  }
}

/// Throws std::invalid_argument if `names` has more than `arity` entries.
void check_param_names(const std::string& fun_name, std::size_t arity,
                       const std::vector<std::string>& names);

/// The handler behind expose_actor and expose_typed: a request
/// `(prefix..., args...)` to `target` answered with outputs `Out`.
template <class Args, class Out, class... Prefix>
service::raw_handler actor_handler(std::string fun_name, caf::actor target,
                                   std::vector<std::string> names,
                                   Prefix... prefix) {
  constexpr auto arity = std::tuple_size_v<Args>;
  check_param_names(fun_name, arity, names);
  return [target = std::move(target), fun_name = std::move(fun_name),
          names = std::move(names),
          prefix...](call_context& ctx, wire::array& xs, wire::dict& kwargs) {
    auto bound = bind_arguments(fun_name, arity, names, xs, kwargs);
    auto msg = make_request<Args>(ctx, bound, std::make_index_sequence<arity>{},
                                  prefix...);
    forward_request(ctx, target, std::move(msg), Out{});
  };
}

} // namespace detail

template <class F>
service& service::expose(std::string name, F fun,
                         std::vector<std::string> param_names) {
  using traits = detail::callable_traits<std::decay_t<F>>;
  using args = typename traits::arg_types;
  using result = typename traits::result_type;
  auto fun_name = name;
  raw_handler handler
    = [fun = std::move(fun), fun_name, names = std::move(param_names)](
        call_context& ctx, wire::array& xs, wire::dict& kwargs) mutable {
        constexpr auto arity = detail::arity_of<args>;
        auto bound = detail::bind_arguments(fun_name, arity, names, xs, kwargs);
        auto seq = std::make_index_sequence<arity>{};
        if constexpr (std::is_void_v<result>) {
          detail::invoke_with<F, args>(fun, ctx, bound, seq);
          if (!ctx.answered())
            ctx.reply(wire::value{});
        } else {
          auto res = detail::invoke_with<F, args>(fun, ctx, bound, seq);
          if (!ctx.answered())
            ctx.reply(detail::convert_result(ctx, res));
        }
      };
  return expose_raw(std::move(name), std::move(handler));
}

template <class F>
service& service::expose_async(std::string name, F fun,
                               std::vector<std::string> param_names) {
  using traits = detail::callable_traits<std::decay_t<F>>;
  using args = typename traits::arg_types;
  using result = typename traits::result_type;
  static_assert(!detail::takes_context<args>::value,
                "expose_async: the handler runs away from the connection and "
                "cannot take call_context&; use expose for that");
  auto shared = std::make_shared<F>(std::move(fun));
  auto fun_name = name;
  raw_handler handler
    = [shared, fun_name, names = std::move(param_names)](
        call_context& ctx, wire::array& xs, wire::dict& kwargs) {
        constexpr auto arity = std::tuple_size_v<args>;
        auto bound = detail::bind_arguments(fun_name, arity, names, xs, kwargs);
        auto converted = detail::convert_all<args>(
          ctx, bound, std::make_index_sequence<arity>{});
        auto later = ctx.defer();
        ctx.self()->home_system().spawn(
          [shared, later,
           converted = std::move(converted)](caf::event_based_actor*) mutable {
            try {
              if constexpr (std::is_void_v<result>) {
                std::apply(*shared, std::move(converted));
                later.deliver(wire::value{});
              } else {
                later.deliver(detail::convert_result(
                  later.types(), std::apply(*shared, std::move(converted))));
              }
            } catch (const std::exception& e) {
              later.fail(exception_type_of(e), e.what());
            }
          });
      };
  return expose_raw(std::move(name), std::move(handler));
}

template <class Sig, class Handle, class... Prefix>
service& service::expose_actor(std::string name, Handle dest,
                               std::vector<std::string> param_names,
                               Prefix... prefix) {
  using traits = detail::callable_traits<Sig>;
  using args = typename traits::arg_types;
  using result = caf::output_tuple<typename traits::result_type>;
  auto handler = detail::actor_handler<args, result>(
    name, caf::actor_cast<caf::actor>(dest), std::move(param_names), prefix...);
  return expose_raw(std::move(name), std::move(handler));
}

template <class Handle, class... Prefix>
service& service::expose_typed(std::string name, Handle dest,
                               std::vector<std::string> param_names,
                               Prefix... prefix) {
  using interface = detail::handle_interface<Handle>;
  static_assert(interface::typed,
                "expose_typed needs a caf::typed_actor handle; expose a "
                "dynamically typed actor with expose_actor<R(Args...)>");
  using entry_type = detail::select_mpi<detail::type_list<Prefix...>,
                                        typename interface::type>;
  static_assert(!interface::typed || entry_type::matches != 0,
                "expose_typed: no handler in the typed actor's interface "
                "takes these leading arguments (check the atom)");
  static_assert(entry_type::matches < 2,
                "expose_typed: several handlers in the typed actor's "
                "interface take these leading arguments; add leading "
                "arguments that tell them apart or use expose_actor<Sig>");
  if constexpr (entry_type::matches == 1) {
    using args = typename entry_type::rest;
    using result = typename entry_type::outputs;
    auto handler = detail::actor_handler<args, result>(
      name, caf::actor_cast<caf::actor>(dest), std::move(param_names),
      prefix...);
    expose_raw(std::move(name), std::move(handler));
  }
  return *this;
}

template <class Handle, class... Prefix, class... Methods>
service& service::expose_typed(Handle dest, typed_method<Prefix...> first,
                               Methods... more) {
  std::apply(
    [&](auto&... xs) {
      expose_typed(std::move(first.name), dest, std::move(first.param_names),
                   xs...);
    },
    first.prefix);
  if constexpr (sizeof...(Methods) > 0)
    expose_typed(std::move(dest), std::move(more)...);
  return *this;
}

} // namespace mas::rpc
