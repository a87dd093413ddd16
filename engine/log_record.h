// One record of the event log and its byte layout.
//
// Value layout in the `log` column family, key = be32 partition | be64 seq:
//   body = u8 format(1) | u32 partition | u64 seq | i64 source_offset
//          | u32 len | key | u32 len | original | encode_binary(event)
//   value = body | hash (32 bytes) where hash = chain_hash(previous hash, body)
// All integers little-endian inside the body; keys big-endian so that RocksDB's
// bytewise order is (partition, seq) order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/hash_chain.h"
#include "events/event.h"
#include "events/result.h"

namespace carelog {

struct LogRecord {
  uint32_t partition = 0;
  uint64_t seq = 0;            // 1, 2, 3 ... per partition, no gaps
  int64_t source_offset = -1;  // offset in the source partition; -1 for derived events
  std::string key;             // the source record's key ("" when it had none)
  std::string original;        // the envelope bytes exactly as consumed
  // The buyer whose key sealed `original` and the event's buyer-identifying
  // text in the stored record ("" = not sealed); see buyer_vault.h.
  std::string sealed_for;
  Event event;
  Hash hash{};                 // chain hash; not part of the body
};

std::string log_key(uint32_t partition, uint64_t seq);
bool parse_log_key(std::string_view key, uint32_t& partition, uint64_t& seq);

// Appends the body of `r` (everything but the hash) to `out`, the event taking
// its binary encoding from `event_binary` (= encode_binary(r.event)).
void encode_log_body(const LogRecord& r, std::string_view event_binary, std::string& out);
// Splits a stored value into its record; rejection code "corrupt" when the
// bytes do not parse. `body` receives the bytes the hash covers.
Result<LogRecord> decode_log_value(std::string_view value, std::string_view* body = nullptr);

// Big-endian helpers for keys.
void put_be32(std::string& out, uint32_t v);
void put_be64(std::string& out, uint64_t v);
uint32_t get_be32(const char* p);
uint64_t get_be64(const char* p);
// A string as be32 length | bytes; get_str consumes it from the front of
// `in` and returns false (leaving `in` as it was) when the bytes are short.
void put_str(std::string& out, std::string_view s);
bool get_str(std::string_view& in, std::string& s);

}  // namespace carelog
