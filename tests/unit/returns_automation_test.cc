// Returns automation through the ingest step: each settings mode, the policy,
// a missing address, the notifications, and determinism of derived events.
#include <gtest/gtest.h>

#include <cctype>
#include <deque>

#include "engine/event_log.h"
#include "engine/ingest.h"
#include "engine/returns_automation.h"
#include "tests/unit/test_support.h"

namespace carelog::returns_automation_test {
namespace {

using testing::envelope;
using testing::order_placed;
using testing::return_requested;

std::string settings(const std::string& mode, bool links = false, const std::string& line1 = "ma rue") {
  return R"({"auto_authorize":")" + mode +
         R"(","return_window_days":30,"return_address":{"name":"Ma boutique","line1":")" + line1 +
         R"(","city":"ma ville","postal_code":"08140","country":"FR"},"email_action_links":)" +
         (links ? "true" : "false") + "}";
}

class AutomationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
    ingestor_ = std::make_unique<Ingestor>(*log_, IngestOptions{"t", {}, {}}, metrics_, nullptr);
  }
  void send(const std::string& id, const std::string& type, const std::string& data, const std::string& at) {
    values_.push_back(envelope(id, type, data, at));
    SourceRecord r;
    r.offset = offset_++;
    r.next_offset = r.offset + 1;
    r.value = values_.back();
    ASSERT_TRUE(ingestor_->ingest(std::span<const SourceRecord>(&r, 1)).ok());
  }
  // Derived events in log order: "type to/authorized_by template".
  std::vector<std::string> derived() {
    std::vector<std::string> out;
    log_->scan(0, 1, [&](const LogRecord& r, std::string_view) {
      if (!is_derived_event_id(r.event.event_id)) return true;
      if (auto* a = std::get_if<ReturnAuthorized>(&r.event.data)) {
        out.push_back("authorized " + a->return_id + " " + a->rma);
      } else if (auto* n = std::get_if<NotificationRequested>(&r.event.data)) {
        out.push_back(std::string("notify ") + std::string(to_string(n->to)) + " " + n->template_name +
                      (n->action_links ? " +links" : ""));
      }
      return true;
    });
    return out;
  }
  // An order shipped and delivered on 7 January 2013.
  void delivered_order(const std::string& order = testing::kOrder) {
    send("o-" + order, "order.placed", order_placed(order), "2013-01-03T10:00:00+01:00");
    send("s-" + order, "order.shipped", R"({"order_id":")" + order + R"("})", "2013-01-05T10:00:00+01:00");
    send("d-" + order, "order.delivered", R"({"order_id":")" + order + R"("})", "2013-01-07T10:00:00+01:00");
  }

  testing::TempDir dir_;
  EngineMetrics metrics_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<Ingestor> ingestor_;
  std::deque<std::string> values_;
  int64_t offset_ = 0;
};

TEST_F(AutomationTest, OffNotifiesTheSellerAndAuthorizesNothing) {
  send("set", "seller.return_settings_changed", settings("off", true), "2013-01-01T00:00:00+01:00");
  delivered_order();
  send("r1", "return.requested", return_requested("R1"), "2013-01-07T19:36:31+01:00");
  EXPECT_EQ(derived(), (std::vector<std::string>{"notify seller return_requested +links"}));
}

TEST_F(AutomationTest, PolicyAuthorizesInPolicyRequestsOnly) {
  send("set", "seller.return_settings_changed", settings("policy"), "2013-01-01T00:00:00+01:00");
  delivered_order();
  delivered_order("403-0000000-0000002");
  // Inside the 30-day window after delivery: authorized automatically.
  send("r1", "return.requested", return_requested("R1"), "2013-01-07T19:36:31+01:00");
  // 31 days after delivery (outside the window; shipped in January, so no holiday extension).
  send("r2", "return.requested", return_requested("R2", "403-0000000-0000002"), "2013-02-07T10:00:01+01:00");
  EXPECT_EQ(derived(), (std::vector<std::string>{"authorized R1 " + derived_rma("R1"), "notify buyer return_authorized",
                                                 "notify seller return_requested"}));
  // The automatic authorization went through the domain rules: a second one is refused.
  EXPECT_EQ(metrics_.rejected.load(), 0u);
  send("r1-again", "return.authorized", testing::return_authorized("R1"), "2013-01-08T10:00:00+01:00");
  EXPECT_EQ(metrics_.rejections_by_code()[reject::kAlreadyAuthorized], 1u);
}

TEST_F(AutomationTest, AllAuthorizesEvenOutOfPolicy) {
  send("set", "seller.return_settings_changed", settings("all"), "2013-01-01T00:00:00+01:00");
  delivered_order();
  send("r2", "return.requested", return_requested("R2"), "2013-03-01T10:00:00+01:00");
  EXPECT_EQ(derived(), (std::vector<std::string>{"authorized R2 " + derived_rma("R2"), "notify buyer return_authorized"}));
}

TEST_F(AutomationTest, NoUsableAddressMeansNoAuthorizationAndTheSellerIsTold) {
  send("set", "seller.return_settings_changed", settings("all", false, ""), "2013-01-01T00:00:00+01:00");
  delivered_order();
  send("r1", "return.requested", return_requested("R1"), "2013-01-07T19:36:31+01:00");
  EXPECT_EQ(derived(), (std::vector<std::string>{"notify seller return_auto_authorization_failed_no_address"}));
}

TEST_F(AutomationTest, OtherMarketplacesSettingsDoNotApply) {
  // Settings for DE only; the request is on FR: manual.
  std::string de = envelope("set", "seller.return_settings_changed", settings("all"), "2013-01-01T00:00:00+01:00");
  de.replace(de.find("\"FR\""), 4, "\"DE\"");
  values_.push_back(de);
  SourceRecord r{0, offset_, offset_ + 1, std::nullopt, values_.back()};
  ++offset_;
  ASSERT_TRUE(ingestor_->ingest(std::span<const SourceRecord>(&r, 1)).ok());
  delivered_order();
  send("r1", "return.requested", return_requested("R1"), "2013-01-07T19:36:31+01:00");
  EXPECT_EQ(derived(), (std::vector<std::string>{"notify seller return_requested"}));
}

TEST_F(AutomationTest, ClosuresAndCancellationsNotifyTheOtherParty) {
  delivered_order();
  send("r1", "return.requested", return_requested("R1"), "2013-01-07T19:36:31+01:00");
  send("r2", "return.requested", return_requested("R2"), "2013-01-07T19:42:10+01:00");
  send("r3", "return.requested", return_requested("R3"), "2013-01-07T19:50:00+01:00");
  send("c1", "return.closed", R"({"return_id":"R1","close_reason":"duplicate_request","closed_by":"seller"})",
       "2013-01-08T10:00:00+01:00");
  send("c2", "return.cancelled", R"({"return_id":"R2"})", "2013-01-08T11:00:00+01:00");
  send("c3", "return.closed", R"({"return_id":"R3","close_reason":"return_window_expired","closed_by":"marketplace"})",
       "2013-01-08T12:00:00+01:00");
  EXPECT_EQ(derived(), (std::vector<std::string>{"notify seller return_requested", "notify seller return_requested",
                                                 "notify seller return_requested", "notify buyer return_closed",
                                                 "notify seller return_cancelled", "notify buyer return_closed",
                                                 "notify seller return_closed"}));
}

TEST_F(AutomationTest, DerivedIdsAndRmaAreDeterministic) {
  EXPECT_EQ(derived_rma("R1"), derived_rma("R1"));
  EXPECT_NE(derived_rma("R1"), derived_rma("R2"));
  EXPECT_EQ(derived_rma("R1").size(), 10u);
  for (char c : derived_rma("R1")) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
  send("set", "seller.return_settings_changed", settings("all"), "2013-01-01T00:00:00+01:00");
  delivered_order();
  send("r1", "return.requested", return_requested("R1"), "2013-01-07T19:36:31+01:00");
  std::vector<std::string> ids;
  log_->scan(0, 1, [&](const LogRecord& r, std::string_view) {
    if (is_derived_event_id(r.event.event_id)) ids.push_back(r.event.event_id);
    return true;
  });
  EXPECT_EQ(ids, (std::vector<std::string>{"derived:r1:1", "derived:r1:2"}));
  EXPECT_EQ(log_->derived_after(0, 0, 10).size(), 2u);
}

}  // namespace
}  // namespace carelog::returns_automation_test
