// mango_bench: one-way messages and request/echo round trips between mango
// TCP containers (mas::mango), in the wire format of Python mango.
//
// receiver --addr HOST:PORT: a container with two agents:
//   sink  counts the messages it gets; the content "report" is not counted
//         but answered (to mango.sender_addr(meta)) with the count so far
//   echo  sends every message's content back to its sender
// sender --target HOST:PORT: a container of its own (127.0.0.1:0) with an
//   agent that sends --warmup and then --count one-way MangoMessages (content:
//   a string of --size characters) to sink, asks for the count ("report")
//   until it reached them all (messages/s), then makes --round-trips
//   sequential round trips through echo (p50/p99 latency).
//
// Both speak plain mango (MangoMessage content/meta), so the Python anchor
// benchmarks/mango_bench_peer.py (real mango 2.4, the same roles and output)
// can take either side. benchmarks/run_mango_bench runs the pairs
// (docs/benchmarks.md).

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pthread.h>
#include <sys/prctl.h>

#include <caf/actor_system_config.hpp>

#include "mas/errc.hpp"
#include "mas/log.hpp"
#include "mas/mango/agent.hpp"
#include "mas/mango/tcp_container.hpp"
#include "mas/version.hpp"

namespace mango = mas::mango;
using mas::wire::dict;
using mas::wire::value;

namespace {

using clock_type = std::chrono::steady_clock;

constexpr const char* usage_text
  = R"(usage: mango_bench receiver --addr HOST:PORT [options]
       mango_bench sender --target HOST:PORT [options]

One-way messages and round trips between mango TCP containers (libmas's
mas::mango, mango's wire format: MangoMessage with content and meta, JSON).
benchmarks/mango_bench_peer.py is the same program in Python mango.

receiver             a container at --addr (port 0: the OS picks one) with
                     the agents "sink" (counts messages; answers the content
                     "report" with the count so far, to the sender's
                     address, and does not count it) and "echo" (sends each
                     message's content back to its sender). Prints
                     "listening on HOST:PORT" and "ready"; exits 0 on
                     SIGTERM or SIGINT (or when its parent exits). Give one
                     sender per receiver: the count is not per sender.
  --addr HOST:PORT   where to listen (required)
sender               a container at 127.0.0.1:0 with one agent that sends
                     --warmup one-way messages to sink, waits until sink
                     counted them, then sends --count more (the timed part:
                     from the first send to the reply that reports them
                     all; "report" is asked again every millisecond until
                     it does), then --rtt-warmup and --round-trips
                     sequential round trips through echo (each from just
                     before the send to the reply's handle_message)
  --target HOST:PORT the receiver (required)
  --count N          timed one-way messages (default 20000)
  --size BYTES       characters of each message's content string
                     (default 100)
  --warmup N         untimed one-way messages first (default 1000)
  --round-trips M    timed round trips (default 2000; 0: none)
  --rtt-warmup N     untimed round trips first (default 200)
  --timeout S        give up after S seconds in all (default 120; exit 1)
  --tsv              print tab-separated lines instead:
                     oneway COUNT SIZE SECONDS MSGS_PER_S
                     rtt ROUND_TRIPS SIZE P50_US P99_US MEAN_US
both:
  --python-minor N   the type ids for peers not yet heard from: mango >=
                     2.1.4 on Python 3.N (10 to 13; default 11)
  --threads N        CAF scheduler threads (default: CAF's, max(4, cores))
  --caf KEY=VALUE    a CAF 0.17 option, repeatable
  -h, --help         this text
  --version          print "mango_bench (libmas) VERSION"
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "mango_bench: " << what << "\n(see --help)\n";
  std::exit(2);
}

struct options {
  std::string mode;
  std::string addr;
  std::string target;
  std::uint64_t count = 20000;
  std::uint64_t size = 100;
  std::uint64_t warmup = 1000;
  std::uint64_t round_trips = 2000;
  std::uint64_t rtt_warmup = 200;
  double timeout = 120;
  bool tsv = false;
  int python_minor = 11;
  int threads = 0;
  std::vector<std::string> caf_args;
};

mango::container_options container_options_of(const options& opts) {
  mango::container_options copts;
  copts.type_ids = mas::wire::mango_type_ids_for(
    mas::wire::mango_wire_version::v2_1_4, opts.python_minor);
  copts.configure = [opts](caf::actor_system_config& cfg) {
    if (opts.threads > 0)
      cfg.set("scheduler.max-threads", opts.threads);
    if (!opts.caf_args.empty()) {
      std::istringstream no_ini;
      if (auto err = cfg.parse(opts.caf_args, no_ini))
        usage_error("bad --caf option: " + cfg.render(err));
    }
  };
  return copts;
}

/// Shuts `home` down within 10 s, else reports the hang and exits 3 (a
/// benchmark run must not hang).
void bounded_shutdown(mango::tcp_container& home) {
  std::thread{[] {
    std::this_thread::sleep_for(std::chrono::seconds{10});
    std::fputs("mango_bench: the container did not shut down within 10 s\n",
               stderr);
    std::_Exit(3);
  }}.detach();
  home.shutdown();
}

/// Blocks SIGTERM and SIGINT in every thread (call before any starts); a
/// thread of one's own then takes them with sigwait.
sigset_t block_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

// -- receiver -----------------------------------------------------------------

class sink : public mango::agent {
public:
  using agent::agent;

  const char* name() const override {
    return "Sink";
  }

  void handle_message(const value& content, const dict& meta) override {
    if (content.is_string() && content.as_string() == "report")
      send_message(value{count_}, mango::sender_addr(meta));
    else
      ++count_;
  }

private:
  std::int64_t count_ = 0;
};

class echo : public mango::agent {
public:
  using agent::agent;

  const char* name() const override {
    return "Echo";
  }

  void handle_message(const value& content, const dict& meta) override {
    send_message(content, mango::sender_addr(meta));
  }
};

int run_receiver(const options& opts) {
  // A receiver started by a script must not outlive it.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  auto stop_signals = block_stop_signals();
  auto c = mango::tcp_container::create(opts.addr, container_options_of(opts));
  if (!c) {
    std::cerr << "mango_bench: cannot listen at " << opts.addr << ": "
              << mas::render(c.error()) << "\n";
    return 1;
  }
  auto& home = **c;
  home.register_agent<sink>("sink");
  home.register_agent<echo>("echo");
  home.on_ready();
  std::thread waiter{[&home, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    home.request_stop();
  }};
  std::cout << "listening on " << home.host() << ":" << home.port() << "\n"
            << "ready" << std::endl;
  home.wait_for_stop();
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  auto st = home.stats();
  std::cerr << "mango_bench receiver: received " << st.received
            << ", delivered " << st.delivered << ", malformed " << st.malformed
            << ", unknown receiver " << st.unknown_receiver << ", sent "
            << st.sent << ", send failed " << st.send_failed << "\n";
  bounded_shutdown(home);
  c->reset();
  return 0;
}

// -- sender -------------------------------------------------------------------

struct plan {
  mango::agent_address sink;
  mango::agent_address echo;
  std::uint64_t count = 0;
  std::uint64_t warmup = 0;
  std::uint64_t round_trips = 0;
  std::uint64_t rtt_warmup = 0;
  value payload;
  clock_type::time_point deadline;
};

struct outcome {
  std::string error; // empty: all went well
  double oneway_seconds = 0;
  std::vector<double> rtt_us;
};

/// Sends the one-way phase and the round trips, then fulfills `done`.
/// Everything runs in the agent, one message at a time.
class sender : public mango::agent {
public:
  sender(caf::actor_config& cfg, mas::agent_init init, plan p,
         std::shared_ptr<std::promise<outcome>> done)
    : agent(cfg, std::move(init)), plan_(std::move(p)), done_(std::move(done)) {
    // nop
  }

  const char* name() const override {
    return "Sender";
  }

  void on_ready() override {
    send_oneway(plan_.warmup);
    wait_for_count(plan_.warmup, [this] {
      t0_ = clock_type::now();
      send_oneway(plan_.count);
      wait_for_count(plan_.warmup + plan_.count, [this] {
        result_.oneway_seconds
          = std::chrono::duration<double>(clock_type::now() - t0_).count();
        result_.rtt_us.reserve(plan_.round_trips);
        next_round_trip();
      });
    });
  }

  void handle_message(const value& content, const dict& meta) override {
    if (finished_)
      return;
    if (clock_type::now() > plan_.deadline) {
      finish("timed out");
      return;
    }
    const value* from = meta.find("sender_id");
    bool from_sink = from != nullptr && from->is_string()
                     && from->as_string() == plan_.sink.aid;
    if (from_sink) {
      if (!content.is_int()) {
        finish("sink answered " + mas::wire::to_string(content));
        return;
      }
      auto n = static_cast<std::uint64_t>(content.as_int64());
      if (n >= want_) {
        auto k = std::move(then_);
        then_ = nullptr;
        if (k)
          k();
      } else {
        // Not all there yet (a message on another connection, say): ask
        // again in a millisecond.
        schedule_timestamp_task([this] { ask_count(); },
                                current_timestamp() + 0.001);
      }
      return;
    }
    // An echo.
    if (rtt_done_ >= plan_.rtt_warmup)
      result_.rtt_us.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - sent_at_)
          .count());
    ++rtt_done_;
    next_round_trip();
  }

private:
  void send_oneway(std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i)
      if (!send_message(plan_.payload, plan_.sink)) {
        finish("cannot send to the sink");
        return;
      }
  }

  /// Asks sink for its count until it reaches `n`, then runs `k`.
  void wait_for_count(std::uint64_t n, std::function<void()> k) {
    want_ = n;
    then_ = std::move(k);
    ask_count();
  }

  void ask_count() {
    if (finished_)
      return;
    if (clock_type::now() > plan_.deadline) {
      finish("timed out waiting for the sink's count");
      return;
    }
    if (!send_message(value{"report"}, plan_.sink))
      finish("cannot send to the sink");
  }

  void next_round_trip() {
    if (rtt_done_ >= plan_.rtt_warmup + plan_.round_trips) {
      finish({});
      return;
    }
    sent_at_ = clock_type::now();
    if (!send_message(plan_.payload, plan_.echo))
      finish("cannot send to echo");
  }

  void finish(std::string error) {
    if (finished_)
      return;
    finished_ = true;
    result_.error = std::move(error);
    done_->set_value(std::move(result_));
  }

  plan plan_;
  std::shared_ptr<std::promise<outcome>> done_;
  outcome result_;
  bool finished_ = false;
  std::uint64_t want_ = 0;
  std::function<void()> then_;
  clock_type::time_point t0_;
  clock_type::time_point sent_at_;
  std::uint64_t rtt_done_ = 0;
};

int run_sender(const options& opts) {
  auto target = mango::tcp_target(value{opts.target});
  if (!target)
    usage_error("--target expects HOST:PORT, not " + opts.target);
  auto copts = container_options_of(opts);
  // Every message may wait in the pool while the connection comes up.
  copts.max_queued_per_target = std::max<std::size_t>(
    copts.max_queued_per_target, opts.count + opts.warmup + 1024);
  auto c = mango::tcp_container::create("127.0.0.1:0", copts);
  if (!c) {
    std::cerr << "mango_bench: cannot start a container: "
              << mas::render(c.error()) << "\n";
    return 1;
  }
  auto& home = **c;
  plan p;
  p.sink = mango::tcp_addr(target->first, target->second, "sink");
  p.echo = mango::tcp_addr(target->first, target->second, "echo");
  p.count = opts.count;
  p.warmup = opts.warmup;
  p.round_trips = opts.round_trips;
  p.rtt_warmup = opts.round_trips > 0 ? opts.rtt_warmup : 0;
  p.payload = value{std::string(opts.size, 'x')};
  auto limit = std::chrono::duration_cast<clock_type::duration>(
    std::chrono::duration<double>(opts.timeout));
  p.deadline = clock_type::now() + limit;
  auto done = std::make_shared<std::promise<outcome>>();
  auto result = done->get_future();
  home.register_agent<sender>("sender", std::move(p), done);
  home.on_ready();
  int rc = 0;
  // Wait for the agent, but stop early when messages cannot go (nobody
  // listens at --target): the agent would only time out.
  auto give_up = clock_type::now() + limit + std::chrono::seconds{1};
  bool ready = false;
  bool unreachable = false;
  while (!ready && !unreachable && clock_type::now() < give_up) {
    ready = result.wait_for(std::chrono::milliseconds{100})
            == std::future_status::ready;
    unreachable = !ready && home.stats().send_failed > 0;
  }
  if (!ready) {
    if (unreachable)
      std::cerr << "mango_bench: cannot send to " << opts.target << "\n";
    else
      std::cerr << "mango_bench: no result within " << opts.timeout
                << " s (sink or echo silent?)\n";
    rc = 1;
  } else if (auto r = result.get(); !r.error.empty()) {
    std::cerr << "mango_bench: " << r.error << "\n";
    rc = 1;
  } else {
    double rate = r.oneway_seconds > 0
                    ? static_cast<double>(opts.count) / r.oneway_seconds
                    : 0;
    double p50 = 0, p99 = 0, mean = 0;
    auto& lat = r.rtt_us;
    if (!lat.empty()) {
      std::sort(lat.begin(), lat.end());
      auto pct = [&](double q) {
        return lat[static_cast<std::size_t>(
          q * static_cast<double>(lat.size() - 1))];
      };
      p50 = pct(0.5);
      p99 = pct(0.99);
      for (auto x : lat)
        mean += x;
      mean /= static_cast<double>(lat.size());
    }
    if (opts.tsv) {
      std::printf("oneway\t%llu\t%llu\t%.6f\t%.0f\n",
                  static_cast<unsigned long long>(opts.count),
                  static_cast<unsigned long long>(opts.size), r.oneway_seconds,
                  rate);
      if (!lat.empty())
        std::printf("rtt\t%zu\t%llu\t%.1f\t%.1f\t%.1f\n", lat.size(),
                    static_cast<unsigned long long>(opts.size), p50, p99, mean);
    } else {
      std::printf("oneway: %llu messages of %llu bytes in %.4f s: %.0f msg/s\n",
                  static_cast<unsigned long long>(opts.count),
                  static_cast<unsigned long long>(opts.size), r.oneway_seconds,
                  rate);
      if (!lat.empty())
        std::printf("rtt: %zu round trips of %llu bytes: p50 %.1f us, p99 "
                    "%.1f us, mean %.1f us\n",
                    lat.size(), static_cast<unsigned long long>(opts.size), p50,
                    p99, mean);
    }
  }
  std::fflush(stdout);
  auto st = home.stats();
  if (st.send_failed > 0) {
    std::cerr << "mango_bench: " << st.send_failed
              << " message(s) could not be sent\n";
    rc = 1;
  }
  bounded_shutdown(home);
  c->reset();
  return rc;
}

std::uint64_t parse_count(const std::string& text, const std::string& what) {
  try {
    std::size_t end = 0;
    auto n = std::stoull(text, &end);
    if (end == text.size() && text.find('-') == std::string::npos)
      return n;
  } catch (const std::exception&) {
    // fall through
  }
  usage_error(what + " expects a non-negative number");
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        usage_error("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << usage_text;
      return 0;
    } else if (arg == "--version") {
      std::cout << "mango_bench (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if ((arg == "receiver" || arg == "sender") && opts.mode.empty()) {
      opts.mode = arg;
    } else if (arg == "--addr") {
      opts.addr = next();
    } else if (arg == "--target") {
      opts.target = next();
    } else if (arg == "--count") {
      opts.count = parse_count(next(), arg);
    } else if (arg == "--size") {
      opts.size = parse_count(next(), arg);
    } else if (arg == "--warmup") {
      opts.warmup = parse_count(next(), arg);
    } else if (arg == "--round-trips") {
      opts.round_trips = parse_count(next(), arg);
    } else if (arg == "--rtt-warmup") {
      opts.rtt_warmup = parse_count(next(), arg);
    } else if (arg == "--timeout") {
      try {
        opts.timeout = std::stod(next());
      } catch (const std::exception&) {
        usage_error("--timeout expects seconds");
      }
      if (!(opts.timeout > 0))
        usage_error("--timeout expects seconds > 0");
    } else if (arg == "--tsv") {
      opts.tsv = true;
    } else if (arg == "--python-minor") {
      auto n = parse_count(next(), arg);
      if (n < 10 || n > 13)
        usage_error("--python-minor takes 10, 11, 12 or 13");
      opts.python_minor = static_cast<int>(n);
    } else if (arg == "--threads") {
      opts.threads = static_cast<int>(parse_count(next(), arg));
    } else if (arg == "--caf") {
      opts.caf_args.push_back("--" + next());
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  mas::set_log_sink([](mas::log_level level, std::string_view text) {
    if (level == mas::log_level::error || level == mas::log_level::warning)
      std::cerr << "mango_bench: " << mas::to_string(level) << ": " << text
                << std::endl;
  });
  int rc = 0;
  if (opts.mode == "receiver") {
    if (opts.addr.empty())
      usage_error("receiver needs --addr HOST:PORT");
    rc = run_receiver(opts);
  } else if (opts.mode == "sender") {
    if (opts.target.empty())
      usage_error("sender needs --target HOST:PORT");
    if (opts.count == 0)
      usage_error("--count must be positive");
    rc = run_sender(opts);
  } else {
    usage_error("give receiver or sender");
  }
  return rc;
}
