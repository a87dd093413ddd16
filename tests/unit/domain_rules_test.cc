// Each domain rule of spec/events.md ("What is rejected"), once accepted and
// once rejected, through the ingest step against a real RocksDB log, with
// the rules reading each of their states: the rules' state family (an
// ingest without projections in memory), the sellers' projections in memory
// (the engine), and those projections loaded again from their rows before
// every record (what a restart or an eviction leaves).
#include <gtest/gtest.h>

#include "engine/event_log.h"
#include "engine/ingest.h"
#include "engine/projection_store.h"
#include "tests/unit/test_support.h"

namespace carelog::domain_rules_test {
namespace {

using testing::envelope;
using testing::order_placed;
using testing::refund;
using testing::return_authorized;
using testing::return_requested;

const std::string kOrder = testing::kOrder;

enum class RulesRead { kStateFamily, kProjections, kProjectionsFromRows };

class DomainRulesTest : public ::testing::TestWithParam<RulesRead> {
 protected:
  void SetUp() override { open(); }
  void open() {
    ingestor_.reset();
    store_.reset();
    log_.reset();
    ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
    if (GetParam() != RulesRead::kStateFamily) store_ = std::make_unique<ProjectionStore>(*log_, ReturnsPolicy{});
    ingestor_ = std::make_unique<Ingestor>(*log_, IngestOptions{"t", {}, {}}, metrics_, nullptr, store_.get());
  }
  // Ingests one envelope; returns "" when appended, else the rejection code.
  std::string send(const std::string& type, const std::string& data) {
    std::string value = envelope("ev" + std::to_string(next_id_++), type, data);
    SourceRecord r;
    r.offset = offset_++;
    r.next_offset = r.offset + 1;
    r.value = value;
    uint64_t before = metrics_.rejected.load();
    Status st = ingestor_->ingest(std::span<const SourceRecord>(&r, 1));
    EXPECT_TRUE(st.ok()) << st.message();
    if (GetParam() == RulesRead::kProjectionsFromRows) {
      EXPECT_TRUE(ingestor_->checkpoint().ok());
      store_->clear();  // every seller loads again from the rows the checkpoint wrote
    }
    if (metrics_.rejected.load() == before) return "";
    std::string code;
    log_->list_rejected([&](const RejectedRecord& rr) {
      if (rr.offset == r.offset) code = rr.reason.code;
      return true;
    });
    return code;
  }
  std::string msg_received(const std::string& id, const std::string& order = "") {
    std::string o = order.empty() ? "" : R"(,"order_id":")" + order + R"(")";
    return send("message.received", R"({"message_id":")" + id +
                                        R"(","thread_id":"T1","buyer_id":"B1","buyer_alias":"x8k2@marketplace.amazon.fr")" +
                                        o + R"(,"subject":"Livraison","body":"Où est mon colis ?","auto_reply":false})");
  }

  testing::TempDir dir_;
  EngineMetrics metrics_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<ProjectionStore> store_;
  std::unique_ptr<Ingestor> ingestor_;
  int next_id_ = 0;
  int64_t offset_ = 0;
};

TEST_P(DomainRulesTest, OrdersNeedNewIdsAndKnownOrders) {
  EXPECT_EQ(send("order.shipped", R"({"order_id":"403-9930700-9360319"})"), reject::kUnknownOrder);
  EXPECT_EQ(send("order.placed", order_placed()), "");
  EXPECT_EQ(send("order.placed", order_placed()), reject::kDuplicateEntity);
  EXPECT_EQ(send("order.shipped", R"({"order_id":"403-9930700-9360319"})"), "");
  EXPECT_EQ(send("order.delivered", R"({"order_id":"403-9930700-9360319"})"), "");
  EXPECT_EQ(send("order.cancelled", R"({"order_id":"403-9930700-9360319","cancelled_by":"buyer"})"),
            reject::kOrderState);
}

TEST_P(DomainRulesTest, CancelledOrderCannotShipOrBeReturned) {
  ASSERT_EQ(send("order.placed", order_placed()), "");
  EXPECT_EQ(send("order.cancelled", R"({"order_id":"403-9930700-9360319","cancelled_by":"seller"})"), "");
  EXPECT_EQ(send("order.shipped", R"({"order_id":"403-9930700-9360319"})"), reject::kOrderState);
  EXPECT_EQ(send("return.requested", return_requested("R1")), reject::kOrderState);
}

TEST_P(DomainRulesTest, MessagesReferenceWhatTheSellerHas) {
  EXPECT_EQ(msg_received("M1", kOrder), reject::kUnknownOrder);
  EXPECT_EQ(msg_received("M1"), "");  // before any order: allowed without order_id
  EXPECT_EQ(msg_received("M1"), reject::kDuplicateEntity);
  EXPECT_EQ(send("message.no_response_needed", R"({"message_id":"M404"})"), reject::kUnknownMessage);
  EXPECT_EQ(send("message.no_response_needed", R"({"message_id":"M1"})"), "");
  EXPECT_EQ(send("message.sent", R"({"message_id":"S1","thread_id":"T1","in_reply_to":"M404","body":"Bonjour","sender":"seller"})"),
            reject::kUnknownMessage);
  EXPECT_EQ(send("message.sent", R"({"message_id":"S1","thread_id":"T1","in_reply_to":"M1","body":"Bonjour","sender":"seller"})"), "");
  EXPECT_EQ(send("message.sent", R"({"message_id":"S1","thread_id":"T1","body":"Encore","sender":"seller"})"),
            reject::kDuplicateEntity);
}

TEST_P(DomainRulesTest, ReturnAuthorizedOnceThenCannotBeCancelledByTheBuyer) {
  EXPECT_EQ(send("return.requested", return_requested("R1")), reject::kUnknownOrder);
  ASSERT_EQ(send("order.placed", order_placed()), "");
  EXPECT_EQ(send("return.authorized", return_authorized("R1")), reject::kUnknownReturn);
  EXPECT_EQ(send("return.requested", return_requested("R1")), "");
  EXPECT_EQ(send("return.requested", return_requested("R1")), reject::kDuplicateEntity);
  EXPECT_EQ(send("return.authorized", return_authorized("R1")), "");
  EXPECT_EQ(send("return.authorized", return_authorized("R1")), reject::kAlreadyAuthorized);
  EXPECT_EQ(send("return.cancelled", R"({"return_id":"R1"})"), reject::kReturnAlreadyActed);
}

TEST_P(DomainRulesTest, TerminalReturnsStayTerminal) {
  ASSERT_EQ(send("order.placed", order_placed()), "");
  // Cancelled by the buyer before the seller acted: allowed, then terminal.
  ASSERT_EQ(send("return.requested", return_requested("R1")), "");
  EXPECT_EQ(send("return.cancelled", R"({"return_id":"R1"})"), "");
  EXPECT_EQ(send("return.authorized", return_authorized("R1")), reject::kReturnTerminal);
  // Closed by the seller (the seed's second request): terminal.
  ASSERT_EQ(send("return.requested", return_requested("R2")), "");
  EXPECT_EQ(send("return.closed", R"({"return_id":"R2","close_reason":"duplicate_request","closed_by":"seller"})"), "");
  EXPECT_EQ(send("return.closed", R"({"return_id":"R2","close_reason":"duplicate_request","closed_by":"seller"})"),
            reject::kReturnTerminal);
  EXPECT_EQ(send("return.cancelled", R"({"return_id":"R2"})"), reject::kReturnTerminal);
  EXPECT_EQ(send("return.item_received", R"({"return_id":"R2"})"), reject::kReturnTerminal);
}

TEST_P(DomainRulesTest, RefundsCannotExceedWhatWasPaidAndCompleteTheReturn) {
  ASSERT_EQ(send("order.placed", order_placed(kOrder, "10.00", 2)), "");  // paid 20.00
  ASSERT_EQ(send("return.requested", return_requested("R1")), "");       // one item: 10.00
  ASSERT_EQ(send("return.authorized", return_authorized("R1")), "");
  // Two partial refunds reaching the returned item's value complete the return...
  EXPECT_EQ(send("refund.issued", refund("F1", "4.00", "partial", "R1")), "");
  EXPECT_EQ(send("refund.issued", refund("F1", "4.00", "partial", "R1")), reject::kDuplicateEntity);
  EXPECT_EQ(send("refund.issued", refund("F2", "6.00", "partial", "R1")), "");
  // ... so the return is terminal now.
  EXPECT_EQ(send("return.closed", R"({"return_id":"R1","close_reason":"refund_without_return","closed_by":"seller"})"),
            reject::kReturnTerminal);
  // 10.00 refunded of 20.00: 10.01 more is too much, 10.00 is exactly enough.
  EXPECT_EQ(send("refund.issued", refund("F3", "10.01")), reject::kRefundExceedsPaid);
  EXPECT_EQ(send("refund.issued", refund("F3", "10.00")), "");
  EXPECT_EQ(send("refund.issued", refund("F3", "0.01")), reject::kDuplicateEntity);  // (without a return too)
  EXPECT_EQ(send("refund.issued", refund("F4", "0.01")), reject::kRefundExceedsPaid);
  EXPECT_EQ(send("refund.issued", refund("F5", "1.00", "full", "", "403-0000000-0000000")), reject::kUnknownOrder);
}

TEST_P(DomainRulesTest, AnOrderWhoseTotalWouldOverflowIsRefused) {
  // 999,999,999,999,999.99 x 100 does not fit in 64-bit cents.
  EXPECT_EQ(send("order.placed", order_placed(kOrder, "999999999999999.99", 100)), reject::kOutOfRange);
  EXPECT_EQ(send("order.placed", order_placed(kOrder, "10.00", 3)), "");
}

TEST_P(DomainRulesTest, ClaimsAndFeedbackNeedAKnownOrder) {
  EXPECT_EQ(send("claim.filed", R"({"claim_id":"C1","order_id":"403-9930700-9360319","kind":"a_to_z"})"),
            reject::kUnknownOrder);
  EXPECT_EQ(send("feedback.received", R"({"feedback_id":"F1","order_id":"403-9930700-9360319","rating":1})"),
            reject::kUnknownOrder);
  ASSERT_EQ(send("order.placed", order_placed()), "");
  EXPECT_EQ(send("claim.decided", R"({"claim_id":"C1","outcome":"denied"})"), reject::kUnknownClaim);
  EXPECT_EQ(send("claim.filed", R"({"claim_id":"C1","order_id":"403-9930700-9360319","kind":"a_to_z"})"), "");
  EXPECT_EQ(send("claim.decided", R"({"claim_id":"C1","outcome":"denied"})"), "");
  EXPECT_EQ(send("claim.decided", R"({"claim_id":"C1","outcome":"granted"})"), reject::kClaimDecided);
  EXPECT_EQ(send("feedback.received", R"({"feedback_id":"F1","order_id":"403-9930700-9360319","rating":1})"), "");
  EXPECT_EQ(send("feedback.received", R"({"feedback_id":"F1","order_id":"403-9930700-9360319","rating":1})"),
            reject::kDuplicateEntity);
}

TEST_P(DomainRulesTest, StateSurvivesAReopen) {
  ASSERT_EQ(send("order.placed", order_placed()), "");
  ASSERT_EQ(send("return.requested", return_requested("R1")), "");
  ASSERT_EQ(send("return.authorized", return_authorized("R1")), "");
  ASSERT_TRUE(ingestor_->checkpoint().ok());  // (as the engine does before it stops)
  open();
  EXPECT_EQ(send("return.authorized", return_authorized("R1")), reject::kAlreadyAuthorized);
  EXPECT_EQ(send("order.placed", order_placed()), reject::kDuplicateEntity);
}

INSTANTIATE_TEST_SUITE_P(Reads, DomainRulesTest,
                         ::testing::Values(RulesRead::kStateFamily, RulesRead::kProjections,
                                           RulesRead::kProjectionsFromRows),
                         [](const ::testing::TestParamInfo<RulesRead>& info) {
                           switch (info.param) {
                             case RulesRead::kStateFamily: return "StateFamily";
                             case RulesRead::kProjections: return "Projections";
                             case RulesRead::kProjectionsFromRows: return "ProjectionsFromRows";
                           }
                           return "?";
                         });

}  // namespace
}  // namespace carelog::domain_rules_test
