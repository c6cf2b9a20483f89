// mango's external-scheduling container: step semantics as reference §6
// describes them (the clock set first, time never goes back, run until
// every agent is idle or sleeping, output times = step time + wall time,
// next_activity from the clock), internal messages within a step, and
// bad input.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mas/mango/agent.hpp"
#include "mas/mango/external_container.hpp"
#include "mas/wire/convert.hpp"

using mas::wire::byte_buffer;
using mas::wire::dict;
using mas::wire::value;
namespace mango = mas::mango;

namespace {

/// Replies "reply:<content>" to remote_agent at other_sim_eid and plans a
/// task at time 5 that sends "late" there.
class ponger : public mango::agent {
public:
  using agent::agent;

  const char* name() const override {
    return "Ponger";
  }

  void on_ready() override {
    schedule_timestamp_task(
      [this] {
        send_message("late",
                     mango::addr(value{"other_sim_eid"}, "remote_agent"));
      },
      5.0);
  }

  void handle_message(const value& content, const dict&) override {
    send_message("reply:" + content.as_string(),
                 mango::addr(value{"other_sim_eid"}, "remote_agent"));
  }
};

/// Passes a counter back and forth inside the container until it is 0.
class bouncer : public mango::agent {
public:
  using agent::agent;

  void handle_message(const value& content, const dict& meta) override {
    auto n = content.as_int64();
    if (n == 0) {
      send_message("done", mango::addr(value{"sim"}, "observer"));
      return;
    }
    send_message(n - 1, mango::sender_addr(meta));
  }
};

/// A MangoMessage for `aid` as a simulator would pass it in (mango 2.4,
/// Python 3.11 ids).
byte_buffer incoming(const std::string& content_json, const std::string& aid) {
  auto text = R"({"__type__": [-1465703651, {"content": )" + content_json
              + R"(, "meta": {"sender_id": "sim_agent", "sender_addr": "sim", )"
                R"("receiver_id": ")"
              + aid + R"("}}]})";
  return byte_buffer(text.begin(), text.end());
}

std::string text_of(const byte_buffer& xs) {
  return std::string(xs.begin(), xs.end());
}

} // namespace

TEST_CASE("step: replies come out with times, tasks set next_activity") {
  auto c = mango::create_ec_container("eid_1");
  c->register_agent<ponger>("a");
  c->on_ready();
  auto out = c->step(1.0, {incoming("\"hello\"", "a")});
  REQUIRE(out.messages.size() == 1);
  auto& m = out.messages[0];
  CHECK(m.receiver == value{"other_sim_eid"});
  CHECK(m.time >= 1.0);
  CHECK(m.time <= 1.0 + out.duration);
  CHECK(text_of(m.message)
        == R"({"__type__": [-1465703651, {"content": "reply:hello", "meta": )"
           R"({"sender_id": "a", "sender_addr": "eid_1", "receiver_id": )"
           R"("remote_agent", "receiver_addr": "other_sim_eid"}}]})");
  REQUIRE(out.next_activity);
  CHECK(*out.next_activity == 5.0);
  SECTION("the task fires in step(5), then nothing is planned") {
    auto later = c->step(5.0, {});
    REQUIRE(later.messages.size() == 1);
    CHECK(text_of(later.messages[0].message).find("\"late\"")
          != std::string::npos);
    CHECK(later.messages[0].time >= 5.0);
    CHECK(!later.next_activity);
  }
  SECTION("the same time again is allowed, an earlier one is not") {
    CHECK(c->step(1.0, {}).messages.empty());
    CHECK_THROWS_WITH(c->step(0.5, {}), "Time must be > 1.0 but is 0.5.");
  }
}

TEST_CASE("step: internal messages run to the end within one step") {
  auto c = mango::create_ec_container("sim2");
  c->register_agent<bouncer>("ping");
  c->register_agent<bouncer>("pong");
  // 200 internal hops between ping and pong, then "done" goes out.
  value n{200};
  REQUIRE(c->send_message(n, c->agent_addr("pong"), "ping"));
  auto out = c->step(1.0, {});
  REQUIRE(out.messages.size() == 1);
  CHECK(out.messages[0].receiver == value{"sim"});
  CHECK(c->stats().delivered == 201);
}

TEST_CASE("step: bad input is dropped and counted, unknown aids too") {
  auto c = mango::create_ec_container("sim3");
  c->register_agent<ponger>("a");
  std::string garbage = "{nope";
  auto out = c->step(2.0, {byte_buffer(garbage.begin(), garbage.end()),
                           incoming("1", "nobody"), incoming("\"x\"", "a")});
  CHECK(out.messages.size() == 1);
  auto st = c->stats();
  CHECK(st.malformed == 1);
  CHECK(st.unknown_receiver == 1);
  CHECK(st.received == 3);
}
