#include "mas/wire/codec.hpp"

#include "mas/wire/json_codec.hpp"
#include "mas/wire/msgpack_blosc_codec.hpp"
#include "mas/wire/msgpack_codec.hpp"

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
                       + to_string(*envelope));
  auto id = (*pair)[0].get_if<std::int64_t>();
  if (id == nullptr)
    throw wire_error(errc::invalid_envelope,
                     "extension type id must be an int, got "
                       + to_string((*pair)[0]));
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
