#include "mas/wire/value.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

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
    case errc::decoded_too_large:
      return "decoded_too_large";
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

// -- structural equality ------------------------------------------------------

namespace {

bool same_float(double x, double y) noexcept {
  if (std::isnan(x) || std::isnan(y))
    return std::isnan(x) && std::isnan(y);
  return x == y && std::signbit(x) == std::signbit(y);
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
    // Integral floats in range compare as ints.
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

/// Returns whether Python keeps `x` apart from every other key: NaN never
/// equals anything, decoded extension objects are distinct objects, and a
/// tuple holding either is unequal too. Dicts (unhashable in Python; only
/// hand-built values have them as keys) count as such as well.
bool never_merges(const value& x) noexcept {
  if (auto d = x.get_if<double>())
    return std::isnan(*d);
  if (x.is_ext() || x.is_dict())
    return true;
  if (auto xs = x.get_if<array>())
    for (auto& y : *xs)
      if (never_merges(y))
        return true;
  return false;
}

template <class T>
int three_way(const T& x, const T& y) noexcept {
  return x < y ? -1 : (y < x ? 1 : 0);
}

/// A total order on keys for which @ref never_merges is false, consistent
/// with @ref key_equal: returns 0 exactly for keys Python merges.
int key_compare(const value& x, const value& y) noexcept {
  // Ranks: None, numbers (bool, int, float as one domain), str, bytes, tuple.
  auto rank = [](const value& v) {
    switch (v.type()) {
      case value::kind::none:
        return 0;
      case value::kind::string:
        return 2;
      case value::kind::bytes:
        return 3;
      case value::kind::array:
        return 4;
      default:
        return 1;
    }
  };
  auto rx = rank(x);
  auto ry = rank(y);
  if (rx != ry)
    return rx < ry ? -1 : 1;
  switch (rx) {
    case 1: {
      auto nx = numeric_of(x);
      auto ny = numeric_of(y);
      if (nx.kind != ny.kind)
        return nx.kind < ny.kind ? -1 : 1;
      switch (nx.kind) {
        case numeric_key::integer:
          return three_way(nx.i, ny.i);
        case numeric_key::uinteger:
          return three_way(nx.u, ny.u);
        default:
          return three_way(nx.d, ny.d); // no NaN here
      }
    }
    case 2:
      return x.get_if<std::string>()->compare(*y.get_if<std::string>());
    case 3: {
      auto& bx = x.get_if<bytes>()->data;
      auto& by = y.get_if<bytes>()->data;
      auto n = std::min(bx.size(), by.size());
      auto c = n == 0 ? 0 : std::memcmp(bx.data(), by.data(), n);
      return c != 0 ? c : three_way(bx.size(), by.size());
    }
    case 4: {
      if (x.is_tuple() != y.is_tuple())
        return x.is_tuple() ? 1 : -1;
      auto& xs = *x.get_if<array>();
      auto& ys = *y.get_if<array>();
      if (xs.size() != ys.size())
        return three_way(xs.size(), ys.size());
      for (std::size_t i = 0; i < xs.size(); ++i)
        if (auto c = key_compare(xs[i], ys[i]); c != 0)
          return c;
      return 0;
    }
    default:
      return 0; // None
  }
}

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
          // Sizes and first characters tell most keys apart without a
          // memcmp call.
          auto other = xs_[j].first.get_if<std::string>();
          dup = other != nullptr && other->size() == str->size()
                && (str->empty()
                    || ((*other)[0] == (*str)[0]
                        && std::memcmp(other->data(), str->data(), str->size())
                             == 0));
        } else {
          dup = key_equal(xs_[i].first, xs_[j].first);
        }
      }
    }
    if (!dup)
      return;
  }
  // Sort the positions of the keys that may merge, so equal keys are
  // neighbors: O(n log n) comparisons for any input (a hash table degrades
  // to O(n^2) on colliding keys, which a peer can choose).
  std::vector<size_t> order;
  order.reserve(n);
  for (size_t i = 0; i < n; ++i)
    if (!never_merges(xs_[i].first))
      order.push_back(i);
  std::sort(order.begin(), order.end(), [this](size_t a, size_t b) {
    auto c = key_compare(xs_[a].first, xs_[b].first);
    return c != 0 ? c < 0 : a < b;
  });
  // first[i]: the position of the first key equal to key i.
  std::vector<size_t> first(n);
  for (size_t i = 0; i < n; ++i)
    first[i] = i;
  bool dup = false;
  for (size_t k = 1; k < order.size(); ++k) {
    if (key_compare(xs_[order[k - 1]].first, xs_[order[k]].first) == 0) {
      first[order[k]] = first[order[k - 1]];
      dup = true;
    }
  }
  if (!dup)
    return;
  // Move entries to their slots; later values overwrite.
  container_type result;
  std::vector<size_t> slot(n);
  for (size_t i = 0; i < n; ++i) {
    if (first[i] == i) {
      slot[i] = result.size();
      result.emplace_back(std::move(xs_[i]));
    } else {
      result[slot[first[i]]].second = std::move(xs_[i].second);
    }
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
