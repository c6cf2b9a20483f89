#include "mas/mango/address.hpp"

#include <charconv>
#include <stdexcept>

namespace mas::mango {

agent_address addr(wire::value protocol_addr, std::string aid) {
  return agent_address{std::move(protocol_addr), std::move(aid)};
}

agent_address tcp_addr(const std::string& host, std::uint16_t port,
                       std::string aid) {
  return agent_address{
    wire::value::list({wire::value{host}, wire::value{port}}), std::move(aid)};
}

namespace {

std::optional<std::uint16_t> port_of(const wire::value& x) {
  if (!x.is_int() || x.type() == wire::value::kind::uint64)
    return std::nullopt;
  auto n = x.as_int64();
  if (n < 0 || n > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(n);
}

} // namespace

std::optional<std::pair<std::string, std::uint16_t>>
tcp_target(const wire::value& protocol_addr) {
  if (protocol_addr.is_array()) {
    auto& xs = protocol_addr.as_array();
    if (xs.size() != 2 || !xs[0].is_string())
      return std::nullopt;
    auto port = port_of(xs[1]);
    if (!port)
      return std::nullopt;
    return std::make_pair(xs[0].as_string(), *port);
  }
  if (protocol_addr.is_string()) {
    auto& str = protocol_addr.as_string();
    auto pos = str.rfind(':');
    if (pos == std::string::npos || pos == 0)
      return std::nullopt;
    unsigned value = 0;
    auto first = str.data() + pos + 1;
    auto last = str.data() + str.size();
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc{} || ptr != last || first == last || value > 65535)
      return std::nullopt;
    return std::make_pair(str.substr(0, pos),
                          static_cast<std::uint16_t>(value));
  }
  return std::nullopt;
}

agent_address sender_addr(const wire::dict& meta) {
  auto id = meta.find("sender_id");
  auto where = meta.find("sender_addr");
  if (where == nullptr)
    throw std::invalid_argument("KeyError: 'sender_addr'");
  if (id == nullptr)
    throw std::invalid_argument("KeyError: 'sender_id'");
  if (!id->is_string())
    throw std::invalid_argument("sender_id is no str: " + wire::to_string(*id));
  auto protocol_addr = *where;
  // mango: a list becomes a tuple (the container's own addr is a tuple).
  if (protocol_addr.is_array())
    protocol_addr.set_tuple(true);
  return agent_address{std::move(protocol_addr), id->as_string()};
}

std::string to_string(const agent_address& x) {
  auto where = x.protocol_addr;
  if (where.is_array())
    where.set_tuple(true);
  return "AgentAddress(protocol_addr=" + wire::to_string(where)
         + ", aid=" + wire::to_string(wire::value{x.aid}) + ")";
}

} // namespace mas::mango
