#include "mas/rpc/client.hpp"

#include "mas/channel/channel.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/dispatcher.hpp"
#include "mas/rpc/service.hpp"

namespace mas::rpc {

namespace {

/// Name of the extension type that carries service references on RPC
/// connections (aiomas registers it for `object`, after the extras).
constexpr const char* proxy_type_name = "rpc.Proxy";

std::int64_t proxy_type_id_of(const channel::options& opts) {
  return static_cast<std::int64_t>(opts.extra_types.size());
}

/// The channel options of an RPC connection: the proxy type comes last.
channel::options rpc_options(channel::options opts) {
  opts.extra_types.emplace_back(proxy_type_name);
  return opts;
}

} // namespace

std::shared_ptr<const wire::type_registry>
connection_types(const channel::options& opts) {
  auto result = std::make_shared<wire::type_registry>();
  for (auto& name : opts.extra_types)
    result->add(name);
  result->add(proxy_type_name);
  return result;
}

caf::expected<client> open_connection(caf::actor_system& sys,
                                      const net::endpoint& ep,
                                      channel::options opts,
                                      connect_timeout timeout,
                                      std::shared_ptr<service> router) {
  auto id = proxy_type_id_of(opts);
  auto types = connection_types(opts);
  auto conn
    = channel::open_connection(sys, ep, rpc_options(std::move(opts)), timeout,
                               make_dispatcher(std::move(router), id));
  if (!conn)
    return std::move(conn.error());
  auto rpc_conn = caf::actor_cast<connection>(*conn);
  return client{rpc_conn, proxy{rpc_conn, "", id, std::move(types)}};
}

caf::expected<transport::server>
start_server(caf::actor_system& sys, const net::endpoint& ep,
             std::shared_ptr<service> root, client_connected on_client,
             channel::options opts, transport::server_options server_opts) {
  if (!root)
    return make_error(errc::invalid_argument, "start_server needs a service");
  auto id = proxy_type_id_of(opts);
  auto types = connection_types(opts);
  channel::client_connected cb;
  if (on_client)
    cb = [on_client, id, types](const channel::connection& conn) {
      auto rpc_conn = caf::actor_cast<connection>(conn);
      on_client(client{rpc_conn, proxy{rpc_conn, "", id, types}});
    };
  return channel::start_server(sys, ep, make_dispatcher(std::move(root), id),
                               rpc_options(std::move(opts)), std::move(cb),
                               server_opts);
}

} // namespace mas::rpc
