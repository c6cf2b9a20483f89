#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "mas/rpc/proxy.hpp"
#include "mas/wire/value.hpp"

namespace mas::aiomas {

class container;

// -- subprocess
// -----------------------------------------------------------------

/// A container process started by a master (the master's half of
/// aiomas.subproc, which leaves starting the process to the user's
/// `subprocess.Popen`). The child's stdout is piped to a reader thread, so
/// a child that prints a line `ready` once it accepts connections (like
/// `mas_container`) can be waited for with `wait_ready`; Python aiomas
/// containers print nothing, so the master connects with a connect timeout
/// instead (`container::connect(url, timeout)` retries until it is up).
///
/// Every wait is bounded. The destructor kills (SIGKILL) and reaps a child
/// that still runs, so no zombie and no pipe outlive the object. One owner
/// thread calls the member functions (only `wait_ready` and `output` may
/// be called from other threads).
class subprocess {
public:
  /// Starts `argv[0]` (searched in `PATH` if it has no `/`) with `argv`.
  /// The child inherits the environment and stderr; its stdin is
  /// `/dev/null`, its stdout the pipe, and no other descriptor of this
  /// process. Fails with `errc::invalid_argument` for an empty `argv` and
  /// with `errc::invalid_argument` ("cannot start ...: <errno text>") if the
  /// program cannot be executed.
  static caf::expected<std::unique_ptr<subprocess>>
  start(std::vector<std::string> argv);

  subprocess(const subprocess&) = delete;
  subprocess& operator=(const subprocess&) = delete;

  /// Kills and reaps the child if it still runs.
  ~subprocess();

  pid_t pid() const noexcept {
    return pid_;
  }

  const std::vector<std::string>& argv() const noexcept {
    return argv_;
  }

  /// Waits until the child printed a line `ready`. Fails with
  /// `errc::timeout` after `timeout`, and with `errc::connect_failed` if the
  /// child closed its stdout (ended) before.
  caf::error wait_ready(std::chrono::milliseconds timeout);

  /// The stdout lines read so far (the last 100).
  std::vector<std::string> output() const;

  /// Sends SIGTERM (aiomas containers and `mas_container` stop and exit 0).
  /// False if the child was reaped already.
  bool terminate();

  /// Sends SIGKILL. False if the child was reaped already.
  bool kill();

  /// Waits at most `timeout` for the child to end: its exit status, or
  /// `-N` for a child killed by signal N (Python's `returncode`); nullopt
  /// if it still runs. Once reaped, returns the same status at once.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  /// True until the child has ended (and was reaped by `wait`).
  bool running();

private:
  subprocess(pid_t pid, int out_fd, std::vector<std::string> argv);

  void read_loop();

  pid_t pid_;
  int out_fd_;
  std::vector<std::string> argv_;
  std::optional<int> status_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  bool ready_ = false;
  bool eof_ = false;
  bool stop_reading_ = false;
  std::thread reader_;
};

// -- driving a subproc container's Manager
// ------------------------------------------

/// An agent a `Manager.spawn` made: the proxy (bound on the manager's
/// connection) and its address.
struct spawned_agent {
  rpc::proxy agent;
  std::string addr;
};

/// The master's handle on aiomas.subproc's `Manager` (aid 0 of a container
/// process, C++ `mas_container` or Python): `mgr` is the proxy that
/// `container::connect("tcp://host:port/0", timeout)` returned. The calls
/// return CAF response handles (result: `wire::value`), for `.then`,
/// `.await` or `.receive`, like `rpc::proxy::call`.
struct manager_proxy {
  rpc::proxy mgr;

  /// `Manager.spawn(qualname, *args, **kwargs)`: the result is
  /// `[agent proxy, address]`; `spawned_of` reads it.
  template <class Self>
  auto spawn(Self* self, std::string qualname, wire::array args = {},
             wire::dict kwargs = {}) const {
    wire::array xs;
    xs.reserve(args.size() + 1);
    xs.emplace_back(std::move(qualname));
    for (auto& x : args)
      xs.push_back(std::move(x));
    return mgr.call_kw(self, "spawn", std::move(xs), std::move(kwargs));
  }

  /// Reads a `spawn` result: the agent's proxy (bound on the manager's
  /// connection, with its timeout) and address. Fails with
  /// `errc::type_mismatch` for anything but `[reference, "url"]`.
  caf::expected<spawned_agent> spawned_of(const wire::value& result) const;

  /// `Manager.set_time(t)` (an external clock only; aiomas fails with
  /// `AttributeError` on a real-time one, `ValueError` for a time that is not
  /// later).
  template <class Self>
  auto set_time(Self* self, double t) const {
    return mgr.call(self, "set_time", t);
  }

  /// `Manager.stop()`: answers `None`, then the container process exits.
  template <class Self>
  auto stop(Self* self) const {
    return mgr.call(self, "stop");
  }
};

/// Connects `master` to the Manager of a container process that was just
/// started (`url` = `tcp://host:port/0`) and returns the Manager's proxy
/// with `call_timeout`. Python's `aiomas.subproc.start` opens its server
/// before it creates the Manager, so for a moment the container answers
/// `validate_aid("0")` with "does not exist": this retries that answer and
/// a refused connection until `timeout`, and gives up early if `child`
/// (when given) has ended. Other errors return at once.
caf::expected<manager_proxy> connect_manager(
  container& master, const std::string& url, std::chrono::milliseconds timeout,
  std::chrono::milliseconds call_timeout, subprocess* child = nullptr);

} // namespace mas::aiomas
