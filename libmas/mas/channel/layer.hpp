#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <caf/response_promise.hpp>
#include <caf/result.hpp>

#include "mas/channel/options.hpp"
#include "mas/channel/request_handler.hpp"
#include "mas/transport/layer.hpp"
#include "mas/wire/codec.hpp"

namespace mas::channel {

/// The aiomas channel on a transport: request ids, replies and failures
/// (aiomas `channel.Channel`). Replies are not ordered; incoming requests
/// run concurrently, up to `max_incoming_requests`, the rest wait in a
/// bounded queue.
class layer : public transport::layer {
public:
  layer(options opts, std::shared_ptr<request_handler> handler);

  ~layer() override;

  /// Builds the codec for `opts` with `extra_types` registered in order.
  static std::unique_ptr<wire::codec> make_codec(const options& opts);

  // -- transport::layer -------------------------------------------------------

  caf::message_handler make_handler(transport::broker& self) override;

  void on_frame(transport::broker& self, const std::uint8_t* payload,
                std::size_t size) override;

  void on_closed(transport::broker& self, const caf::error& reason,
                 bool shutdown) override;

  // -- for request handlers ---------------------------------------------------

  /// Sends a request; the result completes with the peer's reply.
  caf::result<wire::value> send_request(wire::value content);

  /// Answers a deferred request (only the first answer counts). Other
  /// actors send `(reply_atom, id, ...)` to the connection instead.
  void reply(std::uint64_t id, wire::value result);

  /// Fails a deferred request with `type: message`.
  void fail(std::uint64_t id, const std::string& type,
            const std::string& message);

  const std::shared_ptr<const wire::type_registry>& types() const noexcept {
    return types_;
  }

  transport::broker& self() noexcept {
    return *self_;
  }

private:
  void serve(std::uint64_t id, wire::value content);
  void serve_queued();
  void complete(std::uint64_t id, answer ans);
  bool take_deferred(std::uint64_t id);
  void send_message(const wire::value& msg);
  void send_reply(std::uint64_t id, wire::value result);
  void send_failure(std::uint64_t id, const std::string& type,
                    const std::string& message);

  struct queued_request {
    std::uint64_t id;
    wire::value content;
    std::size_t bytes;
  };

  options opts_;
  std::shared_ptr<request_handler> handler_;
  transport::broker* self_ = nullptr;
  std::unique_ptr<wire::codec> codec_;
  std::shared_ptr<const wire::type_registry> types_;

  /// Outgoing requests by id, waiting for replies.
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, caf::response_promise> pending_;

  /// Incoming requests answered later.
  std::unordered_set<std::uint64_t> deferred_;

  /// Incoming requests waiting for a slot. Reading goes on: replies must get
  /// through, or a handler waiting for a callback on this connection would
  /// deadlock.
  std::deque<queued_request> queued_;
  std::size_t queued_bytes_ = 0;
  bool resume_scheduled_ = false;
};

} // namespace mas::channel
