#include "mas/wire/detail/text.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace mas::wire::detail {

std::size_t format_python_float(char* buf, double x,
                                bool python_repr) noexcept {
  auto put = [&](std::string_view str) {
    std::memcpy(buf, str.data(), str.size());
    return str.size();
  };
  if (std::isnan(x))
    return put(python_repr ? "nan" : "NaN");
  if (std::isinf(x)) {
    if (x < 0)
      return put(python_repr ? "-inf" : "-Infinity");
    return put(python_repr ? "inf" : "Infinity");
  }
  // Shortest round-trip digits in scientific form, e.g. "-1.2345e+02".
  char sci[max_python_float_size];
  auto res
    = std::to_chars(sci, sci + sizeof(sci), x, std::chars_format::scientific);
  auto first = sci;
  auto p = buf;
  if (*first == '-') {
    *p++ = '-';
    ++first;
  }
  // Collect the significant digits without the decimal point, then the
  // exponent (to_chars writes at least two exponent digits).
  char digits[20];
  std::size_t ndigits = 0;
  auto q = first;
  for (; *q != 'e'; ++q)
    if (*q != '.')
      digits[ndigits++] = *q;
  ++q;
  bool negative_exp = *q++ == '-';
  int exponent = 0;
  for (; q < res.ptr; ++q)
    exponent = exponent * 10 + (*q - '0');
  if (negative_exp)
    exponent = -exponent;
  auto append = [&](const char* str, std::size_t n) {
    std::memcpy(p, str, n);
    p += n;
  };
  // Python's float_repr_style 'short': fixed notation for -4 <= exp < 16.
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      append("0.000", static_cast<std::size_t>(1 - exponent));
      append(digits, ndigits);
    } else {
      auto int_digits = static_cast<std::size_t>(exponent) + 1;
      if (ndigits <= int_digits) {
        append(digits, ndigits);
        std::memset(p, '0', int_digits - ndigits);
        p += int_digits - ndigits;
        append(".0", 2);
      } else {
        append(digits, int_digits);
        *p++ = '.';
        append(digits + int_digits, ndigits - int_digits);
      }
    }
    return static_cast<std::size_t>(p - buf);
  }
  *p++ = digits[0];
  if (ndigits > 1) {
    *p++ = '.';
    append(digits + 1, ndigits - 1);
  }
  *p++ = 'e';
  *p++ = exponent < 0 ? '-' : '+';
  auto abs_exp = exponent < 0 ? -exponent : exponent;
  if (abs_exp >= 100)
    *p++ = static_cast<char>('0' + abs_exp / 100);
  *p++ = static_cast<char>('0' + abs_exp / 10 % 10);
  *p++ = static_cast<char>('0' + abs_exp % 10);
  return static_cast<std::size_t>(p - buf);
}

void append_python_float(std::string& out, double x, bool python_repr) {
  char buf[max_python_float_size];
  out.append(buf, format_python_float(buf, x, python_repr));
}

bool is_valid_utf8(std::string_view str) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(str.data());
  auto end = p + str.size();
  // Fast path for short ASCII strings (most keys and names): one test.
  if (str.size() <= 16) {
    unsigned char any = 0;
    for (auto q = p; q < end; ++q)
      any |= *q;
    if (any < 0x80)
      return true;
  }
  while (p < end) {
    // Fast path: 8 ASCII bytes at once.
    if (end - p >= 8) {
      std::uint64_t chunk;
      std::memcpy(&chunk, p, 8);
      if ((chunk & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    auto c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0)
        lo = 0xa0; // no overlong forms
      else if (c == 0xed)
        hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0)
        lo = 0x90;
      else if (c == 0xf4)
        hi = 0x8f; // nothing above U+10FFFF
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) < len)
      return false;
    if (p[1] < lo || p[1] > hi)
      return false;
    for (size_t i = 2; i < len; ++i)
      if (p[i] < 0x80 || p[i] > 0xbf)
        return false;
    p += len;
  }
  return true;
}

} // namespace mas::wire::detail
