#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <vector>

#include "mas/wire/aiomas_message.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/json_codec.hpp"
#include "mas/wire/mango_message.hpp"
#include "mas/wire/mango_type_ids.hpp"

using namespace mas::wire;

namespace demo {

struct point {
  double x = 0;
  double y = 0;
  friend bool operator==(const point& a, const point& b) {
    return a.x == b.x && a.y == b.y;
  }
};

MAS_DESCRIBE(point, x, y)

struct shape {
  std::string name;
  std::vector<point> corners;
  std::optional<int> layer;
  std::map<std::string, int> tags;
};

MAS_DESCRIBE(shape, name, corners, layer, tags)

} // namespace demo

namespace {

std::string json(const value& x) {
  json_codec cdc;
  std::string out;
  cdc.encode_text(x, out);
  return out;
}

errc error_of(void (*f)()) {
  try {
    f();
  } catch (const wire_error& e) {
    return e.code();
  }
  return errc::ok;
}

} // namespace

TEST_CASE("aiomas triple") {
  aiomas_message msg{message_type::request, 0,
                     to_value(rpc_request{"agents/0/spam", {3}, {}})};
  CHECK(json(to_value(msg)) == R"([0, 0, ["agents/0/spam", [3], {}]])");
  json_codec cdc;
  auto back = parse_aiomas_message(
    cdc.decode_text(R"([2, 7, "Traceback...\nValueError: 42\n"])"));
  CHECK(back.type == message_type::exception);
  CHECK(back.id == 7);
  CHECK(back.content.as_string() == "Traceback...\nValueError: 42\n");
  auto req = parse_rpc_request(cdc.decode_text(R"(["a/b", [1, 2], {"k": 3}])"));
  CHECK(req.path == "a/b");
  CHECK(req.args.size() == 2);
  CHECK(req.kwargs.find("k")->as_int64() == 3);
}

TEST_CASE("aiomas triple shape errors") {
  json_codec cdc;
  auto bad = [&](const char* text) {
    try {
      parse_aiomas_message(cdc.decode_text(text));
    } catch (const wire_error& e) {
      CHECK(e.code() == errc::invalid_message);
      return std::string{e.what()};
    }
    return std::string{"no error"};
  };
  CHECK(bad("[0, 1]") != "no error");
  CHECK(bad("[0, 1, 2, 3]") != "no error");
  CHECK(bad(R"({"a": 1})") != "no error");
  CHECK(bad("[3, 0, null]") == "Invalid message type 3");
  CHECK(bad(R"(["0", 0, null])") != "no error");
  CHECK(bad("[0, -1, null]") != "no error");
  CHECK(bad("[0, 1.5, null]") != "no error");
  auto bad_req = [&](const char* text) {
    try {
      parse_rpc_request(cdc.decode_text(text));
    } catch (const wire_error& e) {
      return e.code();
    }
    return errc::ok;
  };
  CHECK(bad_req(R"([1, [], {}])") == errc::invalid_message);
  CHECK(bad_req(R"(["f", {}, {}])") == errc::invalid_message);
  CHECK(bad_req(R"(["f", [], []])") == errc::invalid_message);
  CHECK(bad_req(R"(["f", []])") == errc::invalid_message);
}

TEST_CASE("described structs are extension values with positional ids") {
  type_registry reg;
  CHECK(reg.add("point") == 0);
  CHECK(reg.add("shape") == 1);
  demo::shape s{"tri", {{0, 0}, {1, 0.5}}, std::nullopt, {{"a", 1}}};
  auto v = to_value(s, reg);
  CHECK(json(v)
        == R"({"__type__": [1, {"name": "tri", "corners": [)"
           R"({"__type__": [0, {"x": 0.0, "y": 0.0}]}, )"
           R"({"__type__": [0, {"x": 1.0, "y": 0.5}]}], )"
           R"("layer": null, "tags": {"a": 1}}]})");
  auto back = from_value<demo::shape>(v, reg);
  CHECK(back.name == "tri");
  CHECK(back.corners == s.corners);
  CHECK(!back.layer);
  CHECK(back.tags == s.tags);
}

TEST_CASE("described structs decode strictly like cls(**d)") {
  type_registry reg;
  reg.add("point");
  auto missing = value{ext{0, value{dict{{"x", 1.0}}}}};
  auto extra = value{ext{0, value{dict{{"x", 1.0}, {"y", 2}, {"z", 3}}}}};
  auto wrong_id = value{ext{5, value{dict{{"x", 1.0}, {"y", 2}}}}};
  auto wrong_type = value{ext{0, value{dict{{"x", "1"}, {"y", 2}}}}};
  for (auto& v : {missing, extra, wrong_id, wrong_type}) {
    try {
      from_value<demo::point>(v, reg);
      FAIL("no exception for " << to_string(v));
    } catch (const wire_error& e) {
      CHECK(e.code() == errc::type_mismatch);
    }
  }
  // Ints convert to float fields like Python's float(x).
  CHECK(
    from_value<demo::point>(value{ext{0, value{dict{{"x", 1}, {"y", 2}}}}}, reg)
    == demo::point{1, 2});
  // Unregistered types cannot be serialized.
  CHECK(error_of([] { to_value(demo::point{}); }) == errc::not_serializable);
}

TEST_CASE("integer conversions check the target range") {
  CHECK(from_value<int>(value{42}) == 42);
  CHECK(error_of([] { from_value<std::int8_t>(value{300}); })
        == errc::type_mismatch);
  CHECK(error_of([] { from_value<unsigned>(value{-1}); })
        == errc::type_mismatch);
  CHECK(from_value<std::uint64_t>(value{UINT64_MAX}) == UINT64_MAX);
  CHECK(error_of([] { from_value<std::int64_t>(value{UINT64_MAX}); })
        == errc::type_mismatch);
}

TEST_CASE("mango 2.2.1 samples on Python 3.11 encode byte for byte") {
  // Byte-exact samples of what mango 2.2.1 on Python 3.11 puts on the wire
  // (captured from the real mango; interop/mango_codec checks the live one).
  json_codec cdc;
  register_mango_types(cdc.types(),
                       mango_type_ids_for(mango_wire_version::v2_1_4, 11));
  dict meta;
  meta.append("foo", 1);
  meta.append("sender_id", "echo");
  meta.append("sender_addr", value::list({"127.0.0.1", 5701}));
  meta.append("receiver_id", "peer");
  auto msg = to_value(mango_message{"hi-1", meta}, cdc.types());
  CHECK(
    json(msg)
    == R"({"__type__": [-1465703651, {"content": "hi-1", "meta": {"foo": 1, "sender_id": "echo", "sender_addr": ["127.0.0.1", 5701], "receiver_id": "peer"}}]})");

  acl_message acl;
  acl.sender_id = "agent0";
  acl.sender_addr = value::list({"127.0.0.1", 5555});
  acl.receiver_id = "agent1";
  acl.receiver_addr = value::list({"127.0.0.1", 5556});
  dict content;
  content.append("x", 1);
  content.append(
    "addr", to_value(agent_address{value::list({"127.0.0.1", 5555}), "agent0"},
                     cdc.types()));
  acl.content = content;
  acl.performative = performative::inform;
  acl.conversation_id = "c1";
  auto text = json(to_value(acl, cdc.types()));
  CHECK(
    text
    == R"({"__type__": [-632231636, {"sender_id": "agent0", "sender_addr": ["127.0.0.1", 5555], "receiver_id": "agent1", "receiver_addr": ["127.0.0.1", 5556], "reply_to": null, "content": {"x": 1, "addr": {"__type__": [-1987868611, {"protocol_addr": ["127.0.0.1", 5555], "aid": "agent0"}]}}, "performative": {"__type__": [1970419479, 9]}, "conversation_id": "c1", "reply_by": null, "in_reply_to": null, "protocol": null, "language": null, "encoding": null, "ontology": null, "reply_with": null}]})");
  auto back = from_value<acl_message>(cdc.decode_text(text), cdc.types());
  CHECK(back == acl);
}

TEST_CASE("mango ACL decoding is lenient like mango's setattr") {
  json_codec cdc;
  register_mango_types(cdc.types(),
                       mango_type_ids_for(mango_wire_version::v2_1_4, 11));
  auto acl = from_value<acl_message>(
    cdc.decode_text(
      R"({"__type__": [-632231636, {"sender_id": "a", "custom": [1]}]})"),
    cdc.types());
  CHECK(acl.sender_id == value{"a"});
  CHECK(acl.receiver_id.is_none());
  CHECK(!acl.performative);
  REQUIRE(acl.extra.size() == 1);
  CHECK(json(to_value(acl, cdc.types()))
          .find(R"("reply_with": null, "custom": [1])")
        != std::string::npos);
  // A Performatives value outside 1..22 is an error, as in Python.
  CHECK_THROWS_AS(
    from_value<performative>(
      cdc.decode_text(R"({"__type__": [1970419479, 23]})"), cdc.types()),
    wire_error);
  // AgentAddress needs exactly its two keys (cls(**d)).
  CHECK_THROWS_AS(
    from_value<agent_address>(
      cdc.decode_text(R"({"__type__": [-1987868611, {"aid": "x"}]})"),
      cdc.types()),
    wire_error);
}

TEST_CASE("MangoMessage keeps unknown keys like mango's setattr") {
  json_codec cdc;
  register_mango_types(cdc.types(),
                       mango_type_ids_for(mango_wire_version::v2_1_4, 11));
  auto text
    = R"({"__type__": [-1465703651, {"content": 1, "meta": {}, "x": 2}]})";
  auto msg = from_value<mango_message>(cdc.decode_text(text), cdc.types());
  CHECK(msg.content == value{1});
  CHECK(msg.extra.size() == 1);
  CHECK(json(to_value(msg, cdc.types())) == text);
  // A missing meta decodes as None.
  auto bare = from_value<mango_message>(
    cdc.decode_text(R"({"__type__": [-1465703651, {"content": 1}]})"),
    cdc.types());
  CHECK(bare.meta.is_none());
}

TEST_CASE("mango id tables and the union of hashed ids") {
  auto v1 = mango_type_ids_for(mango_wire_version::v1);
  CHECK(v1.acl_message == 0);
  CHECK(v1.performatives == 1);
  CHECK(!v1.mango_message);
  auto v20 = mango_type_ids_for(mango_wire_version::v2_0);
  CHECK(*v20.mango_message == 1);
  CHECK(v20.performatives == 2);
  auto py313 = mango_type_ids_for(mango_wire_version::v2_1_4, 13);
  CHECK(*py313.mango_message == 797259889);
  CHECK_THROWS_AS(mango_type_ids_for(mango_wire_version::v2_1_4, 9),
                  wire_error);
  CHECK(parse_mango_wire_version("1.2.0") == mango_wire_version::v1);
  CHECK(parse_mango_wire_version("2.0.3") == mango_wire_version::v2_0);
  CHECK(parse_mango_wire_version("2.1.1") == mango_wire_version::v2_0);
  CHECK(parse_mango_wire_version("2.1.3") == mango_wire_version::v2_1_2);
  CHECK(parse_mango_wire_version("2.4.0") == mango_wire_version::v2_1_4);
  CHECK(!parse_mango_wire_version("x"));

  // A receiver that accepts every Python version's ids.
  json_codec cdc;
  register_mango_types(cdc.types(),
                       mango_type_ids_for(mango_wire_version::v2_1_4, 11));
  add_mango_hashed_aliases(cdc.types());
  auto from313 = cdc.decode_text(
    R"({"__type__": [797259889, {"content": 1, "meta": {}}]})");
  CHECK(from_value<mango_message>(from313, cdc.types()).content == value{1});
  // ... and still encodes with the configured peer's ids.
  CHECK(json(to_value(mango_message{1, dict{}}, cdc.types()))
        == R"({"__type__": [-1465703651, {"content": 1, "meta": {}}]})");
}
