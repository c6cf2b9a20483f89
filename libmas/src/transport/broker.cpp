#include "mas/transport/broker.hpp"

#include <algorithm>
#include <cerrno>
#include <mutex>

#include <sys/socket.h>

#include <caf/actor_system.hpp>
#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/system_messages.hpp>
#include <caf/send.hpp>

#include "mas/atoms.hpp"
#include "mas/errc.hpp"
#include "mas/log.hpp"

namespace mas::transport {

namespace {

/// Bytes requested per read from the socket, at least and at most. CAF 0.17
/// shrinks its read buffer to the bytes received and zero-fills it back to
/// the requested size after every read (`stream::prepare_next_read`), which
/// cost ~10 % of a busy server with a fixed 64 KiB for reads of a few hundred
/// bytes. So the size follows the reads: it doubles while reads fill it
/// (big frames still arrive in few reads) and halves while they use less
/// than an eighth of it.
constexpr std::size_t min_read_chunk = 2 * 1024;
constexpr std::size_t max_read_chunk = 64 * 1024;

/// Bytes handed to CAF's write buffers at a time. CAF keeps the capacity of
/// those buffers, so they stay this small; the rest waits in the broker's
/// outbox, which is released once it drained.
constexpr std::size_t write_chunk = 128 * 1024;

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
      [this](caf::close_atom) { quit(caf::exit_reason::user_shutdown); },
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
  fd_ = fd;
  hdl_ = add_scribe(fd);
  read_size_ = min_read_chunk;
  // A scribe reads nothing before its first configure_read.
  reads_held_ = su.hold_reads;
  if (!reads_held_)
    configure_read(hdl_, caf::io::receive_policy::at_most(read_size_));
  ack_writes(hdl_, true);
  auto sup = supervisor_of(home_system());
  supervisor_ = sup.address();
  monitor(sup);
  set_down_handler([this](caf::down_msg& msg) {
    if (msg.source != supervisor_)
      return;
    if (draining_)
      finish_close(true);
    else
      close(make_error(errc::connection_reset, "the actor system shuts down"),
            true);
  });
  caf::message_handler own{
    [this](const caf::io::new_data_msg& msg) {
      on_bytes(reinterpret_cast<const std::uint8_t*>(msg.buf.data()),
               msg.buf.size());
      adapt_read_size(msg.buf.size());
    },
    [this](const caf::io::data_transferred_msg& msg) {
      in_caf_ = msg.remaining;
      ++progress_;
      feed_socket();
      if (unsent_ == 0) {
        auto& buf = wr_buf(hdl_);
        if (buf.empty() && buf.capacity() > opts_.keep_buffer_capacity)
          std::vector<char>{}.swap(buf);
        if (scratch_.capacity() > opts_.keep_buffer_capacity)
          wire::byte_buffer{}.swap(scratch_);
        stream_->release_memory();
        if (draining_) {
          finish_close(false);
          return;
        }
      }
      update_reading();
    },
    [this](const caf::io::connection_closed_msg&) {
      // The peer is gone: nothing left can be delivered, so no draining.
      peer_gone_ = true;
      if (draining_)
        finish_close(false);
      else if (!ready_)
        close(make_error(errc::tls_failure,
                         "connection closed during the TLS handshake "
                         "(certificate rejected?)"));
      else
        close(make_error(errc::connection_reset, "Connection closed"));
    },
    [this](caf::flush_atom) {
      flush_pending_ = false;
      feed_socket(true);
      update_reading();
      arm_stall_timer();
    },
    [this](stall_atom, bool) {
      stall_timer_armed_ = false;
      on_tick();
    },
    [this](caf::open_atom) {
      if (!reads_held_)
        return;
      reads_held_ = false;
      if (!closing_)
        configure_read(hdl_, caf::io::receive_policy::at_most(read_size_));
      update_reading();
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
  // Ticks of at most a second, a quarter of the shortest timeout.
  auto shortest = std::chrono::milliseconds{1000 * 4};
  for (auto t : {opts_.stall_timeout, opts_.handshake_timeout})
    if (t.count() > 0)
      shortest = std::min(shortest, t);
  tick_ = std::max(shortest / 4, std::chrono::milliseconds{5});
  quiet_since_ = std::chrono::steady_clock::now();
  handshake_deadline_ = quiet_since_ + opts_.handshake_timeout;
  arm_stall_timer();
  check_ready();
  return own.or_else(upper);
}

void broker::send_frame() {
  stream_->send_frame();
  // Frames sent while a read is handled leave together at its end.
  if (!in_input_)
    flush_output();
}

void broker::flush_output(bool direct) {
  if (!stream_->has_output())
    return;
  if (outbox_pos_ == outbox_.size()) {
    stream_->take_output(outbox_); // the stream gets the empty buffer back
    outbox_pos_ = 0;
  } else {
    if (outbox_pos_ > outbox_.size() / 2) {
      outbox_.erase(outbox_.begin(),
                    outbox_.begin() + static_cast<std::ptrdiff_t>(outbox_pos_));
      outbox_pos_ = 0;
    }
    stream_->take_output(scratch_);
    outbox_.insert(outbox_.end(), scratch_.begin(), scratch_.end());
    scratch_.clear();
  }
  if (!direct && in_caf_ == 0 && !closing_ && !peer_gone_) {
    // Frames from messages (requests of local actors) are written to the
    // socket once the messages queued now are handled: a message to self
    // marks the end of that batch, so a burst leaves in one write.
    if (!flush_pending_) {
      flush_pending_ = true;
      caf::anon_send(caf::actor_cast<caf::actor>(this), caf::flush_atom_v);
    }
    unsent_ = in_caf_ + (outbox_.size() - outbox_pos_);
  } else {
    feed_socket(direct);
  }
  update_reading();
  arm_stall_timer();
}

void broker::feed_socket(bool direct) {
  if (direct && in_caf_ == 0 && !closing_ && !peer_gone_)
    write_directly();
  bool wrote = false;
  while (in_caf_ < write_chunk && outbox_pos_ < outbox_.size()) {
    auto n = std::min(write_chunk - in_caf_, outbox_.size() - outbox_pos_);
    write(hdl_, n, outbox_.data() + outbox_pos_);
    outbox_pos_ += n;
    in_caf_ += n;
    wrote = true;
  }
  if (wrote)
    flush(hdl_);
  if (outbox_pos_ == outbox_.size()) {
    outbox_.clear();
    outbox_pos_ = 0;
    if (outbox_.capacity() > opts_.keep_buffer_capacity)
      wire::byte_buffer{}.swap(outbox_);
  }
  unsent_ = in_caf_ + (outbox_.size() - outbox_pos_);
}

void broker::write_directly() {
  // CAF 0.17 writes only once the multiplexer reports the socket writable:
  // two epoll_ctl calls and another epoll_wait per flush. With nothing
  // queued in CAF, order is kept by writing to the socket at once; what it
  // does not take (EAGAIN) goes through CAF as before, and so does an
  // error, which CAF's write then reports as a closed connection.
  while (outbox_pos_ < outbox_.size()) {
    auto n = ::send(fd_, outbox_.data() + outbox_pos_,
                    outbox_.size() - outbox_pos_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      outbox_pos_ += static_cast<std::size_t>(n);
      ++progress_;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;
    }
  }
  if (scratch_.capacity() > opts_.keep_buffer_capacity)
    wire::byte_buffer{}.swap(scratch_);
}

void broker::adapt_read_size(std::size_t got) {
  auto next = read_size_;
  if (got >= read_size_)
    next = std::min(read_size_ * 2, max_read_chunk);
  else if (got < read_size_ / 8)
    next = std::max(read_size_ / 2, min_read_chunk);
  if (next != read_size_ && !closing_) {
    read_size_ = next;
    configure_read(hdl_, caf::io::receive_policy::at_most(read_size_));
  }
}

void broker::update_reading() {
  if (closing_ || reads_held_)
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
    struct input_scope {
      bool& flag;
      ~input_scope() {
        flag = false;
      }
    };
    auto st = [&] {
      in_input_ = true;
      input_scope guard{in_input_};
      return stream_->received(data, size,
                               [this](const std::uint8_t* p, std::size_t n) {
                                 if (!closing_)
                                   layer_->on_frame(*this, p, n);
                               });
    }();
    // Frames produced while handling input (replies) go out once per read.
    flush_output(true);
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
  if (stall_timer_armed_)
    return;
  bool handshake = !ready_ && !closing_ && stream_->uses_tls()
                   && opts_.handshake_timeout.count() > 0;
  bool stall = opts_.stall_timeout.count() > 0 && (in_progress() || draining_);
  if (!handshake && !stall)
    return;
  if (progress_ != progress_at_tick_) {
    // Work starts (again) now.
    progress_at_tick_ = progress_;
    quiet_since_ = std::chrono::steady_clock::now();
  }
  stall_timer_armed_ = true;
  // Anonymous: a tick still pending when the connection ends must not keep
  // the actor alive through its own address as sender.
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(this), tick_, stall_atom_v,
                         false);
}

void broker::on_tick() {
  auto now = std::chrono::steady_clock::now();
  if (!ready_ && !closing_ && stream_->uses_tls()
      && opts_.handshake_timeout.count() > 0 && now >= handshake_deadline_) {
    close(make_error(errc::tls_failure, "TLS handshake timed out"));
    return;
  }
  if (progress_ != progress_at_tick_) {
    progress_at_tick_ = progress_;
    quiet_since_ = now;
  }
  bool stalled = opts_.stall_timeout.count() > 0
                 && now - quiet_since_ >= opts_.stall_timeout;
  if (draining_) {
    // The peer stopped taking the last bytes: give up on them.
    if (stalled)
      finish_close(true);
    else
      arm_stall_timer();
    return;
  }
  if (stalled && in_progress()) {
    close(make_error(
      errc::timeout,
      "no progress for " + std::to_string(opts_.stall_timeout.count())
        + " ms with work in progress (partial frame: "
        + std::to_string(stream_->buffered())
        + " bytes, unsent: " + std::to_string(unsent_) + " bytes)"));
    return;
  }
  arm_stall_timer();
}

void broker::close(caf::error reason, bool shutdown) {
  if (closing_)
    return;
  closing_ = true;
  if (!shutdown && worth_a_warning(reason))
    log(log_level::warning, "closed connection with "
                              + (peer_.empty() ? "a Unix socket peer" : peer_)
                              + ": " + render(reason));
  if (layer_)
    layer_->on_closed(*this, reason, shutdown);
  for (auto& rp : ready_waiters_)
    rp.deliver(reason);
  ready_waiters_.clear();
  // A peer that stalled or does not read would never take what is left.
  // A peer that broke the protocol gets a reset too: after a graceful
  // close CAF 0.17 keeps the scribe and its fd until the peer's FIN, which
  // such a peer need never send. (TLS failures close gracefully so that
  // the alert reaches the peer; the handshake timeout bounds them.)
  bool abort = is(reason, errc::timeout) || is(reason, errc::protocol_error)
               || reading_halted_;
  if (stream_) {
    if (!abort)
      stream_->shutdown();
    flush_output();
  }
  close_reason_ = std::move(reason);
  if (abort || shutdown || peer_gone_ || unsent_ == 0) {
    finish_close(abort);
    return;
  }
  // Deliver the rest (replies, a TLS alert) first, but read no more; the
  // stall timeout bounds the wait.
  draining_ = true;
  if (!reading_halted_) {
    halt(hdl_);
    reading_halted_ = true;
  }
  arm_stall_timer();
}

void broker::finish_close(bool abort) {
  draining_ = false;
  demonitor(supervisor_);
  if (abort && fd_ >= 0) {
    // Reset instead of a graceful close: CAF would hold the socket and its
    // buffers until the peer read everything.
    linger lg{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    ::shutdown(fd_, SHUT_RDWR);
  }
  outbox_.clear();
  wire::byte_buffer{}.swap(outbox_);
  outbox_pos_ = 0;
  caf::io::abstract_broker::close(hdl_);
  for (auto& rp : closed_waiters_)
    rp.deliver(caf::ok_atom_v);
  closed_waiters_.clear();
  quit(std::move(close_reason_));
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

void close_all(caf::actor_system& sys) {
  caf::anon_send(supervisor_of(sys), caf::close_atom_v);
}

} // namespace mas::transport
