#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/duration.hpp>
#include <caf/error.hpp>

#include "mas/atoms.hpp"
#include "mas/errc.hpp"
#include "mas/interfaces.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/type_registry.hpp"
#include "mas/wire/value.hpp"

namespace mas::rpc {

class service;

/// The response of `proxy::call<R>`: like CAF's response handle, but the
/// result arrives converted to `R` (a value that does not convert fails with
/// `errc::type_mismatch`).
template <class R, class Handle>
class typed_response {
public:
  typed_response(Handle hdl, std::shared_ptr<const wire::type_registry> types)
    : hdl_(std::move(hdl)), types_(std::move(types)) {
    // nop
  }

  /// Event-based actors: continues with `f(R)` or `g(caf::error&)`.
  template <class F, class G>
  void then(F f, G g) {
    hdl_.then(convert(std::move(f), g), g);
  }

  /// Event-based actors: like `then`, but suspends other messages.
  template <class F, class G>
  void await(F f, G g) {
    hdl_.await(convert(std::move(f), g), g);
  }

  /// Blocking actors (`caf::scoped_actor`): waits for the result.
  template <class F, class G>
  void receive(F f, G g) {
    hdl_.receive(convert(std::move(f), g), g);
  }

private:
  template <class F, class G>
  auto convert(F f, G g) {
    return [f = std::move(f), g, types = types_](wire::value& x) mutable {
      std::optional<R> result;
      try {
        result.emplace(wire::from_value<R>(x, *types));
      } catch (const std::exception& e) {
        caf::error err = make_error(errc::type_mismatch,
                                    std::string{"unexpected result "}
                                      + wire::to_string(x) + ": " + e.what());
        g(err);
        return;
      }
      f(*result); // an lvalue: handlers may take R, R& or const R&
    };
  }

  Handle hdl_;
  std::shared_ptr<const wire::type_registry> types_;
};

/// A remote service (or sub-service) on one connection, like aiomas's
/// `Proxy`: `remote["addition"]` is the sub-service, and
/// `remote.call(self, "addition/add", 3, 4)` sends the RPC and returns CAF's
/// response handle (result: `wire::value`); `remote.call<int>(self, ...)`
/// converts the result. Calls wait forever by default, as in aiomas;
/// `remote.with_timeout(5s)` bounds them (`caf::sec::request_timeout`).
class proxy {
public:
  proxy() = default;

  /// @param types the connection's extension types: arguments and results
  ///        convert with them (described structs travel as aiomas's
  ///        `@serializable` objects).
  proxy(connection conn, std::string path, std::int64_t proxy_type_id,
        std::shared_ptr<const wire::type_registry> types = nullptr)
    : conn_(std::move(conn)), path_(std::move(path)),
      proxy_type_id_(proxy_type_id), types_(std::move(types)) {
    if (!types_)
      types_ = std::make_shared<const wire::type_registry>();
  }

  /// The proxy of a sub-service or function: `path/name`.
  proxy operator[](std::string_view name) const {
    auto result = *this;
    result.path_ = join(name);
    return result;
  }

  /// A copy whose calls fail with `caf::sec::request_timeout` after `dt`.
  proxy with_timeout(caf::duration dt) const {
    auto result = *this;
    result.timeout_ = dt;
    return result;
  }

  template <class Rep, class Period>
  proxy with_timeout(std::chrono::duration<Rep, Period> dt) const {
    return with_timeout(caf::duration{dt});
  }

  const connection& channel() const noexcept {
    return conn_;
  }

  /// The router path on the peer, `""` for its root service.
  const std::string& path() const noexcept {
    return path_;
  }

  /// The type id this connection uses for service references.
  std::int64_t proxy_type_id() const noexcept {
    return proxy_type_id_;
  }

  /// The connection's extension types.
  const wire::type_registry& types() const noexcept {
    return types_ ? *types_ : wire::no_types();
  }

  const caf::duration& timeout() const noexcept {
    return timeout_;
  }

  explicit operator bool() const noexcept {
    return static_cast<bool>(conn_);
  }

  /// Calls `path/method(xs...)`. Arguments convert with `to_value` and the
  /// connection's types; a `std::shared_ptr<service>` travels as a service
  /// reference the peer can call back (bi-directional RPC). With `R`, the
  /// result converts to `R` (see `typed_response`).
  template <class R = void, class Self, class... Ts>
  auto call(Self* self, std::string_view method, Ts&&... xs) const {
    wire::array args;
    args.reserve(sizeof...(Ts));
    (args.push_back(argument(std::forward<Ts>(xs))), ...);
    return call_kw<R>(self, method, std::move(args), wire::dict{});
  }

  /// Calls `path/method(*args, **kwargs)`.
  template <class R = void, class Self>
  auto call_kw(Self* self, std::string_view method, wire::array args,
               wire::dict kwargs) const {
    auto hdl = self->request(conn_, timeout_, call_atom_v, join(method),
                             std::move(args), std::move(kwargs));
    if constexpr (std::is_void_v<R> || std::is_same_v<R, wire::value>)
      return hdl;
    else
      return typed_response<R, decltype(hdl)>{std::move(hdl), types_};
  }

  /// Turns a call argument into a wire value.
  template <class T>
  wire::value argument(T&& x) const {
    using type = std::decay_t<T>;
    if constexpr (
      std::is_same_v<
        type,
        std::shared_ptr<
          service>> || std::is_same_v<type, std::shared_ptr<const service>>)
      return service_reference(*x);
    else if constexpr (std::is_same_v<type, proxy>)
      return x.reference();
    else
      return wire::to_value(x, types());
  }

  /// The wire form of a local service passed to this connection's peer:
  /// `{"__type__": [proxy_type_id, "<router path>"]}`.
  wire::value service_reference(const service& svc) const;

  /// The proxy for a service reference the peer sent in a result on this
  /// connection, e.g. the agent aiomas's `Manager.spawn` returns
  /// (`{"__type__": [proxy_type_id, "agents/1"]}`).
  /// @throws wire::wire_error if `reference` is no service reference.
  proxy bind(const wire::value& reference) const;

  /// The wire form of this proxy when passed back to its peer.
  wire::value reference() const {
    return wire::ext{proxy_type_id_, path_};
  }

private:
  std::string join(std::string_view name) const {
    if (path_.empty())
      return std::string{name};
    std::string result = path_;
    result += '/';
    result += name;
    return result;
  }

  connection conn_;
  std::string path_;
  std::int64_t proxy_type_id_ = 0;
  std::shared_ptr<const wire::type_registry> types_;
  caf::duration timeout_ = caf::infinite;
};

} // namespace mas::rpc
