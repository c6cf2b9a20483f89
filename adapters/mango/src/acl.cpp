#include "mas/mango/acl.hpp"

#include <stdexcept>

#include "mas/wire/convert.hpp"
#include "mas/wire/mango_peer_ids.hpp"

namespace mas::mango {

namespace {

/// Reads a performative given as enum extension value, int or name.
std::optional<performative> read_performative(const wire::value& x) {
  if (x.is_none())
    return std::nullopt;
  if (x.is_ext()) {
    auto type = wire::mango_type_of(x.as_ext());
    if (type == wire::mango_type::performatives && x.as_ext().repr().is_int())
      return read_performative(x.as_ext().repr());
  } else if (x.is_int()) {
    auto n = x.as_int64();
    if (n >= 1 && n <= 22)
      return static_cast<performative>(n);
  } else if (x.is_string()) {
    if (auto p = wire::parse_performative(x.as_string()))
      return p;
  }
  throw std::invalid_argument("ValueError: " + wire::to_string(x)
                              + " is not a valid Performatives");
}

} // namespace

acl_message create_acl(wire::value content, const agent_address& receiver,
                       const agent_address& sender,
                       const wire::dict& acl_metadata, bool is_anonymous_acl) {
  // mango: `setattr` per key; fields go to their member, other keys to
  // `extra` (the codec's rule, so it exists once).
  wire::dict fields;
  std::optional<performative> perf;
  for (auto& [key, val] : acl_metadata) {
    auto name = key.get_if<std::string>();
    if (name != nullptr && *name == "performative")
      perf = read_performative(val);
    else
      fields.insert_or_assign(key, val);
  }
  auto msg = wire::ext_type<acl_message>::from_repr(
    wire::value{std::move(fields)}, wire::no_types());
  msg.performative = perf;
  msg.receiver_addr = receiver.protocol_addr;
  msg.receiver_id = receiver.aid;
  if (!is_anonymous_acl) {
    msg.sender_addr = sender.protocol_addr;
    msg.sender_id = sender.aid;
  }
  msg.content = std::move(content);
  return msg;
}

acl_message reply_acl(const wire::dict& request_meta, wire::value content,
                      performative perf, const agent_address& me) {
  auto to = sender_addr(request_meta);
  wire::dict md;
  md.append("performative", static_cast<int>(perf));
  if (auto x = request_meta.find("conversation_id"))
    md.append("conversation_id", *x);
  if (auto x = request_meta.find("reply_with"))
    md.append("in_reply_to", *x);
  return create_acl(std::move(content), to, me, md);
}

std::pair<wire::value, wire::dict>
split_content_and_meta(acl_message msg, const wire::type_registry& types) {
  auto content = std::move(msg.content);
  msg.content = wire::value{};
  auto repr = wire::ext_type<acl_message>::to_repr(msg, types);
  wire::dict meta;
  meta.reserve(repr.as_dict().size());
  for (auto& [key, val] : repr.as_dict()) {
    auto name = key.get_if<std::string>();
    if (name != nullptr && *name == "content")
      continue;
    meta.append(key, val);
  }
  return {std::move(content), std::move(meta)};
}

std::optional<performative> performative_of(const wire::dict& meta) {
  auto x = meta.find("performative");
  if (x == nullptr)
    return std::nullopt;
  try {
    return read_performative(*x);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

} // namespace mas::mango
