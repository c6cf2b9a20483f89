#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mas/aiomas/agent.hpp"
#include "mas/wire/value.hpp"

namespace mas::aiomas {

/// Makes an agent in `home` from a `Manager.spawn` call's arguments and
/// returns its aid. Throw `rpc::exception("TypeError", ...)` (or another
/// exception) for arguments that do not fit: the caller sees it as
/// aiomas would show a Python exception.
using agent_factory = std::function<std::string(
  container& home, const wire::array& args, const wire::dict& kwargs)>;

/// Agent factories by name: what `Manager.spawn(qualname, ...)` can make
/// (aiomas resolves `module:Class` with `obj_from_str`; C++ has no modules
/// to import, so factories are registered by name).
class agent_factories {
public:
  /// Registers `factory` as `name` (replacing an earlier one).
  agent_factories& add(std::string name, agent_factory factory);

  /// The factory for `qualname`: its exact name, or the part after the
  /// last `:` (so `mas:Callee` finds `Callee`); null if none.
  const agent_factory* find(const std::string& qualname) const;

  std::vector<std::string> names() const;

private:
  std::map<std::string, agent_factory> factories_;
};

/// aiomas.subproc's `Manager`: the first agent (aid "0") of a container
/// that a master process drives remotely. Exposes
/// - `spawn(qualname, *args, **kwargs)` → `[agent proxy, agent address]`;
/// - `set_time(time)`: sets the container's external clock (on a
///   real-time clock it fails as aiomas does: `AttributeError`);
/// - `stop()`: asks the container to stop (`container::request_stop`).
class manager : public agent {
public:
  manager(caf::actor_config& cfg, agent_init init,
          std::shared_ptr<const agent_factories> factories);

  const char* name() const override {
    return "Manager";
  }

private:
  std::shared_ptr<const agent_factories> factories_;
};

// -- reading factory arguments ------------------------------------------------

/// Reads parameter `index`/`name` of a factory call like Python binds it:
/// positional, keyword or `fallback` (nullopt: required). Throws
/// `rpc::exception("TypeError", ...)` with Python's texts for a missing,
/// doubled or unexpected argument (`check_arguments`).
const wire::value* argument(const std::string& fun, const wire::array& args,
                            const wire::dict& kwargs, std::size_t index,
                            const std::string& name);

/// Throws like Python for more positional args than `names` or unknown
/// keywords.
void check_arguments(const std::string& fun, const wire::array& args,
                     const wire::dict& kwargs,
                     const std::vector<std::string>& names);

} // namespace mas::aiomas
