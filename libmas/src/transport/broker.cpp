#include "mas/transport/broker.hpp"

#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/system_messages.hpp>

#include "mas/atoms.hpp"
#include "mas/errc.hpp"
#include "mas/log.hpp"

namespace mas::transport {

namespace {

/// Bytes requested per read from the socket. CAF 0.17 zero-fills the read
/// buffer back to this size after every read, so bigger is not better.
constexpr std::size_t read_chunk = 16 * 1024;

/// Whether closing for `reason` is something an operator should see.
bool worth_a_warning(const caf::error& reason) {
  return is(reason, errc::protocol_error) || is(reason, errc::timeout)
         || is(reason, errc::tls_failure) || is(reason, errc::overloaded);
}

/// CAF 0.17's middleman joins its I/O thread on shutdown, and that thread
/// runs until every broker is gone: open connections would hang the actor
/// system's destructor. The middleman terminates its named brokers first, so
/// libmas registers one and every transport monitors it: they close when it
/// goes down.
class supervisor_broker : public caf::io::broker {
public:
  using caf::io::broker::broker;

  const char* name() const override {
    return "mas.supervisor";
  }

  caf::behavior make_behavior() override {
    set_exit_handler([](caf::exit_msg&) {});
    return {
      [](caf::ok_atom) {},
    };
  }
};

caf::behavior run_broker(broker* self, int fd, std::shared_ptr<setup> su) {
  return self->start(fd, std::move(*su));
}

} // namespace

// -- layer --------------------------------------------------------------------

layer::~layer() {
  // nop
}

void layer::on_ready(broker&) {
  // nop
}

void layer::on_writable(broker&) {
  // nop
}

// -- broker -------------------------------------------------------------------

broker::broker(caf::actor_config& cfg) : caf::io::broker(cfg) {
  // nop
}

broker::~broker() {
  // nop
}

caf::behavior broker::start(int fd, setup su) {
  opts_ = std::move(su.opts);
  peer_ = std::move(su.peer);
  layer_ = std::move(su.upper);
  open_count_ = std::move(su.open_count);
  counted_ = static_cast<bool>(open_count_);
  hdl_ = add_scribe(fd);
  configure_read(hdl_, caf::io::receive_policy::at_most(read_chunk));
  ack_writes(hdl_, true);
  auto sup = supervisor_of(home_system());
  supervisor_ = sup.address();
  monitor(sup);
  set_down_handler([this](caf::down_msg& msg) {
    if (msg.source == supervisor_)
      close(make_error(errc::connection_reset, "the actor system shuts down"),
            true);
  });
  caf::message_handler own{
    [this](const caf::io::new_data_msg& msg) {
      on_bytes(reinterpret_cast<const std::uint8_t*>(msg.buf.data()),
               msg.buf.size());
    },
    [this](const caf::io::data_transferred_msg& msg) {
      unsent_ = msg.remaining;
      ++progress_;
      update_reading();
      if (unsent_ == 0) {
        // CAF keeps the capacity of its write buffers; let a big reply go.
        auto& buf = wr_buf(hdl_);
        if (buf.empty() && buf.capacity() > opts_.keep_buffer_capacity)
          std::vector<char>{}.swap(buf);
        stream_->release_memory();
      }
    },
    [this](const caf::io::connection_closed_msg&) {
      if (!ready_)
        close(make_error(errc::tls_failure,
                         "connection closed during the TLS handshake "
                         "(certificate rejected?)"));
      else
        close(make_error(errc::connection_reset, "Connection closed"));
    },
    [this](stall_atom, bool handshake) {
      if (handshake) {
        if (!ready_)
          close(make_error(errc::tls_failure, "TLS handshake timed out"));
        return;
      }
      stall_timer_armed_ = false;
      if (!in_progress())
        return;
      if (progress_ == progress_at_tick_) {
        close(make_error(
          errc::timeout,
          "no progress for " + std::to_string(opts_.stall_timeout.count())
            + " ms with work in progress (partial frame: "
            + std::to_string(stream_->buffered())
            + " bytes, unsent: " + std::to_string(unsent_) + " bytes)"));
        return;
      }
      arm_stall_timer();
    },
    [this](ready_atom) -> caf::result<caf::ok_atom> {
      if (ready_)
        return caf::ok_atom_v;
      auto rp = make_response_promise<caf::ok_atom>();
      ready_waiters_.push_back(rp);
      return rp;
    },
    [this](closed_atom) -> caf::result<caf::ok_atom> {
      auto rp = make_response_promise<caf::ok_atom>();
      closed_waiters_.push_back(rp);
      return rp;
    },
    [this](caf::close_atom) {
      close(make_error(errc::connection_reset, "Connection closed"));
    },
  };
  auto upper = layer_->make_handler(*this);
  try {
    stream_.emplace(opts_, su.is_server, su.tls_host);
  } catch (const net::tls_error& e) {
    // A frame_stream without TLS keeps the close path uniform.
    auto plain = opts_;
    plain.tls = net::ssl_context{};
    stream_.emplace(plain, su.is_server, su.tls_host);
    close(make_error(errc::tls_failure, e.what()));
    return {};
  }
  flush_output(); // a TLS client's hello
  if (stream_->uses_tls() && opts_.handshake_timeout.count() > 0)
    delayed_send(this, opts_.handshake_timeout, stall_atom_v, true);
  check_ready();
  return own.or_else(upper);
}

void broker::send_frame() {
  stream_->send_frame();
  flush_output();
}

void broker::flush_output() {
  if (!stream_->has_output())
    return;
  stream_->take_output(scratch_);
  write(hdl_, scratch_.size(), scratch_.data());
  flush(hdl_);
  unsent_ += scratch_.size();
  scratch_.clear();
  update_reading();
  arm_stall_timer();
}

void broker::update_reading() {
  if (closing_)
    return;
  if (overloaded() && !reading_halted_) {
    halt(hdl_);
    reading_halted_ = true;
  } else if (!overloaded() && reading_halted_
             && unsent_ <= opts_.max_write_buffer / 2) {
    trigger(hdl_);
    reading_halted_ = false;
    layer_->on_writable(*this);
  }
}

void broker::on_bytes(const std::uint8_t* data, std::size_t size) {
  ++progress_;
  try {
    auto st = stream_->received(data, size,
                                [this](const std::uint8_t* p, std::size_t n) {
                                  if (!closing_)
                                    layer_->on_frame(*this, p, n);
                                });
    flush_output();
    if (st == frame_stream::status::tls_failed) {
      close(make_error(errc::tls_failure, stream_->error()));
      return;
    }
    check_ready();
    if (st == frame_stream::status::peer_closed) {
      close(make_error(errc::connection_reset, "Connection closed"));
      return;
    }
  } catch (const wire::wire_error& e) {
    // aiomas closes the channel on anything it cannot decode.
    close(make_error(errc::protocol_error, e.what()));
    return;
  }
  if (!stream_->has_partial_frame())
    stream_->release_memory();
  arm_stall_timer();
}

void broker::check_ready() {
  if (ready_ || closing_ || !stream_->ready())
    return;
  ready_ = true;
  for (auto& rp : ready_waiters_)
    rp.deliver(caf::ok_atom_v);
  ready_waiters_.clear();
  layer_->on_ready(*this);
}

bool broker::in_progress() const noexcept {
  return !closing_ && (!ready_ || stream_->has_partial_frame() || unsent_ > 0);
}

void broker::arm_stall_timer() {
  if (stall_timer_armed_ || opts_.stall_timeout.count() <= 0 || !in_progress())
    return;
  stall_timer_armed_ = true;
  progress_at_tick_ = progress_;
  delayed_send(this, opts_.stall_timeout, stall_atom_v, false);
}

void broker::close(caf::error reason, bool shutdown) {
  if (closing_)
    return;
  closing_ = true;
  demonitor(supervisor_);
  if (!shutdown && worth_a_warning(reason))
    log(log_level::warning, "closed connection with "
                              + (peer_.empty() ? "a Unix socket peer" : peer_)
                              + ": " + render(reason));
  if (layer_)
    layer_->on_closed(*this, reason, shutdown);
  for (auto& rp : ready_waiters_)
    rp.deliver(reason);
  ready_waiters_.clear();
  if (stream_) {
    stream_->shutdown();
    flush_output();
  }
  caf::io::abstract_broker::close(hdl_);
  for (auto& rp : closed_waiters_)
    rp.deliver(caf::ok_atom_v);
  closed_waiters_.clear();
  quit(std::move(reason));
}

bool broker::cleanup(caf::error&& reason, caf::execution_unit* host) {
  if (!closing_) {
    // Terminated from outside (an exit message): fail what is pending too.
    closing_ = true;
    demonitor(supervisor_);
    auto err = reason ? reason
                      : make_error(errc::connection_reset, "Connection closed");
    if (layer_)
      layer_->on_closed(*this, err, false);
    for (auto& rp : ready_waiters_)
      rp.deliver(err);
    for (auto& rp : closed_waiters_)
      rp.deliver(caf::ok_atom_v);
  }
  ready_waiters_.clear();
  closed_waiters_.clear();
  layer_.reset();
  if (counted_) {
    counted_ = false;
    open_count_->fetch_sub(1);
  }
  // CAF 0.17's abstract_broker::cleanup skips the part of
  // scheduled_actor::cleanup that closes the mailbox and bounces pending
  // requests, so a request to a closed connection would wait forever.
  // Closing the mailbox here makes CAF answer every such request with
  // `sec::request_receiver_down`, as it does for ordinary actors.
  auto& box = mailbox();
  if (!box.closed()) {
    box.close();
    get_normal_queue().flush_cache();
    get_urgent_queue().flush_cache();
    caf::detail::sync_request_bouncer bounce{reason};
    while (box.queue().new_round(1000, bounce).consumed_items)
      ; // drain: every request still queued is answered (receiver down)
  }
  return caf::io::broker::cleanup(std::move(reason), host);
}

// -- free functions -----------------------------------------------------------

caf::actor spawn_broker(caf::actor_system& sys, int fd, setup su) {
  return sys.middleman().spawn_broker<caf::hidden>(
    run_broker, fd, std::make_shared<setup>(std::move(su)));
}

caf::actor supervisor_of(caf::actor_system& sys) {
  // named_broker() is not thread-safe.
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  return sys.middleman().named_broker<supervisor_broker>(
    caf::atom("mas_super"));
}

} // namespace mas::transport
