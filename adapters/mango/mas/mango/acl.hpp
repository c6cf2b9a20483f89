#pragma once

#include <utility>

#include "mas/mango/address.hpp"
#include "mas/wire/mango_message.hpp"
#include "mas/wire/type_registry.hpp"

namespace mas::mango {

using wire::acl_message;
using wire::performative;

/// `mango.create_acl(content, receiver_addr, sender_addr, acl_metadata,
/// is_anonymous_acl)`: an ACL message with the keys of `acl_metadata` (any
/// of the 15 ACL fields; other keys become extra attributes, as mango's
/// `setattr` makes them), then `receiver_addr`/`receiver_id` from
/// `receiver` and, unless anonymous, `sender_addr`/`sender_id` from
/// `sender` (both overwrite what `acl_metadata` says, as in mango).
/// `performative` may be given as a `wire::performative`, its value or its
/// name.
/// @throws std::invalid_argument for a performative it cannot read.
acl_message create_acl(wire::value content, const agent_address& receiver,
                       const agent_address& sender,
                       const wire::dict& acl_metadata = {},
                       bool is_anonymous_acl = false);

/// The reply to an ACL message as a FIPA agent writes it: performative
/// `perf`, the same `conversation_id`, `in_reply_to` = the request's
/// `reply_with`, receiver = the request's sender (`sender_addr`,
/// `sender_id`), sender = `me`. `request_meta` is the meta of the received
/// message (what `handle_message` got).
/// @throws std::invalid_argument if `request_meta` names no sender.
acl_message reply_acl(const wire::dict& request_meta, wire::value content,
                      performative perf, const agent_address& me);

/// `ACLMessage.split_content_and_meta()`: the content, and the other 14
/// fields plus extra attributes as meta (`performative` as an extension
/// value with `types`' id, None if unset).
std::pair<wire::value, wire::dict>
split_content_and_meta(acl_message msg, const wire::type_registry& types);

/// The performative in a received message's meta (an ACL message's), if
/// any.
std::optional<performative> performative_of(const wire::dict& meta);

} // namespace mas::mango
