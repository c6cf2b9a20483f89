// rpc_callback_server: the server half of the aiomas docs' bi-directional RPC
// example ("Bi-directional RPC: How to allow callbacks from server to
// client").
//
//   server_method(client_proxy)   calls client_proxy.get_client_name() back
//                                 over the same connection and answers
//                                 'Client name is "<name>"'
//
// Prints "listening on <endpoint>" and "ready" once it listens; exits cleanly
// on SIGTERM or SIGINT.

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>

#include "example_support.hpp"
#include "mas/all.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/service.hpp"
#include "mas/wire/readable.hpp"

namespace {

using mas::wire::value;

constexpr const char* usage = R"(usage: rpc_callback_server [OPTIONS]

The server of the aiomas docs' bi-directional RPC example:
  server_method(client_proxy)   calls client_proxy.get_client_name() back over
                                the same connection and returns
                                'Client name is "<name>"'
A client passes one of its own services (or sub-services) as client_proxy.

)";

/// Python's `'%s' % x`: strings as they are, anything else in readable form.
std::string to_str(const value& x) {
  if (x.is_string())
    return x.as_string();
  return mas::wire::to_readable_json(x);
}

// -- the service --------------------------------------------------------------

std::shared_ptr<mas::rpc::service> make_server_service() {
  auto root = mas::rpc::service::make("__main__.Server");
  root->expose(
    "server_method",
    [](mas::rpc::call_context& ctx, const mas::rpc::proxy& client_proxy) {
      // Answer later: the broker keeps serving (and receives the client's
      // reply) while we wait for the callback.
      auto later = ctx.defer();
      client_proxy.call(ctx.self(), "get_client_name")
        .then(
          [later](value& name) {
            later.deliver("Client name is \"" + to_str(name) + "\"");
          },
          [later](caf::error& err) {
            // Python's server_method would let the exception escape.
            if (mas::is(err, mas::errc::remote_exception))
              later.fail("aiomas.exceptions.RemoteException",
                         "Origin: " + mas::remote_origin(err) + "\n"
                           + mas::error_text(err));
            else if (mas::is(err, mas::errc::connection_reset))
              later.fail("ConnectionResetError", mas::error_text(err));
            else
              later.fail("Exception", mas::error_text(err));
          });
    },
    {"client_proxy"});
  return root;
}

} // namespace

int main(int argc, char** argv) {
  return mas::examples::serve_main("rpc_callback_server", usage, argc, argv,
                                   make_server_service());
}
