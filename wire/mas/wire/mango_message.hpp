#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mas/wire/convert.hpp"
#include "mas/wire/value.hpp"

namespace mas::wire {

// -- Performatives ------------------------------------------------------------

/// FIPA performatives with mango's enum values (`mango.Performatives`).
/// On the wire: `{"__type__": [<Performatives id>, <value>]}`.
enum class performative : int {
  accept_proposal = 1,
  agree = 2,
  cancel = 3,
  cfp = 4,
  call_for_proposal = 5,
  confirm = 6,
  disconfirm = 7,
  failure = 8,
  inform = 9,
  not_understood = 10,
  propose = 11,
  query_if = 12,
  query_ref = 13,
  refuse = 14,
  reject_proposal = 15,
  request = 16,
  request_when = 17,
  request_whenever = 18,
  subscribe = 19,
  inform_if = 20,
  proxy = 21,
  propagate = 22,
};

/// Returns the Python member name, e.g. `"inform"`.
const char* to_string(performative x) noexcept;

/// Parses a member name.
std::optional<performative> parse_performative(std::string_view str) noexcept;

// -- AgentAddress -------------------------------------------------------------

/// `mango.AgentAddress(protocol_addr, aid)` (mango >= 2.1.2). `protocol_addr`
/// is `[host, port]` for TCP and a topic or id string for MQTT and external
/// coupling, hence a @ref value.
struct agent_address {
  value protocol_addr;
  std::string aid;

  friend bool operator==(const agent_address& x, const agent_address& y) {
    return x.protocol_addr == y.protocol_addr && x.aid == y.aid;
  }
};

// -- MangoMessage -------------------------------------------------------------

/// mango 2.x's wrapper for non-ACL content: `{"content": ..., "meta": {...}}`.
/// `meta` carries `sender_id`, `sender_addr`, `receiver_id` and the sender's
/// keyword arguments. A missing key decodes as None, as in mango; other keys
/// are kept in `extra` and written back after `meta`.
struct mango_message {
  value content;
  value meta;
  dict extra = {};

  friend bool operator==(const mango_message& x, const mango_message& y) {
    return x.content == y.content && x.meta == y.meta && x.extra == y.extra;
  }
};

// -- ACLMessage ---------------------------------------------------------------

/// `mango.ACLMessage` with its 15 fields in `vars()` order. Unset fields are
/// None. Decoding is lenient like mango's (missing keys stay None); keys
/// that are no field are kept in `extra` and written back after the fields.
struct acl_message {
  value sender_id;
  value sender_addr;
  value receiver_id;
  value receiver_addr;
  value reply_to;
  value content;
  std::optional<wire::performative> performative;
  value conversation_id;
  value reply_by;
  value in_reply_to;
  value protocol;
  value language;
  value encoding;
  value ontology;
  value reply_with;
  dict extra = {};

  friend bool operator==(const acl_message& x, const acl_message& y);
};

// -- extension type bindings --------------------------------------------------

template <>
struct ext_type<performative> {
  static std::string_view name() {
    return "Performatives";
  }
  static value to_repr(performative x, const type_registry&);
  static performative from_repr(const value& x, const type_registry&);
};

template <>
struct ext_type<agent_address> {
  static std::string_view name() {
    return "AgentAddress";
  }
  static value to_repr(const agent_address& x, const type_registry& types);
  static agent_address from_repr(const value& x, const type_registry& types);
};

template <>
struct ext_type<mango_message> {
  static std::string_view name() {
    return "MangoMessage";
  }
  static value to_repr(const mango_message& x, const type_registry& types);
  static mango_message from_repr(const value& x, const type_registry& types);
};

template <>
struct ext_type<acl_message> {
  static std::string_view name() {
    return "ACLMessage";
  }
  static value to_repr(const acl_message& x, const type_registry& types);
  static acl_message from_repr(const value& x, const type_registry& types);
};

} // namespace mas::wire
