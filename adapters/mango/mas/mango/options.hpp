#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "mas/agent/clock.hpp"
#include "mas/transport/options.hpp"
#include "mas/wire/codec.hpp"
#include "mas/wire/mango_type_ids.hpp"

namespace mas::mango {

/// How a mango container is made (mango's container factory keywords plus
/// what libmas adds: id tables per peer, bounds).
struct container_options {
  /// The type ids this container uses for peers whose table it has not
  /// learned (nor been told): mango >= 2.1.4 on Python 3.11 by default.
  /// Values delivered to agents carry these ids too.
  wire::mango_type_ids type_ids
    = wire::mango_type_ids_for(wire::mango_wire_version::v2_1_4, 11);

  /// Tables of particular peers, by `"host:port"` as their `sender_addr`
  /// says (TCP) or by protocol address (external coupling): they win over
  /// what the container learns from their frames.
  std::map<std::string, wire::mango_type_ids> peer_type_ids;

  /// User extension types with fixed ids (mango `add_serializer(...,
  /// type_id=N)`), the same for every peer.
  std::vector<std::pair<std::string, std::int64_t>> extra_types;

  /// Codec limits (depth, decoded size). mango's codec is JSON.
  wire::codec_options codec;

  /// The clock (mango `clock=`; default: real-time).
  std::function<mas::clock(caf::actor_system&)> make_clock;

  /// Adjusts CAF's configuration (scheduler threads, ...).
  std::function<void(caf::actor_system_config&)> configure;

  // -- TCP containers ---------------------------------------------------------

  /// Limits and timeouts of every connection, in and out. Idle connections
  /// are never closed by the peer side's idleness: mango reuses them.
  transport::options transport;

  /// Limits of the server.
  transport::server_options server;

  /// Connections per target at most (mango `tcp_max_connections_per_target`).
  /// libmas sends on one connection, which keeps a target's messages in
  /// order, and opens another only while the open ones are backed up (their
  /// sockets hold more than 1 MiB the peer has not read).
  std::size_t max_connections_per_target = 10;

  /// Frames on their way to one connection's socket at most; more wait in
  /// the pool (bounded by `max_queued_per_target`).
  std::size_t pipeline_depth = 256;

  /// Outgoing connections idle for longer are closed (mango
  /// `tcp_connection_ttl`). A timer checks it, not only the next send as in
  /// mango: a Python >= 3.12 mango container waits in `shutdown()` until
  /// every connection to it has closed.
  std::chrono::milliseconds connection_ttl = std::chrono::seconds{30};

  /// Frames the pool holds per target while it connects; more fail with
  /// `errc::overloaded`.
  std::size_t max_queued_per_target = 65536;

  /// Peers whose learned id table the container remembers (by address);
  /// the oldest is forgotten beyond.
  std::size_t max_remembered_peers = 4096;
};

} // namespace mas::mango
