#pragma once

#include <type_traits>
#include <utility>

#include <caf/meta/type_name.hpp>

#include "mas/wire/describe.hpp"

/// Lets CAF's inspectors see the name of a type declared with
/// `MAS_DESCRIBE`, so `caf::deep_to_string(point{1, 2})` shows
/// `point(1, 2)` rather than `(1, 2)`. The wire layer cannot name CAF; this
/// header completes its `inspect_hook` for every inspector that takes CAF's
/// `type_name` annotation (serializers, deserializers, the stringifier).
///
/// Include it (or any libmas RPC header, which does) in every translation
/// unit where a described type meets CAF; without it the type still works as
/// a message, only unnamed in printed messages.

namespace mas::wire {

template <class Inspector>
struct inspect_hook<Inspector, std::void_t<decltype(std::declval<Inspector&>()(
                                 caf::meta::type_name("")))>> {
  template <class... Ts>
  static decltype(auto) apply(Inspector& f, const char* name, Ts&... xs) {
    return f(caf::meta::type_name(name), xs...);
  }
};

} // namespace mas::wire
