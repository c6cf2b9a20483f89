#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <caf/actor.hpp>
#include <caf/duration.hpp>

#include "mas/atoms.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/value.hpp"

namespace mas::rpc {

class service;

/// A remote service (or sub-service) on one connection, like aiomas's
/// `Proxy`: `remote["addition"]` is the sub-service, and
/// `remote.call(self, "addition/add", 3, 4)` sends the RPC and returns CAF's
/// response handle for `.then(...)`.
class proxy {
public:
  proxy() = default;

  proxy(caf::actor conn, std::string path, std::int64_t proxy_type_id)
    : conn_(std::move(conn)), path_(std::move(path)),
      proxy_type_id_(proxy_type_id) {
    // nop
  }

  /// The proxy of a sub-service or function: `path/name`.
  proxy operator[](std::string_view name) const {
    return {conn_, join(name), proxy_type_id_};
  }

  const caf::actor& connection() const noexcept {
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

  explicit operator bool() const noexcept {
    return static_cast<bool>(conn_);
  }

  /// Calls `path/method(xs...)`. Arguments convert with `to_value`; a
  /// `std::shared_ptr<service>` travels as a service reference the peer can
  /// call back (bi-directional RPC).
  template <class Self, class... Ts>
  auto call(Self* self, std::string_view method, Ts&&... xs) const {
    wire::array args;
    args.reserve(sizeof...(Ts));
    (args.push_back(argument(std::forward<Ts>(xs))), ...);
    return call_kw(self, method, std::move(args), wire::dict{});
  }

  /// Calls `path/method(*args, **kwargs)`.
  template <class Self>
  auto call_kw(Self* self, std::string_view method, wire::array args,
               wire::dict kwargs) const {
    return self->request(conn_, caf::infinite, call_atom_v, join(method),
                         std::move(args), std::move(kwargs));
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
      return wire::to_value(x);
  }

  /// The wire form of a local service passed to this connection's peer:
  /// `{"__type__": [proxy_type_id, "<router path>"]}`.
  wire::value service_reference(const service& svc) const;

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

  caf::actor conn_;
  std::string path_;
  std::int64_t proxy_type_id_ = 0;
};

} // namespace mas::rpc
