// masctl: read and write aiomas/mango frame streams from a shell.
//
//   masctl decode --codec json|msgpack|msgpack-blosc [FILE]
//   masctl encode --codec json|msgpack|msgpack-blosc [FILE]
//   masctl call ADDR PATH [ARG ...] [--kwargs JSON] [--codec ...] [--tls ...]

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mas/wire/codec.hpp"
#include "mas/wire/frame.hpp"
#include "mas/wire/readable.hpp"
#include "masctl.hpp"

namespace mas::masctl {

namespace {

using namespace mas::wire;

constexpr const char* usage = R"(usage: masctl decode [OPTIONS] [FILE]
       masctl encode [OPTIONS] [FILE]
       masctl call ADDR PATH [ARG ...] [OPTIONS]

Read and write streams of aiomas/mango frames (4-byte big-endian length +
codec payload), and call aiomas RPC services (e.g. mosaik simulators).

commands:
  decode    read frames from FILE (default: stdin), print one line of
            readable-form JSON per frame
  encode    read readable-form JSON lines from FILE (default: stdin), write
            frames to stdout
  call      call the RPC function PATH (e.g. addition/add) at ADDR
            (HOST:PORT, [IPV6]:PORT or unix:PATH) with positional ARGs
            (each a readable-form JSON value); print the result as one line
            of readable-form JSON, or the remote error text on stderr
  help      show this text

options:
  --codec NAME          json (default), msgpack or msgpack-blosc
  --max-frame-size N    reject frames above N bytes (default: 67108864)
  --kwargs JSON         call: keyword arguments, a JSON object
  --tls CA CERT KEY     call: connect with TLS and client certificates
                        (aiomas's make_ssl_client_context)
  --timeout S           call: give up after S seconds (default: 10)
  -h, --help            show this text

readable form (one JSON value per line):
  JSON values stand for themselves (NaN/Infinity as Python writes them);
  bytes are {"$bytes": "<base64>"}; a dict with a non-string key is
  {"$map": [[key, value], ...]}; tuples print as lists; extension values stay
  {"__type__": [id, repr]}.

exit status: 0 on success; 1 if any frame or line was malformed (the error
names its index and reason) or the call failed remotely; 2 on a usage error;
3 if the call could not connect, lost its connection or timed out.
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "masctl: " << what << "\n(see masctl --help)\n";
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options opts;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        usage_error("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help" || arg == "help") {
      std::cout << usage;
      std::exit(0);
    } else if (arg == "--codec" || arg.rfind("--codec=", 0) == 0) {
      auto name = arg == "--codec" ? next() : arg.substr(8);
      auto kind = parse_codec_kind(name);
      if (!kind)
        usage_error("unknown codec '" + name + "'");
      opts.codec = *kind;
    } else if (arg == "--max-frame-size") {
      auto str = next();
      try {
        opts.max_frame_size = std::stoull(str);
      } catch (...) {
        usage_error("invalid --max-frame-size '" + str + "'");
      }
    } else if (arg == "--kwargs") {
      opts.kwargs = next();
    } else if (arg == "--tls") {
      auto ca = next();
      auto cert = next();
      auto key = next();
      opts.tls = {ca, cert, key};
    } else if (arg == "--timeout") {
      auto str = next();
      try {
        opts.timeout = std::stod(str);
      } catch (...) {
        usage_error("invalid --timeout '" + str + "'");
      }
      if (!(opts.timeout > 0))
        usage_error("--timeout must be positive");
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-"
               && !(arg[1] >= '0' && arg[1] <= '9')) {
      usage_error("unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.empty())
    usage_error("missing command");
  opts.command = positional.front();
  positional.erase(positional.begin());
  if (opts.command == "call") {
    if (positional.size() < 2)
      usage_error("call needs ADDR and PATH");
    opts.args = std::move(positional);
  } else {
    if (positional.size() > 1)
      usage_error("unexpected argument " + positional[1]);
    if (!positional.empty())
      opts.file = positional.front();
  }
  return opts;
}

std::istream& open_input(const options& opts, std::ifstream& file) {
  if (!opts.file || *opts.file == "-")
    return std::cin;
  file.open(*opts.file, std::ios::binary);
  if (!file) {
    std::cerr << "masctl: cannot open " << *opts.file << "\n";
    std::exit(1);
  }
  return file;
}

std::unique_ptr<codec> make_display_codec(codec_kind kind) {
  codec_options copts;
  copts.check_type_ids = false; // show any id; nothing is deserialized here
  return make_codec(kind, copts);
}

int run_decode(const options& opts) {
  std::ifstream file;
  auto& in = open_input(opts, file);
  auto cdc = make_display_codec(opts.codec);
  frame_decoder frames{opts.max_frame_size};
  int status = 0;
  std::vector<char> buf(64 * 1024);
  std::string line;
  try {
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      auto n = static_cast<std::size_t>(in.gcount());
      if (n == 0)
        break;
      frames.feed(reinterpret_cast<const std::uint8_t*>(buf.data()), n,
                  [&](const std::uint8_t* data, std::size_t size) {
                    auto index = frames.frames() - 1;
                    try {
                      line = to_readable_json(cdc->decode(data, size));
                      line += '\n';
                      std::fwrite(line.data(), 1, line.size(), stdout);
                    } catch (const wire_error& e) {
                      std::fflush(stdout);
                      std::cerr << "masctl: frame " << index << ": " << e.what()
                                << " [" << to_string(e.code()) << "]\n";
                      status = 1;
                    }
                  });
    }
    frames.finish();
  } catch (const wire_error& e) {
    // Framing errors end the stream: it cannot be resynchronized.
    std::fflush(stdout);
    std::cerr << "masctl: frame " << frames.frames() << ": " << e.what() << " ["
              << to_string(e.code()) << "]\n";
    return 1;
  }
  std::fflush(stdout);
  return status;
}

int run_encode(const options& opts) {
  std::ifstream file;
  auto& in = open_input(opts, file);
  auto cdc = make_display_codec(opts.codec);
  std::string line;
  byte_buffer out;
  int status = 0;
  for (std::size_t index = 0; std::getline(in, line); ++index) {
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    try {
      out.clear();
      auto payload = cdc->encode(from_readable_json(line));
      if (payload.size() > opts.max_frame_size)
        throw wire_error(errc::frame_too_large,
                         "payload of " + std::to_string(payload.size())
                           + " bytes exceeds the maximum frame size");
      write_frame(out, payload.data(), payload.size());
      std::fwrite(out.data(), 1, out.size(), stdout);
    } catch (const wire_error& e) {
      std::fflush(stdout);
      std::cerr << "masctl: line " << index << ": " << e.what() << " ["
                << to_string(e.code()) << "]\n";
      status = 1;
    }
  }
  std::fflush(stdout);
  return status;
}

} // namespace

} // namespace mas::masctl

int main(int argc, char** argv) {
  using namespace mas::masctl;
  auto opts = parse_args(argc, argv);
  if (opts.command == "decode")
    return run_decode(opts);
  if (opts.command == "encode")
    return run_encode(opts);
  if (opts.command == "call")
    return run_call(opts);
  usage_error("unknown command '" + opts.command + "'");
}
