// A strict reference recognizer for what aiomas/mango accept as a JSON
// payload: `json.loads(data.decode())` in Python 3 (strict UTF-8, RFC 8259
// grammar plus Python's bare NaN, Infinity and -Infinity tokens, no control
// characters in strings, whitespace = space, tab, CR, LF). Used by fuzz_json
// as an oracle. Besides validity it records every number in document order
// with the value Python gives it (floats via glibc's correctly rounded
// strtod, which like Python's float() turns overflow into +-inf and underflow
// into +-0.0), so the decoder's numbers can be checked one by one.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace mas::fuzz {

class python_json_grammar {
public:
  /// One number token as Python reads it.
  struct number {
    enum kind_t { int64, uint64, big_int, float64 } kind;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    double d = 0;
  };

  struct result {
    bool valid = false;
    /// A `\uD800`-`\uDFFF` escape that is not part of a valid pair (Python
    /// keeps it as a lone surrogate; libmas rejects it as invalid_utf8).
    bool lone_surrogate = false;
    /// Numbers in document order (only meaningful if `valid`).
    std::vector<number> numbers;
    /// Whether document order may differ from the decoded value's order:
    /// an object repeats a key (raw bytes; any key with an escape counts as
    /// a possible repeat) or has the key "__type__" (an envelope).
    bool order_ambiguous = false;
  };

  static result check(const std::uint8_t* data, std::size_t size) {
    python_json_grammar g{data, size};
    result r;
    if (!g.utf8())
      return r;
    g.ws();
    if (!g.value(0))
      return r;
    g.ws();
    r.valid = g.pos_ == g.end_;
    r.lone_surrogate = g.lone_surrogate_;
    r.numbers = std::move(g.numbers_);
    r.order_ambiguous = g.order_ambiguous_;
    return r;
  }

private:
  python_json_grammar(const std::uint8_t* data, std::size_t size)
    : p_(data), pos_(0), end_(size) {
  }

  // Strict UTF-8 as Python's bytes.decode('utf-8'): no overlongs, no
  // surrogates, nothing above U+10FFFF.
  bool utf8() const {
    std::size_t i = 0;
    while (i < end_) {
      auto c = p_[i];
      if (c < 0x80) {
        ++i;
        continue;
      }
      std::size_t n;
      std::uint8_t lo = 0x80, hi = 0xbf;
      if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
      } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        if (c == 0xe0)
          lo = 0xa0;
        else if (c == 0xed)
          hi = 0x9f;
      } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        if (c == 0xf0)
          lo = 0x90;
        else if (c == 0xf4)
          hi = 0x8f;
      } else {
        return false;
      }
      if (end_ - i - 1 < n)
        return false;
      if (p_[i + 1] < lo || p_[i + 1] > hi)
        return false;
      for (std::size_t k = 2; k <= n; ++k)
        if (p_[i + k] < 0x80 || p_[i + k] > 0xbf)
          return false;
      i += n + 1;
    }
    return true;
  }

  bool at_end() const {
    return pos_ >= end_;
  }
  int peek() const {
    return at_end() ? -1 : p_[pos_];
  }
  bool lit(const char* s) {
    auto n = std::strlen(s);
    if (end_ - pos_ < n || std::memcmp(p_ + pos_, s, n) != 0)
      return false;
    pos_ += n;
    return true;
  }
  void ws() {
    while (!at_end()
           && (p_[pos_] == ' ' || p_[pos_] == '\t' || p_[pos_] == '\n'
               || p_[pos_] == '\r'))
      ++pos_;
  }
  static bool digit(int c) {
    return c >= '0' && c <= '9';
  }
  static int hexval(int c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  bool value(std::size_t depth) {
    if (depth > 100000)
      return false;
    switch (peek()) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return lit("true");
      case 'f':
        return lit("false");
      case 'n':
        return lit("null");
      case 'N':
        return lit("NaN") && add_float(__builtin_nan(""));
      case 'I':
        return lit("Infinity") && add_float(__builtin_inf());
      case '-':
        if (lit("-Infinity"))
          return add_float(-__builtin_inf());
        return parse_number();
      default:
        return parse_number();
    }
  }

  // Python's NUMBER_RE: (-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?
  bool add_float(double d) {
    number n{number::float64};
    n.d = d;
    numbers_.push_back(n);
    return true;
  }

  bool parse_number() {
    auto first = pos_;
    bool is_float = false;
    if (peek() == '-')
      ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (digit(peek())) {
      while (digit(peek()))
        ++pos_;
    } else {
      return false;
    }
    if (peek() == '.' && pos_ + 1 < end_ && digit(p_[pos_ + 1])) {
      is_float = true;
      ++pos_;
      while (digit(peek()))
        ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      auto save = pos_;
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!digit(peek())) {
        pos_ = save; // Python: the number ends before the 'e'
      } else {
        is_float = true;
        while (digit(peek()))
          ++pos_;
      }
    }
    std::string token{reinterpret_cast<const char*>(p_ + first), pos_ - first};
    number n{number::float64};
    errno = 0;
    if (is_float) {
      n.d = std::strtod(token.c_str(), nullptr); // ERANGE: +-inf or +-0.0
    } else if (token[0] == '-') {
      n.kind = number::int64;
      n.i = std::strtoll(token.c_str(), nullptr, 10);
      if (errno == ERANGE)
        n.kind = number::big_int;
    } else {
      n.u = std::strtoull(token.c_str(), nullptr, 10);
      n.kind = errno == ERANGE ? number::big_int : number::uint64;
    }
    numbers_.push_back(n);
    return true;
  }

  bool hex4(unsigned& out) {
    if (end_ - pos_ < 4)
      return false;
    out = 0;
    for (int k = 0; k < 4; ++k) {
      auto h = hexval(p_[pos_ + k]);
      if (h < 0)
        return false;
      out = out * 16 + static_cast<unsigned>(h);
    }
    pos_ += 4;
    return true;
  }

  bool string(bool* has_escape = nullptr) {
    ++pos_; // opening quote
    for (;;) {
      if (at_end())
        return false;
      auto c = p_[pos_++];
      if (c == '"')
        return true;
      if (c < 0x20)
        return false; // strict=True
      if (c != '\\')
        continue;
      if (has_escape)
        *has_escape = true;
      if (at_end())
        return false;
      auto e = p_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          break;
        case 'u': {
          unsigned u;
          if (!hex4(u))
            return false;
          if (u >= 0xd800 && u <= 0xdbff) {
            // A pair only if "\uDC00".."\uDFFF" follows directly.
            unsigned lo = 0;
            auto save = pos_;
            if (lit("\\u") && hex4(lo) && lo >= 0xdc00 && lo <= 0xdfff)
              break;
            pos_ = save;
            lone_surrogate_ = true;
          } else if (u >= 0xdc00 && u <= 0xdfff) {
            lone_surrogate_ = true;
          }
          break;
        }
        default:
          return false;
      }
    }
  }

  bool array(std::size_t depth) {
    ++pos_;
    ws();
    if (peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      ws();
      if (!value(depth + 1))
        return false;
      ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      return false;
    }
  }

  bool object(std::size_t depth) {
    ++pos_;
    ws();
    if (peek() == '}') {
      ++pos_;
      return true;
    }
    std::unordered_set<std::string_view> keys;
    for (;;) {
      ws();
      auto key_begin = pos_;
      bool escaped = false;
      if (peek() != '"' || !string(&escaped))
        return false;
      std::string_view key{reinterpret_cast<const char*>(p_ + key_begin),
                           pos_ - key_begin};
      if (escaped || key == "\"__type__\"" || !keys.insert(key).second)
        order_ambiguous_ = true;
      ws();
      if (peek() != ':')
        return false;
      ++pos_;
      ws();
      if (!value(depth + 1))
        return false;
      ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return true;
      }
      return false;
    }
  }

  const std::uint8_t* p_;
  std::size_t pos_;
  std::size_t end_;
  bool lone_surrogate_ = false;
  bool order_ambiguous_ = false;
  std::vector<number> numbers_;
};

} // namespace mas::fuzz
