// Projection state as rows of one seller.
//
// Projections keep their state as small rows in RocksDB (the engine's
// `projections` column family), not in memory: a fold writes only the rows an
// event changes, in the same WriteBatch as the event, and a query scans the
// rows it needs. The engine scopes every row to (partition, seller); a
// projection chooses the rest of the key, whose first byte is its tag (below).
//
// Keys that carry an instant use encode_time() so that byte order is time order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace carelog {

// Row tags (first key byte). One per kind of row; never reuse a retired tag.
namespace row_tag {
inline constexpr char kSellerMeta = 'z';  // newest occurred_at, marketplaces
inline constexpr char kOrder = 'o';       // order facts (order_facts.h)
inline constexpr char kOrderByTime = 'O'; // order placed_at index -> order id
inline constexpr char kMessage = 'm';     // a message by occurred_at (messages.h)
inline constexpr char kMessageById = 'M'; // message id -> its kMessage key
inline constexpr char kThreadReply = 't'; // seller reply instants per thread
inline constexpr char kReturn = 'r';      // a return request (returns_queue.h)
inline constexpr char kReturnByTime = 'R';// requested_at index -> return id
inline constexpr char kSettings = 's';    // return settings per marketplace
inline constexpr char kHistory = 'h';     // order id, seq -> log position (order_history.h)
}  // namespace row_tag

// The format of the rows this code folds. A generation folded entirely by
// this code has it; an older generation lacks rows that came later, and
// queries must not rely on them there (a rebuild brings it up to date).
//   1: the first format
//   2: the returns' counts row (return_rows.h), which lets a listing skip the count
//   3: the order's returns row (return_rows.h), which lets duplicate_of read
//      an order's other requests without a scan
//   4: an order's refunds (order_facts.h RefundFacts), from which the domain
//      rules know the refund ids already issued
inline constexpr uint32_t kRowsFormat = 4;

// Read access to one seller's rows (a consistent view).
class SellerRows {
 public:
  virtual ~SellerRows() = default;
  // The format of the generation these rows belong to (see kRowsFormat).
  virtual uint32_t format() const { return kRowsFormat; }
  virtual std::optional<std::string> get(std::string_view key) const = 0;
  // Visits rows with begin <= key < end in ascending (or, when `reverse`,
  // descending) key order until `fn` returns false.
  using RowFn = std::function<bool(std::string_view key, std::string_view value)>;
  virtual void scan(std::string_view begin, std::string_view end, bool reverse,
                    const RowFn& fn) const = 0;
};

// Read-write access during a fold. Reads see this batch's earlier writes.
class SellerRowWriter {
 public:
  virtual ~SellerRowWriter() = default;
  virtual std::optional<std::string> get(std::string_view key) const = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  virtual void erase(std::string_view key) = 0;
};

// ---- key and value helpers ----
// Order-preserving encodings.
void append_time(std::string& out, int64_t micros);  // sign-flipped big-endian
int64_t read_time(const char* p);                     // inverse of append_time
void append_u64(std::string& out, uint64_t v);        // big-endian
uint64_t read_u64(const char* p);
// The smallest key greater than every key starting with `prefix`.
std::string prefix_end(std::string_view prefix);

}  // namespace carelog
