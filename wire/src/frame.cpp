#include "mas/wire/frame.hpp"

#include <limits>

namespace mas::wire {

void write_frame_header(byte_buffer& out, std::size_t payload_size) {
  if (payload_size > std::numeric_limits<std::uint32_t>::max())
    throw wire_error(errc::frame_too_large,
                     "Serialized message is too long ("
                       + std::to_string(payload_size)
                       + ").  Maximum length is 4294967296.");
  auto n = static_cast<std::uint32_t>(payload_size);
  std::uint8_t hdr[frame_header_size]
    = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
       static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  out.insert(out.end(), hdr, hdr + frame_header_size);
}

void write_frame(byte_buffer& out, const std::uint8_t* payload,
                 std::size_t size) {
  write_frame_header(out, size);
  out.insert(out.end(), payload, payload + size);
}

void frame_decoder::finish() const {
  if (buf_.empty())
    return;
  std::string what
    = "stream ended inside frame " + std::to_string(frames_) + ": ";
  if (buf_.size() < frame_header_size) {
    what += "got " + std::to_string(buf_.size()) + " of 4 header bytes";
  } else {
    what += "got " + std::to_string(buf_.size() - frame_header_size) + " of "
            + std::to_string(read_frame_header(buf_.data())) + " payload bytes";
  }
  throw wire_error(errc::truncated_frame, what);
}

void frame_decoder::throw_too_large(std::uint32_t len) const {
  throw wire_error(errc::frame_too_large,
                   "frame " + std::to_string(frames_) + " announces "
                     + std::to_string(len) + " bytes, maximum is "
                     + std::to_string(max_));
}

} // namespace mas::wire
