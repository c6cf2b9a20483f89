#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/io/broker.hpp>
#include <caf/message.hpp>

#include "mas/interfaces.hpp"
#include "mas/rpc/proxy.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/type_registry.hpp"
#include "mas/wire/value.hpp"

namespace mas::rpc {

/// Answers one call later, from any actor or thread. Copyable; the first
/// answer counts. A responder that is dropped without an answer leaves the
/// caller waiting (like a coroutine that never returns): always answer.
class responder {
public:
  responder() = default;

  responder(caf::actor conn, std::uint64_t id,
            std::shared_ptr<const wire::type_registry> types)
    : conn_(std::move(conn)), id_(id), types_(std::move(types)) {
    // nop
  }

  /// Answers with a result (aiomas `Request.reply`).
  void deliver(wire::value result) const;

  /// Answers with `x` converted by `to_value` with the connection's types;
  /// a value that does not convert fails the call (`SerializationError`),
  /// as aiomas's `reply` does.
  template <class T, class = std::enable_if_t<
                       !std::is_same_v<std::decay_t<T>, wire::value>>>
  void deliver(const T& x) const {
    wire::value converted;
    try {
      converted = wire::to_value(x, types());
    } catch (const std::exception& e) {
      fail("SerializationError", e.what());
      return;
    }
    deliver(std::move(converted));
  }

  /// Answers with a failure shown as `type: message` (aiomas `Request.fail`).
  void fail(const std::string& type, const std::string& message) const;

  /// Answers with the failure Python code would raise for `err`: a remote
  /// failure as `RemoteException: Origin: ...` with the peer's text, a lost
  /// connection as `ConnectionResetError`, a missing agent as
  /// `ConnectionError`, other errors as `Exception: <text>`.
  void fail(const caf::error& err) const;

  /// The connection's extension types, for converting results.
  const wire::type_registry& types() const noexcept {
    return *types_;
  }

private:
  caf::actor conn_;
  std::uint64_t id_ = 0;
  std::shared_ptr<const wire::type_registry> types_;
};

/// What a handler knows about the call it serves.
class call_context {
public:
  call_context(caf::io::broker* self, connection conn, std::uint64_t id,
               std::shared_ptr<const wire::type_registry> types,
               std::int64_t proxy_type_id, const std::string& peer)
    : self_(self), conn_(std::move(conn)), id_(id), types_(std::move(types)),
      proxy_type_id_(proxy_type_id), peer_(peer) {
    // nop
  }

  // -- answering --------------------------------------------------------------

  /// Answers now.
  void reply(wire::value result) {
    result_ = std::move(result);
    state_ = state::replied;
  }

  /// Fails now with `type: message`.
  void fail(std::string type, std::string message) {
    error_type_ = std::move(type);
    error_message_ = std::move(message);
    state_ = state::failed;
  }

  /// Answers later through the returned responder; the connection goes on
  /// serving other calls meanwhile.
  responder defer();

  bool answered() const noexcept {
    return state_ != state::open;
  }

  // -- talking to actors ------------------------------------------------------

  /// Sends `msg` as a request to `dest` and answers this call with the
  /// actor's response (of type `R`, converted with `to_value`) or error.
  template <class R>
  void forward_to_actor(const caf::actor& dest, caf::message msg) {
    auto later = defer();
    auto handle = self_->request(dest, caf::infinite, std::move(msg));
    auto on_error
      = [later](caf::error& err) { later.fail("Exception", describe(err)); };
    if constexpr (std::is_void_v<R>) {
      handle.then([later]() { later.deliver(wire::value{}); }, on_error);
    } else {
      handle.then(
        [later](R& res) {
          try {
            later.deliver(wire::to_value(res, later.types()));
          } catch (const std::exception& e) {
            later.fail("SerializationError", e.what());
          }
        },
        on_error);
    }
  }

  // -- connection -------------------------------------------------------------

  /// The connection the call came in on.
  const connection& channel() const noexcept {
    return conn_;
  }

  /// The peer, as Python's `peername` renders it.
  const std::string& peer() const noexcept {
    return peer_;
  }

  const wire::type_registry& types() const noexcept {
    return *types_;
  }

  /// The connection's extension types, shared.
  const std::shared_ptr<const wire::type_registry>& shared_types() const {
    return types_;
  }

  /// Binds a service reference the caller passed to a proxy on this
  /// connection (aiomas: the deserialized `Proxy`).
  proxy make_proxy(const wire::value& reference) const;

  /// The broker serving the connection (runs on CAF's I/O thread: keep work
  /// short, hand long work to other actors).
  caf::io::broker* self() const noexcept {
    return self_;
  }

  // -- used by the connection -------------------------------------------------

  enum class state { open, replied, failed, deferred };

  state current_state() const noexcept {
    return state_;
  }

  wire::value& result() noexcept {
    return result_;
  }

  const std::string& error_type() const noexcept {
    return error_type_;
  }

  const std::string& error_message() const noexcept {
    return error_message_;
  }

private:
  /// Text of an actor's error (see `error_text` in errc.hpp).
  static std::string describe(const caf::error& err);

  caf::io::broker* self_;
  connection conn_;
  std::uint64_t id_;
  std::shared_ptr<const wire::type_registry> types_;
  std::int64_t proxy_type_id_;
  const std::string& peer_;
  state state_ = state::open;
  wire::value result_;
  std::string error_type_;
  std::string error_message_;
};

} // namespace mas::rpc
