#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mas/wire/date.hpp"
#include "mas/wire/json_codec.hpp"

using namespace mas::wire;

namespace {

/// parse_date + format_date, or "!" if the string is no date.
std::string reformat(std::string_view str) {
  auto d = parse_date(str);
  return d ? format_date(*d) : "!";
}

date at(std::string_view str) {
  auto d = parse_date(str);
  REQUIRE(d);
  return *d;
}

} // namespace

TEST_CASE("dates parse and print like arrow.get(str) and str(arrow)") {
  // Expected: str(arrow.get(input)) with arrow 1.4.0, "!" = arrow raises.
  std::vector<std::pair<std::string, std::string>> cases{
    {"2016-01-01", "2016-01-01T00:00:00+00:00"},
    {"2016-01-01T00:00", "2016-01-01T00:00:00+00:00"},
    {"2016-01-01T00:00:00", "2016-01-01T00:00:00+00:00"},
    {"2016-01-01T12", "2016-01-01T12:00:00+00:00"},
    {"2016-01-01 12:34:56.5", "2016-01-01T12:34:56.500000+00:00"},
    {"2016-01-01T12:34:56,5", "2016-01-01T12:34:56.500000+00:00"},
    {"2016-01-01T12:34:56.123456Z", "2016-01-01T12:34:56.123456+00:00"},
    {"2016-01-01T12:34:56.5Z", "2016-01-01T12:34:56.500000+00:00"},
    {"2016-01-01T12:34:56+01:00", "2016-01-01T12:34:56+01:00"},
    {"2016-01-01T12:34:56+0130", "2016-01-01T12:34:56+01:30"},
    {"2016-01-01T12:34:56-05:30", "2016-01-01T12:34:56-05:30"},
    {"2016-01-01T12:34:56+01", "2016-01-01T12:34:56+01:00"},
    {"2016-01-01T12:34:56+00", "2016-01-01T12:34:56+00:00"},
    {"2016-01-01T12:34:56-00:00", "2016-01-01T12:34:56+00:00"},
    {"2016-01-01T12+01:00", "2016-01-01T12:00:00+01:00"},
    {"2016-01-01T12:34+0100", "2016-01-01T12:34:00+01:00"},
    {"2016-01-01 12:34:56.123456+01:00", "2016-01-01T12:34:56.123456+01:00"},
    {"1970-01-01T00:00:00+23:59", "1970-01-01T00:00:00+23:59"},
    {"2016-01-01T12:34:56-23:59", "2016-01-01T12:34:56-23:59"},
    {"0001-01-01T00:00:00-01:00", "0001-01-01T00:00:00-01:00"},
    {"9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59-01:00"},
    // More than 6 digits: the 7th rounds, half to even; later ones ignored.
    {"2016-01-01T12:34:56.1234567", "2016-01-01T12:34:56.123457+00:00"},
    {"2016-01-01T12:34:56.1234567890123", "2016-01-01T12:34:56.123457+00:00"},
    {"2016-01-01T12:34:56.0000004", "2016-01-01T12:34:56+00:00"},
    {"2016-01-01T12:34:56.0000005", "2016-01-01T12:34:56+00:00"},
    {"2016-01-01T12:34:56.0000015", "2016-01-01T12:34:56.000002+00:00"},
    {"2016-01-01T12:34:56.0000025", "2016-01-01T12:34:56.000002+00:00"},
    {"2016-01-01T12:34:56.00000251", "2016-01-01T12:34:56.000002+00:00"},
    {"2016-01-01T12:34:56.9999995", "2016-01-01T12:34:57+00:00"},
    // 24:00 is midnight of the next day.
    {"2016-01-01T24", "2016-01-02T00:00:00+00:00"},
    {"2016-01-01T24:00", "2016-01-02T00:00:00+00:00"},
    {"2016-12-31T24:00:00", "2017-01-01T00:00:00+00:00"},
    // Leap years.
    {"2000-02-29", "2000-02-29T00:00:00+00:00"},
    {"2016-02-29T23:59:59", "2016-02-29T23:59:59+00:00"},
    {"2016-02-28T24:00", "2016-02-29T00:00:00+00:00"},
    {"2015-02-28T24:00", "2015-03-01T00:00:00+00:00"},
  };
  for (auto& [input, expected] : cases) {
    INFO(input);
    CHECK(reformat(input) == expected);
  }
}

TEST_CASE("strings that are no dates are rejected") {
  // Each of these makes arrow.get raise (ParserError, ValueError or
  // OverflowError), except the forms libmas does not take (marked).
  for (auto input : {
         "xyz",
         "",
         "2016-02-30",
         "1900-02-29",
         "2015-02-29",
         "2016-13-01",
         "2016-00-01",
         "2016-01-00",
         "2016-01-32",
         "0000-01-01",
         "2016-01-01T23:60",
         "2016-01-01T23:59:60",
         "2016-01-01T25:00",
         "2016-01-01T24:30",
         "2016-01-01T24:00:00.000001",
         "9999-12-31T24:00",
         "9999-12-31T23:59:59.9999999",
         "2016-01-01T12:34:56+24:00",
         "2016-01-01T12:34:56+01:60", // arrow: +02:00; libmas: out of range
         "2016-01-01T12:34:56 +01:00",
         " 2016-01-01",
         "2016-01-01 ",
         "2016-01-01T",
         "2016-01-01T12:34:56.",
         "2016-01-01T12:34:56.-1",
         "2016-01-01T12:34:56.123,4",
         "2016-01-01t12:00",
         "2016-01-01T12:34:56z",
         "2016-01-01T12:34:56Z ",
         "2016-01-01T12:34:56+1",
         "2016-01-01T12:34:56+01:0",
         "2016-01-01T12:34:56+01:000",
         "2016-01-01T12:34:56+01:00:00",
         "2016-01-01Z",
         "2016-01-01+01:00",
         "2016-01-01T1:00",
         "2016-01-01T12:3",
         "2016-01-01T12:34:5",
         "2016-01-01T12:34.5",
         "+2016-01-01",
         "12016-01-01",
         "2016-1-1", // arrow: 2016-01-01; libmas: 2-digit months only
         "20160101", // arrow: basic format; libmas: extended only
         "2016-01",  // arrow: 2016-01-01; libmas: a full date
       }) {
    INFO(input);
    CHECK_FALSE(parse_date(input));
  }
  // Embedded NUL.
  CHECK_FALSE(parse_date(std::string_view{"2016-01-01\0", 11}));
}

TEST_CASE("dates compare their instants, not their offsets") {
  CHECK(at("2016-01-01T12:00:00+01:00") == at("2016-01-01T11:00:00Z"));
  CHECK(at("2016-01-01T12:00:00+01:00").offset_minutes == 60);
  CHECK(at("2016-01-01T12:00:00-01:00") > at("2016-01-01T12:00:00Z"));
  CHECK(at("2016-01-01T00:00:00.000001") > at("2016-01-01"));
  CHECK(at("2016-01-01") < at("2016-01-01T00:00:00.000001"));
  CHECK(at("2016-01-01") <= at("2016-01-01T00:00:00"));
  CHECK(at("2016-01-01") >= at("2016-01-01T00:00:00"));
  CHECK(at("2016-01-01") != at("2016-01-02"));
}

TEST_CASE("isoformat shows the date in its own offset") {
  auto d = at("2016-01-01T00:30:00Z");
  CHECK(format_date(date{d.micros, -60}) == "2015-12-31T23:30:00-01:00");
  CHECK(format_date(date{d.micros, 90}) == "2016-01-01T02:00:00+01:30");
  CHECK(format_date(date{d.micros, -30}) == "2016-01-01T00:00:00-00:30");
  CHECK(format_date(date{d.micros, -60}.to_utc())
        == "2016-01-01T00:30:00+00:00");
}

TEST_CASE("unix timestamps") {
  CHECK(format_date(date::from_unix(0)) == "1970-01-01T00:00:00+00:00");
  CHECK(format_date(date::from_unix(0.5))
        == "1970-01-01T00:00:00.500000+00:00");
  CHECK(format_date(date::from_unix(1.25))
        == "1970-01-01T00:00:01.250000+00:00");
  CHECK(format_date(date::from_unix(-0.5))
        == "1969-12-31T23:59:59.500000+00:00");
  CHECK(format_date(date::from_unix(1451606400))
        == "2016-01-01T00:00:00+00:00");
  CHECK(format_date(date::from_unix(951782400)) // leap day
        == "2000-02-29T00:00:00+00:00");
  CHECK(format_date(date::from_unix(-62135596800))
        == "0001-01-01T00:00:00+00:00");
  CHECK(format_date(date::from_unix(253402300799.5))
        == "9999-12-31T23:59:59.500000+00:00");
  CHECK(at("2016-01-01").to_unix() == 1451606400.0);
  CHECK(at("2016-01-01T00:00:00.25+01:00").to_unix() == 1451602800.25);
  CHECK(date::from_unix(1451606400.5).micros == 1451606400500000);
  CHECK_THROWS_AS(date::from_unix(-62135596801), std::out_of_range);
  CHECK_THROWS_AS(date::from_unix(253402300800), std::out_of_range);
  CHECK_THROWS_AS(date::from_unix(std::nan("")), std::out_of_range);
  CHECK_THROWS_AS(date::from_unix(std::numeric_limits<double>::infinity()),
                  std::out_of_range);
}

TEST_CASE("date arithmetic in seconds, rounded to microseconds") {
  auto start = at("2016-01-01T00:00:00");
  CHECK(format_date(start.plus(1)) == "2016-01-01T00:00:01+00:00");
  CHECK(format_date(start.plus(0.5)) == "2016-01-01T00:00:00.500000+00:00");
  CHECK(format_date(start.plus(-0.5)) == "2015-12-31T23:59:59.500000+00:00");
  CHECK(format_date(start.plus(86400 * 59)) == "2016-02-29T00:00:00+00:00");
  CHECK(format_date(start.plus(86400 * 366)) == "2017-01-01T00:00:00+00:00");
  // timedelta(seconds=x) rounds half to even.
  CHECK(start.plus(0.0000005) == start);
  CHECK(start.plus(0.0000015).micros == start.micros + 2);
  CHECK(start.plus(1e-7) == start);
  // The offset is kept.
  auto local = at("2016-01-01T00:00:00+02:00");
  CHECK(format_date(local.plus(3600)) == "2016-01-01T01:00:00+02:00");
  CHECK(start.seconds_until(start.plus(2.5)) == 2.5);
  CHECK(start.plus(2.5) - start == 2.5);
  CHECK(start - start.plus(2.5) == -2.5);
  CHECK(at("2016-01-01T01:00:00+01:00") - at("2016-01-01") == 0.0);
  CHECK_THROWS_AS(at("9999-12-31T23:59:59").plus(1), std::out_of_range);
  CHECK_THROWS_AS(at("0001-01-01").plus(-1), std::out_of_range);
  CHECK_THROWS_AS(start.plus(std::nan("")), std::out_of_range);
}

TEST_CASE("every day of four centuries round-trips through the calendar") {
  // 1601-01-01 to 2401-01-01 (incl. 1700, 1800, 1900 not leap; 2000 leap).
  auto d = at("1601-01-01");
  auto end = at("2401-01-01");
  int days = 0;
  int leap_days = 0;
  while (d < end) {
    auto text = format_date(d);
    REQUIRE(parse_date(text) == d);
    if (text.compare(4, 6, "-02-29") == 0)
      ++leap_days;
    d = d.plus(86400);
    ++days;
  }
  CHECK(days == 292194); // 800 years: 2 * 146097 days
  CHECK(leap_days == 194);
}

TEST_CASE("dates as the aiomas extension type") {
  type_registry types;
  types.add("date");
  auto d = at("2016-01-01T12:00:00.5+01:00");
  auto v = to_value(d, types);
  CHECK(v == value{ext{0, "2016-01-01T12:00:00.500000+01:00"}});
  auto back = from_value<date>(v, types);
  CHECK(back == d);
  CHECK(back.offset_minutes == 60);
  json_codec cdc;
  std::string text;
  cdc.encode_text(v, text);
  CHECK(text == R"({"__type__": [0, "2016-01-01T12:00:00.500000+01:00"]})");
  // Bad reprs.
  try {
    from_value<date>(value{ext{0, "xyz"}}, types);
    FAIL("no exception");
  } catch (const wire_error& e) {
    CHECK(e.code() == errc::type_mismatch);
    CHECK(std::string{e.what()} == "invalid date \"xyz\"");
  }
  try {
    from_value<date>(value{ext{0, 5}}, types);
    FAIL("no exception");
  } catch (const wire_error& e) {
    CHECK(e.code() == errc::type_mismatch);
    CHECK(std::string{e.what()} == "expected date string, got int 5");
  }
  // Without "date" in the registry.
  try {
    to_value(d);
    FAIL("no exception");
  } catch (const wire_error& e) {
    CHECK(e.code() == errc::not_serializable);
  }
}
