#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "mas/net/endpoint.hpp"

namespace mas::aiomas {

/// An agent address split into its container's endpoint and the aid.
struct agent_url {
  net::endpoint addr;
  std::string aid;
};

/// Parses an agent address like aiomas's `Container._parse_url`:
/// `tcp://HOST:PORT/AID` (IPv6 hosts may be bracketed), `ipc://[PATH]/AID`
/// (Unix socket), `local://QUEUE/AID` (LocalQueue). The aid may contain
/// further `/`. Fails with `errc::invalid_argument` and aiomas's text,
/// `Cannot parse agent URL "...": <reason>`.
caf::expected<agent_url> parse_agent_url(std::string_view url);

/// The base of a container's agent addresses (aiomas `_get_base_url`):
/// `tcp://HOST:PORT/` with the host as given (unbracketed; a wildcard host
/// becomes the machine's FQDN), `ipc://[PATH]/`, `local://QUEUE/`.
std::string base_url(const net::endpoint& ep);

/// How Python prints the container address in aiomas's errors:
/// `('127.0.0.1', 5555)` or `'/tmp/a.sock'`.
std::string python_repr(const net::endpoint& ep);

} // namespace mas::aiomas
