// The least work a Kafka ingest can do on this machine, the reference of
// scripts/bench's ingest ratio: consume a topic from its start with
// librdkafka (the engine's consumer settings) and write each record to
// RocksDB as one log record (key: partition | offset, value: the record)
// plus one id-index entry (key: the envelope's event_id), with the
// partitions' next offsets, in WriteBatches of BATCH records, the WAL on
// (as the engine writes by default). Nothing else: no parsing beyond finding
// the event id, no rules, no projections.
//
//   carelog_least_work_ingest BROKERS TOPIC DIR [BATCH]
//
// Runs until every partition has been read up to the high watermark it had
// at start; prints "N events in S s: R events/s, C CPU s".
#include <librdkafka/rdkafka.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

bool set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "%s: %s\n", key, err);
    return false;
  }
  return true;
}

// be32 partition | be64 offset: the log's key order.
std::string log_key(int32_t partition, int64_t offset) {
  std::string k(12, '\0');
  for (int i = 0; i < 4; ++i)
    k[i] = static_cast<char>(static_cast<uint32_t>(partition) >> (8 * (3 - i)));
  for (int i = 0; i < 8; ++i)
    k[4 + i] = static_cast<char>(static_cast<uint64_t>(offset) >> (8 * (7 - i)));
  return k;
}

// The envelope's event id (the first "event_id" member), or empty.
std::string_view event_id(std::string_view record) {
  constexpr std::string_view kName = "\"event_id\":\"";
  size_t at = record.find(kName);
  if (at == std::string_view::npos) return {};
  size_t start = at + kName.size();
  size_t end = record.find('"', start);
  return end == std::string_view::npos ? std::string_view{} : record.substr(start, end - start);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s BROKERS TOPIC DIR [BATCH]\n", argv[0]);
    return 2;
  }
  const std::string brokers = argv[1], topic = argv[2];
  const size_t batch_size = argc > 4 ? std::stoul(argv[4]) : 2000;
  const auto start = std::chrono::steady_clock::now();

  rocksdb::Options o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.max_background_jobs = 2;
  o.write_buffer_size = 64 << 20;
  o.compression = rocksdb::kLZ4Compression;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, o}, {"log", o}, {"event_ids", o}};
  std::vector<rocksdb::ColumnFamilyHandle*> h;
  rocksdb::DB* raw_db = nullptr;
  auto s = rocksdb::DB::Open(rocksdb::DBOptions(o), argv[3], cfs, &h, &raw_db);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw_db);

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (!set(conf, "bootstrap.servers", brokers) || !set(conf, "group.id", "carelog-least-work") ||
      !set(conf, "enable.auto.commit", "false") || !set(conf, "enable.partition.eof", "false") ||
      !set(conf, "queued.max.messages.kbytes", "65536") ||
      !set(conf, "queued.min.messages", "250000")) {
    return 2;
  }
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "%s\n", err);
    return 1;
  }
  rd_kafka_poll_set_consumer(rk);

  // Every partition from its start, up to its high watermark now.
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (rd_kafka_metadata(rk, 0, t, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 ||
      md->topics[0].err) {
    std::fprintf(stderr, "no metadata for topic %s\n", topic.c_str());
    return 1;
  }
  std::map<int32_t, int64_t> end;  // partition -> high watermark
  rd_kafka_topic_partition_list_t* parts =
      rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
  for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
    int32_t p = md->topics[0].partitions[i].id;
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10000)) {
      std::fprintf(stderr, "no watermarks for partition %d\n", p);
      return 1;
    }
    if (high > low) end[p] = high;
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);

  rocksdb::WriteBatch batch;
  std::map<int32_t, int64_t> next;  // partition -> next offset, in the batch
  size_t in_batch = 0;
  uint64_t n = 0;
  auto commit = [&] {
    for (auto& [p, off] : next) {
      batch.Put(h[0], "offset:" + std::to_string(p), std::to_string(off));
    }
    auto st = db->Write({}, &batch);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      std::exit(1);
    }
    batch.Clear();
    in_batch = 0;
  };
  while (!end.empty()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) {
      if (in_batch) commit();
      continue;
    }
    if (m->err) {
      std::fprintf(stderr, "%s\n", rd_kafka_message_errstr(m));
      rd_kafka_message_destroy(m);
      continue;
    }
    std::string_view value(static_cast<const char*>(m->payload), m->len);
    std::string key = log_key(m->partition, m->offset);
    batch.Put(h[1], key, rocksdb::Slice(value.data(), value.size()));
    std::string_view id = event_id(value);
    batch.Put(h[2], rocksdb::Slice(id.data(), id.size()), key);
    next[m->partition] = m->offset + 1;
    ++n;
    auto e = end.find(m->partition);
    if (e != end.end() && m->offset + 1 >= e->second) end.erase(e);
    rd_kafka_message_destroy(m);
    if (++in_batch >= batch_size) commit();
  }
  if (in_batch) commit();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  for (auto* c : h) db->DestroyColumnFamilyHandle(c);
  db.reset();
  std::printf("%llu events in %.2f s: %.0f events/s, %.2f CPU s\n",
              static_cast<unsigned long long>(n), secs, n / secs, cpu_seconds());
  return 0;
}
