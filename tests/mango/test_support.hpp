#pragma once

// What the mango tests share: a journal and an inbox that agents write and
// the test thread waits on (bounded), a recording agent, and raw loopback
// sockets to play a peer that is not libmas.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <dirent.h>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "mas/mango/agent.hpp"

namespace mas::test {

/// Lines agents write, in order.
struct journal {
  std::mutex mtx;
  std::vector<std::string> lines;

  void add(std::string x) {
    std::lock_guard guard{mtx};
    lines.push_back(std::move(x));
  }

  std::vector<std::string> get() {
    std::lock_guard guard{mtx};
    return lines;
  }

  /// The lines so far, and forgets them.
  std::vector<std::string> take() {
    std::lock_guard guard{mtx};
    auto result = std::move(lines);
    lines.clear();
    return result;
  }
};

/// Messages agents received, for the test thread to wait on.
struct inbox {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::pair<wire::value, wire::dict>> messages;

  void put(const wire::value& content, const wire::dict& meta) {
    {
      std::lock_guard guard{mtx};
      messages.emplace_back(content, meta);
    }
    cv.notify_all();
  }

  /// Waits (60 s at most) until `n` messages arrived.
  bool wait_for(std::size_t n) {
    std::unique_lock guard{mtx};
    return cv.wait_for(guard, std::chrono::seconds{60},
                       [&] { return messages.size() >= n; });
  }

  std::size_t size() {
    std::lock_guard guard{mtx};
    return messages.size();
  }
};

/// Records every message in an inbox.
class recorder : public mango::agent {
public:
  recorder(caf::actor_config& cfg, agent_init init, inbox* box)
    : agent(cfg, std::move(init)), box_(box) {
  }

  const char* name() const override {
    return "Recorder";
  }

  void handle_message(const wire::value& content,
                      const wire::dict& meta) override {
    box_->put(content, meta);
  }

private:
  inbox* box_;
};

// -- raw loopback sockets
// -------------------------------------------------------

/// The number of open descriptors of this process.
inline std::size_t open_fds() {
  std::size_t n = 0;
  if (auto dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr)
      ++n;
    closedir(dir);
  }
  return n;
}

/// A socket bound to 127.0.0.1 on a port the OS chose; listening if
/// `listening` (else connects to it are refused, and no other test can be
/// given the port meanwhile).
inline int loopback_socket(std::uint16_t& port, bool listening) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  if (listening)
    REQUIRE(listen(fd, 8) == 0);
  socklen_t len = sizeof(sa);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  port = ntohs(sa.sin_port);
  return fd;
}

/// A client socket connected to 127.0.0.1:`port`.
inline int raw_connect(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

/// `payload` with its 4-byte big-endian length in front.
inline std::string frame(const std::string& payload) {
  std::string buf(4, '\0');
  auto n = static_cast<std::uint32_t>(payload.size());
  buf[0] = static_cast<char>(n >> 24);
  buf[1] = static_cast<char>(n >> 16);
  buf[2] = static_cast<char>(n >> 8);
  buf[3] = static_cast<char>(n);
  return buf + payload;
}

inline void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = write(fd, data.data() + done, data.size() - done);
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
}

inline void raw_send_frame(int fd, const std::string& payload) {
  write_all(fd, frame(payload));
}

/// Reads exactly `n` bytes from `fd` (30 s at most); false on EOF/timeout.
inline bool read_exactly(int fd, char* buf, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 30000) <= 0)
      return false;
    auto k = read(fd, buf + got, n - got);
    if (k <= 0)
      return false;
    got += static_cast<std::size_t>(k);
  }
  return true;
}

/// Accepts one connection on `listener` (30 s at most) into `conn` and
/// reads one frame's payload from it.
inline std::string accept_and_read_frame(int listener, int& conn) {
  pollfd p{listener, POLLIN, 0};
  REQUIRE(poll(&p, 1, 30000) == 1);
  conn = accept(listener, nullptr, nullptr);
  REQUIRE(conn >= 0);
  char hdr[4];
  REQUIRE(read_exactly(conn, hdr, 4));
  auto n = (std::uint32_t{static_cast<unsigned char>(hdr[0])} << 24)
           | (std::uint32_t{static_cast<unsigned char>(hdr[1])} << 16)
           | (std::uint32_t{static_cast<unsigned char>(hdr[2])} << 8)
           | std::uint32_t{static_cast<unsigned char>(hdr[3])};
  std::string payload(n, '\0');
  REQUIRE(read_exactly(conn, payload.data(), n));
  return payload;
}

/// A MangoMessage as mango 2.4 on Python 3.11 writes it, from a peer at
/// 127.0.0.1:1.
inline std::string mango_frame(const std::string& content_json,
                               const std::string& receiver) {
  return R"({"__type__": [-1465703651, {"content": )" + content_json
         + R"(, "meta": {"sender_id": "py", "sender_addr": ["127.0.0.1", 1], )"
         + R"("receiver_id": ")" + receiver + R"("}}]})";
}

} // namespace mas::test
