// LocalQueue: the in-process transport (aiomas.local_queue) under the
// channel and RPC layers, which run on it unchanged.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "mas/all.hpp"
#include "mas/atoms.hpp"
#include "mas/errc.hpp"
#include "mas/log.hpp"
#include "mas/net/socket.hpp"
#include "mas/rpc/service.hpp"
#include "mas/transport/broker.hpp"
#include "mas/transport/local_queue.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mas::net::endpoint;
using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;

namespace {

// -- fixture ------------------------------------------------------------------

struct lq_fixture : mas::test::rpc_fixture {
  /// Sends `x` over a channel and returns the reply or error.
  caf::expected<value> request(const mas::channel::connection& conn, value x) {
    caf::expected<value> result{value{}};
    self->request(conn, 10s, mas::request_atom_v, std::move(x))
      .receive([&](value& y) { result = std::move(y); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }
};

std::shared_ptr<mas::rpc::service> make_math() {
  using mas::rpc::service;
  auto addition = service::make("test.Addition");
  addition->expose("add", [](std::int64_t a, std::int64_t b) { return a + b; },
                   {"a", "b"});
  auto root = service::make("test.Root");
  root->expose("echo", [](const value& x) { return x; }, {"x"});
  root->expose("fail", []() -> value {
    throw mas::rpc::exception("ValueError", "\"spam\" is not a number");
  });
  // Never answers: the responder is dropped, the call stays pending.
  root->expose("park", [](mas::rpc::call_context& ctx) { ctx.defer(); });
  root->add("addition", addition);
  return root;
}

/// Polls `pred` until it holds or `limit` passed.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

using pending_call = decltype(std::declval<caf::scoped_actor&>()->request(
  std::declval<mas::rpc::connection&>(), caf::infinite, mas::call_atom_v,
  std::string{}, array{}, dict{}));

} // namespace

// -- endpoint and queue ids ---------------------------------------------------

TEST_CASE("LocalQueue: bad queue ids fail with aiomas's text") {
  using mas::transport::check_queue_id;
  CHECK(!check_queue_id("a"));
  CHECK(!check_queue_id("agents:0 and more"));
  auto slash = check_queue_id("a/b");
  REQUIRE(slash);
  CHECK(mas::is(slash, mas::errc::invalid_argument));
  CHECK(mas::error_text(slash) == "\"/\" not allowed in queue ID ('a/b')");
  auto empty = check_queue_id("");
  REQUIRE(empty);
  CHECK(mas::is(empty, mas::errc::invalid_argument));
  CHECK(mas::error_text(empty) == "queue ID must not be empty");
  // The socket functions have no local queues.
  CHECK_THROWS_WITH(mas::net::connect_once(endpoint::local("x")),
                    Catch::Contains("is a local queue, not a socket"));
  CHECK_THROWS_WITH(mas::net::listen_on(endpoint::local("x")),
                    Catch::Contains("is a local queue, not a socket"));
}

TEST_CASE("LocalQueue: the peer name is Python's str(LocalQueue(id))") {
  using mas::transport::local_queue_peer_name;
  CHECK(local_queue_peer_name("q") == "LocalQueue('q')");
  CHECK(local_queue_peer_name("it's") == "LocalQueue(\"it's\")");
  CHECK(local_queue_peer_name("'\"") == "LocalQueue('\\'\"')");
  CHECK(local_queue_peer_name("a\\b") == "LocalQueue('a\\\\b')");
  CHECK(local_queue_peer_name("t\tn\nr\r\x01\x7f")
        == "LocalQueue('t\\tn\\nr\\r\\x01\\x7f')");
  CHECK(local_queue_peer_name("\xc3\xa4\xf0\x9f\x98\x80")
        == "LocalQueue('\xc3\xa4\xf0\x9f\x98\x80')");
  CHECK(local_queue_peer_name("\xc2\x85\xc2\xa0")
        == "LocalQueue('\\x85\\xa0')");
  CHECK(local_queue_peer_name("\xff") == "LocalQueue('\\xff')");
}

TEST_CASE_METHOD(lq_fixture,
                 "LocalQueue: bad queue ids at listen and connect") {
  for (auto id : {std::string{"a/b"}, std::string{}}) {
    INFO("id '" << id << "'");
    auto expected = mas::error_text(mas::transport::check_queue_id(id));
    auto srv = mas::rpc::start_server(sys, endpoint::local(id), make_math());
    REQUIRE(!srv);
    CHECK(mas::is(srv.error(), mas::errc::invalid_argument));
    CHECK(mas::error_text(srv.error()) == expected);
    // Not retried: a bad id never becomes good.
    auto conn = mas::rpc::open_connection(sys, endpoint::local(id), {}, 30s);
    REQUIRE(!conn);
    CHECK(mas::is(conn.error(), mas::errc::invalid_argument));
    CHECK(mas::error_text(conn.error()) == expected);
  }
}

// -- round trips --------------------------------------------------------------

TEST_CASE_METHOD(lq_fixture, "LocalQueue: channel round trips") {
  auto handler = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {
      [](mas::request_atom, value& x) -> caf::result<value> {
        if (x == value{"ohai"})
          return value{"cya"};
        return mas::make_error(mas::errc::invalid_argument, "say ohai");
      },
    };
  });
  auto ep = endpoint::local("lq-channel");
  auto srv = mas::channel::start_server(sys, ep,
                                        mas::channel::serve_by_actor(handler));
  REQUIRE(srv);
  CHECK(srv->local_endpoint() == ep);
  CHECK(mas::transport::local_queue::bound("lq-channel"));
  auto conn = mas::channel::open_connection(sys, ep);
  REQUIRE(conn);
  CHECK(request(*conn, value{"ohai"}) == value{"cya"});
  auto failed = request(*conn, value{"hi"});
  REQUIRE(!failed);
  CHECK(mas::is(failed.error(), mas::errc::remote_exception));
  CHECK(mas::error_text(failed.error()).find("say ohai") != std::string::npos);
  // aiomas: the origin is the transport's peername, str(lq).
  CHECK(mas::remote_origin(failed.error()) == "LocalQueue('lq-channel')");
  mas::channel::close_and_wait(*conn);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(lq_fixture, "LocalQueue: RPC round trips with every codec") {
  for (auto codec :
       {mas::wire::codec_kind::json, mas::wire::codec_kind::msgpack,
        mas::wire::codec_kind::msgpack_blosc}) {
    INFO(mas::wire::to_string(codec));
    mas::channel::options opts;
    opts.codec = codec;
    auto ep = endpoint::local("lq-rpc");
    auto srv = mas::rpc::start_server(sys, ep, make_math(), nullptr, opts);
    REQUIRE(srv);
    auto client = mas::rpc::open_connection(sys, ep, opts);
    REQUIRE(client);
    CHECK(call(client->channel, "addition/add", {3, 4}) == value{7});
    CHECK(call(client->channel, "addition/add", {}, dict{{"a", 1}, {"b", 2}})
          == value{3});
    auto big = std::string(1 << 20, 'x'); // larger than the socket buffers
    CHECK(call(client->channel, "echo", {big}) == value{big});
    auto failed = call(client->channel, "fail");
    REQUIRE(!failed);
    CHECK(mas::error_text(failed.error())
          == "ValueError: \"spam\" is not a number");
    CHECK(mas::remote_origin(failed.error()) == "LocalQueue('lq-rpc')");
    auto unknown = call(client->channel, "nope");
    REQUIRE(!unknown);
    CHECK(mas::error_text(unknown.error())
          == "LookupError: Name \"nope\" not found in \"\"");
    mas::channel::close_and_wait(client->channel);
  }
}

TEST_CASE_METHOD(lq_fixture, "LocalQueue: bi-directional RPC") {
  auto root = mas::rpc::service::make();
  root->expose(
    "server_method", [](mas::rpc::call_context& ctx, mas::rpc::proxy client) {
      auto later = ctx.defer();
      client.call(ctx.self(), "get_client_name")
        .then(
          [later](value& name) {
            later.deliver("Client name is \"" + name.as_string() + "\"");
          },
          [later](caf::error& err) {
            later.fail("RuntimeError", mas::error_text(err));
          });
    });
  auto ep = endpoint::local("lq-bidi");
  auto srv = mas::rpc::start_server(sys, ep, root);
  REQUIRE(srv);
  auto mine = mas::rpc::service::make();
  mine->expose("get_client_name", []() { return std::string{"Monty"}; });
  auto client = mas::rpc::open_connection(sys, ep, {}, 0s, mine);
  REQUIRE(client);
  caf::expected<value> reply{value{}};
  client->remote.call(self.ptr(), "server_method", mine)
    .receive([&](value& x) { reply = std::move(x); },
             [&](caf::error& err) { reply = std::move(err); });
  REQUIRE(reply);
  CHECK(*reply == value{"Client name is \"Monty\""});
}

TEST_CASE_METHOD(lq_fixture, "LocalQueue: connecting from an actor") {
  auto ep = endpoint::local("lq-actor");
  auto srv = mas::rpc::start_server(sys, ep, make_math());
  REQUIRE(srv);
  auto result = std::make_shared<std::promise<std::string>>();
  auto done = result->get_future();
  sys.spawn([ep, result](caf::event_based_actor* self) {
    mas::rpc::connect(self, ep).then(
      [=](mas::rpc::client& c) {
        self
          ->request(c.channel, 10s, mas::call_atom_v,
                    std::string{"addition/add"}, array{20, 22}, dict{})
          .then(
            [=](value& x) {
              result->set_value(std::to_string(x.as_int64()));
              self->send(c.channel, caf::close_atom_v);
            },
            [=](caf::error& err) { result->set_value(mas::render(err)); });
      },
      [=](caf::error& err) { result->set_value(mas::render(err)); });
  });
  REQUIRE(done.wait_for(10s) == std::future_status::ready);
  CHECK(done.get() == "42");
}

// -- binding, refusing, retrying ----------------------------------------------

TEST_CASE_METHOD(lq_fixture,
                 "LocalQueue: one server per queue id; close unbinds") {
  using mas::transport::local_queue;
  auto ep = endpoint::local("lq-bind");
  CHECK_FALSE(local_queue::bound("lq-bind"));
  {
    auto first = mas::rpc::start_server(sys, ep, make_math());
    REQUIRE(first);
    CHECK(local_queue::bound("lq-bind"));
    auto second = mas::rpc::start_server(sys, ep, make_math());
    REQUIRE(!second);
    CHECK(mas::is(second.error(), mas::errc::connect_failed));
    CHECK(mas::error_text(second.error())
          == "cannot listen on local:lq-bind: Server is already set. (another "
             "server is bound to this queue ID)");
    // The failed bind left the first server bound and serving.
    auto client = mas::rpc::open_connection(sys, ep);
    REQUIRE(client);
    CHECK(call(client->channel, "echo", {1}) == value{1});
    first->close();
    CHECK_FALSE(local_queue::bound("lq-bind"));
    auto refused = mas::rpc::open_connection(sys, ep);
    REQUIRE(!refused);
    CHECK(mas::is(refused.error(), mas::errc::connect_failed));
    // Like TCP: the open connection outlives the closed server.
    CHECK(call(client->channel, "echo", {2}) == value{2});
    first->close(); // again: nothing happens
    // Rebinding works.
    auto again = mas::rpc::start_server(sys, ep, make_math());
    REQUIRE(again);
    auto other = mas::rpc::open_connection(sys, ep);
    REQUIRE(other);
    CHECK(call(other->channel, "echo", {3}) == value{3});
    // `first` closing once more must not unbind `again`.
    first->close();
    CHECK(local_queue::bound("lq-bind"));
  }
  // Destroying the server unbinds too.
  CHECK_FALSE(local_queue::bound("lq-bind"));
  auto refused = mas::channel::open_connection(sys, ep);
  REQUIRE(!refused);
  CHECK(mas::is(refused.error(), mas::errc::connect_failed));
}

TEST_CASE_METHOD(lq_fixture, "LocalQueue: connects to an unbound id are "
                             "refused, retried with a timeout") {
  auto ep = endpoint::local("lq-late");
  auto refused = mas::rpc::open_connection(sys, ep);
  REQUIRE(!refused);
  CHECK(mas::is(refused.error(), mas::errc::connect_failed));
  CHECK(mas::error_text(refused.error())
        == "cannot connect to local:lq-late: No server started for this local "
           "queue instance.");
  // A short timeout: retried, then refused with the same text.
  auto later = mas::channel::open_connection(sys, ep, {}, 0.2s);
  REQUIRE(!later);
  CHECK(mas::error_text(later.error()) == mas::error_text(refused.error()));
  // A client started before its server reaches it once it is bound. The
  // server is bound only after the client logged its first retry.
  std::mutex mtx;
  std::condition_variable cv;
  bool retrying = false;
  auto previous
    = mas::set_log_sink([&](mas::log_level lvl, std::string_view line) {
        if (lvl == mas::log_level::debug
            && line
                 == "connect local:lq-late: No server started for this local "
                    "queue instance; retrying in 0.50 s") {
          std::lock_guard<std::mutex> guard{mtx};
          retrying = true;
          cv.notify_all();
        }
      });
  auto client = std::async(std::launch::async, [&] {
    return mas::rpc::open_connection(sys, ep, {}, 30s);
  });
  {
    std::unique_lock<std::mutex> guard{mtx};
    REQUIRE(cv.wait_for(guard, 10s, [&] { return retrying; }));
  }
  mas::set_log_sink(std::move(previous));
  auto srv = mas::rpc::start_server(sys, ep, make_math());
  REQUIRE(srv);
  REQUIRE(client.wait_for(30s) == std::future_status::ready);
  auto conn = client.get();
  REQUIRE(conn);
  CHECK(call(conn->channel, "addition/add", {1, 2}) == value{3});
}

// -- many connections, bounds -------------------------------------------------

TEST_CASE_METHOD(lq_fixture, "LocalQueue: many connections to one server") {
  auto ep = endpoint::local("lq-many");
  auto srv = mas::rpc::start_server(sys, ep, make_math());
  REQUIRE(srv);
  constexpr int n = 64;
  std::vector<mas::rpc::client> clients;
  for (int i = 0; i < n; ++i) {
    auto c = mas::rpc::open_connection(sys, ep);
    REQUIRE(c);
    clients.push_back(std::move(*c));
  }
  // All calls in flight at once, on every connection.
  std::vector<pending_call> handles;
  for (int i = 0; i < n; ++i)
    handles.push_back(self->request(
      clients[static_cast<std::size_t>(i)].channel, 10s, mas::call_atom_v,
      std::string{"addition/add"}, array{i, i}, dict{}));
  for (int i = 0; i < n; ++i)
    handles[static_cast<std::size_t>(i)].receive(
      [&](value& x) { CHECK(x == value{2 * i}); },
      [&](caf::error& err) { FAIL(mas::error_text(err)); });
  CHECK(srv->open_connections() == n);
  for (auto& c : clients)
    mas::channel::close_and_wait(c.channel);
  CHECK(eventually([&] { return srv->open_connections() == 0; }));
}

TEST_CASE_METHOD(lq_fixture, "LocalQueue: max_connections holds clients back") {
  auto ep = endpoint::local("lq-max");
  mas::transport::server_options server_opts;
  server_opts.max_connections = 1;
  server_opts.accept_backoff = 20ms;
  auto srv
    = mas::rpc::start_server(sys, ep, make_math(), nullptr, {}, server_opts);
  REQUIRE(srv);
  auto first = mas::rpc::open_connection(sys, ep);
  REQUIRE(first);
  CHECK(call(first->channel, "echo", {1}) == value{1});
  // The second connect succeeds (its end waits, like a client in the
  // listen backlog), but the server takes it only when the first closes.
  auto second = mas::rpc::open_connection(sys, ep);
  REQUIRE(second);
  auto pending = self->request(second->channel, 10s, mas::call_atom_v,
                               std::string{"echo"}, array{2}, dict{});
  CHECK(srv->open_connections() == 1);
  mas::channel::close_and_wait(first->channel);
  pending.receive([](value& x) { CHECK(x == value{2}); },
                  [](caf::error& err) { FAIL(mas::error_text(err)); });
  CHECK(srv->open_connections() == 1);
}

TEST_CASE_METHOD(lq_fixture,
                 "LocalQueue: a server closed before it accepted a client") {
  // A client whose end still waits when the server closes sees its
  // connection closed (like a client in a closed socket's backlog).
  auto ep = endpoint::local("lq-backlog");
  mas::transport::server_options server_opts;
  server_opts.max_connections = 1;
  auto srv
    = mas::rpc::start_server(sys, ep, make_math(), nullptr, {}, server_opts);
  REQUIRE(srv);
  auto first = mas::rpc::open_connection(sys, ep);
  REQUIRE(first);
  CHECK(call(first->channel, "echo", {1}) == value{1});
  auto second = mas::rpc::open_connection(sys, ep);
  REQUIRE(second);
  auto pending = self->request(second->channel, 10s, mas::call_atom_v,
                               std::string{"echo"}, array{2}, dict{});
  srv->close();
  pending.receive(
    [](value&) { FAIL("a waiting client was served"); },
    [](caf::error& err) { CHECK(mas::is(err, mas::errc::connection_reset)); });
  CHECK(call(first->channel, "echo", {3}) == value{3});
}

// -- shutdown with calls pending ----------------------------------------------

TEST_CASE_METHOD(lq_fixture,
                 "LocalQueue: closing the server's connections fails pending "
                 "calls") {
  auto ep = endpoint::local("lq-close");
  std::mutex mtx;
  std::vector<mas::rpc::connection> accepted;
  auto srv = mas::rpc::start_server(sys, ep, make_math(),
                                    [&](const mas::rpc::client& c) {
                                      std::lock_guard<std::mutex> guard{mtx};
                                      accepted.push_back(c.channel);
                                    });
  REQUIRE(srv);
  auto client = mas::rpc::open_connection(sys, ep);
  REQUIRE(client);
  constexpr int n = 10;
  std::vector<pending_call> handles;
  for (int i = 0; i < n; ++i)
    handles.push_back(self->request(client->channel, 30s, mas::call_atom_v,
                                    std::string{"park"}, array{}, dict{}));
  // A call answered after the parked ones: they have all arrived.
  REQUIRE(call(client->channel, "echo", {1}) == value{1});
  std::vector<mas::rpc::connection> server_side;
  {
    std::lock_guard<std::mutex> guard{mtx};
    server_side = accepted;
  }
  REQUIRE(server_side.size() == 1);
  mas::channel::close_and_wait(server_side.front());
  int failed = 0;
  for (auto& h : handles)
    h.receive([](value&) { FAIL("a parked call was answered"); },
              [&](caf::error& err) {
                CHECK(mas::is(err, mas::errc::connection_reset));
                ++failed;
              });
  CHECK(failed == n);
}

TEST_CASE_METHOD(lq_fixture,
                 "LocalQueue: the server's actor system shutting down fails "
                 "pending calls") {
  // The server lives in an actor system of its own; the registry is
  // process-wide, so a client of another system reaches it.
  auto ep = endpoint::local("lq-shutdown");
  auto server_cfg = std::make_unique<mas::test::config>();
  auto server_sys = std::make_unique<caf::actor_system>(*server_cfg);
  auto srv = mas::rpc::start_server(*server_sys, ep, make_math());
  REQUIRE(srv);
  auto client = mas::rpc::open_connection(sys, ep);
  REQUIRE(client);
  constexpr int n = 10;
  std::vector<pending_call> handles;
  for (int i = 0; i < n; ++i)
    handles.push_back(self->request(client->channel, 30s, mas::call_atom_v,
                                    std::string{"park"}, array{}, dict{}));
  REQUIRE(call(client->channel, "echo", {1}) == value{1});
  srv->close();
  *srv = mas::transport::server{};
  server_sys.reset(); // returns: the server's connections close with it
  int failed = 0;
  for (auto& h : handles)
    h.receive([](value&) { FAIL("a parked call was answered"); },
              [&](caf::error& err) {
                CHECK(mas::is(err, mas::errc::connection_reset));
                ++failed;
              });
  CHECK(failed == n);
  CHECK_FALSE(mas::transport::local_queue::bound("lq-shutdown"));
}

TEST_CASE_METHOD(lq_fixture,
                 "LocalQueue: a server whose connections shut down unbinds") {
  // When an actor system shuts down, libmas's supervisor of its
  // connections goes down first and the server's accept thread stops: a
  // connect would never be accepted, so it is refused. (Killing the
  // supervisor is that first step alone; the server is destroyed before
  // its system, as it must be.)
  auto ep = endpoint::local("lq-orphan");
  auto server_cfg = std::make_unique<mas::test::config>();
  auto server_sys = std::make_unique<caf::actor_system>(*server_cfg);
  auto srv = mas::rpc::start_server(*server_sys, ep, make_math());
  REQUIRE(srv);
  caf::anon_send_exit(mas::transport::supervisor_of(*server_sys),
                      caf::exit_reason::kill);
  CHECK(eventually(
    [&] { return !mas::transport::local_queue::bound("lq-orphan"); }));
  auto refused = mas::rpc::open_connection(sys, ep);
  REQUIRE(!refused);
  CHECK(mas::is(refused.error(), mas::errc::connect_failed));
  *srv = mas::transport::server{};
  server_sys.reset();
}

// -- TLS ----------------------------------------------------------------------

TEST_CASE_METHOD(lq_fixture, "LocalQueue: TLS is refused") {
  auto dir = mas::test::make_certs("/tmp/mas-lq-tls");
  mas::channel::options server_opts;
  server_opts.transport.tls = mas::net::make_ssl_server_context(
    dir + "/ca.pem", dir + "/server.pem", dir + "/server.key");
  auto ep = endpoint::local("lq-tls");
  auto srv = mas::rpc::start_server(sys, ep, make_math(), nullptr, server_opts);
  REQUIRE(!srv);
  CHECK(mas::is(srv.error(), mas::errc::invalid_argument));
  CHECK(mas::error_text(srv.error()) == "TLS applies to TCP endpoints only");
  CHECK_FALSE(mas::transport::local_queue::bound("lq-tls"));
  auto plain = mas::rpc::start_server(sys, ep, make_math());
  REQUIRE(plain);
  mas::channel::options client_opts;
  client_opts.transport.tls = mas::net::make_ssl_client_context(
    dir + "/ca.pem", dir + "/client.pem", dir + "/client.key");
  auto client = mas::rpc::open_connection(sys, ep, client_opts);
  REQUIRE(!client);
  CHECK(mas::is(client.error(), mas::errc::invalid_argument));
  CHECK(mas::error_text(client.error()) == "TLS applies to TCP endpoints only");
  [[maybe_unused]] auto rc = std::system(("rm -rf " + dir).c_str());
}

// -- the order guarantee ------------------------------------------------------

TEST_CASE_METHOD(lq_fixture,
                 "LocalQueue: frames keep their order on each connection, in "
                 "both directions") {
  // Requests go out pipelined, interleaved over several connections from
  // one actor; the server's one handler actor records what arrives per
  // connection, and each client records the order of its replies.
  constexpr int conns = 8;
  constexpr int per_conn = 300;
  using record = std::map<caf::actor_addr, std::vector<std::int64_t>>;
  auto arrived = std::make_shared<record>();
  auto handler = sys.spawn([arrived](caf::event_based_actor* self) {
    return caf::behavior{
      [=](mas::request_atom, value& x) {
        (*arrived)[caf::actor_cast<caf::actor_addr>(self->current_sender())]
          .push_back(x.as_int64());
        return x;
      },
    };
  });
  auto ep = endpoint::local("lq-order");
  auto srv = mas::channel::start_server(sys, ep,
                                        mas::channel::serve_by_actor(handler));
  REQUIRE(srv);
  std::vector<mas::channel::connection> clients;
  for (int i = 0; i < conns; ++i) {
    auto c = mas::channel::open_connection(sys, ep);
    REQUIRE(c);
    clients.push_back(*c);
  }
  auto replies = std::make_shared<std::vector<std::vector<std::int64_t>>>(
    static_cast<std::size_t>(conns));
  auto all_done = std::make_shared<std::promise<void>>();
  auto done = all_done->get_future();
  sys.spawn([=](caf::event_based_actor* self) {
    auto outstanding = std::make_shared<int>(conns * per_conn);
    for (int k = 0; k < per_conn; ++k)
      for (int i = 0; i < conns; ++i)
        self
          ->request(clients[static_cast<std::size_t>(i)], 30s,
                    mas::request_atom_v, value{std::int64_t{k}})
          .then(
            [=](value& x) {
              (*replies)[static_cast<std::size_t>(i)].push_back(x.as_int64());
              if (--*outstanding == 0)
                all_done->set_value();
            },
            [=](caf::error&) {
              (*replies)[static_cast<std::size_t>(i)].push_back(-1);
              if (--*outstanding == 0)
                all_done->set_value();
            });
  });
  REQUIRE(done.wait_for(30s) == std::future_status::ready);
  std::vector<std::int64_t> in_order(per_conn);
  for (int k = 0; k < per_conn; ++k)
    in_order[static_cast<std::size_t>(k)] = k;
  for (auto& r : *replies)
    CHECK(r == in_order);
  // The handler answered everything, so its record is complete: read it
  // from the handler itself (no data race).
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  self->wait_for(handler);
  REQUIRE(arrived->size() == conns);
  for (auto& [conn, seen] : *arrived)
    CHECK(seen == in_order);
  for (auto& c : clients)
    mas::channel::close_and_wait(c);
}

TEST_CASE_METHOD(lq_fixture,
                 "LocalQueue: a server accepts connections in connect order") {
  // Connections made one after another are accepted (and reported to the
  // server's callback) in that order.
  constexpr int n = 24;
  std::mutex mtx;
  std::vector<caf::actor_addr> accepted;
  auto who = std::make_shared<std::map<caf::actor_addr, std::int64_t>>();
  auto handler = sys.spawn([who](caf::event_based_actor* self) {
    return caf::behavior{
      [=](mas::request_atom, value& x) {
        (*who)[caf::actor_cast<caf::actor_addr>(self->current_sender())]
          = x.as_int64();
        return x;
      },
    };
  });
  auto ep = endpoint::local("lq-accept-order");
  auto srv
    = mas::channel::start_server(sys, ep, mas::channel::serve_by_actor(handler),
                                 {}, [&](const mas::channel::connection& c) {
                                   std::lock_guard<std::mutex> guard{mtx};
                                   accepted.push_back(c.address());
                                 });
  REQUIRE(srv);
  std::vector<mas::channel::connection> clients;
  for (int i = 0; i < n; ++i) {
    auto c = mas::channel::open_connection(sys, ep);
    REQUIRE(c);
    clients.push_back(*c);
  }
  // Each client names itself; the handler maps server connection to name.
  for (int i = 0; i < n; ++i)
    CHECK(request(clients[static_cast<std::size_t>(i)], value{std::int64_t{i}})
          == value{std::int64_t{i}});
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  self->wait_for(handler);
  std::vector<caf::actor_addr> order;
  {
    std::lock_guard<std::mutex> guard{mtx};
    order = accepted;
  }
  REQUIRE(order.size() == n);
  std::vector<std::int64_t> names;
  for (auto& addr : order)
    names.push_back(who->count(addr) != 0 ? who->at(addr) : -1);
  std::vector<std::int64_t> expected(n);
  for (int i = 0; i < n; ++i)
    expected[static_cast<std::size_t>(i)] = i;
  CHECK(names == expected);
  for (auto& c : clients)
    mas::channel::close_and_wait(c);
}
