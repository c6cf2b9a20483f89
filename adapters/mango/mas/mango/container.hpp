#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>

#include "mas/agent/container.hpp"
#include "mas/mango/acl.hpp"
#include "mas/mango/address.hpp"
#include "mas/mango/options.hpp"
#include "mas/wire/type_registry.hpp"

namespace mas::mango {

class agent;

namespace detail {
struct router;
} // namespace detail

/// What a container did with messages (counters since it was made).
struct message_stats {
  /// Frames that arrived (TCP) or were passed to `step` (external coupling).
  std::uint64_t received = 0;
  /// Messages handed to an agent (from the network or internal).
  std::uint64_t delivered = 0;
  /// Frames dropped because they were no mango message: invalid JSON, an
  /// unknown type id, a MangoMessage without meta, no envelope at all.
  std::uint64_t malformed = 0;
  /// Messages dropped because no agent has their `receiver_id`.
  std::uint64_t unknown_receiver = 0;
  /// Messages handed to a connection (or to the step's output).
  std::uint64_t sent = 0;
  /// Messages that could not be sent (no connection, bad address, not
  /// serializable, overloaded).
  std::uint64_t send_failed = 0;
  /// Messages sent again on a new connection after theirs had closed.
  std::uint64_t resent = 0;
};

/// The protocol-independent part of a mango container (mango
/// `container.core.Container`): a `mas::container` (actor system, agents,
/// clock) with mango's aid rules, message envelope, internal delivery,
/// routing by `receiver_id` and type ids per peer. `tcp_container` and
/// `external_container` add the transport.
///
/// Agents are CAF actors: classes derived from `mango::agent` (mango's
/// API), or any actor that handles `(deliver_atom, wire::value content,
/// wire::dict meta)` (`add_actor`). Every function is thread-safe.
class container : public mas::container {
public:
  ~container() override;

  // -- addresses
  // ----------------------------------------------------------------

  /// mango `container.addr`: `(host, port)` for TCP, the id string for
  /// external coupling.
  const wire::value& addr() const noexcept {
    return addr_;
  }

  /// The address of agent `aid` here.
  agent_address agent_addr(const std::string& aid) const {
    return agent_address{addr_, aid};
  }

  /// `AgentAddress(...)` as Python prints it (for logs).
  std::string address_of(const std::string& aid) const override;

  /// The extension types of values delivered to agents and accepted from
  /// them: mango's built-in types with `options().type_ids`, plus the user
  /// types. Convert content with `wire::to_value(x, types())`.
  const wire::type_registry& types() const noexcept;

  const container_options& options() const noexcept {
    return opts_;
  }

  // -- agents -----------------------------------------------------------------

  /// mango `container.register(agent, suggested_aid)`: spawns `T` (derived
  /// from `mango::agent`, constructed with `(caf::actor_config&, agent_init,
  /// xs...)`) under `suggested_aid` if that is free and not of the form
  /// `agent<digits>`, else under the next `agent<N>` (logged when a
  /// suggestion is refused, as mango warns).
  template <class T, class... Ts>
  caf::actor register_agent(std::string suggested_aid, Ts&&... xs);

  /// `register_agent` with a generated aid.
  template <class T, class... Ts>
  caf::actor spawn(Ts&&... xs) {
    return register_agent<T>(std::string{}, std::forward<Ts>(xs)...);
  }

  /// Registers any actor as an agent (e.g. a typed actor): it receives
  /// `(deliver_atom, wire::value content, wire::dict meta)`. Returns its
  /// aid (the rules of `register_agent`).
  std::string add_actor(caf::actor handle, std::string suggested_aid = {},
                        std::string type_name = "actor");

  /// mango `deregister(aid)`: messages for it are dropped from now on (the
  /// actor keeps running). False if unknown.
  bool deregister(const std::string& aid) {
    return remove_agent(aid);
  }

  /// mango `is_aid_available`: free and not of the form `agent<digits>`.
  bool is_aid_available(const std::string& aid) const;

  // -- lifecycle --------------------------------------------------------------

  /// mango `container.start()`: each agent's `on_start` runs (agents
  /// registered later run it at once). Idempotent.
  void start();

  /// mango `container.on_ready()`: each agent's `on_ready` runs, after
  /// `start` (agents registered later run it at once). Idempotent.
  void on_ready();

  bool running() const noexcept {
    return started_.load();
  }

  // -- messages ---------------------------------------------------------------

  /// mango `container.send_message(content, receiver_addr, sender_id,
  /// **kwargs)`: wraps `content` in a MangoMessage with meta `{**kwargs,
  /// "sender_id", "sender_addr", "receiver_id"}`; an ACL message (see
  /// `create_acl`, or `content` holding one) goes as it is. Delivered
  /// without a socket when the receiver lives here. Returns false when the
  /// message cannot go at all (an invalid address, an unknown local
  /// receiver, content that cannot be encoded), true once it is on its way;
  /// later failures (the peer is down) are logged and counted in `stats`.
  bool send_message(wire::value content, const agent_address& receiver,
                    const std::string& sender_id = {}, wire::dict kwargs = {});

  /// `send_message` for an ACL message.
  bool send_message(const acl_message& msg, const agent_address& receiver,
                    const std::string& sender_id = {}, wire::dict kwargs = {});

  /// mango 1.x `send_acl_message(content, receiver_addr, receiver_id,
  /// acl_metadata)`: `create_acl` with this container as the sender address
  /// (`sender_id` from `acl_metadata`, as 1.x leaves it to the user), then
  /// `send_message`.
  bool send_acl_message(wire::value content, wire::value receiver_addr,
                        const std::string& receiver_id,
                        wire::dict acl_metadata = {});

  /// The counters.
  message_stats stats() const;

  /// The id table used for the peer at `key` (`"host:port"`, or an
  /// external-coupling address): configured, else learned from its frames,
  /// else the default.
  wire::mango_type_ids type_ids_of(const std::string& key) const;

  /// Whether the container learned the id table of `key` from its frames.
  bool learned_type_ids(const std::string& key) const;

  /// Stops every agent (`on_stop` runs) and the container's transport.
  void shutdown() override;

protected:
  container(container_options opts, wire::value addr, bool local_loop = false);

  /// Sends a message for another container (`message` with this
  /// container's ids). False if it cannot go at all.
  virtual bool send_external(const wire::value& protocol_addr,
                             wire::value message)
    = 0;

  /// Whether `protocol_addr` names this container (mango: `tuple(addr) ==
  /// container.addr`).
  virtual bool is_self(const wire::value& protocol_addr) const;

  /// Adds transport-specific keys to the meta of a message for `receiver`
  /// (after `sender_id`, `sender_addr`, `receiver_id`).
  virtual void add_meta(wire::dict& meta, const agent_address& receiver) const;

  /// The meta key `network_protocol` of internal deliveries.
  virtual const char* network_protocol() const noexcept {
    return "tcp";
  }

  std::string next_aid() override;

  void on_added(const agent_entry& entry) override;

  detail::router& router() const noexcept {
    return *router_;
  }

  const std::shared_ptr<detail::router>& shared_router() const noexcept {
    return router_;
  }

  /// Sets `addr` (e.g. once a server knows its port).
  void set_addr(wire::value addr);

private:
  std::string choose_aid(const std::string& suggested);

  container_options opts_;
  wire::value addr_;
  std::shared_ptr<detail::router> router_;
  std::atomic<std::uint64_t> aid_counter_{0};
  std::atomic<bool> started_{false};
  std::atomic<bool> ready_{false};
};

/// The class name of an actor (its `name()`).
std::string agent_type_name(const caf::actor& handle);

template <class T, class... Ts>
caf::actor container::register_agent(std::string suggested_aid, Ts&&... xs) {
  static_assert(std::is_base_of_v<agent, T>,
                "register_agent<T>: T must derive from mas::mango::agent; "
                "register other actors with add_actor");
  auto init = reserve(choose_aid(suggested_aid));
  auto aid = init.aid;
  auto hdl = caf::actor_cast<caf::actor>(
    system().spawn<T>(std::move(init), std::forward<Ts>(xs)...));
  mas::container::register_agent(
    agent_entry{std::move(aid), agent_type_name(hdl), hdl, {}});
  return hdl;
}

} // namespace mas::mango
