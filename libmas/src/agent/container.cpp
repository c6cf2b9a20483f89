#include "mas/agent/container.hpp"

#include <cstdlib>
#include <stdexcept>

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "mas/config.hpp"
#include "mas/log.hpp"
#include "mas/transport/local_loop.hpp"

namespace mas {

container::container(setup su)
  : cfg_(std::make_unique<caf::actor_system_config>()) {
  configure(*cfg_);
  if (su.configure)
    su.configure(*cfg_);
  if (su.local_loop)
    transport::local_loop::configure(*cfg_);
  sys_ = std::make_unique<caf::actor_system>(*cfg_);
  if (su.local_loop)
    transport::local_loop::attach(*sys_);
  clock_.emplace(su.make_clock ? su.make_clock(*sys_)
                               : mas::clock::realtime(*sys_));
}

container::~container() {
  container::shutdown();
  clock_.reset();
  if (transport::local_loop::runs(*sys_)) {
    if (transport::local_loop::on_loop_thread()) {
      // Waiting for the agents from their own thread would never return.
      log(log_level::error, "a LocalQueue container was destroyed on the "
                            "local loop (in one of the loop's actors); "
                            "destroy it from outside its agents");
      std::abort();
    }
    // The agents end on the loop, which also serves their connections
    // until then; the system's destructor then runs the rest of its I/O
    // loop on this thread.
    sys_->await_all_actors_done();
    transport::local_loop::detach(*sys_);
  }
  sys_.reset();
}

std::string container::next_aid() {
  return std::to_string(aid_counter_++);
}

agent_init container::reserve(std::string aid) {
  if (shut_down_)
    throw std::logic_error("the container is shut down");
  auto addr = address_of(aid);
  return agent_init{this, std::move(aid), std::move(addr)};
}

void container::register_agent(agent_entry entry) {
  if (!agents_->add(entry))
    throw std::invalid_argument("aid \"" + entry.aid + "\" is taken");
  on_added(entry);
}

std::string container::add_agent(std::string type_name, caf::actor handle,
                                 std::shared_ptr<rpc::service> router) {
  auto init = reserve(next_aid());
  register_agent(agent_entry{init.aid, std::move(type_name), std::move(handle),
                             std::move(router)});
  return init.aid;
}

bool container::remove_agent(const std::string& aid) {
  auto entry = agents_->find(aid);
  if (!entry)
    return false;
  on_removed(*entry);
  agents_->remove(aid);
  return true;
}

void container::on_added(const agent_entry&) {
  // nop
}

void container::on_removed(const agent_entry&) {
  // nop
}

void container::request_stop() {
  {
    std::lock_guard guard{stop_mtx_};
    stop_requested_ = true;
  }
  stop_cv_.notify_all();
}

bool container::wait_for_stop(
  std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock guard{stop_mtx_};
  auto done = [this] { return stop_requested_.load(); };
  if (!timeout) {
    stop_cv_.wait(guard, done);
    return true;
  }
  return stop_cv_.wait_for(guard, *timeout, done);
}

void container::shutdown() {
  if (shut_down_.exchange(true))
    return;
  for (auto& entry : agents_->snapshot())
    caf::anon_send_exit(entry.handle, caf::exit_reason::user_shutdown);
}

} // namespace mas
