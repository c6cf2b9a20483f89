#include "mas/wire/json_codec.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

#include "mas/wire/detail/decode_budget.hpp"
#include "mas/wire/detail/text.hpp"

namespace mas::wire {

// -- encoding -----------------------------------------------------------------

namespace {

class json_writer {
public:
  json_writer(std::string& out, std::size_t max_depth)
    : out_(out), max_depth_(max_depth) {
    // nop
  }

  void write(const value& x, std::size_t depth) {
    using k = value::kind;
    switch (x.type()) {
      case k::none:
        out_ += "null";
        break;
      case k::boolean:
        out_ += *x.get_if<bool>() ? "true" : "false";
        break;
      case k::int64:
        append_int(*x.get_if<std::int64_t>());
        break;
      case k::uint64:
        append_int(*x.get_if<std::uint64_t>());
        break;
      case k::float64:
        detail::append_python_float(out_, *x.get_if<double>(), false);
        break;
      case k::string:
        detail::append_json_string(out_, *x.get_if<std::string>());
        break;
      case k::bytes:
        throw wire_error(errc::not_serializable,
                         "No serializer found for type \"bytes\" (JSON "
                         "cannot carry bytes)");
      case k::array: {
        check_depth(depth);
        auto& xs = *x.get_if<array>();
        out_ += '[';
        for (std::size_t i = 0; i < xs.size(); ++i) {
          if (i > 0)
            out_ += ", ";
          write(xs[i], depth + 1);
        }
        out_ += ']';
        break;
      }
      case k::dict: {
        check_depth(depth);
        out_ += '{';
        bool first = true;
        for (auto& [key, val] : *x.get_if<dict>()) {
          if (!first)
            out_ += ", ";
          first = false;
          write_key(key);
          out_ += ": ";
          write(val, depth + 1);
        }
        out_ += '}';
        break;
      }
      case k::ext: {
        // An envelope is an object holding an array: two levels on the
        // wire, as the decoder counts them.
        check_depth(depth + 1);
        auto& e = *x.get_if<ext>();
        out_ += "{\"__type__\": [";
        append_int(e.type_id());
        out_ += ", ";
        write(e.repr(), depth + 2);
        out_ += "]}";
        break;
      }
    }
  }

private:
  template <class T>
  void append_int(T x) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof(buf), x);
    out_.append(buf, static_cast<std::size_t>(res.ptr - buf));
  }

  void check_depth(std::size_t depth) {
    if (depth >= max_depth_)
      throw wire_error(errc::nesting_too_deep, "value nests deeper than "
                                                 + std::to_string(max_depth_)
                                                 + " levels");
  }

  // Python's json turns int, float, bool and None keys into strings.
  void write_key(const value& key) {
    using k = value::kind;
    switch (key.type()) {
      case k::string:
        detail::append_json_string(out_, *key.get_if<std::string>());
        return;
      case k::none:
        out_ += "\"null\"";
        return;
      case k::boolean:
        out_ += *key.get_if<bool>() ? "\"true\"" : "\"false\"";
        return;
      case k::int64:
      case k::uint64:
      case k::float64:
        out_ += '"';
        write(key, 0);
        out_ += '"';
        return;
      default:
        throw wire_error(errc::not_serializable,
                         std::string{"keys must be str, int, float, bool or "
                                     "None, not "}
                           + type_name(key));
    }
  }

  std::string& out_;
  std::size_t max_depth_;
};

} // namespace

void json_codec::encode_text(const value& x, std::string& out) const {
  json_writer{out, options().max_depth}.write(x, 0);
}

void json_codec::encode(const value& x, byte_buffer& out) const {
  std::string text;
  encode_text(x, text);
  out.insert(out.end(), text.begin(), text.end());
}

// -- decoding -----------------------------------------------------------------

namespace {

namespace bj = boost::json;

/// One non-finite token that was replaced by `0` before parsing, identified
/// by the ordinal of its number token.
struct substitution {
  std::size_t ordinal;
  double replacement;
};

/// Returns the decimal exponent of the first significant digit of a JSON
/// number (e.g. 2 for 123.0, -3 for 0.001e0), saturating far beyond the
/// range of doubles. Only called for literals `from_chars` cannot represent.
long long decimal_magnitude(const std::string& num) {
  constexpr long long limit = 1000000;
  std::size_t i = num.front() == '-' ? 1 : 0;
  long long int_digits = 0;  // significant digits before the point
  long long zeros_after = 0; // zeros after the point before a digit
  bool seen = false;
  for (; i < num.size() && std::isdigit(static_cast<unsigned char>(num[i]));
       ++i) {
    if (num[i] != '0' || seen) {
      seen = true;
      int_digits = std::min(int_digits + 1, limit);
    }
  }
  if (i < num.size() && num[i] == '.') {
    for (++i;
         i < num.size() && std::isdigit(static_cast<unsigned char>(num[i]));
         ++i) {
      if (!seen && num[i] == '0')
        zeros_after = std::min(zeros_after + 1, limit);
      else
        seen = true;
    }
  }
  long long exp = 0;
  if (i < num.size() && (num[i] == 'e' || num[i] == 'E')) {
    ++i;
    bool negative = i < num.size() && num[i] == '-';
    if (i < num.size() && (num[i] == '-' || num[i] == '+'))
      ++i;
    for (; i < num.size(); ++i)
      exp = std::min(exp * 10 + (num[i] - '0'), limit);
    if (negative)
      exp = -exp;
  }
  return int_digits > 0 ? int_digits - 1 + exp : -(zeros_after + 1) + exp;
}

/// The builder's value stack, reused per thread: growing a fresh vector for
/// every message costs reallocations that move (and destroy) every value on
/// it, the largest cost of decoding small messages. A nested decode on the
/// same thread (from an extension type's decoder) gets a fresh vector.
class value_stack {
public:
  value_stack() : stack_(in_use_ ? local_ : shared_) {
    owner_ = !in_use_;
    in_use_ = true;
    stack_.clear();
  }

  ~value_stack() {
    stack_.clear();
    if (!owner_)
      return;
    // Bounded memory: one huge message does not pin its stack forever.
    if (stack_.capacity() > max_kept)
      std::vector<value>{}.swap(stack_);
    in_use_ = false;
  }

  value_stack(const value_stack&) = delete;
  value_stack& operator=(const value_stack&) = delete;

  std::vector<value>& get() noexcept {
    return stack_;
  }

private:
  static constexpr std::size_t max_kept = 4096;
  static thread_local std::vector<value> shared_;
  static thread_local bool in_use_;
  std::vector<value> local_;
  std::vector<value>& stack_;
  bool owner_ = false;
};

thread_local std::vector<value> value_stack::shared_;
thread_local bool value_stack::in_use_ = false;

/// Builds values bottom-up on one stack (like Boost.JSON's value_stack).
///
/// Every value is charged against `codec_options::max_decoded_size` before
/// it goes on the stack (strings with their characters); a closing array or
/// object moves its items off the stack into the container, so the charge
/// moves with them.
class json_builder {
public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  json_builder(const codec& owner, value (codec::*finish)(dict&&) const,
               const std::vector<substitution>* subs)
    : owner_(owner), finish_(finish), subs_(subs),
      decoded_(owner.options().max_decoded_size) {
    // nop
  }

  value take_result() {
    return std::move(stack_.back());
  }

  bool on_document_begin(bj::error_code&) {
    return true;
  }
  bool on_document_end(bj::error_code&) {
    return true;
  }
  bool on_array_begin(bj::error_code&) {
    return true;
  }
  bool on_array_end(std::size_t n, bj::error_code&) {
    decoded_.charge_values(1, "a JSON array");
    array xs;
    xs.reserve(n);
    auto first = stack_.end() - static_cast<std::ptrdiff_t>(n);
    std::move(first, stack_.end(), std::back_inserter(xs));
    stack_.erase(first, stack_.end());
    stack_.emplace_back(std::move(xs));
    return true;
  }
  bool on_object_begin(bj::error_code&) {
    return true;
  }
  bool on_object_end(std::size_t n, bj::error_code&) {
    decoded_.charge_values(1, "a JSON object");
    dict xs;
    xs.reserve(n);
    auto first = stack_.end() - static_cast<std::ptrdiff_t>(2 * n);
    for (auto i = first; i != stack_.end(); i += 2)
      xs.append(std::move(i[0]), std::move(i[1]));
    stack_.erase(first, stack_.end());
    stack_.emplace_back((owner_.*finish_)(std::move(xs)));
    return true;
  }
  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    decoded_.charge_bytes(s.size(), "a JSON string");
    str_.append(s.data(), s.size());
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code&) {
    push_string(s);
    return true;
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    decoded_.charge_bytes(s.size(), "a JSON key");
    str_.append(s.data(), s.size());
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    push_string(s);
    return true;
  }
  bool on_number_part(bj::string_view s, bj::error_code&) {
    num_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, bj::string_view, bj::error_code&) {
    push_number(value{i});
    return true;
  }
  bool on_uint64(std::uint64_t u, bj::string_view, bj::error_code&) {
    push_number(value{u});
    return true;
  }
  bool on_double(double, bj::string_view s, bj::error_code&) {
    num_.append(s.data(), s.size());
    auto is_int = num_.find_first_of(".eE") == std::string::npos;
    if (is_int)
      throw wire_error(errc::int_out_of_range,
                       "integer " + num_ + " does not fit into 64 bits");
    // Boost.JSON 1.81 may be off by one ulp; from_chars rounds correctly.
    double d = 0;
    auto first = num_.data();
    auto last = first + num_.size();
    auto res = std::from_chars(first, last, d);
    if (res.ec == std::errc::result_out_of_range) {
      // Python: 1e400 -> inf, 1e-400 -> 0.0 (with the sign of the literal).
      d = decimal_magnitude(num_) > 0 ? std::numeric_limits<double>::infinity()
                                      : 0.0;
      if (num_.front() == '-')
        d = -d;
    }
    push_number(value{d});
    return true;
  }
  bool on_bool(bool b, bj::error_code&) {
    decoded_.charge_values(1, "a JSON boolean");
    stack_.emplace_back(b);
    return true;
  }
  bool on_null(bj::error_code&) {
    decoded_.charge_values(1, "a JSON null");
    stack_.emplace_back();
    return true;
  }
  bool on_comment_part(bj::string_view, bj::error_code&) {
    return true;
  }
  bool on_comment(bj::string_view, bj::error_code&) {
    return true;
  }

private:
  void push_string(bj::string_view s) {
    decoded_.charge_bytes(s.size(), "a JSON string");
    decoded_.charge_values(1, "a JSON string");
    if (str_.empty()) {
      stack_.emplace_back(std::string{s.data(), s.size()});
    } else {
      str_.append(s.data(), s.size());
      stack_.emplace_back(std::move(str_));
      str_.clear();
    }
  }

  void push_number(value x) {
    decoded_.charge_values(1, "a JSON number");
    num_.clear();
    auto ordinal = numbers_++;
    if (subs_ != nullptr && next_sub_ < subs_->size()
        && (*subs_)[next_sub_].ordinal == ordinal) {
      stack_.emplace_back((*subs_)[next_sub_++].replacement);
      return;
    }
    stack_.push_back(std::move(x));
  }

  const codec& owner_;
  value (codec::*finish_)(dict&&) const;
  const std::vector<substitution>* subs_;
  std::size_t next_sub_ = 0;
  std::size_t numbers_ = 0;
  detail::decode_budget decoded_;
  value_stack scratch_;
  std::vector<value>& stack_ = scratch_.get();
  std::string str_;
  std::string num_;
};

/// Copies `text`, replacing the bare tokens `NaN`, `Infinity` and
/// `-Infinity` by `0` and recording them, and clamping exponents Boost.JSON
/// cannot hold. A token is replaced only where a
/// JSON value may start (after `[`, `,`, `:` or at the beginning) and where
/// it ends at a token boundary, so `1NaN` or `-NaN` stay invalid as in
/// Python. Returns false if nothing was replaced (the parse error was real).
bool replace_non_finite(std::string_view text, std::string& out,
                        std::vector<substitution>& subs) {
  out.reserve(text.size());
  std::size_t ordinal = 0;
  std::size_t i = 0;
  bool value_may_start = true;
  bool changed = false;
  auto is_word_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'
           || c == '-' || c == '+';
  };
  auto token_at = [&](std::string_view token) {
    return text.compare(i, token.size(), token) == 0
           && (i + token.size() == text.size()
               || !is_word_char(text[i + token.size()]));
  };
  while (i < text.size()) {
    auto c = text[i];
    if (c == '"') {
      // Copy the string literal, honoring escapes.
      auto j = i + 1;
      while (j < text.size() && text[j] != '"')
        j += text[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, text.size());
      out.append(text.substr(i, j - i));
      i = j;
      value_may_start = false;
      continue;
    }
    if (value_may_start) {
      std::string_view token;
      double replacement = 0;
      if (token_at("NaN")) {
        token = "NaN";
        replacement = std::numeric_limits<double>::quiet_NaN();
      } else if (token_at("Infinity")) {
        token = "Infinity";
        replacement = std::numeric_limits<double>::infinity();
      } else if (token_at("-Infinity")) {
        token = "-Infinity";
        replacement = -std::numeric_limits<double>::infinity();
      }
      if (!token.empty()) {
        subs.push_back({ordinal++, replacement});
        out += '0';
        i += token.size();
        value_may_start = false;
        continue;
      }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      // A number token: copy it whole so that it counts once.
      auto j = i + 1;
      while (j < text.size() && is_word_char(text[j]))
        ++j;
      auto token = text.substr(i, j - i);
      // Boost.JSON fails on exponents beyond int; Python reads them as inf
      // or 0.0. Clamp exponents of 10 or more significant digits to 1e9:
      // the value stays out of double range unless the mantissa itself had
      // about a billion digits. Leading zeros do not count (`1e-0002` is
      // 0.01; a fuzzer finding).
      auto e = token.find_first_of("eE");
      auto digits = e == std::string_view::npos ? 0 : e + 1;
      if (digits > 0 && digits < token.size()
          && (token[digits] == '-' || token[digits] == '+'))
        ++digits;
      auto significant = digits == 0 ? std::string_view::npos
                                     : token.find_first_not_of('0', digits);
      if (significant != std::string_view::npos
          && token.size() - significant > 9
          && token.find_first_not_of("0123456789", digits)
               == std::string_view::npos) {
        out.append(token.substr(0, digits));
        out += "1000000000";
        changed = true;
      } else {
        out.append(token);
      }
      ++ordinal;
      i = j;
      value_may_start = false;
      continue;
    }
    if (c == '[' || c == ',' || c == ':')
      value_may_start = true;
    else if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      value_may_start = false;
    out += c;
    ++i;
  }
  return changed || !subs.empty();
}

/// Returns whether `text` contains a `\\uD800`-`\\uDFFF` escape that is not
/// part of a surrogate pair (only called after a failed parse).
bool has_lone_surrogate_escape(std::string_view text) {
  auto escape_at = [&](std::size_t i, unsigned& cp) {
    if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u')
      return false;
    cp = 0;
    for (std::size_t j = i + 2; j < i + 6; ++j) {
      auto c = text[j];
      unsigned digit;
      if (c >= '0' && c <= '9')
        digit = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        digit = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        digit = static_cast<unsigned>(c - 'A' + 10);
      else
        return false;
      cp = cp * 16 + digit;
    }
    return true;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\')
      continue;
    unsigned cp = 0;
    if (!escape_at(i, cp)) {
      ++i; // skip the escaped character (e.g. a backslash)
      continue;
    }
    if (cp >= 0xdc00 && cp <= 0xdfff)
      return true; // a low surrogate without a high one before it
    if (cp >= 0xd800 && cp <= 0xdbff) {
      unsigned low = 0;
      if (!escape_at(i + 6, low) || low < 0xdc00 || low > 0xdfff)
        return true;
      i += 11; // skip the pair
      continue;
    }
    i += 5;
  }
  return false;
}

errc classify(const bj::error_code& ec) {
  if (ec == bj::error::too_deep)
    return errc::nesting_too_deep;
  if (ec == bj::error::illegal_leading_surrogate
      || ec == bj::error::illegal_trailing_surrogate)
    return errc::invalid_utf8;
  return errc::invalid_json;
}

} // namespace

value json_codec::decode_text(std::string_view text) const {
  bj::parse_options opts;
  opts.max_depth = options().max_depth;
  auto parse
    = [&](std::string_view input, const std::vector<substitution>* subs,
          bj::error_code& ec) -> value {
    bj::basic_parser<json_builder> p{opts, *this, &json_codec::finish_dict,
                                     subs};
    auto consumed = p.write_some(false, input.data(), input.size(), ec);
    if (ec)
      return value{};
    if (consumed != input.size()) {
      ec = bj::error::extra_data; // Python: "Extra data"
      return value{};
    }
    return p.handler().take_result();
  };
  bj::error_code ec;
  auto result = parse(text, nullptr, ec);
  if (!ec)
    return result;
  // Python writes NaN/Infinity as bare tokens; Boost.JSON 1.81 rejects them.
  // Only inputs that fail get this second pass.
  auto first_error = ec;
  std::string rewritten;
  std::vector<substitution> subs;
  if (text.find("NaN") != std::string_view::npos
      || text.find("Infinity") != std::string_view::npos
      || first_error == bj::error::exponent_overflow) {
    if (replace_non_finite(text, rewritten, subs)) {
      ec.clear();
      result = parse(rewritten, &subs, ec);
      if (!ec)
        return result;
    }
  }
  if (!detail::is_valid_utf8(text))
    throw wire_error(errc::invalid_utf8, "JSON text is not valid UTF-8");
  if (has_lone_surrogate_escape(text))
    throw wire_error(errc::invalid_utf8,
                     "JSON string holds a lone surrogate escape, which has "
                     "no UTF-8 form");
  throw wire_error(classify(first_error),
                   "invalid JSON: " + first_error.message());
}

value json_codec::decode(const std::uint8_t* data, std::size_t size) const {
  return decode_text({reinterpret_cast<const char*>(data), size});
}

} // namespace mas::wire
