// Rebuilds of the projections into a new generation (engine/replay.h): a
// rebuild, of all projections or of one, gives back exactly the rows the live
// fold wrote; a rebuild stopped early is completed by catch_up_projections; a
// rebuild beside a source that keeps appending switches without losing or
// doubling a single batch; leftovers of an interrupted rebuild are dropped.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine/event_log.h"
#include "engine/ingest.h"
#include "engine/replay.h"
#include "tests/unit/test_support.h"
#include "tools/feed_generator.h"

namespace carelog::replay_test {
namespace {

using testing::TempDir;
using Rows = std::map<std::string, std::string>;

constexpr uint32_t kPartitions = 3;

// A generated feed split into partitions by seller, as a producer would.
struct PartitionedFeed {
  std::map<uint32_t, std::vector<std::string>> values;
  explicit PartitionedFeed(int64_t events) {
    FeedOptions o;
    o.sellers = 12;
    o.days = 60;
    o.seed = 7;
    o.events = events;
    generate_feed(o, [&](const std::string& line) {
      std::string seller = testing::json_field(line, "seller_id");
      values[testing::partition_of_seller(seller, kPartitions)].push_back(line);
    });
  }
  // Source records [from, to) of every partition, in batches of `batch`;
  // `pipelined`: as the engine does, each commit overlapping the next fold
  // (Ingestor::submit).
  void ingest(Ingestor& ingestor, double from, double to, size_t batch = 500, bool pipelined = false) const {
    for (const auto& [p, v] : values) {
      size_t begin = static_cast<size_t>(from * static_cast<double>(v.size()));
      size_t end = static_cast<size_t>(to * static_cast<double>(v.size()));
      for (size_t i = begin; i < end; i += batch) {
        std::vector<SourceRecord> recs = testing::source_records(v, i, std::min(end, i + batch), p);
        Status st = pipelined ? ingestor.submit(recs) : ingestor.ingest(recs);
        ASSERT_TRUE(st.ok()) << st.message();
      }
    }
    Status st = ingestor.flush();
    ASSERT_TRUE(st.ok()) << st.message();
  }
};

const PartitionedFeed& feed() {
  static const PartitionedFeed f(30000);
  return f;
}

Rows projection_rows(EventLog& log) {
  Rows out;
  std::unique_ptr<rocksdb::Iterator> it(log.db()->NewIterator({}, log.projections()->family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) out[it->key().ToString()] = it->value().ToString();
  return out;
}

std::vector<std::string> column_families(const std::string& dir) {
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
  return names;
}

class ReplayTest : public ::testing::Test {
 protected:
  // The log with the whole feed ingested (in batches of 500, partition after
  // partition): made once per test binary, copied for each test.
  void SetUp() override {
    ASSERT_TRUE(testing::copy_shared_dir("replay-feed", dir_.str(), [](const std::string& dir) {
      return testing::make_ingested_log(dir, [](Ingestor& ingestor) {
        feed().ingest(ingestor, 0, 1);
        return !HasFailure();
      });
    }));
    open();
    live_ = projection_rows(*log_);
  }
  void open() {
    log_.reset();
    ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
  }
  ReplayReport replay(const ReplayOptions& o) {
    ReplayReport report;
    Status st = replay_projections(*log_, o, report);
    EXPECT_TRUE(st.ok()) << st.message();
    return report;
  }

  TempDir dir_;
  std::unique_ptr<EventLog> log_;
  Rows live_;
};

TEST_F(ReplayTest, FullRebuildGivesTheLiveRowsInANewGenerationAndDropsTheOldOne) {
  ASSERT_GT(live_.size(), 1000u);
  ASSERT_EQ(log_->projections()->number, 1u);
  ReplayOptions all;
  ReplayReport r = replay(all);
  EXPECT_EQ(r.records, log_->approximate_event_count());
  EXPECT_EQ(r.generation, 2u);
  EXPECT_GT(r.derived_checked, 0u) << "the feed should make the engine derive events";
  EXPECT_EQ(r.derived_mismatches, 0u) << r.first_mismatch;
  EXPECT_EQ(log_->projections()->number, 2u);
  EXPECT_EQ(projection_rows(*log_), live_);
  auto names = column_families(dir_.str());
  EXPECT_EQ(std::count(names.begin(), names.end(), "projections"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "projections.2"), 1);

  open();  // the switch is durable
  EXPECT_EQ(log_->projections()->number, 2u);
  EXPECT_EQ(projection_rows(*log_), live_);
  std::unique_ptr<EventLog> reader;  // inspection tools open it beside the engine
  Status st = EventLog::open(dir_.str(), EventLogOptions{true, false}, reader);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(projection_rows(*reader), live_);
}

// Rows of an older format lack what the engine's domain rules read (an
// order's refunds): the engine rebuilds them before it serves, once.
TEST_F(ReplayTest, ProjectionsOfAnOlderRowFormatAreRebuiltBeforeServing) {
  GenerationPtr old_format;
  ASSERT_TRUE(log_->create_generation(old_format, kRowsFormat - 1).ok());
  ASSERT_TRUE(log_->activate_generation(old_format, {}).ok());
  old_format.reset();  // (a generation must not outlive its log)
  ASSERT_NE(projection_rows(*log_), live_);
  ReplayReport report;
  bool rebuilt = false;
  Status st = upgrade_projections(*log_, ProjectorOptions{}, report, rebuilt);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(rebuilt);
  EXPECT_EQ(report.records, log_->approximate_event_count());
  EXPECT_EQ(log_->projections()->format, kRowsFormat);
  EXPECT_EQ(projection_rows(*log_), live_);
  open();  // and only once
  ASSERT_TRUE(upgrade_projections(*log_, ProjectorOptions{}, report, rebuilt).ok());
  EXPECT_FALSE(rebuilt);
}

TEST_F(ReplayTest, OneProjectionIsRebuiltWithTheBaseOnesAndTheOthersRowsAreCopied) {
  for (const std::string name : {"returns_queue", "messages", "order_history"}) {
    ReplayOptions o;
    o.projection = name;
    ReplayReport r = replay(o);
    EXPECT_GT(r.rows_copied, 0u) << name;
    EXPECT_LT(r.rows_copied, live_.size()) << name;
    EXPECT_EQ(projection_rows(*log_), live_) << name;
  }
  EXPECT_EQ(log_->projections()->number, 4u);
}

TEST_F(ReplayTest, EveryRowBelongsToExactlyOneProjection) {
  Projector all(*log_, ProjectorOptions{});
  std::string tags = all.row_tags();
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(std::adjacent_find(tags.begin(), tags.end()), tags.end()) << "a tag claimed twice: " << tags;
  for (const auto& [key, value] : live_) {
    char tag = key[key.find('\0', 4) + 1];
    EXPECT_NE(tags.find(tag), std::string::npos) << "row tag '" << tag << "' belongs to no projection";
  }
}

TEST_F(ReplayTest, RebuildStoppedEarlyIsCompletedBeforeServing) {
  ReplayOptions o;
  o.until_seq = 200;
  replay(o);
  auto through = log_->projected_through();
  ASSERT_EQ(through.size(), kPartitions);
  for (auto& [p, seq] : through) EXPECT_EQ(seq, 200u);
  Rows partial = projection_rows(*log_);
  EXPECT_LT(partial.size(), live_.size());

  open();  // the marks are durable
  ASSERT_EQ(log_->projected_through(), through);
  uint64_t folded = 0;
  ASSERT_TRUE(catch_up_projections(*log_, ProjectorOptions{}, folded).ok());
  EXPECT_EQ(folded, log_->approximate_event_count() - 3 * 200);
  EXPECT_TRUE(log_->projected_through().empty());
  EXPECT_EQ(projection_rows(*log_), live_);
}

TEST_F(ReplayTest, RebuildUntilAnInstantStopsAtTheFirstLaterSourceEvent) {
  ReplayOptions o;
  o.until_micros = 1350000000LL * 1000000;  // 2012-10-12, ~11 days into the feed
  replay(o);
  auto through = log_->projected_through();
  ASSERT_FALSE(through.empty());
  for (auto& [p, seq] : through) {
    auto next = log_->read_record(p, seq + 1);
    ASSERT_TRUE(next);
    EXPECT_GT(next->event.occurred_at.micros, *o.until_micros);
  }
}

// How many table files RocksDB took into `family` (its "AddFile" statistics).
uint64_t tables_ingested(EventLog& log, rocksdb::ColumnFamilyHandle* family) {
  std::string stats;
  EXPECT_TRUE(log.db()->GetProperty(family, "rocksdb.cfstats", &stats));
  const std::string label = "AddFile(Total Files): cumulative ";
  auto at = stats.find(label);
  if (at == std::string::npos) return 0;
  return std::stoull(stats.substr(at + label.size()));
}

// A rebuild that hands its rows to RocksDB as many small, overlapping table
// files (EventLog::commit_as_table) reads exactly as the live fold's rows,
// before and after a reopen, and leaves no file of its own beside the database.
TEST_F(ReplayTest, RebuildThroughManyTableFilesGivesTheLiveRows) {
  ReplayOptions o;
  o.table_bytes = 256 << 10;
  o.min_table_bytes = 0;
  ReplayReport r = replay(o);
  EXPECT_EQ(r.derived_mismatches, 0u) << r.first_mismatch;
  GenerationPtr g = log_->projections();
  ASSERT_EQ(g->number, 2u);
  EXPECT_GE(tables_ingested(*log_, g->family), 2 * kPartitions) << "the rows did not go in as table files";
  uint64_t in_memtable = 1;
  ASSERT_TRUE(log_->db()->GetIntProperty(g->family, "rocksdb.num-entries-active-mem-table", &in_memtable));
  EXPECT_EQ(in_memtable, 0u) << "rows went through the memtable";
  g.reset();  // a generation's handle must not outlive its database
  EXPECT_EQ(projection_rows(*log_), live_);
  for (const auto& entry : std::filesystem::directory_iterator(dir_.str())) {
    EXPECT_NE(entry.path().filename().string().rfind("rebuild-", 0), 0u) << entry.path();
  }
  open();
  EXPECT_EQ(projection_rows(*log_), live_);
}

// Only a generation nobody reads yet takes rows as table files: a file
// bypasses the batch's atomicity with the log that readers of the active
// generation rely on.
TEST_F(ReplayTest, TableCommitRefusesTheActiveGeneration) {
  LogBatch batch(*log_, log_->projections());
  batch.put_projection_row(projection_row_key(0, "S1", "zz"), "x");
  EXPECT_FALSE(log_->commit_as_table(batch).ok());
  EXPECT_EQ(projection_rows(*log_), live_);
}

// A table file takes its rows in strictly increasing bytewise order only
// (RocksDB refuses any other), and the batch sorts them by their first bytes
// held as words before it compares whole keys: keys equal in those bytes,
// keys that are prefixes of others, zero bytes where the words are padded
// and bytes above 0x7f must all come out in bytewise order.
TEST_F(ReplayTest, TableCommitTakesRowsWhateverTheirCommonBytes) {
  GenerationPtr g;
  ASSERT_TRUE(log_->create_generation(g).ok());
  const std::string shared(60, 'k');
  std::vector<std::string> keys;
  for (size_t length = 0; length <= shared.size(); ++length) {  // every word boundary of the full key
    std::string k = shared.substr(0, length);
    keys.push_back(k);
    keys.push_back(k + '\0');
    keys.push_back(k + std::string(2, '\0') + 'a');
    keys.push_back(k + '\x80');
    keys.push_back(k + '\xff' + 'z');
    keys.push_back(k + 'a');
  }
  std::map<std::string, std::string> expected;
  LogBatch batch(*log_, g);
  for (size_t i = keys.size(); i-- > 0;) {  // not in key order
    std::string key = projection_row_key(3, "S\xe9", keys[i]);
    batch.put_projection_row(key, "v" + std::to_string(i));
    expected[key] = "v" + std::to_string(i);
  }
  Status st = log_->commit_as_table(batch);
  ASSERT_TRUE(st.ok()) << st.message();
  std::map<std::string, std::string> stored;
  std::unique_ptr<rocksdb::Iterator> it(log_->db()->NewIterator({}, g->family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) stored[it->key().ToString()] = it->value().ToString();
  it.reset();
  EXPECT_EQ(stored, expected);
  ASSERT_TRUE(log_->drop_generation(g).ok());
}

// A batch committed as a table keeps its rows for the batch that reads
// through it, and writes them once: that batch reads each row as the
// database holds it (written, rewritten, erased), its own writes first.
TEST_F(ReplayTest, ABatchReadsThroughTheTableCommittedBeforeIt) {
  GenerationPtr g;
  ASSERT_TRUE(log_->create_generation(g).ok());
  const std::string kept = projection_row_key(1, "S1", "kept"), erased = projection_row_key(1, "S1", "erased"),
                    rewritten = projection_row_key(1, "S1", "rewritten"), mine = projection_row_key(1, "S1", "mine");
  LogBatch first(*log_, g);
  first.put_projection_row(erased, "soon gone");
  first.put_projection_row(rewritten, "a first value, longer than the next");
  ASSERT_TRUE(log_->commit_as_table(first).ok());
  LogBatch second(*log_, g);
  second.read_through(&first);
  second.put_projection_row(kept, "k");
  second.erase_projection_row(erased);
  second.put_projection_row(rewritten, "second");
  ASSERT_TRUE(log_->commit_as_table(second).ok());
  uint64_t in_memtable = 1;
  ASSERT_TRUE(log_->db()->GetIntProperty(g->family, "rocksdb.num-entries-active-mem-table", &in_memtable));
  EXPECT_EQ(in_memtable, 0u) << "a table batch's rows were written a second time";

  LogBatch third(*log_, g);
  third.read_through(&second);
  third.put_projection_row(mine, "m");
  LogBatch alone(*log_, g);  // reads the database only
  for (const std::string& key : {kept, erased, rewritten}) {
    std::string stored;
    const bool present = log_->db()->Get({}, g->family, key, &stored).ok();
    EXPECT_EQ(third.projection_row(key), present ? std::optional<std::string>(stored) : std::nullopt) << key;
    EXPECT_EQ(third.projection_row(key), alone.projection_row(key)) << key;
  }
  EXPECT_EQ(third.projection_row(kept), "k");
  EXPECT_EQ(third.projection_row(erased), std::nullopt);
  EXPECT_EQ(third.projection_row(rewritten), "second");
  EXPECT_EQ(third.projection_row(mine), "m");
  ASSERT_TRUE(log_->drop_generation(g).ok());
}

TEST_F(ReplayTest, LeftoverOfAnInterruptedRebuildIsDroppedAtOpen) {
  GenerationPtr abandoned;
  ASSERT_TRUE(log_->create_generation(abandoned).ok());
  EXPECT_EQ(abandoned->number, 2u);
  abandoned.reset();
  open();
  auto names = column_families(dir_.str());
  EXPECT_EQ(std::count(names.begin(), names.end(), "projections.2"), 0);
  EXPECT_EQ(log_->projections()->number, 1u);
  EXPECT_EQ(projection_rows(*log_), live_);
}

TEST_F(ReplayTest, CancelledRebuildLeavesTheServingGenerationAlone) {
  std::atomic<bool> cancel{true};
  ReplayOptions o;
  o.batch_size = 100;
  o.cancel = &cancel;
  ReplayReport report;
  Status st = replay_projections(*log_, o, report);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(log_->projections()->number, 1u);
  EXPECT_EQ(projection_rows(*log_), live_);
}

// The gate: a switch waits for the open source batch, and a source batch
// opened during a switch waits for its end (so no batch straddles two
// generations).
TEST(GenerationGateTest, SwitchWaitsForTheOpenBatchAndNewBatchesWaitForTheSwitch) {
  TempDir dir;
  std::unique_ptr<EventLog> log;
  ASSERT_TRUE(EventLog::open(dir.str(), {}, log).ok());
  auto open_batch = std::make_unique<LogBatch>(*log);
  std::atomic<bool> paused{false};
  std::thread switcher([&] {
    log->pause_batches();
    paused = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(paused.load()) << "the switch did not wait for the open batch";
  open_batch.reset();
  switcher.join();
  EXPECT_TRUE(paused.load());

  std::atomic<bool> opened{false};
  std::thread source([&] {
    LogBatch b(*log);
    opened = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(opened.load()) << "a source batch opened during the switch";
  GenerationPtr before = log->projections();
  log->resume_batches();
  source.join();
  EXPECT_TRUE(opened.load());
  // A rebuild's own batches never wait at the gate.
  log->pause_batches();
  { LogBatch rebuild_batch(*log, before); }
  log->resume_batches();
}

// A new log with the first 30 % of the feed ingested, kept open in the
// session that ingested it: rows still in memtables, the partitions'
// positions set by its own commits (ReplayTest's log was closed and reopened).
class SessionReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
    ingestor_ = std::make_unique<Ingestor>(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_, nullptr);
    feed().ingest(*ingestor_, 0, 0.3);
  }

  TempDir dir_;
  EngineMetrics metrics_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(SessionReplayTest, RebuildRightAfterTheIngestGivesTheLiveRows) {
  EventLog* log = log_.get();
  const Rows live = projection_rows(*log);
  ASSERT_GT(live.size(), 1000u);
  ReplayOptions all;
  ReplayReport report;
  Status st = replay_projections(*log, all, report);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(report.records, log->approximate_event_count());
  EXPECT_EQ(report.derived_mismatches, 0u) << report.first_mismatch;
  EXPECT_EQ(log->projections()->number, 2u);
  EXPECT_EQ(projection_rows(*log), live);
}

// A rebuild beside a source that keeps appending: afterwards the rows are
// exactly those of a fold of the final log from scratch (offline).
TEST_F(SessionReplayTest, SwitchesBesideAnAppendingSourceWithoutLosingABatch) {
  EventLog* log = log_.get();
  Ingestor& ingestor = *ingestor_;
  std::atomic<bool> appending{true};
  std::thread source([&] {
    feed().ingest(ingestor, 0.3, 1, 50, true);  // small batches: many chances to race the switch
    appending = false;
  });
  int rebuilds = 0;
  const std::vector<std::string> names = {"all", "messages", "returns_queue", "order_history"};
  do {
    ReplayOptions o;
    o.projection = names[static_cast<size_t>(rebuilds) % names.size()];
    o.online = true;
    o.batch_size = 700;
    if (rebuilds % 2 == 1) {  // rows as table files, beside the source's writes
      o.table_bytes = 128 << 10;
      o.min_table_bytes = 0;
    }
    ReplayReport report;
    Status st = replay_projections(*log, o, report);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(report.derived_mismatches, 0u) << report.first_mismatch;
    ++rebuilds;
  } while (appending.load() || rebuilds < 4);
  source.join();
  EXPECT_GE(rebuilds, 1);
  EXPECT_EQ(log->projections()->number, static_cast<uint64_t>(1 + rebuilds));
  Rows got = projection_rows(*log);
  ReplayOptions offline;
  ReplayReport report;
  ASSERT_TRUE(replay_projections(*log, offline, report).ok());
  Rows reference = projection_rows(*log);
  EXPECT_EQ(got.size(), reference.size());
  int shown = 0;
  for (const auto& [k, v] : reference) {
    auto it = got.find(k);
    if ((it == got.end() || it->second != v) && shown++ < 3) {
      ADD_FAILURE() << "row differs: " << k.substr(4) << "\n live: " << (it == got.end() ? "(none)" : it->second)
                    << "\n reference: " << v;
    }
  }
}

}  // namespace
}  // namespace carelog::replay_test
