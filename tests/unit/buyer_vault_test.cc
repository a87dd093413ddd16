// Crypto-shredding: buyer-identifying text is stored sealed under a key per
// seller+buyer; forget_buyer destroys the key, after which the text reads
// "[erased]" everywhere, every count stays, the chain still verifies, and the
// plain text is nowhere in the data dir's files.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/debug.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>

#include "connectors/query_service.h"
#include "engine/buyer_vault.h"
#include "engine/erasure.h"
#include "engine/event_log.h"
#include "engine/ingest.h"
#include "engine/log_verify.h"
#include "engine/replay.h"
#include "tests/unit/test_support.h"

namespace carelog::buyer_vault_test {
namespace {

using testing::envelope;
using testing::kOrder;
using testing::order_placed;
using testing::TempDir;

// Text only the buyer BUYER-DIENGOUDI wrote or was written.
const std::string kBody = "Ma peluche Hello Kitty est arrivee dechiree, signe Carole-Xq7";
const std::string kAlias = "Diengoudi-Zk4";
const std::string kReply = "Bonjour Carole-Xq7, nous vous remboursons";
const std::string kComment = "Couture ouverte sur le cote-Wq2";
const std::string kFeedback = "Vendeur tres reactif-Fb9";
// Another buyer's text, which must survive.
const std::string kOtherBody = "Colis jamais recu-Other5";
const std::string kOtherAlias = "OtherAlias-Q3";

std::vector<std::string> feed() {
  const std::string other_order = "403-1111111-2222222";
  std::string other_placed = order_placed(other_order);
  other_placed.replace(other_placed.find("BUYER-DIENGOUDI"), 15, "BUYER-OTHER");
  return {
      envelope("e1", "order.placed", order_placed(), "2013-01-07T10:00:00+01:00"),
      envelope("e2", "message.received",
               R"({"message_id":"m1","thread_id":"t1","buyer_id":"BUYER-DIENGOUDI","buyer_alias":")" + kAlias +
                   R"(","order_id":")" + kOrder + R"(","subject":"Peluche abimee","body":")" + kBody +
                   R"(","auto_reply":false})",
               "2013-01-07T11:00:00+01:00"),
      envelope("e3", "message.sent",
               R"({"message_id":"s1","thread_id":"t1","in_reply_to":"m1","body":")" + kReply +
                   R"(","sender":"seller"})",
               "2013-01-07T12:00:00+01:00"),
      envelope("e4", "return.requested",
               R"({"return_id":"RET-1","order_id":")" + std::string(kOrder) +
                   R"(","buyer_id":"BUYER-DIENGOUDI","items":[{"sku":"JEM-021835","asin":"B00HELLOKT","quantity":1}],"reason":"defective","comment":")" +
                   kComment + R"(","gift":false})",
               "2013-01-07T13:00:00+01:00"),
      envelope("e5", "feedback.received",
               R"({"feedback_id":"f1","order_id":")" + std::string(kOrder) + R"(","rating":5,"comment":")" +
                   kFeedback + R"("})",
               "2013-01-08T10:00:00+01:00"),
      envelope("e6", "order.placed", other_placed, "2013-01-07T10:30:00+01:00"),
      envelope("e7", "message.received",
               R"({"message_id":"m2","thread_id":"t2","buyer_id":"BUYER-OTHER","buyer_alias":")" + kOtherAlias + R"(","order_id":")" +
                   other_order + R"(","subject":"Colis","body":")" + kOtherBody + R"(","auto_reply":false})",
               "2013-01-07T11:30:00+01:00"),
  };
}

// Every file of the data dir, as bytes.
std::string all_files(const std::string& dir) {
  std::string out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out += ss.str();
  }
  return out;
}

class BuyerVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
    Ingestor ingestor(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_, nullptr);
    lines_ = feed();
    std::vector<SourceRecord> recs = testing::source_records(lines_, 0, lines_.size());
    BatchResult res;
    ASSERT_TRUE(ingestor.ingest(recs, &res).ok());
    ASSERT_EQ(res.appended, lines_.size());
    ASSERT_EQ(res.rejected, 0u);
  }
  // The source records (the notifications the engine derives left out).
  std::vector<LogRecord> records() {
    std::vector<LogRecord> out;
    EXPECT_TRUE(log_->scan(0, 1, [&](const LogRecord& r, std::string_view) {
                      if (r.source_offset >= 0) out.push_back(r);
                      return true;
                    }).ok());
    return out;
  }
  std::string raw_log() {
    std::string out;
    EXPECT_TRUE(log_->scan_raw(0, [&](uint64_t, std::string_view v) {
                      out.append(v);
                      return true;
                    }).ok());
    return out;
  }
  std::string answers() {
    QueryService q(*log_, nullptr);
    return q.messages("A2SELLER0001", {}).body + q.returns("A2SELLER0001", {}).body +
           q.response_times("A2SELLER0001", {}).body + q.account_health("A2SELLER0001", {}).body;
  }

  TempDir dir_;
  EngineMetrics metrics_;
  std::unique_ptr<EventLog> log_;
  std::vector<std::string> lines_;
};

TEST_F(BuyerVaultTest, StoredSealedAndReadBackExactly) {
  std::string raw = raw_log();
  for (const auto& text : {kBody, kAlias, kReply, kComment, kFeedback, kOtherBody}) {
    EXPECT_EQ(raw.find(text), std::string::npos) << text << " is stored in clear";
  }
  auto recs = records();
  ASSERT_EQ(recs.size(), lines_.size());
  for (size_t i = 0; i < recs.size(); ++i) EXPECT_EQ(recs[i].original, lines_[i]) << i;
  EXPECT_EQ(recs[1].sealed_for, "BUYER-DIENGOUDI");
  EXPECT_EQ(recs[2].sealed_for, "BUYER-DIENGOUDI");  // the seller's reply, through its thread
  EXPECT_EQ(recs[4].sealed_for, "BUYER-DIENGOUDI");  // feedback, through its order
  EXPECT_EQ(recs[6].sealed_for, "BUYER-OTHER");
  EXPECT_EQ(recs[0].sealed_for, "");  // nothing to seal in an order
  EXPECT_EQ(std::get<MessageReceived>(recs[1].event.data).body, kBody);
  EXPECT_NE(answers().find(kAlias), std::string::npos);
}

TEST_F(BuyerVaultTest, ForgettingTheBuyerErasesTheTextEverywhereAndChangesNoCount) {
  QueryService q(*log_, nullptr);
  const std::string times_before = q.response_times("A2SELLER0001", {}).body;
  const std::string health_before = q.account_health("A2SELLER0001", {}).body;
  // The projections keep the alias and the return comment (not bodies: those
  // are read from the log); before the erasure they are on disk in clear.
  std::string before = all_files(dir_.str());
  ASSERT_NE(before.find(kAlias), std::string::npos) << "the test could not fail";
  ASSERT_NE(before.find(kComment), std::string::npos) << "the test could not fail";

  ErasureReport report;
  ASSERT_TRUE(forget_buyer(*log_, ProjectorOptions{}, "A2SELLER0001", "BUYER-DIENGOUDI", report).ok());
  EXPECT_TRUE(report.key_found);
  EXPECT_EQ(report.records_refolded, log_->head(0).seq);  // the seller's records, derived ones included

  auto recs = records();
  ASSERT_EQ(recs.size(), lines_.size());
  EXPECT_EQ(std::get<MessageReceived>(recs[1].event.data).body, kErasedText);
  EXPECT_EQ(std::get<MessageReceived>(recs[1].event.data).buyer_alias, kErasedText);
  EXPECT_EQ(std::get<MessageSent>(recs[2].event.data).body, kErasedText);
  EXPECT_EQ(*std::get<ReturnRequested>(recs[3].event.data).comment, kErasedText);
  EXPECT_EQ(*std::get<FeedbackReceived>(recs[4].event.data).comment, kErasedText);
  EXPECT_NE(recs[1].original.find("[erased]"), std::string::npos);
  EXPECT_EQ(recs[1].original.find(kBody), std::string::npos);
  EXPECT_EQ(recs[0].original, lines_[0]);  // unsealed records are untouched
  EXPECT_EQ(recs[6].original, lines_[6]);  // and so is the other buyer's

  std::string now = answers();
  for (const auto& text : {kBody, kAlias, kReply, kComment}) {
    EXPECT_EQ(now.find(text), std::string::npos) << text << " still answered";
  }
  EXPECT_NE(now.find("[erased]"), std::string::npos);
  EXPECT_NE(now.find(kOtherAlias), std::string::npos);
  EXPECT_EQ(q.response_times("A2SELLER0001", {}).body, times_before);
  EXPECT_EQ(q.account_health("A2SELLER0001", {}).body, health_before);

  ChainReport chain;
  ASSERT_TRUE(verify_log(*log_, chain).ok());
  EXPECT_TRUE(chain.ok());

  // Every version RocksDB still holds of every row (memtables and files,
  // overwritten and deleted ones included), not only the live ones.
  for (auto* cf : {log_->log_family(), log_->vault_family(), log_->rejected_family(), log_->projections()->family}) {
    std::vector<rocksdb::KeyVersion> versions;
    ASSERT_TRUE(rocksdb::GetAllKeyVersions(log_->db(), cf, "", std::string(64, '\xff'), 1 << 20, &versions).ok());
    for (const auto& v : versions) {
      for (const auto& text : {kAlias, kComment, kBody, kReply, kFeedback}) {
        EXPECT_EQ(v.value.find(text), std::string::npos) << text << " in a version of " << v.user_key;
      }
      EXPECT_NE(v.user_key, vault_key_row("A2SELLER0001", "BUYER-DIENGOUDI")) << "a version of the key remains";
    }
  }
  std::string files = all_files(dir_.str());
  for (const auto& text : {kBody, kAlias, kReply, kComment, kFeedback}) {
    EXPECT_EQ(files.find(text), std::string::npos) << text << " is still on disk";
  }
  EXPECT_NE(files.find(kOtherAlias), std::string::npos);  // in the other buyer's rows
  EXPECT_FALSE(log_->vault_get(vault_key_row("A2SELLER0001", "BUYER-DIENGOUDI")));

  // A second request finds nothing to forget; an unknown seller is an error.
  ASSERT_TRUE(forget_buyer(*log_, ProjectorOptions{}, "A2SELLER0001", "BUYER-DIENGOUDI", report).ok());
  EXPECT_FALSE(report.key_found);
  EXPECT_FALSE(forget_buyer(*log_, ProjectorOptions{}, "NOBODY", "BUYER-DIENGOUDI", report).ok());
}

// Rejected records keep their bytes (they could not be sealed); an erasure
// redacts those that concern the buyer by their decoded fields: the buyer's
// id however it is escaped, or a thread, order or return the vault ties to
// the buyer (a seller's rejected reply quoting the buyer). Never by
// substring: an unknown or one-letter buyer id erases nothing.
TEST_F(BuyerVaultTest, AnErasureRedactsTheRejectedRecordsOfTheBuyerByTheirFieldsAndNoOthers) {
  const std::string kQuoted = "Vous ecrivez: Ma peluche est dechiree-Qu8";
  const std::string kEscaped = "Retour sans commande-Esc3";
  const std::string kOthers = "Une autre demande, de quelqu'un d'autre-Oth7";
  const std::vector<std::string> rejected_lines = {
      // A second reply with the id of one already logged: rejected; its thread is the buyer's.
      envelope("r1", "message.sent",
               R"({"message_id":"s1","thread_id":"t1","body":")" + kQuoted + R"(","sender":"seller"})",
               "2013-01-08T12:00:00+01:00"),
      // A request for an unknown order, the buyer's id escaped.
      envelope("r2", "return.requested",
               R"({"return_id":"RET-9","order_id":"403-0000000-0000009","buyer_id":"BUYER-DIENGOU\u0044I","items":[{"sku":"X","asin":"B0","quantity":1}],"reason":"defective","comment":")" +
                   kEscaped + R"(","gift":false})",
               "2013-01-08T13:00:00+01:00"),
      // Another buyer's, full of the letter e.
      envelope("r3", "return.requested",
               R"({"return_id":"RET-8","order_id":"403-0000000-0000008","buyer_id":"BUYER-OTHER","items":[{"sku":"X","asin":"B0","quantity":1}],"reason":"defective","comment":")" +
                   kOthers + R"(","gift":false})",
               "2013-01-08T14:00:00+01:00"),
  };
  {
    Ingestor ingestor(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_, nullptr);
    auto recs = testing::source_records(rejected_lines, 0, rejected_lines.size());
    for (auto& r : recs) r.offset += 100, r.next_offset += 100;
    BatchResult res;
    ASSERT_TRUE(ingestor.ingest(recs, &res).ok());
    ASSERT_EQ(res.rejected, 3u);
  }
  auto rejected_values = [&] {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(log_->list_rejected([&](const RejectedRecord& r) {
                      out[r.event_id] = r.value;
                      // A redacted record keeps no digest of what it held.
                      if (r.value == kErasedText) {
                        EXPECT_EQ(r.value_sha256, (std::array<uint8_t, 32>{}));
                      }
                      return true;
                    }).ok());
    return out;
  };
  ErasureReport report;
  ASSERT_TRUE(forget_buyer(*log_, ProjectorOptions{}, "A2SELLER0001", "e", report).ok());
  EXPECT_FALSE(report.key_found);
  auto values = rejected_values();
  EXPECT_NE(values.at("r1").find(kQuoted), std::string::npos) << "an unknown buyer erased a record";
  EXPECT_NE(values.at("r2").find(kEscaped), std::string::npos);
  EXPECT_NE(values.at("r3").find(kOthers), std::string::npos);

  ASSERT_TRUE(forget_buyer(*log_, ProjectorOptions{}, "A2SELLER0001", "BUYER-DIENGOUDI", report).ok());
  values = rejected_values();
  EXPECT_EQ(values.at("r1"), kErasedText);
  EXPECT_EQ(values.at("r2"), kErasedText);
  EXPECT_NE(values.at("r3").find(kOthers), std::string::npos);
  const std::string files = all_files(dir_.str());
  EXPECT_EQ(files.find(kQuoted), std::string::npos);
  EXPECT_EQ(files.find(kEscaped), std::string::npos);
}

// An erasure asked over HTTP logs its request, then carries it out on the
// HTTP thread: meanwhile the ingest loop must not take the logged request
// for one a crash left over and run it a second time.
TEST_F(BuyerVaultTest, AnErasureBeingCarriedOutIsNotRunAgainByTheIngestLoop) {
  const std::string seller = "A2SELLER0001", buyer = "BUYER-DIENGOUDI";
  ASSERT_TRUE(log_->set_pending_erasure(seller, buyer).ok());
  ASSERT_TRUE(log_->begin_running_erasure(seller, buyer));
  EXPECT_FALSE(log_->begin_running_erasure(seller, buyer));
  EXPECT_TRUE(log_->pending_erasures().empty());
  Ingestor ingestor(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_, nullptr);
  ASSERT_TRUE(ingestor.carry_out_erasures().ok());
  EXPECT_TRUE(log_->vault_get(vault_key_row(seller, buyer)).has_value()) << "run by the ingest loop too";
  // Had the running one failed, the request stays logged for the loop.
  log_->end_running_erasure(seller, buyer);
  ASSERT_EQ(log_->pending_erasures().size(), 1u);
  ASSERT_TRUE(ingestor.carry_out_erasures().ok());
  EXPECT_FALSE(log_->vault_get(vault_key_row(seller, buyer)).has_value());
  EXPECT_TRUE(log_->pending_erasures().empty());
}

// After an erasure, the event-id index keeps no digest of the erased
// events' content (it would confirm a guess of the text), and a re-delivery
// of one is a duplicate: neither appended again nor kept, text and all,
// among the rejected records. Other buyers' events keep theirs.
TEST_F(BuyerVaultTest, AnErasedEventKeepsNoDigestAndItsRedeliveryIsADuplicate) {
  ErasureReport report;
  ASSERT_TRUE(forget_buyer(*log_, ProjectorOptions{}, "A2SELLER0001", "BUYER-DIENGOUDI", report).ok());
  const auto entries = log_->find_event_ids({{"A2SELLER0001", "e2"}, {"A2SELLER0001", "e7"}});
  ASSERT_TRUE(entries[0] && entries[1]);
  EXPECT_EQ(entries[0]->digest, kErasedDigest);  // the buyer's message
  EXPECT_NE(entries[1]->digest, kErasedDigest);  // the other buyer's
  Ingestor ingestor(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_, nullptr);
  const std::vector<std::string> again = {lines_[1]};
  auto recs = testing::source_records(again, 0, again.size());
  for (auto& r : recs) r.offset += 100, r.next_offset += 100;
  BatchResult res;
  ASSERT_TRUE(ingestor.ingest(recs, &res).ok());
  EXPECT_EQ(res.duplicates, 1u);
  EXPECT_EQ(res.rejected, 0u);
  EXPECT_EQ(all_files(dir_.str()).find(kBody), std::string::npos);
}

TEST_F(BuyerVaultTest, RebuildAfterErasureGivesTheErasedRows) {
  ErasureReport report;
  ASSERT_TRUE(forget_buyer(*log_, ProjectorOptions{}, "A2SELLER0001", "BUYER-DIENGOUDI", report).ok());
  std::string erased = answers();
  ReplayOptions o;
  ReplayReport r;
  ASSERT_TRUE(replay_projections(*log_, o, r).ok());
  EXPECT_EQ(answers(), erased);
}

TEST_F(BuyerVaultTest, AnErasureEventFromTheFeedForgetsTheBuyerOnceCommitted) {
  Ingestor ingestor(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_, nullptr);
  std::string erase = envelope("e8", "buyer.erasure_requested", R"({"buyer_id":"BUYER-DIENGOUDI"})",
                               "2013-02-01T10:00:00+01:00");
  SourceRecord r;
  r.offset = static_cast<int64_t>(lines_.size());
  r.next_offset = r.offset + 1;
  r.value = erase;
  BatchResult res;
  ASSERT_TRUE(ingestor.ingest(std::vector<SourceRecord>{r}, &res).ok());
  EXPECT_EQ(res.appended, 1u);
  EXPECT_FALSE(log_->vault_get(vault_key_row("A2SELLER0001", "BUYER-DIENGOUDI")));
  EXPECT_TRUE(log_->pending_erasures().empty());
  EXPECT_EQ(answers().find(kAlias), std::string::npos);
  EXPECT_NE(answers().find(kOtherAlias), std::string::npos);
  auto recs = records();
  ASSERT_EQ(recs.size(), lines_.size() + 1);
  EXPECT_EQ(recs.back().original, erase);  // the request itself is kept as it came
}

TEST_F(BuyerVaultTest, AnErasureLoggedButNotCarriedOutIsDoneAtTheNextStart) {
  {
    LogBatch b(*log_);
    b.put_pending_erasure("A2SELLER0001", "BUYER-OTHER");
    ASSERT_TRUE(log_->commit(b).ok());
  }
  ASSERT_EQ(log_->pending_erasures().size(), 1u);
  Ingestor ingestor(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_, nullptr);
  ASSERT_TRUE(ingestor.carry_out_erasures().ok());
  EXPECT_TRUE(log_->pending_erasures().empty());
  EXPECT_EQ(answers().find(kOtherAlias), std::string::npos);
  EXPECT_NE(answers().find(kAlias), std::string::npos);
}

}  // namespace
}  // namespace carelog::buyer_vault_test
