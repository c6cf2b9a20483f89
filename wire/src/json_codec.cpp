#include "mas/wire/json_codec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <vector>

#include "mas/wire/detail/decode_budget.hpp"
#include "mas/wire/detail/output_cursor.hpp"
#include "mas/wire/detail/scratch_vector.hpp"
#include "mas/wire/detail/text.hpp"

namespace mas::wire {

// -- encoding -----------------------------------------------------------------

namespace {

/// Writes straight into the output (a `std::string` or a `byte_buffer`)
/// through a `detail::output_cursor`: the text is written once, never
/// copied.
template <class Buffer>
class json_writer {
public:
  json_writer(Buffer& out, std::size_t max_depth)
    : out_(out), max_depth_(max_depth) {
    // nop
  }

  void run(const value& x) {
    write(x, 0);
    out_.commit();
  }

private:
  // write() recurses up to max_depth levels deep: scalars and the error
  // paths live in separate functions to keep its frame small.
  void write(const value& x, std::size_t depth) {
    using k = value::kind;
    switch (x.type()) {
      case k::array: {
        check_depth(depth);
        auto& xs = *x.get_if<array>();
        put('[');
        for (std::size_t i = 0; i < xs.size(); ++i) {
          if (i > 0)
            put(", ");
          write(xs[i], depth + 1);
        }
        put(']');
        break;
      }
      case k::dict: {
        check_depth(depth);
        put('{');
        bool first = true;
        for (auto& [key, val] : *x.get_if<dict>()) {
          if (!first)
            put(", ");
          first = false;
          write_key(key);
          put(": ");
          write(val, depth + 1);
        }
        put('}');
        break;
      }
      case k::ext: {
        // An envelope is an object holding an array: two levels on the
        // wire, as the decoder counts them.
        check_depth(depth + 1);
        auto& e = *x.get_if<ext>();
        put("{\"__type__\": [");
        write_int(e.type_id());
        put(", ");
        write(e.repr(), depth + 2);
        put("]}");
        break;
      }
      default:
        write_scalar(x);
    }
  }

  [[gnu::noinline]] void write_scalar(const value& x) {
    using k = value::kind;
    switch (x.type()) {
      case k::none:
        put("null");
        break;
      case k::boolean:
        if (*x.get_if<bool>())
          put("true");
        else
          put("false");
        break;
      case k::int64:
        write_int(*x.get_if<std::int64_t>());
        break;
      case k::uint64:
        write_int(*x.get_if<std::uint64_t>());
        break;
      case k::float64: {
        auto p = reserve(detail::max_python_float_size);
        auto n = detail::format_python_float(p, *x.get_if<double>(), false);
        out_.unreserve(detail::max_python_float_size - n);
        break;
      }
      case k::string:
        write_string(*x.get_if<std::string>());
        break;
      case k::bytes:
        throw wire_error(errc::not_serializable,
                         "No serializer found for type \"bytes\" (JSON "
                         "cannot carry bytes)");
      case k::array:
      case k::dict:
      case k::ext:
        break; // write()
    }
  }

  // -- output -----------------------------------------------------------------

  char* reserve(std::size_t n) {
    return reinterpret_cast<char*>(out_.reserve(n));
  }

  void put(char c) {
    *reserve(1) = c;
  }

  template <std::size_t N>
  void put(const char (&str)[N]) {
    std::memcpy(reserve(N - 1), str, N - 1);
  }

  template <class T>
  void write_int(T x) {
    constexpr std::size_t max_size = 24;
    auto p = reserve(max_size);
    auto res = std::to_chars(p, p + max_size, x);
    out_.unreserve(max_size - static_cast<std::size_t>(res.ptr - p));
  }

  /// Writes `str` (valid UTF-8) as Python's `json.dumps` with
  /// `ensure_ascii=True` does, in chunks, so that the room reserved for the
  /// worst case (six characters per byte) stays small for a long string.
  void write_string(const std::string& str) {
    constexpr std::size_t chunk = 1024;
    put('"');
    auto in = reinterpret_cast<const unsigned char*>(str.data());
    auto end = in + str.size();
    while (in < end) {
      auto n = std::min(chunk, static_cast<std::size_t>(end - in));
      auto chunk_end = in + n;
      // A chunk may end inside a UTF-8 sequence of up to 4 bytes: 12
      // characters (a surrogate pair) more.
      auto room = 6 * n + 12;
      auto start = reserve(room);
      auto p = start;
      while (in < chunk_end) {
        auto c = *in;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
          *p++ = static_cast<char>(c);
          ++in;
          continue;
        }
        ++in;
        if (c >= 0x80) {
          p = write_non_ascii(p, c, in, end);
          continue;
        }
        *p++ = '\\';
        switch (c) {
          case '"':
          case '\\':
            *p++ = static_cast<char>(c);
            break;
          case '\n':
            *p++ = 'n';
            break;
          case '\r':
            *p++ = 'r';
            break;
          case '\t':
            *p++ = 't';
            break;
          case '\b':
            *p++ = 'b';
            break;
          case '\f':
            *p++ = 'f';
            break;
          default: // other control characters and DEL
            p = u_escape(p - 1, c);
        }
      }
      out_.unreserve(room - static_cast<std::size_t>(p - start));
    }
    put('"');
  }

  /// Writes the UTF-8 sequence that starts with `c` (already consumed) as
  /// one or two (a surrogate pair) `\\uXXXX` escapes.
  static char* write_non_ascii(char* p, unsigned c, const unsigned char*& in,
                               const unsigned char* end) {
    unsigned cp;
    std::size_t more;
    if (c < 0xe0) {
      cp = c & 0x1fu;
      more = 1;
    } else if (c < 0xf0) {
      cp = c & 0x0fu;
      more = 2;
    } else {
      cp = c & 0x07u;
      more = 3;
    }
    more = std::min(more, static_cast<std::size_t>(end - in));
    for (std::size_t i = 0; i < more; ++i)
      cp = (cp << 6) | (in[i] & 0x3fu);
    in += more;
    if (cp < 0x10000)
      return u_escape(p, cp);
    cp -= 0x10000;
    p = u_escape(p, 0xd800 + (cp >> 10));
    return u_escape(p, 0xdc00 + (cp & 0x3ff));
  }

  static char* u_escape(char* p, unsigned cp) {
    static constexpr char hex[] = "0123456789abcdef";
    p[0] = '\\';
    p[1] = 'u';
    p[2] = hex[(cp >> 12) & 0xf];
    p[3] = hex[(cp >> 8) & 0xf];
    p[4] = hex[(cp >> 4) & 0xf];
    p[5] = hex[cp & 0xf];
    return p + 6;
  }

  // Python's json turns int, float, bool and None keys into strings.
  [[gnu::noinline]] void write_key(const value& key) {
    using k = value::kind;
    switch (key.type()) {
      case k::string:
        write_string(*key.get_if<std::string>());
        return;
      case k::none:
      case k::boolean:
      case k::int64:
      case k::uint64:
      case k::float64:
        put('"');
        write_scalar(key);
        put('"');
        return;
      default:
        throw wire_error(errc::not_serializable,
                         std::string{"keys must be str, int, float, bool or "
                                     "None, not "}
                           + type_name(key));
    }
  }

  void check_depth(std::size_t depth) const {
    if (depth >= max_depth_)
      throw_too_deep();
  }

  [[noreturn, gnu::noinline, gnu::cold]] void throw_too_deep() const {
    throw wire_error(errc::nesting_too_deep, "value nests deeper than "
                                               + std::to_string(max_depth_)
                                               + " levels");
  }

  detail::output_cursor<Buffer> out_;
  std::size_t max_depth_;
};

} // namespace

void json_codec::encode_text(const value& x, std::string& out) const {
  json_writer<std::string>{out, options().max_depth}.run(x);
}

void json_codec::encode(const value& x, byte_buffer& out) const {
  json_writer<byte_buffer>{out, options().max_depth}.run(x);
}

// -- decoding -----------------------------------------------------------------

namespace {

/// Returns the decimal exponent of the first significant digit of a JSON
/// number (e.g. 2 for 123.0, -3 for 0.001e0), saturating far beyond the
/// range of doubles. Only called for literals `from_chars` cannot represent.
long long decimal_magnitude(std::string_view num) {
  constexpr long long limit = 1000000;
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::size_t i = num.front() == '-' ? 1 : 0;
  long long int_digits = 0;  // significant digits before the point
  long long zeros_after = 0; // zeros after the point before a digit
  bool seen = false;
  for (; i < num.size() && is_digit(num[i]); ++i) {
    if (num[i] != '0' || seen) {
      seen = true;
      int_digits = std::min(int_digits + 1, limit);
    }
  }
  if (i < num.size() && num[i] == '.') {
    for (++i; i < num.size() && is_digit(num[i]); ++i) {
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

/// Reads the 4 hex digits at `p` into `cp`; false if one is not a hex digit.
bool parse_hex4(const char* p, unsigned& cp) {
  cp = 0;
  for (int i = 0; i < 4; ++i) {
    auto c = p[i];
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
}

/// Returns whether `text` contains a `\\uD800`-`\\uDFFF` escape that is not
/// part of a surrogate pair (only called after a failed parse).
bool has_lone_surrogate_escape(std::string_view text) {
  auto escape_at = [&](std::size_t i, unsigned& cp) {
    return i + 6 <= text.size() && text[i] == '\\' && text[i + 1] == 'u'
           && parse_hex4(text.data() + i + 2, cp);
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

/// Thrown inside the reader for input Python's `json.loads` rejects; the
/// decoder turns it into `invalid_json` or, for the reasons Python would
/// have failed earlier or we cannot represent, `invalid_utf8`.
struct syntax_error {
  const char* what;
  std::size_t offset;
};

/// Characters that end the fast scan of a string: the closing quote, an
/// escape, control characters (Python's strict mode rejects them) and
/// non-ASCII bytes (validated as UTF-8).
constexpr bool is_special(unsigned char c) noexcept {
  return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

struct special_table {
  bool xs[256];
  constexpr special_table() : xs() {
    for (int i = 0; i < 256; ++i)
      xs[i] = is_special(static_cast<unsigned char>(i));
  }
};

constexpr special_table special{};

/// A container the JSON reader has open: its items go into `xs` (an
/// array) or `map` (a dict) in the value `target`.
struct json_frame {
  value* target;
  array* xs;
  dict* map;
};

/// The number of items of one container, and the container around it
/// while the count runs.
struct item_count {
  std::uint32_t items;
  std::uint32_t parent;
};

constexpr std::uint32_t no_container = UINT32_MAX;

/// Characters the item count stops at outside strings: quotes and the
/// brackets and commas that give a container its items (1), and inside
/// strings: the closing quote and escapes (2).
struct count_table {
  std::uint8_t xs[256];
  constexpr count_table() : xs() {
    for (auto c : {'"', ',', '[', ']', '{', '}'})
      xs[static_cast<unsigned char>(c)] |= 1;
    for (auto c : {'"', '\\'})
      xs[static_cast<unsigned char>(c)] |= 2;
  }
};

constexpr count_table count_stops{};

/// Counts the items of every container in `text`, in the order their
/// brackets open (commas + 1), so that the reader can reserve each
/// container at its final size and decode every item in place. For JSON
/// that Python accepts the counts are exact; for other text they are hints
/// (the reader grows a container beyond its count, or leaves slots unused,
/// and fails on the syntax error; `max_decoded_size` bounds what it
/// reserves). Stops at `max_depth` open containers (the reader fails
/// there) and in an unterminated string.
void count_items(std::string_view text, std::size_t max_depth,
                 std::vector<item_count>& counts) {
  auto p = reinterpret_cast<const unsigned char*>(text.data());
  auto end = p + text.size();
  auto current = no_container;
  std::size_t depth = 0;
  for (;;) {
    while (p < end && (count_stops.xs[*p] & 1) == 0)
      ++p;
    if (p == end)
      return;
    switch (*p++) {
      case '"':
        for (;;) {
          while (p < end && (count_stops.xs[*p] & 2) == 0)
            ++p;
          if (p >= end)
            return;
          if (*p++ == '"')
            break;
          ++p; // the escaped character
        }
        break;
      case ',':
        if (current != no_container && counts[current].items < UINT32_MAX)
          ++counts[current].items;
        break;
      case '[':
      case '{':
        if (depth >= max_depth || counts.size() >= no_container)
          return;
        counts.push_back(item_count{1, current});
        current = static_cast<std::uint32_t>(counts.size() - 1);
        ++depth;
        break;
      default: // ']', '}'
        if (current != no_container) {
          current = counts[current].parent;
          --depth;
        }
    }
  }
}

/// Decodes JSON text as Python's `json.loads` reads it, without a tokenizer
/// in between, building every value in the place it ends up: a first scan
/// counts the items of each container (@ref count_items), then a container
/// is created in its parent's slot at its final size and each item is
/// decoded straight into its own slot. No value is moved after decoding
/// except a finished object (into `finish_dict` and back). A slot pointer
/// stays valid: only the innermost open container may grow, and none of
/// the open containers live in it.
///
/// Iterative, so nesting costs heap (bounded by `max_depth`), not C++
/// stack. Every value is charged against `codec_options::max_decoded_size`
/// before it is created (a string with its characters, before they are
/// copied); a container reserves no more slots than the budget has left.
class json_reader {
public:
  json_reader(const codec& owner, value (codec::*finish)(dict&&) const,
              std::string_view text)
    : owner_(owner), finish_(finish), max_depth_(owner.options().max_depth),
      first_(text.data()), pos_(text.data()), last_(text.data() + text.size()),
      decoded_(owner.options().max_decoded_size) {
    // nop
  }

  value run() {
    auto& frames = frames_.get();
    count_items({first_, static_cast<std::size_t>(last_ - first_)}, max_depth_,
                counts_.get());
    value result;
    value* slot = &result;
    // A non-empty container opens a frame and hands out its first slot;
    // else walk up the containers this item completes to the next slot.
    for (;;) {
      slot = read_value(*slot);
      while (slot == nullptr && !frames.empty()) {
        auto c = next_token();
        auto& top = frames.back();
        if (c == ',') {
          ++pos_;
          slot = &next_slot(top);
        } else if (c == (top.map != nullptr ? '}' : ']')) {
          ++pos_;
          auto done = top;
          frames.pop_back();
          if (done.map != nullptr)
            *done.target = (owner_.*finish_)(std::move(*done.map));
        } else {
          fail("Expecting ',' delimiter");
        }
      }
      if (slot == nullptr)
        break;
    }
    next_token();
    if (pos_ != last_) // not next_token() != 0: the text may hold a NUL
      fail("Extra data");
    return result;
  }

private:
  using frame = json_frame;

  // -- input ------------------------------------------------------------------

  [[noreturn, gnu::noinline, gnu::cold]] void fail(const char* what) const {
    throw syntax_error{what, static_cast<std::size_t>(pos_ - first_)};
  }

  /// Skips whitespace; returns the next character, 0 at the end (or a NUL
  /// in the text, which no token starts with).
  char next_token() {
    while (pos_ < last_) {
      auto c = *pos_;
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
        return c;
      ++pos_;
    }
    return 0;
  }

  bool consume(std::string_view word) {
    if (static_cast<std::size_t>(last_ - pos_) < word.size()
        || std::memcmp(pos_, word.data(), word.size()) != 0)
      return false;
    pos_ += word.size();
    return true;
  }

  // -- values -----------------------------------------------------------------

  /// Decodes the value at the cursor into `out` (none before). Returns the
  /// first slot of a non-empty container it opened, else nullptr.
  value* read_value(value& out) {
    auto c = next_token();
    switch (c) {
      case '"':
        charge_value("a JSON string");
        read_string(out);
        return nullptr;
      case '{':
      case '[':
        return open(out, c == '{');
      case 'n':
        read_literal("null", "a JSON null");
        return nullptr;
      case 't':
        read_literal("true", "a JSON boolean");
        out.emplace<bool>(true);
        return nullptr;
      case 'f':
        read_literal("false", "a JSON boolean");
        out.emplace<bool>(false);
        return nullptr;
      case 'N':
        read_literal("NaN", "a JSON number");
        out.emplace<double>(std::numeric_limits<double>::quiet_NaN());
        return nullptr;
      case 'I':
        read_literal("Infinity", "a JSON number");
        out.emplace<double>(std::numeric_limits<double>::infinity());
        return nullptr;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          charge_value("a JSON number");
          read_number(out);
          return nullptr;
        }
        fail("Expecting value");
    }
  }

  void charge_value(const char* what) {
    decoded_.charge_values(1, what);
  }

  /// Reads `word` (a literal such as `null`) at the cursor.
  void read_literal(std::string_view word, const char* what) {
    charge_value(what);
    if (!consume(word))
      fail("Expecting value");
  }

  value* open(value& out, bool is_map) {
    auto& frames = frames_.get();
    if (frames.size() >= max_depth_)
      throw wire_error(errc::nesting_too_deep, "JSON text nests deeper than "
                                                 + std::to_string(max_depth_)
                                                 + " levels");
    charge_value(is_map ? "a JSON object" : "a JSON array");
    ++pos_;
    // Every container takes its count, also an empty one.
    auto& counts = counts_.get();
    std::size_t count
      = next_count_ < counts.size() ? counts[next_count_].items : 0;
    ++next_count_;
    if (next_token() == (is_map ? '}' : ']')) {
      ++pos_;
      if (is_map)
        out = (owner_.*finish_)(dict{});
      else
        out.emplace<array>();
      return nullptr;
    }
    // The count is exact for valid JSON; the budget bounds it for the rest.
    auto slots = std::min(count, decoded_.values_left() / (is_map ? 2 : 1));
    if (is_map) {
      auto& map = out.emplace<dict>();
      map.reserve(slots);
      frames.push_back(frame{&out, nullptr, &map});
    } else {
      auto& xs = out.emplace<array>();
      xs.reserve(slots);
      frames.push_back(frame{&out, &xs, nullptr});
    }
    return &next_slot(frames.back());
  }

  /// Adds the slot of the next item; for an object, reads its key and colon
  /// first.
  value& next_slot(const frame& top) {
    if (top.map == nullptr)
      return top.xs->emplace_back();
    if (next_token() != '"')
      fail("Expecting property name enclosed in double quotes");
    charge_value("a JSON key");
    auto& entry = top.map->emplace_back();
    read_string(entry.first);
    if (next_token() != ':')
      fail("Expecting ':' delimiter");
    ++pos_;
    return entry.second;
  }

  // -- strings ----------------------------------------------------------------

  /// Reads the string literal at the cursor (on its opening quote).
  void read_string(value& out) {
    auto start = ++pos_;
    bool ascii = scan_run();
    if (pos_ == last_)
      fail("Unterminated string");
    auto p = reinterpret_cast<const unsigned char*>(pos_);
    if (*p == '"') {
      std::string_view str{start, static_cast<std::size_t>(pos_ - start)};
      check_utf8(str, ascii);
      decoded_.charge_bytes(str.size(), "a JSON string");
      out.emplace<std::string>(str);
      ++pos_;
      return;
    }
    if (*p < 0x20)
      fail("Invalid control character");
    // An escape: unescape the rest into a string of its own.
    auto& str = out.emplace<std::string>();
    append_raw(str, start, pos_, ascii);
    read_escaped(str);
  }

  /// Moves the cursor over characters that need no attention, up to a
  /// quote, a backslash, a control character or the end; returns whether
  /// they were all ASCII (else they still need UTF-8 validation).
  bool scan_run() {
    auto p = reinterpret_cast<const unsigned char*>(pos_);
    auto end = reinterpret_cast<const unsigned char*>(last_);
    bool ascii = true;
    for (;;) {
      while (p < end && !special.xs[*p])
        ++p;
      if (p < end && *p >= 0x80) {
        ascii = false;
        ++p;
        continue;
      }
      break;
    }
    pos_ = reinterpret_cast<const char*>(p);
    return ascii;
  }

  void check_utf8(std::string_view str, bool ascii) {
    if (!ascii && !detail::is_valid_utf8(str))
      fail("invalid UTF-8");
  }

  /// Appends a run of characters that need no unescaping.
  void append_raw(std::string& str, const char* first, const char* last,
                  bool ascii) {
    std::string_view run{first, static_cast<std::size_t>(last - first)};
    check_utf8(run, ascii);
    decoded_.charge_bytes(run.size(), "a JSON string");
    str.append(run);
  }

  /// Continues a string at an escape (the cursor on its backslash).
  void read_escaped(std::string& str) {
    for (;;) {
      // The cursor is on a backslash, a quote or a control character.
      auto c = static_cast<unsigned char>(*pos_);
      if (c == '"') {
        ++pos_;
        return;
      }
      if (c < 0x20)
        fail("Invalid control character");
      if (last_ - pos_ < 2)
        fail("Unterminated string");
      char plain = 0;
      switch (pos_[1]) {
        case '"':
          plain = '"';
          break;
        case '\\':
          plain = '\\';
          break;
        case '/':
          plain = '/';
          break;
        case 'b':
          plain = '\b';
          break;
        case 'f':
          plain = '\f';
          break;
        case 'n':
          plain = '\n';
          break;
        case 'r':
          plain = '\r';
          break;
        case 't':
          plain = '\t';
          break;
        case 'u':
          break;
        default:
          ++pos_;
          fail("Invalid \\escape");
      }
      if (plain != 0) {
        decoded_.charge_bytes(1, "a JSON string");
        str += plain;
        pos_ += 2;
      } else {
        read_unicode_escape(str);
      }
      auto start = pos_;
      bool ascii = scan_run();
      append_raw(str, start, pos_, ascii);
      if (pos_ == last_)
        fail("Unterminated string");
    }
  }

  /// Reads 4 hex digits after `\u` at `pos_ + 2`.
  unsigned read_hex4() {
    if (last_ - pos_ < 6)
      fail("Invalid \\uXXXX escape");
    unsigned cp = 0;
    if (!parse_hex4(pos_ + 2, cp))
      fail("Invalid \\uXXXX escape");
    pos_ += 6;
    return cp;
  }

  void read_unicode_escape(std::string& str) {
    auto cp = read_hex4();
    if (cp >= 0xd800 && cp <= 0xdbff) {
      // Python joins a high surrogate with a low one that follows.
      if (last_ - pos_ >= 2 && pos_[0] == '\\' && pos_[1] == 'u') {
        auto mark = pos_;
        auto low = read_hex4();
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        } else {
          pos_ = mark;
          fail("lone surrogate escape");
        }
      } else {
        fail("lone surrogate escape");
      }
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      fail("lone surrogate escape");
    }
    char buf[4];
    std::size_t n;
    if (cp < 0x80) {
      buf[0] = static_cast<char>(cp);
      n = 1;
    } else if (cp < 0x800) {
      buf[0] = static_cast<char>(0xc0 | (cp >> 6));
      buf[1] = static_cast<char>(0x80 | (cp & 0x3f));
      n = 2;
    } else if (cp < 0x10000) {
      buf[0] = static_cast<char>(0xe0 | (cp >> 12));
      buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      buf[2] = static_cast<char>(0x80 | (cp & 0x3f));
      n = 3;
    } else {
      buf[0] = static_cast<char>(0xf0 | (cp >> 18));
      buf[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      buf[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      buf[3] = static_cast<char>(0x80 | (cp & 0x3f));
      n = 4;
    }
    decoded_.charge_bytes(n, "a JSON string");
    str.append(buf, n);
  }

  // -- numbers ----------------------------------------------------------------

  /// Reads a number as Python's scanner does:
  /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`, or `-Infinity`.
  void read_number(value& out) {
    auto start = pos_;
    bool negative = *pos_ == '-';
    if (negative) {
      ++pos_;
      if (pos_ < last_ && *pos_ == 'I') {
        if (!consume("Infinity"))
          fail("Expecting value");
        out.emplace<double>(-std::numeric_limits<double>::infinity());
        return;
      }
    }
    auto is_digit
      = [this] { return pos_ < last_ && *pos_ >= '0' && *pos_ <= '9'; };
    if (!is_digit())
      fail("Expecting value");
    std::uint64_t mag = 0;
    bool overflow = false;
    if (*pos_ == '0') {
      ++pos_;
    } else {
      for (; is_digit(); ++pos_) {
        auto digit = static_cast<std::uint64_t>(*pos_ - '0');
        if (mag > (UINT64_MAX - digit) / 10)
          overflow = true;
        else
          mag = mag * 10 + digit;
      }
    }
    // For floats, `mag` takes the fraction digits too: the fast path below
    // needs the digits as an integer and the decimal exponent.
    bool is_float = false;
    long exp10 = 0;
    if (pos_ < last_ && *pos_ == '.') {
      ++pos_;
      if (!is_digit())
        fail("Extra data"); // Python: "1." is the int 1, then garbage
      for (; is_digit(); ++pos_) {
        auto digit = static_cast<std::uint64_t>(*pos_ - '0');
        if (mag > (UINT64_MAX - digit) / 10) {
          overflow = true;
        } else {
          mag = mag * 10 + digit;
          --exp10;
        }
      }
      is_float = true;
    }
    if (pos_ < last_ && (*pos_ == 'e' || *pos_ == 'E')) {
      ++pos_;
      bool negative_exp = pos_ < last_ && *pos_ == '-';
      if (pos_ < last_ && (*pos_ == '-' || *pos_ == '+'))
        ++pos_;
      if (!is_digit())
        fail("Extra data");
      long exp = 0;
      for (; is_digit(); ++pos_)
        exp = std::min(exp * 10 + (*pos_ - '0'), 100000L);
      exp10 += negative_exp ? -exp : exp;
      is_float = true;
    }
    std::string_view text{start, static_cast<std::size_t>(pos_ - start)};
    if (!is_float) {
      if (!overflow && !negative) {
        if (mag <= std::uint64_t{INT64_MAX})
          out.emplace<std::int64_t>(static_cast<std::int64_t>(mag));
        else
          out.emplace<std::uint64_t>(mag);
        return;
      }
      if (!overflow && mag <= std::uint64_t{INT64_MAX} + 1) {
        out.emplace<std::int64_t>(static_cast<std::int64_t>(0 - mag));
        return;
      }
      too_big(text);
    }
    // Clinger's fast path: digits and power of ten are both exact doubles,
    // so one multiplication or division rounds correctly. Most floats on
    // the wire (Python's repr of measurements) take it.
    constexpr std::uint64_t max_exact = std::uint64_t{1} << 53;
    if (!overflow && mag <= max_exact && exp10 >= -22 && exp10 <= 22) {
      static constexpr double powers[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
      auto m = static_cast<double>(mag);
      auto d = exp10 < 0 ? m / powers[-exp10] : m * powers[exp10];
      out.emplace<double>(negative ? -d : d);
      return;
    }
    double d = 0;
    auto res = std::from_chars(text.data(), text.data() + text.size(), d);
    if (res.ec == std::errc::result_out_of_range) {
      // Python: 1e400 -> inf, 1e-400 -> 0.0 (with the sign of the literal).
      d = decimal_magnitude(text) > 0 ? std::numeric_limits<double>::infinity()
                                      : 0.0;
      if (negative)
        d = -d;
    }
    out.emplace<double>(d);
  }

  [[noreturn, gnu::noinline, gnu::cold]] static void
  too_big(std::string_view text) {
    constexpr std::size_t shown = 40;
    std::string num{text.substr(0, shown)};
    if (text.size() > shown)
      num += "... (" + std::to_string(text.size()) + " digits)";
    throw wire_error(errc::int_out_of_range,
                     "integer " + num + " does not fit into 64 bits");
  }

  const codec& owner_;
  value (codec::*finish_)(dict&&) const;
  std::size_t max_depth_;
  const char* first_;
  const char* pos_;
  const char* last_;
  detail::decode_budget decoded_;
  detail::scratch_vector<frame> frames_;
  /// Items per container (count_items), and the next one to take.
  detail::scratch_vector<item_count> counts_;
  std::size_t next_count_ = 0;
};

} // namespace

value json_codec::decode_text(std::string_view text) const {
  try {
    return json_reader{*this, &json_codec::finish_dict, text}.run();
  } catch (const syntax_error& e) {
    // Python decodes the bytes before parsing: invalid UTF-8 anywhere fails
    // first. A lone surrogate escape is valid for Python but has no UTF-8
    // form.
    if (!detail::is_valid_utf8(text))
      throw wire_error(errc::invalid_utf8, "JSON text is not valid UTF-8");
    if (has_lone_surrogate_escape(text))
      throw wire_error(errc::invalid_utf8,
                       "JSON string holds a lone surrogate escape, which has "
                       "no UTF-8 form");
    throw wire_error(errc::invalid_json, std::string{"invalid JSON: "} + e.what
                                           + " at offset "
                                           + std::to_string(e.offset));
  }
}

value json_codec::decode(const std::uint8_t* data, std::size_t size) const {
  return decode_text({reinterpret_cast<const char*>(data), size});
}

} // namespace mas::wire
