// libFuzzer target: the MsgPackBlosc codec (aiomas.codecs.MsgPackBlosc).
//
// Two things per input:
//  A. The input as a Blosc buffer. Bad input must fail with wire_error only
//     (the Blosc header is checked before allocating). Whatever decodes must
//     re-encode (Blosc + MsgPack), decode to an equal value, and its inner
//     MsgPack must round-trip as well.
//  B. The input as MsgPack wrapped in a valid Blosc buffer (compressed here
//     with the C-Blosc API, with settings derived from the first byte), so
//     random bytes reach the MsgPack decoder behind Blosc: the Blosc codec
//     must then agree with the plain MsgPack codec on the same bytes (equal
//     value, or the same error code).
#include <blosc.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "mas/wire/msgpack_blosc_codec.hpp"
#include "mas/wire/msgpack_codec.hpp"

using namespace mas::wire;
using mas::fuzz::fail;
using mas::fuzz::must_decode;
using mas::fuzz::must_encode;
using mas::fuzz::show;

namespace {

const msgpack_blosc_codec& blosc_codec() {
  static const msgpack_blosc_codec c{mas::fuzz::fuzz_options()};
  return c;
}

const msgpack_codec& mp_codec() {
  static const msgpack_codec c{mas::fuzz::fuzz_options()};
  return c;
}

void round_trip(const value& v) {
  auto& bc = blosc_codec();
  auto enc = must_encode(bc, v, "Blosc re-encode of a decoded value failed");
  auto v2 = must_decode(bc, enc, "Blosc decode of our own encoding failed");
  if (!(v == v2))
    fail("MsgPackBlosc round trip changed the value",
         "before: " + show(v) + "\n  after:  " + show(v2));
  auto& mp = mp_codec();
  auto inner = must_encode(mp, v, "MsgPack encode of the inner value failed");
  auto v3 = must_decode(mp, inner, "MsgPack decode of the inner value failed");
  if (!(v == v3))
    fail("inner MsgPack round trip changed the value",
         "before: " + show(v) + "\n  after:  " + show(v3));
}

struct outcome {
  bool ok = false;
  errc code = errc::ok;
  value val;
};

template <class F>
outcome attempt(F&& f) {
  outcome r;
  try {
    r.val = f();
    r.ok = true;
  } catch (const wire_error& e) {
    r.code = e.code();
  }
  return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  auto& bc = blosc_codec();
  // A: raw Blosc buffer.
  {
    auto r = attempt([&] { return bc.decode(data, size); });
    if (r.ok)
      round_trip(r.val);
  }
  // B: MsgPack behind a valid Blosc buffer.
  {
    auto flags = size > 0 ? data[0] : 0;
    static const char* const compressors[]
      = {"blosclz", "lz4", "lz4hc", "zlib", "zstd"};
    auto compressor = compressors[(flags >> 4) % 5];
    int clevel = (flags & 0x0f) % 10;
    int shuffle = (flags >> 2) % 3;
    std::size_t typesize = std::size_t{1} << ((flags >> 5) & 3);
    byte_buffer wrapped(size + BLOSC_MAX_OVERHEAD);
    auto n
      = blosc_compress_ctx(clevel, shuffle, typesize, size, data,
                           wrapped.data(), wrapped.size(), compressor, 0, 1);
    if (n <= 0)
      fail("blosc_compress_ctx failed", std::to_string(n));
    wrapped.resize(static_cast<std::size_t>(n));
    auto viab = attempt([&] { return bc.decode(wrapped); });
    auto plain = attempt([&] { return mp_codec().decode(data, size); });
    if (viab.ok != plain.ok || viab.code != plain.code)
      fail("Blosc-wrapped decode disagrees with plain MsgPack decode",
           std::string{"blosc: "} + (viab.ok ? "ok" : to_string(viab.code))
             + ", msgpack: " + (plain.ok ? "ok" : to_string(plain.code))
             + ", compressor " + compressor);
    if (viab.ok && !(viab.val == plain.val))
      fail("Blosc-wrapped decode gives another value",
           show(viab.val) + "\n  vs\n  " + show(plain.val));
    if (viab.ok)
      round_trip(viab.val);
  }
  return 0;
}
