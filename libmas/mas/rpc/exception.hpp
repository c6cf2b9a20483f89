#pragma once

#include <exception>
#include <stdexcept>
#include <string>

namespace mas::rpc {

/// Fails the call with a Python exception type and message, e.g.
/// `throw rpc::exception{"ValueError", "\"spam\" is not a number"}`; the
/// caller sees `ValueError: "spam" is not a number`.
class exception : public std::runtime_error {
public:
  exception(std::string type, const std::string& message)
    : std::runtime_error(message), type_(std::move(type)) {
    // nop
  }

  const std::string& type() const noexcept {
    return type_;
  }

private:
  std::string type_;
};

/// The Python exception type a C++ exception from a handler becomes:
/// `rpc::exception` keeps its type; `std::invalid_argument` and
/// `std::domain_error` → `ValueError`, `std::out_of_range` → `IndexError`,
/// wire errors (bad argument types) → `TypeError`, others → `RuntimeError`.
std::string exception_type_of(const std::exception& e);

} // namespace mas::rpc
