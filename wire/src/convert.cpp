#include "mas/wire/convert.hpp"

namespace mas::wire {

const type_registry& no_types() noexcept {
  static const type_registry instance;
  return instance;
}

namespace detail {

void throw_mismatch(const value& x, std::string_view expected) {
  throw wire_error(errc::type_mismatch, "expected " + std::string{expected}
                                          + ", got " + type_name(x) + " "
                                          + to_string(x));
}

void throw_missing_field(std::string_view type, std::string_view field) {
  throw wire_error(errc::type_mismatch, std::string{type}
                                          + "() missing required field '"
                                          + std::string{field} + "'");
}

void throw_unexpected_field(std::string_view type, const value& key) {
  throw wire_error(errc::type_mismatch, std::string{type}
                                          + "() got an unexpected field "
                                          + to_string(key));
}

void throw_no_serializer(std::string_view type) {
  throw wire_error(errc::not_serializable, "No serializer found for type \""
                                             + std::string{type} + "\"");
}

void throw_wrong_type_id(std::string_view type, std::int64_t got) {
  throw wire_error(errc::type_mismatch,
                   "extension type id " + std::to_string(got)
                     + " is not registered as \"" + std::string{type} + "\"");
}

} // namespace detail

} // namespace mas::wire
