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

  /// Sleeps up to `ms` unless woken by stop().
  void pause(int ms) {
    pollfd p{wake_fd.get(), POLLIN, 0};
    ::poll(&p, 1, ms);
  }

  void run() {
    run_loop();
    // Stopped by close() or by the actor system's shutdown: a local queue
    // refuses connects from now on, since nobody would take them (a
    // listening socket stays open until close()).
    if (queue)
      queue->unbind();
  }

  /// The next connection: a socket from the backlog or the server's end of
  /// a local connection; -1 with `errno` set if none.
  int accept_one() {
    if (!queue)
      return ::accept4(listen_fd.get(), nullptr, nullptr,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    auto fd = queue->take();
    if (!fd)
      errno = EAGAIN;
    return fd.release();
  }

  void run_loop() {
    auto where = local.to_string();
    auto source = queue ? queue->ready_fd() : listen_fd.get();
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
        int fd = accept_one();
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
        std::string peer = queue_peer;
        if (!queue) {
          try {
            peer = net::peer_name(fd);
          } catch (const net::socket_error&) {
            continue; // the client is gone already
          }
        }
        if (local.is_tcp()) {
          int one = 1;
          ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        open_count->fetch_add(1);
        auto hdl = on_accept(std::move(conn), peer);
        // Counts down when the connection's actor ends (at once if it has
        // ended already).
        if (hdl)
          hdl->attach_functor([count = open_count] { count->fetch_sub(1); });
        else
          open_count->fetch_sub(1);
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
    if (auto ptr = weak.lock()) {
      ptr->stopping = true;
      std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(ptr->wake_fd.get(), &one, sizeof(one));
    }
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
  ptr->worker = std::thread{[raw = ptr.get()] { raw->run(); }};
  return server{std::move(ptr)};
}

} // namespace mas::transport
