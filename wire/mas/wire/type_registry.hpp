#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mas::wire {

/// Maps extension type names to the ids one peer uses on the wire.
///
/// aiomas assigns ids by registration order per codec instance (@ref add
/// without an id); mango 2.1.4+ derives them from a hash that depends on the
/// peer's Python version (@ref add with an id). Each name has one id used
/// for encoding; @ref add_alias makes further ids decodable as that name, so
/// a receiver can accept the union of all ids a type has had.
class type_registry {
public:
  struct entry {
    std::string name;
    std::int64_t id;
    bool primary;
  };

  /// Registers `name` with the next positional id (aiomas:
  /// `len(codec._serializers)`) and returns that id.
  /// @throws wire_error `type_mismatch` if `name` is already registered.
  std::int64_t add(std::string name);

  /// Registers `name` with a fixed id (mango tables, `type_id=`).
  /// @throws wire_error if `name` or `id` is already registered.
  void add(std::string name, std::int64_t id);

  /// Makes `id` decodable as `name` without changing the id used to encode.
  /// Adding an alias that already maps to `name` is a no-op.
  /// @throws wire_error if `id` already maps to another name.
  void add_alias(std::string_view name, std::int64_t id);

  /// Returns the id used to encode `name`.
  std::optional<std::int64_t> id_of(std::string_view name) const noexcept;

  /// Returns the name registered for `id` (primary or alias), or `nullptr`.
  const std::string* name_of(std::int64_t id) const noexcept;

  bool contains(std::int64_t id) const noexcept {
    return name_of(id) != nullptr;
  }

  /// Number of distinct names.
  std::size_t size() const noexcept;

  bool empty() const noexcept {
    return entries_.empty();
  }

  const std::vector<entry>& entries() const noexcept {
    return entries_;
  }

private:
  std::vector<entry> entries_;
};

} // namespace mas::wire
