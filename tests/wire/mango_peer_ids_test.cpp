// mango type ids per peer: which type an id names under any known table, what
// a peer's frames reveal about its table, and rewriting ids between tables.

#include <catch2/catch.hpp>

#include <string>

#include "mas/wire/convert.hpp"
#include "mas/wire/json_codec.hpp"
#include "mas/wire/mango_message.hpp"
#include "mas/wire/mango_peer_ids.hpp"

using namespace mas::wire;

namespace {

const auto py310 = mango_type_ids_for(mango_wire_version::v2_1_4, 10);
const auto py311 = mango_type_ids_for(mango_wire_version::v2_1_4, 11);
const auto py312 = mango_type_ids_for(mango_wire_version::v2_1_4, 12);
const auto py313 = mango_type_ids_for(mango_wire_version::v2_1_4, 13);
const auto seq_v1 = mango_type_ids_for(mango_wire_version::v1);
const auto seq_v2_0 = mango_type_ids_for(mango_wire_version::v2_0);
const auto seq_v2_1_2 = mango_type_ids_for(mango_wire_version::v2_1_2);

bool same(const mango_type_ids& x, const mango_type_ids& y) {
  return x.acl_message == y.acl_message && x.mango_message == y.mango_message
         && x.agent_address == y.agent_address
         && x.performatives == y.performatives;
}

dict message_repr() {
  dict meta;
  meta.append("sender_id", "agent0");
  meta.append("sender_addr", value::list({"127.0.0.1", 5555}));
  meta.append("receiver_id", "agent1");
  dict repr;
  repr.append("content", "hi");
  repr.append("meta", meta);
  return repr;
}

dict address_repr() {
  dict repr;
  repr.append("protocol_addr", value::list({"127.0.0.1", 5555}));
  repr.append("aid", "agent0");
  return repr;
}

/// A MangoMessage under `ids` whose content holds an AgentAddress and a
/// Performatives member.
value rich_message(const mango_type_ids& ids) {
  auto repr = message_repr();
  dict content;
  content.append("addr", ext{*ids.agent_address, address_repr()});
  content.append("perf", ext{ids.performatives, 9});
  *repr.find("content") = content;
  return ext{*ids.mango_message, repr};
}

/// The id of the outermost extension value.
std::int64_t id_of(const value& x) {
  return x.as_ext().type_id();
}

} // namespace

TEST_CASE("mango type of an id under any known table") {
  // Hashed ids name one type each, on every Python they occur on.
  CHECK(mango_type_of(ext{py311.acl_message, dict{}})
        == mango_type::acl_message);
  CHECK(mango_type_of(ext{*py311.mango_message, message_repr()})
        == mango_type::mango_message);
  CHECK(mango_type_of(ext{*py313.mango_message, message_repr()})
        == mango_type::mango_message);
  CHECK(mango_type_of(ext{*py313.agent_address, address_repr()})
        == mango_type::agent_address);
  CHECK(mango_type_of(ext{py310.performatives, 9})
        == mango_type::performatives);
  // Sequential ids overlap between generations: the payload decides.
  CHECK(mango_type_of(ext{0, dict{}}) == mango_type::acl_message);
  CHECK(mango_type_of(ext{1, 9}) == mango_type::performatives); // 1.x
  CHECK(mango_type_of(ext{1, message_repr()}) == mango_type::mango_message);
  CHECK(mango_type_of(ext{2, 9}) == mango_type::performatives); // 2.0
  CHECK(mango_type_of(ext{2, address_repr()}) == mango_type::agent_address);
  CHECK(mango_type_of(ext{3, 9}) == mango_type::performatives); // 2.1.2
  // Neither a known id nor the shape of the type the id could name.
  CHECK_FALSE(mango_type_of(ext{12345, 9}));
  CHECK_FALSE(mango_type_of(ext{1, "text"}));
  CHECK_FALSE(mango_type_of(ext{*py311.mango_message, 9}));
  CHECK_FALSE(mango_type_of(ext{3, address_repr()}));
  CHECK(is_known_mango_id(*py313.agent_address));
  CHECK(is_known_mango_id(3));
  CHECK_FALSE(is_known_mango_id(4));
  CHECK_FALSE(is_known_mango_id(-1));
  CHECK(std::string{to_string(mango_type::mango_message)} == "MangoMessage");
}

TEST_CASE("a peer's table is learned from the ids it sends") {
  SECTION("nothing seen: the fallback") {
    mango_peer_ids peer{py311};
    CHECK_FALSE(peer.learned());
    CHECK(same(peer.table(), py311));
    peer.observe(value{"no mango types here"});
    CHECK_FALSE(peer.learned());
  }
  SECTION("a Python 3.13 peer is told apart by its MangoMessage id") {
    mango_peer_ids peer{py311};
    peer.observe(value{ext{*py313.mango_message, message_repr()}});
    CHECK(peer.learned());
    CHECK(same(peer.table(), py313));
    CHECK(peer.describe() == "mango >= 2.1.4 on Python 3.13");
  }
  SECTION("ids shared by 3.10-3.12 keep the fallback, a Performatives pins "
          "the version") {
    mango_peer_ids peer{py311};
    peer.observe(value{ext{*py311.mango_message, message_repr()}});
    CHECK(same(peer.table(), py311));
    CHECK(peer.describe()
          == "mango >= 2.1.4 on Python 3.12 or mango >= 2.1.4 on Python 3.11 "
             "or mango >= 2.1.4 on Python 3.10");
    peer.observe(rich_message(py310));
    CHECK(same(peer.table(), py310));
  }
  SECTION("with a fallback the peer cannot be, the newest candidate") {
    mango_peer_ids peer{py313};
    peer.observe(value{ext{*py311.mango_message, message_repr()}});
    CHECK(same(peer.table(), py312));
  }
  SECTION("sequential generations, told apart by shape and id") {
    mango_peer_ids v1{py311};
    v1.observe(value{ext{0, dict{{"performative", ext{1, 9}}}}});
    CHECK(same(v1.table(), seq_v1));
    mango_peer_ids v2_0{py311};
    v2_0.observe(rich_message(seq_v2_1_2));
    CHECK(same(v2_0.table(), seq_v2_1_2));
    mango_peer_ids old{py311};
    old.observe(value{ext{1, message_repr()}});
    old.observe(value{ext{2, 9}}); // Performatives 2: 2.0-2.1.1
    CHECK(same(old.table(), seq_v2_0));
  }
  SECTION("a peer restarted on another Python starts over") {
    mango_peer_ids peer{py311};
    peer.observe(rich_message(py310));
    CHECK(same(peer.table(), py310));
    peer.observe(rich_message(py313));
    CHECK(same(peer.table(), py313));
  }
  SECTION("unknown ids teach nothing") {
    mango_peer_ids peer{py311};
    peer.observe(value{ext{777, 9}});
    CHECK_FALSE(peer.learned());
    CHECK(same(peer.table(), py311));
  }
}

TEST_CASE("mango ids are rewritten between tables at any depth") {
  // mango 2.2.1 on Python 3.11, byte for byte (reference mango-wire.md §2.2).
  const std::string text
    = R"({"__type__": [-632231636, {"sender_id": "agent0", "sender_addr": ["127.0.0.1", 5555], "receiver_id": "agent1", "receiver_addr": ["127.0.0.1", 5556], "reply_to": null, "content": {"x": 1, "addr": {"__type__": [-1987868611, {"protocol_addr": ["127.0.0.1", 5555], "aid": "agent0"}]}}, "performative": {"__type__": [1970419479, 9]}, "conversation_id": "c1", "reply_by": null, "in_reply_to": null, "protocol": null, "language": null, "encoding": null, "ontology": null, "reply_with": null}]})";
  codec_options opts;
  opts.check_type_ids = false;
  json_codec any{opts};
  auto x = any.decode_text(text);
  mango_peer_ids peer{py313};
  peer.observe(x);
  CHECK(same(peer.table(), py311));
  // To the ids of a Python 3.13 peer, and decoded with its registry.
  normalize_mango_ids(x, py313);
  json_codec cdc313;
  register_mango_types(cdc313.types(), py313);
  std::string out;
  cdc313.encode_text(x, out);
  CHECK(out.find("[-1987868611,") == std::string::npos);
  CHECK(out.find("[182833753, {\"protocol_addr\"") != std::string::npos);
  CHECK(out.find("[599685864, 9]") != std::string::npos);
  auto acl = from_value<acl_message>(cdc313.decode_text(out), cdc313.types());
  CHECK(acl.performative == performative::inform);
  CHECK(acl.conversation_id == value{"c1"});
  // And back: the bytes mango on 3.11 sent.
  normalize_mango_ids(x, py311);
  out.clear();
  any.encode_text(x, out);
  CHECK(out == text);
  // Other extension values stay as they are.
  value other = ext{4242, "opaque"};
  normalize_mango_ids(other, py313);
  CHECK(id_of(other) == 4242);
  // A 1.x peer has no MangoMessage: a clear error, not a wrong id.
  value msg = rich_message(py311);
  try {
    normalize_mango_ids(msg, seq_v1);
    FAIL("no error");
  } catch (const wire_error& e) {
    CHECK(e.code() == errc::unknown_type_id);
    CHECK(std::string{e.what()}.find("MangoMessage") != std::string::npos);
  }
}
