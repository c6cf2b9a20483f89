#pragma once

#include <cstdint>
#include <string>

#include "mas/wire/value.hpp"

namespace mas::wire {

/// The first element of every aiomas frame (aiomas/channel.py).
enum class message_type : std::uint8_t {
  request = 0,
  result = 1,
  exception = 2,
};

const char* to_string(message_type x) noexcept;

/// One aiomas channel message: the triple `[type, id, content]`.
///
/// Ids count up per channel and direction from 0; a reply carries the id of
/// its request. `content` of an `exception` is the remote error text (Python
/// sends a formatted traceback).
struct aiomas_message {
  message_type type = message_type::request;
  std::uint64_t id = 0;
  value content;
};

/// Returns the triple as a list: `[type, id, content]`.
value to_value(const aiomas_message& x);

/// Validates and splits a decoded triple.
/// @throws wire_error `invalid_message` unless `x` is a 3-element list or
///         tuple of (type in 0..2, non-negative int id, anything). The text
///         for a bad type is aiomas's: `Invalid message type N`.
aiomas_message parse_aiomas_message(value&& x);

/// Content of an aiomas RPC request: `[path, args, kwargs]`
/// (aiomas/rpc.py `Proxy.__call__`).
struct rpc_request {
  std::string path;
  array args;
  dict kwargs;
};

value to_value(const rpc_request& x);

/// @throws wire_error `invalid_message` unless `x` is a 3-element sequence
///         of (str, list/tuple, dict with string keys).
rpc_request parse_rpc_request(value&& x);

} // namespace mas::wire
