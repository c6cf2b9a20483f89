#include "mas/agent/idle.hpp"

#include <cstdint>
#include <memory>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

namespace mas {

namespace {

struct idle_probe_state {
  std::shared_ptr<const agent_registry> agents;
  std::shared_ptr<std::atomic<std::uint64_t>> activity;
  caf::actor clock;
  caf::response_promise promise;
  std::uint64_t activity_at_start = 0;
  std::size_t outstanding = 0;
  static inline const char* name = "mas.idle_probe";
};

using idle_probe = caf::stateful_actor<idle_probe_state>;

void start_round(idle_probe* self);
void probe_agents(idle_probe* self);

/// Asks the clock how many wake-ups are due undelivered; `then(due)`.
template <class F>
void ask_clock(idle_probe* self, F then) {
  self->request(self->state.clock, caf::infinite, due_atom_v)
    .then([then](std::uint64_t due) mutable { then(due); },
          // No clock any more: nothing can wake up.
          [then](caf::error&) mutable { then(0); });
}

/// A round: first the clock delivers every due wake-up (so they are in the
/// agents' mailboxes ahead of the probes), then every agent answers a probe,
/// then nothing may have moved meanwhile.
void start_round(idle_probe* self) {
  ask_clock(self, [self](std::uint64_t due) {
    if (due > 0) {
      // Wake-ups whose sleep requests are still on their way to the clock.
      self->delayed_send(self, std::chrono::milliseconds{1}, resume_atom_v);
      return;
    }
    probe_agents(self);
  });
}

void finish_round(idle_probe* self) {
  auto& st = self->state;
  if (st.activity->load() != st.activity_at_start) {
    start_round(self);
    return;
  }
  ask_clock(self, [self](std::uint64_t due) {
    if (due > 0) {
      start_round(self);
      return;
    }
    self->state.promise.deliver(caf::ok_atom_v);
    self->quit();
  });
}

void probe_agents(idle_probe* self) {
  auto& st = self->state;
  st.activity_at_start = st.activity->load();
  auto agents = st.agents->snapshot();
  st.outstanding = agents.size();
  if (agents.empty()) {
    finish_round(self);
    return;
  }
  auto answered = [self] {
    if (--self->state.outstanding == 0)
      finish_round(self);
  };
  for (auto& entry : agents) {
    // Any answer will do, an error included (an actor that does not know
    // the probe, or is gone): its mailbox got that far.
    self->request(entry.handle, caf::infinite, idle_atom_v)
      .then([answered](caf::ok_atom) { answered(); },
            [answered](caf::error&) { answered(); });
  }
}

caf::behavior idle_probe_impl(idle_probe* self,
                              std::shared_ptr<const agent_registry> agents,
                              std::shared_ptr<std::atomic<std::uint64_t>> act,
                              caf::actor clock) {
  self->state.agents = std::move(agents);
  self->state.activity = std::move(act);
  self->state.clock = std::move(clock);
  return {
    [self](idle_atom) {
      self->state.promise = self->make_response_promise();
      start_round(self);
      return self->state.promise;
    },
    [self](resume_atom) { start_round(self); },
  };
}

} // namespace

caf::actor spawn_idle_probe(container& home) {
  return home.system().spawn<caf::hidden>(idle_probe_impl, home.shared_agents(),
                                          home.activity(),
                                          home.clock().actor());
}

bool wait_idle(container& home,
               std::optional<std::chrono::milliseconds> timeout) {
  caf::scoped_actor self{home.system()};
  auto probe = spawn_idle_probe(home);
  bool idle = false;
  auto dt = timeout ? caf::duration{*timeout} : caf::infinite;
  self->request(probe, dt, idle_atom_v)
    .receive([&](caf::ok_atom) { idle = true; }, [&](caf::error&) {});
  if (!idle)
    caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
  return idle;
}

} // namespace mas
