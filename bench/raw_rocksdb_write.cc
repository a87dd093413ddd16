// The physical reference for the write path: the same envelope bytes written
// to RocksDB in WriteBatches of the same size, each event as one log record
// plus one id-index entry, with nothing else (no parsing, no rules, no
// projections). `carelog_raw_write FEED.jsonl DIR [BATCH]` prints events/s.
// `carelog_raw_write --iterate DIR` reads every record of that DB back in key
// order: the reference for replay (a raw iteration of the log).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s FEED.jsonl DIR [BATCH]\n", argv[0]);
    return 2;
  }
  const bool iterate = std::string(argv[1]) == "--iterate";
  size_t batch_size = argc > 3 ? std::stoul(argv[3]) : 2000;
  rocksdb::Options o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.max_background_jobs = 2;
  o.write_buffer_size = 64 << 20;
  o.compression = rocksdb::kLZ4Compression;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, o},
                                                      {"log", o}, {"event_ids", o}};
  std::vector<rocksdb::ColumnFamilyHandle*> h;
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(rocksdb::DBOptions(o), iterate ? argv[2] : argv[2], cfs, &h, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  if (iterate) {
    auto start = std::chrono::steady_clock::now();
    uint64_t n = 0, bytes = 0;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, h[1]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++n;
      bytes += it->value().size();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%llu events (%llu bytes) in %.2f s: %.0f events/s\n", static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(bytes), secs, n / secs);
    it.reset();
    for (auto* c : h) db->DestroyColumnFamilyHandle(c);
    std::unique_ptr<rocksdb::DB>{db};
    return 0;
  }
  std::ifstream in(argv[1]);
  std::string line;
  rocksdb::WriteBatch batch;
  uint64_t n = 0;
  auto start = std::chrono::steady_clock::now();
  auto key = [](uint64_t seq) {
    std::string k(12, '\0');
    for (int i = 0; i < 8; ++i) k[4 + i] = static_cast<char>(seq >> (8 * (7 - i)));
    return k;
  };
  while (std::getline(in, line)) {
    ++n;
    batch.Put(h[1], key(n), line);
    batch.Put(h[2], line.substr(14, 24), key(n) + std::string(16, 'x'));  // an id-sized key
    if (batch.Count() >= 2 * batch_size) {
      db->Write({}, &batch);
      batch.Clear();
    }
  }
  if (batch.Count()) db->Write({}, &batch);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%llu events in %.2f s: %.0f events/s\n", static_cast<unsigned long long>(n), secs, n / secs);
  for (auto* c : h) db->DestroyColumnFamilyHandle(c);
  std::unique_ptr<rocksdb::DB>{db};  // closes it
  return 0;
}
