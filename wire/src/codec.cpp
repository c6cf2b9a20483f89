#include "mas/wire/codec.hpp"

#include "mas/wire/json_codec.hpp"
#include "mas/wire/msgpack_blosc_codec.hpp"
#include "mas/wire/msgpack_codec.hpp"

#include <string>

namespace mas::wire {

const char* to_string(codec_kind x) noexcept {
  switch (x) {
    case codec_kind::json:
      return "json";
    case codec_kind::msgpack:
      return "msgpack";
    case codec_kind::msgpack_blosc:
      return "msgpack-blosc";
  }
  return "?";
}

std::optional<codec_kind> parse_codec_kind(std::string_view str) noexcept {
  if (str == "json")
    return codec_kind::json;
  if (str == "msgpack")
    return codec_kind::msgpack;
  if (str == "msgpack-blosc" || str == "msgpack_blosc")
    return codec_kind::msgpack_blosc;
  return std::nullopt;
}

codec::~codec() = default;

namespace {

/// Returns whether `x` renders in about `budget` characters (stops early).
bool renders_short(const value& x, std::size_t& budget) {
  auto take = [&](std::size_t n) {
    if (n > budget)
      return false;
    budget -= n;
    return true;
  };
  if (auto str = x.get_if<std::string>())
    return take(str->size() + 2);
  if (auto buf = x.get_if<bytes>())
    return take(4 * buf->data.size() + 3);
  if (auto xs = x.get_if<array>()) {
    for (auto& y : *xs)
      if (!take(2) || !renders_short(y, budget))
        return false;
    return take(2);
  }
  if (auto xs = x.get_if<dict>()) {
    for (auto& [key, val] : *xs)
      if (!take(4) || !renders_short(key, budget)
          || !renders_short(val, budget))
        return false;
    return take(2);
  }
  if (auto e = x.get_if<ext>())
    return take(24) && renders_short(e->repr(), budget);
  return take(24);
}

/// Renders `x` for an error message: in full if short, else its type and
/// size (an attacker's 64 MiB value must not become a 400 MB message).
std::string describe(const value& x) {
  std::size_t budget = 200;
  if (renders_short(x, budget))
    return to_string(x);
  std::string result = "a ";
  result += type_name(x);
  if (auto xs = x.get_if<array>())
    result += " of " + std::to_string(xs->size()) + " items";
  else if (auto ys = x.get_if<dict>())
    result += " of " + std::to_string(ys->size()) + " items";
  else if (auto str = x.get_if<std::string>())
    result += " of " + std::to_string(str->size()) + " bytes";
  else if (auto buf = x.get_if<bytes>())
    result += " of " + std::to_string(buf->data.size()) + " bytes";
  return result;
}

} // namespace

value codec::finish_dict(dict&& xs) const {
  xs.dedup();
  auto envelope = xs.find("__type__");
  if (envelope == nullptr)
    return value{std::move(xs)};
  // Python: `typeid, data = d['__type__']; self._deserializers[typeid](data)`.
  // Other keys of the dict are ignored, as in aiomas and mango.
  auto pair = envelope->get_if<array>();
  if (pair == nullptr || pair->size() != 2)
    throw wire_error(errc::invalid_envelope,
                     "\"__type__\" must hold [type_id, repr], got "
                       + describe(*envelope));
  auto id = (*pair)[0].get_if<std::int64_t>();
  if (id == nullptr)
    throw wire_error(errc::invalid_envelope,
                     "extension type id must be an int, got "
                       + describe((*pair)[0]));
  if (opts_.check_type_ids && !types_.contains(*id))
    throw wire_error(errc::unknown_type_id,
                     "unknown extension type id " + std::to_string(*id));
  return value{ext{*id, std::move((*pair)[1])}};
}

std::unique_ptr<codec> make_codec(codec_kind kind, codec_options opts) {
  switch (kind) {
    case codec_kind::json:
      return std::make_unique<json_codec>(opts);
    case codec_kind::msgpack:
      return std::make_unique<msgpack_codec>(opts);
    case codec_kind::msgpack_blosc:
      return std::make_unique<msgpack_blosc_codec>(opts);
  }
  return nullptr;
}

} // namespace mas::wire
