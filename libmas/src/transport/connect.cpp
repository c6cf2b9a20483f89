#include "mas/transport/connect.hpp"

#include <caf/actor_system.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "mas/atoms.hpp"
#include "mas/errc.hpp"
#include "mas/net/socket.hpp"
#include "mas/transport/broker.hpp"
#include "mas/transport/local_loop.hpp"
#include "mas/transport/local_queue.hpp"

namespace mas::transport {

caf::expected<caf::actor> connect(caf::actor_system& sys,
                                  const net::endpoint& ep, const options& opts,
                                  connect_timeout timeout,
                                  std::unique_ptr<layer> upper) {
  if (opts.tls && opts.tls.is_server())
    return make_error(errc::invalid_argument,
                      "a client connection needs a client TLS context");
  if (opts.tls && !ep.is_tcp())
    return make_error(errc::invalid_argument,
                      "TLS applies to TCP endpoints only");
  if (opts.tls && local_loop::on_loop_thread())
    return make_error(errc::invalid_argument,
                      "a TLS connect waits for its handshake, which the "
                      "local loop cannot do while it waits");
  net::unique_fd fd;
  std::string peer;
  if (ep.is_local()) {
    auto conn = local_queue::connect(ep.queue_id, timeout);
    if (!conn)
      return std::move(conn.error());
    fd = std::move(*conn);
    peer = local_queue_peer_name(ep.queue_id);
  } else {
    try {
      fd = net::connect_with_retry(ep, timeout);
      peer = net::peer_name(fd.get());
    } catch (const net::socket_error& e) {
      return make_error(errc::connect_failed, "cannot connect to "
                                                + ep.to_string() + ": "
                                                + e.what());
    }
  }
  setup su;
  su.opts = opts;
  su.is_server = false;
  su.peer = std::move(peer);
  su.tls_host = opts.tls_host.empty() ? ep.host : opts.tls_host;
  su.upper = std::move(upper);
  auto conn = spawn_broker(sys, fd.release(), std::move(su));
  if (!opts.tls)
    return conn;
  // The broker may fail the handshake and terminate before our question
  // arrives, so we monitor it and take its exit reason (the typed
  // tls_failure) as the answer in that case. The broker's own handshake
  // timeout bounds the wait.
  caf::scoped_actor self{sys};
  caf::expected<caf::actor> result{conn};
  self->monitor(conn);
  self->send(conn, ready_atom_v);
  self->receive([](caf::ok_atom) {},
                [&](caf::error& err) { result = std::move(err); },
                [&](caf::down_msg& down) {
                  result = down.reason
                             ? std::move(down.reason)
                             : make_error(errc::tls_failure,
                                          "connection closed during the TLS "
                                          "handshake");
                });
  self->demonitor(conn);
  if (!result)
    self->send_exit(conn, caf::exit_reason::user_shutdown);
  return result;
}

caf::actor spawn_connector(caf::actor_system& sys,
                           std::function<caf::expected<caf::message>()> fn) {
  // On the local loop the connect runs in the loop's order instead (a local
  // connect never waits; others block the loop while they connect).
  if (local_loop::runs(sys))
    return sys.spawn<caf::hidden>(
      [fn = std::move(fn)](caf::event_based_actor* self) -> caf::behavior {
        return {
          [self, fn](connect_atom) -> caf::result<caf::message> {
            self->quit();
            auto res = fn();
            if (!res)
              return std::move(res.error());
            return std::move(*res);
          },
        };
      });
  return sys.spawn<caf::detached + caf::hidden>(
    [fn = std::move(fn)](caf::blocking_actor* self) {
      bool done = false;
      self->receive_while([&] { return !done; })(
        [&](connect_atom) -> caf::result<caf::message> {
          done = true;
          auto res = fn();
          if (!res)
            return std::move(res.error());
          return std::move(*res);
        });
    });
}

} // namespace mas::transport
