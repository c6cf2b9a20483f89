// channel_echo: the channel-layer examples of the aiomas docs ("The channel
// layer") as one program that runs the servers and the clients in-process.
//
// The client sends 'ohai' and prints the reply. The server prints the
// request, answers it and closes the channel. Three servers run one after
// the other: the first replies 'cya' (`req.reply('cya')`), the second fails
// (`req.fail(ValueError(42))`, the client sees a remote exception), the third
// exchanges a custom type (aiomas's `extra_serializers`).
//
// Output (the port differs):
//
//   ohai
//   cya
//   ohai
//   Got an error: Origin: ('127.0.0.1', 5555)
//   Exception: ValueError: 42
//
//   ['ohai', MyType(42)]
//   MyType('cya')
//
// With --client-first it instead starts the client half a second before the
// server (aiomas's "Connection timeouts" example) and prints "ohai", "cya".

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "example_support.hpp"
#include "mas/all.hpp"
#include "mas/atoms.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/wire/convert.hpp"

namespace {

using namespace std::chrono_literals;
using mas::wire::value;

constexpr const char* usage = R"(usage: channel_echo [OPTIONS]

Runs the channel-layer examples of the aiomas docs: servers and clients in
one process. The client sends 'ohai'; the first server prints it and replies
'cya', the second fails the request with ValueError(42), the third exchanges
a custom type.

options:
  --addr HOST:PORT   TCP endpoint of the servers (default 127.0.0.1:0, i.e.
                     a free port)
  --unix PATH        use a Unix domain socket instead
  --codec NAME       json (default), msgpack or msgpack-blosc
  --client-first     only run the "connection timeouts" example: start the
                     client (timeout 1 s) half a second before the server;
                     needs --unix or an --addr with a fixed port
  -h, --help         show this text
  --version          print "channel_echo (libmas) VERSION"
)";

[[noreturn]] void usage_error(const std::string& what) {
  mas::examples::usage_error("channel_echo", what);
}

/// Python's `str(x)`, which `print` shows: strings without quotes, anything
/// else as its repr.
std::string py_str(const value& x) {
  return x.is_string() ? x.as_string() : mas::wire::to_string(x);
}

/// What the server does with a request.
enum class variant { reply, fail, custom };

// -- custom data types --------------------------------------------------------

/// aiomas's `MyType`, a type the codecs do not know.
struct my_type {
  value x;
};

std::string repr(const my_type& obj) {
  return "MyType(" + mas::wire::to_string(obj.x) + ")";
}

/// aiomas's `EXTRA_SERIALIZERS`: both sides register the same types in the
/// same order, which gives them the same ids.
const std::vector<std::string> extra_serializers = {"MyType"};

/// The ids a connection with `extra_serializers` uses, for converting
/// values outside of it.
std::shared_ptr<const mas::wire::type_registry> make_types() {
  auto types = std::make_shared<mas::wire::type_registry>();
  for (auto& name : extra_serializers)
    types->add(name);
  return types;
}

} // namespace

/// aiomas's `mytype_serializer`: `my_type` travels as
/// `{"__type__": [id, <its value>]}`.
template <>
struct mas::wire::ext_type<my_type> {
  static std::string_view name() {
    return "MyType";
  }

  /// aiomas's `serialize_mytype`.
  static value to_repr(const my_type& obj, const type_registry&) {
    return obj.x;
  }

  /// aiomas's `deserialize_mytype`.
  static my_type from_repr(const value& x, const type_registry&) {
    return my_type{x};
  }
};

namespace {

/// Stands in for aiomas's `req.fail(ValueError(42))`: the channel layer
/// sends the text of a handler's error as a failure reply (prefixed with
/// "Exception: "; a handler cannot choose the Python exception type yet).
caf::error value_error(const std::string& message) {
  return mas::make_error(mas::errc::invalid_argument, "ValueError: " + message);
}

// -- server -------------------------------------------------------------------

/// Answers one request as `how` says; prints what aiomas prints.
caf::expected<value> answer(variant how, const value& content,
                            const mas::wire::type_registry& types) {
  switch (how) {
    case variant::reply:
      std::cout << py_str(content) << std::endl;
      return value{"cya"};
    case variant::fail:
      std::cout << py_str(content) << std::endl;
      return value_error("42");
    case variant::custom:
      break;
  }
  try {
    // ['ohai', MyType(42)]
    auto& xs = content.as_array();
    std::cout << "[" << mas::wire::to_string(xs.at(0)) << ", "
              << repr(mas::wire::from_value<my_type>(xs.at(1), types)) << "]"
              << std::endl;
    return mas::wire::to_value(my_type{"cya"}, types);
  } catch (const std::exception& e) {
    return mas::make_error(mas::errc::invalid_argument, e.what());
  }
}

/// aiomas's `handle_client(channel)`: receives a request, prints its content,
/// replies (or fails) and closes the channel. One actor serves the requests
/// of every connection; the sender of a request is its connection.
caf::behavior handle_client(caf::event_based_actor* self, variant how) {
  auto types = make_types();
  return {
    [=](mas::request_atom, value& content) -> caf::result<value> {
      auto channel = caf::actor_cast<caf::actor>(self->current_sender());
      auto req = self->make_response_promise<value>();
      if (auto result = answer(how, content, *types))
        req.deliver(std::move(*result));
      else
        req.deliver(std::move(result.error()));
      // Sent after the reply from the same actor, so it arrives after it.
      self->send(channel, caf::close_atom_v);
      return req;
    },
  };
}

// -- client -------------------------------------------------------------------

/// aiomas's `client()`: sends a greeting and prints the reply. Tries to
/// connect for `timeout`.
bool client(caf::actor_system& sys, const mas::net::endpoint& addr,
            const mas::channel::options& opts, variant how,
            mas::connect_timeout timeout = 0s) {
  auto channel = mas::channel::open_connection(sys, addr, opts, timeout);
  if (!channel) {
    std::cerr << "channel_echo: " << mas::error_text(channel.error()) << "\n";
    return false;
  }
  auto types = make_types();
  value greeting = "ohai";
  if (how == variant::custom)
    greeting
      = mas::wire::array{"ohai", mas::wire::to_value(my_type{42}, *types)};
  bool ok = true;
  auto on_reply = [&](value& rep) {
    if (how == variant::custom)
      std::cout << repr(mas::wire::from_value<my_type>(rep, *types))
                << std::endl;
    else
      std::cout << py_str(rep) << std::endl;
  };
  auto on_error = [&](caf::error& err) {
    if (mas::is(err, mas::errc::remote_exception)) {
      // aiomas's str(RemoteException): "Origin: ...\n<text>", where the
      // text ends with a newline (error_text drops it).
      std::cout << "Got an error: Origin: " << mas::remote_origin(err) << "\n"
                << mas::error_text(err) << "\n"
                << std::endl;
    } else {
      std::cerr << "channel_echo: " << mas::error_text(err) << "\n";
      ok = false;
    }
  };
  caf::scoped_actor self{sys};
  self->request(*channel, 10s, mas::request_atom_v, std::move(greeting))
    .receive(on_reply, on_error);
  mas::channel::close_and_wait(*channel);
  return ok;
}

// -- one run of a docs example ------------------------------------------------

bool run(caf::actor_system& sys, const mas::net::endpoint& addr,
         mas::channel::options opts, variant how, bool client_first = false) {
  if (how == variant::custom)
    opts.extra_types = extra_serializers;
  auto handler = sys.spawn(handle_client, how);
  auto start_server = [&] {
    return mas::channel::start_server(
      sys, addr, mas::channel::serve_by_actor(handler), opts);
  };
  bool ok = false;
  std::thread background;
  if (client_first) {
    // Start the client in the background, which tries to connect for 1 s,
    // wait half a second and only then start the server.
    background = std::thread{[&] { ok = client(sys, addr, opts, how, 1s); }};
    std::this_thread::sleep_for(500ms);
  }
  auto server = start_server();
  if (client_first)
    background.join();
  if (!server) {
    std::cerr << "channel_echo: " << mas::error_text(server.error()) << "\n";
    return false;
  }
  // With port 0 the client needs the port the OS chose.
  if (!client_first)
    ok = client(sys, server->local_endpoint(), opts, how);
  server->wait_closed();
  caf::anon_send_exit(handler, caf::exit_reason::user_shutdown);
  return ok;
}

} // namespace

int main(int argc, char** argv) {
  auto addr = mas::net::endpoint::tcp("127.0.0.1", 0);
  mas::channel::options opts;
  bool client_first = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    }
    if (arg == "--version")
      return mas::examples::print_version("channel_echo");
    if (mas::examples::parse_connection_flag_or_exit(
          "channel_echo", argc, argv, i, addr, opts,
          mas::examples::tls_role::none))
      continue;
    if (arg == "--client-first") {
      client_first = true;
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  if (client_first && addr.is_tcp() && addr.port == 0)
    usage_error("--client-first needs --unix or an --addr with a fixed port");
  caf::actor_system_config cfg;
  mas::configure(cfg);
  caf::actor_system sys{cfg};
  sys.await_actors_before_shutdown(false);
  bool ok = false;
  if (client_first) {
    ok = run(sys, addr, opts, variant::reply, true);
  } else {
    ok = run(sys, addr, opts, variant::reply)
         && run(sys, addr, opts, variant::fail)
         && run(sys, addr, opts, variant::custom);
  }
  if (!addr.is_tcp())
    std::remove(addr.path.c_str());
  return ok ? 0 : 1;
}
