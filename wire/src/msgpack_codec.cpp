#include "mas/wire/msgpack_codec.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "mas/wire/detail/decode_budget.hpp"
#include "mas/wire/detail/output_cursor.hpp"
#include "mas/wire/detail/scratch_vector.hpp"
#include "mas/wire/detail/text.hpp"

namespace mas::wire {

// -- encoding -----------------------------------------------------------------

namespace {

/// Writes values as Python's `msgpack.packb(obj, use_bin_type=True)` does:
/// the smallest int form (uint family for non-negative ints), floats always
/// as float64, str8 for short strings, bin for bytes.
///
/// Writes straight into the output buffer through a `detail::output_cursor`.
class msgpack_writer {
public:
  msgpack_writer(byte_buffer& out, std::size_t max_depth)
    : out_(out), max_depth_(max_depth) {
    // nop
  }

  void run(const value& x) {
    write(x, 0);
    out_.commit();
  }

private:
  // write() recurses up to max_depth levels deep, so its frame stays small:
  // scalars and the error path live in separate functions (under ASan every
  // inlined buffer gets redzones; 1000 levels must fit the 8 MB main stack).
  void write(const value& x, std::size_t depth) {
    using k = value::kind;
    switch (x.type()) {
      case k::array: {
        check_depth(depth);
        auto& xs = *x.get_if<array>();
        write_head(xs.size(), 0x90, 16, 0xdc, 0xdd, "list");
        for (auto& item : xs)
          write(item, depth + 1);
        break;
      }
      case k::dict: {
        check_depth(depth);
        auto& xs = *x.get_if<dict>();
        write_head(xs.size(), 0x80, 16, 0xde, 0xdf, "dict");
        for (auto& [key, val] : xs) {
          write(key, depth + 1);
          write(val, depth + 1);
        }
        break;
      }
      case k::ext: {
        // On the wire an envelope is a map holding an array: two levels,
        // as the decoder counts them.
        check_depth(depth + 1);
        auto& e = *x.get_if<ext>();
        write_envelope_head(e.type_id());
        write(e.repr(), depth + 2);
        break;
      }
      default:
        write_scalar(x);
    }
  }

  std::uint8_t* reserve(std::size_t n) {
    return out_.reserve(n);
  }

  /// Stores the low `n` bytes of `x` big-endian (n = 2, 4 or 8).
  static void store_be(std::uint8_t* p, std::uint64_t x, int n) {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
                  "store_be swaps bytes for a little-endian host");
    auto be = __builtin_bswap64(x) >> (64 - 8 * n);
    std::memcpy(p, &be, static_cast<std::size_t>(n));
  }

  /// Writes the head of a container (fix, 16-bit or 32-bit count).
  [[gnu::noinline]] void write_head(std::size_t n, std::uint8_t fix,
                                    std::size_t fix_limit, std::uint8_t b16,
                                    std::uint8_t b32, const char* what) {
    auto size = checked_size(n, what);
    if (size < fix_limit) {
      *reserve(1) = static_cast<std::uint8_t>(fix | size);
    } else if (size <= 0xffff) {
      auto p = reserve(3);
      p[0] = b16;
      store_be(p + 1, size, 2);
    } else {
      auto p = reserve(5);
      p[0] = b32;
      store_be(p + 1, size, 4);
    }
  }

  [[gnu::noinline]] void write_envelope_head(std::int64_t type_id) {
    // {"__type__": [type_id, ...]}: fixmap 1, fixstr 8, fixarray 2.
    static constexpr std::uint8_t head[]
      = {0x81, 0xa8, '_', '_', 't', 'y', 'p', 'e', '_', '_', 0x92};
    std::memcpy(reserve(sizeof(head)), head, sizeof(head));
    write_int(type_id);
  }

  void write_uint(std::uint64_t x) {
    if (x < 128) {
      *reserve(1) = static_cast<std::uint8_t>(x);
    } else if (x <= 0xff) {
      auto p = reserve(2);
      p[0] = 0xcc;
      p[1] = static_cast<std::uint8_t>(x);
    } else if (x <= 0xffff) {
      auto p = reserve(3);
      p[0] = 0xcd;
      store_be(p + 1, x, 2);
    } else if (x <= 0xffffffffu) {
      auto p = reserve(5);
      p[0] = 0xce;
      store_be(p + 1, x, 4);
    } else {
      auto p = reserve(9);
      p[0] = 0xcf;
      store_be(p + 1, x, 8);
    }
  }

  void write_int(std::int64_t x) {
    if (x >= 0) {
      write_uint(static_cast<std::uint64_t>(x));
    } else if (x >= -32) {
      *reserve(1) = static_cast<std::uint8_t>(x);
    } else if (x >= -128) {
      auto p = reserve(2);
      p[0] = 0xd0;
      p[1] = static_cast<std::uint8_t>(x);
    } else if (x >= -32768) {
      auto p = reserve(3);
      p[0] = 0xd1;
      store_be(p + 1, static_cast<std::uint64_t>(x), 2);
    } else if (x >= std::numeric_limits<std::int32_t>::min()) {
      auto p = reserve(5);
      p[0] = 0xd2;
      store_be(p + 1, static_cast<std::uint64_t>(x), 4);
    } else {
      auto p = reserve(9);
      p[0] = 0xd3;
      store_be(p + 1, static_cast<std::uint64_t>(x), 8);
    }
  }

  /// Writes a str (`0xa0`...) or bin (`0xc4`...) head and its octets.
  void write_blob(const void* data, std::size_t n, bool is_str) {
    auto size = checked_size(n, is_str ? "str" : "bytes");
    std::uint8_t* p;
    if (is_str && size < 32) {
      p = reserve(1 + size);
      *p++ = static_cast<std::uint8_t>(0xa0 | size);
    } else if (size <= 0xff) {
      p = reserve(2 + size);
      *p++ = is_str ? 0xd9 : 0xc4;
      *p++ = static_cast<std::uint8_t>(size);
    } else if (size <= 0xffff) {
      p = reserve(3 + size);
      *p++ = is_str ? 0xda : 0xc5;
      store_be(p, size, 2);
      p += 2;
    } else {
      p = reserve(5 + std::size_t{size});
      *p++ = is_str ? 0xdb : 0xc6;
      store_be(p, size, 4);
      p += 4;
    }
    if (size > 0)
      std::memcpy(p, data, size);
  }

  [[gnu::noinline]] void write_scalar(const value& x) {
    using k = value::kind;
    switch (x.type()) {
      case k::none:
        *reserve(1) = 0xc0;
        break;
      case k::boolean:
        *reserve(1) = *x.get_if<bool>() ? 0xc3 : 0xc2;
        break;
      case k::int64:
        write_int(*x.get_if<std::int64_t>());
        break;
      case k::uint64:
        write_uint(*x.get_if<std::uint64_t>());
        break;
      case k::float64: {
        std::uint64_t bits;
        auto d = *x.get_if<double>();
        static_assert(sizeof(bits) == sizeof(d));
        std::memcpy(&bits, &d, sizeof(bits));
        auto p = reserve(9);
        p[0] = 0xcb;
        store_be(p + 1, bits, 8);
        break;
      }
      case k::string: {
        auto& str = *x.get_if<std::string>();
        write_blob(str.data(), str.size(), true);
        break;
      }
      case k::bytes: {
        auto& buf = x.get_if<bytes>()->data;
        write_blob(buf.data(), buf.size(), false);
        break;
      }
      case k::array:
      case k::dict:
      case k::ext:
        break; // write()
    }
  }

  void check_depth(std::size_t depth) const {
    if (depth >= max_depth_)
      throw_too_deep();
  }

  [[noreturn, gnu::noinline, gnu::cold]] void throw_too_deep() const {
    throw wire_error(errc::nesting_too_deep, "value nests deeper than "
                                               + std::to_string(max_depth_)
                                               + " levels");
  }

  // MsgPack lengths are 32-bit; Python raises ValueError beyond that.
  static std::uint32_t checked_size(std::size_t n, const char* what) {
    if (n > std::numeric_limits<std::uint32_t>::max())
      throw_too_large(n, what);
    return static_cast<std::uint32_t>(n);
  }

  [[noreturn, gnu::noinline, gnu::cold]] static void
  throw_too_large(std::size_t n, const char* what) {
    throw wire_error(errc::not_serializable,
                     std::string{what} + " is too large for MsgPack ("
                       + std::to_string(n) + " > 2**32-1)");
  }

  detail::output_cursor<byte_buffer> out_;
  std::size_t max_depth_;
};

} // namespace

void msgpack_codec::encode(const value& x, byte_buffer& out) const {
  msgpack_writer{out, options().max_depth}.run(x);
}

// -- decoding -----------------------------------------------------------------

namespace {

/// Decodes one MsgPack value in a single pass, building every value in the
/// place it ends up: a container is created in its parent's slot, reserves
/// its items and decodes each straight into its own slot. No value is moved
/// after decoding except a finished map (into `finish_dict` and back).
///
/// Iterative, with an explicit stack of open containers, so nesting costs
/// heap (bounded by `max_depth`), not C++ stack. A slot pointer stays valid:
/// only the innermost open container grows, and none of the open
/// containers live in it.
///
/// Memory stays proportional to the input: a container reserves at most as
/// many slots as the input has bytes left over all containers (each element
/// takes at least one byte, each map entry two), so a forged array32 header
/// cannot make it allocate by its announced count. Memory is also bounded by
/// `codec_options::max_decoded_size`: slots are charged when a container
/// reserves them, before the allocation, and str/bin contents before they
/// are copied.
class msgpack_reader {
public:
  msgpack_reader(const codec& owner, value (codec::*finish)(dict&&) const,
                 const std::uint8_t* data, std::size_t size)
    : owner_(owner), finish_(finish), max_depth_(owner.options().max_depth),
      first_(data), pos_(data), last_(data + size), budget_(size),
      decoded_(owner.options().max_decoded_size) {
    // nop
  }

  value run() {
    value result;
    value* slot = &result;
    for (;;) {
      // A non-empty container opens a frame and hands out its first slot;
      // else walk up the containers this item completes to the next slot.
      slot = read_item(*slot);
      while (slot == nullptr && !stack_.empty()) {
        auto& top = stack_.back();
        if (top.is_map) {
          if (top.on_key) {
            // Python cannot use dicts (or tuples holding them) as keys.
            auto& key = top.entry->first;
            if (!hashable(key))
              throw wire_error(errc::invalid_msgpack,
                               "unhashable map key of type '"
                                 + std::string{type_name(key)} + "'");
            top.on_key = false;
            slot = &top.entry->second;
          } else if (--top.left > 0) {
            slot = &next_entry(top);
          } else {
            close_map(top);
          }
        } else if (--top.left > 0) {
          slot = &next_item(top);
        } else {
          stack_.pop_back();
        }
      }
      if (slot == nullptr)
        break;
    }
    if (pos_ != last_)
      throw wire_error(errc::invalid_msgpack,
                       std::to_string(last_ - pos_)
                         + " trailing bytes after the msgpack value (offset "
                         + std::to_string(pos_ - first_) + ")");
    return result;
  }

private:
  struct frame {
    value* target;
    std::uint32_t left;
    bool is_map;
    bool on_key;
    /// The entry being decoded (maps only).
    dict::entry* entry;
    /// Items (entries) reserved and charged up front; only an input that
    /// announces more than it holds goes beyond them.
    std::size_t reserved;
  };

  // -- input ------------------------------------------------------------------

  [[noreturn, gnu::noinline, gnu::cold]] void truncated() const {
    throw wire_error(errc::invalid_msgpack,
                     "truncated msgpack data: the input ends inside a value ("
                       + std::to_string(last_ - first_) + " bytes)");
  }

  const std::uint8_t* take(std::size_t n) {
    if (static_cast<std::size_t>(last_ - pos_) < n)
      truncated();
    auto result = pos_;
    pos_ += n;
    return result;
  }

  std::uint64_t read_be(int n) {
    auto p = take(static_cast<std::size_t>(n));
    switch (n) {
      case 1:
        return p[0];
      case 2:
        return load_be<std::uint16_t>(p);
      case 4:
        return load_be<std::uint32_t>(p);
      default:
        return load_be<std::uint64_t>(p);
    }
  }

  /// Reads a big-endian `T` (an unsigned integer of 2, 4 or 8 bytes).
  template <class T>
  static T load_be(const std::uint8_t* p) noexcept {
    T x;
    std::memcpy(&x, p, sizeof(T));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if constexpr (sizeof(T) == 2)
      x = __builtin_bswap16(x);
    else if constexpr (sizeof(T) == 4)
      x = __builtin_bswap32(x);
    else
      x = __builtin_bswap64(x);
#endif
    return x;
  }

  // -- items ------------------------------------------------------------------

  /// Decodes the item at the cursor into `out` (none before). Returns the
  /// first slot of a non-empty container it opened, else nullptr.
  value* read_item(value& out) {
    auto b = *take(1);
    if (b <= 0x7f) {
      out.emplace<std::int64_t>(b);
    } else if (b >= 0xe0) {
      out.emplace<std::int64_t>(static_cast<std::int8_t>(b));
    } else if (b >= 0xa0 && b <= 0xbf) {
      read_str(out, b & 0x1fu);
    } else if (b >= 0x90 && b <= 0x9f) {
      return open_array(out, b & 0x0fu);
    } else if (b >= 0x80 && b <= 0x8f) {
      return open_map(out, b & 0x0fu);
    } else {
      return read_other(out, b);
    }
    return nullptr;
  }

  [[gnu::noinline]] value* read_other(value& out, std::uint8_t b) {
    switch (b) {
      case 0xc0:
        break; // nil: `out` is none already
      case 0xc2:
        out.emplace<bool>(false);
        break;
      case 0xc3:
        out.emplace<bool>(true);
        break;
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        set_uint(out, read_be(1 << (b - 0xcc)));
        break;
      case 0xd0:
        out.emplace<std::int64_t>(static_cast<std::int8_t>(read_be(1)));
        break;
      case 0xd1:
        out.emplace<std::int64_t>(static_cast<std::int16_t>(read_be(2)));
        break;
      case 0xd2:
        out.emplace<std::int64_t>(static_cast<std::int32_t>(read_be(4)));
        break;
      case 0xd3:
        out.emplace<std::int64_t>(static_cast<std::int64_t>(read_be(8)));
        break;
      case 0xca: {
        auto bits = static_cast<std::uint32_t>(read_be(4));
        float f;
        std::memcpy(&f, &bits, sizeof(f));
        out.emplace<double>(static_cast<double>(f));
        break;
      }
      case 0xcb: {
        auto bits = read_be(8);
        double d;
        std::memcpy(&d, &bits, sizeof(d));
        out.emplace<double>(d);
        break;
      }
      case 0xd9:
      case 0xda:
      case 0xdb:
        read_str(out, read_be(1 << (b - 0xd9)));
        break;
      case 0xc4:
      case 0xc5:
      case 0xc6:
        read_bin(out, read_be(1 << (b - 0xc4)));
        break;
      case 0xdc:
      case 0xdd:
        return open_array(out, read_be(b == 0xdc ? 2 : 4));
      case 0xde:
      case 0xdf:
        return open_map(out, read_be(b == 0xde ? 2 : 4));
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        reject_ext(1u << (b - 0xd4));
        break;
      case 0xc7:
      case 0xc8:
      case 0xc9:
        reject_ext(read_be(1 << (b - 0xc7)));
        break;
      default: // 0xc1, the one reserved type byte
        throw wire_error(errc::invalid_msgpack,
                         "invalid msgpack type byte 0xc1 at offset "
                           + std::to_string(pos_ - first_ - 1));
    }
    return nullptr;
  }

  /// Stores an unsigned integer as the value model normalizes it.
  static void set_uint(value& out, std::uint64_t x) {
    if (x <= std::uint64_t{INT64_MAX})
      out.emplace<std::int64_t>(static_cast<std::int64_t>(x));
    else
      out.emplace<std::uint64_t>(x);
  }

  [[noreturn]] void reject_ext(std::uint64_t size) {
    auto type = static_cast<int>(static_cast<std::int8_t>(*take(1)));
    take(size);
    throw wire_error(errc::invalid_msgpack, "msgpack ext type "
                                              + std::to_string(type)
                                              + " is not supported");
  }

  void read_str(value& out, std::uint64_t size) {
    auto data = reinterpret_cast<const char*>(take(size));
    if (size == 0) {
      out.emplace<std::string>();
      return;
    }
    decoded_.charge_bytes(size, "a msgpack str");
    std::string_view str{data, size};
    if (!detail::is_valid_utf8(str))
      throw wire_error(errc::invalid_utf8, "msgpack str of "
                                             + std::to_string(size)
                                             + " bytes is not valid UTF-8");
    out.emplace<std::string>(str);
  }

  void read_bin(value& out, std::uint64_t size) {
    auto data = take(size);
    if (size > 0)
      decoded_.charge_bytes(size, "a msgpack bin");
    out.emplace<bytes>(data, size);
  }

  // -- containers -------------------------------------------------------------

  void check_depth() {
    if (stack_.size() >= max_depth_)
      throw wire_error(errc::nesting_too_deep, "msgpack data nests deeper than "
                                                 + std::to_string(max_depth_)
                                                 + " levels");
  }

  value* open_array(value& out, std::uint64_t size) {
    check_depth();
    auto n = std::min<std::size_t>(size, budget_);
    decoded_.charge_values(n, "a msgpack array");
    budget_ -= n;
    out.emplace<array>().reserve(n);
    out.set_tuple(true);
    if (size == 0)
      return nullptr;
    stack_.push_back(
      frame{&out, static_cast<std::uint32_t>(size), false, false, nullptr, n});
    return &next_item(stack_.back());
  }

  value& next_item(frame& top) {
    auto& xs = *top.target->get_if<array>();
    if (xs.size() >= top.reserved) {
      decoded_.charge_values(1, "a msgpack array");
      ++top.reserved;
    }
    return xs.emplace_back();
  }

  value* open_map(value& out, std::uint64_t size) {
    check_depth();
    auto n = std::min<std::size_t>(size, budget_ / 2);
    decoded_.charge_values(2 * n, "a msgpack map");
    budget_ -= 2 * n;
    out.emplace<dict>().reserve(n);
    if (size == 0) {
      out = (owner_.*finish_)(std::move(*out.get_if<dict>()));
      return nullptr;
    }
    stack_.push_back(
      frame{&out, static_cast<std::uint32_t>(size), true, true, nullptr, n});
    return &next_entry(stack_.back());
  }

  /// Appends the next entry of a map and returns its key slot.
  value& next_entry(frame& top) {
    auto& xs = *top.target->get_if<dict>();
    if (xs.size() >= top.reserved) {
      decoded_.charge_values(2, "a msgpack map");
      ++top.reserved;
    }
    top.on_key = true;
    top.entry = &xs.emplace_back();
    return top.entry->first;
  }

  void close_map(frame& top) {
    auto target = top.target;
    stack_.pop_back();
    *target = (owner_.*finish_)(std::move(*target->get_if<dict>()));
  }

  static bool hashable(const value& x) {
    if (x.is_dict())
      return false;
    if (auto xs = x.get_if<array>())
      for (auto& y : *xs)
        if (!hashable(y))
          return false;
    return true;
  }

  const codec& owner_;
  value (codec::*finish_)(dict&&) const;
  std::size_t max_depth_;
  const std::uint8_t* first_;
  const std::uint8_t* pos_;
  const std::uint8_t* last_;
  std::size_t budget_;
  detail::decode_budget decoded_;
  detail::scratch_vector<frame> frames_;
  std::vector<frame>& stack_ = frames_.get();
};

} // namespace

value msgpack_codec::decode(const std::uint8_t* data, std::size_t size) const {
  if (size == 0)
    throw wire_error(errc::invalid_msgpack,
                     "truncated msgpack data: the input is empty");
  return msgpack_reader{*this, &msgpack_codec::finish_dict, data, size}.run();
}

} // namespace mas::wire
