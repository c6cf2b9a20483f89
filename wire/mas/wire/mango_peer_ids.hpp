#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "mas/wire/mango_type_ids.hpp"
#include "mas/wire/value.hpp"

namespace mas::wire {

/// mango's built-in types, as far as ids go.
enum class mango_type {
  acl_message,
  mango_message,
  agent_address,
  performatives,
};

/// The Python class name, e.g. `"MangoMessage"` (the type registry's name).
const char* to_string(mango_type x) noexcept;

/// Which mango type `x` is under *any* known table (reference: mango-wire.md
/// §2.1), or none. Hashed ids (2.1.4+) name one type each. The sequential
/// ids of older generations overlap (1 is Performatives in 1.x and
/// MangoMessage in 2.0), so the payload decides: an int is a Performatives
/// member, `{"content", "meta"}` a MangoMessage, `{"protocol_addr", "aid"}`
/// an AgentAddress; id 0 is ACLMessage everywhere.
std::optional<mango_type> mango_type_of(const ext& x) noexcept;

/// Whether any known mango table uses `id`.
bool is_known_mango_id(std::int64_t id) noexcept;

/// The id of `type` in `ids`, if that generation can serialize it.
std::optional<std::int64_t> id_in(const mango_type_ids& ids,
                                  mango_type type) noexcept;

/// Rewrites every mango extension value in `x` (at any depth: content,
/// meta, ACL fields) to the ids of `target`, so values decoded from any
/// peer convert with one registry. Other extension values stay as they are.
/// @throws wire_error `unknown_type_id` if `target`'s generation cannot
/// carry a type that occurs (e.g. a MangoMessage for a 1.x table).
void normalize_mango_ids(value& x, const mango_type_ids& target);

/// What a mango peer's frames reveal about its id table, so a container can
/// answer each peer with the ids it uses (mango 2.1.4+ ids depend on the
/// peer's Python minor version; two Pythons cannot decode each other's
/// MangoMessages otherwise).
///
/// It starts with every known table as a candidate and keeps those that agree
/// with every mango id observed. `table()` is the fallback (the container's
/// default) while that is still a candidate, else the newest candidate. A
/// frame that no candidate explains (a peer restarted on another Python at
/// the same address) starts over from that frame.
class mango_peer_ids {
public:
  explicit mango_peer_ids(mango_type_ids fallback);

  /// Narrows the candidates by every mango extension value in `x` (a
  /// decoded frame, before `normalize_mango_ids`).
  void observe(const value& x);

  /// The table to encode for this peer.
  mango_type_ids table() const noexcept;

  /// Whether some observation pinned the table (otherwise `table()` is the
  /// fallback because nothing was seen yet).
  bool learned() const noexcept {
    return observed_;
  }

  /// A description for logs, e.g. "mango >= 2.1.4 on Python 3.13".
  std::string describe() const;

private:
  void observe_one(mango_type type, std::int64_t id);

  mango_type_ids fallback_;
  /// One bit per known table (see the .cpp's `tables`).
  unsigned candidates_;
  bool observed_ = false;
};

} // namespace mas::wire
