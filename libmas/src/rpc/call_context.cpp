#include "mas/rpc/call_context.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "mas/atoms.hpp"
#include "mas/errc.hpp"
#include "mas/rpc/service.hpp"

namespace mas::rpc {

void responder::deliver(wire::value result) const {
  caf::anon_send(conn_, reply_atom_v, id_, std::move(result));
}

void responder::fail(const std::string& type,
                     const std::string& message) const {
  caf::anon_send(conn_, reply_atom_v, id_, type, message);
}

void responder::fail(const caf::error& err) const {
  if (is(err, errc::remote_exception)) {
    fail("aiomas.exceptions.RemoteException",
         "Origin: " + remote_origin(err) + "\n" + error_text(err));
  } else if (is(err, errc::connection_reset)) {
    fail("ConnectionResetError", error_text(err));
  } else if (is(err, errc::no_such_agent) || is(err, errc::connect_failed)) {
    fail("ConnectionError", error_text(err));
  } else if (is(err, errc::invalid_argument)) {
    fail("ValueError", error_text(err));
  } else {
    fail("Exception", error_text(err));
  }
}

responder call_context::defer() {
  state_ = state::deferred;
  return responder{caf::actor_cast<caf::actor>(conn_), id_, types_};
}

proxy call_context::make_proxy(const wire::value& reference) const {
  auto e = reference.get_if<wire::ext>();
  if (e == nullptr || e->type_id() != proxy_type_id_ || !e->repr().is_string())
    throw exception("TypeError", "expected a service reference, got "
                                   + wire::to_string(reference));
  return proxy{conn_, e->repr().as_string(), proxy_type_id_, types_};
}

std::string call_context::describe(const caf::error& err) {
  return error_text(err);
}

proxy proxy::bind(const wire::value& reference) const {
  auto e = reference.get_if<wire::ext>();
  if (e == nullptr || e->type_id() != proxy_type_id_ || !e->repr().is_string())
    throw wire::wire_error(wire::errc::type_mismatch,
                           "expected a service reference, got "
                             + wire::to_string(reference));
  auto result = *this;
  result.path_ = e->repr().as_string();
  return result;
}

wire::value proxy::service_reference(const service& svc) const {
  return wire::ext{proxy_type_id_, svc.path()};
}

} // namespace mas::rpc
