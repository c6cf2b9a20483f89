#include "mas/aiomas/container.hpp"

#include <map>
#include <mutex>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "mas/aiomas/address.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/client.hpp"
#include "mas/rpc/service.hpp"
#include "mas/transport/broker.hpp"
#include "mas/transport/server.hpp"

namespace mas::aiomas {

/// What the container shares with its connector actor.
struct container::state {
  transport::server server;
  std::mutex mtx;
  std::size_t outgoing = 0;
};

namespace {

/// The name the Arrow date has in a container's type registry (id 0).
constexpr const char* date_type_name = "date";

/// One remote container: its connection once open, the requests waiting
/// for it meanwhile, and the agents validated on it.
struct remote_container {
  std::optional<rpc::client> client;
  struct waiter {
    caf::response_promise promise;
    std::string aid;
  };
  std::vector<waiter> waiting;
  std::map<std::string, rpc::proxy> agents;
};

struct connector_state {
  std::map<std::string, remote_container> remotes;
  static inline const char* name = "mas.aiomas.connector";
};

using connector_actor = caf::stateful_actor<connector_state>;

connect_timeout decode(double seconds) {
  if (seconds < 0)
    return std::nullopt;
  return std::chrono::duration<double>{seconds};
}

/// Answers `rp` with the proxy of `aid` on `remote`, asking `validate_aid`
/// unless it was validated before.
void validate(connector_actor* self, const std::string& key,
              const net::endpoint& ep, caf::response_promise rp,
              const std::string& aid) {
  auto& remote = self->state.remotes[key];
  if (auto i = remote.agents.find(aid); i != remote.agents.end()) {
    rp.deliver(i->second);
    return;
  }
  auto client = *remote.client;
  client.remote.call(self, "validate_aid", aid)
    .then(
      [self, key, ep, rp, aid, client](wire::value& type) mutable {
        if (type.is_none()) {
          rp.deliver(make_error(errc::no_such_agent,
                                "Agent \"" + aid + "\" does not exist in "
                                  + "Container(" + python_repr(ep) + ")"));
          return;
        }
        auto proxy = client.remote["agents"][aid];
        auto i = self->state.remotes.find(key);
        if (i != self->state.remotes.end() && i->second.client
            && i->second.client->channel == client.channel)
          i->second.agents.emplace(aid, proxy);
        rp.deliver(std::move(proxy));
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

caf::behavior connector(connector_actor* self, channel::options opts,
                        std::shared_ptr<rpc::service> root,
                        std::shared_ptr<container::state> shared) {
  return {
    [=](connect_atom, std::string& url,
        double timeout) -> caf::result<rpc::proxy> {
      auto parsed = parse_agent_url(url);
      if (!parsed)
        return std::move(parsed.error());
      auto ep = parsed->addr;
      auto key = ep.to_string();
      auto rp = self->make_response_promise();
      auto& remote = self->state.remotes[key];
      if (remote.client) {
        validate(self, key, ep, rp, parsed->aid);
        return rp;
      }
      remote.waiting.push_back({rp, parsed->aid});
      if (remote.waiting.size() > 1)
        return rp; // a connection is being opened already
      auto copts = opts;
      if (ep.is_tcp() && copts.transport.tls)
        copts.transport.tls_host = ep.host;
      else
        copts.transport.tls = {};
      rpc::connect(self, ep, copts, decode(timeout), root)
        .then(
          [self, key, ep, shared](rpc::client& client) {
            auto& entry = self->state.remotes[key];
            entry.client = client;
            {
              std::lock_guard guard{shared->mtx};
              ++shared->outgoing;
            }
            // Forget the connection once it ends: the next connect opens
            // a new one (aiomas would keep failing on the dead one).
            self->request(client.channel, caf::infinite, closed_atom_v)
              .then(
                [self, key, client, shared](caf::ok_atom) {
                  auto i = self->state.remotes.find(key);
                  if (i != self->state.remotes.end() && i->second.client
                      && i->second.client->channel == client.channel)
                    self->state.remotes.erase(i);
                  std::lock_guard guard{shared->mtx};
                  --shared->outgoing;
                },
                [self, key, client, shared](caf::error&) {
                  auto i = self->state.remotes.find(key);
                  if (i != self->state.remotes.end() && i->second.client
                      && i->second.client->channel == client.channel)
                    self->state.remotes.erase(i);
                  std::lock_guard guard{shared->mtx};
                  --shared->outgoing;
                });
            auto waiting = std::move(entry.waiting);
            entry.waiting.clear();
            for (auto& w : waiting)
              validate(self, key, ep, w.promise, w.aid);
          },
          [self, key](caf::error& err) {
            auto i = self->state.remotes.find(key);
            if (i == self->state.remotes.end())
              return;
            auto waiting = std::move(i->second.waiting);
            self->state.remotes.erase(i);
            for (auto& w : waiting)
              w.promise.deliver(err);
          });
      return rp;
    },
  };
}

} // namespace

// -- construction -------------------------------------------------------------

container::container(const net::endpoint& addr, container_options opts)
  : mas::container(setup{std::move(opts.configure), std::move(opts.make_clock),
                         addr.is_local()}),
    endpoint_(addr), state_(std::make_shared<state>()) {
  // nop
}

caf::expected<std::unique_ptr<container>>
container::create(const net::endpoint& addr, container_options opts) {
  std::unique_ptr<container> result{new container(addr, opts)};
  if (auto err = result->start(addr, opts))
    return err;
  return result;
}

caf::expected<std::unique_ptr<container>>
container::create(const std::string& addr, container_options opts) {
  auto ep = net::endpoint::parse(addr);
  if (!ep)
    return make_error(errc::invalid_argument,
                      "invalid container address \"" + addr
                        + "\" (expected HOST:PORT, unix:PATH or local:QUEUE)");
  return create(*ep, std::move(opts));
}

caf::error container::start(const net::endpoint& addr,
                            const container_options& opts) {
  options_ = opts.channel;
  options_.codec = opts.codec;
  options_.extra_types.clear();
  options_.extra_types.emplace_back(date_type_name);
  for (auto& name : opts.extra_types)
    options_.extra_types.push_back(name);
  // The router: validate_aid at the root, the agents under "agents".
  root_ = rpc::service::make("aiomas.agent.Container");
  agents_node_ = rpc::service::make("aiomas.rpc.ServiceDict");
  root_->add("agents", agents_node_);
  root_->expose("validate_aid",
                [this](const std::string& aid) { return validate_aid(aid); },
                {"aid"});
  auto server_opts = options_;
  auto client_opts = options_;
  if (opts.ssl) {
    if (!addr.is_tcp())
      return make_error(errc::invalid_argument,
                        "TLS applies to TCP containers only");
    try {
      server_opts.transport.tls = net::ssl_context::server(*opts.ssl);
      client_opts.transport.tls = net::ssl_context::client(*opts.ssl);
    } catch (const std::exception& e) {
      return make_error(errc::tls_failure, e.what());
    }
  }
  auto srv = rpc::start_server(system(), addr, root_, nullptr, server_opts,
                               opts.server);
  if (!srv)
    return std::move(srv.error());
  endpoint_ = srv->local_endpoint();
  if (addr.is_tcp()) // keep the host as given (aiomas), with the real port
    endpoint_.host = addr.host;
  base_url_ = aiomas::base_url(endpoint_);
  state_->server = std::move(*srv);
  core_ = system().spawn<caf::hidden>(connector, client_opts, root_, state_);
  return caf::none;
}

container::~container() {
  shutdown();
}

// -- agents -------------------------------------------------------------------

void container::on_added(const agent_entry& entry) {
  if (entry.router)
    agents_node_->attach(entry.aid, entry.router);
}

void container::on_removed(const agent_entry& entry) {
  agents_node_->detach(entry.aid);
}

std::optional<std::string>
container::validate_aid(const std::string& aid) const {
  if (auto entry = agents().find(aid))
    return entry->type_name;
  return std::nullopt;
}

wire::value container::reference_of(const std::string& aid) const {
  return wire::ext{proxy_type_id(), "agents/" + aid};
}

// -- connecting ---------------------------------------------------------------

caf::expected<rpc::proxy> container::connect(std::string url,
                                             connect_timeout timeout) {
  caf::scoped_actor self{system()};
  caf::expected<rpc::proxy> result{caf::error{}};
  connect(self.ptr(), std::move(url), timeout)
    .receive([&](rpc::proxy& p) { result = std::move(p); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

std::size_t container::outgoing_connections() const {
  std::lock_guard guard{state_->mtx};
  return state_->outgoing;
}

std::size_t container::incoming_connections() const {
  return state_->server ? state_->server.open_connections() : 0;
}

void container::shutdown() {
  if (!core_)
    return;
  if (state_->server)
    state_->server.close();
  if (core_) {
    caf::anon_send_exit(core_, caf::exit_reason::user_shutdown);
    core_ = nullptr;
  }
  // Closes every connection of this container's system, in and out.
  transport::close_all(system());
  mas::container::shutdown();
}

} // namespace mas::aiomas
