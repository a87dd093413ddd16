// A sorted vector of keys for the in-memory projections' time indexes
// (orders by placed or shipped time, messages and returns by occurred time).
//
// Events mostly arrive in time order, so an insert is nearly always an
// append; a late event pays one binary search and a memmove. Ranges are
// contiguous slices, so a window query is two binary searches and a walk
// over adjacent memory. Less(a, b) must be a strict weak order, and no two
// keys may compare equal (make them unique with an entity index).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace carelog {

template <class Key, class Less>
class SortedIndex {
 public:
  explicit SortedIndex(Less less = Less()) : less_(less) {}

  void insert(const Key& k) {
    if (keys_.empty() || less_(keys_.back(), k)) {
      keys_.push_back(k);
      return;
    }
    keys_.insert(std::upper_bound(keys_.begin(), keys_.end(), k, less_), k);
  }
  // Removes `k`; false when absent.
  bool erase(const Key& k) {
    auto it = std::lower_bound(keys_.begin(), keys_.end(), k, less_);
    if (it == keys_.end() || less_(k, *it)) return false;
    keys_.erase(it);
    return true;
  }
  // Positions: the first key not less than `probe`, the first greater than it.
  // `probe` may be of another type that Less compares with Key (both ways).
  template <class Probe>
  size_t lower(const Probe& probe) const {
    return static_cast<size_t>(std::lower_bound(keys_.begin(), keys_.end(), probe, less_) - keys_.begin());
  }
  template <class Probe>
  size_t upper(const Probe& probe) const {
    return static_cast<size_t>(std::upper_bound(keys_.begin(), keys_.end(), probe, less_) - keys_.begin());
  }
  const Key& operator[](size_t i) const { return keys_[i]; }
  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  void clear() { keys_.clear(); }
  // Bulk load: append in any order, then sort once.
  void append_unsorted(const Key& k) { keys_.push_back(k); }
  void sort() { std::sort(keys_.begin(), keys_.end(), less_); }
  size_t memory_bytes() const { return keys_.capacity() * sizeof(Key); }

 private:
  std::vector<Key> keys_;
  Less less_;
};

}  // namespace carelog
