#include "mas/net/endpoint.hpp"

#include <cstdint>

namespace mas::net {

namespace {

// -- parsing helpers ----------------------------------------------------------

constexpr std::string_view unix_prefix = "unix:";

constexpr std::string_view local_prefix = "local:";

/// Parses a decimal port number in [0, 65535]: digits only, no sign, no
/// spaces, at most five digits.
std::optional<std::uint16_t> parse_port(std::string_view str) {
  if (str.empty() || str.size() > 5)
    return std::nullopt;
  std::uint32_t result = 0;
  for (auto c : str) {
    if (c < '0' || c > '9')
      return std::nullopt;
    result = result * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (result > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(result);
}

/// Characters that never appear in a host name or an address literal and
/// would make the rendered form ambiguous.
bool has_bad_host_char(std::string_view str) {
  for (auto c : str) {
    auto uc = static_cast<unsigned char>(c);
    if (uc <= 0x20 || uc == 0x7f || c == '[' || c == ']' || c == '/')
      return true;
  }
  return false;
}

} // namespace

// -- endpoint -----------------------------------------------------------------

std::optional<endpoint> endpoint::parse(std::string_view str) {
  if (str.substr(0, unix_prefix.size()) == unix_prefix) {
    auto path = str.substr(unix_prefix.size());
    if (path.empty() || path.find('\0') != std::string_view::npos)
      return std::nullopt;
    return unix_socket(std::string{path});
  }
  if (str.substr(0, local_prefix.size()) == local_prefix) {
    auto id = str.substr(local_prefix.size());
    if (!valid_queue_id(id))
      return std::nullopt;
    return local(std::string{id});
  }
  std::string_view host;
  std::string_view port_str;
  if (!str.empty() && str.front() == '[') {
    // `[IPV6]:PORT`
    auto close = str.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    host = str.substr(1, close - 1);
    auto rest = str.substr(close + 1);
    if (rest.empty() || rest.front() != ':')
      return std::nullopt;
    port_str = rest.substr(1);
    // Brackets are for IPv6 literals only (e.g. `::1` or `fe80::1%eth0`).
    if (host.find(':') == std::string_view::npos)
      return std::nullopt;
  } else {
    // `HOST:PORT`; an unbracketed host must not contain a colon, otherwise
    // `::1:80` would be ambiguous.
    auto colon = str.find(':');
    if (colon == std::string_view::npos)
      return std::nullopt;
    host = str.substr(0, colon);
    port_str = str.substr(colon + 1);
    if (port_str.find(':') != std::string_view::npos)
      return std::nullopt;
  }
  if (host.empty() || has_bad_host_char(host))
    return std::nullopt;
  auto port = parse_port(port_str);
  if (!port)
    return std::nullopt;
  return tcp(std::string{host}, *port);
}

std::string endpoint::to_string() const {
  if (type == kind::unix_socket)
    return std::string{unix_prefix} + path;
  if (type == kind::local)
    return std::string{local_prefix} + queue_id;
  std::string result;
  if (host.find(':') != std::string::npos) {
    result += '[';
    result += host;
    result += ']';
  } else {
    result += host;
  }
  result += ':';
  result += std::to_string(port);
  return result;
}

} // namespace mas::net
