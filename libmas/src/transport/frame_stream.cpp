#include "mas/transport/frame_stream.hpp"

#include <algorithm>

namespace mas::transport {

namespace {

void release_if_large(wire::byte_buffer& buf, std::size_t keep) {
  if (buf.empty() && buf.capacity() > keep)
    wire::byte_buffer{}.swap(buf);
}

} // namespace

frame_stream::frame_stream(const options& opts, bool is_server,
                           const std::string& host)
  : keep_capacity_(opts.keep_buffer_capacity), frames_(opts.max_frame_size) {
  if (opts.tls) {
    tls_.emplace(opts.tls, is_server ? std::string{} : host);
    tls_->drain(wire_out_); // the client's hello
  }
}

void frame_stream::send_frame() {
  auto payload = out_.size() - wire::frame_header_size;
  wire::byte_buffer header;
  wire::write_frame_header(header, payload); // checks the 4 GiB limit
  std::copy(header.begin(), header.end(), out_.begin());
  if (tls_) {
    if (!tls_->write(out_.data(), out_.size()))
      throw wire::wire_error(wire::errc::invalid_message, tls_->error());
    tls_->drain(wire_out_);
  } else if (wire_out_.empty()) {
    wire_out_.swap(out_);
  } else {
    wire_out_.insert(wire_out_.end(), out_.begin(), out_.end());
  }
  out_.clear();
}

void frame_stream::send_frame(const std::uint8_t* payload, std::size_t size) {
  auto& buf = frame_buffer();
  buf.insert(buf.end(), payload, payload + size);
  send_frame();
}

void frame_stream::take_output(wire::byte_buffer& out) {
  out.clear();
  out.swap(wire_out_);
}

void frame_stream::shutdown() {
  if (tls_ && tls_->handshake_done()) {
    tls_->shutdown();
    tls_->drain(wire_out_);
  }
}

void frame_stream::release_memory() {
  frames_.release_memory(keep_capacity_);
  release_if_large(plain_, keep_capacity_);
  release_if_large(out_, keep_capacity_);
  release_if_large(wire_out_, keep_capacity_);
}

std::string frame_stream::error() const {
  return tls_ ? tls_->error() : std::string{};
}

} // namespace mas::transport
