#pragma once

#include <chrono>
#include <string>

#include "mas/agent/agent.hpp"
#include "mas/aiomas/container.hpp"

namespace mas::aiomas {

/// An agent in an aiomas container (aiomas `Agent`): a `mas::agent` that
/// connects to other agents by address.
///
/// ```
/// class callee : public mas::aiomas::agent {
/// public:
///   callee(caf::actor_config& cfg, mas::agent_init init)
///     : agent(cfg, std::move(init)) {
///     expose("spam", [](int times) { ... }, {"times"});
///   }
///   const char* name() const override { return "Callee"; }
/// };
/// auto hdl = container->spawn<callee>();
/// ```
class agent : public mas::agent {
public:
  agent(caf::actor_config& cfg, agent_init init)
    : mas::agent(cfg, std::move(init)) {
    // nop
  }

  /// The container this agent lives in.
  aiomas::container& container() const noexcept {
    return static_cast<aiomas::container&>(home());
  }

  /// aiomas `self.container.connect(url)`: the response is an `rpc::proxy`
  /// of the agent at `url`, e.g.
  /// `connect(url).then([=](rpc::proxy callee) {...}, [=](caf::error&) {...})`.
  auto connect(std::string url,
               connect_timeout timeout = std::chrono::seconds{0}) {
    return container().connect(this, std::move(url), timeout);
  }
};

} // namespace mas::aiomas
