#include "mas/wire/msgpack_codec.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "mas/wire/detail/decode_budget.hpp"
#include "mas/wire/detail/text.hpp"

namespace mas::wire {

// -- encoding -----------------------------------------------------------------

namespace {

/// The stream concept of `msgpack::packer`: appends to a byte buffer.
class buffer_stream {
public:
  explicit buffer_stream(byte_buffer& out) : out_(out) {
    // nop
  }

  void write(const char* data, std::size_t size) {
    auto first = reinterpret_cast<const std::uint8_t*>(data);
    out_.insert(out_.end(), first, first + size);
  }

private:
  byte_buffer& out_;
};

/// Writes values as Python's `msgpack.packb(obj, use_bin_type=True)` does.
///
/// msgpack-c's packer picks the same int, str, bin, array and map forms as
/// Python. Its `pack_double` does not: it writes floats with an integral
/// value (1.0, -0.0) as ints. Python always writes float64, so floats bypass
/// the packer.
class msgpack_writer {
public:
  msgpack_writer(byte_buffer& out, std::size_t max_depth)
    : stream_(out), packer_(stream_), max_depth_(max_depth) {
    // nop
  }

  void write(const value& x, std::size_t depth) {
    using k = value::kind;
    switch (x.type()) {
      case k::array: {
        check_depth(depth);
        auto& xs = *x.get_if<array>();
        write_array_head(xs.size());
        for (auto& item : xs)
          write(item, depth + 1);
        break;
      }
      case k::dict: {
        check_depth(depth);
        auto& xs = *x.get_if<dict>();
        write_map_head(xs.size());
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

private:
  // The recursion above runs up to max_depth levels deep, so its frame stays
  // small: the packer calls (each with its own stack buffer, many of them
  // once inlined) and the error path live in the functions below. Under
  // ASan, which gives every inlined buffer its own redzones, write() took
  // 14 KB per level with them inlined (1000 levels overflowed the 8 MB main
  // stack), 400 B without; 160 and 112 B in the normal build.

  [[gnu::noinline]] void write_array_head(std::size_t n) {
    packer_.pack_array(checked_size(n, "list"));
  }

  [[gnu::noinline]] void write_map_head(std::size_t n) {
    packer_.pack_map(checked_size(n, "dict"));
  }

  [[gnu::noinline]] void write_envelope_head(std::int64_t type_id) {
    static constexpr char key[] = "__type__";
    static constexpr auto key_size = std::uint32_t{sizeof(key) - 1};
    packer_.pack_map(1);
    packer_.pack_str(key_size);
    packer_.pack_str_body(key, key_size);
    packer_.pack_array(2);
    packer_.pack_int64(type_id);
  }

  [[gnu::noinline]] void write_scalar(const value& x) {
    using k = value::kind;
    switch (x.type()) {
      case k::none:
        packer_.pack_nil();
        break;
      case k::boolean:
        if (*x.get_if<bool>())
          packer_.pack_true();
        else
          packer_.pack_false();
        break;
      case k::int64:
        packer_.pack_int64(*x.get_if<std::int64_t>());
        break;
      case k::uint64:
        packer_.pack_uint64(*x.get_if<std::uint64_t>());
        break;
      case k::float64:
        write_float64(*x.get_if<double>());
        break;
      case k::string: {
        auto& str = *x.get_if<std::string>();
        auto n = checked_size(str.size(), "str");
        packer_.pack_str(n);
        packer_.pack_str_body(str.data(), n);
        break;
      }
      case k::bytes: {
        auto& buf = x.get_if<bytes>()->data;
        auto n = checked_size(buf.size(), "bytes");
        packer_.pack_bin(n);
        packer_.pack_bin_body(reinterpret_cast<const char*>(buf.data()), n);
        break;
      }
      case k::array:
      case k::dict:
      case k::ext:
        break; // write()
    }
  }

  void write_float64(double x) {
    std::uint64_t bits;
    static_assert(sizeof(bits) == sizeof(x));
    std::memcpy(&bits, &x, sizeof(bits));
    char buf[9];
    buf[0] = static_cast<char>(0xcb);
    for (int i = 0; i < 8; ++i)
      buf[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
    stream_.write(buf, sizeof(buf));
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
      throw wire_error(errc::not_serializable,
                       std::string{what} + " is too large for MsgPack ("
                         + std::to_string(n) + " > 2**32-1)");
    return static_cast<std::uint32_t>(n);
  }

  buffer_stream stream_;
  msgpack::packer<buffer_stream> packer_;
  std::size_t max_depth_;
};

} // namespace

void msgpack_codec::encode(const value& x, byte_buffer& out) const {
  msgpack_writer{out, options().max_depth}.write(x, 0);
}

// -- decoding -----------------------------------------------------------------

namespace {

/// A visitor for msgpack-c's `parse` that builds values bottom-up on an
/// explicit stack of open containers.
///
/// Memory stays proportional to the input: a container reserves at most as
/// many slots as the input has bytes left over all containers (each element
/// takes at least one byte, each map entry two), so a forged array32 header
/// cannot make it allocate by its announced count. Memory is also bounded by
/// `codec_options::max_decoded_size`: slots are charged when a container
/// reserves them, before the allocation, and str/bin contents before they
/// are copied.
class msgpack_builder {
public:
  msgpack_builder(const codec& owner, value (codec::*finish)(dict&&) const,
                  std::size_t input_size)
    : owner_(owner), finish_(finish), max_depth_(owner.options().max_depth),
      budget_(input_size), decoded_(owner.options().max_decoded_size) {
    // nop
  }

  bool done() const noexcept {
    return done_;
  }

  value take_result() {
    return std::move(result_);
  }

  // -- scalars ----------------------------------------------------------------

  bool visit_nil() {
    return push(value{});
  }
  bool visit_boolean(bool x) {
    return push(value{x});
  }
  bool visit_positive_integer(std::uint64_t x) {
    return push(value{x});
  }
  bool visit_negative_integer(std::int64_t x) {
    return push(value{x});
  }
  bool visit_float32(float x) {
    return push(value{static_cast<double>(x)});
  }
  bool visit_float64(double x) {
    return push(value{x});
  }
  bool visit_str(const char* data, std::uint32_t size) {
    if (size == 0)
      return push(value{std::string{}});
    decoded_.charge_bytes(size, "a msgpack str");
    std::string_view str{data, size};
    if (!detail::is_valid_utf8(str))
      throw wire_error(errc::invalid_utf8, "msgpack str of "
                                             + std::to_string(size)
                                             + " bytes is not valid UTF-8");
    return push(value{std::string{str}});
  }
  bool visit_bin(const char* data, std::uint32_t size) {
    if (size == 0)
      return push(value{bytes{}});
    decoded_.charge_bytes(size, "a msgpack bin");
    return push(
      value{bytes{reinterpret_cast<const std::uint8_t*>(data), size}});
  }
  bool visit_ext(const char* data, std::uint32_t) {
    // `data` points to the type byte, followed by the ext's payload.
    auto type = static_cast<int>(static_cast<std::int8_t>(data[0]));
    throw wire_error(errc::invalid_msgpack, "msgpack ext type "
                                              + std::to_string(type)
                                              + " is not supported");
  }

  // -- containers -------------------------------------------------------------

  bool start_array(std::uint32_t size) {
    open(false);
    auto n = std::min<std::size_t>(size, budget_);
    decoded_.charge_values(n, "a msgpack array");
    budget_ -= n;
    stack_.back().items.reserve(n);
    stack_.back().reserved = n;
    return true;
  }
  bool start_array_item() {
    return true;
  }
  bool end_array_item() {
    return true;
  }
  bool end_array() {
    auto xs = std::move(stack_.back().items);
    stack_.pop_back();
    return push(value::tuple(std::move(xs)));
  }

  bool start_map(std::uint32_t size) {
    open(true);
    auto n = std::min<std::size_t>(size, budget_ / 2);
    decoded_.charge_values(2 * n, "a msgpack map");
    budget_ -= 2 * n;
    stack_.back().entries.reserve(n);
    stack_.back().reserved = n;
    return true;
  }
  bool start_map_key() {
    return true;
  }
  bool end_map_key() {
    return true;
  }
  bool start_map_value() {
    return true;
  }
  bool end_map_value() {
    return true;
  }
  bool end_map() {
    auto xs = std::move(stack_.back().entries);
    stack_.pop_back();
    return push((owner_.*finish_)(std::move(xs)));
  }

  // -- errors -----------------------------------------------------------------

  void parse_error(std::size_t, std::size_t error_offset) {
    // The only byte msgpack-c rejects in a header is the reserved 0xc1.
    throw wire_error(
      errc::invalid_msgpack,
      "invalid msgpack type byte 0xc1 at offset "
        + std::to_string(error_offset > 0 ? error_offset - 1 : 0));
  }
  void insufficient_bytes(std::size_t, std::size_t) {
    truncated_ = true;
  }
  bool truncated() const noexcept {
    return truncated_;
  }

private:
  struct frame {
    explicit frame(bool map) : is_map(map) {
      // nop
    }
    bool is_map;
    bool has_key = false;
    /// Slots reserved (and charged) up front; only an input that announces
    /// more items than it holds pushes beyond them.
    std::size_t reserved = 0;
    array items;
    dict entries;
    value key;
  };

  void open(bool map) {
    if (stack_.size() >= max_depth_)
      throw wire_error(errc::nesting_too_deep, "msgpack data nests deeper than "
                                                 + std::to_string(max_depth_)
                                                 + " levels");
    stack_.emplace_back(map);
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

  bool push(value x) {
    if (stack_.empty()) {
      result_ = std::move(x);
      done_ = true;
      return true;
    }
    auto& top = stack_.back();
    if (!top.is_map) {
      if (top.items.size() >= top.reserved) {
        decoded_.charge_values(1, "a msgpack array");
        ++top.reserved;
      }
      top.items.push_back(std::move(x));
    } else if (!top.has_key) {
      // Python cannot use dicts (or tuples holding them) as keys.
      if (!hashable(x))
        throw wire_error(errc::invalid_msgpack, "unhashable map key of type '"
                                                  + std::string{type_name(x)}
                                                  + "'");
      if (top.entries.size() >= top.reserved) {
        decoded_.charge_values(2, "a msgpack map");
        ++top.reserved;
      }
      top.key = std::move(x);
      top.has_key = true;
    } else {
      top.entries.append(std::move(top.key), std::move(x));
      top.key = value{};
      top.has_key = false;
    }
    return true;
  }

  const codec& owner_;
  value (codec::*finish_)(dict&&) const;
  std::size_t max_depth_;
  std::size_t budget_;
  detail::decode_budget decoded_;
  std::vector<frame> stack_;
  value result_;
  bool done_ = false;
  bool truncated_ = false;
};

} // namespace

value msgpack_codec::decode(const std::uint8_t* data, std::size_t size) const {
  if (size == 0)
    throw wire_error(errc::invalid_msgpack,
                     "truncated msgpack data: the input is empty");
  msgpack_builder builder{*this, &msgpack_codec::finish_dict, size};
  std::size_t offset = 0;
  bool ok = false;
  try {
    ok = msgpack::parse(reinterpret_cast<const char*>(data), size, offset,
                        builder);
  } catch (const msgpack::unpack_error& e) {
    throw wire_error(errc::invalid_msgpack,
                     std::string{"invalid msgpack data: "} + e.what());
  }
  if (ok && builder.done()) {
    if (offset != size)
      throw wire_error(errc::invalid_msgpack,
                       std::to_string(size - offset)
                         + " trailing bytes after the msgpack value (offset "
                         + std::to_string(offset) + ")");
    return builder.take_result();
  }
  if (builder.truncated())
    throw wire_error(errc::invalid_msgpack,
                     "truncated msgpack data: the input ends inside a value ("
                       + std::to_string(size) + " bytes)");
  throw wire_error(errc::invalid_msgpack, "invalid msgpack data");
}

} // namespace mas::wire
