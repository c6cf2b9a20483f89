#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>

#include "mas/rpc/call_context.hpp"
#include "mas/rpc/proxy.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/value.hpp"

namespace mas::rpc {

// -- exceptions handlers may throw --------------------------------------------

/// Fails the call with a Python exception type and message, e.g.
/// `throw rpc::exception{"ValueError", "\"spam\" is not a number"}`; the
/// caller sees `ValueError: "spam" is not a number`.
class exception : public std::runtime_error {
public:
  exception(std::string type, const std::string& message)
    : std::runtime_error(message), type_(std::move(type)) {
    // nop
  }

  const std::string& type() const noexcept {
    return type_;
  }

private:
  std::string type_;
};

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

  /// Exposes a low-level handler.
  service& expose_raw(std::string name, raw_handler fun);

  /// Exposes a CAF actor's handler: a call `name(args...)` sends
  /// `(xs..., args...)` as a request to `dest` (e.g. `xs` = an atom) and
  /// answers with its response. `Sig` is the handler's signature `R(Args...)`.
  template <class Sig, class Handle, class... Prefix>
  service& expose_actor(std::string name, Handle dest,
                        std::vector<std::string> param_names, Prefix... prefix);

  /// Adds a sub-service (aiomas: a nested service / `router.add`).
  service& add(std::string name, std::shared_ptr<service> sub);

  /// Declares `name` as an attribute that exists but is not exposed: calls
  /// fail like aiomas's `"module.Class.name" is not exposed`.
  service& declare(std::string name);

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

  std::string type_name_;
  std::map<std::string, entry, std::less<>> entries_;
  std::weak_ptr<service> parent_;
  std::string name_;
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
wire::value convert_result(call_context& ctx, const T& x) {
  if constexpr (std::is_same_v<T, wire::value>)
    return x;
  else
    return wire::to_value(x, ctx.types());
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

template <class Sig, class Handle, class... Prefix>
service& service::expose_actor(std::string name, Handle dest,
                               std::vector<std::string> param_names,
                               Prefix... prefix) {
  using traits = detail::callable_traits<Sig>;
  using args = typename traits::arg_types;
  using result = typename traits::result_type;
  auto fun_name = name;
  auto target = caf::actor_cast<caf::actor>(dest);
  raw_handler handler
    = [target, fun_name, names = std::move(param_names),
       prefix...](call_context& ctx, wire::array& xs, wire::dict& kwargs) {
        constexpr auto arity = std::tuple_size_v<args>;
        auto bound = detail::bind_arguments(fun_name, arity, names, xs, kwargs);
        auto msg = detail::make_request<args>(
          ctx, bound, std::make_index_sequence<arity>{}, prefix...);
        ctx.forward_to_actor<result>(target, std::move(msg));
      };
  return expose_raw(std::move(name), std::move(handler));
}

} // namespace mas::rpc
