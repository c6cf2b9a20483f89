#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "mas/wire/error.hpp"
#include "mas/wire/value.hpp"

namespace mas::wire {

/// Size of the frame header: a 4-byte unsigned big-endian payload length
/// (`struct.Struct('!L')` in aiomas and mango). It does not count itself.
inline constexpr std::size_t frame_header_size = 4;

/// Default upper bound for one frame's payload. aiomas and mango have none;
/// a C++ peer must have one to bound memory per connection.
inline constexpr std::size_t default_max_frame_size = 64u * 1024u * 1024u;

/// Reads the big-endian length of a frame header.
inline std::uint32_t read_frame_header(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16)
         | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

/// Appends a frame header announcing `payload_size` bytes.
/// @throws wire_error `frame_too_large` above 2^32 - 1 (aiomas raises
///         `ValueError("Serialized message is too long ...")` there).
void write_frame_header(byte_buffer& out, std::size_t payload_size);

/// Appends one whole frame (header and payload).
void write_frame(byte_buffer& out, const std::uint8_t* payload,
                 std::size_t size);

/// Splits a byte stream into frames, incrementally.
///
/// Feed it whatever a read returned: several frames per read and frames split
/// across reads both work. Complete frames inside one read are passed on
/// without copying; only a partial frame is buffered. A header announcing
/// more than the maximum fails *before* any buffer grows, and the decoder
/// stays failed (the stream cannot be resynchronized).
class frame_decoder {
public:
  explicit frame_decoder(std::size_t max_frame_size = default_max_frame_size)
    : max_(max_frame_size) {
    // nop
  }

  /// Consumes `size` bytes and calls `on_frame(const std::uint8_t* payload,
  /// std::size_t size)` once per complete frame. The payload view is valid
  /// only during the call.
  /// @throws wire_error `frame_too_large` for an oversized header.
  template <class OnFrame>
  void feed(const std::uint8_t* data, std::size_t size, OnFrame&& on_frame) {
    if (failed_)
      throw_too_large(failed_len_);
    while (size > 0) {
      if (buf_.empty()) {
        // Fast path: parse straight from the caller's buffer.
        if (size < frame_header_size) {
          buf_.assign(data, data + size);
          return;
        }
        auto len = check(read_frame_header(data));
        if (size - frame_header_size < len) {
          buf_.assign(data, data + size);
          return;
        }
        ++frames_;
        on_frame(data + frame_header_size, static_cast<std::size_t>(len));
        data += frame_header_size + len;
        size -= frame_header_size + len;
        continue;
      }
      // Slow path: complete the buffered frame.
      if (buf_.size() < frame_header_size) {
        auto take = std::min(frame_header_size - buf_.size(), size);
        buf_.insert(buf_.end(), data, data + take);
        data += take;
        size -= take;
        if (buf_.size() < frame_header_size)
          return;
        check(read_frame_header(buf_.data()));
      }
      auto len = read_frame_header(buf_.data());
      auto missing = frame_header_size + len - buf_.size();
      auto take = std::min(missing, size);
      buf_.insert(buf_.end(), data, data + take);
      data += take;
      size -= take;
      if (take < missing)
        return;
      ++frames_;
      // Hand the frame over exactly once, even if `on_frame` throws.
      byte_buffer frame;
      frame.swap(buf_);
      on_frame(frame.data() + frame_header_size, static_cast<std::size_t>(len));
      frame.clear();
      buf_.swap(frame); // keep the capacity
    }
  }

  /// Returns whether no partial frame is pending.
  bool idle() const noexcept {
    return buf_.empty();
  }

  /// Number of bytes of an incomplete frame held back.
  std::size_t buffered() const noexcept {
    return buf_.size();
  }

  /// Frees the buffer if it is empty and holds more than `keep` bytes of
  /// capacity (one big frame should not pin its memory for good).
  void release_memory(std::size_t keep) {
    if (buf_.empty() && buf_.capacity() > keep)
      byte_buffer{}.swap(buf_);
  }

  /// Number of complete frames passed on so far.
  std::size_t frames() const noexcept {
    return frames_;
  }

  std::size_t max_frame_size() const noexcept {
    return max_;
  }

  /// Call at the end of the stream.
  /// @throws wire_error `truncated_frame` if a partial frame is pending.
  void finish() const;

private:
  std::uint32_t check(std::uint32_t len) {
    if (len > max_) {
      failed_ = true;
      failed_len_ = len;
      throw_too_large(len);
    }
    return len;
  }

  [[noreturn]] void throw_too_large(std::uint32_t len) const;

  std::size_t max_;
  byte_buffer buf_;
  std::size_t frames_ = 0;
  bool failed_ = false;
  std::uint32_t failed_len_ = 0;
};

} // namespace mas::wire
