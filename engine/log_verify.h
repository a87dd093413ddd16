// Audit of the log's hash chains: walks every partition from its first record,
// recomputing hash = BLAKE2b(prev_hash || body), and reports every record that
// does not match (an altered record), every gap in the sequence (removed
// records) and a stored head that the chain does not reach. After a break the
// walk resumes from the stored hash of the record where it broke; at most 100
// problems are listed per partition.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/event_log.h"

namespace carelog {

struct ChainProblem {
  uint32_t partition = 0;
  uint64_t seq = 0;       // the record where the chain breaks
  std::string what;       // "hash mismatch", "missing records 5..7", ...
  std::string expected;   // hex hash (or sequence) the chain demands
  std::string found;      // what the log holds
};

struct ChainReport {
  std::map<uint32_t, PartitionHead> heads;  // as recomputed from the records
  uint64_t records = 0;
  std::vector<ChainProblem> problems;  // in (partition, seq) order
  bool ok() const { return problems.empty(); }
};

Status verify_log(const EventLog& log, ChainReport& report);

}  // namespace carelog
