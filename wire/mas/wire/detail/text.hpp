#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mas::wire::detail {

/// Appends `x` as Python's `repr(float)` writes it: shortest round-trip
/// digits, `1.0`, `1e-05`, `1e+16`, `-0.0`. Non-finite values become
/// `nan`/`inf`/`-inf` if `python_repr`, else the JSON tokens `NaN`,
/// `Infinity`, `-Infinity` that Python's `json.dumps` writes.
void append_python_float(std::string& out, double x, bool python_repr);

/// Returns whether `str` is valid UTF-8 as Python's strict codec sees it
/// (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view str) noexcept;

/// Appends `str` (valid UTF-8) as a JSON string literal the way Python's
/// `json.dumps` with `ensure_ascii=True` writes it.
void append_json_string(std::string& out, std::string_view str);

} // namespace mas::wire::detail
