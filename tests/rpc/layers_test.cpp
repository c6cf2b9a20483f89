// The layers one at a time: the transport's protocol state without a socket,
// a transport carrying raw frames without the aiomas channel (as mango's
// one-way messages need), and the channel/RPC API from event-based actors.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "mas/all.hpp"
#include "mas/transport/broker.hpp"
#include "mas/transport/frame_stream.hpp"
#include "mas/wire/frame.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mas::wire::byte_buffer;
using mas::wire::value;

namespace {

using config = mas::test::config;

struct fixture {
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  fixture() {
    sys.await_actors_before_shutdown(false);
  }
};

std::vector<std::string> feed_all(mas::transport::frame_stream& st,
                                  const byte_buffer& bytes,
                                  std::size_t chunk = 7) {
  std::vector<std::string> frames;
  for (std::size_t i = 0; i < bytes.size(); i += chunk) {
    auto n = std::min(chunk, bytes.size() - i);
    auto status = st.received(
      bytes.data() + i, n, [&](const std::uint8_t* p, std::size_t size) {
        frames.emplace_back(reinterpret_cast<const char*>(p), size);
      });
    REQUIRE(status == mas::transport::frame_stream::status::ok);
  }
  return frames;
}

void send_text(mas::transport::frame_stream& st, const std::string& text) {
  st.send_frame(reinterpret_cast<const std::uint8_t*>(text.data()),
                text.size());
}

/// A layer that answers every frame with the same frame, reversed: raw
/// frames, no aiomas triple, no codec.
class reverse_layer : public mas::transport::layer {
public:
  caf::message_handler make_handler(mas::transport::broker&) override {
    return {};
  }

  void on_frame(mas::transport::broker& self, const std::uint8_t* payload,
                std::size_t size) override {
    auto& out = self.frame_buffer();
    out.insert(out.end(), std::make_reverse_iterator(payload + size),
               std::make_reverse_iterator(payload));
    self.send_frame();
  }

  void on_closed(mas::transport::broker&, const caf::error&, bool) override {
    // nop
  }
};

} // namespace

// -- protocol state without a socket
// -------------------------------------------

TEST_CASE("a frame_stream frames and splits without a socket") {
  mas::transport::options opts;
  mas::transport::frame_stream a{opts, false, ""};
  mas::transport::frame_stream b{opts, true, ""};
  CHECK(a.ready());
  send_text(a, "hello");
  send_text(a, "");
  send_text(a, std::string(1000, 'x'));
  byte_buffer wire;
  a.take_output(wire);
  CHECK(wire.size() == 3 * mas::wire::frame_header_size + 1005);
  auto frames = feed_all(b, wire);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0] == "hello");
  CHECK(frames[1].empty());
  CHECK(frames[2] == std::string(1000, 'x'));
  CHECK(!b.has_partial_frame());
  // A header above the maximum fails before anything is buffered.
  opts.max_frame_size = 16;
  mas::transport::frame_stream small{opts, true, ""};
  std::uint8_t header[] = {0, 0, 0, 17};
  CHECK_THROWS_AS(
    small.received(header, 4, [](const std::uint8_t*, std::size_t) {}),
    mas::wire::wire_error);
}

TEST_CASE("a frame_stream speaks TLS over memory") {
  auto dir = mas::test::make_certs();
  mas::transport::options server_opts;
  server_opts.tls = mas::net::make_ssl_server_context(
    dir + "/ca.pem", dir + "/server.pem", dir + "/server.key");
  mas::transport::options client_opts;
  client_opts.tls = mas::net::make_ssl_client_context(
    dir + "/ca.pem", dir + "/client.pem", dir + "/client.key");
  mas::transport::frame_stream client{client_opts, false, "127.0.0.1"};
  mas::transport::frame_stream server{server_opts, true, ""};
  CHECK(!client.ready());
  send_text(client, "early"); // held back until the handshake is done
  std::vector<std::string> got;
  auto collect = [&](const std::uint8_t* p, std::size_t n) {
    got.emplace_back(reinterpret_cast<const char*>(p), n);
  };
  byte_buffer buf;
  for (int round = 0; round < 10 && !(client.ready() && got.size() == 1);
       ++round) {
    client.take_output(buf);
    REQUIRE(server.received(buf.data(), buf.size(), collect)
            == mas::transport::frame_stream::status::ok);
    server.take_output(buf);
    REQUIRE(client.received(buf.data(), buf.size(), collect)
            == mas::transport::frame_stream::status::ok);
  }
  CHECK(client.ready());
  CHECK(server.ready());
  REQUIRE(got.size() == 1);
  CHECK(got[0] == "early");
  // Garbage instead of TLS records is a TLS failure, not a crash.
  mas::transport::frame_stream other{server_opts, true, ""};
  std::uint8_t junk[] = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P'};
  CHECK(other.received(junk, sizeof(junk), collect)
        == mas::transport::frame_stream::status::tls_failed);
  CHECK(!other.error().empty());
}

// -- a transport without the channel ------------------------------------------

TEST_CASE_METHOD(fixture, "a transport carries raw frames without a channel") {
  auto srv = mas::transport::listen(
    sys, mas::net::endpoint::tcp("127.0.0.1", 0), {},
    [this](mas::net::unique_fd fd, const std::string& peer) {
      mas::transport::setup su;
      su.is_server = true;
      su.peer = peer;
      su.upper = std::make_unique<reverse_layer>();
      return mas::transport::spawn_broker(sys, fd.release(), std::move(su));
    });
  REQUIRE(srv);
  auto fd = mas::net::connect_once(srv->local_endpoint());
  byte_buffer out;
  std::string text = "one-way mango frame";
  mas::wire::write_frame(
    out, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  REQUIRE(::write(fd.get(), out.data(), out.size())
          == static_cast<ssize_t>(out.size()));
  mas::wire::frame_decoder dec;
  std::string reply;
  std::uint8_t buf[256];
  for (int i = 0; i < 100 && reply.empty(); ++i) {
    auto n = ::read(fd.get(), buf, sizeof(buf));
    REQUIRE(n > 0);
    dec.feed(buf, static_cast<std::size_t>(n),
             [&](const std::uint8_t* p, std::size_t size) {
               reply.assign(reinterpret_cast<const char*>(p), size);
             });
  }
  CHECK(reply == std::string(text.rbegin(), text.rend()));
  CHECK(srv->open_connections() == 1);
}

// -- from event-based actors --------------------------------------------------

TEST_CASE_METHOD(fixture, "actors connect, call, close and wait with .then") {
  auto root = mas::rpc::service::make();
  root->expose("add", [](int a, int b) { return a + b; }, {"a", "b"});
  root->expose("name", [] { return std::string{"spam"}; });
  root->expose_async("slow_sum", [](std::int64_t n) {
    // Computes on CAF's scheduler, not on the connection's I/O thread.
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < n; ++i)
      sum += i;
    return sum;
  });
  auto srv = mas::rpc::start_server(
    sys, mas::net::endpoint::tcp("127.0.0.1", 0), root);
  REQUIRE(srv);
  auto ep = srv->local_endpoint();
  auto client = sys.spawn([ep](caf::event_based_actor* self) {
    return caf::behavior{
      [self, ep](caf::get_atom) {
        auto rp = self->make_response_promise<std::vector<std::string>>();
        mas::rpc::connect(self, ep).then(
          [self, rp](mas::rpc::client& c) mutable {
            auto log = std::make_shared<std::vector<std::string>>();
            c.remote.call<int>(self, "add", 3, 4)
              .then(
                [self, rp, log, c](int sum) mutable {
                  log->push_back("add=" + std::to_string(sum));
                  // A result that does not convert is a typed error.
                  c.remote.call<int>(self, "name")
                    .then(
                      [log](int) { log->push_back("name converted?!"); },
                      [self, rp, log, c](caf::error& err) mutable {
                        log->push_back(mas::is(err, mas::errc::type_mismatch)
                                         ? "name=type_mismatch"
                                         : "name=" + mas::render(err));
                        c.remote.call<std::int64_t>(self, "slow_sum", 1000)
                          .then(
                            [self, rp, log, c](std::int64_t s) mutable {
                              log->push_back("slow_sum=" + std::to_string(s));
                              self
                                ->request(c.channel, caf::infinite,
                                          caf::close_atom_v)
                                .then(
                                  [rp, log]() mutable {
                                    log->push_back("closed");
                                    rp.deliver(*log);
                                  },
                                  [rp](caf::error& e) mutable {
                                    rp.deliver(e);
                                  });
                            },
                            [rp](caf::error& e) mutable { rp.deliver(e); });
                      });
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
    };
  });
  self->request(client, 30s, caf::get_atom_v)
    .receive(
      [](const std::vector<std::string>& log) {
        CHECK(log
              == std::vector<std::string>{"add=7", "name=type_mismatch",
                                          "slow_sum=499500", "closed"});
      },
      [](caf::error& err) { FAIL(mas::render(err)); });
  self->send_exit(client, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "an actor learns that a connection ended") {
  auto srv = mas::rpc::start_server(
    sys, mas::net::endpoint::tcp("127.0.0.1", 0), mas::rpc::service::make());
  REQUIRE(srv);
  auto conn = mas::rpc::open_connection(sys, srv->local_endpoint());
  REQUIRE(conn);
  auto waiter = self->request(conn->channel, 30s, mas::closed_atom_v);
  caf::anon_send(conn->channel, caf::close_atom_v);
  waiter.receive([](caf::ok_atom) { SUCCEED("closed"); },
                 [](caf::error& err) { FAIL(mas::render(err)); });
  // Afterwards requests bounce at once.
  self->request(conn->channel, 30s, mas::closed_atom_v)
    .receive([](caf::ok_atom) { FAIL("a gone connection answered"); },
             [](caf::error& err) {
               CHECK(err == caf::sec::request_receiver_down);
               CHECK(mas::render(err) == "caf.request_receiver_down");
             });
}

TEST_CASE_METHOD(fixture, "a connect failure reaches the actor as an error") {
  // A port nobody listens on: bind one, note it, close it.
  auto probe = mas::net::listen_on(mas::net::endpoint::tcp("127.0.0.1", 0));
  auto ep = mas::net::local_endpoint(probe.get());
  probe = mas::net::unique_fd{};
  auto res = std::make_shared<caf::error>();
  auto actor = sys.spawn([ep](caf::event_based_actor* self) {
    return caf::behavior{
      [self, ep](caf::get_atom) {
        auto rp = self->make_response_promise<std::string>();
        mas::channel::connect(self, ep).then(
          [rp](mas::channel::connection&) mutable {
            rp.deliver(std::string{"connected?!"});
          },
          [rp](caf::error& err) mutable { rp.deliver(mas::render(err)); });
        return rp;
      },
    };
  });
  self->request(actor, 30s, caf::get_atom_v)
    .receive(
      [](const std::string& text) {
        CHECK(text.rfind("mas.connect_failed: cannot connect to", 0) == 0);
      },
      [](caf::error& err) { FAIL(mas::render(err)); });
  self->send_exit(actor, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "a call with a timeout fails with request_timeout") {
  auto root = mas::rpc::service::make();
  auto never = std::make_shared<std::vector<mas::rpc::responder>>();
  root->expose("never", [never](mas::rpc::call_context& ctx) {
    never->push_back(ctx.defer()); // never answered: the call times out
  });
  // Filled on the server's I/O thread, read here: guarded by a promise.
  auto parked = std::make_shared<std::promise<mas::rpc::responder>>();
  root->expose("later", [parked](mas::rpc::call_context& ctx) {
    parked->set_value(ctx.defer());
  });
  auto srv = mas::rpc::start_server(
    sys, mas::net::endpoint::tcp("127.0.0.1", 0), root);
  REQUIRE(srv);
  auto conn = mas::rpc::open_connection(sys, srv->local_endpoint());
  REQUIRE(conn);
  conn->remote.with_timeout(50ms)
    .call(self.ptr(), "never")
    .receive([](value&) { FAIL("answered"); },
             [](caf::error& err) {
               CHECK(err == caf::sec::request_timeout);
               CHECK(mas::render(err) == "caf.request_timeout");
             });
  // Without a timeout (aiomas's default) the call waits for the answer.
  auto pending = conn->remote.call(self.ptr(), "later");
  // Answer it once it has arrived (bounded wait).
  auto arrived = parked->get_future();
  REQUIRE(arrived.wait_for(30s) == std::future_status::ready);
  arrived.get().deliver(value{2});
  pending.receive([](value& x) { CHECK(x == value{2}); },
                  [](caf::error& err) { FAIL(mas::render(err)); });
}

TEST_CASE("errors print their names") {
  CHECK(mas::render(
          mas::make_error(mas::errc::connection_reset, "Connection closed"))
        == "mas.connection_reset: Connection closed");
  CHECK(mas::render(mas::make_error(mas::errc::timeout, "stalled"))
        == "mas.timeout: stalled");
  CHECK(mas::render(caf::make_error(caf::sec::request_timeout))
        == "caf.request_timeout");
  CHECK(mas::render(caf::error{}) == "none");
  auto remote = mas::make_remote_exception("('127.0.0.1', 1)",
                                           "Traceback ...\nValueError: x\n");
  CHECK(mas::error_text(remote) == "Traceback ...\nValueError: x");
  CHECK(mas::remote_origin(remote) == "('127.0.0.1', 1)");
}

TEST_CASE("mas::configure sets scheduler defaults that CAF options override") {
  auto threads = [](const caf::actor_system_config& cfg) {
    return caf::get_or(cfg, "scheduler.max-threads", std::size_t{0});
  };
  auto moderate = [](const caf::actor_system_config& cfg) {
    return caf::get_or(cfg, "work-stealing.moderate-poll-attempts",
                       std::size_t{500});
  };
  SECTION("defaults") {
    caf::actor_system_config cfg;
    mas::configure(cfg);
    CHECK(threads(cfg) == std::max(1u, std::thread::hardware_concurrency()));
    CHECK(moderate(cfg) == 0);
  }
  SECTION("options parsed afterwards win") {
    caf::actor_system_config cfg;
    mas::configure(cfg);
    std::istringstream no_ini;
    REQUIRE_FALSE(cfg.parse({"--scheduler.max-threads=7",
                             "--work-stealing.moderate-poll-attempts=500"},
                            no_ini));
    CHECK(threads(cfg) == 7);
    CHECK(moderate(cfg) == 500);
  }
  SECTION("values set before are kept") {
    caf::actor_system_config cfg;
    cfg.set("scheduler.max-threads", 3);
    mas::configure(cfg);
    CHECK(threads(cfg) == 3);
    CHECK(moderate(cfg) == 0);
  }
}
