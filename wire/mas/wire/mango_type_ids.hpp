#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "mas/wire/type_registry.hpp"

namespace mas::wire {

/// Generations of mango's JSON type ids (reference: mango-wire.md §2.1).
enum class mango_wire_version {
  /// 1.0.0 – 1.2.0: sequential, ACLMessage = 0, Performatives = 1.
  v1,
  /// 2.0.0 – 2.1.1: sequential, adds MangoMessage.
  v2_0,
  /// 2.1.2 – 2.1.3: sequential, adds AgentAddress.
  v2_1_2,
  /// 2.1.4 and later: SHA-1 derived; some ids depend on the peer's Python
  /// minor version.
  v2_1_4,
};

/// Parses "1", "2.0", "2.1.2", "2.1.4" or any release number such as
/// "2.2.1" (mapped to its generation).
std::optional<mango_wire_version>
parse_mango_wire_version(std::string_view str) noexcept;

/// The ids one mango peer uses for its built-in types. Absent entries are
/// types that generation cannot serialize.
struct mango_type_ids {
  std::int64_t acl_message;
  std::optional<std::int64_t> mango_message;
  std::optional<std::int64_t> agent_address;
  std::int64_t performatives;
};

/// Returns the table of a peer running `version` on Python 3.`python_minor`
/// (only v2_1_4 depends on it; known for 10–13).
/// @throws wire_error `unknown_type_id` for a Python version without a table.
mango_type_ids mango_type_ids_for(mango_wire_version version,
                                  int python_minor = 11);

/// Registers the mango types under `ids` in `reg` (used for encoding, and
/// decoding these ids).
void register_mango_types(type_registry& reg, const mango_type_ids& ids);

/// Additionally accepts, when decoding, every id that mango 2.1.4+ uses on
/// any known Python version (3.10–3.13): the union of the hashed tables.
/// The sequential tables of older generations overlap each other and cannot
/// be merged; pick one with @ref mango_type_ids_for instead.
void add_mango_hashed_aliases(type_registry& reg);

} // namespace mas::wire
