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

/// Reads an unsigned 32-bit little-endian field of the Blosc header.
/// (`blosc_cbuffer_sizes` reads them as signed ints and sign-extends sizes
/// of 2 GiB and more to nearly 2^64.)
std::size_t read_u32le(const std::uint8_t* p) noexcept {
  return std::size_t{p[0]} | (std::size_t{p[1]} << 8)
         | (std::size_t{p[2]} << 16) | (std::size_t{p[3]} << 24);
}

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
  // Header: version, versionlz, flags, typesize, then nbytes, blocksize and
  // cbytes as uint32 little-endian.
  auto nbytes = read_u32le(data + 4);
  auto cbytes = read_u32le(data + 12);
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
  // A bomb (a small buffer announcing a huge payload) fails here, before
  // any allocation or decompression.
  if (nbytes > options().max_decompressed_size)
    throw wire_error(
      errc::frame_too_large,
      "Blosc buffer of " + std::to_string(size) + " bytes decompresses to "
        + std::to_string(nbytes) + " bytes, more than max_decompressed_size ("
        + std::to_string(options().max_decompressed_size) + " bytes)");
  // Checks the version, the sizes and that cbytes <= size.
  std::size_t validated = 0;
  if (blosc_cbuffer_validate(data, size, &validated) != 0
      || validated != nbytes)
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
