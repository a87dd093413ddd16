// Counts of entities per status at any instant: a status timeline keeps,
// for each instant where some entity changed status, the change of every
// status count at that instant ((t, delta) transitions, as in a
// differential dataflow arrangement), and answers "how many were in status
// s at T" as a prefix sum over the transitions at or before T.
//
// An entity whose instants change (a late event) retracts its old
// transitions and adds its new ones, so the counts never depend on the
// order events were logged in. Prefix sums are rebuilt lazily, on the first
// query after a change: O(instants) once, then O(log instants) a query.
//
// Thread-safety: add() needs the owner's exclusive lock (no reader at the
// same time); at() may run from several readers at once (the lazy rebuild
// takes a mutex of its own).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace carelog {

template <size_t kStatuses>
class StatusTimeline {
 public:
  using Counts = std::array<int64_t, kStatuses>;

  // Adds `delta` to `status` from instant `at` on.
  void add(int64_t at, size_t status, int64_t delta) {
    auto it = std::lower_bound(points_.begin(), points_.end(), at,
                               [](const Point& p, int64_t t) { return p.at < t; });
    if (it == points_.end() || it->at != at) it = points_.insert(it, Point{at, {}});
    it->delta[status] += delta;
    dirty_ = true;
  }

  // The counts per status at `as_of` (every transition at or before it).
  Counts at(int64_t as_of) const {
    std::lock_guard<std::mutex> lock(rebuild_mutex_);
    if (dirty_) rebuild();
    auto it = std::upper_bound(points_.begin(), points_.end(), as_of,
                               [](int64_t t, const Point& p) { return t < p.at; });
    if (it == points_.begin()) return Counts{};
    return prefix_[static_cast<size_t>(it - points_.begin()) - 1];
  }

  void clear() {
    points_.clear();
    prefix_.clear();
    dirty_ = false;
  }

  size_t memory_bytes() const {
    return points_.capacity() * sizeof(Point) + prefix_.capacity() * sizeof(Counts);
  }

 private:
  struct Point {
    int64_t at;
    std::array<int32_t, kStatuses> delta;
  };
  void rebuild() const {
    prefix_.resize(points_.size());
    Counts running{};
    for (size_t i = 0; i < points_.size(); ++i) {
      for (size_t s = 0; s < kStatuses; ++s) running[s] += points_[i].delta[s];
      prefix_[i] = running;
    }
    dirty_ = false;
  }
  std::vector<Point> points_;  // ascending `at`, one per instant
  mutable std::vector<Counts> prefix_;
  mutable bool dirty_ = false;
  mutable std::mutex rebuild_mutex_;
};

}  // namespace carelog
