#include "mas/wire/mango_type_ids.hpp"

#include <string>

#include "mas/wire/error.hpp"

namespace mas::wire {

std::optional<mango_wire_version>
parse_mango_wire_version(std::string_view str) noexcept {
  int parts[3] = {0, 0, 0};
  int n = 0;
  int cur = -1;
  for (auto c : str) {
    if (c >= '0' && c <= '9') {
      cur = (cur < 0 ? 0 : cur * 10) + (c - '0');
      if (cur > 10000)
        return std::nullopt;
    } else if (c == '.' && cur >= 0 && n < 2) {
      parts[n++] = cur;
      cur = -1;
    } else {
      return std::nullopt;
    }
  }
  if (cur < 0)
    return std::nullopt;
  parts[n++] = cur;
  auto [major, minor, patch] = parts;
  if (major == 1)
    return mango_wire_version::v1;
  if (major != 2)
    return major > 2 ? std::optional{mango_wire_version::v2_1_4} : std::nullopt;
  if (minor == 0 || (minor == 1 && patch < 2))
    return mango_wire_version::v2_0;
  if (minor == 1 && patch < 4)
    return mango_wire_version::v2_1_2;
  return mango_wire_version::v2_1_4;
}

namespace {

// Measured from the real mango sources (the table in docs/interop-python.md)
// and re-measured against the installed mango by the interop tests.
constexpr std::int64_t acl_hashed = -632231636;
constexpr std::int64_t mango_message_py310_312 = -1465703651;
constexpr std::int64_t mango_message_py313 = 797259889;
constexpr std::int64_t agent_address_py310_312 = -1987868611;
constexpr std::int64_t agent_address_py313 = 182833753;
constexpr std::int64_t performatives_py310 = 494347893;
constexpr std::int64_t performatives_py311 = 1970419479;
constexpr std::int64_t performatives_py312_313 = 599685864;

} // namespace

mango_type_ids mango_type_ids_for(mango_wire_version version,
                                  int python_minor) {
  switch (version) {
    case mango_wire_version::v1:
      return {0, std::nullopt, std::nullopt, 1};
    case mango_wire_version::v2_0:
      return {0, 1, std::nullopt, 2};
    case mango_wire_version::v2_1_2:
      return {0, 1, 2, 3};
    case mango_wire_version::v2_1_4:
      break;
  }
  switch (python_minor) {
    case 10:
      return {acl_hashed, mango_message_py310_312, agent_address_py310_312,
              performatives_py310};
    case 11:
      return {acl_hashed, mango_message_py310_312, agent_address_py310_312,
              performatives_py311};
    case 12:
      return {acl_hashed, mango_message_py310_312, agent_address_py310_312,
              performatives_py312_313};
    case 13:
      return {acl_hashed, mango_message_py313, agent_address_py313,
              performatives_py312_313};
    default:
      throw wire_error(errc::unknown_type_id,
                       "no mango type id table for Python 3."
                         + std::to_string(python_minor)
                         + " (known: 3.10 to 3.13); configure the ids");
  }
}

void register_mango_types(type_registry& reg, const mango_type_ids& ids) {
  reg.add("ACLMessage", ids.acl_message);
  if (ids.mango_message)
    reg.add("MangoMessage", *ids.mango_message);
  if (ids.agent_address)
    reg.add("AgentAddress", *ids.agent_address);
  reg.add("Performatives", ids.performatives);
}

void add_mango_hashed_aliases(type_registry& reg) {
  for (int minor = 10; minor <= 13; ++minor) {
    auto ids = mango_type_ids_for(mango_wire_version::v2_1_4, minor);
    reg.add_alias("ACLMessage", ids.acl_message);
    reg.add_alias("MangoMessage", *ids.mango_message);
    reg.add_alias("AgentAddress", *ids.agent_address);
    reg.add_alias("Performatives", ids.performatives);
  }
}

} // namespace mas::wire
