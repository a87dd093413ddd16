// An in-memory SellerRows/SellerRowWriter over a std::map: the reference
// implementation used by unit tests (the engine's is RocksDB-backed).
#pragma once

#include <map>

#include "projections/rows.h"

namespace carelog {

class MemoryRows : public SellerRows, public SellerRowWriter {
 public:
  std::optional<std::string> get(std::string_view key) const override {
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override {
    rows_[std::string(key)] = std::string(value);
  }
  void erase(std::string_view key) override { rows_.erase(std::string(key)); }
  void scan(std::string_view begin, std::string_view end, bool reverse,
            const RowFn& fn) const override {
    auto lo = rows_.lower_bound(std::string(begin));
    auto hi = rows_.lower_bound(std::string(end));
    if (!reverse) {
      for (auto it = lo; it != hi; ++it) {
        if (!fn(it->first, it->second)) return;
      }
    } else {
      for (auto it = hi; it != lo;) {
        --it;
        if (!fn(it->first, it->second)) return;
      }
    }
  }
  const std::map<std::string, std::string>& all() const { return rows_; }

 private:
  std::map<std::string, std::string> rows_;
};

}  // namespace carelog
