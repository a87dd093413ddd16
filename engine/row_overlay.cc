#include "engine/row_overlay.h"

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace carelog {

RowOverlay::Row& RowOverlay::slot(std::string_view key) {
  // One probe: the key is copied into the arena only when its row is new.
  return rows_.lazy_emplace(key, [&](const Map::constructor& construct) {
    char* k = allocate(key.size());
    if (!key.empty()) std::memcpy(k, key.data(), key.size());
    construct(std::string_view(k, key.size()), Row{});
  })->second;
}

void RowOverlay::put(std::string_view key, std::string_view value) {
  if (key.size() > UINT32_MAX || value.size() > UINT32_MAX) throw std::length_error("projection row over 4 GiB");
  Row& row = slot(key);
  if (value.size() > row.room) {
    // For a new row, right after its key: one cache line often holds both.
    row.data = allocate(value.size());
    row.room = static_cast<uint32_t>(value.size());
  }
  // memmove: `value` may be a view of this row's own bytes.
  if (!value.empty()) std::memmove(row.data, value.data(), value.size());
  row.size = static_cast<uint32_t>(value.size());
  row.present = true;
}

void RowOverlay::erase(std::string_view key) {
  Row& row = slot(key);
  row.present = false;
  row.size = 0;
}

}  // namespace carelog
