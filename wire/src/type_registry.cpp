#include "mas/wire/type_registry.hpp"

#include "mas/wire/error.hpp"

namespace mas::wire {

std::int64_t type_registry::add(std::string name) {
  auto id = static_cast<std::int64_t>(size());
  add(std::move(name), id);
  return id;
}

void type_registry::add(std::string name, std::int64_t id) {
  if (id_of(name))
    throw wire_error(errc::type_mismatch,
                     "type \"" + name + "\" is already registered");
  if (auto other = name_of(id))
    throw wire_error(errc::type_mismatch, "type id " + std::to_string(id)
                                            + " is already used by \"" + *other
                                            + "\"");
  entries_.push_back(entry{std::move(name), id, true});
}

void type_registry::add_alias(std::string_view name, std::int64_t id) {
  if (auto other = name_of(id)) {
    if (*other == name)
      return;
    throw wire_error(errc::type_mismatch, "type id " + std::to_string(id)
                                            + " is already used by \"" + *other
                                            + "\"");
  }
  entries_.push_back(entry{std::string{name}, id, false});
}

std::optional<std::int64_t>
type_registry::id_of(std::string_view name) const noexcept {
  for (auto& x : entries_)
    if (x.primary && x.name == name)
      return x.id;
  return std::nullopt;
}

const std::string* type_registry::name_of(std::int64_t id) const noexcept {
  for (auto& x : entries_)
    if (x.id == id)
      return &x.name;
  return nullptr;
}

std::size_t type_registry::size() const noexcept {
  std::size_t n = 0;
  for (auto& x : entries_)
    n += x.primary ? 1 : 0;
  return n;
}

} // namespace mas::wire
