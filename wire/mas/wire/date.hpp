#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mas/wire/convert.hpp"
#include "mas/wire/type_registry.hpp"
#include "mas/wire/value.hpp"

namespace mas::wire {

// -- the Arrow date -----------------------------------------------------------

/// An instant with microsecond precision and the UTC offset it was written
/// with: what an `arrow.Arrow` carries through aiomas (its `str()` on the
/// wire, `arrow.get(str)` back). Equality and ordering compare the instant
/// only, like Arrow's: `12:00+01:00 == 11:00Z`.
///
/// The civil calendar is proleptic Gregorian in UTC arithmetic only (no time
/// zone database, no <ctime>): a date knows a fixed offset, never a zone.
struct date {
  /// Microseconds since 1970-01-01T00:00:00Z.
  std::int64_t micros = 0;

  /// The offset from UTC the date is shown in, in minutes (0 = UTC). Python
  /// limits it to less than 24 h either way.
  int offset_minutes = 0;

  // -- conversions ------------------------------------------------------------

  /// The UTC date `seconds` after the epoch (`Arrow.utcfromtimestamp`):
  /// the fraction is rounded to microseconds, half to even.
  static date from_unix(double seconds);

  /// Seconds since the epoch (`Arrow.timestamp()`).
  double to_unix() const noexcept;

  /// This date `seconds` later (earlier if negative) in the same offset,
  /// like `d + timedelta(seconds=x)`: rounded to microseconds, half to
  /// even.
  date plus(double seconds) const;

  /// Seconds from this date to `later` (negative if `later` is earlier):
  /// `(later - self).total_seconds()`.
  double seconds_until(const date& later) const noexcept;

  /// The same instant shown in UTC (`Arrow.to('UTC')`).
  date to_utc() const noexcept {
    return date{micros, 0};
  }

  // -- comparison (the instant) -----------------------------------------------

  friend bool operator==(const date& x, const date& y) noexcept {
    return x.micros == y.micros;
  }
  friend bool operator!=(const date& x, const date& y) noexcept {
    return x.micros != y.micros;
  }
  friend bool operator<(const date& x, const date& y) noexcept {
    return x.micros < y.micros;
  }
  friend bool operator<=(const date& x, const date& y) noexcept {
    return x.micros <= y.micros;
  }
  friend bool operator>(const date& x, const date& y) noexcept {
    return x.micros > y.micros;
  }
  friend bool operator>=(const date& x, const date& y) noexcept {
    return x.micros >= y.micros;
  }
};

/// `x - y` in seconds, like subtracting two Arrows and calling
/// `total_seconds()`.
inline double operator-(const date& x, const date& y) noexcept {
  return y.seconds_until(x);
}

// -- text ---------------------------------------------------------------------

/// Parses the ISO 8601 forms `arrow.get(str)` accepts in practice:
/// - `YYYY-MM-DD`, optionally followed by `T` or a space and `HH`, `HH:MM`,
///   `HH:MM:SS` or `HH:MM:SS.f` (fraction `.` or `,`, 1 digit or more;
///   beyond 6 digits rounded like arrow, half to even on the 7th);
/// - then an optional offset `Z`, `+HH:MM`, `+HHMM`, `+HH` (or `-`); none
///   means UTC.
///
/// `24:00:00` is midnight of the next day (arrow does the same). Fields out
/// of range (month 13, February 30, minute 60, year 0, an offset of 24 h or
/// minutes above 59) and anything else (1-digit months, basic `YYYYMMDD`,
/// week dates, surrounding spaces) return `nullopt`.
std::optional<date> parse_date(std::string_view str);

/// Writes `x` as Python's `datetime.isoformat()` writes an Arrow, in `x`'s
/// own offset: `2016-01-01T00:00:00+00:00`, with `.ffffff` only when the
/// microseconds are not zero, the offset always `±HH:MM`.
std::string format_date(const date& x);

// -- extension type -----------------------------------------------------------

/// Dates travel as aiomas's Arrow serializer sends them (registered first by
/// every aiomas container, so id 0 there): `{"__type__": [id, str(date)]}`.
template <>
struct ext_type<date> {
  static std::string_view name() {
    return "date";
  }

  static value to_repr(const date& x, const type_registry&) {
    return value{format_date(x)};
  }

  /// @throws wire_error `type_mismatch` if `repr` is no string or no date
  ///         (`invalid date "xyz"`).
  static date from_repr(const value& repr, const type_registry&);
};

} // namespace mas::wire
