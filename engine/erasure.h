// A buyer's erasure (GDPR "right to be forgotten") in the immutable log:
// the buyer's key is destroyed (buyer_vault.h), the seller's projection rows
// are folded again from the log (where that buyer's text now reads
// "[erased]"), and the RocksDB files that held the key or the old rows are
// flushed and compacted away. Counts and metrics do not change: the events
// are all still there. `audit verify` still passes: the chain covers the
// ciphertext, which is untouched.
#pragma once

#include <cstdint>
#include <string>

#include "engine/event_log.h"
#include "engine/projection_store.h"
#include "engine/projector.h"

namespace carelog {

struct ErasureReport {
  bool key_found = false;       // false: unknown buyer, or already forgotten
  uint64_t records_refolded = 0;
};

// Holds source batches at the gate while it refolds (safe beside a running
// engine, from any thread but one holding an open source LogBatch). The
// request is recorded first (EventLog::set_pending_erasure) and cleared
// last, so a crash in between is finished at the next start.
// `store` (may be null): the in-memory projections, which forget the
// seller once its rows are refolded.
Status forget_buyer(EventLog& log, const ProjectorOptions& options, const std::string& seller,
                    const std::string& buyer, ErasureReport& report, ProjectionStore* store = nullptr);

// Flushes every column family and compacts away the files that held the
// buyer's key ("" = skip), the seller's old rows and redacted rejected records.
Status purge_seller_from_disk(EventLog& log, uint32_t partition, const std::string& seller,
                              const std::string& buyer);

// Rejected records of `seller` whose bytes name `buyer` lose their bytes.
Status redact_rejected(EventLog& log, const std::string& seller, const std::string& buyer);

// Folds one seller's records of `partition` from scratch into `generation`,
// replacing that seller's rows in one atomic write.
// `sealed_for_buyer` (when set): the event ids of the seller's records
// sealed for that buyer are appended to `sealed_ids`.
Status refold_seller(EventLog& log, const ProjectorOptions& options, const GenerationPtr& generation,
                     uint32_t partition, const std::string& seller, uint64_t& records,
                     const std::string* sealed_for_buyer = nullptr, std::vector<std::string>* sealed_ids = nullptr);

}  // namespace carelog
