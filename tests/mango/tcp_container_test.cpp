// mango TCP containers, C++ on both ends: aids, MangoMessages and ACL
// messages between containers and inside one, routing, bad frames, the
// pool noticing closed connections. Real sockets on 127.0.0.1.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <set>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "mas/agent/idle.hpp"
#include "mas/mango/agent.hpp"
#include "mas/mango/tcp_container.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/frame.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mas::wire::dict;
using mas::wire::value;
namespace mango = mas::mango;
using mas::test::accept_and_read_frame;
using mas::test::inbox;
using mas::test::loopback_socket;
using mas::test::mango_frame;
using mas::test::raw_connect;
using mas::test::raw_send_frame;
using mas::test::recorder;

namespace {

/// Answers every message with `"re:" + content` to its sender.
class replier : public mango::agent {
public:
  using agent::agent;

  const char* name() const override {
    return "Replier";
  }

  void handle_message(const value& content, const dict& meta) override {
    send_message("re:" + content.as_string(), mango::sender_addr(meta));
  }
};

std::unique_ptr<mango::tcp_container> make_container() {
  auto c = mango::tcp_container::create("127.0.0.1", 0);
  REQUIRE(c);
  return std::move(*c);
}

} // namespace

TEST_CASE("mango aids: agent<N> generated, suggestions kept or refused") {
  auto c = make_container();
  inbox box;
  auto a0 = c->spawn<recorder>(&box);
  auto named = c->register_agent<recorder>("echo", &box);
  auto refused = c->register_agent<recorder>("agent7", &box);
  auto taken = c->register_agent<recorder>("echo", &box);
  auto ids = c->agents().snapshot();
  std::vector<std::string> aids;
  for (auto& e : ids)
    aids.push_back(e.aid);
  CHECK(aids == std::vector<std::string>{"agent0", "agent1", "agent2", "echo"});
  CHECK(c->agents().find("echo")->type_name == "Recorder");
  CHECK(!c->is_aid_available("agent12"));
  CHECK(!c->is_aid_available("echo"));
  CHECK(c->is_aid_available("agentX"));
  CHECK(c->deregister("echo"));
  CHECK(c->is_aid_available("echo"));
  CHECK(c->address_of("agent0")
        == "AgentAddress(protocol_addr=('127.0.0.1', "
             + std::to_string(c->port()) + "), aid='agent0')");
}

TEST_CASE("MangoMessages between two TCP containers, and inside one") {
  auto c1 = make_container();
  auto c2 = make_container();
  inbox box;
  c1->register_agent<recorder>("rec", &box);
  c2->register_agent<replier>("rep");
  auto rec = c1->agent_addr("rec");
  SECTION("a round trip: meta as mango fills it") {
    dict kwargs;
    kwargs.append("foo", 1);
    REQUIRE(c1->send_message("hi", c2->agent_addr("rep"), "rec", kwargs));
    REQUIRE(box.wait_for(1));
    auto& [content, meta] = box.messages[0];
    CHECK(content == value{"re:hi"});
    CHECK(*meta.find("sender_id") == value{"rep"});
    CHECK(*meta.find("receiver_id") == value{"rec"});
    CHECK(*meta.find("network_protocol") == value{"tcp"});
    CHECK(*meta.find("priority") == value{0});
    CHECK(mango::tcp_target(*meta.find("sender_addr"))->second == c2->port());
    CHECK(c2->stats().delivered == 1);
    CHECK(c1->stats().delivered == 1);
  }
  SECTION("internal delivery: no socket, sender_addr a tuple") {
    c1->register_agent<replier>("rep1");
    REQUIRE(c1->send_message("x", c1->agent_addr("rep1"), "rec"));
    REQUIRE(box.wait_for(1));
    auto& meta = box.messages[0].second;
    CHECK(meta.find("sender_addr")->is_tuple());
    CHECK(c1->outgoing_connections() == 0);
    CHECK(!c1->send_message("x", c1->agent_addr("nobody"), "rec"));
  }
  SECTION("a burst of 5000 arrives complete and in order") {
    auto c3 = make_container();
    inbox box3;
    c3->register_agent<recorder>("sink", &box3);
    for (int i = 0; i < 5000; ++i)
      REQUIRE(c1->send_message(i, c3->agent_addr("sink"), "rec"));
    REQUIRE(box3.wait_for(5000));
    for (int i = 0; i < 5000; ++i)
      REQUIRE(box3.messages[i].first == value{i});
    CHECK(c1->outgoing_connections() == 1);
  }
  SECTION("ACL messages: create_acl, reply_acl") {
    class acl_echo : public mango::agent {
    public:
      using agent::agent;
      void handle_message(const value& content, const dict& meta) override {
        send_message(
          mango::reply_acl(meta, content, mango::performative::inform, addr()),
          mango::sender_addr(meta));
      }
    };
    c2->register_agent<acl_echo>("acl");
    dict md;
    md.append("performative", "request");
    md.append("conversation_id", "c1");
    md.append("reply_with", "r1");
    auto msg = mango::create_acl("ping", c2->agent_addr("acl"), rec, md);
    REQUIRE(c1->send_message(msg, c2->agent_addr("acl")));
    REQUIRE(box.wait_for(1));
    auto& [content, meta] = box.messages[0];
    CHECK(content == value{"ping"});
    CHECK(mango::performative_of(meta) == mango::performative::inform);
    CHECK(*meta.find("conversation_id") == value{"c1"});
    CHECK(*meta.find("in_reply_to") == value{"r1"});
    CHECK(*meta.find("sender_id") == value{"acl"});
    CHECK(meta.find("content") == nullptr);
  }
}

TEST_CASE("bad frames are dropped, counted, and the connection stays") {
  auto c = make_container();
  inbox box;
  c->register_agent<recorder>("rec", &box);
  int fd = raw_connect(c->port());
  raw_send_frame(fd, "{not json");
  raw_send_frame(fd, R"({"__type__": [12345, {}]})");
  raw_send_frame(fd, R"({"__type__": [-1465703651, {"content": 1}]})");
  raw_send_frame(fd, R"({"plain": "json"})");
  raw_send_frame(fd, mango_frame("1", "nobody"));
  raw_send_frame(fd, mango_frame("\"after\"", "rec"));
  REQUIRE(box.wait_for(1));
  CHECK(box.messages[0].first == value{"after"});
  auto st = c->stats();
  CHECK(st.malformed == 4);
  CHECK(st.unknown_receiver == 1);
  CHECK(st.received == 6);
  CHECK(c->incoming_connections() == 1);
  close(fd);
}

TEST_CASE("type ids per peer: learned from a Python 3.13 peer") {
  auto c = make_container();
  inbox box;
  c->register_agent<recorder>("rec", &box);
  int fd = raw_connect(c->port());
  // Python 3.13's MangoMessage id, from a peer at 127.0.0.1:9 (closed).
  raw_send_frame(fd, R"({"__type__": [797259889, {"content": 5, "meta": )"
                     R"({"sender_id": "p", "sender_addr": ["127.0.0.1", 9], )"
                     R"("receiver_id": "rec"}}]})");
  REQUIRE(box.wait_for(1));
  CHECK(box.messages[0].first == value{5});
  CHECK(c->learned_type_ids("127.0.0.1:9"));
  CHECK(c->type_ids_of("127.0.0.1:9").mango_message == 797259889);
  CHECK(c->type_ids_of("127.0.0.1:10").mango_message == -1465703651);
  close(fd);
}

TEST_CASE("sending to a container that is not there fails and is counted") {
  auto c = make_container();
  // A port that is bound but does not listen: connects are refused, and no
  // test running in parallel can be given it meanwhile.
  std::uint16_t port = 0;
  int holder = loopback_socket(port, false);
  REQUIRE(c->send_message(1, mango::tcp_addr("127.0.0.1", port, "x"), "me"));
  CHECK(!c->send_message(1, mango::addr(value{"no-addr"}, "x"), "me"));
  for (int i = 0; i < 3000 && c->stats().send_failed < 2; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(c->stats().send_failed == 2);
  close(holder);
}

TEST_CASE("the pool notices a closed connection and reconnects") {
  // A raw peer that closes the pooled connection after one frame and keeps
  // listening (as a mango container that restarted would).
  std::uint16_t port = 0;
  int listener = loopback_socket(port, true);
  auto peer = mango::tcp_addr("127.0.0.1", port, "sink");
  auto c1 = make_container();
  REQUIRE(c1->send_message("one", peer, "me"));
  int conn = -1;
  CHECK(accept_and_read_frame(listener, conn).find("\"one\"")
        != std::string::npos);
  REQUIRE(c1->outgoing_connections() == 1);
  close(conn);
  // mango would go on writing into the closed connection; the pool must
  // notice and connect again.
  for (int i = 0; i < 3000 && c1->outgoing_connections() > 0; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(c1->outgoing_connections() == 0);
  REQUIRE(c1->send_message("two", peer, "me"));
  CHECK(accept_and_read_frame(listener, conn).find("\"two\"")
        != std::string::npos);
  close(conn);
  close(listener);
}

TEST_CASE("send_acl_message to a peer configured as mango 1.x") {
  std::uint16_t port = 0;
  int listener = loopback_socket(port, true);
  mango::container_options opts;
  opts.peer_type_ids["127.0.0.1:" + std::to_string(port)]
    = mas::wire::mango_type_ids_for(mas::wire::mango_wire_version::v1);
  auto c = mango::tcp_container::create("127.0.0.1", 0, opts);
  REQUIRE(c);
  dict md;
  md.append("sender_id", "agent0");
  md.append("performative", "inform");
  REQUIRE((*c)->send_acl_message(
    "hi", value::list({value{"127.0.0.1"}, value{port}}), "agent1", md));
  int conn = -1;
  auto frame = accept_and_read_frame(listener, conn);
  // 1.x: ACLMessage 0, Performatives 1; the sender address is the
  // container's, sender_id the one from acl_metadata.
  CHECK(frame
        == R"({"__type__": [0, {"sender_id": "agent0", "sender_addr": )"
           R"(["127.0.0.1", )"
             + std::to_string((*c)->port())
             + R"(], "receiver_id": "agent1", "receiver_addr": ["127.0.0.1", )"
             + std::to_string(port)
             + R"(], "reply_to": null, "content": "hi", "performative": )"
               R"({"__type__": [1, 9]}, "conversation_id": null, "reply_by": )"
               R"(null, "in_reply_to": null, "protocol": null, "language": )"
               R"(null, "encoding": null, "ontology": null, "reply_with": )"
               R"(null}]})");
  close(conn);
  close(listener);
}

TEST_CASE("a frame above the maximum size closes the connection") {
  mango::container_options opts;
  opts.transport.max_frame_size = 1024;
  auto c = mango::tcp_container::create("127.0.0.1", 0, opts);
  REQUIRE(c);
  int fd = raw_connect((*c)->port());
  // A header announcing 1 MiB: a framing violation (nothing is allocated).
  unsigned char hdr[4] = {0, 0x10, 0, 0};
  REQUIRE(write(fd, hdr, 4) == 4);
  pollfd p{fd, POLLIN, 0};
  REQUIRE(poll(&p, 1, 30000) == 1);
  char buf[16];
  CHECK(read(fd, buf, sizeof(buf)) <= 0); // EOF or reset
  close(fd);
  for (int i = 0; i < 3000 && (*c)->incoming_connections() > 0; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK((*c)->incoming_connections() == 0);
}

TEST_CASE("the pool closes idle connections after the TTL") {
  mango::container_options opts;
  opts.connection_ttl = 100ms;
  auto c1 = mango::tcp_container::create("127.0.0.1", 0, opts);
  auto c2 = make_container();
  REQUIRE(c1);
  inbox box;
  c2->register_agent<recorder>("sink", &box);
  REQUIRE((*c1)->send_message(1, c2->agent_addr("sink"), "me"));
  REQUIRE(box.wait_for(1));
  // A timer closes it: no further send is needed (mango checks lazily).
  for (int i = 0; i < 3000 && (*c1)->outgoing_connections() > 0; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK((*c1)->outgoing_connections() == 0);
  for (int i = 0; i < 3000 && c2->incoming_connections() > 0; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(c2->incoming_connections() == 0);
  // The next message opens a new one.
  REQUIRE((*c1)->send_message(2, c2->agent_addr("sink"), "me"));
  REQUIRE(box.wait_for(2));
}

TEST_CASE("a backed-up connection spreads a target's messages, up to the "
          "maximum") {
  // A peer that accepts and never reads.
  std::uint16_t port = 0;
  int listener = loopback_socket(port, true);
  mango::container_options opts;
  opts.max_connections_per_target = 3;
  auto c = mango::tcp_container::create("127.0.0.1", 0, opts);
  REQUIRE(c);
  auto peer = mango::tcp_addr("127.0.0.1", port, "sink");
  std::string big(200 * 1024, 'x');
  for (int i = 0; i < 200; ++i)
    REQUIRE((*c)->send_message(value{big}, peer, "me"));
  for (int i = 0; i < 3000 && (*c)->outgoing_connections() < 3; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK((*c)->outgoing_connections() == 3);
  // Never more than the maximum.
  std::this_thread::sleep_for(200ms);
  CHECK((*c)->outgoing_connections() == 3);
  close(listener);
}

namespace {

/// Sends `n` messages to `to` once started.
class chatter : public mango::agent {
public:
  chatter(caf::actor_config& cfg, mas::agent_init init, mango::agent_address to,
          int n)
    : agent(cfg, std::move(init)), to_(std::move(to)), n_(n) {
  }

  void on_start() override {
    for (int i = 0; i < n_; ++i)
      send_message(i, to_);
  }

private:
  mango::agent_address to_;
  int n_;
};

} // namespace

TEST_CASE("500 agents of one container share one connection per target") {
  auto c1 = make_container();
  auto c2 = make_container();
  inbox box;
  c2->register_agent<recorder>("sink", &box);
  for (int i = 0; i < 500; ++i)
    c1->spawn<chatter>(c2->agent_addr("sink"), 10);
  c1->start();
  REQUIRE(box.wait_for(5000));
  CHECK(c1->outgoing_connections() == 1);
  CHECK(c2->incoming_connections() == 1);
  std::set<std::string> senders;
  for (auto& [content, meta] : box.messages)
    senders.insert(meta.find("sender_id")->as_string());
  CHECK(senders.size() == 500);
  CHECK(senders.count("agent0") == 1);
  CHECK(senders.count("agent499") == 1);
}

TEST_CASE("an idle inbound connection stays open (mango reuses it)") {
  mango::container_options opts;
  opts.transport.stall_timeout = 100ms; // only unfinished work times out
  auto c = mango::tcp_container::create("127.0.0.1", 0, opts);
  REQUIRE(c);
  inbox box;
  (*c)->register_agent<recorder>("rec", &box);
  int fd = raw_connect((*c)->port());
  raw_send_frame(fd, mango_frame("1", "rec"));
  REQUIRE(box.wait_for(1));
  // Five stall timeouts of idleness: still open, and it still works.
  std::this_thread::sleep_for(500ms);
  CHECK((*c)->incoming_connections() == 1);
  raw_send_frame(fd, mango_frame("2", "rec"));
  REQUIRE(box.wait_for(2));
  close(fd);
}
