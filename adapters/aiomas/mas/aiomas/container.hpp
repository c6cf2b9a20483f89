#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>

#include "mas/agent/container.hpp"
#include "mas/channel/options.hpp"
#include "mas/net/endpoint.hpp"
#include "mas/net/tls.hpp"
#include "mas/rpc/proxy.hpp"
#include "mas/transport/connect.hpp"
#include "mas/transport/options.hpp"
#include "mas/wire/codec.hpp"

// Proxies travel between local actors only.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mas::rpc::proxy)

namespace mas::aiomas {

/// How a container is made (aiomas `Container.create` keywords).
struct container_options {
  /// The codec of every connection (aiomas `codec=`; default JSON).
  wire::codec_kind codec = wire::codec_kind::json;

  /// User extension types, in registration order (aiomas
  /// `extra_serializers`). The container registers the Arrow date first
  /// (id 0), these next and the agent proxy type last.
  std::vector<std::string> extra_types;

  /// TLS for the server and every outgoing TCP connection (aiomas
  /// `ssl=SSLCerts(cafile, certfile, keyfile)`).
  std::optional<net::ssl_certs> ssl;

  /// The clock (aiomas `clock=`; default: real-time).
  std::function<mas::clock(caf::actor_system&)> make_clock;

  /// Limits and timeouts of every connection (`codec` and `extra_types`
  /// in it are replaced by the fields above).
  channel::options channel;

  /// Limits of the server.
  transport::server_options server;

  /// Adjusts CAF's configuration (scheduler threads, ...).
  std::function<void(caf::actor_system_config&)> configure;
};

/// An aiomas agent container: a `mas::container` (actor system, agents,
/// clock) with an RPC server speaking aiomas's container protocol. Every
/// connection, in and out, is served by the container's router: the root
/// function `validate_aid(aid)` and the agents under `agents/<aid>`.
class container : public mas::container {
public:
  /// Binds a server at `addr` (TCP, Unix socket or LocalQueue) and returns
  /// the running container (aiomas `Container.create`). TCP port 0 lets the
  /// OS choose; the agent addresses carry the chosen port.
  static caf::expected<std::unique_ptr<container>>
  create(const net::endpoint& addr, container_options opts = {});

  /// `create` for `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH` or `local:QUEUE`.
  static caf::expected<std::unique_ptr<container>>
  create(const std::string& addr, container_options opts = {});

  ~container() override;

  /// Where the server listens.
  const net::endpoint& local_endpoint() const noexcept {
    return endpoint_;
  }

  /// `tcp://host:port/`: the agent addresses are this plus the aid.
  const std::string& base_url() const noexcept {
    return base_url_;
  }

  std::string address_of(const std::string& aid) const override {
    return base_url_ + aid;
  }

  /// The extension type id of agent proxies on this container's
  /// connections (1 + the number of user types).
  std::int64_t proxy_type_id() const noexcept {
    return static_cast<std::int64_t>(options_.extra_types.size());
  }

  /// The channel options of this container's connections.
  const channel::options& connection_options() const noexcept {
    return options_;
  }

  /// aiomas `validate_aid`: the class name of agent `aid`, if it exists.
  std::optional<std::string> validate_aid(const std::string& aid) const;

  /// How agent `aid` of this container travels as an argument or result:
  /// `{"__type__": [proxy_type_id, "agents/<aid>"]}`.
  wire::value reference_of(const std::string& aid) const;

  // -- connecting to agents ---------------------------------------------------

  /// aiomas `container.connect(url, timeout)` for an actor: the response is
  /// a proxy to the agent at `url` (an `rpc::proxy` with path
  /// `agents/<aid>`). The agent's container is asked `validate_aid` first;
  /// an agent that does not exist fails with `errc::no_such_agent`, a bad
  /// URL with `errc::invalid_argument`. One connection per remote container
  /// is opened and reused (and reopened once it closed); this container's
  /// router serves it too, so the remote side can call back.
  template <class Self>
  auto connect(Self* self, std::string url,
               connect_timeout timeout = std::chrono::seconds{0}) const {
    return self->request(core_, caf::infinite, connect_atom_v, std::move(url),
                         encode(timeout));
  }

  /// `connect` from `main` (blocks the calling thread).
  caf::expected<rpc::proxy> connect(std::string url, connect_timeout timeout
                                                     = std::chrono::seconds{0});

  /// Connections to other containers that are open now.
  std::size_t outgoing_connections() const;

  /// Connections other containers opened to this one that are open now.
  std::size_t incoming_connections() const;

  /// Closes the server and every connection (pending calls fail with
  /// `errc::connection_reset`), then stops the agents (aiomas
  /// `container.shutdown()`). Idempotent.
  void shutdown() override;

  struct state;

private:
  container(const net::endpoint& addr, container_options opts);

  void on_added(const agent_entry& entry) override;
  void on_removed(const agent_entry& entry) override;

  caf::error start(const net::endpoint& addr, const container_options& opts);

  static double encode(const connect_timeout& timeout) {
    return timeout ? timeout->count() : -1.0;
  }

  net::endpoint endpoint_;
  std::string base_url_;
  channel::options options_;
  std::shared_ptr<rpc::service> root_;
  std::shared_ptr<rpc::service> agents_node_;
  std::shared_ptr<state> state_;
  caf::actor core_;
};

} // namespace mas::aiomas
