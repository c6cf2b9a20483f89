#pragma once

#include "mas/wire/msgpack_codec.hpp"

namespace mas::wire {

/// aiomas's MsgPackBlosc codec (`aiomas.codecs.MsgPackBlosc`): the MsgPack
/// encoding of @ref msgpack_codec, compressed as one Blosc-1 buffer.
///
/// Encoding uses python-blosc's `blosc.compress(data, typesize=8)` settings:
/// compression level 9, byte shuffle, compressor `blosclz`, type size 8
/// (aiomas on a 64-bit Python). Decoding accepts any Blosc-1 buffer, checks
/// its header before allocating (the decompressed size must not exceed
/// `codec_options::max_decompressed_size`) and then decodes the MsgPack.
///
/// Derives from @ref msgpack_codec to share its MsgPack logic; @ref kind
/// tells the two apart.
class msgpack_blosc_codec : public msgpack_codec {
public:
  using codec::decode;
  using codec::encode;
  using msgpack_codec::msgpack_codec;

  codec_kind kind() const noexcept override {
    return codec_kind::msgpack_blosc;
  }

  void encode(const value& x, byte_buffer& out) const override;

  value decode(const std::uint8_t* data, std::size_t size) const override;
};

} // namespace mas::wire
