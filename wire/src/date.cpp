#include "mas/wire/date.hpp"

#include <cmath>
#include <stdexcept>

#include "mas/wire/error.hpp"

namespace mas::wire {

namespace {

// -- civil calendar -----------------------------------------------------------

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t micros_per_minute = 60 * micros_per_second;
constexpr std::int64_t micros_per_day = 86'400 * micros_per_second;

/// Python's datetime range, in local (shown) time: years 1 to 9999.
constexpr int min_year = 1;
constexpr int max_year = 9999;

struct civil {
  std::int64_t year;
  int month; // 1..12
  int day;   // 1..31
};

std::int64_t floor_div(std::int64_t x, std::int64_t y) {
  auto q = x / y;
  return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
}

bool is_leap(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int days_in_month(std::int64_t year, int month) {
  static constexpr int days[]
    = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

// The calendar repeats every 400 years (146097 days). Counting years from
// March makes February the last month, so a leap day never shifts the days
// before it; the month lengths from March on then follow (153 * m + 2) / 5.
constexpr std::int64_t days_per_era = 146'097;
// Days from 0000-03-01 to 1970-01-01.
constexpr std::int64_t epoch_shift = 719'468;

std::int64_t days_from_civil(const civil& c) {
  auto year = c.year - (c.month <= 2 ? 1 : 0);
  auto era = floor_div(year, 400);
  auto year_of_era = year - era * 400;        // 0..399
  auto month_from_march = (c.month + 9) % 12; // March = 0
  auto day_of_year = (153 * month_from_march + 2) / 5 + c.day - 1;
  auto day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100
                    + day_of_year; // 0..146096
  return era * days_per_era + day_of_era - epoch_shift;
}

civil civil_from_days(std::int64_t days) {
  auto shifted = days + epoch_shift;
  auto era = floor_div(shifted, days_per_era);
  auto day_of_era = shifted - era * days_per_era; // 0..146096
  // Leap days so far in the era: one every 4 years (1460 days), none every
  // 100 years (36524 days), the era's last day is the 400th year's leap day.
  auto year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524
                      - day_of_era / (days_per_era - 1))
                     / 365;
  auto day_of_year
    = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  auto month_from_march = (5 * day_of_year + 2) / 153;
  auto day
    = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  auto month = static_cast<int>(month_from_march < 10 ? month_from_march + 3
                                                      : month_from_march - 9);
  auto year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

/// Python's datetime range check on the local (shown) time of a date.
void check_range(std::int64_t micros, int offset_minutes) {
  auto local = micros + offset_minutes * micros_per_minute;
  auto year = civil_from_days(floor_div(local, micros_per_day)).year;
  if (year < min_year || year > max_year)
    throw std::out_of_range("date value out of range");
}

/// Seconds as whole microseconds, rounded half to even like
/// `timedelta(seconds=x)`. 1e12 s is more than the whole datetime range.
std::int64_t to_micros(double seconds) {
  if (!std::isfinite(seconds) || std::fabs(seconds) > 1e12)
    throw std::out_of_range("date value out of range");
  double whole = std::trunc(seconds);
  // nearbyint rounds half to even in the default rounding mode.
  auto frac
    = static_cast<std::int64_t>(std::nearbyint((seconds - whole) * 1e6));
  return static_cast<std::int64_t>(whole) * micros_per_second + frac;
}

// -- parsing ------------------------------------------------------------------

class parser {
public:
  explicit parser(std::string_view str) : str_(str) {
    // nop
  }

  bool at_end() const {
    return pos_ == str_.size();
  }

  bool peek(char c) const {
    return pos_ < str_.size() && str_[pos_] == c;
  }

  bool consume(char c) {
    if (!peek(c))
      return false;
    ++pos_;
    return true;
  }

  bool is_digit() const {
    return pos_ < str_.size() && str_[pos_] >= '0' && str_[pos_] <= '9';
  }

  /// Reads exactly `n` ASCII digits; unless `more` (`+HHMM`), a further
  /// digit is an error (arrow does not split `123` into `12` and `3`).
  bool fixed(std::size_t n, int& out, bool more = false) {
    int result = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!is_digit())
        return false;
      result = result * 10 + (str_[pos_++] - '0');
    }
    if (!more && is_digit())
      return false;
    out = result;
    return true;
  }

  /// Reads a fraction of a second (1 digit or more) as microseconds, rounded
  /// like arrow: the 7th digit decides, half to even, later digits ignored.
  /// Can return 1'000'000 (`.9999995`), which carries into the seconds.
  bool fraction(std::int64_t& out) {
    std::int64_t micros = 0;
    std::size_t n = 0;
    int seventh = 0;
    while (is_digit()) {
      auto digit = str_[pos_++] - '0';
      if (n < 6)
        micros = micros * 10 + digit;
      else if (n == 6)
        seventh = digit;
      ++n;
    }
    if (n == 0)
      return false;
    for (auto i = n; i < 6; ++i)
      micros *= 10;
    if (seventh > 5 || (seventh == 5 && micros % 2 == 1))
      ++micros;
    out = micros;
    return true;
  }

private:
  std::string_view str_;
  std::size_t pos_ = 0;
};

} // namespace

// -- date ---------------------------------------------------------------------

date date::from_unix(double seconds) {
  auto result = date{to_micros(seconds), 0};
  check_range(result.micros, 0);
  return result;
}

double date::to_unix() const noexcept {
  return static_cast<double>(micros) / 1e6;
}

date date::plus(double seconds) const {
  auto result = date{micros + to_micros(seconds), offset_minutes};
  check_range(result.micros, result.offset_minutes);
  return result;
}

double date::seconds_until(const date& later) const noexcept {
  return static_cast<double>(later.micros - micros) / 1e6;
}

// -- text ---------------------------------------------------------------------

std::optional<date> parse_date(std::string_view str) {
  parser p{str};
  int year = 0;
  int month = 0;
  int day = 0;
  if (!p.fixed(4, year) || !p.consume('-') || !p.fixed(2, month)
      || !p.consume('-') || !p.fixed(2, day))
    return std::nullopt;
  if (year < min_year || month < 1 || month > 12 || day < 1
      || day > days_in_month(year, month))
    return std::nullopt;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int64_t micros = 0;
  int offset = 0;
  if (p.consume('T') || p.consume(' ')) {
    if (!p.fixed(2, hour))
      return std::nullopt;
    if (p.consume(':')) {
      if (!p.fixed(2, minute))
        return std::nullopt;
      if (p.consume(':')) {
        if (!p.fixed(2, second))
          return std::nullopt;
        if ((p.consume('.') || p.consume(',')) && !p.fraction(micros))
          return std::nullopt;
      }
    }
    // 24:00 is the end of the day, nothing later.
    if (hour > 24 || minute > 59 || second > 59
        || (hour == 24 && (minute != 0 || second != 0 || micros != 0)))
      return std::nullopt;
    // An offset needs a time (arrow rejects "2016-01-01Z").
    if (!p.consume('Z')) {
      bool negative = p.peek('-');
      if (p.consume('+') || p.consume('-')) {
        int off_hours = 0;
        int off_minutes = 0;
        if (!p.fixed(2, off_hours, true))
          return std::nullopt;
        if (p.consume(':')) {
          if (!p.fixed(2, off_minutes))
            return std::nullopt;
        } else if (p.is_digit() && !p.fixed(2, off_minutes)) {
          return std::nullopt;
        }
        if (off_hours > 23 || off_minutes > 59)
          return std::nullopt;
        offset = (off_hours * 60 + off_minutes) * (negative ? -1 : 1);
      }
    }
  }
  if (!p.at_end())
    return std::nullopt;
  auto days = days_from_civil({year, month, day});
  auto local = days * micros_per_day
               + ((hour * 60 + minute) * 60 + second) * micros_per_second
               + micros;
  auto result = date{local - offset * micros_per_minute, offset};
  // 24:00 or a rounded-up fraction may have carried into year 10000.
  auto local_year = civil_from_days(floor_div(local, micros_per_day)).year;
  if (local_year > max_year)
    return std::nullopt;
  return result;
}

namespace {

void append_padded(std::string& out, std::int64_t x, int width) {
  auto digits = std::to_string(x);
  if (digits.size() < static_cast<std::size_t>(width))
    out.append(static_cast<std::size_t>(width) - digits.size(), '0');
  out += digits;
}

} // namespace

std::string format_date(const date& x) {
  auto local = x.micros + x.offset_minutes * micros_per_minute;
  auto days = floor_div(local, micros_per_day);
  auto time_of_day = local - days * micros_per_day;
  auto c = civil_from_days(days);
  auto secs = time_of_day / micros_per_second;
  auto micros = time_of_day % micros_per_second;
  std::string out;
  out.reserve(32);
  if (c.year < 0) {
    out += '-';
    append_padded(out, -c.year, 4);
  } else {
    append_padded(out, c.year, 4);
  }
  out += '-';
  append_padded(out, c.month, 2);
  out += '-';
  append_padded(out, c.day, 2);
  out += 'T';
  append_padded(out, secs / 3600, 2);
  out += ':';
  append_padded(out, secs / 60 % 60, 2);
  out += ':';
  append_padded(out, secs % 60, 2);
  if (micros != 0) {
    out += '.';
    append_padded(out, micros, 6);
  }
  auto offset = x.offset_minutes;
  out += offset < 0 ? '-' : '+';
  if (offset < 0)
    offset = -offset;
  append_padded(out, offset / 60, 2);
  out += ':';
  append_padded(out, offset % 60, 2);
  return out;
}

// -- extension type -----------------------------------------------------------

date ext_type<date>::from_repr(const value& repr, const type_registry&) {
  auto str = repr.get_if<std::string>();
  if (str == nullptr)
    detail::throw_mismatch(repr, "date string");
  auto result = parse_date(*str);
  if (!result)
    throw wire_error(errc::type_mismatch, "invalid date \"" + *str + "\"");
  return *result;
}

} // namespace mas::wire
