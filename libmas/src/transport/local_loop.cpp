#include "mas/transport/local_loop.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/execution_unit.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>
#include <caf/logger.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include "mas/log.hpp"

namespace mas::transport {

namespace {

class loop_scheduler;

// -- the loop -----------------------------------------------------------------

/// The process-wide loop: a FIFO of actor activations and the multiplexers
/// it polls, both in the order they arrived.
class loop {
public:
  static loop& instance() {
    // Never destroyed: schedulers may stop during static destruction.
    static auto* ptr = new loop;
    return *ptr;
  }

  /// A scheduler starts: the loop runs while it has one.
  void add_user() {
    std::lock_guard<std::mutex> guard{mtx_};
    ++users_;
    if (thread_.joinable())
      return;
    thread_ = std::thread{[this, gen = generation_] { run(gen); }};
    tid_ = thread_.get_id();
  }

  /// A scheduler stopped. The last one stops the loop, unless it stops on
  /// the loop itself (which cannot join itself; the loop then idles until
  /// the next user).
  void remove_user() {
    std::unique_lock<std::mutex> guard{mtx_};
    if (--users_ > 0 || std::this_thread::get_id() == tid_)
      return;
    ++generation_; // the running thread ends
    wake_.notify_all();
    auto worker = std::move(thread_);
    guard.unlock();
    worker.join();
  }

  /// Queues `ptr` to run with `unit` (the execution unit of its system).
  /// Returns false if that system's scheduler has stopped.
  bool push(caf::resumable* ptr, loop_scheduler* owner);

  /// Removes the jobs of `owner` and waits until none of them runs.
  std::vector<caf::resumable*> purge(loop_scheduler* owner);

  void attach(caf::io::network::multiplexer* mpx) {
    std::lock_guard<std::mutex> guard{mtx_};
    mpx->thread_id(tid_);
    mpxs_.push_back(mpx);
    wake_.notify_all();
  }

  void detach(caf::io::network::multiplexer* mpx) {
    std::unique_lock<std::mutex> guard{mtx_};
    auto i = std::find(mpxs_.begin(), mpxs_.end(), mpx);
    if (i == mpxs_.end())
      return;
    mpxs_.erase(i);
    idle_.wait(guard, [&] { return polling_ != mpx; });
    mpx->thread_id(std::this_thread::get_id());
  }

  bool attached(caf::io::network::multiplexer* mpx) {
    std::lock_guard<std::mutex> guard{mtx_};
    return std::find(mpxs_.begin(), mpxs_.end(), mpx) != mpxs_.end();
  }

  std::thread::id thread_id() {
    std::lock_guard<std::mutex> guard{mtx_};
    return tid_;
  }

private:
  struct job {
    caf::resumable* ptr;
    loop_scheduler* owner;
    /// Push order (see `purge`).
    std::uint64_t seq;
  };

  void run(std::uint64_t generation);

  void resume(job j);

  std::mutex mtx_;
  /// Wakes the loop: a job arrived, a multiplexer was added, or it ends.
  std::condition_variable wake_;
  /// Wakes those who wait for a job or a poll to end.
  std::condition_variable idle_;
  std::deque<job> jobs_;
  std::uint64_t next_seq_ = 0;
  std::vector<caf::io::network::multiplexer*> mpxs_;
  loop_scheduler* running_ = nullptr;
  caf::io::network::multiplexer* polling_ = nullptr;
  std::size_t users_ = 0;
  /// The loop thread runs while its generation is current.
  std::uint64_t generation_ = 0;
  std::thread thread_;
  std::thread::id tid_;
};

// -- the scheduler of a system on the loop
// -------------------------------------

/// The execution unit actors of one system run in; what they schedule goes
/// to the loop.
class loop_unit : public caf::execution_unit {
public:
  loop_unit(caf::actor_system* sys, loop_scheduler* owner)
    : caf::execution_unit(sys), owner_(owner) {
    // nop
  }

  void exec_later(caf::resumable* ptr) override;

private:
  loop_scheduler* owner_;
};

/// CAF's scheduler module for a system on the loop: instead of workers,
/// the loop runs its actors; timers have CAF's clock thread, as usual.
class loop_scheduler : public caf::scheduler::abstract_coordinator {
public:
  using super = caf::scheduler::abstract_coordinator;

  explicit loop_scheduler(caf::actor_system& sys)
    : super(sys), unit_(&sys, this) {
    // nop
  }

  void enqueue(caf::resumable* ptr) override;

  caf::detail::thread_safe_actor_clock& clock() noexcept override {
    return clock_;
  }

  loop_unit& unit() noexcept {
    return unit_;
  }

  /// Set by the loop once `stop` purged this scheduler's jobs.
  bool stopped = false;

protected:
  void start() override {
    loop::instance().add_user();
    timer_ = std::thread{[this] {
      system().thread_started();
      clock_.run_dispatch_loop();
      system().thread_terminates();
    }};
    super::start();
  }

  void stop() override {
    stop_actors();
    for (auto ptr : loop::instance().purge(this))
      cleanup_and_release(ptr);
    clock_.cancel_dispatch_loop();
    timer_.join();
    loop::instance().remove_user();
  }

private:
  loop_unit unit_;
  caf::detail::thread_safe_actor_clock clock_;
  std::thread timer_;
};

/// The scheduler of the system `ptr` belongs to, if it runs on the loop:
/// an actor from another loop system runs in its own system's unit, one of
/// a system off the loop goes to its own scheduler.
loop_scheduler* owner_of(caf::resumable* ptr, loop_scheduler* fallback,
                         caf::actor_system** home) {
  switch (ptr->subtype()) {
    case caf::resumable::scheduled_actor:
    case caf::resumable::io_actor: {
      auto& sys = static_cast<caf::scheduled_actor*>(ptr)->home_system();
      *home = &sys;
      return dynamic_cast<loop_scheduler*>(&sys.scheduler());
    }
    default:
      *home = nullptr;
      return fallback;
  }
}

void loop_scheduler::enqueue(caf::resumable* ptr) {
  caf::actor_system* home = nullptr;
  auto owner = owner_of(ptr, this, &home);
  if (owner == nullptr) {
    home->scheduler().enqueue(ptr);
    return;
  }
  if (!loop::instance().push(ptr, owner))
    cleanup_and_release(ptr);
}

void loop_unit::exec_later(caf::resumable* ptr) {
  owner_->enqueue(ptr);
}

// -- the loop's work ----------------------------------------------------------

bool loop::push(caf::resumable* ptr, loop_scheduler* owner) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (owner->stopped)
    return false;
  jobs_.push_back(job{ptr, owner, next_seq_++});
  if (jobs_.size() == 1)
    wake_.notify_one();
  return true;
}

std::vector<caf::resumable*> loop::purge(loop_scheduler* owner) {
  std::unique_lock<std::mutex> guard{mtx_};
  // As CAF's workers do at shutdown, the activations queued before the stop
  // still run (on the loop, so an actor that got its last message, e.g. a
  // clock told to close, ends normally and frees its state); only those
  // queued later are cleaned up here, without running. (Not when stopping
  // on the loop itself: it cannot wait for itself.)
  auto mark = next_seq_;
  if (std::this_thread::get_id() != tid_)
    idle_.wait(guard, [&] {
      return running_ != owner
             && std::none_of(jobs_.begin(), jobs_.end(), [&](const job& j) {
                  return j.owner == owner && j.seq < mark;
                });
    });
  owner->stopped = true;
  idle_.wait(guard, [&] { return running_ != owner; });
  std::vector<caf::resumable*> result;
  auto keep = std::remove_if(jobs_.begin(), jobs_.end(), [&](const job& j) {
    if (j.owner != owner)
      return false;
    result.push_back(j.ptr);
    return true;
  });
  jobs_.erase(keep, jobs_.end());
  return result;
}

void loop::resume(job j) {
  auto& unit = j.owner->unit();
  switch (j.ptr->resume(&unit, j.owner->max_throughput())) {
    case caf::resumable::resume_later:
      j.owner->enqueue(j.ptr);
      break;
    case caf::resumable::shutdown_execution_unit:
      break;
    default: // done or awaiting a message: the queue's reference ends
      intrusive_ptr_release(j.ptr);
      break;
  }
}

/// CAF makes a thread hold the logger of the last system that spawned an
/// actor on it; an actor system's destructor waits until no thread does,
/// so the loop must not keep one between its jobs.
void forget_logger() {
  caf::logger::set_current_actor_system(nullptr);
}

void loop::run(std::uint64_t generation) {
  using namespace std::chrono_literals;
  // CAF's I/O loops wake through pipes this loop cannot wait on: while idle
  // it looks at them again after 1 ms, then less often, up to every 8 ms.
  constexpr auto min_nap = 1ms;
  constexpr auto max_nap = 8ms;
  auto nap = std::chrono::milliseconds{min_nap};
  std::unique_lock<std::mutex> guard{mtx_};
  auto quit = [&] { return generation != generation_; };
  while (!quit()) {
    bool progress = false;
    // The activations queued when this round began, in order; those they
    // schedule run in the next round, after the multiplexers had a turn.
    for (auto n = jobs_.size(); n > 0 && !jobs_.empty(); --n) {
      auto j = jobs_.front();
      jobs_.pop_front();
      running_ = j.owner;
      guard.unlock();
      resume(j);
      forget_logger();
      guard.lock();
      running_ = nullptr;
      idle_.notify_all();
      progress = true;
    }
    for (std::size_t i = 0; i < mpxs_.size(); ++i) {
      polling_ = mpxs_[i];
      guard.unlock();
      if (polling_->try_run_once())
        progress = true;
      forget_logger();
      guard.lock();
      polling_ = nullptr;
      idle_.notify_all();
    }
    if (progress) {
      nap = min_nap;
      continue;
    }
    wake_.wait_for(guard, nap, [&] { return quit() || !jobs_.empty(); });
    nap = std::min(nap * 2, std::chrono::milliseconds{max_nap});
  }
}

} // namespace

// -- local_loop ---------------------------------------------------------------

void local_loop::configure(caf::actor_system_config& cfg) {
  cfg.set("middleman.manual-multiplexing", true);
  cfg.module_factories.push_back(
    [](caf::actor_system& sys) -> caf::actor_system::module* {
      return new loop_scheduler(sys);
    });
}

void local_loop::attach(caf::actor_system& sys) {
  if (!runs(sys)) {
    log(log_level::error, "local_loop::attach: the actor system was not "
                          "configured for the loop");
    return;
  }
  loop::instance().attach(&sys.middleman().backend());
}

void local_loop::detach(caf::actor_system& sys) {
  loop::instance().detach(&sys.middleman().backend());
}

bool local_loop::runs(const caf::actor_system& sys) {
  auto& mutable_sys = const_cast<caf::actor_system&>(sys);
  return dynamic_cast<loop_scheduler*>(&mutable_sys.scheduler()) != nullptr;
}

bool local_loop::on_loop_thread() {
  return std::this_thread::get_id() == loop::instance().thread_id();
}

} // namespace mas::transport
