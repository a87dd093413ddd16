// Pipelined ingest (Ingestor::submit): a batch's commit runs on a second
// thread while the next batch folds, reading through the one in flight. The
// log, id index, seller state, projection rows and offsets must come out
// exactly as with ingest(), batch after batch committed, including re-delivered
// records, duplicates and id conflicts that straddle two batches, rejected
// records and a buyer erasure; and a failed commit must drop the batch folded
// on top of it, so that a restart from the stored offsets ends the same.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/buyer_vault.h"
#include "engine/domain_rules.h"
#include "engine/event_log.h"
#include "engine/failure_probe.h"
#include "engine/ingest.h"
#include "engine/projection_store.h"
#include "engine/replay.h"
#include "tests/unit/test_support.h"
#include "tools/feed_generator.h"

namespace carelog::pipelined_ingest_test {
namespace {

using testing::json_field;
using testing::TempDir;

constexpr uint32_t kPartitions = 3;
constexpr size_t kBatch = 200;

// Source batches over a generated feed split by seller into partitions,
// round-robin across partitions as a consumer would receive them, with the
// awkward cases a source produces.
struct Deliveries {
  std::map<uint32_t, std::vector<std::string>> values;  // per partition, by offset
  std::vector<std::vector<SourceRecord>> batches;
  std::string erased_seller, erased_buyer;

  Deliveries() {
    FeedOptions o;
    o.sellers = 12;
    o.days = 60;
    o.seed = 11;
    o.events = 12000;
    generate_feed(o, [&](const std::string& line) {
      std::string seller = json_field(line, "seller_id");
      uint32_t p = testing::partition_of_seller(seller, kPartitions);
      auto& v = values[p];
      v.push_back(line);
      // A buyer of the first seller asks to be forgotten a third of the way in.
      if (erased_buyer.empty() && v.size() > 1500 && line.find("\"type\":\"order.placed\"") != std::string::npos) {
        erased_seller = seller;
        erased_buyer = json_field(line, "buyer_id");
        v.push_back(testing::envelope("erase-1", "buyer.erasure_requested",
                                      R"({"buyer_id":")" + erased_buyer + R"("})", json_field(line, "occurred_at"),
                                      seller));
      }
      // Every 97th event comes again at a new offset (a producer's retry), and
      // every 89th with other content under its id (a conflict), a few
      // records later: often in the next batch, while this one commits.
      if (v.size() % 97 == 0) pending_copies[p].push_back({v.size() + 3, line});
      if (v.size() % 89 == 0) {
        std::string other = line;
        other.replace(other.find("\"occurred_at\":\""), 15, "\"occurred_at\":\"2001-01-01T00:00:00Z\",\"x\":\"");
        pending_copies[p].push_back({v.size() + 5, other});
      }
      if (v.size() % 151 == 0) v.push_back("{not json");  // malformed: rejected
      auto& copies = pending_copies[p];
      for (size_t i = 0; i < copies.size();) {
        if (copies[i].first <= v.size()) {
          v.push_back(copies[i].second);
          copies.erase(copies.begin() + static_cast<long>(i));
        } else {
          ++i;
        }
      }
    });
    // Round-robin batches; every 7th batch starts again with the last 20
    // records of the batch before (re-delivery after a rebalance).
    std::map<uint32_t, size_t> next;
    std::vector<SourceRecord> all;
    for (bool more = true; more;) {
      more = false;
      for (auto& [p, v] : values) {
        size_t end = std::min(v.size(), next[p] + 37);
        std::vector<SourceRecord> chunk = testing::source_records(v, next[p], end, p);
        all.insert(all.end(), chunk.begin(), chunk.end());
        next[p] = end;
        more = more || next[p] < v.size();
      }
    }
    for (size_t i = 0; i < all.size(); i += kBatch) {
      size_t begin = (batches.size() % 7 == 6 && i >= 20) ? i - 20 : i;
      batches.emplace_back(all.begin() + static_cast<long>(begin),
                           all.begin() + static_cast<long>(std::min(all.size(), i + kBatch)));
    }
  }

 private:
  std::map<uint32_t, std::vector<std::pair<size_t, std::string>>> pending_copies;
};

const Deliveries& deliveries() {
  static const Deliveries d;
  return d;
}

// Everything the ingest decides, read back from the data dir. Sealed bytes
// (log records, vault) differ between runs (random keys), so records are
// compared by what they carry, the rest byte for byte.
struct Outcome {
  std::map<uint32_t, std::vector<std::string>> log;  // per partition: "seq offset event_id type"
  std::map<std::string, std::string> ids, state, rows;
  std::map<uint32_t, int64_t> offsets;
  std::vector<std::string> rejected;  // "partition offset code"
  bool erased_key_present = true;
  bool operator==(const Outcome&) const = default;
};

std::map<std::string, std::string> family_rows(EventLog& log, rocksdb::ColumnFamilyHandle* family) {
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(log.db()->NewIterator({}, family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) out[it->key().ToString()] = it->value().ToString();
  return out;
}

rocksdb::ColumnFamilyHandle* family_named(EventLog& log, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                                          const std::string& name) {
  for (auto* h : handles) {
    if (h->GetName() == name) return h;
  }
  ADD_FAILURE() << "no column family " << name;
  return log.db()->DefaultColumnFamily();
}

Outcome outcome(EventLog& log, const std::string& dir) {
  Outcome o;
  for (uint32_t p : log.partitions_in_log()) {
    EXPECT_TRUE(log.scan(p, 1, [&](const LogRecord& r, std::string_view) {
                     o.log[p].push_back(std::to_string(r.seq) + " " + std::to_string(r.source_offset) + " " +
                                        r.event.event_id + " " + std::string(to_string(r.event.type())));
                     return true;
                   }).ok());
  }
  // The families by name, from a second read-only view of the same data dir.
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names) cfs.push_back({n, rocksdb::ColumnFamilyOptions()});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, cfs, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  auto rows_of = [&](const std::string& name) {
    std::map<std::string, std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, family_named(log, handles, name)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) out[it->key().ToString()] = it->value().ToString();
    return out;
  };
  o.ids = rows_of("event_ids");
  o.state = rows_of("state");
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  db.reset();
  o.rows = family_rows(log, log.projections()->family);
  // The order history keeps each record's chain hash, which covers its
  // sealed bytes: its rows are compared by key.
  for (auto& [key, value] : o.rows) {
    size_t zero = key.find('\0', 4);
    if (zero != std::string::npos && key.compare(zero + 1, 2, "hE") == 0) value = "(hash)";
  }
  o.offsets = log.stored_offsets();
  EXPECT_TRUE(log.list_rejected([&](const RejectedRecord& r) {
                   o.rejected.push_back(std::to_string(r.partition) + " " + std::to_string(r.offset) + " " +
                                        r.reason.code);
                   return true;
                 }).ok());
  o.erased_key_present =
      log.vault_get(vault_key_row(deliveries().erased_seller, deliveries().erased_buyer)).has_value();
  return o;
}

// A dead-letter sink that accepts everything.
class Sink : public RejectionSink {
 public:
  Status publish(const RejectedRecord&) override { return Status::Ok(); }
  Status flush() override { return Status::Ok(); }
};

struct DataDir {
  TempDir dir;
  EngineMetrics metrics;
  std::unique_ptr<EventLog> log;
  DataDir() { EXPECT_TRUE(EventLog::open(dir.str(), {}, log).ok()); }
};

Outcome reference_outcome() {
  static const Outcome reference = [] {
    DataDir run;
    Sink sink;
    Ingestor ingestor(*run.log, IngestOptions{"carelog.events", {}, {}}, run.metrics, &sink);
    for (const auto& b : deliveries().batches) EXPECT_TRUE(ingestor.ingest(b).ok());
    return outcome(*run.log, run.dir.str());
  }();
  return reference;
}

// Every part of `got` as in `reference` (the rows compared whole: their
// diff would be unreadable). `with_store`: `got` was ingested with a
// projection store, whose rules read the projections and write no rules'
// state; the log and the rejections must still be the reference's.
void expect_same_outcome(const Outcome& got, const Outcome& reference, bool with_store = false) {
  EXPECT_EQ(got.log, reference.log);
  EXPECT_EQ(got.ids, reference.ids);
  if (with_store) {
    EXPECT_TRUE(got.state.empty()) << got.state.size() << " rules' state rows written";
  } else {
    EXPECT_EQ(got.state, reference.state);
  }
  EXPECT_EQ(got.rows.size(), reference.rows.size());
  EXPECT_TRUE(got.rows == reference.rows) << "projection rows differ";
  EXPECT_EQ(got.offsets, reference.offsets);
  EXPECT_EQ(got.rejected, reference.rejected);
  EXPECT_EQ(got.erased_key_present, reference.erased_key_present);
}

TEST(PipelinedIngestTest, SubmittedBatchesEndExactlyAsCommittedOnes) {
  const Outcome reference = reference_outcome();
  ASSERT_GT(reference.rows.size(), 1000u);
  ASSERT_GT(reference.rejected.size(), 100u) << "the feed should hold conflicts and malformed records";
  ASSERT_FALSE(reference.erased_key_present) << "the erasure should have been carried out";

  DataDir run;
  Sink sink;
  Ingestor ingestor(*run.log, IngestOptions{"carelog.events", {}, {}}, run.metrics, &sink);
  BatchResult total;
  for (const auto& b : deliveries().batches) {
    BatchResult committed;
    ASSERT_TRUE(ingestor.submit(b, &committed).ok());
    total += committed;
  }
  BatchResult last;
  ASSERT_TRUE(ingestor.flush(&last).ok());
  total += last;
  Outcome got = outcome(*run.log, run.dir.str());
  expect_same_outcome(got, reference);
  EXPECT_GT(total.duplicates, 0u);
  EXPECT_GT(total.skipped, 0u);
  EXPECT_EQ(run.metrics.ingested.load(), total.appended);
}

TEST(PipelinedIngestTest, AFailedCommitDropsTheBatchFoldedOnItAndARestartEndsTheSame) {
  const Outcome reference = reference_outcome();
  DataDir run;
  {
    Sink sink;
    failure_probe::arm("log.commit", 12);  // the 12th commit fails
    Ingestor ingestor(*run.log, IngestOptions{"carelog.events", {}, {}}, run.metrics, &sink);
    Status st;
    size_t submitted = 0;
    for (const auto& b : deliveries().batches) {
      st = ingestor.submit(b);
      ++submitted;
      if (!st.ok()) break;
    }
    if (st.ok()) st = ingestor.flush();
    failure_probe::disarm_all();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("failure probe"), std::string::npos) << st.message();
    ASSERT_LT(submitted, deliveries().batches.size());
    // Nothing of the failed batch, nor of the one folded on top of it, is in
    // the log: the stored offsets stop before both.
    auto stored = run.log->stored_offsets();
    const auto& failed_next = deliveries().batches[submitted - 1];
    for (const auto& r : failed_next) EXPECT_LT(stored[r.partition], r.next_offset);
  }
  // The engine stops; restarted, it resumes from the stored offsets.
  Sink sink;
  Ingestor restarted(*run.log, IngestOptions{"carelog.events", {}, {}}, run.metrics, &sink);
  for (const auto& b : deliveries().batches) ASSERT_TRUE(restarted.submit(b).ok());
  ASSERT_TRUE(restarted.flush().ok());
  Outcome got = outcome(*run.log, run.dir.str());
  expect_same_outcome(got, reference);
}

// With a projection store, the batches write no projection row: the
// checkpoints do, and the rows they leave must be those the row folds write
// batch by batch, whatever failed on the way.
TEST(PipelinedIngestTest, WithAProjectionStoreTheCheckpointsWriteTheRowsOfTheFold) {
  const Outcome reference = reference_outcome();
  DataDir run;
  {
    Sink sink;
    failure_probe::arm("log.commit", 12);  // as above: the engine stops at a failed commit...
    ProjectionStore store(*run.log, ReturnsPolicy{});
    IngestOptions options{"carelog.events", {}, {}};
    options.checkpoint_records = 700;
    Ingestor ingestor(*run.log, options, run.metrics, &sink, &store);
    Status st;
    for (const auto& b : deliveries().batches) {
      st = ingestor.submit(b);
      if (!st.ok()) break;
    }
    failure_probe::disarm_all();
    ASSERT_FALSE(st.ok());
    // ...with the rows brought up to what was committed
    EXPECT_TRUE(run.log->projections_behind().empty());
  }
  {
    Sink sink;  // ...and restarts
    ProjectionStore store(*run.log, ReturnsPolicy{});
    IngestOptions options{"carelog.events", {}, {}};
    options.checkpoint_records = 900;
    Ingestor restarted(*run.log, options, run.metrics, &sink, &store);
    for (const auto& b : deliveries().batches) ASSERT_TRUE(restarted.submit(b).ok());
    ASSERT_TRUE(restarted.checkpoint().ok());
    EXPECT_GT(run.metrics.checkpoints.load(), 3u);
  }
  Outcome got = outcome(*run.log, run.dir.str());
  expect_same_outcome(got, reference, /*with_store=*/true);
}

// An engine killed between checkpoints leaves the projection rows short of
// the log (their marks say from where); the catch-up a start runs completes
// them, and ingest resumes as if nothing happened: no event is rejected for
// rules that read projections which lost their last changes.
TEST(PipelinedIngestTest, AKillBetweenCheckpointsIsCaughtUpFromTheLogAtStart) {
  const Outcome reference = reference_outcome();
  DataDir run;
  const auto& batches = deliveries().batches;
  const size_t half = batches.size() / 2;
  {
    Sink sink;
    ProjectionStore store(*run.log, ReturnsPolicy{});
    IngestOptions options{"carelog.events", {}, {}};
    options.checkpoint_records = 2500;
    options.checkpoint_interval = std::chrono::hours(1);
    Ingestor ingestor(*run.log, options, run.metrics, &sink, &store);
    for (size_t i = 0; i < half; ++i) ASSERT_TRUE(ingestor.submit(batches[i]).ok());
    EXPECT_GT(run.metrics.checkpoints.load(), 0u);
    // Killed here (the last batch's commit completes: the destructor waits
    // for it): what changed since the last checkpoint was in memory only.
  }
  ASSERT_FALSE(run.log->projections_behind().empty());
  const Outcome killed = outcome(*run.log, run.dir.str());
  uint64_t folded = 0;
  ASSERT_TRUE(catch_up_projections(*run.log, ProjectorOptions{}, folded).ok());
  EXPECT_GT(folded, 0u);
  EXPECT_TRUE(run.log->projections_behind().empty());
  EXPECT_TRUE(outcome(*run.log, run.dir.str()).rows != killed.rows) << "the catch-up wrote no lost change";
  {
    Sink sink;
    ProjectionStore store(*run.log, ReturnsPolicy{});
    IngestOptions options{"carelog.events", {}, {}};
    options.checkpoint_records = 2500;
    Ingestor restarted(*run.log, options, run.metrics, &sink, &store);
    for (const auto& b : batches) ASSERT_TRUE(restarted.submit(b).ok());
    ASSERT_TRUE(restarted.checkpoint().ok());
  }
  Outcome got = outcome(*run.log, run.dir.str());
  expect_same_outcome(got, reference, /*with_store=*/true);
}

}  // namespace
}  // namespace carelog::pipelined_ingest_test
