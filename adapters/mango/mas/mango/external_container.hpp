#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mas/mango/container.hpp"
#include "mas/wire/mango_peer_ids.hpp"

namespace mas::mango {

/// A message an external-scheduling container produced during a step
/// (mango `ExternalAgentMessage`).
struct external_message {
  /// The encoded MangoMessage (or ACL message), as mango's codec writes it.
  wire::byte_buffer message;
  /// The simulation time it was sent at: the step's time plus the wall
  /// time spent in the step so far.
  double time = 0;
  /// The receiver's protocol address (e.g. another simulator's id).
  wire::value receiver;
};

/// What `step` returns (mango `ExternalSchedulingContainerOutput`).
struct step_output {
  /// Wall seconds the step took.
  double duration = 0;
  /// The messages for other containers, in the order they were sent.
  std::vector<external_message> messages;
  /// The clock's next activity (earliest pending sleep or task), if any.
  std::optional<double> next_activity;
};

/// mango's external-scheduling container (`create_ec_container`), for
/// coupling agents to a simulator such as mosaik: it has no socket; a
/// simulator hands it the incoming messages and the time with `step`, and
/// gets back what the agents sent and when they next want to run.
///
/// The clock is external, starting at 0 (unless `container_options::
/// make_clock` says otherwise); `addr` is a string such as the simulator's
/// entity id. Messages to this `addr` are delivered internally (meta
/// `network_protocol: "external_connection"`), all others are buffered for
/// the next `step`'s output, with meta `receiver_addr` as mango adds it.
class external_container : public container {
public:
  /// mango `create_ec_container(addr=...)`.
  static std::unique_ptr<external_container>
  create(std::string addr, container_options opts = {});

  ~external_container() override;

  /// mango `await container.step(simulation_time, incoming_messages)`:
  /// sets the clock to `simulation_time` (due tasks and sleeps wake), hands
  /// each encoded message to its receiver, waits until every agent is idle
  /// or sleeping on the clock (internal messages included), and returns the
  /// buffered outgoing messages and the next activity. A message that is no
  /// mango message is dropped with a log line and counted (mango raises).
  /// Call it from outside the agents; it blocks until the step is done.
  /// @throws std::invalid_argument if `simulation_time` is earlier than the
  ///         clock's time (mango: `ValueError`).
  step_output step(double simulation_time,
                   const std::vector<wire::byte_buffer>& incoming_messages);

protected:
  bool send_external(const wire::value& protocol_addr,
                     wire::value message) override;

  bool is_self(const wire::value& protocol_addr) const override;

  void add_meta(wire::dict& meta, const agent_address& receiver) const override;

  const char* network_protocol() const noexcept override {
    return "external_connection";
  }

private:
  external_container(std::string addr, container_options opts);

  std::mutex mtx_;
  std::vector<external_message> buffer_;
  std::chrono::steady_clock::time_point step_start_;
  wire::mango_peer_ids peer_ids_;
};

/// mango's factory name.
inline std::unique_ptr<external_container>
create_ec_container(std::string addr, container_options opts = {}) {
  return external_container::create(std::move(addr), std::move(opts));
}

} // namespace mas::mango
