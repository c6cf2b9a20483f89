#pragma once

#include <chrono>
#include <optional>

#include <caf/actor.hpp>

#include "mas/agent/container.hpp"
#include "mas/atoms.hpp"

namespace mas {

/// Spawns the actor behind `await_idle`: it answers one `(idle_atom)`
/// request with `ok_atom` once the container is quiet.
caf::actor spawn_idle_probe(container& home);

/// Returns `self`'s request that completes (`caf::ok_atom`) once every agent
/// of `home` is idle or sleeping on the clock: mango's
/// `tasks_complete_or_sleeping`, what an external-scheduling step and a
/// distributed clock wait for before they report the next activity.
///
/// "Quiet" is checked in rounds: first the clock has delivered every due
/// wake-up (`clock::due_count` is 0, so they are in the agents' mailboxes
/// ahead of the probes), then every agent answers a probe (so the messages
/// ahead of it were handled), and no agent noted any activity
/// (`container::note_activity`, counted after each piece of work) during the
/// round, nor did a wake-up become due meanwhile. A
/// message an agent sends another agent in the container is ahead of the
/// next round's probe in the receiver's mailbox, so a chain of messages keeps
/// the rounds going until it ends. Messages still in a socket do not count
/// (nor do they in mango). A container that never becomes quiet (e.g. an
/// agent that busy-loops on instant tasks) never answers.
template <class Self>
auto await_idle(Self* self, container& home) {
  return self->request(spawn_idle_probe(home), caf::infinite, idle_atom_v);
}

/// `await_idle` from a thread outside the container (blocks it): true
/// once quiet, false after `timeout`.
bool wait_idle(container& home,
               std::optional<std::chrono::milliseconds> timeout = std::nullopt);

} // namespace mas
