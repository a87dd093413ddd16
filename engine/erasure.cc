#include "engine/erasure.h"

#include <chrono>
#include <thread>

#include <rocksdb/db.h>
#include <spdlog/spdlog.h>

#include "engine/buyer_vault.h"
#include "engine/replay.h"

namespace carelog {

Status refold_seller(EventLog& log, const ProjectorOptions& options, const GenerationPtr& generation,
                     uint32_t partition, const std::string& seller, uint64_t& records,
                     const std::string* sealed_for_buyer, std::vector<std::string>* sealed_ids) {
  records = 0;
  Projector projector(log, options);
  LogBatch batch(log, generation);
  batch.shadow_projection_prefix(projection_row_key(partition, seller, ""));
  Status scanned = log.scan_events(partition, 1, [&](const LogRecord& r, std::string_view) {
    if (r.event.seller_id == seller) {
      projector.apply(r, batch);
      ++records;
      if (sealed_for_buyer && sealed_ids && r.sealed_for == *sealed_for_buyer) sealed_ids->push_back(r.event.event_id);
    }
    return true;
  });
  if (!scanned.ok()) return scanned;
  return log.commit(batch);
}

Status purge_seller_from_disk(EventLog& log, uint32_t partition, const std::string& seller,
                              const std::string& buyer) {
  // Flush every memtable (so the WAL files that held the key and the plain
  // rows are retired), then rewrite the files that held them. Readers'
  // snapshots are short-lived; one held across this call would keep old
  // versions until a later compaction.
  Status st = log.flush_all();
  if (!st.ok()) return st;
  rocksdb::DB* db = log.db();
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  rocksdb::Status s;
  if (!buyer.empty()) {
    const std::string key_row = vault_key_row(seller, buyer), key_end = key_row + '\0';
    rocksdb::Slice kb(key_row), ke(key_end);
    s = db->CompactRange(co, log.vault_family(), &kb, &ke);
    if (!s.ok()) return Status::Error("compact the vault: " + s.ToString());
  }
  const std::string rows_begin = projection_row_key(partition, seller, ""), rows_end = prefix_end(rows_begin);
  rocksdb::Slice rb(rows_begin), re(rows_end);
  // The generation active now (a rebuild may have switched meanwhile; a
  // rebuild refolds and purges the sellers erased while it ran).
  GenerationPtr generation = log.projections();
  s = db->CompactRange(co, generation->family, &rb, &re);
  if (!s.ok() && !s.IsColumnFamilyDropped()) return Status::Error("compact the projections: " + s.ToString());
  s = db->CompactRange(co, log.rejected_family(), nullptr, nullptr);
  if (!s.ok()) return Status::Error("compact the rejected records: " + s.ToString());
  // The seller's event ids (the erased events' digests were replaced).
  const std::string ids_begin = seller + '\0', ids_end = seller + '\x01';
  rocksdb::Slice ib(ids_begin), ie(ids_end);
  s = db->CompactRange(co, log.ids_family(), &ib, &ie);
  if (!s.ok()) return Status::Error("compact the event ids: " + s.ToString());
  return Status::Ok();
}

Status forget_buyer(EventLog& log, const ProjectorOptions& options, const std::string& seller,
                    const std::string& buyer, ErasureReport& report, ProjectionStore* store) {
  report = {};
  auto partition = log.seller_partition(seller);
  if (!partition) return Status::Error("unknown seller '" + seller + "'");
  // One run at a time per buyer: while this one runs, the ingest loop does
  // not take the logged request for one left over (pending_erasures); a
  // second caller waits for this one, then finds the key gone.
  while (!log.begin_running_erasure(seller, buyer)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  struct EndRunning {
    EventLog& log;
    const std::string &seller, &buyer;
    ~EndRunning() { log.end_running_erasure(seller, buyer); }
  } end_running{log, seller, buyer};
  // Projections a rebuild --until left behind are completed first, so that
  // the seller's refold below and the engine's catch-up do not both fold.
  // (With a store, its checkpoint below completes them.)
  if (!store && projections_stop_short(log)) {
    uint64_t folded = 0;
    Status st = catch_up_projections(log, options, folded);
    if (!st.ok()) return st;
  }
  // The request is durable before anything is destroyed: a crash at any
  // point below is finished at the next start (Ingestor::carry_out_erasures).
  Status st = log.set_pending_erasure(seller, buyer);
  if (!st.ok()) return st;
  const std::string key_row = vault_key_row(seller, buyer);
  report.key_found = log.vault_get(key_row).has_value();

  // Even without a key (already destroyed by an erasure a crash interrupted)
  // the refold and the purge run again: both are idempotent.
  log.pause_batches();
  // The in-memory projections' changes are written first: the rows are then
  // complete up to the heads, as the refold below leaves this seller's.
  if (store) st = store->checkpoint(log, /*gated=*/false);
  if (st.ok() && report.key_found) st = log.vault_delete(key_row);
  if (st.ok()) st = redact_rejected(log, seller, buyer);
  if (st.ok()) {
    log.note_erasure(*partition, seller);
    std::vector<std::string> sealed_ids;
    st = refold_seller(log, options, log.projections(), *partition, seller, report.records_refolded, &buyer,
                       &sealed_ids);
    if (st.ok()) st = log.erase_event_digests(seller, sealed_ids);
  }
  // After the refold (a query may have loaded the old rows meanwhile).
  if (st.ok() && store) store->drop_seller(*partition, seller);
  log.resume_batches();
  if (!st.ok()) return st;
  st = purge_seller_from_disk(log, *partition, seller, buyer);
  if (!st.ok()) return st;
  spdlog::info("erasure: buyer {} of seller {} {}", buyer, seller,
               report.key_found ? "forgotten (" + std::to_string(report.records_refolded) + " records refolded)"
                                : "had no key (no text of theirs, or already forgotten)");
  return log.clear_pending_erasure(seller, buyer);
}

Status redact_rejected(EventLog& log, const std::string& seller, const std::string& buyer) {
  // Rejected records are kept as they came (the source bytes could not be
  // sealed: they did not pass); those of this seller that concern this
  // buyer by their decoded fields (its id, or an id the vault ties to it)
  // lose their bytes. Never by substring: an unknown or one-letter buyer id
  // must not erase other buyers' records.
  std::vector<RejectedRecord> redacted;
  Status st = log.list_rejected([&](const RejectedRecord& r) {
    if (r.seller_id == seller && r.value != kErasedText && record_concerns_buyer(log, r.value, seller, buyer)) {
      redacted.push_back(r);
      // (The size and digest of the original go too: they would confirm a guess of it.)
      redacted.back().value = std::string(kErasedText);
      redacted.back().value_bytes = kErasedText.size();
      redacted.back().value_sha256 = {};
    }
    return true;
  });
  if (!st.ok()) return st;
  for (const auto& r : redacted) {
    st = log.replace_rejected(r);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace carelog
