#include "connectors/rate_limiter.h"

#include <algorithm>

namespace carelog {

RateLimiter::RateLimiter(double per_second, double burst)
    : per_second_(per_second), burst_(std::max(1.0, burst)) {}

bool RateLimiter::allow(const std::string& client, Clock::time_point now) {
  if (per_second_ <= 0) return true;
  std::lock_guard lock(mu_);
  auto refill = [&](Bucket& b) {
    double elapsed = std::chrono::duration<double>(now - b.refilled).count();
    if (elapsed > 0) {
      b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
      b.refilled = now;
    }
  };
  if (buckets_.size() >= kMaxClients && !buckets_.count(client)) {
    // A client whose bucket is full again is indistinguishable from a new one.
    std::erase_if(buckets_, [&](const auto& entry) {
      double elapsed = std::chrono::duration<double>(now - entry.second.refilled).count();
      return entry.second.tokens + elapsed * per_second_ >= burst_;
    });
  }
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) refill(b);
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

size_t RateLimiter::tracked_clients() {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace carelog
