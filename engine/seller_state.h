// The per-seller facts the domain rules need (orders, messages, returns,
// refunds, claims, feedback), kept in the `state` column family and cached in
// memory.
//
// Keys: be32 partition | seller_id | 0x00 | kind | entity id, so a partition's
// state is one key range (it can be dropped or rebuilt on its own).
//
// Two ways to write:
// - write-through (the default): a change goes to the current LogBatch and to
//   the cache together; a batch that fails to commit must be followed by
//   drop_cache(), which makes the cache forget whatever that batch wrote;
// - deferred (an engine with in-memory projections): a change stays in the
//   cache, dirty, until write_dirty() puts every dirty entity into a batch
//   (the projections' checkpoint, engine/ingest.h). Meanwhile the column
//   family stops short of the log, past each partition's rule_state_behind
//   mark (event_log.h), which goes in the batch that first appends to the
//   partition after a checkpoint; catch_up_rule_state (domain_rules.h)
//   folds the log past those marks after a crash. drop_cache() then loses
//   the dirty entities: the caller catches up before reading again.
// Single-threaded (ingest loop).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "engine/event_log.h"

namespace carelog {

enum class OrderStatus : uint8_t { kPlaced, kShipped, kDelivered, kCancelled };
enum class ReturnStatus : uint8_t { kRequested, kAuthorized, kClosed, kCancelled, kCompleted };

struct OrderState {
  OrderStatus status = OrderStatus::kPlaced;
  int64_t paid_cents = 0;  // sum of item_price * quantity
  int64_t refunded_cents = 0;
  std::string currency;
  struct Item {
    std::string sku;
    int64_t unit_cents = 0;
  };
  std::vector<Item> items;
};

struct ReturnState {
  ReturnStatus status = ReturnStatus::kRequested;
  std::string order_id;
  int64_t value_cents = 0;  // the returned items' value at the order's prices
  int64_t refunded_cents = 0;
  bool item_received = false;
};

struct ClaimState {
  bool decided = false;
};

// Kinds of entity whose existence is all the rules need.
enum class Known : char {
  kReceivedMessage = 'm',
  kSentMessage = 's',
  kRefund = 'f',
  kFeedback = 'b',
};

class SellerState {
 public:
  // Past `max_cached_entities` entities held, trim_cache() drops sellers
  // (500,000 entities is ~100 MiB, an estimate from the structures' sizes).
  explicit SellerState(const EventLog& log, size_t max_cached_entities = 500'000, bool deferred = false);

  // Reads see writes made through this object, committed or pending. The
  // first read of a seller loads all of its state (one prefix scan); from
  // then on, what its entities do not hold does not exist. An entity is
  // returned as a view (null: none), valid until the next put or trim: a
  // rule copies what it changes, then puts the copy.
  const OrderState* order(uint32_t p, std::string_view seller, std::string_view id);
  const ReturnState* return_request(uint32_t p, std::string_view seller, std::string_view id);
  const ClaimState* claim(uint32_t p, std::string_view seller, std::string_view id);
  bool known(uint32_t p, std::string_view seller, Known kind, std::string_view id);

  void put_order(LogBatch& b, uint32_t p, std::string_view seller, std::string_view id, OrderState);
  void put_return(LogBatch& b, uint32_t p, std::string_view seller, std::string_view id, ReturnState);
  void put_claim(LogBatch& b, uint32_t p, std::string_view seller, std::string_view id, ClaimState);
  void put_known(LogBatch& b, uint32_t p, std::string_view seller, Known kind, std::string_view id);

  // Deferred: puts every dirty entity into `b` and counts it clean. The
  // caller commits `b` and calls trim_cache() only once it is committed.
  void write_dirty(LogBatch& b);
  size_t dirty() const { return dirty_; }

  // After a failed commit: forget everything cached (pending writes included).
  void drop_cache();
  // After a successful commit: bound memory, when the cache holds too many
  // entities, by dropping clean sellers: those not used since the trim
  // before, then, if still too many, every clean one.
  void trim_cache();
  // The cache holds more than its bound (trim_cache would drop sellers).
  bool over_limit() const;

 private:
  // A cached entity; `dirty`: changed and not yet in a batch (deferred).
  template <class T>
  struct Cached {
    T value{};
    bool dirty = false;
  };
  template <class T>
  using Map = absl::flat_hash_map<std::string, Cached<T>>;  // by entity id
  // All of one seller's state.
  struct Entities {
    Map<OrderState> orders;
    Map<ReturnState> returns;
    Map<ClaimState> claims;
    Map<bool> known;  // by Known kind byte + id
    size_t dirty = 0;
    uint64_t last_used = 0;
    size_t size() const { return orders.size() + returns.size() + claims.size() + known.size(); }
  };
  const EventLog& log_;
  size_t max_cached_;
  bool deferred_;
  size_t dirty_ = 0;
  size_t cached_ = 0;  // entities held, all sellers
  uint64_t clock_ = 0, trimmed_at_ = 0;
  std::string key_, known_key_;  // scratch
  // Open addressing (absl): one probe of a control-byte group per lookup,
  // where a node-based map costs a bucket, a node and the key, each a cache
  // miss. Values are returned by copy, so elements may move on rehash.
  absl::flat_hash_map<std::string, std::unique_ptr<Entities>> sellers_;  // by be32 partition + seller
  // The seller entities() found last (null: none, or dropped since).
  Entities* last_ = nullptr;
  uint32_t last_partition_ = 0;
  std::string last_seller_;

  // The seller's entities, loaded when not cached.
  Entities& entities(uint32_t p, std::string_view seller);
  // The state row key of an entity.
  const std::string& make_key(uint32_t p, std::string_view seller, char kind, std::string_view id);
  // Records a change of an entity (write-through or dirty).
  template <class T>
  void put(Entities& e, Map<T>& map, std::string_view id, T value, LogBatch& b, char kind, uint32_t p,
           std::string_view seller);
  template <class T>
  static std::string encode(const T& value);
};

// Entity encodings (exposed for tests and inspection tools).
std::string encode_order(const OrderState&);
bool decode_order(std::string_view, OrderState&);
std::string encode_return(const ReturnState&);
bool decode_return(std::string_view, ReturnState&);

}  // namespace carelog
