// Decodes one envelope (spec/events.md) from JSON bytes into a validated Event.
//
// Every field rule of the spec is enforced here: required fields, types, enum
// values, lengths in Unicode code points, RFC 3339 times with an offset, money
// as at most two fraction digits, order ids of 3-7-7 digits, the marketplace
// list, schema_version (older ones are upcast, see upcast.h; newer rejected),
// and seller_id == record key when a key is given. Unknown fields inside
// `data` are ignored here (the log keeps the original bytes verbatim).
//
// Not thread-safe: one decoder per thread. It reuses its simdjson parser and
// padding buffer across calls, so the hot path does not allocate for parsing.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"
#include "events/result.h"

namespace carelog {

struct DecoderOptions {
  // Accepted marketplace codes; default: the spec's list.
  std::vector<std::string> marketplaces = {"FR", "UK", "DE", "IT", "ES", "NL", "SE",
                                           "PL", "BE", "IE", "US", "CA", "JP"};
  size_t max_record_bytes = 1 << 20;  // larger records: rejected too_large
  // Whether `notification.requested` is accepted. Producers may not send it
  // (reserved_type); the engine's own log reader may.
  bool allow_derived_types = false;
  // An occurred_at later than the clock plus this is rejected (future_time).
  int64_t max_future_micros = 86'400'000'000;  // 1 day
  // The clock (microseconds since the epoch); null: the system clock.
  std::function<int64_t()> now_micros = nullptr;
};

class JsonDecoder {
 public:
  explicit JsonDecoder(DecoderOptions options = {});
  ~JsonDecoder();
  JsonDecoder(const JsonDecoder&) = delete;
  JsonDecoder& operator=(const JsonDecoder&) = delete;

  // `key`: the Kafka record key when there is one (seller_id must equal it).
  Result<Event> decode(std::string_view bytes,
                       std::optional<std::string_view> key = std::nullopt);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace carelog
