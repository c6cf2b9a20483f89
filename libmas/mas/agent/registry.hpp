#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>

namespace mas::rpc {
class service;
} // namespace mas::rpc

namespace mas {

/// One agent of a container.
struct agent_entry {
  /// The agent's id in its container (aiomas: "0", "1", ...; mango:
  /// "agent0", ... or a chosen name).
  std::string aid;
  /// The agent's class name (aiomas: what `validate_aid` returns).
  std::string type_name;
  /// The actor.
  caf::actor handle;
  /// The agent's exposed methods (may be null for agents that expose none).
  std::shared_ptr<rpc::service> router;
};

/// The agents of one container by aid. Thread-safe: containers register
/// agents from `main` and from actors while connections look them up.
class agent_registry {
public:
  /// Adds `entry`; returns false if its aid is taken.
  bool add(agent_entry entry);

  /// Removes the agent `aid` and returns it, if present.
  std::optional<agent_entry> remove(std::string_view aid);

  std::optional<agent_entry> find(std::string_view aid) const;

  bool contains(std::string_view aid) const;

  std::size_t size() const;

  /// All agents, in aid order.
  std::vector<agent_entry> snapshot() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, agent_entry, std::less<>> agents_;
};

} // namespace mas
