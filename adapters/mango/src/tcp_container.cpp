#include "mas/mango/tcp_container.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "mas/errc.hpp"
#include "mas/log.hpp"
#include "mas/mango/atoms.hpp"
#include "mas/net/endpoint.hpp"
#include "mas/transport/broker.hpp"
#include "mas/transport/connect.hpp"
#include "mas/transport/layer.hpp"
#include "mas/transport/server.hpp"
#include "mas/wire/error.hpp"
#include "router.hpp"

namespace mas::mango {

namespace {

using steady = std::chrono::steady_clock;

// -- one connection -----------------------------------------------------------

/// mango's one-way messages on a transport connection, in and out: frames
/// from the peer go to the router, frames from the pool to the socket.
class message_layer : public transport::layer {
public:
  explicit message_layer(std::shared_ptr<detail::router> r)
    : router_(std::move(r)), peer_ids_(router_->make_peer_ids()) {
    // nop
  }

  caf::message_handler make_handler(transport::broker& self) override {
    return {
      [&self](frame_atom,
              const wire::byte_buffer& payload) -> caf::result<std::uint64_t> {
        if (self.closing())
          return make_error(errc::connection_reset, "the connection closes");
        if (self.overloaded())
          return make_error(errc::overloaded, "the peer does not read: "
                                                + std::to_string(self.unsent())
                                                + " bytes wait unsent");
        auto& buf = self.frame_buffer();
        buf.insert(buf.end(), payload.begin(), payload.end());
        self.send_frame();
        // The pool spreads over more connections while this one backs up.
        return static_cast<std::uint64_t>(self.unsent());
      },
    };
  }

  void on_frame(transport::broker& self, const std::uint8_t* payload,
                std::size_t size) override {
    router_->receive_frame(payload, size, peer_ids_, "tcp", self.peer());
  }

  void on_closed(transport::broker&, const caf::error&, bool) override {
    // The pool watches its connections; inbound ones just end.
  }

private:
  std::shared_ptr<detail::router> router_;
  wire::mango_peer_ids peer_ids_;
};

// -- the pool -----------------------------------------------------------------

struct pool_conn {
  caf::actor broker;
  std::size_t in_flight = 0;
  steady::time_point last_used;
  /// Bytes its socket had not taken, as of the last answer.
  std::uint64_t unsent = 0;
};

/// A connection whose socket holds more than this is backed up: the pool
/// sends on another one (up to the maximum per target). Below it, one
/// connection per target keeps the messages in order.
constexpr std::uint64_t backed_up_bytes = 1u << 20;

struct pool_frame {
  wire::byte_buffer payload;
  bool resent = false;
};

struct pool_target {
  std::string host;
  std::uint16_t port = 0;
  std::vector<pool_conn> conns;
  std::size_t connecting = 0;
  std::deque<pool_frame> queue;
};

struct pool_state {
  std::map<std::string, pool_target> targets;
  std::map<caf::actor_addr, std::string> key_of;
  std::vector<caf::response_promise> closers;
  static inline const char* name = "mas.mango.pool";
};

using pool_actor = caf::stateful_actor<pool_state>;

struct pool_config {
  std::shared_ptr<detail::router> router;
  transport::options transport;
  std::size_t max_per_target;
  std::size_t depth;
  std::chrono::milliseconds ttl;
  std::size_t max_queued;
  std::shared_ptr<std::atomic<std::size_t>> outgoing;
};

void pump(pool_actor* self, const pool_config& cfg, const std::string& key);

/// Whether some message still waits for a connection or its socket.
bool busy(const pool_state& st) {
  for (auto& [key, t] : st.targets) {
    if (!t.queue.empty() || t.connecting > 0)
      return true;
    for (auto& c : t.conns)
      if (c.in_flight > 0)
        return true;
  }
  return false;
}

/// Answers the close requests once nothing is busy.
void check_closers(pool_actor* self) {
  if (self->state.closers.empty() || busy(self->state))
    return;
  auto closers = std::move(self->state.closers);
  self->state.closers.clear();
  for (auto& rp : closers)
    rp.deliver(caf::ok_atom_v);
}

void fail_frames(const pool_config& cfg, pool_target& t, std::size_t n,
                 const std::string& why) {
  cfg.router->send_failed += n;
  log(log_level::warning, "mango: " + std::to_string(n) + " message(s) to "
                            + t.host + ":" + std::to_string(t.port)
                            + " lost: " + why);
}

void drop_conn(pool_actor* self, const caf::actor_addr& who) {
  auto k = self->state.key_of.find(who);
  if (k == self->state.key_of.end())
    return;
  auto key = k->second;
  self->state.key_of.erase(k);
  auto i = self->state.targets.find(key);
  if (i == self->state.targets.end())
    return;
  auto& conns = i->second.conns;
  conns.erase(std::remove_if(
                conns.begin(), conns.end(),
                [&](const pool_conn& c) { return c.broker.address() == who; }),
              conns.end());
}

void open_connection(pool_actor* self, const pool_config& cfg,
                     const std::string& key, pool_target& t) {
  ++t.connecting;
  auto& sys = self->home_system();
  auto ep = net::endpoint::tcp(t.host, t.port);
  auto topts = cfg.transport;
  transport::request_connect(self,
                             [&sys, ep, topts, r = cfg.router] {
                               return transport::connect(
                                 sys, ep, topts,
                                 std::chrono::duration<double>{0},
                                 std::make_unique<message_layer>(r));
                             })
    .then(
      [self, cfg, key](caf::actor& broker) {
        auto i = self->state.targets.find(key);
        if (i == self->state.targets.end()) {
          caf::anon_send(broker, caf::close_atom_v);
          return;
        }
        --i->second.connecting;
        self->monitor(broker);
        self->state.key_of.emplace(broker.address(), key);
        i->second.conns.push_back(pool_conn{broker, 0, steady::now()});
        ++*cfg.outgoing;
        pump(self, cfg, key);
      },
      [self, cfg, key](caf::error& err) {
        auto i = self->state.targets.find(key);
        if (i == self->state.targets.end())
          return;
        auto& tgt = i->second;
        --tgt.connecting;
        if (tgt.conns.empty() && tgt.connecting == 0) {
          // mango: send_message returns False when connecting fails.
          fail_frames(cfg, tgt, tgt.queue.size(),
                      "cannot connect: " + render(err));
          self->state.targets.erase(i);
          check_closers(self);
        }
      });
}

void send_one(pool_actor* self, const pool_config& cfg, const std::string& key,
              pool_conn& c, pool_frame frame) {
  ++c.in_flight;
  c.last_used = steady::now();
  auto broker = c.broker;
  // The payload is kept for one resend on a new connection.
  auto copy = frame.resent ? wire::byte_buffer{} : frame.payload;
  self->request(broker, caf::infinite, frame_atom_v, std::move(frame.payload))
    .then(
      [self, cfg, key, broker](std::uint64_t unsent) {
        ++cfg.router->sent;
        auto i = self->state.targets.find(key);
        if (i == self->state.targets.end())
          return;
        for (auto& other : i->second.conns)
          if (other.broker == broker) {
            if (other.in_flight > 0)
              --other.in_flight;
            other.unsent = unsent;
            // Idle from now on? Then it closes after the TTL (a timer,
            // not mango's lazy check: Python >= 3.12 mango waits in
            // shutdown() until its peers close their connections to it).
            if (other.in_flight == 0)
              self->delayed_send(self, cfg.ttl + std::chrono::milliseconds{1},
                                 resume_atom_v, key);
          }
        pump(self, cfg, key);
      },
      [self, cfg, key, broker, copy = std::move(copy),
       resent = frame.resent](caf::error& err) mutable {
        auto i = self->state.targets.find(key);
        if (i == self->state.targets.end()) {
          ++cfg.router->send_failed;
          return;
        }
        auto& tgt = i->second;
        if (is(err, errc::overloaded) || resent) {
          fail_frames(cfg, tgt, 1, render(err));
        } else {
          // The connection closed under the message: a new one takes it.
          drop_conn(self, broker.address());
          ++cfg.router->resent;
          tgt.queue.push_front(pool_frame{std::move(copy), true});
        }
        pump(self, cfg, key);
      });
}

void pump(pool_actor* self, const pool_config& cfg, const std::string& key) {
  auto i = self->state.targets.find(key);
  if (i == self->state.targets.end())
    return;
  auto& t = i->second;
  auto now = steady::now();
  // mango's TTL, checked lazily: idle connections go.
  for (auto& c : t.conns)
    if (c.in_flight == 0 && now - c.last_used > cfg.ttl)
      caf::anon_send(c.broker, caf::close_atom_v);
  while (!t.queue.empty()) {
    // The first connection that is not backed up, else the least backed up.
    pool_conn* best = nullptr;
    for (auto& c : t.conns) {
      if (now - c.last_used > cfg.ttl && c.in_flight == 0)
        continue; // closing
      if (best == nullptr
          || (best->unsent >= backed_up_bytes && c.unsent < best->unsent)) {
        best = &c;
      }
    }
    auto open = t.conns.size() + t.connecting;
    if ((best == nullptr || best->unsent >= backed_up_bytes)
        && open < cfg.max_per_target && t.connecting == 0)
      open_connection(self, cfg, key, t);
    if (best == nullptr || best->in_flight >= cfg.depth)
      break; // wait for a connection or for room
    auto frame = std::move(t.queue.front());
    t.queue.pop_front();
    send_one(self, cfg, key, *best, std::move(frame));
  }
  check_closers(self);
}

caf::behavior pool_impl(pool_actor* self, pool_config cfg) {
  self->set_down_handler([self, cfg](caf::down_msg& msg) {
    auto k = self->state.key_of.find(msg.source);
    if (k == self->state.key_of.end())
      return;
    auto key = k->second;
    drop_conn(self, msg.source);
    --*cfg.outgoing;
    pump(self, cfg, key);
  });
  return {
    [self, cfg](post_atom, const std::string& host, std::uint16_t port,
                wire::byte_buffer& payload) {
      auto key = host + ":" + std::to_string(port);
      auto& t = self->state.targets[key];
      if (t.host.empty()) {
        t.host = host;
        t.port = port;
      }
      if (t.queue.size() >= cfg.max_queued) {
        fail_frames(cfg, t, 1,
                    "overloaded: " + std::to_string(t.queue.size())
                      + " messages wait for a connection");
        return;
      }
      t.queue.push_back(pool_frame{std::move(payload), false});
      pump(self, cfg, key);
    },
    [self, cfg](resume_atom, const std::string& key) { pump(self, cfg, key); },
    [self](caf::close_atom) {
      // Answers once every message has gone to a connection (or failed),
      // so what agents sent in on_stop is not dropped at shutdown.
      auto rp = self->make_response_promise();
      self->state.closers.push_back(rp);
      check_closers(self);
      return rp;
    },
  };
}

} // namespace

// -- the container ------------------------------------------------------------

struct tcp_container::state {
  transport::server server;
  std::shared_ptr<std::atomic<std::size_t>> outgoing
    = std::make_shared<std::atomic<std::size_t>>(0);
};

tcp_container::tcp_container(std::string host, container_options opts)
  : container(std::move(opts), wire::value{}), host_(std::move(host)),
    state_(std::make_shared<state>()) {
  // nop
}

caf::expected<std::unique_ptr<tcp_container>>
tcp_container::create(const std::string& host, std::uint16_t port,
                      container_options opts) {
  std::unique_ptr<tcp_container> result{new tcp_container(host, opts)};
  if (auto err = result->listen_on(port))
    return err;
  return result;
}

caf::expected<std::unique_ptr<tcp_container>>
tcp_container::create(const std::string& addr, container_options opts) {
  auto target = tcp_target(wire::value{addr});
  if (!target)
    return make_error(errc::invalid_argument, "invalid container address \""
                                                + addr
                                                + "\" (expected HOST:PORT)");
  return create(target->first, target->second, std::move(opts));
}

caf::error tcp_container::listen_on(std::uint16_t port) {
  auto r = shared_router();
  auto topts = options().transport;
  auto& sys = system();
  auto on_accept
    = [&sys, r, topts](net::unique_fd fd, const std::string& peer) {
        transport::setup su;
        su.opts = topts;
        su.is_server = true;
        su.peer = peer;
        su.upper = std::make_unique<message_layer>(r);
        return transport::spawn_broker(sys, fd.release(), std::move(su));
      };
  auto srv = transport::listen(sys, net::endpoint::tcp(host_, port),
                               options().server, std::move(on_accept));
  if (!srv)
    return std::move(srv.error());
  port_ = srv->local_endpoint().port;
  state_->server = std::move(*srv);
  set_addr(wire::value::tuple({wire::value{host_}, wire::value{port_}}));
  pool_config cfg{
    r,
    options().transport,
    std::max<std::size_t>(options().max_connections_per_target, 1),
    std::max<std::size_t>(options().pipeline_depth, 1),
    options().connection_ttl,
    options().max_queued_per_target,
    state_->outgoing};
  pool_ = system().spawn<caf::hidden>(pool_impl, std::move(cfg));
  return caf::none;
}

tcp_container::~tcp_container() {
  tcp_container::shutdown();
}

bool tcp_container::is_self(const wire::value& protocol_addr) const {
  auto t = tcp_target(protocol_addr);
  return t && t->first == host_ && t->second == port_;
}

bool tcp_container::send_external(const wire::value& protocol_addr,
                                  wire::value message) {
  auto& r = router();
  auto t = tcp_target(protocol_addr);
  if (!t) {
    ++r.send_failed;
    log(log_level::warning,
        "mango: Sending external message not successful, invalid address; "
          + wire::to_string(protocol_addr));
    return false;
  }
  if (!pool_) {
    ++r.send_failed;
    log(log_level::warning, "mango: the container is shut down");
    return false;
  }
  wire::byte_buffer payload;
  try {
    payload = r.encode_for(t->first + ":" + std::to_string(t->second),
                           std::move(message));
  } catch (const std::exception& e) {
    ++r.send_failed;
    log(log_level::warning,
        std::string{"mango: cannot encode a message: "} + e.what());
    return false;
  }
  caf::anon_send(pool_, post_atom_v, t->first, t->second, std::move(payload));
  return true;
}

std::size_t tcp_container::incoming_connections() const {
  return state_->server ? state_->server.open_connections() : 0;
}

std::size_t tcp_container::outgoing_connections() const {
  return state_->outgoing->load();
}

void tcp_container::shutdown() {
  if (!pool_)
    return;
  // Agents first: their on_stop may still send.
  {
    caf::scoped_actor self{system()};
    auto agents = this->agents().snapshot();
    for (auto& entry : agents)
      self->monitor(entry.handle);
    container::shutdown();
    std::size_t down = 0;
    bool timed_out = false;
    while (down < agents.size() && !timed_out)
      self->receive([&](const caf::down_msg&) { ++down; },
                    caf::after(std::chrono::seconds{10}) >>
                      [&] { timed_out = true; });
  }
  if (state_->server)
    state_->server.close();
  {
    caf::scoped_actor self{system()};
    self->request(pool_, std::chrono::seconds{10}, caf::close_atom_v)
      .receive([](caf::ok_atom) {}, [](caf::error&) {});
  }
  caf::anon_send_exit(pool_, caf::exit_reason::user_shutdown);
  pool_ = nullptr;
  transport::close_all(system());
}

} // namespace mas::mango
