#pragma once

#include <cstddef>
#include <vector>

namespace mas::wire::detail {

/// A vector a decoder reuses on its thread from call to call, so that its
/// working stacks do not allocate and regrow for every message. A nested
/// use on the same thread (a decode from within a decode) gets a vector of
/// its own. Starts and ends each use empty; gives its memory back when a
/// large message made it grow beyond `MaxKept` elements.
template <class T, std::size_t MaxKept = 4096>
class scratch_vector {
public:
  scratch_vector() : xs_(in_use_ ? local_ : shared_), owner_(!in_use_) {
    in_use_ = true;
    xs_.clear();
  }

  ~scratch_vector() {
    xs_.clear();
    if (!owner_)
      return;
    if (xs_.capacity() > MaxKept)
      std::vector<T>{}.swap(xs_);
    in_use_ = false;
  }

  scratch_vector(const scratch_vector&) = delete;
  scratch_vector& operator=(const scratch_vector&) = delete;

  std::vector<T>& get() noexcept {
    return xs_;
  }

private:
  static thread_local std::vector<T> shared_;
  static thread_local bool in_use_;
  std::vector<T> local_;
  std::vector<T>& xs_;
  bool owner_;
};

template <class T, std::size_t MaxKept>
thread_local std::vector<T> scratch_vector<T, MaxKept>::shared_;

template <class T, std::size_t MaxKept>
thread_local bool scratch_vector<T, MaxKept>::in_use_ = false;

} // namespace mas::wire::detail
