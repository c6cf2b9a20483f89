#include "router.hpp"

#include <caf/send.hpp>

#include "mas/log.hpp"
#include "mas/mango/atoms.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/error.hpp"

namespace mas::mango::detail {

namespace {

bool same(const wire::mango_type_ids& x, const wire::mango_type_ids& y) {
  return x.acl_message == y.acl_message && x.mango_message == y.mango_message
         && x.agent_address == y.agent_address
         && x.performatives == y.performatives;
}

/// The key of a peer by its protocol address: `"host:port"` or the string.
std::optional<std::string> peer_key(const wire::value& protocol_addr) {
  if (auto t = tcp_target(protocol_addr); t && protocol_addr.is_array())
    return t->first + ":" + std::to_string(t->second);
  if (protocol_addr.is_string())
    return protocol_addr.as_string();
  return std::nullopt;
}

std::unique_ptr<wire::codec> make_router_codec(const container_options& opts) {
  auto copts = opts.codec;
  // Ids are checked against every known mango table (and the user types)
  // after decoding, so a frame from any mango version decodes.
  copts.check_type_ids = false;
  auto result = wire::make_codec(wire::codec_kind::json, copts);
  wire::register_mango_types(result->types(), opts.type_ids);
  for (auto& [name, id] : opts.extra_types)
    result->types().add(name, id);
  return result;
}

/// A flood of bad frames must not become a flood of log lines: the first
/// ten of a kind are logged, then every thousandth (the counters in
/// `stats()` have them all).
bool worth_logging(std::uint64_t n) {
  return n <= 10 || n % 1000 == 0;
}

} // namespace

router::router(const container_options& opts,
               std::shared_ptr<const agent_registry> agents_ptr,
               std::shared_ptr<std::atomic<std::uint64_t>> activity_ptr)
  : table(opts.type_ids), configured(opts.peer_type_ids),
    max_remembered(opts.max_remembered_peers), codec(make_router_codec(opts)),
    agents(std::move(agents_ptr)), activity(std::move(activity_ptr)) {
  // nop
}

// -- receiving ----------------------------------------------------------------

bool router::known_id(std::int64_t id) const {
  return wire::is_known_mango_id(id) || codec->types().contains(id);
}

bool router::all_ids_known(const wire::value& x, std::int64_t& bad) const {
  switch (x.type()) {
    case wire::value::kind::array:
      for (auto& y : x.as_array())
        if (!all_ids_known(y, bad))
          return false;
      return true;
    case wire::value::kind::dict:
      for (auto& [k, v] : x.as_dict())
        if (!all_ids_known(k, bad) || !all_ids_known(v, bad))
          return false;
      return true;
    case wire::value::kind::ext:
      if (!known_id(x.as_ext().type_id())) {
        bad = x.as_ext().type_id();
        return false;
      }
      return all_ids_known(x.as_ext().repr(), bad);
    default:
      return true;
  }
}

void router::receive_frame(const std::uint8_t* data, std::size_t size,
                           wire::mango_peer_ids& peer,
                           const char* network_protocol,
                           std::string_view from) {
  ++received;
  auto drop = [&](const std::string& why) {
    if (!worth_logging(++malformed))
      return;
    log(log_level::warning, "mango: dropped a frame from " + std::string{from}
                              + (std::string_view{network_protocol} == "tcp"
                                   ? " (the connection stays open): "
                                   : ": ")
                              + why);
  };
  wire::value msg;
  try {
    msg = codec->decode(data, size);
  } catch (const wire::wire_error& e) {
    drop(e.what());
    return;
  }
  std::int64_t bad = 0;
  if (!all_ids_known(msg, bad)) {
    drop("unknown type id " + std::to_string(bad));
    return;
  }
  if (!msg.is_ext()) {
    drop("no mango message (a " + std::string{wire::type_name(msg)}
         + " without a {\"__type__\": ...} envelope)");
    return;
  }
  peer.observe(msg);
  wire::value content;
  wire::dict meta;
  try {
    wire::normalize_mango_ids(msg, table);
    auto type = wire::mango_type_of(msg.as_ext());
    if (type == wire::mango_type::mango_message) {
      auto m = wire::from_value<wire::mango_message>(msg, codec->types());
      if (!m.meta.is_dict()) {
        drop("a MangoMessage without meta");
        return;
      }
      content = std::move(m.content);
      meta = std::move(m.meta.as_dict());
    } else if (type == wire::mango_type::acl_message) {
      auto m = wire::from_value<wire::acl_message>(msg, codec->types());
      std::tie(content, meta)
        = split_content_and_meta(std::move(m), codec->types());
    } else if (!type && msg.as_ext().repr().is_dict()
               && msg.as_ext().repr().as_dict().find("content") != nullptr) {
      drop("a MangoMessage without meta");
      return;
    } else {
      drop(std::string{"a "} + (type ? wire::to_string(*type) : "value")
           + " is no message");
      return;
    }
  } catch (const std::exception& e) {
    drop(e.what());
    return;
  }
  if (peer.learned())
    if (auto s = meta.find("sender_addr"))
      if (auto key = peer_key(*s))
        learn(*key, peer.table());
  meta.insert_or_assign("network_protocol", network_protocol);
  wire::value receiver;
  if (auto r = meta.find("receiver_id"))
    receiver = *r;
  deliver(receiver, std::move(content), std::move(meta),
          "Received a message for an unknown receiver;");
}

bool router::deliver(const wire::value& receiver_id, wire::value content,
                     wire::dict meta, const char* unknown_text) {
  std::optional<agent_entry> entry;
  if (receiver_id.is_string())
    entry = agents->find(receiver_id.as_string());
  if (!entry) {
    if (!worth_logging(++unknown_receiver))
      return false;
    log(log_level::warning,
        std::string{unknown_text}
          + (receiver_id.is_string() ? receiver_id.as_string()
                                     : wire::to_string(receiver_id)));
    return false;
  }
  ++delivered;
  caf::anon_send(entry->handle, deliver_atom_v, std::move(content),
                 std::move(meta));
  return true;
}

// -- sending ------------------------------------------------------------------

wire::byte_buffer router::encode_for(const std::string& key,
                                     wire::value msg) const {
  auto ids = table_for(key);
  if (!same(ids, table))
    wire::normalize_mango_ids(msg, ids);
  return codec->encode(msg);
}

// -- id tables ----------------------------------------------------------------

wire::mango_type_ids router::table_for(const std::string& key) const {
  if (auto i = configured.find(key); i != configured.end())
    return i->second;
  std::lock_guard guard{mtx_};
  if (auto i = learned_.find(key); i != learned_.end())
    return i->second;
  return table;
}

bool router::learned(const std::string& key) const {
  std::lock_guard guard{mtx_};
  return learned_.count(key) > 0;
}

void router::learn(const std::string& key, const wire::mango_type_ids& ids) {
  std::lock_guard guard{mtx_};
  auto [i, added] = learned_.insert_or_assign(key, ids);
  (void)i;
  if (!added)
    return;
  learned_order_.push_back(key);
  while (learned_order_.size() > max_remembered) {
    learned_.erase(learned_order_.front());
    learned_order_.pop_front();
  }
}

} // namespace mas::mango::detail
