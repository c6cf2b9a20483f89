// mango_scenarios: the scenarios of OFFIS-DAI/mango_benchmark with libmas's
// mas::mango, all containers in one process, timed in wall-clock seconds.
//
// A scenario (parameters as in mango_benchmark's
// scenario_setup/parameters.json, same names) puts `number_of_agents` agents
// into `number_of_containers` TCP containers on 127.0.0.1 (ceil(n / c)
// consecutive agents per container) and connects them by mango_benchmark's
// small-world rule (every pair at ring distance <= k, then every other pair
// with probability p, drawn from CPython's random.seed(rng_seed) /
// random.random(), so the edges equal the Python side's). Each agent
// plays `message_amount` sequential ping-pong rounds with every neighbour,
// all neighbours at once; every incoming message schedules
// `work_on_message_in_seconds` of busy work; `n_periodic_tasks` periodic
// tasks per agent do `work_periodic_in_seconds` every
// `delay_periodic_in_seconds`. A run ends when every agent got its last
// pong; the wall time runs from the agents' start to the end of the
// containers' shutdown.
//
// benchmarks/mango_scenarios_peer.py is the same program in Python mango 2.4
// (one process, one event loop); benchmarks/run_mango_scenarios runs both
// (docs/benchmarks.md, "mango_benchmark scenarios").

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <sys/resource.h>

#include <caf/actor_system_config.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include "mas/errc.hpp"
#include "mas/log.hpp"
#include "mas/mango/acl.hpp"
#include "mas/mango/agent.hpp"
#include "mas/mango/tcp_container.hpp"
#include "mas/version.hpp"
#include "mas/wire/codec.hpp"

namespace mango = mas::mango;
using mas::wire::dict;
using mas::wire::value;

namespace {

using clock_type = std::chrono::steady_clock;

constexpr const char* usage_text
  = R"(usage: mango_scenarios --scenario NAME [options]
       mango_scenarios --list | --print-edges --scenario NAME

The scenarios of OFFIS-DAI/mango_benchmark with libmas's mas::mango: every
container (a mango TCP container on 127.0.0.1, port 0) in this one process,
agents as mango::agent, wall time of one run.
benchmarks/mango_scenarios_peer.py is the same program in Python mango.

One run: number_of_agents agents "0", "1", ... in number_of_containers
containers (agent i in container i / ceil(agents / containers)), neighbours
by mango_benchmark's small-world rule: every pair at ring distance <=
small_world_k, then each other pair (in the order (0,1), (0,2), ...) with
probability small_world_p, drawn like CPython's random.seed(rng_seed) and
random.random(). Each agent starts n_periodic_tasks periodic tasks (busy
work_periodic_in_seconds every delay_periodic_in_seconds, the first at once)
and, with every neighbour at the same time, message_amount ping-pong rounds:
a ping (an ACL message, content a "Ping" object holding a string of
message_size_bytes characters nested in message_nesting_depths - 1 dicts
{"data": ...}), and the next ping once the pong is back. Every message that
arrives schedules work_on_message_in_seconds of busy work (an instant task)
before the answer (pong) or the next ping goes (instant tasks too). The run
ends when every agent got its last pong; the wall time runs from the
agents' on_ready to the end of every container's shutdown.

  --scenario NAME     low_work_many_messages, low_work_many_large_messages or
                      high_work_many_messages (mango_benchmark's parameters),
                      or a simulation_name of --params
  --params FILE       read scenarios from FILE, in the form of
                      mango_benchmark's scenario_setup/parameters.json (a
                      "simulation_configs" list, a list or one config)
  --set KEY=VALUE     override one parameter (its parameters.json name, e.g.
                      message_amount=5), repeatable
  --busy-clock CLOCK  what a busy-work spin counts: "cpu" (the thread's CPU
                      time, default: a fixed amount of work even when more
                      threads spin than there are cores) or "steady" (wall
                      time on the steady clock, as mango_benchmark's
                      time.time() loop; a preempted spin then does less
                      work)
  --threads N         CAF scheduler threads per container (default: CAF's,
                      max(4, cores))
  --caf KEY=VALUE     a CAF 0.17 option for every container, repeatable
  --timeout S         give up after S seconds (default 300; exit 1)
  --tsv               print one tab-separated line instead:
                      scenario NAME cpp WALL_S RUN_S MESSAGES MSG_BUSY_S
                      PERIODIC_RUNS PERIODIC_BUSY_S CPU_S WORKERS
                      (busy seconds are runs times the nominal work; CPU_S
                      is the process's user + system time during the run;
                      WORKERS the CAF worker threads of all containers)
  --print-edges       print the topology ("I J" per edge, I < J) and exit
  --list              print the built-in scenarios and exit
  -h, --help          this text
  --version           print "mango_scenarios (libmas) VERSION"
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "mango_scenarios: " << what << "\n(see --help)\n";
  std::exit(2);
}

// -- scenarios ----------------------------------------------------------------

struct scenario {
  std::string name;
  std::uint64_t number_of_agents = 10;
  std::uint64_t number_of_containers = 5;
  std::uint64_t rng_seed = 4711;
  std::uint64_t small_world_k = 3;
  double small_world_p = 1.0;
  double work_on_message_in_seconds = 0.001;
  double work_periodic_in_seconds = 0.0001;
  std::uint64_t n_periodic_tasks = 5;
  double delay_periodic_in_seconds = 0.5;
  std::uint64_t message_amount = 10;
  std::uint64_t message_size_bytes = 100;
  std::uint64_t message_nesting_depths = 3;
};

/// mango_benchmark's three scenarios: they differ in the work per message
/// (and periodic work) and in the message size.
std::vector<scenario> builtin_scenarios() {
  std::vector<scenario> result(3);
  result[0].name = "low_work_many_messages";
  result[1].name = "low_work_many_large_messages";
  result[1].message_size_bytes = 100000;
  result[2].name = "high_work_many_messages";
  result[2].work_on_message_in_seconds = 0.01;
  result[2].work_periodic_in_seconds = 0.001;
  result[2].message_size_bytes = 10000;
  return result;
}

/// Sets parameter `key` of `sc`; false for an unknown key, throws
/// std::invalid_argument for a value out of range.
bool set_parameter(scenario& sc, const std::string& key, double x) {
  auto count = [&](std::uint64_t& field) {
    if (!(x >= 0) || x != static_cast<double>(static_cast<std::uint64_t>(x)))
      throw std::invalid_argument(key + " must be a non-negative integer");
    field = static_cast<std::uint64_t>(x);
  };
  auto seconds = [&](double& field) {
    if (!(x >= 0))
      throw std::invalid_argument(key + " must be >= 0");
    field = x;
  };
  if (key == "number_of_agents")
    count(sc.number_of_agents);
  else if (key == "number_of_containers")
    count(sc.number_of_containers);
  else if (key == "rng_seed")
    count(sc.rng_seed);
  else if (key == "small_world_k")
    count(sc.small_world_k);
  else if (key == "small_world_p")
    seconds(sc.small_world_p);
  else if (key == "work_on_message_in_seconds")
    seconds(sc.work_on_message_in_seconds);
  else if (key == "work_periodic_in_seconds")
    seconds(sc.work_periodic_in_seconds);
  else if (key == "n_periodic_tasks")
    count(sc.n_periodic_tasks);
  else if (key == "delay_periodic_in_seconds")
    seconds(sc.delay_periodic_in_seconds);
  else if (key == "message_amount")
    count(sc.message_amount);
  else if (key == "message_size_bytes")
    count(sc.message_size_bytes);
  else if (key == "message_nesting_depths")
    count(sc.message_nesting_depths);
  else
    return false;
  return true;
}

void check_scenario(const scenario& sc) {
  if (sc.number_of_agents == 0 || sc.number_of_containers == 0)
    usage_error("number_of_agents and number_of_containers must be positive");
  if (sc.number_of_agents > 10000 || sc.number_of_containers > 1000)
    usage_error("at most 10000 agents in 1000 containers");
  if (sc.small_world_p > 1)
    usage_error("small_world_p must be in [0, 1]");
  if (sc.n_periodic_tasks > 0 && !(sc.delay_periodic_in_seconds > 0))
    usage_error("delay_periodic_in_seconds must be > 0");
}

/// The scenarios of a parameters.json-like file.
std::vector<scenario> read_params(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    usage_error("cannot read " + path);
  std::string text{std::istreambuf_iterator<char>{in},
                   std::istreambuf_iterator<char>{}};
  value root;
  try {
    auto json = mas::wire::make_codec(mas::wire::codec_kind::json);
    root = json->decode(reinterpret_cast<const std::uint8_t*>(text.data()),
                        text.size());
  } catch (const std::exception& e) {
    usage_error(path + " is no JSON: " + e.what());
  }
  const mas::wire::array* configs = nullptr;
  mas::wire::array single;
  if (root.is_dict()) {
    if (auto* xs = root.as_dict().find("simulation_configs");
        xs != nullptr && xs->is_array()) {
      configs = &xs->as_array();
    } else {
      single.push_back(root);
      configs = &single;
    }
  } else if (root.is_array()) {
    configs = &root.as_array();
  } else {
    usage_error(path + " holds no scenario");
  }
  std::vector<scenario> result;
  for (auto& cfg : *configs) {
    if (!cfg.is_dict())
      usage_error(path + ": a scenario is no JSON object");
    scenario sc;
    for (auto& [key, val] : cfg.as_dict()) {
      if (!key.is_string())
        continue;
      auto& k = key.as_string();
      if (k == "simulation_name") {
        if (val.is_string())
          sc.name = val.as_string();
        continue;
      }
      if (!val.is_int() && !val.is_float())
        continue;
      try {
        if (!set_parameter(sc, k, val.as_double()))
          std::cerr << "mango_scenarios: " << path
                    << ": ignoring unknown parameter " << k << "\n";
      } catch (const std::invalid_argument& e) {
        usage_error(path + ": " + e.what());
      }
    }
    result.push_back(std::move(sc));
  }
  return result;
}

// -- topology -----------------------------------------------------------------

/// The seed sequence CPython's `random.seed(n)` makes for a non-negative
/// int: `init_by_array` with the 32-bit words of `n`, low word first.
/// `std::mt19937::seed(seq)` takes the 624 words as its state and twists
/// before the first output, as CPython does, so the engine then yields
/// CPython's `getrandbits(32)` sequence.
class python_seed_seq {
public:
  using result_type = std::uint32_t;

  explicit python_seed_seq(std::uint64_t seed) {
    key_.push_back(static_cast<std::uint32_t>(seed & 0xffffffffu));
    if (auto high = static_cast<std::uint32_t>(seed >> 32); high != 0)
      key_.push_back(high);
  }

  template <class Iterator>
  void generate(Iterator first, Iterator last) const {
    constexpr std::size_t n = 624;
    std::array<std::uint32_t, n> mt{};
    mt[0] = 19650218u;
    for (std::size_t i = 1; i < n; ++i)
      mt[i] = 1812433253u * (mt[i - 1] ^ (mt[i - 1] >> 30))
              + static_cast<std::uint32_t>(i);
    std::size_t i = 1;
    std::size_t j = 0;
    for (std::size_t k = std::max(n, key_.size()); k > 0; --k) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key_[j]
              + static_cast<std::uint32_t>(j);
      if (++i >= n) {
        mt[0] = mt[n - 1];
        i = 1;
      }
      if (++j >= key_.size())
        j = 0;
    }
    for (std::size_t k = n - 1; k > 0; --k) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u))
              - static_cast<std::uint32_t>(i);
      if (++i >= n) {
        mt[0] = mt[n - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000u;
    for (std::size_t x = 0; first != last; ++first, ++x)
      *first = x < n ? mt[x] : 0u;
  }

private:
  std::vector<std::uint32_t> key_;
};

/// CPython's `random.random()`: 53 random bits from two 32-bit outputs.
double python_random(std::mt19937& rng) {
  auto a = rng() >> 5;
  auto b = rng() >> 6;
  return (static_cast<double>(a) * 67108864.0 + static_cast<double>(b))
         * (1.0 / 9007199254740992.0);
}

using edge_list = std::vector<std::pair<std::size_t, std::size_t>>;

/// mango_benchmark's small-world rule: a ring where every agent is
/// connected to those at distance <= k, then each pair (i, j), i < j, not
/// connected yet gets an edge with probability p (one random() per such
/// pair, in row order). With p = 1 every pair is connected.
edge_list make_topology(const scenario& sc) {
  auto n = static_cast<std::size_t>(sc.number_of_agents);
  std::vector<std::vector<bool>> adjacent(n, std::vector<bool>(n, false));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      auto d = j - i;
      if (std::min(d, n - d) <= sc.small_world_k)
        adjacent[i][j] = true;
    }
  python_seed_seq seq{sc.rng_seed};
  std::mt19937 rng{seq};
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      if (!adjacent[i][j] && python_random(rng) < sc.small_world_p)
        adjacent[i][j] = true;
  edge_list result;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      if (adjacent[i][j])
        result.emplace_back(i, j);
  return result;
}

// -- agents -------------------------------------------------------------------

enum class busy_clock { cpu, steady };

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec)
         + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec)
           + static_cast<double>(tv.tv_usec) * 1e-6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

/// Blocking busy work: spins for `seconds` of `c`.
void spin(double seconds, busy_clock c) {
  if (!(seconds > 0))
    return;
  if (c == busy_clock::steady) {
    auto until = clock_type::now()
                 + std::chrono::duration_cast<clock_type::duration>(
                   std::chrono::duration<double>(seconds));
    while (clock_type::now() < until) {
      // spin
    }
  } else {
    auto until = thread_cpu_seconds() + seconds;
    while (thread_cpu_seconds() < until) {
      // spin
    }
  }
}

constexpr std::int64_t ping_type_id = 1001;
constexpr std::int64_t pong_type_id = 1002;

/// What every agent of a run shares.
struct run_state {
  explicit run_state(std::size_t agents) : agents_left(agents) {
    // nop
  }

  std::atomic<std::size_t> agents_left;
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> periodic_runs{0};
  std::promise<void> done;
  std::mutex mtx;
  bool finished = false;
  std::string error;
  clock_type::time_point finished_at;

  void agent_done() {
    if (agents_left.fetch_sub(1) == 1)
      finish({});
  }

  void finish(std::string what) {
    std::lock_guard guard{mtx};
    if (finished)
      return;
    finished = true;
    finished_at = clock_type::now();
    error = std::move(what);
    done.set_value();
  }
};

struct agent_plan {
  const scenario* sc = nullptr;
  std::vector<mango::agent_address> neighbours;
  busy_clock clock = busy_clock::cpu;
  std::shared_ptr<run_state> st;
};

/// The content of a ping or pong: a "Ping"/"Pong" object (a user type of
/// the codec) whose "payload" nests a string of `size` copies of `fill` in
/// depth - 1 dicts {"data": ...} (mango_benchmark's depth counting; at
/// least one dict).
value make_content(const scenario& sc, char fill, std::int64_t type_id) {
  // Built by moves (an initializer list would copy the string per layer):
  // one string per message, as Python's `fill * size`.
  value payload{std::string(sc.message_size_bytes, fill)};
  auto layers = std::max<std::uint64_t>(sc.message_nesting_depths, 2) - 1;
  for (std::uint64_t i = 0; i < layers; ++i) {
    dict layer;
    layer.append(value{"data"}, std::move(payload));
    payload = value{std::move(layer)};
  }
  dict object;
  object.append(value{"payload"}, std::move(payload));
  return value{mas::wire::ext{type_id, value{std::move(object)}}};
}

class sim_agent : public mango::agent {
public:
  sim_agent(caf::actor_config& cfg, mas::agent_init init, agent_plan p)
    : agent(cfg, std::move(init)), plan_(std::move(p)),
      rounds_(plan_.neighbours.size(), 0) {
    for (std::size_t i = 0; i < plan_.neighbours.size(); ++i)
      index_.emplace(plan_.neighbours[i].aid, i);
  }

  const char* name() const override {
    return "SimAgent";
  }

  void on_ready() override {
    auto& sc = *plan_.sc;
    for (std::uint64_t i = 0; i < sc.n_periodic_tasks; ++i)
      schedule_periodic_task(
        [this] {
          spin(plan_.sc->work_periodic_in_seconds, plan_.clock);
          plan_.st->periodic_runs.fetch_add(1, std::memory_order_relaxed);
        },
        sc.delay_periodic_in_seconds);
    if (plan_.neighbours.empty() || sc.message_amount == 0) {
      plan_.st->agent_done();
      return;
    }
    for (std::size_t i = 0; i < plan_.neighbours.size(); ++i)
      send_ping(i);
  }

  void handle_message(const value& content, const dict& meta) override {
    plan_.st->messages.fetch_add(1, std::memory_order_relaxed);
    schedule_instant_task(
      [this] { spin(plan_.sc->work_on_message_in_seconds, plan_.clock); });
    if (!content.is_ext()) {
      plan_.st->finish("agent " + aid() + " got "
                       + mas::wire::to_string(content));
      return;
    }
    if (content.as_ext().type_id() == ping_type_id) {
      auto to = mango::sender_addr(meta);
      schedule_instant_task([this, to] {
        send_acl(make_content(*plan_.sc, 'b', pong_type_id), to);
      });
      return;
    }
    const value* from = meta.find("sender_id");
    auto i = from != nullptr && from->is_string()
               ? index_.find(from->as_string())
               : index_.end();
    if (content.as_ext().type_id() != pong_type_id || i == index_.end()) {
      plan_.st->finish("agent " + aid() + " got an unexpected message");
      return;
    }
    auto n = i->second;
    schedule_instant_task([this, n] { on_pong(n); });
  }

private:
  void on_pong(std::size_t n) {
    if (++rounds_[n] < plan_.sc->message_amount)
      send_ping(n);
    else if (++finished_neighbours_ == plan_.neighbours.size())
      plan_.st->agent_done();
  }

  void send_ping(std::size_t n) {
    schedule_instant_task([this, n] {
      send_acl(make_content(*plan_.sc, 'a', ping_type_id), plan_.neighbours[n]);
    });
  }

  /// Sends `content` as an ACL message (sender and receiver in its header,
  /// as mango_benchmark's agents send).
  void send_acl(value content, const mango::agent_address& to) {
    auto msg = mango::create_acl(std::move(content), to, addr());
    if (!send_message(msg, to))
      plan_.st->finish("agent " + aid() + " cannot send to "
                       + mango::to_string(to));
  }

  agent_plan plan_;
  std::vector<std::uint64_t> rounds_;
  std::unordered_map<std::string, std::size_t> index_;
  std::size_t finished_neighbours_ = 0;
};

// -- running ------------------------------------------------------------------

struct options {
  std::string scenario_name;
  std::string params;
  std::vector<std::pair<std::string, double>> sets;
  busy_clock clock = busy_clock::cpu;
  int threads = 0;
  std::vector<std::string> caf_args;
  double timeout = 300;
  bool tsv = false;
  bool print_edges = false;
  bool list = false;
};

/// Shuts `c` down within 10 s, else reports the hang and exits 3 (a
/// benchmark run must not hang).
void bounded_shutdown(std::vector<std::unique_ptr<mango::tcp_container>>& cs) {
  std::thread{[] {
    std::this_thread::sleep_for(std::chrono::seconds{10});
    std::fputs("mango_scenarios: the containers did not shut down within "
               "10 s\n",
               stderr);
    std::_Exit(3);
  }}.detach();
  for (auto& c : cs)
    c->shutdown();
}

int run(const options& opts, const scenario& sc) {
  auto edges = make_topology(sc);
  auto n = static_cast<std::size_t>(sc.number_of_agents);
  if (opts.print_edges) {
    for (auto& [i, j] : edges)
      std::printf("%zu %zu\n", i, j);
    return 0;
  }
  std::vector<std::vector<std::size_t>> neighbours(n);
  for (auto& [i, j] : edges) {
    neighbours[i].push_back(j);
    neighbours[j].push_back(i);
  }
  for (auto& xs : neighbours)
    std::sort(xs.begin(), xs.end());
  auto n_containers = static_cast<std::size_t>(sc.number_of_containers);
  auto per_container = (n + n_containers - 1) / n_containers;
  mango::container_options copts;
  copts.extra_types = {{"Ping", ping_type_id}, {"Pong", pong_type_id}};
  copts.configure = [opts](caf::actor_system_config& cfg) {
    if (opts.threads > 0)
      cfg.set("scheduler.max-threads", opts.threads);
    if (!opts.caf_args.empty()) {
      std::istringstream no_ini;
      if (auto err = cfg.parse(opts.caf_args, no_ini))
        usage_error("bad --caf option: " + cfg.render(err));
    }
  };
  std::vector<std::unique_ptr<mango::tcp_container>> cs;
  std::size_t workers = 0;
  for (std::size_t c = 0; c < n_containers; ++c) {
    auto x = mango::tcp_container::create("127.0.0.1", 0, copts);
    if (!x) {
      std::cerr << "mango_scenarios: cannot start a container: "
                << mas::render(x.error()) << "\n";
      return 1;
    }
    workers += (*x)->system().scheduler().num_workers();
    cs.push_back(std::move(*x));
  }
  auto address_of = [&](std::size_t i) {
    auto& home = *cs[i / per_container];
    return mango::tcp_addr(home.host(), home.port(), std::to_string(i));
  };
  auto st = std::make_shared<run_state>(n);
  auto done = st->done.get_future();
  for (std::size_t i = 0; i < n; ++i) {
    agent_plan p;
    p.sc = &sc;
    p.clock = opts.clock;
    p.st = st;
    for (auto j : neighbours[i])
      p.neighbours.push_back(address_of(j));
    cs[i / per_container]->register_agent<sim_agent>(std::to_string(i),
                                                     std::move(p));
  }
  for (auto& c : cs)
    c->start();
  auto cpu0 = process_cpu_seconds();
  auto t0 = clock_type::now();
  for (auto& c : cs)
    c->on_ready();
  int rc = 0;
  auto limit = std::chrono::duration_cast<clock_type::duration>(
    std::chrono::duration<double>(opts.timeout));
  if (done.wait_for(limit) != std::future_status::ready) {
    std::cerr << "mango_scenarios: no result within " << opts.timeout << " s ("
              << st->agents_left.load() << " of " << n << " agents not done)\n";
    bounded_shutdown(cs);
    return 1;
  }
  bounded_shutdown(cs);
  auto t1 = clock_type::now();
  auto cpu = process_cpu_seconds() - cpu0;
  std::uint64_t send_failed = 0;
  for (auto& c : cs)
    send_failed += c->stats().send_failed;
  if (!st->error.empty()) {
    std::cerr << "mango_scenarios: " << st->error << "\n";
    rc = 1;
  } else if (send_failed > 0) {
    std::cerr << "mango_scenarios: " << send_failed
              << " message(s) could not be sent\n";
    rc = 1;
  }
  auto secs = [](clock_type::duration d) {
    return std::chrono::duration<double>(d).count();
  };
  auto wall = secs(t1 - t0);
  auto run_s = secs(st->finished_at - t0);
  auto messages = st->messages.load();
  auto periodic = st->periodic_runs.load();
  auto msg_busy = static_cast<double>(messages) * sc.work_on_message_in_seconds;
  auto periodic_busy
    = static_cast<double>(periodic) * sc.work_periodic_in_seconds;
  if (rc == 0) {
    if (opts.tsv) {
      std::printf("scenario\t%s\tcpp\t%.6f\t%.6f\t%llu\t%.6f\t%llu\t%.6f\t%."
                  "6f\t%zu\n",
                  sc.name.c_str(), wall, run_s,
                  static_cast<unsigned long long>(messages), msg_busy,
                  static_cast<unsigned long long>(periodic), periodic_busy, cpu,
                  workers);
    } else {
      std::printf(
        "%s (libmas, busy clock %s): %zu agents in %zu containers, "
        "%zu edges, %llu messages of %llu bytes\n",
        sc.name.c_str(), opts.clock == busy_clock::cpu ? "cpu" : "steady", n,
        n_containers, edges.size(), static_cast<unsigned long long>(messages),
        static_cast<unsigned long long>(sc.message_size_bytes));
      std::printf("wall %.3f s (run %.3f s + shutdown %.3f s); busy work "
                  "%.3f s on messages + %.3f s in %llu periodic runs; CPU "
                  "%.3f s; %zu CAF worker threads\n",
                  wall, run_s, wall - run_s, msg_busy, periodic_busy,
                  static_cast<unsigned long long>(periodic), cpu, workers);
    }
  }
  std::fflush(stdout);
  cs.clear();
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
      std::cout << "mango_scenarios (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if (arg == "--scenario") {
      opts.scenario_name = next();
    } else if (arg == "--params") {
      opts.params = next();
    } else if (arg == "--set") {
      auto kv = next();
      auto eq = kv.find('=');
      if (eq == std::string::npos)
        usage_error("--set expects KEY=VALUE");
      try {
        std::size_t end = 0;
        auto text = kv.substr(eq + 1);
        auto x = std::stod(text, &end);
        if (end != text.size())
          throw std::invalid_argument("trailing characters");
        opts.sets.emplace_back(kv.substr(0, eq), x);
      } catch (const std::exception&) {
        usage_error("--set " + kv + ": the value is no number");
      }
    } else if (arg == "--busy-clock") {
      auto c = next();
      if (c == "cpu")
        opts.clock = busy_clock::cpu;
      else if (c == "steady")
        opts.clock = busy_clock::steady;
      else
        usage_error("--busy-clock takes cpu or steady");
    } else if (arg == "--threads") {
      opts.threads = static_cast<int>(parse_count(next(), arg));
    } else if (arg == "--caf") {
      opts.caf_args.push_back("--" + next());
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
    } else if (arg == "--print-edges") {
      opts.print_edges = true;
    } else if (arg == "--list") {
      opts.list = true;
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  auto scenarios
    = opts.params.empty() ? builtin_scenarios() : read_params(opts.params);
  if (opts.list) {
    for (auto& sc : scenarios)
      std::printf(
        "%s: %llu agents, %llu containers, k %llu, p %g, seed "
        "%llu, %g s work per message, %llu periodic tasks of %g s "
        "every %g s, %llu rounds, %llu bytes, depth %llu\n",
        sc.name.c_str(), static_cast<unsigned long long>(sc.number_of_agents),
        static_cast<unsigned long long>(sc.number_of_containers),
        static_cast<unsigned long long>(sc.small_world_k), sc.small_world_p,
        static_cast<unsigned long long>(sc.rng_seed),
        sc.work_on_message_in_seconds,
        static_cast<unsigned long long>(sc.n_periodic_tasks),
        sc.work_periodic_in_seconds, sc.delay_periodic_in_seconds,
        static_cast<unsigned long long>(sc.message_amount),
        static_cast<unsigned long long>(sc.message_size_bytes),
        static_cast<unsigned long long>(sc.message_nesting_depths));
    return 0;
  }
  if (opts.scenario_name.empty())
    usage_error("give --scenario NAME (--list shows them)");
  auto i = std::find_if(scenarios.begin(), scenarios.end(), [&](auto& sc) {
    return sc.name == opts.scenario_name;
  });
  if (i == scenarios.end())
    usage_error("no scenario " + opts.scenario_name + " (--list shows them)");
  auto sc = *i;
  for (auto& [key, x] : opts.sets) {
    try {
      if (!set_parameter(sc, key, x))
        usage_error("--set: unknown parameter " + key);
    } catch (const std::invalid_argument& e) {
      usage_error(std::string{"--set: "} + e.what());
    }
  }
  check_scenario(sc);
  mas::set_log_sink([](mas::log_level level, std::string_view text) {
    if (level == mas::log_level::error || level == mas::log_level::warning)
      std::cerr << "mango_scenarios: " << mas::to_string(level) << ": " << text
                << std::endl;
  });
  return run(opts, sc);
}
