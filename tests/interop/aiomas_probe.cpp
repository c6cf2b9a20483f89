// aiomas extension-type probe for test_aiomas_ext.py.
//
//   interop_aiomas_probe CODEC IN OUT_REENCODED OUT_NATIVE
//
// Registers the same serializers as the Python side, positionally and in the
// same order (aiomas: typeid = len(codec._serializers)):
//   0 = Point  (@aiomas.codecs.serializable, repr {"x", "y", "label"})
//   1 = Plain  (add_serializer with own functions, repr [name, tags, origin])
//   2 = Arrow  (aiomas.util.arrow_serializer: repr is the ISO 8601 string)
//
// IN holds frames written by aiomas, in this fixed order:
//   0: Point   1: Plain   2: [Point, ...]   3: RPC request triple
//   (0, id, ("agents/0/move", [Point], {"to": Point, "plain": Plain}))
//   4: Arrow date
// For each frame it prints one line of readable JSON built from the C++
// struct members (so Python can check the fields), and writes the frame
// re-encoded from the structs to OUT_REENCODED. OUT_NATIVE gets messages
// built in C++ only (see write_native).
//
// Exit status: 0 on success, 1 on any error (message on stderr).

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mas/version.hpp"
#include "mas/wire/aiomas_message.hpp"
#include "mas/wire/codec.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/describe.hpp"
#include "mas/wire/frame.hpp"
#include "mas/wire/readable.hpp"

#include "probe_files.hpp"

// -- the C++ mirrors of the Python classes ------------------------------------

struct Point {
  std::int64_t x = 0;
  double y = 0;
  std::string label;
};

MAS_DESCRIBE(Point, x, y, label)

struct Plain {
  std::string name;
  std::vector<std::string> tags;
  std::optional<Point> origin;
};

struct Arrow {
  std::string iso;
};

namespace mas::wire {

template <>
struct ext_type<Plain> {
  static std::string_view name() {
    return "Plain";
  }
  static value to_repr(const Plain& x, const type_registry& types) {
    return value::list(
      {value{x.name}, to_value(x.tags, types), to_value(x.origin, types)});
  }
  static Plain from_repr(const value& x, const type_registry& types) {
    auto& xs = x.as_array();
    if (xs.size() != 3)
      throw wire_error(errc::type_mismatch, "Plain repr needs 3 elements");
    Plain result;
    result.name = from_value<std::string>(xs[0], types);
    result.tags = from_value<std::vector<std::string>>(xs[1], types);
    result.origin = from_value<std::optional<Point>>(xs[2], types);
    return result;
  }
};

template <>
struct ext_type<Arrow> {
  static std::string_view name() {
    return "Arrow";
  }
  static value to_repr(const Arrow& x, const type_registry&) {
    return value{x.iso};
  }
  static Arrow from_repr(const value& x, const type_registry&) {
    return Arrow{x.as_string()};
  }
};

} // namespace mas::wire

namespace {

using namespace mas::wire;
using namespace mas::probe;

// -- readable descriptions built from the struct members ----------------------

value describe(const Point& p) {
  dict d;
  d.append("type", "Point");
  d.append("x", p.x);
  d.append("y", p.y);
  d.append("label", p.label);
  return d;
}

value describe(const Plain& p) {
  dict d;
  d.append("type", "Plain");
  d.append("name", p.name);
  array tags;
  for (auto& t : p.tags)
    tags.emplace_back(t);
  d.append("tags", std::move(tags));
  d.append("origin", p.origin ? describe(*p.origin) : value{});
  return d;
}

value describe(const Arrow& a) {
  dict d;
  d.append("type", "Arrow");
  d.append("iso", a.iso);
  return d;
}

// -- I/O ----------------------------------------------------------------------

void emit(const value& x) {
  std::cout << to_readable_json(x) << '\n';
}

// -- the checks ---------------------------------------------------------------

void reencode_python_frames(const codec& cdc,
                            const std::vector<byte_buffer>& in,
                            byte_buffer& out) {
  if (in.size() != 5)
    throw std::runtime_error("expected 5 input frames, got "
                             + std::to_string(in.size()));
  auto& reg = cdc.types();
  // 0: Point
  {
    auto p = from_value<Point>(cdc.decode(in[0]), reg);
    emit(describe(p));
    put_frame(out, cdc, to_value(p, reg));
  }
  // 1: Plain
  {
    auto p = from_value<Plain>(cdc.decode(in[1]), reg);
    emit(describe(p));
    put_frame(out, cdc, to_value(p, reg));
  }
  // 2: list of Points
  {
    auto ps = from_value<std::vector<Point>>(cdc.decode(in[2]), reg);
    array xs;
    for (auto& p : ps)
      xs.push_back(describe(p));
    emit(value{std::move(xs)});
    put_frame(out, cdc, to_value(ps, reg));
  }
  // 3: RPC request with extension values in args and kwargs
  {
    auto msg = parse_aiomas_message(cdc.decode(in[3]));
    auto req = parse_rpc_request(std::move(msg.content));
    if (req.args.size() != 1)
      throw std::runtime_error("expected one positional argument");
    auto arg = from_value<Point>(req.args[0], reg);
    auto to = req.kwargs.find("to");
    auto plain = req.kwargs.find("plain");
    if (to == nullptr || plain == nullptr || req.kwargs.size() != 2)
      throw std::runtime_error("expected kwargs 'to' and 'plain'");
    auto to_pt = from_value<Point>(*to, reg);
    auto plain_obj = from_value<Plain>(*plain, reg);
    dict d;
    d.append("type", static_cast<std::int64_t>(msg.type));
    d.append("id", msg.id);
    d.append("path", req.path);
    d.append("arg", describe(arg));
    d.append("to", describe(to_pt));
    d.append("plain", describe(plain_obj));
    emit(value{std::move(d)});
    // Rebuild from the structs.
    rpc_request back;
    back.path = req.path;
    back.args.push_back(to_value(arg, reg));
    back.kwargs.append("to", to_value(to_pt, reg));
    back.kwargs.append("plain", to_value(plain_obj, reg));
    aiomas_message m;
    m.type = msg.type;
    m.id = msg.id;
    m.content = to_value(back);
    put_frame(out, cdc, to_value(m));
  }
  // 4: Arrow date
  {
    auto a = from_value<Arrow>(cdc.decode(in[4]), reg);
    emit(describe(a));
    put_frame(out, cdc, to_value(a, reg));
  }
}

// Messages built in C++ only; test_aiomas_ext.py builds the same objects in
// Python and compares values and bytes.
void write_native(const codec& cdc, byte_buffer& out) {
  auto& reg = cdc.types();
  Point p{-7, 0.1, "\xF0\x9F\x98\x80 native"};
  put_frame(out, cdc, to_value(p, reg));
  Plain q{"native", {"a", "b\xC3\xA9"}, Point{1, -0.0, ""}};
  put_frame(out, cdc, to_value(q, reg));
  Plain r{"no origin", {}, std::nullopt};
  put_frame(out, cdc, to_value(r, reg));
  rpc_request req;
  req.path = "agents/1/move";
  req.args.push_back(to_value(p, reg));
  req.kwargs.append("to", to_value(Point{2, 3.5, "to"}, reg));
  req.kwargs.append("plain", to_value(r, reg));
  aiomas_message m;
  m.type = message_type::request;
  m.id = 42;
  m.content = to_value(req);
  put_frame(out, cdc, to_value(m));
  put_frame(out, cdc, to_value(Arrow{"2016-01-01T00:00:00+00:00"}, reg));
}

} // namespace

constexpr const char* usage
  = "usage: interop_aiomas_probe CODEC IN OUT_REENCODED OUT_NATIVE\n"
    "       interop_aiomas_probe -h | --help | --version\n\n"
    "Decodes the aiomas frames in IN (Point, Plain, [Point], an RPC request,\n"
    "an Arrow date) into C++ structs, prints each as readable JSON, writes\n"
    "them re-encoded to OUT_REENCODED and C++-built messages to OUT_NATIVE.\n"
    "Run by tests/interop/test_aiomas_ext.py. Exit status: 0 on success, 1 on\n"
    "any error, 2 on a usage error.\n";

int main(int argc, char** argv) {
  if (argc == 2) {
    std::string arg = argv[1];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "interop_aiomas_probe (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    }
  }
  if (argc != 5) {
    std::cerr << usage;
    return 2;
  }
  try {
    auto kind = parse_codec_kind(argv[1]);
    if (!kind)
      throw std::runtime_error(std::string{"unknown codec "} + argv[1]);
    auto cdc = make_codec(*kind); // check_type_ids stays on, like aiomas
    // Positional ids in the Python registration order.
    auto& reg = cdc->types();
    if (reg.add("Point") != 0 || reg.add("Plain") != 1 || reg.add("Arrow") != 2)
      throw std::runtime_error("positional ids are not 0, 1, 2");
    byte_buffer reencoded;
    reencode_python_frames(*cdc, split(read_file(argv[2])), reencoded);
    write_file(argv[3], reencoded);
    byte_buffer native;
    write_native(*cdc, native);
    write_file(argv[4], native);
  } catch (const wire_error& e) {
    std::cerr << "probe: wire_error [" << to_string(e.code())
              << "]: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "probe: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
