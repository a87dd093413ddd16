// A projection is a pure fold of the log: apply() turns one appended event
// into row changes of its seller (rows.h); queries read those rows. Nothing
// in projections/ reads a clock or does I/O beyond its rows: the same events
// in the same order give the same rows, live, rebuilt or restored.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "events/event.h"
#include "projections/rows.h"

namespace carelog {

// An event as appended to the log, with its position there.
struct AppliedEvent {
  const Event& event;
  uint32_t partition;
  uint64_t seq;
  const std::array<uint8_t, 32>& hash;
};

class Projection {
 public:
  virtual ~Projection() = default;
  virtual std::string_view name() const = 0;
  // The row tags (rows.h) of the rows it writes; no two projections share one.
  virtual std::string_view row_tags() const = 0;
  // Folds `e` into its seller's rows. Must be deterministic.
  virtual void apply(const AppliedEvent& e, SellerRowWriter& rows) = 0;
};

// Shared query plumbing.
inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerHour = 3600 * kMicrosPerSecond;
inline constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;
// Instants before and after every other (open ends of a range).
inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

// A bad query parameter: the HTTP layer answers 400 naming `parameter`.
struct QueryError {
  std::string parameter;
  std::string message;
};

// numerator / denominator rounded half up to 4 decimals, as a JSON number
// without trailing zeros ("0.5", "0.7778", "1"); "null" when denominator is 0.
// Every rate carelog prints goes through here, so equal ratios print alike.
std::string format_ratio(int64_t numerator, int64_t denominator);

// A listing's answer: {"seller_id":..,"total":N,"next_cursor":"hex"|null,
// "<items_name>":[items]}; next_cursor encodes `next_key` when set.
std::string listing_json(const std::string& seller_id, int64_t total, const std::optional<std::string>& next_key,
                         std::string_view items_name, std::string_view items);

// Pagination: rows are listed newest first; a cursor is the opaque key of the
// last row returned (hex-encoded), and the next page starts after it.
std::string encode_cursor(std::string_view key);
bool decode_cursor(std::string_view cursor, std::string& key);

}  // namespace carelog
