// EventLog's erasure journal: the buyer erasures logged and not carried out
// yet (meta "erase:" keys), the ones running in this process, the sellers
// erased (for a rebuild running meanwhile), and the event digests an
// erasure replaces. The erasure itself: erasure.h.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "engine/event_log.h"
#include "engine/event_log_internal.h"

namespace carelog {

using namespace event_log_detail;

std::vector<std::pair<std::string, std::string>> EventLog::pending_erasures() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, meta_cf_));
  for (it->Seek("erase:"); it->Valid() && it->key().starts_with("erase:"); it->Next()) {
    std::string_view k = it->key().ToStringView().substr(6);
    size_t zero = k.find('\0');
    if (zero == std::string_view::npos) continue;
    out.emplace_back(std::string(k.substr(0, zero)), std::string(k.substr(zero + 1)));
  }
  std::lock_guard lock(erasures_mutex_);
  std::erase_if(out, [&](const auto& erasure) { return running_erasures_.count(erasure) > 0; });
  return out;
}

Status EventLog::erase_event_digests(const std::string& seller, const std::vector<std::string>& event_ids) {
  rocksdb::WriteBatch batch;
  for (const std::string& id : event_ids) {
    const std::string key = event_id_key(seller, id);
    std::string v;
    EventIdEntry e;
    if (!db_->Get({}, ids_cf_, key, &v).ok() || !decode_id_entry(v, e)) continue;
    e.digest = kErasedDigest;
    batch.Put(ids_cf_, key, encode_id_entry(e));
  }
  rocksdb::WriteOptions wo;
  wo.sync = !options_.disable_wal;
  wo.disableWAL = options_.disable_wal;
  return to_status(db_->Write(wo, &batch), "erase event digests");
}

bool EventLog::begin_running_erasure(const std::string& seller, const std::string& buyer) {
  std::lock_guard lock(erasures_mutex_);
  return running_erasures_.emplace(seller, buyer).second;
}

void EventLog::end_running_erasure(const std::string& seller, const std::string& buyer) {
  std::lock_guard lock(erasures_mutex_);
  running_erasures_.erase({seller, buyer});
}

Status EventLog::set_pending_erasure(const std::string& seller, const std::string& buyer) {
  rocksdb::WriteOptions wo;
  wo.sync = !options_.disable_wal;
  return to_status(db_->Put(wo, meta_cf_, "erase:" + seller + '\0' + buyer, ""), "record pending erasure");
}

Status EventLog::clear_pending_erasure(const std::string& seller, const std::string& buyer) {
  rocksdb::WriteOptions wo;
  wo.sync = !options_.disable_wal;
  return to_status(db_->Delete(wo, meta_cf_, "erase:" + seller + '\0' + buyer), "clear pending erasure");
}

void EventLog::note_erasure(uint32_t partition, const std::string& seller) {
  std::lock_guard lock(erasures_mutex_);
  erasures_.emplace_back(partition, seller);
}

std::vector<std::pair<uint32_t, std::string>> EventLog::erasures_since(size_t index) const {
  std::lock_guard lock(erasures_mutex_);
  if (index >= erasures_.size()) return {};
  return {erasures_.begin() + static_cast<std::ptrdiff_t>(index), erasures_.end()};
}

size_t EventLog::erasure_count() const {
  std::lock_guard lock(erasures_mutex_);
  return erasures_.size();
}

}  // namespace carelog
