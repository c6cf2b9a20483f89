#include "mas/channel/layer.hpp"

#include <caf/actor_cast.hpp>

#include "mas/atoms.hpp"
#include "mas/errc.hpp"
#include "mas/transport/broker.hpp"
#include "mas/wire/aiomas_message.hpp"

namespace mas::channel {

namespace {

/// aiomas's failure text for an exception that was never raised.
std::string failure_text(const std::string& type, const std::string& message) {
  std::string result = type;
  if (!message.empty()) {
    result += ": ";
    result += message;
  }
  result += '\n';
  return result;
}

/// Serves requests with an actor's responses.
class actor_handler : public request_handler {
public:
  explicit actor_handler(caf::actor dest) : dest_(std::move(dest)) {
    // nop
  }

  answer serve(const incoming& req, wire::value content) override {
    if (!dest_)
      return answer::failure("RuntimeError",
                             "this side of the connection serves no requests");
    auto ch = req.channel;
    auto id = req.id;
    req.self->request(dest_, caf::infinite, request_atom_v, std::move(content))
      .then([ch, id](wire::value& result) { ch->reply(id, std::move(result)); },
            [ch, id](caf::error& err) {
              ch->fail(id, "Exception", error_text(err));
            });
    return answer::deferred();
  }

private:
  caf::actor dest_;
};

} // namespace

// -- request_handler ----------------------------------------------------------

request_handler::~request_handler() {
  // nop
}

caf::message_handler request_handler::make_handler(layer&) {
  return {};
}

std::shared_ptr<request_handler> serve_by_actor(caf::actor dest) {
  return std::make_shared<actor_handler>(std::move(dest));
}

// -- layer --------------------------------------------------------------------

layer::layer(options opts, std::shared_ptr<request_handler> handler)
  : opts_(std::move(opts)), handler_(std::move(handler)) {
  if (!handler_)
    handler_ = serve_by_actor(caf::actor{});
  codec_ = make_codec(opts_);
  types_ = std::make_shared<wire::type_registry>(codec_->types());
}

layer::~layer() {
  // nop
}

std::unique_ptr<wire::codec> layer::make_codec(const options& opts) {
  auto result = wire::make_codec(opts.codec, opts.codec_options);
  for (auto& name : opts.extra_types)
    result->types().add(name);
  return result;
}

caf::message_handler layer::make_handler(transport::broker& self) {
  self_ = &self;
  caf::message_handler own{
    [this](request_atom, wire::value& content) -> caf::result<wire::value> {
      return send_request(std::move(content));
    },
    [this](reply_atom, std::uint64_t id, wire::value& result) {
      reply(id, std::move(result));
    },
    [this](reply_atom, std::uint64_t id, std::string& type,
           std::string& message) { fail(id, type, message); },
    [this](resume_atom) {
      resume_scheduled_ = false;
      serve_queued();
    },
  };
  return own.or_else(handler_->make_handler(*this));
}

// -- writing ------------------------------------------------------------------

void layer::send_message(const wire::value& msg) {
  auto& out = self_->frame_buffer();
  codec_->encode(msg, out);
  self_->send_frame();
}

void layer::send_reply(std::uint64_t id, wire::value result) {
  try {
    send_message(to_value(
      wire::aiomas_message{wire::message_type::result, id, std::move(result)}));
  } catch (const wire::wire_error& e) {
    // aiomas: a result that cannot be serialized becomes a failure reply.
    send_failure(id, "SerializationError", e.what());
  }
}

void layer::send_failure(std::uint64_t id, const std::string& type,
                         const std::string& message) {
  send_message(to_value(wire::aiomas_message{wire::message_type::exception, id,
                                             failure_text(type, message)}));
}

// -- incoming requests --------------------------------------------------------

void layer::complete(std::uint64_t id, answer ans) {
  switch (ans.what) {
    case answer::kind::result:
      send_reply(id, std::move(ans.value));
      break;
    case answer::kind::failure:
      send_failure(id, ans.type, ans.message);
      break;
    case answer::kind::deferred:
      deferred_.insert(id);
      break;
  }
}

void layer::serve(std::uint64_t id, wire::value content) {
  incoming req{self_, this, id, types_};
  complete(id, handler_->serve(req, std::move(content)));
}

void layer::reply(std::uint64_t id, wire::value result) {
  if (take_deferred(id))
    send_reply(id, std::move(result));
}

void layer::fail(std::uint64_t id, const std::string& type,
                 const std::string& message) {
  if (take_deferred(id))
    send_failure(id, type, message);
}

bool layer::take_deferred(std::uint64_t id) {
  if (deferred_.erase(id) == 0)
    return false; // only the first answer counts
  if (!queued_.empty() && !resume_scheduled_) {
    resume_scheduled_ = true;
    self_->send(caf::actor_cast<caf::actor>(self_), resume_atom_v);
  }
  return true;
}

void layer::serve_queued() {
  while (!queued_.empty() && !self_->closing()
         && deferred_.size() < opts_.max_incoming_requests) {
    auto req = std::move(queued_.front());
    queued_.pop_front();
    queued_bytes_ -= req.bytes;
    serve(req.id, std::move(req.content));
  }
}

// -- transport::layer ---------------------------------------------------------

void layer::on_frame(transport::broker&, const std::uint8_t* payload,
                     std::size_t size) {
  auto msg = wire::parse_aiomas_message(codec_->decode(payload, size));
  switch (msg.type) {
    case wire::message_type::request:
      if (deferred_.size() >= opts_.max_incoming_requests || !queued_.empty()) {
        if (queued_.size() >= opts_.max_queued_requests
            || queued_bytes_ + size > opts_.max_queued_bytes) {
          send_failure(msg.id, "RuntimeError",
                       "too many requests in flight on this connection");
          break;
        }
        queued_bytes_ += size;
        queued_.push_back({msg.id, std::move(msg.content), size});
        break;
      }
      serve(msg.id, std::move(msg.content));
      break;
    case wire::message_type::result:
    case wire::message_type::exception: {
      auto i = pending_.find(msg.id);
      if (i == pending_.end())
        throw wire::wire_error(wire::errc::invalid_message,
                               "reply for unknown request id "
                                 + std::to_string(msg.id));
      auto rp = std::move(i->second);
      pending_.erase(i);
      if (msg.type == wire::message_type::result) {
        rp.deliver(std::move(msg.content));
      } else {
        auto text = msg.content.is_string() ? msg.content.as_string()
                                            : wire::to_string(msg.content);
        rp.deliver(make_remote_exception(self_->peer(), std::move(text)));
      }
      break;
    }
  }
}

void layer::on_closed(transport::broker&, const caf::error& reason,
                      bool shutdown) {
  // aiomas: channel._set_exception fails every pending request.
  for (auto& [id, rp] : pending_)
    rp.deliver(reason);
  pending_.clear();
  queued_.clear();
  queued_bytes_ = 0;
  deferred_.clear();
  if (opts_.on_connection_reset && !shutdown)
    opts_.on_connection_reset(reason);
}

// -- outgoing requests --------------------------------------------------------

caf::result<wire::value> layer::send_request(wire::value content) {
  if (self_->closing())
    return make_error(errc::connection_reset, "Connection closed");
  if (pending_.size() >= opts_.max_outgoing_requests || self_->overloaded())
    return make_error(errc::overloaded,
                      "too many requests in flight or write buffer full");
  // Like aiomas, an id is used up even if encoding fails.
  auto id = next_id_++;
  try {
    send_message(to_value(wire::aiomas_message{wire::message_type::request, id,
                                               std::move(content)}));
  } catch (const wire::wire_error& e) {
    return make_error(errc::not_serializable, e.what());
  }
  auto rp = self_->make_response_promise<wire::value>();
  pending_.emplace(id, rp);
  return rp;
}

} // namespace mas::channel
