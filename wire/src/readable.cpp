#include "mas/wire/readable.hpp"

#include "mas/wire/json_codec.hpp"

namespace mas::wire {

// -- base64 -------------------------------------------------------------------

namespace {

constexpr char b64_alphabet[]
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_index(char c) noexcept {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

} // namespace

std::string base64_encode(const byte_buffer& xs) {
  std::string out;
  out.reserve((xs.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= xs.size(); i += 3) {
    auto n = (unsigned{xs[i]} << 16) | (unsigned{xs[i + 1]} << 8) | xs[i + 2];
    out += b64_alphabet[(n >> 18) & 63];
    out += b64_alphabet[(n >> 12) & 63];
    out += b64_alphabet[(n >> 6) & 63];
    out += b64_alphabet[n & 63];
  }
  if (auto rest = xs.size() - i; rest > 0) {
    auto n = unsigned{xs[i]} << 16;
    if (rest == 2)
      n |= unsigned{xs[i + 1]} << 8;
    out += b64_alphabet[(n >> 18) & 63];
    out += b64_alphabet[(n >> 12) & 63];
    out += rest == 2 ? b64_alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

byte_buffer base64_decode(std::string_view str) {
  auto fail = [] {
    throw wire_error(errc::invalid_message, "\"$bytes\" is not valid base64");
  };
  if (str.size() % 4 != 0)
    fail();
  byte_buffer out;
  out.reserve(str.size() / 4 * 3);
  for (std::size_t i = 0; i < str.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      auto c = str[i + j];
      if (c == '=' && i + 4 == str.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0 || (v[j] = b64_index(c)) < 0)
        fail();
    }
    auto n = (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12)
             | (unsigned(v[2]) << 6) | unsigned(v[3]);
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    if (pad < 2)
      out.push_back(static_cast<std::uint8_t>(n >> 8));
    if (pad < 1)
      out.push_back(static_cast<std::uint8_t>(n));
  }
  return out;
}

// -- readable form ------------------------------------------------------------

namespace {

bool needs_map_form(const dict& xs) {
  if (!xs.has_only_string_keys())
    return true;
  if (xs.size() != 1)
    return false;
  auto& key = xs.begin()->first.as_string();
  return key == "$bytes" || key == "$map" || key == "__type__";
}

} // namespace

value to_readable(const value& x) {
  using k = value::kind;
  switch (x.type()) {
    case k::bytes: {
      dict result;
      result.append("$bytes", base64_encode(x.get_if<bytes>()->data));
      return result;
    }
    case k::array: {
      array result;
      result.reserve(x.get_if<array>()->size());
      for (auto& y : *x.get_if<array>())
        result.push_back(to_readable(y));
      return result;
    }
    case k::dict: {
      auto& xs = *x.get_if<dict>();
      if (needs_map_form(xs)) {
        array pairs;
        pairs.reserve(xs.size());
        for (auto& [key, val] : xs)
          pairs.push_back(value::list({to_readable(key), to_readable(val)}));
        dict result;
        result.append("$map", std::move(pairs));
        return result;
      }
      dict result;
      result.reserve(xs.size());
      for (auto& [key, val] : xs)
        result.append(key, to_readable(val));
      return result;
    }
    case k::ext: {
      auto& e = *x.get_if<ext>();
      return ext{e.type_id(), to_readable(e.repr())};
    }
    default:
      return x;
  }
}

value from_readable(const value& x) {
  using k = value::kind;
  switch (x.type()) {
    case k::array: {
      array result;
      result.reserve(x.get_if<array>()->size());
      for (auto& y : *x.get_if<array>())
        result.push_back(from_readable(y));
      return result;
    }
    case k::dict: {
      auto& xs = *x.get_if<dict>();
      if (xs.size() == 1 && xs.begin()->first.is_string()) {
        auto& key = xs.begin()->first.as_string();
        auto& val = xs.begin()->second;
        if (key == "$bytes") {
          if (!val.is_string())
            throw wire_error(errc::invalid_message,
                             "\"$bytes\" must hold a base64 string");
          return bytes{base64_decode(val.as_string())};
        }
        if (key == "$map") {
          if (!val.is_array())
            throw wire_error(errc::invalid_message,
                             "\"$map\" must hold a list of [key, value] pairs");
          dict result;
          for (auto& pair : val.as_array()) {
            if (!pair.is_array() || pair.as_array().size() != 2)
              throw wire_error(errc::invalid_message,
                               "\"$map\" entries must be [key, value] pairs");
            result.append(from_readable(pair.as_array()[0]),
                          from_readable(pair.as_array()[1]));
          }
          result.dedup();
          return result;
        }
      }
      dict result;
      result.reserve(xs.size());
      for (auto& [key, val] : xs)
        result.append(key, from_readable(val));
      return result;
    }
    case k::ext: {
      auto& e = *x.get_if<ext>();
      return ext{e.type_id(), from_readable(e.repr())};
    }
    default:
      return x;
  }
}

namespace {

const json_codec& readable_codec() {
  static const json_codec instance{[] {
    codec_options opts;
    opts.check_type_ids = false;
    return opts;
  }()};
  return instance;
}

} // namespace

std::string to_readable_json(const value& x) {
  std::string out;
  readable_codec().encode_text(to_readable(x), out);
  return out;
}

value from_readable_json(std::string_view text) {
  return from_readable(readable_codec().decode_text(text));
}

} // namespace mas::wire
