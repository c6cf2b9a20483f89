#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "mas/agent/clock.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"

using namespace std::chrono_literals;
using mas::wire::date;
using mas::wire::format_date;

namespace {

struct config : caf::actor_system_config {
  config() {
    mas::configure(*this);
  }
};

struct fixture {
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
};

date at(std::string_view str) {
  auto d = mas::wire::parse_date(str);
  REQUIRE(d);
  return *d;
}

/// The text of what `f` throws, prefixed with the exception's kind.
template <class F>
std::string thrown(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return std::string{"invalid_argument: "} + e.what();
  } catch (const std::logic_error& e) {
    return std::string{"logic_error: "} + e.what();
  } catch (const std::exception& e) {
    return std::string{"exception: "} + e.what();
  }
  return "nothing";
}

/// What a test actor reports: a label and the clock time it saw.
using event = std::pair<std::string, double>;

/// Receives `n` events (each within 30 s) in arrival order.
std::vector<event> collect(caf::scoped_actor& self, std::size_t n) {
  std::vector<event> result;
  for (std::size_t i = 0; i < n; ++i)
    self->receive([&](std::string& label,
                      double t) { result.emplace_back(std::move(label), t); },
                  caf::after(30s) >> [&] { FAIL("no event within 30 s"); });
  return result;
}

/// Receives one text (within 30 s).
std::string receive_text(caf::scoped_actor& self) {
  std::string result;
  self->receive([&](std::string& text) { result = std::move(text); },
                caf::after(30s) >> [&] { FAIL("no answer within 30 s"); });
  return result;
}

} // namespace

// -- time and dates
// -------------------------------------------------------------

TEST_CASE_METHOD(fixture, "a real-time clock reads the monotonic and system "
                          "clocks") {
  auto clk = mas::clock::realtime(sys);
  CHECK_FALSE(clk.is_external());
  auto t1 = clk.time();
  auto t2 = clk.time();
  CHECK(t2 >= t1);
  auto now = clk.utcnow();
  CHECK(now.offset_minutes == 0);
  auto sys_now
    = date::from_unix(std::chrono::duration<double>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
  CHECK(std::abs(sys_now - now) < 60.0);
  CHECK(clk.next_activity() == std::nullopt);
  CHECK(thrown([&] { clk.set_time(t2 + 1); })
        == "logic_error: set_time() needs an external clock; this clock is "
           "real-time");
}

TEST_CASE_METHOD(fixture, "an external clock starts at its date and moves "
                          "only by set_time") {
  auto clk = mas::clock::external(sys, "2016-01-01T00:00:00");
  CHECK(clk.is_external());
  CHECK(clk.time() == 0.0);
  CHECK(format_date(clk.utcnow()) == "2016-01-01T00:00:00+00:00");
  clk.set_time(1.5);
  CHECK(clk.time() == 1.5);
  CHECK(format_date(clk.utcnow()) == "2016-01-01T00:00:01.500000+00:00");
  clk.set_time(86400);
  CHECK(format_date(clk.utcnow()) == "2016-01-02T00:00:00+00:00");
  // utcnow() = start + time() (arrow 0.12's replace(seconds=...)), also
  // with an init_time; a start with an offset is converted to UTC.
  auto later = mas::clock::external(sys, at("2016-01-01T01:00:00+01:00"), 10);
  CHECK(later.time() == 10.0);
  CHECK(format_date(later.utcnow()) == "2016-01-01T00:00:10+00:00");
  CHECK(thrown([&] { mas::clock::external(sys, "xyz"); })
        == "invalid_argument: invalid date \"xyz\"");
}

TEST_CASE_METHOD(fixture, "set_time wants a later time, with aiomas's text") {
  auto clk = mas::clock::external(sys, "2016-01-01");
  CHECK(thrown([&] { clk.set_time(0); })
        == "invalid_argument: Time must be > 0.0 but is 0.0");
  CHECK(thrown([&] { clk.set_time(-1); })
        == "invalid_argument: Time must be > 0.0 but is -1.0");
  clk.set_time(1);
  CHECK(thrown([&] { clk.set_time(0.5); })
        == "invalid_argument: Time must be > 1.0 but is 0.5");
  CHECK(thrown([&] { clk.set_time(1e-05); })
        == "invalid_argument: Time must be > 1.0 but is 1e-05");
  CHECK(thrown([&] { clk.set_time(1); })
        == "invalid_argument: Time must be > 1.0 but is 1.0");
  CHECK(thrown([&] { clk.set_time(std::nan("")); })
        == "invalid_argument: Time must be > 1.0 but is nan");
  CHECK(clk.time() == 1.0);
  clk.set_time(1e16);
  CHECK(clk.time() == 1e16);
  CHECK(thrown([&] { clk.set_time(1); })
        == "invalid_argument: Time must be > 1e+16 but is 1.0");
}

TEST_CASE_METHOD(fixture, "dates become clock times; past dates are errors") {
  auto clk = mas::clock::external(sys, "2016-01-01");
  CHECK(clk.time_of(at("2016-01-01T00:00:10")) == 10.0);
  CHECK(clk.time_of(at("2016-01-01T01:00:05+01:00")) == 5.0);
  CHECK(clk.time_of(at("2016-01-01T00:00:00.000001")) == 1e-06);
  CHECK(thrown([&] { clk.time_of(at("2016-01-01")); })
        == "invalid_argument: Date \"2016-01-01T00:00:00+00:00\" is in the "
           "past");
  // The date as given, in its own offset (str(arrow)).
  CHECK(thrown([&] { clk.time_of(at("2016-01-01T00:59:59+01:00")); })
        == "invalid_argument: Date \"2016-01-01T00:59:59+01:00\" is in the "
           "past");
  clk.set_time(30);
  CHECK(thrown([&] { clk.time_of(at("2016-01-01T00:00:10")); })
        == "invalid_argument: Date \"2016-01-01T00:00:10+00:00\" is in the "
           "past");
  CHECK(clk.time_of(at("2016-01-01T00:01:00")) == 60.0);
  // On a real-time clock: relative to utcnow(), on the monotonic scale.
  auto rt = mas::clock::realtime(sys);
  auto before = rt.time();
  auto t = rt.time_of(rt.utcnow().plus(3600));
  CHECK(t > before + 3500);
  CHECK(thrown([&] { rt.time_of(at("2016-01-01")); })
        == "invalid_argument: Date \"2016-01-01T00:00:00+00:00\" is in the "
           "past");
}

// -- sleeping
// ---------------------------------------------------------------------

TEST_CASE_METHOD(fixture, "bad sleeps fail at the call with aiomas's texts") {
  auto clk = mas::clock::external(sys, "2016-01-01", 1);
  auto s = self.ptr();
  CHECK(thrown([&] { clk.sleep(s, 0); })
        == "invalid_argument: dt must be > 0 but is 0.0");
  CHECK(thrown([&] { clk.sleep(s, -1.5); })
        == "invalid_argument: dt must be > 0 but is -1.5");
  CHECK(thrown([&] { clk.sleep(s, std::nan("")); })
        == "invalid_argument: dt must be > 0 but is nan");
  CHECK(thrown([&] { clk.sleep_until(s, 1); })
        == "invalid_argument: Date \"1.0\" is in the past");
  CHECK(thrown([&] { clk.sleep_until(s, 0.5); })
        == "invalid_argument: Date \"0.5\" is in the past");
  CHECK(thrown([&] { clk.sleep_until(s, at("2016-01-01T00:00:01")); })
        == "invalid_argument: Date \"2016-01-01T00:00:01+00:00\" is in the "
           "past");
  // The same for scheduled calls (from an event-based actor).
  sys.spawn(
    [clk](caf::event_based_actor* a, caf::actor to) {
      auto report = [&](auto f) { a->send(to, thrown(f)); };
      report([&] { clk.call_in(a, 0, [] {}); });
      report([&] { clk.call_at(a, 1, [] {}); });
      report([&] { clk.call_at(a, at("2015-01-01"), [] {}); });
    },
    caf::actor_cast<caf::actor>(self));
  CHECK(receive_text(self) == "invalid_argument: dt must be > 0 but is 0.0");
  CHECK(receive_text(self) == "invalid_argument: Date \"1.0\" is in the past");
  CHECK(receive_text(self)
        == "invalid_argument: Date \"2015-01-01T00:00:00+00:00\" is in the "
           "past");
  // Nothing was registered.
  CHECK(clk.next_activity() == std::nullopt);
  // A real-time clock checks sleep_until and call_at alike, but not dt.
  auto rt = mas::clock::realtime(sys);
  CHECK(thrown([&] {
          rt.sleep_until(s, rt.time() - 1);
        }).rfind("invalid_argument: Date \"", 0)
        == 0);
}

TEST_CASE_METHOD(fixture, "one actor's sleeps and calls wake in deadline "
                          "order, ties first come first served") {
  auto clk = mas::clock::external(sys, "2016-01-01");
  sys.spawn(
    [clk](caf::event_based_actor* a, caf::actor to) {
      auto wake = [a, to](std::string label) {
        return [a, to, label](double t) { a->send(to, label, t); };
      };
      clk.sleep_until(a, 3).then(wake("A@3"));
      clk.sleep(a, 1).then(wake("B@1"));
      clk.sleep_until(a, at("2016-01-01T00:00:03")).then(wake("C@3"));
      clk.call_at(a, 2, [a, to, clk] { a->send(to, "D@2", clk.time()); });
      clk.call_in(a, 3, [a, to, clk] { a->send(to, "E@3", clk.time()); });
      clk.sleep(a, 5).then(wake("F@5"));
      clk.call_at(a, 1, [a, to, clk] { a->send(to, "G@1", clk.time()); });
      a->send(to, "registered", clk.time());
    },
    caf::actor_cast<caf::actor>(self));
  CHECK(collect(self, 1) == std::vector<event>{{"registered", 0.0}});
  CHECK(clk.next_activity() == 1.0);
  clk.set_time(2);
  CHECK(clk.next_activity() == 3.0);
  CHECK(collect(self, 3)
        == std::vector<event>{{"B@1", 2.0}, {"G@1", 2.0}, {"D@2", 2.0}});
  clk.set_time(4);
  CHECK(clk.next_activity() == 5.0);
  CHECK(collect(self, 3)
        == std::vector<event>{{"A@3", 4.0}, {"C@3", 4.0}, {"E@3", 4.0}});
  clk.set_time(100);
  CHECK(clk.next_activity() == std::nullopt);
  CHECK(collect(self, 1) == std::vector<event>{{"F@5", 100.0}});
}

TEST_CASE_METHOD(fixture, "sleeps from several actors wake at their times") {
  auto clk = mas::clock::external(sys, "2016-01-01");
  constexpr int n = 4;
  for (int i = 0; i < n; ++i)
    sys.spawn(
      [clk, i](caf::event_based_actor* a, caf::actor to) {
        auto name = "actor" + std::to_string(i);
        // Every actor: one sleep until 1, one until 2, one until 2 + i.
        for (double t : {1.0, 2.0, 2.0 + i})
          clk.sleep_until(a, t).then([a, to, name, t](double now) {
            a->send(to, name + "@" + std::to_string(static_cast<int>(t)), now);
          });
        a->send(to, name, clk.time());
      },
      caf::actor_cast<caf::actor>(self));
  collect(self, n); // registered
  CHECK(clk.next_activity() == 1.0);
  auto sorted = [](std::vector<event> xs) {
    std::sort(xs.begin(), xs.end());
    return xs;
  };
  clk.set_time(1);
  CHECK(sorted(collect(self, n))
        == std::vector<event>{{"actor0@1", 1.0},
                              {"actor1@1", 1.0},
                              {"actor2@1", 1.0},
                              {"actor3@1", 1.0}});
  // actor0's third sleep is also at 2.
  clk.set_time(2);
  CHECK(sorted(collect(self, n + 1))
        == std::vector<event>{{"actor0@2", 2.0},
                              {"actor0@2", 2.0},
                              {"actor1@2", 2.0},
                              {"actor2@2", 2.0},
                              {"actor3@2", 2.0}});
  CHECK(clk.next_activity() == 3.0);
  clk.set_time(10);
  CHECK(sorted(collect(self, n - 1))
        == std::vector<event>{
          {"actor1@3", 10.0}, {"actor2@4", 10.0}, {"actor3@5", 10.0}});
  CHECK(clk.next_activity() == std::nullopt);
}

TEST_CASE_METHOD(fixture, "an actor sleeps on dates") {
  auto clk = mas::clock::external(sys, "2016-01-01");
  sys.spawn(
    [clk](caf::event_based_actor* a, caf::actor to) {
      clk.sleep_until(a, at("2016-01-01T00:00:10Z"))
        .then([a, to, clk](double t) {
          a->send(to, format_date(clk.utcnow()), t);
        });
      clk.sleep_until(a, at("2016-01-01T01:00:05+01:00"))
        .then([a, to, clk](double t) {
          a->send(to, format_date(clk.utcnow()), t);
        });
      a->send(to, "registered", clk.time());
    },
    caf::actor_cast<caf::actor>(self));
  collect(self, 1);
  CHECK(clk.next_activity() == 5.0);
  clk.set_time(5);
  CHECK(collect(self, 1)
        == std::vector<event>{{"2016-01-01T00:00:05+00:00", 5.0}});
  clk.set_time(10);
  CHECK(collect(self, 1)
        == std::vector<event>{{"2016-01-01T00:00:10+00:00", 10.0}});
}

TEST_CASE_METHOD(fixture, "set_time from main wakes a blocking sleeper") {
  auto clk = mas::clock::external(sys, "2016-01-01");
  sys.spawn(
    [clk](caf::blocking_actor* a, caf::actor to) {
      auto pending = clk.sleep(a, 2.5);
      a->send(to, "sleeping", clk.time());
      pending.receive(
        [&](double t) { a->send(to, "woken", t); },
        [&](caf::error& err) { a->send(to, mas::render(err), -1.0); });
    },
    caf::actor_cast<caf::actor>(self));
  CHECK(collect(self, 1) == std::vector<event>{{"sleeping", 0.0}});
  CHECK(clk.next_activity() == 2.5);
  clk.set_time(1);
  clk.set_time(3);
  CHECK(collect(self, 1) == std::vector<event>{{"woken", 3.0}});
}

// -- scheduled calls
// ------------------------------------------------------------

TEST_CASE_METHOD(fixture, "scheduled calls run in the actor; cancelled ones "
                          "never run") {
  auto clk = mas::clock::external(sys, "2016-01-01");
  sys.spawn(
    [clk](caf::event_based_actor* a, caf::actor to) {
      auto log = [a, to, clk](std::string label) {
        return [a, to, clk, label] { a->send(to, label, clk.time()); };
      };
      auto h1 = clk.call_in(a, 1, log("one"));
      auto h2 = clk.call_in(a, 2, log("two"));
      clk.call_in(a, 3, log("three"));
      h2.cancel();
      h2.cancel(); // twice: no effect
      // Both due at 4: the first cancels the second, whose wake-up is already
      // on its way to the actor.
      auto h5 = std::make_shared<mas::timer_handle>();
      clk.call_at(a, 4, [a, to, clk, h5] {
        h5->cancel();
        a->send(to, "four", clk.time());
      });
      *h5 = clk.call_at(a, 4, log("five"));
      clk.call_at(a, 6, log("six"));
      a->send(to, std::string{h2.cancelled() && !h1.cancelled() ? "ok" : "?"},
              clk.time());
    },
    caf::actor_cast<caf::actor>(self));
  CHECK(collect(self, 1) == std::vector<event>{{"ok", 0.0}});
  CHECK(clk.next_activity() == 1.0);
  clk.set_time(5);
  CHECK(clk.next_activity() == 6.0);
  CHECK(collect(self, 3)
        == std::vector<event>{{"one", 5.0}, {"three", 5.0}, {"four", 5.0}});
  clk.set_time(7);
  // "five" never ran: "six" comes next.
  CHECK(collect(self, 1) == std::vector<event>{{"six", 7.0}});
  // A default handle refers to no timer.
  mas::timer_handle none;
  none.cancel();
  CHECK_FALSE(none.cancelled());
}

TEST_CASE_METHOD(fixture, "next_activity skips cancelled timers") {
  auto clk = mas::clock::external(sys, "2016-01-01");
  sys.spawn(
    [clk](caf::event_based_actor* a, caf::actor to) {
      auto h = clk.call_in(a, 1, [a, to] { a->send(to, "ran", 0.0); });
      clk.call_in(a, 5, [a, to] { a->send(to, "five", 0.0); });
      a->send(to, "registered", clk.next_activity().value_or(-1));
      h.cancel();
      a->send(to, "cancelled", clk.next_activity().value_or(-1));
    },
    caf::actor_cast<caf::actor>(self));
  CHECK(collect(self, 2)
        == std::vector<event>{{"registered", 1.0}, {"cancelled", 5.0}});
  clk.set_time(5);
  CHECK(collect(self, 1) == std::vector<event>{{"five", 0.0}});
  CHECK(clk.next_activity() == std::nullopt);
}

// -- real time
// --------------------------------------------------------------------

TEST_CASE_METHOD(fixture, "real-time sleeps and calls wake after their time") {
  auto clk = mas::clock::realtime(sys);
  sys.spawn(
    [clk](caf::event_based_actor* a, caf::actor to) {
      auto start = clk.time();
      clk.sleep(a, 0.02).then([a, to, start](double t) {
        a->send(to, t >= start + 0.02 ? "slept 20 ms" : "woke early", t);
      });
      clk.call_in(a, 0.01, [a, to, start, clk] {
        a->send(to, clk.time() >= start + 0.01 ? "called after 10 ms" : "early",
                0.0);
      });
      auto at_date = clk.utcnow().plus(0.03);
      clk.sleep_until(a, at_date).then([a, to, clk, at_date](double) {
        // 1 ms for the system clock's and the monotonic clock's drift.
        auto now = clk.utcnow().plus(0.001);
        a->send(to, now >= at_date ? "date reached" : "date early", 0.0);
      });
      // dt <= 0 wakes at once (asyncio.sleep), before the others.
      clk.sleep(a, -1).then([a, to](double) { a->send(to, "at once", 0.0); });
    },
    caf::actor_cast<caf::actor>(self));
  auto events = collect(self, 4);
  std::vector<std::string> labels;
  for (auto& e : events)
    labels.push_back(e.first);
  CHECK(labels
        == std::vector<std::string>{"at once", "called after 10 ms",
                                    "slept 20 ms", "date reached"});
  CHECK(clk.next_activity() == std::nullopt);
}

TEST_CASE_METHOD(fixture, "a real-time sleep wakes a blocking actor") {
  auto clk = mas::clock::realtime(sys);
  auto before = clk.time();
  clk.sleep(self.ptr(), 0.01)
    .receive([&](double t) { CHECK(t >= before + 0.01); },
             [](caf::error& err) { FAIL(mas::render(err)); });
  // A cancelled real-time call does not run either.
  sys.spawn(
    [clk](caf::event_based_actor* a, caf::actor to) {
      auto h = clk.call_in(a, 0.01, [a, to] { a->send(to, "ran", 0.0); });
      h.cancel();
      clk.call_in(a, 0.02, [a, to] { a->send(to, "later", 0.0); });
    },
    caf::actor_cast<caf::actor>(self));
  CHECK(collect(self, 1) == std::vector<event>{{"later", 0.0}});
}

// -- lifetime
// ----------------------------------------------------------------------

namespace {

/// Runs `f` on a thread of its own and waits at most 60 s for it.
template <class F>
bool finishes(F f) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  std::thread{[f, done]() mutable {
    f();
    done->set_value();
  }}.detach();
  return fut.wait_for(60s) == std::future_status::ready;
}

} // namespace

TEST_CASE("a system with pending sleepers shuts down") {
  // A sleeper that holds the clocks is killed; the system then ends.
  CHECK(finishes([] {
    config cfg;
    caf::actor_system sys{cfg};
    auto clk = mas::clock::external(sys, "2016-01-01");
    auto rt = mas::clock::realtime(sys);
    auto sleeper = sys.spawn([clk, rt](caf::event_based_actor* a) {
      clk.sleep(a, 100).then([](double) {});
      rt.sleep(a, 3600).then([](double) {});
      return caf::behavior{[](int) {}};
    });
    caf::scoped_actor self{sys};
    self->send_exit(sleeper, caf::exit_reason::kill);
  }));
  // Once the last handle is gone, nobody can move an external clock: its
  // sleepers fail with request_receiver_down (like any request to a gone
  // actor) and end. A real-time clock still wakes its sleepers.
  CHECK(finishes([] {
    config cfg;
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    {
      auto clk = mas::clock::external(sys, "2016-01-01");
      auto rt = mas::clock::realtime(sys);
      for (auto& [c, dt] : {std::pair{clk, 100.0}, std::pair{rt, 0.02}})
        sys.spawn(
          [](caf::event_based_actor* a, mas::clock on, double secs,
             caf::actor to) {
            // Only the sleep is left once this returns: no handle.
            on.sleep(a, secs).then(
              [a, to](double) { a->send(to, "woken"); },
              [a, to](caf::error& err) { a->send(to, mas::render(err)); });
          },
          c, dt, caf::actor_cast<caf::actor>(self));
    }
    std::vector<std::string> texts{receive_text(self), receive_text(self)};
    std::sort(texts.begin(), texts.end());
    CHECK(texts
          == std::vector<std::string>{"caf.request_receiver_down", "woken"});
  }));
}

TEST_CASE_METHOD(fixture, "the timers of an actor that ended are gone") {
  auto clk = mas::clock::external(sys, "2016-01-01");
  auto sleeper = sys.spawn(
    [clk](caf::event_based_actor* a, caf::actor to) {
      clk.sleep(a, 1).then([](double) {});
      clk.call_in(a, 2, [] {});
      a->send(to, "registered");
      return caf::behavior{[](int) {}};
    },
    caf::actor_cast<caf::actor>(self));
  CHECK(receive_text(self) == "registered");
  CHECK(clk.next_activity() == 1.0);
  self->send_exit(sleeper, caf::exit_reason::kill);
  // The clock learns it from a down message: poll (bounded).
  for (int i = 0; i < 30'000 && clk.next_activity(); ++i)
    std::this_thread::sleep_for(1ms);
  CHECK(clk.next_activity() == std::nullopt);
}
