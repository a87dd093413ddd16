// Sellers' commands on the engine side (engine/command.h, command_desk.h,
// Ingestor::decide_commands): decided against the state the ingest folded,
// refused without a trace, appended exactly once, and a command's event
// produced twice (a retry after a restart) taken as a duplicate.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/command.h"
#include "engine/command_desk.h"
#include "engine/event_log.h"
#include "engine/ingest.h"
#include "engine/projection_store.h"
#include "engine/returns_automation.h"
#include "tests/unit/test_support.h"

namespace carelog::commands_test {
namespace {

using testing::envelope;
using testing::TempDir;

constexpr const char* kSeller = "A2SELLER0001";

std::string settings_with_address() {
  return R"({"auto_authorize":"off","return_window_days":30,"return_address":{"name":"Ma boutique","line1":"ma rue","city":"ma ville","postal_code":"08140","country":"FR"},"email_action_links":false})";
}

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { open(/*ingest_appends=*/true); }

  void open(bool ingest_appends) {
    ingestor_.reset();
    store_.reset();
    log_.reset();
    ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
    store_ = std::make_unique<ProjectionStore>(*log_, ReturnsPolicy{});
    ingestor_ = std::make_unique<Ingestor>(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_,
                                           nullptr, store_.get());
    desk_ = std::make_unique<CommandDesk>(ingest_appends);
    ingestor_->set_command_desk(desk_.get());
  }

  // Source records at the next offsets of partition 0.
  BatchResult feed(const std::vector<std::string>& values) {
    kept_.insert(kept_.end(), values.begin(), values.end());
    std::vector<SourceRecord> records;
    for (size_t i = kept_.size() - values.size(); i < kept_.size(); ++i) {
      SourceRecord r;
      r.offset = static_cast<int64_t>(i);
      r.next_offset = r.offset + 1;
      r.value = kept_[i];
      records.push_back(r);
    }
    BatchResult res;
    EXPECT_TRUE(ingestor_->ingest(records, &res).ok());
    return res;
  }

  void feed_seed() {
    feed({envelope("set", "seller.return_settings_changed", settings_with_address(),
                   "2013-01-01T00:00:00+01:00"),
          envelope("o1", "order.placed", testing::order_placed(testing::kOrder, "9.90", 2)),
          envelope("r1", "return.requested", testing::return_requested("R1"),
                   "2013-01-09T10:00:00+01:00"),
          envelope("r2", "return.requested", testing::return_requested("R2"),
                   "2013-01-09T10:00:00+01:00")});
  }

  static Command command(CommandKind kind, std::string target, std::string body,
                         std::string key = "") {
    Command c;
    c.kind = kind;
    c.seller_id = kSeller;
    c.target = std::move(target);
    EXPECT_FALSE(read_command_body(body, c).has_value()) << body;
    c.event_id = command_event_id(kSeller, key);
    c.request_digest = command_request_digest(kind, c.target, body);
    c.acted_by = kSeller;
    c.request_id = "req-1";
    c.now_micros = 1'764'000'000'000'000;  // 2025-11-24, whole milliseconds
    return c;
  }

  // Opens the command's ticket, lets the ingestor decide it, and returns where it stands.
  CommandDesk::Snapshot decide(Command c) {
    bool joined = false;
    auto ticket = desk_->open(std::move(c), joined);
    EXPECT_TRUE(ingestor_->decide_commands().ok());
    return desk_->wait_past(ticket, CommandDesk::Stage::kUndecided,
                            std::chrono::steady_clock::now());
  }

  uint64_t head() const { return log_->head(0).seq; }

  TempDir dir_;
  EngineMetrics metrics_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<ProjectionStore> store_;
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<CommandDesk> desk_;
  std::vector<std::string> kept_;  // the values the source records point into
};

TEST_F(CommandsTest, AnAuthorizationTakesTheDerivedRmaAndTheMarketplaceAddress) {
  feed_seed();
  const uint64_t before = head();
  CommandDesk::Snapshot s = decide(command(CommandKind::kAuthorize, "R1", "{}"));
  ASSERT_EQ(s.stage, CommandDesk::Stage::kLogged)
      << s.refusal.why.code << ": " << s.refusal.why.message;
  EXPECT_EQ(s.seq, before + 1);
  std::optional<LogRecord> r = log_->read_record(s.partition, s.seq);
  ASSERT_TRUE(r.has_value());
  const auto& a = std::get<ReturnAuthorized>(r->event.data);
  EXPECT_EQ(a.rma, derived_rma("R1"));
  EXPECT_EQ(a.return_address.name, "Ma boutique");
  EXPECT_EQ(a.label, LabelKind::kUnpaid);
  EXPECT_EQ(a.authorized_by, AuthorizedBy::kSeller);
  EXPECT_EQ(r->event.occurred_at.micros, 1'764'000'000'000'000);
  EXPECT_NE(r->original.find(R"("acted_by":"A2SELLER0001","request_id":"req-1")"),
            std::string::npos);
  EXPECT_EQ(recorded_request_digest(r->original),
            command_request_digest(CommandKind::kAuthorize, "R1", "{}"));
}

TEST_F(CommandsTest, ARuleBrokenRefusesWithItsStatusAndAppendsNothing) {
  feed_seed();
  ASSERT_EQ(
      decide(command(CommandKind::kClose, "R2", R"({"close_reason":"duplicate_request"})")).stage,
      CommandDesk::Stage::kLogged);
  const uint64_t before = head();
  struct Case {
    Command c;
    int status;
    const char* code;
    const char* field;
  };
  const Case cases[] = {
      {command(CommandKind::kAuthorize, "R2", "{}"), 409, "return_terminal", "return_id"},
      {command(CommandKind::kAuthorize, "R9", "{}"), 404, "unknown_return", "return_id"},
      {command(
           CommandKind::kRefund, "",
           R"({"order_id":"403-9930700-9360319","amount":{"amount":"19.81","currency":"EUR"},"refund_kind":"partial"})"),
       422, "refund_exceeds_paid", "amount"},
      {command(CommandKind::kReply, "m1", R"({"body":"?"})"), 404, "unknown_message", "message_id"},
      {command(CommandKind::kClose, "R1", R"({"close_reason":"no_reason"})"), 422, "invalid_enum",
       "close_reason"},
      {command(CommandKind::kAuthorize, "R1", R"({"rma":""})"), 422, "invalid_length", "rma"},
  };
  for (const Case& k : cases) {
    CommandDesk::Snapshot s = decide(k.c);
    ASSERT_EQ(s.stage, CommandDesk::Stage::kRefused) << k.code;
    EXPECT_EQ(s.refusal.status, k.status) << k.code;
    EXPECT_EQ(s.refusal.why.code, k.code);
    EXPECT_EQ(s.refusal.why.field, k.field) << k.code;
  }
  EXPECT_EQ(head(), before);
}

TEST_F(CommandsTest, IfMatchActsOnlyOnTheVersionTheSellerSaw) {
  feed_seed();
  feed({envelope(
      "m1", "message.received",
      R"({"message_id":"m1","thread_id":"t1","buyer_id":"B1","buyer_alias":"x@marketplace.amazon.fr","subject":"?","body":"?","auto_reply":false})",
      "2013-01-10T10:00:00+01:00")});
  // The return's version: the seq of its request (nothing changed it since).
  const uint64_t requested = log_->find_event_id(kSeller, "r1")->seq;
  Command stale = command(CommandKind::kClose, "R1", R"({"close_reason":"duplicate_request"})");
  stale.expected_version = requested + 100;
  CommandDesk::Snapshot s = decide(stale);
  ASSERT_EQ(s.stage, CommandDesk::Stage::kRefused);
  EXPECT_EQ(s.refusal.status, 409);
  EXPECT_EQ(s.refusal.why.code, "version_conflict");
  Command current = command(CommandKind::kAuthorize, "R1", "{}");
  current.expected_version = requested;
  s = decide(current);
  ASSERT_EQ(s.stage, CommandDesk::Stage::kLogged) << s.refusal.why.message;
  // The authorization moved the version: the version read before is stale now.
  stale = command(CommandKind::kClose, "R1", R"({"close_reason":"duplicate_request"})");
  stale.expected_version = requested;
  EXPECT_EQ(decide(stale).refusal.why.code, "version_conflict");
  stale.expected_version = s.seq;
  stale.event_id = command_event_id(kSeller, "");
  EXPECT_EQ(decide(stale).stage, CommandDesk::Stage::kLogged);

  // A message's version moves with a seller's reply in its thread (a
  // colleague answered meanwhile): a second reply at the old version is refused.
  const uint64_t received = log_->find_event_id(kSeller, "m1")->seq;
  Command first = command(CommandKind::kReply, "m1", R"({"body":"Bonjour"})");
  first.expected_version = received;
  CommandDesk::Snapshot replied = decide(first);
  ASSERT_EQ(replied.stage, CommandDesk::Stage::kLogged) << replied.refusal.why.message;
  Command second = command(CommandKind::kReply, "m1", R"({"body":"Bonjour aussi"})");
  second.expected_version = received;
  EXPECT_EQ(decide(second).refusal.why.code, "version_conflict");
  // A settings change has no version to match.
  Command settings = command(CommandKind::kReturnSettings, "FR", R"({"auto_authorize":"all"})");
  settings.expected_version = 1;
  EXPECT_EQ(decide(settings).refusal.status, 400);
}

TEST_F(CommandsTest, NoAddressGivenNorConfiguredIsRefused) {
  feed({envelope("o1", "order.placed", testing::order_placed()),
        envelope("r1", "return.requested", testing::return_requested("R1"))});
  CommandDesk::Snapshot s = decide(command(CommandKind::kAuthorize, "R1", "{}"));
  ASSERT_EQ(s.stage, CommandDesk::Stage::kRefused);
  EXPECT_EQ(s.refusal.status, 422);
  EXPECT_EQ(s.refusal.why.code, "return_address_missing");
}

TEST_F(CommandsTest, ARetryIsAnsweredFromTheLogAndAnotherRequestUnderItsKeyIsRefused) {
  feed_seed();
  CommandDesk::Snapshot first = decide(command(CommandKind::kAuthorize, "R1", "{}", "key-1"));
  ASSERT_EQ(first.stage, CommandDesk::Stage::kLogged);
  const uint64_t after = head();
  CommandDesk::Snapshot again = decide(command(CommandKind::kAuthorize, "R1", "{}", "key-1"));
  ASSERT_EQ(again.stage, CommandDesk::Stage::kLogged);
  EXPECT_EQ(again.seq, first.seq);
  CommandDesk::Snapshot other =
      decide(command(CommandKind::kAuthorize, "R1", R"({"label":"prepaid"})", "key-1"));
  ASSERT_EQ(other.stage, CommandDesk::Stage::kRefused);
  EXPECT_EQ(other.refusal.why.code, "idempotency_key_reused");
  EXPECT_EQ(head(), after);
}

TEST_F(CommandsTest, SettingsKeepWhatTheCommandDoesNotName) {
  feed_seed();
  CommandDesk::Snapshot s =
      decide(command(CommandKind::kReturnSettings, "FR", R"({"auto_authorize":"all"})"));
  ASSERT_EQ(s.stage, CommandDesk::Stage::kLogged) << s.refusal.why.message;
  const std::optional<LogRecord> record = log_->read_record(s.partition, s.seq);
  ASSERT_TRUE(record.has_value());
  const auto& changed = std::get<ReturnSettingsChanged>(record->event.data);
  EXPECT_EQ(changed.auto_authorize, AutoAuthorize::kAll);
  EXPECT_EQ(changed.return_window_days, 30);
  EXPECT_EQ(changed.return_address.postal_code, "08140");
  // A marketplace without settings has no address to keep: one must be given.
  CommandDesk::Snapshot de =
      decide(command(CommandKind::kReturnSettings, "DE", R"({"auto_authorize":"all"})"));
  ASSERT_EQ(de.stage, CommandDesk::Stage::kRefused);
  EXPECT_EQ(de.refusal.why.code, "missing_field");
  EXPECT_EQ(de.refusal.why.field, "return_address");
}

// With a Kafka source the event travels through the topic: the ingest's own
// rules have the last word, and a second production of the same command is
// a duplicate.
TEST_F(CommandsTest, TheIngestDecidesLastAndTakesACommandProducedTwiceAsADuplicate) {
  open(/*ingest_appends=*/false);
  feed_seed();
  bool joined = false;
  auto ticket = desk_->open(command(CommandKind::kAuthorize, "R1", "{}", "k"), joined);
  ASSERT_TRUE(ingestor_->decide_commands().ok());
  CommandDesk::Snapshot s =
      desk_->wait_past(ticket, CommandDesk::Stage::kUndecided, std::chrono::steady_clock::now());
  ASSERT_EQ(s.stage, CommandDesk::Stage::kAccepted);
  const uint64_t before = head();
  // The "produced" event comes back from the source, twice: the second
  // production (a retry after a restart) has another occurred_at.
  std::string again = s.envelope;
  const size_t at = again.find("2025-11-24");
  ASSERT_NE(at, std::string::npos);
  again.replace(at, 10, "2025-11-25");
  BatchResult res = feed({s.envelope, again});
  EXPECT_EQ(res.appended, 1u);
  EXPECT_EQ(res.duplicates, 1u);
  EXPECT_EQ(res.rejected, 0u);
  s = desk_->wait_past(ticket, CommandDesk::Stage::kAccepted, std::chrono::steady_clock::now());
  ASSERT_EQ(s.stage, CommandDesk::Stage::kLogged);
  EXPECT_EQ(s.seq, before + 1);
  // Other content under a command's id, from another request, is still a conflict.
  std::string forged = s.envelope;
  forged.replace(forged.find(R"("request_digest":")") + 18, 4, "ffff");
  forged.replace(forged.find(R"("label":"unpaid")"), 16, R"("label":"prepaid")");
  res = feed({forged});
  EXPECT_EQ(res.rejected, 1u);

  // Accepted, then overtaken: the feed closes R2 before the command's event arrives.
  auto late = desk_->open(command(CommandKind::kAuthorize, "R2", "{}"), joined);
  ASSERT_TRUE(ingestor_->decide_commands().ok());
  s = desk_->wait_past(late, CommandDesk::Stage::kUndecided, std::chrono::steady_clock::now());
  ASSERT_EQ(s.stage, CommandDesk::Stage::kAccepted);
  res = feed(
      {envelope("c2", "return.closed",
                R"({"return_id":"R2","close_reason":"duplicate_request","closed_by":"buyer"})"),
       s.envelope});
  EXPECT_EQ(res.rejected, 1u);
  s = desk_->wait_past(late, CommandDesk::Stage::kAccepted, std::chrono::steady_clock::now());
  ASSERT_EQ(s.stage, CommandDesk::Stage::kRefused);
  EXPECT_EQ(s.refusal.status, 409);
  EXPECT_EQ(s.refusal.why.code, "return_terminal");
}

TEST(CommandBody, OnlyTheCommandsMembersOnceEach) {
  Command c;
  c.kind = CommandKind::kClose;
  EXPECT_FALSE(read_command_body("", c).has_value());
  EXPECT_TRUE(c.fields.empty());
  ASSERT_FALSE(read_command_body(R"({"close_reason":"duplicate_request","message":"Doublon."})", c)
                   .has_value());
  ASSERT_EQ(c.fields.size(), 2u);
  EXPECT_EQ(c.fields[1].second, R"("Doublon.")");
  auto refused = read_command_body(R"({"close_reason":"a","colour":"blue"})", c);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->why.code, "unknown_field");
  EXPECT_EQ(refused->why.field, "colour");
  refused = read_command_body(R"({"message":"a","message":"b"})", c);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->why.code, "duplicate_key");
  refused = read_command_body("[1]", c);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 400);
  refused = read_command_body("{", c);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->why.code, "invalid_json");
}

TEST(CommandIds, AKeyNamesOneEventPerSeller) {
  EXPECT_EQ(command_event_id("A", "k"), command_event_id("A", "k"));
  EXPECT_NE(command_event_id("A", "k"), command_event_id("B", "k"));
  EXPECT_NE(command_event_id("A", "k"), command_event_id("A", "k2"));
  EXPECT_NE(command_event_id("A", ""), command_event_id("A", ""));  // no key: a new event each time
  EXPECT_EQ(command_event_id("A", "k").size(), 4u + 32u);
  EXPECT_TRUE(is_command_event_id(command_event_id("A", "k")));
  EXPECT_NE(command_request_digest(CommandKind::kClose, "R1", "{}"),
            command_request_digest(CommandKind::kClose, "R2", "{}"));
}

}  // namespace
}  // namespace carelog::commands_test
