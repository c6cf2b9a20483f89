// Helpers shared by the libFuzzer targets in this directory.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "mas/wire/codec.hpp"
#include "mas/wire/error.hpp"
#include "mas/wire/value.hpp"

namespace mas::fuzz {

/// Reports a broken invariant and aborts: libFuzzer records the input as a
/// crash (only `wire_error` on bad input is an expected outcome).
[[noreturn]] inline void fail(const char* what,
                              const std::string& detail = {}) {
  std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s\n", what);
  if (!detail.empty())
    std::fprintf(stderr, "  %s\n", detail.c_str());
  std::fflush(stderr);
  std::abort();
}

#define MAS_FUZZ_CHECK(cond, ...)                                              \
  do {                                                                         \
    if (!(cond))                                                               \
      ::mas::fuzz::fail("check failed: " #cond, ##__VA_ARGS__);                \
  } while (false)

/// Short rendering of a value for failure messages.
inline std::string show(const wire::value& x) {
  auto str = wire::to_string(x);
  if (str.size() > 400)
    str = str.substr(0, 400) + "...";
  return str;
}

/// Encodes `x`; any error is a finding (the value came out of a decoder).
inline wire::byte_buffer must_encode(const wire::codec& c, const wire::value& x,
                                     const char* stage) {
  try {
    return c.encode(x);
  } catch (const wire::wire_error& e) {
    fail(stage, std::string{wire::to_string(e.code())} + ": " + e.what()
                  + "\n  value: " + show(x));
  }
}

/// Decodes bytes that a codec wrote itself; any error is a finding.
inline wire::value must_decode(const wire::codec& c,
                               const wire::byte_buffer& buf,
                               const char* stage) {
  try {
    return c.decode(buf);
  } catch (const wire::wire_error& e) {
    fail(stage, std::string{wire::to_string(e.code())} + ": " + e.what());
  }
}

/// Clears the tuple flag everywhere (keys included): for comparisons across
/// forms that do not keep it (JSON, the readable form).
inline void untuple(wire::value& x) {
  if (auto xs = x.get_if<wire::array>()) {
    x.set_tuple(false);
    for (auto& y : *xs)
      untuple(y);
  } else if (auto d = x.get_if<wire::dict>()) {
    for (auto& [key, val] : *d) {
      untuple(key);
      untuple(val);
    }
  } else if (auto e = x.get_if<wire::ext>()) {
    untuple(e->repr());
  }
}

/// Compares two values ignoring list/tuple flags (NaN equals NaN, -0.0 and
/// 0.0 differ, dicts compare regardless of order, as `value`'s `==` does).
inline bool same_untupled(wire::value x, wire::value y) {
  untuple(x);
  untuple(y);
  return x == y;
}

/// Options for fuzzing: accept any envelope id.
inline wire::codec_options fuzz_options() {
  wire::codec_options opts;
  opts.check_type_ids = false;
  return opts;
}

} // namespace mas::fuzz
