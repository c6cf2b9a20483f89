#pragma once

#include <string>

#include "mas/wire/codec.hpp"

namespace mas::wire {

/// aiomas's and mango's JSON codec.
///
/// Encoding writes exactly what Python's `json.dumps(obj)` writes with its
/// defaults: `", "` and `": "` separators, `ensure_ascii=True`, Python float
/// `repr`, bare `NaN`/`Infinity`, and non-string dict keys turned into
/// strings the way Python does (`1` -> `"1"`, `True` -> `"true"`, `None` ->
/// `"null"`). Bytes, and dict keys of other types, are `not_serializable`.
///
/// Decoding accepts what Python's `json.loads` accepts, including the bare
/// `NaN`, `Infinity` and `-Infinity` tokens; floats round correctly; ints
/// beyond 64 bits fail with `int_out_of_range`.
class json_codec : public codec {
public:
  using codec::codec;
  using codec::decode;
  using codec::encode;

  codec_kind kind() const noexcept override {
    return codec_kind::json;
  }

  void encode(const value& x, byte_buffer& out) const override;

  value decode(const std::uint8_t* data, std::size_t size) const override;

  /// Appends the JSON text of `x` to `out` (same bytes as @ref encode).
  void encode_text(const value& x, std::string& out) const;

  /// Decodes JSON text.
  value decode_text(std::string_view text) const;
};

} // namespace mas::wire
