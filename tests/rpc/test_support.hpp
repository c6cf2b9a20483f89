#pragma once

// What the runtime tests share: an actor system configured for libmas and
// test certificates made at run time.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include <caf/actor_system_config.hpp>

#include "mas/config.hpp"

namespace mas::test {

/// A CAF configuration with libmas loaded.
struct config : caf::actor_system_config {
  config() {
    mas::configure(*this);
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
