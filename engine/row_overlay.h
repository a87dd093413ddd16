// RowOverlay: the projection rows a batch has written or erased, before they
// reach RocksDB (LogBatch keeps one). Keys and values are copied into an
// arena (a monotonic buffer: its blocks never move and are released
// together with the overlay); the hash table holds views into it.
//
// Why an arena (docs/PERFORMANCE.md at 397ef6b, in git): a table of std::string keys and values
// costs two heap blocks per row, allocated, filled and freed again at every
// commit, and a lookup follows a pointer to each. Here a new row's key and
// value are written side by side at the end of the arena's current block.
//
// Invariants:
// - each key appears once; its bytes never change and never move;
// - a present value's bytes lie in the arena (an empty one may have none); a
//   replaced value is rewritten in place when the new one fits in the room
//   of the old, else appended (the old bytes stay, and bytes() counts them);
// - a key or value is at most 4 GiB - 1 bytes (put throws std::length_error).
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string_view>

namespace carelog {

class RowOverlay {
 public:
  // A row's state in this overlay: written (its value) or erased.
  struct Row {
    char* data = nullptr;
    uint32_t size = 0;
    uint32_t room = 0;  // arena bytes reserved at data (>= size)
    bool present = false;
    std::optional<std::string_view> value() const {
      if (!present) return std::nullopt;
      return std::string_view(data, size);
    }
  };
  // (Debian's Abseil has a string_view of its own, and no hash of std::string_view.)
  struct KeyHash {
    size_t operator()(std::string_view k) const {
      return absl::Hash<absl::string_view>{}(absl::string_view(k.data(), k.size()));
    }
  };
  using Map = absl::flat_hash_map<std::string_view, Row, KeyHash>;

  RowOverlay() = default;
  RowOverlay(const RowOverlay&) = delete;
  RowOverlay& operator=(const RowOverlay&) = delete;

  // The row written or erased under `key`; null if this overlay has none.
  // Valid, and its value unchanged, until the next put, erase or reserve.
  const Row* find(std::string_view key) const {
    auto it = rows_.find(key);
    return it == rows_.end() ? nullptr : &it->second;
  }
  void put(std::string_view key, std::string_view value);
  void erase(std::string_view key);
  void reserve(size_t rows) { rows_.reserve(rows); }

  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  // Approximate memory held: arena bytes handed out and each row's slot.
  size_t bytes() const { return arena_used_ + rows_.size() * kRowOverhead; }
  // Every row, in no order (LogBatch writes them in key order).
  const Map& rows() const { return rows_; }

 private:
  // A row's slot in the table (a 16-byte key view and a 24-byte Row, at a
  // load of 7/16 to 7/8) and its control byte.
  static constexpr size_t kRowOverhead = 64;

  Row& slot(std::string_view key);  // the row under key, created (erased) if absent
  char* allocate(size_t n) {
    arena_used_ += n;
    return static_cast<char*>(arena_.allocate(n, 1));
  }

  Map rows_;
  std::pmr::monotonic_buffer_resource arena_{256 << 10};
  size_t arena_used_ = 0;  // bytes handed out
};

}  // namespace carelog
