// The queries of spec/projections.md over a seller's in-memory projection
// (seller_projection.h). Each answers exactly as its row-based namesake
// (response_times.h, returns_queue.h, account_health.h, deadlines.h,
// order_history.h), byte for byte, and shares its JSON writers; only how the
// facts are found differs:
// - response times, account health and deadlines walk their windows through
//   the time indexes (O(entities in the window), never the seller's history);
// - a returns listing without a text or date filter counts its total with
//   the status timeline (O(log n)), and pages start at the cursor by binary
//   search (O(log n + page));
// - a messages listing without a text filter counts its total as the
//   distance between two positions of a time index (O(log n + page)); a text
//   filter walks the range asked (in memory).
// The caller holds the seller's partition's shared lock.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "projections/deadlines.h"
#include "projections/order_history.h"
#include "projections/response_times.h"
#include "projections/returns_queue.h"
#include "projections/seller_projection.h"

namespace carelog {

ResponseTimesReport compute_response_times(const SellerProjection& s, int64_t as_of);
std::string account_health_json(const SellerProjection& s, int64_t as_of);
std::variant<std::string, QueryError> returns_json(const SellerProjection& s, const ReturnsQuery& q);
std::variant<std::string, QueryError> messages_json(const SellerProjection& s, const MessagesQuery& q);
std::string return_settings_json(const SellerProjection& s, int64_t as_of);
// A message's version as its listing shows it (message_version of
// response_times.h, over the in-memory projection).
uint64_t message_version(const SellerProjection& s, const StoredMessage& m);

// One return request, or one message (received or sent), as its listing
// shows it at as_of; nullopt when the seller has none by then.
std::optional<std::string> return_row_json(const SellerProjection& s, std::string_view return_id, int64_t as_of);
std::optional<std::string> message_row_json(const SellerProjection& s, std::string_view message_id, bool received,
                                            int64_t as_of);
std::variant<std::string, QueryError> deadlines_json(const SellerProjection& s, int64_t as_of,
                                                     int64_t within_micros);

// The chain hash and original envelope of the record at `seq` of the
// seller's partition; nullopt when it cannot be read.
struct RecordView {
  std::string hash;  // raw bytes
  std::string envelope;
};
using RecordAt = std::function<std::optional<RecordView>(uint64_t seq)>;
// nullopt when the seller has no such order (404).
std::optional<std::string> order_history_json(const SellerProjection& s, const std::string& order_id,
                                              const RecordAt& record_at);

}  // namespace carelog
