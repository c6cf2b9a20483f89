#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mas/wire/frame.hpp"

using namespace mas::wire;

namespace {

byte_buffer frame_of(const std::string& payload) {
  byte_buffer out;
  write_frame(out, reinterpret_cast<const std::uint8_t*>(payload.data()),
              payload.size());
  return out;
}

struct collector {
  std::vector<std::string> frames;
  void operator()(const std::uint8_t* data, std::size_t size) {
    frames.emplace_back(reinterpret_cast<const char*>(data), size);
  }
};

} // namespace

TEST_CASE("frame header is 4-byte big-endian payload length") {
  auto f = frame_of(R"([0, 0, ["validate_aid", ["0"], {}]])");
  // The first frame aiomas's connect() sends (reference §4).
  REQUIRE(f.size() == 4 + 0x23);
  CHECK(f[0] == 0);
  CHECK(f[1] == 0);
  CHECK(f[2] == 0);
  CHECK(f[3] == 0x23);
}

TEST_CASE("several frames in one read and frames split across reads") {
  byte_buffer stream;
  std::vector<std::string> payloads{"a", "", "hello world",
                                    std::string(300, 'x')};
  for (auto& p : payloads) {
    auto f = frame_of(p);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  // Every chunk size, including 1-byte reads and the whole stream at once.
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    frame_decoder dec{1024};
    collector out;
    for (std::size_t i = 0; i < stream.size(); i += chunk)
      dec.feed(stream.data() + i, std::min(chunk, stream.size() - i),
               std::ref(out));
    CHECK(out.frames == payloads);
    CHECK(dec.idle());
    CHECK(dec.frames() == payloads.size());
    CHECK_NOTHROW(dec.finish());
  }
}

TEST_CASE("oversized header fails before buffering, and stays failed") {
  frame_decoder dec{16};
  collector out;
  std::uint8_t hdr[] = {0, 0, 0, 17, 'x'};
  try {
    dec.feed(hdr, sizeof(hdr), std::ref(out));
    FAIL("no exception");
  } catch (const wire_error& e) {
    CHECK(e.code() == errc::frame_too_large);
  }
  CHECK(dec.buffered() == 0);
  std::uint8_t more[] = {0, 0, 0, 1, 'y'};
  CHECK_THROWS_AS(dec.feed(more, sizeof(more), std::ref(out)), wire_error);
  CHECK(out.frames.empty());
}

TEST_CASE("a 4 GiB header is rejected without allocating") {
  frame_decoder dec; // default maximum
  collector out;
  std::uint8_t hdr[] = {0xff, 0xff, 0xff, 0xff};
  // Split header: the check happens once all four bytes are there.
  dec.feed(hdr, 2, std::ref(out));
  CHECK_THROWS_AS(dec.feed(hdr + 2, 2, std::ref(out)), wire_error);
  CHECK(dec.buffered() <= 4);
}

TEST_CASE("finish reports a truncated frame") {
  auto f = frame_of("payload");
  for (std::size_t cut = 1; cut < f.size(); ++cut) {
    frame_decoder dec;
    collector out;
    dec.feed(f.data(), cut, std::ref(out));
    CHECK(out.frames.empty());
    try {
      dec.finish();
      FAIL("no exception");
    } catch (const wire_error& e) {
      CHECK(e.code() == errc::truncated_frame);
    }
  }
}

TEST_CASE("a frame is handed over once even if the handler throws") {
  auto f = frame_of("abc");
  auto g = frame_of("def");
  frame_decoder dec;
  std::vector<std::string> seen;
  auto handler = [&](const std::uint8_t* data, std::size_t size) {
    seen.emplace_back(reinterpret_cast<const char*>(data), size);
    if (seen.size() == 1)
      throw std::runtime_error("handler failed");
  };
  dec.feed(f.data(), 2, handler); // partial: buffered
  CHECK_THROWS_AS(dec.feed(f.data() + 2, f.size() - 2, handler),
                  std::runtime_error);
  dec.feed(g.data(), g.size(), handler);
  CHECK(seen == std::vector<std::string>{"abc", "def"});
}
