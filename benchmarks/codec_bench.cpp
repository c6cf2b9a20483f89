// codec_bench: encode/decode throughput of the wire codecs (JSON, MsgPack,
// MsgPack+Blosc) on three payloads. The Python anchor is
// benchmarks/codec_bench.py; benchmarks/run_codec_bench runs both and prints
// the comparison (docs/benchmarks.md).
//
// Timing: std::chrono::steady_clock. Each case is warmed up, then run in
// batches for at least --min-time seconds; the best of --reps repetitions is
// reported. MB/s counts wire bytes (the codec's output = one frame payload,
// compressed for msgpack-blosc), MB = 10^6 bytes.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "mas/version.hpp"
#include "mas/wire/codec.hpp"
#include "mas/wire/convert.hpp"
#include "mas/wire/mango_message.hpp"
#include "mas/wire/mango_type_ids.hpp"

namespace {

using namespace mas::wire;
using clock_type = std::chrono::steady_clock;

// -- payloads (benchmarks/codec_bench.py builds the same values) --------------

/// (1) An aiomas RPC request triple.
value make_rpc() {
  return value::list(
    {0, 42,
     value::list({"agents/0/add", value::list({3, 4}), dict{{"scale", 1.5}}})});
}

/// (2) A mango ACLMessage as mango 2.4's create_acl() builds it.
acl_message make_acl() {
  acl_message acl;
  acl.sender_id = "agent0";
  acl.sender_addr = value::list({"127.0.0.1", 5555});
  acl.receiver_id = "agent1";
  acl.receiver_addr = value::list({"127.0.0.1", 5556});
  acl.content = dict{{"power", 1.5}, {"unit", "kW"}};
  acl.performative = performative::inform;
  acl.conversation_id = "c-1";
  return acl;
}

constexpr int big_records = 720;

/// (3) A ~100 kB nested dict (JSON: 100.7 kB).
value make_big() {
  array records;
  records.reserve(big_records);
  for (int i = 0; i < big_records; ++i) {
    auto s = [](int n) { return std::to_string(n); };
    dict rec;
    rec.reserve(5);
    rec.append("id", i);
    rec.append("name", "agent-" + s(i));
    rec.append("pos", value::list({i * 0.5, -i * 0.25}));
    rec.append("tags", value::list({"t" + s(i % 7), "group-" + s(i % 13),
                                    "zone-" + s(i % 3)}));
    rec.append("meta", dict{{"ok", i % 3 != 0}, {"score", i / 7.0}});
    records.emplace_back(std::move(rec));
  }
  return dict{{"records", value{std::move(records)}}};
}

// -- measurement --------------------------------------------------------------

struct result {
  double msgs_per_sec;
  double mb_per_sec;
};

volatile std::size_t sink;

/// Runs `op` (returns a number to keep the work observable) for at least
/// `min_time` seconds per repetition; returns the best rate in calls/s.
double measure(const std::function<std::size_t()>& op, double min_time,
               int reps) {
  using std::chrono::duration;
  // Warm-up and calibration: a batch takes >= 10 ms.
  std::size_t batch = 1;
  for (;;) {
    auto t0 = clock_type::now();
    for (std::size_t i = 0; i < batch; ++i)
      sink = sink + op();
    duration<double> dt = clock_type::now() - t0;
    if (dt.count() >= 0.01)
      break;
    batch *= 2;
  }
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    std::size_t calls = 0;
    auto t0 = clock_type::now();
    duration<double> dt{0};
    do {
      for (std::size_t i = 0; i < batch; ++i)
        sink = sink + op();
      calls += batch;
      dt = clock_type::now() - t0;
    } while (dt.count() < min_time);
    best = std::max(best, static_cast<double>(calls) / dt.count());
  }
  return best;
}

struct options {
  double min_time = 0.5;
  int reps = 3;
  std::vector<std::string> payloads{"rpc", "acl", "dict100k"};
  std::vector<std::string> codecs{"json", "msgpack", "msgpack-blosc"};
  std::vector<std::string> ops{"encode", "decode"};
  std::string dump_dir;
  bool tsv = false;
};

void usage(std::ostream& out) {
  out
    << "usage: codec_bench [options]\n"
       "Encode/decode throughput of the libmas wire codecs.\n\n"
       "  --min-time S     seconds per repetition (default 0.5)\n"
       "  --reps N         repetitions, the best is reported (default 3)\n"
       "  --payload LIST   comma-separated: rpc,acl,dict100k (default all)\n"
       "  --codec LIST     comma-separated: json,msgpack,msgpack-blosc\n"
       "  --op LIST        comma-separated: encode,decode (default), copy:\n"
       "                   copy and destroy the decoded value, the floor\n"
       "                   of any decoder into the value model (no anchor)\n"
       "  --tsv            machine-readable output: payload codec op bytes\n"
       "                   msgs_per_s mb_per_s (tab-separated, no header)\n"
       "  --dump DIR       write each encoding to DIR/<payload>.<codec>\n"
       "  --help           this text\n"
       "  --version        print \"codec_bench (libmas) VERSION\"\n\n"
       "Payloads: rpc = aiomas [0, 42, [\"agents/0/add\", [3, 4],\n"
       "{\"scale\": 1.5}]]; acl = mango ACLMessage (performative inform, ids\n"
       "of mango 2.4 on Python 3.11; JSON encode includes to_value(), decode\n"
       "includes from_value<acl_message>(); MsgPack codecs carry the same\n"
       "envelope value, as mango has no MsgPack codec); dict100k = 720\n"
       "records of {id, name, pos, tags, meta}. MB/s counts wire bytes\n"
       "(10^6 bytes). The encoder appends to a reused buffer.\n";
}

std::vector<std::string> split(const std::string& str) {
  std::vector<std::string> result;
  std::size_t pos = 0;
  for (;;) {
    auto next = str.find(',', pos);
    result.push_back(str.substr(pos, next - pos));
    if (next == std::string::npos)
      return result;
    pos = next + 1;
  }
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "codec_bench: " << arg << " needs an argument\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return 0;
    } else if (arg == "--version") {
      std::cout << "codec_bench (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if (arg == "--min-time") {
      opts.min_time = std::atof(next().c_str());
    } else if (arg == "--reps") {
      opts.reps = std::max(1, std::atoi(next().c_str()));
    } else if (arg == "--payload") {
      opts.payloads = split(next());
    } else if (arg == "--codec") {
      opts.codecs = split(next());
    } else if (arg == "--op") {
      opts.ops = split(next());
    } else if (arg == "--dump") {
      opts.dump_dir = next();
    } else if (arg == "--tsv") {
      opts.tsv = true;
    } else {
      std::cerr << "codec_bench: unknown argument " << arg << "\n";
      usage(std::cerr);
      return 2;
    }
  }
  for (auto& p : opts.payloads)
    if (p != "rpc" && p != "acl" && p != "dict100k") {
      std::cerr << "codec_bench: unknown payload " << p << "\n";
      return 2;
    }
  for (auto& c : opts.codecs)
    if (!parse_codec_kind(c)) {
      std::cerr << "codec_bench: unknown codec " << c << "\n";
      return 2;
    }

  const auto mango_ids = mango_type_ids_for(mango_wire_version::v2_1_4, 11);
  const auto rpc = make_rpc();
  const auto acl = make_acl();
  const auto big = make_big();

  if (!opts.tsv)
    std::printf("%-9s %-14s %-7s %9s %14s %10s\n", "payload", "codec", "op",
                "bytes", "msg/s", "MB/s");
  for (auto& pname : opts.payloads) {
    for (auto& cname : opts.codecs) {
      auto kind = *parse_codec_kind(cname);
      auto cdc = make_codec(kind);
      bool is_acl = pname == "acl";
      if (is_acl)
        register_mango_types(cdc->types(), mango_ids);
      // The value a MsgPack codec carries for the ACL payload: the envelope
      // tree (what json.loads gives for mango's JSON, as a plain dict).
      const value& x = pname == "rpc" ? rpc
                       : is_acl       ? to_value(acl, cdc->types())
                                      : big;
      // JSON ACL: the typed conversion is part of the work, as in mango.
      bool typed = is_acl && kind == codec_kind::json;
      byte_buffer wire;
      if (typed)
        cdc->encode(to_value(acl, cdc->types()), wire);
      else
        cdc->encode(x, wire);
      if (!opts.dump_dir.empty()) {
        std::ofstream f{opts.dump_dir + "/" + pname + "." + cname,
                        std::ios::binary};
        f.write(reinterpret_cast<const char*>(wire.data()),
                static_cast<std::streamsize>(wire.size()));
      }
      for (auto& op : opts.ops) {
        std::function<std::size_t()> fn;
        byte_buffer out;
        out.reserve(wire.size() * 2);
        if (op == "encode" && typed) {
          fn = [&] {
            out.clear();
            cdc->encode(to_value(acl, cdc->types()), out);
            return out.size();
          };
        } else if (op == "encode") {
          fn = [&] {
            out.clear();
            cdc->encode(x, out);
            return out.size();
          };
        } else if (op == "decode" && typed) {
          fn = [&] {
            auto msg = from_value<acl_message>(cdc->decode(wire), cdc->types());
            return msg.performative ? std::size_t{1} : std::size_t{0};
          };
        } else if (op == "decode") {
          fn = [&] { return cdc->decode(wire).is_none() ? 0u : 1u; };
        } else if (op == "copy") {
          // The same allocations and constructions as a decode, no parsing.
          auto decoded = cdc->decode(wire);
          fn = [&, decoded] {
            auto copy = decoded;
            return copy.is_none() ? 0u : 1u;
          };
        } else {
          std::cerr << "codec_bench: unknown op " << op << "\n";
          return 2;
        }
        auto rate = measure(fn, opts.min_time, opts.reps);
        auto mbs = rate * static_cast<double>(wire.size()) / 1e6;
        if (opts.tsv)
          std::printf("%s\t%s\t%s\t%zu\t%.1f\t%.2f\n", pname.c_str(),
                      cname.c_str(), op.c_str(), wire.size(), rate, mbs);
        else
          std::printf("%-9s %-14s %-7s %9zu %14.0f %10.1f\n", pname.c_str(),
                      cname.c_str(), op.c_str(), wire.size(), rate, mbs);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
