#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include <string>
#include <string_view>
#include <sys/resource.h>

#include "mas/wire/msgpack_blosc_codec.hpp"
#include "mas/wire/msgpack_codec.hpp"

using namespace mas::wire;

namespace {

/// Parses space-separated hex octets: `"93 00 01"`.
byte_buffer hex(std::string_view str) {
  byte_buffer result;
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return c - 'A' + 10;
  };
  for (std::size_t i = 0; i < str.size();) {
    if (str[i] == ' ') {
      ++i;
      continue;
    }
    result.push_back(
      static_cast<std::uint8_t>(nibble(str[i]) * 16 + nibble(str[i + 1])));
    i += 2;
  }
  return result;
}

byte_buffer concat(byte_buffer xs, const byte_buffer& ys) {
  xs.insert(xs.end(), ys.begin(), ys.end());
  return xs;
}

/// Returns the error code `decode` throws, or `errc::ok`.
errc decode_error(const codec& c, const std::uint8_t* data, std::size_t size) {
  try {
    c.decode(data, size);
  } catch (const wire_error& e) {
    return e.code();
  }
  return errc::ok;
}

errc decode_error(const codec& c, const byte_buffer& buf) {
  return decode_error(c, buf.data(), buf.size());
}

std::string decode_message(const codec& c, const byte_buffer& buf) {
  try {
    c.decode(buf);
  } catch (const wire_error& e) {
    return e.what();
  }
  return "";
}

errc encode_error(const codec& c, const value& x) {
  try {
    c.encode(x);
  } catch (const wire_error& e) {
    return e.code();
  }
  return errc::ok;
}

codec_options unchecked() {
  codec_options opts;
  opts.check_type_ids = false;
  return opts;
}

/// A message with every kind of value (decodes as `value_of_every_kind`).
value value_of_every_kind() {
  dict d;
  d.append("s", "str");
  d.append(1, "int key");
  d.append(value{}, true);
  d.append(value::tuple({1, 2}), -1.5);
  return value::tuple({
    value{},
    true,
    false,
    0,
    -1,
    std::numeric_limits<std::int64_t>::min(),
    std::numeric_limits<std::uint64_t>::max(),
    0.25,
    "h\xc3\xa9llo",
    bytes::from_string(std::string{"\x00\xff", 2}),
    value::tuple({}),
    value::tuple({1, value::tuple({"x"})}),
    dict{},
    value{std::move(d)},
    ext{0, value::tuple({"nested", 1})},
  });
}

} // namespace

// -- encoding: exact bytes ----------------------------------------------------

// Every expected byte string in this file came from Python's
// `msgpack.packb(obj, use_bin_type=True)` (msgpack 0.6.2 in .venv).

TEST_CASE("msgpack encodes the aiomas request example like Python") {
  msgpack_codec c;
  // msgpack.packb([0, 1, ["x", [1, 2], {}]], use_bin_type=True)
  auto x = value::list({0, 1, value::list({"x", value::list({1, 2}), dict{}})});
  CHECK(c.encode(x) == hex("93 00 01 93 a1 78 92 01 02 80"));
  // Tuples and lists encode alike.
  auto t
    = value::tuple({0, 1, value::tuple({"x", value::tuple({1, 2}), dict{}})});
  CHECK(c.encode(t) == hex("93 00 01 93 a1 78 92 01 02 80"));
}

TEST_CASE("msgpack encodes ints in their smallest form like Python") {
  msgpack_codec c;
  using i64 = std::int64_t;
  using u64 = std::uint64_t;
  CHECK(c.encode(0) == hex("00"));
  CHECK(c.encode(127) == hex("7f"));
  CHECK(c.encode(128) == hex("cc 80"));
  CHECK(c.encode(255) == hex("cc ff"));
  CHECK(c.encode(256) == hex("cd 01 00"));
  CHECK(c.encode(65535) == hex("cd ff ff"));
  CHECK(c.encode(65536) == hex("ce 00 01 00 00"));
  CHECK(c.encode(i64{4294967295}) == hex("ce ff ff ff ff"));
  CHECK(c.encode(i64{4294967296}) == hex("cf 00 00 00 01 00 00 00 00"));
  CHECK(c.encode(std::numeric_limits<i64>::max())
        == hex("cf 7f ff ff ff ff ff ff ff"));
  CHECK(c.encode(std::numeric_limits<u64>::max())
        == hex("cf ff ff ff ff ff ff ff ff"));
  CHECK(c.encode(-1) == hex("ff"));
  CHECK(c.encode(-32) == hex("e0"));
  CHECK(c.encode(-33) == hex("d0 df"));
  CHECK(c.encode(-128) == hex("d0 80"));
  CHECK(c.encode(-129) == hex("d1 ff 7f"));
  CHECK(c.encode(-32768) == hex("d1 80 00"));
  CHECK(c.encode(-32769) == hex("d2 ff ff 7f ff"));
  CHECK(c.encode(i64{-2147483648}) == hex("d2 80 00 00 00"));
  CHECK(c.encode(i64{-2147483649}) == hex("d3 ff ff ff ff 7f ff ff ff"));
  CHECK(c.encode(std::numeric_limits<i64>::min())
        == hex("d3 80 00 00 00 00 00 00 00"));
}

TEST_CASE("msgpack encodes floats always as float64 like Python") {
  msgpack_codec c;
  CHECK(c.encode(1.0) == hex("cb 3f f0 00 00 00 00 00 00"));
  CHECK(c.encode(0.0) == hex("cb 00 00 00 00 00 00 00 00"));
  // msgpack.packb([-0.0, 0.5, float('nan'), float('inf')])
  auto xs = value::list({-0.0, 0.5, std::numeric_limits<double>::quiet_NaN(),
                         std::numeric_limits<double>::infinity()});
  CHECK(c.encode(xs)
        == hex("94 cb 80 00 00 00 00 00 00 00 cb 3f e0 00 00 00 00 00 00"
               "   cb 7f f8 00 00 00 00 00 00 cb 7f f0 00 00 00 00 00 00"));
}

TEST_CASE("msgpack encodes nil and bools") {
  msgpack_codec c;
  CHECK(c.encode(value{}) == hex("c0"));
  CHECK(c.encode(true) == hex("c3"));
  CHECK(c.encode(false) == hex("c2"));
}

TEST_CASE("msgpack encodes str with fixstr, str8, str16 and str32") {
  msgpack_codec c;
  auto head = [&](std::size_t n, std::size_t head_size) {
    auto buf = c.encode(std::string(n, 'a'));
    REQUIRE(buf.size() == n + head_size);
    return byte_buffer(buf.begin(),
                       buf.begin() + static_cast<std::ptrdiff_t>(head_size));
  };
  CHECK(c.encode("") == hex("a0"));
  CHECK(c.encode("x") == hex("a1 78"));
  CHECK(head(31, 1) == hex("bf"));
  CHECK(head(32, 2) == hex("d9 20"));
  CHECK(head(255, 2) == hex("d9 ff"));
  CHECK(head(256, 3) == hex("da 01 00"));
  CHECK(head(65535, 3) == hex("da ff ff"));
  CHECK(head(65536, 5) == hex("db 00 01 00 00"));
}

TEST_CASE("msgpack encodes bytes with bin8, bin16 and bin32") {
  msgpack_codec c;
  CHECK(c.encode(bytes{}) == hex("c4 00"));
  CHECK(c.encode(bytes::from_string(std::string{"\x00\xff", 2}))
        == hex("c4 02 00 ff"));
  auto head = [&](std::size_t n, std::size_t head_size) {
    auto buf = c.encode(bytes{byte_buffer(n, 0x62)});
    REQUIRE(buf.size() == n + head_size);
    return byte_buffer(buf.begin(),
                       buf.begin() + static_cast<std::ptrdiff_t>(head_size));
  };
  CHECK(head(255, 2) == hex("c4 ff"));
  CHECK(head(256, 3) == hex("c5 01 00"));
  CHECK(head(65536, 5) == hex("c6 00 01 00 00"));
}

TEST_CASE("msgpack encodes arrays and maps with fix, 16 and 32 headers") {
  msgpack_codec c;
  auto encode_head = [&](const value& x, std::size_t n) {
    auto buf = c.encode(x);
    return byte_buffer(buf.begin(),
                       buf.begin() + static_cast<std::ptrdiff_t>(n));
  };
  array xs;
  for (int i = 0; i < 15; ++i)
    xs.emplace_back(i);
  CHECK(encode_head(value{xs}, 1) == hex("9f"));
  xs.emplace_back(15);
  CHECK(encode_head(value{xs}, 4) == hex("dc 00 10 00"));
  xs.resize(65536, value{0});
  CHECK(encode_head(value{xs}, 6) == hex("dd 00 01 00 00 00"));
  dict d;
  for (int i = 0; i < 15; ++i)
    d.append(i, value{});
  CHECK(encode_head(value{d}, 1) == hex("8f"));
  d.append(15, value{});
  CHECK(encode_head(value{d}, 4) == hex("de 00 10 00"));
}

TEST_CASE("msgpack encodes dicts in insertion order with non-string keys") {
  msgpack_codec c;
  // msgpack.packb({1: 'a', None: True}, use_bin_type=True)
  dict d;
  d.append(1, "a");
  d.append(value{}, true);
  CHECK(c.encode(value{d}) == hex("82 01 a1 61 c0 c3"));
}

TEST_CASE("msgpack encodes ext values as the __type__ envelope") {
  msgpack_codec c;
  // msgpack.packb({'__type__': (3, 'x')}, use_bin_type=True)
  CHECK(c.encode(ext{3, "x"})
        == hex("81 a8 5f 5f 74 79 70 65 5f 5f 92 03 a1 78"));
}

TEST_CASE("msgpack encoding enforces max_depth") {
  codec_options opts;
  opts.max_depth = 3;
  msgpack_codec c{opts};
  auto nested = [](int levels) {
    value x = 1;
    for (int i = 0; i < levels; ++i)
      x = value::list({std::move(x)});
    return x;
  };
  CHECK(c.encode(nested(3)) == hex("91 91 91 01"));
  CHECK(encode_error(c, nested(4)) == errc::nesting_too_deep);
  dict d;
  d.append("k", nested(3));
  CHECK(encode_error(c, value{d}) == errc::nesting_too_deep);
  CHECK(encode_error(c, value::list({value::list({ext{0, nested(1)}})}))
        == errc::nesting_too_deep);
}

// -- decoding -----------------------------------------------------------------

TEST_CASE("msgpack decodes arrays as tuples") {
  msgpack_codec c;
  auto x = c.decode(hex("93 00 01 93 a1 78 92 01 02 80"));
  CHECK(
    x
    == value::tuple({0, 1, value::tuple({"x", value::tuple({1, 2}), dict{}})}));
  CHECK(x.is_tuple());
}

TEST_CASE("msgpack decodes scalars of every encoding") {
  msgpack_codec c;
  CHECK(c.decode(hex("c0")) == value{});
  CHECK(c.decode(hex("c3")) == value{true});
  CHECK(c.decode(hex("c2")) == value{false});
  CHECK(c.decode(hex("d0 05")) == value{5}); // int8 holding a positive int
  CHECK(c.decode(hex("cf 00 00 00 00 00 00 00 07")) == value{7});
  CHECK(c.decode(hex("d3 ff ff ff ff ff ff ff ff")) == value{-1});
  CHECK(c.decode(hex("cf ff ff ff ff ff ff ff ff"))
        == value{std::numeric_limits<std::uint64_t>::max()});
  CHECK(c.decode(hex("ca 3f c0 00 00")) == value{1.5}); // float32
  CHECK(c.decode(hex("cb 3f f0 00 00 00 00 00 00")) == value{1.0});
  CHECK(c.decode(hex("a0")) == value{""});
  CHECK(c.decode(hex("d9 00")) == value{""});
  CHECK(c.decode(hex("c4 00")) == value{bytes{}});
  CHECK(c.decode(hex("c5 00 02 61 62")) == value{bytes::from_string("ab")});
  CHECK(c.decode(hex("db 00 00 00 01 7a")) == value{"z"});
}

TEST_CASE("msgpack round-trips values of every kind") {
  msgpack_codec c{unchecked()};
  auto x = value_of_every_kind();
  auto buf = c.encode(x);
  CHECK(c.decode(buf) == x);
  CHECK(c.encode(c.decode(buf)) == buf);
  for (auto& item : x.as_array()) {
    INFO(to_string(item));
    CHECK(c.decode(c.encode(item)) == item);
  }
  // Lists come back as tuples.
  CHECK(c.decode(c.encode(value::list({1, 2}))) == value::tuple({1, 2}));
  // NaN survives (value compares NaN equal to itself).
  auto nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(c.decode(c.encode(nan)) == value{nan});
}

TEST_CASE("msgpack merges duplicate map keys like Python") {
  msgpack_codec c;
  // {"a": 1, "b": 2, "a": 3} -> {"a": 3, "b": 2}
  auto x = c.decode(hex("83 a1 61 01 a1 62 02 a1 61 03"));
  REQUIRE(x.is_dict());
  auto& d = x.as_dict();
  REQUIRE(d.size() == 2);
  CHECK(d[0].first == value{"a"});
  CHECK(d[0].second == value{3});
  CHECK(d[1].first == value{"b"});
}

TEST_CASE("msgpack decodes __type__ envelopes of registered types") {
  msgpack_codec c;
  c.types().add("first");
  auto id = c.types().add("second");
  REQUIRE(id == 1);
  auto x = c.decode(hex("81 a8 5f 5f 74 79 70 65 5f 5f 92 01 a1 78"));
  CHECK(x == value{ext{1, "x"}});
  CHECK(c.encode(x) == hex("81 a8 5f 5f 74 79 70 65 5f 5f 92 01 a1 78"));
}

// -- bad input ----------------------------------------------------------------

TEST_CASE("msgpack rejects empty input") {
  msgpack_codec c;
  CHECK(decode_error(c, nullptr, 0) == errc::invalid_msgpack);
  CHECK(decode_error(c, byte_buffer{}) == errc::invalid_msgpack);
}

TEST_CASE("msgpack rejects every truncated prefix") {
  msgpack_codec c{unchecked()};
  auto buf = c.encode(value_of_every_kind());
  for (std::size_t n = 1; n < buf.size(); ++n) {
    INFO("prefix length " << n << " of " << buf.size());
    CHECK(decode_error(c, buf.data(), n) == errc::invalid_msgpack);
  }
  CHECK(decode_message(c, hex("92 01")).find("truncated") != std::string::npos);
  CHECK(decode_error(c, hex("cd 01")) == errc::invalid_msgpack);
  CHECK(decode_error(c, hex("d9 05 61 62")) == errc::invalid_msgpack);
}

TEST_CASE("msgpack rejects trailing bytes") {
  msgpack_codec c;
  CHECK(decode_error(c, hex("01 02")) == errc::invalid_msgpack);
  CHECK(decode_error(c, hex("91 01 c0")) == errc::invalid_msgpack);
  CHECK(decode_message(c, hex("80 80")).find("trailing") != std::string::npos);
}

TEST_CASE("msgpack rejects the reserved type byte 0xc1") {
  msgpack_codec c;
  CHECK(decode_error(c, hex("c1")) == errc::invalid_msgpack);
  CHECK(decode_error(c, hex("92 01 c1")) == errc::invalid_msgpack);
}

TEST_CASE("msgpack rejects str that is not UTF-8") {
  msgpack_codec c;
  CHECK(decode_error(c, hex("a2 c3 28")) == errc::invalid_utf8);
  CHECK(decode_error(c, hex("a3 ed a0 80")) == errc::invalid_utf8); // surrogate
  CHECK(decode_error(c, hex("a2 c0 80")) == errc::invalid_utf8);    // overlong
  CHECK(decode_error(c, hex("81 a1 ff 01")) == errc::invalid_utf8); // as key
  // The same octets as bin are fine.
  CHECK(c.decode(hex("c4 02 c3 28")).is_bytes());
}

TEST_CASE("msgpack rejects huge announced sizes without allocating") {
  msgpack_codec c;
  CHECK(decode_error(c, hex("dd ff ff ff ff")) == errc::invalid_msgpack);
  CHECK(decode_error(c, hex("df ff ff ff ff")) == errc::invalid_msgpack);
  CHECK(decode_error(c, hex("db ff ff ff ff")) == errc::invalid_msgpack);
  CHECK(decode_error(c, hex("c6 ff ff ff ff 00")) == errc::invalid_msgpack);
  // Many nested forged headers: reserving by the announced counts (or even
  // by the remaining input per container) would need gigabytes.
  byte_buffer nested;
  for (int i = 0; i < 900; ++i) {
    auto head = hex(i % 2 == 0 ? "dd ff ff ff ff" : "df ff ff ff ff");
    nested.insert(nested.end(), head.begin(), head.end());
  }
  CHECK(decode_error(c, nested) == errc::invalid_msgpack);
}

TEST_CASE("msgpack decoding enforces max_depth") {
  codec_options opts;
  opts.max_depth = 3;
  msgpack_codec c{opts};
  CHECK(c.decode(hex("91 91 91 01"))
        == value::tuple({value::tuple({value::tuple({1})})}));
  CHECK(decode_error(c, hex("91 91 91 91 01")) == errc::nesting_too_deep);
  CHECK(decode_error(c, hex("81 01 91 91 91 01")) == errc::nesting_too_deep);
  CHECK(decode_error(c, hex("91 91 91 90")) == errc::nesting_too_deep);
  // The default limit stops a deep input without exhausting the stack.
  msgpack_codec deflt;
  byte_buffer deep(100000, 0x91);
  deep.push_back(0x01);
  CHECK(decode_error(deflt, deep) == errc::nesting_too_deep);
}

TEST_CASE("msgpack rejects unhashable map keys like Python") {
  msgpack_codec c;
  // {{}: 1} and {({},): 1}: Python raises TypeError: unhashable type.
  CHECK(decode_error(c, hex("81 80 01")) == errc::invalid_msgpack);
  CHECK(decode_error(c, hex("81 91 80 01")) == errc::invalid_msgpack);
  // Tuples of hashables are fine.
  CHECK(c.decode(hex("81 92 01 02 03")).as_dict().size() == 1);
}

TEST_CASE("nested maps decode in linear time (fuzzer finding)") {
  // 40 levels of {key: {key: ...}} would take ages with an exponential
  // dict comparison; values nest, keys stay scalars.
  msgpack_codec c;
  byte_buffer deep;
  for (int i = 0; i < 40; ++i) {
    deep.push_back(0x82); // map of 2: duplicate keys force comparisons
    deep.push_back(0x01);
    deep.push_back(0x80);
    deep.push_back(0x01);
  }
  deep.push_back(0x80);
  CHECK_NOTHROW(c.decode(deep));
}

TEST_CASE("msgpack rejects msgpack ext types") {
  msgpack_codec c;
  CHECK(decode_error(c, hex("d4 01 00")) == errc::invalid_msgpack);
  CHECK(decode_error(c, hex("c7 02 05 aa bb")) == errc::invalid_msgpack);
  CHECK(decode_error(c, hex("d6 ff 00 00 00 00")) == errc::invalid_msgpack);
  CHECK(decode_message(c, hex("d4 01 00"))
        == "msgpack ext type 1 is not supported");
  CHECK(decode_message(c, hex("c7 00 fb")).find("ext type -5")
        != std::string::npos);
}

TEST_CASE("msgpack rejects unknown extension type ids") {
  auto envelope = hex("81 a8 5f 5f 74 79 70 65 5f 5f 92 00 a1 78");
  msgpack_codec c; // empty registry, check_type_ids = true
  CHECK(decode_error(c, envelope) == errc::unknown_type_id);
  msgpack_codec lenient{unchecked()};
  CHECK(lenient.decode(envelope) == value{ext{0, "x"}});
}

TEST_CASE("msgpack rejects malformed envelopes") {
  msgpack_codec c{unchecked()};
  auto key = hex("81 a8 5f 5f 74 79 70 65 5f 5f");
  CHECK(decode_error(c, concat(key, hex("05"))) == errc::invalid_envelope);
  CHECK(decode_error(c, concat(key, hex("91 00"))) == errc::invalid_envelope);
  CHECK(decode_error(c, concat(key, hex("93 00 01 02")))
        == errc::invalid_envelope);
  CHECK(decode_error(c, concat(key, hex("92 a1 78 01")))
        == errc::invalid_envelope);
}

// -- MsgPackBlosc -------------------------------------------------------------

namespace {

// From python-blosc 1.11.4 in .venv: blosc.compress(msgpack.packb(
// [0, 1, ["x", [1, 2], {}]], use_bin_type=True), 8). Short inputs are stored,
// not compressed.
constexpr std::string_view py_blosc_small
  = "02 01 13 08 0a 00 00 00 08 00 00 00 1a 00 00 00"
    "93 00 01 93 a1 78 92 01 02 80";

// blosc.compress(msgpack.packb((1, 3, "a" * 200), use_bin_type=True), 8):
// 205 bytes of msgpack compressed to 78.
constexpr std::string_view py_blosc_big
  = "02 01 11 08 cd 00 00 00 c8 00 00 00 4e 00 00 00 18 00 00 00 45 00 00 00"
    "29 00 00 00 24 93 61 61 61 61 e0 0b 00 00 01 e0 0b 14 05 61 61 61 61 03"
    "61 e0 0e 00 00 d9 e0 0e 17 01 61 c8 e0 0f 18 e0 40 01 01 61 61 05 00 00"
    "00 61 61 61 61 61";

value py_big_value() {
  return value::tuple({1, 3, std::string(200, 'a')});
}

} // namespace

TEST_CASE("msgpack-blosc decodes buffers produced by Python") {
  msgpack_blosc_codec c;
  CHECK(c.kind() == codec_kind::msgpack_blosc);
  CHECK(
    c.decode(hex(py_blosc_small))
    == value::tuple({0, 1, value::tuple({"x", value::tuple({1, 2}), dict{}})}));
  CHECK(c.decode(hex(py_blosc_big)) == py_big_value());
}

TEST_CASE("msgpack-blosc encodes like python-blosc") {
  // Observed byte-identical between Debian's c-blosc 1.21.3 and the c-blosc
  // 1.21.7.dev inside python-blosc 1.11.4. Decoding does not depend on it.
  msgpack_blosc_codec c;
  auto x = value::list({0, 1, value::list({"x", value::list({1, 2}), dict{}})});
  CHECK(c.encode(x) == hex(py_blosc_small));
  CHECK(c.encode(py_big_value()) == hex(py_blosc_big));
}

TEST_CASE("msgpack-blosc round-trips values of every kind") {
  msgpack_blosc_codec c{unchecked()};
  auto x = value_of_every_kind();
  CHECK(c.decode(c.encode(x)) == x);
  array big;
  for (int i = 0; i < 10000; ++i)
    big.emplace_back("item " + std::to_string(i));
  auto y = value::tuple(big);
  auto buf = c.encode(y);
  CHECK(buf.size() < msgpack_codec{}.encode(y).size());
  CHECK(c.decode(buf) == y);
}

TEST_CASE("msgpack-blosc rejects garbage") {
  msgpack_blosc_codec c;
  CHECK(decode_error(c, byte_buffer{}) == errc::invalid_blosc);
  CHECK(decode_error(c, hex("93 00 01 93 a1 78 92 01 02 80"))
        == errc::invalid_blosc);
  byte_buffer garbage;
  std::uint32_t state = 12345;
  for (int i = 0; i < 64; ++i) {
    state = state * 1103515245u + 12345u;
    garbage.push_back(static_cast<std::uint8_t>(state >> 24));
  }
  CHECK(decode_error(c, garbage) == errc::invalid_blosc);
  // Corrupted buffers (header or data) decode or throw wire_error; nothing
  // else escapes (run under ASan to catch out-of-bounds access).
  auto decodes_or_throws_wire_error = [&](const byte_buffer& buf) {
    try {
      c.decode(buf);
    } catch (const wire_error&) {
      // expected for most inputs
    } catch (...) {
      return false;
    }
    return true;
  };
  auto good = hex(py_blosc_big);
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (unsigned flip : {0x01u, 0x80u, 0xffu}) {
      auto bad = good;
      bad[i] = static_cast<std::uint8_t>(bad[i] ^ flip);
      INFO("byte " << i << " ^ " << flip);
      CHECK(decodes_or_throws_wire_error(bad));
    }
  }
}

TEST_CASE("msgpack-blosc rejects truncated buffers and trailing bytes") {
  msgpack_blosc_codec c;
  auto good = hex(py_blosc_big);
  for (std::size_t n = 0; n < good.size(); ++n) {
    INFO("prefix length " << n);
    CHECK(decode_error(c, good.data(), n) == errc::invalid_blosc);
  }
  good.push_back(0);
  CHECK(decode_error(c, good) == errc::invalid_blosc);
}

TEST_CASE("msgpack-blosc rejects buffers that decompress too large") {
  codec_options opts;
  opts.max_decompressed_size = 204;
  msgpack_blosc_codec small{opts};
  CHECK(decode_error(small, hex(py_blosc_big)) == errc::frame_too_large);
  opts.max_decompressed_size = 205;
  msgpack_blosc_codec exact{opts};
  CHECK(exact.decode(hex(py_blosc_big)) == py_big_value());
  // A valid header announcing 2 GiB - 16 MiB (the default maximum is the
  // default maximum frame size, 64 MiB).
  msgpack_blosc_codec c;
  auto forged = hex(py_blosc_big);
  forged[4] = 0x00;
  forged[5] = 0x00;
  forged[6] = 0x00;
  forged[7] = 0x7f;
  CHECK(decode_error(c, forged) == errc::frame_too_large);
  // Sizes of 2 GiB and more are unsigned (blosc_cbuffer_sizes reads them
  // as int and printed 2 GiB as 18446744071562067968).
  forged[7] = 0x80;
  CHECK(decode_error(c, forged) == errc::frame_too_large);
  auto what = decode_message(c, forged);
  CHECK_THAT(what, Catch::Contains("decompresses to 2147483648 bytes"));
  CHECK_THAT(what, Catch::Contains("max_decompressed_size (67108864 bytes)"));
}

TEST_CASE("msgpack-blosc reports bad msgpack inside a valid buffer") {
  msgpack_blosc_codec c;
  // blosc.compress(b'', 8): valid Blosc, but no msgpack value inside.
  CHECK(decode_error(c, hex("02 01 13 08 00 00 00 00 01 00 00 00 10 00 00 00"))
        == errc::invalid_msgpack);
  // A stored (uncompressed) buffer holding msgpack with a trailing byte.
  CHECK(decode_error(c, hex("02 01 13 08 02 00 00 00 02 00 00 00 12 00 00 00"
                            "01 02"))
        == errc::invalid_msgpack);
}

// -- decode amplification -----------------------------------------------------

namespace {

/// Peak resident set size of this process so far, in KiB.
long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/// A MsgPack array32 of `n` nils (one byte each).
byte_buffer nil_array(std::size_t n) {
  byte_buffer buf{0xdd, static_cast<std::uint8_t>(n >> 24),
                  static_cast<std::uint8_t>(n >> 16),
                  static_cast<std::uint8_t>(n >> 8),
                  static_cast<std::uint8_t>(n)};
  buf.resize(5 + n, 0xc0);
  return buf;
}

} // namespace

TEST_CASE("msgpack decoding charges values against max_decoded_size") {
  codec_options opts;
  opts.max_decoded_size = 100 * sizeof(value);
  msgpack_codec c{opts};
  CHECK(c.decode(nil_array(100)).as_array().size() == 100);
  CHECK(decode_error(c, nil_array(101)) == errc::decoded_too_large);
  CHECK_THAT(decode_message(c, nil_array(101)),
             Catch::Contains("max_decoded_size (4800 bytes)")
               && Catch::Contains("msgpack array"));
  // Nested containers count every slot: 10 arrays of 9 nils are 100.
  auto nested = [](std::size_t inner) {
    byte_buffer buf{0x9a}; // fixarray of 10
    for (int i = 0; i < 10; ++i)
      buf = concat(buf, nil_array(inner));
    return buf;
  };
  CHECK(c.decode(nested(9)).as_array().size() == 10);
  CHECK(decode_error(c, nested(10)) == errc::decoded_too_large);
  // A map entry is two values: 50 entries fit, 51 do not.
  auto nil_map = [](std::uint16_t n) {
    byte_buffer buf{0xde, static_cast<std::uint8_t>(n >> 8),
                    static_cast<std::uint8_t>(n)};
    for (std::uint16_t i = 0; i < n; ++i) {
      buf.push_back(0xcd); // uint16 key i, nil value
      buf.push_back(static_cast<std::uint8_t>(i >> 8));
      buf.push_back(static_cast<std::uint8_t>(i));
      buf.push_back(0xc0);
    }
    return buf;
  };
  CHECK(c.decode(nil_map(50)).as_dict().size() == 50);
  CHECK(decode_error(c, nil_map(51)) == errc::decoded_too_large);
  // str and bin contents count with their bytes.
  opts.max_decoded_size = 1000;
  msgpack_codec small{opts};
  auto str = [](std::uint8_t tag, std::uint8_t n) {
    byte_buffer buf{tag, n};
    buf.resize(2 + n, 'a');
    return buf;
  };
  CHECK(small.decode(str(0xd9, 200)).as_string().size() == 200);
  CHECK(decode_error(small,
                     concat(hex("92"), concat(str(0xd9, 250), str(0xc4, 250))))
        == errc::ok);
  opts.max_decoded_size = 500;
  msgpack_codec tiny{opts};
  CHECK(decode_error(tiny,
                     concat(hex("92"), concat(str(0xd9, 250), str(0xc4, 250))))
        == errc::decoded_too_large);
}

TEST_CASE("msgpack arrays announcing more items than they hold are bounded") {
  // array32 announcing 1000 items with 200 present: the announced count is
  // capped by the input, the input turns out truncated.
  codec_options opts;
  opts.max_decoded_size = 100 * sizeof(value);
  msgpack_codec c{opts};
  auto buf = nil_array(1000);
  buf.resize(5 + 200);
  CHECK(decode_error(c, buf) == errc::decoded_too_large);
  buf.resize(5 + 50);
  CHECK(decode_error(c, buf) == errc::invalid_msgpack);
}

TEST_CASE("a msgpack frame of nils beyond the default budget fails early") {
  // 5.6 million nils: a 5.6 MB payload that would take 268 MB as values
  // (the budget's default is 256 MiB). Before the budget, a 64 MiB frame
  // of nils took 3.2 GB.
  msgpack_codec c;
  auto n = default_max_decoded_size / sizeof(value) + 1;
  auto buf = nil_array(n);
  auto before = peak_rss_kib();
  CHECK(decode_error(c, buf) == errc::decoded_too_large);
  // Rejected before allocating the array: the peak grows by well under the
  // 268 MB the values would take.
  CHECK(peak_rss_kib() - before < 16 * 1024);
}

TEST_CASE("msgpack-blosc rejects a bomb before decompressing it") {
  // One million nils compress to a few KiB.
  byte_buffer bomb;
  {
    msgpack_blosc_codec enc;
    bomb = enc.encode(value{array(1000000)});
  }
  REQUIRE(bomb.size() < 64 * 1024);
  // Over max_decompressed_size: rejected from the header.
  codec_options opts;
  opts.max_decompressed_size = 512 * 1024;
  msgpack_blosc_codec strict{opts};
  CHECK(decode_error(strict, bomb) == errc::frame_too_large);
  CHECK_THAT(decode_message(strict, bomb),
             Catch::Contains("decompresses to 1000005 bytes")
               && Catch::Contains("max_decompressed_size (524288 bytes)"));
  // Within it, but its values exceed max_decoded_size.
  opts = codec_options{};
  opts.max_decoded_size = 4 * 1024 * 1024;
  msgpack_blosc_codec budget{opts};
  CHECK(decode_error(budget, bomb) == errc::decoded_too_large);
  // With room for both, it decodes.
  msgpack_blosc_codec c;
  CHECK(c.decode(bomb).as_array().size() == 1000000);
}
