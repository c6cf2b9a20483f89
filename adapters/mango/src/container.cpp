#include "mas/mango/container.hpp"

#include <caf/monitorable_actor.hpp>
#include <caf/send.hpp>

#include "mas/log.hpp"
#include "mas/mango/atoms.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/error.hpp"
#include "mas/wire/mango_peer_ids.hpp"
#include "router.hpp"

namespace mas::mango {

namespace {

/// mango's AGENT_PATTERN_NAME_PRE.
constexpr std::string_view aid_prefix = "agent";

bool matches_generated_pattern(const std::string& aid) {
  if (aid.size() <= aid_prefix.size()
      || aid.compare(0, aid_prefix.size(), aid_prefix) != 0)
    return false;
  for (auto i = aid_prefix.size(); i < aid.size(); ++i)
    if (aid[i] < '0' || aid[i] > '9')
      return false;
  return true;
}

/// Lifecycle stages sent to agents.
constexpr int stage_start = 1;
constexpr int stage_ready = 2;

} // namespace

std::string agent_type_name(const caf::actor& handle) {
  auto ptr = caf::actor_cast<caf::abstract_actor*>(handle);
  if (ptr == nullptr)
    return "actor";
  return static_cast<caf::monitorable_actor*>(ptr)->name();
}

container::container(container_options opts, wire::value addr, bool local_loop)
  : mas::container(setup{opts.configure, opts.make_clock, local_loop}),
    opts_(std::move(opts)), addr_(std::move(addr)) {
  router_
    = std::make_shared<detail::router>(opts_, shared_agents(), activity());
}

container::~container() {
  container::shutdown();
}

// -- addresses ----------------------------------------------------------------

std::string container::address_of(const std::string& aid) const {
  return to_string(agent_addr(aid));
}

const wire::type_registry& container::types() const noexcept {
  return router_->codec->types();
}

void container::set_addr(wire::value addr) {
  addr_ = std::move(addr);
}

bool container::is_self(const wire::value& protocol_addr) const {
  // mango: tuple(protocol_addr) == self.addr (lists and tuples alike).
  if (protocol_addr.is_array() && addr_.is_array())
    return protocol_addr.as_array() == addr_.as_array();
  return protocol_addr == addr_;
}

void container::add_meta(wire::dict&, const agent_address&) const {
  // nop
}

// -- agents -------------------------------------------------------------------

bool container::is_aid_available(const std::string& aid) const {
  return !agents().contains(aid) && !matches_generated_pattern(aid);
}

std::string container::next_aid() {
  for (;;) {
    auto aid = std::string{aid_prefix} + std::to_string(aid_counter_++);
    if (!agents().contains(aid))
      return aid;
  }
}

std::string container::choose_aid(const std::string& suggested) {
  if (!suggested.empty()) {
    if (is_aid_available(suggested))
      return suggested;
    log(log_level::warning,
        "The suggested aid could not be reserved, either it is not available "
        "or it is not allowed (pattern agentX);"
          + suggested);
  }
  return next_aid();
}

std::string container::add_actor(caf::actor handle, std::string suggested_aid,
                                 std::string type_name) {
  auto init = reserve(choose_aid(suggested_aid));
  mas::container::register_agent(
    agent_entry{init.aid, std::move(type_name), std::move(handle), {}});
  return init.aid;
}

void container::on_added(const agent_entry& entry) {
  if (started_)
    caf::anon_send(entry.handle, lifecycle_atom_v, stage_start);
  if (ready_)
    caf::anon_send(entry.handle, lifecycle_atom_v, stage_ready);
}

// -- lifecycle ----------------------------------------------------------------

void container::start() {
  if (started_.exchange(true))
    return;
  for (auto& entry : agents().snapshot())
    caf::anon_send(entry.handle, lifecycle_atom_v, stage_start);
}

void container::on_ready() {
  start();
  if (ready_.exchange(true))
    return;
  for (auto& entry : agents().snapshot())
    caf::anon_send(entry.handle, lifecycle_atom_v, stage_ready);
}

void container::shutdown() {
  started_ = false;
  mas::container::shutdown();
}

// -- messages -----------------------------------------------------------------

bool container::send_message(wire::value content, const agent_address& receiver,
                             const std::string& sender_id, wire::dict kwargs) {
  auto& r = *router_;
  auto fail = [&](const std::string& why) {
    ++r.send_failed;
    log(log_level::warning,
        "mango: cannot send to " + to_string(receiver) + ": " + why);
    return false;
  };
  // An ACL message (or a MangoMessage) given as content goes as it is.
  bool is_acl = false;
  bool is_wrapped = false;
  if (content.is_ext()) {
    auto type = wire::mango_type_of(content.as_ext());
    is_acl = type && *type == wire::mango_type::acl_message;
    is_wrapped = type && *type == wire::mango_type::mango_message;
  }
  wire::dict meta = std::move(kwargs);
  meta.insert_or_assign(
    "sender_id", sender_id.empty() ? wire::value{} : wire::value{sender_id});
  auto own = addr_;
  if (own.is_array())
    own.set_tuple(true);
  meta.insert_or_assign("sender_addr", own);
  meta.insert_or_assign("receiver_id", receiver.aid);
  add_meta(meta, receiver);
  if (is_self(receiver.protocol_addr)) {
    // Internal: no codec, no socket (mango `_send_internal_message`).
    meta.insert_or_assign("network_protocol", network_protocol());
    wire::value body = std::move(content);
    wire::dict full;
    try {
      if (is_acl) {
        auto acl = wire::from_value<acl_message>(body, types());
        std::tie(body, full) = split_content_and_meta(std::move(acl), types());
      } else if (is_wrapped) {
        auto m = wire::from_value<wire::mango_message>(body, types());
        body = std::move(m.content);
        if (m.meta.is_dict())
          full = std::move(m.meta.as_dict());
      }
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    for (auto& [k, v] : meta)
      full.insert_or_assign(k, v);
    if (!r.deliver(meta.find("receiver_id") ? *meta.find("receiver_id")
                                            : wire::value{},
                   std::move(body), std::move(full),
                   "Sending internal message not successful, receiver id "
                   "unknown;"))
      return false;
    ++r.sent;
    return true;
  }
  wire::value msg;
  if (is_acl || is_wrapped) {
    msg = std::move(content);
  } else {
    // The wire meta has sender_addr as a list (JSON has no tuples).
    if (auto s = meta.find("sender_addr"))
      s->set_tuple(false);
    try {
      msg = wire::to_value(
        wire::mango_message{std::move(content), wire::value{std::move(meta)}},
        types());
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }
  return send_external(receiver.protocol_addr, std::move(msg));
}

bool container::send_message(const acl_message& msg,
                             const agent_address& receiver,
                             const std::string& sender_id, wire::dict kwargs) {
  wire::value content;
  try {
    content = wire::to_value(msg, types());
  } catch (const std::exception& e) {
    ++router_->send_failed;
    log(log_level::warning,
        std::string{"mango: cannot send an ACL message: "} + e.what());
    return false;
  }
  return send_message(std::move(content), receiver, sender_id,
                      std::move(kwargs));
}

bool container::send_acl_message(wire::value content, wire::value receiver_addr,
                                 const std::string& receiver_id,
                                 wire::dict acl_metadata) {
  std::string sender_id;
  if (auto s = acl_metadata.find("sender_id"); s != nullptr && s->is_string())
    sender_id = s->as_string();
  agent_address to{std::move(receiver_addr), receiver_id};
  auto msg
    = create_acl(std::move(content), to, agent_addr(sender_id), acl_metadata);
  if (sender_id.empty())
    msg.sender_id = wire::value{};
  return send_message(msg, to, sender_id);
}

message_stats container::stats() const {
  auto& r = *router_;
  message_stats result;
  result.received = r.received;
  result.delivered = r.delivered;
  result.malformed = r.malformed;
  result.unknown_receiver = r.unknown_receiver;
  result.sent = r.sent;
  result.send_failed = r.send_failed;
  result.resent = r.resent;
  return result;
}

wire::mango_type_ids container::type_ids_of(const std::string& key) const {
  return router_->table_for(key);
}

bool container::learned_type_ids(const std::string& key) const {
  return router_->learned(key);
}

} // namespace mas::mango
