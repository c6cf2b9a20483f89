// LocalQueue containers on the local loop: the same program delivers the same
// messages in the same order on every run, across connections and
// containers (aiomas's point of LocalQueue).

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "mas/aiomas/agent.hpp"
#include "mas/aiomas/container.hpp"
#include "mas/atoms.hpp"
#include "mas/channel/channel.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/client.hpp"
#include "mas/rpc/service.hpp"
#include "mas/transport/local_loop.hpp"
#include "mas/transport/local_queue.hpp"
#include "test_agents.hpp"

using namespace std::chrono_literals;
using mas::wire::array;
using mas::wire::value;
namespace aiomas = mas::aiomas;

namespace {

/// `note(who, i)` appends "who:i" to its log; `log()` returns it.
class recorder : public aiomas::agent {
public:
  recorder(caf::actor_config& cfg, mas::agent_init init)
    : agent(cfg, std::move(init)) {
    expose("note",
           [this](std::string who, std::int64_t i) {
             log_.emplace_back(who + ":" + std::to_string(i));
             return static_cast<std::int64_t>(log_.size());
           },
           {"who", "i"});
    expose("log", [this] { return log_; });
  }
  const char* name() const override {
    return "Recorder";
  }

private:
  std::vector<std::string> log_;
};

/// `go(recorder, n)` sends `n` notes to the recorder at once, without
/// waiting in between, and answers once all are acknowledged.
class sender : public aiomas::agent {
public:
  sender(caf::actor_config& cfg, mas::agent_init init, std::string tag)
    : agent(cfg, std::move(init)), tag_(std::move(tag)) {
    expose("go",
           [this](mas::rpc::responder later, std::string url, std::int64_t n) {
             connect(url).then(
               [this, later, n](mas::rpc::proxy rec) {
                 auto left = std::make_shared<std::int64_t>(n);
                 for (std::int64_t i = 0; i < n; ++i)
                   rec.call(this, "note", tag_, i)
                     .then(
                       [later, left](value&) {
                         if (--*left == 0)
                           later.deliver(true);
                       },
                       [later](caf::error& err) { later.fail(err); });
               },
               [later](caf::error& err) { later.fail(err); });
           },
           {"recorder", "n"});
  }
  const char* name() const override {
    return "Sender";
  }

private:
  std::string tag_;
};

/// `kick(senders, recorder, n)` starts every sender's `go` at once and
/// answers once all are done.
class kicker : public aiomas::agent {
public:
  kicker(caf::actor_config& cfg, mas::agent_init init)
    : agent(cfg, std::move(init)) {
    expose("kick",
           [this](mas::rpc::responder later, std::vector<std::string> senders,
                  std::string rec, std::int64_t n) {
             auto left = std::make_shared<std::size_t>(senders.size());
             for (auto& url : senders)
               connect(url).then(
                 [this, later, left, rec, n](mas::rpc::proxy s) {
                   s.call(this, "go", rec, n)
                     .then(
                       [later, left](value&) {
                         if (--*left == 0)
                           later.deliver(true);
                       },
                       [later](caf::error& err) { later.fail(err); });
                 },
                 [later](caf::error& err) { later.fail(err); });
           },
           {"senders", "recorder", "n"});
  }
  const char* name() const override {
    return "Kicker";
  }
};

std::unique_ptr<aiomas::container> make_local(const std::string& id) {
  auto c = aiomas::container::create("local:" + id);
  REQUIRE(c);
  return std::move(*c);
}

/// One run: three containers, six senders in two of them, all sending to one
/// recorder at once; returns the recorder's log.
std::vector<std::string> run_once(int round, std::int64_t notes) {
  auto prefix = "det" + std::to_string(round) + "-";
  auto a = make_local(prefix + "a");
  auto b = make_local(prefix + "b");
  auto c = make_local(prefix + "c");
  auto rec = c->spawn<recorder>();
  auto kick = a->spawn<kicker>();
  std::vector<std::string> senders;
  for (int i = 0; i < 3; ++i) {
    senders.push_back(
      a->address_of(mas::aid_of(a->spawn<sender>("a" + std::to_string(i)))));
    senders.push_back(
      b->address_of(mas::aid_of(b->spawn<sender>("b" + std::to_string(i)))));
  }
  auto kp = a->connect(a->address_of(mas::aid_of(kick)));
  REQUIRE(kp);
  array urls;
  for (auto& s : senders)
    urls.emplace_back(s);
  caf::scoped_actor self{a->system()};
  caf::expected<value> done{caf::error{}};
  kp->with_timeout(60s)
    .call(self.ptr(), "kick", urls, c->address_of(mas::aid_of(rec)), notes)
    .receive([&](value& v) { done = std::move(v); },
             [&](caf::error& err) { done = std::move(err); });
  REQUIRE(done);
  auto rp = a->connect(c->address_of(mas::aid_of(rec)));
  REQUIRE(rp);
  std::vector<std::string> result;
  rp->with_timeout(60s)
    .call(self.ptr(), "log")
    .receive(
      [&](value& v) {
        for (auto& x : v.as_array())
          result.push_back(x.as_string());
      },
      [&](caf::error& err) { FAIL(mas::render(err)); });
  return result;
}

} // namespace

TEST_CASE("LocalQueue containers run on the local loop, TCP ones do not") {
  auto lq = make_local("loop-check");
  CHECK(mas::transport::local_loop::runs(lq->system()));
  auto tcp = aiomas::container::create("127.0.0.1:0");
  REQUIRE(tcp);
  CHECK_FALSE(mas::transport::local_loop::runs((*tcp)->system()));
  CHECK_FALSE(mas::transport::local_loop::on_loop_thread());
}

TEST_CASE("LocalQueue: every run delivers in the same order across "
          "connections and containers") {
  constexpr std::int64_t notes = 20;
  auto first = run_once(0, notes);
  REQUIRE(first.size() == 6 * notes);
  // Every note arrived once, and each sender's in the order it sent them.
  for (auto tag : {"a0", "a1", "a2", "b0", "b1", "b2"}) {
    std::int64_t next = 0;
    for (auto& entry : first)
      if (entry.rfind(std::string{tag} + ":", 0) == 0)
        CHECK(entry == std::string{tag} + ":" + std::to_string(next++));
    CHECK(next == notes);
  }
  for (int round = 1; round < 5; ++round) {
    auto again = run_once(round, notes);
    CHECK(again == first);
  }
}

TEST_CASE("LocalQueue: a shutdown fails the calls pending on the loop") {
  auto a = make_local("pend-a");
  auto c = make_local("pend-c");
  c->spawn<mas::test::holder>();
  auto p = a->connect(c->address_of("0"));
  REQUIRE(p);
  caf::scoped_actor self{a->system()};
  auto hdl = p->with_timeout(60s).call(self.ptr(), "hold");
  // The holder has the call once a later call on the connection returns.
  bool answered = false;
  p->with_timeout(60s)
    .call(self.ptr(), "fail")
    .receive([&](value&) {}, [&](caf::error&) { answered = true; });
  CHECK(answered);
  c->shutdown();
  bool failed = false;
  hdl.receive([&](value&) { FAIL("hold() answered"); },
              [&](caf::error& err) {
                failed = mas::is(err, mas::errc::connection_reset);
              });
  CHECK(failed);
}

TEST_CASE("LocalQueue: a plain actor system on the local loop serves RPC") {
  // The snippet of docs/channels.md ("Which order is guaranteed").
  caf::actor_system_config cfg;
  mas::configure(cfg);
  mas::transport::local_loop::configure(cfg);
  auto sys = std::make_unique<caf::actor_system>(cfg);
  mas::transport::local_loop::attach(*sys);
  REQUIRE(mas::transport::local_loop::runs(*sys));
  auto root = mas::rpc::service::make("test.Root");
  root->expose("add", [](std::int64_t a, std::int64_t b) { return a + b; },
               {"a", "b"});
  auto ep = mas::net::endpoint::local("plain-loop");
  {
    auto srv = mas::rpc::start_server(*sys, ep, root);
    REQUIRE(srv);
    auto client = mas::rpc::open_connection(*sys, ep);
    REQUIRE(client);
    for (std::int64_t i = 0; i < 50; ++i) {
      caf::scoped_actor self{*sys};
      caf::expected<value> res{caf::error{}};
      self
        ->request(client->channel, 10s, mas::call_atom_v, std::string{"add"},
                  array{value{i}, value{1}}, mas::wire::dict{})
        .receive([&](value& x) { res = std::move(x); },
                 [&](caf::error& err) { res = std::move(err); });
      REQUIRE(res);
      CHECK(*res == value{i + 1});
    }
    mas::channel::close_and_wait(client->channel);
  }
  mas::transport::local_loop::detach(*sys);
  sys.reset();
  CHECK_FALSE(mas::transport::local_queue::bound("plain-loop"));
}
