#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace mas::wire {

/// Error codes of the wire layer. Every malformed input maps to exactly one.
enum class errc : int {
  ok = 0,
  /// A frame header announces more bytes than the configured maximum.
  frame_too_large,
  /// The input ended inside a frame (header or payload).
  truncated_frame,
  /// The payload is not valid JSON (syntax).
  invalid_json,
  /// The payload is not valid MessagePack.
  invalid_msgpack,
  /// The payload is not a valid Blosc buffer.
  invalid_blosc,
  /// A string is not valid UTF-8 (or contains a lone surrogate).
  invalid_utf8,
  /// An integer does not fit into int64 or uint64.
  int_out_of_range,
  /// Containers nest deeper than the configured maximum.
  nesting_too_deep,
  /// A `{"__type__": ...}` envelope does not hold `[int, repr]`.
  invalid_envelope,
  /// An extension type id that no registered type uses.
  unknown_type_id,
  /// A value cannot be represented by the codec (e.g. bytes in JSON).
  not_serializable,
  /// A value does not have the shape a message model requires.
  invalid_message,
  /// A value cannot be converted to the requested C++ type.
  type_mismatch,
  /// The decoded values of one payload would take more memory than
  /// `codec_options::max_decoded_size` allows (checked before allocating).
  decoded_too_large,
};

/// Returns the category of `errc` (name: "mas.wire").
const std::error_category& wire_category() noexcept;

inline std::error_code make_error_code(errc x) noexcept {
  return {static_cast<int>(x), wire_category()};
}

/// Returns a short stable name of `x`, e.g. `"frame_too_large"`.
const char* to_string(errc x) noexcept;

/// The exception every wire-layer function throws on bad input.
class wire_error : public std::runtime_error {
public:
  wire_error(errc code, const std::string& what)
    : std::runtime_error(what), code_(code) {
    // nop
  }

  errc code() const noexcept {
    return code_;
  }

private:
  errc code_;
};

} // namespace mas::wire

namespace std {

template <>
struct is_error_code_enum<mas::wire::errc> : true_type {};

} // namespace std
