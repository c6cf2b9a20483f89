// mango JSON-codec probe for test_mango_codec.py.
//
//   interop_mango_probe table MINOR
//       prints the C++ id table for mango >= 2.1.4 on Python 3.MINOR as
//       {"ACLMessage": id, "MangoMessage": id, "AgentAddress": id,
//        "Performatives": id}
//   interop_mango_probe check MINOR ACL MANGO ADDR PERF IN OUT_RE OUT_NATIVE
//       (i)   fails (exit 3) unless the C++ table for Python 3.MINOR equals
//             the ids measured from the installed mango (ACL MANGO ADDR PERF);
//       (ii)  decodes every frame of IN (written by mango's JSON codec) with
//             a codec configured by register_mango_types, converts it with
//             from_value into acl_message / mango_message / agent_address /
//             performative (chosen by the envelope's type name) and prints
//             one line of readable JSON built from the struct members;
//       (iii) re-encodes the structs into OUT_RE;
//       and writes messages built in C++ only to OUT_NATIVE (write_native).
//
// Exit status: 0 on success, 1 on a wire error, 3 on an id table mismatch,
// 2 on a usage error.

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mas/version.hpp"
#include "mas/wire/codec.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/frame.hpp"
#include "mas/wire/mango_message.hpp"
#include "mas/wire/mango_type_ids.hpp"
#include "mas/wire/readable.hpp"

#include "probe_files.hpp"

namespace {

using namespace mas::wire;
using namespace mas::probe;

std::int64_t parse_id(const char* str) {
  char* end = nullptr;
  auto x = std::strtoll(str, &end, 10);
  if (end == str || *end != '\0')
    throw std::runtime_error(std::string{"not an integer: "} + str);
  return x;
}

value table_json(const mango_type_ids& ids) {
  auto opt = [](const std::optional<std::int64_t>& x) {
    return x ? value{*x} : value{};
  };
  dict d;
  d.append("ACLMessage", ids.acl_message);
  d.append("MangoMessage", opt(ids.mango_message));
  d.append("AgentAddress", opt(ids.agent_address));
  d.append("Performatives", ids.performatives);
  return d;
}

// -- readable descriptions built from the struct members ----------------------

value describe(const acl_message& x) {
  dict d;
  d.append("sender_id", to_readable(x.sender_id));
  d.append("sender_addr", to_readable(x.sender_addr));
  d.append("receiver_id", to_readable(x.receiver_id));
  d.append("receiver_addr", to_readable(x.receiver_addr));
  d.append("reply_to", to_readable(x.reply_to));
  d.append("content", to_readable(x.content));
  d.append("performative",
           x.performative ? value{to_string(*x.performative)} : value{});
  d.append("conversation_id", to_readable(x.conversation_id));
  d.append("reply_by", to_readable(x.reply_by));
  d.append("in_reply_to", to_readable(x.in_reply_to));
  d.append("protocol", to_readable(x.protocol));
  d.append("language", to_readable(x.language));
  d.append("encoding", to_readable(x.encoding));
  d.append("ontology", to_readable(x.ontology));
  d.append("reply_with", to_readable(x.reply_with));
  d.append("extra", to_readable(value{x.extra}));
  return d;
}

value describe(const mango_message& x) {
  dict d;
  d.append("content", to_readable(x.content));
  d.append("meta", to_readable(x.meta));
  return d;
}

value describe(const agent_address& x) {
  dict d;
  d.append("protocol_addr", to_readable(x.protocol_addr));
  d.append("aid", x.aid);
  return d;
}

value describe(performative x) {
  dict d;
  d.append("name", to_string(x));
  d.append("value", static_cast<std::int64_t>(x));
  return d;
}

template <class T>
void roundtrip(const value& decoded, const codec& cdc, const char* kind,
               byte_buffer& out) {
  auto x = from_value<T>(decoded, cdc.types());
  dict line;
  line.append("kind", kind);
  line.append("fields", describe(x));
  std::cout << to_readable_json(value{std::move(line)}) << '\n';
  put_frame(out, cdc, to_value(x, cdc.types()));
}

// -- messages built in C++ only -----------------------------------------------

value tcp_addr(const char* host, std::int64_t port) {
  return value::list({value{host}, value{port}});
}

// test_mango_codec.py builds the same objects with mango and compares them
// (and mango's bytes for them) with these frames.
void write_native(const codec& cdc, byte_buffer& out) {
  auto& reg = cdc.types();
  // n0: a plain MangoMessage as TCPContainer.send_message builds it
  {
    mango_message m;
    m.content = "hello from C++ \xF0\x9F\x98\x80";
    dict meta;
    meta.append("foo", value::list({1, 2.5}));
    meta.append("sender_id", "cpp");
    meta.append("sender_addr", tcp_addr("127.0.0.1", 5800));
    meta.append("receiver_id", "agent0");
    m.meta = std::move(meta);
    put_frame(out, cdc, to_value(m, reg));
  }
  // n1: an ACLMessage like create_acl(..., Performatives.inform)
  {
    acl_message a;
    a.sender_id = "cpp";
    a.sender_addr = tcp_addr("127.0.0.1", 5800);
    a.receiver_id = "agent1";
    a.receiver_addr = tcp_addr("127.0.0.1", 5556);
    dict content;
    content.append("x", 1);
    content.append(
      "addr", to_value(agent_address{tcp_addr("127.0.0.1", 5800), "cpp"}, reg));
    a.content = std::move(content);
    a.performative = performative::inform;
    a.conversation_id = "c1";
    put_frame(out, cdc, to_value(a, reg));
  }
  // n2: AgentAddress
  put_frame(
    out, cdc,
    to_value(agent_address{tcp_addr("127.0.0.1", 5555), "agent0"}, reg));
  // n3: Performatives
  put_frame(out, cdc, to_value(performative::request_whenever, reg));
  // n4: an empty ACLMessage (every field None)
  put_frame(out, cdc, to_value(acl_message{}, reg));
  // n5: MangoMessage with extension values inside content and meta
  {
    mango_message m;
    dict content;
    content.append("p", to_value(performative::agree, reg));
    content.append("to",
                   to_value(agent_address{value{"inbox/topic"}, "a"}, reg));
    m.content = std::move(content);
    dict meta;
    meta.append("sender_id", "cpp");
    meta.append("sender_addr", "eid_1");
    meta.append("receiver_id", "a");
    meta.append("tracking_id", "00000000-0000-4000-8000-000000000000");
    m.meta = std::move(meta);
    put_frame(out, cdc, to_value(m, reg));
  }
}

int check(char** argv) {
  int minor = std::atoi(argv[2]);
  mango_type_ids measured{parse_id(argv[3]), parse_id(argv[4]),
                          parse_id(argv[5]), parse_id(argv[6])};
  auto table = mango_type_ids_for(mango_wire_version::v2_1_4, minor);
  // (i) the C++ table must equal what the installed mango uses
  if (table_json(table) != table_json(measured)) {
    std::cerr << "probe: ID TABLE MISMATCH for Python 3." << minor
              << "\n  C++ mango_type_ids_for(v2_1_4): "
              << to_readable_json(table_json(table))
              << "\n  measured from installed mango:  "
              << to_readable_json(table_json(measured)) << '\n';
    return 3;
  }
  auto cdc = make_codec(codec_kind::json); // check_type_ids on, like mango
  register_mango_types(cdc->types(), table);
  // (ii) decode into the message structs, (iii) re-encode
  byte_buffer reencoded;
  for (auto& payload : split(read_file(argv[7]))) {
    auto decoded = cdc->decode(payload);
    auto name = cdc->types().name_of(decoded.as_ext().type_id());
    if (name == nullptr)
      throw std::runtime_error("unregistered id");
    if (*name == "ACLMessage")
      roundtrip<acl_message>(decoded, *cdc, "ACLMessage", reencoded);
    else if (*name == "MangoMessage")
      roundtrip<mango_message>(decoded, *cdc, "MangoMessage", reencoded);
    else if (*name == "AgentAddress")
      roundtrip<agent_address>(decoded, *cdc, "AgentAddress", reencoded);
    else if (*name == "Performatives")
      roundtrip<performative>(decoded, *cdc, "Performatives", reencoded);
    else
      throw std::runtime_error("unexpected type " + *name);
  }
  write_file(argv[8], reencoded);
  byte_buffer native;
  write_native(*cdc, native);
  write_file(argv[9], native);
  return 0;
}

} // namespace

constexpr const char* usage
  = "usage: interop_mango_probe table MINOR\n"
    "       interop_mango_probe check MINOR ACL MANGO ADDR PERF IN OUT_RE "
    "OUT_NATIVE\n"
    "       interop_mango_probe -h | --help | --version\n\n"
    "table: prints the C++ type-id table for mango >= 2.1.4 on Python\n"
    "3.MINOR. check: compares it with the measured ids, decodes mango's JSON\n"
    "frames in IN into structs, re-encodes them to OUT_RE and writes\n"
    "C++-built messages to OUT_NATIVE. Run by\n"
    "tests/interop/test_mango_codec.py. Exit status: 0 on success, 1 on a\n"
    "wire error, 2 on a usage error, 3 on an id table mismatch.\n";

int main(int argc, char** argv) {
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (argc == 2 && (cmd == "-h" || cmd == "--help")) {
      std::cout << usage;
      return 0;
    }
    if (argc == 2 && cmd == "--version") {
      std::cout << "interop_mango_probe (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    }
    if (cmd == "table" && argc == 3) {
      auto ids
        = mango_type_ids_for(mango_wire_version::v2_1_4, std::atoi(argv[2]));
      std::cout << to_readable_json(table_json(ids)) << '\n';
      return 0;
    }
    if (cmd == "check" && argc == 10)
      return check(argv);
    std::cerr << usage;
    return 2;
  } catch (const wire_error& e) {
    std::cerr << "probe: wire_error [" << to_string(e.code())
              << "]: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "probe: " << e.what() << '\n';
    return 1;
  }
}
