// The per-order audit trail (spec/projections.md §5): every event of an order,
// its messages, returns, refunds, claims and feedback, in log order with seq
// and hash, and the original envelope bytes verbatim.
#include "projections/order_history.h"

#include <gtest/gtest.h>

#include <array>
#include <map>

#include "events/json_decoder.h"
#include "projections/memory_rows.h"
#include "tests/unit/test_support.h"

namespace carelog::order_history_test {
namespace {

using testing::envelope;
using testing::order_placed;
using testing::refund;
using testing::return_authorized;
using testing::return_requested;

const std::string kOrderA = testing::kOrder;
const std::string kOrderB = "403-1111111-2222222";
const std::string kSeller = "A2SELLER0001";

std::array<uint8_t, 32> hash_of(uint64_t seq) {
  std::array<uint8_t, 32> h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(seq * 31 + i * 7);
  return h;
}

std::string hex(const std::array<uint8_t, 32>& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : h) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string message_received(const std::string& id, const std::string& thread,
                             const std::string& order = "") {
  std::string d = R"({"message_id":")" + id + R"(","thread_id":")" + thread +
                  R"(","buyer_id":"BUYER-DIENGOUDI","buyer_alias":"x8k2@marketplace.amazon.fr",)";
  if (!order.empty()) d += R"("order_id":")" + order + R"(",)";
  return d + R"("subject":"Question","body":"Bonjour","auto_reply":false})";
}

std::string message_sent(const std::string& id, const std::string& thread,
                         const std::string& in_reply_to = "", const std::string& order = "") {
  std::string d = R"({"message_id":")" + id + R"(","thread_id":")" + thread + R"(",)";
  if (!in_reply_to.empty()) d += R"("in_reply_to":")" + in_reply_to + R"(",)";
  if (!order.empty()) d += R"("order_id":")" + order + R"(",)";
  return d + R"("body":"Bonjour, merci.","sender":"seller"})";
}

class OrderHistoryTest : public ::testing::Test {
 protected:
  OrderHistoryTest() : decoder_(DecoderOptions{.allow_derived_types = true}) {}

  // Appends one event; returns its seq.
  uint64_t add(const std::string& type, const std::string& data) {
    const uint64_t seq = next_seq_++;
    std::string bytes = envelope("ev-" + std::to_string(seq), type, data);
    auto decoded = decoder_.decode(bytes);
    EXPECT_TRUE(decoded.ok()) << type << ": " << bytes;
    if (!decoded.ok()) return seq;
    const auto hash = hash_of(seq);
    projection_.apply(AppliedEvent{decoded.value(), 0, seq, hash}, rows_);
    envelopes_[seq] = bytes;
    return seq;
  }

  std::optional<std::string> history(const std::string& order_id) {
    return order_history_json(rows_, kSeller, order_id,
                              [this](uint64_t seq) -> std::optional<std::string> {
                                auto it = envelopes_.find(seq);
                                if (it == envelopes_.end()) return std::nullopt;
                                return it->second;
                              });
  }

  std::string expected(const std::string& order_id, const std::vector<uint64_t>& seqs) {
    std::string out =
        R"({"seller_id":")" + kSeller + R"(","order_id":")" + order_id + R"(","events":[)";
    for (size_t i = 0; i < seqs.size(); ++i) {
      if (i) out += ',';
      auto it = envelopes_.find(seqs[i]);
      out += R"({"seq":)" + std::to_string(seqs[i]) + R"(,"hash":")" + hex(hash_of(seqs[i])) +
             R"(","event":)" + (it == envelopes_.end() ? std::string("null") : it->second) + "}";
    }
    return out + "]}";
  }

  JsonDecoder decoder_;
  OrderHistoryProjection projection_;
  MemoryRows rows_;
  std::map<uint64_t, std::string> envelopes_;
  uint64_t next_seq_ = 1;
};

TEST_F(OrderHistoryTest, ListsEveryEventOfTheOrderInLogOrder) {
  std::vector<uint64_t> a, b;
  a.push_back(add("order.placed", order_placed(kOrderA)));
  b.push_back(add("order.placed", order_placed(kOrderB)));
  // A thread tied to order A by its first message; the reply names only the
  // message it answers, the buyer's follow-up only the thread.
  a.push_back(add("message.received", message_received("MSG-1", "THR-A", kOrderA)));
  a.push_back(add("message.sent", message_sent("MSG-2", "THR-A", "MSG-1")));
  a.push_back(add("message.received", message_received("MSG-3", "THR-A")));
  a.push_back(add("message.no_response_needed", R"({"message_id":"MSG-3"})"));
  b.push_back(add("message.received", message_received("MSG-4", "THR-B", kOrderB)));
  b.push_back(add("message.sent", message_sent("MSG-5", "THR-B")));
  add("message.received", message_received("MSG-6", "THR-NONE"));  // no order at all
  add("message.no_response_needed", R"({"message_id":"MSG-6"})");
  a.push_back(add("order.shipped", R"({"order_id":")" + kOrderA + R"(","carrier":"Colissimo"})"));
  a.push_back(add("order.delivered", R"({"order_id":")" + kOrderA + R"("})"));
  a.push_back(add("return.requested", return_requested("RET-A", kOrderA)));
  b.push_back(add("return.requested", return_requested("RET-B", kOrderB)));
  a.push_back(add("return.authorized", return_authorized("RET-A")));
  a.push_back(add("notification.requested",
                  R"({"to":"buyer","template":"return_authorized","return_id":"RET-A"})"));
  a.push_back(add("return.item_received", R"({"return_id":"RET-A","condition":"damaged"})"));
  a.push_back(add("refund.issued", refund("RFD-A", "1.00", "full", "RET-A", kOrderA)));
  a.push_back(add(
      "return.closed",
      R"({"return_id":"RET-A","close_reason":"technical_issue_resolved","closed_by":"seller"})"));
  b.push_back(add("return.cancelled", R"({"return_id":"RET-B"})"));
  a.push_back(add("claim.filed",
                  R"({"claim_id":"CLM-A","order_id":")" + kOrderA + R"(","kind":"a_to_z"})"));
  b.push_back(add("claim.filed",
                  R"({"claim_id":"CLM-B","order_id":")" + kOrderB + R"(","kind":"chargeback"})"));
  a.push_back(add("claim.decided", R"({"claim_id":"CLM-A","outcome":"denied"})"));
  b.push_back(add("claim.decided", R"({"claim_id":"CLM-B","outcome":"granted"})"));
  a.push_back(add("feedback.received",
                  R"({"feedback_id":"FB-A","order_id":")" + kOrderA + R"(","rating":2})"));
  add("seller.return_settings_changed",
      R"({"auto_authorize":"off","return_window_days":30,"return_address":{"name":"A","line1":"B","city":"Paris","postal_code":"75015","country":"FR"},"email_action_links":false})");
  b.push_back(
      add("order.cancelled", R"({"order_id":")" + kOrderB + R"(","cancelled_by":"buyer"})"));
  a.push_back(add("message.sent", message_sent("MSG-7", "THR-A")));  // later in A's thread

  ASSERT_EQ(a.size(), 17u);
  auto got_a = history(kOrderA);
  ASSERT_TRUE(got_a.has_value());
  EXPECT_EQ(*got_a, expected(kOrderA, a));

  ASSERT_EQ(b.size(), 8u);
  auto got_b = history(kOrderB);
  ASSERT_TRUE(got_b.has_value());
  EXPECT_EQ(*got_b, expected(kOrderB, b));
}

TEST_F(OrderHistoryTest, ExplicitOrderIdWinsOverTheThread) {
  add("order.placed", order_placed(kOrderA));
  add("order.placed", order_placed(kOrderB));
  const uint64_t first = add("message.received", message_received("MSG-1", "THR-1", kOrderA));
  const uint64_t other = add("message.sent", message_sent("MSG-2", "THR-1", "", kOrderB));
  const uint64_t later = add("message.received", message_received("MSG-3", "THR-1"));
  EXPECT_EQ(*history(kOrderA), expected(kOrderA, {1, first, later}));
  EXPECT_EQ(*history(kOrderB), expected(kOrderB, {2, other}));
}

TEST_F(OrderHistoryTest, UnknownOrderIsNullopt) {
  add("order.placed", order_placed(kOrderA));
  EXPECT_FALSE(history(kOrderB).has_value());
  EXPECT_FALSE(history("403-9930700-936031").has_value());  // a prefix of A's id
  EXPECT_FALSE(history("").has_value());
}

TEST_F(OrderHistoryTest, MissingEnvelopeIsNull) {
  const uint64_t seq = add("order.placed", order_placed(kOrderA));
  envelopes_.erase(seq);
  EXPECT_EQ(*history(kOrderA), R"({"seller_id":")" + kSeller + R"(","order_id":")" + kOrderA +
                                   R"(","events":[{"seq":1,"hash":")" + hex(hash_of(1)) +
                                   R"(","event":null}]})");
}

TEST_F(OrderHistoryTest, SeqOrderIsNumericNotLexicographic) {
  next_seq_ = 255;
  std::vector<uint64_t> a;
  a.push_back(add("order.placed", order_placed(kOrderA)));                    // 255
  a.push_back(add("order.shipped", R"({"order_id":")" + kOrderA + R"("})"));  // 256
  next_seq_ = 1'000'000;
  a.push_back(add("order.delivered", R"({"order_id":")" + kOrderA + R"("})"));
  EXPECT_EQ(*history(kOrderA), expected(kOrderA, a));
}

}  // namespace
}  // namespace carelog::order_history_test
