#include "mas/errc.hpp"

#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace mas {

const char* to_string(errc x) noexcept {
  switch (x) {
    case errc::remote_exception:
      return "remote_exception";
    case errc::connection_reset:
      return "connection_reset";
    case errc::protocol_error:
      return "protocol_error";
    case errc::connect_failed:
      return "connect_failed";
    case errc::tls_failure:
      return "tls_failure";
    case errc::overloaded:
      return "overloaded";
    case errc::not_serializable:
      return "not_serializable";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::timeout:
      return "timeout";
    case errc::type_mismatch:
      return "type_mismatch";
    case errc::no_such_agent:
      return "no_such_agent";
  }
  return "unknown";
}

caf::error make_error(errc code, std::string reason) {
  return caf::make_error(code, std::move(reason));
}

caf::error make_remote_exception(std::string origin, std::string text) {
  return caf::make_error(errc::remote_exception, std::move(origin),
                         std::move(text));
}

bool is(const caf::error& err, errc code) noexcept {
  return err.category() == caf::atom("mas")
         && err.code() == static_cast<std::uint8_t>(code);
}

std::string error_text(const caf::error& err) {
  if (err.category() == caf::atom("mas")) {
    auto& ctx = err.context();
    if (is(err, errc::remote_exception)
        && ctx.match_elements<std::string, std::string>()) {
      auto text = ctx.get_as<std::string>(1);
      if (!text.empty() && text.back() == '\n')
        text.pop_back();
      return text;
    }
    if (ctx.match_elements<std::string>())
      return ctx.get_as<std::string>(0);
  }
  return render(err);
}

std::string render(const caf::error& err) {
  if (!err)
    return "none";
  if (err.category() == caf::atom("mas"))
    return render_error(err.code(), err.category(), err.context());
  if (err.category() == caf::atom("system")) {
    std::string result = "caf.";
    result += caf::to_string(static_cast<caf::sec>(err.code()));
    if (!err.context().empty())
      result += ": " + caf::to_string(err.context());
    return result;
  }
  if (err.category() == caf::atom("exit")) {
    std::string result = "caf.";
    result += caf::to_string(static_cast<caf::exit_reason>(err.code()));
    return result;
  }
  return caf::to_string(err);
}

std::string remote_origin(const caf::error& err) {
  if (is(err, errc::remote_exception)
      && err.context().match_elements<std::string, std::string>())
    return err.context().get_as<std::string>(0);
  return {};
}

std::string render_error(std::uint8_t code, caf::atom_value,
                         const caf::message& context) {
  std::string result = "mas.";
  result += to_string(static_cast<errc>(code));
  if (static_cast<errc>(code) == errc::remote_exception
      && context.match_elements<std::string, std::string>()) {
    // Like aiomas's RemoteException.__str__.
    result += ": Origin: " + context.get_as<std::string>(0) + "\n"
              + context.get_as<std::string>(1);
  } else if (context.match_elements<std::string>()) {
    result += ": " + context.get_as<std::string>(0);
  }
  return result;
}

} // namespace mas
