#include "mas/aiomas/subproc.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mas/aiomas/container.hpp"
#include "mas/errc.hpp"
#include "mas/wire/error.hpp"

namespace mas::aiomas {

namespace {

/// Closes every descriptor from `lowest` on in a freshly forked child
/// (async-signal-safe: a system call, or a plain loop where the kernel
/// lacks close_range).
void close_from(int lowest) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, static_cast<unsigned>(lowest), ~0U, 0U) == 0)
    return;
#endif
  auto max_fd = sysconf(_SC_OPEN_MAX);
  for (long fd = lowest; fd < max_fd; ++fd)
    close(static_cast<int>(fd));
}

/// Writes all of `buf` (the child's errno on a failed exec).
void write_all(int fd, const void* buf, size_t n) {
  auto p = static_cast<const char*>(buf);
  while (n > 0) {
    auto k = write(fd, p, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return;
    p += k;
    n -= static_cast<size_t>(k);
  }
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string result;
  for (auto& x : argv) {
    if (!result.empty())
      result += ' ';
    result += x;
  }
  return result;
}

} // namespace

// -- subprocess
// -------------------------------------------------------------------

caf::expected<std::unique_ptr<subprocess>>
subprocess::start(std::vector<std::string> argv) {
  if (argv.empty() || argv[0].empty())
    return make_error(errc::invalid_argument,
                      "cannot start a process without a program");
  // Everything the child needs is made before fork: after it, a
  // multi-threaded parent's child may only make async-signal-safe calls.
  std::vector<char*> args;
  for (auto& x : argv)
    args.push_back(x.data());
  args.push_back(nullptr);
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return make_error(errc::invalid_argument,
                      "cannot start " + argv[0]
                        + ": pipe: " + std::strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
    auto text = std::strerror(errno);
    close(out[0]);
    close(out[1]);
    return make_error(errc::invalid_argument,
                      "cannot start " + argv[0] + ": pipe: " + text);
  }
  auto pid = fork();
  if (pid < 0) {
    auto text = std::strerror(errno);
    for (int fd : {out[0], out[1], err[0], err[1]})
      close(fd);
    return make_error(errc::invalid_argument,
                      "cannot start " + argv[0] + ": fork: " + text);
  }
  if (pid == 0) {
    // The child: stdin from /dev/null, stdout into the pipe, stderr kept,
    // nothing else but the exec-error pipe (closed by exec).
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
      dup2(null_fd, 0);
    dup2(out[1], 1);
    if (err[1] != 3) {
      dup2(err[1], 3);
      fcntl(3, F_SETFD, FD_CLOEXEC);
    }
    close_from(4);
    // The parent may block SIGTERM (mas_container does): unblock it.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvp(args[0], args.data());
    int code = errno;
    write_all(3, &code, sizeof(code));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  // A successful exec closes the error pipe without a word.
  int code = 0;
  ssize_t n;
  do {
    n = read(err[0], &code, sizeof(code));
  } while (n < 0 && errno == EINTR);
  close(err[0]);
  if (n == static_cast<ssize_t>(sizeof(code))) {
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ; // retry
    return make_error(errc::invalid_argument,
                      "cannot start " + argv[0] + ": " + std::strerror(code));
  }
  return std::unique_ptr<subprocess>{
    new subprocess(pid, out[0], std::move(argv))};
}

subprocess::subprocess(pid_t pid, int out_fd, std::vector<std::string> argv)
  : pid_(pid), out_fd_(out_fd), argv_(std::move(argv)) {
  reader_ = std::thread{[this] { read_loop(); }};
}

subprocess::~subprocess() {
  if (running()) {
    kill();
    wait(std::chrono::seconds{10});
  }
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stop_reading_ = true;
  }
  reader_.join();
  close(out_fd_);
}

void subprocess::read_loop() {
  std::string partial;
  char buf[4096];
  for (;;) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (stop_reading_)
        break;
    }
    // Polls with a short timeout so the destructor can end the thread even
    // if a grandchild keeps the pipe open.
    pollfd pfd{out_fd_, POLLIN, 0};
    auto res = poll(&pfd, 1, 50);
    if (res < 0 && errno == EINTR)
      continue;
    if (res <= 0)
      continue;
    auto n = read(out_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    partial.append(buf, static_cast<size_t>(n));
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto pos = partial.find('\n'); pos != std::string::npos;
         pos = partial.find('\n')) {
      auto line = partial.substr(0, pos);
      partial.erase(0, pos + 1);
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      if (line == "ready")
        ready_ = true;
      lines_.push_back(std::move(line));
      if (lines_.size() > 100)
        lines_.erase(lines_.begin());
    }
    cv_.notify_all();
  }
  std::lock_guard<std::mutex> guard{mtx_};
  eof_ = true;
  cv_.notify_all();
}

caf::error subprocess::wait_ready(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (!cv_.wait_for(guard, timeout, [this] { return ready_ || eof_; }))
    return make_error(errc::timeout,
                      command_line(argv_) + " printed no \"ready\" line within "
                        + std::to_string(timeout.count()) + " ms");
  if (!ready_)
    return make_error(errc::connect_failed,
                      command_line(argv_)
                        + " closed its stdout before printing \"ready\"");
  return caf::none;
}

std::vector<std::string> subprocess::output() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return lines_;
}

bool subprocess::terminate() {
  if (status_)
    return false;
  return ::kill(pid_, SIGTERM) == 0;
}

bool subprocess::kill() {
  if (status_)
    return false;
  return ::kill(pid_, SIGKILL) == 0;
}

std::optional<int> subprocess::wait(std::chrono::milliseconds timeout) {
  if (status_)
    return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    auto res = waitpid(pid_, &status, WNOHANG);
    if (res == pid_) {
      if (WIFEXITED(status))
        status_ = WEXITSTATUS(status);
      else if (WIFSIGNALED(status))
        status_ = -WTERMSIG(status);
      else
        continue; // stopped or continued: not the end
      return status_;
    }
    if (res < 0 && errno != EINTR) {
      // Reaped elsewhere (or never ours): nothing left to wait for.
      status_ = -1;
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

bool subprocess::running() {
  return !wait(std::chrono::milliseconds{0});
}

// -- manager_proxy
// ------------------------------------------------------------------

caf::expected<spawned_agent>
manager_proxy::spawned_of(const wire::value& result) const {
  auto bad = [&] {
    return make_error(errc::type_mismatch,
                      "unexpected spawn result " + wire::to_string(result)
                        + ": expected [agent proxy, address]");
  };
  if (!result.is_array() || result.as_array().size() != 2
      || !result.as_array()[1].is_string())
    return bad();
  auto& pair = result.as_array();
  try {
    return spawned_agent{mgr.bind(pair[0]), pair[1].as_string()};
  } catch (const std::exception&) {
    return bad();
  }
}

caf::expected<manager_proxy>
connect_manager(container& master, const std::string& url,
                std::chrono::milliseconds timeout,
                std::chrono::milliseconds call_timeout, subprocess* child) {
  using clock_type = std::chrono::steady_clock;
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
    auto proxy = master.connect(
      url, std::chrono::duration<double>{std::max(left.count(), 1L) / 1e3});
    if (proxy)
      return manager_proxy{proxy->with_timeout(call_timeout)};
    // Only "the Manager is not there yet" is worth another try.
    if (!is(proxy.error(), errc::no_such_agent) || clock_type::now() >= deadline
        || (child != nullptr && !child->running()))
      return std::move(proxy.error());
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

} // namespace mas::aiomas
