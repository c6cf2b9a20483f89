#pragma once

// The agent types of `mas_container` (the seed's caller/callee example and
// friends), written as a C++ user writes aiomas agents. They double as
// examples: each is a `mas::aiomas::agent` exposing methods by name.

#include <memory>
#include <string>
#include <utility>

#include "mas/aiomas/agent.hpp"
#include "mas/aiomas/manager.hpp"
#include "mas/rpc/exception.hpp"
#include "mas/wire/date.hpp"

namespace mas::demo {

/// `Callee(word="spam")`: `spam(times)` returns `word` repeated `times`
/// times (the seed's Callee).
class callee : public aiomas::agent {
public:
  callee(caf::actor_config& cfg, agent_init init, std::string word = "spam")
    : agent(cfg, std::move(init)), word_(std::move(word)) {
    expose("spam",
           [this](std::int64_t times) {
             std::string result;
             for (std::int64_t i = 0; i < times; ++i)
               result += word_;
             return result;
           },
           {"times"});
  }

  const char* name() const override {
    return "Callee";
  }

private:
  std::string word_;
};

/// `Caller()`: `run(callee_addr)` connects to the agent at that address
/// (C++ or Python), calls its `spam(3)` and returns the result.
class caller : public aiomas::agent {
public:
  caller(caf::actor_config& cfg, agent_init init)
    : agent(cfg, std::move(init)) {
    expose("run",
           [this](rpc::responder later, std::string callee_addr) {
             connect(callee_addr)
               .then(
                 [this, later](rpc::proxy callee) {
                   callee.call(this, "spam", 3)
                     .then([later](wire::value& res) { later.deliver(res); },
                           [later](caf::error& err) { later.fail(err); });
                 },
                 [later](caf::error& err) { later.fail(err); });
           },
           {"callee_addr"});
  }

  const char* name() const override {
    return "Caller";
  }
};

/// `Relay()`: `call_back(agent, x)` calls `ping(x)` on the agent passed as
/// argument (it arrives as a proxy on the caller's connection) and returns
/// its result.
class relay : public aiomas::agent {
public:
  relay(caf::actor_config& cfg, agent_init init) : agent(cfg, std::move(init)) {
    expose("call_back",
           [this](rpc::responder later, rpc::proxy peer, wire::value x) {
             peer.call(this, "ping", std::move(x))
               .then([later](wire::value& res) { later.deliver(res); },
                     [later](caf::error& err) { later.fail(err); });
           },
           {"agent", "x"});
  }

  const char* name() const override {
    return "Relay";
  }
};

/// `Sleeper()`: sleeps on the container clock. `sleep(dt)` and
/// `sleep_until(t)` (a number or an Arrow date) answer `clock.time()` once
/// awake; `utcnow()` answers the clock's date, `time()` its time.
class sleeper : public aiomas::agent {
public:
  sleeper(caf::actor_config& cfg, agent_init init)
    : agent(cfg, std::move(init)) {
    expose("sleep",
           [this](rpc::responder later, double dt) {
             clock().sleep(this, dt).then(
               [later](double now) { later.deliver(now); },
               [later](caf::error& err) { later.fail(err); });
           },
           {"dt"});
    expose("sleep_until",
           [this](rpc::responder later, wire::value t) {
             auto wake = [later](double now) { later.deliver(now); };
             auto fail = [later](caf::error& err) { later.fail(err); };
             if (t.is_int() || t.is_float())
               clock()
                 .sleep_until(this, wire::from_value<double>(t))
                 .then(wake, fail);
             else
               clock()
                 .sleep_until(this,
                              wire::from_value<wire::date>(t, later.types()))
                 .then(wake, fail);
           },
           {"t"});
    expose("utcnow", [this] { return clock().utcnow(); });
    expose("time", [this] { return clock().time(); });
  }

  const char* name() const override {
    return "Sleeper";
  }
};

/// The factories `mas_container` offers to `Manager.spawn`.
inline std::shared_ptr<aiomas::agent_factories> demo_factories() {
  auto result = std::make_shared<aiomas::agent_factories>();
  result->add("Callee", [](aiomas::container& home, const wire::array& args,
                           const wire::dict& kwargs) {
    aiomas::check_arguments("Callee", args, kwargs, {"word"});
    std::string word = "spam";
    if (auto x = aiomas::argument("Callee", args, kwargs, 0, "word"))
      word = wire::from_value<std::string>(*x);
    return aid_of(home.spawn<callee>(std::move(word)));
  });
  result->add("Caller", [](aiomas::container& home, const wire::array& args,
                           const wire::dict& kwargs) {
    aiomas::check_arguments("Caller", args, kwargs, {});
    return aid_of(home.spawn<caller>());
  });
  result->add("Relay", [](aiomas::container& home, const wire::array& args,
                          const wire::dict& kwargs) {
    aiomas::check_arguments("Relay", args, kwargs, {});
    return aid_of(home.spawn<relay>());
  });
  result->add("Sleeper", [](aiomas::container& home, const wire::array& args,
                            const wire::dict& kwargs) {
    aiomas::check_arguments("Sleeper", args, kwargs, {});
    return aid_of(home.spawn<sleeper>());
  });
  return result;
}

} // namespace mas::demo
