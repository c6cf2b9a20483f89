#include "mas/connection.hpp"

#include <deque>
#include <future>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/system_messages.hpp>
#include <caf/scoped_actor.hpp>

#include "mas/atoms.hpp"
#include "mas/errc.hpp"
#include "mas/net/socket.hpp"
#include "mas/rpc/call_context.hpp"
#include "mas/rpc/service.hpp"
#include "mas/wire/aiomas_message.hpp"

namespace mas {

namespace {

using caf::io::connection_handle;

/// Name of the extension type that carries service references on RPC
/// connections (aiomas registers it for `object`, after the extras).
constexpr const char* proxy_type_name = "rpc.Proxy";

/// How long a connecting client waits for the TLS handshake.
constexpr auto handshake_timeout = std::chrono::seconds{30};

/// Bytes requested per read from the socket. CAF 0.17 zero-fills the read
/// buffer back to this size after every read, so bigger is not better.
constexpr std::size_t read_chunk = 16 * 1024;

// -- configuration and state --------------------------------------------------

struct connection_config {
  connection_options opts;
  /// Terminates with the middleman; connections then close (see below).
  caf::actor supervisor;
  /// The peer as Python's `peername` renders it (RemoteException origin).
  std::string peer;
  /// TLS clients: the name to verify.
  std::string tls_host;
};

std::unique_ptr<wire::codec>
make_connection_codec(const connection_options& opts) {
  auto result = wire::make_codec(opts.codec, opts.codec_options);
  for (auto& name : opts.extra_types)
    result->types().add(name);
  if (opts.rpc)
    result->types().add(proxy_type_name);
  return result;
}

struct connection_state {
  connection_options opts;
  connection_handle hdl;
  std::unique_ptr<wire::codec> codec;
  std::shared_ptr<const wire::type_registry> types;
  std::unique_ptr<wire::frame_decoder> frames;
  std::optional<net::tls_session> tls;
  std::string peer;

  /// Outgoing requests by id, waiting for replies.
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, caf::response_promise> pending;

  /// Incoming requests answered later (deferred or served by an actor).
  std::unordered_set<std::uint64_t> deferred;

  /// Incoming requests waiting for a slot (more than max_incoming_requests
  /// are in flight). Reading goes on: replies must get through, or a
  /// handler waiting for a callback on this connection would deadlock.
  std::deque<std::pair<std::uint64_t, wire::value>> queued;

  caf::actor_addr supervisor;

  /// Requesters waiting for the connection to become ready.
  std::vector<caf::response_promise> ready_waiters;
  bool ready = false;

  /// Bytes in CAF's write buffer not yet sent (from write acks).
  std::size_t unsent = 0;
  bool reading_halted = false;
  bool closing = false;

  /// Scratch buffers, reused.
  wire::byte_buffer out;
  wire::byte_buffer cipher;
  wire::byte_buffer plain;

  static inline const char* name = "mas.connection";
};

/// A stateful broker that, unlike CAF 0.17's brokers, rejects messages sent
/// after it terminated. `abstract_broker::cleanup` skips the part of
/// `scheduled_actor::cleanup` that closes the mailbox and bounces pending
/// requests, so a request to a closed connection would wait forever. Closing
/// the mailbox here makes CAF answer every such request with
/// `sec::request_receiver_down`, as it does for ordinary actors.
class connection_broker : public caf::io::stateful_broker<connection_state> {
public:
  using super = caf::io::stateful_broker<connection_state>;

  explicit connection_broker(caf::actor_config& cfg) : super(cfg) {
    // nop
  }

protected:
  bool cleanup(caf::error&& reason, caf::execution_unit* host) override {
    auto& box = mailbox();
    if (!box.closed()) {
      box.close();
      get_normal_queue().flush_cache();
      get_urgent_queue().flush_cache();
      caf::detail::sync_request_bouncer bounce{reason};
      while (box.queue().new_round(1000, bounce).consumed_items)
        ; // drain: every request still queued is answered (receiver down)
    }
    return super::cleanup(std::move(reason), host);
  }
};

// -- writing ------------------------------------------------------------------

void write_raw(connection_broker* self, const std::uint8_t* data,
               std::size_t size) {
  if (size == 0)
    return;
  auto& st = self->state;
  self->write(st.hdl, size, data);
  self->flush(st.hdl);
  st.unsent += size;
}

/// Sends pending TLS records (handshake, data, alerts).
void flush_tls(connection_broker* self) {
  auto& st = self->state;
  st.cipher.clear();
  st.tls->drain(st.cipher);
  write_raw(self, st.cipher.data(), st.cipher.size());
}

/// Frames and sends one message; throws wire_error if it cannot be encoded.
void send_message(connection_broker* self, const wire::value& msg) {
  auto& st = self->state;
  auto& out = st.out;
  out.assign(wire::frame_header_size, 0);
  st.codec->encode(msg, out);
  auto payload = out.size() - wire::frame_header_size;
  wire::byte_buffer header;
  wire::write_frame_header(header, payload); // checks the 4 GiB limit
  std::copy(header.begin(), header.end(), out.begin());
  if (st.tls) {
    if (!st.tls->write(out.data(), out.size()))
      throw wire::wire_error(wire::errc::invalid_message, st.tls->error());
    flush_tls(self);
  } else {
    write_raw(self, out.data(), out.size());
  }
}

// -- closing ------------------------------------------------------------------

/// Fails everything pending with `err` and terminates (aiomas:
/// `channel._set_exception` + close).
void shut_down(connection_broker* self, caf::error err,
               bool shutting_down = false) {
  auto& st = self->state;
  if (st.closing)
    return;
  st.closing = true;
  for (auto& [id, rp] : st.pending)
    rp.deliver(err);
  st.pending.clear();
  for (auto& rp : st.ready_waiters)
    rp.deliver(err);
  st.ready_waiters.clear();
  if (st.opts.on_connection_reset && !shutting_down)
    st.opts.on_connection_reset(err);
  if (st.tls && st.tls->handshake_done()) {
    st.tls->shutdown();
    flush_tls(self);
  }
  self->close(st.hdl);
  self->quit(std::move(err));
}

void become_ready(connection_broker* self) {
  auto& st = self->state;
  if (st.ready)
    return;
  st.ready = true;
  for (auto& rp : st.ready_waiters)
    rp.deliver(caf::ok_atom_v);
  st.ready_waiters.clear();
}

// -- flow control -------------------------------------------------------------

void update_reading(connection_broker* self) {
  auto& st = self->state;
  bool overloaded = st.unsent > st.opts.max_write_buffer;
  if (overloaded && !st.reading_halted) {
    self->halt(st.hdl);
    st.reading_halted = true;
  } else if (!overloaded && st.reading_halted
             && st.unsent <= st.opts.max_write_buffer / 2) {
    self->trigger(st.hdl);
    st.reading_halted = false;
  }
}

// -- answering incoming requests ----------------------------------------------

/// aiomas's failure text for an exception that was never raised.
std::string failure_text(const std::string& type, const std::string& message) {
  std::string result = type;
  if (!message.empty()) {
    result += ": ";
    result += message;
  }
  result += '\n';
  return result;
}

void send_reply(connection_broker* self, std::uint64_t id, wire::value result) {
  try {
    send_message(self, to_value(wire::aiomas_message{wire::message_type::result,
                                                     id, std::move(result)}));
  } catch (const wire::wire_error& e) {
    // aiomas: a result that cannot be serialized becomes a failure reply.
    send_message(self, to_value(wire::aiomas_message{
                         wire::message_type::exception, id,
                         failure_text("SerializationError", e.what())}));
  }
}

void send_failure(connection_broker* self, std::uint64_t id,
                  const std::string& type, const std::string& message) {
  send_message(self,
               to_value(wire::aiomas_message{wire::message_type::exception, id,
                                             failure_text(type, message)}));
}

/// Completes a deferred request: only its first answer counts.
bool take_deferred(connection_broker* self, std::uint64_t id) {
  auto& st = self->state;
  if (st.deferred.erase(id) == 0)
    return false;
  if (!st.queued.empty())
    self->send(caf::actor_cast<caf::actor>(self), resume_atom_v);
  return true;
}

/// The Python exception type for an error raised by a C++ handler.
std::string exception_type_of(const std::exception& e) {
  if (auto rpc_exc = dynamic_cast<const rpc::exception*>(&e))
    return rpc_exc->type();
  if (dynamic_cast<const wire::wire_error*>(&e))
    return "TypeError";
  if (dynamic_cast<const std::invalid_argument*>(&e)
      || dynamic_cast<const std::domain_error*>(&e))
    return "ValueError";
  if (dynamic_cast<const std::out_of_range*>(&e))
    return "IndexError";
  return "RuntimeError";
}

void serve_rpc(connection_broker* self, std::uint64_t id, wire::value content) {
  auto& st = self->state;
  wire::rpc_request req;
  try {
    req = wire::parse_rpc_request(std::move(content));
  } catch (const wire::wire_error& e) {
    // aiomas's task dies here and never answers; a failure is kinder.
    send_failure(self, id, "TypeError", e.what());
    return;
  }
  auto found = st.opts.service->resolve(req.path);
  if (found.handler == nullptr) {
    send_message(
      self, to_value(wire::aiomas_message{wire::message_type::exception, id,
                                          std::move(found.error) + "\n"}));
    return;
  }
  rpc::call_context ctx{self,     caf::actor_cast<caf::actor>(self), id,
                        st.types, st.opts.proxy_type_id(),           st.peer};
  try {
    (*found.handler)(ctx, req.args, req.kwargs);
  } catch (const std::exception& e) {
    // Also after defer(): a later answer for this id is then ignored.
    ctx.fail(exception_type_of(e), e.what());
  }
  switch (ctx.current_state()) {
    case rpc::call_context::state::replied:
      send_reply(self, id, std::move(ctx.result()));
      break;
    case rpc::call_context::state::failed:
      send_failure(self, id, ctx.error_type(), ctx.error_message());
      break;
    case rpc::call_context::state::deferred:
      // The responder answers through (reply_atom, id, ...).
      st.deferred.insert(id);
      break;
    case rpc::call_context::state::open:
      send_failure(self, id, "RuntimeError",
                   "the handler of \"" + req.path + "\" did not answer");
      break;
  }
}

void serve_channel(connection_broker* self, std::uint64_t id,
                   wire::value content) {
  auto& st = self->state;
  if (!st.opts.handler) {
    send_failure(self, id, "RuntimeError",
                 "this side of the connection serves no requests");
    return;
  }
  st.deferred.insert(id);
  self
    ->request(st.opts.handler, caf::infinite, request_atom_v,
              std::move(content))
    .then(
      [self, id](wire::value& result) {
        if (take_deferred(self, id))
          send_reply(self, id, std::move(result));
      },
      [self, id](caf::error& err) {
        if (take_deferred(self, id))
          send_failure(self, id, "Exception", error_text(err));
      });
}

void serve_request(connection_broker* self, std::uint64_t id,
                   wire::value content) {
  if (self->state.opts.service)
    serve_rpc(self, id, std::move(content));
  else
    serve_channel(self, id, std::move(content));
}

/// Serves queued requests while slots are free.
void serve_queued(connection_broker* self) {
  auto& st = self->state;
  while (!st.queued.empty() && !st.closing
         && st.deferred.size() < st.opts.max_incoming_requests) {
    auto [id, content] = std::move(st.queued.front());
    st.queued.pop_front();
    serve_request(self, id, std::move(content));
  }
}

// -- reading ------------------------------------------------------------------

void handle_frame(connection_broker* self, const std::uint8_t* data,
                  std::size_t size) {
  auto& st = self->state;
  auto msg = wire::parse_aiomas_message(st.codec->decode(data, size));
  switch (msg.type) {
    case wire::message_type::request:
      if (st.deferred.size() >= st.opts.max_incoming_requests
          || !st.queued.empty()) {
        if (st.queued.size() >= st.opts.max_queued_requests) {
          send_failure(self, msg.id, "RuntimeError",
                       "too many requests in flight on this connection");
          break;
        }
        st.queued.emplace_back(msg.id, std::move(msg.content));
        break;
      }
      serve_request(self, msg.id, std::move(msg.content));
      break;
    case wire::message_type::result:
    case wire::message_type::exception: {
      auto i = st.pending.find(msg.id);
      if (i == st.pending.end())
        throw wire::wire_error(wire::errc::invalid_message,
                               "reply for unknown request id "
                                 + std::to_string(msg.id));
      auto rp = std::move(i->second);
      st.pending.erase(i);
      if (msg.type == wire::message_type::result) {
        rp.deliver(std::move(msg.content));
      } else {
        auto text = msg.content.is_string() ? msg.content.as_string()
                                            : wire::to_string(msg.content);
        rp.deliver(make_remote_exception(st.peer, std::move(text)));
      }
      break;
    }
  }
}

void handle_bytes(connection_broker* self, const std::uint8_t* data,
                  std::size_t size) {
  auto& st = self->state;
  auto on_frame = [self](const std::uint8_t* payload, std::size_t n) {
    handle_frame(self, payload, n);
  };
  if (!st.tls) {
    st.frames->feed(data, size, on_frame);
    return;
  }
  st.plain.clear();
  auto ok = st.tls->feed(data, size, st.plain);
  flush_tls(self);
  if (!ok) {
    shut_down(self, make_error(errc::tls_failure, st.tls->error()));
    return;
  }
  if (st.tls->handshake_done())
    become_ready(self);
  if (!st.plain.empty())
    st.frames->feed(st.plain.data(), st.plain.size(), on_frame);
  if (st.tls->closed_by_peer())
    shut_down(self, make_error(errc::connection_reset, "Connection closed"));
}

// -- outgoing requests --------------------------------------------------------

caf::result<wire::value> send_request(connection_broker* self,
                                      wire::value content) {
  auto& st = self->state;
  if (st.closing)
    return make_error(errc::connection_reset, "Connection closed");
  if (st.pending.size() >= st.opts.max_outgoing_requests
      || st.unsent > st.opts.max_write_buffer)
    return make_error(errc::overloaded,
                      "too many requests in flight or write buffer full");
  // Like aiomas, an id is used up even if encoding fails.
  auto id = st.next_id++;
  try {
    send_message(self, to_value(wire::aiomas_message{
                         wire::message_type::request, id, std::move(content)}));
  } catch (const wire::wire_error& e) {
    return make_error(errc::not_serializable, e.what());
  }
  auto rp = self->make_response_promise<wire::value>();
  st.pending.emplace(id, rp);
  return rp;
}

// -- the broker ---------------------------------------------------------------

caf::behavior serve_connection(connection_broker* self, connection_handle hdl,
                               const connection_config& cfg, bool is_server) {
  auto& init = self->state;
  init.opts = cfg.opts;
  init.hdl = hdl;
  init.peer = cfg.peer;
  init.codec = make_connection_codec(cfg.opts);
  init.types = std::make_shared<wire::type_registry>(init.codec->types());
  init.frames = std::make_unique<wire::frame_decoder>(cfg.opts.max_frame_size);
  self->configure_read(hdl, caf::io::receive_policy::at_most(read_chunk));
  self->ack_writes(hdl, true);
  init.supervisor = cfg.supervisor.address();
  self->monitor(cfg.supervisor);
  self->set_down_handler([self](caf::down_msg& msg) {
    if (msg.source == self->state.supervisor)
      shut_down(
        self, make_error(errc::connection_reset, "the actor system shuts down"),
        true);
  });
  if (cfg.opts.tls) {
    try {
      init.tls.emplace(cfg.opts.tls, is_server ? std::string{} : cfg.tls_host);
      flush_tls(self); // the client's hello
    } catch (const net::tls_error& e) {
      shut_down(self, make_error(errc::tls_failure, e.what()));
      return {};
    }
  } else {
    init.ready = true;
  }
  return {
    [self](const caf::io::new_data_msg& msg) {
      try {
        handle_bytes(self,
                     reinterpret_cast<const std::uint8_t*>(msg.buf.data()),
                     msg.buf.size());
      } catch (const wire::wire_error& e) {
        // aiomas closes the channel on anything it cannot decode.
        shut_down(self, make_error(errc::protocol_error, e.what()));
      }
    },
    [self](const caf::io::data_transferred_msg& msg) {
      self->state.unsent = msg.remaining;
      update_reading(self);
    },
    [self](const caf::io::connection_closed_msg&) {
      auto& st = self->state;
      if (st.tls && !st.tls->handshake_done())
        shut_down(self, make_error(errc::tls_failure,
                                   "connection closed during the TLS "
                                   "handshake (certificate rejected?)"));
      else
        shut_down(self,
                  make_error(errc::connection_reset, "Connection closed"));
    },
    [self](resume_atom) { serve_queued(self); },
    [self](request_atom, wire::value& content) -> caf::result<wire::value> {
      return send_request(self, std::move(content));
    },
    [self](call_atom, std::string& path, wire::array& args,
           wire::dict& kwargs) -> caf::result<wire::value> {
      return send_request(
        self, to_value(wire::rpc_request{std::move(path), std::move(args),
                                         std::move(kwargs)}));
    },
    [self](reply_atom, std::uint64_t id, wire::value& result) {
      if (take_deferred(self, id))
        send_reply(self, id, std::move(result));
    },
    [self](reply_atom, std::uint64_t id, std::string& type,
           std::string& message) {
      if (take_deferred(self, id))
        send_failure(self, id, type, message);
    },
    [self](ready_atom) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      if (st.ready)
        return caf::ok_atom_v;
      auto rp = self->make_response_promise<caf::ok_atom>();
      st.ready_waiters.push_back(rp);
      return rp;
    },
    [self](caf::close_atom) {
      shut_down(self, make_error(errc::connection_reset, "Connection closed"));
    },
  };
}

caf::behavior client_connection(connection_broker* self, int fd,
                                connection_config cfg) {
  auto hdl = self->add_scribe(fd);
  return serve_connection(self, hdl, cfg, false);
}

caf::behavior server_connection(connection_broker* self, connection_handle hdl,
                                connection_config cfg) {
  return serve_connection(self, hdl, cfg, true);
}

/// Python's peername repr for an accepted TCP connection.
std::string peer_repr(const std::string& addr, std::uint16_t port) {
  if (addr.find(':') != std::string::npos)
    return "('" + addr + "', " + std::to_string(port) + ", 0, 0)";
  return "('" + addr + "', " + std::to_string(port) + ")";
}

caf::behavior acceptor(caf::io::broker* self, int fd, connection_config cfg,
                       bool is_tcp,
                       std::function<void(const connection&)> on_client) {
  self->add_doorman(fd);
  self->monitor(cfg.supervisor);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  return {
    [=](const caf::io::new_connection_msg& msg) {
      auto conn_cfg = cfg;
      // remote_port() aborts on Unix sockets (CAF 0.17); only ask for TCP.
      conn_cfg.peer = is_tcp ? peer_repr(self->remote_addr(msg.handle),
                                         self->remote_port(msg.handle))
                             : std::string{}; // Python: '' for Unix
      auto conn
        = self->fork(server_connection, msg.handle, std::move(conn_cfg));
      if (on_client)
        on_client(conn);
    },
    [=](const caf::io::acceptor_closed_msg&) { self->quit(); },
    [=](caf::close_atom) { self->quit(); },
  };
}

// -- shutdown -----------------------------------------------------------------

/// CAF 0.17's middleman joins its I/O thread on shutdown, and that thread
/// runs until every broker is gone: open connections would hang the
/// actor system's destructor. The middleman terminates its named brokers
/// first, so libmas registers one and has every connection and acceptor
/// monitor it: they close when it goes down.
class supervisor_broker : public caf::io::broker {
public:
  using caf::io::broker::broker;

  const char* name() const override {
    return "mas.supervisor";
  }

  caf::behavior make_behavior() override {
    set_exit_handler([](caf::exit_msg&) {});
    return {
      [](caf::ok_atom) {},
    };
  }
};

caf::actor supervisor_of(caf::actor_system& sys) {
  // named_broker() is not thread-safe.
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  return sys.middleman().named_broker<supervisor_broker>(
    caf::atom("mas_super"));
}

// -- blocking entry points ----------------------------------------------------

caf::expected<connection> connect(caf::actor_system& sys,
                                  const net::endpoint& ep,
                                  connection_options opts,
                                  connect_timeout timeout) {
  if (opts.tls && opts.tls.is_server())
    return make_error(errc::invalid_argument,
                      "a client connection needs a client TLS context");
  if (opts.tls && !ep.is_tcp())
    return make_error(errc::invalid_argument,
                      "TLS applies to TCP endpoints only");
  net::unique_fd fd;
  try {
    fd = net::connect_with_retry(ep, timeout);
  } catch (const net::socket_error& e) {
    return make_error(errc::connect_failed,
                      "cannot connect to " + ep.to_string() + ": " + e.what());
  }
  connection_config cfg;
  cfg.supervisor = supervisor_of(sys);
  cfg.peer = net::peer_name(fd.get());
  cfg.tls_host = opts.tls_host.empty() ? ep.host : opts.tls_host;
  bool use_tls = static_cast<bool>(opts.tls);
  cfg.opts = std::move(opts);
  // Hidden: an open client connection does not keep an actor system that
  // awaits its actors from shutting down (it closes with the middleman).
  auto conn = sys.middleman().spawn_broker<caf::hidden>(
    client_connection, fd.release(), std::move(cfg));
  if (!use_tls)
    return conn;
  // Like Python's open_connection: a failed handshake fails the connect.
  // The broker may fail the handshake and terminate before our question
  // arrives, so we monitor it and take its exit reason (the typed
  // tls_failure) as the answer in that case.
  caf::scoped_actor self{sys};
  caf::expected<connection> result{conn};
  self->monitor(conn);
  self->send(conn, ready_atom_v);
  self->receive(
    [](caf::ok_atom) {}, [&](caf::error& err) { result = std::move(err); },
    [&](caf::down_msg& down) {
      result = down.reason ? std::move(down.reason)
                           : make_error(errc::tls_failure,
                                        "connection closed during the TLS "
                                        "handshake");
    },
    caf::after(handshake_timeout) >>
      [&] {
        result = make_error(errc::tls_failure, "TLS handshake timed out");
      });
  self->demonitor(conn);
  if (!result)
    self->send_exit(conn, caf::exit_reason::user_shutdown);
  return result;
}

caf::expected<server> listen(caf::actor_system& sys, const net::endpoint& ep,
                             connection_options opts,
                             std::function<void(const connection&)> on_client) {
  if (opts.tls && !opts.tls.is_server())
    return make_error(errc::invalid_argument,
                      "a server needs a server TLS context");
  if (opts.tls && !ep.is_tcp())
    return make_error(errc::invalid_argument,
                      "TLS applies to TCP endpoints only");
  net::unique_fd fd;
  net::endpoint local;
  try {
    fd = net::listen_on(ep);
    local = net::local_endpoint(fd.get());
  } catch (const net::socket_error& e) {
    return make_error(errc::connect_failed,
                      "cannot listen on " + ep.to_string() + ": " + e.what());
  }
  connection_config cfg;
  cfg.supervisor = supervisor_of(sys);
  cfg.opts = std::move(opts);
  auto acc = sys.middleman().spawn_broker(
    acceptor, fd.release(), std::move(cfg), ep.is_tcp(), std::move(on_client));
  return server{std::move(acc), std::move(local)};
}

} // namespace

// -- server -------------------------------------------------------------------

server& server::operator=(server&& other) noexcept {
  if (this != &other) {
    close();
    acceptor_ = std::move(other.acceptor_);
    local_ = std::move(other.local_);
    closed_ = other.closed_;
  }
  return *this;
}

server::~server() {
  close();
}

void server::close() {
  if (acceptor_ && !closed_) {
    caf::anon_send(acceptor_, caf::close_atom_v);
    closed_ = true;
  }
}

namespace {

/// Sends `close_atom` to the broker `hdl` (if asked) and waits until it and
/// its socket are gone.
void close_and_await(const caf::actor& hdl, bool send_close) {
  auto& sys = hdl.home_system();
  {
    // An actor that is already gone answers the monitor at once.
    caf::scoped_actor self{sys};
    self->monitor(hdl);
    if (send_close)
      self->send(hdl, caf::close_atom_v);
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

} // namespace

void server::wait_closed() {
  if (!acceptor_)
    return;
  close();
  close_and_await(acceptor_, false);
}

void close_and_wait(const connection& conn) {
  if (conn)
    close_and_await(conn, true);
}

// -- channel layer ------------------------------------------------------------

namespace channel {

caf::expected<connection> open_connection(caf::actor_system& sys,
                                          const net::endpoint& ep,
                                          connection_options opts,
                                          connect_timeout timeout) {
  return connect(sys, ep, std::move(opts), timeout);
}

caf::expected<server> start_server(caf::actor_system& sys,
                                   const net::endpoint& ep,
                                   client_connected on_client,
                                   connection_options opts) {
  return listen(sys, ep, std::move(opts), std::move(on_client));
}

} // namespace channel

// -- RPC layer ----------------------------------------------------------------

namespace rpc {

caf::expected<client> open_connection(caf::actor_system& sys,
                                      const net::endpoint& ep,
                                      connection_options opts,
                                      connect_timeout timeout) {
  opts.rpc = true;
  auto proxy_id = opts.proxy_type_id();
  auto conn = connect(sys, ep, std::move(opts), timeout);
  if (!conn)
    return std::move(conn.error());
  return client{*conn, proxy{*conn, "", proxy_id}};
}

caf::expected<server> start_server(caf::actor_system& sys,
                                   const net::endpoint& ep,
                                   std::shared_ptr<service> root,
                                   client_connected on_client,
                                   connection_options opts) {
  if (!root)
    return make_error(errc::invalid_argument, "start_server needs a service");
  opts.rpc = true;
  opts.service = std::move(root);
  auto proxy_id = opts.proxy_type_id();
  std::function<void(const connection&)> cb;
  if (on_client)
    cb = [on_client, proxy_id](const connection& conn) {
      on_client(client{conn, proxy{conn, "", proxy_id}});
    };
  return listen(sys, ep, std::move(opts), std::move(cb));
}

} // namespace rpc

} // namespace mas
