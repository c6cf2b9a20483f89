#include "mas/wire/mango_peer_ids.hpp"

#include <array>
#include <string>

#include "mas/wire/error.hpp"

namespace mas::wire {

namespace {

// -- the known tables ---------------------------------------------------------

struct known_table {
  mango_type_ids ids;
  const char* name;
};

/// Newest first: the order `table()` prefers among candidates.
const std::array<known_table, 7>& tables() {
  static const std::array<known_table, 7> result{{
    {mango_type_ids_for(mango_wire_version::v2_1_4, 13),
     "mango >= 2.1.4 on Python 3.13"},
    {mango_type_ids_for(mango_wire_version::v2_1_4, 12),
     "mango >= 2.1.4 on Python 3.12"},
    {mango_type_ids_for(mango_wire_version::v2_1_4, 11),
     "mango >= 2.1.4 on Python 3.11"},
    {mango_type_ids_for(mango_wire_version::v2_1_4, 10),
     "mango >= 2.1.4 on Python 3.10"},
    {mango_type_ids_for(mango_wire_version::v2_1_2), "mango 2.1.2-2.1.3"},
    {mango_type_ids_for(mango_wire_version::v2_0), "mango 2.0.0-2.1.1"},
    {mango_type_ids_for(mango_wire_version::v1), "mango 1.x"},
  }};
  return result;
}

constexpr unsigned all_tables = (1u << 7) - 1;

bool same(const mango_type_ids& x, const mango_type_ids& y) noexcept {
  return x.acl_message == y.acl_message && x.mango_message == y.mango_message
         && x.agent_address == y.agent_address
         && x.performatives == y.performatives;
}

/// Whether `repr` has the shape `type` serializes to.
bool has_shape(mango_type type, const value& repr) noexcept {
  switch (type) {
    case mango_type::performatives:
      return repr.is_int();
    case mango_type::mango_message:
      return repr.is_dict() && repr.as_dict().find("content") != nullptr
             && repr.as_dict().find("meta") != nullptr;
    case mango_type::agent_address:
      return repr.is_dict() && repr.as_dict().find("protocol_addr") != nullptr
             && repr.as_dict().find("aid") != nullptr;
    case mango_type::acl_message:
      return repr.is_dict();
  }
  return false;
}

constexpr std::array<mango_type, 4> all_types{
  mango_type::acl_message, mango_type::mango_message, mango_type::agent_address,
  mango_type::performatives};

template <class F>
void for_each_ext(const value& x, F& fn) {
  if (x.is_ext()) {
    fn(x.as_ext());
    for_each_ext(x.as_ext().repr(), fn);
  } else if (x.is_array()) {
    for (auto& y : x.as_array())
      for_each_ext(y, fn);
  } else if (x.is_dict()) {
    for (auto& [key, y] : x.as_dict())
      for_each_ext(y, fn);
  }
}

} // namespace

// -- free functions -----------------------------------------------------------

const char* to_string(mango_type x) noexcept {
  switch (x) {
    case mango_type::acl_message:
      return "ACLMessage";
    case mango_type::mango_message:
      return "MangoMessage";
    case mango_type::agent_address:
      return "AgentAddress";
    case mango_type::performatives:
      return "Performatives";
  }
  return "?";
}

std::optional<std::int64_t> id_in(const mango_type_ids& ids,
                                  mango_type type) noexcept {
  switch (type) {
    case mango_type::acl_message:
      return ids.acl_message;
    case mango_type::mango_message:
      return ids.mango_message;
    case mango_type::agent_address:
      return ids.agent_address;
    case mango_type::performatives:
      return ids.performatives;
  }
  return std::nullopt;
}

std::optional<mango_type> mango_type_of(const ext& x) noexcept {
  for (auto& table : tables())
    for (auto type : all_types)
      if (id_in(table.ids, type) == x.type_id() && has_shape(type, x.repr()))
        return type;
  return std::nullopt;
}

bool is_known_mango_id(std::int64_t id) noexcept {
  for (auto& table : tables())
    for (auto type : all_types)
      if (id_in(table.ids, type) == id)
        return true;
  return false;
}

void normalize_mango_ids(value& x, const mango_type_ids& target) {
  if (x.is_ext()) {
    auto& e = x.as_ext();
    // The outer type first, so an error names the outermost value.
    std::optional<std::int64_t> id;
    if (auto type = mango_type_of(e)) {
      id = id_in(target, *type);
      if (!id)
        throw wire_error(errc::unknown_type_id,
                         std::string{"the target mango table has no id for "}
                           + to_string(*type));
    }
    normalize_mango_ids(e.repr(), target);
    if (id && *id != e.type_id())
      x = value{ext{*id, std::move(e.repr())}};
  } else if (x.is_array()) {
    for (auto& y : x.as_array())
      normalize_mango_ids(y, target);
  } else if (x.is_dict()) {
    for (auto& [key, y] : x.as_dict())
      normalize_mango_ids(y, target);
  }
}

// -- mango_peer_ids -----------------------------------------------------------

mango_peer_ids::mango_peer_ids(mango_type_ids fallback)
  : fallback_(fallback), candidates_(all_tables) {
  // nop
}

void mango_peer_ids::observe_one(mango_type type, std::int64_t id) {
  unsigned agree = 0;
  auto& known = tables();
  for (std::size_t i = 0; i < known.size(); ++i)
    if (id_in(known[i].ids, type) == id)
      agree |= 1u << i;
  if (agree == 0)
    return; // not an id of any known table: nothing to learn
  observed_ = true;
  candidates_ = (candidates_ & agree) != 0 ? candidates_ & agree : agree;
}

void mango_peer_ids::observe(const value& x) {
  auto fn = [this](const ext& e) {
    if (auto type = mango_type_of(e))
      observe_one(*type, e.type_id());
  };
  for_each_ext(x, fn);
}

mango_type_ids mango_peer_ids::table() const noexcept {
  auto& known = tables();
  for (std::size_t i = 0; i < known.size(); ++i)
    if ((candidates_ & (1u << i)) != 0 && same(known[i].ids, fallback_))
      return fallback_;
  // A fallback outside the known tables (set by the user) stays until an
  // observation rules the known ones in.
  if (!observed_)
    return fallback_;
  for (std::size_t i = 0; i < known.size(); ++i)
    if ((candidates_ & (1u << i)) != 0)
      return known[i].ids;
  return fallback_;
}

std::string mango_peer_ids::describe() const {
  if (!observed_)
    return "not learned yet (the default table)";
  std::string result;
  auto& known = tables();
  for (std::size_t i = 0; i < known.size(); ++i)
    if ((candidates_ & (1u << i)) != 0) {
      if (!result.empty())
        result += " or ";
      result += known[i].name;
    }
  return result;
}

} // namespace mas::wire
