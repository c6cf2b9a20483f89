#include "mas/agent/registry.hpp"

namespace mas {

bool agent_registry::add(agent_entry entry) {
  std::lock_guard guard{mtx_};
  auto key = entry.aid;
  return agents_.emplace(std::move(key), std::move(entry)).second;
}

std::optional<agent_entry> agent_registry::remove(std::string_view aid) {
  std::lock_guard guard{mtx_};
  auto i = agents_.find(aid);
  if (i == agents_.end())
    return std::nullopt;
  auto result = std::move(i->second);
  agents_.erase(i);
  return result;
}

std::optional<agent_entry> agent_registry::find(std::string_view aid) const {
  std::lock_guard guard{mtx_};
  auto i = agents_.find(aid);
  if (i == agents_.end())
    return std::nullopt;
  return i->second;
}

bool agent_registry::contains(std::string_view aid) const {
  std::lock_guard guard{mtx_};
  return agents_.find(aid) != agents_.end();
}

std::size_t agent_registry::size() const {
  std::lock_guard guard{mtx_};
  return agents_.size();
}

std::vector<agent_entry> agent_registry::snapshot() const {
  std::lock_guard guard{mtx_};
  std::vector<agent_entry> result;
  result.reserve(agents_.size());
  for (auto& [aid, entry] : agents_)
    result.push_back(entry);
  return result;
}

} // namespace mas
