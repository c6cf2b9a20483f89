#include "mas/aiomas/address.hpp"

#include <charconv>

#include <netdb.h>
#include <unistd.h>

#include "mas/errc.hpp"

namespace mas::aiomas {

namespace {

caf::error bad_url(std::string_view url, const std::string& why) {
  return make_error(errc::invalid_argument, "Cannot parse agent URL \""
                                              + std::string{url}
                                              + "\": " + why);
}

const char* unpack_error = "not enough values to unpack (expected 2, got 1)";

std::string fqdn() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0)
    return "localhost";
  addrinfo hints{};
  hints.ai_flags = AI_CANONNAME;
  addrinfo* info = nullptr;
  std::string result = name;
  if (getaddrinfo(name, nullptr, &hints, &info) == 0 && info != nullptr) {
    if (info->ai_canonname != nullptr)
      result = info->ai_canonname;
    freeaddrinfo(info);
  }
  return result;
}

std::string python_str(std::string_view s) {
  // Python's repr of a str without quotes or backslashes inside.
  std::string result = "'";
  for (auto c : s) {
    if (c == '\'' || c == '\\')
      result += '\\';
    result += c;
  }
  result += '\'';
  return result;
}

} // namespace

caf::expected<agent_url> parse_agent_url(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return bad_url(url, unpack_error);
  auto proto = url.substr(0, sep);
  auto rest = url.substr(sep + 3);
  agent_url result;
  if (proto == "tcp") {
    auto slash = rest.find('/');
    if (slash == std::string_view::npos)
      return bad_url(url, unpack_error);
    auto host_port = rest.substr(0, slash);
    result.aid = std::string{rest.substr(slash + 1)};
    auto colon = host_port.rfind(':');
    if (colon == std::string_view::npos)
      return bad_url(url, unpack_error);
    auto host = host_port.substr(0, colon);
    auto port_str = host_port.substr(colon + 1);
    if (host.empty())
      return bad_url(url, "string index out of range");
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    unsigned long port = 0;
    auto [end, ec] = std::from_chars(port_str.data(),
                                     port_str.data() + port_str.size(), port);
    if (port_str.empty() || ec != std::errc{}
        || end != port_str.data() + port_str.size())
      return bad_url(url, "invalid literal for int() with base 10: "
                            + python_str(port_str));
    if (port > 65535)
      return bad_url(url, "port must be 0-65535.");
    result.addr
      = net::endpoint::tcp(std::string{host}, static_cast<std::uint16_t>(port));
  } else if (proto == "ipc") {
    if (rest.empty() || rest.front() != '[')
      return bad_url(url, rest.empty() ? "string index out of range" : "");
    auto close = rest.find("]/");
    if (close == std::string_view::npos)
      return bad_url(url, unpack_error);
    result.addr
      = net::endpoint::unix_socket(std::string{rest.substr(1, close - 1)});
    result.aid = std::string{rest.substr(close + 2)};
  } else if (proto == "local") {
    auto slash = rest.find('/');
    if (slash == std::string_view::npos)
      return bad_url(url, unpack_error);
    auto queue = rest.substr(0, slash);
    result.aid = std::string{rest.substr(slash + 1)};
    auto ep = net::endpoint::parse("local:" + std::string{queue});
    if (!ep)
      return bad_url(url, "Queue IDs must be strings and must not contain "
                          "the / character");
    result.addr = std::move(*ep);
  } else {
    return bad_url(url, python_str(proto) + " not in {'tcp', 'ipc', 'local'}");
  }
  if (result.aid.empty())
    return bad_url(url, "No agent ID specified.");
  return result;
}

std::string base_url(const net::endpoint& ep) {
  switch (ep.type) {
    case net::endpoint::kind::tcp: {
      auto host = ep.host;
      if (host.empty() || host == "::" || host == "0.0.0.0")
        host = fqdn();
      return "tcp://" + host + ":" + std::to_string(ep.port) + "/";
    }
    case net::endpoint::kind::unix_socket:
      return "ipc://[" + ep.path + "]/";
    default: {
      // LocalQueue: "local:QUEUE" in the endpoint's own rendering.
      auto str = ep.to_string();
      auto colon = str.find(':');
      return "local://" + str.substr(colon + 1) + "/";
    }
  }
}

std::string python_repr(const net::endpoint& ep) {
  switch (ep.type) {
    case net::endpoint::kind::tcp:
      return "(" + python_str(ep.host) + ", " + std::to_string(ep.port) + ")";
    case net::endpoint::kind::unix_socket:
      return python_str(ep.path);
    default: {
      auto str = ep.to_string();
      return "LocalQueue(" + python_str(str.substr(str.find(':') + 1)) + ")";
    }
  }
}

} // namespace mas::aiomas
