#include "mas/log.hpp"

#include <cstdio>
#include <mutex>

namespace mas {

namespace {

std::mutex sink_mtx;
log_sink current_sink;

void default_sink(log_level level, std::string_view text) {
  if (level > log_level::warning)
    return;
  std::fprintf(stderr, "libmas %s: %.*s\n", to_string(level),
               static_cast<int>(text.size()), text.data());
}

} // namespace

const char* to_string(log_level x) noexcept {
  switch (x) {
    case log_level::error:
      return "error";
    case log_level::warning:
      return "warning";
    case log_level::info:
      return "info";
    case log_level::debug:
      return "debug";
  }
  return "unknown";
}

log_sink set_log_sink(log_sink sink) {
  std::lock_guard<std::mutex> guard{sink_mtx};
  std::swap(current_sink, sink);
  return sink;
}

void log(log_level level, std::string_view text) {
  log_sink sink;
  {
    std::lock_guard<std::mutex> guard{sink_mtx};
    sink = current_sink;
  }
  if (sink)
    sink(level, text);
  else
    default_sink(level, text);
}

} // namespace mas
