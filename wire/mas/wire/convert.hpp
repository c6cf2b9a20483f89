#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mas/wire/describe.hpp"
#include "mas/wire/error.hpp"
#include "mas/wire/type_registry.hpp"
#include "mas/wire/value.hpp"

namespace mas::wire {

// -- extension types ----------------------------------------------------------

/// Customization point: how a C++ type travels as an extension value
/// `{"__type__": [id, repr]}`. A specialization provides
/// - `static std::string_view name()`: the key into a @ref type_registry;
/// - `static value to_repr(const T&, const type_registry&)`;
/// - `static T from_repr(const value&, const type_registry&)`.
///
/// Types declared with @ref MAS_DESCRIBE get one for free (repr = dict of
/// their fields, decoded strictly like Python's `cls(**d)`).
template <class T, class = void>
struct ext_type;

template <class T, class = void>
struct is_ext_type : std::false_type {};

template <class T>
struct is_ext_type<T, std::void_t<decltype(ext_type<T>::name())>>
  : std::true_type {};

template <class T>
inline constexpr bool is_ext_type_v = is_ext_type<T>::value;

/// Returns an empty registry, the default for conversions without
/// extension types.
const type_registry& no_types() noexcept;

template <class T>
value to_value(const T& x, const type_registry& types = no_types());

template <class T>
T from_value(const value& x, const type_registry& types = no_types());

// -- implementation details ---------------------------------------------------

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_string_map : std::false_type {};
template <class T, class C, class A>
struct is_string_map<std::map<std::string, T, C, A>> : std::true_type {};

template <class T>
struct is_tuple_like : std::false_type {};
template <class... Ts>
struct is_tuple_like<std::tuple<Ts...>> : std::true_type {};
template <class T, class U>
struct is_tuple_like<std::pair<T, U>> : std::true_type {};

template <class T>
inline constexpr bool dependent_false = false;

[[noreturn]] void throw_mismatch(const value& x, std::string_view expected);
[[noreturn]] void throw_missing_field(std::string_view type,
                                      std::string_view field);
[[noreturn]] void throw_unexpected_field(std::string_view type,
                                         const value& key);
[[noreturn]] void throw_no_serializer(std::string_view type);
[[noreturn]] void throw_wrong_type_id(std::string_view type, std::int64_t got);

template <class T>
T int_from_value(const value& x) {
  if (auto i = x.get_if<std::int64_t>()) {
    if constexpr (std::is_signed_v<T>) {
      if (*i >= std::numeric_limits<T>::min()
          && *i <= std::numeric_limits<T>::max())
        return static_cast<T>(*i);
    } else {
      if (*i >= 0
          && static_cast<std::uint64_t>(*i) <= std::numeric_limits<T>::max())
        return static_cast<T>(*i);
    }
    throw_mismatch(x, "int in the range of the target type");
  }
  if (auto u = x.get_if<std::uint64_t>()) {
    if constexpr (std::is_unsigned_v<T>)
      if (*u <= std::numeric_limits<T>::max())
        return static_cast<T>(*u);
    throw_mismatch(x, "int in the range of the target type");
  }
  throw_mismatch(x, "int");
}

template <class Tuple, std::size_t... Is>
Tuple tuple_from_value(const array& xs, const type_registry& types,
                       std::index_sequence<Is...>) {
  return Tuple{from_value<std::tuple_element_t<Is, Tuple>>(xs[Is], types)...};
}

} // namespace detail

/// Described types: repr is the dict of their fields in declaration order.
template <class T>
struct ext_type<T, std::enable_if_t<is_described_v<T>>> {
  static std::string_view name() {
    return description_of<T>().name;
  }

  static value to_repr(const T& x, const type_registry& types) {
    dict result;
    auto d = description_of<T>();
    result.reserve(d.size);
    std::apply(
      [&](const auto&... fs) {
        (result.append(value{fs.name}, to_value(fs.get(x), types)), ...);
      },
      d.fields);
    return result;
  }

  static T from_repr(const value& repr, const type_registry& types) {
    auto d = description_of<T>();
    auto& xs = repr.as_dict();
    T result{};
    std::size_t matched = 0;
    std::apply(
      [&](const auto&... fs) {
        auto load = [&](const auto& f) {
          auto val = xs.find(f.name);
          if (val == nullptr)
            detail::throw_missing_field(d.name, f.name);
          using member_type = std::decay_t<decltype(f.get(result))>;
          f.get(result) = from_value<member_type>(*val, types);
          ++matched;
        };
        (load(fs), ...);
      },
      d.fields);
    if (matched != xs.size()) {
      // Like `cls(**d)`: keys that are no field are an error.
      for (auto& kvp : xs) {
        bool known = false;
        std::apply(
          [&](const auto&... fs) {
            auto str = kvp.first.template get_if<std::string>();
            known = str && ((*str == fs.name) || ...);
          },
          d.fields);
        if (!known)
          detail::throw_unexpected_field(d.name, kvp.first);
      }
    }
    return result;
  }
};

// -- conversions --------------------------------------------------------------

/// Converts a C++ object to a wire value. Extension types use the id that
/// `types` has for them; an unregistered extension type is
/// `not_serializable` (aiomas: "No serializer found for type").
template <class T>
value to_value(const T& x, const type_registry& types) {
  if constexpr (std::is_same_v<T, value>) {
    return x;
  } else if constexpr (is_ext_type_v<T>) {
    auto id = types.id_of(ext_type<T>::name());
    if (!id)
      detail::throw_no_serializer(ext_type<T>::name());
    return ext{*id, ext_type<T>::to_repr(x, types)};
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, none_t>) {
    return value{x};
  } else if constexpr (std::is_integral_v<T>) {
    return value{x};
  } else if constexpr (std::is_floating_point_v<T>) {
    return value{static_cast<double>(x)};
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return value{std::string{std::string_view{x}}};
  } else if constexpr (
    std::is_same_v<
      T,
      bytes> || std::is_same_v<T, array> || std::is_same_v<T, dict> || std::is_same_v<T, ext>) {
    return value{x};
  } else if constexpr (detail::is_optional<T>::value) {
    return x ? to_value(*x, types) : value{};
  } else if constexpr (detail::is_vector<T>::value) {
    array result;
    result.reserve(x.size());
    for (auto& y : x)
      result.push_back(to_value(y, types));
    return result;
  } else if constexpr (detail::is_string_map<T>::value) {
    dict result;
    result.reserve(x.size());
    for (auto& [key, val] : x)
      result.append(value{key}, to_value(val, types));
    return result;
  } else if constexpr (detail::is_tuple_like<T>::value) {
    array result;
    std::apply(
      [&](const auto&... ys) { (result.push_back(to_value(ys, types)), ...); },
      x);
    return value::tuple(std::move(result));
  } else {
    static_assert(detail::dependent_false<T>,
                  "no wire conversion: use MAS_DESCRIBE or specialize "
                  "mas::wire::ext_type");
  }
}

/// Converts a wire value to a C++ object.
/// @throws wire_error `type_mismatch` if the value has another shape.
template <class T>
T from_value(const value& x, const type_registry& types) {
  if constexpr (std::is_same_v<T, value>) {
    return x;
  } else if constexpr (is_ext_type_v<T>) {
    auto& e = x.as_ext();
    auto name = types.name_of(e.type_id());
    if (name == nullptr || *name != ext_type<T>::name())
      detail::throw_wrong_type_id(ext_type<T>::name(), e.type_id());
    return ext_type<T>::from_repr(e.repr(), types);
  } else if constexpr (std::is_same_v<T, bool>) {
    return x.as_bool();
  } else if constexpr (std::is_same_v<T, none_t>) {
    if (!x.is_none())
      detail::throw_mismatch(x, "None");
    return none;
  } else if constexpr (std::is_integral_v<T>) {
    return detail::int_from_value<T>(x);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(x.as_double());
  } else if constexpr (std::is_same_v<T, std::string>) {
    return x.as_string();
  } else if constexpr (std::is_same_v<T, bytes>) {
    return x.as_bytes();
  } else if constexpr (std::is_same_v<T, array>) {
    return x.as_array();
  } else if constexpr (std::is_same_v<T, dict>) {
    return x.as_dict();
  } else if constexpr (std::is_same_v<T, ext>) {
    return x.as_ext();
  } else if constexpr (detail::is_optional<T>::value) {
    if (x.is_none())
      return T{};
    return T{from_value<typename T::value_type>(x, types)};
  } else if constexpr (detail::is_vector<T>::value) {
    T result;
    auto& xs = x.as_array();
    result.reserve(xs.size());
    for (auto& y : xs)
      result.push_back(from_value<typename T::value_type>(y, types));
    return result;
  } else if constexpr (detail::is_string_map<T>::value) {
    T result;
    for (auto& [key, val] : x.as_dict())
      result.emplace(key.as_string(),
                     from_value<typename T::mapped_type>(val, types));
    return result;
  } else if constexpr (detail::is_tuple_like<T>::value) {
    auto& xs = x.as_array();
    constexpr auto n = std::tuple_size_v<T>;
    if (xs.size() != n)
      detail::throw_mismatch(x,
                             "sequence of " + std::to_string(n) + " elements");
    return detail::tuple_from_value<T>(xs, types,
                                       std::make_index_sequence<n>{});
  } else {
    static_assert(detail::dependent_false<T>,
                  "no wire conversion: use MAS_DESCRIBE or specialize "
                  "mas::wire::ext_type");
  }
}

} // namespace mas::wire
