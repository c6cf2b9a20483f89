#pragma once

// What the example programs share: usage errors, the connection flags
// (--addr, --unix, --codec, --tls) and serving until SIGTERM/SIGINT.

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/service.hpp"

#include "mas/all.hpp"
#include "mas/net/endpoint.hpp"
#include "mas/net/tls.hpp"
#include "mas/version.hpp"
#include "mas/wire/codec.hpp"

namespace mas::examples {

/// Prints `prog: what (see --help)` and exits with status 2.
[[noreturn]] inline void usage_error(const char* prog,
                                     const std::string& what) {
  std::cerr << prog << ": " << what << "\n(see --help)\n";
  std::exit(2);
}

/// Prints `prog (libmas) VERSION` (the answer to `--version`) and returns 0.
inline int print_version(const char* prog) {
  std::cout << prog << " (libmas) " MAS_VERSION_STRING "\n";
  return 0;
}

/// Which TLS context `--tls CA CERT KEY` builds.
enum class tls_role { none, server, client };

/// Parses `argv[i]` if it is one of the shared flags (consuming its values
/// by advancing `i`) and returns true; returns false for other arguments.
/// @throws std::invalid_argument for a missing or bad value, and
///         net::tls_error if the TLS files cannot be loaded.
inline bool parse_connection_flag(int argc, char** argv, int& i,
                                  net::endpoint& ep, channel::options& opts,
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
    opts.transport.tls = role == tls_role::server
                           ? net::make_ssl_server_context(ca, cert, key)
                           : net::make_ssl_client_context(ca, cert, key);
  } else {
    return false;
  }
  return true;
}

/// Like @ref parse_connection_flag, but a bad value ends the program: with
/// a usage error (status 2), or status 1 if the TLS files cannot be loaded.
inline bool parse_connection_flag_or_exit(const char* prog, int argc,
                                          char** argv, int& i,
                                          net::endpoint& ep,
                                          channel::options& opts,
                                          tls_role role) {
  try {
    return parse_connection_flag(argc, argv, i, ep, opts, role);
  } catch (const std::invalid_argument& e) {
    usage_error(prog, e.what());
  } catch (const net::tls_error& e) {
    std::cerr << prog << ": " << e.what() << "\n";
    std::exit(1);
  }
}

/// Serves `root` on `ep` and prints "listening on <endpoint>" and "ready";
/// returns 0 once SIGTERM or SIGINT arrives, 1 if it cannot listen.
inline int serve_until_signal(const char* prog, const net::endpoint& ep,
                              std::shared_ptr<rpc::service> root,
                              channel::options opts) {
  // Block the signals in every thread (CAF's threads inherit the mask);
  // this thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system sys{cfg};
  sys.await_actors_before_shutdown(false);
  auto srv
    = rpc::start_server(sys, ep, std::move(root), nullptr, std::move(opts));
  if (!srv) {
    std::cerr << prog << ": " << error_text(srv.error()) << "\n";
    return 1;
  }
  std::cout << "listening on " << srv->local_endpoint().to_string() << "\n"
            << "ready" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  srv->close();
  return 0;
}

/// The `--help` text of the flags and behavior @ref serve_main adds.
inline constexpr const char* serve_main_help = R"(options:
  --addr HOST:PORT        listen on TCP (default 127.0.0.1:5555; port 0 picks
                          a free port, printed on the "listening on" line)
  --unix PATH             listen on a Unix domain socket instead
  --codec NAME            json (default), msgpack or msgpack-blosc
  --tls CA CERT KEY       require TLS with client certificates (aiomas's
                          make_ssl_server_context)
  -h, --help              show this text
  --version               print "PROGRAM (libmas) VERSION"

Once it listens it prints "listening on <endpoint>" (with the chosen port) and
then "ready", each on one line; exits with status 0 on SIGTERM or SIGINT.
)";

/// The whole `main` of an example server: parses `--help` (printing
/// `usage`, then @ref serve_main_help), `--version` and the shared flags, then
/// serves `root` until SIGTERM/SIGINT (see @ref serve_until_signal).
inline int serve_main(const char* prog, const char* usage, int argc,
                      char** argv, std::shared_ptr<rpc::service> root) {
  auto ep = net::endpoint::tcp("127.0.0.1", 5555);
  channel::options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage << serve_main_help;
      return 0;
    }
    if (arg == "--version")
      return print_version(prog);
    if (!parse_connection_flag_or_exit(prog, argc, argv, i, ep, opts,
                                       tls_role::server))
      usage_error(prog, "unknown argument " + arg);
  }
  return serve_until_signal(prog, ep, std::move(root), std::move(opts));
}

} // namespace mas::examples
