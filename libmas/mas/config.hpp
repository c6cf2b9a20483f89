#pragma once

#include <caf/actor_system_config.hpp>

namespace mas {

/// Prepares a CAF configuration for libmas: loads the middleman (brokers),
/// registers libmas's message types and its error category, and sets
/// libmas's scheduler defaults where `cfg` has no value yet:
/// `scheduler.max-threads` = the number of cores (CAF: at least 4) and
/// `work-stealing.moderate-poll-attempts` = 0 (idle workers wait on a
/// condition variable instead of sleeping 50 µs at a time; see
/// docs/rpc.md, "Latency and CAF's scheduler"). Values set before or after
/// this call (`cfg.set`, `cfg.parse`, a config file) win. Call it before
/// constructing the `caf::actor_system`.
void configure(caf::actor_system_config& cfg);

} // namespace mas
