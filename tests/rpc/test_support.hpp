#pragma once

// What the runtime tests share: an actor system configured for libmas and
// test certificates made at run time.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>

#include "mas/atoms.hpp"
#include "mas/config.hpp"
#include "mas/interfaces.hpp"

namespace mas::test {

/// A CAF configuration with libmas loaded.
struct config : caf::actor_system_config {
  config() {
    mas::configure(*this);
  }
};

/// An actor system for libmas and a blocking actor that calls from `main`.
struct rpc_fixture {
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  rpc_fixture() {
    sys.await_actors_before_shutdown(false);
  }

  /// Calls `path` and returns its result or error.
  caf::expected<wire::value> call(const rpc::connection& conn, std::string path,
                                  wire::array args = {},
                                  wire::dict kwargs = {}) {
    caf::expected<wire::value> result{wire::value{}};
    self
      ->request(conn, std::chrono::seconds{10}, call_atom_v, std::move(path),
                std::move(args), std::move(kwargs))
      .receive([&](wire::value& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }
};

/// Makes a CA, server and client certificates in a fresh directory with the
/// script named by `MAS_MAKE_CERTS` (ctest sets it) and returns the directory.
inline std::string make_certs(const char* dir_template_prefix
                              = "/tmp/mas-tls") {
  const char* script = std::getenv("MAS_MAKE_CERTS");
  REQUIRE(script != nullptr);
  std::string dir_template = std::string{dir_template_prefix} + "-XXXXXX";
  REQUIRE(mkdtemp(dir_template.data()) != nullptr);
  REQUIRE(std::system((script + (" " + dir_template)).c_str()) == 0);
  return dir_template;
}

} // namespace mas::test
