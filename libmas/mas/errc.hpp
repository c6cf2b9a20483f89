#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace mas {

/// Errors of libmas's runtime; category `"mas"`.
enum class errc : std::uint8_t {
  /// The peer answered a request with a failure (aiomas `RemoteException`).
  /// Context: (origin, remote text).
  remote_exception = 1,
  /// The connection closed, hit EOF or broke; every pending request fails
  /// with it (aiomas: `ConnectionResetError`). Context: (reason).
  connection_reset,
  /// The peer sent something the protocol does not allow (bad frame, bad
  /// message type, unknown reply id). The channel closes. Context: (reason).
  protocol_error,
  /// Connecting failed (after retries). Context: (reason).
  connect_failed,
  /// The TLS handshake or a TLS record failed. Context: (reason).
  tls_failure,
  /// A bound was hit: write buffer or requests in flight. Context: (reason).
  overloaded,
  /// A value could not be encoded for the wire. Context: (reason).
  not_serializable,
  /// Bad arguments to a libmas function. Context: (reason).
  invalid_argument,
  /// Work did not finish in time: a stalled connection (partial frame, a
  /// peer that stops reading). Context: (reason).
  timeout,
  /// A result could not be converted to the C++ type the caller asked for
  /// (`proxy::call<R>`). Context: (reason).
  type_mismatch,
  /// An agent address names no agent of the container it points to (aiomas:
  /// `ConnectionError: Agent "7" does not exist in Container(...)`).
  /// Context: (reason).
  no_such_agent,
};

/// Returns e.g. `"remote_exception"`.
const char* to_string(errc x) noexcept;

/// Renders any error with its names (like `actor_system::render`, without
/// needing the system), e.g. `mas.connection_reset: Connection
/// closed` or `caf.request_timeout` (CAF 0.17's `caf::to_string` prints
/// only numbers for custom categories: `error(2, 'mas', ...)`).
std::string render(const caf::error& err);

/// Creates an error of category "mas" with a text context.
caf::error make_error(errc code, std::string reason);

/// Creates a `remote_exception` error.
caf::error make_remote_exception(std::string origin, std::string text);

/// Returns whether `err` is a libmas error with code `code`.
bool is(const caf::error& err, errc code) noexcept;

/// The peer's error text of a `remote_exception` (a Python traceback when
/// the peer is Python; without its final newline), the reason of other
/// libmas errors, or `render(err)` for other categories.
std::string error_text(const caf::error& err);

/// The origin (peer address) of a `remote_exception`, else empty.
std::string remote_origin(const caf::error& err);

/// Renders errors of category "mas" for `actor_system::render`.
std::string render_error(std::uint8_t code, caf::atom_value,
                         const caf::message& context);

} // namespace mas

CAF_ERROR_CODE_ENUM(mas::errc, "mas")
