#include "mas/rpc/dispatcher.hpp"

#include <stdexcept>

#include <caf/actor_cast.hpp>

#include "mas/atoms.hpp"
#include "mas/channel/layer.hpp"
#include "mas/interfaces.hpp"
#include "mas/rpc/call_context.hpp"
#include "mas/rpc/service.hpp"
#include "mas/transport/broker.hpp"
#include "mas/wire/aiomas_message.hpp"

namespace mas::rpc {

namespace {

class dispatcher : public channel::request_handler {
public:
  dispatcher(std::shared_ptr<service> root, std::int64_t proxy_type_id)
    : root_(std::move(root)), proxy_type_id_(proxy_type_id) {
    if (!root_)
      root_ = service::make(); // aiomas: an RpcClient without router
  }

  channel::answer serve(const channel::incoming& req,
                        wire::value content) override {
    using channel::answer;
    wire::rpc_request call;
    try {
      call = wire::parse_rpc_request(std::move(content));
    } catch (const wire::wire_error& e) {
      // aiomas's task dies here and never answers; a failure is kinder.
      return answer::failure("TypeError", e.what());
    }
    auto found = root_->resolve(call.path);
    if (found.handler == nullptr) {
      // `found.error` is aiomas's whole text, "LookupError: ...".
      auto colon = found.error.find(": ");
      if (colon == std::string::npos)
        return answer::failure(found.error, "");
      return answer::failure(found.error.substr(0, colon),
                             found.error.substr(colon + 2));
    }
    call_context ctx{req.self,       caf::actor_cast<connection>(req.self),
                     req.id,         req.types,
                     proxy_type_id_, req.self->peer()};
    try {
      (*found.handler)(ctx, call.args, call.kwargs);
    } catch (const std::exception& e) {
      // Also after defer(): a later answer for this id is then ignored.
      ctx.fail(exception_type_of(e), e.what());
    }
    switch (ctx.current_state()) {
      case call_context::state::replied:
        return answer::result(std::move(ctx.result()));
      case call_context::state::failed:
        return answer::failure(ctx.error_type(), ctx.error_message());
      case call_context::state::deferred:
        return answer::deferred();
      case call_context::state::open:
        break;
    }
    return answer::failure("RuntimeError", "the handler of \"" + call.path
                                             + "\" did not answer");
  }

  caf::message_handler make_handler(channel::layer& ch) override {
    return {
      [&ch](call_atom, std::string& path, wire::array& args,
            wire::dict& kwargs) -> caf::result<wire::value> {
        return ch.send_request(to_value(wire::rpc_request{
          std::move(path), std::move(args), std::move(kwargs)}));
      },
    };
  }

private:
  std::shared_ptr<service> root_;
  std::int64_t proxy_type_id_;
};

} // namespace

std::string exception_type_of(const std::exception& e) {
  if (auto rpc_exc = dynamic_cast<const rpc::exception*>(&e))
    return rpc_exc->type();
  if (dynamic_cast<const wire::wire_error*>(&e))
    return "TypeError";
  if (dynamic_cast<const std::invalid_argument*>(&e)
      || dynamic_cast<const std::domain_error*>(&e))
    return "ValueError";
  if (dynamic_cast<const std::out_of_range*>(&e))
    return "IndexError";
  return "RuntimeError";
}

std::shared_ptr<channel::request_handler>
make_dispatcher(std::shared_ptr<service> root, std::int64_t proxy_type_id) {
  return std::make_shared<dispatcher>(std::move(root), proxy_type_id);
}

} // namespace mas::rpc
