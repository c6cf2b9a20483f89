#include "mas/transport/local_queue.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

#include "mas/errc.hpp"
#include "mas/log.hpp"
#include "mas/net/endpoint.hpp"

namespace mas::transport {

namespace {

// -- the registry -------------------------------------------------------------

/// One lock for the registry and every queue in it: connects, takes and
/// unbinds are rare and short, and a single lock leaves no order to get
/// wrong between a connect and a concurrent unbind.
std::mutex& registry_mutex() {
  static std::mutex mtx;
  return mtx;
}

/// Bound ids (only while bound; the queue removes itself when unbound).
/// Never destroyed: a server in a static object may unbind after `main`.
std::map<std::string, local_queue*, std::less<>>& registry() {
  static auto* ids = new std::map<std::string, local_queue*, std::less<>>;
  return *ids;
}

// -- Python's repr of a str ---------------------------------------------------

void append_hex(std::string& out, char prefix, std::uint32_t x, int digits) {
  char buf[12];
  std::snprintf(buf, sizeof(buf), "\\%c%0*x", prefix, digits,
                static_cast<unsigned>(x));
  out += buf;
}

/// Decodes one UTF-8 sequence at `str[i]`; returns its length (0: invalid).
std::size_t decode_utf8(std::string_view str, std::size_t i,
                        std::uint32_t& cp) {
  auto byte
    = [&](std::size_t k) { return static_cast<unsigned char>(str[i + k]); };
  auto lead = byte(0);
  std::size_t len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
  if (len == 0 || i + len > str.size() || lead > 0xf4)
    return 0;
  cp = lead & (0x7f >> len);
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(k) & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (byte(k) & 0x3f);
  }
  static constexpr std::uint32_t min_of[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_of[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

/// Python's `repr(str)`: single quotes unless the text has a `'` and no
/// `"`; backslash escapes for the quote, `\`, `\t`, `\n`, `\r`, other
/// control characters and the non-printable Latin-1 range (C1 controls,
/// no-break space, soft hyphen). Other non-ASCII characters stay as they
/// are, as Python prints them (Python's full printable table is not
/// reproduced). Bytes that are not UTF-8, which no Python str holds, are
/// written as `\xNN`.
std::string python_repr(std::string_view str) {
  bool has_single = str.find('\'') != std::string_view::npos;
  bool has_double = str.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out;
  out += quote;
  for (std::size_t i = 0; i < str.size();) {
    auto c = static_cast<unsigned char>(str[i]);
    if (c < 0x80) {
      ++i;
      if (c == static_cast<unsigned char>(quote) || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c < 0x20 || c == 0x7f) {
        append_hex(out, 'x', c, 2);
      } else {
        out += static_cast<char>(c);
      }
      continue;
    }
    std::uint32_t cp = 0;
    auto len = decode_utf8(str, i, cp);
    if (len == 0) {
      append_hex(out, 'x', c, 2);
      ++i;
      continue;
    }
    if (cp <= 0xa0 || cp == 0xad)
      append_hex(out, 'x', cp, 2);
    else
      out.append(str.substr(i, len));
    i += len;
  }
  out += quote;
  return out;
}

caf::error refused(const std::string& id) {
  return make_error(errc::connect_failed,
                    "cannot connect to local:" + id
                      + ": No server started for this local queue instance.");
}

} // namespace

// -- free functions -----------------------------------------------------------

caf::error check_queue_id(std::string_view id) {
  if (id.empty())
    return make_error(errc::invalid_argument, "queue ID must not be empty");
  if (!net::endpoint::valid_queue_id(id))
    return make_error(errc::invalid_argument, "\"/\" not allowed in queue ID ("
                                                + python_repr(id) + ")");
  return {};
}

std::string local_queue_peer_name(std::string_view id) {
  return "LocalQueue(" + python_repr(id) + ")";
}

// -- local_queue --------------------------------------------------------------

local_queue::local_queue(std::string id) : id_(std::move(id)) {
  // nop
}

local_queue::~local_queue() {
  unbind();
}

caf::expected<std::unique_ptr<local_queue>> local_queue::bind(std::string id) {
  if (auto err = check_queue_id(id))
    return err;
  std::unique_ptr<local_queue> result{new local_queue(std::move(id))};
  std::lock_guard<std::mutex> guard{registry_mutex()};
  auto [pos, added] = registry().emplace(result->id_, result.get());
  if (!added)
    return make_error(errc::connect_failed,
                      "cannot listen on local:" + result->id_
                        + ": Server is already set. (another server is "
                          "bound to this queue ID)");
  result->bound_ = true;
  return result;
}

net::unique_fd local_queue::take() {
  std::lock_guard<std::mutex> guard{registry_mutex()};
  if (waiting_.empty())
    return {};
  auto fd = std::move(waiting_.front());
  waiting_.pop_front();
  return fd;
}

void local_queue::on_waiting(std::function<void()> fn) {
  std::lock_guard<std::mutex> guard{registry_mutex()};
  on_waiting_ = std::make_shared<std::function<void()>>(std::move(fn));
}

void local_queue::unbind() {
  std::deque<net::unique_fd> dropped;
  {
    std::lock_guard<std::mutex> guard{registry_mutex()};
    if (!bound_)
      return;
    bound_ = false;
    on_waiting_.reset();
    auto& ids = registry();
    auto pos = ids.find(id_);
    if (pos != ids.end() && pos->second == this)
      ids.erase(pos);
    dropped.swap(waiting_);
  }
  // Closed outside the lock; their clients read EOF.
}

net::unique_fd local_queue::open_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds)
      != 0)
    return {};
  net::unique_fd client{fds[0]};
  waiting_.emplace_back(fds[1]);
  return client;
}

caf::expected<net::unique_fd> local_queue::connect(const std::string& id,
                                                   connect_timeout timeout) {
  using clock_type = std::chrono::steady_clock;
  using std::chrono::duration;
  using std::chrono::duration_cast;
  if (auto err = check_queue_id(id))
    return err;
  // The same schedule as net::connect_with_retry (aiomas's _try_connect).
  auto start = clock_type::now();
  std::optional<clock_type::time_point> deadline;
  if (timeout) {
    auto secs = std::clamp(timeout->count(), 0.0, 100.0 * 365 * 24 * 3600);
    deadline
      = start + duration_cast<clock_type::duration>(duration<double>{secs});
  }
  duration<double> interval{0.5};
  for (;;) {
    net::unique_fd fd;
    std::shared_ptr<std::function<void()>> notify;
    {
      std::lock_guard<std::mutex> guard{registry_mutex()};
      auto& ids = registry();
      if (auto pos = ids.find(id); pos != ids.end()) {
        fd = pos->second->open_pair();
        if (!fd)
          return make_error(errc::connect_failed,
                            "cannot connect to local:" + id
                              + ": socketpair failed: " + std::strerror(errno));
        notify = pos->second->on_waiting_;
      }
    }
    if (fd) {
      if (notify && *notify)
        (*notify)();
      return fd;
    }
    auto now = clock_type::now();
    if (deadline && now >= *deadline)
      return refused(id);
    auto wait = duration_cast<clock_type::duration>(interval);
    if (deadline)
      wait = std::min(wait, *deadline - now);
    char secs[32];
    std::snprintf(secs, sizeof(secs), "%.2f", duration<double>{wait}.count());
    log(log_level::debug, "connect local:" + id
                            + ": No server started for this local queue "
                              "instance; retrying in "
                            + secs + " s");
    std::this_thread::sleep_for(wait);
    interval = std::min(interval * 1.5, duration<double>{30.0});
  }
}

bool local_queue::bound(std::string_view id) {
  std::lock_guard<std::mutex> guard{registry_mutex()};
  auto& ids = registry();
  return ids.find(id) != ids.end();
}

} // namespace mas::transport
