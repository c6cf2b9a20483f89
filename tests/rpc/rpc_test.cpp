// Channel and RPC layers, C++ on both ends, over real loopback sockets.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "mas/all.hpp"
#include "mas/atoms.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/net/socket.hpp"
#include "mas/rpc/service.hpp"
#include "mas/wire/aiomas_message.hpp"
#include "mas/wire/frame.hpp"
#include "mas/wire/json_codec.hpp"
#include "mas/wire/readable.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;

namespace {

// -- fixture ------------------------------------------------------------------

using config = mas::test::config;

using fixture = mas::test::rpc_fixture;

std::shared_ptr<mas::rpc::service> make_math() {
  using mas::rpc::service;
  auto addition = service::make("test.Addition");
  addition->expose("add", [](std::int64_t a, std::int64_t b) { return a + b; },
                   {"a", "b"});
  addition->declare("internal");
  auto root = service::make("test.Root");
  root->expose("echo", [](const value& x) { return x; }, {"x"});
  root->expose("fail", []() -> value {
    throw mas::rpc::exception("ValueError", "\"spam\" is not a number");
  });
  root->expose("boom", []() -> value { throw std::out_of_range("too far"); });
  root->add("addition", addition);
  return root;
}

mas::transport::server start_math(fixture& f, const mas::net::endpoint& ep,
                                  mas::channel::options opts = {}) {
  auto srv
    = mas::rpc::start_server(f.sys, ep, make_math(), nullptr, std::move(opts));
  REQUIRE(srv);
  return std::move(*srv);
}

/// Writes one raw frame of JSON text.
void write_json_frame(int fd, const std::string& text) {
  mas::wire::byte_buffer buf;
  mas::wire::write_frame(
    buf, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  REQUIRE(::write(fd, buf.data(), buf.size())
          == static_cast<ssize_t>(buf.size()));
}

/// Reads until EOF or `limit` bytes (bounded by a receive timeout).
std::string read_all(int fd, std::size_t limit = 1 << 20) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string result;
  char buf[4096];
  while (result.size() < limit) {
    auto n = ::read(fd, buf, sizeof(buf));
    if (n <= 0)
      break;
    result.append(buf, static_cast<std::size_t>(n));
  }
  return result;
}

} // namespace

// -- service resolution -------------------------------------------------------

TEST_CASE("service paths resolve like aiomas's router") {
  auto root = make_math();
  CHECK(root->resolve("echo").handler != nullptr);
  CHECK(root->resolve("addition/add").handler != nullptr);
  CHECK(root->resolve("nope").error
        == R"(LookupError: Name "nope" not found in "")");
  CHECK(root->resolve("").error == R"(LookupError: Name "" not found in "")");
  CHECK(root->resolve("addition/nope").error
        == R"(LookupError: Name "nope" not found in "addition")");
  CHECK(root->resolve("echo/x").error
        == R"(LookupError: Name "x" not found in "echo")");
  CHECK(root->resolve("addition/internal").error
        == R"(LookupError: "test.Addition.internal" is not exposed)");
  CHECK(root->resolve("addition").error
        == "TypeError: 'test.Addition' object is not callable");
  CHECK(root->find_service("addition")->path() == "addition");
  CHECK(root->find_service("nope") == nullptr);
}

TEST_CASE("arguments bind like Python's call rules") {
  using mas::rpc::detail::bind_arguments;
  auto text = [](std::size_t n, std::vector<std::string> names, array args,
                 dict kwargs) -> std::string {
    try {
      bind_arguments("add", n, names, args, kwargs);
      return "ok";
    } catch (const mas::rpc::exception& e) {
      return e.type() + ": " + e.what();
    }
  };
  CHECK(text(2, {"a", "b"}, {1, 2}, {}) == "ok");
  CHECK(text(2, {"a", "b"}, {1}, dict{{"b", 2}}) == "ok");
  CHECK(text(2, {"a", "b"}, {1, 2, 3}, {})
        == "TypeError: add() takes 2 positional arguments but 3 were given");
  CHECK(text(2, {"a", "b"}, {1}, {})
        == "TypeError: add() missing 1 required positional argument: 'b'");
  CHECK(text(2, {"a", "b"}, {}, {})
        == "TypeError: add() missing 2 required positional arguments: 'a' "
           "and 'b'");
  CHECK(text(2, {"a", "b"}, {1}, dict{{"a", 2}})
        == "TypeError: add() got multiple values for argument 'a'");
  CHECK(text(2, {"a", "b"}, {1, 2}, dict{{"c", 2}})
        == "TypeError: add() got an unexpected keyword argument 'c'");
}

// -- C++ client, C++ server ---------------------------------------------------

TEST_CASE_METHOD(fixture, "RPC round trips over TCP and Unix sockets") {
  char dir_template[] = "/tmp/mas-rpc-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  std::string dir = dir_template;
  for (auto ep : {mas::net::endpoint::tcp("127.0.0.1", 0),
                  mas::net::endpoint::unix_socket(dir + "/rpc.sock")}) {
    for (auto codec :
         {mas::wire::codec_kind::json, mas::wire::codec_kind::msgpack,
          mas::wire::codec_kind::msgpack_blosc}) {
      INFO(ep.to_string() << " " << mas::wire::to_string(codec));
      mas::channel::options opts;
      opts.codec = codec;
      auto srv = start_math(*this, ep, opts);
      auto client = mas::rpc::open_connection(sys, srv.local_endpoint(), opts);
      REQUIRE(client);
      CHECK(call(client->channel, "addition/add", {3, 4}) == value{7});
      CHECK(call(client->channel, "addition/add", {}, dict{{"a", 1}, {"b", 2}})
            == value{3});
      auto rich = value::list({"\xc3\xa4\xf0\x9f\x98\x80", 1.5, value{},
                               value{dict{{"k", value::list({})}}}});
      auto echoed = call(client->channel, "echo", {rich});
      REQUIRE(echoed);
      // MsgPack returns tuples; the readable form shows both as lists.
      CHECK(mas::wire::to_readable_json(*echoed)
            == mas::wire::to_readable_json(rich));
      auto failed = call(client->channel, "fail");
      REQUIRE(!failed);
      CHECK(mas::is(failed.error(), mas::errc::remote_exception));
      CHECK(mas::error_text(failed.error())
            == "ValueError: \"spam\" is not a number");
      CHECK(mas::remote_origin(failed.error())
            == (ep.is_tcp()
                  ? "('127.0.0.1', " + std::to_string(srv.local_endpoint().port)
                      + ")"
                  : srv.local_endpoint().path));
      auto unknown = call(client->channel, "nope/x");
      REQUIRE(!unknown);
      CHECK(mas::error_text(unknown.error())
            == "LookupError: Name \"nope\" not found in \"\"");
      auto boom = call(client->channel, "boom");
      REQUIRE(!boom);
      CHECK(mas::error_text(boom.error()) == "IndexError: too far");
      self->send_exit(client->channel, caf::exit_reason::user_shutdown);
    }
  }
  ::unlink((dir + "/rpc.sock").c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE_METHOD(
  fixture, "the client-connected callback runs before the first request") {
  // As in aiomas: a service may rely on what its callback recorded (the
  // rpc_examples connection-loss example closes the clients it listed).
  // The callback dawdles so that a request read before it ran would see
  // an empty count; the assertion is about order, not time.
  auto connected = std::make_shared<std::atomic<int>>(0);
  auto root = mas::rpc::service::make("test.Root");
  root->expose("connected",
               [connected]() -> std::int64_t { return connected->load(); });
  auto srv = mas::rpc::start_server(
    sys, mas::net::endpoint::tcp("127.0.0.1", 0), root,
    [connected](const mas::rpc::client&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ++*connected;
    });
  REQUIRE(srv);
  for (int i = 1; i <= 5; ++i) {
    auto client = mas::rpc::open_connection(sys, srv->local_endpoint());
    REQUIRE(client);
    CHECK(call(client->channel, "connected") == value{i});
    self->send_exit(client->channel, caf::exit_reason::user_shutdown);
  }
}

TEST_CASE_METHOD(fixture, "many calls in flight on one connection") {
  auto srv = start_math(*this, mas::net::endpoint::tcp("127.0.0.1", 0));
  auto client = mas::rpc::open_connection(sys, srv.local_endpoint());
  REQUIRE(client);
  constexpr int n = 500;
  std::vector<decltype(self->request(client->channel, 10s, mas::call_atom_v,
                                     std::string{}, array{}, dict{}))>
    handles;
  for (int i = 0; i < n; ++i)
    handles.push_back(self->request(client->channel, 10s, mas::call_atom_v,
                                    std::string{"addition/add"}, array{i, i},
                                    dict{}));
  std::vector<std::int64_t> results;
  for (auto& h : handles)
    h.receive([&](value& x) { results.push_back(x.as_int64()); },
              [&](caf::error& err) { FAIL(mas::error_text(err)); });
  REQUIRE(results.size() == n);
  for (int i = 0; i < n; ++i)
    CHECK(results[static_cast<std::size_t>(i)] == 2 * i);
}

TEST_CASE_METHOD(fixture, "a deferred answer does not block other calls") {
  auto root = mas::rpc::service::make();
  auto parked = std::make_shared<std::vector<mas::rpc::responder>>();
  root->expose("park", [parked](mas::rpc::call_context& ctx) {
    parked->push_back(ctx.defer());
  });
  root->expose("release", [parked](const value& x) {
    for (auto& r : *parked)
      r.deliver(x);
    auto n = parked->size();
    parked->clear();
    return n;
  });
  auto srv = mas::rpc::start_server(
    sys, mas::net::endpoint::tcp("127.0.0.1", 0), root);
  REQUIRE(srv);
  auto client = mas::rpc::open_connection(sys, srv->local_endpoint());
  REQUIRE(client);
  // Two calls wait; a third one completes and releases them.
  auto first = self->request(client->channel, 10s, mas::call_atom_v,
                             std::string{"park"}, array{}, dict{});
  auto second = self->request(client->channel, 10s, mas::call_atom_v,
                              std::string{"park"}, array{}, dict{});
  auto released = call(client->channel, "release", {"done"});
  REQUIRE(released);
  CHECK(*released == value{2});
  for (auto* h : {&first, &second})
    h->receive([](value& x) { CHECK(x == value{"done"}); },
               [](caf::error& err) { FAIL(mas::error_text(err)); });
}

namespace {

using adder_actor
  = caf::typed_actor<caf::replies_to<caf::add_atom, int, int>::with<int>>;

adder_actor::behavior_type adder() {
  return {
    [](caf::add_atom, int a, int b) { return a + b; },
  };
}

} // namespace

TEST_CASE_METHOD(fixture, "typed actor handlers exposed by name") {
  auto calc = sys.spawn(adder);
  auto root = mas::rpc::service::make();
  root->expose_actor<int(int, int)>("add", calc, {"a", "b"}, caf::add_atom_v);
  auto srv = mas::rpc::start_server(
    sys, mas::net::endpoint::tcp("127.0.0.1", 0), root);
  REQUIRE(srv);
  auto client = mas::rpc::open_connection(sys, srv->local_endpoint());
  REQUIRE(client);
  CHECK(call(client->channel, "add", {20}, dict{{"b", 22}}) == value{42});
  auto bad = call(client->channel, "add", {"x", 1});
  REQUIRE(!bad);
  CHECK(mas::error_text(bad.error()).rfind("TypeError: ", 0) == 0);
  self->send_exit(calc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "bi-directional RPC: the server calls back") {
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
  auto srv = mas::rpc::start_server(
    sys, mas::net::endpoint::tcp("127.0.0.1", 0), root);
  REQUIRE(srv);
  auto mine = mas::rpc::service::make();
  mine->expose("get_client_name", []() { return std::string{"Monty"}; });
  auto client
    = mas::rpc::open_connection(sys, srv->local_endpoint(), {}, 0s, mine);
  REQUIRE(client);
  caf::expected<value> reply{value{}};
  client->remote.call(self.ptr(), "server_method", mine)
    .receive([&](value& x) { reply = std::move(x); },
             [&](caf::error& err) { reply = std::move(err); });
  REQUIRE(reply);
  CHECK(*reply == value{"Client name is \"Monty\""});
}

TEST_CASE_METHOD(fixture, "channel layer with a handler actor") {
  auto handler = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {
      [](mas::request_atom, value& x) -> caf::result<value> {
        if (x == value{"ohai"})
          return value{"cya"};
        return mas::make_error(mas::errc::invalid_argument, "say ohai");
      },
    };
  });
  auto srv
    = mas::channel::start_server(sys, mas::net::endpoint::tcp("127.0.0.1", 0),
                                 mas::channel::serve_by_actor(handler));
  REQUIRE(srv);
  auto conn = mas::channel::open_connection(sys, srv->local_endpoint());
  REQUIRE(conn);
  self->request(*conn, 10s, mas::request_atom_v, value{"ohai"})
    .receive([](value& x) { CHECK(x == value{"cya"}); },
             [](caf::error& err) { FAIL(mas::error_text(err)); });
  self->request(*conn, 10s, mas::request_atom_v, value{"hi"})
    .receive([](value&) { FAIL("no failure"); },
             [](caf::error& err) {
               CHECK(mas::is(err, mas::errc::remote_exception));
               CHECK(mas::error_text(err).find("say ohai")
                     != std::string::npos);
             });
  // A client without handler answers the server's requests with a failure.
  self->send_exit(handler, caf::exit_reason::user_shutdown);
}

// -- bad input and vanished peers ---------------------------------------------

TEST_CASE_METHOD(fixture, "garbage from a client closes that channel only") {
  auto srv = start_math(*this, mas::net::endpoint::tcp("127.0.0.1", 0));
  auto good = mas::rpc::open_connection(sys, srv.local_endpoint());
  REQUIRE(good);
  for (std::string garbage :
       {std::string{"\x00\x00\x00\x05hello", 9},         // invalid JSON
        std::string{"\xff\xff\xff\xff", 4},              // oversized header
        std::string{"\x00\x00\x00\x09[7, 0, 1]", 13},    // bad message type
        std::string{"\x00\x00\x00\x06[0, 1]", 10},       // not a triple
        std::string{"\x00\x00\x00\x09[1, 0, 1]", 13}}) { // unknown reply id
    auto fd = mas::net::connect_once(srv.local_endpoint());
    REQUIRE(::write(fd.get(), garbage.data(), garbage.size())
            == static_cast<ssize_t>(garbage.size()));
    // The server closes the connection: read sees EOF, nothing was answered.
    CHECK(read_all(fd.get()).empty());
    CHECK(call(good->channel, "addition/add", {1, 1}) == value{2});
  }
}

TEST_CASE_METHOD(fixture, "an RPC request with a bad shape gets a failure") {
  auto srv = start_math(*this, mas::net::endpoint::tcp("127.0.0.1", 0));
  auto fd = mas::net::connect_once(srv.local_endpoint());
  write_json_frame(fd.get(), R"([0, 0, ["echo", 1]])");
  write_json_frame(fd.get(), R"([0, 1, [5, [], {}]])");
  ::shutdown(fd.get(), SHUT_WR);
  auto reply = read_all(fd.get());
  mas::wire::frame_decoder frames;
  mas::wire::json_codec codec;
  std::vector<mas::wire::aiomas_message> msgs;
  frames.feed(reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size(),
              [&](const std::uint8_t* data, std::size_t size) {
                msgs.push_back(
                  mas::wire::parse_aiomas_message(codec.decode(data, size)));
              });
  REQUIRE(msgs.size() == 2);
  for (auto& msg : msgs) {
    CHECK(msg.type == mas::wire::message_type::exception);
    CHECK(msg.content.as_string().rfind("TypeError: ", 0) == 0);
  }
}

TEST_CASE_METHOD(fixture, "a vanished server fails every pending call") {
  // A raw server that accepts, reads the requests and closes.
  auto listener = mas::net::listen_on(mas::net::endpoint::tcp("127.0.0.1", 0));
  auto ep = mas::net::local_endpoint(listener.get());
  auto resets = std::make_shared<std::atomic<int>>(0);
  mas::channel::options opts;
  opts.on_connection_reset = [resets](const caf::error& err) {
    if (mas::is(err, mas::errc::connection_reset))
      ++*resets;
  };
  auto client = mas::rpc::open_connection(sys, ep, opts);
  REQUIRE(client);
  int peer = ::accept(listener.get(), nullptr, nullptr);
  REQUIRE(peer >= 0);
  constexpr int n = 20;
  std::vector<decltype(self->request(client->channel, caf::infinite,
                                     mas::call_atom_v, std::string{}, array{},
                                     dict{}))>
    handles;
  for (int i = 0; i < n; ++i)
    handles.push_back(self->request(client->channel, caf::infinite,
                                    mas::call_atom_v, std::string{"slow"},
                                    array{i}, dict{}));
  self->monitor(client->channel);
  // Wait until all requests reached the peer, then vanish.
  std::string seen;
  char buf[4096];
  while (std::count(seen.begin(), seen.end(), '[') < 3 * n) {
    auto got = ::read(peer, buf, sizeof(buf));
    REQUIRE(got > 0);
    seen.append(buf, static_cast<std::size_t>(got));
  }
  ::close(peer);
  int failed = 0;
  for (auto& h : handles)
    h.receive([](value&) { FAIL("a call succeeded"); },
              [&](caf::error& err) {
                CHECK(mas::is(err, mas::errc::connection_reset));
                ++failed;
              });
  CHECK(failed == n);
  self->receive([](caf::down_msg& down) {
    CHECK(mas::is(down.reason, mas::errc::connection_reset));
  });
  CHECK(*resets == 1);
  // A call to the closed connection is answered at once with CAF's
  // "receiver down" error, never left waiting (CAF 0.17 brokers alone would
  // drop it and the call would time out).
  auto late = call(client->channel, "slow", {0});
  REQUIRE(!late);
  INFO(sys.render(late.error()));
  CHECK(late.error() == caf::sec::request_receiver_down);
}

TEST_CASE_METHOD(fixture, "closing waits like aiomas's close and wait_closed") {
  auto srv = start_math(*this, mas::net::endpoint::tcp("127.0.0.1", 0));
  auto ep = srv.local_endpoint();
  auto client = mas::rpc::open_connection(sys, ep);
  REQUIRE(client);
  REQUIRE(call(client->channel, "echo", {1}) == value{1});
  // After close_and_wait the connection actor is gone: a call bounces.
  mas::channel::close_and_wait(client->channel);
  auto late = call(client->channel, "echo", {2});
  REQUIRE(!late);
  CHECK(late.error() == caf::sec::request_receiver_down);
  mas::channel::close_and_wait(client->channel); // again: returns at once
  // After wait_closed nobody listens on the port any more.
  srv.wait_closed();
  auto refused = mas::rpc::open_connection(sys, ep);
  REQUIRE(!refused);
  CHECK(mas::is(refused.error(), mas::errc::connect_failed));
  srv.wait_closed(); // again: returns at once
}

TEST_CASE_METHOD(fixture,
                 "a reply to an unknown id closes the client channel") {
  auto listener = mas::net::listen_on(mas::net::endpoint::tcp("127.0.0.1", 0));
  auto client
    = mas::rpc::open_connection(sys, mas::net::local_endpoint(listener.get()));
  REQUIRE(client);
  int peer = ::accept(listener.get(), nullptr, nullptr);
  REQUIRE(peer >= 0);
  auto pending = self->request(client->channel, caf::infinite, mas::call_atom_v,
                               std::string{"f"}, array{}, dict{});
  write_json_frame(peer, "[1, 99, null]");
  pending.receive(
    [](value&) { FAIL("no failure"); },
    [](caf::error& err) { CHECK(mas::is(err, mas::errc::protocol_error)); });
  ::close(peer);
}

TEST_CASE_METHOD(fixture, "connect failures are typed") {
  auto res
    = mas::rpc::open_connection(sys, mas::net::endpoint::tcp("127.0.0.1", 1));
  REQUIRE(!res);
  CHECK(mas::is(res.error(), mas::errc::connect_failed));
  auto unix_res = mas::channel::open_connection(
    sys, mas::net::endpoint::unix_socket("/nonexistent/mas.sock"));
  REQUIRE(!unix_res);
  CHECK(mas::is(unix_res.error(), mas::errc::connect_failed));
}

// -- TLS ----------------------------------------------------------------------

namespace {} // namespace

TEST_CASE_METHOD(fixture, "RPC over mutual TLS") {
  auto dir = mas::test::make_certs();
  mas::channel::options server_opts;
  server_opts.transport.tls = mas::net::make_ssl_server_context(
    dir + "/ca.pem", dir + "/server.pem", dir + "/server.key");
  auto srv
    = start_math(*this, mas::net::endpoint::tcp("127.0.0.1", 0), server_opts);
  mas::channel::options client_opts;
  client_opts.transport.tls = mas::net::make_ssl_client_context(
    dir + "/ca.pem", dir + "/client.pem", dir + "/client.key");
  auto client
    = mas::rpc::open_connection(sys, srv.local_endpoint(), client_opts);
  REQUIRE(client);
  CHECK(call(client->channel, "addition/add", {40, 2}) == value{42});
  std::string big(3 * 1024 * 1024, 'x');
  CHECK(call(client->channel, "echo", {big}) == value{big});
  SECTION("a client trusting another CA rejects the server") {
    mas::channel::options other;
    other.transport.tls = mas::net::make_ssl_client_context(
      dir + "/other-ca.pem", dir + "/client.pem", dir + "/client.key");
    auto res = mas::rpc::open_connection(sys, srv.local_endpoint(), other);
    REQUIRE(!res);
    CHECK(mas::is(res.error(), mas::errc::tls_failure));
  }
  SECTION("the server rejects a client certificate from another CA") {
    mas::channel::options other;
    other.transport.tls = mas::net::make_ssl_client_context(
      dir + "/ca.pem", dir + "/other-client.pem", dir + "/other-client.key");
    auto res = mas::rpc::open_connection(sys, srv.local_endpoint(), other);
    // TLS 1.3 may finish the client side before the server's verdict.
    if (res) {
      auto after = call(res->channel, "echo", {1});
      CHECK(!after);
    } else {
      CHECK(mas::is(res.error(), mas::errc::tls_failure));
    }
  }
  SECTION("the host name must match the certificate") {
    mas::channel::options other = client_opts;
    other.transport.tls_host = "example.com";
    auto res = mas::rpc::open_connection(sys, srv.local_endpoint(), other);
    REQUIRE(!res);
    CHECK(mas::is(res.error(), mas::errc::tls_failure));
  }
  std::system(("rm -rf " + dir).c_str());
}
