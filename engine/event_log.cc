#include "engine/event_log.h"

#include "engine/buyer_vault.h"
#include "engine/failure_probe.h"
#include "engine/event_log_internal.h"

#include <rocksdb/cache.h>
#include <spdlog/spdlog.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>

namespace carelog {
namespace event_log_detail {

const char* const kLogCf = "log";
const char* const kIdsCf = "event_ids";
const char* const kStateCf = "state";
const char* const kMetaCf = "meta";
const char* const kRejectedCf = "rejected";
const char* const kVaultCf = "buyer_keys";

std::string meta_key(std::string_view kind, uint32_t partition) {
  std::string k(kind);
  k.push_back(':');
  put_be32(k, partition);
  return k;
}

std::string encode_head(const PartitionHead& h) {
  std::string v;
  put_be64(v, h.seq);
  v.append(reinterpret_cast<const char*>(h.hash.data()), h.hash.size());
  return v;
}

bool decode_head(std::string_view v, PartitionHead& h) {
  if (v.size() != 8 + 32) return false;
  h.seq = get_be64(v.data());
  std::memcpy(h.hash.data(), v.data() + 8, 32);
  return true;
}

std::string encode_id_entry(const EventIdEntry& e) {
  std::string v;
  put_be32(v, e.partition);
  put_be64(v, e.seq);
  v.append(reinterpret_cast<const char*>(e.digest.data()), e.digest.size());
  return v;
}

bool decode_id_entry(std::string_view v, EventIdEntry& e) {
  if (v.size() != 4 + 8 + 16) return false;
  e.partition = get_be32(v.data());
  e.seq = get_be64(v.data() + 4);
  std::memcpy(e.digest.data(), v.data() + 12, 16);
  return true;
}

std::string event_id_key(std::string_view seller_id, std::string_view event_id) {
  std::string k;
  k.reserve(seller_id.size() + 1 + event_id.size());
  k.append(seller_id);
  k.push_back('\0');
  k.append(event_id);
  return k;
}

// One block cache for every column family, so that memory is bounded as a
// whole and hot blocks of any family can use it.
const std::shared_ptr<rocksdb::Cache>& shared_block_cache() {
  static const std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(128 << 20);
  return cache;
}

rocksdb::ColumnFamilyOptions cf_options(bool point_lookups) {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = 64 << 20;
  // Level 0 to level 1 compactions merge level 0 into the whole overlapping
  // level 1. Every family flushes together (atomic flush), so the keyed
  // families' level-0 files are small (1-3 MiB for the id index, state and
  // vault), and at the default trigger of 4 files level 1 was rewritten for
  // every ~10 MiB of new rows. 8 files halve those rewrites; a point read
  // checks up to 8 level-0 bloom filters instead of 4 (docs/PERFORMANCE.md at 397ef6b, in git).
  o.level0_file_num_compaction_trigger = 8;
  // LZ4 at every level. ZSTD at the bottom level saved disk but cost the
  // most CPU of the ingest at scale (docs/PERFORMANCE.md at 397ef6b, in git): compaction
  // rewrites that level again and again as the log grows.
  o.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions t;
  t.block_size = point_lookups ? 4 << 10 : 16 << 10;
  t.block_cache = shared_block_cache();
  // Index and filter blocks stay in the table readers' memory (not in the
  // block cache, where data blocks would evict them and every point read
  // would re-read and re-checksum them from disk).
  t.cache_index_and_filter_blocks = false;
  if (point_lookups) {
    // Idempotency and state lookups are point reads; most ids are new, so a
    // bloom filter answers "absent" without touching data blocks.
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.memtable_prefix_bloom_size_ratio = 0.05;
    o.memtable_whole_key_filtering = true;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

Status to_status(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return Status::Ok();
  return Status::Error(std::string(what) + ": " + s.ToString());
}

}  // namespace event_log_detail

using namespace event_log_detail;

std::string projection_row_key(uint32_t partition, std::string_view seller, std::string_view row_key) {
  std::string k;
  k.reserve(5 + seller.size() + row_key.size());
  put_be32(k, partition);
  k.append(seller);
  k.push_back('\0');
  k.append(row_key);
  return k;
}

namespace {
// One seller's rows at a snapshot.
class SnapshotSellerRows : public SellerRows {
 public:
  SnapshotSellerRows(rocksdb::DB* db, GenerationPtr generation, std::string prefix)
      : db_(db), generation_(std::move(generation)), cf_(generation_->family), snapshot_(db),
        prefix_(std::move(prefix)) {}
  uint32_t format() const override { return generation_->format; }
  std::optional<std::string> get(std::string_view key) const override {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_.snapshot();
    std::string v;
    if (!db_->Get(ro, cf_, prefix_ + std::string(key), &v).ok()) return std::nullopt;
    return v;
  }
  void scan(std::string_view begin, std::string_view end, bool reverse, const RowFn& fn) const override {
    std::string lo = prefix_ + std::string(begin), hi = prefix_ + std::string(end);
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_.snapshot();
    rocksdb::Slice lo_slice(lo), hi_slice(hi);
    ro.iterate_lower_bound = &lo_slice;
    ro.iterate_upper_bound = &hi_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_));
    if (!reverse) {
      for (it->Seek(lo); it->Valid(); it->Next()) {
        if (!fn(it->key().ToStringView().substr(prefix_.size()), it->value().ToStringView())) return;
      }
    } else {
      for (it->SeekToLast(); it->Valid(); it->Prev()) {
        if (!fn(it->key().ToStringView().substr(prefix_.size()), it->value().ToStringView())) return;
      }
    }
  }

 private:
  rocksdb::DB* db_;
  GenerationPtr generation_;  // kept readable while this view lives
  rocksdb::ColumnFamilyHandle* cf_;
  mutable rocksdb::ManagedSnapshot snapshot_;  // snapshot() is not const in RocksDB 7
  std::string prefix_;
};
}  // namespace

// ---------------- EventLog ----------------

std::vector<uint64_t> EventLog::derived_after(uint32_t partition, uint64_t after_seq, size_t limit) const {
  std::vector<uint64_t> out;
  std::string prefix = meta_key("derived", partition);
  std::string start = prefix;
  put_be64(start, after_seq + 1);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, meta_cf_));
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix) && out.size() < limit; it->Next()) {
    if (it->key().size() != prefix.size() + 8) continue;
    out.push_back(get_be64(it->key().data() + prefix.size()));
  }
  return out;
}

uint64_t EventLog::publish_cursor(uint32_t partition) const {
  std::string v;
  if (!db_->Get({}, meta_cf_, meta_key("pubcursor", partition), &v).ok() || v.size() != 8) return 0;
  return get_be64(v.data());
}

Status EventLog::set_publish_cursor(uint32_t partition, uint64_t seq) {
  std::string v;
  put_be64(v, seq);
  return to_status(db_->Put({}, meta_cf_, meta_key("pubcursor", partition), v), "publish cursor");
}

std::optional<std::string> EventLog::get_projection_row(const std::string& key) const {
  GenerationPtr g = projections();
  std::string v;
  if (!db_->Get({}, g->family, key, &v).ok()) return std::nullopt;
  return v;
}

std::vector<std::pair<std::string, uint32_t>> EventLog::sellers() const {
  std::vector<std::pair<std::string, uint32_t>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, meta_cf_));
  for (it->Seek("seller:"); it->Valid() && it->key().starts_with("seller:"); it->Next()) {
    if (it->value().size() != 4) continue;
    out.emplace_back(std::string(it->key().ToStringView().substr(7)), get_be32(it->value().data()));
  }
  return out;
}

std::optional<uint32_t> EventLog::seller_partition(const std::string& seller_id) const {
  std::string v;
  if (!db_->Get({}, meta_cf_, "seller:" + seller_id, &v).ok() || v.size() != 4) return std::nullopt;
  return get_be32(v.data());
}

std::unique_ptr<SellerRows> EventLog::seller_rows(uint32_t partition, const std::string& seller_id) const {
  return std::make_unique<SnapshotSellerRows>(db_.get(), projections(),
                                              projection_row_key(partition, seller_id, ""));
}

std::optional<LogRecord> EventLog::read_record(uint32_t partition, uint64_t seq) const {
  std::string v;
  if (!db_->Get({}, log_cf_, log_key(partition, seq), &v).ok()) return std::nullopt;
  auto r = decode_log_value(v);
  if (!r) return std::nullopt;
  unseal_record(*this, r.value());
  return std::move(r.value());
}


Status EventLog::open(const std::string& dir, const EventLogOptions& options,
                      std::unique_ptr<EventLog>& out) {
  std::unique_ptr<EventLog> log(new EventLog());  // private constructor
  log->options_ = options;
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  // Bound the memtables of all column families together (7 families of 64 MiB
  // each could otherwise hold ~900 MiB before flushing).
  db_options.db_write_buffer_size = 256 << 20;
  // Every column family is flushed together, so the log, the indexes, the
  // state and the source offsets can never disagree after a crash, even
  // without the WAL.
  db_options.atomic_flush = true;

  // Every projection generation present on disk must be opened too (a new
  // data dir starts with generation 1). A read-only open takes what exists:
  // a data dir of an older version has no buyer_keys, and a rebuild beside
  // the engine may drop a generation between the listing and the open
  // (then the open is tried again).
  std::vector<uint64_t> generations;
  size_t fixed_families = 0;
  bool has_vault = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, cf_options(false)},
        {kLogCf, cf_options(false)},
        {kIdsCf, cf_options(true)},
        {kStateCf, cf_options(true)},
        {kMetaCf, cf_options(true)},
        {kRejectedCf, cf_options(false)},
    };
    generations.clear();
    std::vector<std::string> names;
    if (rocksdb::DB::ListColumnFamilies(db_options, dir, &names).ok()) {
      for (const auto& n : names) {
        if (uint64_t g = generation_of(n); g > 0) generations.push_back(g);
      }
    }
    if (generations.empty()) generations.push_back(1);
    has_vault = !options.read_only || names.empty() ||
                std::find(names.begin(), names.end(), kVaultCf) != names.end();
    if (has_vault) cfs.push_back({kVaultCf, cf_options(true)});
    fixed_families = cfs.size();
    for (uint64_t g : generations) cfs.push_back({generation_family_name(g), cf_options(true)});
    log->handles_.clear();
    if (options.read_only) {
      s = rocksdb::DB::OpenForReadOnly(db_options, dir, cfs, &log->handles_, &raw);
    } else {
      s = rocksdb::DB::Open(db_options, dir, cfs, &log->handles_, &raw);
    }
    if (s.ok() || !options.read_only || !s.IsInvalidArgument()) break;
  }
  if (!s.ok()) return Status::Error("cannot open the event log in " + dir + ": " + s.ToString());
  log->db_.reset(raw);
  log->dir_ = dir;
  if (!options.read_only) {
    // Table files of a rebuild that stopped before RocksDB took them in.
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("rebuild-", 0) == 0 && name.ends_with(".sst")) std::filesystem::remove(entry.path(), ec);
    }
  }
  log->log_cf_ = log->handles_[1];
  log->ids_cf_ = log->handles_[2];
  log->state_cf_ = log->handles_[3];
  log->meta_cf_ = log->handles_[4];
  log->rejected_cf_ = log->handles_[5];
  log->vault_cf_ = has_vault ? log->handles_[6] : nullptr;

  // The active generation; any other is what an interrupted rebuild left.
  uint64_t active = 1;
  {
    std::string v;
    if (log->db_->Get({}, log->meta_cf_, kGenerationKey, &v).ok() && v.size() == 8) active = get_be64(v.data());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> generation_handles(log->handles_.begin() + fixed_families,
                                                                log->handles_.end());
  log->handles_.resize(fixed_families);
  for (size_t i = 0; i < generations.size(); ++i) {
    if (generations[i] == active) {
      log->generation_ = log->adopt_generation(active, generation_handles[i],
                                               log->read_generation_format(active, generation_handles[i]));
    } else {
      if (!options.read_only) log->db_->DropColumnFamily(generation_handles[i]);
      log->db_->DestroyColumnFamilyHandle(generation_handles[i]);
    }
  }
  if (!log->generation_) {
    return Status::Error("the active projection generation " + std::to_string(active) + " is missing in " + dir);
  }
  log->active_generation_.store(log->generation_->number, std::memory_order_release);

  if (log->generation_->format < kRowsFormat) {
    spdlog::info("the projections (generation {}) are in row format {}, older than {}: queries that need the newer "
                 "rows answer by scanning; `carelog replay` rebuilds them in the current format",
                 log->generation_->number, log->generation_->format, kRowsFormat);
  }

  // Load the partition heads.
  std::unique_ptr<rocksdb::Iterator> it(log->db_->NewIterator({}, log->meta_cf_));
  for (it->Seek("head:"); it->Valid() && it->key().starts_with("head:"); it->Next()) {
    if (it->key().size() != 9) continue;
    PartitionHead h;
    if (!decode_head(it->value().ToStringView(), h)) {
      return Status::Error("corrupt partition head in " + dir);
    }
    log->heads_[get_be32(it->key().data() + 5)] = h;
  }
  out = std::move(log);
  return Status::Ok();
}

EventLog::~EventLog() {
  if (!db_) return;
  if (!options_.read_only) {
    rocksdb::FlushOptions fo;
    fo.wait = true;
    std::vector<rocksdb::ColumnFamilyHandle*> all = handles_;
    if (generation_) all.push_back(generation_->family);
    db_->Flush(fo, all);  // with atomic_flush, all families together
  }
  generation_.reset();  // destroys its handle (readers are gone by now)
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
}

Status EventLog::commit(LogBatch& batch) {
  if (batch.empty()) return Status::Ok();
  if (failure_probe::fires("log.commit")) return Status::Error("event log write: failure probe log.commit");
  batch.finish();
  rocksdb::WriteOptions wo;
  wo.disableWAL = options_.disable_wal;
  Status st = to_status(db_->Write(wo, batch.batch_.get()), "event log write");
  if (!st.ok()) return st;
  std::unique_lock lock(heads_mutex_);
  for (auto& [p, h] : batch.heads_) heads_[p] = h;
  return st;
}

PartitionHead EventLog::head(uint32_t partition) const {
  std::shared_lock lock(heads_mutex_);
  auto it = heads_.find(partition);
  return it == heads_.end() ? PartitionHead{} : it->second;
}

std::map<uint32_t, PartitionHead> EventLog::heads() const {
  std::shared_lock lock(heads_mutex_);
  return heads_;
}

std::optional<int64_t> EventLog::stored_offset(uint32_t partition) const {
  std::string v;
  if (!db_->Get({}, meta_cf_, meta_key("offset", partition), &v).ok() || v.size() != 8) {
    return std::nullopt;
  }
  return static_cast<int64_t>(get_be64(v.data()));
}

std::map<uint32_t, int64_t> EventLog::stored_offsets() const {
  std::map<uint32_t, int64_t> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, meta_cf_));
  for (it->Seek("offset:"); it->Valid() && it->key().starts_with("offset:"); it->Next()) {
    if (it->key().size() != 11 || it->value().size() != 8) continue;
    out[get_be32(it->key().data() + 7)] = static_cast<int64_t>(get_be64(it->value().data()));
  }
  return out;
}

std::optional<EventIdEntry> EventLog::find_event_id(const std::string& seller_id,
                                                    const std::string& event_id) const {
  rocksdb::PinnableSlice v;
  if (!db_->Get({}, ids_cf_, event_id_key(seller_id, event_id), &v).ok()) return std::nullopt;
  EventIdEntry e;
  if (!decode_id_entry(v.ToStringView(), e)) return std::nullopt;
  return e;
}

std::vector<std::optional<EventIdEntry>> EventLog::find_event_ids(
    const std::vector<std::pair<std::string_view, std::string_view>>& ids) const {
  std::vector<std::optional<EventIdEntry>> out(ids.size());
  if (ids.empty()) return out;
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& [seller, event] : ids) keys.push_back(event_id_key(seller, event));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet({}, ids_cf_, keys.size(), slices.data(), values.data(), statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    EventIdEntry e;
    if (statuses[i].ok() && decode_id_entry(values[i].ToStringView(), e)) out[i] = e;
  }
  return out;
}

std::optional<std::string> EventLog::get_state(std::string_view key) const {
  std::string v;
  if (!db_->Get({}, state_cf_, key, &v).ok()) return std::nullopt;
  return v;
}

void EventLog::scan_state(std::string_view prefix,
                          const std::function<void(std::string_view key, std::string_view value)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, state_cf_));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key.substr(0, prefix.size()) != prefix) break;
    fn(key, it->value().ToStringView());
  }
}

std::string EventLog::source_topic() const {
  std::string v;
  db_->Get({}, meta_cf_, "source_topic", &v);
  return v;
}

std::optional<std::string> EventLog::source_state(const std::string& name) const {
  std::string v;
  if (!db_->Get({}, meta_cf_, "source_state:" + name, &v).ok()) return std::nullopt;
  return v;
}

Status EventLog::set_source_state(const std::string& name, std::string_view value) {
  rocksdb::WriteOptions wo;
  wo.sync = !options_.disable_wal;
  wo.disableWAL = options_.disable_wal;
  return to_status(db_->Put(wo, meta_cf_, "source_state:" + name, rocksdb::Slice(value.data(), value.size())),
                   "write source state");
}

Status EventLog::set_source_topic(const std::string& topic) {
  return to_status(db_->Put({}, meta_cf_, "source_topic", topic), "write source topic");
}

Status EventLog::scan(uint32_t partition, uint64_t from_seq, const RecordFn& fn) const {
  return scan_records(partition, from_seq, fn, nullptr);
}

Status EventLog::scan_events(uint32_t partition, uint64_t from_seq, const RecordFn& fn) const {
  VaultKeyCache keys(*this);
  return scan_records(partition, from_seq, fn, &keys);
}

Status EventLog::scan_records(uint32_t partition, uint64_t from_seq, const RecordFn& fn,
                              VaultKeyCache* keys) const {
  // A scan reads each block once: kept out of the block cache, its blocks
  // do not evict the rows a fold reads again and again (a replay streamed
  // the whole log through the 128 MiB cache; docs/PERFORMANCE.md at 397ef6b, in git).
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  std::string prefix;
  put_be32(prefix, partition);
  for (it->Seek(log_key(partition, from_seq)); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    std::string_view body;
    auto rec = decode_log_value(it->value().ToStringView(), &body);
    if (!rec) {
      return Status::Error("partition " + std::to_string(partition) + ": " +
                           rec.rejection().message);
    }
    if (keys) {
      unseal_event(*keys, rec.value());
    } else {
      unseal_record(*this, rec.value());
    }
    if (!fn(rec.value(), body)) break;
  }
  return to_status(it->status(), "log scan");
}

Status EventLog::scan_raw(uint32_t partition, const RawFn& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, log_cf_));
  std::string prefix;
  put_be32(prefix, partition);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    uint32_t p;
    uint64_t seq;
    if (!parse_log_key(it->key().ToStringView(), p, seq)) continue;
    if (!fn(seq, it->value().ToStringView())) break;
  }
  return to_status(it->status(), "log scan");
}

std::vector<uint32_t> EventLog::partitions_in_log() const {
  std::vector<uint32_t> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, log_cf_));
  it->SeekToFirst();
  while (it->Valid() && it->key().size() >= 4) {
    uint32_t p = get_be32(it->key().data());
    out.push_back(p);
    if (p == UINT32_MAX) break;
    std::string next;
    put_be32(next, p + 1);
    it->Seek(next);
  }
  return out;
}

std::optional<std::string> EventLog::vault_get(std::string_view key) const {
  if (!vault_cf_) return std::nullopt;  // a read-only view of a data dir from before the vault
  std::string v;
  if (!db_->Get({}, vault_cf_, key, &v).ok()) return std::nullopt;
  return v;
}

Status EventLog::vault_delete(const std::string& key) {
  rocksdb::WriteOptions wo;
  wo.sync = !options_.disable_wal;
  return to_status(db_->Delete(wo, vault_cf_, key), "vault delete");
}

uint64_t EventLog::approximate_event_count() const {
  uint64_t n = 0;
  for (auto& [p, h] : heads()) n += h.seq;
  return n;
}

}  // namespace carelog
