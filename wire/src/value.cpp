#include "mas/wire/value.hpp"

#include <cmath>
#include <cstring>
#include <functional>
#include <unordered_map>

#include "mas/wire/detail/text.hpp"

namespace mas::wire {

// -- error category -----------------------------------------------------------

const char* to_string(errc x) noexcept {
  switch (x) {
    case errc::ok:
      return "ok";
    case errc::frame_too_large:
      return "frame_too_large";
    case errc::truncated_frame:
      return "truncated_frame";
    case errc::invalid_json:
      return "invalid_json";
    case errc::invalid_msgpack:
      return "invalid_msgpack";
    case errc::invalid_blosc:
      return "invalid_blosc";
    case errc::invalid_utf8:
      return "invalid_utf8";
    case errc::int_out_of_range:
      return "int_out_of_range";
    case errc::nesting_too_deep:
      return "nesting_too_deep";
    case errc::invalid_envelope:
      return "invalid_envelope";
    case errc::unknown_type_id:
      return "unknown_type_id";
    case errc::not_serializable:
      return "not_serializable";
    case errc::invalid_message:
      return "invalid_message";
    case errc::type_mismatch:
      return "type_mismatch";
  }
  return "unknown";
}

namespace {

class wire_category_impl : public std::error_category {
public:
  const char* name() const noexcept override {
    return "mas.wire";
  }
  std::string message(int code) const override {
    return to_string(static_cast<errc>(code));
  }
};

} // namespace

const std::error_category& wire_category() noexcept {
  static const wire_category_impl instance;
  return instance;
}

// -- structural hashing and equality ------------------------------------------

namespace {

bool same_float(double x, double y) noexcept {
  if (std::isnan(x) || std::isnan(y))
    return std::isnan(x) && std::isnan(y);
  return x == y && std::signbit(x) == std::signbit(y);
}

std::size_t combine(std::size_t seed, std::size_t h) noexcept {
  return seed ^ (h + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
}

std::size_t hash_of(const value& x) noexcept {
  using k = value::kind;
  auto seed = static_cast<std::size_t>(x.type());
  switch (x.type()) {
    case k::none:
      return seed;
    case k::boolean:
      return combine(seed, *x.get_if<bool>());
    case k::int64:
      return combine(seed,
                     std::hash<std::int64_t>{}(*x.get_if<std::int64_t>()));
    case k::uint64:
      return combine(seed,
                     std::hash<std::uint64_t>{}(*x.get_if<std::uint64_t>()));
    case k::float64: {
      auto d = *x.get_if<double>();
      return combine(seed, std::isnan(d) ? 0 : std::hash<double>{}(d));
    }
    case k::string:
      return combine(seed, std::hash<std::string>{}(*x.get_if<std::string>()));
    case k::bytes: {
      auto& b = x.get_if<bytes>()->data;
      std::string_view sv{reinterpret_cast<const char*>(b.data()), b.size()};
      return combine(seed, std::hash<std::string_view>{}(sv));
    }
    case k::array:
      for (auto& y : *x.get_if<array>())
        seed = combine(seed, hash_of(y));
      return seed;
    case k::dict:
      for (auto& [key, val] : *x.get_if<dict>())
        seed = combine(combine(seed, hash_of(key)), hash_of(val));
      return seed;
    case k::ext:
      return combine(
        combine(seed, static_cast<std::size_t>(x.get_if<ext>()->type_id())),
        hash_of(x.get_if<ext>()->repr()));
  }
  return seed;
}

// -- dict key semantics (Python's) --------------------------------------------

/// A number key as Python compares it: bool, int and float are one domain
/// (`1 == True == 1.0`); integral floats equal the int of the same value.
struct numeric_key {
  enum { none, integer, uinteger, real } kind = none;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
};

numeric_key numeric_of(const value& x) noexcept {
  numeric_key result;
  if (auto b = x.get_if<bool>()) {
    result.kind = numeric_key::integer;
    result.i = *b ? 1 : 0;
  } else if (auto i = x.get_if<std::int64_t>()) {
    result.kind = numeric_key::integer;
    result.i = *i;
  } else if (auto u = x.get_if<std::uint64_t>()) {
    result.kind = numeric_key::uinteger;
    result.u = *u;
  } else if (auto d = x.get_if<double>()) {
    // Integral floats in range compare (and hash) as ints.
    if (*d == std::floor(*d) && *d >= -9223372036854775808.0
        && *d < 9223372036854775808.0) {
      result.kind = numeric_key::integer;
      result.i = static_cast<std::int64_t>(*d);
    } else if (*d == std::floor(*d) && *d >= 0 && *d < 18446744073709551616.0) {
      result.kind = numeric_key::uinteger;
      result.u = static_cast<std::uint64_t>(*d);
    } else {
      result.kind = numeric_key::real;
      result.d = *d;
    }
  }
  return result;
}

/// Python's `x == y` for dict keys. NaN never equals anything (Python keeps
/// two distinct NaN objects as two keys).
bool key_equal(const value& x, const value& y) {
  auto nx = numeric_of(x);
  auto ny = numeric_of(y);
  if (nx.kind != numeric_key::none || ny.kind != numeric_key::none) {
    if (nx.kind != ny.kind)
      return false;
    switch (nx.kind) {
      case numeric_key::integer:
        return nx.i == ny.i;
      case numeric_key::uinteger:
        return nx.u == ny.u;
      default:
        return nx.d == ny.d; // false for NaN
    }
  }
  if (x.is_array() && y.is_array()) {
    auto& xs = x.as_array();
    auto& ys = y.as_array();
    if (xs.size() != ys.size())
      return false;
    for (std::size_t i = 0; i < xs.size(); ++i)
      if (!key_equal(xs[i], ys[i]))
        return false;
    return x.is_tuple() == y.is_tuple();
  }
  // Decoded extension objects are distinct Python objects: as keys they
  // never merge. Dicts and lists are unhashable in Python; decoders reject
  // them as keys, so they only get here from hand-built values.
  if (x.is_ext() || y.is_ext())
    return false;
  return x == y;
}

std::size_t key_hash(const value& x) noexcept {
  auto n = numeric_of(x);
  switch (n.kind) {
    case numeric_key::integer:
      return std::hash<std::int64_t>{}(n.i);
    case numeric_key::uinteger:
      return std::hash<std::uint64_t>{}(n.u);
    case numeric_key::real:
      return std::isnan(n.d) ? 0 : std::hash<double>{}(n.d);
    case numeric_key::none:
      break;
  }
  if (auto xs = x.get_if<array>()) {
    std::size_t seed = 0x51;
    for (auto& y : *xs)
      seed = combine(seed, key_hash(y));
    return seed;
  }
  return hash_of(x);
}

struct key_ptr_hash {
  std::size_t operator()(const value* x) const noexcept {
    return key_hash(*x);
  }
};

struct key_ptr_equal {
  bool operator()(const value* x, const value* y) const {
    return key_equal(*x, *y);
  }
};

} // namespace

bool operator==(const value& x, const value& y) {
  if (x.type() != y.type())
    return false;
  using k = value::kind;
  switch (x.type()) {
    case k::none:
      return true;
    case k::boolean:
      return *x.get_if<bool>() == *y.get_if<bool>();
    case k::int64:
      return *x.get_if<std::int64_t>() == *y.get_if<std::int64_t>();
    case k::uint64:
      return *x.get_if<std::uint64_t>() == *y.get_if<std::uint64_t>();
    case k::float64:
      return same_float(*x.get_if<double>(), *y.get_if<double>());
    case k::string:
      return *x.get_if<std::string>() == *y.get_if<std::string>();
    case k::bytes:
      return *x.get_if<bytes>() == *y.get_if<bytes>();
    case k::array:
      return x.is_tuple() == y.is_tuple()
             && *x.get_if<array>() == *y.get_if<array>();
    case k::dict:
      return *x.get_if<dict>() == *y.get_if<dict>();
    case k::ext:
      return *x.get_if<ext>() == *y.get_if<ext>();
  }
  return false;
}

bool operator==(const ext& x, const ext& y) {
  return x.type_id() == y.type_id() && x.repr() == y.repr();
}

// -- dict ---------------------------------------------------------------------

bool operator==(const dict& x, const dict& y) {
  // Python compares dicts regardless of order. Each value is compared at
  // most once, so nested dicts cost linear time: when the keys line up
  // position by position (the common case, and the only way a NaN key can
  // match itself), compare values in place; otherwise look keys up.
  if (x.size() != y.size())
    return false;
  auto same_keys = true;
  for (std::size_t i = 0; i < x.size() && same_keys; ++i)
    same_keys = x[i].first == y[i].first;
  if (same_keys) {
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!(x[i].second == y[i].second))
        return false;
    return true;
  }
  for (auto& [key, val] : x) {
    auto other = y.find(key);
    if (other == nullptr || !(*other == val))
      return false;
  }
  return true;
}

bool dict::has_only_string_keys() const noexcept {
  for (auto& kvp : xs_)
    if (!kvp.first.is_string())
      return false;
  return true;
}

const value* dict::find(std::string_view key) const noexcept {
  for (auto& kvp : xs_)
    if (auto str = kvp.first.get_if<std::string>(); str && *str == key)
      return &kvp.second;
  return nullptr;
}

value* dict::find(std::string_view key) noexcept {
  return const_cast<value*>(std::as_const(*this).find(key));
}

const value* dict::find(const value& key) const noexcept {
  for (auto& kvp : xs_)
    if (key_equal(kvp.first, key))
      return &kvp.second;
  return nullptr;
}

void dict::insert_or_assign(value key, value val) {
  for (auto& kvp : xs_) {
    if (key_equal(kvp.first, key)) {
      kvp.second = std::move(val);
      return;
    }
  }
  xs_.emplace_back(std::move(key), std::move(val));
}

bool dict::erase(std::string_view key) {
  for (auto i = xs_.begin(); i != xs_.end(); ++i) {
    if (auto str = i->first.get_if<std::string>(); str && *str == key) {
      xs_.erase(i);
      return true;
    }
  }
  return false;
}

void dict::dedup() {
  auto n = xs_.size();
  if (n < 2)
    return;
  if (n <= 32) {
    // Small maps: a quadratic scan beats hashing; string keys (all of JSON)
    // compare cheaply.
    bool dup = false;
    for (size_t i = 1; i < n && !dup; ++i) {
      auto str = xs_[i].first.get_if<std::string>();
      for (size_t j = 0; j < i && !dup; ++j) {
        if (str != nullptr) {
          auto other = xs_[j].first.get_if<std::string>();
          dup = other != nullptr && *other == *str;
        } else {
          dup = key_equal(xs_[i].first, xs_[j].first);
        }
      }
    }
    if (!dup)
      return;
  }
  // First pass with all keys intact: where does each entry go?
  std::unordered_map<const value*, size_t, key_ptr_hash, key_ptr_equal> pos;
  pos.reserve(n);
  std::vector<size_t> target(n);
  size_t unique = 0;
  for (size_t i = 0; i < n; ++i) {
    auto [iter, added] = pos.emplace(&xs_[i].first, unique);
    target[i] = iter->second;
    if (added)
      ++unique;
  }
  pos.clear();
  // Second pass: move entries to their slots; later values overwrite.
  container_type result;
  result.reserve(unique);
  for (size_t i = 0; i < n; ++i) {
    if (target[i] == result.size())
      result.emplace_back(std::move(xs_[i]));
    else
      result[target[i]].second = std::move(xs_[i].second);
  }
  xs_ = std::move(result);
}

// -- checked access -----------------------------------------------------------

namespace {

[[noreturn]] void mismatch(const value& x, const char* expected) {
  throw wire_error(errc::type_mismatch, std::string{"expected "} + expected
                                          + ", got " + type_name(x));
}

} // namespace

bool value::as_bool() const {
  if (auto x = get_if<bool>())
    return *x;
  mismatch(*this, "bool");
}

std::int64_t value::as_int64() const {
  if (auto x = get_if<std::int64_t>())
    return *x;
  mismatch(*this, "int (int64 range)");
}

std::uint64_t value::as_uint64() const {
  if (auto x = get_if<std::uint64_t>())
    return *x;
  if (auto x = get_if<std::int64_t>(); x && *x >= 0)
    return static_cast<std::uint64_t>(*x);
  mismatch(*this, "int (uint64 range)");
}

double value::as_double() const {
  if (auto x = get_if<double>())
    return *x;
  if (auto x = get_if<std::int64_t>())
    return static_cast<double>(*x);
  if (auto x = get_if<std::uint64_t>())
    return static_cast<double>(*x);
  mismatch(*this, "float");
}

#define MAS_WIRE_ACCESSOR(ret, fn, type, label)                                \
  const ret& value::fn() const {                                               \
    if (auto x = get_if<type>())                                               \
      return *x;                                                               \
    mismatch(*this, label);                                                    \
  }                                                                            \
  ret& value::fn() {                                                           \
    if (auto x = get_if<type>())                                               \
      return *x;                                                               \
    mismatch(*this, label);                                                    \
  }

MAS_WIRE_ACCESSOR(std::string, as_string, std::string, "str")
MAS_WIRE_ACCESSOR(wire::array, as_array, wire::array, "list or tuple")
MAS_WIRE_ACCESSOR(wire::dict, as_dict, wire::dict, "dict")
MAS_WIRE_ACCESSOR(wire::ext, as_ext, wire::ext, "extension value")

#undef MAS_WIRE_ACCESSOR

const wire::bytes& value::as_bytes() const {
  if (auto x = get_if<wire::bytes>())
    return *x;
  mismatch(*this, "bytes");
}

// -- printing -----------------------------------------------------------------

const char* type_name(const value& x) noexcept {
  using k = value::kind;
  switch (x.type()) {
    case k::none:
      return "NoneType";
    case k::boolean:
      return "bool";
    case k::int64:
    case k::uint64:
      return "int";
    case k::float64:
      return "float";
    case k::string:
      return "str";
    case k::bytes:
      return "bytes";
    case k::array:
      return x.is_tuple() ? "tuple" : "list";
    case k::dict:
      return "dict";
    case k::ext:
      return "ext";
  }
  return "?";
}

namespace {

void render(std::string& out, const value& x) {
  using k = value::kind;
  switch (x.type()) {
    case k::none:
      out += "None";
      break;
    case k::boolean:
      out += *x.get_if<bool>() ? "True" : "False";
      break;
    case k::int64:
      out += std::to_string(*x.get_if<std::int64_t>());
      break;
    case k::uint64:
      out += std::to_string(*x.get_if<std::uint64_t>());
      break;
    case k::float64:
      detail::append_python_float(out, *x.get_if<double>(), true);
      break;
    case k::string:
      out += '\'';
      out += *x.get_if<std::string>();
      out += '\'';
      break;
    case k::bytes: {
      out += "b'";
      for (auto c : x.get_if<bytes>()->data) {
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
          out += static_cast<char>(c);
        } else {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        }
      }
      out += '\'';
      break;
    }
    case k::array: {
      out += x.is_tuple() ? '(' : '[';
      auto& xs = *x.get_if<array>();
      for (size_t i = 0; i < xs.size(); ++i) {
        if (i > 0)
          out += ", ";
        render(out, xs[i]);
      }
      if (x.is_tuple() && xs.size() == 1)
        out += ',';
      out += x.is_tuple() ? ')' : ']';
      break;
    }
    case k::dict: {
      out += '{';
      bool first = true;
      for (auto& [key, val] : *x.get_if<dict>()) {
        if (!first)
          out += ", ";
        first = false;
        render(out, key);
        out += ": ";
        render(out, val);
      }
      out += '}';
      break;
    }
    case k::ext: {
      auto& e = *x.get_if<ext>();
      out += "{'__type__': (";
      out += std::to_string(e.type_id());
      out += ", ";
      render(out, e.repr());
      out += ")}";
      break;
    }
  }
}

} // namespace

std::string to_string(const value& x) {
  std::string result;
  render(result, x);
  return result;
}

} // namespace mas::wire
