#include "mas/channel/channel.hpp"

#include <future>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "mas/channel/layer.hpp"
#include "mas/errc.hpp"
#include "mas/transport/broker.hpp"

namespace mas::channel {

caf::expected<connection>
open_connection(caf::actor_system& sys, const net::endpoint& ep, options opts,
                connect_timeout timeout,
                std::shared_ptr<request_handler> handler) {
  auto transport_opts = opts.transport;
  auto upper = std::make_unique<layer>(std::move(opts), std::move(handler));
  auto conn
    = transport::connect(sys, ep, transport_opts, timeout, std::move(upper));
  if (!conn)
    return std::move(conn.error());
  return caf::actor_cast<connection>(*conn);
}

caf::expected<transport::server>
start_server(caf::actor_system& sys, const net::endpoint& ep,
             std::shared_ptr<request_handler> handler, options opts,
             client_connected on_client,
             transport::server_options server_opts) {
  if (opts.transport.tls && !opts.transport.tls.is_server())
    return make_error(errc::invalid_argument,
                      "a server needs a server TLS context");
  if (opts.transport.tls && !ep.is_tcp())
    return make_error(errc::invalid_argument,
                      "TLS applies to TCP endpoints only");
  if (!handler)
    handler = serve_by_actor(caf::actor{});
  auto on_accept = [&sys, opts = std::move(opts), handler = std::move(handler),
                    on_client = std::move(on_client)](net::unique_fd fd,
                                                      const std::string& peer) {
    transport::setup su;
    su.opts = opts.transport;
    su.is_server = true;
    su.peer = peer;
    su.upper = std::make_unique<layer>(opts, handler);
    su.hold_reads = static_cast<bool>(on_client);
    auto conn = transport::spawn_broker(sys, fd.release(), std::move(su));
    if (on_client) {
      on_client(caf::actor_cast<connection>(conn));
      caf::anon_send(conn, caf::open_atom_v);
    }
    return conn;
  };
  return transport::listen(sys, ep, server_opts, std::move(on_accept));
}

void close_and_wait(const transport::connection_actor& conn) {
  if (!conn)
    return;
  auto& sys = conn.home_system();
  {
    // An actor that is already gone answers the monitor at once.
    caf::scoped_actor self{sys};
    self->monitor(conn);
    caf::anon_send(conn, caf::close_atom_v);
    self->receive([](const caf::down_msg&) {});
  }
  // The broker's socket closes at the end of the I/O loop iteration that ran
  // its cleanup; a function posted now runs in a later iteration. (Bounded:
  // if the I/O loop has stopped, the function never runs.)
  auto passed = std::make_shared<std::promise<void>>();
  auto result = passed->get_future();
  sys.middleman().run_later([passed] { passed->set_value(); });
  result.wait_for(std::chrono::seconds{5});
}

} // namespace mas::channel
