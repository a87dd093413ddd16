// The event log through the ingest step: append and read back, idempotency,
// conflicts, hash chain verification, stored offsets across a reopen.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <rocksdb/db.h>
#include <sodium.h>

#include <vector>

#include "engine/event_log.h"
#include "engine/ingest.h"
#include "engine/log_verify.h"
#include "tests/unit/test_support.h"

namespace carelog::engine_log_test {
namespace {

using testing::envelope;
using testing::order_placed;
using testing::TempDir;

class RecordingSink : public RejectionSink {
 public:
  Status publish(const RejectedRecord& r) override {
    pending.push_back(r);
    return Status::Ok();
  }
  Status flush() override {
    ++flushes;
    if (fail_flush) return Status::Error("broker unavailable");
    flushed.insert(flushed.end(), pending.begin(), pending.end());
    pending.clear();
    return Status::Ok();
  }
  std::vector<RejectedRecord> pending, flushed;
  int flushes = 0;
  bool fail_flush = false;
};

struct Feed {
  std::vector<std::string> values;
  std::vector<SourceRecord> records(uint32_t partition = 0, int64_t first_offset = 0) const {
    std::vector<SourceRecord> out;
    for (size_t i = 0; i < values.size(); ++i) {
      SourceRecord r;
      r.partition = partition;
      r.offset = first_offset + static_cast<int64_t>(i);
      r.next_offset = r.offset + 1;
      r.value = values[i];
      out.push_back(r);
    }
    return out;
  }
};

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    ingestor_.reset();
    log_.reset();
    ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
    ingestor_ = std::make_unique<Ingestor>(*log_, IngestOptions{"carelog.events", {}, {}}, metrics_, &sink_);
  }
  BatchResult ingest(const Feed& feed, uint32_t partition = 0, int64_t first_offset = 0) {
    auto recs = feed.records(partition, first_offset);
    BatchResult res;
    Status st = ingestor_->ingest(recs, &res);
    EXPECT_TRUE(st.ok()) << st.message();
    return res;
  }
  // The rejected store's records, in (partition, offset) order.
  std::vector<RejectedRecord> rejected_records() {
    std::vector<RejectedRecord> out;
    EXPECT_TRUE(log_->list_rejected([&](const RejectedRecord& r) {
                      out.push_back(r);
                      return true;
                    }).ok());
    return out;
  }
  std::vector<LogRecord> read_all(uint32_t partition) {
    std::vector<LogRecord> out;
    EXPECT_TRUE(log_->scan(partition, 1, [&](const LogRecord& r, std::string_view) {
                      out.push_back(r);
                      return true;
                    }).ok());
    return out;
  }

  TempDir dir_;
  EngineMetrics metrics_;
  RecordingSink sink_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(EventLogTest, AppendsAndReadsBackInOrderWithOriginalBytes) {
  Feed feed{{envelope("e1", "order.placed", order_placed()),
             envelope("e2", "order.shipped", R"({"order_id":"403-9930700-9360319","carrier":"Colissimo"})"),
             envelope("e3", "order.delivered", R"({"order_id":"403-9930700-9360319"})")}};
  auto res = ingest(feed, 3, 100);
  EXPECT_EQ(res.appended, 3u);
  auto recs = read_all(3);
  ASSERT_EQ(recs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(recs[i].seq, i + 1);
    EXPECT_EQ(recs[i].partition, 3u);
    EXPECT_EQ(recs[i].source_offset, 100 + static_cast<int64_t>(i));
    EXPECT_EQ(recs[i].original, feed.values[i]);
  }
  EXPECT_EQ(recs[1].event.type(), EventType::kOrderShipped);
  EXPECT_EQ(std::get<OrderShipped>(recs[1].event.data).carrier.value_or(""), "Colissimo");
  EXPECT_EQ(log_->head(3).seq, 3u);
  EXPECT_EQ(log_->head(3).hash, recs[2].hash);
  EXPECT_EQ(log_->stored_offset(3).value_or(-1), 103);
}

TEST_F(EventLogTest, SameIdSameContentIsADuplicateDroppedSilently) {
  std::string e1 = envelope("e1", "order.placed", order_placed());
  auto res = ingest(Feed{{e1, e1}});
  EXPECT_EQ(res.appended, 1u);
  EXPECT_EQ(res.duplicates, 1u);
  // Across batches too, and with different formatting of the same content.
  std::string reformatted = e1;
  reformatted.insert(1, " ");
  res = ingest(Feed{{reformatted}}, 0, 2);
  EXPECT_EQ(res.duplicates, 1u);
  EXPECT_EQ(res.appended, 0u);
  EXPECT_EQ(read_all(0).size(), 1u);
  EXPECT_TRUE(sink_.flushed.empty());
  EXPECT_EQ(metrics_.duplicates.load(), 2u);
}

TEST_F(EventLogTest, SameIdDifferentContentIsARejectedConflict) {
  ingest(Feed{{envelope("e1", "order.placed", order_placed())}});
  auto res = ingest(Feed{{envelope("e1", "order.placed", order_placed("403-0000000-0000001"))}}, 0, 1);
  EXPECT_EQ(res.rejected, 1u);
  ASSERT_EQ(sink_.flushed.size(), 1u);
  EXPECT_EQ(sink_.flushed[0].reason.code, reject::kIdConflict);
  EXPECT_EQ(sink_.flushed[0].reason.field, "event_id");
  EXPECT_EQ(sink_.flushed[0].offset, 1);
  EXPECT_EQ(read_all(0).size(), 1u);
  // The rejected store holds it too, with the original bytes.
  const std::vector<RejectedRecord> stored = rejected_records();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].value, sink_.flushed[0].value);
  EXPECT_EQ(stored[0].event_id, "e1");
  EXPECT_EQ(stored[0].seller_id, "A2SELLER0001");
}

// A record rejected before it decodes belongs to the seller of its Kafka
// key, or of its top-level "seller_id"; never to a seller id found deeper in
// its bytes (seller A's record may quote seller B's id: B's token must not
// read it), and to the admin alone when key and field disagree.
TEST_F(EventLogTest, ARecordRejectedBeforeDecodingIsLabelledFromItsKeyOrItsTopLevelSellerOnly) {
  const std::string nested = R"({"payload":{"seller_id":"SELLER_B","note":"x"},"event_id":"n1","seller_id":)";
  const std::string top_level_a = R"({"event_id":"t1","seller_id":"SELLER_A","event_type":"no.such.type"})";
  const std::string quoted_b = R"({"event_id":"q1","event_type":"no.such.type","payload":{"seller_id":"SELLER_B"}})";
  const std::string malformed = R"({"seller_id":"SELLER_B", oops)";
  const Feed feed{{nested, top_level_a, quoted_b, malformed, top_level_a, quoted_b}};
  auto recs = feed.records();
  const std::string key_a = "SELLER_A", key_c = "SELLER_C";
  recs[4].key = key_c;  // the key and the field disagree: the admin's alone
  recs[5].key = key_a;  // keyed by A: A's, whatever it quotes
  BatchResult res;
  ASSERT_TRUE(ingestor_->ingest(recs, &res).ok());
  ASSERT_EQ(res.rejected, 6u);
  std::map<int64_t, std::string> owner;
  for (const RejectedRecord& r : rejected_records()) owner[r.offset] = r.seller_id;
  EXPECT_EQ(owner.at(0), "");  // malformed, its only seller id nested
  EXPECT_EQ(owner.at(1), "SELLER_A");
  EXPECT_EQ(owner.at(2), "");  // no top-level seller, no key
  EXPECT_EQ(owner.at(3), "");  // not JSON
  EXPECT_EQ(owner.at(4), "");
  EXPECT_EQ(owner.at(5), "SELLER_A");
}

TEST_F(EventLogTest, EventIdsAreScopedBySellerSoPartitionsNeverDependOnEachOther) {
  // Two sellers (two partitions) reuse an id: each partition's log is the
  // same whichever is consumed first.
  auto res = ingest(Feed{{envelope("same-id", "order.placed", order_placed(), "2013-01-07T19:36:31+01:00", "SELLER_A")}}, 0);
  EXPECT_EQ(res.appended, 1u);
  res = ingest(Feed{{envelope("same-id", "order.placed", order_placed("403-0000000-0000001"),
                              "2013-01-07T19:36:31+01:00", "SELLER_B")}},
               1);
  EXPECT_EQ(res.appended, 1u);
  EXPECT_EQ(res.rejected, 0u);
}

TEST_F(EventLogTest, MalformedRecordIsRejectedWithItsBytesAndTheBatchGoesOn) {
  Feed feed{{"{not json", envelope("e1", "order.placed", order_placed())}};
  auto res = ingest(feed);
  EXPECT_EQ(res.rejected, 1u);
  EXPECT_EQ(res.appended, 1u);
  ASSERT_EQ(sink_.flushed.size(), 1u);
  EXPECT_EQ(sink_.flushed[0].reason.code, reject::kInvalidJson);
  EXPECT_EQ(sink_.flushed[0].value, "{not json");
  EXPECT_EQ(metrics_.rejections_by_code()[reject::kInvalidJson], 1u);
}

// A dead-letter topic that will not take a batch's rejections (a broker
// gone, a record over its size limit) never stops ingest: after its retries
// the batch commits, and the rejected records stay in the rejected store.
TEST_F(EventLogTest, AFailedDeadLetterFlushNeverStopsIngest) {
  sink_.fail_flush = true;
  Feed feed{{envelope("e1", "order.placed", order_placed()), "garbage"}};
  auto recs = feed.records();
  BatchResult res;
  ASSERT_TRUE(ingestor_->ingest(recs, &res).ok());
  EXPECT_EQ(res.appended, 1u);
  EXPECT_EQ(res.rejected, 1u);
  EXPECT_EQ(log_->head(0).seq, 1u);
  EXPECT_EQ(log_->stored_offset(0), std::optional<int64_t>(2));
  EXPECT_TRUE(sink_.flushed.empty());
  EXPECT_EQ(metrics_.dead_letter_failures.load(), 1u);
  const std::vector<RejectedRecord> stored = rejected_records();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].value, "garbage");
  EXPECT_EQ(sink_.flushes, kDeadLetterAttempts);
  // The next batches do not wait for the topic that failed just now.
  Feed more{{"more garbage"}};
  auto more_recs = more.records(0, 2);
  ASSERT_TRUE(ingestor_->ingest(more_recs, &res).ok());
  EXPECT_EQ(res.rejected, 1u);
  EXPECT_EQ(sink_.flushes, kDeadLetterAttempts);
  EXPECT_EQ(metrics_.dead_letter_failures.load(), 2u);
}

// A record larger than the rejected store keeps is kept as its first
// kMaxRejectedValueBytes, with the size and SHA-256 of the whole; a reopen
// reads them back.
TEST_F(EventLogTest, AnOversizedRejectedRecordIsKeptBoundedWithItsSizeAndDigest) {
  std::string huge = "{\"event_id\":\"big\",\"pad\":\"" + std::string(kMaxRejectedValueBytes + 5000, 'x') + "\"}";
  Feed feed{{huge}};
  auto recs = feed.records();
  BatchResult res;
  ASSERT_TRUE(ingestor_->ingest(recs, &res).ok());
  ASSERT_EQ(res.rejected, 1u);
  std::array<uint8_t, 32> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(huge.data()), huge.size());
  reopen();
  const std::vector<RejectedRecord> stored = rejected_records();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].value, huge.substr(0, kMaxRejectedValueBytes));
  EXPECT_EQ(stored[0].value_bytes, huge.size());
  EXPECT_EQ(stored[0].value_sha256, digest);
}

TEST_F(EventLogTest, OffsetsSurviveReopenAndOldOffsetsAreSkipped) {
  Feed feed{{envelope("e1", "order.placed", order_placed()),
             envelope("e2", "order.shipped", R"({"order_id":"403-9930700-9360319"})")}};
  ingest(feed, 2, 10);
  reopen();
  EXPECT_EQ(ingestor_->resume_offset(2).value_or(-1), 12);
  EXPECT_FALSE(ingestor_->resume_offset(1).has_value());
  // Re-delivery of committed offsets appends nothing, not even as duplicates.
  auto res = ingest(feed, 2, 10);
  EXPECT_EQ(res.skipped, 2u);
  EXPECT_EQ(res.appended + res.duplicates, 0u);
  EXPECT_EQ(log_->head(2).seq, 2u);
  // The chain continues across the reopen.
  ingest(Feed{{envelope("e3", "order.delivered", R"({"order_id":"403-9930700-9360319"})")}}, 2, 12);
  ChainReport report;
  ASSERT_TRUE(verify_log(*log_, report).ok());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.heads[2].seq, 3u);
}

TEST_F(EventLogTest, PartitionsHaveTheirOwnSequencesAndChains) {
  ingest(Feed{{envelope("a1", "order.placed", order_placed(), "2013-01-07T19:36:31+01:00", "SELLER_A")}}, 0);
  ingest(Feed{{envelope("b1", "order.placed", order_placed(), "2013-01-07T19:36:31+01:00", "SELLER_B"),
               envelope("b2", "order.delivered", R"({"order_id":"403-9930700-9360319"})",
                        "2013-01-08T19:36:31+01:00", "SELLER_B")}},
         5);
  EXPECT_EQ(log_->head(0).seq, 1u);
  EXPECT_EQ(log_->head(5).seq, 2u);
  EXPECT_NE(log_->head(0).hash, log_->head(5).hash);
  EXPECT_EQ(log_->approximate_event_count(), 3u);
}

class ChainTamperTest : public EventLogTest {
 protected:
  void SetUp() override {
    EventLogTest::SetUp();
    Feed feed;
    feed.values.push_back(envelope("e0", "order.placed", order_placed()));
    for (int i = 1; i <= 5; ++i) {
      feed.values.push_back(envelope("m" + std::to_string(i), "message.received",
                                     R"({"message_id":"M)" + std::to_string(i) +
                                         R"(","thread_id":"T1","buyer_id":"B1","buyer_alias":"x8k2@marketplace.amazon.fr","subject":"Demande de renseignements","body":"Bonjour","auto_reply":false})"));
    }
    ingest(feed, 1);
    ChainReport clean;
    ASSERT_TRUE(verify_log(*log_, clean).ok());
    ASSERT_TRUE(clean.ok());
    ASSERT_EQ(clean.records, 6u);
  }
};

TEST_F(ChainTamperTest, DetectsAnAlteredRecord) {
  std::string value;
  ASSERT_TRUE(log_->db()->Get({}, log_->log_family(), log_key(1, 3), &value).ok());
  value[value.size() / 2] ^= 0x01;  // a byte of the body (sealed or not)
  ASSERT_TRUE(log_->db()->Put({}, log_->log_family(), log_key(1, 3), value).ok());
  ChainReport report;
  ASSERT_TRUE(verify_log(*log_, report).ok());
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].partition, 1u);
  EXPECT_EQ(report.problems[0].seq, 3u);
  EXPECT_NE(report.problems[0].what.find("hash mismatch"), std::string::npos);
}

TEST_F(ChainTamperTest, DetectsARemovedRecord) {
  ASSERT_TRUE(log_->db()->Delete({}, log_->log_family(), log_key(1, 4)).ok());
  ChainReport report;
  ASSERT_TRUE(verify_log(*log_, report).ok());
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].seq, 5u);
  EXPECT_NE(report.problems[0].what.find("missing records 4..4"), std::string::npos);
}

TEST_F(ChainTamperTest, DetectsTheLastRecordRemoved) {
  ASSERT_TRUE(log_->db()->Delete({}, log_->log_family(), log_key(1, 6)).ok());
  ChainReport report;
  ASSERT_TRUE(verify_log(*log_, report).ok());
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].seq, 6u);
}

TEST_F(ChainTamperTest, DetectsARecordMovedFromAnotherPosition) {
  // Swap two records' bytes: each is individually well-formed.
  std::string v2, v3;
  ASSERT_TRUE(log_->db()->Get({}, log_->log_family(), log_key(1, 2), &v2).ok());
  ASSERT_TRUE(log_->db()->Get({}, log_->log_family(), log_key(1, 3), &v3).ok());
  ASSERT_TRUE(log_->db()->Put({}, log_->log_family(), log_key(1, 2), v3).ok());
  ASSERT_TRUE(log_->db()->Put({}, log_->log_family(), log_key(1, 3), v2).ok());
  ChainReport report;
  ASSERT_TRUE(verify_log(*log_, report).ok());
  // Both places, and record 4, whose predecessor is no longer record 3.
  ASSERT_EQ(report.problems.size(), 3u);
  EXPECT_EQ(report.problems[0].seq, 2u);
  EXPECT_EQ(report.problems[1].seq, 3u);
  EXPECT_EQ(report.problems[2].seq, 4u);
}

TEST_F(ChainTamperTest, NamesEveryBreakOfAPartitionNotOnlyTheFirst) {
  std::string value;
  ASSERT_TRUE(log_->db()->Get({}, log_->log_family(), log_key(1, 2), &value).ok());
  value[value.size() / 2] ^= 1;
  ASSERT_TRUE(log_->db()->Put({}, log_->log_family(), log_key(1, 2), value).ok());
  ASSERT_TRUE(log_->db()->Delete({}, log_->log_family(), log_key(1, 5)).ok());
  ChainReport report;
  ASSERT_TRUE(verify_log(*log_, report).ok());
  ASSERT_EQ(report.problems.size(), 2u);
  EXPECT_EQ(report.problems[0].seq, 2u);
  EXPECT_NE(report.problems[0].what.find("hash mismatch"), std::string::npos);
  EXPECT_EQ(report.problems[1].seq, 6u);
  EXPECT_NE(report.problems[1].what.find("missing records 5..5"), std::string::npos);
}

}  // namespace
}  // namespace carelog::engine_log_test
