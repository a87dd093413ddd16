// Projection generations (blue/green rebuilds), the gate between source
// batches and a switch, and the projected-through marks: see event_log.h.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/event_log.h"
#include "engine/event_log_internal.h"

namespace carelog {
namespace event_log_detail {

std::string generation_family_name(uint64_t number) {
  return number == 1 ? std::string(kProjectionsCf) : std::string(kProjectionsCf) + "." + std::to_string(number);
}

uint64_t generation_of(const std::string& name) {
  if (name == kProjectionsCf) return 1;
  std::string prefix = std::string(kProjectionsCf) + ".";
  if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) return 0;
  uint64_t n = 0;
  for (char c : name.substr(prefix.size())) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

std::string generation_format_key(uint64_t number) {
  std::string k = "projections_format:";
  put_be64(k, number);
  return k;
}

void put_through_marks(rocksdb::WriteBatch& b, rocksdb::ColumnFamilyHandle* meta,
                       const std::map<uint32_t, uint64_t>& through) {
  b.DeleteRange(meta, "through:", "through;");
  // The new marks describe the generation whole: a checkpoint's lag marks
  // (projections_behind) go with the old ones.
  b.DeleteRange(meta, "behind:", "behind;");
  for (const auto& [p, seq] : through) {
    std::string v;
    put_be64(v, seq);
    b.Put(meta, meta_key("through", p), v);
  }
}

}  // namespace event_log_detail

using namespace event_log_detail;

GenerationPtr EventLog::adopt_generation(uint64_t number, rocksdb::ColumnFamilyHandle* family,
                                         uint32_t format) {
  rocksdb::DB* db = db_.get();
  auto* g = new ProjectionGeneration{number, family, format};
  return GenerationPtr(g, [db](const ProjectionGeneration* p) {
    db->DestroyColumnFamilyHandle(p->family);
    delete p;
  });
}

uint32_t EventLog::read_generation_format(uint64_t number, rocksdb::ColumnFamilyHandle* family) {
  std::string v;
  if (db_->Get({}, meta_cf_, generation_format_key(number), &v).ok() && v.size() == 4) return get_be32(v.data());
  // No format recorded: older than formats, unless it holds no row at all
  // (a new data dir), which any format describes.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, family));
  it->SeekToFirst();
  if (it->Valid() || !it->status().ok()) return 1;
  if (!options_.read_only) {
    std::string format;
    put_be32(format, kRowsFormat);
    db_->Put({}, meta_cf_, generation_format_key(number), format);
  }
  return kRowsFormat;
}

GenerationPtr EventLog::projections() const {
  std::lock_guard lock(generation_mutex_);
  return generation_;
}

Status EventLog::create_generation(GenerationPtr& out, uint32_t format_number) {
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_->GetName(), &names);
  if (!s.ok()) return to_status(s, "list column families");
  uint64_t next = projections()->number + 1;
  for (const auto& n : names) next = std::max(next, generation_of(n) + 1);
  rocksdb::ColumnFamilyHandle* h = nullptr;
  s = db_->CreateColumnFamily(cf_options(true), generation_family_name(next), &h);
  if (!s.ok()) return to_status(s, "create projection generation");
  std::string format;
  put_be32(format, format_number);
  s = db_->Put({}, meta_cf_, generation_format_key(next), format);
  if (!s.ok()) {
    db_->DropColumnFamily(h);
    db_->DestroyColumnFamilyHandle(h);
    return to_status(s, "record the generation's row format");
  }
  out = adopt_generation(next, h, format_number);
  std::lock_guard lock(generation_mutex_);
  building_.push_back(h);
  return Status::Ok();
}

Status EventLog::activate_generation(const GenerationPtr& g, const std::map<uint32_t, uint64_t>& through) {
  GenerationPtr old = projections();
  rocksdb::WriteBatch b;
  std::string v;
  put_be64(v, g->number);
  b.Put(meta_cf_, kGenerationKey, v);
  put_through_marks(b, meta_cf_, through);
  rocksdb::WriteOptions wo;
  wo.sync = !options_.disable_wal;
  Status st = to_status(db_->Write(wo, &b), "activate projection generation");
  if (!st.ok()) return st;
  // From here on the switch is made: nothing below may make the caller
  // abandon `g`. A step that fails leaves the old generation on disk (it is
  // dropped as a leftover at the next open, whichever generation meta names).
  bool drop_old = true;
  if (options_.disable_wal) {
    // Without the WAL the switch (and the generation's rows) must reach the
    // SST files before the old generation is dropped.
    std::vector<rocksdb::ColumnFamilyHandle*> all = handles_;
    all.push_back(g->family);
    all.push_back(old->family);
    Status flushed = to_status(db_->Flush(rocksdb::FlushOptions(), all), "flush the new generation");
    if (!flushed.ok()) {
      spdlog::warn("{}: the previous generation stays on disk until the next start", flushed.message());
      drop_old = false;
    }
  }
  {
    std::lock_guard lock(generation_mutex_);
    generation_ = g;
    active_generation_.store(g->number, std::memory_order_release);
    std::erase(building_, g->family);
  }
  // Readers still holding `old` keep reading it; its files go with the last.
  if (drop_old) {
    Status dropped = to_status(db_->DropColumnFamily(old->family), "drop the previous generation");
    if (!dropped.ok()) spdlog::warn("{} (it is dropped at the next start)", dropped.message());
  }
  return Status::Ok();
}

Status EventLog::drop_generation(const GenerationPtr& g) {
  if (g == projections()) return Status::Error("cannot drop the active generation");
  {
    std::lock_guard lock(generation_mutex_);
    std::erase(building_, g->family);
  }
  return to_status(db_->DropColumnFamily(g->family), "drop projection generation");
}

uint64_t EventLog::enter_gate() {
  std::unique_lock lock(gate_mutex_);
  gate_cv_.wait(lock, [&] { return !paused_; });
  ++open_batches_;
  return pauses_;
}

void EventLog::leave_gate() {
  std::lock_guard lock(gate_mutex_);
  --open_batches_;
  gate_cv_.notify_all();
}

void EventLog::pause_batches() {
  std::unique_lock lock(gate_mutex_);
  gate_cv_.wait(lock, [&] { return !paused_; });  // one pauser at a time
  paused_ = true;
  ++pauses_;
  gate_cv_.wait(lock, [&] { return open_batches_ == 0; });
}

Status EventLog::flush_all() {
  std::vector<rocksdb::ColumnFamilyHandle*> all = handles_;
  std::lock_guard lock(generation_mutex_);
  all.push_back(generation_->family);
  // A generation a rebuild is filling holds WAL entries too.
  all.insert(all.end(), building_.begin(), building_.end());
  return to_status(db_->Flush(rocksdb::FlushOptions(), all), "flush");
}

void EventLog::resume_batches() {
  std::lock_guard lock(gate_mutex_);
  paused_ = false;
  gate_cv_.notify_all();
}

namespace {
// The marks under `kind` ':' be32 partition -> be64 seq.
std::map<uint32_t, uint64_t> read_marks(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta, std::string_view kind) {
  std::map<uint32_t, uint64_t> out;
  const std::string prefix = std::string(kind) + ':';
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, meta));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 4 || it->value().size() != 8) continue;
    out[get_be32(it->key().data() + prefix.size())] = get_be64(it->value().data());
  }
  return out;
}
}  // namespace

std::map<uint32_t, uint64_t> EventLog::projected_through() const { return read_marks(db_.get(), meta_cf_, "through"); }

std::map<uint32_t, uint64_t> EventLog::projections_behind() const { return read_marks(db_.get(), meta_cf_, "behind"); }

std::map<uint32_t, uint64_t> EventLog::rule_state_behind() const {
  return read_marks(db_.get(), meta_cf_, "rules_behind");
}

Status EventLog::set_projected_through(const std::map<uint32_t, uint64_t>& through) {
  rocksdb::WriteBatch b;
  put_through_marks(b, meta_cf_, through);
  rocksdb::WriteOptions wo;
  wo.sync = !options_.disable_wal;
  return to_status(db_->Write(wo, &b), "projected-through marks");
}

}  // namespace carelog
