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
#include "test_support.hpp"

using namespace std::chrono_literals;
using mas::wire::dict;
using mas::wire::value;
namespace mango = mas::mango;
using mas::test::frame;
using mas::test::open_fds;
using mas::test::raw_connect;
using mas::test::write_all;

namespace {

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
      fds.push_back(raw_connect(port));
      write_all(fds.back(), burst);
    }
    // A stalled partial frame and a peer that resets.
    int stalled = raw_connect(port);
    write_all(stalled, std::string("\0\0\0\x10{\"a\"", 8));
    int resetter = raw_connect(port);
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
