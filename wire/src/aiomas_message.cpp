#include "mas/wire/aiomas_message.hpp"

namespace mas::wire {

const char* to_string(message_type x) noexcept {
  switch (x) {
    case message_type::request:
      return "request";
    case message_type::result:
      return "result";
    case message_type::exception:
      return "exception";
  }
  return "?";
}

namespace {

[[noreturn]] void invalid(std::string what) {
  throw wire_error(errc::invalid_message, std::move(what));
}

} // namespace

value to_value(const aiomas_message& x) {
  array xs;
  xs.reserve(3);
  xs.emplace_back(static_cast<int>(x.type));
  xs.emplace_back(x.id);
  xs.push_back(x.content);
  return xs;
}

aiomas_message parse_aiomas_message(value&& x) {
  auto xs = x.get_if<array>();
  if (xs == nullptr || xs->size() != 3)
    invalid("an aiomas message must be [type, id, content], got "
            + to_string(x));
  aiomas_message result;
  auto& type = (*xs)[0];
  auto type_num = type.get_if<std::int64_t>();
  if (type_num == nullptr)
    invalid("message type must be an int, got " + to_string(type));
  if (*type_num < 0 || *type_num > 2)
    invalid("Invalid message type " + std::to_string(*type_num));
  result.type = static_cast<message_type>(*type_num);
  auto& id = (*xs)[1];
  if (auto i = id.get_if<std::int64_t>(); i && *i >= 0)
    result.id = static_cast<std::uint64_t>(*i);
  else if (auto u = id.get_if<std::uint64_t>())
    result.id = *u;
  else
    invalid("message id must be a non-negative int, got " + to_string(id));
  result.content = std::move((*xs)[2]);
  return result;
}

value to_value(const rpc_request& x) {
  array xs;
  xs.reserve(3);
  xs.emplace_back(x.path);
  xs.emplace_back(x.args);
  xs.emplace_back(x.kwargs);
  return xs;
}

rpc_request parse_rpc_request(value&& x) {
  auto xs = x.get_if<array>();
  if (xs == nullptr || xs->size() != 3)
    invalid("an RPC request must be [path, args, kwargs], got " + to_string(x));
  auto path = (*xs)[0].get_if<std::string>();
  if (path == nullptr)
    invalid("RPC path must be a str, got " + to_string((*xs)[0]));
  auto args = (*xs)[1].get_if<array>();
  if (args == nullptr)
    invalid("RPC args must be a list, got " + to_string((*xs)[1]));
  auto kwargs = (*xs)[2].get_if<dict>();
  if (kwargs == nullptr || !kwargs->has_only_string_keys())
    invalid("RPC kwargs must be a dict with str keys, got "
            + to_string((*xs)[2]));
  return rpc_request{std::move(*path), std::move(*args), std::move(*kwargs)};
}

} // namespace mas::wire
