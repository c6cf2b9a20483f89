#pragma once

#include <caf/actor_system_config.hpp>

namespace mas {

/// Prepares a CAF configuration for libmas: loads the middleman (brokers),
/// registers libmas's message types and its error category. Call it before
/// constructing the `caf::actor_system`.
void configure(caf::actor_system_config& cfg);

} // namespace mas
