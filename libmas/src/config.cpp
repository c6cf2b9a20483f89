#include "mas/config.hpp"

#include <algorithm>
#include <cstddef>
#include <thread>

#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>
#include <caf/settings.hpp>

#include "mas/atoms.hpp"
#include "mas/errc.hpp"

namespace mas {

namespace {

/// Sets `key` unless the configuration already has a value for it, so the
/// order of `configure` and the user's own `set`/`parse` does not matter.
template <class T>
void set_default(caf::actor_system_config& cfg, const char* key, T value) {
  if (caf::get_if(&cfg.content, key) == nullptr)
    cfg.set(key, value);
}

} // namespace

void configure(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  cfg.add_error_category(caf::atom("mas"), render_error);
  // CAF 0.17's idle work-stealing workers first poll, then sleep 50 µs at a
  // time for 25 ms (the moderate phase), and only then wait on a condition
  // variable that an enqueue from another thread (the I/O thread) signals.
  // A reply arriving on the I/O thread thus waited for a sleep to end
  // (~100-130 µs per sequential call) and the sleeps cost CPU while nearly
  // idle. Without the moderate phase a worker goes from spinning straight to
  // that condition variable. CAF also starts max(4, cores) workers: on small
  // machines, more threads than cores only add hand-offs.
  auto cores = static_cast<std::size_t>(
    std::max(1u, std::thread::hardware_concurrency()));
  set_default(cfg, "scheduler.max-threads", cores);
  set_default(cfg, "work-stealing.moderate-poll-attempts", std::size_t{0});
}

} // namespace mas
