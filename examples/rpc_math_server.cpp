// rpc_math_server: serves the RPC example hierarchy of the aiomas docs.
//
//   fail_badly()          raises ValueError: "spam" is not a number
//   echo(x)               returns x unchanged
//   addition/add(a, b)    a + b
//   subtraction/sub(a, b) a - b
//
// Prints "listening on <endpoint>" and "ready" once it listens; exits cleanly
// on SIGTERM or SIGINT.

#include <csignal>
#include <cstdint>
#include <iostream>
#include <limits>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "example_support.hpp"
#include "mas/all.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/service.hpp"

namespace {

using mas::wire::value;

constexpr const char* usage = R"(usage: rpc_math_server [OPTIONS]

Serves the aiomas docs' RPC example hierarchy:
  fail_badly()            fails with ValueError: "spam" is not a number
  echo(x)                 returns x unchanged
  addition/add(a, b)      returns a + b
  subtraction/sub(a, b)   returns a - b
Parameters may also be given by name (kwargs).

)";

/// Python's `a + b` / `a - b` for the numbers of the wire.
value arithmetic(const value& a, const value& b, bool subtract) {
  auto is_number = [](const value& x) { return x.is_int() || x.is_float(); };
  if (!is_number(a) || !is_number(b) || a.is_bool() || b.is_bool())
    throw mas::rpc::exception(
      "TypeError", std::string{"unsupported operand type(s) for "}
                     + (subtract ? "-" : "+") + ": '" + mas::wire::type_name(a)
                     + "' and '" + mas::wire::type_name(b) + "'");
  if (a.is_float() || b.is_float())
    return subtract ? a.as_double() - b.as_double()
                    : a.as_double() + b.as_double();
  if (a.type() == value::kind::int64 && b.type() == value::kind::int64) {
    std::int64_t result = 0;
    bool overflow
      = subtract ? __builtin_sub_overflow(a.as_int64(), b.as_int64(), &result)
                 : __builtin_add_overflow(a.as_int64(), b.as_int64(), &result);
    if (!overflow)
      return result;
  }
  // Python ints are unbounded; ours end at 64 bits.
  throw mas::rpc::exception("OverflowError",
                            "result does not fit into 64 bits");
}

std::shared_ptr<mas::rpc::service> make_math_service() {
  using mas::rpc::service;
  auto addition = service::make("__main__.Addition");
  addition->expose(
    "add",
    [](const value& a, const value& b) { return arithmetic(a, b, false); },
    {"a", "b"});
  auto subtraction = service::make("__main__.Subtraction");
  subtraction->expose(
    "sub",
    [](const value& a, const value& b) { return arithmetic(a, b, true); },
    {"a", "b"});
  auto root = service::make("__main__.MathServer");
  root->expose("fail_badly", []() -> value {
    throw mas::rpc::exception("ValueError", "\"spam\" is not a number");
  });
  root->expose("echo", [](const value& x) { return x; }, {"x"});
  root->add("addition", addition);
  root->add("subtraction", subtraction);
  return root;
}

} // namespace

int main(int argc, char** argv) {
  return mas::examples::serve_main("rpc_math_server", usage, argc, argv,
                                   make_math_service());
}
