#pragma once

// The connection flags the examples share: --addr, --unix, --codec, --tls.

#include <stdexcept>
#include <string>

#include "mas/connection.hpp"
#include "mas/net/endpoint.hpp"
#include "mas/net/tls.hpp"
#include "mas/wire/codec.hpp"

namespace mas::examples {

/// Which TLS context `--tls CA CERT KEY` builds.
enum class tls_role { none, server, client };

/// Parses `argv[i]` if it is one of the shared flags (consuming its values
/// by advancing `i`) and returns true; returns false for other arguments.
/// @throws std::invalid_argument for a missing or bad value, and
///         net::tls_error if the TLS files cannot be loaded.
inline bool parse_connection_flag(int argc, char** argv, int& i,
                                  net::endpoint& ep, connection_options& opts,
                                  tls_role role) {
  std::string arg = argv[i];
  auto next = [&]() -> std::string {
    if (i + 1 >= argc)
      throw std::invalid_argument("missing value for " + arg);
    return argv[++i];
  };
  if (arg == "--addr") {
    auto parsed = net::endpoint::parse(next());
    if (!parsed || !parsed->is_tcp())
      throw std::invalid_argument("--addr expects HOST:PORT");
    ep = *parsed;
  } else if (arg == "--unix") {
    ep = net::endpoint::unix_socket(next());
  } else if (arg == "--codec") {
    auto name = next();
    auto kind = wire::parse_codec_kind(name);
    if (!kind)
      throw std::invalid_argument("unknown codec '" + name + "'");
    opts.codec = *kind;
  } else if (arg == "--tls" && role != tls_role::none) {
    auto ca = next();
    auto cert = next();
    auto key = next();
    opts.tls = role == tls_role::server
                 ? net::make_ssl_server_context(ca, cert, key)
                 : net::make_ssl_client_context(ca, cert, key);
  } else {
    return false;
  }
  return true;
}

} // namespace mas::examples
