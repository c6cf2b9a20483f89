// libFuzzer target: frame_decoder (aiomas/mango 4-byte big-endian framing).
//
// Input: 2 bytes chunking seed, then the byte stream. The stream is fed in
// chunks whose sizes come from the seed (one shot, single bytes, small or
// large random chunks) to a decoder with a small maximum frame size, then
// finish() is called. A straightforward reference parser reads the same
// stream in one piece; the decoder must agree with it for every chunking:
//  - the same frames, in order, byte for byte, each <= the maximum;
//  - frame_too_large exactly when the reference meets an oversize header,
//    only once that header is complete, and the decoder stays failed;
//  - finish() throws truncated_frame iff the stream ends inside a frame;
//  - after every feed: buffered() == bytes fed - bytes of delivered frames
//    (so delivered frame bytes <= bytes fed), buffered() < max + 4 (a
//    complete frame is never held back), idle() == (buffered() == 0),
//    frames() == number of callbacks.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "mas/wire/frame.hpp"

using namespace mas::wire;
using mas::fuzz::fail;

namespace {

constexpr std::size_t max_frame = 1024;

struct ref_frame {
  std::size_t offset; // of the payload in the stream
  std::size_t size;
};

struct reference {
  std::vector<ref_frame> frames;
  bool too_large = false;
  std::size_t bad_header_end = 0; // offset after the oversize header
  bool truncated = false;         // stream ends inside a frame
};

reference parse_reference(const std::uint8_t* p, std::size_t n) {
  reference r;
  std::size_t off = 0;
  for (;;) {
    if (off == n)
      return r;
    if (n - off < 4) {
      r.truncated = true;
      return r;
    }
    std::size_t len = (std::size_t{p[off]} << 24)
                      | (std::size_t{p[off + 1]} << 16)
                      | (std::size_t{p[off + 2]} << 8) | p[off + 3];
    if (len > max_frame) {
      r.too_large = true;
      r.bad_header_end = off + 4;
      return r;
    }
    if (n - off - 4 < len) {
      r.truncated = true;
      return r;
    }
    r.frames.push_back({off + 4, len});
    off += 4 + len;
  }
}

struct rng {
  std::uint32_t state;
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 2)
    return 0;
  const unsigned seed = data[0] | (unsigned{data[1]} << 8);
  const std::uint8_t* stream = data + 2;
  const std::size_t n = size - 2;
  auto ref = parse_reference(stream, n);

  rng gen{seed * 2654435761u + 1u};
  auto chunk_size = [&]() -> std::size_t {
    switch (seed & 3) {
      case 0:
        return n; // everything at once
      case 1:
        return 1; // byte by byte
      case 2:
        return 1 + gen.next() % 8;
      default:
        return 1 + gen.next() % (2 * max_frame + 16);
    }
  };

  frame_decoder dec{max_frame};
  std::size_t delivered = 0;
  std::size_t delivered_bytes = 0; // headers included
  std::size_t fed = 0;
  std::size_t fed_end = 0; // fed + bytes of the chunk being fed
  bool failed = false;
  auto on_frame = [&](const std::uint8_t* payload, std::size_t len) {
    if (delivered >= ref.frames.size())
      fail("decoder delivered more frames than the stream holds",
           "frame #" + std::to_string(delivered));
    auto& expected = ref.frames[delivered];
    if (len != expected.size || len > max_frame)
      fail("frame size differs from the reference",
           std::to_string(len) + " vs " + std::to_string(expected.size));
    if (len > 0 && std::memcmp(payload, stream + expected.offset, len) != 0)
      fail("frame payload differs from the reference",
           "frame #" + std::to_string(delivered));
    ++delivered;
    delivered_bytes += frame_header_size + len;
    if (delivered_bytes > fed_end)
      fail("frame bytes delivered exceed bytes fed");
  };

  while (fed < n || (fed == 0 && n == 0)) {
    auto k = std::min(chunk_size(), n - fed);
    fed_end = fed + k;
    try {
      dec.feed(stream + fed, k, on_frame);
      fed += k;
    } catch (const wire_error& e) {
      if (e.code() != errc::frame_too_large)
        fail("feed threw something other than frame_too_large",
             to_string(e.code()));
      if (!ref.too_large)
        fail("frame_too_large, but the reference saw no oversize header");
      if (delivered != ref.frames.size())
        fail("frame_too_large before all preceding frames were delivered");
      if (fed + k < ref.bad_header_end)
        fail("frame_too_large before the oversize header was complete");
      failed = true;
      break;
    }
    if (dec.frames() != delivered)
      fail("frames() differs from the number of callbacks");
    if (dec.buffered() != fed - delivered_bytes)
      fail("buffered() differs from bytes fed minus bytes delivered",
           std::to_string(dec.buffered()) + " vs "
             + std::to_string(fed - delivered_bytes));
    if (dec.buffered() >= max_frame + frame_header_size)
      fail("decoder holds a whole maximum-size frame or more",
           std::to_string(dec.buffered()));
    if (dec.idle() != (dec.buffered() == 0))
      fail("idle() disagrees with buffered()");
    if (n == 0)
      break;
  }

  if (failed) {
    // A failed decoder stays failed, even for an empty feed.
    bool threw = false;
    try {
      dec.feed(stream, 0, on_frame);
    } catch (const wire_error& e) {
      threw = e.code() == errc::frame_too_large;
    }
    if (!threw)
      fail("decoder did not stay failed after frame_too_large");
    return 0;
  }
  if (ref.too_large)
    fail("reference saw an oversize header, the decoder did not");
  if (delivered != ref.frames.size())
    fail("decoder delivered fewer frames than the stream holds",
         std::to_string(delivered) + " vs "
           + std::to_string(ref.frames.size()));
  bool truncated = false;
  try {
    dec.finish();
  } catch (const wire_error& e) {
    if (e.code() != errc::truncated_frame)
      fail("finish() threw something other than truncated_frame",
           to_string(e.code()));
    truncated = true;
  }
  if (truncated != ref.truncated)
    fail("finish() disagrees with the reference about truncation");
  return 0;
}
