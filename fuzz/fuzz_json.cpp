// libFuzzer target: the JSON codec (aiomas.codecs.JSON / mango's JSON).
//
// Bad input must fail with wire_error only, and exactly what Python rejects
// must be rejected: a strict recognizer of Python's grammar
// (python_json_grammar.hpp, for `json.loads(data.decode())`) is the oracle.
// The decoder must reject everything the grammar rejects, and may reject
// grammatical input only for documented reasons: ints beyond 64 bits
// (int_out_of_range), nesting (nesting_too_deep), lone surrogate escapes
// (invalid_utf8), a malformed `{"__type__": ...}` envelope (invalid_envelope;
// aiomas fails there too, with ValueError/KeyError). Every number must
// decode to the value Python gives it (ints exactly, floats bit for bit,
// overflow to +-inf, underflow to +-0.0). Whatever decodes must
//  1. re-encode (JSON decoding yields only string keys and no bytes, so
//     encoding cannot legitimately fail) and decode to an equal value;
//  2. be a fixed point: encoding the re-decoded value gives the same bytes;
//  3. survive a trip through the MsgPack codec: JSON -> value -> MsgPack ->
//     value -> JSON gives the same bytes (JSON ignores the tuple flag);
//  4. survive the readable form (masctl): from_readable_json(
//     to_readable_json(v)) encodes to the same JSON bytes. The readable form
//     may wrap dicts in `{"$map": ...}` and so nest deeper; only
//     nesting_too_deep is accepted there.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "mas/wire/json_codec.hpp"
#include "mas/wire/msgpack_codec.hpp"
#include "mas/wire/readable.hpp"
#include "python_json_grammar.hpp"

using namespace mas::wire;
using mas::fuzz::fail;
using mas::fuzz::must_decode;
using mas::fuzz::must_encode;
using mas::fuzz::show;
using grammar = mas::fuzz::python_json_grammar;

namespace {

/// Appends the numbers of `x` in document order.
void collect_numbers(const value& x, std::vector<const value*>& out) {
  if (x.is_int() || x.is_float()) {
    out.push_back(&x);
  } else if (auto xs = x.get_if<array>()) {
    for (auto& y : *xs)
      collect_numbers(y, out);
  } else if (auto d = x.get_if<dict>()) {
    for (auto& kvp : *d)
      collect_numbers(kvp.second, out);
  }
}

bool same_number(const grammar::number& ref, const value& x) {
  using k = grammar::number;
  switch (ref.kind) {
    case k::int64:
      return x.get_if<std::int64_t>() && *x.get_if<std::int64_t>() == ref.i;
    case k::uint64:
      if (auto i = x.get_if<std::int64_t>())
        return *i >= 0 && static_cast<std::uint64_t>(*i) == ref.u;
      return x.get_if<std::uint64_t>() && *x.get_if<std::uint64_t>() == ref.u;
    case k::big_int:
      return false;
    case k::float64: {
      auto d = x.get_if<double>();
      if (d == nullptr)
        return false;
      if (std::isnan(ref.d) || std::isnan(*d))
        return std::isnan(ref.d) && std::isnan(*d);
      return std::memcmp(d, &ref.d, sizeof(double)) == 0;
    }
  }
  return false;
}

std::string describe(const grammar::number& ref) {
  switch (ref.kind) {
    case grammar::number::int64:
      return std::to_string(ref.i);
    case grammar::number::uint64:
      return std::to_string(ref.u);
    case grammar::number::big_int:
      return "int beyond 64 bits";
    default:
      return to_string(value{ref.d});
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const json_codec json{mas::fuzz::fuzz_options()};
  static const msgpack_codec mp{mas::fuzz::fuzz_options()};
  auto ref = mas::fuzz::python_json_grammar::check(data, size);
  value v;
  try {
    v = json.decode(data, size);
  } catch (const wire_error& e) {
    if (ref.valid) {
      auto code = e.code();
      bool documented = code == errc::int_out_of_range
                        || code == errc::nesting_too_deep
                        || code == errc::invalid_envelope
                        || (code == errc::invalid_utf8 && ref.lone_surrogate);
      if (!documented)
        fail("decoder rejects JSON that Python accepts",
             std::string{to_string(code)} + ": " + e.what());
    }
    return 0;
  }
  if (!ref.valid)
    fail("decoder accepts JSON that Python rejects", "decoded as: " + show(v));
  if (!ref.order_ambiguous) {
    std::vector<const value*> got;
    collect_numbers(v, got);
    if (got.size() != ref.numbers.size())
      fail("decoded value holds another count of numbers than the text",
           std::to_string(got.size()) + " vs "
             + std::to_string(ref.numbers.size())
             + "\n  decoded as: " + show(v));
    for (std::size_t i = 0; i < got.size(); ++i)
      if (!same_number(ref.numbers[i], *got[i]))
        fail("a number decodes to another value than in Python",
             "number #" + std::to_string(i) + ": got " + show(*got[i])
               + ", Python: " + describe(ref.numbers[i]));
  }
  // (1) round trip
  auto enc = must_encode(json, v, "JSON re-encode of a decoded value failed");
  auto v2 = must_decode(json, enc, "JSON decode of our own encoding failed");
  if (!(v == v2))
    fail("JSON round trip changed the value",
         "before: " + show(v) + "\n  after:  " + show(v2));
  // (2) fixed point
  auto enc2 = must_encode(json, v2, "JSON second encode failed");
  if (enc2 != enc)
    fail("JSON encoding is not a fixed point",
         std::string{enc.begin(), enc.end()} + "\n  vs\n  "
           + std::string{enc2.begin(), enc2.end()});
  // (3) through MsgPack
  auto packed = must_encode(mp, v, "MsgPack encode of a JSON value failed");
  auto v3
    = must_decode(mp, packed, "MsgPack decode of our own encoding failed");
  auto enc3 = must_encode(json, v3, "JSON encode after MsgPack trip failed");
  if (enc3 != enc)
    fail("JSON -> MsgPack -> JSON changed the bytes",
         std::string{enc.begin(), enc.end()} + "\n  vs\n  "
           + std::string{enc3.begin(), enc3.end()});
  // (4) readable form
  try {
    auto text = to_readable_json(v);
    auto v4 = from_readable_json(text);
    auto enc4 = must_encode(json, v4, "JSON encode after readable trip failed");
    if (enc4 != enc)
      fail("readable form round trip changed the bytes",
           std::string{enc.begin(), enc.end()} + "\n  vs\n  "
             + std::string{enc4.begin(), enc4.end()} + "\n  readable: " + text);
  } catch (const wire_error& e) {
    if (e.code() != errc::nesting_too_deep)
      fail("readable form round trip failed", std::string{to_string(e.code())}
                                                + ": " + e.what()
                                                + "\n  value: " + show(v));
  }
  return 0;
}
