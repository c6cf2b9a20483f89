#include "mas/agent/clock.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include "mas/wire/detail/text.hpp"

namespace mas {

namespace {

/// Seconds on the monotonic clock (aiomas: `loop.time()`).
double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

/// The system time in UTC (aiomas: `arrow.utcnow()`).
wire::date system_utcnow() {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch());
  return wire::date{us.count(), 0};
}

/// Python's `str(float)`.
std::string py(double x) {
  std::string out;
  wire::detail::append_python_float(out, x, true);
  return out;
}

/// A real-time wake-up further away than this is not armed at all (CAF's
/// timer would overflow); about 31 years.
constexpr double max_delay = 1e9;

} // namespace

// -- state shared by handles and the clock actor ------------------------------

namespace detail {

/// Everything a clock knows, behind one mutex: its time and the registered
/// timers. Callers register timers here synchronously (so `next_activity`
/// and `set_time` see them at once); the clock actor only holds the response
/// promises and delivers them.
struct clock_state {
  struct entry {
    double deadline;
    /// Moved to `due`: wakes as soon as its request has arrived.
    bool due;
  };

  explicit clock_state(bool is_external) : external(is_external) {
    // nop
  }

  const bool external;

  mutable std::mutex mtx;

  /// External clocks: the time `set_time` set last.
  double time = 0;

  /// External clocks: the date at time 0 (in UTC).
  wire::date utc_start;

  std::uint64_t next_id = 1;

  /// Timers not yet due, by (deadline, id): ids grow with registration, so
  /// equal deadlines keep their registration order.
  std::set<std::pair<double, std::uint64_t>> pending;

  /// Timers that are due, in the order they wake, with the time they became
  /// due (the response of their sleep).
  std::deque<std::pair<std::uint64_t, double>> due;

  /// Every timer in `pending` or `due`.
  std::unordered_map<std::uint64_t, entry> entries;

  /// The clock actor (weak: it holds this state).
  caf::weak_actor_ptr actor;

  // -- with the lock held -----------------------------------------------------

  double now() const {
    return external ? time : steady_seconds();
  }

  wire::date utcnow() const {
    return external ? utc_start.plus(time) : system_utcnow();
  }

  /// aiomas `_check_date` for a number.
  void check_future(double t, double cur) const {
    if (!(t > cur))
      throw std::invalid_argument("Date \"" + py(t) + "\" is in the past");
  }

  clock_timer add(double deadline) {
    auto id = next_id++;
    pending.emplace(deadline, id);
    entries.emplace(id, entry{deadline, false});
    return {deadline, id};
  }

  /// Moves every pending timer with a deadline up to `t` to `due`.
  void move_due(double t) {
    while (!pending.empty() && pending.begin()->first <= t) {
      auto id = pending.begin()->second;
      pending.erase(pending.begin());
      entries[id].due = true;
      due.emplace_back(id, t);
    }
  }

  // -- locking ----------------------------------------------------------------

  /// Removes a pending timer; returns whether it was pending.
  bool cancel(std::uint64_t id) {
    std::lock_guard<std::mutex> guard{mtx};
    auto i = entries.find(id);
    if (i == entries.end() || i->second.due)
      return false;
    pending.erase({i->second.deadline, id});
    entries.erase(i);
    return true;
  }
};

} // namespace detail

// -- the clock actor ----------------------------------------------------------

namespace {

caf::error cancelled_error() {
  return caf::make_error(caf::sec::runtime_error, "timer cancelled");
}

struct clock_actor_state {
  /// A sleep whose request has arrived.
  struct sleeper {
    caf::response_promise rp;
    /// The actor sleeping: its timers end with it.
    caf::actor_addr owner;
  };

  std::shared_ptr<detail::clock_state> shared;

  /// Sleeps whose request has arrived, by timer id.
  std::unordered_map<std::uint64_t, sleeper> waiting;

  /// The sleeping actors we monitor.
  std::unordered_set<caf::actor_addr> monitored;

  /// Real-time clocks: deadlines of the wake-ups sent to ourselves.
  std::multiset<double> ticks;

  /// The last handle is gone: quit once nothing is pending.
  bool closing = false;

  static inline const char* name = "mas.clock";
};

using clock_actor_ptr = caf::stateful_actor<clock_actor_state>*;

/// Delivers the due timers whose requests have arrived, in order; stops at
/// the first due timer whose request is still on its way (the caller
/// registered it before sending it), so that wake-ups keep their order.
/// Quits when closing and nothing is left.
void pump(clock_actor_ptr self) {
  auto& st = self->state;
  auto& sh = *st.shared;
  std::vector<std::pair<caf::response_promise, double>> ready;
  std::optional<double> next;
  double now;
  bool idle;
  {
    std::lock_guard<std::mutex> guard{sh.mtx};
    now = sh.now();
    if (!sh.external)
      sh.move_due(now);
    while (!sh.due.empty()) {
      auto [id, at] = sh.due.front();
      auto i = st.waiting.find(id);
      if (i == st.waiting.end())
        break;
      ready.emplace_back(std::move(i->second.rp), at);
      st.waiting.erase(i);
      sh.entries.erase(id);
      sh.due.pop_front();
    }
    if (!sh.pending.empty())
      next = sh.pending.begin()->first;
    idle = sh.entries.empty();
  }
  for (auto& [rp, at] : ready)
    rp.deliver(at);
  if (st.closing && idle) {
    self->quit();
    return;
  }
  // Real-time: make sure a wake-up comes for the earliest deadline.
  if (sh.external || !next)
    return;
  if (!st.ticks.empty() && *st.ticks.begin() <= *next)
    return;
  auto delay = *next - now;
  if (delay > max_delay)
    return;
  if (delay < 0)
    delay = 0;
  st.ticks.insert(*next);
  auto dt = std::chrono::ceil<std::chrono::nanoseconds>(
    std::chrono::duration<double>{delay});
  self->delayed_send(self, dt, advance_atom_v, *next);
}

/// Forgets the timers of an actor that has ended.
void drop_owner(clock_actor_ptr self, const caf::actor_addr& owner) {
  auto& st = self->state;
  auto& sh = *st.shared;
  st.monitored.erase(owner);
  std::lock_guard<std::mutex> guard{sh.mtx};
  for (auto i = st.waiting.begin(); i != st.waiting.end();) {
    if (i->second.owner != owner) {
      ++i;
      continue;
    }
    auto id = i->first;
    if (auto e = sh.entries.find(id); e != sh.entries.end()) {
      if (e->second.due) {
        auto pos = std::find_if(sh.due.begin(), sh.due.end(),
                                [id](auto& x) { return x.first == id; });
        if (pos != sh.due.end())
          sh.due.erase(pos);
      } else {
        sh.pending.erase({e->second.deadline, id});
      }
      sh.entries.erase(e);
    }
    i = st.waiting.erase(i);
  }
}

caf::behavior clock_actor(clock_actor_ptr self,
                          std::shared_ptr<detail::clock_state> shared) {
  self->state.shared = std::move(shared);
  self->set_down_handler([self](caf::down_msg& msg) {
    drop_owner(self, msg.source);
    pump(self);
  });
  return {
    [=](sleep_atom, double, std::uint64_t id) {
      auto rp = self->make_response_promise();
      auto& st = self->state;
      bool known;
      {
        std::lock_guard<std::mutex> guard{st.shared->mtx};
        known = st.shared->entries.count(id) > 0;
      }
      if (!known) {
        // Cancelled before its request arrived.
        rp.deliver(cancelled_error());
        return rp;
      }
      auto owner = caf::actor_cast<caf::actor_addr>(rp.source());
      if (owner && st.monitored.insert(owner).second)
        self->monitor(owner);
      st.waiting.emplace(id, clock_actor_state::sleeper{rp, owner});
      pump(self);
      return rp;
    },
    [=](cancel_atom, std::uint64_t id) {
      auto& st = self->state;
      auto i = st.waiting.find(id);
      if (i == st.waiting.end())
        return; // its request comes later (and fails) or it has fired
      {
        std::lock_guard<std::mutex> guard{st.shared->mtx};
        if (st.shared->entries.count(id) > 0)
          return; // due before the cancel: wakes normally, f does not run
      }
      i->second.rp.deliver(cancelled_error());
      st.waiting.erase(i);
      pump(self);
    },
    [=](advance_atom) { pump(self); },
    [=](due_atom) {
      // Delivers what can be delivered first: the rest waits for requests
      // still on their way (see clock::due_count).
      pump(self);
      std::lock_guard<std::mutex> guard{self->state.shared->mtx};
      return static_cast<std::uint64_t>(self->state.shared->due.size());
    },
    [=](advance_atom, double tick) {
      auto& ticks = self->state.ticks;
      if (auto i = ticks.find(tick); i != ticks.end())
        ticks.erase(i);
      pump(self);
    },
    [=](caf::close_atom) {
      // The last handle is gone. A real-time clock still wakes the sleeps
      // it has; an external one never moves again: its sleeps fail.
      auto& st = self->state;
      st.closing = true;
      if (st.shared->external) {
        for (auto& kvp : st.waiting)
          kvp.second.rp.deliver(
            caf::make_error(caf::sec::request_receiver_down));
        st.waiting.clear();
        self->quit();
        return;
      }
      pump(self);
    },
  };
}

} // namespace

// -- handles ------------------------------------------------------------------

struct clock::impl {
  std::shared_ptr<detail::clock_state> state;
  caf::actor actor;

  impl(caf::actor_system& sys, std::shared_ptr<detail::clock_state> st)
    : state(std::move(st)) {
    actor = sys.spawn<caf::hidden>(clock_actor, state);
    state->actor = caf::actor_cast<caf::weak_actor_ptr>(actor);
  }

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  ~impl() {
    caf::anon_send(actor, caf::close_atom_v);
  }
};

struct timer_handle::state {
  state(std::uint64_t timer_id, std::weak_ptr<detail::clock_state> owner)
    : id(timer_id), clock(std::move(owner)) {
    // nop
  }

  std::atomic<bool> cancelled{false};
  const std::uint64_t id;
  const std::weak_ptr<detail::clock_state> clock;
};

void timer_handle::cancel() const {
  if (!state_ || state_->cancelled.exchange(true))
    return;
  auto st = state_->clock.lock();
  if (!st || !st->cancel(state_->id))
    return;
  // Let the clock actor fail the sleep's promise.
  if (auto ptr = st->actor.lock())
    caf::anon_send(caf::actor_cast<caf::actor>(ptr), cancel_atom_v, state_->id);
}

bool timer_handle::cancelled() const noexcept {
  return state_ && state_->cancelled.load();
}

// -- construction -------------------------------------------------------------

clock clock::realtime(caf::actor_system& sys) {
  auto st = std::make_shared<detail::clock_state>(false);
  return clock{std::make_shared<impl>(sys, std::move(st))};
}

clock clock::external(caf::actor_system& sys, wire::date utc_start,
                      double init_time) {
  auto st = std::make_shared<detail::clock_state>(true);
  st->time = init_time;
  st->utc_start = utc_start.to_utc();
  return clock{std::make_shared<impl>(sys, std::move(st))};
}

clock clock::external(caf::actor_system& sys, std::string_view utc_start,
                      double init_time) {
  auto d = wire::parse_date(utc_start);
  if (!d)
    throw std::invalid_argument("invalid date \"" + std::string{utc_start}
                                + "\"");
  return external(sys, *d, init_time);
}

// -- time ---------------------------------------------------------------------

bool clock::is_external() const noexcept {
  return impl_->state->external;
}

double clock::time() const {
  auto& st = *impl_->state;
  std::lock_guard<std::mutex> guard{st.mtx};
  return st.now();
}

wire::date clock::utcnow() const {
  auto& st = *impl_->state;
  std::lock_guard<std::mutex> guard{st.mtx};
  return st.utcnow();
}

void clock::set_time(double t) const {
  auto& st = *impl_->state;
  if (!st.external)
    throw std::logic_error("set_time() needs an external clock; this clock "
                           "is real-time");
  {
    std::lock_guard<std::mutex> guard{st.mtx};
    if (!(t > st.time))
      throw std::invalid_argument("Time must be > " + py(st.time) + " but is "
                                  + py(t));
    st.time = t;
    st.move_due(t);
    if (st.due.empty())
      return;
  }
  caf::anon_send(impl_->actor, advance_atom_v);
}

namespace {

/// `_check_date` for a date, with the lock held.
double checked_time_of(const detail::clock_state& st, const wire::date& d) {
  // Like aiomas: utcnow() first, then time() (a later time, never an
  // earlier deadline than the date).
  auto now = st.utcnow();
  auto cur = st.now();
  auto t = (d - now) + cur;
  if (!(t > cur))
    throw std::invalid_argument("Date \"" + wire::format_date(d)
                                + "\" is in the past");
  return t;
}

} // namespace

double clock::time_of(const wire::date& d) const {
  auto& st = *impl_->state;
  std::lock_guard<std::mutex> guard{st.mtx};
  return checked_time_of(st, d);
}

std::optional<double> clock::next_activity() const {
  auto& st = *impl_->state;
  std::lock_guard<std::mutex> guard{st.mtx};
  if (st.pending.empty())
    return std::nullopt;
  return st.pending.begin()->first;
}

std::size_t clock::due_count() const {
  auto& st = *impl_->state;
  std::lock_guard<std::mutex> guard{st.mtx};
  return st.due.size();
}

caf::actor clock::actor() const {
  return impl_->actor;
}

// -- registering timers -------------------------------------------------------

clock::timer_info clock::schedule_in(double dt) const {
  auto& st = *impl_->state;
  std::lock_guard<std::mutex> guard{st.mtx};
  auto cur = st.now();
  if (!st.external)
    return st.add(cur + (dt > 0 ? dt : 0)); // NaN and dt <= 0 wake at once
  if (!(dt > 0))
    throw std::invalid_argument("dt must be > 0 but is " + py(dt));
  auto t = cur + dt;
  st.check_future(t, cur); // aiomas: sleep_until(time + dt)
  return st.add(t);
}

clock::timer_info clock::schedule_at(double t) const {
  auto& st = *impl_->state;
  std::lock_guard<std::mutex> guard{st.mtx};
  st.check_future(t, st.now());
  return st.add(t);
}

clock::timer_info clock::schedule_at(const wire::date& d) const {
  auto& st = *impl_->state;
  std::lock_guard<std::mutex> guard{st.mtx};
  return st.add(checked_time_of(st, d));
}

timer_handle clock::make_handle(std::uint64_t id) const {
  return timer_handle{std::make_shared<timer_handle::state>(
    id, std::weak_ptr<detail::clock_state>{impl_->state})};
}

} // namespace mas
