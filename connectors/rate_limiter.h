// Per-client request rate limit for the HTTP API: a token bucket per client
// address, refilled at `per_second` up to `burst`. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace carelog {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // per_second <= 0: no limit.
  RateLimiter(double per_second, double burst);
  // Takes one token from `client`'s bucket; false when it is empty.
  bool allow(const std::string& client, Clock::time_point now = Clock::now());
  bool enabled() const { return per_second_ > 0; }
  size_t tracked_clients();

 private:
  struct Bucket {
    double tokens;
    Clock::time_point refilled;
  };
  static constexpr size_t kMaxClients = 10000;  // beyond, full buckets are forgotten
  double per_second_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace carelog
