// tls_rpc: the aiomas docs' "Enabling transport security (TLS)" example,
// in one process: the server uses make_ssl_server_context, the client
// make_ssl_client_context (mutual authentication against one CA, the
// server's host name checked). It runs the docs' channel example ('ohai' /
// 'cya') and then an RPC over TLS.
//
// Output:
//
//   ohai
//   cya
//   What’s 3 + 4? 7
//
// With --certs DIR from `tests/tls/make_certs.sh DIR` it also shows that the
// server rejects a client whose certificate another CA signed:
//
//   client certificate from another CA: rejected (...)

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "mas/all.hpp"
#include "mas/atoms.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/net/tls.hpp"
#include "mas/rpc/service.hpp"
#include "mas/version.hpp"

namespace {

using namespace std::chrono_literals;
using mas::wire::value;

constexpr const char* usage = R"(usage: tls_rpc [OPTIONS]

Runs a TLS server and client in one process: the channel example of the aiomas
TLS guide ('ohai' / 'cya'), then an RPC (add(3, 4)).

options:
  --ca FILE          CA certificate both sides trust (aiomas: cafile)
  --cert FILE        certificate both sides present (aiomas: certfile; must
                     be good for server and client authentication)
  --key FILE         its private key (aiomas: keyfile)
  --certs DIR        use DIR/ca.pem, DIR/server.pem + .key for the server and
                     DIR/client.pem + .key for the client (the files of
                     tests/tls/make_certs.sh); if DIR/other-client.pem exists,
                     also show that a client certified by another CA is
                     rejected
  --addr HOST:PORT   where the server listens (default 127.0.0.1:0, a free
                     port); the server certificate must match HOST
  -h, --help         show this text
  --version          print "tls_rpc (libmas) VERSION"
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "tls_rpc: " << what << "\n(see --help)\n";
  std::exit(2);
}

bool report(const caf::error& err) {
  std::cerr << "tls_rpc: " << mas::error_text(err) << "\n";
  return false;
}

std::string py_str(const value& x) {
  return x.is_string() ? x.as_string() : mas::wire::to_string(x);
}

bool exists(const std::string& path) {
  return std::ifstream{path}.good();
}

// -- channel layer over TLS ---------------------------------------------------

/// Handles client requests by printing them; replies and closes the channel.
caf::behavior handle_client(caf::event_based_actor* self) {
  return {
    [=](mas::request_atom, value& content) -> caf::result<value> {
      std::cout << py_str(content) << std::endl;
      auto channel = caf::actor_cast<caf::actor>(self->current_sender());
      auto request = self->make_response_promise<value>();
      request.deliver(value{"cya"});
      self->send(channel, caf::close_atom_v); // arrives after the reply
      return request;
    },
  };
}

/// Connects to `addr` with TLS (`opts.tls`), sends "ohai" and prints the
/// reply.
bool channel_client(caf::actor_system& sys, const mas::net::endpoint& addr,
                    const mas::channel::options& opts) {
  // Returns once the TLS handshake is done; a failed one fails the connect.
  auto channel = mas::channel::open_connection(sys, addr, opts);
  if (!channel)
    return report(channel.error());
  bool ok = true;
  caf::scoped_actor self{sys};
  self->request(*channel, 10s, mas::request_atom_v, value{"ohai"})
    .receive([](value& reply) { std::cout << py_str(reply) << std::endl; },
             [&](caf::error& err) { ok = report(err); });
  mas::channel::close_and_wait(*channel);
  return ok;
}

bool run_channel(caf::actor_system& sys, const mas::net::endpoint& addr,
                 mas::channel::options server_opts,
                 const mas::channel::options& client_opts) {
  auto handler = sys.spawn(handle_client);
  auto server = mas::channel::start_server(
    sys, addr, mas::channel::serve_by_actor(handler), server_opts);
  if (!server)
    return report(server.error());
  auto ok = channel_client(sys, server->local_endpoint(), client_opts);
  server->wait_closed();
  caf::anon_send_exit(handler, caf::exit_reason::user_shutdown);
  return ok;
}

// -- RPC over TLS -------------------------------------------------------------

std::int64_t add(std::int64_t a, std::int64_t b) {
  return a + b;
}

/// Calls `add(3, 4)`; returns the error, if any.
caf::error rpc_client(caf::actor_system& sys, const mas::net::endpoint& addr,
                      const mas::channel::options& opts) {
  auto rpc_con = mas::rpc::open_connection(sys, addr, opts);
  if (!rpc_con)
    return std::move(rpc_con.error());
  caf::error result;
  caf::scoped_actor self{sys};
  rpc_con->remote.call(self.ptr(), "add", 3, 4)
    .receive(
      [](value& rep) {
        std::cout << "What’s 3 + 4? " << py_str(rep) << std::endl;
      },
      [&](caf::error& err) { result = std::move(err); });
  mas::channel::close_and_wait(rpc_con->channel);
  return result;
}

/// Connects with a client certificate the server does not trust and returns
/// the error that ends the connection, or none if the server accepted it.
caf::error untrusted_client(caf::actor_system& sys,
                            const mas::net::endpoint& addr,
                            const mas::channel::options& opts) {
  // With TLS 1.2 the handshake fails and so does the connect. With TLS 1.3
  // the client finishes its handshake first; the server's alert then ends
  // the connection, which a monitor sees.
  auto rpc_con = mas::rpc::open_connection(sys, addr, opts);
  if (!rpc_con)
    return std::move(rpc_con.error());
  caf::error result;
  caf::scoped_actor self{sys};
  self->monitor(rpc_con->channel);
  self->receive([&](caf::down_msg& msg) { result = std::move(msg.reason); },
                caf::after(10s) >> [] {});
  if (!result)
    mas::channel::close_and_wait(rpc_con->channel);
  return result;
}

bool run_rpc(caf::actor_system& sys, const mas::net::endpoint& addr,
             const mas::channel::options& server_opts,
             const mas::channel::options& client_opts,
             const mas::channel::options* untrusted_opts) {
  auto math = mas::rpc::service::make();
  math->expose("add", add, {"a", "b"});
  auto server = mas::rpc::start_server(sys, addr, math, nullptr, server_opts);
  if (!server)
    return report(server.error());
  auto ok = true;
  if (auto err = rpc_client(sys, server->local_endpoint(), client_opts))
    ok = report(err);
  if (ok && untrusted_opts != nullptr) {
    // The server requires client certificates signed by its CA.
    if (auto err
        = untrusted_client(sys, server->local_endpoint(), *untrusted_opts)) {
      std::cout << "client certificate from another CA: rejected ("
                << mas::error_text(err) << ")" << std::endl;
    } else {
      std::cerr << "tls_rpc: the server accepted an untrusted client\n";
      ok = false;
    }
  }
  server->wait_closed();
  return ok;
}

} // namespace

int main(int argc, char** argv) {
  auto addr = mas::net::endpoint::tcp("127.0.0.1", 0);
  mas::net::ssl_certs server_certs;
  mas::net::ssl_certs client_certs;
  mas::net::ssl_certs untrusted_certs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        usage_error("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    } else if (arg == "--version") {
      std::cout << "tls_rpc (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if (arg == "--ca") {
      server_certs.cafile = client_certs.cafile = next();
    } else if (arg == "--cert") {
      server_certs.certfile = client_certs.certfile = next();
    } else if (arg == "--key") {
      server_certs.keyfile = client_certs.keyfile = next();
    } else if (arg == "--certs") {
      auto dir = next() + "/";
      server_certs = {dir + "ca.pem", dir + "server.pem", dir + "server.key"};
      client_certs = {dir + "ca.pem", dir + "client.pem", dir + "client.key"};
      if (exists(dir + "other-client.pem"))
        untrusted_certs = {dir + "ca.pem", dir + "other-client.pem",
                           dir + "other-client.key"};
    } else if (arg == "--addr") {
      auto parsed = mas::net::endpoint::parse(next());
      if (!parsed || !parsed->is_tcp())
        usage_error("--addr expects HOST:PORT (TLS needs TCP)");
      addr = *parsed;
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  if (server_certs.cafile.empty() || server_certs.certfile.empty()
      || server_certs.keyfile.empty())
    usage_error("give --ca, --cert and --key, or --certs DIR");
  mas::channel::options server_opts;
  mas::channel::options client_opts;
  mas::channel::options untrusted_opts;
  try {
    // TLS 1.2 or newer, ECDH+AESGCM, certificates required on both sides;
    // the client also checks that the server certificate matches the host.
    server_opts.transport.tls = mas::net::make_ssl_server_context(
      server_certs.cafile, server_certs.certfile, server_certs.keyfile);
    client_opts.transport.tls = mas::net::make_ssl_client_context(
      client_certs.cafile, client_certs.certfile, client_certs.keyfile);
    if (!untrusted_certs.certfile.empty())
      untrusted_opts.transport.tls
        = mas::net::ssl_context::client(untrusted_certs);
  } catch (const mas::net::tls_error& e) {
    std::cerr << "tls_rpc: " << e.what() << "\n";
    return 1;
  }
  caf::actor_system_config cfg;
  mas::configure(cfg);
  caf::actor_system sys{cfg};
  sys.await_actors_before_shutdown(false);
  auto ok
    = run_channel(sys, addr, server_opts, client_opts)
      && run_rpc(sys, addr, server_opts, client_opts,
                 untrusted_opts.transport.tls ? &untrusted_opts : nullptr);
  return ok ? 0 : 1;
}
