#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mas::wire::detail {

/// The most characters @ref format_python_float writes.
inline constexpr std::size_t max_python_float_size = 32;

/// Writes `x` as Python's `repr(float)` writes it: shortest round-trip
/// digits, `1.0`, `1e-05`, `1e+16`, `-0.0`. Non-finite values become
/// `nan`/`inf`/`-inf` if `python_repr`, else the JSON tokens `NaN`,
/// `Infinity`, `-Infinity` that Python's `json.dumps` writes. `buf` must hold
/// @ref max_python_float_size characters; returns how many were written.
std::size_t format_python_float(char* buf, double x, bool python_repr) noexcept;

/// Appends `x` as @ref format_python_float writes it.
void append_python_float(std::string& out, double x, bool python_repr);

/// Returns whether `str` is valid UTF-8 as Python's strict codec sees it
/// (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view str) noexcept;

} // namespace mas::wire::detail
