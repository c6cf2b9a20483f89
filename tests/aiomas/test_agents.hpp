#pragma once

// Agents the aiomas container tests share.

#include <stdexcept>
#include <utility>

#include "mas/aiomas/agent.hpp"
#include "mas/rpc/call_context.hpp"

namespace mas::test {

/// `hold()` never answers (until the container shuts down); `fail()` raises
/// a ValueError-like exception.
class holder : public aiomas::agent {
public:
  holder(caf::actor_config& cfg, agent_init init)
    : agent(cfg, std::move(init)) {
    expose("hold", [this](rpc::responder later) { held_ = later; });
    expose("fail", []() -> int { throw std::invalid_argument("nope"); });
  }

  const char* name() const override {
    return "Holder";
  }

private:
  rpc::responder held_;
};

} // namespace mas::test
