// wire_demo: encodes and decodes a few aiomas and mango messages with every
// codec and shows what goes on the wire.

#include <cstdio>
#include <iostream>
#include <string>

#include "mas/version.hpp"
#include "mas/wire/aiomas_message.hpp"
#include "mas/wire/codec.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/frame.hpp"
#include "mas/wire/mango_message.hpp"
#include "mas/wire/mango_type_ids.hpp"
#include "mas/wire/readable.hpp"

namespace demo {

/// A user type, described once: it travels like an aiomas `@serializable`.
struct reading {
  std::string sensor;
  double celsius;
};

MAS_DESCRIBE(reading, sensor, celsius)

} // namespace demo

namespace {

using namespace mas::wire;

std::string printable(const byte_buffer& xs) {
  std::string out;
  for (auto c : xs) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

void show(const char* title, const value& msg, const type_registry& types) {
  std::cout << "== " << title << "\n";
  for (auto kind :
       {codec_kind::json, codec_kind::msgpack, codec_kind::msgpack_blosc}) {
    auto cdc = make_codec(kind);
    for (auto& e : types.entries())
      if (e.primary)
        cdc->types().add(e.name, e.id);
    try {
      auto payload = cdc->encode(msg);
      byte_buffer frame;
      write_frame(frame, payload.data(), payload.size());
      std::cout << "  " << to_string(kind) << " (" << frame.size()
                << " bytes): " << printable(frame) << "\n";
      // Decode what we just framed, as a receiving peer would.
      frame_decoder frames;
      frames.feed(frame.data(), frame.size(),
                  [&](const std::uint8_t* data, std::size_t size) {
                    auto back = cdc->decode(data, size);
                    // MsgPack decodes arrays as tuples (like aiomas);
                    // the readable form shows both as lists.
                    auto text = to_readable_json(back);
                    std::cout << "    decoded: " << text
                              << (text == to_readable_json(msg)
                                    ? "  (round trip ok)"
                                    : "  (round trip CHANGED the value)")
                              << "\n";
                  });
    } catch (const wire_error& e) {
      std::cout << "  " << to_string(kind) << ": " << e.what() << " ["
                << to_string(e.code()) << "]\n";
    }
  }
}

} // namespace

constexpr const char* usage = R"(usage: wire_demo [OPTIONS]

Encodes and decodes a few aiomas and mango messages with every codec (JSON,
MsgPack, MsgPackBlosc) and prints what goes on the wire. Takes no arguments
besides these; exits with status 0, or 2 on a usage error.

options:
  -h, --help         show this text
  --version          print "wire_demo (libmas) VERSION"
)";

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "wire_demo (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    }
    std::cerr << "wire_demo: unknown argument " << arg << "\n(see --help)\n";
    return 2;
  }
  // aiomas: an RPC call of agents/0/spam(3), as connect() + proxy.spam(3)
  // send it, and the reply.
  type_registry aiomas_types;
  aiomas_types.add("Arrow"); // container codecs: 0 = Arrow date
  aiomas_types.add("reading");
  auto request = aiomas_message{
    message_type::request, 1,
    to_value(rpc_request{"agents/0/spam",
                         {to_value(demo::reading{"t1", 21.5}, aiomas_types)},
                         dict{{"unit", "C"}}})};
  show("aiomas request [0, 1, [path, args, kwargs]]", to_value(request),
       aiomas_types);
  show("aiomas reply [1, 1, result]",
       to_value(aiomas_message{message_type::result, 1, "ok"}), aiomas_types);

  // mango: a MangoMessage and an ACLMessage as mango 2.4 on Python 3.11
  // encodes them.
  type_registry mango_types;
  register_mango_types(mango_types,
                       mango_type_ids_for(mango_wire_version::v2_1_4, 11));
  dict meta{{"sender_id", "cpp_agent"},
            {"sender_addr", value::list({"127.0.0.1", 5555})},
            {"receiver_id", "agent0"}};
  show("mango MangoMessage",
       to_value(mango_message{"hello from C++", meta}, mango_types),
       mango_types);
  acl_message acl;
  acl.sender_id = "cpp_agent";
  acl.sender_addr = value::list({"127.0.0.1", 5555});
  acl.receiver_id = "agent0";
  acl.receiver_addr = value::list({"127.0.0.1", 5556});
  acl.content = dict{{"price", 42.5}};
  acl.performative = performative::propose;
  acl.conversation_id = "c1";
  show("mango ACLMessage", to_value(acl, mango_types), mango_types);
  return 0;
}
