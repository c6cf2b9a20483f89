// rpc_callback_client: the client half of the aiomas docs' bi-directional RPC
// example ("Bi-directional RPC: How to allow callbacks from server to
// client").
//
// It connects with its own service, which exposes `get_client_name()`, and
// passes that service to the server's `server_method(client_proxy)`. The
// server calls `get_client_name()` back over the same connection and answers
// 'Client name is "<name>"', which this program prints as
//
//   Server reply: Client name is "Monty"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "example_support.hpp"
#include "mas/all.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/service.hpp"
#include "mas/wire/readable.hpp"

namespace {

using mas::wire::value;

constexpr const char* usage = R"(usage: rpc_callback_client [OPTIONS]

The client of the aiomas docs' bi-directional RPC example: it serves
get_client_name() on its connection, calls the server's
server_method(<its service>) and prints the reply:
  Server reply: Client name is "<NAME>"

options:
  --addr HOST:PORT        connect over TCP (default 127.0.0.1:5555)
  --unix PATH             connect to a Unix domain socket instead
  --codec NAME            json (default), msgpack or msgpack-blosc
  --tls CA CERT KEY       use TLS with a client certificate (aiomas's
                          make_ssl_client_context)
  --name NAME             the name get_client_name() returns (default Monty)
  -h, --help              show this text
  --version               print "rpc_callback_client (libmas) VERSION"

exit status: 0 on success, 1 if the call failed remotely (the remote text on
stderr), 2 on usage errors, 3 if connecting or the connection failed.
)";

constexpr int exit_remote_failure = 1;
constexpr int exit_usage = 2;
constexpr int exit_connection = 3;

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "rpc_callback_client: " << what << "\n(see --help)\n";
  std::exit(exit_usage);
}

/// The client's service: what the server may call back.
std::shared_ptr<mas::rpc::service> make_client_service(std::string name) {
  auto svc = mas::rpc::service::make("__main__.Client");
  svc->expose("get_client_name", [name = std::move(name)] { return name; });
  return svc;
}

} // namespace

int main(int argc, char** argv) {
  auto ep = mas::net::endpoint::tcp("127.0.0.1", 5555);
  mas::channel::options opts;
  std::string name = "Monty";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    }
    if (arg == "--version")
      return mas::examples::print_version("rpc_callback_client");
    if (mas::examples::parse_connection_flag_or_exit(
          "rpc_callback_client", argc, argv, i, ep, opts,
          mas::examples::tls_role::client))
      continue;
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        usage_error("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "--name") {
      name = next();
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  caf::actor_system_config cfg;
  mas::configure(cfg);
  caf::actor_system sys{cfg};
  sys.await_actors_before_shutdown(false);
  // Like `open_connection(addr, rpc_service=self)`: the connection serves
  // our service, so the server can call us back on it.
  auto service = make_client_service(name);
  auto client = mas::rpc::open_connection(sys, ep, std::move(opts),
                                          std::chrono::seconds{0}, service);
  if (!client) {
    std::cerr << "rpc_callback_client: " << mas::error_text(client.error())
              << "\n";
    return exit_connection;
  }
  int status = 0;
  caf::scoped_actor self{sys};
  // Passing the service sends a reference the server receives as a proxy.
  client->remote.call(self.ptr(), "server_method", service)
    .receive(
      [&](value& reply) {
        std::cout << "Server reply: "
                  << (reply.is_string() ? reply.as_string()
                                        : mas::wire::to_readable_json(reply))
                  << std::endl;
      },
      [&](caf::error& err) {
        if (mas::is(err, mas::errc::remote_exception)) {
          std::cerr << "Origin: " << mas::remote_origin(err) << "\n"
                    << mas::error_text(err) << "\n";
          status = exit_remote_failure;
        } else {
          std::cerr << "rpc_callback_client: " << mas::error_text(err) << "\n";
          status = exit_connection;
        }
      });
  self->send_exit(client->channel, caf::exit_reason::user_shutdown);
  return status;
}
