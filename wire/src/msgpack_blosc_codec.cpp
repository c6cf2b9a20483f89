#include "mas/wire/msgpack_blosc_codec.hpp"

#include <string>

#include <blosc.h>

namespace mas::wire {

namespace {

// python-blosc's `blosc.compress(data, typesize=8)` defaults, as used by
// aiomas's MsgPackBlosc on a 64-bit Python.
constexpr int blosc_clevel = 9;
constexpr int blosc_shuffle = BLOSC_SHUFFLE;
constexpr std::size_t blosc_typesize = 8;
constexpr const char* blosc_compressor = "blosclz";

} // namespace

// -- encoding -----------------------------------------------------------------

void msgpack_blosc_codec::encode(const value& x, byte_buffer& out) const {
  byte_buffer packed;
  msgpack_codec::encode(x, packed);
  auto n = packed.size();
  if (n > static_cast<std::size_t>(BLOSC_MAX_BUFFERSIZE))
    throw wire_error(errc::not_serializable,
                     "msgpack payload of " + std::to_string(n)
                       + " bytes is too large for Blosc (maximum "
                       + std::to_string(BLOSC_MAX_BUFFERSIZE) + ")");
  auto offset = out.size();
  out.resize(offset + n + BLOSC_MAX_OVERHEAD);
  // The context API keeps no global state and ignores the BLOSC_*
  // environment variables; blocksize 0 means automatic, one thread.
  auto res = blosc_compress_ctx(blosc_clevel, blosc_shuffle, blosc_typesize, n,
                                packed.data(), out.data() + offset,
                                n + BLOSC_MAX_OVERHEAD, blosc_compressor, 0, 1);
  if (res <= 0) {
    out.resize(offset);
    throw wire_error(errc::not_serializable, "Blosc compression failed (error "
                                               + std::to_string(res) + ")");
  }
  out.resize(offset + static_cast<std::size_t>(res));
}

// -- decoding -----------------------------------------------------------------

value msgpack_blosc_codec::decode(const std::uint8_t* data,
                                  std::size_t size) const {
  if (size < BLOSC_MIN_HEADER_LENGTH)
    throw wire_error(errc::invalid_blosc,
                     "truncated Blosc buffer: " + std::to_string(size)
                       + " bytes is shorter than the "
                       + std::to_string(BLOSC_MIN_HEADER_LENGTH)
                       + "-byte header");
  std::size_t nbytes = 0;
  std::size_t cbytes = 0;
  std::size_t blocksize = 0;
  blosc_cbuffer_sizes(data, &nbytes, &cbytes, &blocksize);
  if (cbytes < size)
    throw wire_error(errc::invalid_blosc,
                     std::to_string(size - cbytes)
                       + " trailing bytes after the Blosc buffer (header says "
                       + std::to_string(cbytes) + " bytes)");
  if (cbytes > size)
    throw wire_error(errc::invalid_blosc, "truncated Blosc buffer: header says "
                                            + std::to_string(cbytes)
                                            + " bytes, got "
                                            + std::to_string(size));
  if (nbytes > options().max_decompressed_size)
    throw wire_error(errc::frame_too_large,
                     "Blosc buffer decompresses to " + std::to_string(nbytes)
                       + " bytes, more than the maximum of "
                       + std::to_string(options().max_decompressed_size));
  // Checks the version, the sizes and that cbytes <= size.
  if (blosc_cbuffer_validate(data, size, &nbytes) != 0)
    throw wire_error(errc::invalid_blosc, "invalid Blosc header");
  if (nbytes == 0) // A valid buffer, but no MsgPack value in it.
    return msgpack_codec::decode(nullptr, 0);
  byte_buffer packed(nbytes);
  auto res = blosc_decompress_ctx(data, packed.data(), packed.size(), 1);
  if (res < 0 || static_cast<std::size_t>(res) != nbytes)
    throw wire_error(errc::invalid_blosc,
                     "corrupt Blosc buffer (decompression returned "
                       + std::to_string(res) + ", expected "
                       + std::to_string(nbytes) + " bytes)");
  return msgpack_codec::decode(packed.data(), packed.size());
}

} // namespace mas::wire
