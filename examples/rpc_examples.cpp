// rpc_examples: the examples of the aiomas docs' RPC chapter ("The RPC
// layer"), one subcommand each. Every example starts its server and runs
// its client in the same process over 127.0.0.1 and prints what the docs
// print (`rpc_examples --help` lists them). The bi-directional example lives
// in rpc_callback_server.cpp and rpc_callback_client.cpp.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "mas/all.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/service.hpp"
#include "mas/version.hpp"

namespace {

using namespace std::chrono_literals;
using mas::rpc::service;
using mas::wire::value;

/// How long the examples wait for a callback of the server.
constexpr auto wait_timeout = 10s;

// -- helpers ------------------------------------------------------------------

/// Python's `str(x)`, which `print` shows: strings without quotes, anything
/// else as its repr.
std::string py_str(const value& x) {
  return x.is_string() ? x.as_string() : mas::wire::to_string(x);
}

bool report(const caf::error& err) {
  std::cerr << "rpc_examples: " << mas::error_text(err) << "\n";
  return false;
}

/// What every example gets: the actor system, where to listen (port 0 picks
/// a free port) and the connection options (the codec).
struct setup {
  caf::actor_system& sys;
  mas::net::endpoint addr;
  mas::channel::options opts;
};

/// Serves `root` (reporting connections to `on_client`), runs `client`
/// against it and closes the server.
bool serve(const setup& env, std::shared_ptr<service> root,
           const std::function<bool(const mas::net::endpoint&)>& client,
           mas::rpc::client_connected on_client = nullptr) {
  auto server = mas::rpc::start_server(env.sys, env.addr, std::move(root),
                                       std::move(on_client), env.opts);
  if (!server)
    return report(server.error());
  // With port 0 the client needs the port the OS chose.
  auto ok = client(server->local_endpoint());
  server->wait_closed();
  return ok;
}

// -- basics -------------------------------------------------------------------

/// aiomas's `class MathServer` with `router = aiomas.rpc.Service()`: a class
/// derived from `service` is a service class; each instance is the root
/// node of its own router.
class math_server : public service {
public:
  math_server() : service("__main__.MathServer") {
    // aiomas's @expose: only exposed methods can be called by clients.
    expose("add", [this](std::int64_t a, std::int64_t b) { return add(a, b); },
           {"a", "b"});
  }

  std::int64_t add(std::int64_t a, std::int64_t b) const {
    return a + b;
  }
};

/// aiomas's `client()`: calls the server's `add()` method.
bool add_client(const setup& env, const mas::net::endpoint& addr) {
  // Connect to the RPC server and get an rpc::client:
  auto rpc_con = mas::rpc::open_connection(env.sys, addr, env.opts);
  if (!rpc_con)
    return report(rpc_con.error());
  // `remote` is a proxy to the remote service; call its add() method:
  bool ok = true;
  caf::scoped_actor self{env.sys};
  rpc_con->remote.call(self.ptr(), "add", 3, 4)
    .receive(
      [](value& rep) {
        std::cout << "What’s 3 + 4? " << py_str(rep) << std::endl;
      },
      [&](caf::error& err) { ok = report(err); });
  mas::channel::close_and_wait(rpc_con->channel);
  return ok;
}

bool basics(const setup& env) {
  // Start the RPC server with an instance of the math_server service:
  return serve(
    env, std::make_shared<math_server>(),
    [&](const mas::net::endpoint& addr) { return add_client(env, addr); });
}

// -- service-dict -------------------------------------------------------------

/// A plain function; exposed in a service built like a dict.
std::int64_t add(std::int64_t a, std::int64_t b) {
  return a + b;
}

bool service_dict(const setup& env) {
  // aiomas.rpc.ServiceDict({'add': add}):
  auto math_service = service::make();
  math_service->expose("add", add, {"a", "b"});
  // The client stays the same as in the last example:
  return serve(env, math_service, [&](const mas::net::endpoint& addr) {
    return add_client(env, addr);
  });
}

// -- hierarchy ----------------------------------------------------------------

/// A sub-service for addition (dict-like).
std::shared_ptr<service> make_adding_service() {
  auto adding_service = service::make();
  adding_service->expose("add", add, {"a", "b"});
  return adding_service;
}

/// A sub-service for subtraction (class-based).
class sub_service : public service {
public:
  sub_service() : service("__main__.SubService") {
    expose("sub", [this](std::int64_t a, std::int64_t b) { return sub(a, b); },
           {"a", "b"});
  }

  std::int64_t sub(std::int64_t a, std::int64_t b) const {
    return a - b;
  }
};

/// The client of the hierarchy examples: calls a function of each
/// sub-service.
bool hierarchy_client(const setup& env, const mas::net::endpoint& addr) {
  auto rpc_con = mas::rpc::open_connection(env.sys, addr, env.opts);
  if (!rpc_con)
    return report(rpc_con.error());
  bool ok = true;
  caf::scoped_actor self{env.sys};
  auto print = [](const char* question) {
    return [question](value& rep) {
      std::cout << question << ' ' << py_str(rep) << std::endl;
    };
  };
  auto on_error = [&](caf::error& err) { ok = report(err); };
  // Call the addition service (the path "addition/add"):
  rpc_con->remote["addition"]
    .call(self.ptr(), "add", 3, 4)
    .receive(print("What’s 3 + 4?"), on_error);
  // Call the subtraction service:
  rpc_con->remote["subtraction"]
    .call(self.ptr(), "sub", 4, 3)
    .receive(print("What’s 4 - 3?"), on_error);
  mas::channel::close_and_wait(rpc_con->channel);
  return ok;
}

bool hierarchy(const setup& env) {
  // Service dict with two sub-services:
  auto root_service = service::make();
  root_service->add("addition", make_adding_service());
  root_service->add("subtraction", std::make_shared<sub_service>());
  return serve(env, root_service, [&](const mas::net::endpoint& addr) {
    return hierarchy_client(env, addr);
  });
}

// -- router-add ---------------------------------------------------------------

/// aiomas's `class RootService` that composes its hierarchy on the fly with
/// `router.add()` and `router.set_sub_router()`. Sub-services attach to a
/// parent that a shared_ptr already owns (they keep a weak reference to it
/// for their path), so `make` adds them after construction.
class root_service : public service {
public:
  root_service() : service("__main__.RootService") {
    // In contrast to the hierarchy example, no sub-services are given up
    // front.
  }

  static std::shared_ptr<root_service> make() {
    auto result = std::make_shared<root_service>();
    // aiomas: self.addition = adding_service; self.router.add('addition')
    result->add("addition", make_adding_service());
    // aiomas: self.router.set_sub_router(self.subtraction.router, ...)
    result->add("subtraction", std::make_shared<sub_service>());
    return result;
  }
};

bool router_add(const setup& env) {
  // The client remains the same.
  return serve(env, root_service::make(), [&](const mas::net::endpoint& addr) {
    return hierarchy_client(env, addr);
  });
}

// -- remote-exception ---------------------------------------------------------

bool remote_exception(const setup& env) {
  auto failing = service::make();
  failing->expose("fail_badly", [] {
    throw mas::rpc::exception("ValueError", "\"spam\" is not a number");
  });
  auto client = [&](const mas::net::endpoint& addr) {
    auto rpc_con = mas::rpc::open_connection(env.sys, addr, env.opts);
    if (!rpc_con)
      return report(rpc_con.error());
    bool ok = true;
    caf::scoped_actor self{env.sys};
    rpc_con->remote.call(self.ptr(), "fail_badly")
      .receive(
        [&](value&) {
          std::cerr << "rpc_examples: fail_badly did not fail\n";
          ok = false;
        },
        [&](caf::error& err) {
          // aiomas.RemoteException: the peer's address and its error text
          // (a traceback ending with a newline, which error_text drops).
          if (mas::is(err, mas::errc::remote_exception))
            std::cout << "Origin: " << mas::remote_origin(err) << "\n"
                      << "Traceback: " << mas::error_text(err) << "\n"
                      << std::endl;
          else
            ok = report(err);
        });
    mas::channel::close_and_wait(rpc_con->channel);
    return ok;
  };
  return serve(env, failing, client);
}

// -- connected-clients --------------------------------------------------------

bool connected_clients(const setup& env) {
  auto empty = service::make(); // aiomas.rpc.ServiceDict({})
  std::promise<void> connected;
  // Runs on the server's accept thread once for each new connection.
  auto client_connected_cb = [&](const mas::rpc::client& rpc_client) {
    std::cout << "Client connected: <mas::rpc::client with channel #"
              << rpc_client.channel.id() << ">" << std::endl;
    connected.set_value();
  };
  auto client = [&](const mas::net::endpoint& addr) {
    auto rpc_con = mas::rpc::open_connection(env.sys, addr, env.opts);
    if (!rpc_con)
      return report(rpc_con.error());
    mas::channel::close_and_wait(rpc_con->channel);
    // Unlike aiomas's callback, ours may still be running at this point.
    if (connected.get_future().wait_for(wait_timeout)
        != std::future_status::ready) {
      std::cerr << "rpc_examples: the callback did not run\n";
      return false;
    }
    return true;
  };
  return serve(env, empty, client, client_connected_cb);
}

// -- connection-loss ----------------------------------------------------------

/// aiomas's `class Server` that keeps a list of its clients and closes them
/// all when a client calls `close_connection()`.
class closing_server : public service {
public:
  closing_server() : service("__main__.Server") {
    expose("close_connection",
           [this](mas::rpc::call_context& ctx) { close_connection(ctx); });
  }

  /// *Client connected cb.* that adds new clients to the list. Runs on
  /// the server's accept thread, while exposed functions run on CAF's I/O
  /// thread: the mutex is needed.
  void client_connected(const mas::rpc::client& client) {
    std::lock_guard<std::mutex> guard{mtx_};
    clients_.push_back(client);
  }

  /// Closes all open connections and removes them from the list.
  void close_connection(mas::rpc::call_context& ctx) {
    // aiomas closes the connection before this call could return, so the
    // caller only sees the connection go. Deferring keeps this call from
    // being answered first; the connection closes with it unanswered.
    ctx.defer();
    std::lock_guard<std::mutex> guard{mtx_};
    while (!clients_.empty()) {
      caf::anon_send(clients_.back().channel, caf::close_atom_v);
      clients_.pop_back();
    }
  }

private:
  std::mutex mtx_;
  std::vector<mas::rpc::client> clients_;
};

/// The state of `client_list`: the connections of the server's clients.
struct client_list_state {
  std::vector<caf::actor> clients;
  static inline const char* name = "client_list";
};

/// The clients a server knows, kept in an actor that monitors each
/// connection: that is how C++ learns about lost connections (aiomas's
/// `RpcClient.on_connection_reset`). Tells `observer` about each loss.
caf::behavior client_list(caf::stateful_actor<client_list_state>* self,
                          caf::actor observer) {
  // A connection actor terminates with `connection_reset` when the
  // connection is lost; monitors then get a down message.
  self->set_down_handler([=](caf::down_msg& msg) {
    std::cout << "Client disconnected :(" << std::endl;
    auto& xs = self->state.clients;
    xs.erase(std::remove(xs.begin(), xs.end(), msg.source), xs.end());
    self->send(observer, caf::ok_atom_v);
  });
  return {
    [=](caf::join_atom, const caf::actor& client) {
      self->monitor(client);
      std::cout << "Client connected :)" << std::endl;
      self->state.clients.push_back(client);
    },
  };
}

bool connection_loss(const setup& env) {
  // 1. The server closes the connection while the client calls it.
  auto server_service = std::make_shared<closing_server>();
  auto client = [&](const mas::net::endpoint& addr) {
    auto rpc_con = mas::rpc::open_connection(env.sys, addr, env.opts);
    if (!rpc_con)
      return report(rpc_con.error());
    bool ok = true;
    caf::scoped_actor self{env.sys};
    // The server will close the connection when we make the following call:
    rpc_con->remote.call(self.ptr(), "close_connection")
      .receive(
        [&](value&) {
          std::cerr << "rpc_examples: close_connection returned\n";
          ok = false;
        },
        [&](caf::error& err) {
          if (mas::is(err, mas::errc::connection_reset))
            std::cout << "Connection lost :(" << std::endl;
          else
            ok = report(err);
        });
    return ok;
  };
  auto ok = serve(env, server_service, client,
                  [server_service](const mas::rpc::client& x) {
                    server_service->client_connected(x);
                  });
  if (!ok)
    return false;
  // 2. The server learns that a client disconnected.
  caf::scoped_actor self{env.sys};
  auto clients = env.sys.spawn(client_list, caf::actor_cast<caf::actor>(self));
  auto client_connected = [clients](const mas::rpc::client& x) {
    caf::anon_send(clients, caf::join_atom_v,
                   caf::actor_cast<caf::actor>(x.channel));
  };
  auto disconnecting_client = [&](const mas::net::endpoint& addr) {
    auto rpc_con = mas::rpc::open_connection(env.sys, addr, env.opts);
    if (!rpc_con)
      return report(rpc_con.error());
    mas::channel::close_and_wait(rpc_con->channel);
    bool seen = false;
    self->receive([&](caf::ok_atom) { seen = true; },
                  caf::after(wait_timeout) >> [] {});
    if (!seen)
      std::cerr << "rpc_examples: the server missed the disconnect\n";
    return seen;
  };
  ok = serve(env, service::make("__main__.Server"), disconnecting_client,
             client_connected);
  self->send_exit(clients, caf::exit_reason::user_shutdown);
  return ok;
}

// -- main ---------------------------------------------------------------------

struct example {
  const char* name;
  const char* summary;
  bool (*run)(const setup&);
};

const example examples[] = {
  {"basics", "MathServer.add(3, 4) on a class-based service", basics},
  {"service-dict", "the same with a plain function in a service dict",
   service_dict},
  {"hierarchy", "sub-services addition/add and subtraction/sub", hierarchy},
  {"router-add", "the same hierarchy, composed after construction", router_add},
  {"remote-exception", "fail_badly() raises; prints Origin and Traceback",
   remote_exception},
  {"connected-clients", "a client connected callback on the server",
   connected_clients},
  {"connection-loss", "lost connections, seen by the client and the server",
   connection_loss},
};

void print_usage() {
  std::cout << "usage: rpc_examples [OPTIONS] EXAMPLE...\n\n"
               "Runs examples of the aiomas docs' RPC chapter; each starts "
               "its server and\nclient in this process over 127.0.0.1.\n\n"
               "examples:\n";
  for (auto& x : examples) {
    std::string name = x.name;
    name.resize(20, ' ');
    std::cout << "  " << name << x.summary << "\n";
  }
  std::cout << "  all                 every example in this order\n\n"
               "options:\n"
               "  --port N            server port (default 0: a free port)\n"
               "  --codec NAME        json (default), msgpack or "
               "msgpack-blosc\n"
               "  -h, --help          show this text\n"
               "  --version           print \"rpc_examples (libmas) "
               "VERSION\"\n";
}

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "rpc_examples: " << what << "\n(see --help)\n";
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 0;
  mas::channel::options opts;
  std::vector<const example*> selected;
  auto select = [&](const std::string& name) {
    if (name == "all") {
      for (auto& x : examples)
        selected.push_back(&x);
      return;
    }
    auto i = std::find_if(std::begin(examples), std::end(examples),
                          [&](const example& x) { return name == x.name; });
    if (i == std::end(examples))
      usage_error("unknown example '" + name + "'");
    selected.push_back(&*i);
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        usage_error("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      print_usage();
      return 0;
    } else if (arg == "--version") {
      std::cout << "rpc_examples (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if (arg == "--port") {
      auto str = next();
      char* end = nullptr;
      auto n = std::strtoul(str.c_str(), &end, 10);
      if (str.empty() || *end != '\0' || n > 65535)
        usage_error("--port expects a number in [0, 65535]");
      port = static_cast<std::uint16_t>(n);
    } else if (arg == "--codec") {
      auto name = next();
      auto kind = mas::wire::parse_codec_kind(name);
      if (!kind)
        usage_error("unknown codec '" + name + "'");
      opts.codec = *kind;
    } else if (!arg.empty() && arg[0] == '-') {
      usage_error("unknown option " + arg);
    } else {
      select(arg);
    }
  }
  if (selected.empty())
    usage_error("no example given");
  caf::actor_system_config cfg;
  mas::configure(cfg);
  caf::actor_system sys{cfg};
  sys.await_actors_before_shutdown(false);
  setup env{sys, mas::net::endpoint::tcp("127.0.0.1", port), opts};
  for (auto x : selected) {
    if (selected.size() > 1)
      std::cout << "-- " << x->name << std::endl;
    if (!x->run(env))
      return 1;
  }
  return 0;
}
