#include "mas/wire/mango_message.hpp"

namespace mas::wire {

// -- Performatives ------------------------------------------------------------

namespace {

constexpr const char* performative_names[] = {
  "accept_proposal",
  "agree",
  "cancel",
  "cfp",
  "call_for_proposal",
  "confirm",
  "disconfirm",
  "failure",
  "inform",
  "not_understood",
  "propose",
  "query_if",
  "query_ref",
  "refuse",
  "reject_proposal",
  "request",
  "request_when",
  "request_whenever",
  "subscribe",
  "inform_if",
  "proxy",
  "propagate",
};

constexpr int performative_count = 22;

} // namespace

const char* to_string(performative x) noexcept {
  auto i = static_cast<int>(x);
  return i >= 1 && i <= performative_count ? performative_names[i - 1] : "?";
}

std::optional<performative> parse_performative(std::string_view str) noexcept {
  for (int i = 0; i < performative_count; ++i)
    if (str == performative_names[i])
      return static_cast<performative>(i + 1);
  return std::nullopt;
}

value ext_type<performative>::to_repr(performative x, const type_registry&) {
  return value{static_cast<int>(x)};
}

performative ext_type<performative>::from_repr(const value& x,
                                               const type_registry&) {
  // Python: Performatives(v) raises ValueError for other values.
  auto i = x.get_if<std::int64_t>();
  if (i == nullptr || *i < 1 || *i > performative_count)
    throw wire_error(errc::type_mismatch,
                     to_string(x) + " is not a valid Performatives");
  return static_cast<performative>(*i);
}

// -- AgentAddress -------------------------------------------------------------

value ext_type<agent_address>::to_repr(const agent_address& x,
                                       const type_registry& types) {
  dict result;
  result.append("protocol_addr", to_value(x.protocol_addr, types));
  result.append("aid", x.aid);
  return result;
}

agent_address ext_type<agent_address>::from_repr(const value& x,
                                                 const type_registry&) {
  // Python: cls(**d), so exactly these two keys.
  auto& xs = x.as_dict();
  auto addr = xs.find("protocol_addr");
  auto aid = xs.find("aid");
  if (addr == nullptr || aid == nullptr || xs.size() != 2)
    throw wire_error(errc::type_mismatch,
                     "AgentAddress needs exactly protocol_addr and aid, got "
                       + to_string(x));
  return agent_address{*addr, aid->as_string()};
}

// -- MangoMessage -------------------------------------------------------------

value ext_type<mango_message>::to_repr(const mango_message& x,
                                       const type_registry&) {
  dict result;
  result.append("content", x.content);
  result.append("meta", x.meta);
  for (auto& [key, val] : x.extra)
    result.append(key, val);
  return result;
}

mango_message ext_type<mango_message>::from_repr(const value& x,
                                                 const type_registry&) {
  auto& xs = x.as_dict();
  mango_message result;
  for (auto& [key, val] : xs) {
    auto name = key.get_if<std::string>();
    if (name != nullptr && *name == "content")
      result.content = val;
    else if (name != nullptr && *name == "meta")
      result.meta = val;
    else
      result.extra.append(key, val);
  }
  return result;
}

// -- ACLMessage ---------------------------------------------------------------

namespace {

/// The `value` fields of acl_message in `vars()` order, with `performative`
/// (not a plain value) at its index 6.
struct acl_field {
  const char* name;
  value acl_message::*member;
};

constexpr acl_field acl_fields[] = {
  {"sender_id", &acl_message::sender_id},
  {"sender_addr", &acl_message::sender_addr},
  {"receiver_id", &acl_message::receiver_id},
  {"receiver_addr", &acl_message::receiver_addr},
  {"reply_to", &acl_message::reply_to},
  {"content", &acl_message::content},
  {"performative", nullptr},
  {"conversation_id", &acl_message::conversation_id},
  {"reply_by", &acl_message::reply_by},
  {"in_reply_to", &acl_message::in_reply_to},
  {"protocol", &acl_message::protocol},
  {"language", &acl_message::language},
  {"encoding", &acl_message::encoding},
  {"ontology", &acl_message::ontology},
  {"reply_with", &acl_message::reply_with},
};

} // namespace

bool operator==(const acl_message& x, const acl_message& y) {
  for (auto& f : acl_fields)
    if (f.member != nullptr && !(x.*f.member == y.*f.member))
      return false;
  return x.performative == y.performative && x.extra == y.extra;
}

value ext_type<acl_message>::to_repr(const acl_message& x,
                                     const type_registry& types) {
  dict result;
  result.reserve(15 + x.extra.size());
  for (auto& f : acl_fields) {
    if (f.member != nullptr)
      result.append(f.name, x.*f.member);
    else
      result.append(f.name, to_value(x.performative, types));
  }
  for (auto& [key, val] : x.extra)
    result.append(key, val);
  return result;
}

acl_message ext_type<acl_message>::from_repr(const value& x,
                                             const type_registry& types) {
  acl_message result;
  for (auto& [key, val] : x.as_dict()) {
    auto name = key.get_if<std::string>();
    const acl_field* field = nullptr;
    if (name != nullptr)
      for (auto& f : acl_fields) {
        if (*name == f.name) {
          field = &f;
          break;
        }
      }
    if (field == nullptr)
      result.extra.append(key, val);
    else if (field->member != nullptr)
      result.*field->member = val;
    else
      result.performative = from_value<std::optional<performative>>(val, types);
  }
  return result;
}

} // namespace mas::wire
