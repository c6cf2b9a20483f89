#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace mas::wire::detail {

/// Appends to a `std::string` or a `byte_buffer` through a cursor, for the
/// encoders: the buffer grows geometrically (the room it already has first)
/// and is trimmed once at the end, so no write pays for an insert. If the
/// encoder throws, the buffer is trimmed back to what it held before: no
/// partial value is left behind.
template <class Buffer>
class output_cursor {
public:
  using char_type
    = std::remove_reference_t<decltype(*std::declval<Buffer&>().data())>;

  explicit output_cursor(Buffer& out)
    : out_(out), start_(out.size()), pos_(out.size()) {
    // nop
  }

  ~output_cursor() {
    out_.resize(done_ ? pos_ : start_);
  }

  output_cursor(const output_cursor&) = delete;
  output_cursor& operator=(const output_cursor&) = delete;

  /// Returns room for `n` characters at the cursor and moves past them.
  char_type* reserve(std::size_t n) {
    if (out_.size() - pos_ < n)
      grow(n);
    auto result = out_.data() + pos_;
    pos_ += n;
    return result;
  }

  /// Gives back the last `n` reserved characters (reserved for a worst
  /// case, not written).
  void unreserve(std::size_t n) noexcept {
    pos_ -= n;
  }

  /// Keeps what was written when the cursor goes.
  void commit() noexcept {
    done_ = true;
  }

private:
  [[gnu::noinline]] void grow(std::size_t n) {
    out_.resize(
      std::max({out_.capacity(), out_.size() * 2, pos_ + n, std::size_t{64}}));
  }

  Buffer& out_;
  std::size_t start_;
  std::size_t pos_;
  bool done_ = false;
};

} // namespace mas::wire::detail
