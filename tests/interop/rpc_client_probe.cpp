// interop_rpc_client_probe: a libmas RPC client driven by the interop tests
// (tests/interop/test_rpc_*.py) against Python aiomas RPC servers.
//
// usage: interop_rpc_client_probe ENDPOINT CODEC SCENARIO [OPTIONS]
//
// ENDPOINT is HOST:PORT, [IPV6]:PORT or unix:PATH; CODEC json, msgpack or
// msgpack-blosc. Every result is one line of readable-form JSON (see
// mas/wire/readable.hpp) on stdout, e.g.
//
//   {"op": "call", "ok": true, "result": 7}
//   {"op": "call", "ok": false, "errc": "remote_exception", "text": "...",
//    "origin": "('127.0.0.1', 5555)"}
//
// Scenarios:
//   calls              reads steps (readable JSON objects, one per line) from
//                      stdin and runs them in order on one connection:
//                        {"op": "call", "path": P, "args": [...],
//                         "kwargs": {...}}
//                        {"op": "big", "path": P, "send": N, "expect": M,
//                         "bytes": B}   sends pattern(N) (or, with N = 0,
//                                       the int M) and compares the result
//                                       with pattern(M)
//                        {"op": "concurrent", "path": P, "count": N,
//                         "delay": S}   N calls P(i, delay=(N-i)*S) from one
//                                       actor, all in flight at once
//   pending_then_kill  sends --count calls slow(i, delay=3600) from one
//                      actor, prints {"op": "pending"} once they are sent,
//                      then one line per call as it ends and one for the
//                      connection's exit reason
//   callback           serves a local service (get_client_name, fail,
//                      math/mul) and calls the server's server_method,
//                      callback_check and callback_many with references to it
//   tls_reject         connects and reports how the connection ended
//   garbage            --count rounds of: connect, call echo("bad") (the
//                      peer answers garbage), then connect again and call
//                      echo("good"); reports each call and connection end
//
// Exit status: 0 once the scenario ran (the test judges the lines), 2 on
// usage errors, 3 if a scenario could not connect.

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "mas/all.hpp"
#include "mas/atoms.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/service.hpp"
#include "mas/version.hpp"
#include "mas/wire/readable.hpp"

namespace {

using mas::wire::array;
using mas::wire::dict;
using mas::wire::value;
using clock_type = std::chrono::steady_clock;

constexpr int exit_usage = 2;
constexpr int exit_connect = 3;

constexpr const char* usage
  = "usage: interop_rpc_client_probe ENDPOINT CODEC SCENARIO [--tls CA CERT "
    "KEY]\n"
    "                                 [--count N] [--name NAME]\n"
    "                                 | -h | --help | --version\n"
    "scenarios: calls, pending_then_kill, callback, tls_reject, garbage\n";

// -- output -------------------------------------------------------------------

std::mutex out_mtx;

/// Prints one result line (readable JSON) and flushes it.
void emit(const dict& line) {
  auto text = mas::wire::to_readable_json(value{line});
  std::lock_guard<std::mutex> guard{out_mtx};
  std::cout << text << std::endl;
}

/// The name of an error: the errc name for libmas errors.
std::string errc_name(const caf::error& err) {
  if (err.category() == caf::atom("mas"))
    return mas::to_string(static_cast<mas::errc>(err.code()));
  return caf::to_string(err);
}

/// Adds `errc`, `text` and (for remote failures) `origin` to `line`.
void describe_error(dict& line, const caf::error& err) {
  line.insert_or_assign("ok", false);
  line.insert_or_assign("errc", errc_name(err));
  line.insert_or_assign("text", mas::error_text(err));
  if (mas::is(err, mas::errc::remote_exception))
    line.insert_or_assign("origin", mas::remote_origin(err));
}

/// The result line of one step.
dict outcome(const std::string& op, const caf::expected<value>& res) {
  dict line{{"op", op}};
  if (res) {
    line.insert_or_assign("ok", true);
    line.insert_or_assign("result", *res);
  } else {
    describe_error(line, res.error());
  }
  return line;
}

/// The test pattern for big payloads: 'a'..'z' repeated (Python:
/// `''.join(chr(97 + i % 26) for i in range(n))`).
std::string pattern(std::size_t n) {
  std::string result(n, 'a');
  for (std::size_t i = 0; i < n; ++i)
    result[i] = static_cast<char>('a' + i % 26);
  return result;
}

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start)
    .count();
}

// -- options ------------------------------------------------------------------

struct probe_options {
  mas::net::endpoint ep;
  mas::wire::codec_kind codec = mas::wire::codec_kind::json;
  std::string scenario;
  std::vector<std::string> tls;
  std::size_t count = 16;
  std::string name = "Monty";
};

mas::channel::options make_connection_options(const probe_options& po) {
  mas::channel::options opts;
  opts.codec = po.codec;
  if (!po.tls.empty())
    opts.transport.tls
      = mas::net::make_ssl_client_context(po.tls[0], po.tls[1], po.tls[2]);
  return opts;
}

/// Connects or reports the failure as `{"op": "connect", ...}`.
caf::expected<mas::rpc::client>
connect(caf::actor_system& sys, const probe_options& po,
        mas::channel::options opts,
        std::shared_ptr<mas::rpc::service> router = nullptr) {
  auto client = mas::rpc::open_connection(sys, po.ep, std::move(opts),
                                          std::chrono::seconds{0}, router);
  if (!client) {
    dict line{{"op", "connect"}};
    describe_error(line, client.error());
    emit(line);
  }
  return client;
}

// -- one blocking call --------------------------------------------------------

caf::expected<value> call(caf::scoped_actor& self,
                          const mas::rpc::proxy& remote,
                          const std::string& path, array args,
                          dict kwargs = {}) {
  caf::expected<value> result{value{}};
  remote.call_kw(self.ptr(), path, std::move(args), std::move(kwargs))
    .receive([&](value& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

// -- scenario: calls ----------------------------------------------------------

/// Runs `count` calls `path(i, delay=(count-i)*delay)` from one event-based
/// actor and answers with `{"results": [...], "order": [...], "errors":
/// [...]}` once all ended.
caf::behavior concurrent_caller(caf::event_based_actor* self,
                                mas::rpc::proxy remote, std::string path,
                                std::int64_t count, double delay) {
  struct state {
    array results;
    array order;
    array errors;
    std::int64_t open = 0;
    caf::response_promise rp;
  };
  auto st = std::make_shared<state>();
  return {
    [=](mas::request_atom) -> caf::result<value> {
      st->rp = self->make_response_promise<value>();
      st->results.resize(static_cast<std::size_t>(count));
      st->open = count;
      auto finish = [st] {
        if (--st->open == 0)
          st->rp.deliver(value{dict{{"results", st->results},
                                    {"order", st->order},
                                    {"errors", st->errors}}});
      };
      for (std::int64_t i = 0; i < count; ++i) {
        dict kwargs{{"delay", static_cast<double>(count - i) * delay}};
        remote.call_kw(self, path, array{value{i}}, std::move(kwargs))
          .then(
            [st, i, finish](value& x) {
              st->results[static_cast<std::size_t>(i)] = std::move(x);
              st->order.emplace_back(i);
              finish();
            },
            [st, i, finish](caf::error& err) {
              dict e{{"call", i}};
              describe_error(e, err);
              st->errors.emplace_back(std::move(e));
              st->order.emplace_back(i);
              finish();
            });
      }
      return st->rp;
    },
  };
}

int run_calls(caf::actor_system& sys, const probe_options& po) {
  auto client = connect(sys, po, make_connection_options(po));
  if (!client)
    return exit_connect;
  caf::scoped_actor self{sys};
  std::string line_text;
  while (std::getline(std::cin, line_text)) {
    if (line_text.empty())
      continue;
    auto step = mas::wire::from_readable_json(line_text).as_dict();
    auto op = step.find("op")->as_string();
    auto path = step.find("path")->as_string();
    auto start = clock_type::now();
    if (op == "call") {
      auto args = step.find("args") ? step.find("args")->as_array() : array{};
      auto kwargs
        = step.find("kwargs") ? step.find("kwargs")->as_dict() : dict{};
      auto res
        = call(self, client->remote, path, std::move(args), std::move(kwargs));
      auto line = outcome(op, res);
      line.insert_or_assign("path", path);
      emit(line);
    } else if (op == "big") {
      auto send = static_cast<std::size_t>(step.find("send")->as_int64());
      auto expect = static_cast<std::size_t>(step.find("expect")->as_int64());
      bool as_bytes = step.find("bytes") && step.find("bytes")->as_bool();
      array args;
      if (send > 0) {
        auto str = pattern(send);
        if (as_bytes)
          args.emplace_back(mas::wire::bytes::from_string(str));
        else
          args.emplace_back(std::move(str));
      } else {
        args.emplace_back(static_cast<std::int64_t>(expect));
      }
      auto res = call(self, client->remote, path, std::move(args));
      dict line{{"op", op}, {"path", path}};
      if (res) {
        auto want = pattern(expect);
        bool equal = as_bytes ? res->is_bytes()
                                  && res->as_bytes()
                                       == mas::wire::bytes::from_string(want)
                              : res->is_string() && res->as_string() == want;
        line.insert_or_assign("ok", true);
        line.insert_or_assign("equal", equal);
        line.insert_or_assign("type", mas::wire::type_name(*res));
        line.insert_or_assign("size",
                              static_cast<std::int64_t>(
                                res->is_string()  ? res->as_string().size()
                                : res->is_bytes() ? res->as_bytes().data.size()
                                                  : 0));
      } else {
        describe_error(line, res.error());
      }
      line.insert_or_assign("ms", ms_since(start));
      emit(line);
    } else if (op == "concurrent") {
      auto count = step.find("count")->as_int64();
      auto delay = step.find("delay") ? step.find("delay")->as_double() : 0.0;
      auto worker
        = sys.spawn(concurrent_caller, client->remote, path, count, delay);
      dict line{{"op", op}, {"path", path}, {"count", count}};
      self->request(worker, caf::infinite, mas::request_atom_v)
        .receive(
          [&](value& summary) {
            line.insert_or_assign("ok", true);
            for (auto& [key, val] : summary.as_dict())
              line.insert_or_assign(key, val);
          },
          [&](caf::error& err) { describe_error(line, err); });
      line.insert_or_assign("ms", ms_since(start));
      emit(line);
      self->send_exit(worker, caf::exit_reason::user_shutdown);
    } else {
      emit(dict{{"op", op}, {"ok", false}, {"errc", "unknown_op"}});
    }
  }
  self->send_exit(client->channel, caf::exit_reason::user_shutdown);
  emit(dict{{"op", "done"}});
  return 0;
}

// -- scenario: pending_then_kill ----------------------------------------------

/// Sends `count` slow calls at once, tells `observer` `(ok_atom)` once they
/// are sent and then one dict per call as it ends.
caf::behavior pending_caller(caf::event_based_actor* self,
                             mas::rpc::proxy remote, std::int64_t count,
                             caf::actor observer) {
  for (std::int64_t i = 0; i < count; ++i) {
    // Far longer than any test runs: only the connection's end stops them.
    remote.call_kw(self, "slow", array{value{i}}, dict{{"delay", 3600.0}})
      .then(
        [observer, i](value& x) {
          caf::anon_send(observer, value{dict{{"op", "ended"},
                                              {"call", i},
                                              {"ok", true},
                                              {"result", std::move(x)}}});
        },
        [observer, i](caf::error& err) {
          dict line{{"op", "ended"}, {"call", i}};
          describe_error(line, err);
          caf::anon_send(observer, value{std::move(line)});
        });
  }
  caf::anon_send(observer, caf::ok_atom_v);
  return {
    [](caf::ok_atom) {
      // nop (keeps the actor alive while its requests are pending)
    },
  };
}

int run_pending_then_kill(caf::actor_system& sys, const probe_options& po) {
  auto client = connect(sys, po, make_connection_options(po));
  if (!client)
    return exit_connect;
  caf::scoped_actor self{sys};
  self->monitor(client->channel);
  auto count = static_cast<std::int64_t>(po.count);
  auto worker = sys.spawn(pending_caller, client->remote, count,
                          caf::actor_cast<caf::actor>(self));
  auto start = clock_type::now();
  std::int64_t ended = 0;
  bool down = false;
  while (ended < count || !down) {
    self->receive(
      [&](caf::ok_atom) {
        start = clock_type::now();
        emit(dict{{"op", "pending"}, {"count", count}});
      },
      [&](value& x) {
        auto line = std::move(x.as_dict());
        line.insert_or_assign("ms", ms_since(start));
        emit(line);
        ++ended;
      },
      [&](caf::down_msg& dm) {
        dict line{{"op", "down"}};
        describe_error(line, dm.reason);
        line.insert_or_assign("ms", ms_since(start));
        emit(line);
        down = true;
      });
  }
  self->send_exit(worker, caf::exit_reason::user_shutdown);
  emit(dict{{"op", "done"}});
  return 0;
}

// -- scenario: callback -------------------------------------------------------

struct client_services {
  std::shared_ptr<mas::rpc::service> root;
  std::shared_ptr<mas::rpc::service> math;
};

client_services make_client_services(const std::string& name) {
  using mas::rpc::service;
  auto math = service::make("probe.Math");
  math->expose("mul", [](std::int64_t a, std::int64_t b) { return a * b; },
               {"a", "b"});
  auto root = service::make("probe.Client");
  root->expose("get_client_name", [name] { return name; });
  root->expose("fail", []() -> value {
    throw mas::rpc::exception("ValueError", "the client says no");
  });
  // Answers later, from another actor's context (the responder).
  root->expose("later",
               [](mas::rpc::call_context& ctx, std::int64_t x) {
                 auto responder = ctx.defer();
                 responder.deliver(value{x + 1});
               },
               {"x"});
  root->add("math", math);
  return {root, math};
}

int run_callback(caf::actor_system& sys, const probe_options& po) {
  auto svcs = make_client_services(po.name);
  auto client = connect(sys, po, make_connection_options(po), svcs.root);
  if (!client)
    return exit_connect;
  caf::scoped_actor self{sys};
  auto& remote = client->remote;
  auto blocking_call = [&](const std::string& op, auto&&... xs) {
    caf::expected<value> result{value{}};
    remote.call(self.ptr(), op, std::forward<decltype(xs)>(xs)...)
      .receive([&](value& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    auto line = outcome(op, result);
    emit(line);
  };
  // The docs' example.
  blocking_call("server_method", svcs.root);
  // The root and a sub-service, failures and lookups on our side.
  blocking_call("callback_check", svcs.root, svcs.math);
  // Many calls back at once.
  blocking_call("callback_many", svcs.root,
                static_cast<std::int64_t>(po.count));
  self->send_exit(client->channel, caf::exit_reason::user_shutdown);
  emit(dict{{"op", "done"}});
  return 0;
}

// -- scenario: tls_reject -----------------------------------------------------

int run_tls_reject(caf::actor_system& sys, const probe_options& po) {
  auto client = connect(sys, po, make_connection_options(po));
  if (!client)
    return 0; // the failure is already printed
  emit(dict{{"op", "connect"}, {"ok", true}});
  // Connected (unexpectedly): show what a call does.
  caf::scoped_actor self{sys};
  auto res = call(self, client->remote, "echo", array{value{"x"}});
  emit(outcome("call", res));
  self->send_exit(client->channel, caf::exit_reason::user_shutdown);
  emit(dict{{"op", "done"}});
  return 0;
}

// -- scenario: garbage --------------------------------------------------------

int run_garbage(caf::actor_system& sys, const probe_options& po) {
  caf::scoped_actor self{sys};
  for (std::size_t round = 0; round < po.count; ++round) {
    for (const char* arg : {"bad", "good"}) {
      auto client = connect(sys, po, make_connection_options(po));
      if (!client)
        return exit_connect;
      self->monitor(client->channel);
      auto res = call(self, client->remote, "echo", array{value{arg}});
      emit(outcome("call", res));
      if (res)
        self->send_exit(client->channel, caf::exit_reason::user_shutdown);
      self->receive([&](caf::down_msg& dm) {
        dict line{{"op", "down"}};
        describe_error(line, dm.reason);
        emit(line);
      });
    }
  }
  emit(dict{{"op", "done"}});
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc >= 2
      && (std::string{argv[1]} == "-h" || std::string{argv[1]} == "--help")) {
    std::cout << usage;
    return 0;
  }
  if (argc >= 2 && std::string{argv[1]} == "--version") {
    std::cout << "interop_rpc_client_probe (libmas) " MAS_VERSION_STRING "\n";
    return 0;
  }
  if (argc < 4) {
    std::cerr << usage;
    return exit_usage;
  }
  probe_options po;
  auto ep = mas::net::endpoint::parse(argv[1]);
  auto codec = mas::wire::parse_codec_kind(argv[2]);
  if (!ep || !codec) {
    std::cerr << "invalid ENDPOINT or CODEC\n" << usage;
    return exit_usage;
  }
  po.ep = *ep;
  po.codec = *codec;
  po.scenario = argv[3];
  for (int i = 4; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--tls" && i + 3 < argc) {
      po.tls = {argv[i + 1], argv[i + 2], argv[i + 3]};
      i += 3;
    } else if (arg == "--count" && i + 1 < argc) {
      po.count = std::stoul(argv[++i]);
    } else if (arg == "--name" && i + 1 < argc) {
      po.name = argv[++i];
    } else {
      std::cerr << "bad argument " << arg << "\n" << usage;
      return exit_usage;
    }
  }
  caf::actor_system_config cfg;
  mas::configure(cfg);
  caf::actor_system sys{cfg};
  sys.await_actors_before_shutdown(false);
  try {
    if (po.scenario == "calls")
      return run_calls(sys, po);
    if (po.scenario == "pending_then_kill")
      return run_pending_then_kill(sys, po);
    if (po.scenario == "callback")
      return run_callback(sys, po);
    if (po.scenario == "tls_reject")
      return run_tls_reject(sys, po);
    if (po.scenario == "garbage")
      return run_garbage(sys, po);
  } catch (const std::exception& e) {
    std::cerr << "interop_rpc_client_probe: " << e.what() << "\n";
    return exit_usage;
  }
  std::cerr << "unknown scenario " << po.scenario << "\n" << usage;
  return exit_usage;
}
