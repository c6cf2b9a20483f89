// masctl: read and write aiomas/mango frame streams from a shell.
//
//   masctl decode --codec json|msgpack|msgpack-blosc [FILE]
//   masctl encode --codec json|msgpack|msgpack-blosc [FILE]
//   masctl call ADDR PATH [ARG ...] [--kwargs JSON] [--codec ...] [--tls ...]

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "mas/version.hpp"
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
  --max-frame-size N    reject frames above N bytes (0 to 4294967295,
                        default: 67108864); also the largest payload a
                        msgpack-blosc frame may decompress to
  --kwargs JSON         call: keyword arguments, a JSON object
  --tls CA CERT KEY     call: connect with TLS and client certificates
                        (aiomas's make_ssl_client_context)
  --timeout S           call: give up after S seconds (default: 10)
  -h, --help            show this text
  --version             print "masctl (libmas) VERSION"

readable form (one JSON value per line):
  JSON values stand for themselves (NaN/Infinity as Python writes them);
  bytes are {"$bytes": "<base64>"}; a dict with a non-string key is
  {"$map": [[key, value], ...]}; tuples print as lists; extension values stay
  {"__type__": [id, repr]}.

errors: one line each on stderr, "masctl: frame N: REASON [CODE]" (frames
count from 0) or "masctl: line N: REASON [CODE]" (lines count from 1).

exit status: 0 on success; 1 if any frame or line was malformed, the input
could not be read, or the call failed remotely; 2 on a usage error (also a
call ARG or --kwargs that is not readable-form JSON); 3 if the call could not
connect, lost its connection or timed out.
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "masctl: " << what << " (see masctl --help)\n";
  std::exit(2);
}

/// Parses a decimal number of bytes in [0, 2^32 - 1] (frame sizes are 32
/// bits on the wire); rejects signs, blanks and trailing characters.
std::optional<std::size_t> parse_size(const std::string& str) {
  std::uint32_t result = 0;
  auto first = str.data();
  auto last = first + str.size();
  if (str.empty() || str[0] < '0' || str[0] > '9')
    return std::nullopt;
  auto [ptr, ec] = std::from_chars(first, last, result);
  if (ec != std::errc{} || ptr != last)
    return std::nullopt;
  return result;
}

/// Parses a positive, finite number of seconds (at most 10^9).
std::optional<double> parse_seconds(const std::string& str) {
  if (str.empty() || str[0] == ' ')
    return std::nullopt;
  char* end = nullptr;
  errno = 0;
  auto result = std::strtod(str.c_str(), &end);
  if (errno != 0 || end != str.c_str() + str.size() || !std::isfinite(result)
      || !(result > 0) || result > 1e9)
    return std::nullopt;
  return result;
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
    } else if (arg == "--version") {
      std::cout << "masctl (libmas) " MAS_VERSION_STRING "\n";
      std::exit(0);
    } else if (arg == "--codec" || arg.rfind("--codec=", 0) == 0) {
      auto name = arg == "--codec" ? next() : arg.substr(8);
      auto kind = parse_codec_kind(name);
      if (!kind)
        usage_error("unknown codec '" + name + "'");
      opts.codec = *kind;
    } else if (arg == "--max-frame-size") {
      auto str = next();
      auto size = parse_size(str);
      if (!size)
        usage_error("invalid --max-frame-size '" + str
                    + "': expected a number of bytes from 0 to 4294967295");
      opts.max_frame_size = *size;
    } else if (arg == "--kwargs") {
      opts.kwargs = next();
    } else if (arg == "--tls") {
      auto ca = next();
      auto cert = next();
      auto key = next();
      opts.tls = {ca, cert, key};
    } else if (arg == "--timeout") {
      auto str = next();
      auto seconds = parse_seconds(str);
      if (!seconds)
        usage_error("invalid --timeout '" + str
                    + "': expected a number of seconds above 0 and at most "
                      "1e9");
      opts.timeout = *seconds;
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

/// The input's name in messages.
std::string input_name(const options& opts) {
  return !opts.file || *opts.file == "-" ? std::string{"stdin"} : *opts.file;
}

std::istream& open_input(const options& opts, std::ifstream& file) {
  if (!opts.file || *opts.file == "-")
    return std::cin;
  // An ifstream opens a directory and then reads nothing: check first.
  struct stat st;
  if (::stat(opts.file->c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::cerr << "masctl: cannot read " << *opts.file << ": is a directory\n";
    std::exit(1);
  }
  errno = 0;
  file.open(*opts.file, std::ios::binary);
  if (!file) {
    auto err = errno;
    std::cerr << "masctl: cannot open " << *opts.file;
    if (err != 0)
      std::cerr << ": " << std::strerror(err);
    std::cerr << "\n";
    std::exit(1);
  }
  return file;
}

/// Reports a failed read (`badbit`, e.g. EIO) as an error; returns 1 then.
int check_read(const options& opts, const std::istream& in) {
  if (!in.bad())
    return 0;
  std::fflush(stdout);
  std::cerr << "masctl: error reading " << input_name(opts) << "\n";
  return 1;
}

std::unique_ptr<codec> make_display_codec(codec_kind kind,
                                          const options& opts) {
  codec_options copts;
  copts.check_type_ids = false; // show any id; nothing is deserialized here
  // A compressed frame may not carry more than an uncompressed one.
  copts.max_decompressed_size = opts.max_frame_size;
  return make_codec(kind, copts);
}

/// After a payload failed to decode with `failed`, returns a hint naming
/// another codec that decodes it, or an empty string. The usual cause of
/// several invalid_utf8 errors in a row is a MsgPack capture read as JSON.
std::string codec_hint(const options& opts, codec_kind failed,
                       const std::uint8_t* data, std::size_t size) {
  for (auto other :
       {codec_kind::msgpack, codec_kind::msgpack_blosc, codec_kind::json}) {
    if (other == failed)
      continue;
    try {
      // Every aiomas and mango message is a list or a dict: a lone number
      // (e.g. a one-byte payload read as a MsgPack fixint) proves nothing.
      auto x = make_display_codec(other, opts)->decode(data, size);
      if (!x.is_array() && !x.is_dict() && !x.is_ext())
        continue;
    } catch (...) {
      continue; // any failure (incl. out of memory) means: not this codec
    }
    auto name = to_string(other);
    return std::string{" (is this a "} + name + " capture? try --codec " + name
           + ")";
  }
  return {};
}

int run_decode(const options& opts) {
  std::ifstream file;
  auto& in = open_input(opts, file);
  auto cdc = make_display_codec(opts.codec, opts);
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
      frames.feed(
        reinterpret_cast<const std::uint8_t*>(buf.data()), n,
        [&](const std::uint8_t* data, std::size_t size) {
          auto index = frames.frames() - 1;
          try {
            line = to_readable_json(cdc->decode(data, size));
            line += '\n';
            std::fwrite(line.data(), 1, line.size(), stdout);
          } catch (const wire_error& e) {
            std::fflush(stdout);
            std::string hint;
            auto code = e.code();
            if (code == errc::invalid_json || code == errc::invalid_utf8
                || code == errc::invalid_msgpack || code == errc::invalid_blosc)
              hint = codec_hint(opts, opts.codec, data, size);
            std::cerr << "masctl: frame " << index << ": " << e.what() << hint
                      << " [" << to_string(e.code()) << "]\n";
            status = 1;
          } catch (const std::bad_alloc&) {
            line = std::string{};
            std::fflush(stdout);
            std::cerr << "masctl: frame " << index
                      << ": out of memory decoding its " << size
                      << " bytes [out_of_memory]\n";
            status = 1;
          }
        });
    }
    frames.finish();
    if (check_read(opts, in) != 0)
      return 1;
  } catch (const wire_error& e) {
    // Framing errors end the stream: it cannot be resynchronized.
    std::fflush(stdout);
    std::cerr << "masctl: frame " << frames.frames() << ": " << e.what() << " ["
              << to_string(e.code()) << "]\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    std::cerr << "masctl: frame " << frames.frames()
              << ": out of memory buffering it [out_of_memory]\n";
    return 1;
  }
  std::fflush(stdout);
  return status;
}

int run_encode(const options& opts) {
  std::ifstream file;
  auto& in = open_input(opts, file);
  auto cdc = make_display_codec(opts.codec, opts);
  std::string line;
  byte_buffer out;
  int status = 0;
  // Lines count from 1, as editors and `sed -n Np` count them.
  for (std::size_t index = 1; std::getline(in, line); ++index) {
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
    } catch (const std::bad_alloc&) {
      std::fflush(stdout);
      std::cerr << "masctl: line " << index << ": out of memory encoding its "
                << line.size() << " bytes [out_of_memory]\n";
      status = 1;
    }
  }
  std::fflush(stdout);
  if (check_read(opts, in) != 0)
    return 1;
  return status;
}

} // namespace

} // namespace mas::masctl

int main(int argc, char** argv) {
  using namespace mas::masctl;
  auto opts = parse_args(argc, argv);
  // Never an abort: whatever escapes a command becomes one line and exit 1.
  try {
    if (opts.command == "decode")
      return run_decode(opts);
    if (opts.command == "encode")
      return run_encode(opts);
    if (opts.command == "call")
      return run_call(opts);
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    std::cerr << "masctl: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::cerr << "masctl: " << e.what() << "\n";
    return 1;
  }
  usage_error("unknown command '" + opts.command + "'");
}
