#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "mas/atoms.hpp"
#include "mas/wire/date.hpp"

namespace mas {

namespace detail {

struct clock_state;

/// A registered timer: its deadline on the clock and its id.
struct clock_timer {
  double deadline;
  std::uint64_t id;
};

} // namespace detail

// -- timer handles ------------------------------------------------------------

/// Cancels a call scheduled with `clock::call_in` or `clock::call_at`
/// (aiomas `TimerHandle`). Copies share the timer. A default-constructed
/// handle refers to no timer.
class timer_handle {
public:
  timer_handle() = default;

  /// Cancels the call: it never runs, even if its wake-up is already in the
  /// actor's mailbox (the actor checks the handle right before running it).
  /// Cancelling twice, or after the call ran, does nothing. Thread-safe.
  void cancel() const;

  /// Returns whether `cancel` was called.
  bool cancelled() const noexcept;

private:
  friend class clock;

  struct state;

  explicit timer_handle(std::shared_ptr<state> st) : state_(std::move(st)) {
    // nop
  }

  std::shared_ptr<state> state_;
};

// -- clocks -------------------------------------------------------------------

/// A container's clock (aiomas `aiomas.clocks`): agents sleep and schedule
/// on it instead of reading the system time, so a simulator can drive them
/// with an external clock without changing them.
///
/// A `clock` is a handle: copies share one clock, every function is
/// thread-safe and usable from `main` and from any actor. Behind it is a
/// hidden actor (`actor()`) that answers sleeps; it delivers every wake-up
/// from its own context, in order of deadline and, for equal deadlines, of
/// registration. The timers of an actor that ends are dropped (the clock
/// monitors its sleepers). When the last handle is gone, a real-time clock
/// still wakes its sleepers and then stops; an external clock, which nobody
/// can move anymore, stops at once: its sleeps fail with
/// `caf::sec::request_receiver_down`, as requests to any gone actor do.
/// Drop clocks before their actor system.
///
/// Timers are registered in the calling thread before the request is sent,
/// so `next_activity` sees a sleep as soon as `sleep` returns, and a
/// `set_time` after it wakes it.
class clock {
public:
  // -- construction -----------------------------------------------------------

  /// A real-time clock (aiomas `AsyncioClock`): `time()` is a monotonic
  /// count of seconds (`std::chrono::steady_clock`, no defined start),
  /// `utcnow()` the system time in UTC.
  static clock realtime(caf::actor_system& sys);

  /// A clock only `set_time` moves (aiomas `ExternalClock(utc_start,
  /// init_time)`): `time()` starts at `init_time`; `utcnow()` is `utc_start`
  /// (in UTC) plus `time()` seconds, the arrow 0.12 semantics aiomas was
  /// written for (with arrow 1.x, aiomas's `utcnow()` raises).
  static clock external(caf::actor_system& sys, wire::date utc_start,
                        double init_time = 0);

  /// `external` with a start date as `arrow.get` parses it, e.g.
  /// `"2016-01-01T00:00:00"`.
  /// @throws std::invalid_argument `invalid date "..."` if it is none.
  static clock external(caf::actor_system& sys, std::string_view utc_start,
                        double init_time = 0);

  // -- time -------------------------------------------------------------------

  /// Returns whether `set_time` drives this clock.
  bool is_external() const noexcept;

  /// The clock's time in seconds; never decreases.
  double time() const;

  /// The current date in UTC.
  wire::date utcnow() const;

  /// Moves an external clock to `t`, then wakes every sleep and timer due
  /// by then, in order of deadline and registration. `time()` returns `t`
  /// as soon as this returns; the wake-ups follow asynchronously.
  /// @throws std::invalid_argument `Time must be > {time()} but is {t}`
  ///         (numbers as Python's `repr(float)`: `1.0`, `0.5`, `1e-05`)
  ///         unless `t > time()`.
  /// @throws std::logic_error on a real-time clock.
  void set_time(double t) const;

  /// The time on this clock at date `d` (aiomas `_check_date`):
  /// `(d - utcnow()) + time()`.
  /// @throws std::invalid_argument `Date "{isoformat}" is in the past`
  ///         unless that is after `time()`.
  double time_of(const wire::date& d) const;

  /// The earliest deadline of a pending sleep or timer, if any: what mango
  /// calls the next activity. Sleeps already due (woken, or about to be)
  /// and cancelled timers do not count.
  std::optional<double> next_activity() const;

  /// Wake-ups that are due but not yet delivered to their actors (e.g.
  /// right after `set_time`). Once it is 0, every due wake-up is in its
  /// actor's mailbox: what "idle or sleeping on the clock" checks.
  std::size_t due_count() const;

  /// The clock actor (owns the promises of pending sleeps).
  caf::actor actor() const;

  // -- sleeping (from an actor) -----------------------------------------------

  /// Sleeps `dt` seconds: returns `self`'s request whose response is the
  /// clock's time when woken (a `double`), e.g.
  /// `clk.sleep(self, 0.5).then([=](double now) {...})` in an event-based
  /// actor or `.receive(...)` in a blocking one.
  /// @throws std::invalid_argument `dt must be > 0 but is {dt}` on an
  ///         external clock unless `dt > 0`. A real-time clock wakes at once
  ///         for `dt <= 0` (`asyncio.sleep`).
  template <class Self>
  auto sleep(Self* self, double dt) const {
    return request_wake(self, schedule_in(dt));
  }

  /// Sleeps until this clock's time is `t`.
  /// @throws std::invalid_argument `Date "{t}" is in the past` unless
  ///         `t > time()` (aiomas checks numbers and dates alike).
  template <class Self>
  auto sleep_until(Self* self, double t) const {
    return request_wake(self, schedule_at(t));
  }

  /// Sleeps until date `d` (see `time_of`).
  /// @throws std::invalid_argument `Date "{isoformat}" is in the past`.
  template <class Self>
  auto sleep_until(Self* self, const wire::date& d) const {
    return request_wake(self, schedule_at(d));
  }

  // -- scheduling calls (from an event-based actor) ---------------------------

  /// Runs `f()` in `self`'s context after `dt` seconds (aiomas `call_in`)
  /// and returns at once. Errors as for `sleep`.
  template <class Self, class F>
  timer_handle call_in(Self* self, double dt, F f) const {
    return schedule_call(self, schedule_in(dt), std::move(f));
  }

  /// Runs `f()` in `self`'s context once the time is `t` (aiomas
  /// `call_at`). Errors as for `sleep_until`.
  template <class Self, class F>
  timer_handle call_at(Self* self, double t, F f) const {
    return schedule_call(self, schedule_at(t), std::move(f));
  }

  /// Runs `f()` in `self`'s context at date `d`.
  template <class Self, class F>
  timer_handle call_at(Self* self, const wire::date& d, F f) const {
    return schedule_call(self, schedule_at(d), std::move(f));
  }

private:
  struct impl;

  using timer_info = detail::clock_timer;

  explicit clock(std::shared_ptr<impl> ptr) : impl_(std::move(ptr)) {
    // nop
  }

  /// Checks `dt` and registers a timer `dt` from now.
  timer_info schedule_in(double dt) const;

  /// Checks `t` and registers a timer at `t`.
  timer_info schedule_at(double t) const;

  /// Checks `d` and registers a timer at its time.
  timer_info schedule_at(const wire::date& d) const;

  /// The handle for a registered timer.
  timer_handle make_handle(std::uint64_t id) const;

  template <class Self>
  auto request_wake(Self* self, timer_info t) const {
    return self->request(actor(), caf::infinite, sleep_atom_v, t.deadline,
                         t.id);
  }

  template <class Self, class F>
  timer_handle schedule_call(Self* self, timer_info t, F f) const {
    static_assert(!std::is_base_of_v<caf::blocking_actor, Self>,
                  "call_in/call_at run f() from the actor's behavior: they "
                  "need an event-based actor (a blocking actor can sleep)");
    auto handle = make_handle(t.id);
    request_wake(self, t).then(
      [handle, f = std::move(f)](double) mutable {
        if (!handle.cancelled())
          f();
      },
      [](caf::error&) {
        // Cancelled, or the clock is gone: the call does not run.
      });
    return handle;
  }

  std::shared_ptr<impl> impl_;
};

} // namespace mas
