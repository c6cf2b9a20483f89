#pragma once

#include <cstddef>
#include <string>

#include "mas/wire/error.hpp"
#include "mas/wire/value.hpp"

namespace mas::wire::detail {

/// Counts the memory the decoded values of one payload take against
/// `codec_options::max_decoded_size`. Decoders charge *before* they
/// allocate, so exceeding the limit throws instead of allocating.
class decode_budget {
public:
  explicit decode_budget(std::size_t limit) noexcept
    : limit_(limit), left_(limit) {
    // nop
  }

  /// Charges `n` values (`sizeof(value)` each) for `what` (e.g. "a msgpack
  /// array", named in the error message).
  /// @throws wire_error `decoded_too_large`.
  void charge_values(std::size_t n, const char* what) {
    if (n > left_ / sizeof(value))
      fail(what, n, n == 1 ? " value" : " values");
    left_ -= n * sizeof(value);
  }

  /// Charges `n` bytes of str or bytes contents for `what`.
  /// @throws wire_error `decoded_too_large`.
  void charge_bytes(std::size_t n, const char* what) {
    if (n > left_)
      fail(what, n, " bytes");
    left_ -= n;
  }

  /// How many more values the budget allows.
  std::size_t values_left() const noexcept {
    return left_ / sizeof(value);
  }

  /// Bytes charged so far.
  std::size_t used() const noexcept {
    return limit_ - left_;
  }

private:
  [[noreturn]] void fail(const char* what, std::size_t n,
                         const char* unit) const {
    throw wire_error(errc::decoded_too_large,
                     std::string{"decoded values would exceed "
                                 "max_decoded_size ("}
                       + std::to_string(limit_) + " bytes): " + what + " needs "
                       + std::to_string(n) + " more" + unit + ", with "
                       + std::to_string(used()) + " bytes already decoded");
  }

  std::size_t limit_;
  std::size_t left_;
};

} // namespace mas::wire::detail
