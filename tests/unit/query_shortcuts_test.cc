// Queries that take a shortcut must answer exactly as the plain computation,
// on a generated feed folded by the engine:
// - the returns listing's counts row (return_rows.h ReturnCounts): a listing
//   without text or date filter at or after the seller's newest return
//   instant stops scanning once its page is full; its answers must be those
//   of the full scan (what a generation of row format 1 answers) for every
//   filter, page and instant, and only generations folded in format 2 use it;
// - the response-time table pairs messages with replies in one pass over the
//   window; it must count as a reply lookup per message does;
// - account health counts orders in one pass over the facts rows; it must
//   visit the orders the placed-time index holds.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "engine/event_log.h"
#include "engine/ingest.h"
#include "engine/log_record.h"
#include "engine/replay.h"
#include "projections/order_facts.h"
#include "projections/response_times.h"
#include "projections/returns_queue.h"
#include "projections/row_codec.h"
#include "tests/unit/test_support.h"
#include "tools/feed_generator.h"

namespace carelog::query_shortcuts_test {
namespace {

using testing::TempDir;

// `rows` as a generation of another format sees them; counts the requested-time
// index rows visited.
class AsFormat : public SellerRows {
 public:
  AsFormat(const SellerRows& rows, uint32_t format) : rows_(rows), format_(format) {}
  uint32_t format() const override { return format_; }
  std::optional<std::string> get(std::string_view key) const override { return rows_.get(key); }
  void scan(std::string_view begin, std::string_view end, bool reverse, const RowFn& fn) const override {
    rows_.scan(begin, end, reverse, [&](std::string_view k, std::string_view v) {
      if (!k.empty() && k[0] == row_tag::kReturnByTime) ++visited;
      return fn(k, v);
    });
  }
  mutable size_t visited = 0;

 private:
  const SellerRows& rows_;
  uint32_t format_;
};

std::string answer(const SellerRows& rows, const std::string& seller, const ReturnsQuery& q) {
  auto r = returns_json(rows, seller, q);
  if (auto* e = std::get_if<QueryError>(&r)) return "error " + e->parameter + ": " + e->message;
  return std::get<std::string>(r);
}

std::string next_cursor(const std::string& json) {
  const std::string tag = "\"next_cursor\":\"";
  auto at = json.find(tag);
  if (at == std::string::npos) return "";
  return json.substr(at + tag.size(), json.find('"', at + tag.size()) - at - tag.size());
}

class QueryShortcutsTest : public ::testing::Test {
 protected:
  // A log with a generated feed ingested in batches of 500: made once per
  // test binary, copied for each test.
  void SetUp() override {
    ASSERT_TRUE(testing::copy_shared_dir("query-shortcuts-feed", dir_.str(), [](const std::string& dir) {
      return testing::make_ingested_log(dir, [](Ingestor& ingestor) {
        FeedOptions o;
        o.sellers = 6;
        o.days = 90;
        o.seed = 11;
        o.events = 8000;
        std::vector<std::string> lines;
        generate_feed(o, [&](const std::string& line) { lines.push_back(line); });
        Status st = Status::Ok();
        for (size_t i = 0; i < lines.size() && st.ok(); i += 500) {
          std::vector<SourceRecord> recs = testing::source_records(lines, i, std::min(lines.size(), i + 500));
          st = ingestor.ingest(recs);
          EXPECT_TRUE(st.ok()) << st.message();
        }
        return st.ok();
      });
    }));
    ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
  }

  TempDir dir_;
  std::unique_ptr<EventLog> log_;
};

constexpr int64_t kAfterEverything = std::numeric_limits<int64_t>::max() / 2;
constexpr int64_t kMidFeed = (1349046000LL + 45 * 86400) * 1000000;  // day 45 of the feed

TEST_F(QueryShortcutsTest, EveryFilterPageAndInstantAnswersAsTheFullScan) {
  const std::vector<std::string> statuses = {"all", "authorization_required", "authorized", "completed", "closed"};
  const std::vector<std::optional<ClosedBy>> closers = {std::nullopt, ClosedBy::kBuyer, ClosedBy::kSeller,
                                                        ClosedBy::kMarketplace};
  size_t compared = 0, with_returns = 0;
  for (const auto& [seller, partition] : log_->sellers()) {
    auto rows = log_->seller_rows(partition, seller);
    ASSERT_EQ(rows->format(), kRowsFormat);
    AsFormat counted(*rows, kRowsFormat), scanned(*rows, 1);
    for (int64_t as_of : {kAfterEverything, kMidFeed}) {
      for (const auto& status : statuses) {
        for (const auto& closed_by : closers) {
          for (int64_t limit : {1, 7, 50}) {
            ReturnsQuery q;
            q.status = status;
            q.closed_by = closed_by;
            q.limit = limit;
            q.as_of = as_of;
            // Every page, following the cursors to the end.
            for (int page = 0; page < 400; ++page) {
              const std::string fast = answer(counted, seller, q);
              const std::string full = answer(scanned, seller, q);
              ASSERT_EQ(fast, full) << seller << " status " << status << " limit " << limit << " page " << page;
              ++compared;
              q.cursor = next_cursor(full);
              if (q.cursor.empty()) break;
            }
          }
        }
      }
    }
    ReturnsQuery all;
    all.as_of = kAfterEverything;
    if (answer(scanned, seller, all).find("\"total\":0,") == std::string::npos) ++with_returns;
  }
  EXPECT_GE(with_returns, 3u);
  EXPECT_GT(compared, 1000u);
}

TEST_F(QueryShortcutsTest, AFullPageStopsTheScan) {
  // The seller with the most requests.
  std::string biggest;
  uint32_t partition = 0;
  size_t most = 0;
  for (const auto& [seller, p] : log_->sellers()) {
    auto rows = log_->seller_rows(p, seller);
    AsFormat scanned(*rows, 1);
    ReturnsQuery q;
    q.as_of = kAfterEverything;
    answer(scanned, seller, q);
    if (scanned.visited > most) most = scanned.visited, biggest = seller, partition = p;
  }
  ASSERT_GT(most, 50u);  // many more than a page
  auto rows = log_->seller_rows(partition, biggest);
  ReturnsQuery q;
  q.as_of = kAfterEverything;
  q.limit = 5;
  AsFormat counted(*rows, kRowsFormat), scanned(*rows, 1);
  EXPECT_EQ(answer(counted, biggest, q), answer(scanned, biggest, q));
  EXPECT_LE(counted.visited, 6u);  // the page and the one that says there is more
  EXPECT_EQ(scanned.visited, most);
  // Before the newest instant the counts do not hold: the full scan answers.
  q.as_of = kMidFeed;
  AsFormat earlier(*rows, kRowsFormat);
  answer(earlier, biggest, q);
  EXPECT_GT(earlier.visited, 6u);
}

TEST_F(QueryShortcutsTest, OnlyGenerationsFoldedInTheCurrentFormatClaimIt) {
  const uint64_t first = log_->projections()->number;
  EXPECT_EQ(log_->projections()->format, kRowsFormat);  // a new data dir
  // A generation from before formats: no format in meta, rows present.
  std::string key = "projections_format:";
  put_be64(key, first);
  log_.reset();
  {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir_.str(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_.str(), families, &handles, &raw).ok());
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "meta") {
        ASSERT_TRUE(raw->Delete({}, handles[i], key).ok());
      }
    }
    for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
    delete raw;
  }
  ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
  EXPECT_EQ(log_->projections()->format, 1u);
  const auto [seller, partition] = log_->sellers().front();
  EXPECT_EQ(log_->seller_rows(partition, seller)->format(), 1u);
  // A rebuild of one projection copies the others' rows as they are: its
  // generation keeps their format, whichever projection it rebuilds.
  for (const char* one : {"messages", "returns_queue"}) {
    ReplayReport report;
    ReplayOptions o;
    o.projection = one;
    Status st = replay_projections(*log_, o, report);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_GT(report.rows_copied, 0u);
    EXPECT_EQ(log_->projections()->format, 1u) << one;
  }
  // A rebuild of every projection folds a new generation in the current format.
  ReplayReport report;
  ReplayOptions o;
  Status st = replay_projections(*log_, o, report);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_GT(log_->projections()->number, first);
  EXPECT_EQ(log_->projections()->format, kRowsFormat);
  log_.reset();
  ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
  EXPECT_EQ(log_->projections()->format, kRowsFormat);
}

// The table computed the plain way: every received message of the 90 days,
// classified with a lookup of its thread's first reply.
ResponseTimesReport per_message(const SellerRows& rows, int64_t as_of) {
  ResponseTimesReport r;
  const int days[3] = {7, 30, 90};
  __int128 sums[3] = {0, 0, 0};
  std::string begin(1, row_tag::kMessage);
  append_time(begin, as_of - 90 * kMicrosPerDay + 1);
  std::string end(1, row_tag::kMessage);
  append_time(end, as_of + 1);
  rows.scan(begin, end, false, [&](std::string_view, std::string_view value) {
    MessageRow m;
    if (!decode_message_row(value, m) || !m.received) return true;
    int64_t response = 0;
    const MessageOutcome o = classify_received(rows, m, as_of, &response);
    for (size_t i = 0; i < 3; ++i) {
      if (o == MessageOutcome::kExcluded || m.at <= as_of - days[i] * kMicrosPerDay) continue;
      ResponseWindow& w = r.windows[i];
      if (o == MessageOutcome::kOnTime) ++w.on_time, sums[i] += response;
      if (o == MessageOutcome::kLate) ++w.late, sums[i] += response;
      if (o == MessageOutcome::kNoResponse) ++w.no_response;
      if (o == MessageOutcome::kPending) ++w.pending;
    }
    return true;
  });
  for (size_t i = 0; i < 3; ++i) {
    const int64_t answered = r.windows[i].on_time + r.windows[i].late;
    if (answered > 0) {
      const __int128 unit = static_cast<__int128>(answered) * kMicrosPerSecond;
      r.windows[i].average_response_seconds = static_cast<int64_t>((sums[i] + unit / 2) / unit);
    }
  }
  return r;
}

TEST_F(QueryShortcutsTest, ResponseTimesInOnePassCountAsAReplyLookupPerMessage) {
  const int64_t feed_start = 1349046000LL * 1000000;
  size_t compared = 0, answered = 0;
  for (const auto& [seller, partition] : log_->sellers()) {
    auto rows = log_->seller_rows(partition, seller);
    for (int64_t day : {3, 10, 30, 45, 60, 89, 95, 120}) {
      const int64_t as_of = feed_start + day * kMicrosPerDay + 7 * kMicrosPerHour + 1234;
      const ResponseTimesReport fast = compute_response_times(*rows, as_of);
      const ResponseTimesReport plain = per_message(*rows, as_of);
      for (size_t i = 0; i < 3; ++i) {
        const ResponseWindow &a = fast.windows[i], &b = plain.windows[i];
        SCOPED_TRACE(seller + " as_of " + std::to_string(as_of) + " window " + std::to_string(i));
        EXPECT_EQ(a.on_time, b.on_time);
        EXPECT_EQ(a.late, b.late);
        EXPECT_EQ(a.no_response, b.no_response);
        EXPECT_EQ(a.pending, b.pending);
        EXPECT_EQ(a.average_response_seconds, b.average_response_seconds);
        answered += static_cast<size_t>(b.on_time + b.late);
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 100u);
  EXPECT_GT(answered, 1000u);  // the comparison covered real replies
}

TEST_F(QueryShortcutsTest, AllOrdersInOnePassAreTheOrdersOfTheTimeIndex) {
  size_t orders = 0;
  for (const auto& [seller, partition] : log_->sellers()) {
    auto rows = log_->seller_rows(partition, seller);
    std::vector<std::string> indexed, all;
    scan_orders_placed(*rows, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                       [&](const OrderFacts& o) {
                         indexed.push_back(o.order_id + " " + encode_order_facts(o));
                         return true;
                       });
    scan_all_orders(*rows, [&](const OrderFacts& o) {
      all.push_back(o.order_id + " " + encode_order_facts(o));
      return true;
    });
    std::sort(indexed.begin(), indexed.end());
    EXPECT_EQ(all, indexed) << seller;  // (order id order already)
    orders += all.size();
  }
  EXPECT_GT(orders, 1000u);
}

}  // namespace
}  // namespace carelog::query_shortcuts_test
