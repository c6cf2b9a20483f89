#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "mas/wire/mango_message.hpp"
#include "mas/wire/value.hpp"

namespace mas::mango {

/// `mango.AgentAddress(protocol_addr, aid)`: where an agent lives.
/// `protocol_addr` is `[host, port]` for TCP containers and a string (an
/// external-coupling id, an MQTT topic) otherwise.
using agent_address = wire::agent_address;

/// `mango.addr(protocol_addr, aid)`.
agent_address addr(wire::value protocol_addr, std::string aid);

/// The address of agent `aid` in the TCP container at `host:port`
/// (`protocol_addr` = `[host, port]`, as mango writes it).
agent_address tcp_addr(const std::string& host, std::uint16_t port,
                       std::string aid);

/// A TCP container's `protocol_addr` as host and port, from `[host, port]`
/// (a list or tuple with an int port, as mango 2.x sends it) or
/// `"host:port"` (mango 1.x's string form); none for anything else.
std::optional<std::pair<std::string, std::uint16_t>>
tcp_target(const wire::value& protocol_addr);

/// `mango.sender_addr(meta)`: the address a reply goes to.
/// @throws std::invalid_argument (mango: `KeyError`) if `meta` lacks
///         `sender_id` or `sender_addr`.
agent_address sender_addr(const wire::dict& meta);

/// Python's `repr` of the address, e.g.
/// `AgentAddress(protocol_addr=('127.0.0.1', 5555), aid='agent0')`, for
/// logs.
std::string to_string(const agent_address& x);

} // namespace mas::mango
