#include "engine/erasure.h"

#include <rocksdb/db.h>

#include "engine/buyer_vault.h"

namespace carelog {

Status refold_seller(EventLog& log, const ProjectorOptions& options, const GenerationPtr& generation,
                     uint32_t partition, const std::string& seller, uint64_t& records) {
  records = 0;
  Projector projector(log, options);
  LogBatch batch(log, generation);
  batch.shadow_projection_prefix(projection_row_key(partition, seller, ""));
  Status scanned = log.scan(partition, 1, [&](const LogRecord& r, std::string_view) {
    if (r.event.seller_id == seller) {
      projector.apply(r, batch);
      ++records;
    }
    return true;
  });
  if (!scanned.ok()) return scanned;
  return log.commit(batch);
}

Status forget_buyer(EventLog& log, const ProjectorOptions& options, const std::string& seller,
                    const std::string& buyer, ErasureReport& report) {
  report = {};
  auto partition = log.seller_partition(seller);
  if (!partition) return Status::Error("unknown seller '" + seller + "'");
  const std::string key_row = vault_key_row(seller, buyer);
  report.key_found = log.vault_get(key_row).has_value();
  if (!report.key_found) return Status::Ok();

  GenerationPtr generation;
  log.pause_batches();
  Status st = log.vault_delete(key_row);
  if (st.ok()) {
    log.note_erasure(*partition, seller);
    generation = log.projections();
    st = refold_seller(log, options, generation, *partition, seller, report.records_refolded);
  }
  log.resume_batches();
  if (!st.ok()) return st;

  // Off the disk: flush the memtables (and so retire the WAL that held the
  // key and the plain rows), then rewrite the files that held them.
  rocksdb::DB* db = log.db();
  st = log.flush_all();
  if (!st.ok()) return st;
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  std::string key_end = key_row + '\0';
  rocksdb::Slice kb(key_row), ke(key_end);
  auto s = db->CompactRange(co, log.vault_family(), &kb, &ke);
  if (!s.ok()) return Status::Error("compact the vault: " + s.ToString());
  std::string rows_begin = projection_row_key(*partition, seller, ""), rows_end = prefix_end(rows_begin);
  rocksdb::Slice rb(rows_begin), re(rows_end);
  s = db->CompactRange(co, generation->family, &rb, &re);
  if (!s.ok()) return Status::Error("compact the projections: " + s.ToString());
  return Status::Ok();
}

}  // namespace carelog
