#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "mas/wire/error.hpp"

namespace mas::wire {

class value;

// -- leaf types ---------------------------------------------------------------

/// Python's `None`.
struct none_t {
  friend bool operator==(none_t, none_t) noexcept {
    return true;
  }
  friend bool operator!=(none_t, none_t) noexcept {
    return false;
  }
};

inline constexpr none_t none{};

/// A contiguous sequence of raw octets; the wire's buffer type.
using byte_buffer = std::vector<std::uint8_t>;

/// Python's `bytes` (MsgPack `bin` family). JSON cannot carry it.
struct bytes {
  byte_buffer data;

  bytes() = default;
  explicit bytes(byte_buffer xs) : data(std::move(xs)) {
    // nop
  }
  bytes(const std::uint8_t* first, std::size_t n) : data(first, first + n) {
    // nop
  }
  /// Creates bytes from the octets of `str` (no encoding involved).
  static bytes from_string(std::string_view str) {
    return bytes{reinterpret_cast<const std::uint8_t*>(str.data()), str.size()};
  }

  friend bool operator==(const bytes& x, const bytes& y) noexcept {
    return x.data == y.data;
  }
  friend bool operator!=(const bytes& x, const bytes& y) noexcept {
    return !(x == y);
  }
};

// -- containers ---------------------------------------------------------------

/// A list (JSON array, MsgPack array). Whether it reads as a Python list or
/// tuple is a flag on the enclosing @ref value.
using array = std::vector<value>;

/// A dict with insertion order. Keys are values: MsgPack maps may have
/// non-string keys (ints, floats, bools, None, bytes, tuples).
class dict {
public:
  using entry = std::pair<value, value>;
  using value_type = entry;
  using container_type = std::vector<entry>;
  using iterator = container_type::iterator;
  using const_iterator = container_type::const_iterator;

  dict() = default;
  dict(std::initializer_list<entry> xs);

  // -- properties -------------------------------------------------------------

  std::size_t size() const noexcept {
    return xs_.size();
  }
  bool empty() const noexcept {
    return xs_.empty();
  }
  iterator begin() noexcept {
    return xs_.begin();
  }
  iterator end() noexcept {
    return xs_.end();
  }
  const_iterator begin() const noexcept {
    return xs_.begin();
  }
  const_iterator end() const noexcept {
    return xs_.end();
  }
  const entry& operator[](std::size_t i) const {
    return xs_[i];
  }
  /// Returns whether every key is a string (a JSON object without coercion).
  bool has_only_string_keys() const noexcept;

  // -- lookup -----------------------------------------------------------------

  /// Returns the value of the string key `key`, or `nullptr`.
  const value* find(std::string_view key) const noexcept;
  value* find(std::string_view key) noexcept;
  const value* find(const char* key) const noexcept {
    return find(std::string_view{key});
  }
  value* find(const char* key) noexcept {
    return find(std::string_view{key});
  }
  /// Returns the value of `key`, or `nullptr`.
  const value* find(const value& key) const noexcept;

  // -- modifiers --------------------------------------------------------------

  /// Sets `key` to `val`, keeping the position of an existing key (Python's
  /// `d[key] = val`).
  void insert_or_assign(value key, value val);

  /// Appends without looking for duplicates. Decoders call @ref dedup once a
  /// map is complete; builders that know their keys are unique may skip it.
  void append(value key, value val);

  /// Appends an entry of two `None`s and returns it, for a decoder that
  /// decodes key and value in place (see @ref append on duplicates).
  entry& emplace_back() {
    return xs_.emplace_back();
  }

  /// Merges duplicate keys like Python's dict constructor: the first position
  /// wins, the last value wins. Runs in O(n) expected time.
  void dedup();

  void reserve(std::size_t n) {
    xs_.reserve(n);
  }

  /// Removes `key`; returns whether it was present.
  bool erase(std::string_view key);

  friend bool operator==(const dict& x, const dict& y);
  friend bool operator!=(const dict& x, const dict& y) {
    return !(x == y);
  }

private:
  container_type xs_;
};

/// An extension value: the `{"__type__": [type_id, repr]}` envelope of aiomas
/// and mango. `repr` is whatever the type's serializer produced.
class ext {
public:
  ext();
  ext(std::int64_t type_id, value repr);
  ext(const ext& other);
  ext(ext&&) noexcept = default;
  ext& operator=(const ext& other);
  ext& operator=(ext&&) noexcept = default;
  ~ext();

  std::int64_t type_id() const noexcept {
    return type_id_;
  }
  const value& repr() const noexcept {
    return *repr_;
  }
  value& repr() noexcept {
    return *repr_;
  }

  friend bool operator==(const ext& x, const ext& y);
  friend bool operator!=(const ext& x, const ext& y) {
    return !(x == y);
  }

private:
  std::int64_t type_id_ = 0;
  std::unique_ptr<value> repr_;
};

// -- value --------------------------------------------------------------------

/// One value as the aiomas and mango codecs put it on the wire.
///
/// Integers are normalized: every number in the int64 range is stored as
/// `int64`, only numbers above `INT64_MAX` use `uint64`. Python ints beyond
/// 64 bits cannot be represented; decoders reject them with
/// `errc::int_out_of_range`.
class value {
public:
  // -- member types -----------------------------------------------------------

  enum class kind : std::uint8_t {
    none,
    boolean,
    int64,
    uint64,
    float64,
    string,
    bytes,
    array,
    dict,
    ext,
  };

  // -- constructors -----------------------------------------------------------

  value() noexcept = default;
  value(none_t) noexcept {
    // nop
  }
  value(bool x) noexcept : data_(x) {
    // nop
  }
  template <class T,
            class = std::enable_if_t<
              std::is_integral_v<
                T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>>>
  value(T x) noexcept : data_(from_integer(x)) {
    // nop
  }
  value(double x) noexcept : data_(x) {
    // nop
  }
  value(std::string x) noexcept : data_(std::move(x)) {
    // nop
  }
  value(std::string_view x) : data_(std::string{x}) {
    // nop
  }
  value(const char* x) : data_(std::string{x}) {
    // nop
  }
  value(wire::bytes x) noexcept : data_(std::move(x)) {
    // nop
  }
  value(wire::array x) noexcept : data_(std::move(x)) {
    // nop
  }
  value(wire::dict x) noexcept : data_(std::move(x)) {
    // nop
  }
  value(wire::ext x) noexcept : data_(std::move(x)) {
    // nop
  }

  /// Creates an array that reads as a Python tuple (MsgPack decodes arrays
  /// as tuples; JSON has no tuples).
  static value tuple(wire::array xs) {
    value result{std::move(xs)};
    result.tuple_ = true;
    return result;
  }

  /// Shorthand for a list value: `value::list({1, "a"})`.
  static value list(std::initializer_list<value> xs) {
    return value{wire::array(xs)};
  }

  // -- observers --------------------------------------------------------------

  kind type() const noexcept {
    return static_cast<kind>(data_.index());
  }
  bool is_none() const noexcept {
    return type() == kind::none;
  }
  bool is_bool() const noexcept {
    return type() == kind::boolean;
  }
  /// True for int64 and uint64.
  bool is_int() const noexcept {
    return type() == kind::int64 || type() == kind::uint64;
  }
  bool is_float() const noexcept {
    return type() == kind::float64;
  }
  bool is_string() const noexcept {
    return type() == kind::string;
  }
  bool is_bytes() const noexcept {
    return type() == kind::bytes;
  }
  bool is_array() const noexcept {
    return type() == kind::array;
  }
  /// True for an array that reads as a Python tuple.
  bool is_tuple() const noexcept {
    return is_array() && tuple_;
  }
  bool is_dict() const noexcept {
    return type() == kind::dict;
  }
  bool is_ext() const noexcept {
    return type() == kind::ext;
  }

  // -- checked access (throws wire_error{errc::type_mismatch}) ----------------

  bool as_bool() const;
  std::int64_t as_int64() const;
  std::uint64_t as_uint64() const;
  /// Returns a float; ints convert like Python's `float(x)`.
  double as_double() const;
  const std::string& as_string() const;
  std::string& as_string();
  const wire::bytes& as_bytes() const;
  const wire::array& as_array() const;
  wire::array& as_array();
  const wire::dict& as_dict() const;
  wire::dict& as_dict();
  const wire::ext& as_ext() const;
  wire::ext& as_ext();

  /// Unchecked access for visitors; `T` must be one of the stored types.
  template <class T>
  const T* get_if() const noexcept {
    return std::get_if<T>(&data_);
  }
  template <class T>
  T* get_if() noexcept {
    return std::get_if<T>(&data_);
  }

  /// Marks an array as tuple or list. No effect on other kinds.
  void set_tuple(bool flag) noexcept {
    tuple_ = flag;
  }

  /// Replaces the value by a `T` (one of the stored types) constructed in
  /// place from `xs` and returns it; an array becomes a list. Decoders build
  /// strings and containers this way without moving them. Integers must
  /// keep the normalization above (use the constructors for them).
  template <class T, class... Ts>
  T& emplace(Ts&&... xs) {
    tuple_ = false;
    if (type() != kind::none)
      return data_.template emplace<T>(std::forward<Ts>(xs)...);
    // A None holds nothing to destroy: build over it directly instead of
    // through the variant's reset (an out-of-line visit), the common case
    // of a decoder filling a fresh slot. If `T`'s constructor throws, the
    // slot holds None again.
    try {
      auto p = ::new (static_cast<void*>(&data_))
        data_type(std::in_place_type<T>, std::forward<Ts>(xs)...);
      return *std::get_if<T>(p);
    } catch (...) {
      ::new (static_cast<void*>(&data_)) data_type();
      throw;
    }
  }

  friend bool operator==(const value& x, const value& y);
  friend bool operator!=(const value& x, const value& y) {
    return !(x == y);
  }

private:
  using data_type = std::variant<none_t, bool, std::int64_t, std::uint64_t,
                                 double, std::string, wire::bytes, wire::array,
                                 wire::dict, wire::ext>;

  /// Integers up to INT64_MAX are `int`, larger unsigned ones `uint`.
  /// Constructing (not assigning) the variant keeps GCC's
  /// -Wmaybe-uninitialized quiet in the sanitizer build.
  template <class T>
  static data_type from_integer(T x) noexcept {
    if constexpr (std::is_signed_v<T>)
      return static_cast<std::int64_t>(x);
    else if (static_cast<std::uint64_t>(x) <= INT64_MAX)
      return static_cast<std::int64_t>(x);
    else
      return static_cast<std::uint64_t>(x);
  }

  data_type data_;
  bool tuple_ = false;
};

/// Returns a Python-like type name for messages, e.g. `"str"` or `"tuple"`.
const char* type_name(const value& x) noexcept;

/// Renders `x` like Python's `repr` (for diagnostics and test output).
std::string to_string(const value& x);

// -- inline definitions that need a complete value ----------------------------

inline ext::ext() : repr_(std::make_unique<value>()) {
  // nop
}

inline ext::ext(std::int64_t type_id, value repr)
  : type_id_(type_id), repr_(std::make_unique<value>(std::move(repr))) {
  // nop
}

inline ext::ext(const ext& other)
  : type_id_(other.type_id_), repr_(std::make_unique<value>(*other.repr_)) {
  // nop
}

inline ext& ext::operator=(const ext& other) {
  if (this != &other) {
    type_id_ = other.type_id_;
    repr_ = std::make_unique<value>(*other.repr_);
  }
  return *this;
}

inline ext::~ext() = default;

inline dict::dict(std::initializer_list<entry> xs) : xs_(xs) {
  dedup();
}

inline void dict::append(value key, value val) {
  xs_.emplace_back(std::move(key), std::move(val));
}

} // namespace mas::wire
