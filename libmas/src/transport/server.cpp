#include "mas/transport/server.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include "mas/errc.hpp"
#include "mas/log.hpp"
#include "mas/transport/broker.hpp"
#include "mas/transport/local_queue.hpp"

namespace mas::transport {

// -- the accept thread --------------------------------------------------------

struct server::impl {
  /// A TCP or Unix socket server listens on this...
  net::unique_fd listen_fd;
  /// ...a local queue server takes its connections from here.
  std::unique_ptr<local_queue> queue;
  /// Local queues: the peer name of every connection.
  std::string queue_peer;
  net::unique_fd wake_fd;
  net::endpoint local;
  server_options opts;
  accept_handler on_accept;
  std::shared_ptr<std::atomic<std::size_t>> open_count
    = std::make_shared<std::atomic<std::size_t>>(0);
  std::atomic<bool> stopping{false};
  std::mutex stop_mtx;
  /// Local queues: serializes `drain` (recursive: a connection that ends
  /// at once calls it again from inside `on_accept`).
  std::recursive_mutex drain_mtx;
  bool drain_at_limit = false;
  std::thread worker;
  /// Stops the accept thread when the actor system shuts down.
  caf::actor watcher;

  ~impl() {
    stop();
  }

  void stop() {
    std::lock_guard<std::mutex> guard{stop_mtx};
    stopping = true;
    if (wake_fd) {
      std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake_fd.get(), &one, sizeof(one));
    }
    if (worker.joinable() && worker.get_id() != std::this_thread::get_id())
      worker.join();
    listen_fd = net::unique_fd{};
    if (queue)
      queue->unbind();
    if (watcher) {
      caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
      watcher = nullptr;
    }
  }

  /// Stops accepting from any thread; a local queue refuses connects from
  /// now on, since nobody would take them (a listening socket stays open
  /// until close()).
  void halt() {
    stopping = true;
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd.get(), &one, sizeof(one));
    if (queue)
      queue->unbind();
  }

  /// Hands an accepted socket to `on_accept` and counts it while its
  /// connection is open; for a local queue, the end of a connection lets
  /// the next waiting one in.
  void accept(net::unique_fd conn, const std::string& peer,
              std::weak_ptr<impl> self) {
    open_count->fetch_add(1);
    auto hdl = on_accept(std::move(conn), peer);
    if (!hdl) {
      open_count->fetch_sub(1);
      return;
    }
    // Counts down when the connection's actor ends (at once if it has
    // ended already).
    hdl->attach_functor([count = open_count, self = std::move(self)] {
      count->fetch_sub(1);
      if (auto ptr = self.lock(); ptr && ptr->queue)
        ptr->drain(self);
    });
  }

  /// Local queues: accepts the waiting ends in connect order, up to
  /// `max_connections` open at once. Runs in the thread that connected (or
  /// ended a connection): a local queue server has no accept thread, so on
  /// the `local_loop` the accept is part of the loop's deterministic order.
  void drain(const std::weak_ptr<impl>& self) {
    std::lock_guard<std::recursive_mutex> guard{drain_mtx};
    while (!stopping) {
      if (open_count->load() >= opts.max_connections) {
        if (!drain_at_limit)
          log(log_level::warning,
              "server " + local.to_string() + ": "
                + std::to_string(opts.max_connections)
                + " connections open (max_connections); new clients wait");
        drain_at_limit = true;
        return;
      }
      auto fd = queue->take();
      if (!fd)
        return;
      if (drain_at_limit) {
        drain_at_limit = false;
        log(log_level::info,
            "server " + local.to_string() + ": accepting again");
      }
      accept(std::move(fd), queue_peer, self);
    }
  }

  /// Sleeps up to `ms` unless woken by stop().
  void pause(int ms) {
    pollfd p{wake_fd.get(), POLLIN, 0};
    ::poll(&p, 1, ms);
  }

  /// The accept thread of a TCP or Unix socket server.
  void run(std::weak_ptr<impl> self) {
    auto where = local.to_string();
    auto source = listen_fd.get();
    auto backoff = static_cast<int>(opts.accept_backoff.count());
    // An episode (at the limit, out of descriptors) is logged when it
    // starts and ends only once the backlog is drained: a peer that keeps
    // the server at the edge cannot turn it into a stream of log lines.
    bool at_limit = false;
    bool accept_failing = false;
    auto episode_over = [&] {
      if (!at_limit && !accept_failing)
        return;
      at_limit = false;
      accept_failing = false;
      log(log_level::info, "server " + where + ": accepting again");
    };
    while (!stopping) {
      if (open_count->load() >= opts.max_connections) {
        if (!at_limit) {
          log(log_level::warning,
              "server " + where + ": " + std::to_string(opts.max_connections)
                + " connections open (max_connections); new clients wait");
          at_limit = true;
        }
        pause(backoff);
        continue;
      }
      pollfd fds[2] = {{wake_fd.get(), POLLIN, 0}, {source, POLLIN, 0}};
      // While an episode lasts, an empty backlog ends it.
      auto wait = at_limit || accept_failing ? 0 : -1;
      auto ready = ::poll(fds, 2, wait);
      if (ready < 0 && errno != EINTR) {
        log(log_level::error,
            "server " + where + ": poll failed: " + std::strerror(errno));
        pause(backoff);
        continue;
      }
      if (stopping)
        break;
      if (ready == 0) {
        episode_over();
        continue;
      }
      if ((fds[1].revents & POLLIN) == 0)
        continue;
      // Accept what is waiting, a bounded batch at a time.
      for (int i = 0; i < 64 && !stopping; ++i) {
        if (open_count->load() >= opts.max_connections)
          break;
        int fd = ::accept4(listen_fd.get(), nullptr, nullptr,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          auto err = errno;
          if (err == EAGAIN || err == EWOULDBLOCK) {
            episode_over();
            break;
          }
          if (err == EINTR || err == ECONNABORTED || err == EPROTO)
            continue;
          if (!accept_failing) {
            log(log_level::error,
                "server " + where + ": cannot accept: " + std::strerror(err)
                  + (err == EMFILE || err == ENFILE
                       ? " (out of file descriptors; raise the limit, e.g. "
                         "ulimit -n, or lower max_connections)"
                       : std::string{})
                  + "; retrying every " + std::to_string(backoff)
                  + " ms, open connections are still served");
            accept_failing = true;
          }
          pause(backoff);
          break;
        }
        net::unique_fd conn{fd};
        std::string peer;
        try {
          peer = net::peer_name(fd);
        } catch (const net::socket_error&) {
          continue; // the client is gone already
        }
        if (local.is_tcp()) {
          int one = 1;
          ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        accept(std::move(conn), peer, self);
      }
    }
  }
};

namespace {

/// Stops a server's accept thread when the actor system shuts down.
caf::behavior watch_supervisor(caf::io::broker* self,
                               std::weak_ptr<server::impl> weak) {
  self->monitor(supervisor_of(self->home_system()));
  self->set_down_handler([self, weak](caf::down_msg&) {
    if (auto ptr = weak.lock())
      ptr->halt();
    self->quit();
  });
  return {
    [](caf::ok_atom) {},
  };
}

} // namespace

// -- server -------------------------------------------------------------------

server& server::operator=(server&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

server::~server() {
  close();
}

const net::endpoint& server::local_endpoint() const noexcept {
  static const net::endpoint none;
  return impl_ ? impl_->local : none;
}

void server::close() {
  if (impl_)
    impl_->stop();
}

std::size_t server::open_connections() const noexcept {
  return impl_ ? impl_->open_count->load() : 0;
}

caf::expected<server> listen(caf::actor_system& sys, const net::endpoint& ep,
                             const server_options& opts,
                             accept_handler on_accept) {
  auto ptr = std::make_shared<server::impl>();
  if (ep.is_local()) {
    auto queue = local_queue::bind(ep.queue_id);
    if (!queue)
      return std::move(queue.error());
    ptr->queue = std::move(*queue);
    ptr->queue_peer = local_queue_peer_name(ep.queue_id);
    ptr->local = ep;
  } else {
    try {
      ptr->listen_fd = net::listen_on(ep);
      ptr->local = net::local_endpoint(ptr->listen_fd.get());
    } catch (const net::socket_error& e) {
      return make_error(errc::connect_failed,
                        "cannot listen on " + ep.to_string() + ": " + e.what());
    }
    ::fcntl(ptr->listen_fd.get(), F_SETFL,
            ::fcntl(ptr->listen_fd.get(), F_GETFL) | O_NONBLOCK);
  }
  ptr->wake_fd = net::unique_fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  if (!ptr->wake_fd)
    return make_error(errc::connect_failed,
                      std::string{"eventfd failed: "} + std::strerror(errno));
  ptr->opts = opts;
  ptr->on_accept = std::move(on_accept);
  ptr->watcher = sys.middleman().spawn_broker<caf::hidden>(
    watch_supervisor, std::weak_ptr<server::impl>{ptr});
  std::weak_ptr<server::impl> weak = ptr;
  if (ptr->queue)
    ptr->queue->on_waiting([weak] {
      if (auto self = weak.lock())
        self->drain(weak);
    });
  else
    ptr->worker = std::thread{[raw = ptr.get(), weak] { raw->run(weak); }};
  return server{std::move(ptr)};
}

} // namespace mas::transport
