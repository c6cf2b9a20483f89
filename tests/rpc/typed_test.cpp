// Typed end to end: a struct described once with MAS_DESCRIBE is both a wire
// type and a CAF message type, and a typed actor's handlers are exposed by
// name with their signatures deduced from its interface. C++ on both ends,
// over real loopback sockets.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/make_message.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/client.hpp"
#include "mas/rpc/service.hpp"
#include "mas/wire/convert.hpp"

using namespace std::chrono_literals;
using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;

namespace {

// -- one description for the wire and for CAF ---------------------------------

struct point {
  std::int64_t x = 0;
  std::int64_t y = 0;
};

MAS_DESCRIBE(point, x, y)

bool operator==(const point& a, const point& b) {
  return a.x == b.x && a.y == b.y;
}

// -- a typed actor ------------------------------------------------------------

using scale_atom = caf::atom_constant<caf::atom("scale")>;
using centroid_atom = caf::atom_constant<caf::atom("centroid")>;
using divmod_atom = caf::atom_constant<caf::atom("divmod")>;
using wait_atom = caf::atom_constant<caf::atom("wait")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

constexpr scale_atom scale_atom_v{};
constexpr centroid_atom centroid_atom_v{};
constexpr divmod_atom divmod_atom_v{};
constexpr wait_atom wait_atom_v{};
constexpr release_atom release_atom_v{};
constexpr tick_atom tick_atom_v{};

using calc_actor = caf::typed_actor<
  caf::replies_to<caf::add_atom, std::int32_t,
                  std::int32_t>::with<std::int32_t>,
  caf::replies_to<scale_atom, point, std::int64_t>::with<point>,
  caf::replies_to<centroid_atom, std::vector<point>>::with<point>,
  caf::replies_to<divmod_atom, std::int32_t, std::int32_t>::with<std::int32_t,
                                                                 std::int32_t>,
  caf::reacts_to<caf::put_atom, std::string>,
  caf::replies_to<caf::get_atom>::with<std::string>,
  caf::replies_to<wait_atom>::with<std::int32_t>,
  caf::replies_to<release_atom>::with<std::int32_t>, caf::reacts_to<tick_atom>>;

struct calc_state {
  std::string stored;
  std::vector<caf::typed_response_promise<std::int32_t>> waiting;
  std::int32_t ticks = 0;
  bool released = false;
};

/// Ticks of the actor's own timer before a `wait` gives up (10 ms each).
constexpr std::int32_t max_ticks = 1000;

calc_actor::behavior_type calc(calc_actor::stateful_pointer<calc_state> self) {
  return {
    [](caf::add_atom, std::int32_t a, std::int32_t b) { return a + b; },
    [](scale_atom, point p, std::int64_t k) {
      return point{p.x * k, p.y * k};
    },
    [](centroid_atom, const std::vector<point>& ps) -> caf::result<point> {
      if (ps.empty())
        return caf::make_error(caf::sec::invalid_argument);
      point sum;
      for (auto& p : ps) {
        sum.x += p.x;
        sum.y += p.y;
      }
      auto n = static_cast<std::int64_t>(ps.size());
      return point{sum.x / n, sum.y / n};
    },
    [](divmod_atom, std::int32_t a,
       std::int32_t b) -> caf::result<std::int32_t, std::int32_t> {
      if (b == 0)
        return caf::make_error(caf::sec::invalid_argument);
      return {a / b, a % b};
    },
    [self](caf::put_atom, std::string x) { self->state.stored = std::move(x); },
    [self](caf::get_atom) { return self->state.stored; },
    // Answers once `release` came, sleeping on the actor's own timer
    // meanwhile (never blocking a thread); the answer counts the ticks.
    [self](wait_atom) {
      auto rp = self->make_response_promise<std::int32_t>();
      self->state.waiting.push_back(rp);
      if (self->state.waiting.size() == 1)
        self->delayed_send(self, 10ms, tick_atom_v);
      return rp;
    },
    [self](release_atom) {
      self->state.released = true;
      return static_cast<std::int32_t>(self->state.waiting.size());
    },
    [self](tick_atom) {
      auto& st = self->state;
      ++st.ticks;
      if (!st.released && st.ticks < max_ticks) {
        self->delayed_send(self, 10ms, tick_atom_v);
        return;
      }
      for (auto& rp : st.waiting) {
        if (st.released)
          rp.deliver(st.ticks);
        else
          rp.deliver(caf::make_error(caf::sec::request_timeout));
      }
      st.waiting.clear();
    },
  };
}

// -- the deduction at compile time --------------------------------------------

template <class... Ts>
using tl = caf::detail::type_list<Ts...>;

template <class Prefix>
using select = mas::rpc::detail::select_mpi<Prefix, calc_actor::signatures>;

static_assert(select<tl<caf::add_atom>>::matches == 1);
static_assert(std::is_same_v<select<tl<caf::add_atom>>::rest,
                             std::tuple<std::int32_t, std::int32_t>>);
static_assert(std::is_same_v<select<tl<divmod_atom>>::outputs,
                             caf::output_tuple<std::int32_t, std::int32_t>>);
static_assert(std::is_same_v<select<tl<caf::add_atom, std::int32_t>>::rest,
                             std::tuple<std::int32_t>>);
static_assert(select<tl<caf::sub_atom>>::matches == 0);
static_assert(select<tl<>>::matches == 9); // no prefix: every entry

using overloaded_actor = caf::typed_actor<
  caf::replies_to<caf::add_atom, std::int32_t>::with<std::int32_t>,
  caf::replies_to<caf::add_atom, double>::with<double>>;

static_assert(mas::rpc::detail::select_mpi<
                tl<caf::add_atom>, overloaded_actor::signatures>::matches
              == 2);
static_assert(
  mas::rpc::detail::select_mpi<tl<caf::add_atom, double>,
                               overloaded_actor::signatures>::matches
  == 1);

// -- fixture ------------------------------------------------------------------

struct config : caf::actor_system_config {
  config() {
    mas::configure(*this);
  }
};

mas::channel::options point_options() {
  mas::channel::options opts;
  opts.extra_types = {"point"};
  return opts;
}

struct fixture {
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  calc_actor calc_hdl = sys.spawn(calc);
  std::shared_ptr<mas::rpc::service> root = mas::rpc::service::make("Calc");
  std::optional<mas::transport::server> srv;
  std::optional<mas::rpc::client> client;

  fixture() {
    sys.await_actors_before_shutdown(false);
  }

  ~fixture() {
    self->send_exit(calc_hdl, caf::exit_reason::user_shutdown);
  }

  /// Serves `root` and connects a client; both know the type "point".
  void start() {
    auto s
      = mas::rpc::start_server(sys, mas::net::endpoint::tcp("127.0.0.1", 0),
                               root, nullptr, point_options());
    REQUIRE(s);
    srv.emplace(std::move(*s));
    auto c
      = mas::rpc::open_connection(sys, srv->local_endpoint(), point_options());
    REQUIRE(c);
    client.emplace(std::move(*c));
  }

  const mas::wire::type_registry& types() const {
    return client->remote.types();
  }

  /// Calls `path` with wire values and returns its result or error.
  caf::expected<value> call(std::string path, array args = {},
                            dict kwargs = {}) {
    caf::expected<value> result{value{}};
    client->remote.with_timeout(caf::duration{10s})
      .call_kw(self.ptr(), path, std::move(args), std::move(kwargs))
      .receive([&](value& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// The failure text of a call that must fail.
  std::string failure(std::string path, array args = {}, dict kwargs = {}) {
    auto res = call(std::move(path), std::move(args), std::move(kwargs));
    REQUIRE(!res);
    CHECK(mas::is(res.error(), mas::errc::remote_exception));
    return mas::error_text(res.error());
  }
};

bool starts_with(const std::string& str, const std::string& prefix) {
  return str.rfind(prefix, 0) == 0;
}

} // namespace

// -- item 1: a described struct is a CAF message type -------------------------

TEST_CASE("a described struct is a CAF message type") {
  static_assert(caf::detail::is_serializable<point>::value);
  static_assert(caf::detail::is_serializable<std::vector<point>>::value);
  config cfg;
  caf::actor_system sys{cfg};
  point p{3, -4};
  SECTION("printing shows the type name and fields") {
    CHECK(caf::deep_to_string(p) == "point(3, -4)");
    CHECK(caf::to_string(caf::make_message(p, std::int32_t{7}))
          == "(point(3, -4), 7)");
    CHECK(caf::deep_to_string(std::vector<point>{p, {1, 2}})
          == "[point(3, -4), point(1, 2)]");
  }
  SECTION("CAF's binary serialization round-trips it") {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    REQUIRE(!sink(p));
    CHECK(buf.size() == 2 * sizeof(std::int64_t));
    point q;
    caf::binary_deserializer source{sys, buf};
    REQUIRE(!source(q));
    CHECK(q == p);
    // Bad input: a truncated buffer is an error, not a crash.
    buf.resize(buf.size() - 1);
    point r;
    caf::binary_deserializer short_source{sys, buf};
    CHECK(short_source(r));
  }
  SECTION("the wire form is unchanged") {
    mas::wire::type_registry types;
    types.add("point");
    auto x = mas::wire::to_value(p, types);
    CHECK(x == value{mas::wire::ext{0, dict{{"x", 3}, {"y", -4}}}});
    CHECK(mas::wire::from_value<point>(x, types) == p);
  }
  SECTION("actors take and return it") {
    caf::scoped_actor self{sys};
    auto typed = sys.spawn(calc);
    self->request(typed, 10s, scale_atom_v, p, std::int64_t{2})
      .receive(
        [](point& q) {
          CHECK(q == point{6, -8});
        },
        [](caf::error& err) { FAIL(caf::to_string(err)); });
    self
      ->request(typed, 10s, centroid_atom_v, std::vector<point>{{0, 0}, {4, 2}})
      .receive(
        [](point& q) {
          CHECK(q == point{2, 1});
        },
        [](caf::error& err) { FAIL(caf::to_string(err)); });
    auto dynamic = sys.spawn([]() -> caf::behavior {
      return {[](point q) { return point{q.y, q.x}; }};
    });
    self->request(dynamic, 10s, p)
      .receive(
        [](point& q) {
          CHECK(q == point{-4, 3});
        },
        [](caf::error& err) { FAIL(caf::to_string(err)); });
    self->send_exit(typed, caf::exit_reason::user_shutdown);
    self->send_exit(dynamic, caf::exit_reason::user_shutdown);
  }
}

// -- item 2: typed handlers exposed by name -----------------------------------

TEST_CASE_METHOD(fixture, "typed handlers are exposed without signatures") {
  root->expose_typed("add", calc_hdl, {"a", "b"}, caf::add_atom_v);
  root->expose_typed("scale", calc_hdl, {"p", "k"}, scale_atom_v);
  root->expose_typed("centroid", calc_hdl, {"points"}, centroid_atom_v);
  root->expose_typed("divmod", calc_hdl, {"a", "b"}, divmod_atom_v);
  root->expose_typed("put", calc_hdl, {"text"}, caf::put_atom_v);
  root->expose_typed("get", calc_hdl, {}, caf::get_atom_v);
  // A longer prefix binds leading inputs: "add_one(a)" is add(1, a).
  root->expose_typed("add_one", calc_hdl, {"a"}, caf::add_atom_v,
                     std::int32_t{1});
  start();
  SECTION("one result converts back") {
    CHECK(call("add", {20, 22}) == value{42});
    CHECK(call("add", {20}, dict{{"b", 22}}) == value{42});
    CHECK(call("add_one", {41}) == value{42});
  }
  SECTION("described structs are arguments and results") {
    auto res = call("scale", {mas::wire::to_value(point{2, 3}, types()), 5});
    REQUIRE(res);
    CHECK(mas::wire::from_value<point>(*res, types()) == point{10, 15});
    array points{mas::wire::to_value(point{0, 0}, types()),
                 mas::wire::to_value(point{2, 4}, types())};
    res = call("centroid", {}, dict{{"points", points}});
    REQUIRE(res);
    CHECK(mas::wire::from_value<point>(*res, types()) == point{1, 2});
  }
  SECTION("several results are a tuple") {
    auto res = call("divmod", {7, 2});
    REQUIRE(res);
    auto& xs = res->as_array();
    REQUIRE(xs.size() == 2);
    CHECK(xs[0] == value{3});
    CHECK(xs[1] == value{1});
  }
  SECTION("no result is None, and the handler ran") {
    CHECK(call("put", {"stored"}) == value{});
    CHECK(call("get") == value{"stored"});
  }
  SECTION("the actor's errors fail the call") {
    CHECK(failure("divmod", {1, 0}) == "Exception: caf.invalid_argument");
    CHECK(failure("centroid", {value{array{}}})
          == "Exception: caf.invalid_argument");
  }
  SECTION("bad arguments fail like Python's") {
    CHECK(failure("add", {"x", 1}) == "TypeError: expected int, got str 'x'");
    CHECK(failure("add", {1, 2, 3})
          == "TypeError: add() takes 2 positional arguments but 3 were given");
    CHECK(failure("add", {1})
          == "TypeError: add() missing 1 required positional argument: 'b'");
    CHECK(failure("add", {1}, dict{{"c", 2}})
          == "TypeError: add() got an unexpected keyword argument 'c'");
    CHECK(failure("add", {std::int64_t{1} << 40, 1})
          == "TypeError: expected int in the range of the target type, got "
             "int 1099511627776");
    // A point must come as the registered extension type, not a dict ...
    CHECK(failure("scale", {dict{{"x", 1}, {"y", 2}}, 2})
          == "TypeError: expected extension value, got dict");
    // ... with exactly its fields, like Python's `cls(**d)`.
    auto extra = mas::wire::ext{0, dict{{"x", 1}, {"y", 2}, {"z", 3}}};
    CHECK(failure("scale", {extra, 2})
          == "TypeError: point() got an unexpected field 'z'");
    auto missing = mas::wire::ext{0, dict{{"x", 1}}};
    CHECK(failure("scale", {missing, 2})
          == "TypeError: point() missing required field 'y'");
    CHECK(starts_with(failure("centroid", {value{array{1, 2}}}),
                      "TypeError: expected extension value"));
    // The connection still serves.
    CHECK(call("add", {1, 1}) == value{2});
  }
}

TEST_CASE_METHOD(fixture, "a typed proxy call passes a described struct") {
  root->expose_typed("scale", calc_hdl, {"p", "k"}, scale_atom_v);
  start();
  std::optional<point> result;
  client->remote.with_timeout(caf::duration{10s})
    .call<point>(self.ptr(), "scale", point{-1, 2}, std::int64_t{3})
    .receive([&](point q) { result = q; },
             [](caf::error& err) { FAIL(mas::error_text(err)); });
  REQUIRE(result);
  CHECK(*result == point{-3, 6});
}

TEST_CASE_METHOD(fixture, "several handlers of a typed actor in one call") {
  using mas::rpc::method;
  root->expose_typed(calc_hdl, method("add", {"a", "b"}, caf::add_atom_v),
                     method("divmod", {"a", "b"}, divmod_atom_v),
                     method("get", {}, caf::get_atom_v));
  start();
  CHECK(call("add", {}, dict{{"a", 2}, {"b", 3}}) == value{5});
  CHECK(call("divmod", {9, 4})->as_array().size() == 2);
  CHECK(call("get") == value{""});
  // Handlers not listed stay private, e.g. the actor's own timer.
  CHECK(starts_with(failure("tick"),
                    "LookupError: Name \"tick\" not found in \"\""));
  // More names than parameters is a mistake found when exposing.
  CHECK_THROWS_AS(
    root->expose_typed("bad", calc_hdl, {"a", "b", "c"}, caf::add_atom_v),
    std::invalid_argument);
  CHECK_THROWS_AS(root->expose_actor<std::int32_t(std::int32_t)>(
                    "bad", calc_hdl, {"a", "b"}, caf::add_atom_v),
                  std::invalid_argument);
}

TEST_CASE_METHOD(fixture, "a slow typed handler does not hold up others") {
  root->expose_typed("wait", calc_hdl, {}, wait_atom_v);
  root->expose_typed("release", calc_hdl, {}, release_atom_v);
  start();
  // `wait` answers only after `release` arrived, sleeping on the actor's
  // timer meanwhile. Both calls share one connection: if `wait` held up the
  // connection (or CAF's I/O thread), `release` would never get through and
  // `wait` would fail after max_ticks.
  auto remote = client->remote.with_timeout(caf::duration{30s});
  auto waiting = remote.call(self.ptr(), "wait");
  caf::expected<value> released{value{}};
  remote.call(self.ptr(), "release")
    .receive([&](value& x) { released = std::move(x); },
             [&](caf::error& err) { released = std::move(err); });
  REQUIRE(released);
  CHECK(*released == value{1}); // `wait` was pending when `release` ran
  caf::expected<value> waited{value{}};
  waiting.receive([&](value& x) { waited = std::move(x); },
                  [&](caf::error& err) { waited = std::move(err); });
  REQUIRE(waited);
  CHECK(waited->as_int64() >= 1);        // it slept on the timer
  CHECK(waited->as_int64() < max_ticks); // and woke because of `release`
}
