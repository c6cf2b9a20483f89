#pragma once

// The part of a mango container that its connections share: decoding and
// checking frames, learning each peer's id table, routing by receiver_id,
// encoding for a peer, and the counters. Held by shared_ptr so a
// connection that outlives its container's shutdown by a moment never
// touches a destroyed container.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "mas/agent/registry.hpp"
#include "mas/mango/acl.hpp"
#include "mas/mango/address.hpp"
#include "mas/mango/options.hpp"
#include "mas/wire/codec.hpp"
#include "mas/wire/mango_peer_ids.hpp"

namespace mas::mango::detail {

struct router {
  router(const container_options& opts,
         std::shared_ptr<const agent_registry> agents,
         std::shared_ptr<std::atomic<std::uint64_t>> activity);

  // -- receiving --------------------------------------------------------------

  /// Decodes, checks and routes one frame from `from` (for logs). `peer`
  /// learns the sender's id table; once known, it is remembered under the
  /// sender's address. A frame that is no mango message is dropped with a
  /// log line and counted; nothing throws.
  void receive_frame(const std::uint8_t* data, std::size_t size,
                     wire::mango_peer_ids& peer, const char* network_protocol,
                     std::string_view from);

  /// Hands `(content, meta)` to agent `receiver_id`; false (logged with
  /// `what`) if there is none.
  bool deliver(const wire::value& receiver_id, wire::value content,
               wire::dict meta, const char* unknown_text);

  // -- sending ----------------------------------------------------------------

  /// The payload of `msg` (this container's ids) for the peer at `key`.
  /// @throws wire::wire_error if it cannot be encoded
  wire::byte_buffer encode_for(const std::string& key, wire::value msg) const;

  // -- id tables --------------------------------------------------------------

  wire::mango_type_ids table_for(const std::string& key) const;
  bool learned(const std::string& key) const;
  void learn(const std::string& key, const wire::mango_type_ids& ids);

  /// A fresh observer for one connection.
  wire::mango_peer_ids make_peer_ids() const {
    return wire::mango_peer_ids{table};
  }

  // -- state ------------------------------------------------------------------

  const wire::mango_type_ids table;
  const std::map<std::string, wire::mango_type_ids> configured;
  const std::size_t max_remembered;
  std::unique_ptr<wire::codec> codec;
  std::shared_ptr<const agent_registry> agents;
  std::shared_ptr<std::atomic<std::uint64_t>> activity;

  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> malformed{0};
  std::atomic<std::uint64_t> unknown_receiver{0};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> send_failed{0};
  std::atomic<std::uint64_t> resent{0};

private:
  bool known_id(std::int64_t id) const;
  bool all_ids_known(const wire::value& x, std::int64_t& bad) const;

  mutable std::mutex mtx_;
  std::map<std::string, wire::mango_type_ids> learned_;
  std::deque<std::string> learned_order_;
};

} // namespace mas::mango::detail
