// Account health (spec/projections.md §4): each metric's numerator,
// denominator, rate and status at hand-computed instants, window edges
// included, and time travel (facts after as_of do not count yet).
#include "projections/account_health.h"

#include <gtest/gtest.h>

#include <array>

#include "events/json_decoder.h"
#include "events/json_encoder.h"
#include "projections/memory_rows.h"
#include "projections/order_facts.h"
#include "projections/response_times.h"
#include "projections/returns_queue.h"
#include "tests/unit/test_support.h"

namespace carelog::account_health_test {
namespace {

using testing::envelope;

const std::string kSeller = "A2SELLER0001";
constexpr int64_t kSecond = kMicrosPerSecond;
constexpr int64_t kHour = kMicrosPerHour;
constexpr int64_t kDay = kMicrosPerDay;
constexpr int64_t T = 1362096000 * kSecond;  // 2013-03-01T00:00:00Z

std::string at(int64_t micros) { return format_rfc3339(Timestamp{micros, 0}); }

std::string order_id(int n) {
  std::string digits = std::to_string(n);
  return "403-0000000-" + std::string(7 - digits.size(), '0') + digits;
}

std::string placed(const std::string& order, int64_t latest_ship_date) {
  return R"({"order_id":")" + order +
         R"(","buyer_id":"BUYER-1","items":[{"sku":"JEM-021835","asin":"B00HELLOKT","title":"Peluche","quantity":1,"item_price":{"amount":"10.00","currency":"EUR"},"category":"toys"}],"latest_ship_date":")" +
         at(latest_ship_date) + R"(","latest_delivery_date":")" + at(latest_ship_date + 5 * kDay) +
         R"("})";
}

class AccountHealthTest : public ::testing::Test {
 protected:
  void add(const std::string& type, const std::string& data, int64_t when) {
    const uint64_t seq = next_seq_++;
    std::string bytes = envelope("ev-" + std::to_string(seq), type, data, at(when));
    auto decoded = decoder_.decode(bytes);
    ASSERT_TRUE(decoded.ok()) << bytes;
    std::array<uint8_t, 32> hash{};
    const AppliedEvent e{decoded.value(), 0, seq, hash};
    facts_.apply(e, rows_);  // the projector applies order facts first
    messages_.apply(e, rows_);
    returns_.apply(e, rows_);
  }

  void place(int n, int64_t when, int64_t latest_ship_date = 0) {
    add("order.placed", placed(order_id(n), latest_ship_date ? latest_ship_date : when + 2 * kDay),
        when);
  }
  void ship(int n, int64_t when) {
    add("order.shipped", R"({"order_id":")" + order_id(n) + R"("})", when);
  }
  void cancel(int n, const std::string& by, int64_t when) {
    add("order.cancelled",
        R"({"order_id":")" + order_id(n) + R"(","cancelled_by":")" + by + R"("})", when);
  }
  void feedback(int n, int rating, int64_t when) {
    add("feedback.received",
        R"({"feedback_id":"FB-)" + std::to_string(n) + R"(","order_id":")" + order_id(n) +
            R"(","rating":)" + std::to_string(rating) + "}",
        when);
  }
  void claim(int n, const std::string& kind, int64_t when) {
    add("claim.filed",
        R"({"claim_id":"CLM-)" + std::to_string(n) + R"(","order_id":")" + order_id(n) +
            R"(","kind":")" + kind + R"("})",
        when);
  }
  void decide(int n, const std::string& outcome, int64_t when) {
    add("claim.decided",
        R"({"claim_id":"CLM-)" + std::to_string(n) + R"(","outcome":")" + outcome + R"("})", when);
  }

  std::string health(int64_t as_of) const { return account_health_json(rows_, kSeller, as_of); }

  // The object of one metric, e.g. {"rate":0.5,...,"status":"bad"}.
  std::string metric(const std::string& name, int64_t as_of) const {
    const std::string json = health(as_of);
    const std::string key = "\"" + name + "\":";
    const size_t start = json.find(key);
    if (start == std::string::npos) return "<missing " + name + ">";
    const size_t begin = start + key.size();
    return json.substr(begin, json.find('}', begin) - begin + 1);
  }

  static std::string expect(const std::string& rate, int64_t num, int64_t den, int days,
                            const std::string& target, const std::string& status) {
    return R"({"rate":)" + rate + R"(,"numerator":)" + std::to_string(num) + R"(,"denominator":)" +
           std::to_string(den) + R"(,"window_days":)" + std::to_string(days) + R"(,"target":)" +
           target + R"(,"status":")" + status + "\"}";
  }

  JsonDecoder decoder_;
  OrderFactsProjection facts_;
  MessagesProjection messages_;
  ReturnsQueueProjection returns_{ReturnsPolicy{}};
  MemoryRows rows_;
  uint64_t next_seq_ = 1;
};

TEST_F(AccountHealthTest, EmptySellerHasEveryMetricWithNoDenominator) {
  EXPECT_EQ(
      health(T),
      R"({"seller_id":"A2SELLER0001","as_of":"2013-03-01T00:00:00Z","metrics":{)"
      R"("order_defect_rate":{"rate":null,"numerator":0,"denominator":0,"window_days":60,"target":0.01,"status":"none"},)"
      R"("pre_fulfillment_cancel_rate":{"rate":null,"numerator":0,"denominator":0,"window_days":7,"target":0.025,"status":"none"},)"
      R"("late_shipment_rate":{"rate":null,"numerator":0,"denominator":0,"window_days":30,"target":0.04,"status":"none"},)"
      R"("contact_response_late_rate":{"rate":null,"numerator":0,"denominator":0,"window_days":30,"target":0.1,"status":"none"},)"
      R"("return_response_late_rate":{"rate":null,"numerator":0,"denominator":0,"window_days":30,"target":0.1,"status":"none"}}})");
}

TEST_F(AccountHealthTest, AsOfWithFractionIsRenderedInUtc) {
  EXPECT_NE(health(T + 500'000).find(R"("as_of":"2013-03-01T00:00:00.5Z")"), std::string::npos);
}

TEST_F(AccountHealthTest, OrderDefectWindowIsOpenAtSixtyDaysAndClosedAtAsOf) {
  place(1, T - 60 * kDay);  // exactly at the edge: excluded
  feedback(1, 1, T - 59 * kDay);
  place(2, T - 60 * kDay + kSecond);  // just inside
  feedback(2, 1, T - 59 * kDay);
  place(3, T - kDay);
  place(4, T);            // at as_of: included
  place(5, T + kSecond);  // after as_of: not yet
  EXPECT_EQ(metric("order_defect_rate", T), expect("0.3333", 1, 3, 60, "0.01", "bad"));
  // One second later order 2 has left the window and order 5 has entered it.
  EXPECT_EQ(metric("order_defect_rate", T + kSecond), expect("0", 0, 3, 60, "0.01", "good"));
}

TEST_F(AccountHealthTest, OrderDefectKinds) {
  const int64_t placed_at = T - 20 * kDay;
  for (int n = 1; n <= 10; ++n) place(n, placed_at);
  feedback(1, 2, T - 5 * kDay);      // negative: defect
  feedback(2, 3, T - 5 * kDay);      // neutral: not
  feedback(3, 1, T + kSecond);       // negative, but after as_of
  claim(4, "a_to_z", T - 5 * kDay);  // open: defect
  claim(5, "a_to_z", T - 5 * kDay);  // granted: defect
  decide(5, "granted", T - 4 * kDay);
  claim(6, "a_to_z", T - 5 * kDay);  // withdrawn: not
  decide(6, "withdrawn", T - 4 * kDay);
  claim(7, "a_to_z", T - 5 * kDay);  // denied after as_of: still a defect at as_of
  decide(7, "denied", T + kDay);
  claim(8, "chargeback", T - 5 * kDay);  // chargeback: defect whatever its outcome
  decide(8, "denied", T - 4 * kDay);
  feedback(9, 1, T - 5 * kDay);  // two defects on one order count once
  claim(9, "a_to_z", T - 5 * kDay);
  claim(10, "a_to_z", T + kSecond);  // filed after as_of
  // Defects at T: 1, 4, 5, 7, 8, 9.
  EXPECT_EQ(metric("order_defect_rate", T), expect("0.6", 6, 10, 60, "0.01", "bad"));
  // Just before the denial order 7 still counts; at it, it no longer does.
  EXPECT_EQ(metric("order_defect_rate", T + kDay - kSecond),
            expect("0.8", 8, 10, 60, "0.01", "bad"));
  EXPECT_EQ(metric("order_defect_rate", T + kDay), expect("0.7", 7, 10, 60, "0.01", "bad"));
}

TEST_F(AccountHealthTest, OrderDefectTargetIsStrictlyBelowOnePercent) {
  for (int n = 1; n <= 101; ++n) place(n, T - 30 * kDay + n * kSecond);
  feedback(1, 1, T - kDay);
  // 1 of 101 orders: 0.0099 < 0.01.
  EXPECT_EQ(metric("order_defect_rate", T), expect("0.0099", 1, 101, 60, "0.01", "good"));
  // 30 days later orders 1 and 2 have left the window, and with them the defect.
  EXPECT_EQ(metric("order_defect_rate", T + 30 * kDay + 2 * kSecond),
            expect("0", 0, 99, 60, "0.01", "good"));
  place(102, T - kDay);
  feedback(2, 2, T - kDay);
  feedback(3, 2, T - kDay);
  // At T: 3 of 102 = 0.0294; order 1 placed at T-30d+1s stays until T+30d+1s.
  EXPECT_EQ(metric("order_defect_rate", T), expect("0.0294", 3, 102, 60, "0.01", "bad"));
}

TEST_F(AccountHealthTest, OrderDefectRateOfExactlyOnePercentIsBad) {
  for (int n = 1; n <= 100; ++n) place(n, T - 10 * kDay);
  feedback(1, 1, T - kDay);
  EXPECT_EQ(metric("order_defect_rate", T), expect("0.01", 1, 100, 60, "0.01", "bad"));
}

TEST_F(AccountHealthTest, PreFulfillmentCancelCountsSellerCancelsBeforeShipping) {
  place(1, T - 7 * kDay);  // exactly at the edge: excluded
  cancel(1, "seller", T - 6 * kDay);
  place(2, T - 7 * kDay + kSecond);  // just inside, seller cancel: counts
  cancel(2, "seller", T - 6 * kDay);
  place(3, T - 2 * kDay);  // buyer cancel: not
  cancel(3, "buyer", T - kDay);
  place(4, T - 2 * kDay);  // marketplace cancel: not
  cancel(4, "marketplace", T - kDay);
  place(5, T - 3 * kDay);  // shipped, then cancelled by the seller: not pre-fulfilment
  ship(5, T - 2 * kDay);
  cancel(5, "seller", T - kDay);
  place(6, T - kDay);  // seller cancel after as_of: not yet
  cancel(6, "seller", T + kSecond);
  place(7, T - kDay);  // never cancelled
  place(8, T - kDay);  // cancelled by the seller before a (later) shipment: counts
  cancel(8, "seller", T - kHour);
  ship(8, T - kHour + kSecond);
  EXPECT_EQ(metric("pre_fulfillment_cancel_rate", T), expect("0.2857", 2, 7, 7, "0.025", "bad"));
  // One second later order 2 has left the window and order 6's cancel counts.
  EXPECT_EQ(metric("pre_fulfillment_cancel_rate", T + kSecond),
            expect("0.3333", 2, 6, 7, "0.025", "bad"));
}

TEST_F(AccountHealthTest, PreFulfillmentCancelGoodBelowTwoAndAHalfPercent) {
  for (int n = 1; n <= 41; ++n) place(n, T - kDay);
  cancel(1, "seller", T - kHour);
  EXPECT_EQ(metric("pre_fulfillment_cancel_rate", T), expect("0.0244", 1, 41, 7, "0.025", "good"));
}

TEST_F(AccountHealthTest, LateShipmentByShipDateInTheWindow) {
  place(1, T - 100 * kDay, T - 40 * kDay);  // shipped exactly at the window's edge: excluded
  ship(1, T - 30 * kDay);
  place(2, T - 100 * kDay, T - 40 * kDay);  // placed long ago, shipped just inside: late
  ship(2, T - 30 * kDay + kSecond);
  place(3, T - 5 * kDay, T - 3 * kDay);  // one second late
  ship(3, T - 3 * kDay + kSecond);
  place(4, T - 5 * kDay, T - 3 * kDay);  // exactly at latest_ship_date: on time
  ship(4, T - 3 * kDay);
  place(5, T - 5 * kDay, T - 3 * kDay);  // not shipped: not in the denominator
  place(6, T - 5 * kDay, T - 3 * kDay);  // shipped after as_of: not yet
  ship(6, T + kSecond);
  EXPECT_EQ(metric("late_shipment_rate", T), expect("0.6667", 2, 3, 30, "0.04", "bad"));
  // One second later order 2's shipment has left the window and order 6's entered it.
  EXPECT_EQ(metric("late_shipment_rate", T + kSecond), expect("0.6667", 2, 3, 30, "0.04", "bad"));
  // At T - 3 d: orders 1, 2 (late) and 4 (on time); order 3 ships a second later.
  EXPECT_EQ(metric("late_shipment_rate", T - 3 * kDay), expect("0.6667", 2, 3, 30, "0.04", "bad"));
}

TEST_F(AccountHealthTest, LateShipmentGoodBelowFourPercent) {
  for (int n = 1; n <= 26; ++n) {
    place(n, T - 5 * kDay, T - 3 * kDay);
    ship(n, n == 1 ? T - kDay : T - 4 * kDay);
  }
  EXPECT_EQ(metric("late_shipment_rate", T), expect("0.0385", 1, 26, 30, "0.04", "good"));
}

std::string received(const std::string& id, const std::string& thread, bool auto_reply = false) {
  return R"({"message_id":")" + id + R"(","thread_id":")" + thread +
         R"(","buyer_id":"BUYER-1","buyer_alias":"x8k2@marketplace.amazon.fr","subject":"Question","body":"Bonjour","auto_reply":)" +
         (auto_reply ? "true" : "false") + "}";
}
std::string sent(const std::string& id, const std::string& thread,
                 const std::string& sender = "seller") {
  return R"({"message_id":")" + id + R"(","thread_id":")" + thread +
         R"(","body":"Bonjour, merci.","sender":")" + sender + R"("})";
}

TEST_F(AccountHealthTest, ContactResponseLateRateIsTheThirtyDayLateRate) {
  add("message.received", received("M1", "T1"), T - 3 * kDay);  // answered in 1 h: on time
  add("message.sent", sent("S1", "T1"), T - 3 * kDay + kHour);
  add("message.received", received("M2", "T2"), T - 2 * kDay);  // answered in 25 h: late
  add("message.sent", sent("S2", "T2"), T - 2 * kDay + 25 * kHour);
  add("message.received", received("M3", "T3"), T - 5 * kDay);        // never answered: no response
  add("message.received", received("M4", "T4"), T - kHour);           // pending: in no rate
  add("message.received", received("M5", "T5", true), T - 5 * kDay);  // auto reply: not counted
  add("message.received", received("M6", "T6"), T - 31 * kDay);       // outside 30 d
  add("message.received", received("M7", "T7"), T - 4 * kDay);        // only an auto-responder
  add("message.sent", sent("S7", "T7", "seller_auto"), T - 4 * kDay + kSecond);
  // late.count = late + no_response = 3, denominator = on_time + late + no_response = 4.
  EXPECT_EQ(metric("contact_response_late_rate", T), expect("0.75", 3, 4, 30, "0.1", "bad"));
  const ResponseTimesReport r = compute_response_times(rows_, T);
  ASSERT_TRUE(r.windows[1].late_rate.has_value());
  EXPECT_DOUBLE_EQ(*r.windows[1].late_rate, 0.75);
}

TEST_F(AccountHealthTest, ContactResponseTargetIsAtMostTenPercent) {
  for (int n = 0; n < 10; ++n) {
    const std::string id = std::to_string(n);
    add("message.received", received("M" + id, "T" + id), T - 3 * kDay + n * kSecond);
    add("message.sent", sent("S" + id, "T" + id), T - 3 * kDay + (n == 0 ? 30 : 1) * kHour);
  }
  EXPECT_EQ(metric("contact_response_late_rate", T), expect("0.1", 1, 10, 30, "0.1", "good"));
}

std::string return_requested(const std::string& id, int order) {
  return testing::return_requested(id, order_id(order));
}

TEST_F(AccountHealthTest, ReturnResponseLateRate) {
  for (int n = 1; n <= 6; ++n) {
    place(n, T - 60 * kDay);
    ship(n, T - 59 * kDay);
  }
  add("return.requested", return_requested("R1", 1), T - 30 * kDay);  // at the edge: excluded
  add("return.requested", return_requested("R2", 2), T - 5 * kDay);   // authorized in 47 h: on time
  add("return.authorized", testing::return_authorized("R2"), T - 5 * kDay + 47 * kHour);
  add("return.requested", return_requested("R3", 3), T - 4 * kDay);  // closed in 49 h: late
  add("return.closed",
      R"({"return_id":"R3","close_reason":"technical_issue_resolved","closed_by":"seller"})",
      T - 4 * kDay + 49 * kHour);
  add("return.requested", return_requested("R4", 4), T - 3 * kDay);  // undecided past 48 h: late
  add("return.requested", return_requested("R5", 5), T - kHour);     // undecided, not yet due
  add("return.requested", return_requested("R6", 6), T + kSecond);   // after as_of
  EXPECT_EQ(metric("return_response_late_rate", T), expect("0.5", 2, 4, 30, "0.1", "bad"));
}

TEST_F(AccountHealthTest, ReturnResponseGoodWhenAllOnTime) {
  place(1, T - 10 * kDay);
  ship(1, T - 9 * kDay);
  add("return.requested", return_requested("R1", 1), T - 5 * kDay);
  add("return.authorized", testing::return_authorized("R1"), T - 5 * kDay + 48 * kHour);
  EXPECT_EQ(metric("return_response_late_rate", T), expect("0", 0, 1, 30, "0.1", "good"));
}

}  // namespace
}  // namespace carelog::account_health_test
