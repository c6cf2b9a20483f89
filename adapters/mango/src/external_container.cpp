#include "mas/mango/external_container.hpp"

#include "mas/agent/idle.hpp"
#include "mas/log.hpp"
#include "mas/mango/distributed_clock.hpp"
#include "mas/wire/error.hpp"
#include "router.hpp"

namespace mas::mango {

namespace {

container_options with_external_clock(container_options opts) {
  if (!opts.make_clock)
    opts.make_clock = [](caf::actor_system& sys) {
      // mango: ExternalClock(start_time=0).
      return mas::clock::external(sys, "1970-01-01T00:00:00+00:00");
    };
  return opts;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
    .count();
}

} // namespace

external_container::external_container(std::string addr, container_options opts)
  : container(with_external_clock(std::move(opts)), wire::value{addr}),
    step_start_(std::chrono::steady_clock::now()),
    peer_ids_(router().make_peer_ids()) {
  // nop
}

std::unique_ptr<external_container>
external_container::create(std::string addr, container_options opts) {
  return std::unique_ptr<external_container>{
    new external_container(std::move(addr), std::move(opts))};
}

external_container::~external_container() {
  shutdown();
}

bool external_container::is_self(const wire::value& protocol_addr) const {
  return protocol_addr == addr();
}

void external_container::add_meta(wire::dict& meta,
                                  const agent_address& receiver) const {
  meta.insert_or_assign("receiver_addr", receiver.protocol_addr);
}

bool external_container::send_external(const wire::value& protocol_addr,
                                       wire::value message) {
  auto& r = router();
  wire::byte_buffer bytes;
  try {
    auto key = protocol_addr.is_string() ? protocol_addr.as_string()
                                         : wire::to_string(protocol_addr);
    bytes = r.encode_for(key, std::move(message));
  } catch (const std::exception& e) {
    ++r.send_failed;
    log(log_level::warning,
        std::string{"mango: cannot encode a message: "} + e.what());
    return false;
  }
  std::lock_guard guard{mtx_};
  if (buffer_.size() >= options().max_queued_per_target) {
    ++r.send_failed;
    log(log_level::warning, "mango: " + std::to_string(buffer_.size())
                              + " messages wait for the next step already; "
                                "one more is dropped");
    return false;
  }
  auto t = clock().time() + seconds_since(step_start_);
  buffer_.push_back(external_message{std::move(bytes), t, protocol_addr});
  ++r.sent;
  return true;
}

step_output
external_container::step(double simulation_time,
                         const std::vector<wire::byte_buffer>& incoming) {
  {
    std::lock_guard guard{mtx_};
    if (!buffer_.empty())
      log(log_level::warning, "There are messages in the message buffer to be "
                              "sent, at the start when step was called.");
    step_start_ = std::chrono::steady_clock::now();
  }
  set_time_mango(clock(), simulation_time);
  for (auto& msg : incoming)
    router().receive_frame(msg.data(), msg.size(), peer_ids_,
                           "external_connection", "a step's input");
  wait_idle(*this);
  step_output result;
  {
    std::lock_guard guard{mtx_};
    result.duration = seconds_since(step_start_);
    result.messages = std::move(buffer_);
    buffer_.clear();
  }
  result.next_activity = clock().next_activity();
  return result;
}

} // namespace mas::mango
