// `carelog gen`: a deterministic generator of realistic feeds (JSONL
// envelopes) for tests, the demo and benchmarks.
//
// Sellers have Zipf-distributed sizes. Each order follows its life: placed,
// shipped (a few late), delivered, sometimes cancelled first; buyer threads
// with seller replies (most within hours, a tail past 24 h, some never),
// buyers' out-of-office auto-replies, messages marked as needing no response;
// return requests with the seed's reasons, then authorized, closed by the
// seller, cancelled by the buyer or left waiting, items received and refunds;
// feedback and A-to-z claims. Every event is valid and follows the domain
// rules, and the feed is sorted by occurred_at, so ingesting it rejects nothing.
// The same options always give the same bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace carelog {

struct FeedOptions {
  int64_t sellers = 100;
  int64_t days = 90;
  uint64_t seed = 1;
  int64_t events = 100000;  // approximate total
  int64_t start_epoch_seconds = 1349046000;  // 2012-10-01T00:00:00+01:00
  double zipf_exponent = 1.1;
};

// Calls `emit` with each envelope, in occurred_at order. Returns the count.
int64_t generate_feed(const FeedOptions& options, const std::function<void(const std::string&)>& emit);

}  // namespace carelog
