#pragma once

#include "mas/wire/codec.hpp"

namespace mas::wire {

/// aiomas's MsgPack codec (`aiomas.codecs.MsgPack`).
///
/// Encoding writes exactly what Python's `msgpack.packb(obj,
/// use_bin_type=True)` writes: ints in their smallest form (non-negative ints
/// use the uint family, negative ints the int family), floats always as
/// float64 (`0xcb`), strings in the str family (str8 included), bytes in the
/// bin family, arrays (lists and tuples) and maps in insertion order. An
/// @ref ext becomes the map `{"__type__": [type_id, repr]}`.
///
/// Decoding accepts what Python's `msgpack.unpackb(data, use_list=False,
/// raw=False)` accepts: arrays become tuples, float32 becomes a float, strings
/// must be valid UTF-8, maps may have non-string keys. MsgPack ext types
/// (`fixext`, `ext8`...) are `invalid_msgpack`: aiomas never sends them.
class msgpack_codec : public codec {
public:
  using codec::codec;
  using codec::decode;
  using codec::encode;

  codec_kind kind() const noexcept override {
    return codec_kind::msgpack;
  }

  void encode(const value& x, byte_buffer& out) const override;

  value decode(const std::uint8_t* data, std::size_t size) const override;
};

} // namespace mas::wire
