#pragma once

// What the codec probes (aiomas_probe, mango_probe) share: whole files of
// frames in and out.

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "mas/wire/codec.hpp"
#include "mas/wire/frame.hpp"

namespace mas::probe {

/// The bytes of the file at `path`.
/// @throws std::runtime_error if it cannot be opened.
inline wire::byte_buffer read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    throw std::runtime_error("cannot open " + path);
  return wire::byte_buffer{std::istreambuf_iterator<char>{in},
                           std::istreambuf_iterator<char>{}};
}

/// Writes `data` to the file at `path`.
/// @throws std::runtime_error if that fails.
inline void write_file(const std::string& path, const wire::byte_buffer& data) {
  std::ofstream out{path, std::ios::binary};
  out.write(reinterpret_cast<const char*>(data.data()),
            static_cast<std::streamsize>(data.size()));
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

/// The payloads of the frames in `data`.
/// @throws wire::wire_error on a truncated or oversized frame.
inline std::vector<wire::byte_buffer> split(const wire::byte_buffer& data) {
  std::vector<wire::byte_buffer> result;
  wire::frame_decoder dec;
  dec.feed(data.data(), data.size(), [&](const std::uint8_t* p, std::size_t n) {
    result.emplace_back(p, p + n);
  });
  dec.finish();
  return result;
}

/// Appends `x`, encoded by `cdc`, to `out` as one frame.
inline void put_frame(wire::byte_buffer& out, const wire::codec& cdc,
                      const wire::value& x) {
  auto payload = cdc.encode(x);
  wire::write_frame(out, payload.data(), payload.size());
}

} // namespace mas::probe
