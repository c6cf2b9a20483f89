#include "mas/wire/detail/text.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace mas::wire::detail {

void append_python_float(std::string& out, double x, bool python_repr) {
  if (std::isnan(x)) {
    out += python_repr ? "nan" : "NaN";
    return;
  }
  if (std::isinf(x)) {
    if (x < 0)
      out += python_repr ? "-inf" : "-Infinity";
    else
      out += python_repr ? "inf" : "Infinity";
    return;
  }
  // Shortest round-trip digits in scientific form, e.g. "-1.2345e+02".
  char buf[64];
  auto res
    = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::scientific);
  std::string_view sci{buf, static_cast<size_t>(res.ptr - buf)};
  bool negative = sci.front() == '-';
  if (negative)
    sci.remove_prefix(1);
  auto e_pos = sci.find('e');
  auto mantissa = sci.substr(0, e_pos);
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+'),
                  sci.data() + sci.size(), exponent);
  // Collect the significant digits without the decimal point.
  char digits[32];
  size_t ndigits = 0;
  for (auto c : mantissa)
    if (c != '.')
      digits[ndigits++] = c;
  if (negative)
    out += '-';
  // Python's float_repr_style 'short': fixed notation for -4 <= exp < 16.
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exponent - 1), '0');
      out.append(digits, ndigits);
    } else {
      auto int_digits = static_cast<size_t>(exponent) + 1;
      if (ndigits <= int_digits) {
        out.append(digits, ndigits);
        out.append(int_digits - ndigits, '0');
        out += ".0";
      } else {
        out.append(digits, int_digits);
        out += '.';
        out.append(digits + int_digits, ndigits - int_digits);
      }
    }
    return;
  }
  out += digits[0];
  if (ndigits > 1) {
    out += '.';
    out.append(digits + 1, ndigits - 1);
  }
  out += 'e';
  out += exponent < 0 ? '-' : '+';
  auto abs_exp = exponent < 0 ? -exponent : exponent;
  if (abs_exp < 10)
    out += '0';
  out += std::to_string(abs_exp);
}

bool is_valid_utf8(std::string_view str) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(str.data());
  auto end = p + str.size();
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

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned cp) {
  char buf[6] = {'\\',
                 'u',
                 hex_digits[(cp >> 12) & 0xf],
                 hex_digits[(cp >> 8) & 0xf],
                 hex_digits[(cp >> 4) & 0xf],
                 hex_digits[cp & 0xf]};
  out.append(buf, 6);
}

} // namespace

void append_json_string(std::string& out, std::string_view str) {
  out += '"';
  auto p = reinterpret_cast<const unsigned char*>(str.data());
  auto end = p + str.size();
  while (p < end) {
    // Copy the longest run of characters that need no escape at once.
    auto run = p;
    while (run < end && *run >= 0x20 && *run < 0x7f && *run != '"'
           && *run != '\\')
      ++run;
    out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(run - p));
    p = run;
    if (p == end)
      break;
    auto c = *p;
    switch (c) {
      case '"':
        out += "\\\"";
        ++p;
        continue;
      case '\\':
        out += "\\\\";
        ++p;
        continue;
      case '\n':
        out += "\\n";
        ++p;
        continue;
      case '\r':
        out += "\\r";
        ++p;
        continue;
      case '\t':
        out += "\\t";
        ++p;
        continue;
      case '\b':
        out += "\\b";
        ++p;
        continue;
      case '\f':
        out += "\\f";
        ++p;
        continue;
      default:
        break;
    }
    if (c < 0x80) { // other control characters and DEL
      append_u_escape(out, c);
      ++p;
      continue;
    }
    // Decode one UTF-8 sequence (input is valid UTF-8).
    unsigned cp;
    size_t len;
    if (c < 0xe0) {
      cp = c & 0x1fu;
      len = 2;
    } else if (c < 0xf0) {
      cp = c & 0x0fu;
      len = 3;
    } else {
      cp = c & 0x07u;
      len = 4;
    }
    if (static_cast<size_t>(end - p) < len)
      len = static_cast<size_t>(end - p);
    for (size_t i = 1; i < len; ++i)
      cp = (cp << 6) | (p[i] & 0x3fu);
    p += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      append_u_escape(out, 0xd800 + (cp >> 10));
      append_u_escape(out, 0xdc00 + (cp & 0x3ff));
    } else {
      append_u_escape(out, cp);
    }
  }
  out += '"';
}

} // namespace mas::wire::detail
