// LogBatch: the writes of one source batch (or of a rebuild's batch), see
// event_log.h. Reads through a batch see its own writes first; finish() puts
// everything into the one RocksDB WriteBatch EventLog::commit applies
// (EventLog::commit_as_table: a rebuild's rows as an ingested table file).
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "engine/buyer_vault.h"
#include "engine/event_log.h"
#include "engine/event_log_internal.h"

namespace carelog {

using namespace event_log_detail;

namespace {
// Bytes [at, at + 8) of `key` as a big-endian number, zero-padded past its end.
uint64_t key_word(std::string_view key, size_t at) {
  if (at + 8 <= key.size()) return get_be64(key.data() + at);
  char tail[8] = {};
  if (at < key.size()) std::memcpy(tail, key.data() + at, key.size() - at);
  return get_be64(tail);
}

// Cache lines fetched ahead of their use, for walks over entries scattered
// in a hash table (and their keys' and values' bytes on the heap).
constexpr size_t kFetchAhead = 8;
// The key bytes a sort item carries, in big-endian words.
constexpr size_t kSortWords = 6;
void fetch(const void* p) { __builtin_prefetch(p); }
void fetch_value(const std::string& v) { fetch(v.data()); }
void fetch_value(const EventIdEntry&) {}  // inline in its entry
void fetch_value(const RowOverlay::Row& r) { fetch(r.data); }

// Calls fn(entry) for the entries of a hash map with string keys, in key
// order (RocksDB's memtable inserts and table files want them so).
//
// Each sort item carries its key's first 48 bytes (partition, seller, row
// tag and most row keys whole: a seller's order ids share their first 12
// bytes, so 24 bytes left most comparisons to the keys), so that most
// comparisons touch neither the entry, scattered in the table, nor its key's
// bytes on the heap. Zero padding keeps the order of the words that of the
// keys; equal words fall back to comparing the keys.
//
// Entries, keys and values are fetched kFetchAhead (entries: twice that)
// ahead of their turn: a replay table's rows are ~400,000 entries spread over
// 64 MiB, and a cache miss per row was the largest part of writing them
// (docs/PERFORMANCE.md at 397ef6b, in git).
template <class Map, class Fn>
void for_each_in_key_order(const Map& map, Fn&& fn) {
  using Entry = typename Map::value_type;
  struct Item {
    uint64_t words[kSortWords];
    const Entry* entry;
  };
  std::vector<const Entry*> entries;
  entries.reserve(map.size());
  for (const auto& entry : map) entries.push_back(&entry);
  const size_t n = entries.size();
  std::vector<Item> items;
  items.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (i + kFetchAhead < n) fetch(entries[i + kFetchAhead]->first.data());
    const std::string_view key = entries[i]->first;
    Item item;
    for (size_t w = 0; w < kSortWords; ++w) item.words[w] = key_word(key, 8 * w);
    item.entry = entries[i];
    items.push_back(item);
  }
  entries = {};  // the items hold the pointers now
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    for (size_t i = 0; i < kSortWords; ++i) {
      if (a.words[i] != b.words[i]) return a.words[i] < b.words[i];
    }
    return std::string_view(a.entry->first) < std::string_view(b.entry->first);
  });
  for (size_t i = 0; i < n; ++i) {
    if (i + 2 * kFetchAhead < n) fetch(items[i + 2 * kFetchAhead].entry);
    if (i + kFetchAhead < n) {  // its entry was fetched kFetchAhead turns ago
      const Entry* ahead = items[i + kFetchAhead].entry;
      fetch(ahead->first.data());
      fetch_value(ahead->second);
    }
    fn(*items[i].entry);
  }
}
}  // namespace

LogBatch::LogBatch(EventLog& log) : log_(log), batch_(std::make_unique<rocksdb::WriteBatch>()) {
  pauses_at_open_ = log_.enter_gate();
  gated_ = true;
  generation_ = log_.projections();
}

LogBatch::LogBatch(EventLog& log, GenerationPtr target)
    : log_(log), batch_(std::make_unique<rocksdb::WriteBatch>()), generation_(std::move(target)) {}

LogBatch::~LogBatch() { close_gate(); }

void LogBatch::close_gate() {
  if (gated_) log_.leave_gate();
  gated_ = false;
}

void LogBatch::read_through(const LogBatch* previous) {
  // A pause lets another writer change the database after `previous` was
  // committed (and may switch generations): then it is no longer current.
  const bool current = previous && previous->pauses_at_open_ == pauses_at_open_ &&
                       previous->generation_ == generation_ && !previous->shadowed_prefix_ &&
                       !shadowed_prefix_;
  previous_ = current ? previous : nullptr;
}

template <class Map>
const typename Map::mapped_type* LogBatch::written(Map LogBatch::*writes, const typename Map::key_type& key) const {
  if (auto it = (this->*writes).find(key); it != (this->*writes).end()) return &it->second;
  if (previous_) {
    if (auto it = (previous_->*writes).find(key); it != (previous_->*writes).end()) return &it->second;
  }
  return nullptr;
}

std::optional<std::string> LogBatch::projection_row(const std::string& key) const {
  const RowOverlay::Row* row = rows_.find(key);
  if (!row && previous_) row = previous_->rows_.find(key);
  if (row) {
    if (auto value = row->value()) return std::string(*value);
    return std::nullopt;  // erased
  }
  // (A batch that shadows a prefix reads through no other.)
  if (shadowed_prefix_ && key.rfind(*shadowed_prefix_, 0) == 0) return std::nullopt;
  std::string v;
  if (!log_.db_->Get({}, generation_->family, key, &v).ok()) return std::nullopt;
  return v;
}

bool LogBatch::empty() const {
  return appended_ == 0 && other_writes_ == 0 && (rows_.empty() || rows_in_table_);
}

void LogBatch::put_mark(std::string_view kind, uint32_t partition, std::optional<uint64_t> seq) {
  if (seq) {
    std::string v;
    put_be64(v, *seq);
    batch_->Put(log_.meta_cf_, meta_key(kind, partition), v);
  } else {
    batch_->Delete(log_.meta_cf_, meta_key(kind, partition));
  }
  ++other_writes_;
}

void LogBatch::set_projected_through(uint32_t partition, uint64_t seq) { put_mark("through", partition, seq); }
void LogBatch::set_projections_behind(uint32_t partition, uint64_t seq) { put_mark("behind", partition, seq); }
void LogBatch::clear_projections_behind(uint32_t partition) { put_mark("behind", partition, std::nullopt); }
void LogBatch::set_rule_state_behind(uint32_t partition, uint64_t seq) { put_mark("rules_behind", partition, seq); }
void LogBatch::clear_rule_state_behind(uint32_t partition) { put_mark("rules_behind", partition, std::nullopt); }

void LogBatch::put_pending_erasure(const std::string& seller, const std::string& buyer) {
  batch_->Put(log_.meta_cf_, "erase:" + seller + '\0' + buyer, "");
  requests_erasure_ = true;
  ++other_writes_;
}

void LogBatch::vault_put(const std::string& key, std::string_view value) {
  vault_rows_[key] = std::string(value);  // written by finish(), in key order
  ++other_writes_;
}

std::optional<std::string> LogBatch::vault_get(const std::string& key) const {
  if (const auto* value = written(&LogBatch::vault_rows_, key)) return *value;
  return log_.vault_get(key);
}

void LogBatch::shadow_projection_prefix(const std::string& prefix) {
  shadowed_prefix_ = prefix;
  previous_ = nullptr;  // rows under the prefix are this batch's alone
  ++other_writes_;
}

void LogBatch::finish() {
  for (auto& [p, head] : heads_) batch_->Put(log_.meta_cf_, meta_key("head", p), encode_head(head));
  if (shadowed_prefix_) batch_->DeleteRange(generation_->family, *shadowed_prefix_, prefix_end(*shadowed_prefix_));
  // Inserted in key order: RocksDB's memtable skip list reuses its insert
  // position between neighbouring keys, which random order defeats.
  for_each_in_key_order(ids_, [&](const auto& id) {
    batch_->Put(log_.ids_cf_, id.first, encode_id_entry(id.second));
  });
  for_each_in_key_order(state_rows_, [&](const auto& state) { batch_->Put(log_.state_cf_, state.first, state.second); });
  for_each_in_key_order(vault_rows_, [&](const auto& vault) { batch_->Put(log_.vault_cf_, vault.first, vault.second); });
  if (rows_in_table_) return;  // written already (commit_as_table)
  for_each_in_key_order(rows_.rows(), [&](const auto& row) {
    if (auto value = row.second.value()) {
      batch_->Put(generation_->family, row.first, *value);
    } else {
      batch_->Delete(generation_->family, row.first);
    }
  });
}

void LogBatch::append(LogRecord& record, std::string_view event_binary,
                      const std::array<uint8_t, 16>& digest) {
  auto it = heads_.find(record.partition);
  if (it == heads_.end()) {
    const PartitionHead* before = written(&LogBatch::heads_, record.partition);
    it = heads_.emplace(record.partition, before ? *before : log_.head(record.partition)).first;
  }
  PartitionHead& head = it->second;
  record.seq = head.seq + 1;
  scratch_.clear();
  // Buyer-identifying text is stored sealed (buyer_vault.h); `record` stays plain.
  LogRecord sealed;
  std::string sealed_binary;
  if (seal_record(record, *this, sealed, sealed_binary)) {
    sealed.seq = record.seq;
    encode_log_body(sealed, sealed_binary, scratch_);
  } else {
    encode_log_body(record, event_binary, scratch_);
  }
  record.hash = chain_hash(head.hash, scratch_);
  scratch_.append(reinterpret_cast<const char*>(record.hash.data()), record.hash.size());
  batch_->Put(log_.log_cf_, log_key(record.partition, record.seq), scratch_);
  head.seq = record.seq;
  head.hash = record.hash;  // written once per partition by EventLog::commit

  EventIdEntry entry{record.partition, record.seq, digest};
  std::string id_key = event_id_key(record.event.seller_id, record.event.event_id);
  ids_[std::move(id_key)] = entry;  // written by finish(), in key order
  ++appended_;
}

const EventIdEntry* LogBatch::pending_event_id(const std::string& seller_id,
                                               const std::string& event_id) const {
  return written(&LogBatch::ids_, event_id_key(seller_id, event_id));
}

void LogBatch::put_state(std::string_view key, std::string_view value) {
  state_rows_[std::string(key)] = std::string(value);  // written by finish(), in key order
  ++other_writes_;
}

void LogBatch::set_source_offset(uint32_t partition, int64_t next_offset) {
  std::string v;
  put_be64(v, static_cast<uint64_t>(next_offset));
  batch_->Put(log_.meta_cf_, meta_key("offset", partition), v);
  ++other_writes_;
}

void LogBatch::put_rejected(const RejectedRecord& r) {
  std::string k;
  put_be32(k, r.partition);
  put_be64(k, static_cast<uint64_t>(r.offset));
  batch_->Put(log_.rejected_cf_, k, encode_rejected(r));
  ++other_writes_;
}

// Projection rows stay in the overlay until commit, which writes each row's
// final value once: a row changed by many events of a batch costs one put.
void LogBatch::put_projection_row(const std::string& key, std::string_view value) {
  if (!rows_through_) return rows_.put(key, value);
  batch_->Put(generation_->family, key, rocksdb::Slice(value.data(), value.size()));
  ++other_writes_;
}

void LogBatch::erase_projection_row(const std::string& key) {
  if (!rows_through_) return rows_.erase(key);
  batch_->Delete(generation_->family, key);
  ++other_writes_;
}

void LogBatch::put_seller_partition(const std::string& seller_id, uint32_t partition) {
  std::string v;
  put_be32(v, partition);
  batch_->Put(log_.meta_cf_, "seller:" + seller_id, v);
  ++other_writes_;
}

void LogBatch::mark_derived(uint32_t partition, uint64_t seq) {
  std::string k = meta_key("derived", partition);
  put_be64(k, seq);
  batch_->Put(log_.meta_cf_, k, "");
  ++other_writes_;
}

Status EventLog::commit_as_table(LogBatch& batch) {
  const GenerationPtr& target = batch.generation_;
  if (batch.gated_ || batch.shadowed_prefix_ || target == projections()) {
    return Status::Error("commit_as_table: only a rebuild's batch of a generation not yet active, without shadow");
  }
  if (!batch.rows_.empty()) {
    const rocksdb::Options options(db_->GetDBOptions(), db_->GetOptions(target->family));
    const std::string path = dir_ + "/rebuild-" + std::to_string(target->number) + "-" +
                             std::to_string(tables_written_++) + ".sst";
    // The file's pages stay in the page cache (the writer's default drops
    // them as it writes): the fold reads its rows again at once, and every
    // such read went to the disk (docs/PERFORMANCE.md at 397ef6b, in git).
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, target->family,
                                  /*invalidate_page_cache=*/false);
    rocksdb::Status s = writer.Open(path);
    for_each_in_key_order(batch.rows_.rows(), [&](const auto& row) {
      if (!s.ok()) return;
      const auto value = row.second.value();
      s = value ? writer.Put(row.first, *value) : writer.Delete(row.first);
    });
    if (s.ok()) s = writer.Finish();
    if (s.ok()) {
      rocksdb::IngestExternalFileOptions ingest;
      ingest.move_files = true;  // a hard link: the bytes are written once
      s = db_->IngestExternalFile(target->family, {path}, ingest);
    }
    std::error_code ignored;
    std::filesystem::remove(path, ignored);  // moved on success; a partial file otherwise
    if (!s.ok()) return to_status(s, "rebuild table");
    batch.rows_in_table_ = true;
  }
  return commit(batch);
}

}  // namespace carelog
