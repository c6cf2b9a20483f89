// raw_pingpong: the floor for one sequential RPC on this machine. Two
// processes (fork) exchange small frames with aiomas's 4-byte big-endian
// length header over loopback TCP (TCP_NODELAY), one frame in flight, with
// blocking read()/write() and no CAF, no codec. The parent is the client and
// times each round trip; the child echoes. Part of benchmarks/run_rpc_bench
// (docs/benchmarks.md, "RPC round trips and throughput").

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "mas/version.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  long calls = 20000;
  long warmup = 2000;
  std::size_t payload = 16;
  bool tsv = false;
};

void usage(std::ostream& out) {
  out << "usage: raw_pingpong [options]\n"
         "Sequential ping-pong of 4-byte-framed payloads over loopback TCP\n"
         "between two processes (fork): blocking read/write, TCP_NODELAY,\n"
         "no CAF. The floor for one sequential RPC round trip.\n\n"
         "  --calls N      timed round trips (default 20000)\n"
         "  --warmup N     untimed round trips first (default 2000)\n"
         "  --payload B    payload bytes after the 4-byte header (default 16,\n"
         "                 about an aiomas request for add(1, 2))\n"
         "  --tsv          machine-readable output like rpc_bench's: raw 1 1\n"
         "                 calls seconds calls_per_s p50_us p99_us\n"
         "  --help         this text\n"
         "  --version      print \"raw_pingpong (libmas) VERSION\"\n";
}

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

bool read_all(int fd, std::uint8_t* buf, std::size_t n) {
  while (n > 0) {
    auto got = ::read(fd, buf, n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    buf += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

bool write_all(int fd, const std::uint8_t* buf, std::size_t n) {
  while (n > 0) {
    auto put = ::write(fd, buf, n);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0)
      return false;
    buf += put;
    n -= static_cast<std::size_t>(put);
  }
  return true;
}

/// Reads one frame into `buf` (header included); false on EOF.
bool read_frame(int fd, std::vector<std::uint8_t>& buf) {
  buf.resize(4);
  if (!read_all(fd, buf.data(), 4))
    return false;
  std::uint32_t len = (std::uint32_t{buf[0]} << 24)
                      | (std::uint32_t{buf[1]} << 16)
                      | (std::uint32_t{buf[2]} << 8) | std::uint32_t{buf[3]};
  if (len > (1u << 20))
    return false;
  buf.resize(4 + len);
  return read_all(fd, buf.data() + 4, len);
}

void set_nodelay(int fd) {
  int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
    die("setsockopt(TCP_NODELAY)");
}

/// The child: accepts one connection and echoes frames until EOF.
[[noreturn]] void serve(int listener) {
  auto fd = ::accept(listener, nullptr, nullptr);
  if (fd < 0)
    die("accept");
  ::close(listener);
  set_nodelay(fd);
  std::vector<std::uint8_t> buf;
  while (read_frame(fd, buf))
    if (!write_all(fd, buf.data(), buf.size()))
      break;
  ::close(fd);
  std::_Exit(0);
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "raw_pingpong: missing value for " << arg << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      usage(std::cout);
      return 0;
    } else if (arg == "--version") {
      std::cout << "raw_pingpong (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if (arg == "--calls") {
      opts.calls = std::max(1L, std::stol(next()));
    } else if (arg == "--warmup") {
      opts.warmup = std::max(0L, std::stol(next()));
    } else if (arg == "--payload") {
      opts.payload = std::stoul(next());
    } else if (arg == "--tsv") {
      opts.tsv = true;
    } else {
      std::cerr << "raw_pingpong: unknown argument " << arg << "\n";
      usage(std::cerr);
      return 2;
    }
  }
  auto listener = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0)
    die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    die("bind");
  if (::listen(listener, 1) != 0)
    die("listen");
  socklen_t len = sizeof(addr);
  if (::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    die("getsockname");
  auto child = ::fork();
  if (child < 0)
    die("fork");
  if (child == 0)
    serve(listener);
  ::close(listener);
  auto fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    die("socket");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    die("connect");
  set_nodelay(fd);
  std::vector<std::uint8_t> ping(4 + opts.payload, 'x');
  auto n = static_cast<std::uint32_t>(opts.payload);
  ping[0] = static_cast<std::uint8_t>(n >> 24);
  ping[1] = static_cast<std::uint8_t>(n >> 16);
  ping[2] = static_cast<std::uint8_t>(n >> 8);
  ping[3] = static_cast<std::uint8_t>(n);
  std::vector<std::uint8_t> pong;
  auto round_trip = [&] {
    if (!write_all(fd, ping.data(), ping.size()) || !read_frame(fd, pong)
        || pong.size() != ping.size()) {
      std::cerr << "raw_pingpong: the echo server failed\n";
      std::exit(1);
    }
  };
  for (long i = 0; i < opts.warmup; ++i)
    round_trip();
  std::vector<double> lat;
  lat.reserve(static_cast<std::size_t>(opts.calls));
  auto t0 = clock_type::now();
  for (long i = 0; i < opts.calls; ++i) {
    auto s = clock_type::now();
    round_trip();
    lat.push_back(
      std::chrono::duration<double, std::micro>(clock_type::now() - s).count());
  }
  std::chrono::duration<double> dt = clock_type::now() - t0;
  ::close(fd);
  int status = 0;
  ::waitpid(child, &status, 0);
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    auto i = static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1));
    return lat[i];
  };
  auto rate = static_cast<double>(opts.calls) / dt.count();
  if (opts.tsv) {
    std::printf("raw\t1\t1\t%ld\t%.3f\t%.0f\t%.1f\t%.1f\n", opts.calls,
                dt.count(), rate, pct(0.5), pct(0.99));
  } else {
    std::printf("raw TCP ping-pong, %zu-byte payload: %ld round trips in "
                "%.3f s = %.0f/s; p50 %.1f us, p99 %.1f us\n",
                opts.payload, opts.calls, dt.count(), rate, pct(0.5),
                pct(0.99));
  }
  return 0;
}
