// A set of small integer indexes (entities of a vector) for marking what
// changed: insert and clear without hashing, iteration in insertion order.
// Memory: one bit per index up to the largest inserted, plus the list.
#pragma once

#include <cstdint>
#include <vector>

namespace carelog {

class IndexSet {
 public:
  void insert(uint32_t index) {
    if (index >= marked_.size()) marked_.resize(static_cast<size_t>(index) + 1 + index / 2);
    if (marked_[index]) return;
    marked_[index] = true;
    list_.push_back(index);
  }
  void clear() {
    for (uint32_t index : list_) marked_[index] = false;
    list_.clear();
  }
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  std::vector<uint32_t>::const_iterator begin() const { return list_.begin(); }
  std::vector<uint32_t>::const_iterator end() const { return list_.end(); }

 private:
  std::vector<bool> marked_;
  std::vector<uint32_t> list_;  // each marked index once, in insertion order
};

}  // namespace carelog
