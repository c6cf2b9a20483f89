#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include <sys/resource.h>

#include "mas/wire/json_codec.hpp"

using namespace mas::wire;

namespace {

std::string enc(const value& x) {
  json_codec cdc;
  std::string out;
  cdc.encode_text(x, out);
  return out;
}

value dec(std::string_view text, codec_options opts = {}) {
  json_codec cdc{opts};
  return cdc.decode_text(text);
}

errc dec_error(std::string_view text, codec_options opts = {}) {
  try {
    dec(text, opts);
  } catch (const wire_error& e) {
    return e.code();
  }
  return errc::ok;
}

} // namespace

TEST_CASE("JSON encoding matches json.dumps defaults") {
  // Expected strings are what Python 3.11's json.dumps writes.
  CHECK(enc(value{}) == "null");
  CHECK(enc(true) == "true");
  CHECK(enc(0) == "0");
  CHECK(enc(-9223372036854775807LL - 1) == "-9223372036854775808");
  CHECK(enc(18446744073709551615ULL) == "18446744073709551615");
  CHECK(
    enc(value::list({0, 0, value::list({"add", value::list({3, 4}), dict{}})}))
    == R"([0, 0, ["add", [3, 4], {}]])");
  CHECK(enc(dict{{"a", 1}, {"b", value::list({})}}) == R"({"a": 1, "b": []})");
}

TEST_CASE("JSON floats use Python's repr") {
  CHECK(enc(1.0) == "1.0");
  CHECK(enc(0.1) == "0.1");
  CHECK(enc(-0.0) == "-0.0");
  CHECK(enc(1e-05) == "1e-05");
  CHECK(enc(0.0001) == "0.0001");
  CHECK(enc(1e16) == "1e+16");
  CHECK(enc(1e15) == "1000000000000000.0");
  CHECK(enc(123456789.125) == "123456789.125");
  CHECK(enc(1.5e300) == "1.5e+300");
  CHECK(enc(5e-324) == "5e-324");
  CHECK(enc(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(enc(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(enc(std::numeric_limits<double>::infinity()) == "Infinity");
  CHECK(enc(-std::numeric_limits<double>::infinity()) == "-Infinity");
}

TEST_CASE("JSON strings are escaped like ensure_ascii=True") {
  CHECK(enc("a\"b\\c/d") == R"("a\"b\\c/d")");
  CHECK(enc("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(enc(std::string{"\x01\x1f\x7f", 3}) == R"("\u0001\u001f\u007f")");
  CHECK(enc("\xc3\xa4\xe2\x82\xac") == R"("\u00e4\u20ac")");
  // Non-BMP: surrogate pair, lowercase hex.
  CHECK(enc("\xf0\x9f\x98\x80") == R"("\ud83d\ude00")");
}

TEST_CASE("JSON dict keys are coerced like Python's json") {
  dict d;
  d.append(1, "int");
  d.append(1.5, "float");
  d.append(true, "bool");
  d.append(value{}, "none");
  CHECK(enc(d)
        == R"({"1": "int", "1.5": "float", "true": "bool", "null": "none"})");
  dict bad;
  bad.append(value::tuple({1, 2}), 3);
  CHECK_THROWS_AS(enc(bad), wire_error);
}

TEST_CASE("JSON cannot carry bytes") {
  try {
    enc(bytes::from_string("x"));
    FAIL("no exception");
  } catch (const wire_error& e) {
    CHECK(e.code() == errc::not_serializable);
  }
}

TEST_CASE("JSON extension envelopes") {
  CHECK(enc(ext{0, "2016-01-01T00:00:00+00:00"})
        == R"({"__type__": [0, "2016-01-01T00:00:00+00:00"]})");
  codec_options opts;
  opts.check_type_ids = false;
  auto x = dec(R"({"__type__": [-632231636, {"a": 1}]})", opts);
  REQUIRE(x.is_ext());
  CHECK(x.as_ext().type_id() == -632231636);
  CHECK(x.as_ext().repr() == value{dict{{"a", 1}}});
  // Python ignores other keys of an envelope dict.
  auto y = dec(R"({"x": 1, "__type__": [3, null]})", opts);
  CHECK(y == value{ext{3, value{}}});
}

TEST_CASE("JSON decoding builds the value model") {
  auto x = dec(R"( {"a": [1, -2, 3.5, "s", true, null], "b": {}} )");
  REQUIRE(x.is_dict());
  auto& d = x.as_dict();
  CHECK(d.size() == 2);
  auto& a = d.find("a")->as_array();
  CHECK(a[0] == value{1});
  CHECK(a[1] == value{-2});
  CHECK(a[2] == value{3.5});
  CHECK(a[3] == value{"s"});
  CHECK(a[4] == value{true});
  CHECK(a[5].is_none());
  CHECK(!x.as_dict().find("a")->is_tuple());
}

TEST_CASE("JSON decoding keeps key order and merges duplicates like Python") {
  auto x = dec(R"({"b": 1, "a": 2, "b": 3})");
  auto& d = x.as_dict();
  REQUIRE(d.size() == 2);
  CHECK(d[0].first == value{"b"});
  CHECK(d[0].second == value{3});
  CHECK(d[1].first == value{"a"});
}

TEST_CASE("JSON decodes NaN and Infinity tokens") {
  auto x = dec(R"([NaN, Infinity, -Infinity, 1, "NaN", {"Infinity": -1.5}])");
  auto& a = x.as_array();
  CHECK(std::isnan(a[0].as_double()));
  CHECK(a[1].as_double() == std::numeric_limits<double>::infinity());
  CHECK(a[2].as_double() == -std::numeric_limits<double>::infinity());
  CHECK(a[3] == value{1});
  CHECK(a[4] == value{"NaN"});
  CHECK(a[5] == value{dict{{"Infinity", -1.5}}});
  CHECK(enc(x)
        == R"([NaN, Infinity, -Infinity, 1, "NaN", {"Infinity": -1.5}])");
}

TEST_CASE("JSON float decoding rounds correctly") {
  CHECK(dec("0.1").as_double() == 0.1);
  CHECK(dec("2.2250738585072011e-308").as_double() == 2.2250738585072011e-308);
  CHECK(dec("9007199254740993.0").as_double() == 9007199254740992.0);
  CHECK(dec("1.7976931348623157e308").as_double() == 1.7976931348623157e308);
  CHECK(dec("5e-324").as_double() == 5e-324);
}

TEST_CASE("JSON floats beyond double range round like Python") {
  auto inf = std::numeric_limits<double>::infinity();
  CHECK(dec("1e400").as_double() == inf);
  CHECK(dec("-1e400").as_double() == -inf);
  CHECK(dec("1e-400").as_double() == 0.0);
  // The magnitude decides, not the sign of the exponent (fuzzer finding).
  CHECK(dec("0." + std::string(400, '0') + "1").as_double() == 0.0);
  CHECK(dec("1" + std::string(400, '0') + "e-10").as_double() == inf);
  CHECK(dec("1" + std::string(400, '0') + ".5").as_double() == inf);
  CHECK(dec("[1e2147483648]").as_array()[0].as_double() == inf);
  CHECK(dec("[-1E+99999999999999]").as_array()[0].as_double() == -inf);
  CHECK(dec("[1e-2147483649, NaN]").as_array()[0].as_double() == 0.0);
  // Leading zeros of an exponent do not make it big, also on the second
  // pass that NaN and huge exponents take (fuzzer finding).
  auto xs = dec("[5e-3200,NaN,5e-000320000,NaN,5e-00000002, 1e+0000000000003,"
                " 7e"
                + std::string(30, '0') + "1, 1e-999999999, 1e999999999]")
              .as_array();
  REQUIRE(xs.size() == 9);
  CHECK(xs[0].as_double() == 0.0);
  CHECK(std::isnan(xs[1].as_double()));
  CHECK(xs[2].as_double() == 0.0);
  CHECK(xs[4].as_double() == 0.05);
  CHECK(xs[5].as_double() == 1000.0);
  CHECK(xs[6].as_double() == 70.0);
  CHECK(xs[7].as_double() == 0.0);
  CHECK(xs[8].as_double() == inf);
}

TEST_CASE("JSON integer range") {
  CHECK(dec("9223372036854775807") == value{INT64_MAX});
  CHECK(dec("-9223372036854775808") == value{INT64_MIN});
  CHECK(dec("18446744073709551615") == value{UINT64_MAX});
  CHECK(dec_error("18446744073709551616") == errc::int_out_of_range);
  CHECK(dec_error("-9223372036854775809") == errc::int_out_of_range);
  CHECK(dec_error("[1, 123456789012345678901234567890]")
        == errc::int_out_of_range);
}

TEST_CASE("JSON rejects malformed input with typed errors") {
  CHECK(dec_error("") == errc::invalid_json);
  CHECK(dec_error("[1, 2") == errc::invalid_json);
  CHECK(dec_error("[1, 2]]") == errc::invalid_json);
  CHECK(dec_error("{'a': 1}") == errc::invalid_json);
  CHECK(dec_error("nan") == errc::invalid_json);
  CHECK(dec_error("[NaN") == errc::invalid_json);
  // Python rejects these; NaN is a token of its own, not part of a number.
  CHECK(dec_error("-NaN") == errc::invalid_json);
  CHECK(dec_error("[-NaN]") == errc::invalid_json);
  CHECK(dec_error("1NaN") == errc::invalid_json);
  CHECK(dec_error("[1NaN]") == errc::invalid_json);
  CHECK(dec_error("[NaNa]") == errc::invalid_json);
  CHECK(dec_error("[Infinity1]") == errc::invalid_json);
  CHECK(dec_error(R"({"a" NaN})") == errc::invalid_json);
  CHECK(dec_error("\"\xff\"") == errc::invalid_utf8);
  CHECK(dec_error("\"\xed\xa0\x80\"") == errc::invalid_utf8); // surrogate
  CHECK(dec_error(R"("\ud800")") == errc::invalid_utf8);      // lone surrogate
  CHECK(dec_error(R"("\udc00x")") == errc::invalid_utf8);
  // NUL bytes after the value are extra data, not the end (fuzzer finding
  // in the hand-written decoder).
  CHECK(dec_error(std::string{"[1]\0", 4}) == errc::invalid_json);
  CHECK(dec_error(std::string{"1 \0\0", 4}) == errc::invalid_json);
  CHECK(dec_error(std::string{"[1,\0]", 5}) == errc::invalid_json);
  CHECK(dec_error(std::string{"\"a\0\"", 4}) == errc::invalid_json);
  // A valid pair does not make an unrelated error an encoding error.
  CHECK(dec_error(R"(["\ud83d\ude00", 1,])") == errc::invalid_json);
  CHECK(dec_error(R"({"__type__": 5})") == errc::invalid_envelope);
  CHECK(dec_error(R"({"__type__": [1]})") == errc::invalid_envelope);
  CHECK(dec_error(R"({"__type__": ["a", 1]})") == errc::invalid_envelope);
  // The default codec has an empty registry: every id is unknown.
  CHECK(dec_error(R"({"__type__": [0, "x"]})") == errc::unknown_type_id);
}

TEST_CASE("JSON checks the registry for envelope ids") {
  json_codec cdc;
  cdc.types().add("Arrow");
  cdc.types().add("Proxy");
  CHECK(cdc.decode_text(R"({"__type__": [1, "agents/0"]})").is_ext());
  CHECK_THROWS_AS(cdc.decode_text(R"({"__type__": [2, "x"]})"), wire_error);
}

TEST_CASE("JSON nesting is bounded") {
  codec_options opts;
  opts.max_depth = 50;
  std::string ok(50, '['), deep(51, '[');
  ok += std::string(50, ']');
  deep += std::string(51, ']');
  CHECK_NOTHROW(dec(ok, opts));
  CHECK(dec_error(deep, opts) == errc::nesting_too_deep);
  // Encoding has the same limit.
  value v = value::list({});
  for (int i = 0; i < 60; ++i)
    v = value::list({v});
  json_codec cdc{opts};
  CHECK_THROWS_AS(cdc.encode(v), wire_error);
  // The default limit admits what Python can produce (~1000 levels).
  std::string py_deep(900, '[');
  py_deep += std::string(900, ']');
  CHECK_NOTHROW(dec(py_deep));
}

TEST_CASE("JSON decoding charges values against max_decoded_size") {
  codec_options opts;
  opts.max_decoded_size = 10 * sizeof(value);
  auto nulls = [](int n) {
    std::string text = "[";
    for (int i = 0; i < n; ++i)
      text += i == 0 ? "null" : ", null";
    return text + "]";
  };
  // The array is a value too: 9 nulls and the array fit in 10.
  CHECK(dec(nulls(9), opts).as_array().size() == 9);
  CHECK(dec_error(nulls(10), opts) == errc::decoded_too_large);
  // Ten values (keys included) and three characters.
  auto mixed = codec_options{};
  mixed.max_decoded_size = 10 * sizeof(value) + 3;
  CHECK(dec_error(R"([1, 2.5, true, "x", {"a": [], "b": {}}])", mixed)
        == errc::ok);
  CHECK(dec_error(R"([1, 2.5, true, "x", {"a": [], "b": {}}, 3])", mixed)
        == errc::decoded_too_large);
  CHECK(dec_error(R"([1, 2.5, true, "xy", {"a": [], "b": {}}])", mixed)
        == errc::decoded_too_large);
  try {
    dec(nulls(10), opts);
  } catch (const wire_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("max_decoded_size (480 bytes)"));
  }
  // Strings count with their characters (also when Boost.JSON hands them
  // over in parts, and for keys).
  opts.max_decoded_size = 1000;
  CHECK(dec_error("\"" + std::string(900, 'a') + "\"", opts) == errc::ok);
  CHECK(dec_error("\"" + std::string(1000, 'a') + "\"", opts)
        == errc::decoded_too_large);
  CHECK(dec_error("{\"" + std::string(1000, 'k') + "\": 1}", opts)
        == errc::decoded_too_large);
  // The second pass for NaN/Infinity gets the same budget.
  opts.max_decoded_size = 3 * sizeof(value);
  CHECK(dec_error("[NaN, 1]", opts) == errc::ok);
  CHECK(dec_error("[NaN, 1, 2]", opts) == errc::decoded_too_large);
}

TEST_CASE("JSON decoding stops at max_decoded_size, not at the input's end") {
  // One million zeros: 48 MB as values; the budget stops them at 8 MiB.
  std::string text = "[0";
  for (int i = 1; i < 1000000; ++i)
    text += ",0";
  text += ']';
  codec_options opts;
  opts.max_decoded_size = 8 * 1024 * 1024;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto before = ru.ru_maxrss;
  CHECK(dec_error(text, opts) == errc::decoded_too_large);
  getrusage(RUSAGE_SELF, &ru);
  // The array reserves what its item count asks, at most what the budget
  // has left: about the budget.
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan freed buffers stay resident in its quarantine (freed memory
  // is not reused at once), and an eighth of all that as shadow memory.
  // Still less than the 48 MB the values would take.
  CHECK(ru.ru_maxrss - before < 36 * 1024);
#else
  CHECK(ru.ru_maxrss - before < 24 * 1024);
#endif
}

TEST_CASE("JSON containers are sized by a first count that is only a hint") {
  // Brackets, commas, quotes and backslashes inside strings are no items.
  auto x = dec(R"(["a,b", "[", "{", "\\", "\"", "\\\", ]", {"k,[": [1, 2]}])");
  REQUIRE(x.as_array().size() == 7);
  CHECK(x.as_array()[3].as_string() == "\\");
  CHECK(x.as_array()[4].as_string() == "\"");
  CHECK(x.as_array()[5].as_string() == "\\\", ]");
  CHECK(x.as_array()[6].as_dict().find("k,[")->as_array().size() == 2);
  CHECK(dec(R"([[], {}, [[]], [1, [2, 3], {"a": [4]}], 5])")
        == value::list(
          {value::list({}), dict{}, value::list({value::list({})}),
           value::list({1, value::list({2, 3}), dict{{"a", value::list({4})}}}),
           5}));
  // Counts that do not match the text (malformed) end in the syntax error,
  // not in anything the count announced.
  CHECK(dec_error("[1 2 3]") == errc::invalid_json);
  CHECK(dec_error(R"(["a, [1, 2, 3)") == errc::invalid_json);
  CHECK(dec_error(R"([1, "a, [1, 2]]]])") == errc::invalid_json);
  CHECK(dec_error("{\"a\": 1 \"b\": 2, \"c\": 3}") == errc::invalid_json);
  codec_options small;
  small.max_decoded_size = 10 * sizeof(value);
  // A million commas announce a million items: the reader reserves only what
  // the budget allows and reports the syntax error Python reports.
  std::string commas = "[1" + std::string(1000000, ',') + "]";
  CHECK(dec_error(commas, small) == errc::invalid_json);
  CHECK(dec_error(commas) == errc::invalid_json);
  // Counting stops at max_depth; the reader fails there as before.
  codec_options shallow;
  shallow.max_depth = 3;
  CHECK(dec_error("[[[[1, 2]]]]", shallow) == errc::nesting_too_deep);
  CHECK(dec("[[[1, 2]], [3]]", shallow).as_array().size() == 2);
}
