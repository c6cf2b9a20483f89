// libFuzzer target: the MsgPack codec (aiomas.codecs.MsgPack).
//
// Bad input must fail with wire_error only. Whatever decodes must
//  1. re-encode and decode to an equal value (arrays come back as tuples on
//     both trips, non-string keys and bytes included);
//  2. be a fixed point: encoding the re-decoded value gives the same bytes;
//  3. survive the readable form (masctl), which is lossless except for the
//     list/tuple flag: from_readable_json(to_readable_json(v)) equals v with
//     all tuple flags cleared. (Compared as values, not as MsgPack bytes: the
//     readable form is JSON and writes every NaN as `NaN`, so NaN sign and
//     payload bits do not survive, as with Python's json.) The readable form
//     nests deeper (`{"$map": [[k, v]]}`); only nesting_too_deep is accepted
//     there.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "mas/wire/msgpack_codec.hpp"
#include "mas/wire/readable.hpp"

using namespace mas::wire;
using mas::fuzz::fail;
using mas::fuzz::must_decode;
using mas::fuzz::must_encode;
using mas::fuzz::show;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const msgpack_codec mp{mas::fuzz::fuzz_options()};
  value v;
  try {
    v = mp.decode(data, size);
  } catch (const wire_error&) {
    return 0;
  }
  // (1) round trip
  auto enc = must_encode(mp, v, "MsgPack re-encode of a decoded value failed");
  auto v2 = must_decode(mp, enc, "MsgPack decode of our own encoding failed");
  if (!(v == v2))
    fail("MsgPack round trip changed the value",
         "before: " + show(v) + "\n  after:  " + show(v2));
  // (2) fixed point
  auto enc2 = must_encode(mp, v2, "MsgPack second encode failed");
  if (enc2 != enc)
    fail("MsgPack encoding is not a fixed point", show(v));
  // (3) readable form
  try {
    auto text = to_readable_json(v);
    auto v3 = from_readable_json(text);
    if (!mas::fuzz::same_untupled(v, v3))
      fail("readable form round trip changed the value",
           "value: " + show(v) + "\n  readable: " + text.substr(0, 400)
             + "\n  back: " + show(v3));
  } catch (const wire_error& e) {
    if (e.code() != errc::nesting_too_deep)
      fail("readable form round trip failed", std::string{to_string(e.code())}
                                                + ": " + e.what()
                                                + "\n  value: " + show(v));
  }
  return 0;
}
