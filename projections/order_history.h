// Per-order audit trail (spec/projections.md §5): every event of an order,
// its returns, refunds, claims, feedback and messages, in log order, each
// with its log sequence number and hash.
//
// The fold indexes each event under its order (row_tag::kHistory + order_id +
// seq -> hash), resolving return, claim, message and thread ids to their
// order through its own id rows (also under kHistory).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/projection.h"

namespace carelog {

class OrderHistoryProjection : public Projection {
 public:
  std::string_view name() const override { return "order_history"; }
  std::string_view row_tags() const override { return "h"; }
  void apply(const AppliedEvent& e, SellerRowWriter& rows) override;
};

// The rows' keys: an event of an order (-> its chain hash), and an id that
// leads to an order (-> the order id), of these kinds.
namespace history_row {
inline constexpr char kReturn = 'R';
inline constexpr char kClaim = 'C';
inline constexpr char kMessage = 'M';
inline constexpr char kThread = 'T';
}  // namespace history_row
std::string history_event_row_key(std::string_view order_id, uint64_t seq);
std::string history_id_row_key(char kind, std::string_view id);

// The original envelope bytes of the record at `seq` of the seller's partition.
using EnvelopeAt = std::function<std::optional<std::string>(uint64_t seq)>;

// The JSON body of GET /v1/orders/{order_id}/history?seller_id=S, or nullopt
// when the seller has no such order (404):
// {"seller_id":..,"order_id":..,"events":[{"seq":N,"hash":"hex","event":{...original...}}]}
std::optional<std::string> order_history_json(const SellerRows& rows, const std::string& seller_id,
                                              const std::string& order_id, const EnvelopeAt& envelope_at);

// One event of an order's history: its log position, its chain hash (raw
// bytes) and its original envelope (nullopt: not readable).
struct HistoryEvent {
  uint64_t seq = 0;
  std::string hash;
  std::optional<std::string> envelope;
};
// The same body from the order's events, in log order.
std::string order_history_json(const std::string& seller_id, const std::string& order_id,
                               const std::vector<HistoryEvent>& events);

}  // namespace carelog
