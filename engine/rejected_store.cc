// EventLog's rejected store: the records the ingest step rejected, keyed
// by (partition, offset), in the `rejected` column family.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "engine/event_log.h"
#include "engine/event_log_internal.h"

#include <sodium.h>

#include <cstring>

namespace carelog {

using namespace event_log_detail;

Status EventLog::replace_rejected(const RejectedRecord& r) {
  std::string k;
  put_be32(k, r.partition);
  put_be64(k, static_cast<uint64_t>(r.offset));
  return to_status(db_->Put({}, rejected_cf_, k, encode_rejected(r)), "rewrite rejected record");
}

Status EventLog::list_rejected(const std::function<bool(const RejectedRecord&)>& fn,
                               std::optional<std::pair<uint32_t, int64_t>> after) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, rejected_cf_));
  std::string start;
  if (after) {
    put_be32(start, after->first);
    put_be64(start, static_cast<uint64_t>(after->second));
    it->Seek(start);
    if (it->Valid() && it->key().ToStringView() == start) it->Next();
  } else {
    it->SeekToFirst();
  }
  for (; it->Valid(); it->Next()) {
    RejectedRecord r;
    if (!decode_rejected(it->value().ToStringView(), r)) {
      return Status::Error("corrupt rejected-event record");
    }
    if (!fn(r)) break;
  }
  return to_status(it->status(), "rejected scan");
}

std::string encode_rejected(const RejectedRecord& r) {
  std::string out;
  out.push_back(2);  // format (1: without value_bytes and value_sha256)
  put_str(out, r.topic);
  put_be32(out, r.partition);
  put_be64(out, static_cast<uint64_t>(r.offset));
  put_str(out, r.key);
  put_str(out, r.value);
  put_str(out, r.reason.code);
  put_str(out, r.reason.field);
  put_str(out, r.reason.message);
  put_str(out, r.seller_id);
  put_str(out, r.event_id);
  put_be64(out, static_cast<uint64_t>(r.rejected_at_micros));
  put_be64(out, r.value_bytes);
  out.append(reinterpret_cast<const char*>(r.value_sha256.data()), r.value_sha256.size());
  return out;
}

bool decode_rejected(std::string_view in, RejectedRecord& r) {
  if (in.empty() || (in[0] != 1 && in[0] != 2)) return false;
  const int format = in[0];
  in.remove_prefix(1);
  if (!get_str(in, r.topic) || in.size() < 12) return false;
  r.partition = get_be32(in.data());
  r.offset = static_cast<int64_t>(get_be64(in.data() + 4));
  in.remove_prefix(12);
  if (!get_str(in, r.key) || !get_str(in, r.value) || !get_str(in, r.reason.code) ||
      !get_str(in, r.reason.field) || !get_str(in, r.reason.message) ||
      !get_str(in, r.seller_id) || !get_str(in, r.event_id) || in.size() != (format == 1 ? 8u : 48u)) {
    return false;
  }
  r.rejected_at_micros = static_cast<int64_t>(get_be64(in.data()));
  if (format == 1) {  // the whole value, always
    r.value_bytes = r.value.size();
    crypto_hash_sha256(r.value_sha256.data(), reinterpret_cast<const unsigned char*>(r.value.data()),
                       r.value.size());
    return true;
  }
  r.value_bytes = get_be64(in.data() + 8);
  std::memcpy(r.value_sha256.data(), in.data() + 16, 32);
  return true;
}

}  // namespace carelog
