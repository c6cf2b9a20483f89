#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include <sys/resource.h>

#include "mas/wire/readable.hpp"
#include "mas/wire/value.hpp"

using namespace mas::wire;

TEST_CASE("integers are normalized to int64 when they fit") {
  CHECK(value{std::uint64_t{5}}.type() == value::kind::int64);
  CHECK(value{std::uint64_t{5}} == value{5});
  CHECK(value{UINT64_MAX}.type() == value::kind::uint64);
  CHECK(value{std::int64_t{-1}}.type() == value::kind::int64);
}

TEST_CASE("equality is structural and NaN-aware") {
  auto nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(value{nan} == value{nan});
  CHECK(value{0.0} != value{-0.0});
  CHECK(value{1} != value{1.0});
  CHECK(value::list({1}) != value::tuple({1}));
  // Dicts compare like Python's: regardless of order.
  CHECK(value{dict{{"a", 1}, {"b", 2}}} == value{dict{{"b", 2}, {"a", 1}}});
}

TEST_CASE("checked access reports mismatches") {
  value x{"s"};
  CHECK(x.as_string() == "s");
  CHECK_THROWS_AS(x.as_int64(), wire_error);
  try {
    x.as_dict();
  } catch (const wire_error& e) {
    CHECK(e.code() == errc::type_mismatch);
  }
  CHECK(value{3}.as_double() == 3.0);
}

TEST_CASE("dict dedup keeps first position and last value") {
  dict d;
  for (int i = 0; i < 100; ++i)
    d.append(i % 10, i);
  d.dedup();
  REQUIRE(d.size() == 10);
  CHECK(d[0].first == value{0});
  CHECK(d[0].second == value{90});
  CHECK(d[9].second == value{99});
}

TEST_CASE("dict keys compare like Python's dict keys") {
  auto nan = std::numeric_limits<double>::quiet_NaN();
  // Two NaN keys stay two keys (Python: distinct NaN objects).
  dict d;
  d.append(nan, "a");
  d.append(nan, "b");
  d.append(1, "c");
  d.dedup();
  CHECK(d.size() == 3);
  CHECK(value{d} == value{d});
  // 1, True and 1.0 are one key; the first key stays, the last value wins.
  dict e;
  e.append(1, "int");
  e.append(true, "bool");
  e.append(1.0, "float");
  e.append(0.0, "zero");
  e.append(-0.0, "negative zero");
  e.append(false, "false");
  e.append(value::tuple({1}), "t1");
  e.append(value::tuple({true}), "t2");
  e.dedup();
  REQUIRE(e.size() == 3);
  CHECK(e[0].first == value{1});
  CHECK(e[0].second == value{"float"});
  CHECK(e[1].first == value{0.0});
  CHECK(e[1].second == value{"false"});
  CHECK(e[2].second == value{"t2"});
  // Strings and bytes never collide.
  dict f;
  f.append("a", 1);
  f.append(bytes::from_string("a"), 2);
  f.dedup();
  CHECK(f.size() == 2);
  // Large maps take the sorting path and still keep NaN keys apart.
  dict g;
  for (int i = 0; i < 20; ++i)
    g.append(nan, i);
  g.append(2.0, "x");
  g.append(2, "y");
  g.dedup();
  CHECK(g.size() == 21);
  CHECK(g[20].second == value{"y"});
}

TEST_CASE("to_string renders like Python's repr") {
  dict d;
  d.append(1, value::tuple({"a"}));
  d.append("b", bytes::from_string(std::string_view{"x\0", 2}));
  CHECK(to_string(value{d}) == "{1: ('a',), 'b': b'x\\x00'}");
  CHECK(to_string(value{std::numeric_limits<double>::infinity()}) == "inf");
}

TEST_CASE("readable form round-trips every kind") {
  dict inner;
  inner.append(1, "int key");
  inner.append(value{}, bytes::from_string("\x01\x02\xff"));
  dict only_bytes_key;
  only_bytes_key.append("$bytes", "not really");
  auto x = value::list({value{}, true, -3, 2.5, "s", bytes::from_string("hi"),
                        value{inner}, value{only_bytes_key},
                        value{ext{7, value{dict{{"k", bytes{}}}}}}});
  auto text = to_readable_json(x);
  CHECK(text
        == R"([null, true, -3, 2.5, "s", {"$bytes": "aGk="}, )"
           R"({"$map": [[1, "int key"], [null, {"$bytes": "AQL/"}]]}, )"
           R"({"$map": [["$bytes", "not really"]]}, )"
           R"({"__type__": [7, {"k": {"$bytes": ""}}]}])");
  CHECK(from_readable_json(text) == x);
}

TEST_CASE("readable form rejects malformed escapes") {
  CHECK_THROWS_AS(from_readable_json(R"({"$bytes": "abc"})"), wire_error);
  CHECK_THROWS_AS(from_readable_json(R"({"$bytes": 1})"), wire_error);
  CHECK_THROWS_AS(from_readable_json(R"({"$map": [[1]]})"), wire_error);
  CHECK_THROWS_AS(from_readable_json(R"({"$map": {}})"), wire_error);
}

TEST_CASE("base64 matches RFC 4648 vectors") {
  auto b = [](const char* s) { return bytes::from_string(s).data; };
  CHECK(base64_encode(b("")) == "");
  CHECK(base64_encode(b("f")) == "Zg==");
  CHECK(base64_encode(b("fo")) == "Zm8=");
  CHECK(base64_encode(b("foo")) == "Zm9v");
  CHECK(base64_encode(b("foobar")) == "Zm9vYmFy");
  CHECK(base64_decode("Zm9vYg==") == b("foob"));
  CHECK_THROWS_AS(base64_decode("Zm9=vYg="), wire_error);
  CHECK_THROWS_AS(base64_decode("Zm9"), wire_error);
}

namespace {

/// CPU time of this process so far, in seconds.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

} // namespace

TEST_CASE("dict dedup is not quadratic on keys that never merge or collide") {
  // 200k NaN keys used to land in one hash bucket (O(n^2): minutes); keys
  // that are multiples of a bucket count did the same. Sorting is
  // O(n log n) for any keys.
  auto nan = std::numeric_limits<double>::quiet_NaN();
  auto start = cpu_seconds();
  dict d;
  for (int i = 0; i < 200000; ++i)
    d.append(nan, i);
  d.append(1, "a");
  d.append(1.0, "b");
  d.dedup();
  CHECK(d.size() == 200001);
  CHECK(d[200000].second == value{"b"});
  dict e;
  for (std::int64_t i = 0; i < 200000; ++i)
    e.append(i * 200003, value::tuple({i, nan}));
  for (std::int64_t i = 0; i < 200000; ++i)
    e.append(value::tuple({i, "k"}), i);
  for (std::int64_t i = 0; i < 200000; i += 2)
    e.append(static_cast<double>(i * 200003), "last");
  e.dedup();
  CHECK(e.size() == 400000);
  CHECK(e[0].second == value{"last"});
  CHECK(e[1].second.is_tuple());
  // A CPU bound, not a timing: the quadratic version took minutes.
  CHECK(cpu_seconds() - start < 10.0);
}
