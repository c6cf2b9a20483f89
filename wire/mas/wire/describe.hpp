#pragma once

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace mas::wire {

/// Tags a type for overload resolution; also carries `T`'s namespace into
/// argument-dependent lookup, which is how @ref MAS_DESCRIBE finds its field
/// list.
template <class T>
struct type_tag {
  using type = T;
};

/// One named data member of a described type.
template <class T, class M>
struct field {
  std::string_view name;
  M T::*member;

  const M& get(const T& x) const noexcept {
    return x.*member;
  }
  M& get(T& x) const noexcept {
    return x.*member;
  }
};

/// The single description of a type: its wire name and its fields, in the
/// order they appear on the wire (aiomas `serializable`: the `__init__`
/// parameter order).
template <class T, class... Fields>
struct description {
  std::string_view name;
  std::tuple<Fields...> fields;

  static constexpr std::size_t size = sizeof...(Fields);
};

template <class T, class... Fields>
constexpr description<T, Fields...> describe(std::string_view name,
                                             Fields... fs) {
  return {name, std::tuple<Fields...>{fs...}};
}

/// Returns the description of `T` declared with @ref MAS_DESCRIBE.
template <class T>
constexpr auto description_of() {
  return mas_describe(type_tag<T>{});
}

/// Whether `T` has a description.
template <class T, class = void>
struct is_described : std::false_type {};

template <class T>
struct is_described<T, std::void_t<decltype(mas_describe(type_tag<T>{}))>>
  : std::true_type {};

template <class T>
inline constexpr bool is_described_v = is_described<T>::value;

// -- visiting the fields ------------------------------------------------------

/// Calls `fun(x.f1, x.f2, ...)` with references to all fields of the
/// described `x` (const if `x` is), in wire order, and returns its result.
template <class T, class F>
decltype(auto) apply_fields(T& x, F&& fun) {
  auto d = description_of<std::remove_const_t<T>>();
  return std::apply(
    [&](const auto&... fs) -> decltype(auto) { return fun(fs.get(x)...); },
    d.fields);
}

// -- inspection (CAF's message-type protocol) ---------------------------------

/// How an inspector sees a described type: by default as its fields only,
/// `f(x.f1, x.f2, ...)`. libmas specializes this (in `mas/inspect.hpp`) for
/// CAF's inspectors so they also get the type name, `f(type_name("point"),
/// ...)`; this header stays free of CAF.
template <class Inspector, class = void>
struct inspect_hook {
  template <class... Ts>
  static decltype(auto) apply(Inspector& f, const char*, Ts&... xs) {
    return f(xs...);
  }
};

/// Applies the inspector `f` to all fields of `x` (what the `inspect`
/// overload of @ref MAS_DESCRIBE does).
template <class Inspector, class T>
decltype(auto) inspect_fields(Inspector& f, T& x) {
  // The name comes from the macro's string literal: null-terminated.
  auto name = description_of<std::remove_const_t<T>>().name.data();
  return apply_fields(x, [&f, name](auto&... xs) -> decltype(auto) {
    return inspect_hook<Inspector>::apply(f, name, xs...);
  });
}

} // namespace mas::wire

// -- MAS_DESCRIBE -------------------------------------------------------------

// Kept on one line: clang-format would split the braced initializer.
// clang-format off
#define MAS_DETAIL_FIELD(T, m) ::mas::wire::field<T, decltype(T::m)>{#m, &T::m}
// clang-format on

#define MAS_DETAIL_EXPAND(x) x
#define MAS_DETAIL_FE_1(T, m) MAS_DETAIL_FIELD(T, m)
#define MAS_DETAIL_FE_2(T, m, ...)                                             \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_1(T, __VA_ARGS__))
#define MAS_DETAIL_FE_3(T, m, ...)                                             \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_2(T, __VA_ARGS__))
#define MAS_DETAIL_FE_4(T, m, ...)                                             \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_3(T, __VA_ARGS__))
#define MAS_DETAIL_FE_5(T, m, ...)                                             \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_4(T, __VA_ARGS__))
#define MAS_DETAIL_FE_6(T, m, ...)                                             \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_5(T, __VA_ARGS__))
#define MAS_DETAIL_FE_7(T, m, ...)                                             \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_6(T, __VA_ARGS__))
#define MAS_DETAIL_FE_8(T, m, ...)                                             \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_7(T, __VA_ARGS__))
#define MAS_DETAIL_FE_9(T, m, ...)                                             \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_8(T, __VA_ARGS__))
#define MAS_DETAIL_FE_10(T, m, ...)                                            \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_9(T, __VA_ARGS__))
#define MAS_DETAIL_FE_11(T, m, ...)                                            \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_10(T, __VA_ARGS__))
#define MAS_DETAIL_FE_12(T, m, ...)                                            \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_11(T, __VA_ARGS__))
#define MAS_DETAIL_FE_13(T, m, ...)                                            \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_12(T, __VA_ARGS__))
#define MAS_DETAIL_FE_14(T, m, ...)                                            \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_13(T, __VA_ARGS__))
#define MAS_DETAIL_FE_15(T, m, ...)                                            \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_14(T, __VA_ARGS__))
#define MAS_DETAIL_FE_16(T, m, ...)                                            \
  MAS_DETAIL_FIELD(T, m), MAS_DETAIL_EXPAND(MAS_DETAIL_FE_15(T, __VA_ARGS__))

#define MAS_DETAIL_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12,     \
                        _13, _14, _15, _16, name, ...)                         \
  name

/// Describes `T` once: its wire name is `#T` and its fields are the listed
/// members, in wire order (up to 16). Put it at namespace scope next to `T`:
///
/// ~~~
/// struct point { double x; double y; };
/// MAS_DESCRIBE(point, x, y)
/// ~~~
///
/// `point` then converts to and from wire values (see `convert.hpp`): as an
/// extension value `{"__type__": [id, {"x": ..., "y": ...}]}` like aiomas's
/// `@serializable`, with the id from the codec's type registry.
///
/// The same list makes `point` a CAF message type: the macro also defines
/// `inspect(Inspector&, point&)` (CAF 0.17's inspection protocol, found by
/// argument-dependent lookup), so actors can send, receive, print and
/// serialize it. Only inspectors with a `result_type` (all of CAF's) see it.
#define MAS_DESCRIBE(T, ...)                                                   \
  template <class Inspector>                                                   \
  typename Inspector::result_type inspect(Inspector& f, T& x) {                \
    return ::mas::wire::inspect_fields(f, x);                                  \
  }                                                                            \
  [[maybe_unused]] inline auto mas_describe(::mas::wire::type_tag<T>) {        \
    return ::mas::wire::describe<T>(                                           \
      #T,                                                                      \
      MAS_DETAIL_EXPAND(MAS_DETAIL_PICK(                                       \
        __VA_ARGS__, MAS_DETAIL_FE_16, MAS_DETAIL_FE_15, MAS_DETAIL_FE_14,     \
        MAS_DETAIL_FE_13, MAS_DETAIL_FE_12, MAS_DETAIL_FE_11,                  \
        MAS_DETAIL_FE_10, MAS_DETAIL_FE_9, MAS_DETAIL_FE_8, MAS_DETAIL_FE_7,   \
        MAS_DETAIL_FE_6, MAS_DETAIL_FE_5, MAS_DETAIL_FE_4, MAS_DETAIL_FE_3,    \
        MAS_DETAIL_FE_2, MAS_DETAIL_FE_1, )(T, __VA_ARGS__)));                 \
  }
