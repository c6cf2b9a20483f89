#pragma once

#include <string>
#include <string_view>

#include "mas/wire/value.hpp"

namespace mas::wire {

/// The readable form: a JSON rendering of any wire value, lossless except
/// for the list/tuple distinction. `masctl` prints and reads it.
///
/// - JSON values stand for themselves (NaN/Infinity as Python writes them);
/// - bytes become `{"$bytes": "<standard base64>"}`;
/// - a dict with any non-string key, or whose only key is `"$bytes"` or
///   `"$map"`, becomes `{"$map": [[key, value], ...]}`;
/// - tuples become lists;
/// - extension values stay `{"__type__": [id, repr]}`.
///
/// @ref to_readable maps a value to a JSON-only value in that form;
/// @ref from_readable maps back.
value to_readable(const value& x);

/// Inverse of @ref to_readable.
/// @throws wire_error `invalid_message` for a malformed `$bytes` or `$map`.
value from_readable(const value& x);

/// Renders `x` in the readable form as one line of JSON text.
std::string to_readable_json(const value& x);

/// Parses one line of readable-form JSON text.
value from_readable_json(std::string_view text);

/// Standard base64 (RFC 4648, with padding).
std::string base64_encode(const byte_buffer& xs);

/// @throws wire_error `invalid_message` on malformed input.
byte_buffer base64_decode(std::string_view str);

} // namespace mas::wire
