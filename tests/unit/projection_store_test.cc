// The engine's in-memory projections (engine/projection_store.h): kept
// current by the pipelined ingest fold while other threads query them, and
// written to the rows only at checkpoints, they answer as projections loaded
// afresh from the rows once checkpointed, or once the log past the last
// checkpoint is folded into the rows (a restart after a crash); an erasure
// and a generation switch make them load again from the rewritten rows.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "connectors/query_service.h"
#include "engine/erasure.h"
#include "engine/ingest.h"
#include "engine/projection_store.h"
#include "engine/replay.h"
#include "engine/replay.h"
#include "tests/unit/test_support.h"
#include "tools/feed_generator.h"

namespace carelog::projection_store_test {
namespace {

using testing::TempDir;

constexpr int64_t kMidFeed = (1349046000LL + 45 * 86400) * 1'000'000;

// Every answer of `q` for `seller` that a seller's screens use, at its default
// as_of and mid-feed.
std::string answers(const QueryService& q, const std::string& seller) {
  std::string out;
  for (const std::string as_of : {"", "2012-11-15T13:00:00Z"}) {
    QueryParams at;
    if (!as_of.empty()) at["as_of"] = as_of;
    out += q.response_times(seller, at).body + q.account_health(seller, at).body +
           q.return_settings(seller, at).body;
    QueryParams list = at;
    list["limit"] = "1000";
    out += q.returns(seller, list).body + q.messages(seller, list).body;
    QueryParams due = at;
    due["within"] = "30d";
    out += q.deadlines(seller, due).body;
  }
  return out;
}

class ProjectionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
    FeedOptions o;
    o.sellers = 8;
    o.days = 90;
    o.seed = 5;
    o.events = 6000;
    generate_feed(o, [&](const std::string& line) {
      lines_.push_back(line);
      const std::string seller = testing::json_field(line, "seller_id");
      if (std::find(sellers_.begin(), sellers_.end(), seller) == sellers_.end()) sellers_.push_back(seller);
    });
  }

  TempDir dir_;
  std::unique_ptr<EventLog> log_;
  EngineMetrics metrics_;
  std::vector<std::string> lines_;
  std::vector<std::string> sellers_;
};

TEST_F(ProjectionStoreTest, TheLiveFoldAnswersAsALoadFromTheCommittedRows) {
  ProjectionStore store(*log_, ReturnsPolicy{});
  QueryService live(*log_, nullptr, &store);
  std::atomic<bool> done{false};
  std::atomic<size_t> reads{0};
  // Queries while the batches are folded and committed (under ASan, a
  // reader that touched a projection being changed would be reported).
  std::thread reader([&] {
    std::mt19937 rng(3);
    while (!done.load()) {
      const std::string& seller = sellers_[rng() % sellers_.size()];
      live.returns(seller, {});
      live.messages(seller, {{"limit", "20"}});
      live.response_times(seller, {});
      ++reads;
    }
  });
  {
    IngestOptions options{"carelog.events", {}, {}};
    options.checkpoint_records = 1000;  // several checkpoints between pipelined batches
    Ingestor ingestor(*log_, options, metrics_, nullptr, &store);
    for (size_t i = 0; i < lines_.size(); i += 300) {
      auto recs = testing::source_records(lines_, i, std::min(lines_.size(), i + 300));
      ASSERT_TRUE(ingestor.submit(recs).ok());
    }
    ASSERT_TRUE(ingestor.checkpoint().ok());
  }
  // The last checkpoint moved every mark to its head: the rows stop short nowhere.
  EXPECT_FALSE(log_->projections_behind().empty());
  for (const auto& [p, seq] : log_->projections_behind()) EXPECT_EQ(seq, log_->head(p).seq) << "partition " << p;
  EXPECT_FALSE(projections_stop_short(*log_));
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(store.sellers_loaded(), sellers_.size());
  EXPECT_GT(store.memory_bytes(), 0u);

  QueryService fresh(*log_, nullptr);  // a store of its own, loaded from the rows
  for (const auto& seller : sellers_) {
    const std::string a = answers(live, seller);
    ASSERT_NE(a.find("\"total\":"), std::string::npos) << a.substr(0, 300);
    EXPECT_EQ(a, answers(fresh, seller)) << seller;
  }
  EXPECT_EQ(live.returns("NOBODY", {}).status, 404);
}

TEST_F(ProjectionStoreTest, PastItsMemoryBudgetIdleSellersLoadAgainFromTheirRows) {
  ProjectionStore store(*log_, ReturnsPolicy{}, /*fold_log_past_marks=*/false, /*memory_budget=*/64 << 10);
  QueryService live(*log_, nullptr, &store);
  {
    IngestOptions options{"carelog.events", {}, {}};
    options.checkpoint_records = 100;  // evictions between batches, then events of evicted sellers
    Ingestor ingestor(*log_, options, metrics_, nullptr, &store);
    for (size_t i = 0; i < lines_.size(); i += 100) {
      auto recs = testing::source_records(lines_, i, std::min(lines_.size(), i + 100));
      ASSERT_TRUE(ingestor.submit(recs).ok());
    }
    ASSERT_TRUE(ingestor.checkpoint().ok());
  }
  EXPECT_GE(store.evictions(), 2u);
  EXPECT_LT(store.sellers_loaded(), sellers_.size());
  EXPECT_GT(metrics_.projection_evictions.load(), 0u);
  EXPECT_GT(metrics_.checkpoints.load(), 5u);
  // Answers as projections kept whole, from the same log.
  ProjectionStore whole(*log_, ReturnsPolicy{});
  QueryService fresh(*log_, nullptr, &whole);
  for (const auto& seller : sellers_) EXPECT_EQ(answers(live, seller), answers(fresh, seller)) << seller;
}

TEST_F(ProjectionStoreTest, RowsPastTheLastCheckpointAreFoldedAtTheNextStart) {
  ProjectionStore store(*log_, ReturnsPolicy{});
  QueryService live(*log_, nullptr, &store);
  {
    IngestOptions options{"carelog.events", {}, {}};
    options.checkpoint_records = 4000;  // one checkpoint, two thirds in; none after
    options.checkpoint_interval = std::chrono::hours(1);
    Ingestor ingestor(*log_, options, metrics_, nullptr, &store);
    for (size_t i = 0; i < lines_.size(); i += 400) {
      auto recs = testing::source_records(lines_, i, std::min(lines_.size(), i + 400));
      ASSERT_TRUE(ingestor.submit(recs).ok());
    }
    ASSERT_TRUE(ingestor.flush().ok());  // committed, but no last checkpoint: as if killed now
  }
  EXPECT_TRUE(log_->projected_through().empty());
  auto marks = log_->projections_behind();
  ASSERT_FALSE(marks.empty()) << "the rows are complete: the test could not fail";
  for (const auto& [p, seq] : marks) EXPECT_LT(seq, log_->head(p).seq);
  {
    ProjectionStore rows_only(*log_, ReturnsPolicy{});  // the rows alone miss the last records
    QueryService stale(*log_, nullptr, &rows_only);
    bool differs = false;
    for (const auto& seller : sellers_) differs = differs || answers(stale, seller) != answers(live, seller);
    EXPECT_TRUE(differs);
    // A reader from outside the engine (carelog query) folds the log past the marks.
    QueryService outside(*log_, nullptr);
    for (const auto& seller : sellers_) EXPECT_EQ(answers(outside, seller), answers(live, seller)) << seller;
  }
  uint64_t folded = 0;
  ASSERT_TRUE(catch_up_projections(*log_, ProjectorOptions{}, folded).ok());  // what the engine does at start
  EXPECT_GT(folded, 0u);
  EXPECT_TRUE(log_->projections_behind().empty());
  ProjectionStore rows_only(*log_, ReturnsPolicy{});
  QueryService restarted(*log_, nullptr, &rows_only);
  for (const auto& seller : sellers_) EXPECT_EQ(answers(restarted, seller), answers(live, seller)) << seller;
}

TEST_F(ProjectionStoreTest, AGenerationSwitchLoadsTheNewRows) {
  ProjectionStore store(*log_, ReturnsPolicy{});
  QueryService live(*log_, nullptr, &store);
  {
    Ingestor ingestor(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_, nullptr, &store);
    auto recs = testing::source_records(lines_, 0, lines_.size());
    ASSERT_TRUE(ingestor.ingest(recs).ok());
    ASSERT_TRUE(ingestor.checkpoint().ok());
  }
  std::vector<std::string> before;
  for (const auto& seller : sellers_) before.push_back(answers(live, seller));
  ASSERT_EQ(store.sellers_loaded(), sellers_.size());
  const uint64_t generation = log_->projections()->number;

  ReplayOptions options;
  ReplayReport report;
  ASSERT_TRUE(replay_projections(*log_, options, report).ok());
  ASSERT_NE(log_->projections()->number, generation);
  EXPECT_EQ(live.returns(sellers_[0], {}).status, 200);
  EXPECT_EQ(store.sellers_loaded(), 1u) << "the switch did not drop the old generation's projections";
  for (size_t i = 0; i < sellers_.size(); ++i) EXPECT_EQ(answers(live, sellers_[i]), before[i]) << sellers_[i];
}

TEST_F(ProjectionStoreTest, AnErasureLoadsTheRefoldedRows) {
  const std::string alias = "Diengoudi-Zk4";
  std::vector<std::string> feed = {
      testing::envelope("e1", "order.placed", testing::order_placed(), "2013-01-07T10:00:00+01:00"),
      testing::envelope("e2", "message.received",
                        R"({"message_id":"m1","thread_id":"t1","buyer_id":"BUYER-DIENGOUDI","buyer_alias":")" +
                            alias + R"(","order_id":")" + testing::kOrder +
                            R"(","subject":"Peluche abimee","body":"dechiree","auto_reply":false})",
                        "2013-01-07T11:00:00+01:00")};
  ProjectionStore store(*log_, ReturnsPolicy{});
  QueryService live(*log_, nullptr, &store);
  Ingestor ingestor(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_, nullptr, &store);
  ASSERT_TRUE(ingestor.ingest(testing::source_records(feed, 0, feed.size())).ok());
  ASSERT_NE(live.messages("A2SELLER0001", {}).body.find(alias), std::string::npos);

  ErasureReport report;
  ASSERT_TRUE(forget_buyer(*log_, ProjectorOptions{}, "A2SELLER0001", "BUYER-DIENGOUDI", report, &store).ok());
  ASSERT_TRUE(report.key_found);
  const std::string after = live.messages("A2SELLER0001", {}).body;
  EXPECT_EQ(after.find(alias), std::string::npos) << after;
  EXPECT_NE(after.find("[erased]"), std::string::npos) << after;
}

}  // namespace
}  // namespace carelog::projection_store_test
