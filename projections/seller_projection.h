// The projections of one seller as typed, in-memory state: the fold of every
// event of the seller into structures made for the queries (seller_queries.h),
// with no row encoding and no I/O.
//
// What it keeps (the same facts the row projections keep, rows.h):
// - meta: the newest occurred_at and the event count (the default as_of);
// - orders (OrderFacts) with indexes by placed time and by shipped time;
// - messages with, for each received one, the first seller reply in its
//   thread at or after it (maintained as replies arrive, in any log order),
//   threads, and time indexes (all, received, sent) in the listing's order;
// - return requests (ReturnRow) with an index by requested time in the
//   listing's order, each order's requests, and a status timeline whose
//   prefix sums give the count of requests per status at any instant;
// - return settings per marketplace: the latest in log order and every
//   change, for time travel;
// - each order's log sequence numbers (the order history), and the ids that
//   lead to an order.
// Every instant of an entity's life is kept, and statuses are decided at
// query time for the as_of asked, so answers do not depend on log order.
//
// Thread-safety: none of its own. The owner (the engine's ProjectionStore) holds an
// exclusive lock while apply() runs and a shared one while queries read;
// only the status timeline's lazy prefix sums are built by readers, under a
// mutex of its own. Neither copyable nor movable: the indexes' comparators
// point into it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "projections/index_set.h"
#include "projections/order_facts.h"
#include "projections/projection.h"
#include "projections/response_times.h"
#include "projections/return_rows.h"
#include "projections/returns_queue.h"
#include "projections/seller_meta.h"
#include "projections/sorted_index.h"
#include "projections/status_timeline.h"

namespace carelog {

class SellerProjection;

struct StoredMessage {
  MessageRow row;
  uint32_t thread = 0;  // index into SellerProjection::threads
  // Received only: the first seller reply (sender `seller`) in its thread at
  // or after row.at, whenever it was logged.
  std::optional<int64_t> first_reply;
};

struct ThreadFacts {
  std::string thread_id;
  std::vector<int64_t> seller_replies;  // instants, ascending
  std::vector<uint32_t> received;       // message indexes
  // The earliest received message (by occurred_at, then id): it labels the
  // thread's sent messages.
  std::optional<uint32_t> head;
  std::vector<uint32_t> seller_sent;  // message indexes of the seller's replies (sender `seller`)
};

struct SettingsChange {
  int64_t at = 0;
  uint64_t seq = 0;
  ReturnSettings settings;
};

struct MarketplaceSettings {
  ReturnSettings latest;                // the last change in log order
  std::vector<SettingsChange> history;  // ascending (at, seq)
};

// What the windowed counts read of an order and of a received message, kept
// beside the entities in small fixed records so that a window's walk reads
// contiguous memory (kMaxTime: no such instant).
struct OrderBrief {
  int64_t placed_at = 0, latest_ship_date = 0;
  int64_t shipped_at = kMaxTime, cancelled_at = kMaxTime;
  bool cancelled_by_seller = false;
  bool may_be_defective = false;  // it has feedback or a claim: is_defective() decides
};
struct ReceivedBrief {
  int64_t at = 0;
  int64_t first_reply = kMaxTime;
  int64_t no_response_needed_at = kMaxTime;
  bool auto_reply = false;
};

// An entity's instant and index: orders by placed or shipped time.
struct TimeKey {
  int64_t at = 0;
  uint32_t index = 0;
};
struct TimeKeyLess {
  bool operator()(const TimeKey& a, const TimeKey& b) const {
    return a.at != b.at ? a.at < b.at : a.index < b.index;
  }
  // Probes by instant alone: every key at `t` is "equal" to t.
  bool operator()(const TimeKey& a, int64_t t) const { return a.at < t; }
  bool operator()(int64_t t, const TimeKey& b) const { return t < b.at; }
};

// A message in the listing's order: occurred_at, then received before sent,
// then message id (the order of the row keys, response_times.h).
struct MessageKey {
  int64_t at = 0;
  uint32_t index = 0;
  bool sent = false;
};
// A position between messages: (at, sent, id) compares like a key.
struct MessageProbe {
  int64_t at = 0;
  unsigned char direction = 'r';  // the key's direction byte: 'r' received, 's' sent
  std::string_view id;
};
struct MessageKeyLess {
  const std::vector<StoredMessage>* messages = nullptr;
  bool operator()(const MessageKey& a, const MessageKey& b) const;
  bool operator()(const MessageKey& a, const MessageProbe& b) const;
  bool operator()(const MessageProbe& a, const MessageKey& b) const;
  bool operator()(const MessageKey& a, int64_t t) const { return a.at < t; }
  bool operator()(int64_t t, const MessageKey& b) const { return t < b.at; }
};

// A return request in the listing's order: requested_at, then return id.
struct ReturnKey {
  int64_t at = 0;
  uint32_t index = 0;
};
struct ReturnProbe {
  int64_t at = 0;
  std::string_view id;
};
struct ReturnKeyLess {
  const std::vector<return_rows::ReturnRow>* returns = nullptr;
  bool operator()(const ReturnKey& a, const ReturnKey& b) const;
  bool operator()(const ReturnKey& a, const ReturnProbe& b) const;
  bool operator()(const ReturnProbe& a, const ReturnKey& b) const;
  bool operator()(const ReturnKey& a, int64_t t) const { return a.at < t; }
  bool operator()(int64_t t, const ReturnKey& b) const { return t < b.at; }
};

// Return statuses as the listing's totals count them (return_rows.h
// ReturnCounts buckets).
inline constexpr size_t kReturnBuckets = return_rows::ReturnCounts::kBuckets;

class SellerProjection {
 public:
  explicit SellerProjection(std::string seller_id);
  SellerProjection(const SellerProjection&) = delete;
  SellerProjection& operator=(const SellerProjection&) = delete;

  // Folds one event of this seller (in log order). Deterministic.
  void apply(const AppliedEvent& e, const ReturnsPolicy& policy);

  // Rebuilds the indexes from the entity vectors (after a checkpoint load).
  void rebuild_indexes();

  const OrderFacts* order(std::string_view order_id) const;
  const return_rows::ReturnRow* return_request(std::string_view return_id) const;
  const StoredMessage* received_message(std::string_view message_id) const;
  // The latest settings of a marketplace in log order, if any were set.
  const ReturnSettings* latest_settings(std::string_view marketplace) const;

  // Approximate bytes held (vectors, strings and maps), for the memory figures.
  size_t memory_bytes() const;

  // ---- checkpoints ----
  // Writes to `rows` every projection row (rows.h) that the events folded
  // since the last call (or since the projection was created) changed, with
  // the keys and values the row folds write, and forgets those changes; so
  // rows written after every fold equal rows folded event by event.
  void write_changed_rows(SellerRowWriter& rows);
  // Some event was folded since the last write_changed_rows.
  bool changed() const { return meta_changed_; }
  // After a load from rows: everything held is already written.
  void mark_written();

  std::string seller_id;
  SellerMeta meta;

  std::vector<OrderFacts> orders;
  std::vector<OrderBrief> order_briefs;  // one per order, same index
  absl::flat_hash_map<std::string, uint32_t> order_index;
  absl::flat_hash_map<std::string, uint32_t> claim_order;     // claim id -> order index
  absl::flat_hash_map<std::string, uint32_t> refund_order;    // refund id -> order index
  absl::flat_hash_map<std::string, uint32_t> feedback_order;  // feedback id -> order index
  SortedIndex<TimeKey, TimeKeyLess> orders_by_placed;
  SortedIndex<TimeKey, TimeKeyLess> orders_by_shipped;

  std::vector<StoredMessage> messages;
  std::vector<ReceivedBrief> message_briefs;  // one per message, same index (sent: unused)
  absl::flat_hash_map<std::string, uint32_t> received_index, sent_index;
  std::vector<ThreadFacts> threads;
  absl::flat_hash_map<std::string, uint32_t> thread_index;
  SortedIndex<MessageKey, MessageKeyLess> messages_by_time;  // received and sent
  SortedIndex<MessageKey, MessageKeyLess> received_by_time;
  SortedIndex<MessageKey, MessageKeyLess> sent_by_time;

  std::vector<return_rows::ReturnRow> returns;
  absl::flat_hash_map<std::string, uint32_t> return_index;
  absl::flat_hash_map<std::string, std::vector<uint32_t>> order_returns;  // in fold order
  SortedIndex<ReturnKey, ReturnKeyLess> returns_by_time;
  StatusTimeline<kReturnBuckets> return_statuses;

  std::map<std::string, MarketplaceSettings> settings;  // by marketplace code

  // The order history: each order's log sequence numbers, ascending, and
  // the ids through which later events find their order.
  absl::flat_hash_map<std::string, std::vector<uint64_t>> history;
  absl::flat_hash_map<std::string, std::string> history_return_order, history_claim_order,
      history_message_order, history_thread_order;

  // The newest instant of an event that changed a return request (the
  // returns' counts row keeps it; return_rows.h ReturnCounts::latest).
  int64_t returns_latest = kMinTime;

 private:
  // What changed since the last write_changed_rows. Entity vectors only
  // grow, so the entities at or past a watermark are new.
  struct Watermarks {
    uint32_t orders = 0, messages = 0, returns = 0;
  };
  struct NewSettings {
    std::string marketplace;
    int64_t at = 0;
    uint64_t seq = 0;
  };
  struct NewHistoryEvent {
    std::string order_id;
    uint64_t seq = 0;
    std::array<uint8_t, 32> hash{};
  };
  Watermarks written_;
  bool meta_changed_ = false;
  bool returns_changed_ = false;
  IndexSet changed_orders_, changed_messages_, changed_returns_, changed_threads_;
  std::vector<std::pair<std::string, std::string>> new_claims_;  // claim id, order id
  std::set<std::string> changed_settings_;                        // marketplaces
  std::vector<NewSettings> new_settings_;
  std::vector<NewHistoryEvent> new_history_;
  std::vector<std::pair<char, std::string>> new_history_ids_;  // history_row kind, id

  void fold_order(const Event& ev);
  void fold_messages(const Event& ev, uint64_t seq);
  void fold_returns(const Event& ev, uint64_t seq, const ReturnsPolicy& policy);
  void fold_history(const Event& ev, uint64_t seq, const std::array<uint8_t, 32>& hash);
  void index_message(uint32_t index);
  void refresh_order_brief(uint32_t index);
  void refresh_message_brief(uint32_t index);
  void index_return(uint32_t index);
  // Adds (+1) or retracts (-1) a request's status transitions.
  void count_return(const return_rows::ReturnRow& x, int64_t sign);
};

}  // namespace carelog
