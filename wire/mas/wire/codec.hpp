#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "mas/wire/frame.hpp"
#include "mas/wire/type_registry.hpp"
#include "mas/wire/value.hpp"

namespace mas::wire {

/// Default of `codec_options::max_decoded_size`: four times the default
/// maximum frame size.
inline constexpr std::size_t default_max_decoded_size
  = 4 * default_max_frame_size;

/// The codecs of aiomas (`aiomas.codecs.JSON`, `MsgPack`, `MsgPackBlosc`);
/// mango's default codec is JSON with the same envelope.
enum class codec_kind : std::uint8_t {
  json,
  msgpack,
  msgpack_blosc,
};

/// Returns `"json"`, `"msgpack"` or `"msgpack-blosc"`.
const char* to_string(codec_kind x) noexcept;

/// Parses the names of @ref to_string (also accepts `msgpack_blosc`).
std::optional<codec_kind> parse_codec_kind(std::string_view str) noexcept;

/// Limits and switches shared by all codecs.
struct codec_options {
  /// Deepest nesting of arrays, dicts and envelopes accepted when decoding
  /// and produced when encoding. Python's own recursion limit is ~1000.
  std::size_t max_depth = 1000;

  /// Largest decompressed payload MsgPackBlosc accepts; checked against the
  /// Blosc header before any allocation. The default is the default maximum
  /// frame size: a compressed frame carries no more than an uncompressed one
  /// may. Raise it together with the maximum frame size.
  std::size_t max_decompressed_size = default_max_frame_size;

  /// Largest amount of memory the decoded values of one payload may take
  /// (`errc::decoded_too_large` beyond). Counted before allocating, as
  /// `sizeof(value)` (48 bytes) per value, two per dict entry, plus the
  /// characters of every str and the octets of every bytes. Without it, a
  /// 64 MiB MsgPack frame of nils (one byte each) would decode to 3 GiB.
  /// The default, 256 MiB, is four times the default maximum frame size.
  std::size_t max_decoded_size = default_max_decoded_size;

  /// Whether decoding an envelope with an id that the codec's type registry
  /// does not know is an error (`errc::unknown_type_id`), as it is in aiomas
  /// and mango (a `KeyError` that closes the connection). Tools that only
  /// display frames turn this off.
  bool check_type_ids = true;
};

/// Converts between @ref value and the bytes of one frame's payload.
///
/// A codec instance belongs to one connection (aiomas makes one per
/// connection): its @ref types table assigns the extension type ids for that
/// peer. Encoding and decoding are `const` and may run concurrently.
class codec {
public:
  explicit codec(codec_options opts = {}) : opts_(opts) {
    // nop
  }

  virtual ~codec();

  // -- properties -------------------------------------------------------------

  virtual codec_kind kind() const noexcept = 0;

  const codec_options& options() const noexcept {
    return opts_;
  }

  /// The extension types this codec instance knows, with their ids.
  type_registry& types() noexcept {
    return types_;
  }
  const type_registry& types() const noexcept {
    return types_;
  }

  // -- encoding and decoding --------------------------------------------------

  /// Appends the encoding of `x` to `out`.
  /// @throws wire_error `not_serializable` or `nesting_too_deep`.
  virtual void encode(const value& x, byte_buffer& out) const = 0;

  /// Returns the encoding of `x`.
  byte_buffer encode(const value& x) const {
    byte_buffer result;
    encode(x, result);
    return result;
  }

  /// Decodes one payload; the whole input must be one value.
  /// @throws wire_error with a code naming the reason.
  virtual value decode(const std::uint8_t* data, std::size_t size) const = 0;

  value decode(const byte_buffer& buf) const {
    return decode(buf.data(), buf.size());
  }

protected:
  /// Finishes a decoded map: merges duplicate keys and, if the map is an
  /// extension envelope (has the key `"__type__"`), checks its shape and id
  /// and returns an @ref ext instead. Shared by all decoders so the envelope
  /// rule exists once.
  value finish_dict(dict&& xs) const;

private:
  codec_options opts_;
  type_registry types_;
};

/// Creates a codec of the given kind.
std::unique_ptr<codec> make_codec(codec_kind kind, codec_options opts = {});

} // namespace mas::wire
