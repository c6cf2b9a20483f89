#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mas/net/endpoint.hpp"

using mas::net::endpoint;

namespace {

struct good_case {
  std::string input;
  endpoint expected;
  std::string rendered;
};

} // namespace

TEST_CASE("endpoint parses and renders the command-line forms",
          "[net][endpoint]") {
  std::vector<good_case> cases{
    {"127.0.0.1:5555", endpoint::tcp("127.0.0.1", 5555), "127.0.0.1:5555"},
    {"localhost:80", endpoint::tcp("localhost", 80), "localhost:80"},
    {"example.com:65535", endpoint::tcp("example.com", 65535),
     "example.com:65535"},
    {"0.0.0.0:0", endpoint::tcp("0.0.0.0", 0), "0.0.0.0:0"},
    {"host:007", endpoint::tcp("host", 7), "host:7"},
    {"[::1]:5555", endpoint::tcp("::1", 5555), "[::1]:5555"},
    {"[::]:0", endpoint::tcp("::", 0), "[::]:0"},
    {"[fe80::1%eth0]:1", endpoint::tcp("fe80::1%eth0", 1), "[fe80::1%eth0]:1"},
    {"[2001:db8::1]:443", endpoint::tcp("2001:db8::1", 443),
     "[2001:db8::1]:443"},
    {"unix:/tmp/a.sock", endpoint::unix_socket("/tmp/a.sock"),
     "unix:/tmp/a.sock"},
    {"unix:relative/path:with:colons",
     endpoint::unix_socket("relative/path:with:colons"),
     "unix:relative/path:with:colons"},
    {"local:q", endpoint::local("q"), "local:q"},
    {"local:agents:0 and \xc3\xa4", endpoint::local("agents:0 and \xc3\xa4"),
     "local:agents:0 and \xc3\xa4"},
    // The prefix wins over a host named `local`.
    {"local:80", endpoint::local("80"), "local:80"},
    {"local:local:1", endpoint::local("local:1"), "local:local:1"},
  };
  for (auto& c : cases) {
    INFO("input: " << c.input);
    auto ep = endpoint::parse(c.input);
    REQUIRE(ep);
    CHECK(*ep == c.expected);
    CHECK(ep->to_string() == c.rendered);
    // Round trip.
    auto again = endpoint::parse(ep->to_string());
    REQUIRE(again);
    CHECK(*again == *ep);
  }
}

TEST_CASE("endpoint kinds", "[net][endpoint]") {
  auto tcp = endpoint::parse("[::1]:1");
  REQUIRE(tcp);
  CHECK(tcp->is_tcp());
  CHECK(tcp->type == endpoint::kind::tcp);
  CHECK(tcp->path.empty());
  auto unix_ep = endpoint::parse("unix:/x");
  REQUIRE(unix_ep);
  CHECK_FALSE(unix_ep->is_tcp());
  CHECK(unix_ep->host.empty());
  CHECK(unix_ep->port == 0);
  CHECK(unix_ep->path == "/x");
  CHECK_FALSE(unix_ep->is_local());
  auto local_ep = endpoint::parse("local:lq");
  REQUIRE(local_ep);
  CHECK(local_ep->type == endpoint::kind::local);
  CHECK(local_ep->is_local());
  CHECK_FALSE(local_ep->is_tcp());
  CHECK(local_ep->queue_id == "lq");
  CHECK(local_ep->host.empty());
  CHECK(local_ep->port == 0);
  CHECK(local_ep->path.empty());
  CHECK_FALSE(tcp->is_local());
}

TEST_CASE("endpoint checks local queue ids like aiomas", "[net][endpoint]") {
  CHECK(endpoint::valid_queue_id("a"));
  CHECK(endpoint::valid_queue_id("a:b c"));
  CHECK(endpoint::valid_queue_id("\\"));
  // aiomas: `"/" not allowed in queue ID`; libmas also refuses "".
  CHECK_FALSE(endpoint::valid_queue_id(""));
  CHECK_FALSE(endpoint::valid_queue_id("/"));
  CHECK_FALSE(endpoint::valid_queue_id("a/b"));
  CHECK_FALSE(endpoint::valid_queue_id("a/"));
}

TEST_CASE("endpoint rejects malformed input", "[net][endpoint]") {
  std::vector<std::string> bad{
    "",
    ":",
    "localhost",      // missing port
    "localhost:",     // empty port
    ":5555",          // empty host
    "[]:5555",        // empty IPv6 host
    "[::1]",          // missing port
    "[::1]:",         // empty port
    "[::1]5555",      // missing colon
    "[::1:5555",      // missing bracket
    "::1:5555",       // unbracketed IPv6
    "host:65536",     // port out of range
    "host:99999",     // port out of range
    "host:123456",    // too many digits
    "host:-1",        // sign
    "host:+1",        // sign
    "host:12a",       // non-numeric
    "host:0x10",      // non-numeric
    "host: 80",       // space
    "host:80 ",       // trailing space
    "ho st:80",       // space in host
    "host:80:90",     // two ports
    "[127.0.0.1]:80", // brackets for a non-IPv6 host
    "unix:",          // empty path
    "local:",         // empty queue id
    "local:a/b",      // `/` in a queue id
    "local:/",        // `/` in a queue id
  };
  for (auto& input : bad) {
    INFO("input: '" << input << "'");
    CHECK_FALSE(endpoint::parse(input));
  }
}

TEST_CASE("endpoint renders constructed values", "[net][endpoint]") {
  CHECK(endpoint::tcp("::1", 80).to_string() == "[::1]:80");
  CHECK(endpoint::tcp("a.b", 1).to_string() == "a.b:1");
  CHECK(endpoint::unix_socket("/run/x").to_string() == "unix:/run/x");
  CHECK(endpoint::tcp("a", 1) == endpoint::tcp("a", 1));
  CHECK_FALSE(endpoint::tcp("a", 1) == endpoint::tcp("a", 2));
  CHECK_FALSE(endpoint::tcp("a", 0) == endpoint::unix_socket("a"));
  CHECK(endpoint::local("q").to_string() == "local:q");
  CHECK(endpoint::local("q") == endpoint::local("q"));
  CHECK_FALSE(endpoint::local("q") == endpoint::local("r"));
  CHECK_FALSE(endpoint::local("a") == endpoint::unix_socket("a"));
}
