// The HTTP API's per-client token bucket, on an explicit clock.
#include <gtest/gtest.h>

#include "connectors/rate_limiter.h"

namespace carelog::rate_limiter_test {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiterTest, BurstThenRefillAtTheRate) {
  RateLimiter limiter(10, 5);  // 10 req/s, bursts of 5
  auto t = RateLimiter::Clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1", t)) << i;
  EXPECT_FALSE(limiter.allow("10.0.0.1", t));
  EXPECT_FALSE(limiter.allow("10.0.0.1", t + milliseconds(50)));  // half a token
  EXPECT_TRUE(limiter.allow("10.0.0.1", t + milliseconds(150)));   // 1.5 tokens
  EXPECT_FALSE(limiter.allow("10.0.0.1", t + milliseconds(160)));
  // Never more than the burst, however long the pause.
  auto later = t + std::chrono::seconds(60);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1", later)) << i;
  EXPECT_FALSE(limiter.allow("10.0.0.1", later));
}

TEST(RateLimiterTest, ClientsHaveTheirOwnBuckets) {
  RateLimiter limiter(1, 1);
  auto t = RateLimiter::Clock::now();
  EXPECT_TRUE(limiter.allow("a", t));
  EXPECT_FALSE(limiter.allow("a", t));
  EXPECT_TRUE(limiter.allow("b", t));
}

TEST(RateLimiterTest, ZeroRateMeansNoLimit) {
  RateLimiter limiter(0, 0);
  EXPECT_FALSE(limiter.enabled());
  auto t = RateLimiter::Clock::now();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.allow("a", t));
}

TEST(RateLimiterTest, ManyClientsDoNotGrowWithoutBound) {
  RateLimiter limiter(100, 1);
  auto t = RateLimiter::Clock::now();
  for (int i = 0; i < 30000; ++i) ASSERT_TRUE(limiter.allow("client-" + std::to_string(i), t + milliseconds(i)));
  EXPECT_LE(limiter.tracked_clients(), 10000u);
  // A client seen at the start, whose bucket refilled long ago, starts full.
  EXPECT_TRUE(limiter.allow("client-0", t + std::chrono::seconds(100)));
}

}  // namespace
}  // namespace carelog::rate_limiter_test
