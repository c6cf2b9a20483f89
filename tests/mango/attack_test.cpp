// A mango TCP container under hostile peers: floods of garbage frames and
// messages for unknown aids from many connections, a partial frame that
// stalls, a peer that resets. The container keeps serving, counts what it
// dropped, and returns to its descriptors once the peers are gone (bounds,
// not timings).

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <condition_variable>
#include <dirent.h>
#include <mutex>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "mas/mango/agent.hpp"
#include "mas/mango/tcp_container.hpp"

using namespace std::chrono_literals;
using mas::wire::dict;
using mas::wire::value;
namespace mango = mas::mango;

namespace {

std::size_t open_fds() {
  std::size_t n = 0;
  if (auto dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr)
      ++n;
    closedir(dir);
  }
  return n;
}

int connect_to(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

std::string frame(const std::string& payload) {
  std::string buf(4, '\0');
  auto n = static_cast<std::uint32_t>(payload.size());
  buf[0] = static_cast<char>(n >> 24);
  buf[1] = static_cast<char>(n >> 16);
  buf[2] = static_cast<char>(n >> 8);
  buf[3] = static_cast<char>(n);
  return buf + payload;
}

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = write(fd, data.data() + done, data.size() - done);
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
}

struct counter : mango::agent {
  counter(caf::actor_config& cfg, mas::agent_init init, std::mutex* mtx,
          std::condition_variable* cv, int* n)
    : agent(cfg, std::move(init)), mtx_(mtx), cv_(cv), n_(n) {
  }

  void handle_message(const value&, const dict&) override {
    std::lock_guard guard{*mtx_};
    ++*n_;
    cv_->notify_all();
  }

  std::mutex* mtx_;
  std::condition_variable* cv_;
  int* n_;
};

std::string good(const std::string& aid) {
  return R"({"__type__": [-1465703651, {"content": 1, "meta": {"sender_id": )"
         R"("x", "sender_addr": ["127.0.0.1", 1], "receiver_id": ")"
         + aid + R"("}}]})";
}

} // namespace

TEST_CASE("a flood of garbage and unknown aids from 50 connections") {
  auto before = open_fds();
  std::mutex mtx;
  std::condition_variable cv;
  int got = 0;
  {
    mango::container_options opts;
    opts.transport.stall_timeout = 500ms; // the stalled peer below
    auto c = mango::tcp_container::create("127.0.0.1", 0, opts);
    REQUIRE(c);
    (*c)->register_agent<counter>("sink", &mtx, &cv, &got);
    auto port = (*c)->port();
    constexpr int peers = 50;
    constexpr int per_peer = 200;
    std::string burst;
    for (int i = 0; i < per_peer; ++i) {
      switch (i % 4) {
        case 0:
          burst += frame("{\"unterminated");
          break;
        case 1:
          burst += frame(R"({"__type__": [99999, {}]})");
          break;
        case 2:
          burst += frame(good("nobody"));
          break;
        default:
          burst += frame(good("sink"));
      }
    }
    std::vector<int> fds;
    for (int p = 0; p < peers; ++p) {
      fds.push_back(connect_to(port));
      write_all(fds.back(), burst);
    }
    // A stalled partial frame and a peer that resets.
    int stalled = connect_to(port);
    write_all(stalled, std::string("\0\0\0\x10{\"a\"", 8));
    int resetter = connect_to(port);
    write_all(resetter, frame(good("sink")).substr(0, 10));
    linger lg{1, 0};
    setsockopt(resetter, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(resetter);
    {
      std::unique_lock guard{mtx};
      REQUIRE(
        cv.wait_for(guard, 60s, [&] { return got >= peers * per_peer / 4; }));
    }
    auto st = (*c)->stats();
    CHECK(st.delivered == static_cast<std::uint64_t>(peers * per_peer / 4));
    CHECK(st.malformed == static_cast<std::uint64_t>(peers * per_peer / 2));
    CHECK(st.unknown_receiver
          == static_cast<std::uint64_t>(peers * per_peer / 4));
    // Every flooding connection is still open (mango would have closed the
    // first one to send garbage); the stalled one is closed by the timeout.
    for (int i = 0; i < 3000 && (*c)->incoming_connections() != peers; ++i)
      std::this_thread::sleep_for(10ms);
    CHECK((*c)->incoming_connections() == peers);
    for (int fd : fds)
      close(fd);
    close(stalled);
    for (int i = 0; i < 3000 && (*c)->incoming_connections() > 0; ++i)
      std::this_thread::sleep_for(10ms);
    CHECK((*c)->incoming_connections() == 0);
  }
  // The container and every connection are gone: no descriptor is left.
  for (int i = 0; i < 3000 && open_fds() > before; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(open_fds() == before);
}
