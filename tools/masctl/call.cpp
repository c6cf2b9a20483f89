// masctl call: one aiomas RPC from the shell (think grpcurl for aiomas and
// mosaik services).

#include <cctype>
#include <chrono>
#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "mas/all.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/wire/readable.hpp"
#include "masctl.hpp"

namespace mas::masctl {

namespace {

constexpr int exit_remote_failure = 1;
constexpr int exit_usage = 2;
constexpr int exit_connection = 3;

/// `str` in double quotes for a message, shortened if long.
std::string quoted(const std::string& str) {
  constexpr std::size_t max_shown = 60;
  if (str.size() <= max_shown)
    return '"' + str + '"';
  return '"' + str.substr(0, max_shown) + "...\" (" + std::to_string(str.size())
         + " bytes)";
}

/// For an ARG that is not JSON but a bare word (`four`), reminds that a
/// string needs JSON quotes.
std::string bare_word_hint(const std::string& arg, const wire::wire_error& e) {
  if (e.code() != wire::errc::invalid_json || arg.empty())
    return {};
  for (auto c : arg)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-'
        && c != '.')
      return {};
  return " (a string needs JSON quotes: '\"" + arg + "\"')";
}

} // namespace

int run_call(const options& opts) {
  auto ep = net::endpoint::parse(opts.args[0]);
  if (!ep) {
    std::cerr << "masctl: invalid ADDR '" << opts.args[0]
              << "' (HOST:PORT, [IPV6]:PORT or unix:PATH)\n";
    return exit_usage;
  }
  auto& path = opts.args[1];
  wire::array args;
  wire::dict kwargs;
  for (std::size_t i = 2; i < opts.args.size(); ++i) {
    try {
      args.push_back(wire::from_readable_json(opts.args[i]));
    } catch (const wire::wire_error& e) {
      std::cerr << "masctl: argument " << i - 1 << " of " << path << " ("
                << quoted(opts.args[i]) << "): " << e.what()
                << bare_word_hint(opts.args[i], e) << "\n";
      return exit_usage;
    }
  }
  if (opts.kwargs) {
    try {
      auto kw = wire::from_readable_json(*opts.kwargs);
      if (!kw.is_dict() || !kw.as_dict().has_only_string_keys()) {
        std::cerr << "masctl: --kwargs (" << quoted(*opts.kwargs)
                  << "): must be a JSON object with string keys\n";
        return exit_usage;
      }
      kwargs = std::move(kw.as_dict());
    } catch (const wire::wire_error& e) {
      std::cerr << "masctl: --kwargs (" << quoted(*opts.kwargs)
                << "): " << e.what() << "\n";
      return exit_usage;
    }
  }
  channel::options copts;
  copts.codec = opts.codec;
  copts.transport.max_frame_size = opts.max_frame_size;
  if (!opts.tls.empty()) {
    try {
      copts.transport.tls
        = net::make_ssl_client_context(opts.tls[0], opts.tls[1], opts.tls[2]);
    } catch (const net::tls_error& e) {
      std::cerr << "masctl: " << e.what() << "\n";
      return exit_usage;
    }
  }
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system sys{cfg};
  sys.await_actors_before_shutdown(false);
  auto timeout = std::chrono::duration<double>{opts.timeout};
  auto client
    = rpc::open_connection(sys, *ep, std::move(copts), std::chrono::seconds{0});
  if (!client) {
    std::cerr << "masctl: " << error_text(client.error()) << "\n";
    return exit_connection;
  }
  int status = 0;
  caf::scoped_actor self{sys};
  self
    ->request(client->channel,
              std::chrono::duration_cast<caf::timespan>(timeout), call_atom_v,
              path, std::move(args), std::move(kwargs))
    .receive(
      [&](wire::value& result) {
        std::cout << wire::to_readable_json(result) << std::endl;
      },
      [&](caf::error& err) {
        if (is(err, errc::remote_exception)) {
          std::cerr << error_text(err);
          status = exit_remote_failure;
        } else if (is(err, errc::not_serializable)) {
          std::cerr << "masctl: " << error_text(err) << "\n";
          status = exit_usage;
        } else {
          std::cerr << "masctl: " << error_text(err) << "\n";
          status = exit_connection;
        }
      });
  self->send_exit(client->channel, caf::exit_reason::user_shutdown);
  return status;
}

} // namespace mas::masctl
