#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mas/wire/codec.hpp"
#include "mas/wire/frame.hpp"

namespace mas::masctl {

/// Command line of masctl.
struct options {
  std::string command;
  wire::codec_kind codec = wire::codec_kind::json;
  std::size_t max_frame_size = wire::default_max_frame_size;
  /// decode/encode: input file (default stdin).
  std::optional<std::string> file;
  /// call: ADDR, PATH, ARG...
  std::vector<std::string> args;
  /// call: --kwargs JSON.
  std::optional<std::string> kwargs;
  /// call: --tls CA CERT KEY.
  std::vector<std::string> tls;
  /// call: --timeout seconds.
  double timeout = 10;
};

/// `masctl call`; returns the exit status.
int run_call(const options& opts);

} // namespace mas::masctl
