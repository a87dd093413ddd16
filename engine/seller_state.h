// The per-seller facts the domain rules need (orders, messages, returns,
// refunds, claims, feedback), kept in the `state` column family and cached in
// memory.
//
// Keys: be32 partition | seller_id | 0x00 | kind | entity id, so a partition's
// state is one key range (it can be dropped or rebuilt on its own).
//
// Writes go to the current LogBatch and to the cache together (write-through);
// a batch that fails to commit must be followed by drop_cache(), which makes
// the cache forget whatever that batch wrote. Single-threaded (ingest loop).
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
  // 500,000 cached entities is ~75 MiB; beyond that the cache is dropped
  // between batches (reads then hit the block cache or the disk).
  explicit SellerState(const EventLog& log, size_t max_cached_entities = 500'000);

  // Reads see writes made through this object, committed or pending.
  std::optional<OrderState> order(uint32_t p, std::string_view seller, std::string_view id);
  std::optional<ReturnState> return_request(uint32_t p, std::string_view seller, std::string_view id);
  std::optional<ClaimState> claim(uint32_t p, std::string_view seller, std::string_view id);
  bool known(uint32_t p, std::string_view seller, Known kind, std::string_view id);

  void put_order(LogBatch& b, uint32_t p, std::string_view seller, std::string_view id, const OrderState&);
  void put_return(LogBatch& b, uint32_t p, std::string_view seller, std::string_view id, const ReturnState&);
  void put_claim(LogBatch& b, uint32_t p, std::string_view seller, std::string_view id, const ClaimState&);
  void put_known(LogBatch& b, uint32_t p, std::string_view seller, Known kind, std::string_view id);

  // After a failed commit: forget everything cached (pending writes included).
  void drop_cache();
  // After a successful commit: bound memory by dropping the cache when large.
  void trim_cache();
  // The cache holds more than its bound (trim_cache would drop it).
  bool over_limit() const;

 private:
  const EventLog& log_;
  size_t max_cached_;
  std::string key_;  // scratch
  // Open addressing (absl): one probe of a control-byte group per lookup,
  // where a node-based map costs a bucket, a node and the key, each a cache
  // miss. Values are returned by copy, so elements may move on rehash.
  absl::flat_hash_map<std::string, OrderState> orders_;
  absl::flat_hash_map<std::string, ReturnState> returns_;
  absl::flat_hash_map<std::string, ClaimState> claims_;
  absl::flat_hash_map<std::string, bool> known_;
  const std::string& make_key(uint32_t p, std::string_view seller, char kind, std::string_view id);
};

// Entity encodings (exposed for tests and inspection tools).
std::string encode_order(const OrderState&);
bool decode_order(std::string_view, OrderState&);
std::string encode_return(const ReturnState&);
bool decode_return(std::string_view, ReturnState&);

}  // namespace carelog
