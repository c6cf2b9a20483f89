#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace mas {

/// How much an event matters to an operator.
enum class log_level { error, warning, info, debug };

/// Returns `"error"`, `"warning"`, `"info"` or `"debug"`.
const char* to_string(log_level x) noexcept;

/// Receives libmas's log lines: connections closed for a protocol error or
/// a timeout, refused connections, accept failures. Called from CAF's I/O
/// thread and from accept threads: keep it short and thread-safe.
using log_sink = std::function<void(log_level, std::string_view)>;

/// Replaces the sink (default: one line `libmas <level>: <text>` on stderr
/// for levels up to `warning`). An empty function restores the default.
/// Returns the previous sink.
log_sink set_log_sink(log_sink sink);

/// Sends one line to the current sink.
void log(log_level level, std::string_view text);

} // namespace mas
