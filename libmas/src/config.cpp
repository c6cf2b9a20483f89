#include "mas/config.hpp"

#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>

#include "mas/atoms.hpp"
#include "mas/errc.hpp"

namespace mas {

void configure(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  cfg.add_error_category(caf::atom("mas"), render_error);
}

} // namespace mas
